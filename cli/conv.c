/* The shared half of every conversation command: options, the script,
 * the run through the engine, one frame per packet through the builder,
 * and the truth file. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conv.h"
#include "parse.h"
#include "pktcraft/core/hash.h"
#include "pktcraft/wire/frag.h"

#define CONV_MAX_DATA (64u << 20) /* one DATA value: a file of up to 64 MiB */

void conv_init(struct conv_cli *v, uint8_t l4, uint16_t dport)
{
    memset(v, 0, sizeof *v);
    craft_init(&v->c);
    pc_conv_opts_default(&v->o);
    v->o.l4 = l4;
    v->o.dport = dport;
    v->dport_given = dport != 0;
    v->layers = CL_NET;
}

unsigned conv_layers(const struct conv_cli *v) { return v->layers | (v->o.l4 == 6 ? CL_TCP : CL_UDP); }

void conv_note_time(struct conv_cli *v, const char *opt, int64_t ns)
{
    if (!v->fine_opt && ns % 1000) {
        v->fine_opt = opt;
        v->fine_ns = ns;
    }
}

void conv_help(bool script)
{
    if (script)
        printf("Script (in order; any number of each):\n"
               "      --send DATA             the client writes DATA (to the server)\n"
               "      --recv DATA             the server writes DATA (to the client)\n"
               "      --udp                   datagrams instead of a TCP connection\n"
               "  DATA: a string with C escapes (\\r\\n, \\x41), @FILE, or hex:HEX\n");
    printf("Conversation:\n"
           "      --sport N, --dport N    client and server ports (sport: from the seed)\n"
           "      --mss N                 MSS both ends advertise (default: MTU - 40/60)\n"
           "      --mtu N                 IP MTU (default 1500); larger UDP datagrams fragment\n"
           "      --wscale N|none         window scale offered (default 7)\n"
           "      --no-sack, --no-ts      leave SACK-permitted / timestamps out\n"
           "      --window N              receive buffer of each end in bytes (default 262140)\n"
           "      --ack immediate|delayed ACK every segment, or every second one / 40 ms\n"
           "                              (default delayed)\n"
           "      --rtt DURATION          round-trip time (default 10ms)\n"
           "      --link-rate RATE        bit/s for serialization, e.g. 100M, 1G (default 100M)\n"
           "      --think DURATION        time an end takes before each write (default 0)\n"
           "      --close fin|client-fin|server-fin|half-close|rst|server-rst|none\n"
           "                              teardown (default fin: the client closes first)\n"
           "      --isn C[:S]             initial sequence numbers (default: from the seed)\n"
           "      --timeout DURATION      UDP: resend an unanswered datagram (default 1s)\n"
           "      --fault SPEC            a fault (repeatable), see FAULTS\n"
           "      --truth                 also write OUT.truth.json: flows, delivered bytes\n"
           "                              (length, SHA-256), application facts, faults\n"
           "      --set FIELD=VALUE@N, --corrupt FIELD@N  on packet N only\n"
           "The capture point is next to the client: its packets are stamped when they\n"
           "leave, the server's when they arrive.\n"
           "FAULTS (N: a packet number of the conversation without faults):\n"
           "  drop:N[,N..]           lost between the hosts (a client packet is still\n"
           "                         captured, a server one is not); the sender resends\n"
           "  dup:N                  delivered (and captured) twice\n"
           "  reorder:A,B            A arrives just after B (same direction)\n"
           "  delay:N[:DURATION]     held back (default one RTT)\n"
           "  corrupt:N[:ip]         a wrong TCP/UDP (or IPv4 header) checksum; the\n"
           "                         receiver discards it and the sender resends\n"
           "  truncate:N[:BYTES]     captured with BYTES only (default 64)\n"
           "  overlap:N              a second segment covers N's second half with other\n"
           "                         bytes (the receiver keeps the first)\n"
           "  frag:N[:SIZE[:in|reverse|random|overlap]]  IP fragments of SIZE bytes\n"
           "  zerowin:N[:DURATION]   N's sender stops reading: zero window, probes, update\n"
           "  midstream[:N]          the capture starts at N (default: the first data)\n\n");
}

/* ---- DATA ---- */

static void read_file(const char *opt, const char *path, uint8_t **out, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) cli_runtime_error("%s: %s: %s", opt, path, strerror(errno));
    size_t cap = 65536, n = 0;
    uint8_t *b = malloc(cap);
    for (;;) {
        if (!b) cli_runtime_error("out of memory");
        n += fread(b + n, 1, cap - n, f);
        if (n < cap) break;
        if (cap >= CONV_MAX_DATA) cli_usage_error("%s: %s is larger than %u bytes", opt, path, CONV_MAX_DATA);
        cap *= 2;
        uint8_t *nb = realloc(b, cap);
        if (!nb) free(b);
        b = nb;
    }
    int bad = ferror(f);
    fclose(f);
    if (bad) cli_runtime_error("%s: %s: read error", opt, path);
    *out = b;
    *len = n;
}

void conv_parse_data(const char *opt, const char *arg, uint8_t **out, size_t *len)
{
    if (arg[0] == '@') { read_file(opt, arg + 1, out, len); return; }
    size_t cap = strlen(arg) + 1;
    uint8_t *b = malloc(cap);
    if (!b) cli_runtime_error("out of memory");
    if (!strncmp(arg, "hex:", 4)) *len = cli_parse_hex(opt, arg + 4, b, cap);
    else *len = cli_unescape(opt, arg, b, cap);
    *out = b;
}

void conv_add_step(struct conv_cli *v, int dir, const uint8_t *data, size_t len, uint32_t tag)
{
    if (v->nsteps == PC_CONV_MAX_STEPS) cli_usage_error("at most %d writes in a conversation", PC_CONV_MAX_STEPS);
    if (v->nsteps == v->cap) {
        size_t cap = v->cap ? 2 * v->cap : 16;
        struct pc_conv_step *s = realloc(v->steps, cap * sizeof *s);
        if (!s) cli_runtime_error("out of memory");
        v->steps = s;
        v->cap = cap;
    }
    uint8_t *copy = malloc(len ? len : 1);
    if (!copy) cli_runtime_error("out of memory");
    if (len) memcpy(copy, data, len);
    v->steps[v->nsteps++] = (struct pc_conv_step){ .dir = (uint8_t)dir, .data = copy, .len = len, .tag = tag };
}

/* ---- options ---- */

static uint64_t parse_rate(const char *arg)
{
    char num[64];
    size_t n = strlen(arg);
    uint64_t mult = 1;
    if (n && strchr("kKmMgG", arg[n - 1])) {
        char u = arg[n - 1];
        mult = (u == 'k' || u == 'K') ? 1000 : (u == 'm' || u == 'M') ? 1000000 : 1000000000;
        n--;
    }
    if (n >= sizeof num) cli_usage_error("--link-rate: '%s' is too long", arg);
    memcpy(num, arg, n);
    num[n] = 0;
    uint64_t r = cli_parse_uint("--link-rate", num, UINT64_C(1) << 44);
    if (!r || r * mult > (UINT64_C(1) << 44)) cli_usage_error("--link-rate: '%s' is not a rate from 1 bit/s to 16T", arg);
    return r * mult;
}

static int parse_close(const char *arg)
{
    static const struct { const char *name; int v; } t[] = {
        { "fin", PC_CLOSE_CLIENT_FIN }, { "client-fin", PC_CLOSE_CLIENT_FIN }, { "server-fin", PC_CLOSE_SERVER_FIN },
        { "half-close", PC_CLOSE_HALF }, { "rst", PC_CLOSE_RST }, { "client-rst", PC_CLOSE_RST },
        { "server-rst", PC_CLOSE_SERVER_RST }, { "none", PC_CLOSE_NONE },
    };
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++)
        if (!strcmp(arg, t[i].name)) return t[i].v;
    cli_usage_error("--close: '%s' is not fin, client-fin, server-fin, half-close, rst, server-rst or none", arg);
}

static void add_fault(struct conv_cli *v, const struct pc_conv_fault *f)
{
    if (v->nfaults == PC_CONV_MAX_FAULTS) cli_usage_error("--fault: at most %d faults", PC_CONV_MAX_FAULTS);
    v->faults[v->nfaults++] = *f;
}

static void fault_arg(struct conv_cli *v, struct pc_conv_fault *f, const char *kind, const char *a, const char *b)
{
    char opt[64];
    snprintf(opt, sizeof opt, "--fault %s", kind);
    switch (f->kind) {
    case PC_FAULT_DELAY: case PC_FAULT_ZEROWIN:
        if (a) f->arg = cli_parse_duration(opt, a);
        conv_note_time(v, f->kind == PC_FAULT_DELAY ? "--fault delay" : "--fault zerowin", f->arg);
        break;
    case PC_FAULT_TRUNCATE:
        if (a) f->arg = (int64_t)cli_parse_uint(opt, a, 65535);
        if (a && !f->arg) cli_usage_error("%s: keep at least 1 byte", opt);
        break;
    case PC_FAULT_CORRUPT:
        if (a && strcmp(a, "ip") && strcmp(a, "l4")) cli_usage_error("%s: '%s' is not ip or l4", opt, a);
        f->arg = a && !strcmp(a, "ip");
        break;
    case PC_FAULT_FRAG:
        if (a && *a) {
            f->arg = (int64_t)cli_parse_uint(opt, a, 65528);
            if (!f->arg || f->arg % 8) cli_usage_error("%s: %s is not a positive multiple of 8", opt, a);
        }
        if (b) {
            static const char *const orders[] = { "in", "reverse", "random", "overlap" };
            f->arg2 = 4;
            for (uint32_t i = 0; i < 4; i++)
                if (!strcmp(b, orders[i])) f->arg2 = i;
            if (f->arg2 == 4) cli_usage_error("%s: '%s' is not in, reverse, random or overlap", opt, b);
        }
        break;
    default:
        if (a) cli_usage_error("%s takes no value after the packet number", opt);
    }
}

/* KIND[:N[,N..][:ARG[:ARG2]]] */
static void parse_fault(struct conv_cli *v, const char *spec)
{
    char buf[256];
    if (strlen(spec) >= sizeof buf) cli_usage_error("--fault: '%s' is too long", spec);
    snprintf(buf, sizeof buf, "%s", spec);
    char *parts[4] = { buf, NULL, NULL, NULL };
    for (int i = 1; i < 4; i++) {
        char *c = parts[i - 1] ? strchr(parts[i - 1], ':') : NULL;
        if (c) { *c = 0; parts[i] = c + 1; }
    }
    struct pc_conv_fault f = { .kind = (uint8_t)pc_conv_fault_kind(parts[0]) };
    if (!f.kind)
        cli_usage_error("--fault: '%s' is not drop, dup, reorder, delay, corrupt, truncate, overlap, frag, zerowin "
                        "or midstream", parts[0]);
    if (!parts[1]) {
        if (f.kind != PC_FAULT_MIDSTREAM) cli_usage_error("--fault %s: needs a packet number, like %s:3", parts[0], parts[0]);
        add_fault(v, &f);
        return;
    }
    fault_arg(v, &f, parts[0], parts[2], parts[3]);
    uint32_t nums[64];
    int n = 0;
    for (char *save = NULL, *t = strtok_r(parts[1], ",", &save); t; t = strtok_r(NULL, ",", &save)) {
        if (n == 64) cli_usage_error("--fault: too many packet numbers");
        nums[n] = (uint32_t)cli_parse_uint("--fault", t, PC_CONV_MAX_PKTS);
        if (!nums[n]) cli_usage_error("--fault %s: packet numbers start at 1", parts[0]);
        n++;
    }
    if (!n) cli_usage_error("--fault %s: needs a packet number", parts[0]);
    if (f.kind == PC_FAULT_REORDER) {
        if (n != 2) cli_usage_error("--fault reorder: needs two packets, like reorder:4,5");
        f.pkt[0] = nums[0];
        f.pkt[1] = nums[1];
        add_fault(v, &f);
        return;
    }
    for (int i = 0; i < n; i++) {
        f.pkt[0] = nums[i];
        add_fault(v, &f);
    }
}

static void parse_isn(struct conv_cli *v, const char *arg)
{
    char buf[64];
    snprintf(buf, sizeof buf, "%s", arg);
    char *colon = strchr(buf, ':');
    if (colon) *colon = 0;
    v->o.isn[0] = (uint32_t)cli_parse_uint("--isn", buf, UINT32_MAX);
    v->o.isn_given[0] = true;
    if (colon) {
        v->o.isn[1] = (uint32_t)cli_parse_uint("--isn", colon + 1, UINT32_MAX);
        v->o.isn_given[1] = true;
    }
}

static void script_opt(struct conv_cli *v, int dir, const char *opt, const char *arg)
{
    uint8_t *b;
    size_t n;
    conv_parse_data(opt, arg, &b, &n);
    conv_add_step(v, dir, b, n, 0);
    free(b);
}

/* One port: a conversation has one client and one server. */
static uint16_t conv_port(const char *opt, const char *arg)
{
    if (strpbrk(arg, "-,") || !strncmp(arg, "random", 6))
        cli_usage_error("%s: a conversation has one client and one server: give one port (ranges, lists and random "
                        "are for the single-packet commands)", opt);
    return (uint16_t)cli_parse_uint(opt, arg, 65535);
}

bool conv_opt(struct conv_cli *v, int opt, const char *arg, char **argv)
{
    struct pc_conv_opts *o = &v->o;
    switch (opt) {
    case CONV_OPT_SPORT: o->sport = conv_port("--sport", arg); v->sport_given = true; return true;
    case CONV_OPT_DPORT: o->dport = conv_port("--dport", arg); v->dport_given = true; return true;
    case CONV_OPT_MSS:
        o->mss[0] = o->mss[1] = (uint32_t)cli_parse_uint("--mss", arg, 65535);
        if (o->mss[0] < 64) cli_usage_error("--mss: at least 64");
        return true;
    case CONV_OPT_MTU: o->mtu = (uint32_t)cli_parse_uint("--mtu", arg, 65535); return true;
    case CONV_OPT_WSCALE:
        if (!strcmp(arg, "none")) o->no_wscale = true;
        else o->wscale[0] = o->wscale[1] = (int8_t)cli_parse_uint("--wscale", arg, 14);
        return true;
    case CONV_OPT_NO_SACK: o->no_sack = true; return true;
    case CONV_OPT_NO_TS: o->no_ts = true; return true;
    case CONV_OPT_WINDOW:
        o->rcvbuf[0] = o->rcvbuf[1] = (uint32_t)cli_parse_uint("--window", arg, 1u << 30);
        if (o->rcvbuf[0] < 1) cli_usage_error("--window: at least 1 byte");
        return true;
    case CONV_OPT_ACK:
        if (!strcmp(arg, "immediate")) o->delack = false;
        else if (!strcmp(arg, "delayed")) o->delack = true;
        else cli_usage_error("--ack: '%s' is not immediate or delayed", arg);
        v->ack_given = true;
        return true;
    case CONV_OPT_RTT: o->rtt = cli_parse_duration("--rtt", arg); conv_note_time(v, "--rtt", o->rtt); return true;
    case CONV_OPT_RATE: o->rate = parse_rate(arg); return true;
    case CONV_OPT_THINK: o->think = cli_parse_duration("--think", arg); conv_note_time(v, "--think", o->think); return true;
    case CONV_OPT_CLOSE: o->close = parse_close(arg); return true;
    case CONV_OPT_FAULT: parse_fault(v, arg); return true;
    case CONV_OPT_TRUTH: v->truth = true; return true;
    case CONV_OPT_ISN: parse_isn(v, arg); return true;
    case CONV_OPT_TIMEOUT:
        o->udp_timeout = cli_parse_duration("--timeout", arg);
        conv_note_time(v, "--timeout", o->udp_timeout);
        if (o->udp_timeout <= 0) cli_usage_error("--timeout: must be above 0");
        return true;
    case CONV_OPT_SEND: script_opt(v, PC_CONV_CLIENT, "--send", arg); return true;
    case CONV_OPT_RECV: script_opt(v, PC_CONV_SERVER, "--recv", arg); return true;
    case CONV_OPT_UDP: o->l4 = 17; return true;
    default: return craft_opt(&v->c, opt, arg, argv);
    }
}

/* ---- the run ---- */

/* Options of single-packet commands that have no meaning here. */
static void reject_packet_opts(const struct conv_cli *v)
{
    const struct craft *c = &v->c;
    if (c->count != 1) cli_usage_error("--count does not apply to a conversation (its packets follow from the script)");
    if (c->gap != 1000000) cli_usage_error("--gap does not apply to a conversation (use --rtt, --link-rate, --think)");
    if (c->have_payload) cli_usage_error("--data/--data-file/--hex do not apply here (use --send/--recv)");
    if (c->frag) cli_usage_error("--frag does not apply here (use --mtu, or --fault frag:N)");
    if (c->ipx.npieces) cli_usage_error("--frag-spec does not apply here (use --mtu, or --fault frag:N)");
    if (c->ipx.srr) cli_usage_error("--ip-opt lsrr/ssrr does not apply to a conversation (replies would carry the same route)");
}

/* Header bytes in front of the TCP/UDP header: build the first packet's
 * layers once and measure them (tunnel and extension headers included). */
static void measure_overhead(struct conv_cli *v)
{
    static uint8_t buf[2048];
    struct pc_pkt pk;
    struct craft probe = v->c;
    probe.nsets = 0;
    craft_begin(&probe, &pk, buf, sizeof buf, true);
    uint32_t link = 14 + 4u * (uint32_t)v->c.nvlan;
    v->o.link_overhead = link;
    v->o.net_overhead = pk.len > link ? (uint32_t)pk.len - link : 20;
}

static void adjust(void *ctx, size_t i, int proto, void *spec)
{
    struct conv_cli *v = ctx;
    (void)i;
    craft_apply(&v->c, proto == PC_P_TCP ? "tcp" : "udp", spec);
}

static void swap(uint8_t *a, uint8_t *b, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        uint8_t t = a[i];
        a[i] = b[i];
        b[i] = t;
    }
}

/* Frames go out in time order: fragments spread over their datagram's
 * serialization time may reach past the next packet's time, which then
 * follows them. */
static void conv_write(struct conv_cli *v, const uint8_t *frame, size_t len, pc_time_ns ts, uint32_t snaplen,
                       uint32_t flags)
{
    if (ts < v->last_ts) ts = v->last_ts;
    v->last_ts = ts;
    craft_write_at(&v->c, frame, len, ts, snaplen, flags);
}

struct frag_write {
    struct conv_cli *v;
    pc_time_ns ts;
    uint32_t snaplen, flags;
};

static int frag_write(void *ctx, const uint8_t *frag, size_t len)
{
    struct frag_write *fw = ctx;
    conv_write(fw->v, frag, len, fw->ts, fw->snaplen, fw->flags);
    /* fragments leave one after another at the link rate */
    fw->ts += (pc_time_ns)((uint64_t)len * UINT64_C(8000000000) / fw->v->o.rate);
    return 0;
}

/* Where the fragmentable part of a built packet starts: its L4 header. */
static uint32_t l4_offset(const struct pc_pkt *pk)
{
    for (int i = pk->n - 1; i >= 0; i--)
        if (pk->l[i].proto == PC_P_TCP || pk->l[i].proto == PC_P_UDP) return pk->l[i].off;
    return 0;
}

static void write_fragments(struct conv_cli *v, const struct pc_conv_pkt *p, struct pc_pkt *pk, size_t len, uint32_t flags)
{
    static uint8_t scratch[CRAFT_FRAME_CAP];
    static uint8_t other[CRAFT_FRAME_CAP];
    struct pc_frag_extra extra = { 0 };
    struct pc_frag_opts o = { .size = p->frag_size, .order = p->frag_order < 3 ? p->frag_order : PC_FRAG_IN_ORDER,
                              .seed = v->c.seed + p->frame, .ident = (uint32_t)pc_rng_next(&v->c.rng),
                              .buf = scratch, .cap = sizeof scratch };
    uint32_t l4 = l4_offset(pk);
    uint32_t total = (uint32_t)len - l4;
    if (p->frag_order == 3 && total > p->frag_size) {
        /* a fragment over the second piece with other bytes, sent last */
        uint32_t off = p->frag_size, n = total - off < p->frag_size ? total - off : p->frag_size;
        for (uint32_t i = 0; i < n; i++) other[i] = pk->buf[l4 + off + i] == 'X' ? 'Y' : 'X';
        extra = (struct pc_frag_extra){ .off = off, .len = n, .data = other, .at = UINT32_MAX };
        o.extra = &extra;
        o.nextra = 1;
    }
    struct frag_write fw = { .v = v, .ts = p->ts, .snaplen = p->snaplen, .flags = flags };
    int rc = pc_fragment(pk->buf, len, PC_LINK_ETHERNET, &o, frag_write, &fw);
    if (rc < 0) {
        pc_writer_abort(v->c.w);
        cli_runtime_error("cannot fragment packet %u: %s", p->frame, pc_strerror(rc));
    }
}

/* One address pair the packets of an addr-callback command used (DHCP:
 * 0.0.0.0 to broadcast, then server to client): a flow of its own. */
struct conv_pair {
    uint8_t a[16], b[16];      /* a: the sender of its first packet */
    uint16_t ap, bp;
    uint32_t *frames;
    size_t nframes, cap;
    uint64_t bytes[2];         /* payload bytes a->b, b->a */
};

static void note_pair(struct conv_cli *v, const struct pc_conv_pkt *p, const uint8_t *src, const uint8_t *dst)
{
    uint16_t sp = p->dir == PC_CONV_CLIENT ? v->o.sport : v->o.dport;
    uint16_t dp = p->dir == PC_CONV_CLIENT ? v->o.dport : v->o.sport;
    struct conv_pair *q = NULL;
    int way = 0;
    for (size_t i = 0; i < v->npairs && !q; i++) {
        struct conv_pair *r = &v->pairs[i];
        if (!memcmp(r->a, src, 16) && !memcmp(r->b, dst, 16) && r->ap == sp && r->bp == dp) q = r;
        else if (!memcmp(r->a, dst, 16) && !memcmp(r->b, src, 16) && r->ap == dp && r->bp == sp) { q = r; way = 1; }
    }
    if (!q) {
        struct conv_pair *np = realloc(v->pairs, (v->npairs + 1) * sizeof *np);
        if (!np) cli_runtime_error("out of memory");
        v->pairs = np;
        q = &v->pairs[v->npairs++];
        memset(q, 0, sizeof *q);
        memcpy(q->a, src, 16);
        memcpy(q->b, dst, 16);
        q->ap = sp;
        q->bp = dp;
    }
    while (q->nframes + p->nframes > q->cap) {
        q->cap = q->cap ? 2 * q->cap : 8;
        uint32_t *nf = realloc(q->frames, q->cap * sizeof *nf);
        if (!nf) cli_runtime_error("out of memory");
        q->frames = nf;
    }
    for (uint32_t k = 0; k < p->nframes && q->nframes < q->cap; k++) q->frames[q->nframes++] = p->frame + k;
    q->bytes[way] += p->len;
}

/* What build_one changes in the craft state for one packet. */
struct pkt_state {
    uint8_t src[16], dst[16], smac[6], dmac[6], osrc[16], odst[16];
    long ipid;
};

static void state_save(const struct craft *c, struct pkt_state *s)
{
    memcpy(s->src, c->src, 16);
    memcpy(s->dst, c->dst, 16);
    memcpy(s->smac, c->smac, 6);
    memcpy(s->dmac, c->dmac, 6);
    memcpy(s->osrc, c->outer_src, 16);
    memcpy(s->odst, c->outer_dst, 16);
    s->ipid = c->ipid;
}

static void state_restore(struct craft *c, const struct pkt_state *s)
{
    memcpy(c->src, s->src, 16);
    memcpy(c->dst, s->dst, 16);
    memcpy(c->smac, s->smac, 6);
    memcpy(c->dmac, s->dmac, 6);
    memcpy(c->outer_src, s->osrc, 16);
    memcpy(c->outer_dst, s->odst, 16);
    c->ipid = s->ipid;
    c->corrupt_ipcsum = false;
}

static void build_one(struct conv_cli *v, const struct pc_conv *cv, size_t i)
{
    static uint8_t buf[CRAFT_FRAME_CAP];
    const struct pc_conv_pkt *p = &cv->pkts[i];
    struct craft *c = &v->c;
    struct pkt_state save;
    state_save(c, &save);
    if (p->dir == PC_CONV_SERVER) {
        swap(c->src, c->dst, 16);
        swap(c->smac, c->dmac, 6);
        swap(c->outer_src, c->outer_dst, 16);
    }
    if (v->addr) {
        v->addr(v->addr_ctx, p, c->ipver, c->src, c->dst, c->smac, c->dmac);
        note_pair(v, p, c->src, c->dst);
    }
    if (c->ipid < 0) c->ipid = p->ip_id;
    c->cur_pkt = p->frame;
    c->corrupt_ipcsum = p->bad_ipcsum;
    struct pc_pkt pk;
    craft_begin(c, &pk, buf, sizeof buf, true);
    int rc = pc_conv_push_l4(cv, i, &pk, adjust, v);
    craft_check_layers(c);
    int len = rc < 0 ? rc : pc_pkt_finalize(&pk);
    state_restore(c, &save);
    if (len < 0) {
        pc_writer_abort(c->w);
        cli_runtime_error("cannot build packet %u: %s", p->frame, pc_strerror(len));
    }
    /* pcapng: outbound for the client, whose side the capture is on */
    uint32_t flags = p->dir == PC_CONV_CLIENT ? 2 : 1;
    if (p->frag_size) write_fragments(v, p, &pk, (size_t)len, flags);
    else conv_write(v, pk.buf, (size_t)len, p->ts, p->snaplen, flags);
}

/* ---- truth ---- */

static void put_addr(struct pc_fmt *f, const char *key, int ver, const uint8_t *a)
{
    char s[46];
    if (ver == 4) pc_fmt_ip4(a, s);
    else pc_fmt_ip6(a, s);
    pc_fmt_kstr(f, key, s);
}

static void put_bytes(struct pc_fmt *f, const char *key, const uint8_t *p, uint64_t n, uint64_t sent)
{
    uint8_t d[32];
    char hex[65];
    pc_sha256(p, n, d);
    pc_hex(d, 32, hex);
    pc_fmt_kobj_open(f, key);
    pc_fmt_kuint(f, "sent", sent);
    pc_fmt_kuint(f, "delivered", n);
    pc_fmt_kstr(f, "sha256", hex);
    pc_fmt_kobj_close(f);
}

static const char *close_name(int c)
{
    static const char *const n[] = { "client-fin", "server-fin", "half-close", "rst", "server-rst", "none" };
    return c >= 0 && c <= PC_CLOSE_NONE ? n[c] : "?";
}

static void put_events(struct pc_fmt *f, const struct pc_conv *cv)
{
    static const struct { uint32_t bit; const char *name; } w[] = {
        { PC_CW_RETRANS, "retransmission" }, { PC_CW_FAST, "fast_retransmission" }, { PC_CW_DUPACK, "dup_ack" },
        { PC_CW_PROBE, "zero_window_probe" }, { PC_CW_WINUPD, "window_update" }, { PC_CW_OVERLAP, "overlap" },
        { PC_CW_DUPLICATE, "duplicate" },
    };
    pc_fmt_karr_open(f, "events");
    for (size_t i = 0; i < cv->npkts; i++) {
        const struct pc_conv_pkt *p = &cv->pkts[i];
        if (!p->why && !p->faults && !p->bad_l4csum) continue;
        pc_fmt_kobj_open(f, NULL);
        pc_fmt_kuint(f, "packet", p->frame);
        if (p->nframes > 1) pc_fmt_kuint(f, "frames", p->nframes);
        pc_fmt_karr_open(f, "what");
        for (size_t k = 0; k < sizeof w / sizeof w[0]; k++)
            if (p->why & w[k].bit) pc_fmt_kstr(f, NULL, w[k].name);
        for (int k = 1; k < PC_FAULT__COUNT; k++) {
            char name[32];
            snprintf(name, sizeof name, "fault_%s", pc_conv_fault_name(k));
            if (p->faults >> k & 1) pc_fmt_kstr(f, NULL, name);
        }
        pc_fmt_karr_close(f);
        pc_fmt_kobj_close(f);
    }
    pc_fmt_karr_close(f);
}

static void put_faults(struct pc_fmt *f, const struct pc_conv *cv)
{
    pc_fmt_karr_open(f, "faults");
    for (size_t i = 0; i < cv->nfaults; i++) {
        const struct pc_conv_fault_result *r = &cv->faults[i];
        pc_fmt_kobj_open(f, NULL);
        pc_fmt_kstr(f, "fault", pc_conv_fault_name(r->f.kind));
        pc_fmt_kuint(f, "packet", r->f.pkt[0]);
        if (r->f.kind == PC_FAULT_REORDER) pc_fmt_kuint(f, "after", r->f.pkt[1]);
        pc_fmt_kbool(f, "applied", r->applied);
        pc_fmt_karr_open(f, "packets");
        for (uint32_t k = 0; k < r->npkts; k++) {
            char num[16];
            snprintf(num, sizeof num, "%u", r->pkts[k]);
            pc_fmt_raw(f, num);
        }
        pc_fmt_karr_close(f);
        if (r->note[0]) pc_fmt_kstr(f, "note", r->note);
        pc_fmt_kobj_close(f);
    }
    pc_fmt_karr_close(f);
}

static void put_flow(struct pc_fmt *f, const struct conv_cli *v, const struct pc_conv *cv, uint32_t frames)
{
    const struct craft *c = &v->c;
    pc_fmt_karr_open(f, "flows");
    pc_fmt_kobj_open(f, NULL);
    pc_fmt_kstr(f, "proto", v->o.l4 == 6 ? "tcp" : "udp");
    pc_fmt_kobj_open(f, "client");
    put_addr(f, "ip", c->ipver, c->src);
    pc_fmt_kuint(f, "port", v->o.sport);
    pc_fmt_kobj_close(f);
    pc_fmt_kobj_open(f, "server");
    put_addr(f, "ip", c->ipver, c->dst);
    pc_fmt_kuint(f, "port", v->o.dport);
    pc_fmt_kobj_close(f);
    pc_fmt_karr_open(f, "packet_ranges");
    if (frames) {
        char range[32];
        snprintf(range, sizeof range, "[1,%u]", frames);
        pc_fmt_raw(f, range);
    }
    pc_fmt_karr_close(f);
    pc_fmt_kuint(f, "packets", frames);
    if (v->o.l4 == 6) {
        pc_fmt_kbool(f, "handshake", cv->handshake_seen);
        pc_fmt_kstr(f, "close", close_name(v->o.close));
        pc_fmt_kuint(f, "client_isn", cv->isn[0]);
        pc_fmt_kuint(f, "server_isn", cv->isn[1]);
    }
    /* delivered[1] is what the server received: the client's bytes */
    put_bytes(f, "client_to_server", cv->delivered[1], cv->ndelivered[1], cv->nsent[0]);
    put_bytes(f, "server_to_client", cv->delivered[0], cv->ndelivered[0], cv->nsent[1]);
    pc_fmt_kobj_close(f);
    pc_fmt_karr_close(f);
}

/* Commands whose packets change addresses (DHCP): one flow per address
 * pair with its packets and payload bytes; the conversation's delivered
 * bytes apart. */
static void put_pairs(struct pc_fmt *f, const struct conv_cli *v, const struct pc_conv *cv)
{
    pc_fmt_karr_open(f, "flows");
    for (size_t i = 0; i < v->npairs; i++) {
        const struct conv_pair *q = &v->pairs[i];
        pc_fmt_kobj_open(f, NULL);
        pc_fmt_kstr(f, "proto", v->o.l4 == 6 ? "tcp" : "udp");
        pc_fmt_kobj_open(f, "from"); /* the sender of its first packet */
        put_addr(f, "ip", v->c.ipver, q->a);
        pc_fmt_kuint(f, "port", q->ap);
        pc_fmt_kobj_close(f);
        pc_fmt_kobj_open(f, "to");
        put_addr(f, "ip", v->c.ipver, q->b);
        pc_fmt_kuint(f, "port", q->bp);
        pc_fmt_kobj_close(f);
        pc_fmt_karr_open(f, "packet_list");
        for (size_t k = 0; k < q->nframes; k++) {
            char num[16];
            snprintf(num, sizeof num, "%u", q->frames[k]);
            pc_fmt_raw(f, num);
        }
        pc_fmt_karr_close(f);
        pc_fmt_kuint(f, "packets", q->nframes);
        pc_fmt_kuint(f, "from_to_bytes", q->bytes[0]);
        pc_fmt_kuint(f, "to_from_bytes", q->bytes[1]);
        pc_fmt_kobj_close(f);
    }
    pc_fmt_karr_close(f);
    pc_fmt_kobj_open(f, "conversation");
    put_bytes(f, "client_to_server", cv->delivered[1], cv->ndelivered[1], cv->nsent[0]);
    put_bytes(f, "server_to_client", cv->delivered[0], cv->ndelivered[0], cv->nsent[1]);
    pc_fmt_kobj_close(f);
}

static void write_truth(struct conv_cli *v, const struct pc_conv *cv, conv_facts_fn facts, void *ctx)
{
    struct pc_fmt f;
    pc_fmt_init_grow(&f, true);
    uint32_t frames = cv->npkts ? cv->pkts[cv->npkts - 1].frame + cv->pkts[cv->npkts - 1].nframes - 1 : 0;
    pc_fmt_kobj_open(&f, NULL);
    pc_fmt_kuint(&f, "pktcraft_truth", 1);
    pc_fmt_kstr(&f, "capture", v->c.out);
    pc_fmt_kstr(&f, "command", cli_cmd);
    pc_fmt_kuint(&f, "packets", frames);
    pc_fmt_kts(&f, "start", v->o.start);
    pc_fmt_kuint(&f, "seed", v->o.seed);
    if (v->addr) put_pairs(&f, v, cv);
    else put_flow(&f, v, cv, frames);
    pc_fmt_kobj_open(&f, "app");
    if (facts) facts(ctx, &f);
    pc_fmt_kobj_close(&f);
    put_faults(&f, cv);
    put_events(&f, cv);
    pc_fmt_kobj_close(&f);
    pc_fmt_newline(&f);
    if (f.err) cli_runtime_error("out of memory");
    char path[4096], tmp[4120];
    if ((size_t)snprintf(path, sizeof path, "%s.truth.json", v->c.out) >= sizeof path) cli_usage_error("-o: name too long");
    snprintf(tmp, sizeof tmp, "%s.tmp%d", path, (int)getpid());
    FILE *out = fopen(tmp, "wb");
    if (!out) cli_runtime_error("%s: %s", tmp, strerror(errno));
    size_t n = fwrite(f.buf, 1, f.len, out);
    int bad = n != f.len || fflush(out) != 0;
    bad |= fclose(out) != 0;
    if (bad || rename(tmp, path) != 0) {
        int e = errno;
        remove(tmp);
        cli_runtime_error("%s: %s", path, strerror(e));
    }
    pc_fmt_free(&f);
}

int conv_run(struct conv_cli *v, conv_facts_fn facts, void *ctx)
{
    reject_packet_opts(v);
    craft_single_only(&v->c);
    /* first: ntp has moved --start by its --processing */
    if (v->fine_opt) craft_check_resolution(&v->c, v->fine_opt, v->fine_ns);
    craft_finish_args(&v->c, conv_layers(v));
    if (!v->dport_given) cli_usage_error("--dport is required");
    if (!v->nsteps) cli_usage_error("nothing to say: give at least one --send or --recv");
    if (v->truth && craft_sink)
        cli_usage_error("--truth: a script statement has no file of its own; run the command alone for its truth file");
    if (v->truth && !strcmp(v->c.out, "-")) cli_usage_error("--truth needs -o FILE (it writes FILE.truth.json)");
    for (size_t i = 0; i < v->nfaults; i++)
        if (v->faults[i].kind == PC_FAULT_CORRUPT && v->faults[i].arg == 1 && v->c.ipver == 6)
            cli_usage_error("--fault corrupt:N:ip: IPv6 has no header checksum");
    v->o.start = v->c.start;
    v->o.seed = v->c.seed;
    if (!v->sport_given) { /* a client port from the seed, in Linux's ephemeral range */
        struct pc_rng r;
        pc_rng_seed(&r, v->c.seed ^ UINT64_C(0x5350)); /* "SP" */
        v->o.sport = (uint16_t)(32768 + pc_rng_below(&r, 28232));
    }
    if (!v->ack_given) v->o.delack = true;
    v->o.faults = v->faults;
    v->o.nfaults = v->nfaults;
    measure_overhead(v);
    struct pc_err err;
    struct pc_conv *cv = pc_conv_run(&v->o, v->steps, v->nsteps, &err);
    if (!cv) {
        if (err.code == PC_EINVAL) cli_usage_error("%s", err.msg);
        cli_runtime_error("%s", err.msg);
    }
    v->c.numbered = true;
    if (v->o.l4 != 6) craft_expect(&v->c, "udp");
    craft_open(&v->c, PC_LINK_ETHERNET);
    for (size_t i = 0; i < cv->npkts; i++) build_one(v, cv, i);
    craft_close(&v->c);
    if (v->truth) write_truth(v, cv, facts, ctx);
    pc_conv_free(cv);
    for (size_t i = 0; i < v->nsteps; i++) free((void *)v->steps[i].data);
    free(v->steps);
    for (size_t i = 0; i < v->npairs; i++) free(v->pairs[i].frames);
    free(v->pairs);
    return EXIT_OK;
}

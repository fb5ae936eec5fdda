/* Per-packet values and bookkeeping of the crafting commands: the sets of
 * --src/--dst/--sport/--dport/--smac/--dmac walked by --step, --rate,
 * --append continuing the file's clock, the default seed from the
 * command's own arguments, one comment per packet, and --reply-to (the
 * answer to packets of a capture, with --interleave writing both). */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "craft.h"
#include "pktcraft/wire/tcp.h"

struct craft_reply {
    const char *spec;           /* as given, for messages */
    char path[4096];
    uint64_t first, last;       /* packet numbers to answer */
    pc_time_ns rtt;
    bool interleave, vlan_given, payload_given, loaded;
    struct pc_reader *r;        /* the packets answered */
    uint64_t num;               /* packets read from r */
    uint64_t answered;          /* requests handed to craft_begin */
    struct craft_req req;
    /* --interleave: the captured packets, written in time order */
    struct pc_reader *copy;
    struct pc_pkthdr ch;
    const uint8_t *cdata;
    bool copy_pending, copy_done;
};

static const char *const field_opt[VF_N] = { "--smac", "--dmac", "--src", "--dst", "--sport", "--dport" };

static struct craft_reply *reply_of(struct craft *c)
{
    if (!c->reply && !(c->reply = calloc(1, sizeof *c->reply))) cli_runtime_error("out of memory");
    return c->reply;
}

/* FILE, FILE:N, FILE:A-B or FILE:all (a ':' inside FILE stays when what
 * follows the last one is none of these). */
static void parse_reply_to(struct craft *c, const char *arg)
{
    struct craft_reply *r = reply_of(c);
    r->spec = arg;
    if (strlen(arg) >= sizeof r->path) cli_usage_error("--reply-to: the file name is too long");
    snprintf(r->path, sizeof r->path, "%s", arg);
    r->first = r->last = 1;
    char *colon = strrchr(r->path, ':');
    if (!colon) return;
    const char *sel = colon + 1;
    if (!strcmp(sel, "all")) {
        r->last = UINT64_MAX;
    } else if (*sel && strspn(sel, "0123456789-") == strlen(sel)) {
        char buf[64];
        snprintf(buf, sizeof buf, "%s", sel);
        char *dash = strchr(buf, '-');
        if (dash) *dash = 0;
        r->first = cli_parse_uint("--reply-to", buf, UINT64_MAX);
        r->last = dash ? cli_parse_uint("--reply-to", dash + 1, UINT64_MAX) : r->first;
        if (!r->first || r->last < r->first)
            cli_usage_error("--reply-to: '%s': packets are numbered from 1, N or A-B with A <= B", sel);
    } else {
        return;
    }
    *colon = 0;
}

static void add_comment(struct craft *c, const char *s)
{
    const char **p = realloc(c->comments, (c->ncomments + 1) * sizeof *p);
    if (!p) cli_runtime_error("out of memory");
    c->comments = p;
    c->comments[c->ncomments++] = s;
    c->comment = c->comments[0];
}

bool craft_bk_opt(struct craft *c, int opt, const char *arg)
{
    switch (opt) {
    case OPT_COMMENT: add_comment(c, arg); return true;
    case OPT_COMMENT_FILE: c->comment_file = arg; return true;
    case OPT_STEP:
        if (!strcmp(arg, "sequential")) c->vary.step = VARY_SEQUENTIAL;
        else if (!strcmp(arg, "random")) c->vary.step = VARY_RANDOM;
        else cli_usage_error("--step: '%s' is not sequential or random", arg);
        return true;
    case OPT_RATE:
        c->rate = cli_parse_uint("--rate", arg, 1000000000);
        if (!c->rate) cli_usage_error("--rate: at least 1 packet per second");
        return true;
    case OPT_REPLY_TO: parse_reply_to(c, arg); return true;
    case OPT_RTT: reply_of(c)->rtt = cli_parse_duration("--rtt", arg); return true;
    case OPT_INTERLEAVE: reply_of(c)->interleave = true; return true;
    default: return false;
    }
}

/* ---- sets ---- */

void craft_addr_opt(struct craft *c, int field, const char *opt, const char *arg, uint8_t *out)
{
    struct vary_set *s = &c->vary.f[field];
    char err[1024];
    if (vary_parse(s, field <= VF_DMAC ? VARY_MAC : VARY_IP, opt, arg, err, sizeof err) < 0) cli_usage_error("%s", err);
    if (field > VF_DMAC) memset(out, 0, 16);
    vary_at(s, (struct vary_u128){ 0, 0 }, out);
}

uint16_t craft_port_opt(struct craft *c, int field, const char *opt, const char *arg)
{
    struct vary_set *s = &c->vary.f[field];
    char err[1024];
    if (vary_parse(s, VARY_PORT, opt, arg, err, sizeof err) < 0) cli_usage_error("%s", err);
    uint8_t v[2];
    vary_at(s, (struct vary_u128){ 0, 0 }, v);
    return (uint16_t)(v[0] << 8 | v[1]);
}

long craft_port(const struct craft *c, int field)
{
    const struct vary_set *s = &c->vary.f[field];
    if (vary_varies(s)) return c->vary.cur[field][0] << 8 | c->vary.cur[field][1];
    if (c->reply && !s->n) return field == VF_SPORT ? c->reply->req.dport : c->reply->req.sport;
    return -1;
}

void craft_single_only(const struct craft *c)
{
    for (int k = 0; k < VF_N; k++)
        if (vary_varies(&c->vary.f[k]))
            cli_usage_error("%s: a conversation has one client and one server: give one value (ranges, lists, "
                            "prefixes and random are for the single-packet commands)", field_opt[k]);
    if (c->vary.step != VARY_SEQUENTIAL) cli_usage_error("--step does not apply to a conversation");
    if (c->rate) cli_usage_error("--rate does not apply to a conversation (use --rtt, --link-rate, --think)");
    if (c->reply) cli_usage_error("--reply-to does not apply to a conversation (it writes both sides itself)");
}

/* ---- the default seed ---- */

/* Whether s is --output (or a unique abbreviation of it) or -o/-w. */
static bool is_output_opt(const char *s, bool *joined)
{
    *joined = false;
    if ((s[0] == '-' && (s[1] == 'o' || s[1] == 'w'))) { *joined = s[2] != 0; return true; }
    if (strncmp(s, "--outp", 6)) return false;
    const char *eq = strchr(s, '=');
    size_t n = eq ? (size_t)(eq - s) : strlen(s);
    if (n > 8 || strncmp(s, "--output", n)) return false;
    *joined = eq != NULL;
    return true;
}

/* FNV-1a over the command name and its arguments, -o/--output and its
 * file left out: the same command gives the same bytes whatever file it
 * writes, and two different commands give different ids and ports. */
static uint64_t args_seed(const struct craft *c)
{
    uint64_t h = UINT64_C(0xcbf29ce484222325);
    for (char **a = c->argv; a && *a; a++) {
        bool joined;
        if (a != c->argv && is_output_opt(*a, &joined)) {
            if (!joined && a[1]) a++;
            continue;
        }
        for (const char *p = *a;; p++) { /* the NUL too: "ab","c" differs from "a","bc" */
            h = (h ^ (uint8_t)*p) * UINT64_C(0x100000001b3);
            if (!*p) break;
        }
    }
    return h;
}

/* ---- --append: the file's clock ---- */

/* The timestamp of the last packet of the file --append adds to, or -1
 * when there is none (no file yet, or no packet). */
static pc_time_ns last_ts(const char *path)
{
    struct stat st;
    if (!strcmp(path, "-") || (stat(path, &st) < 0 && errno == ENOENT)) return -1;
    struct pc_err err = { 0 };
    struct pc_reader *r = pc_reader_open(path, &err);
    if (!r) cli_runtime_error("--append: %s", err.msg);
    struct pc_pkthdr h;
    const uint8_t *data;
    pc_time_ns ts = -1;
    int rc;
    while ((rc = pc_reader_next(r, &h, &data)) > 0) ts = h.ts;
    if (rc < 0) {
        char msg[sizeof err.msg];
        snprintf(msg, sizeof msg, "%s", pc_reader_err(r)->msg);
        pc_reader_close(r);
        cli_runtime_error("--append: %s: %s", path, msg);
    }
    pc_reader_close(r);
    return ts;
}

/* ---- --comment-file ---- */

static void load_comment_file(struct craft *c)
{
    FILE *f = fopen(c->comment_file, "rb");
    if (!f) cli_runtime_error("--comment-file: %s: %s", c->comment_file, strerror(errno));
    size_t cap = 4096, n = 0;
    char *t = malloc(cap);
    size_t got;
    while (t && (got = fread(t + n, 1, cap - n - 1, f)) > 0) {
        n += got;
        if (n + 1 == cap) {
            char *g = cap > (SIZE_MAX >> 2) ? NULL : realloc(t, cap * 2);
            if (!g) { free(t); t = NULL; break; }
            t = g;
            cap *= 2;
        }
    }
    bool bad = ferror(f);
    fclose(f);
    if (!t) cli_runtime_error("out of memory");
    if (bad) { free(t); cli_runtime_error("--comment-file: %s: read error", c->comment_file); }
    t[n] = 0;
    if (memchr(t, 0, n)) { free(t); cli_usage_error("--comment-file: %s holds a NUL byte", c->comment_file); }
    c->comment_text = t;
    for (char *p = t; *p;) {
        char *nl = strchr(p, '\n');
        if (nl) *nl = 0;
        size_t len = strlen(p);
        if (len && p[len - 1] == '\r') p[len - 1] = 0;
        add_comment(c, p);
        if (!nl) break;
        p = nl + 1;
    }
    if (!c->ncomments) cli_usage_error("--comment-file: %s is empty", c->comment_file);
}

const char *craft_bk_comment(const struct craft *c, uint32_t *len)
{
    const char *p = c->comment;
    if (c->ncomments > 1) {
        uint64_t k = c->cur_pkt ? c->cur_pkt - 1 : c->frames; /* raw has no craft_begin */
        p = k < c->ncomments ? c->comments[k] : NULL;
    }
    if (p && !*p) p = NULL; /* an empty line of --comment-file: no comment */
    *len = p ? (uint32_t)strlen(p) : 0;
    return p;
}

/* ---- --reply-to ---- */

static bool is_bcast(const uint8_t *mac) { return mac[0] & 1; }

/* Decode packet h/data; true when this command can answer it (then q is
 * filled). */
static bool decode_req(int want, const struct pc_pkthdr *h, const uint8_t *data, struct craft_req *q)
{
    struct pc_decoded d;
    pc_decode_flags(&d, data, h->caplen, h->len, h->linktype, PC_DEC_NO_L4CSUM);
    struct pc_summary s;
    pc_decode_summary(&d, &s);
    memset(q, 0, sizeof *q);
    q->ts = h->ts;
    for (int i = 0; i < d.n; i++) {
        const uint8_t *p = pc_layer_hdr(&d, i);
        uint32_t have = pc_layer_caphdr(&d, i);
        if (d.l[i].proto == PC_P_ETH && i == 0 && have >= 12) {
            memcpy(q->dmac, p, 6);
            memcpy(q->smac, p + 6, 6);
        } else if (d.l[i].proto == PC_P_VLAN && q->nvlan < 2 && have >= 2 && (s.ip < 0 || i < s.ip)) {
            q->vid[q->nvlan] = (uint16_t)((p[0] << 8 | p[1]) & 0xFFF);
            q->pcp[q->nvlan++] = (uint8_t)(p[0] >> 5);
        } else if (d.l[i].proto == PC_P_ARP && want == REPLY_ARP && have >= 28 && p[4] == 6 && p[5] == 4) {
            q->arp_op = (uint16_t)(p[6] << 8 | p[7]);
            memcpy(q->sha, p + 8, 6);
            memcpy(q->src, p + 14, 4);
            memcpy(q->dst, p + 24, 4);
            return q->arp_op == 1;
        }
    }
    if (want == REPLY_ARP || s.l4 < 0 || !s.src) return false;
    q->ipver = s.family;
    memcpy(q->src, s.src, s.family == 4 ? 4 : 16);
    memcpy(q->dst, s.dst, s.family == 4 ? 4 : 16);
    const uint8_t *l4 = pc_layer_hdr(&d, s.l4);
    uint32_t have = pc_layer_caphdr(&d, s.l4), hl = d.l[s.l4].hlen;
    q->sport = s.sport;
    q->dport = s.dport;
    q->dlen = d.l[s.l4].plen;
    q->data = l4 + hl;
    switch (want) {
    case REPLY_TCP:
        if (s.l4_proto != PC_P_TCP || have < 20 || (s.tcp_flags & PC_TCP_RST)) return false;
        q->seq = (uint32_t)l4[4] << 24 | (uint32_t)l4[5] << 16 | (uint32_t)l4[6] << 8 | l4[7];
        q->ack = (uint32_t)l4[8] << 24 | (uint32_t)l4[9] << 16 | (uint32_t)l4[10] << 8 | l4[11];
        q->flags = s.tcp_flags;
        return true;
    case REPLY_UDP: return s.l4_proto == PC_P_UDP;
    case REPLY_ECHO4:
    case REPLY_ECHO6:
        if (s.l4_proto != (want == REPLY_ECHO4 ? PC_P_ICMP : PC_P_ICMP6) || have < 8) return false;
        if (s.icmp_type != (want == REPLY_ECHO4 ? 8 : 128)) return false;
        q->icmp_id = (uint16_t)(l4[4] << 8 | l4[5]);
        q->icmp_seq = (uint16_t)(l4[6] << 8 | l4[7]);
        if (hl < 8) { q->data = l4 + 8; q->dlen = q->dlen > 8 - hl ? q->dlen - (8 - hl) : 0; }
        return true;
    default: return false;
    }
}

/* The next packet of the file this command answers, within the numbers
 * asked; false at the end. */
static bool next_req(struct craft *c)
{
    struct craft_reply *r = c->reply;
    struct pc_pkthdr h;
    const uint8_t *data;
    while (r->num < r->last) {
        int rc = pc_reader_next(r->r, &h, &data);
        if (rc < 0) {
            pc_writer_abort(c->w);
            cli_runtime_error("--reply-to: %s: %s", r->path, pc_reader_err(r->r)->msg);
        }
        if (rc == 0) return false;
        r->num++;
        if (r->num < r->first) continue;
        if (decode_req(c->reply_want, &h, data, &r->req)) {
            /* the payload stays in the reader's buffer until the next call */
            r->req.num = r->num;
            if (r->req.dlen > h.caplen - (size_t)(r->req.data - data)) r->req.dlen = h.caplen - (size_t)(r->req.data - data);
            return true;
        }
        if (r->first == r->last) {
            pc_writer_abort(c->w);
            cli_runtime_error("--reply-to: packet %llu of %s is not one %s can answer", (unsigned long long)r->num,
                              r->path, cli_cmd);
        }
    }
    return false;
}

static struct pc_reader *open_capture(const char *path)
{
    struct pc_err err = { 0 };
    struct pc_reader *rd = pc_reader_open(path, &err);
    if (!rd) cli_runtime_error("--reply-to: %s", err.msg);
    return rd;
}

/* The request's addresses, MACs and VLAN tags, swapped, where the
 * options did not give them. */
static void apply_req(struct craft *c)
{
    const struct craft_req *q = &c->reply->req;
    int ver = q->ipver ? q->ipver : 4;
    bool src = !c->vary.f[VF_SRC].n, dst = !c->vary.f[VF_DST].n;
    if (src) { memset(c->src, 0, 16); memcpy(c->src, q->dst, ver == 4 ? 4 : 16); c->have_src = true; }
    if (dst) { memset(c->dst, 0, 16); memcpy(c->dst, q->src, ver == 4 ? 4 : 16); c->have_dst = true; }
    if (src && dst) c->ipver = ver;
    else if (c->ipver != ver)
        cli_usage_error("--reply-to: packet %llu of %s is IPv%d but --src/--dst are IPv%d", (unsigned long long)q->num,
                        c->reply->path, ver, c->ipver);
    if (!c->vary.f[VF_SMAC].n) {
        /* a broadcast (ARP who-has) names no MAC to answer from: the default
         * pair's other host */
        static const uint8_t one[6] = { 2, 0, 0, 0, 0, 1 }, two[6] = { 2, 0, 0, 0, 0, 2 };
        if (!is_bcast(q->dmac)) memcpy(c->smac, q->dmac, 6);
        else memcpy(c->smac, memcmp(q->smac, two, 6) ? two : one, 6);
    }
    if (!c->dmac_given) memcpy(c->dmac, q->smac, 6);
    if (!c->reply->vlan_given) {
        c->nvlan = q->nvlan;
        for (int k = 0; k < q->nvlan; k++) {
            c->vlan[k].vid = q->vid[k];
            c->vlan[k].pcp = q->pcp[k];
        }
    }
}

void craft_reply_load(struct craft *c)
{
    struct craft_reply *r = c->reply;
    if (!r || r->loaded) return;
    if (!r->spec) cli_usage_error("--rtt and --interleave go with --reply-to");
    if (c->reply_want == REPLY_NONE) cli_usage_error("--reply-to: %s does not answer packets", cli_cmd);
    r->loaded = true;
    if (vary_active(&c->vary))
        cli_usage_error("--reply-to takes addresses and ports from the packets it answers: ranges, lists and random "
                        "do not go with it");
    if (c->vary.step != VARY_SEQUENTIAL) cli_usage_error("--step does not go with --reply-to");
    if (!r->rtt) r->rtt = 1000000;
    r->vlan_given = c->nvlan > 0;
    r->payload_given = c->have_payload;
    /* count the packets to answer, then read the first of them */
    uint64_t n = 0;
    r->r = open_capture(r->path);
    while (next_req(c)) n++;
    pc_reader_close(r->r);
    if (!n)
        cli_runtime_error("--reply-to: %s has no packet %s can answer%s", r->path, cli_cmd,
                          r->first == 1 && r->last == UINT64_MAX ? "" : " among those asked");
    c->count = c->count_given && c->count < n ? c->count : n;
    r->num = 0;
    r->r = open_capture(r->path);
    next_req(c);
    apply_req(c);
    if (r->interleave) {
        r->copy = open_capture(r->path);
        if (pc_reader_linktype(r->copy) != PC_LINK_ETHERNET)
            cli_usage_error("--interleave: %s is not an Ethernet capture (the replies are Ethernet frames)", r->path);
    }
}

const struct craft_req *craft_req(const struct craft *c) { return c->reply ? &c->reply->req : NULL; }

void craft_bk_flush(struct craft *c, pc_time_ns upto)
{
    struct craft_reply *r = c->reply;
    if (!r || !r->copy) return;
    while (!r->copy_done) {
        if (!r->copy_pending) {
            int rc = pc_reader_next(r->copy, &r->ch, &r->cdata);
            if (rc < 0) {
                pc_writer_abort(c->w);
                cli_runtime_error("--interleave: %s: %s", r->path, pc_reader_err(r->copy)->msg);
            }
            if (rc == 0) { r->copy_done = true; return; }
            r->copy_pending = true;
        }
        if (r->ch.ts > upto) return;
        struct pc_wpacket p = { .ts = r->ch.ts, .data = r->cdata, .caplen = r->ch.caplen, .len = r->ch.len };
        if (pc_writer_write_ex(c->w, &p) < 0) {
            char msg[sizeof pc_writer_err(c->w)->msg];
            snprintf(msg, sizeof msg, "%s", pc_writer_err(c->w)->msg);
            pc_writer_abort(c->w);
            cli_runtime_error("--interleave: %s", msg);
        }
        r->copy_pending = false;
    }
}

/* ---- the hooks of craft.c ---- */

void craft_bk_finish(struct craft *c)
{
    if (c->finished) return;
    c->finished = true;
    if (c->rate && c->gap_given) cli_usage_error("--rate and --gap both set the time between packets: give one");
    if (c->comment_file) {
        if (c->ncomments) cli_usage_error("--comment and --comment-file: give one");
        load_comment_file(c);
    }
    if (!c->seed_given) c->seed = args_seed(c);
    pc_rng_seed(&c->vary.rng, c->seed ^ UINT64_C(0x76617279)); /* "vary": apart from the packets' own draws */
    c->varying = vary_active(&c->vary); /* read for every packet: the options no longer change */
    if (c->reply) {
        craft_reply_load(c);
    } else if (vary_active(&c->vary) && !c->count_given) {
        uint64_t p = vary_product(&c->vary);
        if (p > VARY_MAX_DEFAULT_COUNT)
            cli_usage_error("the value sets make %s%llu packets, more than the %d made without -c: give -c N",
                            p == UINT64_MAX ? "over " : "", (unsigned long long)p, VARY_MAX_DEFAULT_COUNT);
        c->count = p;
    }
    if (c->append && !c->start_given) {
        pc_time_ns last = last_ts(c->out ? c->out : "-");
        if (last >= 0) c->start = last + (c->rate ? (pc_time_ns)(1000000000 / c->rate) : c->gap);
    }
}

void craft_bk_packet(struct craft *c)
{
    if (c->reply) {
        struct craft_reply *r = c->reply;
        if (r->answered++ && next_req(c)) apply_req(c);
        if (c->reply_want == REPLY_ECHO4 || c->reply_want == REPLY_ECHO6) {
            if (!r->payload_given) { /* the echo's data comes back */
                if (!c->payload && !(c->payload = malloc(CRAFT_MAX_PAYLOAD))) cli_runtime_error("out of memory");
                c->plen = r->req.dlen < CRAFT_MAX_PAYLOAD ? r->req.dlen : CRAFT_MAX_PAYLOAD;
                if (c->plen) memcpy(c->payload, r->req.data, c->plen);
            }
        }
        return;
    }
    if (!c->varying) return;
    vary_pick(&c->vary, c->cur_pkt ? c->cur_pkt - 1 : 0);
    if (vary_varies(&c->vary.f[VF_SRC])) memcpy(c->src, c->vary.cur[VF_SRC], 16);
    if (vary_varies(&c->vary.f[VF_DST])) memcpy(c->dst, c->vary.cur[VF_DST], 16);
    if (vary_varies(&c->vary.f[VF_SMAC])) memcpy(c->smac, c->vary.cur[VF_SMAC], 6);
    if (vary_varies(&c->vary.f[VF_DMAC])) memcpy(c->dmac, c->vary.cur[VF_DMAC], 6);
}

pc_time_ns craft_bk_ts(struct craft *c)
{
    if (c->reply && !c->start_given) return c->reply->req.ts + c->reply->rtt;
    uint64_t i = c->frames;
    if (c->rate) /* start + i * 1e9 / rate, rounded down, without overflow or drift */
        return c->start + (pc_time_ns)(i / c->rate) * 1000000000 + (pc_time_ns)((i % c->rate) * 1000000000 / c->rate);
    return c->start + (pc_time_ns)i * c->gap;
}

void craft_bk_close(struct craft *c)
{
    struct craft_reply *r = c->reply;
    if (r) {
        craft_bk_flush(c, INT64_MAX);
        if (r->r) pc_reader_close(r->r);
        if (r->copy) pc_reader_close(r->copy);
        free(r);
        c->reply = NULL;
    }
    free(c->comments);
    c->comments = NULL;
    c->ncomments = 0;
    free(c->comment_text);
    c->comment_text = NULL;
}

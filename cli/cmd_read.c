/* pktcraft read: decode a capture file, one line or JSON object per packet. */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "filter.h"
#include "pktcraft/analysis/http.h"
#include "pktcraft/analysis/tls.h"
#include "pktcraft/core/fmt.h"
#include "read_hold.h"

enum fmt { FMT_TEXT, FMT_JSONL, FMT_JSON };

struct read_args {
    const char *path;
    enum fmt fmt;
    uint64_t count;  /* 0: all */
    bool defrag;
    int overlap;     /* enum pc_overlap_policy */
    char filter[4096];
};

static void help(void)
{
    printf("Usage: pktcraft read [OPTIONS] FILE [FILTER...]\n\n"
           "Decode every packet of a pcap file (or '-' for stdin) and print one\n"
           "tcpdump-like line, or one JSON object, per packet. A trailing BPF filter\n"
           "expression (as in tcpdump) selects packets; it is compiled by libpcap.\n\n"
           "Options:\n"
           "      --format text|jsonl|json  output format (default text)\n"
           "  -c, --count N                 stop after N packets\n"
           "      --defrag                  reassemble IPv4/IPv6 fragments: the datagram is\n"
           "                                decoded on the fragment that completes it, the\n"
           "                                others say which packet that is\n"
           "      --overlap first|last      with --defrag: which bytes win where fragments\n"
           "                                overlap (default first)\n"
           "      --limit NAME=VALUE        change a resource limit (see below)\n"
           "  -h, --help                    show this help\n\n"
           "JSON keys: n, ts (\"seconds.nanoseconds\"), caplen, len, linktype, ifindex,\n"
           "comment and flags (pcapng), eth_src, eth_dst,\n"
           "ethertype, ip_src, ip_dst, ip_proto, ip_id, ip_len, ip_flags, ttl, sport,\n"
           "dport, tcp_flags (tcpdump letters, e.g. \"SA\"), seq, ack, win, tcp_options,\n"
           "icmp_type, icmp_code, payload_len, ip_csum and l4_csum (good, bad, zero or\n"
           "unverified), errors (list), http_method, http_uri, http_host, http_status,\n"
           "tls_sni, tls_alpn (list), ja3 (MD5), ja4 (from an HTTP start line or a TLS\n"
           "hello carried whole by this packet's TCP payload).  With --defrag also:\n"
           "defrag (held, reassembled, pending or why it was given up), reassembled_in,\n"
           "frag_count, frag_first, reassembled_layers.  Absent fields are null.\n\n"
           "Examples:\n"
           "  pktcraft read out.pcap\n"
           "  pktcraft read --format jsonl capture.pcap tcp port 80\n"
           "  pktcraft read --defrag --format jsonl capture.pcap udp\n\n"
           "Exit status: 0 success, 1 unreadable or damaged file (after printing the\n"
           "packets before the damage), 2 usage error.\n");
    putchar('\n');
    cli_limits_help(stdout);
}

static void parse_args(struct read_args *a, int argc, char **argv)
{
    enum { O_DEFRAG = 1000, O_OVERLAP };
    bool overlap_set = false;
    static const struct option longopts[] = {
        { "format", required_argument, 0, 'f' }, { "count", required_argument, 0, 'c' },
        { "limit", required_argument, 0, CLI_OPT_LIMIT }, { "help", no_argument, 0, 'h' },
        { "defrag", no_argument, 0, O_DEFRAG }, { "overlap", required_argument, 0, O_OVERLAP }, { 0, 0, 0, 0 },
    };
    memset(a, 0, sizeof *a);
    int opt;
    while ((opt = getopt_long(argc, argv, ":c:h", longopts, NULL)) != -1) {
        switch (opt) {
        case 'h': help(); exit(EXIT_OK);
        case CLI_OPT_LIMIT: cli_limit_opt(optarg); break;
        case 'c': a->count = cli_parse_uint("--count", optarg, UINT64_MAX); break;
        case O_DEFRAG: a->defrag = true; break;
        case O_OVERLAP: a->overlap = cli_parse_overlap("--overlap", optarg); overlap_set = true; break;
        case 'f':
            if (!strcmp(optarg, "text")) a->fmt = FMT_TEXT;
            else if (!strcmp(optarg, "jsonl")) a->fmt = FMT_JSONL;
            else if (!strcmp(optarg, "json")) a->fmt = FMT_JSON;
            else cli_usage_error("--format: '%s' is not text, jsonl or json", optarg);
            break;
        default: cli_bad_option(opt, argv);
        }
    }
    if (overlap_set && !a->defrag) cli_usage_error("--overlap needs --defrag");
    if (optind >= argc) cli_usage_error("a FILE to read is required ('-' for stdin)");
    a->path = argv[optind++];
    cli_filter_join(a->filter, sizeof a->filter, argc, argv);
}

/* ---- field extraction shared by both output formats ---- */

/* The flat JSON keys describe the FIRST layer of each kind, as tshark's
 * first-occurrence fields do: the outer header of a tunnel, the ICMP
 * message rather than the datagram it quotes. */
struct app; /* per-packet HTTP and TLS keys, below */

struct fields {
    const struct pc_decoded *d; /* the packet as captured: the link and IP keys */
    const struct pc_decoded *u; /* the L4 keys: d, or (--defrag) the datagram this fragment completed */
    int eth, ip;       /* layer indices in d, -1 when absent or not captured */
    int l4;            /* layer index in u */
    int u_from;        /* u != d: u's layers past its IP header (the rest is d's) */
    uint32_t payload_len;
    const struct app *app;
};

static bool captured(const struct pc_decoded *d, int i, uint32_t need) { return pc_layer_caphdr(d, i) >= need; }

static void collect_layers(const struct pc_decoded *d, int *eth, int *ip, int *l4, uint32_t *payload_len)
{
    *eth = *ip = *l4 = -1;
    *payload_len = 0;
    for (int i = 0; i < d->n; i++) {
        const struct pc_layer *l = &d->l[i];
        switch (l->proto) {
        case PC_P_ETH: if (*eth < 0 && captured(d, i, PC_ETH_HLEN)) *eth = i; break;
        case PC_P_IPV4:
            if (*ip < 0 && captured(d, i, PC_IPV4_HLEN) && l->hlen >= PC_IPV4_HLEN) *ip = i;
            break;
        case PC_P_IPV6: if (*ip < 0 && captured(d, i, PC_IPV6_HLEN)) *ip = i; break;
        case PC_P_TCP: case PC_P_UDP: case PC_P_ICMP: case PC_P_ICMP6:
            if (*l4 < 0 && captured(d, i, l->proto == PC_P_TCP ? PC_TCP_HLEN : 8)) *l4 = i;
            break;
        case PC_P_PAYLOAD: if (!(l->flags & PC_LF_QUOTED)) *payload_len = l->plen; break;
        default: break;
        }
    }
}

/* d: the packet; u: what its L4 keys come from (d, or a reassembled datagram). */
static void collect(struct fields *f, const struct pc_decoded *d, const struct pc_decoded *u)
{
    int l4, eth, ip;
    uint32_t pl;
    f->d = d;
    f->u = u;
    collect_layers(d, &f->eth, &f->ip, &l4, &f->payload_len);
    f->l4 = l4;
    f->u_from = d->n;
    if (u != d) {
        collect_layers(u, &eth, &ip, &f->l4, &pl);
        f->payload_len = pl;
        f->u_from = ip + 1;
    }
}

static uint8_t l4proto(const struct fields *f) { return f->l4 >= 0 ? f->u->l[f->l4].proto : PC_P_NONE; }
static const uint8_t *hdr(const struct fields *f, int i) { return pc_layer_hdr(f->d, i); }
static const uint8_t *l4hdr(const struct fields *f) { return pc_layer_hdr(f->u, f->l4); }

/* ---- TCP options as text ("mss 1460", "sackOK", ...), tcpdump style ----
 * Written by hand: snprintf was a sixth of `read --format jsonl`. */

struct optbuf { char s[256]; size_t n; int count; };

/* Appends one option's text, after a comma unless it is the first.  As the
 * snprintf("%s%s") this replaces did: a text that does not fit is cut at
 * the end of the buffer and left out of n, so the next one overwrites it. */
static void opt_add(struct optbuf *b, const char *txt, size_t len)
{
    char *p = b->s + b->n, *end = b->s + sizeof b->s - 1; /* the NUL's place */
    size_t want = (b->count ? 1 : 0) + len;
    if (b->count && p < end) *p++ = ',';
    size_t k = len < (size_t)(end - p) ? len : (size_t)(end - p);
    memcpy(p, txt, k);
    p[k] = 0;
    if (want < sizeof b->s - b->n) b->n += want;
    b->count++;
}

/* Append to a text at p; return its new end. */
static char *cat(char *p, const char *s, size_t n) { return (char *)memcpy(p, s, n) + n; }
#define CAT_LIT(p, lit) cat((p), (lit), sizeof(lit) - 1) /* a literal: its length is a constant */
static char *cat_u(char *p, uint32_t v) { return p + pc_fmt_dec(v, p); }

/* The length the SACK text had when it was written with snprintf into 96
 * bytes: four blocks can take 102. */
#define SACK_TEXT_MAX 95

static void opt_cb(void *ctx, uint8_t kind, const uint8_t *p, uint8_t dl)
{
    char t[128], *e = t; /* at most SACK_TEXT_MAX + one SACK block */
    switch (kind) {
    case PC_TCPOPT_EOL: e = CAT_LIT(e, "eol"); break;
    case PC_TCPOPT_NOP: e = CAT_LIT(e, "nop"); break;
    case PC_TCPOPT_MSS:
        if (dl != 2) goto other;
        e = CAT_LIT(e, "mss ");
        e = cat_u(e, pc_get16(p));
        break;
    case PC_TCPOPT_WSCALE:
        if (dl != 1) goto other;
        e = CAT_LIT(e, "wscale ");
        e = cat_u(e, p[0]);
        break;
    case PC_TCPOPT_SACKOK:
        if (dl != 0) goto other;
        e = CAT_LIT(e, "sackOK");
        break;
    case PC_TCPOPT_TS:
        if (dl != 8) goto other;
        e = CAT_LIT(e, "TS val ");
        e = cat_u(e, pc_get32(p));
        e = CAT_LIT(e, " ecr ");
        e = cat_u(e, pc_get32(p + 4));
        break;
    case PC_TCPOPT_SACK:
        if (dl % 8 != 0 || !dl) goto other;
        e = CAT_LIT(e, "sack ");
        e = cat_u(e, dl / 8u);
        for (int k = 0; k < dl / 8 && e - t <= SACK_TEXT_MAX; k++) {
            e = CAT_LIT(e, " {");
            e = cat_u(e, pc_get32(p + 8 * k));
            *e++ = ':';
            e = cat_u(e, pc_get32(p + 8 * k + 4));
            *e++ = '}';
        }
        if (e - t > SACK_TEXT_MAX) e = t + SACK_TEXT_MAX;
        break;
    default:
    other:
        e = CAT_LIT(e, "opt-");
        e = cat_u(e, kind);
        e = CAT_LIT(e, " len ");
        e = cat_u(e, dl + 2u);
    }
    opt_add(ctx, t, (size_t)(e - t));
}

/* ---- errors ---- */

static void each_error_from(const struct pc_decoded *d, int from, void (*cb)(void *, const char *, const char *),
                            void *ctx)
{
    for (int i = from; i < d->n; i++) {
        const struct pc_layer *l = &d->l[i];
        if (l->why)
            cb(ctx, l->flags & PC_LF_MALFORMED ? "malformed" : l->flags & PC_LF_TRUNC ? "truncated" : "note", l->why);
        /* a quoted datagram's checksums describe the original, not this packet */
        if (l->csum == PC_CSUM_BAD && !(l->flags & PC_LF_QUOTED)) cb(ctx, "bad checksum", pc_proto_name(l->proto));
    }
    if (d->err == PC_ELIMIT) cb(ctx, "malformed", "too many layers");
}

/* The packet's errors, then (a fragment that completed a datagram) those
 * of the datagram's upper layers, then the overlaps the fragment made. */
static void each_error(const struct fields *f, const struct rd_pkt *p, void (*cb)(void *, const char *, const char *),
                       void *ctx)
{
    each_error_from(f->d, 0, cb, ctx);
    if (f->u != f->d) each_error_from(f->u, f->u_from, cb, ctx);
    if (!p) return;
    for (uint32_t k = 0; k < p->nnotes && k < RD_NOTES; k++) {
        char t[128];
        const struct rd_note *nt = &p->notes[k];
        snprintf(t, sizeof t, "%s at payload offset %u, %u bytes", nt->what == PC_DF_CONFLICT ?
                 "fragments overlap with different bytes" : "fragments overlap", nt->off, nt->len);
        cb(ctx, "defrag", t);
    }
    if (p->nnotes > RD_NOTES) {
        char t[64];
        snprintf(t, sizeof t, "%u more overlaps", p->nnotes - RD_NOTES);
        cb(ctx, "defrag", t);
    }
}

/* ---- per-packet HTTP and TLS keys: one TCP payload on its own ---- */

struct app {
    int http;                 /* PC_HTTP_PEEK_* */
    struct pc_http_peek hp;
    bool tls;                 /* a hello was found whole: th */
    struct pc_tls_hello th;
    bool ja3, ja4;
    char ja3_md5[33], ja4_s[PC_TLS_JA4_LEN + 1];
};

static struct pc_tls_scratch tls_scratch; /* reused by every peek, freed at the end */

/* The TCP payload the keys come from: that of the last TCP layer not
 * quoted by an ICMP error (the inner one in a tunnel). */
static const uint8_t *tcp_payload(const struct pc_decoded *u, size_t *n)
{
    for (int i = u->n - 1; i >= 0; i--) {
        const struct pc_layer *l = &u->l[i];
        if (l->proto != PC_P_TCP || l->flags & PC_LF_QUOTED) continue;
        uint64_t start = (uint64_t)l->off + l->hlen;
        if (!l->plen || start >= u->caplen) return NULL;
        *n = u->caplen - (size_t)start < l->plen ? u->caplen - (size_t)start : l->plen;
        return u->buf + start;
    }
    return NULL;
}

/* Cheap probes first: the peeks only run on payloads that start like an
 * HTTP/1.x message or a TLS handshake record. */
static void peek_app(struct app *a, const struct pc_decoded *u)
{
    a->http = PC_HTTP_PEEK_NONE;
    a->tls = a->ja3 = a->ja4 = false;
    size_t n = 0;
    const uint8_t *p = tcp_payload(u, &n);
    if (!p) return;
    if (pc_http_probe(p, n)) {
        a->http = pc_http_peek(p, n, &a->hp);
        return;
    }
    if (n < 6 || !pc_tls_probe(p, n)) return;
    tls_scratch.lim = cli_limits();
    if (pc_tls_peek(p, n, &a->th, &tls_scratch) != 1) return;
    a->tls = true;
    if (!a->th.client) return;
    a->ja3 = pc_tls_ja3_md5(&a->th, a->ja3_md5) == 0;
    a->ja4 = pc_tls_ja4(&a->th, 0, a->ja4_s) == 0;
}

/* ---- text ---- */

static void text_err(void *ctx, const char *kind, const char *why)
{
    fprintf(ctx, " [%s: %s]", kind, why);
}

/* "IP a > b..." with the ports of the TCP/UDP layer after it spliced in
 * the way tcpdump writes them: "IP a.1234 > b.80...". */
static void print_ip_ports(FILE *out, const char *ip, const uint8_t *l4)
{
    const char *gt = strstr(ip, " > ");
    if (!gt) { fputs(ip, out); return; }
    const char *end = gt + 3 + strcspn(gt + 3, ", [");
    fprintf(out, "%.*s.%u > %.*s.%u%s", (int)(gt - ip), ip, pc_get16(l4), (int)(end - gt - 3), gt + 3,
            pc_get16(l4 + 2), end);
}

static void print_tcp(FILE *out, const struct pc_decoded *d, int i)
{
    const uint8_t *t = pc_layer_hdr(d, i);
    char fl[10];
    pc_tcp_flagstr(pc_tcp_flags(t), fl);
    fprintf(out, "Flags [%s], seq %u", fl, pc_tcp_seq(t));
    if (pc_tcp_flags(t) & PC_TCP_ACK) fprintf(out, ", ack %u", pc_tcp_ack(t));
    fprintf(out, ", win %u", pc_tcp_win(t));
    struct optbuf ob = { .n = 0 };
    uint32_t hl = d->l[i].hlen;
    if (hl > PC_TCP_HLEN && pc_layer_caphdr(d, i) >= hl) pc_tcp_opts_walk(t + PC_TCP_HLEN, hl - PC_TCP_HLEN, opt_cb, &ob);
    if (ob.count) fprintf(out, ", options [%s]", ob.s);
    fprintf(out, ", length %u", d->l[i].plen);
}

/* One layer's text; returns false when it printed nothing. */
static bool print_layer(FILE *out, const struct pc_decoded *d, int i)
{
    const struct pc_layer *l = &d->l[i];
    /* one growable buffer for the whole run: a layer's text has no size limit */
    static struct pc_fmt f = { .grow = true };
    if (l->proto == PC_P_TCP && captured(d, i, PC_TCP_HLEN)) { print_tcp(out, d, i); return true; }
    pc_fmt_reset(&f);
    pc_describe_layer(d, i, &f);
    if (!f.len) return false;
    const char *buf = f.buf;
    int k = i + 1; /* the transport layer, past any IPv6 extension headers */
    while (k < d->n && (d->l[k].proto == PC_P_IP6_HOP || d->l[k].proto == PC_P_IP6_DEST ||
                        d->l[k].proto == PC_P_IP6_ROUTING || d->l[k].proto == PC_P_IP6_FRAG))
        k++;
    bool ports = (l->proto == PC_P_IPV4 || l->proto == PC_P_IPV6) && k < d->n &&
                 (d->l[k].proto == PC_P_TCP || d->l[k].proto == PC_P_UDP) && captured(d, k, 4);
    if (ports) print_ip_ports(out, buf, pc_layer_hdr(d, k));
    else fputs(buf, out);
    return true;
}

/* tcpdump-like: the link header only when nothing above it decodes, UDP
 * only when no application layer follows, quoted datagrams left to the
 * ICMP text that names them. */
static bool skip_in_text(const struct pc_decoded *d, int i)
{
    const struct pc_layer *l = &d->l[i];
    if (l->flags & PC_LF_QUOTED) return true;
    if (l->proto == PC_P_PAYLOAD) return true;
    if (l->proto == PC_P_ETH) return i == 0 && d->n > 1 && d->l[1].proto != PC_P_PAYLOAD;
    if (l->proto == PC_P_UDP && i + 1 < d->n && (d->l[i + 1].proto == PC_P_DNS || d->l[i + 1].proto == PC_P_VXLAN))
        return true;
    return false;
}

static void fwrite_safe(FILE *out, const char *p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)p[i];
        if (c < 0x20 || c == 0x7F) fprintf(out, "\\x%02x", c);
        else fputc(c, out);
    }
}

static void text_app(FILE *out, const struct app *a)
{
    const struct pc_http_peek *h = &a->hp;
    if (a->http == PC_HTTP_PEEK_REQUEST) {
        fputs(": HTTP ", out);
        fwrite_safe(out, h->method.p, h->method.n);
        fputc(' ', out);
        fwrite_safe(out, h->uri.p, h->uri.n);
        if (h->host.p) {
            fputs(" host ", out);
            fwrite_safe(out, h->host.p, h->host.n);
        }
    } else if (a->http == PC_HTTP_PEEK_RESPONSE) {
        fprintf(out, ": HTTP %d", h->status);
    }
    if (!a->tls) return;
    const struct pc_tls_hello *t = &a->th;
    fputs(t->client ? ": TLS ClientHello" : ": TLS ServerHello", out);
    if (t->has_sni) {
        fputs(" sni ", out);
        fwrite_safe(out, (const char *)t->sni_raw, t->sni_len);
    }
    const uint8_t *name;
    uint8_t len;
    uint32_t pos = 0;
    for (int k = 0; t->has_alpn && pc_tls_alpn_next(t, &pos, &name, &len); k++) {
        fputs(k ? "," : " alpn ", out);
        fwrite_safe(out, (const char *)name, len);
    }
    if (a->ja3) fprintf(out, " ja3 %s", a->ja3_md5);
    if (a->ja4) fprintf(out, " ja4 %s", a->ja4_s);
}

static void text_defrag(FILE *out, const struct rd_pkt *p)
{
    switch (p->state) {
    case RD_HELD: fprintf(out, " [fragment, reassembled in #%llu]", (unsigned long long)p->in); break;
    case RD_DONE:
        fprintf(out, " [reassembled from %u fragment%s, #%llu-#%llu]", p->nfrags, p->nfrags == 1 ? "" : "s",
                (unsigned long long)p->first_pkt, (unsigned long long)p->n);
        break;
    case RD_FAILED: fprintf(out, " [fragment not reassembled: %s]", pc_defrag_what_name(p->what)); break;
    case RD_WAIT: fputs(" [fragment, reassembly pending]", out); break;
    default: break;
    }
}

static void print_text(FILE *out, const struct pc_pkthdr *h, const struct fields *f, const struct rd_pkt *p)
{
    char ts[32];
    cli_fmt_ts(h->ts, ts);
    fputs(ts, out);
    const struct pc_decoded *d = f->u; /* a completed datagram is shown whole */
    bool any = false;
    for (int i = 0; i < d->n; i++) {
        if (skip_in_text(d, i)) continue;
        fputs(any ? ": " : " ", out);
        any = print_layer(out, d, i) || any;
    }
    if (!any) fprintf(out, " linktype %d, length %u", h->linktype, h->len);
    text_app(out, f->app);
    if (p) text_defrag(out, p);
    each_error(f, p, text_err, out);
    fputc('\n', out);
}

/* ---- JSON ---- */

static void json_err(void *ctx, const char *kind, const char *why)
{
    struct pc_fmt *o = ctx;
    char t[320];
    snprintf(t, sizeof t, "%s: %s", kind, why);
    pc_fmt_kstr(o, NULL, t);
}

static void json_ip(struct pc_fmt *o, const struct fields *f)
{
    if (f->ip < 0) {
        pc_fmt_knull(o, "ip_src");
        pc_fmt_knull(o, "ip_dst");
        pc_fmt_knull(o, "ip_proto");
        pc_fmt_knull(o, "ip_id");
        pc_fmt_knull(o, "ip_len");
        pc_fmt_knull(o, "ip_flags");
        pc_fmt_knull(o, "ttl");
        return;
    }
    const uint8_t *h = hdr(f, f->ip);
    if (f->d->l[f->ip].proto == PC_P_IPV4) {
        pc_fmt_kip4(o, "ip_src", pc_ipv4_src(h));
        pc_fmt_kip4(o, "ip_dst", pc_ipv4_dst(h));
        pc_fmt_kuint(o, "ip_proto", pc_ipv4_proto(h));
        pc_fmt_kuint(o, "ip_id", pc_ipv4_id(h));
        pc_fmt_kuint(o, "ip_len", pc_ipv4_len(h));
        pc_fmt_kuint(o, "ip_flags", pc_ipv4_flags(h));
        pc_fmt_kuint(o, "ttl", pc_ipv4_ttl(h));
        return;
    }
    /* ip_proto: the protocol after the extension headers, as for IPv4 */
    int proto = -1;
    for (int i = f->ip + 1; i < f->d->n && proto < 0; i++) {
        uint8_t p = f->d->l[i].proto;
        if (p == PC_P_IP6_HOP || p == PC_P_IP6_DEST || p == PC_P_IP6_ROUTING || p == PC_P_IP6_FRAG) continue;
        proto = pc_proto_ipproto(p);
    }
    pc_fmt_kip6(o, "ip_src", pc_ipv6_src(h));
    pc_fmt_kip6(o, "ip_dst", pc_ipv6_dst(h));
    if (proto >= 0) pc_fmt_kuint(o, "ip_proto", (uint64_t)proto);
    else pc_fmt_knull(o, "ip_proto");
    pc_fmt_knull(o, "ip_id");
    pc_fmt_kuint(o, "ip_len", pc_ipv6_plen(h) + PC_IPV6_HLEN);
    pc_fmt_knull(o, "ip_flags");
    pc_fmt_kuint(o, "ttl", pc_ipv6_hlim(h));
}

static void json_tcp(struct pc_fmt *o, const struct fields *f, const uint8_t *t)
{
    char fl[10];
    pc_tcp_flagstr(pc_tcp_flags(t), fl);
    struct optbuf ob = { .n = 0 };
    uint32_t hl = f->u->l[f->l4].hlen;
    if (hl > PC_TCP_HLEN && pc_layer_caphdr(f->u, f->l4) >= hl) pc_tcp_opts_walk(t + PC_TCP_HLEN, hl - PC_TCP_HLEN, opt_cb, &ob);
    pc_fmt_kstr(o, "tcp_flags", fl);
    pc_fmt_kuint(o, "seq", pc_tcp_seq(t));
    pc_fmt_kuint(o, "ack", pc_tcp_ack(t));
    pc_fmt_kuint(o, "win", pc_tcp_win(t));
    pc_fmt_karr_open(o, "tcp_options");
    /* the texts between the commas (none is empty, but a cut one may be) */
    const char *tok = ob.s, *end = ob.s + (ob.count ? strlen(ob.s) : 0);
    while (tok < end) {
        const char *comma = memchr(tok, ',', (size_t)(end - tok));
        const char *stop = comma ? comma : end;
        if (stop > tok) pc_fmt_kbytes_str(o, NULL, (const uint8_t *)tok, (size_t)(stop - tok));
        tok = stop + 1;
    }
    pc_fmt_karr_close(o);
}

static void json_l4(struct pc_fmt *o, const struct fields *f)
{
    const uint8_t *t = f->l4 >= 0 ? l4hdr(f) : NULL;
    uint8_t proto = t ? l4proto(f) : PC_P_NONE;
    if (proto == PC_P_TCP || proto == PC_P_UDP) {
        pc_fmt_kuint(o, "sport", pc_get16(t));
        pc_fmt_kuint(o, "dport", pc_get16(t + 2));
    } else {
        pc_fmt_knull(o, "sport");
        pc_fmt_knull(o, "dport");
    }
    if (proto == PC_P_TCP) {
        json_tcp(o, f, t);
    } else {
        pc_fmt_knull(o, "tcp_flags");
        pc_fmt_knull(o, "seq");
        pc_fmt_knull(o, "ack");
        pc_fmt_knull(o, "win");
        pc_fmt_knull(o, "tcp_options");
    }
    if (proto == PC_P_ICMP || proto == PC_P_ICMP6) {
        pc_fmt_kuint(o, "icmp_type", t[0]);
        pc_fmt_kuint(o, "icmp_code", t[1]);
    } else {
        pc_fmt_knull(o, "icmp_type");
        pc_fmt_knull(o, "icmp_code");
    }
}

static void json_layers(struct pc_fmt *o, const char *key, const struct pc_decoded *d)
{
    pc_fmt_karr_open(o, key);
    for (int i = 0; i < d->n; i++) {
        pc_fmt_kobj_open(o, NULL);
        pc_fmt_kstr(o, "proto", pc_proto_name(d->l[i].proto));
        pc_fmt_kuint(o, "offset", d->l[i].off);
        pc_fmt_kuint(o, "header_len", d->l[i].hlen);
        pc_fmt_kuint(o, "data_len", d->l[i].plen);
        if (d->l[i].flags & PC_LF_QUOTED) pc_fmt_kbool(o, "quoted", true);
        pc_describe_layer(d, i, o);
        pc_fmt_kobj_close(o);
    }
    pc_fmt_karr_close(o);
}

static void json_eth(struct pc_fmt *o, const struct fields *f)
{
    if (f->eth < 0) {
        pc_fmt_knull(o, "eth_src");
        pc_fmt_knull(o, "eth_dst");
        pc_fmt_knull(o, "ethertype");
        return;
    }
    const uint8_t *e = hdr(f, f->eth);
    pc_fmt_kmac(o, "eth_src", pc_eth_src(e));
    pc_fmt_kmac(o, "eth_dst", pc_eth_dst(e));
    pc_fmt_kuint(o, "ethertype", pc_eth_type(e));
}

static void json_csums(struct pc_fmt *o, const struct fields *f)
{
    const struct pc_decoded *d = f->d;
    if (f->ip >= 0 && d->l[f->ip].proto == PC_P_IPV4) pc_fmt_kstr(o, "ip_csum", pc_csum_status_name(d->l[f->ip].csum));
    else pc_fmt_knull(o, "ip_csum");
    if (f->l4 >= 0 && f->u->l[f->l4].csum) pc_fmt_kstr(o, "l4_csum", pc_csum_status_name(f->u->l[f->l4].csum));
    else pc_fmt_knull(o, "l4_csum");
}

/* A string member, or null when absent.  A macro, so that each key stays
 * a literal where the writer's inline functions see it. */
#define JSON_STR_OR_NULL(o, key, p, n, have)                              \
    do {                                                                  \
        if (have) pc_fmt_kbytes_str(o, key, (const uint8_t *)(p), n);     \
        else pc_fmt_knull(o, key);                                        \
    } while (0)

static void json_app(struct pc_fmt *o, const struct app *a)
{
    const struct pc_http_peek *h = &a->hp;
    bool req = a->http == PC_HTTP_PEEK_REQUEST;
    JSON_STR_OR_NULL(o, "http_method", h->method.p, h->method.n, req);
    JSON_STR_OR_NULL(o, "http_uri", h->uri.p, h->uri.n, req);
    JSON_STR_OR_NULL(o, "http_host", h->host.p, h->host.n, req && h->host.p);
    if (a->http == PC_HTTP_PEEK_RESPONSE) pc_fmt_kuint(o, "http_status", (uint64_t)h->status);
    else pc_fmt_knull(o, "http_status");
    const struct pc_tls_hello *t = &a->th;
    JSON_STR_OR_NULL(o, "tls_sni", t->sni_raw, t->sni_len, a->tls && t->has_sni);
    if (a->tls && t->has_alpn) {
        const uint8_t *name;
        uint8_t len;
        uint32_t pos = 0;
        pc_fmt_karr_open(o, "tls_alpn");
        while (pc_tls_alpn_next(t, &pos, &name, &len)) pc_fmt_kbytes_str(o, NULL, name, len);
        pc_fmt_karr_close(o);
    } else {
        pc_fmt_knull(o, "tls_alpn");
    }
    JSON_STR_OR_NULL(o, "ja3", a->ja3_md5, 32, a->ja3);
    JSON_STR_OR_NULL(o, "ja4", a->ja4_s, strlen(a->ja4_s), a->ja4);
}

static void json_defrag(struct pc_fmt *o, const struct rd_pkt *p)
{
    static const char *const state[] = { [RD_HELD] = "held", [RD_DONE] = "reassembled", [RD_WAIT] = "pending" };
    if (p->state == RD_NONE) pc_fmt_knull(o, "defrag");
    else pc_fmt_kstr(o, "defrag", p->state == RD_FAILED ? pc_defrag_what_name(p->what) : state[p->state]);
    if (p->state == RD_HELD) pc_fmt_kuint(o, "reassembled_in", p->in);
    else pc_fmt_knull(o, "reassembled_in");
    if (p->state == RD_DONE) {
        pc_fmt_kuint(o, "frag_count", p->nfrags);
        pc_fmt_kuint(o, "frag_first", p->first_pkt);
    } else {
        pc_fmt_knull(o, "frag_count");
        pc_fmt_knull(o, "frag_first");
    }
}

static void print_json(struct pc_fmt *o, uint64_t n, const struct pc_pkthdr *h, const struct fields *f,
                       const struct rd_pkt *p)
{
    o->members = 0;
    pc_fmt_kobj_open(o, NULL);
    pc_fmt_kuint(o, "n", n);
    pc_fmt_kts(o, "ts", h->ts);
    pc_fmt_kuint(o, "caplen", h->caplen);
    pc_fmt_kuint(o, "len", h->len);
    pc_fmt_kint(o, "linktype", h->linktype);
    pc_fmt_kuint(o, "ifindex", h->ifindex);
    /* pcapng packet comment (the first) and flags; null when absent */
    if (h->ncomments) pc_fmt_kbytes_str(o, "comment", h->comment, h->comment_len);
    else pc_fmt_knull(o, "comment");
    pc_fmt_kuint(o, "flags", h->flags);
    json_eth(o, f);
    json_ip(o, f);
    json_l4(o, f);
    pc_fmt_kuint(o, "payload_len", f->payload_len);
    json_csums(o, f);
    json_app(o, f->app);
    pc_fmt_karr_open(o, "errors");
    each_error(f, p, json_err, o);
    pc_fmt_karr_close(o);
    if (p) json_defrag(o, p);
    json_layers(o, "layers", f->d);
    if (p && f->u != f->d) json_layers(o, "reassembled_layers", f->u);
    else if (p) pc_fmt_knull(o, "reassembled_layers");
    pc_fmt_kobj_close(o);
}

/* ---- main loop ---- */

struct out_ctx {
    const struct read_args *a;
    struct pc_fmt *o;
    uint64_t printed;
};

/* One packet out.  d: the packet, u: the same or the datagram it
 * completed; p: what --defrag says (NULL without it). */
static void output(struct out_ctx *c, uint64_t n, const struct pc_pkthdr *h, const struct pc_decoded *d,
                   const struct pc_decoded *u, const struct rd_pkt *p)
{
    static struct app app;
    struct fields f;
    collect(&f, d, u);
    peek_app(&app, u);
    f.app = &app;
    if (c->a->fmt == FMT_TEXT) {
        print_text(stdout, h, &f, p);
    } else {
        if (c->a->fmt == FMT_JSON && c->printed) pc_fmt_put(c->o, ",\n", 2);
        print_json(c->o, n, h, &f, p);
        if (c->a->fmt == FMT_JSONL) pc_fmt_putc(c->o, '\n');
    }
    c->printed++;
}

/* read_hold's printer: decodes what the caller has not. */
static void emit_held(void *ctx, const struct rd_pkt *p, const struct pc_decoded *d)
{
    static struct pc_decoded dd, du;
    if (!d) {
        pc_decode(&dd, p->data, p->h.caplen, p->h.len, p->h.linktype);
        d = &dd;
    }
    const struct pc_decoded *u = d;
    if (p->state == RD_DONE) {
        pc_decode(&du, p->frame, p->frame_len, p->frame_len, p->frame_linktype);
        u = &du;
    }
    output(ctx, p->n, &p->h, d, u, p);
}

int cmd_read(int argc, char **argv)
{
    struct read_args a;
    parse_args(&a, argc, argv);
    struct pc_err err = { 0 };
    struct pc_reader *r = pc_reader_open_ex(a.path, cli_limits(), &err);
    if (!r) cli_runtime_error("%s", err.msg);
    static char obuf[1 << 20];
    setvbuf(stdout, obuf, _IOFBF, sizeof obuf);
    struct out_ctx oc = { .a = &a, .o = cli_out(a.fmt != FMT_TEXT) }; /* JSON only: text goes through stdio */
    struct cli_filter flt;
    cli_filter_setup(&flt, a.filter, pc_reader_linktype(r));
    struct rd *hold = a.defrag ? rd_new(cli_limits(), a.overlap, a.path, emit_held, &oc) : NULL;
    struct pc_pkthdr h = { 0 };
    const uint8_t *data = NULL;
    static struct pc_decoded d;
    uint64_t n = 0, shown = 0;
    int rc = 0;
    if (a.fmt == FMT_JSON) pc_fmt_putc(oc.o, '[');
    /* -c N prints N packets; with --defrag reading goes on (printing
     * nothing more) until the fragments printed learn their fate */
    while ((!a.count || shown < a.count || (hold && rd_waiting(hold))) && (rc = pc_reader_next(r, &h, &data)) > 0) {
        n++;
        bool match = (!a.count || shown < a.count) && cli_filter_match(&flt, &h, data);
        /* with --defrag every packet feeds the defragmenter; the filter only
         * chooses what is printed */
        if (!match && !hold) continue;
        pc_decode(&d, data, h.caplen, h.len, h.linktype);
        if (hold) rd_packet(hold, n, &h, data, &d, match);
        else output(&oc, n, &h, &d, &d, NULL);
        if (match) shown++;
    }
    if (hold) rd_finish(hold);
    if (a.fmt == FMT_JSON) pc_fmt_put(oc.o, "]\n", 2);
    cli_filter_free(&flt);
    rd_free(hold);
    pc_tls_scratch_free(&tls_scratch);
    int status = EXIT_OK;
    if (a.count && shown >= a.count) rc = 0;
    if (rc < 0) {
        fflush(stdout);
        cli_out_flush();
        cli_warn("%s", pc_reader_err(r)->msg);
        status = EXIT_RUNTIME;
    }
    pc_reader_close(r);
    cli_out_flush();
    if (fflush(stdout) != 0) cli_runtime_error("writing output: %s", "write error");
    return status;
}

/* pktcraft read: decode a capture file, one line or JSON object per packet. */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "filter.h"
#include "pktcraft/core/fmt.h"

enum fmt { FMT_TEXT, FMT_JSONL, FMT_JSON };

struct read_args {
    const char *path;
    enum fmt fmt;
    uint64_t count;  /* 0: all */
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
           "      --limit NAME=VALUE        change a resource limit (see below)\n"
           "  -h, --help                    show this help\n\n"
           "JSON keys: n, ts (\"seconds.nanoseconds\"), caplen, len, linktype, ifindex,\n"
           "comment and flags (pcapng), eth_src, eth_dst,\n"
           "ethertype, ip_src, ip_dst, ip_proto, ip_id, ip_len, ip_flags, ttl, sport,\n"
           "dport, tcp_flags (tcpdump letters, e.g. \"SA\"), seq, ack, win, tcp_options,\n"
           "icmp_type, icmp_code, payload_len, ip_csum and l4_csum (good, bad, zero or\n"
           "unverified), errors (list). Absent fields are null.\n\n"
           "Examples:\n"
           "  pktcraft read out.pcap\n"
           "  pktcraft read --format jsonl capture.pcap tcp port 80\n\n"
           "Exit status: 0 success, 1 unreadable or damaged file (after printing the\n"
           "packets before the damage), 2 usage error.\n");
    putchar('\n');
    cli_limits_help(stdout);
}

static void parse_args(struct read_args *a, int argc, char **argv)
{
    static const struct option longopts[] = {
        { "format", required_argument, 0, 'f' }, { "count", required_argument, 0, 'c' },
        { "limit", required_argument, 0, CLI_OPT_LIMIT }, { "help", no_argument, 0, 'h' }, { 0, 0, 0, 0 },
    };
    memset(a, 0, sizeof *a);
    int opt;
    while ((opt = getopt_long(argc, argv, ":c:h", longopts, NULL)) != -1) {
        switch (opt) {
        case 'h': help(); exit(EXIT_OK);
        case CLI_OPT_LIMIT: cli_limit_opt(optarg); break;
        case 'c': a->count = cli_parse_uint("--count", optarg, UINT64_MAX); break;
        case 'f':
            if (!strcmp(optarg, "text")) a->fmt = FMT_TEXT;
            else if (!strcmp(optarg, "jsonl")) a->fmt = FMT_JSONL;
            else if (!strcmp(optarg, "json")) a->fmt = FMT_JSON;
            else cli_usage_error("--format: '%s' is not text, jsonl or json", optarg);
            break;
        default: cli_bad_option(opt, argv);
        }
    }
    if (optind >= argc) cli_usage_error("a FILE to read is required ('-' for stdin)");
    a->path = argv[optind++];
    cli_filter_join(a->filter, sizeof a->filter, argc, argv);
}

/* ---- field extraction shared by both output formats ---- */

/* The flat JSON keys describe the FIRST layer of each kind, as tshark's
 * first-occurrence fields do: the outer header of a tunnel, the ICMP
 * message rather than the datagram it quotes. */
struct fields {
    const struct pc_decoded *d;
    int eth, ip, l4;   /* layer indices, -1 when absent or not captured */
    uint32_t payload_len;
};

static bool captured(const struct pc_decoded *d, int i, uint32_t need) { return pc_layer_caphdr(d, i) >= need; }

static void collect(struct fields *f, const struct pc_decoded *d)
{
    f->d = d;
    f->eth = f->ip = f->l4 = -1;
    f->payload_len = 0;
    for (int i = 0; i < d->n; i++) {
        const struct pc_layer *l = &d->l[i];
        switch (l->proto) {
        case PC_P_ETH: if (f->eth < 0 && captured(d, i, PC_ETH_HLEN)) f->eth = i; break;
        case PC_P_IPV4:
            if (f->ip < 0 && captured(d, i, PC_IPV4_HLEN) && l->hlen >= PC_IPV4_HLEN) f->ip = i;
            break;
        case PC_P_IPV6: if (f->ip < 0 && captured(d, i, PC_IPV6_HLEN)) f->ip = i; break;
        case PC_P_TCP: case PC_P_UDP: case PC_P_ICMP: case PC_P_ICMP6:
            if (f->l4 < 0 && captured(d, i, l->proto == PC_P_TCP ? PC_TCP_HLEN : 8)) f->l4 = i;
            break;
        case PC_P_PAYLOAD: if (!(l->flags & PC_LF_QUOTED)) f->payload_len = l->plen; break;
        default: break;
        }
    }
}

static uint8_t l4proto(const struct fields *f) { return f->l4 >= 0 ? f->d->l[f->l4].proto : PC_P_NONE; }
static const uint8_t *hdr(const struct fields *f, int i) { return pc_layer_hdr(f->d, i); }
static bool has_ports(const struct fields *f) { return l4proto(f) == PC_P_TCP || l4proto(f) == PC_P_UDP; }

/* ---- TCP options as text ("mss 1460", "sackOK", ...), tcpdump style ---- */

struct optbuf { char s[256]; size_t n; int count; };

static void opt_add(struct optbuf *b, const char *txt)
{
    int w = snprintf(b->s + b->n, sizeof b->s - b->n, "%s%s", b->count ? "," : "", txt);
    if (w > 0 && (size_t)w < sizeof b->s - b->n) b->n += (size_t)w;
    b->count++;
}

static void opt_cb(void *ctx, uint8_t kind, const uint8_t *p, uint8_t dl)
{
    char t[96];
    switch (kind) {
    case PC_TCPOPT_EOL: snprintf(t, sizeof t, "eol"); break;
    case PC_TCPOPT_NOP: snprintf(t, sizeof t, "nop"); break;
    case PC_TCPOPT_MSS: if (dl == 2) { snprintf(t, sizeof t, "mss %u", pc_get16(p)); break; } goto other;
    case PC_TCPOPT_WSCALE: if (dl == 1) { snprintf(t, sizeof t, "wscale %u", p[0]); break; } goto other;
    case PC_TCPOPT_SACKOK: if (dl == 0) { snprintf(t, sizeof t, "sackOK"); break; } goto other;
    case PC_TCPOPT_TS:
        if (dl == 8) { snprintf(t, sizeof t, "TS val %u ecr %u", pc_get32(p), pc_get32(p + 4)); break; }
        goto other;
    case PC_TCPOPT_SACK:
        if (dl % 8 == 0 && dl) {
            int n = snprintf(t, sizeof t, "sack %u", (unsigned)(dl / 8));
            for (int k = 0; k < dl / 8 && n > 0 && (size_t)n < sizeof t; k++)
                n += snprintf(t + n, sizeof t - (size_t)n, " {%u:%u}", pc_get32(p + 8 * k), pc_get32(p + 8 * k + 4));
            break;
        }
        goto other;
    default:
    other:
        snprintf(t, sizeof t, "opt-%u len %u", kind, dl + 2u);
    }
    opt_add(ctx, t);
}

/* ---- errors ---- */

static void each_error(const struct pc_decoded *d, void (*cb)(void *, const char *, const char *), void *ctx)
{
    for (int i = 0; i < d->n; i++) {
        const struct pc_layer *l = &d->l[i];
        if (l->why)
            cb(ctx, l->flags & PC_LF_MALFORMED ? "malformed" : l->flags & PC_LF_TRUNC ? "truncated" : "note", l->why);
        /* a quoted datagram's checksums describe the original, not this packet */
        if (l->csum == PC_CSUM_BAD && !(l->flags & PC_LF_QUOTED)) cb(ctx, "bad checksum", pc_proto_name(l->proto));
    }
    if (d->err == PC_ELIMIT) cb(ctx, "malformed", "too many layers");
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

static void print_text(FILE *out, const struct pc_pkthdr *h, const struct fields *f)
{
    char ts[32];
    cli_fmt_ts(h->ts, ts);
    fputs(ts, out);
    const struct pc_decoded *d = f->d;
    bool any = false;
    for (int i = 0; i < d->n; i++) {
        if (skip_in_text(d, i)) continue;
        fputs(any ? ": " : " ", out);
        any = print_layer(out, d, i) || any;
    }
    if (!any) fprintf(out, " linktype %d, length %u", h->linktype, h->len);
    each_error(d, text_err, out);
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
    static const char *const keys[] = { "ip_src", "ip_dst", "ip_proto", "ip_id", "ip_len", "ip_flags", "ttl" };
    char a[46], b[46];
    if (f->ip < 0) {
        for (size_t k = 0; k < sizeof keys / sizeof keys[0]; k++) pc_fmt_knull(o, keys[k]);
        return;
    }
    const uint8_t *h = hdr(f, f->ip);
    if (f->d->l[f->ip].proto == PC_P_IPV4) {
        pc_fmt_ip4(pc_ipv4_src(h), a);
        pc_fmt_ip4(pc_ipv4_dst(h), b);
        pc_fmt_kstr(o, "ip_src", a);
        pc_fmt_kstr(o, "ip_dst", b);
        pc_fmt_kuint(o, "ip_proto", pc_ipv4_proto(h));
        pc_fmt_kuint(o, "ip_id", pc_ipv4_id(h));
        pc_fmt_kuint(o, "ip_len", pc_ipv4_len(h));
        pc_fmt_kuint(o, "ip_flags", pc_ipv4_flags(h));
        pc_fmt_kuint(o, "ttl", pc_ipv4_ttl(h));
        return;
    }
    pc_fmt_ip6(pc_ipv6_src(h), a);
    pc_fmt_ip6(pc_ipv6_dst(h), b);
    /* ip_proto: the protocol after the extension headers, as for IPv4 */
    int proto = -1;
    for (int i = f->ip + 1; i < f->d->n && proto < 0; i++) {
        uint8_t p = f->d->l[i].proto;
        if (p == PC_P_IP6_HOP || p == PC_P_IP6_DEST || p == PC_P_IP6_ROUTING || p == PC_P_IP6_FRAG) continue;
        proto = pc_proto_ipproto(p);
    }
    pc_fmt_kstr(o, "ip_src", a);
    pc_fmt_kstr(o, "ip_dst", b);
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
    uint32_t hl = f->d->l[f->l4].hlen;
    if (hl > PC_TCP_HLEN && pc_layer_caphdr(f->d, f->l4) >= hl) pc_tcp_opts_walk(t + PC_TCP_HLEN, hl - PC_TCP_HLEN, opt_cb, &ob);
    pc_fmt_kstr(o, "tcp_flags", fl);
    pc_fmt_kuint(o, "seq", pc_tcp_seq(t));
    pc_fmt_kuint(o, "ack", pc_tcp_ack(t));
    pc_fmt_kuint(o, "win", pc_tcp_win(t));
    pc_fmt_karr_open(o, "tcp_options");
    char *save = NULL;
    for (char *tok = ob.count ? strtok_r(ob.s, ",", &save) : NULL; tok; tok = strtok_r(NULL, ",", &save))
        pc_fmt_kstr(o, NULL, tok);
    pc_fmt_karr_close(o);
}

static void json_l4(struct pc_fmt *o, const struct fields *f)
{
    const uint8_t *t = f->l4 >= 0 ? hdr(f, f->l4) : NULL;
    if (has_ports(f)) {
        pc_fmt_kuint(o, "sport", pc_get16(t));
        pc_fmt_kuint(o, "dport", pc_get16(t + 2));
    } else {
        pc_fmt_knull(o, "sport");
        pc_fmt_knull(o, "dport");
    }
    if (l4proto(f) == PC_P_TCP) {
        json_tcp(o, f, t);
    } else {
        static const char *const keys[] = { "tcp_flags", "seq", "ack", "win", "tcp_options" };
        for (size_t k = 0; k < sizeof keys / sizeof keys[0]; k++) pc_fmt_knull(o, keys[k]);
    }
    if (l4proto(f) == PC_P_ICMP || l4proto(f) == PC_P_ICMP6) {
        pc_fmt_kuint(o, "icmp_type", t[0]);
        pc_fmt_kuint(o, "icmp_code", t[1]);
    } else {
        pc_fmt_knull(o, "icmp_type");
        pc_fmt_knull(o, "icmp_code");
    }
}

static void json_layers(struct pc_fmt *o, const struct pc_decoded *d)
{
    pc_fmt_karr_open(o, "layers");
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
    char a[18], b[18];
    const uint8_t *e = hdr(f, f->eth);
    pc_fmt_mac(pc_eth_src(e), a);
    pc_fmt_mac(pc_eth_dst(e), b);
    pc_fmt_kstr(o, "eth_src", a);
    pc_fmt_kstr(o, "eth_dst", b);
    pc_fmt_kuint(o, "ethertype", pc_eth_type(e));
}

static void json_csums(struct pc_fmt *o, const struct fields *f)
{
    const struct pc_decoded *d = f->d;
    if (f->ip >= 0 && d->l[f->ip].proto == PC_P_IPV4) pc_fmt_kstr(o, "ip_csum", pc_csum_status_name(d->l[f->ip].csum));
    else pc_fmt_knull(o, "ip_csum");
    if (f->l4 >= 0 && d->l[f->l4].csum) pc_fmt_kstr(o, "l4_csum", pc_csum_status_name(d->l[f->l4].csum));
    else pc_fmt_knull(o, "l4_csum");
}

static void print_json(struct pc_fmt *o, uint64_t n, const struct pc_pkthdr *h, const struct fields *f)
{
    char ts[32];
    cli_fmt_ts(h->ts, ts);
    o->members = 0;
    pc_fmt_kobj_open(o, NULL);
    pc_fmt_kuint(o, "n", n);
    pc_fmt_kstr(o, "ts", ts);
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
    pc_fmt_karr_open(o, "errors");
    each_error(f->d, json_err, o);
    pc_fmt_karr_close(o);
    json_layers(o, f->d);
    pc_fmt_kobj_close(o);
}

/* ---- main loop ---- */

int cmd_read(int argc, char **argv)
{
    struct read_args a;
    parse_args(&a, argc, argv);
    struct pc_err err = { 0 };
    struct pc_reader *r = pc_reader_open_ex(a.path, cli_limits(), &err);
    if (!r) cli_runtime_error("%s", err.msg);
    static char obuf[1 << 20];
    setvbuf(stdout, obuf, _IOFBF, sizeof obuf);
    struct pc_fmt *o = cli_out(a.fmt != FMT_TEXT); /* JSON only: text goes through stdio */
    struct cli_filter flt;
    cli_filter_setup(&flt, a.filter, pc_reader_linktype(r));
    struct pc_pkthdr h = { 0 };
    const uint8_t *data = NULL;
    struct pc_decoded d;
    struct fields f;
    uint64_t n = 0, shown = 0;
    int rc;
    if (a.fmt == FMT_JSON) pc_fmt_putc(o, '[');
    while ((!a.count || shown < a.count) && (rc = pc_reader_next(r, &h, &data)) > 0) {
        n++;
        if (!cli_filter_match(&flt, &h, data)) continue;
        pc_decode(&d, data, h.caplen, h.len, h.linktype);
        collect(&f, &d);
        if (a.fmt == FMT_TEXT) print_text(stdout, &h, &f);
        else {
            if (a.fmt == FMT_JSON && shown) pc_fmt_put(o, ",\n", 2);
            print_json(o, n, &h, &f);
            if (a.fmt == FMT_JSONL) pc_fmt_putc(o, '\n');
        }
        shown++;
    }
    if (a.fmt == FMT_JSON) pc_fmt_put(o, "]\n", 2);
    cli_filter_free(&flt);
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

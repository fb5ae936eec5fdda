/* pktcraft read: decode a capture file, one line or JSON object per packet. */
#include <getopt.h>
#include <pcap/pcap.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

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
           "  -h, --help                    show this help\n\n"
           "JSON keys: n, ts (\"seconds.nanoseconds\"), caplen, len, eth_src, eth_dst,\n"
           "ethertype, ip_src, ip_dst, ip_proto, ip_id, ip_len, ip_flags, ttl, sport,\n"
           "dport, tcp_flags (tcpdump letters, e.g. \"SA\"), seq, ack, win, tcp_options,\n"
           "icmp_type, icmp_code, payload_len, ip_csum and l4_csum (good, bad, zero or\n"
           "unverified), errors (list). Absent fields are null.\n\n"
           "Examples:\n"
           "  pktcraft read out.pcap\n"
           "  pktcraft read --format jsonl capture.pcap tcp port 80\n\n"
           "Exit status: 0 success, 1 unreadable or damaged file (after printing the\n"
           "packets before the damage), 2 usage error.\n");
}

static void parse_args(struct read_args *a, int argc, char **argv)
{
    static const struct option longopts[] = {
        { "format", required_argument, 0, 'f' }, { "count", required_argument, 0, 'c' },
        { "help", no_argument, 0, 'h' }, { 0, 0, 0, 0 },
    };
    memset(a, 0, sizeof *a);
    int opt;
    while ((opt = getopt_long(argc, argv, ":c:h", longopts, NULL)) != -1) {
        switch (opt) {
        case 'h': help(); exit(EXIT_OK);
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
    size_t n = 0;
    for (; optind < argc; optind++) {
        int w = snprintf(a->filter + n, sizeof a->filter - n, "%s%s", n ? " " : "", argv[optind]);
        if (w < 0 || (size_t)w >= sizeof a->filter - n) cli_usage_error("filter expression too long");
        n += (size_t)w;
    }
}

/* ---- field extraction shared by both output formats ---- */

struct fields {
    const struct pc_decoded *d;
    const uint8_t *eth, *ip, *l4;
    int l4proto;
    uint32_t payload_len;
};

static void collect(struct fields *f, const struct pc_decoded *d)
{
    memset(f, 0, sizeof *f);
    f->d = d;
    if (d->l2 >= 0 && pc_layer_caphdr(d, d->l2) >= PC_ETH_HLEN) f->eth = pc_layer_hdr(d, d->l2);
    if (d->l3 >= 0 && pc_layer_caphdr(d, d->l3) >= PC_IPV4_HLEN && !(d->l[d->l3].flags & PC_LF_MALFORMED && d->l[d->l3].hlen < 20))
        f->ip = pc_layer_hdr(d, d->l3);
    if (d->l4 >= 0) {
        uint32_t need = d->l[d->l4].proto == PC_P_TCP ? PC_TCP_HLEN : 8;
        if (pc_layer_caphdr(d, d->l4) >= need || (d->caplen - d->l[d->l4].off) >= need) {
            f->l4 = pc_layer_hdr(d, d->l4);
            f->l4proto = d->l[d->l4].proto;
        }
    }
    for (int i = 0; i < d->n; i++)
        if (d->l[i].proto == PC_P_PAYLOAD) f->payload_len = d->l[i].plen;
}

static void fmt_mac(const uint8_t *m, char out[18])
{
    snprintf(out, 18, "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4], m[5]);
}

static void fmt_ip4(const uint8_t *a, char out[16])
{
    snprintf(out, 16, "%u.%u.%u.%u", a[0], a[1], a[2], a[3]);
}

/* ---- TCP options as text ("mss 1460", "sackOK", ...), tcpdump style ---- */

struct optbuf { char s[256]; size_t n; int count; bool json; };

static void opt_add(struct optbuf *b, const char *txt)
{
    int w = snprintf(b->s + b->n, sizeof b->s - b->n, b->json ? "%s\"%s\"" : "%s%s", b->count ? "," : "", txt);
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
            int n = snprintf(t, sizeof t, "sack %u", dl / 8);
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

static void tcp_options(const struct fields *f, struct optbuf *b)
{
    const struct pc_layer *l = &f->d->l[f->d->l4];
    uint32_t have = pc_layer_caphdr(f->d, f->d->l4);
    if (l->hlen <= PC_TCP_HLEN || have < l->hlen) return;
    pc_tcp_opts_walk(f->l4 + PC_TCP_HLEN, l->hlen - PC_TCP_HLEN, opt_cb, b);
}

/* ---- error list ---- */

static void each_error(const struct pc_decoded *d, void (*cb)(void *, const char *, const char *), void *ctx)
{
    for (int i = 0; i < d->n; i++) {
        const struct pc_layer *l = &d->l[i];
        if (l->why)
            cb(ctx, l->flags & PC_LF_MALFORMED ? "malformed" : l->flags & PC_LF_TRUNC ? "truncated" : "note", l->why);
        if (l->csum == PC_CSUM_BAD) cb(ctx, "bad checksum", pc_proto_name(l->proto));
    }
    if (d->err == PC_ELIMIT) cb(ctx, "malformed", "too many layers");
}

/* ---- text ---- */

static void text_err(void *ctx, const char *kind, const char *why)
{
    fprintf(ctx, " [%s: %s]", kind, why);
}

static void print_text(FILE *out, const struct pc_pkthdr *h, const struct fields *f)
{
    char ts[32], a[16], b[16];
    cli_fmt_ts(h->ts, ts);
    fputs(ts, out);
    const struct pc_decoded *d = f->d;
    if (f->ip) {
        fmt_ip4(pc_ipv4_src(f->ip), a);
        fmt_ip4(pc_ipv4_dst(f->ip), b);
        if (f->l4 && (f->l4proto == PC_P_TCP || f->l4proto == PC_P_UDP)) {
            fprintf(out, " IP %s.%u > %s.%u:", a, pc_get16(f->l4), b, pc_get16(f->l4 + 2));
        } else {
            fprintf(out, " IP %s > %s:", a, b);
        }
        if (f->l4proto == PC_P_TCP) {
            char fl[10];
            pc_tcp_flagstr(pc_tcp_flags(f->l4), fl);
            fprintf(out, " Flags [%s], seq %u", fl, pc_tcp_seq(f->l4));
            if (pc_tcp_flags(f->l4) & PC_TCP_ACK) fprintf(out, ", ack %u", pc_tcp_ack(f->l4));
            fprintf(out, ", win %u", pc_tcp_win(f->l4));
            struct optbuf ob = { .json = false };
            tcp_options(f, &ob);
            if (ob.count) fprintf(out, ", options [%s]", ob.s);
            fprintf(out, ", length %u", d->l[d->l4].plen);
        } else if (f->l4proto == PC_P_UDP) {
            fprintf(out, " UDP, length %u", d->l[d->l4].plen);
        } else if (f->l4proto == PC_P_ICMP) {
            uint8_t t = pc_icmp_type(f->l4);
            if (t == PC_ICMP_ECHO || t == PC_ICMP_ECHOREPLY)
                fprintf(out, " ICMP echo %s, id %u, seq %u, length %u", t ? "request" : "reply",
                        pc_icmp_id(f->l4), pc_icmp_seq(f->l4), d->l[d->l4].plen + PC_ICMP_HLEN);
            else
                fprintf(out, " ICMP type %u code %u, length %u", t, pc_icmp_code(f->l4), d->l[d->l4].plen + PC_ICMP_HLEN);
        } else {
            fprintf(out, " ip-proto-%u, length %u", pc_ipv4_proto(f->ip), d->l[d->l3].plen);
        }
    } else if (f->eth) {
        fprintf(out, " ethertype 0x%04x, length %u", pc_eth_type(f->eth), h->len);
    } else {
        fprintf(out, " linktype %d, length %u", h->linktype, h->len);
    }
    each_error(d, text_err, out);
    fputc('\n', out);
}

/* ---- JSON ---- */

struct jctx { FILE *out; int n; };

static void json_err(void *ctx, const char *kind, const char *why)
{
    struct jctx *j = ctx;
    /* kind and why are the library's static ASCII texts: nothing to escape */
    fprintf(j->out, "%s\"%s: %s\"", j->n++ ? "," : "", kind, why);
}

static void print_json(FILE *out, uint64_t n, const struct pc_pkthdr *h, const struct fields *f)
{
    const struct pc_decoded *d = f->d;
    char ts[32], a[18], b[18];
    cli_fmt_ts(h->ts, ts);
    fprintf(out, "{\"n\":%llu,\"ts\":\"%s\",\"caplen\":%u,\"len\":%u", (unsigned long long)n, ts, h->caplen, h->len);
    if (f->eth) {
        fmt_mac(pc_eth_src(f->eth), a);
        fmt_mac(pc_eth_dst(f->eth), b);
        fprintf(out, ",\"eth_src\":\"%s\",\"eth_dst\":\"%s\",\"ethertype\":%u", a, b, pc_eth_type(f->eth));
    } else {
        fputs(",\"eth_src\":null,\"eth_dst\":null,\"ethertype\":null", out);
    }
    if (f->ip) {
        fmt_ip4(pc_ipv4_src(f->ip), a);
        fmt_ip4(pc_ipv4_dst(f->ip), b);
        fprintf(out, ",\"ip_src\":\"%s\",\"ip_dst\":\"%s\",\"ip_proto\":%u,\"ip_id\":%u,\"ip_len\":%u,\"ip_flags\":%u,\"ttl\":%u",
                a, b, pc_ipv4_proto(f->ip), pc_ipv4_id(f->ip), pc_ipv4_len(f->ip), pc_ipv4_flags(f->ip), pc_ipv4_ttl(f->ip));
    } else {
        fputs(",\"ip_src\":null,\"ip_dst\":null,\"ip_proto\":null,\"ip_id\":null,\"ip_len\":null,\"ip_flags\":null,\"ttl\":null", out);
    }
    if (f->l4 && (f->l4proto == PC_P_TCP || f->l4proto == PC_P_UDP))
        fprintf(out, ",\"sport\":%u,\"dport\":%u", pc_get16(f->l4), pc_get16(f->l4 + 2));
    else
        fputs(",\"sport\":null,\"dport\":null", out);
    if (f->l4proto == PC_P_TCP) {
        char fl[10];
        pc_tcp_flagstr(pc_tcp_flags(f->l4), fl);
        struct optbuf ob = { .json = true };
        tcp_options(f, &ob);
        fprintf(out, ",\"tcp_flags\":\"%s\",\"seq\":%u,\"ack\":%u,\"win\":%u,\"tcp_options\":[%s]", fl,
                pc_tcp_seq(f->l4), pc_tcp_ack(f->l4), pc_tcp_win(f->l4), ob.s);
    } else {
        fputs(",\"tcp_flags\":null,\"seq\":null,\"ack\":null,\"win\":null,\"tcp_options\":null", out);
    }
    if (f->l4proto == PC_P_ICMP)
        fprintf(out, ",\"icmp_type\":%u,\"icmp_code\":%u", pc_icmp_type(f->l4), pc_icmp_code(f->l4));
    else
        fputs(",\"icmp_type\":null,\"icmp_code\":null", out);
    fprintf(out, ",\"payload_len\":%u", f->payload_len);
    if (d->l3 >= 0 && d->l[d->l3].csum) fprintf(out, ",\"ip_csum\":\"%s\"", pc_csum_status_name(d->l[d->l3].csum));
    else fputs(",\"ip_csum\":null", out);
    if (d->l4 >= 0 && d->l[d->l4].csum) fprintf(out, ",\"l4_csum\":\"%s\"", pc_csum_status_name(d->l[d->l4].csum));
    else fputs(",\"l4_csum\":null", out);
    struct jctx j = { out, 0 };
    fputs(",\"errors\":[", out);
    each_error(d, json_err, &j);
    fputs("]}", out);
}

/* ---- main loop ---- */

struct filter { pcap_t *p; struct bpf_program prog; int linktype; bool on; };

static void filter_setup(struct filter *flt, const char *expr, int linktype)
{
    flt->on = expr[0] != 0;
    flt->linktype = linktype;
    if (!flt->on) return;
    flt->p = pcap_open_dead(linktype, 262144);
    if (!flt->p || pcap_compile(flt->p, &flt->prog, expr, 1, PCAP_NETMASK_UNKNOWN) < 0)
        cli_usage_error("filter '%s': %s", expr, flt->p ? pcap_geterr(flt->p) : "cannot compile");
}

static bool filter_match(const struct filter *flt, const struct pc_pkthdr *h, const uint8_t *data)
{
    if (!flt->on) return true;
    struct pcap_pkthdr ph = { .caplen = h->caplen, .len = h->len };
    return pcap_offline_filter(&flt->prog, &ph, data) != 0;
}

static void filter_free(struct filter *flt)
{
    if (!flt->on) return;
    pcap_freecode(&flt->prog);
    pcap_close(flt->p);
}

int cmd_read(int argc, char **argv)
{
    struct read_args a;
    parse_args(&a, argc, argv);
    struct pc_err err = { 0 };
    struct pc_reader *r = pc_reader_open(a.path, &err);
    if (!r) cli_runtime_error("%s", err.msg);
    static char obuf[1 << 20];
    setvbuf(stdout, obuf, _IOFBF, sizeof obuf);
    struct filter flt;
    filter_setup(&flt, a.filter, pc_reader_linktype(r));
    struct pc_pkthdr h = { 0 };
    const uint8_t *data = NULL;
    struct pc_decoded d;
    struct fields f;
    uint64_t n = 0, shown = 0;
    int rc;
    if (a.fmt == FMT_JSON) fputs("[", stdout);
    while ((!a.count || shown < a.count) && (rc = pc_reader_next(r, &h, &data)) > 0) {
        n++;
        if (!filter_match(&flt, &h, data)) continue;
        pc_decode(&d, data, h.caplen, h.len, h.linktype);
        collect(&f, &d);
        if (a.fmt == FMT_TEXT) print_text(stdout, &h, &f);
        else {
            if (a.fmt == FMT_JSON && shown) fputs(",\n", stdout);
            print_json(stdout, n, &h, &f);
            if (a.fmt == FMT_JSONL) fputc('\n', stdout);
        }
        shown++;
    }
    if (a.fmt == FMT_JSON) fputs("]\n", stdout);
    filter_free(&flt);
    int status = EXIT_OK;
    if (a.count && shown >= a.count) rc = 0;
    if (rc < 0) {
        fflush(stdout);
        cli_warn("%s", pc_reader_err(r)->msg);
        status = EXIT_RUNTIME;
    }
    pc_reader_close(r);
    if (fflush(stdout) != 0) cli_runtime_error("writing output: %s", "write error");
    return status;
}

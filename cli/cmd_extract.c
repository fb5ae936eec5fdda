/* pktcraft extract http|dns|tls: the application-layer items of a capture
 * (HTTP exchanges, DNS transactions, TLS handshakes), one row or JSON
 * object each, streamed through the analyzer (reassembled TCP, IP
 * defragmentation) in bounded memory. */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "filter.h"
#include "pktcraft/analysis/analyzer.h"
#include "pktcraft/analysis/dnstxn.h"
#include "pktcraft/analysis/http.h"
#include "pktcraft/analysis/tls.h"
#include "pktcraft/core/fmt.h"

enum kind { K_HTTP, K_DNS, K_TLS };
enum fmt { FMT_TEXT, FMT_JSONL };

struct x_args {
    enum kind kind;
    const char *path;
    enum fmt fmt;
    uint64_t count;  /* -c: items to print, 0 for all */
    int overlap;
    bool no_defrag;
    char filter[4096];
};

static void help(void)
{
    printf("Usage: pktcraft extract http|dns|tls [OPTIONS] FILE [FILTER...]\n\n"
           "Extract application-layer items from a capture (pcap, pcapng, gzip; '-' is\n"
           "stdin), one table row (or JSON object with --format jsonl) per item. IP\n"
           "fragments are reassembled and TCP streams rebuilt first, so messages split\n"
           "across segments, out of order or retransmitted are read once, whole.\n\n"
           "  http  one row per exchange: a request and its response (pipelining and\n"
           "        keep-alive followed), unanswered requests and responses without a\n"
           "        request too; bodies de-chunked, their size and SHA-256. TCP\n"
           "        connections on any port whose first bytes read as HTTP/1.x.\n"
           "  dns   one row per transaction: a query matched to its response by\n"
           "        transport, addresses, ports, id and question, with every record\n"
           "        decoded; unmatched queries (after 10 s, or at the end) and responses\n"
           "        too. UDP and TCP (length-prefixed messages) on ports 53, 5353, 5355.\n"
           "  tls   one row per TCP connection that shows a ClientHello or ServerHello:\n"
           "        versions, SNI, ALPN, cipher suites, extensions, chosen cipher, JA3,\n"
           "        JA3S, JA4, JA4S, certificate sizes (TLS 1.2 and older) and alerts.\n"
           "        Any port whose first bytes read as a TLS handshake.\n\n"
           "A trailing BPF filter selects the packets that count.\n\n"
           "Options:\n"
           "      --format text|jsonl   output format (default text)\n"
           "  -c N                      stop after N items\n"
           "      --overlap first|last  which copy of overlapping bytes wins (default first)\n"
           "      --no-defrag           leave IP fragments alone\n"
           "      --limit NAME=VALUE    change a resource limit (see below)\n"
           "  -h, --help                show this help\n\n"
           "JSON keys (null when unknown):\n"
           "  http: client, cport, server, sport, ts_request, ts_response, method, uri,\n"
           "    version, host, user_agent, status, reason, content_type, content_length,\n"
           "    body_len, body_sha256, request_body_len, request_body_sha256, chunked,\n"
           "    flags (continue, gap, truncated, unanswered, no_request, te-cl, ...)\n"
           "  dns: transport, client, cport, server, sport, id, ts_query, ts_response,\n"
           "    rtt_ns, opcode, rcode, qname, qtype, qclass, flags, answers, authority,\n"
           "    additional ({name, type, class, ttl, data} each), matched, status\n"
           "    (matched, timeout, evicted, end, no_query), query_pkt, response_pkt,\n"
           "    retransmissions, error\n"
           "  tls: client, cport, server, sport, ts, record_version, client_version,\n"
           "    supported_versions, sni, alpn, cipher_suites, extensions, groups,\n"
           "    sig_algs, key_shares, server_version, cipher, server_alpn, hrr, ja3,\n"
           "    ja3_md5, ja3s, ja3s_md5, ja4, ja4s, certificates, alerts\n"
           "Timestamps are \"SECONDS.NANOSECONDS\" strings.\n\n"
           "Examples:\n"
           "  pktcraft dns --src 10.0.0.1 --dst 10.0.0.53 --sport 33000 --id 7 --qname example.com -o d.pcap\n"
           "  pktcraft dns --src 10.0.0.53 --dst 10.0.0.1 --sport 53 --dport 33000 --id 7 --qname example.com \\\n"
           "      --answer \"example.com A 93.184.216.34\" --append -o d.pcap\n"
           "  pktcraft extract dns d.pcap\n"
           "  pktcraft extract http --format jsonl capture.pcapng tcp port 80\n"
           "  pktcraft extract tls -c 10 capture.pcap\n\n"
           "Exit status: 0 success, 1 unreadable or damaged file (items up to the damage\n"
           "are printed), 2 usage error.\n\n");
    cli_limits_help(stdout);
}

static void parse_args(struct x_args *a, int argc, char **argv)
{
    enum { O_FORMAT = 1000, O_OVERLAP, O_NO_DEFRAG };
    static const struct option longopts[] = {
        { "format", required_argument, 0, O_FORMAT },     { "overlap", required_argument, 0, O_OVERLAP },
        { "no-defrag", no_argument, 0, O_NO_DEFRAG },     { "limit", required_argument, 0, CLI_OPT_LIMIT },
        { "help", no_argument, 0, 'h' },                  { 0, 0, 0, 0 },
    };
    memset(a, 0, sizeof *a);
    int opt;
    while ((opt = getopt_long(argc, argv, ":hc:", longopts, NULL)) != -1) {
        switch (opt) {
        case 'h': help(); exit(EXIT_OK);
        case 'c': a->count = cli_parse_uint("-c", optarg, UINT64_MAX); break;
        case CLI_OPT_LIMIT: cli_limit_opt(optarg); break;
        case O_FORMAT:
            if (!strcmp(optarg, "text")) a->fmt = FMT_TEXT;
            else if (!strcmp(optarg, "jsonl")) a->fmt = FMT_JSONL;
            else cli_usage_error("--format: '%s' is not text or jsonl", optarg);
            break;
        case O_OVERLAP: a->overlap = cli_parse_overlap("--overlap", optarg); break;
        case O_NO_DEFRAG: a->no_defrag = true; break;
        default: cli_bad_option(opt, argv);
        }
    }
    if (optind >= argc) cli_usage_error("what to extract is required: http, dns or tls");
    const char *what = argv[optind++];
    if (!strcmp(what, "http")) a->kind = K_HTTP;
    else if (!strcmp(what, "dns")) a->kind = K_DNS;
    else if (!strcmp(what, "tls")) a->kind = K_TLS;
    else cli_usage_error("'%s' is not http, dns or tls", what);
    /* (getopt_long permutes: options may come before or after the kind and the file) */
    if (optind >= argc) cli_usage_error("a FILE to read is required ('-' for stdin)");
    a->path = argv[optind++];
    cli_filter_join(a->filter, sizeof a->filter, argc, argv);
}

/* ------------------------------------------------------------ shared */

struct xflow;

struct run {
    struct x_args *a;
    struct pc_fmt *o;
    bool json;
    uint64_t shown;
    bool done;           /* -c reached: print nothing more */
    uint64_t pkt;        /* number of the packet being read, in the file */
    struct pc_dnstxn_matcher *dns;
    char *rdata;         /* one record's data text */
    size_t rdata_cap;
};

static bool want_more(struct run *r)
{
    if (r->done) return false;
    return true;
}

/* An item was printed. */
static void item_done(struct run *r)
{
    pc_fmt_putc(r->o, '\n');
    r->shown++;
    if (r->a->count && r->shown >= r->a->count) r->done = true;
}

static void addr_str(uint8_t family, const uint8_t *a, char out[46])
{
    if (family == 4) pc_fmt_ip4(a, out);
    else pc_fmt_ip6(a, out);
}

static void k_ts(struct pc_fmt *o, const char *key, bool have, pc_time_ns ts)
{
    if (!have) {
        pc_fmt_knull(o, key);
        return;
    }
    char t[32];
    cli_fmt_ts(ts, t);
    pc_fmt_kstr(o, key, t);
}

static void endpoints_json(struct pc_fmt *o, uint8_t family, const uint8_t *c, uint16_t cport, const uint8_t *s,
                           uint16_t sport)
{
    char cs[46], ss[46];
    addr_str(family, c, cs);
    addr_str(family, s, ss);
    pc_fmt_kstr(o, "client", cs);
    pc_fmt_kuint(o, "cport", cport);
    pc_fmt_kstr(o, "server", ss);
    pc_fmt_kuint(o, "sport", sport);
}

/* Bytes from the file in a text row: control characters and DEL as \xNN
 * (a hostile file cannot send escape sequences or break the row); "-" for
 * nothing. */
static void text_safe(struct pc_fmt *o, const char *p, size_t n)
{
    if (!p || !n) {
        pc_fmt_putc(o, '-');
        return;
    }
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)p[i];
        if (c < 0x20 || c == 0x7f) pc_fmt_printf(o, "\\x%02x", c);
        else pc_fmt_putc(o, (char)c);
    }
}

static void text_ts(struct pc_fmt *o, pc_time_ns ts)
{
    char t[32];
    cli_fmt_ts(ts, t);
    pc_fmt_printf(o, "%s ", t);
}

static void text_ends(struct pc_fmt *o, uint8_t family, const uint8_t *c, uint16_t cport, const uint8_t *s,
                      uint16_t sport)
{
    char cs[46], ss[46];
    addr_str(family, c, cs);
    addr_str(family, s, ss);
    pc_fmt_printf(o, family == 6 ? "[%s]:%u > [%s]:%u " : "%s:%u > %s:%u ", cs, cport, ss, sport);
}

static void hex_str(const uint8_t *p, size_t n, char *out)
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = digits[p[i] >> 4];
        out[2 * i + 1] = digits[p[i] & 15];
    }
    out[2 * n] = 0;
}

/* ------------------------------------------------------------ per-flow sniffing (http, tls) */

/* HTTP and TLS are recognised by a connection's first bytes, not its
 * ports: each direction's first SNIFF bytes are held until one of them
 * reads as the protocol (then both are replayed into the parser) or both
 * do not (then the connection is ignored). */
#define SNIFF 16

enum { UNDECIDED = 0, YES = 1, NO = -1 };

struct tls_side;

struct xflow {
    struct run *r;
    const struct pc_flow *f;
    int state;
    uint8_t head[2][SNIFF];
    uint8_t hn[2];
    pc_time_ns hts[2];
    bool neg[2], ended[2];
    uint64_t lead_gap[2], dropped[2];
    struct pc_http *http;
    struct pc_tls *tls;
    struct tls_rec *rec;
    struct pc_dnstxn_tcp *dns;
};

static bool probe(const struct xflow *x, const uint8_t *p, size_t n)
{
    if (x->r->a->kind == K_HTTP) return pc_http_probe(p, n);
    return n >= 6 && pc_tls_probe(p, n);
}

static void p_feed(struct xflow *x, int dir, const uint8_t *p, size_t n, pc_time_ns ts)
{
    if (!n) return;
    if (x->http) pc_http_feed(x->http, dir, p, n, ts);
    if (x->tls) pc_tls_feed(x->tls, dir, p, n, ts);
}

static void p_gap(struct xflow *x, int dir, uint64_t n)
{
    if (!n) return;
    if (x->http) pc_http_gap(x->http, dir, n);
    if (x->tls) pc_tls_gap(x->tls, dir, n);
}

static void p_end(struct xflow *x, int dir, pc_time_ns ts)
{
    if (x->http) pc_http_end(x->http, dir, ts);
    if (x->tls) pc_tls_end(x->tls, dir, ts);
}

static bool parser_new(struct xflow *x);

/* What was held, into the parser: the other direction first (its bytes
 * are older), then this one's. */
static void replay(struct xflow *x, int dir)
{
    for (int k = 0; k < 2; k++) {
        int d = k ? dir : 1 - dir;
        p_gap(x, d, x->lead_gap[d]);
        p_feed(x, d, x->head[d], x->hn[d], x->hts[d]);
        p_gap(x, d, x->dropped[d]);
        if (x->ended[d]) p_end(x, d, x->hts[d]);
    }
}

static void decide_no(struct xflow *x, int dir)
{
    x->neg[dir] = true;
    if ((x->neg[1 - dir] || (x->ended[1 - dir] && !x->hn[1 - dir])) && x->state == UNDECIDED) x->state = NO;
}

static void decide_yes(struct xflow *x, int dir)
{
    x->state = parser_new(x) ? YES : NO;
    if (x->state == YES) replay(x, dir);
}

static void sniff(struct xflow *x, int dir, const uint8_t *p, size_t n, pc_time_ns ts)
{
    if (x->neg[dir]) {
        x->dropped[dir] += n;
        return;
    }
    size_t k = n < (size_t)(SNIFF - x->hn[dir]) ? n : (size_t)(SNIFF - x->hn[dir]);
    memcpy(x->head[dir] + x->hn[dir], p, k);
    x->hn[dir] = (uint8_t)(x->hn[dir] + k);
    x->hts[dir] = ts;
    if (probe(x, x->head[dir], x->hn[dir])) {
        decide_yes(x, dir);
        if (x->state == YES) p_feed(x, dir, p + k, n - k, ts);
        return;
    }
    if (x->hn[dir] < SNIFF) return;
    x->dropped[dir] += n - k;
    decide_no(x, dir);
}

static void sniff_gap(struct xflow *x, int dir, uint64_t n)
{
    if (x->hn[dir] == 0 && !x->neg[dir]) x->lead_gap[dir] += n;
    else if (x->neg[dir]) x->dropped[dir] += n;
    else {
        /* a gap after a short head: judge the head as it is */
        x->dropped[dir] += n;
        if (probe(x, x->head[dir], x->hn[dir])) decide_yes(x, dir);
        else decide_no(x, dir);
    }
}

static void sniff_end(struct xflow *x, int dir, pc_time_ns ts)
{
    x->ended[dir] = true;
    x->hts[dir] = ts;
    if (x->hn[dir] && !x->neg[dir] && probe(x, x->head[dir], x->hn[dir])) {
        decide_yes(x, dir);
        return;
    }
    decide_no(x, dir);
}

/* ------------------------------------------------------------ http */

static void http_flags(struct pc_fmt *o, const struct pc_http_msg *req, const struct pc_http_msg *resp)
{
    uint32_t fl = (req ? req->flags : 0) | (resp ? resp->flags : 0);
    pc_fmt_karr_open(o, "flags");
    if (resp && (fl & PC_HTTP_F_INTERIM)) pc_fmt_kstr(o, NULL, resp->interim_status == 100 ? "continue" : "interim");
    if (fl & PC_HTTP_F_BODY_LOST) pc_fmt_kstr(o, NULL, "gap");
    if (fl & PC_HTTP_F_INCOMPLETE) pc_fmt_kstr(o, NULL, "truncated");
    if (!resp) pc_fmt_kstr(o, NULL, "unanswered");
    if (!req) pc_fmt_kstr(o, NULL, "no_request");
    for (unsigned b = 0; b < PC_HTTP_F_COUNT; b++) {
        uint32_t bit = 1u << b;
        if (!(fl & bit) || bit == PC_HTTP_F_INTERIM || bit == PC_HTTP_F_BODY_LOST || bit == PC_HTTP_F_INCOMPLETE)
            continue;
        const char *name = pc_http_flag_name(b);
        if (name) pc_fmt_kstr(o, NULL, name);
    }
    pc_fmt_karr_close(o);
}

static void k_hstr(struct pc_fmt *o, const char *key, const struct pc_http_msg *m, struct pc_http_str s)
{
    if (m && s.p) pc_fmt_kbytes_str(o, key, (const uint8_t *)s.p, s.n);
    else pc_fmt_knull(o, key);
}

static void http_json(struct xflow *x, const struct pc_http_msg *req, const struct pc_http_msg *resp)
{
    struct pc_fmt *o = x->r->o;
    const struct pc_flow *f = x->f;
    o->members = 0;
    pc_fmt_kobj_open(o, NULL);
    endpoints_json(o, f->family, f->client, f->cport, f->server, f->sport);
    k_ts(o, "ts_request", req, req ? req->ts_first : 0);
    k_ts(o, "ts_response", resp, resp ? resp->ts_first : 0);
    k_hstr(o, "method", req, req ? req->method : (struct pc_http_str){ 0 });
    k_hstr(o, "uri", req, req ? req->uri : (struct pc_http_str){ 0 });
    const struct pc_http_msg *vm = req ? req : resp;
    char v[16];
    snprintf(v, sizeof v, "HTTP/%u.%u", vm ? (unsigned)vm->major : 0u, vm ? (unsigned)vm->minor : 0u);
    if (vm) pc_fmt_kstr(o, "version", v);
    else pc_fmt_knull(o, "version");
    k_hstr(o, "host", req, req ? pc_http_host(req) : (struct pc_http_str){ 0 });
    k_hstr(o, "user_agent", req, req ? pc_http_user_agent(req) : (struct pc_http_str){ 0 });
    if (resp) pc_fmt_kuint(o, "status", (uint64_t)resp->status);
    else pc_fmt_knull(o, "status");
    k_hstr(o, "reason", resp, resp ? resp->reason : (struct pc_http_str){ 0 });
    k_hstr(o, "content_type", resp, resp ? pc_http_content_type(resp) : (struct pc_http_str){ 0 });
    int64_t cl = resp ? pc_http_content_length(resp) : -1;
    if (cl >= 0) pc_fmt_kint(o, "content_length", cl);
    else pc_fmt_knull(o, "content_length");
    char sha[65];
    if (resp) {
        pc_fmt_kuint(o, "body_len", resp->body_len);
        hex_str(resp->body_sha256, 32, sha);
        pc_fmt_kstr(o, "body_sha256", sha);
    } else {
        pc_fmt_knull(o, "body_len");
        pc_fmt_knull(o, "body_sha256");
    }
    if (req) {
        pc_fmt_kuint(o, "request_body_len", req->body_len);
        hex_str(req->body_sha256, 32, sha);
        pc_fmt_kstr(o, "request_body_sha256", sha);
    } else {
        pc_fmt_knull(o, "request_body_len");
        pc_fmt_knull(o, "request_body_sha256");
    }
    pc_fmt_kbool(o, "chunked", resp && resp->framing == PC_HTTP_BODY_CHUNKED);
    http_flags(o, req, resp);
    pc_fmt_kobj_close(o);
}

static void http_text(struct xflow *x, const struct pc_http_msg *req, const struct pc_http_msg *resp)
{
    struct pc_fmt *o = x->r->o;
    const struct pc_flow *f = x->f;
    const struct pc_http_msg *first = req ? req : resp;
    if (!first) return;
    text_ts(o, first->ts_first);
    text_ends(o, f->family, f->client, f->cport, f->server, f->sport);
    struct pc_http_str none = { 0 };
    struct pc_http_str m = req ? req->method : none, h = req ? pc_http_host(req) : none, u = req ? req->uri : none;
    text_safe(o, m.p, m.n);
    pc_fmt_putc(o, ' ');
    text_safe(o, h.p, h.n);
    pc_fmt_putc(o, ' ');
    text_safe(o, u.p, u.n);
    if (resp) {
        pc_fmt_printf(o, "  %d %llu bytes ", resp->status, (unsigned long long)resp->body_len);
        struct pc_http_str ct = pc_http_content_type(resp);
        text_safe(o, ct.p, ct.n);
    } else {
        pc_fmt_printf(o, "  (unanswered)");
    }
    if (!req) pc_fmt_printf(o, " (no request)");
}

static void on_exchange(void *ctx, const struct pc_http_msg *req, const struct pc_http_msg *resp)
{
    struct xflow *x = ctx;
    if (!want_more(x->r) || (!req && !resp)) return;
    if (x->r->json) http_json(x, req, resp);
    else http_text(x, req, resp);
    item_done(x->r);
}

/* ------------------------------------------------------------ tls */

/* What one connection's hellos said, kept until it ends (the hellos'
 * own memory lives only during their callbacks). */
struct tls_side {
    bool seen;
    pc_time_ns ts;
    uint16_t record_version, legacy, version;
    bool hrr;
    uint16_t *vers, *ciphers, *ext, *groups, *sig_algs, *key_shares;
    uint32_t n_vers, n_ciphers, n_ext, n_groups, n_sig_algs, n_key_shares;
    bool has_sni;
    char *sni;
    size_t sni_len;
    uint8_t *alpn;          /* wire list: length, name, ... */
    uint32_t alpn_len;
    char *ja3, *ja4_s;      /* ja3 (client) or ja3s (server); ja4 or ja4s */
    char md5[33];
};

#define MAX_ALERTS 16
struct tls_rec {
    struct tls_side c, s;
    bool hrr;
    uint32_t *certs;
    uint32_t ncerts;
    int alerts[MAX_ALERTS][2];
    uint32_t nalerts;
};

static uint16_t *dup16(const uint16_t *p, uint32_t n)
{
    if (!n) return NULL;
    uint16_t *d = malloc(n * sizeof *d);
    if (d) memcpy(d, p, n * sizeof *d);
    return d;
}

static void side_free(struct tls_side *s)
{
    free(s->vers);
    free(s->ciphers);
    free(s->ext);
    free(s->groups);
    free(s->sig_algs);
    free(s->key_shares);
    free(s->sni);
    free(s->alpn);
    free(s->ja3);
    free(s->ja4_s);
    memset(s, 0, sizeof *s);
}

static void rec_free(struct tls_rec *t)
{
    if (!t) return;
    side_free(&t->c);
    side_free(&t->s);
    free(t->certs);
    free(t);
}

static char *fmt_take(struct pc_fmt *f)
{
    char *s = f->err ? NULL : strdup(f->buf ? f->buf : "");
    pc_fmt_free(f);
    return s;
}

static void side_fill(struct tls_side *s, const struct pc_tls_hello *h, pc_time_ns ts)
{
    side_free(s);
    s->seen = true;
    s->ts = ts;
    s->record_version = h->record_version;
    s->legacy = h->legacy_version;
    s->version = h->version;
    s->hrr = h->hrr;
    s->vers = dup16(h->versions, s->n_vers = h->n_versions);
    s->ciphers = dup16(h->ciphers, s->n_ciphers = h->n_ciphers);
    s->ext = dup16(h->ext, s->n_ext = h->n_ext);
    s->groups = dup16(h->groups, s->n_groups = h->n_groups);
    s->sig_algs = dup16(h->sig_algs, s->n_sig_algs = h->n_sig_algs);
    s->key_shares = dup16(h->key_shares, s->n_key_shares = h->n_key_shares);
    /* a failed copy leaves its list empty */
    if (!s->vers) s->n_vers = 0;
    if (!s->ciphers) s->n_ciphers = 0;
    if (!s->ext) s->n_ext = 0;
    if (!s->groups) s->n_groups = 0;
    if (!s->sig_algs) s->n_sig_algs = 0;
    if (!s->key_shares) s->n_key_shares = 0;
    s->has_sni = h->has_sni && h->sni_len;
    if (s->has_sni && (s->sni = malloc(h->sni_len)) != NULL) {
        memcpy(s->sni, h->sni_raw, h->sni_len);
        s->sni_len = h->sni_len;
    }
    if (h->has_alpn && h->alpn_len && (s->alpn = malloc(h->alpn_len)) != NULL) {
        memcpy(s->alpn, h->alpn, h->alpn_len);
        s->alpn_len = h->alpn_len;
    }
    struct pc_fmt f;
    pc_fmt_init_grow(&f, false);
    char ja4[PC_TLS_JA4_LEN + 1];
    if (h->client) {
        if (pc_tls_ja3(h, &f) == 0) s->ja3 = fmt_take(&f);
        else pc_fmt_free(&f);
        if (pc_tls_ja3_md5(h, s->md5) != 0) s->md5[0] = 0;
        if (pc_tls_ja4(h, 0, ja4) == 0) s->ja4_s = strdup(ja4);
    } else {
        if (pc_tls_ja3s(h, &f) == 0) s->ja3 = fmt_take(&f);
        else pc_fmt_free(&f);
        if (pc_tls_ja3s_md5(h, s->md5) != 0) s->md5[0] = 0;
        if (pc_tls_ja4s(h, ja4) == 0) s->ja4_s = strdup(ja4);
    }
}

static void on_client_hello(void *ctx, int dir, const struct pc_tls_hello *h, pc_time_ns ts)
{
    (void)dir;
    struct xflow *x = ctx;
    if (!x->rec->c.seen) side_fill(&x->rec->c, h, ts); /* the first one: a retry's second hello is not kept */
}

static void on_server_hello(void *ctx, int dir, const struct pc_tls_hello *h, pc_time_ns ts)
{
    (void)dir;
    struct xflow *x = ctx;
    x->rec->hrr |= h->hrr;
    side_fill(&x->rec->s, h, ts); /* the last one: after a retry, the real choice */
}

static void on_alert(void *ctx, int dir, int level, int description, bool encrypted, pc_time_ns ts)
{
    (void)dir, (void)encrypted, (void)ts;
    struct xflow *x = ctx;
    if (x->rec->nalerts < MAX_ALERTS) {
        x->rec->alerts[x->rec->nalerts][0] = level;
        x->rec->alerts[x->rec->nalerts][1] = description;
    }
    x->rec->nalerts++;
}

static void on_certs(void *ctx, int dir, uint32_t count, const uint32_t *sizes, pc_time_ns ts)
{
    (void)dir, (void)ts;
    struct xflow *x = ctx;
    if (x->rec->certs || !count) return; /* the server's chain, the first time */
    x->rec->certs = malloc(count * sizeof *sizes);
    if (!x->rec->certs) return;
    memcpy(x->rec->certs, sizes, count * sizeof *sizes);
    x->rec->ncerts = count;
}

static void hex16_arr(struct pc_fmt *o, const char *key, bool have, const uint16_t *v, uint32_t n)
{
    if (!have) {
        pc_fmt_knull(o, key);
        return;
    }
    pc_fmt_karr_open(o, key);
    char b[8];
    for (uint32_t i = 0; i < n; i++) {
        snprintf(b, sizeof b, "0x%04x", v[i]);
        pc_fmt_kstr(o, NULL, b);
    }
    pc_fmt_karr_close(o);
}

static void num_arr(struct pc_fmt *o, const char *key, bool have, const uint16_t *v, uint32_t n)
{
    if (!have) {
        pc_fmt_knull(o, key);
        return;
    }
    pc_fmt_karr_open(o, key);
    for (uint32_t i = 0; i < n; i++) pc_fmt_kuint(o, NULL, v[i]);
    pc_fmt_karr_close(o);
}

static void alpn_arr(struct pc_fmt *o, const char *key, const struct tls_side *s)
{
    if (!s->seen || !s->alpn) {
        pc_fmt_knull(o, key);
        return;
    }
    pc_fmt_karr_open(o, key);
    for (uint32_t i = 0; i < s->alpn_len;) {
        uint8_t n = s->alpn[i++];
        if (n > s->alpn_len - i) break;
        pc_fmt_kbytes_str(o, NULL, s->alpn + i, n);
        i += n;
    }
    pc_fmt_karr_close(o);
}

static void k_hex16(struct pc_fmt *o, const char *key, bool have, uint16_t v)
{
    if (!have) {
        pc_fmt_knull(o, key);
        return;
    }
    char b[8];
    snprintf(b, sizeof b, "0x%04x", v);
    pc_fmt_kstr(o, key, b);
}

static void k_str_or_null(struct pc_fmt *o, const char *key, const char *s)
{
    if (s && *s) pc_fmt_kstr(o, key, s);
    else pc_fmt_knull(o, key);
}

static void tls_json(struct xflow *x, const struct tls_rec *t)
{
    struct pc_fmt *o = x->r->o;
    const struct pc_flow *f = x->f;
    const struct tls_side *c = &t->c, *s = &t->s;
    o->members = 0;
    pc_fmt_kobj_open(o, NULL);
    endpoints_json(o, f->family, f->client, f->cport, f->server, f->sport);
    k_ts(o, "ts", true, c->seen ? c->ts : s->ts);
    k_hex16(o, "record_version", true, c->seen ? c->record_version : s->record_version);
    k_hex16(o, "client_version", c->seen, c->legacy);
    hex16_arr(o, "supported_versions", c->seen, c->vers, c->n_vers);
    if (c->seen && c->sni) pc_fmt_kbytes_str(o, "sni", (const uint8_t *)c->sni, c->sni_len);
    else pc_fmt_knull(o, "sni");
    alpn_arr(o, "alpn", c);
    hex16_arr(o, "cipher_suites", c->seen, c->ciphers, c->n_ciphers);
    num_arr(o, "extensions", c->seen, c->ext, c->n_ext);
    num_arr(o, "groups", c->seen, c->groups, c->n_groups);
    num_arr(o, "sig_algs", c->seen, c->sig_algs, c->n_sig_algs);
    num_arr(o, "key_shares", c->seen, c->key_shares, c->n_key_shares);
    k_hex16(o, "server_version", s->seen, s->version);
    k_hex16(o, "cipher", s->seen && s->n_ciphers, s->n_ciphers ? s->ciphers[0] : 0);
    alpn_arr(o, "server_alpn", s);
    pc_fmt_kbool(o, "hrr", t->hrr);
    k_str_or_null(o, "ja3", c->seen ? c->ja3 : NULL);
    k_str_or_null(o, "ja3_md5", c->seen ? c->md5 : NULL);
    k_str_or_null(o, "ja3s", s->seen ? s->ja3 : NULL);
    k_str_or_null(o, "ja3s_md5", s->seen ? s->md5 : NULL);
    k_str_or_null(o, "ja4", c->seen ? c->ja4_s : NULL);
    k_str_or_null(o, "ja4s", s->seen ? s->ja4_s : NULL);
    pc_fmt_karr_open(o, "certificates");
    for (uint32_t i = 0; i < t->ncerts; i++) pc_fmt_kuint(o, NULL, t->certs[i]);
    pc_fmt_karr_close(o);
    pc_fmt_karr_open(o, "alerts");
    for (uint32_t i = 0; i < t->nalerts && i < MAX_ALERTS; i++) {
        pc_fmt_kobj_open(o, NULL);
        if (t->alerts[i][0] < 0) pc_fmt_knull(o, "level");
        else pc_fmt_kuint(o, "level", (uint64_t)t->alerts[i][0]);
        if (t->alerts[i][1] < 0) pc_fmt_knull(o, "description");
        else pc_fmt_kuint(o, "description", (uint64_t)t->alerts[i][1]);
        pc_fmt_kobj_close(o);
    }
    pc_fmt_karr_close(o);
    pc_fmt_kobj_close(o);
}

static void tls_text(struct xflow *x, const struct tls_rec *t)
{
    struct pc_fmt *o = x->r->o;
    const struct pc_flow *f = x->f;
    const struct tls_side *c = &t->c, *s = &t->s;
    text_ts(o, c->seen ? c->ts : s->ts);
    text_ends(o, f->family, f->client, f->cport, f->server, f->sport);
    uint16_t v = s->seen ? s->version : c->version;
    const char *vn = pc_tls_version_name(v);
    if (vn) pc_fmt_printf(o, "%s ", vn);
    else pc_fmt_printf(o, "0x%04x ", v);
    text_safe(o, c->sni, c->sni_len);
    pc_fmt_putc(o, ' ');
    if (c->alpn && c->alpn_len > 1 && c->alpn[0] <= c->alpn_len - 1) text_safe(o, (const char *)c->alpn + 1, c->alpn[0]);
    else pc_fmt_putc(o, '-');
    if (s->seen && s->n_ciphers) pc_fmt_printf(o, " 0x%04x", s->ciphers[0]);
    else pc_fmt_printf(o, " -");
    pc_fmt_printf(o, " ja3 %s ja4 %s", c->seen && c->md5[0] ? c->md5 : "-", c->seen && c->ja4_s ? c->ja4_s : "-");
    if (t->hrr) pc_fmt_printf(o, " hrr");
    if (t->ncerts) pc_fmt_printf(o, " %u certs", t->ncerts);
    if (t->nalerts) pc_fmt_printf(o, " %u alerts", t->nalerts);
}

static void tls_emit(struct xflow *x)
{
    struct tls_rec *t = x->rec;
    if (!t || (!t->c.seen && !t->s.seen) || !want_more(x->r)) return;
    if (x->r->json) tls_json(x, t);
    else tls_text(x, t);
    item_done(x->r);
}

static bool parser_new(struct xflow *x)
{
    const struct pc_limits *lim = cli_limits();
    if (x->r->a->kind == K_HTTP) {
        struct pc_http_cbs cbs = { .exchange = on_exchange };
        x->http = pc_http_new(lim, &cbs, x);
        return x->http != NULL;
    }
    x->rec = calloc(1, sizeof *x->rec);
    if (!x->rec) return false;
    struct pc_tls_cbs cbs = { .client_hello = on_client_hello, .server_hello = on_server_hello,
                              .alert = on_alert, .certificates = on_certs };
    x->tls = pc_tls_new(lim, &cbs, x);
    return x->tls != NULL;
}

/* ------------------------------------------------------------ dns */

static bool dns_port(uint16_t p) { return p == 53 || p == 5353 || p == 5355; }

static const char *opcode_name(unsigned op)
{
    static const char *const names[] = { "QUERY", "IQUERY", "STATUS", NULL, "NOTIFY", "UPDATE", "DSO" };
    return op < sizeof names / sizeof names[0] ? names[op] : NULL;
}

static void class_name(uint16_t c, char out[16])
{
    const char *n = c == 1 ? "IN" : c == 3 ? "CH" : c == 4 ? "HS" : c == 254 ? "NONE" : c == 255 ? "ANY" : NULL;
    if (n) snprintf(out, 16, "%s", n);
    else snprintf(out, 16, "CLASS%u", c);
}

static void rcode_name(unsigned rc, char out[16])
{
    snprintf(out, 16, "%s", pc_dns_rcode_name((uint16_t)rc));
    for (char *p = out; *p; p++)
        if (*p >= 'a' && *p <= 'z') *p = (char)(*p - 32);
}

static void dns_flag_arr(struct pc_fmt *o, uint16_t fl)
{
    static const struct { uint16_t bit; const char *name; } names[] = {
        { PC_DNS_F_AA, "aa" }, { PC_DNS_F_TC, "tc" }, { PC_DNS_F_RD, "rd" },
        { PC_DNS_F_RA, "ra" }, { PC_DNS_F_AD, "ad" }, { PC_DNS_F_CD, "cd" },
    };
    pc_fmt_karr_open(o, "flags");
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (fl & names[i].bit) pc_fmt_kstr(o, NULL, names[i].name);
    pc_fmt_karr_close(o);
}

/* One section of the response as an array; the first error is kept in
 * *why.  The extended RCODE of an OPT record goes to *ext. */
static void dns_section(struct run *r, const struct pc_dnstxn *x, int sec, const char *key, const char **why,
                        unsigned *ext)
{
    struct pc_fmt *o = r->o;
    pc_fmt_karr_open(o, key);
    struct pc_dns_iter it;
    struct pc_dns_rr rr;
    int rc = pc_dns_iter_init(&it, x->response, x->response_len);
    while (rc == 0 && (rc = pc_dns_iter_next(&it, &rr)) == 1) {
        rc = 0;
        if (rr.section != sec) continue;
        char cls[16];
        if (rr.type == PC_DNS_T_OPT) {
            snprintf(cls, sizeof cls, "%u", rr.rclass); /* the UDP payload size */
            *ext = rr.ttl >> 24;
        } else {
            class_name(rr.rclass, cls);
        }
        pc_fmt_kobj_open(o, NULL);
        pc_fmt_kstr(o, "name", rr.name);
        pc_fmt_kstr(o, "type", pc_dns_type_name(rr.type));
        pc_fmt_kstr(o, "class", cls);
        pc_fmt_kuint(o, "ttl", rr.ttl);
        const char *w = NULL;
        int n = pc_dns_rdata_text(x->response, x->response_len, &rr, r->rdata, r->rdata_cap, &w);
        if (n >= 0) pc_fmt_kbytes_str(o, "data", (const uint8_t *)r->rdata, (size_t)n);
        else pc_fmt_knull(o, "data");
        if (n < 0 && !*why) *why = w;
        pc_fmt_kobj_close(o);
    }
    if (rc < 0 && !*why) *why = it.why;
    pc_fmt_karr_close(o);
}

static void dns_json(struct run *r, const struct pc_dnstxn *x)
{
    struct pc_fmt *o = r->o;
    o->members = 0;
    pc_fmt_kobj_open(o, NULL);
    pc_fmt_kstr(o, "transport", x->transport == PC_IPPROTO_TCP ? "tcp" : "udp");
    endpoints_json(o, x->family, x->client, x->cport, x->server, x->sport);
    pc_fmt_kuint(o, "id", x->id);
    k_ts(o, "ts_query", x->has_query, x->ts_query);
    k_ts(o, "ts_response", x->response != NULL, x->ts_response);
    if (x->has_query && x->response) pc_fmt_kint(o, "rtt_ns", x->ts_response - x->ts_query);
    else pc_fmt_knull(o, "rtt_ns");
    uint16_t fl = x->response ? pc_dns_flags(x->response) : x->query_flags;
    unsigned opc = (unsigned)(fl >> 11) & 0xFu;
    const char *op = opcode_name(opc);
    char opb[16];
    snprintf(opb, sizeof opb, "OPCODE%u", opc);
    pc_fmt_kstr(o, "opcode", op ? op : opb);
    /* the records first (the extended RCODE is in OPT), written after */
    const char *why = NULL;
    unsigned ext = 0;
    struct pc_fmt rec;
    pc_fmt_init_grow(&rec, true);
    if (x->response) {
        struct pc_fmt *keep = r->o;
        r->o = &rec;
        rec.members = 1;
        dns_section(r, x, PC_DNS_SEC_AN, "answers", &why, &ext);
        dns_section(r, x, PC_DNS_SEC_NS, "authority", &why, &ext);
        dns_section(r, x, PC_DNS_SEC_AR, "additional", &why, &ext);
        r->o = keep;
    }
    char rc[16];
    rcode_name(ext << 4 | (fl & 0xF), rc);
    if (x->response) pc_fmt_kstr(o, "rcode", rc);
    else pc_fmt_knull(o, "rcode");
    if (x->has_question) {
        char cls[16];
        class_name(x->qclass, cls);
        pc_fmt_kstr(o, "qname", x->qname);
        pc_fmt_kstr(o, "qtype", pc_dns_type_name(x->qtype));
        pc_fmt_kstr(o, "qclass", cls);
    } else {
        pc_fmt_knull(o, "qname");
        pc_fmt_knull(o, "qtype");
        pc_fmt_knull(o, "qclass");
    }
    dns_flag_arr(o, fl);
    if (x->response && !rec.err) {
        pc_fmt_put(o, rec.buf, rec.len);
    } else {
        pc_fmt_knull(o, "answers");
        pc_fmt_knull(o, "authority");
        pc_fmt_knull(o, "additional");
    }
    pc_fmt_free(&rec);
    pc_fmt_kbool(o, "matched", x->status == PC_DNSTXN_MATCHED);
    pc_fmt_kstr(o, "status", pc_dnstxn_status_name(x->status));
    if (x->has_query) pc_fmt_kuint(o, "query_pkt", x->query_pkt);
    else pc_fmt_knull(o, "query_pkt");
    if (x->response) pc_fmt_kuint(o, "response_pkt", x->response_pkt);
    else pc_fmt_knull(o, "response_pkt");
    pc_fmt_kuint(o, "retransmissions", x->retransmissions);
    if (why) pc_fmt_kstr(o, "error", why);
    else pc_fmt_knull(o, "error");
    pc_fmt_kobj_close(o);
}

static void dns_text(struct run *r, const struct pc_dnstxn *x)
{
    struct pc_fmt *o = r->o;
    text_ts(o, x->has_query ? x->ts_query : x->ts_response);
    pc_fmt_printf(o, "%s ", x->transport == PC_IPPROTO_TCP ? "tcp" : "udp");
    text_ends(o, x->family, x->client, x->cport, x->server, x->sport);
    pc_fmt_printf(o, "id 0x%04x %s ", x->id, x->has_question ? pc_dns_type_name(x->qtype) : "-");
    text_safe(o, x->has_question ? x->qname : NULL, strlen(x->qname));
    if (!x->response) {
        pc_fmt_printf(o, "  (%s)", x->status == PC_DNSTXN_MATCHED ? "?" : pc_dnstxn_status_name(x->status));
        return;
    }
    char rc[16];
    rcode_name(pc_dns_rcode(x->response), rc);
    pc_fmt_printf(o, "  %s", rc);
    struct pc_dns_iter it;
    struct pc_dns_rr rr;
    int n = 0;
    if (pc_dns_iter_init(&it, x->response, x->response_len) == 0)
        while (pc_dns_iter_next(&it, &rr) == 1) {
            if (rr.section != PC_DNS_SEC_AN) continue;
            int k = pc_dns_rdata_text(x->response, x->response_len, &rr, r->rdata, r->rdata_cap, NULL);
            pc_fmt_put(o, n++ ? "," : " ", 1);
            if (k >= 0) text_safe(o, r->rdata, (size_t)k);
            else pc_fmt_putc(o, '?');
        }
    if (x->has_query) {
        int64_t us = (x->ts_response - x->ts_query) / 1000;
        pc_fmt_printf(o, "  %lld.%03lld ms", (long long)(us / 1000), (long long)(us < 0 ? -us % 1000 : us % 1000));
    } else {
        pc_fmt_printf(o, "  (no query)");
    }
}

static void on_txn(void *ctx, const struct pc_dnstxn *x)
{
    struct run *r = ctx;
    if (!want_more(r)) return;
    if (r->json) dns_json(r, x);
    else dns_text(r, x);
    item_done(r);
}

static void ends_of(const struct pc_flow *f, int dir, struct pc_dnstxn_ends *e)
{
    memset(e, 0, sizeof *e);
    e->family = f->family;
    memcpy(e->src, dir ? f->server : f->client, 16);
    memcpy(e->dst, dir ? f->client : f->server, 16);
    e->sport = dir ? f->sport : f->cport;
    e->dport = dir ? f->cport : f->sport;
}

/* ------------------------------------------------------------ analyzer callbacks */

static void *on_flow_start(void *ctx, const struct pc_flow *f)
{
    struct run *r = ctx;
    if (f->proto != PC_IPPROTO_TCP) return NULL;
    if (r->a->kind == K_DNS && !dns_port(f->cport) && !dns_port(f->sport)) return NULL;
    struct xflow *x = calloc(1, sizeof *x);
    if (!x) return NULL;
    x->r = r;
    x->f = f;
    if (r->a->kind == K_DNS) {
        struct pc_dnstxn_ends e;
        ends_of(f, 0, &e);
        x->dns = pc_dnstxn_tcp_new(r->dns, &e);
        if (!x->dns) {
            free(x);
            return NULL;
        }
    }
    return x;
}

static void on_flow_free(void *ctx, const struct pc_flow *f, void *user)
{
    (void)ctx, (void)f;
    struct xflow *x = user;
    if (!x) return;
    for (int d = 0; d < 2; d++)
        if (x->state == YES && !x->ended[d]) {
            x->ended[d] = true;
            p_end(x, d, f->last_ts);
        }
    if (x->tls) tls_emit(x);
    pc_http_free(x->http);
    pc_tls_free(x->tls);
    rec_free(x->rec);
    pc_dnstxn_tcp_free(x->dns);
    free(x);
}

static void on_data(void *ctx, const struct pc_flow *f, int dir, const uint8_t *p, size_t n, uint64_t off,
                    pc_time_ns ts)
{
    (void)off;
    struct run *r = ctx;
    struct xflow *x = pc_flow_user(f);
    if (!x || !n) return;
    if (x->dns) pc_dnstxn_tcp_feed(x->dns, dir, p, n, ts, r->pkt);
    else if (x->state == YES) p_feed(x, dir, p, n, ts);
    else if (x->state == UNDECIDED) sniff(x, dir, p, n, ts);
}

static void on_gap(void *ctx, const struct pc_flow *f, int dir, uint64_t off, uint64_t n, int why)
{
    (void)ctx, (void)off, (void)why;
    struct xflow *x = pc_flow_user(f);
    if (!x) return;
    if (x->dns) pc_dnstxn_tcp_gap(x->dns, dir, n);
    else if (x->state == YES) p_gap(x, dir, n);
    else if (x->state == UNDECIDED) sniff_gap(x, dir, n);
}

static void on_stream_end(void *ctx, const struct pc_flow *f, int dir, pc_time_ns ts)
{
    (void)ctx;
    struct xflow *x = pc_flow_user(f);
    if (!x || x->dns || x->ended[dir]) return;
    if (x->state == YES) {
        x->ended[dir] = true;
        p_end(x, dir, ts);
    } else if (x->state == UNDECIDED) {
        sniff_end(x, dir, ts);
    }
}

static void on_datagram(void *ctx, const struct pc_flow *f, int dir, const uint8_t *p, size_t n,
                        const struct pc_apkt *pk)
{
    struct run *r = ctx;
    if (!dns_port(f->cport) && !dns_port(f->sport)) return;
    struct pc_dnstxn_ends e;
    ends_of(f, dir, &e);
    if (pc_dnstxn_udp(r->dns, &e, p, n, pk->h->ts, r->pkt) == PC_ENOMEM) cli_runtime_error("out of memory");
}

static void on_packet(void *ctx, const struct pc_apkt *p)
{
    struct run *r = ctx;
    if (r->dns) pc_dnstxn_expire(r->dns, p->h->ts);
}

/* ------------------------------------------------------------ main */

static void header(struct run *r)
{
    if (r->json) return;
    static const char *const heads[] = {
        [K_HTTP] = "# ts client > server method host uri  status body_len content_type",
        [K_DNS] = "# ts transport client > server id qtype qname  rcode answers  rtt",
        [K_TLS] = "# ts client > server version sni alpn cipher ja3 ja4",
    };
    pc_fmt_printf(r->o, "%s\n", heads[r->a->kind]);
}

int cmd_extract(int argc, char **argv)
{
    struct x_args a;
    parse_args(&a, argc, argv);
    struct pc_err err = { 0 };
    struct pc_reader *rd = pc_reader_open_ex(a.path, cli_limits(), &err);
    if (!rd) cli_runtime_error("%s", err.msg);
    struct run run = { .a = &a, .json = a.fmt == FMT_JSONL };
    run.o = cli_out(run.json);
    struct cli_filter flt;
    cli_filter_setup(&flt, a.filter, pc_reader_linktype(rd));
    if (a.kind == K_DNS) {
        struct pc_dnstxn_opts dopt = { .lim = cli_limits() };
        struct pc_dnstxn_cbs dcb = { .txn = on_txn };
        run.dns = pc_dnstxn_new(&dopt, &dcb, &run);
        run.rdata_cap = 2 * 65536 + 64;
        run.rdata = malloc(run.rdata_cap);
        if (!run.dns || !run.rdata) cli_runtime_error("out of memory");
    }
    struct pc_analyzer_opts o = { .lim = cli_limits(), .overlap = a.overlap, .no_defrag = a.no_defrag,
                                  .decode_flags = PC_DEC_NO_L4CSUM };
    struct pc_analyzer_cbs cbs = { .flow_start = on_flow_start, .flow_free = on_flow_free, .data = on_data,
                                   .gap = on_gap, .stream_end = on_stream_end };
    if (a.kind == K_DNS) {
        cbs.datagram = on_datagram;
        cbs.packet = on_packet;
    }
    struct pc_analyzer *an = pc_analyzer_new(&o, &cbs, &run);
    if (!an) cli_runtime_error("out of memory");
    header(&run);
    struct pc_pkthdr h;
    const uint8_t *data;
    int rc = 0;
    while (!run.done && (rc = pc_reader_next(rd, &h, &data)) > 0) {
        run.pkt++;
        if (!cli_filter_match(&flt, &h, data)) continue;
        if (pc_analyzer_packet(an, &h, data) < 0) cli_runtime_error("out of memory");
    }
    if (run.done) rc = 0;
    if (!run.done) pc_analyzer_finish(an);
    if (run.dns && !run.done) pc_dnstxn_finish(run.dns);
    pc_analyzer_free(an);
    pc_dnstxn_free(run.dns);
    free(run.rdata);
    cli_filter_free(&flt);
    int status = EXIT_OK;
    cli_out_flush();
    if (rc < 0) {
        cli_warn("%s", pc_reader_err(rd)->msg);
        status = EXIT_RUNTIME;
    }
    pc_reader_close(rd);
    return status;
}

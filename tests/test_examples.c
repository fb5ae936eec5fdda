/* The example programs (examples/NAME.c, one per function of the dpkt seed)
 * run on the golden files and the capture corpus, checked against the CLI
 * and tshark by scripts/examples-check, plus their behaviour on damaged
 * input; and unit tests of the API additions they rely on
 * (pc_analyze_file, the analyzer's http and tls_hello callbacks,
 * pc_decode_summary, pc_fmt_ts/kts/newline).
 *
 * The examples are the sanitized builds in $PKTCRAFT_EXAMPLES (make test
 * sets it to build/asan/examples). */
#include <sys/stat.h>

#include "oracle.h"

TestSuite(examples, .timeout = 1800);
TestSuite(examples_api, .timeout = 1800);

static const char *const NAMES[] = { "decode_packet", "safe_parse", "reconstruct_flows", "traffic_stats",
                                     "extract_dns", "extract_http", "extract_tls" };
#define NNAMES (sizeof NAMES / sizeof NAMES[0])

static const char *ex_dir(void)
{
    static char p[4200];
    const char *e = getenv("PKTCRAFT_EXAMPLES");
    if (e && *e) snprintf(p, sizeof p, "%s", e);
    else snprintf(p, sizeof p, "%s/asan/examples", th_build_dir());
    return p;
}

/* A capture of the corpus with DNS, HTTP, TLS and many flows. */
static void corpus_file(char *out, size_t cap)
{
    snprintf(out, cap, "%s/../shared/corpus/suricata-verify/tests/base64-decode-5885/input.pcap", th_root());
    cr_assert_eq(access(out, R_OK), 0, "the capture corpus is missing (%s)", out);
}

static bool sanitizer_report(const char *s)
{
    return strstr(s, "AddressSanitizer") || strstr(s, "LeakSanitizer") || strstr(s, "runtime error:");
}

/* Run example name on path: its exit status, stdout and stderr (malloc'd). */
static int run_ex(const char *name, const char *path, char **out, char **err)
{
    char dir[64], cmd[8192];
    th_tmpdir(dir);
    snprintf(cmd, sizeof cmd, "'%s/%s' %s%s%s >'%s/out' 2>'%s/err'", ex_dir(), name, path ? "'" : "",
             path ? path : "", path ? "'" : "", dir, dir);
    int st = system(cmd);
    char f[128];
    snprintf(f, sizeof f, "%s/out", dir);
    *out = th_slurp_text(f);
    snprintf(f, sizeof f, "%s/err", dir);
    *err = th_slurp_text(f);
    th_rmdir(dir);
    cr_assert(*out && *err);
    cr_assert(WIFEXITED(st), "%s killed by signal %d: %s", name, WIFSIGNALED(st) ? WTERMSIG(st) : 0, *err);
    return WEXITSTATUS(st);
}

/* ------------------------------------------------------------ examples */

/* Every example on every golden file and corpus capture, compared with
 * the CLI (decode_packet, safe_parse: read; reconstruct_flows: flows and
 * its --write-dir files; traffic_stats: stats) and tshark (extract_dns,
 * extract_http, extract_tls).  The minimums are about 80% of what the
 * corpus gave when this was written.  The budgets of items only tshark
 * found, each explained by a capture the examples' pipeline does not
 * decode: link types and encapsulations pktcraft has no decoder for
 * (ARCnet, PPI, PKTAP, PPPoE, MPLS, IPComp) and the DNS, HTTP and TLS
 * inside them; TLS after STARTTLS (IMAP, XMPP), which the TLS parser
 * does not follow; a Geneve tunnel; and, not yet explained, one DNS
 * frame each in GrePackets.pcap, null_loopback.pcap and
 * dns-edns-ecs-bad.pcap and one TLS connection in pcapng-example.pcapng.
 * (HTTP over UDP, TLS in QUIC, ICMP-quoted datagrams and retransmitted
 * segments are left out of tshark's side by scripts/examples-check.) */
Test(examples, agree_with_cli_and_tshark_on_golden_files_and_corpus)
{
    th_tshark_require();
    char corpus[4096];
    snprintf(corpus, sizeof corpus, "%s/../shared/corpus", th_root());
    cr_assert_eq(access(corpus, R_OK), 0, "the capture corpus is missing at %s", corpus);
    char cmd[8192];
    snprintf(cmd, sizeof cmd,
             "cd '%s' && PKTCRAFT_BUILD_DIR='%s' scripts/examples-check --examples '%s' --pktcraft '%s' --jobs 2 "
             "--min-files 300 --min decode_packet=27000 --min safe_parse=100 --min safe_parse:packets=30000 "
             "--min reconstruct_flows=550 --min reconstruct_flows:bytes=10000000 --min traffic_stats=270 "
             "--min extract_dns=520 --min extract_http:requests=370 --min extract_http:responses=360 "
             "--min extract_tls:client_hellos=270 --min extract_tls:server_hellos=250 "
             "--max-oneside extract_dns=32 --max-oneside extract_http:requests=5 "
             "--max-oneside extract_http:responses=2 --max-oneside extract_tls:client_hellos=4 "
             "--max-oneside extract_tls:server_hellos=4 golden '%s' 2>&1",
             th_root(), th_build_dir(), ex_dir(), th_cli(), corpus);
    int st;
    char *out = th_cmd_output(cmd, &st);
    cr_log_info("%s", out);
    cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0, "scripts/examples-check failed:\n%s", out);
    free(out);
}

/* A capture cut inside a record: every example prints what came before
 * the damage, then exits 1 with its name, the file and the byte offset on
 * stderr, and no sanitizer report (safe_parse's point). */
Test(examples, truncated_file_exits_1_with_a_message)
{
    char src[4096], dir[64], cut[128];
    corpus_file(src, sizeof src);
    size_t n;
    uint8_t *b = th_slurp(src, &n);
    cr_assert(b && n > 400000);
    th_tmpdir(dir);
    snprintf(cut, sizeof cut, "%s/cut.pcap", dir);
    th_put_file(cut, b, n * 3 / 4); /* 3/4 of 568,606 bytes: inside a record */
    free(b);
    for (size_t i = 0; i < NNAMES; i++) {
        char *out, *err;
        int rc = run_ex(NAMES[i], cut, &out, &err);
        cr_expect_eq(rc, 1, "%s on a truncated file: exit %d", NAMES[i], rc);
        cr_expect(!sanitizer_report(err), "%s: sanitizer report:\n%s", NAMES[i], err);
        char want[256];
        snprintf(want, sizeof want, "%s: %s: packet ", NAMES[i], cut);
        cr_expect(strncmp(err, want, strlen(want)) == 0 && strstr(err, "byte offset") && strstr(err, "truncated"),
                  "%s: stderr should start '%s' and name the offset: %s", NAMES[i], want, err);
        cr_expect_gt(strlen(out), 0, "%s printed nothing before the damage", NAMES[i]);
        free(out);
        free(err);
    }
    th_rmdir(dir);
}

Test(examples, missing_file_and_usage)
{
    for (size_t i = 0; i < NNAMES; i++) {
        char *out, *err;
        int rc = run_ex(NAMES[i], "/nonexistent/x.pcap", &out, &err);
        cr_expect_eq(rc, 1, "%s on a missing file: exit %d", NAMES[i], rc);
        cr_expect(strstr(err, "/nonexistent/x.pcap") && strstr(err, NAMES[i]) == err, "%s: %s", NAMES[i], err);
        cr_expect(!sanitizer_report(err), "%s: sanitizer report:\n%s", NAMES[i], err);
        free(out);
        free(err);
        rc = run_ex(NAMES[i], NULL, &out, &err);
        cr_expect_eq(rc, 2, "%s without a file: exit %d", NAMES[i], rc);
        cr_expect(strncmp(err, "usage: ", 7) == 0, "%s: %s", NAMES[i], err);
        free(out);
        free(err);
    }
}

/* The checker itself must fail an example that prints nothing or
 * something wrong (negative controls: a script in the examples' place). */
Test(examples, checker_catches_a_broken_example)
{
    char dir[64];
    th_tmpdir(dir);
    for (size_t i = 0; i < NNAMES; i++) th_sh("ln -s '%s/%s' '%s/%s'", ex_dir(), NAMES[i], dir, NAMES[i]);
    const char *const broken[][2] = {
        { "decode_packet", "exec '%s/decode_packet' \"$@\" | sed 's/\"ip_len\":[0-9]*/\"ip_len\":1/'" },
        { "reconstruct_flows", "exec '%s/reconstruct_flows' \"$@\" | sed 's/\"c2s_sha256\":\"./\"c2s_sha256\":\"x/'" },
        { "extract_dns", "exit 0" },
    };
    char golden[4096];
    snprintf(golden, sizeof golden, "%s/golden", th_root());
    for (size_t k = 0; k < sizeof broken / sizeof broken[0]; k++) {
        char path[256], body[1024];
        snprintf(path, sizeof path, "%s/%s", dir, broken[k][0]);
        unlink(path);
        snprintf(body, sizeof body, "#!/bin/sh\n");
        size_t l = strlen(body);
        snprintf(body + l, sizeof body - l, broken[k][1], ex_dir());
        strcat(body, "\n");
        th_put_file(path, body, strlen(body));
        chmod(path, 0755);
        char cmd[8192];
        snprintf(cmd, sizeof cmd,
                 "cd '%s' && PKTCRAFT_BUILD_DIR='%s' scripts/examples-check --examples '%s' --pktcraft '%s' "
                 "--min extract_dns=1 --max-oneside extract_dns=1000 --max-oneside extract_http:requests=1000 "
                 "--max-oneside extract_http:responses=1000 '%s' 2>&1",
                 th_root(), th_build_dir(), dir, th_cli(), golden);
        int st;
        char *out = th_cmd_output(cmd, &st);
        cr_expect(WIFEXITED(st) && WEXITSTATUS(st) == 1, "broken %s passed the checker:\n%s", broken[k][0], out);
        free(out);
        unlink(path);
        th_sh("ln -s '%s/%s' '%s'", ex_dir(), broken[k][0], path);
    }
    th_rmdir(dir);
}

/* ------------------------------------------------------- API additions */

Test(examples_api, fmt_ts_kts_newline)
{
    char t[PC_FMT_TS_MAX];
    pc_fmt_ts(0, t);
    cr_expect_str_eq(t, "0.000000000");
    pc_fmt_ts(INT64_C(1700000000000001000), t);
    cr_expect_str_eq(t, "1700000000.000001000");
    pc_fmt_ts(-1, t);
    cr_expect_str_eq(t, "-1.999999999");
    pc_fmt_ts(INT64_MIN, t);
    cr_expect_str_eq(t, "-9223372037.145224192");
    struct pc_fmt f;
    pc_fmt_init_grow(&f, true);
    for (int i = 0; i < 2; i++) {
        pc_fmt_kobj_open(&f, NULL);
        pc_fmt_kts(&f, "ts", PC_NS_PER_SEC * (i + 1));
        pc_fmt_kuint(&f, "i", (uint64_t)i);
        pc_fmt_kobj_close(&f);
        pc_fmt_newline(&f);
    }
    cr_expect_str_eq(f.buf, "{\"ts\":\"1.000000000\",\"i\":0}\n{\"ts\":\"2.000000000\",\"i\":1}\n");
    pc_fmt_free(&f);
}

/* The first packet of a golden file, decoded and summarised. */
static void summary_of(const char *golden, struct pc_decoded *d, struct pc_summary *s, uint32_t caplen_cut)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/golden/%s", th_root(), golden);
    struct pc_err err;
    struct pc_reader *r = pc_reader_open(path, &err);
    cr_assert_not_null(r, "%s", err.msg);
    struct pc_pkthdr h;
    const uint8_t *data;
    cr_assert_eq(pc_reader_next(r, &h, &data), 1);
    static uint8_t copy[65536];
    uint32_t cap = caplen_cut && caplen_cut < h.caplen ? caplen_cut : h.caplen;
    memcpy(copy, data, cap);
    pc_decode(d, copy, cap, h.len, h.linktype);
    pc_decode_summary(d, s);
    pc_reader_close(r);
}

Test(examples_api, decode_summary)
{
    struct pc_decoded d;
    struct pc_summary s;
    char a[46];
    /* IPv6 with hop-by-hop, destination and routing headers before TCP */
    summary_of("tcp-ipv6-ext.pcap", &d, &s, 0);
    cr_expect_eq(s.family, 6);
    cr_expect_eq(s.ip_proto, 6, "the protocol after the extension headers");
    cr_expect_eq(s.ip_len, 104);
    cr_expect_eq(s.l4_proto, PC_P_TCP);
    cr_expect_eq(s.sport, 33482);
    cr_expect_eq(s.dport, 80);
    cr_expect_eq(s.tcp_flags, PC_TCP_SYN);
    pc_summary_addr(&s, 0, a);
    cr_expect_str_eq(a, "2001:db8::1");
    pc_summary_addr(&s, 1, a);
    cr_expect_str_eq(a, "2001:db8::2");
    /* ICMP echo: type and code, no ports */
    summary_of("icmp-echo.pcap", &d, &s, 0);
    cr_expect_eq(s.family, 4);
    cr_expect_eq(s.l4_proto, PC_P_ICMP);
    cr_expect_eq(s.icmp_type, 8);
    cr_expect_eq(s.sport, 0);
    /* an ICMP error: its own type, not the quoted datagram's UDP */
    summary_of("icmp-ttl.pcap", &d, &s, 0);
    cr_expect_eq(s.l4_proto, PC_P_ICMP);
    cr_expect_eq(s.icmp_type, 11);
    /* ARP: no IP at all */
    summary_of("arp-request.pcap", &d, &s, 0);
    cr_expect_eq(s.ip, -1);
    cr_expect_eq(s.l4, -1);
    cr_expect_eq(s.family, 0);
    cr_expect_null(s.src);
    pc_summary_addr(&s, 0, a);
    cr_expect_str_eq(a, "");
    /* cut inside the IPv4 header: no addresses; inside TCP: IP only */
    summary_of("tcp-vlan-qinq.pcap", &d, &s, 14 + 8 + 10);
    cr_expect_eq(s.ip, -1);
    summary_of("tcp-vlan-qinq.pcap", &d, &s, 14 + 8 + 20 + 10);
    cr_expect_eq(s.family, 4);
    cr_expect_eq(s.l4, -1);
    cr_expect_eq(s.sport, 0);
}

/* ---- the analyzer's http and tls_hello callbacks against the same
 * parsers glued by hand to the data, gap and stream_end callbacks */

struct tally {
    uint64_t http, tls, flows_done;
    uint64_t hsum, tsum; /* order-sensitive digests of what was seen */
    bool after_end;      /* a result came after its flow's flow_end */
    uint64_t ended[4096];
    size_t nended;
};

static uint64_t mix(uint64_t h, uint64_t v) { return (h ^ v) * UINT64_C(0x100000001b3); }

static void note_http(struct tally *t, uint64_t flow, const struct pc_http_msg *req, const struct pc_http_msg *resp)
{
    t->http++;
    t->hsum = mix(t->hsum, flow);
    if (req) t->hsum = th_fnv(t->hsum, req->uri.p, req->uri.n);
    if (resp) t->hsum = mix(t->hsum, (uint64_t)resp->status + resp->body_len);
}

static void note_tls(struct tally *t, uint64_t flow, const struct pc_tls_hello *h)
{
    t->tls++;
    t->tsum = mix(mix(t->tsum, flow), h->client);
    t->tsum = th_fnv(t->tsum, h->sni, strlen(h->sni));
}

static void check_not_ended(struct tally *t, uint64_t flow)
{
    for (size_t i = 0; i < t->nended; i++)
        if (t->ended[i] == flow) t->after_end = true;
}

static void hook_http(void *ctx, const struct pc_flow *f, const struct pc_http_msg *req,
                      const struct pc_http_msg *resp)
{
    check_not_ended(ctx, f->id);
    note_http(ctx, f->id, req, resp);
}

static void hook_tls(void *ctx, const struct pc_flow *f, const struct pc_tls_hello *h, pc_time_ns ts)
{
    (void)ts;
    cr_assert_eq(f->proto, 6);
    check_not_ended(ctx, f->id);
    note_tls(ctx, f->id, h);
}

static void hook_end(void *ctx, const struct pc_flow *f)
{
    struct tally *t = ctx;
    t->flows_done++;
    if (t->nended < 4096) t->ended[t->nended++] = f->id;
}

/* by hand: one pc_http and one pc_tls per TCP flow */
struct byhand {
    struct tally *t;
    uint64_t flow;
    struct pc_http *h;
    struct pc_tls *s;
};

static void bh_http(void *ctx, const struct pc_http_msg *req, const struct pc_http_msg *resp)
{
    struct byhand *b = ctx;
    note_http(b->t, b->flow, req, resp);
}

static void bh_tls(void *ctx, int dir, const struct pc_tls_hello *h, pc_time_ns ts)
{
    (void)dir, (void)ts;
    struct byhand *b = ctx;
    note_tls(b->t, b->flow, h);
}

static void *bh_start(void *ctx, const struct pc_flow *f)
{
    if (f->proto != 6) return NULL;
    struct byhand *b = calloc(1, sizeof *b);
    b->t = ctx;
    b->flow = f->id;
    const struct pc_http_cbs hc = { .exchange = bh_http };
    const struct pc_tls_cbs tc = { .client_hello = bh_tls, .server_hello = bh_tls };
    b->h = pc_http_new(NULL, &hc, b);
    b->s = pc_tls_new(NULL, &tc, b);
    return b;
}

static void bh_data(void *ctx, const struct pc_flow *f, int dir, const uint8_t *p, size_t n, uint64_t off,
                    pc_time_ns ts)
{
    (void)ctx, (void)off;
    struct byhand *b = pc_flow_user(f);
    pc_http_feed(b->h, dir, p, n, ts);
    pc_tls_feed(b->s, dir, p, n, ts);
}

static void bh_gap(void *ctx, const struct pc_flow *f, int dir, uint64_t off, uint64_t n, int why)
{
    (void)ctx, (void)off, (void)why;
    struct byhand *b = pc_flow_user(f);
    pc_http_gap(b->h, dir, n);
    pc_tls_gap(b->s, dir, n);
}

static void bh_end(void *ctx, const struct pc_flow *f, int dir, pc_time_ns ts)
{
    (void)ctx;
    struct byhand *b = pc_flow_user(f);
    pc_http_end(b->h, dir, ts);
    pc_tls_end(b->s, dir, ts);
}

static void bh_free(void *ctx, const struct pc_flow *f, void *user)
{
    (void)ctx, (void)f;
    struct byhand *b = user;
    if (!b) return;
    pc_http_free(b->h);
    pc_tls_free(b->s);
    free(b);
}

Test(examples_api, analyzer_http_tls_callbacks_equal_hand_glue)
{
    char path[4096];
    corpus_file(path, sizeof path);
    struct tally *hook = calloc(1, sizeof *hook), *hand = calloc(1, sizeof *hand);
    struct pc_analyzer_cbs a = { .http = hook_http, .tls_hello = hook_tls, .flow_end = hook_end };
    struct pc_err err;
    cr_assert_eq(pc_analyze_file(path, NULL, &a, hook, &err), 0, "%s", err.msg);
    struct pc_analyzer_cbs b = { .flow_start = bh_start, .data = bh_data, .gap = bh_gap, .stream_end = bh_end,
                                 .flow_free = bh_free };
    cr_assert_eq(pc_analyze_file(path, NULL, &b, hand, &err), 0, "%s", err.msg);
    cr_expect_geq(hook->http, 4, "HTTP exchanges in the capture: %llu", (unsigned long long)hook->http);
    cr_expect_geq(hook->tls, 20, "TLS hellos in the capture: %llu", (unsigned long long)hook->tls);
    cr_expect_eq(hook->http, hand->http);
    cr_expect_eq(hook->tls, hand->tls);
    cr_expect_eq(hook->hsum, hand->hsum, "the same exchanges in the same order with the same flows");
    cr_expect_eq(hook->tsum, hand->tsum, "the same hellos in the same order with the same flows");
    cr_expect(!hook->after_end, "a result came after its flow's flow_end");
    free(hook);
    free(hand);
}

static void count_end(void *ctx, const struct pc_flow *f)
{
    (void)f;
    ++*(uint64_t *)ctx;
}

Test(examples_api, analyze_file_errors)
{
    struct pc_err err;
    struct pc_analyzer_cbs cbs = { .flow_end = count_end };
    uint64_t flows = 0;
    int rc = pc_analyze_file("/nonexistent/x.pcap", NULL, &cbs, &flows, &err);
    cr_expect_lt(rc, 0);
    cr_expect(strstr(err.msg, "/nonexistent/x.pcap") != NULL, "%s", err.msg);
    cr_expect_eq(flows, 0);
    /* cut inside a record: the flows before the damage all end, then the error */
    char src[4096], dir[64], cut[128];
    corpus_file(src, sizeof src);
    size_t n;
    uint8_t *b = th_slurp(src, &n);
    th_tmpdir(dir);
    snprintf(cut, sizeof cut, "%s/cut.pcap", dir);
    th_put_file(cut, b, n / 2);
    free(b);
    rc = pc_analyze_file(cut, NULL, &cbs, &flows, &err);
    cr_expect_eq(rc, PC_ETRUNC, "%d: %s", rc, err.msg);
    cr_expect(strstr(err.msg, "truncated") && strstr(err.msg, "byte offset"), "%s", err.msg);
    cr_expect_geq(flows, 10, "flows before the damage: %llu", (unsigned long long)flows);
    /* and NULL err is allowed */
    cr_expect_eq(pc_analyze_file(cut, NULL, &cbs, &flows, NULL), PC_ETRUNC);
    th_rmdir(dir);
}

/* pktcraft flows: crafted conversations (out of order, retransmitted,
 * overlapping with the same and with other bytes, across the 2^32
 * sequence wrap, picked up mid-stream, IP-fragmented in every order, with
 * a segment lost) written with the library must come out of --write-dir
 * as exactly the bytes that were sent, with the JSONL keys of issue 8 and
 * their counters; the reassembled streams of every corpus capture must be
 * tshark's "Follow TCP Stream" (scripts/follow-check) and the packets of
 * every TCP/UDP 5-tuple tshark's conversations (scripts/stats-check);
 * damaged input and an unwritable --write-dir exit 1 naming the file; the
 * limits cut with a report. */
#include <criterion/criterion.h>
#include <criterion/logging.h>

#include "helpers.h"
#include "oracle.h"

TestSuite(flows, .timeout = 1800);

/* ------------------------------------------------------------ building */

#define FL_MAXD 70000

struct fl_conv {
    struct th_pcapw w;
    uint16_t cport;
    uint32_t isn[2];
    uint8_t data[2][FL_MAXD];
    size_t len[2];
    int frag_order;      /* -1: whole datagrams; else enum pc_frag_order */
    uint64_t frag_seed;
};

static void fl_fill(struct fl_conv *c, uint64_t seed, size_t n0, size_t n1)
{
    struct pc_rng r;
    pc_rng_seed(&r, seed);
    c->len[0] = n0;
    c->len[1] = n1;
    for (int d = 0; d < 2; d++)
        for (size_t i = 0; i < c->len[d]; i++) c->data[d][i] = (uint8_t)pc_rng_next(&r);
}

static int fl_put_frag(void *ctx, const uint8_t *frag, size_t len)
{
    th_pcapw_put(ctx, frag, (uint32_t)len);
    return 0;
}

/* One segment of dir (1: from the server 10.0.0.2:80) with the payload p. */
static void fl_emit(struct fl_conv *c, int dir, uint32_t seq, uint32_t ack, uint16_t flags, const uint8_t *p, size_t n)
{
    static uint8_t buf[2048], scratch[2048];
    static uint16_t ipid;
    struct pc_pkt pk;
    pc_pkt_init(&pk, buf, sizeof buf);
    uint8_t a[4] = { 10, 0, 0, 1 }, b[4] = { 10, 0, 0, 2 };
    pc_push_eth(&pk, &(struct pc_eth){ .dst = { 2, 0, 0, 0, 0, 2 }, .src = { 2, 0, 0, 0, 0, 1 } });
    struct pc_ipv4 ip = { .ttl = 64, .id = ++ipid };
    memcpy(ip.src, dir ? b : a, 4);
    memcpy(ip.dst, dir ? a : b, 4);
    pc_push_ipv4(&pk, &ip);
    pc_push_tcp(&pk, &(struct pc_tcp){ .sport = dir ? 80 : c->cport, .dport = dir ? c->cport : 80, .seq = seq, .ack = ack,
                                       .flags = flags, .win = 65535 });
    pc_push_payload(&pk, p, n);
    int len = pc_pkt_finalize(&pk);
    cr_assert_gt(len, 0, "%s", pc_strerror(len));
    if (c->frag_order < 0 || n < 64) {
        th_pcapw_put(&c->w, buf, (uint32_t)len);
        return;
    }
    struct pc_frag_opts o = { .size = 64, .order = (uint8_t)c->frag_order, .seed = ++c->frag_seed, .buf = scratch,
                              .cap = sizeof scratch };
    int k = pc_fragment(buf, (size_t)len, PC_LINK_ETHERNET, &o, fl_put_frag, &c->w);
    cr_assert_gt(k, 1, "pc_fragment: %s", pc_strerror(k));
}

static uint32_t fl_seq(const struct fl_conv *c, int dir, size_t off) { return c->isn[dir] + 1u + (uint32_t)off; }

/* Bytes [off, off+n) of dir, acknowledging ack bytes of the other side. */
static void fl_data(struct fl_conv *c, int dir, size_t off, size_t n, size_t ack)
{
    fl_emit(c, dir, fl_seq(c, dir, off), fl_seq(c, 1 - dir, ack), PC_TCP_ACK | PC_TCP_PSH, c->data[dir] + off, n);
}

static void fl_handshake(struct fl_conv *c)
{
    fl_emit(c, 0, c->isn[0], 0, PC_TCP_SYN, NULL, 0);
    fl_emit(c, 1, c->isn[1], c->isn[0] + 1u, PC_TCP_SYN | PC_TCP_ACK, NULL, 0);
    fl_emit(c, 0, c->isn[0] + 1u, c->isn[1] + 1u, PC_TCP_ACK, NULL, 0);
}

/* Both sides acknowledge everything and close. */
static void fl_close(struct fl_conv *c)
{
    fl_emit(c, 1, fl_seq(c, 1, c->len[1]), fl_seq(c, 0, c->len[0]), PC_TCP_ACK, NULL, 0);
    fl_emit(c, 0, fl_seq(c, 0, c->len[0]), fl_seq(c, 1, c->len[1]), PC_TCP_FIN | PC_TCP_ACK, NULL, 0);
    fl_emit(c, 1, fl_seq(c, 1, c->len[1]), fl_seq(c, 0, c->len[0]) + 1u, PC_TCP_FIN | PC_TCP_ACK, NULL, 0);
    fl_emit(c, 0, fl_seq(c, 0, c->len[0]) + 1u, fl_seq(c, 1, c->len[1]) + 1u, PC_TCP_ACK, NULL, 0);
}

/* The segments of both directions cut at mss: their offsets, in order. */
struct fl_cut {
    int dir[4096];
    size_t off[4096], n[4096];
    size_t count;
};

static void fl_cut(const struct fl_conv *c, struct fl_cut *k, size_t mss)
{
    k->count = 0;
    for (int d = 0; d < 2; d++)
        for (size_t off = 0; off < c->len[d]; off += mss) {
            cr_assert_lt(k->count, 4096);
            k->dir[k->count] = d;
            k->off[k->count] = off;
            k->n[k->count++] = off + mss <= c->len[d] ? mss : c->len[d] - off;
        }
}

static void fl_shuffle(size_t *idx, size_t n, uint64_t seed)
{
    struct pc_rng r;
    pc_rng_seed(&r, seed);
    for (size_t i = n; i > 1; i--) {
        size_t j = (size_t)(pc_rng_next(&r) % i), t = idx[i - 1];
        idx[i - 1] = idx[j];
        idx[j] = t;
    }
}

/* ------------------------------------------------------------ running */

struct fl_run {
    char dir[64];
    char *jsonl, *err;
    int status;
};

static struct fl_conv C;

static void fl_open(struct fl_run *r, uint16_t cport, uint32_t isn0, uint32_t isn1)
{
    memset(r, 0, sizeof *r);
    th_tmpdir(r->dir);
    char path[128];
    snprintf(path, sizeof path, "%s/c.pcap", r->dir);
    memset(&C, 0, sizeof C);
    C.cport = cport;
    C.isn[0] = isn0;
    C.isn[1] = isn1;
    C.frag_order = -1;
    th_pcapw_open(&C.w, path, PC_LINK_ETHERNET, PC_TSPREC_US);
}

/* Close the capture, run `flows --format jsonl --write-dir` on it with opts. */
static void fl_flows(struct fl_run *r, const char *opts)
{
    if (C.w.w) th_pcapw_close(&C.w);
    char o[128], e[128];
    snprintf(o, sizeof o, "%s/flows.jsonl", r->dir);
    snprintf(e, sizeof e, "%s/err", r->dir);
    th_sh("rm -rf '%s/out'", r->dir);
    r->status = th_sh("'%s' flows --format jsonl --write-dir '%s/out' %s '%s/c.pcap' > '%s' 2> '%s'", th_cli(), r->dir,
                      opts ? opts : "", r->dir, o, e);
    free(r->jsonl);
    free(r->err);
    r->jsonl = th_slurp_text(o);
    r->err = th_slurp_text(e);
    cr_assert(r->jsonl && r->err);
}

static void fl_done(struct fl_run *r)
{
    free(r->jsonl);
    free(r->err);
    th_rmdir(r->dir);
}

/* Line n (0-based) of the output, as its own string (static). */
static const char *fl_line(const struct fl_run *r, int n)
{
    static char line[4096];
    const char *p = r->jsonl;
    for (int i = 0; i < n && p; i++) {
        p = strchr(p, '\n');
        if (p) p++;
    }
    cr_assert(p && *p, "no flow %d in:\n%s", n + 1, r->jsonl);
    size_t k = strcspn(p, "\n");
    cr_assert_lt(k, sizeof line);
    memcpy(line, p, k);
    line[k] = 0;
    return line;
}

static int fl_lines(const struct fl_run *r)
{
    int n = 0;
    for (const char *p = r->jsonl; *p; p++) n += *p == '\n';
    return n;
}

/* The value of key in a flat JSON object (numbers and strings). */
static const char *fl_val(const char *obj, const char *key)
{
    static char v[256];
    char pat[80];
    snprintf(pat, sizeof pat, "\"%s\":", key);
    const char *p = strstr(obj, pat);
    cr_assert(p, "no key %s in %s", key, obj);
    p += strlen(pat);
    if (*p == '"') p++;
    size_t k = strcspn(p, "\",}");
    cr_assert_lt(k, sizeof v);
    memcpy(v, p, k);
    v[k] = 0;
    return v;
}

static unsigned long long fl_num(const char *obj, const char *key) { return strtoull(fl_val(obj, key), NULL, 10); }

/* Every key issue 8 asks for, and the endpoints of this conversation. */
static void fl_keys(const char *obj)
{
    static const char *const keys[] = { "proto", "client", "cport", "server", "sport", "first_ts", "last_ts",
                                        "c2s_packets", "c2s_bytes", "s2c_packets", "s2c_bytes", "state", "retrans",
                                        "gaps", "gap_bytes", "overlaps", "conflicts" };
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) fl_val(obj, keys[i]);
    cr_assert_str_eq(fl_val(obj, "proto"), "tcp");
    cr_assert_str_eq(fl_val(obj, "client"), "10.0.0.1");
    cr_assert_eq(fl_num(obj, "cport"), C.cport);
    cr_assert_str_eq(fl_val(obj, "server"), "10.0.0.2");
    cr_assert_eq(fl_num(obj, "sport"), 80);
}

/* The bytes --write-dir wrote for flow id, direction dir, must be want. */
static void fl_expect_file(const struct fl_run *r, unsigned id, int dir, const uint8_t *want, size_t n)
{
    char path[256];
    snprintf(path, sizeof path, "%s/out/%u_tcp_10.0.0.1_%u_10.0.0.2_80_%s.bin", r->dir, id, C.cport,
             dir ? "s2c" : "c2s");
    size_t got_n = 0;
    uint8_t *got = th_slurp(path, &got_n);
    if (!got && n == 0) return;
    cr_assert_not_null(got, "%s was not written", path);
    cr_assert_eq(got_n, n, "%s: %zu bytes, %zu sent", path, got_n, n);
    cr_assert(memcmp(got, want, n) == 0, "%s differs from the bytes sent at %zu", path, th_first_diff(got, n, want, n));
    free(got);
}

/* One flow whose streams are exactly what was sent, and its counters. */
static const char *fl_exact(struct fl_run *r, const char *state)
{
    cr_assert_eq(r->status, 0, "flows exit %d: %s", r->status, r->err);
    cr_assert_eq(fl_lines(r), 1, "one flow expected:\n%s", r->jsonl);
    const char *f = fl_line(r, 0);
    fl_keys(f);
    cr_assert_eq(fl_num(f, "c2s_bytes"), C.len[0], "%s", f);
    cr_assert_eq(fl_num(f, "s2c_bytes"), C.len[1], "%s", f);
    cr_assert_eq(fl_num(f, "gaps"), 0, "%s", f);
    cr_assert_eq(fl_num(f, "gap_bytes"), 0, "%s", f);
    cr_assert_str_eq(fl_val(f, "state"), state, "%s", f);
    fl_expect_file(r, 1, 0, C.data[0], C.len[0]);
    fl_expect_file(r, 1, 1, C.data[1], C.len[1]);
    return f;
}

/* Segments of both directions, in the order idx gives (NULL: in order). */
static void fl_send(const struct fl_cut *k, const size_t *idx)
{
    for (size_t i = 0; i < k->count; i++) {
        size_t s = idx ? idx[i] : i;
        fl_data(&C, k->dir[s], k->off[s], k->n[s], 0);
    }
}

/* ------------------------------------------------------------ crafted */

static struct fl_cut K;
static size_t IDX[4096];

Test(flows, in_order_conversation)
{
    struct fl_run r;
    fl_open(&r, 40001, 1000, 900000);
    fl_fill(&C, 1, 3000, 5000);
    fl_handshake(&C);
    fl_cut(&C, &K, 500);
    fl_send(&K, NULL);
    fl_close(&C);
    fl_flows(&r, NULL);
    const char *f = fl_exact(&r, "closed");
    cr_assert_eq(fl_num(f, "c2s_packets"), 2 + 6 + 2, "%s", f); /* SYN, ACK, 6 data, FIN, last ACK */
    cr_assert_eq(fl_num(f, "s2c_packets"), 1 + 10 + 2, "%s", f);
    cr_assert_eq(fl_num(f, "retrans") + fl_num(f, "overlaps") + fl_num(f, "conflicts"), 0, "%s", f);
    cr_assert_str_eq(fl_val(f, "by_syn"), "true");
    char first[64];
    snprintf(first, sizeof first, "%s", fl_val(f, "first_ts"));
    cr_assert(strcmp(first, fl_val(f, "last_ts")) < 0, "%s", f);
    fl_done(&r);
}

Test(flows, out_of_order_segments)
{
    struct fl_run r;
    fl_open(&r, 40002, 77, 4000000000u);
    fl_fill(&C, 2, 20000, 9000);
    fl_handshake(&C);
    fl_cut(&C, &K, 700);
    for (size_t i = 0; i < K.count; i++) IDX[i] = i;
    fl_shuffle(IDX, K.count, 2);
    fl_send(&K, IDX);
    fl_close(&C);
    fl_flows(&r, NULL);
    const char *f = fl_exact(&r, "closed");
    cr_assert_eq(fl_num(f, "retrans") + fl_num(f, "conflicts"), 0, "%s", f);
    fl_done(&r);
}

Test(flows, retransmissions_are_counted_not_repeated)
{
    struct fl_run r;
    fl_open(&r, 40003, 5, 6);
    fl_fill(&C, 3, 8000, 3000);
    fl_handshake(&C);
    fl_cut(&C, &K, 1000);
    fl_send(&K, NULL);
    for (size_t i = 0; i < 7; i++) fl_data(&C, K.dir[i], K.off[i], K.n[i], 0); /* again, whole */
    fl_close(&C);
    fl_flows(&r, NULL);
    const char *f = fl_exact(&r, "closed");
    cr_assert_eq(fl_num(f, "retrans"), 7, "%s", f);
    cr_assert_eq(fl_num(f, "conflicts"), 0, "%s", f);
    fl_done(&r);
}

/* Segments that each start inside the one before (re-cut on resend). */
Test(flows, overlapping_segments_with_the_same_bytes)
{
    struct fl_run r;
    fl_open(&r, 40004, 123456789, 987654321);
    fl_fill(&C, 4, 12000, 100);
    fl_handshake(&C);
    size_t n = 0;
    for (size_t off = 0; off < C.len[0]; off += 600) {
        size_t from = off >= 250 ? off - 250 : 0, end = off + 600 < C.len[0] ? off + 600 : C.len[0];
        fl_data(&C, 0, from, end - from, 0);
        n++;
    }
    fl_data(&C, 1, 0, 100, 0);
    fl_close(&C);
    fl_flows(&r, NULL);
    const char *f = fl_exact(&r, "closed");
    cr_assert_eq(fl_num(f, "overlaps"), n - 1, "%s", f);
    cr_assert_eq(fl_num(f, "conflicts"), 0, "%s", f);
    fl_done(&r);
}

/* A segment queued out of order, then another copy of part of it with
 * other bytes: --overlap first keeps the first copy, last the later one;
 * both report the conflict. */
static void conflicting(const char *policy, bool last)
{
    struct fl_run r;
    fl_open(&r, last ? 40006 : 40005, 1, 2);
    fl_fill(&C, 5, 3000, 0);
    fl_handshake(&C);
    uint8_t other[200];
    for (size_t i = 0; i < sizeof other; i++) other[i] = (uint8_t)~C.data[0][1200 + i];
    fl_data(&C, 0, 0, 1000, 0);
    fl_data(&C, 0, 1000 + 500, 1500, 0);                                                /* ahead: queued */
    fl_emit(&C, 0, fl_seq(&C, 0, 1700), fl_seq(&C, 1, 0), PC_TCP_ACK, other, sizeof other); /* other bytes */
    fl_data(&C, 0, 1000, 500, 0);                                                       /* the hole filled */
    fl_close(&C);
    char opts[64];
    snprintf(opts, sizeof opts, "--overlap %s", policy);
    fl_flows(&r, opts);
    if (last) memcpy(C.data[0] + 1700, other, sizeof other);
    const char *f = fl_exact(&r, "closed");
    cr_assert_eq(fl_num(f, "conflicts"), 1, "%s", f);
    cr_assert_eq(fl_num(f, "overlaps"), 1, "%s", f);
    fl_done(&r);
}

Test(flows, conflicting_overlap_first_copy_wins) { conflicting("first", false); }
Test(flows, conflicting_overlap_last_copy_wins) { conflicting("last", true); }

/* Sequence numbers of both directions wrap past 2^32 mid-stream. */
Test(flows, sequence_numbers_wrap)
{
    struct fl_run r;
    fl_open(&r, 40007, 0xFFFFF000u, 0xFFFFFFFEu);
    fl_fill(&C, 7, 60000, 30000);
    fl_handshake(&C);
    fl_cut(&C, &K, 1400);
    for (size_t i = 0; i < K.count; i++) IDX[i] = i;
    fl_shuffle(IDX, K.count, 7);
    fl_send(&K, IDX);
    fl_close(&C);
    fl_flows(&r, NULL);
    fl_exact(&r, "closed");
    fl_done(&r);
}

/* No handshake captured: the higher port is the client, offsets start at
 * the first byte seen. */
Test(flows, picked_up_mid_stream)
{
    struct fl_run r;
    fl_open(&r, 40008, 555555, 777777);
    fl_fill(&C, 8, 4000, 6000);
    fl_cut(&C, &K, 1000);
    fl_send(&K, NULL);
    fl_close(&C);
    fl_flows(&r, NULL);
    const char *f = fl_exact(&r, "closed");
    cr_assert_str_eq(fl_val(f, "mid"), "true", "%s", f);
    cr_assert_str_eq(fl_val(f, "by_syn"), "false", "%s", f);
    fl_done(&r);
}

/* Every data segment IP-fragmented (64-byte pieces) in order, reversed
 * and shuffled. */
static void fragmented(int order, uint16_t port)
{
    struct fl_run r;
    fl_open(&r, port, 31337, 4242);
    C.frag_order = order;
    fl_fill(&C, port, 5000, 3000);
    fl_handshake(&C);
    fl_cut(&C, &K, 900);
    fl_send(&K, NULL);
    fl_close(&C);
    fl_flows(&r, NULL);
    const char *f = fl_exact(&r, "closed");
    /* a datagram is a packet of its flow once, when it is complete */
    cr_assert_eq(fl_num(f, "c2s_packets"), 2 + 6 + 2, "%s", f);
    fl_done(&r);
}

Test(flows, fragments_in_order) { fragmented(PC_FRAG_IN_ORDER, 40009); }
Test(flows, fragments_reversed) { fragmented(PC_FRAG_REVERSED, 40010); }
Test(flows, fragments_shuffled) { fragmented(PC_FRAG_SHUFFLED, 40011); }

/* A segment the capture lost, acknowledged past: a gap of its size, and
 * the file holds the rest (gaps are never written). */
Test(flows, lost_segment_is_a_gap)
{
    struct fl_run r;
    fl_open(&r, 40012, 10, 20);
    fl_fill(&C, 12, 5000, 500);
    fl_handshake(&C);
    fl_cut(&C, &K, 1000);
    for (size_t i = 0; i < K.count; i++)
        if (!(K.dir[i] == 0 && K.off[i] == 2000)) fl_data(&C, K.dir[i], K.off[i], K.n[i], 0);
    fl_close(&C);
    fl_flows(&r, NULL);
    cr_assert_eq(r.status, 0, "%s", r.err);
    const char *f = fl_line(&r, 0);
    fl_keys(f);
    cr_assert_eq(fl_num(f, "gaps"), 1, "%s", f);
    cr_assert_eq(fl_num(f, "gap_bytes"), 1000, "%s", f);
    cr_assert_eq(fl_num(f, "c2s_bytes"), 4000, "%s", f);
    memmove(C.data[0] + 2000, C.data[0] + 3000, 2000);
    fl_expect_file(&r, 1, 0, C.data[0], 4000);
    fl_expect_file(&r, 1, 1, C.data[1], 500);
    fl_done(&r);
}

/* Two connections one after the other on the same 5-tuple: two flows. */
Test(flows, port_reuse_after_close)
{
    struct fl_run r;
    fl_open(&r, 40013, 1000, 2000);
    fl_fill(&C, 13, 700, 800);
    fl_handshake(&C);
    fl_data(&C, 0, 0, 700, 0);
    fl_data(&C, 1, 0, 800, 700);
    fl_close(&C);
    C.isn[0] = 50000;
    C.isn[1] = 60000;
    fl_handshake(&C);
    fl_data(&C, 0, 0, 300, 0);
    fl_data(&C, 1, 0, 400, 300);
    C.len[0] = 300;
    C.len[1] = 400;
    fl_close(&C);
    fl_flows(&r, NULL);
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert_eq(fl_lines(&r), 2, "%s", r.jsonl);
    cr_assert_eq(fl_num(fl_line(&r, 0), "c2s_bytes"), 700);
    cr_assert_eq(fl_num(fl_line(&r, 1), "c2s_bytes"), 300);
    fl_expect_file(&r, 2, 0, C.data[0], 300);
    fl_expect_file(&r, 2, 1, C.data[1], 400);
    fl_done(&r);
}

/* UDP: the payloads of each direction, one after the other. */
Test(flows, udp_datagrams)
{
    char dir[64], path[128];
    th_tmpdir(dir);
    snprintf(path, sizeof path, "%s/u.pcap", dir);
    struct th_pcapw w;
    th_pcapw_open(&w, path, PC_LINK_ETHERNET, PC_TSPREC_US);
    uint8_t buf[1500], want[2][5000];
    size_t wn[2] = { 0, 0 };
    for (int i = 0; i < 12; i++) {
        int d = i % 3 == 2;
        uint8_t pay[300];
        for (size_t k = 0; k < sizeof pay; k++) pay[k] = (uint8_t)(i * 7 + k);
        struct pc_pkt pk;
        pc_pkt_init(&pk, buf, sizeof buf);
        pc_push_eth(&pk, &(struct pc_eth){ .dst = { 2, 0, 0, 0, 0, 2 }, .src = { 2, 0, 0, 0, 0, 1 } });
        pc_push_ipv4(&pk, d ? &(struct pc_ipv4){ .src = { 10, 0, 0, 2 }, .dst = { 10, 0, 0, 1 }, .ttl = 64 }
                            : &(struct pc_ipv4){ .src = { 10, 0, 0, 1 }, .dst = { 10, 0, 0, 2 }, .ttl = 64 });
        pc_push_udp(&pk, &(struct pc_udp){ .sport = d ? 53 : 33333, .dport = d ? 33333 : 53 });
        pc_push_payload(&pk, pay, 100 + (size_t)i);
        int n = pc_pkt_finalize(&pk);
        cr_assert_gt(n, 0);
        th_pcapw_put(&w, buf, (uint32_t)n);
        memcpy(want[d] + wn[d], pay, 100 + (size_t)i);
        wn[d] += 100 + (size_t)i;
    }
    th_pcapw_close(&w);
    int st;
    char cmd[512];
    snprintf(cmd, sizeof cmd, "'%s' flows --format jsonl --write-dir '%s/out' '%s'", th_cli(), dir, path);
    char *out = th_cmd_output(cmd, &st);
    cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    cr_assert_str_eq(fl_val(out, "proto"), "udp");
    cr_assert_eq(fl_num(out, "c2s_packets"), 8);
    cr_assert_eq(fl_num(out, "s2c_packets"), 4);
    cr_assert_eq(fl_num(out, "c2s_bytes"), wn[0]);
    cr_assert_eq(fl_num(out, "s2c_bytes"), wn[1]);
    for (int d = 0; d < 2; d++) {
        snprintf(path, sizeof path, "%s/out/1_udp_10.0.0.1_33333_10.0.0.2_53_%s.bin", dir, d ? "s2c" : "c2s");
        size_t n;
        uint8_t *got = th_slurp(path, &n);
        cr_assert(got && n == wn[d] && !memcmp(got, want[d], n), "%s", path);
        free(got);
    }
    free(out);
    th_rmdir(dir);
}

/* ------------------------------------------------------------ limits */

/* A one-way stream whose first segment was lost: everything after it is
 * held until reasm-flow is reached, then the hole is given up as a gap,
 * counted in limit_cuts and reported on stderr. */
Test(flows, reasm_flow_limit_cuts_with_a_report)
{
    struct fl_run r;
    fl_open(&r, 40014, 9, 19);
    fl_fill(&C, 14, 60000, 0);
    fl_handshake(&C);
    fl_cut(&C, &K, 1000);
    for (size_t i = 1; i < K.count; i++) /* no acknowledgments: nothing but the limit gives the hole up */
        fl_emit(&C, 0, fl_seq(&C, 0, K.off[i]), 0, PC_TCP_PSH, C.data[0] + K.off[i], K.n[i]);
    fl_flows(&r, "--limit reasm-flow=16k");
    cr_assert_eq(r.status, 0, "%s", r.err);
    const char *f = fl_line(&r, 0);
    cr_assert_geq(fl_num(f, "limit_cuts"), 1, "%s", f);
    cr_assert_eq(fl_num(f, "gap_bytes"), 1000, "%s", f);
    cr_assert_eq(fl_num(f, "c2s_bytes"), 59000, "%s", f);
    cr_assert(strstr(r.err, "pktcraft: ") && strstr(r.err, "--limit reasm-flow") && strstr(r.err, "c.pcap"),
              "no report of the cut: %s", r.err);
    fl_expect_file(&r, 1, 0, C.data[0] + 1000, 59000);
    fl_done(&r);
}

/* More connections open at once than --limit flows: the least recently
 * active are evicted (end "evicted"), and stderr says so. */
Test(flows, flows_limit_evicts_with_a_report)
{
    struct fl_run r;
    fl_open(&r, 41000, 100, 200);
    fl_fill(&C, 15, 100, 100);
    for (int i = 0; i < 6; i++) {
        C.cport = (uint16_t)(41000 + i);
        fl_handshake(&C);
        fl_data(&C, 0, 0, 100, 0);
    }
    fl_flows(&r, "--limit flows=2");
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert_eq(fl_lines(&r), 6, "%s", r.jsonl);
    int evicted = 0;
    for (int i = 0; i < 6; i++) evicted += !strcmp(fl_val(fl_line(&r, i), "end"), "evicted");
    cr_assert_eq(evicted, 4, "%s", r.jsonl);
    cr_assert(strstr(r.err, "--limit flows") && strstr(r.err, "4 flows evicted"), "no report: %s", r.err);
    fl_done(&r);
}

/* ------------------------------------------------------------ bad input */

Test(flows, truncated_file_exits_1_naming_it)
{
    char dir[64];
    th_tmpdir(dir);
    /* the last record cut short */
    cr_assert_eq(th_sh("head -c -10 '%s/golden/dns-tcp.pcap' > '%s/cut.pcap'", th_root(), dir), 0);
    int st;
    char cmd[512];
    snprintf(cmd, sizeof cmd, "'%s' flows --format jsonl '%s/cut.pcap' 2>&1 >/dev/null", th_cli(), dir);
    char *err = th_cmd_output(cmd, &st);
    bool ok = WIFEXITED(st) && WEXITSTATUS(st) == 1 && strstr(err, "pktcraft: ") && strstr(err, "cut.pcap");
    cr_log_info("flows: %s", err);
    free(err);
    cr_assert(ok, "flows: exit status 0x%x, or the message does not name the file", (unsigned)st);
    snprintf(cmd, sizeof cmd, "'%s' stats --format json '%s/cut.pcap' 2>&1 >/dev/null", th_cli(), dir);
    err = th_cmd_output(cmd, &st);
    ok = WIFEXITED(st) && WEXITSTATUS(st) == 1 && strstr(err, "pktcraft: ") && strstr(err, "cut.pcap");
    cr_log_info("stats: %s", err);
    free(err);
    cr_assert(ok, "stats: exit status 0x%x, or the message does not name the file", (unsigned)st);
    th_rmdir(dir);
}

Test(flows, unwritable_write_dir_exits_1_naming_it)
{
    char dir[64];
    th_tmpdir(dir);
    cr_assert_eq(th_sh("touch '%s/file'", dir), 0);
    int st;
    char cmd[512];
    /* a directory below a regular file cannot be made, even by root */
    snprintf(cmd, sizeof cmd, "'%s' flows --write-dir '%s/file/out' '%s/golden/dns-tcp.pcap' 2>&1 >/dev/null",
             th_cli(), dir, th_root());
    char *err = th_cmd_output(cmd, &st);
    bool ok = WIFEXITED(st) && WEXITSTATUS(st) == 1 && strstr(err, "pktcraft: ") && strstr(err, "file/out");
    cr_log_info("%s", err);
    free(err);
    cr_assert(ok, "exit status 0x%x, or the message does not name the directory", (unsigned)st);
    th_rmdir(dir);
}

/* ------------------------------------------------------------ tshark */

/* The corpus: our streams against tshark's follow.  The last run: 330
 * files, 509 streams identical (11,583,552 bytes, 151 with gaps), 113
 * where tshark stops at a hole, 6 split by the idle timeout, 1 where
 * tshark follows an IP packet inside the payload, 0 different, 23
 * tshark-only (scripts/follow-check says what each kind is).  Budget of
 * tshark's failures: 8 files it cannot open (link types 281 and others
 * it lacks) and 2 it reads only up to damage (suricata-verify's
 * tls_DER-incomplete-*: a 4 MB record; pktcraft stops there too, and what
 * both read is compared). */
Test(flows, follow_check_corpus)
{
    th_tshark_require();
    char corpus[4200], dir[64], log[128];
    snprintf(corpus, sizeof corpus, "%s/../shared/corpus", th_root());
    th_tmpdir(dir);
    snprintf(log, sizeof log, "%s/follow.txt", dir);
    const char *rel = getenv("PKTCRAFT_REL");
    int st = th_sh("cd '%s' && /usr/bin/python3 scripts/follow-check --pktcraft '%s' --jobs 2 --cache '%s/follow-check' "
                   "--min-streams 490 --min-bytes 11000000 '%s' > '%s' 2>&1",
                   th_root(), rel && *rel ? rel : th_cli(), th_cache_root(), corpus, log);
    char *out = th_slurp_text(log);
    th_rmdir(dir);
    cr_assert(out, "follow-check wrote no output");
    cr_assert_eq(st, 0, "follow-check failed (exit %d):\n%s", st, out);
    char *sum = strstr(out, "follow: ");
    cr_assert(sum, "%s", out);
    cr_log_info("%.*s", (int)strcspn(sum, "\n"), sum);
    unsigned files = 0, unreadable = 99, partial = 99;
    cr_assert_eq(sscanf(sum, "follow: %u files (%u tshark cannot open, %u read by both up to damage)", &files,
                        &unreadable, &partial), 3, "%s", sum);
    cr_assert_geq(files, 300, "%s", sum);
    cr_assert_leq(unreadable, 8, "more files tshark cannot open than budgeted: %s", sum);
    cr_assert_leq(partial, 2, "more damaged files than budgeted: %s", sum);
    free(out);
}

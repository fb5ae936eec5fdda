/* IP defragmentation for analysis: datagrams cut by pc_fragment (the
 * crafting side, itself checked against tshark in test_frag.c) in every
 * order, with duplicates, overlaps whose bytes differ, tiny first
 * fragments, timeouts, the memory limit, datagrams too big and cut by the
 * capture, reassemble to exactly the bytes that were sent, or are
 * reported; never dropped silently. */
#include <criterion/criterion.h>

#include "helpers.h"
#include "pktcraft/analysis/defrag.h"
#include "pktcraft/wire/frag.h"
#include "pktcraft/wire/ipv6.h"

TestSuite(defrag, .timeout = 1800);

#define MAXF 512
#define FCAP 70000

static struct {
    uint8_t f[MAXF][2048];
    size_t n[MAXF];
    size_t count;
} F;

static int collect(void *ctx, const uint8_t *p, size_t n)
{
    (void)ctx;
    cr_assert_lt(F.count, MAXF);
    cr_assert_leq(n, sizeof F.f[0]);
    memcpy(F.f[F.count], p, n);
    F.n[F.count++] = n;
    return 0;
}

static size_t build(uint8_t *buf, size_t cap, int version, size_t plen, uint64_t seed)
{
    struct pc_rng r;
    pc_rng_seed(&r, seed);
    static uint8_t pay[8000];
    for (size_t i = 0; i < plen; i++) pay[i] = (uint8_t)pc_rng_next(&r);
    struct pc_pkt pk;
    pc_pkt_init(&pk, buf, cap);
    pc_push_eth(&pk, &(struct pc_eth){ .dst = { 2, 0, 0, 0, 0, 2 }, .src = { 2, 0, 0, 0, 0, 1 } });
    if (version == 4) {
        pc_push_ipv4(&pk, &(struct pc_ipv4){ .src = { 10, 0, 0, 1 }, .dst = { 10, 0, 0, 2 }, .id = 0x1234, .ttl = 64 });
    } else {
        struct pc_ipv6 ip = { .hlim = 64 };
        ip.src[0] = 0x20, ip.src[1] = 0x01, ip.src[15] = 1;
        ip.dst[0] = 0x20, ip.dst[1] = 0x01, ip.dst[15] = 2;
        pc_push_ipv6(&pk, &ip);
        pc_push_ip6ext(&pk, &(struct pc_ip6ext){ .type = PC_P_IP6_HOP });
    }
    pc_push_udp(&pk, &(struct pc_udp){ .sport = 4000, .dport = 5000 });
    pc_push_payload(&pk, pay, plen);
    int n = pc_pkt_finalize(&pk);
    cr_assert_gt(n, 0);
    return (size_t)n;
}

static void cut(const uint8_t *frame, size_t len, struct pc_frag_opts o)
{
    static uint8_t scratch[4096];
    F.count = 0;
    o.buf = scratch;
    o.cap = sizeof scratch;
    o.ident = o.ident ? o.ident : 77;
    cr_assert_gt(pc_fragment(frame, len, 1, &o, collect, NULL), 0);
}

struct seen {
    int n[PC_DF_CUT + 1];
    struct pc_defrag_report last;
};
static void on_report(void *ctx, const struct pc_defrag_report *r)
{
    struct seen *s = ctx;
    cr_assert(r->what > 0 && r->what <= PC_DF_CUT);
    s->n[r->what]++;
    s->last = *r;
}

/* Feed fragments [0, count) in the given order; returns the frame that
 * completed (copied into out) or 0. */
static size_t feed(struct pc_defrag *df, const size_t *order, size_t count, pc_time_ns t0, int64_t step, uint8_t *out,
                   size_t *done_at)
{
    size_t got = 0;
    for (size_t k = 0; k < count; k++) {
        size_t i = order ? order[k] : k;
        struct pc_decoded d;
        pc_decode(&d, F.f[i], (uint32_t)F.n[i], (uint32_t)F.n[i], 1);
        struct pc_defrag_out o;
        int rc = pc_defrag_packet(df, &d, k + 1, t0 + (int64_t)k * step, &o);
        cr_assert_geq(rc, 1, "fragment %zu: %d", i, rc);
        if (rc == 2) {
            cr_assert_eq(got, 0, "completed twice");
            cr_assert_eq(o.linktype, 1);
            memcpy(out, o.frame, o.len);
            got = o.len;
            if (done_at) *done_at = k;
        }
    }
    return got;
}

static void expect_same(const uint8_t *a, size_t an, const uint8_t *b, size_t bn, const char *what)
{
    cr_assert_eq(an, bn, "%s: %zu bytes, want %zu", what, an, bn);
    cr_assert(!memcmp(a, b, an), "%s: bytes differ", what);
}

Test(defrag, every_order_gives_back_the_datagram)
{
    static uint8_t frame[FCAP], out[FCAP];
    static const uint8_t orders[] = { PC_FRAG_IN_ORDER, PC_FRAG_REVERSED, PC_FRAG_SHUFFLED };
    int checked = 0;
    for (int version = 4; version <= 6; version += 2) {
        for (size_t o = 0; o < 3; o++) {
            for (uint32_t size = 8; size <= 1480; size = size * 3 + 8) {
                size_t n = build(frame, sizeof frame, version, 3000, size + o);
                cut(frame, n, (struct pc_frag_opts){ .size = size & ~7u, .order = orders[o], .seed = size });
                struct seen s = { 0 };
                struct pc_defrag *df = pc_defrag_new(NULL, on_report, &s);
                size_t at = 0, got = feed(df, NULL, F.count, PC_NS_PER_SEC, 1000, out, &at);
                expect_same(out, got, frame, n, "reassembled");
                cr_assert_eq(at, F.count - 1, "completed by the last fragment");
                for (int w = 1; w <= PC_DF_CUT; w++) cr_assert_eq(s.n[w], 0, "report %s", pc_defrag_what_name(w));
                /* and it decodes whole: the UDP checksum over all of it is good */
                struct pc_decoded d;
                pc_decode(&d, out, (uint32_t)got, (uint32_t)got, 1);
                cr_assert_eq(d.err, 0);
                cr_assert_eq(d.l[d.l4].csum, PC_CSUM_GOOD);
                cr_assert_eq(pc_defrag_stats(df)->datagrams, 1);
                pc_defrag_free(df);
                checked++;
            }
        }
    }
    cr_assert_geq(checked, 24);
}

Test(defrag, tiny_first_fragment_and_duplicates)
{
    static uint8_t frame[FCAP], out[FCAP];
    size_t n = build(frame, sizeof frame, 4, 2000, 1);
    /* an 8-byte first fragment, and a duplicate of the second fragment */
    struct pc_frag_extra dup = { .off = 8, .len = 504, .data = NULL, .at = 2 };
    cut(frame, n, (struct pc_frag_opts){ .size = 504, .first = 8, .extra = &dup, .nextra = 1 });
    struct seen s = { 0 };
    struct pc_defrag *df = pc_defrag_new(NULL, on_report, &s);
    size_t got = feed(df, NULL, F.count, 0, 1, out, NULL);
    expect_same(out, got, frame, n, "with duplicates");
    cr_assert_eq(s.n[PC_DF_OVERLAP], 1, "the duplicate is an overlap with the same bytes (%d overlaps, %d conflicts, %zu fragments)", s.n[PC_DF_OVERLAP], s.n[PC_DF_CONFLICT], F.count);
    cr_assert_eq(s.n[PC_DF_CONFLICT], 0);
    pc_defrag_free(df);
}

/* A conflicting copy of [512, 1024) sent after the regular fragments: the
 * first policy keeps the original bytes, the last policy takes the copy. */
static void conflict_case(int version, int policy, bool keep6, uint8_t *out, size_t *got, struct seen *s,
                          uint8_t *frame, size_t *n)
{
    *n = build(frame, FCAP, version, 2000, 3);
    static uint8_t other[512];
    memset(other, 0xEE, sizeof other);
    struct pc_frag_extra x = { .off = 512, .len = 512, .data = other, .at = 1 };
    cut(frame, *n, (struct pc_frag_opts){ .size = 512, .extra = &x, .nextra = 1 });
    memset(s, 0, sizeof *s);
    struct pc_defrag_opts o = { .policy = policy, .ipv6_overlap_keep = keep6 };
    struct pc_defrag *df = pc_defrag_new(&o, on_report, s);
    *got = feed(df, NULL, F.count, 0, 1, out, NULL);
    pc_defrag_free(df);
}

Test(defrag, overlapping_bytes_that_differ_follow_the_policy_and_are_reported)
{
    static uint8_t frame[FCAP], out[FCAP];
    size_t n, got;
    struct seen s;
    /* IPv4: regular fragment [512,1024) arrives after the copy (at = 1 puts
     * the copy before the second regular fragment), so "first" keeps the
     * copy's 0xEE bytes and "last" the original ones. */
    conflict_case(4, PC_OVERLAP_FIRST, false, out, &got, &s, frame, &n);
    cr_assert_eq(got, n);
    cr_assert_eq(s.n[PC_DF_CONFLICT], 1);
    cr_assert_eq(s.last.off, 512);
    cr_assert_eq(s.last.len, 512);
    size_t pay = 14 + 20 + 8 + 512 - 8; /* payload offset 512 in the frame */
    cr_assert_eq(out[pay], 0xEE, "first wins: the copy came first");
    conflict_case(4, PC_OVERLAP_LAST, false, out, &got, &s, frame, &n);
    expect_same(out, got, frame, n, "last wins: the regular fragment came last");
    cr_assert_eq(s.n[PC_DF_CONFLICT], 1);
    /* IPv6: dropped by default (RFC 5722), reassembled when asked */
    conflict_case(6, PC_OVERLAP_LAST, false, out, &got, &s, frame, &n);
    cr_assert_eq(got, 0);
    cr_assert_eq(s.n[PC_DF_V6_OVERLAP], 1);
    conflict_case(6, PC_OVERLAP_LAST, true, out, &got, &s, frame, &n);
    expect_same(out, got, frame, n, "IPv6, kept, last wins");
}

Test(defrag, timeout_memory_limit_and_end_are_reported)
{
    static uint8_t frame[FCAP], out[FCAP];
    size_t n = build(frame, sizeof frame, 4, 3000, 4);
    cut(frame, n, (struct pc_frag_opts){ .size = 1000 });
    cr_assert_eq(F.count, 4);
    /* 40 s between fragments: the first datagram times out at the second
     * fragment (a new one starts), and so on; nothing completes */
    struct seen s = { 0 };
    struct pc_defrag *df = pc_defrag_new(NULL, on_report, &s);
    cr_assert_eq(feed(df, NULL, F.count, 0, 40 * PC_NS_PER_SEC, out, NULL), 0);
    cr_assert_eq(s.n[PC_DF_TIMEOUT], 3);
    pc_defrag_finish(df);
    cr_assert_eq(s.n[PC_DF_INCOMPLETE], 1);
    cr_assert_eq(s.last.first_pkt, 4);
    cr_assert_eq(s.last.have, 3008 - 3 * 1000, "the last fragment's bytes");
    cr_assert_eq(s.last.total, 3008);
    pc_defrag_free(df);
    /* a limit that holds two fragments: the datagram is given up */
    memset(&s, 0, sizeof s);
    struct pc_defrag_opts o = { .mem = 2200 };
    df = pc_defrag_new(&o, on_report, &s);
    cr_assert_eq(feed(df, NULL, F.count, 0, 1, out, NULL), 0);
    cr_assert_geq(s.n[PC_DF_EVICTED], 1);
    cr_assert_leq(pc_defrag_stats(df)->mem_peak, 2200 + 1000 + 64 + 14 + 20);
    pc_defrag_free(df);
    /* a missing middle fragment, reported at the end with what is held */
    memset(&s, 0, sizeof s);
    df = pc_defrag_new(NULL, on_report, &s);
    size_t order[] = { 0, 1, 3 };
    cr_assert_eq(feed(df, order, 3, 0, 1, out, NULL), 0);
    pc_defrag_finish(df);
    cr_assert_eq(s.n[PC_DF_INCOMPLETE], 1);
    cr_assert_eq(s.last.nfrags, 3);
    cr_assert_eq(s.last.have, 2008);
    cr_assert_eq(s.last.version, 4);
    cr_assert_eq(s.last.ident, 0x1234);
    cr_assert_eq(s.last.proto, 17);
    cr_assert(!memcmp(s.last.src, (uint8_t[]){ 10, 0, 0, 1 }, 4));
    pc_defrag_free(df);
}

Test(defrag, ipv6_atomic_fragment_is_whole_at_once)
{
    static uint8_t frame[FCAP], out[FCAP];
    size_t n = build(frame, sizeof frame, 6, 100, 5);
    /* one fragment covering everything: offset 0, M clear */
    cut(frame, n, (struct pc_frag_opts){ .size = 4096 });
    cr_assert_eq(F.count, 1);
    struct pc_defrag *df = pc_defrag_new(NULL, NULL, NULL);
    size_t got = feed(df, NULL, 1, 0, 1, out, NULL);
    expect_same(out, got, frame, n, "atomic fragment");
    pc_defrag_free(df);
}

Test(defrag, inconsistent_too_big_and_cut)
{
    static uint8_t frame[FCAP], out[FCAP];
    struct seen s = { 0 };
    struct pc_defrag *df = pc_defrag_new(NULL, on_report, &s);
    /* two last fragments that disagree on the end */
    size_t n = build(frame, sizeof frame, 4, 2000, 6);
    cut(frame, n, (struct pc_frag_opts){ .size = 1000 });
    cr_assert_eq(F.count, 3);
    memcpy(F.f[3], F.f[2], F.n[2]);
    F.n[3] = F.n[2] - 8;
    pc_put16(F.f[3] + 14 + 2, (uint16_t)(pc_get16(F.f[3] + 14 + 2) - 8));
    pc_put16(F.f[3] + 14 + 10, 0);
    pc_put16(F.f[3] + 14 + 10, pc_csum(F.f[3] + 14, 20));
    size_t order[] = { 2, 3 };
    cr_assert_eq(feed(df, order, 2, 0, 1, out, NULL), 0);
    cr_assert_eq(s.n[PC_DF_INCONSISTENT], 1);
    /* a fragment the capture cut: unusable, reported */
    struct pc_decoded d;
    pc_decode(&d, F.f[0], 200, (uint32_t)F.n[0], 1);
    struct pc_defrag_out fr;
    cr_assert_eq(pc_defrag_packet(df, &d, 9, 1, &fr), 1);
    cr_assert_eq(s.n[PC_DF_CUT], 1);
    cr_assert_eq(s.last.first_pkt, 9);
    cr_assert_eq(s.last.ident, 0x1234);
    /* a datagram whose pieces end past 65535 bytes */
    static uint8_t big[2][40000];
    size_t blen[2];
    for (int k = 0; k < 2; k++) {
        struct pc_pkt pk;
        pc_pkt_init(&pk, big[k], sizeof big[k]);
        pc_push_eth(&pk, &(struct pc_eth){ 0 });
        pc_push_ipv4(&pk, &(struct pc_ipv4){ .src = { 1, 1, 1, 1 }, .dst = { 2, 2, 2, 2 }, .id = 9, .ttl = 1,
                                           .flags = k ? 0 : PC_IP_MF, .frag_off = k ? 32768 / 8 : 0,
                                           .proto = PC_PIN(17) });
        static uint8_t zeros[32776];
        pc_push_payload(&pk, zeros, k ? 32776 : 32768);
        int m = pc_pkt_finalize(&pk);
        cr_assert_gt(m, 0);
        blen[k] = (size_t)m;
    }
    for (int k = 0; k < 2; k++) {
        pc_decode(&d, big[k], (uint32_t)blen[k], (uint32_t)blen[k], 1);
        cr_assert_eq(pc_defrag_packet(df, &d, 10 + k, 2, &fr), 1);
    }
    cr_assert_eq(s.n[PC_DF_TOO_BIG], 1, "32768 + 32776 bytes and a header pass 65535");
    cr_assert_eq(pc_defrag_stats(df)->datagrams, 0);
    pc_defrag_free(df);
}

Test(defrag, non_fragments_pass_through)
{
    static uint8_t frame[FCAP];
    size_t n = build(frame, sizeof frame, 4, 100, 7);
    struct pc_decoded d;
    pc_decode(&d, frame, (uint32_t)n, (uint32_t)n, 1);
    struct pc_defrag *df = pc_defrag_new(NULL, NULL, NULL);
    struct pc_defrag_out fr;
    cr_assert_eq(pc_defrag_packet(df, &d, 1, 0, &fr), 0);
    cr_assert_eq(pc_defrag_stats(df)->fragments, 0);
    pc_defrag_free(df);
}

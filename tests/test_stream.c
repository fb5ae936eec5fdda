/* TCP reassembly: streams cut into segments and delivered out of order,
 * retransmitted, overlapping (with the same and with other bytes), across
 * the 2^32 sequence wrap, picked up mid-stream, with segments lost, must
 * come out as exactly the bytes that were sent, or with the gaps, conflicts
 * and limits reported where they are. */
#include <criterion/criterion.h>

#include "helpers.h"
#include "pktcraft/analysis/stream.h"

TestSuite(stream, .timeout = 1800);

#define MAXB (1 << 20)

struct got {
    uint8_t b[2][MAXB];
    uint64_t n[2];          /* bytes delivered (gaps filled with 0xEE marks) */
    uint64_t gaps[2], gap_bytes[2];
    int why[2];
    int ended[2];
    uint64_t conflicts[2];
};

static void on_data(void *ctx, int dir, const uint8_t *p, size_t n, uint64_t off, pc_time_ns ts)
{
    (void)ts;
    struct got *g = ctx;
    cr_assert_eq(off, g->n[dir], "dir %d: data at %llu, expected at %llu", dir, (unsigned long long)off,
                 (unsigned long long)g->n[dir]);
    cr_assert_leq(off + n, MAXB);
    cr_assert_eq(g->ended[dir], 0, "data after the end");
    memcpy(g->b[dir] + off, p, n);
    g->n[dir] += n;
}

static void on_gap(void *ctx, int dir, uint64_t off, uint64_t n, int why)
{
    struct got *g = ctx;
    cr_assert_eq(off, g->n[dir], "dir %d: gap at %llu, expected at %llu", dir, (unsigned long long)off,
                 (unsigned long long)g->n[dir]);
    memset(g->b[dir] + off, 0xEE, n);
    g->n[dir] += n;
    g->gaps[dir]++;
    g->gap_bytes[dir] += n;
    g->why[dir] = why;
}

static void on_end(void *ctx, int dir, pc_time_ns ts)
{
    (void)ts;
    struct got *g = ctx;
    cr_assert_eq(g->ended[dir], 0, "ended twice");
    g->ended[dir] = 1;
}

static void on_conflict(void *ctx, int dir, uint64_t off, uint64_t n)
{
    (void)off, (void)n;
    struct got *g = ctx;
    g->conflicts[dir]++;
}

static const struct pc_stream_sink SINK = { on_data, on_gap, on_end, on_conflict };

/* A segment to send. */
struct seg {
    int dir;
    uint32_t seq, ack;
    uint8_t flags;
    uint32_t off, len;      /* into the direction's data */
    const uint8_t *data;    /* other bytes than the stream's, or NULL */
};

static uint8_t data[2][MAXB];
static struct seg segs[20000];
static size_t nsegs;

static void fill(uint64_t seed, size_t n)
{
    struct pc_rng r;
    pc_rng_seed(&r, seed);
    for (int d = 0; d < 2; d++)
        for (size_t i = 0; i < n; i++) data[d][i] = (uint8_t)pc_rng_next(&r);
}

/* Cut both directions into segments (sizes 1..maxseg), alternating, each
 * acknowledging what the other side sent before it. */
static void cut(size_t len0, size_t len1, uint32_t isn0, uint32_t isn1, uint32_t maxseg, uint64_t seed, bool handshake)
{
    struct pc_rng r;
    pc_rng_seed(&r, seed);
    nsegs = 0;
    size_t len[2] = { len0, len1 }, pos[2] = { 0, 0 };
    uint32_t isn[2] = { isn0, isn1 };
    if (handshake) {
        segs[nsegs++] = (struct seg){ 0, isn0, 0, PC_TCP_SYN, 0, 0, NULL };
        segs[nsegs++] = (struct seg){ 1, isn1, isn0 + 1, PC_TCP_SYN | PC_TCP_ACK, 0, 0, NULL };
        segs[nsegs++] = (struct seg){ 0, isn0 + 1, isn1 + 1, PC_TCP_ACK, 0, 0, NULL };
    }
    while (pos[0] < len[0] || pos[1] < len[1]) {
        int d = pos[0] < len[0] && (pos[1] >= len[1] || pc_rng_below(&r, 2)) ? 0 : 1;
        uint32_t k = 1 + (uint32_t)pc_rng_below(&r, maxseg);
        if (k > len[d] - pos[d]) k = (uint32_t)(len[d] - pos[d]);
        segs[nsegs++] = (struct seg){ d, isn[d] + 1 + (uint32_t)pos[d], isn[1 - d] + 1 + (uint32_t)pos[1 - d],
                                      PC_TCP_ACK | PC_TCP_PSH, (uint32_t)pos[d], k, NULL };
        pos[d] += k;
        cr_assert_lt(nsegs, sizeof segs / sizeof segs[0] - 8);
    }
    for (int d = 0; d < 2; d++)
        segs[nsegs++] = (struct seg){ d, isn[d] + 1 + (uint32_t)len[d], isn[1 - d] + 1 + (uint32_t)len[1 - d],
                                      PC_TCP_FIN | PC_TCP_ACK, (uint32_t)len[d], 0, NULL };
}

static void send(struct pc_stream *s, const struct seg *g, pc_time_ns ts)
{
    const uint8_t *p = g->data ? g->data : data[g->dir] + g->off;
    pc_stream_segment(s, g->dir, g->seq, g->ack, g->flags, 65535, g->len ? p : NULL, g->len, ts);
}

static void run(struct pc_stream *s, const size_t *order)
{
    for (size_t k = 0; k < nsegs; k++) send(s, &segs[order ? order[k] : k], (pc_time_ns)k);
    pc_stream_finish(s, (pc_time_ns)nsegs);
}

static void expect_stream(const struct got *g, int dir, size_t len)
{
    cr_assert_eq(g->n[dir], len, "dir %d: %llu bytes, want %zu (%llu gaps, %llu gap bytes, ended %d)", dir, (unsigned long long)g->n[dir], len, (unsigned long long)g->gaps[dir], (unsigned long long)g->gap_bytes[dir], g->ended[dir]);
    cr_assert(!memcmp(g->b[dir], data[dir], len), "dir %d: bytes differ", dir);
    cr_assert_eq(g->gaps[dir], 0);
    cr_assert(g->ended[dir]);
}

/* Shuffle within windows of w segments (reordering as a network does),
 * the three segments of the handshake staying first (no data can be sent
 * before it). */
static void shuffle(size_t *order, size_t n, size_t w, uint64_t seed)
{
    struct pc_rng r;
    pc_rng_seed(&r, seed);
    for (size_t i = 0; i < n; i++) order[i] = i;
    for (size_t i = 3; i + 1 < n; i++) {
        size_t j = i + (size_t)pc_rng_below(&r, w < n - i ? w : n - i);
        size_t t = order[i];
        order[i] = order[j];
        order[j] = t;
    }
}

static struct got G;
static size_t order[20000];

/* Make every acknowledgment say what a receiver next to the capture point
 * would have: the other direction's bytes received in order so far in
 * this sending order (an ACK never covers bytes the capture has not yet
 * shown; the network, not the capture, reorders). */
static void reack(const size_t *ord, uint32_t isn0, uint32_t isn1, bool handshake)
{
    static uint8_t have[2][MAXB];
    memset(have, 0, sizeof have);
    uint64_t contig[2] = { 0, 0 };
    bool syn[2] = { !handshake, !handshake }, fin[2] = { false, false };
    uint32_t isn[2] = { isn0, isn1 };
    size_t flen[2] = { 0, 0 };
    for (size_t k = 0; k < nsegs; k++) {
        struct seg *g = &segs[ord ? ord[k] : k];
        int d = g->dir, o = 1 - d;
        if (g->flags & PC_TCP_SYN) syn[d] = true;
        if (g->flags & PC_TCP_FIN) fin[d] = true, flen[d] = g->off + g->len;
        for (uint32_t i = 0; i < g->len; i++) have[d][g->off + i] = 1;
        while (contig[d] < MAXB && have[d][contig[d]]) contig[d]++;
        if (!(g->flags & PC_TCP_SYN) || (g->flags & PC_TCP_ACK)) {
            if (syn[o]) {
                g->flags |= PC_TCP_ACK;
                g->ack = isn[o] + 1 + (uint32_t)contig[o] + (fin[o] && contig[o] >= flen[o] ? 1 : 0);
            } else {
                g->flags &= (uint8_t)~PC_TCP_ACK;
            }
        }
    }
}

Test(stream, in_order_reordered_and_duplicated_come_out_whole)
{
    int runs = 0;
    for (uint64_t seed = 1; seed <= 12; seed++) {
        size_t l0 = 20000 + seed * 997, l1 = 50000 + seed * 131;
        fill(seed, l1 > l0 ? l1 : l0);
        /* seeds 7..12 start near 2^32: the sequence numbers wrap */
        uint32_t isn0 = seed > 6 ? 0xFFFFFFFFu - 5000 : (uint32_t)seed * 1000003u;
        uint32_t isn1 = seed > 6 ? 0xFFFFF000u : (uint32_t)seed * 7777777u;
        cut(l0, l1, isn0, isn1, 1 + (uint32_t)(seed * 97 % 1460), seed, true);
        size_t n0 = nsegs;
        /* duplicates of random segments, sent later */
        struct pc_rng r;
        pc_rng_seed(&r, seed ^ 99);
        for (int k = 0; k < 40; k++) segs[nsegs++] = segs[3 + pc_rng_below(&r, n0 - 5)];
        shuffle(order, nsegs, seed % 4 == 0 ? 1 : 8 + seed, seed);
        reack(order, isn0, isn1, true);
        for (int policy = PC_OVERLAP_FIRST; policy <= PC_OVERLAP_LAST; policy++) {
            memset(&G, 0, sizeof G);
            struct pc_stream *s = pc_stream_new(policy, 64 << 20, NULL, &SINK, &G);
            run(s, order);
            expect_stream(&G, 0, l0);
            expect_stream(&G, 1, l1);
            cr_assert_eq(G.conflicts[0] + G.conflicts[1], 0);
            const struct pc_stream_stats *st = pc_stream_stats(s, 0);
            cr_assert(st->syn && st->fin && !st->mid);
            cr_assert_eq(st->bytes, l0);
            cr_assert_geq(pc_stream_stats(s, 0)->retrans + pc_stream_stats(s, 1)->retrans, 1, "the duplicates count");
            cr_assert(pc_stream_closed(s));
            cr_assert_eq(pc_stream_held(s), 0);
            pc_stream_free(s);
            runs++;
        }
    }
    cr_assert_eq(runs, 24);
}

Test(stream, overlapping_recuts_with_the_same_bytes)
{
    fill(77, 30000);
    cut(30000, 0, 12345, 999, 700, 77, true);
    size_t n0 = nsegs;
    /* the same bytes sent again cut differently: 300-byte pieces at odd offsets */
    for (uint32_t off = 150; off + 300 < 30000; off += 1111)
        segs[nsegs++] = (struct seg){ 0, 12345 + 1 + off, 1000, PC_TCP_ACK, off, 300, NULL };
    shuffle(order, nsegs, 30, 5);
    reack(order, 12345, 999, true);
    memset(&G, 0, sizeof G);
    struct pc_stream *s = pc_stream_new(PC_OVERLAP_FIRST, 64 << 20, NULL, &SINK, &G);
    run(s, order);
    expect_stream(&G, 0, 30000);
    cr_assert_eq(G.conflicts[0], 0);
    cr_assert_gt(pc_stream_stats(s, 0)->overlaps + pc_stream_stats(s, 0)->retrans, 0);
    cr_assert_gt(nsegs, n0);
    pc_stream_free(s);
}

/* A copy of [1000, 1500) with other bytes arrives before the original:
 * FIRST keeps the copy (it came first), LAST keeps the original (it came
 * last and the receiver had not acknowledged the range yet). */
Test(stream, conflicting_bytes_follow_the_policy)
{
    static uint8_t other[500];
    memset(other, 0x41, sizeof other);
    for (int policy = PC_OVERLAP_FIRST; policy <= PC_OVERLAP_LAST; policy++) {
        fill(5, 4000);
        nsegs = 0;
        segs[nsegs++] = (struct seg){ 0, 100, 0, PC_TCP_SYN, 0, 0, NULL };
        segs[nsegs++] = (struct seg){ 1, 500, 101, PC_TCP_SYN | PC_TCP_ACK, 0, 0, NULL };
        segs[nsegs++] = (struct seg){ 0, 101, 501, PC_TCP_ACK, 0, 1000, NULL };
        segs[nsegs++] = (struct seg){ 0, 101 + 1000, 501, PC_TCP_ACK, 1000, 500, other };
        segs[nsegs++] = (struct seg){ 0, 101 + 1000, 501, PC_TCP_ACK, 1000, 500, NULL };
        segs[nsegs++] = (struct seg){ 0, 101 + 1500, 501, PC_TCP_ACK, 1500, 2500, NULL };
        segs[nsegs++] = (struct seg){ 1, 501, 101 + 4000, PC_TCP_ACK, 0, 0, NULL };
        segs[nsegs++] = (struct seg){ 0, 101 + 4000, 501, PC_TCP_ACK | PC_TCP_FIN, 4000, 0, NULL };
        memset(&G, 0, sizeof G);
        struct pc_stream *s = pc_stream_new(policy, 64 << 20, NULL, &SINK, &G);
        run(s, NULL);
        cr_assert_eq(G.n[0], 4000);
        cr_assert_eq(G.conflicts[0], 1);
        cr_assert_eq(pc_stream_stats(s, 0)->conflicts, 1);
        if (policy == PC_OVERLAP_FIRST) {
            cr_assert(!memcmp(G.b[0] + 1000, other, 500), "first wins: the copy");
            cr_assert(!memcmp(G.b[0], data[0], 1000) && !memcmp(G.b[0] + 1500, data[0] + 1500, 2500));
        } else {
            cr_assert(!memcmp(G.b[0], data[0], 4000), "last wins: the original");
        }
        pc_stream_free(s);
    }
}

Test(stream, a_lost_segment_becomes_a_gap_when_acknowledged_past)
{
    fill(9, 10000);
    cut(10000, 2000, 1, 2, 1000, 9, true);
    /* drop the client segment holding byte 5000 */
    size_t lost = 0;
    for (size_t k = 0; k < nsegs; k++)
        if (segs[k].dir == 0 && segs[k].len && segs[k].off <= 5000 && segs[k].off + segs[k].len > 5000) lost = k;
    cr_assert_gt(lost, 0);
    uint32_t loff = segs[lost].off, llen = segs[lost].len;
    memset(&G, 0, sizeof G);
    struct pc_stream *s = pc_stream_new(PC_OVERLAP_FIRST, 64 << 20, NULL, &SINK, &G);
    for (size_t k = 0; k < nsegs; k++)
        if (k != lost) send(s, &segs[k], (pc_time_ns)k);
    /* the server acknowledges everything: the hole is known lost at once */
    struct seg ackall = { 1, 2 + 1 + 2000, 1 + 1 + 10000, PC_TCP_ACK, 2000, 0, NULL };
    send(s, &ackall, 1000);
    cr_assert_eq(G.gaps[0], 1);
    cr_assert_eq(G.gap_bytes[0], llen);
    cr_assert_eq(G.why[0], PC_GAP_ACKED);
    pc_stream_finish(s, 2000);
    cr_assert_eq(G.n[0], 10000);
    cr_assert(!memcmp(G.b[0], data[0], loff));
    cr_assert(!memcmp(G.b[0] + loff + llen, data[0] + loff + llen, 10000 - loff - llen));
    expect_stream(&G, 1, 2000);
    cr_assert_eq(pc_stream_stats(s, 0)->gaps, 1);
    cr_assert_eq(pc_stream_stats(s, 0)->gap_bytes, llen);
    pc_stream_free(s);
    /* without the acknowledgment, the hole is given up when the capture ends */
    memset(&G, 0, sizeof G);
    s = pc_stream_new(PC_OVERLAP_FIRST, 64 << 20, NULL, &SINK, &G);
    for (size_t k = 0; k < nsegs; k++)
        if (k != lost && !(segs[k].dir == 1)) send(s, &segs[k], (pc_time_ns)k);
    pc_stream_finish(s, 2000);
    cr_assert_eq(G.gaps[0], 1);
    cr_assert_eq(G.why[0], PC_GAP_END);
    cr_assert_eq(G.n[0], 10000);
    pc_stream_free(s);
}

Test(stream, picked_up_mid_stream)
{
    fill(11, 8000);
    cut(8000, 3000, 0x7FFFFFF0u, 42, 512, 11, false);
    memset(&G, 0, sizeof G);
    struct pc_stream *s = pc_stream_new(PC_OVERLAP_FIRST, 64 << 20, NULL, &SINK, &G);
    run(s, NULL);
    expect_stream(&G, 0, 8000);
    expect_stream(&G, 1, 3000);
    cr_assert(pc_stream_stats(s, 0)->mid && !pc_stream_stats(s, 0)->syn);
    pc_stream_free(s);
}

Test(stream, memory_limits_turn_holes_into_gaps_and_are_counted)
{
    fill(13, 200000);
    cut(200000, 0, 7, 8, 1000, 13, true);
    /* lose an early segment and never acknowledge: everything after queues */
    size_t lost = 10;
    while (segs[lost].dir != 0 || !segs[lost].len) lost++;
    struct pc_stream_pool pool = { .limit = 1 << 20 };
    memset(&G, 0, sizeof G);
    struct pc_stream *s = pc_stream_new(PC_OVERLAP_FIRST, 50000, &pool, &SINK, &G);
    for (size_t k = 0; k < nsegs; k++) {
        if (k == lost) continue;
        struct seg g = segs[k];
        g.flags &= (uint8_t)~PC_TCP_ACK; /* a one-way capture: no acknowledgments */
        send(s, &g, (pc_time_ns)k);
        cr_assert_leq(pc_stream_held(s), 50000 + 1000, "the per-flow limit holds");
    }
    pc_stream_finish(s, 1 << 20);
    cr_assert_eq(G.n[0], 200000);
    cr_assert_eq(G.gaps[0], 1);
    cr_assert_eq(pc_stream_stats(s, 0)->limit_cuts, 1);
    cr_assert_eq(G.why[0], PC_GAP_LIMIT);
    cr_assert_leq(pool.peak, 50000 + 1000);
    pc_stream_free(s);
    cr_assert_eq(pool.held, 0);
}

Test(stream, rst_ends_both_directions_and_keepalives_are_not_retransmissions)
{
    fill(17, 3000);
    nsegs = 0;
    segs[nsegs++] = (struct seg){ 0, 1000, 0, PC_TCP_SYN, 0, 0, NULL };
    segs[nsegs++] = (struct seg){ 1, 5000, 1001, PC_TCP_SYN | PC_TCP_ACK, 0, 0, NULL };
    segs[nsegs++] = (struct seg){ 0, 1001, 5001, PC_TCP_ACK, 0, 3000, NULL };
    segs[nsegs++] = (struct seg){ 1, 5001, 4001, PC_TCP_ACK, 0, 0, NULL };
    /* keep-alive: one old byte just before the next one */
    segs[nsegs++] = (struct seg){ 0, 1001 + 2999, 5001, PC_TCP_ACK, 2999, 1, NULL };
    segs[nsegs++] = (struct seg){ 1, 5001, 4001, PC_TCP_RST | PC_TCP_ACK, 0, 0, NULL };
    memset(&G, 0, sizeof G);
    struct pc_stream *s = pc_stream_new(PC_OVERLAP_FIRST, 64 << 20, NULL, &SINK, &G);
    for (size_t k = 0; k < nsegs; k++) send(s, &segs[k], (pc_time_ns)k);
    cr_assert(pc_stream_closed(s), "a reset ends both directions");
    cr_assert(G.ended[0] && G.ended[1]);
    cr_assert_eq(G.n[0], 3000);
    cr_assert_eq(pc_stream_stats(s, 0)->retrans, 0, "a keep-alive is not a retransmission");
    cr_assert(pc_stream_stats(s, 1)->rst);
    pc_stream_finish(s, 100);
    pc_stream_free(s);
}

/* A pool with spare_max keeps freed streams and the small buffers of ended
 * directions for the next streams, at most spare_max of each, never a
 * buffer larger than PC_STREAM_SPARE_BUF, and a recycled stream behaves
 * exactly as a new one. */
Test(stream, a_pool_recycles_up_to_spare_max_streams_and_small_buffers)
{
    struct pc_stream_pool pool = { .spare_max = 2 };
    struct pc_stream *s[4];
    static const uint8_t pay[100] = { 1 };
    for (int k = 0; k < 4; k++) {
        s[k] = pc_stream_new(PC_OVERLAP_FIRST, 64 << 20, &pool, NULL, NULL);
        cr_assert_not_null(s[k]);
        pc_stream_segment(s[k], 0, 1000, 0, PC_TCP_SYN, 0, NULL, 0, 1);
        pc_stream_segment(s[k], 0, 1001, 0, PC_TCP_ACK, 0, pay, sizeof pay, 2); /* held: not acknowledged */
    }
    /* the last one grows its buffer past what a pool keeps */
    for (uint32_t off = 100; off < 2 * PC_STREAM_SPARE_BUF; off += 100)
        pc_stream_segment(s[3], 0, 1001 + off, 0, PC_TCP_ACK, 0, pay, sizeof pay, 3);
    pc_stream_finish(s[3], 4); /* its buffer goes when its direction ends */
    cr_assert_eq(pool.nspare_bufs, 0, "a buffer over PC_STREAM_SPARE_BUF is freed");
    for (int k = 0; k < 4; k++) {
        pc_stream_finish(s[k], 4);
        pc_stream_free(s[k]);
    }
    cr_assert_eq(pool.nspare_streams, 2);
    cr_assert_eq(pool.nspare_bufs, 2);
    cr_assert_eq(pool.held, 0);

    /* recycled streams (and buffers) give what new ones give */
    fill(5, 30000);
    cut(30000, 20000, 77, 0xFFFFF000u, 700, 5, true);
    shuffle(order, nsegs, 9, 5);
    reack(order, 77, 0xFFFFF000u, true);
    for (int k = 0; k < 3; k++) {
        memset(&G, 0, sizeof G);
        struct pc_stream *r = pc_stream_new(PC_OVERLAP_FIRST, 64 << 20, &pool, &SINK, &G);
        cr_assert_eq(pool.nspare_streams, 1, "one of the two taken (the last one's given back)");
        run(r, order);
        expect_stream(&G, 0, 30000);
        expect_stream(&G, 1, 20000);
        cr_assert(pc_stream_closed(r));
        pc_stream_free(r);
    }
    cr_assert_leq(pool.nspare_streams, 2);
    cr_assert_leq(pool.nspare_bufs, 2);
    pc_stream_pool_release(&pool); /* ASan's leak check: nothing left behind */
    cr_assert_eq(pool.nspare_streams + pool.nspare_bufs, 0);
    cr_assert_null(pool.spare_streams);
}

/* ------------------------------------------------ through the analyzer */

/* An Ethernet/IPv4/TCP frame of 10.0.0.1:40000 <-> 10.0.0.2:80 (dir 1:
 * from the server); returns its length. */
static size_t an_frame(uint8_t *buf, size_t cap, int dir, uint32_t seq, uint32_t ack, uint16_t flags,
                       const uint8_t *p, size_t n)
{
    struct pc_pkt pk;
    pc_pkt_init(&pk, buf, cap);
    uint8_t a[4] = { 10, 0, 0, 1 }, b[4] = { 10, 0, 0, 2 };
    pc_push_eth(&pk, &(struct pc_eth){ .dst = { 2, 0, 0, 0, 0, 2 }, .src = { 2, 0, 0, 0, 0, 1 } });
    struct pc_ipv4 ip = { .ttl = 64 };
    memcpy(ip.src, dir ? b : a, 4);
    memcpy(ip.dst, dir ? a : b, 4);
    pc_push_ipv4(&pk, &ip);
    pc_push_tcp(&pk, &(struct pc_tcp){ .sport = dir ? 80 : 40000, .dport = dir ? 40000 : 80, .seq = seq, .ack = ack,
                                       .flags = flags, .win = 8192 });
    pc_push_payload(&pk, p, n);
    int len = pc_pkt_finalize(&pk);
    cr_assert_gt(len, 0, "%s", pc_strerror(len));
    return (size_t)len;
}

struct an_got {
    uint64_t flows, bytes[2];
    int end;
};

static void an_flow_end(void *ctx, const struct pc_flow *f)
{
    struct an_got *g = ctx;
    g->flows++;
    g->bytes[0] += f->dir[0].bytes;
    g->bytes[1] += f->dir[1].bytes;
    g->end = f->end;
}

/* A packet stamped far earlier than the ones around it (a clock step, one
 * bad timestamp: suricata-verify's tls_DER captures have a SYN-ACK from
 * 1994 between packets of 2015) must not make the flow look idle: the
 * next packet, in time again, continues the same flow. */
Test(stream, an_earlier_timestamp_does_not_expire_the_flow)
{
    uint8_t buf[2048], pay[100];
    memset(pay, 'x', sizeof pay);
    struct an_got g = { 0 };
    struct pc_analyzer_cbs cbs = { .flow_end = an_flow_end };
    struct pc_analyzer *a = pc_analyzer_new(NULL, &cbs, &g);
    cr_assert_not_null(a);
    const pc_time_ns t = INT64_C(1429518024) * PC_NS_PER_SEC, bad = INT64_C(761195582) * PC_NS_PER_SEC;
    struct { int dir; uint32_t seq, ack; uint16_t fl; size_t n; pc_time_ns ts; } seq[] = {
        { 0, 1000, 0, PC_TCP_SYN, 0, t },
        { 1, 5000, 1001, PC_TCP_SYN | PC_TCP_ACK, 0, bad },
        { 0, 1001, 5001, PC_TCP_ACK, 0, t + 45000 },
        { 0, 1001, 5001, PC_TCP_ACK | PC_TCP_PSH, 100, t + 90000 },
        { 1, 5001, 1101, PC_TCP_ACK | PC_TCP_PSH, 100, t + 120000 },
    };
    for (size_t k = 0; k < sizeof seq / sizeof seq[0]; k++) {
        size_t n = an_frame(buf, sizeof buf, seq[k].dir, seq[k].seq, seq[k].ack, seq[k].fl, pay, seq[k].n);
        struct pc_pkthdr h = { .ts = seq[k].ts, .caplen = (uint32_t)n, .len = (uint32_t)n, .linktype = PC_LINK_ETHERNET };
        cr_assert_eq(pc_analyzer_packet(a, &h, buf), 0);
    }
    pc_analyzer_finish(a);
    cr_assert_eq(g.flows, 1, "one connection, %llu flows", (unsigned long long)g.flows);
    cr_assert_eq(g.end, PC_FLOW_END_CAPTURE);
    cr_assert_eq(g.bytes[0], 100);
    cr_assert_eq(g.bytes[1], 100);
    pc_analyzer_free(a);
}

/* A UDP datagram a:sport -> b:dport (addresses 10.0.0.a, 10.0.0.b). */
static size_t an_udp(uint8_t *buf, size_t cap, uint8_t a, uint8_t b, uint16_t sport, uint16_t dport)
{
    struct pc_pkt pk;
    pc_pkt_init(&pk, buf, cap);
    pc_push_eth(&pk, &(struct pc_eth){ .dst = { 2, 0, 0, 0, 0, 2 }, .src = { 2, 0, 0, 0, 0, 1 } });
    struct pc_ipv4 ip = { .ttl = 64, .src = { 10, 0, 0, a }, .dst = { 10, 0, 0, b } };
    pc_push_ipv4(&pk, &ip);
    pc_push_udp(&pk, &(struct pc_udp){ .sport = sport, .dport = dport });
    pc_push_payload(&pk, (const uint8_t *)"x", 1);
    int len = pc_pkt_finalize(&pk);
    cr_assert_gt(len, 0, "%s", pc_strerror(len));
    return (size_t)len;
}

struct an_ends {
    uint64_t n, ids[4096];
    int why[4096];
};

static void an_record_end(void *ctx, const struct pc_flow *f)
{
    struct an_ends *e = ctx;
    if (e->n < 4096) {
        e->ids[e->n] = f->id;
        e->why[e->n] = f->end;
    }
    e->n++;
}

static void an_send(struct pc_analyzer *a, const uint8_t *buf, size_t n, pc_time_ns ts)
{
    struct pc_pkthdr h = { .ts = ts, .caplen = (uint32_t)n, .len = (uint32_t)n, .linktype = PC_LINK_ETHERNET };
    cr_assert_eq(pc_analyzer_packet(a, &h, buf), 0);
}

/* Idle flows end on the first packet past their timeout, whichever class
 * they are in and however the classes empty and fill again (the analyzer
 * skips the look at its lists until the earliest deadline), and thousands
 * of flows that come and go (their records recycled) keep their ids and
 * counters apart. */
Test(stream, idle_flows_end_on_the_first_packet_past_their_timeout)
{
    uint8_t buf[2048];
    static struct an_ends e;
    memset(&e, 0, sizeof e);
    struct pc_analyzer_cbs cbs = { .flow_end = an_record_end };
    struct pc_analyzer *a = pc_analyzer_new(NULL, &cbs, &e);
    cr_assert_not_null(a);
    const pc_time_ns s = PC_NS_PER_SEC, t0 = 1000 * s;
    /* a clock: flow 3, a datagram at least every 60 s so it never idles */
#define CLOCK(t) an_send(a, buf, an_udp(buf, sizeof buf, 3, 4, 6000, 53), t0 + (t))
    an_send(a, buf, an_udp(buf, sizeof buf, 1, 2, 5000, 53), t0);                           /* 1: UDP, 60 s */
    an_send(a, buf, an_frame(buf, sizeof buf, 0, 1000, 0, PC_TCP_SYN, NULL, 0), t0 + s); /* 2: TCP, 300 s */
    CLOCK(60 * s);
    cr_assert_eq(e.n, 0, "60 s is not past 60 s");
    CLOCK(60 * s + 1);
    cr_assert_eq(e.n, 1);
    cr_assert(e.ids[0] == 1 && e.why[0] == PC_FLOW_END_IDLE);
    for (int k = 2; k <= 5; k++) CLOCK(k * 60 * s);
    CLOCK(301 * s);
    cr_assert_eq(e.n, 1, "300 s is not past 300 s");
    CLOCK(301 * s + 1);
    cr_assert(e.n == 2 && e.ids[1] == 2 && e.why[1] == PC_FLOW_END_IDLE);
    /* the TCP list empty, then a flow again: its deadline counts */
    an_send(a, buf, an_frame(buf, sizeof buf, 0, 1000, 0, PC_TCP_SYN, NULL, 0), t0 + 310 * s); /* 4 */
    for (int k = 0; k < 5; k++) CLOCK(360 * s + k * 60 * s);
    cr_assert_eq(e.n, 2);
    CLOCK(610 * s + 1);
    cr_assert(e.n == 3 && e.ids[2] == 4);
    /* the closed list: a reset connection lingers 10 s */
    an_send(a, buf, an_frame(buf, sizeof buf, 0, 1000, 0, PC_TCP_SYN, NULL, 0), t0 + 620 * s); /* 5 */
    an_send(a, buf, an_frame(buf, sizeof buf, 1, 5000, 1001, PC_TCP_RST | PC_TCP_ACK, NULL, 0), t0 + 620 * s + 1);
    CLOCK(630 * s + 1);
    cr_assert_eq(e.n, 3);
    CLOCK(630 * s + 2);
    cr_assert(e.n == 4 && e.ids[3] == 5 && e.why[3] == PC_FLOW_END_CLOSED);

    /* churn: 3000 flows of one datagram each, 2 s apart (their records
     * recycled): each ends 62 s after it began, in order, on its own */
    memset(&e, 0, sizeof e);
    for (int k = 0; k < 3000; k++) {
        pc_time_ns t = 680 * s + 2 * k * s;
        an_send(a, buf, an_udp(buf, sizeof buf, (uint8_t)(10 + k % 200), 250, (uint16_t)(10000 + k), 53), t0 + t);
        CLOCK(t);
    }
    cr_assert_eq(e.n, 3000 - 31, "all but the last 31 idle");
    for (uint64_t k = 0; k < e.n; k++) cr_assert(e.ids[k] == 6 + k && e.why[k] == PC_FLOW_END_IDLE);
    pc_analyzer_finish(a);
    cr_assert_eq(e.n, 3000 + 1, "the rest and the clock at the end");
    cr_assert_eq(pc_analyzer_stats(a)->flows, 3005);
    pc_analyzer_free(a);
#undef CLOCK
}

/* Flows are expired oldest-active first, each class looking at its least
 * recently active flow; one stamped in the past (the capture's clock
 * stepped back) ends once it is that flow and its time is past, as soon
 * as the flow before it leaves the list. */
Test(stream, a_flow_stamped_in_the_past_expires_once_it_is_the_oldest)
{
    uint8_t buf[2048];
    static struct an_ends e;
    memset(&e, 0, sizeof e);
    struct pc_analyzer_cbs cbs = { .flow_end = an_record_end };
    struct pc_analyzer *a = pc_analyzer_new(NULL, &cbs, &e);
    cr_assert_not_null(a);
    const pc_time_ns s = PC_NS_PER_SEC, t = INT64_C(1340954905) * s;
    an_send(a, buf, an_udp(buf, sizeof buf, 1, 2, 5000, 53), t);   /* 1 */
    an_send(a, buf, an_udp(buf, sizeof buf, 3, 4, 5000, 53), 0);   /* 2, from 1970 */
    an_send(a, buf, an_udp(buf, sizeof buf, 1, 2, 5000, 53), t + 1);
    cr_assert_eq(e.n, 0, "flow 2 was not the oldest yet");
    an_send(a, buf, an_udp(buf, sizeof buf, 1, 2, 5000, 53), t + 2);
    cr_assert_eq(e.n, 1, "flow 2 became the oldest and is long idle");
    cr_assert(e.ids[0] == 2 && e.why[0] == PC_FLOW_END_IDLE);
    pc_analyzer_finish(a);
    cr_assert_eq(e.n, 2);
    pc_analyzer_free(a);
}

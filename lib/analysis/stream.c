/* TCP reassembly (include/pktcraft/analysis/stream.h).
 *
 * Per direction the stream keeps:
 *   next   the first byte not yet received in order,
 *   deliv  the first byte not yet handed to the sink (deliv <= next),
 *   acked  how far the other side acknowledged,
 *   a buffer of the bytes [hbase, next) still held (delivered but not yet
 *          acknowledged, so retransmissions can be compared; with the LAST
 *          policy also not yet delivered),
 *   and a sorted list of out-of-order pieces beyond next that never
 *   overlap each other (overlaps are resolved by the policy when a piece
 *   arrives).
 * In-order data with nothing queued is appended straight to the buffer;
 * everything else goes through the queue and is drained into the buffer
 * as holes close. */
#include <stdlib.h>
#include <string.h>

#include "pktcraft/analysis/stream.h"
#include "pktcraft/wire/tcp.h"

struct piece {
    struct piece *next;
    uint64_t off;
    uint32_t len;
    uint8_t data[];
};

struct dir {
    bool started, ended, fin, have_ack;
    uint32_t isn;          /* sequence number of byte -1 (the SYN's, or one before the first seen) */
    uint64_t next, deliv, acked, fin_off;
    uint8_t *buf;
    size_t bcap, bstart;   /* byte hbase is buf[bstart] */
    uint64_t hbase;
    struct piece *queue;
    uint64_t queued;       /* bytes in the queue */
    uint64_t held;         /* what this direction counts against the limits */
    pc_time_ns ts;         /* of the segment being handled */
    struct pc_stream_stats st;
};

struct pc_stream {
    struct pc_stream *next_spare; /* on the pool's spare list */
    int policy;
    uint64_t flow_limit;
    struct pc_stream_pool *pool;
    struct pc_stream_sink sink;
    void *ctx;
    struct dir d[2];
};

const char *pc_gap_why_name(int why)
{
    switch (why) {
    case PC_GAP_ACKED: return "acked";
    case PC_GAP_END: return "end";
    case PC_GAP_LIMIT: return "limit";
    default: return "?";
    }
}

/* ------------------------------------------------------------ recycling */

/* A spare buffer starts with its link and capacity. */
struct pc_spare_buf {
    struct pc_spare_buf *next;
    size_t cap;
};

/* An ended direction's buffer: kept for the next stream when it is small
 * and the pool has room, else freed. */
static void buf_give(struct pc_stream_pool *pool, uint8_t *buf, size_t cap)
{
    if (!buf) return;
    if (!pool || pool->nspare_bufs >= pool->spare_max || cap > PC_STREAM_SPARE_BUF) {
        free(buf);
        return;
    }
    struct pc_spare_buf *b = (struct pc_spare_buf *)(void *)buf; /* from malloc: aligned for any type */
    b->next = pool->spare_bufs;
    b->cap = cap;
    pool->spare_bufs = b;
    pool->nspare_bufs++;
}

static uint8_t *buf_take(struct pc_stream_pool *pool, size_t *cap)
{
    struct pc_spare_buf *b = pool ? pool->spare_bufs : NULL;
    if (!b) return NULL;
    pool->spare_bufs = b->next;
    pool->nspare_bufs--;
    *cap = b->cap;
    return (uint8_t *)(void *)b;
}

void pc_stream_pool_release(struct pc_stream_pool *pool)
{
    for (struct pc_stream *s = pool->spare_streams, *n; s; s = n) {
        n = s->next_spare;
        free(s);
    }
    for (struct pc_spare_buf *b = pool->spare_bufs, *n; b; b = n) {
        n = b->next;
        free(b);
    }
    pool->spare_streams = NULL;
    pool->spare_bufs = NULL;
    pool->nspare_streams = pool->nspare_bufs = 0;
}

struct pc_stream *pc_stream_new(int policy, uint64_t flow_limit, struct pc_stream_pool *pool,
                                const struct pc_stream_sink *sink, void *ctx)
{
    struct pc_stream *s = pool ? pool->spare_streams : NULL;
    if (s) {
        pool->spare_streams = s->next_spare;
        pool->nspare_streams--;
        memset(s, 0, sizeof *s);
    } else if (!(s = calloc(1, sizeof *s))) {
        return NULL;
    }
    s->policy = policy;
    s->flow_limit = flow_limit;
    s->pool = pool;
    if (sink) s->sink = *sink;
    s->ctx = ctx;
    return s;
}

/* ------------------------------------------------------------ accounting */

static void account(struct pc_stream *s, struct dir *D)
{
    uint64_t now = (D->next - D->hbase) + D->queued;
    if (s->pool) {
        s->pool->held = s->pool->held - D->held + now;
        if (s->pool->held > s->pool->peak) s->pool->peak = s->pool->held;
    }
    D->held = now;
}

static uint8_t *at(struct dir *D, uint64_t off) { return D->buf + D->bstart + (off - D->hbase); }

/* Room for n more bytes at the end of the buffer. */
static bool reserve(struct pc_stream *s, struct dir *D, size_t n)
{
    if (!D->buf) D->buf = buf_take(s->pool, &D->bcap);
    size_t used = (size_t)(D->next - D->hbase);
    if (D->bstart && D->bstart + used + n > D->bcap) {
        memmove(D->buf, D->buf + D->bstart, used);
        D->bstart = 0;
    }
    if (used + n <= D->bcap) return true;
    /* start small: most flows hold one segment or a few (held until
     * acknowledged), and a table of many flows pays this per direction */
    size_t cap = D->bcap ? D->bcap : 256;
    while (cap < used + n) cap *= 2;
    uint8_t *b = realloc(D->buf, cap);
    if (!b) return false;
    D->buf = b;
    D->bcap = cap;
    return true;
}

/* Forget held bytes before off (they were delivered and need no more
 * comparing). */
static void drop_before(struct pc_stream *s, struct dir *D, uint64_t off)
{
    if (off > D->deliv) off = D->deliv;
    if (off <= D->hbase) return;
    D->bstart += (size_t)(off - D->hbase);
    D->hbase = off;
    if (D->hbase == D->next) D->bstart = 0;
    account(s, D);
}

/* ------------------------------------------------------------ delivery */

static void deliver_to(struct pc_stream *s, int dir, uint64_t upto)
{
    struct dir *D = &s->d[dir];
    if (upto > D->next) upto = D->next;
    if (upto <= D->deliv) return;
    if (s->sink.data) s->sink.data(s->ctx, dir, at(D, D->deliv), (size_t)(upto - D->deliv), D->deliv, D->ts);
    D->st.bytes += upto - D->deliv;
    D->deliv = upto;
}

/* What may be delivered now: everything in order (FIRST), or what the
 * other side acknowledged (LAST). */
static void deliver(struct pc_stream *s, int dir)
{
    struct dir *D = &s->d[dir];
    uint64_t upto = D->next;
    if (s->policy == PC_OVERLAP_LAST && !D->ended) upto = !D->have_ack ? D->deliv : D->acked < upto ? D->acked : upto;
    deliver_to(s, dir, upto);
    if (D->have_ack) drop_before(s, D, D->acked);
}

/* A hole [next, next + n) that will never be filled. */
static void skip_hole(struct pc_stream *s, int dir, uint64_t n, int why)
{
    struct dir *D = &s->d[dir];
    deliver_to(s, dir, D->next); /* what precedes the hole goes first */
    if (s->sink.gap) s->sink.gap(s->ctx, dir, D->next, n, why);
    D->st.gaps++;
    D->st.gap_bytes += n;
    if (why == PC_GAP_LIMIT) D->st.limit_cuts++;
    /* nothing is held across a hole: the buffer restarts after it */
    D->next += n;
    D->deliv = D->hbase = D->next;
    D->bstart = 0;
    account(s, D);
}

/* Move queued pieces that now start at or before next into the buffer. */
static bool drain(struct pc_stream *s, struct dir *D)
{
    while (D->queue && D->queue->off <= D->next) {
        struct piece *q = D->queue;
        uint64_t end = q->off + q->len;
        if (end > D->next) {
            size_t k = (size_t)(end - D->next);
            if (!reserve(s, D, k)) return false;
            memcpy(at(D, D->next), q->data + (D->next - q->off), k);
            D->next = end;
        }
        D->queue = q->next;
        D->queued -= q->len;
        free(q);
    }
    account(s, D);
    return true;
}

/* ------------------------------------------------------------ comparing */

static void conflict(struct pc_stream *s, int dir, uint64_t off, uint64_t n, bool *counted)
{
    if (!*counted) s->d[dir].st.conflicts++;
    *counted = true;
    if (s->sink.conflict) s->sink.conflict(s->ctx, dir, off, n);
}

/* Compare (and with LAST, overwrite where not yet delivered) the part of
 * [off, off+n) that lies in the buffer.  Returns whether any byte was
 * compared. */
static bool against_buffer(struct pc_stream *s, int dir, uint64_t off, const uint8_t *p, uint32_t n, bool *bad)
{
    struct dir *D = &s->d[dir];
    uint64_t lo = off > D->hbase ? off : D->hbase, hi = off + n < D->next ? off + n : D->next;
    if (lo >= hi) return false;
    const uint8_t *mine = p + (lo - off);
    uint8_t *held = at(D, lo);
    if (memcmp(mine, held, (size_t)(hi - lo))) {
        conflict(s, dir, lo, hi - lo, bad);
        if (s->policy == PC_OVERLAP_LAST && hi > D->deliv) {
            uint64_t from = lo > D->deliv ? lo : D->deliv;
            memcpy(at(D, from), p + (from - off), (size_t)(hi - from));
        }
    }
    return true;
}

static struct piece *new_piece(uint64_t off, const uint8_t *p, uint32_t n)
{
    struct piece *q = malloc(sizeof *q + n);
    if (!q) return NULL;
    q->next = NULL;
    q->off = off;
    q->len = n;
    memcpy(q->data, p, n);
    return q;
}

/* Queue [off, off+n) beyond next: the parts no queued piece covers become
 * new pieces; covered parts are compared (and overwritten with LAST).
 * Returns whether any byte overlapped a queued piece, or -1 when out of
 * memory. */
static int enqueue(struct pc_stream *s, int dir, uint64_t off, const uint8_t *p, uint32_t n, bool *bad)
{
    struct dir *D = &s->d[dir];
    struct piece **link = &D->queue;
    uint64_t cur = off, end = off + n;
    int overlapped = 0;
    while (cur < end) {
        while (*link && (*link)->off + (*link)->len <= cur) link = &(*link)->next;
        struct piece *q = *link;
        uint64_t stop = q && q->off < end ? q->off : end;
        if (cur < stop) { /* a part nothing covers */
            struct piece *np = new_piece(cur, p + (cur - off), (uint32_t)(stop - cur));
            if (!np) return -1;
            np->next = q;
            *link = np;
            link = &np->next;
            D->queued += stop - cur;
            cur = stop;
            continue;
        }
        /* cur lies inside q */
        uint64_t hi = q->off + q->len < end ? q->off + q->len : end;
        uint8_t *held = q->data + (cur - q->off);
        overlapped = 1;
        if (memcmp(held, p + (cur - off), (size_t)(hi - cur))) {
            conflict(s, dir, cur, hi - cur, bad);
            if (s->policy == PC_OVERLAP_LAST) memcpy(held, p + (cur - off), (size_t)(hi - cur));
        }
        cur = hi;
    }
    account(s, D);
    return overlapped;
}

/* ------------------------------------------------------------ segments */

static void acked_holes(struct pc_stream *s, int dir);

/* Sequence number to stream offset, by serial arithmetic around next.
 * Negative: before the stream's first byte. */
static int64_t offset_of(const struct dir *D, uint32_t seq)
{
    uint32_t rel = seq - D->isn - 1u;
    int32_t delta = (int32_t)(rel - (uint32_t)D->next);
    return (int64_t)D->next + delta;
}

static bool keepalive(const struct dir *D, int64_t off, uint32_t n)
{
    return n <= 1 && off == (int64_t)D->next - 1;
}

/* The bytes of one segment at off (SYN already accounted for). */
static void payload(struct pc_stream *s, int dir, int64_t soff, const uint8_t *p, uint32_t n)
{
    struct dir *D = &s->d[dir];
    if (soff < 0) { /* bytes before the stream start (garbage or a SYN's): drop them */
        if ((uint64_t)-soff >= n) return;
        p += -soff;
        n -= (uint32_t)-soff;
        soff = 0;
    }
    uint64_t off = (uint64_t)soff, end = off + n;
    bool bad = false;
    if (end <= D->next) { /* nothing new */
        if (!keepalive(D, soff, n)) D->st.retrans++;
        against_buffer(s, dir, off, p, n, &bad);
        return;
    }
    bool old = off < D->next;
    if (old) against_buffer(s, dir, off, p, (uint32_t)(D->next - off), &bad);
    uint64_t from = old ? D->next : off;
    const uint8_t *q = p + (from - off);
    uint32_t k = (uint32_t)(end - from);
    int over = 0;
    if (from == D->next && !D->queue) { /* in order: the common case */
        if (!reserve(s, D, k)) return;
        memcpy(at(D, D->next), q, k);
        D->next = end;
        account(s, D);
    } else {
        over = enqueue(s, dir, from, q, k, &bad);
        if (over < 0 || !drain(s, D)) return;
        acked_holes(s, dir); /* data beyond a hole already acknowledged: the hole is lost */
    }
    if (old || over) D->st.overlaps++;
}

static void check_limits(struct pc_stream *s, int dir)
{
    struct dir *D = &s->d[dir];
    while ((D->held > s->flow_limit || (s->pool && s->pool->limit && s->pool->held > s->pool->limit)) && D->queue) {
        skip_hole(s, dir, D->queue->off - D->next, PC_GAP_LIMIT);
        drain(s, D);
    }
    if (D->held > s->flow_limit || (s->pool && s->pool->limit && s->pool->held > s->pool->limit)) {
        /* only in-order bytes left: hand them over and stop holding them */
        deliver_to(s, dir, D->next);
        drop_before(s, D, D->next);
    }
}

/* Holes the other side has acknowledged past, with data queued after
 * them: the receiver got bytes the capture missed, so they are gaps.  A
 * hole the acknowledgment covers with nothing seen after it stays open:
 * the data may still show up (a capture can reorder), and the last
 * sequence number acknowledged is often a FIN that was not captured. */
static void acked_holes(struct pc_stream *s, int dir)
{
    struct dir *D = &s->d[dir];
    while (D->have_ack && D->queue && D->acked > D->next && D->queue->off <= D->acked) {
        skip_hole(s, dir, D->queue->off - D->next, PC_GAP_ACKED);
        drain(s, D);
    }
}

/* The other side acknowledged up to ack (a sequence number of dir). */
static void acked(struct pc_stream *s, int dir, uint32_t ack)
{
    struct dir *D = &s->d[dir];
    if (!D->started) return;
    int64_t a = offset_of(D, ack);
    if (D->fin && a > (int64_t)D->fin_off) a = (int64_t)D->fin_off; /* the FIN's own number */
    if (a < 0 || (D->have_ack && (uint64_t)a <= D->acked)) return;
    D->acked = (uint64_t)a;
    D->have_ack = true;
    acked_holes(s, dir);
    deliver(s, dir);
}

/* The direction is over: everything held goes out, holes as gaps. */
static void end_dir(struct pc_stream *s, int dir, int why)
{
    struct dir *D = &s->d[dir];
    if (D->ended) return;
    D->ended = true;
    while (D->queue) {
        skip_hole(s, dir, D->queue->off - D->next, why);
        drain(s, D);
    }
    if (D->fin && D->fin_off > D->next && why == PC_GAP_END) skip_hole(s, dir, D->fin_off - D->next, why);
    deliver_to(s, dir, D->next);
    drop_before(s, D, D->next);
    /* an ended direction takes no more bytes: its buffer goes now, not
     * when the flow record leaves the table (closed flows linger) */
    buf_give(s->pool, D->buf, D->bcap);
    D->buf = NULL;
    D->bcap = D->bstart = 0;
    if (s->sink.end) s->sink.end(s->ctx, dir, D->ts);
}

static void start(struct dir *D, uint32_t seq, bool syn)
{
    D->started = true;
    D->isn = syn ? seq : seq - 1u;
    D->st.mid = !syn;
}

void pc_stream_segment(struct pc_stream *s, int dir, uint32_t seq, uint32_t ack, uint8_t flags, uint16_t win,
                       const uint8_t *p, uint32_t n, pc_time_ns ts)
{
    (void)win;
    struct dir *D = &s->d[dir], *O = &s->d[1 - dir];
    D->ts = O->ts = ts;
    D->st.segments++;
    bool syn = flags & PC_TCP_SYN;
    if (syn) D->st.syn = true;
    if (!D->started) start(D, seq, syn);
    else if (syn && !n) D->st.retrans += seq == D->isn; /* a SYN sent again */
    if (flags & PC_TCP_ACK) acked(s, 1 - dir, ack);
    if (flags & PC_TCP_RST) {
        D->st.rst = true;
        end_dir(s, dir, PC_GAP_END);
        end_dir(s, 1 - dir, PC_GAP_END);
        return;
    }
    if (D->ended) { /* after its FIN and end: nothing more to deliver */
        if (n && !keepalive(D, offset_of(D, seq), n)) D->st.retrans++;
        return;
    }
    int64_t off = offset_of(D, syn ? seq + 1u : seq);
    if (n) payload(s, dir, off, p, n);
    if (flags & PC_TCP_FIN && !D->fin) {
        D->fin = true;
        D->st.fin = true;
        D->fin_off = (uint64_t)(off + (int64_t)n < 0 ? 0 : off + (int64_t)n);
    }
    deliver(s, dir);
    check_limits(s, dir);
    if (D->fin && D->next >= D->fin_off) {
        if (!D->have_ack || s->policy != PC_OVERLAP_LAST || D->acked >= D->fin_off) end_dir(s, dir, PC_GAP_END);
    }
}

void pc_stream_finish(struct pc_stream *s, pc_time_ns ts)
{
    for (int dir = 0; dir < 2; dir++) {
        if (!s->d[dir].ended && s->d[dir].ts < ts) s->d[dir].ts = ts;
        end_dir(s, dir, PC_GAP_END);
    }
}

const struct pc_stream_stats *pc_stream_stats(const struct pc_stream *s, int dir) { return &s->d[dir].st; }

uint64_t pc_stream_held(const struct pc_stream *s) { return s->d[0].held + s->d[1].held; }

bool pc_stream_closed(const struct pc_stream *s) { return s->d[0].ended && s->d[1].ended; }

bool pc_stream_seqs(const struct pc_stream *s, int dir, uint32_t *isn, uint32_t *next)
{
    const struct dir *D = &s->d[dir];
    *isn = D->isn;
    *next = D->isn + 1u + (uint32_t)D->next;
    return D->started;
}

void pc_stream_free(struct pc_stream *s)
{
    if (!s) return;
    for (int dir = 0; dir < 2; dir++) {
        struct dir *D = &s->d[dir];
        for (struct piece *q = D->queue, *n; q; q = n) {
            n = q->next;
            free(q);
        }
        if (s->pool) s->pool->held -= D->held;
        buf_give(s->pool, D->buf, D->bcap);
    }
    struct pc_stream_pool *pool = s->pool;
    if (pool && pool->nspare_streams < pool->spare_max) {
        s->next_spare = pool->spare_streams;
        pool->spare_streams = s;
        pool->nspare_streams++;
    } else {
        free(s);
    }
}

/* fuzz_stream: TCP reassembly (pktcraft/analysis/stream.h) driven by
 * segments the fuzzer chooses.  The input is
 *     [cfg] [ISN of direction 0, 4 bytes] [ISN of direction 1, 4 bytes]
 * and then segments, each
 *     [ctl] [seq, 2 bytes] [ack, 2 bytes] [length, 1 byte] [payload?]
 * ctl bit 0 is the direction; bits 1-4 the flags SYN, FIN, RST, ACK; bit 5
 * scales seq by 256 and bit 6 ack (so segments land far apart, across the
 * 2^32 wrap when the ISN is near it, or before the stream start: both are
 * read as signed offsets from ISN + 1); bit 7 takes the payload from the
 * input, otherwise it is the direction's pattern, a function of the
 * sequence number, so that every copy of a byte is the same.  cfg bit 0 is
 * the overlap policy, bits 1-2 the per-direction limit (256 bytes to 1
 * MiB), bit 3 a pool limit of 512 bytes.
 *
 * Checked: data and gaps of a direction come in order, each at the offset
 * where the previous one ended; nothing after the direction's end; each
 * direction ends once, and both by pc_stream_finish; the counters add up
 * to what was delivered; the bytes held stay within the limits after every
 * segment (and the pool's count is the stream's); with pattern payloads
 * only, every delivered byte is the pattern's and no conflict is reported;
 * nothing leaks. */
#include <string.h>

#include "fuzz.h"
#include "pktcraft/analysis/stream.h"

struct stream_fz {
    uint64_t total[2];     /* bytes and gaps delivered */
    uint64_t data[2], gaps[2], gap_bytes[2], conflicts[2];
    int ended[2];
    bool tainted[2];       /* a payload came from the input: bytes may differ from the pattern */
    bool started[2];
    uint32_t base[2];      /* sequence number of stream offset 0 */
};

/* The pattern byte at sequence number s of direction dir. */
static uint8_t stream_pattern(int dir, uint32_t s) { return (uint8_t)((s * 2654435761u) >> 24 ^ (uint32_t)dir * 0x5Au); }

static void stream_on_data(void *ctx, int dir, const uint8_t *p, size_t n, uint64_t off, pc_time_ns ts)
{
    (void)ts;
    struct stream_fz *z = ctx;
    FZ_CHECK(dir == 0 || dir == 1, "dir %d", dir);
    FZ_CHECK(!z->ended[dir], "dir %d: data after the end", dir);
    FZ_CHECK(n > 0, "dir %d: empty data", dir);
    FZ_CHECK(off == z->total[dir], "dir %d: data at %llu, the stream is at %llu", dir, (unsigned long long)off,
             (unsigned long long)z->total[dir]);
    fz_touch(p, n);
    if (!z->tainted[dir])
        for (size_t k = 0; k < n; k++)
            FZ_CHECK(p[k] == stream_pattern(dir, z->base[dir] + (uint32_t)(off + k)),
                     "dir %d: byte at offset %llu is not the one sent", dir, (unsigned long long)(off + k));
    z->total[dir] += n;
    z->data[dir] += n;
}

static void stream_on_gap(void *ctx, int dir, uint64_t off, uint64_t n, int why)
{
    struct stream_fz *z = ctx;
    FZ_CHECK(dir == 0 || dir == 1, "dir %d", dir);
    FZ_CHECK(!z->ended[dir], "dir %d: gap after the end", dir);
    FZ_CHECK(n > 0, "dir %d: empty gap", dir);
    FZ_CHECK(why >= PC_GAP_ACKED && why <= PC_GAP_LIMIT, "gap reason %d", why);
    FZ_CHECK(off == z->total[dir], "dir %d: gap at %llu, the stream is at %llu", dir, (unsigned long long)off,
             (unsigned long long)z->total[dir]);
    z->total[dir] += n;
    z->gaps[dir]++;
    z->gap_bytes[dir] += n;
}

static void stream_on_end(void *ctx, int dir, pc_time_ns ts)
{
    (void)ts;
    struct stream_fz *z = ctx;
    FZ_CHECK(dir == 0 || dir == 1, "dir %d", dir);
    FZ_CHECK(!z->ended[dir], "dir %d ended twice", dir);
    z->ended[dir] = 1;
}

static void stream_on_conflict(void *ctx, int dir, uint64_t off, uint64_t n)
{
    struct stream_fz *z = ctx;
    FZ_CHECK(dir == 0 || dir == 1, "dir %d", dir);
    FZ_CHECK(n > 0 && off + n > off, "conflict [%llu, +%llu)", (unsigned long long)off, (unsigned long long)n);
    FZ_CHECK(z->tainted[dir], "dir %d: a conflict where every copy of every byte was the same", dir);
    z->conflicts[dir]++;
}

static const struct pc_stream_sink stream_sink = { stream_on_data, stream_on_gap, stream_on_end, stream_on_conflict };

static void stream_check_stats(const struct pc_stream *s, const struct stream_fz *z)
{
    for (int dir = 0; dir < 2; dir++) {
        const struct pc_stream_stats *st = pc_stream_stats(s, dir);
        FZ_CHECK(st->bytes == z->data[dir], "dir %d: %llu bytes counted, %llu delivered", dir,
                 (unsigned long long)st->bytes, (unsigned long long)z->data[dir]);
        FZ_CHECK(st->gaps == z->gaps[dir] && st->gap_bytes == z->gap_bytes[dir], "dir %d: gaps counted differ", dir);
        FZ_CHECK(st->conflicts <= z->conflicts[dir], "dir %d: more conflicts counted than reported", dir);
        FZ_CHECK(st->limit_cuts <= st->gaps, "dir %d: more limit cuts than gaps", dir);
    }
}

static uint32_t stream_get32(const uint8_t *p) { return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3]; }

static int FUZZ_NAME(stream)(const uint8_t *data, size_t size)
{
    if (size < 9) return 0;
    static const uint64_t limits[] = { 256, 4096, 65536, 1 << 20 };
    uint8_t cfg = data[0];
    uint64_t flow_limit = limits[(cfg >> 1) & 3];
    struct pc_stream_pool pool = { .limit = cfg & 8 ? 512 : 0 };
    uint32_t isn[2] = { stream_get32(data + 1), stream_get32(data + 5) };
    struct stream_fz z;
    memset(&z, 0, sizeof z);
    struct pc_stream *s = pc_stream_new(cfg & 1 ? PC_OVERLAP_LAST : PC_OVERLAP_FIRST, flow_limit, &pool, &stream_sink, &z);
    FZ_CHECK(s, "out of memory");
    uint8_t pay[256];
    size_t at = 9;
    pc_time_ns ts = 0;
    while (at + 6 <= size) {
        uint8_t ctl = data[at];
        int dir = ctl & 1;
        int32_t so = (int16_t)(data[at + 1] << 8 | data[at + 2]), ao = (int16_t)(data[at + 3] << 8 | data[at + 4]);
        uint32_t n = data[at + 5];
        at += 6;
        uint32_t seq = isn[dir] + 1u + (uint32_t)(ctl & 0x20 ? so * 256 : so);
        uint32_t ack = isn[1 - dir] + 1u + (uint32_t)(ctl & 0x40 ? ao * 256 : ao);
        uint8_t flags = (uint8_t)((ctl & 2 ? PC_TCP_SYN : 0) | (ctl & 4 ? PC_TCP_FIN : 0) |
                                  (ctl & 8 ? PC_TCP_RST : 0) | (ctl & 16 ? PC_TCP_ACK : 0));
        /* where the stream puts its offset 0: after the first SYN, or at
         * the first sequence number seen (stream.h) */
        if (!z.started[dir]) {
            z.started[dir] = true;
            z.base[dir] = flags & PC_TCP_SYN ? seq + 1u : seq;
        }
        uint32_t first = flags & PC_TCP_SYN ? seq + 1u : seq; /* sequence number of the payload's first byte */
        if (ctl & 0x80) {
            if (n > size - at) n = (uint32_t)(size - at);
            memcpy(pay, data + at, n);
            at += n;
            z.tainted[dir] = true;
        } else {
            for (uint32_t k = 0; k < n; k++) pay[k] = stream_pattern(dir, first + k);
        }
        /* a copy of exactly n bytes, so ASan sees any read past it */
        uint8_t *p = malloc(n ? n : 1);
        FZ_CHECK(p, "out of memory");
        memcpy(p, pay, n);
        ts += PC_NS_PER_SEC / 1000;
        pc_stream_segment(s, dir, seq, ack, flags, 1024, p, n, ts);
        free(p);
        uint64_t held = pc_stream_held(s);
        FZ_CHECK(held <= 2 * flow_limit, "%llu bytes held, limit %llu a direction", (unsigned long long)held,
                 (unsigned long long)flow_limit);
        FZ_CHECK(pool.held == held, "the pool counts %llu, the stream holds %llu", (unsigned long long)pool.held,
                 (unsigned long long)held);
        if (pool.limit)
            FZ_CHECK(held <= (pool.limit > flow_limit ? pool.limit : flow_limit), "%llu bytes held, pool limit %llu",
                     (unsigned long long)held, (unsigned long long)pool.limit);
        stream_check_stats(s, &z);
        if (pc_stream_closed(s)) FZ_CHECK(z.ended[0] && z.ended[1], "closed without both ends reported");
    }
    pc_stream_finish(s, ts + 1);
    FZ_CHECK(z.ended[0] && z.ended[1], "pc_stream_finish left a direction open");
    FZ_CHECK(pc_stream_held(s) == 0 && pool.held == 0, "%llu bytes still held after the end",
             (unsigned long long)pc_stream_held(s));
    FZ_CHECK(pc_stream_closed(s), "not closed after pc_stream_finish");
    stream_check_stats(s, &z);
    pc_stream_free(s);
    FZ_CHECK(pool.held == 0, "the pool still counts %llu bytes", (unsigned long long)pool.held);
    return 0;
}
FUZZ_ENTRY(stream)

/* TCP reassembly: one connection's two byte streams, in order, from
 * segments as they were captured (out of order, retransmitted,
 * overlapping, sequence numbers wrapping at 2^32, a connection picked up
 * in the middle).
 *
 * Offsets.  Each direction counts its bytes from 0: the byte after the SYN
 * (whose sequence number is the ISN), or the first byte seen when the
 * handshake was not captured.  Sequence numbers are turned into 64-bit
 * offsets by serial arithmetic around the next expected byte, so a stream
 * longer than 4 GiB (or starting near 2^32) is followed across the wrap.
 *
 * Delivery.  Bytes reach the sink in order, each exactly once; a hole that
 * can no longer be filled is delivered as a gap (its size) and the stream
 * goes on after it.  A hole becomes a gap when the other side acknowledges
 * past it (the receiver got bytes the capture missed), when the direction
 * or the connection ends, or when a memory limit is reached.  With the
 * FIRST policy (the default) bytes are delivered as soon as they are
 * contiguous and the first copy of a byte wins; with LAST they are held
 * until the other side acknowledges them (or the stream ends), so that a
 * later copy of a byte replaces an earlier one until then.
 *
 * Overlaps.  A segment that covers bytes already held is compared with
 * them: an overlap with the same bytes is counted (a retransmission), one
 * whose bytes differ is counted as a conflict and reported with its range.
 * Bytes already delivered and acknowledged are no longer held (the
 * receiver has them: a retransmission of them is counted, not compared).
 * Keep-alives (one old byte, or none, just before the next expected one)
 * are not retransmissions.
 *
 * Memory: out-of-order segments and unacknowledged bytes are copies, at
 * most reasm_flow bytes per direction and reasm_total in all streams that
 * share a pc_stream_pool; past either, the oldest hole is given up as a
 * gap (reported) so memory stays bounded. */
#ifndef PKTCRAFT_STREAM_H
#define PKTCRAFT_STREAM_H

#include <stdbool.h>
#include "../core/common.h"
#include "defrag.h" /* enum pc_overlap_policy */

/* Where the bytes go.  dir 0 is the direction of the connection's first
 * segment's sender as the caller numbers them (the analyzer: client to
 * server).  data: n bytes at stream offset off, ts of the segment that
 * made them deliverable.  gap: n bytes at off that will never come.  end:
 * the direction finished (FIN reached, RST, or pc_stream_finish). */
struct pc_stream_sink {
    void (*data)(void *ctx, int dir, const uint8_t *p, size_t n, uint64_t off, pc_time_ns ts);
    void (*gap)(void *ctx, int dir, uint64_t off, uint64_t n, int why);
    void (*end)(void *ctx, int dir, pc_time_ns ts);
    /* overlapping bytes that differ: [off, off+n) of direction dir */
    void (*conflict)(void *ctx, int dir, uint64_t off, uint64_t n);
};

/* Why a gap was declared. */
enum pc_gap_why {
    PC_GAP_ACKED = 1,  /* the other side acknowledged past the hole */
    PC_GAP_END,        /* the direction or the capture ended with a hole */
    PC_GAP_LIMIT,      /* a memory limit gave the hole up */
};
const char *pc_gap_why_name(int why);

/* Per direction, for flow records. */
struct pc_stream_stats {
    uint64_t segments;    /* segments seen (with or without payload) */
    uint64_t bytes;       /* bytes delivered (reassembled payload) */
    uint64_t retrans;     /* segments carrying only bytes seen before */
    uint64_t gaps, gap_bytes;
    uint64_t overlaps;    /* segments overlapping held bytes (same or not) */
    uint64_t conflicts;   /* ... whose bytes differed */
    uint64_t limit_cuts;  /* gaps declared by a memory limit */
    bool syn, fin, rst, mid; /* mid: no SYN seen (picked up mid-stream) */
};

/* Shared accounting of several streams (the analyzer's whole table).
 * With spare_max set it also recycles: up to spare_max freed stream
 * records and up to spare_max buffers of at most PC_STREAM_SPARE_BUF bytes
 * that ended directions gave back are kept for the next streams (a table
 * of many short connections otherwise pays malloc and free for each), and
 * pc_stream_pool_release frees them.  Zero (the default) keeps none. */
#define PC_STREAM_SPARE_BUF 4096
struct pc_stream_pool {
    uint64_t held;        /* bytes held by all its streams */
    uint64_t limit;       /* reasm_total */
    uint64_t peak;
    unsigned spare_max;
    unsigned nspare_streams, nspare_bufs;
    struct pc_stream *spare_streams;
    struct pc_spare_buf *spare_bufs;
};
/* Free what the pool keeps for reuse (its streams must be freed first or
 * later: they do not depend on it). */
void pc_stream_pool_release(struct pc_stream_pool *pool);

struct pc_stream;
/* flow_limit: reasm_flow (per direction); pool may be NULL. */
struct pc_stream *pc_stream_new(int policy, uint64_t flow_limit, struct pc_stream_pool *pool,
                                const struct pc_stream_sink *sink, void *ctx);
void pc_stream_free(struct pc_stream *s);

/* One TCP segment of direction dir: its header fields and payload.  flags
 * are the TCP flag bits (PC_TCP_SYN...); ack and win are those of the
 * segment (acknowledging the other direction). */
void pc_stream_segment(struct pc_stream *s, int dir, uint32_t seq, uint32_t ack, uint8_t flags, uint16_t win,
                       const uint8_t *p, uint32_t n, pc_time_ns ts);
/* No more segments will come: deliver what is held (holes as gaps) and
 * end both directions. */
void pc_stream_finish(struct pc_stream *s, pc_time_ns ts);
const struct pc_stream_stats *pc_stream_stats(const struct pc_stream *s, int dir);
/* Bytes held now (both directions). */
uint64_t pc_stream_held(const struct pc_stream *s);
/* Both directions ended (FIN both ways or RST). */
bool pc_stream_closed(const struct pc_stream *s);
/* Where direction dir stands: the sequence number of its byte -1 (the
 * SYN's) and of its next expected byte; false when it has not started
 * (then both are 0).  What a closed stream's late segments are judged by
 * (a retransmission, or a keep-alive: one byte or none just before next). */
bool pc_stream_seqs(const struct pc_stream *s, int dir, uint32_t *isn, uint32_t *next);

#endif

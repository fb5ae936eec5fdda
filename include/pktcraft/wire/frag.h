/* IP fragmentation of finished frames (IPv4, RFC 791; IPv6, RFC 8200 4.5),
 * including the irregular sets that test reassemblers: any order, a tiny
 * first fragment, extra overlapping or duplicate fragments.
 *
 * The input is a FINALIZED frame (pc_pkt_finalize's output, or any frame
 * read from a capture): its L4 checksum already covers the whole datagram
 * and is left alone, as a sender's stack would (design notes, pitfall 3).
 * Each fragment is the link header copied verbatim, then:
 *   IPv4: the header with total length, MF, offset and header checksum
 *         recomputed; the fragment holding offset 0 keeps every option,
 *         the others only options whose copy flag is set (EOL-padded);
 *         ID, DF and RF are kept.  A datagram that is itself a fragment is
 *         fragmented further (offsets add up, the last piece keeps its MF).
 *   IPv6: the unfragmentable part (the fixed header, Hop-by-Hop, and the
 *         extension headers up to and including the last Routing header,
 *         so Destination Options before a Routing header too), then a
 *         Fragment header with the caller's identification, then the
 *         piece.  Payload length recomputed, the Next Header that pointed
 *         at the first fragmentable header now says 44.
 * No allocation: each fragment is assembled in caller memory (opts.buf)
 * and handed to a callback; no Ethernet minimum-size padding is added. */
#ifndef PKTCRAFT_FRAG_H
#define PKTCRAFT_FRAG_H

#include "../core/common.h"

enum pc_frag_order {
    PC_FRAG_IN_ORDER = 0,
    PC_FRAG_REVERSED,
    PC_FRAG_SHUFFLED,  /* a permutation drawn from opts.seed (same seed, same order) */
};

/* A fragment sent besides the regular split: a duplicate of a range
 * (data NULL) or the same range with other bytes (an overlap with
 * conflicting content, as evasion fixtures need).  Its MF flag is set
 * unless it reaches the end of the datagram. */
struct pc_frag_extra {
    uint32_t off;          /* fragmentable-part offset in bytes, a multiple of 8 */
    uint32_t len;          /* > 0, a multiple of 8 unless off + len is the end;
                            * off + len may not pass the end */
    const uint8_t *data;   /* len bytes sent instead of the datagram's own, or NULL */
    uint32_t at;           /* sent just before the regular fragment at this
                            * position of the emitted sequence (0: first of
                            * all); at >= the regular count: after them all */
};

struct pc_frag_opts {
    uint32_t size;         /* fragmentable bytes per fragment: a multiple of 8
                            * whenever more than one fragment results */
    uint32_t first;        /* nonzero: the first fragment carries only this many
                            * bytes (a multiple of 8 below the total), e.g. 8 to
                            * split a TCP header; the rest is cut by size */
    uint8_t order;         /* enum pc_frag_order, applied to the regular fragments */
    uint64_t seed;         /* for PC_FRAG_SHUFFLED */
    uint32_t ident;        /* IPv6 Fragment header identification (IPv4 keeps the
                            * datagram's ID) */
    const struct pc_frag_extra *extra;
    size_t nextra;
    uint8_t *buf;          /* scratch for one fragment: link header + IP header
                            * (IPv4 up to 60, IPv6 its unfragmentable part + 8)
                            * + the largest piece; PC_ENOSPC when too small */
    size_t cap;
};

/* Receives each fragment in turn (valid during the call only).  Return 0 to
 * go on; any other value stops pc_fragment, which returns it (use negative
 * PC_E* codes so that it cannot be taken for a count). */
typedef int (*pc_frag_cb)(void *ctx, const uint8_t *frag, size_t len);

/* Most regular fragments a datagram can give (8-byte pieces of 65535). */
#define PC_FRAG_MAX 8192

/* Fragment the first IP datagram of frame (len bytes, LINKTYPE_* linktype;
 * bytes after the datagram, such as Ethernet padding, are dropped).
 * Returns the number of fragments delivered (regular and extra), or:
 * PC_EINVAL for bad options (size 0 or not a multiple of 8, first not
 * below the total, an extra out of range), no IP datagram in the frame, or
 * an IPv6 datagram that already has a Fragment header; PC_EMALFORMED /
 * PC_ETRUNC when the IP header or its options or extension headers are
 * inconsistent or cut; PC_ENOSPC when buf is too small; PC_ELIMIT when an
 * IPv6 fragment would exceed 65535 bytes of payload.  cb may be NULL to
 * validate and count only (buf is then not used). */
int pc_fragment(const uint8_t *frame, size_t len, int linktype, const struct pc_frag_opts *o, pc_frag_cb cb,
                void *ctx);

/* ---- an explicit fragment list --------------------------------------------
 * For fixtures that need fragments no regular split gives: any offsets and
 * lengths in any order, overlaps with other content, a fragment past the
 * datagram's end, an MF flag that lies.  Each piece is one fragment, built
 * as pc_fragment builds its fragments (same headers, same option copying),
 * and emitted in the order of the list. */
enum pc_frag_mf {
    PC_FRAG_MF_AUTO = 0,   /* set unless the piece reaches the datagram's end
                            * (IPv4: a datagram that is itself a non-last
                            * fragment keeps MF there too) */
    PC_FRAG_MF_CLEAR,      /* MF 0, wherever the piece lies */
    PC_FRAG_MF_SET,        /* MF 1, wherever the piece lies */
};

struct pc_frag_piece {
    uint32_t off;          /* fragmentable-part offset in bytes, a multiple of 8 */
    uint32_t len;          /* > 0; any length, wherever the piece lies */
    uint8_t mf;            /* enum pc_frag_mf */
    const uint8_t *data;   /* len bytes sent instead of the datagram's own, or
                            * NULL; required when off + len passes the end */
};

struct pc_frag_list {
    const struct pc_frag_piece *pieces;
    size_t n;              /* > 0 */
    uint32_t ident;        /* IPv6 Fragment header identification */
    uint8_t *buf;          /* scratch for one fragment, as in pc_frag_opts */
    size_t cap;
};

/* Emit the pieces of l for the first IP datagram of frame, in list order.
 * Returns the number of fragments delivered, or the errors of pc_fragment;
 * PC_EINVAL also for a piece with an offset not a multiple of 8, length 0,
 * an offset past what the 13-bit field holds, no data where it passes the
 * datagram's end, or an mf outside enum pc_frag_mf; PC_ELIMIT for a piece
 * too long for the IP length field.  No fragment is delivered unless the
 * whole list is valid. */
int pc_fragment_list(const uint8_t *frame, size_t len, int linktype, const struct pc_frag_list *l, pc_frag_cb cb,
                     void *ctx);

/* Bytes of the fragmentable part of the first IP datagram of frame: what
 * pc_frag_piece offsets count in (IPv4: the payload after the header and its
 * options; IPv6: what follows the unfragmentable part).  Returns it, or the
 * errors of pc_fragment for a datagram it cannot cut. */
int pc_frag_datagram_len(const uint8_t *frame, size_t len, int linktype);

#endif

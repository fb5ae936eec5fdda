/* IP defragmentation (IPv4, RFC 791; IPv6, RFC 8200 4.5) for analysis:
 * fragments are offered as decoded packets in capture order; when one
 * completes a datagram, the whole datagram comes back as a frame (the link
 * header of the fragment at offset 0, then the datagram with its IP header
 * made whole) with that fragment's link type, ready for pc_decode, as
 * tshark shows a reassembled datagram on the fragment that completes it.
 *
 * Overlaps follow a policy: the first bytes received win (the default, as
 * Linux and BSD stacks keep queued data) or the last ones do; overlapping
 * bytes that differ are reported as a conflict either way.  An IPv6
 * datagram whose fragments overlap is dropped by default, as RFC 5722
 * requires of receivers (set ipv6_overlap_keep to reassemble it by the
 * policy instead).  An IPv6 atomic fragment (offset 0, M clear, RFC 6946)
 * is a whole datagram.
 *
 * Nothing is dropped silently: every datagram that cannot be reassembled
 * (timed out, evicted by the memory limit, too large, inconsistent, still
 * incomplete at the end) is reported through the callback with its
 * addresses, identification and the packet numbers it spans.
 *
 * Memory: the fragments held are copies, at most `mem` bytes in all (with
 * a per-fragment allowance) and `datagrams` pending datagrams; when a new
 * fragment does not fit, the oldest pending datagrams are given up
 * (reported) until it does.  Time is capture time: a datagram whose first
 * fragment is older than `timeout_ns` when another packet arrives is given
 * up. */
#ifndef PKTCRAFT_DEFRAG_H
#define PKTCRAFT_DEFRAG_H

#include <stdbool.h>
#include "../core/common.h"

struct pc_decoded;

enum pc_overlap_policy { PC_OVERLAP_FIRST = 0, PC_OVERLAP_LAST = 1 };
const char *pc_overlap_policy_name(int policy);

struct pc_defrag_opts {
    int policy;              /* enum pc_overlap_policy */
    bool ipv6_overlap_keep;  /* reassemble overlapping IPv6 fragments (default: drop, RFC 5722) */
    int64_t timeout_ns;      /* 0: 30 s (Linux's ipfrag_time) */
    uint64_t mem;            /* 0: 64 MiB */
    uint32_t datagrams;      /* pending datagrams at most; 0: 65536 */
};

/* What a report is about. */
enum pc_defrag_what {
    PC_DF_OVERLAP = 1,   /* fragments overlap with the same bytes (a note) */
    PC_DF_CONFLICT,      /* overlapping bytes differ: off/len say where, the policy decided */
    PC_DF_V6_OVERLAP,    /* IPv6 fragments overlap: the datagram is dropped (RFC 5722) */
    PC_DF_TIMEOUT,       /* not complete within the timeout: given up */
    PC_DF_EVICTED,       /* given up to make room (memory or datagram limit) */
    PC_DF_TOO_BIG,       /* the datagram would pass 65535 bytes: given up */
    PC_DF_INCONSISTENT,  /* two last fragments disagree on the end, or data past the end: given up */
    PC_DF_INCOMPLETE,    /* still incomplete when the capture ended */
    PC_DF_CUT,           /* a fragment cut by the capture (caplen): it cannot be used */
};
const char *pc_defrag_what_name(int what);

struct pc_defrag_report {
    int what;                /* enum pc_defrag_what */
    uint8_t version;         /* 4 or 6 */
    uint8_t src[16], dst[16];
    uint32_t ident;          /* IPv4 ID or IPv6 identification */
    uint8_t proto;           /* IPv4 protocol, IPv6 next header of the fragmentable part */
    uint64_t first_pkt, last_pkt; /* packet numbers of the first and last fragment seen */
    uint32_t nfrags;         /* fragments seen (the one that made it give up included) */
    uint32_t have;           /* distinct payload bytes held */
    int64_t total;           /* payload length when the last fragment was seen, else -1 */
    uint32_t off, len;       /* OVERLAP/CONFLICT: the overlapping range (payload offsets) */
    uint64_t id;             /* the datagram's serial number (pc_defrag_out.id); 0 for CUT */
};
typedef void (*pc_defrag_report_cb)(void *ctx, const struct pc_defrag_report *r);

/* A report as one line of text (no newline), for messages:
 *   "IPv4 10.0.0.1 > 10.0.0.2 id 0x1a2b proto 17, packets 3-5 (2 fragments):
 *    not reassembled (timeout), 2960 of 4000 bytes"
 * Plain overlaps and conflicts say "overlap"/"conflicting overlap at
 * bytes OFF-END". */
struct pc_fmt;
void pc_defrag_describe(const struct pc_defrag_report *r, struct pc_fmt *f);
/* Whether a report means the datagram was given up (not a note). */
bool pc_defrag_given_up(const struct pc_defrag_report *r);

struct pc_defrag_stats {
    uint64_t fragments, datagrams, given_up, overlaps, conflicts;
    uint64_t mem_peak;
};

struct pc_defrag;
/* o may be NULL (defaults); cb may be NULL. */
struct pc_defrag *pc_defrag_new(const struct pc_defrag_opts *o, pc_defrag_report_cb cb, void *ctx);
void pc_defrag_free(struct pc_defrag *df);

/* A reassembled datagram: valid until the next call. */
struct pc_defrag_out {
    const uint8_t *frame;
    uint32_t len;
    int linktype;            /* of the fragment whose link header it carries */
    /* Set for results 1 and 2: the serial number of the datagram the
     * fragment went to (1, 2, ... in the order datagrams were first seen;
     * 0 for a fragment the capture cut), the same as in its reports, so a
     * caller can tell which fragments a completion or a report is about. */
    uint64_t id;
    uint32_t nfrags;         /* result 2: fragments the datagram was made of */
    uint64_t first_pkt;      /* result 2: packet number of its first fragment */
};

/* Offer a decoded packet (pktno: its number, for reports; ts: its time).
 *   0  not a fragment: use the packet as it is;
 *   1  a fragment, held (or given up and reported): nothing to decode yet
 *      (out->id says which datagram);
 *   2  the fragment completed a datagram: *out has the whole frame;
 *   PC_ENOMEM.
 * The datagram's IP header is the first fragment's with lengths, flags,
 * offset and (IPv4) checksum made those of a whole datagram; for IPv6 the
 * Fragment header is removed and the Next Header before it takes its value. */
int pc_defrag_packet(struct pc_defrag *df, const struct pc_decoded *d, uint64_t pktno, pc_time_ns ts,
                     struct pc_defrag_out *out);
/* Report every datagram still pending as PC_DF_INCOMPLETE and drop them. */
void pc_defrag_finish(struct pc_defrag *df);
const struct pc_defrag_stats *pc_defrag_stats(const struct pc_defrag *df);

#endif

/* read --defrag: the defragmenter (pktcraft/analysis/defrag.h) fed with
 * every packet read, and the output held back while a printed fragment
 * waits for its datagram, so that its line can say which packet
 * reassembled it (tshark's "Reassembled in #N") without a second pass.
 *
 * Nothing is held while no printed fragment is pending: packets go
 * straight to the printer.  From the first pending fragment on, the
 * printed packets are copied, in order, into one buffer of at most
 * defrag-mem bytes (grown when needed, never allocated per packet), and
 * printed as soon as the fragment at its head is resolved: reassembled,
 * or given up (timeout, eviction, end of the capture...).  When the
 * buffer is full the oldest are printed with their fragment "pending"
 * (the datagram's fate unknown yet); that is counted and said on stderr. */
#ifndef PKTCRAFT_READ_HOLD_H
#define PKTCRAFT_READ_HOLD_H

#include "pktcraft/pktcraft.h"

/* What --defrag says about a packet. */
enum rd_state {
    RD_NONE = 0, /* not a fragment */
    RD_HELD,     /* a fragment of a datagram another packet completed (in) */
    RD_DONE,     /* the fragment that completed a datagram: frame has it whole */
    RD_FAILED,   /* a fragment of a datagram given up (what) */
    RD_WAIT,     /* printed before its datagram was resolved (output buffer full) */
    RD_PENDING,  /* (internal) waiting */
};

#define RD_NOTES 4 /* overlap reports kept for one packet (more are counted) */

struct rd_note {
    int what; /* PC_DF_OVERLAP or PC_DF_CONFLICT */
    uint32_t off, len;
};

struct rd_pkt {
    uint64_t n;                /* packet number in the file */
    struct pc_pkthdr h;
    const uint8_t *data;       /* h.caplen bytes */
    int state;                 /* enum rd_state */
    int what;                  /* RD_FAILED: enum pc_defrag_what */
    uint64_t id;               /* the datagram (defrag serial number) */
    uint64_t in;               /* RD_HELD: the packet that completed it */
    const uint8_t *frame;      /* RD_DONE: the reassembled frame */
    uint32_t frame_len;
    int frame_linktype;
    uint32_t nfrags;           /* RD_DONE: fragments it was made of */
    uint64_t first_pkt;        /* RD_DONE: packet number of its first fragment */
    uint32_t nnotes;           /* overlaps this fragment made (the first RD_NOTES in notes) */
    struct rd_note notes[RD_NOTES];
};

/* Print one packet.  d: its decode when the caller has it, else NULL. */
typedef void (*rd_emit_fn)(void *ctx, const struct rd_pkt *p, const struct pc_decoded *d);

struct rd;
/* lim: defrag-mem and defrag-datagrams; policy: enum pc_overlap_policy;
 * path: for messages.  Exits (runtime error) when out of memory. */
struct rd *rd_new(const struct pc_limits *lim, int policy, const char *path, rd_emit_fn emit, void *ctx);
/* Every packet read, in order, decoded as d; print: it passed the filter
 * and is to be printed (every packet feeds the defragmenter). */
void rd_packet(struct rd *r, uint64_t n, const struct pc_pkthdr *h, const uint8_t *data, const struct pc_decoded *d,
               bool print);
/* Are printed fragments waiting for their datagram? */
bool rd_waiting(const struct rd *r);
/* The end of reading: pending datagrams are given up as incomplete, every
 * held packet printed, and what was never reassembled said on stderr. */
void rd_finish(struct rd *r);
void rd_free(struct rd *r);

#endif

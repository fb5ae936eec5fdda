/* Conversations: what two endpoints say to each other (a script of
 * writes), over TCP or UDP, through a simulated network (round-trip time,
 * link rate, faults), as a capture point next to the client sees it.
 *
 * pc_conv_run() runs a small, real TCP on both ends: the three-way
 * handshake with negotiated MSS, window scale, SACK-permitted and
 * timestamps; data cut at the effective MSS and held to the peer's
 * advertised window and a congestion window (10 segments at first, slow
 * start, halved on loss); cumulative ACKs (immediate, or every second
 * segment with a 40 ms delayed-ACK timer); duplicate ACKs with SACK blocks
 * for out-of-order data; fast retransmit after three duplicate ACKs and a
 * retransmission timeout otherwise; zero-window probes; teardown by FIN in
 * either order, half-close or RST.  UDP exchanges alternate datagrams; the
 * side waiting for an answer sends its datagram again after a timeout.
 *
 * Each step of the script is written by its side as soon as that side has
 * received every byte of the steps before it (a request, then its
 * response), so timing and ACKs follow from the script alone.
 *
 * The capture point sits next to the client: client packets are stamped
 * when they leave, server packets when they arrive.  A dropped packet is
 * lost between the hosts: a client packet was captured on its way out, a
 * server packet never appears.
 *
 * Faults name packets by their number (1-based) in the capture the same
 * conversation gives without faults.  A fault is tied to "the k-th packet
 * its sender sends", so when an earlier fault changes what follows, it
 * lands on the same sender's k-th packet of the faulted run.  The result
 * records, for every fault, the packet numbers of the capture it touched.
 *
 * The engine works on its own memory (no per-packet allocation beyond the
 * growing packet array); frames are built by the caller through the
 * builder (pc_conv_push_l4), so every field can still be pinned or
 * corrupted. */
#ifndef PKTCRAFT_TRAFFIC_CONV_H
#define PKTCRAFT_TRAFFIC_CONV_H

#include <stdbool.h>

#include "../core/build.h"
#include "../core/common.h"

#define PC_CONV_CLIENT 0   /* direction: client to server */
#define PC_CONV_SERVER 1   /* direction: server to client */

/* Limits, checked by pc_conv_run (PC_ELIMIT with a message). */
#define PC_CONV_MAX_STEPS 4096
#define PC_CONV_MAX_BYTES (UINT64_C(256) << 20)  /* all steps together */
#define PC_CONV_MAX_PKTS 4000000
#define PC_CONV_MAX_FAULTS 64

enum pc_conv_close {
    PC_CLOSE_CLIENT_FIN = 0, /* client FIN after the last step, server FIN in reply */
    PC_CLOSE_SERVER_FIN,     /* server FIN after its last step, client FIN in reply */
    PC_CLOSE_HALF,           /* client FIN right after its last write (shutdown),
                              * the server answers, then sends its own FIN */
    PC_CLOSE_RST,            /* client aborts with RST after the last step */
    PC_CLOSE_SERVER_RST,     /* server aborts with RST after the last step */
    PC_CLOSE_NONE,           /* no teardown */
};

enum pc_conv_fault_kind {
    PC_FAULT_DROP = 1,   /* lost between the hosts (captured if the client sent it);
                          * the sender retransmits */
    PC_FAULT_DUP,        /* the network delivers it twice */
    PC_FAULT_REORDER,    /* pkt[0] is held back until just after pkt[1] (or one RTT,
                          * at least 1 ms, when pkt[1] is never sent) */
    PC_FAULT_DELAY,      /* held back arg nanoseconds (default: one RTT) */
    PC_FAULT_CORRUPT,    /* a wrong L4 checksum (arg 1: the IPv4 header checksum);
                          * the receiver discards it, the sender retransmits */
    PC_FAULT_TRUNCATE,   /* captured with only arg bytes (default 64): snaplen */
    PC_FAULT_OVERLAP,    /* a data segment, then another covering its second half
                          * and beyond with different bytes (the receiver keeps
                          * the first: the delivered stream does not change) */
    PC_FAULT_FRAG,       /* IP-fragmented into arg-byte pieces (default 8-aligned
                          * quarter); arg2: 0 in order, 1 reversed, 2 shuffled,
                          * 3 in order with an overlapping fragment of other bytes */
    PC_FAULT_ZEROWIN,    /* the packet's sender stops reading for arg ns (default
                          * 200 ms): it advertises a zero window from this packet
                          * on, the peer probes, then a window update reopens it */
    PC_FAULT_MIDSTREAM,  /* the capture starts at this packet (no handshake seen) */
    PC_FAULT__COUNT
};
const char *pc_conv_fault_name(int kind);
int pc_conv_fault_kind(const char *name); /* 0 when unknown */

struct pc_conv_fault {
    uint8_t kind;        /* enum pc_conv_fault_kind */
    uint32_t pkt[2];     /* packet numbers (1-based); pkt[1] for REORDER only */
    int64_t arg;         /* see the kinds; 0: the default */
    uint32_t arg2;
};

/* One write of the script. */
struct pc_conv_step {
    uint8_t dir;             /* PC_CONV_CLIENT or PC_CONV_SERVER */
    const uint8_t *data;     /* copied by pc_conv_run */
    size_t len;              /* UDP: one datagram (0 allowed); TCP: > 0 */
    /* UDP only: a step may come from or go to other addresses than the two
     * endpoints (DHCP's 0.0.0.0 and broadcast); the caller reads them back
     * from the packet (pc_conv_pkt.step) when building its IP header. */
    uint32_t tag;            /* free for the caller; copied to its packets */
};

struct pc_conv_opts {
    uint8_t l4;              /* 6 (TCP) or 17 (UDP) */
    uint16_t sport, dport;
    uint32_t mtu;            /* IP MTU of both ends (default 1500) */
    uint32_t net_overhead;   /* IP (+ extension/tunnel) header bytes per packet,
                              * counted against the MTU (default 20) */
    uint32_t link_overhead;  /* link-layer bytes per frame, for serialization
                              * time only (default 14) */
    uint32_t mss[2];         /* MSS each side advertises (0: mtu - overhead - 20) */
    int8_t wscale[2];        /* window scale each side offers; -1: none (default 7) */
    bool no_wscale, no_sack, no_ts;  /* leave those options out of the handshake */
    uint32_t rcvbuf[2];      /* receive buffer of each side (default 65535 << 2) */
    bool delack;             /* delayed ACKs: every second segment or 40 ms */
    int64_t rtt;             /* round-trip time, ns (default 10 ms) */
    uint64_t rate;           /* link rate, bit/s (default 100 Mbit/s); serialization */
    int64_t think;           /* time an endpoint takes before each write (default 0) */
    pc_time_ns start;        /* the first packet's timestamp */
    int close;               /* enum pc_conv_close (TCP) */
    uint64_t seed;           /* initial sequence numbers, timestamp clocks, IP ids */
    bool isn_given[2];
    uint32_t isn[2];
    int64_t udp_timeout;     /* UDP: resend after this long without an answer (1 s) */
    uint32_t udp_tries;      /* UDP: sends of one datagram at most (default 3) */
    const struct pc_conv_fault *faults;
    size_t nfaults;
};
void pc_conv_opts_default(struct pc_conv_opts *o);

/* Why a packet is there, beyond the script (bits of pc_conv_pkt.why). */
enum {
    PC_CW_RETRANS = 1u << 0,  /* a retransmission (timeout or fast) */
    PC_CW_FAST = 1u << 1,     /* ... after three duplicate ACKs */
    PC_CW_DUPACK = 1u << 2,   /* a duplicate ACK */
    PC_CW_PROBE = 1u << 3,    /* zero-window probe */
    PC_CW_WINUPD = 1u << 4,   /* window update */
    PC_CW_OVERLAP = 1u << 5,  /* the overlapping segment of an overlap fault */
    PC_CW_DUPLICATE = 1u << 6 /* the second copy of a duplicated packet */
};

/* One captured packet.  Frames come from it with pc_conv_push_l4 after the
 * caller's link and IP layers (dir says which way the addresses go). */
struct pc_conv_pkt {
    pc_time_ns ts;
    uint32_t frame;          /* its first frame's number in the capture (1-based) */
    uint32_t nframes;        /* frames it becomes: more than 1 when IP-fragmented */
    uint8_t dir;
    uint32_t step;           /* UDP: index of the script step; TCP: unused */
    uint32_t tag;            /* UDP: that step's tag */
    uint16_t ip_id;          /* the sender's IPv4 identification */
    /* TCP */
    uint32_t seq, ack;
    uint16_t flags, win;
    uint8_t nopts;
    struct pc_tcpopt opts[8];
    /* payload: the sender's bytes (or an overlap's own) */
    const uint8_t *data;
    uint32_t len;
    uint32_t why;            /* PC_CW_* */
    /* what faults ask of the frame builder */
    uint32_t faults;         /* bit (1 << kind) per fault that touched it */
    bool bad_l4csum, bad_ipcsum;
    uint32_t snaplen;        /* 0: whole frame */
    uint32_t frag_size;      /* 0: not fragmented */
    uint8_t frag_order;      /* as PC_FAULT_FRAG's arg2 */
};

/* What a fault did: the packet numbers (1-based) of the result it touched.
 * For a drop, the dropped packet has no number: pkts lists the
 * retransmission(s) that replaced it. */
struct pc_conv_fault_result {
    struct pc_conv_fault f;
    bool applied;            /* false: its packet did not occur */
    uint32_t npkts;
    uint32_t pkts[8];
    char note[96];           /* e.g. "retransmitted after 210 ms (timeout)" */
};

struct pc_conv {
    struct pc_conv_pkt *pkts;
    size_t npkts;
    /* the bytes each side's application received, in order */
    const uint8_t *delivered[2];
    uint64_t ndelivered[2];
    /* the bytes each side wrote (the script, concatenated) */
    const uint8_t *sent[2];
    uint64_t nsent[2];
    uint32_t isn[2];
    bool handshake_seen;     /* false after a midstream fault */
    struct pc_conv_fault_result *faults;
    size_t nfaults;
    void *priv;
};

/* Run the conversation.  NULL on error with err set (PC_EINVAL for bad
 * options, PC_ELIMIT for a limit, PC_ENOMEM). */
struct pc_conv *pc_conv_run(const struct pc_conv_opts *o, const struct pc_conv_step *steps, size_t nsteps,
                            struct pc_err *err);
void pc_conv_free(struct pc_conv *c);

/* Push packet i's TCP or UDP header and payload after the caller's IP
 * layers, ports taken from the options (swapped for PC_CONV_SERVER).  The
 * spec is first handed to adjust (if not NULL) so the caller can pin or
 * corrupt fields; faults' checksum corruption is applied after it. */
typedef void (*pc_conv_adjust)(void *ctx, size_t i, int proto, void *spec);
int pc_conv_push_l4(const struct pc_conv *c, size_t i, struct pc_pkt *pk, pc_conv_adjust adjust, void *ctx);

#endif

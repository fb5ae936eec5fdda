/* Internals of the conversation engine (lib/traffic/conv.c drives the
 * simulation and the network, lib/traffic/tcpsim.c is the TCP of each
 * end, lib/traffic/udpsim.c the datagram exchange). */
#ifndef PKTCRAFT_TRAFFIC_CONV_INT_H
#define PKTCRAFT_TRAFFIC_CONV_INT_H

#include "pktcraft/core/rand.h"
#include "pktcraft/traffic/conv.h"

#define CV_MS INT64_C(1000000)
#define CV_MAX_OOO 32           /* out-of-order ranges a receiver keeps */
#define CV_MAX_RETRIES 8        /* timeouts in a row before a sender gives up */

enum cv_ev { EV_TAP, EV_ARRIVE, EV_RTO, EV_DELACK, EV_PERSIST, EV_APP, EV_STALL_END, EV_UDP_TIMEOUT, EV_HOLD_END };

struct cv_event {
    pc_time_ns t;
    uint64_t order;              /* ties: first scheduled, first run */
    uint8_t type, side, copy;
    uint32_t idx;                /* packet (pool index) or step */
    uint32_t gen;                /* timers: stale when it differs from the side's */
};

/* One packet on the wire. */
struct cv_pkt {
    struct pc_conv_pkt p;
    uint8_t side;
    uint32_t k;                  /* its sender's k-th packet */
    uint64_t off;                /* TCP: sequence-space offset from the ISN (SYN is 0) */
    uint64_t ackoff;             /* TCP: the acknowledged offset in the peer's space */
    uint64_t wnd;                /* TCP: advertised window in bytes */
    uint32_t tsval;
    bool has_ts;
    bool lost;                   /* never reaches the receiver */
    uint64_t fmask;              /* faults (by index) that touched it */
};

struct cv_iv { uint64_t a, b; };

/* One end.  TCP offsets count from the ISN: the SYN is 0, data byte d is
 * 1 + d, the FIN follows the last byte. */
struct cv_side {
    /* sending */
    uint32_t iss;
    uint64_t written;            /* bytes the application has written */
    uint64_t una, nxt, max;
    uint64_t wnd;                /* the peer's window, bytes */
    uint64_t cwnd, ssthresh, recover;
    uint32_t dupacks;
    bool recovery;
    uint32_t mss;                /* effective: what a segment carries */
    uint32_t peer_mss;
    bool syn_sent, established, fin_queued, fin_sent, fin_acked, closed;
    uint64_t fin_off;
    /* negotiated options */
    bool ts_ok, sack_ok, ws_ok;
    uint8_t snd_shift, rcv_shift;
    uint32_t ts_base, ts_recent;
    /* receiving */
    uint64_t rnxt;               /* next offset expected in the peer's space */
    struct cv_iv ooo[CV_MAX_OOO];
    uint32_t nooo;
    uint64_t rdata;              /* in-order data bytes received (delivered) */
    bool peer_fin;
    uint64_t peer_fin_off;       /* a FIN seen past a hole (0: none) */
    uint32_t unacked;
    bool ack_pending, ack_now;
    bool acks_sent;
    uint64_t last_ack;           /* the last acknowledgment sent (duplicate ACKs) */
    bool stalled;                /* zero-window fault: the application is not reading */
    /* timers */
    uint32_t rto_gen, delack_gen, persist_gen, app_gen, udp_gen;
    bool rto_armed, delack_armed, persist_armed, thinking, think_done;
    int64_t rto, srtt, rttvar, persist;
    uint32_t retries;
    bool timing;
    uint64_t timed_end;
    pc_time_ns timed_at;
    /* network */
    uint16_t ipid;
    uint32_t k;                  /* packets sent */
    pc_time_ns link_free;
};

struct cv_step {
    uint8_t dir;
    uint64_t off, len;           /* in its side's buffer */
    uint64_t need;               /* bytes of the other side's steps before it */
    uint32_t tag;
};

/* A fault bound to the packet its sender sends k-th. */
struct cv_fbind {
    uint8_t side;
    uint32_t k;
    uint32_t fi;                 /* index into the fault list */
    uint32_t role;               /* REORDER: 0 the held packet, 1 the one it waits for */
};

struct cv_sim {
    struct pc_conv_opts o;
    struct pc_err *err;
    struct pc_rng rng;
    int pass;                    /* 1: without faults, 2: with */
    pc_time_ns now;
    uint64_t order;
    /* script */
    struct cv_step *steps;
    size_t nsteps, next;
    uint8_t *sbuf[2];
    uint64_t slen[2];
    uint8_t *rbuf[2];            /* what side i received, at the sender's offsets */
    uint64_t rlen[2];
    size_t last_client_step;     /* index + 1 of the client's last step (0: none) */
    struct cv_side s[2];
    /* UDP */
    bool *got;                   /* step delivered at least once */
    uint32_t *tries;
    /* events */
    struct cv_event *heap;
    size_t nheap, capheap;
    /* packets */
    struct cv_pkt *pool;
    size_t npool, cappool;
    struct pc_conv_pkt *out;
    uint32_t *outpool;           /* pool index of each output packet */
    size_t nout, capout;
    /* faults */
    const struct pc_conv_fault *faults;
    size_t nfaults;
    struct cv_fbind binds[2 * PC_CONV_MAX_FAULTS];
    size_t nbinds;
    uint32_t held[PC_CONV_MAX_FAULTS]; /* REORDER: pool index + 1 of the held packet */
    pc_time_ns held_tap[PC_CONV_MAX_FAULTS], held_arr[PC_CONV_MAX_FAULTS]; /* when it would have come */
    uint8_t *overlap_bytes[PC_CONV_MAX_FAULTS];
    int failed;                  /* first error (PC_E*) */
};

/* conv.c: the network and the event queue, used by both transports. */
void cv_schedule(struct cv_sim *s, pc_time_ns t, uint8_t type, uint8_t side, uint32_t idx, uint32_t gen);
/* A new packet from side (its k counted, faults looked up); NULL on failure. */
struct cv_pkt *cv_new_pkt(struct cv_sim *s, int side);
/* Put a filled packet on the wire: serialization, capture point, faults. */
void cv_transmit(struct cv_sim *s, struct cv_pkt *c);
/* The fault of kind bound to (side, k), or NULL. */
const struct pc_conv_fault *cv_fault_at(const struct cv_sim *s, int side, uint32_t k, int kind);
bool cv_think(struct cv_sim *s, int x);
void cv_fail(struct cv_sim *s, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* tcpsim.c */
void cv_tcp_start(struct cv_sim *s);
void cv_tcp_event(struct cv_sim *s, const struct cv_event *e);
/* Called by cv_new_pkt before the header is filled (zero-window fault). */
void cv_tcp_stall(struct cv_sim *s, int side, int64_t dur);

/* udpsim.c */
void cv_udp_start(struct cv_sim *s);
void cv_udp_event(struct cv_sim *s, const struct cv_event *e);

#endif

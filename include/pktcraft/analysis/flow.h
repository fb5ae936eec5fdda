/* Flows: TCP connections and UDP conversations by 5-tuple, as the
 * analyzer (analyzer.h) reports them when they end.
 *
 * Client and server are decided by the SYN (its sender is the client; a
 * SYN-ACK's receiver is), else the endpoint with the lower port is the
 * server (equal ports: the first packet's destination).  Direction 0 is
 * client to server.  A flow ends when it closes (both FINs, or a RST, and
 * then a short linger for stragglers), when it has been idle too long
 * (capture time), when the flow table is full and it is the least recently
 * active one, or when the capture ends. */
#ifndef PKTCRAFT_FLOW_H
#define PKTCRAFT_FLOW_H

#include <stdbool.h>
#include "../core/common.h"

/* TCP state seen by the end (UDP flows are PC_FLOW_UDP). */
enum pc_flow_state {
    PC_FLOW_UDP = 0,
    PC_FLOW_SYN_SENT,      /* a SYN, no answer */
    PC_FLOW_SYN_RECEIVED,  /* SYN and SYN-ACK, no final ACK */
    PC_FLOW_ESTABLISHED,   /* handshake done, or data both ways without one */
    PC_FLOW_HALF_CLOSED,   /* one FIN */
    PC_FLOW_CLOSED,        /* both FINs */
    PC_FLOW_RESET,         /* a RST */
};
const char *pc_flow_state_name(int state);

/* Why the flow was reported. */
enum pc_flow_end {
    PC_FLOW_END_CLOSED = 1, /* closed or reset, and the linger passed (or a new connection reused the tuple) */
    PC_FLOW_END_IDLE,       /* idle longer than its timeout */
    PC_FLOW_END_EVICTED,    /* the flow table was full (--limit flows) */
    PC_FLOW_END_CAPTURE,    /* the capture ended */
};
const char *pc_flow_end_name(int why);

struct pc_flow_dir {
    uint64_t packets;
    uint64_t wire_bytes;   /* L4 payload bytes seen, retransmissions included */
    uint64_t bytes;        /* reassembled payload (UDP: the payloads) */
    uint64_t retrans, gaps, gap_bytes, overlaps, conflicts;
    uint64_t limit_cuts;   /* of those gaps, how many a memory limit declared */
};

struct pc_flow {
    uint64_t id;            /* 1, 2, ... in the order flows were first seen */
    uint8_t family;         /* 4 or 6 */
    uint8_t proto;          /* 6 or 17 */
    uint8_t client[16], server[16];
    uint16_t cport, sport;
    bool by_syn;            /* client/server decided by the SYN */
    bool mid;               /* TCP without a SYN seen: picked up mid-stream */
    int state;              /* enum pc_flow_state */
    int end;                /* enum pc_flow_end (set when reported) */
    pc_time_ns first_ts, last_ts;
    uint64_t first_pkt, last_pkt;
    struct pc_flow_dir dir[2]; /* [0] client to server, [1] server to client */
};

/* "10.0.0.1" or "2001:db8::1". */
void pc_flow_addr_str(const struct pc_flow *f, int server, char out[46]);

#endif

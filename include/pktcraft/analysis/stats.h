/* Traffic statistics over a capture, in bounded memory: totals, the
 * protocol hierarchy (packets and bytes for every path of layers, as
 * tshark -z io,phs counts them), the top hosts, conversations and server
 * ports, and packets and bytes per time interval.
 *
 * The top lists count exactly up to stats-keys distinct keys each
 * (core/limits.h); past that they keep the stats-keys heaviest with the
 * Space-Saving algorithm (Metwally et al., 2005): every count is then an
 * upper bound whose error is given, and any key heavier than the error
 * bound is guaranteed to be listed.  pc_stats_top() says which.
 *
 * Server ports are decided as flows decide them (flow.h: a SYN's
 * destination, a SYN-ACK's source, else the lower port) from the packet
 * itself and a fixed table of connections whose SYN named the higher port,
 * so pc_apkt.flow is not needed (pc_analyzer_opts.no_flows) and memory does
 * not grow with the number of flows. */
#ifndef PKTCRAFT_STATS_H
#define PKTCRAFT_STATS_H

#include <stdbool.h>
#include "../core/common.h"

struct pc_apkt;
struct pc_limits;

struct pc_stats_opts {
    const struct pc_limits *lim; /* NULL: the defaults */
    int64_t interval_ns;         /* 0: 1 s */
    uint64_t max_intervals;      /* 0: 1,000,000 (past it pc_stats_packet fails) */
};

struct pc_stats_totals {
    uint64_t packets, bytes, captured;  /* bytes: original lengths; captured: caplens */
    bool have_ts;
    pc_time_ns first, last;             /* earliest and latest timestamps */
    uint64_t out_of_order;              /* packets earlier than the one before */
};

/* One path of the protocol hierarchy, e.g. "eth:ipv4:tcp". */
struct pc_stats_proto {
    const char *path;
    uint32_t depth;                     /* layers in the path */
    uint64_t packets, bytes;
};

struct pc_stats_top {
    char key[100];                      /* "10.0.0.1", "10.0.0.1 <-> 10.0.0.2", "tcp/443" */
    uint64_t packets, bytes;
    uint64_t error;                     /* 0 when exact; else the counts may be this much too high */
};

enum pc_stats_list { PC_STATS_HOSTS, PC_STATS_CONVERSATIONS, PC_STATS_PORTS };

struct pc_stats_bucket {
    pc_time_ns start;
    uint64_t packets, bytes;
};

struct pc_stats;
struct pc_stats *pc_stats_new(const struct pc_stats_opts *o);
void pc_stats_free(struct pc_stats *s);
/* Count one packet as the analyzer saw it.  0, PC_ENOMEM, or PC_ELIMIT
 * when the capture spans more intervals than max_intervals. */
int pc_stats_packet(struct pc_stats *s, const struct pc_apkt *p);

const struct pc_stats_totals *pc_stats_totals(const struct pc_stats *s);
/* The hierarchy, in depth-first order of first appearance; *n paths. */
const struct pc_stats_proto *pc_stats_protos(const struct pc_stats *s, size_t *n);
/* The n heaviest of a list, by bytes (ports: by packets), heaviest first;
 * returns how many were written; *approx says whether counting stopped
 * being exact. */
size_t pc_stats_top(const struct pc_stats *s, int list, size_t n, struct pc_stats_top *out, bool *approx);
/* The intervals from the first packet's to the last one's, empty ones included. */
const struct pc_stats_bucket *pc_stats_intervals(const struct pc_stats *s, size_t *n);
int64_t pc_stats_interval(const struct pc_stats *s);

#endif

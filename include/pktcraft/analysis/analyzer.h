/* The analysis pipeline: packets in capture order go through the decoder,
 * IP defragmentation, the flow table and TCP reassembly, and out come
 * callbacks: every packet as decoded (a completed datagram decoded whole),
 * every flow when it ends, the reassembled bytes of every TCP stream and
 * its gaps, and the reports of fragments that could not be reassembled.
 *
 *     struct pc_analyzer *a = pc_analyzer_new(&opts, &cbs, ctx);
 *     while (pc_reader_next(r, &h, &data) > 0) pc_analyzer_packet(a, &h, data);
 *     pc_analyzer_finish(a);   // every flow still open ends here
 *     pc_analyzer_free(a);
 *
 * or, for a whole file, one call (pc_analyze_file below).
 *
 * Application decoders: setting the http or tls_hello callback runs the
 * HTTP/1.x parser (http.h) or the TLS parser (tls.h) on the reassembled
 * streams of every TCP flow (fed, told of gaps and ends in capture order),
 * and their results come back with the flow they belong to.
 *
 * Memory is bounded by the limits (core/limits.h): flows, reasm-flow,
 * reasm-total, defrag-mem, defrag-datagrams, and the http-* and tls-*
 * limits of the application decoders; nothing grows with the number of
 * packets.  Time is capture time. */
#ifndef PKTCRAFT_ANALYZER_H
#define PKTCRAFT_ANALYZER_H

#include <stdbool.h>
#include "../core/common.h"
#include "defrag.h"
#include "flow.h"
#include "stream.h"

struct pc_pkthdr;
struct pc_decoded;
struct pc_limits;
struct pc_err;
struct pc_http_msg;
struct pc_tls_hello;

/* One packet as the analyzer saw it (valid during the callback). */
struct pc_apkt {
    uint64_t n;                  /* 1-based packet number in the capture */
    const struct pc_pkthdr *h;
    const struct pc_decoded *d;  /* the packet decoded, or the datagram it completed */
    const struct pc_decoded *frame; /* the packet as captured, decoded (d unless reassembled) */
    bool reassembled;            /* d is a whole datagram this fragment completed */
    bool fragment;               /* a fragment held for reassembly (d is the fragment) */
    const struct pc_flow *flow;  /* its TCP/UDP flow, or NULL */
    int dir;                     /* 0 client to server, 1 back (with a flow) */
    uint32_t l4_payload;         /* TCP/UDP payload bytes (with a flow) */
};

struct pc_analyzer_opts {
    const struct pc_limits *lim; /* NULL: the defaults */
    int overlap;                 /* enum pc_overlap_policy, for fragments and streams */
    bool no_defrag;              /* fragments stay fragments */
    bool no_streams;             /* flows and their counters only: no TCP bytes reassembled */
    bool no_flows;               /* decode and defragment only: no flow table (pc_apkt.flow is NULL) */
    int64_t tcp_idle_ns;         /* 0: 300 s */
    int64_t udp_idle_ns;         /* 0: 60 s */
    int64_t linger_ns;           /* after a close or reset; 0: 10 s */
    unsigned decode_flags;       /* PC_DEC_* for pc_decode_flags */
};

struct pc_analyzer_cbs {
    void (*packet)(void *ctx, const struct pc_apkt *p);
    void (*flow_end)(void *ctx, const struct pc_flow *f);
    /* reassembled TCP bytes and gaps, by flow and direction */
    void (*data)(void *ctx, const struct pc_flow *f, int dir, const uint8_t *p, size_t n, uint64_t off, pc_time_ns ts);
    void (*gap)(void *ctx, const struct pc_flow *f, int dir, uint64_t off, uint64_t n, int why);
    void (*stream_end)(void *ctx, const struct pc_flow *f, int dir, pc_time_ns ts);
    void (*conflict)(void *ctx, const struct pc_flow *f, int dir, uint64_t off, uint64_t n);
    /* UDP payloads, by flow and direction */
    void (*datagram)(void *ctx, const struct pc_flow *f, int dir, const uint8_t *p, size_t n, const struct pc_apkt *pk);
    void (*frag)(void *ctx, const struct pc_defrag_report *r);
    /* per-flow state of a consumer: called when a flow starts (return a
     * pointer kept with it, pc_flow_user()) and when it ends */
    void *(*flow_start)(void *ctx, const struct pc_flow *f);
    void (*flow_free)(void *ctx, const struct pc_flow *f, void *user);
    /* Application decoders on every TCP flow (see the top); NULL: not run.
     * http: an exchange as pc_http_cbs.exchange gives it (req or resp may
     * be NULL), delivered before the flow's flow_end.  tls_hello: every
     * ClientHello and ServerHello (h->client tells which; dir 0 is the
     * client's direction).  The pointers live for the callback only. */
    void (*http)(void *ctx, const struct pc_flow *f, const struct pc_http_msg *req, const struct pc_http_msg *resp);
    void (*tls_hello)(void *ctx, const struct pc_flow *f, const struct pc_tls_hello *h, pc_time_ns ts);
};

struct pc_analyzer_stats {
    uint64_t packets, flows, flows_evicted;
    uint64_t fragments, datagrams;
    uint64_t flows_peak;         /* most flows held at once */
    uint64_t reasm_peak;         /* most stream bytes held at once */
    uint64_t apps_nomem;         /* TCP flows left without an application decoder (no memory) */
};

struct pc_analyzer;
struct pc_analyzer *pc_analyzer_new(const struct pc_analyzer_opts *o, const struct pc_analyzer_cbs *cbs, void *ctx);
/* 0, or PC_ENOMEM.  Packets are numbered 1, 2, ... as they come. */
int pc_analyzer_packet(struct pc_analyzer *a, const struct pc_pkthdr *h, const uint8_t *data);
/* The caller left out the capture's next packet (a filter did not match):
 * packet numbers in reports stay those of the capture. */
void pc_analyzer_skip(struct pc_analyzer *a);
/* The same with the packet's number given (its number in the capture when
 * a filter skips some): increasing, it names the packet in pc_apkt, flows
 * and fragment reports; later pc_analyzer_packet calls count on from it. */
int pc_analyzer_packet_num(struct pc_analyzer *a, const struct pc_pkthdr *h, const uint8_t *data, uint64_t n);
/* End every flow (in the order they began) and give up pending fragments. */
void pc_analyzer_finish(struct pc_analyzer *a);
void pc_analyzer_free(struct pc_analyzer *a);
const struct pc_analyzer_stats *pc_analyzer_stats(const struct pc_analyzer *a);
/* A whole capture file through an analyzer: open path ("-" is stdin; any
 * format pc_reader_open reads), feed every packet, finish (every flow
 * still open ends, so the results up to a damaged record are all
 * delivered), free.  o and cbs as for pc_analyzer_new (o->lim also bounds
 * the reader).  Returns 0, or a negative PC_E* code with err->msg naming
 * the file and, for a damaged or truncated file, the packet and byte
 * offset ("cap.pcap: packet 7: record truncated at byte offset 1234..."),
 * or "out of memory". */
int pc_analyze_file(const char *path, const struct pc_analyzer_opts *o, const struct pc_analyzer_cbs *cbs, void *ctx,
                    struct pc_err *err);
/* The layer a packet's flow is keyed on: the innermost TCP/UDP layer not
 * inside an ICMP error, whose header is captured and sound and is not a
 * fragment's; its IP layer in *ip.  -1 when the packet has no flow. */
int pc_flow_transport(const struct pc_decoded *d, int *ip);
/* The consumer pointer flow_start returned for f. */
void *pc_flow_user(const struct pc_flow *f);

#endif

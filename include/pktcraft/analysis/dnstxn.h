/* DNS transactions for traffic analysis: queries matched to their
 * responses (RFC 1035, DNS over TCP RFC 7766).
 *
 *     struct pc_dnstxn *t = pc_dnstxn_new(&opts, &cbs, ctx);
 *     pc_dnstxn_udp(t, &ends, payload, n, ts, pkt);           // one datagram
 *     struct pc_dnstxn_tcp *c = pc_dnstxn_tcp_new(t, &ends);   // one connection
 *     pc_dnstxn_tcp_feed(c, dir, bytes, n, ts, pkt);          // its reassembled bytes
 *     pc_dnstxn_tcp_free(c);
 *     pc_dnstxn_finish(t);   // every query still waiting is reported
 *     pc_dnstxn_free(t);
 *
 * Messages.  Over UDP a datagram is one message; over TCP each direction
 * is a run of messages each behind a two-byte length (RFC 7766 8), split
 * across segments anyhow and several to a segment.  A message must pass a
 * sanity check to count as DNS: at least the 12-byte header, a known
 * opcode (0-2, 4-6) and, when it has questions, the first one readable
 * (a message cut by the capture still counts: its records are the
 * consumer's to walk, with pc_dns_iter, which says where they stop).
 * Anything else is reported through the error callback and skipped (over
 * TCP the framing goes on; a gap inside a message skips it, a gap across a
 * length prefix stops the direction, since the framing is lost).
 *
 * Matching.  The sender of a query (QR 0) is the client.  A query waits in
 * the pending table under (transport, client address and port, server
 * address and port, id, first question's name (ASCII case-insensitive),
 * type and class).  A response (QR 1) from the server back to that client
 * with the same id and question completes the transaction; a response
 * without a question (some servers answer FORMERR that way) takes the
 * oldest waiting query with its id.  A second query with the same key
 * within opts.retrans_ns (default 5 s, as tshark's DNS retransmission
 * timer) of the first copy is counted as a retransmission of it; later,
 * the first copy is reported unmatched (PC_DNSTXN_TIMEOUT: the client
 * gave it up) and the new one waits.  A response nothing waits for is a
 * transaction without a query.
 *
 * Bounds.  At most dns_pending queries wait (struct pc_limits): past it
 * the oldest is reported unmatched (PC_DNSTXN_EVICTED).  A query waits at
 * most opts.timeout_ns of capture time (default 10 s), then is reported
 * unmatched (PC_DNSTXN_TIMEOUT).  A waiting query keeps its header and
 * first question (under 300 bytes), never the whole message.  A TCP
 * message that spans segments is copied until complete: at most 64 KiB a
 * direction, and PC_DNSTXN_TCP_HELD_MAX bytes over all connections (past
 * it the message is skipped and reported).  Nothing is allocated per
 * message once the table has grown to its working size.
 *
 * Callbacks must not call back into the matcher. */
#ifndef PKTCRAFT_DNSTXN_H
#define PKTCRAFT_DNSTXN_H

#include <stdbool.h>
#include "../core/common.h"

struct pc_limits;

#define PC_DNSTXN_TCP_HELD_MAX (64u << 20)

/* The two ends of a message or connection: src sends, dst receives.
 * Addresses are 4 bytes (family 4) or 16 (family 6). */
struct pc_dnstxn_ends {
    uint8_t family;
    uint8_t src[16], dst[16];
    uint16_t sport, dport;
};

/* Why a transaction was reported. */
enum pc_dnstxn_status {
    PC_DNSTXN_MATCHED = 0,  /* query and response */
    PC_DNSTXN_TIMEOUT,      /* query, no response within the timeout (or before it was asked again) */
    PC_DNSTXN_EVICTED,      /* query pushed out of a full pending table (dns-pending) */
    PC_DNSTXN_END,          /* query still waiting when the input ended (pc_dnstxn_finish) */
    PC_DNSTXN_NO_QUERY,     /* response no query waited for */
};
/* "matched", "timeout", "evicted", "end", "no_query". */
const char *pc_dnstxn_status_name(int status);

/* One transaction.  Valid only during the callback. */
struct pc_dnstxn {
    int status;                 /* enum pc_dnstxn_status */
    uint8_t transport;          /* 17 UDP or 6 TCP */
    uint8_t family;
    uint8_t client[16], server[16]; /* client: the query's sender (the response's receiver) */
    uint16_t cport, sport;
    uint16_t id;
    /* the question: the query's first, else the response's first */
    bool has_question;
    const char *qname;          /* text as pc_dns_name writes it ("" without a question) */
    uint16_t qtype, qclass;
    /* the query (has_query) */
    bool has_query;
    pc_time_ns ts_query;
    uint64_t query_pkt;         /* the packet number the caller gave */
    uint16_t query_flags;       /* its header flags word */
    uint32_t retransmissions;   /* further copies of the query while it waited */
    /* the response (response != NULL): the whole message, for pc_dns_iter */
    const uint8_t *response;
    size_t response_len;
    pc_time_ns ts_response;
    uint64_t response_pkt;
};

struct pc_dnstxn_cbs {
    void (*txn)(void *ctx, const struct pc_dnstxn *x);
    /* a message skipped (not DNS, malformed, over a limit) or TCP framing
     * lost: a static reason; transport 17 or 6; pkt the caller's number */
    void (*error)(void *ctx, uint8_t transport, uint64_t pkt, const char *why);
};

struct pc_dnstxn_opts {
    const struct pc_limits *lim; /* NULL: the defaults (only dns_pending is used) */
    int64_t timeout_ns;          /* 0: 10 s */
    int64_t retrans_ns;          /* 0: 5 s */
};

struct pc_dnstxn_stats {
    uint64_t queries, responses;   /* messages taken */
    uint64_t matched, unmatched_queries, unmatched_responses;
    uint64_t retransmissions;
    uint64_t evicted, timeouts;
    uint64_t skipped;              /* messages that failed the sanity check or a limit */
    uint64_t pending_peak;
};

struct pc_dnstxn_matcher;
/* NULL when out of memory.  cbs is copied; any callback may be NULL. */
struct pc_dnstxn_matcher *pc_dnstxn_new(const struct pc_dnstxn_opts *o, const struct pc_dnstxn_cbs *cbs, void *ctx);
/* Is p[0..n) plausibly a DNS message (the sanity check above)?  why gets
 * the reason when not (may be NULL). */
bool pc_dnstxn_sane(const uint8_t *p, size_t n, const char **why);
/* One UDP payload from e->src to e->dst at ts (pkt: the caller's packet
 * number, handed back in transactions).  Returns 0, PC_EMALFORMED (not
 * taken: see the error callback) or PC_ENOMEM. */
int pc_dnstxn_udp(struct pc_dnstxn_matcher *t, const struct pc_dnstxn_ends *e, const uint8_t *p, size_t n,
                  pc_time_ns ts, uint64_t pkt);
/* Report the queries that waited longer than the timeout by now (every
 * call above does this too: call it per packet so that silence expires
 * them as well). */
void pc_dnstxn_expire(struct pc_dnstxn_matcher *t, pc_time_ns now);
/* Report every waiting query (PC_DNSTXN_END), oldest first. */
void pc_dnstxn_finish(struct pc_dnstxn_matcher *t);
void pc_dnstxn_free(struct pc_dnstxn_matcher *t);
const struct pc_dnstxn_stats *pc_dnstxn_stats(const struct pc_dnstxn_matcher *t);

/* A TCP connection: direction 0 goes e->src to e->dst, direction 1 back.
 * NULL when out of memory.  It must be freed before its matcher. */
struct pc_dnstxn_tcp;
struct pc_dnstxn_tcp *pc_dnstxn_tcp_new(struct pc_dnstxn_matcher *t, const struct pc_dnstxn_ends *e);
/* The next n reassembled bytes of direction dir, delivered at ts by the
 * packet pkt. */
void pc_dnstxn_tcp_feed(struct pc_dnstxn_tcp *c, int dir, const uint8_t *p, size_t n, pc_time_ns ts, uint64_t pkt);
/* n bytes of direction dir were lost. */
void pc_dnstxn_tcp_gap(struct pc_dnstxn_tcp *c, int dir, uint64_t n);
void pc_dnstxn_tcp_free(struct pc_dnstxn_tcp *c);

#endif

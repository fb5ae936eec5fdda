/* fuzz_dnstxn: the DNS transaction matcher (pktcraft/analysis/dnstxn.h).
 * The input is a configuration byte, then chunks, each
 *     [control byte c] [length byte n] [n bytes]
 * c & 3 says what the chunk is: 0 a UDP datagram client to server, 1 one
 * server to client, 2 bytes of the TCP connection (direction c >> 2 & 1),
 * 3 a TCP gap of n + 1 bytes (same direction bit, no bytes follow);
 * c >> 3 & 3 picks one of four client ports (so several conversations
 * interleave), and c >> 5 is how many seconds pass before the chunk, so
 * retransmission windows and timeouts are crossed.  The configuration
 * byte picks a pending table of 2 queries (bit 0, so eviction happens)
 * and a timeout of 1 s with a window of 1 s (bit 1).  Every chunk is
 * copied to memory of exactly its length, so ASan sees any read past it.
 *
 * Checked: every transaction is well formed (status and transport known,
 * the question and response readable, a matched one has both halves, a
 * response's length within a DNS message), the counters add up at the
 * end (each query taken ends as one transaction: matched, timed out,
 * evicted or left at the end), and nothing leaks. */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "pktcraft/analysis/dnstxn.h"
#include "pktcraft/core/limits.h"

struct dnstxn_fz {
    uint64_t txns, matched, no_query;
};

static void dnstxn_on_txn(void *ctx, const struct pc_dnstxn *x)
{
    struct dnstxn_fz *z = ctx;
    z->txns++;
    FZ_CHECK(x->status >= PC_DNSTXN_MATCHED && x->status <= PC_DNSTXN_NO_QUERY, "status %d", x->status);
    FZ_CHECK(x->transport == 6 || x->transport == 17, "transport %u", x->transport);
    FZ_CHECK(x->qname != NULL, "qname NULL");
    fz_touch(x->qname, strlen(x->qname) + 1);
    FZ_CHECK(strcmp(pc_dnstxn_status_name(x->status), "?") != 0, "status %d has no name", x->status);
    if (x->status == PC_DNSTXN_MATCHED) {
        z->matched++;
        FZ_CHECK(x->has_query && x->response, "a matched transaction without both halves");
    }
    if (x->status == PC_DNSTXN_NO_QUERY) {
        z->no_query++;
        FZ_CHECK(!x->has_query && x->response, "a response without a query has a query");
    }
    if (x->response) {
        FZ_CHECK(x->response_len >= 12 && x->response_len <= 65535, "response of %zu bytes", x->response_len);
        fz_touch(x->response, x->response_len);
    }
}

static void dnstxn_on_error(void *ctx, uint8_t transport, uint64_t pkt, const char *why)
{
    (void)ctx;
    (void)pkt;
    FZ_CHECK(transport == 6 || transport == 17, "error on transport %u", transport);
    FZ_CHECK(why && *why, "an error without a reason");
}

static int FUZZ_NAME(dnstxn)(const uint8_t *data, size_t size)
{
    if (size < 1) return 0;
    uint8_t cfg = data[0];
    struct pc_limits lim;
    pc_limits_default(&lim);
    if (cfg & 1) lim.dns_pending = 2;
    struct pc_dnstxn_opts o = { .lim = &lim };
    if (cfg & 2) o.timeout_ns = o.retrans_ns = PC_NS_PER_SEC;
    struct dnstxn_fz z = { 0 };
    struct pc_dnstxn_cbs cbs = { .txn = dnstxn_on_txn, .error = dnstxn_on_error };
    struct pc_dnstxn_matcher *t = pc_dnstxn_new(&o, &cbs, &z);
    if (!t) return 0;
    struct pc_dnstxn_ends tcp_ends = { .family = 4, .src = { 10, 0, 0, 1 }, .dst = { 10, 0, 0, 53 },
                                       .sport = 40000, .dport = 53 };
    struct pc_dnstxn_tcp *c = pc_dnstxn_tcp_new(t, &tcp_ends);
    pc_time_ns ts = 1700000000 * PC_NS_PER_SEC;
    uint64_t pkt = 0;
    size_t i = 1;
    while (i + 2 <= size) {
        uint8_t ctl = data[i], n = data[i + 1];
        i += 2;
        ts += (pc_time_ns)(ctl >> 5) * PC_NS_PER_SEC;
        pkt++;
        pc_dnstxn_expire(t, ts);
        int kind = ctl & 3, dir = ctl >> 2 & 1;
        if (kind == 3) {
            if (c) pc_dnstxn_tcp_gap(c, dir, (uint64_t)n + 1);
            continue;
        }
        size_t len = n < size - i ? n : size - i;
        uint8_t *p = malloc(len ? len : 1);
        if (!p) break;
        memcpy(p, data + i, len);
        i += len;
        if (kind == 2) {
            if (c) pc_dnstxn_tcp_feed(c, dir, p, len, ts, pkt);
        } else {
            struct pc_dnstxn_ends e = { .family = 4, .src = { 10, 0, 0, 1 }, .dst = { 10, 0, 0, 53 },
                                        .sport = (uint16_t)(5000 + (ctl >> 3 & 3)), .dport = 53 };
            if (kind == 1) { /* server to client: the ends swapped */
                struct pc_dnstxn_ends r = { .family = 4, .src = { 10, 0, 0, 53 }, .dst = { 10, 0, 0, 1 },
                                            .sport = 53, .dport = e.sport };
                e = r;
            }
            pc_dnstxn_udp(t, &e, p, len, ts, pkt);
            const char *why = NULL;
            (void)pc_dnstxn_sane(p, len, &why);
        }
        free(p);
    }
    pc_dnstxn_tcp_free(c);
    pc_dnstxn_finish(t);
    const struct pc_dnstxn_stats *st = pc_dnstxn_stats(t);
    FZ_CHECK(st->matched == z.matched, "stats say %llu matched, callbacks %llu", (unsigned long long)st->matched,
             (unsigned long long)z.matched);
    FZ_CHECK(st->matched + st->unmatched_queries + st->unmatched_responses == z.txns,
             "%llu transactions delivered, stats add up to %llu", (unsigned long long)z.txns,
             (unsigned long long)(st->matched + st->unmatched_queries + st->unmatched_responses));
    pc_dnstxn_free(t);
    return 0;
}

FUZZ_ENTRY(dnstxn)

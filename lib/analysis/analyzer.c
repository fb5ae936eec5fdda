/* The analysis pipeline (include/pktcraft/analysis/analyzer.h): decode,
 * defragment, find the flow, reassemble TCP.
 *
 * Flows live in a hash table keyed by the 5-tuple with the endpoints in a
 * fixed order (so both directions find the same entry), and on one of
 * three activity lists (UDP, open TCP, closed TCP), most recent first: the
 * idle timeouts look only at the tails, eviction takes the oldest tail, so
 * each packet costs O(1) beyond its decode.  A record keeps its hash and
 * the link that points at it, so it leaves its bucket without a walk, and
 * ended records are kept on a short spare list for the next flows. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pktcraft/analysis/analyzer.h"
#include "pktcraft/analysis/http.h"
#include "pktcraft/analysis/tls.h"
#include "pktcraft/capture/pcap.h"
#include "pktcraft/core/decode.h"
#include "pktcraft/core/fmt.h"
#include "pktcraft/core/limits.h"
#include "pktcraft/wire/ipv4.h"
#include "pktcraft/wire/ipv6.h"
#include "pktcraft/wire/tcp.h"
#include "pktcraft/wire/udp.h"

enum { CLS_UDP, CLS_TCP, CLS_CLOSED, NCLS };

struct aflow {
    struct pc_flow pub;          /* first: pc_flow_user finds the rest from it */
    void *user;
    struct pc_analyzer *a;
    uint64_t hash;               /* key_hash of its key */
    struct aflow *hnext, **hprev; /* bucket chain; *hprev == this */
    struct aflow *newer, *older; /* activity list of its class */
    int cls;
    uint8_t ep[2][16];           /* endpoints in key order (IPv4: 4 bytes, then zeros) */
    uint16_t port[2];
    bool ep0_client;
    bool fin[2];
    bool have_isn;
    uint32_t isn;                /* the client's SYN sequence number */
    struct pc_stream *st;
    /* after both directions ended the stream goes (a closed flow lingers
     * for stragglers): what judges a late segment stays, per direction */
    bool closed_started[2];
    uint32_t closed_isn[2], closed_next[2];
    /* application decoders, made at the first stream event (apps_made) */
    bool apps_made;
    struct pc_http *http;
    struct pc_tls *tls;
};

struct pc_analyzer {
    struct pc_analyzer_opts o;
    struct pc_limits lim;
    struct pc_analyzer_cbs cbs;
    void *ctx;
    struct pc_defrag *df;
    struct pc_stream_pool pool;
    struct aflow **bucket;
    uint64_t nbuckets, nflows, next_id;
    uint64_t pktno;              /* the capture's packet number (skipped ones counted) */
    struct aflow *newest[NCLS], *oldest[NCLS];
    int64_t timeout[NCLS];
    struct pc_decoded d, d2;
    struct pc_analyzer_stats st;
    /* No class list can have a flow to expire before this capture time
     * (a lower bound: see expire) */
    pc_time_ns next_expiry;
    /* ended records for reuse, linked by hnext (at most SPARE_MAX):
     * flows end and begin all the time, and malloc and free of a record
     * per flow showed in the profile */
    struct aflow *spare;
    unsigned nspare;
};

enum { SPARE_MAX = 256 };

const char *pc_flow_state_name(int state)
{
    static const char *const names[] = { "udp", "syn-sent", "syn-received", "established", "half-closed", "closed",
                                         "reset" };
    return state >= 0 && state <= PC_FLOW_RESET ? names[state] : "?";
}

const char *pc_flow_end_name(int why)
{
    static const char *const names[] = { "?", "closed", "idle", "evicted", "capture-end" };
    return why >= 0 && why <= PC_FLOW_END_CAPTURE ? names[why] : "?";
}

void pc_flow_addr_str(const struct pc_flow *f, int server, char out[46])
{
    const uint8_t *a = server ? f->server : f->client;
    if (f->family == 4) pc_fmt_ip4(a, out);
    else pc_fmt_ip6(a, out);
}

void *pc_flow_user(const struct pc_flow *f) { return ((const struct aflow *)(const void *)f)->user; }

static void defrag_report(void *ctx, const struct pc_defrag_report *r)
{
    struct pc_analyzer *a = ctx;
    if (a->cbs.frag) a->cbs.frag(a->ctx, r);
}

struct pc_analyzer *pc_analyzer_new(const struct pc_analyzer_opts *o, const struct pc_analyzer_cbs *cbs, void *ctx)
{
    struct pc_analyzer *a = calloc(1, sizeof *a);
    if (!a) return NULL;
    if (o) a->o = *o;
    if (a->o.lim) a->lim = *a->o.lim;
    else pc_limits_default(&a->lim);
    a->o.lim = &a->lim;
    if (cbs) a->cbs = *cbs;
    a->ctx = ctx;
    a->timeout[CLS_UDP] = a->o.udp_idle_ns ? a->o.udp_idle_ns : 60 * PC_NS_PER_SEC;
    a->timeout[CLS_TCP] = a->o.tcp_idle_ns ? a->o.tcp_idle_ns : 300 * PC_NS_PER_SEC;
    a->timeout[CLS_CLOSED] = a->o.linger_ns ? a->o.linger_ns : 10 * PC_NS_PER_SEC;
    a->pool.limit = a->lim.reasm_total;
    a->pool.spare_max = SPARE_MAX;
    a->nbuckets = 4096;
    a->next_expiry = INT64_MAX;
    a->bucket = calloc(a->nbuckets, sizeof(struct aflow *));
    struct pc_defrag_opts dfo = { .policy = a->o.overlap, .mem = a->lim.defrag_mem,
                                  .datagrams = (uint32_t)a->lim.defrag_datagrams };
    if (!a->o.no_defrag) a->df = pc_defrag_new(&dfo, defrag_report, a);
    if (!a->bucket || (!a->o.no_defrag && !a->df)) {
        pc_analyzer_free(a);
        return NULL;
    }
    return a;
}

const struct pc_analyzer_stats *pc_analyzer_stats(const struct pc_analyzer *a) { return &a->st; }

/* ------------------------------------------------------------ the key */

/* Addresses are 16 bytes, an IPv4 one followed by zeros, so keys and
 * records compare and hash in whole words whatever the family. */
struct key {
    uint8_t family, proto;
    uint8_t src[16], dst[16];
    uint16_t sport, dport;
    uint64_t hash;               /* key_hash */
};

static uint64_t load64(const uint8_t *p)
{
    uint64_t v;
    memcpy(&v, p, 8);
    return v;
}

static bool addr_eq(const uint8_t *a, const uint8_t *b)
{
    return load64(a) == load64(b) && load64(a + 8) == load64(b + 8);
}

/* One endpoint, mixed (multiply and xor-shift) so that the sum of two
 * cannot cancel out. */
static uint64_t ep_hash(const uint8_t *addr, uint16_t port)
{
    uint64_t h = load64(addr) ^ load64(addr + 8) * 0x9e3779b97f4a7c15ull ^ (uint64_t)port << 32;
    h *= 0xbf58476d1ce4e5b9ull;
    return h ^ h >> 31;
}

/* Symmetric (both directions hash alike): the endpoints' hashes are added,
 * which does not depend on their order. */
static uint64_t key_hash(const struct key *k)
{
    uint64_t h = (ep_hash(k->src, k->sport) + ep_hash(k->dst, k->dport)) ^ k->proto;
    h *= 0x94d049bb133111ebull;
    return h ^ h >> 29;
}

/* Which of f's endpoints sent a packet of key k: 0 or 1, or -1 when k is
 * not f's. */
static int match(const struct aflow *f, const struct key *k)
{
    if (f->hash != k->hash || f->pub.family != k->family || f->pub.proto != k->proto) return -1;
    if (f->port[0] == k->sport && f->port[1] == k->dport && addr_eq(f->ep[0], k->src) && addr_eq(f->ep[1], k->dst))
        return 0;
    if (f->port[1] == k->sport && f->port[0] == k->dport && addr_eq(f->ep[1], k->src) && addr_eq(f->ep[0], k->dst))
        return 1;
    return -1;
}

static void hash_insert(struct aflow **bucket, struct aflow *f)
{
    f->hnext = *bucket;
    if (f->hnext) f->hnext->hprev = &f->hnext;
    f->hprev = bucket;
    *bucket = f;
}

/* ------------------------------------------------------------ lists */

static void list_unlink(struct pc_analyzer *a, struct aflow *f)
{
    /* the list's oldest flow leaves: the next one's deadline is not known
     * here (with a capture whose clock steps back it can be earlier), so
     * expire looks again at the next packet */
    if (!f->older) a->next_expiry = INT64_MIN;
    if (f->newer) f->newer->older = f->older;
    else a->newest[f->cls] = f->older;
    if (f->older) f->older->newer = f->newer;
    else a->oldest[f->cls] = f->newer;
    f->newer = f->older = NULL;
}

/* last_ts + timeout, saturated on absurd timestamps; with a negative
 * timeout (a library caller's choice) the earliest time, so that expire
 * always looks */
static pc_time_ns deadline(const struct pc_analyzer *a, const struct aflow *f, int cls)
{
    int64_t t = a->timeout[cls];
    if (t < 0) return INT64_MIN;
    return f->pub.last_ts > INT64_MAX - t ? INT64_MAX : f->pub.last_ts + t;
}

static void list_push(struct pc_analyzer *a, struct aflow *f, int cls)
{
    f->cls = cls;
    f->older = a->newest[cls];
    f->newer = NULL;
    if (a->newest[cls]) {
        a->newest[cls]->newer = f;
    } else {
        /* the list's new oldest flow: the only way a class's deadline
         * comes earlier (see expire) */
        a->oldest[cls] = f;
        pc_time_ns t = deadline(a, f, cls);
        if (t < a->next_expiry) a->next_expiry = t;
    }
    a->newest[cls] = f;
}

static void touch(struct pc_analyzer *a, struct aflow *f, int cls)
{
    if (a->newest[f->cls] == f && f->cls == cls) return;
    list_unlink(a, f);
    list_push(a, f, cls);
}

/* ------------------------------------------------------------ streams */

/* ------------------------------------------------- application decoders */

static void app_exchange(void *ctx, const struct pc_http_msg *req, const struct pc_http_msg *resp)
{
    struct aflow *f = ctx;
    f->a->cbs.http(f->a->ctx, &f->pub, req, resp);
}

static void app_hello(void *ctx, int dir, const struct pc_tls_hello *h, pc_time_ns ts)
{
    (void)dir;
    struct aflow *f = ctx;
    f->a->cbs.tls_hello(f->a->ctx, &f->pub, h, ts);
}

/* Made on the first bytes, gap or end of a stream, so that flows without
 * payload (scans, handshakes alone) cost nothing. */
static void apps_make(struct aflow *f)
{
    if (f->apps_made) return;
    f->apps_made = true;
    struct pc_analyzer *a = f->a;
    if (a->cbs.http) {
        const struct pc_http_cbs hc = { .exchange = app_exchange };
        f->http = pc_http_new(&a->lim, &hc, f);
        if (!f->http) a->st.apps_nomem++;
    }
    if (a->cbs.tls_hello) {
        const struct pc_tls_cbs tc = { .client_hello = app_hello, .server_hello = app_hello };
        f->tls = pc_tls_new(&a->lim, &tc, f);
        if (!f->tls) a->st.apps_nomem++;
    }
}

static void apps_free(struct aflow *f)
{
    pc_http_free(f->http);
    pc_tls_free(f->tls);
    f->http = NULL;
    f->tls = NULL;
}

/* A TLS parser that gave up both directions (not TLS, or encrypted from
 * here on) has nothing more to say: its memory goes at once. */
static void tls_check_done(struct aflow *f)
{
    if (f->tls && pc_tls_stats(f->tls, 0)->stopped && pc_tls_stats(f->tls, 1)->stopped) {
        pc_tls_free(f->tls);
        f->tls = NULL;
    }
}

/* ------------------------------------------------------------ stream sink */

static void s_data(void *ctx, int dir, const uint8_t *p, size_t n, uint64_t off, pc_time_ns ts)
{
    struct aflow *f = ctx;
    if (f->a->cbs.data) f->a->cbs.data(f->a->ctx, &f->pub, dir, p, n, off, ts);
    apps_make(f);
    if (f->http) pc_http_feed(f->http, dir, p, n, ts);
    if (f->tls) {
        pc_tls_feed(f->tls, dir, p, n, ts);
        tls_check_done(f);
    }
}

static void s_gap(void *ctx, int dir, uint64_t off, uint64_t n, int why)
{
    struct aflow *f = ctx;
    if (f->a->cbs.gap) f->a->cbs.gap(f->a->ctx, &f->pub, dir, off, n, why);
    apps_make(f);
    if (f->http) pc_http_gap(f->http, dir, n);
    if (f->tls) {
        pc_tls_gap(f->tls, dir, n);
        tls_check_done(f);
    }
}

static void s_end(void *ctx, int dir, pc_time_ns ts)
{
    struct aflow *f = ctx;
    if (f->a->cbs.stream_end) f->a->cbs.stream_end(f->a->ctx, &f->pub, dir, ts);
    if (f->http) pc_http_end(f->http, dir, ts);
    if (f->tls) {
        pc_tls_end(f->tls, dir, ts);
        tls_check_done(f);
    }
}

static void s_conflict(void *ctx, int dir, uint64_t off, uint64_t n)
{
    struct aflow *f = ctx;
    if (f->a->cbs.conflict) f->a->cbs.conflict(f->a->ctx, &f->pub, dir, off, n);
}

static const struct pc_stream_sink SINK = { s_data, s_gap, s_end, s_conflict };

/* The stream's counters into the flow record. */
static void take_stats(struct aflow *f)
{
    for (int dir = 0; dir < 2; dir++) {
        const struct pc_stream_stats *s = pc_stream_stats(f->st, dir);
        struct pc_flow_dir *d = &f->pub.dir[dir];
        d->bytes = s->bytes;
        d->retrans = s->retrans;
        d->gaps = s->gaps;
        d->gap_bytes = s->gap_bytes;
        d->overlaps = s->overlaps;
        d->conflicts = s->conflicts;
        d->limit_cuts = s->limit_cuts;
    }
}

/* Both directions ended: keep the counters and where each direction
 * stood, free the stream (its state is the bulk of a lingering flow). */
static void stream_closed(struct aflow *f)
{
    take_stats(f);
    for (int dir = 0; dir < 2; dir++)
        f->closed_started[dir] = pc_stream_seqs(f->st, dir, &f->closed_isn[dir], &f->closed_next[dir]);
    pc_stream_free(f->st);
    f->st = NULL;
}

/* A segment after the stream closed, counted as the stream would have:
 * a SYN sent again, or bytes that are not a keep-alive, are
 * retransmissions. */
static void late_segment(struct aflow *f, int dir, uint32_t seq, uint8_t fl, uint32_t n)
{
    uint64_t *retrans = &f->pub.dir[dir].retrans;
    if (!f->closed_started[dir]) { /* never sent before the close (a RST ended it) */
        f->closed_started[dir] = true;
        f->closed_isn[dir] = fl & PC_TCP_SYN ? seq : seq - 1u;
        f->closed_next[dir] = f->closed_isn[dir] + 1u;
    } else if ((fl & PC_TCP_SYN) && !n && seq == f->closed_isn[dir]) {
        (*retrans)++;
    }
    if (fl & PC_TCP_RST) return;
    if (n && !(n <= 1 && seq == f->closed_next[dir] - 1u)) (*retrans)++;
}

/* ------------------------------------------------------------ flow life */

static void end_flow(struct pc_analyzer *a, struct aflow *f, int why)
{
    if (f->st) {
        pc_stream_finish(f->st, f->pub.last_ts);
        take_stats(f);
    }
    f->pub.end = why;
    if (why == PC_FLOW_END_EVICTED) a->st.flows_evicted++;
    if (a->cbs.flow_end) a->cbs.flow_end(a->ctx, &f->pub);
    if (a->cbs.flow_free) a->cbs.flow_free(a->ctx, &f->pub, f->user);
    apps_free(f);
    list_unlink(a, f);
    pc_stream_free(f->st);
    a->nflows--;
    if (a->nspare < SPARE_MAX) {
        f->hnext = a->spare;
        a->spare = f;
        a->nspare++;
    } else {
        free(f);
    }
}

static void unhash(struct aflow *f)
{
    *f->hprev = f->hnext;
    if (f->hnext) f->hnext->hprev = f->hprev;
}

static void finish_flow(struct pc_analyzer *a, struct aflow *f, int why)
{
    unhash(f);
    end_flow(a, f, why);
}

/* The next flow to expire was idle for a while, so its record has left
 * the caches: fetching all of it while the one before it ends saves
 * waiting for each line in turn (the expiry check, the report, the
 * unlinking). */
static void prefetch_record(const struct aflow *f)
{
    for (size_t off = 0; off < sizeof *f; off += 64) __builtin_prefetch((const char *)f + off);
}

/* Per packet, so it first compares now with next_expiry: no more than
 * the earliest deadline of the classes' oldest flows (computed here; a
 * list that gets a first flow lowers it, one whose oldest flow leaves
 * makes it unknown, and the oldest flow's own last_ts only grows). */
static void expire(struct pc_analyzer *a, pc_time_ns now)
{
    if (now <= a->next_expiry) return;
    pc_time_ns next_expiry = INT64_MAX;
    /* oldest first; the next one is taken before f is freed */
    for (int c = 0; c < NCLS; c++) {
        struct aflow *f = a->oldest[c], *next;
        for (; f && now - f->pub.last_ts > a->timeout[c]; f = next) {
            next = f->newer;
            if (next) prefetch_record(next);
            finish_flow(a, f, c == CLS_CLOSED ? PC_FLOW_END_CLOSED : PC_FLOW_END_IDLE);
        }
        if (f && deadline(a, f, c) < next_expiry) next_expiry = deadline(a, f, c);
    }
    a->next_expiry = next_expiry;
}

/* The least recently active flow of all, to make room. */
static void evict(struct pc_analyzer *a)
{
    struct aflow *victim = NULL;
    for (int c = 0; c < NCLS; c++)
        if (a->oldest[c] && (!victim || a->oldest[c]->pub.last_ts < victim->pub.last_ts)) victim = a->oldest[c];
    if (victim) finish_flow(a, victim, PC_FLOW_END_EVICTED);
}

static void grow(struct pc_analyzer *a)
{
    uint64_t n = a->nbuckets * 2;
    struct aflow **nb = calloc(n, sizeof(struct aflow *));
    if (!nb) return; /* keep the smaller table: slower, still right */
    for (uint64_t i = 0; i < a->nbuckets; i++) {
        for (struct aflow *f = a->bucket[i], *next; f; f = next) {
            next = f->hnext;
            hash_insert(&nb[f->hash & (n - 1)], f);
        }
    }
    free(a->bucket);
    a->bucket = nb;
    a->nbuckets = n;
}

/* Who is the client of a new flow whose first packet is k. */
static bool src_is_client(const struct key *k, uint8_t tcpflags, bool *by_syn)
{
    *by_syn = false;
    if (k->proto == PC_IPPROTO_TCP && (tcpflags & PC_TCP_SYN)) {
        *by_syn = true;
        return !(tcpflags & PC_TCP_ACK);
    }
    if (k->sport != k->dport) return k->sport > k->dport; /* the lower port serves */
    return true;
}

static struct aflow *create(struct pc_analyzer *a, const struct key *k, uint8_t tcpflags, uint64_t pktno,
                            pc_time_ns ts)
{
    if (a->nflows >= a->lim.flows) evict(a);
    if (a->nflows >= a->nbuckets && a->nbuckets < (1ull << 26)) grow(a);
    struct aflow *f = a->spare;
    if (f) {
        a->spare = f->hnext;
        a->nspare--;
        memset(f, 0, sizeof *f);
    } else if (!(f = calloc(1, sizeof *f))) {
        return NULL;
    }
    f->a = a;
    f->hash = k->hash;
    size_t n = k->family == 4 ? 4 : 16;
    memcpy(f->ep[0], k->src, 16);
    memcpy(f->ep[1], k->dst, 16);
    f->port[0] = k->sport;
    f->port[1] = k->dport;
    bool by_syn;
    f->ep0_client = src_is_client(k, tcpflags, &by_syn);
    struct pc_flow *p = &f->pub;
    p->id = ++a->next_id;
    p->family = k->family;
    p->proto = k->proto;
    p->by_syn = by_syn;
    int c = f->ep0_client ? 0 : 1;
    memcpy(p->client, f->ep[c], n);
    memcpy(p->server, f->ep[1 - c], n);
    p->cport = f->port[c];
    p->sport = f->port[1 - c];
    p->first_ts = p->last_ts = ts;
    p->first_pkt = p->last_pkt = pktno;
    p->state = k->proto == PC_IPPROTO_TCP ? PC_FLOW_SYN_SENT : PC_FLOW_UDP;
    if (k->proto == PC_IPPROTO_TCP && !a->o.no_streams) {
        f->st = pc_stream_new(a->o.overlap, a->lim.reasm_flow, &a->pool, &SINK, f);
        if (!f->st) {
            free(f);
            return NULL;
        }
    }
    hash_insert(&a->bucket[k->hash & (a->nbuckets - 1)], f);
    list_push(a, f, k->proto == PC_IPPROTO_TCP ? CLS_TCP : CLS_UDP);
    a->nflows++;
    a->st.flows++;
    if (a->nflows > a->st.flows_peak) a->st.flows_peak = a->nflows;
    if (a->cbs.flow_start) f->user = a->cbs.flow_start(a->ctx, p);
    return f;
}

static struct aflow *lookup(struct pc_analyzer *a, const struct key *k, int *side)
{
    for (struct aflow *f = a->bucket[k->hash & (a->nbuckets - 1)]; f; f = f->hnext)
        if ((*side = match(f, k)) >= 0) return f;
    return NULL;
}

/* TCP state after a segment of direction dir with these flags. */
static void tcp_state(struct pc_analyzer *a, struct aflow *f, int dir, uint8_t fl, uint32_t plen)
{
    struct pc_flow *p = &f->pub;
    if (fl & PC_TCP_RST) p->state = PC_FLOW_RESET;
    else if (p->state == PC_FLOW_RESET) {
        /* stays reset */
    } else if (fl & PC_TCP_FIN) {
        f->fin[dir] = true;
        p->state = f->fin[0] && f->fin[1] ? PC_FLOW_CLOSED : PC_FLOW_HALF_CLOSED;
    } else if ((fl & PC_TCP_SYN) && (fl & PC_TCP_ACK) && dir == 1 && p->state == PC_FLOW_SYN_SENT) {
        p->state = PC_FLOW_SYN_RECEIVED;
    } else if ((fl & PC_TCP_ACK) && !(fl & PC_TCP_SYN) && p->state == PC_FLOW_SYN_RECEIVED && dir == 0) {
        p->state = PC_FLOW_ESTABLISHED;
    } else if (p->state == PC_FLOW_SYN_SENT && !(fl & PC_TCP_SYN) && (plen || (fl & PC_TCP_ACK)) && !f->have_isn) {
        p->state = PC_FLOW_ESTABLISHED; /* picked up mid-stream */
        p->mid = true;
    }
    touch(a, f, p->state == PC_FLOW_CLOSED || p->state == PC_FLOW_RESET ? CLS_CLOSED : CLS_TCP);
}

/* A SYN from the client that starts another connection on the same
 * tuple: after a close or reset, or with another ISN. */
static bool new_connection(const struct aflow *f, int dir, uint8_t fl, uint32_t seq)
{
    if (!(fl & PC_TCP_SYN) || (fl & PC_TCP_ACK) || dir != 0) return false;
    if (f->pub.state == PC_FLOW_CLOSED || f->pub.state == PC_FLOW_RESET) return true;
    return f->have_isn && seq != f->isn;
}

/* ------------------------------------------------------------ packets */

int pc_flow_transport(const struct pc_decoded *d, int *ip)
{
    int l4 = -1;
    *ip = -1;
    int cur_ip = -1;
    for (int i = 0; i < d->n; i++) {
        const struct pc_layer *l = &d->l[i];
        if (l->flags & PC_LF_QUOTED) continue;
        if (l->proto == PC_P_IPV4 || l->proto == PC_P_IPV6) cur_ip = i;
        if ((l->proto == PC_P_TCP || l->proto == PC_P_UDP) && cur_ip >= 0) {
            l4 = i;
            *ip = cur_ip;
        }
    }
    if (l4 < 0) return -1;
    const struct pc_layer *l = &d->l[l4];
    uint32_t need = l->proto == PC_P_TCP ? l->hlen : PC_UDP_HLEN;
    if (l->flags & (PC_LF_MALFORMED | PC_LF_FRAG) || d->l[*ip].flags & PC_LF_FRAG) return -1;
    if (need < (l->proto == PC_P_TCP ? PC_TCP_HLEN : PC_UDP_HLEN) || pc_layer_caphdr(d, l4) < need) return -1;
    return l4;
}

static void flow_packet(struct pc_analyzer *a, struct pc_apkt *pk)
{
    const struct pc_decoded *d = pk->d;
    int ip, l4 = pc_flow_transport(d, &ip);
    if (l4 < 0) return;
    const uint8_t *ih = pc_layer_hdr(d, ip), *th = pc_layer_hdr(d, l4);
    struct key k = { .proto = d->l[l4].proto == PC_P_TCP ? PC_IPPROTO_TCP : PC_IPPROTO_UDP };
    if (d->l[ip].proto == PC_P_IPV4) {
        k.family = 4;
        memcpy(k.src, pc_ipv4_src(ih), 4);
        memcpy(k.dst, pc_ipv4_dst(ih), 4);
    } else {
        k.family = 6;
        memcpy(k.src, pc_ipv6_src(ih), 16);
        memcpy(k.dst, pc_ipv6_dst(ih), 16);
    }
    k.sport = pc_get16(th);
    k.dport = pc_get16(th + 2);
    k.hash = key_hash(&k);
    uint8_t fl = k.proto == PC_IPPROTO_TCP ? pc_tcp_flags(th) : 0;
    uint32_t hl = d->l[l4].hlen;
    /* the payload the headers claim, as far as it was captured */
    uint32_t start = d->l[l4].off + hl, plen = d->l[l4].plen;
    if (start > d->caplen) plen = 0;
    else if (plen > d->caplen - start) plen = d->caplen - start;
    int side;
    struct aflow *f = lookup(a, &k, &side);
    uint32_t seq = k.proto == PC_IPPROTO_TCP ? pc_tcp_seq(th) : 0;
    if (f && k.proto == PC_IPPROTO_TCP && new_connection(f, f->ep0_client ? side : 1 - side, fl, seq)) {
        finish_flow(a, f, PC_FLOW_END_CLOSED);
        f = NULL;
    }
    if (!f) {
        f = create(a, &k, fl, pk->n, pk->h->ts);
        if (!f) return;
        side = 0;
    }
    int dir = f->ep0_client ? side : 1 - side;
    struct pc_flow *p = &f->pub;
    /* a packet stamped earlier than the flow's latest (a capture whose
     * clock stepped back, or one bad timestamp) does not make the flow
     * look idle: the next packet in time would otherwise expire it */
    if (pk->h->ts > p->last_ts) p->last_ts = pk->h->ts;
    p->last_pkt = pk->n;
    p->dir[dir].packets++;
    p->dir[dir].wire_bytes += plen;
    pk->flow = p;
    pk->dir = dir;
    pk->l4_payload = plen;
    if (k.proto == PC_IPPROTO_UDP) {
        p->dir[dir].bytes += plen;
        touch(a, f, CLS_UDP);
        if (a->cbs.datagram) a->cbs.datagram(a->ctx, p, dir, d->buf + start, plen, pk);
        return;
    }
    if ((fl & PC_TCP_SYN) && !(fl & PC_TCP_ACK) && dir == 0 && !f->have_isn) {
        f->have_isn = true;
        f->isn = seq;
    }
    if (f->st)
        pc_stream_segment(f->st, dir, seq, pc_tcp_ack(th), fl, pc_tcp_win(th), d->buf + start, plen, pk->h->ts);
    else if (!a->o.no_streams)
        late_segment(f, dir, seq, fl, plen);
    tcp_state(a, f, dir, fl, plen);
    if (f->st && pc_stream_held(f->st) + a->pool.held > a->st.reasm_peak) a->st.reasm_peak = a->pool.held;
    if (f->st && pc_stream_closed(f->st)) stream_closed(f);
}

int pc_analyzer_packet(struct pc_analyzer *a, const struct pc_pkthdr *h, const uint8_t *data)
{
    return pc_analyzer_packet_num(a, h, data, a->pktno + 1);
}

int pc_analyzer_packet_num(struct pc_analyzer *a, const struct pc_pkthdr *h, const uint8_t *data, uint64_t n)
{
    a->st.packets++;
    a->pktno = n;
    struct pc_apkt pk = { .n = n, .h = h, .d = &a->d, .frame = &a->d };
    expire(a, h->ts);
    pc_decode_flags(&a->d, data, h->caplen, h->len, h->linktype, a->o.decode_flags);
    if (a->df) {
        struct pc_defrag_out out;
        int rc = pc_defrag_packet(a->df, &a->d, pk.n, h->ts, &out);
        if (rc < 0) return rc;
        if (rc == 1) pk.fragment = true;
        if (rc == 2) {
            pc_decode_flags(&a->d2, out.frame, out.len, out.len, out.linktype, a->o.decode_flags);
            pk.d = &a->d2;
            pk.reassembled = true;
        }
        a->st.fragments = pc_defrag_stats(a->df)->fragments;
        a->st.datagrams = pc_defrag_stats(a->df)->datagrams;
    }
    if (!pk.fragment && !a->o.no_flows) flow_packet(a, &pk);
    if (a->pool.peak > a->st.reasm_peak) a->st.reasm_peak = a->pool.peak;
    if (a->cbs.packet) a->cbs.packet(a->ctx, &pk);
    return 0;
}

static int by_id(const void *x, const void *y)
{
    const struct aflow *f = *(struct aflow *const *)x, *g = *(struct aflow *const *)y;
    return f->pub.id < g->pub.id ? -1 : f->pub.id > g->pub.id;
}

void pc_analyzer_skip(struct pc_analyzer *a) { a->pktno++; }

void pc_analyzer_finish(struct pc_analyzer *a)
{
    /* every flow ends, in the order they began (deterministic output) */
    struct aflow **all = a->nflows ? malloc(a->nflows * sizeof(struct aflow *)) : NULL;
    uint64_t n = 0;
    for (int c = 0; c < NCLS; c++)
        for (struct aflow *f = a->oldest[c]; f; f = f->newer) {
            if (all) all[n++] = f;
        }
    if (all) {
        qsort(all, n, sizeof(struct aflow *), by_id);
        for (uint64_t i = 0; i < n; i++) finish_flow(a, all[i], PC_FLOW_END_CAPTURE);
        free(all);
    } else {
        /* no memory for the order: end them as they come */
        for (int c = 0; c < NCLS; c++)
            for (struct aflow *f = a->oldest[c], *next; f; f = next) {
                next = f->newer;
                finish_flow(a, f, PC_FLOW_END_CAPTURE);
            }
    }
    if (a->df) pc_defrag_finish(a->df);
}

void pc_analyzer_free(struct pc_analyzer *a)
{
    if (!a) return;
    for (int c = 0; c < NCLS; c++)
        for (struct aflow *f = a->oldest[c], *next; f; f = next) {
            next = f->newer;
            if (a->cbs.flow_free) a->cbs.flow_free(a->ctx, &f->pub, f->user);
            apps_free(f);
            pc_stream_free(f->st);
            free(f);
        }
    for (struct aflow *f = a->spare, *next; f; f = next) {
        next = f->hnext;
        free(f);
    }
    pc_stream_pool_release(&a->pool);
    pc_defrag_free(a->df);
    free(a->bucket);
    free(a);
}

/* ------------------------------------------------------------ whole file */

int pc_analyze_file(const char *path, const struct pc_analyzer_opts *o, const struct pc_analyzer_cbs *cbs, void *ctx,
                    struct pc_err *err)
{
    struct pc_err local;
    if (!err) err = &local;
    memset(err, 0, sizeof *err);
    struct pc_reader *r = pc_reader_open_ex(path, o ? o->lim : NULL, err);
    if (!r) return err->code ? err->code : PC_EIO;
    struct pc_analyzer *a = pc_analyzer_new(o, cbs, ctx);
    bool nomem = !a;
    int rc = 0;
    struct pc_pkthdr h;
    const uint8_t *data;
    while (!nomem && (rc = pc_reader_next(r, &h, &data)) > 0) nomem = pc_analyzer_packet(a, &h, data) < 0;
    if (nomem) {
        rc = err->code = PC_ENOMEM;
        err->packet = pc_reader_count(r);
        snprintf(err->msg, sizeof err->msg, "%s: packet %llu: out of memory", path, (unsigned long long)err->packet);
    } else if (rc < 0) {
        *err = *pc_reader_err(r);
    }
    if (a) pc_analyzer_finish(a);
    pc_analyzer_free(a);
    pc_reader_close(r);
    return rc < 0 ? rc : 0;
}

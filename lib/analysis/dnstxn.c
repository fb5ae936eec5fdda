/* DNS transactions: queries matched to responses (analysis/dnstxn.h). */
#include <stdlib.h>
#include <string.h>

#include "pktcraft/analysis/dnstxn.h"
#include "pktcraft/core/limits.h"
#include "pktcraft/wire/dns.h"
#include "pktcraft/wire/ipv4.h"

#define DEFAULT_TIMEOUT_NS (10 * PC_NS_PER_SEC)
#define DEFAULT_RETRANS_NS (5 * PC_NS_PER_SEC)
#define CHUNK 256             /* pending entries allocated at a time */
#define MIN_BUCKETS 256
#define MAX_BUCKETS (1u << 24)
#define KEEP_BUF 4096         /* a TCP direction keeps a message buffer this small between messages */

/* A query waiting for its response. */
struct pend {
    struct pend *hnext;           /* hash chain */
    struct pend *older, *newer;   /* age order */
    uint64_t hash;
    uint8_t transport, family;
    uint8_t client[16], server[16];
    uint16_t cport, sport, id;
    uint16_t flags, qtype, qclass;
    bool has_q;
    uint8_t qlen;                 /* wire bytes of the name, root byte included */
    uint8_t qname[PC_DNS_MAXNAME];/* the name, uncompressed */
    pc_time_ns ts;
    uint64_t pkt;
    uint32_t retrans;
};

struct chunk {
    struct chunk *next;
    struct pend e[CHUNK];
};

struct pc_dnstxn_matcher {
    struct pc_dnstxn_cbs cbs;
    void *ctx;
    uint64_t max_pending;
    int64_t timeout, retrans;
    struct pend **bucket;
    uint64_t nbuckets, npending;
    struct pend *oldest, *newest;
    struct pend *free;
    struct chunk *chunks;
    uint64_t tcp_held;            /* bytes of TCP message buffers, all connections */
    struct pc_dnstxn_stats st;
};

const char *pc_dnstxn_status_name(int status)
{
    switch (status) {
    case PC_DNSTXN_MATCHED: return "matched";
    case PC_DNSTXN_TIMEOUT: return "timeout";
    case PC_DNSTXN_EVICTED: return "evicted";
    case PC_DNSTXN_END: return "end";
    case PC_DNSTXN_NO_QUERY: return "no_query";
    default: return "unknown";
    }
}

struct pc_dnstxn_matcher *pc_dnstxn_new(const struct pc_dnstxn_opts *o, const struct pc_dnstxn_cbs *cbs, void *ctx)
{
    struct pc_dnstxn_matcher *t = calloc(1, sizeof *t);
    if (!t) return NULL;
    struct pc_limits def;
    pc_limits_default(&def);
    const struct pc_limits *lim = o && o->lim ? o->lim : &def;
    t->max_pending = lim->dns_pending ? lim->dns_pending : 1;
    t->timeout = o && o->timeout_ns > 0 ? o->timeout_ns : DEFAULT_TIMEOUT_NS;
    t->retrans = o && o->retrans_ns > 0 ? o->retrans_ns : DEFAULT_RETRANS_NS;
    if (cbs) t->cbs = *cbs;
    t->ctx = ctx;
    t->nbuckets = MIN_BUCKETS;
    t->bucket = calloc(t->nbuckets, sizeof(struct pend *));
    if (!t->bucket) {
        free(t);
        return NULL;
    }
    return t;
}

void pc_dnstxn_free(struct pc_dnstxn_matcher *t)
{
    if (!t) return;
    for (struct chunk *c = t->chunks, *next; c; c = next) {
        next = c->next;
        free(c);
    }
    free(t->bucket);
    free(t);
}

const struct pc_dnstxn_stats *pc_dnstxn_stats(const struct pc_dnstxn_matcher *t) { return &t->st; }

/* ------------------------------------------------------------ messages */

static void error(struct pc_dnstxn_matcher *t, uint8_t transport, uint64_t pkt, const char *why)
{
    t->st.skipped++;
    if (t->cbs.error) t->cbs.error(t->ctx, transport, pkt, why);
}

/* The first question, its name uncompressed. */
struct question {
    bool has;
    uint8_t len;
    uint8_t name[PC_DNS_MAXNAME];
    uint16_t type, qclass;
};

/* Copy the (valid: pc_dns_name checked it) name at off into q->name,
 * following compression pointers; returns the offset after the name's own
 * bytes. */
static size_t name_wire(const uint8_t *m, size_t off, struct question *q)
{
    size_t pos = off, after = 0;
    q->len = 0;
    for (;;) {
        uint8_t b = m[pos];
        if ((b & 0xC0) == 0xC0) {
            if (!after) after = pos + 2;
            pos = (size_t)((b & 0x3F) << 8 | m[pos + 1]);
            continue;
        }
        memcpy(q->name + q->len, m + pos, 1u + b);
        q->len = (uint8_t)(q->len + 1u + b);
        if (!b) break;
        pos += 1u + b;
    }
    return after ? after : pos + 1;
}

static bool opcode_known(unsigned op) { return op <= 2 || (op >= 4 && op <= 6); }

/* The sanity check, and the first question into q. */
static bool parse(const uint8_t *p, size_t n, struct question *q, const char **why)
{
    q->has = false;
    if (n < PC_DNS_HLEN) {
        *why = "dns: message shorter than 12 bytes";
        return false;
    }
    if (!opcode_known(pc_dns_opcode(p))) {
        *why = "dns: unknown opcode (not DNS?)";
        return false;
    }
    if (!pc_dns_qdcount(p)) return true;
    size_t next;
    int rc = pc_dns_name(p, n, PC_DNS_HLEN, NULL, 0, &next, why);
    if (rc < 0 && rc != PC_ENOSPC) return false;
    if (n - next < 4) {
        *why = "dns: question runs past the message";
        return false;
    }
    name_wire(p, PC_DNS_HLEN, q);
    q->type = pc_get16(p + next);
    q->qclass = pc_get16(p + next + 2);
    q->has = true;
    return true;
}

bool pc_dnstxn_sane(const uint8_t *p, size_t n, const char **why)
{
    struct question q;
    const char *w = NULL;
    bool ok = p && parse(p, n, &q, &w);
    if (why) *why = ok ? NULL : w ? w : "dns: no message";
    return ok;
}

/* ------------------------------------------------------------ pending table */

struct key {
    uint8_t transport, family;
    const uint8_t *client, *server;
    uint16_t cport, sport, id;
};

static uint64_t key_hash(const struct key *k)
{
    size_t al = k->family == 4 ? 4 : 16;
    uint64_t h = 0xcbf29ce484222325ull;
    uint8_t head[8] = { k->transport, k->family, (uint8_t)(k->cport >> 8), (uint8_t)k->cport,
                        (uint8_t)(k->sport >> 8), (uint8_t)k->sport, (uint8_t)(k->id >> 8), (uint8_t)k->id };
    for (size_t i = 0; i < sizeof head; i++) h = (h ^ head[i]) * 0x100000001b3ull;
    for (size_t i = 0; i < al; i++) h = (h ^ k->client[i]) * 0x100000001b3ull;
    for (size_t i = 0; i < al; i++) h = (h ^ k->server[i]) * 0x100000001b3ull;
    return h ^ (h >> 29);
}

static bool key_eq(const struct pend *e, const struct key *k, uint64_t h)
{
    size_t al = k->family == 4 ? 4 : 16;
    return e->hash == h && e->transport == k->transport && e->family == k->family && e->id == k->id &&
           e->cport == k->cport && e->sport == k->sport && !memcmp(e->client, k->client, al) &&
           !memcmp(e->server, k->server, al);
}

static uint8_t lower(uint8_t c) { return c >= 'A' && c <= 'Z' ? (uint8_t)(c + 32) : c; }

/* Same question: names compared label by label, the length bytes exactly
 * and the label bytes ASCII case-insensitively (RFC 4343). */
static bool question_eq(const struct pend *e, const struct question *q)
{
    if (!e->has_q || !q->has) return e->has_q == q->has;
    if (e->qtype != q->type || e->qclass != q->qclass || e->qlen != q->len) return false;
    size_t i = 0;
    while (i < q->len) {
        uint8_t b = q->name[i];
        if (e->qname[i] != b) return false;
        for (size_t k = 1; k <= b; k++)
            if (lower(e->qname[i + k]) != lower(q->name[i + k])) return false;
        i += 1u + b;
    }
    return true;
}

static void list_unlink(struct pc_dnstxn_matcher *t, struct pend *e)
{
    if (e->older) e->older->newer = e->newer;
    else t->oldest = e->newer;
    if (e->newer) e->newer->older = e->older;
    else t->newest = e->older;
}

static void unhash(struct pc_dnstxn_matcher *t, struct pend *e)
{
    struct pend **pp = &t->bucket[e->hash & (t->nbuckets - 1)];
    while (*pp != e) pp = &(*pp)->hnext;
    *pp = e->hnext;
}

static void release(struct pc_dnstxn_matcher *t, struct pend *e)
{
    unhash(t, e);
    list_unlink(t, e);
    t->npending--;
    e->hnext = t->free;
    t->free = e;
}

static void name_text(const uint8_t *w, size_t n, char out[PC_DNS_NAME_TEXTMAX])
{
    if (pc_dns_name(w, n, 0, out, PC_DNS_NAME_TEXTMAX, NULL, NULL) < 0) out[0] = 0;
}

/* A transaction from a waiting query (and its response, or none). */
static void deliver(struct pc_dnstxn_matcher *t, const struct pend *e, int status, const uint8_t *resp, size_t rlen,
                    pc_time_ns rts, uint64_t rpkt)
{
    char qname[PC_DNS_NAME_TEXTMAX] = "";
    if (e->has_q) name_text(e->qname, e->qlen, qname);
    struct pc_dnstxn x = {
        .status = status, .transport = e->transport, .family = e->family, .cport = e->cport, .sport = e->sport,
        .id = e->id, .has_question = e->has_q, .qname = qname, .qtype = e->qtype, .qclass = e->qclass,
        .has_query = true, .ts_query = e->ts, .query_pkt = e->pkt, .query_flags = e->flags,
        .retransmissions = e->retrans, .response = resp, .response_len = rlen, .ts_response = rts,
        .response_pkt = rpkt,
    };
    memcpy(x.client, e->client, 16);
    memcpy(x.server, e->server, 16);
    if (t->cbs.txn) t->cbs.txn(t->ctx, &x);
}

/* A waiting query given up: reported unmatched, then released. */
static void give_up(struct pc_dnstxn_matcher *t, struct pend *e, int status)
{
    t->st.unmatched_queries++;
    if (status == PC_DNSTXN_TIMEOUT) t->st.timeouts++;
    if (status == PC_DNSTXN_EVICTED) t->st.evicted++;
    deliver(t, e, status, NULL, 0, 0, 0);
    release(t, e);
}

void pc_dnstxn_expire(struct pc_dnstxn_matcher *t, pc_time_ns now)
{
    while (t->oldest && now - t->oldest->ts > t->timeout) give_up(t, t->oldest, PC_DNSTXN_TIMEOUT);
}

void pc_dnstxn_finish(struct pc_dnstxn_matcher *t)
{
    while (t->oldest) give_up(t, t->oldest, PC_DNSTXN_END);
}

static void grow(struct pc_dnstxn_matcher *t)
{
    uint64_t n = t->nbuckets * 2;
    struct pend **nb = calloc(n, sizeof(struct pend *));
    if (!nb) return; /* longer chains: slower, still right */
    for (uint64_t i = 0; i < t->nbuckets; i++)
        for (struct pend *e = t->bucket[i], *next; e; e = next) {
            next = e->hnext;
            e->hnext = nb[e->hash & (n - 1)];
            nb[e->hash & (n - 1)] = e;
        }
    free(t->bucket);
    t->bucket = nb;
    t->nbuckets = n;
}

static struct pend *entry_alloc(struct pc_dnstxn_matcher *t)
{
    if (!t->free) {
        struct chunk *c = malloc(sizeof *c);
        if (!c) return NULL;
        c->next = t->chunks;
        t->chunks = c;
        for (size_t i = 0; i < CHUNK; i++) {
            c->e[i].hnext = t->free;
            t->free = &c->e[i];
        }
    }
    struct pend *e = t->free;
    t->free = e->hnext;
    return e;
}

static struct pend *find(struct pc_dnstxn_matcher *t, const struct key *k, uint64_t h, const struct question *q,
                         bool any_question)
{
    struct pend *best = NULL;
    for (struct pend *e = t->bucket[h & (t->nbuckets - 1)]; e; e = e->hnext) {
        if (!key_eq(e, k, h)) continue;
        if (!any_question && !question_eq(e, q)) continue;
        if (!best || e->ts < best->ts || (e->ts == best->ts && e->pkt < best->pkt)) best = e;
    }
    return best;
}

static int query(struct pc_dnstxn_matcher *t, const struct key *k, const struct question *q, const uint8_t *p,
                 pc_time_ns ts, uint64_t pkt)
{
    t->st.queries++;
    uint64_t h = key_hash(k);
    struct pend *e = find(t, k, h, q, false);
    if (e && ts - e->ts <= t->retrans) {
        e->retrans++;
        t->st.retransmissions++;
        return 0;
    }
    /* asked again after the window: the client gave the first copy up */
    if (e) give_up(t, e, PC_DNSTXN_TIMEOUT);
    if (t->npending >= t->max_pending && t->oldest) give_up(t, t->oldest, PC_DNSTXN_EVICTED);
    if (t->npending >= t->nbuckets && t->nbuckets < MAX_BUCKETS) grow(t);
    e = entry_alloc(t);
    if (!e) return PC_ENOMEM;
    memset(e, 0, sizeof *e);
    e->hash = h;
    e->transport = k->transport;
    e->family = k->family;
    size_t al = k->family == 4 ? 4 : 16;
    memcpy(e->client, k->client, al);
    memcpy(e->server, k->server, al);
    e->cport = k->cport;
    e->sport = k->sport;
    e->id = k->id;
    e->flags = pc_dns_flags(p);
    e->has_q = q->has;
    e->qlen = q->len;
    memcpy(e->qname, q->name, q->len);
    e->qtype = q->type;
    e->qclass = q->qclass;
    e->ts = ts;
    e->pkt = pkt;
    e->hnext = t->bucket[h & (t->nbuckets - 1)];
    t->bucket[h & (t->nbuckets - 1)] = e;
    e->older = t->newest;
    if (t->newest) t->newest->newer = e;
    else t->oldest = e;
    t->newest = e;
    if (++t->npending > t->st.pending_peak) t->st.pending_peak = t->npending;
    return 0;
}

static void response(struct pc_dnstxn_matcher *t, const struct key *k, const struct question *q, const uint8_t *p,
                     size_t n, pc_time_ns ts, uint64_t pkt)
{
    t->st.responses++;
    uint64_t h = key_hash(k);
    struct pend *e = find(t, k, h, q, !q->has);
    if (e) {
        t->st.matched++;
        deliver(t, e, PC_DNSTXN_MATCHED, p, n, ts, pkt);
        release(t, e);
        return;
    }
    t->st.unmatched_responses++;
    char qname[PC_DNS_NAME_TEXTMAX] = "";
    if (q->has) name_text(q->name, q->len, qname);
    struct pc_dnstxn x = {
        .status = PC_DNSTXN_NO_QUERY, .transport = k->transport, .family = k->family, .cport = k->cport,
        .sport = k->sport, .id = k->id, .has_question = q->has, .qname = qname, .qtype = q->type,
        .qclass = q->qclass, .response = p, .response_len = n, .ts_response = ts, .response_pkt = pkt,
    };
    memcpy(x.client, k->client, k->family == 4 ? 4 : 16);
    memcpy(x.server, k->server, k->family == 4 ? 4 : 16);
    if (t->cbs.txn) t->cbs.txn(t->ctx, &x);
}

/* One message from e->src to e->dst. */
static int message(struct pc_dnstxn_matcher *t, uint8_t transport, const struct pc_dnstxn_ends *e, const uint8_t *p,
                   size_t n, pc_time_ns ts, uint64_t pkt)
{
    pc_dnstxn_expire(t, ts);
    struct question q;
    const char *why = NULL;
    if (!p || !parse(p, n, &q, &why)) {
        error(t, transport, pkt, why ? why : "dns: no message");
        return PC_EMALFORMED;
    }
    bool resp = pc_dns_qr(p);
    struct key k = { .transport = transport, .family = e->family, .id = pc_dns_id(p) };
    k.client = resp ? e->dst : e->src;
    k.server = resp ? e->src : e->dst;
    k.cport = resp ? e->dport : e->sport;
    k.sport = resp ? e->sport : e->dport;
    if (!resp) return query(t, &k, &q, p, ts, pkt);
    response(t, &k, &q, p, n, ts, pkt);
    return 0;
}

int pc_dnstxn_udp(struct pc_dnstxn_matcher *t, const struct pc_dnstxn_ends *e, const uint8_t *p, size_t n,
                  pc_time_ns ts, uint64_t pkt)
{
    if (!t || !e || (!p && n)) return PC_EINVAL;
    return message(t, PC_IPPROTO_UDP, e, p, n, ts, pkt);
}

/* ------------------------------------------------------------ TCP */

struct tdir {
    uint8_t pfx[2];
    uint8_t npfx;      /* length prefix bytes read of the current message */
    uint32_t want;     /* its length (valid when npfx == 2) */
    uint32_t got;      /* bytes of it copied into buf */
    uint32_t skip;     /* bytes of it still to skip (lost or over a limit) */
    bool stopped;      /* framing lost */
    uint8_t *buf;
    uint32_t cap;
};

struct pc_dnstxn_tcp {
    struct pc_dnstxn_matcher *t;
    struct pc_dnstxn_ends e[2]; /* per direction: sender to receiver */
    struct tdir d[2];
};

struct pc_dnstxn_tcp *pc_dnstxn_tcp_new(struct pc_dnstxn_matcher *t, const struct pc_dnstxn_ends *e)
{
    if (!t || !e) return NULL;
    struct pc_dnstxn_tcp *c = calloc(1, sizeof *c);
    if (!c) return NULL;
    c->t = t;
    c->e[0] = *e;
    c->e[1].family = e->family;
    memcpy(c->e[1].src, e->dst, 16);
    memcpy(c->e[1].dst, e->src, 16);
    c->e[1].sport = e->dport;
    c->e[1].dport = e->sport;
    return c;
}

static void buf_drop(struct pc_dnstxn_tcp *c, struct tdir *d, bool keep_small)
{
    if (keep_small && d->cap <= KEEP_BUF) return;
    c->t->tcp_held -= d->cap;
    free(d->buf);
    d->buf = NULL;
    d->cap = 0;
}

void pc_dnstxn_tcp_free(struct pc_dnstxn_tcp *c)
{
    if (!c) return;
    for (int i = 0; i < 2; i++) buf_drop(c, &c->d[i], false);
    free(c);
}

/* Room for the current message in d->buf (it spans feeds). */
static bool buf_room(struct pc_dnstxn_tcp *c, struct tdir *d)
{
    if (d->cap >= d->want) return true;
    if (c->t->tcp_held - d->cap + d->want > PC_DNSTXN_TCP_HELD_MAX) return false;
    uint8_t *nb = realloc(d->buf, d->want);
    if (!nb) return false;
    c->t->tcp_held += d->want - d->cap;
    d->buf = nb;
    d->cap = d->want;
    return true;
}

static void next_message(struct tdir *d)
{
    d->npfx = 0;
    d->want = d->got = 0;
}

void pc_dnstxn_tcp_feed(struct pc_dnstxn_tcp *c, int dir, const uint8_t *p, size_t n, pc_time_ns ts, uint64_t pkt)
{
    if (!c || (dir != 0 && dir != 1) || (!p && n)) return;
    struct tdir *d = &c->d[dir];
    struct pc_dnstxn_matcher *t = c->t;
    while (n && !d->stopped) {
        if (d->skip) {
            size_t k = n < d->skip ? n : d->skip;
            d->skip -= (uint32_t)k;
            p += k;
            n -= k;
            if (!d->skip) next_message(d);
            continue;
        }
        if (d->npfx < 2) {
            d->pfx[d->npfx++] = *p++;
            n--;
            if (d->npfx < 2) continue;
            d->want = pc_get16(d->pfx);
            d->got = 0;
            if (!d->want) {
                error(t, PC_IPPROTO_TCP, pkt, "dns: zero-length message over tcp");
                next_message(d);
            }
            continue;
        }
        uint32_t need = d->want - d->got;
        if (!d->got && n >= need) { /* whole in this feed: no copy */
            message(t, PC_IPPROTO_TCP, &c->e[dir], p, need, ts, pkt);
            p += need;
            n -= need;
            next_message(d);
            continue;
        }
        if (!d->got && !buf_room(c, d)) {
            error(t, PC_IPPROTO_TCP, pkt, "dns: tcp message over the memory held for messages across segments");
            d->skip = need;
            continue;
        }
        size_t k = n < need ? n : need;
        memcpy(d->buf + d->got, p, k);
        d->got += (uint32_t)k;
        p += k;
        n -= k;
        if (d->got == d->want) {
            message(t, PC_IPPROTO_TCP, &c->e[dir], d->buf, d->want, ts, pkt);
            buf_drop(c, d, true);
            next_message(d);
        }
    }
}

void pc_dnstxn_tcp_gap(struct pc_dnstxn_tcp *c, int dir, uint64_t n)
{
    if (!c || (dir != 0 && dir != 1) || !n) return;
    struct tdir *d = &c->d[dir];
    if (d->stopped) return;
    /* inside a message of known length, the framing survives it */
    uint64_t rest = d->skip ? d->skip : d->npfx == 2 ? (uint64_t)(d->want - d->got) : 0;
    if (rest && n <= rest) {
        if (!d->skip) error(c->t, PC_IPPROTO_TCP, 0, "dns: tcp message lost in a gap");
        d->skip = (uint32_t)(rest - n);
        d->got = 0;
        buf_drop(c, d, true);
        if (!d->skip) next_message(d);
        return;
    }
    d->stopped = true;
    buf_drop(c, d, false);
    error(c->t, PC_IPPROTO_TCP, 0, "dns: gap across a tcp message boundary: the rest of the direction is skipped");
}

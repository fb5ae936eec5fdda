/* Traffic statistics (include/pktcraft/analysis/stats.h).
 *
 * Top lists: a hash map from key to a slot of a min-heap ordered by the
 * ranking weight.  A new key takes a free slot, or, when all k are taken,
 * the lightest key's slot inherits its weight as error (Space-Saving), so
 * each packet costs one hash lookup and one sift of O(log k).  Keys are
 * kept as fixed-size binary records (family, addresses, port) and turned
 * into text only when a list is read: a packet formats no string. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pktcraft/analysis/analyzer.h"
#include "pktcraft/analysis/stats.h"
#include "pktcraft/capture/pcap.h"
#include "pktcraft/core/decode.h"
#include "pktcraft/core/fmt.h"
#include "pktcraft/core/limits.h"
#include "pktcraft/wire/ipv4.h"
#include "pktcraft/wire/ipv6.h"
#include "pktcraft/wire/tcp.h"

/* ------------------------------------------------------------ keys */

/* A host (a), a conversation (a and b, in memcmp order: the pair is
 * unordered) or a server port (proto, port).  Unused bytes stay zero so
 * that keys compare and hash as plain bytes. */
struct tkey {
    uint8_t family;         /* 4 or 6 (hosts, conversations) */
    uint8_t proto;          /* 6 or 17 (ports) */
    uint16_t port;
    uint8_t a[16], b[16];
};

/* A hash of n bytes (at most 48; the rest of the last word is zero), a word
 * at a time. */
static uint64_t hash_bytes(const void *p, size_t n)
{
    uint64_t w[6] = { 0 }, h = 0x9e3779b97f4a7c15ull;
    memcpy(w, p, n);
    for (size_t i = 0; i < (n + 7) / 8; i++) {
        h = (h ^ w[i]) * 0xff51afd7ed558ccdull;
        h ^= h >> 32;
    }
    return h;
}

static uint32_t khash(const struct tkey *k) { return (uint32_t)hash_bytes(k, sizeof *k); }

static void fmt_addr(uint8_t family, const uint8_t *a, char out[46])
{
    if (family == 4) pc_fmt_ip4(a, out);
    else pc_fmt_ip6(a, out);
}

/* The text of a key: "10.0.0.1", "10.0.0.1 <-> 10.0.0.2" (the lower
 * text first), "tcp/443". */
static void key_text(int list, const struct tkey *k, char out[100])
{
    char a[46], b[46];
    if (list == PC_STATS_PORTS) {
        snprintf(out, 100, "%s/%u", k->proto == 6 ? "tcp" : "udp", k->port);
        return;
    }
    fmt_addr(k->family, k->a, a);
    if (list == PC_STATS_HOSTS) {
        memcpy(out, a, strlen(a) + 1);
        return;
    }
    fmt_addr(k->family, k->b, b);
    bool swap = strcmp(a, b) > 0;
    snprintf(out, 100, "%s <-> %s", swap ? b : a, swap ? a : b);
}

/* ------------------------------------------------------------ top-k */

struct slot {
    struct tkey key;
    uint32_t hash;
    uint64_t packets, bytes;
    uint64_t error;         /* 0 when exact */
    uint64_t weight;        /* what the list is ranked by (bytes or packets) */
    uint32_t hnext;         /* hash chain, index + 1 (0: end) */
    uint32_t heap;          /* position in the heap */
};

struct topk {
    struct slot *s;
    uint32_t *heap;         /* slot indices, min-heap by weight */
    uint32_t *bucket;       /* index + 1 of the first slot, 0: empty */
    uint32_t k, n, nbuckets;
    bool by_packets;
    bool approx;
};

static bool topk_init(struct topk *t, uint32_t k, bool by_packets)
{
    memset(t, 0, sizeof *t);
    t->k = k;
    t->by_packets = by_packets;
    t->nbuckets = 1;
    while (t->nbuckets < 2 * k) t->nbuckets *= 2;
    t->s = calloc(k, sizeof *t->s);
    t->heap = calloc(k, sizeof *t->heap);
    t->bucket = calloc(t->nbuckets, sizeof *t->bucket);
    return t->s && t->heap && t->bucket;
}

static void topk_free(struct topk *t)
{
    free(t->s);
    free(t->heap);
    free(t->bucket);
}

static void hswap(struct topk *t, uint32_t i, uint32_t j)
{
    uint32_t a = t->heap[i], b = t->heap[j];
    t->heap[i] = b;
    t->heap[j] = a;
    t->s[b].heap = i;
    t->s[a].heap = j;
}

/* A slot's weight only grows: move it down toward the leaves. */
static void sift_down(struct topk *t, uint32_t i)
{
    for (;;) {
        uint32_t l = 2 * i + 1, r = l + 1, m = i;
        if (l < t->n && t->s[t->heap[l]].weight < t->s[t->heap[m]].weight) m = l;
        if (r < t->n && t->s[t->heap[r]].weight < t->s[t->heap[m]].weight) m = r;
        if (m == i) return;
        hswap(t, i, m);
        i = m;
    }
}

static void unchain(struct topk *t, uint32_t idx)
{
    uint32_t *pp = &t->bucket[t->s[idx].hash & (t->nbuckets - 1)];
    while (*pp != idx + 1) pp = &t->s[*pp - 1].hnext;
    *pp = t->s[idx].hnext;
}

static void topk_add(struct topk *t, const struct tkey *key, uint64_t bytes)
{
    uint32_t h = khash(key), b = h & (t->nbuckets - 1), idx;
    for (uint32_t i = t->bucket[b]; i; i = t->s[i - 1].hnext) {
        struct slot *s = &t->s[i - 1];
        if (s->hash != h || memcmp(&s->key, key, sizeof *key)) continue;
        s->packets++;
        s->bytes += bytes;
        s->weight += t->by_packets ? 1 : bytes;
        sift_down(t, s->heap);
        return;
    }
    uint64_t base = 0;
    if (t->n < t->k) { /* a free slot */
        idx = t->n;
        t->heap[t->n] = idx;
        t->s[idx].heap = t->n++;
    } else { /* the lightest key gives its slot up; its weight becomes the error */
        t->approx = true;
        idx = t->heap[0];
        unchain(t, idx);
        base = t->s[idx].weight;
    }
    struct slot *s = &t->s[idx];
    s->key = *key;
    s->hash = h;
    s->packets = 1;
    s->bytes = bytes;
    s->error = base;
    s->weight = base + (t->by_packets ? 1 : bytes);
    if (base) { /* the counts are upper bounds: the error is added to what ranks */
        if (t->by_packets) s->packets += base;
        else s->bytes += base;
    }
    s->hnext = t->bucket[b];
    t->bucket[b] = idx + 1;
    sift_down(t, s->heap);
}

/* ------------------------------------------------------------ hierarchy */

#define MAX_PATHS 4096
#define PATH_MAX_LEN 256 /* 16 layers of names up to 15 characters */
#define SERVERS 65536    /* connections whose SYN names a server port that is not the lower one */

/* The server of a TCP/UDP flow, as the analyzer's flows decide it
 * (flow.h): the receiver of a SYN (the sender of a SYN-ACK seen first),
 * else the lower port.  Only a SYN that disagrees with the lower port
 * needs remembering, so a small table of those does, indexed by a hash of
 * the unordered 5-tuple: a connection whose entry another one took falls
 * back to the lower port, as a flow evicted from a full table would. */
struct syn_server {
    uint64_t tag;           /* the 5-tuple's hash, 0: empty */
    uint16_t port;          /* the server's port */
};


/* The hierarchy is a trie of layer protocols: node 0 is the root, each
 * node knows its child for every protocol, so a packet's path costs one
 * array step a layer. */
struct pc_stats {
    struct pc_stats_opts o;
    struct pc_limits lim;
    struct pc_stats_totals tot;
    struct pc_stats_proto *paths;     /* [i - 1] is node i's */
    char (*names)[PATH_MAX_LEN];
    uint16_t (*child)[PC_P__COUNT];   /* node -> protocol -> node (0: none yet) */
    size_t npaths;
    struct topk top[3];
    struct syn_server *servers;       /* SERVERS entries */
    struct pc_stats_bucket *iv;
    size_t niv, capiv;
    pc_time_ns base;        /* start of interval 0 */
    pc_time_ns prev_ts;
};

struct pc_stats *pc_stats_new(const struct pc_stats_opts *o)
{
    struct pc_stats *s = calloc(1, sizeof *s);
    if (!s) return NULL;
    if (o) s->o = *o;
    if (s->o.lim) s->lim = *s->o.lim;
    else pc_limits_default(&s->lim);
    if (!s->o.interval_ns) s->o.interval_ns = PC_NS_PER_SEC;
    if (!s->o.max_intervals) s->o.max_intervals = 1000000;
    uint32_t k = (uint32_t)s->lim.stats_keys;
    s->paths = calloc(MAX_PATHS, sizeof *s->paths);
    s->names = calloc(MAX_PATHS, sizeof *s->names);
    s->child = calloc(MAX_PATHS + 1, sizeof *s->child);
    s->servers = calloc(SERVERS, sizeof *s->servers);
    bool ok = s->paths && s->names && s->child && s->servers;
    for (int i = 0; i < 3; i++) ok = topk_init(&s->top[i], k, i == PC_STATS_PORTS) && ok;
    if (!ok) {
        pc_stats_free(s);
        return NULL;
    }
    return s;
}

void pc_stats_free(struct pc_stats *s)
{
    if (!s) return;
    for (int i = 0; i < 3; i++) topk_free(&s->top[i]);
    free(s->paths);
    free(s->names);
    free(s->child);
    free(s->iv);
    free(s->servers);
    free(s);
}

/* The node under parent for protocol proto, made on first sight; 0 when
 * the trie is full (the packet then counts only down to parent). */
static uint16_t node(struct pc_stats *s, uint16_t parent, uint8_t proto)
{
    uint16_t n = s->child[parent][proto];
    if (n || s->npaths == MAX_PATHS) return n;
    n = (uint16_t)++s->npaths;
    s->child[parent][proto] = n;
    const char *pre = parent ? s->names[parent - 1] : "";
    snprintf(s->names[n - 1], PATH_MAX_LEN, "%s%s%s", pre, parent ? ":" : "", pc_proto_name(proto));
    s->paths[n - 1] = (struct pc_stats_proto){ .path = s->names[n - 1],
                                               .depth = parent ? s->paths[parent - 1].depth + 1 : 1 };
    return n;
}

/* Count the packet under every prefix of its path of layers. */
static void hierarchy(struct pc_stats *s, const struct pc_decoded *d, uint64_t bytes)
{
    uint16_t at = 0;
    for (int i = 0; i < d->n; i++) {
        if (d->l[i].flags & PC_LF_QUOTED || d->l[i].proto >= PC_P__COUNT) continue;
        uint16_t n = node(s, at, d->l[i].proto);
        if (!n) return;
        s->paths[n - 1].packets++;
        s->paths[n - 1].bytes += bytes;
        at = n;
    }
}

/* ------------------------------------------------------------ the rest */

static int interval(struct pc_stats *s, pc_time_ns ts, uint64_t bytes)
{
    int64_t iv = s->o.interval_ns;
    if (!s->niv) {
        /* intervals start on a multiple of the interval (as tshark's io,stat
         * starts at the first packet; a round start reads better) */
        s->base = ts - ((ts % iv) + iv) % iv;
    }
    if (ts < s->base) { /* earlier than the first interval: prepend empty ones */
        uint64_t more = (uint64_t)((s->base - ts + iv - 1) / iv);
        if (s->niv + more > s->o.max_intervals) return PC_ELIMIT;
        if (s->niv + more > s->capiv) {
            size_t cap = s->niv + more + 64;
            struct pc_stats_bucket *b = realloc(s->iv, cap * sizeof *b);
            if (!b) return PC_ENOMEM;
            s->iv = b;
            s->capiv = cap;
        }
        memmove(s->iv + more, s->iv, s->niv * sizeof *s->iv);
        for (uint64_t k = 0; k < more; k++)
            s->iv[k] = (struct pc_stats_bucket){ .start = s->base - (pc_time_ns)(more - k) * iv };
        s->niv += more;
        s->base -= (pc_time_ns)more * iv;
    }
    uint64_t at = (uint64_t)((ts - s->base) / iv);
    if (at >= s->o.max_intervals) return PC_ELIMIT;
    if (at >= s->capiv) {
        size_t cap = s->capiv ? s->capiv : 64;
        while (cap <= at) cap *= 2;
        struct pc_stats_bucket *b = realloc(s->iv, cap * sizeof *b);
        if (!b) return PC_ENOMEM;
        s->iv = b;
        s->capiv = cap;
    }
    while (s->niv <= at) {
        s->iv[s->niv] = (struct pc_stats_bucket){ .start = s->base + (pc_time_ns)s->niv * iv };
        s->niv++;
    }
    s->iv[at].packets++;
    s->iv[at].bytes += bytes;
    return 0;
}

/* IP layer i's family and addresses into k->family, k->a and k->b. */
static void ip_key(const struct pc_decoded *d, int i, struct tkey *k)
{
    const uint8_t *h = pc_layer_hdr(d, i);
    bool v4 = d->l[i].proto == PC_P_IPV4;
    k->family = v4 ? 4 : 6;
    memcpy(k->a, v4 ? pc_ipv4_src(h) : pc_ipv6_src(h), v4 ? 4 : 16);
    memcpy(k->b, v4 ? pc_ipv4_dst(h) : pc_ipv6_dst(h), v4 ? 4 : 16);
}

/* The first IP layer's addresses (the outer ones of a tunnel, as the
 * packet travelled), into k. */
static bool addresses(const struct pc_decoded *d, struct tkey *k)
{
    for (int i = 0; i < d->n; i++) {
        const struct pc_layer *l = &d->l[i];
        if (l->flags & PC_LF_QUOTED) continue;
        if ((l->proto == PC_P_IPV4 && pc_layer_caphdr(d, i) >= PC_IPV4_HLEN) ||
            (l->proto == PC_P_IPV6 && pc_layer_caphdr(d, i) >= PC_IPV6_HLEN)) {
            ip_key(d, i, k);
            return true;
        }
    }
    return false;
}

/* ------------------------------------------------------------ server ports */

/* The 5-tuple's hash, the same both ways; never 0. */
static uint64_t tuple_hash(const struct tkey *k, uint8_t proto, uint16_t p0, uint16_t p1)
{
    int c = memcmp(k->a, k->b, 16);
    bool swap = c > 0 || (c == 0 && p0 > p1);
    struct {
        uint8_t family, proto;
        uint16_t port[2];
        uint8_t a[16], b[16];
    } t = { .family = k->family, .proto = proto, .port = { swap ? p1 : p0, swap ? p0 : p1 } };
    memcpy(t.a, swap ? k->b : k->a, 16);
    memcpy(t.b, swap ? k->a : k->b, 16);
    return hash_bytes(&t, sizeof t) | 1;
}

static uint16_t server_port(struct pc_stats *s, const struct pc_decoded *d, int l4, const struct tkey *ips,
                            uint8_t proto)
{
    const uint8_t *th = pc_layer_hdr(d, l4);
    uint16_t sport = pc_get16(th), dport = pc_get16(th + 2);
    uint16_t lower = sport < dport ? sport : dport;
    if (proto != 6) return lower;
    uint8_t fl = pc_tcp_flags(th);
    uint64_t tag = tuple_hash(ips, proto, sport, dport);
    struct syn_server *e = &s->servers[(tag >> 1) & (SERVERS - 1)];
    if ((fl & PC_TCP_SYN) && (!(fl & PC_TCP_ACK) || e->tag != tag)) {
        /* a SYN starts the connection (and a SYN-ACK one whose SYN was missed) */
        uint16_t server = fl & PC_TCP_ACK ? sport : dport;
        if (server != lower) *e = (struct syn_server){ .tag = tag, .port = server };
        else if (e->tag == tag) e->tag = 0;
        return server;
    }
    return e->tag == tag ? e->port : lower;
}

int pc_stats_packet(struct pc_stats *s, const struct pc_apkt *p)
{
    const struct pc_pkthdr *h = p->h;
    struct pc_stats_totals *t = &s->tot;
    t->packets++;
    t->bytes += h->len;
    t->captured += h->caplen;
    if (h->has_ts) {
        if (!t->have_ts) t->first = t->last = s->prev_ts = h->ts;
        if (h->ts < s->prev_ts) t->out_of_order++;
        if (h->ts < t->first) t->first = h->ts;
        if (h->ts > t->last) t->last = h->ts;
        t->have_ts = true;
        s->prev_ts = h->ts;
        int rc = interval(s, h->ts, h->len);
        if (rc) return rc;
    }
    /* a fragment held for reassembly is counted as itself; the datagram a
     * fragment completes is counted in that fragment's place */
    hierarchy(s, p->d, h->len);
    struct tkey ips = { 0 };
    if (addresses(p->d, &ips)) {
        struct tkey k = { .family = ips.family };
        memcpy(k.a, ips.a, 16);
        topk_add(&s->top[PC_STATS_HOSTS], &k, h->len);
        memcpy(k.a, ips.b, 16);
        topk_add(&s->top[PC_STATS_HOSTS], &k, h->len);
        /* a conversation is the unordered pair */
        bool swap = memcmp(ips.a, ips.b, 16) > 0;
        memcpy(k.a, swap ? ips.b : ips.a, 16);
        memcpy(k.b, swap ? ips.a : ips.b, 16);
        topk_add(&s->top[PC_STATS_CONVERSATIONS], &k, h->len);
    }
    int ip, l4 = p->fragment ? -1 : pc_flow_transport(p->d, &ip);
    if (l4 >= 0) {
        /* the flow's addresses are its innermost IP layer's */
        struct tkey fk = { 0 };
        ip_key(p->d, ip, &fk);
        uint8_t proto = p->d->l[l4].proto == PC_P_TCP ? 6 : 17;
        struct tkey k = { .proto = proto, .port = server_port(s, p->d, l4, &fk, proto) };
        topk_add(&s->top[PC_STATS_PORTS], &k, h->len);
    }
    return 0;
}

const struct pc_stats_totals *pc_stats_totals(const struct pc_stats *s) { return &s->tot; }

const struct pc_stats_proto *pc_stats_protos(const struct pc_stats *s, size_t *n)
{
    *n = s->npaths;
    return s->paths;
}

/* A slot and its key's text, for ordering the list's head. */
struct ranked {
    const struct slot *s;
    char key[100];
};

static int by_weight_desc(const void *x, const void *y)
{
    const struct slot *a = *(const struct slot *const *)x, *b = *(const struct slot *const *)y;
    return a->weight != b->weight ? (a->weight > b->weight ? -1 : 1) : 0;
}

static int by_weight_then_key(const void *x, const void *y)
{
    const struct ranked *a = x, *b = y;
    if (a->s->weight != b->s->weight) return a->s->weight > b->s->weight ? -1 : 1;
    return strcmp(a->key, b->key); /* ties: a fixed order */
}

size_t pc_stats_top(const struct pc_stats *s, int list, size_t n, struct pc_stats_top *out, bool *approx)
{
    const struct topk *t = &s->top[list];
    if (approx) *approx = t->approx;
    size_t k = n < t->n ? n : t->n;
    if (!k) return 0;
    const struct slot **all = malloc(t->n * sizeof(const struct slot *));
    if (!all) return 0;
    for (uint32_t i = 0; i < t->n; i++) all[i] = &t->s[i];
    qsort(all, t->n, sizeof(const struct slot *), by_weight_desc);
    /* only the keys as heavy as the k-th can be listed: those get their
     * text, and ties among them go in the order of the text */
    size_t m = k;
    while (m < t->n && all[m]->weight == all[k - 1]->weight) m++;
    struct ranked *r = malloc(m * sizeof *r);
    if (!r) {
        free(all);
        return 0;
    }
    for (size_t i = 0; i < m; i++) {
        r[i].s = all[i];
        key_text(list, &all[i]->key, r[i].key);
    }
    qsort(r, m, sizeof *r, by_weight_then_key);
    for (size_t i = 0; i < k; i++) {
        out[i] = (struct pc_stats_top){ .packets = r[i].s->packets, .bytes = r[i].s->bytes, .error = r[i].s->error };
        memcpy(out[i].key, r[i].key, sizeof out[i].key);
    }
    free(r);
    free(all);
    return k;
}

const struct pc_stats_bucket *pc_stats_intervals(const struct pc_stats *s, size_t *n)
{
    *n = s->niv;
    return s->iv;
}

int64_t pc_stats_interval(const struct pc_stats *s) { return s->o.interval_ns; }

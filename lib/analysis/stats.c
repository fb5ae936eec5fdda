/* Traffic statistics (include/pktcraft/analysis/stats.h).
 *
 * Top lists: a hash map from key to a slot of a min-heap ordered by the
 * ranking weight.  A new key takes a free slot, or, when all k are taken,
 * the lightest key's slot inherits its weight as error (Space-Saving), so
 * each packet costs one hash lookup and one sift of O(log k). */
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

/* ------------------------------------------------------------ top-k */

struct slot {
    struct pc_stats_top t;
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

static uint32_t khash(const char *key)
{
    uint32_t h = 2166136261u;
    for (; *key; key++) h = (h ^ (uint8_t)*key) * 16777619u;
    return h;
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
    uint32_t *pp = &t->bucket[khash(t->s[idx].t.key) & (t->nbuckets - 1)];
    while (*pp != idx + 1) pp = &t->s[*pp - 1].hnext;
    *pp = t->s[idx].hnext;
}

static void topk_add(struct topk *t, const char *key, uint64_t bytes)
{
    uint32_t b = khash(key) & (t->nbuckets - 1), idx;
    for (uint32_t i = t->bucket[b]; i; i = t->s[i - 1].hnext) {
        struct slot *s = &t->s[i - 1];
        if (strcmp(s->t.key, key)) continue;
        s->t.packets++;
        s->t.bytes += bytes;
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
    snprintf(s->t.key, sizeof s->t.key, "%s", key);
    s->t.packets = 1;
    s->t.bytes = bytes;
    s->t.error = base;
    s->weight = base + (t->by_packets ? 1 : bytes);
    if (base) { /* the counts are upper bounds: the error is added to what ranks */
        if (t->by_packets) s->t.packets += base;
        else s->t.bytes += base;
    }
    s->hnext = t->bucket[b];
    t->bucket[b] = idx + 1;
    sift_down(t, s->heap);
}

static int by_weight_desc(const void *x, const void *y)
{
    const struct slot *a = *(const struct slot *const *)x, *b = *(const struct slot *const *)y;
    if (a->weight != b->weight) return a->weight > b->weight ? -1 : 1;
    return strcmp(a->t.key, b->t.key); /* ties: a fixed order */
}

/* ------------------------------------------------------------ hierarchy */

#define MAX_PATHS 4096
#define PATH_MAX_LEN 256 /* 16 layers of names up to 15 characters */

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
    bool ok = s->paths && s->names && s->child;
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

/* The first IP layer's addresses (the outer ones of a tunnel, as the
 * packet travelled). */
static bool addresses(const struct pc_decoded *d, char a[46], char b[46])
{
    for (int i = 0; i < d->n; i++) {
        const struct pc_layer *l = &d->l[i];
        if (l->flags & PC_LF_QUOTED) continue;
        if (l->proto == PC_P_IPV4 && pc_layer_caphdr(d, i) >= PC_IPV4_HLEN) {
            pc_fmt_ip4(pc_ipv4_src(pc_layer_hdr(d, i)), a);
            pc_fmt_ip4(pc_ipv4_dst(pc_layer_hdr(d, i)), b);
            return true;
        }
        if (l->proto == PC_P_IPV6 && pc_layer_caphdr(d, i) >= PC_IPV6_HLEN) {
            pc_fmt_ip6(pc_ipv6_src(pc_layer_hdr(d, i)), a);
            pc_fmt_ip6(pc_ipv6_dst(pc_layer_hdr(d, i)), b);
            return true;
        }
    }
    return false;
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
    char a[46], b[46], key[100];
    if (addresses(p->d, a, b)) {
        topk_add(&s->top[PC_STATS_HOSTS], a, h->len);
        topk_add(&s->top[PC_STATS_HOSTS], b, h->len);
        /* a conversation is the unordered pair */
        bool swap = strcmp(a, b) > 0;
        snprintf(key, sizeof key, "%s <-> %s", swap ? b : a, swap ? a : b);
        topk_add(&s->top[PC_STATS_CONVERSATIONS], key, h->len);
    }
    if (p->flow) {
        snprintf(key, sizeof key, "%s/%u", p->flow->proto == 6 ? "tcp" : "udp", p->flow->sport);
        topk_add(&s->top[PC_STATS_PORTS], key, h->len);
    }
    return 0;
}

const struct pc_stats_totals *pc_stats_totals(const struct pc_stats *s) { return &s->tot; }

const struct pc_stats_proto *pc_stats_protos(const struct pc_stats *s, size_t *n)
{
    *n = s->npaths;
    return s->paths;
}

size_t pc_stats_top(const struct pc_stats *s, int list, size_t n, struct pc_stats_top *out, bool *approx)
{
    const struct topk *t = &s->top[list];
    if (approx) *approx = t->approx;
    const struct slot **all = malloc((t->n ? t->n : 1) * sizeof(const struct slot *));
    if (!all) return 0;
    for (uint32_t i = 0; i < t->n; i++) all[i] = &t->s[i];
    qsort(all, t->n, sizeof(const struct slot *), by_weight_desc);
    size_t k = n < t->n ? n : t->n;
    for (size_t i = 0; i < k; i++) out[i] = all[i]->t;
    free(all);
    return k;
}

const struct pc_stats_bucket *pc_stats_intervals(const struct pc_stats *s, size_t *n)
{
    *n = s->niv;
    return s->iv;
}

int64_t pc_stats_interval(const struct pc_stats *s) { return s->o.interval_ns; }

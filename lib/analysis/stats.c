/* Traffic statistics (include/pktcraft/analysis/stats.h).
 *
 * Top lists: a hash table (open addressing; a bucket holds a slot index
 * and a tag of the key's hash) from key to a slot of a min-heap ordered
 * by the ranking weight.  A new key takes a free slot, or, when all k are
 * taken, the lightest key's slot inherits its weight as error
 * (Space-Saving), so each packet costs one hash lookup and one sift of
 * O(log k).  Keys are kept as fixed-size binary records (family,
 * addresses, port) and turned into text only when a list is read: a
 * packet formats no string.
 *
 * What a packet costs was measured (callgrind, perf): a packet touches
 * a conversation's bucket and slot, its hosts' slots through the
 * conversation's links, the few server ports' slot and one hierarchy
 * counter; every key is built a word at a time where it is looked up. */
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

/* A host (a), a conversation (a and b, the lower first: the pair is
 * unordered) or a server port (meta only).  An address is two big-endian
 * words of its bytes (IPv4: the first word's high half, the rest zero), so
 * that keys compare and hash as four words and a meta word, and two
 * addresses compare as their bytes do. */
struct tkey {
    uint64_t addr[4];       /* a: [0..1], b: [2..3] */
    uint32_t meta;          /* family (4, 6: hosts, conversations) | proto (6, 17: ports) << 8 | port << 16 */
};

static uint64_t get64(const uint8_t *p) { return (uint64_t)pc_get32(p) << 32 | pc_get32(p + 4); }

/* An address's two words, from its 4 or 16 bytes. */
static void addr_words(const uint8_t *p, bool v4, uint64_t w[2])
{
    w[0] = v4 ? (uint64_t)pc_get32(p) << 32 : get64(p);
    w[1] = v4 ? 0 : get64(p + 8);
}

static int addr_cmp(const uint64_t *x, const uint64_t *y)
{
    if (x[0] != y[0]) return x[0] < y[0] ? -1 : 1;
    return x[1] != y[1] ? (x[1] < y[1] ? -1 : 1) : 0;
}

/* The words are multiplied by distinct odd constants and summed (the
 * products in parallel, not a chain of dependent rounds: a lookup's first
 * step is this), then mixed so that every bit of the sum reaches the low
 * bits (the bucket) and the top ones (the tag). */
static uint32_t khash(const struct tkey *k)
{
    uint64_t h = k->addr[0] * 0x9e3779b97f4a7c15ull + k->addr[1] * 0xc2b2ae3d27d4eb4full +
                 k->addr[2] * 0x165667b19e3779f9ull + k->addr[3] * 0xd6e8feb86659fd93ull +
                 k->meta * 0xff51afd7ed558ccdull;
    h ^= h >> 32;
    h *= 0xc4ceb9fe1a85ec53ull;
    h ^= h >> 29;
    return (uint32_t)h;
}

/* ------------------------------------------------------------ top-k */

/* A counted key: one cache line, so that a packet's update reads and
 * writes one line (the bucket array is the other, and it is small). */
struct slot {
    uint64_t addr[4];       /* the key (struct tkey) */
    uint32_t meta;
    uint32_t heap;          /* position in the heap */
    uint64_t packets, bytes; /* what the list is ranked by is one of them (topk.by_packets) */
    /* conversations: the slots of hosts a and b in the hosts list when
     * they were last counted, so that a packet of a known conversation
     * finds its hosts without hashing them (a hint: the slot may hold
     * another key since, which its key tells) */
    uint32_t host[2];
};
_Static_assert(sizeof(struct slot) == 64, "a slot is one cache line");

/* A bucket is 0 (empty) or a slot's index + 1 in the low bits with the
 * top bits of its key's hash as a tag: a probe that meets another key
 * mostly learns so from the tag, without reading that key's slot. */
#define TAG_MASK 0xfe000000u /* 7 bits */
#define IDX_MASK 0x01ffffffu /* slot index + 1; stats-keys is at most 2^24 */
#define MIN_BUCKETS 64u

/* Open addressing with linear probing, at most half full: the table has
 * room for maxb buckets (at least 2k, a power of 2) but uses the first nb,
 * doubled as keys come, so that a capture with few keys probes a few
 * cache-resident lines. */
struct topk {
    struct slot *s;         /* k slots, the first n in use */
    uint64_t *error;        /* per slot, 0 when exact (apart: only taking a slot writes it) */
    uint32_t *heap;         /* slot indices, min-heap by weight */
    uint32_t *bucket;       /* maxb entries, the first nb in use */
    uint32_t k, n, nb, maxb;
    bool by_packets;        /* ranked by packets, else by bytes */
    bool approx;
};

static bool topk_init(struct topk *t, uint32_t k, bool by_packets)
{
    memset(t, 0, sizeof *t);
    t->k = k;
    t->by_packets = by_packets;
    t->maxb = 1;
    while (t->maxb < 2 * k) t->maxb *= 2;
    t->nb = t->maxb < MIN_BUCKETS ? t->maxb : MIN_BUCKETS;
    /* slots are written before they are read: no need to zero them (the
     * pages of the ones never used are never touched) */
    t->s = aligned_alloc(sizeof *t->s, (size_t)k * sizeof *t->s);
    t->error = malloc((size_t)k * sizeof *t->error);
    t->heap = calloc(k, sizeof *t->heap);
    t->bucket = calloc(t->maxb, sizeof *t->bucket);
    return t->s && t->error && t->heap && t->bucket;
}

static void topk_free(struct topk *t)
{
    free(t->s);
    free(t->error);
    free(t->heap);
    free(t->bucket);
}

static uint64_t weight(const struct topk *t, const struct slot *s) { return t->by_packets ? s->packets : s->bytes; }

static void slot_key(const struct slot *s, struct tkey *k)
{
    memcpy(k->addr, s->addr, sizeof k->addr);
    k->meta = s->meta;
}

static uint32_t slot_hash(const struct slot *s)
{
    struct tkey k;
    slot_key(s, &k);
    return khash(&k);
}

static bool same_key(const struct slot *s, const struct tkey *k)
{
    uint64_t d = (s->addr[0] ^ k->addr[0]) | (s->addr[1] ^ k->addr[1]) | (s->addr[2] ^ k->addr[2]) |
                 (s->addr[3] ^ k->addr[3]) | (s->meta ^ k->meta);
    return d == 0;
}

/* Put slot idx, whose key hashes to h, in the first empty bucket from its own. */
static void place(struct topk *t, uint32_t h, uint32_t idx)
{
    uint32_t mask = t->nb - 1, b = h & mask;
    while (t->bucket[b]) b = (b + 1) & mask;
    t->bucket[b] = (h & TAG_MASK) | (idx + 1);
}

/* Use nb buckets, placing every key again. */
static void rebuild(struct topk *t, uint32_t nb)
{
    t->nb = nb;
    memset(t->bucket, 0, nb * sizeof *t->bucket);
    for (uint32_t i = 0; i < t->n; i++) place(t, slot_hash(&t->s[i]), i);
}

static struct slot *find(const struct topk *t, const struct tkey *key, uint32_t h)
{
    uint32_t mask = t->nb - 1;
    for (uint32_t b = h & mask;; b = (b + 1) & mask) { /* ends: a bucket is empty */
        uint32_t e = t->bucket[b];
        if (!e) return NULL;
        if ((e ^ h) & TAG_MASK) continue;
        struct slot *s = &t->s[(e & IDX_MASK) - 1];
        if (same_key(s, key)) return s;
    }
}

/* Take slot idx's key out of the buckets.  The keys after it in its run
 * move back over the hole when their own bucket is not between the hole
 * and where they are (backward-shift deletion: no tombstones, so probes
 * stay as short as the load allows however many keys come and go). */
static void unplace(struct topk *t, uint32_t idx)
{
    uint32_t mask = t->nb - 1, i = slot_hash(&t->s[idx]) & mask;
    while ((t->bucket[i] & IDX_MASK) != idx + 1) i = (i + 1) & mask;
    for (uint32_t j = i;;) {
        j = (j + 1) & mask;
        uint32_t e = t->bucket[j];
        if (!e) break;
        uint32_t home = slot_hash(&t->s[(e & IDX_MASK) - 1]) & mask;
        if (((j - home) & mask) < ((j - i) & mask)) continue; /* its bucket is in (i, j] */
        t->bucket[i] = e;
        i = j;
    }
    t->bucket[i] = 0;
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
        if (l < t->n && weight(t, &t->s[t->heap[l]]) < weight(t, &t->s[t->heap[m]])) m = l;
        if (r < t->n && weight(t, &t->s[t->heap[r]]) < weight(t, &t->s[t->heap[m]])) m = r;
        if (m == i) return;
        hswap(t, i, m);
        i = m;
    }
}

/* A key not in the list: it takes a free slot or, when all k are taken,
 * the lightest key's. */
static struct slot *topk_insert(struct topk *t, const struct tkey *key, uint32_t h, uint64_t bytes)
{
    uint32_t idx;
    uint64_t base = 0;
    if (t->n < t->k) { /* a free slot */
        if (2 * (t->n + 1) > t->nb && t->nb < t->maxb) rebuild(t, 2 * t->nb);
        idx = t->n;
        t->heap[t->n] = idx;
        t->s[idx].heap = t->n++;
    } else { /* the lightest key gives its slot up; its weight becomes the error */
        t->approx = true;
        idx = t->heap[0];
        unplace(t, idx);
        base = weight(t, &t->s[idx]);
    }
    struct slot *s = &t->s[idx];
    memcpy(s->addr, key->addr, sizeof s->addr);
    s->meta = key->meta;
    /* the counts are upper bounds: the error is added to what ranks */
    s->packets = 1 + (t->by_packets ? base : 0);
    s->bytes = bytes + (t->by_packets ? 0 : base);
    s->host[0] = s->host[1] = UINT32_MAX;
    t->error[idx] = base;
    place(t, h, idx);
    sift_down(t, s->heap);
    return s;
}

/* Count a packet of a key already in the list, in its slot s. */
static inline void count(struct topk *t, struct slot *s, uint64_t bytes)
{
    s->packets++;
    s->bytes += bytes;
    if (2 * s->heap + 1 < t->n) sift_down(t, s->heap); /* (a leaf has nowhere to go) */
}

/* Count a packet of a key; the slot it is counted in. */
static inline struct slot *topk_add(struct topk *t, const struct tkey *key, uint64_t bytes)
{
    uint32_t h = khash(key);
    struct slot *s = find(t, key, h);
    if (!s) return topk_insert(t, key, h, bytes);
    count(t, s, bytes);
    return s;
}

/* The text of a key: "10.0.0.1", "10.0.0.1 <-> 10.0.0.2" (the lower
 * text first), "tcp/443". */
static void fmt_addr(uint8_t family, const uint64_t *w, char out[46])
{
    uint8_t a[16];
    pc_put32(a, (uint32_t)(w[0] >> 32));
    pc_put32(a + 4, (uint32_t)w[0]);
    pc_put32(a + 8, (uint32_t)(w[1] >> 32));
    pc_put32(a + 12, (uint32_t)w[1]);
    if (family == 4) pc_fmt_ip4(a, out);
    else pc_fmt_ip6(a, out);
}

static void key_text(int list, const struct slot *s, char out[100])
{
    char a[46], b[46];
    uint8_t family = (uint8_t)s->meta, proto = (uint8_t)(s->meta >> 8);
    if (list == PC_STATS_PORTS) {
        snprintf(out, 100, "%s/%u", proto == 6 ? "tcp" : "udp", (unsigned)(s->meta >> 16));
        return;
    }
    fmt_addr(family, s->addr, a);
    if (list == PC_STATS_HOSTS) {
        memcpy(out, a, strlen(a) + 1);
        return;
    }
    fmt_addr(family, s->addr + 2, b);
    bool swap = strcmp(a, b) > 0;
    snprintf(out, 100, "%s <-> %s", swap ? b : a, swap ? a : b);
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


struct path_end {
    uint64_t packets, bytes;
};

/* The hierarchy is a trie of layer protocols: node 0 is the root, each
 * node knows its child for every protocol, so a packet's path costs one
 * array step a layer. */
struct pc_stats {
    struct pc_stats_opts o;
    struct pc_limits lim;
    struct pc_stats_totals tot;
    struct pc_stats_proto *paths;     /* [i - 1] is node i's (counts: when read) */
    struct path_end *ends;            /* [i - 1]: the packets whose path ends at node i */
    uint16_t *parent;                 /* [i - 1]: node i's parent (0: the root) */
    char (*names)[PATH_MAX_LEN];
    uint16_t (*child)[PC_P__COUNT];   /* node -> protocol -> node (0: none yet) */
    size_t npaths;
    struct topk top[3];
    struct syn_server *servers;       /* SERVERS entries */
    uint32_t nservers;                /* of them in use */
    struct pc_stats_bucket *iv;
    size_t niv, capiv;
    pc_time_ns base;        /* start of interval 0 */
    pc_time_ns prev_ts;
    size_t cur;             /* the interval of the packet before, which most packets share */
    pc_time_ns cur_start;
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
    s->ends = calloc(MAX_PATHS, sizeof *s->ends);
    s->parent = calloc(MAX_PATHS, sizeof *s->parent);
    s->child = calloc(MAX_PATHS + 1, sizeof *s->child);
    s->servers = calloc(SERVERS, sizeof *s->servers);
    bool ok = s->paths && s->names && s->ends && s->parent && s->child && s->servers;
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
    free(s->ends);
    free(s->parent);
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
    s->parent[n - 1] = parent;
    return n;
}

/* Count the packet under every prefix of its path of layers: at the node
 * where the path ends, to which pc_stats_protos() adds the counts of the
 * nodes below (one counter a packet rather than one a layer). */
static void hierarchy(struct pc_stats *s, const struct pc_decoded *d, uint64_t bytes)
{
    uint16_t at = 0;
    for (int i = 0; i < d->n; i++) {
        if (d->l[i].flags & PC_LF_QUOTED || d->l[i].proto >= PC_P__COUNT) continue;
        uint16_t n = node(s, at, d->l[i].proto);
        if (!n) break;
        at = n;
    }
    if (at) {
        s->ends[at - 1].packets++;
        s->ends[at - 1].bytes += bytes;
    }
}

/* ------------------------------------------------------------ the rest */

static int interval(struct pc_stats *s, pc_time_ns ts, uint64_t bytes)
{
    int64_t iv = s->o.interval_ns;
    if (s->niv && ts >= s->cur_start && (uint64_t)ts - (uint64_t)s->cur_start < (uint64_t)iv) {
        s->iv[s->cur].packets++;
        s->iv[s->cur].bytes += bytes;
        return 0;
    }
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
    s->cur = at;
    s->cur_start = s->iv[at].start;
    return 0;
}

/* IP layer i's addresses as a key's a and b (family in meta). */
static void ip_key(const struct pc_decoded *d, int i, struct tkey *k)
{
    const uint8_t *h = pc_layer_hdr(d, i);
    bool v4 = d->l[i].proto == PC_P_IPV4;
    k->meta = v4 ? 4 : 6;
    addr_words(v4 ? pc_ipv4_src(h) : pc_ipv6_src(h), v4, k->addr);
    addr_words(v4 ? pc_ipv4_dst(h) : pc_ipv6_dst(h), v4, k->addr + 2);
}

/* The first IP layer (the outer one of a tunnel, as the packet
 * travelled) whose addresses were captured; -1 when there is none. */
static int first_ip(const struct pc_decoded *d)
{
    for (int i = 0; i < d->n; i++) {
        const struct pc_layer *l = &d->l[i];
        if (l->flags & PC_LF_QUOTED) continue;
        if ((l->proto == PC_P_IPV4 && pc_layer_caphdr(d, i) >= PC_IPV4_HLEN) ||
            (l->proto == PC_P_IPV6 && pc_layer_caphdr(d, i) >= PC_IPV6_HLEN))
            return i;
    }
    return -1;
}

/* Count host a (the words at w) of conversation slot c: through the
 * conversation's link to its slot when that slot still holds it. */
static void count_host(struct topk *t, struct slot *c, int side, const uint64_t *w, uint32_t meta, uint64_t bytes)
{
    uint32_t i = c->host[side];
    if (i < t->n && t->s[i].addr[0] == w[0] && t->s[i].addr[1] == w[1] && t->s[i].meta == meta) {
        count(t, &t->s[i], bytes);
        return;
    }
    struct tkey k = { .addr = { w[0], w[1] }, .meta = meta };
    c->host[side] = (uint32_t)(topk_add(t, &k, bytes) - t->s);
}

/* The conversation and both hosts of IP layer i (the conversation first:
 * it knows where its hosts are). */
static void count_addresses(struct pc_stats *s, const struct pc_decoded *d, int i, uint64_t bytes)
{
    const uint8_t *h = pc_layer_hdr(d, i);
    bool v4 = d->l[i].proto == PC_P_IPV4;
    struct tkey k = { .meta = v4 ? 4 : 6 };
    /* a conversation is the unordered pair: the lower address first (the
     * words are written one by one into the key looked up: a key copied
     * in wider pieces than it was written in would stall the loads) */
    addr_words(v4 ? pc_ipv4_src(h) : pc_ipv6_src(h), v4, k.addr);
    addr_words(v4 ? pc_ipv4_dst(h) : pc_ipv6_dst(h), v4, k.addr + 2);
    int src = 0;
    if (addr_cmp(k.addr, k.addr + 2) > 0) {
        uint64_t x = k.addr[0], y = k.addr[1];
        k.addr[0] = k.addr[2];
        k.addr[1] = k.addr[3];
        k.addr[2] = x;
        k.addr[3] = y;
        src = 1;
    }
    struct slot *c = topk_add(&s->top[PC_STATS_CONVERSATIONS], &k, bytes);
    count_host(&s->top[PC_STATS_HOSTS], c, src, k.addr + 2 * src, k.meta, bytes);
    count_host(&s->top[PC_STATS_HOSTS], c, 1 - src, k.addr + 2 * (1 - src), k.meta, bytes);
}

/* ------------------------------------------------------------ server ports */

/* The 5-tuple's hash, the same both ways; never 0.
 *
 * It is the hash, a word at a time, of the bytes family, proto, the two
 * ports (as memory holds a uint16_t), the two addresses (16 bytes each),
 * the lower address first (the lower port first when they are equal),
 * read as five little-endian words.  Which connections share an entry of
 * the table depends on it, so it stays the one the table has always used;
 * the words are put together from the address words in registers (a
 * buffer written bytewise and read wordwise would stall every load). */
static uint64_t tuple_hash(const struct tkey *k, uint8_t proto, uint16_t p0, uint16_t p1)
{
    int c = addr_cmp(k->addr, k->addr + 2);
    bool swap = c > 0 || (c == 0 && p0 > p1);
    const uint64_t *a = swap ? k->addr + 2 : k->addr, *b = swap ? k->addr : k->addr + 2;
    uint16_t lo = swap ? p1 : p0, hi = swap ? p0 : p1;
    /* the addresses' bytes as little-endian words: byte 0 lowest */
    uint64_t a0 = __builtin_bswap64(a[0]), a1 = __builtin_bswap64(a[1]);
    uint64_t b0 = __builtin_bswap64(b[0]), b1 = __builtin_bswap64(b[1]);
    uint64_t w[5] = {
        (k->meta & 0xff) | (uint64_t)proto << 8 | (uint64_t)lo << 16 | (uint64_t)hi << 32 | a0 << 48, /* bytes 0-7 */
        a0 >> 16 | a1 << 48,                                                                      /* 8-15 */
        a1 >> 16 | b0 << 48,                                                                      /* 16-23 */
        b0 >> 16 | b1 << 48,                                                                      /* 24-31 */
        b1 >> 16,                                                                                 /* 32-37 */
    };
    uint64_t h = 0x9e3779b97f4a7c15ull;
    for (int i = 0; i < 5; i++) {
        h = (h ^ w[i]) * 0xff51afd7ed558ccdull;
        h ^= h >> 32;
    }
    return h | 1;
}

/* The server port of the TCP or UDP layer l4 under IP layer ip. */
static uint16_t server_port(struct pc_stats *s, const struct pc_decoded *d, int l4, int ip)
{
    const uint8_t *th = pc_layer_hdr(d, l4);
    uint16_t sport = pc_get16(th), dport = pc_get16(th + 2);
    uint16_t lower = sport < dport ? sport : dport;
    if (d->l[l4].proto != PC_P_TCP) return lower;
    uint8_t fl = pc_tcp_flags(th);
    if (!s->nservers) { /* none remembered: no need to hash the connection to know */
        if (!(fl & PC_TCP_SYN)) return lower;
        if ((fl & PC_TCP_ACK ? sport : dport) == lower) return lower;
    }
    /* the flow's addresses are its innermost IP layer's */
    struct tkey fk;
    ip_key(d, ip, &fk);
    uint64_t tag = tuple_hash(&fk, 6, sport, dport);
    struct syn_server *e = &s->servers[(tag >> 1) & (SERVERS - 1)];
    if ((fl & PC_TCP_SYN) && (!(fl & PC_TCP_ACK) || e->tag != tag)) {
        /* a SYN starts the connection (and a SYN-ACK one whose SYN was missed) */
        uint16_t server = fl & PC_TCP_ACK ? sport : dport;
        if (server != lower) {
            s->nservers += !e->tag;
            *e = (struct syn_server){ .tag = tag, .port = server };
        } else if (e->tag == tag) {
            e->tag = 0;
            s->nservers--;
        }
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
    int a = first_ip(p->d);
    if (a >= 0) count_addresses(s, p->d, a, h->len);
    int ip, l4 = p->fragment ? -1 : pc_flow_transport(p->d, &ip);
    if (l4 >= 0) {
        uint8_t proto = p->d->l[l4].proto == PC_P_TCP ? 6 : 17;
        struct tkey k = { .meta = (uint32_t)proto << 8 | (uint32_t)server_port(s, p->d, l4, ip) << 16 };
        topk_add(&s->top[PC_STATS_PORTS], &k, h->len);
    }
    return 0;
}

const struct pc_stats_totals *pc_stats_totals(const struct pc_stats *s) { return &s->tot; }

const struct pc_stats_proto *pc_stats_protos(const struct pc_stats *s, size_t *n)
{
    /* a node counts the packets that end at it and below it; a node is
     * made after its parent, so from the last one back every node's sum
     * is complete before it goes to its parent */
    for (size_t i = 0; i < s->npaths; i++) {
        s->paths[i].packets = s->ends[i].packets;
        s->paths[i].bytes = s->ends[i].bytes;
    }
    for (size_t i = s->npaths; i > 0; i--) {
        uint16_t p = s->parent[i - 1];
        if (!p) continue;
        s->paths[p - 1].packets += s->paths[i - 1].packets;
        s->paths[p - 1].bytes += s->paths[i - 1].bytes;
    }
    *n = s->npaths;
    return s->paths;
}

/* A slot with its weight, and the key's text once it is needed, for
 * ordering the list's head. */
struct weighed {
    uint64_t w;
    const struct slot *s;
};

struct ranked {
    uint64_t w;
    const struct slot *s;
    char key[100];
};

static int by_weight_desc(const void *x, const void *y)
{
    const struct weighed *a = x, *b = y;
    return a->w != b->w ? (a->w > b->w ? -1 : 1) : 0;
}

static int by_weight_then_key(const void *x, const void *y)
{
    const struct ranked *a = x, *b = y;
    if (a->w != b->w) return a->w > b->w ? -1 : 1;
    return strcmp(a->key, b->key); /* ties: a fixed order */
}

size_t pc_stats_top(const struct pc_stats *s, int list, size_t n, struct pc_stats_top *out, bool *approx)
{
    const struct topk *t = &s->top[list];
    if (approx) *approx = t->approx;
    size_t k = n < t->n ? n : t->n;
    if (!k) return 0;
    struct weighed *all = malloc(t->n * sizeof *all);
    if (!all) return 0;
    for (uint32_t i = 0; i < t->n; i++) all[i] = (struct weighed){ weight(t, &t->s[i]), &t->s[i] };
    qsort(all, t->n, sizeof *all, by_weight_desc);
    /* only the keys as heavy as the k-th can be listed: those get their
     * text, and ties among them go in the order of the text */
    size_t m = k;
    while (m < t->n && all[m].w == all[k - 1].w) m++;
    struct ranked *r = malloc(m * sizeof *r);
    if (!r) {
        free(all);
        return 0;
    }
    for (size_t i = 0; i < m; i++) {
        r[i].w = all[i].w;
        r[i].s = all[i].s;
        key_text(list, all[i].s, r[i].key);
    }
    qsort(r, m, sizeof *r, by_weight_then_key);
    for (size_t i = 0; i < k; i++) {
        out[i] = (struct pc_stats_top){ .packets = r[i].s->packets, .bytes = r[i].s->bytes, .error = t->error[r[i].s - t->s] };
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

/* IP defragmentation for analysis (include/pktcraft/analysis/defrag.h).
 *
 * Each pending datagram keeps its fragments as copies in arrival order.
 * Reassembly lays them into one buffer in that order (the last bytes win)
 * or in reverse (the first bytes win), so the overlap policy is one loop
 * direction; overlaps and conflicts are found when a fragment arrives, by
 * comparing it with the ones already held.  Datagrams are found through a
 * hash table and given up oldest first (timeout, memory) through an age
 * list, so every step is proportional to the fragments of one datagram. */
#include <stdlib.h>
#include <string.h>

#include "../internal.h"
#include "pktcraft/analysis/defrag.h"
#include "pktcraft/core/fmt.h"
#include "pktcraft/core/checksum.h"
#include "pktcraft/wire/ipv4.h"
#include "pktcraft/wire/ipv6.h"

#define BUCKETS 4096u
#define FRAG_OVERHEAD 64u      /* allowance per fragment for the allocation and list */
#define MAX_FRAGS 8192u        /* 65535 bytes in 8-byte pieces: more is an attack */
#define IP_MAX 65535u

struct frag {
    struct frag *next;
    uint32_t off, len;
    uint8_t data[];
};

struct dgram {
    struct dgram *hnext;         /* hash chain */
    struct dgram *older, *newer; /* age list, oldest first */
    uint8_t version, proto;
    uint8_t src[16], dst[16];
    uint32_t ident;
    uint64_t id;                 /* serial number, for the caller */
    pc_time_ns first_ts;
    uint64_t first_pkt, last_pkt;
    struct frag *frags, *tail;   /* arrival order */
    uint32_t nfrags;
    uint32_t unheld;             /* fragments seen but refused (the one that made it give up) */
    int64_t total;               /* payload length, -1 until the last fragment */
    uint8_t *head;               /* link header + unfragmentable IP part of the offset-0 fragment */
    uint32_t headlen, ip_off;
    int linktype;                /* of the frame head came from */
    uint32_t nh_at;              /* IPv6: where in head the Next Header that said 44 is */
    uint8_t frag_nh;             /* IPv6: the Fragment header's Next Header */
    uint64_t mem;
};

struct pc_defrag {
    struct pc_defrag_opts o;
    pc_defrag_report_cb cb;
    void *ctx;
    struct dgram *bucket[BUCKETS];
    struct dgram *oldest, *newest;
    uint32_t pending;
    uint64_t mem;
    struct pc_defrag_stats st;
    uint64_t next_id;            /* serial number of the next datagram created */
    uint8_t *out;                /* the last reassembled frame */
    size_t outcap;
};

const char *pc_overlap_policy_name(int policy) { return policy == PC_OVERLAP_LAST ? "last" : "first"; }

const char *pc_defrag_what_name(int what)
{
    static const char *const names[] = {
        [PC_DF_OVERLAP] = "overlap",       [PC_DF_CONFLICT] = "conflict",   [PC_DF_V6_OVERLAP] = "ipv6-overlap",
        [PC_DF_TIMEOUT] = "timeout",       [PC_DF_EVICTED] = "evicted",     [PC_DF_TOO_BIG] = "too-big",
        [PC_DF_INCONSISTENT] = "inconsistent", [PC_DF_INCOMPLETE] = "incomplete", [PC_DF_CUT] = "cut",
    };
    return what > 0 && what <= PC_DF_CUT ? names[what] : "?";
}

bool pc_defrag_given_up(const struct pc_defrag_report *r)
{
    return r->what != PC_DF_OVERLAP && r->what != PC_DF_CONFLICT;
}

void pc_defrag_describe(const struct pc_defrag_report *r, struct pc_fmt *f)
{
    char a[46], b[46];
    if (r->version == 6) {
        pc_fmt_ip6(r->src, a);
        pc_fmt_ip6(r->dst, b);
    } else {
        pc_fmt_ip4(r->src, a);
        pc_fmt_ip4(r->dst, b);
    }
    pc_fmt_printf(f, "IPv%u %s > %s id 0x%x proto %u, packets %llu", r->version, a, b, (unsigned)r->ident,
                  r->proto, (unsigned long long)r->first_pkt);
    if (r->last_pkt != r->first_pkt) pc_fmt_printf(f, "-%llu", (unsigned long long)r->last_pkt);
    pc_fmt_printf(f, " (%u fragment%s): ", (unsigned)r->nfrags, r->nfrags == 1 ? "" : "s");
    if (!pc_defrag_given_up(r)) {
        pc_fmt_printf(f, "%s at payload bytes %u-%u", r->what == PC_DF_CONFLICT ? "conflicting overlap" : "overlap",
                      (unsigned)r->off, (unsigned)(r->off + r->len));
        return;
    }
    pc_fmt_printf(f, "not reassembled (%s), %u of ", pc_defrag_what_name(r->what), (unsigned)r->have);
    if (r->total >= 0) pc_fmt_printf(f, "%lld bytes", (long long)r->total);
    else pc_fmt_printf(f, "an unknown number of bytes (no last fragment)");
}

struct pc_defrag *pc_defrag_new(const struct pc_defrag_opts *o, pc_defrag_report_cb cb, void *ctx)
{
    struct pc_defrag *df = calloc(1, sizeof *df);
    if (!df) return NULL;
    if (o) df->o = *o;
    if (!df->o.timeout_ns) df->o.timeout_ns = 30 * PC_NS_PER_SEC;
    if (!df->o.mem) df->o.mem = 64u << 20;
    if (!df->o.datagrams) df->o.datagrams = 65536;
    df->cb = cb;
    df->ctx = ctx;
    return df;
}

/* ------------------------------------------------------------ bookkeeping */

static uint32_t key_hash(uint8_t version, const uint8_t *src, const uint8_t *dst, uint32_t ident, uint8_t proto)
{
    uint32_t h = 2166136261u;
    size_t n = version == 4 ? 4 : 16;
    for (size_t i = 0; i < n; i++) h = (h ^ src[i]) * 16777619u;
    for (size_t i = 0; i < n; i++) h = (h ^ dst[i]) * 16777619u;
    h = (h ^ ident) * 16777619u;
    h = (h ^ (version == 4 ? proto : 0)) * 16777619u;
    return h % BUCKETS;
}

static int cmp_frag(const void *a, const void *b)
{
    const struct frag *x = *(const struct frag *const *)a, *y = *(const struct frag *const *)b;
    return x->off < y->off ? -1 : x->off > y->off;
}

/* The fragments sorted by offset into order (g->nfrags entries). */
static void sorted(const struct dgram *g, const struct frag **order)
{
    size_t n = 0;
    for (const struct frag *f = g->frags; f; f = f->next) order[n++] = f;
    qsort(order, n, sizeof(const struct frag *), cmp_frag);
}

/* Distinct payload bytes held: the union of the fragments. */
static uint32_t held(const struct dgram *g)
{
    if (!g->nfrags) return 0;
    const struct frag **order = malloc(g->nfrags * sizeof(const struct frag *));
    if (!order) return 0;
    sorted(g, order);
    uint32_t have = 0, reach = 0;
    for (uint32_t i = 0; i < g->nfrags; i++) {
        uint32_t lo = order[i]->off > reach ? order[i]->off : reach, hi = order[i]->off + order[i]->len;
        if (hi > lo) have += hi - lo;
        if (hi > reach) reach = hi;
    }
    free(order);
    return have;
}

static void report(struct pc_defrag *df, const struct dgram *g, int what, uint32_t off, uint32_t len)
{
    if (what == PC_DF_OVERLAP) df->st.overlaps++;
    if (what == PC_DF_CONFLICT) df->st.conflicts++;
    if (!df->cb) return;
    struct pc_defrag_report r = {
        .what = what, .version = g->version, .ident = g->ident, .proto = g->proto, .first_pkt = g->first_pkt,
        .last_pkt = g->last_pkt, .nfrags = g->nfrags + g->unheld, .total = g->total, .off = off, .len = len, .id = g->id,
    };
    memcpy(r.src, g->src, sizeof r.src);
    memcpy(r.dst, g->dst, sizeof r.dst);
    r.have = held(g);
    df->cb(df->ctx, &r);
}

static void unlink_dgram(struct pc_defrag *df, struct dgram *g)
{
    uint32_t b = key_hash(g->version, g->src, g->dst, g->ident, g->proto);
    struct dgram **pp = &df->bucket[b];
    while (*pp != g) pp = &(*pp)->hnext;
    *pp = g->hnext;
    if (g == df->oldest) df->oldest = g->newer;
    else g->older->newer = g->newer;
    if (g == df->newest) df->newest = g->older;
    else g->newer->older = g->older;
    df->pending--;
}

static void free_dgram(struct pc_defrag *df, struct dgram *g)
{
    unlink_dgram(df, g);
    for (struct frag *f = g->frags, *n; f; f = n) {
        n = f->next;
        free(f);
    }
    df->mem -= g->mem;
    free(g->head);
    free(g);
}

/* Give up a pending datagram: report why, then forget it. */
static void give_up(struct pc_defrag *df, struct dgram *g, int what)
{
    df->st.given_up++;
    report(df, g, what, 0, 0);
    free_dgram(df, g);
}

static void expire(struct pc_defrag *df, pc_time_ns now)
{
    while (df->oldest && now - df->oldest->first_ts > df->o.timeout_ns) give_up(df, df->oldest, PC_DF_TIMEOUT);
}

/* One fragment's identity and bytes, as found in the decoded packet. */
struct piece {
    uint8_t version, proto;
    const uint8_t *src, *dst;
    uint32_t ident;
    uint32_t off, len;       /* payload offset and length */
    bool more;
    const uint8_t *data;
    uint32_t ip_off;         /* IP header offset in the frame */
    uint32_t unfrag_end;     /* IPv4: ip_off + header length; IPv6: the Fragment header's offset */
    uint32_t nh_at;          /* IPv6 */
    uint8_t frag_nh;
};

static struct dgram *find(struct pc_defrag *df, const struct piece *p)
{
    size_t n = p->version == 4 ? 4 : 16;
    uint32_t b = key_hash(p->version, p->src, p->dst, p->ident, p->proto);
    for (struct dgram *g = df->bucket[b]; g; g = g->hnext)
        if (g->version == p->version && g->ident == p->ident && (p->version == 6 || g->proto == p->proto) &&
            !memcmp(g->src, p->src, n) && !memcmp(g->dst, p->dst, n))
            return g;
    return NULL;
}

static struct dgram *create(struct pc_defrag *df, const struct piece *p, uint64_t pktno, pc_time_ns ts)
{
    while (df->pending >= df->o.datagrams && df->oldest) give_up(df, df->oldest, PC_DF_EVICTED);
    struct dgram *g = calloc(1, sizeof *g);
    if (!g) return NULL;
    size_t n = p->version == 4 ? 4 : 16;
    g->version = p->version;
    g->proto = p->proto;
    memcpy(g->src, p->src, n);
    memcpy(g->dst, p->dst, n);
    g->ident = p->ident;
    g->id = ++df->next_id;
    g->first_ts = ts;
    g->first_pkt = pktno;
    g->total = -1;
    uint32_t b = key_hash(p->version, p->src, p->dst, p->ident, p->proto);
    g->hnext = df->bucket[b];
    df->bucket[b] = g;
    g->older = df->newest;
    if (df->newest) df->newest->newer = g;
    else df->oldest = g;
    df->newest = g;
    df->pending++;
    return g;
}

/* ------------------------------------------------------------ the fragment */

/* The fragment in d, if any: the first IP layer (not inside an ICMP
 * error) that is a fragment.  Returns 1 with *p filled, 0 when d holds no
 * fragment, -1 when it holds one the capture cut (*p then has what the
 * header gives, for the report). */
static int find_piece(const struct pc_decoded *d, struct piece *p)
{
    for (int i = 0; i < d->n; i++) {
        const struct pc_layer *l = &d->l[i];
        if (l->flags & PC_LF_QUOTED) continue;
        if (l->proto == PC_P_IPV4) {
            if (!(l->flags & PC_LF_FRAG)) return 0;
            if (l->flags & PC_LF_MALFORMED || l->hlen < PC_IPV4_HLEN) return 0;
            const uint8_t *h = d->buf + l->off;
            if (pc_layer_caphdr(d, i) < l->hlen) return -1;
            uint32_t end = l->off + pc_ipv4_len(h);
            *p = (struct piece){ .version = 4, .proto = pc_ipv4_proto(h), .src = pc_ipv4_src(h), .dst = pc_ipv4_dst(h),
                                 .ident = pc_ipv4_id(h), .off = pc_ipv4_fragoff(h) * 8u,
                                 .len = pc_ipv4_len(h) - l->hlen, .more = (pc_ipv4_flags(h) & PC_IP_MF) != 0,
                                 .data = h + l->hlen, .ip_off = l->off, .unfrag_end = l->off + l->hlen };
            return end > d->caplen ? -1 : 1;
        }
        if (l->proto == PC_P_IPV6) {
            int k = i + 1;
            while (k < d->n && d->l[k].proto != PC_P_IP6_FRAG &&
                   (d->l[k].proto == PC_P_IP6_HOP || d->l[k].proto == PC_P_IP6_DEST || d->l[k].proto == PC_P_IP6_ROUTING))
                k++;
            if (k >= d->n || d->l[k].proto != PC_P_IP6_FRAG) return 0;
            const struct pc_layer *fl = &d->l[k];
            if (fl->flags & (PC_LF_MALFORMED | PC_LF_TRUNC) || l->flags & PC_LF_MALFORMED) return 0;
            const uint8_t *h = d->buf + l->off, *fh = d->buf + fl->off;
            uint32_t end = l->off + PC_IPV6_HLEN + pc_ipv6_plen(h);
            uint32_t start = fl->off + PC_IP6_FRAG_HLEN;
            *p = (struct piece){ .version = 6, .proto = fh[0], .src = pc_ipv6_src(h), .dst = pc_ipv6_dst(h),
                                 .ident = pc_ip6frag_ident(fh), .off = pc_ip6frag_off(fh) * 8u, .len = end - start,
                                 .more = pc_ip6frag_m(fh) != 0, .data = d->buf + start, .ip_off = l->off,
                                 .unfrag_end = fl->off, .frag_nh = fh[0],
                                 .nh_at = k == i + 1 ? l->off + 6 : d->l[k - 1].off };
            return end > d->caplen || end < start ? -1 : 1;
        }
    }
    return 0;
}

/* Compare the new piece with every fragment held: report overlaps and
 * conflicts.  Returns true when some byte overlaps. */
static bool check_overlaps(struct pc_defrag *df, struct dgram *g, const struct piece *p)
{
    bool any = false;
    for (const struct frag *f = g->frags; f; f = f->next) {
        uint32_t lo = p->off > f->off ? p->off : f->off;
        uint32_t hi = p->off + p->len < f->off + f->len ? p->off + p->len : f->off + f->len;
        if (lo >= hi) continue;
        any = true;
        bool same = !memcmp(p->data + (lo - p->off), f->data + (lo - f->off), hi - lo);
        report(df, g, same ? PC_DF_OVERLAP : PC_DF_CONFLICT, lo, hi - lo);
    }
    return any;
}

static int keep_head(struct pc_defrag *df, struct dgram *g, const struct pc_decoded *d, const struct piece *p)
{
    if (g->head && df->o.policy == PC_OVERLAP_FIRST) return 0;
    uint8_t *h = malloc(p->unfrag_end);
    if (!h) return PC_ENOMEM;
    memcpy(h, d->buf, p->unfrag_end);
    df->mem += p->unfrag_end;
    g->mem += p->unfrag_end;
    if (g->head) {
        df->mem -= g->headlen;
        g->mem -= g->headlen;
        free(g->head);
    }
    g->head = h;
    g->linktype = d->linktype;
    g->headlen = p->unfrag_end;
    g->ip_off = p->ip_off;
    g->nh_at = p->nh_at;
    g->frag_nh = p->frag_nh;
    return 0;
}

static int add_frag(struct pc_defrag *df, struct dgram *g, const struct piece *p)
{
    struct frag *f = malloc(sizeof *f + p->len);
    if (!f) return PC_ENOMEM;
    f->next = NULL;
    f->off = p->off;
    f->len = p->len;
    if (p->len) memcpy(f->data, p->data, p->len);
    if (g->tail) g->tail->next = f;
    else g->frags = f;
    g->tail = f;
    g->nfrags++;
    g->mem += p->len + FRAG_OVERHEAD;
    df->mem += p->len + FRAG_OVERHEAD;
    if (df->mem > df->st.mem_peak) df->st.mem_peak = df->mem;
    return 0;
}

/* Every byte of [0, total) held, and the first fragment's header? */
static bool complete(const struct dgram *g, const struct frag **order)
{
    if (g->total < 0 || !g->head) return false;
    size_t n = g->nfrags;
    sorted(g, order);
    uint32_t reach = 0;
    for (size_t i = 0; i < n && order[i]->off <= reach; i++)
        if (order[i]->off + order[i]->len > reach) reach = order[i]->off + order[i]->len;
    return reach >= (uint64_t)g->total;
}

/* Lay the datagram out in df->out: head, then the fragments in arrival
 * order (last wins) or reverse arrival order (first wins). */
static int assemble(struct pc_defrag *df, struct dgram *g, const struct frag **order, uint32_t *outlen)
{
    uint32_t unfrag = g->headlen - g->ip_off; /* IP header (IPv6: and extension headers before Fragment) */
    uint64_t iplen = (uint64_t)unfrag + (uint64_t)g->total;
    uint64_t limit = g->version == 4 ? IP_MAX : IP_MAX + PC_IPV6_HLEN;
    if (iplen > limit) return PC_DF_TOO_BIG;
    size_t need = g->headlen + (size_t)g->total;
    if (need > df->outcap) {
        uint8_t *o = realloc(df->out, need);
        if (!o) return PC_ENOMEM;
        df->out = o;
        df->outcap = need;
    }
    memcpy(df->out, g->head, g->headlen);
    uint8_t *pay = df->out + g->headlen;
    size_t n = 0;
    for (const struct frag *f = g->frags; f; f = f->next) order[n++] = f;
    for (size_t k = 0; k < n; k++) {
        const struct frag *f = order[df->o.policy == PC_OVERLAP_LAST ? k : n - 1 - k];
        memcpy(pay + f->off, f->data, f->len);
    }
    uint8_t *ip = df->out + g->ip_off;
    if (g->version == 4) {
        pc_put16(ip + 2, (uint16_t)iplen);
        pc_put16(ip + 6, (uint16_t)(pc_get16(ip + 6) & 0x4000)); /* DF kept, MF and offset cleared */
        pc_put16(ip + 10, 0);
        pc_put16(ip + 10, pc_csum(ip, unfrag));
    } else {
        pc_put16(ip + 4, (uint16_t)(iplen - PC_IPV6_HLEN));
        df->out[g->nh_at] = g->frag_nh;
    }
    *outlen = (uint32_t)need;
    return 0;
}

/* A fragment of a datagram already pending (or just created). */
static int take(struct pc_defrag *df, struct dgram *g, const struct pc_decoded *d, const struct piece *p,
                uint64_t pktno, struct pc_defrag_out *out)
{
    g->last_pkt = pktno;
    out->id = g->id;
    uint64_t end = (uint64_t)p->off + p->len;
    bool bad_end = (!p->more && g->total >= 0 && (uint64_t)g->total != end) ||
                   (g->total >= 0 && end > (uint64_t)g->total) || end > IP_MAX + PC_IPV6_HLEN;
    if (!p->more && !bad_end)
        for (const struct frag *f = g->frags; f; f = f->next)
            if ((uint64_t)f->off + f->len > end) bad_end = true;
    if (bad_end) {
        g->unheld++;
        give_up(df, g, PC_DF_INCONSISTENT);
        return 1;
    }
    if (g->nfrags >= MAX_FRAGS) {
        g->unheld++;
        give_up(df, g, PC_DF_EVICTED);
        return 1;
    }
    if (check_overlaps(df, g, p) && g->version == 6 && !df->o.ipv6_overlap_keep) {
        g->unheld++;
        give_up(df, g, PC_DF_V6_OVERLAP);
        return 1;
    }
    if (!p->more) g->total = (int64_t)end;
    int rc = add_frag(df, g, p);
    if (rc == 0 && p->off == 0) rc = keep_head(df, g, d, p);
    if (rc) return rc;
    /* make room: the oldest others first, then this one */
    while (df->mem > df->o.mem && df->oldest && df->oldest != g) give_up(df, df->oldest, PC_DF_EVICTED);
    if (df->mem > df->o.mem) {
        give_up(df, g, PC_DF_EVICTED);
        return 1;
    }
    const struct frag **order = malloc(g->nfrags * sizeof(const struct frag *));
    if (!order) return PC_ENOMEM;
    rc = 1;
    if (complete(g, order)) {
        int a = assemble(df, g, order, &out->len);
        if (a == PC_ENOMEM) rc = a;
        else if (a == PC_DF_TOO_BIG) give_up(df, g, PC_DF_TOO_BIG);
        else {
            df->st.datagrams++;
            out->frame = df->out;
            out->linktype = g->linktype;
            out->nfrags = g->nfrags;
            out->first_pkt = g->first_pkt;
            free_dgram(df, g);
            rc = 2;
        }
    }
    free(order);
    return rc;
}

int pc_defrag_packet(struct pc_defrag *df, const struct pc_decoded *d, uint64_t pktno, pc_time_ns ts,
                     struct pc_defrag_out *out)
{
    expire(df, ts);
    struct piece p = { 0 };
    int found = find_piece(d, &p);
    if (found == 0) return 0;
    df->st.fragments++;
    out->id = 0;
    if (found < 0) {
        /* unusable: report it with the identity its header gives */
        struct dgram g = { .version = p.version, .proto = p.proto, .ident = p.ident, .total = -1,
                           .first_pkt = pktno, .last_pkt = pktno };
        if (p.version) {
            memcpy(g.src, p.src, p.version == 4 ? 4 : 16);
            memcpy(g.dst, p.dst, p.version == 4 ? 4 : 16);
        }
        report(df, &g, PC_DF_CUT, 0, 0);
        return 1;
    }
    /* (an IPv6 atomic fragment completes at once: offset 0, no more) */
    struct dgram *g = find(df, &p);
    if (!g) g = create(df, &p, pktno, ts);
    if (!g) return PC_ENOMEM;
    return take(df, g, d, &p, pktno, out);
}

/* Forget every pending datagram (reporting each as `what`, unless 0):
 * the age list is walked once, nothing is unlinked one by one. */
static void drop_all(struct pc_defrag *df, int what)
{
    for (struct dgram *g = df->oldest, *next; g; g = next) {
        next = g->newer;
        if (what) {
            df->st.given_up++;
            report(df, g, what, 0, 0);
        }
        for (struct frag *f = g->frags, *fn; f; f = fn) {
            fn = f->next;
            free(f);
        }
        free(g->head);
        free(g);
    }
    memset(df->bucket, 0, sizeof df->bucket);
    df->oldest = df->newest = NULL;
    df->pending = 0;
    df->mem = 0;
}

void pc_defrag_finish(struct pc_defrag *df) { drop_all(df, PC_DF_INCOMPLETE); }

const struct pc_defrag_stats *pc_defrag_stats(const struct pc_defrag *df) { return &df->st; }

void pc_defrag_free(struct pc_defrag *df)
{
    if (!df) return;
    drop_all(df, 0);
    free(df->out);
    free(df);
}

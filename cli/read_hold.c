/* read --defrag: defragmenter and held-back output (read_hold.h). */
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "read_hold.h"

/* A datagram some held packet waits for: found by its serial number in an
 * open-addressing table (linear probing, backward-shift deletion). */
struct wait {
    uint64_t id;      /* 0: free slot */
    uint32_t refs;    /* held packets that wait for it */
    int state;        /* RD_PENDING until resolved, then RD_HELD or RD_FAILED */
    int what;
    uint64_t in;
};

/* A held packet in the queue: the record, then the frame, the comment
 * and the reassembled frame, each padded to 8 bytes. */
struct qrec {
    struct rd_pkt p;  /* its pointers are remade when it is printed */
    uint32_t size;    /* of the whole record */
};

struct rd {
    struct pc_defrag *df;
    const char *path;
    rd_emit_fn emit;
    void *ctx;
    /* the packet being offered, as the report callback sees it */
    uint64_t cur_n;
    uint64_t fail_id;
    int fail_what;
    uint32_t nnotes;
    struct rd_note notes[RD_NOTES];
    /* datagrams waited for */
    struct wait *tab;
    size_t tabcap, tabused;
    /* held packets, oldest at head */
    uint8_t *q;
    size_t qcap, qhead, qtail, qmax;
    /* for the summary */
    uint64_t lost_dgrams[PC_DF_CUT + 1], lost_frags[PC_DF_CUT + 1];
    uint64_t waited;
};

static void *xrealloc(void *p, size_t n)
{
    void *q = realloc(p, n);
    if (!q) cli_runtime_error("out of memory");
    return q;
}

/* ------------------------------------------------------------ the table */

static size_t slot_of(const struct rd *r, uint64_t id)
{
    uint64_t h = id * UINT64_C(0x9E3779B97F4A7C15);
    return (size_t)(h >> 32) & (r->tabcap - 1);
}

static struct wait *lookup(struct rd *r, uint64_t id)
{
    if (!r->tabcap) return NULL;
    for (size_t i = slot_of(r, id);; i = (i + 1) & (r->tabcap - 1)) {
        if (r->tab[i].id == id) return &r->tab[i];
        if (!r->tab[i].id) return NULL;
    }
}

static void grow_table(struct rd *r)
{
    struct wait *old = r->tab;
    size_t oldcap = r->tabcap;
    r->tabcap = oldcap ? oldcap * 2 : 64;
    r->tab = calloc(r->tabcap, sizeof *r->tab);
    if (!r->tab) cli_runtime_error("out of memory");
    for (size_t k = 0; k < oldcap; k++) {
        if (!old[k].id) continue;
        size_t i = slot_of(r, old[k].id);
        while (r->tab[i].id) i = (i + 1) & (r->tabcap - 1);
        r->tab[i] = old[k];
    }
    free(old);
}

static struct wait *get(struct rd *r, uint64_t id)
{
    struct wait *w = lookup(r, id);
    if (w) return w;
    if ((r->tabused + 1) * 2 > r->tabcap) grow_table(r);
    size_t i = slot_of(r, id);
    while (r->tab[i].id) i = (i + 1) & (r->tabcap - 1);
    r->tab[i] = (struct wait){ .id = id, .state = RD_PENDING };
    r->tabused++;
    return &r->tab[i];
}

static void drop(struct rd *r, struct wait *w)
{
    size_t mask = r->tabcap - 1, i = (size_t)(w - r->tab), j = i;
    r->tab[i].id = 0;
    r->tabused--;
    /* shift back the entries the hole would cut off from their home slot */
    for (;;) {
        j = (j + 1) & mask;
        if (!r->tab[j].id) return;
        size_t home = slot_of(r, r->tab[j].id);
        bool moves = i <= j ? (home <= i || home > j) : (home <= i && home > j);
        if (moves) {
            r->tab[i] = r->tab[j];
            r->tab[j].id = 0;
            i = j;
        }
    }
}

/* Datagram id is resolved: the packets that wait for it learn how. */
static void resolve(struct rd *r, uint64_t id, int state, int what, uint64_t in)
{
    struct wait *w = id ? lookup(r, id) : NULL;
    if (!w) return;
    w->state = state;
    w->what = what;
    w->in = in;
    if (!w->refs) drop(r, w);
}

/* ------------------------------------------------------------ reports */

static void on_report(void *ctx, const struct pc_defrag_report *rep)
{
    struct rd *r = ctx;
    if (rep->what == PC_DF_OVERLAP || rep->what == PC_DF_CONFLICT) {
        /* found as the current packet arrived: it is the one that overlaps */
        if (r->nnotes < RD_NOTES) r->notes[r->nnotes] = (struct rd_note){ rep->what, rep->off, rep->len };
        r->nnotes++;
        return;
    }
    int what = rep->what >= 1 && rep->what <= PC_DF_CUT ? rep->what : PC_DF_INCONSISTENT;
    r->lost_dgrams[what]++;
    r->lost_frags[what] += what == PC_DF_CUT ? 1 : rep->nfrags;
    if (rep->last_pkt == r->cur_n) {
        r->fail_id = rep->id;
        r->fail_what = what;
    }
    resolve(r, rep->id, RD_FAILED, what, 0);
}

struct rd *rd_new(const struct pc_limits *lim, int policy, const char *path, rd_emit_fn emit, void *ctx)
{
    struct rd *r = calloc(1, sizeof *r);
    if (!r) cli_runtime_error("out of memory");
    struct pc_defrag_opts o = { .policy = policy, .mem = lim->defrag_mem,
                                .datagrams = lim->defrag_datagrams > UINT32_MAX ? UINT32_MAX
                                                                                : (uint32_t)lim->defrag_datagrams };
    r->df = pc_defrag_new(&o, on_report, r);
    if (!r->df) cli_runtime_error("out of memory");
    r->path = path;
    r->emit = emit;
    r->ctx = ctx;
    r->qmax = (size_t)(lim->defrag_mem ? lim->defrag_mem : UINT64_C(64) << 20); /* 0 means the default, as for pc_defrag */
    return r;
}

/* ------------------------------------------------------------ the queue */

static size_t pad8(size_t n) { return (n + 7) & ~(size_t)7; }

static bool queue_empty(const struct rd *r) { return r->qhead == r->qtail; }

/* Print the packet at the head; force: even when its datagram is still
 * pending.  Returns false when it must wait. */
static bool pop(struct rd *r, bool force)
{
    struct qrec *rec = (struct qrec *)(void *)(r->q + r->qhead);
    struct rd_pkt p = rec->p;
    if (p.state == RD_PENDING) {
        struct wait *w = lookup(r, p.id);
        if (w && w->state == RD_PENDING && !force) return false;
        if (w && w->state != RD_PENDING) {
            p.state = w->state;
            p.what = w->what;
            p.in = w->in;
        } else {
            p.state = RD_WAIT;
            r->waited++;
        }
        if (w && --w->refs == 0) drop(r, w);
    }
    uint8_t *b = (uint8_t *)(rec + 1);
    p.data = b;
    b += pad8(p.h.caplen);
    if (p.h.comment) p.h.comment = b;
    b += pad8(p.h.comment ? p.h.comment_len : 0);
    if (p.frame) p.frame = b;
    r->qhead += rec->size;
    if (queue_empty(r)) r->qhead = r->qtail = 0;
    r->emit(r->ctx, &p, NULL);
    return true;
}

static void flush(struct rd *r, bool force)
{
    while (!queue_empty(r) && pop(r, force)) {}
}

static void push(struct rd *r, const struct rd_pkt *p)
{
    size_t clen = p->h.comment ? p->h.comment_len : 0;
    size_t size = sizeof(struct qrec) + pad8(p->h.caplen) + pad8(clen) + pad8(p->frame ? p->frame_len : 0);
    /* the output waits at most defrag-mem bytes: the oldest go first */
    while (!queue_empty(r) && r->qtail - r->qhead + size > r->qmax) pop(r, true);
    if (r->qtail + size > r->qcap) {
        if (r->qhead) {
            memmove(r->q, r->q + r->qhead, r->qtail - r->qhead);
            r->qtail -= r->qhead;
            r->qhead = 0;
        }
        if (r->qtail + size > r->qcap) {
            size_t cap = r->qcap ? r->qcap * 2 : 1 << 16;
            while (cap < r->qtail + size) cap *= 2;
            r->q = xrealloc(r->q, cap);
            r->qcap = cap;
        }
    }
    struct qrec *rec = (struct qrec *)(void *)(r->q + r->qtail);
    rec->p = *p;
    rec->size = (uint32_t)size;
    uint8_t *b = (uint8_t *)(rec + 1);
    memcpy(b, p->data, p->h.caplen);
    b += pad8(p->h.caplen);
    if (clen) memcpy(b, p->h.comment, clen);
    b += pad8(clen);
    if (p->frame) memcpy(b, p->frame, p->frame_len);
    r->qtail += size;
    if (p->state == RD_PENDING) get(r, p->id)->refs++;
}

/* ------------------------------------------------------------ packets */

void rd_packet(struct rd *r, uint64_t n, const struct pc_pkthdr *h, const uint8_t *data, const struct pc_decoded *d,
               bool print)
{
    r->cur_n = n;
    r->fail_id = UINT64_MAX;
    r->nnotes = 0;
    struct pc_defrag_out out = { 0 };
    int rc = pc_defrag_packet(r->df, d, n, h->ts, &out);
    if (rc < 0) cli_runtime_error("%s: packet %llu: reassembling fragments: out of memory", r->path,
                                  (unsigned long long)n);
    struct rd_pkt p = { .n = n, .h = *h, .data = data, .id = out.id, .nnotes = r->nnotes };
    memcpy(p.notes, r->notes, sizeof p.notes);
    if (rc == 1 && (out.id == 0 || out.id == r->fail_id)) {
        p.state = RD_FAILED;
        p.what = out.id == 0 ? PC_DF_CUT : r->fail_what;
    } else if (rc == 1) {
        p.state = RD_PENDING;
    } else if (rc == 2) {
        p = (struct rd_pkt){ .n = n, .h = *h, .data = data, .id = out.id, .state = RD_DONE, .frame = out.frame,
                             .frame_len = out.len, .frame_linktype = out.linktype, .nfrags = out.nfrags,
                             .first_pkt = out.first_pkt, .nnotes = r->nnotes };
        memcpy(p.notes, r->notes, sizeof p.notes);
        resolve(r, out.id, RD_HELD, 0, n);
    }
    if (print) {
        if (queue_empty(r) && p.state != RD_PENDING) r->emit(r->ctx, &p, d);
        else push(r, &p);
    }
    flush(r, false);
}

bool rd_waiting(const struct rd *r) { return !queue_empty(r); }

void rd_finish(struct rd *r)
{
    r->cur_n = 0;
    pc_defrag_finish(r->df);
    flush(r, true);
    uint64_t dg = 0, fr = 0;
    char why[256] = "";
    size_t k = 0;
    for (int w = 1; w <= PC_DF_CUT; w++) {
        if (!r->lost_dgrams[w]) continue;
        dg += r->lost_dgrams[w];
        fr += r->lost_frags[w];
        int m = snprintf(why + k, sizeof why - k, "%s%s %llu", k ? ", " : "", pc_defrag_what_name(w),
                         (unsigned long long)r->lost_dgrams[w]);
        if (m > 0 && (size_t)m < sizeof why - k) k += (size_t)m;
    }
    if (dg)
        cli_warn("%s: %llu fragment%s of %llu datagram%s never reassembled (%s)", r->path, (unsigned long long)fr,
                 fr == 1 ? "" : "s", (unsigned long long)dg, dg == 1 ? "" : "s", why);
    if (r->waited)
        cli_warn("%s: %llu fragment%s printed before their datagram was resolved (defrag-mem limit): "
                 "marked \"pending\"", r->path, (unsigned long long)r->waited, r->waited == 1 ? "" : "s");
}

void rd_free(struct rd *r)
{
    if (!r) return;
    pc_defrag_free(r->df);
    free(r->tab);
    free(r->q);
    free(r);
}

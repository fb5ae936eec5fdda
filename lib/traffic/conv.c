/* The conversation engine's driver: the script, the event queue, the
 * network between the two ends (serialization, propagation, the capture
 * point next to the client) and the faults, which act on packets as they
 * are sent.  The conversation is run twice when there are faults: once
 * without, to learn which packet each fault's number names (its sender and
 * that sender's count), then with them. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conv_int.h"
#include "pktcraft/wire/tcp.h"
#include "pktcraft/wire/udp.h"

static const char *const fault_names[PC_FAULT__COUNT] = {
    [PC_FAULT_DROP] = "drop",         [PC_FAULT_DUP] = "dup",           [PC_FAULT_REORDER] = "reorder",
    [PC_FAULT_DELAY] = "delay",       [PC_FAULT_CORRUPT] = "corrupt",   [PC_FAULT_TRUNCATE] = "truncate",
    [PC_FAULT_OVERLAP] = "overlap",   [PC_FAULT_FRAG] = "frag",         [PC_FAULT_ZEROWIN] = "zerowin",
    [PC_FAULT_MIDSTREAM] = "midstream",
};

const char *pc_conv_fault_name(int kind)
{
    return kind > 0 && kind < PC_FAULT__COUNT ? fault_names[kind] : "?";
}

int pc_conv_fault_kind(const char *name)
{
    for (int k = 1; k < PC_FAULT__COUNT; k++)
        if (!strcmp(name, fault_names[k])) return k;
    return 0;
}

void pc_conv_opts_default(struct pc_conv_opts *o)
{
    memset(o, 0, sizeof *o);
    o->l4 = 6;
    o->mtu = 1500;
    o->net_overhead = 20;
    o->link_overhead = 14;
    o->wscale[0] = o->wscale[1] = 7;
    o->rcvbuf[0] = o->rcvbuf[1] = 65535u << 2;
    o->rtt = 10 * CV_MS;
    o->rate = 100000000;
    o->udp_timeout = 1000 * CV_MS;
    o->udp_tries = 3;
    o->delack = true;
}

void cv_fail(struct cv_sim *s, int code, const char *fmt, ...)
{
    if (s->failed) return;
    s->failed = code;
    s->err->code = code;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(s->err->msg, sizeof s->err->msg, fmt, ap);
    va_end(ap);
}

/* ---- event queue: a binary heap ordered by (time, order) ---- */

static bool ev_before(const struct cv_event *a, const struct cv_event *b)
{
    return a->t != b->t ? a->t < b->t : a->order < b->order;
}

void cv_schedule(struct cv_sim *s, pc_time_ns t, uint8_t type, uint8_t side, uint32_t idx, uint32_t gen)
{
    if (s->nheap == s->capheap) {
        size_t cap = s->capheap ? 2 * s->capheap : 256;
        struct cv_event *h = realloc(s->heap, cap * sizeof *h);
        if (!h) { cv_fail(s, PC_ENOMEM, "out of memory"); return; }
        s->heap = h;
        s->capheap = cap;
    }
    /* a tap event's gen says whether it is the second copy (dup fault) */
    struct cv_event e = { .t = t, .order = s->order++, .type = type, .side = side, .idx = idx, .gen = gen,
                          .copy = type == EV_TAP && gen };
    size_t i = s->nheap++;
    while (i && ev_before(&e, &s->heap[(i - 1) / 2])) {
        s->heap[i] = s->heap[(i - 1) / 2];
        i = (i - 1) / 2;
    }
    s->heap[i] = e;
}

static struct cv_event ev_pop(struct cv_sim *s)
{
    struct cv_event top = s->heap[0], last = s->heap[--s->nheap];
    size_t i = 0;
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= s->nheap) break;
        if (c + 1 < s->nheap && ev_before(&s->heap[c + 1], &s->heap[c])) c++;
        if (!ev_before(&s->heap[c], &last)) break;
        s->heap[i] = s->heap[c];
        i = c;
    }
    if (s->nheap) s->heap[i] = last;
    return top;
}

/* ---- faults ---- */

const struct pc_conv_fault *cv_fault_at(const struct cv_sim *s, int side, uint32_t k, int kind)
{
    for (size_t i = 0; i < s->nbinds; i++) {
        const struct cv_fbind *b = &s->binds[i];
        if (b->side == side && b->k == k && b->role == 0 && s->faults[b->fi].kind == kind) return &s->faults[b->fi];
    }
    return NULL;
}

static uint64_t fault_bits(const struct cv_sim *s, int side, uint32_t k)
{
    uint64_t m = 0;
    for (size_t i = 0; i < s->nbinds; i++)
        if (s->binds[i].side == side && s->binds[i].k == k) m |= UINT64_C(1) << s->binds[i].fi;
    return m;
}

/* ---- packets ---- */

struct cv_pkt *cv_new_pkt(struct cv_sim *s, int side)
{
    if (s->failed) return NULL;
    if (s->npool >= PC_CONV_MAX_PKTS) {
        cv_fail(s, PC_ELIMIT, "the conversation needs more than %d packets", PC_CONV_MAX_PKTS);
        return NULL;
    }
    if (s->npool == s->cappool) {
        size_t cap = s->cappool ? 2 * s->cappool : 256;
        struct cv_pkt *p = realloc(s->pool, cap * sizeof *p);
        if (!p) { cv_fail(s, PC_ENOMEM, "out of memory"); return NULL; }
        s->pool = p;
        s->cappool = cap;
    }
    struct cv_pkt *c = &s->pool[s->npool++];
    memset(c, 0, sizeof *c);
    c->side = (uint8_t)side;
    c->k = ++s->s[side].k;
    c->p.dir = (uint8_t)side;
    c->p.ip_id = s->s[side].ipid++;
    c->fmask = fault_bits(s, side, c->k);
    /* the zero-window fault changes the window this very packet advertises */
    const struct pc_conv_fault *z = cv_fault_at(s, side, c->k, PC_FAULT_ZEROWIN);
    if (z && s->o.l4 == 6) cv_tcp_stall(s, side, z->arg ? z->arg : 200 * CV_MS);
    return c;
}

static uint32_t l4_hlen(const struct cv_sim *s, const struct cv_pkt *c)
{
    if (s->o.l4 == 17) return 8;
    uint8_t opt[PC_TCP_MAXOPT];
    int n = pc_tcp_opts_encode(c->p.opts, c->p.nopts, opt, sizeof opt);
    return 20 + (uint32_t)(n > 0 ? n : 0);
}

static int64_t ser_time(const struct cv_sim *s, uint32_t bytes)
{
    return (int64_t)((uint64_t)bytes * UINT64_C(8000000000) / s->o.rate);
}

static void record(struct cv_sim *s, uint32_t idx, pc_time_ns t, bool copy)
{
    if (s->nout == s->capout) {
        size_t cap = s->capout ? 2 * s->capout : 256;
        struct pc_conv_pkt *o = realloc(s->out, cap * sizeof *o);
        uint32_t *op = o ? realloc(s->outpool, cap * sizeof *op) : NULL;
        if (o) s->out = o;
        if (!op) { cv_fail(s, PC_ENOMEM, "out of memory"); return; }
        s->outpool = op;
        s->capout = cap;
    }
    struct pc_conv_pkt *p = &s->out[s->nout];
    *p = s->pool[idx].p;
    p->ts = t;
    if (copy) p->why |= PC_CW_DUPLICATE;
    s->outpool[s->nout++] = idx;
}

/* REORDER: the held packet goes right after the one it waits for. */
static void release_held(struct cv_sim *s, const struct cv_pkt *c, pc_time_ns tap, pc_time_ns arr)
{
    for (size_t i = 0; i < s->nbinds; i++) {
        const struct cv_fbind *b = &s->binds[i];
        if (b->role != 1 || b->side != c->side || b->k != c->k || !s->held[b->fi]) continue;
        uint32_t h = s->held[b->fi] - 1;
        s->held[b->fi] = 0;
        if (tap < 0) tap = arr; /* the packet it waited for was lost: go when it would have come */
        if (s->held_tap[b->fi] >= 0) cv_schedule(s, tap + 1000, EV_TAP, c->side, h, 0);
        if (!s->pool[h].lost) cv_schedule(s, arr + 1000, EV_ARRIVE, (uint8_t)!c->side, h, 0);
    }
}

static void add_overlap(struct cv_sim *s, const struct cv_pkt *orig, uint32_t fi, pc_time_ns tx);

void cv_transmit(struct cv_sim *s, struct cv_pkt *c)
{
    if (s->failed) return;
    int x = c->side;
    struct cv_side *me = &s->s[x];
    uint32_t idx = (uint32_t)(c - s->pool);
    uint32_t l4len = l4_hlen(s, c) + c->p.len;
    uint32_t room = s->o.mtu > s->o.net_overhead ? s->o.mtu - s->o.net_overhead : 8;
    if (l4len > room) c->p.frag_size = room & ~7u; /* a datagram above the MTU leaves in fragments */
    pc_time_ns tx = s->now > me->link_free ? s->now : me->link_free;
    int64_t ser = ser_time(s, s->o.link_overhead + s->o.net_overhead + l4len);
    me->link_free = tx + ser;
    pc_time_ns arr = tx + ser + s->o.rtt / 2;
    pc_time_ns tap = x == PC_CONV_CLIENT ? tx : arr;
    const struct pc_conv_fault *f;
    uint64_t m = c->fmask;
    bool held = false, dup = false, seen = true; /* seen: it reaches the capture point */
    for (size_t fi = 0; m && fi < s->nfaults; fi++) {
        if (!(m >> fi & 1)) continue;
        f = &s->faults[fi];
        bool mine = false;
        for (size_t i = 0; i < s->nbinds; i++)
            if (s->binds[i].fi == fi && s->binds[i].side == x && s->binds[i].k == c->k && s->binds[i].role == 0) mine = true;
        if (!mine) continue; /* the packet a reorder waits for */
        switch (f->kind) {
        case PC_FAULT_DROP: /* lost between the hosts: the capture saw it only if it left the client */
            c->lost = true;
            if (x == PC_CONV_SERVER) seen = false;
            break;
        case PC_FAULT_CORRUPT:
            c->lost = true;
            if (f->arg == 1) c->p.bad_ipcsum = true;
            else c->p.bad_l4csum = true;
            break;
        case PC_FAULT_DUP: dup = true; break;
        case PC_FAULT_DELAY: {
            int64_t d = f->arg ? f->arg : s->o.rtt;
            tap += d;
            arr += d;
            break;
        }
        case PC_FAULT_REORDER:
            /* held until its partner passes, or one RTT (at least 1 ms) if
             * the partner is never sent */
            held = true;
            s->held[fi] = idx + 1;
            s->held_tap[fi] = tap; /* made -1 below when it is not seen */
            s->held_arr[fi] = arr;
            cv_schedule(s, tap + (s->o.rtt > CV_MS ? s->o.rtt : CV_MS), EV_HOLD_END, (uint8_t)x, (uint32_t)fi, 0);
            break;
        case PC_FAULT_TRUNCATE: c->p.snaplen = f->arg ? (uint32_t)f->arg : 64; break;
        case PC_FAULT_FRAG: {
            uint32_t size = f->arg ? (uint32_t)f->arg : ((l4len / 4 + 7) & ~7u);
            c->p.frag_size = size ? size : 8;
            c->p.frag_order = (uint8_t)f->arg2;
            break;
        }
        default: break;
        }
        c->p.faults |= 1u << f->kind;
    }
    /* a delay on the held packet counts from where it was held */
    for (size_t fi = 0; held && fi < s->nfaults; fi++)
        if (s->held[fi] == idx + 1) {
            s->held_tap[fi] = seen ? tap : -1;
            s->held_arr[fi] = arr;
        }
    if (!held) {
        if (seen) cv_schedule(s, tap, EV_TAP, (uint8_t)x, idx, 0);
        if (!c->lost) cv_schedule(s, arr, EV_ARRIVE, (uint8_t)!x, idx, 0);
        if (dup) { /* a lost packet's copy is lost as well */
            if (seen) cv_schedule(s, tap + ser, EV_TAP, (uint8_t)x, idx, 1);
            if (!c->lost) cv_schedule(s, arr + ser, EV_ARRIVE, (uint8_t)!x, idx, 1);
        }
    }
    release_held(s, c, seen ? tap : -1, arr);
    uint64_t fm = c->fmask; /* add_overlap may move the pool */
    for (size_t fi = 0; fm && fi < s->nfaults; fi++)
        if ((fm >> fi & 1) && s->faults[fi].kind == PC_FAULT_OVERLAP) add_overlap(s, &s->pool[idx], (uint32_t)fi, tx);
}

/* OVERLAP: the same sender follows the segment with one that covers its
 * second half with other bytes ('X', or 'Y' where the byte was 'X'). */
static void add_overlap(struct cv_sim *s, const struct cv_pkt *orig, uint32_t fi, pc_time_ns tx)
{
    uint32_t half = orig->p.len / 2, n = orig->p.len - half;
    if (!n || s->o.l4 != 6) return;
    uint8_t *b = s->overlap_bytes[fi];
    if (!b) {
        if (!(b = malloc(n))) { cv_fail(s, PC_ENOMEM, "out of memory"); return; }
        s->overlap_bytes[fi] = b;
        for (uint32_t i = 0; i < n; i++) b[i] = orig->p.data[half + i] == 'X' ? 'Y' : 'X';
    }
    struct cv_pkt base = *orig;
    pc_time_ns save = s->now;
    s->now = tx;
    struct cv_pkt *c = cv_new_pkt(s, orig->side);
    if (!c) return;
    uint32_t k = c->k;
    uint16_t id = c->p.ip_id;
    *c = base;
    c->k = k;
    c->p.ip_id = id;
    c->fmask = 0;
    c->p.faults = 1u << PC_FAULT_OVERLAP;
    c->off = base.off + half;
    c->p.seq = base.p.seq + half;
    c->p.data = b;
    c->p.len = n;
    c->p.why = PC_CW_OVERLAP | PC_CW_RETRANS;
    cv_transmit(s, c);
    s->now = save;
}

/* Think time before side x's next write: true while it must wait (an
 * EV_APP event then calls the transport back). */
bool cv_think(struct cv_sim *s, int x)
{
    struct cv_side *t = &s->s[x];
    if (!s->o.think || t->think_done) {
        t->think_done = false;
        return false;
    }
    if (!t->thinking) {
        t->thinking = true;
        cv_schedule(s, s->now + s->o.think, EV_APP, (uint8_t)x, 0, ++t->app_gen);
    }
    return true;
}

/* ---- the run ---- */

static int load_script(struct cv_sim *s, const struct pc_conv_step *st, size_t n)
{
    if (n > PC_CONV_MAX_STEPS) {
        cv_fail(s, PC_ELIMIT, "%zu steps: at most %d", n, PC_CONV_MAX_STEPS);
        return -1;
    }
    uint64_t total = 0;
    for (size_t i = 0; i < n; i++) {
        if (st[i].dir > 1) { cv_fail(s, PC_EINVAL, "step %zu: direction %u", i + 1, st[i].dir); return -1; }
        if (s->o.l4 == 6 && !st[i].len) { cv_fail(s, PC_EINVAL, "step %zu: a TCP write needs data", i + 1); return -1; }
        total += st[i].len;
        if (total > PC_CONV_MAX_BYTES) {
            cv_fail(s, PC_ELIMIT, "the script holds more than %llu bytes", (unsigned long long)PC_CONV_MAX_BYTES);
            return -1;
        }
        s->slen[st[i].dir] += st[i].len;
    }
    s->steps = calloc(n ? n : 1, sizeof *s->steps);
    s->got = calloc(n ? n : 1, sizeof *s->got);
    s->tries = calloc(n ? n : 1, sizeof *s->tries);
    for (int d = 0; d < 2; d++) {
        s->sbuf[d] = malloc(s->slen[d] ? s->slen[d] : 1);
        s->rbuf[!d] = calloc(s->slen[d] ? s->slen[d] : 1, 1);
    }
    if (!s->steps || !s->got || !s->tries || !s->sbuf[0] || !s->sbuf[1] || !s->rbuf[0] || !s->rbuf[1]) {
        cv_fail(s, PC_ENOMEM, "out of memory");
        return -1;
    }
    uint64_t off[2] = { 0, 0 };
    for (size_t i = 0; i < n; i++) {
        int d = st[i].dir;
        s->steps[i] = (struct cv_step){ .dir = (uint8_t)d, .off = off[d], .len = st[i].len, .need = off[!d], .tag = st[i].tag };
        if (st[i].len) memcpy(s->sbuf[d] + off[d], st[i].data, st[i].len);
        off[d] += st[i].len;
        if (d == PC_CONV_CLIENT) s->last_client_step = i + 1;
    }
    s->nsteps = n;
    return 0;
}

static void sim_free(struct cv_sim *s)
{
    free(s->steps);
    free(s->got);
    free(s->tries);
    free(s->heap);
    free(s->pool);
    free(s->outpool);
    for (int d = 0; d < 2; d++) free(s->sbuf[d]);
    for (int d = 0; d < 2; d++) free(s->rbuf[d]);
    for (size_t i = 0; i < PC_CONV_MAX_FAULTS; i++) free(s->overlap_bytes[i]);
    /* s->out is handed to the result, or freed by the caller on failure */
}

/* A reorder's partner never came: the held packet goes now, as late as
 * it was held. */
static void hold_end(struct cv_sim *s, uint32_t fi)
{
    if (!s->held[fi]) return;
    uint32_t h = s->held[fi] - 1;
    s->held[fi] = 0;
    pc_time_ns late = s->now - (s->held_tap[fi] >= 0 ? s->held_tap[fi] : s->held_arr[fi]);
    if (s->held_tap[fi] >= 0) cv_schedule(s, s->now, EV_TAP, s->pool[h].side, h, 0);
    if (!s->pool[h].lost) cv_schedule(s, s->held_arr[fi] + late, EV_ARRIVE, (uint8_t)!s->pool[h].side, h, 0);
}

static void run_events(struct cv_sim *s)
{
    while (s->nheap && !s->failed) {
        struct cv_event e = ev_pop(s);
        s->now = e.t;
        if (e.type == EV_TAP) {
            record(s, e.idx, e.t, e.copy);
            continue;
        }
        if (e.type == EV_HOLD_END) {
            hold_end(s, e.idx);
            continue;
        }
        if (s->o.l4 == 6) cv_tcp_event(s, &e);
        else cv_udp_event(s, &e);
    }
    /* a held packet always leaves by its EV_HOLD_END, so none is left here */
}

static int init_sim(struct cv_sim *s, const struct pc_conv_opts *o, struct pc_err *err)
{
    memset(s, 0, sizeof *s);
    s->o = *o;
    s->err = err;
    if (o->l4 != 6 && o->l4 != 17) { cv_fail(s, PC_EINVAL, "transport %u: 6 (TCP) or 17 (UDP)", o->l4); return -1; }
    if (!o->rate) s->o.rate = 100000000;
    if (!s->o.mtu) s->o.mtu = 1500;
    if (s->o.mtu < s->o.net_overhead + 68) { cv_fail(s, PC_EINVAL, "MTU %u is too small", s->o.mtu); return -1; }
    if (o->rtt < 0 || o->think < 0) { cv_fail(s, PC_EINVAL, "negative RTT or think time"); return -1; }
    if (!s->o.udp_tries) s->o.udp_tries = 1;
    if (s->o.udp_timeout <= 0) s->o.udp_timeout = 1000 * CV_MS;
    pc_rng_seed(&s->rng, o->seed);
    s->now = o->start;
    return 0;
}

static int run_once(struct cv_sim *s, const struct pc_conv_opts *o, const struct pc_conv_step *st, size_t n,
                    struct pc_err *err, int pass, const struct cv_fbind *binds, size_t nbinds)
{
    if (init_sim(s, o, err) < 0) return -1;
    s->pass = pass;
    if (pass == 2) {
        s->faults = o->faults;
        s->nfaults = o->nfaults;
        memcpy(s->binds, binds, nbinds * sizeof *binds);
        s->nbinds = nbinds;
    }
    if (load_script(s, st, n) < 0) return -1;
    if (o->l4 == 6) cv_tcp_start(s);
    else cv_udp_start(s);
    run_events(s);
    return s->failed ? -1 : 0;
}

/* How many frames a captured packet becomes (IP fragments). */
static uint32_t frames_of(const struct cv_sim *s, const struct pc_conv_pkt *p)
{
    if (!p->frag_size) return 1;
    uint32_t l4 = (s->o.l4 == 17 ? 8 : 20) + p->len;
    if (s->o.l4 == 6) {
        uint8_t opt[PC_TCP_MAXOPT];
        int n = pc_tcp_opts_encode(p->opts, p->nopts, opt, sizeof opt);
        l4 += (uint32_t)(n > 0 ? n : 0);
    }
    uint32_t n = (l4 + p->frag_size - 1) / p->frag_size;
    if (n < 1) n = 1;
    if (p->frag_order == 3 && n > 1) n++; /* the overlapping fragment */
    return n;
}

/* Pass 1 numbers frames; a fault's packet number names one of them. */
static int bind_faults(struct cv_sim *s1, const struct pc_conv_opts *o, struct cv_fbind *binds, size_t *nbinds,
                       struct pc_err *err)
{
    size_t nb = 0;
    for (size_t fi = 0; fi < o->nfaults; fi++) {
        const struct pc_conv_fault *f = &o->faults[fi];
        int nump = f->kind == PC_FAULT_REORDER ? 2 : 1;
        for (int r = 0; r < nump; r++) {
            uint32_t want = f->pkt[r];
            if (f->kind == PC_FAULT_MIDSTREAM && !want) { /* the first packet with data */
                for (size_t i = 0; i < s1->nout && !want; i++)
                    if (s1->out[i].len) want = (uint32_t)i + 1;
            }
            uint32_t frame = 1;
            size_t hit = SIZE_MAX;
            for (size_t i = 0; i < s1->nout; i++) {
                uint32_t nf = frames_of(s1, &s1->out[i]);
                if (want >= frame && want < frame + nf) { hit = i; break; }
                frame += nf;
            }
            if (hit == SIZE_MAX) {
                err->code = PC_EINVAL;
                snprintf(err->msg, sizeof err->msg, "fault %s: packet %u does not exist (the conversation has %u)",
                         pc_conv_fault_name(f->kind), want, frame - 1);
                return -1;
            }
            const struct cv_pkt *c = &s1->pool[s1->outpool[hit]];
            binds[nb++] = (struct cv_fbind){ .side = c->side, .k = c->k, .fi = (uint32_t)fi, .role = (uint32_t)r };
        }
        if (f->kind == PC_FAULT_REORDER && binds[nb - 2].side != binds[nb - 1].side) {
            err->code = PC_EINVAL;
            snprintf(err->msg, sizeof err->msg, "fault reorder: packets %u and %u go in different directions",
                     f->pkt[0], f->pkt[1]);
            return -1;
        }
        if (f->kind == PC_FAULT_REORDER && binds[nb - 2].k >= binds[nb - 1].k) {
            err->code = PC_EINVAL;
            snprintf(err->msg, sizeof err->msg, "fault reorder:%u,%u: the first packet must come first",
                     f->pkt[0], f->pkt[1]);
            return -1;
        }
    }
    *nbinds = nb;
    return 0;
}

static int check_faults(const struct pc_conv_opts *o, struct pc_err *err)
{
    if (o->nfaults > PC_CONV_MAX_FAULTS) {
        err->code = PC_ELIMIT;
        snprintf(err->msg, sizeof err->msg, "%zu faults: at most %d", o->nfaults, PC_CONV_MAX_FAULTS);
        return -1;
    }
    for (size_t i = 0; i < o->nfaults; i++) {
        const struct pc_conv_fault *f = &o->faults[i];
        const char *bad = NULL;
        if (f->kind < 1 || f->kind >= PC_FAULT__COUNT) bad = "unknown fault";
        else if (!f->pkt[0] && f->kind != PC_FAULT_MIDSTREAM) bad = "packet numbers start at 1";
        else if (f->kind == PC_FAULT_REORDER && !f->pkt[1]) bad = "needs two packets";
        else if ((f->kind == PC_FAULT_ZEROWIN || f->kind == PC_FAULT_OVERLAP || f->kind == PC_FAULT_MIDSTREAM) && o->l4 != 6)
            bad = "applies to TCP only";
        else if (f->kind == PC_FAULT_FRAG && f->arg % 8) bad = "the fragment size must be a multiple of 8";
        else if (f->arg < 0) bad = "negative value";
        if (bad) {
            err->code = PC_EINVAL;
            snprintf(err->msg, sizeof err->msg, "fault %s: %s", pc_conv_fault_name(f->kind), bad);
            return -1;
        }
    }
    return 0;
}

/* Faults on packets that must fit them (known after pass 1). */
static int check_binds(const struct cv_sim *s1, const struct pc_conv_opts *o, const struct cv_fbind *b, size_t nb,
                       struct pc_err *err)
{
    for (size_t i = 0; i < nb; i++) {
        const struct pc_conv_fault *f = &o->faults[b[i].fi];
        const struct cv_pkt *c = NULL;
        for (size_t j = 0; j < s1->npool; j++)
            if (s1->pool[j].side == b[i].side && s1->pool[j].k == b[i].k) c = &s1->pool[j];
        if (!c) continue;
        const char *bad = NULL;
        if (f->kind == PC_FAULT_OVERLAP && c->p.len < 2) bad = "needs a packet with at least 2 bytes of data";
        if (f->kind == PC_FAULT_ZEROWIN && !(c->p.flags & PC_TCP_ACK)) bad = "needs a packet that carries an ACK";
        if (f->kind == PC_FAULT_ZEROWIN && (c->p.flags & PC_TCP_SYN)) bad = "cannot act on a SYN";
        if (bad) {
            err->code = PC_EINVAL;
            snprintf(err->msg, sizeof err->msg, "fault %s:%u: %s", pc_conv_fault_name(f->kind), f->pkt[0], bad);
            return -1;
        }
    }
    return 0;
}

static void number_frames(struct cv_sim *s)
{
    uint32_t frame = 1;
    for (size_t i = 0; i < s->nout; i++) {
        s->out[i].frame = frame;
        s->out[i].nframes = frames_of(s, &s->out[i]);
        frame += s->out[i].nframes;
    }
}

/* MIDSTREAM: the capture starts at the packet. */
static void cut_midstream(struct cv_sim *s, struct pc_conv *r)
{
    r->handshake_seen = s->o.l4 == 6;
    for (size_t fi = 0; fi < s->nfaults; fi++) {
        if (s->faults[fi].kind != PC_FAULT_MIDSTREAM) continue;
        size_t at = SIZE_MAX;
        for (size_t i = 0; i < s->nout && at == SIZE_MAX; i++)
            if (s->pool[s->outpool[i]].fmask >> fi & 1) at = i;
        if (at == SIZE_MAX || !at) continue;
        memmove(s->out, s->out + at, (s->nout - at) * sizeof *s->out);
        memmove(s->outpool, s->outpool + at, (s->nout - at) * sizeof *s->outpool);
        s->nout -= at;
        r->handshake_seen = false;
    }
}

static void add_touch(struct pc_conv_fault_result *fr, uint32_t frame)
{
    for (uint32_t i = 0; i < fr->npkts; i++)
        if (fr->pkts[i] == frame) return;
    if (fr->npkts < sizeof fr->pkts / sizeof fr->pkts[0]) fr->pkts[fr->npkts++] = frame;
}

/* DROP and CORRUPT: where the lost packet was sent again. */
static void find_resend(const struct cv_sim *s, const struct cv_pkt *lost, struct pc_conv_fault_result *fr)
{
    pc_time_ns sent_at = -1;
    for (size_t i = 0; i < s->nout; i++) {
        const struct cv_pkt *c = &s->pool[s->outpool[i]];
        const struct pc_conv_pkt *p = &s->out[i];
        if (c == lost) { sent_at = p->ts; continue; }
        if (c->side != lost->side || !(p->why & PC_CW_RETRANS) || (p->why & PC_CW_OVERLAP)) continue;
        bool same = s->o.l4 == 6 ? c->off <= lost->off && lost->off < c->off + (p->len ? p->len : 1)
                                 : p->step == lost->p.step;
        if (!same || c < lost) continue;
        add_touch(fr, p->frame);
        if (!fr->note[0]) {
            double ms = (double)(p->ts - (sent_at >= 0 ? sent_at : p->ts)) / 1e6;
            if (sent_at >= 0)
                snprintf(fr->note, sizeof fr->note, "sent again %.3f ms later (%s)", ms,
                         (p->why & PC_CW_FAST) ? "fast retransmission" : "timeout");
            else
                snprintf(fr->note, sizeof fr->note, "sent again (%s)",
                         (p->why & PC_CW_FAST) ? "fast retransmission" : "timeout");
        }
        break;
    }
    if (!fr->npkts && !fr->note[0]) {
        if (s->o.l4 == 17 && lost->side == PC_CONV_SERVER)
            snprintf(fr->note, sizeof fr->note, "the answer was lost: the client asked again");
        else
            snprintf(fr->note, sizeof fr->note, "nothing to resend (no data, or a later ACK covers it)");
    }
}

static int make_results(struct cv_sim *s, struct pc_conv *r)
{
    r->faults = calloc(s->nfaults ? s->nfaults : 1, sizeof *r->faults);
    if (!r->faults) return PC_ENOMEM;
    r->nfaults = s->nfaults;
    for (size_t fi = 0; fi < s->nfaults; fi++) {
        struct pc_conv_fault_result *fr = &r->faults[fi];
        fr->f = s->faults[fi];
        const struct cv_pkt *target = NULL;
        for (size_t j = 0; j < s->npool && !target; j++)
            for (size_t b = 0; b < s->nbinds; b++)
                if (s->binds[b].fi == fi && s->binds[b].role == 0 && s->pool[j].side == s->binds[b].side &&
                    s->pool[j].k == s->binds[b].k)
                    target = &s->pool[j];
        fr->applied = target != NULL;
        for (size_t i = 0; i < s->nout; i++)
            if ((s->pool[s->outpool[i]].fmask >> fi & 1) || (s->out[i].why & PC_CW_OVERLAP && fr->f.kind == PC_FAULT_OVERLAP &&
                                                               s->pool[s->outpool[i]].side == (target ? target->side : 2)))
                add_touch(fr, s->out[i].frame);
        if (target && (fr->f.kind == PC_FAULT_DROP || fr->f.kind == PC_FAULT_CORRUPT)) find_resend(s, target, fr);
    }
    return 0;
}

static int finish(struct cv_sim *s, struct pc_conv *r)
{
    cut_midstream(s, r);
    number_frames(s);
    int rc = make_results(s, r);
    r->pkts = s->out;
    r->npkts = s->nout;
    s->out = NULL;
    /* the buffers live on in the result */
    for (int d = 0; d < 2; d++) {
        r->sent[d] = s->sbuf[d];
        r->nsent[d] = s->slen[d];
        r->delivered[d] = s->rbuf[d];
        r->ndelivered[d] = s->o.l4 == 6 ? s->s[d].rdata : s->rlen[d];
        r->isn[d] = s->s[d].iss;
        s->sbuf[d] = s->rbuf[d] = NULL;
    }
    /* packet data points into the pool's buffers and the overlap bytes:
     * keep those alive with the result */
    r->priv = s;
    return rc;
}

static void sim_destroy(struct cv_sim *s)
{
    sim_free(s);
    free(s->out);
    free(s);
}

/* Pass 1: the conversation without faults, to bind each fault to the
 * packet its number names. */
static int learn_binds(const struct pc_conv_opts *o, const struct pc_conv_step *steps, size_t nsteps,
                       struct cv_fbind *binds, size_t *nb, struct pc_err *err)
{
    struct cv_sim *s1 = calloc(1, sizeof *s1);
    if (!s1) {
        err->code = PC_ENOMEM;
        snprintf(err->msg, sizeof err->msg, "out of memory");
        return -1;
    }
    int rc = run_once(s1, o, steps, nsteps, err, 1, NULL, 0);
    if (!rc) {
        number_frames(s1);
        rc = bind_faults(s1, o, binds, nb, err);
    }
    if (!rc) rc = check_binds(s1, o, binds, *nb, err);
    sim_destroy(s1);
    return rc;
}

struct pc_conv *pc_conv_run(const struct pc_conv_opts *o, const struct pc_conv_step *steps, size_t nsteps,
                            struct pc_err *err)
{
    memset(err, 0, sizeof *err);
    struct cv_fbind binds[2 * PC_CONV_MAX_FAULTS];
    size_t nb = 0;
    if (check_faults(o, err) < 0) return NULL;
    if (o->nfaults && learn_binds(o, steps, nsteps, binds, &nb, err) < 0) return NULL;
    struct pc_conv *r = calloc(1, sizeof *r);
    struct cv_sim *s = calloc(1, sizeof *s);
    if (!r || !s) {
        free(r);
        free(s);
        err->code = PC_ENOMEM;
        snprintf(err->msg, sizeof err->msg, "out of memory");
        return NULL;
    }
    if (run_once(s, o, steps, nsteps, err, 2, binds, nb) < 0) {
        sim_destroy(s);
        free(r);
        return NULL;
    }
    if (finish(s, r) < 0) {
        err->code = PC_ENOMEM;
        snprintf(err->msg, sizeof err->msg, "out of memory");
        pc_conv_free(r);
        return NULL;
    }
    return r;
}

void pc_conv_free(struct pc_conv *c)
{
    if (!c) return;
    struct cv_sim *s = c->priv;
    if (s) {
        sim_free(s);
        free(s);
    }
    free(c->pkts);
    free((void *)c->sent[0]);
    free((void *)c->sent[1]);
    free((void *)c->delivered[0]);
    free((void *)c->delivered[1]);
    free(c->faults);
    free(c);
}

int pc_conv_push_l4(const struct pc_conv *c, size_t i, struct pc_pkt *pk, pc_conv_adjust adjust, void *ctx)
{
    const struct cv_sim *s = c->priv;
    const struct pc_conv_pkt *p = &c->pkts[i];
    uint16_t sp = s->o.sport, dp = s->o.dport;
    if (p->dir == PC_CONV_SERVER) { uint16_t t = sp; sp = dp; dp = t; }
    int rc;
    if (s->o.l4 == 6) {
        struct pc_tcp t = { .sport = sp, .dport = dp, .seq = p->seq, .ack = p->ack, .flags = p->flags, .win = p->win,
                            .opts = p->opts, .nopts = p->nopts };
        if (adjust) adjust(ctx, i, PC_P_TCP, &t);
        if (p->bad_l4csum) t.csum = PC_CORRUPT;
        rc = pc_push_tcp(pk, &t);
    } else {
        struct pc_udp u = { .sport = sp, .dport = dp };
        if (adjust) adjust(ctx, i, PC_P_UDP, &u);
        if (p->bad_l4csum) u.csum = PC_CORRUPT;
        rc = pc_push_udp(pk, &u);
    }
    if (rc < 0) return rc;
    return p->len ? pc_push_payload(pk, p->data, p->len) : 0;
}

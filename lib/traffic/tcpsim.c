/* The TCP of each end of a simulated conversation: handshake and option
 * negotiation (RFC 9293, RFC 7323, RFC 2018), segmentation at the
 * effective MSS within the peer's window and a congestion window (RFC 5681:
 * initial window of 10 segments as RFC 6928, slow start, congestion
 * avoidance, fast retransmit and NewReno recovery of RFC 6582), the
 * retransmission timer of RFC 6298 with Linux's 200 ms floor, delayed ACKs,
 * zero-window probes, and teardown.  Offsets count from the ISN so that
 * nothing here compares wrapped 32-bit numbers. */
#include <string.h>

#include "conv_int.h"
#include "pktcraft/wire/tcp.h"

#define RTO_MIN (200 * CV_MS)
#define RTO_INIT (1000 * CV_MS)
#define RTO_MAX (120000 * CV_MS)
#define DELACK (40 * CV_MS)

static uint64_t min64(uint64_t a, uint64_t b) { return a < b ? a : b; }
static uint64_t max64(uint64_t a, uint64_t b) { return a > b ? a : b; }

static struct cv_side *peer_of(struct cv_sim *s, int x) { return &s->s[!x]; }

static void arm_rto(struct cv_sim *s, int x)
{
    struct cv_side *t = &s->s[x];
    t->rto_gen++;
    t->rto_armed = true;
    cv_schedule(s, s->now + t->rto, EV_RTO, (uint8_t)x, 0, t->rto_gen);
}

static void cancel_rto(struct cv_side *t)
{
    t->rto_gen++;
    t->rto_armed = false;
}

/* The window this side offers: all of its buffer (the application reads
 * at once), nothing while the zero-window fault stalls it. */
static uint64_t rcv_window(const struct cv_sim *s, int x)
{
    return s->s[x].stalled ? 0 : s->o.rcvbuf[x];
}

static uint32_t ts_now(const struct cv_sim *s, int x)
{
    return s->s[x].ts_base + (uint32_t)((s->now - s->o.start) / CV_MS); /* a 1 kHz clock */
}

static void add_opt(struct pc_conv_pkt *p, struct pc_tcpopt o)
{
    if (p->nopts < sizeof p->opts / sizeof p->opts[0]) p->opts[p->nopts++] = o;
}

/* Linux's order: MSS, SACK-permitted, timestamps, NOP, window scale. */
static void syn_options(struct cv_sim *s, int x, struct cv_pkt *c, bool synack)
{
    const struct cv_side *t = &s->s[x];
    uint32_t mss = s->o.mss[x] ? s->o.mss[x] : s->o.mtu - s->o.net_overhead - 20;
    add_opt(&c->p, (struct pc_tcpopt){ .kind = PC_TCPOPT_MSS, .mss = (uint16_t)(mss > 65535 ? 65535 : mss) });
    bool sack = !s->o.no_sack && (!synack || t->sack_ok);
    bool ts = !s->o.no_ts && (!synack || t->ts_ok);
    bool ws = !s->o.no_wscale && s->o.wscale[x] >= 0 && (!synack || t->ws_ok);
    if (sack && ts) add_opt(&c->p, (struct pc_tcpopt){ .kind = PC_TCPOPT_SACKOK });
    if (ts) {
        add_opt(&c->p, (struct pc_tcpopt){ .kind = PC_TCPOPT_TS, .ts_val = ts_now(s, x), .ts_ecr = synack ? t->ts_recent : 0 });
        c->has_ts = true;
        c->tsval = ts_now(s, x);
    } else if (sack) {
        add_opt(&c->p, (struct pc_tcpopt){ .kind = PC_TCPOPT_NOP });
        add_opt(&c->p, (struct pc_tcpopt){ .kind = PC_TCPOPT_NOP });
        add_opt(&c->p, (struct pc_tcpopt){ .kind = PC_TCPOPT_SACKOK });
    }
    if (ws) {
        add_opt(&c->p, (struct pc_tcpopt){ .kind = PC_TCPOPT_NOP });
        add_opt(&c->p, (struct pc_tcpopt){ .kind = PC_TCPOPT_WSCALE, .wscale = (uint8_t)s->o.wscale[x] });
    }
}

/* Timestamps on every segment once negotiated; SACK blocks (the newest
 * first) while data is out of order. */
static void seg_options(struct cv_sim *s, int x, struct cv_pkt *c)
{
    const struct cv_side *t = &s->s[x];
    if (t->ts_ok) {
        add_opt(&c->p, (struct pc_tcpopt){ .kind = PC_TCPOPT_NOP });
        add_opt(&c->p, (struct pc_tcpopt){ .kind = PC_TCPOPT_NOP });
        add_opt(&c->p, (struct pc_tcpopt){ .kind = PC_TCPOPT_TS, .ts_val = ts_now(s, x), .ts_ecr = t->ts_recent });
        c->has_ts = true;
        c->tsval = ts_now(s, x);
    }
    if (!t->sack_ok || !t->nooo || !(c->p.flags & PC_TCP_ACK)) return;
    struct pc_tcpopt o = { .kind = PC_TCPOPT_SACK };
    uint32_t max = t->ts_ok ? 3 : 4;
    uint32_t peer_iss = s->s[!x].iss;
    for (uint32_t i = t->nooo; i-- > 0 && o.nsack < max;) {
        o.sack[o.nsack][0] = peer_iss + (uint32_t)t->ooo[i].a;
        o.sack[o.nsack][1] = peer_iss + (uint32_t)t->ooo[i].b;
        o.nsack++;
    }
    add_opt(&c->p, (struct pc_tcpopt){ .kind = PC_TCPOPT_NOP });
    add_opt(&c->p, (struct pc_tcpopt){ .kind = PC_TCPOPT_NOP });
    add_opt(&c->p, o);
}

/* Send one segment: [off, off + len) of this side's sequence space. */
static void send_seg(struct cv_sim *s, int x, uint64_t off, uint32_t len, uint16_t flags, uint32_t why)
{
    struct cv_pkt *c = cv_new_pkt(s, x);
    if (!c) return;
    struct cv_side *t = &s->s[x];
    c->off = off;
    c->p.seq = t->iss + (uint32_t)off;
    c->p.flags = flags;
    c->p.why = why;
    if (len) {
        c->p.data = s->sbuf[x] + (off - 1);
        c->p.len = len;
    }
    if (flags & PC_TCP_ACK) {
        /* the same ACK again, with nothing else: a duplicate ACK */
        if (flags == PC_TCP_ACK && !len && t->acks_sent && t->rnxt == t->last_ack && !(why & PC_CW_WINUPD))
            c->p.why |= PC_CW_DUPACK;
        t->acks_sent = true;
        t->last_ack = t->rnxt;
        c->ackoff = t->rnxt;
        c->p.ack = peer_of(s, x)->iss + (uint32_t)t->rnxt;
        t->ack_pending = t->ack_now = false;
        t->unacked = 0;
        t->delack_gen++;
        t->delack_armed = false;
    }
    c->wnd = rcv_window(s, x);
    uint64_t field = (flags & PC_TCP_SYN) || !t->ws_ok ? c->wnd : c->wnd >> t->rcv_shift;
    c->p.win = (uint16_t)min64(field, 65535);
    if (flags & PC_TCP_SYN) syn_options(s, x, c, (flags & PC_TCP_ACK) != 0);
    else if (!(flags & PC_TCP_RST)) seg_options(s, x, c);
    uint64_t end = off + len + ((flags & (PC_TCP_SYN | PC_TCP_FIN)) ? 1 : 0);
    if (end > off) {
        bool probe = (why & PC_CW_PROBE) != 0;
        /* Karn: time one new segment at a time, never a retransmission */
        if (!probe && !t->timing && off >= t->max) {
            t->timing = true;
            t->timed_end = end;
            t->timed_at = s->now;
        }
        /* a probe's byte counts as sent: a receiver that takes it acks it */
        t->max = max64(t->max, end);
        if (!probe && !t->rto_armed) arm_rto(s, x);
    }
    cv_transmit(s, c);
}

static void send_ack(struct cv_sim *s, int x, uint32_t why)
{
    const struct cv_side *t = &s->s[x];
    send_seg(s, x, t->nxt, 0, PC_TCP_ACK, why);
}

static void arm_persist(struct cv_sim *s, int x)
{
    struct cv_side *t = &s->s[x];
    if (t->persist_armed) return;
    if (!t->persist) t->persist = t->rto;
    t->persist_gen++;
    t->persist_armed = true;
    cv_schedule(s, s->now + t->persist, EV_PERSIST, (uint8_t)x, 0, t->persist_gen);
}

/* Send what the windows allow, then the FIN once everything is out. */
static void output(struct cv_sim *s, int x)
{
    struct cv_side *t = &s->s[x];
    if (!t->established || t->closed) return;
    for (;;) {
        uint64_t data_end = 1 + t->written;
        if (t->nxt < data_end) {
            uint64_t flight = t->nxt - t->una;
            /* one byte of the peer's window stays free, so a transfer that
             * the window limits is not a "window full" every RTT */
            uint64_t edge = t->una + t->wnd;
            uint64_t wroom = edge > t->nxt + 1 ? edge - t->nxt - 1 : 0;
            uint64_t croom = t->cwnd > flight ? t->cwnd - flight : 0;
            uint64_t len = min64(t->mss, data_end - t->nxt);
            if (len > wroom || len > croom) {
                if (!wroom && !flight) arm_persist(s, x);
                if (flight || !wroom || !croom) break;
                len = min64(wroom, croom); /* nothing in flight: send what fits */
            }
            uint16_t fl = PC_TCP_ACK | (t->nxt + len == data_end ? PC_TCP_PSH : 0);
            uint32_t why = t->nxt < t->max ? PC_CW_RETRANS : 0;
            send_seg(s, x, t->nxt, (uint32_t)len, fl, why);
            t->nxt += len;
            continue;
        }
        if (t->fin_queued && t->nxt == data_end && (!t->fin_sent || t->nxt == t->fin_off)) {
            uint32_t why = t->fin_sent ? PC_CW_RETRANS : 0;
            t->fin_off = t->nxt;
            t->fin_sent = true;
            send_seg(s, x, t->nxt, 0, PC_TCP_FIN | PC_TCP_ACK, why);
            t->nxt++;
        }
        break;
    }
}

static void abort_with_rst(struct cv_sim *s, int x)
{
    struct cv_side *t = &s->s[x];
    send_seg(s, x, t->nxt, 0, PC_TCP_RST | PC_TCP_ACK, 0);
    t->closed = true;
    cancel_rto(t);
}

/* Whether side x's application is done and should close now. */
static void maybe_close(struct cv_sim *s, int x)
{
    struct cv_side *t = &s->s[x];
    if (t->fin_queued || t->closed) return;
    bool all_written = s->next == s->nsteps;
    bool all_read = t->rdata == s->slen[!x];
    int first = -1; /* who closes first */
    bool rst = false;
    switch (s->o.close) {
    case PC_CLOSE_CLIENT_FIN: first = PC_CONV_CLIENT; break;
    case PC_CLOSE_SERVER_FIN: first = PC_CONV_SERVER; break;
    case PC_CLOSE_HALF: first = PC_CONV_CLIENT; break;
    case PC_CLOSE_RST: first = PC_CONV_CLIENT; rst = true; break;
    case PC_CLOSE_SERVER_RST: first = PC_CONV_SERVER; rst = true; break;
    default: return;
    }
    if (x == first) {
        bool ready = s->o.close == PC_CLOSE_HALF ? s->next >= s->last_client_step : all_written && all_read;
        /* an abort comes once the peer has everything this side wrote */
        if (rst && t->una < 1 + t->written) ready = false;
        if (!ready) return;
        if (rst) { abort_with_rst(s, x); return; }
        t->fin_queued = true;
    } else if (t->peer_fin && all_written) {
        t->fin_queued = true;
    }
}

/* The application of side x writes every step it can. */
static void app(struct cv_sim *s, int x)
{
    struct cv_side *t = &s->s[x];
    while (s->next < s->nsteps && t->established && !t->closed) {
        const struct cv_step *st = &s->steps[s->next];
        if (st->dir != x || t->rdata < st->need) break;
        if (cv_think(s, x)) return;
        t->written += st->len;
        s->next++;
    }
    maybe_close(s, x);
    output(s, x);
}

static void rtt_sample(struct cv_side *t, int64_t r)
{
    if (!t->srtt) {
        t->srtt = r;
        t->rttvar = r / 2;
    } else {
        int64_t d = t->srtt > r ? t->srtt - r : r - t->srtt;
        t->rttvar = (3 * t->rttvar + d) / 4;
        t->srtt = (7 * t->srtt + r) / 8;
    }
    int64_t rto = t->srtt + (4 * t->rttvar > CV_MS ? 4 * t->rttvar : CV_MS);
    t->rto = rto < RTO_MIN ? RTO_MIN : rto > RTO_MAX ? RTO_MAX : rto;
}

static void retransmit_una(struct cv_sim *s, int x, uint32_t why)
{
    struct cv_side *t = &s->s[x];
    uint64_t data_end = 1 + t->written;
    if (t->una < data_end) {
        uint32_t len = (uint32_t)min64(t->mss, data_end - t->una);
        uint16_t fl = PC_TCP_ACK | (t->una + len == data_end ? PC_TCP_PSH : 0);
        send_seg(s, x, t->una, len, fl, why);
    } else if (t->fin_sent && t->una == t->fin_off) {
        send_seg(s, x, t->una, 0, PC_TCP_FIN | PC_TCP_ACK, why);
    }
}

/* An ACK reaches side x, the sender of the data it acknowledges. */
static void on_ack(struct cv_sim *s, int x, const struct cv_pkt *c)
{
    struct cv_side *t = &s->s[x];
    uint64_t a = c->ackoff;
    if (a > t->max) return; /* acknowledges what was never sent */
    if (!t->established && t->syn_sent && a >= 1) t->established = true; /* the server's half */
    uint64_t win = t->ws_ok ? (uint64_t)c->p.win << t->snd_shift : c->p.win;
    bool pure = !c->p.len && !(c->p.flags & (PC_TCP_SYN | PC_TCP_FIN));
    if (a > t->una) {
        uint64_t acked = a - t->una;
        t->una = a;
        if (t->nxt < t->una) t->nxt = t->una;
        if (t->timing && a >= t->timed_end) {
            t->timing = false;
            rtt_sample(t, s->now - t->timed_at);
        }
        t->retries = 0;
        if (t->recovery) {
            if (a >= t->recover) {
                t->recovery = false;
                t->cwnd = t->ssthresh;
            } else {
                retransmit_una(s, x, PC_CW_RETRANS | PC_CW_FAST); /* partial ACK: the next hole */
            }
        } else if (t->cwnd < t->ssthresh) {
            t->cwnd += min64(acked, t->mss);
        } else {
            t->cwnd += max64((uint64_t)t->mss * t->mss / t->cwnd, 1);
        }
        t->dupacks = 0;
        if (t->fin_sent && a > t->fin_off) t->fin_acked = true;
        if (t->una >= t->max) cancel_rto(t);
        else arm_rto(s, x);
    } else if (a == t->una && pure && win == t->wnd && t->max > t->una) {
        t->dupacks++;
        if (t->dupacks == 3 && !t->recovery) {
            uint64_t flight = t->max - t->una;
            t->ssthresh = max64(flight / 2, 2 * (uint64_t)t->mss);
            t->recovery = true;
            t->recover = t->max;
            t->timing = false;
            retransmit_una(s, x, PC_CW_RETRANS | PC_CW_FAST);
            t->cwnd = t->ssthresh + 3 * (uint64_t)t->mss;
        } else if (t->dupacks > 3 && t->recovery) {
            t->cwnd += t->mss;
        }
    }
    bool opened = !t->wnd && win;
    t->wnd = win;
    if (opened) {
        t->persist_gen++;
        t->persist_armed = false;
        t->persist = 0;
    }
}

static void ooo_add(struct cv_side *t, uint64_t a, uint64_t b)
{
    /* merge with every range it touches; the merged one goes last (newest) */
    uint32_t w = 0;
    for (uint32_t i = 0; i < t->nooo; i++) {
        struct cv_iv r = t->ooo[i];
        if (r.b < a || r.a > b) { t->ooo[w++] = r; continue; }
        a = min64(a, r.a);
        b = max64(b, r.b);
    }
    t->nooo = w;
    if (t->nooo == CV_MAX_OOO) { /* forget the oldest: the sender resends it */
        memmove(t->ooo, t->ooo + 1, (CV_MAX_OOO - 1) * sizeof t->ooo[0]);
        t->nooo--;
    }
    t->ooo[t->nooo++] = (struct cv_iv){ a, b };
}

/* rnxt moved: take the out-of-order ranges it reaches. */
static void ooo_pull(struct cv_side *t)
{
    bool again = true;
    while (again) {
        again = false;
        for (uint32_t i = 0; i < t->nooo; i++) {
            if (t->ooo[i].a > t->rnxt) continue;
            t->rnxt = max64(t->rnxt, t->ooo[i].b);
            memmove(t->ooo + i, t->ooo + i + 1, (t->nooo - i - 1) * sizeof t->ooo[0]);
            t->nooo--;
            again = true;
            break;
        }
    }
}

static bool covered(const struct cv_side *t, uint64_t o)
{
    if (o < t->rnxt) return true;
    for (uint32_t i = 0; i < t->nooo; i++)
        if (o >= t->ooo[i].a && o < t->ooo[i].b) return true;
    return false;
}

/* Keep the bytes of [o, o + n) not already held: the first copy wins. */
static void store(struct cv_sim *s, int y, const struct cv_pkt *c)
{
    const struct cv_side *t = &s->s[y];
    if (!t->nooo && c->off >= t->rnxt && c->off - 1 + c->p.len <= s->slen[!y]) { /* the common case: in order */
        memcpy(s->rbuf[y] + (c->off - 1), c->p.data, c->p.len);
        return;
    }
    for (uint32_t i = 0; i < c->p.len; i++) {
        uint64_t o = c->off + i;
        if (!covered(t, o) && o - 1 < s->slen[!y]) s->rbuf[y][o - 1] = c->p.data[i];
    }
}

static void take_fin(struct cv_side *t)
{
    if (t->peer_fin || !t->peer_fin_off || t->rnxt != t->peer_fin_off) return;
    t->rnxt++;
    t->peer_fin = true;
    t->ack_now = true;
}

/* Data or a FIN reaches side y. */
static void on_data(struct cv_sim *s, int y, const struct cv_pkt *c)
{
    struct cv_side *t = &s->s[y];
    if (c->has_ts && t->ts_ok && c->off <= t->rnxt) t->ts_recent = c->tsval;
    if (c->p.len) {
        uint64_t e = c->off + c->p.len;
        if ((c->p.why & PC_CW_PROBE) && t->stalled) {
            t->ack_now = true; /* a probe into a closed window: answer, keep nothing */
        } else if (e <= t->rnxt) {
            t->ack_now = true; /* old data: a duplicate ACK says where we are */
        } else {
            store(s, y, c);
            if (c->off <= t->rnxt) {
                bool hole = t->nooo > 0;
                t->rnxt = e;
                ooo_pull(t);
                if (hole) t->ack_now = true;
                if (++t->unacked >= 2 || !s->o.delack) t->ack_now = true;
            } else {
                ooo_add(t, c->off, e);
                t->ack_now = true;
            }
            t->ack_pending = true;
        }
        t->ack_pending = true;
    }
    if (c->p.flags & PC_TCP_FIN) {
        uint64_t f = c->off + c->p.len;
        if (f < t->rnxt) t->ack_now = true;
        else if (!t->peer_fin_off) t->peer_fin_off = f;
        t->ack_pending = true;
    }
    take_fin(t);
    t->rdata = (t->rnxt ? t->rnxt - 1 : 0) - (t->peer_fin ? 1 : 0);
    if (t->rdata > s->slen[!y]) t->rdata = s->slen[!y];
    if (t->ack_pending && !t->ack_now && !t->delack_armed) {
        t->delack_armed = true;
        cv_schedule(s, s->now + DELACK, EV_DELACK, (uint8_t)y, 0, ++t->delack_gen);
    }
}

static void negotiate(struct cv_sim *s, int y, const struct cv_pkt *c)
{
    struct cv_side *t = &s->s[y];
    bool sack = false, ts = false, ws = false;
    uint32_t mss = 536;
    uint8_t shift = 0;
    for (uint8_t i = 0; i < c->p.nopts; i++) {
        const struct pc_tcpopt *o = &c->p.opts[i];
        if (o->kind == PC_TCPOPT_SACKOK) sack = true;
        if (o->kind == PC_TCPOPT_TS) ts = true;
        if (o->kind == PC_TCPOPT_MSS) mss = o->mss;
        if (o->kind == PC_TCPOPT_WSCALE) { ws = true; shift = o->wscale > 14 ? 14 : o->wscale; }
    }
    /* the responder offers only what the initiator did; the initiator
     * keeps only what came back */
    t->sack_ok = sack && !s->o.no_sack;
    t->ts_ok = ts && !s->o.no_ts;
    t->ws_ok = ws && !s->o.no_wscale && s->o.wscale[y] >= 0;
    t->snd_shift = t->ws_ok ? shift : 0;
    t->rcv_shift = t->ws_ok ? (uint8_t)s->o.wscale[y] : 0;
    t->peer_mss = mss;
    uint32_t own = s->o.mtu - s->o.net_overhead - 20;
    t->mss = (mss < own ? mss : own) - (t->ts_ok ? 12 : 0);
    if (t->mss < 8) t->mss = 8;
    t->cwnd = 10 * (uint64_t)t->mss;
    t->ssthresh = UINT64_MAX / 2;
    t->rnxt = 1;
    if (t->ts_ok) t->ts_recent = c->tsval;
    t->wnd = c->p.win; /* a SYN's window is never scaled */
}

static void on_syn(struct cv_sim *s, int y, const struct cv_pkt *c)
{
    struct cv_side *t = &s->s[y];
    if (!(c->p.flags & PC_TCP_ACK)) { /* the server gets the SYN */
        if (y != PC_CONV_SERVER) return;
        bool again = t->syn_sent;
        if (!again) negotiate(s, y, c);
        send_seg(s, y, 0, 0, PC_TCP_SYN | PC_TCP_ACK, again ? PC_CW_RETRANS : 0);
        t->syn_sent = true;
        t->nxt = 1;
        return;
    }
    if (t->established) { /* the SYN/ACK again: our ACK was lost or late */
        t->ack_now = t->ack_pending = true;
        return;
    }
    if (c->ackoff < 1) return;
    negotiate(s, y, c);
    t->una = t->nxt = 1;
    t->established = true;
    if (t->timing) {
        t->timing = false;
        rtt_sample(t, s->now - t->timed_at);
    }
    t->retries = 0;
    cancel_rto(t);
    /* the third packet of the handshake goes out on its own, before the
     * application's first write, as a stack answering a SYN/ACK does */
    send_ack(s, y, 0);
}

static void input(struct cv_sim *s, int y, const struct cv_pkt *c)
{
    struct cv_side *t = &s->s[y];
    if (t->closed) {
        /* an aborted connection answers whatever still comes with a reset
         * (RFC 9293 3.10.7.1), so a peer that missed the first one stops */
        if (!(c->p.flags & PC_TCP_RST) && (c->p.flags & PC_TCP_ACK))
            send_seg(s, y, c->ackoff, 0, PC_TCP_RST, 0);
        return;
    }
    if (c->p.flags & PC_TCP_RST) {
        t->closed = true;
        cancel_rto(t);
        return;
    }
    if (c->p.flags & PC_TCP_SYN) {
        on_syn(s, y, c);
    } else {
        if (!t->syn_sent && y == PC_CONV_SERVER) return; /* nothing to talk to */
        if (c->p.flags & PC_TCP_ACK) on_ack(s, y, c);
        if (c->p.len || (c->p.flags & PC_TCP_FIN)) on_data(s, y, c);
    }
    app(s, y);
    if (t->ack_pending && t->ack_now && !t->closed) send_ack(s, y, 0);
}

static void on_rto(struct cv_sim *s, int x)
{
    struct cv_side *t = &s->s[x];
    t->rto_armed = false;
    if (t->closed) return;
    bool syn_phase = !t->established;
    if (!syn_phase && t->una >= t->max) return;
    if (++t->retries > CV_MAX_RETRIES) {
        cv_fail(s, PC_ELIMIT, "the %s gave up after %d retransmissions", x ? "server" : "client", CV_MAX_RETRIES);
        return;
    }
    t->rto = t->rto * 2 > RTO_MAX ? RTO_MAX : t->rto * 2;
    t->timing = false;
    if (syn_phase) {
        uint16_t fl = x == PC_CONV_CLIENT ? PC_TCP_SYN : PC_TCP_SYN | PC_TCP_ACK;
        send_seg(s, x, 0, 0, fl, PC_CW_RETRANS);
        return;
    }
    uint64_t flight = t->max - t->una;
    t->ssthresh = max64(flight / 2, 2 * (uint64_t)t->mss);
    t->cwnd = t->mss;
    t->recovery = false;
    t->dupacks = 0;
    t->nxt = t->una; /* go back: everything unacknowledged is sent again */
    retransmit_una(s, x, PC_CW_RETRANS);
    uint64_t data_end = 1 + t->written;
    t->nxt = t->una < data_end ? t->una + min64(t->mss, data_end - t->una) : t->nxt + 1;
    arm_rto(s, x);
}

static void on_persist(struct cv_sim *s, int x)
{
    struct cv_side *t = &s->s[x];
    t->persist_armed = false;
    if (t->closed || t->wnd || t->nxt >= 1 + t->written) return;
    send_seg(s, x, t->nxt, 1, PC_TCP_ACK, PC_CW_PROBE);
    t->persist = t->persist * 2 > RTO_MAX ? RTO_MAX : t->persist * 2;
    arm_persist(s, x);
}

void cv_tcp_stall(struct cv_sim *s, int side, int64_t dur)
{
    struct cv_side *t = &s->s[side];
    if (t->stalled) return;
    t->stalled = true;
    cv_schedule(s, s->now + dur, EV_STALL_END, (uint8_t)side, 0, 0);
}

void cv_tcp_start(struct cv_sim *s)
{
    for (int x = 0; x < 2; x++) {
        struct cv_side *t = &s->s[x];
        uint64_t r = pc_rng_next(&s->rng);
        t->iss = s->o.isn_given[x] ? s->o.isn[x] : (uint32_t)r;
        t->ts_base = (uint32_t)(r >> 32);
        t->ipid = (uint16_t)pc_rng_next(&s->rng);
        t->rto = RTO_INIT;
        t->link_free = s->o.start;
    }
    if (!s->o.sport) s->o.sport = (uint16_t)(32768 + pc_rng_below(&s->rng, 28232));
    s->s[PC_CONV_CLIENT].syn_sent = true;
    send_seg(s, PC_CONV_CLIENT, 0, 0, PC_TCP_SYN, 0);
    s->s[PC_CONV_CLIENT].nxt = 1;
}

void cv_tcp_event(struct cv_sim *s, const struct cv_event *e)
{
    int x = e->side;
    struct cv_side *t = &s->s[x];
    switch (e->type) {
    case EV_ARRIVE: {
        struct cv_pkt c = s->pool[e->idx]; /* a copy: sending may move the pool */
        input(s, x, &c);
        break;
    }
    case EV_RTO:
        if (e->gen == t->rto_gen) on_rto(s, x);
        break;
    case EV_DELACK:
        if (e->gen != t->delack_gen) break;
        t->delack_armed = false;
        if (t->ack_pending && !t->closed) send_ack(s, x, 0);
        break;
    case EV_PERSIST:
        if (e->gen == t->persist_gen) on_persist(s, x);
        break;
    case EV_APP:
        if (e->gen != t->app_gen) break;
        t->thinking = false;
        t->think_done = true;
        app(s, x);
        break;
    case EV_STALL_END:
        t->stalled = false;
        if (!t->closed) send_ack(s, x, PC_CW_WINUPD);
        break;
    default: break;
    }
}

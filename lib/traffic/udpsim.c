/* The datagram exchange of a simulated conversation: each step is one
 * datagram, sent once its side has received the step before it (or right
 * after its own previous one).  The client, when it waits for an answer,
 * sends its datagram again after a timeout, as DNS, NTP and DHCP clients
 * do; the server answers a request it receives again, and never retries
 * on its own. */
#include <string.h>

#include "conv_int.h"

static bool expects_answer(const struct cv_sim *s, size_t i)
{
    return i + 1 < s->nsteps && s->steps[i + 1].dir != s->steps[i].dir;
}

static void send_step(struct cv_sim *s, size_t i, uint32_t why)
{
    const struct cv_step *st = &s->steps[i];
    struct cv_pkt *c = cv_new_pkt(s, st->dir);
    if (!c) return;
    c->p.step = (uint32_t)i;
    c->p.tag = st->tag;
    c->p.why = why;
    c->p.data = s->sbuf[st->dir] + st->off;
    c->p.len = (uint32_t)st->len;
    s->tries[i]++;
    cv_transmit(s, c);
    if (st->dir == PC_CONV_CLIENT && expects_answer(s, i)) { /* clients retry, servers only answer */
        struct cv_side *t = &s->s[st->dir];
        cv_schedule(s, s->now + s->o.udp_timeout, EV_UDP_TIMEOUT, st->dir, (uint32_t)i, ++t->udp_gen);
    }
}

/* Side x sends every step that is its turn. */
static void advance(struct cv_sim *s, int x)
{
    while (s->next < s->nsteps && s->steps[s->next].dir == x) {
        if (cv_think(s, x)) return;
        send_step(s, s->next++, 0);
    }
}

static void arrive(struct cv_sim *s, int y, const struct cv_pkt *c)
{
    size_t i = c->p.step;
    struct cv_side *t = &s->s[y];
    if (!s->got[i]) {
        s->got[i] = true;
        if (c->p.len) memcpy(s->rbuf[y] + s->rlen[y], c->p.data, c->p.len);
        s->rlen[y] += c->p.len;
        if (i && s->steps[i - 1].dir == y) t->udp_gen++; /* the answer came: no resend */
        if (i + 1 == s->next) advance(s, y);
        return;
    }
    /* a request the server has seen before: its answer goes again (a
     * client ignores an answer it already has) */
    if (y == PC_CONV_SERVER && i + 1 < s->next && s->steps[i + 1].dir == y) send_step(s, i + 1, PC_CW_RETRANS);
}

void cv_udp_start(struct cv_sim *s)
{
    for (int x = 0; x < 2; x++) {
        s->s[x].ipid = (uint16_t)pc_rng_next(&s->rng);
        s->s[x].link_free = s->o.start;
    }
    if (!s->o.sport) s->o.sport = (uint16_t)(32768 + pc_rng_below(&s->rng, 28232));
    if (s->nsteps) advance(s, s->steps[0].dir);
}

void cv_udp_event(struct cv_sim *s, const struct cv_event *e)
{
    int x = e->side;
    struct cv_side *t = &s->s[x];
    switch (e->type) {
    case EV_ARRIVE: {
        struct cv_pkt c = s->pool[e->idx];
        arrive(s, x, &c);
        break;
    }
    case EV_UDP_TIMEOUT:
        if (e->gen != t->udp_gen || s->got[e->idx + 1]) break;
        if (s->tries[e->idx] < s->o.udp_tries) send_step(s, e->idx, PC_CW_RETRANS);
        break;
    case EV_APP:
        if (e->gen != t->app_gen) break;
        t->thinking = false;
        t->think_done = true;
        advance(s, x);
        break;
    default: break;
    }
}

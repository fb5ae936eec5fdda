/* TCP: options, build and decode. */
#include <stdio.h>
#include <string.h>

#include "../internal.h"
#include "pktcraft/core/fmt.h"
#include "pktcraft/core/checksum.h"

/* Bytes one option takes on the wire, or -1 when the spec is impossible. */
static int opt_size(const struct pc_tcpopt *o)
{
    switch (o->kind) {
    case PC_TCPOPT_EOL: case PC_TCPOPT_NOP: return 1;
    case PC_TCPOPT_MSS: return 4;
    case PC_TCPOPT_WSCALE: return 3;
    case PC_TCPOPT_SACKOK: return 2;
    case PC_TCPOPT_TS: return 10;
    case PC_TCPOPT_SACK: return (o->nsack >= 1 && o->nsack <= 4) ? 2 + 8 * o->nsack : -1;
    case PC_TCPOPT_RAW: return o->raw.len;
    default: return (o->kind >= 0 && o->kind <= 255 && o->raw.len <= 253) ? 2 + o->raw.len : -1;
    }
}

static void opt_write(const struct pc_tcpopt *o, uint8_t *p, int sz)
{
    switch (o->kind) {
    case PC_TCPOPT_EOL: case PC_TCPOPT_NOP: p[0] = (uint8_t)o->kind; return;
    case PC_TCPOPT_RAW: if (sz) memcpy(p, o->raw.data, (size_t)sz); return;
    default: break;
    }
    p[0] = (uint8_t)o->kind;
    p[1] = (uint8_t)sz;
    switch (o->kind) {
    case PC_TCPOPT_MSS: pc_put16(p + 2, o->mss); break;
    case PC_TCPOPT_WSCALE: p[2] = o->wscale; break;
    case PC_TCPOPT_SACKOK: break;
    case PC_TCPOPT_TS: pc_put32(p + 2, o->ts_val); pc_put32(p + 6, o->ts_ecr); break;
    case PC_TCPOPT_SACK:
        for (int k = 0; k < o->nsack; k++) {
            pc_put32(p + 2 + 8 * k, o->sack[k][0]);
            pc_put32(p + 6 + 8 * k, o->sack[k][1]);
        }
        break;
    default: if (o->raw.len) memcpy(p + 2, o->raw.data, o->raw.len); break;
    }
}

int pc_tcp_opts_encode(const struct pc_tcpopt *opts, size_t n, uint8_t *out, size_t cap)
{
    size_t len = 0;
    for (size_t k = 0; k < n; k++) {
        int sz = opt_size(&opts[k]);
        if (sz < 0 || (sz && opts[k].kind == PC_TCPOPT_RAW && !opts[k].raw.data)) return PC_EINVAL;
        if ((size_t)sz > cap - len) return PC_ENOSPC;
        opt_write(&opts[k], out + len, sz);
        len += (size_t)sz;
    }
    size_t padded = (len + 3) & ~(size_t)3;
    if (padded > cap) return PC_ENOSPC;
    memset(out + len, PC_TCPOPT_EOL, padded - len);
    return (int)padded;
}

int pc_push_tcp(struct pc_pkt *pk, const struct pc_tcp *s)
{
    uint8_t opt[PC_TCP_MAXOPT];
    int olen = 0;
    if (s->opts && s->nopts) { /* most segments have none: skip the encoder */
        olen = pc_tcp_opts_encode(s->opts, s->nopts, opt, sizeof opt);
        if (olen < 0) { if (!pk->err) pk->err = olen; return pk->err; }
    }
    uint8_t *h = pc_pkt_reserve(pk, PC_TCP_HLEN + (size_t)olen, PC_P_TCP);
    if (!h) return pk->err;
    pk->l[pk->n - 1].s.tcp = (struct pc_tcp_fix){ .doff = s->doff, .csum = s->csum };
    pc_put16(h, s->sport);
    pc_put16(h + 2, s->dport);
    pc_put32(h + 4, s->seq);
    pc_put32(h + 8, s->ack);
    h[12] = (uint8_t)(((s->reserved & 7u) << 1) | ((s->flags >> 8) & 1u));
    h[13] = (uint8_t)s->flags;
    pc_put16(h + 14, s->win);
    pc_put16(h + 16, 0);
    pc_put16(h + 18, s->urp);
    if (olen) memcpy(h + PC_TCP_HLEN, opt, (size_t)olen);
    return 0;
}

int pc_tcp_fill(struct pc_pkt *pk, int i)
{
    const struct pc_blayer *l = &pk->l[i];
    const struct pc_tcp_fix f = l->s.tcp; /* a copy: byte stores may alias it, forcing reloads */
    const uint32_t hlen = l->hlen;
    uint8_t *h = pk->buf + l->off;
    uint32_t seglen = (uint32_t)(pk->len - l->off);
    uint32_t sum = pc_l4_pseudo(pk, i, PC_IPPROTO_TCP, seglen);
    h[12] = (uint8_t)((h[12] & 0x0F) | (pc_field_value(f.doff, hlen / 4, 0xF) << 4));
    pc_put16(h + 16, 0);
    uint16_t c = pc_csum_fold(pc_csum_partial(h, seglen, sum));
    pc_put16(h + 16, pc_field_csum(f.csum, c));
    return 0;
}

void pc_tcp_flagstr(uint16_t flags, char out[10])
{
    static const struct { uint16_t bit; char c; } order[] = {
        { PC_TCP_FIN, 'F' }, { PC_TCP_SYN, 'S' }, { PC_TCP_RST, 'R' }, { PC_TCP_PSH, 'P' },
        { PC_TCP_ACK, 'A' }, { PC_TCP_URG, 'U' }, { PC_TCP_ECE, 'E' }, { PC_TCP_CWR, 'W' },
        { PC_TCP_NS, 'N' },
    };
    int n = 0;
    for (size_t k = 0; k < sizeof order / sizeof order[0]; k++)
        if (flags & order[k].bit) out[n++] = order[k].c;
    out[n] = 0;
}

int pc_tcp_opts_walk(const uint8_t *opt, size_t len, pc_tcpopt_cb cb, void *ctx)
{
    size_t k = 0;
    while (k < len) {
        uint8_t kind = opt[k];
        if (kind == PC_TCPOPT_EOL) { if (cb) cb(ctx, kind, NULL, 0); return 0; }
        if (kind == PC_TCPOPT_NOP) { if (cb) cb(ctx, kind, NULL, 0); k++; continue; }
        if (k + 1 >= len) return PC_EMALFORMED;
        uint8_t ol = opt[k + 1];
        if (ol < 2 || ol > len - k) return PC_EMALFORMED;
        if (cb) cb(ctx, kind, opt + k + 2, (uint8_t)(ol - 2));
        k += ol;
    }
    return 0;
}

void pc_tcp_decode(struct pc_walk *w, uint32_t off)
{
    struct pc_decoded *d = w->d;
    int i = pc_dec_l4_start(w, PC_P_TCP, off, PC_TCP_HLEN, "tcp segment shorter than 20 bytes",
                            "tcp header cut by the capture");
    if (i < 0) return;
    uint32_t seglen = w->end - off, avail = pc_dec_avail(w, off);
    const uint8_t *h = d->buf + off;
    uint32_t hl = pc_tcp_doff(h) * 4u;
    d->l[i].hlen = hl;
    if (hl < PC_TCP_HLEN) { pc_dec_fail(w, i, PC_LF_MALFORMED, "tcp data offset below 5"); return; }
    if (hl > seglen) {
        /* In a first fragment the header may go on in the next one (the
         * tiny-fragment evasion); in a whole datagram it is a lie. */
        if (w->frag) d->l[i].why = "tcp header continues in the next fragment";
        else pc_dec_fail(w, i, PC_LF_MALFORMED, "tcp data offset beyond the segment");
        return;
    }
    if (hl > avail) { pc_dec_fail(w, i, PC_LF_TRUNC, "tcp options cut by the capture"); return; }
    d->l[i].plen = seglen - hl;
    d->l[i].csum = pc_dec_l4_csum(w, off, seglen, PC_IPPROTO_TCP, 1);
    if (pc_tcp_opts_walk(h + PC_TCP_HLEN, hl - PC_TCP_HLEN, NULL, NULL) < 0)
        pc_dec_fail(w, i, PC_LF_MALFORMED, "tcp option length invalid");
    pc_dec_tcp_app(w, pc_tcp_sport(h), pc_tcp_dport(h), off + hl);
}


struct optjs { struct pc_fmt *f; };

/* One TCP option as a JSON object: kind plus its decoded value. */
static void opt_json(void *ctx, uint8_t kind, const uint8_t *p, uint8_t dl)
{
    struct pc_fmt *f = ((struct optjs *)ctx)->f;
    pc_fmt_kobj_open(f, NULL);
    pc_fmt_kuint(f, "kind", kind);
    if (kind == PC_TCPOPT_MSS && dl == 2) pc_fmt_kuint(f, "mss", pc_get16(p));
    else if (kind == PC_TCPOPT_WSCALE && dl == 1) pc_fmt_kuint(f, "wscale", p[0]);
    else if (kind == PC_TCPOPT_TS && dl == 8) {
        pc_fmt_kuint(f, "tsval", pc_get32(p));
        pc_fmt_kuint(f, "tsecr", pc_get32(p + 4));
    } else if (kind == PC_TCPOPT_SACK && dl && dl % 8 == 0) {
        pc_fmt_karr_open(f, "blocks");
        for (int k = 0; k < dl / 8; k++) {
            char b[32];
            snprintf(b, sizeof b, "[%u,%u]", pc_get32(p + 8 * k), pc_get32(p + 8 * k + 4));
            pc_fmt_raw(f, b);
        }
        pc_fmt_karr_close(f);
    } else if (kind > PC_TCPOPT_NOP) {
        pc_fmt_kuint(f, "len", dl + 2u);
    }
    pc_fmt_kobj_close(f);
}

void pc_tcp_describe(const struct pc_decoded *d, int i, struct pc_fmt *f)
{
    if (pc_layer_caphdr(d, i) < PC_TCP_HLEN) return;
    const uint8_t *h = pc_layer_hdr(d, i);
    char fl[10];
    pc_tcp_flagstr(pc_tcp_flags(h), fl);
    pc_fmt_text(f, "Flags [%s], seq %u", fl, pc_tcp_seq(h));
    if (pc_tcp_flags(h) & PC_TCP_ACK) pc_fmt_text(f, ", ack %u", pc_tcp_ack(h));
    pc_fmt_text(f, ", win %u, length %u", pc_tcp_win(h), d->l[i].plen);
    pc_fmt_kuint(f, "sport", pc_tcp_sport(h));
    pc_fmt_kuint(f, "dport", pc_tcp_dport(h));
    pc_fmt_kuint(f, "seq", pc_tcp_seq(h));
    pc_fmt_kuint(f, "ack", pc_tcp_ack(h));
    pc_fmt_kstr(f, "flags", fl);
    pc_fmt_kuint(f, "doff", pc_tcp_doff(h));
    pc_fmt_kuint(f, "win", pc_tcp_win(h));
    pc_fmt_kuint(f, "urp", pc_tcp_urp(h));
    pc_fmt_kstr(f, "csum", pc_csum_status_name(d->l[i].csum));
    uint32_t hl = d->l[i].hlen;
    if (f->json && hl > PC_TCP_HLEN && pc_layer_caphdr(d, i) >= hl) {
        struct optjs ctx = { f };
        pc_fmt_karr_open(f, "options");
        pc_tcp_opts_walk(h + PC_TCP_HLEN, hl - PC_TCP_HLEN, opt_json, &ctx);
        pc_fmt_karr_close(f);
    }
}

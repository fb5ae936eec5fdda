/* GRE (RFC 2784, RFC 2890; version 1 of RFC 2637 decoded only): build,
 * decode and describe. */
#include <string.h>

#include "../internal.h"
#include "pktcraft/core/checksum.h"
#include "pktcraft/core/fmt.h"
#include "pktcraft/wire/tunnel.h"

/* Fixed field offsets; the optional 4-byte words follow in the order
 * checksum(+reserved1), key, sequence number (version 1: key, sequence
 * number, acknowledgment). */
enum { GRE_FLAGS = 0, GRE_PROTO = 2, GRE_OPT = 4 };
#define GRE_RESERVED0 0x0FF8u /* version 0: must be zero (bits 4-12; bit 1 is R) */

_Static_assert(sizeof(struct pc_gre) <= PC_SPEC_MAX, "pc_gre must fit a layer's spec storage");

static uint32_t gre_len(const struct pc_gre *s)
{
    return PC_GRE_HLEN + 4u * s->has_csum + 4u * s->has_key + 4u * s->has_seq;
}

int pc_push_gre(struct pc_pkt *pk, const struct pc_gre *s)
{
    if (s->version > PC_GRE_VER_MASK) {
        if (!pk->err) pk->err = PC_EINVAL;
        return pk->err;
    }
    uint8_t *h = pc_pkt_reserve(pk, gre_len(s), PC_P_GRE);
    if (!h) return pk->err;
    pc_pkt_save_spec(pk, pk->n - 1, s, sizeof *s);
    uint16_t fl = (uint16_t)((s->has_csum ? PC_GRE_F_CSUM : 0) | (s->has_key ? PC_GRE_F_KEY : 0) |
                             (s->has_seq ? PC_GRE_F_SEQ : 0) | s->version);
    pc_put16(h + GRE_FLAGS, fl);
    pc_put16(h + GRE_PROTO, 0);
    uint8_t *p = h + GRE_OPT;
    if (s->has_csum) { pc_put32(p, 0); p += 4; } /* checksum and reserved1 */
    if (s->has_key) { pc_put32(p, s->key); p += 4; }
    if (s->has_seq) pc_put32(p, s->seq);
    return 0;
}

int pc_gre_fill(struct pc_pkt *pk, int i)
{
    struct pc_gre s;
    pc_pkt_load_spec(pk, i, &s, sizeof s);
    uint8_t *h = pk->buf + pk->l[i].off;
    int next = pc_next_ethertype(pk, i);
    if (next < 0 && s.proto.mode != PC_FPIN) return PC_EINVAL; /* nothing to infer from: pin gre.proto */
    pc_put16(h + GRE_PROTO, (uint16_t)pc_field_value(s.proto, (uint32_t)next, 0xFFFF));
    if (!s.has_csum) return 0;
    /* Like ICMP: header and payload, no pseudo-header (RFC 2784 2.5). */
    pc_put16(h + GRE_OPT, 0);
    pc_put16(h + GRE_OPT, pc_field_csum(s.csum, pc_csum(h, pk->len - pk->l[i].off)));
    return 0;
}

/* Version 0 with a known layout: dispatch the inner protocol.  In an IP
 * fragment the inner packet is incomplete, so it stays payload. */
static void gre_inner(struct pc_walk *w, const uint8_t *h, uint32_t off)
{
    if (w->frag || (pc_gre_flags(h) & PC_GRE_F_ROUTING)) { pc_dec_payload(w, off); return; }
    pc_dec_ethertype(w, pc_gre_proto(h), off);
}

/* The datagram ends inside the header: a lie in a whole datagram, but a
 * first fragment may end there (the header goes on in the next one). */
static void header_short(struct pc_walk *w, int i, const char *why)
{
    if (w->frag) w->d->l[i].why = "gre header continues in the next fragment";
    else pc_dec_fail(w, i, PC_LF_MALFORMED, why);
}

void pc_gre_decode(struct pc_walk *w, uint32_t off)
{
    struct pc_decoded *d = w->d;
    int i = pc_dec_add(w, PC_P_GRE, off, PC_GRE_HLEN, 0);
    if (i < 0) return;
    if (w->frag) d->l[i].flags |= PC_LF_FRAG;
    uint32_t room = w->end - off, avail = pc_dec_avail(w, off);
    if (room < PC_GRE_HLEN) { header_short(w, i, "gre packet shorter than 4 bytes"); return; }
    if (avail < PC_GRE_HLEN) { pc_dec_fail(w, i, PC_LF_TRUNC, "gre header cut by the capture"); return; }
    const uint8_t *h = d->buf + off;
    uint8_t ver = pc_gre_version(h);
    if (ver > 1) { pc_dec_fail(w, i, PC_LF_MALFORMED, "gre version is not 0 or 1"); return; }
    uint32_t hl = pc_gre_hlen(h);
    d->l[i].hlen = hl;
    if (hl > room) { header_short(w, i, "gre header longer than the ip payload"); return; }
    if (hl > avail) { pc_dec_fail(w, i, PC_LF_TRUNC, "gre options cut by the capture"); return; }
    d->l[i].plen = room - hl;
    if (ver == 0 && (pc_gre_flags(h) & PC_GRE_F_CSUM))
        d->l[i].csum = pc_dec_l4_csum(w, off, room, PC_IPPROTO_GRE, 0);
    if (ver == 1) { pc_dec_payload(w, off + hl); return; } /* PPTP's PPP frames: shown, not decoded */
    gre_inner(w, h, off + hl);
}

void pc_gre_describe(const struct pc_decoded *d, int i, struct pc_fmt *f)
{
    const struct pc_layer *l = &d->l[i];
    uint32_t cap = pc_layer_caphdr(d, i);
    const uint8_t *h = pc_layer_hdr(d, i);
    if (cap < PC_GRE_HLEN) { pc_fmt_text(f, "GRE [|gre]"); return; }
    uint16_t fl = pc_gre_flags(h);
    uint8_t ver = pc_gre_version(h);
    int whole = l->hlen == pc_gre_hlen(h) && cap >= l->hlen; /* optional words captured */
    int has_key = whole && (fl & PC_GRE_F_KEY), has_seq = whole && (fl & PC_GRE_F_SEQ);
    pc_fmt_text(f, "GREv%u", ver);
    pc_fmt_kuint(f, "version", ver);
    pc_fmt_kuint(f, "protocol", pc_gre_proto(h));
    if (ver == 1 && has_key) {
        /* PPTP splits the key into payload length and call id. */
        pc_fmt_text(f, ", call %u", pc_get16(h + pc_gre_key_off(h) + 2));
        pc_fmt_kuint(f, "payload_len", pc_get16(h + pc_gre_key_off(h)));
        pc_fmt_kuint(f, "call_id", pc_get16(h + pc_gre_key_off(h) + 2));
    } else if (has_key) {
        pc_fmt_text(f, ", key=0x%x", (unsigned)pc_gre_key(h));
        pc_fmt_kuint(f, "key", pc_gre_key(h));
    }
    if (has_seq) {
        pc_fmt_text(f, ", seq %u", (unsigned)pc_gre_seq(h));
        pc_fmt_kuint(f, "seq", pc_gre_seq(h));
    }
    if (ver == 1 && whole && (fl & PC_GRE_F_ACK)) {
        uint32_t ack = pc_get32(h + l->hlen - 4);
        pc_fmt_text(f, ", ack %u", (unsigned)ack);
        pc_fmt_kuint(f, "ack", ack);
    }
    if (ver == 0 && (fl & PC_GRE_F_CSUM)) pc_fmt_kstr(f, "csum", pc_csum_status_name(l->csum));
    if (ver == 0 && (fl & PC_GRE_F_CSUM) && l->csum == PC_CSUM_BAD) pc_fmt_text(f, ", bad cksum");
    pc_fmt_text(f, ", length %u", (unsigned)(l->hlen + l->plen));
    pc_fmt_kuint(f, "len", l->hlen + l->plen);
}

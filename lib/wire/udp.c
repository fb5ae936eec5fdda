/* UDP: build and decode. */
#include "../internal.h"
#include "pktcraft/core/fmt.h"
#include "pktcraft/core/checksum.h"

int pc_push_udp(struct pc_pkt *pk, const struct pc_udp *s)
{
    uint8_t *h = pc_pkt_reserve(pk, PC_UDP_HLEN, PC_P_UDP);
    if (!h) return pk->err;
    pk->l[pk->n - 1].s.udp = (struct pc_udp_fix){ .len = s->len, .csum = s->csum };
    pc_put16(h, s->sport);
    pc_put16(h + 2, s->dport);
    pc_put32(h + 4, 0);
    return 0;
}

int pc_udp_fill(struct pc_pkt *pk, int i)
{
    const struct pc_blayer *l = &pk->l[i];
    const struct pc_udp_fix f = l->s.udp; /* a copy: byte stores may alias it, forcing reloads */
    uint8_t *h = pk->buf + l->off;
    uint32_t len = (uint32_t)(pk->len - l->off);
    if (len > 0xFFFF && f.len.mode != PC_FPIN) return PC_ELIMIT;
    pc_put16(h + 4, (uint16_t)pc_field_value(f.len, len, 0xFFFF));
    pc_put16(h + 6, 0);
    /* The pseudo-header and the sum use the bytes really sent, so a pinned
     * or corrupted length field does not also break the checksum. */
    uint32_t sum = pc_l4_pseudo(pk, i, PC_IPPROTO_UDP, len);
    uint16_t c = pc_csum_fold(pc_csum_partial(h, len, sum));
    if (c == 0) c = 0xFFFF; /* RFC 768: 0 means "no checksum" */
    pc_put16(h + 6, pc_field_csum(f.csum, c));
    return 0;
}

void pc_udp_decode(struct pc_walk *w, uint32_t off)
{
    struct pc_decoded *d = w->d;
    int i = pc_dec_l4_start(w, PC_P_UDP, off, PC_UDP_HLEN, "udp datagram shorter than 8 bytes",
                            "udp header cut by the capture");
    if (i < 0) return;
    uint32_t room = w->end - off;
    const uint8_t *h = d->buf + off;
    uint32_t ulen = pc_udp_len(h);
    if (ulen < PC_UDP_HLEN) { pc_dec_fail(w, i, PC_LF_MALFORMED, "udp length below 8"); return; }
    if (ulen > room && !w->frag) { pc_dec_fail(w, i, PC_LF_MALFORMED, "udp length beyond the ip payload"); return; }
    if (!w->frag) w->end = off + ulen; /* bytes past the UDP length are not UDP payload */
    d->l[i].plen = (w->frag ? room : ulen) - PC_UDP_HLEN;
    if (pc_udp_csum(h) == 0) d->l[i].csum = PC_CSUM_ZERO;
    else d->l[i].csum = pc_dec_l4_csum(w, off, ulen, PC_IPPROTO_UDP, 1);
    pc_dec_udp_app(w, pc_udp_sport(h), pc_udp_dport(h), off + PC_UDP_HLEN);
}

/* Whether layer i rides in an IP fragment: the nearest IP layer under it
 * is one. */
static bool in_fragment(const struct pc_decoded *d, int i)
{
    for (int k = i - 1; k >= 0; k--)
        if (d->l[k].proto == PC_P_IPV4 || d->l[k].proto == PC_P_IPV6) return d->l[k].flags & PC_LF_FRAG;
    return false;
}

void pc_udp_describe(const struct pc_decoded *d, int i, struct pc_fmt *f)
{
    if (pc_layer_caphdr(d, i) < PC_UDP_HLEN) return;
    const uint8_t *h = pc_layer_hdr(d, i);
    /* a first fragment holds part of the datagram: the length is the one
     * its header gives for the whole, as tcpdump prints it */
    uint32_t ulen = pc_udp_len(h);
    bool whole = in_fragment(d, i) && ulen >= PC_UDP_HLEN;
    pc_fmt_text(f, "UDP, length %u", whole ? ulen - PC_UDP_HLEN : d->l[i].plen);
    pc_fmt_kuint(f, "sport", pc_udp_sport(h));
    pc_fmt_kuint(f, "dport", pc_udp_dport(h));
    pc_fmt_kuint(f, "len", pc_udp_len(h));
    pc_fmt_kstr(f, "csum", pc_csum_status_name(d->l[i].csum));
}

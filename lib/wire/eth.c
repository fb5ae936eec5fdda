/* Ethernet II: build and decode. */
#include <string.h>

#include "../internal.h"
#include "pktcraft/core/fmt.h"

int pc_push_eth(struct pc_pkt *pk, const struct pc_eth *s)
{
    uint8_t *h = pc_pkt_reserve(pk, PC_ETH_HLEN, PC_P_ETH);
    if (!h) return pk->err;
    pk->l[pk->n - 1].s.eth = (struct pc_eth_fix){ .type = s->type, .pad = s->pad };
    memcpy(h, s->dst, 6);
    memcpy(h + 6, s->src, 6);
    pc_put16(h + 12, (uint16_t)s->type.v);
    return 0;
}

int pc_eth_fill(struct pc_pkt *pk, int i)
{
    const pc_field type = pk->l[i].s.eth.type;
    uint8_t *h = pk->buf + pk->l[i].off;
    int next = pc_next_ethertype(pk, i);
    if (type.mode != PC_FPIN && next < 0) return PC_EINVAL; /* nothing to infer from: pin eth.type */
    pc_put16(h + 12, (uint16_t)pc_field_value(type, (uint32_t)next, 0xFFFF));
    return 0;
}

void pc_eth_decode(struct pc_walk *w, uint32_t off)
{
    int i = pc_dec_add(w, PC_P_ETH, off, PC_ETH_HLEN, 0);
    if (i < 0) return;
    if (pc_dec_avail(w, off) < PC_ETH_HLEN) {
        pc_dec_fail(w, i, PC_LF_TRUNC, "ethernet header cut by the capture");
        return;
    }
    w->d->l2 = (int8_t)i;
    w->d->l[i].plen = w->end - off - PC_ETH_HLEN;
    pc_dec_ethertype(w, pc_eth_type(w->d->buf + off), off + PC_ETH_HLEN);
}

void pc_eth_describe(const struct pc_decoded *d, int i, struct pc_fmt *f)
{
    if (pc_layer_caphdr(d, i) < PC_ETH_HLEN) return;
    const uint8_t *h = pc_layer_hdr(d, i);
    if (!f->json) {
        char a[18], b[18];
        pc_fmt_mac(pc_eth_src(h), a);
        pc_fmt_mac(pc_eth_dst(h), b);
        pc_fmt_text(f, "%s > %s, ethertype 0x%04x", a, b, pc_eth_type(h));
        return;
    }
    pc_fmt_kmac(f, "src", pc_eth_src(h));
    pc_fmt_kmac(f, "dst", pc_eth_dst(h));
    pc_fmt_kuint(f, "ethertype", pc_eth_type(h));
}

/* ICMP for IPv4: build and decode. */
#include "internal.h"
#include "pktcraft/checksum.h"

int pc_push_icmp(struct pc_pkt *pk, const struct pc_icmp *s)
{
    uint8_t *h = pc_pkt_reserve(pk, PC_ICMP_HLEN, PC_P_ICMP);
    if (!h) return pk->err;
    pk->l[pk->n - 1].s.icmp = *s;
    h[0] = s->type;
    h[1] = s->code;
    pc_put16(h + 2, 0);
    pc_put16(h + 4, s->id);
    pc_put16(h + 6, s->seq);
    return 0;
}

int pc_icmp_fill(struct pc_pkt *pk, int i)
{
    const struct pc_blayer *l = &pk->l[i];
    uint8_t *h = pk->buf + l->off;
    pc_put16(h + 2, 0);
    pc_put16(h + 2, pc_field_csum(l->s.icmp.csum, pc_csum(h, pk->len - l->off)));
    return 0;
}

void pc_icmp_decode(struct pc_walk *w, uint32_t off)
{
    struct pc_decoded *d = w->d;
    int i = pc_dec_l4_start(w, PC_P_ICMP, off, PC_ICMP_HLEN, "icmp message shorter than 8 bytes",
                            "icmp header cut by the capture");
    if (i < 0) return;
    uint32_t room = w->end - off;
    d->l[i].plen = room - PC_ICMP_HLEN;
    d->l[i].csum = pc_dec_l4_csum(w, off, room, PC_IPPROTO_ICMP, 0);
    pc_dec_payload(w, off + PC_ICMP_HLEN);
}

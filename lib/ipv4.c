/* IPv4: build and decode. */
#include <string.h>

#include "internal.h"
#include "pktcraft/checksum.h"

int pc_push_ipv4(struct pc_pkt *pk, const struct pc_ipv4 *s)
{
    if (s->optlen > PC_IPV4_MAXOPT || (s->optlen && !s->opts)) {
        if (!pk->err) pk->err = PC_EINVAL;
        return pk->err;
    }
    size_t optpad = (s->optlen + 3) & ~(size_t)3;
    uint8_t *h = pc_pkt_reserve(pk, PC_IPV4_HLEN + optpad, PC_P_IPV4);
    if (!h) return pk->err;
    pk->l[pk->n - 1].s.ip4 = *s;
    uint8_t ver = s->version ? s->version : 4;
    h[0] = (uint8_t)(ver << 4);
    h[1] = s->tos;
    pc_put16(h + 2, 0);
    pc_put16(h + 4, s->id);
    pc_put16(h + 6, (uint16_t)(((s->flags & 7u) << 13) | (s->frag_off & 0x1FFFu)));
    h[8] = s->ttl;
    h[9] = 0;
    pc_put16(h + 10, 0);
    memcpy(h + 12, s->src, 4);
    memcpy(h + 16, s->dst, 4);
    if (s->optlen) memcpy(h + 20, s->opts, s->optlen);
    memset(h + 20 + s->optlen, 0, optpad - s->optlen); /* EOL padding */
    return 0;
}

int pc_ipv4_fill(struct pc_pkt *pk, int i)
{
    const struct pc_blayer *l = &pk->l[i];
    const struct pc_ipv4 *s = &l->s.ip4;
    uint8_t *h = pk->buf + l->off;
    size_t total = pk->len - l->off;
    if (total > 0xFFFF && s->tot_len.mode != PC_FPIN) return PC_ELIMIT;
    int next = pc_next_ipproto(pk, i);
    if (next < 0 && s->proto.mode != PC_FPIN) return PC_EINVAL; /* pin ip.proto */
    h[0] = (uint8_t)((h[0] & 0xF0) | pc_field_value(s->ihl, l->hlen / 4, 0xF));
    pc_put16(h + 2, (uint16_t)pc_field_value(s->tot_len, (uint32_t)total, 0xFFFF));
    h[9] = (uint8_t)pc_field_value(s->proto, (uint32_t)next, 0xFF);
    pc_put16(h + 10, 0);
    pc_put16(h + 10, pc_field_csum(s->csum, pc_csum(h, l->hlen)));
    return 0;
}

/* Fragments: offset != 0 carries no L4 header; MF with offset 0 carries one
 * whose checksum covers bytes we do not have. */
static void decode_body(struct pc_walk *w, const uint8_t *h, uint32_t off, uint32_t end)
{
    uint16_t fo = pc_ipv4_fragoff(h);
    uint8_t mf = pc_ipv4_flags(h) & PC_IP_MF;
    w->end = end;
    w->frag = (fo || mf) ? 1 : 0;
    if (fo) { pc_dec_payload(w, off); return; }
    w->ip_src = pc_ipv4_src(h);
    w->ip_dst = pc_ipv4_dst(h);
    pc_dec_ipproto(w, pc_ipv4_proto(h), off);
}

void pc_ipv4_decode(struct pc_walk *w, uint32_t off)
{
    struct pc_decoded *d = w->d;
    int i = pc_dec_add(w, PC_P_IPV4, off, PC_IPV4_HLEN, 0);
    if (i < 0) return;
    d->l[i].csum = PC_CSUM_UNVERIFIED; /* until the bytes prove otherwise */
    d->l3 = (int8_t)i;
    uint32_t avail = pc_dec_avail(w, off);
    if (avail < PC_IPV4_HLEN) { pc_dec_fail(w, i, PC_LF_TRUNC, "ipv4 header cut by the capture"); return; }
    const uint8_t *h = d->buf + off;
    uint32_t hl = pc_ipv4_ihl(h) * 4u, tl = pc_ipv4_len(h), room = w->end - off;
    d->l[i].hlen = hl;
    if (pc_ipv4_version(h) != 4) { pc_dec_fail(w, i, PC_LF_MALFORMED, "ipv4 version is not 4"); return; }
    if (hl < PC_IPV4_HLEN) { pc_dec_fail(w, i, PC_LF_MALFORMED, "ipv4 header length below 20"); return; }
    if (tl < hl) { pc_dec_fail(w, i, PC_LF_MALFORMED, "ipv4 total length below header length"); return; }
    if (tl > room) { pc_dec_fail(w, i, PC_LF_MALFORMED, "ipv4 total length beyond the frame"); return; }
    d->l[i].plen = tl - hl;
    if (pc_ipv4_flags(h) & PC_IP_MF || pc_ipv4_fragoff(h)) d->l[i].flags |= PC_LF_FRAG;
    if (tl < room && i > 0) d->l[i - 1].flags |= PC_LF_TRAILER; /* Ethernet padding or trailer */
    if (avail < hl) { pc_dec_fail(w, i, PC_LF_TRUNC, "ipv4 options cut by the capture"); return; }
    d->l[i].csum = pc_csum_verify(h, hl, 0) ? PC_CSUM_GOOD : PC_CSUM_BAD;
    decode_body(w, h, off + hl, off + tl);
}

/* VXLAN (RFC 7348): build, decode and describe.  UDP port 4789 is
 * dispatched here by lib/decode.c; the inner frame is Ethernet. */
#include "../internal.h"
#include "pktcraft/core/fmt.h"
#include "pktcraft/wire/tunnel.h"

enum { VX_FLAGS = 0, VX_RES1 = 1, VX_VNI = 4 }; /* VNI: bytes 4-6, byte 7 reserved */

_Static_assert(sizeof(struct pc_vxlan) <= PC_SPEC_MAX, "pc_vxlan must fit a layer's spec storage");

int pc_push_vxlan(struct pc_pkt *pk, const struct pc_vxlan *s)
{
    if (s->vni > PC_VXLAN_VNI_MAX) {
        if (!pk->err) pk->err = PC_EINVAL;
        return pk->err;
    }
    uint8_t *h = pc_pkt_reserve(pk, PC_VXLAN_HLEN, PC_P_VXLAN);
    if (!h) return pk->err;
    pc_pkt_save_spec(pk, pk->n - 1, s, sizeof *s);
    h[VX_FLAGS] = s->flags ? s->flags : PC_VXLAN_FLAG_I;
    h[VX_RES1] = h[VX_RES1 + 1] = h[VX_RES1 + 2] = 0;
    pc_put32(h + VX_VNI, s->vni << 8); /* the low byte is reserved */
    return 0;
}

/* Nothing in the header depends on other layers. */
int pc_vxlan_fill(struct pc_pkt *pk, int i)
{
    (void)pk;
    (void)i;
    return 0;
}

void pc_vxlan_decode(struct pc_walk *w, uint32_t off)
{
    struct pc_decoded *d = w->d;
    uint32_t room = off < w->end ? w->end - off : 0;
    int i = pc_dec_add(w, PC_P_VXLAN, off, PC_VXLAN_HLEN, 0);
    if (i < 0) return;
    if (room < PC_VXLAN_HLEN) {
        pc_dec_fail(w, i, PC_LF_MALFORMED, "vxlan header longer than the udp payload");
        return;
    }
    if (pc_dec_avail(w, off) < PC_VXLAN_HLEN) { pc_dec_fail(w, i, PC_LF_TRUNC, "vxlan header cut by the capture"); return; }
    d->l[i].plen = room - PC_VXLAN_HLEN;
    /* Without the I flag the VNI means nothing and the frame should be
     * dropped (RFC 7348 5): say so, and keep the rest undecoded. */
    if (!(pc_vxlan_flags(d->buf + off) & PC_VXLAN_FLAG_I)) {
        pc_dec_fail(w, i, PC_LF_MALFORMED, "vxlan I flag clear");
        pc_dec_payload(w, off + PC_VXLAN_HLEN);
        return;
    }
    if (room > PC_VXLAN_HLEN) pc_eth_decode(w, off + PC_VXLAN_HLEN);
}

void pc_vxlan_describe(const struct pc_decoded *d, int i, struct pc_fmt *f)
{
    if (pc_layer_caphdr(d, i) < PC_VXLAN_HLEN) { pc_fmt_text(f, "VXLAN [|vxlan]"); return; }
    const uint8_t *h = pc_layer_hdr(d, i);
    /* The flags are shown only when they are not the usual I flag alone. */
    if (pc_vxlan_flags(h) == PC_VXLAN_FLAG_I) pc_fmt_text(f, "VXLAN, vni %u", (unsigned)pc_vxlan_vni(h));
    else pc_fmt_text(f, "VXLAN, flags 0x%02x, vni %u", pc_vxlan_flags(h), (unsigned)pc_vxlan_vni(h));
    pc_fmt_kuint(f, "flags", pc_vxlan_flags(h));
    pc_fmt_kuint(f, "vni", pc_vxlan_vni(h));
}

/* 802.1Q / 802.1ad tags: build, decode, describe. */
#include "../internal.h"
#include "pktcraft/core/fmt.h"
#include "pktcraft/wire/vlan.h"

_Static_assert(sizeof(struct pc_vlan) <= PC_SPEC_MAX, "struct pc_vlan must fit a layer's spec storage");

/* Field offsets inside the tag (the TPID is the enclosing header's). */
#define VLAN_TCI 0
#define VLAN_TYPE 2

int pc_push_vlan(struct pc_pkt *pk, const struct pc_vlan *s)
{
    if (s->pcp > PC_VLAN_PCP_MAX || s->dei > 1 || s->vid > PC_VLAN_VID_MAX) {
        if (!pk->err) pk->err = PC_EINVAL;
        return pk->err;
    }
    uint8_t *h = pc_pkt_reserve(pk, PC_VLAN_HLEN, PC_P_VLAN);
    if (!h) return pk->err;
    pc_pkt_save_spec(pk, pk->n - 1, s, sizeof *s);
    pc_put16(h + VLAN_TCI, (uint16_t)((s->pcp << 13) | (s->dei << 12) | s->vid));
    pc_put16(h + VLAN_TYPE, 0); /* filled at finalize */
    return 0;
}

/* What the enclosing header writes as its EtherType for tag i. */
int pc_vlan_ethertype(const struct pc_pkt *pk, int i)
{
    struct pc_vlan s;
    pc_pkt_load_spec(pk, i, &s, sizeof s);
    return s.tpid ? s.tpid : PC_TPID_8021Q;
}

int pc_vlan_fill(struct pc_pkt *pk, int i)
{
    struct pc_vlan s;
    pc_pkt_load_spec(pk, i, &s, sizeof s);
    int next = pc_next_ethertype(pk, i);
    if (next < 0 && s.type.mode != PC_FPIN) return PC_EINVAL; /* nothing to infer from: pin vlan.type */
    pc_put16(pk->buf + pk->l[i].off + VLAN_TYPE, (uint16_t)pc_field_value(s.type, (uint32_t)next, 0xFFFF));
    return 0;
}

/* IPv4 and ARP flag the layer just before them when the frame goes on past
 * their datagram; a tag is part of the link header, so the flag is handed
 * out to the header the frame starts with. */
static void pass_trailer(struct pc_decoded *d, int i)
{
    if (i == 0 || !(d->l[i].flags & PC_LF_TRAILER)) return;
    switch (d->l[i - 1].proto) {
    case PC_P_ETH: case PC_P_VLAN: case PC_P_SLL: case PC_P_SLL2: d->l[i - 1].flags |= PC_LF_TRAILER; break;
    default: break;
    }
}

/* An 802.3 length instead of an EtherType: LLC data of that many bytes,
 * anything after it is padding. */
static void decode_llc(struct pc_walk *w, int i, uint16_t len, uint32_t off)
{
    uint32_t room = w->end - off;
    if (len > room) { pc_dec_fail(w, i, PC_LF_MALFORMED, "vlan 802.3 length beyond the frame"); return; }
    if (len < room) w->d->l[i].flags |= PC_LF_TRAILER;
    w->end = off + len;
    w->d->l[i].plen = len;
    pc_dec_payload(w, off);
}

void pc_vlan_decode(struct pc_walk *w, uint32_t off)
{
    struct pc_decoded *d = w->d;
    int i = pc_dec_add(w, PC_P_VLAN, off, PC_VLAN_HLEN, 0);
    if (i < 0) return;
    uint32_t room = w->end > off ? w->end - off : 0;
    if (pc_dec_avail(w, off) < PC_VLAN_HLEN) {
        if (room < PC_VLAN_HLEN) pc_dec_fail(w, i, PC_LF_MALFORMED, "vlan tag runs past the frame");
        else pc_dec_fail(w, i, PC_LF_TRUNC, "vlan tag cut by the capture");
        return;
    }
    const uint8_t *h = d->buf + off;
    uint16_t type = pc_vlan_type(h);
    d->l[i].plen = room - PC_VLAN_HLEN;
    if (type <= PC_VLAN_LEN_MAX) decode_llc(w, i, type, off + PC_VLAN_HLEN);
    else pc_dec_ethertype(w, type, off + PC_VLAN_HLEN);
    pass_trailer(d, i);
}

/* The TPID sits in the enclosing header's EtherType field: right before
 * the tag after Ethernet, a tag or SLL, first in SLL2, at 2 in GRE.
 * Returns -1 when that is not known or not captured. */
static int tag_tpid(const struct pc_decoded *d, int i)
{
    if (i == 0) return -1;
    const struct pc_layer *p = &d->l[i - 1];
    uint32_t at;
    switch (p->proto) {
    case PC_P_ETH: at = p->off + 12; break;
    case PC_P_VLAN: at = p->off + VLAN_TYPE; break;
    case PC_P_SLL: at = p->off + 14; break;
    case PC_P_SLL2: at = p->off; break;
    case PC_P_GRE: at = p->off + 2; break;
    default: return -1;
    }
    return at + 2 <= d->caplen ? pc_get16(d->buf + at) : -1;
}

void pc_vlan_describe(const struct pc_decoded *d, int i, struct pc_fmt *f)
{
    uint32_t cap = pc_layer_caphdr(d, i);
    if (cap < VLAN_TYPE) { pc_fmt_text(f, "[|vlan]"); return; }
    const uint8_t *h = pc_layer_hdr(d, i);
    pc_fmt_text(f, "vlan %u, p %u%s", pc_vlan_vid(h), pc_vlan_pcp(h), pc_vlan_dei(h) ? ", DEI" : "");
    pc_fmt_kuint(f, "pcp", pc_vlan_pcp(h));
    pc_fmt_kbool(f, "dei", pc_vlan_dei(h));
    pc_fmt_kuint(f, "vid", pc_vlan_vid(h));
    int tpid = tag_tpid(d, i);
    if (tpid >= 0) pc_fmt_kuint(f, "tpid", (uint64_t)tpid);
    if (cap >= PC_VLAN_HLEN) pc_fmt_kuint(f, "ethertype", pc_vlan_type(h));
}

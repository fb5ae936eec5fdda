/* Decoder core: link-type dispatch, the EtherType and IP-protocol
 * registries, and the helpers every protocol decoder uses. */
#include <string.h>

#include "../internal.h"
#include "pktcraft/core/checksum.h"
#include "pktcraft/wire/icmp6.h"
#include "pktcraft/wire/ipv4.h"
#include "pktcraft/wire/ipv6.h"
#include "pktcraft/wire/tunnel.h"

const char *pc_csum_status_name(int st)
{
    switch (st) {
    case PC_CSUM_GOOD: return "good";
    case PC_CSUM_BAD: return "bad";
    case PC_CSUM_ZERO: return "zero";
    case PC_CSUM_UNVERIFIED: return "unverified";
    default: return "none";
    }
}

int pc_dec_add(struct pc_walk *w, uint8_t proto, uint32_t off, uint32_t hlen, uint32_t plen)
{
    struct pc_decoded *d = w->d;
    if (d->n >= PC_MAX_LAYERS) {
        if (!d->err) d->err = PC_ELIMIT;
        return -1;
    }
    struct pc_layer *l = &d->l[d->n];
    l->proto = proto;
    l->flags = 0;
    l->csum = PC_CSUM_NA;
    l->off = off;
    l->hlen = hlen;
    l->plen = plen;
    l->why = NULL;
    return d->n++;
}

void pc_dec_fail(struct pc_walk *w, int i, uint8_t flag, const char *why)
{
    struct pc_decoded *d = w->d;
    d->l[i].flags |= flag;
    if (!d->l[i].why) d->l[i].why = why;
    if (!d->err) d->err = (flag & PC_LF_TRUNC) ? PC_ETRUNC : PC_EMALFORMED;
}

uint32_t pc_dec_avail(const struct pc_walk *w, uint32_t off)
{
    uint32_t lim = w->end < w->d->caplen ? w->end : w->d->caplen;
    return off < lim ? lim - off : 0;
}

uint8_t pc_dec_l4_csum(const struct pc_walk *w, uint32_t off, uint32_t len, uint8_t proto, int pseudo)
{
    if (w->frag || (w->flags & PC_DEC_NO_L4CSUM) || pc_dec_avail(w, off) < len) return PC_CSUM_UNVERIFIED;
    uint32_t ps = 0;
    if (pseudo && w->ipver == 4) ps = pc_csum_pseudo4(w->ip_src, w->ip_dst, proto, len);
    if (pseudo && w->ipver == 6) ps = pc_csum_pseudo6(w->ip6_src, w->ip6_dst, proto, len);
    return pc_csum_verify(w->d->buf + off, len, ps) ? PC_CSUM_GOOD : PC_CSUM_BAD;
}

int pc_dec_l4_start(struct pc_walk *w, uint8_t proto, uint32_t off, uint32_t hlen, const char *too_short,
                    const char *cut)
{
    struct pc_decoded *d = w->d;
    int i = pc_dec_add(w, proto, off, hlen, 0);
    if (i < 0) return -1;
    d->l[i].csum = PC_CSUM_UNVERIFIED;
    d->l4 = (int8_t)i;
    if (w->frag) d->l[i].flags |= PC_LF_FRAG;
    if (pc_dec_avail(w, off) >= hlen) return i;
    if (w->end - off < hlen && w->frag) { /* a tiny first fragment: not cut, not a lie */
        d->l[i].why = "l4 header continues in the next fragment";
        return -1;
    }
    int mal = w->end - off < hlen;
    pc_dec_fail(w, i, mal ? PC_LF_MALFORMED : PC_LF_TRUNC, mal ? too_short : cut);
    return -1;
}

/* Whatever follows the last header we understand: application data, or a
 * protocol we do not decode.  Its length is what the headers claim. */
void pc_dec_payload(struct pc_walk *w, uint32_t off)
{
    if (off >= w->end) return;
    int i = pc_dec_add(w, PC_P_PAYLOAD, off, 0, w->end - off);
    if (i < 0) return;
    if (w->frag) w->d->l[i].flags |= PC_LF_FRAG;
    if (pc_dec_avail(w, off) < w->end - off) w->d->l[i].flags |= PC_LF_TRUNC; /* snaplen cut: not an error */
}

void pc_dec_ethertype(struct pc_walk *w, uint16_t type, uint32_t off)
{
    switch (type) {
    case PC_ETHERTYPE_IPV4: pc_ipv4_decode(w, off); break;
    case PC_ETHERTYPE_IPV6: pc_ipv6_decode(w, off); break;
    case PC_ETHERTYPE_ARP: pc_arp_decode(w, off); break;
    case PC_ETHERTYPE_VLAN: case 0x88A8: case 0x9100: pc_vlan_decode(w, off); break;
    case 0x6558: pc_eth_decode(w, off); break; /* transparent Ethernet bridging (GRE) */
    default: pc_dec_payload(w, off); break;
    }
}

/* Tunnels nest; the layer cap bounds the walk, and so does this depth. */
#define PC_MAX_DEPTH 4

void pc_dec_ipproto(struct pc_walk *w, uint8_t proto, uint32_t off)
{
    switch (proto) {
    case PC_IPPROTO_TCP: pc_tcp_decode(w, off); break;
    case PC_IPPROTO_UDP: pc_udp_decode(w, off); break;
    case PC_IPPROTO_ICMP: pc_icmp_decode(w, off); break;
    case 58: pc_icmp6_decode(w, off); break;
    case 4: case 41: case 47: /* IP in IP, IPv6 in IP, GRE */
        if (w->depth >= PC_MAX_DEPTH) { pc_dec_payload(w, off); break; }
        w->depth++;
        if (proto == 4) pc_ipv4_decode(w, off);
        else if (proto == 41) pc_ipv6_decode(w, off);
        else pc_gre_decode(w, off);
        break;
    default: pc_dec_payload(w, off); break;
    }
}

void pc_dec_udp_app(struct pc_walk *w, uint16_t sport, uint16_t dport, uint32_t off)
{
    if (w->frag) { pc_dec_payload(w, off); return; }
    if (dport == 4789 && w->depth++ < PC_MAX_DEPTH) { pc_vxlan_decode(w, off); return; }
    if (sport == 53 || dport == 53 || sport == 5353 || dport == 5353) { pc_dns_decode(w, off); return; }
    pc_dec_payload(w, off);
}

void pc_dec_tcp_app(struct pc_walk *w, uint16_t sport, uint16_t dport, uint32_t off)
{
    if (!w->frag && (sport == 53 || dport == 53) && off < w->end) { pc_dns_tcp_decode(w, off); return; }
    pc_dec_payload(w, off);
}

/* Raw IP link types: the version nibble says which IP it is. */
static void decode_raw_ip(struct pc_walk *w)
{
    if (w->d->caplen < 1) return;
    switch (w->d->buf[0] >> 4) {
    case 4: pc_ipv4_decode(w, 0); break;
    case 6: pc_ipv6_decode(w, 0); break;
    default: pc_dec_payload(w, 0); break;
    }
}

int pc_decode(struct pc_decoded *d, const uint8_t *buf, uint32_t caplen, uint32_t len, int linktype)
{
    return pc_decode_flags(d, buf, caplen, len, linktype, 0);
}

int pc_decode_flags(struct pc_decoded *d, const uint8_t *buf, uint32_t caplen, uint32_t len, int linktype,
                    unsigned flags)
{
    d->buf = buf;
    d->caplen = caplen;
    d->len = len < caplen ? caplen : len;
    d->linktype = linktype;
    d->n = 0;
    d->l2 = d->l3 = d->l4 = -1;
    d->err = 0;
    struct pc_walk w = { .d = d, .end = d->len, .flags = flags };
    switch (linktype) {
    case PC_LINK_ETHERNET: pc_eth_decode(&w, 0); break;
    case PC_LINK_RAW: case PC_LINK_RAW_OLD12: case PC_LINK_RAW_OLD14: decode_raw_ip(&w); break;
    case PC_LINK_IPV4: pc_ipv4_decode(&w, 0); break;
    case PC_LINK_IPV6: pc_ipv6_decode(&w, 0); break;
    case PC_LINK_SLL: pc_sll_decode(&w, 0); break;
    case PC_LINK_SLL2: pc_sll2_decode(&w, 0); break;
    case PC_LINK_NULL: case PC_LINK_LOOP: pc_null_decode(&w, 0); break;
    default: pc_dec_payload(&w, 0); break;
    }
    return d->err;
}

uint32_t pc_layer_caphdr(const struct pc_decoded *d, int i)
{
    const struct pc_layer *l = &d->l[i];
    if (l->off >= d->caplen) return 0;
    uint32_t room = d->caplen - l->off;
    return l->hlen < room ? l->hlen : room;
}

/* Where layer i's checksum sits (at), how many bytes it covers (len) and
 * which pseudo-header protocol it sums in (0: none).  PC_EINVAL when the
 * layer has no checksum. */
static int csum_region(const struct pc_decoded *d, int i, uint32_t *at, uint32_t *len, uint8_t *proto)
{
    const struct pc_layer *l = &d->l[i];
    *len = l->hlen + l->plen;
    *proto = 0;
    switch (l->proto) {
    case PC_P_IPV4: *at = 10; *len = l->hlen; return 0;
    case PC_P_TCP: *at = 16; *proto = PC_IPPROTO_TCP; return 0;
    case PC_P_UDP: *at = 6; *proto = PC_IPPROTO_UDP; return 0;
    case PC_P_ICMP: *at = 2; return 0;
    case PC_P_ICMP6: *at = 2; *proto = PC_IPPROTO_ICMPV6; return 0;
    case PC_P_GRE: /* only with the C bit (and version 0) */
        if (pc_layer_caphdr(d, i) < PC_GRE_HLEN) return PC_ETRUNC;
        if (!(pc_gre_flags(pc_layer_hdr(d, i)) & PC_GRE_F_CSUM) || pc_gre_version(pc_layer_hdr(d, i))) return PC_EINVAL;
        *at = 4;
        return 0;
    default: return PC_EINVAL;
    }
}

/* Partial sum of the pseudo-header over L4 layer i: the IP layer before
 * it (IPv6 extension headers skipped), or PC_EINVAL without one. */
static int64_t layer_pseudo(const struct pc_decoded *d, int i, uint8_t proto, uint32_t len)
{
    int k = i - 1;
    while (k >= 0 && (d->l[k].proto == PC_P_IP6_HOP || d->l[k].proto == PC_P_IP6_DEST ||
                      d->l[k].proto == PC_P_IP6_ROUTING || d->l[k].proto == PC_P_IP6_FRAG))
        k--;
    if (k < 0 || pc_layer_caphdr(d, k) < d->l[k].hlen) return PC_EINVAL;
    const uint8_t *h = pc_layer_hdr(d, k);
    if (d->l[k].proto == PC_P_IPV4)
        return pc_csum_pseudo4(pc_ipv4_src(h), pc_ipv4_final_dst(h, d->l[k].hlen), proto, len);
    if (d->l[k].proto == PC_P_IPV6) return pc_ipv6_dec_pseudo(d, k, i, proto, len);
    return PC_EINVAL;
}

int pc_layer_csum(const struct pc_decoded *d, int i, uint16_t *found, uint16_t *expected)
{
    uint32_t at, len;
    uint8_t proto;
    int rc = csum_region(d, i, &at, &len, &proto);
    if (rc) return rc;
    const struct pc_layer *l = &d->l[i];
    /* an IPv4 fragment's header is whole; what it carries is not */
    if ((l->flags & PC_LF_FRAG) && l->proto != PC_P_IPV4) return PC_ETRUNC;
    if (l->off >= d->caplen || d->caplen - l->off < len || len < at + 2) return PC_ETRUNC;
    uint32_t sum = 0;
    if (proto) {
        int64_t ps = layer_pseudo(d, i, proto, len);
        if (ps < 0) return (int)ps;
        sum = (uint32_t)ps;
    }
    const uint8_t *p = pc_layer_hdr(d, i);
    /* at is even, so the two pieces chain (checksum.h) */
    sum = pc_csum_partial(p, at, sum);
    sum = pc_csum_partial(p + at + 2, len - at - 2, sum);
    uint16_t c = pc_csum_fold(sum);
    if (l->proto == PC_P_UDP && c == 0) c = 0xFFFF; /* RFC 768: 0 means none */
    *found = pc_get16(p + at);
    *expected = c;
    return 0;
}

/* pc_rebuild: push the builder layers that give back a decoded frame byte
 * for byte (see pktcraft/core/rebuild.h).
 *
 * One function per protocol reads the header from the frame, fills that
 * protocol's spec with every computed field pinned to the wire value, and
 * pushes it.  Pinning is what makes the result exact whatever the frame
 * says: a wrong checksum, a length that lies or a next-protocol field that
 * names something else are written back as they were, and nothing in
 * finalize depends on what the following layers turn out to be.  Option
 * areas go in as raw bytes for the same reason (the encoders would
 * normalise them).
 *
 * Each function returns the number of frame bytes it reproduced (>0), or 0
 * when the header is not all captured or holds bits its push cannot
 * write; the caller then carries everything from that header on as raw
 * bytes, which is always exact. */
#include <string.h>

#include "../internal.h"
#include "pktcraft/core/rebuild.h"
#include "pktcraft/wire/arp.h"
#include "pktcraft/wire/icmp6.h"
#include "pktcraft/wire/ipv6.h"
#include "pktcraft/wire/link.h"
#include "pktcraft/wire/tunnel.h"
#include "pktcraft/wire/vlan.h"

/* Builder layers one step may take: a gap before the layer, the layer
 * with its body (ICMP), and the raw tail that ends every rebuild. */
#define RB_STEP_LAYERS 4

struct rb {
    struct pc_pkt *pk;
    const struct pc_decoded *d;
    uint32_t pos;  /* frame bytes [0, pos) are pushed */
    int raw;       /* header layers carried as raw bytes */
};

/* Layer i's header when need bytes of it are captured, else NULL. */
static const uint8_t *rb_hdr(const struct rb *r, int i, uint32_t need)
{
    const struct pc_layer *l = &r->d->l[i];
    if (l->off >= r->d->caplen || r->d->caplen - l->off < need) return NULL;
    return r->d->buf + l->off;
}

/* Frame bytes [from, to) as a payload layer (to clamped to the capture). */
static void rb_bytes(struct rb *r, uint32_t from, uint32_t to)
{
    if (to > r->d->caplen) to = r->d->caplen;
    if (from < to) pc_push_payload(r->pk, r->d->buf + from, to - from);
}

/* ---- link layers ------------------------------------------------------ */

static uint32_t rb_eth(struct rb *r, int i)
{
    const uint8_t *h = rb_hdr(r, i, PC_ETH_HLEN);
    if (!h) return 0;
    struct pc_eth s = { .type = PC_PIN(pc_eth_type(h)) };
    memcpy(s.dst, pc_eth_dst(h), 6);
    memcpy(s.src, pc_eth_src(h), 6);
    pc_push_eth(r->pk, &s);
    return PC_ETH_HLEN;
}

/* The TPID is the EtherType of the header before the tag, already pinned
 * there; the tag itself is TCI and inner type, every bit expressible. */
static uint32_t rb_vlan(struct rb *r, int i)
{
    const uint8_t *h = rb_hdr(r, i, PC_VLAN_HLEN);
    if (!h) return 0;
    struct pc_vlan s = { .pcp = pc_vlan_pcp(h), .dei = pc_vlan_dei(h), .vid = pc_vlan_vid(h),
                         .type = PC_PIN(pc_vlan_type(h)) };
    pc_push_vlan(r->pk, &s);
    return PC_VLAN_HLEN;
}

/* The builder writes the 28-byte Ethernet/IPv4 layout; with the sizes
 * pinned any message of that length is its bytes at those offsets.  Other
 * address sizes are carried raw. */
static uint32_t rb_arp(struct rb *r, int i)
{
    const uint8_t *h = rb_hdr(r, i, PC_ARP_FIXED);
    if (!h || pc_arp_len(h) != PC_ARP_ETH_IPV4_LEN || !rb_hdr(r, i, PC_ARP_ETH_IPV4_LEN)) return 0;
    struct pc_arp s = { .op = pc_arp_op(h), .htype = PC_PIN(pc_arp_htype(h)), .ptype = PC_PIN(pc_arp_ptype(h)),
                        .hlen = PC_PIN(pc_arp_hlen(h)), .plen = PC_PIN(pc_arp_plen(h)) };
    memcpy(s.sha, h + 8, 6);
    memcpy(s.spa, h + 14, 4);
    memcpy(s.tha, h + 18, 6);
    memcpy(s.tpa, h + 24, 4);
    pc_push_arp(r->pk, &s);
    return PC_ARP_ETH_IPV4_LEN;
}

/* The header's own bytes only: what follows is decoded as usual.  For
 * capture-only headers (SLL, SLL2, NULL/LOOP) and DNS messages, which
 * have no push that writes given bytes. */
static uint32_t rb_opaque(struct rb *r, int i, uint32_t extent)
{
    const struct pc_layer *l = &r->d->l[i];
    uint32_t have = r->d->caplen - l->off;
    uint32_t n = extent < have ? extent : have;
    rb_bytes(r, l->off, l->off + n);
    r->raw++;
    return n;
}

/* ---- IP ---------------------------------------------------------------- */

/* A header length below 20 (malformed) still has the builder's 20 bytes
 * written with IHL pinned; options are the bytes up to IHL * 4.  Version
 * 0 is the one value the spec cannot write ("0 means 4"). */
static uint32_t rb_ipv4(struct rb *r, int i)
{
    const uint8_t *h = rb_hdr(r, i, PC_IPV4_HLEN);
    if (!h || pc_ipv4_version(h) == 0) return 0;
    uint32_t hl = pc_ipv4_ihl(h) * 4u;
    if (hl < PC_IPV4_HLEN) hl = PC_IPV4_HLEN;
    if (!rb_hdr(r, i, hl)) return 0;
    struct pc_ipv4 s = {
        .tos = pc_ipv4_tos(h), .ttl = pc_ipv4_ttl(h), .id = pc_ipv4_id(h), .flags = pc_ipv4_flags(h),
        .frag_off = pc_ipv4_fragoff(h), .version = pc_ipv4_version(h), .ihl = PC_PIN(pc_ipv4_ihl(h)),
        .tot_len = PC_PIN(pc_ipv4_len(h)), .proto = PC_PIN(pc_ipv4_proto(h)), .csum = PC_PIN(pc_ipv4_csum(h)),
        .opts = h + PC_IPV4_HLEN, .optlen = hl - PC_IPV4_HLEN,
    };
    memcpy(s.src, pc_ipv4_src(h), 4);
    memcpy(s.dst, pc_ipv4_dst(h), 4);
    pc_push_ipv4(r->pk, &s);
    return hl;
}

static uint32_t rb_ipv6(struct rb *r, int i)
{
    const uint8_t *h = rb_hdr(r, i, PC_IPV6_HLEN);
    if (!h || pc_ipv6_version(h) == 0) return 0;
    struct pc_ipv6 s = { .tclass = pc_ipv6_tclass(h), .flowlabel = pc_ipv6_flowlabel(h), .hlim = pc_ipv6_hlim(h),
                         .version = pc_ipv6_version(h), .plen = PC_PIN(pc_ipv6_plen(h)),
                         .nh = PC_PIN(pc_ipv6_nh(h)) };
    memcpy(s.src, pc_ipv6_src(h), 16);
    memcpy(s.dst, pc_ipv6_dst(h), 16);
    pc_push_ipv6(r->pk, &s);
    return PC_IPV6_HLEN;
}

/* Fragment header: every field of its 8 bytes, the reserved ones too. */
static uint32_t rb_ip6frag(struct rb *r, int i)
{
    const uint8_t *h = rb_hdr(r, i, PC_IP6_FRAG_HLEN);
    if (!h) return 0;
    struct pc_ip6ext s = { .type = PC_P_IP6_FRAG, .nh = PC_PIN(pc_ip6ext_nh(h)), .frag_off = pc_ip6frag_off(h),
                           .m = pc_ip6frag_m(h), .ident = pc_ip6frag_ident(h), .frag_res1 = pc_ip6frag_res1(h),
                           .frag_res2 = pc_ip6frag_res2(h) };
    pc_push_ip6ext(r->pk, &s);
    return PC_IP6_FRAG_HLEN;
}

/* Hop-by-Hop, Destination Options, Routing: a multiple of 8 bytes, so the
 * builder adds no padding to the raw bytes.  Options are the TLVs after
 * byte 2; a Routing header's bytes after its fixed 8 (addresses, SRH TLVs)
 * go in as its raw data, with no address list, so nothing is reordered. */
static uint32_t rb_ip6ext(struct rb *r, int i)
{
    uint8_t type = r->d->l[i].proto;
    const uint8_t *h = rb_hdr(r, i, 2);
    if (!h) return 0;
    uint32_t hl = pc_ip6ext_len(h);
    if (!rb_hdr(r, i, hl)) return 0;
    struct pc_ip6ext s = { .type = type, .nh = PC_PIN(pc_ip6ext_nh(h)), .hdrlen = PC_PIN(pc_ip6ext_hdrlen(h)) };
    if (type == PC_P_IP6_ROUTING) {
        s.rtype = pc_ip6rt_type(h);
        s.segleft = pc_ip6rt_segleft(h);
        if (s.rtype == PC_IP6_RT_SRH) {
            s.last_entry = PC_PIN(pc_ip6rt_last_entry(h));
            s.flags = pc_ip6rt_flags(h);
            s.tag = pc_ip6rt_tag(h);
        } else {
            s.reserved = pc_ip6rt_reserved(h);
        }
        s.opts = h + 8;
        s.optlen = hl - 8;
    } else {
        s.opts = h + 2;
        s.optlen = hl - 2;
    }
    pc_push_ip6ext(r->pk, &s);
    return hl;
}

/* ---- transports ---------------------------------------------------------- */

/* Options as one raw block: already a multiple of 4, so no EOL padding is
 * added.  A data offset below 5 (malformed) gets the 20 fixed bytes with
 * the offset pinned, like IPv4's IHL. */
static uint32_t rb_tcp(struct rb *r, int i)
{
    const uint8_t *h = rb_hdr(r, i, PC_TCP_HLEN);
    if (!h) return 0;
    uint32_t hl = pc_tcp_doff(h) * 4u;
    if (hl < PC_TCP_HLEN) hl = PC_TCP_HLEN;
    if (!rb_hdr(r, i, hl)) return 0;
    struct pc_tcpopt o = { .kind = PC_TCPOPT_RAW, .raw = { h + PC_TCP_HLEN, (uint8_t)(hl - PC_TCP_HLEN) } };
    struct pc_tcp s = {
        .sport = pc_tcp_sport(h), .dport = pc_tcp_dport(h), .seq = pc_tcp_seq(h), .ack = pc_tcp_ack(h),
        .flags = pc_tcp_flags(h), .reserved = (uint8_t)((h[12] >> 1) & 7u), .win = pc_tcp_win(h),
        .urp = pc_tcp_urp(h), .doff = PC_PIN(pc_tcp_doff(h)), .csum = PC_PIN(pc_tcp_csum(h)),
        .opts = hl > PC_TCP_HLEN ? &o : NULL, .nopts = hl > PC_TCP_HLEN ? 1 : 0,
    };
    pc_push_tcp(r->pk, &s);
    return hl;
}

static uint32_t rb_udp(struct rb *r, int i)
{
    const uint8_t *h = rb_hdr(r, i, PC_UDP_HLEN);
    if (!h) return 0;
    struct pc_udp s = { .sport = pc_udp_sport(h), .dport = pc_udp_dport(h), .len = PC_PIN(pc_udp_len(h)),
                        .csum = PC_PIN(pc_udp_csum(h)) };
    pc_push_udp(r->pk, &s);
    return PC_UDP_HLEN;
}

/* The rest of an ICMP/ICMPv6 message after its 8-byte header: its
 * type-specific fields, quoted datagram or ND options go in as the
 * message's data, as sent.  The decoder's view of the message is its
 * header and payload lengths. */
static uint32_t rb_icmp_body(struct rb *r, int i)
{
    const struct pc_layer *l = &r->d->l[i];
    uint32_t ext = l->hlen + l->plen > 8 ? l->hlen + l->plen : 8, have = r->d->caplen - l->off;
    uint32_t end = ext < have ? ext : have;
    rb_bytes(r, l->off + 8, l->off + end);
    return end;
}

/* Bytes 4..7 verbatim (PC_ICMP_REST_RAW) fit every type. */
static uint32_t rb_icmp(struct rb *r, int i)
{
    const uint8_t *h = rb_hdr(r, i, PC_ICMP_HLEN);
    if (!h) return 0;
    struct pc_icmp s = { .type = pc_icmp_type(h), .code = pc_icmp_code(h), .csum = PC_PIN(pc_icmp_csum(h)),
                         .rest_mode = PC_ICMP_REST_RAW, .rest = pc_icmp_rest(h) };
    pc_push_icmp(r->pk, &s);
    return rb_icmp_body(r, i);
}

static uint32_t rb_icmp6(struct rb *r, int i)
{
    const uint8_t *h = rb_hdr(r, i, PC_ICMP6_HLEN);
    if (!h) return 0;
    struct pc_icmp6 s = { .type = pc_icmp6_type(h), .code = pc_icmp6_code(h), .csum = PC_PIN(pc_icmp6_csum(h)),
                          .rest_mode = PC_ICMP6_REST_RAW, .rest = pc_icmp6_rest(h) };
    pc_push_icmp6(r->pk, &s);
    return rb_icmp_body(r, i);
}

/* ---- tunnels ------------------------------------------------------------- */

/* The builder writes the C, K and S flags, the version, and after a
 * checksum a zero reserved1; anything else (routing, the other reserved
 * bits, PPTP's acknowledgment flag, a nonzero reserved1) is carried raw. */
static uint32_t rb_gre(struct rb *r, int i)
{
    const uint16_t known = PC_GRE_F_CSUM | PC_GRE_F_KEY | PC_GRE_F_SEQ | PC_GRE_VER_MASK;
    const uint8_t *h = rb_hdr(r, i, PC_GRE_HLEN);
    if (!h || (pc_gre_flags(h) & ~known)) return 0;
    uint16_t fl = pc_gre_flags(h);
    struct pc_gre s = { .has_csum = fl & PC_GRE_F_CSUM, .has_key = fl & PC_GRE_F_KEY, .has_seq = fl & PC_GRE_F_SEQ,
                        .proto = PC_PIN(pc_gre_proto(h)), .version = pc_gre_version(h) };
    uint32_t hl = PC_GRE_HLEN + 4u * s.has_csum + 4u * s.has_key + 4u * s.has_seq;
    if (!rb_hdr(r, i, hl)) return 0;
    const uint8_t *p = h + PC_GRE_HLEN;
    if (s.has_csum) {
        if (pc_get16(p + 2)) return 0; /* reserved1 */
        s.csum = PC_PIN(pc_get16(p));
        p += 4;
    }
    if (s.has_key) { s.key = pc_get32(p); p += 4; }
    if (s.has_seq) s.seq = pc_get32(p);
    pc_push_gre(r->pk, &s);
    return hl;
}

/* Flags as given except 0 ("0 means the I flag"); reserved bytes zero. */
static uint32_t rb_vxlan(struct rb *r, int i)
{
    const uint8_t *h = rb_hdr(r, i, PC_VXLAN_HLEN);
    if (!h || !h[0] || h[1] || h[2] || h[3] || h[7]) return 0;
    struct pc_vxlan s = { .vni = pc_vxlan_vni(h), .flags = pc_vxlan_flags(h) };
    pc_push_vxlan(r->pk, &s);
    return PC_VXLAN_HLEN;
}

/* ---- the walk ------------------------------------------------------------ */

static uint32_t rb_payload(struct rb *r, int i)
{
    const struct pc_layer *l = &r->d->l[i];
    uint32_t have = r->d->caplen - l->off, n = l->plen < have ? l->plen : have;
    rb_bytes(r, l->off, l->off + n);
    return n;
}

static uint32_t rb_layer(struct rb *r, int i)
{
    const struct pc_layer *l = &r->d->l[i];
    switch (l->proto) {
    case PC_P_ETH: return rb_eth(r, i);
    case PC_P_VLAN: return rb_vlan(r, i);
    case PC_P_ARP: return rb_arp(r, i);
    case PC_P_IPV4: return rb_ipv4(r, i);
    case PC_P_IPV6: return rb_ipv6(r, i);
    case PC_P_IP6_FRAG: return rb_ip6frag(r, i);
    case PC_P_IP6_HOP: case PC_P_IP6_DEST: case PC_P_IP6_ROUTING: return rb_ip6ext(r, i);
    case PC_P_TCP: return rb_tcp(r, i);
    case PC_P_UDP: return rb_udp(r, i);
    case PC_P_ICMP: return rb_icmp(r, i);
    case PC_P_ICMP6: return rb_icmp6(r, i);
    case PC_P_GRE: return rb_gre(r, i);
    case PC_P_VXLAN: return rb_vxlan(r, i);
    case PC_P_PAYLOAD: return rb_payload(r, i);
    /* A link header is its fixed size; a DNS message is its header and body. */
    case PC_P_SLL: case PC_P_SLL2: case PC_P_NULL: return rb_opaque(r, i, l->hlen);
    case PC_P_DNS: return rb_opaque(r, i, l->hlen + l->plen);
    default: return 0;
    }
}

/* Everything from pos on as one raw layer; the headers decoded there count
 * as carried raw. */
static void rb_tail(struct rb *r)
{
    const struct pc_decoded *d = r->d;
    for (int i = 0; i < d->n; i++)
        if (d->l[i].off >= r->pos && d->l[i].off < d->caplen && d->l[i].proto != PC_P_PAYLOAD) r->raw++;
    rb_bytes(r, r->pos, d->caplen);
    r->pos = d->caplen;
}

int pc_rebuild(struct pc_pkt *pk, const struct pc_decoded *d)
{
    struct rb r = { pk, d, 0, 0 };
    for (int i = 0; i < d->n && r.pos < d->caplen && !pk->err; i++) {
        const struct pc_layer *l = &d->l[i];
        if (l->off < r.pos) continue; /* inside bytes already pushed (an ICMP message's quote) */
        if (l->off >= d->caplen) break;
        if (pk->n + RB_STEP_LAYERS > PC_MAX_LAYERS) break; /* the builder's cap: the rest goes raw */
        rb_bytes(&r, r.pos, l->off); /* bytes no layer claims, e.g. past a UDP length */
        r.pos = l->off;
        uint32_t used = rb_layer(&r, i);
        if (!used) break;
        r.pos = l->off + used;
    }
    if (!pk->err) rb_tail(&r);
    return pk->err ? pk->err : r.raw;
}

/* Declarations shared by the library's modules but not part of the API. */
#ifndef PKTCRAFT_INTERNAL_H
#define PKTCRAFT_INTERNAL_H

#include "pktcraft/core/build.h"
#include "pktcraft/core/checksum.h"
#include "pktcraft/core/decode.h"

/* The protocol registry: one row per enum pc_proto, indexed by it. */
struct pc_walk;
struct pc_proto_info {
    const char *name;
    int ethertype;  /* value an enclosing EtherType field gets, -1 none */
    int ipproto;    /* value an enclosing IP next-header field gets, -1 none */
    int (*fill)(struct pc_pkt *pk, int i);  /* AUTO/CORRUPT fields, back to front */
    /* When the EtherType depends on the spec (VLAN TPID), else NULL. */
    int (*ethertype_of)(const struct pc_pkt *pk, int i);
};
extern const struct pc_proto_info pc_protos[PC_P__COUNT];

/* Builder: per-protocol fill of AUTO/CORRUPT fields, called back to front. */
int pc_eth_fill(struct pc_pkt *pk, int i);
int pc_ipv4_fill(struct pc_pkt *pk, int i);
int pc_tcp_fill(struct pc_pkt *pk, int i);
int pc_udp_fill(struct pc_pkt *pk, int i);
int pc_icmp_fill(struct pc_pkt *pk, int i);
int pc_vlan_fill(struct pc_pkt *pk, int i);
int pc_vlan_ethertype(const struct pc_pkt *pk, int i);
int pc_arp_fill(struct pc_pkt *pk, int i);
int pc_ipv6_fill(struct pc_pkt *pk, int i);
int pc_ip6ext_fill(struct pc_pkt *pk, int i);
int pc_icmp6_fill(struct pc_pkt *pk, int i);
int pc_dns_fill(struct pc_pkt *pk, int i);
int pc_gre_fill(struct pc_pkt *pk, int i);
int pc_vxlan_fill(struct pc_pkt *pk, int i);
/* Partial sum of the IPv6 pseudo-header for the L4 layer l4 under the IPv6
 * layer ip6: source (the home address of a Home Address option, if any),
 * final destination (of a Routing header between them with segments left),
 * upper-layer length and next header. */
uint32_t pc_ipv6_pseudo(const struct pc_pkt *pk, int ip6, int l4, uint8_t proto, uint32_t l4len);
/* The same for a decoded packet: the IPv6 layer ip6 and the layers up to
 * the L4 layer l4, as the decoder summed them. */
uint32_t pc_ipv6_dec_pseudo(const struct pc_decoded *d, int ip6, int l4, uint8_t proto, uint32_t l4len);

/* Number of the layer after i for an enclosing header's next-protocol
 * field, or -1 when the next layer has none (the caller must then pin). */
int pc_next_ethertype(const struct pc_pkt *pk, int i);
int pc_next_ipproto(const struct pc_pkt *pk, int i);
/* Partial sum of the pseudo-header the L4 layer i sits under (0 if none),
 * found by walking out to the nearest IP layer. */
uint32_t pc_l4_pseudo_walk(const struct pc_pkt *pk, int i, uint8_t proto, uint32_t l4len);
/* The same, with the case of nearly every segment inline: an IPv4 header
 * without options (so no source route) right before layer i. */
static inline uint32_t pc_l4_pseudo(const struct pc_pkt *pk, int i, uint8_t proto, uint32_t l4len)
{
    if (i > 0 && pk->l[i - 1].proto == PC_P_IPV4 && pk->l[i - 1].hlen == PC_IPV4_HLEN) {
        const uint8_t *h = pk->buf + pk->l[i - 1].off;
        return pc_csum_pseudo4(pc_ipv4_src(h), pc_ipv4_dst(h), proto, l4len);
    }
    return pc_l4_pseudo_walk(pk, i, proto, l4len);
}

/* Decoder walk state: the frame, and where the current layer's bytes end
 * according to the headers around it ("wire" end, may pass the capture). */
struct pc_walk {
    struct pc_decoded *d;
    uint32_t end;      /* wire end of the current extent */
    uint8_t frag;      /* inside a non-first or first IP fragment */
    unsigned flags;    /* PC_DEC_* */
    uint8_t ipver;     /* 4 or 6: which enclosing IP the pseudo-header uses */
    const uint8_t *ip_src, *ip_dst; /* enclosing IPv4 addresses for the pseudo-header */
    const uint8_t *ip6_src, *ip6_dst; /* IPv6 source and final destination */
    uint8_t depth;     /* encapsulation depth (tunnels), capped */
};

/* Append a layer; returns its index or -1 when the layer cap is reached. */
int pc_dec_add(struct pc_walk *w, uint8_t proto, uint32_t off, uint32_t hlen, uint32_t plen);
/* Mark layer i as broken: sets the flag, the reason, and d->err if first. */
void pc_dec_fail(struct pc_walk *w, int i, uint8_t flag, const char *why);
/* Captured bytes available from off up to the wire end of the extent. */
uint32_t pc_dec_avail(const struct pc_walk *w, uint32_t off);

/* Checksum status of an L4 region [off, off+len): checkable only when every
 * byte of an unfragmented datagram was captured; pseudo selects whether the
 * enclosing IP pseudo-header is summed in. */
uint8_t pc_dec_l4_csum(const struct pc_walk *w, uint32_t off, uint32_t len, uint8_t proto, int pseudo);

/* Start an L4 layer of fixed header size hlen at off: it becomes d->l4,
 * inherits the fragment flag, and its checksum stays UNVERIFIED until the
 * bytes prove otherwise.  Returns the index, or -1 when the header is not
 * all captured (marked malformed when the datagram itself is too short,
 * truncated when only the capture is) or the layer cap is reached. */
int pc_dec_l4_start(struct pc_walk *w, uint8_t proto, uint32_t off, uint32_t hlen, const char *too_short,
                    const char *cut);

/* Decode the datagram quoted by the ICMP/ICMPv6 error at layer icmp, in
 * [off, end): its layers are flagged PC_LF_QUOTED (lib/icmp.c). */
void pc_dec_quote(struct pc_walk *w, int icmp, uint32_t off, uint32_t end, int version);

void pc_dec_ethertype(struct pc_walk *w, uint16_t type, uint32_t off);
void pc_dec_ipproto(struct pc_walk *w, uint8_t proto, uint32_t off);
void pc_dec_payload(struct pc_walk *w, uint32_t off);
/* Application protocols by port (DNS, VXLAN); falls back to payload. */
void pc_dec_udp_app(struct pc_walk *w, uint16_t sport, uint16_t dport, uint32_t off);
void pc_dec_tcp_app(struct pc_walk *w, uint16_t sport, uint16_t dport, uint32_t off);

void pc_eth_decode(struct pc_walk *w, uint32_t off);
void pc_ipv4_decode(struct pc_walk *w, uint32_t off);
void pc_tcp_decode(struct pc_walk *w, uint32_t off);
void pc_udp_decode(struct pc_walk *w, uint32_t off);
void pc_icmp_decode(struct pc_walk *w, uint32_t off);
void pc_vlan_decode(struct pc_walk *w, uint32_t off);
void pc_arp_decode(struct pc_walk *w, uint32_t off);
void pc_ipv6_decode(struct pc_walk *w, uint32_t off);  /* also walks extension headers */
void pc_icmp6_decode(struct pc_walk *w, uint32_t off);
void pc_dns_decode(struct pc_walk *w, uint32_t off);      /* DNS message over UDP */
void pc_dns_tcp_decode(struct pc_walk *w, uint32_t off);  /* length-prefixed messages over TCP */
void pc_gre_decode(struct pc_walk *w, uint32_t off);
void pc_vxlan_decode(struct pc_walk *w, uint32_t off);
void pc_sll_decode(struct pc_walk *w, uint32_t off);
void pc_sll2_decode(struct pc_walk *w, uint32_t off);
void pc_null_decode(struct pc_walk *w, uint32_t off);  /* NULL (host order) and LOOP (big endian) */

/* Per-layer describers for pc_describe_layer (text fragment or JSON members). */
struct pc_fmt;
void pc_eth_describe(const struct pc_decoded *d, int i, struct pc_fmt *f);
void pc_ipv4_describe(const struct pc_decoded *d, int i, struct pc_fmt *f);
void pc_tcp_describe(const struct pc_decoded *d, int i, struct pc_fmt *f);
void pc_udp_describe(const struct pc_decoded *d, int i, struct pc_fmt *f);
void pc_icmp_describe(const struct pc_decoded *d, int i, struct pc_fmt *f);
void pc_vlan_describe(const struct pc_decoded *d, int i, struct pc_fmt *f);
void pc_arp_describe(const struct pc_decoded *d, int i, struct pc_fmt *f);
void pc_ipv6_describe(const struct pc_decoded *d, int i, struct pc_fmt *f);
void pc_ip6ext_describe(const struct pc_decoded *d, int i, struct pc_fmt *f);
void pc_icmp6_describe(const struct pc_decoded *d, int i, struct pc_fmt *f);
void pc_dns_describe(const struct pc_decoded *d, int i, struct pc_fmt *f);
void pc_gre_describe(const struct pc_decoded *d, int i, struct pc_fmt *f);
void pc_vxlan_describe(const struct pc_decoded *d, int i, struct pc_fmt *f);
void pc_link_describe(const struct pc_decoded *d, int i, struct pc_fmt *f); /* SLL, SLL2, NULL */

#endif

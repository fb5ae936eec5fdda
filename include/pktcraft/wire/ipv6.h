/* IPv6 (RFC 8200) and its extension headers: Hop-by-Hop and Destination
 * Options, Routing (type 0, type 2 Mobile IPv6, type 4 Segment Routing
 * RFC 8754) and Fragment.  The fixed header and every extension header are
 * separate layers, pushed in wire order and chained in any order and count;
 * each next-header and length field is AUTO unless pinned or corrupted:
 *     struct pc_ipv6 ip = { .hlim = 64 };   src, and dst = the first segment
 *     uint8_t segs[2][16];                   segs[0] the final destination, segs[1] the first
 *     pc_push_ipv6(&pk, &ip);
 *     pc_push_ip6ext(&pk, &(struct pc_ip6ext){ .type = PC_P_IP6_ROUTING, .rtype = PC_IP6_RT_SRH,
 *                                             .segleft = 1, .addrs = segs, .naddrs = 2 });
 *     pc_push_udp(&pk, &(struct pc_udp){ .sport = 5000, .dport = 6000 });
 * gives IPv6 next header 43, SRH next header 17, its length and last entry,
 * and a UDP checksum over the final destination (design notes, pitfall 1). */
#ifndef PKTCRAFT_IPV6_H
#define PKTCRAFT_IPV6_H

#include "../core/common.h"

#define PC_IPV6_HLEN 40
#define PC_IP6EXT_MINLEN 8      /* every extension header is 8*n bytes */
#define PC_IP6EXT_MAXLEN 2048   /* (255 + 1) * 8: the 8-bit length's ceiling */
#define PC_IP6_FRAG_HLEN 8
#define PC_IPV6_MAXEXT 8        /* decoder cap on a chain (cf. DPDK's walk) */
#define PC_IPV6_MAXPLEN 0xFFFF  /* jumbograms (RFC 2675) are not built */

/* Next Header values of the extension headers handled here. */
#define PC_IPPROTO_HOPOPTS 0
#define PC_IPPROTO_IPV6 41
#define PC_IPPROTO_ROUTING 43
#define PC_IPPROTO_FRAGMENT 44
#define PC_IPPROTO_NONE 59      /* "No Next Header": what a last layer gets */
#define PC_IPPROTO_DSTOPTS 60

/* Routing types. */
#define PC_IP6_RT_SRC 0   /* source route, deprecated by RFC 5095 */
#define PC_IP6_RT_MIP6 2  /* Mobile IPv6 home address, RFC 6275 */
#define PC_IP6_RT_SRH 4   /* Segment Routing Header, RFC 8754 */

/* Option types the padding, the decoder and the pseudo-header look at. */
#define PC_IP6OPT_PAD1 0x00
#define PC_IP6OPT_PADN 0x01
#define PC_IP6OPT_JUMBO 0xC2
#define PC_IP6OPT_HAO 0xC9    /* Home Address (RFC 6275): the L4 pseudo-header's source */

/* The fixed header.  The payload length counts every byte pushed after
 * this header (extension headers included); over 65535 is PC_ELIMIT at
 * finalize unless plen is pinned (no jumbograms). */
struct pc_ipv6 {
    uint8_t src[16], dst[16];
    uint8_t tclass;
    uint32_t flowlabel;  /* 20 bits; larger is PC_EINVAL */
    uint8_t hlim;
    uint8_t version;     /* 0 means 6; 1..15 written as given */
    pc_field plen;       /* AUTO: everything after the fixed header */
    pc_field nh;         /* AUTO: the next layer's IP protocol number, 59
                          * when nothing follows; pin it before raw bytes */
};

/* One extension header; type says which, and only that type's fields are
 * used (the others are ignored).  Pointers are followed during the push
 * only: the header bytes are written then, the caller's arrays need not
 * outlive the call.
 *
 * Hop-by-Hop / Destination Options: opts holds raw TLV options; Pad1 or
 * PadN is appended so the header is a multiple of 8 bytes.  A Home Address
 * option (PC_IP6OPT_HAO, length 16) in Destination Options makes its
 * address the source of the L4 pseudo-header (Mobile IPv6, RFC 6275).
 *
 * Routing: bytes 4-7 are `reserved` for types other than 4, and for the
 * SRH (type 4) last_entry, flags and tag.  Then naddrs addresses in the
 * order given (for the SRH that is Segment List[0] first, i.e. the FINAL
 * destination first: the SRH lists segments in reverse), then opts (SRH
 * TLVs, or any type-specific data), zero-padded to a multiple of 8.  While
 * segments are left, the final destination (last address of types 0 and
 * 2, Segment List[0] of the SRH) is the destination of the L4
 * pseudo-header (RFC 8200 8.1, RFC 8754); with several Routing headers the
 * last one naming a destination counts, as in Wireshark and scapy.
 *
 * Fragment: 13-bit offset in 8-byte units, M flag, identification, and
 * the two reserved fields (the octet after Next Header, the 2 bits before
 * M) so that fuzzing them is possible. */
struct pc_ip6ext {
    uint8_t type;       /* PC_P_IP6_HOP, PC_P_IP6_DEST, PC_P_IP6_ROUTING, PC_P_IP6_FRAG */
    pc_field nh;        /* AUTO: next layer's IP protocol, 59 when nothing follows */
    pc_field hdrlen;    /* AUTO: length in 8-byte units minus one (not for FRAG) */
    const uint8_t *opts;
    size_t optlen;
    /* Routing */
    uint8_t rtype, segleft;
    pc_field last_entry; /* SRH only. AUTO: naddrs - 1 (naddrs 0 needs a pin) */
    uint8_t flags;       /* SRH */
    uint16_t tag;        /* SRH */
    uint32_t reserved;   /* bytes 4-7 of routing types other than 4 */
    const uint8_t (*addrs)[16];
    size_t naddrs;
    /* Fragment */
    uint16_t frag_off;   /* 8-byte units, at most 0x1FFF */
    uint8_t m;           /* more fragments: nonzero sets M */
    uint32_t ident;
    uint8_t frag_res1;   /* the reserved octet */
    uint8_t frag_res2;   /* the two reserved bits, 0..3 */
};

/* Decoding (pc_decode): the IPv6 header and each extension header are
 * layers of their own (PC_P_IPV6, PC_P_IP6_HOP, _ROUTING, _FRAG, _DEST).
 *   - lengths: payload length against the frame (beyond it: malformed; short
 *     of it: the link layer gets PC_LF_TRAILER), each extension header
 *     against the payload length, each option, address list and SRH
 *     segment list against its header;
 *   - at most PC_IPV6_MAXEXT extension headers: a longer chain sets
 *     PC_ELIMIT, notes it on the IPv6 layer and leaves the rest as payload;
 *   - AH, ESP, Mobility and unknown next headers end the walk (payload);
 *   - a Fragment header with a nonzero offset ends it too; offset 0 with M
 *     set decodes the L4 header, checksum unverified; offset 0 without M
 *     (an atomic fragment, RFC 6946) is a whole datagram;
 *   - the L4 checksum is verified over the final destination of a Routing
 *     header and the home address of a Home Address option, as built;
 *   - notes (layer `why` without an error flag): Hop-by-Hop not directly
 *     after the IPv6 header; payload length 0 with a Jumbo Payload option
 *     (a jumbogram, RFC 2675: not supported, the rest left as payload). */

struct pc_pkt;
/* Push the fixed header / one extension header (0 or a PC_E* code, sticky
 * in pk->err).  PC_EINVAL for an impossible spec (unknown type, field out
 * of range, header over 2048 bytes, NULL data with a nonzero length). */
int pc_push_ipv6(struct pc_pkt *pk, const struct pc_ipv6 *s);
int pc_push_ip6ext(struct pc_pkt *pk, const struct pc_ip6ext *s);

/* ---- views: the caller has checked the bytes are there ---------------- */

static inline uint8_t pc_ipv6_version(const uint8_t *h) { return h[0] >> 4; }
static inline uint8_t pc_ipv6_tclass(const uint8_t *h) { return (uint8_t)((h[0] << 4) | (h[1] >> 4)); }
static inline uint32_t pc_ipv6_flowlabel(const uint8_t *h) { return pc_get32(h) & 0xFFFFFu; }
static inline uint16_t pc_ipv6_plen(const uint8_t *h) { return pc_get16(h + 4); }
static inline uint8_t pc_ipv6_nh(const uint8_t *h) { return h[6]; }
static inline uint8_t pc_ipv6_hlim(const uint8_t *h) { return h[7]; }
static inline const uint8_t *pc_ipv6_src(const uint8_t *h) { return h + 8; }
static inline const uint8_t *pc_ipv6_dst(const uint8_t *h) { return h + 24; }

/* Any extension header: next header and, except for Fragment, length. */
static inline uint8_t pc_ip6ext_nh(const uint8_t *h) { return h[0]; }
static inline uint8_t pc_ip6ext_hdrlen(const uint8_t *h) { return h[1]; }
static inline uint32_t pc_ip6ext_len(const uint8_t *h) { return (h[1] + 1u) * 8u; }

/* Routing header (first 8 bytes checked; address k needs 24 + 16k). */
static inline uint8_t pc_ip6rt_type(const uint8_t *h) { return h[2]; }
static inline uint8_t pc_ip6rt_segleft(const uint8_t *h) { return h[3]; }
static inline uint32_t pc_ip6rt_reserved(const uint8_t *h) { return pc_get32(h + 4); }
static inline uint8_t pc_ip6rt_last_entry(const uint8_t *h) { return h[4]; }
static inline uint8_t pc_ip6rt_flags(const uint8_t *h) { return h[5]; }
static inline uint16_t pc_ip6rt_tag(const uint8_t *h) { return pc_get16(h + 6); }
static inline const uint8_t *pc_ip6rt_addr(const uint8_t *h, unsigned k) { return h + 8 + 16 * k; }

/* Fragment header (8 bytes). */
static inline uint8_t pc_ip6frag_res1(const uint8_t *h) { return h[1]; }
static inline uint16_t pc_ip6frag_off(const uint8_t *h) { return pc_get16(h + 2) >> 3; }
static inline uint8_t pc_ip6frag_res2(const uint8_t *h) { return (h[3] >> 1) & 3; }
static inline uint8_t pc_ip6frag_m(const uint8_t *h) { return h[3] & 1; }
static inline uint32_t pc_ip6frag_ident(const uint8_t *h) { return pc_get32(h + 4); }

#endif

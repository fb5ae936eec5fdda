/* ICMPv6 (RFC 4443) and Neighbor Discovery (RFC 4861): echo, the four
 * error messages with their quoted packet, router and neighbour
 * solicitation and advertisement, redirect, and the ND options. */
#ifndef PKTCRAFT_ICMP6_H
#define PKTCRAFT_ICMP6_H

#include "../core/common.h"
#include "icmp.h"

#define PC_IPPROTO_ICMPV6 58
#define PC_ICMP6_HLEN 8

/* Types. */
#define PC_ICMP6_DST_UNREACH 1
#define PC_ICMP6_PACKET_TOO_BIG 2
#define PC_ICMP6_TIME_EXCEEDED 3
#define PC_ICMP6_PARAM_PROB 4
#define PC_ICMP6_ECHO_REQUEST 128
#define PC_ICMP6_ECHO_REPLY 129
#define PC_ND_ROUTER_SOLICIT 133
#define PC_ND_ROUTER_ADVERT 134
#define PC_ND_NEIGHBOR_SOLICIT 135
#define PC_ND_NEIGHBOR_ADVERT 136
#define PC_ND_REDIRECT 137

/* Destination unreachable codes (RFC 4443 3.1, RFC 6550). */
#define PC_ICMP6_UNREACH_NOROUTE 0
#define PC_ICMP6_UNREACH_ADMIN 1
#define PC_ICMP6_UNREACH_BEYONDSCOPE 2
#define PC_ICMP6_UNREACH_ADDR 3
#define PC_ICMP6_UNREACH_NOPORT 4
#define PC_ICMP6_UNREACH_POLICY 5
#define PC_ICMP6_UNREACH_REJECT 6
#define PC_ICMP6_UNREACH_SRH 7
/* Time exceeded codes. */
#define PC_ICMP6_TIMXCEED_HOPLIMIT 0
#define PC_ICMP6_TIMXCEED_REASS 1
/* Parameter problem codes. */
#define PC_ICMP6_PARAMPROB_HEADER 0
#define PC_ICMP6_PARAMPROB_NEXTHEADER 1
#define PC_ICMP6_PARAMPROB_OPTION 2

/* Router advertisement flags (byte 5), with the default router
 * preference of RFC 4191 in bits 4..3. */
#define PC_ND_RA_MANAGED 0x80
#define PC_ND_RA_OTHER 0x40
#define PC_ND_RA_HOME_AGENT 0x20
#define PC_ND_RA_PRF_MASK 0x18
#define PC_ND_RA_PRF_HIGH 0x08
#define PC_ND_RA_PRF_LOW 0x18
/* Neighbour advertisement flags (the top bits of byte 4). */
#define PC_ND_NA_ROUTER 0x80
#define PC_ND_NA_SOLICITED 0x40
#define PC_ND_NA_OVERRIDE 0x20

/* Option types (RFC 4861 4.6). */
#define PC_ND_OPT_SRC_LLADDR 1
#define PC_ND_OPT_TGT_LLADDR 2
#define PC_ND_OPT_PREFIX 3
#define PC_ND_OPT_REDIRECTED 4
#define PC_ND_OPT_MTU 5
/* Prefix information flags. */
#define PC_ND_PREFIX_ONLINK 0x80
#define PC_ND_PREFIX_AUTO 0x40

/* Fixed part of each message before its options or quoted packet. */
#define PC_ND_RS_LEN 8
#define PC_ND_RA_LEN 16
#define PC_ND_NS_LEN 24
#define PC_ND_NA_LEN 24
#define PC_ND_REDIRECT_LEN 40
/* Minimum IPv6 MTU: an error and its quote stay within it (RFC 4443 2.4c). */
#define PC_IPV6_MIN_MTU 1280

/* One ND option, in an array like TCP options.  Only the fields of its
 * type are used:
 *   source / target link-layer address (1, 2)  lladdr (Ethernet, 8 bytes)
 *   prefix information (3)                     prefix_len, prefix_flags,
 *                                              valid / preferred lifetimes,
 *                                              prefix (32 bytes)
 *   redirected header (4)                      data: the start of the
 *                                              redirected packet, after 6
 *                                              reserved bytes
 *   MTU (5)                                    mtu (8 bytes)
 *   any other type                             data after type and length
 * Everything is zero-padded to a multiple of 8 bytes.  Pointers are only
 * followed during the push. */
struct pc_nd_opt {
    uint8_t type;
    pc_field len;          /* AUTO: whole option in 8-byte units (0 is malformed: pin it to test that) */
    uint8_t lladdr[6];
    uint8_t prefix_len;
    uint8_t prefix_flags;  /* PC_ND_PREFIX_ONLINK | PC_ND_PREFIX_AUTO */
    uint32_t valid_lifetime, preferred_lifetime;
    uint8_t prefix[16];
    uint32_t mtu;
    const uint8_t *data;
    size_t dlen;
};

/* How bytes 4..7 and the body are chosen. */
enum pc_icmp6_rest_mode {
    PC_ICMP6_REST_AUTO = 0, /* by type, as described in struct pc_icmp6 */
    PC_ICMP6_REST_RAW = 1,  /* any type: an 8-byte header whose bytes 4..7 are `rest` */
};

/* One ICMPv6 message.  Which fields apply depends on the type (AUTO mode):
 *   echo request / reply (128, 129)   id, seq
 *   destination unreachable (1),
 *   time exceeded (3)                 bytes 4..7 zero
 *   packet too big (2)                mtu
 *   parameter problem (4)             pointer
 *   router solicitation (133)         reserved, options
 *   router advertisement (134)        cur_hop_limit, flags (M/O), router_lifetime,
 *                                     reachable_time, retrans_timer, options
 *   neighbour solicitation (135)      target, options
 *   neighbour advertisement (136)     flags (R/S/O), target, options
 *   redirect (137)                    target, dst, options
 *   any other type                    id, seq in bytes 4..7
 * Errors (1..4) are followed by the quoted packet: push it with
 * pc_push_icmp6_quote().  Options are allowed on types 133..137 only. */
struct pc_icmp6 {
    uint8_t type, code;
    pc_field csum;       /* AUTO: over the IPv6 pseudo-header and the message */
    uint16_t id, seq;
    uint32_t mtu;
    uint32_t pointer;
    uint8_t cur_hop_limit;
    uint8_t flags;       /* RA: PC_ND_RA_*, NA: PC_ND_NA_* */
    uint16_t router_lifetime;
    uint32_t reachable_time, retrans_timer;
    uint8_t target[16];
    uint8_t dst[16];
    const struct pc_nd_opt *opts;
    size_t nopts;
    uint8_t rest_mode;   /* enum pc_icmp6_rest_mode */
    uint32_t rest;       /* PC_ICMP6_REST_RAW: bytes 4..7 verbatim */
};

/* Bytes of the fixed part of a type (the decoder's minimum). */
static inline uint32_t pc_icmp6_hdr_len(uint8_t type)
{
    switch (type) {
    case PC_ND_ROUTER_ADVERT: return PC_ND_RA_LEN;
    case PC_ND_NEIGHBOR_SOLICIT: return PC_ND_NS_LEN;
    case PC_ND_NEIGHBOR_ADVERT: return PC_ND_NA_LEN;
    case PC_ND_REDIRECT: return PC_ND_REDIRECT_LEN;
    default: return PC_ICMP6_HLEN;
    }
}
static inline int pc_icmp6_is_error(uint8_t type) { return type >= 1 && type <= 4; }
static inline int pc_icmp6_is_nd(uint8_t type) { return type >= PC_ND_ROUTER_SOLICIT && type <= PC_ND_REDIRECT; }

/* Name of a type as tcpdump spells it ("neighbor solicitation"), or NULL. */
const char *pc_icmp6_type_name(uint8_t type);

struct pc_pkt;
/* Push the message (0 or a PC_E* code, sticky in pk->err): PC_EINVAL for
 * options on a type without them, an option over 2040 bytes or a NULL
 * data pointer with a length. */
int pc_push_icmp6(struct pc_pkt *pk, const struct pc_icmp6 *s);

/* Push, as the data of the ICMPv6 error just pushed, the start of the
 * IPv6 packet ip6 (len bytes, cut to 40 + its payload length): as much as
 * keeps the error's IPv6 packet within 1280 bytes when max is 0 or
 * PC_ICMP6_QUOTE_MAX, else at most max bytes.  PC_EINVAL when ip6 does not
 * start with an IPv6 header. */
#define PC_ICMP6_QUOTE_MAX ((size_t)-1)
int pc_push_icmp6_quote(struct pc_pkt *pk, const uint8_t *ip6, size_t len, size_t max);
/* The same from a finalized frame: the packet is its first IPv6 layer. */
int pc_push_icmp6_quote_frame(struct pc_pkt *pk, const uint8_t *frame, size_t caplen, int linktype, size_t max);

/* Walk the ND options of a message body: cb gets each option's type, its
 * length in 8-byte units and its bytes (type and length included).
 * Returns 0, PC_EMALFORMED for a zero length or an option running past len. */
typedef void (*pc_nd_opt_cb)(void *ctx, uint8_t type, uint8_t units, const uint8_t *opt);
int pc_nd_opts_walk(const uint8_t *p, size_t len, pc_nd_opt_cb cb, void *ctx);

/* View accessors: the caller has checked that the bytes are captured. */
static inline uint8_t pc_icmp6_type(const uint8_t *h) { return h[0]; }
static inline uint8_t pc_icmp6_code(const uint8_t *h) { return h[1]; }
static inline uint16_t pc_icmp6_csum(const uint8_t *h) { return pc_get16(h + 2); }
static inline uint16_t pc_icmp6_id(const uint8_t *h) { return pc_get16(h + 4); }
static inline uint16_t pc_icmp6_seq(const uint8_t *h) { return pc_get16(h + 6); }
static inline uint32_t pc_icmp6_rest(const uint8_t *h) { return pc_get32(h + 4); }
static inline uint32_t pc_icmp6_mtu(const uint8_t *h) { return pc_get32(h + 4); }
static inline uint32_t pc_icmp6_pointer(const uint8_t *h) { return pc_get32(h + 4); }
/* Router advertisement (16 bytes). */
static inline uint8_t pc_nd_ra_hoplimit(const uint8_t *h) { return h[4]; }
static inline uint8_t pc_nd_ra_flags(const uint8_t *h) { return h[5]; }
static inline uint16_t pc_nd_ra_lifetime(const uint8_t *h) { return pc_get16(h + 6); }
static inline uint32_t pc_nd_ra_reachable(const uint8_t *h) { return pc_get32(h + 8); }
static inline uint32_t pc_nd_ra_retrans(const uint8_t *h) { return pc_get32(h + 12); }
/* Neighbour solicitation / advertisement (24 bytes), redirect (40). */
static inline uint8_t pc_nd_na_flags(const uint8_t *h) { return h[4]; }
static inline const uint8_t *pc_nd_target(const uint8_t *h) { return h + 8; }
static inline const uint8_t *pc_nd_redirect_dst(const uint8_t *h) { return h + 24; }
/* Options (o at the option's type byte; sizes checked by the caller). */
static inline uint8_t pc_nd_opt_type(const uint8_t *o) { return o[0]; }
static inline uint8_t pc_nd_opt_len(const uint8_t *o) { return o[1]; }
static inline const uint8_t *pc_nd_opt_lladdr(const uint8_t *o) { return o + 2; }
static inline uint8_t pc_nd_opt_prefix_len(const uint8_t *o) { return o[2]; }
static inline uint8_t pc_nd_opt_prefix_flags(const uint8_t *o) { return o[3]; }
static inline uint32_t pc_nd_opt_valid(const uint8_t *o) { return pc_get32(o + 4); }
static inline uint32_t pc_nd_opt_preferred(const uint8_t *o) { return pc_get32(o + 8); }
static inline const uint8_t *pc_nd_opt_prefix(const uint8_t *o) { return o + 16; }
static inline uint32_t pc_nd_opt_mtu(const uint8_t *o) { return pc_get32(o + 4); }

#endif

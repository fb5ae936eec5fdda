/* ICMP for IPv4 (RFC 792), with the next-hop MTU of RFC 1191, the quoting
 * rules of RFC 1812 and the original-datagram length of RFC 4884. */
#ifndef PKTCRAFT_ICMP_H
#define PKTCRAFT_ICMP_H

#include "../core/common.h"

#define PC_ICMP_HLEN 8          /* type, code, checksum, 4 bytes "rest of header" */
#define PC_ICMP_TSTAMP_HLEN 20  /* ... plus originate, receive, transmit timestamps */
#define PC_ICMP_MASK_HLEN 12    /* ... plus the address mask (RFC 950) */

/* Types. */
#define PC_ICMP_ECHOREPLY 0
#define PC_ICMP_UNREACH 3
#define PC_ICMP_SOURCEQUENCH 4
#define PC_ICMP_REDIRECT 5
#define PC_ICMP_ECHO 8
#define PC_ICMP_ROUTERADVERT 9
#define PC_ICMP_ROUTERSOLICIT 10
#define PC_ICMP_TIMXCEED 11
#define PC_ICMP_PARAMPROB 12
#define PC_ICMP_TSTAMP 13
#define PC_ICMP_TSTAMPREPLY 14
#define PC_ICMP_IREQ 15
#define PC_ICMP_IREQREPLY 16
#define PC_ICMP_MASKREQ 17
#define PC_ICMP_MASKREPLY 18

/* Destination unreachable codes (RFC 792, 1122, 1812). */
#define PC_ICMP_UNREACH_NET 0
#define PC_ICMP_UNREACH_HOST 1
#define PC_ICMP_UNREACH_PROTOCOL 2
#define PC_ICMP_UNREACH_PORT 3
#define PC_ICMP_UNREACH_NEEDFRAG 4  /* carries the next-hop MTU (RFC 1191) */
#define PC_ICMP_UNREACH_SRCFAIL 5
#define PC_ICMP_UNREACH_NET_UNKNOWN 6
#define PC_ICMP_UNREACH_HOST_UNKNOWN 7
#define PC_ICMP_UNREACH_ISOLATED 8
#define PC_ICMP_UNREACH_NET_PROHIB 9
#define PC_ICMP_UNREACH_HOST_PROHIB 10
#define PC_ICMP_UNREACH_TOSNET 11
#define PC_ICMP_UNREACH_TOSHOST 12
#define PC_ICMP_UNREACH_FILTER_PROHIB 13
#define PC_ICMP_UNREACH_HOST_PRECEDENCE 14
#define PC_ICMP_UNREACH_PRECEDENCE_CUTOFF 15
/* Time exceeded codes. */
#define PC_ICMP_TIMXCEED_INTRANS 0
#define PC_ICMP_TIMXCEED_REASS 1
/* Redirect codes. */
#define PC_ICMP_REDIRECT_NET 0
#define PC_ICMP_REDIRECT_HOST 1
#define PC_ICMP_REDIRECT_TOSNET 2
#define PC_ICMP_REDIRECT_TOSHOST 3

/* How bytes 4..7 and the header length are chosen. */
enum pc_icmp_rest_mode {
    PC_ICMP_REST_AUTO = 0, /* by type, as described in struct pc_icmp */
    PC_ICMP_REST_RAW = 1,  /* any type: an 8-byte header whose bytes 4..7 are `rest` */
};

/* One ICMP message.  Which fields apply depends on the type (AUTO mode):
 *   echo (0, 8), info (15, 16) and
 *   every type not listed below     id, seq in bytes 4..7
 *   destination unreachable (3)     bytes 4..5 zero, mtu in bytes 6..7
 *                                   (the next-hop MTU of code 4; leave 0
 *                                   for the other codes)
 *   redirect (5)                    gw, the gateway to use, in bytes 4..7
 *   time exceeded (11)              bytes 4..7 zero
 *   parameter problem (12)          pointer in byte 4, bytes 5..7 zero
 *   timestamp (13, 14)              id, seq, then ts_orig, ts_recv, ts_xmit
 *                                   (ms since midnight UT): 20-byte header
 *   address mask (17, 18)           id, seq, then mask: 12-byte header
 * Errors (3, 4, 5, 11, 12) are followed by the quoted datagram: push it
 * with pc_push_icmp_quote().  The zero-initialised fields of older code
 * (type, code, id, seq, csum only) build exactly what they did before. */
struct pc_icmp {
    uint8_t type, code;
    uint16_t id, seq;   /* echo-like identifier and sequence (bytes 4..7) */
    pc_field csum;      /* AUTO: over header and everything pushed after it */
    uint16_t mtu;       /* unreachable: next-hop MTU (RFC 1191) */
    uint8_t gw[4];      /* redirect: gateway address */
    uint8_t pointer;    /* parameter problem: offset of the bad octet */
    uint32_t ts_orig, ts_recv, ts_xmit; /* timestamp request / reply */
    uint32_t mask;      /* address mask request / reply */
    uint8_t rest_mode;  /* enum pc_icmp_rest_mode */
    uint32_t rest;      /* PC_ICMP_REST_RAW: bytes 4..7 verbatim */
};

/* Header bytes the decoder expects for a type: the fixed part before any
 * data or quoted datagram. */
static inline uint32_t pc_icmp_hdr_len(uint8_t type)
{
    if (type == PC_ICMP_TSTAMP || type == PC_ICMP_TSTAMPREPLY) return PC_ICMP_TSTAMP_HLEN;
    if (type == PC_ICMP_MASKREQ || type == PC_ICMP_MASKREPLY) return PC_ICMP_MASK_HLEN;
    return PC_ICMP_HLEN;
}

/* The error types: their data is the start of the datagram that caused them. */
static inline int pc_icmp_is_error(uint8_t type)
{
    return type == PC_ICMP_UNREACH || type == PC_ICMP_SOURCEQUENCH || type == PC_ICMP_REDIRECT ||
           type == PC_ICMP_TIMXCEED || type == PC_ICMP_PARAMPROB;
}

/* Name of a type as tcpdump spells it ("echo request"), or NULL. */
const char *pc_icmp_type_name(uint8_t type);

/* View accessors: the caller has checked the bytes are captured (8, or 20
 * for the timestamps, 12 for the mask). */
static inline uint8_t pc_icmp_type(const uint8_t *h) { return h[0]; }
static inline uint8_t pc_icmp_code(const uint8_t *h) { return h[1]; }
static inline uint16_t pc_icmp_csum(const uint8_t *h) { return pc_get16(h + 2); }
static inline uint16_t pc_icmp_id(const uint8_t *h) { return pc_get16(h + 4); }
static inline uint16_t pc_icmp_seq(const uint8_t *h) { return pc_get16(h + 6); }
static inline uint32_t pc_icmp_rest(const uint8_t *h) { return pc_get32(h + 4); }
static inline uint16_t pc_icmp_mtu(const uint8_t *h) { return pc_get16(h + 6); }
static inline const uint8_t *pc_icmp_gw(const uint8_t *h) { return h + 4; }
static inline uint8_t pc_icmp_pointer(const uint8_t *h) { return h[4]; }
/* RFC 4884: length of the quoted datagram in 32-bit words (0: not given)
 * in byte 5 of unreachable, time exceeded and parameter problem. */
static inline uint8_t pc_icmp_origlen(const uint8_t *h) { return h[5]; }
static inline uint32_t pc_icmp_ts_orig(const uint8_t *h) { return pc_get32(h + 8); }
static inline uint32_t pc_icmp_ts_recv(const uint8_t *h) { return pc_get32(h + 12); }
static inline uint32_t pc_icmp_ts_xmit(const uint8_t *h) { return pc_get32(h + 16); }
static inline uint32_t pc_icmp_mask(const uint8_t *h) { return pc_get32(h + 8); }

/* Layer flag of the decoder (struct pc_layer.flags): the layer lies inside
 * the datagram an ICMP or ICMPv6 error quotes.  Its length fields describe
 * the original datagram, which the quote normally cuts short, so that is
 * not an error of the packet; its checksum is not verifiable (an IPv4
 * header checksum is, the header being whole). */
/* (PC_LF_QUOTED is defined in decode.h.) */

/* How much of the offending datagram an error quotes (max argument). */
#define PC_ICMP_QUOTE_RFC792 ((size_t)0)      /* its IP header and 8 data bytes */
#define PC_ICMP_QUOTE_RFC1812 ((size_t)-1)    /* as much as keeps the error's IP datagram within 576 bytes */

struct pc_pkt;
/* Push, as the data of the ICMP error just pushed, the start of the IPv4
 * datagram ip (len bytes, cut to its total length so link padding is never
 * quoted): PC_ICMP_QUOTE_RFC792, PC_ICMP_QUOTE_RFC1812 (never less than the
 * RFC 792 minimum), or at most max bytes.  PC_EINVAL when ip does not start
 * with a whole IPv4 header. */
int pc_push_icmp_quote(struct pc_pkt *pk, const uint8_t *ip, size_t len, size_t max);
/* The same from a finalized frame of the given link type: the datagram is
 * the frame's first IPv4 layer. */
int pc_push_icmp_quote_frame(struct pc_pkt *pk, const uint8_t *frame, size_t caplen, int linktype, size_t max);
/* Find the first IP datagram of version 4 or 6 in a frame: its offset and
 * length (its own length field, cut to the captured bytes).  0 or PC_EINVAL. */
int pc_icmp_find_datagram(const uint8_t *frame, size_t caplen, int linktype, int version, size_t *off, size_t *len);

struct pc_decoded;
/* What the datagram quoted by the ICMP or ICMPv6 error at layer i says,
 * read from the PC_LF_QUOTED layers after it. */
struct pc_icmp_quote {
    uint8_t version;          /* 4 or 6; 0 when no quoted IP header was captured */
    uint8_t src[16], dst[16]; /* the first 4 bytes for IPv4 */
    uint8_t proto;            /* transport protocol (after IPv6 extension headers) */
    uint8_t have_ports;       /* sport and dport captured (TCP and UDP) */
    uint16_t sport, dport;
};
/* Returns q->version (0: nothing quoted, or i is not an error layer). */
int pc_icmp_quote_info(const struct pc_decoded *d, int i, struct pc_icmp_quote *q);

#endif

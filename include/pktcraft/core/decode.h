/* The decoder: zero-copy, no allocation.  It reads a frame in place and
 * returns a flat list of layers; it never reads past the capture length and
 * keeps everything decoded before an error. */
#ifndef PKTCRAFT_DECODE_H
#define PKTCRAFT_DECODE_H

#include "common.h"
#include "build.h"

/* Link types (LINKTYPE_* numbers as stored in capture files). */
#define PC_LINK_NULL 0
#define PC_LINK_ETHERNET 1
#define PC_LINK_RAW 101
#define PC_LINK_RAW_OLD12 12
#define PC_LINK_RAW_OLD14 14
#define PC_LINK_IPV4 228
#define PC_LINK_IPV6 229
#define PC_LINK_LOOP 108
#define PC_LINK_SLL 113
#define PC_LINK_SLL2 276

/* Layer flags. */
#define PC_LF_TRUNC 0x01     /* the capture ends inside this layer */
#define PC_LF_MALFORMED 0x02 /* a field contradicts the bytes around it */
#define PC_LF_FRAG 0x04      /* IP fragment (or L4 inside one) */
#define PC_LF_TRAILER 0x08   /* link layer has bytes beyond the IP datagram */
#define PC_LF_QUOTED 0x10    /* inside the datagram an ICMP/ICMPv6 error quotes */

/* Checksum status of a layer. */
enum pc_csum_status {
    PC_CSUM_NA = 0,      /* the layer has no checksum */
    PC_CSUM_GOOD,
    PC_CSUM_BAD,
    PC_CSUM_ZERO,        /* UDP over IPv4: checksum not used by the sender */
    PC_CSUM_UNVERIFIED,  /* truncated capture or IP fragment */
};
const char *pc_csum_status_name(int st);

struct pc_layer {
    uint8_t proto;    /* enum pc_proto */
    uint8_t flags;    /* PC_LF_* */
    uint8_t csum;     /* enum pc_csum_status */
    uint32_t off;     /* header offset in the frame */
    uint32_t hlen;    /* header length the header claims (may exceed capture) */
    uint32_t plen;    /* payload length the headers claim */
    const char *why;  /* static text when MALFORMED or TRUNC, else NULL */
};

struct pc_decoded {
    const uint8_t *buf;
    uint32_t caplen, len;
    int linktype;
    uint8_t n;
    int8_t l2, l3, l4;  /* layer indices, -1 when absent */
    int err;            /* 0, PC_ETRUNC or PC_EMALFORMED: the first problem */
    struct pc_layer l[PC_MAX_LAYERS];
};

/* Decode one frame.  Returns 0 or the first error (also in d->err); the
 * layers decoded up to that point stay in d. */
int pc_decode(struct pc_decoded *d, const uint8_t *buf, uint32_t caplen, uint32_t len, int linktype);

/* pc_decode with flags: PC_DEC_NO_L4CSUM skips summing TCP/UDP/ICMP
 * payloads (their status stays UNVERIFIED), for consumers that only need
 * headers and want the speed; IPv4 header checksums are always checked. */
#define PC_DEC_NO_L4CSUM 0x1
int pc_decode_flags(struct pc_decoded *d, const uint8_t *buf, uint32_t caplen, uint32_t len, int linktype,
                    unsigned flags);

/* Pointer to the header of layer i (valid for l[i].off < caplen). */
static inline const uint8_t *pc_layer_hdr(const struct pc_decoded *d, int i) { return d->buf + d->l[i].off; }
/* Bytes of layer i's header that are actually captured. */
uint32_t pc_layer_caphdr(const struct pc_decoded *d, int i);

/* The checksum field of layer i (IPv4 header, TCP, UDP, ICMP, ICMPv6, GRE
 * with its C bit) as found, and the value it should hold: the region the
 * decoder verified summed again without the field, with the pseudo-header
 * of the enclosing IP layer (IPv6: home address and routing final
 * destination included), UDP's 0 sent as 0xFFFF.  For a checksum whose
 * status is bad this is the fix.  Returns 0, PC_EINVAL when the layer has
 * no checksum (or no enclosing IP layer for a pseudo-header), PC_ETRUNC
 * when its bytes are not all captured or it is inside a fragment. */
int pc_layer_csum(const struct pc_decoded *d, int i, uint16_t *found, uint16_t *expected);

/* The flat view of a decoded packet most programs want: addresses, ports,
 * flags and lengths of the FIRST IP header and the FIRST transport header
 * captured whole, as tshark's first-occurrence fields and the flat keys
 * of `pktcraft read --format jsonl` take them (a tunnel's outer IP header
 * and its inner TCP; an ICMP error's own type, not the datagram it
 * quotes).  Everything stays in d's buffer; nothing is allocated. */
struct pc_summary {
    int ip;                    /* layer index of that IPv4/IPv6 header, -1 when none */
    int l4;                    /* ... of the TCP/UDP/ICMP/ICMPv6 header, -1 when none */
    uint8_t family;            /* 4 or 6; 0 without ip */
    const uint8_t *src, *dst;  /* 4 or 16 bytes (NULL without ip) */
    int ip_proto;              /* IPv4 protocol field; IPv6: the protocol after the
                                * extension headers; -1 without ip or when unknown */
    uint32_t ip_len;           /* IPv4 total length; IPv6 payload length + 40 */
    uint8_t l4_proto;          /* PC_P_TCP, PC_P_UDP, PC_P_ICMP, PC_P_ICMP6 or PC_P_NONE */
    uint16_t sport, dport;     /* TCP and UDP, else 0 */
    uint16_t tcp_flags;        /* TCP, else 0 (pc_tcp_flagstr for "SA") */
    uint8_t icmp_type, icmp_code; /* ICMP and ICMPv6, else 0 */
    uint32_t payload_len;      /* bytes the last payload layer claims (not a quoted one), else 0 */
};
void pc_decode_summary(const struct pc_decoded *d, struct pc_summary *s);
/* The source (which 0) or destination (1) address as text, "" without ip. */
void pc_summary_addr(const struct pc_summary *s, int which, char out[46]);

#endif

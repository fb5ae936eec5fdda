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

#endif

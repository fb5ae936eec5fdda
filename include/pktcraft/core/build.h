/* The packet builder: push layers outermost first, finalize fills every
 * AUTO field back to front (lengths and next-protocol fields, then each
 * layer's checksum, so an outer checksum always sees finished inner bytes). */
#ifndef PKTCRAFT_BUILD_H
#define PKTCRAFT_BUILD_H

#include "common.h"
#include "../wire/eth.h"
#include "../wire/ipv4.h"
#include "../wire/tcp.h"
#include "../wire/udp.h"
#include "../wire/icmp.h"

#define PC_MAX_LAYERS 16
#define PC_SPEC_MAX 192

/* Layer protocol identifiers, shared by the builder and the decoder. */
enum pc_proto {
    PC_P_NONE = 0,
    PC_P_ETH,
    PC_P_IPV4,
    PC_P_TCP,
    PC_P_UDP,
    PC_P_ICMP,
    PC_P_PAYLOAD,
    PC_P_VLAN,        /* 802.1Q / 802.1ad tag */
    PC_P_ARP,
    PC_P_IPV6,
    PC_P_IP6_HOP,     /* IPv6 Hop-by-Hop Options */
    PC_P_IP6_ROUTING,
    PC_P_IP6_FRAG,
    PC_P_IP6_DEST,    /* IPv6 Destination Options */
    PC_P_ICMP6,
    PC_P_DNS,
    PC_P_GRE,
    PC_P_VXLAN,
    PC_P_SLL,         /* Linux cooked capture v1 */
    PC_P_SLL2,        /* Linux cooked capture v2 */
    PC_P_NULL,        /* BSD loopback family header (NULL / LOOP) */
    PC_P__COUNT
};
const char *pc_proto_name(int proto);
/* The IP protocol number of a layer protocol (PC_P_TCP -> 6), or -1. */
int pc_proto_ipproto(int proto);

/* What the fill of the common layers reads back at finalize: the computed
 * fields (and Ethernet's padding flag).  Everything else in their specs is
 * written into the header at push time, so only these few bytes are kept. */
struct pc_eth_fix { pc_field type; uint8_t pad; };
struct pc_ipv4_fix { pc_field ihl, tot_len, proto, csum; };
struct pc_tcp_fix { pc_field doff, csum; };
struct pc_udp_fix { pc_field len, csum; };

/* One pushed layer: where its header sits and a private copy of what its
 * fill needs from the spec (the caller's struct is never written and need
 * not outlive the push; pointers inside it are only followed during the
 * push). */
struct pc_blayer {
    uint8_t proto;
    uint32_t off;   /* header offset in the packet */
    uint32_t hlen;  /* header bytes written at push time */
    union {
        struct pc_eth_fix eth;
        struct pc_ipv4_fix ip4;
        struct pc_tcp_fix tcp;
        struct pc_udp_fix udp;
        /* Other modules keep their whole spec here with memcpy (see
         * pc_pkt_save_spec); each checks its size against PC_SPEC_MAX. */
        struct { _Alignas(8) unsigned char b[PC_SPEC_MAX]; } any;
    } s;
};

struct pc_pkt {
    uint8_t *buf;
    size_t cap;
    size_t len;
    int err;          /* first error of a push, returned again by finalize */
    uint8_t n;
    struct pc_blayer l[PC_MAX_LAYERS];
};

/* Start a packet in caller memory: no allocation anywhere in the builder. */
void pc_pkt_init(struct pc_pkt *pk, uint8_t *buf, size_t cap);

/* Each push appends a header (computed fields left as placeholders) and
 * returns 0 or a negative PC_E* code; errors are sticky in pk->err. */
int pc_push_eth(struct pc_pkt *pk, const struct pc_eth *s);
int pc_push_ipv4(struct pc_pkt *pk, const struct pc_ipv4 *s);
int pc_push_tcp(struct pc_pkt *pk, const struct pc_tcp *s);
int pc_push_udp(struct pc_pkt *pk, const struct pc_udp *s);
int pc_push_icmp(struct pc_pkt *pk, const struct pc_icmp *s);
int pc_push_payload(struct pc_pkt *pk, const void *data, size_t len);

/* Fill AUTO and CORRUPT fields; returns the frame length or a PC_E* code. */
int pc_pkt_finalize(struct pc_pkt *pk);

/* Internal to the builder modules: copy a spec into / out of layer i's
 * storage (size must be <= PC_SPEC_MAX; checked at compile time by callers
 * with _Static_assert). */
void pc_pkt_save_spec(struct pc_pkt *pk, int i, const void *spec, size_t size);
void pc_pkt_load_spec(const struct pc_pkt *pk, int i, void *spec, size_t size);
/* Internal to the builder modules: reserve n bytes at the end. */
uint8_t *pc_pkt_reserve(struct pc_pkt *pk, size_t n, uint8_t proto);
/* Index of the nearest layer before idx carrying proto, or -1. */
int pc_pkt_find_before(const struct pc_pkt *pk, int idx, uint8_t proto);

#endif

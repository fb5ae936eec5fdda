/* ARP (RFC 826).  The builder makes the Ethernet/IPv4 form (28 bytes); the
 * decoder walks any hardware and protocol address sizes.
 *
 * Recipes (the Ethernet layer before ARP is the caller's; its type is
 * inferred as 0x0806):
 *   request        pc_arp_request(my_mac, my_ip, their_ip), sent to
 *                  ff:ff:ff:ff:ff:ff; the target hardware address is zero
 *                  because it is what the request asks for.
 *   reply          pc_arp_reply(my_mac, my_ip, their_mac, their_ip), sent
 *                  unicast to their_mac.
 *   gratuitous     pc_arp_gratuitous(my_mac, my_ip): a request for one's own
 *                  address (sender and target IP equal, target MAC zero),
 *                  broadcast; the RFC 5227 "ARP announcement".  A reply form
 *                  also exists in the wild: pc_arp_reply(mac, ip, mac, ip).
 * Each returns a spec with AUTO sizes, so a field can still be pinned or
 * corrupted before the push. */
#ifndef PKTCRAFT_ARP_H
#define PKTCRAFT_ARP_H

#include "../core/build.h"

#define PC_ARP_FIXED 8          /* htype, ptype, hlen, plen, op */
#define PC_ARP_ETH_IPV4_LEN 28  /* the fixed part and 2 x (6 + 4) address bytes */
#define PC_ARP_HTYPE_ETHER 1
#define PC_ARP_PTYPE_IPV4 0x0800

/* Operation codes (IANA "ARP operation codes"). */
#define PC_ARP_REQUEST 1
#define PC_ARP_REPLY 2
#define PC_RARP_REQUEST 3
#define PC_RARP_REPLY 4
#define PC_INARP_REQUEST 8
#define PC_INARP_REPLY 9

struct pc_arp {
    uint16_t op;
    uint8_t sha[6], spa[4], tha[6], tpa[4];
    /* AUTO: 1 (Ethernet), 0x0800 (IPv4), 6, 4.  Pinning hlen or plen
     * changes only the size bytes, never the 28-byte layout: that is how a
     * message whose sizes lie about its addresses is made. */
    pc_field htype, ptype, hlen, plen;
};

int pc_push_arp(struct pc_pkt *pk, const struct pc_arp *s);

struct pc_arp pc_arp_request(const uint8_t sha[6], const uint8_t spa[4], const uint8_t tpa[4]);
struct pc_arp pc_arp_reply(const uint8_t sha[6], const uint8_t spa[4], const uint8_t tha[6], const uint8_t tpa[4]);
struct pc_arp pc_arp_gratuitous(const uint8_t sha[6], const uint8_t ip[4]);

/* View accessors.  The fixed ones need PC_ARP_FIXED bytes; the address
 * ones need the whole message, pc_arp_len(h) bytes, which the decoder has
 * checked against the frame before anyone follows them. */
static inline uint16_t pc_arp_htype(const uint8_t *h) { return pc_get16(h); }
static inline uint16_t pc_arp_ptype(const uint8_t *h) { return pc_get16(h + 2); }
static inline uint8_t pc_arp_hlen(const uint8_t *h) { return h[4]; }
static inline uint8_t pc_arp_plen(const uint8_t *h) { return h[5]; }
static inline uint16_t pc_arp_op(const uint8_t *h) { return pc_get16(h + 6); }
static inline uint32_t pc_arp_len(const uint8_t *h) { return PC_ARP_FIXED + 2u * ((uint32_t)h[4] + h[5]); }
static inline const uint8_t *pc_arp_sha(const uint8_t *h) { return h + PC_ARP_FIXED; }
static inline const uint8_t *pc_arp_spa(const uint8_t *h) { return h + PC_ARP_FIXED + h[4]; }
static inline const uint8_t *pc_arp_tha(const uint8_t *h) { return h + PC_ARP_FIXED + h[4] + h[5]; }
static inline const uint8_t *pc_arp_tpa(const uint8_t *h) { return h + PC_ARP_FIXED + 2u * h[4] + h[5]; }

#endif

/* Capture-only link layers: Linux cooked capture v1 (LINKTYPE_LINUX_SLL,
 * 113) and v2 (LINKTYPE_LINUX_SLL2, 276), and BSD loopback (LINKTYPE_NULL,
 * 0, and LINKTYPE_LOOP, 108).  These headers are made by the capturing
 * host, not sent on a wire, so pktcraft decodes them but has no builder.
 *
 * SLL (16 bytes, big endian):  0 packet type, 2 ARPHRD type, 4 address
 *   length, 6 address (first 8 bytes), 14 protocol.
 * SLL2 (20 bytes, big endian): 0 protocol, 2 reserved, 4 interface index,
 *   8 ARPHRD type, 10 packet type, 11 address length, 12 address (8 bytes).
 * NULL: a 4-byte address family in the byte order of the capturing host;
 * LOOP: the same in network byte order. */
#ifndef PKTCRAFT_LINK_H
#define PKTCRAFT_LINK_H

#include "../core/common.h"

#define PC_SLL_HLEN 16
#define PC_SLL2_HLEN 20
#define PC_NULL_HLEN 4
#define PC_SLL_ADDRLEN 8  /* longer addresses (e.g. InfiniBand, 20) are cut to 8 by libpcap */

/* Packet types (Linux PACKET_*): where the packet went relative to us. */
#define PC_SLL_HOST 0       /* to us */
#define PC_SLL_BROADCAST 1
#define PC_SLL_MULTICAST 2
#define PC_SLL_OTHERHOST 3  /* to someone else, seen in promiscuous mode */
#define PC_SLL_OUTGOING 4   /* sent by us */

/* Protocol values below 0x0600 are Linux pseudo-protocols, not EtherTypes. */
#define PC_SLL_P_802_3 0x0001  /* Novell "raw" 802.3, no LLC header */
#define PC_SLL_P_802_2 0x0004  /* 802.2 LLC follows */
#define PC_SLL_P_CAN 0x000C
#define PC_SLL_P_CANFD 0x000D
/* ARPHRD types whose protocol field is not an EtherType. */
#define PC_ARPHRD_ETHER 1
#define PC_ARPHRD_NETLINK 824  /* the protocol is a netlink family */

/* Address families in the NULL / LOOP header: IPv4 is 2 everywhere, IPv6
 * differs by operating system. */
#define PC_AF_INET 2
#define PC_AF_INET6_LINUX 10
#define PC_AF_INET6_BSD 24      /* NetBSD, OpenBSD, BSD/OS */
#define PC_AF_INET6_FREEBSD 28  /* FreeBSD, DragonFly BSD */
#define PC_AF_INET6_DARWIN 30   /* macOS, iOS */

static inline uint16_t pc_sll_pkttype(const uint8_t *h) { return pc_get16(h); }
static inline uint16_t pc_sll_hatype(const uint8_t *h) { return pc_get16(h + 2); }
static inline uint16_t pc_sll_halen(const uint8_t *h) { return pc_get16(h + 4); }
static inline const uint8_t *pc_sll_addr(const uint8_t *h) { return h + 6; }
static inline uint16_t pc_sll_protocol(const uint8_t *h) { return pc_get16(h + 14); }

static inline uint16_t pc_sll2_protocol(const uint8_t *h) { return pc_get16(h); }
static inline uint16_t pc_sll2_reserved(const uint8_t *h) { return pc_get16(h + 2); }
static inline uint32_t pc_sll2_ifindex(const uint8_t *h) { return pc_get32(h + 4); }
static inline uint16_t pc_sll2_hatype(const uint8_t *h) { return pc_get16(h + 8); }
static inline uint8_t pc_sll2_pkttype(const uint8_t *h) { return h[10]; }
static inline uint8_t pc_sll2_halen(const uint8_t *h) { return h[11]; }
static inline const uint8_t *pc_sll2_addr(const uint8_t *h) { return h + 12; }

/* tcpdump's word for a packet type: "In", "B", "M", "P", "Out", or NULL. */
const char *pc_sll_pkttype_name(unsigned t);

/* The address family of a NULL (linktype 0) or LOOP (108) header of 4
 * bytes.  LOOP is big endian.  NULL is in the capturing host's order, which
 * the file does not record: the reading that gives a known family (IPv4 or
 * one of the IPv6 values above) wins, big endian first; when neither does,
 * the smaller reading is returned (families are small numbers). */
uint32_t pc_null_family(const uint8_t *h, int linktype);
/* 4 for IPv4, 6 for the IPv6 families, 0 otherwise. */
int pc_null_family_ipver(uint32_t family);

#endif

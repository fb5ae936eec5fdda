/* Ethernet II. */
#ifndef PKTCRAFT_ETH_H
#define PKTCRAFT_ETH_H

#include "../core/common.h"

#define PC_ETH_HLEN 14
#define PC_ETH_MINFRAME 60  /* without FCS */
#define PC_ETHERTYPE_IPV4 0x0800
#define PC_ETHERTYPE_ARP 0x0806
#define PC_ETHERTYPE_VLAN 0x8100
#define PC_ETHERTYPE_IPV6 0x86DD

struct pc_eth {
    uint8_t dst[6];
    uint8_t src[6];
    pc_field type;  /* AUTO: from the next layer (IPv4 -> 0x0800) */
    uint8_t pad;    /* nonzero: zero-pad the frame to 60 bytes at finalize */
};

/* View accessors: the caller has checked that 14 bytes are present. */
static inline const uint8_t *pc_eth_dst(const uint8_t *h) { return h; }
static inline const uint8_t *pc_eth_src(const uint8_t *h) { return h + 6; }
static inline uint16_t pc_eth_type(const uint8_t *h) { return pc_get16(h + 12); }

#endif

/* UDP (RFC 768). */
#ifndef PKTCRAFT_UDP_H
#define PKTCRAFT_UDP_H

#include "../core/common.h"

#define PC_UDP_HLEN 8

struct pc_udp {
    uint16_t sport, dport;
    pc_field len;   /* AUTO: header + payload */
    pc_field csum;  /* AUTO: computed; a result of 0 is written as 0xFFFF */
};

static inline uint16_t pc_udp_sport(const uint8_t *h) { return pc_get16(h); }
static inline uint16_t pc_udp_dport(const uint8_t *h) { return pc_get16(h + 2); }
static inline uint16_t pc_udp_len(const uint8_t *h) { return pc_get16(h + 4); }
static inline uint16_t pc_udp_csum(const uint8_t *h) { return pc_get16(h + 6); }

#endif

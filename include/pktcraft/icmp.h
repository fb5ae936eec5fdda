/* ICMP for IPv4 (RFC 792). */
#ifndef PKTCRAFT_ICMP_H
#define PKTCRAFT_ICMP_H

#include "common.h"

#define PC_ICMP_HLEN 8
#define PC_ICMP_ECHOREPLY 0
#define PC_ICMP_ECHO 8

struct pc_icmp {
    uint8_t type, code;
    uint16_t id, seq;   /* echo identifier and sequence (bytes 4..7) */
    pc_field csum;      /* AUTO: over header and payload */
};

static inline uint8_t pc_icmp_type(const uint8_t *h) { return h[0]; }
static inline uint8_t pc_icmp_code(const uint8_t *h) { return h[1]; }
static inline uint16_t pc_icmp_csum(const uint8_t *h) { return pc_get16(h + 2); }
static inline uint16_t pc_icmp_id(const uint8_t *h) { return pc_get16(h + 4); }
static inline uint16_t pc_icmp_seq(const uint8_t *h) { return pc_get16(h + 6); }

#endif

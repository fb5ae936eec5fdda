/* IPv4 (RFC 791). */
#ifndef PKTCRAFT_IPV4_H
#define PKTCRAFT_IPV4_H

#include "common.h"

#define PC_IPV4_HLEN 20
#define PC_IPV4_MAXOPT 40
#define PC_IP_RF 0x4
#define PC_IP_DF 0x2
#define PC_IP_MF 0x1
#define PC_IPPROTO_ICMP 1
#define PC_IPPROTO_TCP 6
#define PC_IPPROTO_UDP 17

struct pc_ipv4 {
    uint8_t src[4], dst[4];
    uint8_t tos;
    uint8_t ttl;
    uint16_t id;
    uint8_t flags;        /* PC_IP_RF | PC_IP_DF | PC_IP_MF */
    uint16_t frag_off;    /* in 8-byte units */
    uint8_t version;      /* 0 means 4; anything else is written as given */
    pc_field ihl;         /* AUTO: (20 + padded options) / 4 */
    pc_field tot_len;     /* AUTO: header + everything pushed after it */
    pc_field proto;       /* AUTO: from the next layer */
    pc_field csum;        /* AUTO: header checksum */
    const uint8_t *opts;  /* raw option bytes, padded with EOL to 4 */
    size_t optlen;
};

static inline uint8_t pc_ipv4_version(const uint8_t *h) { return h[0] >> 4; }
static inline uint8_t pc_ipv4_ihl(const uint8_t *h) { return h[0] & 0x0F; }
static inline uint8_t pc_ipv4_tos(const uint8_t *h) { return h[1]; }
static inline uint16_t pc_ipv4_len(const uint8_t *h) { return pc_get16(h + 2); }
static inline uint16_t pc_ipv4_id(const uint8_t *h) { return pc_get16(h + 4); }
static inline uint8_t pc_ipv4_flags(const uint8_t *h) { return h[6] >> 5; }
static inline uint16_t pc_ipv4_fragoff(const uint8_t *h) { return pc_get16(h + 6) & 0x1FFF; }
static inline uint8_t pc_ipv4_ttl(const uint8_t *h) { return h[8]; }
static inline uint8_t pc_ipv4_proto(const uint8_t *h) { return h[9]; }
static inline uint16_t pc_ipv4_csum(const uint8_t *h) { return pc_get16(h + 10); }
static inline const uint8_t *pc_ipv4_src(const uint8_t *h) { return h + 12; }
static inline const uint8_t *pc_ipv4_dst(const uint8_t *h) { return h + 16; }

#endif

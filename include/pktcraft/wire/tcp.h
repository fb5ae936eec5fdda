/* TCP (RFC 9293) and its common options. */
#ifndef PKTCRAFT_TCP_H
#define PKTCRAFT_TCP_H

#include "../core/common.h"

#define PC_TCP_HLEN 20
#define PC_TCP_MAXOPT 40

#define PC_TCP_FIN 0x001
#define PC_TCP_SYN 0x002
#define PC_TCP_RST 0x004
#define PC_TCP_PSH 0x008
#define PC_TCP_ACK 0x010
#define PC_TCP_URG 0x020
#define PC_TCP_ECE 0x040
#define PC_TCP_CWR 0x080
#define PC_TCP_NS  0x100  /* the old ECN-nonce bit, low bit of byte 12 */

enum pc_tcpopt_kind {
    PC_TCPOPT_EOL = 0,
    PC_TCPOPT_NOP = 1,
    PC_TCPOPT_MSS = 2,
    PC_TCPOPT_WSCALE = 3,
    PC_TCPOPT_SACKOK = 4,
    PC_TCPOPT_SACK = 5,
    PC_TCPOPT_TS = 8,
    PC_TCPOPT_RAW = -1,  /* copy raw.data verbatim, no kind/length added */
};

/* One option.  A kind not named above is written as kind, 2+raw.len, data. */
struct pc_tcpopt {
    int16_t kind;
    uint16_t mss;
    uint8_t wscale;
    uint32_t ts_val, ts_ecr;
    uint8_t nsack;                 /* 1..4 blocks */
    uint32_t sack[4][2];           /* left, right edges */
    struct { const uint8_t *data; uint8_t len; } raw;
};

struct pc_tcp {
    uint16_t sport, dport;
    uint32_t seq, ack;
    uint16_t flags;   /* PC_TCP_* including NS */
    uint8_t reserved; /* the three reserved bits, 0..7 */
    uint16_t win, urp;
    pc_field doff;    /* AUTO: (20 + padded options) / 4 */
    pc_field csum;    /* AUTO: over pseudo-header, header and payload */
    const struct pc_tcpopt *opts;  /* serialized in order, EOL-padded to 4 */
    size_t nopts;
};

/* Serialize options into out (at most PC_TCP_MAXOPT bytes, padded to a
 * multiple of 4 with EOL); returns the length or PC_EINVAL / PC_ENOSPC. */
int pc_tcp_opts_encode(const struct pc_tcpopt *opts, size_t n, uint8_t *out, size_t cap);

static inline uint16_t pc_tcp_sport(const uint8_t *h) { return pc_get16(h); }
static inline uint16_t pc_tcp_dport(const uint8_t *h) { return pc_get16(h + 2); }
static inline uint32_t pc_tcp_seq(const uint8_t *h) { return pc_get32(h + 4); }
static inline uint32_t pc_tcp_ack(const uint8_t *h) { return pc_get32(h + 8); }
static inline uint8_t pc_tcp_doff(const uint8_t *h) { return h[12] >> 4; }
static inline uint16_t pc_tcp_flags(const uint8_t *h) { return (uint16_t)(((h[12] & 1) << 8) | h[13]); }
static inline uint16_t pc_tcp_win(const uint8_t *h) { return pc_get16(h + 14); }
static inline uint16_t pc_tcp_csum(const uint8_t *h) { return pc_get16(h + 16); }
static inline uint16_t pc_tcp_urp(const uint8_t *h) { return pc_get16(h + 18); }

/* Flag letters in tcpdump's order, with 'A' where tcpdump prints '.':
 * F S R P A U E W N, e.g. "S", "SA", "FPA"; out needs 10 bytes. */
void pc_tcp_flagstr(uint16_t flags, char out[10]);

/* Walk options: calls cb for each option; returns 0, or PC_EMALFORMED when
 * an option runs past the header or has a length below 2. */
typedef void (*pc_tcpopt_cb)(void *ctx, uint8_t kind, const uint8_t *data, uint8_t dlen);
int pc_tcp_opts_walk(const uint8_t *opt, size_t len, pc_tcpopt_cb cb, void *ctx);

#endif

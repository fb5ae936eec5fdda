/* Tunnels: GRE (RFC 2784 with the key and sequence number of RFC 2890;
 * version 1 is PPTP's enhanced GRE, RFC 2637, decoded only) and VXLAN
 * (RFC 7348).  Push the tunnel header, then the inner frame or datagram:
 *     pc_push_ipv4(&pk, &outer);               proto AUTO: 47
 *     pc_push_gre(&pk, &(struct pc_gre){ .has_key = true, .key = 1 });
 *     pc_push_ipv4(&pk, &inner); ...           GRE proto AUTO: 0x0800
 * or, for VXLAN, UDP with .dport = PC_VXLAN_PORT, pc_push_vxlan, then an
 * inner Ethernet header and what it carries. */
#ifndef PKTCRAFT_TUNNEL_H
#define PKTCRAFT_TUNNEL_H

#include <stdbool.h>
#include "../core/common.h"

struct pc_pkt;

/* ---- GRE ---- */
#define PC_IPPROTO_GRE 47
#define PC_GRE_HLEN 4            /* flags/version and protocol type */
#define PC_GRE_MAXHLEN 16        /* with checksum, key and sequence number */
#define PC_GRE_F_CSUM 0x8000     /* C: checksum and reserved1 present */
#define PC_GRE_F_ROUTING 0x4000  /* R: RFC 1701 routing (obsolete) */
#define PC_GRE_F_KEY 0x2000      /* K: key present (RFC 2890) */
#define PC_GRE_F_SEQ 0x1000      /* S: sequence number present */
#define PC_GRE_F_ACK 0x0080      /* A: acknowledgment number present (version 1) */
#define PC_GRE_VER_MASK 0x0007
#define PC_ETHERTYPE_TEB 0x6558  /* transparent Ethernet bridging */
#define PC_ETHERTYPE_PPP 0x880B  /* PPTP's payload (version 1) */

struct pc_gre {
    bool has_csum, has_key, has_seq;
    uint32_t key, seq;
    pc_field proto;   /* AUTO: the next layer's EtherType (0x6558 Ethernet,
                       * 0x0800 IPv4, 0x86DD IPv6); pin it for anything else */
    pc_field csum;    /* when has_csum; AUTO: over GRE header and payload */
    uint8_t version;  /* 0..7 written as given; 0 is RFC 2784 GRE */
};

int pc_push_gre(struct pc_pkt *pk, const struct pc_gre *s);

/* View accessors over a header whose first 4 bytes are present; the
 * optional fields exist only when pc_gre_hlen bytes are present too. */
static inline uint16_t pc_gre_flags(const uint8_t *h) { return pc_get16(h); }
static inline uint8_t pc_gre_version(const uint8_t *h) { return h[1] & PC_GRE_VER_MASK; }
static inline uint16_t pc_gre_proto(const uint8_t *h) { return pc_get16(h + 2); }
/* Header length the flags promise.  Version 0: checksum (with reserved1)
 * when C or R (RFC 1701 puts them together), key, sequence number; the
 * RFC 1701 routing list after them is not counted.  Version 1: key
 * (payload length and call id), sequence number, acknowledgment. */
static inline uint32_t pc_gre_hlen(const uint8_t *h)
{
    uint16_t f = pc_gre_flags(h);
    if (pc_gre_version(h) == 1)
        return PC_GRE_HLEN + 4u * !!(f & PC_GRE_F_KEY) + 4u * !!(f & PC_GRE_F_SEQ) + 4u * !!(f & PC_GRE_F_ACK);
    return PC_GRE_HLEN + 4u * !!(f & (PC_GRE_F_CSUM | PC_GRE_F_ROUTING)) + 4u * !!(f & PC_GRE_F_KEY) +
           4u * !!(f & PC_GRE_F_SEQ);
}
/* Offsets of the optional fields (valid when the flag says they exist). */
static inline uint32_t pc_gre_key_off(const uint8_t *h)
{
    if (pc_gre_version(h) == 1) return PC_GRE_HLEN;
    return PC_GRE_HLEN + 4u * !!(pc_gre_flags(h) & (PC_GRE_F_CSUM | PC_GRE_F_ROUTING));
}
static inline uint32_t pc_gre_seq_off(const uint8_t *h)
{
    return pc_gre_key_off(h) + 4u * !!(pc_gre_flags(h) & PC_GRE_F_KEY);
}
static inline uint16_t pc_gre_csum(const uint8_t *h) { return pc_get16(h + PC_GRE_HLEN); }
static inline uint32_t pc_gre_key(const uint8_t *h) { return pc_get32(h + pc_gre_key_off(h)); }
static inline uint32_t pc_gre_seq(const uint8_t *h) { return pc_get32(h + pc_gre_seq_off(h)); }

/* ---- VXLAN ---- */
#define PC_VXLAN_HLEN 8
#define PC_VXLAN_PORT 4789
#define PC_VXLAN_FLAG_I 0x08     /* the VNI is valid */
#define PC_VXLAN_VNI_MAX 0xFFFFFFu

struct pc_vxlan {
    uint32_t vni;    /* 24 bits; larger values are PC_EINVAL */
    uint8_t flags;   /* 0 means 0x08, the I flag; anything else as given */
};

/* 8 bytes: flags, 24 reserved bits, VNI, 8 reserved bits.  Push an inner
 * Ethernet header next. */
int pc_push_vxlan(struct pc_pkt *pk, const struct pc_vxlan *s);

static inline uint8_t pc_vxlan_flags(const uint8_t *h) { return h[0]; }
static inline uint32_t pc_vxlan_vni(const uint8_t *h) { return pc_get32(h + 4) >> 8; }

#endif

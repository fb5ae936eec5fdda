/* IEEE 802.1Q VLAN tags and 802.1ad service tags (QinQ).
 *
 * On the wire a tag is TPID, TCI, inner EtherType.  pktcraft treats the
 * TPID as the EtherType field of the header *before* the tag (it is where a
 * receiver looks for it), so a tag layer is the 4 bytes TCI + EtherType and
 * its spec says which TPID the enclosing header must write:
 *
 *     pc_push_eth(&pk, &(struct pc_eth){ ... });                  type = 0x88A8
 *     pc_push_vlan(&pk, &(struct pc_vlan){ .vid = 10, .tpid = PC_TPID_8021AD });
 *     pc_push_vlan(&pk, &(struct pc_vlan){ .vid = 20, .pcp = 3 }); type = 0x8100
 *     pc_push_ipv4(&pk, ...);                                     type = 0x0800
 *
 * The decoder accepts the TPIDs 0x8100, 0x88A8 and 0x9100 (the pre-standard
 * QinQ value some switches still send). */
#ifndef PKTCRAFT_VLAN_H
#define PKTCRAFT_VLAN_H

#include "../core/build.h"

#define PC_VLAN_HLEN 4          /* TCI + inner EtherType */
#define PC_TPID_8021Q 0x8100    /* customer tag (C-TAG) */
#define PC_TPID_8021AD 0x88A8   /* service tag (S-TAG), the outer tag of QinQ */
#define PC_TPID_QINQ 0x9100     /* legacy outer tag, never standardised */
#define PC_VLAN_PCP_MAX 7
#define PC_VLAN_VID_MAX 4095    /* 0 = priority tag only, 4095 reserved: both still encodable */
/* An inner "EtherType" up to 1500 is an 802.3 length (LLC follows), from
 * 0x0600 on a protocol; the values between mean nothing. */
#define PC_VLAN_LEN_MAX 1500
#define PC_VLAN_TYPE_MIN 0x0600

struct pc_vlan {
    uint8_t pcp;    /* priority code point, 0..7 */
    uint8_t dei;    /* drop eligible indicator (was CFI), 0 or 1 */
    uint16_t vid;   /* VLAN identifier, 0..4095 */
    uint16_t tpid;  /* 0 means 0x8100; 0x88A8 for an 802.1ad outer tag.  Written
                     * by the layer BEFORE this one as its EtherType. */
    pc_field type;  /* AUTO: next layer's EtherType (pin it before raw bytes) */
};

/* Append a tag.  PC_EINVAL when pcp, dei or vid do not fit their bits
 * (a tag with other bits is made by pinning the enclosing type and pushing
 * raw bytes). */
int pc_push_vlan(struct pc_pkt *pk, const struct pc_vlan *s);

/* View accessors over the 4 tag bytes (TCI first); the caller has checked
 * that they are present. */
static inline uint16_t pc_vlan_tci(const uint8_t *h) { return pc_get16(h); }
static inline uint8_t pc_vlan_pcp(const uint8_t *h) { return (uint8_t)(h[0] >> 5); }
static inline uint8_t pc_vlan_dei(const uint8_t *h) { return (uint8_t)((h[0] >> 4) & 1u); }
static inline uint16_t pc_vlan_vid(const uint8_t *h) { return (uint16_t)(pc_get16(h) & 0x0FFFu); }
static inline uint16_t pc_vlan_type(const uint8_t *h) { return pc_get16(h + 2); }

#endif

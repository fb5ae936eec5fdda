/* IPv4 (RFC 791) and its options. */
#ifndef PKTCRAFT_IPV4_H
#define PKTCRAFT_IPV4_H

#include "../core/common.h"

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
    const uint8_t *opts;  /* raw option bytes, padded with EOL to 4 (see the
                           * pc_ipv4_opt_* encoders below) */
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
/* DSCP and ECN are the two parts of the old TOS byte (RFC 2474, 3168). */
static inline uint8_t pc_ipv4_dscp(const uint8_t *h) { return h[1] >> 2; }
static inline uint8_t pc_ipv4_ecn(const uint8_t *h) { return h[1] & 3; }
/* The option area: bytes 20 .. IHL*4 (the caller has checked IHL >= 5
 * and that the whole header is present). */
static inline const uint8_t *pc_ipv4_opts(const uint8_t *h) { return h + PC_IPV4_HLEN; }
static inline size_t pc_ipv4_optlen(const uint8_t *h) { return pc_ipv4_ihl(h) * 4u - PC_IPV4_HLEN; }

/* ---- options ----------------------------------------------------------
 * Option type octets (copy flag, class and number together, as on the
 * wire).  The copy flag (0x80) says whether a router copies the option into
 * every fragment (RFC 791); pc_fragment follows it. */
#define PC_IPOPT_EOL 0
#define PC_IPOPT_NOP 1
#define PC_IPOPT_RR 7      /* record route */
#define PC_IPOPT_TS 68     /* internet timestamp */
#define PC_IPOPT_LSRR 131  /* loose source and record route */
#define PC_IPOPT_SSRR 137  /* strict source and record route */
#define PC_IPOPT_RA 148    /* router alert (RFC 2113) */
#define PC_IPOPT_COPIED(type) (((type) & 0x80) != 0)

/* Timestamp option flags (the low nibble of its fourth byte). */
#define PC_IPOPT_TS_ONLY 0     /* 4-byte timestamps */
#define PC_IPOPT_TS_ADDR 1     /* each hop records address + timestamp */
#define PC_IPOPT_TS_PRESPEC 3  /* only the prespecified addresses record */

/* Encoders: each writes one option at out (cap bytes there) and returns
 * the bytes written, PC_ENOSPC when cap is too small or PC_EINVAL when the
 * option cannot exist (over 40 bytes, too many entries).  They append no
 * padding: concatenate the results into struct pc_ipv4's opts, and
 * pc_push_ipv4 pads the list with EOL to a multiple of 4.  Typical use:
 *     uint8_t o[PC_IPV4_MAXOPT]; size_t n = 0; int k;
 *     k = pc_ipv4_opt_ra(o + n, sizeof o - n, 0);      if (k < 0) ...; n += k;
 *     k = pc_ipv4_opt_rr(o + n, sizeof o - n, NULL, 0, 4); ... */

int pc_ipv4_opt_eol(uint8_t *out, size_t cap);
int pc_ipv4_opt_nop(uint8_t *out, size_t cap);

/* Record route: slots address slots (0 means n), of which the first n hold
 * addrs (may be NULL when n is 0); the pointer (third byte) is 4 + 4n, the
 * first free slot, or one past the end when the route is full.  A route
 * whose pointer must be odd (a fixture for a bad pointer) is made by
 * writing out[2] after the call. */
int pc_ipv4_opt_rr(uint8_t *out, size_t cap, const uint8_t (*addrs)[4], size_t n, size_t slots);

/* Loose or strict source route (type PC_IPOPT_LSRR / PC_IPOPT_SSRR): the n
 * addresses to visit, pointer at the first one (4).  Copied into every
 * fragment. */
int pc_ipv4_opt_srr(uint8_t *out, size_t cap, uint8_t type, const uint8_t (*addrs)[4], size_t n);

/* Internet timestamp (RFC 791).  Entries are 4 bytes (flag 0: timestamp)
 * or 8 (flags 1 and 3: address then timestamp); at most 9 or 4 fit. */
struct pc_ipv4_tsopt {
    uint8_t flag;                /* PC_IPOPT_TS_ONLY, _ADDR or _PRESPEC (other values written as given) */
    uint8_t overflow;            /* hops that could not record, 0..15 */
    size_t slots;                /* entries in the option (0 means filled) */
    size_t filled;               /* entries already recorded */
    const uint32_t *ts;          /* filled timestamps (NULL: zeros) */
    const uint8_t (*addrs)[4];   /* flag 1: filled addresses; flag 3: all
                                  * slots' prespecified addresses; NULL: zeros */
    pc_field ptr;                /* AUTO: 5 + filled * entry size (RFC 791's
                                  * 1-based offset of the next free entry) */
};
int pc_ipv4_opt_ts(uint8_t *out, size_t cap, const struct pc_ipv4_tsopt *t);

/* Router alert (RFC 2113): 94 04 value; value 0 is "examine packet". */
int pc_ipv4_opt_ra(uint8_t *out, size_t cap, uint16_t value);

/* Any other option: type, 2 + dlen, data (dlen <= 38).  Bytes that are not
 * an option at all go into opts directly. */
int pc_ipv4_opt_raw(uint8_t *out, size_t cap, uint8_t type, const void *data, size_t dlen);

/* Walk an option list: cb sees each option (opt points at its type byte,
 * len is its length, 1 for EOL and NOP); the walk stops after EOL.
 * Returns the number of options, or PC_EMALFORMED when a length is below 2,
 * missing or past the end, or wrong for the type (route options 3 + 4k,
 * timestamps 4 + entries, router alert 4). */
typedef void (*pc_ipopt_cb)(void *ctx, uint8_t type, const uint8_t *opt, uint8_t len);
int pc_ipv4_opts_walk(const uint8_t *opts, size_t len, pc_ipopt_cb cb, void *ctx);

/* The destination the upper layer's pseudo-header uses: while the first
 * loose or strict source route is under way (its pointer at an address), the last
 * address of the route, the final destination, the header's own address
 * being the next hop; otherwise the header's destination (also when the
 * option list is malformed).  Wireshark sums it this way (tcpdump and scapy
 * ignore the pointer).  h is an IPv4 header of hlen bytes (taken as given,
 * not from the IHL, which a builder fills in last). */
const uint8_t *pc_ipv4_final_dst(const uint8_t *h, size_t hlen);

/* Short option names as tcpdump prints them ("RR", "TS", "RA", "NOP"...;
 * NULL for a type without a name). */
const char *pc_ipv4_opt_name(uint8_t type);

#endif

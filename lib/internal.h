/* Declarations shared by the library's modules but not part of the API. */
#ifndef PKTCRAFT_INTERNAL_H
#define PKTCRAFT_INTERNAL_H

#include "pktcraft/build.h"
#include "pktcraft/decode.h"

/* Builder: per-protocol fill of AUTO/CORRUPT fields, called back to front. */
int pc_eth_fill(struct pc_pkt *pk, int i);
int pc_ipv4_fill(struct pc_pkt *pk, int i);
int pc_tcp_fill(struct pc_pkt *pk, int i);
int pc_udp_fill(struct pc_pkt *pk, int i);
int pc_icmp_fill(struct pc_pkt *pk, int i);

/* Number of the layer after i for an enclosing header's next-protocol
 * field, or -1 when the next layer has none (the caller must then pin). */
int pc_next_ethertype(const struct pc_pkt *pk, int i);
int pc_next_ipproto(const struct pc_pkt *pk, int i);
/* Partial sum of the pseudo-header the L4 layer i sits under (0 if none). */
uint32_t pc_l4_pseudo(const struct pc_pkt *pk, int i, uint8_t proto, uint32_t l4len);

/* Decoder walk state: the frame, and where the current layer's bytes end
 * according to the headers around it ("wire" end, may pass the capture). */
struct pc_walk {
    struct pc_decoded *d;
    uint32_t end;      /* wire end of the current extent */
    uint8_t frag;      /* inside a non-first or first IP fragment */
    unsigned flags;    /* PC_DEC_* */
    const uint8_t *ip_src, *ip_dst; /* enclosing IPv4 addresses for the pseudo-header */
};

/* Append a layer; returns its index or -1 when the layer cap is reached. */
int pc_dec_add(struct pc_walk *w, uint8_t proto, uint32_t off, uint32_t hlen, uint32_t plen);
/* Mark layer i as broken: sets the flag, the reason, and d->err if first. */
void pc_dec_fail(struct pc_walk *w, int i, uint8_t flag, const char *why);
/* Captured bytes available from off up to the wire end of the extent. */
uint32_t pc_dec_avail(const struct pc_walk *w, uint32_t off);

/* Checksum status of an L4 region [off, off+len): checkable only when every
 * byte of an unfragmented datagram was captured; pseudo selects whether the
 * enclosing IP pseudo-header is summed in. */
uint8_t pc_dec_l4_csum(const struct pc_walk *w, uint32_t off, uint32_t len, uint8_t proto, int pseudo);

/* Start an L4 layer of fixed header size hlen at off: it becomes d->l4,
 * inherits the fragment flag, and its checksum stays UNVERIFIED until the
 * bytes prove otherwise.  Returns the index, or -1 when the header is not
 * all captured (marked malformed when the datagram itself is too short,
 * truncated when only the capture is) or the layer cap is reached. */
int pc_dec_l4_start(struct pc_walk *w, uint8_t proto, uint32_t off, uint32_t hlen, const char *too_short,
                    const char *cut);

void pc_dec_ethertype(struct pc_walk *w, uint16_t type, uint32_t off);
void pc_dec_ipproto(struct pc_walk *w, uint8_t proto, uint32_t off);
void pc_dec_payload(struct pc_walk *w, uint32_t off);

void pc_eth_decode(struct pc_walk *w, uint32_t off);
void pc_ipv4_decode(struct pc_walk *w, uint32_t off);
void pc_tcp_decode(struct pc_walk *w, uint32_t off);
void pc_udp_decode(struct pc_walk *w, uint32_t off);
void pc_icmp_decode(struct pc_walk *w, uint32_t off);

#endif

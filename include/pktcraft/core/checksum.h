/* Internet checksum (RFC 1071) with RFC 1624 incremental update. */
#ifndef PKTCRAFT_CHECKSUM_H
#define PKTCRAFT_CHECKSUM_H

#include "common.h"

/* Add len bytes at p to a running 32-bit-folded partial sum.  Callers that
 * chain pieces must give every piece but the last an even length: the odd
 * byte is only handled at the end of the logical stream. */
uint32_t pc_csum_partial(const void *p, size_t len, uint32_t sum);

/* Fold a partial sum and complement it: the value to store in a header. */
uint16_t pc_csum_fold(uint32_t sum);

/* Checksum of one buffer. */
uint16_t pc_csum(const void *p, size_t len);

/* Partial sum of the IPv4 / IPv6 pseudo-header for an upper-layer protocol. */
uint32_t pc_csum_pseudo4(const uint8_t src[4], const uint8_t dst[4], uint8_t proto, uint32_t l4len);
uint32_t pc_csum_pseudo6(const uint8_t src[16], const uint8_t dst[16], uint8_t nh, uint32_t l4len);

/* RFC 1624 eqn. 3: new checksum after one 16-bit word changes m -> m2. */
uint16_t pc_csum_update16(uint16_t hc, uint16_t m, uint16_t m2);
uint16_t pc_csum_update32(uint16_t hc, uint32_t m, uint32_t m2);

/* A region that embeds its own checksum verifies when it sums to 0xFFFF. */
int pc_csum_verify(const void *p, size_t len, uint32_t pseudo);

#endif

/* Message digests the analysis code needs: SHA-256 (HTTP body digests,
 * JA4) and MD5 (JA3, whose definition fixes it).  Streaming: init, any
 * number of updates, final.  No allocation. */
#ifndef PKTCRAFT_HASH_H
#define PKTCRAFT_HASH_H

#include <stddef.h>
#include <stdint.h>

struct pc_sha256 {
    uint32_t h[8];
    uint64_t len;      /* bytes so far */
    uint8_t buf[64];
    size_t nbuf;
};
void pc_sha256_init(struct pc_sha256 *c);
void pc_sha256_update(struct pc_sha256 *c, const void *p, size_t n);
void pc_sha256_final(struct pc_sha256 *c, uint8_t out[32]);
void pc_sha256(const void *p, size_t n, uint8_t out[32]);

struct pc_md5 {
    uint32_t h[4];
    uint64_t len;
    uint8_t buf[64];
    size_t nbuf;
};
void pc_md5_init(struct pc_md5 *c);
void pc_md5_update(struct pc_md5 *c, const void *p, size_t n);
void pc_md5_final(struct pc_md5 *c, uint8_t out[16]);
void pc_md5(const void *p, size_t n, uint8_t out[16]);

/* n bytes as lower-case hex, NUL-terminated (out holds 2n + 1). */
void pc_hex(const uint8_t *p, size_t n, char *out);

#endif

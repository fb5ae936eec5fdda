/* Certificates for generated TLS: a growable byte buffer, a small DER
 * encoder (X.690), an ECDSA P-256 key and signer (FIPS 186-4), a
 * self-signed X.509 v3 certificate (RFC 5280) made from a seed, and a
 * reader of certificate chains given as PEM or DER (the --cert file).
 *
 * Everything is deterministic: the same seed gives the same key, serial
 * number and signature on every host, which golden files rely on.  The
 * key is derived from the seed, so it is no secret: these certificates
 * are for test traffic only.  The elliptic-curve code is plain and not
 * constant-time for the same reason. */
#ifndef PKTCRAFT_TRAFFIC_X509_H
#define PKTCRAFT_TRAFFIC_X509_H

#include <stdbool.h>
#include "../core/common.h"

/* ---------------------------------------------------- growable buffer */

/* Bytes appended at the end; the memory grows (doubling) as needed.  A
 * failed allocation or an impossible length sets err (PC_ENOMEM or
 * PC_ELIMIT), which is sticky: later writes are dropped, so a builder
 * checks err once at the end.  Zero-initialise; pc_gbuf_free releases. */
struct pc_gbuf {
    uint8_t *p;
    size_t len, cap;
    int err;
};
void pc_gbuf_free(struct pc_gbuf *b);
/* n bytes of room at the end (len grows by n); NULL after an error. */
uint8_t *pc_gbuf_room(struct pc_gbuf *b, size_t n);
void pc_gbuf_put(struct pc_gbuf *b, const void *p, size_t n);
void pc_gbuf_u8(struct pc_gbuf *b, unsigned v);
void pc_gbuf_u16(struct pc_gbuf *b, unsigned v);
void pc_gbuf_u24(struct pc_gbuf *b, uint32_t v);
/* A w-byte (1..3) big-endian length prefix: open reserves it and returns
 * where; close writes the length of what was appended since (PC_ELIMIT
 * when it does not fit in w bytes). */
size_t pc_gbuf_open(struct pc_gbuf *b, int w);
void pc_gbuf_close(struct pc_gbuf *b, size_t at, int w);

/* ---------------------------------------------------------------- DER */

enum {
    PC_DER_BOOLEAN = 0x01, PC_DER_INTEGER = 0x02, PC_DER_BIT_STRING = 0x03, PC_DER_OCTET_STRING = 0x04,
    PC_DER_NULL = 0x05, PC_DER_OID = 0x06, PC_DER_UTF8 = 0x0C, PC_DER_PRINTABLE = 0x13, PC_DER_IA5 = 0x16,
    PC_DER_UTCTIME = 0x17, PC_DER_GENTIME = 0x18, PC_DER_SEQUENCE = 0x30, PC_DER_SET = 0x31,
};
/* Constructed context-specific tag [n] (EXPLICIT), primitive [n] (IMPLICIT). */
#define PC_DER_CTX_CONS(n) (0xA0 | (n))
#define PC_DER_CTX_PRIM(n) (0x80 | (n))

/* A TLV whose content follows: open writes the tag and returns where the
 * length goes; close writes the definite length (short or long form),
 * moving the content up when the length needs more than one byte. */
size_t pc_der_open(struct pc_gbuf *b, unsigned tag);
void pc_der_close(struct pc_gbuf *b, size_t at);
void pc_der_tlv(struct pc_gbuf *b, unsigned tag, const void *p, size_t n);
/* A non-negative INTEGER from big-endian bytes (leading zeros dropped, a
 * 0x00 added when the top bit is set) or from a number. */
void pc_der_uint(struct pc_gbuf *b, const uint8_t *p, size_t n);
void pc_der_uint64(struct pc_gbuf *b, uint64_t v);
/* An OBJECT IDENTIFIER from its dotted text ("1.2.840.10045.4.3.2");
 * PC_EINVAL in b->err when the text is not one. */
void pc_der_oid(struct pc_gbuf *b, const char *dotted);
/* UTCTime for 1950..2049, GeneralizedTime otherwise (RFC 5280 4.1.2.5),
 * whole seconds, UTC. */
void pc_der_time(struct pc_gbuf *b, pc_time_ns t);

/* One element at p (n bytes available): tag, content and the whole
 * element's size.  Returns 1, or 0 when it is not a well-formed DER
 * element with a one-byte tag and a definite length that fits in n. */
int pc_der_next(const uint8_t *p, size_t n, unsigned *tag, const uint8_t **content, size_t *clen, size_t *total);

/* ------------------------------------------------------- ECDSA P-256 */

struct pc_ec_key {
    uint8_t d[32];   /* private scalar, big-endian, 1 <= d < n */
    uint8_t q[65];   /* public point, uncompressed: 0x04 || X || Y */
};
/* A key derived from the seed (SHA-256 of it, reduced below the order). */
void pc_ec_key_from_seed(struct pc_ec_key *k, uint64_t seed);
/* The ECDSA signature of a SHA-256 digest as DER Ecdsa-Sig-Value
 * (SEQUENCE { r INTEGER, s INTEGER }, 70 to 72 bytes) appended to out.
 * The nonce is derived from the key and the digest (deterministic, not
 * RFC 6979's construction). */
void pc_ecdsa_sign(const struct pc_ec_key *k, const uint8_t hash[32], struct pc_gbuf *out);
/* Check a signature made by pc_ecdsa_sign (r and s as 32-byte big-endian
 * numbers): 1 valid, 0 not.  For tests. */
int pc_ecdsa_verify(const uint8_t q[65], const uint8_t hash[32], const uint8_t r[32], const uint8_t s[32]);
/* Is q (65 bytes, uncompressed) a point of the curve? */
bool pc_ec_on_curve(const uint8_t q[65]);

/* -------------------------------------------------------------- X.509 */

#define PC_X509_MAX_DNS 16

struct pc_x509_opts {
    const char *cn;             /* subject and issuer commonName (required, 1..64 bytes) */
    const char *dns[PC_X509_MAX_DNS]; /* subjectAltName dNSName entries (may be none) */
    size_t ndns;
    pc_time_ns not_before, not_after;
    uint64_t seed;              /* serial number (and, when key is NULL, the key) */
    const struct pc_ec_key *key;
};

/* A self-signed X.509 v3 certificate, DER, appended to out: version 3,
 * a positive 16-byte serial, ecdsa-with-SHA256, issuer = subject = CN,
 * an id-ecPublicKey prime256v1 key, and the extensions subjectAltName
 * (dNSName), basicConstraints (CA:FALSE, critical), keyUsage
 * (digitalSignature, critical), extKeyUsage (serverAuth) and
 * subjectKeyIdentifier (RFC 7093 method 1: SHA-256 of the key, 160 bits);
 * signed with the key, so `openssl verify` accepts it against itself.
 * Returns 0, PC_EINVAL (bad options) or out->err. */
int pc_x509_selfsigned(const struct pc_x509_opts *o, struct pc_gbuf *out);

/* The public-key algorithm of a DER certificate: 1 EC, 2 RSA, 0 other
 * or unreadable. */
#define PC_X509_KEY_EC 1
#define PC_X509_KEY_RSA 2
int pc_x509_key_type(const uint8_t *der, size_t n);

/* A certificate chain from a file's bytes: PEM (every "-----BEGIN
 * CERTIFICATE-----" block, base64 decoded; other blocks such as a private
 * key are skipped) or DER (one or more certificates back to back).  Each
 * certificate must be one DER SEQUENCE holding at least the three
 * elements of a Certificate.  The DER bytes are appended to out and their
 * sizes stored in sizes[] (at most max).  Returns the count (>= 1), or
 * PC_EMALFORMED (not PEM or DER, bad base64, a bad element),
 * PC_ELIMIT (more than max certificates, or one over 2^24 - 1 bytes, the
 * most a TLS Certificate entry holds), PC_ENOMEM; why says what. */
int pc_x509_read_chain(const uint8_t *p, size_t n, struct pc_gbuf *out, uint32_t *sizes, size_t max,
                       const char **why);

#endif

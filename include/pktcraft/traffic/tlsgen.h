/* Generated TLS: the records of a whole TLS 1.3 or TLS 1.2 connection,
 * from a seed, as a script of flights (which side writes which bytes, in
 * order) for the conversation engine (pktcraft/traffic/conv.h).
 *
 * What is real and what stands in:
 *   - The ClientHello and ServerHello are complete and exact (RFC 8446,
 *     RFC 5246): versions, randoms and session ids from the seed, cipher
 *     suites, and every extension asked for, GREASE (RFC 8701) placed
 *     where Chromium places it.  Key shares have the right length for
 *     their group; their bytes come from the seed (not keys anybody holds).
 *   - TLS 1.3: everything after the ServerHello is encrypted, so the rest
 *     of the handshake (EncryptedExtensions, Certificate, CertificateVerify,
 *     Finished) and the application data are application_data records of
 *     the sizes those messages encrypt to (inner content type and 16-byte
 *     AEAD tag counted), holding pseudo-random bytes.  Nobody can tell
 *     them from ciphertext, which is honest: a capture shows nothing more.
 *   - TLS 1.2: the server's Certificate is well-formed DER (a self-signed
 *     P-256 certificate made from the seed and really signed, or the
 *     caller's chain), the ServerKeyExchange carries an x25519 share and
 *     an ECDSA signature over the randoms and parameters (real with the
 *     generated key; pseudo-random of the right shape with a caller's
 *     certificate, whose private key we do not have).  ClientKeyExchange
 *     is an x25519 share; the Finished messages and application data are
 *     encrypted records sized for the chosen suite (AES-GCM: 8-byte
 *     explicit nonce and 16-byte tag; ChaCha20-Poly1305: tag only; CBC:
 *     IV, MAC and padding).
 *
 * Memory: the whole script lives in one growable buffer plus the flight
 * table; nothing else is allocated. */
#ifndef PKTCRAFT_TRAFFIC_TLSGEN_H
#define PKTCRAFT_TRAFFIC_TLSGEN_H

#include <stdbool.h>
#include "../core/common.h"
#include "x509.h"

struct pc_fmt;

#define PC_TLSGEN_V12 0x0303
#define PC_TLSGEN_V13 0x0304

/* Caller lists are limited so that every length field holds them. */
#define PC_TLSGEN_MAX_LIST 256     /* ciphers, groups, key shares */
#define PC_TLSGEN_MAX_ALPN 32      /* protocols, each 1..255 bytes */
#define PC_TLSGEN_MAX_CERTS 16
#define PC_TLSGEN_MAX_APP 4096     /* application writes */
#define PC_TLSGEN_MAX_PLAIN 16384  /* plaintext bytes per record (RFC 8446 5.1) */

/* ------------------------------------------------------------ names */

/* Cipher suite, group and signature scheme names (IANA spelling, e.g.
 * TLS_AES_128_GCM_SHA256, x25519, secp256r1, ecdsa_secp256r1_sha256)
 * or numbers ("0x1301", "1301"); NULL / false when unknown. */
const char *pc_tls_cipher_name(uint16_t v);
bool pc_tls_cipher_lookup(const char *s, uint16_t *out);
const char *pc_tls_group_name(uint16_t v);
bool pc_tls_group_lookup(const char *s, uint16_t *out);
/* Bytes of a key_share entry for the group (x25519 32, secp256r1 65,
 * secp384r1 97, secp521r1 133, x448 56, ffdhe2048 256, ..., the hybrid
 * X25519MLKEM768 1216 from the client and 1120 from the server); 32 for
 * groups not known here. */
size_t pc_tls_group_keylen(uint16_t group, bool server);
/* TLS 1.3 suites are 0x1301..0x1305. */
static inline bool pc_tls_cipher_is13(uint16_t v) { return v >= 0x1301 && v <= 0x1305; }

/* ---------------------------------------------------------- options */

struct pc_tlsgen_app {
    uint8_t dir;       /* 0 client to server, 1 server to client */
    uint32_t len;      /* plaintext bytes the application writes (> 0) */
};

struct pc_tlsgen_opts {
    uint16_t version;             /* PC_TLSGEN_V13 (0 means it) or PC_TLSGEN_V12 */
    uint64_t seed;
    const char *sni;              /* NULL or "": no server_name */
    const char *const *alpn;      /* offered protocols (n_alpn may be 0) */
    size_t n_alpn;
    const uint16_t *ciphers;      /* NULL: the default list for the version */
    size_t n_ciphers;
    const uint16_t *groups;       /* NULL: x25519, secp256r1, secp384r1 */
    size_t n_groups;
    const uint16_t *key_shares;   /* NULL: the first group (TLS 1.3 only) */
    size_t n_key_shares;
    bool grease;                  /* RFC 8701 values, as Chromium sends them */
    pc_time_ns start;             /* the generated certificate's validity is around it */
    /* the server's chain (DER, back to back, sizes in cert_sizes); none:
     * a self-signed certificate for the SNI (or "localhost") */
    const uint8_t *certs;
    const uint32_t *cert_sizes;
    size_t n_certs;
    const struct pc_tlsgen_app *app;  /* application writes, in order */
    size_t n_app;
};
void pc_tlsgen_opts_default(struct pc_tlsgen_opts *o);

/* --------------------------------------------------------- builders */

/* One message each, appended to out as a handshake message (type and
 * 24-bit length included, no record header).  rng: the caller's stream
 * (randoms, session ids, key shares).  The ClientHello's lists must hold
 * at least one cipher and one group. */
struct pc_rng;
int pc_tlsgen_client_hello(const struct pc_tlsgen_opts *o, struct pc_rng *rng, struct pc_gbuf *out);

/* What the server chose, read back from the ClientHello bytes. */
struct pc_tlsgen_choice {
    uint16_t version, cipher, group;  /* group: of the key share (1.3) or ECDHE (x25519, 1.2) */
    uint8_t alpn[256];               /* the selected protocol (the client's first), alpn_len 0: none */
    uint8_t alpn_len;
    uint8_t client_random[32], server_random[32];
    uint8_t session_id[32];
    uint8_t session_id_len;
};
/* Choose as a server would (the first client suite it supports, GREASE
 * skipped; TLS 1.3 with a key share, TLS 1.2 ECDHE with the certificate's
 * key type) and append the ServerHello.  key: PC_X509_KEY_EC or _RSA.
 * PC_EUNSUPP when nothing offered can be chosen (the message says what). */
int pc_tlsgen_server_hello(const uint8_t *ch, size_t ch_len, int key, struct pc_rng *rng,
                           struct pc_tlsgen_choice *c, struct pc_gbuf *out, struct pc_err *err);

/* Records of content type ct holding p[0..n), cut at 16384 bytes, with
 * record version rv. */
void pc_tlsgen_records(struct pc_gbuf *out, uint8_t ct, uint16_t rv, const uint8_t *p, size_t n);
/* An encrypted record standing for plain plaintext bytes of inner type ct
 * with the choice's protection (TLS 1.3: application_data, inner type and
 * tag; TLS 1.2: type ct, the suite's nonce/IV, MAC, padding and tag);
 * plain <= 16384.  Its bytes come from rng. */
void pc_tlsgen_sealed(struct pc_gbuf *out, const struct pc_tlsgen_choice *c, uint8_t ct, uint32_t plain,
                      struct pc_rng *rng);
/* The record body length pc_tlsgen_sealed gives for plain bytes. */
uint32_t pc_tlsgen_sealed_len(const struct pc_tlsgen_choice *c, uint32_t plain);

/* ----------------------------------------------------------- script */

/* What each flight stands for (pc_tlsgen_flight.kind). */
enum pc_tlsgen_kind {
    PC_TLSGEN_CLIENT_HELLO = 1,
    PC_TLSGEN_SERVER_FLIGHT,      /* ServerHello ... (1.3: to Finished; 1.2: to ServerHelloDone) */
    PC_TLSGEN_CLIENT_FINISHED,    /* 1.3: CCS + Finished (+ the first client write);
                                   * 1.2: ClientKeyExchange + CCS + Finished */
    PC_TLSGEN_SERVER_FINISHED,    /* 1.2: CCS + Finished */
    PC_TLSGEN_APP,                /* one application write */
};

struct pc_tlsgen_flight {
    uint8_t dir;         /* 0 client, 1 server */
    uint8_t kind;        /* enum pc_tlsgen_kind */
    size_t off, len;     /* bytes in pc_tlsgen.bytes */
    int32_t app;         /* the application write it carries (index), -1 none */
};

struct pc_tlsgen {
    struct pc_gbuf bytes;            /* every flight back to back */
    struct pc_tlsgen_flight *flights;
    size_t n_flights;
    struct pc_tlsgen_choice choice;
    size_t ch_off, ch_len;           /* the ClientHello record(s) in bytes */
    size_t sh_off, sh_len;           /* the ServerHello record */
    uint32_t n_certs;                /* certificates sent (1.2) or stood for (1.3) */
    size_t cert_bytes;               /* their DER bytes together */
};

/* Build the whole script.  0, or PC_EINVAL / PC_EUNSUPP / PC_ELIMIT /
 * PC_ENOMEM with err->msg saying what; pc_tlsgen_free in every case. */
int pc_tlsgen_run(const struct pc_tlsgen_opts *o, struct pc_tlsgen *g, struct pc_err *err);
void pc_tlsgen_free(struct pc_tlsgen *g);

/* ------------------------------------------------------------ facts */

/* The facts `pktcraft extract tls` reports for this connection, computed
 * from the generated hello bytes with the analysis code
 * (pktcraft/analysis/tls.h), so both always agree.  JSON mode: members
 * version, sni, alpn_offered (array), alpn_selected, cipher (name or hex),
 * cipher_id, group, ja3, ja3_md5, ja4, ja3s, ja3s_md5, ja4s, certificates.
 * Text mode: one "key: value" line each.  0, or a negative PC_E* code. */
int pc_tlsgen_facts(const struct pc_tlsgen *g, struct pc_fmt *f);

#endif

/* TLS for traffic analysis: a per-connection streaming parser of the TLS
 * record and handshake layers (RFC 5246, RFC 8446), fed with the
 * reassembled TCP bytes of each direction, and the fingerprints built from
 * the hellos (JA3/JA3S, JA4/JA4S).
 *
 * What it reports (struct pc_tls_cbs, every callback optional):
 *   ClientHello and ServerHello (struct pc_tls_hello, HelloRetryRequest
 *   flagged), alerts, the certificate count and sizes of a TLS 1.2
 *   Certificate message, and an error for anything malformed, each with
 *   the stream offset it is about.
 *
 * What it cannot see: everything encrypted.  A direction is encrypted
 * after its ChangeCipherSpec when the ServerHello chose TLS 1.2 or older,
 * and both directions are from the record after a TLS 1.3 ServerHello
 * (not a HelloRetryRequest).  Encrypted records are counted, an encrypted
 * alert is reported with level and description unknown (-1), and no
 * encrypted byte is ever parsed as a handshake message.  So the TLS 1.3
 * Certificate (inside the encrypted handshake) is never available: the
 * certificates callback only fires for TLS 1.2 and older.
 *
 * Feeding: records may be split across any number of feeds (byte by byte
 * even); a handshake message may span records and one record may hold
 * several messages.  Feed both directions in capture order: the TLS 1.3
 * rule above needs the ServerHello before the client's later records.  A
 * ChangeCipherSpec seen before any ServerHello (a one-sided capture, or
 * TLS 1.3 middlebox compatibility) leaves the direction plaintext until a
 * handshake record that does not start with a ClientHello arrives, which
 * is then taken as encrypted.
 *
 * Limits (struct pc_limits): a handshake message is held whole until it is
 * complete, only when it is one the parser reads (ClientHello, ServerHello,
 * Certificate) and only when it is not already whole inside one feed; at
 * most tls_handshake bytes a direction: a larger message is skipped and
 * reported ("over the tls-handshake limit").  A hello with more than
 * tls_extensions extensions is an error.  While a hello or Certificate is
 * parsed, its decoded lists take at most 4/3 of its length again.  The
 * buffers are released once the direction is encrypted or ended.
 *
 * SSLv2-compatible ClientHellos are not parsed: the stream is reported as
 * not TLS. */
#ifndef PKTCRAFT_TLS_H
#define PKTCRAFT_TLS_H

#include <stdbool.h>
#include "../core/common.h"
#include "../core/limits.h"

struct pc_fmt;

/* Record content types (RFC 8446 5.1, RFC 6520). */
enum pc_tls_content {
    PC_TLS_CCS = 20,
    PC_TLS_ALERT = 21,
    PC_TLS_HANDSHAKE = 22,
    PC_TLS_APPDATA = 23,
    PC_TLS_HEARTBEAT = 24,
};

/* Handshake message types the parser reads. */
enum pc_tls_hs {
    PC_TLS_HS_CLIENT_HELLO = 1,
    PC_TLS_HS_SERVER_HELLO = 2,
    PC_TLS_HS_CERTIFICATE = 11,
};

/* Extension types the parser decodes (every other one is listed, and its
 * bytes skipped). */
enum pc_tls_ext {
    PC_TLS_EXT_SERVER_NAME = 0,
    PC_TLS_EXT_GROUPS = 10,          /* supported_groups (elliptic_curves) */
    PC_TLS_EXT_POINT_FORMATS = 11,   /* ec_point_formats */
    PC_TLS_EXT_SIG_ALGS = 13,        /* signature_algorithms */
    PC_TLS_EXT_ALPN = 16,
    PC_TLS_EXT_VERSIONS = 43,        /* supported_versions */
    PC_TLS_EXT_PSK_MODES = 45,       /* psk_key_exchange_modes */
    PC_TLS_EXT_KEY_SHARE = 51,
};

/* Where GREASE values (RFC 8701) were seen: bits of pc_tls_hello.grease. */
#define PC_TLS_GREASE_CIPHER 0x01
#define PC_TLS_GREASE_EXT 0x02
#define PC_TLS_GREASE_GROUP 0x04
#define PC_TLS_GREASE_SIG_ALG 0x08
#define PC_TLS_GREASE_VERSION 0x10
#define PC_TLS_GREASE_KEY_SHARE 0x20
#define PC_TLS_GREASE_ALPN 0x40      /* a two-byte protocol name 0x?A?A */
#define PC_TLS_GREASE_PSK_MODE 0x80  /* 0x0B, 0x2A, ... 0xE4 */

/* The SNI host name bytes copied into pc_tls_hello.sni (RFC 1035 names
 * have at most 253 characters); the whole name is always at sni_raw. */
#define PC_TLS_SNI_MAX 255

/* A ClientHello or ServerHello.  Every list keeps the wire order and the
 * GREASE values (the fingerprints drop those themselves).  The 16-bit
 * lists are decoded into arrays sized by the message, the 8-bit lists and
 * the ALPN list point into the message: nothing is capped but the message
 * length.  The pointers are valid only during the callback that passes the
 * hello (streaming parser), or until the next pc_tls_peek with the same
 * scratch (and while the payload given to it lives).  A list that is
 * absent has n = 0 and its has_ flag clear. */
struct pc_tls_hello {
    bool client;               /* ClientHello, else ServerHello */
    bool hrr;                  /* ServerHello that is a HelloRetryRequest (RFC 8446 4.1.3) */
    uint16_t record_version;   /* of the record that carried the message's first byte */
    uint16_t legacy_version;   /* the hello's version field */
    uint16_t version;          /* effective: client, the highest non-GREASE supported_versions value
                                * (else legacy_version); server, selected_version (else legacy_version) */
    uint64_t offset;           /* stream offset of the message header (pc_tls_peek: in the payload) */
    uint32_t length;           /* message body length */
    uint8_t random[32];
    uint8_t session_id_len;
    const uint8_t *session_id;
    const uint16_t *ciphers;   /* client: every suite offered; server: the one chosen */
    uint32_t n_ciphers;
    const uint8_t *compression; /* client: methods offered; server: the one chosen */
    uint32_t n_compression;
    bool has_extensions;       /* the extensions field is there (perhaps empty) */
    const uint16_t *ext;       /* extension types, wire order */
    uint32_t n_ext;
    /* server_name: the first host_name entry (client); a ServerHello's is empty */
    bool has_sni;
    char sni[PC_TLS_SNI_MAX + 1]; /* NUL-terminated copy of the first sni_len (at most PC_TLS_SNI_MAX) bytes */
    uint32_t sni_len;          /* the whole name's length on the wire */
    bool sni_cut;              /* sni_len > PC_TLS_SNI_MAX: sni holds the start only */
    const uint8_t *sni_raw;    /* all sni_len bytes */
    /* ALPN: the protocol_name_list as on the wire (client: offered; server: chosen) */
    bool has_alpn;
    const uint8_t *alpn;       /* 1-byte length, name, 1-byte length, name...: see pc_tls_alpn_next */
    uint32_t alpn_len;
    uint32_t n_alpn;
    const uint8_t *alpn_first; /* the first name (NULL when none) */
    uint8_t alpn_first_len;
    bool has_groups;
    const uint16_t *groups;    /* supported_groups */
    uint32_t n_groups;
    bool has_point_formats;
    const uint8_t *point_formats;
    uint32_t n_point_formats;
    bool has_sig_algs;
    const uint16_t *sig_algs;
    uint32_t n_sig_algs;
    bool has_versions;
    const uint16_t *versions;  /* client: supported_versions; server: selected_version (one) */
    uint32_t n_versions;
    bool has_key_share;
    const uint16_t *key_shares; /* client: every group offered; server: the chosen one (HRR: selected_group) */
    uint32_t n_key_shares;
    bool has_psk_modes;
    const uint8_t *psk_modes;
    uint32_t n_psk_modes;
    unsigned grease;           /* PC_TLS_GREASE_* */
};

/* GREASE (RFC 8701): 0x?A?A with both bytes equal. */
static inline bool pc_tls_is_grease(uint16_t v) { return (v & 0x0F0F) == 0x0A0A && (v >> 8) == (v & 0xFF); }

/* Walk the ALPN names: *pos starts at 0; returns false after the last. */
bool pc_tls_alpn_next(const struct pc_tls_hello *h, uint32_t *pos, const uint8_t **name, uint8_t *len);

/* "TLS 1.2", "SSL 3.0", "TLS 1.3 draft"...; NULL for other values. */
const char *pc_tls_version_name(uint16_t v);
/* Alert description name ("handshake_failure"), or NULL. */
const char *pc_tls_alert_name(int description);

/* ------------------------------------------------------------ streaming */

/* Callbacks; any may be NULL.  dir: 0 client to server, 1 server to client.
 * ts: the timestamp of the feed that completed the message (or alert).
 * A callback must not call pc_tls_feed/gap/end/free on the parser that
 * called it. */
struct pc_tls_cbs {
    void (*client_hello)(void *ctx, int dir, const struct pc_tls_hello *h, pc_time_ns ts);
    void (*server_hello)(void *ctx, int dir, const struct pc_tls_hello *h, pc_time_ns ts);
    /* level and description: -1 when encrypted */
    void (*alert)(void *ctx, int dir, int level, int description, bool encrypted, pc_time_ns ts);
    /* TLS 1.2 and older only (see the top): sizes[count] in bytes, chain order */
    void (*certificates)(void *ctx, int dir, uint32_t count, const uint32_t *sizes, pc_time_ns ts);
    /* offset: stream offset of the record or handshake message concerned;
     * reason: static text, e.g. "tls: cipher suite list of odd length" */
    void (*error)(void *ctx, int dir, uint64_t offset, const char *reason);
};

/* Per direction figures. */
struct pc_tls_dir_stats {
    uint64_t bytes;              /* fed, gaps included */
    uint64_t gap_bytes;
    uint64_t records;            /* every record started */
    uint64_t encrypted_records;  /* of which after the direction turned encrypted */
    uint64_t handshake_records, ccs_records, alert_records, appdata_records, heartbeat_records;
    uint64_t appdata_bytes;      /* application_data record bodies */
    uint64_t handshake_msgs;     /* plaintext handshake messages seen (parsed or not) */
    uint64_t alerts;             /* alert callbacks (plain and encrypted) */
    uint64_t errors;
    bool encrypted;              /* the direction has turned encrypted */
    bool stopped;                /* no longer parsed: framing lost, not TLS, or ended */
};

struct pc_tls;
/* lim: NULL for the defaults (copied); cbs: copied, may be NULL.
 * Returns NULL when out of memory. */
struct pc_tls *pc_tls_new(const struct pc_limits *lim, const struct pc_tls_cbs *cbs, void *ctx);
void pc_tls_feed(struct pc_tls *t, int dir, const uint8_t *p, size_t n, pc_time_ns ts);
/* n bytes of the direction were lost.  Inside a record body the record
 * framing survives (a handshake message the gap falls in is lost and
 * reported); a gap across a record boundary stops the direction (reported). */
void pc_tls_gap(struct pc_tls *t, int dir, uint64_t n);
/* The direction has ended: a record or handshake message left unfinished
 * is reported.  Later feeds of it are ignored. */
void pc_tls_end(struct pc_tls *t, int dir, pc_time_ns ts);
void pc_tls_free(struct pc_tls *t);
const struct pc_tls_dir_stats *pc_tls_stats(const struct pc_tls *t, int dir);
/* The version the ServerHello chose (not an HRR's), 0 before it. */
uint16_t pc_tls_version(const struct pc_tls *t);

/* ------------------------------------------------------ single payload */

/* Memory pc_tls_peek reuses from call to call (so it allocates only when a
 * hello is larger than any before): initialise with {0} (lim NULL: the
 * default limits), release with pc_tls_scratch_free.  why: the reason when
 * the last call returned PC_ETRUNC, PC_EMALFORMED or PC_ELIMIT. */
struct pc_tls_scratch {
    const struct pc_limits *lim;
    uint8_t *buf;
    size_t cap;
    const char *why;
};
void pc_tls_scratch_free(struct pc_tls_scratch *s);

/* A ClientHello or ServerHello found whole in one TCP payload: the payload
 * starts with a handshake record whose first message is a hello, carried
 * by that record and perhaps the next ones in the payload.  Returns
 *   1  *out filled (pointers into payload and s, see struct pc_tls_hello);
 *   0  no hello there (not a handshake record, or another message first);
 *   PC_ETRUNC  the payload ends before the hello does (s->why);
 *   PC_EMALFORMED  the hello or its records are malformed (s->why);
 *   PC_ELIMIT  over the tls-handshake or tls-extensions limit (s->why);
 *   PC_ENOMEM. */
int pc_tls_peek(const uint8_t *payload, size_t n, struct pc_tls_hello *out, struct pc_tls_scratch *s);

/* Does p look like the start of a TLS stream: a handshake record (type 22,
 * version 0x0300-0x0304, length 1..2^14+2048) starting a ClientHello or
 * ServerHello of plausible length?  Needs at least 6 bytes. */
bool pc_tls_probe(const uint8_t *p, size_t n);

/* -------------------------------------------------------- fingerprints */

/* Every function returns 0, PC_EINVAL for the wrong kind of hello (JA3 and
 * JA4 take a ClientHello, JA3S and JA4S a ServerHello), PC_ENOSPC when a
 * fixed pc_fmt could not hold the whole string (f->cut is set: nothing is
 * cut silently), PC_ENOMEM.  The strings go to f as they are (text or
 * JSON mode alike); a grow or sink pc_fmt takes any length. */

/* JA3 (Salesforce): "SSLVersion,Ciphers,Extensions,EllipticCurves,
 * EllipticCurvePointFormats", decimal values joined by '-', GREASE removed,
 * SSLVersion the legacy_version; and its MD5 in lower-case hex. */
int pc_tls_ja3(const struct pc_tls_hello *h, struct pc_fmt *f);
int pc_tls_ja3_md5(const struct pc_tls_hello *h, char out[33]);
/* JA3S: "SSLVersion,Cipher,Extensions" and its MD5. */
int pc_tls_ja3s(const struct pc_tls_hello *h, struct pc_fmt *f);
int pc_tls_ja3s_md5(const struct pc_tls_hello *h, char out[33]);

/* JA4 (FoxIO, technical_details/JA4.md), over TCP ("t"), e.g.
 * t13d1516h2_8daaf6152771_e5627efa2ab1.  PC_TLS_JA4_ORIGINAL gives JA4_o
 * (ciphers and extensions in wire order, SNI and ALPN kept). */
#define PC_TLS_JA4_LEN 36
#define PC_TLS_JA4S_LEN 25
#define PC_TLS_JA4_ORIGINAL 0x1
int pc_tls_ja4(const struct pc_tls_hello *h, unsigned flags, char out[PC_TLS_JA4_LEN + 1]);
/* JA4_r (JA4_ro with PC_TLS_JA4_ORIGINAL): the lists before hashing. */
int pc_tls_ja4_raw(const struct pc_tls_hello *h, unsigned flags, struct pc_fmt *f);
/* JA4S (technical_details/JA4S.md), e.g. t120400_c030_4e8089b08790, and
 * JA4S_r. */
int pc_tls_ja4s(const struct pc_tls_hello *h, char out[PC_TLS_JA4S_LEN + 1]);
int pc_tls_ja4s_raw(const struct pc_tls_hello *h, struct pc_fmt *f);

#endif

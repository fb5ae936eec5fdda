/* TLS record and handshake parsing, and the JA3/JA4 fingerprints
 * (include/pktcraft/analysis/tls.h).
 *
 * Three layers per direction, each a small state machine fed by the one
 * below: the record layer collects the 5-byte header and counts the body
 * down; the handshake layer collects the 4-byte message header and then
 * either holds the body (only for the messages it reads, within the
 * limit), parses it in place when the whole body sits in one feed, or
 * skips it; the alert layer pairs bytes.  Nothing is read before its
 * length is checked, and every loop walks bytes it has: the parser is
 * linear in its input and never reads past what it was given.
 *
 * The hello parser is shared by the stream and by pc_tls_peek: it reads a
 * complete message body and decodes the 16-bit lists into an array sized
 * by the message (every value takes at least two bytes of the message),
 * so no list has a cap of its own. */
#include <stdlib.h>
#include <string.h>

#include "pktcraft/analysis/tls.h"
#include "pktcraft/core/fmt.h"
#include "pktcraft/core/hash.h"

#define REC_HLEN 5u
#define HS_HLEN 4u
#define REC_MAX (16384u + 2048u) /* TLSCiphertext.length at most 2^14 + 2048 (RFC 5246 6.2.3) */
#define HELLO_MIN 38u            /* version, random, session id length, and a cipher (ServerHello) */

/* SHA-256("HelloRetryRequest"): the random of a HelloRetryRequest (RFC 8446 4.1.3). */
static const uint8_t hrr_random[32] = {
    0xCF, 0x21, 0xAD, 0x74, 0xE5, 0x9A, 0x61, 0x11, 0xBE, 0x1D, 0x8C, 0x02, 0x1E, 0x65, 0xB8, 0x91,
    0xC2, 0xA2, 0x11, 0x16, 0x7A, 0xBB, 0x8C, 0x5E, 0x07, 0x9E, 0x09, 0xE2, 0xC8, 0xA8, 0x33, 0x9C,
};

static uint32_t get24(const uint8_t *p) { return (uint32_t)p[0] << 16 | (uint32_t)p[1] << 8 | p[2]; }

/* Storage the decoded lists of a message of len bytes need: 16-bit values
 * take at most len bytes (each comes from two distinct message bytes), the
 * certificate sizes at most 4 * (len / 3 + 1). */
static size_t list_room(size_t len) { return len + len / 3 + 16; }

/* TLS 1.3 and its drafts: the versions whose ServerHello ends the plaintext. */
static bool is_tls13(uint16_t v) { return (v >= 0x0304 && v <= 0x03FF) || (v & 0xFF00) == 0x7F00; }

/* ------------------------------------------------------------- names */

const char *pc_tls_version_name(uint16_t v)
{
    switch (v) {
    case 0x0002: return "SSL 2.0";
    case 0x0300: return "SSL 3.0";
    case 0x0301: return "TLS 1.0";
    case 0x0302: return "TLS 1.1";
    case 0x0303: return "TLS 1.2";
    case 0x0304: return "TLS 1.3";
    default: return (v & 0xFF00) == 0x7F00 ? "TLS 1.3 draft" : NULL;
    }
}

const char *pc_tls_alert_name(int description)
{
    static const struct {
        int code;
        const char *name;
    } names[] = {
        { 0, "close_notify" },
        { 10, "unexpected_message" },
        { 20, "bad_record_mac" },
        { 21, "decryption_failed" },
        { 22, "record_overflow" },
        { 30, "decompression_failure" },
        { 40, "handshake_failure" },
        { 41, "no_certificate" },
        { 42, "bad_certificate" },
        { 43, "unsupported_certificate" },
        { 44, "certificate_revoked" },
        { 45, "certificate_expired" },
        { 46, "certificate_unknown" },
        { 47, "illegal_parameter" },
        { 48, "unknown_ca" },
        { 49, "access_denied" },
        { 50, "decode_error" },
        { 51, "decrypt_error" },
        { 60, "export_restriction" },
        { 70, "protocol_version" },
        { 71, "insufficient_security" },
        { 80, "internal_error" },
        { 86, "inappropriate_fallback" },
        { 90, "user_canceled" },
        { 100, "no_renegotiation" },
        { 109, "missing_extension" },
        { 110, "unsupported_extension" },
        { 111, "certificate_unobtainable" },
        { 112, "unrecognized_name" },
        { 113, "bad_certificate_status_response" },
        { 114, "bad_certificate_hash_value" },
        { 115, "unknown_psk_identity" },
        { 116, "certificate_required" },
        { 120, "no_application_protocol" },
    };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (names[i].code == description) return names[i].name;
    return NULL;
}

/* ------------------------------------------------------ bounded reader */

struct rd {
    const uint8_t *p;
    size_t n;
};

static bool rd_take(struct rd *r, size_t k, const uint8_t **out)
{
    if (r->n < k) return false;
    *out = r->p;
    r->p += k;
    r->n -= k;
    return true;
}

static bool rd_u8(struct rd *r, unsigned *v)
{
    const uint8_t *q;
    if (!rd_take(r, 1, &q)) return false;
    *v = q[0];
    return true;
}

/* A vector with a 1- or 2-byte length prefix: *sub gets its bytes. */
static bool rd_vec(struct rd *r, unsigned lenbytes, struct rd *sub)
{
    const uint8_t *q;
    if (!rd_take(r, lenbytes, &q)) return false;
    size_t len = lenbytes == 1 ? q[0] : pc_get16(q);
    sub->p = r->p;
    sub->n = len;
    return rd_take(r, len, &q);
}

/* ------------------------------------------------------- hello parsing */

static const char why_ext_limit[] = "tls: more extensions than the tls-extensions limit";

struct hp {
    struct pc_tls_hello *h;
    uint16_t *vals;   /* decoded 16-bit lists */
    size_t nv, cap;
    uint64_t max_ext;
    unsigned seen;    /* extensions decoded already (the first of a repeated type wins) */
};

static uint16_t *hp_alloc(struct hp *c, size_t k)
{
    if (k > c->cap - c->nv) return NULL; /* cannot happen: the room is sized by the message */
    uint16_t *v = c->vals + c->nv;
    c->nv += k;
    return v;
}

/* r holds an even number of bytes: decode them as a list of 16-bit values. */
static const char *u16_list(struct hp *c, struct rd r, const uint16_t **out, uint32_t *n, unsigned grease)
{
    size_t k = r.n / 2;
    uint16_t *v = hp_alloc(c, k);
    if (!v) return "tls: internal: list storage exhausted";
    for (size_t i = 0; i < k; i++) {
        v[i] = pc_get16(r.p + 2 * i);
        if (pc_tls_is_grease(v[i])) c->h->grease |= grease;
    }
    *out = v;
    *n = (uint32_t)k;
    return NULL;
}

/* A 2-byte-length list of 16-bit values filling the whole extension. */
static const char *ext_u16(struct hp *c, struct rd d, const uint16_t **out, uint32_t *n, unsigned grease,
                           const char *lies, const char *odd)
{
    struct rd l;
    if (!rd_vec(&d, 2, &l) || d.n) return lies;
    if (l.n & 1) return odd;
    return u16_list(c, l, out, n, grease);
}

/* A 1-byte-length list of bytes filling the whole extension. */
static const char *ext_u8(struct rd d, const uint8_t **out, uint32_t *n, const char *lies)
{
    struct rd l;
    if (!rd_vec(&d, 1, &l) || d.n) return lies;
    *out = l.p;
    *n = (uint32_t)l.n;
    return NULL;
}

static const char *ext_sni(struct hp *c, struct rd d)
{
    struct pc_tls_hello *h = c->h;
    h->has_sni = true;
    if (!h->client) return d.n ? "tls: server_name of a ServerHello is not empty" : NULL;
    if (!d.n) return NULL; /* an empty list: nothing named */
    struct rd list;
    if (!rd_vec(&d, 2, &list) || d.n) return "tls: server name list length does not match its extension";
    bool found = false;
    while (list.n) {
        unsigned type;
        struct rd name;
        if (!rd_u8(&list, &type) || !rd_vec(&list, 2, &name)) return "tls: server name past the end of its list";
        if (type != 0 || found) continue;
        found = true;
        h->sni_raw = name.p;
        h->sni_len = (uint32_t)name.n;
        size_t k = name.n > PC_TLS_SNI_MAX ? PC_TLS_SNI_MAX : name.n;
        memcpy(h->sni, name.p, k);
        h->sni[k] = 0;
        h->sni_cut = name.n > PC_TLS_SNI_MAX;
    }
    return NULL;
}

static const char *ext_alpn(struct hp *c, struct rd d)
{
    struct pc_tls_hello *h = c->h;
    struct rd l;
    if (!rd_vec(&d, 2, &l) || d.n) return "tls: ALPN list length does not match its extension";
    h->has_alpn = true;
    h->alpn = l.p;
    h->alpn_len = (uint32_t)l.n;
    while (l.n) {
        struct rd name;
        if (!rd_vec(&l, 1, &name)) return "tls: ALPN protocol past the end of its list";
        if (!h->n_alpn) {
            h->alpn_first = name.p;
            h->alpn_first_len = (uint8_t)name.n;
        }
        if (name.n == 2 && pc_tls_is_grease(pc_get16(name.p))) h->grease |= PC_TLS_GREASE_ALPN;
        h->n_alpn++;
    }
    return NULL;
}

static const char *ext_versions(struct hp *c, struct rd d)
{
    struct pc_tls_hello *h = c->h;
    h->has_versions = true;
    if (!h->client) {
        if (d.n != 2) return "tls: selected_version is not 2 bytes";
        return u16_list(c, d, &h->versions, &h->n_versions, PC_TLS_GREASE_VERSION);
    }
    struct rd l;
    if (!rd_vec(&d, 1, &l) || d.n) return "tls: supported_versions length does not match its extension";
    if (l.n & 1) return "tls: supported_versions list of odd length";
    return u16_list(c, l, &h->versions, &h->n_versions, PC_TLS_GREASE_VERSION);
}

static const char *ext_key_share(struct hp *c, struct rd d)
{
    struct pc_tls_hello *h = c->h;
    h->has_key_share = true;
    if (!h->client) {
        /* ServerHello: one KeyShareEntry; HelloRetryRequest: the selected group alone */
        const uint8_t *q = d.p;
        struct rd key;
        if (h->hrr) {
            if (d.n != 2) return "tls: HelloRetryRequest key_share is not 2 bytes";
        } else if (!rd_take(&d, 2, &q) || !rd_vec(&d, 2, &key) || d.n) {
            return "tls: key share entry does not match its extension";
        }
        return u16_list(c, (struct rd){ q, 2 }, &h->key_shares, &h->n_key_shares, PC_TLS_GREASE_KEY_SHARE);
    }
    struct rd l;
    if (!rd_vec(&d, 2, &l) || d.n) return "tls: key_share list length does not match its extension";
    /* count the entries, then decode their groups */
    size_t n = 0;
    for (struct rd w = l; w.n; n++) {
        const uint8_t *q;
        struct rd key;
        if (!rd_take(&w, 2, &q) || !rd_vec(&w, 2, &key)) return "tls: key share entry past the end of its list";
    }
    uint16_t *v = hp_alloc(c, n);
    if (!v) return "tls: internal: list storage exhausted";
    for (size_t i = 0; l.n; i++) {
        const uint8_t *q;
        struct rd key;
        if (!rd_take(&l, 2, &q) || !rd_vec(&l, 2, &key) || i >= n) return "tls: key share entry past the end of its list";
        v[i] = pc_get16(q);
        if (pc_tls_is_grease(v[i])) h->grease |= PC_TLS_GREASE_KEY_SHARE;
    }
    h->key_shares = v;
    h->n_key_shares = (uint32_t)n;
    return NULL;
}

static const char *ext_psk_modes(struct hp *c, struct rd d)
{
    struct pc_tls_hello *h = c->h;
    h->has_psk_modes = true;
    const char *why = ext_u8(d, &h->psk_modes, &h->n_psk_modes, "tls: psk_key_exchange_modes length does not match "
                                                                 "its extension");
    /* RFC 8701 reserves 0x0B + 0x1F * k for GREASE here */
    for (uint32_t i = 0; !why && i < h->n_psk_modes; i++)
        if (h->psk_modes[i] >= 0x0B && (h->psk_modes[i] - 0x0B) % 0x1F == 0) h->grease |= PC_TLS_GREASE_PSK_MODE;
    return why;
}

/* Bit in hp.seen for the extension types decoded, 0 for the others. */
static unsigned ext_bit(uint16_t type)
{
    switch (type) {
    case PC_TLS_EXT_SERVER_NAME: return 1u << 0;
    case PC_TLS_EXT_GROUPS: return 1u << 1;
    case PC_TLS_EXT_POINT_FORMATS: return 1u << 2;
    case PC_TLS_EXT_SIG_ALGS: return 1u << 3;
    case PC_TLS_EXT_ALPN: return 1u << 4;
    case PC_TLS_EXT_VERSIONS: return 1u << 5;
    case PC_TLS_EXT_PSK_MODES: return 1u << 6;
    case PC_TLS_EXT_KEY_SHARE: return 1u << 7;
    default: return 0;
    }
}

static const char *one_ext(struct hp *c, uint16_t type, struct rd d)
{
    struct pc_tls_hello *h = c->h;
    unsigned bit = ext_bit(type);
    if (!bit || (c->seen & bit)) return NULL;
    c->seen |= bit;
    switch (type) {
    case PC_TLS_EXT_SERVER_NAME: return ext_sni(c, d);
    case PC_TLS_EXT_GROUPS:
        h->has_groups = true;
        return ext_u16(c, d, &h->groups, &h->n_groups, PC_TLS_GREASE_GROUP,
                       "tls: supported_groups length does not match its extension",
                       "tls: supported_groups list of odd length");
    case PC_TLS_EXT_POINT_FORMATS:
        h->has_point_formats = true;
        return ext_u8(d, &h->point_formats, &h->n_point_formats,
                      "tls: ec_point_formats length does not match its extension");
    case PC_TLS_EXT_SIG_ALGS:
        h->has_sig_algs = true;
        return ext_u16(c, d, &h->sig_algs, &h->n_sig_algs, PC_TLS_GREASE_SIG_ALG,
                       "tls: signature_algorithms length does not match its extension",
                       "tls: signature_algorithms list of odd length");
    case PC_TLS_EXT_ALPN: return ext_alpn(c, d);
    case PC_TLS_EXT_VERSIONS: return ext_versions(c, d);
    case PC_TLS_EXT_PSK_MODES: return ext_psk_modes(c, d);
    default: return ext_key_share(c, d);
    }
}

/* The extensions block (its bytes, without the length): checked whole
 * first, so that the types array is sized before the lists fill vals. */
static const char *extensions(struct hp *c, struct rd block)
{
    struct pc_tls_hello *h = c->h;
    size_t n = 0;
    for (struct rd w = block; w.n; n++) {
        const uint8_t *q;
        struct rd data;
        if (!rd_take(&w, 2, &q) || !rd_vec(&w, 2, &data)) return "tls: extension past the end of the extensions";
    }
    if (n > c->max_ext) return why_ext_limit;
    uint16_t *types = hp_alloc(c, n);
    if (!types) return "tls: internal: list storage exhausted";
    h->ext = types;
    h->n_ext = (uint32_t)n;
    /* the same walk again (its checks cannot fail now) */
    for (size_t i = 0; block.n; i++) {
        const uint8_t *q;
        struct rd data;
        if (!rd_take(&block, 2, &q) || !rd_vec(&block, 2, &data) || i >= n)
            return "tls: extension past the end of the extensions";
        types[i] = pc_get16(q);
        if (pc_tls_is_grease(types[i])) h->grease |= PC_TLS_GREASE_EXT;
        const char *why = one_ext(c, types[i], data);
        if (why) return why;
    }
    return NULL;
}

static const char *client_fixed(struct hp *c, struct rd *r)
{
    struct pc_tls_hello *h = c->h;
    struct rd cs, cm;
    if (!rd_vec(r, 2, &cs)) return "tls: cipher suite list past the end of the hello";
    if (cs.n & 1) return "tls: cipher suite list of odd length";
    const char *why = u16_list(c, cs, &h->ciphers, &h->n_ciphers, PC_TLS_GREASE_CIPHER);
    if (why) return why;
    if (!rd_vec(r, 1, &cm)) return "tls: compression methods past the end of the hello";
    h->compression = cm.p;
    h->n_compression = (uint32_t)cm.n;
    return NULL;
}

static const char *server_fixed(struct hp *c, struct rd *r)
{
    struct pc_tls_hello *h = c->h;
    const uint8_t *q;
    if (!rd_take(r, 3, &q)) return "tls: ServerHello shorter than its fixed fields";
    const char *why = u16_list(c, (struct rd){ q, 2 }, &h->ciphers, &h->n_ciphers, PC_TLS_GREASE_CIPHER);
    h->compression = q + 2;
    h->n_compression = 1;
    h->hrr = !memcmp(h->random, hrr_random, sizeof hrr_random);
    return why;
}

static void effective_version(struct pc_tls_hello *h)
{
    h->version = h->legacy_version;
    if (!h->client) {
        if (h->n_versions) h->version = h->versions[0];
        return;
    }
    bool any = false;
    for (uint32_t i = 0; i < h->n_versions; i++) {
        uint16_t v = h->versions[i];
        if (pc_tls_is_grease(v) || (any && v <= h->version)) continue;
        h->version = v;
        any = true;
    }
}

/* Parse the body m[0..len) of a ClientHello or ServerHello into *h; vals
 * holds vcap 16-bit values (list_room(len) / 2).  Returns NULL, or why the
 * hello is malformed. */
static const char *parse_hello(const uint8_t *m, size_t len, bool client, struct pc_tls_hello *h, uint16_t *vals,
                               size_t vcap, uint64_t max_ext)
{
    memset(h, 0, sizeof *h);
    h->client = client;
    h->length = (uint32_t)len;
    struct hp c = { .h = h, .vals = vals, .cap = vcap, .max_ext = max_ext };
    struct rd r = { m, len };
    const uint8_t *q;
    if (!rd_take(&r, 35, &q)) return "tls: hello shorter than its fixed fields";
    h->legacy_version = pc_get16(q);
    memcpy(h->random, q + 2, 32);
    h->session_id_len = q[34];
    if (h->session_id_len > 32) return "tls: session id longer than 32 bytes";
    if (!rd_take(&r, h->session_id_len, &h->session_id)) return "tls: session id past the end of the hello";
    const char *why = client ? client_fixed(&c, &r) : server_fixed(&c, &r);
    if (why) return why;
    if (r.n) {
        struct rd block;
        h->has_extensions = true;
        if (!rd_vec(&r, 2, &block)) return "tls: extensions past the end of the hello";
        if (r.n) return "tls: bytes after the extensions";
        why = extensions(&c, block);
        if (why) return why;
    }
    effective_version(h);
    return NULL;
}

bool pc_tls_alpn_next(const struct pc_tls_hello *h, uint32_t *pos, const uint8_t **name, uint8_t *len)
{
    if (!h->alpn || *pos >= h->alpn_len) return false;
    uint8_t k = h->alpn[*pos];
    if (k > h->alpn_len - *pos - 1) return false; /* (checked when parsed) */
    *name = h->alpn + *pos + 1;
    *len = k;
    *pos += 1u + k;
    return true;
}

/* ------------------------------------------------------------ the stream */

enum mmode { M_HOLD, M_SKIP };

struct tls_dir {
    uint64_t off;             /* stream offset of the next byte */
    /* record layer */
    uint8_t hdr[REC_HLEN];
    uint8_t nhdr;
    bool in_rec;              /* inside a record body */
    uint8_t type;
    uint16_t rver;
    uint32_t rlen, left;      /* body length, bytes still to come */
    uint64_t rec_off;
    bool rec_skip;            /* the rest of this record is not parsed (a gap, data after a 1.3 ServerHello) */
    bool after_sh13;          /* a TLS 1.3 ServerHello ended inside this record */
    uint8_t ccs_byte;
    /* handshake layer */
    uint8_t mhdr[HS_HLEN];
    uint8_t nmhdr;
    uint8_t mmode;            /* enum mmode */
    uint32_t mlen, mgot;
    uint64_t moff;
    uint16_t mrver;
    uint8_t *buf;             /* a held message body */
    size_t cap;
    /* alerts */
    uint8_t alert0;
    bool alert_half;
    /* state */
    bool encrypted, encrypt_next, ccs_unsure, hs_dead, stopped;
    struct pc_tls_dir_stats st;
};

struct pc_tls {
    struct pc_tls_cbs cb;
    void *ctx;
    uint64_t lim_hs, lim_ext;
    struct tls_dir d[2];
    uint8_t *scratch;         /* decoded lists of the message being parsed */
    size_t scap;
    bool sh_seen, tls13;
    uint16_t version;
};

struct pc_tls *pc_tls_new(const struct pc_limits *lim, const struct pc_tls_cbs *cbs, void *ctx)
{
    struct pc_tls *t = calloc(1, sizeof *t);
    if (!t) return NULL;
    struct pc_limits def;
    if (!lim) {
        pc_limits_default(&def);
        lim = &def;
    }
    t->lim_hs = lim->tls_handshake;
    t->lim_ext = lim->tls_extensions;
    if (cbs) t->cb = *cbs;
    t->ctx = ctx;
    return t;
}

static void release_dir(struct tls_dir *d)
{
    free(d->buf);
    d->buf = NULL;
    d->cap = 0;
}

/* Once neither direction will parse a message again, the scratch goes. */
static void maybe_release(struct pc_tls *t)
{
    for (int i = 0; i < 2; i++)
        if (!t->d[i].encrypted && !t->d[i].stopped) return;
    free(t->scratch);
    t->scratch = NULL;
    t->scap = 0;
}

void pc_tls_free(struct pc_tls *t)
{
    if (!t) return;
    release_dir(&t->d[0]);
    release_dir(&t->d[1]);
    free(t->scratch);
    free(t);
}

const struct pc_tls_dir_stats *pc_tls_stats(const struct pc_tls *t, int dir) { return &t->d[dir & 1].st; }
uint16_t pc_tls_version(const struct pc_tls *t) { return t->version; }

static void report(struct pc_tls *t, int dir, uint64_t off, const char *why)
{
    t->d[dir].st.errors++;
    if (t->cb.error) t->cb.error(t->ctx, dir, off, why);
}

static void stop(struct pc_tls *t, int dir, uint64_t off, const char *why)
{
    struct tls_dir *d = &t->d[dir];
    report(t, dir, off, why);
    d->stopped = d->st.stopped = true;
    release_dir(d);
    maybe_release(t);
}

static bool msg_pending(const struct tls_dir *d) { return d->nmhdr > 0; }
static void msg_reset(struct tls_dir *d) { d->nmhdr = 0, d->mlen = d->mgot = 0; }

static void go_encrypted(struct pc_tls *t, int dir)
{
    struct tls_dir *d = &t->d[dir];
    d->encrypted = d->st.encrypted = true;
    d->encrypt_next = d->ccs_unsure = false;
    msg_reset(d);
    release_dir(d);
    maybe_release(t);
}

static bool scratch_room(struct pc_tls *t, size_t need)
{
    if (t->scap >= need) return true;
    uint8_t *s = realloc(t->scratch, need);
    if (!s) return false;
    t->scratch = s;
    t->scap = need;
    return true;
}

/* What a ServerHello (not an HRR) decides for both directions. */
static void server_chose(struct pc_tls *t, int dir, const struct pc_tls_hello *h)
{
    t->sh_seen = true;
    t->version = h->version;
    t->tls13 = h->has_versions && is_tls13(h->version);
    for (int i = 0; i < 2; i++) {
        struct tls_dir *d = &t->d[i];
        if (d->stopped || d->encrypted) continue;
        /* 1.3: everything after the ServerHello is encrypted; older: a
         * ChangeCipherSpec already seen was a real one */
        if (t->tls13 || d->ccs_unsure) d->encrypt_next = true;
        d->ccs_unsure = false;
    }
    if (t->tls13) t->d[dir].after_sh13 = true;
}

static void on_hello(struct pc_tls *t, int dir, const uint8_t *body, uint32_t len, pc_time_ns ts)
{
    struct tls_dir *d = &t->d[dir];
    bool client = d->mhdr[0] == PC_TLS_HS_CLIENT_HELLO;
    size_t room = list_room(len);
    if (!scratch_room(t, room)) {
        report(t, dir, d->moff, "tls: out of memory: hello not parsed");
        return;
    }
    struct pc_tls_hello h;
    const char *why = parse_hello(body, len, client, &h, (uint16_t *)(void *)t->scratch, room / 2, t->lim_ext);
    if (why) {
        report(t, dir, d->moff, why);
        return;
    }
    h.record_version = d->mrver;
    h.offset = d->moff;
    if (client) {
        if (t->cb.client_hello) t->cb.client_hello(t->ctx, dir, &h, ts);
        return;
    }
    if (!h.hrr) server_chose(t, dir, &h);
    if (t->cb.server_hello) t->cb.server_hello(t->ctx, dir, &h, ts);
}

/* TLS 1.2 Certificate: certificate_list<0..2^24-1> of ASN.1Cert<1..2^24-1>. */
static void on_certificate(struct pc_tls *t, int dir, const uint8_t *body, uint32_t len, pc_time_ns ts)
{
    struct tls_dir *d = &t->d[dir];
    if (len < 3 || get24(body) != len - 3) {
        report(t, dir, d->moff, "tls: certificate list length does not match its message");
        return;
    }
    size_t room = list_room(len);
    if (!scratch_room(t, room)) {
        report(t, dir, d->moff, "tls: out of memory: certificates not read");
        return;
    }
    uint32_t *sizes = (uint32_t *)(void *)t->scratch, count = 0;
    for (struct rd r = { body + 3, len - 3 }; r.n; count++) {
        const uint8_t *lp, *cert;
        if (!rd_take(&r, 3, &lp) || !rd_take(&r, get24(lp), &cert)) {
            report(t, dir, d->moff, "tls: certificate past the end of its list");
            return;
        }
        sizes[count] = get24(lp);
    }
    if (t->cb.certificates) t->cb.certificates(t->ctx, dir, count, sizes, ts);
}

static void dispatch(struct pc_tls *t, int dir, const uint8_t *body, uint32_t len, pc_time_ns ts)
{
    switch (t->d[dir].mhdr[0]) {
    case PC_TLS_HS_CLIENT_HELLO:
    case PC_TLS_HS_SERVER_HELLO: on_hello(t, dir, body, len, ts); break;
    case PC_TLS_HS_CERTIFICATE: on_certificate(t, dir, body, len, ts); break;
    default: break;
    }
}

/* The 4-byte message header is complete: decide how to take the body. */
static void msg_start(struct pc_tls *t, int dir, pc_time_ns ts)
{
    struct tls_dir *d = &t->d[dir];
    uint8_t type = d->mhdr[0];
    d->mlen = get24(d->mhdr + 1);
    d->mgot = 0;
    d->st.handshake_msgs++;
    bool wanted = type == PC_TLS_HS_CLIENT_HELLO || type == PC_TLS_HS_SERVER_HELLO ||
                  (type == PC_TLS_HS_CERTIFICATE && !t->tls13);
    d->mmode = wanted ? M_HOLD : M_SKIP;
    if (wanted && d->mlen > t->lim_hs) {
        report(t, dir, d->moff, "tls: handshake message over the tls-handshake limit (skipped)");
        d->mmode = M_SKIP;
    }
    if (d->mlen == 0) {
        if (d->mmode == M_HOLD) dispatch(t, dir, d->mhdr, 0, ts);
        msg_reset(d);
    }
}

/* Copy k body bytes into the held message, growing the buffer to the
 * message length the first time (the limit bounds it). */
static void msg_hold(struct pc_tls *t, int dir, const uint8_t *p, size_t k)
{
    struct tls_dir *d = &t->d[dir];
    if (d->cap < d->mlen) {
        uint8_t *b = realloc(d->buf, d->mlen);
        if (!b) {
            report(t, dir, d->moff, "tls: out of memory: handshake message skipped");
            d->mmode = M_SKIP;
            return;
        }
        d->buf = b;
        d->cap = d->mlen;
    }
    memcpy(d->buf + d->mgot, p, k);
}

/* Plaintext handshake bytes p[0..n) at stream offset `at`. */
static void hs_bytes(struct pc_tls *t, int dir, const uint8_t *p, size_t n, uint64_t at, pc_time_ns ts)
{
    struct tls_dir *d = &t->d[dir];
    while (n > 0 && !d->rec_skip && !d->encrypted) {
        if (d->after_sh13) {
            report(t, dir, at, "tls: handshake data after a TLS 1.3 ServerHello in the same record (not parsed)");
            d->rec_skip = true;
            return;
        }
        if (d->nmhdr == 0 && d->ccs_unsure) {
            /* after a ChangeCipherSpec of unknown meaning, only a new
             * ClientHello is plaintext (see the header) */
            if (p[0] != PC_TLS_HS_CLIENT_HELLO) {
                go_encrypted(t, dir);
                d->st.encrypted_records++;
                return;
            }
            d->ccs_unsure = false;
        }
        size_t k;
        if (d->nmhdr < HS_HLEN) {
            if (d->nmhdr == 0) {
                d->moff = at;
                d->mrver = d->rver;
            }
            k = HS_HLEN - d->nmhdr < n ? HS_HLEN - d->nmhdr : n;
            memcpy(d->mhdr + d->nmhdr, p, k);
            d->nmhdr = (uint8_t)(d->nmhdr + k);
            p += k, n -= k, at += k;
            if (d->nmhdr == HS_HLEN) msg_start(t, dir, ts);
            continue;
        }
        size_t want = d->mlen - d->mgot;
        k = want < n ? want : n;
        if (d->mmode == M_HOLD && d->mgot == 0 && k == want) {
            /* the whole body is here: parse it in place, hold nothing */
            dispatch(t, dir, p, d->mlen, ts);
            msg_reset(d);
            p += k, n -= k, at += k;
            continue;
        }
        if (d->mmode == M_HOLD) msg_hold(t, dir, p, k);
        d->mgot += (uint32_t)k;
        p += k, n -= k, at += k;
        if (d->mgot == d->mlen) {
            if (d->mmode == M_HOLD) dispatch(t, dir, d->buf, d->mlen, ts);
            msg_reset(d);
        }
    }
}

static void alert_bytes(struct pc_tls *t, int dir, const uint8_t *p, size_t n, pc_time_ns ts)
{
    struct tls_dir *d = &t->d[dir];
    for (size_t i = 0; i < n; i++) {
        if (!d->alert_half) {
            d->alert0 = p[i];
            d->alert_half = true;
            continue;
        }
        d->alert_half = false;
        d->st.alerts++;
        if (t->cb.alert) t->cb.alert(t->ctx, dir, d->alert0, p[i], false, ts);
    }
}

static void count_type(struct tls_dir *d)
{
    switch (d->type) {
    case PC_TLS_CCS: d->st.ccs_records++; break;
    case PC_TLS_ALERT: d->st.alert_records++; break;
    case PC_TLS_HANDSHAKE: d->st.handshake_records++; break;
    case PC_TLS_APPDATA: d->st.appdata_records++; break;
    default: d->st.heartbeat_records++; break;
    }
}

/* Why the first bytes of a direction are no TLS record. */
static const char *not_tls(const uint8_t *h)
{
    /* SSLv2 record: 2-byte header with the top bit set, then message type 1 */
    if ((h[0] & 0x80) && h[2] == 1) return "tls: not TLS (an SSLv2-compatible ClientHello, not supported)";
    return "tls: not TLS (no TLS record header at the start of the stream)";
}

/* The 5-byte record header is complete.  Returns false when the direction
 * stops. */
static bool record_begin(struct pc_tls *t, int dir, pc_time_ns ts)
{
    struct tls_dir *d = &t->d[dir];
    const uint8_t *h = d->hdr;
    uint16_t len = pc_get16(h + 3);
    bool first = d->st.records == 0;
    if (h[0] < PC_TLS_CCS || h[0] > PC_TLS_HEARTBEAT) {
        stop(t, dir, d->rec_off, first ? not_tls(h) : "tls: unknown record content type (framing lost)");
        return false;
    }
    if (h[1] != 3) {
        stop(t, dir, d->rec_off, first ? "tls: not TLS (record version not 0x03xx)" : "tls: record version not 0x03xx");
        return false;
    }
    if (len > REC_MAX) {
        stop(t, dir, d->rec_off, "tls: record longer than 2^14+2048 bytes");
        return false;
    }
    d->type = h[0];
    d->rver = pc_get16(h + 1);
    d->rlen = d->left = len;
    d->in_rec = true;
    d->rec_skip = d->after_sh13 = false;
    d->ccs_byte = 0;
    d->st.records++;
    count_type(d);
    if (d->alert_half && (d->type != PC_TLS_ALERT || d->encrypt_next)) {
        report(t, dir, d->rec_off, "tls: alert cut by a record of another type");
        d->alert_half = false;
    }
    if (msg_pending(d) && (d->type != PC_TLS_HANDSHAKE || d->encrypt_next || d->encrypted)) {
        report(t, dir, d->moff, "tls: handshake message cut by a record of another type");
        msg_reset(d);
    }
    if (d->encrypt_next) go_encrypted(t, dir);
    if (d->encrypted) d->st.encrypted_records++;
    if (len == 0 && d->type != PC_TLS_APPDATA && !d->encrypted)
        report(t, dir, d->rec_off, "tls: empty record of a type that must not be empty");
    /* An encrypted alert says nothing but that it is one.  After a
     * ChangeCipherSpec of unknown meaning, a 2-byte alert is plaintext. */
    if (d->type == PC_TLS_ALERT && (d->encrypted || (d->ccs_unsure && len != 2))) {
        d->rec_skip = true;
        d->st.alerts++;
        if (t->cb.alert) t->cb.alert(t->ctx, dir, -1, -1, true, ts);
    }
    return true;
}

static void record_end(struct pc_tls *t, int dir)
{
    struct tls_dir *d = &t->d[dir];
    d->in_rec = false;
    d->nhdr = 0;
    if (d->type != PC_TLS_CCS) return;
    if (!d->rec_skip && (d->rlen != 1 || d->ccs_byte != 1))
        report(t, dir, d->rec_off, "tls: ChangeCipherSpec that is not the one byte 1");
    if (d->encrypted) return;
    if (t->sh_seen && !t->tls13) d->encrypt_next = true;
    else if (!t->sh_seen) d->ccs_unsure = true;
}

static void record_body(struct pc_tls *t, int dir, const uint8_t *p, size_t k, pc_time_ns ts)
{
    struct tls_dir *d = &t->d[dir];
    switch (d->type) {
    case PC_TLS_HANDSHAKE:
        if (!d->encrypted && !d->rec_skip && !d->hs_dead) hs_bytes(t, dir, p, k, d->off, ts);
        break;
    case PC_TLS_ALERT:
        if (!d->encrypted && !d->rec_skip) alert_bytes(t, dir, p, k, ts);
        break;
    case PC_TLS_CCS:
        if (d->left == d->rlen) d->ccs_byte = p[0];
        break;
    case PC_TLS_APPDATA: d->st.appdata_bytes += k; break;
    default: break;
    }
}

void pc_tls_feed(struct pc_tls *t, int dir, const uint8_t *p, size_t n, pc_time_ns ts)
{
    if (!t || (dir != 0 && dir != 1) || !n) return;
    struct tls_dir *d = &t->d[dir];
    d->st.bytes += n;
    if (d->stopped) {
        d->off += n;
        return;
    }
    while (n > 0) {
        size_t k;
        if (!d->in_rec) {
            if (d->nhdr == 0) d->rec_off = d->off;
            k = REC_HLEN - d->nhdr < n ? REC_HLEN - d->nhdr : n;
            memcpy(d->hdr + d->nhdr, p, k);
            d->nhdr = (uint8_t)(d->nhdr + k);
            d->off += k, p += k, n -= k;
            if (d->nhdr < REC_HLEN) break;
            if (!record_begin(t, dir, ts)) {
                d->off += n;
                return;
            }
            if (d->left == 0) record_end(t, dir);
            continue;
        }
        k = d->left < n ? d->left : n;
        record_body(t, dir, p, k, ts);
        d->off += k, d->left -= (uint32_t)k, p += k, n -= k;
        if (d->left == 0) record_end(t, dir);
    }
}

/* A gap of n bytes inside the current handshake record: the message it
 * falls in is lost, but when the gap stays inside that message's body the
 * handshake framing survives. */
static void hs_gap(struct pc_tls *t, int dir, uint64_t n)
{
    struct tls_dir *d = &t->d[dir];
    if (d->nmhdr == HS_HLEN && n <= d->mlen - d->mgot) {
        if (d->mmode == M_HOLD) report(t, dir, d->moff, "tls: handshake message lost in a gap");
        d->mmode = M_SKIP;
        d->mgot += (uint32_t)n;
        if (d->mgot == d->mlen) msg_reset(d);
        return;
    }
    report(t, dir, d->off, "tls: gap in handshake data: the handshake is no longer parsed");
    d->hs_dead = true;
    msg_reset(d);
    release_dir(d);
}

void pc_tls_gap(struct pc_tls *t, int dir, uint64_t n)
{
    if (!t || (dir != 0 && dir != 1) || !n) return;
    struct tls_dir *d = &t->d[dir];
    d->st.bytes += n;
    d->st.gap_bytes += n;
    if (d->stopped) {
        d->off += n;
        return;
    }
    if (!d->in_rec || n > d->left) {
        uint64_t at = d->off;
        d->off += n;
        stop(t, dir, at, "tls: gap across a record boundary: framing lost");
        return;
    }
    if (!d->encrypted && !d->rec_skip) {
        if (d->type == PC_TLS_HANDSHAKE && !d->hs_dead) hs_gap(t, dir, n);
        else if (d->type != PC_TLS_HANDSHAKE) d->rec_skip = true; /* an alert or CCS cannot be read whole */
        if (d->type == PC_TLS_ALERT) d->alert_half = false;
    }
    if (d->type == PC_TLS_APPDATA) d->st.appdata_bytes += n;
    d->off += n;
    d->left -= (uint32_t)n;
    if (d->left == 0) record_end(t, dir);
}

void pc_tls_end(struct pc_tls *t, int dir, pc_time_ns ts)
{
    (void)ts;
    if (!t || (dir != 0 && dir != 1)) return;
    struct tls_dir *d = &t->d[dir];
    if (d->stopped) return;
    if (d->in_rec || d->nhdr) report(t, dir, d->rec_off, "tls: stream ends inside a record");
    else if (msg_pending(d) && !d->encrypted && !d->hs_dead)
        report(t, dir, d->moff, "tls: stream ends inside a handshake message");
    else if (d->alert_half) report(t, dir, d->off, "tls: stream ends inside an alert");
    d->stopped = d->st.stopped = true;
    release_dir(d);
    maybe_release(t);
}

/* ------------------------------------------------------------------ peek */

static int peek_fail(struct pc_tls_scratch *s, int code, const char *why)
{
    s->why = why;
    return code;
}

static bool peek_room(struct pc_tls_scratch *s, size_t need)
{
    if (s->cap >= need) return true;
    uint8_t *b = realloc(s->buf, need);
    if (!b) return false;
    s->buf = b;
    s->cap = need;
    return true;
}

/* The message header and body spread over the records of p: copy them
 * into dst (need bytes).  Returns 0 or an error code with s->why. */
static int peek_gather(const uint8_t *p, size_t n, uint8_t *dst, size_t need, struct pc_tls_scratch *s)
{
    size_t pos = 0, got = 0;
    while (got < need) {
        if (n - pos < REC_HLEN) return peek_fail(s, PC_ETRUNC, "tls: payload ends before the hello does");
        const uint8_t *h = p + pos;
        size_t rl = pc_get16(h + 3);
        if (pos && h[0] != PC_TLS_HANDSHAKE) return peek_fail(s, PC_EMALFORMED, "tls: hello cut by a record of another type");
        if (h[1] != 3) return peek_fail(s, PC_EMALFORMED, "tls: record version not 0x03xx");
        if (rl > REC_MAX) return peek_fail(s, PC_EMALFORMED, "tls: record longer than 2^14+2048 bytes");
        if (rl == 0) return peek_fail(s, PC_EMALFORMED, "tls: empty record of a type that must not be empty");
        size_t avail = n - pos - REC_HLEN < rl ? n - pos - REC_HLEN : rl;
        size_t k = need - got < avail ? need - got : avail;
        memcpy(dst + got, h + REC_HLEN, k);
        got += k;
        if (got < need && avail < rl) return peek_fail(s, PC_ETRUNC, "tls: payload ends before the hello does");
        pos += REC_HLEN + rl;
    }
    return 0;
}

void pc_tls_scratch_free(struct pc_tls_scratch *s)
{
    free(s->buf);
    s->buf = NULL;
    s->cap = 0;
}

int pc_tls_peek(const uint8_t *p, size_t n, struct pc_tls_hello *out, struct pc_tls_scratch *s)
{
    s->why = NULL;
    if (n < REC_HLEN || p[0] != PC_TLS_HANDSHAKE || p[1] != 3 || pc_get16(p + 3) > REC_MAX) return 0;
    size_t rl = pc_get16(p + 3);
    if (rl == 0) return peek_fail(s, PC_EMALFORMED, "tls: empty record of a type that must not be empty");
    if (n < REC_HLEN + 1) return peek_fail(s, PC_ETRUNC, "tls: payload ends before the hello does");
    uint8_t type = p[REC_HLEN];
    if (type != PC_TLS_HS_CLIENT_HELLO && type != PC_TLS_HS_SERVER_HELLO) return 0;
    struct pc_limits def;
    const struct pc_limits *lim = s->lim;
    if (!lim) {
        pc_limits_default(&def);
        lim = &def;
    }
    uint8_t hdr[HS_HLEN];
    int rc = peek_gather(p, n, hdr, HS_HLEN, s);
    if (rc) return rc;
    size_t mlen = get24(hdr + 1);
    if (mlen > lim->tls_handshake)
        return peek_fail(s, PC_ELIMIT, "tls: handshake message over the tls-handshake limit (skipped)");
    bool inplace = HS_HLEN + mlen <= rl && REC_HLEN + HS_HLEN + mlen <= n;
    size_t copy = inplace ? 0 : (HS_HLEN + mlen + 3) & ~(size_t)3; /* the lists after it, aligned */
    size_t room = list_room(mlen);
    if (!peek_room(s, copy + room)) return peek_fail(s, PC_ENOMEM, "tls: out of memory");
    const uint8_t *body = p + REC_HLEN + HS_HLEN;
    if (!inplace) {
        rc = peek_gather(p, n, s->buf, HS_HLEN + mlen, s);
        if (rc) return rc;
        body = s->buf + HS_HLEN;
    }
    const char *why = parse_hello(body, mlen, type == PC_TLS_HS_CLIENT_HELLO, out, (uint16_t *)(void *)(s->buf + copy),
                                  room / 2, lim->tls_extensions);
    if (why) return peek_fail(s, why == why_ext_limit ? PC_ELIMIT : PC_EMALFORMED, why);
    out->record_version = pc_get16(p + 1);
    out->offset = REC_HLEN;
    return 1;
}

bool pc_tls_probe(const uint8_t *p, size_t n)
{
    if (n < REC_HLEN + 1 || p[0] != PC_TLS_HANDSHAKE || p[1] != 3 || p[2] > 4) return false;
    uint16_t rl = pc_get16(p + 3);
    if (rl == 0 || rl > REC_MAX) return false;
    if (p[5] != PC_TLS_HS_CLIENT_HELLO && p[5] != PC_TLS_HS_SERVER_HELLO) return false;
    if (n >= REC_HLEN + HS_HLEN && get24(p + 6) < HELLO_MIN) return false;
    return n < REC_HLEN + HS_HLEN + 1 || p[9] == 3; /* the hello's own version: SSL 3.0 and later */
}

/* ---------------------------------------------------------- fingerprints */

static const char hexdig[] = "0123456789abcdef";

static void put_dec(struct pc_fmt *f, unsigned v)
{
    char b[12];
    size_t i = sizeof b;
    do {
        b[--i] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    pc_fmt_put(f, b + i, sizeof b - i);
}

static void put_hex4(struct pc_fmt *f, uint16_t v)
{
    char b[4] = { hexdig[v >> 12], hexdig[(v >> 8) & 15], hexdig[(v >> 4) & 15], hexdig[v & 15] };
    pc_fmt_put(f, b, sizeof b);
}

/* Non-GREASE values joined by sep, in decimal or 4-digit hex. */
static void put_list(struct pc_fmt *f, const uint16_t *v, uint32_t n, char sep, bool hex)
{
    bool first = true;
    for (uint32_t i = 0; i < n; i++) {
        if (pc_tls_is_grease(v[i])) continue;
        if (!first) pc_fmt_putc(f, sep);
        first = false;
        if (hex) put_hex4(f, v[i]);
        else put_dec(f, v[i]);
    }
}

static int fmt_result(const struct pc_fmt *f)
{
    if (f->err) return f->err;
    return f->cut ? PC_ENOSPC : 0;
}

int pc_tls_ja3(const struct pc_tls_hello *h, struct pc_fmt *f)
{
    if (!h->client) return PC_EINVAL;
    put_dec(f, h->legacy_version);
    pc_fmt_putc(f, ',');
    put_list(f, h->ciphers, h->n_ciphers, '-', false);
    pc_fmt_putc(f, ',');
    put_list(f, h->ext, h->n_ext, '-', false);
    pc_fmt_putc(f, ',');
    put_list(f, h->groups, h->n_groups, '-', false);
    pc_fmt_putc(f, ',');
    for (uint32_t i = 0; i < h->n_point_formats; i++) {
        if (i) pc_fmt_putc(f, '-');
        put_dec(f, h->point_formats[i]);
    }
    return fmt_result(f);
}

int pc_tls_ja3s(const struct pc_tls_hello *h, struct pc_fmt *f)
{
    if (h->client || !h->n_ciphers) return PC_EINVAL;
    put_dec(f, h->legacy_version);
    pc_fmt_putc(f, ',');
    put_dec(f, h->ciphers[0]);
    pc_fmt_putc(f, ',');
    put_list(f, h->ext, h->n_ext, '-', false);
    return fmt_result(f);
}

/* Digests of text written through a pc_fmt as it is produced: no limit
 * on the length and no buffer beyond the staging one. */
struct digest {
    bool md5;
    struct pc_md5 m;
    struct pc_sha256 s;
    struct pc_fmt f;
    char stage[512];
};

static int digest_sink(void *ctx, const char *p, size_t n)
{
    struct digest *g = ctx;
    if (g->md5) pc_md5_update(&g->m, p, n);
    else pc_sha256_update(&g->s, p, n);
    return 0;
}

static void digest_begin(struct digest *g, bool md5)
{
    g->md5 = md5;
    if (md5) pc_md5_init(&g->m);
    else pc_sha256_init(&g->s);
    pc_fmt_init_sink(&g->f, g->stage, sizeof g->stage, false, digest_sink, g);
}

/* out gets nhex lower-case hex digits of the digest and a NUL. */
static void digest_end(struct digest *g, char *out, size_t nhex)
{
    uint8_t d[32];
    pc_fmt_flush(&g->f);
    if (g->md5) pc_md5_final(&g->m, d);
    else pc_sha256_final(&g->s, d);
    char all[65];
    pc_hex(d, g->md5 ? 16 : 32, all);
    memcpy(out, all, nhex);
    out[nhex] = 0;
}

int pc_tls_ja3_md5(const struct pc_tls_hello *h, char out[33])
{
    struct digest g;
    digest_begin(&g, true);
    int rc = pc_tls_ja3(h, &g.f);
    if (rc == 0) digest_end(&g, out, 32);
    return rc;
}

int pc_tls_ja3s_md5(const struct pc_tls_hello *h, char out[33])
{
    struct digest g;
    digest_begin(&g, true);
    int rc = pc_tls_ja3s(h, &g.f);
    if (rc == 0) digest_end(&g, out, 32);
    return rc;
}

/* JA4's two-character version. */
static const char *ja4_version(uint16_t v)
{
    switch (v) {
    case 0x0304: return "13";
    case 0x0303: return "12";
    case 0x0302: return "11";
    case 0x0301: return "10";
    case 0x0300: return "s3";
    case 0x0002: return "s2";
    case 0xFEFF: return "d1";
    case 0xFEFD: return "d2";
    case 0xFEFC: return "d3";
    default: return "00";
    }
}

static bool is_alnum(uint8_t c) { return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z'); }

/* First and last character of an ALPN value; when either end is not
 * alphanumeric, the first and last hex digits of the value instead. */
static void ja4_alpn(const uint8_t *p, size_t n, char out[2])
{
    if (!p || !n) {
        out[0] = out[1] = '0';
        return;
    }
    uint8_t a = p[0], z = p[n - 1];
    if (is_alnum(a) && is_alnum(z)) {
        out[0] = (char)a, out[1] = (char)z;
        return;
    }
    out[0] = hexdig[a >> 4], out[1] = hexdig[z & 15];
}

static uint32_t count_real(const uint16_t *v, uint32_t n)
{
    uint32_t k = 0;
    for (uint32_t i = 0; i < n; i++) k += !pc_tls_is_grease(v[i]);
    return k;
}

static void two_digits(char *out, uint32_t n)
{
    if (n > 99) n = 99;
    out[0] = (char)('0' + n / 10), out[1] = (char)('0' + n % 10);
}

/* The first part: protocol, version, SNI, counts, ALPN (10 characters). */
static void ja4_a(const struct pc_tls_hello *h, char out[10])
{
    out[0] = 't';
    memcpy(out + 1, ja4_version(h->version), 2);
    out[3] = h->has_sni ? 'd' : 'i';
    two_digits(out + 4, count_real(h->ciphers, h->n_ciphers));
    two_digits(out + 6, count_real(h->ext, h->n_ext));
    ja4_alpn(h->alpn_first, h->alpn_first_len, out + 8);
}

static int cmp_u16(const void *a, const void *b)
{
    uint16_t x = *(const uint16_t *)a, y = *(const uint16_t *)b;
    return (x > y) - (x < y);
}

/* The cipher and extension lists JA4 hashes: GREASE removed; sorted, and
 * without SNI and ALPN, unless original order is asked for.  One
 * allocation holds both (free l->c). */
struct ja4_lists {
    uint16_t *c, *e;
    uint32_t nc, ne;
};

static int ja4_lists(const struct pc_tls_hello *h, unsigned flags, struct ja4_lists *l)
{
    bool orig = flags & PC_TLS_JA4_ORIGINAL;
    l->c = malloc(((size_t)h->n_ciphers + h->n_ext + 1) * sizeof(uint16_t));
    if (!l->c) return PC_ENOMEM;
    l->e = l->c + h->n_ciphers;
    l->nc = l->ne = 0;
    for (uint32_t i = 0; i < h->n_ciphers; i++)
        if (!pc_tls_is_grease(h->ciphers[i])) l->c[l->nc++] = h->ciphers[i];
    for (uint32_t i = 0; i < h->n_ext; i++) {
        uint16_t v = h->ext[i];
        if (pc_tls_is_grease(v) || (!orig && (v == PC_TLS_EXT_SERVER_NAME || v == PC_TLS_EXT_ALPN))) continue;
        l->e[l->ne++] = v;
    }
    if (!orig) {
        qsort(l->c, l->nc, sizeof(uint16_t), cmp_u16);
        qsort(l->e, l->ne, sizeof(uint16_t), cmp_u16);
    }
    return 0;
}

/* The text of part c: extensions, then '_' and the signature algorithms
 * in wire order when there are any. */
static void ja4_c_text(struct pc_fmt *f, const struct ja4_lists *l, const struct pc_tls_hello *h)
{
    put_list(f, l->e, l->ne, ',', true);
    if (count_real(h->sig_algs, h->n_sig_algs)) {
        pc_fmt_putc(f, '_');
        put_list(f, h->sig_algs, h->n_sig_algs, ',', true);
    }
}

int pc_tls_ja4(const struct pc_tls_hello *h, unsigned flags, char out[PC_TLS_JA4_LEN + 1])
{
    if (!h->client) return PC_EINVAL;
    struct ja4_lists l;
    int rc = ja4_lists(h, flags, &l);
    if (rc) return rc;
    ja4_a(h, out);
    out[10] = '_';
    struct digest g;
    /* an empty list is written as twelve zeros rather than the hash of nothing */
    if (!l.nc) {
        memcpy(out + 11, "000000000000", 12);
    } else {
        digest_begin(&g, false);
        put_list(&g.f, l.c, l.nc, ',', true);
        digest_end(&g, out + 11, 12);
    }
    out[23] = '_';
    if (!l.ne) {
        memcpy(out + 24, "000000000000", 13);
    } else {
        digest_begin(&g, false);
        ja4_c_text(&g.f, &l, h);
        digest_end(&g, out + 24, 12);
    }
    out[PC_TLS_JA4_LEN] = 0;
    free(l.c);
    return 0;
}

int pc_tls_ja4_raw(const struct pc_tls_hello *h, unsigned flags, struct pc_fmt *f)
{
    if (!h->client) return PC_EINVAL;
    struct ja4_lists l;
    int rc = ja4_lists(h, flags, &l);
    if (rc) return rc;
    char a[10];
    ja4_a(h, a);
    pc_fmt_put(f, a, sizeof a);
    pc_fmt_putc(f, '_');
    put_list(f, l.c, l.nc, ',', true);
    pc_fmt_putc(f, '_');
    ja4_c_text(f, &l, h);
    free(l.c);
    return fmt_result(f);
}

/* JA4S part a and the cipher: "t130200_1301" (12 characters). */
static void ja4s_ab(const struct pc_tls_hello *h, char out[12])
{
    out[0] = 't';
    memcpy(out + 1, ja4_version(h->version), 2);
    two_digits(out + 3, count_real(h->ext, h->n_ext));
    ja4_alpn(h->alpn_first, h->alpn_first_len, out + 5);
    out[7] = '_';
    uint16_t c = h->ciphers[0];
    char b[4] = { hexdig[c >> 12], hexdig[(c >> 8) & 15], hexdig[(c >> 4) & 15], hexdig[c & 15] };
    memcpy(out + 8, b, 4);
}

int pc_tls_ja4s(const struct pc_tls_hello *h, char out[PC_TLS_JA4S_LEN + 1])
{
    if (h->client || !h->n_ciphers) return PC_EINVAL;
    ja4s_ab(h, out);
    out[12] = '_';
    if (!count_real(h->ext, h->n_ext)) {
        memcpy(out + 13, "000000000000", 13);
        return 0;
    }
    struct digest g;
    digest_begin(&g, false);
    /* wire order: servers do not shuffle.  GREASE is left out as JA4.md
     * says of every list (FoxIO's python keeps it here; servers send none) */
    put_list(&g.f, h->ext, h->n_ext, ',', true);
    digest_end(&g, out + 13, 12);
    return 0;
}

int pc_tls_ja4s_raw(const struct pc_tls_hello *h, struct pc_fmt *f)
{
    if (h->client || !h->n_ciphers) return PC_EINVAL;
    char ab[12];
    ja4s_ab(h, ab);
    pc_fmt_put(f, ab, sizeof ab);
    pc_fmt_putc(f, '_');
    put_list(f, h->ext, h->n_ext, ',', true);
    return fmt_result(f);
}

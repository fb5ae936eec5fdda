/* Generated TLS 1.3 and 1.2 connections (see pktcraft/traffic/tlsgen.h). */
#include "pktcraft/traffic/tlsgen.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "pktcraft/analysis/tls.h"
#include "pktcraft/core/fmt.h"
#include "pktcraft/core/hash.h"
#include "pktcraft/core/rand.h"

/* ============================================================== names */

/* How a suite protects TLS 1.2 records, and who it suits. */
enum { KX_13 = 0, KX_ECDHE_ECDSA, KX_ECDHE_RSA, KX_RSA, KX_DHE_RSA, KX_NONE };
enum { PROT_GCM = 1, PROT_CHACHA, PROT_CBC, PROT_CCM, PROT_CCM8, PROT_NONE };

struct suite {
    uint16_t id;
    uint8_t kx, prot;
    uint8_t mac;      /* CBC: HMAC length */
    uint8_t block;    /* CBC: cipher block (IV) length */
    uint8_t hash;     /* PRF / HKDF hash length (Finished in TLS 1.3) */
    const char *name;
};

static const struct suite SUITES[] = {
    { 0x1301, KX_13, PROT_GCM, 0, 0, 32, "TLS_AES_128_GCM_SHA256" },
    { 0x1302, KX_13, PROT_GCM, 0, 0, 48, "TLS_AES_256_GCM_SHA384" },
    { 0x1303, KX_13, PROT_CHACHA, 0, 0, 32, "TLS_CHACHA20_POLY1305_SHA256" },
    { 0x1304, KX_13, PROT_CCM, 0, 0, 32, "TLS_AES_128_CCM_SHA256" },
    { 0x1305, KX_13, PROT_CCM8, 0, 0, 32, "TLS_AES_128_CCM_8_SHA256" },
    { 0xc02b, KX_ECDHE_ECDSA, PROT_GCM, 0, 0, 32, "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256" },
    { 0xc02f, KX_ECDHE_RSA, PROT_GCM, 0, 0, 32, "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256" },
    { 0xc02c, KX_ECDHE_ECDSA, PROT_GCM, 0, 0, 48, "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384" },
    { 0xc030, KX_ECDHE_RSA, PROT_GCM, 0, 0, 48, "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384" },
    { 0xcca9, KX_ECDHE_ECDSA, PROT_CHACHA, 0, 0, 32, "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256" },
    { 0xcca8, KX_ECDHE_RSA, PROT_CHACHA, 0, 0, 32, "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256" },
    { 0xc0ac, KX_ECDHE_ECDSA, PROT_CCM, 0, 0, 32, "TLS_ECDHE_ECDSA_WITH_AES_128_CCM" },
    { 0xc0ae, KX_ECDHE_ECDSA, PROT_CCM8, 0, 0, 32, "TLS_ECDHE_ECDSA_WITH_AES_128_CCM_8" },
    { 0xc009, KX_ECDHE_ECDSA, PROT_CBC, 20, 16, 32, "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA" },
    { 0xc00a, KX_ECDHE_ECDSA, PROT_CBC, 20, 16, 32, "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA" },
    { 0xc013, KX_ECDHE_RSA, PROT_CBC, 20, 16, 32, "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA" },
    { 0xc014, KX_ECDHE_RSA, PROT_CBC, 20, 16, 32, "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA" },
    { 0xc023, KX_ECDHE_ECDSA, PROT_CBC, 32, 16, 32, "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256" },
    { 0xc024, KX_ECDHE_ECDSA, PROT_CBC, 48, 16, 48, "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384" },
    { 0xc027, KX_ECDHE_RSA, PROT_CBC, 32, 16, 32, "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256" },
    { 0xc028, KX_ECDHE_RSA, PROT_CBC, 48, 16, 48, "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384" },
    { 0x009e, KX_DHE_RSA, PROT_GCM, 0, 0, 32, "TLS_DHE_RSA_WITH_AES_128_GCM_SHA256" },
    { 0x009f, KX_DHE_RSA, PROT_GCM, 0, 0, 48, "TLS_DHE_RSA_WITH_AES_256_GCM_SHA384" },
    { 0xccaa, KX_DHE_RSA, PROT_CHACHA, 0, 0, 32, "TLS_DHE_RSA_WITH_CHACHA20_POLY1305_SHA256" },
    { 0x009c, KX_RSA, PROT_GCM, 0, 0, 32, "TLS_RSA_WITH_AES_128_GCM_SHA256" },
    { 0x009d, KX_RSA, PROT_GCM, 0, 0, 48, "TLS_RSA_WITH_AES_256_GCM_SHA384" },
    { 0x002f, KX_RSA, PROT_CBC, 20, 16, 32, "TLS_RSA_WITH_AES_128_CBC_SHA" },
    { 0x0035, KX_RSA, PROT_CBC, 20, 16, 32, "TLS_RSA_WITH_AES_256_CBC_SHA" },
    { 0x003c, KX_RSA, PROT_CBC, 32, 16, 32, "TLS_RSA_WITH_AES_128_CBC_SHA256" },
    { 0x003d, KX_RSA, PROT_CBC, 32, 16, 32, "TLS_RSA_WITH_AES_256_CBC_SHA256" },
    { 0x000a, KX_RSA, PROT_CBC, 20, 8, 32, "TLS_RSA_WITH_3DES_EDE_CBC_SHA" },
    { 0x00ff, KX_NONE, PROT_NONE, 0, 0, 32, "TLS_EMPTY_RENEGOTIATION_INFO_SCSV" },
    { 0x5600, KX_NONE, PROT_NONE, 0, 0, 32, "TLS_FALLBACK_SCSV" },
};
#define N_SUITES (sizeof SUITES / sizeof SUITES[0])

static const struct suite *suite_find(uint16_t id)
{
    for (size_t i = 0; i < N_SUITES; i++)
        if (SUITES[i].id == id) return &SUITES[i];
    return NULL;
}

struct group {
    uint16_t id;
    uint16_t klen, sklen;  /* key share bytes: client, server */
    const char *name, *alias1, *alias2;
};

static const struct group GROUPS[] = {
    { 0x001d, 32, 32, "x25519", "X25519", NULL },
    { 0x0017, 65, 65, "secp256r1", "P-256", "prime256v1" },
    { 0x0018, 97, 97, "secp384r1", "P-384", NULL },
    { 0x0019, 133, 133, "secp521r1", "P-521", NULL },
    { 0x001e, 56, 56, "x448", NULL, NULL },
    { 0x0100, 256, 256, "ffdhe2048", NULL, NULL },
    { 0x0101, 384, 384, "ffdhe3072", NULL, NULL },
    { 0x0102, 512, 512, "ffdhe4096", NULL, NULL },
    { 0x0103, 768, 768, "ffdhe6144", NULL, NULL },
    { 0x0104, 1024, 1024, "ffdhe8192", NULL, NULL },
    { 0x11ec, 1216, 1120, "X25519MLKEM768", NULL, NULL },
    { 0x6399, 1216, 1120, "X25519Kyber768Draft00", NULL, NULL },
};
#define N_GROUPS (sizeof GROUPS / sizeof GROUPS[0])

static const struct group *group_find(uint16_t id)
{
    for (size_t i = 0; i < N_GROUPS; i++)
        if (GROUPS[i].id == id) return &GROUPS[i];
    return NULL;
}

const char *pc_tls_cipher_name(uint16_t v)
{
    const struct suite *s = suite_find(v);
    return s ? s->name : NULL;
}

const char *pc_tls_group_name(uint16_t v)
{
    const struct group *g = group_find(v);
    return g ? g->name : NULL;
}

size_t pc_tls_group_keylen(uint16_t group, bool server)
{
    const struct group *g = group_find(group);
    if (!g) return 32;
    return server ? g->sklen : g->klen;
}

/* "0x1301" or exactly four hex digits. */
static bool parse_hex16(const char *s, uint16_t *out)
{
    if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) s += 2;
    else if (strlen(s) != 4) return false;
    size_t n = strlen(s);
    if (n == 0 || n > 4 || strspn(s, "0123456789abcdefABCDEF") != n) return false;
    *out = (uint16_t)strtoul(s, NULL, 16);
    return true;
}

bool pc_tls_cipher_lookup(const char *s, uint16_t *out)
{
    for (size_t i = 0; i < N_SUITES; i++)
        if (!strcasecmp(s, SUITES[i].name)) {
            *out = SUITES[i].id;
            return true;
        }
    return parse_hex16(s, out);
}

bool pc_tls_group_lookup(const char *s, uint16_t *out)
{
    for (size_t i = 0; i < N_GROUPS; i++) {
        const struct group *g = &GROUPS[i];
        if (!strcasecmp(s, g->name) || (g->alias1 && !strcasecmp(s, g->alias1)) ||
            (g->alias2 && !strcasecmp(s, g->alias2))) {
            *out = g->id;
            return true;
        }
    }
    return parse_hex16(s, out);
}

/* =========================================================== defaults */

/* Chromium's offer (2024), without the GREASE it adds itself. */
static const uint16_t CIPHERS13[] = { 0x1301, 0x1302, 0x1303, 0xc02b, 0xc02f, 0xc02c, 0xc030, 0xcca9,
                                      0xcca8, 0xc013, 0xc014, 0x009c, 0x009d, 0x002f, 0x0035 };
/* A TLS 1.2-only client offers no TLS 1.3 suites. */
static const uint16_t CIPHERS12[] = { 0xc02b, 0xc02f, 0xc02c, 0xc030, 0xcca9, 0xcca8,
                                      0xc013, 0xc014, 0x009c, 0x009d, 0x002f, 0x0035 };
static const uint16_t GROUPS_DEF[] = { 0x001d, 0x0017, 0x0018 };
static const uint16_t SIG_ALGS[] = { 0x0403, 0x0804, 0x0401, 0x0503, 0x0805, 0x0501, 0x0806, 0x0601 };

void pc_tlsgen_opts_default(struct pc_tlsgen_opts *o)
{
    memset(o, 0, sizeof *o);
    o->version = PC_TLSGEN_V13;
}

/* ============================================================ helpers */

/* An independent stream per purpose, so that (say) a longer response
 * leaves the hello's random alone. */
static void sub_rng(struct pc_rng *r, uint64_t seed, uint64_t label)
{
    pc_rng_seed(r, seed ^ (label * UINT64_C(0x9E3779B97F4A7C15)));
    (void)pc_rng_next(r);
}

static void fill(struct pc_rng *r, uint8_t *p, size_t n)
{
    while (n) {
        uint64_t v = pc_rng_next(r);
        for (int i = 0; i < 8 && n; i++, n--) *p++ = (uint8_t)(v >> (8 * i));
    }
}

static void put_random(struct pc_gbuf *b, struct pc_rng *r, size_t n)
{
    uint8_t *d = pc_gbuf_room(b, n);
    if (d) fill(r, d, n);
}

/* Key exchange bytes for a group: a real point for secp256r1 (a key made
 * from the stream, so a checker that validates points is satisfied),
 * 0x04 and random coordinates for the other NIST curves (uncompressed
 * form, SEC 1 2.3.3), random bytes otherwise (any 32 bytes are an x25519
 * key). */
static void key_bytes(struct pc_rng *r, uint16_t group, uint8_t *k, size_t klen)
{
    if (group == 0x0017 && klen == 65) {
        struct pc_ec_key key;
        pc_ec_key_from_seed(&key, pc_rng_next(r));
        memcpy(k, key.q, 65);
        return;
    }
    fill(r, k, klen);
    if (group == 0x0018 || group == 0x0019) k[0] = 4;
}

/* A GREASE value (RFC 8701 section 2), not equal to avoid (0: none). */
static uint16_t grease(struct pc_rng *r, uint16_t avoid)
{
    for (;;) {
        uint16_t v = (uint16_t)(0x0A0A + 0x1010 * pc_rng_below(r, 16));
        if (v != avoid) return v;
    }
}

static void seterr(struct pc_err *err, int code, const char *msg)
{
    if (!err) return;
    memset(err, 0, sizeof *err);
    err->code = code;
    snprintf(err->msg, sizeof err->msg, "%s", msg);
}

/* ======================================================= ClientHello */

/* Extension header: type, then a 16-bit length closed by ext_end. */
static size_t ext_begin(struct pc_gbuf *b, uint16_t type)
{
    pc_gbuf_u16(b, type);
    return pc_gbuf_open(b, 2);
}
static void ext_end(struct pc_gbuf *b, size_t at) { pc_gbuf_close(b, at, 2); }

static void ch_key_shares(struct pc_gbuf *b, const struct pc_tlsgen_opts *o, const uint16_t *ks, size_t nks,
                          uint16_t g_grease, struct pc_rng *rng)
{
    size_t e = ext_begin(b, 51);
    size_t l = pc_gbuf_open(b, 2);
    if (o->grease) { /* Chromium: a one-byte share for the GREASE group first */
        pc_gbuf_u16(b, g_grease);
        pc_gbuf_u16(b, 1);
        pc_gbuf_u8(b, 0);
    }
    for (size_t i = 0; i < nks; i++) {
        size_t klen = pc_tls_group_keylen(ks[i], false);
        pc_gbuf_u16(b, ks[i]);
        pc_gbuf_u16(b, (unsigned)klen);
        uint8_t *k = pc_gbuf_room(b, klen);
        if (!k) continue;
        key_bytes(rng, ks[i], k, klen);
    }
    pc_gbuf_close(b, l, 2);
    ext_end(b, e);
}

int pc_tlsgen_client_hello(const struct pc_tlsgen_opts *o, struct pc_rng *rng, struct pc_gbuf *out)
{
    bool v13 = o->version != PC_TLSGEN_V12;
    const uint16_t *ciphers = o->ciphers, *groups = o->groups, *ks = o->key_shares;
    size_t nc = o->n_ciphers, ng = o->n_groups, nks = o->n_key_shares;
    if (!ciphers) {
        ciphers = v13 ? CIPHERS13 : CIPHERS12;
        nc = v13 ? sizeof CIPHERS13 / 2 : sizeof CIPHERS12 / 2;
    }
    if (!groups) {
        groups = GROUPS_DEF;
        ng = sizeof GROUPS_DEF / 2;
    }
    if (!ks) {
        ks = groups;
        nks = 1;
    }
    if (!nc || !ng || nc > PC_TLSGEN_MAX_LIST || ng > PC_TLSGEN_MAX_LIST || nks > PC_TLSGEN_MAX_LIST ||
        o->n_alpn > PC_TLSGEN_MAX_ALPN)
        return PC_EINVAL;

    /* GREASE values: the two extensions differ; the key share uses the
     * supported_groups value (as BoringSSL does) */
    uint16_t g_cipher = grease(rng, 0), g_ext1 = grease(rng, 0), g_ext2 = grease(rng, g_ext1);
    uint16_t g_group = grease(rng, 0), g_version = grease(rng, 0);

    pc_gbuf_u8(out, PC_TLS_HS_CLIENT_HELLO);
    size_t body = pc_gbuf_open(out, 3);
    pc_gbuf_u16(out, 0x0303);
    put_random(out, rng, 32);
    pc_gbuf_u8(out, 32); /* session id: TLS 1.3 middlebox compatibility, Chromium sends one for 1.2 too */
    put_random(out, rng, 32);
    size_t cl = pc_gbuf_open(out, 2);
    if (o->grease) pc_gbuf_u16(out, g_cipher);
    for (size_t i = 0; i < nc; i++) pc_gbuf_u16(out, ciphers[i]);
    pc_gbuf_close(out, cl, 2);
    pc_gbuf_u8(out, 1);
    pc_gbuf_u8(out, 0); /* null compression */

    size_t exts = pc_gbuf_open(out, 2);
    size_t e;
    if (o->grease) ext_end(out, ext_begin(out, g_ext1));
    if (o->sni && o->sni[0]) {
        size_t n = strlen(o->sni);
        if (n > 0xFFFF - 5) return PC_EINVAL;
        e = ext_begin(out, 0);
        size_t list = pc_gbuf_open(out, 2);
        pc_gbuf_u8(out, 0); /* host_name */
        pc_gbuf_u16(out, (unsigned)n);
        pc_gbuf_put(out, o->sni, n);
        pc_gbuf_close(out, list, 2);
        ext_end(out, e);
    }
    ext_end(out, ext_begin(out, 23)); /* extended_master_secret */
    e = ext_begin(out, 0xff01);       /* renegotiation_info, empty */
    pc_gbuf_u8(out, 0);
    ext_end(out, e);
    e = ext_begin(out, 10);
    size_t gl = pc_gbuf_open(out, 2);
    if (o->grease) pc_gbuf_u16(out, g_group);
    for (size_t i = 0; i < ng; i++) pc_gbuf_u16(out, groups[i]);
    pc_gbuf_close(out, gl, 2);
    ext_end(out, e);
    e = ext_begin(out, 11); /* ec_point_formats: uncompressed */
    pc_gbuf_u8(out, 1);
    pc_gbuf_u8(out, 0);
    ext_end(out, e);
    ext_end(out, ext_begin(out, 35)); /* session_ticket, empty: no ticket yet */
    if (o->n_alpn) {
        e = ext_begin(out, 16);
        size_t al = pc_gbuf_open(out, 2);
        for (size_t i = 0; i < o->n_alpn; i++) {
            size_t n = strlen(o->alpn[i]);
            if (n == 0 || n > 255) return PC_EINVAL;
            pc_gbuf_u8(out, (unsigned)n);
            pc_gbuf_put(out, o->alpn[i], n);
        }
        pc_gbuf_close(out, al, 2);
        ext_end(out, e);
    }
    e = ext_begin(out, 13);
    size_t sl = pc_gbuf_open(out, 2);
    for (size_t i = 0; i < sizeof SIG_ALGS / 2; i++) pc_gbuf_u16(out, SIG_ALGS[i]);
    pc_gbuf_close(out, sl, 2);
    ext_end(out, e);
    if (v13) {
        ch_key_shares(out, o, ks, nks, g_group, rng);
        e = ext_begin(out, 45); /* psk_key_exchange_modes: psk_dhe_ke */
        pc_gbuf_u8(out, 1);
        pc_gbuf_u8(out, 1);
        ext_end(out, e);
        e = ext_begin(out, 43);
        size_t vl = pc_gbuf_open(out, 1);
        if (o->grease) pc_gbuf_u16(out, g_version);
        pc_gbuf_u16(out, 0x0304);
        pc_gbuf_u16(out, 0x0303);
        pc_gbuf_close(out, vl, 1);
        ext_end(out, e);
    }
    if (o->grease) { /* Chromium's last extension: GREASE with one zero byte */
        e = ext_begin(out, g_ext2);
        pc_gbuf_u8(out, 0);
        ext_end(out, e);
    }
    pc_gbuf_close(out, exts, 2);
    pc_gbuf_close(out, body, 3);
    return out->err;
}

/* ======================================================= ServerHello */

static bool has_u16(const uint16_t *v, uint32_t n, uint16_t x)
{
    for (uint32_t i = 0; i < n; i++)
        if (v[i] == x) return true;
    return false;
}

/* The server's choices from the client's hello. */
static int choose(const struct pc_tls_hello *h, int key, struct pc_tlsgen_choice *c, struct pc_err *err)
{
    bool v13 = h->has_versions && has_u16(h->versions, h->n_versions, 0x0304);
    c->version = v13 ? PC_TLSGEN_V13 : PC_TLSGEN_V12;
    c->cipher = 0;
    for (uint32_t i = 0; i < h->n_ciphers && !c->cipher; i++) {
        const struct suite *s = suite_find(h->ciphers[i]);
        if (!s || pc_tls_is_grease(h->ciphers[i])) continue;
        if (v13 ? s->kx == KX_13
                : (s->kx == KX_ECDHE_ECDSA && key == PC_X509_KEY_EC) || (s->kx == KX_ECDHE_RSA && key == PC_X509_KEY_RSA))
            c->cipher = s->id;
    }
    if (!c->cipher) {
        seterr(err, PC_EUNSUPP,
               v13 ? "no TLS 1.3 cipher suite (TLS_AES_128_GCM_SHA256 ...) offered"
                   : key == PC_X509_KEY_RSA ? "no ECDHE_RSA cipher suite offered for the server's RSA certificate"
                                            : "no ECDHE_ECDSA cipher suite offered for the server's EC certificate");
        return PC_EUNSUPP;
    }
    c->group = 0;
    if (v13) {
        for (uint32_t i = 0; i < h->n_key_shares && !c->group; i++)
            if (!pc_tls_is_grease(h->key_shares[i])) c->group = h->key_shares[i];
        if (!c->group) {
            seterr(err, PC_EUNSUPP, "no key share offered (a HelloRetryRequest is not generated)");
            return PC_EUNSUPP;
        }
    } else {
        static const uint16_t ecdhe[] = { 0x001d, 0x0017, 0x0018, 0x0019 };
        for (uint32_t i = 0; i < h->n_groups && !c->group; i++)
            if (has_u16(ecdhe, 4, h->groups[i])) c->group = h->groups[i];
        if (!c->group) {
            seterr(err, PC_EUNSUPP, "no ECDHE group (x25519, secp256r1, secp384r1, secp521r1) offered");
            return PC_EUNSUPP;
        }
    }
    c->alpn_len = 0;
    if (h->has_alpn && h->alpn_first) {
        c->alpn_len = h->alpn_first_len;
        memcpy(c->alpn, h->alpn_first, c->alpn_len);
    }
    memcpy(c->client_random, h->random, 32);
    return 0;
}

int pc_tlsgen_server_hello(const uint8_t *ch, size_t ch_len, int key, struct pc_rng *rng,
                           struct pc_tlsgen_choice *c, struct pc_gbuf *out, struct pc_err *err)
{
    struct pc_tls_scratch s = { 0 };
    struct pc_tls_hello h;
    int rc = pc_tls_peek(ch, ch_len, &h, &s);
    if (rc != 1 || !h.client) {
        pc_tls_scratch_free(&s);
        seterr(err, PC_EINVAL, "the ClientHello does not parse");
        return PC_EINVAL;
    }
    memset(c, 0, sizeof *c);
    rc = choose(&h, key, c, err);
    bool ems = has_u16(h.ext, h.n_ext, 23), reneg = has_u16(h.ext, h.n_ext, 0xff01) || has_u16(h.ciphers, h.n_ciphers, 0x00ff);
    bool pf = h.has_point_formats;
    uint8_t sid_len = h.session_id_len;
    uint8_t sid[32];
    memcpy(sid, h.session_id, sid_len);
    pc_tls_scratch_free(&s);
    if (rc < 0) return rc;

    fill(rng, c->server_random, 32);
    if (c->version == PC_TLSGEN_V13) { /* legacy_session_id_echo */
        c->session_id_len = sid_len;
        memcpy(c->session_id, sid, sid_len);
    } else { /* a new session */
        c->session_id_len = 32;
        fill(rng, c->session_id, 32);
    }
    pc_gbuf_u8(out, PC_TLS_HS_SERVER_HELLO);
    size_t body = pc_gbuf_open(out, 3);
    pc_gbuf_u16(out, 0x0303);
    pc_gbuf_put(out, c->server_random, 32);
    pc_gbuf_u8(out, c->session_id_len);
    pc_gbuf_put(out, c->session_id, c->session_id_len);
    pc_gbuf_u16(out, c->cipher);
    pc_gbuf_u8(out, 0);
    size_t exts = pc_gbuf_open(out, 2);
    size_t e;
    if (c->version == PC_TLSGEN_V13) {
        e = ext_begin(out, 43);
        pc_gbuf_u16(out, 0x0304);
        ext_end(out, e);
        e = ext_begin(out, 51);
        size_t klen = pc_tls_group_keylen(c->group, true);
        pc_gbuf_u16(out, c->group);
        pc_gbuf_u16(out, (unsigned)klen);
        uint8_t *k = pc_gbuf_room(out, klen);
        if (k) {
            key_bytes(rng, c->group, k, klen);
        }
        ext_end(out, e);
    } else {
        if (reneg) {
            e = ext_begin(out, 0xff01);
            pc_gbuf_u8(out, 0);
            ext_end(out, e);
        }
        if (ems) ext_end(out, ext_begin(out, 23));
        if (pf) {
            e = ext_begin(out, 11);
            pc_gbuf_u8(out, 1);
            pc_gbuf_u8(out, 0);
            ext_end(out, e);
        }
        if (c->alpn_len) {
            e = ext_begin(out, 16);
            pc_gbuf_u16(out, c->alpn_len + 1u);
            pc_gbuf_u8(out, c->alpn_len);
            pc_gbuf_put(out, c->alpn, c->alpn_len);
            ext_end(out, e);
        }
    }
    pc_gbuf_close(out, exts, 2);
    pc_gbuf_close(out, body, 3);
    return out->err;
}

/* ============================================================ records */

void pc_tlsgen_records(struct pc_gbuf *out, uint8_t ct, uint16_t rv, const uint8_t *p, size_t n)
{
    do {
        size_t k = n < PC_TLSGEN_MAX_PLAIN ? n : PC_TLSGEN_MAX_PLAIN;
        pc_gbuf_u8(out, ct);
        pc_gbuf_u16(out, rv);
        pc_gbuf_u16(out, (unsigned)k);
        pc_gbuf_put(out, p, k);
        p += k;
        n -= k;
    } while (n);
}

uint32_t pc_tlsgen_sealed_len(const struct pc_tlsgen_choice *c, uint32_t plain)
{
    const struct suite *s = suite_find(c->cipher);
    if (c->version == PC_TLSGEN_V13) /* inner content type + tag (CCM_8: 8) */
        return plain + 1 + (s && s->prot == PROT_CCM8 ? 8 : 16);
    if (!s) return plain + 8 + 16;
    switch (s->prot) {
    case PROT_CHACHA: return plain + 16;            /* RFC 7905: no explicit nonce */
    case PROT_CCM8: return plain + 8 + 8;
    case PROT_CBC: {                                /* RFC 5246 6.2.3.2: IV, MAC, padding */
        uint32_t body = plain + s->mac + 1;
        uint32_t pad = (s->block - body % s->block) % s->block;
        return s->block + body + pad;
    }
    default: return plain + 8 + 16;                 /* GCM, CCM: RFC 5288 explicit nonce + tag */
    }
}

void pc_tlsgen_sealed(struct pc_gbuf *out, const struct pc_tlsgen_choice *c, uint8_t ct, uint32_t plain,
                      struct pc_rng *rng)
{
    uint32_t n = pc_tlsgen_sealed_len(c, plain);
    pc_gbuf_u8(out, c->version == PC_TLSGEN_V13 ? PC_TLS_APPDATA : ct);
    pc_gbuf_u16(out, 0x0303);
    pc_gbuf_u16(out, n);
    put_random(out, rng, n);
}

static void ccs(struct pc_gbuf *out)
{
    static const uint8_t rec[] = { PC_TLS_CCS, 0x03, 0x03, 0x00, 0x01, 0x01 };
    pc_gbuf_put(out, rec, sizeof rec);
}

/* One application write: records of at most 16384 plaintext bytes. */
static void app_records(struct pc_gbuf *out, const struct pc_tlsgen_choice *c, uint32_t len, struct pc_rng *rng)
{
    do {
        uint32_t k = len < PC_TLSGEN_MAX_PLAIN ? len : PC_TLSGEN_MAX_PLAIN;
        pc_tlsgen_sealed(out, c, PC_TLS_APPDATA, k, rng);
        len -= k;
    } while (len);
}

/* ============================================================= script */

static uint8_t suite_hash(uint16_t id)
{
    const struct suite *s = suite_find(id);
    return s ? s->hash : 32;
}

static int flight_add(struct pc_tlsgen *g, size_t cap, uint8_t dir, uint8_t kind, size_t off, int32_t app)
{
    if (g->n_flights >= cap) return PC_ELIMIT;
    struct pc_tlsgen_flight *f = &g->flights[g->n_flights++];
    f->dir = dir;
    f->kind = kind;
    f->off = off;
    f->len = g->bytes.len - off;
    f->app = app;
    return 0;
}

/* The server's certificate chain for TLS 1.2, into the Certificate
 * message; the generated one when the caller gave none. */
static int server_certs(const struct pc_tlsgen_opts *o, struct pc_tlsgen *g, const struct pc_ec_key *key,
                        struct pc_gbuf *msg)
{
    pc_gbuf_u8(msg, 11);
    size_t body = pc_gbuf_open(msg, 3);
    size_t list = pc_gbuf_open(msg, 3);
    if (o->n_certs) {
        const uint8_t *p = o->certs;
        for (size_t i = 0; i < o->n_certs; i++) {
            pc_gbuf_u24(msg, o->cert_sizes[i]);
            pc_gbuf_put(msg, p, o->cert_sizes[i]);
            p += o->cert_sizes[i];
            g->cert_bytes += o->cert_sizes[i];
        }
        g->n_certs = (uint32_t)o->n_certs;
    } else {
        struct pc_x509_opts xo = { .cn = o->sni && o->sni[0] ? o->sni : "localhost", .seed = o->seed, .key = key };
        xo.dns[0] = xo.cn;
        xo.ndns = 1;
        /* valid from a day before the start for 90 days, like an ACME certificate */
        xo.not_before = o->start - 86400 * PC_NS_PER_SEC;
        xo.not_after = xo.not_before + 90 * 86400 * PC_NS_PER_SEC;
        size_t len = pc_gbuf_open(msg, 3);
        size_t at = msg->len;
        int rc = pc_x509_selfsigned(&xo, msg);
        if (rc < 0) return rc;
        g->cert_bytes = msg->len - at;
        pc_gbuf_close(msg, len, 3);
        g->n_certs = 1;
    }
    pc_gbuf_close(msg, list, 3);
    pc_gbuf_close(msg, body, 3);
    return msg->err;
}

/* ServerKeyExchange (RFC 8422 5.4): ECDHE parameters and their signature
 * over client_random + server_random + params. */
static void server_key_exchange(const struct pc_tlsgen_choice *c, int keytype, const struct pc_ec_key *key,
                                struct pc_rng *rng, struct pc_gbuf *msg)
{
    pc_gbuf_u8(msg, 12);
    size_t body = pc_gbuf_open(msg, 3);
    size_t params = msg->len;
    pc_gbuf_u8(msg, 3); /* named_curve */
    pc_gbuf_u16(msg, c->group);
    size_t klen = pc_tls_group_keylen(c->group, true);
    pc_gbuf_u8(msg, (unsigned)klen);
    uint8_t *k = pc_gbuf_room(msg, klen);
    if (k) {
        key_bytes(rng, c->group, k, klen);
    }
    if (msg->err) return;
    struct pc_sha256 h;
    uint8_t dg[32];
    pc_sha256_init(&h);
    pc_sha256_update(&h, c->client_random, 32);
    pc_sha256_update(&h, c->server_random, 32);
    pc_sha256_update(&h, msg->p + params, msg->len - params);
    pc_sha256_final(&h, dg);
    if (keytype == PC_X509_KEY_RSA) { /* no RSA key here: a 2048-bit-sized stand-in */
        pc_gbuf_u16(msg, 0x0804);
        pc_gbuf_u16(msg, 256);
        put_random(msg, rng, 256);
    } else {
        pc_gbuf_u16(msg, 0x0403);
        size_t sl = pc_gbuf_open(msg, 2);
        pc_ecdsa_sign(key, dg, msg);
        pc_gbuf_close(msg, sl, 2);
    }
    pc_gbuf_close(msg, body, 3);
}

/* Sizes of the TLS 1.3 encrypted handshake messages the server flight
 * stands for: EncryptedExtensions, Certificate, CertificateVerify, Finished. */
static void tls13_server_sizes(const struct pc_tlsgen_opts *o, struct pc_tlsgen *g, struct pc_rng *rng,
                               uint32_t sz[4])
{
    const struct pc_tlsgen_choice *c = &g->choice;
    sz[0] = 4 + 2 + (c->alpn_len ? 4 + 2 + 1 + c->alpn_len : 0);
    uint32_t certs = 0;
    if (o->n_certs) {
        for (size_t i = 0; i < o->n_certs; i++) certs += 3 + o->cert_sizes[i] + 2;
        g->n_certs = (uint32_t)o->n_certs;
        g->cert_bytes = certs - 5 * o->n_certs;
    } else { /* a public chain's usual sizes: a leaf and one intermediate */
        uint32_t leaf = 1300 + (uint32_t)pc_rng_below(rng, 600), inter = 1050 + (uint32_t)pc_rng_below(rng, 250);
        certs = 3 + leaf + 2 + 3 + inter + 2;
        g->n_certs = 2;
        g->cert_bytes = leaf + inter;
    }
    sz[1] = 4 + 1 + 3 + certs;
    sz[2] = 4 + 2 + 2 + 70 + (uint32_t)pc_rng_below(rng, 3); /* ECDSA P-256: 70..72 */
    sz[3] = 4 + suite_hash(c->cipher);
}

static int check_opts(const struct pc_tlsgen_opts *o, struct pc_err *err)
{
    if (o->version && o->version != PC_TLSGEN_V12 && o->version != PC_TLSGEN_V13) {
        seterr(err, PC_EINVAL, "version must be TLS 1.2 (0x0303) or TLS 1.3 (0x0304)");
        return PC_EINVAL;
    }
    if ((o->ciphers && (!o->n_ciphers || o->n_ciphers > PC_TLSGEN_MAX_LIST)) ||
        (o->groups && (!o->n_groups || o->n_groups > PC_TLSGEN_MAX_LIST)) ||
        (o->key_shares && o->n_key_shares > PC_TLSGEN_MAX_LIST)) {
        seterr(err, PC_EINVAL, "cipher, group and key share lists hold 1 to 256 values");
        return PC_EINVAL;
    }
    if (o->n_alpn > PC_TLSGEN_MAX_ALPN) {
        seterr(err, PC_EINVAL, "at most 32 ALPN protocols");
        return PC_EINVAL;
    }
    for (size_t i = 0; i < o->n_alpn; i++) {
        size_t n = strlen(o->alpn[i]);
        if (n < 1 || n > 255) {
            seterr(err, PC_EINVAL, "an ALPN protocol name has 1 to 255 bytes");
            return PC_EINVAL;
        }
    }
    if (o->sni && strlen(o->sni) > 253) {
        seterr(err, PC_EINVAL, "the server name has at most 253 bytes");
        return PC_EINVAL;
    }
    if (o->n_certs > PC_TLSGEN_MAX_CERTS || o->n_app > PC_TLSGEN_MAX_APP) {
        seterr(err, PC_EINVAL, "at most 16 certificates and 4096 application writes");
        return PC_EINVAL;
    }
    for (size_t i = 0; i < o->n_app; i++)
        if (!o->app[i].len || o->app[i].dir > 1) {
            seterr(err, PC_EINVAL, "an application write is empty or has no direction");
            return PC_EINVAL;
        }
    return 0;
}

static int gbuf_err(struct pc_gbuf *b, struct pc_err *err)
{
    if (!b->err) return 0;
    seterr(err, b->err,
           b->err == PC_ENOMEM ? "out of memory" : "a TLS length field overflows (lists or names too long)");
    return b->err;
}

/* The server's first flight and the client's answer, TLS 1.3. */
static void flights13(const struct pc_tlsgen_opts *o, struct pc_tlsgen *g, struct pc_rng *rng, size_t cap,
                      size_t sh_at, size_t *next_app)
{
    uint32_t sz[4];
    tls13_server_sizes(o, g, rng, sz);
    ccs(&g->bytes);
    for (int i = 0; i < 4; i++) pc_tlsgen_sealed(&g->bytes, &g->choice, PC_TLS_HANDSHAKE, sz[i], rng);
    (void)flight_add(g, cap, 1, PC_TLSGEN_SERVER_FLIGHT, sh_at, -1);
    size_t at = g->bytes.len;
    ccs(&g->bytes);
    pc_tlsgen_sealed(&g->bytes, &g->choice, PC_TLS_HANDSHAKE, 4 + suite_hash(g->choice.cipher), rng);
    int32_t app = -1;
    if (o->n_app && o->app[0].dir == 0) { /* the first request goes with the Finished */
        app_records(&g->bytes, &g->choice, o->app[0].len, rng);
        app = 0;
        *next_app = 1;
    }
    (void)flight_add(g, cap, 0, PC_TLSGEN_CLIENT_FINISHED, at, app);
}

/* The same for TLS 1.2: Certificate, ServerKeyExchange, ServerHelloDone;
 * ClientKeyExchange, CCS, Finished; CCS, Finished. */
static int flights12(const struct pc_tlsgen_opts *o, struct pc_tlsgen *g, struct pc_rng *rng, size_t cap,
                     size_t sh_at, int keytype, struct pc_err *err)
{
    struct pc_ec_key key;
    pc_ec_key_from_seed(&key, o->seed);
    struct pc_gbuf msg = { 0 };
    int rc = server_certs(o, g, &key, &msg);
    if (rc < 0) {
        pc_gbuf_free(&msg);
        seterr(err, rc, rc == PC_EINVAL ? "the server name does not fit a certificate" : "certificate failed");
        return rc;
    }
    pc_tlsgen_records(&g->bytes, PC_TLS_HANDSHAKE, 0x0303, msg.p, msg.len);
    msg.len = 0;
    server_key_exchange(&g->choice, keytype, &key, rng, &msg);
    pc_tlsgen_records(&g->bytes, PC_TLS_HANDSHAKE, 0x0303, msg.p, msg.len);
    msg.len = 0;
    pc_gbuf_put(&msg, "\x0e\x00\x00\x00", 4); /* ServerHelloDone */
    pc_tlsgen_records(&g->bytes, PC_TLS_HANDSHAKE, 0x0303, msg.p, msg.len);
    (void)flight_add(g, cap, 1, PC_TLSGEN_SERVER_FLIGHT, sh_at, -1);

    size_t at = g->bytes.len;
    msg.len = 0;
    size_t klen = pc_tls_group_keylen(g->choice.group, false);
    pc_gbuf_u8(&msg, 16);
    pc_gbuf_u24(&msg, (uint32_t)(klen + 1));
    pc_gbuf_u8(&msg, (unsigned)klen);
    uint8_t *k = pc_gbuf_room(&msg, klen);
    if (k) {
        key_bytes(rng, g->choice.group, k, klen);
    }
    pc_tlsgen_records(&g->bytes, PC_TLS_HANDSHAKE, 0x0303, msg.p, msg.len);
    rc = msg.err;
    pc_gbuf_free(&msg);
    if (rc) return gbuf_err(&(struct pc_gbuf){ .err = rc }, err);
    ccs(&g->bytes);
    pc_tlsgen_sealed(&g->bytes, &g->choice, PC_TLS_HANDSHAKE, 16, rng); /* Finished: 4 + 12 */
    (void)flight_add(g, cap, 0, PC_TLSGEN_CLIENT_FINISHED, at, -1);
    at = g->bytes.len;
    ccs(&g->bytes);
    pc_tlsgen_sealed(&g->bytes, &g->choice, PC_TLS_HANDSHAKE, 16, rng);
    (void)flight_add(g, cap, 1, PC_TLSGEN_SERVER_FINISHED, at, -1);
    return 0;
}

int pc_tlsgen_run(const struct pc_tlsgen_opts *o, struct pc_tlsgen *g, struct pc_err *err)
{
    memset(g, 0, sizeof *g);
    int rc = check_opts(o, err);
    if (rc < 0) return rc;
    size_t cap = o->n_app + 4;
    g->flights = calloc(cap, sizeof *g->flights);
    if (!g->flights) {
        seterr(err, PC_ENOMEM, "out of memory");
        return PC_ENOMEM;
    }
    struct pc_rng hello, server, data;
    sub_rng(&hello, o->seed, 1);
    sub_rng(&server, o->seed, 2);
    sub_rng(&data, o->seed, 3);

    struct pc_gbuf msg = { 0 };
    rc = pc_tlsgen_client_hello(o, &hello, &msg);
    if (rc == PC_EINVAL) seterr(err, rc, "bad ClientHello options");
    else if (rc < 0) rc = gbuf_err(&msg, err);
    if (rc < 0) {
        pc_gbuf_free(&msg);
        return rc;
    }
    /* the ClientHello record carries version 0x0301, as browsers send it */
    pc_tlsgen_records(&g->bytes, PC_TLS_HANDSHAKE, 0x0301, msg.p, msg.len);
    g->ch_off = 0;
    g->ch_len = g->bytes.len;
    (void)flight_add(g, cap, 0, PC_TLSGEN_CLIENT_HELLO, 0, -1);

    int keytype = o->n_certs ? pc_x509_key_type(o->certs, o->cert_sizes[0]) : PC_X509_KEY_EC;
    if (!keytype) keytype = PC_X509_KEY_EC;
    msg.len = 0;
    rc = pc_tlsgen_server_hello(g->bytes.p + g->ch_off, g->ch_len, keytype, &server, &g->choice, &msg, err);
    if (rc < 0 || (rc = gbuf_err(&msg, err)) < 0) {
        pc_gbuf_free(&msg);
        return rc;
    }
    size_t sh_at = g->bytes.len;
    pc_tlsgen_records(&g->bytes, PC_TLS_HANDSHAKE, 0x0303, msg.p, msg.len);
    pc_gbuf_free(&msg);
    g->sh_off = sh_at;
    g->sh_len = g->bytes.len - sh_at;

    size_t next_app = 0;
    if (g->choice.version == PC_TLSGEN_V13) flights13(o, g, &server, cap, sh_at, &next_app);
    else if ((rc = flights12(o, g, &server, cap, sh_at, keytype, err)) < 0) return rc;
    for (size_t i = next_app; i < o->n_app; i++) {
        size_t at = g->bytes.len;
        app_records(&g->bytes, &g->choice, o->app[i].len, &data);
        (void)flight_add(g, cap, o->app[i].dir, PC_TLSGEN_APP, at, (int32_t)i);
    }
    return gbuf_err(&g->bytes, err);
}

void pc_tlsgen_free(struct pc_tlsgen *g)
{
    pc_gbuf_free(&g->bytes);
    free(g->flights);
    memset(g, 0, sizeof *g);
}

/* ============================================================== facts */

static void fact_str(struct pc_fmt *f, const char *key, const char *val)
{
    if (f->json) {
        if (val) pc_fmt_kstr(f, key, val);
        else pc_fmt_knull(f, key);
    } else {
        pc_fmt_text(f, "%s: %s\n", key, val ? val : "-");
    }
}

/* A fingerprint string (JA3, JA3S) through a growing writer. */
static int fact_fp(struct pc_fmt *f, const char *key, const struct pc_tls_hello *h,
                   int (*fn)(const struct pc_tls_hello *, struct pc_fmt *))
{
    struct pc_fmt s;
    pc_fmt_init_grow(&s, false);
    int rc = fn(h, &s);
    if (rc == 0 && s.err) rc = s.err;
    if (rc == 0) {
        pc_fmt_putc(&s, 0);
        rc = s.err;
    }
    if (rc == 0) fact_str(f, key, s.buf);
    pc_fmt_free(&s);
    return rc;
}

static int facts_client(const struct pc_tls_hello *h, struct pc_fmt *f)
{
    fact_str(f, "sni", h->has_sni ? h->sni : NULL);
    if (f->json) {
        pc_fmt_karr_open(f, "alpn_offered");
        uint32_t pos = 0;
        const uint8_t *name;
        uint8_t len;
        while (pc_tls_alpn_next(h, &pos, &name, &len)) pc_fmt_kbytes_str(f, NULL, name, len);
        pc_fmt_karr_close(f);
    } else {
        pc_fmt_text(f, "alpn_offered:");
        uint32_t pos = 0;
        const uint8_t *name;
        uint8_t len;
        int k = 0;
        while (pc_tls_alpn_next(h, &pos, &name, &len)) pc_fmt_text(f, "%s%.*s", k++ ? "," : " ", (int)len, name);
        pc_fmt_text(f, "%s\n", k ? "" : " -");
    }
    int rc = fact_fp(f, "ja3", h, pc_tls_ja3);
    char md5[33], ja4[PC_TLS_JA4_LEN + 1];
    if (rc == 0) rc = pc_tls_ja3_md5(h, md5);
    if (rc == 0) fact_str(f, "ja3_md5", md5);
    if (rc == 0) rc = pc_tls_ja4(h, 0, ja4);
    if (rc == 0) fact_str(f, "ja4", ja4);
    return rc;
}

static int facts_server(const struct pc_tlsgen *g, const struct pc_tls_hello *h, struct pc_fmt *f)
{
    const struct pc_tlsgen_choice *c = &g->choice;
    char alpn[257], hex[8];
    memcpy(alpn, c->alpn, c->alpn_len);
    alpn[c->alpn_len] = 0;
    fact_str(f, "alpn_selected", c->alpn_len ? alpn : NULL);
    snprintf(hex, sizeof hex, "0x%04x", c->cipher);
    const char *name = pc_tls_cipher_name(c->cipher);
    fact_str(f, "cipher", name ? name : hex);
    fact_str(f, "cipher_id", hex);
    snprintf(hex, sizeof hex, "0x%04x", c->group);
    name = pc_tls_group_name(c->group);
    fact_str(f, "group", name ? name : hex);
    int rc = fact_fp(f, "ja3s", h, pc_tls_ja3s);
    char md5[33], ja4s[PC_TLS_JA4S_LEN + 1];
    if (rc == 0) rc = pc_tls_ja3s_md5(h, md5);
    if (rc == 0) fact_str(f, "ja3s_md5", md5);
    if (rc == 0) rc = pc_tls_ja4s(h, ja4s);
    if (rc == 0) fact_str(f, "ja4s", ja4s);
    if (f->json) pc_fmt_kuint(f, "certificates", g->n_certs);
    else pc_fmt_text(f, "certificates: %u\n", g->n_certs);
    return rc;
}

int pc_tlsgen_facts(const struct pc_tlsgen *g, struct pc_fmt *f)
{
    if (!g->ch_len || !g->sh_len) return PC_EINVAL;
    struct pc_tls_scratch s = { 0 };
    struct pc_tls_hello h;
    fact_str(f, "version", pc_tls_version_name(g->choice.version));
    int rc = pc_tls_peek(g->bytes.p + g->ch_off, g->ch_len, &h, &s);
    if (rc == 1) rc = facts_client(&h, f);
    else if (rc == 0) rc = PC_EMALFORMED;
    if (rc == 0) {
        rc = pc_tls_peek(g->bytes.p + g->sh_off, g->sh_len, &h, &s);
        if (rc == 1) rc = facts_server(g, &h, f);
        else if (rc == 0) rc = PC_EMALFORMED;
    }
    pc_tls_scratch_free(&s);
    return rc;
}

/* Growable buffer, DER encoder, ECDSA P-256 and self-signed X.509 v3
 * certificates for generated TLS (see pktcraft/traffic/x509.h). */
#include "pktcraft/traffic/x509.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pktcraft/core/hash.h"
#include "pktcraft/core/rand.h"

/* ==================================================== growable buffer */

void pc_gbuf_free(struct pc_gbuf *b)
{
    free(b->p);
    memset(b, 0, sizeof *b);
}

uint8_t *pc_gbuf_room(struct pc_gbuf *b, size_t n)
{
    if (b->err) return NULL;
    if (n > SIZE_MAX / 4 - b->len) {
        b->err = PC_ELIMIT;
        return NULL;
    }
    if (b->len + n > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->len + n) cap *= 2;
        uint8_t *np = realloc(b->p, cap);
        if (!np) {
            b->err = PC_ENOMEM;
            return NULL;
        }
        b->p = np;
        b->cap = cap;
    }
    uint8_t *r = b->p + b->len;
    b->len += n;
    return r;
}

void pc_gbuf_put(struct pc_gbuf *b, const void *p, size_t n)
{
    uint8_t *d = pc_gbuf_room(b, n);
    if (d && n) memcpy(d, p, n);
}

void pc_gbuf_u8(struct pc_gbuf *b, unsigned v)
{
    uint8_t *d = pc_gbuf_room(b, 1);
    if (d) d[0] = (uint8_t)v;
}

void pc_gbuf_u16(struct pc_gbuf *b, unsigned v)
{
    uint8_t *d = pc_gbuf_room(b, 2);
    if (d) pc_put16(d, (uint16_t)v);
}

void pc_gbuf_u24(struct pc_gbuf *b, uint32_t v)
{
    uint8_t *d = pc_gbuf_room(b, 3);
    if (!d) return;
    d[0] = (uint8_t)(v >> 16);
    d[1] = (uint8_t)(v >> 8);
    d[2] = (uint8_t)v;
}

size_t pc_gbuf_open(struct pc_gbuf *b, int w)
{
    size_t at = b->len;
    uint8_t *d = pc_gbuf_room(b, (size_t)w);
    if (d) memset(d, 0, (size_t)w);
    return at;
}

void pc_gbuf_close(struct pc_gbuf *b, size_t at, int w)
{
    if (b->err) return;
    size_t len = b->len - at - (size_t)w;
    if (w < 3 && len >> (8 * w)) {
        b->err = PC_ELIMIT;
        return;
    }
    if (w == 3 && len > 0xFFFFFF) {
        b->err = PC_ELIMIT;
        return;
    }
    for (int i = w - 1; i >= 0; i--, len >>= 8) b->p[at + (size_t)i] = (uint8_t)len;
}

/* ================================================================ DER */

size_t pc_der_open(struct pc_gbuf *b, unsigned tag)
{
    pc_gbuf_u8(b, tag);
    size_t at = b->len;
    pc_gbuf_u8(b, 0);
    return at;
}

void pc_der_close(struct pc_gbuf *b, size_t at)
{
    if (b->err) return;
    size_t len = b->len - at - 1;
    if (len < 0x80) {
        b->p[at] = (uint8_t)len;
        return;
    }
    int k = 0;
    for (size_t v = len; v; v >>= 8) k++;
    /* the one reserved byte becomes 0x80|k and k length bytes follow */
    if (!pc_gbuf_room(b, (size_t)k)) return;
    memmove(b->p + at + 1 + k, b->p + at + 1, len);
    b->p[at] = (uint8_t)(0x80 | k);
    for (int i = k; i >= 1; i--, len >>= 8) b->p[at + (size_t)i] = (uint8_t)len;
}

void pc_der_tlv(struct pc_gbuf *b, unsigned tag, const void *p, size_t n)
{
    size_t at = pc_der_open(b, tag);
    pc_gbuf_put(b, p, n);
    pc_der_close(b, at);
}

void pc_der_uint(struct pc_gbuf *b, const uint8_t *p, size_t n)
{
    while (n > 1 && p[0] == 0) {
        p++;
        n--;
    }
    size_t at = pc_der_open(b, PC_DER_INTEGER);
    if (n == 0 || p[0] & 0x80) pc_gbuf_u8(b, 0);
    pc_gbuf_put(b, p, n);
    pc_der_close(b, at);
}

void pc_der_uint64(struct pc_gbuf *b, uint64_t v)
{
    uint8_t be[8];
    for (int i = 7; i >= 0; i--, v >>= 8) be[i] = (uint8_t)v;
    pc_der_uint(b, be, sizeof be);
}

/* One OID arc in base 128, high groups first with the continuation bit. */
static void der_arc(struct pc_gbuf *b, uint64_t v)
{
    uint8_t t[10];
    int k = 0;
    do {
        t[k++] = (uint8_t)(v & 0x7F);
        v >>= 7;
    } while (v);
    while (k-- > 0) pc_gbuf_u8(b, t[k] | (k ? 0x80u : 0u));
}

void pc_der_oid(struct pc_gbuf *b, const char *dotted)
{
    uint64_t arcs[32];
    size_t n = 0;
    const char *s = dotted;
    while (*s && n < 32) {
        if (*s < '0' || *s > '9') break;
        uint64_t v = 0;
        while (*s >= '0' && *s <= '9' && v < (UINT64_C(1) << 56)) v = v * 10 + (uint64_t)(*s++ - '0');
        arcs[n++] = v;
        if (*s == '.') s++;
        else break;
    }
    if (*s || n < 2 || arcs[0] > 2 || (arcs[0] < 2 && arcs[1] > 39)) {
        if (!b->err) b->err = PC_EINVAL;
        return;
    }
    size_t at = pc_der_open(b, PC_DER_OID);
    der_arc(b, arcs[0] * 40 + arcs[1]);
    for (size_t i = 2; i < n; i++) der_arc(b, arcs[i]);
    pc_der_close(b, at);
}

/* Days since 1970-01-01 to a civil date (proleptic Gregorian). */
static void civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    unsigned doe = (unsigned)(z - era * 146097);
    unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    unsigned mp = (5 * doy + 2) / 153;
    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = (int64_t)yoe + era * 400 + (*m <= 2);
}

void pc_der_time(struct pc_gbuf *b, pc_time_ns t)
{
    int64_t s = t / PC_NS_PER_SEC - (t % PC_NS_PER_SEC < 0);
    int64_t days = s / 86400 - (s % 86400 < 0);
    int64_t sod = s - days * 86400;
    int64_t y;
    unsigned mo, d;
    civil_from_days(days, &y, &mo, &d);
    if (y < 0 || y > 9999) y = y < 0 ? 0 : 9999;
    char txt[24];
    unsigned hh = (unsigned)(sod / 3600), mm = (unsigned)(sod / 60 % 60), ss = (unsigned)(sod % 60);
    unsigned tag;
    if (y >= 1950 && y <= 2049) {
        tag = PC_DER_UTCTIME;
        snprintf(txt, sizeof txt, "%02u%02u%02u%02u%02u%02uZ", (unsigned)(y % 100), mo, d, hh, mm, ss);
    } else {
        tag = PC_DER_GENTIME;
        snprintf(txt, sizeof txt, "%04u%02u%02u%02u%02u%02uZ", (unsigned)y, mo, d, hh, mm, ss);
    }
    pc_der_tlv(b, tag, txt, strlen(txt));
}

int pc_der_next(const uint8_t *p, size_t n, unsigned *tag, const uint8_t **content, size_t *clen, size_t *total)
{
    if (n < 2 || (p[0] & 0x1F) == 0x1F) return 0;
    size_t len, hl;
    if (p[1] < 0x80) {
        len = p[1];
        hl = 2;
    } else {
        unsigned k = p[1] & 0x7F;
        /* no indefinite lengths (BER only), at most 4 length bytes */
        if (k == 0 || k > 4 || n < 2 + (size_t)k) return 0;
        len = 0;
        for (unsigned i = 0; i < k; i++) len = len << 8 | p[2 + i];
        hl = 2 + k;
    }
    if (len > n - hl) return 0;
    *tag = p[0];
    *content = p + hl;
    *clen = len;
    *total = hl + len;
    return 1;
}

/* ====================================================== P-256 numbers */

/* 256-bit numbers as eight 32-bit limbs, least significant first.
 * Arithmetic modulo p (the field) and n (the group order) is done in
 * Montgomery form with R = 2^256. */
typedef uint32_t bn[8];

struct mod {
    bn m;
    bn r2;         /* R^2 mod m */
    uint32_t m0i;  /* -m^-1 mod 2^32 */
};

static const bn P256_P = { 0xFFFFFFFF, 0xFFFFFFFF, 0xFFFFFFFF, 0x00000000, 0x00000000, 0x00000000, 0x00000001,
                           0xFFFFFFFF };
static const bn P256_N = { 0xFC632551, 0xF3B9CAC2, 0xA7179E84, 0xBCE6FAAD, 0xFFFFFFFF, 0xFFFFFFFF, 0x00000000,
                           0xFFFFFFFF };
static const bn P256_B = { 0x27D2604B, 0x3BCE3C3E, 0xCC53B0F6, 0x651D06B0, 0x769886BC, 0xB3EBBD55, 0xAA3A93E7,
                           0x5AC635D8 };
static const bn P256_GX = { 0xD898C296, 0xF4A13945, 0x2DEB33A0, 0x77037D81, 0x63A440F2, 0xF8BCE6E5, 0xE12C4247,
                            0x6B17D1F2 };
static const bn P256_GY = { 0x37BF51F5, 0xCBB64068, 0x6B315ECE, 0x2BCE3357, 0x7C0F9E16, 0x8EE7EB4A, 0xFE1A7F9B,
                            0x4FE342E2 };

static void bn_from_be(bn r, const uint8_t b[32])
{
    for (int i = 0; i < 8; i++) r[i] = pc_get32(b + 28 - 4 * i);
}
static void bn_to_be(uint8_t b[32], const bn a)
{
    for (int i = 0; i < 8; i++) pc_put32(b + 28 - 4 * i, a[i]);
}
static int bn_cmp(const bn a, const bn b)
{
    for (int i = 7; i >= 0; i--)
        if (a[i] != b[i]) return a[i] < b[i] ? -1 : 1;
    return 0;
}
static bool bn_zero(const bn a)
{
    uint32_t o = 0;
    for (int i = 0; i < 8; i++) o |= a[i];
    return o == 0;
}
/* r = a - b, returns the borrow */
static uint32_t bn_sub(bn r, const bn a, const bn b)
{
    int64_t c = 0;
    for (int i = 0; i < 8; i++) {
        c += (int64_t)a[i] - b[i];
        r[i] = (uint32_t)c;
        c >>= 32;
    }
    return (uint32_t)(c & 1);
}
/* r = a + b, returns the carry */
static uint32_t bn_add(bn r, const bn a, const bn b)
{
    uint64_t c = 0;
    for (int i = 0; i < 8; i++) {
        c += (uint64_t)a[i] + b[i];
        r[i] = (uint32_t)c;
        c >>= 32;
    }
    return (uint32_t)c;
}
static void mod_add(const struct mod *md, bn r, const bn a, const bn b)
{
    uint32_t c = bn_add(r, a, b);
    if (c || bn_cmp(r, md->m) >= 0) bn_sub(r, r, md->m);
}
static void mod_sub(const struct mod *md, bn r, const bn a, const bn b)
{
    if (bn_sub(r, a, b)) bn_add(r, r, md->m);
}
/* r = a * b / R mod m (CIOS); a, b < m */
static void mod_mul(const struct mod *md, bn r, const bn a, const bn b)
{
    uint32_t t[10] = { 0 };
    for (int i = 0; i < 8; i++) {
        uint64_t c = 0;
        for (int j = 0; j < 8; j++) {
            c += t[j] + (uint64_t)a[j] * b[i];
            t[j] = (uint32_t)c;
            c >>= 32;
        }
        c += t[8];
        t[8] = (uint32_t)c;
        t[9] = (uint32_t)(c >> 32);
        uint32_t q = t[0] * md->m0i;
        c = (t[0] + (uint64_t)q * md->m[0]) >> 32;
        for (int j = 1; j < 8; j++) {
            c += t[j] + (uint64_t)q * md->m[j];
            t[j - 1] = (uint32_t)c;
            c >>= 32;
        }
        c += t[8];
        t[7] = (uint32_t)c;
        t[8] = t[9] + (uint32_t)(c >> 32);
    }
    bn res;
    memcpy(res, t, sizeof res);
    if (t[8] || bn_cmp(res, md->m) >= 0) bn_sub(res, res, md->m);
    memcpy(r, res, sizeof res);
}
static void mod_init(struct mod *md, const bn m)
{
    memcpy(md->m, m, sizeof md->m);
    uint32_t inv = 1;
    for (int i = 0; i < 5; i++) inv *= 2 - m[0] * inv;
    md->m0i = (uint32_t)(0u - inv);
    /* R mod m = 2^256 - m (m > 2^255), then doubled 256 times: R^2 mod m */
    bn x = { 0 };
    bn_sub(x, x, m);
    for (int i = 0; i < 256; i++) mod_add(md, x, x, x);
    memcpy(md->r2, x, sizeof x);
}
static void mod_to(const struct mod *md, bn r, const bn a) { mod_mul(md, r, a, md->r2); }
static void mod_from(const struct mod *md, bn r, const bn a)
{
    static const bn one = { 1 };
    mod_mul(md, r, a, one);
}
/* r = a^(m-2) (Montgomery form in and out): the inverse, m prime */
static void mod_inv(const struct mod *md, bn r, const bn a)
{
    bn e, acc;
    static const bn two = { 2 };
    bn_sub(e, md->m, two);
    static const bn one = { 1 };
    mod_to(md, acc, one);
    for (int i = 255; i >= 0; i--) {
        mod_mul(md, acc, acc, acc);
        if (e[i / 32] >> (i % 32) & 1) mod_mul(md, acc, acc, a);
    }
    memcpy(r, acc, sizeof acc);
}

/* ====================================================== P-256 points */

/* Jacobian coordinates, field elements in Montgomery form; inf marks the
 * point at infinity. */
struct jpt {
    bn x, y, z;
    bool inf;
};

static void pt_double(const struct mod *f, struct jpt *r, const struct jpt *p)
{
    if (p->inf || bn_zero(p->y)) {
        r->inf = true;
        return;
    }
    bn delta, gamma, beta, alpha, t1, t2, x3, y3, z3;
    mod_mul(f, delta, p->z, p->z);
    mod_mul(f, gamma, p->y, p->y);
    mod_mul(f, beta, p->x, gamma);
    mod_sub(f, t1, p->x, delta);
    mod_add(f, t2, p->x, delta);
    mod_mul(f, alpha, t1, t2);
    mod_add(f, t1, alpha, alpha);
    mod_add(f, alpha, t1, alpha);          /* alpha = 3 (x - delta)(x + delta) */
    mod_mul(f, x3, alpha, alpha);
    mod_add(f, t1, beta, beta);
    mod_add(f, t1, t1, t1);                /* 4 beta */
    mod_add(f, t2, t1, t1);                /* 8 beta */
    mod_sub(f, x3, x3, t2);
    mod_add(f, t2, p->y, p->z);
    mod_mul(f, z3, t2, t2);
    mod_sub(f, z3, z3, gamma);
    mod_sub(f, z3, z3, delta);
    mod_sub(f, t1, t1, x3);
    mod_mul(f, y3, alpha, t1);
    mod_mul(f, t2, gamma, gamma);
    mod_add(f, t2, t2, t2);
    mod_add(f, t2, t2, t2);
    mod_add(f, t2, t2, t2);                /* 8 gamma^2 */
    mod_sub(f, y3, y3, t2);
    memcpy(r->x, x3, sizeof x3);
    memcpy(r->y, y3, sizeof y3);
    memcpy(r->z, z3, sizeof z3);
    r->inf = false;
}

static void pt_add(const struct mod *f, struct jpt *r, const struct jpt *p, const struct jpt *q)
{
    if (p->inf) {
        *r = *q;
        return;
    }
    if (q->inf) {
        *r = *p;
        return;
    }
    bn z1z1, z2z2, u1, u2, s1, s2, h, rr, hh, hhh, v, t;
    mod_mul(f, z1z1, p->z, p->z);
    mod_mul(f, z2z2, q->z, q->z);
    mod_mul(f, u1, p->x, z2z2);
    mod_mul(f, u2, q->x, z1z1);
    mod_mul(f, t, q->z, z2z2);
    mod_mul(f, s1, p->y, t);
    mod_mul(f, t, p->z, z1z1);
    mod_mul(f, s2, q->y, t);
    mod_sub(f, h, u2, u1);
    mod_sub(f, rr, s2, s1);
    if (bn_zero(h)) {
        if (bn_zero(rr)) pt_double(f, r, p);
        else r->inf = true;
        return;
    }
    struct jpt o;
    mod_mul(f, hh, h, h);
    mod_mul(f, hhh, h, hh);
    mod_mul(f, v, u1, hh);
    mod_mul(f, o.x, rr, rr);
    mod_sub(f, o.x, o.x, hhh);
    mod_sub(f, o.x, o.x, v);
    mod_sub(f, o.x, o.x, v);
    mod_sub(f, t, v, o.x);
    mod_mul(f, o.y, rr, t);
    mod_mul(f, t, s1, hhh);
    mod_sub(f, o.y, o.y, t);
    mod_mul(f, t, p->z, q->z);
    mod_mul(f, o.z, t, h);
    o.inf = false;
    *r = o;
}

/* k * P by double-and-add (k plain, not Montgomery). */
static void pt_mul(const struct mod *f, struct jpt *r, const bn k, const struct jpt *p)
{
    struct jpt acc = { .inf = true };
    for (int i = 255; i >= 0; i--) {
        pt_double(f, &acc, &acc);
        if (k[i / 32] >> (i % 32) & 1) pt_add(f, &acc, &acc, p);
    }
    *r = acc;
}

/* Affine x and y (plain numbers); false at infinity. */
static bool pt_affine(const struct mod *f, const struct jpt *p, bn x, bn y)
{
    if (p->inf) return false;
    bn zi, zi2, zi3, t;
    mod_inv(f, zi, p->z);
    mod_mul(f, zi2, zi, zi);
    mod_mul(f, zi3, zi2, zi);
    mod_mul(f, t, p->x, zi2);
    mod_from(f, x, t);
    mod_mul(f, t, p->y, zi3);
    mod_from(f, y, t);
    return true;
}

static void pt_from_affine(const struct mod *f, struct jpt *r, const bn x, const bn y)
{
    static const bn one = { 1 };
    mod_to(f, r->x, x);
    mod_to(f, r->y, y);
    mod_to(f, r->z, one);
    r->inf = false;
}

struct p256 {
    struct mod f, n;
    struct jpt g;
};

static void p256_init(struct p256 *c)
{
    mod_init(&c->f, P256_P);
    mod_init(&c->n, P256_N);
    pt_from_affine(&c->f, &c->g, P256_GX, P256_GY);
}

bool pc_ec_on_curve(const uint8_t q[65])
{
    if (q[0] != 4) return false;
    struct p256 c;
    p256_init(&c);
    bn x, y, xm, ym, lhs, rhs, t, b;
    bn_from_be(x, q + 1);
    bn_from_be(y, q + 33);
    if (bn_cmp(x, P256_P) >= 0 || bn_cmp(y, P256_P) >= 0) return false;
    mod_to(&c.f, xm, x);
    mod_to(&c.f, ym, y);
    mod_to(&c.f, b, P256_B);
    mod_mul(&c.f, lhs, ym, ym);
    mod_mul(&c.f, t, xm, xm);
    mod_mul(&c.f, rhs, t, xm);             /* x^3 */
    mod_sub(&c.f, rhs, rhs, xm);
    mod_sub(&c.f, rhs, rhs, xm);
    mod_sub(&c.f, rhs, rhs, xm);           /* x^3 - 3x */
    mod_add(&c.f, rhs, rhs, b);
    return bn_cmp(lhs, rhs) == 0;
}

/* A scalar in [1, n) from 32 bytes: reduced by subtraction (the bytes are
 * below 2^256 < 2n), zero replaced by one. */
static void scalar_from(bn k, const uint8_t b[32])
{
    bn_from_be(k, b);
    if (bn_cmp(k, P256_N) >= 0) bn_sub(k, k, P256_N);
    if (bn_zero(k)) k[0] = 1;
}

void pc_ec_key_from_seed(struct pc_ec_key *k, uint64_t seed)
{
    uint8_t in[24] = "pktcraft p256 key";
    for (int i = 0; i < 8; i++) in[16 + i] = (uint8_t)(seed >> (8 * i));
    uint8_t h[32];
    pc_sha256(in, sizeof in, h);
    bn d;
    scalar_from(d, h);
    bn_to_be(k->d, d);
    struct p256 c;
    p256_init(&c);
    struct jpt q;
    pt_mul(&c.f, &q, d, &c.g);
    bn x, y;
    pt_affine(&c.f, &q, x, y);
    k->q[0] = 4;
    bn_to_be(k->q + 1, x);
    bn_to_be(k->q + 33, y);
}

/* The DER Ecdsa-Sig-Value of (r, s). */
static void der_sig(struct pc_gbuf *out, const bn r, const bn s)
{
    uint8_t be[32];
    size_t at = pc_der_open(out, PC_DER_SEQUENCE);
    bn_to_be(be, r);
    pc_der_uint(out, be, 32);
    bn_to_be(be, s);
    pc_der_uint(out, be, 32);
    pc_der_close(out, at);
}

void pc_ecdsa_sign(const struct pc_ec_key *k, const uint8_t hash[32], struct pc_gbuf *out)
{
    struct p256 c;
    p256_init(&c);
    bn d, e, kk, r, s, dm, em, rm, km, ki, t;
    bn_from_be(d, k->d);
    bn_from_be(e, hash);
    if (bn_cmp(e, P256_N) >= 0) bn_sub(e, e, P256_N);
    for (uint8_t ctr = 0;; ctr++) {
        /* nonce: SHA-256(d || hash || counter), never reused for another digest */
        uint8_t in[65], kb[32];
        memcpy(in, k->d, 32);
        memcpy(in + 32, hash, 32);
        in[64] = ctr;
        pc_sha256(in, sizeof in, kb);
        scalar_from(kk, kb);
        struct jpt rp;
        pt_mul(&c.f, &rp, kk, &c.g);
        bn x, y;
        if (!pt_affine(&c.f, &rp, x, y)) continue;
        memcpy(r, x, sizeof r);
        if (bn_cmp(r, P256_N) >= 0) bn_sub(r, r, P256_N);
        if (bn_zero(r)) continue;
        /* s = k^-1 (e + r d) mod n */
        mod_to(&c.n, dm, d);
        mod_to(&c.n, em, e);
        mod_to(&c.n, rm, r);
        mod_to(&c.n, km, kk);
        mod_mul(&c.n, t, rm, dm);
        mod_add(&c.n, t, t, em);
        mod_inv(&c.n, ki, km);
        mod_mul(&c.n, t, t, ki);
        mod_from(&c.n, s, t);
        if (bn_zero(s)) continue;
        der_sig(out, r, s);
        return;
    }
}

int pc_ecdsa_verify(const uint8_t q[65], const uint8_t hash[32], const uint8_t rb[32], const uint8_t sb[32])
{
    if (!pc_ec_on_curve(q)) return 0;
    struct p256 c;
    p256_init(&c);
    bn r, s, e, w, u1, u2, t, sm, qx, qy;
    bn_from_be(r, rb);
    bn_from_be(s, sb);
    if (bn_zero(r) || bn_zero(s) || bn_cmp(r, P256_N) >= 0 || bn_cmp(s, P256_N) >= 0) return 0;
    bn_from_be(e, hash);
    if (bn_cmp(e, P256_N) >= 0) bn_sub(e, e, P256_N);
    mod_to(&c.n, sm, s);
    mod_inv(&c.n, w, sm);
    mod_to(&c.n, t, e);
    mod_mul(&c.n, t, t, w);
    mod_from(&c.n, u1, t);
    mod_to(&c.n, t, r);
    mod_mul(&c.n, t, t, w);
    mod_from(&c.n, u2, t);
    bn_from_be(qx, q + 1);
    bn_from_be(qy, q + 33);
    struct jpt qp, a, b2;
    pt_from_affine(&c.f, &qp, qx, qy);
    pt_mul(&c.f, &a, u1, &c.g);
    pt_mul(&c.f, &b2, u2, &qp);
    pt_add(&c.f, &a, &a, &b2);
    bn x, y;
    if (!pt_affine(&c.f, &a, x, y)) return 0;
    if (bn_cmp(x, P256_N) >= 0) bn_sub(x, x, P256_N);
    return bn_cmp(x, r) == 0;
}

/* ============================================================== X.509 */

#define OID_ECDSA_SHA256 "1.2.840.10045.4.3.2"
#define OID_EC_PUBKEY "1.2.840.10045.2.1"
#define OID_PRIME256V1 "1.2.840.10045.3.1.7"
#define OID_RSA "1.2.840.113549.1.1.1"

static void x509_name(struct pc_gbuf *b, const char *cn)
{
    size_t name = pc_der_open(b, PC_DER_SEQUENCE);
    size_t set = pc_der_open(b, PC_DER_SET);
    size_t atv = pc_der_open(b, PC_DER_SEQUENCE);
    pc_der_oid(b, "2.5.4.3");
    pc_der_tlv(b, PC_DER_UTF8, cn, strlen(cn));
    pc_der_close(b, atv);
    pc_der_close(b, set);
    pc_der_close(b, name);
}

static void x509_alg(struct pc_gbuf *b)
{
    size_t at = pc_der_open(b, PC_DER_SEQUENCE);
    pc_der_oid(b, OID_ECDSA_SHA256); /* no parameters (RFC 5758 3.2) */
    pc_der_close(b, at);
}

/* Extension { extnID, critical (only when true), extnValue OCTET STRING };
 * returns where the value's own encoding starts (inside the OCTET STRING). */
static size_t ext_open(struct pc_gbuf *b, const char *oid, bool critical, size_t *seq)
{
    *seq = pc_der_open(b, PC_DER_SEQUENCE);
    pc_der_oid(b, oid);
    if (critical) pc_der_tlv(b, PC_DER_BOOLEAN, "\xff", 1);
    return pc_der_open(b, PC_DER_OCTET_STRING);
}
static void ext_close(struct pc_gbuf *b, size_t octets, size_t seq)
{
    pc_der_close(b, octets);
    pc_der_close(b, seq);
}

static void x509_extensions(struct pc_gbuf *b, const struct pc_x509_opts *o, const uint8_t q[65])
{
    size_t seq, oct;
    size_t ctx = pc_der_open(b, PC_DER_CTX_CONS(3));
    size_t exts = pc_der_open(b, PC_DER_SEQUENCE);
    if (o->ndns) {
        oct = ext_open(b, "2.5.29.17", false, &seq);
        size_t names = pc_der_open(b, PC_DER_SEQUENCE);
        for (size_t i = 0; i < o->ndns; i++) pc_der_tlv(b, PC_DER_CTX_PRIM(2), o->dns[i], strlen(o->dns[i]));
        pc_der_close(b, names);
        ext_close(b, oct, seq);
    }
    oct = ext_open(b, "2.5.29.19", true, &seq);
    pc_der_tlv(b, PC_DER_SEQUENCE, NULL, 0); /* cA FALSE is the default: left out (DER) */
    ext_close(b, oct, seq);
    oct = ext_open(b, "2.5.29.15", true, &seq);
    pc_der_tlv(b, PC_DER_BIT_STRING, "\x07\x80", 2); /* digitalSignature */
    ext_close(b, oct, seq);
    oct = ext_open(b, "2.5.29.37", false, &seq);
    size_t eku = pc_der_open(b, PC_DER_SEQUENCE);
    pc_der_oid(b, "1.3.6.1.5.5.7.3.1"); /* serverAuth */
    pc_der_close(b, eku);
    ext_close(b, oct, seq);
    oct = ext_open(b, "2.5.29.14", false, &seq);
    uint8_t h[32];
    pc_sha256(q, 65, h);
    pc_der_tlv(b, PC_DER_OCTET_STRING, h, 20);
    ext_close(b, oct, seq);
    pc_der_close(b, exts);
    pc_der_close(b, ctx);
}

int pc_x509_selfsigned(const struct pc_x509_opts *o, struct pc_gbuf *out)
{
    if (!o->cn || !o->cn[0] || strlen(o->cn) > 64 || o->ndns > PC_X509_MAX_DNS || o->not_after < o->not_before)
        return PC_EINVAL;
    for (size_t i = 0; i < o->ndns; i++)
        if (!o->dns[i] || !o->dns[i][0] || strlen(o->dns[i]) > 253) return PC_EINVAL;
    struct pc_ec_key own;
    const struct pc_ec_key *key = o->key;
    if (!key) {
        pc_ec_key_from_seed(&own, o->seed);
        key = &own;
    }
    struct pc_rng rng;
    pc_rng_seed(&rng, o->seed ^ UINT64_C(0x5e7a1c0ffee));
    uint8_t serial[16];
    for (int i = 0; i < 16; i += 8) {
        uint64_t v = pc_rng_next(&rng);
        for (int j = 0; j < 8; j++) serial[i + j] = (uint8_t)(v >> (8 * j));
    }
    serial[0] = (uint8_t)((serial[0] & 0x7F) | 0x40); /* positive, 16 bytes long */

    size_t cert = pc_der_open(out, PC_DER_SEQUENCE);
    size_t tbs_start = out->len;
    size_t tbs = pc_der_open(out, PC_DER_SEQUENCE);
    size_t ver = pc_der_open(out, PC_DER_CTX_CONS(0));
    pc_der_uint64(out, 2); /* v3 */
    pc_der_close(out, ver);
    pc_der_uint(out, serial, sizeof serial);
    x509_alg(out);
    x509_name(out, o->cn);
    size_t val = pc_der_open(out, PC_DER_SEQUENCE);
    pc_der_time(out, o->not_before);
    pc_der_time(out, o->not_after);
    pc_der_close(out, val);
    x509_name(out, o->cn);
    size_t spki = pc_der_open(out, PC_DER_SEQUENCE);
    size_t alg = pc_der_open(out, PC_DER_SEQUENCE);
    pc_der_oid(out, OID_EC_PUBKEY);
    pc_der_oid(out, OID_PRIME256V1);
    pc_der_close(out, alg);
    size_t bits = pc_der_open(out, PC_DER_BIT_STRING);
    pc_gbuf_u8(out, 0);
    pc_gbuf_put(out, key->q, 65);
    pc_der_close(out, bits);
    pc_der_close(out, spki);
    x509_extensions(out, o, key->q);
    pc_der_close(out, tbs);
    if (out->err) return out->err;

    uint8_t h[32];
    pc_sha256(out->p + tbs_start, out->len - tbs_start, h);
    x509_alg(out);
    size_t sig = pc_der_open(out, PC_DER_BIT_STRING);
    pc_gbuf_u8(out, 0);
    pc_ecdsa_sign(key, h, out);
    pc_der_close(out, sig);
    pc_der_close(out, cert);
    return out->err;
}

/* The elements of a SEQUENCE's content, one at a time. */
struct der_it {
    const uint8_t *p;
    size_t n;
};
static int der_it_next(struct der_it *it, unsigned *tag, const uint8_t **c, size_t *cl)
{
    size_t total;
    if (!pc_der_next(it->p, it->n, tag, c, cl, &total)) return 0;
    it->p += total;
    it->n -= total;
    return 1;
}

int pc_x509_key_type(const uint8_t *der, size_t n)
{
    unsigned tag;
    const uint8_t *c;
    size_t cl, total;
    if (!pc_der_next(der, n, &tag, &c, &cl, &total) || tag != PC_DER_SEQUENCE) return 0;
    struct der_it cert = { c, cl };
    if (!der_it_next(&cert, &tag, &c, &cl) || tag != PC_DER_SEQUENCE) return 0;
    struct der_it tbs = { c, cl };
    if (!der_it_next(&tbs, &tag, &c, &cl)) return 0;
    if (tag == PC_DER_CTX_CONS(0) && !der_it_next(&tbs, &tag, &c, &cl)) return 0; /* version, then serial */
    /* signature, issuer, validity, subject, then subjectPublicKeyInfo */
    for (int i = 0; i < 5; i++)
        if (!der_it_next(&tbs, &tag, &c, &cl)) return 0;
    if (tag != PC_DER_SEQUENCE) return 0;
    struct der_it spki = { c, cl };
    if (!der_it_next(&spki, &tag, &c, &cl) || tag != PC_DER_SEQUENCE) return 0;
    struct der_it alg = { c, cl };
    if (!der_it_next(&alg, &tag, &c, &cl) || tag != PC_DER_OID) return 0;
    static const uint8_t ec[] = { 0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x02, 0x01 };
    static const uint8_t rsa[] = { 0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x01, 0x01 };
    if (cl == sizeof ec && !memcmp(c, ec, cl)) return PC_X509_KEY_EC;
    if (cl == sizeof rsa && !memcmp(c, rsa, cl)) return PC_X509_KEY_RSA;
    return 0;
}

/* A certificate: one SEQUENCE of at least three elements (tbsCertificate,
 * signatureAlgorithm, signatureValue), the first two SEQUENCEs. */
static bool cert_shape(const uint8_t *p, size_t n, size_t *total)
{
    unsigned tag;
    const uint8_t *c;
    size_t cl;
    if (!pc_der_next(p, n, &tag, &c, &cl, total) || tag != PC_DER_SEQUENCE) return false;
    struct der_it it = { c, cl };
    const uint8_t *ec;
    size_t el;
    if (!der_it_next(&it, &tag, &ec, &el) || tag != PC_DER_SEQUENCE) return false;
    if (!der_it_next(&it, &tag, &ec, &el) || tag != PC_DER_SEQUENCE) return false;
    return der_it_next(&it, &tag, &ec, &el) && tag == PC_DER_BIT_STRING;
}

static int b64_val(uint8_t c)
{
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
}

/* Base64 of p[0..n) (whitespace skipped, '=' padding at the end) appended
 * to out; false when it is not base64. */
static bool b64_decode(const uint8_t *p, size_t n, struct pc_gbuf *out)
{
    uint32_t acc = 0;
    int bits = 0, pad = 0;
    for (size_t i = 0; i < n; i++) {
        uint8_t ch = p[i];
        if (ch == ' ' || ch == '\t' || ch == '\r' || ch == '\n') continue;
        if (ch == '=') {
            pad++;
            continue;
        }
        int v = b64_val(ch);
        if (v < 0 || pad) return false;
        acc = acc << 6 | (uint32_t)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            pc_gbuf_u8(out, (acc >> bits) & 0xFF);
        }
    }
    return pad <= 2 && bits < 6;
}

static const uint8_t *find(const uint8_t *p, size_t n, const char *s)
{
    size_t k = strlen(s);
    for (size_t i = 0; k <= n && i <= n - k; i++)
        if (p[i] == (uint8_t)s[0] && !memcmp(p + i, s, k)) return p + i;
    return NULL;
}

/* Append one certificate whose DER starts at out->p + at, checking it. */
static int chain_take(struct pc_gbuf *out, size_t at, uint32_t *sizes, size_t max, size_t *count,
                      const char **why)
{
    size_t total;
    if (out->err) return out->err;
    if (out->len == at || !cert_shape(out->p + at, out->len - at, &total) || total != out->len - at) {
        *why = "a certificate is not one well-formed DER Certificate";
        return PC_EMALFORMED;
    }
    if (total > 0xFFFFFF) {
        *why = "a certificate is larger than a TLS certificate entry holds (16 MiB)";
        return PC_ELIMIT;
    }
    if (*count >= max) {
        *why = "too many certificates in the chain";
        return PC_ELIMIT;
    }
    sizes[(*count)++] = (uint32_t)total;
    return 0;
}

int pc_x509_read_chain(const uint8_t *p, size_t n, struct pc_gbuf *out, uint32_t *sizes, size_t max,
                       const char **why)
{
    static const char begin[] = "-----BEGIN CERTIFICATE-----", end[] = "-----END CERTIFICATE-----";
    size_t count = 0;
    int rc;
    *why = NULL;
    if (find(p, n, "-----BEGIN ")) {
        const uint8_t *s;
        while ((s = find(p, n, begin)) != NULL) {
            s += sizeof begin - 1;
            size_t left = n - (size_t)(s - p);
            const uint8_t *e = find(s, left, end);
            if (!e) {
                *why = "PEM: a certificate block has no END line";
                return PC_EMALFORMED;
            }
            size_t at = out->len;
            if (!b64_decode(s, (size_t)(e - s), out)) {
                *why = out->err ? "out of memory" : "PEM: bad base64 in a certificate block";
                return out->err ? out->err : PC_EMALFORMED;
            }
            if ((rc = chain_take(out, at, sizes, max, &count, why)) < 0) return rc;
            e += sizeof end - 1;
            n -= (size_t)(e - p);
            p = e;
        }
        if (!count) {
            *why = "PEM: no CERTIFICATE block";
            return PC_EMALFORMED;
        }
        return (int)count;
    }
    while (n) {
        unsigned tag;
        const uint8_t *c;
        size_t cl, total;
        if (!pc_der_next(p, n, &tag, &c, &cl, &total)) {
            *why = count ? "DER: bytes after the last certificate are not a certificate"
                         : "neither PEM nor a DER certificate";
            return PC_EMALFORMED;
        }
        size_t at = out->len;
        pc_gbuf_put(out, p, total);
        if ((rc = chain_take(out, at, sizes, max, &count, why)) < 0) return rc;
        p += total;
        n -= total;
    }
    if (!count) {
        *why = "empty certificate file";
        return PC_EMALFORMED;
    }
    return (int)count;
}

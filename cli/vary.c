/* Sets of addresses, ports and MACs, and the walk of several of them
 * (see vary.h). */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "parse.h"
#include "vary.h"

/* ---- 128-bit unsigned arithmetic on two halves ---- */

static const struct vary_u128 vs_U128_MAX = { UINT64_MAX, UINT64_MAX };

static struct vary_u128 vs_u_add(struct vary_u128 a, struct vary_u128 b)
{
    struct vary_u128 r = { a.hi + b.hi, a.lo + b.lo };
    if (r.lo < a.lo) r.hi++;
    return r;
}

static struct vary_u128 vs_u_sub(struct vary_u128 a, struct vary_u128 b)
{
    struct vary_u128 r = { a.hi - b.hi, a.lo - b.lo };
    if (a.lo < b.lo) r.hi--;
    return r;
}

static bool vs_u_lt(struct vary_u128 a, struct vary_u128 b) { return a.hi < b.hi || (a.hi == b.hi && a.lo < b.lo); }
static bool vs_u_eq(struct vary_u128 a, struct vary_u128 b) { return a.hi == b.hi && a.lo == b.lo; }

/* a + b, or vs_U128_MAX when that does not fit. */
static struct vary_u128 vs_u_add_sat(struct vary_u128 a, struct vary_u128 b)
{
    struct vary_u128 r = vs_u_add(a, b);
    return vs_u_lt(r, a) ? vs_U128_MAX : r;
}

static struct vary_u128 vs_u_from_bytes(const uint8_t *p, int width)
{
    struct vary_u128 r = { 0, 0 };
    for (int k = 0; k < width; k++) {
        r.hi = r.hi << 8 | r.lo >> 56;
        r.lo = r.lo << 8 | p[k];
    }
    return r;
}

static void vs_u_to_bytes(struct vary_u128 v, uint8_t *p, int width)
{
    for (int k = width - 1; k >= 0; k--) {
        p[k] = (uint8_t)v.lo;
        v.lo = v.lo >> 8 | v.hi << 56;
        v.hi >>= 8;
    }
}

/* The size of [lo, hi], saturating (the whole 128-bit space). */
static struct vary_u128 vs_item_size(struct vary_u128 lo, struct vary_u128 hi)
{
    struct vary_u128 d = vs_u_sub(hi, lo);
    return vs_u_eq(d, vs_U128_MAX) ? d : vs_u_add(d, (struct vary_u128){ 0, 1 });
}

/* ---- parsing ---- */

static int vs_fail(char *err, size_t cap, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int vs_fail(char *err, size_t cap, const char *fmt, ...)
{
    if (err && cap) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, cap, fmt, ap);
        va_end(ap);
    }
    return PC_EINVAL;
}

/* One address; its version must match the set's. */
static int vs_parse_addr(struct vary_set *s, const char *opt, const char *txt, struct vary_u128 *out, char *err, size_t cap)
{
    uint8_t a[16];
    int v = cli_try_ip(opt, txt, a, err, cap);
    if (v < 0) return v;
    if (s->ver && s->ver != v)
        return vs_fail(err, cap, "%s: '%s' is IPv%d but the other addresses are IPv%d", opt, txt, v, s->ver);
    s->ver = (uint8_t)v;
    s->width = v == 4 ? 4 : 16;
    *out = vs_u_from_bytes(a, s->width);
    return 0;
}

/* ADDR/LEN: every address of the prefix (host bits of ADDR ignored). */
static int vs_parse_cidr(struct vary_set *s, const char *opt, char *txt, int k, char *err, size_t cap)
{
    char *slash = strchr(txt, '/');
    *slash = 0;
    int rc = vs_parse_addr(s, opt, txt, &s->item[k].lo, err, cap);
    if (rc < 0) return rc;
    uint64_t len;
    unsigned bits = s->width * 8u;
    if (cli_try_uint(opt, slash + 1, bits, &len, NULL, 0) < 0)
        return vs_fail(err, cap, "%s: '/%s' is not a prefix length of 0 to %u", opt, slash + 1, bits);
    unsigned host = bits - (unsigned)len; /* bits that vary */
    struct vary_u128 mask = { 0, 0 };     /* the host bits */
    if (host >= 64) mask = (struct vary_u128){ host >= 128 ? UINT64_MAX : (UINT64_C(1) << (host - 64)) - 1, UINT64_MAX };
    else mask.lo = host ? (UINT64_C(1) << host) - 1 : 0;
    s->item[k].lo.hi &= ~mask.hi;
    s->item[k].lo.lo &= ~mask.lo;
    s->item[k].hi = (struct vary_u128){ s->item[k].lo.hi | mask.hi, s->item[k].lo.lo | mask.lo };
    return 0;
}

static int vs_parse_port(const char *opt, const char *txt, struct vary_u128 *out, char *err, size_t cap)
{
    uint64_t v;
    int rc = cli_try_uint(opt, txt, 65535, &v, err, cap);
    if (rc < 0) return rc;
    *out = (struct vary_u128){ 0, v };
    return 0;
}

static int vs_parse_mac(const char *opt, const char *txt, struct vary_u128 *out, char *err, size_t cap)
{
    uint8_t m[6];
    int rc = cli_try_mac(opt, txt, m, err, cap);
    if (rc < 0) return rc;
    *out = vs_u_from_bytes(m, 6);
    return 0;
}

static int vs_parse_one(struct vary_set *s, const char *opt, char *txt, struct vary_u128 *out, char *err, size_t cap)
{
    switch (s->kind) {
    case VARY_IP: return vs_parse_addr(s, opt, txt, out, err, cap);
    case VARY_PORT: return vs_parse_port(opt, txt, out, err, cap);
    default: return vs_parse_mac(opt, txt, out, err, cap);
    }
}

/* One list item: a value, A-B or (addresses) a prefix. */
static int vs_parse_item(struct vary_set *s, const char *opt, char *txt, int k, char *err, size_t cap)
{
    if (!*txt) return vs_fail(err, cap, "%s: an empty item in the list", opt);
    if (s->kind == VARY_IP && strchr(txt, '/')) return vs_parse_cidr(s, opt, txt, k, err, cap);
    /* a MAC written with '-' separators (no ':') is one value, not a range */
    char *dash = strchr(txt, '-');
    if (s->kind == VARY_MAC && !strchr(txt, ':')) dash = NULL;
    if (dash) *dash = 0;
    int rc = vs_parse_one(s, opt, txt, &s->item[k].lo, err, cap);
    if (rc < 0) return rc;
    if (!dash) { s->item[k].hi = s->item[k].lo; return 0; }
    if ((rc = vs_parse_one(s, opt, dash + 1, &s->item[k].hi, err, cap)) < 0) return rc;
    if (vs_u_lt(s->item[k].hi, s->item[k].lo))
        return vs_fail(err, cap, "%s: the range %s-%s ends before it starts", opt, txt, dash + 1);
    return 0;
}

/* random, or random:CIDR for addresses. */
static int vs_parse_random(struct vary_set *s, const char *opt, const char *arg, char *err, size_t cap)
{
    s->random = true;
    s->n = 1;
    const char *cidr = arg[6] == ':' ? arg + 7 : NULL;
    if (s->kind == VARY_PORT) {
        if (cidr) return vs_fail(err, cap, "%s: a port takes plain 'random' (1024-65535)", opt);
        s->item[0].lo = (struct vary_u128){ 0, 1024 };
        s->item[0].hi = (struct vary_u128){ 0, 65535 };
        s->width = 2;
        return 0;
    }
    if (s->kind == VARY_MAC) {
        if (cidr) return vs_fail(err, cap, "%s: a MAC takes plain 'random' (locally administered unicast)", opt);
        s->mac_random = true;
        s->width = 6;
        s->item[0].hi = (struct vary_u128){ 0, (UINT64_C(1) << 48) - 1 };
        return 0;
    }
    char buf[128];
    if (!cidr) { /* IPv4 unicast: 1.0.0.0-223.255.255.255 less 127/8 */
        s->unicast4 = true;
        snprintf(buf, sizeof buf, "1.0.0.0-223.255.255.255");
        return vs_parse_item(s, opt, buf, 0, err, cap);
    }
    if (strlen(cidr) >= sizeof buf || !strchr(cidr, '/'))
        return vs_fail(err, cap, "%s: '%s' is not random:PREFIX/LEN (e.g. random:10.0.0.0/8)", opt, arg);
    snprintf(buf, sizeof buf, "%s", cidr);
    return vs_parse_cidr(s, opt, buf, 0, err, cap);
}

int vary_parse(struct vary_set *s, int kind, const char *opt, const char *arg, char *err, size_t errcap)
{
    memset(s, 0, sizeof *s);
    s->kind = (uint8_t)kind;
    s->width = kind == VARY_PORT ? 2 : kind == VARY_MAC ? 6 : 4;
    if (err && errcap) err[0] = 0;
    int rc;
    if (!strncmp(arg, "random", 6) && (arg[6] == 0 || arg[6] == ':')) {
        rc = vs_parse_random(s, opt, arg, err, errcap);
    } else {
        char buf[4096];
        if (strlen(arg) >= sizeof buf) return vs_fail(err, errcap, "%s: the list is longer than %zu bytes", opt, sizeof buf - 1);
        snprintf(buf, sizeof buf, "%s", arg);
        rc = 0;
        for (char *p = buf; rc == 0;) {
            char *comma = strchr(p, ',');
            if (comma) *comma = 0;
            if (s->n == VARY_MAX_ITEMS) return vs_fail(err, errcap, "%s: at most %d items in a list", opt, VARY_MAX_ITEMS);
            if (!strncmp(p, "random", 6)) return vs_fail(err, errcap, "%s: random stands alone, not in a list", opt);
            rc = vs_parse_item(s, opt, p, s->n, err, errcap);
            s->n++;
            if (!comma) break;
            p = comma + 1;
        }
    }
    if (rc < 0) return rc;
    s->size = (struct vary_u128){ 0, 0 };
    for (int k = 0; k < s->n; k++) s->size = vs_u_add_sat(s->size, vs_item_size(s->item[k].lo, s->item[k].hi));
    return 0;
}

bool vary_random_to_v6(struct vary_set *s)
{
    if (!s->unicast4) return false;
    return vary_parse(s, VARY_IP, "random", "random:2001:db8::/32", NULL, 0) == 0;
}

/* ---- values ---- */

bool vary_varies(const struct vary_set *s)
{
    return s->n && (s->random || s->size.hi || s->size.lo > 1);
}

uint64_t vary_count(const struct vary_set *s)
{
    if (!s->n || s->random) return 1;
    return s->size.hi ? UINT64_MAX : s->size.lo;
}

void vary_at(const struct vary_set *s, struct vary_u128 index, uint8_t *out)
{
    for (int k = 0; k < s->n; k++) {
        struct vary_u128 sz = vs_item_size(s->item[k].lo, s->item[k].hi);
        if (vs_u_lt(index, sz) || k == s->n - 1) {
            vs_u_to_bytes(vs_u_add(s->item[k].lo, index), out, s->width);
            return;
        }
        index = vs_u_sub(index, sz);
    }
}

/* Uniform below n (n > 0): masked draws, redrawn while too large, so
 * that sets of any size, IPv6 prefixes included, come out unbiased. */
static uint64_t vs_smear(uint64_t x)
{
    for (int sh = 1; sh < 64; sh <<= 1) x |= x >> sh;
    return x;
}

static struct vary_u128 vs_draw_below(struct pc_rng *r, struct vary_u128 n)
{
    struct vary_u128 top = vs_u_sub(n, (struct vary_u128){ 0, 1 });
    struct vary_u128 mask = top.hi ? (struct vary_u128){ vs_smear(top.hi), UINT64_MAX } : (struct vary_u128){ 0, vs_smear(top.lo) };
    for (;;) {
        struct vary_u128 v = { 0, pc_rng_next(r) & mask.lo };
        if (mask.hi) v.hi = pc_rng_next(r) & mask.hi;
        if (!vs_u_lt(top, v)) return v;
    }
}

void vary_draw(const struct vary_set *s, struct pc_rng *r, uint8_t *out)
{
    if (s->mac_random) {
        uint64_t v = pc_rng_next(r);
        for (int k = 0; k < 6; k++) out[k] = (uint8_t)(v >> (8 * k));
        out[0] = (uint8_t)((out[0] & 0xFC) | 0x02); /* locally administered, unicast */
        return;
    }
    do vary_at(s, vs_draw_below(r, s->size), out);
    while (s->unicast4 && out[0] == 127);
}

/* ---- several fields ---- */

uint64_t vary_product(const struct vary *v)
{
    uint64_t p = 1;
    for (int k = 0; k < VF_N; k++) {
        uint64_t n = vary_count(&v->f[k]);
        if (n && p > UINT64_MAX / n) return UINT64_MAX;
        p *= n;
    }
    return p;
}

bool vary_active(const struct vary *v)
{
    for (int k = 0; k < VF_N; k++)
        if (vary_varies(&v->f[k])) return true;
    return false;
}

void vary_pick(struct vary *v, uint64_t i)
{
    uint64_t rest = i; /* the odometer reading still to place, fastest field first */
    for (int k = VF_N - 1; k >= 0; k--) {
        const struct vary_set *s = &v->f[k];
        if (!vary_varies(s)) continue;
        if (s->random || v->step == VARY_RANDOM) { vary_draw(s, &v->rng, v->cur[k]); continue; }
        uint64_t n = vary_count(s), idx = rest;
        if (n != UINT64_MAX) { idx = rest % n; rest /= n; }
        else rest = 0; /* a set of 2^64 or more values: the whole reading fits in it */
        vary_at(s, (struct vary_u128){ 0, idx }, v->cur[k]);
    }
}

/* pcapng codec: the block decoder behind pc_reader, the encoders behind
 * pc_writer, exact timestamp arithmetic and the option iterator.
 *
 * Format (every field in the byte order of its section, which the Section
 * Header Block's byte-order magic announces):
 *   block:  type (32), total length (32), body, total length again (32);
 *           lengths are multiples of 4, bodies padded with zeros.
 *   option: code (16), length (16), value padded to 4; code 0 ends a list.
 *   SHB  0x0A0D0D0A: byte-order magic, major (16), minor (16), section
 *        length (64, -1 unknown), options.
 *   IDB  1: link type (16), reserved (16), snaplen (32), options.
 *   EPB  6: interface id, timestamp high, low, caplen, original length,
 *        data padded to 4, options.
 *   PB   2: interface id (16), drops (16), then as the EPB.
 *   SPB  3: original length, data (caplen derived).
 * Everything else is kept available through the block callback.
 *
 * The decoder sees one whole block in memory at a time (the reader makes
 * sure of that), so every field access below is checked once against the
 * block length and then made directly; nothing is copied, nothing is
 * allocated per packet: allocations happen only for sections and
 * interfaces (bounded by PC_NG_MAX_SECTIONS / PC_NG_MAX_INTERFACES). */
#include "pcapng_int.h"
#include "pktcraft/capture/pcapng.h"
#include "pktcraft/core/limits.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------ helpers */

static uint32_t g32(const uint8_t *p, bool big) { return big ? pc_get32(p) : pc_get32le(p); }
static uint16_t g16(const uint8_t *p, bool big) { return big ? pc_get16(p) : pc_get16le(p); }
/* A 64-bit field is two 32-bit halves, the high one first in big-endian. */
static uint64_t g64(const uint8_t *p, bool big)
{
    return big ? ((uint64_t)pc_get32(p) << 32) | pc_get32(p + 4) : ((uint64_t)pc_get32le(p + 4) << 32) | pc_get32le(p);
}
static void p32(uint8_t *p, uint32_t v, bool big)
{
    if (big) pc_put32(p, v);
    else pc_put32le(p, v);
}
static void p16(uint8_t *p, uint16_t v, bool big)
{
    if (big) pc_put16(p, v);
    else pc_put16le(p, v);
}
static void p64(uint8_t *p, uint64_t v, bool big)
{
    if (big) {
        pc_put32(p, (uint32_t)(v >> 32));
        pc_put32(p + 4, (uint32_t)v);
    } else {
        pc_put32le(p, (uint32_t)v);
        pc_put32le(p + 4, (uint32_t)(v >> 32));
    }
}
static uint32_t pad4(uint32_t n) { return (n + 3u) & ~3u; }

static const uint64_t k_pow10[20] = {
    1u, 10u, 100u, 1000u, 10000u, 100000u, 1000000u, 10000000u, 100000000u, 1000000000u,
    10000000000u, 100000000000u, 1000000000000u, 10000000000000u, 100000000000000u, 1000000000000000u,
    10000000000000000u, 100000000000000000u, 1000000000000000000u, 10000000000000000000u,
};

/* ---------------------------------------------------------- timestamps */

/* floor(frac * 10^9 / 2^n) for any 64-bit frac and n <= 127, exactly: the
 * product needs 94 bits, so it is formed as two 64-bit halves. */
static uint64_t bin_frac_ns(uint64_t frac, unsigned n)
{
    uint64_t lo = (frac & 0xFFFFFFFFu) * 1000000000u; /* < 2^62 */
    uint64_t hi = (frac >> 32) * 1000000000u;         /* < 2^62 */
    uint64_t L = lo + (hi << 32);
    uint64_t H = (hi >> 32) + (L < lo);
    if (n == 0) return L; /* only reached with frac == 0 */
    if (n < 64) return (L >> n) | (H << (64 - n));
    if (n < 128) return H >> (n - 64);
    return 0;
}

int pc_ng_ts_to_ns(uint64_t units, uint8_t tsresol, int64_t tsoffset, pc_time_ns *ns)
{
    unsigned e = tsresol & 0x7Fu;
    uint64_t sec, fns;
    if (!(tsresol & 0x80u)) {
        uint64_t rem;
        if (e <= 19) {
            sec = units / k_pow10[e];
            rem = units % k_pow10[e];
        } else {
            sec = 0; /* 10^20 > 2^64: never a whole second */
            rem = units;
        }
        if (e <= 9) fns = rem * k_pow10[9 - e]; /* rem < 10^e, so below 10^9 */
        else if (e - 9 <= 19) fns = rem / k_pow10[e - 9];
        else fns = 0;
    } else {
        uint64_t rem;
        if (e < 64) {
            sec = units >> e;
            rem = e ? units & ((UINT64_C(1) << e) - 1) : 0;
        } else {
            sec = 0;
            rem = units;
        }
        fns = bin_frac_ns(rem, e);
    }
    /* Out of range: clamp toward the side the instant lies on. */
    int64_t s, t;
    if (sec > (uint64_t)INT64_MAX) {
        *ns = INT64_MAX;
        return PC_ELIMIT;
    }
    if (__builtin_add_overflow((int64_t)sec, tsoffset, &s)) {
        *ns = tsoffset < 0 ? INT64_MIN : INT64_MAX;
        return PC_ELIMIT;
    }
    if (__builtin_mul_overflow(s, PC_NS_PER_SEC, &t) || __builtin_add_overflow(t, (int64_t)fns, &t)) {
        *ns = s < 0 ? INT64_MIN : INT64_MAX;
        return PC_ELIMIT;
    }
    *ns = t;
    return 0;
}

/* ceil(rem * 2^e / 10^9) for rem < 10^9 and e <= 127, by long division on
 * 32-bit limbs (the dividend needs up to 157 bits).  false if over 64 bits. */
static bool bin_units_ceil(uint64_t rem, unsigned e, uint64_t *q)
{
    uint32_t limb[5] = { 0 }; /* limb[0] least significant */
    unsigned w = e / 32, b = e % 32;
    uint64_t v = rem << b; /* rem < 2^30, b < 32 */
    limb[w] = (uint32_t)v;
    limb[w + 1] = (uint32_t)(v >> 32);
    uint64_t r = 0;
    for (int i = 4; i >= 0; i--) {
        uint64_t cur = (r << 32) | limb[i];
        limb[i] = (uint32_t)(cur / 1000000000u);
        r = cur % 1000000000u;
    }
    if (limb[4] || limb[3] || limb[2]) return false;
    uint64_t qq = ((uint64_t)limb[1] << 32) | limb[0];
    if (r) {
        if (qq == UINT64_MAX) return false;
        qq++;
    }
    *q = qq;
    return true;
}

int pc_ng_ns_to_ts(pc_time_ns ns, uint8_t tsresol, int64_t tsoffset, uint64_t *units)
{
    int64_t off, t;
    if (__builtin_mul_overflow(tsoffset, PC_NS_PER_SEC, &off) || __builtin_sub_overflow(ns, off, &t) || t < 0)
        return PC_EINVAL;
    unsigned e = tsresol & 0x7Fu;
    uint64_t ut = (uint64_t)t;
    if (!(tsresol & 0x80u)) {
        if (e <= 9) {
            *units = ut / k_pow10[9 - e]; /* truncated, as pcap-us truncates */
            return 0;
        }
        if (e - 9 > 19) {
            if (ut) return PC_EINVAL;
            *units = 0;
            return 0;
        }
        return __builtin_mul_overflow(ut, k_pow10[e - 9], units) ? PC_EINVAL : 0;
    }
    uint64_t sec = ut / 1000000000u, rem = ut % 1000000000u, q, hi = 0;
    if (e >= 64) {
        if (sec) return PC_EINVAL;
    } else if (e > 0 && sec >> (64 - e)) {
        return PC_EINVAL;
    } else {
        hi = sec << e;
    }
    if (!bin_units_ceil(rem, e, &q)) return PC_EINVAL;
    return __builtin_add_overflow(hi, q, units) ? PC_EINVAL : 0;
}

bool pc_ng_tsresol_is_us(uint8_t tsresol)
{
    return (tsresol & 0x80u) ? (tsresol & 0x7Fu) == 0 : tsresol <= 6;
}

/* -------------------------------------------------------------- options */

void pc_ng_opts_init(struct pc_ng_opts *it, const uint8_t *p, size_t n, bool big)
{
    it->p = p;
    it->end = p + n;
    it->big = big;
}

int pc_ng_opt_next(struct pc_ng_opts *it, uint16_t *code, const uint8_t **val, uint16_t *len)
{
    size_t left = (size_t)(it->end - it->p);
    if (left < 4) return 0;
    uint16_t c = g16(it->p, it->big), l = g16(it->p + 2, it->big);
    *code = c;
    *len = l;
    if (c == PC_NG_OPT_END) return 0;
    if (l > left - 4) return PC_EMALFORMED;
    *val = it->p + 4;
    size_t step = 4 + (size_t)pad4(l);
    it->p += step < left ? step : left;
    return 1;
}

/* -------------------------------------------------------------- decoder */

struct ng_if {
    struct pc_iface pub;
    /* Fast path for decimal resolutions of 1 ns or coarser without
     * overflow concerns: ts = units * mul + off_ns (checked arithmetic). */
    bool fast;
    uint64_t mul;
    int64_t off_ns;
};

struct ng_sec {
    struct pc_shb pub;
    char **comments;
};

struct pc_ng {
    bool big;       /* the current section's byte order */
    struct pc_limits lim;
    uint64_t meta_used;         /* bytes of strings kept, with a per-item overhead */
    struct pc_ng_dropped drop;  /* what the metadata limits left out */
    char *name;
    const char *offword;
    struct ng_sec **secs;
    uint32_t nsecs, capsecs;
    struct ng_if **ifs;
    uint32_t nifs, capifs;
    uint64_t npkts;
    pc_block_cb cb;
    void *ctx;
    /* Options of the packet last returned, for pc_ng_comment() and
     * pc_ng_pkt_option(); they point into the caller's buffer. */
    const uint8_t *popt;
    size_t poptn;
    bool pbig;
    /* The option pc_ng_pkt_option returned last and where the walk stood
     * after it, so that enumerating idx 0, 1, 2... is linear. */
    uint16_t qcode;
    uint32_t qidx;
    bool qvalid;
    struct pc_ng_opts qit;
    const uint8_t *qval;
    uint16_t qlen;
};

struct pc_ng *pc_ng_new(const char *name, bool gz)
{
    struct pc_ng *ng = calloc(1, sizeof *ng);
    if (!ng) return NULL;
    ng->name = strdup(name ? name : "<input>");
    if (!ng->name) {
        free(ng);
        return NULL;
    }
    ng->offword = gz ? "uncompressed byte offset" : "byte offset";
    pc_limits_default(&ng->lim);
    return ng;
}

void pc_ng_set_limits(struct pc_ng *ng, const struct pc_limits *l) { ng->lim = *l; }
const struct pc_ng_dropped *pc_ng_meta_dropped(const struct pc_ng *ng) { return &ng->drop; }

static void free_sec(struct ng_sec *s)
{
    if (!s) return;
    for (uint32_t i = 0; i < s->pub.ncomments; i++) free(s->comments[i]);
    free(s->comments);
    free((char *)s->pub.hardware);
    free((char *)s->pub.os);
    free((char *)s->pub.userappl);
    free(s);
}

static void free_if(struct ng_if *f)
{
    if (!f) return;
    free((char *)f->pub.name);
    free((char *)f->pub.description);
    free((char *)f->pub.os);
    free((char *)f->pub.hardware);
    free(f);
}

void pc_ng_free(struct pc_ng *ng)
{
    if (!ng) return;
    for (uint32_t i = 0; i < ng->nsecs; i++) free_sec(ng->secs[i]);
    for (uint32_t i = 0; i < ng->nifs; i++) free_if(ng->ifs[i]);
    free(ng->secs);
    free(ng->ifs);
    free(ng->name);
    free(ng);
}

void pc_ng_set_block_cb(struct pc_ng *ng, pc_block_cb cb, void *ctx)
{
    ng->cb = cb;
    ng->ctx = ctx;
}

uint64_t pc_ng_count(const struct pc_ng *ng) { return ng->npkts; }
uint32_t pc_ng_ninterfaces(const struct pc_ng *ng) { return ng->nifs; }
const struct pc_iface *pc_ng_interface(const struct pc_ng *ng, uint32_t i)
{
    return i < ng->nifs ? &ng->ifs[i]->pub : NULL;
}
uint32_t pc_ng_nsections(const struct pc_ng *ng) { return ng->nsecs; }
const struct pc_shb *pc_ng_section(const struct pc_ng *ng, uint32_t i)
{
    return i < ng->nsecs ? &ng->secs[i]->pub : NULL;
}

static const char *type_name(uint32_t t)
{
    switch (t) {
    case PC_NG_SHB: return "SHB";
    case PC_NG_IDB: return "IDB";
    case PC_NG_PB: return "PB";
    case PC_NG_SPB: return "SPB";
    case PC_NG_NRB: return "NRB";
    case PC_NG_ISB: return "ISB";
    case PC_NG_EPB: return "EPB";
    case PC_NG_SJE: return "systemd journal block";
    case PC_NG_DSB: return "DSB";
    case PC_NG_CB: return "custom block";
    case PC_NG_DCB: return "custom block";
    default: return NULL;
    }
}

static bool is_packet(uint32_t t) { return t == PC_NG_EPB || t == PC_NG_SPB || t == PC_NG_PB; }

/* Format "<name>: block at byte offset N: <what>; K packets read". */
__attribute__((format(printf, 5, 6)))
static int ng_err(const struct pc_ng *ng, struct pc_err *err, int code, uint64_t offset, const char *fmt, ...)
{
    if (!err) return code;
    char what[200];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    err->code = code;
    err->offset = offset;
    err->packet = ng->npkts + 1;
    snprintf(err->msg, sizeof err->msg, "%s: block at %s %llu: %s; %llu packets read", ng->name, ng->offword,
             (unsigned long long)offset, what, (unsigned long long)ng->npkts);
    return code;
}

/* The byte order a block at p is in: an SHB says so itself, any other
 * block is in its section's.  -1 when an SHB's magic is neither. */
static inline int block_order(const struct pc_ng *ng, const uint8_t *p)
{
    if (__builtin_expect(pc_get32le(p) == PC_NG_SHB, 0)) {
        if (pc_get32le(p + 8) == PC_NG_BYTE_ORDER_MAGIC) return 0;
        if (pc_get32(p + 8) == PC_NG_BYTE_ORDER_MAGIC) return 1;
        return -1;
    }
    return ng->big;
}

static uint32_t min_len(uint32_t type)
{
    switch (type) {
    case PC_NG_SHB: return 28;
    case PC_NG_IDB: return 20;
    case PC_NG_EPB: return 32;
    case PC_NG_PB: return 32;
    case PC_NG_SPB: return 16;
    case PC_NG_ISB: return 24;
    default: return 12;
    }
}

static void type_str(char *b, size_t n, uint32_t t)
{
    const char *s = type_name(t);
    if (s) snprintf(b, n, "%s", s);
    else snprintf(b, n, "block of type 0x%08x", (unsigned)t);
}

/* pc_ng_block_len for the blocks that fail its quick test: the same checks
 * in full, each with its message. */
__attribute__((noinline))
static int64_t block_len_slow(struct pc_ng *ng, const uint8_t *p, size_t avail, uint64_t offset, struct pc_err *err)
{
    if (avail < 8)
        return ng_err(ng, err, PC_ETRUNC, offset, "truncated block header (%zu of 8 bytes)", avail);
    bool shb = pc_get32le(p) == PC_NG_SHB;
    if (shb && avail < 12)
        return ng_err(ng, err, PC_ETRUNC, offset, "truncated section header (%zu of 12 bytes)", avail);
    if (!shb && ng->nsecs == 0)
        return ng_err(ng, err, PC_EFORMAT, offset, "not a pcapng file (first block type 0x%08x is not a Section Header Block)",
                      (unsigned)pc_get32(p));
    int order = block_order(ng, p);
    if (order < 0) {
        if (ng->nsecs == 0)
            return ng_err(ng, err, PC_EFORMAT, offset, "not a pcapng file (byte-order magic 0x%08x)",
                          (unsigned)pc_get32(p + 8));
        return ng_err(ng, err, PC_EMALFORMED, offset, "SHB byte-order magic 0x%08x is neither 1a2b3c4d nor 4d3c2b1a",
                      (unsigned)pc_get32(p + 8));
    }
    bool big = order == 1;
    uint32_t type = g32(p, big), len = g32(p + 4, big);
    /* The common case costs three comparisons; messages only on error. */
    if (len % 4 == 0 && len >= min_len(type) && len <= ng->lim.ng_block) return len;
    char tn[40];
    type_str(tn, sizeof tn, type);
    if (len % 4 != 0)
        return ng_err(ng, err, PC_EMALFORMED, offset, "block length %u is not a multiple of 4 (%s)", (unsigned)len, tn);
    if (len < min_len(type))
        return ng_err(ng, err, PC_EMALFORMED, offset, "block length %u is below the minimum %u (%s)", (unsigned)len,
                      (unsigned)min_len(type), tn);
    return ng_err(ng, err, PC_ELIMIT, offset,
                  "block length %u exceeds this reader's limit of %llu bytes (%s; blocks are held whole in memory; "
                  "--limit pcapng-block raises it)",
                  (unsigned)len, (unsigned long long)ng->lim.ng_block, tn);
}

int64_t pc_ng_block_len(struct pc_ng *ng, const uint8_t *p, size_t avail, uint64_t offset, struct pc_err *err)
{
    /* Nearly every block: inside a section, not an SHB, a valid length.
     * Kept small (the messages live in block_len_slow) because it runs
     * twice per packet, once by the reader and once by pc_ng_block. */
    if (avail >= 12 && ng->nsecs && pc_get32le(p) != PC_NG_SHB) {
        uint32_t type = g32(p, ng->big), len = g32(p + 4, ng->big);
        uint32_t min = type == PC_NG_EPB ? 32 : min_len(type);
        if (len % 4 == 0 && len >= min && len <= ng->lim.ng_block) return len;
    }
    return block_len_slow(ng, p, avail, offset, err);
}

int pc_ng_truncated(struct pc_ng *ng, const uint8_t *p, size_t have, size_t need, uint64_t offset, struct pc_err *err)
{
    char tn[40] = "block";
    if (have >= 8) {
        int order = block_order(ng, p);
        type_str(tn, sizeof tn, g32(p, order == 1));
    }
    return ng_err(ng, err, PC_ETRUNC, offset, "truncated %s (the file ends %zu bytes into its %zu)", tn, have, need);
}

/* What keeping one string costs against the metadata budget: its bytes
 * plus an allowance for the allocation and the pointer to it, so that
 * thousands of empty comments are bounded too. */
#define META_OVERHEAD 16u

/* Room in the metadata budget for one more string of n bytes? */
static bool meta_fits(const struct pc_ng *ng, size_t n)
{
    return ng->meta_used + n + META_OVERHEAD <= ng->lim.ng_meta;
}

/* A NUL-terminated copy of a metadata string, within the limits: cut to
 * ng_meta_item bytes (at a UTF-8 character boundary), or left out (NULL,
 * *ok untouched) when the total budget is spent; both are counted in
 * ng->drop.  *ok is cleared on ENOMEM. */
static char *keep_str(struct pc_ng *ng, const uint8_t *v, uint16_t len, bool *ok)
{
    size_t n = len;
    if (n > ng->lim.ng_meta_item) {
        n = (size_t)ng->lim.ng_meta_item;
        while (n > 0 && (v[n] & 0xC0) == 0x80) n--; /* do not split a character */
    }
    if (!meta_fits(ng, n)) {
        ng->drop.items++;
        ng->drop.bytes += len;
        return NULL;
    }
    if (n < len) ng->drop.cut++;
    ng->meta_used += n + META_OVERHEAD;
    char *s = malloc(n + 1);
    if (!s) {
        *ok = false;
        return NULL;
    }
    if (n) memcpy(s, v, n);
    s[n] = 0;
    return s;
}

static int opt_overrun(struct pc_ng *ng, struct pc_err *err, uint64_t offset, const char *bt, uint16_t code,
                       uint16_t len, size_t left)
{
    return ng_err(ng, err, PC_EMALFORMED, offset, "%s option %u of length %u runs past the end of the block (%zu bytes left)",
                  bt, code, len, left);
}

static int deliver(struct pc_ng *ng, const uint8_t *p, size_t n, uint64_t offset, uint32_t type, bool big,
                   struct pc_err *err)
{
    if (!ng->cb) return 0;
    struct pc_block b = { .type = type, .section = ng->nsecs ? ng->nsecs - 1 : 0, .big = big, .body = p + 8,
                          .len = (uint32_t)(n - 12), .offset = offset };
    int rc = ng->cb(ng->ctx, &b);
    if (rc < 0) {
        char tn[40];
        type_str(tn, sizeof tn, type);
        return ng_err(ng, err, rc, offset, "the block callback stopped at this %s (%s)", tn, pc_strerror(rc));
    }
    return 0;
}

static int parse_shb(struct pc_ng *ng, const uint8_t *p, size_t n, uint64_t offset, bool big, struct pc_err *err)
{
    uint16_t major = g16(p + 12, big), minor = g16(p + 14, big);
    /* tshark and libpcap read 1.0 and 1.2 (which is 1.0 by another name)
     * and reject every other version. */
    if (!(major == 1 && (minor == 0 || minor == 2)))
        return ng_err(ng, err, PC_EUNSUPP, offset, "unsupported pcapng version %u.%u (1.0 and 1.2 are known)", major,
                      minor);
    if (ng->nsecs >= ng->lim.ng_sections)
        return ng_err(ng, err, PC_ELIMIT, offset, "more than %llu sections (--limit pcapng-sections raises it)",
                      (unsigned long long)ng->lim.ng_sections);
    /* Validate the options before anything is allocated or changed. */
    struct pc_ng_opts it;
    uint16_t code, len;
    const uint8_t *v;
    int rc;
    uint32_t ncom = 0;
    pc_ng_opts_init(&it, p + 24, n - 28, big);
    while ((rc = pc_ng_opt_next(&it, &code, &v, &len)) == 1)
        if (code == PC_NG_OPT_COMMENT) ncom++;
    if (rc < 0) return opt_overrun(ng, err, offset, "SHB", code, len, (size_t)(it.end - it.p) - 4);

    if (ng->nsecs == ng->capsecs) {
        uint32_t cap = ng->capsecs ? ng->capsecs * 2 : 4;
        void *q = realloc(ng->secs, cap * sizeof(struct ng_sec *));
        if (!q) return ng_err(ng, err, PC_ENOMEM, offset, "out of memory");
        ng->secs = q;
        ng->capsecs = cap;
    }
    struct ng_sec *s = calloc(1, sizeof *s);
    bool ok = s != NULL;
    /* Room for the comments the budget can hold at most, not for as many
     * as the block claims. */
    uint64_t room = ng->meta_used < ng->lim.ng_meta ? (ng->lim.ng_meta - ng->meta_used) / META_OVERHEAD : 0;
    uint32_t slots = ncom < room ? ncom : (uint32_t)room;
    if (ok && slots) {
        s->comments = calloc(slots, sizeof *s->comments);
        ok = s->comments != NULL;
    }
    if (ok) {
        s->pub.major = major;
        s->pub.minor = minor;
        s->pub.section_len = (int64_t)g64(p + 16, big);
        s->pub.big = big;
        s->pub.offset = offset;
        s->pub.first_iface = ng->nifs;
        pc_ng_opts_init(&it, p + 24, n - 28, big);
        while (ok && pc_ng_opt_next(&it, &code, &v, &len) == 1) {
            const char **slot = code == PC_NG_SHB_HARDWARE ? &s->pub.hardware
                                : code == PC_NG_SHB_OS     ? &s->pub.os
                                : code == PC_NG_SHB_USERAPPL ? &s->pub.userappl
                                                             : NULL;
            if (code == PC_NG_OPT_COMMENT) {
                char *c = NULL;
                if (s->pub.ncomments < slots) c = keep_str(ng, v, len, &ok);
                else ng->drop.items++, ng->drop.bytes += len;
                if (c) s->comments[s->pub.ncomments++] = c;
            } else if (slot && !*slot) {
                *slot = keep_str(ng, v, len, &ok); /* the first one counts */
            }
        }
        s->pub.comments = (const char *const *)s->comments;
    }
    if (!ok) {
        free_sec(s);
        return ng_err(ng, err, PC_ENOMEM, offset, "out of memory");
    }
    ng->secs[ng->nsecs++] = s;
    ng->big = big;
    return 0;
}

static void set_fast(struct ng_if *f)
{
    unsigned e = f->pub.tsresol;
    f->fast = false;
    if (e & 0x80u || e > 9) return;
    if (__builtin_mul_overflow(f->pub.tsoffset, PC_NS_PER_SEC, &f->off_ns)) return;
    f->mul = k_pow10[9 - e];
    f->fast = true;
}

static int parse_idb(struct pc_ng *ng, const uint8_t *p, size_t n, uint64_t offset, bool big, struct pc_err *err)
{
    struct ng_sec *sec = ng->secs[ng->nsecs - 1];
    if (ng->nifs >= ng->lim.ng_interfaces)
        return ng_err(ng, err, PC_ELIMIT, offset, "more than %llu interfaces (--limit pcapng-interfaces raises it)",
                      (unsigned long long)ng->lim.ng_interfaces);
    struct pc_ng_opts it;
    uint16_t code, len;
    const uint8_t *v;
    int rc;
    pc_ng_opts_init(&it, p + 16, n - 20, big);
    while ((rc = pc_ng_opt_next(&it, &code, &v, &len)) == 1) {}
    if (rc < 0) return opt_overrun(ng, err, offset, "IDB", code, len, (size_t)(it.end - it.p) - 4);

    if (ng->nifs == ng->capifs) {
        uint32_t cap = ng->capifs ? ng->capifs * 2 : 8;
        void *q = realloc(ng->ifs, cap * sizeof(struct ng_if *));
        if (!q) return ng_err(ng, err, PC_ENOMEM, offset, "out of memory");
        ng->ifs = q;
        ng->capifs = cap;
    }
    struct ng_if *f = calloc(1, sizeof *f);
    bool ok = f != NULL, got_res = false, got_off = false, got_fcs = false;
    if (ok) {
        f->pub.linktype = g16(p + 8, big);
        f->pub.snaplen = g32(p + 12, big);
        f->pub.tsresol = PC_NG_DEFAULT_TSRESOL;
        f->pub.fcslen = -1;
        f->pub.section = ng->nsecs - 1;
        f->pub.local_id = sec->pub.niface;
        f->pub.offset = offset;
        pc_ng_opts_init(&it, p + 16, n - 20, big);
        while (ok && pc_ng_opt_next(&it, &code, &v, &len) == 1) {
            /* The first of each counts; values of the wrong size are
             * ignored, as tshark ignores them. */
            switch (code) {
            case PC_NG_IF_NAME: if (!f->pub.name) f->pub.name = keep_str(ng, v, len, &ok); break;
            case PC_NG_IF_DESCRIPTION: if (!f->pub.description) f->pub.description = keep_str(ng, v, len, &ok); break;
            case PC_NG_IF_OS: if (!f->pub.os) f->pub.os = keep_str(ng, v, len, &ok); break;
            case PC_NG_IF_HARDWARE: if (!f->pub.hardware) f->pub.hardware = keep_str(ng, v, len, &ok); break;
            case PC_NG_IF_TSRESOL:
                if (len == 1 && !got_res) f->pub.tsresol = v[0], got_res = true;
                break;
            case PC_NG_IF_TSOFFSET:
                if (len == 8 && !got_off) f->pub.tsoffset = (int64_t)g64(v, big), got_off = true;
                break;
            case PC_NG_IF_FCSLEN:
                if (len == 1 && !got_fcs) f->pub.fcslen = v[0], got_fcs = true;
                break;
            default: break;
            }
        }
    }
    if (!ok) {
        free_if(f);
        return ng_err(ng, err, PC_ENOMEM, offset, "out of memory");
    }
    set_fast(f);
    ng->ifs[ng->nifs++] = f;
    sec->pub.niface++;
    return 0;
}

/* EPB, PB and SPB.  Validates everything, then fills *h. */
static int parse_packet(struct pc_ng *ng, const uint8_t *p, size_t n, uint64_t offset, bool big, uint32_t type,
                        struct pc_pkthdr *h, const uint8_t **data, struct pc_err *err)
{
    struct ng_sec *sec = ng->secs[ng->nsecs - 1];
    uint32_t ifid, caplen, len, room;
    uint64_t units = 0;
    int64_t drops = -1;
    const uint8_t *d;
    if (type == PC_NG_SPB) {
        ifid = 0;
        len = g32(p + 8, big);
        room = (uint32_t)n - 16;
        d = p + 12;
        if (sec->pub.niface == 0)
            return ng_err(ng, err, PC_EMALFORMED, offset, "SPB without an IDB in its section");
        /* No captured length in an SPB: the smallest of the wire length,
         * interface 0's snaplen and what the block holds. */
        uint32_t snap = ng->ifs[sec->pub.first_iface]->pub.snaplen;
        caplen = len;
        if (snap && caplen > snap) caplen = snap;
        if (caplen > room) caplen = room;
    } else {
        if (type == PC_NG_PB) {
            ifid = g16(p + 8, big);
            drops = g16(p + 10, big);
        } else {
            ifid = g32(p + 8, big);
        }
        units = ((uint64_t)g32(p + 12, big) << 32) | g32(p + 16, big);
        caplen = g32(p + 20, big);
        len = g32(p + 24, big);
        room = (uint32_t)n - 32;
        d = p + 28;
        if (caplen > room)
            return ng_err(ng, err, PC_EMALFORMED, offset, "%s caplen %u is larger than the block (room for %u bytes)", type_name(type),
                          (unsigned)caplen, (unsigned)room);
        if (ifid >= sec->pub.niface)
            return ng_err(ng, err, PC_EMALFORMED, offset, "%s interface id %u without an IDB (section %u has %u)", type_name(type),
                          (unsigned)ifid, (unsigned)(ng->nsecs - 1), (unsigned)sec->pub.niface);
    }
    if (caplen > PC_PCAP_MAX_CAPLEN)
        return ng_err(ng, err, PC_EMALFORMED, offset, "%s caplen %u exceeds the maximum %u", type_name(type), (unsigned)caplen,
                      PC_PCAP_MAX_CAPLEN);

    /* Options (EPB and PB only): the first comment, their number, flags
     * and drops.  Usually there are none and this is one comparison. */
    const uint8_t *opt = NULL;
    size_t optn = 0;
    const uint8_t *com = NULL;
    uint32_t comlen = 0, ncom = 0, flags = 0;
    if (type != PC_NG_SPB) {
        opt = d + pad4(caplen);
        optn = (size_t)(p + n - 4 - opt);
        if (optn) {
            struct pc_ng_opts it;
            uint16_t code, olen;
            const uint8_t *v;
            int rc;
            pc_ng_opts_init(&it, opt, optn, big);
            while ((rc = pc_ng_opt_next(&it, &code, &v, &olen)) == 1) {
                if (code == PC_NG_OPT_COMMENT) {
                    if (!ncom++) com = v, comlen = olen;
                } else if (code == PC_NG_EPB_FLAGS && olen == 4) {
                    flags = g32(v, big);
                } else if (code == PC_NG_EPB_DROPCOUNT && olen == 8) {
                    uint64_t dc = g64(v, big);
                    drops = dc > (uint64_t)INT64_MAX ? INT64_MAX : (int64_t)dc;
                }
            }
            if (rc < 0) return opt_overrun(ng, err, offset, type_name(type), code, olen, (size_t)(it.end - it.p) - 4);
        }
    }

    const struct ng_if *f = ng->ifs[sec->pub.first_iface + ifid];
    pc_time_ns ts = 0;
    bool clamped = false;
    if (type != PC_NG_SPB) {
        int64_t t;
        /* Nearly always the fast path: one checked multiply-add. */
        if (!f->fast || units > (uint64_t)INT64_MAX || __builtin_mul_overflow((int64_t)units, (int64_t)f->mul, &t) ||
            __builtin_add_overflow(t, f->off_ns, &ts))
            clamped = pc_ng_ts_to_ns(units, f->pub.tsresol, f->pub.tsoffset, &ts) != 0;
    }
    if (h) {
        h->ts = ts;
        h->caplen = caplen;
        h->len = len;
        h->linktype = f->pub.linktype;
        h->ifindex = sec->pub.first_iface + ifid;
        h->comment = com;
        h->comment_len = comlen;
        h->ncomments = ncom;
        h->flags = flags;
        h->drops = drops;
        h->section = ng->nsecs - 1;
        h->block = type;
        h->has_ts = type != PC_NG_SPB;
        h->ts_clamped = clamped;
        h->offset = offset;
    }
    if (data) *data = d;
    ng->popt = opt;
    ng->poptn = optn;
    ng->pbig = big;
    ng->qvalid = false;
    ng->npkts++;
    return 1;
}

/* A Name Resolution Block's records must fit in it, as tshark checks
 * (its contents are otherwise left to the block callback). */
static int check_nrb(struct pc_ng *ng, const uint8_t *p, size_t n, uint64_t offset, bool big, struct pc_err *err)
{
    const uint8_t *q = p + 8, *end = p + n - 4;
    while ((size_t)(end - q) >= 4) {
        uint16_t type = g16(q, big), len = g16(q + 2, big);
        size_t left = (size_t)(end - q) - 4;
        if (pad4(len) > left)
            return ng_err(ng, err, PC_EMALFORMED, offset, "NRB record of length %u runs past the end of the block "
                          "(%zu bytes left)", len, left);
        q += 4 + pad4(len);
        if (type == 0) break; /* nrb_record_end; options follow */
    }
    struct pc_ng_opts it;
    uint16_t code, len;
    const uint8_t *v;
    int rc;
    pc_ng_opts_init(&it, q, (size_t)(end - q), big);
    while ((rc = pc_ng_opt_next(&it, &code, &v, &len)) == 1) {}
    if (rc < 0) return opt_overrun(ng, err, offset, "NRB", code, len, (size_t)(it.end - it.p) - 4);
    return 0;
}

int pc_ng_block(struct pc_ng *ng, const uint8_t *p, size_t n, uint64_t offset, bool defer_cb, struct pc_pkthdr *h,
                const uint8_t **data, struct pc_err *err)
{
    /* Re-check what pc_ng_block_len() established, so that a caller
     * handing blocks over directly cannot make us read out of bounds. */
    int64_t blen = pc_ng_block_len(ng, p, n, offset, err);
    if (blen < 0) return (int)blen;
    if ((uint64_t)blen != n) {
        if ((uint64_t)blen > n) return pc_ng_truncated(ng, p, n, (size_t)blen, offset, err);
        return ng_err(ng, err, PC_EINVAL, offset, "block of %lld bytes handed over as %zu", (long long)blen, n);
    }
    return pc_ng_block_whole(ng, p, n, offset, defer_cb, h, data, err);
}

int pc_ng_block_whole(struct pc_ng *ng, const uint8_t *p, size_t n, uint64_t offset, bool defer_cb,
                      struct pc_pkthdr *h, const uint8_t **data, struct pc_err *err)
{
    bool big = block_order(ng, p) == 1;
    uint32_t type = g32(p, big);
    uint32_t trail = g32(p + n - 4, big);
    if (trail != n)
        return ng_err(ng, err, PC_EMALFORMED, offset, "trailing block length %u differs from the leading %u",
                      (unsigned)trail, (unsigned)n);
    int rc;
    switch (type) {
    case PC_NG_SHB: rc = parse_shb(ng, p, n, offset, big, err); break;
    case PC_NG_IDB: rc = parse_idb(ng, p, n, offset, big, err); break;
    case PC_NG_NRB: rc = check_nrb(ng, p, n, offset, big, err); break;
    case PC_NG_EPB:
    case PC_NG_PB:
    case PC_NG_SPB: return parse_packet(ng, p, n, offset, big, type, h, data, err);
    default: rc = 0; break; /* kept for the callback, otherwise skipped */
    }
    if (rc < 0) return rc;
    return defer_cb ? 0 : deliver(ng, p, n, offset, type, big, err);
}

uint32_t pc_ng_block_type(const struct pc_ng *ng, const uint8_t *p)
{
    int order = block_order(ng, p);
    return g32(p, order == 1);
}

int pc_ng_deliver(struct pc_ng *ng, const uint8_t *p, size_t n, uint64_t offset, struct pc_err *err)
{
    bool big = block_order(ng, p) == 1;
    uint32_t type = g32(p, big);
    if (is_packet(type)) return 0;
    return deliver(ng, p, n, offset, type, big, err);
}

int pc_ng_comment(const struct pc_ng *ng, uint32_t i, const uint8_t **p, uint32_t *len)
{
    const uint8_t *v;
    uint16_t l;
    if (pc_ng_pkt_option(ng, PC_NG_OPT_COMMENT, i, &v, &l) != 1) return 0;
    *p = v;
    *len = l;
    return 1;
}

int pc_ng_pkt_option(const struct pc_ng *ng_c, uint16_t code, uint32_t idx, const uint8_t **val, uint16_t *len)
{
    /* The cache is not part of the observable state: a const reader may
     * still remember where its last lookup stopped. */
    struct pc_ng *ng = (struct pc_ng *)ng_c;
    if (!ng->popt || !ng->poptn) return 0;
    if (ng->qvalid && ng->qcode == code && ng->qidx == idx) {
        *val = ng->qval;
        *len = ng->qlen;
        return 1;
    }
    struct pc_ng_opts it;
    uint32_t k = idx;
    if (ng->qvalid && ng->qcode == code && ng->qidx < idx) {
        it = ng->qit; /* go on from the previous match: linear enumeration */
        k = idx - ng->qidx - 1;
    } else {
        pc_ng_opts_init(&it, ng->popt, ng->poptn, ng->pbig);
    }
    uint16_t c, l;
    const uint8_t *v;
    while (pc_ng_opt_next(&it, &c, &v, &l) == 1) {
        if (c != code || k-- != 0) continue;
        *val = v;
        *len = l;
        ng->qvalid = true;
        ng->qcode = code;
        ng->qidx = idx;
        ng->qit = it;
        ng->qval = v;
        ng->qlen = l;
        return 1;
    }
    return 0;
}

void pc_ng_pkt_options(const struct pc_ng *ng, struct pc_ng_opts *it)
{
    pc_ng_opts_init(it, ng->popt, ng->popt ? ng->poptn : 0, ng->pbig);
}

/* -------------------------------------------------------------- encoders */

/* Append one option; returns its size, or 0 if it does not fit. */
static size_t put_opt(uint8_t *dst, size_t cap, size_t at, bool big, uint16_t code, const void *v, size_t n)
{
    if (n > 0xFFFF) return 0;
    size_t sz = 4 + pad4((uint32_t)n);
    if (at + sz > cap) return 0;
    p16(dst + at, code, big);
    p16(dst + at + 2, (uint16_t)n, big);
    if (n) memcpy(dst + at + 4, v, n);
    memset(dst + at + 4 + n, 0, sz - 4 - n);
    return sz;
}

/* Add a string option when s is a non-empty string; false on overflow. */
static bool put_str(uint8_t *dst, size_t cap, size_t *at, bool big, uint16_t code, const char *s)
{
    if (!s || !*s) return true;
    size_t k = put_opt(dst, cap, *at, big, code, s, strlen(s));
    *at += k;
    return k != 0;
}

/* Close a block whose options end at `at`: endofopt if any option was
 * written, trailing length, leading length.  0 when it does not fit. */
static size_t finish(uint8_t *dst, size_t cap, size_t at, size_t opts_start, bool big)
{
    if (at > opts_start) {
        if (at + 4 > cap) return 0;
        memset(dst + at, 0, 4);
        at += 4;
    }
    if (at + 4 > cap || at + 4 > UINT32_MAX) return 0;
    p32(dst + at, (uint32_t)(at + 4), big);
    p32(dst + 4, (uint32_t)(at + 4), big);
    return at + 4;
}

size_t pc_ng_put_shb(uint8_t *dst, size_t cap, bool big, const char *comment, const char *hardware, const char *os,
                     const char *userappl)
{
    if (cap < 28) return 0;
    p32(dst, PC_NG_SHB, big);
    p32(dst + 8, PC_NG_BYTE_ORDER_MAGIC, big);
    p16(dst + 12, 1, big);
    p16(dst + 14, 0, big);
    p64(dst + 16, UINT64_MAX, big); /* section length unknown: we stream */
    size_t at = 24;
    if (!put_str(dst, cap, &at, big, PC_NG_OPT_COMMENT, comment) ||
        !put_str(dst, cap, &at, big, PC_NG_SHB_HARDWARE, hardware) || !put_str(dst, cap, &at, big, PC_NG_SHB_OS, os) ||
        !put_str(dst, cap, &at, big, PC_NG_SHB_USERAPPL, userappl))
        return 0;
    return finish(dst, cap, at, 24, big);
}

size_t pc_ng_put_idb(uint8_t *dst, size_t cap, bool big, const struct pc_iface_spec *s)
{
    if (cap < 20 || s->linktype < 0 || s->linktype > 0xFFFF) return 0;
    p32(dst, PC_NG_IDB, big);
    p16(dst + 8, (uint16_t)s->linktype, big);
    p16(dst + 10, 0, big);
    p32(dst + 12, s->snaplen, big);
    size_t at = 16;
    uint8_t res = s->tsresol == 0 ? 9 : s->tsresol == PC_TSRESOL_SECONDS ? 0 : (uint8_t)s->tsresol;
    if (!put_str(dst, cap, &at, big, PC_NG_IF_NAME, s->name) ||
        !put_str(dst, cap, &at, big, PC_NG_IF_DESCRIPTION, s->description))
        return 0;
    if (res != PC_NG_DEFAULT_TSRESOL) {
        size_t k = put_opt(dst, cap, at, big, PC_NG_IF_TSRESOL, &res, 1);
        if (!k) return 0;
        at += k;
    }
    if (s->fcslen > 0 && s->fcslen < 256) {
        uint8_t f = (uint8_t)s->fcslen;
        size_t k = put_opt(dst, cap, at, big, PC_NG_IF_FCSLEN, &f, 1);
        if (!k) return 0;
        at += k;
    }
    if (s->tsoffset) {
        uint8_t v[8];
        p64(v, (uint64_t)s->tsoffset, big);
        size_t k = put_opt(dst, cap, at, big, PC_NG_IF_TSOFFSET, v, 8);
        if (!k) return 0;
        at += k;
    }
    return finish(dst, cap, at, 16, big);
}

size_t pc_ng_epb_size(const struct pc_wpacket *p, uint32_t caplen)
{
    uint64_t opts = 0;
    if (p->comment) {
        if (p->comment_len > 0xFFFF) return 0;
        opts += 4 + pad4(p->comment_len);
    }
    for (uint32_t i = 0; i < p->nmore; i++) {
        if (p->more[i].len > 0xFFFF) return 0;
        opts += 4 + pad4(p->more[i].len);
    }
    if (p->flags) opts += 8;
    uint64_t total = 32 + (uint64_t)pad4(caplen) + opts + (opts ? 4 : 0);
    return total > PC_NG_MAX_BLOCK ? 0 : (size_t)total;
}

void pc_ng_put_epb(uint8_t *dst, bool big, uint32_t ifid, uint64_t units, const struct pc_wpacket *p, uint32_t caplen,
                   uint32_t len)
{
    size_t total = pc_ng_epb_size(p, caplen);
    p32(dst, PC_NG_EPB, big);
    p32(dst + 4, (uint32_t)total, big);
    p32(dst + 8, ifid, big);
    p32(dst + 12, (uint32_t)(units >> 32), big);
    p32(dst + 16, (uint32_t)units, big);
    p32(dst + 20, caplen, big);
    p32(dst + 24, len, big);
    if (caplen) memcpy(dst + 28, p->data, caplen);
    size_t at = 28 + (size_t)pad4(caplen);
    memset(dst + 28 + caplen, 0, at - 28 - caplen);
    size_t opts = at;
    if (p->comment) at += put_opt(dst, total, at, big, PC_NG_OPT_COMMENT, p->comment, p->comment_len);
    for (uint32_t i = 0; i < p->nmore; i++)
        at += put_opt(dst, total, at, big, PC_NG_OPT_COMMENT, p->more[i].text, p->more[i].len);
    if (p->flags) {
        uint8_t v[4];
        p32(v, p->flags, big);
        at += put_opt(dst, total, at, big, PC_NG_EPB_FLAGS, v, 4);
    }
    if (at > opts) {
        memset(dst + at, 0, 4);
        at += 4;
    }
    p32(dst + at, (uint32_t)total, big);
}

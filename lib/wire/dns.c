/* DNS: builder (whole message serialised at push time, with name
 * compression), zero-copy parser, decoder layers for UDP and TCP, and the
 * describer.  Nothing here allocates; the only state is on the stack. */
#include <stdio.h>
#include <string.h>

#include "../internal.h"
#include "pktcraft/wire/dns.h"
#include "pktcraft/core/fmt.h"

_Static_assert(sizeof(struct pc_dns) <= PC_SPEC_MAX, "struct pc_dns must fit a layer's spec storage");

#define DNS_PTR 0xC0          /* top bits of a compression pointer */
#define DNS_PTR_LIMIT 0x4000  /* a pointer holds 14 bits of offset */
#define DNS_QFIXED 4          /* type, class after a question's name */
#define DNS_RRFIXED 10        /* type, class, ttl, rdlength after a record's name */
#define DNS_TCP_PREFIX 2
#define DNS_LONGLABEL_MAX 191 /* 0xBF: longer would read as a pointer */
/* Offsets inside a record's fixed part (after the owner name). */
#define RR_TYPE 0
#define RR_CLASS 2
#define RR_TTL 4
#define RR_RDLEN 8
/* Client subnet option (RFC 7871) field offsets. */
#define ECS_FAMILY 0
#define ECS_SOURCE 2
#define ECS_SCOPE 3
#define ECS_ADDR 4
/* EDNS option header: code, length. */
#define OPT_HLEN 4
/* RDATA layouts: MX pref; SRV prio, weight, port; SOA's five numbers after
 * the names; CAA flags, tag length, tag. */
#define MX_NAME 2
#define SRV_NAME 6
#define SOA_FIXED 20
#define CAA_FLAGS 0
#define CAA_TAGLEN 1
#define CAA_TAG 2

/* ============================================================ text sink */

/* Appends text that always stays NUL-terminated; with p == NULL it only
 * counts, which is how the validating callers use the formatters. */
struct sink {
    char *p;
    size_t cap, len;
};

static void sk_putc(struct sink *s, char c)
{
    if (s->p && s->len + 1 < s->cap) {
        s->p[s->len] = c;
        s->p[s->len + 1] = 0;
    }
    s->len++;
}

static void sk_puts(struct sink *s, const char *t)
{
    while (*t) sk_putc(s, *t++);
}

/* Digits by hand: the decoder's validating walk formats every name and
 * value it checks (into a counting sink), so printf here was its hot spot. */
static void sk_uint(struct sink *s, unsigned long v)
{
    char b[24];
    int n = 0;
    do { b[n++] = (char)('0' + v % 10); v /= 10; } while (v);
    while (n) sk_putc(s, b[--n]);
}

/* \DDD, as dig escapes a byte. */
static void sk_ddd(struct sink *s, uint8_t c)
{
    sk_putc(s, '\\');
    sk_putc(s, (char)('0' + c / 100));
    sk_putc(s, (char)('0' + c / 10 % 10));
    sk_putc(s, (char)('0' + c % 10));
}

/* Text length, or PC_ENOSPC when a real buffer was too small. */
static int sk_result(const struct sink *s)
{
    if (s->p && s->cap) s->p[s->len < s->cap ? s->len : s->cap - 1] = 0;
    if (s->p && s->len >= s->cap) return PC_ENOSPC;
    return (int)s->len;
}

/* Printable label bytes dig writes after a backslash. */
static int label_special(uint8_t c)
{
    switch (c) {
    case '"': case '.': case '(': case ')': case ';': case '\\': case '@': case '$': return 1;
    default: return 0;
    }
}

/* One byte of a label as dig writes it. */
static void put_label_byte(struct sink *s, uint8_t c)
{
    if (c <= 0x20 || c >= 0x7F) { sk_ddd(s, c); return; }
    if (label_special(c)) sk_putc(s, '\\');
    sk_putc(s, (char)c);
}

/* Length of what put_label_byte writes for the n bytes at p: the counting
 * sink's shortcut (the decoder validates every name of every DNS message,
 * and a byte at a time through the sink was its hot spot). */
static size_t label_text_len(const uint8_t *p, size_t n)
{
    size_t len = n;
    for (size_t k = 0; k < n; k++) {
        uint8_t c = p[k];
        if (c <= 0x20 || c >= 0x7F) len += 3; /* \DDD */
        else len += (size_t)label_special(c);
    }
    return len;
}

/* A label's text.  Names are the text the decoder makes most, so when even
 * the worst case (every byte as \DDD) fits, the bytes go straight into the
 * buffer with no per-byte room check; else byte by byte through the sink. */
static void put_label(struct sink *s, const uint8_t *p, size_t n)
{
    if (!s->p) {
        s->len += label_text_len(p, n);
        return;
    }
    if (s->len >= s->cap || s->cap - s->len <= 4 * n) {
        for (size_t k = 0; k < n; k++) put_label_byte(s, p[k]);
        return;
    }
    char *o = s->p + s->len;
    for (size_t k = 0; k < n; k++) {
        uint8_t c = p[k];
        if (c <= 0x20 || c >= 0x7F) {
            *o++ = '\\';
            *o++ = (char)('0' + c / 100);
            *o++ = (char)('0' + c / 10 % 10);
            *o++ = (char)('0' + c % 10);
            continue;
        }
        if (label_special(c)) *o++ = '\\';
        *o++ = (char)c;
    }
    s->len = (size_t)(o - s->p);
    s->p[s->len] = 0;
}

/* Length of an IPv4 address as dotted-quad text, without making it: the
 * validating walk counts every A record's text. */
static size_t ip4_text_len(const uint8_t *a)
{
    size_t n = 3; /* the dots */
    for (int k = 0; k < 4; k++) n += a[k] >= 100 ? 3 : a[k] >= 10 ? 2 : 1;
    return n;
}

/* One byte of a quoted character-string (TXT, CAA value). */
static void put_string_byte(struct sink *s, uint8_t c)
{
    if (c < 0x20 || c >= 0x7F) { sk_ddd(s, c); return; }
    if (c == '"' || c == '\\') sk_putc(s, '\\');
    sk_putc(s, (char)c);
}

static void put_hex(struct sink *s, const uint8_t *p, size_t n)
{
    static const char hx[] = "0123456789abcdef";
    for (size_t k = 0; k < n; k++) {
        sk_putc(s, hx[p[k] >> 4]);
        sk_putc(s, hx[p[k] & 15]);
    }
}

/* ============================================================ names */

int pc_dns_name(const uint8_t *msg, size_t len, size_t off, char *out, size_t outcap, size_t *next,
                const char **why)
{
    struct sink s = { out, outcap, 0 };
    if (out && outcap) out[0] = 0;
    size_t pos = off, run = off, after = 0, wire = 1; /* wire counts the root byte */
    unsigned labels = 0, hops = 0;
    int jumped = 0;
    const char *w = NULL;
    int rc = 0;
    for (;;) {
        if (pos >= len) { rc = PC_ETRUNC; w = "dns: name runs past the message"; break; }
        uint8_t b = msg[pos];
        if (b == 0) break;
        if ((b & DNS_PTR) == DNS_PTR) {
            if (len - pos < 2) { rc = PC_ETRUNC; w = "dns: name runs past the message"; break; }
            size_t t = (size_t)((b & 0x3F) << 8 | msg[pos + 1]);
            if (t > pos) { rc = PC_EMALFORMED; w = "dns: compression pointer points forward"; break; }
            /* Back into the labels read since the last jump (or itself). */
            if (t >= run) { rc = PC_EMALFORMED; w = "dns: compression pointer loop"; break; }
            /* Backward-only pointers cannot loop, but a chain of them can be
             * thousands long; counting hops with labels toward the 127 a
             * name can hold keeps every name (and so every message) linear. */
            if (++hops + labels > PC_DNS_MAXLABELS) {
                rc = PC_EMALFORMED;
                w = "dns: name follows more than 127 compression pointers and labels";
                break;
            }
            if (!jumped) after = pos + 2;
            jumped = 1;
            pos = run = t;
            continue;
        }
        if (b & DNS_PTR) { rc = PC_EMALFORMED; w = "dns: label type 0x40 or 0x80"; break; }
        if (++labels + hops > PC_DNS_MAXLABELS) {
            rc = PC_EMALFORMED;
            w = hops ? "dns: name follows more than 127 compression pointers and labels"
                     : "dns: name has more than 127 labels";
            break;
        }
        wire += 1u + b;
        if (wire > PC_DNS_MAXNAME) { rc = PC_EMALFORMED; w = "dns: name longer than 255 bytes"; break; }
        if (len - pos - 1 < b) { rc = PC_ETRUNC; w = "dns: name runs past the message"; break; }
        if (labels > 1) sk_putc(&s, '.');
        put_label(&s, msg + pos + 1, b);
        pos += 1u + b;
    }
    if (rc) {
        if (why) *why = w;
        return rc;
    }
    if (labels == 0) sk_putc(&s, '.');
    if (next) *next = jumped ? after : pos + 1;
    rc = sk_result(&s);
    if (rc < 0 && why) *why = "dns: name text does not fit the buffer";
    return rc;
}

/* One byte of label text at *tp: \DDD (decimal, <= 255), \X (X itself)
 * or a plain byte.  Returns 0, or PC_EINVAL for a bad escape. */
static int text_byte(const char **tp, uint8_t *c)
{
    const char *t = *tp;
    if (*t != '\\') {
        *c = (uint8_t)*t;
        *tp = t + 1;
        return 0;
    }
    t++;
    if (!*t) return PC_EINVAL; /* a lone backslash at the end */
    if (*t < '0' || *t > '9') {
        *c = (uint8_t)*t;
        *tp = t + 1;
        return 0;
    }
    if (!(t[1] >= '0' && t[1] <= '9' && t[2] >= '0' && t[2] <= '9')) return PC_EINVAL;
    unsigned v = (unsigned)(t[0] - '0') * 100 + (unsigned)(t[1] - '0') * 10 + (unsigned)(t[2] - '0');
    if (v > 255) return PC_EINVAL;
    *c = (uint8_t)v;
    *tp = t + 3;
    return 0;
}

/* Text name to uncompressed wire form (w holds PC_DNS_MAXNAME bytes).
 * Returns the wire length or PC_EINVAL. */
static int name_to_wire(const char *t, uint8_t *w, size_t maxlabel)
{
    if (!t || !*t || (t[0] == '.' && !t[1])) {
        w[0] = 0;
        return 1;
    }
    size_t n = 1, lenpos = 0, lab = 0;
    w[0] = 0;
    while (*t) {
        uint8_t c;
        if (*t == '.') {
            if (lab == 0) return PC_EINVAL; /* empty label */
            w[lenpos] = (uint8_t)lab;
            t++;
            if (!*t) return n < PC_DNS_MAXNAME ? (w[n] = 0, (int)n + 1) : PC_EINVAL;
            if (n >= PC_DNS_MAXNAME - 1) return PC_EINVAL;
            lenpos = n++;
            lab = 0;
            continue;
        }
        if (text_byte(&t, &c) < 0) return PC_EINVAL;
        if (lab >= maxlabel || n >= PC_DNS_MAXNAME - 1) return PC_EINVAL;
        w[n++] = c;
        lab++;
    }
    w[lenpos] = (uint8_t)lab;
    w[n++] = 0; /* n <= PC_DNS_MAXNAME - 1 before: the total stays <= 255 */
    return (int)n;
}

/* ============================================================ encoder */

#define DNS_CTAB 512 /* remembered name suffixes; past this, less compression */

struct enc {
    uint8_t *m;          /* message start (after any TCP prefix) */
    size_t cap, len;
    int err;
    int compress;
    size_t maxlabel;
    uint8_t malform;
    unsigned names;      /* names written so far */
    int fwd_pending;     /* FWDPTR: a pointer waits for the next name */
    size_t fwd_at;
    size_t ntab;
    uint16_t tab[DNS_CTAB]; /* offsets of label starts written in full */
};

static uint8_t *room(struct enc *e, size_t n)
{
    if (e->err) return NULL;
    if (n > e->cap - e->len) { e->err = PC_ENOSPC; return NULL; }
    uint8_t *p = e->m + e->len;
    e->len += n;
    return p;
}

static void put8(struct enc *e, uint8_t v)
{
    uint8_t *p = room(e, 1);
    if (p) p[0] = v;
}

static void put16(struct enc *e, uint16_t v)
{
    uint8_t *p = room(e, 2);
    if (p) pc_put16(p, v);
}

static void put32(struct enc *e, uint32_t v)
{
    uint8_t *p = room(e, 4);
    if (p) pc_put32(p, v);
}

static void putn(struct enc *e, const void *src, size_t n)
{
    uint8_t *p = room(e, n);
    if (p && n) memcpy(p, src, n);
}

/* Does the name at message offset at (pointers followed; all written by
 * us, so valid and backward) equal the wire labels w?  Byte-exact, so the
 * case a caller chose survives compression. */
static int same_suffix(const uint8_t *m, size_t at, const uint8_t *w)
{
    for (unsigned hops = 0; hops <= PC_DNS_MAXLABELS;) {
        uint8_t b = m[at];
        if ((b & DNS_PTR) == DNS_PTR) {
            at = (size_t)((b & 0x3F) << 8 | m[at + 1]);
            hops++;
            continue;
        }
        if (b != w[0]) return 0;
        if (b == 0) return 1;
        if (memcmp(m + at + 1, w + 1, b)) return 0;
        at += 1u + b;
        w += 1u + b;
    }
    return 0;
}

/* Offset of the longest suffix of w found earlier (*k: where in w it
 * starts), or -1.  The root alone is never worth a two-byte pointer. */
static long find_suffix(const struct enc *e, const uint8_t *w, size_t *k)
{
    for (*k = 0; w[*k]; *k += 1u + w[*k])
        for (size_t j = 0; j < e->ntab; j++)
            if (same_suffix(e->m, e->tab[j], w + *k)) return e->tab[j];
    return -1;
}

/* The deliberate malformations, on the first name only. */
static int put_malformed_name(struct enc *e, const uint8_t *w)
{
    size_t start = e->len;
    if (e->malform == PC_DNS_MAL_LOOP) {
        if (w[0]) putn(e, w, 1u + w[0]);
        put16(e, (uint16_t)(0xC000u | start)); /* back to its own first label */
        return 1;
    }
    if (e->malform == PC_DNS_MAL_FWDPTR) {
        e->fwd_at = start;
        e->fwd_pending = 1;
        put16(e, 0); /* patched when the next name starts */
        return 1;
    }
    return 0;
}

/* Write a name; compressible says whether this position may use and
 * offer compression (RFC 3597 section 4: only the RFC 1035 types). */
static void put_name(struct enc *e, const char *text, int compressible)
{
    uint8_t w[PC_DNS_MAXNAME];
    int n = name_to_wire(text, w, e->maxlabel);
    if (n < 0) { if (!e->err) e->err = n; return; }
    if (e->err) return;
    size_t start = e->len;
    if (e->fwd_pending) {
        if (start >= DNS_PTR_LIMIT) { e->err = PC_ELIMIT; return; }
        pc_put16(e->m + e->fwd_at, (uint16_t)(0xC000u | start));
        e->fwd_pending = 0;
    }
    if (e->names++ == 0 && put_malformed_name(e, w)) return;
    int comp = e->compress && compressible;
    size_t k = (size_t)n - 1; /* without compression: all labels, then the root byte */
    long ptr = comp ? find_suffix(e, w, &k) : -1;
    for (size_t p = 0; p < k; p += 1u + w[p]) {
        if (comp && e->len < DNS_PTR_LIMIT && e->ntab < DNS_CTAB) e->tab[e->ntab++] = (uint16_t)e->len;
        putn(e, w + p, 1u + w[p]);
    }
    if (ptr >= 0) put16(e, (uint16_t)(0xC000u | (unsigned long)ptr));
    else put8(e, 0);
}

static void put_txt(struct enc *e, const struct pc_dns_record *r)
{
    for (size_t k = 0; k < r->txt.n; k++) {
        const char *s = r->txt.s ? r->txt.s[k] : NULL;
        size_t n = r->txt.len ? r->txt.len[k] : (s ? strlen(s) : 0);
        if (n > 255 || (n && !s)) { if (!e->err) e->err = PC_EINVAL; return; }
        put8(e, (uint8_t)n);
        putn(e, s, n);
    }
}

static void put_caa(struct enc *e, const struct pc_dns_record *r)
{
    size_t tl = r->caa.tag ? strlen(r->caa.tag) : 0;
    const char *v = r->caa.value ? r->caa.value : "";
    size_t vl = r->caa.value_len ? r->caa.value_len : strlen(v);
    if (tl == 0 || tl > 255) { if (!e->err) e->err = PC_EINVAL; return; }
    put8(e, r->caa.flags);
    put8(e, (uint8_t)tl);
    putn(e, r->caa.tag, tl);
    putn(e, v, vl);
}

static void put_rdata(struct enc *e, const struct pc_dns_record *r)
{
    if (r->raw.data) { putn(e, r->raw.data, r->raw.len); return; }
    switch (r->type) {
    case PC_DNS_T_A: putn(e, r->a, 4); break;
    case PC_DNS_T_AAAA: putn(e, r->aaaa, 16); break;
    case PC_DNS_T_CNAME: case PC_DNS_T_NS: case PC_DNS_T_PTR: put_name(e, r->target, 1); break;
    case PC_DNS_T_MX: put16(e, r->mx.pref); put_name(e, r->mx.exchange, 1); break;
    case PC_DNS_T_SRV:
        put16(e, r->srv.prio);
        put16(e, r->srv.weight);
        put16(e, r->srv.port);
        put_name(e, r->srv.target, 0);
        break;
    case PC_DNS_T_SOA:
        put_name(e, r->soa.mname, 1);
        put_name(e, r->soa.rname, 1);
        put32(e, r->soa.serial);
        put32(e, r->soa.refresh);
        put32(e, r->soa.retry);
        put32(e, r->soa.expire);
        put32(e, r->soa.minimum);
        break;
    case PC_DNS_T_TXT: put_txt(e, r); break;
    case PC_DNS_T_CAA: put_caa(e, r); break;
    default: break; /* no typed form: empty RDATA */
    }
}

/* Close a record whose RDATA started at rd0 with its length at rdl_at. */
static void end_rdata(struct enc *e, size_t rdl_at, size_t rd0, pc_field f)
{
    if (e->err) return;
    size_t n = e->len - rd0;
    if (n > 0xFFFF && f.mode != PC_FPIN) { e->err = PC_ELIMIT; return; }
    pc_put16(e->m + rdl_at, (uint16_t)pc_field_value(f, (uint32_t)n, 0xFFFF));
}

static void put_record(struct enc *e, const struct pc_dns_record *r)
{
    put_name(e, r->name, 1);
    put16(e, r->type);
    put16(e, r->rclass);
    put32(e, r->ttl);
    size_t rdl_at = e->len;
    put16(e, 0);
    size_t rd0 = e->len;
    put_rdata(e, r);
    end_rdata(e, rdl_at, rd0, r->rdlength);
}

/* Client subnet: the address cut to SOURCE bits (RFC 7871 section 6). */
static void put_ecs(struct enc *e, const struct pc_dns_ednsopt *o)
{
    unsigned max = o->ecs.family == 1 ? 32 : o->ecs.family == 2 ? 128 : 0;
    if (!max || o->ecs.source > max || o->ecs.scope > max) { if (!e->err) e->err = PC_EINVAL; return; }
    size_t nb = (o->ecs.source + 7u) / 8u;
    put16(e, PC_EDNS_OPT_ECS);
    put16(e, (uint16_t)(4 + nb));
    put16(e, o->ecs.family);
    put8(e, o->ecs.source);
    put8(e, o->ecs.scope);
    uint8_t *a = room(e, nb);
    if (!a || !nb) return;
    memcpy(a, o->ecs.addr, nb);
    if (o->ecs.source % 8) a[nb - 1] &= (uint8_t)(0xFF00u >> (o->ecs.source % 8));
}

static void put_edns(struct enc *e, const struct pc_dns_edns *x)
{
    put_name(e, ".", 0);
    put16(e, PC_DNS_T_OPT);
    put16(e, x->udp_size);
    put8(e, x->ext_rcode);
    put8(e, x->version);
    put16(e, (uint16_t)((x->do_bit ? 0x8000u : 0) | (x->z & 0x7FFFu)));
    size_t rdl_at = e->len;
    put16(e, 0);
    size_t rd0 = e->len;
    for (size_t k = 0; k < x->nopts && x->opts; k++) {
        const struct pc_dns_ednsopt *o = &x->opts[k];
        if (o->code == PC_EDNS_OPT_ECS && !o->data) { put_ecs(e, o); continue; }
        if (o->len && !o->data) { if (!e->err) e->err = PC_EINVAL; return; }
        put16(e, o->code);
        put16(e, o->len);
        putn(e, o->data, o->len);
    }
    if (x->nopts && !x->opts && !e->err) e->err = PC_EINVAL;
    end_rdata(e, rdl_at, rd0, (pc_field){ 0 });
}

static uint16_t compose_flags(const struct pc_dns *s)
{
    uint32_t f = (uint32_t)(s->qr & 1) << 15 | (uint32_t)(s->opcode & 0xF) << 11 | (uint32_t)(s->aa & 1) << 10 |
                 (uint32_t)(s->tc & 1) << 9 | (uint32_t)(s->rd & 1) << 8 | (uint32_t)(s->ra & 1) << 7 |
                 (uint32_t)(s->z & 1) << 6 | (uint32_t)(s->ad & 1) << 5 | (uint32_t)(s->cd & 1) << 4 |
                 (uint32_t)(s->rcode & 0xF);
    return (uint16_t)pc_field_value(s->flags, f, 0xFFFF);
}

/* The four counts at h + 4: AUTO is the number of entries given (the OPT
 * record counts in the additional section). */
static int put_counts(uint8_t *h, const struct pc_dns *s)
{
    const size_t n[4] = { s->nqd, s->nan, s->nns, s->nar + (s->edns ? 1u : 0u) };
    const pc_field f[4] = { s->qdcount, s->ancount, s->nscount, s->arcount };
    for (int k = 0; k < 4; k++) {
        if (n[k] > 0xFFFF && f[k].mode != PC_FPIN) return PC_ELIMIT;
        pc_put16(h + PC_DNS_OFF_QDCOUNT + 2 * k, (uint16_t)pc_field_value(f[k], (uint32_t)n[k], 0xFFFF));
    }
    return 0;
}

static int spec_ok(const struct pc_dns *s)
{
    return s && (!s->nqd || s->qd) && (!s->nan || s->an) && (!s->nns || s->ns) && (!s->nar || s->ar) &&
           s->malform <= PC_DNS_MAL_LONGLABEL;
}

int pc_dns_encode(const struct pc_dns *s, uint8_t *out, size_t cap)
{
    if (!spec_ok(s) || (!out && cap)) return PC_EINVAL;
    size_t pre = s->tcp ? DNS_TCP_PREFIX : 0;
    if (cap < pre + PC_DNS_HLEN) return PC_ENOSPC;
    static const struct enc zero;
    struct enc e = zero;
    e.m = out + pre;
    e.cap = cap - pre;
    e.malform = s->malform;
    e.compress = !s->no_compress && s->malform != PC_DNS_MAL_LONGLABEL;
    e.maxlabel = s->malform == PC_DNS_MAL_LONGLABEL ? DNS_LONGLABEL_MAX : PC_DNS_MAXLABEL;
    uint8_t *h = room(&e, PC_DNS_HLEN);
    pc_put16(h + PC_DNS_OFF_ID, s->id);
    pc_put16(h + PC_DNS_OFF_FLAGS, compose_flags(s));
    int rc = put_counts(h, s);
    if (rc < 0) return rc;
    for (size_t k = 0; k < s->nqd; k++) {
        put_name(&e, s->qd[k].name, 1);
        put16(&e, s->qd[k].type);
        put16(&e, s->qd[k].qclass);
    }
    for (size_t k = 0; k < s->nan; k++) put_record(&e, &s->an[k]);
    for (size_t k = 0; k < s->nns; k++) put_record(&e, &s->ns[k]);
    for (size_t k = 0; k < s->nar; k++) put_record(&e, &s->ar[k]);
    if (s->edns) put_edns(&e, s->edns);
    if (!e.err && (e.fwd_pending || (s->malform && e.names == 0))) e.err = PC_EINVAL; /* nothing to malform */
    if (e.err) return e.err;
    if (e.len > 0xFFFF) return PC_ELIMIT; /* no TCP prefix or UDP datagram holds it */
    if (pre) pc_put16(out, (uint16_t)pc_field_value(s->tcp_len, (uint32_t)e.len, 0xFFFF));
    return (int)(pre + e.len);
}

int pc_push_dns(struct pc_pkt *pk, const struct pc_dns *s)
{
    if (pk->err) return pk->err;
    if (!spec_ok(s)) return pk->err = PC_EINVAL;
    /* Serialised straight into the free tail of the buffer, then claimed. */
    int n = pc_dns_encode(s, pk->buf + pk->len, pk->cap - pk->len);
    if (n < 0) return pk->err = n;
    if (!pc_pkt_reserve(pk, (size_t)n, PC_P_DNS)) return pk->err;
    /* The stored copy outlives the caller's arrays: keep the numbers fill
     * needs and drop the pointers (the OPT record folded into nar). */
    struct pc_dns c = *s;
    c.nar += s->edns ? 1u : 0u;
    c.qd = NULL;
    c.an = c.ns = c.ar = NULL;
    c.edns = NULL;
    pc_pkt_save_spec(pk, pk->n - 1, &c, sizeof c);
    return 0;
}

int pc_dns_fill(struct pc_pkt *pk, int i)
{
    struct pc_dns s;
    pc_pkt_load_spec(pk, i, &s, sizeof s);
    const struct pc_blayer *l = &pk->l[i];
    uint8_t *h = pk->buf + l->off;
    if (s.tcp) {
        /* The message pushed, not pk->len - off: a payload pushed after a
         * message over TCP is not part of it. */
        uint32_t mlen = l->hlen - DNS_TCP_PREFIX;
        pc_put16(h, (uint16_t)pc_field_value(s.tcp_len, mlen, 0xFFFF));
        h += DNS_TCP_PREFIX;
    }
    return put_counts(h, &s);
}

/* ============================================================ iterator */

static const char *const count_exceeds[4] = {
    "dns: question count exceeds records", "dns: answer count exceeds records",
    "dns: authority count exceeds records", "dns: additional count exceeds records",
};
static const char *const entry_cut[4] = {
    "dns: question runs past the message", "dns: answer record runs past the message",
    "dns: authority record runs past the message", "dns: additional record runs past the message",
};

int pc_dns_iter_init(struct pc_dns_iter *it, const uint8_t *msg, size_t len)
{
    memset(it, 0, sizeof *it);
    it->msg = msg;
    it->len = len;
    if (len < PC_DNS_HLEN) {
        it->section = 4;
        it->why = "dns: message shorter than 12 bytes";
        return PC_ETRUNC;
    }
    it->id = pc_dns_id(msg);
    it->flags = pc_dns_flags(msg);
    for (int k = 0; k < 4; k++) it->count[k] = pc_get16(msg + PC_DNS_OFF_QDCOUNT + 2 * k);
    it->off = PC_DNS_HLEN;
    return 0;
}

/* One entry; the owner name's text only when text is set (the decoder's
 * validating walk skips the formatting). */
static int iter_step(struct pc_dns_iter *it, struct pc_dns_rr *rr, int text)
{
    while (it->section < 4 && it->index >= it->count[it->section]) {
        it->section++;
        it->index = 0;
    }
    if (it->section >= 4) return 0;
    uint8_t sec = it->section;
    size_t pos = it->off, next;
    if (pos >= it->len) { it->why = count_exceeds[sec]; return PC_ETRUNC; }
    int rc = pc_dns_name(it->msg, it->len, pos, text ? rr->name : NULL, text ? sizeof rr->name : 0, &next, &it->why);
    if (rc < 0) return rc;
    size_t fixed = sec == PC_DNS_SEC_QD ? DNS_QFIXED : DNS_RRFIXED;
    if (it->len - next < fixed) { it->why = entry_cut[sec]; return PC_ETRUNC; }
    const uint8_t *f = it->msg + next;
    rr->section = sec;
    rr->index = it->index;
    rr->off = pos;
    rr->type = pc_get16(f + RR_TYPE);
    rr->rclass = pc_get16(f + RR_CLASS);
    rr->ttl = 0;
    rr->rdata_off = 0;
    rr->rdlength = 0;
    size_t end = next + fixed;
    if (sec != PC_DNS_SEC_QD) {
        rr->ttl = pc_get32(f + RR_TTL);
        rr->rdlength = pc_get16(f + RR_RDLEN);
        rr->rdata_off = end;
        if (it->len - end < rr->rdlength) { it->why = "dns: rdata runs past the message"; return PC_ETRUNC; }
        end += rr->rdlength;
    }
    it->off = end;
    it->index++;
    return 1;
}

int pc_dns_iter_next(struct pc_dns_iter *it, struct pc_dns_rr *rr)
{
    return iter_step(it, rr, 1);
}

/* ============================================================ rdata */

/* RFC 7871 section 6: a known family, prefixes within it, and exactly the
 * address bytes SOURCE needs (a server answers anything else FORMERR). */
static int ecs_ok(const uint8_t *d, uint16_t n)
{
    if (n < ECS_ADDR) return 0;
    uint16_t fam = pc_get16(d + ECS_FAMILY);
    unsigned max = fam == 1 ? 32 : fam == 2 ? 128 : 0;
    return max && d[ECS_SOURCE] <= max && d[ECS_SCOPE] <= max && n - ECS_ADDR == (d[ECS_SOURCE] + 7) / 8;
}

int pc_dns_opts_walk(const uint8_t *rdata, size_t len, pc_dns_opt_cb cb, void *ctx, const char **why)
{
    for (size_t k = 0; k < len;) {
        if (len - k < OPT_HLEN || len - k - OPT_HLEN < pc_get16(rdata + k + 2)) {
            if (why) *why = "dns: edns option runs past the rdata";
            return PC_EMALFORMED;
        }
        uint16_t code = pc_get16(rdata + k), n = pc_get16(rdata + k + 2);
        const uint8_t *d = rdata + k + OPT_HLEN;
        if (code == PC_EDNS_OPT_ECS && !ecs_ok(d, n)) {
            if (why) *why = "dns: client subnet option invalid";
            return PC_EMALFORMED;
        }
        if (cb) cb(ctx, code, d, n);
        k += OPT_HLEN + (size_t)n;
    }
    return 0;
}

/* A name inside RDATA: its own bytes must stay inside the RDATA (pointers
 * may reach back anywhere before it). */
static int rd_name(const uint8_t *msg, size_t rdend, size_t *pos, struct sink *s, const char **why)
{
    char buf[PC_DNS_NAME_TEXTMAX];
    size_t next;
    int rc = pc_dns_name(msg, rdend, *pos, s->p ? buf : NULL, s->p ? sizeof buf : 0, &next, why);
    if (rc == PC_ETRUNC) { *why = "dns: name runs past the rdata"; return PC_EMALFORMED; }
    if (rc < 0) return rc;
    if (s->p) sk_puts(s, buf);
    else s->len += (size_t)rc; /* counting only */
    *pos = next;
    return 0;
}

/* Fixed-size fields after (or before) a name must fill the RDATA exactly. */
static int rd_exact(size_t have, size_t want, const char **why)
{
    if (have < want) { *why = "dns: rdata too short for its type"; return PC_EMALFORMED; }
    if (have > want) { *why = "dns: rdata longer than its fields"; return PC_EMALFORMED; }
    return 0;
}

static int rd_txt(const uint8_t *msg, size_t pos, size_t end, struct sink *s, const char **why)
{
    for (int first = 1; pos < end; first = 0) {
        uint8_t n = msg[pos];
        if (n > end - pos - 1) { *why = "dns: TXT string runs past the rdata"; return PC_EMALFORMED; }
        if (!first) sk_putc(s, ' ');
        sk_putc(s, '"');
        for (size_t k = 1; k <= n; k++) put_string_byte(s, msg[pos + k]);
        sk_putc(s, '"');
        pos += 1u + n;
    }
    return 0;
}

/* RFC 8659: the tag is 1..15 bytes (we accept up to what is there). */
static int rd_caa(const uint8_t *p, size_t n, struct sink *s, const char **why)
{
    if (n < CAA_TAG) { *why = "dns: rdata too short for its type"; return PC_EMALFORMED; }
    size_t tl = p[CAA_TAGLEN];
    if (tl == 0 || tl > n - CAA_TAG) { *why = "dns: CAA tag length invalid"; return PC_EMALFORMED; }
    sk_uint(s, p[CAA_FLAGS]);
    sk_putc(s, ' ');
    for (size_t k = 0; k < tl; k++) put_label_byte(s, p[CAA_TAG + k]);
    sk_puts(s, " \"");
    for (size_t k = CAA_TAG + tl; k < n; k++) put_string_byte(s, p[k]);
    sk_putc(s, '"');
    return 0;
}

/* A name filling the RDATA from pos to its end. */
static int rd_name_to_end(const uint8_t *msg, size_t pos, size_t end, struct sink *s, const char **why)
{
    int rc = rd_name(msg, end, &pos, s, why);
    return rc < 0 ? rc : rd_exact(end - pos, 0, why);
}

/* Type-specific RDATA; msg is valid up to end at least. */
static int rd_typed(const uint8_t *msg, const struct pc_dns_rr *rr, struct sink *s, const char **why)
{
    size_t pos = rr->rdata_off, n = rr->rdlength, end = pos + n;
    const uint8_t *p = msg + pos;
    char ip[46];
    int rc;
    switch (rr->type) {
    case PC_DNS_T_A:
        if (n != 4) { *why = "dns: A rdata is not 4 bytes"; return PC_EMALFORMED; }
        if (!s->p) {
            s->len += ip4_text_len(p);
            return 0;
        }
        pc_fmt_ip4(p, ip);
        sk_puts(s, ip);
        return 0;
    case PC_DNS_T_AAAA:
        if (n != 16) { *why = "dns: AAAA rdata is not 16 bytes"; return PC_EMALFORMED; }
        pc_fmt_ip6(p, ip);
        sk_puts(s, ip);
        return 0;
    case PC_DNS_T_CNAME: case PC_DNS_T_NS: case PC_DNS_T_PTR: return rd_name_to_end(msg, pos, end, s, why);
    case PC_DNS_T_MX:
        if (n < MX_NAME) return rd_exact(n, MX_NAME + 1, why);
        sk_uint(s, pc_get16(p));
        sk_putc(s, ' ');
        return rd_name_to_end(msg, pos + MX_NAME, end, s, why);
    case PC_DNS_T_SRV:
        if (n < SRV_NAME) return rd_exact(n, SRV_NAME + 1, why);
        for (int k = 0; k < 3; k++) {
            sk_uint(s, pc_get16(p + 2 * k));
            sk_putc(s, ' ');
        }
        return rd_name_to_end(msg, pos + SRV_NAME, end, s, why);
    case PC_DNS_T_SOA:
        for (int k = 0; k < 2; k++) {
            if ((rc = rd_name(msg, end, &pos, s, why)) < 0) return rc;
            sk_putc(s, ' ');
        }
        if ((rc = rd_exact(end - pos, SOA_FIXED, why)) < 0) return rc;
        for (int k = 0; k < 5; k++) {
            if (k) sk_putc(s, ' ');
            sk_uint(s, pc_get32(msg + pos + 4 * k));
        }
        return 0;
    case PC_DNS_T_TXT: return rd_txt(msg, pos, end, s, why);
    case PC_DNS_T_CAA: return rd_caa(p, n, s, why);
    case PC_DNS_T_OPT:
        if ((rc = pc_dns_opts_walk(p, n, NULL, NULL, why)) < 0) return rc;
        put_hex(s, p, n);
        return 0;
    default: put_hex(s, p, n); return 0;
    }
}

int pc_dns_rdata_text(const uint8_t *msg, size_t len, const struct pc_dns_rr *rr, char *out, size_t cap,
                      const char **why)
{
    const char *w = NULL;
    if (!why) why = &w;
    struct sink s = { out, cap, 0 };
    if (out && cap) out[0] = 0;
    if (rr->section == PC_DNS_SEC_QD) return 0;
    if (rr->rdata_off > len || rr->rdlength > len - rr->rdata_off) {
        *why = "dns: rdata runs past the message";
        return PC_ETRUNC;
    }
    int rc = rd_typed(msg, rr, &s, why);
    if (rc < 0) return rc;
    rc = sk_result(&s);
    if (rc < 0) *why = "dns: rdata text does not fit the buffer";
    return rc;
}

/* ============================================================ names of numbers */

static const char *ring_fmt(const char *pfx, unsigned v)
{
    static _Thread_local char ring[4][16];
    static _Thread_local unsigned k;
    char *b = ring[k++ & 3];
    snprintf(b, sizeof ring[0], "%s%u", pfx, v);
    return b;
}

const char *pc_dns_type_name(uint16_t type)
{
    switch (type) {
    case 1: return "A";
    case 2: return "NS";
    case 3: return "MD";
    case 4: return "MF";
    case 5: return "CNAME";
    case 6: return "SOA";
    case 7: return "MB";
    case 8: return "MG";
    case 9: return "MR";
    case 10: return "NULL";
    case 11: return "WKS";
    case 12: return "PTR";
    case 13: return "HINFO";
    case 14: return "MINFO";
    case 15: return "MX";
    case 16: return "TXT";
    case 17: return "RP";
    case 18: return "AFSDB";
    case 24: return "SIG";
    case 25: return "KEY";
    case 28: return "AAAA";
    case 29: return "LOC";
    case 33: return "SRV";
    case 35: return "NAPTR";
    case 36: return "KX";
    case 37: return "CERT";
    case 39: return "DNAME";
    case 41: return "OPT";
    case 42: return "APL";
    case 43: return "DS";
    case 44: return "SSHFP";
    case 45: return "IPSECKEY";
    case 46: return "RRSIG";
    case 47: return "NSEC";
    case 48: return "DNSKEY";
    case 49: return "DHCID";
    case 50: return "NSEC3";
    case 51: return "NSEC3PARAM";
    case 52: return "TLSA";
    case 53: return "SMIMEA";
    case 55: return "HIP";
    case 59: return "CDS";
    case 60: return "CDNSKEY";
    case 61: return "OPENPGPKEY";
    case 62: return "CSYNC";
    case 63: return "ZONEMD";
    case 64: return "SVCB";
    case 65: return "HTTPS";
    case 99: return "SPF";
    case 249: return "TKEY";
    case 250: return "TSIG";
    case 251: return "IXFR";
    case 252: return "AXFR";
    case 255: return "ANY";
    case 256: return "URI";
    case 257: return "CAA";
    default: return ring_fmt("TYPE", type);
    }
}

const char *pc_dns_rcode_name(uint16_t rcode)
{
    static const char *const names[] = { "NoError", "FormErr", "ServFail", "NXDomain", "NotImp", "Refused",
                                         "YXDomain", "YXRRSet", "NXRRSet", "NotAuth", "NotZone" };
    if (rcode < sizeof names / sizeof names[0]) return names[rcode];
    if (rcode == 16) return "BADVERS";
    return ring_fmt("RCODE", rcode);
}

/* ============================================================ decoder */

/* Walk every entry of a message: wirelen bytes on the wire, avail of them
 * captured (>= 12).  A parse that runs out of bytes is a truncation when
 * the capture or segment (cut) ended early, else the message lies. */
static void dns_check(struct pc_walk *w, int i, const uint8_t *msg, uint32_t wirelen, uint32_t avail,
                      const char *cut)
{
    struct pc_dns_iter it;
    struct pc_dns_rr rr;
    const char *why = NULL;
    int rc = pc_dns_iter_init(&it, msg, avail); /* avail >= 12: cannot fail */
    while (rc >= 0 && (rc = iter_step(&it, &rr, 0)) == 1) {
        /* The iterator keeps RDATA inside avail: its errors are lies. */
        int r = pc_dns_rdata_text(msg, avail, &rr, NULL, 0, &why);
        if (r < 0) {
            pc_dec_fail(w, i, PC_LF_MALFORMED, why);
            return;
        }
    }
    if (rc < 0) {
        if (rc == PC_ETRUNC && avail < wirelen) pc_dec_fail(w, i, PC_LF_TRUNC, cut);
        else pc_dec_fail(w, i, PC_LF_MALFORMED, it.why);
        return;
    }
    /* Every record fitted, but the message is still not all here. */
    if (avail < wirelen) { pc_dec_fail(w, i, PC_LF_TRUNC, cut); return; }
    /* Bytes after the last record are allowed (some stacks pad), noted. */
    if (it.off < wirelen) w->d->l[i].why = "dns: trailing bytes after the last record";
}

void pc_dns_decode(struct pc_walk *w, uint32_t off)
{
    if (off >= w->end) return; /* an empty datagram carries no message */
    struct pc_decoded *d = w->d;
    int i = pc_dec_add(w, PC_P_DNS, off, PC_DNS_HLEN, 0);
    if (i < 0) return;
    uint32_t room = w->end - off, avail = pc_dec_avail(w, off);
    if (room < PC_DNS_HLEN) { pc_dec_fail(w, i, PC_LF_MALFORMED, "dns: message shorter than 12 bytes"); return; }
    if (avail < PC_DNS_HLEN) { pc_dec_fail(w, i, PC_LF_TRUNC, "dns: header cut by the capture"); return; }
    d->l[i].plen = room - PC_DNS_HLEN;
    dns_check(w, i, d->buf + off, room, avail, "dns: message cut by the capture");
}

void pc_dns_tcp_decode(struct pc_walk *w, uint32_t off)
{
    struct pc_decoded *d = w->d;
    for (uint32_t pos = off; pos < w->end;) {
        uint32_t room = w->end - pos, avail = pc_dec_avail(w, pos);
        int i = pc_dec_add(w, PC_P_DNS, pos, DNS_TCP_PREFIX + PC_DNS_HLEN, 0);
        if (i < 0) return;
        if (room < DNS_TCP_PREFIX) {
            pc_dec_fail(w, i, PC_LF_TRUNC, "dns: tcp length prefix continues in the next segment");
            return;
        }
        if (avail < DNS_TCP_PREFIX) { pc_dec_fail(w, i, PC_LF_TRUNC, "dns: tcp length prefix cut by the capture"); return; }
        uint32_t mlen = pc_get16(d->buf + pos);
        if (mlen < PC_DNS_HLEN) { pc_dec_fail(w, i, PC_LF_MALFORMED, "dns: tcp length below 12"); return; }
        d->l[i].plen = mlen - PC_DNS_HLEN;
        uint32_t inseg = room - DNS_TCP_PREFIX < mlen ? room - DNS_TCP_PREFIX : mlen;
        uint32_t have = avail - DNS_TCP_PREFIX < inseg ? avail - DNS_TCP_PREFIX : inseg;
        /* A message longer than the segment goes on in the next one: a
         * truncation of this segment's view, not a lie. */
        const char *cut = inseg < mlen ? "dns: message continues in the next tcp segment"
                                       : "dns: message cut by the capture";
        if (have < PC_DNS_HLEN) { pc_dec_fail(w, i, PC_LF_TRUNC, cut); return; }
        dns_check(w, i, d->buf + pos + DNS_TCP_PREFIX, mlen, have, cut);
        if (inseg < mlen) return;
        pos += DNS_TCP_PREFIX + mlen;
    }
}

/* ============================================================ describe */

/* Where the message of layer i starts and how much of it was captured. */
static int layer_msg(const struct pc_decoded *d, int i, const uint8_t **msg, uint32_t *have)
{
    const struct pc_layer *l = &d->l[i];
    if (pc_layer_caphdr(d, i) < l->hlen) return -1;
    /* Over TCP (the transport decoded before it) a length prefix comes first. */
    uint32_t pre = d->l4 >= 0 && d->l[d->l4].proto == PC_P_TCP ? DNS_TCP_PREFIX : 0;
    uint32_t off = l->off + pre, mlen = PC_DNS_HLEN + l->plen;
    *msg = d->buf + off;
    *have = d->caplen - off < mlen ? d->caplen - off : mlen;
    return (int)pre;
}

static const char *opcode_name(unsigned op)
{
    switch (op) {
    case PC_DNS_OP_IQUERY: return "IQuery";
    case PC_DNS_OP_STATUS: return "Status";
    case PC_DNS_OP_NOTIFY: return "Notify";
    case PC_DNS_OP_UPDATE: return "Update";
    default: return ring_fmt("op", op);
    }
}

static void text_entry(struct pc_fmt *f, const uint8_t *msg, uint32_t have, const struct pc_dns_rr *rr, int first)
{
    if (rr->section == PC_DNS_SEC_QD) {
        int root = !strcmp(rr->name, ".");
        pc_fmt_text(f, " %s? %s%s", pc_dns_type_name(rr->type), rr->name, root ? "" : ".");
        return;
    }
    char v[PC_DNS_NAME_TEXTMAX];
    if (pc_dns_rdata_text(msg, have, rr, v, sizeof v, NULL) == PC_EMALFORMED) snprintf(v, sizeof v, "[malformed]");
    pc_fmt_text(f, "%s%s %s", first ? " " : ", ", pc_dns_type_name(rr->type), v);
}

/* tcpdump's style: "4660+ A? example.com." / "4660 1/0/0 A 93.184.216.34". */
static void describe_text(struct pc_fmt *f, const uint8_t *msg, uint32_t have)
{
    uint16_t fl = pc_dns_flags(msg);
    struct pc_dns_iter it;
    struct pc_dns_rr rr;
    pc_dns_iter_init(&it, msg, have);
    pc_fmt_text(f, "DNS %u", pc_dns_id(msg));
    if (!(fl & PC_DNS_F_QR)) {
        pc_fmt_text(f, "%s", fl & PC_DNS_F_RD ? "+" : "");
        if (pc_dns_opcode(msg)) pc_fmt_text(f, " %s", opcode_name(pc_dns_opcode(msg)));
        if (it.count[0] != 1) pc_fmt_text(f, " [%uq]", it.count[0]);
        while (pc_dns_iter_next(&it, &rr) == 1 && rr.section == PC_DNS_SEC_QD) text_entry(f, msg, have, &rr, 0);
        return;
    }
    pc_fmt_text(f, "%s%s%s", fl & PC_DNS_F_AA ? "*" : "", fl & PC_DNS_F_RA ? "" : "-", fl & PC_DNS_F_TC ? "|" : "");
    if (pc_dns_opcode(msg)) pc_fmt_text(f, " %s", opcode_name(pc_dns_opcode(msg)));
    if (pc_dns_rcode(msg)) pc_fmt_text(f, " %s", pc_dns_rcode_name(pc_dns_rcode(msg)));
    pc_fmt_text(f, " %u/%u/%u", it.count[1], it.count[2], it.count[3]);
    int first = 1;
    while (pc_dns_iter_next(&it, &rr) == 1) {
        if (rr.section != PC_DNS_SEC_AN) continue;
        text_entry(f, msg, have, &rr, first);
        first = 0;
    }
}

static void json_opt_cb(void *ctx, uint16_t code, const uint8_t *data, uint16_t len)
{
    struct pc_fmt *f = ctx;
    pc_fmt_kobj_open(f, NULL);
    pc_fmt_kuint(f, "code", code);
    if (code == PC_EDNS_OPT_ECS) { /* validated by the walk: len >= 4 and matches the prefix */
        uint16_t fam = pc_get16(data + ECS_FAMILY);
        uint8_t a[16] = { 0 };
        char t[46];
        memcpy(a, data + ECS_ADDR, len - (size_t)ECS_ADDR);
        if (fam == 1) pc_fmt_ip4(a, t);
        else pc_fmt_ip6(a, t);
        pc_fmt_kuint(f, "family", fam);
        pc_fmt_kuint(f, "source_prefix", data[ECS_SOURCE]);
        pc_fmt_kuint(f, "scope_prefix", data[ECS_SCOPE]);
        pc_fmt_kstr(f, "address", t);
    } else {
        char hex[2 * 256 + 1];
        struct sink s = { hex, sizeof hex, 0 };
        put_hex(&s, data, len > 256 ? 256 : len);
        pc_fmt_kstr(f, "data", hex);
    }
    pc_fmt_kobj_close(f);
}

static void json_opt(struct pc_fmt *f, const uint8_t *msg, const struct pc_dns_rr *rr)
{
    pc_fmt_kstr(f, "type", "OPT");
    pc_fmt_kuint(f, "udp_size", rr->rclass);
    pc_fmt_kuint(f, "ext_rcode", rr->ttl >> 24);
    pc_fmt_kuint(f, "version", (rr->ttl >> 16) & 0xFF);
    pc_fmt_kbool(f, "do", rr->ttl & 0x8000);
    pc_fmt_karr_open(f, "options");
    pc_dns_opts_walk(msg + rr->rdata_off, rr->rdlength, json_opt_cb, f, NULL);
    pc_fmt_karr_close(f);
}

static void json_entry(struct pc_fmt *f, const uint8_t *msg, uint32_t have, const struct pc_dns_rr *rr)
{
    pc_fmt_kobj_open(f, NULL);
    if (rr->section != PC_DNS_SEC_QD && rr->type == PC_DNS_T_OPT) {
        json_opt(f, msg, rr);
        pc_fmt_kobj_close(f);
        return;
    }
    pc_fmt_kstr(f, "name", rr->name);
    pc_fmt_kstr(f, "type", pc_dns_type_name(rr->type));
    pc_fmt_kuint(f, "class", rr->rclass);
    if (rr->section != PC_DNS_SEC_QD) {
        char v[PC_DNS_NAME_TEXTMAX];
        pc_fmt_kuint(f, "ttl", rr->ttl);
        if (pc_dns_rdata_text(msg, have, rr, v, sizeof v, NULL) >= 0) pc_fmt_kstr(f, "value", v);
        else pc_fmt_knull(f, "value");
    }
    pc_fmt_kobj_close(f);
}

static void describe_json(struct pc_fmt *f, const uint8_t *msg, uint32_t have, int pre, uint32_t mlen)
{
    static const char *const sec[4] = { "questions", "answers", "authority", "additional" };
    uint16_t fl = pc_dns_flags(msg);
    struct pc_dns_iter it;
    struct pc_dns_rr rr;
    pc_dns_iter_init(&it, msg, have);
    if (pre) pc_fmt_kuint(f, "length", mlen);
    pc_fmt_kuint(f, "id", pc_dns_id(msg));
    pc_fmt_kbool(f, "qr", fl & PC_DNS_F_QR);
    pc_fmt_kuint(f, "opcode", pc_dns_opcode(msg));
    pc_fmt_kbool(f, "aa", fl & PC_DNS_F_AA);
    pc_fmt_kbool(f, "tc", fl & PC_DNS_F_TC);
    pc_fmt_kbool(f, "rd", fl & PC_DNS_F_RD);
    pc_fmt_kbool(f, "ra", fl & PC_DNS_F_RA);
    pc_fmt_kbool(f, "z", fl & PC_DNS_F_Z);
    pc_fmt_kbool(f, "ad", fl & PC_DNS_F_AD);
    pc_fmt_kbool(f, "cd", fl & PC_DNS_F_CD);
    pc_fmt_kuint(f, "rcode", pc_dns_rcode(msg));
    pc_fmt_kuint(f, "qdcount", it.count[0]);
    pc_fmt_kuint(f, "ancount", it.count[1]);
    pc_fmt_kuint(f, "nscount", it.count[2]);
    pc_fmt_kuint(f, "arcount", it.count[3]);
    /* Every section's array is present; a parse error ends the listing. */
    int open = -1;
    while (pc_dns_iter_next(&it, &rr) == 1) {
        while (open < rr.section) {
            if (open >= 0) pc_fmt_karr_close(f);
            pc_fmt_karr_open(f, sec[++open]);
        }
        json_entry(f, msg, have, &rr);
    }
    while (open < 3) {
        if (open >= 0) pc_fmt_karr_close(f);
        pc_fmt_karr_open(f, sec[++open]);
    }
    pc_fmt_karr_close(f);
}

void pc_dns_describe(const struct pc_decoded *d, int i, struct pc_fmt *f)
{
    const uint8_t *msg;
    uint32_t have;
    int pre = layer_msg(d, i, &msg, &have);
    if (pre < 0) {
        pc_fmt_text(f, "DNS [|domain]");
        return;
    }
    if (f->json) describe_json(f, msg, have, pre, PC_DNS_HLEN + d->l[i].plen);
    else describe_text(f, msg, have);
}

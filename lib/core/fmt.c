/* The one text and JSON writer (see include/pktcraft/core/fmt.h). */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../internal.h"
#include "pktcraft/core/fmt.h"

static void init_common(struct pc_fmt *f, char *buf, size_t cap, bool json)
{
    memset(f, 0, sizeof *f);
    f->buf = buf;
    f->cap = cap;
    f->json = json;
    if (cap) buf[0] = 0;
}

void pc_fmt_init(struct pc_fmt *f, char *buf, size_t cap, bool json) { init_common(f, buf, cap, json); }

void pc_fmt_init_grow(struct pc_fmt *f, bool json)
{
    init_common(f, NULL, 0, json);
    f->grow = true;
}

void pc_fmt_init_sink(struct pc_fmt *f, char *buf, size_t cap, bool json, pc_fmt_sink sink, void *ctx)
{
    init_common(f, buf, cap, json);
    f->sink = sink;
    f->ctx = ctx;
}

void pc_fmt_reset(struct pc_fmt *f)
{
    f->len = 0;
    f->members = 0;
    f->cut = false;
    if (f->cap) f->buf[0] = 0;
}

void pc_fmt_free(struct pc_fmt *f)
{
    if (f->grow) free(f->buf);
    f->buf = NULL;
    f->cap = f->len = 0;
}

int pc_fmt_flush(struct pc_fmt *f)
{
    if (!f->sink || f->err) return f->err;
    if (f->len) {
        int rc = f->sink(f->ctx, f->buf, f->len);
        f->total += f->len;
        f->len = 0;
        if (rc < 0) f->err = rc;
    }
    if (f->cap) f->buf[0] = 0;
    return f->err;
}

int pc_fmt_fd_sink(void *ctx, const char *p, size_t n)
{
    int fd = *(const int *)ctx;
    while (n > 0) {
        ssize_t k = write(fd, p, n);
        if (k < 0 && errno == EINTR) continue;
        if (k <= 0) return PC_EIO;
        p += k;
        n -= (size_t)k;
    }
    return 0;
}

/* Make room for n more bytes plus the terminating NUL.  Returns false when
 * the bytes cannot be taken whole (fixed buffer full, allocation or sink
 * failure); the caller then stores what fits, if anything. */
static bool room_slow(struct pc_fmt *f, size_t n)
{
    if (f->err) return false;
    if (f->grow) {
        size_t want = f->len + n + 1, cap = f->cap ? f->cap : 256;
        while (cap < want && cap <= SIZE_MAX / 2) cap *= 2;
        char *nb = cap && cap >= want ? realloc(f->buf, cap) : NULL; /* NULL: past SIZE_MAX */
        if (!nb) {
            f->err = PC_ENOMEM;
            return false;
        }
        f->buf = nb;
        f->cap = cap;
        return true;
    }
    if (f->sink) {
        if (pc_fmt_flush(f)) return false;
        return n + 1 <= f->cap;
    }
    f->cut = true;
    return false;
}


/* pc_fmt_put() when the bytes do not fit the buffer as it is. */
void pc_fmt__put_slow(struct pc_fmt *f, const char *s, size_t n)
{
    if (room_slow(f, n)) {
        memcpy(f->buf + f->len, s, n);
        f->len += n;
        f->buf[f->len] = 0;
        return;
    }
    if (f->err) return;
    if (f->sink) { /* bigger than the whole buffer: straight through */
        int rc = f->sink(f->ctx, s, n);
        f->total += n;
        if (rc < 0) f->err = rc;
        return;
    }
    /* fixed buffer: keep what fits (f->cut is set) */
    if (f->len + 1 < f->cap) {
        size_t k = f->cap - 1 - f->len;
        memcpy(f->buf + f->len, s, k);
        f->len += k;
        f->buf[f->len] = 0;
    }
}

static void vput(struct pc_fmt *f, const char *fmt, va_list ap)
{
    va_list again;
    va_copy(again, ap);
    size_t avail = f->cap > f->len ? f->cap - f->len : 0;
    int n = vsnprintf(avail ? f->buf + f->len : NULL, avail, fmt, ap);
    if (n >= 0 && (size_t)n < avail) {
        f->len += (size_t)n;
    } else if (n >= 0) {
        /* Did not fit: format into scratch memory and append it whole (or,
         * for a fixed buffer, what fits). */
        char small[512], *tmp = (size_t)n < sizeof small ? small : malloc((size_t)n + 1);
        if (!tmp) f->err = f->err ? f->err : PC_ENOMEM;
        else {
            vsnprintf(tmp, (size_t)n + 1, fmt, again);
            if (f->cap > f->len) f->buf[f->len] = 0; /* undo the partial write */
            pc_fmt_put(f, tmp, (size_t)n);
            if (tmp != small) free(tmp);
        }
    }
    va_end(again);
}

void pc_fmt_text(struct pc_fmt *f, const char *fmt, ...)
{
    if (f->json) return;
    va_list ap;
    va_start(ap, fmt);
    vput(f, fmt, ap);
    va_end(ap);
}

void pc_fmt_printf(struct pc_fmt *f, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vput(f, fmt, ap);
    va_end(ap);
}

/* ---- JSON strings ---- */

/* Length of the valid UTF-8 sequence starting at s (n bytes left) whose
 * lead byte is >= 0x80, or 0 when it is not valid (RFC 3629: no overlong
 * forms, no surrogates, nothing above U+10FFFF). */
static size_t utf8_len(const uint8_t *s, size_t n)
{
    uint8_t c = s[0], lo = 0x80, hi = 0xBF;
    size_t need;
    if (c >= 0xC2 && c <= 0xDF) need = 2;
    else if (c >= 0xE0 && c <= 0xEF) {
        need = 3;
        if (c == 0xE0) lo = 0xA0;
        if (c == 0xED) hi = 0x9F;
    } else if (c >= 0xF0 && c <= 0xF4) {
        need = 4;
        if (c == 0xF0) lo = 0x90;
        if (c == 0xF4) hi = 0x8F;
    } else {
        return 0;
    }
    if (n < need || s[1] < lo || s[1] > hi) return 0;
    for (size_t k = 2; k < need; k++)
        if (s[k] < 0x80 || s[k] > 0xBF) return 0;
    return need;
}

/* 1 for the bytes a JSON string takes as they are: printable ASCII other
 * than '"' (0x22) and '\\' (0x5C).  A table, because this test runs for
 * every byte of every string of every record. */
static const uint8_t plain_tab[256] = {
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    1, 1, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
};

static inline bool plain(uint8_t c) { return plain_tab[c]; }

void pc_fmt_json_escape(struct pc_fmt *f, const uint8_t *s, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    size_t i = 0;
    while (i < n) {
        size_t run = i;
        while (run < n && plain(s[run])) run++;
        if (run > i) {
            pc_fmt_put(f, (const char *)s + i, run - i);
            i = run;
            if (i == n) break;
        }
        uint8_t c = s[i];
        if (c >= 0x80) {
            size_t k = utf8_len(s + i, n - i);
            if (k) pc_fmt_put(f, (const char *)s + i, k);
            else pc_fmt_put(f, "\\ufffd", 6);
            i += k ? k : 1;
            continue;
        }
        char esc[6] = { '\\', 0 };
        size_t en = 2;
        switch (c) {
        case '"': esc[1] = '"'; break;
        case '\\': esc[1] = '\\'; break;
        case '\n': esc[1] = 'n'; break;
        case '\r': esc[1] = 'r'; break;
        case '\t': esc[1] = 't'; break;
        case '\b': esc[1] = 'b'; break;
        case '\f': esc[1] = 'f'; break;
        default: /* other controls and DEL */
            esc[1] = 'u';
            esc[2] = esc[3] = '0';
            esc[4] = hex[c >> 4];
            esc[5] = hex[c & 15];
            en = 6;
        }
        pc_fmt_put(f, esc, en);
        i++;
    }
}

/* A JSON string value, quoted and escaped. */
void pc_fmt__str(struct pc_fmt *f, const uint8_t *s, size_t n)
{
    if (f->len + n + 2 < f->cap) {
        /* The usual case, a short string with nothing to escape: copied
         * while it is checked, then closed; else the checked part stays
         * and the escaper takes the rest. */
        char *p = f->buf + f->len;
        *p++ = '"';
        size_t i = 0;
        while (i < n && plain(s[i])) {
            p[i] = (char)s[i];
            i++;
        }
        if (i == n) {
            p[n] = '"';
            p[n + 1] = 0;
            f->len += n + 2;
            return;
        }
        f->len += 1 + i;
        f->buf[f->len] = 0;
        pc_fmt_json_escape(f, s + i, n - i);
        pc_fmt_put(f, "\"", 1);
        return;
    }
    pc_fmt_put(f, "\"", 1);
    pc_fmt_json_escape(f, s, n);
    pc_fmt_put(f, "\"", 1);
}

/* pc_fmt__member() when ,"key": may not fit the buffer as it is: piece
 * by piece through pc_fmt_put(). */
void pc_fmt__member_slow(struct pc_fmt *f, const char *key, size_t klen)
{
    if (f->members++) pc_fmt_put(f, ",", 1);
    if (key) {
        pc_fmt_put(f, "\"", 1);
        pc_fmt_put(f, key, klen);
        pc_fmt_put(f, "\":", 2);
    }
}

/* "00" to "99": numbers are written two digits at a time. */
static const char pairs[] = "00010203040506070809101112131415161718192021222324252627282930313233343536373839"
                            "40414243444546474849505152535455565758596061626364656667686970717273747576777879"
                            "8081828384858687888990919293949596979899";

/* Decimal digits of v written backwards so that they end just before end;
 * returns where they start.  Two digits per division, and 32-bit
 * divisions (cheaper) once the value fits: numbers are most of a record. */
static inline char *udec(char *end, uint64_t v)
{
    char *p = end;
    for (; v > UINT32_MAX; v /= 100) {
        p -= 2;
        memcpy(p, pairs + v % 100 * 2, 2);
    }
    uint32_t w = (uint32_t)v;
    for (; w >= 100; w /= 100) {
        p -= 2;
        memcpy(p, pairs + w % 100 * 2, 2);
    }
    if (w >= 10) {
        p -= 2;
        memcpy(p, pairs + w * 2, 2);
    } else {
        *--p = (char)('0' + w);
    }
    return p;
}

#define UDEC_MAX 20 /* digits of UINT64_MAX */

/* Comparisons more than divisions: most numbers of a record are short. */
static inline size_t ndigits(uint64_t v)
{
    size_t n = 1;
    for (; v >= 10000; v /= 10000) n += 4;
    return n + (v >= 10) + (v >= 100) + (v >= 1000);
}

static inline size_t dec_text(uint64_t v, char *out)
{
    size_t n = ndigits(v);
    udec(out + n, v);
    out[n] = 0;
    return n;
}

size_t pc_fmt_dec(uint64_t v, char out[21]) { return dec_text(v, out); }

/* A number, formatted in place when the buffer has room.  Out of line
 * (noinline): the register saves it needs would otherwise be paid by the
 * short numbers of pc_fmt__uint() too. */
__attribute__((noinline)) static void uint_any(struct pc_fmt *f, uint64_t v)
{
    if (f->cap - f->len > UDEC_MAX) {
        f->len += dec_text(v, f->buf + f->len);
        return;
    }
    char t[UDEC_MAX + 1];
    pc_fmt_put(f, t, dec_text(v, t));
}

void pc_fmt__uint(struct pc_fmt *f, uint64_t v)
{
    /* One or two digits: two thirds of a record's numbers */
    size_t len = f->len;
    if (v < 100 && f->cap - len > 2) {
        char *p = f->buf + len;
        if (v < 10) {
            p[0] = (char)('0' + v);
            p[1] = 0;
            f->len = len + 1;
        } else {
            memcpy(p, pairs + v * 2, 2);
            p[2] = 0;
            f->len = len + 2;
        }
        return;
    }
    uint_any(f, v);
}

void pc_fmt__int(struct pc_fmt *f, int64_t v)
{
    if (v < 0) pc_fmt_put(f, "-", 1);
    pc_fmt__uint(f, v < 0 ? 0 - (uint64_t)v : (uint64_t)v);
}

/* The external definitions of the inline functions of the header. */
extern inline void pc_fmt_put(struct pc_fmt *f, const char *s, size_t n);
extern inline void pc_fmt_putc(struct pc_fmt *f, char c);
extern inline void pc_fmt__member(struct pc_fmt *f, const char *key);
extern inline void pc_fmt_kstr(struct pc_fmt *f, const char *key, const char *val);
extern inline void pc_fmt_kbytes_str(struct pc_fmt *f, const char *key, const uint8_t *p, size_t n);
extern inline void pc_fmt_kuint(struct pc_fmt *f, const char *key, uint64_t v);
extern inline void pc_fmt_kint(struct pc_fmt *f, const char *key, int64_t v);
extern inline void pc_fmt_kbool(struct pc_fmt *f, const char *key, bool v);
extern inline void pc_fmt_knull(struct pc_fmt *f, const char *key);
extern inline void pc_fmt_kraw(struct pc_fmt *f, const char *key, const char *s);
extern inline void pc_fmt_raw(struct pc_fmt *f, const char *s);
extern inline void pc_fmt_kobj_open(struct pc_fmt *f, const char *key);
extern inline void pc_fmt_kobj_close(struct pc_fmt *f);
extern inline void pc_fmt_karr_open(struct pc_fmt *f, const char *key);
extern inline void pc_fmt_karr_close(struct pc_fmt *f);
extern inline void pc_fmt_kmac(struct pc_fmt *f, const char *key, const uint8_t *m);
extern inline void pc_fmt_kip4(struct pc_fmt *f, const char *key, const uint8_t *a);
extern inline void pc_fmt_kip6(struct pc_fmt *f, const char *key, const uint8_t *a);

/* Addresses and timestamps are formatted by hand: snprintf was the largest
 * cost of JSON output (each record has a handful of each). */
static const char hexdig[] = "0123456789abcdef";

/* The address texts below write a NUL after the text and return its
 * length. */
static size_t mac_text(const uint8_t *m, char *out)
{
    for (int i = 0; i < 6; i++) {
        out[3 * i] = hexdig[m[i] >> 4];
        out[3 * i + 1] = hexdig[m[i] & 15];
        out[3 * i + 2] = ':';
    }
    out[17] = 0; /* over the last ':' */
    return 17;
}

/* Decimal text of an octet at p, no leading zeros; returns its length. */
static size_t octet(char *p, uint8_t v)
{
    if (v >= 100) {
        unsigned hi = v / 100u;
        p[0] = (char)('0' + hi);
        memcpy(p + 1, pairs + (v - hi * 100u) * 2, 2);
        return 3;
    }
    if (v >= 10) {
        memcpy(p, pairs + v * 2, 2);
        return 2;
    }
    p[0] = (char)('0' + v);
    return 1;
}

static size_t ip4_text(const uint8_t *a, char *out)
{
    size_t n = 0;
    for (int i = 0; i < 4; i++) {
        if (i) out[n++] = '.';
        n += octet(out + n, a[i]);
    }
    out[n] = 0;
    return n;
}

/* RFC 5952 text exactly as glibc's inet_ntop writes it (an IPv4-compatible
 * or -mapped address ends in a dotted quad); by hand, because inet_ntop
 * formats each word with sprintf and was a third of `read --format jsonl`
 * on IPv6 traffic. */
static size_t ip6_text(const uint8_t *a, char *out)
{
    unsigned w[8];
    for (int i = 0; i < 8; i++) w[i] = pc_get16(a + 2 * i);
    /* The longest run of two or more zero words (the first of equal ones)
     * becomes "::". */
    int best = -1, blen = 1;
    for (int i = 0; i < 8;) {
        int j = i;
        while (j < 8 && !w[j]) j++;
        if (j - i > blen) {
            best = i;
            blen = j - i;
        }
        i = j > i ? j : i + 1;
    }
    size_t n = 0;
    for (int i = 0; i < 8; i++) {
        if (best >= 0 && i >= best && i < best + blen) {
            if (i == best) out[n++] = ':';
            continue;
        }
        if (i) out[n++] = ':';
        if (i == 6 && best == 0 && (blen == 6 || (blen == 5 && w[5] == 0xffff)))
            return n + ip4_text(a + 12, out + n);
        int shift = w[i] >= 0x1000 ? 12 : w[i] >= 0x100 ? 8 : w[i] >= 0x10 ? 4 : 0;
        for (; shift >= 0; shift -= 4) out[n++] = hexdig[w[i] >> shift & 15];
    }
    if (best >= 0 && best + blen == 8) out[n++] = ':';
    out[n] = 0;
    return n;
}

void pc_fmt_mac(const uint8_t *m, char out[18]) { mac_text(m, out); }
void pc_fmt_ip4(const uint8_t *a, char out[16]) { ip4_text(a, out); }
void pc_fmt_ip6(const uint8_t *a, char out[46]) { ip6_text(a, out); }

/* A JSON string whose text needs no escaping (an address, a timestamp)
 * is formatted in place when the buffer has room for max characters:
 * quote_open() says where the text goes (tmp, max + 3 bytes, otherwise)
 * and quote_close() ends the string n characters later. */
static char *quote_open(struct pc_fmt *f, char *tmp, size_t max)
{
    char *p = f->cap - f->len > max + 2 ? f->buf + f->len : tmp;
    *p = '"';
    return p + 1;
}

static void quote_close(struct pc_fmt *f, char *text, size_t n, const char *tmp)
{
    text[n] = '"';
    text[n + 1] = 0;
    if (text - 1 == tmp) pc_fmt_put(f, tmp, n + 2);
    else f->len += n + 2;
}

void pc_fmt__mac(struct pc_fmt *f, const uint8_t *m)
{
    char t[17 + 3], *p = quote_open(f, t, 17);
    quote_close(f, p, mac_text(m, p), t);
}

void pc_fmt__ip4(struct pc_fmt *f, const uint8_t *a)
{
    char t[15 + 3], *p = quote_open(f, t, 15);
    quote_close(f, p, ip4_text(a, p), t);
}

void pc_fmt__ip6(struct pc_fmt *f, const uint8_t *a)
{
    char t[45 + 3], *p = quote_open(f, t, 45);
    quote_close(f, p, ip6_text(a, p), t);
}

void pc_describe_layer(const struct pc_decoded *d, int i, struct pc_fmt *f)
{
    static void (*const fn[PC_P__COUNT])(const struct pc_decoded *, int, struct pc_fmt *) = {
        [PC_P_ETH] = pc_eth_describe,       [PC_P_IPV4] = pc_ipv4_describe,
        [PC_P_TCP] = pc_tcp_describe,       [PC_P_UDP] = pc_udp_describe,
        [PC_P_ICMP] = pc_icmp_describe,     [PC_P_VLAN] = pc_vlan_describe,
        [PC_P_ARP] = pc_arp_describe,       [PC_P_IPV6] = pc_ipv6_describe,
        [PC_P_IP6_HOP] = pc_ip6ext_describe, [PC_P_IP6_ROUTING] = pc_ip6ext_describe,
        [PC_P_IP6_FRAG] = pc_ip6ext_describe, [PC_P_IP6_DEST] = pc_ip6ext_describe,
        [PC_P_ICMP6] = pc_icmp6_describe,   [PC_P_DNS] = pc_dns_describe,
        [PC_P_GRE] = pc_gre_describe,       [PC_P_VXLAN] = pc_vxlan_describe,
        [PC_P_SLL] = pc_link_describe,      [PC_P_SLL2] = pc_link_describe,
        [PC_P_NULL] = pc_link_describe,
    };
    uint8_t p = d->l[i].proto;
    if (p < PC_P__COUNT && fn[p]) fn[p](d, i, f);
}

void pc_fmt_newline(struct pc_fmt *f)
{
    pc_fmt_put(f, "\n", 1);
    f->members = 0;
}

/* pc_fmt_ts(), returning the length. */
static size_t ts_text(pc_time_ns ts, char *out)
{
    /* floor division, so the fraction is never negative */
    int64_t sec = ts / PC_NS_PER_SEC, ns = ts % PC_NS_PER_SEC;
    if (ns < 0) {
        ns += PC_NS_PER_SEC;
        sec--;
    }
    /* "%lld.%09lld" by hand (it runs once per packet of every command) */
    uint64_t mag = sec < 0 ? 0 - (uint64_t)sec : (uint64_t)sec;
    size_t n = 0;
    if (sec < 0) out[n++] = '-';
    n += dec_text(mag, out + n);
    out[n++] = '.';
    memset(out + n, '0', 9);
    udec(out + n + 9, (uint64_t)ns); /* ns < 10^9: nine digits at most */
    out[n + 9] = 0;
    return n + 9;
}

void pc_fmt_ts(pc_time_ns ts, char out[PC_FMT_TS_MAX]) { ts_text(ts, out); }

void pc_fmt_kts(struct pc_fmt *f, const char *key, pc_time_ns ts)
{
    if (!f->json) return;
    pc_fmt__member(f, key);
    char t[PC_FMT_TS_MAX + 2], *p = quote_open(f, t, PC_FMT_TS_MAX - 1);
    quote_close(f, p, ts_text(ts, p), t);
}

/* A strict JSON syntax checker (RFC 8259) for the fuzz targets: one value
 * with optional whitespace around it; objects, arrays, strings (escapes
 * \" \\ \/ \b \f \n \r \t \uXXXX, no raw control characters, valid UTF-8),
 * numbers in JSON's grammar only (no leading zeros, no '+', no hex, no
 * NaN), true, false, null, and no key twice in one object (RFC 8259 says
 * names SHOULD be unique; parsers keep only one, so a repeated key loses
 * data: this project's output must never repeat one).  Nothing is built: it only says whether the
 * text parses, and where it stopped when it does not.  Nesting is capped
 * (JC_MAX_DEPTH) so that the checker itself cannot overflow the stack. */
#ifndef PKTCRAFT_JSON_CHECK_H
#define PKTCRAFT_JSON_CHECK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define JC_MAX_DEPTH 64
#define JC_MAX_KEYS 256 /* keys compared per object; more are only parsed */

struct jc {
    const uint8_t *p, *end;
    int depth;
};

static inline bool jc_value(struct jc *j);

static inline void jc_ws(struct jc *j)
{
    while (j->p < j->end && (*j->p == ' ' || *j->p == '\t' || *j->p == '\n' || *j->p == '\r')) j->p++;
}

static inline bool jc_lit(struct jc *j, const char *w)
{
    for (; *w; w++, j->p++)
        if (j->p >= j->end || *j->p != (uint8_t)*w) return false;
    return true;
}

static inline bool jc_hex4(struct jc *j)
{
    for (int k = 0; k < 4; k++, j->p++) {
        if (j->p >= j->end) return false;
        uint8_t c = *j->p;
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'))) return false;
    }
    return true;
}

/* One UTF-8 sequence of 2..4 bytes starting at a lead byte >= 0x80:
 * no overlong forms, no surrogates, nothing above U+10FFFF. */
static inline bool jc_utf8(struct jc *j)
{
    uint8_t c = *j->p;
    int n;
    uint32_t cp, min;
    if (c >= 0xC2 && c <= 0xDF) { n = 1; cp = c & 0x1Fu; min = 0x80; }
    else if (c >= 0xE0 && c <= 0xEF) { n = 2; cp = c & 0x0Fu; min = 0x800; }
    else if (c >= 0xF0 && c <= 0xF4) { n = 3; cp = c & 0x07u; min = 0x10000; }
    else return false;
    if (j->end - j->p <= n) return false;
    for (int k = 1; k <= n; k++) {
        uint8_t t = j->p[k];
        if ((t & 0xC0) != 0x80) return false;
        cp = (cp << 6) | (t & 0x3Fu);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
    j->p += n + 1;
    return true;
}

static inline bool jc_string(struct jc *j)
{
    j->p++; /* the opening quote */
    while (j->p < j->end) {
        uint8_t c = *j->p;
        if (c == '"') { j->p++; return true; }
        if (c < 0x20) return false; /* control characters must be escaped */
        if (c >= 0x80) {
            if (!jc_utf8(j)) return false;
            continue;
        }
        if (c != '\\') { j->p++; continue; }
        if (++j->p >= j->end) return false;
        c = *j->p++;
        if (c == 'u') {
            if (!jc_hex4(j)) return false;
        } else if (!(c == '"' || c == '\\' || c == '/' || c == 'b' || c == 'f' || c == 'n' || c == 'r' || c == 't')) {
            return false;
        }
    }
    return false; /* unterminated */
}

static inline bool jc_digits(struct jc *j)
{
    const uint8_t *s = j->p;
    while (j->p < j->end && *j->p >= '0' && *j->p <= '9') j->p++;
    return j->p > s;
}

static inline bool jc_number(struct jc *j)
{
    if (*j->p == '-') j->p++;
    if (j->p >= j->end) return false;
    if (*j->p == '0') j->p++; /* a lone zero: "01" is not JSON */
    else if (!jc_digits(j)) return false;
    if (j->p < j->end && *j->p == '.') {
        j->p++;
        if (!jc_digits(j)) return false;
    }
    if (j->p < j->end && (*j->p == 'e' || *j->p == 'E')) {
        j->p++;
        if (j->p < j->end && (*j->p == '+' || *j->p == '-')) j->p++;
        if (!jc_digits(j)) return false;
    }
    return true;
}

/* Members or elements up to the closing bracket; the opening one is at p. */
static inline bool jc_container(struct jc *j, bool object)
{
    uint8_t close = object ? '}' : ']';
    const uint8_t *key[JC_MAX_KEYS];
    size_t klen[JC_MAX_KEYS], nkeys = 0;
    if (++j->depth > JC_MAX_DEPTH) return false;
    j->p++;
    jc_ws(j);
    if (j->p < j->end && *j->p == close) { j->p++; j->depth--; return true; }
    for (;;) {
        if (object) {
            jc_ws(j);
            const uint8_t *k0 = j->p;
            if (j->p >= j->end || *j->p != '"' || !jc_string(j)) return false;
            /* byte-wise: the same key spelled with other escapes is not caught */
            size_t kl = (size_t)(j->p - k0);
            for (size_t i = 0; i < nkeys; i++)
                if (klen[i] == kl && !memcmp(key[i], k0, kl)) return false;
            if (nkeys < JC_MAX_KEYS) key[nkeys] = k0, klen[nkeys++] = kl;
            jc_ws(j);
            if (j->p >= j->end || *j->p != ':') return false;
            j->p++;
        }
        if (!jc_value(j)) return false;
        jc_ws(j);
        if (j->p >= j->end) return false;
        if (*j->p == close) { j->p++; j->depth--; return true; }
        if (*j->p != ',') return false;
        j->p++;
    }
}

static inline bool jc_value(struct jc *j)
{
    jc_ws(j);
    if (j->p >= j->end) return false;
    switch (*j->p) {
    case '{': return jc_container(j, true);
    case '[': return jc_container(j, false);
    case '"': return jc_string(j);
    case 't': return jc_lit(j, "true");
    case 'f': return jc_lit(j, "false");
    case 'n': return jc_lit(j, "null");
    default:
        if (*j->p == '-' || (*j->p >= '0' && *j->p <= '9')) return jc_number(j);
        return false;
    }
}

/* Whether s[0..n) is exactly one JSON value; *bad (may be NULL) gets the
 * offset where the checker gave up. */
static inline bool json_valid(const char *s, size_t n, size_t *bad)
{
    struct jc j = { (const uint8_t *)s, (const uint8_t *)s + n, 0 };
    bool ok = jc_value(&j);
    if (ok) {
        jc_ws(&j);
        ok = j.p == j.end;
    }
    if (bad) *bad = (size_t)(j.p - (const uint8_t *)s);
    return ok;
}

#endif

/* Pure parsers of command-line values (see parse.h): what used to exit
 * from cli/util.c and cli/fields.c, now returning a code and a message. */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "parse.h"

/* Write the message and return PC_EINVAL, so a parser fails in one line. */
static int fail(char *err, size_t errcap, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int fail(char *err, size_t errcap, const char *fmt, ...)
{
    if (err && errcap) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, errcap, fmt, ap);
        va_end(ap);
    }
    return PC_EINVAL;
}

int cli_try_ipv4(const char *opt, const char *s, uint8_t out[4], char *err, size_t errcap)
{
    struct in_addr a;
    if (inet_pton(AF_INET, s, &a) != 1) return fail(err, errcap, "%s: '%s' is not an IPv4 address", opt, s);
    memcpy(out, &a, 4);
    return 0;
}

int cli_try_ipv6(const char *opt, const char *s, uint8_t out[16], char *err, size_t errcap)
{
    if (inet_pton(AF_INET6, s, out) != 1) return fail(err, errcap, "%s: '%s' is not an IPv6 address", opt, s);
    return 0;
}

int cli_try_ip(const char *opt, const char *s, uint8_t out[16], char *err, size_t errcap)
{
    memset(out, 0, 16);
    if (inet_pton(AF_INET, s, out) == 1) return 4;
    if (inet_pton(AF_INET6, s, out) == 1) return 6;
    return fail(err, errcap, "%s: '%s' is not an IPv4 or IPv6 address", opt, s);
}

static int hexdigit(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* Digit by digit rather than sscanf("%2x:..."): %x also takes a sign and
 * leading white space, so "02:00:-0:00:00:01" and "02: 0:..." were
 * accepted (fuzz_cliparse, regressions/cliparse/crash-eafe02c3). */
static bool parse_mac(const char *s, uint8_t out[6])
{
    char sep = 0;
    for (int g = 0; g < 6; g++) {
        int hi = hexdigit(s[0]), lo = hi < 0 ? -1 : hexdigit(s[1]);
        if (hi < 0) return false;
        out[g] = (uint8_t)(lo < 0 ? hi : hi * 16 + lo);
        s += lo < 0 ? 1 : 2;
        if (g == 5) break;
        if (!sep && (*s == ':' || *s == '-')) sep = *s;
        if (!sep || *s != sep) return false; /* one separator throughout */
        s++;
    }
    return *s == 0;
}

int cli_try_mac(const char *opt, const char *s, uint8_t out[6], char *err, size_t errcap)
{
    if (!parse_mac(s, out)) return fail(err, errcap, "%s: '%s' is not a MAC address (like 02:00:00:00:00:01)", opt, s);
    return 0;
}

int cli_try_uint(const char *opt, const char *s, uint64_t max, uint64_t *out, char *err, size_t errcap)
{
    char *end;
    errno = 0;
    if (!isdigit((unsigned char)s[0])) return fail(err, errcap, "%s: '%s' is not a number", opt, s);
    unsigned long long v = strtoull(s, &end, 0);
    if (errno || *end) return fail(err, errcap, "%s: '%s' is not a number", opt, s);
    if (v > max) return fail(err, errcap, "%s: %s is over the maximum of %llu", opt, s, (unsigned long long)max);
    *out = v;
    return 0;
}

/* Fraction digits after a '.', as nanoseconds; up to 9 digits kept exactly. */
static bool parse_frac(const char **p, int64_t *ns)
{
    int64_t v = 0, scale = 100000000;
    const char *s = *p;
    if (!isdigit((unsigned char)*s)) return false;
    for (; isdigit((unsigned char)*s); s++) {
        if (scale) { v += (*s - '0') * scale; scale /= 10; }
        else return false; /* more than nanosecond precision: refuse, don't round */
    }
    *ns = v;
    *p = s;
    return true;
}

/* YYYY-MM-DDTHH:MM:SS[.frac][Z|+00:00], parsed as integers, never a float. */
/* n decimal digits at s (digits only: no sign, no space), into *v. */
static bool digits(const char *s, int n, int *v)
{
    *v = 0;
    for (int i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9') return false;
        *v = *v * 10 + (s[i] - '0');
    }
    return true;
}

static bool parse_iso(const char *s, pc_time_ns *out)
{
    struct tm tm = { 0 };
    int64_t frac = 0;
    const int used = 19; /* YYYY-MM-DDTHH:MM:SS */
    if (strlen(s) < (size_t)used || s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' || s[16] != ':' ||
        !digits(s, 4, &tm.tm_year) || !digits(s + 5, 2, &tm.tm_mon) || !digits(s + 8, 2, &tm.tm_mday) ||
        !digits(s + 11, 2, &tm.tm_hour) || !digits(s + 14, 2, &tm.tm_min) || !digits(s + 17, 2, &tm.tm_sec))
        return false;
    if (tm.tm_mon < 1 || tm.tm_mon > 12 || tm.tm_mday < 1 || tm.tm_mday > 31 || tm.tm_hour > 23 || tm.tm_min > 59 ||
        tm.tm_sec > 60)
        return false;
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    const char *p = s + used;
    if (*p == '.') { p++; if (!parse_frac(&p, &frac)) return false; }
    if (*p == 'Z') p++;
    else if (!strcmp(p, "+00:00")) p += 6;
    if (*p) return false;
    time_t t = timegm(&tm);
    /* The instant must fit int64 nanoseconds (up to 2262-04-11): year 9999
     * overflowed the multiplication (fuzz_cliparse,
     * regressions/cliparse/crash-1bab9075). */
    if (t < 0 || t > (INT64_MAX - frac) / PC_NS_PER_SEC) return false;
    *out = (pc_time_ns)t * PC_NS_PER_SEC + frac;
    return true;
}

/* Epoch seconds with an optional fraction. */
static bool parse_epoch(const char *p, pc_time_ns *out)
{
    int64_t sec = 0, frac = 0;
    if (!isdigit((unsigned char)*p)) return false;
    for (; isdigit((unsigned char)*p); p++) {
        sec = sec * 10 + (*p - '0');
        if (sec > INT64_C(9000000000)) return false;
    }
    if (*p == '.') { p++; if (!parse_frac(&p, &frac)) return false; }
    if (*p) return false;
    *out = sec * PC_NS_PER_SEC + frac;
    return true;
}

int cli_try_time(const char *opt, const char *s, pc_time_ns *out, char *err, size_t errcap)
{
    bool ok = strchr(s, '-') && strchr(s, 'T') ? parse_iso(s, out) : parse_epoch(s, out);
    if (ok) return 0;
    return fail(err, errcap, "%s: '%s' is not a time (epoch seconds like 1700000000.25, or 2023-11-14T22:13:20Z)",
                opt, s);
}

int cli_try_duration(const char *opt, const char *s, int64_t *out, char *err, size_t errcap)
{
    static const struct { const char *unit; int64_t ns; } units[] = {
        { "ns", 1 }, { "us", 1000 }, { "ms", 1000000 }, { "s", 1000000000 },
    };
    const char *p = s;
    int64_t whole = 0, frac = 0;
    if (!isdigit((unsigned char)*p)) goto bad;
    for (; isdigit((unsigned char)*p); p++) {
        whole = whole * 10 + (*p - '0');
        if (whole > INT64_C(100000000000)) goto bad;
    }
    if (*p == '.') { p++; if (!parse_frac(&p, &frac)) goto bad; }
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++) {
        if (strcmp(p, units[i].unit)) continue;
        /* The cap on whole is for ns; in larger units the product must
         * still fit int64 nanoseconds: 11912105101s overflowed
         * (fuzz_cliparse, regressions/cliparse/crash-2e043171).  The
         * fraction adds less than one unit. */
        if (whole > (INT64_MAX - units[i].ns) / units[i].ns) goto bad;
        /* frac is in 1e-9 of the unit */
        *out = whole * units[i].ns + frac * units[i].ns / PC_NS_PER_SEC;
        return 0;
    }
bad:
    return fail(err, errcap, "%s: '%s' is not a duration (a number with a unit: ns, us, ms or s, e.g. 250us)", opt, s);
}

int cli_try_hex(const char *opt, const char *s, uint8_t *out, size_t cap, size_t *n, char *err, size_t errcap)
{
    size_t k = 0;
    for (const char *p = s; *p;) {
        if (*p == ' ' || *p == ':' || *p == '\n') { p++; continue; }
        char hex[3] = { p[0], p[1], 0 };
        if (!p[1] || k == cap)
            return fail(err, errcap, "%s: '%.40s' is not whole bytes of hex (at most %zu)", opt, s, cap);
        /* Both characters must be hex digits: strtoul alone would take
         * " f", "+f" or "-1" (leading space, a sign) as a byte (fuzz_cliparse,
         * regressions/cliparse/crash-e479d1fc: "\fd" was read as 0x0d). */
        if (!isxdigit((unsigned char)p[0]) || !isxdigit((unsigned char)p[1]))
            return fail(err, errcap, "%s: '%.40s' is not hex", opt, s);
        out[k++] = (uint8_t)strtoul(hex, NULL, 16);
        p += 2;
    }
    *n = k;
    return 0;
}

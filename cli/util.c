/* Option parsing and messages shared by every command. */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"

const char *cli_cmd = NULL;

static void vmsg(const char *fmt, va_list ap)
{
    fputs("pktcraft: ", stderr);
    if (cli_cmd) fprintf(stderr, "%s: ", cli_cmd);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
}

void cli_usage_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vmsg(fmt, ap);
    va_end(ap);
    fprintf(stderr, "Try 'pktcraft %s%s--help' for more information.\n", cli_cmd ? cli_cmd : "", cli_cmd ? " " : "");
    exit(EXIT_USAGE);
}

void cli_runtime_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vmsg(fmt, ap);
    va_end(ap);
    exit(EXIT_RUNTIME);
}

void cli_warn(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vmsg(fmt, ap);
    va_end(ap);
}

void cli_bad_option(int rc, char **argv)
{
    const char *arg = argv[optind - 1];
    if (rc == ':') cli_usage_error("option '%s' needs a value", arg);
    if (optopt && strncmp(arg, "--", 2)) cli_usage_error("unrecognized option '-%c'", optopt);
    char name[128];
    snprintf(name, sizeof name, "%s", arg);
    name[strcspn(name, "=")] = 0;
    cli_usage_error("unrecognized option '%s'", name);
}

void cli_parse_ipv4(const char *opt, const char *s, uint8_t out[4])
{
    struct in_addr a;
    if (inet_pton(AF_INET, s, &a) != 1) cli_usage_error("%s: '%s' is not an IPv4 address", opt, s);
    memcpy(out, &a, 4);
}

void cli_parse_mac(const char *opt, const char *s, uint8_t out[6])
{
    unsigned v[6];
    char tail;
    if (sscanf(s, "%2x:%2x:%2x:%2x:%2x:%2x%c", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &tail) != 6 &&
        sscanf(s, "%2x-%2x-%2x-%2x-%2x-%2x%c", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &tail) != 6)
        cli_usage_error("%s: '%s' is not a MAC address (like 02:00:00:00:00:01)", opt, s);
    for (int i = 0; i < 6; i++) out[i] = (uint8_t)v[i];
}

uint64_t cli_parse_uint(const char *opt, const char *s, uint64_t max)
{
    char *end;
    errno = 0;
    if (!isdigit((unsigned char)s[0])) cli_usage_error("%s: '%s' is not a number", opt, s);
    unsigned long long v = strtoull(s, &end, 0);
    if (errno || *end) cli_usage_error("%s: '%s' is not a number", opt, s);
    if (v > max) cli_usage_error("%s: %s is over the maximum of %llu", opt, s, (unsigned long long)max);
    return v;
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

/* Epoch seconds with an optional fraction, or ISO 8601 UTC
 * (YYYY-MM-DDTHH:MM:SS[.frac][Z]); parsed as integers, never a float. */
pc_time_ns cli_parse_time(const char *opt, const char *s)
{
    int64_t frac = 0;
    const char *p = s;
    if (strchr(s, '-') && strchr(s, 'T')) {
        struct tm tm = { 0 };
        int used = 0;
        if (sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour,
                   &tm.tm_min, &tm.tm_sec, &used) != 6 || used != 19)
            goto bad;
        if (tm.tm_mon < 1 || tm.tm_mon > 12 || tm.tm_mday < 1 || tm.tm_mday > 31 || tm.tm_hour > 23 ||
            tm.tm_min > 59 || tm.tm_sec > 60)
            goto bad;
        tm.tm_year -= 1900;
        tm.tm_mon -= 1;
        p = s + used;
        if (*p == '.') { p++; if (!parse_frac(&p, &frac)) goto bad; }
        if (*p == 'Z') p++;
        else if (!strcmp(p, "+00:00")) p += 6;
        if (*p) goto bad;
        time_t t = timegm(&tm);
        if (t < 0) goto bad;
        return (pc_time_ns)t * PC_NS_PER_SEC + frac;
    }
    if (!isdigit((unsigned char)*p)) goto bad;
    int64_t sec = 0;
    for (; isdigit((unsigned char)*p); p++) {
        sec = sec * 10 + (*p - '0');
        if (sec > INT64_C(9000000000)) goto bad;
    }
    if (*p == '.') { p++; if (!parse_frac(&p, &frac)) goto bad; }
    if (*p) goto bad;
    return sec * PC_NS_PER_SEC + frac;
bad:
    cli_usage_error("%s: '%s' is not a time (epoch seconds like 1700000000.25, or 2023-11-14T22:13:20Z)", opt, s);
}

int64_t cli_parse_duration(const char *opt, const char *s)
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
        /* frac is in 1e-9 of the unit */
        return whole * units[i].ns + frac * units[i].ns / PC_NS_PER_SEC;
    }
bad:
    cli_usage_error("%s: '%s' is not a duration (a number with a unit: ns, us, ms or s, e.g. 250us)", opt, s);
}

pc_time_ns cli_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (pc_time_ns)ts.tv_sec * PC_NS_PER_SEC + ts.tv_nsec;
}

void cli_fmt_ts(pc_time_ns ts, char out[32])
{
    int64_t sec = ts / PC_NS_PER_SEC, ns = ts % PC_NS_PER_SEC;
    if (ns < 0) { ns += PC_NS_PER_SEC; sec--; }
    snprintf(out, 32, "%lld.%09lld", (long long)sec, (long long)ns);
}

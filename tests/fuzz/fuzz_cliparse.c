/* fuzz_cliparse: the command-line value parsers of cli/parse.c and the
 * --set/--corrupt parsing of cli/fields.c.  They must never exit, print or
 * crash, must fail with a message that names the option, and what they
 * accept must follow the syntax cli/parse.h documents.
 *
 * Input: byte 0 picks the parser (CP_* below), byte 1 its parameter (the
 * maximum of a number, the room of a hex buffer), the rest is the value
 * (cut at a NUL byte, as argv would be). */
#include <ctype.h>
#include <string.h>

#include "fuzz.h"
#include "../../cli/craft.h"
#include "../../cli/parse.h"

enum { CP_IPV4, CP_IPV6, CP_IP, CP_MAC, CP_UINT, CP_TIME, CP_DURATION, CP_HEX, CP_SET, CP_CORRUPT, CP_COUNT };

#define CP_OPT "--opt"
#define CP_ERRCAP 512

/* A failure says which option, in a terminated message; an error buffer
 * too small for it is cut, never overrun. */
static void cp_failed(int rc, const char *err, const char *opt)
{
    FZ_CHECK(rc == PC_EINVAL, "failure code %d", rc);
    FZ_CHECK(memchr(err, 0, CP_ERRCAP) != NULL, "message not terminated");
    FZ_CHECK(!strncmp(err, opt, strlen(opt)), "message does not name %s: %s", opt, err);
}

static int cp_hexval(char c) { return isdigit((unsigned char)c) ? c - '0' : tolower((unsigned char)c) - 'a' + 10; }

/* parse.h: six groups of 1 or 2 hex digits, one separator throughout. */
static void cp_mac_syntax(const char *s, const uint8_t mac[6])
{
    char sep = 0;
    for (int g = 0; g < 6; g++) {
        unsigned v = 0, digits = 0;
        while (isxdigit((unsigned char)*s) && digits < 3) v = v * 16 + (unsigned)cp_hexval(*s++), digits++;
        FZ_CHECK(digits == 1 || digits == 2, "MAC group %d has %u hex digits", g, digits);
        FZ_CHECK(v == mac[g], "MAC group %d is %x, parsed as %x", g, v, mac[g]);
        if (g == 5) break;
        if (!sep) sep = *s;
        FZ_CHECK((sep == ':' || sep == '-') && *s == sep, "MAC separator '%c'", *s);
        s++;
    }
    FZ_CHECK(*s == 0, "MAC accepted with '%s' after it", s);
}

/* parse.h: hex digit pairs and separators only, each pair one byte. */
static void cp_hex_syntax(const char *s, const uint8_t *out, size_t n)
{
    size_t k = 0;
    while (*s) {
        if (*s == ' ' || *s == ':' || *s == '\n') { s++; continue; }
        FZ_CHECK(isxdigit((unsigned char)s[0]) && isxdigit((unsigned char)s[1]), "hex accepted '%.2s'", s);
        FZ_CHECK(k < n && out[k] == cp_hexval(s[0]) * 16 + cp_hexval(s[1]), "hex byte %zu", k);
        k++;
        s += 2;
    }
    FZ_CHECK(k == n, "hex: %zu bytes for %zu pairs", n, k);
}

/* An epoch time prints back as seconds.nanoseconds and parses the same. */
static void cp_time_back(const char *s, pc_time_ns t)
{
    FZ_CHECK(t >= 0, "time %lld before the epoch", (long long)t);
    if (strchr(s, '-') && strchr(s, 'T')) return; /* ISO form: nothing to print it back as */
    char back[48], err[CP_ERRCAP];
    snprintf(back, sizeof back, "%lld.%09lld", (long long)(t / PC_NS_PER_SEC), (long long)(t % PC_NS_PER_SEC));
    pc_time_ns t2 = -1;
    FZ_CHECK(cli_try_time(CP_OPT, back, &t2, err, sizeof err) == 0 && t2 == t, "'%s' -> %lld -> '%s' -> %lld", s,
             (long long)t, back, (long long)t2);
}

/* Apply a parsed --set/--corrupt to every layer's spec, as craft does;
 * only the one layer it names may take it. */
static void cp_apply(const struct craft_set *cs)
{
    static const char *const layers[] = { "eth", "vlan", "ip", "ip6", "ip6ext", "gre", "vxlan", "tcp", "udp",
                                          "icmp", "icmp6", "arp", "dns" };
    _Alignas(8) unsigned char spec[PC_SPEC_MAX + 64];
    int hits = 0;
    for (size_t k = 0; k < sizeof layers / sizeof layers[0]; k++) hits += field_apply(cs, layers[k], spec);
    FZ_CHECK(hits == 1, "%s applies to %d layers", field_name(cs->f), hits);
}

static void cp_set(int which, const char *s)
{
    struct craft_set cs;
    char err[CP_ERRCAP];
    int rc = which == CP_SET ? field_try_set(&cs, s, err, sizeof err) : field_try_corrupt(&cs, s, err, sizeof err);
    if (rc < 0) {
        cp_failed(rc, err, which == CP_SET ? "--set" : "--corrupt");
        return;
    }
    FZ_CHECK(rc == 0 && cs.f, "accepted without a field");
    FZ_CHECK(cs.mode == (which == CP_SET ? PC_FPIN : PC_FCORRUPT), "mode %d", cs.mode);
    /* LAYER[K].FIELD: an index exactly when the name has one, within a packet's layers */
    const char *lb = strchr(s, '['), *eq = strchr(s, '=');
    FZ_CHECK(cs.indexed == (lb && (!eq || lb < eq)), "'%s' indexed %d", s, cs.indexed);
    FZ_CHECK(cs.idx >= -PC_MAX_LAYERS && cs.idx < PC_MAX_LAYERS, "'%s' index %d", s, cs.idx);
    cp_apply(&cs);
}

static void cp_run(int which, uint8_t param, const char *s)
{
    static const uint64_t maxes[] = { 0, 1, 7, 255, 4095, 65535, 0x1FF, UINT32_MAX, UINT64_MAX };
    char err[CP_ERRCAP];
    uint8_t addr[16], buf[64];
    uint64_t v = 0;
    int64_t ns = -1;
    size_t n = 0;
    int rc;
    memset(err, 0, sizeof err);
    switch (which) {
    case CP_IPV4: rc = cli_try_ipv4(CP_OPT, s, addr, err, sizeof err); break;
    case CP_IPV6: rc = cli_try_ipv6(CP_OPT, s, addr, err, sizeof err); break;
    case CP_IP:
        rc = cli_try_ip(CP_OPT, s, addr, err, sizeof err);
        if (rc > 0) FZ_CHECK(rc == 4 || rc == 6, "cli_try_ip returned %d", rc);
        if (rc > 0) rc = 0;
        break;
    case CP_MAC:
        rc = cli_try_mac(CP_OPT, s, addr, err, sizeof err);
        if (!rc) cp_mac_syntax(s, addr);
        break;
    case CP_UINT: {
        uint64_t max = maxes[param % (sizeof maxes / sizeof maxes[0])];
        rc = cli_try_uint(CP_OPT, s, max, &v, err, sizeof err);
        if (!rc) FZ_CHECK(v <= max && isdigit((unsigned char)s[0]), "'%s' gave %llu over %llu", s,
                          (unsigned long long)v, (unsigned long long)max);
        break;
    }
    case CP_TIME:
        rc = cli_try_time(CP_OPT, s, &ns, err, sizeof err);
        if (!rc) cp_time_back(s, ns);
        break;
    case CP_DURATION:
        rc = cli_try_duration(CP_OPT, s, &ns, err, sizeof err);
        if (!rc) FZ_CHECK(ns >= 0, "duration '%s' is %lld", s, (long long)ns);
        break;
    case CP_HEX: {
        size_t cap = param % (sizeof buf + 1);
        rc = cli_try_hex(CP_OPT, s, buf, cap, &n, err, sizeof err);
        if (!rc) cp_hex_syntax(s, buf, n);
        break;
    }
    default: cp_set(which, s); return;
    }
    if (rc < 0) cp_failed(rc, err, CP_OPT);
    else FZ_CHECK(rc == 0, "parser %d returned %d", which, rc);
}

static int FUZZ_NAME(cliparse)(const uint8_t *data, size_t size)
{
    static char s[4096];
    if (size < 2 || size - 2 >= sizeof s) return 0;
    memcpy(s, data + 2, size - 2);
    s[size - 2] = 0;
    int which = data[0] % CP_COUNT;
    cp_run(which, data[1], s);
    /* The same value with no message buffer and with a tiny one. */
    char tiny[4];
    uint8_t a[16];
    if (which == CP_IPV4) cli_try_ipv4(CP_OPT, s, a, NULL, 0);
    if (which == CP_MAC) FZ_CHECK(cli_try_mac(CP_OPT, s, a, tiny, sizeof tiny) >= 0 || memchr(tiny, 0, sizeof tiny),
                                  "tiny message buffer not terminated");
    return 0;
}

FUZZ_ENTRY(cliparse)

/* The writer's hand-made formatters against the libc routines they
 * replaced (snprintf, inet_ntop): the output of every command depends on
 * them being byte for byte the same.  Also the writer's fast paths at
 * their edges: long keys, strings that need escaping part way, buffers
 * that fill in the middle of a member. */
#include <criterion/criterion.h>

#include <arpa/inet.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "pktcraft/core/fmt.h"
#include "pktcraft/core/rand.h"

TestSuite(fmt, .timeout = 1800);

/* Words drawn so that zero runs, 0xffff and short hex forms are common. */
static uint16_t word(struct pc_rng *r)
{
    switch (pc_rng_below(r, 6)) {
    case 0: case 1: case 2: return 0;
    case 3: return 0xFFFF;
    case 4: return (uint16_t)pc_rng_below(r, 0x120);
    default: return (uint16_t)pc_rng_next(r);
    }
}

Test(fmt, ip6_matches_inet_ntop)
{
    struct pc_rng r;
    pc_rng_seed(&r, 11);
    uint8_t a[16];
    char want[64], got[46];
    for (int t = 0; t < 2000000; t++) {
        for (int i = 0; i < 8; i++) pc_put16(a + 2 * i, word(&r));
        cr_assert_not_null(inet_ntop(AF_INET6, a, want, sizeof want));
        pc_fmt_ip6(a, got);
        if (strcmp(want, got)) cr_assert_str_eq(got, want, "word pattern %d", t);
    }
    /* The forms named in RFC 5952 and the IPv4-embedding ones. */
    static const char *const fixed[] = { "::", "::1", "::2", "1::", "::ffff:1.2.3.4", "::1.2.3.4", "::ffff:0:1.2.3.4",
                                         "64:ff9b::1.2.3.4", "2001:db8::1", "2001:db8:0:1:1:1:1:1", "fe80::1:0:0:1",
                                         "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "1:0:0:2:0:0:0:3" };
    for (size_t k = 0; k < sizeof fixed / sizeof fixed[0]; k++) {
        cr_assert_eq(inet_pton(AF_INET6, fixed[k], a), 1);
        inet_ntop(AF_INET6, a, want, sizeof want);
        pc_fmt_ip6(a, got);
        cr_assert_str_eq(got, want);
    }
}

Test(fmt, ip4_and_mac_match_snprintf)
{
    char want[32], got[18];
    for (unsigned v = 0; v < 256; v++) {
        uint8_t a[6] = { (uint8_t)v, (uint8_t)(255 - v), (uint8_t)(v * 7), (uint8_t)(v / 3), (uint8_t)(v ^ 0x5A), 0 };
        snprintf(want, sizeof want, "%u.%u.%u.%u", a[0], a[1], a[2], a[3]);
        pc_fmt_ip4(a, got);
        cr_assert_str_eq(got, want);
        snprintf(want, sizeof want, "%02x:%02x:%02x:%02x:%02x:%02x", a[0], a[1], a[2], a[3], a[4], a[5]);
        pc_fmt_mac(a, got);
        cr_assert_str_eq(got, want);
    }
}

Test(fmt, timestamps_match_snprintf)
{
    static const int64_t edge[] = { 0, 1, -1, 999999999, 1000000000, -1000000000, -1000000001, 1700000000123456789,
                                    INT64_MAX, INT64_MIN, INT64_MIN + 1, -999999999 };
    struct pc_rng r;
    pc_rng_seed(&r, 5);
    for (int t = 0; t < 200000; t++) {
        int64_t ts = t < (int)(sizeof edge / sizeof edge[0]) ? edge[t] : (int64_t)pc_rng_next(&r) >> pc_rng_below(&r, 63);
        int64_t sec = ts / 1000000000, ns = ts % 1000000000;
        if (ns < 0) {
            ns += 1000000000;
            sec--;
        }
        char want[64], got[PC_FMT_TS_MAX];
        snprintf(want, sizeof want, "%lld.%09lld", (long long)sec, (long long)ns);
        pc_fmt_ts(ts, got);
        cr_assert_str_eq(got, want, "ts %" PRId64, ts);
    }
}

Test(fmt, integers_match_snprintf)
{
    static const uint64_t edge[] = { 0, 9, 10, 99, 100, 999, 1000, 65535, 4294967295u, 4294967296u, UINT64_MAX };
    char buf[256], want[64];
    struct pc_rng r;
    pc_rng_seed(&r, 3);
    for (int t = 0; t < 100000; t++) {
        uint64_t v = t < (int)(sizeof edge / sizeof edge[0]) ? edge[t] : pc_rng_next(&r) >> pc_rng_below(&r, 64);
        struct pc_fmt f;
        pc_fmt_init(&f, buf, sizeof buf, true);
        pc_fmt_kuint(&f, "u", v);
        pc_fmt_kint(&f, "i", (int64_t)v);
        snprintf(want, sizeof want, "\"u\":%" PRIu64 ",\"i\":%" PRId64, v, (int64_t)v);
        cr_assert_str_eq(buf, want);
    }
}

/* Long keys, and every member written in place by a fast path, at every
 * fill level of a small sink buffer: the stream is the same as through a
 * large one. */
static char sunk[8192];
static size_t nsunk;
static int to_mem(void *ctx, const char *p, size_t n)
{
    (void)ctx;
    cr_assert_leq(nsunk + n, sizeof sunk);
    memcpy(sunk + nsunk, p, n);
    nsunk += n;
    return 0;
}

static void members(struct pc_fmt *f, const char *longkey)
{
    static const uint8_t mac[6] = { 0x02, 0xab, 0, 0xff, 0x10, 0x01 };
    static const uint8_t ip6[16] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
                                     0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff }; /* the longest text */
    pc_fmt_kobj_open(f, NULL);
    pc_fmt_kuint(f, longkey, 1);
    pc_fmt_kstr(f, "s", "plain then \"quoted\" and \x01 and caf\xc3\xa9");
    pc_fmt_kstr(f, longkey + 50, "x");
    pc_fmt_knull(f, "n");
    /* the members formatted in place when the buffer has room */
    pc_fmt_kmac(f, "mac", mac);
    pc_fmt_kip4(f, "ip4", (const uint8_t *)"\xff\xfe\x0a\x00");
    pc_fmt_kip6(f, "ip6", ip6);
    pc_fmt_kts(f, "ts", INT64_MIN);
    pc_fmt_karr_open(f, "numbers");
    pc_fmt_kuint(f, NULL, 7);
    pc_fmt_kuint(f, NULL, 42);
    pc_fmt_kuint(f, NULL, 4294967295u);
    pc_fmt_kuint(f, NULL, UINT64_MAX);
    pc_fmt_kint(f, NULL, INT64_MIN);
    pc_fmt_karr_close(f);
    pc_fmt_kobj_close(f);
    pc_fmt_newline(f);
}

Test(fmt, long_keys_and_escapes_stream_the_same_at_any_fill)
{
    char longkey[101];
    for (int i = 0; i < 100; i++) longkey[i] = (char)('a' + i % 26);
    longkey[100] = 0;
    struct pc_fmt ref;
    pc_fmt_init_grow(&ref, true);
    members(&ref, longkey);
    cr_assert_not(ref.err);
    char small[200];
    for (size_t pre = 0; pre < 190; pre++) {
        nsunk = 0;
        struct pc_fmt f;
        pc_fmt_init_sink(&f, small, sizeof small, true, to_mem, NULL);
        char fill[200];
        memset(fill, '.', pre);
        pc_fmt_put(&f, fill, pre);
        members(&f, longkey);
        cr_assert_eq(pc_fmt_flush(&f), 0);
        cr_assert_eq(nsunk, pre + ref.len, "fill %zu", pre);
        cr_assert_eq(memcmp(sunk + pre, ref.buf, ref.len), 0, "fill %zu", pre);
    }
    /* A fixed buffer keeps a NUL-terminated prefix and says it cut. */
    static char fixed[1024];
    cr_assert_lt(ref.len + 2, sizeof fixed);
    for (size_t cap = 1; cap < ref.len + 2; cap++) {
        struct pc_fmt f;
        pc_fmt_init(&f, fixed, cap, true);
        members(&f, longkey);
        cr_assert_eq(strlen(fixed), f.len);
        cr_assert_eq(memcmp(fixed, ref.buf, f.len), 0, "cap %zu", cap);
        cr_assert_eq(f.cut, f.len < ref.len, "cap %zu", cap);
    }
    pc_fmt_free(&ref);
}

/* The members formatted in place (addresses, timestamps, numbers) are the
 * string members of the texts the public formatters give. */
Test(fmt, in_place_members_equal_their_text_forms)
{
    struct pc_rng r;
    pc_rng_seed(&r, 17);
    struct pc_fmt got, want;
    pc_fmt_init_grow(&got, true);
    pc_fmt_init_grow(&want, true);
    for (int t = 0; t < 20000; t++) {
        uint8_t a[16];
        for (int i = 0; i < 8; i++) pc_put16(a + 2 * i, word(&r));
        int64_t ts = (int64_t)pc_rng_next(&r) >> pc_rng_below(&r, 63);
        uint64_t v = pc_rng_next(&r) >> pc_rng_below(&r, 64);
        char text[64];
        pc_fmt_reset(&got);
        pc_fmt_reset(&want);
        pc_fmt_kmac(&got, "m", a);
        pc_fmt_mac(a, text);
        pc_fmt_kstr(&want, "m", text);
        pc_fmt_kip4(&got, "a", a + 2);
        pc_fmt_ip4(a + 2, text);
        pc_fmt_kstr(&want, "a", text);
        pc_fmt_kip6(&got, "b", a);
        pc_fmt_ip6(a, text);
        pc_fmt_kstr(&want, "b", text);
        pc_fmt_kts(&got, "t", ts);
        pc_fmt_ts(ts, text);
        pc_fmt_kstr(&want, "t", text);
        pc_fmt_kuint(&got, "u", v);
        cr_assert_eq(pc_fmt_dec(v, text), strlen(text));
        pc_fmt_kraw(&want, "u", text);
        snprintf(text, sizeof text, "%" PRIu64, v);
        pc_fmt_kraw(&want, "v", text);
        pc_fmt_kuint(&got, "v", v);
        cr_assert_not(got.err);
        cr_assert_not(want.err);
        cr_assert_str_eq(got.buf, want.buf, "case %d", t);
    }
    pc_fmt_free(&got);
    pc_fmt_free(&want);
}

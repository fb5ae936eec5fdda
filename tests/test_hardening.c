/* Regression tests for the hardening work: the one JSON writer (modes,
 * escaping, UTF-8), output files that are not regular files, signals
 * during a write, DNS pointer hops, bounded pcapng metadata and linear
 * option enumeration. */
#include <criterion/criterion.h>

#include <fcntl.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>

#include "helpers.h"
#include "pktcraft/core/fmt.h"

TestSuite(hardening, .timeout = 120);

/* ------------------------------------------------------------ JSON writer */

static char *escaped(const char *in, size_t n)
{
    static char out[4096];
    struct pc_fmt f;
    pc_fmt_init(&f, out, sizeof out, true);
    pc_fmt_kbytes_str(&f, NULL, (const uint8_t *)in, n);
    cr_assert_not(f.cut);
    return out;
}

Test(hardening, json_escapes_what_rfc8259_requires_and_passes_utf8)
{
    cr_assert_str_eq(escaped("caf\xc3\xa9", 5), "\"caf\xc3\xa9\"");
    cr_assert_str_eq(escaped("a\"b\\c", 5), "\"a\\\"b\\\\c\"");
    cr_assert_str_eq(escaped("\n\r\t\b\f", 5), "\"\\n\\r\\t\\b\\f\"");
    cr_assert_str_eq(escaped("\x01\x1f\x7f", 3), "\"\\u0001\\u001f\\u007f\"");
    cr_assert_str_eq(escaped("\0", 1), "\"\\u0000\"");
    /* 4-byte sequence (U+1F600) and the largest code point U+10FFFF */
    cr_assert_str_eq(escaped("\xf0\x9f\x98\x80", 4), "\"\xf0\x9f\x98\x80\"");
    cr_assert_str_eq(escaped("\xf4\x8f\xbf\xbf", 4), "\"\xf4\x8f\xbf\xbf\"");
}

Test(hardening, json_replaces_each_byte_of_invalid_utf8)
{
    /* a lone continuation byte, a cut sequence, an overlong form, a
     * surrogate, a code point above U+10FFFF, 0xFF */
    cr_assert_str_eq(escaped("\x80", 1), "\"\\ufffd\"");
    cr_assert_str_eq(escaped("a\xc3", 2), "\"a\\ufffd\"");
    cr_assert_str_eq(escaped("\xc0\xaf", 2), "\"\\ufffd\\ufffd\"");
    cr_assert_str_eq(escaped("\xed\xa0\x80", 3), "\"\\ufffd\\ufffd\\ufffd\"");
    cr_assert_str_eq(escaped("\xf4\x90\x80\x80", 4), "\"\\ufffd\\ufffd\\ufffd\\ufffd\"");
    cr_assert_str_eq(escaped("\xff" "b", 2), "\"\\ufffdb\"");
    /* a valid sequence right after an invalid byte is kept */
    cr_assert_str_eq(escaped("\xe2\xc3\xa9", 3), "\"\\ufffd\xc3\xa9\"");
}

Test(hardening, json_fixed_buffer_says_when_it_cut)
{
    char out[16];
    struct pc_fmt f;
    pc_fmt_init(&f, out, sizeof out, true);
    pc_fmt_kstr(&f, "k", "short");
    cr_assert_not(f.cut);
    pc_fmt_kstr(&f, "key", "a value that does not fit");
    cr_assert(f.cut);
    cr_assert_eq(strlen(out), sizeof out - 1, "the result stays NUL-terminated within the buffer");
}

Test(hardening, json_grow_mode_holds_any_size)
{
    struct pc_fmt f;
    pc_fmt_init_grow(&f, true);
    pc_fmt_karr_open(&f, NULL);
    for (int i = 0; i < 100000; i++) pc_fmt_kuint(&f, NULL, (uint64_t)i);
    pc_fmt_karr_close(&f);
    cr_assert_eq(f.err, 0);
    cr_assert_eq(f.buf[0], '[');
    cr_assert_eq(f.buf[f.len - 1], ']');
    cr_assert_eq(strlen(f.buf), f.len);
    cr_assert(strstr(f.buf, ",99999]"));
    pc_fmt_free(&f);
}

struct collect { char *p; size_t n, calls; };
static int collect_sink(void *ctx, const char *p, size_t n)
{
    struct collect *c = ctx;
    c->p = realloc(c->p, c->n + n + 1);
    memcpy(c->p + c->n, p, n);
    c->n += n;
    c->p[c->n] = 0;
    c->calls++;
    return 0;
}

Test(hardening, json_sink_mode_streams_through_a_small_buffer)
{
    char buf[64];
    struct collect c = { 0 };
    struct pc_fmt f;
    pc_fmt_init_sink(&f, buf, sizeof buf, true, collect_sink, &c);
    char big[300];
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = 0;
    pc_fmt_kobj_open(&f, NULL);
    for (int i = 0; i < 50; i++) pc_fmt_kstr(&f, "k", "caf\xc3\xa9");
    pc_fmt_kstr(&f, "big", big); /* larger than the whole buffer */
    pc_fmt_printf(&f, ",\"p\":%s", big + 200);
    pc_fmt_kobj_close(&f);
    cr_assert_eq(pc_fmt_flush(&f), 0);
    cr_assert_gt(c.calls, 10);
    cr_assert_eq(c.n, f.total);
    cr_assert(strstr(c.p, big));
    cr_assert_eq(c.p[0], '{');
    cr_assert_eq(c.p[c.n - 1], '}');
    free(c.p);
}

static int failing_sink(void *ctx, const char *p, size_t n)
{
    (void)ctx, (void)p, (void)n;
    return PC_EIO;
}

Test(hardening, json_sink_failure_is_sticky)
{
    char buf[32];
    struct pc_fmt f;
    pc_fmt_init_sink(&f, buf, sizeof buf, true, failing_sink, NULL);
    for (int i = 0; i < 20; i++) pc_fmt_kstr(&f, "k", "value");
    cr_assert_eq(f.err, PC_EIO);
    cr_assert_eq(pc_fmt_flush(&f), PC_EIO);
}

Test(hardening, json_integers)
{
    char out[128];
    struct pc_fmt f;
    pc_fmt_init(&f, out, sizeof out, true);
    pc_fmt_kuint(&f, "a", 0);
    pc_fmt_kuint(&f, "b", UINT64_MAX);
    pc_fmt_kint(&f, "c", INT64_MIN);
    pc_fmt_kint(&f, "d", -1);
    cr_assert_str_eq(out, "\"a\":0,\"b\":18446744073709551615,\"c\":-9223372036854775808,\"d\":-1");
}

/* ------------------------------------------------------------ DNS hops */

/* A message whose bytes from offset 12 are pointers, each to the one
 * before; the first points at a root byte.  Returns the message length. */
static size_t pointer_chain(uint8_t *m, size_t hops)
{
    memset(m, 0, 12);
    m[12] = 0; /* the root the chain ends at */
    size_t at = 13, prev = 12;
    for (size_t k = 0; k < hops; k++, at += 2) {
        m[at] = (uint8_t)(0xC0 | prev >> 8);
        m[at + 1] = (uint8_t)prev;
        prev = at;
    }
    return at;
}

Test(hardening, dns_pointer_chains_are_capped_with_the_labels)
{
    static uint8_t m[20000];
    char out[PC_DNS_NAME_TEXTMAX];
    const char *why = NULL;
    size_t next;
    /* 127 hops: the most a name may take */
    size_t n = pointer_chain(m, 127);
    cr_assert_geq(pc_dns_name(m, n, n - 2, out, sizeof out, &next, &why), 0, "%s", why ? why : "");
    cr_assert_str_eq(out, ".");
    cr_assert_eq(next, n);
    /* one more, and a chain of thousands: refused, whatever the length */
    size_t lens[] = { 128, 8000 };
    for (size_t k = 0; k < 2; k++) {
        n = pointer_chain(m, lens[k]);
        why = NULL;
        cr_assert_eq(pc_dns_name(m, n, n - 2, out, sizeof out, &next, &why), PC_EMALFORMED);
        cr_assert_str_eq(why, "dns: name follows more than 127 compression pointers and labels");
    }
    /* labels count too: 100 labels reached through 28 hops is one too many */
    size_t at = 12;
    for (int k = 0; k < 100; k++) { m[at++] = 1; m[at++] = 'a'; }
    m[at++] = 0;
    size_t prev = 12;
    for (int k = 0; k < 28; k++, at += 2) {
        m[at] = (uint8_t)(0xC0 | prev >> 8);
        m[at + 1] = (uint8_t)prev;
        prev = at;
    }
    cr_assert_eq(pc_dns_name(m, at, at - 2, out, sizeof out, &next, &why), PC_EMALFORMED);
    cr_assert_str_eq(why, "dns: name follows more than 127 compression pointers and labels");
}

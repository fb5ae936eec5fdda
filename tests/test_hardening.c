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

#include "oracle.h"
#include "pktcraft/core/fmt.h"

TestSuite(hardening, .timeout = 1800);

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

/* ------------------------------------------------ pcapng metadata limits */

static size_t ng_opt(uint8_t *p, uint16_t code, const void *v, uint16_t n)
{
    memcpy(p, &code, 2);
    memcpy(p + 2, &n, 2);
    if (n) memcpy(p + 4, v, n);
    size_t pad = (4 - n % 4) % 4;
    memset(p + 4 + n, 0, pad);
    return 4 + n + pad;
}

/* A little-endian SHB with ncom comments of clen bytes each, then an IDB
 * named by a string of nlen bytes; returns the bytes written at p. */
static size_t ng_section(uint8_t *p, int ncom, uint16_t clen, uint16_t nlen)
{
    static uint8_t text[65536];
    memset(text, 'c', sizeof text);
    size_t at = 8;
    uint32_t magic = 0x1A2B3C4D;
    uint16_t ver[2] = { 1, 0 };
    int64_t seclen = -1;
    memcpy(p + at, &magic, 4), at += 4;
    memcpy(p + at, ver, 4), at += 4;
    memcpy(p + at, &seclen, 8), at += 8;
    for (int k = 0; k < ncom; k++) at += ng_opt(p + at, 1, text, clen);
    at += ng_opt(p + at, 0, NULL, 0);
    uint32_t type = 0x0A0D0D0A, len = (uint32_t)(at + 4);
    memcpy(p, &type, 4);
    memcpy(p + 4, &len, 4);
    memcpy(p + at, &len, 4), at += 4;
    uint8_t *q = p + at;
    size_t b = 8;
    uint16_t lt = 1, res = 0;
    uint32_t snap = 0;
    memcpy(q + b, &lt, 2), b += 2;
    memcpy(q + b, &res, 2), b += 2;
    memcpy(q + b, &snap, 4), b += 4;
    b += ng_opt(q + b, 2, text, nlen);
    b += ng_opt(q + b, 0, NULL, 0);
    type = 1;
    len = (uint32_t)(b + 4);
    memcpy(q, &type, 4);
    memcpy(q + 4, &len, 4);
    memcpy(q + b, &len, 4), b += 4;
    return at + b;
}

static struct pc_reader *open_bytes(const uint8_t *p, size_t n, const struct pc_limits *lim, char path[80])
{
    char dir[64];
    th_tmpdir(dir);
    snprintf(path, 80, "%s/x.pcapng", dir);
    FILE *f = fopen(path, "wb");
    cr_assert_not_null(f);
    cr_assert_eq(fwrite(p, 1, n, f), n);
    fclose(f);
    struct pc_err err;
    struct pc_reader *r = pc_reader_open_ex(path, lim, &err);
    cr_assert_not_null(r, "%s", err.msg);
    return r;
}

Test(hardening, pcapng_metadata_is_bounded_and_what_was_left_out_is_counted)
{
    enum { SECTIONS = 200, COMMENTS = 3, CLEN = 5000, NLEN = 3000 };
    size_t cap = SECTIONS * (COMMENTS * (CLEN + 8) + NLEN + 200);
    uint8_t *buf = malloc(cap);
    size_t n = 0;
    for (int s = 0; s < SECTIONS; s++) n += ng_section(buf + n, COMMENTS, CLEN, NLEN);
    cr_assert_leq(n, cap);
    struct pc_limits lim;
    pc_limits_default(&lim);
    char why[256];
    cr_assert_eq(pc_limits_set(&lim, "pcapng-meta=64k", why, sizeof why), 0, "%s", why);
    cr_assert_eq(pc_limits_set(&lim, "pcapng-meta-item=1000", why, sizeof why), 0, "%s", why);
    char path[80];
    struct pc_reader *r = open_bytes(buf, n, &lim, path);
    struct pc_pkthdr h;
    const uint8_t *d;
    cr_assert_eq(pc_reader_next(r, &h, &d), 0);
    cr_assert_eq(pc_reader_nsections(r), SECTIONS);
    cr_assert_eq(pc_reader_ninterfaces(r), SECTIONS);
    /* what was kept: every string at most 1000 bytes, 64 KiB in all
     * (with the 16-byte allowance per string) */
    uint64_t kept = 0, strings = 0;
    for (uint32_t s = 0; s < SECTIONS; s++) {
        const struct pc_shb *sh = pc_reader_section(r, s);
        for (uint32_t c = 0; c < sh->ncomments; c++) {
            size_t l = strlen(sh->comments[c]);
            cr_assert_leq(l, 1000);
            kept += l + 16, strings++;
        }
        const char *name = pc_reader_interface(r, s)->name;
        if (name) kept += strlen(name) + 16, strings++;
    }
    cr_assert_leq(kept, 64 * 1024);
    cr_assert_gt(strings, 50, "the budget is used, not refused");
    const struct pc_ng_dropped *dr = pc_reader_meta_dropped(r);
    cr_assert_eq(dr->items + strings, (uint64_t)SECTIONS * (COMMENTS + 1), "every string is kept or counted");
    cr_assert_eq(dr->cut, strings, "every kept string was over 1000 bytes and so cut");
    pc_reader_close(r);
    *strrchr(path, '/') = 0;
    th_rmdir(path);
    free(buf);
}

Test(hardening, pcapng_metadata_cut_keeps_utf8_whole)
{
    uint8_t buf[4096];
    size_t n = ng_section(buf, 0, 0, 0);
    /* rewrite: one SHB with a comment of 'é' x 10 (20 bytes) cut at 5 bytes */
    uint8_t text[20];
    for (int k = 0; k < 10; k++) text[2 * k] = 0xC3, text[2 * k + 1] = 0xA9;
    size_t at = 24;
    at += ng_opt(buf + at, 1, text, sizeof text);
    at += ng_opt(buf + at, 0, NULL, 0);
    uint32_t len = (uint32_t)(at + 4);
    memcpy(buf + 4, &len, 4);
    memcpy(buf + at, &len, 4);
    n = at + 4;
    struct pc_limits lim;
    pc_limits_default(&lim);
    lim.ng_meta_item = 5;
    char path[80];
    struct pc_reader *r = open_bytes(buf, n, &lim, path);
    const struct pc_shb *sh = pc_reader_section(r, 0);
    cr_assert_eq(sh->ncomments, 1);
    cr_assert_str_eq(sh->comments[0], "\xc3\xa9\xc3\xa9", "cut before the character that would be split");
    cr_assert_eq(pc_reader_meta_dropped(r)->cut, 1);
    pc_reader_close(r);
    *strrchr(path, '/') = 0;
    th_rmdir(path);
}

Test(hardening, limits_parse_and_refuse)
{
    struct pc_limits l;
    pc_limits_default(&l);
    cr_assert_eq(l.ng_block, 16u << 20);
    cr_assert_eq(l.ng_meta, 1u << 20);
    char why[512];
    cr_assert_eq(pc_limits_set(&l, "pcapng-block=32M", why, sizeof why), 0);
    cr_assert_eq(l.ng_block, 32u << 20);
    cr_assert_eq(pc_limits_set(&l, "pcapng-block=32", why, sizeof why), PC_EINVAL);
    cr_assert(strstr(why, "pcapng-block=32 is outside 64.."), "%s", why);
    cr_assert_eq(pc_limits_set(&l, "pcapng-block", why, sizeof why), PC_EINVAL);
    cr_assert_eq(pc_limits_set(&l, "pcapng-block=1x", why, sizeof why), PC_EINVAL);
    cr_assert_eq(pc_limits_set(&l, "pcapng-block=99999999999999999999", why, sizeof why), PC_EINVAL);
    cr_assert_eq(pc_limits_set(&l, "nope=1", why, sizeof why), PC_EINVAL);
    cr_assert(strstr(why, "unknown limit 'nope' (known: pcapng-block"), "%s", why);
}

Test(hardening, pcapng_block_limit_names_itself)
{
    uint8_t buf[4096];
    size_t n = ng_section(buf, 1, 2000, 10);
    struct pc_limits lim;
    pc_limits_default(&lim);
    lim.ng_block = 1024;
    char dir[64], path[80];
    th_tmpdir(dir);
    snprintf(path, sizeof path, "%s/b.pcapng", dir);
    FILE *f = fopen(path, "wb");
    fwrite(buf, 1, n, f);
    fclose(f);
    struct pc_err err;
    struct pc_reader *r = pc_reader_open_ex(path, &lim, &err);
    cr_assert_null(r);
    cr_assert_eq(err.code, PC_ELIMIT);
    cr_assert(strstr(err.msg, "exceeds this reader's limit of 1024 bytes"), "%s", err.msg);
    cr_assert(strstr(err.msg, "--limit pcapng-block"), "%s", err.msg);
    /* and through the CLI, with the option that raises it */
    char cmd[512];
    snprintf(cmd, sizeof cmd, "'%s' info --limit pcapng-block=1k '%s' >/dev/null 2>%s/err", th_cli(), path, dir);
    cr_assert_eq(th_sh("%s", cmd), 1);
    snprintf(cmd, sizeof cmd, "'%s' info --limit pcapng-block=64k '%s' >/dev/null", th_cli(), path);
    cr_assert_eq(th_sh("%s", cmd), 0);
    cr_assert_eq(th_sh("'%s' read --limit bogus=1 '%s' >/dev/null 2>&1", th_cli(), path), 2);
    th_rmdir(dir);
}

Test(hardening, comments_enumerate_in_order_and_out_of_order)
{
    enum { N = 20000 };
    struct pc_wcomment *more = calloc(N - 1, sizeof *more);
    char (*texts)[16] = calloc(N, 16);
    for (int k = 0; k < N; k++) snprintf(texts[k], 16, "%d", k);
    for (int k = 1; k < N; k++) more[k - 1] = (struct pc_wcomment){ texts[k], (uint32_t)strlen(texts[k]) };
    char dir[64], path[80];
    th_tmpdir(dir);
    snprintf(path, sizeof path, "%s/c.pcapng", dir);
    struct pc_writer_opts o = { .linktype = 1, .format = PC_FORMAT_PCAPNG };
    struct pc_err err;
    struct pc_writer *w = pc_writer_open(path, &o, &err);
    cr_assert_not_null(w, "%s", err.msg);
    uint8_t frame[60] = { 0 };
    struct pc_wpacket p = { .ts = 1, .data = frame, .caplen = 60, .len = 60, .comment = texts[0],
                            .comment_len = 1, .more = more, .nmore = N - 1 };
    cr_assert_eq(pc_writer_write_ex(w, &p), 0);
    cr_assert_eq(pc_writer_close(w, &err), 0, "%s", err.msg);
    struct pc_reader *r = pc_reader_open(path, &err);
    struct pc_pkthdr h;
    const uint8_t *d, *c;
    uint32_t cl;
    cr_assert_eq(pc_reader_next(r, &h, &d), 1);
    cr_assert_eq(h.ncomments, N);
    for (uint32_t k = 0; k < N; k++) {
        cr_assert_eq(pc_reader_comment(r, k, &c, &cl), 1);
        cr_assert(cl == strlen(texts[k]) && !memcmp(c, texts[k], cl), "comment %u", k);
    }
    uint32_t order[] = { 7, 7, 3, 4, N - 1, 0, 19990, 19991 };
    for (size_t k = 0; k < sizeof order / sizeof order[0]; k++) {
        cr_assert_eq(pc_reader_comment(r, order[k], &c, &cl), 1);
        cr_assert(cl == strlen(texts[order[k]]) && !memcmp(c, texts[order[k]], cl), "comment %u", order[k]);
    }
    cr_assert_eq(pc_reader_comment(r, N, &c, &cl), 0);
    /* the iterator sees every option once, in order */
    struct pc_ng_opts it;
    uint16_t code, len;
    const uint8_t *v;
    uint32_t seen = 0;
    pc_reader_pkt_options(r, &it);
    while (pc_ng_opt_next(&it, &code, &v, &len) == 1)
        if (code == PC_NG_OPT_COMMENT) {
            cr_assert(len == strlen(texts[seen]) && !memcmp(v, texts[seen], len));
            seen++;
        }
    cr_assert_eq(seen, N);
    pc_reader_close(r);
    th_rmdir(dir);
    free(more);
    free(texts);
}

/* ------------------------------------------------------------ output targets */

static int cli_to(const char *out, const char *extra, const char *errfile)
{
    return th_sh("'%s' syn --src 10.0.0.1 --dst 10.0.0.2 -c 3 --start 1 %s -o '%s' 2>'%s'", th_cli(), extra, out,
                 errfile);
}

static void expect_msg(const char *errfile, const char *want)
{
    char *e = th_slurp_text(errfile);
    cr_assert_not_null(e);
    cr_assert(strstr(e, want), "expected '%s' in: %s", want, e);
    free(e);
}

Test(hardening, output_to_a_device_is_written_straight)
{
    char dir[64], errf[96];
    th_tmpdir(dir);
    snprintf(errf, sizeof errf, "%s/err", dir);
    cr_assert_eq(cli_to("/dev/full", "", errf), 1);
    expect_msg(errf, "/dev/full: write failed: No space left on device");
    cr_assert_eq(cli_to("/dev/null", "", errf), 0);
    struct stat st;
    cr_assert_eq(stat("/dev/null", &st), 0);
    cr_assert(S_ISCHR(st.st_mode), "/dev/null must stay a character device");
    cr_assert_eq(stat("/dev/full", &st), 0);
    cr_assert(S_ISCHR(st.st_mode));
    cr_assert_eq(cli_to("/dev/null", "--append", errf), 1);
    expect_msg(errf, "/dev/null: cannot append: not a regular file");
    cr_assert_eq(th_sh("ls /dev | grep -q 'null.tmp\\|full.tmp'"), 1, "no temporary file beside the devices");
    th_rmdir(dir);
}

Test(hardening, output_to_a_fifo_reaches_its_reader)
{
    char dir[64], fifo[96], got[96], errf[96];
    th_tmpdir(dir);
    snprintf(fifo, sizeof fifo, "%s/ff", dir);
    snprintf(got, sizeof got, "%s/got.pcap", dir);
    snprintf(errf, sizeof errf, "%s/err", dir);
    cr_assert_eq(mkfifo(fifo, 0600), 0);
    cr_assert_eq(th_sh("cat '%s' > '%s' & '%s' syn --src 10.0.0.1 --dst 10.0.0.2 -c 3 --start 1 -o '%s' 2>'%s'; s=$?; wait; exit $s",
                       fifo, got, th_cli(), fifo, errf), 0);
    struct pc_err err;
    struct pc_reader *r = pc_reader_open(got, &err);
    cr_assert_not_null(r, "%s", err.msg);
    struct pc_pkthdr h;
    const uint8_t *d;
    int n = 0;
    while (pc_reader_next(r, &h, &d) == 1) n++;
    cr_assert_eq(n, 3);
    pc_reader_close(r);
    struct stat st;
    cr_assert_eq(stat(fifo, &st), 0);
    cr_assert(S_ISFIFO(st.st_mode), "the FIFO stays a FIFO");
    th_rmdir(dir);
}

Test(hardening, output_through_symlinks_directories_and_dangling_links)
{
    char dir[64], p[128], q[128], errf[96];
    th_tmpdir(dir);
    snprintf(errf, sizeof errf, "%s/err", dir);
    /* a link to a file: the file is replaced, the link stays */
    snprintf(p, sizeof p, "%s/real.pcap", dir);
    snprintf(q, sizeof q, "%s/link.pcap", dir);
    cr_assert_eq(th_sh("echo old > '%s' && ln -s real.pcap '%s'", p, q), 0);
    cr_assert_eq(cli_to(q, "", errf), 0);
    struct stat st;
    cr_assert_eq(lstat(q, &st), 0);
    cr_assert(S_ISLNK(st.st_mode), "the link is kept");
    cr_assert_eq(stat(p, &st), 0);
    cr_assert_eq(st.st_size, 24 + 3 * (16 + 54), "the file it points at holds the capture");
    /* a link to nothing, and a directory: refused, nothing created */
    snprintf(q, sizeof q, "%s/dangling.pcap", dir);
    cr_assert_eq(th_sh("ln -s nowhere.pcap '%s'", q), 0);
    cr_assert_eq(cli_to(q, "", errf), 1);
    expect_msg(errf, "dangling.pcap: is a symbolic link to a file that does not exist");
    snprintf(q, sizeof q, "%s/sub", dir);
    cr_assert_eq(mkdir(q, 0755), 0);
    cr_assert_eq(cli_to(q, "", errf), 1);
    expect_msg(errf, "sub: is a directory");
    cr_assert_eq(th_sh("ls '%s' | grep -q tmp", dir), 1, "no temporary file left");
    th_rmdir(dir);
}

/* Start a long write, wait until its temporary file (or the append) is
 * under way, send sig, and return the wait status. */
static int interrupted(const char *dir, const char *out, bool append, int sig)
{
    pid_t pid = fork();
    cr_assert_geq(pid, 0);
    if (pid == 0) {
        signal(sig, SIG_DFL); /* as a shell's foreground job has it */
        int fd = open("/dev/null", O_WRONLY);
        dup2(fd, 2);
        const char *argv[] = { th_cli(), "syn", "--src", "10.0.0.1", "--dst", "10.0.0.2", "-c", "50000000",
                               "--start", "1", "-o", out, append ? "--append" : NULL, NULL };
        execv(th_cli(), (char *const *)argv);
        _exit(127);
    }
    for (int tries = 0; tries < 1000; tries++) {
        struct timespec ts = { 0, 10 * 1000 * 1000 };
        nanosleep(&ts, NULL);
        /* under way: a temporary file, or the appended file past 1 MB */
        if (append ? th_sh("test $(stat -c %%s '%s') -gt 1000000", out) == 0
                   : th_sh("ls '%s' | grep -q 'tmp'", dir) == 0)
            break;
    }
    kill(pid, sig);
    int st;
    cr_assert_eq(waitpid(pid, &st, 0), pid);
    return st;
}

Test(hardening, signals_remove_the_temporary_file_and_undo_appends)
{
    static const int sigs[] = { SIGINT, SIGTERM, SIGHUP };
    char dir[64], out[96];
    th_tmpdir(dir);
    snprintf(out, sizeof out, "%s/big.pcap", dir);
    for (size_t k = 0; k < 3; k++) {
        int st = interrupted(dir, out, false, sigs[k]);
        cr_assert(WIFSIGNALED(st) && WTERMSIG(st) == sigs[k], "signal %d: status 0x%x", sigs[k], (unsigned)st);
        cr_assert_eq(th_sh("ls -A '%s' | grep -q .", dir), 1, "signal %d: nothing left in the directory", sigs[k]);
    }
    char errf[96];
    snprintf(errf, sizeof errf, "%s/err.txt", dir);
    cr_assert_eq(cli_to(out, "", errf), 0);
    struct stat before, after;
    cr_assert_eq(stat(out, &before), 0);
    int st = interrupted(dir, out, true, SIGTERM);
    cr_assert(WIFSIGNALED(st) && WTERMSIG(st) == SIGTERM);
    cr_assert_eq(stat(out, &after), 0);
    cr_assert_eq(after.st_size, before.st_size, "the append is truncated back");
    th_rmdir(dir);
}

/* ------------------------------------------------------------ filters */

/* A BSD loopback capture with IPv6 (family 30, macOS): libpcap matches
 * "ip6" there against every BSD value only when it compiles for a file,
 * as tcpdump does; the filter must select what tcpdump selects. */
Test(hardening, filters_on_bsd_loopback_ipv6_select_what_tcpdump_selects)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/../shared/corpus/gopacket/pcap/test_loopback.pcap", th_root());
    static const char *const exprs[] = { "tcp", "ip6", "tcp port 8080", "ip" };
    for (size_t k = 0; k < sizeof exprs / sizeof exprs[0]; k++) {
        char cmd[8400];
        snprintf(cmd, sizeof cmd, "tcpdump -nr '%s' '%s' 2>/dev/null | wc -l", path, exprs[k]);
        char *want = th_cmd_output(cmd, NULL);
        snprintf(cmd, sizeof cmd, "'%s' read '%s' %s | wc -l", th_cli(), path, exprs[k]);
        char *got = th_cmd_output(cmd, NULL);
        cr_assert_str_eq(got, want, "filter '%s'", exprs[k]);
        if (k == 0) cr_assert_gt(atoi(want), 10, "the capture has TCP over IPv6");
        free(want);
        free(got);
    }
}

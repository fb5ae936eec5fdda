/* Tests for the pcap writer and streaming reader (lib/pcap.c).
 * Every test works in its own temporary directory, removed afterwards.
 * libpcap serves as an independent oracle for both directions. */
#include <criterion/criterion.h>
#include <pcap/pcap.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "pktcraft/capture/pcap.h"
#include "helpers.h"

/* ------------------------------------------------------------- fixture */

static char g_dir[64]; /* "/tmp/pktcraft-pcap-XXXXXX" */

static void setup(void)
{
    strcpy(g_dir, "/tmp/pktcraft-pcap-XXXXXX");
    cr_assert_not_null(mkdtemp(g_dir), "mkdtemp: %s", strerror(errno));
}

/* Remove a directory tree (no nftw: it needs _XOPEN_SOURCE). */
static void rm_tree(const char *path)
{
    DIR *d = opendir(path);
    if (d) {
        struct dirent *e;
        char sub[PATH_MAX];
        while ((e = readdir(d)) != NULL) {
            if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
            snprintf(sub, sizeof sub, "%s/%s", path, e->d_name);
            struct stat st;
            if (lstat(sub, &st) == 0 && S_ISDIR(st.st_mode)) rm_tree(sub);
            else unlink(sub);
        }
        closedir(d);
    }
    rmdir(path);
}

static void teardown(void)
{
    if (g_dir[0]) rm_tree(g_dir);
}

TestSuite(pcap, .init = setup, .fini = teardown, .timeout = 1800);

/* ------------------------------------------------------------- helpers */

/* A path inside the test directory; a few rotating buffers so that two
 * can be live at once. */
static const char *tpath(const char *name)
{
    static char bufs[4][PATH_MAX];
    static int i;
    char *b = bufs[i++ & 3];
    snprintf(b, PATH_MAX, "%s/%s", g_dir, name);
    return b;
}


static uint8_t *get_file(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    cr_assert_not_null(f, "fopen %s: %s", path, strerror(errno));
    cr_assert_eq(fseek(f, 0, SEEK_END), 0);
    long sz = ftell(f);
    cr_assert(sz >= 0);
    rewind(f);
    uint8_t *b = malloc((size_t)sz + 1);
    cr_assert_not_null(b);
    cr_assert_eq(fread(b, 1, (size_t)sz, f), (size_t)sz);
    fclose(f);
    *n = (size_t)sz;
    return b;
}

static long long file_size(const char *path)
{
    struct stat st;
    if (stat(path, &st) < 0) return -1;
    return (long long)st.st_size;
}

static int dir_entries(void)
{
    DIR *d = opendir(g_dir);
    cr_assert_not_null(d);
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL)
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0) n++;
    closedir(d);
    return n;
}

static uint64_t g_rng = 0x9E3779B97F4A7C15u;
static void rng_seed(uint64_t s) { g_rng = s ? s : 1; }
static uint64_t rnd(void)
{
    g_rng ^= g_rng >> 12;
    g_rng ^= g_rng << 25;
    g_rng ^= g_rng >> 27;
    return g_rng * 0x2545F4914F6CDD1Du;
}

/* Packet bytes come from a fixed random pool at random offsets. */
static uint8_t g_pool[PC_PCAP_MAX_CAPLEN + 4096];
static void fill_pool(uint64_t seed)
{
    rng_seed(seed);
    for (size_t i = 0; i < sizeof g_pool; i++) g_pool[i] = (uint8_t)rnd();
}

struct tpkt {
    pc_time_ns ts;
    uint32_t caplen, len;
    const uint8_t *data;
};

static struct pc_writer_opts opts(int linktype, int prec)
{
    return (struct pc_writer_opts){ .linktype = linktype, .snaplen = 0, .tsprec = prec, .append = false };
}

static void write_pkts(const char *path, const struct pc_writer_opts *o, const struct tpkt *p, size_t n)
{
    struct pc_err err;
    struct pc_writer *w = pc_writer_open(path, o, &err);
    cr_assert_not_null(w, "open %s: %s", path, err.msg);
    for (size_t i = 0; i < n; i++) cr_assert_eq(pc_writer_write(w, p[i].ts, p[i].data, p[i].caplen, p[i].len), 0);
    cr_assert_eq(pc_writer_close(w, &err), 0, "close: %s", err.msg);
    cr_assert_eq(err.code, 0);
}

/* Random packets with timestamps below 2^31 s (libpcap reads seconds as
 * signed 32-bit) and wire lengths at or above the captured length. */
static struct tpkt *random_pkts(size_t n, uint32_t maxcap)
{
    struct tpkt *p = calloc(n, sizeof *p);
    cr_assert_not_null(p);
    pc_time_ns ts = INT64_C(1600000000) * PC_NS_PER_SEC;
    for (size_t i = 0; i < n; i++) {
        ts += (pc_time_ns)(rnd() % (3 * PC_NS_PER_SEC));
        p[i].ts = ts;
        p[i].caplen = (uint32_t)(rnd() % (maxcap + 1));
        p[i].len = p[i].caplen + (uint32_t)(rnd() % 3 == 0 ? rnd() % 5000 : 0);
        p[i].data = g_pool + rnd() % 4096;
    }
    return p;
}

static pc_time_ns trunc_us(pc_time_ns t) { return t - t % 1000; }

/* Read the whole file and compare with what was written. */
static void expect_pkts(const char *path, const struct tpkt *p, size_t n, int prec, int linktype)
{
    struct pc_err err;
    struct pc_reader *r = pc_reader_open(path, &err);
    cr_assert_not_null(r, "%s", err.msg);
    cr_assert_eq(pc_reader_tsprec(r), prec);
    cr_assert_eq(pc_reader_linktype(r), linktype);
    struct pc_pkthdr h;
    const uint8_t *d;
    for (size_t i = 0; i < n; i++) {
        cr_assert_eq(pc_reader_next(r, &h, &d), 1, "packet %zu: %s", i + 1, pc_reader_err(r)->msg);
        pc_time_ns want = prec == PC_TSPREC_NS ? p[i].ts : trunc_us(p[i].ts);
        cr_assert_eq(h.ts, want, "packet %zu ts %lld != %lld", i + 1, (long long)h.ts, (long long)want);
        cr_assert_eq(h.caplen, p[i].caplen);
        cr_assert_eq(h.len, p[i].len);
        cr_assert_eq(h.linktype, linktype);
        cr_assert_eq(h.ifindex, 0u);
        cr_assert(memcmp(d, p[i].data, h.caplen) == 0, "packet %zu data", i + 1);
    }
    cr_assert_eq(pc_reader_next(r, &h, &d), 0, "%s", pc_reader_err(r)->msg);
    cr_assert_eq(pc_reader_next(r, &h, &d), 0);
    cr_assert_eq(pc_reader_count(r), n);
    pc_reader_close(r);
}

/* Hand-built files in either byte order. */
struct fb {
    uint8_t b[4096];
    size_t n;
    bool big;
};

static void fb_u32(struct fb *f, uint32_t v)
{
    cr_assert(f->n + 4 <= sizeof f->b);
    if (f->big) pc_put32(f->b + f->n, v);
    else pc_put32le(f->b + f->n, v);
    f->n += 4;
}

static void fb_u16(struct fb *f, uint16_t v)
{
    if (f->big) pc_put16(f->b + f->n, v);
    else pc_put16le(f->b + f->n, v);
    f->n += 2;
}

static void fb_hdr(struct fb *f, uint32_t magic, uint32_t snaplen, uint32_t linktype)
{
    fb_u32(f, magic);
    fb_u16(f, 2);
    fb_u16(f, 4);
    fb_u32(f, 0);
    fb_u32(f, 0);
    fb_u32(f, snaplen);
    fb_u32(f, linktype);
}

static void fb_rec(struct fb *f, uint32_t sec, uint32_t frac, uint32_t caplen, uint32_t len, const void *data,
                   size_t datalen)
{
    fb_u32(f, sec);
    fb_u32(f, frac);
    fb_u32(f, caplen);
    fb_u32(f, len);
    cr_assert(f->n + datalen <= sizeof f->b);
    if (datalen) memcpy(f->b + f->n, data, datalen);
    f->n += datalen;
}

static bool host_big(void)
{
    const uint16_t one = 1;
    uint8_t b;
    memcpy(&b, &one, 1);
    return b == 0;
}

/* Expect pc_reader_open(path) to fail with code and exactly message msg. */
static void expect_open_error(const char *path, int code, const char *msg)
{
    struct pc_err err;
    struct pc_reader *r = pc_reader_open(path, &err);
    cr_assert_null(r);
    cr_assert_eq(err.code, code, "code %d, msg %s", err.code, err.msg);
    cr_assert_str_eq(err.msg, msg);
}

/* ------------------------------------------------ write and read back */

static const uint8_t k_data[1514] = { 0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb,
                                      0x08, 0x00, 0x45, 0x00, [1513] = 0xfe };

static const struct tpkt k_pkts[] = {
    { INT64_C(1700000000123456789), 60, 60, k_data },
    { 0, 0, 0, k_data },
    { INT64_C(1234567890999999999), 1514, 1514, k_data },
    { INT64_C(4294967295999999999), 14, 9000, k_data }, /* the last representable instant */
};
#define K_N (sizeof k_pkts / sizeof k_pkts[0])

Test(pcap, write_read_microseconds)
{
    struct pc_writer_opts o = opts(1, PC_TSPREC_US);
    write_pkts(tpath("us.pcap"), &o, k_pkts, K_N);
    expect_pkts(tpath("us.pcap"), k_pkts, K_N, PC_TSPREC_US, 1);

    struct pc_err err;
    struct pc_reader *r = pc_reader_open(tpath("us.pcap"), &err);
    cr_assert_not_null(r);
    cr_assert_eq(pc_reader_snaplen(r), 262144u);
    cr_assert_eq(pc_reader_swapped(r), host_big());
    struct pc_pkthdr h;
    const uint8_t *d;
    cr_assert_eq(pc_reader_next(r, &h, &d), 1);
    cr_assert_eq(h.ts, INT64_C(1700000000123456000), "truncated to the microsecond");
    pc_reader_close(r);
}

Test(pcap, write_read_nanoseconds)
{
    struct pc_writer_opts o = opts(101, PC_TSPREC_NS);
    write_pkts(tpath("ns.pcap"), &o, k_pkts, K_N);
    expect_pkts(tpath("ns.pcap"), k_pkts, K_N, PC_TSPREC_NS, 101);
}

Test(pcap, header_bytes_exact)
{
    static const uint8_t pkt[4] = { 0xde, 0xad, 0xbe, 0xef };
    static const uint8_t want_us[] = {
        0xd4, 0xc3, 0xb2, 0xa1, 0x02, 0x00, 0x04, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x00, 0x04, 0x00, 0x01, 0x00, 0x00, 0x00, /* file header: snaplen 262144, linktype 1 */
        0x01, 0x00, 0x00, 0x00, 0x20, 0xa1, 0x07, 0x00, /* 1 s, 500000 us */
        0x04, 0x00, 0x00, 0x00, 0x3c, 0x00, 0x00, 0x00, /* caplen 4, len 60 */
        0xde, 0xad, 0xbe, 0xef,
    };
    static const uint8_t want_ns[] = {
        0x4d, 0x3c, 0xb2, 0xa1, 0x02, 0x00, 0x04, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        0xdc, 0x05, 0x00, 0x00, 0x65, 0x00, 0x00, 0x00, /* snaplen 1500, linktype 101 */
        0x01, 0x00, 0x00, 0x00, 0x07, 0x65, 0xcd, 0x1d, /* 1 s, 500000007 ns */
        0x04, 0x00, 0x00, 0x00, 0x3c, 0x00, 0x00, 0x00, 0xde, 0xad, 0xbe, 0xef,
    };
    struct tpkt p = { INT64_C(1500000007), 4, 60, pkt };
    struct pc_writer_opts o = opts(1, PC_TSPREC_US);
    write_pkts(tpath("a.pcap"), &o, &p, 1);
    o = opts(101, PC_TSPREC_NS);
    o.snaplen = 1500;
    write_pkts(tpath("b.pcap"), &o, &p, 1);

    size_t n;
    uint8_t *b = get_file(tpath("a.pcap"), &n);
    cr_assert_eq(n, sizeof want_us);
    cr_assert(memcmp(b, want_us, n) == 0);
    free(b);
    b = get_file(tpath("b.pcap"), &n);
    cr_assert_eq(n, sizeof want_ns);
    cr_assert(memcmp(b, want_ns, n) == 0);
    free(b);

    struct stat st;
    cr_assert_eq(stat(tpath("a.pcap"), &st), 0);
    cr_assert_eq(st.st_mode & 0777, 0644u);
    cr_assert_eq(dir_entries(), 2, "no temporary files left behind");
}

Test(pcap, empty_capture_is_header_only)
{
    struct pc_writer_opts o = opts(1, PC_TSPREC_US);
    write_pkts(tpath("e.pcap"), &o, NULL, 0);
    cr_assert_eq(file_size(tpath("e.pcap")), 24);
    struct pc_err err;
    struct pc_reader *r = pc_reader_open(tpath("e.pcap"), &err);
    cr_assert_not_null(r, "%s", err.msg);
    struct pc_pkthdr h;
    const uint8_t *d;
    cr_assert_eq(pc_reader_next(r, &h, &d), 0);
    cr_assert_eq(pc_reader_next(r, &h, &d), 0);
    cr_assert_eq(pc_reader_count(r), 0u);
    cr_assert_eq(pc_reader_err(r)->code, 0);
    pc_reader_close(r);
}

/* ---------------------------------------------------- byte orders */

static void check_be_file(bool ns)
{
    static const uint8_t d1[4] = { 1, 2, 3, 4 };
    struct fb f = { .big = true };
    /* FCS bits in the upper half of the link type field are not the type. */
    fb_hdr(&f, ns ? PC_PCAP_MAGIC_NS : PC_PCAP_MAGIC_US, 65535, 0x20000001u);
    fb_rec(&f, 1000000000u, 123456u, 4, 100, d1, 4);
    fb_rec(&f, 1000000001u, ns ? 999999999u : 999999u, 0, 0, NULL, 0);
    fb_rec(&f, 7u, ns ? 1500000000u : 1500000u, 1, 1, d1, 1); /* out-of-range fraction taken as given */
    th_put_file(tpath("be.pcap"), f.b, f.n);

    struct pc_err err;
    struct pc_reader *r = pc_reader_open(tpath("be.pcap"), &err);
    cr_assert_not_null(r, "%s", err.msg);
    int64_t unit = ns ? 1 : 1000;
    cr_assert_eq(pc_reader_swapped(r), !host_big());
    cr_assert_eq(pc_reader_linktype(r), 1);
    cr_assert_eq(pc_reader_snaplen(r), 65535u);
    cr_assert_eq(pc_reader_tsprec(r), ns ? PC_TSPREC_NS : PC_TSPREC_US);
    struct pc_pkthdr h;
    const uint8_t *d;
    cr_assert_eq(pc_reader_next(r, &h, &d), 1);
    cr_assert_eq(h.ts, INT64_C(1000000000) * PC_NS_PER_SEC + 123456 * unit);
    cr_assert_eq(h.caplen, 4u);
    cr_assert_eq(h.len, 100u);
    cr_assert_eq(h.linktype, 1);
    cr_assert(memcmp(d, d1, 4) == 0);
    cr_assert_eq(pc_reader_next(r, &h, &d), 1);
    cr_assert_eq(h.ts, INT64_C(1000000001) * PC_NS_PER_SEC + (ns ? 999999999 : 999999000));
    cr_assert_eq(h.caplen, 0u);
    cr_assert_eq(pc_reader_next(r, &h, &d), 1);
    cr_assert_eq(h.ts, INT64_C(8500000000));
    cr_assert_eq(d[0], 1);
    cr_assert_eq(pc_reader_next(r, &h, &d), 0);
    cr_assert_eq(pc_reader_count(r), 3u);
    pc_reader_close(r);
}

Test(pcap, big_endian_microseconds) { check_be_file(false); }
Test(pcap, big_endian_nanoseconds) { check_be_file(true); }

/* ------------------------------------------------------- snaplen */

Test(pcap, snaplen_cuts_caplen)
{
    struct tpkt p[] = {
        { PC_NS_PER_SEC, 100, 100, k_data },
        { PC_NS_PER_SEC, 10, 5, k_data },   /* len below caplen is raised */
        { PC_NS_PER_SEC, 100, 0, k_data },  /* raised to the original caplen */
        { PC_NS_PER_SEC, 64, 64, k_data },
    };
    struct pc_writer_opts o = opts(1, PC_TSPREC_US);
    o.snaplen = 64;
    write_pkts(tpath("s.pcap"), &o, p, 4);

    struct tpkt want[] = {
        { PC_NS_PER_SEC, 64, 100, k_data },
        { PC_NS_PER_SEC, 10, 10, k_data },
        { PC_NS_PER_SEC, 64, 100, k_data },
        { PC_NS_PER_SEC, 64, 64, k_data },
    };
    expect_pkts(tpath("s.pcap"), want, 4, PC_TSPREC_US, 1);
    struct pc_err err;
    struct pc_reader *r = pc_reader_open(tpath("s.pcap"), &err);
    cr_assert_eq(pc_reader_snaplen(r), 64u);
    pc_reader_close(r);
    cr_assert_eq(file_size(tpath("s.pcap")), 24 + 4 * 16 + 64 + 10 + 64 + 64);
}

Test(pcap, max_record_round_trips)
{
    fill_pool(7);
    struct tpkt p[] = {
        { PC_NS_PER_SEC, PC_PCAP_MAX_CAPLEN, PC_PCAP_MAX_CAPLEN, g_pool },
        { PC_NS_PER_SEC, PC_PCAP_MAX_CAPLEN, PC_PCAP_MAX_CAPLEN + 10, g_pool + 1 },
        { PC_NS_PER_SEC, 1, 1, g_pool + 2 },
    };
    struct pc_writer_opts o = opts(1, PC_TSPREC_NS);
    write_pkts(tpath("m.pcap"), &o, p, 3);
    expect_pkts(tpath("m.pcap"), p, 3, PC_TSPREC_NS, 1);
}

/* -------------------------------------------------------- append */

Test(pcap, append_same_type)
{
    struct pc_writer_opts o = opts(1, PC_TSPREC_NS);
    write_pkts(tpath("ap.pcap"), &o, k_pkts, 2);
    o.append = true;
    write_pkts(tpath("ap.pcap"), &o, k_pkts + 2, K_N - 2);
    expect_pkts(tpath("ap.pcap"), k_pkts, K_N, PC_TSPREC_NS, 1);
    cr_assert_eq(dir_entries(), 1);
}

Test(pcap, append_creates_missing_file)
{
    struct pc_writer_opts o = opts(1, PC_TSPREC_US);
    o.append = true;
    write_pkts(tpath("new.pcap"), &o, k_pkts, K_N);
    expect_pkts(tpath("new.pcap"), k_pkts, K_N, PC_TSPREC_US, 1);
    cr_assert_eq(dir_entries(), 1);
}

Test(pcap, append_to_empty_file_writes_header)
{
    th_put_file(tpath("z.pcap"), "", 0);
    struct pc_writer_opts o = opts(1, PC_TSPREC_US);
    o.append = true;
    write_pkts(tpath("z.pcap"), &o, k_pkts, K_N);
    expect_pkts(tpath("z.pcap"), k_pkts, K_N, PC_TSPREC_US, 1);
}

Test(pcap, append_respects_file_snaplen)
{
    struct pc_writer_opts o = opts(1, PC_TSPREC_US);
    o.snaplen = 20;
    write_pkts(tpath("sn.pcap"), &o, k_pkts, 1);
    o.snaplen = 0;
    o.append = true;
    write_pkts(tpath("sn.pcap"), &o, k_pkts + 2, 1);
    struct tpkt want[] = { k_pkts[0], k_pkts[2] };
    want[0].caplen = 20;
    want[1].caplen = 20;
    expect_pkts(tpath("sn.pcap"), want, 2, PC_TSPREC_US, 1);
}

Test(pcap, append_big_endian_file_keeps_its_order)
{
    static const uint8_t d1[4] = { 1, 2, 3, 4 };
    struct fb f = { .big = true };
    fb_hdr(&f, PC_PCAP_MAGIC_US, 65535, 1);
    fb_rec(&f, 1000000000u, 123456u, 4, 100, d1, 4);
    th_put_file(tpath("be.pcap"), f.b, f.n);

    struct pc_writer_opts o = opts(1, PC_TSPREC_US);
    o.append = true;
    struct tpkt p = { INT64_C(1000000002000003000), 3, 3, d1 };
    write_pkts(tpath("be.pcap"), &o, &p, 1);

    size_t n;
    uint8_t *b = get_file(tpath("be.pcap"), &n);
    cr_assert_eq(n, f.n + 16 + 3);
    cr_assert(memcmp(b, f.b, f.n) == 0, "existing bytes untouched");
    cr_assert_eq(pc_get32(b + f.n), 1000000002u, "new record is big-endian");
    cr_assert_eq(pc_get32(b + f.n + 4), 3u);
    cr_assert_eq(pc_get32(b + f.n + 8), 3u);
    free(b);

    struct tpkt want[] = { { INT64_C(1000000000123456000), 4, 100, d1 }, p };
    expect_pkts(tpath("be.pcap"), want, 2, PC_TSPREC_US, 1);
}

/* Try to append with o and expect failure, the file left unchanged. */
static void expect_append_error(const char *path, struct pc_writer_opts o, int code, const char *msg)
{
    size_t n0, n1;
    uint8_t *before = get_file(path, &n0);
    o.append = true;
    struct pc_err err;
    struct pc_writer *w = pc_writer_open(path, &o, &err);
    cr_assert_null(w);
    cr_assert_eq(err.code, code, "code %d: %s", err.code, err.msg);
    cr_assert_str_eq(err.msg, msg);
    uint8_t *after = get_file(path, &n1);
    cr_assert_eq(n0, n1);
    cr_assert(memcmp(before, after, n0) == 0);
    free(before);
    free(after);
    cr_assert_eq(dir_entries(), 1);
}

Test(pcap, append_mismatch_fails)
{
    const char *path = tpath("x.pcap");
    struct pc_writer_opts o = opts(1, PC_TSPREC_US);
    write_pkts(path, &o, k_pkts, 2);
    char msg[512];

    snprintf(msg, sizeof msg, "%s: cannot append: link type 101 differs from 1", path);
    expect_append_error(path, opts(101, PC_TSPREC_US), PC_EINVAL, msg);

    snprintf(msg, sizeof msg, "%s: cannot append: nanosecond timestamps differ from the file's microsecond ones",
             path);
    expect_append_error(path, opts(1, PC_TSPREC_NS), PC_EINVAL, msg);
}

Test(pcap, append_to_non_pcap_fails)
{
    const char *path = tpath("x.pcap");
    char msg[512];
    th_put_file(path, "hello, world, this is not a capture file", 40);
    snprintf(msg, sizeof msg, "%s: cannot append: not a pcap file (magic 0x68656c6c at offset 0)", path);
    expect_append_error(path, opts(1, PC_TSPREC_US), PC_EFORMAT, msg);

    /* A pcapng is appended to when it reads to its end (test_pcapng.c);
     * this one is not even a whole Section Header Block. */
    static const uint8_t ng[28] = { 0x0a, 0x0d, 0x0d, 0x0a, 28, 0, 0, 0, 0x4d, 0x3c, 0x2b, 0x1a };
    th_put_file(path, ng, sizeof ng);
    snprintf(msg, sizeof msg,
             "%s: cannot append: block at byte offset 0: trailing block length 0 differs from the leading 28; "
             "0 packets read",
             path);
    expect_append_error(path, opts(1, PC_TSPREC_US), PC_EMALFORMED, msg);

    th_put_file(path, "\xd4\xc3\xb2\xa1\x02\x00", 6);
    snprintf(msg, sizeof msg, "%s: cannot append: file too short for a pcap header (got 6 of 24 bytes)", path);
    expect_append_error(path, opts(1, PC_TSPREC_US), PC_ETRUNC, msg);
}

/* --------------------------------------------------------- abort */

Test(pcap, abort_new_file_leaves_nothing)
{
    fill_pool(3);
    struct pc_err err;
    struct pc_writer_opts o = opts(1, PC_TSPREC_US);
    struct pc_writer *w = pc_writer_open(tpath("gone.pcap"), &o, &err);
    cr_assert_not_null(w, "%s", err.msg);
    /* Several MB so that the buffer really reaches the disk before abort. */
    for (int i = 0; i < 3000; i++) cr_assert_eq(pc_writer_write(w, PC_NS_PER_SEC, g_pool, 1500, 1500), 0);
    cr_assert_eq(dir_entries(), 1, "the temporary file exists while writing");
    pc_writer_abort(w);
    cr_assert_eq(file_size(tpath("gone.pcap")), -1);
    cr_assert_eq(dir_entries(), 0);
}

Test(pcap, abort_keeps_existing_file)
{
    const char *path = tpath("keep.pcap");
    struct pc_writer_opts o = opts(1, PC_TSPREC_US);
    write_pkts(path, &o, k_pkts, K_N);
    size_t n0;
    uint8_t *before = get_file(path, &n0);

    struct pc_err err;
    struct pc_writer *w = pc_writer_open(path, &o, &err);
    cr_assert_not_null(w);
    for (int i = 0; i < 1000; i++) cr_assert_eq(pc_writer_write(w, 0, k_data, 1000, 1000), 0);
    pc_writer_abort(w);

    size_t n1;
    uint8_t *after = get_file(path, &n1);
    cr_assert_eq(n0, n1);
    cr_assert(memcmp(before, after, n0) == 0);
    free(before);
    free(after);
    cr_assert_eq(dir_entries(), 1);
}

Test(pcap, abort_append_restores_size)
{
    const char *path = tpath("ab.pcap");
    struct pc_writer_opts o = opts(1, PC_TSPREC_NS);
    write_pkts(path, &o, k_pkts, K_N);
    size_t n0;
    uint8_t *before = get_file(path, &n0);

    o.append = true;
    struct pc_err err;
    struct pc_writer *w = pc_writer_open(path, &o, &err);
    cr_assert_not_null(w, "%s", err.msg);
    for (int i = 0; i < 2000; i++) cr_assert_eq(pc_writer_write(w, 0, k_data, 1000, 1000), 0);
    cr_assert_gt(file_size(path), (long long)n0, "appended data reached the file before abort");
    pc_writer_abort(w);

    size_t n1;
    uint8_t *after = get_file(path, &n1);
    cr_assert_eq(n1, n0);
    cr_assert(memcmp(before, after, n0) == 0);
    free(before);
    free(after);
    expect_pkts(path, k_pkts, K_N, PC_TSPREC_NS, 1);
}

/* ------------------------------------------------- writer failures */

Test(pcap, missing_directory_fails_with_path)
{
    const char *path = tpath("no/such/dir/out.pcap");
    struct pc_writer_opts o = opts(1, PC_TSPREC_US);
    struct pc_err err;
    cr_assert_null(pc_writer_open(path, &o, &err));
    cr_assert_eq(err.code, PC_EIO);
    char msg[512];
    snprintf(msg, sizeof msg, "%s: cannot create temporary file: %s", path, strerror(ENOENT));
    cr_assert_str_eq(err.msg, msg);
}

Test(pcap, rename_failure_removes_temp)
{
    /* The target becomes a non-empty directory after the open (a directory
     * given from the start is refused at once), so only the final rename
     * can fail. */
    const char *path = tpath("isdir");
    struct pc_writer_opts o = opts(1, PC_TSPREC_US);
    struct pc_err err;
    struct pc_writer *w = pc_writer_open(path, &o, &err);
    cr_assert_not_null(w, "%s", err.msg);
    cr_assert_eq(mkdir(path, 0755), 0);
    char inner[512];
    snprintf(inner, sizeof inner, "%s/x", path);
    FILE *f = fopen(inner, "w");
    cr_assert_not_null(f);
    fclose(f);
    cr_assert_eq(pc_writer_write(w, 0, k_data, 60, 60), 0);
    cr_assert_eq(dir_entries(), 2);
    cr_assert_eq(pc_writer_close(w, &err), PC_EIO);
    cr_assert_eq(err.code, PC_EIO);
    cr_assert(strstr(err.msg, "cannot rename") != NULL, "%s", err.msg);
    cr_assert(strncmp(err.msg, path, strlen(path)) == 0, "%s", err.msg);
    cr_assert_eq(dir_entries(), 1, "temporary file removed");
    unlink(inner);
}

Test(pcap, bad_arguments)
{
    struct pc_err err;
    struct pc_writer_opts o = opts(1, 5);
    cr_assert_null(pc_writer_open(tpath("a.pcap"), NULL, &err));
    cr_assert_eq(err.code, PC_EINVAL);
    cr_assert_null(pc_writer_open(tpath("a.pcap"), &o, &err));
    cr_assert_eq(err.code, PC_EINVAL);
    o = opts(1, PC_TSPREC_US);
    o.append = true;
    cr_assert_null(pc_writer_open("-", &o, &err));
    cr_assert_eq(err.code, PC_EINVAL);
    cr_assert_eq(dir_entries(), 0);

    /* A timestamp pcap cannot hold is refused without spoiling the file. */
    o = opts(1, PC_TSPREC_NS);
    struct pc_writer *w = pc_writer_open(tpath("a.pcap"), &o, &err);
    cr_assert_not_null(w);
    cr_assert_eq(pc_writer_write(w, -1, k_data, 10, 10), PC_EINVAL);
    cr_assert_eq(pc_writer_write(w, INT64_C(4294967296) * PC_NS_PER_SEC, k_data, 10, 10), PC_EINVAL);
    cr_assert_eq(pc_writer_write(w, 0, NULL, 10, 10), PC_EINVAL);
    cr_assert_eq(pc_writer_write(w, k_pkts[0].ts, k_pkts[0].data, k_pkts[0].caplen, k_pkts[0].len), 0);
    cr_assert_eq(pc_writer_close(w, &err), 0);
    expect_pkts(tpath("a.pcap"), k_pkts, 1, PC_TSPREC_NS, 1);
}

/* Run fn with fd 1 pointing at target, then put stdout back. */
static void with_stdout(int target, void (*fn)(void))
{
    fflush(stdout);
    int saved = dup(STDOUT_FILENO);
    cr_assert(saved >= 0);
    cr_assert(dup2(target, STDOUT_FILENO) >= 0);
    fn();
    cr_assert(dup2(saved, STDOUT_FILENO) >= 0);
    close(saved);
}

static void stdout_to_full(void)
{
    struct pc_writer_opts o = opts(1, PC_TSPREC_US);
    struct pc_err err;
    struct pc_writer *w = pc_writer_open("-", &o, &err);
    cr_assert_not_null(w, "%s", err.msg);
    int rc = 0, i;
    for (i = 0; i < 1000 && rc == 0; i++) rc = pc_writer_write(w, 0, k_data, 1000, 1000);
    cr_assert_eq(rc, PC_EIO, "a buffer flush fails on a full device");
    cr_assert_eq(pc_writer_write(w, 0, k_data, 10, 10), PC_EIO, "the failure is sticky");
    cr_assert_eq(pc_writer_close(w, &err), PC_EIO);
    cr_assert_eq(err.code, PC_EIO);
    char msg[256];
    snprintf(msg, sizeof msg, "<stdout>: write failed: %s", strerror(ENOSPC));
    cr_assert_str_eq(err.msg, msg);
}

Test(pcap, stdout_write_error_reported)
{
    int fd = open("/dev/full", O_WRONLY);
    cr_assert(fd >= 0);
    with_stdout(fd, stdout_to_full);
    close(fd);
}

static void stdout_small(void)
{
    struct pc_writer_opts o = opts(1, PC_TSPREC_NS);
    write_pkts("-", &o, k_pkts, K_N);
    cr_assert(fcntl(STDOUT_FILENO, F_GETFD) != -1, "stdout is not closed");
}

Test(pcap, write_to_stdout)
{
    int fd = open(tpath("out.pcap"), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    cr_assert(fd >= 0);
    with_stdout(fd, stdout_small);
    close(fd);
    expect_pkts(tpath("out.pcap"), k_pkts, K_N, PC_TSPREC_NS, 1);
    cr_assert_eq(dir_entries(), 1);
}

/* ------------------------------------------------- reader failures */

Test(pcap, every_truncation_point)
{
    static const uint8_t d[30] = { 9, 8, 7, 6, 5, 4, 3, 2, 1 };
    const struct tpkt p[3] = {
        { INT64_C(1000000000000001000), 10, 10, d },
        { INT64_C(1000000001000000000), 0, 60, d },
        { INT64_C(1000000002500000000), 30, 30, d },
    };
    const size_t ends[4] = { 24, 24 + 26, 24 + 26 + 16, 24 + 26 + 16 + 46 };
    const char *full = tpath("full.pcap");
    struct pc_writer_opts o = opts(1, PC_TSPREC_US);
    write_pkts(full, &o, p, 3);
    size_t total;
    uint8_t *b = get_file(full, &total);
    cr_assert_eq(total, ends[3]);

    const char *cut = tpath("cut.pcap");
    char msg[512];
    for (size_t n = 0; n <= total; n++) {
        th_put_file(cut, b, n);
        if (n < 24) {
            snprintf(msg, sizeof msg, "%s: file too short for a pcap header (got %zu of 24 bytes)", cut, n);
            expect_open_error(cut, PC_ETRUNC, msg);
            continue;
        }
        struct pc_err err;
        struct pc_reader *r = pc_reader_open(cut, &err);
        cr_assert_not_null(r, "cut at %zu: %s", n, err.msg);
        size_t complete = 0;
        while (complete < 3 && ends[complete + 1] <= n) complete++;
        struct pc_pkthdr h;
        const uint8_t *data;
        for (size_t i = 0; i < complete; i++) {
            cr_assert_eq(pc_reader_next(r, &h, &data), 1, "cut %zu pkt %zu: %s", n, i, pc_reader_err(r)->msg);
            cr_assert_eq(h.ts, p[i].ts);
            cr_assert_eq(h.caplen, p[i].caplen);
            cr_assert(memcmp(data, d, h.caplen) == 0);
        }
        int rc = pc_reader_next(r, &h, &data);
        if (n == ends[complete]) {
            cr_assert_eq(rc, 0, "cut at record boundary %zu: %s", n, pc_reader_err(r)->msg);
        } else {
            size_t start = ends[complete], in = n - start;
            if (in < 16)
                snprintf(msg, sizeof msg,
                         "%s: packet %zu at byte offset %zu: truncated record header (%zu of 16 bytes); %zu packets read",
                         cut, complete + 1, start, in, complete);
            else
                snprintf(msg, sizeof msg,
                         "%s: packet %zu at byte offset %zu: truncated packet data (%zu of %u bytes); %zu packets read",
                         cut, complete + 1, start, in - 16, (unsigned)p[complete].caplen, complete);
            cr_assert_eq(rc, PC_ETRUNC, "cut %zu: rc %d", n, rc);
            const struct pc_err *e = pc_reader_err(r);
            cr_assert_eq(e->code, PC_ETRUNC);
            cr_assert_str_eq(e->msg, msg);
            cr_assert_eq(e->packet, complete + 1);
            cr_assert_eq(e->offset, start);
            cr_assert_eq(pc_reader_next(r, &h, &data), PC_ETRUNC, "errors are sticky");
        }
        cr_assert_eq(pc_reader_count(r), complete);
        pc_reader_close(r);
    }
    free(b);
}

/* A record longer than the file's snaplen is read, as tshark and libpcap
 * read it (fuzzed captures in the corpus have such records); only the
 * absolute maximum is refused (caplen_over_maximum). */
Test(pcap, caplen_over_snaplen_is_accepted)
{
    static uint8_t d[65] = { 1, 2, 3, 4, [64] = 0x65 };
    struct fb f = { .big = false };
    fb_hdr(&f, PC_PCAP_MAGIC_US, 64, 1);
    fb_rec(&f, 1, 0, 4, 4, d, 4);
    fb_rec(&f, 2, 0, 65, 65, d, 65);
    th_put_file(tpath("x.pcap"), f.b, f.n);

    struct pc_err err;
    struct pc_reader *r = pc_reader_open(tpath("x.pcap"), &err);
    cr_assert_not_null(r);
    cr_assert_eq(pc_reader_snaplen(r), 64u);
    struct pc_pkthdr h;
    const uint8_t *data;
    cr_assert_eq(pc_reader_next(r, &h, &data), 1);
    cr_assert_eq(pc_reader_next(r, &h, &data), 1, "%s", pc_reader_err(r)->msg);
    cr_assert_eq(h.caplen, 65u);
    cr_assert_eq(h.len, 65u);
    cr_assert_eq(h.ts, 2 * PC_NS_PER_SEC);
    cr_assert(memcmp(data, d, 65) == 0);
    cr_assert_eq(pc_reader_next(r, &h, &data), 0, "%s", pc_reader_err(r)->msg);
    cr_assert_eq(pc_reader_count(r), 2u);
    pc_reader_close(r);
}

static void check_caplen_over_max(uint32_t snaplen)
{
    struct fb f = { .big = true };
    fb_hdr(&f, PC_PCAP_MAGIC_NS, snaplen, 1);
    fb_rec(&f, 1, 0, PC_PCAP_MAX_CAPLEN + 1, PC_PCAP_MAX_CAPLEN + 1, NULL, 0);
    th_put_file(tpath("big.pcap"), f.b, f.n);

    struct pc_err err;
    struct pc_reader *r = pc_reader_open(tpath("big.pcap"), &err);
    cr_assert_not_null(r);
    struct pc_pkthdr h;
    const uint8_t *data;
    cr_assert_eq(pc_reader_next(r, &h, &data), PC_EMALFORMED);
    char msg[512];
    snprintf(msg, sizeof msg, "%s: packet 1 at byte offset 24: caplen 262145 exceeds the maximum 262144; 0 packets read",
             tpath("big.pcap"));
    cr_assert_str_eq(pc_reader_err(r)->msg, msg);
    pc_reader_close(r);
}

Test(pcap, caplen_over_maximum)
{
    check_caplen_over_max(0);
    check_caplen_over_max(0xFFFFFFFFu);
}

Test(pcap, not_a_pcap)
{
    char msg[512];
    const char *path = tpath("x.pcap");
    uint8_t junk[24] = { 0x12, 0x34, 0x56, 0x78 };
    th_put_file(path, junk, sizeof junk);
    snprintf(msg, sizeof msg, "%s: not a pcap file (magic 0x12345678 at offset 0)", path);
    expect_open_error(path, PC_EFORMAT, msg);

    th_put_file(path, "hello worl", 10);
    snprintf(msg, sizeof msg, "%s: not a pcap file (magic 0x68656c6c at offset 0)", path);
    expect_open_error(path, PC_EFORMAT, msg);

    th_put_file(path, "", 0);
    snprintf(msg, sizeof msg, "%s: file too short for a pcap header (got 0 of 24 bytes)", path);
    expect_open_error(path, PC_ETRUNC, msg);

    struct fb f = { .big = false };
    fb_hdr(&f, PC_PCAP_MAGIC_US, 0, 1);
    pc_put16le(f.b + 4, 3);
    th_put_file(path, f.b, f.n);
    snprintf(msg, sizeof msg, "%s: unsupported pcap version 3.4", path);
    expect_open_error(path, PC_EUNSUPP, msg);

    const char *missing = tpath("missing.pcap");
    snprintf(msg, sizeof msg, "%s: cannot open: %s", missing, strerror(ENOENT));
    expect_open_error(missing, PC_EIO, msg);
}

Test(pcap, pcapng_is_read_by_the_same_reader)
{
    /* A minimal Section Header Block: type, length, byte-order magic, v1.0, section length -1, length. */
    static const uint8_t ng[28] = { 0x0a, 0x0d, 0x0d, 0x0a, 0x1c, 0, 0, 0, 0x4d, 0x3c, 0x2b, 0x1a, 1, 0, 0, 0,
                                    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x1c, 0, 0, 0 };
    const char *path = tpath("x.pcapng");
    th_put_file(path, ng, sizeof ng);
    struct pc_err err;
    struct pc_reader *r = pc_reader_open(path, &err);
    cr_assert_not_null(r, "%s", err.msg);
    cr_assert_eq(pc_reader_format(r), PC_FORMAT_PCAPNG);
    cr_assert_eq(pc_reader_ninterfaces(r), 0u);
    cr_assert_eq(pc_reader_linktype(r), -1, "no IDB: no link type");
    struct pc_pkthdr h;
    const uint8_t *d;
    cr_assert_eq(pc_reader_next(r, &h, &d), 0, "%s", pc_reader_err(r)->msg);
    pc_reader_close(r);
}

Test(pcap, read_error_reported)
{
    /* read(2) on a directory fails with EISDIR: a stand-in for EIO. */
    int fd = open(g_dir, O_RDONLY | O_DIRECTORY);
    cr_assert(fd >= 0);
    struct pc_err err;
    cr_assert_null(pc_reader_fdopen(fd, "dir", &err));
    cr_assert_eq(err.code, PC_EIO);
    char msg[256];
    snprintf(msg, sizeof msg, "dir: read error: %s", strerror(EISDIR));
    cr_assert_str_eq(err.msg, msg);
    cr_assert(fcntl(fd, F_GETFD) != -1, "the caller's descriptor stays open");
    close(fd);
}

/* ------------------------------------------------------ pipes, stdin */

Test(pcap, read_from_pipe)
{
    fill_pool(11);
    rng_seed(12);
    const size_t n = 3000;
    struct tpkt *p = random_pkts(n, 1500);
    struct pc_writer_opts o = opts(1, PC_TSPREC_NS);
    write_pkts(tpath("p.pcap"), &o, p, n);
    size_t total;
    uint8_t *b = get_file(tpath("p.pcap"), &total);

    int fds[2];
    cr_assert_eq(pipe(fds), 0);
    pid_t pid = fork();
    cr_assert(pid >= 0);
    if (pid == 0) {
        /* Odd-sized writes, so the reader sees many short reads. */
        close(fds[0]);
        size_t off = 0, step = 1;
        while (off < total) {
            size_t k = total - off < step ? total - off : step;
            if (write(fds[1], b + off, k) != (ssize_t)k) _exit(1);
            off += k;
            step = step * 7 % 9973 + 1;
        }
        _exit(0);
    }
    close(fds[1]);
    struct pc_err err;
    struct pc_reader *r = pc_reader_fdopen(fds[0], "pipe", &err);
    cr_assert_not_null(r, "%s", err.msg);
    struct pc_pkthdr h;
    const uint8_t *d;
    for (size_t i = 0; i < n; i++) {
        cr_assert_eq(pc_reader_next(r, &h, &d), 1, "%s", pc_reader_err(r)->msg);
        cr_assert_eq(h.ts, p[i].ts);
        cr_assert_eq(h.caplen, p[i].caplen);
        cr_assert_eq(h.len, p[i].len);
        cr_assert(memcmp(d, p[i].data, h.caplen) == 0);
    }
    cr_assert_eq(pc_reader_next(r, &h, &d), 0);
    pc_reader_close(r);
    cr_assert(fcntl(fds[0], F_GETFD) != -1, "fdopen'ed descriptor not closed");
    close(fds[0]);
    int status;
    cr_assert_eq(waitpid(pid, &status, 0), pid);
    cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    free(b);
    free(p);
}

Test(pcap, dash_reads_stdin)
{
    struct pc_writer_opts o = opts(1, PC_TSPREC_US);
    write_pkts(tpath("in.pcap"), &o, k_pkts, K_N);
    int fd = open(tpath("in.pcap"), O_RDONLY);
    cr_assert(fd >= 0);
    int saved = dup(STDIN_FILENO);
    cr_assert(dup2(fd, STDIN_FILENO) >= 0);
    close(fd);
    struct pc_err err;
    struct pc_reader *r = pc_reader_open("-", &err);
    cr_assert_not_null(r, "%s", err.msg);
    struct pc_pkthdr h;
    const uint8_t *d;
    size_t n = 0;
    while (pc_reader_next(r, &h, &d) == 1) n++;
    cr_assert_eq(n, K_N);
    cr_assert_eq(pc_reader_err(r)->code, 0);
    pc_reader_close(r);
    cr_assert(fcntl(STDIN_FILENO, F_GETFD) != -1, "stdin is not closed");
    dup2(saved, STDIN_FILENO);
    close(saved);
}

/* ------------------------------------------------------ libpcap oracle */

static void libpcap_reads_ours(int prec, int linktype, uint32_t snaplen)
{
    fill_pool(21);
    rng_seed(22 + (uint64_t)prec);
    const size_t n = 2000;
    struct tpkt *p = random_pkts(n, snaplen ? snaplen + 100 : 1600);
    struct pc_writer_opts o = opts(linktype, prec);
    o.snaplen = snaplen;
    const char *path = tpath("oracle.pcap");
    write_pkts(path, &o, p, n);

    char errbuf[PCAP_ERRBUF_SIZE];
    pcap_t *pc = pcap_open_offline_with_tstamp_precision(
        path, prec == PC_TSPREC_NS ? PCAP_TSTAMP_PRECISION_NANO : PCAP_TSTAMP_PRECISION_MICRO, errbuf);
    cr_assert_not_null(pc, "libpcap: %s", errbuf);
    cr_assert_eq(pcap_datalink(pc), linktype);
    cr_assert_eq(pcap_snapshot(pc), snaplen ? (int)snaplen : 262144);
    struct pc_err err;
    struct pc_reader *r = pc_reader_open(path, &err);
    cr_assert_not_null(r, "%s", err.msg);

    struct pcap_pkthdr *lh;
    const u_char *ld;
    struct pc_pkthdr h;
    const uint8_t *d;
    int64_t unit = prec == PC_TSPREC_NS ? 1 : 1000;
    size_t count = 0;
    int rc;
    while ((rc = pcap_next_ex(pc, &lh, &ld)) == 1) {
        cr_assert_eq(pc_reader_next(r, &h, &d), 1, "%s", pc_reader_err(r)->msg);
        pc_time_ns lts = (pc_time_ns)lh->ts.tv_sec * PC_NS_PER_SEC + (pc_time_ns)lh->ts.tv_usec * unit;
        cr_assert_eq(h.ts, lts, "packet %zu: ours %lld libpcap %lld", count + 1, (long long)h.ts, (long long)lts);
        pc_time_ns want = prec == PC_TSPREC_NS ? p[count].ts : trunc_us(p[count].ts);
        cr_assert_eq(h.ts, want);
        cr_assert_eq(h.caplen, lh->caplen);
        cr_assert_eq(h.len, lh->len);
        uint32_t cut = snaplen && p[count].caplen > snaplen ? snaplen : p[count].caplen;
        cr_assert_eq(h.caplen, cut);
        cr_assert_eq(h.len, p[count].len);
        cr_assert(memcmp(d, ld, h.caplen) == 0);
        cr_assert(memcmp(d, p[count].data, h.caplen) == 0);
        count++;
    }
    cr_assert_eq(rc, PCAP_ERROR_BREAK, "libpcap: %s", pcap_geterr(pc));
    cr_assert_eq(count, n);
    cr_assert_eq(pc_reader_next(r, &h, &d), 0);
    cr_assert_eq(pc_reader_count(r), n);
    pc_reader_close(r);
    pcap_close(pc);
    free(p);
}

Test(pcap, libpcap_reads_microseconds) { libpcap_reads_ours(PC_TSPREC_US, 1, 0); }
Test(pcap, libpcap_reads_nanoseconds) { libpcap_reads_ours(PC_TSPREC_NS, 113, 1000) /* LINUX_SLL: same number as DLT and LINKTYPE */; }

static void we_read_libpcap(int prec)
{
    fill_pool(31);
    rng_seed(32);
    const size_t n = 500;
    struct tpkt *p = random_pkts(n, 1500);
    const char *path = tpath("dump.pcap");
    pcap_t *dead = pcap_open_dead_with_tstamp_precision(
        DLT_EN10MB, 65535, prec == PC_TSPREC_NS ? PCAP_TSTAMP_PRECISION_NANO : PCAP_TSTAMP_PRECISION_MICRO);
    cr_assert_not_null(dead);
    pcap_dumper_t *dump = pcap_dump_open(dead, path);
    cr_assert_not_null(dump, "%s", pcap_geterr(dead));
    for (size_t i = 0; i < n; i++) {
        struct pcap_pkthdr lh = { .caplen = p[i].caplen, .len = p[i].len };
        lh.ts.tv_sec = (time_t)(p[i].ts / PC_NS_PER_SEC);
        lh.ts.tv_usec = (suseconds_t)(p[i].ts % PC_NS_PER_SEC / (prec == PC_TSPREC_NS ? 1 : 1000));
        pcap_dump((u_char *)dump, &lh, p[i].data);
    }
    pcap_dump_close(dump);
    pcap_close(dead);
    expect_pkts(path, p, n, prec, 1);
    free(p);
}

Test(pcap, we_read_libpcap_output)
{
    we_read_libpcap(PC_TSPREC_US);
    we_read_libpcap(PC_TSPREC_NS);
}

/* ----------------------------------------------------- large stream */

static uint64_t fnv(uint64_t h, const void *p, size_t n)
{
    const uint8_t *b = p;
    for (size_t i = 0; i < n; i++) h = (h ^ b[i]) * 0x100000001B3u;
    return h;
}

static uint64_t hash_rec(uint64_t hash, pc_time_ns ts, uint32_t caplen, uint32_t len, const uint8_t *d)
{
    uint8_t meta[16];
    memcpy(meta, &ts, 8);
    memcpy(meta + 8, &caplen, 4);
    memcpy(meta + 12, &len, 4);
    return fnv(fnv(hash, meta, sizeof meta), d, caplen);
}

/* 300,000 records of random size, a few near the 256 KiB maximum, so that
 * records straddle every kind of buffer boundary in writer and reader. */
Test(pcap, large_stream)
{
    fill_pool(41);
    rng_seed(42);
    const size_t n = 300000;
    const char *path = tpath("large.pcap");
    struct pc_writer_opts o = opts(1, PC_TSPREC_NS);
    struct pc_err err;
    struct pc_writer *w = pc_writer_open(path, &o, &err);
    cr_assert_not_null(w, "%s", err.msg);
    uint64_t hw = 0xcbf29ce484222325u, bytes = 24;
    pc_time_ns ts = INT64_C(1500000000) * PC_NS_PER_SEC;
    for (size_t i = 0; i < n; i++) {
        uint64_t r = rnd();
        uint32_t caplen = r % 1000 == 0 ? (uint32_t)(r >> 20) % (PC_PCAP_MAX_CAPLEN + 1) : (uint32_t)(r >> 20) % 301;
        uint32_t len = caplen + (uint32_t)(r >> 50) % 3;
        const uint8_t *d = g_pool + (r >> 40) % 4096;
        ts += (pc_time_ns)((r >> 8) % 1000000);
        cr_assert_eq(pc_writer_write(w, ts, d, caplen, len), 0);
        hw = hash_rec(hw, ts, caplen, len, d);
        bytes += 16 + caplen;
    }
    cr_assert_eq(pc_writer_close(w, &err), 0, "%s", err.msg);
    cr_assert_eq(file_size(path), (long long)bytes);

    struct pc_reader *r = pc_reader_open(path, &err);
    cr_assert_not_null(r, "%s", err.msg);
    uint64_t hr = 0xcbf29ce484222325u;
    struct pc_pkthdr h;
    const uint8_t *d;
    int rc;
    while ((rc = pc_reader_next(r, &h, &d)) == 1) hr = hash_rec(hr, h.ts, h.caplen, h.len, d);
    cr_assert_eq(rc, 0, "%s", pc_reader_err(r)->msg);
    cr_assert_eq(pc_reader_count(r), n);
    cr_assert_eq(hr, hw, "data and timestamps survive the round trip");
    pc_reader_close(r);
}

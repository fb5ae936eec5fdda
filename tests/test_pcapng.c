/* Tests for the pcapng reader and writer, the one reader's format and gzip
 * detection, and its conformance with tshark over the shared corpus
 * (lib/pcap.c, lib/pcapng.c).
 *
 * Suites: "pcapng" (codec, writer, round trips, independent readers,
 * corrupt-file catalogue) and "reader" (corpus conformance, gzip, stdin).
 * Every test works in its own temporary directory.  tshark's output for a
 * corpus file is cached under the build tree (th_tshark_cache_dir:
 * <build>/cache/tshark-<hash of `tshark --version` and the command>/),
 * keyed by the file's content, so only the first run with a given tshark
 * pays for ~330 tshark starts (run three at a time, about a minute on two
 * cores); only answers checked to be real ones are kept.  Both suites use
 * the one .timeout every suite uses: criterion 2.4.1 (BoxFort) loses a
 * running test's timeout and leaks 48 bytes, which LeakSanitizer reports,
 * when a test with an earlier deadline starts beside it, i.e. when suites
 * with different timeouts overlap under --jobs 2. */
#include <criterion/criterion.h>
#include <criterion/logging.h>
#include <pcap/pcap.h>
#include <zlib.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "oracle.h"

/* ------------------------------------------------------------- fixture */

static char g_dir[64];

static void setup(void) { th_tmpdir(g_dir); }
static void teardown(void)
{
    if (g_dir[0]) th_rmdir(g_dir);
}

TestSuite(pcapng, .init = setup, .fini = teardown, .timeout = 1800);
TestSuite(reader, .init = setup, .fini = teardown, .timeout = 1800);

static const char *tpath(const char *name)
{
    static char bufs[8][PATH_MAX];
    static int i;
    char *b = bufs[i++ & 7];
    snprintf(b, PATH_MAX, "%s/%s", g_dir, name);
    return b;
}


static uint8_t *get_file(const char *path, size_t *n)
{
    uint8_t *b = th_slurp(path, n);
    cr_assert_not_null(b, "cannot read %s", path);
    return b;
}

static long long file_size(const char *path)
{
    struct stat st;
    return stat(path, &st) < 0 ? -1 : (long long)st.st_size;
}

static bool files_equal(const char *a, const char *b)
{
    size_t na, nb;
    uint8_t *x = get_file(a, &na), *y = get_file(b, &nb);
    bool eq = na == nb && memcmp(x, y, na) == 0;
    free(x);
    free(y);
    return eq;
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

static uint8_t g_pool[70000];
static void fill_pool(uint64_t seed)
{
    rng_seed(seed);
    for (size_t i = 0; i < sizeof g_pool; i++) g_pool[i] = (uint8_t)rnd();
}

static uint64_t fnv(uint64_t h, const void *p, size_t n)
{
    const uint8_t *b = p;
    for (size_t i = 0; i < n; i++) h = (h ^ b[i]) * 0x100000001B3u;
    return h;
}
#define FNV0 0xcbf29ce484222325u

/* gzip a file with zlib (level 6). */
static void gzip_file(const char *in, const char *out)
{
    size_t n;
    uint8_t *b = get_file(in, &n);
    gzFile g = gzopen(out, "wb6");
    cr_assert_not_null(g);
    if (n) cr_assert_eq(gzwrite(g, b, (unsigned)n), (int)n);
    cr_assert_eq(gzclose(g), Z_OK);
    free(b);
}

/* ------------------------------------------------- pcapng byte builder */

/* Blocks are built by hand in either byte order; each block's extent is
 * remembered so that tests know where every boundary lies. */
struct blk {
    size_t start, end;
    uint32_t type;
    bool packet;
};

struct nb {
    uint8_t *b;
    size_t n, cap;
    bool big;
    struct blk blk[64];
    int nblk;
};

static void nb_need(struct nb *f, size_t k)
{
    if (f->n + k <= f->cap) return;
    f->cap = (f->n + k) * 2 + 256;
    f->b = realloc(f->b, f->cap);
    cr_assert_not_null(f->b);
}
static void nb_bytes(struct nb *f, const void *p, size_t k)
{
    nb_need(f, k);
    if (k) memcpy(f->b + f->n, p, k);
    f->n += k;
}
static void nb_u8(struct nb *f, uint8_t v) { nb_bytes(f, &v, 1); }
static void nb_u16(struct nb *f, uint16_t v)
{
    uint8_t t[2];
    if (f->big) pc_put16(t, v);
    else pc_put16le(t, v);
    nb_bytes(f, t, 2);
}
static void nb_u32(struct nb *f, uint32_t v)
{
    uint8_t t[4];
    if (f->big) pc_put32(t, v);
    else pc_put32le(t, v);
    nb_bytes(f, t, 4);
}
static void nb_u64(struct nb *f, uint64_t v)
{
    if (f->big) {
        nb_u32(f, (uint32_t)(v >> 32));
        nb_u32(f, (uint32_t)v);
    } else {
        nb_u32(f, (uint32_t)v);
        nb_u32(f, (uint32_t)(v >> 32));
    }
}
static void nb_pad(struct nb *f)
{
    while (f->n % 4) nb_u8(f, 0);
}
static size_t nb_begin(struct nb *f, uint32_t type)
{
    size_t at = f->n;
    nb_u32(f, type);
    nb_u32(f, 0);
    return at;
}
static void nb_end(struct nb *f, size_t at)
{
    nb_pad(f);
    uint32_t len = (uint32_t)(f->n - at + 4);
    nb_u32(f, len);
    if (f->big) pc_put32(f->b + at + 4, len);
    else pc_put32le(f->b + at + 4, len);
    uint32_t type = f->big ? pc_get32(f->b + at) : pc_get32le(f->b + at);
    if (f->nblk < 64) /* the tests that look at boundaries have fewer */
        f->blk[f->nblk++] = (struct blk){ at, f->n, type, type == PC_NG_EPB || type == PC_NG_SPB || type == PC_NG_PB };
}
static void nb_opt(struct nb *f, uint16_t code, const void *v, uint16_t len)
{
    nb_u16(f, code);
    nb_u16(f, len);
    nb_bytes(f, v, len);
    nb_pad(f);
}
static void nb_optstr(struct nb *f, uint16_t code, const char *s)
{
    if (s) nb_opt(f, code, s, (uint16_t)strlen(s));
}
static void nb_optend(struct nb *f) { nb_u32(f, 0); }

static void nb_shb_ver(struct nb *f, bool big, uint16_t major, uint16_t minor, const char *comment)
{
    f->big = big;
    size_t at = nb_begin(f, PC_NG_SHB);
    nb_u32(f, PC_NG_BYTE_ORDER_MAGIC);
    nb_u16(f, major);
    nb_u16(f, minor);
    nb_u64(f, UINT64_MAX);
    if (comment) {
        nb_optstr(f, PC_NG_OPT_COMMENT, comment);
        nb_optend(f);
    }
    nb_end(f, at);
}
static void nb_shb(struct nb *f, bool big, const char *comment) { nb_shb_ver(f, big, 1, 0, comment); }

/* tsresol < 0: option left out. */
static void nb_idb(struct nb *f, uint16_t lt, uint32_t snap, const char *name, int tsresol)
{
    size_t at = nb_begin(f, PC_NG_IDB);
    nb_u16(f, lt);
    nb_u16(f, 0);
    nb_u32(f, snap);
    nb_optstr(f, PC_NG_IF_NAME, name);
    if (tsresol >= 0) {
        uint8_t r = (uint8_t)tsresol;
        nb_opt(f, PC_NG_IF_TSRESOL, &r, 1);
    }
    if (name || tsresol >= 0) nb_optend(f);
    nb_end(f, at);
}

static void nb_epb(struct nb *f, uint32_t ifid, uint64_t units, const void *data, uint32_t caplen, uint32_t len,
                   const char *comment, uint32_t flags)
{
    size_t at = nb_begin(f, PC_NG_EPB);
    nb_u32(f, ifid);
    nb_u32(f, (uint32_t)(units >> 32));
    nb_u32(f, (uint32_t)units);
    nb_u32(f, caplen);
    nb_u32(f, len);
    nb_bytes(f, data, caplen);
    nb_pad(f);
    nb_optstr(f, PC_NG_OPT_COMMENT, comment);
    if (flags) {
        uint8_t v[4];
        if (f->big) pc_put32(v, flags);
        else pc_put32le(v, flags);
        nb_opt(f, PC_NG_EPB_FLAGS, v, 4);
    }
    if (comment || flags) nb_optend(f);
    nb_end(f, at);
}

static void nb_spb(struct nb *f, uint32_t len, const void *data, uint32_t n)
{
    size_t at = nb_begin(f, PC_NG_SPB);
    nb_u32(f, len);
    nb_bytes(f, data, n);
    nb_end(f, at);
}

static void nb_pb(struct nb *f, uint16_t ifid, uint16_t drops, uint64_t units, const void *data, uint32_t caplen)
{
    size_t at = nb_begin(f, PC_NG_PB);
    nb_u16(f, ifid);
    nb_u16(f, drops);
    nb_u32(f, (uint32_t)(units >> 32));
    nb_u32(f, (uint32_t)units);
    nb_u32(f, caplen);
    nb_u32(f, caplen);
    nb_bytes(f, data, caplen);
    nb_end(f, at);
}

static void nb_raw_block(struct nb *f, uint32_t type, const void *body, size_t n)
{
    size_t at = nb_begin(f, type);
    nb_bytes(f, body, n);
    nb_end(f, at);
}

static void nb_free(struct nb *f)
{
    free(f->b);
    memset(f, 0, sizeof *f);
}

static const uint8_t k_pkt[64] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x00, 0x0b, 0x82, 0x01, 0xfc, 0x42, 0x08, 0x00,
                                   0x45, 0x00, 0x00, 0x32, [63] = 0x63 };

/* A small file with three sections in both byte orders and most block
 * kinds: the subject of the cut-everywhere and guard-page tests. */
static void build_multi(struct nb *f)
{
    static const uint8_t isb[] = { 0, 0, 0, 0, 0, 0, 0, 0, 5, 0, 0, 0, 0, 0, 0, 0 };
    static const uint8_t cb[] = { 0xd9, 0x7e, 0, 0, 'c', 'u', 's', 't' };
    memset(f, 0, sizeof *f);
    nb_shb(f, true, "first section");
    nb_idb(f, 1, 0, "eth0", 9);
    nb_idb(f, 101, 128, "raw1", -1);
    size_t at = nb_begin(f, PC_NG_NRB); /* one IPv4 record, then the end record */
    nb_u16(f, 1);
    nb_u16(f, 9);
    nb_bytes(f, "\x0a\x00\x00\x01host", 9);
    nb_pad(f);
    nb_u32(f, 0);
    nb_end(f, at);
    nb_epb(f, 0, UINT64_C(1700000000123456789), k_pkt, 60, 60, "hello", PC_DIR_INBOUND);
    nb_epb(f, 1, UINT64_C(1700000001000002), k_pkt + 14, 20, 40, NULL, 0);
    nb_raw_block(f, PC_NG_ISB, isb, sizeof isb);
    nb_shb(f, false, NULL);
    nb_idb(f, 113, 16, "sll", 0x88);
    nb_spb(f, 60, k_pkt, 16);
    nb_raw_block(f, PC_NG_CB, cb, sizeof cb);
    nb_epb(f, 0, UINT64_C(256) * 1700000002u + 128u, k_pkt, 16, 60, NULL, PC_DIR_OUTBOUND);
    nb_shb(f, true, NULL);
    nb_idb(f, 1, 0, NULL, -1);
    nb_pb(f, 0, 7, UINT64_C(1700000003000004), k_pkt, 33);
}

/* What build_multi's packets read as, in order. */
struct want {
    pc_time_ns ts;
    uint32_t caplen, len, ifindex, local;
    int linktype;
    const char *comment;
    uint32_t flags;
    bool has_ts;
    const uint8_t *data;
};
static const struct want k_multi[] = {
    { INT64_C(1700000000123456789), 60, 60, 0, 0, 1, "hello", PC_DIR_INBOUND, true, k_pkt },
    { INT64_C(1700000001000002000), 20, 40, 1, 1, 101, NULL, 0, true, k_pkt + 14 },
    { 0, 16, 60, 2, 0, 113, NULL, 0, false, k_pkt },
    { INT64_C(1700000002500000000), 16, 60, 2, 0, 113, NULL, PC_DIR_OUTBOUND, true, k_pkt },
    { INT64_C(1700000003000004000), 33, 33, 3, 0, 1, NULL, 0, true, k_pkt },
};
#define K_MULTI_N (sizeof k_multi / sizeof k_multi[0])

static void check_want(const struct pc_reader *r, const struct pc_pkthdr *h, const uint8_t *d, const struct want *w,
                       size_t i)
{
    cr_assert_eq(h->has_ts, w->has_ts, "packet %zu", i + 1);
    cr_assert_eq(h->ts, w->ts, "packet %zu ts %lld != %lld", i + 1, (long long)h->ts, (long long)w->ts);
    cr_assert_eq(h->caplen, w->caplen, "packet %zu", i + 1);
    cr_assert_eq(h->len, w->len, "packet %zu", i + 1);
    cr_assert_eq(h->ifindex, w->ifindex, "packet %zu", i + 1);
    cr_assert_eq(h->linktype, w->linktype, "packet %zu", i + 1);
    cr_assert_eq(h->flags, w->flags, "packet %zu", i + 1);
    cr_assert_eq(pc_reader_interface(r, h->ifindex)->local_id, w->local, "packet %zu", i + 1);
    if (w->comment) {
        cr_assert_eq(h->comment_len, strlen(w->comment));
        cr_assert(memcmp(h->comment, w->comment, h->comment_len) == 0);
    } else {
        cr_assert_null(h->comment);
    }
    cr_assert(memcmp(d, w->data, h->caplen) == 0, "packet %zu data", i + 1);
}

/* ------------------------------------------------------- timestamps */

/* Reference conversion with 128-bit integers (a GCC/Clang extension the
 * library itself does without). */
__extension__ typedef unsigned __int128 u128;
__extension__ typedef __int128 i128;

static bool ref_ts(uint64_t units, uint8_t res, int64_t off, i128 *ns)
{
    unsigned e = res & 0x7F;
    u128 num = (u128)units * 1000000000u, den;
    if (res & 0x80) {
        if (e >= 128) return false;
        den = (u128)1 << e;
    } else {
        if (e > 38) return false;
        den = 1;
        for (unsigned i = 0; i < e; i++) den *= 10;
    }
    /* floor(units * 1e9 / den): the library splits seconds first, which is
     * the same value (floor of a sum whose integer part is exact). */
    *ns = (i128)(num / den) + (i128)off * 1000000000;
    return true;
}

Test(pcapng, timestamps_exact_for_every_resolution)
{
    rng_seed(5);
    uint64_t samples[64];
    for (int i = 0; i < 64; i++) {
        uint64_t r = rnd();
        samples[i] = i < 8 ? (uint64_t)i : i < 16 ? UINT64_MAX - (uint64_t)i : r >> (r % 64);
    }
    long checked = 0, clamped = 0;
    for (int res = 0; res < 256; res++) {
        if (!(res & 0x80) && (res & 0x7F) > 38) continue; /* 10^39 is past 128 bits: see below */
        for (int i = 0; i < 64; i++) {
            for (int o = 0; o < 3; o++) {
                int64_t off = o == 0 ? 0 : o == 1 ? 1000 : -5;
                i128 want;
                cr_assert(ref_ts(samples[i], (uint8_t)res, off, &want));
                pc_time_ns got;
                int rc = pc_ng_ts_to_ns(samples[i], (uint8_t)res, off, &got);
                if (want > INT64_MAX || want < INT64_MIN) {
                    cr_assert_eq(rc, PC_ELIMIT, "res 0x%02x units %llu", res, (unsigned long long)samples[i]);
                    cr_assert_eq(got, want > 0 ? INT64_MAX : INT64_MIN);
                    clamped++;
                } else {
                    cr_assert_eq(rc, 0, "res 0x%02x units %llu", res, (unsigned long long)samples[i]);
                    cr_assert_eq(got, (int64_t)want, "res 0x%02x units %llu: %lld != %lld", res,
                                 (unsigned long long)samples[i], (long long)got, (long long)want);
                    checked++;
                }
            }
        }
    }
    /* Decimal exponents past 38 leave nothing above a nanosecond. */
    pc_time_ns got;
    cr_assert_eq(pc_ng_ts_to_ns(UINT64_MAX, 100, 0, &got), 0);
    cr_assert_eq(got, 0);
    cr_log_info("timestamp conversion: %ld exact values, %ld clamped", checked, clamped);

    /* The values quoted by tshark 4.0 for crafted files (t_tsres*): 2^-8,
     * 2^-10 and 2^-30 agree to the nanosecond. */
    cr_assert_eq(pc_ng_ts_to_ns(UINT64_C(388896768050), 0x88, 0, &got), 0);
    cr_assert_eq(got, INT64_C(1519128000195312500));
    cr_assert_eq(pc_ng_ts_to_ns((UINT64_C(1) << 40) + 1023, 0x8a, 0, &got), 0);
    cr_assert_eq(got, INT64_C(1073741824999023437));
    cr_assert_eq(pc_ng_ts_to_ns((UINT64_C(1) << 62) + 12345, 0x9e, 0, &got), 0);
    cr_assert_eq(got, INT64_C(4294967296000011497));
    cr_assert_eq(pc_ng_ts_to_ns(5000000, 6, 1000, &got), 0);
    cr_assert_eq(got, INT64_C(1005000000000), "if_tsoffset seconds are added, as tshark adds them");
}

Test(pcapng, timestamps_written_back_exactly)
{
    rng_seed(6);
    for (int res = 0; res < 256; res++) {
        unsigned e = (unsigned)res & 0x7F;
        bool bin = res & 0x80;
        for (int i = 0; i < 200; i++) {
            /* units -> ns -> units is exact wherever a unit is at least a
             * nanosecond: decimal up to 10^-9, binary up to 2^-29. */
            uint64_t units = rnd() >> (rnd() % 40 + 24);
            pc_time_ns ns;
            if (pc_ng_ts_to_ns(units, (uint8_t)res, 0, &ns) != 0) continue;
            uint64_t back;
            int rc = pc_ng_ns_to_ts(ns, (uint8_t)res, 0, &back);
            if ((!bin && e <= 9) || (bin && e <= 29)) {
                cr_assert_eq(rc, 0);
                cr_assert_eq(back, units, "res 0x%02x: %llu -> %lld -> %llu", res, (unsigned long long)units,
                             (long long)ns, (unsigned long long)back);
            }
            /* ns -> units -> ns: exact at or below a nanosecond per unit,
             * never earlier otherwise, and within one unit. */
            pc_time_ns t = (pc_time_ns)(rnd() % (UINT64_C(4000000000) * 1000000000u));
            if (pc_ng_ns_to_ts(t, (uint8_t)res, 0, &back) != 0) continue;
            pc_time_ns again;
            if (pc_ng_ts_to_ns(back, (uint8_t)res, 0, &again) != 0) continue;
            if ((!bin && e >= 9) || (bin && e >= 30)) cr_assert_eq(again, t, "res 0x%02x", res);
            else if (bin) cr_assert(again >= t && again - t < PC_NS_PER_SEC, "res 0x%02x", res);
            else cr_assert(again <= t, "res 0x%02x", res);
        }
    }
    uint64_t u;
    cr_assert_eq(pc_ng_ns_to_ts(-1, 9, 0, &u), PC_EINVAL, "before the epoch without an offset");
    cr_assert_eq(pc_ng_ns_to_ts(-1, 9, -10, &u), 0);
    cr_assert_eq(u, UINT64_C(9999999999));
    cr_assert_eq(pc_ng_ns_to_ts(INT64_MAX, 0x80 | 40, 0, &u), PC_EINVAL, "2^-40 s units overflow");
    cr_assert(pc_ng_tsresol_is_us(6) && pc_ng_tsresol_is_us(0) && pc_ng_tsresol_is_us(0x80));
    cr_assert(!pc_ng_tsresol_is_us(7) && !pc_ng_tsresol_is_us(9) && !pc_ng_tsresol_is_us(0x88));
}

/* gopacket's test902 uses 2^-8 s units: our value equals tshark's
 * frame.time_epoch to the nanosecond (checked live when tshark is here). */
Test(pcapng, power_of_two_resolution_matches_tshark)
{
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/../shared/corpus/gopacket/pcapgo/tests/le/test902.pcapng", th_root());
    struct pc_err err;
    struct pc_reader *r = pc_reader_open(path, &err);
    cr_assert_not_null(r, "%s", err.msg);
    cr_assert_eq(pc_reader_interface(r, 0)->tsresol, 0x88);
    cr_assert_eq(pc_reader_tsprec(r), PC_TSPREC_NS);
    struct pc_pkthdr h;
    const uint8_t *d;
    cr_assert_eq(pc_reader_next(r, &h, &d), 1);
    cr_assert_eq(h.ts, INT64_C(1519128000195312500));
    pc_reader_close(r);
    char cmd[PATH_MAX + 200], out[128] = "";
    snprintf(cmd, sizeof cmd, "tshark -r '%s' -T fields -e frame.time_epoch 2>/dev/null", path);
    FILE *p = popen(cmd, "r");
    cr_assert_not_null(p);
    if (!fgets(out, sizeof out, p)) out[0] = 0;
    pclose(p);
    cr_assert_str_eq(out, "1519128000.195312500\n");
}

/* ------------------------------------------------------- the writer */

Test(pcapng, header_bytes_exact_little_endian)
{
    static const uint8_t pkt[5] = { 1, 2, 3, 4, 5 };
    struct pc_writer_opts o = { .linktype = 1, .format = PC_FORMAT_PCAPNG };
    struct pc_err err;
    const char *path = tpath("a.pcapng");
    struct pc_writer *w = pc_writer_open(path, &o, &err);
    cr_assert_not_null(w, "%s", err.msg);
    struct pc_wpacket p = { .ts = INT64_C(1500000007), .data = pkt, .caplen = 5, .len = 60, .comment = "hi",
                            .comment_len = 2, .flags = PC_DIR_OUTBOUND };
    cr_assert_eq(pc_writer_write_ex(w, &p), 0);
    cr_assert_eq(pc_writer_close(w, &err), 0, "%s", err.msg);
    static const uint8_t want[] = {
        /* SHB: 52 bytes, v1.0, section length -1, shb_userappl "pktcraft 0.1.0" */
        0x0a, 0x0d, 0x0d, 0x0a, 52, 0, 0, 0, 0x4d, 0x3c, 0x2b, 0x1a, 1, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
        0xff, 0xff, 4, 0, 14, 0, 'p', 'k', 't', 'c', 'r', 'a', 'f', 't', ' ', '0', '.', '1', '.', '0', 0, 0, 0, 0,
        0, 0, 52, 0, 0, 0,
        /* IDB: link type 1, snaplen 262144, if_tsresol 9 */
        1, 0, 0, 0, 32, 0, 0, 0, 1, 0, 0, 0, 0, 0, 4, 0, 9, 0, 1, 0, 9, 0, 0, 0, 0, 0, 0, 0, 32, 0, 0, 0,
        /* EPB: interface 0, 1500000007 ns, caplen 5, len 60, comment "hi", flags outbound */
        6, 0, 0, 0, 60, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x07, 0x2f, 0x68, 0x59, 5, 0, 0, 0, 60, 0, 0, 0, 1, 2, 3, 4,
        5, 0, 0, 0, 1, 0, 2, 0, 'h', 'i', 0, 0, 2, 0, 4, 0, 2, 0, 0, 0, 0, 0, 0, 0, 60, 0, 0, 0,
    };
    size_t n;
    uint8_t *b = get_file(path, &n);
    cr_assert_eq(n, sizeof want);
    for (size_t i = 0; i < n; i++) cr_assert_eq(b[i], want[i], "byte %zu: %02x != %02x", i, b[i], want[i]);
    free(b);
}

Test(pcapng, empty_capture_still_has_an_interface)
{
    struct pc_writer_opts o = { .linktype = 113, .snaplen = 1000, .format = PC_FORMAT_PCAPNG, .if_name = "any" };
    struct pc_err err;
    struct pc_writer *w = pc_writer_open(tpath("e.pcapng"), &o, &err);
    cr_assert_not_null(w, "%s", err.msg);
    cr_assert_eq(pc_writer_format(w), PC_FORMAT_PCAPNG);
    cr_assert_eq(pc_writer_close(w, &err), 0, "%s", err.msg);
    struct pc_reader *r = pc_reader_open(tpath("e.pcapng"), &err);
    cr_assert_not_null(r, "%s", err.msg);
    cr_assert_eq(pc_reader_linktype(r), 113);
    cr_assert_eq(pc_reader_snaplen(r), 1000u);
    cr_assert_str_eq(pc_reader_interface(r, 0)->name, "any");
    cr_assert_str_eq(pc_reader_section(r, 0)->userappl, "pktcraft 0.1.0");
    cr_assert_null(pc_reader_section(r, 0)->os, "nothing host-dependent by default");
    struct pc_pkthdr h;
    cr_assert_eq(pc_reader_next(r, &h, NULL), 0);
    pc_reader_close(r);
    /* libpcap reads an empty pcapng only when it has an IDB. */
    char eb[PCAP_ERRBUF_SIZE];
    pcap_t *pc = pcap_open_offline(tpath("e.pcapng"), eb);
    cr_assert_not_null(pc, "%s", eb);
    cr_assert_eq(pcap_datalink(pc), 113);
    pcap_close(pc);
}

/* Several interfaces of different link types and resolutions, comments,
 * flags, SHB options: everything read back as written. */
struct rich {
    pc_time_ns ts;
    uint32_t caplen, len, ifindex, flags;
    const char *comment;
};
static const struct pc_iface_spec k_ifs[] = {
    { .linktype = 1, .snaplen = 0, .name = "eth0", .description = "the wire" },
    { .linktype = 101, .snaplen = 200, .tsresol = 6, .name = "tun0" },
    { .linktype = 113, .snaplen = 65535, .tsresol = 0x80 | 20, .tsoffset = 100, .name = "any", .fcslen = 4 },
    { .linktype = 1, .snaplen = 100, .tsresol = PC_TSRESOL_SECONDS },
};
static const struct rich k_rich[] = {
    { INT64_C(1700000000123456789), 60, 60, 0, 0, "first packet" },
    { INT64_C(1700000000223456000), 300, 1500, 1, PC_DIR_INBOUND, NULL },
    { INT64_C(1700000000323456789), 90, 90, 2, PC_DIR_OUTBOUND, "" },
    { INT64_C(1700000001000000000), 150, 150, 3, 0, "a comment, with a comma" },
    { INT64_C(1700000000423456789), 0, 0, 0, 3, NULL },
};
#define K_RICH_N (sizeof k_rich / sizeof k_rich[0])

static void write_rich(const char *path)
{
    fill_pool(1);
    struct pc_writer_opts o = { .linktype = 1, .format = PC_FORMAT_PCAPNG, .shb_os = "Linux", .shb_hardware = "x86",
                                .comment = "made by a test" };
    struct pc_err err;
    struct pc_writer *w = pc_writer_open(path, &o, &err);
    cr_assert_not_null(w, "%s", err.msg);
    for (unsigned i = 0; i < 4; i++) cr_assert_eq(pc_writer_add_interface(w, &k_ifs[i]), (int)i);
    for (size_t i = 0; i < K_RICH_N; i++) {
        const struct rich *k = &k_rich[i];
        struct pc_wpacket p = { .ts = k->ts, .data = g_pool + i, .caplen = k->caplen, .len = k->len,
                                .ifindex = k->ifindex, .comment = k->comment,
                                .comment_len = k->comment ? (uint32_t)strlen(k->comment) : 0, .flags = k->flags };
        cr_assert_eq(pc_writer_write_ex(w, &p), 0, "%s", pc_writer_last_err(w)->msg);
    }
    cr_assert_eq(pc_writer_close(w, &err), 0, "%s", err.msg);
}

Test(pcapng, write_and_read_back_everything)
{
    const char *path = tpath("rich.pcapng");
    write_rich(path);
    struct pc_err err;
    struct pc_reader *r = pc_reader_open(path, &err);
    cr_assert_not_null(r, "%s", err.msg);
    cr_assert_eq(pc_reader_format(r), PC_FORMAT_PCAPNG);
    cr_assert_str_eq(pc_format_name(pc_reader_format(r)), "pcapng");
    cr_assert_not(pc_reader_gzip(r));
    cr_assert_eq(pc_reader_ninterfaces(r), 4u, "every IDB precedes the first packet, so open knows them");
    cr_assert_eq(pc_reader_nsections(r), 1u);
    const struct pc_shb *s = pc_reader_section(r, 0);
    cr_assert_not(s->big);
    cr_assert_eq(s->section_len, -1);
    cr_assert_str_eq(s->userappl, "pktcraft 0.1.0");
    cr_assert_str_eq(s->os, "Linux");
    cr_assert_str_eq(s->hardware, "x86");
    cr_assert_eq(s->ncomments, 1u);
    cr_assert_str_eq(s->comments[0], "made by a test");
    const uint8_t wantres[4] = { 9, 6, 0x80 | 20, 0 };
    for (uint32_t i = 0; i < 4; i++) {
        const struct pc_iface *f = pc_reader_interface(r, i);
        cr_assert_eq(f->linktype, k_ifs[i].linktype);
        cr_assert_eq(f->snaplen, k_ifs[i].snaplen);
        cr_assert_eq(f->tsresol, wantres[i]);
        cr_assert_eq(f->tsoffset, k_ifs[i].tsoffset);
        cr_assert_eq(f->local_id, i);
        cr_assert_eq(f->section, 0u);
        cr_assert_eq(f->fcslen, k_ifs[i].fcslen ? k_ifs[i].fcslen : -1);
        if (k_ifs[i].name) cr_assert_str_eq(f->name, k_ifs[i].name);
        else cr_assert_null(f->name);
        if (k_ifs[i].description) cr_assert_str_eq(f->description, k_ifs[i].description);
        else cr_assert_null(f->description);
    }
    cr_assert_null(pc_reader_interface(r, 4));
    struct pc_pkthdr h;
    const uint8_t *d;
    for (size_t i = 0; i < K_RICH_N; i++) {
        const struct rich *k = &k_rich[i];
        cr_assert_eq(pc_reader_next(r, &h, &d), 1, "%s", pc_reader_err(r)->msg);
        const struct pc_iface_spec *sp = &k_ifs[k->ifindex];
        /* What the interface's resolution can hold (exact at 10^-9). */
        uint64_t units;
        pc_time_ns want;
        cr_assert_eq(pc_ng_ns_to_ts(k->ts, wantres[k->ifindex], sp->tsoffset, &units), 0);
        cr_assert_eq(pc_ng_ts_to_ns(units, wantres[k->ifindex], sp->tsoffset, &want), 0);
        if (k->ifindex == 0) cr_assert_eq(want, k->ts);
        if (k->ifindex == 1) cr_assert_eq(want, k->ts - k->ts % 1000);
        if (k->ifindex == 2) cr_assert(want >= k->ts && want - k->ts < 954);
        if (k->ifindex == 3) cr_assert_eq(want, k->ts - k->ts % PC_NS_PER_SEC);
        cr_assert_eq(h.ts, want, "packet %zu: %lld != %lld", i + 1, (long long)h.ts, (long long)want);
        uint32_t cap = sp->snaplen && k->caplen > sp->snaplen ? sp->snaplen : k->caplen;
        cr_assert_eq(h.caplen, cap);
        cr_assert_eq(h.len, k->len);
        cr_assert_eq(h.ifindex, k->ifindex);
        cr_assert_eq(h.linktype, sp->linktype);
        cr_assert_eq(h.flags, k->flags);
        cr_assert_eq(h.block, PC_NG_EPB);
        cr_assert(h.has_ts);
        cr_assert_eq(h.drops, -1);
        cr_assert(memcmp(d, g_pool + i, h.caplen) == 0);
        if (k->comment) {
            cr_assert_eq(h.ncomments, 1u);
            cr_assert_eq(h.comment_len, strlen(k->comment));
            cr_assert(memcmp(h.comment, k->comment, h.comment_len) == 0);
            const uint8_t *c;
            uint32_t cl;
            cr_assert_eq(pc_reader_comment(r, 0, &c, &cl), 1);
            cr_assert_eq(c, h.comment);
            cr_assert_eq(pc_reader_comment(r, 1, &c, &cl), 0);
        } else {
            cr_assert_eq(h.ncomments, 0u);
            cr_assert_null(h.comment);
        }
        const uint8_t *v;
        uint16_t vl;
        cr_assert_eq(pc_reader_pkt_option(r, PC_NG_EPB_FLAGS, 0, &v, &vl), k->flags ? 1 : 0);
    }
    cr_assert_eq(pc_reader_next(r, &h, &d), 0, "%s", pc_reader_err(r)->msg);
    cr_assert_eq(pc_reader_count(r), K_RICH_N);
    pc_reader_close(r);
}

Test(pcapng, pcap_writer_refuses_what_pcap_cannot_hold)
{
    struct pc_writer_opts o = { .linktype = 1, .tsprec = PC_TSPREC_NS };
    struct pc_err err;
    const char *path = tpath("x.pcap");
    struct pc_writer *w = pc_writer_open(path, &o, &err);
    cr_assert_not_null(w, "%s", err.msg);
    cr_assert_eq(pc_writer_format(w), PC_FORMAT_PCAP_NS);
    struct pc_wpacket p = { .ts = 5, .data = k_pkt, .caplen = 60, .len = 60 };
    cr_assert_eq(pc_writer_write_ex(w, &p), 0);
    p.comment = "no room";
    p.comment_len = 7;
    cr_assert_eq(pc_writer_write_ex(w, &p), PC_EUNSUPP);
    cr_assert(strstr(pc_writer_last_err(w)->msg, "pcap cannot hold packet comments"), "%s", pc_writer_last_err(w)->msg);
    p.comment = NULL;
    p.comment_len = 0;
    p.flags = PC_DIR_INBOUND;
    cr_assert_eq(pc_writer_write_ex(w, &p), PC_EUNSUPP);
    cr_assert(strstr(pc_writer_last_err(w)->msg, "flags"), "%s", pc_writer_last_err(w)->msg);
    p.flags = 0;
    p.ifindex = 1;
    cr_assert_eq(pc_writer_write_ex(w, &p), PC_EINVAL, "no interface 1 yet");
    cr_assert_eq(pc_writer_add_interface(w, &(struct pc_iface_spec){ .linktype = 1 }), 0);
    cr_assert_eq(pc_writer_add_interface(w, &(struct pc_iface_spec){ .linktype = 101 }), 1);
    cr_assert_eq(pc_writer_add_interface(w, &(struct pc_iface_spec){ .linktype = 1, .name = "b" }), 2);
    cr_assert_eq(pc_writer_write_ex(w, &p), PC_EUNSUPP);
    cr_assert(strstr(pc_writer_last_err(w)->msg, "pcap holds one link type: interface 1 has link type 101, the file 1"),
              "%s", pc_writer_last_err(w)->msg);
    p.ifindex = 2;
    p.ts = 6;
    cr_assert_eq(pc_writer_write_ex(w, &p), 0, "same link type: fine");
    cr_assert_eq(pc_writer_err(w)->code, 0, "refusals are not write failures");
    cr_assert_eq(pc_writer_close(w, &err), 0, "%s", err.msg);
    struct pc_reader *r = pc_reader_open(path, &err);
    cr_assert_not_null(r);
    struct pc_pkthdr h;
    const uint8_t *d;
    cr_assert_eq(pc_reader_next(r, &h, &d), 1);
    cr_assert_eq(h.ts, 5);
    cr_assert_eq(pc_reader_next(r, &h, &d), 1);
    cr_assert_eq(h.ts, 6);
    cr_assert_eq(pc_reader_next(r, &h, &d), 0);
    pc_reader_close(r);

    /* The pcapng writer refuses bad requests too, without harm. */
    o = (struct pc_writer_opts){ .linktype = 1, .format = PC_FORMAT_PCAPNG };
    w = pc_writer_open(tpath("y.pcapng"), &o, &err);
    cr_assert_not_null(w);
    p = (struct pc_wpacket){ .ts = -1, .data = k_pkt, .caplen = 60, .len = 60 };
    cr_assert_eq(pc_writer_write_ex(w, &p), PC_EINVAL);
    cr_assert(strstr(pc_writer_last_err(w)->msg, "before 1970"), "%s", pc_writer_last_err(w)->msg);
    p.ts = 1;
    p.ifindex = 3;
    cr_assert_eq(pc_writer_write_ex(w, &p), PC_EINVAL);
    p.ifindex = 0;
    p.comment = "x";
    p.comment_len = 70000;
    cr_assert_eq(pc_writer_write_ex(w, &p), PC_EINVAL);
    cr_assert(strstr(pc_writer_last_err(w)->msg, "longer than 65535"), "%s", pc_writer_last_err(w)->msg);
    cr_assert_eq(pc_writer_add_interface(w, &(struct pc_iface_spec){ .linktype = 70000 }), PC_EINVAL);
    cr_assert_eq(pc_writer_close(w, &err), 0);
    r = pc_reader_open(tpath("y.pcapng"), &err);
    cr_assert_not_null(r, "%s", err.msg);
    cr_assert_eq(pc_reader_next(r, &h, &d), 0, "%s", pc_reader_err(r)->msg);
    pc_reader_close(r);
}

/* ----------------------------------------------- independent readers */

/* Run a command and return its stdout (malloc'd, NUL-terminated). */
static char *run_out(const char *cmd)
{
    FILE *p = popen(cmd, "r");
    cr_assert_not_null(p);
    size_t cap = 4096, n = 0;
    char *b = malloc(cap);
    size_t k;
    while ((k = fread(b + n, 1, cap - n - 1, p)) > 0) {
        n += k;
        if (n + 1 == cap) b = realloc(b, cap *= 2);
    }
    b[n] = 0;
    pclose(p);
    return b;
}

/* Split s at separator c in place; returns the number of fields. */
static int split(char *s, char c, char **f, int max)
{
    int n = 0;
    f[n++] = s;
    for (char *p = s; *p && n < max; p++)
        if (*p == c) {
            *p = 0;
            f[n++] = p + 1;
        }
    return n;
}

/* tshark's frame.time_epoch ("sec.nnnnnnnnn") as nanoseconds; false when
 * it is not in that form (tshark prints out-of-range fractions raw). */
static bool parse_epoch(const char *s, pc_time_ns *ns)
{
    bool neg = *s == '-';
    if (neg) s++;
    const char *dot = strchr(s, '.');
    if (!dot || strspn(dot + 1, "0123456789") != 9 || dot[10] != 0) return false;
    long long sec = strtoll(s, NULL, 10), frac = strtoll(dot + 1, NULL, 10);
    if (sec > INT64_MAX / PC_NS_PER_SEC - 1) return false;
    *ns = (pc_time_ns)sec * PC_NS_PER_SEC + frac;
    if (neg) *ns = -*ns;
    return true;
}

Test(pcapng, tshark_reads_ours)
{
    const char *path = tpath("rich.pcapng");
    write_rich(path);
    char cmd[PATH_MAX + 400];
    snprintf(cmd, sizeof cmd,
             "tshark -n -r '%s' -T fields -e frame.number -e frame.time_epoch -e frame.interface_id "
             "-e frame.interface_name -e frame.interface_description -e frame.cap_len -e frame.len "
             "-e frame.packet_flags_direction -e frame.comment 2>&1",
             path);
    char *out = run_out(cmd);
    char *lines[32];
    int nl = split(out, '\n', lines, 32);
    size_t row = 0;
    struct pc_err err;
    struct pc_reader *r = pc_reader_open(path, &err);
    cr_assert_not_null(r);
    for (int i = 0; i < nl; i++) {
        if (!lines[i][0] || strstr(lines[i], "Running as")) continue;
        char *f[9];
        cr_assert_eq(split(lines[i], '\t', f, 9), 9, "tshark: %s", lines[i]);
        cr_assert(row < K_RICH_N, "tshark: %s", lines[i]);
        const struct rich *k = &k_rich[row];
        struct pc_pkthdr h;
        const uint8_t *d;
        cr_assert_eq(pc_reader_next(r, &h, &d), 1);
        cr_assert_eq(strtoul(f[0], NULL, 10), row + 1);
        pc_time_ns t;
        cr_assert(parse_epoch(f[1], &t), "%s", f[1]);
        cr_assert_eq(t, h.ts, "packet %zu: tshark %s, we %lld", row + 1, f[1], (long long)h.ts);
        cr_assert_eq(strtoul(f[2], NULL, 10), k->ifindex);
        const char *nm = k_ifs[k->ifindex].name, *ds = k_ifs[k->ifindex].description;
        cr_assert_str_eq(f[3], nm ? nm : "unknown", "packet %zu interface name", row + 1);
        cr_assert_str_eq(f[4], ds ? ds : "");
        cr_assert_eq(strtoul(f[5], NULL, 10), h.caplen);
        cr_assert_eq(strtoul(f[6], NULL, 10), h.len);
        if (k->flags) cr_assert_eq(strtoul(f[7], NULL, 0), k->flags & PC_DIR_MASK, "direction %s", f[7]);
        cr_assert_str_eq(f[8], k->comment ? k->comment : "", "packet %zu comment", row + 1);
        row++;
    }
    cr_assert_eq(row, K_RICH_N, "tshark read %zu packets:\n%s", row, out);
    pc_reader_close(r);
    free(out);
}

Test(pcapng, libpcap_reads_ours)
{
    fill_pool(2);
    rng_seed(3);
    const char *path = tpath("lp.pcapng");
    for (int pass = 0; pass < 2; pass++) {
        /* pass 0: the implicit interface (nanoseconds); pass 1: an explicit
         * microsecond interface with a name. */
        struct pc_writer_opts o = { .linktype = 1, .snaplen = 1000, .format = PC_FORMAT_PCAPNG };
        struct pc_err err;
        struct pc_writer *w = pc_writer_open(path, &o, &err);
        cr_assert_not_null(w, "%s", err.msg);
        if (pass) cr_assert_eq(pc_writer_add_interface(w, &(struct pc_iface_spec){ .linktype = 1, .snaplen = 1000, .tsresol = 6, .name = "eth9" }), 0);
        const size_t n = 1500;
        pc_time_ns *ts = calloc(n, sizeof *ts);
        uint32_t *cap = calloc(n, sizeof *cap), *len = calloc(n, sizeof *len);
        pc_time_ns t = INT64_C(1600000000) * PC_NS_PER_SEC;
        for (size_t i = 0; i < n; i++) {
            t += (pc_time_ns)(rnd() % 3000000000u);
            ts[i] = t;
            cap[i] = (uint32_t)(rnd() % 1200);
            len[i] = cap[i] + (uint32_t)(rnd() % 2 ? 0 : rnd() % 100);
            struct pc_wpacket p = { .ts = t, .data = g_pool + i, .caplen = cap[i], .len = len[i],
                                    .comment = i % 7 ? NULL : "c", .comment_len = i % 7 ? 0 : 1 };
            cr_assert_eq(pc_writer_write_ex(w, &p), 0);
        }
        cr_assert_eq(pc_writer_close(w, &err), 0, "%s", err.msg);

        char eb[PCAP_ERRBUF_SIZE];
        pcap_t *pc = pcap_open_offline_with_tstamp_precision(path, PCAP_TSTAMP_PRECISION_NANO, eb);
        cr_assert_not_null(pc, "libpcap: %s", eb);
        cr_assert_eq(pcap_datalink(pc), 1);
        cr_assert_eq(pcap_snapshot(pc), 1000);
        struct pcap_pkthdr *lh;
        const u_char *ld;
        size_t i = 0;
        int rc;
        while ((rc = pcap_next_ex(pc, &lh, &ld)) == 1) {
            cr_assert(i < n);
            pc_time_ns want = pass ? ts[i] - ts[i] % 1000 : ts[i];
            pc_time_ns lts = (pc_time_ns)lh->ts.tv_sec * PC_NS_PER_SEC + lh->ts.tv_usec;
            cr_assert_eq(lts, want, "packet %zu: libpcap %lld, wrote %lld", i + 1, (long long)lts, (long long)want);
            uint32_t c = cap[i] > 1000 ? 1000 : cap[i];
            cr_assert_eq(lh->caplen, c);
            cr_assert_eq(lh->len, len[i]);
            cr_assert(memcmp(ld, g_pool + i, c) == 0);
            i++;
        }
        cr_assert_eq(rc, PCAP_ERROR_BREAK, "libpcap: %s", pcap_geterr(pc));
        cr_assert_eq(i, n);
        pcap_close(pc);
        free(ts);
        free(cap);
        free(len);
    }
}

/* ---------------------------------------------------------- round trips */

/* Copy in to out in format fmt with the library only: every interface the
 * reader knows becomes one of the writer's (same index), every packet is
 * written with everything it has.  Returns the reader's final code. */
static int copy_capture(const char *in, const char *out, int fmt, int tsprec_for_pcap)
{
    struct pc_err err;
    struct pc_reader *r = pc_reader_open(in, &err);
    cr_assert_not_null(r, "%s", err.msg);
    const struct pc_iface *f0 = pc_reader_interface(r, 0);
    struct pc_writer_opts o = { .linktype = pc_reader_linktype(r) >= 0 ? pc_reader_linktype(r) : 1,
                                .snaplen = f0 ? f0->snaplen : 0, .tsprec = tsprec_for_pcap, .format = fmt,
                                .verbatim = true };
    if (fmt != PC_FORMAT_PCAPNG && pc_reader_format(r) != PC_FORMAT_PCAPNG) o.linktype = (int)pc_reader_linktype_field(r);
    struct pc_writer *w = pc_writer_open(out, &o, &err);
    cr_assert_not_null(w, "%s", err.msg);
    uint32_t added = 0;
    struct pc_pkthdr h;
    const uint8_t *d;
    int rc;
    struct pc_wcomment more[16];
    for (;;) {
        rc = pc_reader_next(r, &h, &d);
        while (added < pc_reader_ninterfaces(r)) {
            const struct pc_iface *f = pc_reader_interface(r, added);
            struct pc_iface_spec s = { .linktype = f->linktype, .snaplen = f->snaplen,
                                       .tsresol = f->tsresol ? f->tsresol : PC_TSRESOL_SECONDS,
                                       .tsoffset = f->tsoffset, .name = f->name, .description = f->description,
                                       .fcslen = f->fcslen };
            cr_assert_eq(pc_writer_add_interface(w, &s), (int)added, "%s", pc_writer_last_err(w)->msg);
            added++;
        }
        if (rc != 1) break;
        struct pc_wpacket p = { .ts = h.ts, .data = d, .caplen = h.caplen, .len = h.len, .ifindex = h.ifindex,
                                .comment = (const char *)h.comment, .comment_len = h.comment_len, .flags = h.flags };
        for (uint32_t i = 1; i < h.ncomments && i <= 16; i++) {
            const uint8_t *c;
            cr_assert_eq(pc_reader_comment(r, i, &c, &more[i - 1].len), 1);
            more[i - 1].text = (const char *)c;
            p.nmore = i;
        }
        p.more = p.nmore ? more : NULL;
        if (h.ts_clamped) p.ts = 0; /* an instant we cannot carry (see the reader's ts_clamped) */
        cr_assert_eq(pc_writer_write_ex(w, &p), 0, "%s: %s", in, pc_writer_last_err(w)->msg);
    }
    cr_assert_eq(pc_writer_close(w, &err), 0, "%s", err.msg);
    pc_reader_close(r);
    return rc;
}

/* Both files hold the same packets with the same everything. */
static size_t expect_same_packets(const char *a, const char *b, bool exact_ts)
{
    struct pc_err err;
    struct pc_reader *ra = pc_reader_open(a, &err);
    cr_assert_not_null(ra, "%s", err.msg);
    struct pc_reader *rb = pc_reader_open(b, &err);
    cr_assert_not_null(rb, "%s", err.msg);
    struct pc_pkthdr ha, hb;
    const uint8_t *da, *db;
    size_t n = 0;
    int rc;
    while ((rc = pc_reader_next(ra, &ha, &da)) == 1) {
        cr_assert_eq(pc_reader_next(rb, &hb, &db), 1, "%s packet %zu: %s", b, n + 1, pc_reader_err(rb)->msg);
        n++;
        if (exact_ts && !ha.ts_clamped) cr_assert_eq(ha.ts, hb.ts, "%s packet %zu ts %lld != %lld", a, n, (long long)ha.ts, (long long)hb.ts);
        cr_assert_eq(ha.caplen, hb.caplen, "%s packet %zu", a, n);
        cr_assert_eq(ha.len, hb.len, "%s packet %zu", a, n);
        cr_assert_eq(ha.linktype, hb.linktype, "%s packet %zu", a, n);
        cr_assert_eq(ha.ifindex, hb.ifindex, "%s packet %zu", a, n);
        cr_assert_eq(ha.flags, hb.flags, "%s packet %zu", a, n);
        cr_assert(memcmp(da, db, ha.caplen) == 0, "%s packet %zu data", a, n);
        cr_assert_eq(ha.ncomments, hb.ncomments, "%s packet %zu", a, n);
        for (uint32_t i = 0; i < ha.ncomments; i++) {
            const uint8_t *ca, *cb;
            uint32_t la, lb;
            cr_assert_eq(pc_reader_comment(ra, i, &ca, &la), 1);
            cr_assert_eq(pc_reader_comment(rb, i, &cb, &lb), 1);
            cr_assert(la == lb && memcmp(ca, cb, la) == 0, "%s packet %zu comment %u", a, n, i);
        }
        const struct pc_iface *fa = pc_reader_interface(ra, ha.ifindex), *fb = pc_reader_interface(rb, hb.ifindex);
        cr_assert_eq(fa->snaplen, fb->snaplen);
        cr_assert((!fa->name && !fb->name) || (fa->name && fb->name && !strcmp(fa->name, fb->name)));
        cr_assert((!fa->description && !fb->description) ||
                  (fa->description && fb->description && !strcmp(fa->description, fb->description)));
    }
    cr_assert_eq(rc, 0, "%s", pc_reader_err(ra)->msg);
    cr_assert_eq(pc_reader_next(rb, &hb, &db), 0, "%s has more packets", b);
    /* A pcapng always gets an interface from the writer, even when empty. */
    uint32_t nia = pc_reader_ninterfaces(ra), nib = pc_reader_ninterfaces(rb);
    cr_assert(nia == nib || (nia == 0 && nib == 1), "%s: %u interfaces, the copy %u", a, nia, nib);
    pc_reader_close(ra);
    pc_reader_close(rb);
    return n;
}

/* A pcap a verbatim round trip through pcapng must reproduce byte for
 * byte: what pcapng and nanoseconds can carry, i.e. little-endian 2.4
 * (what we write), zone and sigfigs 0, no FCS bits in the link type field
 * (pcapng keeps only the F-flagged kind, as if_fcslen), fractions in range
 * (an out-of-range one is normalised), whole records of at most 256 KiB.
 * Snaplen, caplen over the snaplen and len below the caplen may be
 * anything: verbatim keeps them. */
static bool plain_pcap(const uint8_t *b, size_t n)
{
    if (n < 24 || (pc_get32le(b) != PC_PCAP_MAGIC_US && pc_get32le(b) != PC_PCAP_MAGIC_NS)) return false;
    bool ns = pc_get32le(b) == PC_PCAP_MAGIC_NS;
    if (pc_get16le(b + 4) != 2 || pc_get16le(b + 6) != 4 || pc_get32le(b + 8) || pc_get32le(b + 12) ||
        pc_get32le(b + 20) > 0xFFFF)
        return false;
    size_t off = 24;
    while (off < n) {
        if (n - off < 16) return false;
        uint32_t frac = pc_get32le(b + off + 4), cap = pc_get32le(b + off + 8);
        if (frac >= (ns ? 1000000000u : 1000000u) || cap > PC_PCAP_MAX_CAPLEN || n - off - 16 < cap) return false;
        off += 16 + cap;
    }
    return true;
}

/* Visit every capture file of the corpus. */
static void corpus_walk(const char *dir, void (*fn)(const char *path, void *ctx), void *ctx)
{
    DIR *d = opendir(dir);
    cr_assert_not_null(d, "%s: %s", dir, strerror(errno));
    struct dirent *e;
    char **names = NULL;
    size_t n = 0;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.') continue;
        names = realloc(names, (n + 1) * sizeof *names);
        names[n++] = strdup(e->d_name);
    }
    closedir(d);
    for (size_t i = 0; i < n; i++) {
        for (size_t j = i + 1; j < n; j++)
            if (strcmp(names[j], names[i]) < 0) {
                char *t = names[i];
                names[i] = names[j];
                names[j] = t;
            }
        char sub[PATH_MAX];
        snprintf(sub, sizeof sub, "%s/%s", dir, names[i]);
        struct stat st;
        size_t l = strlen(names[i]);
        if (stat(sub, &st) == 0 && S_ISDIR(st.st_mode)) corpus_walk(sub, fn, ctx);
        else if (!(l > 3 && !strcmp(names[i] + l - 3, ".md")) && !(l > 4 && !strcmp(names[i] + l - 4, ".tsv")))
            fn(sub, ctx);
        free(names[i]);
    }
    free(names);
}

static const char *corpus_dir(void)
{
    static char p[PATH_MAX];
    snprintf(p, sizeof p, "%s/../shared/corpus", th_root());
    return p;
}

struct rt_stats {
    int pcap_identical, pcapng_copied;
    size_t packets;
};

static void rt_one(const char *path, void *ctx)
{
    struct rt_stats *st = ctx;
    size_t n;
    uint8_t *b = get_file(path, &n);
    bool plain = plain_pcap(b, n);
    bool ng = n >= 4 && pc_get32le(b) == PC_NG_SHB;
    free(b);
    if (plain) {
        /* pcap -> pcapng -> pcap, byte-identical. */
        bool ns = pc_get32le(b = get_file(path, &n)) == PC_PCAP_MAGIC_NS;
        free(b);
        cr_assert_eq(copy_capture(path, tpath("rt.pcapng"), PC_FORMAT_PCAPNG, 0), 0);
        cr_assert_eq(copy_capture(tpath("rt.pcapng"), tpath("rt.pcap"), ns ? PC_FORMAT_PCAP_NS : PC_FORMAT_PCAP_US, 0),
                     0);
        cr_assert(files_equal(path, tpath("rt.pcap")), "%s: pcap -> pcapng -> pcap differs", path);
        st->packets += expect_same_packets(path, tpath("rt.pcapng"), true);
        st->pcap_identical++;
    } else if (ng) {
        /* pcapng -> pcapng keeps everything of every packet that reads. */
        struct pc_err err;
        struct pc_reader *r = pc_reader_open(path, &err);
        if (!r) return;
        struct pc_pkthdr h;
        int rc;
        while ((rc = pc_reader_next(r, &h, NULL)) == 1) {}
        pc_reader_close(r);
        if (rc != 0) return; /* damaged: the catalogue's business */
        cr_assert_eq(copy_capture(path, tpath("rt.pcapng"), PC_FORMAT_PCAPNG, 0), 0);
        st->packets += expect_same_packets(path, tpath("rt.pcapng"), true);
        st->pcapng_copied++;
    }
}

Test(pcapng, round_trips_over_the_corpus)
{
    struct rt_stats st = { 0 };
    corpus_walk(corpus_dir(), rt_one, &st);
    cr_log_info("round trips: %d corpus pcaps byte-identical through pcapng, %d corpus pcapngs copied losslessly, "
                "%zu packets compared",
                st.pcap_identical, st.pcapng_copied, st.packets);
    cr_assert_gt(st.pcap_identical, 200);
    cr_assert_gt(st.pcapng_copied, 40);
}

Test(pcapng, our_pcaps_survive_pcapng_byte_for_byte)
{
    fill_pool(9);
    rng_seed(10);
    for (int prec = 0; prec < 2; prec++) {
        struct pc_writer_opts o = { .linktype = 1, .snaplen = 1200, .tsprec = prec };
        struct pc_err err;
        struct pc_writer *w = pc_writer_open(tpath("a.pcap"), &o, &err);
        cr_assert_not_null(w);
        pc_time_ns t = INT64_C(1234567890) * PC_NS_PER_SEC;
        for (int i = 0; i < 3000; i++) {
            t += (pc_time_ns)(rnd() % 2000000000u);
            uint32_t c = (uint32_t)(rnd() % 1500);
            cr_assert_eq(pc_writer_write(w, t, g_pool + i, c, c + (uint32_t)(rnd() % 4)), 0);
        }
        cr_assert_eq(pc_writer_close(w, &err), 0);
        cr_assert_eq(copy_capture(tpath("a.pcap"), tpath("a.pcapng"), PC_FORMAT_PCAPNG, 0), 0);
        cr_assert_eq(copy_capture(tpath("a.pcapng"), tpath("b.pcap"), PC_FORMAT_DEFAULT, prec), 0);
        cr_assert(files_equal(tpath("a.pcap"), tpath("b.pcap")), "precision %d", prec);
        struct pc_reader *r = pc_reader_open(tpath("a.pcapng"), &err);
        cr_assert_eq(pc_reader_interface(r, 0)->tsresol, prec ? 9 : 6, "the precision travels as if_tsresol");
        pc_reader_close(r);
    }
}

Test(pcapng, pcapng_copy_keeps_every_comment_interface_and_timestamp)
{
    /* Several comments per packet, several sections, every resolution. */
    struct nb f;
    build_multi(&f);
    size_t at = nb_begin(&f, PC_NG_EPB);
    nb_u32(&f, 0);
    nb_u32(&f, 0);
    nb_u32(&f, 77);
    nb_u32(&f, 4);
    nb_u32(&f, 4);
    nb_bytes(&f, "abcd", 4);
    nb_optstr(&f, PC_NG_OPT_COMMENT, "");
    nb_optstr(&f, PC_NG_OPT_COMMENT, "second");
    nb_optstr(&f, PC_NG_OPT_COMMENT, "third, with a comma");
    nb_optend(&f);
    nb_end(&f, at);
    th_put_file(tpath("m.pcapng"), f.b, f.n);
    nb_free(&f);
    cr_assert_eq(copy_capture(tpath("m.pcapng"), tpath("c.pcapng"), PC_FORMAT_PCAPNG, 0), 0);
    cr_assert_eq(expect_same_packets(tpath("m.pcapng"), tpath("c.pcapng"), false), K_MULTI_N + 1);
    /* Timestamps: equal except the SPB's (none: written as 0, read as 0). */
    cr_assert_eq(copy_capture(tpath("c.pcapng"), tpath("d.pcapng"), PC_FORMAT_PCAPNG, 0), 0);
    cr_assert_eq(expect_same_packets(tpath("c.pcapng"), tpath("d.pcapng"), true), K_MULTI_N + 1);
    write_rich(tpath("rich.pcapng"));
    cr_assert_eq(copy_capture(tpath("rich.pcapng"), tpath("rich2.pcapng"), PC_FORMAT_PCAPNG, 0), 0);
    cr_assert_eq(expect_same_packets(tpath("rich.pcapng"), tpath("rich2.pcapng"), true), K_RICH_N);
}

Test(pcapng, verbatim_keeps_odd_lengths_normal_mode_fixes_them)
{
    for (int fmt = PC_FORMAT_PCAP_US; fmt <= PC_FORMAT_PCAPNG; fmt++) {
        for (int verb = 0; verb < 2; verb++) {
            struct pc_writer_opts o = { .linktype = 1, .snaplen = verb ? 0 : 1u << 20, .format = fmt,
                                        .verbatim = verb };
            struct pc_err err;
            const char *path = tpath("v.cap");
            struct pc_writer *w = pc_writer_open(path, &o, &err);
            cr_assert_not_null(w, "%s", err.msg);
            static uint8_t big[PC_PCAP_MAX_CAPLEN + 1];
            cr_assert_eq(pc_writer_write(w, 1, k_pkt, 60, 10), 0, "len below caplen");
            cr_assert_eq(pc_writer_write(w, 2, big, PC_PCAP_MAX_CAPLEN + 1, PC_PCAP_MAX_CAPLEN + 1),
                         verb ? PC_ELIMIT : 0);
            cr_assert_eq(pc_writer_close(w, &err), 0, "%s", err.msg);
            struct pc_reader *r = pc_reader_open(path, &err);
            cr_assert_not_null(r, "%s", err.msg);
            cr_assert_eq(pc_reader_snaplen(r), verb ? 0 : 1u << 20, "the snaplen as given, over 256 KiB too");
            struct pc_pkthdr h;
            cr_assert_eq(pc_reader_next(r, &h, NULL), 1);
            cr_assert_eq(h.caplen, 60u);
            cr_assert_eq(h.len, verb ? 10u : 60u);
            if (!verb) {
                cr_assert_eq(pc_reader_next(r, &h, NULL), 1);
                cr_assert_eq(h.caplen, PC_PCAP_MAX_CAPLEN, "records are capped at 256 KiB whatever the snaplen");
            }
            cr_assert_eq(pc_reader_next(r, &h, NULL), 0, "%s", pc_reader_err(r)->msg);
            pc_reader_close(r);
        }
    }
}

Test(pcapng, nanoseconds_survive_every_path)
{
    fill_pool(12);
    rng_seed(13);
    const size_t n = 2000;
    pc_time_ns *ts = calloc(n, sizeof *ts);
    struct pc_writer_opts o = { .linktype = 1, .tsprec = PC_TSPREC_NS };
    struct pc_err err;
    struct pc_writer *w = pc_writer_open(tpath("ns.pcap"), &o, &err);
    cr_assert_not_null(w);
    pc_time_ns t = INT64_C(1000000000) * PC_NS_PER_SEC;
    for (size_t i = 0; i < n; i++) {
        t += (pc_time_ns)(rnd() % 999999999u) + 1; /* every digit in play */
        ts[i] = t;
        cr_assert_eq(pc_writer_write(w, t, g_pool + i, 64, 64), 0);
    }
    cr_assert_eq(pc_writer_close(w, &err), 0);
    cr_assert_eq(copy_capture(tpath("ns.pcap"), tpath("ns.pcapng"), PC_FORMAT_PCAPNG, 0), 0);
    cr_assert_eq(copy_capture(tpath("ns.pcapng"), tpath("ns2.pcap"), PC_FORMAT_PCAP_NS, 0), 0);
    cr_assert_eq(copy_capture(tpath("ns.pcapng"), tpath("ns2.pcapng"), PC_FORMAT_PCAPNG, 0), 0);
    gzip_file(tpath("ns.pcapng"), tpath("ns.pcapng.gz"));
    gzip_file(tpath("ns2.pcap"), tpath("ns2.pcap.gz"));
    const char *paths[] = { tpath("ns.pcap"), tpath("ns.pcapng"), tpath("ns2.pcap"), tpath("ns2.pcapng"),
                            tpath("ns.pcapng.gz"), tpath("ns2.pcap.gz") };
    for (size_t k = 0; k < 6; k++) {
        struct pc_reader *r = pc_reader_open(paths[k], &err);
        cr_assert_not_null(r, "%s", err.msg);
        cr_assert_eq(pc_reader_tsprec(r), PC_TSPREC_NS);
        struct pc_pkthdr h;
        const uint8_t *d;
        for (size_t i = 0; i < n; i++) {
            cr_assert_eq(pc_reader_next(r, &h, &d), 1);
            cr_assert_eq(h.ts, ts[i], "%s packet %zu", paths[k], i + 1);
        }
        cr_assert_eq(pc_reader_next(r, &h, &d), 0);
        pc_reader_close(r);
    }
    cr_assert(files_equal(tpath("ns.pcap"), tpath("ns2.pcap")));
    free(ts);
}

/* ---------------------------------------------- sections and blocks */

Test(pcapng, sections_byte_orders_and_packet_kinds)
{
    struct nb f;
    build_multi(&f);
    th_put_file(tpath("m.pcapng"), f.b, f.n);
    struct pc_err err;
    struct pc_reader *r = pc_reader_open(tpath("m.pcapng"), &err);
    cr_assert_not_null(r, "%s", err.msg);
    cr_assert_eq(pc_reader_linktype(r), 1);
    cr_assert_eq(pc_reader_tsprec(r), PC_TSPREC_NS, "first interface has if_tsresol 9");
    const uint16_t one = 1;
    uint8_t first;
    memcpy(&first, &one, 1);
    cr_assert_eq(pc_reader_swapped(r), first == 1, "the first section is big-endian");
    cr_assert_eq(pc_reader_ninterfaces(r), 2u, "open reads the first section's IDBs");
    struct pc_pkthdr h;
    const uint8_t *d;
    for (size_t i = 0; i < K_MULTI_N; i++) {
        cr_assert_eq(pc_reader_next(r, &h, &d), 1, "packet %zu: %s", i + 1, pc_reader_err(r)->msg);
        check_want(r, &h, d, &k_multi[i], i);
    }
    cr_assert_eq(pc_reader_next(r, &h, &d), 0, "%s", pc_reader_err(r)->msg);
    cr_assert_eq(pc_reader_nsections(r), 3u);
    cr_assert(pc_reader_section(r, 0)->big);
    cr_assert_not(pc_reader_section(r, 1)->big);
    cr_assert(pc_reader_section(r, 2)->big);
    cr_assert_str_eq(pc_reader_section(r, 0)->comments[0], "first section");
    cr_assert_eq(pc_reader_section(r, 1)->first_iface, 2u);
    cr_assert_eq(pc_reader_section(r, 1)->niface, 1u);
    cr_assert_eq(pc_reader_interface(r, 2)->section, 1u);
    cr_assert_eq(pc_reader_interface(r, 2)->tsresol, 0x88);
    cr_assert_str_eq(pc_reader_interface(r, 2)->name, "sll");
    cr_assert_eq(pc_reader_interface(r, 3)->section, 2u);
    cr_assert_null(pc_reader_interface(r, 4));
    pc_reader_close(r);

    /* tshark agrees, numbering interfaces within each section (4.0 prints
     * the EPB's own id as frame.interface_id), and on the link types. */
    char cmd[PATH_MAX + 200];
    snprintf(cmd, sizeof cmd,
             "tshark -r '%s' -T fields -e frame.interface_id -e frame.section_number -e frame.cap_len "
             "-e frame.len -e frame.encap_type 2>/dev/null | awk -F'\\t' '$5 != \"\"' | tr '\\t\\n' ', '",
             tpath("m.pcapng"));
    char *out = run_out(cmd);
    cr_assert_str_eq(out, "0,1,60,60,1 1,1,20,40,7 0,2,16,60,25 0,2,16,60,25 0,3,33,33,1 ", "tshark: %s", out);
    free(out);
    nb_free(&f);
}

Test(pcapng, simple_and_obsolete_packet_blocks)
{
    struct nb f = { 0 };
    nb_shb(&f, false, NULL);
    nb_idb(&f, 1, 50, NULL, -1);
    nb_spb(&f, 100, k_pkt, 64);  /* snaplen 50 < block 64 < len 100: 50 */
    nb_spb(&f, 30, k_pkt, 32);   /* the wire length is the smallest: 30 */
    nb_spb(&f, 100, k_pkt, 40);  /* snaplen 50, block room 40: 40 */
    nb_pb(&f, 0, 65535, 1234567, k_pkt, 10);
    nb_shb(&f, false, NULL);
    nb_idb(&f, 0, 0, NULL, -1); /* snaplen 0: no limit */
    nb_spb(&f, 63, k_pkt, 64);
    th_put_file(tpath("s.pcapng"), f.b, f.n);
    struct pc_err err;
    struct pc_reader *r = pc_reader_open(tpath("s.pcapng"), &err);
    cr_assert_not_null(r, "%s", err.msg);
    struct pc_pkthdr h;
    const uint8_t *d;
    const uint32_t caps[] = { 50, 30, 40 }, lens[] = { 100, 30, 100 };
    for (int i = 0; i < 3; i++) {
        cr_assert_eq(pc_reader_next(r, &h, &d), 1, "%s", pc_reader_err(r)->msg);
        cr_assert_eq(h.block, PC_NG_SPB);
        cr_assert_not(h.has_ts);
        cr_assert_eq(h.ts, 0);
        cr_assert_eq(h.caplen, caps[i], "SPB %d", i);
        cr_assert_eq(h.len, lens[i]);
        cr_assert_eq(h.ifindex, 0u);
        cr_assert(memcmp(d, k_pkt, h.caplen) == 0);
    }
    cr_assert_eq(pc_reader_next(r, &h, &d), 1);
    cr_assert_eq(h.block, PC_NG_PB);
    cr_assert_eq(h.drops, 65535);
    cr_assert_eq(h.ts, INT64_C(1234567000));
    cr_assert_eq(h.caplen, 10u);
    cr_assert_eq(pc_reader_next(r, &h, &d), 1);
    cr_assert_eq(h.caplen, 63u);
    cr_assert_eq(h.linktype, 0);
    cr_assert_eq(h.ifindex, 1u);
    cr_assert_eq(h.section, 1u);
    cr_assert_eq(pc_reader_next(r, &h, &d), 0);
    pc_reader_close(r);
    nb_free(&f);
}

Test(pcapng, interface_options_and_packet_options)
{
    struct nb f = { 0 };
    nb_shb(&f, true, NULL);
    size_t at = nb_begin(&f, PC_NG_IDB);
    nb_u16(&f, 1);
    nb_u16(&f, 0);
    nb_u32(&f, 0);
    nb_optstr(&f, PC_NG_IF_NAME, "eth0");
    nb_optstr(&f, PC_NG_IF_NAME, "ignored: the first one counts");
    nb_optstr(&f, PC_NG_IF_DESCRIPTION, "desc");
    nb_optstr(&f, PC_NG_IF_OS, "Linux 6");
    nb_optstr(&f, PC_NG_IF_HARDWARE, "nic");
    uint8_t res = 3, fcs = 4, off[8];
    pc_put32(off, 0xFFFFFFFFu); /* -10 s, big-endian */
    pc_put32(off + 4, 0xFFFFFFF6u);
    nb_opt(&f, PC_NG_IF_TSRESOL, &res, 1);
    nb_opt(&f, PC_NG_IF_FCSLEN, &fcs, 1);
    nb_opt(&f, PC_NG_IF_TSOFFSET, off, 8);
    nb_opt(&f, 0x7777, "custom", 6);
    nb_optend(&f);
    nb_end(&f, at);
    at = nb_begin(&f, PC_NG_EPB);
    nb_u32(&f, 0);
    nb_u32(&f, 0);
    nb_u32(&f, 12345); /* ms */
    nb_u32(&f, 3);
    nb_u32(&f, 3);
    nb_bytes(&f, "xyz", 3);
    nb_pad(&f);
    uint8_t dc[8], fl[4];
    pc_put32(dc, 0);
    pc_put32(dc + 4, 42);
    pc_put32(fl, 0x00010002u);
    nb_optstr(&f, PC_NG_OPT_COMMENT, "one");
    nb_opt(&f, PC_NG_EPB_DROPCOUNT, dc, 8);
    nb_opt(&f, PC_NG_EPB_FLAGS, fl, 4);
    nb_optstr(&f, PC_NG_OPT_COMMENT, "two");
    nb_opt(&f, 0x8001, "\x01\x02", 2);
    nb_optend(&f);
    nb_end(&f, at);
    th_put_file(tpath("o.pcapng"), f.b, f.n);
    struct pc_err err;
    struct pc_reader *r = pc_reader_open(tpath("o.pcapng"), &err);
    cr_assert_not_null(r, "%s", err.msg);
    const struct pc_iface *fi = pc_reader_interface(r, 0);
    cr_assert_str_eq(fi->name, "eth0");
    cr_assert_str_eq(fi->description, "desc");
    cr_assert_str_eq(fi->os, "Linux 6");
    cr_assert_str_eq(fi->hardware, "nic");
    cr_assert_eq(fi->tsresol, 3);
    cr_assert_eq(fi->fcslen, 4);
    cr_assert_eq(fi->tsoffset, -10);
    cr_assert_eq(pc_reader_tsprec(r), PC_TSPREC_US, "milliseconds fit in microseconds");
    struct pc_pkthdr h;
    const uint8_t *d;
    cr_assert_eq(pc_reader_next(r, &h, &d), 1, "%s", pc_reader_err(r)->msg);
    cr_assert_eq(h.ts, INT64_C(12345000000) - 10 * PC_NS_PER_SEC, "if_tsoffset applies");
    cr_assert_eq(h.drops, 42);
    cr_assert_eq(h.flags, 0x00010002u);
    cr_assert_eq(h.flags & PC_DIR_MASK, PC_DIR_OUTBOUND);
    cr_assert_eq(h.ncomments, 2u);
    const uint8_t *c;
    uint32_t cl;
    cr_assert_eq(pc_reader_comment(r, 1, &c, &cl), 1);
    cr_assert(cl == 3 && !memcmp(c, "two", 3));
    const uint8_t *v;
    uint16_t vl;
    cr_assert_eq(pc_reader_pkt_option(r, 0x8001, 0, &v, &vl), 1);
    cr_assert(vl == 2 && v[0] == 1 && v[1] == 2);
    cr_assert_eq(pc_reader_pkt_option(r, 0x8001, 1, &v, &vl), 0);
    cr_assert_eq(pc_reader_next(r, &h, &d), 0);
    pc_reader_close(r);
    nb_free(&f);
}

struct seen {
    uint32_t type[32], section[32], len[32];
    bool big[32];
    uint64_t offset[32];
    int n;
    int stop_at; /* return an error at this block (-1: never) */
};

static int record_block(void *ctx, const struct pc_block *b)
{
    struct seen *s = ctx;
    if (s->n < 32) {
        s->type[s->n] = b->type;
        s->section[s->n] = b->section;
        s->len[s->n] = b->len;
        s->big[s->n] = b->big;
        s->offset[s->n] = b->offset;
        /* The body is there to read: the first byte of an NRB record. */
        if (b->type == PC_NG_NRB && b->len == 20) cr_assert_eq(b->body[b->big ? 1 : 0], 1);
    }
    return s->n++ == s->stop_at ? PC_EINVAL : 0;
}

Test(pcapng, block_callback_sees_every_other_block)
{
    struct nb f;
    build_multi(&f);
    /* Unknown, DSB and do-not-copy custom blocks at the end. */
    nb_raw_block(&f, 0x12345678u, "abcd", 4);
    nb_raw_block(&f, PC_NG_DSB, "\x4b\x53\x4c\x54\x00\x00\x00\x00", 8);
    nb_raw_block(&f, PC_NG_DCB, "\0\0\0\0", 4);
    th_put_file(tpath("m.pcapng"), f.b, f.n);
    struct seen s = { .stop_at = -1 };
    struct pc_err err;
    struct pc_reader *r = pc_reader_open(tpath("m.pcapng"), &err);
    cr_assert_not_null(r);
    pc_reader_set_block_cb(r, record_block, &s);
    struct pc_pkthdr h;
    size_t pk = 0;
    int rc;
    while ((rc = pc_reader_next(r, &h, NULL)) == 1) pk++;
    cr_assert_eq(rc, 0, "%s", pc_reader_err(r)->msg);
    cr_assert_eq(pk, K_MULTI_N);
    pc_reader_close(r);
    int k = 0;
    for (int i = 0; i < f.nblk; i++) {
        if (f.blk[i].packet) continue;
        cr_assert(k < s.n, "block %d not seen", i);
        cr_assert_eq(s.offset[k], f.blk[i].start, "callback %d", k);
        cr_assert_eq(s.len[k], f.blk[i].end - f.blk[i].start - 12);
        cr_assert_eq(s.type[k], f.blk[i].type, "callback %d: type %08x", k, s.type[k]);
        k++;
    }
    cr_assert_eq(s.n, k, "exactly the non-packet blocks");
    cr_assert_eq(s.section[0], 0u);
    cr_assert(s.big[0] && s.big[1], "section 0 is big-endian");
    cr_assert_eq(s.section[k - 1], 2u);
    cr_assert_not(s.big[5], "the second SHB is little-endian");

    /* A callback error stops the reader, with the callback's code. */
    s = (struct seen){ .stop_at = 5 };
    r = pc_reader_open(tpath("m.pcapng"), &err);
    pc_reader_set_block_cb(r, record_block, &s);
    pk = 0;
    while ((rc = pc_reader_next(r, &h, NULL)) == 1) pk++;
    cr_assert_eq(rc, PC_EINVAL);
    cr_assert(strstr(pc_reader_err(r)->msg, "block callback stopped"), "%s", pc_reader_err(r)->msg);
    cr_assert_eq(pk, 2u);
    cr_assert_eq(pc_reader_next(r, &h, NULL), PC_EINVAL, "sticky");
    pc_reader_close(r);
    nb_free(&f);
}

Test(pcapng, blocks_over_a_megabyte_grow_the_buffer_up_to_the_limit)
{
    struct nb f = { 0 };
    nb_shb(&f, false, NULL);
    uint8_t *big = calloc(1, (3u << 20) + 64);
    big[0] = 0xd9; /* PEN 32473 */
    big[1] = 0x7e;
    nb_raw_block(&f, PC_NG_CB, big, 3u << 20);
    nb_idb(&f, 1, 0, "late", -1);
    nb_epb(&f, 0, 1, k_pkt, 60, 60, NULL, 0);
    nb_raw_block(&f, PC_NG_NRB, big, (3u << 20) + 4);
    nb_epb(&f, 0, 2, k_pkt, 60, 60, NULL, 0);
    th_put_file(tpath("b.pcapng"), f.b, f.n);
    struct seen s = { .stop_at = -1 };
    struct pc_err err;
    struct pc_reader *r = pc_reader_open(tpath("b.pcapng"), &err);
    cr_assert_not_null(r, "%s", err.msg);
    cr_assert_eq(pc_reader_linktype(r), -1, "open does not read ahead past the buffer: the IDB is not known yet");
    pc_reader_set_block_cb(r, record_block, &s);
    struct pc_pkthdr h;
    const uint8_t *d;
    cr_assert_eq(pc_reader_next(r, &h, &d), 1, "%s", pc_reader_err(r)->msg);
    cr_assert_eq(h.linktype, 1);
    cr_assert_eq(pc_reader_ninterfaces(r), 1u);
    cr_assert_eq(pc_reader_next(r, &h, &d), 1, "%s", pc_reader_err(r)->msg);
    cr_assert_eq(h.ts, 2000);
    cr_assert_eq(pc_reader_next(r, &h, &d), 0);
    cr_assert_eq(s.n, 4);
    cr_assert_eq(s.len[1], 3u << 20);
    cr_assert_eq(s.len[3], (3u << 20) + 4);
    pc_reader_close(r);
    nb_free(&f);

    /* Over PC_NG_MAX_BLOCK: refused with the reason, nothing allocated for it. */
    memset(&f, 0, sizeof f);
    nb_shb(&f, false, NULL);
    nb_idb(&f, 1, 0, NULL, -1);
    nb_epb(&f, 0, 1, k_pkt, 60, 60, NULL, 0);
    size_t at = f.n;
    nb_u32(&f, 0x00000BAD);
    nb_u32(&f, PC_NG_MAX_BLOCK + 4);
    nb_bytes(&f, big, 64);
    th_put_file(tpath("b.pcapng"), f.b, f.n);
    r = pc_reader_open(tpath("b.pcapng"), &err);
    cr_assert_eq(pc_reader_next(r, &h, &d), 1);
    cr_assert_eq(pc_reader_next(r, &h, &d), PC_ELIMIT);
    char want[128];
    snprintf(want, sizeof want, "block at byte offset %zu: block length %u exceeds this reader's limit of %u bytes", at,
             PC_NG_MAX_BLOCK + 4, PC_NG_MAX_BLOCK);
    cr_assert(strstr(pc_reader_err(r)->msg, want), "%s", pc_reader_err(r)->msg);
    cr_assert(strstr(pc_reader_err(r)->msg, "; 1 packets read"));
    pc_reader_close(r);
    nb_free(&f);
    free(big);
}

/* --------------------------------------------------------- appending */

static void append_pkts(const char *path, struct pc_writer_opts o, const struct pc_iface_spec *spec, int n,
                        pc_time_ns t0)
{
    o.append = true;
    struct pc_err err;
    struct pc_writer *w = pc_writer_open(path, &o, &err);
    cr_assert_not_null(w, "%s", err.msg);
    int idx = 0;
    if (spec) idx = pc_writer_add_interface(w, spec);
    cr_assert_geq(idx, 0, "%s", pc_writer_last_err(w)->msg);
    for (int i = 0; i < n; i++) {
        struct pc_wpacket p = { .ts = t0 + i, .data = k_pkt, .caplen = 60, .len = 60, .ifindex = (uint32_t)idx,
                                .comment = "appended", .comment_len = 8 };
        cr_assert_eq(pc_writer_write_ex(w, &p), 0, "%s", pc_writer_last_err(w)->msg);
    }
    cr_assert_eq(pc_writer_close(w, &err), 0, "%s", err.msg);
}

/* Count packets, interfaces; check the last n packets' timestamps. */
static void expect_count(const char *path, size_t pkts, uint32_t nif)
{
    struct pc_err err;
    struct pc_reader *r = pc_reader_open(path, &err);
    cr_assert_not_null(r, "%s", err.msg);
    struct pc_pkthdr h;
    size_t n = 0;
    int rc;
    while ((rc = pc_reader_next(r, &h, NULL)) == 1) n++;
    cr_assert_eq(rc, 0, "%s", pc_reader_err(r)->msg);
    cr_assert_eq(n, pkts, "%s: %zu packets", path, n);
    cr_assert_eq(pc_reader_ninterfaces(r), nif);
    pc_reader_close(r);
}

static int tshark_count(const char *path)
{
    char cmd[PATH_MAX + 100];
    snprintf(cmd, sizeof cmd, "tshark -r '%s' -T fields -e frame.encap_type 2>&1 | grep -c '^[0-9]'", path);
    char *out = run_out(cmd);
    int n = atoi(out);
    free(out);
    return n;
}

Test(pcapng, append_to_pcapng)
{
    const char *path = tpath("ap.pcapng");
    struct pc_writer_opts o = { .linktype = 1, .format = PC_FORMAT_PCAPNG };
    struct pc_err err;
    struct pc_writer *w = pc_writer_open(path, &o, &err);
    cr_assert_not_null(w);
    cr_assert_eq(pc_writer_write(w, 10, k_pkt, 60, 60), 0);
    cr_assert_eq(pc_writer_close(w, &err), 0);
    /* The implicit interface matches the file's: no new IDB. */
    append_pkts(path, (struct pc_writer_opts){ .linktype = 1 }, NULL, 2, 20);
    expect_count(path, 3, 1);
    /* An explicit interface of another link type is added. */
    struct pc_iface_spec raw = { .linktype = 101, .name = "tun9" };
    append_pkts(path, (struct pc_writer_opts){ .linktype = 1, .format = PC_FORMAT_PCAPNG }, &raw, 2, 30);
    expect_count(path, 5, 2);
    /* ... and reused the next time. */
    append_pkts(path, (struct pc_writer_opts){ .linktype = 1 }, &raw, 1, 40);
    expect_count(path, 6, 2);
    cr_assert_eq(tshark_count(path), 6);

    /* Appending to a big-endian section writes big-endian blocks. */
    char src[PATH_MAX];
    snprintf(src, sizeof src, "%s/pcapng-test-generator/output_be/basic/test001.pcapng", corpus_dir());
    size_t n;
    uint8_t *b = get_file(src, &n);
    const char *be = tpath("be.pcapng");
    th_put_file(be, b, n);
    append_pkts(be, (struct pc_writer_opts){ .linktype = 1 }, NULL, 3, INT64_C(1700000000000000000));
    size_t n2;
    uint8_t *b2 = get_file(be, &n2);
    cr_assert(n2 > n && memcmp(b, b2, n) == 0, "existing bytes untouched");
    cr_assert_eq(pc_get32(b2 + n), PC_NG_IDB, "a new IDB (the file's has another resolution), big-endian");
    free(b);
    free(b2);
    expect_count(be, 7, 2);
    cr_assert_eq(tshark_count(be), 7);

    /* A given section length is updated. */
    struct nb f = { 0 };
    nb_shb(&f, false, NULL);
    nb_idb(&f, 1, 0, NULL, 9);
    nb_epb(&f, 0, 5, k_pkt, 60, 60, NULL, 0);
    uint64_t seclen = f.n - f.blk[0].end;
    pc_put32le(f.b + 16, (uint32_t)seclen);
    pc_put32le(f.b + 20, 0);
    const char *sl = tpath("sl.pcapng");
    th_put_file(sl, f.b, f.n);
    append_pkts(sl, (struct pc_writer_opts){ .linktype = 1 }, NULL, 2, 50);
    struct pc_reader *r = pc_reader_open(sl, &err);
    cr_assert_not_null(r);
    struct pc_pkthdr h;
    while (pc_reader_next(r, &h, NULL) == 1) {}
    cr_assert_eq(pc_reader_section(r, 0)->section_len, file_size(sl) - (long long)f.blk[0].end);
    cr_assert_eq(pc_reader_count(r), 3u);
    pc_reader_close(r);
    cr_assert_eq(tshark_count(sl), 3);

    /* Aborting an append restores size and section length. */
    uint8_t *before = get_file(sl, &n);
    o = (struct pc_writer_opts){ .linktype = 1, .append = true };
    w = pc_writer_open(sl, &o, &err);
    cr_assert_not_null(w);
    for (int i = 0; i < 20000; i++) cr_assert_eq(pc_writer_write(w, 60, k_pkt, 60, 60), 0);
    cr_assert_gt(file_size(sl), (long long)n, "appended data reached the file before the abort");
    pc_writer_abort(w);
    uint8_t *after = get_file(sl, &n2);
    cr_assert(n == n2 && memcmp(before, after, n) == 0);
    free(before);
    free(after);
    nb_free(&f);
}

static void expect_append_refused(const char *path, struct pc_writer_opts o, int code, const char *substr)
{
    size_t n0, n1;
    uint8_t *before = get_file(path, &n0);
    o.append = true;
    struct pc_err err;
    cr_assert_null(pc_writer_open(path, &o, &err));
    cr_assert_eq(err.code, code, "%s", err.msg);
    cr_assert(strstr(err.msg, substr), "%s", err.msg);
    cr_assert(strncmp(err.msg, path, strlen(path)) == 0, "%s", err.msg);
    uint8_t *after = get_file(path, &n1);
    cr_assert(n0 == n1 && memcmp(before, after, n0) == 0, "file unchanged");
    free(before);
    free(after);
}

Test(pcapng, append_refusals_leave_the_file_alone)
{
    write_rich(tpath("r.pcapng"));
    expect_append_refused(tpath("r.pcapng"), (struct pc_writer_opts){ .linktype = 1, .format = PC_FORMAT_PCAP_US },
                          PC_EINVAL, "cannot append pcap to a pcapng file");
    struct pc_writer_opts o = { .linktype = 1 };
    struct pc_err err;
    struct pc_writer *w = pc_writer_open(tpath("p.pcap"), &o, &err);
    cr_assert_eq(pc_writer_close(w, &err), 0);
    expect_append_refused(tpath("p.pcap"), (struct pc_writer_opts){ .linktype = 1, .format = PC_FORMAT_PCAPNG },
                          PC_EINVAL, "cannot append pcapng to a pcap file");
    gzip_file(tpath("r.pcapng"), tpath("r.pcapng.gz"));
    expect_append_refused(tpath("r.pcapng.gz"), o, PC_EUNSUPP, "cannot append to a gzip-compressed file");
    size_t n;
    uint8_t *b = get_file(tpath("r.pcapng"), &n);
    th_put_file(tpath("cut.pcapng"), b, n - 5);
    free(b);
    expect_append_refused(tpath("cut.pcapng"), o, PC_ETRUNC, "cannot append to a damaged file: block at byte offset");
}

/* ------------------------------------------------- corrupt-file catalogue */

struct bad {
    const char *name;
    uint8_t *b;
    size_t n;
    bool open_fails;   /* the error comes from pc_reader_open() */
    size_t packets;    /* read before the error */
    int code;
    const char *substr;
    long long offset;  /* err.offset, -1: not checked */
};

static struct bad mkbad(const char *name, struct nb *f, bool open_fails, size_t packets, int code, const char *substr,
                        long long offset)
{
    struct bad b = { name, f->b, f->n, open_fails, packets, code, substr, offset };
    memset(f, 0, sizeof *f); /* the case owns the bytes now */
    return b;
}

/* One valid section with one packet, as the start of most cases. */
static void base(struct nb *f, bool big)
{
    memset(f, 0, sizeof *f);
    nb_shb(f, big, NULL);
    nb_idb(f, 1, 0, "eth0", -1);
    nb_epb(f, 0, 1000, k_pkt, 60, 60, NULL, 0);
}

static void set32(struct nb *f, size_t at, uint32_t v)
{
    if (f->big) pc_put32(f->b + at, v);
    else pc_put32le(f->b + at, v);
}

static size_t build_catalogue(struct bad *c)
{
    size_t n = 0;
    struct nb f;
    memset(&f, 0, sizeof f);
    c[n++] = mkbad("empty", &f, true, 0, PC_ETRUNC, "file too short for a pcap header (got 0 of 24 bytes)", -1);
    nb_bytes(&f, "GET / HTTP/1.1\r\nHost: x\r\n\r\n", 27);
    c[n++] = mkbad("garbage", &f, true, 0, PC_EFORMAT, "not a pcap file (magic 0x47455420 at offset 0", -1);
    nb_bytes(&f, "\x0a\x0d\x0d", 3);
    c[n++] = mkbad("three bytes of an SHB", &f, true, 0, PC_ETRUNC, "file too short", -1);
    nb_bytes(&f, "\x0a\x0d\x0d\x0a\x1c\x00\x00\x00\x4d", 9);
    c[n++] = mkbad("cut in the byte-order magic", &f, true, 0, PC_ETRUNC, "truncated section header (9 of 12 bytes)", -1);
    base(&f, false);
    set32(&f, 8, 0x11223344);
    c[n++] = mkbad("bad byte-order magic", &f, true, 0, PC_EFORMAT, "not a pcapng file (byte-order magic 0x44332211)", 0);
    nb_shb_ver(&f, false, 2, 0, NULL);
    nb_idb(&f, 1, 0, NULL, -1);
    c[n++] = mkbad("unknown major version", &f, true, 0, PC_EUNSUPP, "unsupported pcapng version 2.0", 0);
    nb_shb_ver(&f, true, 1, 1, NULL);
    c[n++] = mkbad("version 1.1 (tshark and libpcap refuse it)", &f, true, 0, PC_EUNSUPP, "unsupported pcapng version 1.1", 0);
    base(&f, false);
    set32(&f, 4, 24);
    set32(&f, 24, 24);
    c[n++] = mkbad("SHB below its minimum", &f, true, 0, PC_EMALFORMED, "block length 24 is below the minimum 28 (SHB)", 0);
    base(&f, true);
    set32(&f, f.blk[0].end - 4, 29);
    c[n++] = mkbad("SHB trailing length", &f, true, 0, PC_EMALFORMED, "trailing block length 29 differs from the leading 28", 0);

    base(&f, false);
    nb_epb(&f, 0, 2000, k_pkt, 60, 60, NULL, 0);
    size_t at = f.blk[3].start;
    set32(&f, at + 4, 94);
    c[n++] = mkbad("length not a multiple of 4", &f, false, 1, PC_EMALFORMED, "block length 94 is not a multiple of 4 (EPB)", (long long)at);
    base(&f, true);
    at = f.n;
    nb_u32(&f, 0x1234);
    nb_u32(&f, 8);
    nb_u32(&f, 8);
    c[n++] = mkbad("length below 12", &f, false, 1, PC_EMALFORMED, "block length 8 is below the minimum 12", (long long)at);
    base(&f, false);
    at = f.n;
    nb_raw_block(&f, PC_NG_EPB, "0123456789abcdef", 16);
    c[n++] = mkbad("EPB below its minimum", &f, false, 1, PC_EMALFORMED, "block length 28 is below the minimum 32 (EPB)", (long long)at);
    base(&f, false);
    nb_epb(&f, 0, 2000, k_pkt, 60, 60, NULL, 0);
    at = f.blk[3].start;
    set32(&f, f.blk[3].end - 4, 96);
    c[n++] = mkbad("trailing length mismatch", &f, false, 1, PC_EMALFORMED, "trailing block length 96 differs from the leading 92", (long long)at);
    base(&f, true);
    nb_epb(&f, 0, 2000, k_pkt, 60, 60, NULL, 0);
    at = f.blk[3].start;
    f.n -= 10;
    c[n++] = mkbad("block running past the end", &f, false, 1, PC_ETRUNC, "truncated EPB (the file ends 82 bytes into its 92)", (long long)at);
    base(&f, false);
    at = f.n;
    nb_epb(&f, 2, 2000, k_pkt, 60, 60, NULL, 0);
    c[n++] = mkbad("interface id without an IDB", &f, false, 1, PC_EMALFORMED, "EPB interface id 2 without an IDB (section 0 has 1)", (long long)at);
    memset(&f, 0, sizeof f);
    nb_shb(&f, false, NULL);
    at = f.n;
    nb_epb(&f, 0, 2000, k_pkt, 60, 60, NULL, 0);
    c[n++] = mkbad("packet before any IDB", &f, false, 0, PC_EMALFORMED, "EPB interface id 0 without an IDB (section 0 has 0)", (long long)at);
    memset(&f, 0, sizeof f);
    nb_shb(&f, false, NULL);
    at = f.n;
    nb_spb(&f, 60, k_pkt, 60);
    c[n++] = mkbad("SPB before any IDB", &f, false, 0, PC_EMALFORMED, "SPB without an IDB in its section", (long long)at);
    base(&f, false);
    at = f.n;
    nb_epb(&f, 0, 2000, k_pkt, 60, 60, NULL, 0);
    set32(&f, at + 20, 61);
    c[n++] = mkbad("caplen larger than the block", &f, false, 1, PC_EMALFORMED, "EPB caplen 61 is larger than the block (room for 60 bytes)", (long long)at);
    base(&f, false);
    at = f.n;
    {
        uint8_t *z = calloc(1, PC_PCAP_MAX_CAPLEN + 4);
        nb_epb(&f, 0, 2000, z, PC_PCAP_MAX_CAPLEN + 4, PC_PCAP_MAX_CAPLEN + 4, NULL, 0);
        free(z);
    }
    c[n++] = mkbad("caplen over 256 KiB (tshark refuses it too)", &f, false, 1, PC_EMALFORMED, "EPB caplen 262148 exceeds the maximum 262144", (long long)at);
    base(&f, false);
    at = f.n;
    nb_epb(&f, 0, 2000, k_pkt, 60, 60, "comment", 0);
    set32(&f, at + 28 + 60, 0x00400001); /* opt_comment of 64 bytes in a block with 12 left */
    c[n++] = mkbad("option running past the block", &f, false, 1, PC_EMALFORMED, "EPB option 1 of length 64 runs past the end of the block", (long long)at);
    base(&f, false);
    at = f.n;
    nb_idb(&f, 1, 0, "eth1", -1);
    set32(&f, at + 16, 0x00FF0002);
    c[n++] = mkbad("IDB option running past the block", &f, false, 1, PC_EMALFORMED, "IDB option 2 of length 255 runs past", (long long)at);
    base(&f, false);
    at = nb_begin(&f, PC_NG_NRB);
    nb_u16(&f, 1);
    nb_u16(&f, 100);
    nb_bytes(&f, "\x0a\0\0\1name", 8);
    nb_end(&f, at);
    c[n++] = mkbad("NRB record running past the block (tshark checks these)", &f, false, 1, PC_EMALFORMED,
                   "NRB record of length 100 runs past the end of the block (8 bytes left)", (long long)at);
    base(&f, false);
    nb_epb(&f, 0, 2000, k_pkt, 60, 60, NULL, 0);
    at = f.n;
    nb_shb(&f, true, NULL);
    set32(&f, at + 8, 0xdeadbeef);
    c[n++] = mkbad("later SHB with a bad byte-order magic", &f, false, 2, PC_EMALFORMED, "SHB byte-order magic 0xdeadbeef is neither", (long long)at);
    base(&f, true);
    at = f.n;
    nb_shb_ver(&f, false, 3, 0, NULL);
    c[n++] = mkbad("later SHB of an unknown version", &f, false, 1, PC_EUNSUPP, "unsupported pcapng version 3.0", (long long)at);
    base(&f, false);
    at = f.n;
    nb_u32(&f, 0x40000BAD);
    nb_u32(&f, 0xFFFFFFF0u);
    nb_u32(&f, 0);
    c[n++] = mkbad("lying huge length", &f, false, 1, PC_ELIMIT, "block length 4294967280 exceeds this reader's limit", (long long)at);
    base(&f, false);
    at = f.n;
    nb_bytes(&f, "\0\0\0\0\0\0\0\0\0\0\0\0", 12);
    c[n++] = mkbad("zeros after the last block", &f, false, 1, PC_EMALFORMED, "block length 0 is below the minimum 12", (long long)at);
    base(&f, false);
    at = f.n;
    nb_bytes(&f, "\x06\0\0\0\x5c\0", 6);
    c[n++] = mkbad("cut in a block header", &f, false, 1, PC_ETRUNC, "truncated block header (6 of 8 bytes)", (long long)at);
    base(&f, false);
    nb_epb(&f, 0, UINT64_MAX, k_pkt, 60, 60, NULL, 0);
    nb_epb(&f, 0, 3000, k_pkt, 60, 60, NULL, 0);
    nb_epb(&f, 5, 3000, k_pkt, 60, 60, NULL, 0);
    c[n++] = mkbad("a timestamp past 2262 does not stop the reader", &f, false, 3, PC_EMALFORMED, "EPB interface id 5", -1);

    /* pcap */
    struct nb p = { 0 };
    nb_u32(&p, PC_PCAP_MAGIC_US);
    nb_u16(&p, 3);
    nb_u16(&p, 0);
    nb_bytes(&p, "\0\0\0\0\0\0\0\0\xff\xff\0\0\1\0\0\0", 16);
    c[n++] = mkbad("pcap of version 3.0", &p, true, 0, PC_EUNSUPP, "unsupported pcap version 3.0", -1);
    nb_u32(&p, PC_PCAP_MAGIC_NS);
    nb_u16(&p, 2);
    nb_u16(&p, 4);
    nb_bytes(&p, "\0\0\0\0\0\0\0\0\x40\0\0\0\1\0\0\0", 16); /* snaplen 64 */
    nb_bytes(&p, "\1\0\0\0\0\0\0\0\x50\0\0\0\x50\0\0\0", 16); /* caplen 80 > snaplen: read */
    nb_bytes(&p, k_pkt, 64);
    nb_bytes(&p, k_pkt, 16);
    nb_bytes(&p, "\1\0\0\0\0\0\0\0\x01\0\x10\0\x01\0\x10\0", 16); /* caplen 1 MiB + 1 */
    c[n++] = mkbad("pcap caplen over 256 KiB", &p, false, 1, PC_EMALFORMED, "packet 2 at byte offset 120: caplen 1048577 exceeds the maximum 262144; 1 packets read", 120);
    nb_u32(&p, PC_PCAP_MAGIC_US);
    nb_u16(&p, 2);
    nb_u16(&p, 4);
    nb_bytes(&p, "\0\0\0\0\0\0\0\0\x40\0\0\0\1\0\0\0", 16);
    nb_bytes(&p, "\1\0\0\0\0\0\0\0\x20\0\0\0\x20\0\0\0", 16);
    nb_bytes(&p, k_pkt, 20);
    c[n++] = mkbad("pcap record cut short", &p, false, 0, PC_ETRUNC, "packet 1 at byte offset 24: truncated packet data (20 of 32 bytes); 0 packets read", 24);
    return n;
}

static void check_bad(const struct bad *c, const char *path)
{
    struct pc_err err;
    struct pc_reader *r = pc_reader_open(path, &err);
    if (c->open_fails) {
        cr_assert_null(r, "%s: opened", c->name);
        cr_assert_eq(err.code, c->code, "%s: code %d (%s)", c->name, err.code, err.msg);
        cr_assert(strstr(err.msg, c->substr), "%s: message '%s' lacks '%s'", c->name, err.msg, c->substr);
        if (c->offset >= 0) cr_assert_eq(err.offset, (uint64_t)c->offset, "%s", c->name);
        return;
    }
    cr_assert_not_null(r, "%s: %s", c->name, err.msg);
    struct pc_pkthdr h;
    const uint8_t *d;
    size_t k = 0;
    int rc;
    while ((rc = pc_reader_next(r, &h, &d)) == 1) k++;
    const struct pc_err *e = pc_reader_err(r);
    cr_assert_eq(rc, c->code, "%s: rc %d (%s)", c->name, rc, e->msg);
    cr_assert_eq(k, c->packets, "%s: %zu packets before the error", c->name, k);
    cr_assert(strstr(e->msg, c->substr), "%s: message '%s' lacks '%s'", c->name, e->msg, c->substr);
    cr_assert(strncmp(e->msg, path, strlen(path)) == 0, "%s: the message names the file: %s", c->name, e->msg);
    char tail[64];
    snprintf(tail, sizeof tail, "; %zu packets read", k);
    cr_assert(strstr(e->msg, tail), "%s: %s", c->name, e->msg);
    if (c->offset >= 0) cr_assert_eq(e->offset, (uint64_t)c->offset, "%s: offset %llu", c->name, (unsigned long long)e->offset);
    cr_assert_eq(pc_reader_next(r, &h, &d), c->code, "%s: errors are sticky", c->name);
    pc_reader_close(r);
}

Test(pcapng, corrupt_file_catalogue)
{
    struct bad c[64];
    size_t n = build_catalogue(c);
    for (size_t i = 0; i < n; i++) {
        th_put_file(tpath("bad"), c[i].b, c[i].n);
        check_bad(&c[i], tpath("bad"));
        /* The same through gzip: same code and count, the offset is the
         * uncompressed one and says so. */
        gzip_file(tpath("bad"), tpath("bad.gz"));
        struct bad g = c[i];
        if (strstr(g.substr, "byte offset ")) g.substr = strstr(g.substr, "byte offset ");
        check_bad(&g, tpath("bad.gz"));
        if (!c[i].open_fails && c[i].offset >= 0) {
            struct pc_err err;
            struct pc_reader *r = pc_reader_open(tpath("bad.gz"), &err);
            cr_assert_not_null(r);
            while (pc_reader_next(r, NULL, NULL) == 1) {}
            cr_assert(strstr(pc_reader_err(r)->msg, "uncompressed byte offset"), "%s", pc_reader_err(r)->msg);
            pc_reader_close(r);
        }
    }
    cr_log_info("corrupt-file catalogue: %zu cases, plain and gzip-compressed", n);
    for (size_t i = 0; i < n; i++) free(c[i].b);
}

/* The CLI turns each of them into a message and exit code 1. */
Test(pcapng, corrupt_files_give_exit_code_1)
{
    struct bad c[64];
    size_t n = build_catalogue(c);
    for (size_t i = 0; i < n; i++) {
        if (c[i].code == 0) continue;
        th_put_file(tpath("bad"), c[i].b, c[i].n);
        int st = th_sh("'%s' read '%s' >/dev/null 2>'%s'", th_cli(), tpath("bad"), tpath("err"));
        cr_assert_eq(st, 1, "%s: exit %d", c[i].name, st);
        size_t k;
        char *msg = (char *)get_file(tpath("err"), &k);
        msg = realloc(msg, k + 1);
        msg[k] = 0;
        cr_assert(strstr(msg, c[i].substr), "%s: stderr '%s'", c[i].name, msg);
        free(msg);
    }
    for (size_t i = 0; i < n; i++) free(c[i].b);
}

/* build_multi cut at every byte: a cut at a block boundary is a clean end
 * after the packets before it, a cut inside a block is PC_ETRUNC naming
 * that block's offset, after the same packets; never more, never a crash. */
Test(pcapng, cut_at_every_byte)
{
    struct nb f;
    build_multi(&f);
    const char *path = tpath("cut.pcapng");
    for (size_t n = 0; n <= f.n; n++) {
        th_put_file(path, f.b, n);
        size_t complete = 0, pk = 0;
        bool boundary = n == 0;
        long long cut_block = -1;
        for (int i = 0; i < f.nblk; i++) {
            if (f.blk[i].end <= n) {
                complete = (size_t)i + 1;
                if (f.blk[i].packet) pk++;
            }
            if (f.blk[i].end == n) boundary = true;
            if (f.blk[i].start < n && n < f.blk[i].end) cut_block = (long long)f.blk[i].start;
        }
        struct pc_err err;
        struct pc_reader *r = pc_reader_open(path, &err);
        if (complete == 0) {
            cr_assert_null(r, "cut at %zu", n);
            cr_assert_eq(err.code, PC_ETRUNC, "cut at %zu: %s", n, err.msg);
            continue;
        }
        cr_assert_not_null(r, "cut at %zu: %s", n, err.msg);
        struct pc_pkthdr h;
        const uint8_t *d;
        for (size_t i = 0; i < pk; i++) {
            cr_assert_eq(pc_reader_next(r, &h, &d), 1, "cut at %zu, packet %zu: %s", n, i + 1, pc_reader_err(r)->msg);
            check_want(r, &h, d, &k_multi[i], i);
        }
        int rc = pc_reader_next(r, &h, &d);
        if (boundary) {
            cr_assert_eq(rc, 0, "cut at boundary %zu: %s", n, pc_reader_err(r)->msg);
        } else {
            cr_assert_eq(rc, PC_ETRUNC, "cut at %zu: rc %d %s", n, rc, pc_reader_err(r)->msg);
            cr_assert_eq(pc_reader_err(r)->offset, (uint64_t)cut_block, "cut at %zu: %s", n, pc_reader_err(r)->msg);
            cr_assert(strstr(pc_reader_err(r)->msg, "truncated"), "%s", pc_reader_err(r)->msg);
        }
        pc_reader_close(r);
    }
    /* gzip-compressed and cut at every compressed byte: always an error
     * (the gzip trailer is missing), after correct packets only. */
    th_put_file(path, f.b, f.n);
    gzip_file(path, tpath("cut.gz"));
    size_t zn;
    uint8_t *z = get_file(tpath("cut.gz"), &zn);
    for (size_t n = 0; n < zn; n++) {
        th_put_file(tpath("cutz.gz"), z, n);
        struct pc_err err;
        struct pc_reader *r = pc_reader_open(tpath("cutz.gz"), &err);
        if (!r) {
            cr_assert_eq(err.code, PC_ETRUNC, "gz cut at %zu: %s", n, err.msg);
            continue;
        }
        struct pc_pkthdr h;
        const uint8_t *d;
        size_t i = 0;
        int rc;
        while ((rc = pc_reader_next(r, &h, &d)) == 1) {
            check_want(r, &h, d, &k_multi[i], i);
            i++;
        }
        cr_assert_eq(rc, PC_ETRUNC, "gz cut at %zu: rc %d %s", n, rc, pc_reader_err(r)->msg);
        cr_assert(strstr(pc_reader_err(r)->msg, "gzip data cut short"), "%s", pc_reader_err(r)->msg);
        pc_reader_close(r);
    }
    free(z);
    nb_free(&f);
}

/* The block decoder over memory ending right before a PROT_NONE page:
 * every prefix of every block, and every block with each 32-bit word
 * replaced by awkward values.  Any over-read faults at once. */
Test(pcapng, guard_pages_around_every_block)
{
    struct nb f;
    build_multi(&f);
    struct pc_ng *ng = pc_ng_new("mem", false);
    struct pc_ng *scratch = pc_ng_new("mem", false);
    cr_assert(ng && scratch);
    struct pc_err err;
    static const uint32_t words[] = { 0, 1, 3, 4, 8, 12, 0x7F, 0x80, 0xFF, 0xFFFF, 0x10000, 0x7FFFFFFF, 0xFFFFFFFF };
    long calls = 0;
    size_t pk = 0;
    for (int i = 0; i < f.nblk; i++) {
        const uint8_t *blk = f.b + f.blk[i].start;
        size_t len = f.blk[i].end - f.blk[i].start;
        for (size_t k = 0; k <= len; k++) {
            struct th_guard g;
            uint8_t *p = th_guard_copy(&g, blk, k);
            int64_t bl = pc_ng_block_len(ng, p, k, 0, &err);
            if (bl >= 0 && (size_t)bl <= k) {
                cr_assert_eq((size_t)bl, len);
                /* Decoding for real happens below; the state must not see
                 * a block twice, so only non-mutating kinds here. */
                if (f.blk[i].packet) cr_assert_eq(pc_ng_block(ng, p, k, 0, false, NULL, NULL, &err), 1);
            } else if (bl >= 0) {
                cr_assert_eq(pc_ng_block(ng, p, k, 0, false, NULL, NULL, &err), PC_ETRUNC);
            }
            calls++;
            th_guard_free(&g);
        }
        for (size_t wi = 0; wi + 4 <= len; wi += 4) {
            for (size_t v = 0; v < sizeof words / sizeof words[0]; v++) {
                struct th_guard g;
                uint8_t *p = th_guard_copy(&g, blk, len);
                pc_put32(p + wi, words[v]);
                int64_t bl = pc_ng_block_len(scratch, p, len, 0, &err);
                if (bl >= 0 && (size_t)bl <= len) (void)pc_ng_block(scratch, p, (size_t)bl, 0, false, NULL, NULL, &err);
                pc_put32le(p + wi, words[v]);
                bl = pc_ng_block_len(scratch, p, len, 0, &err);
                if (bl >= 0 && (size_t)bl <= len) (void)pc_ng_block(scratch, p, (size_t)bl, 0, false, NULL, NULL, &err);
                calls += 2;
                th_guard_free(&g);
            }
        }
        /* Now the real block, into both decoders. */
        struct th_guard g;
        uint8_t *p = th_guard_copy(&g, blk, len);
        struct pc_pkthdr h;
        const uint8_t *d;
        int rc = pc_ng_block(ng, p, len, f.blk[i].start, false, &h, &d, &err);
        cr_assert_geq(rc, 0, "block %d: %s", i, err.msg);
        if (rc == 1) {
            cr_assert_eq(h.caplen, k_multi[pk].caplen);
            pk++;
        }
        (void)pc_ng_block(scratch, p, len, f.blk[i].start, false, NULL, NULL, &err);
        th_guard_free(&g);
    }
    cr_assert_eq(pk, K_MULTI_N);
    cr_log_info("guard pages: %ld decoder calls", calls);
    pc_ng_free(ng);
    pc_ng_free(scratch);
    nb_free(&f);

    /* The option iterator on its own. */
    static const uint8_t opts[] = { 1, 0, 5, 0, 'a', 'b', 'c', 'd', 'e', 0, 0, 0, 2, 0, 4, 0, 1, 2, 3 };
    for (size_t k = 0; k <= sizeof opts; k++) {
        struct th_guard g;
        uint8_t *p = th_guard_copy(&g, opts, k);
        struct pc_ng_opts it;
        uint16_t code, l;
        const uint8_t *v;
        pc_ng_opts_init(&it, p, k, false);
        int rc, m = 0;
        while ((rc = pc_ng_opt_next(&it, &code, &v, &l)) == 1) {
            for (uint16_t j = 0; j < l; j++) calls += v[j]; /* touch every byte */
            m++;
        }
        /* A value running past the end is an error; fewer than 4 bytes
         * left (a cut option header) end the list, as tshark reads it. */
        int want = (k >= 4 && k < 9) || k >= 16 ? PC_EMALFORMED : 0;
        cr_assert_eq(rc, want, "prefix of %zu bytes: rc %d", k, rc);
        cr_assert_eq(m, k >= 9 ? 1 : 0);
        th_guard_free(&g);
    }
}

/* ------------------------------------------- conformance with tshark */

#define TSHARK_FIELDS                                                                                                 \
    "-e frame.number -e frame.time_epoch -e frame.cap_len -e frame.len -e frame.interface_id -e frame.encap_type "  \
    "-e frame.packet_flags -e frame.comment"

/* The cache of tshark's answers for this tshark and these fields (set by
 * the conformance test; see th_tshark_cache_dir). */
static char g_cache[2048];

struct cfile {
    char *path;
    char key[40];
};

struct clist {
    struct cfile *f;
    size_t n;
    uint32_t lt_seen[65536 / 32];
};

static void collect(const char *path, void *ctx)
{
    struct clist *l = ctx;
    size_t n;
    uint8_t *b = get_file(path, &n);
    l->f = realloc(l->f, (l->n + 1) * sizeof *l->f);
    l->f[l->n].path = strdup(path);
    snprintf(l->f[l->n].key, sizeof l->f[l->n].key, "%016llx-%zu", (unsigned long long)fnv(FNV0, b, n), n);
    l->n++;
    free(b);
}

static char *slurp_str(const char *path)
{
    size_t n;
    char *b = (char *)th_slurp(path, &n);
    if (!b) return NULL;
    b = realloc(b, n + 1);
    b[n] = 0;
    return b;
}

/* Packets our reader gets from a file before its end or an error. */
static size_t count_packets(const char *path)
{
    struct pc_err e;
    struct pc_reader *r = pc_reader_open(path, &e);
    size_t n = 0;
    struct pc_pkthdr h;
    while (r && pc_reader_next(r, &h, NULL) == 1) n++;
    if (r) pc_reader_close(r);
    return n;
}

/* tshark's answer for one file is a real one: it exited 0 having printed
 * something (or the file has no packet), or 2 with a file error (damaged,
 * unsupported: the file's fault).  NULL when it is, else why not. */
static const char *entry_problem(const struct cfile *cf, char *why, size_t cap)
{
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/%s.rc", g_cache, cf->key);
    char *rc = slurp_str(path);
    if (!rc || !*rc) {
        free(rc);
        snprintf(why, cap, "no exit status recorded");
        return why;
    }
    int st = atoi(rc);
    free(rc);
    if (st == 0) {
        snprintf(path, sizeof path, "%s/%s.out", g_cache, cf->key);
        char *out = slurp_str(path);
        bool empty = !out || !*out;
        free(out);
        size_t n = empty ? count_packets(cf->path) : 0;
        if (!n) return NULL;
        snprintf(why, cap, "exit 0 but no output for a file of %zu packets", n);
        return why;
    }
    snprintf(path, sizeof path, "%s/%s.err", g_cache, cf->key);
    char *err = slurp_str(path);
    bool file_error = false;
    for (char *line = err ? strtok(err, "\n") : NULL; line; line = strtok(NULL, "\n"))
        file_error |= th_tshark_file_error(line) != 0;
    snprintf(why, cap, "exit %d without a file error", st);
    free(err);
    return st == 2 && file_error ? NULL : why;
}

static void drop_entry(const char *key)
{
    static const char *const ext[] = { "out", "err", "rc" };
    for (int i = 0; i < 3; i++) {
        char path[PATH_MAX];
        snprintf(path, sizeof path, "%s/%s.%s", g_cache, key, ext[i]);
        unlink(path);
    }
}

/* Run tshark over every file whose output is not cached yet, three at a
 * time (xargs -P), each into <cache>/<key>.{out,err,rc} (.out renamed into
 * place last, so an interrupted run leaves no entry).  Then every entry
 * must be a real answer (entry_problem): a failed one is removed, never
 * kept, and fails the test. */
static void fill_cache(const struct clist *l)
{
    const char *list = tpath("todo");
    FILE *f = fopen(list, "wb");
    cr_assert_not_null(f);
    size_t todo = 0;
    for (size_t i = 0; i < l->n; i++) {
        char out[PATH_MAX];
        snprintf(out, sizeof out, "%s/%s.out", g_cache, l->f[i].key);
        if (access(out, F_OK) == 0) continue;
        fprintf(f, "%s%c%s/%s%c", l->f[i].path, 0, g_cache, l->f[i].key, 0);
        todo++;
    }
    fclose(f);
    if (todo) {
        int st = th_sh("xargs -0 -n 2 -P 3 sh -c 'tshark -n -r \"$0\" -T fields " TSHARK_FIELDS
                       " > \"$1.tmp$$\" 2> \"$1.err\"; echo $? > \"$1.rc\"; mv \"$1.tmp$$\" \"$1.out\"' < '%s'",
                       list);
        cr_assert_eq(st, 0, "running tshark over the corpus failed (xargs status %d)", st);
    }
    size_t bad = 0;
    char first[1024] = "";
    for (size_t i = 0; i < l->n; i++) {
        char why[128];
        if (!entry_problem(&l->f[i], why, sizeof why)) continue;
        if (!bad++) snprintf(first, sizeof first, "%s: %s", l->f[i].path, why);
        drop_entry(l->f[i].key);
    }
    cr_assert_eq(bad, 0u, "tshark failed on %zu of %zu corpus files (nothing of them cached); first: %s", bad, l->n,
                 first);
    cr_log_info("tshark: ran over %zu files (the other %zu were cached in %s)", todo, l->n - todo, g_cache);
}

/* The link-type probe's answer for lts[from..nlt): one pcapng with an IDB
 * and a packet per link type.  tshark prints a row per packet up to one
 * it cannot take (then it exits 2 with a file error), so the rows give
 * encapsulations from lts[from] on; returns how many.  A tshark failing
 * any other way, or stopping early with exit 0, fails the test. */
static int encap_probe(const int *lts, int from, int nlt, FILE *o)
{
    struct nb f = { 0 };
    nb_shb(&f, false, NULL);
    for (int i = from; i < nlt; i++) nb_idb(&f, (uint16_t)lts[i], 0, NULL, -1);
    for (int i = from; i < nlt; i++) nb_epb(&f, (uint32_t)(i - from), 1, k_pkt, 64, 64, NULL, 0);
    th_put_file(tpath("encap.pcapng"), f.b, f.n);
    nb_free(&f);
    char cmd[PATH_MAX * 2];
    snprintf(cmd, sizeof cmd, "tshark -r '%s' -T fields -e frame.encap_type 2>'%s'", tpath("encap.pcapng"),
             tpath("encap.err"));
    int st;
    char *out = th_cmd_output(cmd, &st);
    static char *rowv[70000];
    int nl = split(out, '\n', rowv, 70000), got = 0;
    for (int i = 0; i < nl && from + got < nlt; i++) {
        if (!rowv[i][0]) continue;
        cr_assert_eq(strspn(rowv[i], "-0123456789"), strlen(rowv[i]), "link-type probe: odd tshark row \"%s\"", rowv[i]);
        fprintf(o, "%d %s\n", lts[from + got], rowv[i]);
        got++;
    }
    free(out);
    char *err = slurp_str(tpath("encap.err"));
    bool file_error = false;
    for (char *line = err ? strtok(err, "\n") : NULL; line; line = strtok(NULL, "\n"))
        file_error |= th_tshark_file_error(line) != 0;
    free(err);
    bool ok = WIFEXITED(st) && (WEXITSTATUS(st) == 0 ? from + got == nlt : WEXITSTATUS(st) == 2 && file_error);
    cr_assert(ok, "link-type probe: tshark (status 0x%x) printed %d rows for %d link types %s", (unsigned)st, got,
              nlt - from, file_error ? "" : "and no file error");
    return got;
}

/* A cached link-type map is used only when it has a line for each of the
 * nlt link types, and at least one of them mapped. */
static bool encap_parse(char *text, const int *lts, int nlt, int *map)
{
    static char *lines[70000];
    int nl = split(text, '\n', lines, 70000), k = 0, mapped = 0;
    for (int i = 0; i < nl; i++) {
        int lt, enc;
        if (!lines[i][0]) continue;
        if (sscanf(lines[i], "%d %d", &lt, &enc) != 2 || k >= nlt || lt != lts[k]) return false;
        map[lt] = enc;
        mapped += enc >= 0;
        k++;
    }
    return k == nlt && mapped > 0;
}

/* tshark's encapsulation number for each link type we saw: one pcapng
 * with an IDB and a packet per link type, read once (retried past a link
 * type whose packet tshark refuses).  -2: tshark refuses it.  Cached
 * (with this tshark's version) only once complete. */
static int encap_map(const struct clist *l, int *map)
{
    static int lts[65536];
    int nlt = 0;
    for (int lt = 0; lt < 65536; lt++) {
        map[lt] = -1;
        if (l->lt_seen[lt / 32] & (1u << (lt % 32))) lts[nlt++] = lt;
    }
    cr_assert_gt(nlt, 0, "the corpus gave no link type");
    char key[PATH_MAX];
    snprintf(key, sizeof key, "%s/encap-%016llx.txt", g_cache, (unsigned long long)fnv(FNV0, lts, nlt * sizeof *lts));
    char *cached = slurp_str(key);
    if (cached && !encap_parse(cached, lts, nlt, map)) {
        cr_log_warn("ignoring the incomplete link-type map %s", key);
        for (int i = 0; i < nlt; i++) map[lts[i]] = -1;
        free(cached);
        cached = NULL;
    }
    if (!cached) {
        FILE *o = fopen(tpath("encap.txt"), "w");
        cr_assert_not_null(o);
        int from = 0;
        while (from < nlt) {
            int got = encap_probe(lts, from, nlt, o);
            if (from + got < nlt) fprintf(o, "%d -2\n", lts[from + got]); /* the one that stopped tshark */
            from += got + 1;
        }
        fclose(o);
        char *fresh = slurp_str(tpath("encap.txt"));
        cr_assert_not_null(fresh);
        cr_assert(encap_parse(fresh, lts, nlt, map), "the link-type probe mapped none of %d link types", nlt);
        free(fresh);
        cr_assert_eq(th_sh("cp '%s' '%s.tmp' && mv '%s.tmp' '%s'", tpath("encap.txt"), key, key, key), 0);
    }
    free(cached);
    int mapped = 0;
    for (int i = 0; i < nlt; i++) mapped += map[lts[i]] >= 0;
    cr_log_info("link types: %d seen in the corpus, %d with a tshark encapsulation", nlt, mapped);
    return mapped;
}

/* Link types whose pseudo-header wiretap strips off before tshark sees
 * the packet, so frame.cap_len and frame.len are that much smaller:
 * SunATM 4, MTP2 with pseudo-header 4, Linux IrDA 16, Linux LAPD 16, SITA
 * 5, Bluetooth H4 with pseudo-header 4, PPP with direction 1, Linux I2C 4. */
static uint32_t phdr_len(int lt)
{
    switch (lt) {
    case 123: return 4;
    case 139: return 4;
    case 144: return 16;
    case 177: return 16;
    case 196: return 5;
    case 201: return 4;
    case 204: return 1;
    case 209: return 4;
    default: return 0;
    }
}

struct tsrow {
    char *f[8]; /* number, epoch, cap, len, ifid, encap, flags, comment */
};

/* Parse tshark's output: a row per frame (a comment may span lines, so a
 * line that does not start with "<number>\t" continues the previous
 * row); frames without an encapsulation (custom blocks) are dropped. */
static size_t parse_rows(char *out, struct tsrow **rows)
{
    size_t n = 0, cap = 64;
    *rows = malloc(cap * sizeof **rows);
    char *p = out;
    while (*p) {
        char *nl = strchr(p, '\n');
        if (nl) *nl = 0;
        size_t digits = strspn(p, "0123456789");
        if (digits && p[digits] == '\t') {
            if (n == cap) *rows = realloc(*rows, (cap *= 2) * sizeof **rows);
            int k = split(p, '\t', (*rows)[n].f, 8);
            for (; k < 8; k++) (*rows)[n].f[k] = "";
            n++;
        } else if (n && p[0]) {
            /* continuation of a comment: put the newline back */
            p[-1] = '\n';
        }
        if (!nl) break;
        p = nl + 1;
    }
    size_t m = 0;
    for (size_t i = 0; i < n; i++)
        if ((*rows)[i].f[5][0]) (*rows)[m++] = (*rows)[i];
    return m;
}

struct conf {
    size_t files, packets, mismatches, damaged_agree, unsupported_lt, phdr, tshark_bad_time, unrepresentable,
        no_ts, no_encap, encap_compared, times_compared, comments, gz_files;
    char detail[4096];
    size_t dlen;
};

__attribute__((format(printf, 2, 3)))
static void mismatch(struct conf *c, const char *fmt, ...)
{
    c->mismatches++;
    if (c->dlen > sizeof c->detail - 300) return;
    va_list ap;
    va_start(ap, fmt);
    c->dlen += (size_t)vsnprintf(c->detail + c->dlen, sizeof c->detail - c->dlen, fmt, ap);
    va_end(ap);
    c->dlen += (size_t)snprintf(c->detail + c->dlen, sizeof c->detail - c->dlen, "\n");
}

static void compare_file(struct conf *c, const struct cfile *cf, const int *encap)
{
    size_t mismatches_before = c->mismatches;
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/%s.out", g_cache, cf->key);
    char *out = slurp_str(path);
    cr_assert_not_null(out, "no tshark output for %s", cf->path);
    snprintf(path, sizeof path, "%s/%s.err", g_cache, cf->key);
    char *err = slurp_str(path);
    /* tshark's complaint, without its note about running as root. */
    bool t_err = false, t_unsupp = false;
    for (char *line = err ? strtok(err, "\n") : NULL; line; line = strtok(NULL, "\n")) {
        if (strstr(line, "Running as user") || !line[0]) continue;
        t_err = true;
        if (strstr(line, "unknown or unsupported")) t_unsupp = true;
    }
    struct tsrow *rows;
    size_t nrows = parse_rows(out, &rows);
    const char *name = cf->path + strlen(corpus_dir()) + 1;
    c->files++;

    struct pc_err e;
    struct pc_reader *r = pc_reader_open(cf->path, &e);
    size_t k = 0;
    int rc = r ? 0 : e.code;
    struct pc_pkthdr h;
    const uint8_t *d;
    while (r && (rc = pc_reader_next(r, &h, &d)) == 1) {
        size_t i = k++;
        if (t_unsupp || i >= nrows) continue;
        struct tsrow *t = &rows[i];
        c->packets++;
        /* Timestamp, to the nanosecond. */
        pc_time_ns ts;
        if (!t->f[1][0]) {
            if (h.has_ts) mismatch(c, "%s packet %zu: tshark has no timestamp, we have %lld", name, i + 1, (long long)h.ts);
            c->no_ts++;
        } else if (h.ts_clamped) {
            /* Beyond 2262: tshark's seconds have more than 10 digits. */
            if (strcspn(t->f[1], ".") <= 10) mismatch(c, "%s packet %zu: clamped, but tshark says %s", name, i + 1, t->f[1]);
            c->unrepresentable++;
        } else if (!parse_epoch(t->f[1], &ts)) {
            /* tshark 4.0 stores nanoseconds in an int: a fraction field
             * of 2^32 / 1000 us or more wraps (tcpdump's *oobr* files). */
            c->tshark_bad_time++;
        } else if (ts != h.ts) {
            mismatch(c, "%s packet %zu: time %s, we %lld", name, i + 1, t->f[1], (long long)h.ts);
        } else {
            c->times_compared++;
        }
        /* Lengths, allowing for the pseudo-headers wiretap strips. */
        uint32_t tcap = (uint32_t)strtoul(t->f[2], NULL, 10), tlen = (uint32_t)strtoul(t->f[3], NULL, 10);
        if (tcap != h.caplen || tlen != h.len) {
            uint32_t ph = phdr_len(h.linktype);
            if (ph && h.caplen - tcap == ph && h.len - tlen == ph) c->phdr++;
            else mismatch(c, "%s packet %zu: lengths %u/%u, we %u/%u", name, i + 1, tcap, tlen, h.caplen, h.len);
        }
        /* Interface: tshark 4.0 prints the id within the section. */
        if (t->f[4][0] && strtoul(t->f[4], NULL, 10) != pc_reader_interface(r, h.ifindex)->local_id)
            mismatch(c, "%s packet %zu: interface %s, we %u (local %u)", name, i + 1, t->f[4], h.ifindex,
                     pc_reader_interface(r, h.ifindex)->local_id);
        /* Link type, through tshark's encapsulation numbers. */
        int want = encap[h.linktype & 0xFFFF];
        if (want < 0) c->no_encap++;
        else if (want != atoi(t->f[5]))
            mismatch(c, "%s packet %zu: encapsulation %s, our link type %d is %d", name, i + 1, t->f[5], h.linktype, want);
        else c->encap_compared++;
        /* Flags and comments (tshark joins several with commas). */
        if (t->f[6][0] && strtoul(t->f[6], NULL, 16) != h.flags)
            mismatch(c, "%s packet %zu: flags %s, we 0x%08x", name, i + 1, t->f[6], h.flags);
        char com[2048];
        size_t cl = 0;
        for (uint32_t j = 0; j < h.ncomments; j++) {
            const uint8_t *cp;
            uint32_t len;
            cr_assert_eq(pc_reader_comment(r, j, &cp, &len), 1);
            cl += (size_t)snprintf(com + cl, sizeof com - cl, "%s%.*s", j ? "," : "", (int)len, (const char *)cp);
            if (cl >= sizeof com) cl = sizeof com - 1;
        }
        com[cl] = 0;
        if (h.ncomments) c->comments++;
        if (strcmp(com, t->f[7]) != 0) mismatch(c, "%s packet %zu: comment '%s', we '%s'", name, i + 1, t->f[7], com);
    }
    if (t_unsupp) {
        /* tshark cannot dissect the link type; we still read the file. */
        c->unsupported_lt++;
        if (rc != 0) mismatch(c, "%s: tshark refuses the link type; we fail: %s", name, r ? pc_reader_err(r)->msg : e.msg);
    } else {
        if (k != nrows) mismatch(c, "%s: tshark %zu packets, we %zu", name, nrows, k);
        if (t_err && rc >= 0) mismatch(c, "%s: tshark reports damage, we read to a clean end", name);
        if (!t_err && rc < 0) mismatch(c, "%s: we fail (%s), tshark does not", name, r ? pc_reader_err(r)->msg : e.msg);
        if (t_err && rc < 0) c->damaged_agree++;
    }
    /* An answer we disagree with (an empty one from a broken tshark
     * included) is not kept: the next run asks tshark again. */
    if (c->mismatches != mismatches_before) drop_entry(cf->key);
    if (r) pc_reader_close(r);
    free(rows);
    free(out);
    free(err);
}

static void note_linktypes(struct clist *l)
{
    for (size_t i = 0; i < l->n; i++) {
        struct pc_err e;
        struct pc_reader *r = pc_reader_open(l->f[i].path, &e);
        if (!r) continue;
        struct pc_pkthdr h;
        while (pc_reader_next(r, &h, NULL) == 1) {
            unsigned lt = (unsigned)h.linktype & 0xFFFFu;
            l->lt_seen[lt / 32] |= 1u << (lt % 32);
        }
        pc_reader_close(r);
    }
}

Test(reader, corpus_agrees_with_tshark)
{
    cr_assert_eq(th_sh("test -f '%s/MANIFEST.tsv'", corpus_dir()), 0, "the corpus is missing at %s", corpus_dir());
    th_tshark_require();
    th_tshark_cache_dir("corpus conformance: tshark -n -r FILE -T fields " TSHARK_FIELDS, g_cache, sizeof g_cache);
    static struct clist l;
    corpus_walk(corpus_dir(), collect, &l);
    fill_cache(&l);
    note_linktypes(&l);
    static int encap[65536];
    int mapped = encap_map(&l, encap);
    static struct conf c;
    for (size_t i = 0; i < l.n; i++) compare_file(&c, &l.f[i], encap);
    cr_log_info("conformance with tshark: %zu files, %zu packets compared (time, caplen, len, interface, link type, "
                "flags, comments), %zu mismatches",
                c.files, c.packets, c.mismatches);
    cr_log_info("  %zu damaged files rejected by both after the same packets; %zu files of link types tshark "
                "refuses, read by us; %zu packets without a timestamp (SPB) on both sides",
                c.damaged_agree, c.unsupported_lt, c.no_ts);
    cr_log_info("  not compared: %zu timestamps tshark 4.0 wraps (fraction overflow), %zu past 2262 (we clamp and "
                "flag), %zu link types tshark has no encapsulation for; %zu lengths differ by the pseudo-header "
                "wiretap strips; %zu packets with comments",
                c.tshark_bad_time, c.unrepresentable, c.no_encap, c.phdr, c.comments);
    cr_log_info("  compared: %zu timestamps to the nanosecond, %zu packets' link types (%d link types with a tshark "
                "encapsulation)", c.times_compared, c.encap_compared, mapped);
    cr_assert_eq(c.mismatches, 0u, "%zu mismatches (tshark's answers for those files were not kept):\n%s",
                 c.mismatches, c.detail);
    /* Minimums, a little below tshark 4.0.17's figures on the 330 files:
     * 39127 packets, 39008 timestamps and 39127 link types compared, 43
     * link types seen, every one with an encapsulation. */
    cr_assert_geq(c.files, 320u, "only %zu corpus files", c.files);
    cr_assert_geq(c.packets, 38000u, "only %zu packets compared", c.packets);
    cr_assert_geq(c.times_compared, 38000u, "only %zu timestamps compared", c.times_compared);
    cr_assert_geq(c.encap_compared, 38000u, "only %zu packets' link types compared", c.encap_compared);
    cr_assert_geq(mapped, 40, "tshark gave an encapsulation for only %d link types", mapped);
    for (size_t i = 0; i < l.n; i++) free(l.f[i].path);
    free(l.f);
}

/* ----------------------------------------------------------------- gzip */

/* Read a whole file: count, final code and a hash of everything. */
static uint64_t digest(const char *path, size_t *n, int *rc, bool *gz)
{
    struct pc_err e;
    struct pc_reader *r = pc_reader_open(path, &e);
    uint64_t hs = FNV0;
    *n = 0;
    if (!r) {
        *rc = e.code;
        *gz = false;
        return hs;
    }
    *gz = pc_reader_gzip(r);
    struct pc_pkthdr h;
    const uint8_t *d;
    while ((*rc = pc_reader_next(r, &h, &d)) == 1) {
        (*n)++;
        hs = fnv(hs, &h.ts, sizeof h.ts);
        hs = fnv(hs, &h.caplen, 4);
        hs = fnv(hs, &h.len, 4);
        hs = fnv(hs, &h.linktype, sizeof h.linktype);
        hs = fnv(hs, &h.ifindex, 4);
        hs = fnv(hs, &h.flags, 4);
        hs = fnv(hs, d, h.caplen);
        if (h.comment) hs = fnv(hs, h.comment, h.comment_len);
    }
    hs = fnv(hs, &pc_reader_err(r)->offset, 8);
    pc_reader_close(r);
    return hs;
}

static void gz_one(const char *path, void *ctx)
{
    struct conf *c = ctx;
    gzip_file(path, tpath("z.gz"));
    size_t n1, n2;
    int rc1, rc2;
    bool g1, g2;
    uint64_t a = digest(path, &n1, &rc1, &g1), b = digest(tpath("z.gz"), &n2, &rc2, &g2);
    cr_assert_eq(n1, n2, "%s: %zu packets plain, %zu gzip-compressed", path, n1, n2);
    cr_assert_eq(rc1, rc2, "%s", path);
    cr_assert_eq(a, b, "%s: the same packets, the same error offset", path);
    cr_assert(!g1 && (g2 || rc2 < 0 || n2 == 0));
    c->gz_files++;
    c->packets += n1;
}

Test(reader, gzip_reads_the_same_as_plain_over_the_corpus)
{
    struct conf c = { 0 };
    corpus_walk(corpus_dir(), gz_one, &c);
    cr_log_info("gzip: %zu corpus files read identically compressed and plain (%zu packets)", c.gz_files, c.packets);
    /* A little below the 330 files and 39172 packets of the corpus. */
    cr_assert_geq(c.gz_files, 320u, "only %zu corpus files compared compressed and plain", c.gz_files);
    cr_assert_geq(c.packets, 38000u, "only %zu packets compared compressed and plain", c.packets);
}

Test(reader, gzip_of_each_format_and_stdin)
{
    /* pcap-us, pcap-ns, big-endian pcap, pcapng of several sections. */
    struct pc_writer_opts o = { .linktype = 1, .tsprec = PC_TSPREC_US };
    struct pc_err err;
    struct pc_writer *w = pc_writer_open(tpath("us.pcap"), &o, &err);
    for (int i = 0; i < 500; i++) pc_writer_write(w, INT64_C(1500000000123456789) + i, k_pkt, 60, 60);
    cr_assert_eq(pc_writer_close(w, &err), 0);
    o.tsprec = PC_TSPREC_NS;
    w = pc_writer_open(tpath("ns.pcap"), &o, &err);
    for (int i = 0; i < 500; i++) pc_writer_write(w, INT64_C(1500000000123456789) + i, k_pkt, 60, 60);
    cr_assert_eq(pc_writer_close(w, &err), 0);
    char be[PATH_MAX];
    snprintf(be, sizeof be, "%s/pcapplusplus/Tests/Pcap++Test/PcapExamples/microsecs_big_endian.pcap", corpus_dir());
    struct nb f;
    build_multi(&f);
    th_put_file(tpath("m.pcapng"), f.b, f.n);
    nb_free(&f);
    char in[4][PATH_MAX]; /* tpath() buffers rotate: keep copies */
    snprintf(in[0], PATH_MAX, "%s", tpath("us.pcap"));
    snprintf(in[1], PATH_MAX, "%s", tpath("ns.pcap"));
    snprintf(in[2], PATH_MAX, "%s", be);
    snprintf(in[3], PATH_MAX, "%s", tpath("m.pcapng"));
    const int fmt[] = { PC_FORMAT_PCAP_US, PC_FORMAT_PCAP_NS, -1, PC_FORMAT_PCAPNG };
    for (int i = 0; i < 4; i++) {
        gzip_file(in[i], tpath("x.gz"));
        size_t n1, n2;
        int rc1, rc2;
        bool g1, g2;
        uint64_t a = digest(in[i], &n1, &rc1, &g1), b = digest(tpath("x.gz"), &n2, &rc2, &g2);
        cr_assert(n1 > 0 && rc1 == 0 && rc2 == 0 && n1 == n2 && a == b && g2 && !g1, "%s", in[i]);
        struct pc_reader *r = pc_reader_open(tpath("x.gz"), &err);
        if (fmt[i] >= 0) cr_assert_eq(pc_reader_format(r), fmt[i]);
        pc_reader_close(r);
        /* The same through standard input. */
        int fd = open(tpath("x.gz"), O_RDONLY);
        int saved = dup(STDIN_FILENO);
        dup2(fd, STDIN_FILENO);
        close(fd);
        uint64_t s = digest("-", &n2, &rc2, &g2);
        dup2(saved, STDIN_FILENO);
        close(saved);
        cr_assert(s == a && n2 == n1 && rc2 == 0 && g2, "%s via stdin", in[i]);
    }
}

Test(reader, gzip_errors_name_the_compressed_offset)
{
    struct nb f;
    build_multi(&f);
    th_put_file(tpath("m.pcapng"), f.b, f.n);
    nb_free(&f);
    gzip_file(tpath("m.pcapng"), tpath("m.gz"));
    size_t zn;
    uint8_t *z = get_file(tpath("m.gz"), &zn);
    struct pc_err err;
    struct pc_pkthdr h;
    int rc;
    size_t k;

    /* A wrong CRC: every packet, then the error at the trailer. */
    uint8_t *y = malloc(zn + 64);
    memcpy(y, z, zn);
    y[zn - 8] ^= 0xFF;
    th_put_file(tpath("crc.gz"), y, zn);
    struct pc_reader *r = pc_reader_open(tpath("crc.gz"), &err);
    cr_assert_not_null(r, "%s", err.msg);
    for (k = 0; (rc = pc_reader_next(r, &h, NULL)) == 1; k++) {}
    cr_assert_eq(k, K_MULTI_N);
    cr_assert_eq(rc, PC_EMALFORMED);
    char want[128];
    snprintf(want, sizeof want, "gzip data error at compressed byte offset %zu: incorrect data check", zn - 4);
    cr_assert(strstr(pc_reader_err(r)->msg, want), "%s", pc_reader_err(r)->msg);
    pc_reader_close(r);

    /* A bad header: refused at open. */
    memcpy(y, z, zn);
    y[2] = 7; /* compression method */
    th_put_file(tpath("hdr.gz"), y, zn);
    cr_assert_null(pc_reader_open(tpath("hdr.gz"), &err));
    cr_assert_eq(err.code, PC_EMALFORMED);
    cr_assert(strstr(err.msg, "gzip data error at compressed byte offset"), "%s", err.msg);
    cr_assert(strstr(err.msg, "unknown compression method"), "%s", err.msg);

    /* Trailing garbage after a complete stream. */
    memcpy(y, z, zn);
    memcpy(y + zn, "garbage!", 8);
    th_put_file(tpath("tail.gz"), y, zn + 8);
    r = pc_reader_open(tpath("tail.gz"), &err);
    for (k = 0; (rc = pc_reader_next(r, &h, NULL)) == 1; k++) {}
    cr_assert_eq(k, K_MULTI_N);
    cr_assert_eq(rc, PC_EMALFORMED);
    snprintf(want, sizeof want, "trailing garbage after the gzip data at compressed byte offset %zu", zn);
    cr_assert(strstr(pc_reader_err(r)->msg, want), "%s", pc_reader_err(r)->msg);
    pc_reader_close(r);

    /* Two members (split inside a block) read as one stream, as gzip -d
     * reads them. */
    size_t n;
    uint8_t *plain = get_file(tpath("m.pcapng"), &n);
    th_put_file(tpath("a"), plain, 101);
    th_put_file(tpath("b"), plain + 101, n - 101);
    gzip_file(tpath("a"), tpath("a.gz"));
    gzip_file(tpath("b"), tpath("b.gz"));
    cr_assert_eq(th_sh("cat '%s' '%s' > '%s'", tpath("a.gz"), tpath("b.gz"), tpath("ab.gz")), 0);
    size_t n1, n2;
    int rc1, rc2;
    bool g1, g2;
    cr_assert_eq(digest(tpath("ab.gz"), &n1, &rc1, &g1), digest(tpath("m.pcapng"), &n2, &rc2, &g2));
    cr_assert(n1 == K_MULTI_N && rc1 == 0 && g1);
    free(plain);
    free(y);
    free(z);
}

Test(reader, pipe_with_short_reads)
{
    struct nb f;
    build_multi(&f);
    for (int gz = 0; gz < 2; gz++) {
        th_put_file(tpath("m.pcapng"), f.b, f.n);
        if (gz) gzip_file(tpath("m.pcapng"), tpath("m.pcapng"));
        size_t total;
        uint8_t *b = get_file(tpath("m.pcapng"), &total);
        int fds[2];
        cr_assert_eq(pipe(fds), 0);
        pid_t pid = fork();
        if (pid == 0) {
            close(fds[0]);
            for (size_t off = 0, step = 1; off < total; off += step, step = step % 7 + 1)
                if (write(fds[1], b + off, total - off < step ? total - off : step) < 0) _exit(1);
            _exit(0);
        }
        close(fds[1]);
        struct pc_err err;
        struct pc_reader *r = pc_reader_fdopen(fds[0], "pipe", &err);
        cr_assert_not_null(r, "%s", err.msg);
        cr_assert_eq(pc_reader_gzip(r), gz == 1);
        struct pc_pkthdr h;
        const uint8_t *d;
        for (size_t i = 0; i < K_MULTI_N; i++) {
            cr_assert_eq(pc_reader_next(r, &h, &d), 1, "%s", pc_reader_err(r)->msg);
            check_want(r, &h, d, &k_multi[i], i);
        }
        cr_assert_eq(pc_reader_next(r, &h, &d), 0, "%s", pc_reader_err(r)->msg);
        pc_reader_close(r);
        close(fds[0]);
        int st;
        waitpid(pid, &st, 0);
        free(b);
    }
    nb_free(&f);
}

Test(reader, pcap_link_type_field_with_fcs_bits)
{
    /* tshark and libpcap take the low 16 bits as the link type; the "F"
     * bit (26) says bits 28-31 hold the FCS length in 16-bit words. */
    struct nb p = { 0 };
    nb_u32(&p, PC_PCAP_MAGIC_US);
    nb_u16(&p, 2);
    nb_u16(&p, 4);
    nb_u32(&p, 0);
    nb_u32(&p, 0);
    nb_u32(&p, 65535);
    nb_u32(&p, 0x24000001u);
    nb_bytes(&p, "\1\0\0\0\0\0\0\0\x40\0\0\0\x40\0\0\0", 16);
    nb_bytes(&p, k_pkt, 64);
    th_put_file(tpath("fcs.pcap"), p.b, p.n);
    struct pc_err err;
    struct pc_reader *r = pc_reader_open(tpath("fcs.pcap"), &err);
    cr_assert_not_null(r);
    cr_assert_eq(pc_reader_linktype(r), 1);
    cr_assert_eq(pc_reader_linktype_field(r), 0x24000001u);
    cr_assert_eq(pc_reader_interface(r, 0)->fcslen, 4);
    cr_assert_eq(pc_reader_ninterfaces(r), 1u);
    cr_assert_eq(pc_reader_nsections(r), 0u);
    struct pc_pkthdr h;
    cr_assert_eq(pc_reader_next(r, &h, NULL), 1);
    cr_assert_eq(h.linktype, 1);
    pc_reader_close(r);
    char cmd[PATH_MAX + 100];
    snprintf(cmd, sizeof cmd, "tshark -r '%s' -T fields -e frame.encap_type -e frame.len 2>&1 | grep -v Running",
             tpath("fcs.pcap"));
    char *out = run_out(cmd);
    cr_assert_str_eq(out, "1\t64\n", "tshark reads it as Ethernet: %s", out);
    free(out);
    nb_free(&p);
}

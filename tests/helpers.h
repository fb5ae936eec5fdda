/* Small helpers shared by the criterion tests (static: each test file is
 * its own translation unit inside one test binary). */
#ifndef PKTCRAFT_TEST_HELPERS_H
#define PKTCRAFT_TEST_HELPERS_H

#include <criterion/criterion.h>

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "pktcraft/pktcraft.h"

/* Hex string to bytes; returns the byte count. */
static inline size_t th_unhex(const char *hex, uint8_t *out, size_t cap)
{
    size_t n = 0;
    while (hex[0] && hex[1] && n < cap) {
        unsigned v;
        sscanf(hex, "%2x", &v);
        out[n++] = (uint8_t)v;
        hex += 2;
    }
    return n;
}

static inline void th_hex(const uint8_t *p, size_t n, char *out)
{
    for (size_t i = 0; i < n; i++) sprintf(out + 2 * i, "%02x", p[i]);
    out[2 * n] = 0;
}

/* A copy of len bytes placed so that its last byte is the last readable
 * byte before a PROT_NONE page: any over-read faults at once. */
struct th_guard { uint8_t *map; size_t maplen; uint8_t *p; };

static inline uint8_t *th_guard_copy(struct th_guard *g, const void *src, size_t len)
{
    long pg = sysconf(_SC_PAGESIZE);
    size_t pages = (len + (size_t)pg - 1) / (size_t)pg + 1;
    g->maplen = (pages + 1) * (size_t)pg;
    g->map = mmap(NULL, g->maplen, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (g->map == MAP_FAILED) abort();
    mprotect(g->map + pages * (size_t)pg, (size_t)pg, PROT_NONE);
    g->p = g->map + pages * (size_t)pg - len;
    if (len) memcpy(g->p, src, len);
    return g->p;
}

static inline void th_guard_free(struct th_guard *g) { munmap(g->map, g->maplen); }

/* Path of the CLI under test and of the project root (set by make test). */
static inline const char *th_cli(void)
{
    const char *p = getenv("PKTCRAFT");
    return p ? p : "build/asan/pktcraft";
}
static inline const char *th_root(void)
{
    const char *p = getenv("PKTCRAFT_ROOT");
    return p ? p : ".";
}

/* The build tree the tests run from: $PKTCRAFT_BUILD_DIR (make test sets
 * it to $(BUILD)), else $PKTCRAFT_ROOT/build.  Caches and the files a
 * failing test keeps for a look by hand go there, never to a fixed /tmp
 * path; `make clean` removes them with the build. */
static inline const char *th_build_dir(void)
{
    static char p[2048];
    const char *e = getenv("PKTCRAFT_BUILD_DIR");
    if (e && *e) snprintf(p, sizeof p, "%s", e);
    else snprintf(p, sizeof p, "%s/build", th_root());
    return p;
}

/* A directory under the build tree (created with its parents) for files a
 * failing test keeps: <build>/kept/<what>. */
static inline const char *th_keep_dir(const char *what, char *buf, size_t cap)
{
    snprintf(buf, cap, "%s/kept/%s", th_build_dir(), what);
    char cmd[4200];
    snprintf(cmd, sizeof cmd, "mkdir -p '%s'", buf);
    return system(cmd) == 0 ? buf : NULL;
}

/* Read a whole (small) file; returns a malloc'd buffer and its size, or NULL. */
static inline uint8_t *th_slurp(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    size_t cap = 4096, len = 0;
    uint8_t *b = malloc(cap);
    size_t got;
    while ((got = fread(b + len, 1, cap - len, f)) > 0) {
        len += got;
        if (len == cap) b = realloc(b, cap *= 2);
    }
    fclose(f);
    *n = len;
    return b;
}

/* Run a shell command; returns its exit status (or -1). */
static inline int th_sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static inline int th_sh(const char *fmt, ...)
{
    char cmd[8192];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof cmd, fmt, ap);
    va_end(ap);
    int st = system(cmd);
    if (st == -1 || !WIFEXITED(st)) return -1;
    return WEXITSTATUS(st);
}

/* A fresh temporary directory for one test; removed by th_rmdir. */
static inline const char *th_tmpdir(char buf[64])
{
    snprintf(buf, 64, "/tmp/pktcraft-test-XXXXXX");
    if (!mkdtemp(buf)) abort();
    return buf;
}
static inline void th_rmdir(const char *dir) { th_sh("rm -rf '%s'", dir); }

/* A small text file as a NUL-terminated string (malloc'd), or NULL. */
static inline char *th_slurp_text(const char *path)
{
    size_t n;
    char *s = (char *)th_slurp(path, &n);
    if (!s) return NULL;
    char *t = realloc(s, n + 1);
    if (!t) {
        free(s);
        return NULL;
    }
    t[n] = 0;
    return t;
}

/* Run "pktcraft ARGS" (the CLI under test) through the shell in dir, with
 * stdout in dir/out and stderr in dir/err.  Returns the exit status; with
 * err non-NULL, *err is stderr's text (malloc'd, never NULL). */
static inline int th_cli_vrun(const char *dir, char **err, const char *fmt, va_list ap)
{
    char args[6144], path[256];
    vsnprintf(args, sizeof args, fmt, ap);
    int st = th_sh("cd '%s' && %s %s >out 2>err", dir, th_cli(), args);
    if (err) {
        snprintf(path, sizeof path, "%s/err", dir);
        *err = th_slurp_text(path);
        if (!*err) *err = strdup("");
        cr_assert_not_null(*err);
    }
    return st;
}

static inline int th_cli_run(const char *dir, char **err, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static inline int th_cli_run(const char *dir, char **err, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int st = th_cli_vrun(dir, err, fmt, ap);
    va_end(ap);
    return st;
}

/* "pktcraft ARGS" must exit with code and say needle ("" for anything) on
 * stderr, where a failure's message starts "pktcraft: "; the assertion
 * shows the command and what it said. */
static inline void th_cli_expect(const char *dir, int code, const char *needle, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static inline void th_cli_expect(const char *dir, int code, const char *needle, const char *fmt, ...)
{
    char args[6144], *err;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(args, sizeof args, fmt, ap);
    va_end(ap);
    int st = th_cli_run(dir, &err, "%s", args);
    cr_assert_eq(st, code, "'%s' exited %d, want %d; stderr: %s", args, st, code, err);
    cr_assert(strstr(err, needle), "'%s': stderr lacks '%s': %s", args, needle, err);
    if (code) cr_assert(!strncmp(err, "pktcraft: ", 10), "'%s': a message must start with 'pktcraft: ': %s", args, err);
    free(err);
}

/* A buffer filled with 0xA5, so that bytes a builder forgets to write show. */
static inline uint8_t *th_poison(uint8_t *buf, size_t n)
{
    memset(buf, 0xA5, n);
    return buf;
}

/* An Ethernet header dst <- src (pad: to the 60-byte minimum) on pk;
 * errors are sticky, pc_pkt_finalize reports them. */
static inline void th_push_eth(struct pc_pkt *pk, const uint8_t dst[6], const uint8_t src[6], int pad)
{
    struct pc_eth e = { .pad = (uint8_t)pad };
    memcpy(e.dst, dst, 6);
    memcpy(e.src, src, 6);
    pc_push_eth(pk, &e);
}

/* Offset of the first byte where a and b differ (the shorter length when
 * one is a prefix of the other). */
static inline size_t th_first_diff(const uint8_t *a, size_t an, const uint8_t *b, size_t bn)
{
    size_t k = 0;
    while (k < an && k < bn && a[k] == b[k]) k++;
    return k;
}

/* got[0..len) must be exactly the bytes of hex; len < 0 is a build error
 * code (a failure).  Both are shown in hex when they differ. */
#define TH_HEX_MAX 4096
static inline void th_expect_hex(const uint8_t *got, int len, const char *hex)
{
    static uint8_t want[TH_HEX_MAX];
    static char g[2 * TH_HEX_MAX + 1];
    size_t n = th_unhex(hex, want, sizeof want);
    cr_assert_gt(len, 0, "build failed: %s", pc_strerror(len));
    cr_assert_leq((size_t)len, (size_t)TH_HEX_MAX, "%d bytes built, more than th_expect_hex takes", len);
    th_hex(got, (size_t)len, g);
    cr_assert_eq((size_t)len, n, "length %d, want %zu\n got %s\nwant %s", len, n, g, hex);
    cr_assert(memcmp(got, want, n) == 0, "bytes differ at %zu\n got %s\nwant %s", th_first_diff(got, n, want, n), g,
              hex);
}

/* Append to a '|'-joined list, as tshark prints a field that repeats. */
static inline void th_vappend(char *dst, size_t cap, const char *fmt, va_list ap)
{
    size_t n = strlen(dst);
    if (n && n < cap - 1) dst[n++] = '|';
    vsnprintf(dst + n, cap - n, fmt, ap);
}
static inline void th_append(char *dst, size_t cap, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static inline void th_append(char *dst, size_t cap, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    th_vappend(dst, cap, fmt, ap);
    va_end(ap);
}

/* Reference one's-complement sum (RFC 1071), independent of lib/: add the
 * big-endian words of p to s (an odd last byte padded with zero), then
 * fold the carries (the checksum is the complement of the fold). */
static inline uint32_t th_ref_sum(const uint8_t *p, size_t n, uint32_t s)
{
    size_t i = 0;
    for (; i + 1 < n; i += 2) s += (uint32_t)((p[i] << 8) | p[i + 1]);
    if (n & 1) s += (uint32_t)(p[n - 1] << 8);
    return s;
}
static inline uint16_t th_ref_fold(uint32_t s)
{
    while (s >> 16) s = (s & 0xFFFFu) + (s >> 16);
    return (uint16_t)s;
}

/* Write n bytes to a new file, or fail the test naming it. */
static inline void th_put_file(const char *path, const void *b, size_t n)
{
    FILE *f = fopen(path, "wb");
    cr_assert_not_null(f, "fopen %s: %s", path, strerror(errno));
    if (n) cr_assert_eq(fwrite(b, 1, n, f), n);
    cr_assert_eq(fclose(f), 0);
}

#endif

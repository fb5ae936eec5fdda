/* Small helpers shared by the criterion tests (static: each test file is
 * its own translation unit inside one test binary). */
#ifndef PKTCRAFT_TEST_HELPERS_H
#define PKTCRAFT_TEST_HELPERS_H

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

#endif

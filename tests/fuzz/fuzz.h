/* Shared by every fuzz target, the seed tool and the replay test.
 *
 * A target file defines its body as
 *     static int FUZZ_NAME(decode)(const uint8_t *data, size_t size) { ... }
 *     FUZZ_ENTRY(decode)
 * Built for libFuzzer (tests/fuzz/fuzz.mk) the body is fuzz_one and
 * FUZZ_ENTRY defines LLVMFuzzerTestOneInput.  tests/test_fuzz.c defines
 * PC_FUZZ_REPLAY and #includes every target, so there the bodies are
 * fuzz_decode, fuzz_reader, ... and no entry point is made: the very same
 * code replays the committed seeds and the regressions under `make test`.
 * Because several targets share that one translation unit, each target
 * prefixes its static helpers with its own name. */
#ifndef PKTCRAFT_FUZZ_H
#define PKTCRAFT_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "pktcraft/pktcraft.h"

#ifdef PC_FUZZ_REPLAY
#define FUZZ_NAME(t) fuzz_##t
#define FUZZ_ENTRY(t)
#else
#define FUZZ_NAME(t) fuzz_one
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
#define FUZZ_ENTRY(t) \
    int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) { return fuzz_one(data, size); }
#endif

/* A broken invariant: say which, then abort() so that libFuzzer keeps the
 * input as a crash artifact (and the replay test dies the same way). */
#define FZ_CHECK(cond, ...)                                                          \
    do {                                                                             \
        if (!(cond)) {                                                               \
            fprintf(stderr, "fuzz invariant failed at %s:%d: %s: ", __FILE__, __LINE__, #cond); \
            fprintf(stderr, __VA_ARGS__);                                            \
            fputc('\n', stderr);                                                     \
            abort();                                                                 \
        }                                                                            \
    } while (0)

/* Read every byte of p[0..n): ASan then checks the whole range, which is
 * how a harness tests that a returned pointer and length really point at
 * readable memory. */
static volatile uint8_t fz_sink; /* volatile: the reads cannot be optimised away */
static inline void fz_touch(const void *p, size_t n)
{
    const uint8_t *b = p;
    uint8_t x = 0;
    for (size_t k = 0; k < n; k++) x ^= b[k];
    fz_sink = x;
}

/* The link types the packet targets choose from with their first input
 * byte (index = byte % FZ_NLINKS).  Every type the decoder knows, and two
 * it does not (USER0 and a 16-bit value nobody assigned) which must come
 * out as one payload layer.  The seed tool writes the index of a packet's
 * link type as that byte, so seeds decode as they were captured. */
static const int fz_links[] = {
    PC_LINK_ETHERNET, PC_LINK_RAW, PC_LINK_RAW_OLD12, PC_LINK_RAW_OLD14, PC_LINK_IPV4, PC_LINK_IPV6,
    PC_LINK_NULL, PC_LINK_LOOP, PC_LINK_SLL, PC_LINK_SLL2, 147, 0xFFFF,
};
#define FZ_NLINKS (sizeof fz_links / sizeof fz_links[0])
#define FZ_LINK_UNKNOWN 10 /* index of USER0, for link types outside the table */

static inline int fz_link(uint8_t b) { return fz_links[b % FZ_NLINKS]; }

static inline uint8_t fz_link_index(int linktype)
{
    for (size_t k = 0; k < FZ_NLINKS; k++)
        if (fz_links[k] == linktype) return (uint8_t)k;
    return FZ_LINK_UNKNOWN;
}

#endif

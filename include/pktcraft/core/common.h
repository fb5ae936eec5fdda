/* pktcraft: shared types, error codes and the tri-state computed field. */
#ifndef PKTCRAFT_COMMON_H
#define PKTCRAFT_COMMON_H

#include <stddef.h>
#include <stdint.h>

#define PC_VERSION_STRING "0.1.0"

/* Library functions return 0 (or a count) on success and a negative PC_E*
 * code on failure.  Truncation is kept apart from malformation so that a
 * reader of a cut capture can tell "ran out of bytes" from "lying bytes". */
enum pc_errcode {
    PC_OK = 0,
    PC_EINVAL = -1,     /* bad argument from the caller */
    PC_ENOSPC = -2,     /* output buffer too small */
    PC_ETRUNC = -3,     /* input ends before the structure does */
    PC_EMALFORMED = -4, /* input present but inconsistent */
    PC_EIO = -5,        /* operating-system I/O failure (see errno) */
    PC_ENOMEM = -6,
    PC_EFORMAT = -7,    /* not a file format we know */
    PC_EUNSUPP = -8,    /* valid but not supported (yet) */
    PC_ELIMIT = -9,     /* over a safety limit (layers, packet size) */
};

const char *pc_strerror(int code);

/* Detail for errors that a user must be able to act on: which file, which
 * packet, which byte offset, and what was wrong, already formatted. */
struct pc_err {
    int code;
    uint64_t offset;  /* byte offset in the input, when meaningful */
    uint64_t packet;  /* 1-based packet number, 0 when not about a packet */
    char msg[320];
};

/* A computed field (length, header length, next protocol, checksum).
 * Zero-initialised means AUTO, so designated initialisers that leave a
 * field out get the right value; PIN writes v verbatim (0 included);
 * CORRUPT writes the correct value made wrong, deterministically. */
enum pc_fmode { PC_FAUTO = 0, PC_FPIN = 1, PC_FCORRUPT = 2 };
typedef struct pc_field {
    uint8_t mode;
    uint32_t v;
} pc_field;

#define PC_PIN(x) ((pc_field){ .mode = PC_FPIN, .v = (uint32_t)(x) })
#define PC_CORRUPT ((pc_field){ .mode = PC_FCORRUPT, .v = 0 })

/* Resolve a non-checksum field: the corrupt value is correct+1 within the
 * field's width (mask), so a length is off by one and a type is the next. */
static inline uint32_t pc_field_value(pc_field f, uint32_t correct, uint32_t mask)
{
    if (f.mode == PC_FAUTO) return correct & mask; /* nearly always: tested first */
    if (f.mode == PC_FPIN) return f.v & mask;
    if (f.mode == PC_FCORRUPT) return (correct + 1u) & mask;
    return correct & mask;
}

/* Resolve a 16-bit Internet checksum field.  The corrupt value must never be
 * one's-complement equal to the correct one (0x0000 and 0xFFFF are the same
 * number) and must never be 0 (which means "no checksum" in UDP). */
static inline uint16_t pc_field_csum(pc_field f, uint16_t correct)
{
    if (f.mode == PC_FPIN) return (uint16_t)f.v;
    if (f.mode == PC_FCORRUPT) {
        uint16_t bad = (uint16_t)(correct ^ 0x5A5Au);
        return bad ? bad : (uint16_t)(correct ^ 0xA5A5u);
    }
    return correct;
}

/* Big-endian loads and stores through bytes: no alignment assumptions, no
 * struct overlays, no host byte-order dependence. */
static inline uint16_t pc_get16(const uint8_t *p) { return (uint16_t)((p[0] << 8) | p[1]); }
static inline uint32_t pc_get32(const uint8_t *p)
{
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}
static inline void pc_put16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)(v >> 8); p[1] = (uint8_t)v; }
static inline void pc_put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24); p[1] = (uint8_t)(v >> 16); p[2] = (uint8_t)(v >> 8); p[3] = (uint8_t)v;
}
static inline uint16_t pc_get16le(const uint8_t *p) { return (uint16_t)(p[0] | (p[1] << 8)); }
static inline uint32_t pc_get32le(const uint8_t *p)
{
    return p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}
static inline void pc_put16le(uint8_t *p, uint16_t v) { p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); }
static inline void pc_put32le(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); p[2] = (uint8_t)(v >> 16); p[3] = (uint8_t)(v >> 24);
}

/* Timestamps are integer nanoseconds since the Unix epoch, end to end. */
typedef int64_t pc_time_ns;
#define PC_NS_PER_SEC INT64_C(1000000000)

#endif

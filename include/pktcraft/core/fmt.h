/* The one text and JSON writer.  Every protocol module describes its
 * decoded layers through it, and every command writes its output through
 * it, so escaping, separators and buffering are done in one place.
 *
 * Three ways to hold the output:
 *   fixed  pc_fmt_init: caller memory; what does not fit is dropped, the
 *          result stays NUL-terminated and f->cut says it is incomplete
 *          (a JSON text cut this way is not valid JSON: check f->cut);
 *   grow   pc_fmt_init_grow: a malloc'd buffer that grows as needed;
 *          pc_fmt_free releases it;
 *   sink   pc_fmt_init_sink: a buffer drained to a callback whenever it
 *          fills (and by pc_fmt_flush), so output of any size streams
 *          through constant memory and a token is never cut.
 * Grow and sink never drop output; a failed allocation or sink write sets
 * f->err (sticky) and later output is dropped.
 *
 * JSON strings are escaped per RFC 8259: '"', '\\' and control characters
 * are escaped, valid UTF-8 passes through, and each byte of an invalid
 * UTF-8 sequence becomes U+FFFD, so the output is always valid UTF-8. */
#ifndef PKTCRAFT_FMT_H
#define PKTCRAFT_FMT_H

#include <stdbool.h>
#include <string.h>
#include "common.h"

struct pc_decoded;

/* Receives n bytes of output; returns 0, or a negative PC_E* code that
 * stops further output (f->err). */
typedef int (*pc_fmt_sink)(void *ctx, const char *p, size_t n);

struct pc_fmt {
    char *buf;
    size_t cap, len;
    bool json;       /* JSON object members, else text */
    int members;     /* JSON members written in the current object (comma logic) */
    bool grow;       /* buf belongs to the writer and grows */
    bool cut;        /* fixed buffer: output was dropped */
    int err;         /* grow/sink: first failure (PC_ENOMEM or the sink's code), sticky */
    pc_fmt_sink sink;
    void *ctx;
    uint64_t total;  /* bytes handed to the sink so far (sink mode) */
};

void pc_fmt_init(struct pc_fmt *f, char *buf, size_t cap, bool json);
void pc_fmt_init_grow(struct pc_fmt *f, bool json);
/* buf/cap: the staging buffer (a few KiB at least; 1 MiB for bulk output). */
void pc_fmt_init_sink(struct pc_fmt *f, char *buf, size_t cap, bool json, pc_fmt_sink sink, void *ctx);
/* Sink mode: hand over what is buffered.  Returns 0 or f->err. */
int pc_fmt_flush(struct pc_fmt *f);
/* Start over (length and comma state), keeping the buffer and mode. */
void pc_fmt_reset(struct pc_fmt *f);
/* Grow mode: release the buffer. */
void pc_fmt_free(struct pc_fmt *f);
/* A sink that writes to a file descriptor (ctx: pointer to the int fd),
 * retrying short writes and EINTR; PC_EIO with errno kept on failure. */
int pc_fmt_fd_sink(void *ctx, const char *p, size_t n);

/* Bytes as they are (both modes), and one character. */
inline void pc_fmt_put(struct pc_fmt *f, const char *s, size_t n);
inline void pc_fmt_putc(struct pc_fmt *f, char c);
/* Text mode: printf-style fragment.  JSON mode: ignored. */
void pc_fmt_text(struct pc_fmt *f, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* printf-style in either mode, unescaped (the caller knows it is valid). */
void pc_fmt_printf(struct pc_fmt *f, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* JSON mode: "key":value members (strings escaped).  Text mode: ignored. */
inline void pc_fmt_kstr(struct pc_fmt *f, const char *key, const char *val);
inline void pc_fmt_kbytes_str(struct pc_fmt *f, const char *key, const uint8_t *p, size_t n); /* bytes as an escaped JSON string */
inline void pc_fmt_kuint(struct pc_fmt *f, const char *key, uint64_t v);
inline void pc_fmt_kint(struct pc_fmt *f, const char *key, int64_t v);
inline void pc_fmt_kbool(struct pc_fmt *f, const char *key, bool v);
inline void pc_fmt_knull(struct pc_fmt *f, const char *key);
/* Open and close nested values: key may be NULL inside arrays. */
inline void pc_fmt_kobj_open(struct pc_fmt *f, const char *key);
inline void pc_fmt_kobj_close(struct pc_fmt *f);
inline void pc_fmt_karr_open(struct pc_fmt *f, const char *key);
inline void pc_fmt_karr_close(struct pc_fmt *f);
/* A raw JSON array element, or member with its key, already formatted
 * (a number, say). */
inline void pc_fmt_raw(struct pc_fmt *f, const char *s);
inline void pc_fmt_kraw(struct pc_fmt *f, const char *key, const char *s);
/* n bytes as a JSON string body (no quotes), escaped as above: for callers
 * that build one string from several pieces. */
void pc_fmt_json_escape(struct pc_fmt *f, const uint8_t *p, size_t n);

/* End one line of JSON Lines (or text): a '\n', and the comma state
 * reset so that the next top-level object starts a fresh record. */
void pc_fmt_newline(struct pc_fmt *f);

/* Timestamps as every command prints them: seconds since the epoch, a
 * dot and nine digits of nanoseconds ("1700000000.000001000"; before 1970
 * "-1.999999999" is 2 ns after -2 s).  pc_fmt_kts: the same as a JSON
 * string member. */
#define PC_FMT_TS_MAX 32
void pc_fmt_ts(pc_time_ns ts, char out[PC_FMT_TS_MAX]);
void pc_fmt_kts(struct pc_fmt *f, const char *key, pc_time_ns ts);

/* Decimal text of v and a NUL; returns its length (at most 20). */
size_t pc_fmt_dec(uint64_t v, char out[21]);

/* Address helpers. */
void pc_fmt_mac(const uint8_t *m, char out[18]);
void pc_fmt_ip4(const uint8_t *a, char out[16]);
void pc_fmt_ip6(const uint8_t *a, char out[46]); /* RFC 5952 text, as inet_ntop */
/* JSON mode: the same texts as string members, formatted straight into
 * the output.  Text mode: ignored. */
inline void pc_fmt_kmac(struct pc_fmt *f, const char *key, const uint8_t *m);
inline void pc_fmt_kip4(struct pc_fmt *f, const char *key, const uint8_t *a);
inline void pc_fmt_kip6(struct pc_fmt *f, const char *key, const uint8_t *a);

/* Describe layer i of d: text fragment (e.g. "vlan 100, p 0") or JSON
 * members for that layer's object (without "proto", which the caller adds). */
void pc_describe_layer(const struct pc_decoded *d, int i, struct pc_fmt *f);

/* ---- Inline definitions ----
 * A JSON record is about ninety short members, and copying their keys was
 * a third of `read --format jsonl`.  Inline, a key that is a string
 * literal has a length the compiler knows (strlen folds), so ,"key": is
 * written with fixed-size copies, a few moves; the value is formatted out
 * of line.  lib/core/fmt.c holds the external definition of each function
 * (C11 inline model), for calls not inlined, addresses taken and callers
 * in other languages.  The pc_fmt__ functions serve these definitions
 * only: they are not part of the API. */
#if defined(__GNUC__) /* inlined in large callers too, where the key's length is lost out of line */
#define PC_FMT_INLINE inline __attribute__((always_inline))
#else
#define PC_FMT_INLINE inline
#endif

void pc_fmt__put_slow(struct pc_fmt *f, const char *s, size_t n);
void pc_fmt__member_slow(struct pc_fmt *f, const char *key, size_t klen);
void pc_fmt__str(struct pc_fmt *f, const uint8_t *s, size_t n);
void pc_fmt__uint(struct pc_fmt *f, uint64_t v);
void pc_fmt__int(struct pc_fmt *f, int64_t v);
void pc_fmt__mac(struct pc_fmt *f, const uint8_t *m);
void pc_fmt__ip4(struct pc_fmt *f, const uint8_t *a);
void pc_fmt__ip6(struct pc_fmt *f, const uint8_t *a);

PC_FMT_INLINE void pc_fmt_put(struct pc_fmt *f, const char *s, size_t n)
{
    if (f->len + n < f->cap) { /* the bytes and the NUL fit */
        memcpy(f->buf + f->len, s, n);
        f->len += n;
        f->buf[f->len] = 0;
        return;
    }
    pc_fmt__put_slow(f, s, n);
}

PC_FMT_INLINE void pc_fmt_putc(struct pc_fmt *f, char c) { pc_fmt_put(f, &c, 1); }

/* Before a JSON value: a comma unless it is the first of its object or
 * array, then "key": (no key inside arrays).  Keys are the library's own
 * ASCII names: written as they are. */
PC_FMT_INLINE void pc_fmt__member(struct pc_fmt *f, const char *key)
{
    size_t klen = key ? strlen(key) : 0;
    /* The fields are read before the first byte is stored: a char store
     * may alias them, and would make the compiler read them again. */
    char *buf = f->buf;
    size_t len = f->len;
    int members = f->members;
    if (f->cap - len > klen + 4) { /* ',' '"' key '"' ':' and the NUL fit */
        char *p = buf + len;
        f->members = members + 1;
        *p = ',';
        p += members != 0; /* the comma stays only after a member */
        if (key) {
            *p = '"';
            memcpy(p + 1, key, klen);
            memcpy(p + 1 + klen, "\":", 2);
            p += klen + 3;
        }
        *p = 0;
        f->len = (size_t)(p - buf);
        return;
    }
    pc_fmt__member_slow(f, key, klen);
}

PC_FMT_INLINE void pc_fmt_kstr(struct pc_fmt *f, const char *key, const char *val)
{
    if (!f->json) return;
    pc_fmt__member(f, key);
    pc_fmt__str(f, (const uint8_t *)val, strlen(val));
}

PC_FMT_INLINE void pc_fmt_kbytes_str(struct pc_fmt *f, const char *key, const uint8_t *p, size_t n)
{
    if (!f->json) return;
    pc_fmt__member(f, key);
    pc_fmt__str(f, p, n);
}

PC_FMT_INLINE void pc_fmt_kuint(struct pc_fmt *f, const char *key, uint64_t v)
{
    if (!f->json) return;
    pc_fmt__member(f, key);
    pc_fmt__uint(f, v);
}

PC_FMT_INLINE void pc_fmt_kint(struct pc_fmt *f, const char *key, int64_t v)
{
    if (!f->json) return;
    pc_fmt__member(f, key);
    pc_fmt__int(f, v);
}

PC_FMT_INLINE void pc_fmt_kbool(struct pc_fmt *f, const char *key, bool v)
{
    if (!f->json) return;
    pc_fmt__member(f, key);
    if (v) pc_fmt_put(f, "true", 4);
    else pc_fmt_put(f, "false", 5);
}

PC_FMT_INLINE void pc_fmt_knull(struct pc_fmt *f, const char *key)
{
    if (!f->json) return;
    pc_fmt__member(f, key);
    pc_fmt_put(f, "null", 4);
}

PC_FMT_INLINE void pc_fmt_kraw(struct pc_fmt *f, const char *key, const char *s)
{
    if (!f->json) return;
    pc_fmt__member(f, key);
    pc_fmt_put(f, s, strlen(s));
}

PC_FMT_INLINE void pc_fmt_raw(struct pc_fmt *f, const char *s) { pc_fmt_kraw(f, NULL, s); }

PC_FMT_INLINE void pc_fmt_kobj_open(struct pc_fmt *f, const char *key)
{
    if (!f->json) return;
    pc_fmt__member(f, key);
    pc_fmt_put(f, "{", 1);
    f->members = 0;
}

PC_FMT_INLINE void pc_fmt_kobj_close(struct pc_fmt *f)
{
    if (!f->json) return;
    pc_fmt_put(f, "}", 1);
    f->members = 1;
}

PC_FMT_INLINE void pc_fmt_karr_open(struct pc_fmt *f, const char *key)
{
    if (!f->json) return;
    pc_fmt__member(f, key);
    pc_fmt_put(f, "[", 1);
    f->members = 0;
}

PC_FMT_INLINE void pc_fmt_karr_close(struct pc_fmt *f)
{
    if (!f->json) return;
    pc_fmt_put(f, "]", 1);
    f->members = 1;
}

PC_FMT_INLINE void pc_fmt_kmac(struct pc_fmt *f, const char *key, const uint8_t *m)
{
    if (!f->json) return;
    pc_fmt__member(f, key);
    pc_fmt__mac(f, m);
}

PC_FMT_INLINE void pc_fmt_kip4(struct pc_fmt *f, const char *key, const uint8_t *a)
{
    if (!f->json) return;
    pc_fmt__member(f, key);
    pc_fmt__ip4(f, a);
}

PC_FMT_INLINE void pc_fmt_kip6(struct pc_fmt *f, const char *key, const uint8_t *a)
{
    if (!f->json) return;
    pc_fmt__member(f, key);
    pc_fmt__ip6(f, a);
}

#endif

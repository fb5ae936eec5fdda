/* Describe every layer of a decoded frame as text and as JSON, the way
 * pktcraft read does, and check the output: NUL-terminated at its length,
 * and (when the formatter did not fill its buffer, which may cut anywhere)
 * the JSON members, wrapped in braces as read wraps them, valid JSON.
 * Shared by the targets that decode (fuzz_decode, fuzz_dns). */
#ifndef PKTCRAFT_FUZZ_DESCRIBE_CHECK_H
#define PKTCRAFT_FUZZ_DESCRIBE_CHECK_H

#include <string.h>

#include "fuzz.h"
#include "json_check.h"

/* A few KB, as pktcraft read's per-layer buffers.  (The growable pc_fmt
 * mode, once it exists, will let this check every output whole.) */
#define FZ_FMT_CAP 4096

static inline void fz_check_text(const struct pc_fmt *f)
{
    FZ_CHECK(f->len < f->cap, "text length %zu past the buffer", f->len);
    FZ_CHECK(f->buf[f->len] == 0 && strlen(f->buf) == f->len, "text not NUL-terminated at its length");
}

static inline void fz_check_json(const struct pc_decoded *d, int i, const struct pc_fmt *f)
{
    static char obj[FZ_FMT_CAP + 2];
    FZ_CHECK(f->len < f->cap && f->buf[f->len] == 0, "json not NUL-terminated at its length");
    if (f->len + 1 >= f->cap) return; /* cut by the fixed buffer: not checkable */
    obj[0] = '{';
    memcpy(obj + 1, f->buf, f->len);
    obj[f->len + 1] = '}';
    size_t bad;
    FZ_CHECK(json_valid(obj, f->len + 2, &bad), "layer %d (%s): invalid JSON at byte %zu of: %s", i,
             pc_proto_name(d->l[i].proto), bad ? bad - 1 : 0, f->buf);
}

static inline void fz_describe_layer(const struct pc_decoded *d, int i)
{
    static char buf[FZ_FMT_CAP];
    struct pc_fmt f;
    pc_fmt_init(&f, buf, sizeof buf, false);
    pc_describe_layer(d, i, &f);
    fz_check_text(&f);
    pc_fmt_init(&f, buf, sizeof buf, true);
    pc_describe_layer(d, i, &f);
    fz_check_json(d, i, &f);
}

static inline void fz_describe_all(const struct pc_decoded *d)
{
    for (int i = 0; i < d->n; i++) fz_describe_layer(d, i);
}

#endif

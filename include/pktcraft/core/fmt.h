/* Describing decoded layers as text or JSON, into caller memory.  Every
 * protocol module has a describe function; pktcraft read joins them into a
 * tcpdump-like line or a JSON "layers" array, and library users can print
 * packets the same way. */
#ifndef PKTCRAFT_FMT_H
#define PKTCRAFT_FMT_H

#include <stdbool.h>
#include "common.h"

struct pc_decoded;

/* An appender over a fixed buffer: output past cap is dropped and the
 * result stays NUL-terminated, so a describe function never overflows. */
struct pc_fmt {
    char *buf;
    size_t cap, len;
    bool json;       /* JSON object members, else text */
    int members;     /* JSON members written in the current object (comma logic) */
};

void pc_fmt_init(struct pc_fmt *f, char *buf, size_t cap, bool json);
/* Text mode: printf-style fragment.  JSON mode: ignored. */
void pc_fmt_text(struct pc_fmt *f, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* JSON mode: "key":value members (strings escaped).  Text mode: ignored. */
void pc_fmt_kstr(struct pc_fmt *f, const char *key, const char *val);
void pc_fmt_kbytes_str(struct pc_fmt *f, const char *key, const uint8_t *p, size_t n); /* bytes as an escaped JSON string */
void pc_fmt_kuint(struct pc_fmt *f, const char *key, uint64_t v);
void pc_fmt_kbool(struct pc_fmt *f, const char *key, bool v);
void pc_fmt_knull(struct pc_fmt *f, const char *key);
/* Open and close nested values: key may be NULL inside arrays. */
void pc_fmt_kobj_open(struct pc_fmt *f, const char *key);
void pc_fmt_kobj_close(struct pc_fmt *f);
void pc_fmt_karr_open(struct pc_fmt *f, const char *key);
void pc_fmt_karr_close(struct pc_fmt *f);
/* A raw JSON array element, or member with its key, already formatted
 * (a number, say). */
void pc_fmt_raw(struct pc_fmt *f, const char *s);
void pc_fmt_kraw(struct pc_fmt *f, const char *key, const char *s);

/* Address helpers. */
void pc_fmt_mac(const uint8_t *m, char out[18]);
void pc_fmt_ip4(const uint8_t *a, char out[16]);
void pc_fmt_ip6(const uint8_t *a, char out[46]); /* RFC 5952 text, as inet_ntop */

/* Describe layer i of d: text fragment (e.g. "vlan 100, p 0") or JSON
 * members for that layer's object (without "proto", which the caller adds). */
void pc_describe_layer(const struct pc_decoded *d, int i, struct pc_fmt *f);

#endif

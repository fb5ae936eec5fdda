/* Text and JSON description of decoded layers into caller memory. */
#include <arpa/inet.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "../internal.h"
#include "pktcraft/core/fmt.h"

void pc_fmt_init(struct pc_fmt *f, char *buf, size_t cap, bool json)
{
    f->buf = buf;
    f->cap = cap;
    f->len = 0;
    f->json = json;
    f->members = 0;
    if (cap) buf[0] = 0;
}

static void put(struct pc_fmt *f, const char *s, size_t n)
{
    if (f->len + 1 >= f->cap) return;
    size_t room = f->cap - 1 - f->len;
    if (n > room) n = room;
    memcpy(f->buf + f->len, s, n);
    f->len += n;
    f->buf[f->len] = 0;
}

static void vput(struct pc_fmt *f, const char *fmt, va_list ap)
{
    if (f->len + 1 >= f->cap) return;
    int n = vsnprintf(f->buf + f->len, f->cap - f->len, fmt, ap);
    if (n < 0) return;
    f->len += (size_t)n < f->cap - f->len ? (size_t)n : f->cap - f->len - 1;
}

void pc_fmt_text(struct pc_fmt *f, const char *fmt, ...)
{
    if (f->json) return;
    va_list ap;
    va_start(ap, fmt);
    vput(f, fmt, ap);
    va_end(ap);
}

static void jstr(struct pc_fmt *f, const uint8_t *s, size_t n)
{
    put(f, "\"", 1);
    for (size_t i = 0; i < n; i++) {
        uint8_t c = s[i];
        char esc[8];
        if (c == '"' || c == '\\') { esc[0] = '\\'; esc[1] = (char)c; put(f, esc, 2); }
        else if (c < 0x20 || c >= 0x7F) { snprintf(esc, sizeof esc, "\\u%04x", c); put(f, esc, 6); }
        else put(f, (const char *)&s[i], 1);
    }
    put(f, "\"", 1);
}

/* Comma and "key": before a member (key NULL inside arrays). */
static void member(struct pc_fmt *f, const char *key)
{
    if (f->members++) put(f, ",", 1);
    if (key) { jstr(f, (const uint8_t *)key, strlen(key)); put(f, ":", 1); }
}

void pc_fmt_kstr(struct pc_fmt *f, const char *key, const char *val)
{
    if (!f->json) return;
    member(f, key);
    jstr(f, (const uint8_t *)val, strlen(val));
}

void pc_fmt_kbytes_str(struct pc_fmt *f, const char *key, const uint8_t *p, size_t n)
{
    if (!f->json) return;
    member(f, key);
    jstr(f, p, n);
}

void pc_fmt_kuint(struct pc_fmt *f, const char *key, uint64_t v)
{
    if (!f->json) return;
    member(f, key);
    char b[24];
    snprintf(b, sizeof b, "%llu", (unsigned long long)v);
    put(f, b, strlen(b));
}

void pc_fmt_kbool(struct pc_fmt *f, const char *key, bool v)
{
    if (!f->json) return;
    member(f, key);
    put(f, v ? "true" : "false", v ? 4 : 5);
}

void pc_fmt_knull(struct pc_fmt *f, const char *key)
{
    if (!f->json) return;
    member(f, key);
    put(f, "null", 4);
}

void pc_fmt_raw(struct pc_fmt *f, const char *s) { pc_fmt_kraw(f, NULL, s); }

void pc_fmt_kraw(struct pc_fmt *f, const char *key, const char *s)
{
    if (!f->json) return;
    member(f, key);
    put(f, s, strlen(s));
}

void pc_fmt_kobj_open(struct pc_fmt *f, const char *key)
{
    if (!f->json) return;
    member(f, key);
    put(f, "{", 1);
    f->members = 0;
}

void pc_fmt_kobj_close(struct pc_fmt *f)
{
    if (!f->json) return;
    put(f, "}", 1);
    f->members = 1;
}

void pc_fmt_karr_open(struct pc_fmt *f, const char *key)
{
    if (!f->json) return;
    member(f, key);
    put(f, "[", 1);
    f->members = 0;
}

void pc_fmt_karr_close(struct pc_fmt *f)
{
    if (!f->json) return;
    put(f, "]", 1);
    f->members = 1;
}

void pc_fmt_mac(const uint8_t *m, char out[18])
{
    snprintf(out, 18, "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4], m[5]);
}

void pc_fmt_ip4(const uint8_t *a, char out[16])
{
    snprintf(out, 16, "%u.%u.%u.%u", a[0], a[1], a[2], a[3]);
}

void pc_fmt_ip6(const uint8_t *a, char out[46])
{
    if (!inet_ntop(AF_INET6, a, out, 46)) snprintf(out, 46, "?");
}

void pc_describe_layer(const struct pc_decoded *d, int i, struct pc_fmt *f)
{
    static void (*const fn[PC_P__COUNT])(const struct pc_decoded *, int, struct pc_fmt *) = {
        [PC_P_ETH] = pc_eth_describe,       [PC_P_IPV4] = pc_ipv4_describe,
        [PC_P_TCP] = pc_tcp_describe,       [PC_P_UDP] = pc_udp_describe,
        [PC_P_ICMP] = pc_icmp_describe,     [PC_P_VLAN] = pc_vlan_describe,
        [PC_P_ARP] = pc_arp_describe,       [PC_P_IPV6] = pc_ipv6_describe,
        [PC_P_IP6_HOP] = pc_ip6ext_describe, [PC_P_IP6_ROUTING] = pc_ip6ext_describe,
        [PC_P_IP6_FRAG] = pc_ip6ext_describe, [PC_P_IP6_DEST] = pc_ip6ext_describe,
        [PC_P_ICMP6] = pc_icmp6_describe,   [PC_P_DNS] = pc_dns_describe,
        [PC_P_GRE] = pc_gre_describe,       [PC_P_VXLAN] = pc_vxlan_describe,
        [PC_P_SLL] = pc_link_describe,      [PC_P_SLL2] = pc_link_describe,
        [PC_P_NULL] = pc_link_describe,
    };
    uint8_t p = d->l[i].proto;
    if (p < PC_P__COUNT && fn[p]) fn[p](d, i, f);
}

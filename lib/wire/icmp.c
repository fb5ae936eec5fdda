/* ICMP for IPv4: build every common type, quote the offending datagram of
 * an error, decode (the quoted datagram as inner layers) and describe. */
#include <stdio.h>
#include <string.h>

#include "../internal.h"
#include "pktcraft/core/checksum.h"
#include "pktcraft/core/fmt.h"
#include "pktcraft/wire/ipv6.h"

_Static_assert(sizeof(struct pc_icmp) <= PC_SPEC_MAX, "struct pc_icmp outgrew the layer spec storage");

/* Decode the packet quoted by the ICMP (version 4) or ICMPv6 (6) error at
 * layer icmp, in [off, end).  Shared with lib/icmp6.c; the prototype
 * belongs in lib/internal.h, which another module owns. */

/* Header offsets. */
#define ICMP_TYPE 0
#define ICMP_CODE 1
#define ICMP_CSUM 2
#define ICMP_REST 4
#define ICMP_WORD2 8     /* originate timestamp or address mask */
#define ICMP_WORD3 12
#define ICMP_WORD4 16

/* RFC 792: an error quotes the IP header and the first 64 bits of data. */
#define QUOTE_MIN_DATA 8
/* RFC 1812 4.3.2.3: an error's IP datagram stays within 576 bytes. */
#define QUOTE_LIMIT_V4 576
/* RFC 4884 4.1: with a length attribute the quote is at least 128 bytes. */
#define RFC4884_MIN_QUOTE 128

const char *pc_icmp_type_name(uint8_t type)
{
    static const char *const names[] = {
        [PC_ICMP_ECHOREPLY] = "echo reply",
        [PC_ICMP_UNREACH] = "destination unreachable",
        [PC_ICMP_SOURCEQUENCH] = "source quench",
        [PC_ICMP_REDIRECT] = "redirect",
        [PC_ICMP_ECHO] = "echo request",
        [PC_ICMP_ROUTERADVERT] = "router advertisement",
        [PC_ICMP_ROUTERSOLICIT] = "router solicitation",
        [PC_ICMP_TIMXCEED] = "time exceeded",
        [PC_ICMP_PARAMPROB] = "parameter problem",
        [PC_ICMP_TSTAMP] = "time stamp request",
        [PC_ICMP_TSTAMPREPLY] = "time stamp reply",
        [PC_ICMP_IREQ] = "information request",
        [PC_ICMP_IREQREPLY] = "information reply",
        [PC_ICMP_MASKREQ] = "address mask request",
        [PC_ICMP_MASKREPLY] = "address mask reply",
    };
    return type < sizeof names / sizeof names[0] ? names[type] : NULL;
}

/* ------------------------------------------------------------- building */

static int push_fail(struct pc_pkt *pk, int rc)
{
    if (!pk->err) pk->err = rc;
    return pk->err;
}

/* Bytes 4..7 as the type defines them (see struct pc_icmp). */
static uint32_t rest_of_header(const struct pc_icmp *s)
{
    if (s->rest_mode == PC_ICMP_REST_RAW) return s->rest;
    switch (s->type) {
    case PC_ICMP_UNREACH: return s->mtu;
    case PC_ICMP_REDIRECT: return pc_get32(s->gw);
    case PC_ICMP_TIMXCEED: return 0;
    case PC_ICMP_PARAMPROB: return (uint32_t)s->pointer << 24;
    default: return ((uint32_t)s->id << 16) | s->seq;
    }
}

static uint32_t spec_hdr_len(const struct pc_icmp *s)
{
    return s->rest_mode == PC_ICMP_REST_RAW ? PC_ICMP_HLEN : pc_icmp_hdr_len(s->type);
}

int pc_push_icmp(struct pc_pkt *pk, const struct pc_icmp *s)
{
    if (s->rest_mode > PC_ICMP_REST_RAW) return push_fail(pk, PC_EINVAL);
    uint32_t hl = spec_hdr_len(s);
    uint8_t *h = pc_pkt_reserve(pk, hl, PC_P_ICMP);
    if (!h) return pk->err;
    pc_pkt_save_spec(pk, pk->n - 1, s, sizeof *s);
    h[ICMP_TYPE] = s->type;
    h[ICMP_CODE] = s->code;
    pc_put16(h + ICMP_CSUM, 0);
    pc_put32(h + ICMP_REST, rest_of_header(s));
    if (hl == PC_ICMP_TSTAMP_HLEN) {
        pc_put32(h + ICMP_WORD2, s->ts_orig);
        pc_put32(h + ICMP_WORD3, s->ts_recv);
        pc_put32(h + ICMP_WORD4, s->ts_xmit);
    } else if (hl == PC_ICMP_MASK_HLEN) {
        pc_put32(h + ICMP_WORD2, s->mask);
    }
    return 0;
}

/* The checksum covers the message only (no pseudo-header in ICMPv4). */
int pc_icmp_fill(struct pc_pkt *pk, int i)
{
    struct pc_icmp s;
    pc_pkt_load_spec(pk, i, &s, sizeof s);
    uint8_t *h = pk->buf + pk->l[i].off;
    pc_put16(h + ICMP_CSUM, 0);
    pc_put16(h + ICMP_CSUM, pc_field_csum(s.csum, pc_csum(h, pk->len - pk->l[i].off)));
    return 0;
}

/* Bytes the error's IP datagram already holds (its IP header included),
 * for the RFC 1812 size limit. */
static size_t datagram_so_far(const struct pc_pkt *pk)
{
    int ip = pc_pkt_find_before(pk, pk->n, PC_P_IPV4);
    return ip >= 0 ? pk->len - pk->l[ip].off : pk->len + PC_IPV4_HLEN;
}

int pc_push_icmp_quote(struct pc_pkt *pk, const uint8_t *ip, size_t len, size_t max)
{
    if (pk->err) return pk->err;
    if (!ip || len < PC_IPV4_HLEN || pc_ipv4_version(ip) != 4 || pc_ipv4_ihl(ip) < 5 ||
        pc_ipv4_ihl(ip) * 4u > len)
        return push_fail(pk, PC_EINVAL);
    size_t hl = pc_ipv4_ihl(ip) * 4u, tl = pc_ipv4_len(ip);
    if (tl >= hl && tl < len) len = tl; /* link padding is not part of the datagram */
    size_t n = hl + QUOTE_MIN_DATA;
    if (max == PC_ICMP_QUOTE_RFC1812) {
        size_t used = datagram_so_far(pk);
        if (used < QUOTE_LIMIT_V4 && QUOTE_LIMIT_V4 - used > n) n = QUOTE_LIMIT_V4 - used;
    } else if (max != PC_ICMP_QUOTE_RFC792) {
        n = max;
    }
    return pc_push_payload(pk, ip, n < len ? n : len);
}

int pc_icmp_find_datagram(const uint8_t *frame, size_t caplen, int linktype, int version, size_t *off, size_t *len)
{
    if (!frame || caplen > UINT32_MAX || (version != 4 && version != 6)) return PC_EINVAL;
    struct pc_decoded d;
    pc_decode(&d, frame, (uint32_t)caplen, (uint32_t)caplen, linktype);
    uint8_t want = version == 4 ? PC_P_IPV4 : PC_P_IPV6;
    uint32_t need = version == 4 ? PC_IPV4_HLEN : 40;
    for (int i = 0; i < d.n; i++) {
        const struct pc_layer *l = &d.l[i];
        if (l->proto != want || (l->flags & PC_LF_QUOTED) || pc_layer_caphdr(&d, i) < need) continue;
        const uint8_t *h = frame + l->off;
        size_t claimed = version == 4 ? pc_ipv4_len(h) : 40u + pc_get16(h + 4);
        size_t room = caplen - l->off;
        *off = l->off;
        *len = claimed < room ? claimed : room;
        return 0;
    }
    return PC_EINVAL;
}

int pc_push_icmp_quote_frame(struct pc_pkt *pk, const uint8_t *frame, size_t caplen, int linktype, size_t max)
{
    if (pk->err) return pk->err;
    size_t off, len;
    if (pc_icmp_find_datagram(frame, caplen, linktype, 4, &off, &len) < 0) return push_fail(pk, PC_EINVAL);
    return pc_push_icmp_quote(pk, frame + off, len, max);
}

/* ------------------------------------------------------------- decoding */

static int add_quoted(struct pc_walk *w, uint8_t proto, uint32_t off, uint32_t hlen, uint32_t plen)
{
    int q = pc_dec_add(w, proto, off, hlen, plen);
    if (q >= 0) w->d->l[q].flags |= PC_LF_QUOTED;
    return q;
}

/* Captured bytes of [off, end). */
static uint32_t captured(const struct pc_walk *w, uint32_t off, uint32_t end)
{
    uint32_t lim = end < w->d->caplen ? end : w->d->caplen;
    return off < lim ? lim - off : 0;
}

/* Quoted bytes nobody decodes further: kept as a quoted payload layer,
 * marked TRUNC (not an error) when the capture ends inside them. */
static void quoted_payload(struct pc_walk *w, uint32_t off, uint32_t end)
{
    if (off >= end) return;
    int q = add_quoted(w, PC_P_PAYLOAD, off, 0, end - off);
    if (q >= 0 && captured(w, off, end) < end - off) w->d->l[q].flags |= PC_LF_TRUNC;
}

/* A quoted non-first fragment: its data only. */
static void quoted_frag(struct pc_walk *w, uint32_t off, uint32_t end)
{
    uint8_t n = w->d->n;
    quoted_payload(w, off, end);
    if (w->d->n > n) w->d->l[n].flags |= PC_LF_FRAG;
}

/* Header of a quoted transport: only its first bytes are normally there
 * (the ports, RFC 792's 64 bits); its checksum covers bytes that are not. */
static void quoted_l4(struct pc_walk *w, uint8_t ipproto, uint32_t off, uint32_t end, uint32_t claimed)
{
    struct pc_decoded *d = w->d;
    uint32_t have = end - off, cap = captured(w, off, end), hdr;
    uint8_t proto;
    switch (ipproto) {
    case PC_IPPROTO_TCP:
        proto = PC_P_TCP;
        hdr = cap > 12 && (d->buf[off + 12] >> 4) >= 5 ? (d->buf[off + 12] >> 4) * 4u : PC_TCP_HLEN;
        break;
    case PC_IPPROTO_UDP: proto = PC_P_UDP; hdr = PC_UDP_HLEN; break;
    case PC_IPPROTO_ICMP: proto = PC_P_ICMP; hdr = PC_ICMP_HLEN; break;
    case 58: proto = PC_P_ICMP6; hdr = PC_ICMP_HLEN; break;
    default: quoted_payload(w, off, end); return;
    }
    if (have == 0) return;
    uint32_t hl = hdr < have ? hdr : have;
    int q = add_quoted(w, proto, off, hl, claimed > hdr ? claimed - hdr : 0);
    if (q < 0) return;
    d->l[q].csum = PC_CSUM_UNVERIFIED;
    uint32_t need = have < QUOTE_MIN_DATA ? have : QUOTE_MIN_DATA;
    if (cap < need) { pc_dec_fail(w, q, PC_LF_TRUNC, "quoted transport header cut by the capture"); return; }
    quoted_payload(w, off + hl, end);
}

/* The quoted IPv4 datagram of an error, in [off, end).  Faults of the
 * quote itself (shorter than RFC 792 asks) are errors of this packet; odd
 * fields inside the quoted header are not (they may be why the error was
 * sent) and are only noted in the layer's why. */
static void quote4(struct pc_walk *w, int icmp, uint32_t off, uint32_t end)
{
    struct pc_decoded *d = w->d;
    uint32_t qlen = end - off, cap = captured(w, off, end);
    if (qlen == 0) { pc_dec_fail(w, icmp, PC_LF_MALFORMED, "icmp error without the quoted datagram"); return; }
    int q = add_quoted(w, PC_P_IPV4, off, PC_IPV4_HLEN, 0);
    if (q < 0) return;
    if (qlen < PC_IPV4_HLEN) { pc_dec_fail(w, q, PC_LF_MALFORMED, "quoted datagram shorter than an ipv4 header"); return; }
    if (cap < PC_IPV4_HLEN) { pc_dec_fail(w, q, PC_LF_TRUNC, "quoted ipv4 header cut by the capture"); return; }
    const uint8_t *ip = d->buf + off;
    uint32_t hl = pc_ipv4_ihl(ip) * 4u, tl = pc_ipv4_len(ip);
    if (pc_ipv4_version(ip) != 4) { d->l[q].why = "quoted ipv4 version is not 4"; return; }
    if (hl < PC_IPV4_HLEN) { d->l[q].why = "quoted ipv4 header length below 20"; return; }
    d->l[q].hlen = hl;
    if (hl > qlen) {
        if (tl >= hl) pc_dec_fail(w, q, PC_LF_MALFORMED, "quoted ipv4 header longer than the quote");
        else d->l[q].why = "quoted ipv4 header longer than the quote";
        return;
    }
    if (hl > cap) { pc_dec_fail(w, q, PC_LF_TRUNC, "quoted ipv4 options cut by the capture"); return; }
    d->l[q].csum = pc_csum_verify(ip, hl, 0) ? PC_CSUM_GOOD : PC_CSUM_BAD;
    if (tl < hl) {
        d->l[q].why = "quoted ipv4 total length below header length";
        d->l[q].plen = qlen - hl;
        quoted_payload(w, off + hl, end);
        return;
    }
    d->l[q].plen = tl - hl;
    uint32_t dend = off + (tl < qlen ? tl : qlen), want = tl - hl < QUOTE_MIN_DATA ? tl - hl : QUOTE_MIN_DATA;
    if (dend - off - hl < want) {
        pc_dec_fail(w, q, PC_LF_MALFORMED, "icmp error quotes less than 8 bytes of the datagram's data");
        return;
    }
    if (tl < qlen) d->l[q].why = "quote goes past the quoted total length";
    if (pc_ipv4_fragoff(ip)) {
        quoted_frag(w, off + hl, dend);
    } else {
        quoted_l4(w, pc_ipv4_proto(ip), off + hl, dend, tl - hl);
    }
    quoted_payload(w, dend, end);
}

/* Quoted IPv6 extension headers from off: a layer each, as far as the
 * quote goes; returns the offset of the upper layer (its number in *nh),
 * or 0 when the walk ended (cut, cap, or a non-first fragment). */
static uint32_t quoted_ext6(struct pc_walk *w, uint8_t *nh, uint32_t off, uint32_t end)
{
    for (int k = 0; k < PC_IPV6_MAXEXT; k++) {
        uint8_t proto;
        switch (*nh) {
        case PC_IPPROTO_HOPOPTS: proto = PC_P_IP6_HOP; break;
        case PC_IPPROTO_ROUTING: proto = PC_P_IP6_ROUTING; break;
        case PC_IPPROTO_FRAGMENT: proto = PC_P_IP6_FRAG; break;
        case PC_IPPROTO_DSTOPTS: proto = PC_P_IP6_DEST; break;
        default: return off;
        }
        if (end - off < PC_IP6EXT_MINLEN) { quoted_payload(w, off, end); return 0; } /* the quote ends inside it */
        if (captured(w, off, end) < PC_IP6EXT_MINLEN) {
            int q = add_quoted(w, proto, off, PC_IP6EXT_MINLEN, 0);
            if (q >= 0) pc_dec_fail(w, q, PC_LF_TRUNC, "quoted ipv6 extension header cut by the capture");
            return 0;
        }
        const uint8_t *h = w->d->buf + off;
        uint32_t len = proto == PC_P_IP6_FRAG ? PC_IP6_FRAG_HLEN : pc_ip6ext_len(h);
        if (add_quoted(w, proto, off, len < end - off ? len : end - off, 0) < 0) return 0;
        *nh = pc_ip6ext_nh(h);
        if (len >= end - off) return 0;
        off += len;
        if (proto == PC_P_IP6_FRAG && pc_ip6frag_off(h)) { quoted_frag(w, off, end); return 0; }
    }
    quoted_payload(w, off, end);
    return 0;
}

/* The quoted IPv6 packet of an ICMPv6 error, in [off, end), with the same
 * split between faults of the quote and oddities of the original. */
static void quote6(struct pc_walk *w, int icmp, uint32_t off, uint32_t end)
{
    struct pc_decoded *d = w->d;
    uint32_t qlen = end - off, cap = captured(w, off, end);
    if (qlen == 0) { pc_dec_fail(w, icmp, PC_LF_MALFORMED, "icmp6 error without the quoted packet"); return; }
    int q = add_quoted(w, PC_P_IPV6, off, PC_IPV6_HLEN, 0);
    if (q < 0) return;
    if (qlen < PC_IPV6_HLEN) { pc_dec_fail(w, q, PC_LF_MALFORMED, "quoted packet shorter than an ipv6 header"); return; }
    if (cap < PC_IPV6_HLEN) { pc_dec_fail(w, q, PC_LF_TRUNC, "quoted ipv6 header cut by the capture"); return; }
    const uint8_t *ip = d->buf + off;
    if (pc_ipv6_version(ip) != 6) { d->l[q].why = "quoted ipv6 version is not 6"; return; }
    uint32_t plen = pc_ipv6_plen(ip), total = PC_IPV6_HLEN + plen;
    d->l[q].plen = plen;
    if (total < qlen) d->l[q].why = "quote goes past the quoted payload length";
    uint32_t dend = off + (total < qlen ? total : qlen);
    uint8_t nh = pc_ipv6_nh(ip);
    uint32_t l4 = quoted_ext6(w, &nh, off + PC_IPV6_HLEN, dend);
    if (l4) quoted_l4(w, nh, l4, dend, total > l4 - off ? total - (l4 - off) : 0);
    quoted_payload(w, dend, end);
}

void pc_dec_quote(struct pc_walk *w, int icmp, uint32_t off, uint32_t end, int version)
{
    if (version == 6) quote6(w, icmp, off, end);
    else quote4(w, icmp, off, end);
}

/* RFC 4884 length attribute (unreachable, time exceeded, parameter
 * problem): the quote is that long and an extension structure follows. */
static int quote_end(struct pc_walk *w, int i, const uint8_t *h, uint32_t qoff, uint32_t *qend)
{
    uint8_t t = pc_icmp_type(h);
    if (t != PC_ICMP_UNREACH && t != PC_ICMP_TIMXCEED && t != PC_ICMP_PARAMPROB) return 0;
    uint32_t words = pc_icmp_origlen(h), ql = words * 4u;
    if (!words) return 0;
    if (ql > *qend - qoff) { pc_dec_fail(w, i, PC_LF_MALFORMED, "icmp original datagram length beyond the message"); return -1; }
    if (ql < RFC4884_MIN_QUOTE) { pc_dec_fail(w, i, PC_LF_MALFORMED, "icmp original datagram length below 128 bytes"); return -1; }
    *qend = qoff + ql;
    return 0;
}

static void decode_error(struct pc_walk *w, int i, uint32_t off)
{
    const uint8_t *h = w->d->buf + off;
    uint32_t qoff = off + PC_ICMP_HLEN, qend = w->end;
    if (w->frag) { pc_dec_payload(w, qoff); return; } /* the quote goes on in other fragments */
    if (quote_end(w, i, h, qoff, &qend) < 0) return;
    pc_dec_quote(w, i, qoff, qend, 4);
    pc_dec_payload(w, qend); /* RFC 4884 extension structure, if any */
}

void pc_icmp_decode(struct pc_walk *w, uint32_t off)
{
    struct pc_decoded *d = w->d;
    int i = pc_dec_l4_start(w, PC_P_ICMP, off, PC_ICMP_HLEN, "icmp message shorter than 8 bytes",
                            "icmp header cut by the capture");
    if (i < 0) return;
    const uint8_t *h = d->buf + off;
    uint32_t room = w->end - off, hl = pc_icmp_hdr_len(pc_icmp_type(h));
    int ts = hl == PC_ICMP_TSTAMP_HLEN;
    d->l[i].hlen = hl;
    if (room < hl) {
        if (w->frag) { d->l[i].why = "icmp header continues in the next fragment"; return; }
        pc_dec_fail(w, i, PC_LF_MALFORMED, ts ? "icmp timestamp message shorter than 20 bytes"
                                              : "icmp address mask message shorter than 12 bytes");
        return;
    }
    d->l[i].plen = room - hl;
    if (pc_dec_avail(w, off) < hl) {
        pc_dec_fail(w, i, PC_LF_TRUNC, ts ? "icmp timestamps cut by the capture" : "icmp address mask cut by the capture");
        return;
    }
    d->l[i].csum = pc_dec_l4_csum(w, off, room, PC_IPPROTO_ICMP, 0);
    if (pc_icmp_is_error(pc_icmp_type(h))) decode_error(w, i, off);
    else pc_dec_payload(w, off + hl);
}

/* ----------------------------------------------------------- describing */

int pc_icmp_quote_info(const struct pc_decoded *d, int i, struct pc_icmp_quote *q)
{
    memset(q, 0, sizeof *q);
    int j = i + 1;
    if (i < 0 || i >= d->n || (d->l[i].flags & PC_LF_QUOTED) || j >= d->n || !(d->l[j].flags & PC_LF_QUOTED))
        return 0;
    const uint8_t *ip = pc_layer_hdr(d, j);
    uint32_t cap = pc_layer_caphdr(d, j);
    if (d->l[j].proto == PC_P_IPV4 && cap >= PC_IPV4_HLEN) {
        memcpy(q->src, pc_ipv4_src(ip), 4);
        memcpy(q->dst, pc_ipv4_dst(ip), 4);
        q->proto = pc_ipv4_proto(ip);
        q->version = 4;
    } else if (d->l[j].proto == PC_P_IPV6 && cap >= 40) {
        memcpy(q->src, ip + 8, 16);
        memcpy(q->dst, ip + 24, 16);
        q->proto = ip[6];
        q->version = 6;
    } else {
        return 0;
    }
    /* The transport follows the IP header, or IPv6 extension headers. */
    for (int k = j + 1; k < d->n && (d->l[k].flags & PC_LF_QUOTED); k++) {
        uint8_t p = d->l[k].proto;
        if (p == PC_P_IP6_HOP || p == PC_P_IP6_ROUTING || p == PC_P_IP6_FRAG || p == PC_P_IP6_DEST) {
            if (pc_layer_caphdr(d, k) >= 1) q->proto = pc_ip6ext_nh(pc_layer_hdr(d, k));
            continue;
        }
        if (p == PC_P_TCP || p == PC_P_UDP) {
            q->proto = p == PC_P_TCP ? PC_IPPROTO_TCP : PC_IPPROTO_UDP;
            if (pc_layer_caphdr(d, k) >= 4) {
                const uint8_t *t = pc_layer_hdr(d, k);
                q->sport = pc_get16(t);
                q->dport = pc_get16(t + 2);
                q->have_ports = 1;
            }
        } else if (p == PC_P_ICMP || p == PC_P_ICMP6) {
            q->proto = p == PC_P_ICMP ? PC_IPPROTO_ICMP : 58;
        }
        break;
    }
    return q->version;
}

/* The quote as text: addresses formatted, "?" when not captured. */
struct quote_text {
    struct pc_icmp_quote q;
    char src[46], dst[46];
};

static void get_quote(const struct pc_decoded *d, int i, struct quote_text *t)
{
    int v = pc_icmp_quote_info(d, i, &t->q);
    strcpy(t->src, "?");
    strcpy(t->dst, "?");
    if (v == 4) { pc_fmt_ip4(t->q.src, t->src); pc_fmt_ip4(t->q.dst, t->dst); }
    if (v == 6) { pc_fmt_ip6(t->q.src, t->src); pc_fmt_ip6(t->q.dst, t->dst); }
}

static void unreach_text(const uint8_t *h, uint32_t cap, const struct quote_text *t, char *out, size_t n)
{
    /* tcpdump's wording: "<kind> <dst> unreachable<detail>". */
    static const struct { const char *kind, *detail; } txt[16] = {
        [0] = { "net ", "" },
        [1] = { "host ", "" },
        [5] = { "", " - source route failed" },
        [6] = { "net ", " - unknown" },
        [7] = { "host ", " - unknown" },
        [8] = { "", " - source host isolated" },
        [9] = { "net ", " - admin prohibited" },
        [10] = { "host ", " - admin prohibited" },
        [11] = { "net ", " - tos prohibited" },
        [12] = { "host ", " - tos prohibited" },
        [13] = { "host ", " - admin prohibited filter" },
        [14] = { "host ", " - host precedence violation" },
        [15] = { "host ", " - precedence cutoff" },
    };
    uint8_t code = pc_icmp_code(h);
    if (code == PC_ICMP_UNREACH_PROTOCOL) {
        snprintf(out, n, "%s protocol %u unreachable", t->dst, t->q.proto);
    } else if (code == PC_ICMP_UNREACH_PORT) {
        const char *pn = t->q.proto == PC_IPPROTO_TCP ? "tcp" : t->q.proto == PC_IPPROTO_UDP ? "udp" : NULL;
        if (!t->q.have_ports) snprintf(out, n, "%s protocol %u port ? unreachable", t->dst, t->q.proto);
        else if (pn) snprintf(out, n, "%s %s port %u unreachable", t->dst, pn, t->q.dport);
        else snprintf(out, n, "%s protocol %u port %u unreachable", t->dst, t->q.proto, t->q.dport);
    } else if (code == PC_ICMP_UNREACH_NEEDFRAG) {
        uint16_t mtu = cap >= PC_ICMP_HLEN ? pc_icmp_mtu(h) : 0;
        if (mtu) snprintf(out, n, "%s unreachable - need to frag (mtu %u)", t->dst, mtu);
        else snprintf(out, n, "%s unreachable - need to frag", t->dst);
    } else if (code < 16 && txt[code].kind) {
        snprintf(out, n, "%s%s unreachable%s", txt[code].kind, t->dst, txt[code].detail);
    } else {
        snprintf(out, n, "#%u %s unreachable", code, t->dst);
    }
}

static void redirect_text(const uint8_t *h, uint32_t cap, const struct quote_text *t, char *out, size_t n)
{
    char gw[16] = "?";
    if (cap >= PC_ICMP_HLEN) pc_fmt_ip4(pc_icmp_gw(h), gw);
    uint8_t code = pc_icmp_code(h);
    if (code < 4) snprintf(out, n, "%s %s to %s %s", code < 2 ? "redirect" : "redirect-tos", t->dst, code & 1 ? "host" : "net", gw);
    else snprintf(out, n, "redirect-#%u %s to net %s", code, t->dst, gw);
}

/* The tcpdump-like words after "ICMP " for layer i. */
static void icmp_text(const struct pc_decoded *d, int i, const uint8_t *h, uint32_t cap, char *out, size_t n)
{
    struct quote_text q;
    get_quote(d, i, &q);
    uint8_t t = pc_icmp_type(h), code = pc_icmp_code(h);
    int idseq = cap >= PC_ICMP_HLEN;
    const char *name = pc_icmp_type_name(t);
    switch (t) {
    case PC_ICMP_ECHO: case PC_ICMP_ECHOREPLY:
        if (idseq) snprintf(out, n, "%s, id %u, seq %u", name, pc_icmp_id(h), pc_icmp_seq(h));
        else snprintf(out, n, "%s", name);
        break;
    case PC_ICMP_UNREACH: unreach_text(h, cap, &q, out, n); break;
    case PC_ICMP_REDIRECT: redirect_text(h, cap, &q, out, n); break;
    case PC_ICMP_TIMXCEED:
        if (code == PC_ICMP_TIMXCEED_INTRANS) snprintf(out, n, "time exceeded in-transit");
        else if (code == PC_ICMP_TIMXCEED_REASS) snprintf(out, n, "ip reassembly time exceeded");
        else snprintf(out, n, "time exceeded-#%u", code);
        break;
    case PC_ICMP_PARAMPROB:
        if (code || !idseq) snprintf(out, n, "parameter problem - code %u", code);
        else snprintf(out, n, "parameter problem - octet %u", pc_icmp_pointer(h));
        break;
    case PC_ICMP_TSTAMP:
        if (idseq) snprintf(out, n, "time stamp query id %u seq %u", pc_icmp_id(h), pc_icmp_seq(h));
        else snprintf(out, n, "%s", name);
        break;
    case PC_ICMP_TSTAMPREPLY:
        if (cap >= PC_ICMP_TSTAMP_HLEN)
            snprintf(out, n, "time stamp reply id %u seq %u : org 0x%x recv 0x%x xmit 0x%x", pc_icmp_id(h),
                     pc_icmp_seq(h), pc_icmp_ts_orig(h), pc_icmp_ts_recv(h), pc_icmp_ts_xmit(h));
        else snprintf(out, n, "%s", name);
        break;
    case PC_ICMP_MASKREPLY:
        if (cap >= PC_ICMP_MASK_HLEN) snprintf(out, n, "address mask is 0x%08x", pc_icmp_mask(h));
        else snprintf(out, n, "%s", name);
        break;
    default:
        if (name) snprintf(out, n, "%s", name);
        else snprintf(out, n, "type-#%u", t);
        break;
    }
}

static void icmp_json_quote(const struct pc_decoded *d, int i, struct pc_fmt *f)
{
    struct quote_text q;
    get_quote(d, i, &q);
    if (!q.q.version) return;
    pc_fmt_kobj_open(f, "quoted");
    pc_fmt_kstr(f, "src", q.src);
    pc_fmt_kstr(f, "dst", q.dst);
    pc_fmt_kuint(f, "proto", q.q.proto);
    if (q.q.have_ports) {
        pc_fmt_kuint(f, "sport", q.q.sport);
        pc_fmt_kuint(f, "dport", q.q.dport);
    }
    pc_fmt_kobj_close(f);
}

static void icmp_json(const struct pc_decoded *d, int i, const uint8_t *h, uint32_t cap, struct pc_fmt *f)
{
    uint8_t t = pc_icmp_type(h);
    pc_fmt_kuint(f, "type", t);
    pc_fmt_kuint(f, "code", pc_icmp_code(h));
    if (cap >= 4) pc_fmt_kuint(f, "checksum", pc_icmp_csum(h));
    pc_fmt_kstr(f, "checksum_status", pc_csum_status_name(d->l[i].csum));
    pc_fmt_kuint(f, "length", d->l[i].hlen + d->l[i].plen);
    if (cap >= PC_ICMP_HLEN) {
        char a[16];
        switch (t) {
        case PC_ICMP_UNREACH: pc_fmt_kuint(f, "mtu", pc_icmp_mtu(h)); break;
        case PC_ICMP_REDIRECT: pc_fmt_ip4(pc_icmp_gw(h), a); pc_fmt_kstr(f, "gateway", a); break;
        case PC_ICMP_PARAMPROB: pc_fmt_kuint(f, "pointer", pc_icmp_pointer(h)); break;
        case PC_ICMP_SOURCEQUENCH: case PC_ICMP_TIMXCEED: break;
        default:
            pc_fmt_kuint(f, "id", pc_icmp_id(h));
            pc_fmt_kuint(f, "seq", pc_icmp_seq(h));
            break;
        }
    }
    if (pc_icmp_hdr_len(t) == PC_ICMP_TSTAMP_HLEN && cap >= PC_ICMP_TSTAMP_HLEN) {
        pc_fmt_kuint(f, "ts_orig", pc_icmp_ts_orig(h));
        pc_fmt_kuint(f, "ts_recv", pc_icmp_ts_recv(h));
        pc_fmt_kuint(f, "ts_xmit", pc_icmp_ts_xmit(h));
    }
    if (pc_icmp_hdr_len(t) == PC_ICMP_MASK_HLEN && cap >= PC_ICMP_MASK_HLEN) {
        char m[16];
        pc_fmt_ip4(h + ICMP_WORD2, m);
        pc_fmt_kstr(f, "mask", m);
    }
    if (pc_icmp_is_error(t)) icmp_json_quote(d, i, f);
}

void pc_icmp_describe(const struct pc_decoded *d, int i, struct pc_fmt *f)
{
    const uint8_t *h = pc_layer_hdr(d, i);
    uint32_t cap = pc_layer_caphdr(d, i);
    if (cap < 2) {
        pc_fmt_text(f, "ICMP [|icmp]");
        return;
    }
    if (f->json) {
        icmp_json(d, i, h, cap, f);
        return;
    }
    char what[200];
    icmp_text(d, i, h, cap, what, sizeof what);
    pc_fmt_text(f, "ICMP %s, length %u", what, d->l[i].hlen + d->l[i].plen);
}

/* IPv6 and its extension headers: build, decode, describe. */
#include <string.h>

#include "../internal.h"
#include "pktcraft/core/checksum.h"
#include "pktcraft/core/fmt.h"
#include "pktcraft/wire/ipv6.h"

_Static_assert(sizeof(struct pc_ipv6) <= PC_SPEC_MAX, "pc_ipv6 spec too large for pc_blayer");
_Static_assert(sizeof(struct pc_ip6ext) <= PC_SPEC_MAX, "pc_ip6ext spec too large for pc_blayer");

/* Field offsets. */
#define V6_PLEN 4
#define V6_NH 6
#define V6_HLIM 7
#define V6_SRC 8
#define V6_DST 24
#define EXT_NH 0
#define EXT_LEN 1
#define RT_TYPE 2
#define RT_SEGLEFT 3
#define RT_WORD 4       /* reserved, or SRH last entry / flags / tag */
#define RT_ADDRS 8
#define FRAG_RES1 1
#define FRAG_OFFLG 2
#define FRAG_IDENT 4

static int fail(struct pc_pkt *pk, int rc)
{
    if (!pk->err) pk->err = rc;
    return pk->err;
}

/* ------------------------------------------------------------- builder */

int pc_push_ipv6(struct pc_pkt *pk, const struct pc_ipv6 *s)
{
    if (s->flowlabel > 0xFFFFFu || s->version > 15) return fail(pk, PC_EINVAL);
    uint8_t *h = pc_pkt_reserve(pk, PC_IPV6_HLEN, PC_P_IPV6);
    if (!h) return pk->err;
    pc_pkt_save_spec(pk, pk->n - 1, s, sizeof *s);
    uint8_t ver = s->version ? s->version : 6;
    pc_put32(h, ((uint32_t)ver << 28) | ((uint32_t)s->tclass << 20) | s->flowlabel);
    pc_put16(h + V6_PLEN, 0);
    h[V6_NH] = 0;
    h[V6_HLIM] = s->hlim;
    memcpy(h + V6_SRC, s->src, 16);
    memcpy(h + V6_DST, s->dst, 16);
    return 0;
}

/* Next-header value for the layer after i: the registry's number, "No
 * Next Header" (RFC 8200 4.7) when nothing follows, -1 when the next
 * layer has no number (raw bytes: the caller must pin). */
static int next_header(const struct pc_pkt *pk, int i)
{
    if (i + 1 >= pk->n) return PC_IPPROTO_NONE;
    return pc_next_ipproto(pk, i);
}

int pc_ipv6_fill(struct pc_pkt *pk, int i)
{
    struct pc_ipv6 s;
    pc_pkt_load_spec(pk, i, &s, sizeof s);
    uint8_t *h = pk->buf + pk->l[i].off;
    size_t plen = pk->len - pk->l[i].off - PC_IPV6_HLEN;
    if (plen > PC_IPV6_MAXPLEN && s.plen.mode != PC_FPIN) return PC_ELIMIT; /* no jumbograms */
    int next = next_header(pk, i);
    if (next < 0 && s.nh.mode != PC_FPIN) return PC_EINVAL; /* pin ipv6.nh */
    pc_put16(h + V6_PLEN, (uint16_t)pc_field_value(s.plen, (uint32_t)plen, 0xFFFF));
    h[V6_NH] = (uint8_t)pc_field_value(s.nh, (uint32_t)next, 0xFF);
    return 0;
}

static size_t pad8(size_t n) { return (n + 7) & ~(size_t)7; }

/* Wire size of an extension header, or 0 when the spec is impossible. */
static size_t ext_size(const struct pc_ip6ext *s)
{
    size_t size;
    if (s->optlen && !s->opts) return 0;
    switch (s->type) {
    case PC_P_IP6_HOP: case PC_P_IP6_DEST:
        return s->optlen <= PC_IP6EXT_MAXLEN - 2 ? pad8(2 + s->optlen) : 0;
    case PC_P_IP6_ROUTING:
        if (s->naddrs && !s->addrs) return 0;
        if (s->naddrs > (PC_IP6EXT_MAXLEN - RT_ADDRS) / 16 || s->optlen > PC_IP6EXT_MAXLEN) return 0;
        if (s->rtype == PC_IP6_RT_SRH && s->naddrs == 0 && s->last_entry.mode != PC_FPIN) return 0;
        size = pad8(RT_ADDRS + 16 * s->naddrs + s->optlen);
        return size <= PC_IP6EXT_MAXLEN ? size : 0;
    case PC_P_IP6_FRAG:
        return (s->frag_off <= 0x1FFF && s->frag_res2 <= 3) ? PC_IP6_FRAG_HLEN : 0;
    default: return 0;
    }
}

/* Options padded to the 8-byte boundary with one Pad1 or one PadN, the
 * only padding RFC 8200 4.2 defines. */
static void write_opts(uint8_t *h, const struct pc_ip6ext *s, size_t size)
{
    if (s->optlen) memcpy(h + 2, s->opts, s->optlen);
    uint8_t *p = h + 2 + s->optlen;
    size_t pad = size - 2 - s->optlen;
    if (pad == 1) p[0] = PC_IP6OPT_PAD1;
    if (pad < 2) return;
    p[0] = PC_IP6OPT_PADN;
    p[1] = (uint8_t)(pad - 2);
    memset(p + 2, 0, pad - 2);
}

static void write_routing(uint8_t *h, const struct pc_ip6ext *s, size_t size)
{
    h[RT_TYPE] = s->rtype;
    h[RT_SEGLEFT] = s->segleft;
    if (s->rtype == PC_IP6_RT_SRH) {
        h[RT_WORD] = 0; /* last entry: filled at finalize */
        h[RT_WORD + 1] = s->flags;
        pc_put16(h + RT_WORD + 2, s->tag);
    } else {
        pc_put32(h + RT_WORD, s->reserved);
    }
    uint8_t *p = h + RT_ADDRS;
    for (size_t k = 0; k < s->naddrs; k++, p += 16) memcpy(p, s->addrs[k], 16);
    if (s->optlen) memcpy(p, s->opts, s->optlen);
    p += s->optlen;
    memset(p, 0, size - (size_t)(p - h)); /* SRH: zero bytes are Pad1 TLVs */
}

static void write_frag(uint8_t *h, const struct pc_ip6ext *s)
{
    h[FRAG_RES1] = s->frag_res1;
    pc_put16(h + FRAG_OFFLG, (uint16_t)((s->frag_off << 3) | (s->frag_res2 << 1) | (s->m ? 1 : 0)));
    pc_put32(h + FRAG_IDENT, s->ident);
}

int pc_push_ip6ext(struct pc_pkt *pk, const struct pc_ip6ext *s)
{
    size_t size = ext_size(s);
    if (!size) return fail(pk, PC_EINVAL);
    uint8_t *h = pc_pkt_reserve(pk, size, s->type);
    if (!h) return pk->err;
    pc_pkt_save_spec(pk, pk->n - 1, s, sizeof *s);
    h[EXT_NH] = 0;
    h[EXT_LEN] = 0;
    if (s->type == PC_P_IP6_ROUTING) write_routing(h, s, size);
    else if (s->type == PC_P_IP6_FRAG) write_frag(h, s);
    else write_opts(h, s, size);
    return 0;
}

int pc_ip6ext_fill(struct pc_pkt *pk, int i)
{
    struct pc_ip6ext s;
    pc_pkt_load_spec(pk, i, &s, sizeof s);
    uint8_t *h = pk->buf + pk->l[i].off;
    int next = next_header(pk, i);
    if (next < 0 && s.nh.mode != PC_FPIN) return PC_EINVAL; /* pin the ext header's nh */
    h[EXT_NH] = (uint8_t)pc_field_value(s.nh, (uint32_t)next, 0xFF);
    if (s.type != PC_P_IP6_FRAG) h[EXT_LEN] = (uint8_t)pc_field_value(s.hdrlen, pk->l[i].hlen / 8 - 1, 0xFF);
    if (s.type == PC_P_IP6_ROUTING && s.rtype == PC_IP6_RT_SRH)
        h[RT_WORD] = (uint8_t)pc_field_value(s.last_entry, (uint32_t)s.naddrs - 1, 0xFF);
    return 0;
}

/* The final destination a Routing header names while segments remain
 * (RFC 8200 8.1): the last address for types 0 and 2, Segment List[0] for
 * the SRH (RFC 8754 2); NULL when it names none.  With segments left 0 the
 * header's destination already is the final one.  Several Routing headers
 * (a malformed chain) resolve to the last one naming a destination, as
 * scapy and Wireshark do. */
static const uint8_t *rt_final(const uint8_t *h, uint8_t rtype, uint8_t segleft, size_t naddrs)
{
    if (!segleft || !naddrs) return NULL;
    if (rtype == PC_IP6_RT_SRC || rtype == PC_IP6_RT_MIP6) return pc_ip6rt_addr(h, (unsigned)naddrs - 1);
    if (rtype == PC_IP6_RT_SRH) return pc_ip6rt_addr(h, 0);
    return NULL;
}

/* The home address of a Home Address option (Mobile IPv6, RFC 6275 6.3)
 * among the TLVs of a Destination Options header of hl bytes, or NULL.
 * The mobile node's home address, not the care-of address in the Source
 * field, is the source the upper-layer checksum covers: Wireshark, scapy
 * and Zeek (its ip6-hoa-tcp-good-chksum trace) agree. */
static const uint8_t *home_address(const uint8_t *h, uint32_t hl)
{
    const uint8_t *hoa = NULL;
    for (uint32_t k = 2; k < hl;) {
        if (h[k] == PC_IP6OPT_PAD1) { k++; continue; }
        if (hl - k < 2 || h[k + 1] > hl - k - 2) break;
        if (h[k] == PC_IP6OPT_HAO && h[k + 1] == 16) hoa = h + k + 2;
        k += 2u + h[k + 1];
    }
    return hoa;
}

uint32_t pc_ipv6_pseudo(const struct pc_pkt *pk, int ip6, int l4, uint8_t proto, uint32_t l4len)
{
    struct pc_ipv6 s;
    pc_pkt_load_spec(pk, ip6, &s, sizeof s);
    const uint8_t *src = s.src, *dst = s.dst;
    /* Addresses and options were written at push time: they are read back
     * from the packet, as the spec's pointers may be gone. */
    for (int k = ip6 + 1; k < l4; k++) {
        const uint8_t *h = pk->buf + pk->l[k].off, *a = NULL;
        if (pk->l[k].proto == PC_P_IP6_DEST) {
            a = home_address(h, pk->l[k].hlen);
            if (a) src = a;
        }
        if (pk->l[k].proto != PC_P_IP6_ROUTING) continue;
        struct pc_ip6ext e;
        pc_pkt_load_spec(pk, k, &e, sizeof e);
        /* Addresses as a receiver counts them (see routing_check): what the
         * header's size holds, for the SRH up to its last entry (from the
         * spec: that byte is filled after this inner layer). */
        uint32_t n = (pk->l[k].hlen - RT_ADDRS) / 16;
        uint32_t le = pc_field_value(e.last_entry, (uint32_t)e.naddrs - 1, 0xFF) + 1u;
        if (e.rtype == PC_IP6_RT_SRH && le < n) n = le;
        a = rt_final(h, e.rtype, e.segleft, n);
        if (a) dst = a;
    }
    return pc_csum_pseudo6(src, dst, proto, l4len);
}

/* ------------------------------------------------------------- decoder */

/* Option TLVs of a Hop-by-Hop or Destination Options header: each must
 * end inside the header.  Returns 1 when a Jumbo Payload option is seen,
 * 0 otherwise, -1 on a bad length. */
static int opts_check(const uint8_t *p, uint32_t len)
{
    int jumbo = 0;
    for (uint32_t k = 0; k < len;) {
        if (p[k] == PC_IP6OPT_PAD1) { k++; continue; }
        if (len - k < 2 || p[k + 1] > len - k - 2) return -1;
        if (p[k] == PC_IP6OPT_JUMBO) jumbo = 1;
        k += 2u + p[k + 1];
    }
    return jumbo;
}

/* The addresses a receiver counts in a Routing header of hl bytes: what
 * the header's size holds, for the SRH up to its last entry. */
static uint32_t rt_naddrs(const uint8_t *h, uint32_t hl)
{
    uint32_t room = (hl - RT_ADDRS) / 16;
    if (pc_ip6rt_type(h) != PC_IP6_RT_SRH) return room;
    uint32_t n = pc_ip6rt_last_entry(h) + 1u;
    return n < room ? n : room;
}

uint32_t pc_ipv6_dec_pseudo(const struct pc_decoded *d, int ip6, int l4, uint8_t proto, uint32_t l4len)
{
    const uint8_t *h = pc_layer_hdr(d, ip6), *src = pc_ipv6_src(h), *dst = pc_ipv6_dst(h);
    for (int k = ip6 + 1; k < l4; k++) {
        const struct pc_layer *l = &d->l[k];
        if (pc_layer_caphdr(d, k) < l->hlen || l->hlen < RT_ADDRS) break;
        const uint8_t *e = pc_layer_hdr(d, k), *a = NULL;
        if (l->proto == PC_P_IP6_DEST) a = home_address(e, l->hlen);
        if (a) src = a;
        if (l->proto != PC_P_IP6_ROUTING) continue;
        a = rt_final(e, pc_ip6rt_type(e), pc_ip6rt_segleft(e), rt_naddrs(e, l->hlen));
        if (a) dst = a;
    }
    return pc_csum_pseudo6(src, dst, proto, l4len);
}

/* Consistency of a Routing header's counts; updates the destination used
 * by the L4 pseudo-header.  Returns a reason, or NULL when consistent. */
static const char *routing_check(struct pc_walk *w, const uint8_t *h, uint32_t hl)
{
    uint32_t room = (hl - RT_ADDRS) / 16, naddrs = room;
    uint8_t rtype = pc_ip6rt_type(h), segleft = pc_ip6rt_segleft(h);
    const char *why = NULL;
    if (rtype == PC_IP6_RT_SRC || rtype == PC_IP6_RT_MIP6) {
        if ((hl - RT_ADDRS) % 16) why = "ipv6 routing header length not a whole number of addresses";
        else if (segleft > naddrs) why = "ipv6 routing segments left beyond the address count";
    } else if (rtype == PC_IP6_RT_SRH) {
        naddrs = pc_ip6rt_last_entry(h) + 1u;
        if (naddrs > room) why = "ipv6 srh last entry beyond the header";
        else if (segleft > naddrs) why = "ipv6 srh segments left beyond the segment list";
        if (naddrs > room) naddrs = room;
    }
    const uint8_t *fd = rt_final(h, rtype, segleft, naddrs);
    if (fd) w->ip6_dst = fd;
    return why;
}

/* Mark layer i and stop the walk (0: no header length to advance by). */
static uint32_t fail_dec(struct pc_walk *w, int i, uint8_t flag, const char *why)
{
    pc_dec_fail(w, i, flag, why);
    return 0;
}

/* A Hop-by-Hop / Destination Options / Routing header at off: layer added,
 * lengths checked against the payload and the capture.  Returns its
 * length, or 0 when the walk must stop. */
static uint32_t ext_generic(struct pc_walk *w, uint8_t proto, uint32_t off)
{
    struct pc_decoded *d = w->d;
    int i = pc_dec_add(w, proto, off, PC_IP6EXT_MINLEN, 0);
    if (i < 0) return 0;
    uint32_t room = w->end - off, avail = pc_dec_avail(w, off);
    if (room < PC_IP6EXT_MINLEN)
        return fail_dec(w, i, PC_LF_MALFORMED, "ipv6 extension header beyond the payload length");
    if (avail < 2) return fail_dec(w, i, PC_LF_TRUNC, "ipv6 extension header cut by the capture");
    const uint8_t *h = d->buf + off;
    uint32_t hl = pc_ip6ext_len(h);
    d->l[i].hlen = hl;
    if (hl > room) return fail_dec(w, i, PC_LF_MALFORMED, "ipv6 extension header length beyond the payload length");
    if (avail < hl) return fail_dec(w, i, PC_LF_TRUNC, "ipv6 extension header cut by the capture");
    d->l[i].plen = room - hl;
    /* Counts inside a header whose extent is sound: marked, walk goes on. */
    const char *why = NULL;
    if (proto == PC_P_IP6_ROUTING) why = routing_check(w, h, hl);
    else if (opts_check(h + 2, hl - 2) < 0) why = "ipv6 option length beyond the header";
    if (why) pc_dec_fail(w, i, PC_LF_MALFORMED, why);
    const uint8_t *hoa = proto == PC_P_IP6_DEST ? home_address(h, hl) : NULL;
    if (hoa) w->ip6_src = hoa;
    return hl;
}

/* A Fragment header: a non-first fragment carries no next header to
 * decode (returns 0 after adding the payload); a first fragment goes on
 * with the L4 checksum left unverified.  An atomic fragment (offset 0,
 * M 0, RFC 6946) is a whole datagram. */
static uint32_t ext_frag(struct pc_walk *w, uint32_t off, int ip6)
{
    struct pc_decoded *d = w->d;
    int i = pc_dec_add(w, PC_P_IP6_FRAG, off, PC_IP6_FRAG_HLEN, 0);
    if (i < 0) return 0;
    if (w->end - off < PC_IP6_FRAG_HLEN)
        return fail_dec(w, i, PC_LF_MALFORMED, "ipv6 fragment header beyond the payload length");
    if (pc_dec_avail(w, off) < PC_IP6_FRAG_HLEN)
        return fail_dec(w, i, PC_LF_TRUNC, "ipv6 fragment header cut by the capture");
    const uint8_t *h = d->buf + off;
    d->l[i].plen = w->end - off - PC_IP6_FRAG_HLEN;
    if (!pc_ip6frag_off(h) && !pc_ip6frag_m(h)) return PC_IP6_FRAG_HLEN;
    w->frag = 1;
    d->l[i].flags |= PC_LF_FRAG;
    d->l[ip6].flags |= PC_LF_FRAG;
    if (!pc_ip6frag_off(h)) return PC_IP6_FRAG_HLEN;
    pc_dec_payload(w, off + PC_IP6_FRAG_HLEN);
    return 0;
}

static uint8_t ext_proto(uint8_t nh)
{
    switch (nh) {
    case PC_IPPROTO_HOPOPTS: return PC_P_IP6_HOP;
    case PC_IPPROTO_ROUTING: return PC_P_IP6_ROUTING;
    case PC_IPPROTO_FRAGMENT: return PC_P_IP6_FRAG;
    case PC_IPPROTO_DSTOPTS: return PC_P_IP6_DEST;
    default: return PC_P_NONE; /* AH, ESP, Mobility ... end the walk */
    }
}

/* The extension-header chain from off, then the upper layer.  The chain
 * is capped: a longer one is reported as over the limit (PC_ELIMIT) and
 * the rest left as payload. */
static void walk_chain(struct pc_walk *w, int ip6, uint8_t nh, uint32_t off)
{
    struct pc_decoded *d = w->d;
    for (int count = 0;; count++) {
        uint8_t proto = ext_proto(nh);
        if (proto == PC_P_NONE) break;
        if (count == PC_IPV6_MAXEXT) {
            if (!d->l[ip6].why) d->l[ip6].why = "more than 8 ipv6 extension headers: rest not decoded";
            if (!d->err) d->err = PC_ELIMIT;
            pc_dec_payload(w, off);
            return;
        }
        int li = d->n;
        uint32_t hl = proto == PC_P_IP6_FRAG ? ext_frag(w, off, ip6) : ext_generic(w, proto, off);
        if (!hl) return;
        if (proto == PC_P_IP6_HOP && count > 0 && !d->l[li].why)
            d->l[li].why = "hop-by-hop options not first (RFC 8200 4.1)"; /* a note, not an error */
        nh = pc_ip6ext_nh(d->buf + off);
        off += hl;
    }
    pc_dec_ipproto(w, nh, off);
}

/* A captured Hop-by-Hop header at off carrying a Jumbo Payload option. */
static int is_jumbo(const struct pc_walk *w, uint32_t off)
{
    uint32_t avail = pc_dec_avail(w, off);
    if (avail < 2) return 0;
    const uint8_t *h = w->d->buf + off;
    uint32_t hl = pc_ip6ext_len(h);
    return hl <= avail && opts_check(h + 2, hl - 2) == 1;
}

void pc_ipv6_decode(struct pc_walk *w, uint32_t off)
{
    struct pc_decoded *d = w->d;
    int i = pc_dec_add(w, PC_P_IPV6, off, PC_IPV6_HLEN, 0);
    if (i < 0) return;
    d->l3 = (int8_t)i;
    uint32_t room = w->end - off;
    if (room < PC_IPV6_HLEN) {
        pc_dec_fail(w, i, PC_LF_MALFORMED, "ipv6 header beyond the enclosing length");
        return;
    }
    if (pc_dec_avail(w, off) < PC_IPV6_HLEN) {
        pc_dec_fail(w, i, PC_LF_TRUNC, "ipv6 header cut by the capture");
        return;
    }
    const uint8_t *h = d->buf + off;
    if (pc_ipv6_version(h) != 6) { pc_dec_fail(w, i, PC_LF_MALFORMED, "ipv6 version is not 6"); return; }
    uint32_t plen = pc_ipv6_plen(h);
    room -= PC_IPV6_HLEN;
    w->ipver = 6;
    w->ip6_src = pc_ipv6_src(h);
    w->ip6_dst = pc_ipv6_dst(h);
    if (plen == 0 && pc_ipv6_nh(h) == PC_IPPROTO_HOPOPTS && is_jumbo(w, off + PC_IPV6_HLEN)) {
        /* Payload length 0 before Hop-by-Hop: a jumbogram (RFC 2675),
         * whose length is in an option.  Not supported: noted, not an
         * error, and the rest of the frame is left as payload. */
        d->l[i].plen = room;
        d->l[i].why = "jumbogram (RFC 2675) not supported: left as payload";
        pc_dec_payload(w, off + PC_IPV6_HLEN);
        return;
    }
    if (plen > room) { pc_dec_fail(w, i, PC_LF_MALFORMED, "ipv6 payload length beyond the frame"); return; }
    d->l[i].plen = plen;
    if (plen < room && i > 0) d->l[i - 1].flags |= PC_LF_TRAILER; /* Ethernet padding or trailer */
    w->end = off + PC_IPV6_HLEN + plen;
    walk_chain(w, i, pc_ipv6_nh(h), off + PC_IPV6_HLEN);
}

/* ------------------------------------------------------------ describe */

void pc_ipv6_describe(const struct pc_decoded *d, int i, struct pc_fmt *f)
{
    if (pc_layer_caphdr(d, i) < PC_IPV6_HLEN) return;
    const uint8_t *h = pc_layer_hdr(d, i);
    if (!f->json) {
        char a[46], b[46];
        pc_fmt_ip6(pc_ipv6_src(h), a);
        pc_fmt_ip6(pc_ipv6_dst(h), b);
        pc_fmt_text(f, "IP6 %s > %s", a, b);
        return;
    }
    pc_fmt_kip6(f, "src", pc_ipv6_src(h));
    pc_fmt_kip6(f, "dst", pc_ipv6_dst(h));
    pc_fmt_kuint(f, "version", pc_ipv6_version(h));
    pc_fmt_kuint(f, "tclass", pc_ipv6_tclass(h));
    pc_fmt_kuint(f, "flowlabel", pc_ipv6_flowlabel(h));
    pc_fmt_kuint(f, "hlim", pc_ipv6_hlim(h));
    pc_fmt_kuint(f, "plen", pc_ipv6_plen(h));
    pc_fmt_kuint(f, "nh", pc_ipv6_nh(h));
}

static void hex_member(struct pc_fmt *f, const char *key, const uint8_t *p, size_t n)
{
    static const char digits[] = "0123456789abcdef";
    char s[2 * PC_IP6EXT_MAXLEN + 1];
    for (size_t k = 0; k < n; k++) {
        s[2 * k] = digits[p[k] >> 4];
        s[2 * k + 1] = digits[p[k] & 15];
    }
    s[2 * n] = 0;
    pc_fmt_kstr(f, key, s);
}

static void describe_routing(const uint8_t *h, uint32_t cap, struct pc_fmt *f)
{
    uint8_t rtype = pc_ip6rt_type(h);
    pc_fmt_text(f, "srcrt (type %u, segleft %u)", rtype, pc_ip6rt_segleft(h));
    pc_fmt_kuint(f, "type", rtype);
    pc_fmt_kuint(f, "segleft", pc_ip6rt_segleft(h));
    uint32_t n = (cap - RT_ADDRS) / 16;
    if (rtype == PC_IP6_RT_SRH) {
        pc_fmt_kuint(f, "last_entry", pc_ip6rt_last_entry(h));
        pc_fmt_kuint(f, "flags", pc_ip6rt_flags(h));
        pc_fmt_kuint(f, "tag", pc_ip6rt_tag(h));
        if (pc_ip6rt_last_entry(h) + 1u < n) n = pc_ip6rt_last_entry(h) + 1u;
    } else {
        pc_fmt_kuint(f, "reserved", pc_ip6rt_reserved(h));
        if (rtype != PC_IP6_RT_SRC && rtype != PC_IP6_RT_MIP6) n = 0;
    }
    if (!f->json) return;
    pc_fmt_karr_open(f, "addresses");
    for (uint32_t k = 0; k < n; k++) {
        char a[46];
        pc_fmt_ip6(pc_ip6rt_addr(h, k), a);
        pc_fmt_kstr(f, NULL, a);
    }
    pc_fmt_karr_close(f);
}

static void describe_frag(const struct pc_decoded *d, int i, const uint8_t *h, struct pc_fmt *f)
{
    pc_fmt_text(f, "frag (%u|%u) id 0x%x", pc_ip6frag_off(h) * 8u, d->l[i].plen, pc_ip6frag_ident(h));
    pc_fmt_kuint(f, "nh", pc_ip6ext_nh(h));
    pc_fmt_kuint(f, "frag_off", pc_ip6frag_off(h) * 8u); /* bytes, as IPv4's frag_off */
    pc_fmt_kbool(f, "m", pc_ip6frag_m(h));
    pc_fmt_kuint(f, "ident", pc_ip6frag_ident(h));
    pc_fmt_kuint(f, "reserved", pc_ip6frag_res1(h));
    pc_fmt_kuint(f, "reserved_bits", pc_ip6frag_res2(h));
}

void pc_ip6ext_describe(const struct pc_decoded *d, int i, struct pc_fmt *f)
{
    uint32_t cap = pc_layer_caphdr(d, i);
    if (cap < PC_IP6EXT_MINLEN) return;
    const uint8_t *h = pc_layer_hdr(d, i);
    uint8_t p = d->l[i].proto;
    if (p == PC_P_IP6_FRAG) { describe_frag(d, i, h, f); return; }
    pc_fmt_kuint(f, "nh", pc_ip6ext_nh(h));
    pc_fmt_kuint(f, "hdrlen", pc_ip6ext_hdrlen(h));
    if (p == PC_P_IP6_ROUTING) { describe_routing(h, cap, f); return; }
    pc_fmt_text(f, p == PC_P_IP6_HOP ? "HBH" : "DSTOPT");
    hex_member(f, "options", h + 2, cap - 2);
}

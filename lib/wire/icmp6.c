/* ICMPv6 and Neighbor Discovery: build (with ND options and the quoted
 * packet of errors), decode (options checked, the quote as inner layers)
 * and describe. */
#include <stdio.h>
#include <string.h>

#include "../internal.h"
#include "pktcraft/core/checksum.h"
#include "pktcraft/core/fmt.h"
#include "pktcraft/wire/icmp6.h"
#include "pktcraft/wire/ipv6.h"

_Static_assert(sizeof(struct pc_icmp6) <= PC_SPEC_MAX, "struct pc_icmp6 outgrew the layer spec storage");

/* Defined in lib/icmp.c (quoted packets of both ICMP versions); the
 * prototype belongs in lib/internal.h, which another module owns. */

/* Header offsets. */
#define I6_TYPE 0
#define I6_CODE 1
#define I6_CSUM 2
#define I6_REST 4
#define RA_HOPLIMIT 4
#define RA_FLAGS 5
#define RA_LIFETIME 6
#define RA_REACHABLE 8
#define RA_RETRANS 12
#define ND_TARGET 8
#define RD_DST 24
/* Option offsets and sizes (RFC 4861 4.6). */
#define OPT_TYPE 0
#define OPT_LEN 1
#define OPT_BODY 2
#define OPT_UNIT 8
#define OPT_MAXLEN (255 * OPT_UNIT)
#define OPT_LLADDR_LEN 8
#define OPT_PREFIX_LEN 32
#define OPT_MTU_LEN 8
#define OPT_REDIR_HDR 8   /* type, length, 6 reserved bytes */
#define PI_PLEN 2
#define PI_FLAGS 3
#define PI_VALID 4
#define PI_PREFERRED 8
#define PI_RESERVED2 12
#define PI_PREFIX 16
#define MTU_VALUE 4

const char *pc_icmp6_type_name(uint8_t type)
{
    switch (type) {
    case PC_ICMP6_DST_UNREACH: return "destination unreachable";
    case PC_ICMP6_PACKET_TOO_BIG: return "packet too big";
    case PC_ICMP6_TIME_EXCEEDED: return "time exceeded in-transit";
    case PC_ICMP6_PARAM_PROB: return "parameter problem";
    case PC_ICMP6_ECHO_REQUEST: return "echo request";
    case PC_ICMP6_ECHO_REPLY: return "echo reply";
    case 130: return "multicast listener query";
    case 131: return "multicast listener report";
    case 132: return "multicast listener done";
    case PC_ND_ROUTER_SOLICIT: return "router solicitation";
    case PC_ND_ROUTER_ADVERT: return "router advertisement";
    case PC_ND_NEIGHBOR_SOLICIT: return "neighbor solicitation";
    case PC_ND_NEIGHBOR_ADVERT: return "neighbor advertisement";
    case PC_ND_REDIRECT: return "redirect";
    case 143: return "multicast listener report v2";
    default: return NULL;
    }
}

/* ------------------------------------------------------------- building */

static int push_fail(struct pc_pkt *pk, int rc)
{
    if (!pk->err) pk->err = rc;
    return pk->err;
}

static size_t pad8(size_t n) { return (n + OPT_UNIT - 1) & ~(size_t)(OPT_UNIT - 1); }

/* Wire size of an option (padded), or 0 when the spec is impossible. */
static size_t opt_size(const struct pc_nd_opt *o)
{
    if (o->dlen && !o->data) return 0;
    size_t n;
    switch (o->type) {
    case PC_ND_OPT_SRC_LLADDR: case PC_ND_OPT_TGT_LLADDR: n = OPT_LLADDR_LEN; break;
    case PC_ND_OPT_PREFIX: n = OPT_PREFIX_LEN; break;
    case PC_ND_OPT_MTU: n = OPT_MTU_LEN; break;
    case PC_ND_OPT_REDIRECTED: n = o->dlen > OPT_MAXLEN ? OPT_MAXLEN + 1 : OPT_REDIR_HDR + o->dlen; break;
    default: n = o->dlen > OPT_MAXLEN ? OPT_MAXLEN + 1 : OPT_BODY + o->dlen; break;
    }
    n = pad8(n);
    return n <= OPT_MAXLEN ? n : 0;
}

static void opt_write(const struct pc_nd_opt *o, uint8_t *p, size_t size)
{
    memset(p, 0, size);
    p[OPT_TYPE] = o->type;
    p[OPT_LEN] = (uint8_t)pc_field_value(o->len, (uint32_t)(size / OPT_UNIT), 0xFF);
    switch (o->type) {
    case PC_ND_OPT_SRC_LLADDR: case PC_ND_OPT_TGT_LLADDR: memcpy(p + OPT_BODY, o->lladdr, 6); break;
    case PC_ND_OPT_PREFIX:
        p[PI_PLEN] = o->prefix_len;
        p[PI_FLAGS] = o->prefix_flags;
        pc_put32(p + PI_VALID, o->valid_lifetime);
        pc_put32(p + PI_PREFERRED, o->preferred_lifetime);
        memcpy(p + PI_PREFIX, o->prefix, 16);
        break;
    case PC_ND_OPT_MTU: pc_put32(p + MTU_VALUE, o->mtu); break;
    case PC_ND_OPT_REDIRECTED: if (o->dlen) memcpy(p + OPT_REDIR_HDR, o->data, o->dlen); break;
    default: if (o->dlen) memcpy(p + OPT_BODY, o->data, o->dlen); break;
    }
}

/* Bytes 4..7 as the type defines them (see struct pc_icmp6). */
static uint32_t rest_of_header(const struct pc_icmp6 *s)
{
    if (s->rest_mode == PC_ICMP6_REST_RAW) return s->rest;
    switch (s->type) {
    case PC_ICMP6_DST_UNREACH: case PC_ICMP6_TIME_EXCEEDED: case PC_ND_ROUTER_SOLICIT:
    case PC_ND_NEIGHBOR_SOLICIT: case PC_ND_REDIRECT:
        return 0;
    case PC_ICMP6_PACKET_TOO_BIG: return s->mtu;
    case PC_ICMP6_PARAM_PROB: return s->pointer;
    case PC_ND_ROUTER_ADVERT:
        return ((uint32_t)s->cur_hop_limit << 24) | ((uint32_t)s->flags << 16) | s->router_lifetime;
    case PC_ND_NEIGHBOR_ADVERT: return (uint32_t)s->flags << 24;
    default: return ((uint32_t)s->id << 16) | s->seq;
    }
}

/* The fixed part after bytes 0..7. */
static void write_body(const struct pc_icmp6 *s, uint8_t *h)
{
    switch (s->type) {
    case PC_ND_ROUTER_ADVERT:
        pc_put32(h + RA_REACHABLE, s->reachable_time);
        pc_put32(h + RA_RETRANS, s->retrans_timer);
        break;
    case PC_ND_NEIGHBOR_SOLICIT: case PC_ND_NEIGHBOR_ADVERT: memcpy(h + ND_TARGET, s->target, 16); break;
    case PC_ND_REDIRECT:
        memcpy(h + ND_TARGET, s->target, 16);
        memcpy(h + RD_DST, s->dst, 16);
        break;
    default: break;
    }
}

int pc_push_icmp6(struct pc_pkt *pk, const struct pc_icmp6 *s)
{
    size_t nopts = s->opts ? s->nopts : 0, olen = 0;
    int raw = s->rest_mode == PC_ICMP6_REST_RAW;
    if (s->rest_mode > PC_ICMP6_REST_RAW || (nopts && (raw || !pc_icmp6_is_nd(s->type))))
        return push_fail(pk, PC_EINVAL);
    for (size_t k = 0; k < nopts; k++) {
        size_t sz = opt_size(&s->opts[k]);
        if (!sz || sz > PC_IPV6_MAXPLEN - olen) return push_fail(pk, PC_EINVAL);
        olen += sz;
    }
    uint32_t hl = raw ? PC_ICMP6_HLEN : pc_icmp6_hdr_len(s->type);
    uint8_t *h = pc_pkt_reserve(pk, hl + olen, PC_P_ICMP6);
    if (!h) return pk->err;
    pc_pkt_save_spec(pk, pk->n - 1, s, sizeof *s);
    memset(h, 0, hl);
    h[I6_TYPE] = s->type;
    h[I6_CODE] = s->code;
    pc_put32(h + I6_REST, rest_of_header(s));
    if (!raw) write_body(s, h);
    uint8_t *p = h + hl;
    for (size_t k = 0; k < nopts; k++) {
        size_t sz = opt_size(&s->opts[k]);
        opt_write(&s->opts[k], p, sz);
        p += sz;
    }
    return 0;
}

/* The checksum is mandatory and covers the IPv6 pseudo-header (RFC 4443
 * 2.3): source, final destination, upper-layer length, next header 58. */
int pc_icmp6_fill(struct pc_pkt *pk, int i)
{
    struct pc_icmp6 s;
    pc_pkt_load_spec(pk, i, &s, sizeof s);
    uint8_t *h = pk->buf + pk->l[i].off;
    uint32_t len = (uint32_t)(pk->len - pk->l[i].off);
    pc_put16(h + I6_CSUM, 0);
    uint32_t sum = pc_l4_pseudo(pk, i, PC_IPPROTO_ICMPV6, len);
    pc_put16(h + I6_CSUM, pc_field_csum(s.csum, pc_csum_fold(pc_csum_partial(h, len, sum))));
    return 0;
}

int pc_push_icmp6_quote(struct pc_pkt *pk, const uint8_t *ip6, size_t len, size_t max)
{
    if (pk->err) return pk->err;
    if (!ip6 || len < PC_IPV6_HLEN || pc_ipv6_version(ip6) != 6) return push_fail(pk, PC_EINVAL);
    size_t total = PC_IPV6_HLEN + (size_t)pc_ipv6_plen(ip6);
    if (total < len) len = total; /* link padding is not part of the packet */
    size_t n = max;
    if (max == 0 || max == PC_ICMP6_QUOTE_MAX) {
        int ip = pc_pkt_find_before(pk, pk->n, PC_P_IPV6);
        size_t used = ip >= 0 ? pk->len - pk->l[ip].off : pk->len + PC_IPV6_HLEN;
        n = used < PC_IPV6_MIN_MTU ? PC_IPV6_MIN_MTU - used : 0;
    }
    return pc_push_payload(pk, ip6, n < len ? n : len);
}

int pc_push_icmp6_quote_frame(struct pc_pkt *pk, const uint8_t *frame, size_t caplen, int linktype, size_t max)
{
    if (pk->err) return pk->err;
    size_t off, len;
    if (pc_icmp_find_datagram(frame, caplen, linktype, 6, &off, &len) < 0) return push_fail(pk, PC_EINVAL);
    return pc_push_icmp6_quote(pk, frame + off, len, max);
}

int pc_nd_opts_walk(const uint8_t *p, size_t len, pc_nd_opt_cb cb, void *ctx)
{
    size_t k = 0;
    while (k < len) {
        if (len - k < OPT_UNIT || p[k + OPT_LEN] == 0) return PC_EMALFORMED;
        size_t ol = (size_t)p[k + OPT_LEN] * OPT_UNIT;
        if (ol > len - k) return PC_EMALFORMED;
        if (cb) cb(ctx, p[k + OPT_TYPE], p[k + OPT_LEN], p + k);
        k += ol;
    }
    return 0;
}

/* ------------------------------------------------------------- decoding */

static const char *short_reason(uint8_t type)
{
    switch (type) {
    case PC_ND_ROUTER_ADVERT: return "icmp6 router advertisement shorter than 16 bytes";
    case PC_ND_NEIGHBOR_SOLICIT: return "icmp6 neighbor solicitation shorter than 24 bytes";
    case PC_ND_NEIGHBOR_ADVERT: return "icmp6 neighbor advertisement shorter than 24 bytes";
    default: return "icmp6 redirect shorter than 40 bytes";
    }
}

/* Size rules of the options whose layout is fixed (RFC 4861 4.6). */
static const char *opt_size_problem(uint8_t type, uint8_t units)
{
    if (type == PC_ND_OPT_PREFIX && units != OPT_PREFIX_LEN / OPT_UNIT) return "nd prefix information option length not 4";
    if (type == PC_ND_OPT_MTU && units != OPT_MTU_LEN / OPT_UNIT) return "nd mtu option length not 1";
    return NULL;
}

/* Options of an ND message in [off, end): lengths checked against the
 * message (malformed) and, after that, against the capture (truncated). */
static void decode_opts(struct pc_walk *w, int i, uint32_t off, uint32_t end)
{
    const uint8_t *b = w->d->buf;
    uint32_t cap_end = off + pc_dec_avail(w, off);
    while (off < end) {
        uint32_t left = end - off;
        if (left < OPT_UNIT) { pc_dec_fail(w, i, PC_LF_MALFORMED, "nd option runs past the message"); return; }
        if (off + OPT_BODY > cap_end) { pc_dec_fail(w, i, PC_LF_TRUNC, "nd options cut by the capture"); return; }
        uint8_t units = b[off + OPT_LEN];
        if (units == 0) { pc_dec_fail(w, i, PC_LF_MALFORMED, "nd option length 0"); return; }
        if (units * (uint32_t)OPT_UNIT > left) { pc_dec_fail(w, i, PC_LF_MALFORMED, "nd option runs past the message"); return; }
        const char *why = opt_size_problem(b[off + OPT_TYPE], units);
        if (why) { pc_dec_fail(w, i, PC_LF_MALFORMED, why); return; }
        off += units * (uint32_t)OPT_UNIT;
    }
    if (cap_end < end) pc_dec_fail(w, i, PC_LF_TRUNC, "nd options cut by the capture");
}

void pc_icmp6_decode(struct pc_walk *w, uint32_t off)
{
    struct pc_decoded *d = w->d;
    int i = pc_dec_l4_start(w, PC_P_ICMP6, off, PC_ICMP6_HLEN, "icmp6 message shorter than 8 bytes",
                            "icmp6 header cut by the capture");
    if (i < 0) return;
    const uint8_t *h = d->buf + off;
    uint8_t type = pc_icmp6_type(h);
    uint32_t room = w->end - off, hl = pc_icmp6_hdr_len(type);
    d->l[i].hlen = hl;
    if (room < hl) {
        if (w->frag) { d->l[i].why = "icmp6 message continues in the next fragment"; return; }
        pc_dec_fail(w, i, PC_LF_MALFORMED, short_reason(type));
        return;
    }
    if (pc_dec_avail(w, off) < hl) { pc_dec_fail(w, i, PC_LF_TRUNC, "icmp6 message body cut by the capture"); return; }
    d->l[i].csum = pc_dec_l4_csum(w, off, room, PC_IPPROTO_ICMPV6, 1);
    if (pc_icmp6_is_nd(type)) {
        d->l[i].hlen = room; /* the options belong to the header, like TCP's */
        if (!w->frag) decode_opts(w, i, off + hl, w->end);
        return;
    }
    d->l[i].plen = room - hl;
    if (pc_icmp6_is_error(type) && !w->frag) pc_dec_quote(w, i, off + hl, w->end, 6);
    else pc_dec_payload(w, off + hl);
}

/* ----------------------------------------------------------- describing */

/* The quoted packet's addresses as text ("?" when not captured). */
struct quote6_text {
    struct pc_icmp_quote q;
    char src[46], dst[46];
};

static void get_quote(const struct pc_decoded *d, int i, struct quote6_text *t)
{
    int v = pc_icmp_quote_info(d, i, &t->q);
    strcpy(t->src, "?");
    strcpy(t->dst, "?");
    if (v == 6) { pc_fmt_ip6(t->q.src, t->src); pc_fmt_ip6(t->q.dst, t->dst); }
    if (v == 4) { pc_fmt_ip4(t->q.src, t->src); pc_fmt_ip4(t->q.dst, t->dst); }
}

static void unreach_text(const struct pc_decoded *d, int i, uint8_t code, char *out, size_t n)
{
    static const char *const codes[] = {
        "unreachable route", "unreachable prohibited", "beyond scope", "unreachable address",
        "unreachable port", "failed policy", "reject route", "source routing header error",
    };
    struct quote6_text t;
    get_quote(d, i, &t);
    if (code >= sizeof codes / sizeof codes[0]) { snprintf(out, n, ", unknown unreach code (%u)", code); return; }
    const char *c = codes[code];
    const char *pn = t.q.proto == PC_IPPROTO_TCP ? "tcp" : t.q.proto == PC_IPPROTO_UDP ? "udp" : NULL;
    if (code == PC_ICMP6_UNREACH_NOPORT && t.q.have_ports && pn)
        snprintf(out, n, ", %s, %s %s port %u", c, t.dst, pn, t.q.dport);
    else if (code == PC_ICMP6_UNREACH_NOPORT && t.q.have_ports)
        snprintf(out, n, ", %s, %s protocol %u port %u", c, t.dst, t.q.proto, t.q.dport);
    else if (code == PC_ICMP6_UNREACH_BEYONDSCOPE)
        snprintf(out, n, ", %s %s, source address %s", c, t.dst, t.src);
    else
        snprintf(out, n, ", %s %s", c, t.dst);
}

static void timxceed_text(const struct pc_decoded *d, int i, uint8_t code, char *out, size_t n)
{
    struct quote6_text t;
    get_quote(d, i, &t);
    if (code == PC_ICMP6_TIMXCEED_HOPLIMIT) snprintf(out, n, " for %s", t.dst);
    else if (code == PC_ICMP6_TIMXCEED_REASS) snprintf(out, n, " (reassembly)");
    else snprintf(out, n, ", unknown code (%u)", code);
}

static void paramprob_text(const uint8_t *h, char *out, size_t n)
{
    static const char *const codes[] = { "erroneous", "next header", "option" };
    uint8_t code = pc_icmp6_code(h);
    if (code < 3) snprintf(out, n, ", %s - octet %u", codes[code], pc_icmp6_pointer(h));
    else snprintf(out, n, ", code-#%u", code);
}

/* The tcpdump-like detail after the type name, given cap captured bytes. */
static void detail_text(const struct pc_decoded *d, int i, const uint8_t *h, uint32_t cap, char *out, size_t n)
{
    char a[46], b[46];
    out[0] = 0;
    uint8_t type = pc_icmp6_type(h);
    if (cap < pc_icmp6_hdr_len(type)) return;
    switch (type) {
    case PC_ICMP6_ECHO_REQUEST: case PC_ICMP6_ECHO_REPLY:
        snprintf(out, n, ", id %u, seq %u", pc_icmp6_id(h), pc_icmp6_seq(h));
        break;
    case PC_ICMP6_DST_UNREACH: unreach_text(d, i, pc_icmp6_code(h), out, n); break;
    case PC_ICMP6_PACKET_TOO_BIG: snprintf(out, n, ", mtu %u", pc_icmp6_mtu(h)); break;
    case PC_ICMP6_TIME_EXCEEDED: timxceed_text(d, i, pc_icmp6_code(h), out, n); break;
    case PC_ICMP6_PARAM_PROB: paramprob_text(h, out, n); break;
    case PC_ND_NEIGHBOR_SOLICIT: pc_fmt_ip6(pc_nd_target(h), a); snprintf(out, n, ", who has %s", a); break;
    case PC_ND_NEIGHBOR_ADVERT: pc_fmt_ip6(pc_nd_target(h), a); snprintf(out, n, ", tgt is %s", a); break;
    case PC_ND_REDIRECT:
        pc_fmt_ip6(pc_nd_redirect_dst(h), a);
        pc_fmt_ip6(pc_nd_target(h), b);
        snprintf(out, n, ", %s to %s", a, b);
        break;
    default: break;
    }
}

static void json_bytes_colon(struct pc_fmt *f, const char *key, const uint8_t *p, size_t n)
{
    char s[3 * 255 * OPT_UNIT + 1];
    size_t k = 0;
    for (size_t j = 0; j < n; j++) k += (size_t)snprintf(s + k, sizeof s - k, j ? ":%02x" : "%02x", p[j]);
    s[k] = 0;
    pc_fmt_kstr(f, key, s);
}

static void json_opt(struct pc_fmt *f, uint8_t type, uint8_t units, const uint8_t *o)
{
    char a[46];
    pc_fmt_kobj_open(f, NULL);
    pc_fmt_kuint(f, "type", type);
    pc_fmt_kuint(f, "len", units);
    switch (type) {
    case PC_ND_OPT_SRC_LLADDR: case PC_ND_OPT_TGT_LLADDR:
        json_bytes_colon(f, "lladdr", pc_nd_opt_lladdr(o), units * (size_t)OPT_UNIT - OPT_BODY);
        break;
    case PC_ND_OPT_PREFIX:
        if (units * OPT_UNIT < OPT_PREFIX_LEN) break;
        pc_fmt_ip6(pc_nd_opt_prefix(o), a);
        pc_fmt_kstr(f, "prefix", a);
        pc_fmt_kuint(f, "prefix_len", pc_nd_opt_prefix_len(o));
        pc_fmt_kbool(f, "on_link", pc_nd_opt_prefix_flags(o) & PC_ND_PREFIX_ONLINK);
        pc_fmt_kbool(f, "autonomous", pc_nd_opt_prefix_flags(o) & PC_ND_PREFIX_AUTO);
        pc_fmt_kuint(f, "valid_lifetime", pc_nd_opt_valid(o));
        pc_fmt_kuint(f, "preferred_lifetime", pc_nd_opt_preferred(o));
        break;
    case PC_ND_OPT_MTU: pc_fmt_kuint(f, "mtu", pc_nd_opt_mtu(o)); break;
    default: break;
    }
    pc_fmt_kobj_close(f);
}

/* The options that are whole in the capture, up to the first broken one. */
static void json_opts(struct pc_fmt *f, const uint8_t *p, uint32_t len)
{
    pc_fmt_karr_open(f, "options");
    uint32_t k = 0;
    while (len - k >= OPT_UNIT && p[k + OPT_LEN] && p[k + OPT_LEN] * (uint32_t)OPT_UNIT <= len - k) {
        json_opt(f, p[k + OPT_TYPE], p[k + OPT_LEN], p + k);
        k += p[k + OPT_LEN] * (uint32_t)OPT_UNIT;
    }
    pc_fmt_karr_close(f);
}

static void json_quote(const struct pc_decoded *d, int i, struct pc_fmt *f)
{
    struct quote6_text t;
    get_quote(d, i, &t);
    if (!t.q.version) return;
    pc_fmt_kobj_open(f, "quoted");
    pc_fmt_kstr(f, "src", t.src);
    pc_fmt_kstr(f, "dst", t.dst);
    pc_fmt_kuint(f, "proto", t.q.proto);
    if (t.q.have_ports) {
        pc_fmt_kuint(f, "sport", t.q.sport);
        pc_fmt_kuint(f, "dport", t.q.dport);
    }
    pc_fmt_kobj_close(f);
}

/* Type-specific members, when the fixed part is captured. */
static void json_fields(const uint8_t *h, struct pc_fmt *f)
{
    char a[46];
    switch (pc_icmp6_type(h)) {
    case PC_ICMP6_DST_UNREACH: case PC_ICMP6_TIME_EXCEEDED: case PC_ND_ROUTER_SOLICIT: break;
    case PC_ICMP6_PACKET_TOO_BIG: pc_fmt_kuint(f, "mtu", pc_icmp6_mtu(h)); break;
    case PC_ICMP6_PARAM_PROB: pc_fmt_kuint(f, "pointer", pc_icmp6_pointer(h)); break;
    case PC_ND_ROUTER_ADVERT:
        pc_fmt_kuint(f, "cur_hop_limit", pc_nd_ra_hoplimit(h));
        pc_fmt_kuint(f, "flags", pc_nd_ra_flags(h));
        pc_fmt_kbool(f, "managed", pc_nd_ra_flags(h) & PC_ND_RA_MANAGED);
        pc_fmt_kbool(f, "other", pc_nd_ra_flags(h) & PC_ND_RA_OTHER);
        pc_fmt_kuint(f, "router_lifetime", pc_nd_ra_lifetime(h));
        pc_fmt_kuint(f, "reachable_time", pc_nd_ra_reachable(h));
        pc_fmt_kuint(f, "retrans_timer", pc_nd_ra_retrans(h));
        break;
    case PC_ND_NEIGHBOR_ADVERT:
        pc_fmt_kuint(f, "flags", pc_nd_na_flags(h));
        pc_fmt_kbool(f, "router", pc_nd_na_flags(h) & PC_ND_NA_ROUTER);
        pc_fmt_kbool(f, "solicited", pc_nd_na_flags(h) & PC_ND_NA_SOLICITED);
        pc_fmt_kbool(f, "override", pc_nd_na_flags(h) & PC_ND_NA_OVERRIDE);
        /* fall through */
    case PC_ND_NEIGHBOR_SOLICIT: pc_fmt_ip6(pc_nd_target(h), a); pc_fmt_kstr(f, "target", a); break;
    case PC_ND_REDIRECT:
        pc_fmt_ip6(pc_nd_target(h), a);
        pc_fmt_kstr(f, "target", a);
        pc_fmt_ip6(pc_nd_redirect_dst(h), a);
        pc_fmt_kstr(f, "destination", a);
        break;
    default:
        pc_fmt_kuint(f, "id", pc_icmp6_id(h));
        pc_fmt_kuint(f, "seq", pc_icmp6_seq(h));
        break;
    }
}

static void icmp6_json(const struct pc_decoded *d, int i, const uint8_t *h, uint32_t cap, struct pc_fmt *f)
{
    uint8_t type = pc_icmp6_type(h);
    uint32_t fixed = pc_icmp6_hdr_len(type);
    pc_fmt_kuint(f, "type", type);
    pc_fmt_kuint(f, "code", pc_icmp6_code(h));
    if (cap >= 4) pc_fmt_kuint(f, "checksum", pc_icmp6_csum(h));
    pc_fmt_kstr(f, "checksum_status", pc_csum_status_name(d->l[i].csum));
    pc_fmt_kuint(f, "length", d->l[i].hlen + d->l[i].plen);
    if (cap < fixed) return;
    json_fields(h, f);
    if (pc_icmp6_is_nd(type)) json_opts(f, h + fixed, cap - fixed);
    if (pc_icmp6_is_error(type)) json_quote(d, i, f);
}

void pc_icmp6_describe(const struct pc_decoded *d, int i, struct pc_fmt *f)
{
    const uint8_t *h = pc_layer_hdr(d, i);
    uint32_t cap = pc_layer_caphdr(d, i);
    if (cap < 2) {
        pc_fmt_text(f, "ICMP6 [|icmp6]");
        return;
    }
    if (f->json) {
        icmp6_json(d, i, h, cap, f);
        return;
    }
    char detail[200], unknown[40];
    const char *name = pc_icmp6_type_name(pc_icmp6_type(h));
    if (!name) {
        snprintf(unknown, sizeof unknown, "unknown icmp6 type (%u)", pc_icmp6_type(h));
        name = unknown;
    }
    detail_text(d, i, h, cap, detail, sizeof detail);
    pc_fmt_text(f, "ICMP6, %s%s, length %u", name, detail, d->l[i].hlen + d->l[i].plen);
}

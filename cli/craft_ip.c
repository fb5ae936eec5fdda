/* --ip-opt, --frag-spec, the routing-header rule for --dst and the single
 * payload source (see craft_ip.h). */
#include <stdlib.h>
#include <string.h>

#include "craft.h"
#include "pktcraft/core/fmt.h"
#include "pktcraft/wire/ipv6.h"

/* ---- --ip-opt ---------------------------------------------------------------- */

#define RR_SLOTS 9      /* (40 - 3) / 4: what fits the option area */
#define TS_SLOTS 9      /* (40 - 4) / 4 */
#define TS_ADDR_SLOTS 4 /* (40 - 4) / 8 */

/* "KIND" or "KIND:VALUE": kind copied out, the value returned (NULL: none). */
static const char *split_kind(const char *arg, char *kind, size_t cap)
{
    const char *colon = strchr(arg, ':');
    size_t n = colon ? (size_t)(colon - arg) : strlen(arg);
    if (n >= cap) n = cap - 1;
    memcpy(kind, arg, n);
    kind[n] = 0;
    return colon ? colon + 1 : NULL;
}

/* An optional count: def when absent, else 1..max. */
static size_t opt_count(const char *kind, const char *val, size_t max, size_t def)
{
    if (!val) return def;
    char opt[48];
    snprintf(opt, sizeof opt, "--ip-opt %s", kind);
    size_t n = (size_t)cli_parse_uint(opt, val, max);
    if (!n) cli_usage_error("%s: at least 1 slot", opt);
    return n;
}

/* ADDR[,ADDR..] of IPv4 addresses, 1..max of them; returns the count. */
static size_t opt_addrs(const char *kind, const char *val, uint8_t (*out)[4], size_t max)
{
    char opt[48], buf[512];
    snprintf(opt, sizeof opt, "--ip-opt %s", kind);
    if (!val || !*val) cli_usage_error("%s needs addresses: %s:ADDR[,ADDR..]", opt, kind);
    snprintf(buf, sizeof buf, "%s", val);
    size_t n = 0;
    for (char *save = NULL, *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
        if (n == max) cli_usage_error("%s: at most %zu addresses fit the 40-byte option area", opt, max);
        cli_parse_ipv4(opt, t, out[n++]);
    }
    if (!n) cli_usage_error("%s needs addresses: %s:ADDR[,ADDR..]", opt, kind);
    return n;
}

static void no_value(const char *kind, const char *val)
{
    if (val) cli_usage_error("--ip-opt %s takes no value", kind);
}

/* Encode one option into o (cap bytes, more than the option area, so that
 * raw bytes over the limit are counted for the message); returns its length. */
static size_t encode_opt(const char *kind, const char *val, uint8_t *o, size_t cap, bool *srr)
{
    uint8_t addrs[RR_SLOTS][4];
    int k;
    if (!strcmp(kind, "eol")) {
        no_value(kind, val);
        k = pc_ipv4_opt_eol(o, cap);
    } else if (!strcmp(kind, "nop")) {
        no_value(kind, val);
        k = pc_ipv4_opt_nop(o, cap);
    } else if (!strcmp(kind, "rr")) {
        k = pc_ipv4_opt_rr(o, cap, NULL, 0, opt_count(kind, val, RR_SLOTS, RR_SLOTS));
    } else if (!strcmp(kind, "ts") || !strcmp(kind, "ts-addr")) {
        bool addr = kind[2] == '-';
        size_t max = addr ? TS_ADDR_SLOTS : TS_SLOTS;
        struct pc_ipv4_tsopt t = { .flag = addr ? PC_IPOPT_TS_ADDR : PC_IPOPT_TS_ONLY,
                                   .slots = opt_count(kind, val, max, max) };
        k = pc_ipv4_opt_ts(o, cap, &t);
    } else if (!strcmp(kind, "ts-prespec")) {
        size_t n = opt_addrs(kind, val, addrs, TS_ADDR_SLOTS);
        struct pc_ipv4_tsopt t = { .flag = PC_IPOPT_TS_PRESPEC, .slots = n, .addrs = (const uint8_t(*)[4])addrs };
        k = pc_ipv4_opt_ts(o, cap, &t);
    } else if (!strcmp(kind, "lsrr") || !strcmp(kind, "ssrr")) {
        size_t n = opt_addrs(kind, val, addrs, RR_SLOTS);
        k = pc_ipv4_opt_srr(o, cap, kind[0] == 'l' ? PC_IPOPT_LSRR : PC_IPOPT_SSRR, (const uint8_t(*)[4])addrs, n);
        *srr = true;
    } else if (!strcmp(kind, "ra")) {
        k = pc_ipv4_opt_ra(o, cap, val ? (uint16_t)cli_parse_uint("--ip-opt ra", val, 65535) : 0);
    } else if (!strcmp(kind, "raw")) {
        if (!val || !*val) cli_usage_error("--ip-opt raw needs bytes: raw:HEX");
        k = (int)cli_parse_hex("--ip-opt raw", val, o, cap);
    } else {
        cli_usage_error("--ip-opt: '%s' is not rr, ts, ts-addr, ts-prespec, lsrr, ssrr, ra, nop, eol or raw", kind);
    }
    if (k < 0) cli_usage_error("--ip-opt %s: %s", kind, pc_strerror(k)); /* the counts above keep within limits */
    return (size_t)k;
}

void craft_ip_opt(struct craft *c, const char *arg)
{
    struct craft_ipx *x = &c->ipx;
    char kind[16];
    const char *val = split_kind(arg, kind, sizeof kind);
    uint8_t o[256];
    size_t n = encode_opt(kind, val, o, sizeof o, &x->srr);
    size_t total = x->optlen + n, padded = (total + 3) & ~(size_t)3;
    if (padded > PC_IPV4_MAXOPT)
        cli_usage_error("--ip-opt %s: the options take %zu bytes%s, over the %d an IPv4 header holds", arg, total,
                        padded != total ? " before padding to 4" : "", PC_IPV4_MAXOPT);
    memcpy(x->opts + x->optlen, o, n);
    x->optlen = total;
    x->nopts++;
}

/* ---- --frag-spec ------------------------------------------------------------- */

static void *xcalloc(size_t n, size_t size)
{
    void *p = calloc(n, size);
    if (!p) cli_runtime_error("out of memory");
    return p;
}

/* The hex part of a spec: exactly len bytes, kept until craft_ip_free. */
static const uint8_t *spec_bytes(struct craft_ipx *x, const char *arg, const char *hex, uint32_t len)
{
    uint8_t *b = xcalloc(1, CRAFT_MAX_PAYLOAD);
    x->piece_hex[x->npieces] = b;
    size_t n = cli_parse_hex("--frag-spec", hex, b, CRAFT_MAX_PAYLOAD);
    if (n != len) cli_usage_error("--frag-spec %s: %zu bytes of hex for a length of %u", arg, n, (unsigned)len);
    uint8_t *fit = realloc(b, n); /* keep only what the spec holds */
    if (fit) x->piece_hex[x->npieces] = b = fit;
    return b;
}

void craft_frag_spec(struct craft *c, const char *arg)
{
    struct craft_ipx *x = &c->ipx;
    if (!x->pieces) {
        x->pieces = xcalloc(CRAFT_MAX_FRAGSPEC, sizeof *x->pieces);
        x->piece_args = xcalloc(CRAFT_MAX_FRAGSPEC, sizeof *x->piece_args);
        x->piece_hex = xcalloc(CRAFT_MAX_FRAGSPEC, sizeof *x->piece_hex);
    }
    if (x->npieces == CRAFT_MAX_FRAGSPEC) cli_usage_error("--frag-spec: at most %d fragments", CRAFT_MAX_FRAGSPEC);
    const char *hex = strstr(arg, ":hex:");
    size_t head = hex ? (size_t)(hex - arg) : strlen(arg);
    char buf[64], *tok[4] = { 0 };
    if (head >= sizeof buf) cli_usage_error("--frag-spec %s: not OFFSET:LEN[:MF][:hex:BYTES]", arg);
    memcpy(buf, arg, head);
    buf[head] = 0;
    int nt = 0;
    for (char *save = NULL, *t = strtok_r(buf, ":", &save); t; t = strtok_r(NULL, ":", &save)) {
        if (nt == 3) cli_usage_error("--frag-spec %s: not OFFSET:LEN[:MF][:hex:BYTES]", arg);
        tok[nt++] = t;
    }
    if (nt < 2) cli_usage_error("--frag-spec %s: not OFFSET:LEN[:MF][:hex:BYTES]", arg);
    struct pc_frag_piece *p = &x->pieces[x->npieces];
    /* The largest offset the 13-bit field holds, in bytes. */
    p->off = (uint32_t)cli_parse_uint("--frag-spec OFFSET", tok[0], 0x1FFF * 8);
    if (p->off % 8) cli_usage_error("--frag-spec %s: the offset %u is not a multiple of 8", arg, (unsigned)p->off);
    p->len = (uint32_t)cli_parse_uint("--frag-spec LEN", tok[1], CRAFT_MAX_PAYLOAD);
    if (!p->len) cli_usage_error("--frag-spec %s: the length must be at least 1", arg);
    p->mf = PC_FRAG_MF_AUTO;
    if (tok[2]) {
        if (strcmp(tok[2], "0") && strcmp(tok[2], "1"))
            cli_usage_error("--frag-spec %s: MF is 0 or 1, not '%s'", arg, tok[2]);
        p->mf = tok[2][0] == '1' ? PC_FRAG_MF_SET : PC_FRAG_MF_CLEAR;
    }
    p->data = hex ? spec_bytes(x, arg, hex + 5, p->len) : NULL;
    x->piece_args[x->npieces++] = arg;
}

/* The bytes of the fragmentable part; a piece that passes its end without
 * bytes of its own is refused by name. */
static void check_pieces(struct craft *c, const uint8_t *frame, size_t len, uint64_t i)
{
    struct craft_ipx *x = &c->ipx;
    int plen = pc_frag_datagram_len(frame, len, PC_LINK_ETHERNET);
    if (plen < 0) {
        pc_writer_abort(c->w);
        cli_runtime_error("cannot fragment packet %llu: %s", (unsigned long long)i + 1, pc_strerror(plen));
    }
    for (size_t k = 0; k < x->npieces; k++) {
        const struct pc_frag_piece *p = &x->pieces[k];
        if (p->data || (uint64_t)p->off + p->len <= (uint64_t)plen) continue;
        pc_writer_abort(c->w);
        cli_usage_error("--frag-spec %s: the fragment ends at byte %llu, past the end of packet %llu's %d bytes "
                        "of IP payload (give its bytes with :hex:)",
                        x->piece_args[k], (unsigned long long)p->off + p->len, (unsigned long long)i + 1, plen);
    }
}

void craft_frag_spec_emit(struct craft *c, const uint8_t *frame, size_t len, uint64_t i, pc_frag_cb cb)
{
    static uint8_t scratch[CRAFT_FRAME_CAP];
    struct craft_ipx *x = &c->ipx;
    check_pieces(c, frame, len, i);
    struct pc_frag_list l = { .pieces = x->pieces, .n = x->npieces, .ident = (uint32_t)pc_rng_next(&c->rng),
                              .buf = scratch, .cap = sizeof scratch };
    int rc = pc_fragment_list(frame, len, PC_LINK_ETHERNET, &l, cb, c);
    if (rc < 0) {
        pc_writer_abort(c->w);
        cli_runtime_error("cannot fragment packet %llu as --frag-spec says: %s", (unsigned long long)i + 1,
                          pc_strerror(rc));
    }
}

/* ---- one payload source -------------------------------------------------------- */

void craft_payload_source(struct craft *c, const char *opt)
{
    struct craft_ipx *x = &c->ipx;
    if (x->payload_opt && strcmp(x->payload_opt, opt))
        cli_usage_error("%s and %s both give the payload: use one of them", x->payload_opt, opt);
    x->payload_opt = opt;
}

/* ---- routing headers and --dst ------------------------------------------------- */

/* The Segments Left the SRH is written with (a --set ip6ext.segleft on
 * every packet wins), and whether --set pins the IPv6 destination. */
static unsigned srh_segleft(const struct craft *c, unsigned parsed, bool *dst_pinned)
{
    unsigned sl = parsed;
    *dst_pinned = false;
    for (int k = 0; k < c->nsets; k++) {
        const struct craft_set *s = &c->sets[k];
        if (s->pkt || s->mode != PC_FPIN) continue;
        const char *name = field_name(s->f);
        if (!strcmp(name, "ip6ext.segleft")) sl = (unsigned)s->v;
        else if (!strcmp(name, "ip6.dst")) *dst_pinned = true;
    }
    return sl;
}

/* RFC 8754 4.1: the destination is the active segment, Segment List
 * [Segments Left].  Without --dst it is taken from there; a --dst that
 * contradicts it is refused.  A Segments Left past the list (no active
 * segment) or a --set ip6.dst is a deliberate oddity left alone. */
static void srh_dst(struct craft *c, const struct pc_ip6ext *e)
{
    bool pinned;
    unsigned sl = srh_segleft(c, e->segleft, &pinned);
    if (sl >= e->naddrs) return;
    const uint8_t *act = e->addrs[sl];
    if (!c->have_dst) {
        memcpy(c->dst, act, 16);
        c->have_dst = true;
        c->ipver = 6;
        return;
    }
    if (pinned || c->ipver != 6 || !memcmp(c->dst, act, 16)) return;
    char d[46], a[46];
    pc_fmt_ip6(c->dst, d);
    pc_fmt_ip6(act, a);
    cli_usage_error("--dst %s is not the SRH's active segment %s (Segment List[%u], Segments Left %u): the "
                    "destination is the active segment (RFC 8754 4.1); leave --dst out to take it from the list",
                    d, a, sl, sl);
}

/* The first routing header decides the destination rule: SRH as above;
 * type 0 (RFC 5095, deprecated) and type 2 (RFC 6275) do not hold the
 * destination at all (--dst is the next hop, resp. the care-of address). */
static void route_dst(struct craft *c)
{
    if (c->ipver == 4) return; /* refused later: --ipv6-ext needs IPv6 */
    for (int k = 0; k < c->next; k++) {
        const struct pc_ip6ext *e = &c->ext[k].spec;
        if (e->type != PC_P_IP6_ROUTING) continue;
        if (e->rtype == 2 && e->naddrs != 1)
            cli_usage_error("--ipv6-ext rt2: a type 2 routing header holds one address, the home address "
                            "(RFC 6275 6.4); the care-of address is --dst");
        if (e->rtype == PC_IP6_RT_SRH) srh_dst(c, e);
        return;
    }
}

void craft_ip_finish_args(struct craft *c, bool need_ip)
{
    struct craft_ipx *x = &c->ipx;
    route_dst(c);
    if (x->nopts && !need_ip) cli_usage_error("--ip-opt needs an IPv4 packet");
    if (x->nopts && c->ipver == 6)
        cli_usage_error("--ip-opt applies to IPv4 only (IPv6 options go in extension headers: --ipv6-ext hop:HEX)");
    if (!x->npieces) return;
    if (!need_ip) cli_usage_error("--frag-spec needs an IP packet");
    if (c->frag) cli_usage_error("--frag-spec and --frag both fragment the packet: give one");
    if (x->frag_order_given)
        cli_usage_error("--frag-order applies to --frag (--frag-spec fragments go out in the order given)");
    for (int k = 0; k < c->next; k++)
        if (c->ext[k].spec.type == PC_P_IP6_FRAG)
            cli_usage_error("--frag-spec: the packet already has a Fragment header (--ipv6-ext frag)");
}

void craft_ip_free(struct craft *c)
{
    struct craft_ipx *x = &c->ipx;
    if (x->piece_hex)
        for (size_t k = 0; k < x->npieces; k++) free(x->piece_hex[k]);
    free(x->piece_hex);
    free(x->piece_args);
    free(x->pieces);
    x->piece_hex = NULL;
    x->piece_args = NULL;
    x->pieces = NULL;
    x->npieces = 0;
}

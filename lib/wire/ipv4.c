/* IPv4: options, build, decode and describe. */
#include <string.h>

#include "../internal.h"
#include "pktcraft/core/checksum.h"
#include "pktcraft/core/fmt.h"

/* Header field offsets (RFC 791, figure 4). */
enum {
    IP4_VHL = 0, IP4_TOS = 1, IP4_LEN = 2, IP4_ID = 4, IP4_FRAG = 6, IP4_TTL = 8, IP4_PROTO = 9,
    IP4_CSUM = 10, IP4_SRC = 12, IP4_DST = 16,
};
/* Option byte offsets: type, length, pointer, then (timestamp) oflw/flag. */
enum { OPT_TYPE = 0, OPT_LEN = 1, OPT_PTR = 2, OPT_TSFLAG = 3 };
#define ROUTE_HDR 3 /* type, length, pointer */
#define TS_HDR 4    /* type, length, pointer, overflow/flag */
#define RA_LEN 4

/* ---- option encoders ----------------------------------------------------- */

/* Room check shared by the encoders: the option itself may never exceed the
 * 40-byte option area, and the caller's buffer must hold it. */
static int opt_room(size_t need, size_t cap)
{
    if (need > PC_IPV4_MAXOPT) return PC_EINVAL;
    return need > cap ? PC_ENOSPC : 0;
}

int pc_ipv4_opt_eol(uint8_t *out, size_t cap)
{
    int rc = opt_room(1, cap);
    if (rc) return rc;
    out[0] = PC_IPOPT_EOL;
    return 1;
}

int pc_ipv4_opt_nop(uint8_t *out, size_t cap)
{
    int rc = opt_room(1, cap);
    if (rc) return rc;
    out[0] = PC_IPOPT_NOP;
    return 1;
}

/* Type, length, pointer and slots addresses of which the first n given. */
static int route_opt(uint8_t *out, size_t cap, uint8_t type, const uint8_t (*addrs)[4], size_t n, size_t slots,
                     size_t ptr_slot)
{
    if (slots == 0) slots = n;
    if (n > slots || (n && !addrs) || slots > (PC_IPV4_MAXOPT - ROUTE_HDR) / 4) return PC_EINVAL;
    size_t len = ROUTE_HDR + 4 * slots;
    int rc = opt_room(len, cap);
    if (rc) return rc;
    out[OPT_TYPE] = type;
    out[OPT_LEN] = (uint8_t)len;
    out[OPT_PTR] = (uint8_t)(ROUTE_HDR + 1 + 4 * ptr_slot); /* 1-based, RFC 791 */
    if (n) memcpy(out + ROUTE_HDR, addrs, 4 * n);
    memset(out + ROUTE_HDR + 4 * n, 0, 4 * (slots - n));
    return (int)len;
}

int pc_ipv4_opt_rr(uint8_t *out, size_t cap, const uint8_t (*addrs)[4], size_t n, size_t slots)
{
    return route_opt(out, cap, PC_IPOPT_RR, addrs, n, slots, n);
}

int pc_ipv4_opt_srr(uint8_t *out, size_t cap, uint8_t type, const uint8_t (*addrs)[4], size_t n)
{
    if ((type != PC_IPOPT_LSRR && type != PC_IPOPT_SSRR) || n == 0) return PC_EINVAL;
    return route_opt(out, cap, type, addrs, n, n, 0);
}

/* Address-carrying timestamp flags use 8-byte entries. */
static size_t ts_entry(uint8_t flag) { return flag == PC_IPOPT_TS_ONLY ? 4 : 8; }

int pc_ipv4_opt_ts(uint8_t *out, size_t cap, const struct pc_ipv4_tsopt *t)
{
    size_t ent = ts_entry(t->flag), slots = t->slots ? t->slots : t->filled;
    if (t->filled > slots || t->overflow > 15 || slots > (PC_IPV4_MAXOPT - TS_HDR) / ent) return PC_EINVAL;
    size_t len = TS_HDR + ent * slots;
    int rc = opt_room(len, cap);
    if (rc) return rc;
    out[OPT_TYPE] = PC_IPOPT_TS;
    out[OPT_LEN] = (uint8_t)len;
    out[OPT_PTR] = (uint8_t)pc_field_value(t->ptr, (uint32_t)(TS_HDR + 1 + ent * t->filled), 0xFF);
    out[OPT_TSFLAG] = (uint8_t)((t->overflow << 4) | (t->flag & 0xF));
    memset(out + TS_HDR, 0, len - TS_HDR);
    for (size_t k = 0; k < slots; k++) {
        uint8_t *e = out + TS_HDR + k * ent;
        /* Prespecified addresses exist for every slot, recorded ones only
         * for the filled entries. */
        int has_addr = ent == 8 && t->addrs && (t->flag == PC_IPOPT_TS_PRESPEC || k < t->filled);
        if (has_addr) memcpy(e, t->addrs[k], 4);
        if (k < t->filled && t->ts) pc_put32(e + ent - 4, t->ts[k]);
    }
    return (int)len;
}

int pc_ipv4_opt_ra(uint8_t *out, size_t cap, uint16_t value)
{
    int rc = opt_room(RA_LEN, cap);
    if (rc) return rc;
    out[OPT_TYPE] = PC_IPOPT_RA;
    out[OPT_LEN] = RA_LEN;
    pc_put16(out + 2, value);
    return RA_LEN;
}

int pc_ipv4_opt_raw(uint8_t *out, size_t cap, uint8_t type, const void *data, size_t dlen)
{
    if (dlen && !data) return PC_EINVAL;
    int rc = opt_room(2 + dlen, cap);
    if (rc) return rc;
    out[OPT_TYPE] = type;
    out[OPT_LEN] = (uint8_t)(2 + dlen);
    if (dlen) memcpy(out + 2, data, dlen);
    return (int)(2 + dlen);
}

/* ---- option walk ----------------------------------------------------------- */

/* Whether an option's length fits its type (RFC 791, RFC 2113).  Unknown
 * types only need the generic length >= 2. */
static int opt_len_ok(const uint8_t *o, uint8_t len)
{
    switch (o[OPT_TYPE]) {
    case PC_IPOPT_RR: case PC_IPOPT_LSRR: case PC_IPOPT_SSRR:
        return len >= ROUTE_HDR && (len - ROUTE_HDR) % 4 == 0;
    case PC_IPOPT_TS:
        if (len < TS_HDR) return 0;
        switch (o[OPT_TSFLAG] & 0xF) {
        case PC_IPOPT_TS_ONLY: return (len - TS_HDR) % 4 == 0;
        case PC_IPOPT_TS_ADDR: case PC_IPOPT_TS_PRESPEC: return (len - TS_HDR) % 8 == 0;
        default: return 1; /* no entry size to check against */
        }
    case PC_IPOPT_RA: return len == RA_LEN;
    default: return 1;
    }
}

int pc_ipv4_opts_walk(const uint8_t *opts, size_t len, pc_ipopt_cb cb, void *ctx)
{
    int count = 0;
    for (size_t k = 0; k < len; count++) {
        uint8_t type = opts[k];
        if (type == PC_IPOPT_EOL || type == PC_IPOPT_NOP) {
            if (cb) cb(ctx, type, opts + k, 1);
            if (type == PC_IPOPT_EOL) return count + 1;
            k++;
            continue;
        }
        if (len - k < 2) return PC_EMALFORMED;
        uint8_t ol = opts[k + OPT_LEN];
        if (ol < 2 || ol > len - k) return PC_EMALFORMED;
        if (!opt_len_ok(opts + k, ol)) return PC_EMALFORMED;
        if (cb) cb(ctx, type, opts + k, ol);
        k += ol;
    }
    return count;
}

struct route_end { int seen; const uint8_t *dst; };

/* The first source route decides (RFC 791 allows one): while it is under
 * way its pointer is at an address; once the pointer passes the end, the
 * header's destination is the final one and the list holds the route. */
static void find_route(void *ctx, uint8_t type, const uint8_t *opt, uint8_t len)
{
    struct route_end *r = ctx;
    if (r->seen || (type != PC_IPOPT_LSRR && type != PC_IPOPT_SSRR)) return;
    r->seen = 1;
    if (len >= ROUTE_HDR + 4 && opt[OPT_PTR] + 3u <= len) r->dst = opt + len - 4;
}

const uint8_t *pc_ipv4_final_dst(const uint8_t *h, size_t hlen)
{
    struct route_end r = { 0, NULL };
    if (hlen <= PC_IPV4_HLEN) return pc_ipv4_dst(h);
    /* Only a well-formed option list is trusted to name another address. */
    if (pc_ipv4_opts_walk(h + PC_IPV4_HLEN, hlen - PC_IPV4_HLEN, find_route, &r) < 0) return pc_ipv4_dst(h);
    return r.dst ? r.dst : pc_ipv4_dst(h);
}

const char *pc_ipv4_opt_name(uint8_t type)
{
    switch (type) {
    case PC_IPOPT_EOL: return "EOL";
    case PC_IPOPT_NOP: return "NOP";
    case PC_IPOPT_RR: return "RR";
    case PC_IPOPT_TS: return "TS";
    case PC_IPOPT_LSRR: return "LSRR";
    case PC_IPOPT_SSRR: return "SSRR";
    case PC_IPOPT_RA: return "RA";
    case 130: return "SEC";
    case 136: return "SID";
    default: return NULL;
    }
}

/* ---- build ------------------------------------------------------------------ */

int pc_push_ipv4(struct pc_pkt *pk, const struct pc_ipv4 *s)
{
    if (s->optlen > PC_IPV4_MAXOPT || (s->optlen && !s->opts)) {
        if (!pk->err) pk->err = PC_EINVAL;
        return pk->err;
    }
    size_t optpad = (s->optlen + 3) & ~(size_t)3;
    uint8_t *h = pc_pkt_reserve(pk, PC_IPV4_HLEN + optpad, PC_P_IPV4);
    if (!h) return pk->err;
    pk->l[pk->n - 1].s.ip4 = (struct pc_ipv4_fix){ .ihl = s->ihl, .tot_len = s->tot_len, .proto = s->proto, .csum = s->csum };
    uint8_t ver = s->version ? s->version : 4;
    h[IP4_VHL] = (uint8_t)(ver << 4);
    h[IP4_TOS] = s->tos;
    pc_put16(h + IP4_LEN, 0);
    pc_put16(h + IP4_ID, s->id);
    pc_put16(h + IP4_FRAG, (uint16_t)(((s->flags & 7u) << 13) | (s->frag_off & 0x1FFFu)));
    h[IP4_TTL] = s->ttl;
    h[IP4_PROTO] = 0;
    pc_put16(h + IP4_CSUM, 0);
    memcpy(h + IP4_SRC, s->src, 4);
    memcpy(h + IP4_DST, s->dst, 4);
    if (optpad) { /* most headers have no options */
        memcpy(h + PC_IPV4_HLEN, s->opts, s->optlen);
        memset(h + PC_IPV4_HLEN + s->optlen, PC_IPOPT_EOL, optpad - s->optlen);
    }
    return 0;
}

int pc_ipv4_fill(struct pc_pkt *pk, int i)
{
    const struct pc_blayer *l = &pk->l[i];
    const struct pc_ipv4_fix f = l->s.ip4; /* a copy: byte stores may alias it, forcing reloads */
    const uint32_t hlen = l->hlen;
    uint8_t *h = pk->buf + l->off;
    size_t total = pk->len - l->off;
    if (total > 0xFFFF && f.tot_len.mode != PC_FPIN) return PC_ELIMIT;
    int next = pc_next_ipproto(pk, i);
    if (next < 0 && f.proto.mode != PC_FPIN) return PC_EINVAL; /* pin ip.proto */
    h[IP4_VHL] = (uint8_t)((h[IP4_VHL] & 0xF0) | pc_field_value(f.ihl, hlen / 4, 0xF));
    pc_put16(h + IP4_LEN, (uint16_t)pc_field_value(f.tot_len, (uint32_t)total, 0xFFFF));
    h[IP4_PROTO] = (uint8_t)pc_field_value(f.proto, (uint32_t)next, 0xFF);
    pc_put16(h + IP4_CSUM, 0);
    pc_put16(h + IP4_CSUM, pc_field_csum(f.csum, pc_csum(h, hlen)));
    return 0;
}

/* ---- decode ----------------------------------------------------------------- */

/* Fragments: offset != 0 carries no L4 header; MF with offset 0 carries one
 * whose checksum covers bytes we do not have. */
static void decode_body(struct pc_walk *w, const uint8_t *h, uint32_t hl, uint32_t off, uint32_t end)
{
    uint16_t fo = pc_ipv4_fragoff(h);
    uint8_t mf = pc_ipv4_flags(h) & PC_IP_MF;
    w->end = end;
    w->frag = (fo || mf) ? 1 : 0;
    if (fo) { pc_dec_payload(w, off); return; }
    w->ipver = 4;
    w->ip_src = pc_ipv4_src(h);
    /* a source route's last hop; most headers have no options to walk */
    w->ip_dst = hl > PC_IPV4_HLEN ? pc_ipv4_final_dst(h, hl) : pc_ipv4_dst(h);
    pc_dec_ipproto(w, pc_ipv4_proto(h), off);
}

void pc_ipv4_decode(struct pc_walk *w, uint32_t off)
{
    struct pc_decoded *d = w->d;
    int i = pc_dec_add(w, PC_P_IPV4, off, PC_IPV4_HLEN, 0);
    if (i < 0) return;
    d->l[i].csum = PC_CSUM_UNVERIFIED; /* until the bytes prove otherwise */
    d->l3 = (int8_t)i;
    uint32_t avail = pc_dec_avail(w, off);
    if (avail < PC_IPV4_HLEN) { pc_dec_fail(w, i, PC_LF_TRUNC, "ipv4 header cut by the capture"); return; }
    const uint8_t *h = d->buf + off;
    uint32_t hl = pc_ipv4_ihl(h) * 4u, tl = pc_ipv4_len(h), room = w->end - off;
    d->l[i].hlen = hl;
    if (pc_ipv4_version(h) != 4) { pc_dec_fail(w, i, PC_LF_MALFORMED, "ipv4 version is not 4"); return; }
    if (hl < PC_IPV4_HLEN) { pc_dec_fail(w, i, PC_LF_MALFORMED, "ipv4 header length below 20"); return; }
    if (tl < hl) { pc_dec_fail(w, i, PC_LF_MALFORMED, "ipv4 total length below header length"); return; }
    if (tl > room) { pc_dec_fail(w, i, PC_LF_MALFORMED, "ipv4 total length beyond the frame"); return; }
    d->l[i].plen = tl - hl;
    if (pc_ipv4_flags(h) & PC_IP_MF || pc_ipv4_fragoff(h)) d->l[i].flags |= PC_LF_FRAG;
    if (tl < room && i > 0) d->l[i - 1].flags |= PC_LF_TRAILER; /* Ethernet padding or trailer */
    if (avail < hl) { pc_dec_fail(w, i, PC_LF_TRUNC, "ipv4 options cut by the capture"); return; }
    d->l[i].csum = pc_csum_verify(h, hl, 0) ? PC_CSUM_GOOD : PC_CSUM_BAD;
    /* A bad option list is reported but does not hide what it carries. */
    if (hl > PC_IPV4_HLEN && pc_ipv4_opts_walk(pc_ipv4_opts(h), hl - PC_IPV4_HLEN, NULL, NULL) < 0)
        pc_dec_fail(w, i, PC_LF_MALFORMED, "ipv4 option length invalid");
    decode_body(w, h, hl, off + hl, off + tl);
}

/* ---- describe --------------------------------------------------------------- */

struct optfmt { struct pc_fmt *f; int n; };

/* Text: tcpdump-like option names, with the route's recorded addresses. */
static void opt_text(void *ctx, uint8_t type, const uint8_t *o, uint8_t len)
{
    struct optfmt *c = ctx;
    if (type == PC_IPOPT_EOL) return; /* the end of the list, usually padding */
    const char *name = pc_ipv4_opt_name(type);
    if (name) pc_fmt_text(c->f, "%s%s", c->n++ ? "," : "", name);
    else pc_fmt_text(c->f, "%sopt-%u", c->n++ ? "," : "", type);
    if (type == PC_IPOPT_RR || type == PC_IPOPT_LSRR || type == PC_IPOPT_SSRR) {
        for (uint32_t k = ROUTE_HDR; k + 4 <= len; k += 4) {
            char a[16];
            pc_fmt_ip4(o + k, a);
            pc_fmt_text(c->f, " %s%s", a, k + 1 == o[OPT_PTR] ? "^" : "");
        }
    } else if (type == PC_IPOPT_RA && len == RA_LEN) {
        pc_fmt_text(c->f, " %u", pc_get16(o + 2));
    }
}

static void opt_json(void *ctx, uint8_t type, const uint8_t *o, uint8_t len)
{
    struct optfmt *c = ctx;
    (void)o;
    pc_fmt_kobj_open(c->f, NULL);
    pc_fmt_kuint(c->f, "type", type);
    pc_fmt_kuint(c->f, "len", len);
    pc_fmt_kobj_close(c->f);
    c->n++;
}

static void describe_opts(const uint8_t *h, uint32_t hl, struct pc_fmt *f)
{
    struct optfmt c = { f, 0 };
    if (f->json) {
        pc_fmt_karr_open(f, "options");
        pc_ipv4_opts_walk(h + PC_IPV4_HLEN, hl - PC_IPV4_HLEN, opt_json, &c);
        pc_fmt_karr_close(f);
        return;
    }
    pc_fmt_text(f, " [options (");
    if (pc_ipv4_opts_walk(h + PC_IPV4_HLEN, hl - PC_IPV4_HLEN, opt_text, &c) < 0)
        pc_fmt_text(f, "%sbad option length", c.n ? "," : "");
    pc_fmt_text(f, ")]");
}

void pc_ipv4_describe(const struct pc_decoded *d, int i, struct pc_fmt *f)
{
    uint32_t cap = pc_layer_caphdr(d, i);
    const uint8_t *h = pc_layer_hdr(d, i);
    if (cap < PC_IPV4_HLEN) { pc_fmt_text(f, "IP [|ip]"); return; }
    uint8_t fl = pc_ipv4_flags(h);
    uint32_t fo = pc_ipv4_fragoff(h) * 8u, hl = pc_ipv4_ihl(h) * 4u;
    /* Options only when the header is sane and all captured. */
    int opts = hl > PC_IPV4_HLEN && hl <= cap;
    if (!f->json) {
        char s[16], t[16];
        pc_fmt_ip4(pc_ipv4_src(h), s);
        pc_fmt_ip4(pc_ipv4_dst(h), t);
        pc_fmt_text(f, "IP %s > %s", s, t);
        if (fo || (fl & PC_IP_MF))
            pc_fmt_text(f, ", frag (id 0x%04x) offset %u%s", pc_ipv4_id(h), fo, (fl & PC_IP_MF) ? "+" : "");
        if (opts) describe_opts(h, hl, f);
        return;
    }
    pc_fmt_kip4(f, "src", pc_ipv4_src(h));
    pc_fmt_kip4(f, "dst", pc_ipv4_dst(h));
    /* Where a source route still under way ends (what tshark shows as
     * ip.dst, and what the L4 pseudo-header uses). */
    pc_fmt_kip4(f, "final_dst", opts ? pc_ipv4_final_dst(h, hl) : pc_ipv4_dst(h));
    pc_fmt_kuint(f, "tos", pc_ipv4_tos(h));
    pc_fmt_kuint(f, "dscp", pc_ipv4_dscp(h));
    pc_fmt_kuint(f, "ecn", pc_ipv4_ecn(h));
    pc_fmt_kuint(f, "ihl", pc_ipv4_ihl(h));
    pc_fmt_kuint(f, "len", pc_ipv4_len(h));
    pc_fmt_kuint(f, "id", pc_ipv4_id(h));
    pc_fmt_kobj_open(f, "flags");
    pc_fmt_kbool(f, "df", fl & PC_IP_DF);
    pc_fmt_kbool(f, "mf", fl & PC_IP_MF);
    pc_fmt_kbool(f, "rf", fl & PC_IP_RF);
    pc_fmt_kobj_close(f);
    pc_fmt_kuint(f, "frag_off", fo);
    pc_fmt_kuint(f, "ttl", pc_ipv4_ttl(h));
    pc_fmt_kuint(f, "protocol", pc_ipv4_proto(h));
    pc_fmt_kstr(f, "csum", pc_csum_status_name(d->l[i].csum));
    if (opts) {
        describe_opts(h, hl, f);
    } else {
        pc_fmt_karr_open(f, "options");
        pc_fmt_karr_close(f);
    }
}

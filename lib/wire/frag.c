/* IP fragmentation of finished frames (see include/pktcraft/wire/frag.h). */
#include <string.h>

#include "../internal.h"
#include "pktcraft/core/checksum.h"
#include "pktcraft/wire/frag.h"
#include "pktcraft/wire/ipv6.h"
#include "pktcraft/core/rand.h"

/* IPv4 header field offsets used here. */
enum { IP4_LEN = 2, IP4_FRAG = 6, IP4_CSUM = 10 };
/* IPv6: payload length and next header in the fixed header; the Fragment
 * header's fields. */
enum { IP6_PLEN = 4, IP6_NH = 6, FH_NH = 0, FH_RES = 1, FH_OFFM = 2, FH_IDENT = 4 };

/* What every fragment shares, worked out once from the datagram. */
struct dgram {
    const uint8_t *frame;
    uint32_t l3;          /* offset of the IP header = link header length */
    int v6;
    uint32_t hlen;        /* IPv4 header / IPv6 unfragmentable part (from l3) */
    uint32_t data;        /* offset of the fragmentable part in the frame */
    uint32_t plen;        /* bytes of the fragmentable part */
    /* IPv4 */
    uint16_t base_off;    /* the datagram's own offset (8-byte units) */
    uint8_t keep_mf;      /* the datagram's own MF: the last piece keeps it */
    uint8_t copied[PC_IPV4_MAXOPT]; /* options with the copy flag, EOL-padded */
    uint32_t ncopied;
    /* IPv6 */
    uint32_t nh_at;       /* frame offset of the Next Header byte to rewrite */
    uint8_t first_nh;     /* its original value: the first fragmentable header */
};

/* ---- locating and checking the datagram ---------------------------------- */

/* Offset of the outermost IP header: whatever link type, the decoder
 * already knows how long the link header is. */
static int find_ip(const uint8_t *frame, size_t len, int linktype, uint32_t *l3, int *v6)
{
    struct pc_decoded d;
    pc_decode_flags(&d, frame, (uint32_t)len, (uint32_t)len, linktype, PC_DEC_NO_L4CSUM);
    for (int k = 0; k < d.n; k++) {
        if (d.l[k].proto != PC_P_IPV4 && d.l[k].proto != PC_P_IPV6) continue;
        *l3 = d.l[k].off;
        *v6 = d.l[k].proto == PC_P_IPV6;
        return 0;
    }
    return PC_EINVAL;
}

static void copy_opt(void *ctx, uint8_t type, const uint8_t *opt, uint8_t olen)
{
    struct dgram *g = ctx;
    if (!PC_IPOPT_COPIED(type)) return; /* EOL and NOP have the flag clear too */
    memcpy(g->copied + g->ncopied, opt, olen);
    g->ncopied += olen;
}

static int check_ipv4(struct dgram *g, size_t len)
{
    const uint8_t *h = g->frame + g->l3;
    if (len - g->l3 < PC_IPV4_HLEN) return PC_ETRUNC;
    uint32_t hl = pc_ipv4_ihl(h) * 4u, tl = pc_ipv4_len(h);
    if (pc_ipv4_version(h) != 4 || hl < PC_IPV4_HLEN || tl < hl) return PC_EMALFORMED;
    if (tl > len - g->l3) return PC_ETRUNC;
    if (pc_ipv4_opts_walk(pc_ipv4_opts(h), hl - PC_IPV4_HLEN, copy_opt, g) < 0) return PC_EMALFORMED;
    uint32_t padded = (g->ncopied + 3) & ~3u;
    memset(g->copied + g->ncopied, PC_IPOPT_EOL, padded - g->ncopied);
    g->ncopied = padded;
    g->hlen = hl;
    g->data = g->l3 + hl;
    g->plen = tl - hl;
    g->base_off = pc_ipv4_fragoff(h);
    g->keep_mf = pc_ipv4_flags(h) & PC_IP_MF;
    /* A fragment whose own offset leaves no room for its bytes cannot be
     * cut further: the pieces' offsets would not fit 13 bits. */
    if (g->plen && g->base_off + (g->plen - 1) / 8 > 0x1FFF) return PC_EMALFORMED;
    return 0;
}

/* The unfragmentable part ends after the last Routing header, or after a
 * leading Hop-by-Hop header; Destination Options count only when a
 * Routing header follows them (RFC 8200 4.5). */
static int check_ipv6(struct dgram *g, size_t len)
{
    const uint8_t *f = g->frame;
    uint32_t ip = g->l3;
    if (len - ip < PC_IPV6_HLEN) return PC_ETRUNC;
    if (pc_ipv6_version(f + ip) != 6) return PC_EMALFORMED;
    uint32_t plen = pc_ipv6_plen(f + ip);
    if (plen == 0) return PC_EUNSUPP; /* a jumbogram, or nothing to fragment */
    uint32_t end = ip + PC_IPV6_HLEN + plen, p = ip + PC_IPV6_HLEN;
    if (end > len) return PC_ETRUNC;
    g->nh_at = ip + IP6_NH;
    uint32_t unfrag = p;
    uint8_t nh = f[g->nh_at];
    for (int k = 0; k < PC_IPV6_MAXEXT; k++) {
        int hop = nh == PC_IPPROTO_HOPOPTS && k == 0;
        if (!hop && nh != PC_IPPROTO_ROUTING && nh != PC_IPPROTO_DSTOPTS) break;
        if (end - p < PC_IP6EXT_MINLEN) return PC_EMALFORMED;
        uint32_t el = pc_ip6ext_len(f + p);
        if (el > end - p) return PC_EMALFORMED;
        if (nh != PC_IPPROTO_DSTOPTS) { /* everything up to here stays in front */
            g->nh_at = p;
            unfrag = p + el;
        }
        nh = pc_ip6ext_nh(f + p);
        p += el;
    }
    if (f[g->nh_at] == PC_IPPROTO_FRAGMENT || nh == PC_IPPROTO_FRAGMENT) return PC_EINVAL; /* already fragmented */
    g->first_nh = f[g->nh_at];
    g->hlen = unfrag - ip;
    g->data = unfrag;
    g->plen = end - unfrag;
    return 0;
}

/* ---- the plan: which ranges, in which order ------------------------------ */

static uint32_t regular_count(const struct dgram *g, const struct pc_frag_opts *o)
{
    if (o->first) return 1 + (g->plen - o->first + o->size - 1) / o->size;
    return g->plen ? (g->plen + o->size - 1) / o->size : 1;
}

static void regular_range(const struct dgram *g, const struct pc_frag_opts *o, uint32_t k, uint32_t *start,
                          uint32_t *n)
{
    if (o->first) *start = k ? o->first + (k - 1) * o->size : 0;
    else *start = k * o->size;
    uint32_t piece = o->first && k == 0 ? o->first : o->size;
    *n = g->plen - *start < piece ? g->plen - *start : piece;
}

static int check_opts(const struct dgram *g, const struct pc_frag_opts *o)
{
    if (o->size == 0 || o->order > PC_FRAG_SHUFFLED || (o->nextra && !o->extra)) return PC_EINVAL;
    if (o->first && (o->first % 8 || o->first >= g->plen)) return PC_EINVAL;
    if ((o->first || g->plen > o->size) && o->size % 8) return PC_EINVAL;
    for (size_t k = 0; k < o->nextra; k++) {
        const struct pc_frag_extra *e = &o->extra[k];
        if (e->off % 8 || e->len == 0 || e->off > g->plen || e->len > g->plen - e->off) return PC_EINVAL;
        if (e->off + e->len < g->plen && e->len % 8) return PC_EINVAL;
    }
    return 0;
}

static void make_order(uint16_t *perm, uint32_t n, const struct pc_frag_opts *o)
{
    for (uint32_t k = 0; k < n; k++) perm[k] = (uint16_t)(o->order == PC_FRAG_REVERSED ? n - 1 - k : k);
    if (o->order != PC_FRAG_SHUFFLED) return;
    struct pc_rng r;
    pc_rng_seed(&r, o->seed);
    for (uint32_t k = n; k > 1; k--) { /* Fisher-Yates */
        uint32_t j = (uint32_t)pc_rng_below(&r, k);
        uint16_t t = perm[k - 1];
        perm[k - 1] = perm[j];
        perm[j] = t;
    }
}

/* ---- one fragment ---------------------------------------------------------- */

/* The MF flag of the piece [start, start+n) under mode (enum pc_frag_mf):
 * automatic, it is set unless the piece reaches the end, where an IPv4
 * datagram that is itself a fragment keeps its own. */
static int piece_mf(const struct dgram *g, uint32_t start, uint32_t n, uint8_t mode)
{
    if (mode != PC_FRAG_MF_AUTO) return mode == PC_FRAG_MF_SET;
    return start + n < g->plen || (!g->v6 && g->keep_mf);
}

/* IPv4 header for the piece at start: the full header at offset 0, else the
 * fixed 20 bytes and the copied options.  Returns the header length. */
static uint32_t ipv4_header(const struct dgram *g, uint8_t *out, uint32_t start, uint32_t n, int mf)
{
    const uint8_t *h = g->frame + g->l3;
    uint32_t hl = start == 0 ? g->hlen : PC_IPV4_HLEN + g->ncopied;
    memcpy(out, h, PC_IPV4_HLEN);
    if (start == 0) memcpy(out + PC_IPV4_HLEN, h + PC_IPV4_HLEN, g->hlen - PC_IPV4_HLEN);
    else memcpy(out + PC_IPV4_HLEN, g->copied, g->ncopied);
    out[0] = (uint8_t)((out[0] & 0xF0) | (hl / 4));
    pc_put16(out + IP4_LEN, (uint16_t)(hl + n));
    uint16_t keep = pc_get16(h + IP4_FRAG) & 0xC000; /* RF, DF */
    pc_put16(out + IP4_FRAG, (uint16_t)(keep | (mf ? 0x2000 : 0) | (g->base_off + start / 8)));
    pc_put16(out + IP4_CSUM, 0);
    pc_put16(out + IP4_CSUM, pc_csum(out, hl));
    return hl;
}

/* IPv6 unfragmentable part plus a Fragment header. */
static uint32_t ipv6_header(const struct dgram *g, uint32_t ident, uint8_t *out, uint32_t start, uint32_t n, int mf)
{
    memcpy(out, g->frame + g->l3, g->hlen);
    out[g->nh_at - g->l3] = PC_IPPROTO_FRAGMENT;
    pc_put16(out + IP6_PLEN, (uint16_t)(g->hlen - PC_IPV6_HLEN + PC_IP6_FRAG_HLEN + n));
    uint8_t *fh = out + g->hlen;
    fh[FH_NH] = g->first_nh;
    fh[FH_RES] = 0;
    pc_put16(fh + FH_OFFM, (uint16_t)((start / 8) << 3 | (mf ? 1 : 0)));
    pc_put32(fh + FH_IDENT, ident);
    return g->hlen + PC_IP6_FRAG_HLEN;
}

/* Where a fragment is assembled and where it goes. */
struct sink {
    uint8_t *buf;
    size_t cap;
    uint32_t ident;
    pc_frag_cb cb;
    void *ctx;
};

/* IP header bytes in front of the piece at start. */
static uint32_t piece_iph(const struct dgram *g, uint32_t start)
{
    return g->v6 ? g->hlen + PC_IP6_FRAG_HLEN : (start == 0 ? g->hlen : PC_IPV4_HLEN + g->ncopied);
}

/* Whether the piece at start of n bytes fits the IP length field and the
 * scratch buffer (0, PC_ELIMIT or PC_ENOSPC). */
static int piece_fits(const struct dgram *g, const struct sink *k, uint32_t start, uint32_t n)
{
    uint32_t iph = piece_iph(g, start);
    if (!k->buf || (size_t)g->l3 + iph + n > k->cap) return PC_ENOSPC;
    if (g->v6 ? iph - PC_IPV6_HLEN + (uint64_t)n > PC_IPV6_MAXPLEN : iph + (uint64_t)n > 0xFFFF) return PC_ELIMIT;
    return 0;
}

/* Assemble the piece [start, start+n) (bytes from data, or the datagram's
 * own) behind the link header and hand it over. */
static int emit(const struct dgram *g, const struct sink *k, uint32_t start, uint32_t n, const uint8_t *data,
                uint8_t mfmode)
{
    if (!k->cb) return 0;
    int rc = piece_fits(g, k, start, n);
    if (rc) return rc;
    uint32_t iph = piece_iph(g, start);
    memcpy(k->buf, g->frame, g->l3);
    uint8_t *ip = k->buf + g->l3;
    int mf = piece_mf(g, start, n, mfmode);
    if (g->v6) ipv6_header(g, k->ident, ip, start, n, mf);
    else ipv4_header(g, ip, start, n, mf);
    memcpy(ip + iph, data ? data : g->frame + g->data + start, n);
    return k->cb(k->ctx, k->buf, (size_t)g->l3 + iph + n);
}

/* Extras placed just before regular position at (or after all: at >= n). */
static int emit_extras(const struct dgram *g, const struct pc_frag_opts *o, const struct sink *sk, uint32_t at,
                       uint32_t n, int *count)
{
    for (size_t k = 0; k < o->nextra; k++) {
        const struct pc_frag_extra *e = &o->extra[k];
        if (e->at != at && !(at == n && e->at > n)) continue;
        int rc = emit(g, sk, e->off, e->len, e->data, PC_FRAG_MF_AUTO);
        if (rc) return rc;
        (*count)++;
    }
    return 0;
}

/* Locate and check the datagram of frame. */
static int load_dgram(struct dgram *g, const uint8_t *frame, size_t len, int linktype)
{
    if (!frame || len > UINT32_MAX) return PC_EINVAL;
    memset(g, 0, sizeof *g);
    g->frame = frame;
    int rc = find_ip(frame, len, linktype, &g->l3, &g->v6);
    if (rc) return rc;
    return g->v6 ? check_ipv6(g, len) : check_ipv4(g, len);
}

int pc_fragment(const uint8_t *frame, size_t len, int linktype, const struct pc_frag_opts *o, pc_frag_cb cb,
                void *ctx)
{
    if (!o) return PC_EINVAL;
    struct dgram g;
    int rc = load_dgram(&g, frame, len, linktype);
    if (rc) return rc;
    struct sink sk = { .buf = o->buf, .cap = o->cap, .ident = o->ident, .cb = cb, .ctx = ctx };
    rc = check_opts(&g, o);
    if (rc) return rc;
    uint32_t n = regular_count(&g, o);
    uint16_t perm[PC_FRAG_MAX + 1];
    make_order(perm, n, o);
    int count = 0;
    for (uint32_t j = 0; j < n; j++) {
        rc = emit_extras(&g, o, &sk, j, n, &count);
        if (rc) return rc;
        uint32_t start, piece;
        regular_range(&g, o, perm[j], &start, &piece);
        rc = emit(&g, &sk, start, piece, NULL, PC_FRAG_MF_AUTO);
        if (rc) return rc;
        count++;
    }
    rc = emit_extras(&g, o, &sk, n, n, &count);
    return rc ? rc : count;
}

/* ---- an explicit list ------------------------------------------------------ */

/* One piece of a list: in range of the offset field (added to the
 * datagram's own offset), bytes for whatever passes the end. */
static int check_piece(const struct dgram *g, const struct sink *k, const struct pc_frag_piece *p)
{
    if (p->off % 8 || p->len == 0 || p->mf > PC_FRAG_MF_SET) return PC_EINVAL;
    uint32_t base = g->v6 ? 0 : g->base_off;
    if (base + p->off / 8 > 0x1FFF) return PC_EINVAL;
    if ((uint64_t)p->off + p->len > g->plen && !p->data) return PC_EINVAL;
    return k->cb ? piece_fits(g, k, p->off, p->len) : 0;
}

int pc_fragment_list(const uint8_t *frame, size_t len, int linktype, const struct pc_frag_list *l, pc_frag_cb cb,
                     void *ctx)
{
    if (!l || !l->n || !l->pieces || l->n > INT32_MAX) return PC_EINVAL;
    struct dgram g;
    int rc = load_dgram(&g, frame, len, linktype);
    if (rc) return rc;
    struct sink sk = { .buf = l->buf, .cap = l->cap, .ident = l->ident, .cb = cb, .ctx = ctx };
    for (size_t k = 0; k < l->n; k++) /* all or nothing */
        if ((rc = check_piece(&g, &sk, &l->pieces[k]))) return rc;
    for (size_t k = 0; k < l->n; k++) {
        const struct pc_frag_piece *p = &l->pieces[k];
        if ((rc = emit(&g, &sk, p->off, p->len, p->data, p->mf))) return rc;
    }
    return (int)l->n;
}

int pc_frag_datagram_len(const uint8_t *frame, size_t len, int linktype)
{
    struct dgram g;
    int rc = load_dgram(&g, frame, len, linktype);
    return rc ? rc : (int)g.plen;
}

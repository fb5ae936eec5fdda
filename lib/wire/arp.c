/* ARP (RFC 826): build the Ethernet/IPv4 form, decode any sizes, describe. */
#include <string.h>

#include "../internal.h"
#include "pktcraft/wire/arp.h"
#include "pktcraft/core/fmt.h"

_Static_assert(sizeof(struct pc_arp) <= PC_SPEC_MAX, "struct pc_arp must fit a layer's spec storage");

/* Field offsets of the fixed part; the addresses follow at PC_ARP_FIXED. */
#define ARP_HTYPE 0
#define ARP_PTYPE 2
#define ARP_HLEN 4
#define ARP_PLEN 5
#define ARP_OP 6
/* The Ethernet/IPv4 layout the builder writes. */
#define ARP_SHA 8
#define ARP_SPA 14
#define ARP_THA 18
#define ARP_TPA 24

int pc_push_arp(struct pc_pkt *pk, const struct pc_arp *s)
{
    uint8_t *h = pc_pkt_reserve(pk, PC_ARP_ETH_IPV4_LEN, PC_P_ARP);
    if (!h) return pk->err;
    pc_pkt_save_spec(pk, pk->n - 1, s, sizeof *s);
    memset(h, 0, ARP_OP); /* sizes and types: filled at finalize */
    pc_put16(h + ARP_OP, s->op);
    memcpy(h + ARP_SHA, s->sha, 6);
    memcpy(h + ARP_SPA, s->spa, 4);
    memcpy(h + ARP_THA, s->tha, 6);
    memcpy(h + ARP_TPA, s->tpa, 4);
    return 0;
}

int pc_arp_fill(struct pc_pkt *pk, int i)
{
    struct pc_arp s;
    pc_pkt_load_spec(pk, i, &s, sizeof s);
    uint8_t *h = pk->buf + pk->l[i].off;
    pc_put16(h + ARP_HTYPE, (uint16_t)pc_field_value(s.htype, PC_ARP_HTYPE_ETHER, 0xFFFF));
    pc_put16(h + ARP_PTYPE, (uint16_t)pc_field_value(s.ptype, PC_ARP_PTYPE_IPV4, 0xFFFF));
    h[ARP_HLEN] = (uint8_t)pc_field_value(s.hlen, 6, 0xFF);
    h[ARP_PLEN] = (uint8_t)pc_field_value(s.plen, 4, 0xFF);
    return 0;
}

struct pc_arp pc_arp_request(const uint8_t sha[6], const uint8_t spa[4], const uint8_t tpa[4])
{
    struct pc_arp a = { .op = PC_ARP_REQUEST };
    memcpy(a.sha, sha, 6);
    memcpy(a.spa, spa, 4);
    memcpy(a.tpa, tpa, 4);
    return a;
}

struct pc_arp pc_arp_reply(const uint8_t sha[6], const uint8_t spa[4], const uint8_t tha[6], const uint8_t tpa[4])
{
    struct pc_arp a = pc_arp_request(sha, spa, tpa);
    a.op = PC_ARP_REPLY;
    memcpy(a.tha, tha, 6);
    return a;
}

struct pc_arp pc_arp_gratuitous(const uint8_t sha[6], const uint8_t ip[4])
{
    return pc_arp_request(sha, ip, ip);
}

void pc_arp_decode(struct pc_walk *w, uint32_t off)
{
    struct pc_decoded *d = w->d;
    int i = pc_dec_add(w, PC_P_ARP, off, PC_ARP_FIXED, 0);
    if (i < 0) return;
    uint32_t room = w->end > off ? w->end - off : 0, avail = pc_dec_avail(w, off);
    if (avail < PC_ARP_FIXED) {
        if (room < PC_ARP_FIXED) pc_dec_fail(w, i, PC_LF_MALFORMED, "arp message shorter than 8 bytes");
        else pc_dec_fail(w, i, PC_LF_TRUNC, "arp header cut by the capture");
        return;
    }
    const uint8_t *h = d->buf + off;
    uint32_t total = pc_arp_len(h);
    d->l[i].hlen = total;
    /* A zero size leaves nothing to resolve or to resolve to. */
    if (!pc_arp_hlen(h) || !pc_arp_plen(h)) { pc_dec_fail(w, i, PC_LF_MALFORMED, "arp address size is zero"); return; }
    if (total > room) { pc_dec_fail(w, i, PC_LF_MALFORMED, "arp addresses run past the frame"); return; }
    if (total > avail) { pc_dec_fail(w, i, PC_LF_TRUNC, "arp addresses cut by the capture"); return; }
    /* Ethernet pads a 28-byte ARP to 46: those bytes belong to the link. */
    if (total < room && i > 0) d->l[i - 1].flags |= PC_LF_TRAILER;
    w->end = off + total;
}

/* Addresses as text: a dotted quad for IPv4, else hex bytes joined by ':'
 * (a MAC for 6 bytes), cut to what fits out. */
static void fmt_addr(const uint8_t *a, unsigned n, int ip, char *out, size_t cap)
{
    if (ip && n == 4) { pc_fmt_ip4(a, out); return; }
    static const char hex[] = "0123456789abcdef";
    size_t k = 0;
    for (unsigned j = 0; j < n && k + 4 <= cap; j++) { /* by hand: snprintf per byte was most of an ARP record */
        if (j) out[k++] = ':';
        out[k++] = hex[a[j] >> 4];
        out[k++] = hex[a[j] & 15];
    }
    out[k] = 0;
}

struct arp_text {
    char sha[96], spa[96], tha[96], tpa[96];
};

static void arp_texts(const uint8_t *h, struct arp_text *t)
{
    unsigned hl = pc_arp_hlen(h), pl = pc_arp_plen(h);
    int ip = pc_arp_ptype(h) == PC_ARP_PTYPE_IPV4;
    fmt_addr(pc_arp_sha(h), hl, 0, t->sha, sizeof t->sha);
    fmt_addr(pc_arp_spa(h), pl, ip, t->spa, sizeof t->spa);
    fmt_addr(pc_arp_tha(h), hl, 0, t->tha, sizeof t->tha);
    fmt_addr(pc_arp_tpa(h), pl, ip, t->tpa, sizeof t->tpa);
}

static int is_zero(const uint8_t *p, unsigned n)
{
    for (unsigned j = 0; j < n; j++)
        if (p[j]) return 0;
    return 1;
}

/* tcpdump's wording, e.g. "ARP, Request who-has 10.0.0.2 tell 10.0.0.1". */
static void arp_text(struct pc_fmt *f, const uint8_t *h, const struct arp_text *t)
{
    switch (pc_arp_op(h)) {
    case PC_ARP_REQUEST:
        pc_fmt_text(f, "ARP, Request who-has %s", t->tpa);
        if (!is_zero(pc_arp_tha(h), pc_arp_hlen(h))) pc_fmt_text(f, " (%s)", t->tha);
        pc_fmt_text(f, " tell %s", t->spa);
        break;
    case PC_ARP_REPLY: pc_fmt_text(f, "ARP, Reply %s is-at %s", t->spa, t->sha); break;
    case PC_RARP_REQUEST: pc_fmt_text(f, "RARP, Request who-is %s tell %s", t->tha, t->sha); break;
    case PC_RARP_REPLY: pc_fmt_text(f, "RARP, Reply %s at %s", t->tha, t->tpa); break;
    case PC_INARP_REQUEST: pc_fmt_text(f, "InARP, Request who-is %s tell %s", t->tha, t->sha); break;
    case PC_INARP_REPLY: pc_fmt_text(f, "InARP, Reply %s at %s", t->sha, t->spa); break;
    default: pc_fmt_text(f, "ARP, op %u, %s > %s", pc_arp_op(h), t->spa, t->tpa); break;
    }
}

void pc_arp_describe(const struct pc_decoded *d, int i, struct pc_fmt *f)
{
    uint32_t cap = pc_layer_caphdr(d, i);
    if (cap < PC_ARP_FIXED) { pc_fmt_text(f, "ARP [|arp]"); return; }
    const uint8_t *h = pc_layer_hdr(d, i);
    pc_fmt_kuint(f, "op", pc_arp_op(h));
    pc_fmt_kuint(f, "htype", pc_arp_htype(h));
    pc_fmt_kuint(f, "ptype", pc_arp_ptype(h));
    pc_fmt_kuint(f, "hlen", pc_arp_hlen(h));
    pc_fmt_kuint(f, "plen", pc_arp_plen(h));
    if (cap < pc_arp_len(h) || !pc_arp_hlen(h) || !pc_arp_plen(h)) {
        pc_fmt_text(f, "ARP, op %u [|arp]", pc_arp_op(h));
        return;
    }
    struct arp_text t;
    arp_texts(h, &t);
    arp_text(f, h, &t);
    pc_fmt_kstr(f, "sha", t.sha);
    pc_fmt_kstr(f, "spa", t.spa);
    pc_fmt_kstr(f, "tha", t.tha);
    pc_fmt_kstr(f, "tpa", t.tpa);
}

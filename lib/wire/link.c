/* Capture link layers: Linux cooked capture v1 / v2 and BSD loopback
 * (NULL / LOOP).  Decode and describe only: the capturing host makes these
 * headers, nobody sends them. */
#include <stdio.h>

#include "../internal.h"
#include "pktcraft/core/fmt.h"
#include "pktcraft/wire/link.h"

/* Field offsets are in the accessors of pktcraft/wire/link.h. */

/* The smallest real EtherType: SLL protocol values below it are Linux's
 * ETH_P_802_3, ETH_P_802_2, CAN and other pseudo-protocols. */
#define ETHERTYPE_MIN 0x0600

const char *pc_sll_pkttype_name(unsigned t)
{
    static const char *const names[] = {
        [PC_SLL_HOST] = "In", [PC_SLL_BROADCAST] = "B", [PC_SLL_MULTICAST] = "M",
        [PC_SLL_OTHERHOST] = "P", [PC_SLL_OUTGOING] = "Out",
    };
    return t < sizeof names / sizeof names[0] ? names[t] : NULL;
}

int pc_null_family_ipver(uint32_t family)
{
    switch (family) {
    case PC_AF_INET: return 4;
    case PC_AF_INET6_LINUX: case PC_AF_INET6_BSD: case PC_AF_INET6_FREEBSD: case PC_AF_INET6_DARWIN: return 6;
    default: return 0;
    }
}

uint32_t pc_null_family(const uint8_t *h, int linktype)
{
    uint32_t be = pc_get32(h);
    if (linktype == PC_LINK_LOOP) return be;
    uint32_t le = pc_get32le(h);
    if (pc_null_family_ipver(be)) return be;
    if (pc_null_family_ipver(le)) return le;
    return le < be ? le : be;
}

/* Start the fixed-size header a capture begins with; it becomes d->l2.
 * Returns its index, or -1 when it is not all there: malformed when the
 * frame itself is that short, truncated when only the capture is. */
static int link_start(struct pc_walk *w, uint8_t proto, uint32_t off, uint32_t hlen, const char *runt,
                      const char *cut)
{
    int i = pc_dec_add(w, proto, off, hlen, 0);
    if (i < 0) return -1;
    uint32_t room = w->end > off ? w->end - off : 0;
    if (pc_dec_avail(w, off) < hlen) {
        if (room < hlen) pc_dec_fail(w, i, PC_LF_MALFORMED, runt);
        else pc_dec_fail(w, i, PC_LF_TRUNC, cut);
        return -1;
    }
    w->d->l2 = (int8_t)i;
    w->d->l[i].plen = room - hlen;
    return i;
}

/* What follows a cooked header.  Netlink captures carry a netlink family
 * in the protocol field; small values are Linux pseudo-protocols (802.2
 * LLC, raw 802.3, CAN...) that we do not decode. */
static void cooked_next(struct pc_walk *w, uint16_t hatype, uint16_t proto, uint32_t off)
{
    if (hatype == PC_ARPHRD_NETLINK || proto < ETHERTYPE_MIN) pc_dec_payload(w, off);
    else pc_dec_ethertype(w, proto, off);
}

/* The address length is not checked against the 8-byte field: the kernel
 * reports the real length (20 for InfiniBand) and libpcap keeps the first 8
 * bytes, so a longer length is normal, not a lie. */
void pc_sll_decode(struct pc_walk *w, uint32_t off)
{
    int i = link_start(w, PC_P_SLL, off, PC_SLL_HLEN, "sll frame shorter than 16 bytes", "sll header cut by the capture");
    if (i < 0) return;
    const uint8_t *h = w->d->buf + off;
    cooked_next(w, pc_sll_hatype(h), pc_sll_protocol(h), off + PC_SLL_HLEN);
}

void pc_sll2_decode(struct pc_walk *w, uint32_t off)
{
    int i = link_start(w, PC_P_SLL2, off, PC_SLL2_HLEN, "sll2 frame shorter than 20 bytes",
                       "sll2 header cut by the capture");
    if (i < 0) return;
    const uint8_t *h = w->d->buf + off;
    cooked_next(w, pc_sll2_hatype(h), pc_sll2_protocol(h), off + PC_SLL2_HLEN);
}

void pc_null_decode(struct pc_walk *w, uint32_t off)
{
    int i = link_start(w, PC_P_NULL, off, PC_NULL_HLEN, "loopback frame shorter than 4 bytes",
                       "loopback header cut by the capture");
    if (i < 0) return;
    uint32_t fam = pc_null_family(w->d->buf + off, w->d->linktype);
    switch (pc_null_family_ipver(fam)) {
    case 4: pc_ipv4_decode(w, off + PC_NULL_HLEN); break;
    case 6: pc_ipv6_decode(w, off + PC_NULL_HLEN); break;
    default: pc_dec_payload(w, off + PC_NULL_HLEN); break;
    }
}

/* ---- describe ---- */

/* The first min(len, 8) address bytes as hex joined by ':'. */
static void addr_text(const uint8_t *a, unsigned len, char out[3 * PC_SLL_ADDRLEN])
{
    unsigned n = len < PC_SLL_ADDRLEN ? len : PC_SLL_ADDRLEN;
    size_t k = 0;
    out[0] = 0;
    for (unsigned j = 0; j < n; j++) k += (size_t)snprintf(out + k, 3 * PC_SLL_ADDRLEN - k, j ? ":%02x" : "%02x", a[j]);
}

static void pkttype_text(struct pc_fmt *f, unsigned t)
{
    const char *name = pc_sll_pkttype_name(t);
    if (name) pc_fmt_text(f, "%s", name);
    else pc_fmt_text(f, "pkttype %u", t);
}

static void describe_sll(const uint8_t *h, struct pc_fmt *f)
{
    char addr[3 * PC_SLL_ADDRLEN];
    pkttype_text(f, pc_sll_pkttype(h));
    addr_text(pc_sll_addr(h), pc_sll_halen(h), addr);
    pc_fmt_kuint(f, "pkttype", pc_sll_pkttype(h));
    pc_fmt_kuint(f, "hatype", pc_sll_hatype(h));
    pc_fmt_kuint(f, "halen", pc_sll_halen(h));
    pc_fmt_kstr(f, "addr", addr);
    pc_fmt_kuint(f, "protocol", pc_sll_protocol(h));
}

static void describe_sll2(const uint8_t *h, struct pc_fmt *f)
{
    char addr[3 * PC_SLL_ADDRLEN];
    pc_fmt_text(f, "ifindex %u ", (unsigned)pc_sll2_ifindex(h));
    pkttype_text(f, pc_sll2_pkttype(h));
    addr_text(pc_sll2_addr(h), pc_sll2_halen(h), addr);
    pc_fmt_kuint(f, "protocol", pc_sll2_protocol(h));
    pc_fmt_kuint(f, "ifindex", pc_sll2_ifindex(h));
    pc_fmt_kuint(f, "hatype", pc_sll2_hatype(h));
    pc_fmt_kuint(f, "pkttype", pc_sll2_pkttype(h));
    pc_fmt_kuint(f, "halen", pc_sll2_halen(h));
    pc_fmt_kstr(f, "addr", addr);
}

static void describe_null(const struct pc_decoded *d, const uint8_t *h, struct pc_fmt *f)
{
    uint32_t fam = pc_null_family(h, d->linktype);
    int v = pc_null_family_ipver(fam);
    if (v) pc_fmt_text(f, "AF IPv%d (%u)", v, (unsigned)fam);
    else pc_fmt_text(f, "AF %u", (unsigned)fam);
    pc_fmt_kuint(f, "family", fam);
}

void pc_link_describe(const struct pc_decoded *d, int i, struct pc_fmt *f)
{
    uint8_t p = d->l[i].proto;
    uint32_t need = p == PC_P_SLL ? PC_SLL_HLEN : p == PC_P_SLL2 ? PC_SLL2_HLEN : PC_NULL_HLEN;
    if (pc_layer_caphdr(d, i) < need) { pc_fmt_text(f, "[|%s]", pc_proto_name(p)); return; }
    const uint8_t *h = pc_layer_hdr(d, i);
    if (p == PC_P_SLL) describe_sll(h, f);
    else if (p == PC_P_SLL2) describe_sll2(h, f);
    else describe_null(d, h, f);
}

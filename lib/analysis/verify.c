/* The capture linter (include/pktcraft/analysis/verify.h).
 *
 * Per packet: each layer the decoder found is checked against the bytes
 * around it (a checker per protocol reads the header fields and names the
 * value they call for); the decoder's own verdicts are reused: a checksum
 * is summed again only when the decoder found it bad, and a layer the
 * decoder marked malformed for a reason no checker named is reported with
 * the decoder's reason.  Across packets: the analyzer's fragment reports
 * and stream gaps. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pktcraft/analysis/analyzer.h"
#include "pktcraft/analysis/verify.h"
#include "pktcraft/capture/pcap.h"
#include "pktcraft/core/build.h"
#include "pktcraft/core/decode.h"
#include "pktcraft/core/fmt.h"
#include "pktcraft/wire/arp.h"
#include "pktcraft/wire/dns.h"
#include "pktcraft/wire/eth.h"
#include "pktcraft/wire/icmp.h"
#include "pktcraft/wire/icmp6.h"
#include "pktcraft/wire/ipv4.h"
#include "pktcraft/wire/ipv6.h"
#include "pktcraft/wire/tcp.h"
#include "pktcraft/wire/udp.h"
#include "pktcraft/wire/vlan.h"

static const struct {
    const char *name, *help;
} checks[PC_VC__COUNT] = {
    [PC_VC_CHECKSUM] = { "checksum", "a checksum that does not sum (IPv4 header, TCP, UDP, ICMP, ICMPv6, GRE)" },
    [PC_VC_ZERO_CSUM] = { "zero-checksum", "UDP checksum 0 over IPv6 (allowed only over IPv4)" },
    [PC_VC_LENGTH] = { "length", "a length field the lengths around it contradict (ihl, len, plen, doff...)" },
    [PC_VC_TRAILER] = { "trailer", "bytes after the IP datagram that are not minimum-frame padding (FCS...)" },
    [PC_VC_TRUNCATED] = { "truncated", "fewer bytes captured than the headers say (a snaplen capture)" },
    [PC_VC_OPTIONS] = { "options", "an IPv4, IPv6, TCP or neighbour-discovery option that is not sane" },
    [PC_VC_DNS_COUNT] = { "dns-count", "a DNS section count larger than the records the message holds" },
    [PC_VC_MALFORMED] = { "malformed", "anything else the decoder finds wrong (versions, DNS names...)" },
    [PC_VC_FRAGMENT] = { "fragment", "an IP datagram whose fragments never complete, or that conflict" },
    [PC_VC_TCP_GAP] = { "tcp-gap", "bytes of a TCP stream that were never captured" },
};

const char *pc_vcheck_name(int check) { return check >= 0 && check < PC_VC__COUNT ? checks[check].name : NULL; }
const char *pc_vcheck_help(int check) { return check >= 0 && check < PC_VC__COUNT ? checks[check].help : NULL; }

int pc_vcheck_parse(const char *name, size_t len)
{
    for (int c = 0; c < PC_VC__COUNT; c++)
        if (strlen(checks[c].name) == len && !memcmp(checks[c].name, name, len)) return c;
    return -1;
}

/* ------------------------------------------------------------ findings */

/* One packet (or reassembled datagram) being checked. */
struct vpkt {
    const struct pc_decoded *d;
    uint64_t pktno;
    const char *note;  /* appended to every message ("" or where the datagram came from) */
    pc_vfinding_cb cb;
    void *ctx;
};

enum { V_NONE, V_DEC, V_HEX };

static void vemit(const struct vpkt *v, int check, int i, const char *field, int vals, uint64_t found,
                  uint64_t expected, const char *fmt, va_list ap)
{
    struct pc_vfinding f = { .packet = v->pktno, .check = check, .field = field, .has_values = vals != V_NONE,
                             .hex = vals == V_HEX, .found = found, .expected = expected };
    f.layer = i < 0 ? "frame" : pc_proto_name(v->d->l[i].proto);
    int n = vsnprintf(f.message, sizeof f.message, fmt, ap);
    if (n >= 0 && (size_t)n < sizeof f.message && v->note[0])
        snprintf(f.message + n, sizeof f.message - (size_t)n, "%s", v->note);
    v->cb(v->ctx, &f);
}

/* A finding with values (vals V_DEC or V_HEX) or without (V_NONE); returns
 * 1, the count a checker adds up. */
static int emit(const struct vpkt *v, int check, int i, const char *field, int vals, uint64_t found,
                uint64_t expected, const char *fmt, ...) __attribute__((format(printf, 8, 9)));
static int emit(const struct vpkt *v, int check, int i, const char *field, int vals, uint64_t found,
                uint64_t expected, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vemit(v, check, i, field, vals, found, expected, fmt, ap);
    va_end(ap);
    return 1;
}

/* ------------------------------------------------------------ layer geometry */

static bool is_link(uint8_t p)
{
    return p == PC_P_ETH || p == PC_P_VLAN || p == PC_P_SLL || p == PC_P_SLL2 || p == PC_P_NULL;
}

static bool is_ip6ext(uint8_t p)
{
    return p == PC_P_IP6_HOP || p == PC_P_IP6_DEST || p == PC_P_IP6_ROUTING || p == PC_P_IP6_FRAG;
}

/* Where the extent enclosing layer i ends: the end of the layer before it
 * (its header plus the payload it claims), or the frame's wire length. */
static uint32_t outer_end(const struct pc_decoded *d, int i)
{
    if (i == 0) return d->len;
    const struct pc_layer *p = &d->l[i - 1];
    return p->off + p->hlen + p->plen;
}

/* Bytes from layer i's start to the end of its enclosing extent. */
static uint32_t room_of(const struct pc_decoded *d, int i)
{
    uint32_t e = outer_end(d, i);
    return e > d->l[i].off ? e - d->l[i].off : 0;
}

/* Bytes captured from layer i's start (its header may claim fewer). */
static uint32_t cap_from(const struct pc_decoded *d, int i)
{
    return d->caplen > d->l[i].off ? d->caplen - d->l[i].off : 0;
}

/* The IP layer whose pseudo-header or payload layer i is in (IPv6
 * extension headers skipped), or -1. */
static int ip_of(const struct pc_decoded *d, int i)
{
    int k = i - 1;
    while (k >= 0 && is_ip6ext(d->l[k].proto)) k--;
    return k >= 0 && (d->l[k].proto == PC_P_IPV4 || d->l[k].proto == PC_P_IPV6) ? k : -1;
}

/* A bad checksum: what the field holds and what it should. */
static int bad_csum(const struct vpkt *v, int i, const char *what)
{
    uint16_t found, expected;
    if (pc_layer_csum(v->d, i, &found, &expected) < 0)
        return emit(v, PC_VC_CHECKSUM, i, "csum", V_NONE, 0, 0, "%s checksum wrong", what);
    return emit(v, PC_VC_CHECKSUM, i, "csum", V_HEX, found, expected, "%s checksum wrong", what);
}

/* An IP datagram (layer i, whose field says it holds len bytes) shorter
 * than the extent it sits in, which holds room.  After a link header the
 * rest is a trailer, unless the frame was only padded to the 46 bytes of
 * payload Ethernet's minimum frame asks for; inside a tunnel the two
 * lengths disagree. */
static int datagram_short(const struct vpkt *v, int i, const char *field, uint32_t found, uint32_t expected,
                          uint32_t extra)
{
    const struct pc_decoded *d = v->d;
    const char *name = pc_proto_name(d->l[i].proto);
    bool tunnelled = i > 0 && !is_link(d->l[i - 1].proto);
    if (tunnelled)
        return emit(v, PC_VC_LENGTH, i, field, V_DEC, found, expected,
                    "%s %s shorter than the enclosing payload by %u bytes", name, field, extra);
    if (room_of(d, i) <= PC_ETH_MINFRAME - PC_ETH_HLEN) return 0;
    return emit(v, PC_VC_TRAILER, i, field, V_DEC, found, expected,
                "%u bytes after the %s datagram in the frame (a trailer, an FCS, or a %s too small)", extra, name,
                field);
}

/* ------------------------------------------------------------ IPv4 */

struct optck {
    const struct vpkt *v;
    int i, n;
};

/* RFC 791 pointers: a route's points at an address slot (4, 8, ... or
 * one past the end when full), a timestamp's at an entry (5 on). */
static void ip4_opt(void *ctx, uint8_t type, const uint8_t *o, uint8_t len)
{
    struct optck *c = ctx;
    uint32_t min;
    if (type == PC_IPOPT_RR || type == PC_IPOPT_LSRR || type == PC_IPOPT_SSRR) min = 4;
    else if (type == PC_IPOPT_TS) min = 5;
    else return;
    uint8_t ptr = o[2];
    if (ptr < min)
        c->n += emit(c->v, PC_VC_OPTIONS, c->i, "options", V_DEC, ptr, min,
                     "option %s pointer %u points before its first slot", pc_ipv4_opt_name(type), ptr);
    else if (ptr > len + 1u)
        c->n += emit(c->v, PC_VC_OPTIONS, c->i, "options", V_DEC, ptr, len + 1u,
                     "option %s pointer %u points past the option (%u bytes)", pc_ipv4_opt_name(type), ptr, len);
    else if (min == 4 && (ptr - min) % 4)
        c->n += emit(c->v, PC_VC_OPTIONS, c->i, "options", V_DEC, ptr, ptr - (ptr - min) % 4,
                     "option %s pointer %u points inside an address", pc_ipv4_opt_name(type), ptr);
}

static int ip4_options(const struct vpkt *v, int i, const uint8_t *h, uint32_t hl)
{
    if (hl <= PC_IPV4_HLEN || pc_layer_caphdr(v->d, i) < hl) return 0;
    if (pc_ipv4_opts_walk(h + PC_IPV4_HLEN, hl - PC_IPV4_HLEN, NULL, NULL) < 0)
        return emit(v, PC_VC_OPTIONS, i, "options", V_NONE, 0, 0, "an ipv4 option length does not fit its type or the header");
    struct optck c = { v, i, 0 };
    pc_ipv4_opts_walk(h + PC_IPV4_HLEN, hl - PC_IPV4_HLEN, ip4_opt, &c);
    return c.n;
}

static int check_ipv4(const struct vpkt *v, int i)
{
    const struct pc_decoded *d = v->d;
    const struct pc_layer *l = &d->l[i];
    if (cap_from(d, i) < PC_IPV4_HLEN) return 0;
    const uint8_t *h = pc_layer_hdr(d, i);
    uint32_t room = room_of(d, i), hl = pc_ipv4_ihl(h) * 4u, tl = pc_ipv4_len(h);
    if (pc_ipv4_version(h) != 4)
        return emit(v, PC_VC_MALFORMED, i, "version", V_DEC, pc_ipv4_version(h), 4, "ipv4 version is not 4");
    if (hl < PC_IPV4_HLEN)
        return emit(v, PC_VC_LENGTH, i, "ihl", V_DEC, pc_ipv4_ihl(h), 5, "ipv4 header length %u below 20 bytes", hl);
    int n = 0;
    if (tl < hl)
        n += emit(v, PC_VC_LENGTH, i, "len", V_DEC, tl, room >= hl ? room : hl,
                  "ipv4 total length %u below the header length %u", tl, hl);
    else if (tl > room)
        n += emit(v, PC_VC_LENGTH, i, "len", V_DEC, tl, room, "ipv4 total length %u beyond the %u bytes there are",
                  tl, room);
    else if (tl < room)
        n += datagram_short(v, i, "len", tl, room, room - tl);
    if (l->csum == PC_CSUM_BAD) n += bad_csum(v, i, "ipv4 header");
    return n + ip4_options(v, i, h, hl);
}

/* ------------------------------------------------------------ IPv6 */

static int check_ipv6(const struct vpkt *v, int i)
{
    const struct pc_decoded *d = v->d;
    if (pc_layer_caphdr(d, i) < PC_IPV6_HLEN) return 0;
    const uint8_t *h = pc_layer_hdr(d, i);
    if (pc_ipv6_version(h) != 6)
        return emit(v, PC_VC_MALFORMED, i, "version", V_DEC, pc_ipv6_version(h), 6, "ipv6 version is not 6");
    uint32_t room = room_of(d, i), plen = pc_ipv6_plen(h);
    if (room < PC_IPV6_HLEN) return 0; /* the enclosing length is the lie: the decoder says so */
    room -= PC_IPV6_HLEN;
    if (plen == 0 && d->l[i].plen == room && pc_ipv6_nh(h) == PC_IPPROTO_HOPOPTS) return 0; /* jumbogram */
    if (plen > room)
        return emit(v, PC_VC_LENGTH, i, "plen", V_DEC, plen, room, "ipv6 payload length %u beyond the %u bytes there are",
                    plen, room);
    if (plen < room) return datagram_short(v, i, "plen", plen, room, room - plen);
    return 0;
}

/* Hop-by-Hop, Destination Options, Routing, Fragment. */
static int check_ip6ext(const struct vpkt *v, int i)
{
    const struct pc_decoded *d = v->d;
    const struct pc_layer *l = &d->l[i];
    uint32_t room = room_of(d, i);
    if (l->proto == PC_P_IP6_FRAG || pc_layer_caphdr(d, i) < 2 || room < PC_IP6EXT_MINLEN) return 0;
    const uint8_t *h = pc_layer_hdr(d, i);
    uint32_t hl = pc_ip6ext_len(h);
    if (hl > room)
        return emit(v, PC_VC_LENGTH, i, "len", V_DEC, pc_ip6ext_hdrlen(h), room / 8 - 1,
                    "extension header length %u beyond the %u bytes of payload left", hl, room);
    if (pc_layer_caphdr(d, i) < hl || !(l->flags & PC_LF_MALFORMED)) return 0;
    if (l->proto != PC_P_IP6_ROUTING)
        return emit(v, PC_VC_OPTIONS, i, "options", V_NONE, 0, 0, "an option runs past the extension header");
    uint32_t slots = (hl - 8) / 16, naddrs = slots;
    uint8_t segleft = pc_ip6rt_segleft(h);
    if (pc_ip6rt_type(h) == PC_IP6_RT_SRH) {
        naddrs = pc_ip6rt_last_entry(h) + 1u;
        if (naddrs > slots)
            return emit(v, PC_VC_LENGTH, i, "last_entry", V_DEC, pc_ip6rt_last_entry(h), slots ? slots - 1 : 0,
                        "srh last entry beyond the %u segments the header holds", slots);
    } else if ((hl - 8) % 16) {
        return emit(v, PC_VC_LENGTH, i, "len", V_DEC, pc_ip6ext_hdrlen(h), pc_ip6ext_hdrlen(h) & ~1u,
                    "routing header length not a whole number of addresses");
    }
    if (segleft > naddrs)
        return emit(v, PC_VC_LENGTH, i, "segleft", V_DEC, segleft, naddrs,
                    "segments left beyond the %u addresses of the routing header", naddrs);
    return 0;
}

/* ------------------------------------------------------------ TCP, UDP */

/* The length a TCP option of a known kind has (RFC 793, 7323, 2018). */
static int tcp_opt_ok(uint8_t kind, uint8_t dlen, uint32_t *want)
{
    switch (kind) {
    case PC_TCPOPT_MSS: *want = 4; break;
    case PC_TCPOPT_WSCALE: *want = 3; break;
    case PC_TCPOPT_SACKOK: *want = 2; break;
    case PC_TCPOPT_TS: *want = 10; break;
    case PC_TCPOPT_SACK:
        *want = dlen >= 8 && dlen <= 32 ? 2u + dlen - dlen % 8 : dlen < 8 ? 10 : 34;
        return dlen >= 8 && dlen <= 32 && dlen % 8 == 0;
    default: return 1;
    }
    return dlen + 2u == *want;
}

static void tcp_opt(void *ctx, uint8_t kind, const uint8_t *p, uint8_t dlen)
{
    (void)p;
    struct optck *c = ctx;
    uint32_t want;
    if (kind > PC_TCPOPT_NOP && !tcp_opt_ok(kind, dlen, &want))
        c->n += emit(c->v, PC_VC_OPTIONS, c->i, "options", V_DEC, dlen + 2u, want, "tcp option kind %u length %u",
                     kind, dlen + 2u);
}

static int check_tcp(const struct vpkt *v, int i)
{
    const struct pc_decoded *d = v->d;
    const struct pc_layer *l = &d->l[i];
    /* inside a fragment the lengths are the datagram's: checked on it */
    if ((l->flags & PC_LF_FRAG) || cap_from(d, i) < PC_TCP_HLEN) return 0;
    const uint8_t *h = pc_layer_hdr(d, i);
    uint32_t seg = room_of(d, i), doff = pc_tcp_doff(h);
    if (seg < PC_TCP_HLEN)
        return emit(v, PC_VC_LENGTH, i, "len", V_DEC, seg, PC_TCP_HLEN, "tcp segment of %u bytes is shorter than a tcp header", seg);
    if (doff < 5) return emit(v, PC_VC_LENGTH, i, "doff", V_DEC, doff, 5, "tcp data offset below 5 words");
    if (doff * 4 > seg)
        return emit(v, PC_VC_LENGTH, i, "doff", V_DEC, doff, seg / 4 < 15 ? seg / 4 : 15,
                    "tcp data offset (%u bytes) beyond the %u-byte segment", doff * 4, seg);
    int n = l->csum == PC_CSUM_BAD ? bad_csum(v, i, "tcp") : 0;
    uint32_t hl = doff * 4;
    if (hl == PC_TCP_HLEN || pc_layer_caphdr(d, i) < hl) return n;
    if (pc_tcp_opts_walk(h + PC_TCP_HLEN, hl - PC_TCP_HLEN, NULL, NULL) < 0)
        return n + emit(v, PC_VC_OPTIONS, i, "options", V_NONE, 0, 0, "a tcp option runs past the header");
    struct optck c = { v, i, 0 };
    pc_tcp_opts_walk(h + PC_TCP_HLEN, hl - PC_TCP_HLEN, tcp_opt, &c);
    return n + c.n;
}

static int check_udp(const struct vpkt *v, int i)
{
    const struct pc_decoded *d = v->d;
    const struct pc_layer *l = &d->l[i];
    if ((l->flags & PC_LF_FRAG) || pc_layer_caphdr(d, i) < PC_UDP_HLEN) return 0;
    const uint8_t *h = pc_layer_hdr(d, i);
    uint32_t room = room_of(d, i), ulen = pc_udp_len(h);
    int n = 0;
    if (room < PC_UDP_HLEN)
        return emit(v, PC_VC_LENGTH, i, "len", V_DEC, ulen, room, "ip payload of %u bytes is shorter than a udp header", room);
    if (ulen != room)
        n += emit(v, PC_VC_LENGTH, i, "len", V_DEC, ulen, room, "udp length %u %s the %u-byte ip payload", ulen,
                  ulen < PC_UDP_HLEN ? "below 8 bytes, in" : ulen > room ? "beyond" : "shorter than", room);
    if (l->csum == PC_CSUM_BAD) n += bad_csum(v, i, "udp");
    int ip = ip_of(d, i);
    if (l->csum == PC_CSUM_ZERO && ip >= 0 && d->l[ip].proto == PC_P_IPV6) {
        uint16_t found, expected;
        if (pc_layer_csum(d, i, &found, &expected) == 0)
            n += emit(v, PC_VC_ZERO_CSUM, i, "csum", V_HEX, found, expected, "udp checksum 0 over ipv6");
        else
            n += emit(v, PC_VC_ZERO_CSUM, i, "csum", V_NONE, 0, 0, "udp checksum 0 over ipv6");
    }
    return n;
}

/* ------------------------------------------------------------ ICMP, GRE */

/* ICMP and ICMPv6: the message shorter than its type's fixed part, and
 * the checksum; the rest (RFC 4884 lengths, ND options) by the decoder's
 * reasons. */
static int check_icmp(const struct vpkt *v, int i)
{
    const struct pc_decoded *d = v->d;
    const struct pc_layer *l = &d->l[i];
    if ((l->flags & PC_LF_FRAG) || pc_layer_caphdr(d, i) < 4) return 0;
    uint8_t type = pc_layer_hdr(d, i)[0];
    uint32_t room = room_of(d, i);
    uint32_t need = l->proto == PC_P_ICMP ? pc_icmp_hdr_len(type) : pc_icmp6_hdr_len(type);
    if (room < need)
        return emit(v, PC_VC_LENGTH, i, "len", V_DEC, room, need, "%s type %u message of %u bytes below its %u-byte header",
                    pc_proto_name(l->proto), type, room, need);
    return l->csum == PC_CSUM_BAD ? bad_csum(v, i, pc_proto_name(l->proto)) : 0;
}

static int check_gre(const struct vpkt *v, int i)
{
    return v->d->l[i].csum == PC_CSUM_BAD ? bad_csum(v, i, "gre") : 0;
}

/* ------------------------------------------------------------ link, ARP */

/* A VLAN tag (or Ethernet header) carrying an 802.3 length instead of an
 * EtherType: the LLC data must fit the frame. */
static int check_llc(const struct vpkt *v, int i, uint32_t hlen, uint16_t type)
{
    if (type > PC_VLAN_LEN_MAX) return 0;
    uint32_t room = room_of(v->d, i);
    room = room > hlen ? room - hlen : 0;
    if (type > room)
        return emit(v, PC_VC_LENGTH, i, "len", V_DEC, type, room, "802.3 length %u beyond the %u bytes of the frame",
                    type, room);
    return 0;
}

static int check_link(const struct vpkt *v, int i)
{
    const struct pc_decoded *d = v->d;
    uint8_t p = d->l[i].proto;
    if (p == PC_P_ETH && pc_layer_caphdr(d, i) >= PC_ETH_HLEN)
        return check_llc(v, i, PC_ETH_HLEN, pc_eth_type(pc_layer_hdr(d, i)));
    if (p == PC_P_VLAN && pc_layer_caphdr(d, i) >= PC_VLAN_HLEN)
        return check_llc(v, i, PC_VLAN_HLEN, pc_vlan_type(pc_layer_hdr(d, i)));
    return 0;
}

/* Ethernet/IPv4 ARP has 6- and 4-byte addresses; any ARP fits the frame. */
static int check_arp(const struct vpkt *v, int i)
{
    const struct pc_decoded *d = v->d;
    if (pc_layer_caphdr(d, i) < PC_ARP_FIXED) return 0;
    const uint8_t *h = pc_layer_hdr(d, i);
    uint32_t room = room_of(d, i);
    int n = 0;
    if (pc_arp_htype(h) == 1 && pc_arp_hlen(h) != 6)
        n += emit(v, PC_VC_LENGTH, i, "hlen", V_DEC, pc_arp_hlen(h), 6, "ethernet hardware address size");
    if (pc_arp_ptype(h) == PC_ETHERTYPE_IPV4 && pc_arp_plen(h) != 4)
        n += emit(v, PC_VC_LENGTH, i, "plen", V_DEC, pc_arp_plen(h), 4, "ipv4 protocol address size");
    if (!n && pc_arp_len(h) > room)
        n += emit(v, PC_VC_LENGTH, i, "len", V_DEC, pc_arp_len(h), room, "arp addresses run past the frame");
    return n;
}

/* ------------------------------------------------------------ DNS */

static const char *const dns_counts[4] = { "qdcount", "ancount", "nscount", "arcount" };

/* A message the decoder found malformed: a count that announces more
 * entries than the (whole) message holds is named with the count there
 * is; any other problem falls to the decoder's reason. */
static int check_dns(const struct vpkt *v, int i)
{
    const struct pc_decoded *d = v->d;
    const struct pc_layer *l = &d->l[i];
    if (!(l->flags & PC_LF_MALFORMED) || l->hlen < PC_DNS_HLEN) return 0;
    uint32_t start = l->off + (l->hlen - PC_DNS_HLEN), mlen = PC_DNS_HLEN + l->plen; /* after a TCP length prefix */
    if (start >= d->caplen || d->caplen - start < mlen) return 0;
    struct pc_dns_iter it;
    struct pc_dns_rr rr;
    if (pc_dns_iter_init(&it, d->buf + start, mlen) < 0) return 0;
    int rc;
    do rc = pc_dns_iter_next(&it, &rr);
    while (rc == 1);
    if (rc != PC_ETRUNC || it.off < mlen || it.section > 3) return 0;
    return emit(v, PC_VC_DNS_COUNT, i, dns_counts[it.section], V_DEC, it.count[it.section], it.index,
                "dns %s says %u but the message holds %u", dns_counts[it.section], it.count[it.section], it.index);
}

/* ------------------------------------------------------------ per packet */

/* The decoder's reason for a malformed layer no checker named. */
static void fallback(const struct vpkt *v, int i)
{
    const char *why = v->d->l[i].why;
    int check = strstr(why, "option") ? PC_VC_OPTIONS : PC_VC_MALFORMED;
    emit(v, check, i, "header", V_NONE, 0, 0, "%s", why);
}

static int check_layer(const struct vpkt *v, int i)
{
    switch (v->d->l[i].proto) {
    case PC_P_ETH: case PC_P_VLAN: return check_link(v, i);
    case PC_P_ARP: return check_arp(v, i);
    case PC_P_IPV4: return check_ipv4(v, i);
    case PC_P_IPV6: return check_ipv6(v, i);
    case PC_P_IP6_HOP: case PC_P_IP6_DEST: case PC_P_IP6_ROUTING: case PC_P_IP6_FRAG: return check_ip6ext(v, i);
    case PC_P_TCP: return check_tcp(v, i);
    case PC_P_UDP: return check_udp(v, i);
    case PC_P_ICMP: case PC_P_ICMP6: return check_icmp(v, i);
    case PC_P_GRE: return check_gre(v, i);
    case PC_P_DNS: return check_dns(v, i);
    default: return 0;
    }
}

/* Fewer bytes captured than the headers say: the furthest end any layer
 * (below the link header, DNS left to its transport) claims, up to the
 * wire length, against the captured length.  One finding a packet. */
static void check_truncated(const struct vpkt *v)
{
    const struct pc_decoded *d = v->d;
    if (d->caplen >= d->len) return;
    uint32_t claim = 0;
    int by = -1;
    for (int pass = 0; pass < 2 && by < 0; pass++)
        for (int i = 0; i < d->n; i++) {
            const struct pc_layer *l = &d->l[i];
            if ((l->flags & PC_LF_QUOTED) || l->proto == PC_P_DNS || (pass == 0 && is_link(l->proto))) continue;
            uint64_t e = (uint64_t)l->off + l->hlen + l->plen;
            if (e > d->len) e = d->len;
            if (e > claim) claim = (uint32_t)e;
            if (by < 0 && e > d->caplen) by = i;
        }
    if (by < 0) return;
    emit(v, PC_VC_TRUNCATED, -1, "caplen", V_DEC, d->caplen, claim,
         "%u of the %u bytes the headers say were captured (the %s layer is cut)", d->caplen, claim,
         pc_proto_name(d->l[by].proto));
}

static void verify_layers(const struct vpkt *v, int from)
{
    if (from == 0) check_truncated(v);
    for (int i = from; i < v->d->n; i++) {
        const struct pc_layer *l = &v->d->l[i];
        /* a quoted datagram is the error's evidence, not this packet's:
         * only what the decoder calls malformed in it is reported */
        int n = (l->flags & PC_LF_QUOTED) ? 0 : check_layer(v, i);
        if (!n && (l->flags & PC_LF_MALFORMED) && l->why) fallback(v, i);
    }
}

void pc_verify_decoded(const struct pc_decoded *d, uint64_t pktno, int from_layer, pc_vfinding_cb cb, void *ctx)
{
    struct vpkt v = { d, pktno, "", cb, ctx };
    verify_layers(&v, from_layer < 0 ? 0 : from_layer);
}

/* ------------------------------------------------------------ the verifier */

struct pc_verifier {
    struct pc_analyzer *a;
    pc_vfinding_cb cb;
    void *ctx;
};

/* In a reassembled datagram, the layers after its (rebuilt) IP header:
 * the link and IP headers were checked on each fragment. */
static int after_ip(const struct pc_decoded *d)
{
    for (int i = 0; i < d->n; i++) {
        if (d->l[i].proto != PC_P_IPV4 && d->l[i].proto != PC_P_IPV6) continue;
        int k = i + 1;
        while (k < d->n && is_ip6ext(d->l[k].proto)) k++;
        return k;
    }
    return d->n;
}

static void on_packet(void *ctx, const struct pc_apkt *p)
{
    struct pc_verifier *v = ctx;
    struct vpkt vp = { p->frame, p->n, "", v->cb, v->ctx };
    verify_layers(&vp, 0);
    if (!p->reassembled) return;
    vp.d = p->d;
    vp.note = " (in the datagram this fragment completes)";
    verify_layers(&vp, after_ip(p->d));
}

static void flow_name(const struct pc_flow *f, int dir, char *out, size_t cap)
{
    char c[46], s[46];
    pc_flow_addr_str(f, 0, c);
    pc_flow_addr_str(f, 1, s);
    if (dir == 0) snprintf(out, cap, "%s:%u > %s:%u", c, f->cport, s, f->sport);
    else snprintf(out, cap, "%s:%u > %s:%u", s, f->sport, c, f->cport);
}

static const char *gap_why(int why)
{
    switch (why) {
    case PC_GAP_ACKED: return "acknowledged by the other side";
    case PC_GAP_END: return "data after it, never filled";
    case PC_GAP_LIMIT: return "given up at a reassembly memory limit";
    default: return "?";
    }
}

static void on_gap(void *ctx, const struct pc_flow *f, int dir, uint64_t off, uint64_t n, int why)
{
    struct pc_verifier *v = ctx;
    char name[128];
    flow_name(f, dir, name, sizeof name);
    struct pc_vfinding fd = { .check = PC_VC_TCP_GAP, .layer = "tcp", .field = "offset", .has_values = true,
                              .found = off + n, .expected = off };
    snprintf(fd.message, sizeof fd.message, "%llu bytes missing at stream offset %llu of %s (%s; flow packets %llu-%llu)",
             (unsigned long long)n, (unsigned long long)off, name, gap_why(why), (unsigned long long)f->first_pkt,
             (unsigned long long)f->last_pkt);
    v->cb(v->ctx, &fd);
}

static const char *frag_why(int what)
{
    switch (what) {
    case PC_DF_CONFLICT: return "overlapping fragments differ";
    case PC_DF_V6_OVERLAP: return "ipv6 fragments overlap (dropped, RFC 5722)";
    case PC_DF_TIMEOUT: return "not complete within the timeout";
    case PC_DF_EVICTED: return "given up at the defragmentation memory limit";
    case PC_DF_TOO_BIG: return "longer than 65535 bytes";
    case PC_DF_INCONSISTENT: return "fragments disagree on where the datagram ends";
    case PC_DF_INCOMPLETE: return "still incomplete when the capture ends";
    default: return NULL;
    }
}

static void on_frag(void *ctx, const struct pc_defrag_report *r)
{
    struct pc_verifier *v = ctx;
    const char *why = frag_why(r->what); /* same-byte overlaps are notes; cut fragments are 'truncated' */
    if (!why) return;
    char s[46], t[46], tot[24];
    if (r->version == 4) {
        pc_fmt_ip4(r->src, s);
        pc_fmt_ip4(r->dst, t);
    } else {
        pc_fmt_ip6(r->src, s);
        pc_fmt_ip6(r->dst, t);
    }
    struct pc_vfinding fd = { .check = PC_VC_FRAGMENT, .layer = r->version == 4 ? "ipv4" : "ipv6",
                              .field = "fragments", .has_values = r->total >= 0, .found = r->have,
                              .expected = r->total >= 0 ? (uint64_t)r->total : 0 };
    if (r->total >= 0) snprintf(tot, sizeof tot, "%lld", (long long)r->total);
    else snprintf(tot, sizeof tot, "?");
    if (r->what == PC_DF_CONFLICT)
        snprintf(fd.message, sizeof fd.message, "datagram id 0x%x %s > %s proto %u: %s at bytes %u-%u (packets %llu-%llu)",
                 r->ident, s, t, r->proto, why, r->off, r->off + r->len, (unsigned long long)r->first_pkt,
                 (unsigned long long)r->last_pkt);
    else
        snprintf(fd.message, sizeof fd.message,
                 "datagram id 0x%x %s > %s proto %u: %s: %u of %s bytes in %u fragments (packets %llu-%llu)", r->ident,
                 s, t, r->proto, why, r->have, tot, r->nfrags, (unsigned long long)r->first_pkt,
                 (unsigned long long)r->last_pkt);
    v->cb(v->ctx, &fd);
}

struct pc_verifier *pc_verifier_new(const struct pc_verify_opts *o, pc_vfinding_cb cb, void *ctx)
{
    struct pc_verifier *v = calloc(1, sizeof *v);
    if (!v) return NULL;
    v->cb = cb;
    v->ctx = ctx;
    struct pc_verify_opts none = { 0 };
    if (!o) o = &none;
    /* full decode: every checksum summed once, here */
    struct pc_analyzer_opts ao = { .lim = o->lim, .overlap = o->overlap, .no_defrag = o->no_defrag,
                                   .no_streams = o->no_streams };
    struct pc_analyzer_cbs cbs = { .packet = on_packet, .gap = on_gap, .frag = on_frag };
    v->a = pc_analyzer_new(&ao, &cbs, v);
    if (!v->a) {
        free(v);
        return NULL;
    }
    return v;
}

int pc_verifier_packet(struct pc_verifier *v, const struct pc_pkthdr *h, const uint8_t *data, uint64_t pktno)
{
    return pc_analyzer_packet_num(v->a, h, data, pktno);
}

void pc_verifier_finish(struct pc_verifier *v) { pc_analyzer_finish(v->a); }

void pc_verifier_free(struct pc_verifier *v)
{
    if (!v) return;
    pc_analyzer_free(v->a);
    free(v);
}

/* pc_decode_summary: the first IP and transport headers of a decoded
 * packet in flat form (core/decode.h), for programs that want the usual
 * five-tuple-and-lengths view without walking the layers themselves. */
#include <stdbool.h>
#include <string.h>

#include "pktcraft/core/decode.h"
#include "pktcraft/core/fmt.h"
#include "pktcraft/wire/ipv4.h"
#include "pktcraft/wire/ipv6.h"
#include "pktcraft/wire/tcp.h"

static bool whole(const struct pc_decoded *d, int i, uint32_t need) { return pc_layer_caphdr(d, i) >= need; }

static bool is_ip6ext(uint8_t p)
{
    return p == PC_P_IP6_HOP || p == PC_P_IP6_DEST || p == PC_P_IP6_ROUTING || p == PC_P_IP6_FRAG;
}

/* IPv6's upper protocol: the first layer after the header that is not an
 * extension header and has an IP protocol number. */
static int ip6_proto(const struct pc_decoded *d, int ip)
{
    for (int i = ip + 1; i < d->n; i++) {
        if (is_ip6ext(d->l[i].proto)) continue;
        int p = pc_proto_ipproto(d->l[i].proto);
        if (p >= 0) return p;
    }
    return -1;
}

static void take_ip(struct pc_summary *s, const struct pc_decoded *d, int i)
{
    const uint8_t *h = pc_layer_hdr(d, i);
    s->ip = i;
    if (d->l[i].proto == PC_P_IPV4) {
        s->family = 4;
        s->src = pc_ipv4_src(h);
        s->dst = pc_ipv4_dst(h);
        s->ip_proto = pc_ipv4_proto(h);
        s->ip_len = pc_ipv4_len(h);
    } else {
        s->family = 6;
        s->src = pc_ipv6_src(h);
        s->dst = pc_ipv6_dst(h);
        s->ip_proto = ip6_proto(d, i);
        s->ip_len = pc_ipv6_plen(h) + PC_IPV6_HLEN;
    }
}

static void take_l4(struct pc_summary *s, const struct pc_decoded *d, int i)
{
    const uint8_t *h = pc_layer_hdr(d, i);
    s->l4 = i;
    s->l4_proto = d->l[i].proto;
    if (s->l4_proto == PC_P_TCP || s->l4_proto == PC_P_UDP) {
        s->sport = pc_get16(h);
        s->dport = pc_get16(h + 2);
    }
    if (s->l4_proto == PC_P_TCP) s->tcp_flags = pc_tcp_flags(h);
    if (s->l4_proto == PC_P_ICMP || s->l4_proto == PC_P_ICMP6) {
        s->icmp_type = h[0];
        s->icmp_code = h[1];
    }
}

void pc_decode_summary(const struct pc_decoded *d, struct pc_summary *s)
{
    memset(s, 0, sizeof *s);
    s->ip = s->l4 = s->ip_proto = -1;
    for (int i = 0; i < d->n; i++) {
        const struct pc_layer *l = &d->l[i];
        switch (l->proto) {
        case PC_P_IPV4:
            /* an IPv4 header whose IHL is below 5 has no addresses to give */
            if (s->ip < 0 && whole(d, i, PC_IPV4_HLEN) && l->hlen >= PC_IPV4_HLEN) take_ip(s, d, i);
            break;
        case PC_P_IPV6:
            if (s->ip < 0 && whole(d, i, PC_IPV6_HLEN)) take_ip(s, d, i);
            break;
        case PC_P_TCP: case PC_P_UDP: case PC_P_ICMP: case PC_P_ICMP6:
            if (s->l4 < 0 && whole(d, i, l->proto == PC_P_TCP ? PC_TCP_HLEN : 8)) take_l4(s, d, i);
            break;
        case PC_P_PAYLOAD:
            if (!(l->flags & PC_LF_QUOTED)) s->payload_len = l->plen;
            break;
        default: break;
        }
    }
}

void pc_summary_addr(const struct pc_summary *s, int which, char out[46])
{
    const uint8_t *a = which ? s->dst : s->src;
    if (s->family == 4) pc_fmt_ip4(a, out);
    else if (s->family == 6) pc_fmt_ip6(a, out);
    else out[0] = 0;
}

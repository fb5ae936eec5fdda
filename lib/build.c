/* Builder core: layer bookkeeping and the back-to-front finalize pass. */
#include <string.h>

#include "internal.h"
#include "pktcraft/checksum.h"

static const char *const proto_names[PC_P__COUNT] = {
    [PC_P_NONE] = "none", [PC_P_ETH] = "eth",   [PC_P_IPV4] = "ipv4",
    [PC_P_TCP] = "tcp",   [PC_P_UDP] = "udp",   [PC_P_ICMP] = "icmp",
    [PC_P_PAYLOAD] = "payload",
};

const char *pc_proto_name(int proto)
{
    if (proto < 0 || proto >= PC_P__COUNT || !proto_names[proto]) return "unknown";
    return proto_names[proto];
}

void pc_pkt_init(struct pc_pkt *pk, uint8_t *buf, size_t cap)
{
    pk->buf = buf;
    pk->cap = cap;
    pk->len = 0;
    pk->err = 0;
    pk->n = 0;
}

uint8_t *pc_pkt_reserve(struct pc_pkt *pk, size_t n, uint8_t proto)
{
    if (pk->err) return NULL;
    if (pk->n >= PC_MAX_LAYERS) { pk->err = PC_ELIMIT; return NULL; }
    if (n > pk->cap - pk->len) { pk->err = PC_ENOSPC; return NULL; }
    struct pc_blayer *l = &pk->l[pk->n++];
    l->proto = proto;
    l->off = (uint32_t)pk->len;
    l->hlen = (uint32_t)n;
    uint8_t *p = pk->buf + pk->len;
    pk->len += n;
    return p;
}

int pc_pkt_find_before(const struct pc_pkt *pk, int idx, uint8_t proto)
{
    for (int i = idx - 1; i >= 0; i--)
        if (pk->l[i].proto == proto) return i;
    return -1;
}

int pc_push_payload(struct pc_pkt *pk, const void *data, size_t len)
{
    uint8_t *p = pc_pkt_reserve(pk, len, PC_P_PAYLOAD);
    if (!p) return pk->err;
    if (len) memcpy(p, data, len);
    return 0;
}

int pc_next_ethertype(const struct pc_pkt *pk, int i)
{
    if (i + 1 >= pk->n) return -1;
    switch (pk->l[i + 1].proto) {
    case PC_P_IPV4: return PC_ETHERTYPE_IPV4;
    default: return -1;
    }
}

int pc_next_ipproto(const struct pc_pkt *pk, int i)
{
    if (i + 1 >= pk->n) return -1;
    switch (pk->l[i + 1].proto) {
    case PC_P_TCP: return PC_IPPROTO_TCP;
    case PC_P_UDP: return PC_IPPROTO_UDP;
    case PC_P_ICMP: return PC_IPPROTO_ICMP;
    case PC_P_IPV4: return 4; /* IP in IP */
    default: return -1;
    }
}

uint32_t pc_l4_pseudo(const struct pc_pkt *pk, int i, uint8_t proto, uint32_t l4len)
{
    int ip = pc_pkt_find_before(pk, i, PC_P_IPV4);
    if (ip < 0) return 0;
    const struct pc_ipv4 *s = &pk->l[ip].s.ip4;
    return pc_csum_pseudo4(s->src, s->dst, proto, l4len);
}

static int fill_layer(struct pc_pkt *pk, int i)
{
    switch (pk->l[i].proto) {
    case PC_P_ETH: return pc_eth_fill(pk, i);
    case PC_P_IPV4: return pc_ipv4_fill(pk, i);
    case PC_P_TCP: return pc_tcp_fill(pk, i);
    case PC_P_UDP: return pc_udp_fill(pk, i);
    case PC_P_ICMP: return pc_icmp_fill(pk, i);
    default: return 0;
    }
}

/* Ethernet padding comes last: it is not part of any datagram, so every
 * length and checksum above was computed without it. */
static int pad_frame(struct pc_pkt *pk)
{
    if (pk->n == 0 || pk->l[0].proto != PC_P_ETH || !pk->l[0].s.eth.pad) return 0;
    if (pk->len >= PC_ETH_MINFRAME) return 0;
    size_t need = PC_ETH_MINFRAME - pk->len;
    if (need > pk->cap - pk->len) return PC_ENOSPC;
    memset(pk->buf + pk->len, 0, need);
    pk->len += need;
    return 0;
}

/* Innermost first: each layer's length, next-protocol and checksum fields
 * are final before any enclosing layer reads or sums them. */
int pc_pkt_finalize(struct pc_pkt *pk)
{
    if (pk->err) return pk->err;
    for (int i = pk->n - 1; i >= 0; i--) {
        int rc = fill_layer(pk, i);
        if (rc < 0) return pk->err = rc;
    }
    int rc = pad_frame(pk);
    if (rc < 0) return pk->err = rc;
    return (int)pk->len;
}

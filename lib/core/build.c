/* Builder core: layer bookkeeping and the back-to-front finalize pass. */
#include <string.h>

#include "../internal.h"
#include "pktcraft/core/checksum.h"

const char *pc_proto_name(int proto)
{
    if (proto <= PC_P_NONE || proto >= PC_P__COUNT) return proto == PC_P_NONE ? "none" : "unknown";
    return pc_protos[proto].name;
}

int pc_proto_ipproto(int proto)
{
    return (proto > PC_P_NONE && proto < PC_P__COUNT) ? pc_protos[proto].ipproto : -1;
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

void pc_pkt_save_spec(struct pc_pkt *pk, int i, const void *spec, size_t size)
{
    memcpy(pk->l[i].s.any.b, spec, size);
}

void pc_pkt_load_spec(const struct pc_pkt *pk, int i, void *spec, size_t size)
{
    memcpy(spec, pk->l[i].s.any.b, size);
}

int pc_next_ethertype(const struct pc_pkt *pk, int i)
{
    if (i + 1 >= pk->n) return -1;
    const struct pc_proto_info *p = &pc_protos[pk->l[i + 1].proto];
    return p->ethertype_of ? p->ethertype_of(pk, i + 1) : p->ethertype;
}

int pc_next_ipproto(const struct pc_pkt *pk, int i)
{
    return i + 1 < pk->n ? pc_protos[pk->l[i + 1].proto].ipproto : -1;
}

/* The pseudo-header of the nearest enclosing IP layer: IPv4's addresses,
 * or IPv6's source and final destination (after any Routing header). */
uint32_t pc_l4_pseudo_walk(const struct pc_pkt *pk, int i, uint8_t proto, uint32_t l4len)
{
    for (int k = i - 1; k >= 0; k--) {
        if (pk->l[k].proto == PC_P_IPV4) {
            /* A source route still under way ends at its last hop. */
            const uint8_t *h = pk->buf + pk->l[k].off;
            return pc_csum_pseudo4(pc_ipv4_src(h), pc_ipv4_final_dst(h, pk->l[k].hlen), proto, l4len);
        }
        if (pk->l[k].proto == PC_P_IPV6) return pc_ipv6_pseudo(pk, k, i, proto, l4len);
    }
    return 0;
}

/* The layers of nearly every packet are called directly, so the compiler
 * can inline them; the registry's function pointers serve the rest. */
static int fill_layer(struct pc_pkt *pk, int i)
{
    switch (pk->l[i].proto) {
    case PC_P_ETH: return pc_eth_fill(pk, i);
    case PC_P_IPV4: return pc_ipv4_fill(pk, i);
    case PC_P_TCP: return pc_tcp_fill(pk, i);
    case PC_P_UDP: return pc_udp_fill(pk, i);
    case PC_P_PAYLOAD: return 0;
    default: break;
    }
    int (*fill)(struct pc_pkt *, int) = pc_protos[pk->l[i].proto].fill;
    return fill ? fill(pk, i) : 0;
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

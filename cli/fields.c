/* --set FIELD=VALUE and --corrupt FIELD: one table maps each field name to
 * its spec struct member, so every command gets every field of every
 * layer it builds without code of its own. */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "craft.h"
#include "parse.h"
#include "pktcraft/wire/arp.h"
#include "pktcraft/wire/dns.h"
#include "pktcraft/wire/icmp6.h"
#include "pktcraft/wire/ipv6.h"
#include "pktcraft/wire/tunnel.h"
#include "pktcraft/wire/vlan.h"

/* FT_U32P: a 32-bit value whose presence is the bool at flag_off (a GRE
 * key or sequence number exists only when pinned or asked for). */
enum ftype { FT_U8, FT_U16, FT_U32, FT_U32P, FT_FIELD, FT_IP4, FT_IP6, FT_MAC };

struct field_def {
    const char *name;   /* layer.field as typed by the user */
    const char *layer;  /* craft_apply layer name */
    size_t off;
    uint8_t type;
    uint32_t max;       /* largest value for numbers */
    const char *help;
    size_t flag_off;    /* FT_U32P only */
};

#define NUM(n, l, st, m, t, mx, h) { n, l, offsetof(st, m), t, mx, h }
#define CMP(n, l, st, m, mx, h) { n, l, offsetof(st, m), FT_FIELD, mx, h }

static const struct field_def fields[] = {
    { "eth.src", "eth", offsetof(struct pc_eth, src), FT_MAC, 0, "source MAC" },
    { "eth.dst", "eth", offsetof(struct pc_eth, dst), FT_MAC, 0, "destination MAC" },
    CMP("eth.type", "eth", struct pc_eth, type, 0xFFFF, "EtherType (auto)"),
    NUM("vlan.pcp", "vlan", struct pc_vlan, pcp, FT_U8, 7, "priority"),
    NUM("vlan.dei", "vlan", struct pc_vlan, dei, FT_U8, 1, "drop eligible"),
    NUM("vlan.id", "vlan", struct pc_vlan, vid, FT_U16, 4095, "VLAN id"),
    CMP("vlan.type", "vlan", struct pc_vlan, type, 0xFFFF, "inner EtherType (auto)"),
    { "ip.src", "ip", offsetof(struct pc_ipv4, src), FT_IP4, 0, "IPv4 source" },
    { "ip.dst", "ip", offsetof(struct pc_ipv4, dst), FT_IP4, 0, "IPv4 destination" },
    NUM("ip.version", "ip", struct pc_ipv4, version, FT_U8, 15, "version (4)"),
    CMP("ip.ihl", "ip", struct pc_ipv4, ihl, 15, "header length in 32-bit words (auto)"),
    NUM("ip.tos", "ip", struct pc_ipv4, tos, FT_U8, 255, "TOS / DSCP+ECN byte"),
    CMP("ip.len", "ip", struct pc_ipv4, tot_len, 0xFFFF, "total length (auto)"),
    NUM("ip.id", "ip", struct pc_ipv4, id, FT_U16, 0xFFFF, "identification"),
    NUM("ip.flags", "ip", struct pc_ipv4, flags, FT_U8, 7, "flags: 4 RF, 2 DF, 1 MF"),
    NUM("ip.frag", "ip", struct pc_ipv4, frag_off, FT_U16, 0x1FFF, "fragment offset (8-byte units)"),
    NUM("ip.ttl", "ip", struct pc_ipv4, ttl, FT_U8, 255, "time to live"),
    CMP("ip.proto", "ip", struct pc_ipv4, proto, 255, "protocol (auto)"),
    CMP("ip.csum", "ip", struct pc_ipv4, csum, 0xFFFF, "header checksum (auto)"),
    { "ip6.src", "ip6", offsetof(struct pc_ipv6, src), FT_IP6, 0, "IPv6 source" },
    { "ip6.dst", "ip6", offsetof(struct pc_ipv6, dst), FT_IP6, 0, "IPv6 destination" },
    NUM("ip6.version", "ip6", struct pc_ipv6, version, FT_U8, 15, "version (6)"),
    NUM("ip6.tclass", "ip6", struct pc_ipv6, tclass, FT_U8, 255, "traffic class"),
    NUM("ip6.flow", "ip6", struct pc_ipv6, flowlabel, FT_U32, 0xFFFFF, "flow label"),
    CMP("ip6.plen", "ip6", struct pc_ipv6, plen, 0xFFFF, "payload length (auto)"),
    CMP("ip6.nh", "ip6", struct pc_ipv6, nh, 255, "next header (auto)"),
    NUM("ip6.hlim", "ip6", struct pc_ipv6, hlim, FT_U8, 255, "hop limit"),
    CMP("ip6ext.nh", "ip6ext", struct pc_ip6ext, nh, 255, "extension header next header (auto; every one)"),
    CMP("ip6ext.len", "ip6ext", struct pc_ip6ext, hdrlen, 255, "extension header length (auto; every one)"),
    NUM("ip6ext.segleft", "ip6ext", struct pc_ip6ext, segleft, FT_U8, 255, "routing segments left"),
    { "gre.key", "gre", offsetof(struct pc_gre, key), FT_U32P, 0xFFFFFFFF, "key (adds one to a GRE header without)",
      offsetof(struct pc_gre, has_key) },
    { "gre.seq", "gre", offsetof(struct pc_gre, seq), FT_U32P, 0xFFFFFFFF, "sequence number (adds the field)",
      offsetof(struct pc_gre, has_seq) },
    CMP("gre.proto", "gre", struct pc_gre, proto, 0xFFFF, "protocol type (auto: the inner EtherType)"),
    NUM("vxlan.flags", "vxlan", struct pc_vxlan, flags, FT_U8, 255, "flags (0 is sent as 0x08, the I flag)"),
    NUM("vxlan.vni", "vxlan", struct pc_vxlan, vni, FT_U32, 0xFFFFFF, "VXLAN network identifier"),
    NUM("tcp.sport", "tcp", struct pc_tcp, sport, FT_U16, 0xFFFF, "source port"),
    NUM("tcp.dport", "tcp", struct pc_tcp, dport, FT_U16, 0xFFFF, "destination port"),
    NUM("tcp.seq", "tcp", struct pc_tcp, seq, FT_U32, 0xFFFFFFFF, "sequence number"),
    NUM("tcp.ack", "tcp", struct pc_tcp, ack, FT_U32, 0xFFFFFFFF, "acknowledgment number"),
    CMP("tcp.doff", "tcp", struct pc_tcp, doff, 15, "data offset in 32-bit words (auto)"),
    NUM("tcp.res", "tcp", struct pc_tcp, reserved, FT_U8, 7, "reserved bits"),
    NUM("tcp.flags", "tcp", struct pc_tcp, flags, FT_U16, 0x1FF, "flags as a number (FIN 1 ... NS 0x100)"),
    NUM("tcp.win", "tcp", struct pc_tcp, win, FT_U16, 0xFFFF, "window"),
    CMP("tcp.csum", "tcp", struct pc_tcp, csum, 0xFFFF, "checksum (auto)"),
    NUM("tcp.urp", "tcp", struct pc_tcp, urp, FT_U16, 0xFFFF, "urgent pointer"),
    NUM("udp.sport", "udp", struct pc_udp, sport, FT_U16, 0xFFFF, "source port"),
    NUM("udp.dport", "udp", struct pc_udp, dport, FT_U16, 0xFFFF, "destination port"),
    CMP("udp.len", "udp", struct pc_udp, len, 0xFFFF, "length (auto)"),
    CMP("udp.csum", "udp", struct pc_udp, csum, 0xFFFF, "checksum (auto; a computed 0 is sent as 0xFFFF)"),
    NUM("icmp.type", "icmp", struct pc_icmp, type, FT_U8, 255, "type"),
    NUM("icmp.code", "icmp", struct pc_icmp, code, FT_U8, 255, "code"),
    NUM("icmp.id", "icmp", struct pc_icmp, id, FT_U16, 0xFFFF, "echo identifier"),
    NUM("icmp.seq", "icmp", struct pc_icmp, seq, FT_U16, 0xFFFF, "echo sequence"),
    CMP("icmp.csum", "icmp", struct pc_icmp, csum, 0xFFFF, "checksum (auto)"),
    NUM("icmp6.type", "icmp6", struct pc_icmp6, type, FT_U8, 255, "type"),
    NUM("icmp6.code", "icmp6", struct pc_icmp6, code, FT_U8, 255, "code"),
    CMP("icmp6.csum", "icmp6", struct pc_icmp6, csum, 0xFFFF, "checksum (auto)"),
    NUM("arp.op", "arp", struct pc_arp, op, FT_U16, 0xFFFF, "operation (1 request, 2 reply)"),
    CMP("arp.htype", "arp", struct pc_arp, htype, 0xFFFF, "hardware type (auto 1)"),
    CMP("arp.ptype", "arp", struct pc_arp, ptype, 0xFFFF, "protocol type (auto 0x0800)"),
    CMP("arp.hlen", "arp", struct pc_arp, hlen, 255, "hardware address length (auto 6)"),
    CMP("arp.plen", "arp", struct pc_arp, plen, 255, "protocol address length (auto 4)"),
    { "arp.sha", "arp", offsetof(struct pc_arp, sha), FT_MAC, 0, "sender MAC" },
    { "arp.tha", "arp", offsetof(struct pc_arp, tha), FT_MAC, 0, "target MAC" },
    { "arp.spa", "arp", offsetof(struct pc_arp, spa), FT_IP4, 0, "sender IPv4" },
    { "arp.tpa", "arp", offsetof(struct pc_arp, tpa), FT_IP4, 0, "target IPv4" },
    NUM("dns.id", "dns", struct pc_dns, id, FT_U16, 0xFFFF, "message id"),
    CMP("dns.flags", "dns", struct pc_dns, flags, 0xFFFF, "flags word (auto from the flag options)"),
    CMP("dns.qdcount", "dns", struct pc_dns, qdcount, 0xFFFF, "question count (auto)"),
    CMP("dns.ancount", "dns", struct pc_dns, ancount, 0xFFFF, "answer count (auto)"),
    CMP("dns.nscount", "dns", struct pc_dns, nscount, 0xFFFF, "authority count (auto)"),
    CMP("dns.arcount", "dns", struct pc_dns, arcount, 0xFFFF, "additional count (auto)"),
    CMP("dns.len", "dns", struct pc_dns, tcp_len, 0xFFFF, "TCP length prefix (auto, with --tcp)"),
};

#define NFIELDS (sizeof fields / sizeof fields[0])
#define FIELD_NAME_MAX 64   /* LAYER[K].FIELD as typed */

const struct field_def *field_find(const char *name)
{
    for (size_t i = 0; i < NFIELDS; i++)
        if (!strcmp(fields[i].name, name)) return &fields[i];
    return NULL;
}

/* The field named name (typed: as the user wrote it, index included), or
 * PC_EINVAL with the message opt's users see. */
static int find_field(const char *opt, const char *name, const char *typed, const struct field_def **f, char *err,
                      size_t errcap)
{
    *f = field_find(name);
    if (*f) return 0;
    if (err && errcap) snprintf(err, errcap, "%s: unknown field '%s' (the list is in --help)", opt, typed);
    return PC_EINVAL;
}

/* LAYER[K].FIELD: name gets LAYER.FIELD and s the index K; a name without
 * '[' is copied as it is.  K counts the layers of that kind from the
 * outermost (0) or, negative, from the innermost (-1); no packet has more
 * than PC_MAX_LAYERS layers, so larger indexes are refused here. */
static int split_index(const char *opt, const char *in, char *name, size_t cap, struct craft_set *s, char *err,
                       size_t errcap)
{
    const char *lb = strchr(in, '[');
    if (!lb) {
        snprintf(name, cap, "%s", in);
        return 0;
    }
    const char *p = lb + 1;
    bool neg = *p == '-';
    int k = 0, digits = 0;
    for (p += neg; *p >= '0' && *p <= '9' && digits < 3; p++, digits++) k = k * 10 + (*p - '0');
    if (lb == in || memchr(in, '.', (size_t)(lb - in)) || !digits || (neg && !k) || p[0] != ']' || p[1] != '.' ||
        !p[2] || strchr(p + 1, '[')) {
        if (err && errcap)
            snprintf(err, errcap,
                     "%s: '%s' is not LAYER[K].FIELD (K a whole number: ip[0].ttl is the outermost IPv4 header, "
                     "ip[1].ttl the next, ip[-1].ttl the innermost)", opt, in);
        return PC_EINVAL;
    }
    if (k > (neg ? PC_MAX_LAYERS : PC_MAX_LAYERS - 1)) {
        if (err && errcap)
            snprintf(err, errcap, "%s: '%s': index %s%d is beyond the %d layers a packet can have", opt, in,
                     neg ? "-" : "", k, PC_MAX_LAYERS);
        return PC_EINVAL;
    }
    snprintf(name, cap, "%.*s%s", (int)(lb - in), in, p + 1);
    s->indexed = true;
    s->idx = (int8_t)(neg ? -k : k);
    return 0;
}

/* The value after '=' as the field's type; the message names the field
 * ("--set ip.ttl: 256 is over the maximum of 255"). */
static int parse_value(struct craft_set *s, const char *name, const char *v, char *err, size_t errcap)
{
    char opt[80];
    snprintf(opt, sizeof opt, "--set %s", name);
    switch (s->f->type) {
    case FT_MAC: return cli_try_mac(opt, v, s->val, err, errcap);
    case FT_IP4: return cli_try_ipv4(opt, v, s->val, err, errcap);
    case FT_IP6: return cli_try_ipv6(opt, v, s->val, err, errcap);
    default: return cli_try_uint(opt, v, s->f->max, &s->v, err, errcap);
    }
}

int field_try_set(struct craft_set *s, const char *arg, char *err, size_t errcap)
{
    const char *eq = strchr(arg, '=');
    memset(s, 0, sizeof *s);
    if (!eq || eq == arg || eq - arg >= FIELD_NAME_MAX) {
        if (err && errcap) snprintf(err, errcap, "--set: '%s' is not FIELD=VALUE", arg);
        return PC_EINVAL;
    }
    char typed[FIELD_NAME_MAX], name[FIELD_NAME_MAX];
    snprintf(typed, sizeof typed, "%.*s", (int)(eq - arg), arg);
    int rc = split_index("--set", typed, name, sizeof name, s, err, errcap);
    if (rc < 0) return rc;
    rc = find_field("--set", name, typed, &s->f, err, errcap);
    if (rc < 0) return rc;
    s->mode = PC_FPIN;
    return parse_value(s, typed, eq + 1, err, errcap);
}

int field_try_corrupt(struct craft_set *s, const char *arg, char *err, size_t errcap)
{
    memset(s, 0, sizeof *s);
    char name[FIELD_NAME_MAX];
    if (strlen(arg) >= sizeof name) {
        if (err && errcap) snprintf(err, errcap, "--corrupt: unknown field '%s' (the list is in --help)", arg);
        return PC_EINVAL;
    }
    int rc = split_index("--corrupt", arg, name, sizeof name, s, err, errcap);
    if (rc < 0) return rc;
    rc = find_field("--corrupt", name, arg, &s->f, err, errcap);
    if (rc < 0) return rc;
    if (s->f->type != FT_FIELD) {
        if (err && errcap) snprintf(err, errcap, "--corrupt: %s is not a computed field; use --set %s=VALUE", arg, arg);
        return PC_EINVAL;
    }
    s->mode = PC_FCORRUPT;
    return 0;
}

/* The exiting forms the commands call: the message as a usage error. */
void field_parse_set(struct craft_set *s, const char *arg)
{
    char msg[cli_msg_room("--set", arg)];
    if (field_try_set(s, arg, msg, sizeof msg) < 0) cli_usage_error("%s", msg);
}

void field_parse_corrupt(struct craft_set *s, const char *arg)
{
    char msg[cli_msg_room("--corrupt", arg)];
    if (field_try_corrupt(s, arg, msg, sizeof msg) < 0) cli_usage_error("%s", msg);
}

bool field_apply(const struct craft_set *s, const char *layer, void *spec)
{
    if (strcmp(s->f->layer, layer)) return false;
    uint8_t *p = (uint8_t *)spec + s->f->off;
    switch (s->f->type) {
    case FT_U8: *p = (uint8_t)s->v; break;
    case FT_U16: { uint16_t v = (uint16_t)s->v; memcpy(p, &v, 2); break; }
    case FT_U32: { uint32_t v = (uint32_t)s->v; memcpy(p, &v, 4); break; }
    case FT_U32P: {
        uint32_t v = (uint32_t)s->v;
        memcpy(p, &v, 4);
        bool on = true;
        memcpy((uint8_t *)spec + s->f->flag_off, &on, sizeof on);
        break;
    }
    case FT_FIELD: {
        pc_field f = s->mode == PC_FCORRUPT ? PC_CORRUPT : PC_PIN(s->v);
        memcpy(p, &f, sizeof f);
        break;
    }
    case FT_IP4: memcpy(p, s->val, 4); break;
    case FT_IP6: memcpy(p, s->val, 16); break;
    case FT_MAC: memcpy(p, s->val, 6); break;
    }
    return true;
}

const char *field_name(const struct field_def *f) { return f->name; }
const char *field_layer(const struct field_def *f) { return f->layer; }

const char *field_set_name(const struct craft_set *s, char *buf, size_t cap)
{
    if (!s->indexed) return s->f->name;
    const char *dot = strchr(s->f->name, '.');
    snprintf(buf, cap, "%.*s[%d]%s", (int)(dot - s->f->name), s->f->name, s->idx, dot);
    return buf;
}

unsigned field_layer_bit(const struct field_def *f)
{
    static const struct { const char *layer; unsigned bit; } bits[] = {
        { "eth", CL_ETH }, { "vlan", CL_VLAN }, { "ip", CL_IP }, { "ip6", CL_IP6 }, { "ip6ext", CL_IP6EXT },
        { "tcp", CL_TCP }, { "udp", CL_UDP }, { "icmp", CL_ICMP }, { "icmp6", CL_ICMP6 }, { "arp", CL_ARP },
        { "dns", CL_DNS },
    };
    for (size_t i = 0; i < sizeof bits / sizeof bits[0]; i++)
        if (!strcmp(bits[i].layer, f->layer)) return bits[i].bit;
    return 0;
}

void field_help(unsigned layers)
{
    printf("FIELDS for --set FIELD=VALUE (any) and --corrupt FIELD (those marked auto); FIELD applies to\n"
           "every layer of its kind (outer and inner under --tunnel, the datagram an ICMP error quotes);\n"
           "LAYER[K].FIELD to one: K counts from the outermost (ip[0].ttl, ip[1].ttl) or, negative, from\n"
           "the innermost (ip[-1].ttl); FIELD=VALUE@N (FIELD@N) to packet N only:\n");
    for (size_t i = 0; i < NFIELDS; i++)
        if (field_layer_bit(&fields[i]) & layers) printf("  %-15s %s\n", fields[i].name, fields[i].help);
}

/* What applies to a crafting command: the shared options and --set fields
 * of the layers it builds (CL_* in craft.h), and timestamps the output
 * format can hold.  An option that would be accepted and then ignored
 * (arp --ttl) is refused instead, naming the option and the command. */
#include <string.h>

#include "craft.h"

struct scope {
    int opt;
    const char *name;   /* as the user may have typed it */
    unsigned needs;     /* any of these layers */
    const char *what;   /* what the command lacks */
};

static const struct scope scopes[] = {
    { OPT_SMAC, "--smac", CL_ETH, "Ethernet header" },
    { OPT_DMAC, "--dmac", CL_ETH, "Ethernet header" },
    { OPT_PAD, "--pad", CL_ETH, "Ethernet header" },
    { OPT_VLAN, "--vlan", CL_VLAN, "VLAN tag" },
    { OPT_SRC, "--src", CL_IP | CL_IP6 | CL_ARP, "addressed layer" },
    { OPT_DST, "--dst", CL_IP | CL_IP6 | CL_ARP, "addressed layer" },
    { OPT_TTL, "--ttl/--hop-limit", CL_IP | CL_IP6, "IP header" },
    { OPT_TOS, "--tos/--tclass", CL_IP | CL_IP6, "IP header" },
    { OPT_IPID, "--ip-id", CL_IP, "IPv4 header" },
    { OPT_DF, "--df", CL_IP, "IPv4 header" },
    { OPT_FLOWLABEL, "--flowlabel", CL_IP6, "IPv6 header" },
    { OPT_IPV6EXT, "--ipv6-ext", CL_IP6EXT, "IPv6 header" },
    { OPT_FRAG, "--frag", CL_IP | CL_IP6, "IP header" },
    { OPT_FRAGORDER, "--frag-order", CL_IP | CL_IP6, "IP header" },
    { OPT_FRAGSPEC, "--frag-spec", CL_IP | CL_IP6, "IP header" },
    { OPT_IPOPT, "--ip-opt", CL_IP, "IPv4 header" },
    { OPT_TUNNEL, "--tunnel", CL_IP | CL_IP6, "IP packet to carry" },
    { OPT_OUTER_SRC, "--outer-src", CL_IP | CL_IP6, "IP packet to carry" },
    { OPT_OUTER_DST, "--outer-dst", CL_IP | CL_IP6, "IP packet to carry" },
    { OPT_DATA, "--data", CL_DATA, "payload of its own" },
    { OPT_DATAFILE, "--data-file", CL_DATA, "payload of its own" },
    { OPT_HEX, "--hex", CL_DATA, "payload of its own" },
};

static const char *cmd_name(void) { return cli_cmd ? cli_cmd : "this command"; }

/* The layers a tunnel adds around the packet: the outer IP header, and
 * for VXLAN its UDP header and the inner Ethernet header. */
static unsigned tunnel_layers(const struct craft *c)
{
    if (!c->tunnel) return 0;
    unsigned l = c->outer_ver == 6 ? CL_IP6 : CL_IP;
    return c->tunnel == 2 ? l | CL_UDP | CL_ETH : l;
}

void craft_check_scope(const struct craft *c, unsigned layers)
{
    for (size_t i = 0; i < sizeof scopes / sizeof scopes[0]; i++) {
        const struct scope *s = &scopes[i];
        if ((c->given >> (s->opt - OPT_START) & 1) && !(layers & s->needs))
            cli_usage_error("%s does not apply to %s (it builds no %s)", s->name, cmd_name(), s->what);
    }
    unsigned can = layers | tunnel_layers(c);
    for (int k = 0; k < c->nsets; k++) {
        unsigned bit = field_layer_bit(c->sets[k].f);
        if (!bit || (bit & can)) continue;
        const char *name = field_name(c->sets[k].f);
        cli_usage_error("%s %s does not apply to %s (it builds no %.*s layer)",
                        c->sets[k].mode == PC_FCORRUPT ? "--corrupt" : "--set", name, cmd_name(),
                        (int)strcspn(name, "."), name);
    }
}

void craft_check_resolution(const struct craft *c, const char *opt, int64_t ns)
{
    if (c->format != PC_FORMAT_PCAP_US || ns <= 0 || ns % 1000 == 0) return;
    char v[40];
    if (!strcmp(opt, "--start")) cli_fmt_ts(ns, v);
    else snprintf(v, sizeof v, "%lldns", (long long)ns);
    cli_usage_error("%s: %s is finer than the microseconds of -F pcap, which would cut the timestamps "
                    "(use -F nsecpcap or -F pcapng)", opt, v);
}

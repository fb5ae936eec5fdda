/* pktcraft dhcp: a DHCP exchange (RFC 2131) between a client and a
 * server, as a UDP conversation (cli/conv.h): DISCOVER, OFFER, REQUEST,
 * ACK (or NAK), with the addresses each message really travels between
 * (0.0.0.0 and 255.255.255.255 before the client has an address, the
 * offered address or broadcast for the server's replies, as the client's
 * broadcast flag asks). */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "conv.h"
#include "pktcraft/wire/dhcp.h"

#define DHCP_MSG_CAP 2048
#define DHCP_MAX_STEPS 4
/* Step tags: the message type, and whether the client already has its
 * address (RENEWING: unicast from ciaddr to the server). */
#define TAG_TYPE(t) ((uint8_t)((t) & 0xFF))
#define TAG_UNICAST 0x100u

enum {
    O_CLIENT_MAC = CONV_OPT_END, O_SERVER_MAC, O_SERVER, O_OFFER, O_MASK, O_ROUTER, O_DNS, O_DOMAIN, O_HOSTNAME,
    O_LEASE, O_XID, O_NAK, O_BROADCAST, O_UNICAST, O_STEPS,
};

static const struct option longopts[] = {
    CRAFT_COMMON_LONGOPTS,
    CONV_LONGOPTS,
    { "client-mac", required_argument, 0, O_CLIENT_MAC }, { "server-mac", required_argument, 0, O_SERVER_MAC },
    { "server", required_argument, 0, O_SERVER }, { "offer", required_argument, 0, O_OFFER },
    { "mask", required_argument, 0, O_MASK }, { "router", required_argument, 0, O_ROUTER },
    { "dns", required_argument, 0, O_DNS }, { "domain", required_argument, 0, O_DOMAIN },
    { "hostname", required_argument, 0, O_HOSTNAME }, { "lease", required_argument, 0, O_LEASE },
    { "xid", required_argument, 0, O_XID }, { "nak", no_argument, 0, O_NAK },
    { "broadcast", no_argument, 0, O_BROADCAST }, { "unicast", no_argument, 0, O_UNICAST },
    { "steps", required_argument, 0, O_STEPS },
    { 0, 0, 0, 0 },
};

enum dhcp_steps { STEPS_DORA, STEPS_DO, STEPS_DISCOVER, STEPS_REBOOT, STEPS_RENEW };
static const char *const steps_names[] = { "dora", "do", "discover", "reboot", "renew" };

struct addr_list {
    uint8_t a[PC_DHCP_MAX_ADDRS][4];
    uint8_t n;
    bool given;
};

struct dhcp_args {
    struct conv_cli v;
    uint8_t cmac[6];
    uint8_t server[4], offer[4], mask[4];
    bool server_given, offer_given;
    struct addr_list routers, dns;
    const char *domain, *hostname;
    uint32_t lease;
    uint32_t xid;
    bool xid_given, nak, bcast;
    int steps;
    uint8_t cid[7];
    /* what the script says, for the truth file */
    uint8_t types[DHCP_MAX_STEPS];
    size_t ntypes;
    bool assigned;
};

static void help(void)
{
    printf("Usage: pktcraft dhcp -o FILE [OPTIONS]\n\n"
           "Write a DHCP exchange (RFC 2131/2132, IPv4): DISCOVER from 0.0.0.0:68 to\n"
           "255.255.255.255:67, the server's OFFER from SERVER:67 to the offered address\n"
           "(or to broadcast when the client sets the broadcast flag), the REQUEST\n"
           "(broadcast, with the requested address and the server identifier) and the\n"
           "ACK (or NAK), each padded to the 300-byte BOOTP minimum.\n\n"
           "DHCP:\n"
           "      --server ADDR         the server's address (default --dst, else 192.168.1.1)\n"
           "      --offer ADDR          the address offered and assigned (default --src, else\n"
           "                            .100 in the server's /24)\n"
           "      --client-mac MAC      the client's MAC: chaddr, client identifier (61) and\n"
           "                            the Ethernet source (default --smac, 02:00:00:00:00:01)\n"
           "      --server-mac MAC      the server's MAC (default --dmac, 02:00:00:00:00:02)\n"
           "      --mask ADDR           subnet mask, option 1 (default 255.255.255.0)\n"
           "      --router LIST         routers, option 3 (default: the server)\n"
           "      --dns LIST            DNS servers, option 6 (default: the server)\n"
           "      --domain NAME         domain name, option 15 (default: none)\n"
           "      --hostname NAME       the client's host name, option 12 (default: none)\n"
           "      --lease TIME          lease time, option 51: seconds, or with a unit s, m, h,\n"
           "                            d, or 'infinite' (default 1h); renewal (58) and\n"
           "                            rebinding (59) times are 1/2 and 7/8 of it\n"
           "      --xid N               transaction id (default: from the seed)\n"
           "      --nak                 the server answers the REQUEST with a NAK\n"
           "      --broadcast           the client sets the broadcast flag: replies go to\n"
           "                            255.255.255.255 and ff:ff:ff:ff:ff:ff\n"
           "      --unicast             the flag clear: replies go to the offered address and\n"
           "                            the client's MAC (the default)\n"
           "      --steps dora|do|discover|reboot|renew   which messages (default dora):\n"
           "                            do = DISCOVER and OFFER; reboot = REQUEST (INIT-REBOOT,\n"
           "                            broadcast, no server id) and ACK; renew = REQUEST\n"
           "                            unicast from the client's address (RENEWING) and ACK\n\n");
    conv_help(false);
    craft_help_common(CL_NET4 | CL_UDP);
    printf("\nExamples:\n"
           "  pktcraft dhcp --server 192.168.1.1 --offer 192.168.1.100 --start 1700000000 -o dora.pcap\n"
           "  pktcraft dhcp --client-mac 02:aa:bb:cc:dd:ee --dns 1.1.1.1,8.8.8.8 --domain lan --broadcast \\\n"
           "      --lease 12h --truth -o dhcp.pcap\n"
           "  pktcraft dhcp --nak --fault drop:2 --start 1700000000 -o nak.pcap\n");
}

static void parse_ip4(const char *opt, const char *s, uint8_t out[4])
{
    cli_parse_ipv4(opt, s, out);
}

/* A comma-separated list of IPv4 addresses. */
static void parse_list(const char *opt, const char *s, struct addr_list *l)
{
    char buf[4096];
    if (strlen(s) >= sizeof buf) cli_usage_error("%s: list too long", opt);
    memcpy(buf, s, strlen(s) + 1);
    l->n = 0;
    l->given = true;
    for (char *save = NULL, *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
        if (l->n == PC_DHCP_MAX_ADDRS) cli_usage_error("%s: at most %d addresses", opt, PC_DHCP_MAX_ADDRS);
        parse_ip4(opt, t, l->a[l->n++]);
    }
    if (!l->n) cli_usage_error("%s: needs at least one address", opt);
}

/* Seconds, with an optional unit s, m, h or d; or "infinite". */
static uint32_t parse_lease(const char *s)
{
    if (!strcmp(s, "infinite")) return UINT32_MAX;
    char *end;
    if (!isdigit((unsigned char)s[0])) goto bad;
    unsigned long long v = strtoull(s, &end, 10);
    unsigned long long mul = 1;
    if (!strcmp(end, "m")) mul = 60;
    else if (!strcmp(end, "h")) mul = 3600;
    else if (!strcmp(end, "d")) mul = 86400;
    else if (*end && strcmp(end, "s")) goto bad;
    if (v > (UINT32_MAX - 1ull) / mul) goto bad;
    return (uint32_t)(v * mul);
bad:
    cli_usage_error("--lease: '%s' is not a lease time (seconds, or a number with s, m, h or d, or 'infinite')", s);
}

static int parse_steps(const char *s)
{
    for (size_t i = 0; i < sizeof steps_names / sizeof steps_names[0]; i++)
        if (!strcmp(s, steps_names[i])) return (int)i;
    cli_usage_error("--steps: '%s' is not one of dora, do, discover, reboot, renew", s);
}

static bool own_opt(struct dhcp_args *a, int opt, const char *arg)
{
    switch (opt) {
    case O_CLIENT_MAC: cli_parse_mac("--client-mac", arg, a->v.c.smac); return true;
    case O_SERVER_MAC: cli_parse_mac("--server-mac", arg, a->v.c.dmac); a->v.c.dmac_given = true; return true;
    case O_SERVER: parse_ip4("--server", arg, a->server); a->server_given = true; return true;
    case O_OFFER: parse_ip4("--offer", arg, a->offer); a->offer_given = true; return true;
    case O_MASK: parse_ip4("--mask", arg, a->mask); return true;
    case O_ROUTER: parse_list("--router", arg, &a->routers); return true;
    case O_DNS: parse_list("--dns", arg, &a->dns); return true;
    case O_DOMAIN: a->domain = arg; return true;
    case O_HOSTNAME: a->hostname = arg; return true;
    case O_LEASE: a->lease = parse_lease(arg); return true;
    case O_XID: a->xid = (uint32_t)cli_parse_uint("--xid", arg, UINT32_MAX); a->xid_given = true; return true;
    case O_NAK: a->nak = true; return true;
    case O_BROADCAST: a->bcast = true; return true;
    case O_UNICAST: a->bcast = false; return true;
    case O_STEPS: a->steps = parse_steps(arg); return true;
    default: return false;
    }
}

static bool is_zero4(const uint8_t a[4]) { return !(a[0] | a[1] | a[2] | a[3]); }

/* The server and offered addresses from --server/--offer, else
 * --dst/--src, else defaults; the conversation's endpoints become them. */
static void settle_addresses(struct dhcp_args *a)
{
    struct craft *c = &a->v.c;
    if ((c->have_src || c->have_dst) && c->ipver == 6)
        cli_usage_error("DHCP here is IPv4 only: --src/--dst must be IPv4 addresses (DHCPv6 is not made)");
    if (!a->server_given) {
        if (c->have_dst) memcpy(a->server, c->dst, 4);
        else memcpy(a->server, (uint8_t[4]){ 192, 168, 1, 1 }, 4);
    }
    if (!a->offer_given) {
        if (c->have_src && !is_zero4(c->src)) {
            memcpy(a->offer, c->src, 4);
        } else {
            memcpy(a->offer, a->server, 3);
            a->offer[3] = a->server[3] == 100 ? 101 : 100;
        }
    }
    if (is_zero4(a->server) || a->server[0] >= 224) cli_usage_error("--server: must be a unicast address");
    if (is_zero4(a->offer) || a->offer[0] >= 224) cli_usage_error("--offer: must be a unicast address");
    if (!memcmp(a->server, a->offer, 4)) cli_usage_error("--offer: the offered address is the server's");
    memcpy(c->src, a->offer, 4);
    memcpy(c->dst, a->server, 4);
    c->have_src = c->have_dst = true;
    c->ipver = 4;
    if (!a->routers.given) memcpy(a->routers.a[0], a->server, 4), a->routers.n = 1;
    if (!a->dns.given) memcpy(a->dns.a[0], a->server, 4), a->dns.n = 1;
}

/* ------------------------------------------------------------ messages */

static const uint8_t client_prl[] = { 1, 3, 6, 12, 15, 28, 51, 58, 59 };

static void common_spec(const struct dhcp_args *a, struct pc_dhcp *s, uint8_t type)
{
    memset(s, 0, sizeof *s);
    s->xid = a->xid;
    s->flags = a->bcast ? PC_DHCP_FLAG_BROADCAST : 0;
    memcpy(s->chaddr, a->v.c.smac, 6);
    s->msgtype = type;
}

static void client_spec(const struct dhcp_args *a, struct pc_dhcp *s, uint8_t type, bool renewing)
{
    common_spec(a, s, type);
    s->client_id = a->cid;
    s->client_id_len = sizeof a->cid;
    s->hostname = a->hostname;
    s->max_size = 1500;
    s->prl = client_prl;
    s->nprl = sizeof client_prl;
    if (type != PC_DHCP_REQUEST) return;
    if (renewing) {
        memcpy(s->ciaddr, a->offer, 4); /* RENEWING: ciaddr, no 50 or 54 (RFC 2131 4.3.2) */
        return;
    }
    s->has_reqip = true;
    memcpy(s->reqip, a->offer, 4);
    if (a->steps == STEPS_DORA) { /* SELECTING names the server it chose */
        s->has_server_id = true;
        memcpy(s->server_id, a->server, 4);
    }
}

static void server_spec(const struct dhcp_args *a, struct pc_dhcp *s, uint8_t type, bool renewing)
{
    common_spec(a, s, type);
    s->has_server_id = true;
    memcpy(s->server_id, a->server, 4);
    if (type == PC_DHCP_NAK) {
        s->message = "requested address not available";
        return;
    }
    if (renewing) memcpy(s->ciaddr, a->offer, 4);
    memcpy(s->yiaddr, a->offer, 4);
    s->has_lease = true;
    s->lease = a->lease;
    if (a->lease != UINT32_MAX) { /* RFC 2131 4.4.5: 0.5 and 0.875 of the lease */
        s->has_t1 = s->has_t2 = true;
        s->t1 = a->lease / 2;
        s->t2 = (uint32_t)((uint64_t)a->lease * 7 / 8);
    }
    s->has_mask = true;
    memcpy(s->mask, a->mask, 4);
    memcpy(s->routers, a->routers.a, sizeof s->routers);
    s->nrouters = a->routers.n;
    memcpy(s->dns, a->dns.a, sizeof s->dns);
    s->ndns = a->dns.n;
    s->domain = a->domain;
}

static void add_msg(struct dhcp_args *a, int dir, uint8_t type, bool renewing)
{
    static struct pc_dhcp s;
    static uint8_t buf[DHCP_MSG_CAP];
    if (dir == PC_CONV_CLIENT) client_spec(a, &s, type, renewing);
    else server_spec(a, &s, type, renewing);
    int n = pc_dhcp_encode(&s, buf, sizeof buf);
    if (n < 0) cli_usage_error("cannot encode the DHCP %s: %s", pc_dhcp_msgtype_name(type), pc_strerror(n));
    conv_add_step(&a->v, dir, buf, (size_t)n, type | (renewing ? TAG_UNICAST : 0));
    a->types[a->ntypes++] = type;
    if (type == PC_DHCP_ACK) a->assigned = true;
}

static void add_script(struct dhcp_args *a)
{
    uint8_t answer = a->nak ? PC_DHCP_NAK : PC_DHCP_ACK;
    switch (a->steps) {
    case STEPS_DORA:
    case STEPS_DO:
    case STEPS_DISCOVER:
        add_msg(a, PC_CONV_CLIENT, PC_DHCP_DISCOVER, false);
        if (a->steps == STEPS_DISCOVER) break;
        add_msg(a, PC_CONV_SERVER, PC_DHCP_OFFER, false);
        if (a->steps == STEPS_DO) break;
        add_msg(a, PC_CONV_CLIENT, PC_DHCP_REQUEST, false);
        add_msg(a, PC_CONV_SERVER, answer, false);
        break;
    default:
        add_msg(a, PC_CONV_CLIENT, PC_DHCP_REQUEST, a->steps == STEPS_RENEW);
        add_msg(a, PC_CONV_SERVER, answer, a->steps == STEPS_RENEW);
        break;
    }
}

/* ----------------------------------------------------- per-packet addresses */

static const uint8_t bcast_ip[4] = { 255, 255, 255, 255 };
static const uint8_t bcast_mac[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };

/* Given as the packet's direction has them (client: offer -> server and
 * client MAC -> server MAC; server: the reverse), changed to where each
 * message really goes (RFC 2131 4.1 and 4.4). */
static void dhcp_addr(void *ctx, const struct pc_conv_pkt *p, int ipver, uint8_t src[16], uint8_t dst[16],
                      uint8_t smac[6], uint8_t dmac[6])
{
    const struct dhcp_args *a = ctx;
    (void)ipver;
    (void)smac;
    if (p->tag & TAG_UNICAST) {
        if (p->dir == PC_CONV_CLIENT || TAG_TYPE(p->tag) != PC_DHCP_NAK) return;
    } else if (p->dir == PC_CONV_CLIENT) {
        memset(src, 0, 4); /* no address yet */
        memcpy(dst, bcast_ip, 4);
        memcpy(dmac, bcast_mac, 6);
        return;
    }
    /* server: a NAK always broadcasts; otherwise the broadcast flag says */
    if (TAG_TYPE(p->tag) == PC_DHCP_NAK || a->bcast) {
        memcpy(dst, bcast_ip, 4);
        memcpy(dmac, bcast_mac, 6);
    }
}

/* ------------------------------------------------------------- truth */

static void fact_ip(struct pc_fmt *f, const char *key, const uint8_t a[4])
{
    char t[16];
    pc_fmt_ip4(a, t);
    pc_fmt_kstr(f, key, t);
}

static void fact_list(struct pc_fmt *f, const char *key, const struct addr_list *l)
{
    pc_fmt_karr_open(f, key);
    for (uint8_t i = 0; i < l->n; i++) fact_ip(f, NULL, l->a[i]);
    pc_fmt_karr_close(f);
}

static void dhcp_facts(void *ctx, struct pc_fmt *f)
{
    const struct dhcp_args *a = ctx;
    char t[24];
    pc_fmt_kobj_open(f, "dhcp");
    pc_fmt_kuint(f, "xid", a->xid);
    snprintf(t, sizeof t, "0x%08x", a->xid);
    pc_fmt_kstr(f, "xid_hex", t);
    pc_fmt_mac(a->v.c.smac, t);
    pc_fmt_kstr(f, "client_mac", t);
    fact_ip(f, "server", a->server);
    fact_ip(f, "offered", a->offer);
    if (a->assigned) fact_ip(f, "assigned", a->offer);
    else pc_fmt_knull(f, "assigned");
    pc_fmt_kuint(f, "lease", a->lease);
    fact_ip(f, "mask", a->mask);
    fact_list(f, "router", &a->routers);
    fact_list(f, "dns", &a->dns);
    if (a->domain) pc_fmt_kstr(f, "domain", a->domain);
    if (a->hostname) pc_fmt_kstr(f, "hostname", a->hostname);
    pc_fmt_kbool(f, "broadcast", a->bcast);
    pc_fmt_karr_open(f, "messages");
    for (size_t i = 0; i < a->ntypes; i++) pc_fmt_kstr(f, NULL, pc_dhcp_msgtype_name(a->types[i]));
    pc_fmt_karr_close(f);
    pc_fmt_kobj_close(f);
}

int cmd_dhcp(int argc, char **argv)
{
    static struct dhcp_args a;
    memset(&a, 0, sizeof a);
    conv_init(&a.v, 17, PC_DHCP_SERVER_PORT);
    a.v.layers = CL_NET4; /* DHCP is IPv4's */
    memcpy(a.mask, (uint8_t[4]){ 255, 255, 255, 0 }, 4);
    a.lease = 3600;
    int opt;
    while ((opt = getopt_long(argc, argv, CRAFT_COMMON_SHORTOPTS, longopts, NULL)) != -1) {
        if (opt == 'h') { help(); exit(EXIT_OK); }
        if (conv_opt(&a.v, opt, optarg, argv)) continue;
        if (!own_opt(&a, opt, optarg)) cli_bad_option(opt, argv);
    }
    if (optind < argc) cli_usage_error("unexpected argument '%s'", argv[optind]);
    if (!a.v.sport_given) { /* clients send from 68, not an ephemeral port */
        a.v.o.sport = PC_DHCP_CLIENT_PORT;
        a.v.sport_given = true;
    }
    settle_addresses(&a);
    if (!a.xid_given) {
        struct pc_rng r;
        pc_rng_seed(&r, a.v.c.seed ^ UINT64_C(0x44484350)); /* "DHCP": apart from the engine's own draws */
        a.xid = (uint32_t)pc_rng_next(&r);
    }
    pc_dhcp_client_id_mac(a.v.c.smac, a.cid);
    add_script(&a);
    a.v.addr = dhcp_addr;
    a.v.addr_ctx = &a;
    return conv_run(&a.v, dhcp_facts, &a);
}

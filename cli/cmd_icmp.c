/* pktcraft icmp / pktcraft icmp6: ICMP and ICMPv6 messages, errors with
 * their quoted datagram, and IPv6 neighbour discovery. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "craft.h"
#include "pktcraft/wire/icmp6.h"
#include "pktcraft/wire/ipv6.h"

struct name_num { const char *name; int num; };

static const struct name_num icmp_types[] = {
    { "echo-reply", 0 }, { "unreach", 3 }, { "source-quench", 4 }, { "redirect", 5 }, { "echo-request", 8 },
    { "echo", 8 }, { "router-advert", 9 }, { "router-solicit", 10 }, { "time-exceeded", 11 },
    { "param-problem", 12 }, { "timestamp", 13 }, { "timestamp-reply", 14 }, { "mask-request", 17 },
    { "mask-reply", 18 }, { NULL, 0 },
};
static const struct name_num unreach_codes[] = {
    { "net", 0 }, { "host", 1 }, { "proto", 2 }, { "port", 3 }, { "needfrag", 4 }, { "srcfail", 5 },
    { "net-unknown", 6 }, { "host-unknown", 7 }, { "isolated", 8 }, { "net-prohib", 9 }, { "host-prohib", 10 },
    { "tos-net", 11 }, { "tos-host", 12 }, { "filter-prohib", 13 }, { "host-precedence", 14 },
    { "precedence-cutoff", 15 }, { NULL, 0 },
};
static const struct name_num icmp6_types[] = {
    { "unreach", 1 }, { "too-big", 2 }, { "time-exceeded", 3 }, { "param-problem", 4 }, { "echo-request", 128 },
    { "echo", 128 }, { "echo-reply", 129 }, { "rs", 133 }, { "ra", 134 }, { "ns", 135 }, { "na", 136 },
    { "redirect", 137 }, { NULL, 0 },
};

static int lookup(const char *opt, const char *s, const struct name_num *t)
{
    if (isdigit((unsigned char)s[0])) return (int)cli_parse_uint(opt, s, 255);
    for (; t->name; t++)
        if (!strcmp(s, t->name)) return t->num;
    cli_usage_error("%s: unknown name '%s' (see --help)", opt, s);
}

struct icmp_args {
    struct craft c;
    bool v6;
    int type, code;
    bool type_given;
    long id, seq;                  /* -1: from the seed / the packet number */
    uint32_t mtu, pointer;
    uint8_t gw[4];
    uint8_t target[16], rdst[16];
    bool have_target, have_rdst, have_lladdr, have_prefix, have_mtu;
    uint8_t lladdr[6];
    uint8_t prefix[16], prefix_len;
    uint8_t flags;
    uint16_t router_lifetime;
    const char *quote_file;
    long quote_len;                /* -1: RFC 1812 / 1280-byte rule; 0: RFC 792 minimum */
    uint8_t quote_frame[4096];
    size_t quote_flen;
    int quote_link;
};

enum {
    O_TYPE = OPT_COMMON_END, O_CODE, O_ID, O_SEQ, O_MTU, O_GW, O_POINTER, O_TARGET, O_RDST, O_LLADDR, O_PREFIX,
    O_FLAGS, O_LIFETIME, O_QUOTE, O_QUOTELEN,
};

static const struct option longopts[] = {
    CRAFT_COMMON_LONGOPTS,
    { "type", required_argument, 0, O_TYPE }, { "code", required_argument, 0, O_CODE },
    { "id", required_argument, 0, O_ID }, { "seq", required_argument, 0, O_SEQ },
    { "mtu", required_argument, 0, O_MTU }, { "gateway", required_argument, 0, O_GW },
    { "pointer", required_argument, 0, O_POINTER }, { "target", required_argument, 0, O_TARGET },
    { "redirect-dst", required_argument, 0, O_RDST }, { "lladdr", required_argument, 0, O_LLADDR },
    { "prefix", required_argument, 0, O_PREFIX }, { "nd-flags", required_argument, 0, O_FLAGS },
    { "router-lifetime", required_argument, 0, O_LIFETIME }, { "quote", required_argument, 0, O_QUOTE },
    { "quote-len", required_argument, 0, O_QUOTELEN }, CRAFT_REPLY_LONGOPTS, { 0, 0, 0, 0 },
};

/* icmp builds ICMP over IPv4, icmp6 ICMPv6 over IPv6. */
/* An error made without --quote carries a synthesized UDP datagram, whose
 * IP and UDP headers take --set like any other layer. */
static unsigned icmp_layers(bool v6)
{
    return v6 ? CL_NET6 | CL_ICMP6 | CL_UDP | CL_DATA : CL_NET4 | CL_ICMP | CL_UDP | CL_DATA;
}

static void help(bool v6)
{
    if (!v6)
        printf("Usage: pktcraft icmp --src ADDR --dst ADDR -o FILE [OPTIONS]\n\n"
               "Craft ICMP messages over IPv4. Errors carry the start of the datagram\n"
               "that caused them: one from --quote FILE, or else a UDP datagram from --dst\n"
               "to --src (port 33434) as traceroute would have sent it.\n\n"
               "ICMP:\n"
               "      --type T          echo-request (default), echo-reply, unreach, source-quench,\n"
               "                        redirect, time-exceeded, param-problem, timestamp,\n"
               "                        timestamp-reply, mask-request, mask-reply, or 0-255\n"
               "      --code C          a number, or for unreach: net host proto port needfrag\n"
               "                        srcfail net-unknown host-unknown isolated net-prohib\n"
               "                        host-prohib tos-net tos-host filter-prohib\n"
               "                        host-precedence precedence-cutoff\n"
               "      --id N, --seq N   echo/timestamp identifier and sequence (default: id from\n"
               "                        the seed, seq the packet number from 1)\n"
               "      --mtu N           next-hop MTU of unreach needfrag\n"
               "      --gateway ADDR    redirect gateway\n"
               "      --pointer N       param-problem pointer\n");
    else
        printf("Usage: pktcraft icmp6 --src ADDR --dst ADDR -o FILE [OPTIONS]\n\n"
               "Craft ICMPv6 messages, neighbour discovery included. Errors carry the\n"
               "start of the packet that caused them (--quote FILE, or a UDP packet from\n"
               "--dst to --src), within the 1280-byte minimum MTU.\n\n"
               "ICMPv6:\n"
               "      --type T          echo-request (default), echo-reply, unreach, too-big,\n"
               "                        time-exceeded, param-problem, rs, ra, ns, na, redirect,\n"
               "                        or 0-255\n"
               "      --code C          code number\n"
               "      --id N, --seq N   echo identifier and sequence\n"
               "      --mtu N           too-big MTU; on ra, an MTU option\n"
               "      --pointer N       param-problem pointer\n"
               "      --target ADDR     ns/na/redirect target address\n"
               "      --redirect-dst ADDR   redirect destination address\n"
               "      --lladdr MAC      link-layer address option: source (rs, ns, ra) or\n"
               "                        target (na, redirect)\n"
               "      --prefix P/LEN    ra prefix information (on-link, autonomous,\n"
               "                        lifetimes 2592000/604800)\n"
               "      --nd-flags F      ra: M,O   na: R,S,O (comma separated)\n"
               "      --router-lifetime N   ra router lifetime (default 1800)\n");
    printf("      --quote FILE[:N]  the quoted datagram is packet N (default 1) of FILE\n"
           "      --quote-len N|rfc792|max   bytes quoted (default max: %s)\n\n",
           v6 ? "the 1280-byte rule" : "RFC 1812, within 576 bytes");
    craft_help_reply("the echo reply to an echo request,\n"
                     "                              with its id, seq and data");
    printf("\n");
    craft_help_common(icmp_layers(v6));
    if (!v6)
        printf("\nExamples:\n"
               "  pktcraft icmp --src 10.0.0.1 --dst 10.0.0.2 -c 4 --data 'abcdefgh' -o ping.pcap\n"
               "  pktcraft icmp --src 10.0.0.254 --dst 10.0.0.1 --type unreach --code needfrag --mtu 1400 -o pmtu.pcap\n"
               "  pktcraft icmp --reply-to ping.pcap:all --interleave -o ping-pong.pcap\n");
    else
        printf("\nExamples:\n"
               "  pktcraft icmp6 --src fe80::1 --dst ff02::1:ff00:2 --type ns --target fe80::2 \\\n"
               "      --lladdr 02:00:00:00:00:01 --dmac 33:33:ff:00:00:02 -o ns.pcap\n"
               "  pktcraft icmp6 --src fe80::1 --dst ff02::1 --type ra --prefix 2001:db8::/64 --mtu 1500 -o ra.pcap\n");
}

static void parse_prefix(struct icmp_args *a, const char *arg)
{
    char buf[80];
    snprintf(buf, sizeof buf, "%s", arg);
    char *slash = strchr(buf, '/');
    if (!slash) cli_usage_error("--prefix: '%s' is not PREFIX/LEN", arg);
    *slash = 0;
    cli_parse_ipv6("--prefix", buf, a->prefix);
    a->prefix_len = (uint8_t)cli_parse_uint("--prefix", slash + 1, 128);
    a->have_prefix = true;
}

static uint8_t parse_ndflags(const char *arg)
{
    uint8_t f = 0;
    for (const char *p = arg; *p; p++) {
        switch (toupper((unsigned char)*p)) {
        case 'M': f |= PC_ND_RA_MANAGED; break;
        case 'O': f |= PC_ND_RA_OTHER | PC_ND_NA_OVERRIDE; break; /* the type picks which */
        case 'R': f |= PC_ND_NA_ROUTER; break;
        case 'S': f |= PC_ND_NA_SOLICITED; break;
        case ',': break;
        default: cli_usage_error("--nd-flags: '%c' is not M, O, R or S", *p);
        }
    }
    return f;
}

/* Load packet N of a capture as the quoted datagram. */
static void load_quote(struct icmp_args *a)
{
    char path[4096];
    snprintf(path, sizeof path, "%s", a->quote_file);
    unsigned long want = 1;
    char *colon = strrchr(path, ':');
    if (colon && colon[1] && strspn(colon + 1, "0123456789") == strlen(colon + 1)) {
        want = strtoul(colon + 1, NULL, 10);
        *colon = 0;
        if (want == 0) cli_usage_error("--quote: packets are numbered from 1 ('%s')", a->quote_file);
    }
    struct pc_err err;
    struct pc_reader *r = pc_reader_open(path, &err);
    if (!r) cli_runtime_error("--quote: %s", err.msg);
    struct pc_pkthdr h = { 0 };
    const uint8_t *data = NULL;
    for (unsigned long n = 0; n < want; n++) {
        int rc = pc_reader_next(r, &h, &data);
        if (rc < 0) cli_runtime_error("--quote: %s", pc_reader_err(r)->msg);
        if (rc == 0) cli_runtime_error("--quote: %s has no packet %lu", path, want);
    }
    a->quote_flen = h.caplen < sizeof a->quote_frame ? h.caplen : sizeof a->quote_frame;
    memcpy(a->quote_frame, data, a->quote_flen);
    a->quote_link = h.linktype;
    pc_reader_close(r);
}

static void parse_opt(struct icmp_args *a, int opt, const char *arg)
{
    switch (opt) {
    case O_TYPE: a->type = lookup("--type", arg, a->v6 ? icmp6_types : icmp_types); a->type_given = true; break;
    case O_CODE:
        a->code = (!a->v6 && a->type == 3 && !isdigit((unsigned char)arg[0])) ? lookup("--code", arg, unreach_codes)
                                                                                : (int)cli_parse_uint("--code", arg, 255);
        break;
    case O_ID: a->id = (long)cli_parse_uint("--id", arg, 65535); break;
    case O_SEQ: a->seq = (long)cli_parse_uint("--seq", arg, 65535); break;
    case O_MTU: a->mtu = (uint32_t)cli_parse_uint("--mtu", arg, UINT32_MAX); a->have_mtu = true; break;
    case O_GW: cli_parse_ipv4("--gateway", arg, a->gw); break;
    case O_POINTER: a->pointer = (uint32_t)cli_parse_uint("--pointer", arg, UINT32_MAX); break;
    case O_TARGET: cli_parse_ipv6("--target", arg, a->target); a->have_target = true; break;
    case O_RDST: cli_parse_ipv6("--redirect-dst", arg, a->rdst); a->have_rdst = true; break;
    case O_LLADDR: cli_parse_mac("--lladdr", arg, a->lladdr); a->have_lladdr = true; break;
    case O_PREFIX: parse_prefix(a, arg); break;
    case O_FLAGS: a->flags = parse_ndflags(arg); break;
    case O_LIFETIME: a->router_lifetime = (uint16_t)cli_parse_uint("--router-lifetime", arg, 65535); break;
    case O_QUOTE: a->quote_file = arg; break;
    case O_QUOTELEN:
        if (!strcmp(arg, "rfc792")) a->quote_len = 0;
        else if (!strcmp(arg, "max")) a->quote_len = -1;
        else a->quote_len = (long)cli_parse_uint("--quote-len", arg, 65535);
        break;
    default: cli_usage_error("bad option");
    }
}

static void parse_args(struct icmp_args *a, bool v6, int argc, char **argv)
{
    memset(a, 0, sizeof *a);
    craft_init(&a->c);
    a->v6 = v6;
    a->type = v6 ? PC_ICMP6_ECHO_REQUEST : PC_ICMP_ECHO;
    a->id = a->seq = a->quote_len = -1;
    a->router_lifetime = 1800;
    a->c.reply_want = v6 ? REPLY_ECHO6 : REPLY_ECHO4;
    int opt;
    while ((opt = getopt_long(argc, argv, CRAFT_COMMON_SHORTOPTS, longopts, NULL)) != -1) {
        if (opt == 'h') { help(v6); exit(EXIT_OK); }
        if (!craft_opt(&a->c, opt, optarg, argv)) parse_opt(a, opt, optarg);
    }
    if (optind < argc) cli_usage_error("unexpected argument '%s'", argv[optind]);
    craft_finish_args(&a->c, icmp_layers(v6));
    if (v6 && a->c.ipver != 6) cli_usage_error("icmp6 needs IPv6 --src/--dst (use icmp for IPv4)");
    if (!v6 && a->c.ipver != 4) cli_usage_error("icmp needs IPv4 --src/--dst (use icmp6 for IPv6)");
    if (a->quote_file) load_quote(a);
    if (craft_req(&a->c) && !a->type_given) a->type = v6 ? PC_ICMP6_ECHO_REPLY : PC_ICMP_ECHOREPLY;
}

static bool is_error(const struct icmp_args *a)
{
    return a->v6 ? (a->type >= 1 && a->type <= 4) : pc_icmp_is_error((uint8_t)a->type);
}

/* The datagram an error quotes when no --quote was given: a UDP probe
 * from the error's destination, as traceroute sends them.  Its headers
 * are layers of the packet for --set/--corrupt (ip[1], udp[0]); a datagram
 * loaded by --quote is copied as it is. */
static size_t synth_quote(struct icmp_args *a, uint8_t *buf, size_t cap, uint16_t sport)
{
    struct pc_pkt q;
    pc_pkt_init(&q, buf, cap);
    if (a->v6) {
        struct pc_ipv6 ip = { .hlim = 1 };
        memcpy(ip.src, a->c.dst, 16);
        memcpy(ip.dst, a->c.src, 16);
        craft_apply(&a->c, "ip6", &ip);
        pc_push_ipv6(&q, &ip);
    } else {
        struct pc_ipv4 ip = { .ttl = 1, .id = sport };
        memcpy(ip.src, a->c.dst, 4);
        memcpy(ip.dst, a->c.src, 4);
        craft_apply(&a->c, "ip", &ip);
        pc_push_ipv4(&q, &ip);
    }
    struct pc_udp u = { .sport = sport, .dport = 33434 };
    craft_apply(&a->c, "udp", &u);
    pc_push_udp(&q, &u);
    static const uint8_t probe[32];
    pc_push_payload(&q, probe, sizeof probe);
    int n = pc_pkt_finalize(&q);
    return n > 0 ? (size_t)n : 0;
}

static void push_quote(struct icmp_args *a, struct pc_pkt *pk, uint16_t sport)
{
    size_t max = a->quote_len < 0 ? (a->v6 ? PC_ICMP6_QUOTE_MAX : PC_ICMP_QUOTE_RFC1812) : (size_t)a->quote_len;
    int rc;
    if (a->quote_file) {
        rc = a->v6 ? pc_push_icmp6_quote_frame(pk, a->quote_frame, a->quote_flen, a->quote_link, max)
                   : pc_push_icmp_quote_frame(pk, a->quote_frame, a->quote_flen, a->quote_link, max);
        if (rc < 0) cli_runtime_error("--quote: %s has no IPv%d datagram to quote", a->quote_file, a->v6 ? 6 : 4);
        return;
    }
    uint8_t q[128];
    size_t n = synth_quote(a, q, sizeof q, sport);
    rc = a->v6 ? pc_push_icmp6_quote(pk, q, n, max) : pc_push_icmp_quote(pk, q, n, max);
    if (rc < 0) cli_runtime_error("cannot quote the datagram: %s", pc_strerror(rc));
}

static size_t nd_options(const struct icmp_args *a, struct pc_nd_opt *o)
{
    size_t n = 0;
    if (a->have_lladdr) {
        o[n] = (struct pc_nd_opt){ .type = (a->type == 136 || a->type == 137) ? PC_ND_OPT_TGT_LLADDR : PC_ND_OPT_SRC_LLADDR };
        memcpy(o[n++].lladdr, a->lladdr, 6);
    }
    if (a->type == 134 && a->have_mtu) o[n++] = (struct pc_nd_opt){ .type = PC_ND_OPT_MTU, .mtu = a->mtu };
    if (a->have_prefix) {
        o[n] = (struct pc_nd_opt){ .type = PC_ND_OPT_PREFIX, .prefix_len = a->prefix_len,
                                   .prefix_flags = PC_ND_PREFIX_ONLINK | PC_ND_PREFIX_AUTO,
                                   .valid_lifetime = 2592000, .preferred_lifetime = 604800 };
        memcpy(o[n++].prefix, a->prefix, 16);
    }
    return n;
}

static void push_icmp6(struct icmp_args *a, struct pc_pkt *pk, uint16_t id, uint16_t seq)
{
    struct pc_nd_opt opts[3];
    uint8_t f = a->flags;
    if (a->type == 134) f &= PC_ND_RA_MANAGED | PC_ND_RA_OTHER;
    if (a->type == 136) f &= PC_ND_NA_ROUTER | PC_ND_NA_SOLICITED | PC_ND_NA_OVERRIDE;
    struct pc_icmp6 m = { .type = (uint8_t)a->type, .code = (uint8_t)a->code, .id = id, .seq = seq,
                          .mtu = a->mtu, .pointer = a->pointer, .cur_hop_limit = 64, .flags = f,
                          .router_lifetime = a->type == 134 ? a->router_lifetime : 0 };
    memcpy(m.target, a->have_target ? a->target : a->c.dst, 16);
    memcpy(m.dst, a->have_rdst ? a->rdst : a->c.dst, 16);
    if (a->type >= 133 && a->type <= 137) {
        m.opts = opts;
        m.nopts = nd_options(a, opts);
    }
    craft_apply(&a->c, "icmp6", &m);
    pc_push_icmp6(pk, &m);
}

static int run(bool v6, int argc, char **argv)
{
    static struct icmp_args a;
    parse_args(&a, v6, argc, argv);
    uint16_t base_id = (uint16_t)pc_rng_next(&a.c.rng);
    if (is_error(&a) && !a.quote_file) { /* the quoted probe's headers are layers too */
        craft_expect(&a.c, v6 ? "ip6" : "ip");
        craft_expect(&a.c, "udp");
    }
    craft_open(&a.c, PC_LINK_ETHERNET);
    static uint8_t frame[CRAFT_FRAME_CAP];
    for (uint64_t i = 0; i < a.c.count; i++) {
        struct pc_pkt pk;
        craft_begin(&a.c, &pk, frame, sizeof frame, true);
        uint16_t r_port = (uint16_t)(33434 + pc_rng_below(&a.c.rng, 1000));
        const struct craft_req *q = craft_req(&a.c); /* --reply-to: the echo's id and seq */
        uint16_t id = a.id >= 0 ? (uint16_t)a.id : q ? q->icmp_id : base_id;
        uint16_t seq = (uint16_t)(a.seq >= 0 ? (uint64_t)a.seq + i : q ? q->icmp_seq : i + 1);
        if (v6) {
            push_icmp6(&a, &pk, id, seq);
        } else {
            struct pc_icmp m = { .type = (uint8_t)a.type, .code = (uint8_t)a.code, .id = id, .seq = seq,
                                 .mtu = (uint16_t)a.mtu, .pointer = (uint8_t)a.pointer };
            memcpy(m.gw, a.gw, 4);
            craft_apply(&a.c, "icmp", &m);
            pc_push_icmp(&pk, &m);
        }
        if (is_error(&a)) push_quote(&a, &pk, r_port);
        craft_payload(&a.c, &pk);
        craft_finish(&a.c, &pk, i);
    }
    craft_close(&a.c);
    return EXIT_OK;
}

int cmd_icmp(int argc, char **argv) { return run(false, argc, argv); }
int cmd_icmp6(int argc, char **argv) { return run(true, argc, argv); }

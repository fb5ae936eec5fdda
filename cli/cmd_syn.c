/* pktcraft syn: TCP SYN packets over IPv4 and Ethernet. */
#include <stdlib.h>
#include <string.h>

#include "craft.h"

#define MAX_OPTS 16

struct syn_args {
    struct craft_common c;
    uint8_t src[4], dst[4];
    bool have_src, have_dst;
    long sport;        /* -1: from the seed */
    uint16_t dport;
    uint8_t ttl, tos;
    bool df;
    uint16_t win;
    long long seq, ipid;  /* -1: from the seed */
    struct pc_tcpopt opts[MAX_OPTS];
    size_t nopts;
    uint8_t rawopt[MAX_OPTS][40];
};

enum {
    O_SRC = OPT_COMMON_END, O_DST, O_SPORT, O_DPORT, O_TTL, O_TOS, O_DF, O_WIN, O_SEQ, O_IPID,
    O_MSS, O_WSCALE, O_SACKOK, O_TS, O_SACK, O_NOP, O_EOL, O_TCPOPT,
};

static const struct option longopts[] = {
    CRAFT_COMMON_LONGOPTS,
    { "src", required_argument, 0, O_SRC }, { "dst", required_argument, 0, O_DST },
    { "sport", required_argument, 0, O_SPORT }, { "dport", required_argument, 0, O_DPORT },
    { "ttl", required_argument, 0, O_TTL }, { "tos", required_argument, 0, O_TOS },
    { "df", no_argument, 0, O_DF }, { "win", required_argument, 0, O_WIN },
    { "seq", required_argument, 0, O_SEQ }, { "ip-id", required_argument, 0, O_IPID },
    { "mss", required_argument, 0, O_MSS }, { "wscale", required_argument, 0, O_WSCALE },
    { "sackok", no_argument, 0, O_SACKOK }, { "ts", required_argument, 0, O_TS },
    { "sack", required_argument, 0, O_SACK }, { "nop", no_argument, 0, O_NOP },
    { "eol", no_argument, 0, O_EOL }, { "tcp-opt", required_argument, 0, O_TCPOPT },
    { 0, 0, 0, 0 },
};

static void help(void)
{
    printf("Usage: pktcraft syn --src ADDR --dst ADDR -o FILE [OPTIONS]\n\n"
           "Craft TCP SYN segments (Ethernet II / IPv4 / TCP) into a pcap file. Lengths,\n"
           "protocol fields and checksums are computed.\n\n"
           "Addresses and ports:\n"
           "      --src ADDR        source IPv4 address (required)\n"
           "      --dst ADDR        destination IPv4 address (required)\n"
           "      --sport PORT      source port (default: from the seed, 1024-65535); with\n"
           "                        --count each packet takes the next port\n"
           "      --dport PORT      destination port (default 80)\n"
           "IP:\n"
           "      --ttl N           time to live (default 64)\n"
           "      --tos N           type of service byte (default 0)\n"
           "      --ip-id N         IP identification (default: from the seed)\n"
           "      --df              set Don't Fragment\n"
           "TCP:\n"
           "      --seq N           initial sequence number (default: from the seed, per packet)\n"
           "      --win N           window (default 64240)\n"
           "TCP options, written in the order given and padded with EOL to 4 bytes:\n"
           "      --mss N           maximum segment size\n"
           "      --wscale N        window scale shift (0-14 are meaningful; any byte accepted)\n"
           "      --sackok          SACK permitted\n"
           "      --ts VAL[:ECR]    timestamps\n"
           "      --sack L-R[,L-R]  SACK blocks (1 to 4)\n"
           "      --nop, --eol      a single NOP or EOL byte\n"
           "      --tcp-opt HEX     raw option bytes, e.g. 1e0400ff\n"
           "Output and timing:\n" CRAFT_COMMON_HELP
           "\nExamples:\n"
           "  pktcraft syn --src 192.168.1.1 --dst 192.168.1.2 -o out.pcap\n"
           "  pktcraft syn --src 10.0.0.1 --dst 10.0.0.2 --dport 443 --mss 1460 --sackok \\\n"
           "      --ts 1:0 --nop --wscale 7 -c 100 --gap 10us --start 1700000000 --seed 7 -o syns.pcap\n");
}

static struct pc_tcpopt *new_opt(struct syn_args *a, int16_t kind)
{
    if (a->nopts == MAX_OPTS) cli_usage_error("too many TCP options (at most %d)", MAX_OPTS);
    struct pc_tcpopt *o = &a->opts[a->nopts++];
    memset(o, 0, sizeof *o);
    o->kind = kind;
    return o;
}

static void parse_ts(struct syn_args *a, const char *arg)
{
    char buf[64];
    snprintf(buf, sizeof buf, "%s", arg);
    char *colon = strchr(buf, ':');
    if (colon) *colon = 0;
    struct pc_tcpopt *o = new_opt(a, PC_TCPOPT_TS);
    o->ts_val = (uint32_t)cli_parse_uint("--ts", buf, UINT32_MAX);
    o->ts_ecr = colon ? (uint32_t)cli_parse_uint("--ts", colon + 1, UINT32_MAX) : 0;
}

static void parse_sack(struct syn_args *a, const char *arg)
{
    struct pc_tcpopt *o = new_opt(a, PC_TCPOPT_SACK);
    char buf[256];
    snprintf(buf, sizeof buf, "%s", arg);
    for (char *save = NULL, *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        char *dash = strchr(tok, '-');
        if (!dash || o->nsack == 4) cli_usage_error("--sack: '%s' is not 1 to 4 blocks like 1000-2000,3000-4000", arg);
        *dash = 0;
        o->sack[o->nsack][0] = (uint32_t)cli_parse_uint("--sack", tok, UINT32_MAX);
        o->sack[o->nsack][1] = (uint32_t)cli_parse_uint("--sack", dash + 1, UINT32_MAX);
        o->nsack++;
    }
    if (!o->nsack) cli_usage_error("--sack: needs at least one block like 1000-2000");
}

static void parse_rawopt(struct syn_args *a, const char *arg)
{
    size_t n = strlen(arg);
    if (n == 0 || n % 2 || n / 2 > 40) cli_usage_error("--tcp-opt: '%s' is not 1 to 40 bytes of hex", arg);
    struct pc_tcpopt *o = new_opt(a, PC_TCPOPT_RAW);
    uint8_t *dst = a->rawopt[a->nopts - 1];
    for (size_t i = 0; i < n / 2; i++) {
        char hex[3] = { arg[2 * i], arg[2 * i + 1], 0 }, *end;
        dst[i] = (uint8_t)strtoul(hex, &end, 16);
        if (*end) cli_usage_error("--tcp-opt: '%s' is not hex", arg);
    }
    o->raw.data = dst;
    o->raw.len = (uint8_t)(n / 2);
}

static void parse_opt(struct syn_args *a, int opt, const char *arg)
{
    switch (opt) {
    case O_SRC: cli_parse_ipv4("--src", arg, a->src); a->have_src = true; break;
    case O_DST: cli_parse_ipv4("--dst", arg, a->dst); a->have_dst = true; break;
    case O_SPORT: a->sport = (long)cli_parse_uint("--sport", arg, 65535); break;
    case O_DPORT: a->dport = (uint16_t)cli_parse_uint("--dport", arg, 65535); break;
    case O_TTL: a->ttl = (uint8_t)cli_parse_uint("--ttl", arg, 255); break;
    case O_TOS: a->tos = (uint8_t)cli_parse_uint("--tos", arg, 255); break;
    case O_DF: a->df = true; break;
    case O_WIN: a->win = (uint16_t)cli_parse_uint("--win", arg, 65535); break;
    case O_SEQ: a->seq = (long long)cli_parse_uint("--seq", arg, UINT32_MAX); break;
    case O_IPID: a->ipid = (long long)cli_parse_uint("--ip-id", arg, 65535); break;
    case O_MSS: new_opt(a, PC_TCPOPT_MSS)->mss = (uint16_t)cli_parse_uint("--mss", arg, 65535); break;
    case O_WSCALE: new_opt(a, PC_TCPOPT_WSCALE)->wscale = (uint8_t)cli_parse_uint("--wscale", arg, 255); break;
    case O_SACKOK: new_opt(a, PC_TCPOPT_SACKOK); break;
    case O_TS: parse_ts(a, arg); break;
    case O_SACK: parse_sack(a, arg); break;
    case O_NOP: new_opt(a, PC_TCPOPT_NOP); break;
    case O_EOL: new_opt(a, PC_TCPOPT_EOL); break;
    case O_TCPOPT: parse_rawopt(a, arg); break;
    default: cli_usage_error("bad option");
    }
}

static void parse_args(struct syn_args *a, int argc, char **argv)
{
    memset(a, 0, sizeof *a);
    craft_common_init(&a->c);
    a->sport = -1;
    a->dport = 80;
    a->ttl = 64;
    a->win = 64240;
    a->seq = a->ipid = -1;
    int opt;
    while ((opt = getopt_long(argc, argv, CRAFT_COMMON_SHORTOPTS, longopts, NULL)) != -1) {
        if (opt == 'h') { help(); exit(EXIT_OK); }
        if (!craft_common_opt(&a->c, opt, optarg, argv)) parse_opt(a, opt, optarg);
    }
    if (optind < argc) cli_usage_error("unexpected argument '%s'", argv[optind]);
    if (!a->have_src) cli_usage_error("--src is required");
    if (!a->have_dst) cli_usage_error("--dst is required");
    uint8_t optbuf[PC_TCP_MAXOPT];
    if (pc_tcp_opts_encode(a->opts, a->nopts, optbuf, sizeof optbuf) < 0)
        cli_usage_error("TCP options take more than %d bytes", PC_TCP_MAXOPT);
    craft_common_finish(&a->c);
}

int cmd_syn(int argc, char **argv)
{
    struct syn_args a;
    parse_args(&a, argc, argv);
    /* Draw the seeded values in a fixed order so output never depends on
     * which options were given for other fields. */
    uint32_t base_port = 1024 + (uint32_t)pc_rng_below(&a.c.rng, 65536 - 1024);
    if (a.sport >= 0) base_port = (uint32_t)a.sport;
    craft_open(&a.c, PC_LINK_ETHERNET);
    uint8_t frame[128];
    for (uint64_t i = 0; i < a.c.count; i++) {
        uint32_t r_seq = (uint32_t)pc_rng_next(&a.c.rng);
        uint16_t r_id = (uint16_t)pc_rng_next(&a.c.rng);
        /* next port, wrapping within 1024..65535 (or 0..65535 if the user started below 1024) */
        uint32_t lo = base_port < 1024 ? 0 : 1024;
        uint16_t sport = (uint16_t)(lo + (base_port - lo + i) % (65536 - lo));
        struct pc_pkt pk;
        pc_pkt_init(&pk, frame, sizeof frame);
        struct pc_eth eth = { 0 };
        memcpy(eth.dst, a.c.dmac, 6);
        memcpy(eth.src, a.c.smac, 6);
        pc_push_eth(&pk, &eth);
        struct pc_ipv4 ip = { .tos = a.tos, .ttl = a.ttl, .flags = a.df ? PC_IP_DF : 0,
                              .id = a.ipid >= 0 ? (uint16_t)a.ipid : r_id };
        memcpy(ip.src, a.src, 4);
        memcpy(ip.dst, a.dst, 4);
        pc_push_ipv4(&pk, &ip);
        pc_push_tcp(&pk, &(struct pc_tcp){ .sport = sport, .dport = a.dport, .flags = PC_TCP_SYN,
                                            .seq = a.seq >= 0 ? (uint32_t)a.seq : r_seq, .win = a.win,
                                            .opts = a.opts, .nopts = a.nopts });
        int len = pc_pkt_finalize(&pk);
        if (len < 0) { pc_writer_abort(a.c.w); cli_runtime_error("cannot build packet %llu: %s", (unsigned long long)i + 1, pc_strerror(len)); }
        craft_write(&a.c, i, frame, (size_t)len);
    }
    craft_close(&a.c);
    return EXIT_OK;
}

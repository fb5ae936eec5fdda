/* pktcraft syn / pktcraft tcp: TCP segments over IPv4 or IPv6. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "craft.h"

#define TCP_LAYERS (CL_NET | CL_TCP | CL_DATA)

#define MAX_OPTS 16

struct tcp_args {
    struct craft c;
    bool syn;           /* the syn shorthand: flags S, no payload options */
    long sport;         /* -1: from the seed */
    uint16_t dport;
    uint16_t flags;
    long long seq, ack; /* -1: seq from the seed; ack 0 */
    uint16_t win, urp;
    bool flags_given, seq_given, ack_given;
    struct vary_set open; /* --open: with --reply-to, SYNs to these ports get SYN/ACK */
    struct pc_tcpopt opts[MAX_OPTS];
    size_t nopts;
    uint8_t rawopt[MAX_OPTS][40];
};

enum {
    O_SPORT = OPT_COMMON_END, O_DPORT, O_WIN, O_SEQ, O_ACK, O_URP, O_FLAGS,
    O_MSS, O_WSCALE, O_SACKOK, O_TS, O_SACK, O_NOP, O_EOL, O_TCPOPT, O_OPEN,
};

static const struct option longopts[] = {
    CRAFT_COMMON_LONGOPTS,
    { "sport", required_argument, 0, O_SPORT }, { "dport", required_argument, 0, O_DPORT },
    { "win", required_argument, 0, O_WIN }, { "seq", required_argument, 0, O_SEQ },
    { "ack", required_argument, 0, O_ACK }, { "urp", required_argument, 0, O_URP },
    { "flags", required_argument, 0, O_FLAGS },
    { "mss", required_argument, 0, O_MSS }, { "wscale", required_argument, 0, O_WSCALE },
    { "sackok", no_argument, 0, O_SACKOK }, { "ts", required_argument, 0, O_TS },
    { "sack", required_argument, 0, O_SACK }, { "nop", no_argument, 0, O_NOP },
    { "eol", no_argument, 0, O_EOL }, { "tcp-opt", required_argument, 0, O_TCPOPT },
    CRAFT_REPLY_LONGOPTS, { "open", required_argument, 0, O_OPEN },
    { 0, 0, 0, 0 },
};

static void help(bool syn)
{
    if (syn)
        printf("Usage: pktcraft syn --src ADDR --dst ADDR -o FILE [OPTIONS]\n\n"
               "Craft TCP SYN segments: the shorthand for 'pktcraft tcp --flags S'.\n\n");
    else
        printf("Usage: pktcraft tcp --src ADDR --dst ADDR -o FILE [OPTIONS]\n\n"
               "Craft TCP segments with any flags, options and payload.\n\n");
    printf("TCP:\n"
           "      --sport PORT      source port (default: from the seed, 1024-65535); with\n"
           "                        --count each packet takes the next port\n"
           "      --dport PORT      destination port (default 80)\n"
           "                        both also per packet: A-B, a list 22,80,8000-8100, random\n");
    if (!syn)
        printf("      --flags FLAGS     letters F S R P A U E W N (tcpdump's, A for ACK, W for\n"
               "                        CWR, N for NS) or a number; default A\n"
               "      --ack N           acknowledgment number (default 0)\n"
               "      --urp N           urgent pointer (default 0)\n");
    printf("      --seq N           sequence number (default: from the seed, per packet)\n"
           "      --win N           window (default 64240)\n"
           "TCP options, written in the order given and padded with EOL to 4 bytes:\n"
           "      --mss N, --wscale N, --sackok, --ts VAL[:ECR], --sack L-R[,L-R],\n"
           "      --nop, --eol, --tcp-opt HEX (raw option bytes, e.g. 1e0400ff)\n");
    if (!syn) {
        craft_help_reply("ack = its seq + length,\n"
                         "                              seq = its ack; RST/ACK to a SYN, else ACK\n"
                         "      --open PORTS            with --reply-to: SYN/ACK to the SYNs to PORTS");
        printf("\n");
    }
    craft_help_common(TCP_LAYERS);
    if (syn)
        printf("\nExamples:\n"
               "  pktcraft syn --src 192.168.1.1 --dst 192.168.1.2 -o out.pcap\n"
               "  pktcraft syn --src 10.0.0.1 --dst 10.0.0.2 --dport 443 --mss 1460 --sackok \\\n"
               "      --ts 1:0 --nop --wscale 7 -c 100 --gap 10us --start 1700000000 -o syns.pcap\n"
               "  pktcraft syn --src 10.0.0.1 --dst 10.0.0.2 --dport 1-100 -o scan.pcap\n"
               "  pktcraft syn --src random:10.0.0.0/8 --dst 10.0.0.2 -c 1000 --step random -o flood.pcap\n");
    else
        printf("\nExamples:\n"
               "  pktcraft tcp --src 10.0.0.1 --dst 10.0.0.2 --flags PA --seq 1000 --ack 1 \\\n"
               "      --data 'GET / HTTP/1.1\\r\\nHost: x\\r\\n\\r\\n' -o get.pcap\n"
               "  pktcraft tcp --src 2001:db8::1 --dst 2001:db8::2 --flags S --corrupt tcp.csum -o bad.pcap\n"
               "  pktcraft tcp --reply-to scan.pcap:all --open 22,80 --interleave -o scan-replies.pcap\n");
}

static struct pc_tcpopt *new_opt(struct tcp_args *a, int16_t kind)
{
    if (a->nopts == MAX_OPTS) cli_usage_error("too many TCP options (at most %d)", MAX_OPTS);
    struct pc_tcpopt *o = &a->opts[a->nopts++];
    memset(o, 0, sizeof *o);
    o->kind = kind;
    return o;
}

static void parse_ts(struct tcp_args *a, const char *arg)
{
    char buf[64];
    snprintf(buf, sizeof buf, "%s", arg);
    char *colon = strchr(buf, ':');
    if (colon) *colon = 0;
    struct pc_tcpopt *o = new_opt(a, PC_TCPOPT_TS);
    o->ts_val = (uint32_t)cli_parse_uint("--ts", buf, UINT32_MAX);
    o->ts_ecr = colon ? (uint32_t)cli_parse_uint("--ts", colon + 1, UINT32_MAX) : 0;
}

static void parse_sack(struct tcp_args *a, const char *arg)
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

static void parse_rawopt(struct tcp_args *a, const char *arg)
{
    struct pc_tcpopt *o = new_opt(a, PC_TCPOPT_RAW);
    uint8_t *dst = a->rawopt[a->nopts - 1];
    o->raw.len = (uint8_t)cli_parse_hex("--tcp-opt", arg, dst, 40);
    o->raw.data = dst;
    if (!o->raw.len) cli_usage_error("--tcp-opt: needs 1 to 40 bytes of hex");
}

/* Letters as tcpdump prints them (A for ACK), or a number. */
static uint16_t parse_flags(const char *arg)
{
    if (isdigit((unsigned char)arg[0])) return (uint16_t)cli_parse_uint("--flags", arg, 0x1FF);
    static const char letters[] = "FSRPAUEWN";
    uint16_t f = 0;
    for (const char *p = arg; *p; p++) {
        const char *at = strchr(letters, toupper((unsigned char)*p));
        if (!at || *p == '.') {
            if (*p == '.') { f |= PC_TCP_ACK; continue; }
            cli_usage_error("--flags: '%c' is not one of F S R P A U E W N", *p);
        }
        f |= (uint16_t)(1u << (at - letters));
    }
    return f;
}

static void parse_opt(struct tcp_args *a, int opt, const char *arg)
{
    switch (opt) {
    case O_SPORT: a->sport = craft_port_opt(&a->c, VF_SPORT, "--sport", arg); break;
    case O_DPORT: a->dport = craft_port_opt(&a->c, VF_DPORT, "--dport", arg); break;
    case O_WIN: a->win = (uint16_t)cli_parse_uint("--win", arg, 65535); break;
    case O_SEQ: a->seq = (long long)cli_parse_uint("--seq", arg, UINT32_MAX); a->seq_given = true; break;
    case O_ACK: a->ack = (long long)cli_parse_uint("--ack", arg, UINT32_MAX); a->ack_given = true; break;
    case O_URP: a->urp = (uint16_t)cli_parse_uint("--urp", arg, 65535); break;
    case O_FLAGS: a->flags = parse_flags(arg); a->flags_given = true; break;
    case O_OPEN: {
        char err[1024];
        if (vary_parse(&a->open, VARY_PORT, "--open", arg, err, sizeof err) < 0) cli_usage_error("%s", err);
        if (a->open.random) cli_usage_error("--open: give the open ports, not random");
        break;
    }
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

static void parse_args(struct tcp_args *a, bool syn, int argc, char **argv)
{
    memset(a, 0, sizeof *a);
    craft_init(&a->c);
    a->syn = syn;
    a->sport = -1;
    a->dport = 80;
    a->win = 64240;
    a->seq = -1;
    a->flags = syn ? PC_TCP_SYN : PC_TCP_ACK;
    a->c.reply_want = syn ? REPLY_NONE : REPLY_TCP;
    int opt;
    while ((opt = getopt_long(argc, argv, CRAFT_COMMON_SHORTOPTS, longopts, NULL)) != -1) {
        if (opt == 'h') { help(syn); exit(EXIT_OK); }
        if (syn && (opt == O_OPEN || opt == OPT_REPLY_TO || opt == OPT_RTT || opt == OPT_INTERLEAVE))
            cli_usage_error("--reply-to, --rtt, --interleave and --open are for 'pktcraft tcp' (a reply is no bare SYN)");
        if (syn && (opt == O_FLAGS || opt == O_ACK || opt == O_URP))
            cli_usage_error("%s is for 'pktcraft tcp'; syn always sends a bare SYN", argv[optind - 1]);
        if (!craft_opt(&a->c, opt, optarg, argv)) parse_opt(a, opt, optarg);
    }
    if (optind < argc) cli_usage_error("unexpected argument '%s'", argv[optind]);
    uint8_t optbuf[PC_TCP_MAXOPT];
    if (pc_tcp_opts_encode(a->opts, a->nopts, optbuf, sizeof optbuf) < 0)
        cli_usage_error("TCP options take more than %d bytes", PC_TCP_MAXOPT);
    if (a->open.n && !a->c.reply) cli_usage_error("--open goes with --reply-to (the SYNs to these ports get SYN/ACK)");
    craft_finish_args(&a->c, TCP_LAYERS);
}

/* With --reply-to: flags, seq and ack of the answer to q, where the
 * options did not give them.  A SYN gets RST/ACK (SYN/ACK when its port
 * is --open), anything else an ACK; ack = q's seq + its length (+1 for
 * SYN and FIN each); seq = q's ack when q had ACK. */
static void reply_fields(const struct tcp_args *a, const struct craft_req *q, struct pc_tcp *t)
{
    bool syn = (q->flags & PC_TCP_SYN) && !(q->flags & PC_TCP_ACK);
    bool open = false;
    for (int k = 0; k < a->open.n; k++)
        open |= q->dport >= a->open.item[k].lo.lo && q->dport <= a->open.item[k].hi.lo;
    if (syn && open) t->flags = PC_TCP_SYN | PC_TCP_ACK;
    else if (!a->flags_given) t->flags = syn ? PC_TCP_RST | PC_TCP_ACK : PC_TCP_ACK;
    if (!a->ack_given)
        t->ack = q->seq + (uint32_t)q->dlen + ((q->flags & PC_TCP_SYN) ? 1u : 0u) + ((q->flags & PC_TCP_FIN) ? 1u : 0u);
    if (!a->seq_given && (q->flags & PC_TCP_ACK)) t->seq = q->ack;
}

static int run(bool syn, int argc, char **argv)
{
    static struct tcp_args a;
    parse_args(&a, syn, argc, argv);
    uint32_t base_port = 1024 + (uint32_t)pc_rng_below(&a.c.rng, 65536 - 1024);
    if (a.sport >= 0) base_port = (uint32_t)a.sport;
    craft_open(&a.c, PC_LINK_ETHERNET);
    static uint8_t frame[CRAFT_FRAME_CAP];
    for (uint64_t i = 0; i < a.c.count; i++) {
        struct pc_pkt pk;
        craft_begin(&a.c, &pk, frame, sizeof frame, true);
        uint32_t r_seq = (uint32_t)pc_rng_next(&a.c.rng);
        /* the next port, wrapping within 1024..65535 (0..65535 if the user started below 1024) */
        uint32_t lo = base_port < 1024 ? 0 : 1024;
        long vs = craft_port(&a.c, VF_SPORT), vd = craft_port(&a.c, VF_DPORT);
        struct pc_tcp t = { .sport = vs >= 0 ? (uint16_t)vs : (uint16_t)(lo + (base_port - lo + i) % (65536 - lo)),
                            .dport = vd >= 0 ? (uint16_t)vd : a.dport,
                            .flags = a.flags, .seq = a.seq >= 0 ? (uint32_t)a.seq : r_seq,
                            .ack = a.ack > 0 ? (uint32_t)a.ack : 0, .win = a.win, .urp = a.urp,
                            .opts = a.opts, .nopts = a.nopts };
        if (craft_req(&a.c)) reply_fields(&a, craft_req(&a.c), &t);
        craft_apply(&a.c, "tcp", &t);
        pc_push_tcp(&pk, &t);
        craft_payload(&a.c, &pk);
        craft_finish(&a.c, &pk, i);
    }
    craft_close(&a.c);
    return EXIT_OK;
}

int cmd_syn(int argc, char **argv) { return run(true, argc, argv); }
int cmd_tcp(int argc, char **argv) { return run(false, argc, argv); }

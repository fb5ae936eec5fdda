/* pktcraft udp: UDP datagrams over IPv4 or IPv6. */
#include <stdlib.h>

#include "craft.h"

#define UDP_LAYERS (CL_NET | CL_UDP | CL_DATA)

enum { O_SPORT = OPT_COMMON_END, O_DPORT };

static const struct option longopts[] = {
    CRAFT_COMMON_LONGOPTS,
    { "sport", required_argument, 0, O_SPORT }, { "dport", required_argument, 0, O_DPORT },
    CRAFT_REPLY_LONGOPTS, { 0, 0, 0, 0 },
};

static void help(void)
{
    printf("Usage: pktcraft udp --src ADDR --dst ADDR -o FILE [OPTIONS]\n\n"
           "Craft UDP datagrams. The length and checksum are computed (a computed\n"
           "checksum of 0 is sent as 0xFFFF); pin or break them with --set/--corrupt.\n\n"
           "UDP:\n"
           "      --sport PORT      source port (default: from the seed; each packet the next)\n"
           "      --dport PORT      destination port (default 9, discard)\n"
           "                        both also per packet: A-B, a list 53,123,1000-1010, random\n");
    craft_help_reply("the ports swapped");
    printf("\n");
    craft_help_common(UDP_LAYERS);
    printf("\nExamples:\n"
           "  pktcraft udp --src 10.0.0.1 --dst 10.0.0.2 --dport 514 --data '<13>hello' -o syslog.pcap\n"
           "  pktcraft udp --src 2001:db8::1 --dst 2001:db8::2 --set udp.csum=0 -o nocsum.pcap\n"
           "  pktcraft udp --src 10.0.0.1 --dst 10.0.1.0/30 --dport 53,123 -o sweep.pcap\n");
}

int cmd_udp(int argc, char **argv)
{
    static struct craft c;
    craft_init(&c);
    c.reply_want = REPLY_UDP;
    long sport = -1;
    uint16_t dport = 9;
    int opt;
    while ((opt = getopt_long(argc, argv, CRAFT_COMMON_SHORTOPTS, longopts, NULL)) != -1) {
        if (opt == 'h') { help(); exit(EXIT_OK); }
        if (craft_opt(&c, opt, optarg, argv)) continue;
        if (opt == O_SPORT) sport = craft_port_opt(&c, VF_SPORT, "--sport", optarg);
        else if (opt == O_DPORT) dport = craft_port_opt(&c, VF_DPORT, "--dport", optarg);
    }
    if (optind < argc) cli_usage_error("unexpected argument '%s'", argv[optind]);
    craft_finish_args(&c, UDP_LAYERS);
    craft_expect(&c, "udp");
    uint32_t base = sport >= 0 ? (uint32_t)sport : 1024 + (uint32_t)pc_rng_below(&c.rng, 65536 - 1024);
    craft_open(&c, PC_LINK_ETHERNET);
    static uint8_t frame[CRAFT_FRAME_CAP];
    for (uint64_t i = 0; i < c.count; i++) {
        struct pc_pkt pk;
        craft_begin(&c, &pk, frame, sizeof frame, true);
        long vs = craft_port(&c, VF_SPORT), vd = craft_port(&c, VF_DPORT);
        struct pc_udp u = { .sport = vs >= 0 ? (uint16_t)vs : (uint16_t)((base + i) & 0xFFFF),
                            .dport = vd >= 0 ? (uint16_t)vd : dport };
        craft_apply(&c, "udp", &u);
        pc_push_udp(&pk, &u);
        craft_payload(&c, &pk);
        craft_finish(&c, &pk, i);
    }
    craft_close(&c);
    return EXIT_OK;
}

/* pktcraft arp: ARP requests, replies and gratuitous announcements. */
#include <stdlib.h>
#include <string.h>

#include "craft.h"
#include "pktcraft/wire/arp.h"

#define ARP_LAYERS (CL_LINK | CL_ARP)

enum { O_OP = OPT_COMMON_END, O_SHA, O_THA };

static const struct option longopts[] = {
    CRAFT_COMMON_LONGOPTS,
    { "op", required_argument, 0, O_OP }, { "sha", required_argument, 0, O_SHA },
    { "tha", required_argument, 0, O_THA }, CRAFT_REPLY_LONGOPTS, { 0, 0, 0, 0 },
};

static void help(void)
{
    printf("Usage: pktcraft arp --src IPV4 --dst IPV4 -o FILE [OPTIONS]\n\n"
           "Craft ARP packets (Ethernet/IPv4). --src is the sender protocol address,\n"
           "--dst the target one.\n\n"
           "ARP:\n"
           "      --op request|reply|gratuitous|N   operation (default request)\n"
           "      --sha MAC         sender hardware address (default --smac)\n"
           "      --tha MAC         target hardware address (default 00:..:00 for a request,\n"
           "                        --dmac for a reply)\n"
           "A request and a gratuitous ARP go to ff:ff:ff:ff:ff:ff unless --dmac is given;\n"
           "a gratuitous ARP announces --src (target address = sender address).\n"
           "      --src ADDR, --dst ADDR  sender and target IPv4 addresses (or sets, as above)\n\n");
    craft_help_reply("the reply (is-at) to a request");
    printf("\n");
    craft_help_common(ARP_LAYERS);
    printf("\nExamples:\n"
           "  pktcraft arp --src 10.0.0.1 --dst 10.0.0.2 -o who-has.pcap\n"
           "  pktcraft arp --op reply --src 10.0.0.2 --dst 10.0.0.1 --smac 02:00:00:00:00:02 \\\n"
           "      --dmac 02:00:00:00:00:01 -o is-at.pcap\n"
           "  pktcraft arp --src 10.0.0.1 --dst 10.0.0.1-10.0.0.254 -o arp-scan.pcap\n");
}

int cmd_arp(int argc, char **argv)
{
    static struct craft c;
    craft_init(&c);
    c.reply_want = REPLY_ARP;
    int op = 1;
    bool grat = false, have_sha = false, have_tha = false, op_given = false;
    uint8_t sha[6], tha[6] = { 0 };
    int opt;
    while ((opt = getopt_long(argc, argv, CRAFT_COMMON_SHORTOPTS, longopts, NULL)) != -1) {
        if (opt == 'h') { help(); exit(EXIT_OK); }
        if (craft_opt(&c, opt, optarg, argv)) continue;
        switch (opt) {
        case O_OP:
            op_given = true;
            if (!strcmp(optarg, "request")) op = 1;
            else if (!strcmp(optarg, "reply")) op = 2;
            else if (!strcmp(optarg, "gratuitous")) { op = 1; grat = true; }
            else op = (int)cli_parse_uint("--op", optarg, 65535);
            break;
        case O_SHA: cli_parse_mac("--sha", optarg, sha); have_sha = true; break;
        case O_THA: cli_parse_mac("--tha", optarg, tha); have_tha = true; break;
        }
    }
    if (optind < argc) cli_usage_error("unexpected argument '%s'", argv[optind]);
    craft_reply_load(&c); /* --reply-to: the request's addresses, swapped */
    if (c.reply && !op_given) op = 2;
    if (!c.have_src) cli_usage_error("--src is required (the sender IPv4 address)");
    if (!c.have_dst && !grat) cli_usage_error("--dst is required (the target IPv4 address)");
    if (c.ipver != 4) cli_usage_error("ARP carries IPv4 addresses; --src/--dst are IPv6");
    c.have_src = c.have_dst = false; /* the IP checks below are not for ARP */
    craft_finish_args(&c, ARP_LAYERS);
    if (!c.dmac_given && op == 1 && !c.vary.f[VF_DMAC].random) memset(c.dmac, 0xFF, 6);
    craft_open(&c, PC_LINK_ETHERNET);
    static uint8_t frame[256];
    for (uint64_t i = 0; i < c.count; i++) {
        struct pc_pkt pk;
        craft_begin(&c, &pk, frame, sizeof frame, false);
        struct pc_arp a = { .op = (uint16_t)op };
        /* per packet: --smac may vary, --reply-to answers each request */
        if (!have_sha) memcpy(sha, c.smac, 6);
        if (!have_tha && op == 2) memcpy(tha, craft_req(&c) ? craft_req(&c)->sha : c.dmac, 6);
        memcpy(a.sha, sha, 6);
        memcpy(a.spa, c.src, 4);
        memcpy(a.tha, tha, 6);
        memcpy(a.tpa, grat ? c.src : c.dst, 4);
        craft_apply(&c, "arp", &a);
        pc_push_arp(&pk, &a);
        craft_finish(&c, &pk, i);
    }
    craft_close(&c);
    return EXIT_OK;
}

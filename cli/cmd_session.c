/* pktcraft session: a whole TCP conversation (or UDP exchange) from a
 * script of --send and --recv, with handshake, segmentation, ACKs,
 * teardown, faults and ground truth (cli/conv.c). */
#include <stdlib.h>

#include "conv.h"

static const struct option longopts[] = {
    CRAFT_COMMON_LONGOPTS,
    CONV_LONGOPTS,
    CONV_SCRIPT_LONGOPTS,
    { 0, 0, 0, 0 },
};

static void help(void)
{
    printf("Usage: pktcraft session --src ADDR --dst ADDR --dport N --send DATA --recv DATA ... -o FILE\n\n"
           "Write a whole TCP conversation between a client (--src) and a server (--dst):\n"
           "the three-way handshake with MSS, window scale, SACK-permitted and timestamps,\n"
           "each --send (client to server) and --recv (server to client) in order, cut at\n"
           "the MSS with correct sequence and acknowledgment numbers and ACKs, then the\n"
           "teardown.  Each write waits until its side has received the writes before it.\n\n");
    conv_help(true);
    craft_help_common(CL_NET | CL_TCP | CL_UDP);
    printf("\nExamples:\n"
           "  pktcraft session --src 10.0.0.1 --dst 10.0.0.2 --dport 80 \\\n"
           "      --send 'GET / HTTP/1.1\\r\\nHost: a\\r\\n\\r\\n' --recv @response.bin -o web.pcap\n"
           "  pktcraft session --src 10.0.0.1 --dst 10.0.0.2 --dport 6379 --send 'PING\\r\\n' \\\n"
           "      --recv '+PONG\\r\\n' --fault drop:4 --seed 9 --truth -o redis.pcap\n"
           "  pktcraft session --udp --src fd00::1 --dst fd00::2 --dport 5353 --send hex:00ff \\\n"
           "      --recv hex:01ff -o udp.pcap\n"
           "Exit status: 0 success, 1 runtime error, 2 usage error.\n");
}

int cmd_session(int argc, char **argv)
{
    struct conv_cli v;
    conv_init(&v, 6, 0);
    int opt;
    while ((opt = getopt_long(argc, argv, CRAFT_COMMON_SHORTOPTS, longopts, NULL)) != -1) {
        if (opt == 'h') { help(); return EXIT_OK; }
        if (!conv_opt(&v, opt, optarg, argv)) cli_usage_error("unexpected option");
    }
    if (optind < argc) cli_usage_error("unexpected argument '%s'", argv[optind]);
    if (v.o.l4 == 6)
        for (size_t i = 0; i < v.nsteps; i++)
            if (!v.steps[i].len) cli_usage_error("--send/--recv: a TCP write needs at least one byte (write %zu is empty)", i + 1);
    return conv_run(&v, NULL, NULL);
}

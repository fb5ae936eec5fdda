/* pktcraft raw: frames from hex or a file, with any link type. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "craft.h"

enum { O_LINKTYPE = OPT_COMMON_END };

static const struct option longopts[] = {
    { "output", required_argument, 0, 'o' }, { "count", required_argument, 0, 'c' },
    { "start", required_argument, 0, OPT_START }, { "gap", required_argument, 0, OPT_GAP },
    { "seed", required_argument, 0, OPT_SEED }, { "append", no_argument, 0, OPT_APPEND },
    { "hex", required_argument, 0, OPT_HEX }, { "data-file", required_argument, 0, OPT_DATAFILE },
    { "data", required_argument, 0, OPT_DATA }, { "linktype", required_argument, 0, O_LINKTYPE },
    { "comment", required_argument, 0, OPT_COMMENT }, { "interface", required_argument, 0, OPT_IFNAME },
    { "rate", required_argument, 0, OPT_RATE }, { "comment-file", required_argument, 0, OPT_COMMENT_FILE },
    { "help", no_argument, 0, 'h' }, { 0, 0, 0, 0 },
};

static void help(void)
{
    printf("Usage: pktcraft raw (--hex HEX | --data-file FILE | --data STRING) -o FILE [OPTIONS]\n\n"
           "Write frames given as bytes, exactly as given, into a capture file.\n\n"
           "      --hex HEX         the frame in hex (spaces and colons allowed)\n"
           "      --data-file FILE  the frame from a file\n"
           "      --data STRING     the frame from a string with C escapes\n"
           "      --linktype N      link type of the file: a number or ethernet (1),\n"
           "                        raw (101), ipv4 (228), ipv6 (229), sll (113), sll2 (276),\n"
           "                        null (0), loop (108) (default ethernet)\n"
           "  -o, --output FILE     capture file ('-' for stdout); required\n"
           "  -F pcap|nsecpcap|pcapng  capture format (default pcap)\n"
           "      --comment TEXT, --interface NAME   packet comment, interface name (pcapng)\n"
           "      --comment-file FILE  one comment per line, per packet (pcapng)\n"
           "      --append, -c N, --start TIME, --gap DURATION, --rate PPS   as for every command\n"
           "\nExamples:\n"
           "  pktcraft raw --linktype raw --hex 4500001c0001000040117cce7f0000017f000001 -o ip.pcap\n"
           "  pktcraft raw --data-file frame.bin -c 10 --gap 1ms -o frames.pcap\n");
}

static int parse_linktype(const char *s)
{
    static const struct { const char *name; int lt; } names[] = {
        { "ethernet", 1 }, { "raw", 101 }, { "ipv4", 228 }, { "ipv6", 229 },
        { "sll", 113 }, { "sll2", 276 }, { "null", 0 }, { "loop", 108 },
    };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (!strcmp(s, names[i].name)) return names[i].lt;
    return (int)cli_parse_uint("--linktype", s, 65535);
}

int cmd_raw(int argc, char **argv)
{
    static struct craft c;
    craft_init(&c);
    int linktype = 1;
    int opt;
    while ((opt = getopt_long(argc, argv, CRAFT_COMMON_SHORTOPTS, longopts, NULL)) != -1) {
        if (opt == 'h') { help(); exit(EXIT_OK); }
        if (opt == O_LINKTYPE) { linktype = parse_linktype(optarg); continue; }
        craft_opt(&c, opt, optarg, argv);
    }
    if (optind < argc) cli_usage_error("unexpected argument '%s'", argv[optind]);
    if (!c.have_payload) cli_usage_error("the frame is required: --hex, --data-file or --data");
    if (!c.plen) cli_usage_error("the frame is empty");
    craft_finish_args(&c, CL_DATA); /* the frame itself */
    craft_open(&c, linktype);
    for (uint64_t i = 0; i < c.count; i++) craft_write_at(&c, c.payload, c.plen, craft_bk_ts(&c), 0, 0);
    craft_close(&c);
    return EXIT_OK;
}

/* pktcraft: command dispatch, --help and --version. */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static const struct {
    const char *name;
    int (*fn)(int, char **);
    const char *summary;
} commands[] = {
    { "syn", cmd_syn, "craft TCP SYN packets (shorthand for tcp --flags S)" },
    { "tcp", cmd_tcp, "craft TCP segments: any flags, options, payload" },
    { "udp", cmd_udp, "craft UDP datagrams" },
    { "icmp", cmd_icmp, "craft ICMP messages: echo, unreachable, time exceeded, ..." },
    { "icmp6", cmd_icmp6, "craft ICMPv6 messages, neighbour discovery included" },
    { "arp", cmd_arp, "craft ARP requests, replies and gratuitous ARP" },
    { "dns", cmd_dns, "craft DNS queries and responses over UDP or TCP" },
    { "session", cmd_session, "a whole TCP conversation or UDP exchange: handshake, data, teardown, faults" },
    { "http", cmd_http, "an HTTP/1.x conversation: requests and responses on one TCP connection" },
    { "dhcp", cmd_dhcp, "a DHCP exchange: DISCOVER, OFFER, REQUEST, ACK or NAK, with their addresses" },
    { "ntp", cmd_ntp, "an NTP client request and server response, timestamps from the capture clock" },
    { "tls", cmd_tls, "a whole TLS 1.3 or 1.2 connection: hellos, handshake, encrypted records" },
    { "run", cmd_run, "make one capture from a scenario script: hosts, packets, conversations, timing" },
    { "raw", cmd_raw, "write frames given as hex or a file, any link type" },
    { "read", cmd_read, "decode a capture file, one line or JSON object per packet" },
    { "info", cmd_info, "describe capture files, like capinfos" },
    { "convert", cmd_convert, "rewrite a capture as pcap, nsecpcap or pcapng, losslessly" },
    { "merge", cmd_merge, "merge captures by timestamp, like mergecap" },
    { "diff", cmd_diff, "compare two captures packet by packet, field by field" },
    { "flows", cmd_flows, "list TCP/UDP flows with reassembly counters, write their streams" },
    { "stats", cmd_stats, "traffic statistics: protocols, top talkers and ports, intervals" },
    { "extract", cmd_extract, "HTTP exchanges, DNS transactions, TLS handshakes of a capture" },
    { "verify", cmd_verify, "lint a capture: every length and checksum, fragments, stream gaps" },
};

static void usage(FILE *f)
{
    fprintf(f, "Usage: pktcraft COMMAND [OPTIONS]\n\n"
               "Craft packets, write capture files, read and decode them.\n\nCommands:\n");
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        fprintf(f, "  %-8s %s\n", commands[i].name, commands[i].summary);
    fprintf(f, "\nOptions:\n  -h, --help     show this help\n      --version  show the version\n\n"
               "Examples:\n"
               "  pktcraft syn --src 192.168.1.1 --dst 192.168.1.2 -o out.pcap\n"
               "  pktcraft read out.pcap\n\n"
               "Run 'pktcraft COMMAND --help' for a command's options.\n"
               "Exit status: 0 success, 1 runtime error (bad file, I/O), 2 usage error.\n");
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fputs("pktcraft: missing COMMAND\n\n", stderr);
        usage(stderr);
        return EXIT_USAGE;
    }
    const char *cmd = argv[1];
    if (!strcmp(cmd, "-h") || !strcmp(cmd, "--help") || !strcmp(cmd, "help")) { usage(stdout); return EXIT_OK; }
    if (!strcmp(cmd, "--version")) { printf("pktcraft %s\n", PC_VERSION_STRING); return EXIT_OK; }
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++) {
        if (strcmp(cmd, commands[i].name)) continue;
        cli_cmd = commands[i].name;
        /* an interrupted write leaves no temporary file behind */
        (void)pc_writer_cleanup_on_signals();
        opterr = 0; /* commands report bad options themselves, in our format */
        return commands[i].fn(argc - 1, argv + 1);
    }
    if (cmd[0] == '-') cli_usage_error("unknown option '%s'", cmd);
    cli_usage_error("unknown command '%s'", cmd);
}

/* The trailing BPF filter of every reading command (pktcraft read f.pcap
 * tcp port 80), compiled by libpcap.  A program is compiled for one link
 * type and a pcapng file can mix them, so there is one program per link
 * type seen, compiled on first use. */
#ifndef PKTCRAFT_CLI_FILTER_H
#define PKTCRAFT_CLI_FILTER_H

#include <stdbool.h>
#include <stddef.h>

struct pc_pkthdr;

#define CLI_FILTER_LINKS 16

struct cli_filter {
    const char *expr;
    int n;
    struct cli_filter_prog {
        int linktype;
        void *pcap;  /* pcap_t */
        void *prog;  /* struct bpf_program */
        unsigned char hdr[24]; /* the pcap file header it was opened over */
    } c[CLI_FILTER_LINKS];
};

/* argv[optind..argc) joined with spaces into buf (a usage error when too long). */
void cli_filter_join(char *buf, size_t cap, int argc, char **argv);
/* Compile for the file's first link type at once, so a bad expression is a
 * usage error before any output.  An empty expression matches everything. */
void cli_filter_setup(struct cli_filter *f, const char *expr, int linktype);
bool cli_filter_match(struct cli_filter *f, const struct pc_pkthdr *h, const unsigned char *data);
void cli_filter_free(struct cli_filter *f);

#endif

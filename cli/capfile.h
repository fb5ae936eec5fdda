/* Helpers shared by the commands that read and rewrite capture files. */
#ifndef PKTCRAFT_CLI_CAPFILE_H
#define PKTCRAFT_CLI_CAPFILE_H

#include "cli.h"

/* -F for every writing command: PC_FORMAT_PCAP_US, _NS or _PCAPNG. */
int cli_parse_format(const char *opt, const char *s);
/* The interface spec that reproduces an input interface in pcapng. */
void cli_iface_spec(const struct pc_iface *in, struct pc_iface_spec *out);
/* Seconds.nanoseconds and ISO 8601 UTC with nanoseconds. */
void cli_fmt_iso(pc_time_ns ts, char out[48]);

/* Input interface -> output interface of a pcapng writer.  The IDBs of
 * every input interface up to the one asked for are added in input order,
 * so a copy keeps the input's interface numbering. */
struct iface_map {
    uint32_t *out;  /* output index + 1; 0 while not added */
    uint32_t n;
};
/* The output interface, or a negative PC_E* code. */
int iface_map_get(struct iface_map *m, struct pc_reader *r, struct pc_writer *w, uint32_t i);
void iface_map_free(struct iface_map *m);

/* Why a packet cannot go into a pcap output of format (PC_FORMAT_PCAP_*)
 * whose link type is lt0: a text for the message, or NULL when it fits.
 * *drop is set when the only lossy remedy is to leave the packet out. */
const char *pcap_misfit(const struct pc_pkthdr *h, int format, int lt0, bool *drop);
/* The remedies a refusal by pcap_misfit names, each one that works:
 * -F pcapng and --lossy always; -F nsecpcap for nanoseconds, but only when
 * every input is pcap (a pcapng input may bring comments, flags or another
 * link type further on, which nsecpcap cannot hold either). */
const char *pcap_misfit_hint(const struct pc_pkthdr *h, int format, int lt0, bool inputs_pcap);

/* Every packet comment after the first (h->comment) into p->more, so a
 * copy keeps them all; they point into the reader's buffer (valid until
 * its next packet), the array is the caller's until the next call. */
void cli_more_comments(const struct pc_reader *r, const struct pc_pkthdr *h, struct pc_wpacket *p);

#endif

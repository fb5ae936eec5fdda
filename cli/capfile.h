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

#endif

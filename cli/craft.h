/* Options and output shared by every crafting command. */
#ifndef PKTCRAFT_CLI_CRAFT_H
#define PKTCRAFT_CLI_CRAFT_H

#include <getopt.h>

#include "cli.h"

struct craft_common {
    const char *out;      /* -o FILE; required */
    int tsprec;           /* -F */
    bool append;
    uint64_t count;       /* -c */
    pc_time_ns start;     /* --start, default now */
    int64_t gap;          /* --gap, default 1ms */
    uint64_t seed;        /* --seed, default 1 */
    uint8_t smac[6], dmac[6];
    struct pc_rng rng;
    struct pc_writer *w;
};

/* Long options every crafting command takes; value codes start at 1000. */
enum {
    OPT_START = 1000, OPT_GAP, OPT_SEED, OPT_APPEND, OPT_SMAC, OPT_DMAC,
    OPT_COMMON_END
};
#define CRAFT_COMMON_LONGOPTS                                                      \
    { "output", required_argument, 0, 'o' }, { "count", required_argument, 0, 'c' }, \
    { "start", required_argument, 0, OPT_START }, { "gap", required_argument, 0, OPT_GAP }, \
    { "seed", required_argument, 0, OPT_SEED }, { "append", no_argument, 0, OPT_APPEND }, \
    { "smac", required_argument, 0, OPT_SMAC }, { "dmac", required_argument, 0, OPT_DMAC }, \
    { "help", no_argument, 0, 'h' }
#define CRAFT_COMMON_SHORTOPTS ":o:w:c:F:h"
#define CRAFT_COMMON_HELP                                                              \
    "  -o, --output FILE     capture file to write ('-' for stdout; alias -w); required\n" \
    "  -F pcap|nsecpcap      capture format (default pcap, microseconds)\n"              \
    "      --append          add to an existing capture of the same link type and format\n" \
    "  -c, --count N         packets to craft (default 1)\n"                            \
    "      --start TIME      first timestamp: epoch seconds with fraction, or ISO 8601 UTC\n" \
    "                        like 2024-01-01T00:00:00.5Z (default: now)\n"              \
    "      --gap DURATION    time between packets, e.g. 10us, 1ms, 2s (default 1ms)\n"   \
    "      --seed N          seed for every value not given (default 1); the same\n"      \
    "                        arguments and seed give the same bytes\n"                    \
    "      --smac MAC        source MAC (default 02:00:00:00:00:01)\n"                   \
    "      --dmac MAC        destination MAC (default 02:00:00:00:00:02)\n"              \
    "  -h, --help            show this help\n"

void craft_common_init(struct craft_common *c);
/* Handle one getopt result if it is a common option; false if not ours. */
bool craft_common_opt(struct craft_common *c, int opt, const char *arg, char **argv);
/* After parsing: check required options, seed the generator. */
void craft_common_finish(struct craft_common *c);
void craft_open(struct craft_common *c, int linktype);
void craft_write(struct craft_common *c, uint64_t i, const uint8_t *frame, size_t len);
void craft_close(struct craft_common *c);

#endif

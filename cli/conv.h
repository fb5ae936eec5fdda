/* What every conversation command (session, http, tls, dns --exchange,
 * dhcp, ntp) shares: the crafting options of craft.h (addresses, link,
 * tunnel, --set/--corrupt, output), the conversation options (ports, MSS,
 * window scale, RTT, link rate, close, faults, --truth), a script of
 * steps, and the run: simulate (pktcraft/traffic/conv.h), build every
 * frame through the builder, write the capture and the truth file.
 *
 * A command: conv_init, then getopt_long over a table that holds
 * CRAFT_COMMON_LONGOPTS, CONV_LONGOPTS and its own options (codes from
 * CONV_OPT_END), passing each result to conv_opt first; then its own
 * steps with conv_add_step; then conv_run with a callback that writes the
 * application facts of the truth file. */
#ifndef PKTCRAFT_CLI_CONV_H
#define PKTCRAFT_CLI_CONV_H

#include "craft.h"
#include "pktcraft/traffic/conv.h"

enum {
    CONV_OPT_SPORT = OPT_COMMON_END, CONV_OPT_DPORT, CONV_OPT_MSS, CONV_OPT_MTU, CONV_OPT_WSCALE, CONV_OPT_NO_SACK,
    CONV_OPT_NO_TS, CONV_OPT_WINDOW, CONV_OPT_ACK, CONV_OPT_RTT, CONV_OPT_RATE, CONV_OPT_THINK, CONV_OPT_CLOSE,
    CONV_OPT_FAULT, CONV_OPT_TRUTH, CONV_OPT_ISN, CONV_OPT_TIMEOUT, CONV_OPT_SEND, CONV_OPT_RECV, CONV_OPT_UDP,
    CONV_OPT_SMAC_SRV,
    CONV_OPT_END
};
#define CONV_LONGOPTS                                                                                    \
    { "sport", required_argument, 0, CONV_OPT_SPORT }, { "dport", required_argument, 0, CONV_OPT_DPORT }, \
    { "mss", required_argument, 0, CONV_OPT_MSS }, { "mtu", required_argument, 0, CONV_OPT_MTU },         \
    { "wscale", required_argument, 0, CONV_OPT_WSCALE }, { "no-sack", no_argument, 0, CONV_OPT_NO_SACK }, \
    { "no-ts", no_argument, 0, CONV_OPT_NO_TS }, { "window", required_argument, 0, CONV_OPT_WINDOW },     \
    { "ack", required_argument, 0, CONV_OPT_ACK }, { "rtt", required_argument, 0, CONV_OPT_RTT },         \
    { "link-rate", required_argument, 0, CONV_OPT_RATE }, { "think", required_argument, 0, CONV_OPT_THINK }, \
    { "close", required_argument, 0, CONV_OPT_CLOSE }, { "fault", required_argument, 0, CONV_OPT_FAULT }, \
    { "truth", no_argument, 0, CONV_OPT_TRUTH }, { "isn", required_argument, 0, CONV_OPT_ISN },           \
    { "timeout", required_argument, 0, CONV_OPT_TIMEOUT }

/* The session-only options (--send, --recv, --udp) are in CONV_SCRIPT_LONGOPTS:
 * commands that make their own script leave them out. */
#define CONV_SCRIPT_LONGOPTS                                                                             \
    { "send", required_argument, 0, CONV_OPT_SEND }, { "recv", required_argument, 0, CONV_OPT_RECV },     \
    { "udp", no_argument, 0, CONV_OPT_UDP }

struct conv_cli;
struct conv_pair;
/* Per-step addresses for UDP exchanges whose packets do not all go between
 * the two endpoints (DHCP): called for every packet before its frame is
 * built; it may change the IP addresses and MACs (given as the packet's
 * direction would have them). */
typedef void (*conv_addr_fn)(void *ctx, const struct pc_conv_pkt *p, int ipver, uint8_t src[16], uint8_t dst[16],
                             uint8_t smac[6], uint8_t dmac[6]);
/* Writes the "app" members of the truth file (JSON mode pc_fmt). */
typedef void (*conv_facts_fn)(void *ctx, struct pc_fmt *f);

struct conv_cli {
    struct craft c;
    struct pc_conv_opts o;
    struct pc_conv_fault faults[PC_CONV_MAX_FAULTS];
    size_t nfaults;
    struct pc_conv_step *steps;
    size_t nsteps, cap;
    bool truth;
    bool sport_given, dport_given, ack_given;
    pc_time_ns last_ts;      /* of the last frame written */
    conv_addr_fn addr;
    void *addr_ctx;
    /* with addr: the address pairs the packets really used, for the truth */
    struct conv_pair *pairs;
    size_t npairs;
    /* the layers besides TCP/UDP (CL_*, craft.h): CL_NET from conv_init;
     * a command narrows or widens them (dhcp: IPv4 only; dns: CL_DNS) */
    unsigned layers;
    /* the first timing option given below the microsecond, refused by
     * conv_run when the output is microsecond pcap */
    const char *fine_opt;
    int64_t fine_ns;
};

/* l4: 6 or 17; dport: the command's default server port (0: required). */
void conv_init(struct conv_cli *v, uint8_t l4, uint16_t dport);
/* Handle one getopt result: a craft option, a conversation option, or
 * --send/--recv/--udp; false if it is none of these (the command's own). */
bool conv_opt(struct conv_cli *v, int opt, const char *arg, char **argv);
/* What the conversation builds: v->layers and its TCP or UDP. */
unsigned conv_layers(const struct conv_cli *v);
/* A duration given by option opt that sets capture timestamps: kept for
 * conv_run's check against microsecond pcap. */
void conv_note_time(struct conv_cli *v, const char *opt, int64_t ns);
/* Help for the conversation options (after the command's own). */
void conv_help(bool script);
/* Append a step (data copied). */
void conv_add_step(struct conv_cli *v, int dir, const uint8_t *data, size_t len, uint32_t tag);
/* DATA as every conversation option takes it: a string with C escapes,
 * @FILE, or hex:HEX.  *out is malloc'd (freed by the caller). */
void conv_parse_data(const char *opt, const char *arg, uint8_t **out, size_t *len);
/* Simulate, write the capture (and OUT.truth.json with --truth); exits
 * with a message on error.  facts may be NULL.  Returns EXIT_OK. */
int conv_run(struct conv_cli *v, conv_facts_fn facts, void *ctx);

#endif

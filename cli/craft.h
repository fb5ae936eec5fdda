/* What every crafting command shares: output and timing, the link and IP
 * layers (Ethernet, VLAN tags, IPv4 or IPv6 with extension headers),
 * payload, field overrides (--set/--corrupt) and fragmentation.  A command
 * adds its own layer between craft_begin() and craft_finish(). */
#ifndef PKTCRAFT_CLI_CRAFT_H
#define PKTCRAFT_CLI_CRAFT_H

#include <getopt.h>

#include "cli.h"
#include "craft_ip.h"
#include "vary.h"

#define CRAFT_MAX_SETS 32
#define CRAFT_MAX_EXT 8
#define CRAFT_MAX_PAYLOAD 65535
#define CRAFT_FRAME_CAP (CRAFT_MAX_PAYLOAD + 2048)
#define CRAFT_KINDS 16  /* layer kinds craft_apply counts (eth, ip, udp, ...) */

struct field_def;

struct craft_set {
    const struct field_def *f;
    int mode;           /* PC_FPIN or PC_FCORRUPT */
    uint8_t val[16];    /* parsed value: number (host order, in v) or address bytes */
    uint64_t v;
    uint64_t pkt;       /* FIELD=VALUE@N: packet N only (1-based); 0: every packet */
    bool indexed;       /* LAYER[K].FIELD: the K-th layer of its kind only */
    int8_t idx;         /* K: 0 the outermost, -1 the innermost */
    bool used;          /* applied to some layer of the first packet (of packet N) */
};

struct craft_ext {      /* one --ipv6-ext, parsed */
    struct pc_ip6ext spec;
    uint8_t addrs[8][16];
    uint8_t opts[256];
};

struct craft_reply;     /* --reply-to (cli/bookkeep.c) */

struct craft {
    /* output and timing */
    const char *out;
    int format;         /* -F: PC_FORMAT_* */
    const char *comment;   /* --comment: on every packet (pcapng) */
    const char *ifname;    /* --interface: if_name of the pcapng interface */
    bool append;
    uint64_t count;
    pc_time_ns start;
    int64_t gap;
    uint64_t seed;
    struct pc_rng rng;
    struct pc_writer *w;
    uint64_t frames;    /* frames written: each takes the next timestamp */
    uint64_t cur_pkt;   /* number of the packet being built, for --set ...@N */
    bool numbered;      /* the caller sets cur_pkt itself (conversations) */
    bool corrupt_ipcsum; /* the next packet's IPv4 header checksum is wrong */
    /* link */
    uint8_t smac[6], dmac[6];
    bool dmac_given, pad;
    struct { uint16_t vid; uint8_t pcp; } vlan[2];
    int nvlan;
    /* IP */
    int ipver;          /* 4 or 6, from --src/--dst; 0 if neither given */
    uint8_t src[16], dst[16];
    bool have_src, have_dst;
    int ttl;            /* -1: 64 */
    long ipid;          /* -1: from the seed per packet */
    int tos;
    uint32_t flowlabel;
    bool df;
    struct craft_ext ext[CRAFT_MAX_EXT];
    int next;
    /* tunnel: the packet is carried inside GRE or VXLAN */
    int tunnel;         /* 0 none, 1 GRE, 2 VXLAN */
    bool tunnel_key;
    uint32_t tunnel_id; /* GRE key or VXLAN VNI */
    int outer_ver;
    uint8_t outer_src[16], outer_dst[16];
    bool have_outer_src, have_outer_dst;
    /* fragmentation */
    uint32_t frag;      /* 0: none */
    uint8_t frag_order;
    /* --ip-opt, --frag-spec, the payload source (cli/craft_ip.c) */
    struct craft_ipx ipx;
    /* payload */
    uint8_t *payload;
    size_t plen;
    bool have_payload;
    /* overrides */
    struct craft_set sets[CRAFT_MAX_SETS];
    int nsets;
    /* layers of each kind in the packet being built, for LAYER[K].FIELD:
     * met so far, in all (counted by craft_begin before building, so that
     * negative K can be resolved), and those the command declared */
    uint8_t seen[CRAFT_KINDS], total[CRAFT_KINDS], expect[CRAFT_KINDS];
    /* per packet and bookkeeping (cli/bookkeep.c) */
    struct vary vary;   /* --src/--dst/--sport/--dport/--smac/--dmac sets, --step */
    bool count_given, seed_given, start_given, gap_given, finished;
    bool varying;  /* a value set varies per packet (vary_active, kept once the options are final) */
    uint64_t rate;      /* --rate PPS; 0: --gap */
    const char **comments; /* every --comment, or the lines of --comment-file */
    size_t ncomments;
    char *comment_text; /* --comment-file's contents */
    const char *comment_file;
    char **argv;        /* as craft_opt saw it: the default seed hashes it */
    struct craft_reply *reply;
    int reply_want;     /* REPLY_*: the packets this command can answer */
    uint64_t given;     /* shared options given: bit (opt - OPT_START) */
};

/* What --reply-to answers, set by the command before craft_finish_args. */
enum { REPLY_NONE, REPLY_TCP, REPLY_UDP, REPLY_ECHO4, REPLY_ECHO6, REPLY_ARP };

/* The captured packet a reply answers (--reply-to), as decoded. */
struct craft_req {
    pc_time_ns ts;
    uint64_t num;       /* its number in the file, from 1 */
    int ipver;          /* 4, 6; 0 for ARP */
    uint8_t src[16], dst[16];
    uint8_t smac[6], dmac[6];
    int nvlan;
    uint16_t vid[2];
    uint8_t pcp[2];
    uint16_t sport, dport;
    uint32_t seq, ack;  /* TCP */
    uint16_t flags;
    uint16_t icmp_id, icmp_seq;
    uint16_t arp_op;    /* ARP: sender MAC in smac, addresses in src/dst */
    uint8_t sha[6];
    const uint8_t *data; /* the L4 payload (ICMP echo: after its 8 bytes) */
    size_t dlen;
};

/* The layers a command can build, and whether it takes a payload: its
 * --help lists only their fields and options, and craft_finish_args
 * refuses the shared options and --set fields of the others.  Bit 0 is
 * left unused so that a stray `true` is caught. */
enum {
    CL_ETH = 1 << 1, CL_VLAN = 1 << 2, CL_IP = 1 << 3, CL_IP6 = 1 << 4, CL_IP6EXT = 1 << 5, CL_TCP = 1 << 6,
    CL_UDP = 1 << 7, CL_ICMP = 1 << 8, CL_ICMP6 = 1 << 9, CL_ARP = 1 << 10, CL_DNS = 1 << 11,
    CL_DATA = 1 << 12, /* --data, --data-file, --hex */
};
#define CL_LINK (CL_ETH | CL_VLAN)
#define CL_NET4 (CL_LINK | CL_IP)
#define CL_NET6 (CL_LINK | CL_IP6 | CL_IP6EXT)
#define CL_NET (CL_LINK | CL_IP | CL_IP6 | CL_IP6EXT)

/* Long options every crafting command takes; value codes from 1000. */
enum {
    OPT_START = 1000, OPT_GAP, OPT_SEED, OPT_APPEND, OPT_SMAC, OPT_DMAC, OPT_SRC, OPT_DST, OPT_VLAN,
    OPT_TTL, OPT_IPID, OPT_TOS, OPT_FLOWLABEL, OPT_DF, OPT_IPV6EXT, OPT_FRAG, OPT_FRAGORDER,
    OPT_DATA, OPT_DATAFILE, OPT_HEX, OPT_SET, OPT_CORRUPT, OPT_PAD, OPT_TUNNEL, OPT_OUTER_SRC, OPT_OUTER_DST, OPT_COMMENT, OPT_IFNAME,
    OPT_IPOPT, OPT_FRAGSPEC, OPT_STEP, OPT_RATE, OPT_COMMENT_FILE, OPT_REPLY_TO, OPT_RTT, OPT_INTERLEAVE,
    OPT_COMMON_END
};
#define CRAFT_COMMON_LONGOPTS                                                                      \
    { "output", required_argument, 0, 'o' }, { "count", required_argument, 0, 'c' },               \
    { "start", required_argument, 0, OPT_START }, { "gap", required_argument, 0, OPT_GAP },       \
    { "seed", required_argument, 0, OPT_SEED }, { "append", no_argument, 0, OPT_APPEND },         \
    { "smac", required_argument, 0, OPT_SMAC }, { "dmac", required_argument, 0, OPT_DMAC },       \
    { "src", required_argument, 0, OPT_SRC }, { "dst", required_argument, 0, OPT_DST },           \
    { "vlan", required_argument, 0, OPT_VLAN }, { "ttl", required_argument, 0, OPT_TTL },         \
    { "hop-limit", required_argument, 0, OPT_TTL }, { "ip-id", required_argument, 0, OPT_IPID }, \
    { "tos", required_argument, 0, OPT_TOS }, { "tclass", required_argument, 0, OPT_TOS },        \
    { "flowlabel", required_argument, 0, OPT_FLOWLABEL }, { "df", no_argument, 0, OPT_DF },       \
    { "ipv6-ext", required_argument, 0, OPT_IPV6EXT }, { "frag", required_argument, 0, OPT_FRAG }, \
    { "frag-order", required_argument, 0, OPT_FRAGORDER }, { "data", required_argument, 0, OPT_DATA }, \
    { "data-file", required_argument, 0, OPT_DATAFILE }, { "hex", required_argument, 0, OPT_HEX }, \
    { "set", required_argument, 0, OPT_SET }, { "corrupt", required_argument, 0, OPT_CORRUPT },   \
    { "pad", no_argument, 0, OPT_PAD }, { "tunnel", required_argument, 0, OPT_TUNNEL },                \
    { "outer-src", required_argument, 0, OPT_OUTER_SRC }, { "outer-dst", required_argument, 0, OPT_OUTER_DST }, \
    { "comment", required_argument, 0, OPT_COMMENT }, { "interface", required_argument, 0, OPT_IFNAME },        \
    { "ip-opt", required_argument, 0, OPT_IPOPT }, { "frag-spec", required_argument, 0, OPT_FRAGSPEC },         \
    { "step", required_argument, 0, OPT_STEP }, { "rate", required_argument, 0, OPT_RATE },                 \
    { "comment-file", required_argument, 0, OPT_COMMENT_FILE },                                           \
    { "help", no_argument, 0, 'h' }
/* --reply-to, --rtt, --interleave: the commands that answer packets
 * (tcp, syn, udp, icmp, icmp6, arp) add these to their table. */
#define CRAFT_REPLY_LONGOPTS                                                                       \
    { "reply-to", required_argument, 0, OPT_REPLY_TO }, { "rtt", required_argument, 0, OPT_RTT }, \
    { "interleave", no_argument, 0, OPT_INTERLEAVE }
#define CRAFT_COMMON_SHORTOPTS ":o:w:c:F:h"

/* When set, crafting commands hand their frames here instead of writing a
 * file: `pktcraft run` runs each statement of a script as a command and
 * collects the packets.  -o and --append are then refused, -F is the
 * run's, and craft_close() closes nothing. */
struct craft_sink {
    int format;                                     /* the run's PC_FORMAT_* */
    void (*open)(void *ctx, int linktype);          /* exits on a link type the run cannot mix */
    void (*write)(void *ctx, const struct pc_wpacket *p);
    void *ctx;
};
extern struct craft_sink *craft_sink;
/* Set by craft_finish_args: the command has parsed its options (a message
 * after that is about the statement, not the word getopt last read). */
extern bool craft_args_done;

/* Help text for the shared options, printed by every crafting command:
 * those that apply to its layers (CL_*), and the fields of those layers. */
void craft_help_common(unsigned layers);
/* Help for --reply-to/--rtt/--interleave; what: the command's reply. */
void craft_help_reply(const char *what);

void craft_init(struct craft *c);
/* Handle one getopt result if it is a shared option; false if not ours. */
bool craft_opt(struct craft *c, int opt, const char *arg, char **argv);
/* After parsing: check required options, seed the generator, open output.
 * layers: what the command builds (CL_*); an option or --set field that
 * applies to none of them is a usage error naming it and the command. */
void craft_finish_args(struct craft *c, unsigned layers);
/* The checks of craft_finish_args that keep to the command's layers and
 * to the output's timestamp resolution (cli/craft_scope.c). */
void craft_check_scope(const struct craft *c, unsigned layers);
/* A duration or time given by option opt that microsecond pcap cannot
 * hold (a part below the microsecond): a usage error suggesting
 * -F nsecpcap or pcapng. */
void craft_check_resolution(const struct craft *c, const char *opt, int64_t ns);
void craft_open(struct craft *c, int linktype);

/* Start packet i: Ethernet, VLAN tags, and (when ip) the IP header and any
 * IPv6 extension headers.  l4proto names the next layer for messages. */
void craft_begin(struct craft *c, struct pc_pkt *pk, uint8_t *buf, size_t cap, bool ip);
/* Push the --data/--data-file/--hex payload, if any. */
void craft_payload(struct craft *c, struct pc_pkt *pk);
/* Finalize, fragment if asked, write.  i is the packet number (0-based). */
void craft_finish(struct craft *c, struct pc_pkt *pk, uint64_t i);
void craft_close(struct craft *c);
/* Write one finished frame at ts, captured with at most snaplen bytes (0:
 * all), with pcapng epb_flags (0: none); exits on a write error. */
void craft_write_at(struct craft *c, const uint8_t *frame, size_t len, pc_time_ns ts, uint32_t snaplen, uint32_t flags);
/* A --set/--corrupt aimed at one packet (@N) that never met its layer. */
void craft_check_sets_at_end(struct craft *c);
/* C escapes (\n \r \t \0 \\ \xHH \NNN) of s into out (at most cap bytes):
 * the byte count; a usage error naming opt when bad or too long. */
size_t cli_unescape(const char *opt, const char *s, uint8_t *out, size_t cap);

/* Apply the --set/--corrupt overrides aimed at layer `layer` to spec;
 * called once for every layer of the packet, outermost first (it counts
 * them for LAYER[K].FIELD). */
void craft_apply(struct craft *c, const char *layer, void *spec);
/* Declare a layer the command pushes itself after craft_begin, in every
 * packet, of a kind craft_begin may push too (udp under VXLAN, the ip/ip6
 * and udp of a quoted datagram): ip[-1] and udp[-1] need the count before
 * the packet is built.  Once after parsing; kinds only the command pushes
 * (tcp, icmp, dns, ...) are one per packet without it. */
void craft_expect(struct craft *c, const char *layer);
/* Every LAYER[-K].FIELD of this packet met the layers craft_begin counted
 * (a command that forgot craft_expect would hit the wrong one): exits. */
void craft_check_layers(struct craft *c);

/* --set / --corrupt field table (cli/fields.c). */
const struct field_def *field_find(const char *name);
void field_parse_set(struct craft_set *s, const char *arg);     /* FIELD=VALUE */
void field_parse_corrupt(struct craft_set *s, const char *arg); /* FIELD */
bool field_apply(const struct craft_set *s, const char *layer, void *spec);
/* The fields of the layers in `layers` (CL_*), for --help. */
void field_help(unsigned layers);
const char *field_name(const struct field_def *f);
const char *field_layer(const struct field_def *f); /* the craft_apply layer name */
/* The name as the user wrote it: ip.ttl, or ip[1].ttl when indexed. */
const char *field_set_name(const struct craft_set *s, char *buf, size_t cap);

/* Per packet and bookkeeping (cli/bookkeep.c). */
/* Options of bookkeep.c: --step, --rate, --comment(-file), --reply-to,
 * --rtt, --interleave; false if opt is none of them. */
bool craft_bk_opt(struct craft *c, int opt, const char *arg);
/* --src/--dst (VF_SRC/VF_DST), --smac/--dmac: a set; the first value into out. */
void craft_addr_opt(struct craft *c, int field, const char *opt, const char *arg, uint8_t *out);
/* --sport/--dport: a set; returns its first value (a single port keeps
 * each command's behaviour: sport counts up from it with -c). */
uint16_t craft_port_opt(struct craft *c, int field, const char *opt, const char *arg);
/* The port of field VF_SPORT/VF_DPORT for the packet craft_begin started:
 * from its set when that varies, from the packet --reply-to answers
 * (swapped) when not given; -1: the command's own value. */
long craft_port(const struct craft *c, int field);
/* Load --reply-to's first packet now (ARP checks addresses before
 * craft_finish_args); idempotent, done by craft_finish_args anyway. */
void craft_reply_load(struct craft *c);
/* The packet being answered, or NULL without --reply-to. */
const struct craft_req *craft_req(const struct craft *c);
/* Conversation commands: one client and one server, refuse sets, --step,
 * --rate and --reply-to (cmd names the command). */
void craft_single_only(const struct craft *c);
/* Called by craft_finish_args / craft_begin / the writers / craft_close. */
void craft_bk_finish(struct craft *c);
void craft_bk_packet(struct craft *c);
pc_time_ns craft_bk_ts(struct craft *c);
const char *craft_bk_comment(const struct craft *c, uint32_t *len);
void craft_bk_flush(struct craft *c, pc_time_ns upto);
void craft_bk_close(struct craft *c);
/* The CL_* bit of a field's layer. */
unsigned field_layer_bit(const struct field_def *f);

/* Numbers and addresses shared by commands. */
int cli_parse_ip(const char *opt, const char *s, uint8_t out[16]); /* returns 4 or 6 */
void cli_parse_ipv6(const char *opt, const char *s, uint8_t out[16]);
size_t cli_parse_hex(const char *opt, const char *s, uint8_t *out, size_t cap);

#endif

/* The shared half of every crafting command: options, link and IP layers,
 * payload, overrides, fragmentation and capture output. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "capfile.h"
#include "craft.h"
#include "parse.h"
#include "pktcraft/wire/arp.h"
#include "pktcraft/wire/frag.h"
#include "pktcraft/wire/ipv6.h"
#include "pktcraft/wire/tunnel.h"
#include "pktcraft/wire/vlan.h"

struct craft_sink *craft_sink = NULL;
bool craft_args_done = false;

/* The Network and Payload parts of the shared help, for the layers a
 * command builds. */
static void help_net(unsigned layers)
{
    bool ip = layers & (CL_IP | CL_IP6), v4 = layers & CL_IP, v6 = layers & CL_IP6;
    if (!ip) return;
    printf("Network (shared by the IP commands):\n"
           "      --src ADDR, --dst ADDR  %s;\n"
           "                              or per packet: A-B, PREFIX/LEN (every address),\n"
           "                              a list a,b,c, random or random:PREFIX/LEN\n"
           "      --ttl N, --hop-limit N  TTL / hop limit (default 64)\n"
           "      --tos N, --tclass N     IPv4 TOS byte / IPv6 traffic class (default 0)\n",
           v4 && v6 ? "IPv4 or IPv6 addresses; the version follows them" : v4 ? "IPv4 addresses" : "IPv6 addresses");
    if (v6) printf("      --flowlabel N           IPv6 flow label (default 0)\n");
    if (v4)
        printf("      --ip-id N               IPv4 identification (default: from the seed)\n"
               "      --df                    set IPv4 Don't Fragment\n"
               "      --ip-opt SPEC           add an IPv4 option, repeatable, in order given (40\n"
               "                              bytes in all, EOL-padded): rr[:N] (record route, N\n"
               "                              slots, default 9), ts[:N] (timestamps, default 9),\n"
               "                              ts-addr[:N] (address+timestamp, default 4),\n"
               "                              ts-prespec:ADDR[,ADDR..], lsrr:ADDR[,ADDR..],\n"
               "                              ssrr:ADDR[,ADDR..] (--dst is the first hop, the list\n"
               "                              the hops after it, final destination last),\n"
               "                              ra[:VALUE] (router alert), nop, eol, raw:HEX\n");
    if (layers & CL_IP6EXT)
        printf("      --ipv6-ext SPEC         add an IPv6 extension header, in order given:\n"
               "                              hop[:HEX] dest[:HEX] (raw TLV options, padded),\n"
               "                              rt0:ADDR[,ADDR..] (--dst is the first hop),\n"
               "                              rt2:ADDR (the home address; --dst the care-of),\n"
               "                              srh:SEG[,SEG..] (SRH segment list, final destination\n"
               "                              first; --dst is the active segment, the last listed,\n"
               "                              and defaults to it),\n"
               "                              frag[:OFFSET[:M[:ID]]] (offset in 8-byte units)\n");
    printf("      --frag SIZE             split each datagram into fragments of SIZE\n"
           "                              payload bytes (a multiple of 8)\n"
           "      --frag-order in|reverse|random  fragment order (random uses --seed)\n"
           "      --frag-spec OFF:LEN[:MF][:hex:BYTES]  instead of --frag, one fragment of an\n"
           "                              explicit list, repeatable, written in order: OFF and\n"
           "                              LEN in bytes of the IP payload (OFF a multiple of\n"
           "                              8), MF 0 or 1 (default 1 unless it reaches the end),\n"
           "                              the datagram's bytes or hex ones (overlaps allowed;\n"
           "                              past the datagram's end only with hex)\n"
           "      --tunnel gre[:KEY] | vxlan:VNI  carry the packet in GRE (with a key) or in\n"
           "                              VXLAN over UDP 4789 (with an inner Ethernet header)\n"
           "      --outer-src ADDR, --outer-dst ADDR  the tunnel endpoints (IPv4 or IPv6)\n"
           "                              (--ttl, --tos, --ip-id, --df are the inner header's;\n"
           "                              the outer one's fields are --set ip[0].FIELD)\n");
}

void craft_help_common(unsigned layers)
{
    help_net(layers);
    if (layers & CL_DATA)
        printf("Payload:\n"
               "      --data STRING           payload with C escapes (\\n, \\x41, \\0, ...)\n"
               "      --data-file FILE        payload from a file\n"
               "      --hex HEX               payload from hex digits (one of the three)\n");
    printf("Link:\n"
           "      --smac MAC, --dmac MAC  Ethernet addresses (default 02:00:00:00:00:01 and\n"
           "                              02:00:00:00:00:02); a range, a list or random\n"
           "      --vlan ID[:PCP][,ID[:PCP]]  802.1Q tag, or two for QinQ (outer 802.1ad)\n"
           "      --pad                   zero-pad frames to the Ethernet minimum of 60 bytes\n"
           "Fields:\n"
           "      --set FIELD=VALUE       pin any field, computed ones too (0 included)\n"
           "      --corrupt FIELD         write a computed field's correct value made wrong\n"
           "                              (see FIELDS below)\n"
           "Output and timing:\n"
           "  -o, --output FILE           capture file ('-' for stdout; alias -w); required\n"
           "  -F pcap|nsecpcap|pcapng     capture format (default pcap, microseconds: a\n"
           "                              --start or --gap finer than 1us needs another)\n"
           "      --comment TEXT          a comment on every packet (pcapng); repeated: the\n"
           "                              k-th on the k-th packet, none after the last\n"
           "      --comment-file FILE     one comment per line, per packet (pcapng)\n"
           "      --interface NAME        the interface name recorded (pcapng if_name)\n"
           "      --append                add to an existing capture of the same format,\n"
           "                              --gap after its last packet unless --start\n"
           "  -c, --count N               packets to craft (default 1, or the product of\n"
           "                              the sizes of the sets given)\n"
           "      --step sequential|random  sets walked like an odometer (dport fastest,\n"
           "                              then sport, dst, src) or drawn (default sequential)\n"
           "      --start TIME            first timestamp: epoch seconds with a fraction, or\n"
           "                              ISO 8601 UTC like 2024-01-01T00:00:00.5Z (default now)\n"
           "      --gap DURATION          time between frames: 10ns, 250us, 1ms, 2s (default 1ms)\n"
           "      --rate PPS              packets per second instead of --gap (no drift)\n"
           "      --seed N                seed for every value not given (default: a hash\n"
           "                              of the arguments, -o left out)\n"
           "  -h, --help                  show this help\n\n");
    field_help(layers);
}

void craft_help_reply(const char *what)
{
    printf("Replies:\n"
           "      --reply-to FILE[:N|:A-B|:all]  the reply to packet N (default 1) of FILE, or to\n"
           "                              each packet it can answer: addresses, ports, MACs\n"
           "                              swapped, VLAN tags copied; %s\n"
           "      --rtt DURATION          reply time after the packet's (default 1ms)\n"
           "      --interleave            write FILE's packets and the replies together\n",
           what);
}

void craft_init(struct craft *c)
{
    memset(c, 0, sizeof *c);
    c->format = PC_FORMAT_PCAP_US;
    c->count = 1;
    c->start = -1;
    c->gap = 1000000;
    c->seed = 1;
    c->ttl = -1;
    c->ipid = -1;
    memcpy(c->smac, (uint8_t[6]){ 0x02, 0, 0, 0, 0, 0x01 }, 6);
    memcpy(c->dmac, (uint8_t[6]){ 0x02, 0, 0, 0, 0, 0x02 }, 6);
}

/* Exiting wrappers over the pure parsers of cli/parse.c. */
int cli_parse_ip(const char *opt, const char *s, uint8_t out[16])
{
    char err[512];
    int v = cli_try_ip(opt, s, out, err, sizeof err);
    if (v < 0) cli_usage_error("%s", err);
    return v;
}

void cli_parse_ipv6(const char *opt, const char *s, uint8_t out[16])
{
    char err[512];
    if (cli_try_ipv6(opt, s, out, err, sizeof err) < 0) cli_usage_error("%s", err);
}

size_t cli_parse_hex(const char *opt, const char *s, uint8_t *out, size_t cap)
{
    char err[512];
    size_t n = 0;
    if (cli_try_hex(opt, s, out, cap, &n, err, sizeof err) < 0) cli_usage_error("%s", err);
    return n;
}

static uint8_t *payload_buf(struct craft *c)
{
    if (!c->payload && !(c->payload = malloc(CRAFT_MAX_PAYLOAD))) cli_runtime_error("out of memory");
    c->have_payload = true;
    return c->payload;
}

/* C escapes: \n \r \t \0 \\ \xHH \NNN (octal). */
size_t cli_unescape(const char *opt, const char *s, uint8_t *p, size_t cap)
{
    size_t n = 0;
    while (*s) {
        if (n == cap) cli_usage_error("%s: longer than %zu bytes", opt, cap);
        if (*s != '\\') { p[n++] = (uint8_t)*s++; continue; }
        s++;
        char *end;
        switch (*s) {
        case 'n': p[n++] = '\n'; s++; break;
        case 'r': p[n++] = '\r'; s++; break;
        case 't': p[n++] = '\t'; s++; break;
        case '\\': p[n++] = '\\'; s++; break;
        case 'x': {
            char hex[3] = { s[1], s[1] ? s[2] : 0, 0 };
            p[n++] = (uint8_t)strtoul(hex, &end, 16);
            if (end == hex) cli_usage_error("%s: bad \\x escape", opt);
            s += 1 + (end - hex);
            break;
        }
        default:
            if (*s >= '0' && *s <= '7') {
                char oct[4] = { s[0], 0, 0, 0 };
                for (int k = 1; k < 3 && s[k] >= '0' && s[k] <= '7'; k++) oct[k] = s[k];
                p[n++] = (uint8_t)strtoul(oct, NULL, 8);
                s += strlen(oct);
            } else {
                cli_usage_error("%s: unknown escape '\\%c'", opt, *s ? *s : '?');
            }
        }
    }
    return n;
}

static void parse_data(struct craft *c, const char *s)
{
    c->plen = cli_unescape("--data", s, payload_buf(c), CRAFT_MAX_PAYLOAD);
}

static void parse_data_file(struct craft *c, const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) cli_runtime_error("--data-file: %s: %s", path, strerror(errno));
    uint8_t *p = payload_buf(c);
    c->plen = fread(p, 1, CRAFT_MAX_PAYLOAD, f);
    int more = fgetc(f) != EOF;
    fclose(f);
    if (more) cli_usage_error("--data-file: %s is larger than %d bytes", path, CRAFT_MAX_PAYLOAD);
}

static void parse_vlan(struct craft *c, const char *arg)
{
    char buf[64];
    snprintf(buf, sizeof buf, "%s", arg);
    c->nvlan = 0;
    for (char *save = NULL, *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
        if (c->nvlan == 2) cli_usage_error("--vlan: at most two tags (QinQ)");
        char *colon = strchr(t, ':');
        if (colon) *colon = 0;
        c->vlan[c->nvlan].vid = (uint16_t)cli_parse_uint("--vlan", t, 4095);
        c->vlan[c->nvlan].pcp = colon ? (uint8_t)cli_parse_uint("--vlan", colon + 1, 7) : 0;
        c->nvlan++;
    }
    if (!c->nvlan) cli_usage_error("--vlan: needs an id like 100 or 100,200");
}

/* --ipv6-ext KIND[:ARGS]: see craft_help_common. */
static void parse_ext(struct craft *c, const char *arg)
{
    if (c->next == CRAFT_MAX_EXT) cli_usage_error("--ipv6-ext: at most %d extension headers", CRAFT_MAX_EXT);
    struct craft_ext *e = &c->ext[c->next++];
    memset(e, 0, sizeof *e);
    char kind[16];
    const char *rest = strchr(arg, ':');
    snprintf(kind, sizeof kind, "%.*s", rest ? (int)(rest - arg) : (int)strlen(arg), arg);
    rest = rest ? rest + 1 : "";
    struct pc_ip6ext *s = &e->spec;
    if (!strcmp(kind, "hop") || !strcmp(kind, "dest")) {
        s->type = kind[0] == 'h' ? PC_P_IP6_HOP : PC_P_IP6_DEST;
        s->optlen = cli_parse_hex("--ipv6-ext", rest, e->opts, sizeof e->opts);
        s->opts = e->opts;
    } else if (!strcmp(kind, "rt0") || !strcmp(kind, "rt2") || !strcmp(kind, "srh")) {
        s->type = PC_P_IP6_ROUTING;
        s->rtype = kind[1] == 't' ? (uint8_t)(kind[2] - '0') : PC_IP6_RT_SRH;
        char buf[1024];
        snprintf(buf, sizeof buf, "%s", rest);
        for (char *save = NULL, *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
            if (s->naddrs == 8) cli_usage_error("--ipv6-ext: at most 8 addresses");
            cli_parse_ipv6("--ipv6-ext", t, e->addrs[s->naddrs++]);
        }
        if (!s->naddrs) cli_usage_error("--ipv6-ext: %s needs at least one address", kind);
        s->addrs = (const uint8_t(*)[16])e->addrs;
        s->segleft = (uint8_t)(s->rtype == PC_IP6_RT_SRH ? s->naddrs - 1 : s->naddrs);
    } else if (!strcmp(kind, "frag")) {
        s->type = PC_P_IP6_FRAG;
        uint64_t v[3] = { 0, 0, 0 };
        char buf[128];
        snprintf(buf, sizeof buf, "%s", rest);
        char *save = NULL, *tok = *buf ? strtok_r(buf, ":", &save) : NULL;
        for (int k = 0; tok; k++, tok = strtok_r(NULL, ":", &save)) {
            if (k == 3) cli_usage_error("--ipv6-ext: frag[:OFFSET[:M[:ID]]]");
            v[k] = cli_parse_uint("--ipv6-ext frag", tok, k == 2 ? UINT32_MAX : UINT64_MAX);
        }
        unsigned long off = (unsigned long)v[0], m = (unsigned long)v[1], id = (unsigned long)v[2];
        if (off > 0x1FFF) cli_usage_error("--ipv6-ext: fragment offset over 8191");
        s->frag_off = (uint16_t)off;
        s->m = m ? 1 : 0;
        s->ident = (uint32_t)id;
    } else {
        cli_usage_error("--ipv6-ext: '%s' is not hop, dest, rt0, rt2, srh or frag", kind);
    }
}

static void add_set(struct craft *c, const char *arg, bool corrupt)
{
    if (c->nsets == CRAFT_MAX_SETS) cli_usage_error("at most %d --set/--corrupt", CRAFT_MAX_SETS);
    struct craft_set *s = &c->sets[c->nsets++];
    /* FIELD=VALUE@N / FIELD@N: packet N only */
    char buf[512];
    snprintf(buf, sizeof buf, "%s", arg);
    char *at = strrchr(buf, '@');
    uint64_t pkt = 0;
    if (at) {
        *at = 0;
        pkt = cli_parse_uint(corrupt ? "--corrupt" : "--set", at + 1, UINT32_MAX);
        if (!pkt) cli_usage_error("%s: packet numbers start at 1", corrupt ? "--corrupt" : "--set");
    }
    if (corrupt) field_parse_corrupt(s, buf);
    else field_parse_set(s, buf);
    s->pkt = pkt;
}

/* out holds the first value of the set craft_addr_opt parsed. */
static void set_addr(struct craft *c, int field, const char *opt, const uint8_t *out, bool *have)
{
    int v = c->vary.f[field].ver;
    /* a plain 'random' takes the other address's version */
    struct vary_set *other = &c->vary.f[field == VF_SRC ? VF_DST : VF_SRC];
    if (c->ipver && c->ipver != v && vary_random_to_v6(&c->vary.f[field])) v = 6;
    else if (c->ipver && c->ipver != v && vary_random_to_v6(other)) c->ipver = 6;
    if (c->ipver && c->ipver != v) {
        char txt[64];
        inet_ntop(v == 4 ? AF_INET : AF_INET6, out, txt, sizeof txt);
        cli_usage_error("%s: %s is IPv%d but the other address is IPv%d", opt, txt, v, c->ipver);
    }
    c->ipver = v;
    *have = true;
}

static void parse_tunnel(struct craft *c, const char *arg)
{
    const char *colon = strchr(arg, ':');
    size_t kl = colon ? (size_t)(colon - arg) : strlen(arg);
    if (kl == 3 && !strncmp(arg, "gre", 3)) {
        c->tunnel = 1;
        if (colon) { c->tunnel_id = (uint32_t)cli_parse_uint("--tunnel", colon + 1, UINT32_MAX); c->tunnel_key = true; }
    } else if (kl == 5 && !strncmp(arg, "vxlan", 5) && colon) {
        c->tunnel = 2;
        c->tunnel_id = (uint32_t)cli_parse_uint("--tunnel", colon + 1, 0xFFFFFF);
    } else {
        cli_usage_error("--tunnel: '%s' is not gre, gre:KEY or vxlan:VNI", arg);
    }
}

static void set_outer(struct craft *c, const char *opt, const char *arg, uint8_t *out, bool *have)
{
    int v = cli_parse_ip(opt, arg, out);
    if (c->outer_ver && c->outer_ver != v) cli_usage_error("%s: %s is IPv%d but the other tunnel endpoint is IPv%d", opt, arg, v, c->outer_ver);
    c->outer_ver = v;
    *have = true;
}

static bool net_opt(struct craft *c, int opt, const char *arg)
{
    switch (opt) {
    case OPT_SRC: craft_addr_opt(c, VF_SRC, "--src", arg, c->src); set_addr(c, VF_SRC, "--src", c->src, &c->have_src); return true;
    case OPT_DST: craft_addr_opt(c, VF_DST, "--dst", arg, c->dst); set_addr(c, VF_DST, "--dst", c->dst, &c->have_dst); return true;
    case OPT_VLAN: parse_vlan(c, arg); return true;
    case OPT_TTL: c->ttl = (int)cli_parse_uint("--ttl", arg, 255); return true;
    case OPT_IPID: c->ipid = (long)cli_parse_uint("--ip-id", arg, 65535); return true;
    case OPT_TOS: c->tos = (int)cli_parse_uint("--tos", arg, 255); return true;
    case OPT_FLOWLABEL: c->flowlabel = (uint32_t)cli_parse_uint("--flowlabel", arg, 0xFFFFF); return true;
    case OPT_DF: c->df = true; return true;
    case OPT_IPV6EXT: parse_ext(c, arg); return true;
    case OPT_FRAG:
        c->frag = (uint32_t)cli_parse_uint("--frag", arg, 65528);
        if (!c->frag || c->frag % 8) cli_usage_error("--frag: %s is not a positive multiple of 8", arg);
        return true;
    case OPT_FRAGORDER:
        if (!strcmp(arg, "in")) c->frag_order = PC_FRAG_IN_ORDER;
        else if (!strcmp(arg, "reverse")) c->frag_order = PC_FRAG_REVERSED;
        else if (!strcmp(arg, "random")) c->frag_order = PC_FRAG_SHUFFLED;
        else cli_usage_error("--frag-order: '%s' is not in, reverse or random", arg);
        c->ipx.frag_order_given = true;
        return true;
    case OPT_FRAGSPEC: craft_frag_spec(c, arg); return true;
    case OPT_IPOPT: craft_ip_opt(c, arg); return true;
    case OPT_DATA: craft_payload_source(c, "--data"); parse_data(c, arg); return true;
    case OPT_DATAFILE: craft_payload_source(c, "--data-file"); parse_data_file(c, arg); return true;
    case OPT_HEX:
        craft_payload_source(c, "--hex");
        c->plen = cli_parse_hex("--hex", arg, payload_buf(c), CRAFT_MAX_PAYLOAD);
        return true;
    case OPT_SET: add_set(c, arg, false); return true;
    case OPT_CORRUPT: add_set(c, arg, true); return true;
    case OPT_PAD: c->pad = true; return true;
    case OPT_TUNNEL: parse_tunnel(c, arg); return true;
    case OPT_OUTER_SRC: set_outer(c, "--outer-src", arg, c->outer_src, &c->have_outer_src); return true;
    case OPT_OUTER_DST: set_outer(c, "--outer-dst", arg, c->outer_dst, &c->have_outer_dst); return true;
    default: return false;
    }
}

bool craft_opt(struct craft *c, int opt, const char *arg, char **argv)
{
    if (!c->argv) c->argv = argv;
    /* remembered so that craft_finish_args can refuse what does not apply */
    if (opt >= OPT_START && opt < OPT_COMMON_END) c->given |= UINT64_C(1) << (opt - OPT_START);
    switch (opt) {
    case 'o': case 'w': c->out = arg; return true;
    case 'F': c->format = cli_parse_format("-F", arg); return true;
    case OPT_COMMENT: case OPT_COMMENT_FILE: case OPT_STEP: case OPT_RATE: case OPT_REPLY_TO: case OPT_RTT:
    case OPT_INTERLEAVE:
        return craft_bk_opt(c, opt, arg);
    case OPT_IFNAME: c->ifname = arg; return true;
    case 'c':
        c->count = cli_parse_uint("--count", arg, UINT64_C(1) << 40);
        if (!c->count) cli_usage_error("--count: must be at least 1");
        c->count_given = true;
        return true;
    case OPT_START: c->start = cli_parse_time("--start", arg); c->start_given = true; return true;
    case OPT_GAP: c->gap = cli_parse_duration("--gap", arg); c->gap_given = true; return true;
    case OPT_SEED: c->seed = cli_parse_uint("--seed", arg, UINT64_MAX); c->seed_given = true; return true;
    case OPT_APPEND: c->append = true; return true;
    case OPT_SMAC: craft_addr_opt(c, VF_SMAC, "--smac", arg, c->smac); return true;
    case OPT_DMAC: craft_addr_opt(c, VF_DMAC, "--dmac", arg, c->dmac); c->dmac_given = true; return true;
    case '?': case ':': cli_bad_option(opt, argv);
    default: return net_opt(c, opt, arg);
    }
}

void craft_finish_args(struct craft *c, unsigned layers)
{
    if (layers < CL_ETH) cli_runtime_error("internal: craft_finish_args without the command's layers");
    craft_args_done = true;
    static const char sink_out[] = "(run)";
    if (craft_sink) { /* some commands check their options twice */
        if ((c->out && c->out != sink_out) || c->append)
            cli_usage_error("-o and --append belong to the run, not to a statement");
        c->out = sink_out;
        c->format = craft_sink->format;
    }
    craft_check_scope(c, layers);
    bool need_ip = layers & (CL_IP | CL_IP6);
    craft_bk_finish(c); /* --reply-to's addresses, the count of the sets, the seed, --append's start */
    craft_ip_finish_args(c, need_ip); /* before the checks below: an SRH can give --dst */
    if (need_ip && !c->have_src) cli_usage_error("--src is required");
    if (need_ip && !c->have_dst) cli_usage_error("--dst is required");
    if (!c->out) cli_usage_error("-o FILE is required ('-' writes to stdout)");
    if (c->next && c->ipver != 6) cli_usage_error("--ipv6-ext needs IPv6 addresses");
    if (c->df && c->ipver == 6) cli_usage_error("--df applies to IPv4 only");
    if (c->flowlabel && c->ipver == 4) cli_usage_error("--flowlabel applies to IPv6 only");
    if (c->ipid >= 0 && c->ipver == 6) cli_usage_error("--ip-id applies to IPv4 only (use --ipv6-ext frag:0:0:ID)");
    if (c->frag && !need_ip) cli_usage_error("--frag needs an IP packet");
    if (c->tunnel && !need_ip) cli_usage_error("--tunnel needs an IP packet");
    if (c->tunnel && (!c->have_outer_src || !c->have_outer_dst))
        cli_usage_error("--tunnel needs --outer-src and --outer-dst (the tunnel endpoints)");
    if (!c->tunnel && (c->have_outer_src || c->have_outer_dst)) cli_usage_error("--outer-src/--outer-dst go with --tunnel");
    if ((c->comment || c->ifname) && c->format != PC_FORMAT_PCAPNG)
        cli_usage_error("--comment and --interface need -F pcapng (pcap cannot hold them)");
    /* microsecond pcap would silently write equal or cut timestamps (a
     * --rate's instants are cut, but stay apart up to 1,000,000 a second) */
    if (c->gap_given) craft_check_resolution(c, "--gap", c->gap);
    if (c->start_given) craft_check_resolution(c, "--start", c->start);
    if (c->rate > 1000000 && c->format == PC_FORMAT_PCAP_US)
        cli_usage_error("--rate: over 1000000 a second, packets share a microsecond of -F pcap (use -F nsecpcap "
                        "or -F pcapng)");
    if (c->start < 0) c->start = cli_now();
    pc_rng_seed(&c->rng, c->seed);
}

void craft_open(struct craft *c, int linktype)
{
    if (craft_sink) {
        craft_sink->open(craft_sink->ctx, linktype);
        return;
    }
    struct pc_err err = { 0 };
    struct pc_writer_opts o = { .linktype = linktype, .snaplen = 262144, .format = c->format, .append = c->append,
                                .if_name = c->ifname };
    c->w = pc_writer_open(c->out, &o, &err);
    if (!c->w) cli_runtime_error("%s", err.msg);
}

/* Layer kinds as craft_apply names them, for LAYER[K].FIELD: those before
 * K_OWN craft_begin may push itself (and counts in count_layers); the rest
 * only a command pushes, one per packet unless it says more (craft_expect). */
static const char *const kinds[] = { "eth", "vlan", "ip", "ip6", "ip6ext", "gre", "vxlan", "udp",
                                     "tcp", "icmp", "icmp6", "arp", "dns" };
enum { K_ETH, K_VLAN, K_IP, K_IP6, K_IP6EXT, K_GRE, K_VXLAN, K_UDP, K_OWN, NKINDS = sizeof kinds / sizeof kinds[0] };
_Static_assert(NKINDS <= CRAFT_KINDS, "struct craft counts at most CRAFT_KINDS layer kinds");

/* -1 for a layer name not in kinds: its indexed fields never match, so
 * they are refused as unused rather than applied to the wrong layer. */
static int kind_of(const char *layer)
{
    for (int k = 0; k < NKINDS; k++)
        if (!strcmp(kinds[k], layer)) return k;
    return -1;
}

void craft_expect(struct craft *c, const char *layer)
{
    int k = kind_of(layer);
    if (k >= 0 && c->expect[k] < UINT8_MAX) c->expect[k]++;
}

static int layers_of(const struct craft *c, int kind)
{
    if (kind < 0 || kind >= NKINDS) return 0;
    return kind >= K_OWN && !c->expect[kind] ? 1 : c->total[kind];
}

/* The layers of each kind the packet craft_begin starts will have: its
 * own (link, tunnel, IP) and those the command declared. */
static void count_layers(struct craft *c, bool ip)
{
    memset(c->seen, 0, sizeof c->seen);
    memcpy(c->total, c->expect, sizeof c->total);
    c->total[K_ETH]++;
    c->total[K_VLAN] = (uint8_t)(c->total[K_VLAN] + c->nvlan);
    if (!ip) return;
    if (c->tunnel) {
        c->total[c->outer_ver == 4 ? K_IP : K_IP6]++;
        c->total[c->tunnel == 1 ? K_GRE : K_VXLAN]++;
        if (c->tunnel == 2) { c->total[K_UDP]++; c->total[K_ETH]++; }
    }
    c->total[c->ipver == 4 ? K_IP : K_IP6]++;
    if (c->ipver == 6) c->total[K_IP6EXT] = (uint8_t)(c->total[K_IP6EXT] + c->next);
}

/* Does set s (of the layer kind just met, the nth of the packet) aim at
 * this one?  Unindexed: every one. */
static bool at_index(const struct craft *c, const struct craft_set *s, int kind, int nth)
{
    if (!s->indexed) return true;
    if (kind < 0) return false;
    return s->idx >= 0 ? s->idx == nth : layers_of(c, kind) + s->idx == nth;
}

void craft_apply(struct craft *c, const char *layer, void *spec)
{
    /* Layer counts serve only indexed sets: with no --set/--corrupt there
     * is nothing to count or apply (the common case of a flood). */
    if (!c->nsets) return;
    int kind = kind_of(layer), nth = -1;
    if (kind >= 0) {
        nth = c->seen[kind];
        if (c->seen[kind] < UINT8_MAX) c->seen[kind]++;
    }
    for (int k = 0; k < c->nsets; k++) {
        if (c->sets[k].pkt && c->sets[k].pkt != c->cur_pkt) continue;
        if (!at_index(c, &c->sets[k], kind, nth)) continue;
        if (field_apply(&c->sets[k], layer, spec)) c->sets[k].used = true;
    }
}

void craft_check_layers(struct craft *c)
{
    if (!c->nsets) return;
    for (int k = 0; k < c->nsets; k++) {
        const struct craft_set *s = &c->sets[k];
        int kind = kind_of(field_layer(s->f));
        if (!s->indexed || s->idx >= 0 || kind < 0 || kind >= K_OWN || c->seen[kind] == c->total[kind]) continue;
        char nm[80];
        pc_writer_abort(c->w);
        cli_runtime_error("%s %s: packet %llu has %d %s layers where %d were counted before building it (a bug)",
                          s->mode == PC_FCORRUPT ? "--corrupt" : "--set", field_set_name(s, nm, sizeof nm),
                          (unsigned long long)c->cur_pkt, c->seen[kind], kinds[kind], c->total[kind]);
    }
}

/* The reason an unused set found nothing: how many layers of its kind the
 * packet has, when the index went past them. */
static void no_layer(const struct craft *c, const struct craft_set *s, const char *what)
{
    char nm[80];
    const char *opt = s->mode == PC_FCORRUPT ? "--corrupt" : "--set";
    int kind = kind_of(field_layer(s->f)), n = kind < 0 ? 0 : c->seen[kind];
    if (!s->indexed || !n) cli_usage_error("%s %s: %s has no such layer", opt, field_set_name(s, nm, sizeof nm), what);
    const char *k = kinds[kind];
    if (n == 1) cli_usage_error("%s %s: %s has 1 %s layer (%s[0], or %s[-1])", opt, field_set_name(s, nm, sizeof nm), what, k, k, k);
    cli_usage_error("%s %s: %s has %d %s layers (%s[0] to %s[%d], or %s[-%d] to %s[-1])", opt,
                    field_set_name(s, nm, sizeof nm), what, n, k, k, k, n - 1, k, n, k);
}

/* A --set for a layer this packet does not have would silently do nothing. */
static void check_sets_used(struct craft *c)
{
    for (int k = 0; k < c->nsets; k++) {
        if (c->sets[k].used || c->sets[k].pkt) continue;
        pc_writer_abort(c->w);
        no_layer(c, &c->sets[k], "this packet");
    }
}

void craft_check_sets_at_end(struct craft *c)
{
    char nm[80];
    for (int k = 0; k < c->nsets; k++) {
        if (c->sets[k].used) continue;
        pc_writer_abort(c->w);
        if (!c->sets[k].pkt)
            cli_usage_error("%s %s: no packet has this layer", c->sets[k].mode == PC_FCORRUPT ? "--corrupt" : "--set",
                            field_set_name(&c->sets[k], nm, sizeof nm));
        cli_usage_error("%s %s@%llu: packet %llu has no such layer (or there is no packet %llu)",
                        c->sets[k].mode == PC_FCORRUPT ? "--corrupt" : "--set", field_set_name(&c->sets[k], nm, sizeof nm),
                        (unsigned long long)c->sets[k].pkt, (unsigned long long)c->sets[k].pkt,
                        (unsigned long long)c->sets[k].pkt);
    }
}

/* The outer IP header and the tunnel header before the inner packet; each
 * layer takes its --set/--corrupt (ip[0].ttl, udp[0].sport, eth[1].src). */
static void push_tunnel(struct craft *c, struct pc_pkt *pk, uint16_t r_id)
{
    if (c->outer_ver == 4) {
        struct pc_ipv4 ip = { .ttl = 64, .id = (uint16_t)(r_id ^ 0x5555) };
        memcpy(ip.src, c->outer_src, 4);
        memcpy(ip.dst, c->outer_dst, 4);
        craft_apply(c, "ip", &ip);
        pc_push_ipv4(pk, &ip);
    } else {
        struct pc_ipv6 ip6 = { .hlim = 64 };
        memcpy(ip6.src, c->outer_src, 16);
        memcpy(ip6.dst, c->outer_dst, 16);
        craft_apply(c, "ip6", &ip6);
        pc_push_ipv6(pk, &ip6);
    }
    if (c->tunnel == 1) {
        struct pc_gre g = { .has_key = c->tunnel_key, .key = c->tunnel_id };
        craft_apply(c, "gre", &g);
        pc_push_gre(pk, &g);
        return;
    }
    /* VXLAN: a source port from the inner flow, as RFC 7348 5 suggests */
    struct pc_udp u = { .sport = (uint16_t)(49152 + r_id % 16384), .dport = 4789 };
    craft_apply(c, "udp", &u);
    pc_push_udp(pk, &u);
    struct pc_vxlan x = { .vni = c->tunnel_id };
    craft_apply(c, "vxlan", &x);
    pc_push_vxlan(pk, &x);
    struct pc_eth inner = { .dst = { 0x02, 0, 0, 0, 1, 2 }, .src = { 0x02, 0, 0, 0, 1, 1 } };
    craft_apply(c, "eth", &inner);
    pc_push_eth(pk, &inner);
}

static void push_ip(struct craft *c, struct pc_pkt *pk, uint16_t r_id)
{
    if (c->tunnel) push_tunnel(c, pk, r_id);
    if (c->ipver == 4) {
        struct pc_ipv4 ip = { .tos = (uint8_t)c->tos, .ttl = (uint8_t)(c->ttl < 0 ? 64 : c->ttl),
                              .flags = c->df ? PC_IP_DF : 0, .id = c->ipid >= 0 ? (uint16_t)c->ipid : r_id };
        memcpy(ip.src, c->src, 4);
        memcpy(ip.dst, c->dst, 4);
        ip.opts = c->ipx.opts;
        ip.optlen = c->ipx.optlen;
        craft_apply(c, "ip", &ip);
        if (c->corrupt_ipcsum) ip.csum = PC_CORRUPT;
        pc_push_ipv4(pk, &ip);
        return;
    }
    struct pc_ipv6 ip6 = { .tclass = (uint8_t)c->tos, .flowlabel = c->flowlabel,
                           .hlim = (uint8_t)(c->ttl < 0 ? 64 : c->ttl) };
    memcpy(ip6.src, c->src, 16);
    memcpy(ip6.dst, c->dst, 16);
    craft_apply(c, "ip6", &ip6);
    pc_push_ipv6(pk, &ip6);
    for (int k = 0; k < c->next; k++) {
        struct pc_ip6ext e = c->ext[k].spec;
        craft_apply(c, "ip6ext", &e);
        pc_push_ip6ext(pk, &e);
    }
}

void craft_begin(struct craft *c, struct pc_pkt *pk, uint8_t *buf, size_t cap, bool ip)
{
    /* Drawn for every packet, used or not, so that other options never
     * shift the seeded values. */
    uint16_t r_id = (uint16_t)pc_rng_next(&c->rng);
    if (!c->numbered) c->cur_pkt++;
    craft_bk_packet(c); /* this packet's values of the sets and of --reply-to */
    if (c->nsets) count_layers(c, ip); /* only indexed sets read the counts */
    pc_pkt_init(pk, buf, cap);
    struct pc_eth eth = { .pad = c->pad };
    memcpy(eth.dst, c->dmac, 6);
    memcpy(eth.src, c->smac, 6);
    craft_apply(c, "eth", &eth);
    pc_push_eth(pk, &eth);
    for (int k = 0; k < c->nvlan; k++) {
        struct pc_vlan v = { .vid = c->vlan[k].vid, .pcp = c->vlan[k].pcp,
                             .tpid = (c->nvlan == 2 && k == 0) ? 0x88A8 : 0 };
        craft_apply(c, "vlan", &v);
        pc_push_vlan(pk, &v);
    }
    if (ip) push_ip(c, pk, r_id);
}

void craft_payload(struct craft *c, struct pc_pkt *pk)
{
    if (c->plen) pc_push_payload(pk, c->payload, c->plen);
}

static void write_frame(struct craft *c, const uint8_t *frame, size_t len)
{
    craft_write_at(c, frame, len, craft_bk_ts(c), 0, 0);
}

void craft_write_at(struct craft *c, const uint8_t *frame, size_t len, pc_time_ns ts, uint32_t snaplen, uint32_t flags)
{
    uint32_t cap = snaplen && snaplen < len ? snaplen : (uint32_t)len;
    craft_bk_flush(c, ts); /* --interleave: the captured packets up to ts first */
    struct pc_wpacket p = { .ts = ts, .data = frame, .caplen = cap, .len = (uint32_t)len,
                            .flags = c->format == PC_FORMAT_PCAPNG ? flags : 0 };
    p.comment = craft_bk_comment(c, &p.comment_len);
    if (craft_sink) {
        craft_sink->write(craft_sink->ctx, &p);
        c->frames++;
        return;
    }
    int rc = pc_writer_write_ex(c->w, &p);
    if (rc < 0) {
        const struct pc_err *e = pc_writer_err(c->w);
        char msg[sizeof e->msg];
        snprintf(msg, sizeof msg, "%s", e->code ? e->msg : pc_strerror(rc));
        pc_writer_abort(c->w);
        cli_runtime_error("frame %llu: %s", (unsigned long long)c->frames + 1, msg);
    }
    c->frames++;
}

static int frag_cb(void *ctx, const uint8_t *frag, size_t len)
{
    write_frame(ctx, frag, len);
    return 0;
}

static const char *build_hint(int rc)
{
    switch (rc) {
    case PC_EINVAL: return " (a next-protocol field cannot be inferred, or a value is out of range: pin it with --set)";
    case PC_ELIMIT: return " (the packet is larger than its length fields can express)";
    case PC_ENOSPC: return " (the packet is too large)";
    default: return "";
    }
}

void craft_finish(struct craft *c, struct pc_pkt *pk, uint64_t i)
{
    craft_check_layers(c);
    if (i == 0) check_sets_used(c);
    int len = pc_pkt_finalize(pk);
    if (len < 0) {
        pc_writer_abort(c->w);
        cli_runtime_error("cannot build packet %llu: %s%s", (unsigned long long)i + 1, pc_strerror(len), build_hint(len));
    }
    if (c->ipx.npieces) { craft_frag_spec_emit(c, pk->buf, (size_t)len, i, frag_cb); return; }
    if (!c->frag) { write_frame(c, pk->buf, (size_t)len); return; }
    static uint8_t scratch[CRAFT_FRAME_CAP];
    struct pc_frag_opts o = { .size = c->frag, .order = c->frag_order, .seed = c->seed + i,
                              .ident = (uint32_t)pc_rng_next(&c->rng), .buf = scratch, .cap = sizeof scratch };
    int rc = pc_fragment(pk->buf, (size_t)len, PC_LINK_ETHERNET, &o, frag_cb, c);
    if (rc < 0) {
        pc_writer_abort(c->w);
        cli_runtime_error("cannot fragment packet %llu: %s", (unsigned long long)i + 1, pc_strerror(rc));
    }
}

void craft_close(struct craft *c)
{
    craft_check_sets_at_end(c);
    craft_bk_close(c);
    struct pc_err err = { 0 };
    if (!craft_sink && pc_writer_close(c->w, &err) < 0) cli_runtime_error("%s", err.msg);
    c->w = NULL;
    free(c->payload);
    c->payload = NULL;
    craft_ip_free(c);
}

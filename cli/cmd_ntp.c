/* pktcraft ntp: an NTP client request (mode 3) and the server's response
 * (mode 4), RFC 5905, as a UDP conversation (cli/conv.h).  The server's
 * timestamps come from the same virtual clock that stamps the capture, so
 * that without faults they agree with it exactly: the request's transmit
 * timestamp is its capture time, the server receives it one one-way delay
 * later (plus --offset, the error of the server's clock) and answers
 * after --processing. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "conv.h"
#include "parse.h"
#include "pktcraft/wire/ntp.h"

enum {
    O_VERSION = CONV_OPT_END, O_STRATUM, O_REFID, O_POLL, O_PRECISION, O_LEAP, O_ROOT_DELAY, O_ROOT_DISP, O_OFFSET,
    O_PROCESSING,
};

static const struct option longopts[] = {
    CRAFT_COMMON_LONGOPTS,
    CONV_LONGOPTS,
    { "version", required_argument, 0, O_VERSION }, { "ntp-version", required_argument, 0, O_VERSION },
    { "stratum", required_argument, 0, O_STRATUM }, { "refid", required_argument, 0, O_REFID },
    { "poll", required_argument, 0, O_POLL }, { "precision", required_argument, 0, O_PRECISION },
    { "leap", required_argument, 0, O_LEAP }, { "root-delay", required_argument, 0, O_ROOT_DELAY },
    { "root-disp", required_argument, 0, O_ROOT_DISP }, { "offset", required_argument, 0, O_OFFSET },
    { "processing", required_argument, 0, O_PROCESSING },
    { 0, 0, 0, 0 },
};

struct ntp_args {
    struct conv_cli v;
    uint8_t version, stratum, leap;
    int8_t poll, precision;
    uint8_t refid[4];
    bool refid_given;
    int64_t root_delay, root_disp;  /* ns; -1: the stratum's default */
    int64_t offset, processing;     /* ns */
    bool processing_given;
    /* the exchange as the script says it happens */
    pc_time_ns t1, t2, t3, t4, ref;
    struct pc_ntp req, resp;
};

static void help(void)
{
    printf("Usage: pktcraft ntp --src CLIENT --dst SERVER -o FILE [OPTIONS]\n\n"
           "Write an NTP exchange (RFC 5905) over UDP port 123: the client's request\n"
           "(mode 3) and the server's response (mode 4).  The timestamps follow the\n"
           "capture's clock: the request's transmit time is its capture time, the\n"
           "server receives it half an RTT later and answers after --processing;\n"
           "origin is the request's transmit time.\n\n"
           "NTP:\n"
           "      --version 3|4         NTP version of both packets (default 4)\n"
           "      --stratum N           the server's stratum, 0-16 (default 2)\n"
           "      --refid ID            reference id: an IPv4 address, or up to 4 characters\n"
           "                            for stratum 0 and 1 (default GPS at stratum 1,\n"
           "                            192.0.2.1 above)\n"
           "      --poll N              log2 seconds of the poll interval (default 6)\n"
           "      --precision N         log2 seconds of the server's precision (default -23)\n"
           "      --leap 0-3            the server's leap indicator (default 0)\n"
           "      --root-delay DUR      root delay (default 0 at stratum 1, else 20ms)\n"
           "      --root-disp DUR       root dispersion (default 1ms at stratum 1, else 30ms)\n"
           "      --offset [-]DUR       error of the server's clock: its timestamps are\n"
           "                            this much ahead (the client computes it back)\n"
           "      --processing DUR      time between the server's receive and transmit\n"
           "                            timestamps (default 25us)\n"
           "      --sport PORT          the client's port (default 123, as ntpd)\n\n");
    conv_help(false);
    craft_help_common(CL_NET | CL_UDP);
    printf("\nExamples:\n"
           "  pktcraft ntp --src 10.0.0.1 --dst 10.0.0.123 --start 1700000000 -o ntp.pcap\n"
           "  pktcraft ntp --src 10.0.0.1 --dst 10.0.0.123 --stratum 1 --refid GPS --offset 1.5ms \\\n"
           "      --rtt 40ms --truth -o gps.pcap\n"
           "  pktcraft ntp --src 2001:db8::1 --dst 2001:db8::123 --version 3 --sport 40123 -o v3.pcap\n");
}

static int64_t parse_signed_duration(const char *opt, const char *s)
{
    if (s[0] == '-') return -cli_parse_duration(opt, s + 1);
    return cli_parse_duration(opt, s + (s[0] == '+'));
}

static int8_t parse_log2(const char *opt, const char *s)
{
    char *end;
    long v = strtol(s, &end, 10);
    if (end == s || *end || v < -128 || v > 127) cli_usage_error("%s: '%s' is not a number from -128 to 127", opt, s);
    return (int8_t)v;
}

/* An IPv4 address, or 1-4 characters (NUL-padded). */
static void parse_refid(const char *s, uint8_t out[4])
{
    uint8_t a[16];
    char err[256];
    if (strchr(s, '.') && cli_try_ip("--refid", s, a, err, sizeof err) == 4) {
        memcpy(out, a, 4);
        return;
    }
    size_t n = strlen(s);
    if (!n || n > 4) cli_usage_error("--refid: '%s' is neither an IPv4 address nor 1 to 4 characters", s);
    memset(out, 0, 4); /* NUL-padded, not terminated: four bytes on the wire */
    for (size_t i = 0; i < n; i++) {
        if (s[i] < 0x20 || s[i] > 0x7E) cli_usage_error("--refid: '%s' has a character that is not printable", s);
        out[i] = (uint8_t)s[i];
    }
}

static bool own_opt(struct ntp_args *a, int opt, const char *arg)
{
    switch (opt) {
    case O_VERSION: a->version = (uint8_t)cli_parse_uint("--version", arg, 7); return true;
    case O_STRATUM: a->stratum = (uint8_t)cli_parse_uint("--stratum", arg, 16); return true;
    case O_REFID: parse_refid(arg, a->refid); a->refid_given = true; return true;
    case O_POLL: a->poll = parse_log2("--poll", arg); return true;
    case O_PRECISION: a->precision = parse_log2("--precision", arg); return true;
    case O_LEAP: a->leap = (uint8_t)cli_parse_uint("--leap", arg, 3); return true;
    case O_ROOT_DELAY: a->root_delay = cli_parse_duration("--root-delay", arg); return true;
    case O_ROOT_DISP: a->root_disp = cli_parse_duration("--root-disp", arg); return true;
    case O_OFFSET: a->offset = parse_signed_duration("--offset", arg); return true;
    case O_PROCESSING:
        a->processing = cli_parse_duration("--processing", arg);
        conv_note_time(&a->v, "--processing", a->processing);
        a->processing_given = true;
        return true;
    default: return false;
    }
}

/* Bytes in front of the UDP header of every frame, as cli/conv.c
 * measures them for the engine (pc_conv_opts.link_overhead and
 * net_overhead): the first packet's layers built once. */
static uint32_t frame_overhead(const struct conv_cli *v)
{
    static uint8_t buf[2048];
    struct pc_pkt pk;
    struct craft probe = v->c;
    probe.nsets = 0;
    craft_begin(&probe, &pk, buf, sizeof buf, true);
    uint32_t link = 14 + 4u * (uint32_t)v->c.nvlan;
    return link + (pk.len > link ? (uint32_t)pk.len - link : 20);
}

/* The exchange's times, known before the run as the engine will make
 * them (lib/traffic/conv.c, cv_transmit): the request leaves (and is
 * captured) at --start; it reaches the server after its serialization at
 * the link rate and half the RTT; the server takes --processing (the
 * engine's think time) and its answer, of the same size, reaches the
 * capture point as late again.  The server's clock reads --offset ahead.
 * The reference time is one poll interval before the receive time.
 *
 * The engine's think time delays every write, the client's first one
 * too: the clock starts that much before --start, so that the request
 * still leaves at --start. */
static void ntp_schedule(struct ntp_args *a)
{
    struct conv_cli *v = &a->v;
    craft_finish_args(&v->c, conv_layers(v)); /* --start resolved ("now" when not given) */
    if (v->o.think && !a->processing_given) a->processing = v->o.think;
    v->o.think = a->processing;
    const struct pc_conv_opts *o = &v->o;
    uint64_t bytes = frame_overhead(v) + 8u + PC_NTP_HLEN;
    int64_t oneway = (int64_t)(bytes * UINT64_C(8000000000) / o->rate) + o->rtt / 2;
    int p = a->poll < 0 ? 0 : a->poll > 17 ? 17 : a->poll;
    a->t1 = v->c.start;
    a->t2 = a->t1 + oneway + a->offset;
    a->t3 = a->t2 + a->processing;
    a->t4 = a->t1 + 2 * oneway + a->processing;
    a->ref = a->t2 - ((int64_t)1 << p) * PC_NS_PER_SEC;
    if (v->c.start < a->processing) cli_usage_error("--start: must be at least --processing after 1970");
    v->c.start -= a->processing;
}

static void make_packets(struct ntp_args *a)
{
    if (!a->version) cli_usage_error("--version: NTP version 0 is not a version");
    if (!a->refid_given) {
        if (a->stratum <= 1) memcpy(a->refid, "GPS", 4);
        else memcpy(a->refid, (uint8_t[4]){ 192, 0, 2, 1 }, 4);
    }
    if (a->root_delay < 0) a->root_delay = a->stratum <= 1 ? 0 : 20 * INT64_C(1000000);
    if (a->root_disp < 0) a->root_disp = a->stratum <= 1 ? INT64_C(1000000) : 30 * INT64_C(1000000);
    ntp_schedule(a);
    a->req = (struct pc_ntp){ .version = a->version, .mode = PC_NTP_MODE_CLIENT, .poll = a->poll,
                              .precision = a->precision, .xmt = pc_ntp_from_ns(a->t1) };
    a->resp = (struct pc_ntp){ .leap = a->leap, .version = a->version, .mode = PC_NTP_MODE_SERVER,
                               .stratum = a->stratum, .poll = a->poll, .precision = a->precision,
                               .root_delay = pc_ntp_short_from_ns(a->root_delay),
                               .root_disp = pc_ntp_short_from_ns(a->root_disp), .ref = pc_ntp_from_ns(a->ref),
                               .org = a->req.xmt, .rec = pc_ntp_from_ns(a->t2), .xmt = pc_ntp_from_ns(a->t3) };
    memcpy(a->resp.refid, a->refid, 4);
    uint8_t buf[PC_NTP_HLEN];
    if (pc_ntp_encode(&a->req, buf, sizeof buf) != PC_NTP_HLEN) cli_usage_error("cannot encode the NTP request");
    conv_add_step(&a->v, PC_CONV_CLIENT, buf, sizeof buf, PC_NTP_MODE_CLIENT);
    if (pc_ntp_encode(&a->resp, buf, sizeof buf) != PC_NTP_HLEN) cli_usage_error("cannot encode the NTP response");
    conv_add_step(&a->v, PC_CONV_SERVER, buf, sizeof buf, PC_NTP_MODE_SERVER);
}

/* ------------------------------------------------------------- truth */

/* "2024-01-01T00:00:00.250000000Z" */
static void iso_time(pc_time_ns t, char out[40])
{
    int64_t sec = t / PC_NS_PER_SEC, ns = t % PC_NS_PER_SEC;
    if (ns < 0) sec--, ns += PC_NS_PER_SEC;
    time_t tt = (time_t)sec;
    struct tm tm;
    if (!gmtime_r(&tt, &tm)) { snprintf(out, 40, "?"); return; }
    snprintf(out, 40, "%04d-%02d-%02dT%02d:%02d:%02d.%09lldZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
             tm.tm_hour, tm.tm_min, tm.tm_sec, (long long)ns);
}

/* A timestamp three ways: epoch text as every command prints times, ISO
 * 8601, and the 64-bit NTP value in hex as on the wire. */
static void fact_ts(struct pc_fmt *f, const char *key, uint64_t ts)
{
    char t[PC_FMT_TS_MAX], iso[40], hex[20];
    pc_time_ns ns = pc_ntp_to_ns(ts);
    pc_fmt_kobj_open(f, key);
    pc_fmt_ts(ns, t);
    pc_fmt_kstr(f, "time", t);
    iso_time(ns, iso);
    pc_fmt_kstr(f, "iso", iso);
    snprintf(hex, sizeof hex, "%016llx", (unsigned long long)ts);
    pc_fmt_kstr(f, "ntp", hex);
    pc_fmt_kobj_close(f);
}

static void ntp_facts(void *ctx, struct pc_fmt *f)
{
    const struct ntp_args *a = ctx;
    char t[16];
    pc_fmt_kobj_open(f, "ntp");
    pc_fmt_kuint(f, "version", a->version);
    pc_fmt_kuint(f, "stratum", a->stratum);
    pc_ntp_refid_text(a->refid, a->stratum, t);
    pc_fmt_kstr(f, "refid", t);
    pc_fmt_kuint(f, "leap", a->leap);
    pc_fmt_kint(f, "poll", a->poll);
    pc_fmt_kint(f, "precision", a->precision);
    pc_fmt_kuint(f, "client_port", a->v.o.sport);
    fact_ts(f, "client_transmit", a->req.xmt);
    fact_ts(f, "reference", a->resp.ref);
    fact_ts(f, "origin", a->resp.org);
    fact_ts(f, "receive", a->resp.rec);
    fact_ts(f, "transmit", a->resp.xmt);
    fact_ts(f, "client_receive", pc_ntp_from_ns(a->t4));
    pc_fmt_kint(f, "offset_ns", a->offset);
    /* what the client computes (RFC 5905 8): theta and delta */
    pc_time_ns t1 = a->t1, t2 = pc_ntp_to_ns(a->resp.rec), t3 = pc_ntp_to_ns(a->resp.xmt), t4 = a->t4;
    pc_fmt_kint(f, "computed_offset_ns", ((t2 - t1) + (t3 - t4)) / 2);
    pc_fmt_kint(f, "computed_delay_ns", (t4 - t1) - (t3 - t2));
    pc_fmt_kobj_close(f);
}

int cmd_ntp(int argc, char **argv)
{
    static struct ntp_args a;
    memset(&a, 0, sizeof a);
    conv_init(&a.v, 17, PC_NTP_PORT);
    a.version = 4;
    a.stratum = 2;
    a.poll = 6;
    a.precision = -23;
    a.root_delay = a.root_disp = -1;
    a.processing = 25000;
    int opt;
    while ((opt = getopt_long(argc, argv, CRAFT_COMMON_SHORTOPTS, longopts, NULL)) != -1) {
        if (opt == 'h') { help(); exit(EXIT_OK); }
        if (conv_opt(&a.v, opt, optarg, argv)) continue;
        if (!own_opt(&a, opt, optarg)) cli_bad_option(opt, argv);
    }
    if (optind < argc) cli_usage_error("unexpected argument '%s'", argv[optind]);
    if (!a.v.sport_given) { /* ntpd sends from 123 */
        a.v.o.sport = PC_NTP_PORT;
        a.v.sport_given = true;
    }
    make_packets(&a);
    return conv_run(&a.v, ntp_facts, &a);
}

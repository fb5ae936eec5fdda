/* pktcraft verify: a fixture linter.  Every length and checksum of every
 * layer of every packet, fragments that never complete, TCP streams with
 * gaps (pktcraft/analysis/verify.h); one line per inconsistency, exit 1
 * when any is found. */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "filter.h"
#include "pktcraft/analysis/verify.h"
#include "pktcraft/core/fmt.h"

struct verify_args {
    const char *path;
    bool jsonl, quiet, no_defrag, no_streams;
    int overlap;
    unsigned allow; /* bit per enum pc_vcheck */
    char filter[4096];
};

static void help(void)
{
    printf("Usage: pktcraft verify [OPTIONS] FILE [FILTER...]\n\n"
           "Check a capture (pcap, pcapng, gzip; '-' is stdin) for inconsistencies: every\n"
           "length and checksum of every layer of every packet (Ethernet/VLAN 802.3\n"
           "lengths, ARP sizes, IPv4 header length, total length against the frame,\n"
           "header checksum and options, IPv6 payload length and extension headers, UDP\n"
           "length and checksum, TCP data offset, options and checksum, ICMP/ICMPv6 and\n"
           "GRE checksums, DNS counts against records, tunnels inside), IP datagrams\n"
           "whose fragments never complete, and TCP streams with bytes never captured.\n"
           "L4 checksums of fragmented datagrams are checked on the reassembled datagram\n"
           "(on the fragment that completes it, as tshark does). One line per finding:\n\n"
           "  packet N: LAYER FIELD: found X, expected Y (what is wrong) [CHECK]\n\n"
           "(stream and datagram findings start with 'stream:' or 'datagram:' and name\n"
           "their packets in the message). A trailing BPF filter selects the packets\n"
           "checked; packet numbers stay those of the file. A summary goes to stderr.\n\n"
           "Options:\n"
           "      --format text|jsonl    output format (default text)\n"
           "      --allow CHECK,...      do not report these checks (see below)\n"
           "      --overlap first|last   which copy of overlapping bytes wins (default first)\n"
           "      --no-defrag            leave IP fragments alone (no fragment findings)\n"
           "      --no-streams           no TCP reassembly (no tcp-gap findings)\n"
           "      --limit NAME=VALUE     change a resource limit (see below)\n"
           "  -q, --quiet                no summary on stderr\n"
           "  -h, --help                 show this help\n\n"
           "Checks (names for --allow):\n");
    for (int c = 0; c < PC_VC__COUNT; c++) printf("  %-14s %s\n", pc_vcheck_name(c), pc_vcheck_help(c));
    printf("\nJSON keys (one object per line): packet (null for stream and datagram\n"
           "findings), layer, field, check, found, expected (integers, null when the\n"
           "finding has no values), message.\n\n"
           "Examples:\n"
           "  pktcraft syn --src 10.0.0.1 --dst 10.0.0.2 --corrupt tcp.csum -o bad.pcap\n"
           "  pktcraft verify bad.pcap\n"
           "  pktcraft verify --allow checksum,truncated --format jsonl capture.pcapng tcp\n\n"
           "Exit status: 0 nothing found, 1 something found (or an unreadable or damaged\n"
           "file: findings up to the damage are printed), 2 usage error.\n\n");
    cli_limits_help(stdout);
}

static unsigned parse_allow(const char *s)
{
    unsigned mask = 0;
    for (const char *p = s;;) {
        size_t n = strcspn(p, ",");
        int c = pc_vcheck_parse(p, n);
        if (c < 0) cli_usage_error("--allow: '%.*s' is not a check (see --help)", (int)n, p);
        mask |= 1u << c;
        if (!p[n]) break;
        p += n + 1;
    }
    return mask;
}

static void parse_args(struct verify_args *a, int argc, char **argv)
{
    enum { O_FORMAT = 1000, O_ALLOW, O_OVERLAP, O_NO_DEFRAG, O_NO_STREAMS };
    static const struct option longopts[] = {
        { "format", required_argument, 0, O_FORMAT },     { "allow", required_argument, 0, O_ALLOW },
        { "overlap", required_argument, 0, O_OVERLAP },   { "no-defrag", no_argument, 0, O_NO_DEFRAG },
        { "no-streams", no_argument, 0, O_NO_STREAMS },   { "limit", required_argument, 0, CLI_OPT_LIMIT },
        { "quiet", no_argument, 0, 'q' },                 { "help", no_argument, 0, 'h' },
        { 0, 0, 0, 0 },
    };
    memset(a, 0, sizeof *a);
    int opt;
    while ((opt = getopt_long(argc, argv, ":hq", longopts, NULL)) != -1) {
        switch (opt) {
        case 'h': help(); exit(EXIT_OK);
        case 'q': a->quiet = true; break;
        case CLI_OPT_LIMIT: cli_limit_opt(optarg); break;
        case O_FORMAT:
            if (!strcmp(optarg, "text")) a->jsonl = false;
            else if (!strcmp(optarg, "jsonl")) a->jsonl = true;
            else cli_usage_error("--format: '%s' is not text or jsonl", optarg);
            break;
        case O_ALLOW: a->allow |= parse_allow(optarg); break;
        case O_OVERLAP: a->overlap = cli_parse_overlap("--overlap", optarg); break;
        case O_NO_DEFRAG: a->no_defrag = true; break;
        case O_NO_STREAMS: a->no_streams = true; break;
        default: cli_bad_option(opt, argv);
        }
    }
    if (optind >= argc) cli_usage_error("a FILE to check is required ('-' for stdin)");
    a->path = argv[optind++];
    cli_filter_join(a->filter, sizeof a->filter, argc, argv);
}

/* ------------------------------------------------------------ output */

struct run {
    const struct verify_args *a;
    struct pc_fmt *o;
    uint64_t shown[PC_VC__COUNT], allowed[PC_VC__COUNT];
};

static void value_text(struct pc_fmt *o, const struct pc_vfinding *f, uint64_t v)
{
    if (f->hex) pc_fmt_printf(o, "0x%04llx", (unsigned long long)v);
    else pc_fmt_printf(o, "%llu", (unsigned long long)v);
}

static void finding_text(struct pc_fmt *o, const struct pc_vfinding *f)
{
    if (f->packet) pc_fmt_printf(o, "packet %llu: ", (unsigned long long)f->packet);
    else pc_fmt_printf(o, "%s: ", f->check == PC_VC_TCP_GAP ? "stream" : "datagram");
    pc_fmt_printf(o, "%s %s: ", f->layer, f->field);
    if (f->has_values) {
        pc_fmt_put(o, "found ", 6);
        value_text(o, f, f->found);
        pc_fmt_put(o, ", expected ", 11);
        value_text(o, f, f->expected);
        pc_fmt_put(o, " (", 2);
    }
    pc_fmt_put(o, f->message, strlen(f->message)); /* static text and numbers: nothing from the file */
    if (f->has_values) pc_fmt_putc(o, ')');
    pc_fmt_printf(o, " [%s]\n", pc_vcheck_name(f->check));
}

static void finding_json(struct pc_fmt *o, const struct pc_vfinding *f)
{
    o->members = 0;
    pc_fmt_kobj_open(o, NULL);
    if (f->packet) pc_fmt_kuint(o, "packet", f->packet);
    else pc_fmt_knull(o, "packet");
    pc_fmt_kstr(o, "layer", f->layer);
    pc_fmt_kstr(o, "field", f->field);
    pc_fmt_kstr(o, "check", pc_vcheck_name(f->check));
    if (f->has_values) {
        pc_fmt_kuint(o, "found", f->found);
        pc_fmt_kuint(o, "expected", f->expected);
    } else {
        pc_fmt_knull(o, "found");
        pc_fmt_knull(o, "expected");
    }
    pc_fmt_kstr(o, "message", f->message);
    pc_fmt_kobj_close(o);
    pc_fmt_putc(o, '\n');
}

static void on_finding(void *ctx, const struct pc_vfinding *f)
{
    struct run *r = ctx;
    if (r->a->allow & (1u << f->check)) {
        r->allowed[f->check]++;
        return;
    }
    r->shown[f->check]++;
    if (r->a->jsonl) finding_json(r->o, f);
    else finding_text(r->o, f);
}

/* "N (checksum 2, length 1)" into out. */
static uint64_t by_check(const uint64_t *count, char *out, size_t cap)
{
    uint64_t total = 0;
    size_t k = 0;
    out[0] = 0;
    for (int c = 0; c < PC_VC__COUNT; c++) {
        if (!count[c]) continue;
        int n = snprintf(out + k, cap - k, "%s%s %llu", total ? ", " : " (", pc_vcheck_name(c),
                         (unsigned long long)count[c]);
        if (n > 0 && (size_t)n < cap - k) k += (size_t)n;
        total += count[c];
    }
    if (total && k + 2 <= cap) snprintf(out + k, cap - k, ")");
    return total;
}

static void summary(const struct run *r, uint64_t packets)
{
    char shown[256], allowed[256];
    uint64_t ns = by_check(r->shown, shown, sizeof shown), na = by_check(r->allowed, allowed, sizeof allowed);
    if (na)
        cli_warn("%s: %llu packets, %llu findings%s, %llu allowed%s", r->a->path, (unsigned long long)packets,
                 (unsigned long long)ns, shown, (unsigned long long)na, allowed);
    else
        cli_warn("%s: %llu packets, %llu findings%s", r->a->path, (unsigned long long)packets, (unsigned long long)ns,
                 shown);
}

int cmd_verify(int argc, char **argv)
{
    struct verify_args a;
    parse_args(&a, argc, argv);
    struct pc_err err = { 0 };
    struct pc_reader *rd = pc_reader_open_ex(a.path, cli_limits(), &err);
    if (!rd) cli_runtime_error("%s", err.msg);
    struct run run = { .a = &a, .o = cli_out(a.jsonl) };
    struct cli_filter flt;
    cli_filter_setup(&flt, a.filter, pc_reader_linktype(rd));
    struct pc_verify_opts o = { .lim = cli_limits(), .overlap = a.overlap, .no_defrag = a.no_defrag,
                                .no_streams = a.no_streams };
    struct pc_verifier *v = pc_verifier_new(&o, on_finding, &run);
    if (!v) cli_runtime_error("out of memory");
    struct pc_pkthdr h;
    const uint8_t *data;
    uint64_t n = 0, checked = 0;
    int rc;
    while ((rc = pc_reader_next(rd, &h, &data)) > 0) {
        n++;
        if (!cli_filter_match(&flt, &h, data)) continue;
        checked++;
        if (pc_verifier_packet(v, &h, data, n) < 0) cli_runtime_error("out of memory");
    }
    pc_verifier_finish(v);
    pc_verifier_free(v);
    cli_filter_free(&flt);
    cli_out_flush();
    int status = EXIT_OK;
    for (int c = 0; c < PC_VC__COUNT; c++)
        if (run.shown[c]) status = EXIT_RUNTIME;
    if (!a.quiet) summary(&run, checked);
    if (rc < 0) {
        cli_warn("%s", pc_reader_err(rd)->msg);
        status = EXIT_RUNTIME;
    }
    pc_reader_close(rd);
    return status;
}

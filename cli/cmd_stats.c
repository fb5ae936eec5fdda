/* pktcraft stats: totals, protocol hierarchy, top talkers and ports,
 * packets and bytes per interval, in bounded memory. */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "filter.h"
#include "pktcraft/analysis/analyzer.h"
#include "pktcraft/analysis/stats.h"
#include "pktcraft/core/fmt.h"

struct stats_args {
    const char *path;
    bool json;
    uint64_t top;
    int64_t interval;
    bool no_defrag;
    char filter[4096];
};

static void help(void)
{
    printf("Usage: pktcraft stats [OPTIONS] FILE [FILTER...]\n\n"
           "Traffic statistics of a capture (pcap, pcapng, gzip; '-' is stdin), streaming\n"
           "in bounded memory: packets and bytes, first and last time, duration and\n"
           "average rates; packets and bytes for every path of protocol layers (as\n"
           "tshark -z io,phs counts them); the top hosts and conversations by bytes and\n"
           "the top server ports (a SYN's destination, else the lower port) by packets;\n"
           "packets and bytes per interval. Memory stays bounded for any file. IP\n"
           "fragments are reassembled first. A trailing BPF filter selects packets.\n\n"
           "Options:\n"
           "      --format text|json  output format (default text; json: one object)\n"
           "      --top N             entries in each top list (default 10)\n"
           "      --interval DUR      interval length (default 1s; e.g. 100ms, 1m is 60s)\n"
           "      --no-defrag         leave IP fragments alone\n"
           "      --limit NAME=VALUE  change a resource limit (see below); stats-keys bounds\n"
           "                          the top lists: past it they are approximate (Space-Saving:\n"
           "                          each count at most its error too high), and say so\n"
           "  -h, --help              show this help\n\n"
           "Examples:\n"
           "  pktcraft stats capture.pcap\n"
           "  pktcraft stats --format json --top 20 --interval 10s capture.pcapng tcp\n\n"
           "Exit status: 0 success, 1 unreadable or damaged file (the figures up to the\n"
           "damage are printed), 2 usage error.\n\n");
    cli_limits_help(stdout);
}

static void parse_args(struct stats_args *a, int argc, char **argv)
{
    enum { O_FORMAT = 1000, O_TOP, O_INTERVAL, O_NO_DEFRAG };
    static const struct option longopts[] = {
        { "format", required_argument, 0, O_FORMAT }, { "top", required_argument, 0, O_TOP },
        { "interval", required_argument, 0, O_INTERVAL }, { "no-defrag", no_argument, 0, O_NO_DEFRAG },
        { "limit", required_argument, 0, CLI_OPT_LIMIT }, { "help", no_argument, 0, 'h' }, { 0, 0, 0, 0 },
    };
    memset(a, 0, sizeof *a);
    a->top = 10;
    a->interval = PC_NS_PER_SEC;
    int opt;
    while ((opt = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
        switch (opt) {
        case 'h': help(); exit(EXIT_OK);
        case CLI_OPT_LIMIT: cli_limit_opt(optarg); break;
        case O_FORMAT:
            if (!strcmp(optarg, "json")) a->json = true;
            else if (strcmp(optarg, "text")) cli_usage_error("--format: '%s' is not text or json", optarg);
            break;
        case O_TOP: a->top = cli_parse_uint("--top", optarg, 100000); break;
        case O_INTERVAL:
            a->interval = cli_parse_duration("--interval", optarg);
            if (a->interval <= 0) cli_usage_error("--interval: must be longer than 0");
            break;
        case O_NO_DEFRAG: a->no_defrag = true; break;
        default: cli_bad_option(opt, argv);
        }
    }
    if (optind >= argc) cli_usage_error("a FILE to read is required ('-' for stdin)");
    a->path = argv[optind++];
    cli_filter_join(a->filter, sizeof a->filter, argc, argv);
}

struct run {
    struct pc_stats *st;
    const char *path;
    int rc;
};

static void on_frag(void *ctx, const struct pc_defrag_report *rep) { cli_frag_report(((struct run *)ctx)->path, rep); }

static void on_packet(void *ctx, const struct pc_apkt *p)
{
    struct run *r = ctx;
    if (!r->rc) r->rc = pc_stats_packet(r->st, p);
}

static double per_sec(uint64_t v, pc_time_ns dur) { return dur > 0 ? (double)v * 1e9 / (double)dur : 0.0; }

static const char *const list_key[] = { "top_hosts", "top_conversations", "top_ports" };
static const char *const list_title[] = { "Top hosts (by bytes)", "Top conversations (by bytes)",
                                          "Top server ports (by packets)" };

/* ------------------------------------------------------------ text */

static void text_top(struct pc_fmt *o, const struct pc_stats *s, int list, uint64_t n)
{
    struct pc_stats_top *t = calloc(n ? n : 1, sizeof *t);
    bool approx = false;
    size_t k = t ? pc_stats_top(s, list, n, t, &approx) : 0;
    pc_fmt_printf(o, "\n%s%s\n", list_title[list], k && approx ? " (approximate: more keys than --limit stats-keys)" : "");
    for (size_t i = 0; i < k; i++) {
        pc_fmt_printf(o, "  %-48s %12llu packets %14llu bytes", t[i].key, (unsigned long long)t[i].packets,
                      (unsigned long long)t[i].bytes);
        if (t[i].error) pc_fmt_printf(o, "  (counts up to %llu too high)", (unsigned long long)t[i].error);
        pc_fmt_putc(o, '\n');
    }
    free(t);
}

static void print_text(struct pc_fmt *o, const struct stats_args *a, const struct pc_stats *s)
{
    const struct pc_stats_totals *t = pc_stats_totals(s);
    char ts[32];
    pc_fmt_printf(o, "File:                %s\n", a->path);
    pc_fmt_printf(o, "Packets:             %llu\n", (unsigned long long)t->packets);
    pc_fmt_printf(o, "Bytes:               %llu (captured %llu)\n", (unsigned long long)t->bytes,
                  (unsigned long long)t->captured);
    if (t->have_ts) {
        cli_fmt_ts(t->first, ts);
        pc_fmt_printf(o, "First packet:        %s\n", ts);
        cli_fmt_ts(t->last, ts);
        pc_fmt_printf(o, "Last packet:         %s\n", ts);
        cli_fmt_ts(t->last - t->first, ts);
        pc_fmt_printf(o, "Duration:            %s s\n", ts);
        pc_fmt_printf(o, "Average rates:       %.3f packets/s, %.3f bytes/s, %.3f bits/s\n",
                      per_sec(t->packets, t->last - t->first), per_sec(t->bytes, t->last - t->first),
                      per_sec(t->bytes * 8, t->last - t->first));
        if (t->out_of_order) pc_fmt_printf(o, "Out of time order:   %llu packets\n", (unsigned long long)t->out_of_order);
    }
    size_t np;
    const struct pc_stats_proto *p = pc_stats_protos(s, &np);
    pc_fmt_printf(o, "\nProtocol hierarchy %44s %14s\n", "packets", "bytes");
    for (size_t i = 0; i < np; i++) {
        const char *name = strrchr(p[i].path, ':');
        name = name ? name + 1 : p[i].path;
        pc_fmt_printf(o, "  %*s%-*s %12llu %14llu\n", (int)(2 * (p[i].depth - 1)), "", (int)(48 - 2 * (p[i].depth - 1)),
                      name, (unsigned long long)p[i].packets, (unsigned long long)p[i].bytes);
    }
    for (int l = 0; l < 3; l++) text_top(o, s, l, a->top);
    size_t niv;
    const struct pc_stats_bucket *iv = pc_stats_intervals(s, &niv);
    cli_fmt_ts(pc_stats_interval(s), ts);
    pc_fmt_printf(o, "\nIntervals of %s s\n  %-32s %12s %14s\n", ts, "start", "packets", "bytes");
    for (size_t i = 0; i < niv; i++) {
        cli_fmt_ts(iv[i].start, ts);
        pc_fmt_printf(o, "  %-32s %12llu %14llu\n", ts, (unsigned long long)iv[i].packets, (unsigned long long)iv[i].bytes);
    }
}

/* ------------------------------------------------------------ JSON */

static void json_rate(struct pc_fmt *o, const char *key, double v)
{
    char b[64];
    snprintf(b, sizeof b, "%.3f", v);
    pc_fmt_kraw(o, key, b);
}

static void json_ts(struct pc_fmt *o, const char *key, pc_time_ns t)
{
    char ts[32];
    cli_fmt_ts(t, ts);
    pc_fmt_kstr(o, key, ts);
}

static void json_top(struct pc_fmt *o, const struct pc_stats *s, int list, uint64_t n, bool *approx)
{
    struct pc_stats_top *t = calloc(n ? n : 1, sizeof *t);
    *approx = false; /* stays false when the allocation failed and nothing was listed */
    size_t k = t ? pc_stats_top(s, list, n, t, approx) : 0;
    pc_fmt_karr_open(o, list_key[list]);
    for (size_t i = 0; i < k; i++) {
        pc_fmt_kobj_open(o, NULL);
        pc_fmt_kstr(o, "key", t[i].key);
        pc_fmt_kuint(o, "packets", t[i].packets);
        pc_fmt_kuint(o, "bytes", t[i].bytes);
        pc_fmt_kuint(o, "error", t[i].error);
        pc_fmt_kobj_close(o);
    }
    pc_fmt_karr_close(o);
    free(t);
}

static void print_json(struct pc_fmt *o, const struct stats_args *a, const struct pc_stats *s, const char *error)
{
    const struct pc_stats_totals *t = pc_stats_totals(s);
    o->members = 0;
    pc_fmt_kobj_open(o, NULL);
    pc_fmt_kstr(o, "file", a->path);
    pc_fmt_kuint(o, "packets", t->packets);
    pc_fmt_kuint(o, "bytes", t->bytes);
    pc_fmt_kuint(o, "captured", t->captured);
    if (t->have_ts) {
        json_ts(o, "first_ts", t->first);
        json_ts(o, "last_ts", t->last);
        json_ts(o, "duration", t->last - t->first);
        json_rate(o, "packet_rate", per_sec(t->packets, t->last - t->first));
        json_rate(o, "byte_rate", per_sec(t->bytes, t->last - t->first));
        json_rate(o, "bit_rate", per_sec(t->bytes * 8, t->last - t->first));
    } else {
        static const char *const none[] = { "first_ts", "last_ts", "duration", "packet_rate", "byte_rate", "bit_rate" };
        for (size_t i = 0; i < sizeof none / sizeof none[0]; i++) pc_fmt_knull(o, none[i]);
    }
    pc_fmt_kuint(o, "out_of_order", t->out_of_order);
    size_t np;
    const struct pc_stats_proto *p = pc_stats_protos(s, &np);
    pc_fmt_karr_open(o, "protocols");
    for (size_t i = 0; i < np; i++) {
        pc_fmt_kobj_open(o, NULL);
        pc_fmt_kstr(o, "path", p[i].path);
        pc_fmt_kuint(o, "depth", p[i].depth);
        pc_fmt_kuint(o, "packets", p[i].packets);
        pc_fmt_kuint(o, "bytes", p[i].bytes);
        pc_fmt_kobj_close(o);
    }
    pc_fmt_karr_close(o);
    bool approx[3] = { false, false, false };
    for (int l = 0; l < 3; l++) json_top(o, s, l, a->top, &approx[l]);
    pc_fmt_kobj_open(o, "top_approximate");
    for (int l = 0; l < 3; l++) pc_fmt_kbool(o, list_key[l] + 4, approx[l]);
    pc_fmt_kobj_close(o);
    json_ts(o, "interval", pc_stats_interval(s));
    size_t niv;
    const struct pc_stats_bucket *iv = pc_stats_intervals(s, &niv);
    pc_fmt_karr_open(o, "intervals");
    for (size_t i = 0; i < niv; i++) {
        pc_fmt_kobj_open(o, NULL);
        json_ts(o, "start", iv[i].start);
        pc_fmt_kuint(o, "packets", iv[i].packets);
        pc_fmt_kuint(o, "bytes", iv[i].bytes);
        pc_fmt_kobj_close(o);
    }
    pc_fmt_karr_close(o);
    if (error) pc_fmt_kstr(o, "error", error);
    else pc_fmt_knull(o, "error");
    pc_fmt_kobj_close(o);
    pc_fmt_putc(o, '\n');
}

int cmd_stats(int argc, char **argv)
{
    struct stats_args a;
    parse_args(&a, argc, argv);
    struct pc_err err = { 0 };
    struct pc_reader *r = pc_reader_open_ex(a.path, cli_limits(), &err);
    if (!r) cli_runtime_error("%s", err.msg);
    struct pc_stats_opts so = { .lim = cli_limits(), .interval_ns = a.interval };
    struct run run = { .st = pc_stats_new(&so), .path = a.path };
    struct pc_analyzer_opts ao = { .lim = cli_limits(), .no_defrag = a.no_defrag, .no_flows = true,
                                   .decode_flags = PC_DEC_NO_L4CSUM };
    struct pc_analyzer_cbs cbs = { .packet = on_packet, .frag = on_frag };
    struct pc_analyzer *an = run.st ? pc_analyzer_new(&ao, &cbs, &run) : NULL;
    if (!an) cli_runtime_error("out of memory");
    struct cli_filter flt;
    cli_filter_setup(&flt, a.filter, pc_reader_linktype(r));
    struct pc_pkthdr h;
    const uint8_t *data;
    int rc;
    while (!run.rc && (rc = pc_reader_next(r, &h, &data)) > 0) {
        if (!cli_filter_match(&flt, &h, data)) {
            pc_analyzer_skip(an);
            continue;
        }
        if (pc_analyzer_packet(an, &h, data) < 0) cli_runtime_error("out of memory");
    }
    if (run.rc == PC_ELIMIT)
        cli_runtime_error("%s: packet %llu: more than 1,000,000 intervals of this length (use a longer --interval)",
                          a.path, (unsigned long long)pc_reader_count(r));
    if (run.rc) cli_runtime_error("out of memory");
    pc_analyzer_finish(an);
    const char *error = rc < 0 ? pc_reader_err(r)->msg : NULL;
    struct pc_fmt *o = cli_out(a.json);
    if (a.json) print_json(o, &a, run.st, error);
    else print_text(o, &a, run.st);
    cli_out_flush();
    int status = EXIT_OK;
    if (error) {
        cli_warn("%s", error);
        status = EXIT_RUNTIME;
    }
    pc_analyzer_free(an);
    pc_stats_free(run.st);
    cli_filter_free(&flt);
    pc_reader_close(r);
    return status;
}

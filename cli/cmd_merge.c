/* pktcraft merge: merge captures by timestamp, streaming, like mergecap. */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "capfile.h"

struct input {
    const char *path;
    struct pc_reader *r;
    struct pc_pkthdr h;
    const uint8_t *data;
    bool live;              /* h/data hold the next packet */
    struct iface_map map;
};

struct merge {
    struct input *in;
    int n;
    const char *out;
    int format;
    bool lossy, quiet;
    struct pc_writer *w;
    uint64_t written, dropped;
};

static void help(void)
{
    printf("Usage: pktcraft merge A B ... -o OUT [-F pcapng|pcap|nsecpcap]\n\n"
           "Merge captures into one, ordered by timestamp (packets with equal\n"
           "timestamps keep the order of the inputs given). Streaming: memory does not\n"
           "grow with the files. pcapng output (the default) keeps every input\n"
           "interface apart, with its link type, name and comments; pcap output needs\n"
           "one link type and no comments (or --lossy, which drops what does not fit).\n\n"
           "  -o, --output FILE   output file ('-' for stdout); never an input\n"
           "  -F FORMAT           pcapng (default), pcap or nsecpcap\n"
           "      --lossy         pcap output: drop packets of other link types, leave\n"
           "                      comments out, cut nanoseconds\n"
           "      --limit NAME=VALUE  change a resource limit (see below)\n"
           "  -h, --help          show this help\n\n"
           "Examples:\n"
           "  pktcraft merge eth0.pcapng eth1.pcapng -o both.pcapng\n"
           "  pktcraft merge a.pcap b.pcap -F nsecpcap -o ab.pcap\n\n");
    cli_limits_help(stdout);
}

static void parse_args(struct merge *m, int argc, char **argv)
{
    static const struct option longopts[] = {
        { "output", required_argument, 0, 'o' }, { "lossy", no_argument, 0, 'L' },
        { "quiet", no_argument, 0, 'q' }, { "limit", required_argument, 0, CLI_OPT_LIMIT },
        { "help", no_argument, 0, 'h' }, { 0, 0, 0, 0 },
    };
    memset(m, 0, sizeof *m);
    m->format = PC_FORMAT_PCAPNG;
    int opt;
    while ((opt = getopt_long(argc, argv, ":o:w:F:qh", longopts, NULL)) != -1) {
        switch (opt) {
        case 'h': help(); exit(EXIT_OK);
        case CLI_OPT_LIMIT: cli_limit_opt(optarg); break;
        case 'o': case 'w': m->out = optarg; break;
        case 'F': m->format = cli_parse_format("-F", optarg); break;
        case 'L': m->lossy = true; break;
        case 'q': m->quiet = true; break;
        default: cli_bad_option(opt, argv);
        }
    }
    if (!m->out) cli_usage_error("-o FILE is required");
    m->n = argc - optind;
    if (m->n < 1) cli_usage_error("at least one input file is required");
    m->in = calloc((size_t)m->n, sizeof *m->in);
    if (!m->in) cli_runtime_error("out of memory");
    int stdin_uses = 0;
    for (int k = 0; k < m->n; k++) {
        m->in[k].path = argv[optind + k];
        stdin_uses += !strcmp(m->in[k].path, "-");
        if (strcmp(m->out, "-") && !strcmp(m->in[k].path, m->out)) cli_usage_error("the output must not be an input (%s)", m->out);
    }
    if (stdin_uses > 1) cli_usage_error("stdin ('-') can be only one of the inputs");
}

static _Noreturn void fail(struct merge *m, const char *fmt, const char *a, const char *b)
{
    /* a or b may live in the writer (its last error): format before the abort */
    char msg[1024];
    snprintf(msg, sizeof msg, fmt, a, b);
    if (m->w) pc_writer_abort(m->w);
    cli_runtime_error("%s", msg);
}

static void advance(struct merge *m, struct input *in)
{
    int rc = pc_reader_next(in->r, &in->h, &in->data);
    in->live = rc > 0;
    if (rc < 0) fail(m, "%s%s (nothing written)", pc_reader_err(in->r)->msg, "");
}

static void open_inputs(struct merge *m)
{
    for (int k = 0; k < m->n; k++) {
        struct pc_err err = { 0 };
        m->in[k].r = pc_reader_open_ex(m->in[k].path, cli_limits(), &err);
        if (!m->in[k].r) fail(m, "%s%s", err.msg, "");
        advance(m, &m->in[k]);
    }
}

static void open_output(struct merge *m)
{
    struct pc_err err = { 0 };
    int lt = 1;
    for (int k = 0; k < m->n; k++)
        if (m->in[k].live) { lt = m->in[k].h.linktype; break; }
    struct pc_writer_opts o = { .format = m->format, .linktype = lt, .snaplen = 262144, .verbatim = true };
    m->w = pc_writer_open(m->out, &o, &err);
    if (!m->w) fail(m, "%s%s", err.msg, "");
}

static uint32_t out_iface(struct merge *m, struct input *in)
{
    if (m->format != PC_FORMAT_PCAPNG) return 0;
    int idx = iface_map_get(&in->map, in->r, m->w, in->h.ifindex);
    if (idx < 0) fail(m, "%s: cannot add an interface: %s", in->path, pc_strerror(idx));
    return (uint32_t)idx;
}

/* pcap output: what does not fit is refused, or dropped with --lossy. */
static bool fit_pcap(struct merge *m, struct input *in, struct pc_wpacket *p, int lt0)
{
    bool drop;
    const char *why = pcap_misfit(&in->h, m->format, lt0, &drop);
    if (!why) return true;
    if (!m->lossy) {
        bool all_pcap = true;
        for (int k = 0; k < m->n; k++) all_pcap &= pc_reader_format(m->in[k].r) != PC_FORMAT_PCAPNG;
        char msg[512];
        snprintf(msg, sizeof msg, "%s (%s)", why, pcap_misfit_hint(&in->h, m->format, lt0, all_pcap));
        fail(m, "%s: a packet: %s", in->path, msg);
    }
    if (drop) { m->dropped++; return false; }
    p->comment = NULL;
    p->more = NULL;
    p->nmore = 0;
    p->comment_len = 0;
    p->flags = 0;
    return true;
}

int cmd_merge(int argc, char **argv)
{
    static struct merge m;
    parse_args(&m, argc, argv);
    open_inputs(&m);
    open_output(&m);
    int lt0 = -1;
    for (;;) {
        /* the earliest head; ties go to the earlier input (k order), which
         * keeps the merge stable.  Few inputs: a scan beats a heap. */
        struct input *best = NULL;
        for (int k = 0; k < m.n; k++)
            if (m.in[k].live && (!best || m.in[k].h.ts < best->h.ts)) best = &m.in[k];
        if (!best) break;
        if (lt0 < 0) lt0 = best->h.linktype;
        struct pc_wpacket p = { .ts = best->h.ts, .data = best->data, .caplen = best->h.caplen, .len = best->h.len,
                                .comment = (const char *)best->h.comment, .comment_len = best->h.comment_len,
                                .flags = best->h.flags };
        cli_more_comments(best->r, &best->h, &p);
        if (m.format == PC_FORMAT_PCAPNG || fit_pcap(&m, best, &p, lt0)) {
            p.ifindex = out_iface(&m, best);
            if (pc_writer_write_ex(m.w, &p) < 0) {
                char where[600];
                snprintf(where, sizeof where, "%s: packet %llu", best->path, (unsigned long long)pc_reader_count(best->r));
                fail(&m, "%s: %s", where, pc_writer_last_err(m.w)->msg);
            }
            m.written++;
        }
        advance(&m, best);
    }
    struct pc_err err = { 0 };
    if (pc_writer_close(m.w, &err) < 0) cli_runtime_error("%s", err.msg);
    if (m.dropped && !m.quiet)
        cli_warn("--lossy: %llu packets of other link types dropped", (unsigned long long)m.dropped);
    for (int k = 0; k < m.n; k++) {
        pc_reader_close(m.in[k].r);
        iface_map_free(&m.in[k].map);
    }
    free(m.in);
    return EXIT_OK;
}

/* pktcraft convert: rewrite a capture in another format, losslessly unless
 * --lossy says what may be dropped. */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "capfile.h"

struct conv {
    const char *in, *out;
    int format;
    bool lossy, quiet;
    struct pc_reader *r;
    struct pc_writer *w;
    struct iface_map map;
    uint64_t n, dropped, cut_ns, dropped_comments;
};

static void help(void)
{
    printf("Usage: pktcraft convert IN -o OUT [-F pcap|nsecpcap|pcapng] [--lossy]\n\n"
           "Rewrite a capture (pcap, pcapng, either gzip-compressed; '-' is stdin) in\n"
           "another format. Nothing is lost silently: where the target cannot hold\n"
           "something (packets of several link types, comments or direction flags in\n"
           "pcap, nanoseconds in microsecond pcap) the conversion fails and says what\n"
           "would be lost, unless --lossy is given (then such packets are dropped,\n"
           "comments and flags left out, timestamps cut to microseconds, and a\n"
           "summary of the losses printed).\n\n"
           "  -o, --output FILE   output file ('-' for stdout); never the input\n"
           "  -F FORMAT           pcap, nsecpcap or pcapng (default pcapng)\n"
           "      --lossy         allow the losses above\n"
           "  -q, --quiet         no loss summary\n"
           "      --limit NAME=VALUE  change a resource limit (see below)\n"
           "  -h, --help          show this help\n\n"
           "pcapng output keeps every interface (link type, snaplen, name,\n"
           "description, resolution, offset), packet comments and flags, and the\n"
           "section's comment and application strings.\n\n"
           "Examples:\n"
           "  pktcraft convert capture.pcapng -o capture.pcap -F pcap\n"
           "  pktcraft convert old.pcap.gz -o new.pcapng\n\n");
    cli_limits_help(stdout);
}

static void parse_args(struct conv *c, int argc, char **argv)
{
    static const struct option longopts[] = {
        { "output", required_argument, 0, 'o' }, { "lossy", no_argument, 0, 'L' },
        { "quiet", no_argument, 0, 'q' }, { "limit", required_argument, 0, CLI_OPT_LIMIT },
        { "help", no_argument, 0, 'h' }, { 0, 0, 0, 0 },
    };
    memset(c, 0, sizeof *c);
    c->format = PC_FORMAT_PCAPNG;
    int opt;
    while ((opt = getopt_long(argc, argv, ":o:w:F:qh", longopts, NULL)) != -1) {
        switch (opt) {
        case 'h': help(); exit(EXIT_OK);
        case CLI_OPT_LIMIT: cli_limit_opt(optarg); break;
        case 'o': case 'w': c->out = optarg; break;
        case 'F': c->format = cli_parse_format("-F", optarg); break;
        case 'L': c->lossy = true; break;
        case 'q': c->quiet = true; break;
        default: cli_bad_option(opt, argv);
        }
    }
    if (optind >= argc) cli_usage_error("an input file is required ('-' for stdin)");
    c->in = argv[optind++];
    if (optind < argc) cli_usage_error("unexpected argument '%s' (one input; use merge for several)", argv[optind]);
    if (!c->out) cli_usage_error("-o FILE is required");
    if (strcmp(c->out, "-") && !strcmp(c->in, c->out)) cli_usage_error("the output must not be the input (%s)", c->in);
}

/* Stop: nothing is written, and the message says what would be lost. */
static _Noreturn void refuse(struct conv *c, const char *fmt, const char *what)
{
    /* what may live in the writer (its last error): keep it past the abort */
    char msg[1024];
    snprintf(msg, sizeof msg, "%s", what);
    pc_writer_abort(c->w);
    cli_runtime_error(fmt, c->in, (unsigned long long)c->n, msg);
}

static void open_out(struct conv *c)
{
    struct pc_err err = { 0 };
    const struct pc_shb *shb = pc_reader_nsections(c->r) ? pc_reader_section(c->r, 0) : NULL;
    const struct pc_iface *if0 = pc_reader_ninterfaces(c->r) ? pc_reader_interface(c->r, 0) : NULL;
    struct pc_writer_opts o = { .format = c->format, .linktype = pc_reader_linktype(c->r),
                                .snaplen = pc_reader_snaplen(c->r),
                                /* records exactly as read, even caplen > snaplen */
                                .verbatim = true };
    if (o.linktype < 0) o.linktype = if0 ? if0->linktype : 1;
    if (c->format != PC_FORMAT_PCAPNG) {
        /* a pcap link type field also carries the FCS length */
        if (pc_reader_format(c->r) != PC_FORMAT_PCAPNG) o.linktype = (int)pc_reader_linktype_field(c->r);
        else if (if0 && if0->fcslen > 0) o.linktype |= 0x04000000 | ((if0->fcslen / 2) << 28);
    }
    if (shb) {
        o.shb_userappl = shb->userappl;
        o.shb_os = shb->os;
        o.shb_hardware = shb->hardware;
        if (shb->ncomments) o.comment = shb->comments[0];
    }
    c->w = pc_writer_open(c->out, &o, &err);
    if (!c->w) cli_runtime_error("%s", err.msg);
}

static uint32_t out_iface(struct conv *c, uint32_t i)
{
    if (c->format != PC_FORMAT_PCAPNG) return 0;
    int idx = iface_map_get(&c->map, c->r, c->w, i);
    if (idx < 0) refuse(c, "%s: packet %llu: cannot add interface: %s", pc_strerror(idx));
    return (uint32_t)idx;
}

/* What a pcap output cannot hold: refused, or with --lossy dropped (other
 * link types), left out (comments, flags) or cut (nanoseconds). */
static bool fit_pcap(struct conv *c, const struct pc_pkthdr *h, struct pc_wpacket *p, int linktype0)
{
    bool drop;
    const char *why = pcap_misfit(h, c->format, linktype0, &drop);
    if (!why) return true;
    if (!c->lossy) {
        char msg[512];
        snprintf(msg, sizeof msg, "%s (%s)", why,
                 pcap_misfit_hint(h, c->format, linktype0, pc_reader_format(c->r) != PC_FORMAT_PCAPNG));
        refuse(c, "%s: packet %llu: %s", msg);
    }
    if (drop) { c->dropped++; return false; }
    if (h->ncomments || h->flags) c->dropped_comments++;
    else c->cut_ns++;
    p->comment = NULL;
    p->more = NULL;
    p->nmore = 0;
    p->comment_len = 0;
    p->flags = 0;
    return true;
}

static void check_file_comments(struct conv *c)
{
    if (c->format == PC_FORMAT_PCAPNG || c->lossy) return;
    for (uint32_t s = 0; s < pc_reader_nsections(c->r); s++)
        if (pc_reader_section(c->r, s)->ncomments)
            refuse(c, "%s: after packet %llu: %s (use -F pcapng, or --lossy)", "the file has a comment, which pcap cannot hold");
}

int cmd_convert(int argc, char **argv)
{
    static struct conv c;
    parse_args(&c, argc, argv);
    struct pc_err err = { 0 };
    c.r = pc_reader_open_ex(c.in, cli_limits(), &err);
    if (!c.r) cli_runtime_error("%s", err.msg);
    open_out(&c);
    check_file_comments(&c);
    int linktype0 = -1, rc;
    struct pc_pkthdr h = { 0 };
    const uint8_t *data = NULL;
    while ((rc = pc_reader_next(c.r, &h, &data)) > 0) {
        c.n++;
        if (linktype0 < 0) linktype0 = h.linktype;
        struct pc_wpacket p = { .ts = h.ts, .data = data, .caplen = h.caplen, .len = h.len,
                                .comment = (const char *)h.comment, .comment_len = h.comment_len, .flags = h.flags };
        cli_more_comments(c.r, &h, &p);
        if (c.format != PC_FORMAT_PCAPNG && !fit_pcap(&c, &h, &p, linktype0)) continue;
        p.ifindex = out_iface(&c, h.ifindex);
        if (pc_writer_write_ex(c.w, &p) < 0) {
            const struct pc_err *e = pc_writer_last_err(c.w);
            refuse(&c, "%s: packet %llu: %s", e->msg);
        }
    }
    if (rc < 0) {
        char msg[sizeof err.msg];
        snprintf(msg, sizeof msg, "%s", pc_reader_err(c.r)->msg);
        pc_writer_abort(c.w);
        cli_runtime_error("%s (nothing written)", msg);
    }
    check_file_comments(&c); /* sections found after the first packet */
    /* interfaces without packets are kept too */
    if (c.format == PC_FORMAT_PCAPNG && pc_reader_ninterfaces(c.r)) out_iface(&c, pc_reader_ninterfaces(c.r) - 1);
    if (pc_writer_close(c.w, &err) < 0) cli_runtime_error("%s", err.msg);
    if (c.lossy && !c.quiet && (c.dropped || c.dropped_comments || c.cut_ns))
        cli_warn("%s: --lossy: %llu packets of other link types dropped, %llu comments or flags left out, %llu timestamps cut to microseconds",
                 c.in, (unsigned long long)c.dropped, (unsigned long long)c.dropped_comments, (unsigned long long)c.cut_ns);
    pc_reader_close(c.r);
    iface_map_free(&c.map);
    return EXIT_OK;
}

/* pktcraft flows: one row per TCP/UDP flow, with reassembly counters, and
 * optionally each direction's reassembled bytes written to files. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "filter.h"
#include "pktcraft/analysis/analyzer.h"
#include "pktcraft/core/fmt.h"

enum fmt { FMT_TEXT, FMT_JSONL, FMT_JSON };

struct flows_args {
    const char *path;
    enum fmt fmt;
    const char *write_dir;
    int overlap;
    bool no_defrag;
    char filter[4096];
};

static void help(void)
{
    printf("Usage: pktcraft flows [OPTIONS] FILE [FILTER...]\n\n"
           "List every TCP and UDP flow of a capture (pcap, pcapng, gzip; '-' is stdin)\n"
           "with its endpoints, times, packets and reassembled bytes each way, TCP state,\n"
           "retransmissions, gaps, overlaps and conflicting overlaps. IP fragments are\n"
           "reassembled first. The client is the SYN's sender, else the endpoint with\n"
           "the higher port. Flows are printed as they end (closed, idle, evicted) and\n"
           "the rest, in the order they began, at the end of the capture. A trailing\n"
           "BPF filter selects the packets that count.\n\n"
           "Options:\n"
           "      --format text|jsonl|json  output format (default text)\n"
           "      --write-dir DIR           write each direction's reassembled bytes to\n"
           "                                DIR/ID_PROTO_CLIENT_CPORT_SERVER_SPORT_{c2s,s2c}.bin\n"
           "      --overlap first|last      which copy of overlapping bytes wins (default first)\n"
           "      --no-defrag               leave IP fragments alone\n"
           "      --limit NAME=VALUE        change a resource limit (see below)\n"
           "  -h, --help                    show this help\n\n"
           "JSON keys: id, proto, client, cport, server, sport, first_ts, last_ts,\n"
           "c2s_packets, c2s_bytes, s2c_packets, s2c_bytes (bytes: reassembled payload),\n"
           "c2s_wire_bytes, s2c_wire_bytes (payload seen, retransmissions included), state,\n"
           "end, by_syn, mid, retrans, gaps, gap_bytes, overlaps, conflicts, limit_cuts\n"
           "(gaps a memory limit declared; all counters both ways). A limit that cuts\n"
           "streams or evicts flows is reported on stderr.\n\n"
           "Examples:\n"
           "  pktcraft flows capture.pcap\n"
           "  pktcraft flows --format jsonl --write-dir out capture.pcapng tcp port 80\n\n"
           "Exit status: 0 success, 1 unreadable or damaged file (flows up to the damage\n"
           "are printed), 2 usage error.\n\n");
    cli_limits_help(stdout);
}

static void parse_args(struct flows_args *a, int argc, char **argv)
{
    enum { O_FORMAT = 1000, O_WRITE_DIR, O_OVERLAP, O_NO_DEFRAG };
    static const struct option longopts[] = {
        { "format", required_argument, 0, O_FORMAT },       { "write-dir", required_argument, 0, O_WRITE_DIR },
        { "overlap", required_argument, 0, O_OVERLAP },     { "no-defrag", no_argument, 0, O_NO_DEFRAG },
        { "limit", required_argument, 0, CLI_OPT_LIMIT },   { "help", no_argument, 0, 'h' },
        { 0, 0, 0, 0 },
    };
    memset(a, 0, sizeof *a);
    int opt;
    while ((opt = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
        switch (opt) {
        case 'h': help(); exit(EXIT_OK);
        case CLI_OPT_LIMIT: cli_limit_opt(optarg); break;
        case O_FORMAT:
            if (!strcmp(optarg, "text")) a->fmt = FMT_TEXT;
            else if (!strcmp(optarg, "jsonl")) a->fmt = FMT_JSONL;
            else if (!strcmp(optarg, "json")) a->fmt = FMT_JSON;
            else cli_usage_error("--format: '%s' is not text, jsonl or json", optarg);
            break;
        case O_WRITE_DIR: a->write_dir = optarg; break;
        case O_OVERLAP: a->overlap = cli_parse_overlap("--overlap", optarg); break;
        case O_NO_DEFRAG: a->no_defrag = true; break;
        default: cli_bad_option(opt, argv);
        }
    }
    if (optind >= argc) cli_usage_error("a FILE to read is required ('-' for stdin)");
    a->path = argv[optind++];
    cli_filter_join(a->filter, sizeof a->filter, argc, argv);
}

/* ------------------------------------------------------------ output */

struct run {
    struct flows_args *a;
    struct pc_fmt *o;
    uint64_t shown;
    uint64_t cut_flows, cuts; /* what the reassembly limits gave up */
    /* --write-dir: the files are opened for each write and closed again,
     * so any number of flows may be open at once */
    int dirfd;
};

static void fmt_ts(struct pc_fmt *o, const char *key, pc_time_ns ts)
{
    char t[32];
    cli_fmt_ts(ts, t);
    pc_fmt_kstr(o, key, t);
}

static void flow_json(struct pc_fmt *o, const struct pc_flow *f)
{
    char c[46], s[46];
    pc_flow_addr_str(f, 0, c);
    pc_flow_addr_str(f, 1, s);
    o->members = 0;
    pc_fmt_kobj_open(o, NULL);
    pc_fmt_kuint(o, "id", f->id);
    pc_fmt_kstr(o, "proto", f->proto == 6 ? "tcp" : "udp");
    pc_fmt_kstr(o, "client", c);
    pc_fmt_kuint(o, "cport", f->cport);
    pc_fmt_kstr(o, "server", s);
    pc_fmt_kuint(o, "sport", f->sport);
    fmt_ts(o, "first_ts", f->first_ts);
    fmt_ts(o, "last_ts", f->last_ts);
    pc_fmt_kuint(o, "c2s_packets", f->dir[0].packets);
    pc_fmt_kuint(o, "c2s_bytes", f->dir[0].bytes);
    pc_fmt_kuint(o, "s2c_packets", f->dir[1].packets);
    pc_fmt_kuint(o, "s2c_bytes", f->dir[1].bytes);
    pc_fmt_kuint(o, "c2s_wire_bytes", f->dir[0].wire_bytes);
    pc_fmt_kuint(o, "s2c_wire_bytes", f->dir[1].wire_bytes);
    pc_fmt_kstr(o, "state", pc_flow_state_name(f->state));
    pc_fmt_kstr(o, "end", pc_flow_end_name(f->end));
    pc_fmt_kbool(o, "by_syn", f->by_syn);
    pc_fmt_kbool(o, "mid", f->mid);
    pc_fmt_kuint(o, "retrans", f->dir[0].retrans + f->dir[1].retrans);
    pc_fmt_kuint(o, "gaps", f->dir[0].gaps + f->dir[1].gaps);
    pc_fmt_kuint(o, "gap_bytes", f->dir[0].gap_bytes + f->dir[1].gap_bytes);
    pc_fmt_kuint(o, "overlaps", f->dir[0].overlaps + f->dir[1].overlaps);
    pc_fmt_kuint(o, "conflicts", f->dir[0].conflicts + f->dir[1].conflicts);
    pc_fmt_kuint(o, "limit_cuts", f->dir[0].limit_cuts + f->dir[1].limit_cuts);
    pc_fmt_kobj_close(o);
}

/* Text output without printf: a line is formatted for every flow of a
 * capture (hundreds of thousands), and vsnprintf was a fifth of the
 * command's instructions.  The line is built in a local buffer (at most
 * about 460 characters: every number 20 digits, every counter present)
 * and handed to the writer at once. */
struct line {
    char b[640];
    size_t n;
};

static void put_mem(struct line *l, const char *s, size_t n)
{
    memcpy(l->b + l->n, s, n);
    l->n += n;
}

static void put_str(struct line *l, const char *s) { put_mem(l, s, strlen(s)); }

/* Returns the number of digits written. */
static size_t put_uint(struct line *l, uint64_t v)
{
    char b[20];
    size_t i = sizeof b;
    do {
        b[--i] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    put_mem(l, b + i, sizeof b - i);
    return sizeof b - i;
}

/* "NAME N" when n is not 0 */
static void put_count(struct line *l, const char *name, uint64_t n)
{
    if (!n) return;
    put_str(l, name);
    put_uint(l, n);
}

/* "ADDR:PORT" */
static void put_endpoint(struct line *l, const struct pc_flow *f, int server)
{
    char a[46];
    pc_flow_addr_str(f, server, a);
    put_str(l, a);
    put_mem(l, ":", 1);
    put_uint(l, server ? f->sport : f->cport);
}

/* "A/B" */
static void put_pair(struct line *l, uint64_t a, uint64_t b)
{
    put_uint(l, a);
    put_mem(l, "/", 1);
    put_uint(l, b);
}

static void flow_text(struct pc_fmt *o, const struct pc_flow *f)
{
    struct line l = { .n = 0 };
    for (size_t w = put_uint(&l, f->id); w < 5; w++) put_mem(&l, " ", 1); /* "%-5llu" */
    char t[32];
    cli_fmt_ts(f->first_ts, t);
    put_mem(&l, " ", 1);
    put_str(&l, t);
    put_str(&l, f->proto == 6 ? " tcp " : " udp ");
    put_endpoint(&l, f, 0);
    put_str(&l, " > ");
    put_endpoint(&l, f, 1);
    put_str(&l, "  ");
    put_pair(&l, f->dir[0].packets, f->dir[1].packets);
    put_str(&l, " pkts  ");
    put_pair(&l, f->dir[0].bytes, f->dir[1].bytes);
    put_str(&l, " bytes  ");
    put_str(&l, pc_flow_state_name(f->state));
    put_str(&l, " (");
    put_str(&l, pc_flow_end_name(f->end));
    put_str(&l, ")");
    put_count(&l, " retrans ", f->dir[0].retrans + f->dir[1].retrans);
    uint64_t g = f->dir[0].gaps + f->dir[1].gaps;
    if (g) {
        put_count(&l, " gaps ", g);
        put_str(&l, " (");
        put_uint(&l, f->dir[0].gap_bytes + f->dir[1].gap_bytes);
        put_str(&l, " bytes)");
    }
    put_count(&l, " overlaps ", f->dir[0].overlaps + f->dir[1].overlaps);
    put_count(&l, " conflicts ", f->dir[0].conflicts + f->dir[1].conflicts);
    put_count(&l, " limit-cut ", f->dir[0].limit_cuts + f->dir[1].limit_cuts);
    if (f->mid) put_str(&l, " mid-stream");
    put_str(&l, "\n");
    pc_fmt_put(o, l.b, l.n);
}

static void on_frag(void *ctx, const struct pc_defrag_report *rep) { cli_frag_report(((struct run *)ctx)->a->path, rep); }

static void on_flow_end(void *ctx, const struct pc_flow *f)
{
    struct run *r = ctx;
    uint64_t cuts = f->dir[0].limit_cuts + f->dir[1].limit_cuts;
    if (cuts) {
        r->cut_flows++;
        r->cuts += cuts;
    }
    if (r->a->fmt == FMT_TEXT) {
        flow_text(r->o, f);
    } else {
        if (r->a->fmt == FMT_JSON && r->shown) pc_fmt_put(r->o, ",\n", 2);
        flow_json(r->o, f);
        if (r->a->fmt == FMT_JSONL) pc_fmt_putc(r->o, '\n');
    }
    r->shown++;
}

/* DIR/ID_PROTO_CLIENT_CPORT_SERVER_SPORT_c2s.bin */
static void flow_file(const struct pc_flow *f, int dir, char *out, size_t cap)
{
    char c[46], s[46];
    pc_flow_addr_str(f, 0, c);
    pc_flow_addr_str(f, 1, s);
    snprintf(out, cap, "%llu_%s_%s_%u_%s_%u_%s.bin", (unsigned long long)f->id, f->proto == 6 ? "tcp" : "udp", c,
             f->cport, s, f->sport, dir ? "s2c" : "c2s");
}

static void write_bytes(struct run *r, const struct pc_flow *f, int dir, const uint8_t *p, size_t n)
{
    char name[256];
    flow_file(f, dir, name, sizeof name);
    int fd = openat(r->dirfd, name, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fd < 0) cli_runtime_error("--write-dir: %s/%s: %s", r->a->write_dir, name, strerror(errno));
    while (n) {
        ssize_t k = write(fd, p, n);
        if (k < 0 && errno == EINTR) continue;
        if (k <= 0) cli_runtime_error("--write-dir: %s/%s: %s", r->a->write_dir, name, strerror(errno));
        p += k;
        n -= (size_t)k;
    }
    close(fd);
}

static void on_data(void *ctx, const struct pc_flow *f, int dir, const uint8_t *p, size_t n, uint64_t off,
                    pc_time_ns ts)
{
    (void)off, (void)ts;
    struct run *r = ctx;
    if (r->dirfd >= 0 && n) write_bytes(r, f, dir, p, n);
}

static void on_datagram(void *ctx, const struct pc_flow *f, int dir, const uint8_t *p, size_t n,
                        const struct pc_apkt *pk)
{
    (void)pk;
    on_data(ctx, f, dir, p, n, 0, 0);
}

/* A limit that cut something says so (the output goes on: exit 0). */
static void report_limits(const struct run *r, const struct pc_analyzer_stats *st)
{
    if (r->cuts)
        cli_warn("%s: --limit reasm-flow/reasm-total: %llu holes in %llu flows given up as gaps to stay within "
                 "the reassembly memory (the flows' limit_cuts; raise the limits to keep them)",
                 r->a->path, (unsigned long long)r->cuts, (unsigned long long)r->cut_flows);
    if (st->flows_evicted)
        cli_warn("%s: --limit flows: %llu flows evicted before their end to stay within %llu flows at once "
                 "(end \"evicted\"; a later packet of one starts a new flow)",
                 r->a->path, (unsigned long long)st->flows_evicted, (unsigned long long)cli_limits()->flows);
}

static int open_dir(const char *dir)
{
    if (mkdir(dir, 0755) < 0 && errno != EEXIST) cli_runtime_error("--write-dir: %s: %s", dir, strerror(errno));
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) cli_runtime_error("--write-dir: %s: %s", dir, strerror(errno));
    return fd;
}

int cmd_flows(int argc, char **argv)
{
    struct flows_args a;
    parse_args(&a, argc, argv);
    struct pc_err err = { 0 };
    struct pc_reader *r = pc_reader_open_ex(a.path, cli_limits(), &err);
    if (!r) cli_runtime_error("%s", err.msg);
    struct run run = { .a = &a, .o = cli_out(a.fmt != FMT_TEXT), .dirfd = -1 };
    if (a.write_dir) run.dirfd = open_dir(a.write_dir);
    struct cli_filter flt;
    cli_filter_setup(&flt, a.filter, pc_reader_linktype(r));
    struct pc_analyzer_opts o = { .lim = cli_limits(), .overlap = a.overlap, .no_defrag = a.no_defrag,
                                  .no_streams = false, .decode_flags = PC_DEC_NO_L4CSUM };
    struct pc_analyzer_cbs cbs = { .flow_end = on_flow_end, .frag = on_frag };
    if (a.write_dir) {
        cbs.data = on_data;
        cbs.datagram = on_datagram;
    }
    struct pc_analyzer *an = pc_analyzer_new(&o, &cbs, &run);
    if (!an) cli_runtime_error("out of memory");
    if (a.fmt == FMT_JSON) pc_fmt_putc(run.o, '[');
    struct pc_pkthdr h;
    const uint8_t *data;
    int rc;
    while ((rc = pc_reader_next(r, &h, &data)) > 0) {
        if (!cli_filter_match(&flt, &h, data)) {
            pc_analyzer_skip(an);
            continue;
        }
        if (pc_analyzer_packet(an, &h, data) < 0) cli_runtime_error("out of memory");
    }
    pc_analyzer_finish(an);
    if (a.fmt == FMT_JSON) pc_fmt_put(run.o, "]\n", 2);
    cli_out_flush();
    report_limits(&run, pc_analyzer_stats(an));
    pc_analyzer_free(an);
    cli_filter_free(&flt);
    if (run.dirfd >= 0) close(run.dirfd);
    int status = EXIT_OK;
    cli_out_flush();
    if (rc < 0) {
        cli_warn("%s", pc_reader_err(r)->msg);
        status = EXIT_RUNTIME;
    }
    pc_reader_close(r);
    return status;
}

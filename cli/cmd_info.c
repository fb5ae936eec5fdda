/* pktcraft info: what a capture file holds, like capinfos. */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "capfile.h"
#include "pktcraft/core/fmt.h"

struct stats {
    uint64_t packets, data_bytes, cap_bytes, comments, out_of_order, untimed;
    pc_time_ns first, last, prev;
    bool have_ts;
    uint32_t linktypes[64];
    int nlink;
};

static void help(void)
{
    printf("Usage: pktcraft info [--format text|json] FILE...\n\n"
           "Describe capture files (pcap, pcapng, either gzip-compressed; '-' is\n"
           "stdin), like capinfos: format, byte order, link types, interfaces, packet\n"
           "count, data size (original lengths) and captured size, first and last\n"
           "timestamp, duration, average rates, comments. Reading is streaming.\n\n"
           "      --format text|json  output format (default text; json: one object per file,\n"
           "                          in an array)\n"
           "      --limit NAME=VALUE  change a resource limit (see below)\n"
           "  -h, --help              show this help\n\n"
           "Exit status 1 when a file is unreadable or damaged (its figures up to the\n"
           "damage are still printed, with the error).\n\n"
           "Examples:\n"
           "  pktcraft info capture.pcapng\n"
           "  pktcraft info --format json *.pcap\n\n");
    cli_limits_help(stdout);
}

/* A string from the file, on a terminal: control characters escaped. */
static void print_item(uint32_t section, const char *what, const char *s)
{
    printf("  section %u %s: ", section, what);
    cli_fputs_safe(stdout, s);
    putchar('\n');
}

static void add_linktype(struct stats *s, int lt)
{
    for (int k = 0; k < s->nlink; k++)
        if (s->linktypes[k] == (uint32_t)lt) return;
    if (s->nlink < 64) s->linktypes[s->nlink++] = (uint32_t)lt;
}

/* Read every packet; returns the reader's final status (0 or PC_E*). */
static int scan(struct pc_reader *r, struct stats *s)
{
    struct pc_pkthdr h = { 0 };
    const uint8_t *data = NULL;
    int rc;
    memset(s, 0, sizeof *s);
    while ((rc = pc_reader_next(r, &h, &data)) > 0) {
        s->packets++;
        s->data_bytes += h.len;
        s->cap_bytes += h.caplen;
        s->comments += h.ncomments;
        add_linktype(s, h.linktype);
        if (!h.has_ts && pc_reader_format(r) == PC_FORMAT_PCAPNG) { s->untimed++; continue; } /* Simple Packet Blocks */
        if (!s->have_ts) { s->first = s->last = h.ts; s->have_ts = true; }
        if (h.ts < s->prev) s->out_of_order++;
        if (h.ts < s->first) s->first = h.ts;
        if (h.ts > s->last) s->last = h.ts;
        s->prev = h.ts;
    }
    /* Like capinfos: with packets that have no time, first/last/duration
     * would describe only some of them, so none are given. */
    if (s->untimed) s->have_ts = false;
    return rc < 0 ? rc : 0;
}

static const char *byte_order(const struct pc_reader *r)
{
    bool host_big = __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__;
    bool file_big = pc_reader_swapped(r) ? !host_big : host_big;
    return file_big ? "big-endian" : "little-endian";
}

/* Rates as capinfos computes them: over the duration, 0 when it is 0. */
static double per_sec(uint64_t v, pc_time_ns dur) { return dur > 0 ? (double)v * 1e9 / (double)dur : 0.0; }

static void print_text(const char *path, off_t size, struct pc_reader *r, const struct stats *s)
{
    char a[48], b[48], ts[32];
    printf("File name:           %s\n", path);
    printf("File format:         %s%s\n", pc_format_name(pc_reader_format(r)), pc_reader_gzip(r) ? " (gzip)" : "");
    printf("Byte order:          %s\n", byte_order(r));
    printf("Link types:         ");
    for (int k = 0; k < s->nlink; k++) printf(" %u", s->linktypes[k]);
    printf("%s\n", s->nlink ? "" : " none");
    printf("Sections:            %u\n", pc_reader_nsections(r));
    for (uint32_t k = 0; k < pc_reader_nsections(r); k++) {
        const struct pc_shb *sh = pc_reader_section(r, k);
        if (sh->userappl) print_item(k, "application", sh->userappl);
        if (sh->os) print_item(k, "os", sh->os);
        if (sh->hardware) print_item(k, "hardware", sh->hardware);
        for (uint32_t c = 0; c < sh->ncomments; c++) print_item(k, "comment", sh->comments[c]);
    }
    printf("Interfaces:          %u\n", pc_reader_ninterfaces(r));
    for (uint32_t k = 0; k < pc_reader_ninterfaces(r); k++) {
        const struct pc_iface *i = pc_reader_interface(r, k);
        printf("  #%u: link type %d, snaplen %u, resolution %s%u", k, i->linktype, i->snaplen,
               i->tsresol & 0x80 ? "2^-" : "10^-", (unsigned)(i->tsresol & 0x7F));
        if (i->name) fputs(", name ", stdout), cli_fputs_safe(stdout, i->name);
        if (i->description) fputs(", description ", stdout), cli_fputs_safe(stdout, i->description);
        putchar('\n');
    }
    printf("Number of packets:   %llu\n", (unsigned long long)s->packets);
    if (size >= 0) printf("File size:           %lld bytes\n", (long long)size);
    printf("Data size:           %llu bytes\n", (unsigned long long)s->data_bytes);
    printf("Captured size:       %llu bytes\n", (unsigned long long)s->cap_bytes);
    if (s->have_ts) {
        pc_time_ns dur = s->last - s->first;
        cli_fmt_iso(s->first, a);
        cli_fmt_iso(s->last, b);
        cli_fmt_ts(dur, ts);
        printf("First packet time:   %s\n", a);
        printf("Last packet time:    %s\n", b);
        printf("Capture duration:    %s seconds\n", ts);
        printf("Data byte rate:      %.2f bytes/s\n", per_sec(s->data_bytes, dur));
        printf("Data bit rate:       %.2f bits/s\n", per_sec(s->data_bytes * 8, dur));
        printf("Average packet rate: %.2f packets/s\n", per_sec(s->packets, dur));
    }
    if (s->packets) printf("Average packet size: %.2f bytes\n", (double)s->data_bytes / (double)s->packets);
    if (s->untimed) printf("Packets without time: %llu (Simple Packet Blocks: no first/last time given)\n", (unsigned long long)s->untimed);
    printf("Strict time order:   %s\n", s->out_of_order ? "False" : "True");
    printf("Packet comments:     %llu\n", (unsigned long long)s->comments);
    const struct pc_ng_dropped *dr = pc_reader_meta_dropped(r);
    if (dr->items || dr->cut)
        printf("Metadata not kept:   %llu strings (%llu bytes) over --limit pcapng-meta, %llu cut to "
               "--limit pcapng-meta-item\n",
               (unsigned long long)dr->items, (unsigned long long)dr->bytes, (unsigned long long)dr->cut);
}

static void print_json(const char *path, off_t size, struct pc_reader *r, const struct stats *s, const char *error)
{
    struct pc_fmt *f = cli_out(true);
    f->members = 0;
    pc_fmt_kobj_open(f, NULL);
    pc_fmt_kstr(f, "file", path);
    pc_fmt_kstr(f, "format", pc_format_name(pc_reader_format(r)));
    pc_fmt_kbool(f, "gzip", pc_reader_gzip(r));
    pc_fmt_kstr(f, "byte_order", byte_order(r));
    pc_fmt_karr_open(f, "link_types");
    for (int k = 0; k < s->nlink; k++) {
        char n[16];
        snprintf(n, sizeof n, "%u", s->linktypes[k]);
        pc_fmt_raw(f, n);
    }
    pc_fmt_karr_close(f);
    pc_fmt_karr_open(f, "sections");
    for (uint32_t k = 0; k < pc_reader_nsections(r); k++) {
        const struct pc_shb *sh = pc_reader_section(r, k);
        pc_fmt_kobj_open(f, NULL);
        if (sh->userappl) pc_fmt_kstr(f, "application", sh->userappl);
        if (sh->os) pc_fmt_kstr(f, "os", sh->os);
        if (sh->hardware) pc_fmt_kstr(f, "hardware", sh->hardware);
        pc_fmt_kbool(f, "big_endian", sh->big);
        pc_fmt_karr_open(f, "comments");
        for (uint32_t c = 0; c < sh->ncomments; c++) pc_fmt_kstr(f, NULL, sh->comments[c]);
        pc_fmt_karr_close(f);
        pc_fmt_kobj_close(f);
    }
    pc_fmt_karr_close(f);
    pc_fmt_karr_open(f, "interfaces");
    for (uint32_t k = 0; k < pc_reader_ninterfaces(r); k++) {
        const struct pc_iface *i = pc_reader_interface(r, k);
        pc_fmt_kobj_open(f, NULL);
        pc_fmt_kuint(f, "link_type", (uint64_t)i->linktype);
        pc_fmt_kuint(f, "snaplen", i->snaplen);
        pc_fmt_kuint(f, "tsresol", i->tsresol);
        if (i->name) pc_fmt_kstr(f, "name", i->name);
        if (i->description) pc_fmt_kstr(f, "description", i->description);
        pc_fmt_kuint(f, "section", i->section);
        pc_fmt_kobj_close(f);
    }
    pc_fmt_karr_close(f);
    pc_fmt_kuint(f, "packets", s->packets);
    if (size >= 0) pc_fmt_kuint(f, "file_size", (uint64_t)size);
    pc_fmt_kuint(f, "data_size", s->data_bytes);
    pc_fmt_kuint(f, "captured_size", s->cap_bytes);
    if (s->have_ts) {
        char a[48], b[48], ts[32];
        cli_fmt_ts(s->first, ts);
        pc_fmt_kstr(f, "first", ts);
        cli_fmt_ts(s->last, ts);
        pc_fmt_kstr(f, "last", ts);
        cli_fmt_iso(s->first, a);
        cli_fmt_iso(s->last, b);
        pc_fmt_kstr(f, "first_iso", a);
        pc_fmt_kstr(f, "last_iso", b);
        cli_fmt_ts(s->last - s->first, ts);
        pc_fmt_kstr(f, "duration", ts);
        char rate[64];
        snprintf(rate, sizeof rate, "%.2f", per_sec(s->data_bytes, s->last - s->first));
        pc_fmt_kraw(f, "data_byte_rate", rate);
        snprintf(rate, sizeof rate, "%.2f", per_sec(s->packets, s->last - s->first));
        pc_fmt_kraw(f, "packet_rate", rate);
    } else {
        pc_fmt_knull(f, "first");
        pc_fmt_knull(f, "last");
    }
    pc_fmt_kuint(f, "packets_without_time", s->untimed);
    pc_fmt_kbool(f, "strict_time_order", !s->out_of_order);
    pc_fmt_kuint(f, "packet_comments", s->comments);
    const struct pc_ng_dropped *dr = pc_reader_meta_dropped(r);
    pc_fmt_kobj_open(f, "metadata_dropped");
    pc_fmt_kuint(f, "strings", dr->items);
    pc_fmt_kuint(f, "bytes", dr->bytes);
    pc_fmt_kuint(f, "cut", dr->cut);
    pc_fmt_kobj_close(f);
    if (error) pc_fmt_kstr(f, "error", error);
    else pc_fmt_knull(f, "error");
    pc_fmt_kobj_close(f);
}

int cmd_info(int argc, char **argv)
{
    static const struct option longopts[] = {
        { "format", required_argument, 0, 'f' }, { "limit", required_argument, 0, CLI_OPT_LIMIT },
        { "help", no_argument, 0, 'h' }, { 0, 0, 0, 0 },
    };
    bool json = false;
    int opt;
    while ((opt = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
        if (opt == 'h') { help(); exit(EXIT_OK); }
        if (opt == CLI_OPT_LIMIT) { cli_limit_opt(optarg); continue; }
        if (opt != 'f') cli_bad_option(opt, argv);
        if (!strcmp(optarg, "json")) json = true;
        else if (strcmp(optarg, "text")) cli_usage_error("--format: '%s' is not text or json", optarg);
    }
    if (optind >= argc) cli_usage_error("a FILE is required ('-' for stdin)");
    int status = EXIT_OK, shown = 0;
    if (json) pc_fmt_putc(cli_out(true), '[');
    for (int k = optind; k < argc; k++) {
        const char *path = argv[k];
        struct pc_err err = { 0 };
        struct pc_reader *r = pc_reader_open_ex(path, cli_limits(), &err);
        if (!r) { cli_warn("%s", err.msg); status = EXIT_RUNTIME; continue; }
        struct stats s;
        int rc = scan(r, &s);
        struct stat st;
        off_t size = (strcmp(path, "-") && stat(path, &st) == 0) ? st.st_size : -1;
        const char *error = rc < 0 ? pc_reader_err(r)->msg : NULL;
        if (json) {
            if (shown++) pc_fmt_put(cli_out(true), ",\n", 2);
            print_json(path, size, r, &s, error);
        } else {
            if (shown++) putchar('\n');
            print_text(path, size, r, &s);
        }
        if (error) { fflush(stdout); cli_out_flush(); cli_warn("%s", error); status = EXIT_RUNTIME; }
        pc_reader_close(r);
    }
    if (json) pc_fmt_put(cli_out(true), "]\n", 2);
    cli_out_flush();
    return status;
}

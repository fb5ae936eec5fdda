/* Option parsing and messages shared by every command. */
#include <getopt.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "parse.h"
#include "pktcraft/analysis/defrag.h"
#include "pktcraft/core/fmt.h"

const char *cli_cmd = NULL;
void (*cli_where)(const char *msg, char *out, size_t cap) = NULL;

static void vmsg(const char *fmt, va_list ap)
{
    char msg[2048];
    vsnprintf(msg, sizeof msg, fmt, ap);
    fputs("pktcraft: ", stderr);
    if (cli_cmd) fprintf(stderr, "%s: ", cli_cmd);
    if (cli_where) {
        char where[512] = "";
        cli_where(msg, where, sizeof where);
        fputs(where, stderr);
    }
    fputs(msg, stderr);
    fputc('\n', stderr);
}

void cli_usage_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vmsg(fmt, ap);
    va_end(ap);
    fprintf(stderr, "Try 'pktcraft %s%s--help' for more information.\n", cli_cmd ? cli_cmd : "", cli_cmd ? " " : "");
    exit(EXIT_USAGE);
}

void cli_runtime_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vmsg(fmt, ap);
    va_end(ap);
    exit(EXIT_RUNTIME);
}

void cli_warn(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vmsg(fmt, ap);
    va_end(ap);
}

/* What the defragmenter gave up, and overlapping fragments whose bytes
 * differ, as a warning naming the file and the packets: nothing that
 * cannot be reassembled is dropped silently.  Overlaps with equal bytes
 * are only counted. */
void cli_frag_report(const char *path, const struct pc_defrag_report *r)
{
    if (r->what == PC_DF_OVERLAP) return;
    char buf[256];
    struct pc_fmt f;
    pc_fmt_init(&f, buf, sizeof buf, false);
    pc_defrag_describe(r, &f);
    cli_warn("%s: %s", path, buf);
}

void cli_bad_option(int rc, char **argv)
{
    const char *arg = argv[optind - 1];
    if (rc == ':') cli_usage_error("option '%s' needs a value", arg);
    if (optopt && strncmp(arg, "--", 2)) cli_usage_error("unrecognized option '-%c'", optopt);
    char name[128];
    snprintf(name, sizeof name, "%s", arg);
    name[strcspn(name, "=")] = 0;
    cli_usage_error("unrecognized option '%s'", name);
}

/* The exiting option parsers: each is the pure parser of parse.h, and on
 * failure its message as a usage error (exit 2).  The message buffer is
 * sized from the value, so a long value is never cut from the message. */
void cli_parse_ipv4(const char *opt, const char *s, uint8_t out[4])
{
    char msg[cli_msg_room(opt, s)];
    if (cli_try_ipv4(opt, s, out, msg, sizeof msg) < 0) cli_usage_error("%s", msg);
}

void cli_parse_mac(const char *opt, const char *s, uint8_t out[6])
{
    char msg[cli_msg_room(opt, s)];
    if (cli_try_mac(opt, s, out, msg, sizeof msg) < 0) cli_usage_error("%s", msg);
}

uint64_t cli_parse_uint(const char *opt, const char *s, uint64_t max)
{
    char msg[cli_msg_room(opt, s)];
    uint64_t v = 0;
    if (cli_try_uint(opt, s, max, &v, msg, sizeof msg) < 0) cli_usage_error("%s", msg);
    return v;
}

pc_time_ns cli_parse_time(const char *opt, const char *s)
{
    char msg[cli_msg_room(opt, s)];
    pc_time_ns t = 0;
    if (cli_try_time(opt, s, &t, msg, sizeof msg) < 0) cli_usage_error("%s", msg);
    return t;
}

int64_t cli_parse_duration(const char *opt, const char *s)
{
    char msg[cli_msg_room(opt, s)];
    int64_t ns = 0;
    if (cli_try_duration(opt, s, &ns, msg, sizeof msg) < 0) cli_usage_error("%s", msg);
    return ns;
}

pc_time_ns cli_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    /* to the microsecond: "now" fits every capture format, so that only a
     * time the user gave can be too fine for microsecond pcap */
    return (pc_time_ns)ts.tv_sec * PC_NS_PER_SEC + ts.tv_nsec / 1000 * 1000;
}

/* The library's form (pc_fmt_ts), so every command and the library agree. */
void cli_fmt_ts(pc_time_ns ts, char out[32]) { pc_fmt_ts(ts, out); }

int cli_parse_overlap(const char *opt, const char *s)
{
    if (!strcmp(s, "first")) return PC_OVERLAP_FIRST;
    if (!strcmp(s, "last")) return PC_OVERLAP_LAST;
    cli_usage_error("%s: '%s' is not first or last", opt, s);
}

void cli_fputs_safe(FILE *f, const char *s)
{
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c < 0x20 || c == 0x7F) fprintf(f, "\\x%02x", c);
        else fputc(c, f);
    }
}

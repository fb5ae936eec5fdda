/* Capture-file helpers shared by convert, merge, info and the crafting
 * commands. */
#include <string.h>
#include <time.h>

#include "capfile.h"

int cli_parse_format(const char *opt, const char *s)
{
    if (!strcmp(s, "pcap")) return PC_FORMAT_PCAP_US;
    if (!strcmp(s, "nsecpcap")) return PC_FORMAT_PCAP_NS;
    if (!strcmp(s, "pcapng")) return PC_FORMAT_PCAPNG;
    cli_usage_error("%s: '%s' is not a capture format (pcap, nsecpcap or pcapng)", opt, s);
}

void cli_iface_spec(const struct pc_iface *in, struct pc_iface_spec *out)
{
    memset(out, 0, sizeof *out);
    out->linktype = in->linktype;
    out->snaplen = in->snaplen;
    /* keep the input's resolution so timestamps are written as they came */
    out->tsresol = in->tsresol == 0 ? PC_TSRESOL_SECONDS : in->tsresol;
    out->tsoffset = in->tsoffset;
    out->name = in->name;
    out->description = in->description;
    out->fcslen = in->fcslen > 0 ? in->fcslen : 0;
}

void cli_fmt_iso(pc_time_ns ts, char out[48])
{
    int64_t sec = ts / PC_NS_PER_SEC, ns = ts % PC_NS_PER_SEC;
    if (ns < 0) { ns += PC_NS_PER_SEC; sec--; }
    time_t t = (time_t)sec;
    struct tm tm;
    if (!gmtime_r(&t, &tm)) { snprintf(out, 48, "?"); return; }
    char d[32];
    strftime(d, sizeof d, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(out, 48, "%s.%09lldZ", d, (long long)ns);
}

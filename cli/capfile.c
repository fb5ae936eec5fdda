/* Capture-file helpers shared by convert, merge, info and the crafting
 * commands. */
#include <stdlib.h>
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

int iface_map_get(struct iface_map *m, struct pc_reader *r, struct pc_writer *w, uint32_t i)
{
    if (i >= m->n) {
        uint32_t n = pc_reader_ninterfaces(r);
        if (i >= n) return PC_EINVAL;
        uint32_t *p = realloc(m->out, n * sizeof *p);
        if (!p) return PC_ENOMEM;
        memset(p + m->n, 0, (n - m->n) * sizeof *p);
        m->out = p;
        m->n = n;
    }
    for (uint32_t k = 0; k <= i; k++) {
        if (m->out[k]) continue;
        struct pc_iface_spec s;
        cli_iface_spec(pc_reader_interface(r, k), &s);
        int idx = pc_writer_add_interface(w, &s);
        if (idx < 0) return idx;
        m->out[k] = (uint32_t)idx + 1;
    }
    return (int)(m->out[i] - 1);
}

void iface_map_free(struct iface_map *m)
{
    free(m->out);
    m->out = NULL;
    m->n = 0;
}

const char *pcap_misfit(const struct pc_pkthdr *h, int format, int lt0, bool *drop)
{
    *drop = false;
    if (h->linktype != lt0) {
        *drop = true;
        return "its link type differs from the first packet's; pcap holds one link type";
    }
    if (h->ncomments) return "has a comment, which pcap cannot hold";
    if (h->flags) return "has flags (direction), which pcap cannot hold";
    if (format == PC_FORMAT_PCAP_US && h->ts % 1000) return "its timestamp has nanoseconds that microsecond pcap would lose";
    return NULL;
}

const char *pcap_misfit_hint(const struct pc_pkthdr *h, int format, int lt0, bool inputs_pcap)
{
    bool drop;
    const char *why = pcap_misfit(h, format, lt0, &drop);
    bool only_ns = why && !drop && !h->ncomments && !h->flags;
    return only_ns && inputs_pcap ? "use -F nsecpcap or pcapng, or --lossy" : "use -F pcapng, or --lossy";
}

void cli_more_comments(const struct pc_reader *r, const struct pc_pkthdr *h, struct pc_wpacket *p)
{
    static struct pc_wcomment *more;
    static uint32_t cap;
    p->more = NULL;
    p->nmore = 0;
    if (h->ncomments < 2) return;
    if (h->ncomments - 1 > cap) {
        uint32_t n = h->ncomments - 1;
        struct pc_wcomment *m = realloc(more, n * sizeof *m);
        if (!m) cli_runtime_error("out of memory");
        more = m;
        cap = n;
    }
    for (uint32_t i = 1; i < h->ncomments; i++) {
        const uint8_t *c;
        uint32_t len;
        if (pc_reader_comment(r, i, &c, &len) != 1) break;
        more[p->nmore++] = (struct pc_wcomment){ (const char *)c, len };
    }
    p->more = more;
}

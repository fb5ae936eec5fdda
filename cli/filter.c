/* Trailing BPF filters (cli/filter.h). */
#include <getopt.h>
#include <pcap/pcap.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "filter.h"

void cli_filter_join(char *buf, size_t cap, int argc, char **argv)
{
    size_t n = 0;
    buf[0] = 0;
    for (; optind < argc; optind++) {
        int w = snprintf(buf + n, cap - n, "%s%s", n ? " " : "", argv[optind]);
        if (w < 0 || (size_t)w >= cap - n) cli_usage_error("filter expression too long");
        n += (size_t)w;
    }
}

/* libpcap compiles for a DLT_ value, which differs from the LINKTYPE_
 * number stored in files for a few old types. */
static int linktype_to_dlt(int lt)
{
    switch (lt) {
    case 100: return DLT_ATM_RFC1483;
    case 101: return DLT_RAW;
    case 102: return DLT_SLIP_BSDOS;
    case 103: return DLT_PPP_BSDOS;
    default: return lt;
    }
}

static struct bpf_program *prog_for(struct cli_filter *f, int linktype)
{
    for (int k = 0; k < f->n; k++)
        if (f->c[k].linktype == linktype) return f->c[k].prog;
    if (f->n == CLI_FILTER_LINKS) cli_runtime_error("filter: more than %d link types in one file", CLI_FILTER_LINKS);
    struct cli_filter_prog *c = &f->c[f->n];
    c->linktype = linktype;
    c->pcap = pcap_open_dead(linktype_to_dlt(linktype), 262144);
    c->prog = calloc(1, sizeof(struct bpf_program));
    if (!c->pcap || !c->prog) cli_runtime_error("filter: out of memory");
    if (pcap_compile(c->pcap, c->prog, f->expr, 1, PCAP_NETMASK_UNKNOWN) < 0)
        cli_usage_error("filter '%s' (link type %d): %s", f->expr, linktype, pcap_geterr(c->pcap));
    f->n++;
    return c->prog;
}

void cli_filter_setup(struct cli_filter *f, const char *expr, int linktype)
{
    memset(f, 0, sizeof *f);
    f->expr = expr;
    if (expr[0]) prog_for(f, linktype >= 0 ? linktype : PC_LINK_ETHERNET);
}

bool cli_filter_match(struct cli_filter *f, const struct pc_pkthdr *h, const unsigned char *data)
{
    if (!f->expr[0]) return true;
    struct pcap_pkthdr ph = { .caplen = h->caplen, .len = h->len };
    return pcap_offline_filter(prog_for(f, h->linktype), &ph, data) != 0;
}

void cli_filter_free(struct cli_filter *f)
{
    for (int k = 0; k < f->n; k++) {
        pcap_freecode(f->c[k].prog);
        free(f->c[k].prog);
        pcap_close(f->c[k].pcap);
    }
    f->n = 0;
}

/* Trailing BPF filters (cli/filter.h).
 *
 * libpcap is opened with dlopen the first time a filter is compiled, not
 * linked: linking it loads libpcap and everything it depends on (dbus,
 * systemd, gcrypt, zstd, lz4...: a dozen libraries) into every run, which
 * made `pktcraft --version` and a one-packet `syn` take twice as long as
 * a program without them.  Only the types come from <pcap/pcap.h>. */
#define _GNU_SOURCE /* secure_getenv */
#include <dlfcn.h>
#include <getopt.h>
#include <pcap/pcap.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "filter.h"

/* The libpcap functions used, with the types of their declarations. */
static struct pcap_api {
    __typeof__(pcap_fopen_offline) *fopen_offline;
    __typeof__(pcap_open_dead) *open_dead;
    __typeof__(pcap_compile) *compile;
    __typeof__(pcap_geterr) *geterr;
    __typeof__(pcap_offline_filter) *offline_filter;
    __typeof__(pcap_freecode) *freecode;
    __typeof__(pcap_close) *close;
} lib;

static const struct {
    const char *name;
    size_t off;
} lib_syms[] = {
    { "pcap_fopen_offline", offsetof(struct pcap_api, fopen_offline) },
    { "pcap_open_dead", offsetof(struct pcap_api, open_dead) },
    { "pcap_compile", offsetof(struct pcap_api, compile) },
    { "pcap_geterr", offsetof(struct pcap_api, geterr) },
    { "pcap_offline_filter", offsetof(struct pcap_api, offline_filter) },
    { "pcap_freecode", offsetof(struct pcap_api, freecode) },
    { "pcap_close", offsetof(struct pcap_api, close) },
};

/* Debian's name first (libpcap0.8 ships only libpcap.so.0.8), then other
 * distributions' and the development symlink.  PKTCRAFT_LIBPCAP names one
 * file to load instead (a libpcap outside the library path). */
static void *open_libpcap(char *err, size_t cap)
{
    static const char *const names[] = { "libpcap.so.0.8", "libpcap.so.1", "libpcap.so" };
    const char *env = secure_getenv("PKTCRAFT_LIBPCAP");
    err[0] = 0;
    if (env && env[0]) {
        void *h = dlopen(env, RTLD_NOW | RTLD_LOCAL);
        if (!h) snprintf(err, cap, "%s", dlerror());
        return h;
    }
    for (size_t k = 0; k < sizeof names / sizeof names[0]; k++) {
        void *h = dlopen(names[k], RTLD_NOW | RTLD_LOCAL);
        if (h) return h;
        if (!err[0]) snprintf(err, cap, "%s", dlerror()); /* the first name's error says most */
    }
    return NULL;
}

/* Load libpcap and resolve lib_syms, once; a runtime error when it cannot. */
static void load_libpcap(void)
{
    if (lib.close) return;
    char err[512];
    void *h = open_libpcap(err, sizeof err);
    if (!h) cli_runtime_error("BPF filters need libpcap (libpcap0.8): %s", err);
    struct pcap_api api;
    for (size_t k = 0; k < sizeof lib_syms / sizeof lib_syms[0]; k++) {
        void *f = dlsym(h, lib_syms[k].name);
        if (!f) cli_runtime_error("BPF filters need libpcap (libpcap0.8): %s", dlerror());
        /* POSIX guarantees a function's address survives this round trip. */
        memcpy((char *)&api + lib_syms[k].off, &f, sizeof f);
    }
    lib = api;
}

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

/* A pcap_t to compile with.  It must look like a capture file being
 * read, not a live device: libpcap compiles some link types differently
 * for files (a NULL header's IPv6 family is matched against every BSD
 * value, 24, 28 and 30, not against this host's AF_INET6), and tcpdump
 * reading the same file compiles that way.  So it is opened over the
 * 24-byte header of an empty pcap of that link type, in memory. */
static pcap_t *savefile_for(struct cli_filter_prog *c, int linktype)
{
    uint32_t hdr[6] = { 0xA1B2C3D4u, 2u | 4u << 16, 0, 0, 262144, (uint32_t)linktype };
    memcpy(c->hdr, hdr, sizeof hdr);
    FILE *fp = fmemopen(c->hdr, sizeof hdr, "rb");
    if (!fp) return NULL;
    char eb[PCAP_ERRBUF_SIZE];
    pcap_t *p = lib.fopen_offline(fp, eb);
    if (!p) {
        fclose(fp);
        /* a link type libpcap does not know: compile as for a device */
        return lib.open_dead(linktype_to_dlt(linktype), 262144);
    }
    return p;
}

static struct bpf_program *prog_for(struct cli_filter *f, int linktype)
{
    for (int k = 0; k < f->n; k++)
        if (f->c[k].linktype == linktype) return f->c[k].prog;
    if (f->n == CLI_FILTER_LINKS) cli_runtime_error("filter: more than %d link types in one file", CLI_FILTER_LINKS);
    load_libpcap();
    struct cli_filter_prog *c = &f->c[f->n];
    c->linktype = linktype;
    c->pcap = savefile_for(c, linktype);
    c->prog = calloc(1, sizeof(struct bpf_program));
    if (!c->pcap || !c->prog) cli_runtime_error("filter: out of memory");
    if (lib.compile(c->pcap, c->prog, f->expr, 1, PCAP_NETMASK_UNKNOWN) < 0)
        cli_usage_error("filter '%s' (link type %d): %s", f->expr, linktype, lib.geterr(c->pcap));
    f->n++;
    return c->prog;
}

void cli_filter_setup(struct cli_filter *f, const char *expr, int linktype)
{
    memset(f, 0, sizeof *f);
    f->expr = expr;
    if (expr[0]) prog_for(f, linktype >= 0 ? linktype : PC_LINK_ETHERNET);
}

/* A NULL (BSD loopback) header's address family is in the byte order of
 * the host that wrote the capture.  libpcap turns it into this host's
 * order as it reads a file, and its filters expect that; our reader hands
 * the bytes over as they are, so a family that is only right byte-swapped
 * (0x1e000000 for 30) is swapped in a copy before filtering. */
static const unsigned char *null_host_order(const struct pc_pkthdr *h, const unsigned char *data)
{
    static unsigned char copy[PC_PCAP_MAX_CAPLEN];
    if (h->linktype != PC_LINK_NULL || h->caplen < 4 || h->caplen > sizeof copy) return data;
    uint32_t fam;
    memcpy(&fam, data, 4);
    if (!(fam & 0xFFFF0000u) || (fam & 0xFFFFu)) return data;
    memcpy(copy, data, h->caplen);
    fam = __builtin_bswap32(fam);
    memcpy(copy, &fam, 4);
    return copy;
}

bool cli_filter_match(struct cli_filter *f, const struct pc_pkthdr *h, const unsigned char *data)
{
    if (!f->expr[0]) return true;
    struct pcap_pkthdr ph = { .caplen = h->caplen, .len = h->len };
    return lib.offline_filter(prog_for(f, h->linktype), &ph, null_host_order(h, data)) != 0;
}

void cli_filter_free(struct cli_filter *f)
{
    for (int k = 0; k < f->n; k++) {
        lib.freecode(f->c[k].prog);
        free(f->c[k].prog);
        lib.close(f->c[k].pcap);
    }
    f->n = 0;
}

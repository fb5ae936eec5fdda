/* traffic_stats: the seed's traffic_stats(), in bounded memory: totals,
 * packets and bytes for every protocol path at every layer (IPv6, VLANs,
 * tunnels and fragments included, not only IPv4 TCP/UDP/ICMP), the top
 * conversations by bytes and the top server ports by packets (exact up to
 * the stats-keys limit, then approximate and flagged), and packets per
 * second.  One JSON object.
 *
 *     traffic_stats FILE
 */
#include <stdio.h>

#include <pktcraft/pktcraft.h>

#define TOP 10

struct run {
    struct pc_stats *st;
    int rc;
};

static void on_packet(void *ctx, const struct pc_apkt *p)
{
    struct run *r = ctx;
    if (!r->rc) r->rc = pc_stats_packet(r->st, p);
}

static void top(struct pc_fmt *o, const struct pc_stats *st, int list, const char *key)
{
    struct pc_stats_top t[TOP];
    bool approx;
    size_t n = pc_stats_top(st, list, TOP, t, &approx);
    pc_fmt_karr_open(o, key);
    for (size_t i = 0; i < n; i++) {
        pc_fmt_kobj_open(o, NULL);
        pc_fmt_kstr(o, "key", t[i].key);
        pc_fmt_kuint(o, "packets", t[i].packets);
        pc_fmt_kuint(o, "bytes", t[i].bytes);
        pc_fmt_kbool(o, "approximate", t[i].error != 0);
        pc_fmt_kobj_close(o);
    }
    pc_fmt_karr_close(o);
}

static void print(struct pc_fmt *o, const struct pc_stats *st)
{
    const struct pc_stats_totals *t = pc_stats_totals(st);
    size_t n;
    pc_fmt_kobj_open(o, NULL);
    pc_fmt_kuint(o, "total_packets", t->packets);
    pc_fmt_kuint(o, "total_bytes", t->bytes);
    pc_fmt_kobj_open(o, "protocols");
    const struct pc_stats_proto *p = pc_stats_protos(st, &n);
    for (size_t i = 0; i < n; i++) pc_fmt_kuint(o, p[i].path, p[i].packets);
    pc_fmt_kobj_close(o);
    top(o, st, PC_STATS_CONVERSATIONS, "top_talkers");
    top(o, st, PC_STATS_PORTS, "port_distribution");
    pc_fmt_kobj_open(o, "packets_per_second");
    const struct pc_stats_bucket *b = pc_stats_intervals(st, &n);
    for (size_t i = 0; i < n; i++) {
        char ts[PC_FMT_TS_MAX];
        pc_fmt_ts(b[i].start, ts);
        pc_fmt_kuint(o, ts, b[i].packets);
    }
    pc_fmt_kobj_close(o);
    pc_fmt_kobj_close(o);
    pc_fmt_newline(o);
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: traffic_stats FILE\n");
        return 2;
    }
    struct run r = { .st = pc_stats_new(NULL) };
    /* packets are counted as decoded, fragments and all: no flows needed */
    struct pc_analyzer_opts opts = { .no_streams = true };
    struct pc_analyzer_cbs cbs = { .packet = on_packet };
    struct pc_err err;
    int rc = r.st ? pc_analyze_file(argv[1], &opts, &cbs, &r, &err) : PC_ENOMEM;
    if (r.rc) fprintf(stderr, "traffic_stats: %s: %s\n", argv[1], pc_strerror(r.rc));
    static char buf[1 << 16];
    int fd = 1;
    struct pc_fmt o;
    pc_fmt_init_sink(&o, buf, sizeof buf, true, pc_fmt_fd_sink, &fd);
    if (r.st) print(&o, r.st);
    pc_fmt_flush(&o);
    if (rc < 0) fprintf(stderr, "traffic_stats: %s\n", r.st ? err.msg : "out of memory");
    pc_stats_free(r.st);
    return rc < 0 || r.rc || o.err ? 1 : 0;
}

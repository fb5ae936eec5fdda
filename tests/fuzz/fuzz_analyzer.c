/* fuzz_analyzer: the analysis pipeline (pktcraft/analysis/analyzer.h):
 * decode, defragmentation, flow table, TCP reassembly, with every callback.
 * The input is a configuration byte and then frames, each as
 *     [link type index (fz_link)] [time step] [length, 2 bytes big-endian] [bytes]
 * The time step is signed, in tenths of a second (time may go back, as in
 * real captures).  The configuration byte picks the overlap policy (bit
 * 0), no defragmentation (bit 1), small limits (bit 2: 3 flows, 512 bytes
 * a stream direction, 1 KiB in all, 4 KiB of fragments, 2 datagrams),
 * short timeouts (bit 3: 2 s TCP, 1 s UDP and after a close) and no
 * streams (bit 4), so evictions, expiry and limit cuts happen.
 *
 * Checked: every flow starts once, ends once and is freed once, in that
 * order, and none is left at the end; its consumer pointer is the one
 * flow_start returned; a stream's data and gaps come in order, each where
 * the previous one ended, and none after its end; the flow record's byte
 * and gap counters are what was delivered; packets are numbered 1, 2, ...;
 * a packet's flow and direction are sound; the table never holds more
 * flows than the limit; every pointer handed out is readable. */
#include <string.h>

#include "fuzz.h"
#include "pktcraft/analysis/analyzer.h"

#define AZ_MAGIC 0x466c6f77u

struct az_flow {
    uint32_t magic;
    uint64_t id;
    uint64_t total[2], data[2], gap_bytes[2], gaps[2];
    int ended[2];
    bool reported;
};

struct az_run {
    uint64_t packets, live, started, last_id;
    bool streams;
    uint64_t flow_limit;
};

static struct az_flow *az_get(const struct pc_flow *f)
{
    struct az_flow *z = pc_flow_user(f);
    FZ_CHECK(z && z->magic == AZ_MAGIC && z->id == f->id, "flow %llu: not the consumer pointer it was given",
             (unsigned long long)f->id);
    return z;
}

static void *az_start(void *ctx, const struct pc_flow *f)
{
    struct az_run *r = ctx;
    FZ_CHECK(f->id > r->last_id, "flow id %llu after %llu", (unsigned long long)f->id, (unsigned long long)r->last_id);
    FZ_CHECK(f->proto == 6 || f->proto == 17, "proto %u", f->proto);
    FZ_CHECK(f->family == 4 || f->family == 6, "family %u", f->family);
    r->last_id = f->id;
    r->live++;
    r->started++;
    FZ_CHECK(r->live <= r->flow_limit, "%llu flows held, limit %llu", (unsigned long long)r->live,
             (unsigned long long)r->flow_limit);
    struct az_flow *z = calloc(1, sizeof *z);
    FZ_CHECK(z, "out of memory");
    z->magic = AZ_MAGIC;
    z->id = f->id;
    return z;
}

static void az_free(void *ctx, const struct pc_flow *f, void *user)
{
    struct az_run *r = ctx;
    struct az_flow *z = user;
    FZ_CHECK(z && z->magic == AZ_MAGIC && z->id == f->id, "flow_free with another pointer");
    FZ_CHECK(z->reported, "flow %llu freed before it was reported", (unsigned long long)f->id);
    FZ_CHECK(r->live > 0, "more flows freed than started");
    r->live--;
    z->magic = 0;
    free(z);
}

static void az_packet(void *ctx, const struct pc_apkt *p)
{
    struct az_run *r = ctx;
    FZ_CHECK(p->n == ++r->packets, "packet %llu, expected %llu", (unsigned long long)p->n, (unsigned long long)r->packets);
    FZ_CHECK(p->d && p->h, "packet without its header or decode");
    FZ_CHECK(!(p->fragment && p->flow), "a held fragment with a flow");
    fz_touch(p->d->buf, p->d->caplen);
    if (p->flow) {
        FZ_CHECK(p->dir == 0 || p->dir == 1, "dir %d", p->dir);
        struct az_flow *z = az_get(p->flow);
        FZ_CHECK(!z->reported, "a packet of a flow already reported");
        FZ_CHECK(p->flow->last_pkt == p->n, "the flow's last packet is %llu, not %llu",
                 (unsigned long long)p->flow->last_pkt, (unsigned long long)p->n);
    }
}

static void az_flow_end(void *ctx, const struct pc_flow *f)
{
    struct az_run *r = ctx;
    struct az_flow *z = az_get(f);
    FZ_CHECK(!z->reported, "flow %llu reported twice", (unsigned long long)f->id);
    z->reported = true;
    FZ_CHECK(f->end >= PC_FLOW_END_CLOSED && f->end <= PC_FLOW_END_CAPTURE, "end %d", f->end);
    FZ_CHECK(f->state >= PC_FLOW_UDP && f->state <= PC_FLOW_RESET, "state %d", f->state);
    FZ_CHECK(f->first_pkt <= f->last_pkt, "packets %llu..%llu", (unsigned long long)f->first_pkt,
             (unsigned long long)f->last_pkt);
    FZ_CHECK(f->dir[0].packets + f->dir[1].packets >= 1, "flow %llu without a packet", (unsigned long long)f->id);
    if (f->proto != 6 || !r->streams) return;
    for (int d = 0; d < 2; d++) {
        FZ_CHECK(z->ended[d], "flow %llu reported before its direction %d ended", (unsigned long long)f->id, d);
        FZ_CHECK(f->dir[d].bytes == z->data[d], "flow %llu dir %d: %llu bytes counted, %llu delivered",
                 (unsigned long long)f->id, d, (unsigned long long)f->dir[d].bytes, (unsigned long long)z->data[d]);
        FZ_CHECK(f->dir[d].gap_bytes == z->gap_bytes[d] && f->dir[d].gaps == z->gaps[d],
                 "flow %llu dir %d: gap counters differ from the gaps delivered", (unsigned long long)f->id, d);
    }
}

static struct az_flow *az_stream(const struct az_run *r, const struct pc_flow *f, int dir)
{
    FZ_CHECK(r->streams, "stream callback with streams off");
    FZ_CHECK(f->proto == 6, "stream callback for proto %u", f->proto);
    FZ_CHECK(dir == 0 || dir == 1, "dir %d", dir);
    struct az_flow *z = az_get(f);
    FZ_CHECK(!z->ended[dir], "flow %llu dir %d: a callback after the end", (unsigned long long)f->id, dir);
    return z;
}

static void az_data(void *ctx, const struct pc_flow *f, int dir, const uint8_t *p, size_t n, uint64_t off,
                    pc_time_ns ts)
{
    (void)ts;
    struct az_flow *z = az_stream(ctx, f, dir);
    FZ_CHECK(off == z->total[dir], "flow %llu dir %d: data at %llu, stream at %llu", (unsigned long long)f->id, dir,
             (unsigned long long)off, (unsigned long long)z->total[dir]);
    fz_touch(p, n);
    z->total[dir] += n;
    z->data[dir] += n;
}

static void az_gap(void *ctx, const struct pc_flow *f, int dir, uint64_t off, uint64_t n, int why)
{
    struct az_flow *z = az_stream(ctx, f, dir);
    FZ_CHECK(off == z->total[dir], "flow %llu dir %d: gap at %llu, stream at %llu", (unsigned long long)f->id, dir,
             (unsigned long long)off, (unsigned long long)z->total[dir]);
    FZ_CHECK(n > 0 && why >= PC_GAP_ACKED && why <= PC_GAP_LIMIT, "gap of %llu (%d)", (unsigned long long)n, why);
    z->total[dir] += n;
    z->gaps[dir]++;
    z->gap_bytes[dir] += n;
}

static void az_stream_end(void *ctx, const struct pc_flow *f, int dir, pc_time_ns ts)
{
    (void)ts;
    struct az_flow *z = az_stream(ctx, f, dir);
    z->ended[dir] = 1;
}

static void az_conflict(void *ctx, const struct pc_flow *f, int dir, uint64_t off, uint64_t n)
{
    struct az_flow *z = az_stream(ctx, f, dir);
    FZ_CHECK(n > 0 && off + n > off, "conflict of %llu bytes", (unsigned long long)n);
    (void)z;
}

static void az_datagram(void *ctx, const struct pc_flow *f, int dir, const uint8_t *p, size_t n,
                        const struct pc_apkt *pk)
{
    (void)ctx;
    FZ_CHECK(f->proto == 17, "datagram of proto %u", f->proto);
    FZ_CHECK(dir == 0 || dir == 1, "dir %d", dir);
    FZ_CHECK(pk && pk->flow == f && pk->dir == dir, "datagram with another packet's flow");
    az_get(f);
    fz_touch(p, n);
}

static void az_frag(void *ctx, const struct pc_defrag_report *r)
{
    (void)ctx;
    FZ_CHECK(r->what >= PC_DF_OVERLAP && r->what <= PC_DF_CUT, "report kind %d", r->what);
    FZ_CHECK(r->first_pkt <= r->last_pkt, "fragments %llu..%llu", (unsigned long long)r->first_pkt,
             (unsigned long long)r->last_pkt);
}

static int FUZZ_NAME(analyzer)(const uint8_t *data, size_t size)
{
    if (size < 1) return 0;
    uint8_t cfg = data[0];
    struct pc_limits lim;
    pc_limits_default(&lim);
    if (cfg & 4) {
        lim.flows = 3;
        lim.reasm_flow = 512;
        lim.reasm_total = 1024;
        lim.defrag_mem = 4096;
        lim.defrag_datagrams = 2;
    }
    struct pc_analyzer_opts o = { .lim = &lim, .overlap = cfg & 1 ? PC_OVERLAP_LAST : PC_OVERLAP_FIRST,
                                  .no_defrag = (cfg & 2) != 0, .no_streams = (cfg & 16) != 0 };
    if (cfg & 8) {
        o.tcp_idle_ns = 2 * PC_NS_PER_SEC;
        o.udp_idle_ns = o.linger_ns = PC_NS_PER_SEC;
    }
    struct az_run run = { .streams = !(cfg & 16), .flow_limit = lim.flows };
    struct pc_analyzer_cbs cbs = { az_packet, az_flow_end, az_data, az_gap, az_stream_end, az_conflict,
                                   az_datagram, az_frag, az_start, az_free };
    struct pc_analyzer *a = pc_analyzer_new(&o, &cbs, &run);
    FZ_CHECK(a, "out of memory");
    size_t at = 1;
    pc_time_ns ts = 1000 * PC_NS_PER_SEC;
    while (at + 4 <= size) {
        int link = fz_link(data[at]);
        ts += (int8_t)data[at + 1] * (PC_NS_PER_SEC / 10);
        size_t len = (size_t)data[at + 2] << 8 | data[at + 3];
        at += 4;
        if (len > size - at) len = size - at;
        /* a copy of exactly len bytes, so ASan sees any read past it */
        uint8_t *frame = malloc(len ? len : 1);
        FZ_CHECK(frame, "out of memory");
        memcpy(frame, data + at, len);
        at += len;
        struct pc_pkthdr h = { .ts = ts, .caplen = (uint32_t)len, .len = (uint32_t)len, .linktype = link };
        FZ_CHECK(pc_analyzer_packet(a, &h, frame) == 0, "pc_analyzer_packet failed");
        free(frame);
        const struct pc_analyzer_stats *st = pc_analyzer_stats(a);
        FZ_CHECK(st->flows_peak <= lim.flows, "%llu flows held, limit %llu", (unsigned long long)st->flows_peak,
                 (unsigned long long)lim.flows);
        FZ_CHECK(st->flows == run.started, "%llu flows counted, %llu started", (unsigned long long)st->flows,
                 (unsigned long long)run.started);
    }
    pc_analyzer_finish(a);
    FZ_CHECK(run.live == 0, "%llu flows left after pc_analyzer_finish", (unsigned long long)run.live);
    pc_analyzer_free(a);
    return 0;
}
FUZZ_ENTRY(analyzer)

/* fuzz_defrag: IP defragmentation (pktcraft/analysis/defrag.h).  The input
 * is a configuration byte and then frames, each as
 *     [link type index (fz_link)] [length, 2 bytes big-endian] [bytes]
 * decoded and offered in order, with the time advancing one second a
 * frame so that timeouts happen.  The configuration byte picks the overlap
 * policy (bit 0), whether overlapping IPv6 fragments are kept (bit 1) and
 * a small memory limit (bit 2) or datagram limit (bit 3), so the limits
 * are reached.  Checked: a completed datagram decodes as a whole one (not
 * a fragment, its IP length that of the frame), the limits hold, every
 * report is well formed, and nothing leaks. */
#include <string.h>

#include "fuzz.h"
#include "pktcraft/analysis/defrag.h"

static void defrag_on_report(void *ctx, const struct pc_defrag_report *r)
{
    (void)ctx;
    FZ_CHECK(r->what >= PC_DF_OVERLAP && r->what <= PC_DF_CUT, "report kind %d", r->what);
    FZ_CHECK(r->version == 0 || r->version == 4 || r->version == 6, "version %u", r->version);
    FZ_CHECK(r->total < 0 || r->have <= (uint64_t)r->total || r->what != PC_DF_INCOMPLETE,
             "held %u of %lld", r->have, (long long)r->total);
    FZ_CHECK(r->first_pkt <= r->last_pkt, "packets %llu..%llu", (unsigned long long)r->first_pkt,
             (unsigned long long)r->last_pkt);
}

/* A reassembled frame must decode as one whole datagram. */
static void defrag_check_whole(const uint8_t *frame, uint32_t len, int link)
{
    struct pc_decoded d;
    pc_decode(&d, frame, len, len, link);
    fz_touch(frame, len);
    for (int i = 0; i < d.n; i++) {
        const struct pc_layer *l = &d.l[i];
        if (l->proto == PC_P_IPV4) {
            FZ_CHECK(!(l->flags & PC_LF_FRAG), "the reassembled IPv4 datagram is still a fragment");
            FZ_CHECK(l->off + pc_ipv4_len(frame + l->off) == len, "IPv4 length %u at %u, frame %u",
                     pc_ipv4_len(frame + l->off), l->off, len);
            return;
        }
        if (l->proto == PC_P_IPV6) {
            /* (the payload may itself start with another Fragment header:
             * a datagram fragmented twice is reassembled one level) */
            FZ_CHECK(l->off + PC_IPV6_HLEN + pc_ipv6_plen(frame + l->off) == len, "IPv6 length at %u, frame %u",
                     l->off, len);
            return;
        }
    }
}

static int FUZZ_NAME(defrag)(const uint8_t *data, size_t size)
{
    if (size < 1) return 0;
    uint8_t cfg = data[0];
    struct pc_defrag_opts o = { .policy = cfg & 1 ? PC_OVERLAP_LAST : PC_OVERLAP_FIRST,
                                .ipv6_overlap_keep = (cfg & 2) != 0,
                                .mem = cfg & 4 ? 4096 : 0, .datagrams = cfg & 8 ? 2 : 0 };
    struct pc_defrag *df = pc_defrag_new(&o, defrag_on_report, NULL);
    FZ_CHECK(df, "out of memory");
    size_t at = 1;
    uint64_t n = 0;
    while (at + 3 <= size) {
        int link = fz_link(data[at]);
        size_t len = (size_t)data[at + 1] << 8 | data[at + 2];
        at += 3;
        if (len > size - at) len = size - at;
        /* a copy of exactly len bytes, so ASan sees any read past it */
        uint8_t *frame = malloc(len ? len : 1);
        FZ_CHECK(frame, "out of memory");
        memcpy(frame, data + at, len);
        at += len;
        struct pc_decoded d;
        pc_decode(&d, frame, (uint32_t)len, (uint32_t)len, link);
        struct pc_defrag_out whole;
        n++;
        int rc = pc_defrag_packet(df, &d, n, (pc_time_ns)n * PC_NS_PER_SEC, &whole);
        FZ_CHECK(rc >= 0 && rc <= 2, "pc_defrag_packet returned %d", rc);
        if (rc == 2) defrag_check_whole(whole.frame, whole.len, whole.linktype);
        free(frame);
    }
    const struct pc_defrag_stats *st = pc_defrag_stats(df);
    FZ_CHECK(st->datagrams <= st->fragments, "%llu datagrams of %llu fragments",
             (unsigned long long)st->datagrams, (unsigned long long)st->fragments);
    /* the limit holds up to the one fragment being added (and its header) */
    if (cfg & 4) FZ_CHECK(st->mem_peak <= 4096 + 65536 + 64 + 65536, "memory peak %llu", (unsigned long long)st->mem_peak);
    pc_defrag_finish(df);
    pc_defrag_free(df);
    return 0;
}
FUZZ_ENTRY(defrag)

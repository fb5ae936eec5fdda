/* fuzz-seeds: split captures into per-packet seed files for the packet
 * targets, in the input format each target expects (see fuzz.h and the
 * targets' headers).  Built and run by tests/fuzz/fuzz.mk; not a test.
 *
 *   fuzz-seeds MODE OUTDIR MAXPER FILE...
 *
 * MODE decode   [link index][wire extra / 13 << 1][frame]      fuzz_decode
 *      rebuild  [link index][wire extra / 7][frame]             fuzz_rebuild
 *      dns      every DNS message the decoder finds (UDP: the   fuzz_dns
 *               datagram's payload; TCP: after the length prefix)
 * At most MAXPER seeds per capture; files the reader refuses are skipped
 * (a damaged capture still gives the packets before the damage).  Seeds
 * are named F-P (F: the capture's position in the arguments, P: the
 * packet's), so a rerun rewrites the same files. */
#include <errno.h>
#include <string.h>

#include "fuzz.h"

enum { SEED_DECODE, SEED_REBUILD, SEED_DNS };

static unsigned long seeds_written;

static void put_seed(const char *dir, int file, uint64_t pkt, int part, const uint8_t *a, size_t an,
                     const uint8_t *b, size_t bn)
{
    char path[4096];
    if (part) snprintf(path, sizeof path, "%s/%d-%llu-%d", dir, file, (unsigned long long)pkt, part);
    else snprintf(path, sizeof path, "%s/%d-%llu", dir, file, (unsigned long long)pkt);
    FILE *f = fopen(path, "wb");
    if (!f) {
        fprintf(stderr, "fuzz-seeds: %s: %s\n", path, strerror(errno));
        exit(1);
    }
    if ((an && fwrite(a, 1, an, f) != an) || (bn && fwrite(b, 1, bn, f) != bn) || fclose(f)) {
        fprintf(stderr, "fuzz-seeds: %s: write failed\n", path);
        exit(1);
    }
    seeds_written++;
}

/* How many wire bytes the capture cut, in the unit a target's byte 1 counts. */
static uint8_t extra_units(const struct pc_pkthdr *h, uint32_t unit, uint32_t max)
{
    uint32_t extra = h->len > h->caplen ? h->len - h->caplen : 0;
    uint32_t u = (extra + unit - 1) / unit;
    return (uint8_t)(u > max ? max : u);
}

/* Every DNS layer of the frame (quoted ones aside) as its message bytes. */
static int put_dns(const char *dir, int file, uint64_t pkt, const struct pc_decoded *d)
{
    int n = 0;
    for (int i = 0; i < d->n; i++) {
        const struct pc_layer *l = &d->l[i];
        if (l->proto != PC_P_DNS || (l->flags & PC_LF_QUOTED)) continue;
        uint32_t pre = l->hlen - PC_DNS_HLEN; /* the TCP length prefix, if any */
        uint32_t from = l->off + pre, to = from + PC_DNS_HLEN + l->plen;
        if (to > d->caplen) to = d->caplen;
        if (from >= to) continue;
        put_seed(dir, file, pkt, ++n, d->buf + from, to - from, NULL, 0);
    }
    return n;
}

static void split(int mode, const char *dir, int file, const char *path, unsigned long maxper)
{
    struct pc_err err;
    struct pc_reader *r = pc_reader_open(path, &err);
    if (!r) return;
    struct pc_pkthdr h;
    const uint8_t *data;
    unsigned long done = 0;
    for (uint64_t pkt = 0; done < maxper && pc_reader_next(r, &h, &data) == 1; pkt++) {
        uint8_t pre[2] = { fz_link_index(h.linktype), 0 };
        if (mode == SEED_DECODE) pre[1] = (uint8_t)(extra_units(&h, 13, 127) << 1);
        if (mode == SEED_REBUILD) pre[1] = extra_units(&h, 7, 255);
        if (mode != SEED_DNS) {
            put_seed(dir, file, pkt, 0, pre, sizeof pre, data, h.caplen);
            done++;
            continue;
        }
        struct pc_decoded d;
        pc_decode(&d, data, h.caplen, h.len, h.linktype);
        done += (unsigned long)put_dns(dir, file, pkt, &d);
    }
    pc_reader_close(r);
}

int main(int argc, char **argv)
{
    if (argc < 4) {
        fprintf(stderr, "usage: fuzz-seeds decode|rebuild|dns OUTDIR MAXPER FILE...\n");
        return 2;
    }
    int mode = !strcmp(argv[1], "decode") ? SEED_DECODE : !strcmp(argv[1], "rebuild") ? SEED_REBUILD
             : !strcmp(argv[1], "dns") ? SEED_DNS : -1;
    if (mode < 0) {
        fprintf(stderr, "fuzz-seeds: unknown mode '%s'\n", argv[1]);
        return 2;
    }
    unsigned long maxper = strtoul(argv[3], NULL, 10);
    for (int k = 4; k < argc; k++) split(mode, argv[2], k - 4, argv[k], maxper);
    printf("fuzz-seeds: %s: %lu seeds from %d captures into %s\n", argv[1], seeds_written, argc - 4, argv[2]);
    return 0;
}

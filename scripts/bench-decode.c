/* bench-decode: the library's reading path alone, for issue 11's decode
 * target (decode through L4 and DNS at most 1.5x `cat` of the same file).
 *   bench-decode walk FILE             pc_reader_next only (the reader's own cost)
 *   bench-decode decode FILE [--no-l4csum]
 *                                      pc_reader_next + pc_decode_flags of every packet
 *                                      (L4 checksums verified unless --no-l4csum; DNS
 *                                      messages walked record by record, as pc_decode does)
 *   bench-decode csum FILE             pc_reader_next + pc_csum over every frame
 * Each prints one line: what, packets, elapsed seconds, user+sys CPU seconds,
 * packets/s, MB/s.  CPU seconds are the steadier figure on a busy machine. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "pktcraft/pktcraft.h"

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static double cpu(void)
{
    struct rusage u;
    getrusage(RUSAGE_SELF, &u);
    return (double)u.ru_utime.tv_sec + (double)u.ru_utime.tv_usec / 1e6 + (double)u.ru_stime.tv_sec +
           (double)u.ru_stime.tv_usec / 1e6;
}

enum mode { WALK, DECODE, CSUM };

static int run(const char *path, enum mode m, unsigned flags)
{
    struct pc_err err;
    double t0 = now(), c0 = cpu();
    struct pc_reader *r = pc_reader_open(path, &err);
    if (!r) {
        fprintf(stderr, "bench-decode: %s\n", err.msg);
        return 1;
    }
    struct pc_pkthdr h;
    const uint8_t *data = NULL;
    struct pc_decoded d;
    uint64_t n = 0, bytes = 0, sink = 0, dns = 0;
    int rc;
    while ((rc = pc_reader_next(r, &h, &data)) > 0) {
        n++;
        bytes += h.caplen;
        if (m == WALK) {
            sink += h.caplen ? data[0] : 0;
        } else if (m == CSUM) {
            sink += pc_csum(data, h.caplen);
        } else {
            pc_decode_flags(&d, data, h.caplen, h.len, h.linktype, flags);
            /* Fold what a consumer reads so the work cannot be optimised away. */
            if (d.l4 >= 0 && d.l[d.l4].proto != PC_P_ICMP) sink += pc_get16(data + d.l[d.l4].off + 2);
            if (d.l4 >= 0) sink += d.l[d.l4].csum;
            dns += d.n > 0 && d.l[d.n - 1].proto == PC_P_DNS;
        }
    }
    if (rc < 0) {
        fprintf(stderr, "bench-decode: %s\n", pc_reader_err(r)->msg);
        pc_reader_close(r);
        return 1;
    }
    pc_reader_close(r);
    double secs = now() - t0, cpus = cpu() - c0;
    const char *what = m == WALK ? "read only" : m == CSUM ? "read + csum" : flags ? "read + decode, no L4 csum"
                                                                                    : "read + decode + csums";
    printf("%-26s %9llu pkts %7.3f s %7.3f cpu %11.0f pkt/s %8.1f MB/s\n", what, (unsigned long long)n, secs, cpus,
           (double)n / secs, (double)bytes / secs / 1e6);
    fprintf(stderr, "(sink %llu, dns layers %llu)\n", (unsigned long long)sink, (unsigned long long)dns);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc >= 3 && !strcmp(argv[1], "walk")) return run(argv[2], WALK, 0);
    if (argc >= 3 && !strcmp(argv[1], "csum")) return run(argv[2], CSUM, 0);
    if (argc >= 3 && !strcmp(argv[1], "decode"))
        return run(argv[2], DECODE, argc > 3 && !strcmp(argv[3], "--no-l4csum") ? PC_DEC_NO_L4CSUM : 0);
    fprintf(stderr, "usage: bench-decode walk FILE | csum FILE | decode FILE [--no-l4csum]\n");
    return 2;
}

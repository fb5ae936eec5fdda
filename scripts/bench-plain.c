/* bench-plain: the start-up floor for scripts/bench (issue 11, target 7).
 * A program that does what a one-packet pktcraft run does with nothing but
 * libc, so the benchmark can tell what pktcraft's own start-up costs.
 *   bench-plain version        print a version line, as pktcraft --version does
 *   bench-plain syn OUT.pcap   write the capture that
 *                              `pktcraft syn --src 192.168.1.1 --dst 192.168.1.2 -o OUT.pcap`
 *                              writes, byte for byte (the timestamp is the current time too)
 * The frame is hard-coded from pktcraft's defaults (source port, sequence
 * number and IP id come from its seed, a hash of those arguments): this is
 * a floor to compare against, not a product.  It writes the way pktcraft
 * does (lib/capture/pcap.c): into a temporary file next to the target,
 * mode 0644, then renamed into place, no fsync, so both pay for the same
 * file-system work. */
#ifndef _DEFAULT_SOURCE
#define _DEFAULT_SOURCE
#endif
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* Ethernet 02:00:00:00:00:01 -> 02:00:00:00:00:02, IPv4 192.168.1.1 ->
 * 192.168.1.2 TTL 64 id 0xc58a, TCP 31687 -> 80 SYN seq 0x20bb3645 win 64240,
 * both checksums filled in. */
static const uint8_t syn_frame[54] = {
    0x02, 0x00, 0x00, 0x00, 0x00, 0x02, 0x02, 0x00, 0x00, 0x00, 0x00, 0x01, 0x08, 0x00,
    0x45, 0x00, 0x00, 0x28, 0xc5, 0x8a, 0x00, 0x00, 0x40, 0x06, 0x31, 0xf2,
    0xc0, 0xa8, 0x01, 0x01, 0xc0, 0xa8, 0x01, 0x02,
    0x7b, 0xc7, 0x00, 0x50, 0x20, 0xbb, 0x36, 0x45, 0x00, 0x00, 0x00, 0x00,
    0x50, 0x02, 0xfa, 0xf0, 0x5e, 0x86, 0x00, 0x00,
};

static void put32le(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}

static int write_all(int fd, const uint8_t *p, size_t n)
{
    while (n > 0) {
        ssize_t k = write(fd, p, n);
        if (k <= 0) return -1;
        p += k;
        n -= (size_t)k;
    }
    return 0;
}

static int syn(const char *out)
{
    uint8_t file[24 + 16 + sizeof syn_frame];
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    put32le(file, 0xA1B2C3D4u);               /* microsecond pcap */
    put32le(file + 4, 2u | 4u << 16);         /* version 2.4 */
    put32le(file + 8, 0);                     /* thiszone */
    put32le(file + 12, 0);                    /* sigfigs */
    put32le(file + 16, 262144);               /* snaplen */
    put32le(file + 20, 1);                    /* Ethernet */
    put32le(file + 24, (uint32_t)now.tv_sec);
    put32le(file + 28, (uint32_t)(now.tv_nsec / 1000));
    put32le(file + 32, sizeof syn_frame);
    put32le(file + 36, sizeof syn_frame);
    memcpy(file + 40, syn_frame, sizeof syn_frame);

    char tmp[4096];
    if (snprintf(tmp, sizeof tmp, "%s.tmpXXXXXX", out) >= (int)sizeof tmp) {
        fprintf(stderr, "bench-plain: %s: name too long\n", out);
        return 1;
    }
    int fd = mkstemp(tmp);
    if (fd < 0) {
        perror("bench-plain: mkstemp");
        return 1;
    }
    if (fchmod(fd, 0644) < 0 || write_all(fd, file, sizeof file) < 0) {
        perror("bench-plain: write");
        close(fd);
        unlink(tmp);
        return 1;
    }
    if (close(fd) < 0 || rename(tmp, out) < 0) {
        perror("bench-plain: close/rename");
        unlink(tmp);
        return 1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    if (argc == 2 && !strcmp(argv[1], "version")) {
        printf("bench-plain 0.1.0\n");
        return 0;
    }
    if (argc == 3 && !strcmp(argv[1], "syn")) return syn(argv[2]);
    fprintf(stderr, "usage: bench-plain version | bench-plain syn OUT.pcap\n");
    return 2;
}

/* bench-plain: the start-up baseline of scripts/bench.  A C program with no
 * library but libc that does what the smallest pktcraft runs do:
 *   bench-plain version        print a version line
 *   bench-plain syn OUT.pcap   write a pcap of one TCP SYN, 10.0.0.1 -> 10.0.0.2:80,
 *                              the frame `pktcraft syn --src 10.0.0.1 --dst 10.0.0.2` makes
 * pktcraft's one-packet runs and --version are timed against these. */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static void put16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)(v >> 8); p[1] = (uint8_t)v; }
static void put32le(uint8_t *p, uint32_t v) { for (int i = 0; i < 4; i++) p[i] = (uint8_t)(v >> (8 * i)); }

static uint16_t csum(const uint8_t *p, size_t n, uint32_t s)
{
    for (size_t i = 0; i + 1 < n; i += 2) s += (uint32_t)(p[i] << 8 | p[i + 1]);
    while (s >> 16) s = (s & 0xffff) + (s >> 16);
    return (uint16_t)~s;
}

static int syn(const char *path)
{
    uint8_t f[24 + 16 + 54] = { 0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0, [16] = 0, 0, 4, 0, 1, 0, 0, 0 };
    static const uint8_t frame[54] = {
        2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 0x08, 0x00,
        0x45, 0, 0, 40, 0, 0, 0, 0, 64, 6, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2,
        0, 0, 0, 80, 0, 0, 0, 0, 0, 0, 0, 0, 0x50, 0x02, 0xfa, 0xf0, 0, 0, 0, 0,
    };
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    uint8_t *rec = f + 24, *eth = rec + 16, *ip = eth + 14, *tcp = ip + 20;
    put32le(rec, (uint32_t)now.tv_sec);
    put32le(rec + 4, (uint32_t)(now.tv_nsec / 1000));
    put32le(rec + 8, sizeof frame);
    put32le(rec + 12, sizeof frame);
    memcpy(eth, frame, sizeof frame);
    uint32_t seed = (uint32_t)now.tv_nsec ^ (uint32_t)getpid();
    put16(ip + 4, (uint16_t)seed);
    put16(ip + 10, csum(ip, 20, 0));
    put16(tcp, (uint16_t)(1024 + seed % 64512));
    put16(tcp + 4, (uint16_t)(seed * 2654435761u >> 16));
    put16(tcp + 6, (uint16_t)(seed * 2654435761u));
    put16(tcp + 16, csum(tcp, 20, 0x0a00 + 0x0001 + 0x0a00 + 0x0002 + 6 + 20));
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0 || write(fd, f, sizeof f) != (ssize_t)sizeof f || close(fd) < 0) {
        perror(path);
        return 1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    if (argc == 2 && !strcmp(argv[1], "version")) {
        puts("bench-plain 0.1.0");
        return 0;
    }
    if (argc == 3 && !strcmp(argv[1], "syn")) return syn(argv[2]);
    fprintf(stderr, "usage: bench-plain version | syn OUT.pcap\n");
    return 2;
}

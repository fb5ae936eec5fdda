/* bench-libnet: libnet 1.1.6 crafting the SYNs of scripts/bench, for comparison.
 *   bench-libnet N FILE   N TCP SYN frames (10.0.0.1 -> 10.0.0.2:80, IP id, source port and
 *                         sequence number varying as in the template floor) built by libnet
 *                         and written as pcap records through a 1 MiB buffer
 * libnet's fastest way is used: a construct-only context (LIBNET_NONE) whose
 * blocks are built once and then modified in place through their ptags; each
 * frame is taken with libnet_pblock_coalesce, which computes the checksums. */
#include <libnet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void put32le(uint8_t *p, uint32_t v) { for (int i = 0; i < 4; i++) p[i] = (uint8_t)(v >> (8 * i)); }

static int fail(libnet_t *l, const char *what)
{
    fprintf(stderr, "bench-libnet: %s: %s\n", what, libnet_geterror(l));
    return 1;
}

int main(int argc, char **argv)
{
    if (argc != 3) { fprintf(stderr, "usage: bench-libnet N FILE\n"); return 2; }
    uint64_t n = strtoull(argv[1], NULL, 10);
    char eb[LIBNET_ERRBUF_SIZE];
    libnet_t *l = libnet_init(LIBNET_NONE, NULL, eb);
    if (!l) { fprintf(stderr, "bench-libnet: %s\n", eb); return 1; }
    FILE *out = fopen(argv[2], "wb");
    if (!out) { perror(argv[2]); return 1; }
    static char obuf[1 << 20];
    setvbuf(out, obuf, _IOFBF, sizeof obuf);
    static const uint8_t fhdr[24] = { 0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 4, 0, 1, 0, 0, 0 };
    fwrite(fhdr, 1, sizeof fhdr, out);
    static const uint8_t smac[6] = { 2, 0, 0, 0, 0, 1 }, dmac[6] = { 2, 0, 0, 0, 0, 2 };
    uint32_t src = htonl(0x0a000001), dst = htonl(0x0a000002);
    libnet_ptag_t tcp = 0, ip = 0, eth = 0;
    for (uint64_t i = 0; i < n; i++) {
        uint32_t k = (uint32_t)i;
        tcp = libnet_build_tcp((uint16_t)(1024 + k % 64512), 80, k * 2654435761u, 0, TH_SYN, 64240, 0, 0,
                               LIBNET_TCP_H, NULL, 0, l, tcp);
        if (tcp == -1) return fail(l, "libnet_build_tcp");
        ip = libnet_build_ipv4(LIBNET_IPV4_H + LIBNET_TCP_H, 0, (uint16_t)k, 0, 64, IPPROTO_TCP, 0, src, dst, NULL, 0,
                               l, ip);
        if (ip == -1) return fail(l, "libnet_build_ipv4");
        eth = libnet_build_ethernet(dmac, smac, ETHERTYPE_IP, NULL, 0, l, eth);
        if (eth == -1) return fail(l, "libnet_build_ethernet");
        uint8_t *p = NULL;
        uint32_t len = 0;
        if (libnet_pblock_coalesce(l, &p, &len) != 1) return fail(l, "libnet_pblock_coalesce");
        uint8_t rec[16];
        put32le(rec, (uint32_t)(i / 1000000));
        put32le(rec + 4, (uint32_t)(i % 1000000));
        put32le(rec + 8, len);
        put32le(rec + 12, len);
        fwrite(rec, 1, sizeof rec, out);
        fwrite(p, 1, len, out);
        libnet_adv_free_packet(l, p);
    }
    if (fclose(out) != 0) { perror(argv[2]); return 1; }
    libnet_destroy(l);
    fprintf(stderr, "libnet: %llu SYN frames\n", (unsigned long long)n);
    return 0;
}

/* bench-walk: the C baselines of scripts/bench, built without pktcraft.
 *   bench-walk read FILE        read() FILE in 1 MiB blocks, walk its pcap records and
 *                               decode Ethernet, 802.1Q, IPv4, IPv6 and TCP/UDP ports by hand
 *   bench-walk pcap FILE        the same hand decode over libpcap's pcap_next_ex loop
 *                               (pcap or pcapng)
 *   bench-walk template N FILE  the crafting floor: N TCP SYN frames made by patching a
 *                               prebuilt frame (IP id, source port, sequence number,
 *                               both checksums) and written as pcap records through a
 *                               1 MiB buffer
 * Each prints on standard error one line: what, packets, and a sum of the decoded ports
 * (so the compiler cannot drop the work, and so the two walks can be compared). */
#include <fcntl.h>
#include <pcap/pcap.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum { BLOCK = 1 << 20, PCAP_FILE_HDR = 24, PCAP_REC_HDR = 16 };

static uint16_t be16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }
static uint32_t le32(const uint8_t *p) { return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24; }

struct tally {
    uint64_t pkts, ports, l4;
};

/* Ethernet, any number of 802.1Q/802.1ad tags, IPv4 (first fragments only) or
 * IPv6 (no extension headers), then the two ports of TCP or UDP. */
static void hand_decode(struct tally *t, const uint8_t *p, uint32_t n)
{
    t->pkts++;
    if (n < 14) return;
    uint32_t off = 12;
    uint16_t type = be16(p + off);
    while ((type == 0x8100 || type == 0x88a8) && off + 6 <= n) {
        off += 4;
        type = be16(p + off);
    }
    off += 2;
    uint8_t proto;
    if (type == 0x0800) {
        if (off + 20 > n) return;
        uint32_t ihl = (uint32_t)(p[off] & 0x0f) * 4;
        if ((be16(p + off + 6) & 0x1fff) != 0) return; /* a later fragment: no ports */
        proto = p[off + 9];
        off += ihl;
    } else if (type == 0x86dd) {
        if (off + 40 > n) return;
        proto = p[off + 6];
        off += 40;
    } else {
        return;
    }
    if ((proto == 6 || proto == 17) && off + 4 <= n) {
        t->l4++;
        t->ports += be16(p + off) + be16(p + off + 2);
    }
}

static void print_tally(const char *what, const struct tally *t)
{
    fprintf(stderr, "%s: %llu packets, %llu with ports, port sum %llu\n", what, (unsigned long long)t->pkts,
            (unsigned long long)t->l4, (unsigned long long)t->ports);
}

/* Records may straddle two blocks: the unread tail moves to the front of the
 * buffer before the next read(). */
static int read_walk(const char *path)
{
    int fd = open(path, O_RDONLY);
    if (fd < 0) { perror(path); return 1; }
    static uint8_t buf[BLOCK + 65536 + PCAP_REC_HDR];
    struct tally t = { 0 };
    size_t have = 0, pos = 0;
    int header = 1;
    for (;;) {
        memmove(buf, buf + pos, have - pos);
        have -= pos;
        pos = 0;
        ssize_t got = read(fd, buf + have, BLOCK);
        if (got < 0) { perror(path); return 1; }
        if (got == 0) break;
        have += (size_t)got;
        if (header) {
            if (have < PCAP_FILE_HDR) continue;
            uint32_t magic = le32(buf);
            if (magic != 0xa1b2c3d4 && magic != 0xa1b23c4d) { fprintf(stderr, "%s: not a little-endian pcap\n", path); return 1; }
            pos = PCAP_FILE_HDR;
            header = 0;
        }
        while (have - pos >= PCAP_REC_HDR) {
            uint32_t caplen = le32(buf + pos + 8);
            if (caplen > 65536) { fprintf(stderr, "%s: bad record length %u\n", path, caplen); return 1; }
            if (have - pos < PCAP_REC_HDR + (size_t)caplen) break;
            hand_decode(&t, buf + pos + PCAP_REC_HDR, caplen);
            pos += PCAP_REC_HDR + caplen;
        }
    }
    close(fd);
    print_tally("read() walk", &t);
    return 0;
}

static int libpcap_walk(const char *path)
{
    char eb[PCAP_ERRBUF_SIZE];
    pcap_t *p = pcap_open_offline(path, eb);
    if (!p) { fprintf(stderr, "%s\n", eb); return 1; }
    struct pcap_pkthdr *h;
    const u_char *data;
    struct tally t = { 0 };
    int rc;
    while ((rc = pcap_next_ex(p, &h, &data)) == 1) hand_decode(&t, data, h->caplen);
    if (rc == PCAP_ERROR) { fprintf(stderr, "%s\n", pcap_geterr(p)); return 1; }
    pcap_close(p);
    print_tally("pcap_next_ex walk", &t);
    return 0;
}

/* ---------------------------------------------------------------- crafting floor */

static uint32_t sum16(const uint8_t *p, size_t n, uint32_t s)
{
    for (size_t i = 0; i + 1 < n; i += 2) s += be16(p + i);
    return s;
}

static uint16_t fold(uint32_t s)
{
    while (s >> 16) s = (s & 0xffff) + (s >> 16);
    return (uint16_t)~s;
}

static void put16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)(v >> 8); p[1] = (uint8_t)v; }
static void put32(uint8_t *p, uint32_t v) { put16(p, (uint16_t)(v >> 16)); put16(p + 2, (uint16_t)v); }
static void put32le(uint8_t *p, uint32_t v) { p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); p[2] = (uint8_t)(v >> 16); p[3] = (uint8_t)(v >> 24); }

/* The frame `pktcraft syn --src 10.0.0.1 --dst 10.0.0.2` writes: Ethernet,
 * a 20-byte IPv4 header, a 20-byte TCP header with no options. */
static const uint8_t syn_template[54] = {
    2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 0x08, 0x00,                                         /* Ethernet */
    0x45, 0, 0, 40, 0, 0, 0, 0, 64, 6, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2,                     /* IPv4 */
    0, 0, 0, 80, 0, 0, 0, 0, 0, 0, 0, 0, 0x50, 0x02, 0xfa, 0xf0, 0, 0, 0, 0,               /* TCP SYN */
};

static void patch_syn(uint8_t *f, uint32_t i)
{
    uint8_t *ip = f + 14, *tcp = f + 34;
    put16(ip + 4, (uint16_t)i);
    put16(ip + 10, 0);
    put16(ip + 10, fold(sum16(ip, 20, 0)));
    put16(tcp, (uint16_t)(1024 + i % 64512));
    put32(tcp + 4, i * 2654435761u);
    put16(tcp + 16, 0);
    uint32_t pseudo = sum16(ip + 12, 8, 0) + 6 + 20; /* addresses, protocol, TCP length */
    put16(tcp + 16, fold(sum16(tcp, 20, pseudo)));
}

static int template_floor(uint64_t n, const char *path)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0) { perror(path); return 1; }
    static uint8_t out[BLOCK];
    static const uint8_t fhdr[PCAP_FILE_HDR] = { 0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0,
                                                 0, 0, 4, 0, 1, 0, 0, 0 };
    memcpy(out, fhdr, sizeof fhdr);
    size_t used = sizeof fhdr;
    enum { REC = PCAP_REC_HDR + sizeof syn_template };
    for (uint64_t i = 0; i < n; i++) {
        if (used + REC > sizeof out) {
            if (write(fd, out, used) != (ssize_t)used) { perror(path); return 1; }
            used = 0;
        }
        uint8_t *r = out + used;
        put32le(r, (uint32_t)(i / 1000000));      /* one microsecond apart */
        put32le(r + 4, (uint32_t)(i % 1000000));
        put32le(r + 8, sizeof syn_template);
        put32le(r + 12, sizeof syn_template);
        memcpy(r + PCAP_REC_HDR, syn_template, sizeof syn_template);
        patch_syn(r + PCAP_REC_HDR, (uint32_t)i);
        used += REC;
    }
    if (write(fd, out, used) != (ssize_t)used || close(fd) < 0) { perror(path); return 1; }
    fprintf(stderr, "template floor: %llu SYN frames\n", (unsigned long long)n);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc == 3 && !strcmp(argv[1], "read")) return read_walk(argv[2]);
    if (argc == 3 && !strcmp(argv[1], "pcap")) return libpcap_walk(argv[2]);
    if (argc == 4 && !strcmp(argv[1], "template")) return template_floor(strtoull(argv[2], NULL, 10), argv[3]);
    fprintf(stderr, "usage: bench-walk read FILE | pcap FILE | template N FILE\n");
    return 2;
}

/* pc-bench: the measuring half of scripts/bench.
 *   pc-bench craft N FILE     build N SYN frames with the builder and write them to FILE
 *   pc-bench build N          build N SYN frames in memory only (builder cost alone)
 *   pc-bench gen N FILE       write a mixed TCP/UDP/ICMP capture of N packets (about 500 B each)
 *   pc-bench conv N FILE      write N packets of whole conversations: 512 TCP connections at a
 *                             time (handshake, request, a response of 1 to 64 full segments
 *                             acknowledged every second one, 1% retransmitted, FIN both ways)
 *                             interleaved with DNS queries and responses (for flows and stats)
 *   pc-bench decode FILE [--no-l4csum]  read FILE with pc_reader and decode every packet
 *                             through L4 and DNS, then walk every question and record of
 *                             each DNS message with pc_dns_iter (names as text), as a DNS
 *                             consumer does
 *   pc-bench libpcap FILE     the same walk with libpcap's pcap_next_ex (for comparison)
 * Each prints one line: what, packets, seconds, packets/s, MB/s. */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "pktcraft/pktcraft.h"

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void report(const char *what, uint64_t pkts, uint64_t bytes, double secs)
{
    printf("%-28s %10llu pkts %8.3f s %12.0f pkt/s %9.1f MB/s\n", what, (unsigned long long)pkts, secs,
           (double)pkts / secs, (double)bytes / secs / 1e6);
}

static int build_syn(uint8_t *buf, size_t cap, uint32_t i)
{
    struct pc_pkt pk;
    pc_pkt_init(&pk, buf, cap);
    pc_push_eth(&pk, &(struct pc_eth){ .dst = { 2, 0, 0, 0, 0, 2 }, .src = { 2, 0, 0, 0, 0, 1 } });
    pc_push_ipv4(&pk, &(struct pc_ipv4){ .src = { 10, 0, 0, 1 }, .dst = { 10, 0, 0, 2 }, .ttl = 64, .id = (uint16_t)i });
    pc_push_tcp(&pk, &(struct pc_tcp){ .sport = (uint16_t)(1024 + i % 64512), .dport = 80, .seq = i * 2654435761u,
                                       .flags = PC_TCP_SYN, .win = 64240 });
    return pc_pkt_finalize(&pk);
}

static struct pc_writer *open_out(const char *path)
{
    struct pc_err err;
    struct pc_writer *w = pc_writer_open(path, &(struct pc_writer_opts){ .linktype = 1 }, &err);
    if (!w) { fprintf(stderr, "pc-bench: %s\n", err.msg); exit(1); }
    return w;
}

static void close_out(struct pc_writer *w)
{
    struct pc_err err;
    if (pc_writer_close(w, &err) < 0) { fprintf(stderr, "pc-bench: %s\n", err.msg); exit(1); }
}

static int craft(uint64_t n, const char *path)
{
    uint8_t buf[128];
    double t0 = now();
    struct pc_writer *w = path ? open_out(path) : NULL;
    uint64_t bytes = 0, sink = 0;
    for (uint64_t i = 0; i < n; i++) {
        int len = build_syn(buf, sizeof buf, (uint32_t)i);
        bytes += (uint64_t)len;
        if (w) pc_writer_write(w, (pc_time_ns)i * 1000, buf, (uint32_t)len, (uint32_t)len);
        else sink += buf[50];
    }
    if (w) close_out(w);
    report(w ? "craft SYN -> pcap" : "build SYN (memory)", n, bytes, now() - t0);
    return sink == 1; /* keeps the loop observable */
}

static int gen(uint64_t n, const char *path)
{
    struct pc_writer *w = open_out(path);
    struct pc_rng r;
    pc_rng_seed(&r, 1);
    static uint8_t payload[1500], buf[2048];
    for (size_t i = 0; i < sizeof payload; i++) payload[i] = (uint8_t)i;
    uint64_t bytes = 0;
    double t0 = now();
    for (uint64_t i = 0; i < n; i++) {
        struct pc_pkt pk;
        pc_pkt_init(&pk, buf, sizeof buf);
        pc_push_eth(&pk, &(struct pc_eth){ .dst = { 2, 0, 0, 0, 0, 2 }, .src = { 2, 0, 0, 0, 0, 1 } });
        pc_push_ipv4(&pk, &(struct pc_ipv4){ .src = { 10, 0, 0, (uint8_t)i }, .dst = { 10, 0, 1, (uint8_t)(i >> 8) }, .ttl = 64 });
        uint64_t k = pc_rng_below(&r, 10);
        size_t plen = k < 4 ? 0 : (size_t)pc_rng_below(&r, 1400);
        if (k < 8) pc_push_tcp(&pk, &(struct pc_tcp){ .sport = (uint16_t)pc_rng_next(&r), .dport = 443, .flags = PC_TCP_ACK, .win = 512 });
        else if (k < 9) pc_push_udp(&pk, &(struct pc_udp){ .sport = (uint16_t)pc_rng_next(&r), .dport = 53 });
        else pc_push_icmp(&pk, &(struct pc_icmp){ .type = 8 });
        pc_push_payload(&pk, payload, plen);
        int len = pc_pkt_finalize(&pk);
        pc_writer_write(w, (pc_time_ns)i * 1000, buf, (uint32_t)len, (uint32_t)len);
        bytes += (uint64_t)len + 16;
    }
    close_out(w);
    report("generate mixed capture", n, bytes, now() - t0);
    return 0;
}


/* One TCP connection of the conversation mix, as a little state machine:
 * each call to conv_next emits its next packet. */
struct conv {
    uint32_t id, cseq, sseq, left, step, since_ack;
    uint16_t cport;
};

static int conv_frame(uint8_t *buf, size_t cap, const struct conv *c, int to_server, uint8_t flags,
                      const uint8_t *pl, size_t plen)
{
    uint8_t a[4] = { 10, 1, (uint8_t)(c->id >> 8), (uint8_t)c->id }, b[4] = { 10, 2, 0, (uint8_t)(c->id % 200 + 1) };
    struct pc_pkt pk;
    pc_pkt_init(&pk, buf, cap);
    pc_push_eth(&pk, &(struct pc_eth){ .dst = { 2, 0, 0, 0, 0, (uint8_t)(to_server ? 2 : 1) },
                                      .src = { 2, 0, 0, 0, 0, (uint8_t)(to_server ? 1 : 2) } });
    struct pc_ipv4 ip = { .ttl = 64, .id = (uint16_t)(c->step + c->id) };
    memcpy(ip.src, to_server ? a : b, 4);
    memcpy(ip.dst, to_server ? b : a, 4);
    pc_push_ipv4(&pk, &ip);
    pc_push_tcp(&pk, &(struct pc_tcp){ .sport = to_server ? c->cport : 80, .dport = to_server ? 80 : c->cport,
                                       .seq = to_server ? c->cseq : c->sseq, .ack = to_server ? c->sseq : c->cseq,
                                       .flags = flags, .win = 65535 });
    pc_push_payload(&pk, pl, plen);
    return pc_pkt_finalize(&pk);
}

static void conv_start(struct conv *c, struct pc_rng *r, uint32_t id)
{
    *c = (struct conv){ .id = id, .cseq = (uint32_t)pc_rng_next(&r[0]), .sseq = (uint32_t)pc_rng_next(&r[0]),
                        .cport = (uint16_t)(1024 + id % 60000), .left = 1 + (uint32_t)pc_rng_below(&r[0], 64) };
}

/* The next packet of c into buf; returns its length, or 0 when c is over. */
static int conv_next(struct conv *c, struct pc_rng *r, uint8_t *buf, size_t cap, const uint8_t *payload)
{
    static const char req[] = "GET /object HTTP/1.1\r\nHost: bench.example\r\nUser-Agent: pc-bench\r\n\r\n";
    int len = 0;
    switch (c->step) {
    case 0: len = conv_frame(buf, cap, c, 1, PC_TCP_SYN, NULL, 0); c->cseq++; c->step++; break;
    case 1: len = conv_frame(buf, cap, c, 0, PC_TCP_SYN | PC_TCP_ACK, NULL, 0); c->sseq++; c->step++; break;
    case 2: len = conv_frame(buf, cap, c, 1, PC_TCP_ACK, NULL, 0); c->step++; break;
    case 3:
        len = conv_frame(buf, cap, c, 1, PC_TCP_ACK | PC_TCP_PSH, (const uint8_t *)req, sizeof req - 1);
        c->cseq += sizeof req - 1;
        c->step++;
        break;
    case 4: /* response segments; the client acknowledges every second one */
        if (c->since_ack == 2) {
            len = conv_frame(buf, cap, c, 1, PC_TCP_ACK, NULL, 0);
            c->since_ack = 0;
        } else if (c->left) {
            int retrans = pc_rng_below(r, 100) == 0;
            len = conv_frame(buf, cap, c, 0, PC_TCP_ACK, payload, 1448);
            if (!retrans) { c->sseq += 1448; c->left--; c->since_ack++; }
        } else {
            len = conv_frame(buf, cap, c, 0, PC_TCP_FIN | PC_TCP_ACK, NULL, 0);
            c->sseq++;
            c->step++;
        }
        break;
    case 5: len = conv_frame(buf, cap, c, 1, PC_TCP_FIN | PC_TCP_ACK, NULL, 0); c->cseq++; c->step++; break;
    case 6: len = conv_frame(buf, cap, c, 0, PC_TCP_ACK, NULL, 0); c->step++; break;
    default: return 0;
    }
    return len;
}

/* A DNS query (to_server) or its answer, as UDP datagrams. */
static int dns_frame(uint8_t *buf, size_t cap, uint32_t i, int answer)
{
    uint8_t msg[128] = { (uint8_t)(i >> 8), (uint8_t)i, answer ? 0x81 : 0x01, answer ? 0x80 : 0x00, 0, 1, 0,
                         (uint8_t)answer, 0, 0, 0, 0 };
    size_t n = 12;
    n += (size_t)snprintf((char *)msg + n + 1, sizeof msg - n - 1, "h%u", i % 100000);
    msg[12] = (uint8_t)(n - 12);
    static const uint8_t qtail[] = { 7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 0, 0, 1, 0, 1 };
    memcpy(msg + n + 1, qtail, sizeof qtail);
    n += 1 + sizeof qtail;
    if (answer) {
        static const uint8_t rr[] = { 0xc0, 0x0c, 0, 1, 0, 1, 0, 0, 0x0e, 0x10, 0, 4, 192, 0, 2 };
        memcpy(msg + n, rr, sizeof rr);
        msg[n + 15] = (uint8_t)i;
        n += 16;
    }
    struct pc_pkt pk;
    pc_pkt_init(&pk, buf, cap);
    pc_push_eth(&pk, &(struct pc_eth){ .dst = { 2, 0, 0, 0, 0, 3 }, .src = { 2, 0, 0, 0, 0, 4 } });
    uint8_t cl[4] = { 10, 3, (uint8_t)(i >> 8), (uint8_t)i }, sv[4] = { 10, 4, 0, 53 };
    struct pc_ipv4 ip = { .ttl = 64, .id = (uint16_t)i };
    memcpy(ip.src, answer ? sv : cl, 4);
    memcpy(ip.dst, answer ? cl : sv, 4);
    pc_push_ipv4(&pk, &ip);
    uint16_t cport = (uint16_t)(2000 + i % 50000);
    pc_push_udp(&pk, &(struct pc_udp){ .sport = answer ? 53 : cport, .dport = answer ? cport : 53 });
    pc_push_payload(&pk, msg, n);
    return pc_pkt_finalize(&pk);
}

static int conv_mix(uint64_t n, const char *path)
{
    enum { ACTIVE = 512 };
    static struct conv c[ACTIVE];
    static uint8_t payload[1448], buf[2048];
    struct pc_writer *w = open_out(path);
    struct pc_rng r;
    pc_rng_seed(&r, 7);
    for (size_t i = 0; i < sizeof payload; i++) payload[i] = (uint8_t)(i * 7);
    uint32_t next_id = 0, dns = 0;
    for (int i = 0; i < ACTIVE; i++) conv_start(&c[i], &r, next_id++);
    uint64_t bytes = 0;
    double t0 = now();
    for (uint64_t i = 0; i < n; i++) {
        int len;
        if (pc_rng_below(&r, 50) == 0) { /* 2%: DNS, the answer right after its query */
            len = dns_frame(buf, sizeof buf, dns / 2, (int)(dns & 1));
            dns++;
        } else {
            struct conv *k = &c[pc_rng_below(&r, ACTIVE)];
            while (!(len = conv_next(k, &r, buf, sizeof buf, payload))) conv_start(k, &r, next_id++);
        }
        pc_writer_write(w, (pc_time_ns)1700000000 * 1000000000 + (pc_time_ns)i * 2000, buf, (uint32_t)len,
                        (uint32_t)len);
        bytes += (uint64_t)len + 16;
    }
    close_out(w);
    report("generate conversation mix", n, bytes, now() - t0);
    return 0;
}

/* Every question and record of the DNS message in layer i, names as text:
 * returns 1 when the message parses to its end, and adds the names' lengths
 * to *names.  Over TCP the layer starts at the two-byte length prefix. */
static int dns_walk(const struct pc_decoded *d, int i, uint64_t *names)
{
    const struct pc_layer *l = &d->l[i];
    if (l->flags & (PC_LF_TRUNC | PC_LF_MALFORMED)) return 0;
    uint32_t skip = d->l[i - 1].proto == PC_P_TCP ? 2 : 0;
    struct pc_dns_iter it;
    struct pc_dns_rr rr;
    if (pc_dns_iter_init(&it, d->buf + l->off + skip, (size_t)l->hlen - skip + l->plen) < 0) return 0;
    int rc;
    while ((rc = pc_dns_iter_next(&it, &rr)) > 0) *names += strlen(rr.name);
    return rc == 0;
}

/* Decode every packet and fold the ports into a checksum so the work
 * cannot be optimised away. */
static int decode(const char *path, unsigned flags)
{
    struct pc_err err;
    double t0 = now();
    struct pc_reader *r = pc_reader_open(path, &err);
    if (!r) { fprintf(stderr, "pc-bench: %s\n", err.msg); return 1; }
    struct pc_pkthdr h = { 0 };
    const uint8_t *data = NULL;
    struct pc_decoded d;
    uint64_t n = 0, bytes = 24, ports = 0, dns = 0, names = 0;
    int rc;
    while ((rc = pc_reader_next(r, &h, &data)) > 0) {
        n++;
        bytes += 16 + h.caplen;
        pc_decode_flags(&d, data, h.caplen, h.len, h.linktype, flags);
        if (d.l4 >= 0 && d.l[d.l4].proto != PC_P_ICMP) ports += pc_get16(data + d.l[d.l4].off + 2);
        for (int i = d.l4 + 1; d.l4 >= 0 && i < d.n; i++)
            if (d.l[i].proto == PC_P_DNS) dns += dns_walk(&d, i, &names);
    }
    if (rc < 0) { fprintf(stderr, "pc-bench: %s\n", pc_reader_err(r)->msg); return 1; }
    pc_reader_close(r);
    report(flags ? "read + decode, no L4 csum" : "read + decode + verify csums", n, bytes, now() - t0);
    fprintf(stderr, "(port sum %llu, %llu DNS messages, %llu name bytes)\n", (unsigned long long)ports,
            (unsigned long long)dns, (unsigned long long)names);
    return 0;
}

/* libpcap is loaded at run time so pc-bench does not need it to build. */
static int libpcap_walk(const char *path)
{
    void *lib = dlopen("libpcap.so.0.8", RTLD_NOW);
    if (!lib) { fprintf(stderr, "pc-bench: libpcap not found\n"); return 1; }
    typedef void *(*open_fn)(const char *, char *);
    typedef int (*next_fn)(void *, void **, const uint8_t **);
    /* POSIX's way from dlsym's void * to a function pointer */
    open_fn op;
    next_fn nx;
    void *sym = dlsym(lib, "pcap_open_offline");
    memcpy(&op, &sym, sizeof op);
    sym = dlsym(lib, "pcap_next_ex");
    memcpy(&nx, &sym, sizeof nx);
    char eb[256];
    double t0 = now();
    void *p = op(path, eb);
    if (!p) { fprintf(stderr, "pc-bench: %s\n", eb); return 1; }
    void *hdr;
    const uint8_t *data = NULL;
    uint64_t n = 0, sink = 0;
    while (nx(p, &hdr, &data) == 1) { n++; sink += data[0]; }
    report("pcap_next_ex loop (libpcap)", n, 0, now() - t0);
    return sink == 1;
}

int main(int argc, char **argv)
{
    if (argc >= 3 && !strcmp(argv[1], "craft")) return craft(strtoull(argv[2], NULL, 10), argc > 3 ? argv[3] : NULL);
    if (argc >= 3 && !strcmp(argv[1], "build")) return craft(strtoull(argv[2], NULL, 10), NULL);
    if (argc >= 4 && !strcmp(argv[1], "gen")) return gen(strtoull(argv[2], NULL, 10), argv[3]);
    if (argc >= 4 && !strcmp(argv[1], "conv")) return conv_mix(strtoull(argv[2], NULL, 10), argv[3]);
    if (argc >= 3 && !strcmp(argv[1], "decode")) return decode(argv[2], argc > 3 && !strcmp(argv[3], "--no-l4csum") ? PC_DEC_NO_L4CSUM : 0);
    if (argc >= 3 && !strcmp(argv[1], "libpcap")) return libpcap_walk(argv[2]);
    fprintf(stderr, "usage: pc-bench craft N [FILE] | build N | gen N FILE | conv N FILE | decode FILE | libpcap FILE\n");
    return 2;
}

/* Round trip: thousands of seeded random specs are built, decoded back
 * through the parser, and every field compared; pinned and corrupt fields
 * must come back pinned and corrupt. */
#include <criterion/criterion.h>

#include "helpers.h"

struct spec {
    struct pc_eth eth;
    struct pc_ipv4 ip;
    uint8_t ipopt[40];
    int l4;  /* PC_P_TCP, PC_P_UDP or PC_P_ICMP */
    struct pc_tcp tcp;
    struct pc_tcpopt topt[8];
    struct pc_udp udp;
    struct pc_icmp icmp;
    uint8_t payload[1400];
    size_t plen;
};

static uint32_t rnd(struct pc_rng *r, uint32_t n) { return (uint32_t)pc_rng_below(r, n); }

/* A port no application decoder claims (DNS 53/5353, VXLAN 4789), so the
 * random payload stays payload. */
static uint16_t rport(struct pc_rng *r)
{
    for (;;) {
        uint16_t p = (uint16_t)rnd(r, 65536);
        if (p != 53 && p != 5353 && p != 4789) return p;
    }
}

static void random_bytes(struct pc_rng *r, uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++) p[i] = (uint8_t)pc_rng_next(r);
}

/* Random TCP options that fit in 40 bytes. */
static size_t random_tcpopts(struct pc_rng *r, struct pc_tcpopt *o)
{
    size_t n = 0, used = 0;
    while (n < 8 && rnd(r, 4)) {
        struct pc_tcpopt x = { 0 };
        switch (rnd(r, 7)) {
        case 0: x.kind = PC_TCPOPT_MSS; x.mss = (uint16_t)rnd(r, 65536); break;
        case 1: x.kind = PC_TCPOPT_WSCALE; x.wscale = (uint8_t)rnd(r, 15); break;
        case 2: x.kind = PC_TCPOPT_SACKOK; break;
        case 3: x.kind = PC_TCPOPT_TS; x.ts_val = (uint32_t)pc_rng_next(r); x.ts_ecr = (uint32_t)pc_rng_next(r); break;
        case 4:
            x.kind = PC_TCPOPT_SACK;
            x.nsack = (uint8_t)(1 + rnd(r, 4));
            for (int k = 0; k < x.nsack; k++) { x.sack[k][0] = (uint32_t)pc_rng_next(r); x.sack[k][1] = (uint32_t)pc_rng_next(r); }
            break;
        default: x.kind = PC_TCPOPT_NOP; break;
        }
        uint8_t tmp[40];
        struct pc_tcpopt all[9];
        memcpy(all, o, n * sizeof *o);
        all[n] = x;
        int sz = pc_tcp_opts_encode(all, n + 1, tmp, sizeof tmp);
        if (sz < 0) break;
        o[n++] = x;
        used = (size_t)sz;
    }
    (void)used;
    return n;
}

/* mode: 0 all auto; 1 random pinned/corrupt checksums. */
static void random_spec(struct pc_rng *r, struct spec *s, int mode)
{
    memset(s, 0, sizeof *s);
    random_bytes(r, s->eth.dst, 6);
    random_bytes(r, s->eth.src, 6);
    random_bytes(r, s->ip.src, 4);
    random_bytes(r, s->ip.dst, 4);
    s->ip.tos = (uint8_t)rnd(r, 256);
    s->ip.ttl = (uint8_t)rnd(r, 256);
    s->ip.id = (uint16_t)rnd(r, 65536);
    s->ip.flags = (uint8_t)(rnd(r, 2) ? PC_IP_DF : 0);
    if (rnd(r, 4) == 0) {
        /* valid options only (NOP, router alert): the decoder checks them */
        size_t n = 0, want = rnd(r, 41);
        while (n < want) {
            if (want - n >= 4 && rnd(r, 2)) {
                memcpy(s->ipopt + n, (uint8_t[]){ 0x94, 0x04, (uint8_t)rnd(r, 256), (uint8_t)rnd(r, 256) }, 4);
                n += 4;
            } else {
                s->ipopt[n++] = 0x01;
            }
        }
        s->ip.optlen = n;
        s->ip.opts = s->ipopt;
    }
    s->l4 = (int[]){ PC_P_TCP, PC_P_UDP, PC_P_ICMP }[rnd(r, 3)];
    s->tcp = (struct pc_tcp){ .sport = rport(r), .dport = rport(r),
                              .seq = (uint32_t)pc_rng_next(r), .ack = (uint32_t)pc_rng_next(r),
                              .flags = (uint16_t)rnd(r, 512), .reserved = (uint8_t)rnd(r, 8),
                              .win = (uint16_t)rnd(r, 65536), .urp = (uint16_t)rnd(r, 65536) };
    s->tcp.nopts = random_tcpopts(r, s->topt);
    s->tcp.opts = s->topt;
    s->udp = (struct pc_udp){ .sport = rport(r), .dport = rport(r) };
    /* echo types: the others carry type-specific fields (tests/test_icmp.c) */
    s->icmp = (struct pc_icmp){ .type = rnd(r, 2) ? PC_ICMP_ECHO : PC_ICMP_ECHOREPLY, .code = (uint8_t)rnd(r, 256),
                                .id = (uint16_t)rnd(r, 65536), .seq = (uint16_t)rnd(r, 65536) };
    s->plen = rnd(r, 4) ? rnd(r, 64) : rnd(r, sizeof s->payload + 1);
    random_bytes(r, s->payload, s->plen);
    if (mode == 1) {
        pc_field *cs[] = { &s->ip.csum, &s->tcp.csum, &s->udp.csum, &s->icmp.csum };
        for (size_t i = 0; i < 4; i++) {
            uint32_t m = rnd(r, 3);
            *cs[i] = m == 0 ? (pc_field){ 0 } : m == 1 ? PC_PIN(rnd(r, 65536)) : PC_CORRUPT;
        }
    }
}

static int build(const struct spec *s, uint8_t *buf, size_t cap)
{
    struct pc_pkt pk;
    pc_pkt_init(&pk, buf, cap);
    pc_push_eth(&pk, &s->eth);
    pc_push_ipv4(&pk, &s->ip);
    if (s->l4 == PC_P_TCP) pc_push_tcp(&pk, &s->tcp);
    else if (s->l4 == PC_P_UDP) pc_push_udp(&pk, &s->udp);
    else pc_push_icmp(&pk, &s->icmp);
    pc_push_payload(&pk, s->payload, s->plen);
    return pc_pkt_finalize(&pk);
}

/* Status a checksum field must decode to, given how it was specified.
 * A pinned value may happen to be right (or be 0 for UDP). */
static int want_status(pc_field f, const uint8_t *region, size_t len, uint32_t pseudo, int udp)
{
    if (f.mode == PC_FAUTO) return PC_CSUM_GOOD;
    if (f.mode == PC_FCORRUPT) return PC_CSUM_BAD;
    if (udp && f.v == 0) return PC_CSUM_ZERO;
    return pc_csum_verify(region, len, pseudo) ? PC_CSUM_GOOD : PC_CSUM_BAD;
}

static void check_tcp(const struct spec *s, const uint8_t *t, const struct pc_decoded *d)
{
    cr_assert_eq(pc_tcp_sport(t), s->tcp.sport);
    cr_assert_eq(pc_tcp_dport(t), s->tcp.dport);
    cr_assert_eq(pc_tcp_seq(t), s->tcp.seq);
    cr_assert_eq(pc_tcp_ack(t), s->tcp.ack);
    cr_assert_eq(pc_tcp_flags(t), s->tcp.flags);
    cr_assert_eq((t[12] >> 1) & 7, s->tcp.reserved);
    cr_assert_eq(pc_tcp_win(t), s->tcp.win);
    cr_assert_eq(pc_tcp_urp(t), s->tcp.urp);
    uint8_t opt[40];
    int olen = pc_tcp_opts_encode(s->tcp.opts, s->tcp.nopts, opt, sizeof opt);
    cr_assert_eq(d->l[d->l4].hlen, 20u + (uint32_t)olen);
    cr_assert(memcmp(t + 20, opt, (size_t)olen) == 0, "tcp options differ");
}

static void check_packet(const struct spec *s, const uint8_t *buf, int n, uint64_t k)
{
    struct pc_decoded d;
    int rc = pc_decode(&d, buf, (uint32_t)n, (uint32_t)n, PC_LINK_ETHERNET);
    cr_assert_eq(rc, 0, "packet %llu: decode error %d (%s)", (unsigned long long)k, rc, d.n ? (d.l[d.n - 1].why ? d.l[d.n - 1].why : "") : "");
    cr_assert_eq(d.l2, 0);
    cr_assert_eq(d.l3, 1);
    cr_assert_eq(d.l4, 2);
    cr_assert_eq(d.l[2].proto, s->l4);
    const uint8_t *e = buf, *ip = buf + 14, *l4 = buf + d.l[2].off;
    cr_assert(memcmp(pc_eth_dst(e), s->eth.dst, 6) == 0 && memcmp(pc_eth_src(e), s->eth.src, 6) == 0);
    cr_assert_eq(pc_eth_type(e), PC_ETHERTYPE_IPV4);
    cr_assert(memcmp(pc_ipv4_src(ip), s->ip.src, 4) == 0 && memcmp(pc_ipv4_dst(ip), s->ip.dst, 4) == 0);
    cr_assert_eq(pc_ipv4_tos(ip), s->ip.tos);
    cr_assert_eq(pc_ipv4_ttl(ip), s->ip.ttl);
    cr_assert_eq(pc_ipv4_id(ip), s->ip.id);
    cr_assert_eq(pc_ipv4_flags(ip), s->ip.flags);
    cr_assert_eq(pc_ipv4_ihl(ip) * 4u, 20u + ((s->ip.optlen + 3) & ~3u));
    cr_assert_eq(pc_ipv4_len(ip), (uint32_t)n - 14);
    cr_assert(memcmp(ip + 20, s->ipopt, s->ip.optlen) == 0);
    uint32_t l4len = (uint32_t)n - d.l[2].off;
    uint32_t pseudo = pc_csum_pseudo4(s->ip.src, s->ip.dst, pc_ipv4_proto(ip), l4len);
    cr_assert_eq(d.l[1].csum, want_status(s->ip.csum, ip, d.l[1].hlen, 0, 0));
    if (s->l4 == PC_P_TCP) {
        cr_assert_eq(pc_ipv4_proto(ip), PC_IPPROTO_TCP);
        check_tcp(s, l4, &d);
        cr_assert_eq(d.l[2].csum, want_status(s->tcp.csum, l4, l4len, pseudo, 0));
    } else if (s->l4 == PC_P_UDP) {
        cr_assert_eq(pc_ipv4_proto(ip), PC_IPPROTO_UDP);
        cr_assert_eq(pc_udp_sport(l4), s->udp.sport);
        cr_assert_eq(pc_udp_dport(l4), s->udp.dport);
        cr_assert_eq(pc_udp_len(l4), l4len);
        cr_assert_eq(d.l[2].csum, want_status(s->udp.csum, l4, l4len, pseudo, 1));
    } else {
        cr_assert_eq(pc_ipv4_proto(ip), PC_IPPROTO_ICMP);
        cr_assert_eq(pc_icmp_type(l4), s->icmp.type);
        cr_assert_eq(pc_icmp_code(l4), s->icmp.code);
        cr_assert_eq(pc_icmp_id(l4), s->icmp.id);
        cr_assert_eq(pc_icmp_seq(l4), s->icmp.seq);
        cr_assert_eq(d.l[2].csum, want_status(s->icmp.csum, l4, l4len, 0, 0));
    }
    for (int i = 1; i < 3; i++) {
        pc_field f = i == 1 ? s->ip.csum : s->l4 == PC_P_TCP ? s->tcp.csum : s->l4 == PC_P_UDP ? s->udp.csum : s->icmp.csum;
        const uint8_t *h = buf + d.l[i].off;
        uint16_t v = i == 1 ? pc_ipv4_csum(h) : s->l4 == PC_P_TCP ? pc_tcp_csum(h) : s->l4 == PC_P_UDP ? pc_udp_csum(h) : pc_icmp_csum(h);
        if (f.mode == PC_FPIN) cr_assert_eq(v, (uint16_t)f.v, "pinned checksum not written verbatim");
    }
    if (s->plen) {
        cr_assert_eq(d.n, 4);
        cr_assert_eq(d.l[3].proto, PC_P_PAYLOAD);
        cr_assert_eq(d.l[3].plen, s->plen);
        cr_assert(memcmp(buf + d.l[3].off, s->payload, s->plen) == 0);
    } else {
        cr_assert_eq(d.n, 3);
    }
}

static void run(uint64_t seed, int mode, int count)
{
    struct pc_rng r;
    pc_rng_seed(&r, seed);
    static struct spec s;
    static uint8_t buf[2048];
    for (int k = 0; k < count; k++) {
        random_spec(&r, &s, mode);
        memset(buf, 0xA5, sizeof buf);
        int n = build(&s, buf, sizeof buf);
        cr_assert_gt(n, 0, "build %d failed: %d", k, n);
        check_packet(&s, buf, n, (uint64_t)k);
    }
}

TestSuite(roundtrip, .timeout = 1800);

Test(roundtrip, auto_fields_eth_ipv4_tcp_udp_icmp) { run(1, 0, 6000); }
Test(roundtrip, pinned_and_corrupt_checksums) { run(2, 1, 6000); }

/* Pinned and corrupt length/type fields come back exactly as asked, and
 * the decoder reports the inconsistency instead of trusting them. */
Test(roundtrip, pinned_and_corrupt_lengths_are_reported)
{
    struct pc_rng r;
    pc_rng_seed(&r, 3);
    uint8_t buf[256];
    for (int k = 0; k < 3000; k++) {
        uint16_t pin = (uint16_t)pc_rng_below(&r, 200);
        int corrupt = (int)pc_rng_below(&r, 2);
        pc_field f = corrupt ? PC_CORRUPT : PC_PIN(pin);
        size_t plen = pc_rng_below(&r, 100);
        uint8_t pl[100] = { 0 };
        struct pc_pkt pk;
        pc_pkt_init(&pk, buf, sizeof buf);
        pc_push_eth(&pk, &(struct pc_eth){ .src = { 2 } });
        pc_push_ipv4(&pk, &(struct pc_ipv4){ .ttl = 64, .tot_len = f });
        pc_push_udp(&pk, &(struct pc_udp){ .sport = 1, .dport = 2 });
        pc_push_payload(&pk, pl, plen);
        int n = pc_pkt_finalize(&pk);
        uint32_t right = (uint32_t)n - 14;
        uint32_t want = corrupt ? right + 1 : pin;
        cr_assert_eq(pc_ipv4_len(buf + 14), want);
        struct pc_decoded d;
        int rc = pc_decode(&d, buf, (uint32_t)n, (uint32_t)n, PC_LINK_ETHERNET);
        if (want > right || want < 20) {
            cr_assert_eq(rc, PC_EMALFORMED, "ip.len %u (right %u) not reported", want, right);
            cr_assert(d.l[1].flags & PC_LF_MALFORMED);
        } else if (want < right) {
            /* A short IP length leaves a trailer that is not IP payload. */
            cr_assert(d.l[0].flags & PC_LF_TRAILER);
            cr_assert_eq(d.l[1].plen, want - 20);
        } else {
            cr_assert_eq(rc, 0);
        }
    }
}

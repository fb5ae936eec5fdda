/* Decoder unit tests: known bytes, every truncation under a guard page,
 * and rejection of each inconsistent length (design notes, section 3). */
#include <criterion/criterion.h>

#include "helpers.h"

/* Made with scapy: Ether/IP/TCP SYN with MSS, SACK-permitted, TS, NOP, WS. */
static const char *SYN_HEX =
    "02000000000202000000000108004500003c000100004006f767c0a80101c0a801029c4000500000000100000000a002faf0"
    "2d290000020405b40402080a000000010000000001030307";
/* ports 6353 -> 4000: no application decoder claims them */
static const char *UDP_HEX = "02000000000202000000000108004500002112344000031151960a0000010a00000218d10fa0000d7f8e68656c6c6f";

static size_t load(const char *hex, uint8_t *buf) { return th_unhex(hex, buf, 512); }

TestSuite(decode, .timeout = 1800);

Test(decode, known_syn)
{
    uint8_t b[512];
    size_t n = load(SYN_HEX, b);
    struct pc_decoded d;
    cr_assert_eq(pc_decode(&d, b, (uint32_t)n, (uint32_t)n, PC_LINK_ETHERNET), 0);
    cr_assert_eq(d.n, 3);
    cr_assert_eq(d.l[0].proto, PC_P_ETH);
    cr_assert_eq(d.l[1].proto, PC_P_IPV4);
    cr_assert_eq(d.l[2].proto, PC_P_TCP);
    cr_assert_eq(d.l[1].off, 14);
    cr_assert_eq(d.l[1].hlen, 20);
    cr_assert_eq(d.l[1].plen, 40);
    cr_assert_eq(d.l[2].off, 34);
    cr_assert_eq(d.l[2].hlen, 40);
    cr_assert_eq(d.l[2].plen, 0);
    cr_assert_eq(d.l[1].csum, PC_CSUM_GOOD);
    cr_assert_eq(d.l[2].csum, PC_CSUM_GOOD);
    const uint8_t *t = pc_layer_hdr(&d, 2);
    cr_assert_eq(pc_tcp_sport(t), 40000);
    cr_assert_eq(pc_tcp_flags(t), PC_TCP_SYN);
    cr_assert_eq(pc_tcp_win(t), 64240);
}

Test(decode, known_udp_and_zero_checksum)
{
    uint8_t b[512];
    size_t n = load(UDP_HEX, b);
    struct pc_decoded d;
    cr_assert_eq(pc_decode(&d, b, (uint32_t)n, (uint32_t)n, PC_LINK_ETHERNET), 0);
    cr_assert_eq(d.l[2].proto, PC_P_UDP);
    cr_assert_eq(d.l[2].csum, PC_CSUM_GOOD);
    cr_assert_eq(d.l[3].proto, PC_P_PAYLOAD);
    cr_assert_eq(d.l[3].plen, 5);
    b[40] = b[41] = 0;
    pc_decode(&d, b, (uint32_t)n, (uint32_t)n, PC_LINK_ETHERNET);
    cr_assert_eq(d.l[2].csum, PC_CSUM_ZERO);
    b[41] = 1;
    pc_decode(&d, b, (uint32_t)n, (uint32_t)n, PC_LINK_ETHERNET);
    cr_assert_eq(d.l[2].csum, PC_CSUM_BAD);
}

Test(decode, raw_and_ipv4_link_types)
{
    uint8_t b[512];
    size_t n = load(UDP_HEX, b);
    struct pc_decoded d;
    int types[] = { PC_LINK_RAW, PC_LINK_RAW_OLD12, PC_LINK_RAW_OLD14, PC_LINK_IPV4 };
    for (size_t i = 0; i < 4; i++) {
        cr_assert_eq(pc_decode(&d, b + 14, (uint32_t)n - 14, (uint32_t)n - 14, types[i]), 0);
        cr_assert_eq(d.l[0].proto, PC_P_IPV4);
        cr_assert_eq(d.l3, 0);
        cr_assert_eq(d.l[1].proto, PC_P_UDP);
    }
    cr_assert_eq(pc_decode(&d, b, (uint32_t)n, (uint32_t)n, 147), 0); /* unknown link type: undecoded */
    cr_assert_eq(d.n, 1);
    cr_assert_eq(d.l[0].proto, PC_P_PAYLOAD);
}

/* Every capture length of a valid frame: no read past the end (the frame
 * sits before a PROT_NONE page), layers before the cut are kept, and a cut
 * is reported as truncation, never as malformation. */
Test(decode, every_truncation_under_guard_page)
{
    uint8_t b[512];
    const char *hexes[] = { SYN_HEX, UDP_HEX };
    for (size_t h = 0; h < 2; h++) {
        size_t n = load(hexes[h], b);
        for (size_t cut = 0; cut <= n; cut++) {
            struct th_guard g;
            const uint8_t *p = th_guard_copy(&g, b, cut);
            struct pc_decoded d;
            int rc = pc_decode(&d, p, (uint32_t)cut, (uint32_t)n, PC_LINK_ETHERNET);
            cr_assert(rc == 0 || rc == PC_ETRUNC, "cut %zu: rc %d", cut, rc);
            if (cut >= 34) cr_assert_geq(d.n, 2);
            if (cut < n && cut >= 34 + 20 && h == 0) cr_assert_eq(d.l[2].csum, PC_CSUM_UNVERIFIED);
            th_guard_free(&g);
        }
    }
}

static int decode_mod(const char *hex, size_t at, uint8_t val, struct pc_decoded *d, uint8_t *b)
{
    size_t n = load(hex, b);
    b[at] = val;
    return pc_decode(d, b, (uint32_t)n, (uint32_t)n, PC_LINK_ETHERNET);
}

static void expect_malformed(const char *hex, size_t at, uint8_t val, int layer, const char *why)
{
    uint8_t b[512];
    struct pc_decoded d;
    cr_assert_eq(decode_mod(hex, at, val, &d, b), PC_EMALFORMED, "byte %zu = %u not rejected", at, val);
    cr_assert(d.l[layer].flags & PC_LF_MALFORMED);
    cr_assert_str_eq(d.l[layer].why, why);
    cr_assert_geq(d.n, layer + 1, "layers before the error must be kept");
}

Test(decode, rejects_lengths_too_small_and_too_large)
{
    expect_malformed(SYN_HEX, 14, 0x44, 1, "ipv4 header length below 20");
    expect_malformed(SYN_HEX, 14, 0x65, 1, "ipv4 version is not 4");
    expect_malformed(SYN_HEX, 17, 19, 1, "ipv4 total length below header length");
    expect_malformed(SYN_HEX, 16, 0x10, 1, "ipv4 total length beyond the frame");
    expect_malformed(SYN_HEX, 46, 0x40, 2, "tcp data offset below 5");
    expect_malformed(SYN_HEX, 46, 0xF0, 2, "tcp data offset beyond the segment");
    expect_malformed(UDP_HEX, 39, 7, 2, "udp length below 8");
    expect_malformed(UDP_HEX, 39, 14, 2, "udp length beyond the ip payload");
    expect_malformed(SYN_HEX, 55, 0, 2, "tcp option length invalid"); /* MSS length 0 */
}

Test(decode, ethernet_padding_is_not_ip_payload)
{
    uint8_t b[512];
    size_t n = load(UDP_HEX, b);
    memset(b + n, 0xEE, 60 - n); /* a 60-byte frame with trailer bytes */
    struct pc_decoded d;
    cr_assert_eq(pc_decode(&d, b, 60, 60, PC_LINK_ETHERNET), 0);
    cr_assert(d.l[0].flags & PC_LF_TRAILER);
    cr_assert_eq(d.l[3].plen, 5);
    cr_assert_eq(d.l[2].csum, PC_CSUM_GOOD);
}

Test(decode, fragments_leave_l4_checksum_unverified)
{
    uint8_t b[512];
    struct pc_decoded d;
    size_t n = load(UDP_HEX, b);
    b[20] |= 0x20; /* MF */
    pc_put16(b + 24, 0);
    pc_put16(b + 24, pc_csum(b + 14, 20));
    cr_assert_eq(pc_decode(&d, b, (uint32_t)n, (uint32_t)n, PC_LINK_ETHERNET), 0);
    cr_assert(d.l[1].flags & PC_LF_FRAG);
    cr_assert_eq(d.l[2].proto, PC_P_UDP);
    cr_assert_eq(d.l[2].csum, PC_CSUM_UNVERIFIED);
    b[20] = 0x00;
    b[21] = 0x10; /* offset 16*8, no L4 header in this fragment */
    pc_put16(b + 24, 0);
    pc_put16(b + 24, pc_csum(b + 14, 20));
    cr_assert_eq(pc_decode(&d, b, (uint32_t)n, (uint32_t)n, PC_LINK_ETHERNET), 0);
    cr_assert_eq(d.l[2].proto, PC_P_PAYLOAD);
    cr_assert(d.l[2].flags & PC_LF_FRAG);
    cr_assert_eq(d.l4, -1);
}

Test(decode, tiny_first_fragment_is_noted_not_misread)
{
    /* A first fragment holding only 8 bytes of a TCP header whose data
     * offset says 40: no payload length underflow, no error, a note. */
    uint8_t b[512];
    size_t n = load(SYN_HEX, b);
    (void)n;
    pc_put16(b + 16, 20 + 24); /* IP total length: 24 bytes of TCP */
    b[20] = 0x20;              /* MF */
    pc_put16(b + 24, 0);
    pc_put16(b + 24, pc_csum(b + 14, 20));
    struct pc_decoded d;
    cr_assert_eq(pc_decode(&d, b, 58, 58, PC_LINK_ETHERNET), 0);
    cr_assert_eq(d.l[2].proto, PC_P_TCP);
    cr_assert_eq(d.l[2].plen, 0);
    cr_assert_eq(d.l[2].csum, PC_CSUM_UNVERIFIED);
    cr_assert_str_eq(d.l[2].why, "tcp header continues in the next fragment");
    cr_assert_eq(d.n, 3);
}

Test(decode, ip_in_ip_nesting_is_bounded)
{
    /* 15 nested IPv4 headers: the decoder follows tunnels to a fixed depth
     * and leaves the rest as payload, never overflowing its layer array. */
    uint8_t b[1024];
    struct pc_pkt pk;
    pc_pkt_init(&pk, b, sizeof b);
    for (int i = 0; i < 15; i++) pc_push_ipv4(&pk, &(struct pc_ipv4){ .ttl = 1 });
    pc_push_udp(&pk, &(struct pc_udp){ .sport = 1, .dport = 2 });
    int n = pc_pkt_finalize(&pk);
    cr_assert_gt(n, 0);
    struct pc_decoded d;
    cr_assert_eq(pc_decode(&d, b, (uint32_t)n, (uint32_t)n, PC_LINK_IPV4), 0);
    int ips = 0;
    for (int i = 0; i < d.n; i++) ips += d.l[i].proto == PC_P_IPV4;
    cr_assert_eq(ips, 5, "outer header plus 4 levels of tunnel, got %d", ips);
    cr_assert_eq(d.l[d.n - 1].proto, PC_P_PAYLOAD);
    cr_assert_leq(d.n, PC_MAX_LAYERS);
}

/* Random garbage of random lengths under a guard page never crashes. */
Test(decode, random_garbage_never_overreads)
{
    struct pc_rng r;
    pc_rng_seed(&r, 99);
    uint8_t b[300];
    uint8_t tmpl[512];
    size_t tn = load(SYN_HEX, tmpl);
    for (int k = 0; k < 20000; k++) {
        size_t n = pc_rng_below(&r, sizeof b);
        if (k & 1) { /* mutate a valid frame: deeper paths */
            memcpy(b, tmpl, tn);
            n = tn;
            for (int j = 0; j < 3; j++) b[pc_rng_below(&r, n)] = (uint8_t)pc_rng_next(&r);
        } else {
            for (size_t i = 0; i < n; i++) b[i] = (uint8_t)pc_rng_next(&r);
            if (n > 14) { b[12] = 8; b[13] = 0; b[14] = (uint8_t)(0x40 | (b[14] & 0xF)); }
        }
        struct th_guard g;
        const uint8_t *p = th_guard_copy(&g, b, n);
        struct pc_decoded d;
        pc_decode(&d, p, (uint32_t)n, (uint32_t)(n + pc_rng_below(&r, 3)), (k % 3) ? PC_LINK_ETHERNET : PC_LINK_RAW);
        cr_assert_leq(d.n, PC_MAX_LAYERS);
        th_guard_free(&g);
    }
}

/* Builder unit tests: known bytes (made independently with scapy), a
 * poisoned output buffer, pinned and corrupt fields, and bad input. */
#include <criterion/criterion.h>

#include "helpers.h"

static const uint8_t MAC1[6] = { 2, 0, 0, 0, 0, 1 }, MAC2[6] = { 2, 0, 0, 0, 0, 2 };

static void push_eth(struct pc_pkt *pk)
{
    struct pc_eth e = { 0 };
    memcpy(e.dst, MAC2, 6);
    memcpy(e.src, MAC1, 6);
    pc_push_eth(pk, &e);
}

static void expect_hex(const uint8_t *got, int len, const char *hex)
{
    uint8_t want[512];
    size_t n = th_unhex(hex, want, sizeof want);
    char g[1200];
    th_hex(got, len > 0 ? (size_t)len : 0, g);
    cr_assert_eq((size_t)len, n, "length %d, want %zu\n got %s\nwant %s", len, n, g, hex);
    cr_assert(memcmp(got, want, n) == 0, "bytes differ\n got %s\nwant %s", g, hex);
}

/* Built into a buffer full of 0xA5: any byte we forget to write shows. */
static uint8_t *poisoned(uint8_t *buf, size_t n) { memset(buf, 0xA5, n); return buf; }

TestSuite(build, .timeout = 1800);

Test(build, syn_with_options_matches_scapy)
{
    uint8_t buf[256];
    struct pc_pkt pk;
    pc_pkt_init(&pk, poisoned(buf, sizeof buf), sizeof buf);
    push_eth(&pk);
    pc_push_ipv4(&pk, &(struct pc_ipv4){ .src = { 192, 168, 1, 1 }, .dst = { 192, 168, 1, 2 }, .id = 1, .ttl = 64 });
    struct pc_tcpopt o[] = {
        { .kind = PC_TCPOPT_MSS, .mss = 1460 }, { .kind = PC_TCPOPT_SACKOK },
        { .kind = PC_TCPOPT_TS, .ts_val = 1, .ts_ecr = 0 }, { .kind = PC_TCPOPT_NOP },
        { .kind = PC_TCPOPT_WSCALE, .wscale = 7 },
    };
    pc_push_tcp(&pk, &(struct pc_tcp){ .sport = 40000, .dport = 80, .seq = 1, .flags = PC_TCP_SYN, .win = 64240,
                                       .opts = o, .nopts = 5 });
    expect_hex(buf, pc_pkt_finalize(&pk),
               "02000000000202000000000108004500003c000100004006f767c0a80101c0a801029c4000500000000100000000a002faf0"
               "2d290000020405b40402080a000000010000000001030307");
}

Test(build, udp_df_matches_scapy)
{
    uint8_t buf[256];
    struct pc_pkt pk;
    pc_pkt_init(&pk, poisoned(buf, sizeof buf), sizeof buf);
    push_eth(&pk);
    pc_push_ipv4(&pk, &(struct pc_ipv4){ .src = { 10, 0, 0, 1 }, .dst = { 10, 0, 0, 2 }, .id = 0x1234, .ttl = 3, .flags = PC_IP_DF });
    pc_push_udp(&pk, &(struct pc_udp){ .sport = 5353, .dport = 53 });
    pc_push_payload(&pk, "hello", 5);
    expect_hex(buf, pc_pkt_finalize(&pk),
               "02000000000202000000000108004500002112344000031151960a0000010a00000214e90035000d92e168656c6c6f");
}

Test(build, icmp_echo_matches_scapy)
{
    uint8_t buf[256];
    struct pc_pkt pk;
    pc_pkt_init(&pk, poisoned(buf, sizeof buf), sizeof buf);
    push_eth(&pk);
    pc_push_ipv4(&pk, &(struct pc_ipv4){ .src = { 10, 0, 0, 1 }, .dst = { 10, 0, 0, 2 }, .id = 7, .ttl = 64 });
    pc_push_icmp(&pk, &(struct pc_icmp){ .type = PC_ICMP_ECHO, .id = 0x42, .seq = 3 });
    pc_push_payload(&pk, "abcdefgh", 8);
    expect_hex(buf, pc_pkt_finalize(&pk),
               "02000000000202000000000108004500002400070000400166d00a0000010a00000208006625004200036162636465666768");
}

/* Build Ethernet/IPv4/UDP with a given UDP spec; returns the frame length. */
static int build_udp(uint8_t *buf, size_t cap, struct pc_udp u, const void *pl, size_t pln)
{
    struct pc_pkt pk;
    pc_pkt_init(&pk, buf, cap);
    push_eth(&pk);
    pc_push_ipv4(&pk, &(struct pc_ipv4){ .src = { 10, 0, 0, 1 }, .dst = { 10, 0, 0, 2 }, .ttl = 64 });
    pc_push_udp(&pk, &u);
    pc_push_payload(&pk, pl, pln);
    return pc_pkt_finalize(&pk);
}

Test(build, udp_checksum_zero_written_as_ffff)
{
    /* Search payloads until the true sum is 0x0000 (it must then be sent
     * as 0xFFFF, RFC 768); two free bytes reach every sum. */
    uint8_t buf[128];
    int found = 0;
    for (uint32_t v = 0; v <= 0xFFFF && !found; v++) {
        uint8_t pl[2] = { (uint8_t)(v >> 8), (uint8_t)v };
        int n = build_udp(buf, sizeof buf, (struct pc_udp){ .sport = 1, .dport = 2 }, pl, 2);
        cr_assert_eq(n, 14 + 20 + 8 + 2);
        /* A wire value of 0xFFFF only arises from a true sum of 0. */
        if (pc_udp_csum(buf + 34) == 0xFFFF) found = 1;
        cr_assert_neq(pc_udp_csum(buf + 34), 0, "computed UDP checksum written as 0");
    }
    cr_assert(found, "no payload gave a zero UDP sum");
}

Test(build, pinned_fields_are_written_verbatim_including_zero)
{
    uint8_t buf[128];
    int n = build_udp(buf, sizeof buf, (struct pc_udp){ .sport = 1, .dport = 2, .len = PC_PIN(4), .csum = PC_PIN(0) }, "xyz", 3);
    cr_assert_eq(n, 14 + 20 + 8 + 3);
    cr_assert_eq(pc_udp_len(buf + 34), 4);
    cr_assert_eq(pc_udp_csum(buf + 34), 0);
    struct pc_pkt pk;
    pc_pkt_init(&pk, buf, sizeof buf);
    push_eth(&pk);
    pc_push_ipv4(&pk, &(struct pc_ipv4){ .ttl = 1, .ihl = PC_PIN(0), .tot_len = PC_PIN(0), .proto = PC_PIN(0), .csum = PC_PIN(0x1234) });
    pc_push_tcp(&pk, &(struct pc_tcp){ .doff = PC_PIN(0), .csum = PC_PIN(0) });
    pc_pkt_finalize(&pk);
    const uint8_t *ip = buf + 14, *tcp = buf + 34;
    cr_assert_eq(pc_ipv4_ihl(ip), 0);
    cr_assert_eq(pc_ipv4_len(ip), 0);
    cr_assert_eq(pc_ipv4_proto(ip), 0);
    cr_assert_eq(pc_ipv4_csum(ip), 0x1234);
    cr_assert_eq(pc_tcp_doff(tcp), 0);
    cr_assert_eq(pc_tcp_csum(tcp), 0);
}

Test(build, corrupt_checksums_are_wrong_and_others_stay_good)
{
    uint8_t buf[128];
    struct pc_decoded d;
    int n = build_udp(buf, sizeof buf, (struct pc_udp){ .sport = 7, .dport = 9, .csum = PC_CORRUPT }, "abc", 3);
    pc_decode(&d, buf, (uint32_t)n, (uint32_t)n, PC_LINK_ETHERNET);
    cr_assert_eq(d.l[d.l3].csum, PC_CSUM_GOOD);
    cr_assert_eq(d.l[d.l4].csum, PC_CSUM_BAD);
    cr_assert_neq(pc_udp_csum(buf + 34), 0, "corrupt UDP checksum must not read as 'no checksum'");
    /* The corrupt length is the correct one plus one. */
    n = build_udp(buf, sizeof buf, (struct pc_udp){ .sport = 7, .dport = 9, .len = PC_CORRUPT }, "abc", 3);
    cr_assert_eq(pc_udp_len(buf + 34), 12);
}

Test(build, corrupt_is_deterministic_for_every_checksum_value)
{
    /* Over all 65536 correct values the corrupt one differs, is never the
     * one's-complement twin, and is never 0. */
    for (uint32_t c = 0; c <= 0xFFFF; c++) {
        uint16_t bad = pc_field_csum(PC_CORRUPT, (uint16_t)c);
        cr_assert_neq(bad, c);
        cr_assert_neq(bad, 0);
        if (c == 0) cr_assert_neq(bad, 0xFFFF);
        if (c == 0xFFFF) cr_assert_neq(bad, 0);
        cr_assert_eq(bad, pc_field_csum(PC_CORRUPT, (uint16_t)c));
    }
}

Test(build, caller_spec_is_not_modified)
{
    struct pc_ipv4 ip = { .src = { 1, 2, 3, 4 }, .dst = { 5, 6, 7, 8 }, .ttl = 9 };
    struct pc_ipv4 copy = ip;
    uint8_t buf[128];
    struct pc_pkt pk;
    pc_pkt_init(&pk, buf, sizeof buf);
    pc_push_ipv4(&pk, &ip);
    pc_push_icmp(&pk, &(struct pc_icmp){ .type = 8 });
    cr_assert_gt(pc_pkt_finalize(&pk), 0);
    cr_assert(memcmp(&ip, &copy, sizeof ip) == 0);
}

Test(build, ip_options_padded_with_eol)
{
    uint8_t buf[128];
    struct pc_pkt pk;
    static const uint8_t ra[] = { 0x94, 0x04, 0x00, 0x00, 0x01 }; /* router alert + NOP: pads to 8 */
    pc_pkt_init(&pk, poisoned(buf, sizeof buf), sizeof buf);
    pc_push_ipv4(&pk, &(struct pc_ipv4){ .ttl = 1, .opts = ra, .optlen = sizeof ra });
    pc_push_udp(&pk, &(struct pc_udp){ .sport = 1, .dport = 2 });
    cr_assert_eq(pc_pkt_finalize(&pk), 28 + 8);
    cr_assert_eq(pc_ipv4_ihl(buf), 7);
    cr_assert_eq(buf[24], 0x01);
    for (int i = 25; i < 28; i++) cr_assert_eq(buf[i], 0);
    cr_assert_eq(pc_csum(buf, 28), 0);
}

Test(build, tcp_options_encode_sizes_and_padding)
{
    uint8_t out[40];
    struct pc_tcpopt sack = { .kind = PC_TCPOPT_SACK, .nsack = 4 };
    cr_assert_eq(pc_tcp_opts_encode(&sack, 1, out, sizeof out), 36); /* 34 padded to 36 */
    cr_assert_eq(out[34], 0);
    struct pc_tcpopt bad = { .kind = PC_TCPOPT_SACK, .nsack = 5 };
    cr_assert_eq(pc_tcp_opts_encode(&bad, 1, out, sizeof out), PC_EINVAL);
    struct pc_tcpopt many[11];
    for (int i = 0; i < 11; i++) many[i] = (struct pc_tcpopt){ .kind = PC_TCPOPT_MSS, .mss = 1 };
    cr_assert_eq(pc_tcp_opts_encode(many, 11, out, sizeof out), PC_ENOSPC);
    struct pc_tcpopt raw = { .kind = 30, .raw = { (const uint8_t *)"\x01\x02", 2 } };
    cr_assert_eq(pc_tcp_opts_encode(&raw, 1, out, sizeof out), 4);
    cr_assert_eq(out[0], 30);
    cr_assert_eq(out[1], 4);
}

Test(build, errors_are_sticky_and_reported)
{
    uint8_t buf[30];
    struct pc_pkt pk;
    pc_pkt_init(&pk, buf, sizeof buf);
    pc_push_ipv4(&pk, &(struct pc_ipv4){ .ttl = 1 });
    cr_assert_eq(pc_push_tcp(&pk, &(struct pc_tcp){ .sport = 1 }), PC_ENOSPC);
    cr_assert_eq(pc_push_payload(&pk, "x", 1), PC_ENOSPC);
    cr_assert_eq(pc_pkt_finalize(&pk), PC_ENOSPC);

    uint8_t big[4096];
    pc_pkt_init(&pk, big, sizeof big);
    for (int i = 0; i < PC_MAX_LAYERS; i++) cr_assert_eq(pc_push_payload(&pk, "", 0), 0);
    cr_assert_eq(pc_push_payload(&pk, "", 0), PC_ELIMIT);

    /* IP followed by raw bytes: the protocol cannot be inferred unless pinned. */
    pc_pkt_init(&pk, big, sizeof big);
    pc_push_ipv4(&pk, &(struct pc_ipv4){ .ttl = 1 });
    pc_push_payload(&pk, "abc", 3);
    cr_assert_eq(pc_pkt_finalize(&pk), PC_EINVAL);
    pc_pkt_init(&pk, big, sizeof big);
    pc_push_ipv4(&pk, &(struct pc_ipv4){ .ttl = 1, .proto = PC_PIN(253) });
    pc_push_payload(&pk, "abc", 3);
    cr_assert_eq(pc_pkt_finalize(&pk), 23);

    static const uint8_t opts[44] = { 0 };
    pc_pkt_init(&pk, big, sizeof big);
    cr_assert_eq(pc_push_ipv4(&pk, &(struct pc_ipv4){ .opts = opts, .optlen = 41 }), PC_EINVAL);
}

Test(build, ethernet_padding_after_everything)
{
    uint8_t buf[128];
    struct pc_pkt pk;
    pc_pkt_init(&pk, poisoned(buf, sizeof buf), sizeof buf);
    struct pc_eth e = { .pad = 1 };
    pc_push_eth(&pk, &e);
    pc_push_ipv4(&pk, &(struct pc_ipv4){ .ttl = 1 });
    pc_push_udp(&pk, &(struct pc_udp){ .sport = 1, .dport = 2 });
    cr_assert_eq(pc_pkt_finalize(&pk), 60);
    cr_assert_eq(pc_ipv4_len(buf + 14), 28, "padding must not count in the IP length");
    cr_assert_eq(pc_udp_len(buf + 34), 8);
    for (int i = 42; i < 60; i++) cr_assert_eq(buf[i], 0);
    struct pc_decoded d;
    cr_assert_eq(pc_decode(&d, buf, 60, 60, PC_LINK_ETHERNET), 0);
    cr_assert_eq(d.l[d.l4].csum, PC_CSUM_GOOD);
    cr_assert(d.l[d.l2].flags & PC_LF_TRAILER);
}

Test(build, flag_letters_in_tcpdump_order)
{
    char s[10];
    pc_tcp_flagstr(PC_TCP_SYN | PC_TCP_ACK, s);
    cr_assert_str_eq(s, "SA");
    pc_tcp_flagstr(PC_TCP_FIN | PC_TCP_PSH | PC_TCP_ACK, s);
    cr_assert_str_eq(s, "FPA");
    pc_tcp_flagstr(0x1FF, s);
    cr_assert_str_eq(s, "FSRPAUEWN");
    pc_tcp_flagstr(0, s);
    cr_assert_str_eq(s, "");
}

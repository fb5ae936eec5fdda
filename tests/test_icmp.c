/* ICMP (IPv4) and ICMPv6 with neighbour discovery: known bytes made
 * independently with scapy (decoded, and rebuilt into a buffer poisoned
 * with 0xA5), rejection of every inconsistent length in both directions,
 * every truncation under a guard page, seeded random round trips with
 * pinned and corrupt checksums, and two independent oracles: libnet 1.1.6
 * (byte identity where it builds the same message) and tshark (fields,
 * checksum status, no malformed packet or expert error). */
#include <criterion/criterion.h>
#include <criterion/logging.h>

#include <arpa/inet.h>

#include "oracle.h"
#include "pktcraft/core/fmt.h"
#include "pktcraft/wire/icmp6.h"
#include "pktcraft/wire/ipv6.h"

static const uint8_t MAC1[6] = { 2, 0, 0, 0, 0, 1 }, MAC2[6] = { 2, 0, 0, 0, 0, 2 };

/* ------------------------------------------------------------ helpers */

static void push_eth(struct pc_pkt *pk) { th_push_eth(pk, MAC2, MAC1, 0); }

static void push_ip4(struct pc_pkt *pk, const char *src, const char *dst, uint16_t id, uint8_t ttl, uint8_t flags)
{
    struct pc_ipv4 ip = { .id = id, .ttl = ttl, .flags = flags };
    cr_assert_eq(inet_pton(AF_INET, src, ip.src), 1);
    cr_assert_eq(inet_pton(AF_INET, dst, ip.dst), 1);
    pc_push_ipv4(pk, &ip);
}

static int decode_hex(const char *hex, uint8_t *b, struct pc_decoded *d, size_t *n)
{
    *n = th_unhex(hex, b, 4096);
    return pc_decode(d, b, (uint32_t)*n, (uint32_t)*n, PC_LINK_ETHERNET);
}

/* Describe layer i as text or JSON members. */
static const char *describe(const struct pc_decoded *d, int i, bool json)
{
    static char out[2048];
    struct pc_fmt f;
    pc_fmt_init(&f, out, sizeof out, json);
    pc_describe_layer(d, i, &f);
    return out;
}

/* Rewrite the IPv4 total length at ip (and its header checksum). */
static void set_ip_len(uint8_t *ip, uint16_t len)
{
    pc_put16(ip + 2, len);
    pc_put16(ip + 10, 0);
    pc_put16(ip + 10, pc_csum(ip, (size_t)(ip[0] & 15) * 4));
}

/* Recompute the ICMP checksum of a message of len bytes at h. */
static void fix_icmp_csum(uint8_t *h, size_t len)
{
    pc_put16(h + 2, 0);
    pc_put16(h + 2, pc_csum(h, len));
}

/* ================================================================ ICMPv4 */

/* Made with scapy (see the comment of each): the frames are
 * Ether(dst=02:..:02, src=02:..:01) / IP / ICMP / data. */

/* IP(src=10.0.0.1, dst=10.0.0.9, id=0x1234, ttl=1) / UDP(40000, 33434) / "traceroute-probe" */
static const char ORIG_UDP[] =
    "4500002c12340000011193840a0000010a0000099c40829a0018ab717472616365726f7574652d70726f6265";
/* IP(10.0.0.1 > 10.0.0.2, id=7, ttl=64) / ICMP(type=8, id=1, seq=2) / 57 bytes */
static const char V4_ECHO[] =
    "020000000002020000000001080045000055000700004001669f0a0000010a0000020800286600010002303132333435363738"
    "396162636465666768696a6b6c6d6e6f707172737475767778797a4142434445464748494a4b4c4d4e4f505152535455";
/* IP(10.0.0.254 > 10.0.0.1, id=1) / ICMP(type=3, code=3) / bytes(ORIG_UDP)[:28] */
static const char V4_UNREACH_PORT[] =
    "02000000000202000000000108004500003800010000400165c60a0000fe0a00000103033298000000004500002c1234000001"
    "1193840a0000010a0000099c40829a0018ab71";
/* ICMP(type=3, code=4, nexthopmtu=1400) / first 28 bytes of
 * IP(10.0.0.1 > 10.0.0.9, id=0x4321, DF) / TCP(40001, 443, seq=1000, PA) / 1460 x */
static const char V4_NEEDFRAG[] =
    "02000000000202000000000108004500003800010000400165c60a0000fe0a0000010304559f00000578450005dc4321400040"
    "06ddf10a0000010a0000099c4101bb000003e8";
/* ICMP(type=11, code=0) / bytes(ORIG_UDP)[:28] */
static const char V4_TIMXCEED[] =
    "02000000000202000000000108004500003800010000400165c60a0000fe0a0000010b002a9b000000004500002c1234000001"
    "1193840a0000010a0000099c40829a0018ab71";
/* ICMP(type=11, code=0) / bytes(ORIG_UDP): the whole datagram (RFC 1812) */
static const char V4_TIMXCEED_FULL[] =
    "02000000000202000000000108004500004800010000400165b60a0000fe0a0000010b000933000000004500002c1234000001"
    "1193840a0000010a0000099c40829a0018ab717472616365726f7574652d70726f6265";
/* ICMP(type=5, code=1, gw=10.0.0.5) / bytes(ORIG_UDP)[:28] */
static const char V4_REDIRECT[] =
    "02000000000202000000000108004500003800010000400165c60a0000fe0a000001050126950a0000054500002c1234000001"
    "1193840a0000010a0000099c40829a0018ab71";
/* ICMP(type=12, code=0, ptr=20) / bytes(ORIG_UDP)[:28] */
static const char V4_PARAMPROB[] =
    "02000000000202000000000108004500003800010000400165c60a0000fe0a0000010c00159b140000004500002c1234000001"
    "1193840a0000010a0000099c40829a0018ab71";
/* IP(10.0.0.1 > 10.0.0.2, id=9) / ICMP(type=13, id=0x55, seq=3, ts_ori=12345678, ts_rx=0, ts_tx=0) */
static const char V4_TSTAMP[] =
    "02000000000202000000000108004500002800090000400166ca0a0000010a0000020d00909d0055000300bc614e0000000000"
    "000000";
/* IP(10.0.0.2 > 10.0.0.1, id=10) / ICMP(type=14, id=0x55, seq=3, ts_ori=12345678, ts_rx=12345700, ts_tx=12345701) */
static const char V4_TSTAMPREPLY[] =
    "020000000002020000000001080045000028000a0000400166c90a0000020a0000010e00cb5b0055000300bc614e00bc616400"
    "bc6165";
/* IP(10.0.0.2 > 10.0.0.1, id=11) / ICMP(type=18, id=7, seq=8, addr_mask=255.255.255.0) */
static const char V4_MASKREPLY[] =
    "020000000002020000000001080045000020000b0000400166d00a0000020a0000011200eeef00070008ffffff00";
/* IP(10.0.0.2 > 10.0.0.1, id=12) / ICMP(type=42, code=1, unused=0xdeadbeef) / "data" */
static const char V4_GENERIC[] =
    "020000000002020000000001080045000020000c0000400166cf0a0000020a0000012a015f9edeadbeef64617461";

static const char *const V4_ALL[] = {
    V4_ECHO, V4_UNREACH_PORT, V4_NEEDFRAG, V4_TIMXCEED, V4_TIMXCEED_FULL, V4_REDIRECT,
    V4_PARAMPROB, V4_TSTAMP, V4_TSTAMPREPLY, V4_MASKREPLY, V4_GENERIC,
};
#define NV4 (sizeof V4_ALL / sizeof V4_ALL[0])

TestSuite(icmp4_decode, .timeout = 1800);

/* ---- decode known bytes ---- */

Test(icmp4_decode, echo_request)
{
    uint8_t b[4096];
    struct pc_decoded d;
    size_t n;
    cr_assert_eq(decode_hex(V4_ECHO, b, &d, &n), 0);
    cr_assert_eq(d.n, 4);
    cr_assert_eq(d.l4, 2);
    cr_assert_eq(d.l[2].proto, PC_P_ICMP);
    cr_assert_eq(d.l[2].hlen, 8);
    cr_assert_eq(d.l[2].plen, 57);
    cr_assert_eq(d.l[2].csum, PC_CSUM_GOOD);
    cr_assert_eq(d.l[3].proto, PC_P_PAYLOAD);
    const uint8_t *h = pc_layer_hdr(&d, 2);
    cr_assert_eq(pc_icmp_type(h), PC_ICMP_ECHO);
    cr_assert_eq(pc_icmp_id(h), 1);
    cr_assert_eq(pc_icmp_seq(h), 2);
    cr_assert_str_eq(describe(&d, 2, false), "ICMP echo request, id 1, seq 2, length 65");
    cr_assert_str_eq(describe(&d, 2, true),
                     "\"type\":8,\"code\":0,\"checksum\":10342,\"checksum_status\":\"good\",\"length\":65,"
                     "\"id\":1,\"seq\":2");
}

/* An error's quote becomes inner layers flagged PC_LF_QUOTED; the outer
 * l3/l4 indices stay on the error itself. */
Test(icmp4_decode, port_unreachable_quotes_udp)
{
    uint8_t b[4096];
    struct pc_decoded d;
    size_t n;
    cr_assert_eq(decode_hex(V4_UNREACH_PORT, b, &d, &n), 0);
    cr_assert_eq(d.n, 5);
    cr_assert_eq(d.l3, 1);
    cr_assert_eq(d.l4, 2);
    cr_assert_eq(d.l[2].csum, PC_CSUM_GOOD);
    cr_assert_eq(d.l[2].plen, 28);
    cr_assert_eq(d.l[3].proto, PC_P_IPV4);
    cr_assert_eq(d.l[3].flags, PC_LF_QUOTED);
    cr_assert_eq(d.l[3].off, 42);
    cr_assert_eq(d.l[3].hlen, 20);
    cr_assert_eq(d.l[3].plen, 24, "the quoted header's own claim (44 - 20)");
    cr_assert_eq(d.l[3].csum, PC_CSUM_GOOD);
    cr_assert_eq(d.l[4].proto, PC_P_UDP);
    cr_assert_eq(d.l[4].flags, PC_LF_QUOTED);
    cr_assert_eq(d.l[4].hlen, 8);
    cr_assert_eq(d.l[4].plen, 16);
    cr_assert_eq(d.l[4].csum, PC_CSUM_UNVERIFIED);
    struct pc_icmp_quote q;
    cr_assert_eq(pc_icmp_quote_info(&d, 2, &q), 4);
    cr_assert_eq(q.proto, PC_IPPROTO_UDP);
    cr_assert_eq(q.sport, 40000);
    cr_assert_eq(q.dport, 33434);
    cr_assert(q.have_ports);
    cr_assert_str_eq(describe(&d, 2, false), "ICMP 10.0.0.9 udp port 33434 unreachable, length 36");
    cr_assert_str_eq(describe(&d, 2, true),
                     "\"type\":3,\"code\":3,\"checksum\":12952,\"checksum_status\":\"good\",\"length\":36,\"mtu\":0,"
                     "\"quoted\":{\"src\":\"10.0.0.1\",\"dst\":\"10.0.0.9\",\"proto\":17,\"sport\":40000,"
                     "\"dport\":33434}");
}

Test(icmp4_decode, need_frag_carries_mtu)
{
    uint8_t b[4096];
    struct pc_decoded d;
    size_t n;
    cr_assert_eq(decode_hex(V4_NEEDFRAG, b, &d, &n), 0);
    const uint8_t *h = pc_layer_hdr(&d, 2);
    cr_assert_eq(pc_icmp_code(h), PC_ICMP_UNREACH_NEEDFRAG);
    cr_assert_eq(pc_icmp_mtu(h), 1400);
    cr_assert_eq(d.l[3].plen, 1480);
    cr_assert_eq(d.l[4].proto, PC_P_TCP);
    cr_assert_eq(d.l[4].hlen, 8, "only 8 bytes of the TCP header are quoted");
    cr_assert_eq(d.l[4].plen, 1460);
    cr_assert_str_eq(describe(&d, 2, false), "ICMP 10.0.0.9 unreachable - need to frag (mtu 1400), length 36");
    cr_assert(strstr(describe(&d, 2, true), "\"mtu\":1400,\"quoted\":{\"src\":\"10.0.0.1\",\"dst\":\"10.0.0.9\","
                                            "\"proto\":6,\"sport\":40001,\"dport\":443}"));
}

Test(icmp4_decode, time_exceeded_short_and_full_quote)
{
    uint8_t b[4096];
    struct pc_decoded d;
    size_t n;
    cr_assert_eq(decode_hex(V4_TIMXCEED, b, &d, &n), 0);
    cr_assert_str_eq(describe(&d, 2, false), "ICMP time exceeded in-transit, length 36");
    cr_assert_eq(decode_hex(V4_TIMXCEED_FULL, b, &d, &n), 0);
    cr_assert_eq(d.n, 6);
    cr_assert_eq(d.l[5].proto, PC_P_PAYLOAD);
    cr_assert_eq(d.l[5].flags, PC_LF_QUOTED);
    cr_assert_eq(d.l[5].plen, 16);
    b[n - 1 - 8] ^= 1; /* inside the quoted UDP payload: the ICMP sum breaks, nothing else */
    cr_assert_eq(pc_decode(&d, b, (uint32_t)n, (uint32_t)n, PC_LINK_ETHERNET), 0);
    cr_assert_eq(d.l[2].csum, PC_CSUM_BAD);
    cr_assert_eq(d.l[3].csum, PC_CSUM_GOOD);
}

Test(icmp4_decode, redirect_and_parameter_problem)
{
    uint8_t b[4096];
    struct pc_decoded d;
    size_t n;
    cr_assert_eq(decode_hex(V4_REDIRECT, b, &d, &n), 0);
    cr_assert_str_eq(describe(&d, 2, false), "ICMP redirect 10.0.0.9 to host 10.0.0.5, length 36");
    cr_assert(strstr(describe(&d, 2, true), "\"gateway\":\"10.0.0.5\""));
    cr_assert_eq(decode_hex(V4_PARAMPROB, b, &d, &n), 0);
    cr_assert_eq(pc_icmp_pointer(pc_layer_hdr(&d, 2)), 20);
    cr_assert_str_eq(describe(&d, 2, false), "ICMP parameter problem - octet 20, length 36");
    cr_assert(strstr(describe(&d, 2, true), "\"pointer\":20,\"quoted\":{"));
}

Test(icmp4_decode, timestamps_mask_and_generic)
{
    uint8_t b[4096];
    struct pc_decoded d;
    size_t n;
    cr_assert_eq(decode_hex(V4_TSTAMP, b, &d, &n), 0);
    cr_assert_eq(d.n, 3);
    cr_assert_eq(d.l[2].hlen, 20);
    cr_assert_eq(d.l[2].plen, 0);
    cr_assert_str_eq(describe(&d, 2, false), "ICMP time stamp query id 85 seq 3, length 20");
    cr_assert_eq(decode_hex(V4_TSTAMPREPLY, b, &d, &n), 0);
    const uint8_t *h = pc_layer_hdr(&d, 2);
    cr_assert_eq(pc_icmp_ts_orig(h), 12345678);
    cr_assert_eq(pc_icmp_ts_recv(h), 12345700);
    cr_assert_eq(pc_icmp_ts_xmit(h), 12345701);
    cr_assert_str_eq(describe(&d, 2, false),
                     "ICMP time stamp reply id 85 seq 3 : org 0xbc614e recv 0xbc6164 xmit 0xbc6165, length 20");
    cr_assert(strstr(describe(&d, 2, true), "\"ts_orig\":12345678,\"ts_recv\":12345700,\"ts_xmit\":12345701"));
    cr_assert_eq(decode_hex(V4_MASKREPLY, b, &d, &n), 0);
    cr_assert_eq(d.l[2].hlen, 12);
    cr_assert_eq(pc_icmp_mask(pc_layer_hdr(&d, 2)), 0xFFFFFF00u);
    cr_assert_str_eq(describe(&d, 2, false), "ICMP address mask is 0xffffff00, length 12");
    cr_assert(strstr(describe(&d, 2, true), "\"mask\":\"255.255.255.0\""));
    cr_assert_eq(decode_hex(V4_GENERIC, b, &d, &n), 0);
    cr_assert_eq(pc_icmp_rest(pc_layer_hdr(&d, 2)), 0xDEADBEEFu);
    cr_assert_eq(d.l[3].plen, 4);
    cr_assert_str_eq(describe(&d, 2, false), "ICMP type-#42, length 12");
}

/* A bad checksum inside the quoted header is the original's business:
 * reported on the quoted layer, never an error of the packet. */
Test(icmp4_decode, quoted_header_oddities_are_notes_not_errors)
{
    uint8_t b[4096];
    struct pc_decoded d;
    size_t n = th_unhex(V4_UNREACH_PORT, b, sizeof b);
    b[42 + 10] ^= 0xFF; /* quoted IPv4 checksum */
    fix_icmp_csum(b + 34, n - 34);
    cr_assert_eq(pc_decode(&d, b, (uint32_t)n, (uint32_t)n, PC_LINK_ETHERNET), 0);
    cr_assert_eq(d.l[2].csum, PC_CSUM_GOOD);
    cr_assert_eq(d.l[3].csum, PC_CSUM_BAD);

    n = th_unhex(V4_PARAMPROB, b, sizeof b);
    b[42] = 0x44; /* the quoted header says IHL 4: a parameter problem about exactly that */
    fix_icmp_csum(b + 34, n - 34);
    cr_assert_eq(pc_decode(&d, b, (uint32_t)n, (uint32_t)n, PC_LINK_ETHERNET), 0);
    cr_assert_eq(d.n, 4);
    cr_assert_str_eq(d.l[3].why, "quoted ipv4 header length below 20");
    cr_assert_eq(d.l[3].flags, PC_LF_QUOTED);

    n = th_unhex(V4_PARAMPROB, b, sizeof b);
    pc_put16(b + 42 + 2, 10); /* quoted total length below its header */
    fix_icmp_csum(b + 34, n - 34);
    cr_assert_eq(pc_decode(&d, b, (uint32_t)n, (uint32_t)n, PC_LINK_ETHERNET), 0);
    cr_assert_str_eq(d.l[3].why, "quoted ipv4 total length below header length");

    n = th_unhex(V4_PARAMPROB, b, sizeof b);
    b[42] = 0x65;
    fix_icmp_csum(b + 34, n - 34);
    cr_assert_eq(pc_decode(&d, b, (uint32_t)n, (uint32_t)n, PC_LINK_ETHERNET), 0);
    cr_assert_str_eq(d.l[3].why, "quoted ipv4 version is not 4");
}

/* ---- build into a poisoned buffer, compare with scapy ---- */

/* The original UDP datagram, built by pktcraft (compared with scapy too). */
static int build_orig_udp(uint8_t *buf, size_t cap)
{
    struct pc_pkt pk;
    pc_pkt_init(&pk, buf, cap);
    push_ip4(&pk, "10.0.0.1", "10.0.0.9", 0x1234, 1, 0);
    pc_push_udp(&pk, &(struct pc_udp){ .sport = 40000, .dport = 33434 });
    pc_push_payload(&pk, "traceroute-probe", 16);
    return pc_pkt_finalize(&pk);
}

/* Ethernet / IP(10.0.0.254 > 10.0.0.1, id 1) / ICMP error / quote. */
static int build_error(uint8_t *buf, size_t cap, const struct pc_icmp *ic, const uint8_t *orig, size_t olen,
                       size_t max)
{
    struct pc_pkt pk;
    pc_pkt_init(&pk, th_poison(buf, cap), cap);
    push_eth(&pk);
    push_ip4(&pk, "10.0.0.254", "10.0.0.1", 1, 64, 0);
    cr_assert_eq(pc_push_icmp(&pk, ic), 0);
    cr_assert_eq(pc_push_icmp_quote(&pk, orig, olen, max), 0);
    return pc_pkt_finalize(&pk);
}

TestSuite(icmp4_build, .timeout = 1800);

Test(icmp4_build, errors_match_scapy)
{
    uint8_t orig[128], buf[2048];
    int on = build_orig_udp(th_poison(orig, sizeof orig), sizeof orig);
    th_expect_hex(orig, on, ORIG_UDP);
    th_expect_hex(buf, build_error(buf, sizeof buf, &(struct pc_icmp){ .type = PC_ICMP_UNREACH, .code = PC_ICMP_UNREACH_PORT },
                                   orig, (size_t)on, PC_ICMP_QUOTE_RFC792),
                  V4_UNREACH_PORT);
    th_expect_hex(buf, build_error(buf, sizeof buf, &(struct pc_icmp){ .type = PC_ICMP_TIMXCEED }, orig, (size_t)on,
                                   PC_ICMP_QUOTE_RFC792),
                  V4_TIMXCEED);
    th_expect_hex(buf, build_error(buf, sizeof buf, &(struct pc_icmp){ .type = PC_ICMP_TIMXCEED }, orig, (size_t)on,
                                   PC_ICMP_QUOTE_RFC1812),
                  V4_TIMXCEED_FULL);
    th_expect_hex(buf, build_error(buf, sizeof buf,
                                   &(struct pc_icmp){ .type = PC_ICMP_REDIRECT, .code = PC_ICMP_REDIRECT_HOST,
                                                   .gw = { 10, 0, 0, 5 } },
                                   orig, (size_t)on, PC_ICMP_QUOTE_RFC792),
                  V4_REDIRECT);
    th_expect_hex(buf, build_error(buf, sizeof buf, &(struct pc_icmp){ .type = PC_ICMP_PARAMPROB, .pointer = 20 }, orig,
                                   (size_t)on, PC_ICMP_QUOTE_RFC792),
                  V4_PARAMPROB);
    /* An explicit byte cap quotes exactly that much. */
    th_expect_hex(buf, build_error(buf, sizeof buf, &(struct pc_icmp){ .type = PC_ICMP_UNREACH, .code = PC_ICMP_UNREACH_PORT },
                                   orig, (size_t)on, 28),
                  V4_UNREACH_PORT);
}

/* The quote taken from a whole finalized frame: the datagram is found by
 * decoding it, and Ethernet padding is not quoted. */
Test(icmp4_build, need_frag_quoting_a_frame)
{
    static uint8_t frame[2048], buf[2048];
    static uint8_t data[1460];
    memset(data, 'x', sizeof data);
    struct pc_pkt pk;
    pc_pkt_init(&pk, frame, sizeof frame);
    push_eth(&pk);
    push_ip4(&pk, "10.0.0.1", "10.0.0.9", 0x4321, 64, PC_IP_DF);
    pc_push_tcp(&pk, &(struct pc_tcp){ .sport = 40001, .dport = 443, .seq = 1000, .flags = PC_TCP_PSH | PC_TCP_ACK,
                                       .win = 8192 });
    pc_push_payload(&pk, data, sizeof data);
    int fn = pc_pkt_finalize(&pk);
    cr_assert_eq(fn, 1514);

    pc_pkt_init(&pk, th_poison(buf, sizeof buf), sizeof buf);
    push_eth(&pk);
    push_ip4(&pk, "10.0.0.254", "10.0.0.1", 1, 64, 0);
    pc_push_icmp(&pk, &(struct pc_icmp){ .type = PC_ICMP_UNREACH, .code = PC_ICMP_UNREACH_NEEDFRAG, .mtu = 1400 });
    cr_assert_eq(pc_push_icmp_quote_frame(&pk, frame, (size_t)fn, PC_LINK_ETHERNET, PC_ICMP_QUOTE_RFC792), 0);
    th_expect_hex(buf, pc_pkt_finalize(&pk), V4_NEEDFRAG);

    /* RFC 1812: as much as keeps the error within 576 bytes of IP. */
    pc_pkt_init(&pk, buf, sizeof buf);
    push_eth(&pk);
    push_ip4(&pk, "10.0.0.254", "10.0.0.1", 1, 64, 0);
    pc_push_icmp(&pk, &(struct pc_icmp){ .type = PC_ICMP_UNREACH, .code = PC_ICMP_UNREACH_NEEDFRAG, .mtu = 1400 });
    cr_assert_eq(pc_push_icmp_quote_frame(&pk, frame, (size_t)fn, PC_LINK_ETHERNET, PC_ICMP_QUOTE_RFC1812), 0);
    cr_assert_eq(pc_pkt_finalize(&pk), 14 + 576);
    cr_assert_eq(pc_ipv4_len(buf + 14), 576);
    cr_assert(memcmp(buf + 14 + 28, frame + 14, 548) == 0);

    /* With IP options in the error the quote shrinks to keep 576. */
    static const uint8_t ra[4] = { 0x94, 0x04, 0, 0 };
    pc_pkt_init(&pk, buf, sizeof buf);
    pc_push_ipv4(&pk, &(struct pc_ipv4){ .ttl = 64, .opts = ra, .optlen = 4 });
    pc_push_icmp(&pk, &(struct pc_icmp){ .type = PC_ICMP_TIMXCEED });
    cr_assert_eq(pc_push_icmp_quote_frame(&pk, frame, (size_t)fn, PC_LINK_ETHERNET, PC_ICMP_QUOTE_RFC1812), 0);
    cr_assert_eq(pc_pkt_finalize(&pk), 576);

    /* Link padding of a short original is never quoted. */
    uint8_t small[64];
    pc_pkt_init(&pk, small, sizeof small);
    struct pc_eth e = { .pad = 1 };
    pc_push_eth(&pk, &e);
    push_ip4(&pk, "10.0.0.1", "10.0.0.9", 5, 1, 0);
    pc_push_udp(&pk, &(struct pc_udp){ .sport = 1, .dport = 2 });
    cr_assert_eq(pc_pkt_finalize(&pk), 60);
    pc_pkt_init(&pk, buf, sizeof buf);
    push_ip4(&pk, "10.0.0.254", "10.0.0.1", 1, 64, 0);
    pc_push_icmp(&pk, &(struct pc_icmp){ .type = PC_ICMP_TIMXCEED });
    cr_assert_eq(pc_push_icmp_quote_frame(&pk, small, 60, PC_LINK_ETHERNET, PC_ICMP_QUOTE_RFC1812), 0);
    cr_assert_eq(pc_pkt_finalize(&pk), 20 + 8 + 28);
}

Test(icmp4_build, queries_and_generic_match_scapy)
{
    uint8_t buf[256];
    struct pc_pkt pk;
    pc_pkt_init(&pk, th_poison(buf, sizeof buf), sizeof buf);
    push_eth(&pk);
    push_ip4(&pk, "10.0.0.1", "10.0.0.2", 7, 64, 0);
    pc_push_icmp(&pk, &(struct pc_icmp){ .type = PC_ICMP_ECHO, .id = 1, .seq = 2 });
    pc_push_payload(&pk, "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTU", 57);
    th_expect_hex(buf, pc_pkt_finalize(&pk), V4_ECHO);

    pc_pkt_init(&pk, th_poison(buf, sizeof buf), sizeof buf);
    push_eth(&pk);
    push_ip4(&pk, "10.0.0.1", "10.0.0.2", 9, 64, 0);
    pc_push_icmp(&pk, &(struct pc_icmp){ .type = PC_ICMP_TSTAMP, .id = 0x55, .seq = 3, .ts_orig = 12345678 });
    th_expect_hex(buf, pc_pkt_finalize(&pk), V4_TSTAMP);

    pc_pkt_init(&pk, th_poison(buf, sizeof buf), sizeof buf);
    push_eth(&pk);
    push_ip4(&pk, "10.0.0.2", "10.0.0.1", 10, 64, 0);
    pc_push_icmp(&pk, &(struct pc_icmp){ .type = PC_ICMP_TSTAMPREPLY, .id = 0x55, .seq = 3, .ts_orig = 12345678,
                                         .ts_recv = 12345700, .ts_xmit = 12345701 });
    th_expect_hex(buf, pc_pkt_finalize(&pk), V4_TSTAMPREPLY);

    pc_pkt_init(&pk, th_poison(buf, sizeof buf), sizeof buf);
    push_eth(&pk);
    push_ip4(&pk, "10.0.0.2", "10.0.0.1", 11, 64, 0);
    pc_push_icmp(&pk, &(struct pc_icmp){ .type = PC_ICMP_MASKREPLY, .id = 7, .seq = 8, .mask = 0xFFFFFF00u });
    th_expect_hex(buf, pc_pkt_finalize(&pk), V4_MASKREPLY);

    pc_pkt_init(&pk, th_poison(buf, sizeof buf), sizeof buf);
    push_eth(&pk);
    push_ip4(&pk, "10.0.0.2", "10.0.0.1", 12, 64, 0);
    pc_push_icmp(&pk, &(struct pc_icmp){ .type = 42, .code = 1, .rest_mode = PC_ICMP_REST_RAW, .rest = 0xDEADBEEFu });
    pc_push_payload(&pk, "data", 4);
    th_expect_hex(buf, pc_pkt_finalize(&pk), V4_GENERIC);

    /* RAW on a type with a longer layout: an 8-byte header, nothing added. */
    pc_pkt_init(&pk, th_poison(buf, sizeof buf), sizeof buf);
    pc_push_icmp(&pk, &(struct pc_icmp){ .type = PC_ICMP_TSTAMP, .rest_mode = PC_ICMP_REST_RAW, .rest = 1 });
    cr_assert_eq(pc_pkt_finalize(&pk), 8);
}

Test(icmp4_build, pinned_and_corrupt_checksum_and_bad_input)
{
    uint8_t buf[256], orig[128];
    struct pc_pkt pk;
    struct pc_decoded d;
    pc_pkt_init(&pk, buf, sizeof buf);
    push_ip4(&pk, "10.0.0.1", "10.0.0.2", 1, 64, 0);
    pc_push_icmp(&pk, &(struct pc_icmp){ .type = PC_ICMP_ECHO, .csum = PC_PIN(0) });
    int n = pc_pkt_finalize(&pk);
    cr_assert_eq(n, 28);
    cr_assert_eq(pc_icmp_csum(buf + 20), 0);
    pc_decode(&d, buf, 28, 28, PC_LINK_RAW);
    cr_assert_eq(d.l[1].csum, PC_CSUM_BAD);

    pc_pkt_init(&pk, buf, sizeof buf);
    push_ip4(&pk, "10.0.0.1", "10.0.0.2", 1, 64, 0);
    pc_push_icmp(&pk, &(struct pc_icmp){ .type = PC_ICMP_TSTAMP, .csum = PC_CORRUPT });
    n = pc_pkt_finalize(&pk);
    cr_assert_eq(pc_decode(&d, buf, (uint32_t)n, (uint32_t)n, PC_LINK_RAW), 0);
    cr_assert_eq(d.l[1].csum, PC_CSUM_BAD);
    uint16_t bad = pc_icmp_csum(buf + 20);
    fix_icmp_csum(buf + 20, 20);
    cr_assert_eq(bad, pc_field_csum(PC_CORRUPT, pc_icmp_csum(buf + 20)));

    pc_pkt_init(&pk, buf, sizeof buf);
    cr_assert_eq(pc_push_icmp(&pk, &(struct pc_icmp){ .rest_mode = 2 }), PC_EINVAL);
    cr_assert_eq(pc_pkt_finalize(&pk), PC_EINVAL);

    int on = build_orig_udp(orig, sizeof orig);
    static const struct { size_t off; uint8_t v; size_t len; } bad_quotes[] = {
        { 0, 0x65, 44 },  /* not IPv4 */
        { 0, 0x44, 44 },  /* IHL 4 */
        { 0, 0x4F, 44 },  /* IHL 15: more than the bytes given */
        { 0, 0x45, 19 },  /* shorter than a header */
    };
    for (size_t k = 0; k < sizeof bad_quotes / sizeof bad_quotes[0]; k++) {
        uint8_t o[64];
        memcpy(o, orig, (size_t)on);
        o[bad_quotes[k].off] = bad_quotes[k].v;
        pc_pkt_init(&pk, buf, sizeof buf);
        pc_push_icmp(&pk, &(struct pc_icmp){ .type = PC_ICMP_UNREACH });
        cr_assert_eq(pc_push_icmp_quote(&pk, o, bad_quotes[k].len, 0), PC_EINVAL, "bad quote %zu accepted", k);
    }
    pc_pkt_init(&pk, buf, sizeof buf);
    cr_assert_eq(pc_push_icmp_quote(&pk, NULL, 40, 0), PC_EINVAL);
    pc_pkt_init(&pk, buf, sizeof buf);
    cr_assert_eq(pc_push_icmp_quote_frame(&pk, (const uint8_t *)"\x01\x02\x03", 3, PC_LINK_ETHERNET, 0), PC_EINVAL);
    /* A datagram shorter than header + 8 is quoted whole. */
    pc_pkt_init(&pk, buf, sizeof buf);
    pc_push_icmp(&pk, &(struct pc_icmp){ .type = PC_ICMP_UNREACH });
    uint8_t tiny[24];
    memcpy(tiny, orig, 24);
    set_ip_len(tiny, 24);
    cr_assert_eq(pc_push_icmp_quote(&pk, tiny, 24, PC_ICMP_QUOTE_RFC792), 0);
    cr_assert_eq(pc_pkt_finalize(&pk), 32);
    /* No room: a sticky ENOSPC. */
    pc_pkt_init(&pk, buf, 30);
    pc_push_icmp(&pk, &(struct pc_icmp){ .type = PC_ICMP_UNREACH });
    cr_assert_eq(pc_push_icmp_quote(&pk, orig, (size_t)on, 0), PC_ENOSPC);
}

/* ---- rejection: every inconsistent length, too small and too large ---- */

static void expect_v4_bad(const char *hex, void (*edit)(uint8_t *b, size_t n), int rc, int layer, uint8_t flag,
                          const char *why)
{
    uint8_t b[4096];
    size_t n = th_unhex(hex, b, sizeof b);
    edit(b, n);
    struct pc_decoded d;
    int got = pc_decode(&d, b, (uint32_t)n, (uint32_t)n, PC_LINK_ETHERNET);
    cr_assert_eq(got, rc, "%s: rc %d, want %d", why, got, rc);
    cr_assert_gt(d.n, layer, "%s: layers before the error must be kept", why);
    cr_assert(d.l[layer].flags & flag, "%s: layer %d flags 0x%x", why, layer, d.l[layer].flags);
    cr_assert_str_eq(d.l[layer].why, why);
    /* Describing a broken packet is safe and still says something. */
    cr_assert_neq(describe(&d, 2, false)[0], 0);
    cr_assert_neq(describe(&d, 2, true)[0], 0);
}

static void ed_echo_4(uint8_t *b, size_t n) { (void)n; set_ip_len(b + 14, 24); }
static void ed_ts_12(uint8_t *b, size_t n) { (void)n; set_ip_len(b + 14, 32); }
static void ed_mask_8(uint8_t *b, size_t n) { (void)n; set_ip_len(b + 14, 28); }
static void ed_no_quote(uint8_t *b, size_t n) { (void)n; set_ip_len(b + 14, 28); }
static void ed_quote_19(uint8_t *b, size_t n) { (void)n; set_ip_len(b + 14, 28 + 19); }
static void ed_quote_ihl8(uint8_t *b, size_t n) { (void)n; b[42] = 0x48; }
static void ed_quote_4data(uint8_t *b, size_t n) { (void)n; set_ip_len(b + 14, 28 + 24); }
static void ed_origlen_big(uint8_t *b, size_t n) { (void)n; b[34 + 5] = 8; }    /* 32 > 28 quoted */
static void ed_origlen_small(uint8_t *b, size_t n) { (void)n; b[34 + 5] = 11; } /* 44 < 128 */

TestSuite(icmp4_reject, .timeout = 1800);

Test(icmp4_reject, every_length_too_small_and_too_large)
{
    expect_v4_bad(V4_ECHO, ed_echo_4, PC_EMALFORMED, 2, PC_LF_MALFORMED, "icmp message shorter than 8 bytes");
    expect_v4_bad(V4_TSTAMP, ed_ts_12, PC_EMALFORMED, 2, PC_LF_MALFORMED, "icmp timestamp message shorter than 20 bytes");
    expect_v4_bad(V4_MASKREPLY, ed_mask_8, PC_EMALFORMED, 2, PC_LF_MALFORMED,
                  "icmp address mask message shorter than 12 bytes");
    expect_v4_bad(V4_UNREACH_PORT, ed_no_quote, PC_EMALFORMED, 2, PC_LF_MALFORMED, "icmp error without the quoted datagram");
    expect_v4_bad(V4_UNREACH_PORT, ed_quote_19, PC_EMALFORMED, 3, PC_LF_MALFORMED,
                  "quoted datagram shorter than an ipv4 header");
    expect_v4_bad(V4_UNREACH_PORT, ed_quote_ihl8, PC_EMALFORMED, 3, PC_LF_MALFORMED,
                  "quoted ipv4 header longer than the quote");
    expect_v4_bad(V4_UNREACH_PORT, ed_quote_4data, PC_EMALFORMED, 3, PC_LF_MALFORMED,
                  "icmp error quotes less than 8 bytes of the datagram's data");
    expect_v4_bad(V4_TIMXCEED, ed_origlen_big, PC_EMALFORMED, 2, PC_LF_MALFORMED,
                  "icmp original datagram length beyond the message");
    expect_v4_bad(V4_TIMXCEED_FULL, ed_origlen_small, PC_EMALFORMED, 2, PC_LF_MALFORMED,
                  "icmp original datagram length below 128 bytes");
}

/* RFC 4884: a length attribute bounds the quote and what follows it is an
 * extension structure, decoded as (unquoted) payload. */
Test(icmp4_reject, rfc4884_length_bounds_the_quote)
{
    uint8_t b[512], orig[256];
    struct pc_pkt pk;
    pc_pkt_init(&pk, orig, sizeof orig);
    push_ip4(&pk, "10.0.0.1", "10.0.0.9", 3, 1, 0);
    pc_push_udp(&pk, &(struct pc_udp){ .sport = 7, .dport = 33434 });
    uint8_t pl[200] = { 0 };
    pc_push_payload(&pk, pl, sizeof pl);
    int on = pc_pkt_finalize(&pk);
    pc_pkt_init(&pk, b, sizeof b);
    push_ip4(&pk, "10.0.0.254", "10.0.0.1", 1, 64, 0);
    pc_push_icmp(&pk, &(struct pc_icmp){ .type = PC_ICMP_TIMXCEED, .rest_mode = PC_ICMP_REST_RAW, .rest = 32 << 16 });
    pc_push_icmp_quote(&pk, orig, (size_t)on, 128);
    pc_push_payload(&pk, "\x20\x00\x00\x00\x00\x08\x01\x01\x00\x00\x00\x01", 12); /* version 2, one object */
    int n = pc_pkt_finalize(&pk);
    struct pc_decoded d;
    cr_assert_eq(pc_decode(&d, b, (uint32_t)n, (uint32_t)n, PC_LINK_RAW), 0);
    cr_assert_eq(d.l[1].csum, PC_CSUM_GOOD);
    int last = d.n - 1;
    cr_assert_eq(d.l[last].proto, PC_P_PAYLOAD);
    cr_assert_eq(d.l[last].flags & PC_LF_QUOTED, 0);
    cr_assert_eq(d.l[last].off, 20 + 8 + 128);
    cr_assert_eq(d.l[last].plen, 12);
}

/* ---- truncation: every capture length under a guard page ---- */

static void truncations(const char *const *hexes, size_t nh, int link, size_t skip)
{
    static uint8_t b[4096];
    for (size_t h = 0; h < nh; h++) {
        size_t n = th_unhex(hexes[h], b, sizeof b);
        const uint8_t *fr = b + skip;
        n -= skip;
        for (size_t cut = 0; cut <= n; cut++) {
            struct th_guard g;
            const uint8_t *p = th_guard_copy(&g, fr, cut);
            struct pc_decoded d;
            int rc = pc_decode(&d, p, (uint32_t)cut, (uint32_t)n, link);
            cr_assert(rc == 0 || rc == PC_ETRUNC, "frame %zu cut %zu: rc %d (%s)", h, cut, rc,
                      d.n ? (d.l[d.n - 1].why ? d.l[d.n - 1].why : "") : "");
            for (int i = 0; i < d.n; i++) {
                cr_assert_eq(d.l[i].flags & PC_LF_MALFORMED, 0, "frame %zu cut %zu layer %d malformed: %s", h, cut, i,
                             d.l[i].why);
                if (d.l[i].proto != PC_P_ICMP && d.l[i].proto != PC_P_ICMP6) continue;
                describe(&d, i, false); /* describing reads captured bytes only */
                describe(&d, i, true);
            }
            if (cut == n) cr_assert_eq(rc, 0);
            th_guard_free(&g);
        }
    }
}

TestSuite(icmp4_trunc, .timeout = 1800);

Test(icmp4_trunc, every_cut_under_guard_page)
{
    truncations(V4_ALL, NV4, PC_LINK_ETHERNET, 0);
}

/* ================================================================ ICMPv6 */

/* Made with scapy: Ether(dst=02:..:02, src=02:..:01) / IPv6 / ICMPv6...
 * ORIG6_UDP:  IPv6(2001:db8::1 > 2001:db8::9, hlim=1) / UDP(40000, 33434) / "traceroute-probe"
 * ORIG6_HBH:  IPv6(2001:db8::1 > 2001:db8::9) / IPv6ExtHdrHopByHop(PadN 4) / UDP(5000, 53) / "q"
 * V6_ECHO:    IPv6(fe80::1 > fe80::2, hlim=64) / ICMPv6EchoRequest(id=1, seq=1, data="abcdefgh")
 * V6_ECHOREPLY: the reply, fe80::2 > fe80::1
 * V6_UNREACH: IPv6(2001:db8::fe > 2001:db8::1) / ICMPv6DestUnreach(code=4) / ORIG6_UDP
 * V6_TOOBIG:  ... / ICMPv6PacketTooBig(mtu=1280) / the first 1232 bytes of
 *             IPv6(2001:db8::1 > 2001:db8::9) / TCP(40001, 443, seq=1000, PA) / 1440 "x"
 *             (V6_TOOBIG_HEAD is everything up to the TCP payload; 1172 "x" follow)
 * V6_TIMXCEED: ... / ICMPv6TimeExceeded(code=0) / ORIG6_UDP
 * V6_PARAMPROB: ... / ICMPv6ParamProblem(code=2, ptr=42) / ORIG6_HBH
 * V6_RS:      IPv6(fe80::1 > ff02::2, hlim=255) / ICMPv6ND_RS / ICMPv6NDOptSrcLLAddr(02:00:00:00:00:01)
 * V6_RA:      IPv6(fe80::1 > ff02::1) / ICMPv6ND_RA(chlim=64, M=1, O=1, routerlifetime=1800,
 *             reachabletime=30000, retranstimer=1000; prf defaults to 1, high) / ICMPv6NDOptSrcLLAddr / ICMPv6NDOptMTU(1500) /
 *             ICMPv6NDOptPrefixInfo(prefixlen=64, L=1, A=1, validlifetime=86400,
 *             preferredlifetime=14400, prefix=2001:db8::)
 * V6_NS:      IPv6(fe80::2 > ff02::1:ff00:1) / ICMPv6ND_NS(tgt=fe80::1) / ICMPv6NDOptSrcLLAddr(02:..:02)
 * V6_NA:      IPv6(fe80::1 > fe80::2) / ICMPv6ND_NA(R=0, S=1, O=1, tgt=fe80::1) / ICMPv6NDOptDstLLAddr(02:..:01)
 * V6_REDIRECT: IPv6(fe80::1 > fe80::2) / ICMPv6ND_Redirect(tgt=fe80::5, dst=2001:db8::9) /
 *             ICMPv6NDOptDstLLAddr(02:..:05) / ICMPv6NDOptRedirectedHdr(pkt=ORIG6_UDP) */
static const char ORIG6_UDP[] =
    "600000000018110120010db800000000000000000000000120010db80000000000000000000000099c40829a001863ff74726163"
    "65726f7574652d70726f6265";
static const char ORIG6_HBH[] =
    "600000000011004020010db800000000000000000000000120010db8000000000000000000000009110001040000000013880035"
    "00091fa371";
static const char V6_ECHO[] =
    "02000000000202000000000186dd6000000000103a40fe800000000000000000000000000001fe80000000000000000000000000"
    "00028000f118000100016162636465666768";
static const char V6_ECHOREPLY[] =
    "02000000000202000000000186dd6000000000103a40fe800000000000000000000000000002fe80000000000000000000000000"
    "00018100f018000100016162636465666768";
static const char V6_UNREACH[] =
    "02000000000202000000000186dd6000000000483a4020010db80000000000000000000000fe20010db800000000000000000000"
    "00010104311800000000600000000018110120010db800000000000000000000000120010db80000000000000000000000099c40"
    "829a001863ff7472616365726f7574652d70726f6265";
static const char V6_TOOBIG_HEAD[] =
    "02000000000202000000000186dd6000000004d83a4020010db80000000000000000000000fe20010db800000000000000000000"
    "000102004051000005006000000005b4064020010db800000000000000000000000120010db80000000000000000000000099c41"
    "01bb000003e80000000050182000b9f90000";
static const char V6_TIMXCEED[] =
    "02000000000202000000000186dd6000000000483a4020010db80000000000000000000000fe20010db800000000000000000000"
    "000103002f1c00000000600000000018110120010db800000000000000000000000120010db80000000000000000000000099c40"
    "829a001863ff7472616365726f7574652d70726f6265";
static const char V6_PARAMPROB[] =
    "02000000000202000000000186dd6000000000413a4020010db80000000000000000000000fe20010db800000000000000000000"
    "000104022cac0000002a600000000011004020010db800000000000000000000000120010db80000000000000000000000091100"
    "0104000000001388003500091fa371";
static const char V6_RS[] =
    "02000000000202000000000186dd6000000000103afffe800000000000000000000000000001ff02000000000000000000000000"
    "000285007a2c000000000101020000000001";
static const char V6_RA[] =
    "02000000000202000000000186dd6000000000403afffe800000000000000000000000000001ff02000000000000000000000000"
    "00018600b1f840c8070800007530000003e8010102000000000105010000000005dc030440c00001518000003840000000002001"
    "0db8000000000000000000000000";
static const char V6_NS[] =
    "02000000000202000000000186dd6000000000203afffe800000000000000000000000000002ff0200000000000000000001ff00"
    "000187007a9700000000fe8000000000000000000000000000010101020000000002";
static const char V6_NA[] =
    "02000000000202000000000186dd6000000000203afffe800000000000000000000000000001fe80000000000000000000000000"
    "00028800181c60000000fe8000000000000000000000000000010201020000000001";
static const char V6_REDIRECT[] =
    "02000000000202000000000186dd6000000000783afffe800000000000000000000000000001fe80000000000000000000000000"
    "00028900d40000000000fe80000000000000000000000000000520010db800000000000000000000000902010200000000050409"
    "000000000000600000000018110120010db800000000000000000000000120010db80000000000000000000000099c40829a0018"
    "63ff7472616365726f7574652d70726f6265";

/* V6_TOOBIG as hex: the head and 1172 "x" (0x78) bytes of TCP payload. */
static const char *v6_toobig(void)
{
    static char hex[2 * 1400];
    if (!hex[0]) {
        size_t n = strlen(V6_TOOBIG_HEAD);
        memcpy(hex, V6_TOOBIG_HEAD, n);
        for (int k = 0; k < 1172; k++, n += 2) memcpy(hex + n, "78", 2);
        hex[n] = 0;
    }
    return hex;
}

static const char *const V6_FIXED[] = {
    V6_ECHO, V6_ECHOREPLY, V6_UNREACH, V6_TIMXCEED, V6_PARAMPROB, V6_RS, V6_RA, V6_NS, V6_NA, V6_REDIRECT,
};
#define NV6 (sizeof V6_FIXED / sizeof V6_FIXED[0])

TestSuite(icmp6_decode, .timeout = 1800);

/* ---- decode known bytes ---- */

Test(icmp6_decode, echo_request_and_reply)
{
    uint8_t b[4096];
    struct pc_decoded d;
    size_t n;
    cr_assert_eq(decode_hex(V6_ECHO, b, &d, &n), 0);
    cr_assert_eq(d.l4, 2);
    cr_assert_eq(d.l[2].proto, PC_P_ICMP6);
    cr_assert_eq(d.l[2].hlen, 8);
    cr_assert_eq(d.l[2].plen, 8);
    cr_assert_eq(d.l[2].csum, PC_CSUM_GOOD);
    cr_assert_eq(d.l[3].proto, PC_P_PAYLOAD);
    const uint8_t *h = pc_layer_hdr(&d, 2);
    cr_assert_eq(pc_icmp6_id(h), 1);
    cr_assert_eq(pc_icmp6_seq(h), 1);
    cr_assert_str_eq(describe(&d, 2, false), "ICMP6, echo request, id 1, seq 1, length 16");
    cr_assert_str_eq(describe(&d, 2, true), "\"type\":128,\"code\":0,\"checksum\":61720,\"checksum_status\":\"good\","
                                            "\"length\":16,\"id\":1,\"seq\":1");
    cr_assert_eq(decode_hex(V6_ECHOREPLY, b, &d, &n), 0);
    cr_assert_eq(d.l[2].csum, PC_CSUM_GOOD);
    cr_assert_str_eq(describe(&d, 2, false), "ICMP6, echo reply, id 1, seq 1, length 16");
    b[n - 1] ^= 0x40;
    pc_decode(&d, b, (uint32_t)n, (uint32_t)n, PC_LINK_ETHERNET);
    cr_assert_eq(d.l[2].csum, PC_CSUM_BAD, "the pseudo-header sum must catch a changed byte");
}

Test(icmp6_decode, errors_quote_the_packet)
{
    uint8_t b[4096];
    struct pc_decoded d;
    size_t n;
    cr_assert_eq(decode_hex(V6_UNREACH, b, &d, &n), 0);
    cr_assert_eq(d.n, 6);
    cr_assert_eq(d.l4, 2);
    cr_assert_eq(d.l[2].plen, 64);
    cr_assert_eq(d.l[2].csum, PC_CSUM_GOOD);
    cr_assert_eq(d.l[3].proto, PC_P_IPV6);
    cr_assert_eq(d.l[3].flags, PC_LF_QUOTED);
    cr_assert_eq(d.l[3].plen, 24);
    cr_assert_eq(d.l[4].proto, PC_P_UDP);
    cr_assert_eq(d.l[4].flags, PC_LF_QUOTED);
    cr_assert_eq(d.l[5].proto, PC_P_PAYLOAD);
    cr_assert_eq(d.l[5].plen, 16);
    cr_assert_str_eq(describe(&d, 2, false),
                     "ICMP6, destination unreachable, unreachable port, 2001:db8::9 udp port 33434, length 72");
    cr_assert(strstr(describe(&d, 2, true), "\"quoted\":{\"src\":\"2001:db8::1\",\"dst\":\"2001:db8::9\",\"proto\":17,"
                                            "\"sport\":40000,\"dport\":33434}"));

    cr_assert_eq(decode_hex(v6_toobig(), b, &d, &n), 0);
    cr_assert_eq(n, 1294);
    cr_assert_eq(pc_icmp6_mtu(pc_layer_hdr(&d, 2)), 1280);
    cr_assert_eq(d.l[3].plen, 1460);
    cr_assert_eq(d.l[4].proto, PC_P_TCP);
    cr_assert_eq(d.l[4].hlen, 20);
    cr_assert_eq(d.l[4].plen, 1440);
    cr_assert_eq(d.l[5].plen, 1172);
    cr_assert_str_eq(describe(&d, 2, false), "ICMP6, packet too big, mtu 1280, length 1240");
    cr_assert(strstr(describe(&d, 2, true), "\"mtu\":1280,\"quoted\":{"));

    cr_assert_eq(decode_hex(V6_TIMXCEED, b, &d, &n), 0);
    cr_assert_str_eq(describe(&d, 2, false), "ICMP6, time exceeded in-transit for 2001:db8::9, length 72");

    /* The quote walks the original's extension headers to its transport. */
    cr_assert_eq(decode_hex(V6_PARAMPROB, b, &d, &n), 0);
    cr_assert_eq(d.n, 7);
    cr_assert_eq(d.l[4].proto, PC_P_IP6_HOP);
    cr_assert_eq(d.l[4].flags, PC_LF_QUOTED);
    cr_assert_eq(d.l[5].proto, PC_P_UDP);
    struct pc_icmp_quote q;
    cr_assert_eq(pc_icmp_quote_info(&d, 2, &q), 6);
    cr_assert_eq(q.proto, PC_IPPROTO_UDP);
    cr_assert_eq(q.sport, 5000);
    cr_assert_eq(q.dport, 53);
    cr_assert_eq(pc_icmp6_pointer(pc_layer_hdr(&d, 2)), 42);
    cr_assert_str_eq(describe(&d, 2, false), "ICMP6, parameter problem, option - octet 42, length 65");
    cr_assert(strstr(describe(&d, 2, true), "\"pointer\":42,\"quoted\":{"));
}

Test(icmp6_decode, neighbor_discovery)
{
    uint8_t b[4096];
    struct pc_decoded d;
    size_t n;
    cr_assert_eq(decode_hex(V6_RS, b, &d, &n), 0);
    cr_assert_eq(d.n, 3, "options belong to the message: no payload layer");
    cr_assert_eq(d.l[2].hlen, 16);
    cr_assert_eq(d.l[2].plen, 0);
    cr_assert_eq(d.l[2].csum, PC_CSUM_GOOD);
    cr_assert_str_eq(describe(&d, 2, false), "ICMP6, router solicitation, length 16");
    cr_assert_str_eq(describe(&d, 2, true), "\"type\":133,\"code\":0,\"checksum\":31276,\"checksum_status\":\"good\","
                                            "\"length\":16,\"options\":[{\"type\":1,\"len\":1,"
                                            "\"lladdr\":\"02:00:00:00:00:01\"}]");

    cr_assert_eq(decode_hex(V6_RA, b, &d, &n), 0);
    const uint8_t *h = pc_layer_hdr(&d, 2);
    cr_assert_eq(pc_nd_ra_hoplimit(h), 64);
    cr_assert_eq(pc_nd_ra_flags(h), PC_ND_RA_MANAGED | PC_ND_RA_OTHER | PC_ND_RA_PRF_HIGH);
    cr_assert_eq(pc_nd_ra_lifetime(h), 1800);
    cr_assert_eq(pc_nd_ra_reachable(h), 30000);
    cr_assert_eq(pc_nd_ra_retrans(h), 1000);
    cr_assert_str_eq(describe(&d, 2, false), "ICMP6, router advertisement, length 64");
    cr_assert_str_eq(describe(&d, 2, true),
                     "\"type\":134,\"code\":0,\"checksum\":45560,\"checksum_status\":\"good\",\"length\":64,"
                     "\"cur_hop_limit\":64,\"flags\":200,\"managed\":true,\"other\":true,\"router_lifetime\":1800,"
                     "\"reachable_time\":30000,\"retrans_timer\":1000,\"options\":["
                     "{\"type\":1,\"len\":1,\"lladdr\":\"02:00:00:00:00:01\"},{\"type\":5,\"len\":1,\"mtu\":1500},"
                     "{\"type\":3,\"len\":4,\"prefix\":\"2001:db8::\",\"prefix_len\":64,\"on_link\":true,"
                     "\"autonomous\":true,\"valid_lifetime\":86400,\"preferred_lifetime\":14400}]");

    cr_assert_eq(decode_hex(V6_NS, b, &d, &n), 0);
    cr_assert_str_eq(describe(&d, 2, false), "ICMP6, neighbor solicitation, who has fe80::1, length 32");
    cr_assert(strstr(describe(&d, 2, true), "\"target\":\"fe80::1\",\"options\":[{\"type\":1,\"len\":1,"
                                            "\"lladdr\":\"02:00:00:00:00:02\"}]"));

    cr_assert_eq(decode_hex(V6_NA, b, &d, &n), 0);
    cr_assert_eq(pc_nd_na_flags(pc_layer_hdr(&d, 2)), PC_ND_NA_SOLICITED | PC_ND_NA_OVERRIDE);
    cr_assert_str_eq(describe(&d, 2, false), "ICMP6, neighbor advertisement, tgt is fe80::1, length 32");
    cr_assert(strstr(describe(&d, 2, true), "\"flags\":96,\"router\":false,\"solicited\":true,\"override\":true,"
                                            "\"target\":\"fe80::1\",\"options\":[{\"type\":2,"));

    cr_assert_eq(decode_hex(V6_REDIRECT, b, &d, &n), 0);
    cr_assert_eq(d.l[2].hlen, 120);
    cr_assert_str_eq(describe(&d, 2, false), "ICMP6, redirect, 2001:db8::9 to fe80::5, length 120");
    cr_assert(strstr(describe(&d, 2, true), "\"target\":\"fe80::5\",\"destination\":\"2001:db8::9\",\"options\":["
                                            "{\"type\":2,\"len\":1,\"lladdr\":\"02:00:00:00:00:05\"},"
                                            "{\"type\":4,\"len\":9}]"));
    /* The public walker agrees about the option area. */
    cr_assert_eq(pc_nd_opts_walk(pc_layer_hdr(&d, 2) + PC_ND_REDIRECT_LEN, 80, NULL, NULL), 0);
    cr_assert_eq(pc_nd_opts_walk(pc_layer_hdr(&d, 2) + PC_ND_REDIRECT_LEN, 79, NULL, NULL), PC_EMALFORMED);
}

/* ---- build into a poisoned buffer, compare with scapy ---- */

static void push_ip6(struct pc_pkt *pk, const char *src, const char *dst, uint8_t hlim)
{
    struct pc_ipv6 ip = { .hlim = hlim };
    cr_assert_eq(inet_pton(AF_INET6, src, ip.src), 1);
    cr_assert_eq(inet_pton(AF_INET6, dst, ip.dst), 1);
    pc_push_ipv6(pk, &ip);
}

static int build_orig6(uint8_t *buf, size_t cap, int hbh)
{
    struct pc_pkt pk;
    pc_pkt_init(&pk, buf, cap);
    push_ip6(&pk, "2001:db8::1", "2001:db8::9", hbh ? 64 : 1);
    if (hbh) {
        static const uint8_t padn[] = { 1, 4, 0, 0, 0, 0 };
        pc_push_ip6ext(&pk, &(struct pc_ip6ext){ .type = PC_P_IP6_HOP, .opts = padn, .optlen = sizeof padn });
        pc_push_udp(&pk, &(struct pc_udp){ .sport = 5000, .dport = 53 });
        pc_push_payload(&pk, "q", 1);
    } else {
        pc_push_udp(&pk, &(struct pc_udp){ .sport = 40000, .dport = 33434 });
        pc_push_payload(&pk, "traceroute-probe", 16);
    }
    return pc_pkt_finalize(&pk);
}

static int build_error6(uint8_t *buf, size_t cap, const struct pc_icmp6 *ic, const uint8_t *orig, size_t olen,
                        size_t max)
{
    struct pc_pkt pk;
    pc_pkt_init(&pk, th_poison(buf, cap), cap);
    push_eth(&pk);
    push_ip6(&pk, "2001:db8::fe", "2001:db8::1", 64);
    cr_assert_eq(pc_push_icmp6(&pk, ic), 0);
    cr_assert_eq(pc_push_icmp6_quote(&pk, orig, olen, max), 0);
    return pc_pkt_finalize(&pk);
}

TestSuite(icmp6_build, .timeout = 1800);

Test(icmp6_build, echo_and_errors_match_scapy)
{
    static uint8_t orig[2048], buf[2048];
    uint8_t o2[128];
    struct pc_pkt pk;
    pc_pkt_init(&pk, th_poison(buf, sizeof buf), sizeof buf);
    push_eth(&pk);
    push_ip6(&pk, "fe80::1", "fe80::2", 64);
    pc_push_icmp6(&pk, &(struct pc_icmp6){ .type = PC_ICMP6_ECHO_REQUEST, .id = 1, .seq = 1 });
    pc_push_payload(&pk, "abcdefgh", 8);
    th_expect_hex(buf, pc_pkt_finalize(&pk), V6_ECHO);

    int on = build_orig6(th_poison(orig, sizeof orig), sizeof orig, 0);
    th_expect_hex(orig, on, ORIG6_UDP);
    th_expect_hex(buf, build_error6(buf, sizeof buf, &(struct pc_icmp6){ .type = PC_ICMP6_DST_UNREACH,
                                                                      .code = PC_ICMP6_UNREACH_NOPORT },
                                    orig, (size_t)on, 0),
                  V6_UNREACH);
    th_expect_hex(buf, build_error6(buf, sizeof buf, &(struct pc_icmp6){ .type = PC_ICMP6_TIME_EXCEEDED }, orig,
                                    (size_t)on, PC_ICMP6_QUOTE_MAX),
                  V6_TIMXCEED);
    int hn = build_orig6(th_poison(o2, sizeof o2), sizeof o2, 1);
    th_expect_hex(o2, hn, ORIG6_HBH);
    th_expect_hex(buf, build_error6(buf, sizeof buf, &(struct pc_icmp6){ .type = PC_ICMP6_PARAM_PROB,
                                                                      .code = PC_ICMP6_PARAMPROB_OPTION, .pointer = 42 },
                                    o2, (size_t)hn, 0),
                  V6_PARAMPROB);

    /* Packet too big: the quote is cut so the error fits 1280 bytes. */
    static uint8_t xs[1440];
    memset(xs, 'x', sizeof xs);
    pc_pkt_init(&pk, th_poison(orig, sizeof orig), sizeof orig);
    push_eth(&pk);
    push_ip6(&pk, "2001:db8::1", "2001:db8::9", 64);
    pc_push_tcp(&pk, &(struct pc_tcp){ .sport = 40001, .dport = 443, .seq = 1000, .flags = PC_TCP_PSH | PC_TCP_ACK,
                                       .win = 8192 });
    pc_push_payload(&pk, xs, sizeof xs);
    on = pc_pkt_finalize(&pk);
    cr_assert_eq(on, 14 + 40 + 20 + 1440);
    pc_pkt_init(&pk, th_poison(buf, sizeof buf), sizeof buf);
    push_eth(&pk);
    push_ip6(&pk, "2001:db8::fe", "2001:db8::1", 64);
    pc_push_icmp6(&pk, &(struct pc_icmp6){ .type = PC_ICMP6_PACKET_TOO_BIG, .mtu = 1280 });
    cr_assert_eq(pc_push_icmp6_quote_frame(&pk, orig, (size_t)on, PC_LINK_ETHERNET, PC_ICMP6_QUOTE_MAX), 0);
    th_expect_hex(buf, pc_pkt_finalize(&pk), v6_toobig());

    /* An explicit cap quotes that much. */
    int en = build_error6(buf, sizeof buf, &(struct pc_icmp6){ .type = PC_ICMP6_TIME_EXCEEDED },
                          orig + 14, (size_t)on - 14, 48);
    cr_assert_eq(en, 14 + 40 + 8 + 48);
    /* The 1280-byte limit counts the error's extension headers too. */
    pc_pkt_init(&pk, buf, sizeof buf);
    push_ip6(&pk, "2001:db8::fe", "2001:db8::1", 64);
    static const uint8_t padn[] = { 1, 4, 0, 0, 0, 0 };
    pc_push_ip6ext(&pk, &(struct pc_ip6ext){ .type = PC_P_IP6_DEST, .opts = padn, .optlen = sizeof padn });
    pc_push_icmp6(&pk, &(struct pc_icmp6){ .type = PC_ICMP6_PACKET_TOO_BIG, .mtu = 1280 });
    cr_assert_eq(pc_push_icmp6_quote(&pk, orig + 14, (size_t)on - 14, 0), 0);
    cr_assert_eq(pc_pkt_finalize(&pk), 1280);
    struct pc_decoded d;
    cr_assert_eq(pc_decode(&d, buf, 1280, 1280, PC_LINK_RAW), 0);
    cr_assert_eq(d.l[d.l4].proto, PC_P_ICMP6);
    cr_assert_eq(d.l[d.l4].csum, PC_CSUM_GOOD);
    cr_assert_eq(d.l[d.l4].plen, 1280 - 40 - 8 - 8);
}

Test(icmp6_build, neighbor_discovery_matches_scapy)
{
    uint8_t buf[512], orig[128];
    struct pc_pkt pk;
    static const uint8_t ll1[6] = { 2, 0, 0, 0, 0, 1 };

    pc_pkt_init(&pk, th_poison(buf, sizeof buf), sizeof buf);
    push_eth(&pk);
    push_ip6(&pk, "fe80::1", "ff02::2", 255);
    struct pc_nd_opt sll = { .type = PC_ND_OPT_SRC_LLADDR };
    memcpy(sll.lladdr, ll1, 6);
    pc_push_icmp6(&pk, &(struct pc_icmp6){ .type = PC_ND_ROUTER_SOLICIT, .opts = &sll, .nopts = 1 });
    th_expect_hex(buf, pc_pkt_finalize(&pk), V6_RS);

    pc_pkt_init(&pk, th_poison(buf, sizeof buf), sizeof buf);
    push_eth(&pk);
    push_ip6(&pk, "fe80::1", "ff02::1", 255);
    struct pc_nd_opt ra_opts[3] = {
        sll,
        { .type = PC_ND_OPT_MTU, .mtu = 1500 },
        { .type = PC_ND_OPT_PREFIX, .prefix_len = 64, .prefix_flags = PC_ND_PREFIX_ONLINK | PC_ND_PREFIX_AUTO,
          .valid_lifetime = 86400, .preferred_lifetime = 14400, .prefix = { 0x20, 0x01, 0x0d, 0xb8 } },
    };
    pc_push_icmp6(&pk, &(struct pc_icmp6){ .type = PC_ND_ROUTER_ADVERT, .cur_hop_limit = 64,
                                           .flags = PC_ND_RA_MANAGED | PC_ND_RA_OTHER | PC_ND_RA_PRF_HIGH,
                                           .router_lifetime = 1800,
                                           .reachable_time = 30000, .retrans_timer = 1000, .opts = ra_opts,
                                           .nopts = 3 });
    th_expect_hex(buf, pc_pkt_finalize(&pk), V6_RA);

    pc_pkt_init(&pk, th_poison(buf, sizeof buf), sizeof buf);
    push_eth(&pk);
    push_ip6(&pk, "fe80::2", "ff02::1:ff00:1", 255);
    struct pc_nd_opt sll2 = { .type = PC_ND_OPT_SRC_LLADDR, .lladdr = { 2, 0, 0, 0, 0, 2 } };
    struct pc_icmp6 ns = { .type = PC_ND_NEIGHBOR_SOLICIT, .opts = &sll2, .nopts = 1 };
    inet_pton(AF_INET6, "fe80::1", ns.target);
    pc_push_icmp6(&pk, &ns);
    th_expect_hex(buf, pc_pkt_finalize(&pk), V6_NS);

    pc_pkt_init(&pk, th_poison(buf, sizeof buf), sizeof buf);
    push_eth(&pk);
    push_ip6(&pk, "fe80::1", "fe80::2", 255);
    struct pc_nd_opt tll = { .type = PC_ND_OPT_TGT_LLADDR };
    memcpy(tll.lladdr, ll1, 6);
    struct pc_icmp6 na = { .type = PC_ND_NEIGHBOR_ADVERT, .flags = PC_ND_NA_SOLICITED | PC_ND_NA_OVERRIDE,
                           .opts = &tll, .nopts = 1 };
    inet_pton(AF_INET6, "fe80::1", na.target);
    pc_push_icmp6(&pk, &na);
    th_expect_hex(buf, pc_pkt_finalize(&pk), V6_NA);

    int on = build_orig6(orig, sizeof orig, 0);
    pc_pkt_init(&pk, th_poison(buf, sizeof buf), sizeof buf);
    push_eth(&pk);
    push_ip6(&pk, "fe80::1", "fe80::2", 255);
    struct pc_nd_opt rd_opts[2] = {
        { .type = PC_ND_OPT_TGT_LLADDR, .lladdr = { 2, 0, 0, 0, 0, 5 } },
        { .type = PC_ND_OPT_REDIRECTED, .data = orig, .dlen = (size_t)on },
    };
    struct pc_icmp6 rd = { .type = PC_ND_REDIRECT, .opts = rd_opts, .nopts = 2 };
    inet_pton(AF_INET6, "fe80::5", rd.target);
    inet_pton(AF_INET6, "2001:db8::9", rd.dst);
    pc_push_icmp6(&pk, &rd);
    th_expect_hex(buf, pc_pkt_finalize(&pk), V6_REDIRECT);
}

Test(icmp6_build, options_padding_pins_and_bad_input)
{
    uint8_t buf[4096];
    struct pc_pkt pk;
    struct pc_decoded d;
    /* An unknown option type: type, length, data, zero padding to 8. */
    struct pc_nd_opt odd[2] = {
        { .type = 25, .data = (const uint8_t *)"\x01\x02\x03", .dlen = 3 },
        { .type = 26, .data = (const uint8_t *)"\x01\x02\x03\x04\x05\x06\x07", .dlen = 7 },
    };
    pc_pkt_init(&pk, th_poison(buf, sizeof buf), sizeof buf);
    push_ip6(&pk, "fe80::1", "ff02::2", 255);
    pc_push_icmp6(&pk, &(struct pc_icmp6){ .type = PC_ND_ROUTER_SOLICIT, .opts = odd, .nopts = 2 });
    int n = pc_pkt_finalize(&pk);
    cr_assert_eq(n, 40 + 8 + 8 + 16);
    th_expect_hex(buf + 48, 24, "19010102030000001a020102030405060700000000000000");
    cr_assert_eq(pc_decode(&d, buf, (uint32_t)n, (uint32_t)n, PC_LINK_RAW), 0);
    cr_assert_eq(d.l[1].csum, PC_CSUM_GOOD);

    /* A pinned option length of 0 is written (and rejected by the decoder). */
    struct pc_nd_opt zero = { .type = PC_ND_OPT_SRC_LLADDR, .len = PC_PIN(0) };
    pc_pkt_init(&pk, buf, sizeof buf);
    push_ip6(&pk, "fe80::1", "ff02::2", 255);
    pc_push_icmp6(&pk, &(struct pc_icmp6){ .type = PC_ND_ROUTER_SOLICIT, .opts = &zero, .nopts = 1 });
    n = pc_pkt_finalize(&pk);
    cr_assert_eq(buf[49], 0);
    cr_assert_eq(pc_decode(&d, buf, (uint32_t)n, (uint32_t)n, PC_LINK_RAW), PC_EMALFORMED);
    cr_assert_str_eq(d.l[1].why, "nd option length 0");
    struct pc_nd_opt corrupt = { .type = PC_ND_OPT_MTU, .len = PC_CORRUPT };
    pc_pkt_init(&pk, buf, sizeof buf);
    push_ip6(&pk, "fe80::1", "ff02::2", 255);
    pc_push_icmp6(&pk, &(struct pc_icmp6){ .type = PC_ND_ROUTER_SOLICIT, .opts = &corrupt, .nopts = 1 });
    n = pc_pkt_finalize(&pk);
    cr_assert_eq(buf[49], 2);
    cr_assert_eq(pc_decode(&d, buf, (uint32_t)n, (uint32_t)n, PC_LINK_RAW), PC_EMALFORMED);
    cr_assert_str_eq(d.l[1].why, "nd option runs past the message");

    /* Pinned and corrupt checksums. */
    pc_pkt_init(&pk, buf, sizeof buf);
    push_ip6(&pk, "fe80::1", "fe80::2", 64);
    pc_push_icmp6(&pk, &(struct pc_icmp6){ .type = PC_ICMP6_ECHO_REQUEST, .csum = PC_PIN(0x1234) });
    n = pc_pkt_finalize(&pk);
    cr_assert_eq(pc_icmp6_csum(buf + 40), 0x1234);
    pc_decode(&d, buf, (uint32_t)n, (uint32_t)n, PC_LINK_RAW);
    cr_assert_eq(d.l[1].csum, PC_CSUM_BAD);
    pc_pkt_init(&pk, buf, sizeof buf);
    push_ip6(&pk, "fe80::1", "fe80::2", 64);
    pc_push_icmp6(&pk, &(struct pc_icmp6){ .type = PC_ICMP6_ECHO_REQUEST, .csum = PC_CORRUPT });
    n = pc_pkt_finalize(&pk);
    pc_decode(&d, buf, (uint32_t)n, (uint32_t)n, PC_LINK_RAW);
    cr_assert_eq(d.l[1].csum, PC_CSUM_BAD);

    /* Impossible specs. */
    struct pc_nd_opt nodata = { .type = 30, .dlen = 4 };
    struct pc_nd_opt huge = { .type = 30, .data = buf, .dlen = 2039 };
    struct pc_nd_opt big = { .type = 30, .data = buf, .dlen = 2038 };
    struct pc_nd_opt mtu = { .type = PC_ND_OPT_MTU, .mtu = 1500 };
    pc_pkt_init(&pk, buf, sizeof buf);
    cr_assert_eq(pc_push_icmp6(&pk, &(struct pc_icmp6){ .type = PC_ICMP6_ECHO_REQUEST, .opts = &mtu, .nopts = 1 }),
                 PC_EINVAL, "options on an echo");
    pc_pkt_init(&pk, buf, sizeof buf);
    cr_assert_eq(pc_push_icmp6(&pk, &(struct pc_icmp6){ .type = PC_ND_ROUTER_SOLICIT, .opts = &nodata, .nopts = 1 }),
                 PC_EINVAL, "NULL data with a length");
    pc_pkt_init(&pk, buf, sizeof buf);
    cr_assert_eq(pc_push_icmp6(&pk, &(struct pc_icmp6){ .type = PC_ND_ROUTER_SOLICIT, .opts = &huge, .nopts = 1 }),
                 PC_EINVAL, "an option over 2040 bytes");
    static uint8_t big_buf[4096];
    pc_pkt_init(&pk, big_buf, sizeof big_buf);
    cr_assert_eq(pc_push_icmp6(&pk, &(struct pc_icmp6){ .type = PC_ND_ROUTER_SOLICIT, .opts = &big, .nopts = 1 }), 0);
    cr_assert_eq(pc_pkt_finalize(&pk), 8 + 2040);
    cr_assert_eq(big_buf[9], 255);
    pc_pkt_init(&pk, buf, sizeof buf);
    cr_assert_eq(pc_push_icmp6(&pk, &(struct pc_icmp6){ .type = PC_ND_ROUTER_SOLICIT, .rest_mode = PC_ICMP6_REST_RAW,
                                                        .opts = &mtu, .nopts = 1 }),
                 PC_EINVAL, "options in raw mode");
    pc_pkt_init(&pk, buf, sizeof buf);
    cr_assert_eq(pc_push_icmp6(&pk, &(struct pc_icmp6){ .rest_mode = 9 }), PC_EINVAL);
    pc_pkt_init(&pk, buf, sizeof buf);
    cr_assert_eq(pc_push_icmp6_quote(&pk, (const uint8_t *)"\x45", 1, 0), PC_EINVAL);
    uint8_t v4[40] = { 0x45 };
    pc_pkt_init(&pk, buf, sizeof buf);
    cr_assert_eq(pc_push_icmp6_quote(&pk, v4, 40, 0), PC_EINVAL, "an IPv4 header is not an IPv6 packet");
    pc_pkt_init(&pk, buf, sizeof buf);
    cr_assert_eq(pc_push_icmp6_quote_frame(&pk, v4, 40, PC_LINK_RAW, 0), PC_EINVAL);
    /* RAW: any type, an 8-byte header. */
    pc_pkt_init(&pk, th_poison(buf, sizeof buf), sizeof buf);
    pc_push_icmp6(&pk, &(struct pc_icmp6){ .type = PC_ND_NEIGHBOR_SOLICIT, .rest_mode = PC_ICMP6_REST_RAW,
                                           .rest = 0xCAFEF00Du, .csum = PC_PIN(0) });
    th_expect_hex(buf, pc_pkt_finalize(&pk), "87000000cafef00d");
}

/* ---- rejection ---- */

static void set_ip6_plen(uint8_t *b, uint16_t plen) { pc_put16(b + 14 + 4, plen); }

static void ed6_echo_4(uint8_t *b, size_t n) { (void)n; set_ip6_plen(b, 4); }
static void ed6_ra_12(uint8_t *b, size_t n) { (void)n; set_ip6_plen(b, 12); }
static void ed6_ns_20(uint8_t *b, size_t n) { (void)n; set_ip6_plen(b, 20); }
static void ed6_na_16(uint8_t *b, size_t n) { (void)n; set_ip6_plen(b, 16); }
static void ed6_rd_36(uint8_t *b, size_t n) { (void)n; set_ip6_plen(b, 36); }
static void ed6_optlen_0(uint8_t *b, size_t n) { (void)n; b[14 + 40 + 24 + 1] = 0; }
static void ed6_optlen_2(uint8_t *b, size_t n) { (void)n; b[14 + 40 + 24 + 1] = 2; }
static void ed6_opt_tail(uint8_t *b, size_t n) { (void)n; set_ip6_plen(b, 12); } /* RS: 4 bytes of an option */
static void ed6_ra_cut_prefix(uint8_t *b, size_t n) { (void)n; set_ip6_plen(b, 60); }
static void ed6_prefix_3(uint8_t *b, size_t n) { (void)n; b[14 + 40 + 16 + 16 + 1] = 3; }
static void ed6_mtu_2(uint8_t *b, size_t n) { (void)n; b[14 + 40 + 16 + 8 + 1] = 2; }
static void ed6_no_quote(uint8_t *b, size_t n) { (void)n; set_ip6_plen(b, 8); }
static void ed6_quote_39(uint8_t *b, size_t n) { (void)n; set_ip6_plen(b, 8 + 39); }

static void expect_v6_bad(const char *hex, void (*edit)(uint8_t *b, size_t n), int layer, const char *why)
{
    expect_v4_bad(hex, edit, PC_EMALFORMED, layer, PC_LF_MALFORMED, why);
}

TestSuite(icmp6_reject, .timeout = 1800);

Test(icmp6_reject, every_length_too_small_and_too_large)
{
    expect_v6_bad(V6_ECHO, ed6_echo_4, 2, "icmp6 message shorter than 8 bytes");
    expect_v6_bad(V6_RA, ed6_ra_12, 2, "icmp6 router advertisement shorter than 16 bytes");
    expect_v6_bad(V6_NS, ed6_ns_20, 2, "icmp6 neighbor solicitation shorter than 24 bytes");
    expect_v6_bad(V6_NA, ed6_na_16, 2, "icmp6 neighbor advertisement shorter than 24 bytes");
    expect_v6_bad(V6_REDIRECT, ed6_rd_36, 2, "icmp6 redirect shorter than 40 bytes");
    expect_v6_bad(V6_NS, ed6_optlen_0, 2, "nd option length 0");
    expect_v6_bad(V6_NS, ed6_optlen_2, 2, "nd option runs past the message");
    expect_v6_bad(V6_RS, ed6_opt_tail, 2, "nd option runs past the message");
    expect_v6_bad(V6_RA, ed6_ra_cut_prefix, 2, "nd option runs past the message");
    expect_v6_bad(V6_RA, ed6_prefix_3, 2, "nd prefix information option length not 4");
    expect_v6_bad(V6_RA, ed6_mtu_2, 2, "nd mtu option length not 1");
    expect_v6_bad(V6_UNREACH, ed6_no_quote, 2, "icmp6 error without the quoted packet");
    expect_v6_bad(V6_UNREACH, ed6_quote_39, 3, "quoted packet shorter than an ipv6 header");
}

/* The quoted packet's own oddities are notes, not errors of the packet. */
Test(icmp6_reject, quoted_oddities_are_notes)
{
    uint8_t b[4096];
    struct pc_decoded d;
    size_t n = th_unhex(V6_PARAMPROB, b, sizeof b);
    b[62] = 0x40; /* quoted version 4 */
    cr_assert_eq(pc_decode(&d, b, (uint32_t)n, (uint32_t)n, PC_LINK_ETHERNET), 0);
    cr_assert_str_eq(d.l[3].why, "quoted ipv6 version is not 6");
    n = th_unhex(V6_PARAMPROB, b, sizeof b);
    pc_put16(b + 62 + 4, 1); /* quoted payload length 1, 17 bytes quoted after its header */
    cr_assert_eq(pc_decode(&d, b, (uint32_t)n, (uint32_t)n, PC_LINK_ETHERNET), 0);
    cr_assert_str_eq(d.l[3].why, "quote goes past the quoted payload length");
    cr_assert_eq(d.l[4].proto, PC_P_PAYLOAD, "the 1-byte hop-by-hop remnant is quoted payload");
}

TestSuite(icmp6_trunc, .timeout = 1800);

Test(icmp6_trunc, every_cut_under_guard_page)
{
    truncations(V6_FIXED, NV6, PC_LINK_ETHERNET, 0);
    const char *tb[] = { v6_toobig() };
    truncations(tb, 1, PC_LINK_ETHERNET, 0);
    truncations(V6_FIXED, NV6, PC_LINK_IPV6, 14);
}

/* ====================================================== random round trips */

/* An independent one's-complement checksum (RFC 1071), not lib/checksum.c. */
static uint16_t ref_csum(uint32_t s) { return (uint16_t)~th_ref_fold(s); }

/* The checksum a message should carry: summed with its checksum field as
 * zero, plus the IPv6 pseudo-header when ip6 is given. */
static uint16_t ref_icmp_csum(const uint8_t *m, size_t len, const uint8_t *src6, const uint8_t *dst6)
{
    uint32_t s = 0;
    if (src6) {
        s = th_ref_sum(src6, 16, s);
        s = th_ref_sum(dst6, 16, s);
        s += (uint32_t)(len >> 16) + (uint32_t)(len & 0xFFFF) + 58;
    }
    s = th_ref_sum(m, 2, s);
    s = th_ref_sum(m + 4, len - 4, s);
    return ref_csum(s);
}

static uint32_t rnd(struct pc_rng *r, uint32_t n) { return (uint32_t)pc_rng_below(r, n); }
static void rbytes(struct pc_rng *r, uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++) p[i] = (uint8_t)pc_rng_next(r);
}
/* Mostly random, sometimes the edges. */
static uint32_t r32e(struct pc_rng *r)
{
    switch (rnd(r, 12)) {
    case 0: return 0;
    case 1: return 0xFFFFFFFFu;
    case 2: return 1;
    default: return (uint32_t)pc_rng_next(r);
    }
}
static uint16_t r16e(struct pc_rng *r) { return (uint16_t)r32e(r); }

/* Ports a tshark run must not map to an application protocol (filled by
 * the tshark tests; empty otherwise). */
static struct th_ports TP;
static uint16_t pick_port(struct pc_rng *r, const uint8_t *taken) { return th_port_pick(r, taken, NULL, 25536); }

/* The datagram an error quotes, with what its headers say. */
struct orig {
    int v6;
    uint8_t b[1600];
    size_t len;
    uint8_t src[16], dst[16];
    uint8_t proto;       /* transport */
    uint16_t sport, dport;
    int ports;           /* TCP or UDP */
    uint32_t l4off;      /* offset of the transport header */
};

static void rand_orig(struct pc_rng *r, struct orig *o, int v6, int tshark)
{
    memset(o, 0, sizeof *o);
    o->v6 = v6;
    uint32_t kind = rnd(r, 4);
    /* A protocol nobody decodes needs its number pinned in the header. */
    uint8_t rawproto = tshark ? 253 : (uint8_t)(200 + rnd(r, 50));
    pc_field nh = kind == 3 ? PC_PIN(rawproto) : (pc_field){ 0 };
    struct pc_pkt pk;
    pc_pkt_init(&pk, o->b, sizeof o->b);
    if (v6) {
        int ext = rnd(r, 4) == 0;
        struct pc_ipv6 ip = { .hlim = (uint8_t)rnd(r, 256), .tclass = (uint8_t)rnd(r, 256), .flowlabel = rnd(r, 1u << 20),
                              .nh = ext ? (pc_field){ 0 } : nh };
        rbytes(r, ip.src, 16);
        rbytes(r, ip.dst, 16);
        ip.src[0] = ip.dst[0] = 0x20; /* global unicast */
        pc_push_ipv6(&pk, &ip);
        memcpy(o->src, ip.src, 16);
        memcpy(o->dst, ip.dst, 16);
        static const uint8_t padn[] = { 1, 4, 0, 0, 0, 0 };
        if (ext) pc_push_ip6ext(&pk, &(struct pc_ip6ext){ .type = PC_P_IP6_DEST, .nh = nh, .opts = padn, .optlen = 6 });
    } else {
        static const uint8_t ra[8] = { 0x94, 4, 0, 0, 1, 0, 0, 0 }; /* router alert, NOP, EOL */
        struct pc_ipv4 ip = { .ttl = (uint8_t)rnd(r, 256), .id = r16e(r), .tos = (uint8_t)(rnd(r, 64) << 2),
                              .flags = rnd(r, 2) ? PC_IP_DF : 0, .proto = nh };
        rbytes(r, ip.src, 4);
        rbytes(r, ip.dst, 4);
        ip.src[0] = ip.dst[0] = (uint8_t)(1 + rnd(r, 223)); /* unicast */
        if (ip.src[0] == 127) ip.src[0] = ip.dst[0] = 10;
        uint32_t k = rnd(r, 3);
        if (k) { ip.opts = ra; ip.optlen = 4 * k; }
        pc_push_ipv4(&pk, &ip);
        memcpy(o->src, ip.src, 4);
        memcpy(o->dst, ip.dst, 4);
    }
    o->l4off = (uint32_t)pk.len;
    uint8_t pay[1400];
    size_t plen = rnd(r, 3) ? rnd(r, 64) : rnd(r, 1300);
    rbytes(r, pay, plen);
    switch (kind) {
    case 0:
        o->proto = PC_IPPROTO_UDP;
        o->sport = pick_port(r, TP.udp);
        o->dport = pick_port(r, TP.udp);
        pc_push_udp(&pk, &(struct pc_udp){ .sport = o->sport, .dport = o->dport });
        o->ports = 1;
        break;
    case 1:
        o->proto = PC_IPPROTO_TCP;
        o->sport = pick_port(r, TP.tcp);
        o->dport = pick_port(r, TP.tcp);
        pc_push_tcp(&pk, &(struct pc_tcp){ .sport = o->sport, .dport = o->dport, .seq = (uint32_t)pc_rng_next(r),
                                           .ack = (uint32_t)pc_rng_next(r), .flags = PC_TCP_ACK, .win = r16e(r) });
        o->ports = 1;
        break;
    case 2:
        if (v6) {
            o->proto = PC_IPPROTO_ICMPV6;
            pc_push_icmp6(&pk, &(struct pc_icmp6){ .type = PC_ICMP6_ECHO_REQUEST, .id = r16e(r), .seq = r16e(r) });
        } else {
            o->proto = PC_IPPROTO_ICMP;
            pc_push_icmp(&pk, &(struct pc_icmp){ .type = PC_ICMP_ECHO, .id = r16e(r), .seq = r16e(r) });
        }
        break;
    default:
        o->proto = rawproto;
        if (plen < 8) plen = 8;
        break;
    }
    pc_push_payload(&pk, pay, plen);
    int n = pc_pkt_finalize(&pk);
    cr_assert_gt(n, 0, "original: %s", pc_strerror(n));
    o->len = (size_t)n;
}

enum { CS_AUTO, CS_PIN, CS_CORRUPT };

struct rspec {
    int v6, link;
    struct pc_eth eth;
    struct pc_ipv4 ip4;
    uint8_t ip4opt[8];
    struct pc_ipv6 ip6;
    int ext6;                 /* a Destination Options header before ICMPv6 */
    struct pc_icmp i4;
    struct pc_icmp6 i6;
    struct pc_nd_opt opts[8];
    uint8_t optdata[8][80];
    size_t nopts;
    int error;
    struct orig o;
    size_t qmax, qlen;        /* the quote asked for, and its expected length */
    uint8_t pay[300];
    size_t plen;
};

static const uint8_t RAW4_BAD[] = { 3, 4, 5, 11, 12, 13, 14, 17, 18 };

static int in_set(uint8_t v, const uint8_t *set, size_t n)
{
    for (size_t k = 0; k < n; k++)
        if (set[k] == v) return 1;
    return 0;
}

static pc_field rand_csum(struct pc_rng *r, int tshark)
{
    uint32_t k = rnd(r, tshark ? 20 : 8);
    if (k == 0) return PC_CORRUPT;
    if (k == 1 && !tshark) return PC_PIN(r16e(r));
    return (pc_field){ 0 };
}

/* Types tshark knows a structure for, which random rest-of-header bytes
 * would break (router advertisement, traceroute, extended echo, ...). */
static const uint8_t TSHARK4_AVOID[] = { 9, 10, 30, 31, 32, 33, 34, 35, 36, 37, 38, 39, 40, 41, 42, 43 };

static void rand_l3(struct pc_rng *r, struct rspec *s, int tshark)
{
    s->link = tshark || rnd(r, 2) ? PC_LINK_ETHERNET : (s->v6 ? PC_LINK_IPV6 : PC_LINK_RAW);
    rbytes(r, s->eth.src, 6);
    rbytes(r, s->eth.dst, 6);
    s->eth.src[0] &= 0xFE;
    s->eth.dst[0] &= 0xFE;
    s->eth.pad = (uint8_t)rnd(r, 2);
    if (s->v6) {
        s->ip6 = (struct pc_ipv6){ .hlim = (uint8_t)rnd(r, 256), .tclass = (uint8_t)rnd(r, 256) };
        rbytes(r, s->ip6.src, 16);
        rbytes(r, s->ip6.dst, 16);
        s->ip6.src[0] = 0x20;
        s->ip6.dst[0] = 0x20;
        s->ext6 = rnd(r, 5) == 0;
    } else {
        s->ip4 = (struct pc_ipv4){ .ttl = (uint8_t)rnd(r, 256), .id = r16e(r), .flags = rnd(r, 2) ? PC_IP_DF : 0 };
        rbytes(r, s->ip4.src, 4);
        rbytes(r, s->ip4.dst, 4);
        s->ip4.src[0] = s->ip4.dst[0] = (uint8_t)(1 + rnd(r, 126));
        if (rnd(r, 5) == 0) {
            static const uint8_t ra[8] = { 0x94, 4, 0, 0, 1, 0, 0, 0 }; /* router alert, NOP, EOL */
            memcpy(s->ip4opt, ra, 8);
            s->ip4.optlen = 4 * (1 + rnd(r, 2));
        }
    }
}

/* Quote mode: 0 the RFC default, 1 an explicit cap, and for IPv4 2 RFC 1812. */
static void rand_quote(struct pc_rng *r, struct rspec *s, int tshark)
{
    s->error = 1;
    rand_orig(r, &s->o, s->v6, tshark);
    size_t tl = s->o.len, hl = s->o.l4off;
    uint32_t mode = rnd(r, 3);
    if (s->v6) {
        size_t used = PC_IPV6_HLEN + (s->ext6 ? 8u : 0u) + PC_ICMP6_HLEN;
        if (mode == 1) {
            s->qmax = PC_IPV6_HLEN + rnd(r, (uint32_t)(tl - PC_IPV6_HLEN + 1));
            s->qlen = s->qmax;
        } else {
            s->qmax = mode ? PC_ICMP6_QUOTE_MAX : 0;
            s->qlen = PC_IPV6_MIN_MTU - used;
        }
    } else {
        size_t used = PC_IPV4_HLEN + s->ip4.optlen + PC_ICMP_HLEN, min = hl + 8;
        if (mode == 0) { s->qmax = PC_ICMP_QUOTE_RFC792; s->qlen = min; }
        else if (mode == 2) { s->qmax = PC_ICMP_QUOTE_RFC1812; s->qlen = 576 - used > min ? 576 - used : min; }
        else { s->qmax = min + (tl > min ? rnd(r, (uint32_t)(tl - min + 1)) : 0); s->qlen = s->qmax; }
    }
    if (s->qlen > tl) s->qlen = tl;
}

static void rand_spec4(struct pc_rng *r, struct rspec *s, int tshark)
{
    memset(s, 0, sizeof *s);
    rand_l3(r, s, tshark);
    struct pc_icmp *ic = &s->i4;
    ic->csum = rand_csum(r, tshark);
    ic->id = r16e(r);
    ic->seq = r16e(r);
    switch (rnd(r, 11)) {
    case 0: ic->type = rnd(r, 2) ? PC_ICMP_ECHO : PC_ICMP_ECHOREPLY; ic->code = tshark || rnd(r, 4) ? 0 : (uint8_t)rnd(r, 256); break;
    case 1:
        ic->type = PC_ICMP_UNREACH;
        ic->code = (uint8_t)rnd(r, 16);
        ic->mtu = ic->code == PC_ICMP_UNREACH_NEEDFRAG ? r16e(r) : 0;
        break;
    case 2: ic->type = PC_ICMP_SOURCEQUENCH; ic->id = ic->seq = 0; break;
    case 3: ic->type = PC_ICMP_REDIRECT; ic->code = (uint8_t)rnd(r, 4); rbytes(r, ic->gw, 4); break;
    case 4: ic->type = PC_ICMP_TIMXCEED; ic->code = (uint8_t)rnd(r, 2); break;
    case 5: ic->type = PC_ICMP_PARAMPROB; ic->code = (uint8_t)rnd(r, 3); ic->pointer = (uint8_t)rnd(r, 256); break;
    case 6:
        ic->type = rnd(r, 2) ? PC_ICMP_TSTAMP : PC_ICMP_TSTAMPREPLY;
        ic->ts_orig = r32e(r);
        ic->ts_recv = r32e(r);
        ic->ts_xmit = r32e(r);
        break;
    case 7: ic->type = rnd(r, 2) ? PC_ICMP_MASKREQ : PC_ICMP_MASKREPLY; ic->mask = r32e(r); break;
    case 8: ic->type = rnd(r, 2) ? PC_ICMP_IREQ : PC_ICMP_IREQREPLY; break;
    case 9:
        ic->rest_mode = PC_ICMP_REST_RAW;
        ic->rest = r32e(r);
        do ic->type = (uint8_t)rnd(r, 256);
        while (in_set(ic->type, RAW4_BAD, sizeof RAW4_BAD) ||
               (tshark && (in_set(ic->type, TSHARK4_AVOID, sizeof TSHARK4_AVOID) || ic->type == 0 || ic->type == 8 ||
                           (ic->type >= 15 && ic->type <= 16))));
        ic->code = (uint8_t)rnd(r, 256);
        break;
    default: ic->type = PC_ICMP_ROUTERSOLICIT; ic->id = ic->seq = 0; break;
    }
    if (pc_icmp_is_error(ic->type) && ic->rest_mode == PC_ICMP_REST_AUTO) {
        rand_quote(r, s, tshark);
    } else {
        s->plen = rnd(r, 4) ? rnd(r, 200) : 0;
        rbytes(r, s->pay, s->plen);
    }
}

/* Wire size of an option spec, worked out here from RFC 4861 4.6. */
static size_t spec_opt_size(const struct pc_nd_opt *o)
{
    size_t n;
    switch (o->type) {
    case PC_ND_OPT_PREFIX: n = 32; break;
    case PC_ND_OPT_REDIRECTED: n = 8 + o->dlen; break;
    case PC_ND_OPT_SRC_LLADDR: case PC_ND_OPT_TGT_LLADDR: case PC_ND_OPT_MTU: n = 8; break;
    default: n = 2 + o->dlen; break;
    }
    return (n + 7) / 8 * 8;
}

/* Options for an ND message: the kinds its type may carry. */
static void rand_nd_opts(struct pc_rng *r, struct rspec *s, int tshark)
{
    uint8_t t = s->i6.type;
    uint8_t ll = t == PC_ND_NEIGHBOR_ADVERT || t == PC_ND_REDIRECT ? PC_ND_OPT_TGT_LLADDR : PC_ND_OPT_SRC_LLADDR;
    if (rnd(r, 3)) {
        struct pc_nd_opt *o = &s->opts[s->nopts++];
        *o = (struct pc_nd_opt){ .type = ll };
        rbytes(r, o->lladdr, 6);
    }
    if (t == PC_ND_ROUTER_ADVERT) {
        if (rnd(r, 2)) s->opts[s->nopts++] = (struct pc_nd_opt){ .type = PC_ND_OPT_MTU, .mtu = r32e(r) };
        for (uint32_t k = rnd(r, 3); k > 0; k--) {
            struct pc_nd_opt *o = &s->opts[s->nopts++];
            *o = (struct pc_nd_opt){ .type = PC_ND_OPT_PREFIX, .prefix_len = (uint8_t)rnd(r, 129),
                                     .prefix_flags = (uint8_t)(rnd(r, 4) << 6), .valid_lifetime = r32e(r),
                                     .preferred_lifetime = r32e(r) };
            rbytes(r, o->prefix, 16);
            o->prefix[0] = 0x20;
        }
    }
    if (t == PC_ND_REDIRECT && rnd(r, 2)) {
        /* The start of a real packet, as a redirecting router sends.  For
         * tshark a multiple of 8 bytes: it calls the zero padding after a
         * whole redirected packet "Unknown Data (not interpreted)", a
         * malformation. */
        struct orig o;
        rand_orig(r, &o, 1, tshark);
        size_t n = PC_IPV6_HLEN + 8 + rnd(r, 25);
        if (n > o.len) n = o.len;
        if (tshark) n &= ~(size_t)7;
        size_t k = s->nopts;
        memcpy(s->optdata[k], o.b, n);
        s->opts[s->nopts++] = (struct pc_nd_opt){ .type = PC_ND_OPT_REDIRECTED, .data = s->optdata[k], .dlen = n };
    }
    if (!tshark && rnd(r, 4) == 0) {
        size_t k = s->nopts, n = rnd(r, 40);
        rbytes(r, s->optdata[k], n);
        s->opts[s->nopts++] = (struct pc_nd_opt){ .type = (uint8_t)(100 + rnd(r, 100)), .data = s->optdata[k], .dlen = n };
    }
    /* Sometimes the option length pinned to the right value: it stays. */
    for (size_t k = 0; k < s->nopts; k++)
        if (!tshark && rnd(r, 8) == 0) s->opts[k].len = PC_PIN(spec_opt_size(&s->opts[k]) / 8);
    s->i6.opts = s->nopts ? s->opts : NULL;
    s->i6.nopts = s->nopts;
}

static void rand_spec6(struct pc_rng *r, struct rspec *s, int tshark)
{
    memset(s, 0, sizeof *s);
    s->v6 = 1;
    rand_l3(r, s, tshark);
    struct pc_icmp6 *ic = &s->i6;
    ic->csum = rand_csum(r, tshark);
    uint32_t k = rnd(r, 11);
    switch (k) {
    case 0: ic->type = rnd(r, 2) ? PC_ICMP6_ECHO_REQUEST : PC_ICMP6_ECHO_REPLY; ic->id = r16e(r); ic->seq = r16e(r); break;
    case 1: ic->type = PC_ICMP6_DST_UNREACH; ic->code = (uint8_t)rnd(r, 8); break;
    case 2: ic->type = PC_ICMP6_PACKET_TOO_BIG; ic->mtu = r32e(r); break;
    case 3: ic->type = PC_ICMP6_TIME_EXCEEDED; ic->code = (uint8_t)rnd(r, 2); break;
    case 4: ic->type = PC_ICMP6_PARAM_PROB; ic->code = (uint8_t)rnd(r, 3); ic->pointer = r32e(r); break;
    case 5: ic->type = PC_ND_ROUTER_SOLICIT; break;
    case 6:
        ic->type = PC_ND_ROUTER_ADVERT;
        ic->cur_hop_limit = (uint8_t)rnd(r, 256);
        ic->flags = (uint8_t)((rnd(r, 8) << 5) | (rnd(r, 2) ? PC_ND_RA_PRF_HIGH : rnd(r, 2) ? PC_ND_RA_PRF_LOW : 0));
        ic->router_lifetime = r16e(r);
        ic->reachable_time = r32e(r);
        ic->retrans_timer = r32e(r);
        break;
    case 7: ic->type = PC_ND_NEIGHBOR_SOLICIT; break;
    case 8: ic->type = PC_ND_NEIGHBOR_ADVERT; ic->flags = (uint8_t)(rnd(r, 8) << 5); break;
    case 9: ic->type = PC_ND_REDIRECT; break;
    default:
        ic->rest_mode = PC_ICMP6_REST_RAW;
        ic->rest = r32e(r);
        ic->type = (uint8_t)(tshark ? 5 + rnd(r, 95) : (rnd(r, 2) ? 5 + rnd(r, 123) : 160 + rnd(r, 96)));
        ic->code = (uint8_t)rnd(r, 256);
        break;
    }
    rbytes(r, ic->target, 16);
    rbytes(r, ic->dst, 16);
    ic->target[0] = 0x20;
    ic->dst[0] = 0x20;
    if (rnd(r, 2)) { ic->target[0] = 0xfe; ic->target[1] = 0x80; memset(ic->target + 2, 0, 6); }
    if (pc_icmp6_is_nd(ic->type) && !ic->rest_mode) {
        s->ip6.hlim = 255;
        rand_nd_opts(r, s, tshark);
    } else if (pc_icmp6_is_error(ic->type)) {
        rand_quote(r, s, tshark);
    } else {
        s->plen = rnd(r, 4) ? rnd(r, 200) : 0;
        rbytes(r, s->pay, s->plen);
    }
}

/* Build s into buf; returns the frame length. */
static int build_spec(const struct rspec *s, uint8_t *buf, size_t cap)
{
    struct pc_pkt pk;
    pc_pkt_init(&pk, buf, cap);
    if (s->link == PC_LINK_ETHERNET) pc_push_eth(&pk, &s->eth);
    if (s->v6) {
        pc_push_ipv6(&pk, &s->ip6);
        static const uint8_t padn[] = { 1, 4, 0, 0, 0, 0 };
        if (s->ext6) pc_push_ip6ext(&pk, &(struct pc_ip6ext){ .type = PC_P_IP6_DEST, .opts = padn, .optlen = 6 });
        cr_assert_eq(pc_push_icmp6(&pk, &s->i6), 0);
        if (s->error) cr_assert_eq(pc_push_icmp6_quote(&pk, s->o.b, s->o.len, s->qmax), 0);
    } else {
        struct pc_ipv4 ip = s->ip4;
        ip.opts = ip.optlen ? s->ip4opt : NULL;
        pc_push_ipv4(&pk, &ip);
        cr_assert_eq(pc_push_icmp(&pk, &s->i4), 0);
        if (s->error) cr_assert_eq(pc_push_icmp_quote(&pk, s->o.b, s->o.len, s->qmax), 0);
    }
    if (!s->error && s->plen) pc_push_payload(&pk, s->pay, s->plen);
    int n = pc_pkt_finalize(&pk);
    cr_assert_gt(n, 0, "finalize: %s", pc_strerror(n));
    return n;
}

/* Bytes 4..7 an ICMPv4 spec should produce (the table in icmp.h). */
static uint32_t expect_rest4(const struct pc_icmp *ic)
{
    if (ic->rest_mode == PC_ICMP_REST_RAW) return ic->rest;
    switch (ic->type) {
    case PC_ICMP_UNREACH: return ic->mtu;
    case PC_ICMP_REDIRECT: return pc_get32(ic->gw);
    case PC_ICMP_TIMXCEED: return 0;
    case PC_ICMP_PARAMPROB: return (uint32_t)ic->pointer << 24;
    default: return (uint32_t)ic->id << 16 | ic->seq;
    }
}

static void check_fields4(const struct rspec *s, const uint8_t *h, const struct pc_layer *l, const char *ctx)
{
    const struct pc_icmp *ic = &s->i4;
    cr_assert_eq(pc_icmp_type(h), ic->type, "%s: type", ctx);
    cr_assert_eq(pc_icmp_code(h), ic->code, "%s: code", ctx);
    cr_assert_eq(pc_icmp_rest(h), expect_rest4(ic), "%s: rest of header 0x%08x", ctx, pc_icmp_rest(h));
    uint32_t hl = ic->rest_mode ? PC_ICMP_HLEN : pc_icmp_hdr_len(ic->type);
    cr_assert_eq(l->hlen, hl, "%s: hlen %u", ctx, l->hlen);
    if (hl == PC_ICMP_TSTAMP_HLEN) {
        cr_assert_eq(pc_icmp_ts_orig(h), ic->ts_orig, "%s", ctx);
        cr_assert_eq(pc_icmp_ts_recv(h), ic->ts_recv, "%s", ctx);
        cr_assert_eq(pc_icmp_ts_xmit(h), ic->ts_xmit, "%s", ctx);
    }
    if (hl == PC_ICMP_MASK_HLEN) cr_assert_eq(pc_icmp_mask(h), ic->mask, "%s", ctx);
}

/* Option k of the message against its spec. */
static void check_opt(const struct pc_nd_opt *o, const uint8_t *p, const char *ctx, size_t k)
{
    size_t sz = spec_opt_size(o);
    cr_assert_eq(pc_nd_opt_type(p), o->type, "%s: option %zu type", ctx, k);
    cr_assert_eq(pc_nd_opt_len(p) * 8u, sz, "%s: option %zu length", ctx, k);
    size_t body = 2;
    switch (o->type) {
    case PC_ND_OPT_SRC_LLADDR: case PC_ND_OPT_TGT_LLADDR:
        cr_assert(memcmp(pc_nd_opt_lladdr(p), o->lladdr, 6) == 0, "%s: option %zu lladdr", ctx, k);
        body = 8;
        break;
    case PC_ND_OPT_PREFIX:
        cr_assert_eq(pc_nd_opt_prefix_len(p), o->prefix_len, "%s", ctx);
        cr_assert_eq(pc_nd_opt_prefix_flags(p), o->prefix_flags, "%s", ctx);
        cr_assert_eq(pc_nd_opt_valid(p), o->valid_lifetime, "%s", ctx);
        cr_assert_eq(pc_nd_opt_preferred(p), o->preferred_lifetime, "%s", ctx);
        cr_assert_eq(pc_get32(p + 12), 0, "%s: reserved2", ctx);
        cr_assert(memcmp(pc_nd_opt_prefix(p), o->prefix, 16) == 0, "%s: prefix", ctx);
        body = 32;
        break;
    case PC_ND_OPT_MTU:
        cr_assert_eq(pc_get16(p + 2), 0, "%s", ctx);
        cr_assert_eq(pc_nd_opt_mtu(p), o->mtu, "%s: mtu", ctx);
        body = 8;
        break;
    case PC_ND_OPT_REDIRECTED:
        for (int j = 2; j < 8; j++) cr_assert_eq(p[j], 0, "%s: reserved", ctx);
        cr_assert(memcmp(p + 8, o->data, o->dlen) == 0, "%s: redirected packet", ctx);
        body = 8 + o->dlen;
        break;
    default:
        cr_assert(memcmp(p + 2, o->data, o->dlen) == 0, "%s: option data", ctx);
        body = 2 + o->dlen;
        break;
    }
    for (size_t j = body; j < sz; j++) cr_assert_eq(p[j], 0, "%s: option %zu padding", ctx, k);
}

static void check_fields6(const struct rspec *s, const uint8_t *h, const struct pc_layer *l, uint32_t mlen,
                          const char *ctx)
{
    const struct pc_icmp6 *ic = &s->i6;
    cr_assert_eq(pc_icmp6_type(h), ic->type, "%s: type", ctx);
    cr_assert_eq(pc_icmp6_code(h), ic->code, "%s: code", ctx);
    if (ic->rest_mode) {
        cr_assert_eq(pc_icmp6_rest(h), ic->rest, "%s", ctx);
        cr_assert_eq(l->hlen, 8, "%s", ctx);
        return;
    }
    switch (ic->type) {
    case PC_ICMP6_DST_UNREACH: case PC_ICMP6_TIME_EXCEEDED: case PC_ND_ROUTER_SOLICIT: case PC_ND_NEIGHBOR_SOLICIT:
    case PC_ND_REDIRECT:
        cr_assert_eq(pc_icmp6_rest(h), 0, "%s: reserved", ctx);
        break;
    case PC_ICMP6_PACKET_TOO_BIG: cr_assert_eq(pc_icmp6_mtu(h), ic->mtu, "%s", ctx); break;
    case PC_ICMP6_PARAM_PROB: cr_assert_eq(pc_icmp6_pointer(h), ic->pointer, "%s", ctx); break;
    case PC_ND_ROUTER_ADVERT:
        cr_assert_eq(pc_nd_ra_hoplimit(h), ic->cur_hop_limit, "%s", ctx);
        cr_assert_eq(pc_nd_ra_flags(h), ic->flags, "%s", ctx);
        cr_assert_eq(pc_nd_ra_lifetime(h), ic->router_lifetime, "%s", ctx);
        cr_assert_eq(pc_nd_ra_reachable(h), ic->reachable_time, "%s", ctx);
        cr_assert_eq(pc_nd_ra_retrans(h), ic->retrans_timer, "%s", ctx);
        break;
    case PC_ND_NEIGHBOR_ADVERT: cr_assert_eq(pc_icmp6_rest(h), (uint32_t)ic->flags << 24, "%s", ctx); break;
    default:
        cr_assert_eq(pc_icmp6_id(h), ic->id, "%s", ctx);
        cr_assert_eq(pc_icmp6_seq(h), ic->seq, "%s", ctx);
        break;
    }
    uint32_t fixed = pc_icmp6_hdr_len(ic->type);
    if (ic->type == PC_ND_NEIGHBOR_SOLICIT || ic->type == PC_ND_NEIGHBOR_ADVERT || ic->type == PC_ND_REDIRECT)
        cr_assert(memcmp(pc_nd_target(h), ic->target, 16) == 0, "%s: target", ctx);
    if (ic->type == PC_ND_REDIRECT) cr_assert(memcmp(pc_nd_redirect_dst(h), ic->dst, 16) == 0, "%s: dst", ctx);
    if (!pc_icmp6_is_nd(ic->type)) { cr_assert_eq(l->hlen, fixed, "%s", ctx); return; }
    cr_assert_eq(l->hlen, mlen, "%s: the options are part of the header", ctx);
    const uint8_t *p = h + fixed;
    for (size_t k = 0; k < s->nopts; k++) {
        check_opt(&s->opts[k], p, ctx, k);
        p += spec_opt_size(&s->opts[k]);
    }
    cr_assert_eq((uint32_t)(p - h), mlen, "%s: option bytes", ctx);
    cr_assert_eq(pc_nd_opts_walk(h + fixed, mlen - fixed, NULL, NULL), 0, "%s", ctx);
}

static void check_quote(const struct rspec *s, const struct pc_decoded *d, int i, const char *ctx)
{
    const struct orig *o = &s->o;
    cr_assert_eq(d->l[i].plen, s->qlen, "%s: quote of %u bytes, want %zu", ctx, d->l[i].plen, s->qlen);
    struct pc_icmp_quote q;
    cr_assert_eq(pc_icmp_quote_info(d, i, &q), s->v6 ? 6 : 4, "%s: quote info", ctx);
    size_t al = s->v6 ? 16 : 4;
    cr_assert(memcmp(q.src, o->src, al) == 0 && memcmp(q.dst, o->dst, al) == 0, "%s: quoted addresses", ctx);
    uint8_t proto = o->proto;
    if (s->v6 && o->l4off > PC_IPV6_HLEN && s->qlen < o->l4off) proto = PC_IPPROTO_DSTOPTS; /* ext not whole */
    cr_assert_eq(q.proto, proto, "%s: quoted proto %u, want %u", ctx, q.proto, proto);
    int ports = o->ports && s->qlen >= o->l4off + 4;
    cr_assert_eq(q.have_ports, ports, "%s: ports", ctx);
    if (ports) cr_assert(q.sport == o->sport && q.dport == o->dport, "%s: quoted ports", ctx);
    const struct pc_layer *ql = &d->l[i + 1];
    cr_assert_eq(ql->flags, PC_LF_QUOTED, "%s: quoted ip flags 0x%x", ctx, ql->flags);
    if (s->v6) {
        cr_assert_eq(ql->proto, PC_P_IPV6, "%s", ctx);
        cr_assert_eq(ql->plen, o->len - PC_IPV6_HLEN, "%s", ctx);
    } else {
        cr_assert_eq(ql->proto, PC_P_IPV4, "%s", ctx);
        cr_assert_eq(ql->hlen, o->l4off, "%s", ctx);
        cr_assert_eq(ql->plen, o->len - o->l4off, "%s", ctx);
        cr_assert_eq(ql->csum, PC_CSUM_GOOD, "%s", ctx);
    }
    for (int k = i + 1; k < d->n; k++) cr_assert(d->l[k].flags & PC_LF_QUOTED, "%s: layer %d not quoted", ctx, k);
}

/* Decode a built frame and compare it with its spec, field by field. */
static void verify_spec(const struct rspec *s, const uint8_t *fr, int n, const char *ctx)
{
    struct pc_decoded d;
    int rc = pc_decode(&d, fr, (uint32_t)n, (uint32_t)n, s->link);
    cr_assert_eq(rc, 0, "%s: decode rc %d (%s)", ctx, rc, d.n ? (d.l[d.n - 1].why ? d.l[d.n - 1].why : "") : "");
    int i = d.l4;
    cr_assert(i >= 0 && d.l[i].proto == (s->v6 ? PC_P_ICMP6 : PC_P_ICMP), "%s: no icmp layer", ctx);
    uint32_t off = (s->link == PC_LINK_ETHERNET ? PC_ETH_HLEN : 0) +
                   (s->v6 ? PC_IPV6_HLEN + (s->ext6 ? 8u : 0u) : PC_IPV4_HLEN + (uint32_t)s->ip4.optlen);
    cr_assert_eq(d.l[i].off, off, "%s: icmp at %u, want %u", ctx, d.l[i].off, off);
    const uint8_t *h = fr + off;
    uint32_t fixed = s->v6 ? (s->i6.rest_mode ? 8 : pc_icmp6_hdr_len(s->i6.type))
                           : (s->i4.rest_mode ? 8 : pc_icmp_hdr_len(s->i4.type));
    uint32_t mlen = fixed + (uint32_t)(s->error ? s->qlen : s->plen);
    for (size_t k = 0; k < s->nopts; k++) mlen += (uint32_t)spec_opt_size(&s->opts[k]);
    cr_assert_eq(d.l[i].hlen + d.l[i].plen, mlen, "%s: message of %u bytes, want %u", ctx, d.l[i].hlen + d.l[i].plen,
                 mlen);
    if (s->v6) check_fields6(s, h, &d.l[i], mlen, ctx);
    else check_fields4(s, h, &d.l[i], ctx);

    pc_field cf = s->v6 ? s->i6.csum : s->i4.csum;
    uint16_t want = ref_icmp_csum(h, mlen, s->v6 ? s->ip6.src : NULL, s->v6 ? s->ip6.dst : NULL);
    uint16_t got = s->v6 ? pc_icmp6_csum(h) : pc_icmp_csum(h);
    if (cf.mode == PC_FAUTO) {
        cr_assert_eq(got, want, "%s: checksum 0x%04x, want 0x%04x", ctx, got, want);
        cr_assert_eq(d.l[i].csum, PC_CSUM_GOOD, "%s", ctx);
    } else if (cf.mode == PC_FCORRUPT) {
        cr_assert_eq(got, pc_field_csum(PC_CORRUPT, want), "%s: corrupt checksum", ctx);
        cr_assert_eq(d.l[i].csum, PC_CSUM_BAD, "%s: corrupt checksum must come back bad", ctx);
    } else {
        cr_assert_eq(got, (uint16_t)cf.v, "%s: pinned checksum", ctx);
        int same = got == want || (uint16_t)(got ^ want) == 0xFFFF;
        cr_assert_eq(d.l[i].csum, same ? PC_CSUM_GOOD : PC_CSUM_BAD, "%s: pinned checksum status", ctx);
    }
    if (s->error) {
        check_quote(s, &d, i, ctx);
    } else if (!pc_icmp6_is_nd(s->v6 ? s->i6.type : 0) || (s->v6 && s->i6.rest_mode)) {
        cr_assert_eq(d.n, i + 1 + (s->plen > 0), "%s: layers", ctx);
        if (s->plen) cr_assert_eq(d.l[i + 1].plen, s->plen, "%s: payload", ctx);
    }
    cr_assert_neq(describe(&d, i, false)[0], 0);
    cr_assert_neq(describe(&d, i, true)[0], 0);
}

/* A random cut of the same frame under a guard page: a truncation, never
 * a malformation, never a read past the end. */
static void verify_cut(struct pc_rng *r, const struct rspec *s, const uint8_t *fr, int n, const char *ctx)
{
    size_t cut = rnd(r, (uint32_t)n + 1);
    struct th_guard g;
    const uint8_t *p = th_guard_copy(&g, fr, cut);
    struct pc_decoded d;
    int rc = pc_decode(&d, p, (uint32_t)cut, (uint32_t)n, s->link);
    cr_assert(rc == 0 || rc == PC_ETRUNC, "%s: cut %zu: rc %d", ctx, cut, rc);
    for (int i = 0; i < d.n; i++)
        if (d.l[i].proto == PC_P_ICMP || d.l[i].proto == PC_P_ICMP6) {
            describe(&d, i, false);
            describe(&d, i, true);
        }
    th_guard_free(&g);
}

#define N_RANDOM 4000

static void random_round_trip(int v6, uint64_t seed)
{
    struct pc_rng r;
    pc_rng_seed(&r, seed);
    static struct rspec s;
    static uint8_t fr[4096];
    unsigned errors = 0, nd = 0, pinned = 0, corrupt = 0;
    for (unsigned it = 0; it < N_RANDOM; it++) {
        if (v6) rand_spec6(&r, &s, 0);
        else rand_spec4(&r, &s, 0);
        char ctx[96];
        snprintf(ctx, sizeof ctx, "seed 0x%llx packet %u type %u", (unsigned long long)seed, it,
                 v6 ? s.i6.type : s.i4.type);
        int n = build_spec(&s, fr, sizeof fr);
        verify_spec(&s, fr, n, ctx);
        verify_cut(&r, &s, fr, n, ctx);
        errors += (unsigned)s.error;
        nd += v6 && pc_icmp6_is_nd(s.i6.type) && !s.i6.rest_mode;
        pc_field cf = v6 ? s.i6.csum : s.i4.csum;
        pinned += cf.mode == PC_FPIN;
        corrupt += cf.mode == PC_FCORRUPT;
    }
    cr_log_info("icmp%s random: %u packets (%u errors with quotes, %u ND, %u pinned, %u corrupt checksums)",
                v6 ? "6" : "", N_RANDOM, errors, nd, pinned, corrupt);
    cr_assert_gt(errors, N_RANDOM / 4);
    cr_assert_gt(pinned, 100);
    cr_assert_gt(corrupt, 100);
}

TestSuite(icmp_random, .timeout = 1800);

Test(icmp_random, v4_round_trip) { random_round_trip(0, UINT64_C(0x1C3F4A0001)); }
Test(icmp_random, v6_round_trip) { random_round_trip(1, UINT64_C(0x1C3F4A0006)); }

/* ========================================================== libnet oracle */

/* libnet 1.1.6 builds the same messages (LIBNET_NONE context, bytes taken
 * with libnet_pblock_coalesce): ICMPv4 unreachable, time exceeded,
 * redirect, timestamp and address mask; ICMPv6 echo, unreachable,
 * neighbour solicitation and advertisement with ND options.  Each random
 * message is built by both and the frames must be identical, except for
 * these divergences, asserted exactly:
 *   - libnet_build_icmpv4_unreach has no next-hop MTU argument (RFC 1191):
 *     its bytes 6..7 are always 0 (and its checksum covers that 0);
 *   - with an IPv6 extension header before ICMPv6, libnet sums the whole
 *     IPv6 payload (extension header included, pseudo-header length = the
 *     payload length, next header 58) as if it were the ICMPv6 message,
 *     writes that sum at byte 2 of the extension header (over its option
 *     bytes) and leaves the ICMPv6 checksum 0.
 * libnet has no builder for router solicitation / advertisement, redirect,
 * packet too big, time exceeded or parameter problem in ICMPv6 (only the
 * four above); ICMPv6 traffic class and flow label are left 0 because
 * libnet_build_ipv6 mangles them (not an ICMP matter). */

static libnet_t *g_ln;

static void ln_close(void) { th_ln_close(&g_ln); }

TestSuite(icmp_libnet, .fini = ln_close, .timeout = 1800);

Test(icmp_libnet, icmpv4_errors_and_queries)
{
    const uint64_t seed = UINT64_C(0x1C3F4A11BE04);
    struct pc_rng r;
    pc_rng_seed(&r, seed);
    libnet_t *l = th_ln_open(&g_ln);
    static struct rspec s;
    static uint8_t pcb[4096], lnb[4096];
    unsigned count[5] = { 0 }, mtu_div = 0;
    for (unsigned it = 0; it < 3000; it++) {
        char ctx[80];
        snprintf(ctx, sizeof ctx, "seed 0x%llx packet %u", (unsigned long long)seed, it);
        memset(&s, 0, sizeof s);
        rand_l3(&r, &s, 1); /* Ethernet, IPv4 without options */
        s.ip4.optlen = 0;
        s.eth.pad = 0;
        struct pc_icmp *ic = &s.i4;
        uint32_t kind = rnd(&r, 5);
        count[kind]++;
        switch (kind) {
        case 0:
            ic->type = PC_ICMP_UNREACH;
            ic->code = (uint8_t)rnd(&r, 16);
            if (ic->code == PC_ICMP_UNREACH_NEEDFRAG && rnd(&r, 2)) ic->mtu = (uint16_t)(1 + rnd(&r, 65535));
            break;
        case 1: ic->type = PC_ICMP_TIMXCEED; ic->code = (uint8_t)rnd(&r, 2); break;
        case 2: ic->type = PC_ICMP_REDIRECT; ic->code = (uint8_t)rnd(&r, 4); rbytes(&r, ic->gw, 4); break;
        case 3:
            ic->type = rnd(&r, 2) ? PC_ICMP_TSTAMP : PC_ICMP_TSTAMPREPLY;
            ic->id = r16e(&r);
            ic->seq = r16e(&r);
            ic->ts_orig = r32e(&r);
            ic->ts_recv = r32e(&r);
            ic->ts_xmit = r32e(&r);
            break;
        default:
            ic->type = rnd(&r, 2) ? PC_ICMP_MASKREQ : PC_ICMP_MASKREPLY;
            ic->id = r16e(&r);
            ic->seq = r16e(&r);
            ic->mask = r32e(&r);
            break;
        }
        const uint8_t *pay;
        size_t plen;
        if (kind < 3) {
            rand_quote(&r, &s, 0);
            pay = s.o.b;
            plen = s.qlen;
        } else {
            s.plen = rnd(&r, 4) ? 0 : rnd(&r, 100);
            rbytes(&r, s.pay, s.plen);
            pay = s.pay;
            plen = s.plen;
        }
        int n = build_spec(&s, pcb, sizeof pcb);

        uint8_t *lp = plen ? (uint8_t *)pay : NULL;
        uint32_t ls = (uint32_t)plen;
        size_t hl = pc_icmp_hdr_len(ic->type);
        switch (kind) {
        case 0: th_ln_ok(l, libnet_build_icmpv4_unreach(ic->type, ic->code, 0, lp, ls, l, 0), "unreach"); break;
        case 1: th_ln_ok(l, libnet_build_icmpv4_timeexceed(ic->type, ic->code, 0, lp, ls, l, 0), "timeexceed"); break;
        case 2: th_ln_ok(l, libnet_build_icmpv4_redirect(ic->type, ic->code, 0, th_ln_ip4(ic->gw), lp, ls, l, 0), "redirect"); break;
        case 3:
            th_ln_ok(l, libnet_build_icmpv4_timestamp(ic->type, ic->code, 0, ic->id, ic->seq, ic->ts_orig, ic->ts_recv,
                                                      ic->ts_xmit, lp, ls, l, 0), "timestamp");
            break;
        default:
            th_ln_ok(l, libnet_build_icmpv4_mask(ic->type, ic->code, 0, ic->id, ic->seq, ic->mask, lp, ls, l, 0), "mask");
            break;
        }
        th_ln_ok(l, libnet_build_ipv4((uint16_t)(PC_IPV4_HLEN + hl + plen), s.ip4.tos, s.ip4.id,
                                      s.ip4.flags & PC_IP_DF ? IP_DF : 0, s.ip4.ttl, IPPROTO_ICMP, 0, th_ln_ip4(s.ip4.src),
                                      th_ln_ip4(s.ip4.dst), NULL, 0, l, 0), "ipv4");
        th_ln_ok(l, libnet_build_ethernet(s.eth.dst, s.eth.src, ETHERTYPE_IP, NULL, 0, l, 0), "ethernet");
        size_t ln = th_ln_take(l, lnb, sizeof lnb);
        if (ic->mtu) {
            /* The one accepted difference: libnet's bytes 6..7 are 0. */
            uint8_t *h = lnb + 34;
            cr_assert_eq(pc_icmp_mtu(h), 0, "%s: libnet wrote an MTU: the documented divergence no longer holds", ctx);
            cr_assert_eq(pc_icmp_csum(h), ref_icmp_csum(h, ln - 34, NULL, NULL), "%s: libnet checksum", ctx);
            pc_put16(h + 6, ic->mtu);
            fix_icmp_csum(h, ln - 34);
            mtu_div++;
        }
        th_ln_expect_same(pcb, (size_t)n, lnb, ln, "%s", ctx);
    }
    cr_log_info("libnet icmpv4: 3000 identical (%u unreachable, %u time exceeded, %u redirect, %u timestamp, %u mask; "
                "%u with a next-hop MTU libnet cannot write)", count[0], count[1], count[2], count[3], count[4], mtu_div);
    cr_assert_gt(mtu_div, 0);
    ln_close();
}

/* ND options libnet_build_icmpv6_ndp_opt can express: type, then a body
 * that it pads to 8 bytes. */
static size_t ln_opt_body(const struct pc_nd_opt *o, uint8_t *body)
{
    switch (o->type) {
    case PC_ND_OPT_SRC_LLADDR: case PC_ND_OPT_TGT_LLADDR: memcpy(body, o->lladdr, 6); return 6;
    default: memcpy(body, o->data, o->dlen); return o->dlen;
    }
}

Test(icmp_libnet, icmpv6_echo_unreach_ns_na)
{
    const uint64_t seed = UINT64_C(0x1C3F4A11BE06);
    struct pc_rng r;
    pc_rng_seed(&r, seed);
    libnet_t *l = th_ln_open(&g_ln);
    static struct rspec s;
    static uint8_t pcb[4096], lnb[4096];
    unsigned count[4] = { 0 }, ext_div = 0, nopts = 0;
    for (unsigned it = 0; it < 3000; it++) {
        char ctx[80];
        snprintf(ctx, sizeof ctx, "seed 0x%llx packet %u", (unsigned long long)seed, it);
        memset(&s, 0, sizeof s);
        s.v6 = 1;
        rand_l3(&r, &s, 1);
        s.eth.pad = 0;
        s.ip6.tclass = 0;
        s.ip6.flowlabel = 0;
        struct pc_icmp6 *ic = &s.i6;
        uint32_t kind = rnd(&r, 4);
        count[kind]++;
        s.ext6 = kind == 0 && rnd(&r, 8) == 0;
        switch (kind) {
        case 0:
            ic->type = rnd(&r, 2) ? PC_ICMP6_ECHO_REQUEST : PC_ICMP6_ECHO_REPLY;
            ic->id = r16e(&r);
            ic->seq = r16e(&r);
            s.plen = rnd(&r, 4) ? rnd(&r, 120) : 0;
            rbytes(&r, s.pay, s.plen);
            break;
        case 1:
            ic->type = PC_ICMP6_DST_UNREACH;
            ic->code = (uint8_t)rnd(&r, 8);
            s.ext6 = 0;
            rand_quote(&r, &s, 0);
            break;
        default:
            ic->type = kind == 2 ? PC_ND_NEIGHBOR_SOLICIT : PC_ND_NEIGHBOR_ADVERT;
            if (kind == 3) ic->flags = (uint8_t)(rnd(&r, 8) << 5);
            rbytes(&r, ic->target, 16);
            if (rnd(&r, 3)) {
                struct pc_nd_opt *o = &s.opts[s.nopts++];
                *o = (struct pc_nd_opt){ .type = kind == 2 ? PC_ND_OPT_SRC_LLADDR : PC_ND_OPT_TGT_LLADDR };
                rbytes(&r, o->lladdr, 6);
            }
            if (rnd(&r, 3) == 0) { /* e.g. a nonce (RFC 3971) of odd size: padding */
                size_t k = s.nopts, dl = rnd(&r, 30);
                rbytes(&r, s.optdata[k], dl);
                s.opts[s.nopts++] = (struct pc_nd_opt){ .type = 14, .data = s.optdata[k], .dlen = dl };
            }
            ic->opts = s.nopts ? s.opts : NULL;
            ic->nopts = s.nopts;
            nopts += (unsigned)s.nopts;
            break;
        }
        int n = build_spec(&s, pcb, sizeof pcb);

        /* libnet, innermost first: options, message, (extension), IPv6, Ethernet. */
        for (size_t k = s.nopts; k-- > 0;) {
            uint8_t body[64];
            size_t bl = ln_opt_body(&s.opts[k], body);
            th_ln_ok(l, libnet_build_icmpv6_ndp_opt(s.opts[k].type, body, (uint32_t)bl, l, 0), "ndp_opt");
        }
        size_t ilen = (size_t)n - PC_ETH_HLEN - PC_IPV6_HLEN - (s.ext6 ? 8u : 0u);
        switch (kind) {
        case 0:
            th_ln_ok(l, libnet_build_icmpv6_echo(ic->type, ic->code, 0, ic->id, ic->seq, s.plen ? s.pay : NULL,
                                                 (uint32_t)s.plen, l, 0), "echo");
            break;
        case 1:
            th_ln_ok(l, libnet_build_icmpv6_unreach(ic->type, ic->code, 0, s.o.b, (uint32_t)s.qlen, l, 0), "unreach");
            break;
        case 2:
            th_ln_ok(l, libnet_build_icmpv6_ndp_nsol(ic->type, ic->code, 0, th_ln_ip6(ic->target), NULL, 0, l, 0), "nsol");
            break;
        default:
            th_ln_ok(l, libnet_build_icmpv6_ndp_nadv(ic->type, ic->code, 0, (uint32_t)ic->flags << 24, th_ln_ip6(ic->target),
                                                     NULL, 0, l, 0), "nadv");
            break;
        }
        if (s.ext6)
            th_ln_ok(l, libnet_build_ipv6_destopts(IPPROTO_ICMPV6, 0, (uint8_t *)"\x01\x04\x00\x00\x00\x00", 6, l, 0),
                     "destopts");
        th_ln_ok(l, libnet_build_ipv6(0, 0, (uint16_t)((size_t)n - PC_ETH_HLEN - PC_IPV6_HLEN),
                                      s.ext6 ? IPPROTO_DSTOPTS : IPPROTO_ICMPV6, s.ip6.hlim, th_ln_ip6(s.ip6.src),
                                      th_ln_ip6(s.ip6.dst), NULL, 0, l, 0), "ipv6");
        th_ln_ok(l, libnet_build_ethernet(s.eth.dst, s.eth.src, ETHERTYPE_IPV6, NULL, 0, l, 0), "ethernet");
        size_t ln = th_ln_take(l, lnb, sizeof lnb);
        if (s.ext6) {
            /* The documented divergence, exactly: the sum of the whole IPv6
             * payload lands in the extension header, ICMPv6's stays 0. */
            uint8_t *ext = lnb + PC_ETH_HLEN + PC_IPV6_HLEN, *h = ext + 8;
            uint8_t payload[512];
            size_t pl = 8 + ilen;
            memcpy(payload, pcb + PC_ETH_HLEN + PC_IPV6_HLEN, pl);
            payload[2] = payload[3] = 0;
            payload[8 + 2] = payload[8 + 3] = 0;
            uint32_t sum = th_ref_sum(s.ip6.src, 16, 0);
            sum = th_ref_sum(s.ip6.dst, 16, sum) + (uint32_t)pl + 58;
            uint16_t want = ref_csum(th_ref_sum(payload, pl, sum));
            cr_assert_eq(pc_get16(ext + 2), want, "%s: libnet's misplaced ICMPv6 sum 0x%04x, expected 0x%04x", ctx,
                         pc_get16(ext + 2), want);
            cr_assert_eq(pc_icmp6_csum(h), 0, "%s: libnet's ICMPv6 checksum is no longer 0: divergence gone?", ctx);
            ext[2] = 0x01; /* restore PadN's type and length, and the real checksum */
            ext[3] = 0x04;
            pc_put16(h + 2, pc_icmp6_csum(pcb + PC_ETH_HLEN + PC_IPV6_HLEN + 8));
            ext_div++;
        }
        th_ln_expect_same(pcb, (size_t)n, lnb, ln, "%s", ctx);
    }
    cr_log_info("libnet icmpv6: 3000 identical (%u echo, %u unreachable, %u NS, %u NA, %u ND options; %u with an "
                "extension header libnet checksums wrongly)", count[0], count[1], count[2], count[3], nopts, ext_div);
    cr_assert_gt(ext_div, 0);
    cr_assert_gt(nopts, 500);
    ln_close();
}

/* ========================================================== tshark oracle */

/* Seeded random ICMP and ICMPv6 messages of every kind built here are
 * written with pktcraft's pcap writer and dissected by tshark with IPv4
 * header checksum validation on (ICMP and ICMPv6 checksums are always
 * checked).  Every field tshark prints must equal what pktcraft's decoder
 * reports for the same bytes (the quoted packet's fields included: tshark
 * prints them as second occurrences); no packet may be malformed or carry
 * an expert error, and the only warning allowed is the bad checksum of a
 * message built with PC_CORRUPT (whose value tshark must say is wrong).
 * TCP and UDP checksum validation stay off: tshark 4.0 checksums a quoted
 * TCP/UDP header over the few bytes quoted and calls it bad.  Notes (a low
 * TTL, "dissector not implemented" for unassigned ICMPv6 types) are only
 * counted.  A missing tshark is a failure, never a skip.
 * PKTCRAFT_TSHARK_KEEP=1 keeps the capture files. */

#define FW 1024
#define addf(exp, f, ...) th_append((exp)[f], FW, __VA_ARGS__)
#define add_ip4(exp, f, a) th_append_ip4((exp)[f], FW, a)
#define add_ip6(exp, f, a) th_append_ip6((exp)[f], FW, a)

static struct {
    char dir[64];
    char heur[16384];
    struct th_rows rows;
} TS;

static void ts_fini(void)
{
    th_tshark_cleanup(TS.dir, &TS.rows);
    memset(&TS, 0, sizeof TS);
    memset(&TP, 0, sizeof TP);
}

TestSuite(icmp_tshark, .fini = ts_fini, .timeout = 1800);

/* Dissect path with fields and then the expert columns (_ws.malformed,
 * severity, message); returns the rows (TS.rows, split in place). */
static size_t ts_run(const char *tshark, const char *path, const char *const *fields, int nf, char ***rows)
{
    const char *all[64];
    cr_assert_leq(nf + 3, 64);
    memcpy(all, fields, (size_t)nf * sizeof *all);
    all[nf] = "_ws.malformed";
    all[nf + 1] = "_ws.expert.severity";
    all[nf + 2] = "_ws.expert.message";
    th_tshark_fields(&TS.rows, tshark, TS.dir, path, TS.heur, "-o ip.check_checksum:TRUE", all, (size_t)nf + 3);
    *rows = TS.rows.row;
    return TS.rows.n;
}

/* tshark's checksum status numbers: Bad, Good, Unverified. */
static const char *ts_status(int st)
{
    return st == PC_CSUM_GOOD ? "1" : st == PC_CSUM_BAD ? "0" : "2";
}

/* ---- ICMPv4 ---- */

#define T4_FIELDS(X)                                                                                       \
    X(T4_NUM, "frame.number") X(T4_TYPE, "icmp.type") X(T4_CODE, "icmp.code") X(T4_CSUM, "icmp.checksum")  \
    X(T4_CSUM_ST, "icmp.checksum.status") X(T4_ID, "icmp.ident") X(T4_SEQ, "icmp.seq") X(T4_MTU, "icmp.mtu") \
    X(T4_GW, "icmp.redir_gw") X(T4_PTR, "icmp.pointer") X(T4_TSO, "icmp.originate_timestamp")              \
    X(T4_TSR, "icmp.receive_timestamp") X(T4_TSX, "icmp.transmit_timestamp") X(T4_MASK, "icmp.address_mask") \
    X(T4_SRC, "ip.src") X(T4_DST, "ip.dst") X(T4_PROTO, "ip.proto") X(T4_IPCS, "ip.checksum.status")         \
    X(T4_USP, "udp.srcport") X(T4_UDP, "udp.dstport") X(T4_TSP, "tcp.srcport") X(T4_TDP, "tcp.dstport")

#define TS_ENUM(id, name) id,
#define TS_NAME(id, name) [id] = name,
enum { T4_FIELDS(TS_ENUM) NT4 };
static const char *const T4_NAMES[NT4] = { T4_FIELDS(TS_NAME) };

/* One ICMP header as tshark shows it (the outer message or a quoted one). */
static void exp_icmp4(char (*exp)[FW], const uint8_t *h, uint32_t cap, int st)
{
    uint8_t t = pc_icmp_type(h);
    addf(exp, T4_TYPE, "%u", t);
    if (cap < 2) return;
    addf(exp, T4_CODE, "%u", pc_icmp_code(h));
    if (cap < 4) return;
    addf(exp, T4_CSUM, "0x%04x", pc_icmp_csum(h));
    addf(exp, T4_CSUM_ST, "%s", ts_status(st));
    if (cap < PC_ICMP_HLEN) return;
    switch (t) {
    case PC_ICMP_ECHO: case PC_ICMP_ECHOREPLY: case PC_ICMP_TSTAMP: case PC_ICMP_TSTAMPREPLY: case PC_ICMP_IREQ:
    case PC_ICMP_IREQREPLY: case PC_ICMP_MASKREQ: case PC_ICMP_MASKREPLY:
        addf(exp, T4_ID, "%u", pc_icmp_id(h));
        addf(exp, T4_SEQ, "%u", pc_icmp_seq(h));
        break;
    case PC_ICMP_UNREACH: if (pc_icmp_code(h) == PC_ICMP_UNREACH_NEEDFRAG) addf(exp, T4_MTU, "%u", pc_icmp_mtu(h)); break;
    case PC_ICMP_REDIRECT: add_ip4(exp, T4_GW, pc_icmp_gw(h)); break;
    case PC_ICMP_PARAMPROB: addf(exp, T4_PTR, "%u", pc_icmp_pointer(h)); break;
    default: break;
    }
    if ((t == PC_ICMP_TSTAMP || t == PC_ICMP_TSTAMPREPLY) && cap >= PC_ICMP_TSTAMP_HLEN) {
        addf(exp, T4_TSO, "%u", pc_icmp_ts_orig(h));
        addf(exp, T4_TSR, "%u", pc_icmp_ts_recv(h));
        addf(exp, T4_TSX, "%u", pc_icmp_ts_xmit(h));
    }
    if ((t == PC_ICMP_MASKREQ || t == PC_ICMP_MASKREPLY) && cap >= PC_ICMP_MASK_HLEN)
        add_ip4(exp, T4_MASK, h + 8);
}

/* Quoted transport ports (and a quoted ICMP header). */
static void exp_quoted_l4(char (*exp)[FW], const struct pc_decoded *d, int k, int f_usp, int f_tsp,
                          void (*icmp)(char (*)[FW], const uint8_t *, uint32_t, int))
{
    const uint8_t *t = pc_layer_hdr(d, k);
    uint32_t cap = pc_layer_caphdr(d, k);
    if (d->l[k].proto == PC_P_UDP && cap >= 4) {
        addf(exp, f_usp, "%u", pc_get16(t));
        addf(exp, f_usp + 1, "%u", pc_get16(t + 2));
    } else if (d->l[k].proto == PC_P_TCP && cap >= 4) {
        addf(exp, f_tsp, "%u", pc_get16(t));
        addf(exp, f_tsp + 1, "%u", pc_get16(t + 2));
    } else if (icmp && (d->l[k].proto == PC_P_ICMP || d->l[k].proto == PC_P_ICMP6) && cap >= 1) {
        icmp(exp, t, cap, PC_CSUM_UNVERIFIED);
    }
}

static void expect4_row(const struct pc_decoded *d, char (*exp)[FW])
{
    int i = d->l4;
    const uint8_t *ip = pc_layer_hdr(d, d->l3);
    add_ip4(exp, T4_SRC, pc_ipv4_src(ip));
    add_ip4(exp, T4_DST, pc_ipv4_dst(ip));
    addf(exp, T4_PROTO, "%u", pc_ipv4_proto(ip));
    addf(exp, T4_IPCS, "%s", ts_status(d->l[d->l3].csum));
    exp_icmp4(exp, pc_layer_hdr(d, i), pc_layer_caphdr(d, i), d->l[i].csum);
    for (int k = i + 1; k < d->n && (d->l[k].flags & PC_LF_QUOTED); k++) {
        if (d->l[k].proto == PC_P_IPV4) {
            const uint8_t *q = pc_layer_hdr(d, k);
            add_ip4(exp, T4_SRC, pc_ipv4_src(q));
            add_ip4(exp, T4_DST, pc_ipv4_dst(q));
            addf(exp, T4_PROTO, "%u", pc_ipv4_proto(q));
            addf(exp, T4_IPCS, "%s", ts_status(d->l[k].csum));
        } else {
            exp_quoted_l4(exp, d, k, T4_USP, T4_TSP, exp_icmp4);
        }
    }
}

/* ---- ICMPv6 ---- */

#define T6_FIELDS(X)                                                                                             \
    X(T6_NUM, "frame.number") X(T6_TYPE, "icmpv6.type") X(T6_CODE, "icmpv6.code") X(T6_CSUM, "icmpv6.checksum")    \
    X(T6_CSUM_ST, "icmpv6.checksum.status") X(T6_ID, "icmpv6.echo.identifier")                                    \
    X(T6_SEQ, "icmpv6.echo.sequence_number") X(T6_MTU, "icmpv6.mtu") X(T6_PTR, "icmpv6.pointer")                  \
    X(T6_RA_HL, "icmpv6.nd.ra.cur_hop_limit") X(T6_RA_FL, "icmpv6.nd.ra.flag")                                   \
    X(T6_RA_LT, "icmpv6.nd.ra.router_lifetime") X(T6_RA_RT, "icmpv6.nd.ra.reachable_time")                       \
    X(T6_RA_RX, "icmpv6.nd.ra.retrans_timer") X(T6_NS_T, "icmpv6.nd.ns.target_address")                          \
    X(T6_NA_FL, "icmpv6.nd.na.flag") X(T6_NA_T, "icmpv6.nd.na.target_address")                                  \
    X(T6_RD_T, "icmpv6.nd.rd.target_address") X(T6_RD_D, "icmpv6.rd.na.destination_address")                    \
    X(T6_OPT_T, "icmpv6.opt.type") X(T6_OPT_L, "icmpv6.opt.length") X(T6_OPT_LL, "icmpv6.opt.linkaddr")          \
    X(T6_PI_L, "icmpv6.opt.prefix.length") X(T6_PI_F, "icmpv6.opt.prefix.flag")                                  \
    X(T6_PI_V, "icmpv6.opt.prefix.valid_lifetime") X(T6_PI_P, "icmpv6.opt.prefix.preferred_lifetime")            \
    X(T6_PI_X, "icmpv6.opt.prefix") X(T6_OPT_MTU, "icmpv6.opt.mtu") X(T6_SRC, "ipv6.src") X(T6_DST, "ipv6.dst")   \
    X(T6_USP, "udp.srcport") X(T6_UDP, "udp.dstport") X(T6_TSP, "tcp.srcport") X(T6_TDP, "tcp.dstport")

enum { T6_FIELDS(TS_ENUM) NT6 };
static const char *const T6_NAMES[NT6] = { T6_FIELDS(TS_NAME) };

/* An ICMPv6 header; a quoted one may be cut anywhere and tshark shows
 * each field whose bytes are there. */
static void exp_icmp6_hdr(char (*exp)[FW], const uint8_t *h, uint32_t cap, int st)
{
    uint8_t t = pc_icmp6_type(h);
    addf(exp, T6_TYPE, "%u", t);
    if (cap < 2) return;
    addf(exp, T6_CODE, "%u", pc_icmp6_code(h));
    if (cap < 4) return;
    addf(exp, T6_CSUM, "0x%04x", pc_icmp6_csum(h));
    addf(exp, T6_CSUM_ST, "%s", ts_status(st));
    if (t == PC_ICMP6_ECHO_REQUEST || t == PC_ICMP6_ECHO_REPLY) {
        if (cap >= 6) addf(exp, T6_ID, "0x%04x", pc_icmp6_id(h));
        if (cap >= 8) addf(exp, T6_SEQ, "%u", pc_icmp6_seq(h));
        return;
    }
    if (cap < pc_icmp6_hdr_len(t)) return;
    switch (t) {
    case PC_ICMP6_PACKET_TOO_BIG: addf(exp, T6_MTU, "%u", pc_icmp6_mtu(h)); break;
    case PC_ICMP6_PARAM_PROB: addf(exp, T6_PTR, "%u", pc_icmp6_pointer(h)); break;
    case PC_ND_ROUTER_ADVERT:
        addf(exp, T6_RA_HL, "%u", pc_nd_ra_hoplimit(h));
        addf(exp, T6_RA_FL, "0x%02x", pc_nd_ra_flags(h));
        addf(exp, T6_RA_LT, "%u", pc_nd_ra_lifetime(h));
        addf(exp, T6_RA_RT, "%u", pc_nd_ra_reachable(h));
        addf(exp, T6_RA_RX, "%u", pc_nd_ra_retrans(h));
        break;
    case PC_ND_NEIGHBOR_SOLICIT: add_ip6(exp, T6_NS_T, pc_nd_target(h)); break;
    case PC_ND_NEIGHBOR_ADVERT:
        addf(exp, T6_NA_FL, "0x%08x", pc_icmp6_rest(h));
        add_ip6(exp, T6_NA_T, pc_nd_target(h));
        break;
    case PC_ND_REDIRECT:
        add_ip6(exp, T6_RD_T, pc_nd_target(h));
        add_ip6(exp, T6_RD_D, pc_nd_redirect_dst(h));
        break;
    default: break;
    }
}

/* An IPv6 packet embedded in a redirected-header option, as tshark
 * dissects it: addresses, extension headers, the transport's ports. */
static void exp_embedded6(char (*exp)[FW], const uint8_t *p, uint32_t n)
{
    if (n < PC_IPV6_HLEN) return;
    add_ip6(exp, T6_SRC, pc_ipv6_src(p));
    add_ip6(exp, T6_DST, pc_ipv6_dst(p));
    uint8_t nh = pc_ipv6_nh(p);
    uint32_t off = PC_IPV6_HLEN;
    if (nh == PC_IPPROTO_DSTOPTS && n - off >= 8) {
        nh = p[off];
        off += pc_ip6ext_len(p + off);
    }
    if (off + 4 > n) return;
    if (nh == PC_IPPROTO_UDP) { addf(exp, T6_USP, "%u", pc_get16(p + off)); addf(exp, T6_UDP, "%u", pc_get16(p + off + 2)); }
    if (nh == PC_IPPROTO_TCP) { addf(exp, T6_TSP, "%u", pc_get16(p + off)); addf(exp, T6_TDP, "%u", pc_get16(p + off + 2)); }
    if (nh == PC_IPPROTO_ICMPV6) exp_icmp6_hdr(exp, p + off, n - off, PC_CSUM_UNVERIFIED);
}

static void exp_nd_opts(char (*exp)[FW], const uint8_t *p, uint32_t len)
{
    for (uint32_t k = 0; k + 8 <= len && p[k + 1];) {
        const uint8_t *o = p + k;
        uint32_t ol = pc_nd_opt_len(o) * 8u;
        addf(exp, T6_OPT_T, "%u", pc_nd_opt_type(o));
        addf(exp, T6_OPT_L, "%u", pc_nd_opt_len(o));
        switch (pc_nd_opt_type(o)) {
        case PC_ND_OPT_SRC_LLADDR: case PC_ND_OPT_TGT_LLADDR: {
            const uint8_t *m = pc_nd_opt_lladdr(o);
            addf(exp, T6_OPT_LL, "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4], m[5]);
            break;
        }
        case PC_ND_OPT_PREFIX:
            addf(exp, T6_PI_L, "%u", pc_nd_opt_prefix_len(o));
            addf(exp, T6_PI_F, "0x%02x", pc_nd_opt_prefix_flags(o));
            addf(exp, T6_PI_V, "%u", pc_nd_opt_valid(o));
            addf(exp, T6_PI_P, "%u", pc_nd_opt_preferred(o));
            add_ip6(exp, T6_PI_X, pc_nd_opt_prefix(o));
            break;
        case PC_ND_OPT_MTU: addf(exp, T6_OPT_MTU, "%u", pc_nd_opt_mtu(o)); break;
        case PC_ND_OPT_REDIRECTED: exp_embedded6(exp, o + 8, ol - 8); break;
        default: break;
        }
        k += ol;
    }
}

static void expect6_row(const struct pc_decoded *d, char (*exp)[FW])
{
    int i = d->l4;
    const uint8_t *ip = pc_layer_hdr(d, d->l3);
    add_ip6(exp, T6_SRC, pc_ipv6_src(ip));
    add_ip6(exp, T6_DST, pc_ipv6_dst(ip));
    const uint8_t *h = pc_layer_hdr(d, i);
    uint32_t cap = pc_layer_caphdr(d, i);
    exp_icmp6_hdr(exp, h, cap, d->l[i].csum);
    uint8_t t = pc_icmp6_type(h);
    if (pc_icmp6_is_nd(t) && cap >= pc_icmp6_hdr_len(t))
        exp_nd_opts(exp, h + pc_icmp6_hdr_len(t), cap - pc_icmp6_hdr_len(t));
    for (int k = i + 1; k < d->n && (d->l[k].flags & PC_LF_QUOTED); k++) {
        if (d->l[k].proto == PC_P_IPV6) {
            add_ip6(exp, T6_SRC, pc_ipv6_src(pc_layer_hdr(d, k)));
            add_ip6(exp, T6_DST, pc_ipv6_dst(pc_layer_hdr(d, k)));
        } else {
            exp_quoted_l4(exp, d, k, T6_USP, T6_TSP, exp_icmp6_hdr);
        }
    }
}

/* ---- the run ---- */

struct ts_stats {
    size_t rows, fields, nonempty, mismatches, notes, corrupt;
    char first[1500];
    size_t per_field[64];
};

static void judge_row(struct ts_stats *st, char *row, int nf, const char *const *names, char (*exp)[FW], int corrupt,
                      size_t num)
{
    char *cols[64];
    cr_assert_leq(nf + 3, 64);
    th_split_cols(row, cols, (size_t)nf + 3, num);
    st->rows++;
    for (int f = 0; f < nf; f++) {
        st->fields++;
        st->nonempty += exp[f][0] != 0;
        if (!strcmp(cols[f], exp[f])) continue;
        if (!st->per_field[f]++)
            cr_log_error("packet %zu field %s: tshark \"%s\", pktcraft \"%s\"", num, names[f], cols[f], exp[f]);
        if (!st->mismatches++)
            snprintf(st->first, sizeof st->first, "packet %zu field %s: tshark \"%.600s\", pktcraft \"%.600s\"", num,
                     names[f], cols[f], exp[f]);
    }
    cr_assert_str_empty(cols[nf], "packet %zu is malformed for tshark: %s", num, cols[nf + 2]);
    /* Expert items: severities and messages, '|'-separated, in step. */
    struct th_expert it = { cols[nf + 1], cols[nf + 2] };
    unsigned long sev;
    const char *msg;
    size_t ml;
    while (th_expert_next(&it, &sev, &msg, &ml)) {
        int bad_csum = ml >= 12 && !strncmp(msg, "Bad checksum", 12);
        cr_assert_lt(sev, TH_SEV_ERROR, "packet %zu: expert error \"%.*s\"", num, (int)ml, msg);
        if (sev >= TH_SEV_WARN)
            cr_assert(bad_csum && corrupt, "packet %zu: expert warning \"%.*s\"", num, (int)ml, msg);
        if (bad_csum) {
            cr_assert(corrupt, "packet %zu: tshark says the checksum is bad", num);
            st->corrupt++;
        } else {
            st->notes++;
        }
    }
}

static void tshark_random(int v6, uint64_t seed, unsigned count)
{
    /* Ports tshark maps to an application and the enabled TCP/UDP
     * heuristic protocols: random quoted payload taken for some protocol
     * says nothing about ICMP. */
    const char *tshark = th_tshark_setup(TS.dir, &TP, TS.heur, sizeof TS.heur, NULL);

    struct pc_rng r;
    pc_rng_seed(&r, seed);
    static struct rspec s;
    static uint8_t fr[4096];
    char path[128];
    snprintf(path, sizeof path, "%s/icmp%s.pcap", TS.dir, v6 ? "6" : "");
    struct th_pcapw pw;
    th_pcapw_open(&pw, path, PC_LINK_ETHERNET, PC_TSPREC_NS);
    uint8_t *corrupt = calloc(count, 1);
    unsigned kinds[256] = { 0 };
    for (unsigned it = 0; it < count; it++) {
        if (v6) rand_spec6(&r, &s, 1);
        else rand_spec4(&r, &s, 1);
        int n = build_spec(&s, fr, sizeof fr);
        corrupt[it] = (v6 ? s.i6.csum.mode : s.i4.csum.mode) == PC_FCORRUPT;
        kinds[v6 ? s.i6.type : s.i4.type]++;
        th_pcapw_write(&pw, (pc_time_ns)(1700000000 + it) * PC_NS_PER_SEC, fr, (uint32_t)n);
    }
    th_pcapw_close(&pw);

    char **rows;
    int nf = v6 ? NT6 : NT4;
    const char *const *names = v6 ? T6_NAMES : T4_NAMES;
    size_t nrows = ts_run(tshark, path, names, nf, &rows);
    cr_assert_eq(nrows, count, "tshark printed %zu rows for %u packets", nrows, count);

    /* Read the file back and derive each expected row from pktcraft's decoder. */
    struct pc_err e;
    struct pc_reader *rd = pc_reader_open(path, &e);
    cr_assert_not_null(rd, "pc_reader_open: %s", e.msg);
    struct pc_pkthdr ph;
    const uint8_t *data;
    struct ts_stats st = { 0 };
    static char exp[64][FW];
    for (size_t k = 0; k < count; k++) {
        cr_assert_eq(pc_reader_next(rd, &ph, &data), 1);
        struct pc_decoded d;
        cr_assert_eq(pc_decode(&d, data, ph.caplen, ph.len, PC_LINK_ETHERNET), 0, "packet %zu: pktcraft decode", k + 1);
        memset(exp, 0, sizeof exp);
        addf(exp, 0, "%zu", k + 1);
        if (v6) expect6_row(&d, exp);
        else expect4_row(&d, exp);
        judge_row(&st, rows[k], nf, names, exp, corrupt[k], k + 1);
    }
    pc_reader_close(rd);
    free(corrupt);
    unsigned nk = 0;
    for (int t = 0; t < 256; t++) nk += kinds[t] > 0;
    cr_log_info("tshark icmp%s: %zu packets of %u types, %zu fields compared (%zu non-empty), %zu bad checksums as "
                "built, %zu notes", v6 ? "v6" : "", st.rows, nk, st.fields, st.nonempty, st.corrupt, st.notes);
    cr_assert_eq(st.mismatches, 0, "%zu fields differ; first: %s", st.mismatches, st.first);
    cr_assert_gt(st.corrupt, 0);
}

Test(icmp_tshark, random_icmpv4) { tshark_random(0, UINT64_C(0x1C3F4A75A4), 2000); }
Test(icmp_tshark, random_icmpv6) { tshark_random(1, UINT64_C(0x1C3F4A75A6), 2000); }

/* ============================================================= mutations */

TestSuite(icmp_fuzz, .timeout = 1800);

/* Known messages with random bytes changed (type, code, lengths, options,
 * quoted headers) and random capture lengths, under a guard page: the
 * decoder and the describers never read past the capture, and whatever
 * they say about a broken packet is a PC_E* code and a reason. */
Test(icmp_fuzz, mutations_never_overread)
{
    static const char *const *sets[] = { V4_ALL, V6_FIXED };
    static const size_t nsets[] = { NV4, NV6 };
    struct pc_rng r;
    pc_rng_seed(&r, UINT64_C(0x1C3F4AF022));
    static uint8_t b[4096];
    unsigned bad = 0;
    for (int k = 0; k < 40000; k++) {
        int set = k & 1;
        const char *hex = sets[set][rnd(&r, (uint32_t)nsets[set])];
        size_t n = th_unhex(hex, b, sizeof b);
        size_t l4 = set ? 14 + 40 : 14 + 20;
        for (uint32_t m = 1 + rnd(&r, 4); m > 0; m--) {
            size_t at = l4 + rnd(&r, (uint32_t)(n - l4));
            b[at] = rnd(&r, 3) ? (uint8_t)pc_rng_next(&r) : (uint8_t)(b[at] + 1 - 2 * rnd(&r, 2));
        }
        if (rnd(&r, 4) == 0) { /* the IP length too */
            if (set) pc_put16(b + 18, (uint16_t)(pc_get16(b + 18) + rnd(&r, 17) - 8));
            else set_ip_len(b + 14, (uint16_t)(pc_get16(b + 16) + rnd(&r, 17) - 8));
        }
        size_t cut = rnd(&r, 3) ? n : rnd(&r, (uint32_t)n + 1);
        struct th_guard g;
        const uint8_t *p = th_guard_copy(&g, b, cut);
        struct pc_decoded d;
        int rc = pc_decode(&d, p, (uint32_t)cut, (uint32_t)n, PC_LINK_ETHERNET);
        cr_assert(rc == 0 || rc == PC_ETRUNC || rc == PC_EMALFORMED, "rc %d", rc);
        if (rc) {
            bad++;
            int why = 0;
            for (int i = 0; i < d.n; i++) why |= d.l[i].why != NULL;
            cr_assert(why, "an error without a reason");
        }
        for (int i = 0; i < d.n; i++) {
            if (d.l[i].proto != PC_P_ICMP && d.l[i].proto != PC_P_ICMP6) continue;
            describe(&d, i, false);
            describe(&d, i, true);
            struct pc_icmp_quote q;
            pc_icmp_quote_info(&d, i, &q);
        }
        th_guard_free(&g);
    }
    cr_log_info("icmp fuzz: 40000 mutated frames, %u rejected with a reason", bad);
}

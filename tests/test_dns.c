/* DNS tests.  Three kinds per the design notes: known bytes made
 * independently with scapy 2.5.0 (/usr/bin/python3), builds into buffers
 * poisoned with 0xA5, and rejection of bad input (every inconsistent length
 * both ways, every truncation under a guard page, every pitfall of design
 * notes 3.5).  Then a seeded random round trip (thousands of messages,
 * compression on and off, pinned and corrupt fields), and independent
 * oracles: libnet for the header, tshark for whole messages over UDP and
 * TCP (a missing tshark is a failure), and real captures of the corpus. */
#include <criterion/criterion.h>
#include <criterion/logging.h>

#include <arpa/inet.h>

#include "oracle.h"
#include "pktcraft/wire/dns.h"
#include "pktcraft/core/fmt.h"

/* ================================================================ fixtures */

/* scapy:
 *   q = DNS(id=0x1234, rd=1, qd=DNSQR(qname="example.com", qtype="A", qclass="IN"))
 *   r = DNS(id=0xbeef, qr=1, aa=1, rd=1, ra=1, ad=1, qd=DNSQR(qname="example.com", qtype=255),
 *           an=DNSRR(rrname="example.com", type="A", ttl=300, rdata="93.184.216.34")
 *             / DNSRR(rrname="example.com", type="AAAA", ttl=300, rdata="2001:db8::1")
 *             / DNSRR(rrname="www.example.com", type="CNAME", ttl=60, rdata="example.com")
 *             / DNSRRMX(rrname="example.com", type="MX", ttl=3600, preference=10, exchange="mail.example.com")
 *             / DNSRR(rrname="example.com", type="TXT", ttl=30, rdata=["v=spf1 -all", "hello world"])
 *             / DNSRRSRV(rrname="_sip._udp.example.com", ttl=86400, priority=10, weight=60, port=5060,
 *                        target="sip.example.com")
 *             / DNSRR(rrname="example.com", type="CAA", ttl=300, rdata=b"\x00\x05issueletsencrypt.org")
 *             / DNSRR(rrname="example.com", type=65280, ttl=7, rdata=b"\xde\xad\xbe\xef"),
 *           ns=DNSRR(rrname="example.com", type="NS", ttl=172800, rdata="ns1.example.com")
 *             / DNSRRSOA(rrname="example.com", ttl=3600, mname="ns1.example.com",
 *                        rname="hostmaster.example.com", serial=2024010101, refresh=7200, retry=3600,
 *                        expire=1209600, minimum=300),
 *           ar=DNSRR(rrname="1.2.0.192.in-addr.arpa", type="PTR", ttl=300, rdata="host.example.com")
 *             / DNSRROPT(rclass=1232, extrcode=0, version=0, z=0x8000,
 *                        rdata=[EDNS0ClientSubnet(family=1, source_plen=24, scope_plen=0, address="192.0.2.0"),
 *                               EDNS0TLV(optcode=10, optdata=b"\x01\x02\x03\x04\x05\x06\x07\x08")]))
 *   Q_HEX = raw(q), R_HEX = raw(r) (scapy writes every name in full),
 *   RC_HEX = raw(r.compress()). */
static const char *const Q_HEX = "123401000001000000000000076578616d706c6503636f6d0000010001";
static const char *const R_HEX =
    "beef85a00001000800020002076578616d706c6503636f6d0000ff0001076578616d706c6503636f6d00000100010000012c00045db8"
    "d822076578616d706c6503636f6d00001c00010000012c001020010db800000000000000000000000103777777076578616d706c6503"
    "636f6d00000500010000003c000d076578616d706c6503636f6d00076578616d706c6503636f6d00000f000100000e100014000a046d"
    "61696c076578616d706c6503636f6d00076578616d706c6503636f6d00001000010000001e00180b763d73706631202d616c6c0b6865"
    "6c6c6f20776f726c64045f736970045f756470076578616d706c6503636f6d0000210001000151800017000a003c13c4037369700765"
    "78616d706c6503636f6d00076578616d706c6503636f6d00010100010000012c0016000569737375656c657473656e63727970742e6f"
    "7267076578616d706c6503636f6d00ff000001000000070004deadbeef076578616d706c6503636f6d00000200010002a3000011036e"
    "7331076578616d706c6503636f6d00076578616d706c6503636f6d000006000100000e10003d036e7331076578616d706c6503636f6d"
    "000a686f73746d6173746572076578616d706c6503636f6d0078a3f17500001c2000000e10001275000000012c013101320130033139"
    "3207696e2d61646472046172706100000c00010000012c001204686f7374076578616d706c6503636f6d0000002904d0000080000017"
    "0008000700011800c00002000a00080102030405060708";
static const char *const RC_HEX =
    "beef85a00001000800020002076578616d706c6503636f6d0000ff0001c00c000100010000012c00045db8d822c00c001c0001000001"
    "2c001020010db800000000000000000000000103777777c00c000500010000003c0002c00cc00c000f000100000e100009000a046d61"
    "696cc00cc00c001000010000001e00180b763d73706631202d616c6c0b68656c6c6f20776f726c64045f736970045f756470c00c0021"
    "000100015180000c000a003c13c403736970c00cc00c010100010000012c0016000569737375656c657473656e63727970742e6f7267"
    "c00cff000001000000070004deadbeefc00c000200010002a3000006036e7331c00cc00c0006000100000e100023c0f40a686f73746d"
    "6173746572c00c78a3f17500001c2000000e10001275000000012c0131013201300331393207696e2d61646472046172706100000c00"
    "010000012c000704686f7374c00c00002904d00000800000170008000700011800c00002000a00080102030405060708";

/* Our compressor on a small message, written out by hand and checked with
 * scapy's parser (DNS(bytes)): question www.example.com (labels at 12, 16,
 * 24); CNAME owner -> c00c and target -> c010; MX owner c010, exchange
 * "mail" + c010; an SRV owner "_sip._tcp.Example" + c018 (case differs:
 * only "com" is shared) whose target is written in full (RFC 2782) and is
 * not offered to later names, so the last owner is "sip" + c010. */
static const char *const COMP_HEX =
    "00078180000100040000000003777777076578616d706c6503636f6d0000010001c00c000500010000003c0002c010c010000f000100"
    "00003c0009000a046d61696cc010045f736970045f746370074578616d706c65c018002100010000003c00170001000213c403736970"
    "076578616d706c6503636f6d0003736970c010000100010000003c00040a000001";

static const struct pc_dns_question Q_QD[] = { { "example.com", PC_DNS_T_A, PC_DNS_C_IN } };
static const struct pc_dns Q_SPEC = { .id = 0x1234, .rd = 1, .qd = Q_QD, .nqd = 1 };

static const char *const R_TXT[] = { "v=spf1 -all", "hello world" };
static const struct pc_dns_question R_QD[] = { { "example.com", 255, PC_DNS_C_IN } };
static const struct pc_dns_record R_AN[] = {
    { .name = "example.com", .type = PC_DNS_T_A, .rclass = 1, .ttl = 300, .a = { 93, 184, 216, 34 } },
    { .name = "example.com", .type = PC_DNS_T_AAAA, .rclass = 1, .ttl = 300,
      .aaaa = { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 } },
    { .name = "www.example.com", .type = PC_DNS_T_CNAME, .rclass = 1, .ttl = 60, .target = "example.com" },
    { .name = "example.com", .type = PC_DNS_T_MX, .rclass = 1, .ttl = 3600, .mx = { 10, "mail.example.com" } },
    { .name = "example.com", .type = PC_DNS_T_TXT, .rclass = 1, .ttl = 30, .txt = { R_TXT, NULL, 2 } },
    { .name = "_sip._udp.example.com", .type = PC_DNS_T_SRV, .rclass = 1, .ttl = 86400,
      .srv = { 10, 60, 5060, "sip.example.com" } },
    { .name = "example.com", .type = PC_DNS_T_CAA, .rclass = 1, .ttl = 300, .caa = { 0, "issue", "letsencrypt.org" } },
    { .name = "example.com", .type = 65280, .rclass = 1, .ttl = 7, .raw = { (const uint8_t *)"\xde\xad\xbe\xef", 4 } },
};
static const struct pc_dns_record R_NS[] = {
    { .name = "example.com", .type = PC_DNS_T_NS, .rclass = 1, .ttl = 172800, .target = "ns1.example.com" },
    { .name = "example.com", .type = PC_DNS_T_SOA, .rclass = 1, .ttl = 3600,
      .soa = { "ns1.example.com", "hostmaster.example.com", 2024010101, 7200, 3600, 1209600, 300 } },
};
static const struct pc_dns_record R_AR[] = {
    { .name = "1.2.0.192.in-addr.arpa", .type = PC_DNS_T_PTR, .rclass = 1, .ttl = 300, .target = "host.example.com" },
};
/* The address has host bits set on purpose: the builder must cut them. */
static const struct pc_dns_ednsopt R_OPTS[] = {
    { .code = PC_EDNS_OPT_ECS, .ecs = { 1, 24, 0, { 192, 0, 2, 77 } } },
    { .code = 10, .data = (const uint8_t *)"\x01\x02\x03\x04\x05\x06\x07\x08", .len = 8 },
};
static const struct pc_dns_edns R_EDNS = { .udp_size = 1232, .do_bit = 1, .opts = R_OPTS, .nopts = 2 };
static const struct pc_dns R_SPEC = {
    .id = 0xbeef, .qr = 1, .aa = 1, .rd = 1, .ra = 1, .ad = 1,
    .qd = R_QD, .nqd = 1, .an = R_AN, .nan = 8, .ns = R_NS, .nns = 2, .ar = R_AR, .nar = 1, .edns = &R_EDNS,
};

/* What the parser must return for R, whichever encoding. */
struct xrr {
    uint8_t sec;
    const char *name;
    uint16_t type, cls;
    uint32_t ttl;
    const char *value;
};
static const struct xrr R_EXP[] = {
    { PC_DNS_SEC_QD, "example.com", 255, 1, 0, "" },
    { PC_DNS_SEC_AN, "example.com", 1, 1, 300, "93.184.216.34" },
    { PC_DNS_SEC_AN, "example.com", 28, 1, 300, "2001:db8::1" },
    { PC_DNS_SEC_AN, "www.example.com", 5, 1, 60, "example.com" },
    { PC_DNS_SEC_AN, "example.com", 15, 1, 3600, "10 mail.example.com" },
    { PC_DNS_SEC_AN, "example.com", 16, 1, 30, "\"v=spf1 -all\" \"hello world\"" },
    { PC_DNS_SEC_AN, "_sip._udp.example.com", 33, 1, 86400, "10 60 5060 sip.example.com" },
    { PC_DNS_SEC_AN, "example.com", 257, 1, 300, "0 issue \"letsencrypt.org\"" },
    { PC_DNS_SEC_AN, "example.com", 65280, 1, 7, "deadbeef" },
    { PC_DNS_SEC_NS, "example.com", 2, 1, 172800, "ns1.example.com" },
    { PC_DNS_SEC_NS, "example.com", 6, 1, 3600,
      "ns1.example.com hostmaster.example.com 2024010101 7200 3600 1209600 300" },
    { PC_DNS_SEC_AR, "1.2.0.192.in-addr.arpa", 12, 1, 300, "host.example.com" },
    { PC_DNS_SEC_AR, ".", 41, 1232, 0x8000, "0008000700011800c00002000a00080102030405060708" },
};
#define R_NEXP (sizeof R_EXP / sizeof R_EXP[0])

/* ================================================================ helpers */

#define UDP_DNS 42 /* Ethernet 14 + IPv4 20 + UDP 8 */
#define TCP_DNS 54 /* Ethernet 14 + IPv4 20 + TCP 20 */

static uint32_t rnd(struct pc_rng *r, uint32_t n) { return (uint32_t)pc_rng_below(r, n); }

static size_t unhex(const char *hex, uint8_t *out) { return th_unhex(hex, out, 4096); }

/* Ethernet/IPv4/UDP (53 <- sport) or TCP around nmsg messages. */
static int frame(uint8_t *buf, size_t cap, const struct pc_dns *msgs, int nmsg, int tcp, uint16_t sport)
{
    struct pc_pkt pk;
    pc_pkt_init(&pk, buf, cap);
    pc_push_eth(&pk, &(struct pc_eth){ .dst = { 2, 0, 0, 0, 0, 2 }, .src = { 2, 0, 0, 0, 0, 1 } });
    pc_push_ipv4(&pk, &(struct pc_ipv4){ .src = { 10, 0, 0, 1 }, .dst = { 10, 0, 0, 2 }, .ttl = 64, .id = sport });
    if (tcp)
        pc_push_tcp(&pk, &(struct pc_tcp){ .sport = sport, .dport = 53, .seq = 1000, .ack = 1,
                                           .flags = PC_TCP_ACK | PC_TCP_PSH, .win = 512 });
    else pc_push_udp(&pk, &(struct pc_udp){ .sport = sport, .dport = 53 });
    for (int k = 0; k < nmsg; k++) pc_push_dns(&pk, &msgs[k]);
    return pc_pkt_finalize(&pk);
}

/* A frame whose UDP (40000 -> 53) or TCP (53 -> 40000) payload is the
 * given bytes (wire-consistent lengths). */
static int frame_raw(uint8_t *buf, size_t cap, int tcp, const uint8_t *pl, size_t n)
{
    struct pc_pkt pk;
    pc_pkt_init(&pk, buf, cap);
    pc_push_eth(&pk, &(struct pc_eth){ .dst = { 2, 0, 0, 0, 0, 2 }, .src = { 2, 0, 0, 0, 0, 1 } });
    pc_push_ipv4(&pk, &(struct pc_ipv4){ .src = { 10, 0, 0, 1 }, .dst = { 10, 0, 0, 2 }, .ttl = 64 });
    if (tcp) pc_push_tcp(&pk, &(struct pc_tcp){ .sport = 53, .dport = 40000, .flags = PC_TCP_ACK, .win = 9 });
    else pc_push_udp(&pk, &(struct pc_udp){ .sport = 40000, .dport = 53 });
    pc_push_payload(&pk, pl, n);
    return pc_pkt_finalize(&pk);
}
static int udp_frame_raw(uint8_t *buf, size_t cap, const uint8_t *m, size_t n) { return frame_raw(buf, cap, 0, m, n); }
static int tcp_frame_raw(uint8_t *buf, size_t cap, const uint8_t *p, size_t n) { return frame_raw(buf, cap, 1, p, n); }

/* Iterate msg and compare with x[0..n): every field and the value text. */
static void expect_entries(const uint8_t *msg, size_t len, const struct xrr *x, size_t n)
{
    struct pc_dns_iter it;
    static struct pc_dns_rr rr;
    static char v[4096];
    cr_assert_eq(pc_dns_iter_init(&it, msg, len), 0);
    for (size_t k = 0; k < n; k++) {
        int rc = pc_dns_iter_next(&it, &rr);
        cr_assert_eq(rc, 1, "entry %zu: rc %d (%s)", k, rc, it.why ? it.why : "");
        cr_assert_eq(rr.section, x[k].sec, "entry %zu section", k);
        cr_assert_str_eq(rr.name, x[k].name, "entry %zu name", k);
        cr_assert_eq(rr.type, x[k].type, "entry %zu type", k);
        cr_assert_eq(rr.rclass, x[k].cls, "entry %zu class", k);
        cr_assert_eq(rr.ttl, x[k].ttl, "entry %zu ttl", k);
        const char *why = NULL;
        int t = pc_dns_rdata_text(msg, len, &rr, v, sizeof v, &why);
        cr_assert_geq(t, 0, "entry %zu rdata: %s", k, why ? why : "");
        cr_assert_eq((size_t)t, strlen(v));
        cr_assert_str_eq(v, x[k].value, "entry %zu value", k);
    }
    cr_assert_eq(pc_dns_iter_next(&it, &rr), 0, "more entries than expected");
    cr_assert_eq(it.off, len, "records end at %zu of %zu", it.off, len);
}

/* Decode a frame and return the index of its first DNS layer (or -1). */
static int first_dns(struct pc_decoded *d)
{
    for (int i = 0; i < d->n; i++)
        if (d->l[i].proto == PC_P_DNS) return i;
    return -1;
}

static void expect_decode(const uint8_t *buf, int n, int rc_want, uint8_t flag, const char *why)
{
    struct pc_decoded d;
    int rc = pc_decode(&d, buf, (uint32_t)n, (uint32_t)n, PC_LINK_ETHERNET);
    int i = first_dns(&d);
    cr_assert_geq(i, 0, "no dns layer");
    cr_assert_eq(rc, rc_want, "decode rc %d, want %d (why: %s)", rc, rc_want, d.l[i].why ? d.l[i].why : "-");
    cr_assert_eq(d.l[i].flags & (PC_LF_TRUNC | PC_LF_MALFORMED), flag, "flags 0x%x (why %s)", d.l[i].flags,
                 d.l[i].why ? d.l[i].why : "-");
    if (why) cr_assert_str_eq(d.l[i].why ? d.l[i].why : "(null)", why);
    else cr_assert_null(d.l[i].why, "unexpected note: %s", d.l[i].why);
}

/* Outside strings, brackets balance and no control byte appears. */
static int json_balanced(const char *s)
{
    int depth = 0, in = 0;
    for (; *s; s++) {
        if ((unsigned char)*s < 0x20) return 0;
        if (in) {
            if (*s == '\\') { if (!s[1]) return 0; s++; }
            else if (*s == '"') in = 0;
            continue;
        }
        if (*s == '"') in = 1;
        else if (*s == '{' || *s == '[') depth++;
        else if ((*s == '}' || *s == ']') && --depth < 0) return 0;
    }
    return !in && depth == 0;
}

static void describe(const struct pc_decoded *d, int i, int json, char *out, size_t cap)
{
    struct pc_fmt f;
    pc_fmt_init(&f, out, cap, json);
    pc_describe_layer(d, i, &f);
}

TestSuite(dns, .timeout = 1800);

/* ======================================================= known bytes */

Test(dns, query_matches_scapy_both_compression_modes)
{
    uint8_t buf[256];
    for (int nc = 0; nc < 2; nc++) {
        struct pc_dns s = Q_SPEC;
        s.no_compress = (uint8_t)nc;
        int n = pc_dns_encode(&s, th_poison(buf, sizeof buf), sizeof buf);
        th_expect_hex(buf, n, Q_HEX);
        for (size_t k = (size_t)n; k < sizeof buf; k++) cr_assert_eq(buf[k], 0xA5, "byte %zu written past the end", k);
    }
}

Test(dns, response_uncompressed_matches_scapy)
{
    static uint8_t buf[2048];
    struct pc_dns s = R_SPEC;
    s.no_compress = 1;
    int n = pc_dns_encode(&s, th_poison(buf, sizeof buf), sizeof buf);
    th_expect_hex(buf, n, R_HEX);
    cr_assert_eq(buf[n], 0xA5);
}

Test(dns, response_parses_from_scapy_and_ours)
{
    static uint8_t m[4096], ours[2048];
    size_t n = unhex(R_HEX, m);
    expect_entries(m, n, R_EXP, R_NEXP);
    n = unhex(RC_HEX, m); /* scapy's compression, pointer chains included (SOA mname -> ns1 + ptr) */
    expect_entries(m, n, R_EXP, R_NEXP);
    int k = pc_dns_encode(&R_SPEC, th_poison(ours, sizeof ours), sizeof ours);
    cr_assert_gt(k, 0);
    expect_entries(ours, (size_t)k, R_EXP, R_NEXP);
    cr_assert_lt(k, (int)(strlen(R_HEX) / 2), "compression saved nothing");
    cr_assert_eq(pc_dns_id(ours), 0xbeef);
    cr_assert_eq(pc_dns_flags(ours), 0x85a0);
    cr_assert_eq(pc_dns_qr(ours), 1);
    cr_assert_eq(pc_dns_qdcount(ours), 1);
    cr_assert_eq(pc_dns_ancount(ours), 8);
    cr_assert_eq(pc_dns_nscount(ours), 2);
    cr_assert_eq(pc_dns_arcount(ours), 2);
}

Test(dns, compression_exact_bytes)
{
    static const struct pc_dns_question q[] = { { "www.example.com", PC_DNS_T_A, 1 } };
    static const struct pc_dns_record an[] = {
        { .name = "www.example.com", .type = PC_DNS_T_CNAME, .rclass = 1, .ttl = 60, .target = "example.com" },
        { .name = "example.com.", .type = PC_DNS_T_MX, .rclass = 1, .ttl = 60, .mx = { 10, "mail.example.com" } },
        { .name = "_sip._tcp.Example.com", .type = PC_DNS_T_SRV, .rclass = 1, .ttl = 60,
          .srv = { 1, 2, 5060, "sip.example.com" } },
        { .name = "sip.example.com", .type = PC_DNS_T_A, .rclass = 1, .ttl = 60, .a = { 10, 0, 0, 1 } },
    };
    struct pc_dns s = { .id = 7, .qr = 1, .rd = 1, .ra = 1, .qd = q, .nqd = 1, .an = an, .nan = 4 };
    uint8_t buf[512];
    th_expect_hex(buf, pc_dns_encode(&s, th_poison(buf, sizeof buf), sizeof buf), COMP_HEX);
}

Test(dns, push_into_udp_and_tcp_frames)
{
    static uint8_t buf[2048], msg[2048];
    int m = pc_dns_encode(&R_SPEC, msg, sizeof msg);
    cr_assert_gt(m, 0);
    int n = frame(th_poison(buf, sizeof buf), sizeof buf, &R_SPEC, 1, 0, 40000);
    cr_assert_eq(n, UDP_DNS + m);
    cr_assert(memcmp(buf + UDP_DNS, msg, (size_t)m) == 0);
    cr_assert_eq(buf[n], 0xA5);
    struct pc_decoded d;
    cr_assert_eq(pc_decode(&d, buf, (uint32_t)n, (uint32_t)n, PC_LINK_ETHERNET), 0);
    cr_assert_eq(d.n, 4);
    cr_assert_eq(d.l[2].csum, PC_CSUM_GOOD);
    cr_assert_eq(d.l[3].proto, PC_P_DNS);
    cr_assert_eq(d.l[3].off, UDP_DNS);
    cr_assert_eq(d.l[3].hlen, PC_DNS_HLEN);
    cr_assert_eq(d.l[3].plen, (uint32_t)m - PC_DNS_HLEN);
    cr_assert_null(d.l[3].why);

    struct pc_dns t[2] = { Q_SPEC, R_SPEC };
    t[0].tcp = t[1].tcp = 1;
    n = frame(th_poison(buf, sizeof buf), sizeof buf, t, 2, 1, 40001);
    cr_assert_eq(n, TCP_DNS + 2 + 29 + 2 + m);
    cr_assert_eq(pc_get16(buf + TCP_DNS), 29);
    cr_assert_eq(pc_get16(buf + TCP_DNS + 31), m);
    cr_assert(memcmp(buf + TCP_DNS + 33, msg, (size_t)m) == 0);
    cr_assert_eq(pc_decode(&d, buf, (uint32_t)n, (uint32_t)n, PC_LINK_ETHERNET), 0);
    cr_assert_eq(d.n, 5);
    cr_assert_eq(d.l[2].csum, PC_CSUM_GOOD);
    cr_assert_eq(d.l[3].proto, PC_P_DNS);
    cr_assert_eq(d.l[3].off, TCP_DNS);
    cr_assert_eq(d.l[3].hlen, 2 + PC_DNS_HLEN);
    cr_assert_eq(d.l[3].plen, 29 - PC_DNS_HLEN);
    cr_assert_eq(d.l[4].off, TCP_DNS + 31);
    cr_assert_eq(d.l[4].plen, (uint32_t)m - PC_DNS_HLEN);

    /* pc_dns_encode gives the same bytes, prefix included, for hand-made segments. */
    uint8_t seg[4096];
    int a = pc_dns_encode(&t[0], seg, sizeof seg), b = pc_dns_encode(&t[1], seg + a, sizeof seg - (size_t)a);
    cr_assert_eq(a + b, n - TCP_DNS);
    cr_assert(memcmp(seg, buf + TCP_DNS, (size_t)(a + b)) == 0);
}

Test(dns, describe_text_like_tcpdump)
{
    static const struct pc_dns_record a[] = {
        { .name = "example.com", .type = PC_DNS_T_A, .rclass = 1, .ttl = 300, .a = { 93, 184, 216, 34 } },
        { .name = "example.com", .type = PC_DNS_T_MX, .rclass = 1, .ttl = 300, .mx = { 10, "mail.example.com" } },
    };
    static const struct pc_dns_record soa[] = { { .name = "example.com", .type = PC_DNS_T_SOA, .rclass = 1,
                                                  .soa = { "ns.example.com", "h.example.com", 1, 2, 3, 4, 5 } } };
    static const struct pc_dns_question q[] = { { "example.com", PC_DNS_T_A, 1 }, { ".", PC_DNS_T_NS, 1 } };
    struct { struct pc_dns s; const char *want; } cases[] = {
        { { .id = 4660, .rd = 1, .qd = q, .nqd = 1 }, "DNS 4660+ A? example.com." },
        { { .id = 4660, .qd = q + 1, .nqd = 1 }, "DNS 4660 NS? ." },
        { { .id = 9, .rd = 1, .qd = q, .nqd = 2 }, "DNS 9+ [2q] A? example.com. NS? ." },
        { { .id = 4660, .qr = 1, .rd = 1, .ra = 1, .qd = q, .nqd = 1, .an = a, .nan = 1 }, "DNS 4660 1/0/0 A 93.184.216.34" },
        { { .id = 1, .qr = 1, .aa = 1, .tc = 1, .an = a, .nan = 2 },
          "DNS 1*-| 2/0/0 A 93.184.216.34, MX 10 mail.example.com" },
        { { .id = 4660, .qr = 1, .ra = 1, .rcode = 3, .qd = q, .nqd = 1, .ns = soa, .nns = 1 }, "DNS 4660 NXDomain 0/1/0" },
        { { .id = 2, .opcode = PC_DNS_OP_NOTIFY, .qd = q, .nqd = 1 }, "DNS 2 Notify A? example.com." },
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        uint8_t buf[512];
        char out[512];
        cases[k].s.tcp = (uint8_t)(k & 1); /* the text is the same over TCP */
        int n = frame(buf, sizeof buf, &cases[k].s, 1, (int)(k & 1), 40000);
        struct pc_decoded d;
        cr_assert_eq(pc_decode(&d, buf, (uint32_t)n, (uint32_t)n, PC_LINK_ETHERNET), 0);
        describe(&d, first_dns(&d), 0, out, sizeof out);
        cr_assert_str_eq(out, cases[k].want, "case %zu", k);
    }
}

Test(dns, describe_json_members)
{
    static const char *const quote[] = { "a\"b" };
    static const struct pc_dns_record an[] = {
        { .name = "example.com", .type = PC_DNS_T_A, .rclass = 1, .ttl = 300, .a = { 93, 184, 216, 34 } },
        { .name = "q\"uote\\.example", .type = PC_DNS_T_TXT, .rclass = 1, .ttl = 1, .txt = { quote, NULL, 1 } },
    };
    static const struct pc_dns_ednsopt o[] = { { .code = PC_EDNS_OPT_ECS, .ecs = { 2, 56, 0, { 0x20, 1, 0xd, 0xb8, 1, 2, 3, 4 } } },
                                               { .code = 12, .data = (const uint8_t *)"\0\0", .len = 2 } };
    static const struct pc_dns_edns e = { .udp_size = 4096, .ext_rcode = 1, .do_bit = 1, .opts = o, .nopts = 2 };
    struct pc_dns s = { .id = 4660, .qr = 1, .rd = 1, .ra = 1, .qd = Q_QD, .nqd = 1, .an = an, .nan = 2, .edns = &e };
    uint8_t buf[512];
    static char out[4096];
    for (int tcp = 0; tcp < 2; tcp++) {
        s.tcp = (uint8_t)tcp;
        int n = frame(buf, sizeof buf, &s, 1, tcp, 40000);
        struct pc_decoded d;
        cr_assert_eq(pc_decode(&d, buf, (uint32_t)n, (uint32_t)n, PC_LINK_ETHERNET), 0);
        describe(&d, first_dns(&d), 1, out, sizeof out);
        char want[2048], pre[32] = "";
        if (tcp) snprintf(pre, sizeof pre, "\"length\":%u,", pc_get16(buf + TCP_DNS));
        cr_assert(!tcp || pc_get16(buf + TCP_DNS) == d.l[first_dns(&d)].plen + PC_DNS_HLEN);
        snprintf(want, sizeof want,
                 "%s\"id\":4660,\"qr\":true,\"opcode\":0,\"aa\":false,\"tc\":false,\"rd\":true,\"ra\":true,\"z\":false,"
                 "\"ad\":false,\"cd\":false,\"rcode\":0,\"qdcount\":1,\"ancount\":2,\"nscount\":0,\"arcount\":1,"
                 "\"questions\":[{\"name\":\"example.com\",\"type\":\"A\",\"class\":1}],"
                 "\"answers\":[{\"name\":\"example.com\",\"type\":\"A\",\"class\":1,\"ttl\":300,\"value\":\"93.184.216.34\"},"
                 "{\"name\":\"q\\\\\\\"uote\\\\.example\",\"type\":\"TXT\",\"class\":1,\"ttl\":1,\"value\":\"\\\"a\\\\\\\"b\\\"\"}],"
                 "\"authority\":[],"
                 "\"additional\":[{\"type\":\"OPT\",\"udp_size\":4096,\"ext_rcode\":1,\"version\":0,\"do\":true,\"options\":["
                 "{\"code\":8,\"family\":2,\"source_prefix\":56,\"scope_prefix\":0,\"address\":\"2001:db8:102:300::\"},"
                 "{\"code\":12,\"data\":\"0000\"}]}]",
                 pre);
        cr_assert_str_eq(out, want);
    }
}

Test(dns, type_and_rcode_names)
{
    cr_assert_str_eq(pc_dns_type_name(1), "A");
    cr_assert_str_eq(pc_dns_type_name(28), "AAAA");
    cr_assert_str_eq(pc_dns_type_name(41), "OPT");
    cr_assert_str_eq(pc_dns_type_name(257), "CAA");
    const char *a = pc_dns_type_name(65280), *b = pc_dns_type_name(999);
    cr_assert_str_eq(a, "TYPE65280");
    cr_assert_str_eq(b, "TYPE999");
    cr_assert_str_eq(pc_dns_rcode_name(0), "NoError");
    cr_assert_str_eq(pc_dns_rcode_name(3), "NXDomain");
    cr_assert_str_eq(pc_dns_rcode_name(16), "BADVERS");
    cr_assert_str_eq(pc_dns_rcode_name(23), "RCODE23");
}

/* ============================================ names: design notes 3.5 */

/* A message of one question per name given as raw wire bytes, so any
 * name (valid or not) can be parsed in the place a decoder meets it. */
static size_t msg_with_names(uint8_t *m, const uint8_t *names, size_t nlen, uint16_t qd)
{
    memset(m, 0, PC_DNS_HLEN);
    pc_put16(m, 0x4242);
    pc_put16(m + 4, qd);
    memcpy(m + PC_DNS_HLEN, names, nlen);
    return PC_DNS_HLEN + nlen;
}

static void expect_name(const uint8_t *m, size_t len, size_t off, int rc_want, const char *text_or_why, size_t next_want)
{
    char out[PC_DNS_NAME_TEXTMAX];
    size_t next = 0;
    const char *why = NULL;
    int rc = pc_dns_name(m, len, off, out, sizeof out, &next, &why);
    if (rc_want >= 0) {
        cr_assert_geq(rc, 0, "offset %zu: %d (%s)", off, rc, why ? why : "");
        cr_assert_str_eq(out, text_or_why);
        cr_assert_eq((size_t)rc, strlen(out));
        cr_assert_eq(next, next_want, "offset %zu: next %zu, want %zu", off, next, next_want);
    } else {
        cr_assert_eq(rc, rc_want, "offset %zu: rc %d, want %d (%s)", off, rc, rc_want, why ? why : "");
        cr_assert_str_eq(why, text_or_why);
    }
}

Test(dns, pointer_chains_that_are_valid)
{
    /* 12: a.example.com; 27: b -> example (14); 31: -> 27 (a pointer to a
     * label then a pointer); 33: -> 31 (a pointer to a pointer) */
    static const uint8_t names[] = "\x01" "a" "\x07" "example" "\x03" "com" "\x00"
                                   "\x01" "b" "\xc0\x0e"
                                   "\xc0\x1b"
                                   "\xc0\x1f";
    uint8_t m[128];
    size_t n = msg_with_names(m, names, sizeof names - 1, 0);
    expect_name(m, n, 12, 0, "a.example.com", 27);
    expect_name(m, n, 27, 0, "b.example.com", 31);
    expect_name(m, n, 31, 0, "b.example.com", 33);
    expect_name(m, n, 33, 0, "b.example.com", 35);
    expect_name(m, n, 14, 0, "example.com", 27);
    expect_name(m, n, 26, 0, ".", 27);
}

Test(dns, loops_and_forward_pointers_are_rejected)
{
    uint8_t m[128];
    /* 12: label a then a pointer back to 12: every pointer points before
     * itself, yet it loops; the rule "before the current run" catches it. */
    size_t n = msg_with_names(m, (const uint8_t *)"\x01" "a" "\xc0\x0c", 4, 1);
    expect_name(m, n, 12, PC_EMALFORMED, "dns: compression pointer loop", 0);
    n = msg_with_names(m, (const uint8_t *)"\xc0\x0c", 2, 1); /* points at itself */
    expect_name(m, n, 12, PC_EMALFORMED, "dns: compression pointer loop", 0);
    n = msg_with_names(m, (const uint8_t *)"\xc0\x0d\x00", 3, 1); /* into its own second byte */
    expect_name(m, n, 12, PC_EMALFORMED, "dns: compression pointer points forward", 0);
    n = msg_with_names(m, (const uint8_t *)"\xc0\x0e\xc0\x0c", 4, 1); /* two pointers at each other */
    expect_name(m, n, 12, PC_EMALFORMED, "dns: compression pointer points forward", 0);
    expect_name(m, n, 14, PC_EMALFORMED, "dns: compression pointer points forward", 0);
    n = msg_with_names(m, (const uint8_t *)"\x01" "a" "\xc0\x10\x00\x01" "b" "\x00", 8, 1); /* forward to a valid name */
    expect_name(m, n, 12, PC_EMALFORMED, "dns: compression pointer points forward", 0);
    n = msg_with_names(m, (const uint8_t *)"\xff\xff", 2, 1); /* far past the message */
    expect_name(m, n, 12, PC_EMALFORMED, "dns: compression pointer points forward", 0);
    /* 12: x.y; 16: z -> 12; 20: w -> 16 -> chain ok; 24: -> 20 (ok), 26: v -> 26 + 1 ... */
    n = msg_with_names(m, (const uint8_t *)"\x01" "x" "\x01" "y" "\x00" "\x01" "z" "\xc0\x0c" "\x01" "w" "\xc0\x11", 13, 1);
    expect_name(m, n, 21, 0, "w.z.x.y", 25);

    /* The builder's deliberate ones, through the decoder. */
    static const struct pc_dns_question q2[] = { { "www.example.com", 1, 1 }, { "mail.example.com", 28, 1 } };
    struct pc_dns s = { .id = 1, .qd = q2, .nqd = 1, .malform = PC_DNS_MAL_LOOP };
    uint8_t buf[512];
    int k = frame(buf, sizeof buf, &s, 1, 0, 40000);
    expect_decode(buf, k, PC_EMALFORMED, PC_LF_MALFORMED, "dns: compression pointer loop");
    cr_assert(memcmp(buf + UDP_DNS + 12, "\x03www\xc0\x0c", 6) == 0);
    s.malform = PC_DNS_MAL_FWDPTR;
    s.nqd = 2;
    k = frame(buf, sizeof buf, &s, 1, 0, 40000);
    expect_decode(buf, k, PC_EMALFORMED, PC_LF_MALFORMED, "dns: compression pointer points forward");
    cr_assert(memcmp(buf + UDP_DNS + 12, "\xc0\x12\x00\x01\x00\x01\x04mail", 11) == 0);
    s.nqd = 1; /* nothing to point forward to */
    cr_assert_eq(pc_dns_encode(&s, buf, sizeof buf), PC_EINVAL);
    s.nqd = 0;
    s.malform = PC_DNS_MAL_LOOP; /* no name at all */
    cr_assert_eq(pc_dns_encode(&s, buf, sizeof buf), PC_EINVAL);
}

/* Wire bytes of a name with nl labels of length ll each ('a'..). */
static size_t long_name(uint8_t *w, int nl, int ll)
{
    size_t n = 0;
    for (int i = 0; i < nl; i++) {
        w[n++] = (uint8_t)ll;
        for (int j = 0; j < ll; j++) w[n++] = (uint8_t)('a' + (i + j) % 26);
    }
    w[n++] = 0;
    return n;
}

Test(dns, name_size_limits_and_buffer_caps)
{
    static uint8_t w[600], m[700];
    static char text[1200], out[PC_DNS_NAME_TEXTMAX];
    /* 127 one-byte labels: 253 characters, 255 wire bytes, the maximum. */
    size_t wl = long_name(w, 127, 1);
    cr_assert_eq(wl, 255);
    size_t n = msg_with_names(m, w, wl, 0);
    size_t next;
    const char *why = NULL;
    cr_assert_eq(pc_dns_name(m, n, 12, out, sizeof out, &next, &why), 253);
    cr_assert_eq(next, 12 + 255);
    cr_assert_eq(pc_dns_name(m, n, 12, out, 254, &next, &why), 253, "an exact buffer must do");
    cr_assert_eq(pc_dns_name(m, n, 12, out, 253, &next, &why), PC_ENOSPC, "a small buffer is not malformation");
    cr_assert_str_eq(why, "dns: name text does not fit the buffer");
    cr_assert_eq(pc_dns_name(m, n, 12, NULL, 0, &next, NULL), 253, "checking only");
    /* The builder takes the same name, and the decoder accepts it. */
    memcpy(text, out, 253);
    pc_dns_name(m, n, 12, text, sizeof text, NULL, NULL);
    struct pc_dns_question q = { text, 1, 1 };
    struct pc_dns s = { .id = 3, .qd = &q, .nqd = 1 };
    uint8_t enc[600];
    int k = pc_dns_encode(&s, enc, sizeof enc);
    cr_assert_eq(k, 12 + 255 + 4);
    cr_assert(memcmp(enc + 12, w, 255) == 0);
    uint8_t fr[700];
    k = frame(fr, sizeof fr, &s, 1, 0, 40000);
    expect_decode(fr, k, 0, 0, NULL);
    /* The longest text: 63+63+63+61 bytes all 0xFF, each written \255. */
    size_t p = 0;
    for (int i = 0; i < 4; i++) {
        int ll = i < 3 ? 63 : 61;
        w[p++] = (uint8_t)ll;
        memset(w + p, 0xFF, (size_t)ll);
        p += (size_t)ll;
    }
    w[p++] = 0;
    cr_assert_eq(p, 255);
    n = msg_with_names(m, w, p, 0);
    int t = pc_dns_name(m, n, 12, out, sizeof out, &next, &why);
    cr_assert_eq(t, 250 * 4 + 3);
    cr_assert_lt((size_t)t, sizeof out);
    q.name = out;
    cr_assert_eq(pc_dns_encode(&s, enc, sizeof enc), 12 + 255 + 4, "escaped text round trip");
    cr_assert(memcmp(enc + 12, w, 255) == 0);
    /* One byte too many, two ways. */
    n = msg_with_names(m, w, long_name(w, 128, 1), 0);
    expect_name(m, n, 12, PC_EMALFORMED, "dns: name has more than 127 labels", 0);
    n = msg_with_names(m, w, long_name(w, 5, 63), 0);
    expect_name(m, n, 12, PC_EMALFORMED, "dns: name longer than 255 bytes", 0);
    /* Labels longer than 63: the 0x40 and 0x80 label types. */
    n = msg_with_names(m, w, long_name(w, 1, 64), 0);
    expect_name(m, n, 12, PC_EMALFORMED, "dns: label type 0x40 or 0x80", 0);
    n = msg_with_names(m, (const uint8_t *)"\x80\x00", 2, 0);
    expect_name(m, n, 12, PC_EMALFORMED, "dns: label type 0x40 or 0x80", 0);
    /* The builder refuses them unless asked. */
    static char lab[300];
    memset(lab, 'x', 64);
    lab[64] = 0;
    q.name = lab;
    cr_assert_eq(pc_dns_encode(&s, enc, sizeof enc), PC_EINVAL);
    s.malform = PC_DNS_MAL_LONGLABEL;
    k = frame(fr, sizeof fr, &s, 1, 0, 40000);
    cr_assert_eq(fr[UDP_DNS + 12], 64);
    expect_decode(fr, k, PC_EMALFORMED, PC_LF_MALFORMED, "dns: label type 0x40 or 0x80");
    s.malform = 0;
    long_name(w, 4, 63);
    snprintf(lab, sizeof lab, "%.63s.%.63s.%.63s.%.63s", (char *)w + 1, (char *)w + 65, (char *)w + 129, (char *)w + 193);
    cr_assert_eq(pc_dns_encode(&s, enc, sizeof enc), PC_EINVAL, "257 wire bytes");
    lab[strlen(lab) - 2] = 0; /* 63.63.63.61: 255 wire bytes */
    cr_assert_gt(pc_dns_encode(&s, enc, sizeof enc), 0);
    char many[300] = "";
    for (int i = 0; i < 128; i++) strcat(many, i ? ".a" : "a");
    q.name = many;
    cr_assert_eq(pc_dns_encode(&s, enc, sizeof enc), PC_EINVAL, "128 labels");
}

Test(dns, name_running_past_the_message_is_truncation)
{
    uint8_t m[64];
    size_t n = msg_with_names(m, (const uint8_t *)"\x05" "ab", 3, 1);
    expect_name(m, n, 12, PC_ETRUNC, "dns: name runs past the message", 0);
    n = msg_with_names(m, (const uint8_t *)"\x01" "a", 2, 1); /* no root byte */
    expect_name(m, n, 12, PC_ETRUNC, "dns: name runs past the message", 0);
    n = msg_with_names(m, (const uint8_t *)"\xc0", 1, 1); /* half a pointer */
    expect_name(m, n, 12, PC_ETRUNC, "dns: name runs past the message", 0);
    expect_name(m, n, 13, PC_ETRUNC, "dns: name runs past the message", 0);
}

Test(dns, name_text_escapes_both_ways)
{
    /* Bytes . \ space NUL 0xFF " ( ; @ $ ) and a letter, as dig writes them. */
    static const uint8_t wire[] = "\x0f" "a.b\\c \x00\xff\"(;@$)Z" "\x03" "com" "\x00";
    uint8_t m[128];
    size_t n = msg_with_names(m, wire, sizeof wire - 1, 1);
    const char *canon = "a\\.b\\\\c\\032\\000\\255\\\"\\(\\;\\@\\$\\)Z.com";
    expect_name(m, n, 12, 0, canon, 12 + sizeof wire - 1);
    const char *forms[] = { canon, "a\\.b\\\\c\\032\\000\\255\\\"\\(\\;\\@\\$\\)Z.com.",
                            "\\097\\.\\b\\092c\\ \\000\\255\"(;@$)\\Z.c\\o\\109" };
    for (size_t k = 0; k < 3; k++) {
        struct pc_dns_question q = { forms[k], 1, 1 };
        struct pc_dns s = { .qd = &q, .nqd = 1 };
        uint8_t enc[128];
        int e = pc_dns_encode(&s, enc, sizeof enc);
        cr_assert_eq(e, 12 + (int)sizeof wire - 1 + 4, "form %zu: %d", k, e);
        cr_assert(memcmp(enc + 12, wire, sizeof wire - 1) == 0, "form %zu", k);
    }
    static const char *const roots[] = { "", ".", NULL };
    for (size_t k = 0; k < 3; k++) {
        struct pc_dns_question q = { roots[k], 2, 1 };
        struct pc_dns s = { .qd = &q, .nqd = 1 };
        uint8_t enc[64];
        cr_assert_eq(pc_dns_encode(&s, enc, sizeof enc), 12 + 1 + 4);
        cr_assert_eq(enc[12], 0);
    }
    static const char *const bad[] = { "a..b", ".a", "a\\", "a\\25", "a\\256", "..", "a\\2x5" };
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
        struct pc_dns_question q = { bad[k], 1, 1 };
        struct pc_dns s = { .qd = &q, .nqd = 1 };
        uint8_t enc[64];
        cr_assert_eq(pc_dns_encode(&s, enc, sizeof enc), PC_EINVAL, "\"%s\" accepted", bad[k]);
    }
}

/* ============================================= lengths: too small, too large */

static const struct pc_dns_question LQ[] = { { "example.com", 1, 1 } };

/* A response with the one record r (and a trailing A record when more). */
static int build_one(uint8_t *buf, size_t cap, const struct pc_dns_record *r, int more)
{
    struct pc_dns_record rr[2] = { *r, { .name = "x.example.com", .type = 1, .rclass = 1, .a = { 1, 2, 3, 4 } } };
    struct pc_dns s = { .id = 5, .qr = 1, .qd = LQ, .nqd = 1, .an = rr, .nan = more ? 2u : 1u };
    return frame(buf, cap, &s, 1, 0, 40000);
}

Test(dns, counts_larger_and_smaller_than_records)
{
    static const struct pc_dns_record an[] = { { .name = "example.com", .type = 1, .rclass = 1, .a = { 1, 2, 3, 4 } } };
    static const char *const why[4] = { "dns: question count exceeds records", "dns: answer count exceeds records",
                                        "dns: authority count exceeds records", "dns: additional count exceeds records" };
    uint8_t buf[512];
    for (int sec = 0; sec < 4; sec++) {
        /* Only the last section may lie without shifting the others: the
         * message holds entries up to sec. */
        struct pc_dns s = { .id = 6, .qr = 1, .qd = LQ, .nqd = 1, .an = an, .nan = sec >= 1, .ns = an,
                            .nns = sec >= 2, .ar = an, .nar = sec >= 3 };
        pc_field *f = sec == 0 ? &s.qdcount : sec == 1 ? &s.ancount : sec == 2 ? &s.nscount : &s.arcount;
        *f = PC_CORRUPT;
        int n = frame(buf, sizeof buf, &s, 1, 0, 40000);
        cr_assert_eq(pc_get16(buf + UDP_DNS + 4 + 2 * sec), 2, "corrupt count is the count plus one");
        expect_decode(buf, n, PC_EMALFORMED, PC_LF_MALFORMED, why[sec]);
        *f = PC_PIN(0xFFFF);
        n = frame(buf, sizeof buf, &s, 1, 0, 40000);
        expect_decode(buf, n, PC_EMALFORMED, PC_LF_MALFORMED, why[sec]);
        *f = PC_PIN(0); /* smaller: the rest is trailing data, noted */
        n = frame(buf, sizeof buf, &s, 1, 0, 40000);
        cr_assert_eq(pc_get16(buf + UDP_DNS + 4 + 2 * sec), 0);
        expect_decode(buf, n, 0, 0, "dns: trailing bytes after the last record");
    }
}

Test(dns, rdata_lengths_too_small_and_too_large)
{
    static const char *const txt[] = { "abc" };
    struct { struct pc_dns_record r; uint32_t small_len, big_len; const char *small, *big; } c[] = {
        { { .name = "a", .type = PC_DNS_T_A, .rclass = 1, .a = { 1, 2, 3, 4 } }, 3, 5,
          "dns: A rdata is not 4 bytes", "dns: A rdata is not 4 bytes" },
        { { .name = "a", .type = PC_DNS_T_AAAA, .rclass = 1 }, 15, 17,
          "dns: AAAA rdata is not 16 bytes", "dns: AAAA rdata is not 16 bytes" },
        { { .name = "a", .type = PC_DNS_T_CNAME, .rclass = 1, .target = "b.example.com" }, 3, 6,
          "dns: name runs past the rdata", "dns: rdata longer than its fields" },
        { { .name = "a", .type = PC_DNS_T_MX, .rclass = 1, .mx = { 5, "mx.example.com" } }, 1, 8,
          "dns: rdata too short for its type", "dns: rdata longer than its fields" },
        { { .name = "a", .type = PC_DNS_T_SRV, .rclass = 1, .srv = { 1, 2, 3, "t" } }, 5, 10,
          "dns: rdata too short for its type", "dns: rdata longer than its fields" },
        { { .name = "a", .type = PC_DNS_T_SOA, .rclass = 1, .soa = { "m", "r", 1, 2, 3, 4, 5 } }, 25, 27,
          "dns: rdata too short for its type", "dns: rdata longer than its fields" },
        { { .name = "a", .type = PC_DNS_T_TXT, .rclass = 1, .txt = { txt, NULL, 1 } }, 3, 5,
          "dns: TXT string runs past the rdata", "dns: TXT string runs past the rdata" },
        { { .name = "a", .type = PC_DNS_T_CAA, .rclass = 1, .caa = { 0, "issue", "x" } }, 1, 9,
          "dns: rdata too short for its type", "dns: label type 0x40 or 0x80" },
    };
    uint8_t buf[512];
    for (size_t k = 0; k < sizeof c / sizeof c[0]; k++) {
        c[k].r.rdlength = PC_PIN(c[k].small_len);
        int n = build_one(buf, sizeof buf, &c[k].r, 1);
        expect_decode(buf, n, PC_EMALFORMED, PC_LF_MALFORMED, c[k].small);
        c[k].r.rdlength = PC_PIN(c[k].big_len);
        n = build_one(buf, sizeof buf, &c[k].r, 1);
        /* A CAA value just grows by the next record's first byte ("x" of
         * x.example.com); that record then starts at 'x' (0x78), a 0x40 label. */
        expect_decode(buf, n, PC_EMALFORMED, PC_LF_MALFORMED, c[k].big);
        /* The last record's length past the message end. */
        c[k].r.rdlength = PC_CORRUPT;
        n = build_one(buf, sizeof buf, &c[k].r, 0);
        expect_decode(buf, n, PC_EMALFORMED, PC_LF_MALFORMED, "dns: rdata runs past the message");
    }
    /* The CAA tag length and EDNS option lengths, both ways. */
    static const uint8_t caa0[] = { 0, 0, 'x' }, caa9[] = { 0, 9, 'x' };
    struct pc_dns_record r = { .name = "a", .type = PC_DNS_T_CAA, .rclass = 1, .raw = { caa0, 3 } };
    int n = build_one(buf, sizeof buf, &r, 0);
    expect_decode(buf, n, PC_EMALFORMED, PC_LF_MALFORMED, "dns: CAA tag length invalid");
    r.raw.data = caa9;
    n = build_one(buf, sizeof buf, &r, 0);
    expect_decode(buf, n, PC_EMALFORMED, PC_LF_MALFORMED, "dns: CAA tag length invalid");
    static const uint8_t opt_long[] = { 0, 10, 0, 9, 1, 2 }, opt_cut[] = { 0, 10, 0 },
                         ecs_long[] = { 0, 8, 0, 8, 0, 1, 24, 0, 1, 2, 3, 4 }, ecs_short[] = { 0, 8, 0, 6, 0, 1, 24, 0, 1, 2 },
                         ecs_fam[] = { 0, 8, 0, 4, 0, 3, 0, 0 }, ecs_src[] = { 0, 8, 0, 9, 0, 1, 33, 0, 1, 2, 3, 4, 5 };
    struct { const uint8_t *p; size_t n; const char *why; } o[] = {
        { opt_long, sizeof opt_long, "dns: edns option runs past the rdata" },
        { opt_cut, sizeof opt_cut, "dns: edns option runs past the rdata" },
        { ecs_long, sizeof ecs_long, "dns: client subnet option invalid" },
        { ecs_short, sizeof ecs_short, "dns: client subnet option invalid" },
        { ecs_fam, sizeof ecs_fam, "dns: client subnet option invalid" },
        { ecs_src, sizeof ecs_src, "dns: client subnet option invalid" },
    };
    for (size_t k = 0; k < sizeof o / sizeof o[0]; k++) {
        struct pc_dns_record opt = { .name = ".", .type = PC_DNS_T_OPT, .rclass = 512, .raw = { o[k].p, o[k].n } };
        struct pc_dns s = { .id = 8, .qr = 1, .ar = &opt, .nar = 1 };
        n = frame(buf, sizeof buf, &s, 1, 0, 40000);
        expect_decode(buf, n, PC_EMALFORMED, PC_LF_MALFORMED, o[k].why);
    }
}

Test(dns, tcp_length_prefix_too_small_and_too_large)
{
    uint8_t buf[1024];
    struct pc_dns s[3] = { Q_SPEC, Q_SPEC, Q_SPEC };
    for (int k = 0; k < 3; k++) { s[k].tcp = 1; s[k].id = (uint16_t)(k + 1); }
    s[0].tcp_len = PC_PIN(11);
    int n = frame(buf, sizeof buf, s, 1, 1, 40000);
    expect_decode(buf, n, PC_EMALFORMED, PC_LF_MALFORMED, "dns: tcp length below 12");
    /* Longer than the segment: the message goes on in the next one. */
    s[0].tcp_len = PC_CORRUPT;
    n = frame(buf, sizeof buf, s, 1, 1, 40000);
    cr_assert_eq(pc_get16(buf + TCP_DNS), 30);
    expect_decode(buf, n, PC_ETRUNC, PC_LF_TRUNC, "dns: message continues in the next tcp segment");
    s[0].tcp_len = PC_PIN(0xFFFF);
    n = frame(buf, sizeof buf, s, 1, 1, 40000);
    expect_decode(buf, n, PC_ETRUNC, PC_LF_TRUNC, "dns: message continues in the next tcp segment");
    /* Shorter but >= 12: the message is cut where the length says (a
     * lying count then), and what follows reads as the next prefix. */
    s[0].tcp_len = PC_PIN(12);
    n = frame(buf, sizeof buf, s, 1, 1, 40000);
    expect_decode(buf, n, PC_EMALFORMED, PC_LF_MALFORMED, "dns: question count exceeds records");
    /* Three messages, then one byte of a fourth prefix. */
    s[0].tcp_len = (pc_field){ 0 };
    n = frame(buf, sizeof buf, s, 3, 1, 40000);
    struct pc_decoded d;
    cr_assert_eq(pc_decode(&d, buf, (uint32_t)n, (uint32_t)n, PC_LINK_ETHERNET), 0);
    cr_assert_eq(d.n, 6);
    for (int k = 0; k < 3; k++) {
        cr_assert_eq(d.l[3 + k].proto, PC_P_DNS);
        cr_assert_eq(pc_dns_id(pc_layer_hdr(&d, 3 + k) + 2), k + 1);
    }
    uint8_t seg[256];
    memcpy(seg, buf + TCP_DNS, (size_t)(n - TCP_DNS));
    seg[n - TCP_DNS] = 0;
    n = tcp_frame_raw(buf, sizeof buf, seg, (size_t)(n - TCP_DNS) + 1);
    cr_assert_eq(pc_decode(&d, buf, (uint32_t)n, (uint32_t)n, PC_LINK_ETHERNET), PC_ETRUNC);
    cr_assert_eq(d.n, 7);
    cr_assert(d.l[6].flags & PC_LF_TRUNC);
    cr_assert_str_eq(d.l[6].why, "dns: tcp length prefix continues in the next segment");
    cr_assert_eq(d.l[5].flags, 0);
}

Test(dns, layer_cap_with_many_messages_per_segment)
{
    struct pc_dns s[20];
    for (int k = 0; k < 20; k++) {
        s[k] = Q_SPEC;
        s[k].tcp = 1;
    }
    /* The builder's own cap: IPv4, TCP and 15 messages are 17 layers. */
    uint8_t buf[2048];
    struct pc_pkt pk;
    pc_pkt_init(&pk, buf, sizeof buf);
    pc_push_ipv4(&pk, &(struct pc_ipv4){ .ttl = 1 });
    pc_push_tcp(&pk, &(struct pc_tcp){ .sport = 53, .dport = 1 });
    for (int k = 0; k < 15; k++) pc_push_dns(&pk, &s[k]);
    cr_assert_eq(pc_pkt_finalize(&pk), PC_ELIMIT);
    /* A hand-made segment of 20 messages: the decoder stops at its cap. */
    uint8_t seg[1024];
    size_t n = 0;
    for (int k = 0; k < 20; k++) n += (size_t)pc_dns_encode(&s[k], seg + n, sizeof seg - n);
    int f = tcp_frame_raw(buf, sizeof buf, seg, n);
    struct pc_decoded d;
    cr_assert_eq(pc_decode(&d, buf, (uint32_t)f, (uint32_t)f, PC_LINK_ETHERNET), PC_ELIMIT);
    cr_assert_eq(d.n, PC_MAX_LAYERS);
    for (int i = 3; i < PC_MAX_LAYERS; i++) cr_assert_eq(d.l[i].flags, 0);
}

/* ================================================== truncation, guard pages */

Test(dns, every_capture_cut_under_guard_page)
{
    static uint8_t m[4096], buf[4096];
    static char out[8192];
    size_t ml = unhex(RC_HEX, m);
    int n = udp_frame_raw(buf, sizeof buf, m, ml);
    for (int cut = 0; cut <= n; cut++) {
        struct th_guard g;
        const uint8_t *p = th_guard_copy(&g, buf, (size_t)cut);
        struct pc_decoded d;
        int rc = pc_decode(&d, p, (uint32_t)cut, (uint32_t)n, PC_LINK_ETHERNET);
        cr_assert(rc == 0 || rc == PC_ETRUNC, "cut %d: rc %d", cut, rc);
        int i = first_dns(&d);
        if (cut > UDP_DNS) {
            cr_assert_geq(i, 0, "cut %d: no dns layer", cut);
            if (cut < n) {
                cr_assert_eq(d.l[i].flags & (PC_LF_TRUNC | PC_LF_MALFORMED), PC_LF_TRUNC, "cut %d", cut);
                cr_assert_str_eq(d.l[i].why, cut < UDP_DNS + 12 ? "dns: header cut by the capture"
                                                                  : "dns: message cut by the capture");
            }
            describe(&d, i, 0, out, sizeof out);
            describe(&d, i, 1, out, sizeof out);
        }
        th_guard_free(&g);
    }
}

Test(dns, every_prefix_of_a_message_for_the_parser)
{
    static uint8_t m[4096];
    static struct pc_dns_rr rr;
    char v[2048];
    const char *hexes[] = { RC_HEX, R_HEX, COMP_HEX };
    for (size_t h = 0; h < 3; h++) {
        size_t ml = unhex(hexes[h], m);
        for (size_t cut = 0; cut <= ml; cut++) {
            struct th_guard g;
            const uint8_t *p = th_guard_copy(&g, m, cut);
            struct pc_dns_iter it;
            int rc = pc_dns_iter_init(&it, p, cut), entries = 0;
            while (rc >= 0 && (rc = pc_dns_iter_next(&it, &rr)) == 1) {
                entries++;
                cr_assert_geq(pc_dns_rdata_text(p, cut, &rr, v, sizeof v, NULL), 0);
            }
            if (cut < ml) cr_assert_eq(rc, PC_ETRUNC, "fixture %zu cut %zu: rc %d (%s)", h, cut, rc, it.why);
            else cr_assert_eq(rc, 0);
            for (size_t off = 12; off < cut; off++) /* names anywhere: never an over-read */
                pc_dns_name(p, cut, off, v, sizeof v, NULL, NULL);
            th_guard_free(&g);
        }
    }
}

Test(dns, short_datagram_is_malformed_not_truncated)
{
    /* The UDP length agrees with the shorter payload: nothing was lost by
     * the capture, the message itself is short. */
    static uint8_t m[4096], buf[4096];
    size_t ml = unhex(RC_HEX, m);
    for (size_t k = 1; k < ml; k++) {
        int n = udp_frame_raw(buf, sizeof buf, m, k);
        struct th_guard g;
        const uint8_t *p = th_guard_copy(&g, buf, (size_t)n);
        struct pc_decoded d;
        cr_assert_eq(pc_decode(&d, p, (uint32_t)n, (uint32_t)n, PC_LINK_ETHERNET), PC_EMALFORMED, "length %zu", k);
        cr_assert(d.l[3].flags & PC_LF_MALFORMED);
        if (k < 12) cr_assert_str_eq(d.l[3].why, "dns: message shorter than 12 bytes");
        th_guard_free(&g);
    }
}

Test(dns, tcp_segment_ending_anywhere_is_truncation)
{
    static uint8_t m[4096], seg[4096], buf[4096];
    size_t ml = unhex(RC_HEX, m), sl = 0;
    /* A stream of the query then the response, cut after every byte. */
    sl += (size_t)pc_dns_encode(&(struct pc_dns){ .id = 1, .qd = Q_QD, .nqd = 1, .tcp = 1 }, seg, sizeof seg);
    pc_put16(seg + sl, (uint16_t)ml);
    memcpy(seg + sl + 2, m, ml);
    sl += 2 + ml;
    for (size_t k = 1; k <= sl; k++) {
        int n = tcp_frame_raw(buf, sizeof buf, seg, k);
        struct th_guard g;
        const uint8_t *p = th_guard_copy(&g, buf, (size_t)n);
        struct pc_decoded d;
        int rc = pc_decode(&d, p, (uint32_t)n, (uint32_t)n, PC_LINK_ETHERNET);
        cr_assert_eq(rc, k == 31 || k == sl ? 0 : PC_ETRUNC, "segment of %zu bytes: rc %d", k, rc);
        const struct pc_layer *l = &d.l[d.n - 1];
        cr_assert_eq(l->proto, PC_P_DNS);
        cr_assert_eq(l->flags & PC_LF_MALFORMED, 0, "segment of %zu bytes: %s", k, l->why ? l->why : "-");
        if (rc) {
            const char *want = (k == 1 || k == 32) ? "dns: tcp length prefix continues in the next segment"
                                                   : "dns: message continues in the next tcp segment";
            cr_assert_str_eq(l->why, want, "segment of %zu bytes", k);
        }
        th_guard_free(&g);
    }
}

/* Mutations of real messages (bytes set to random values, pointer-like
 * values and lengths favoured, random cuts), decoded and described under a
 * guard page: nothing reads past the capture and every verdict is one of
 * the three. */
Test(dns, mutated_messages_never_overread)
{
    static uint8_t m[3][4096], buf[4096], mut[4096];
    static char out[16384];
    const char *hexes[] = { RC_HEX, R_HEX, COMP_HEX };
    size_t ml[3];
    for (int h = 0; h < 3; h++) ml[h] = unhex(hexes[h], m[h]);
    struct pc_rng r;
    pc_rng_seed(&r, 0xF022ull);
    static const uint8_t hot[] = { 0x00, 0x01, 0x3F, 0x40, 0x80, 0xC0, 0xC0, 0xC0, 0xFF, 0x0C };
    for (int iter = 0; iter < 20000; iter++) {
        int h = (int)rnd(&r, 3);
        size_t n = ml[h];
        memcpy(mut, m[h], n);
        for (int j = 1 + (int)rnd(&r, 4); j > 0; j--) {
            size_t at = rnd(&r, (uint32_t)n);
            mut[at] = rnd(&r, 2) ? hot[rnd(&r, sizeof hot)] : (uint8_t)pc_rng_next(&r);
        }
        int tcp = (int)rnd(&r, 4) == 0, f;
        if (tcp) {
            uint8_t seg[4200];
            pc_put16(seg, (uint16_t)(rnd(&r, 8) ? n : pc_rng_next(&r)));
            memcpy(seg + 2, mut, n);
            f = tcp_frame_raw(buf, sizeof buf, seg, n + 2);
        } else {
            f = udp_frame_raw(buf, sizeof buf, mut, n);
        }
        uint32_t cap = rnd(&r, 4) ? (uint32_t)f : (uint32_t)rnd(&r, (uint32_t)f + 1);
        struct th_guard g;
        const uint8_t *p = th_guard_copy(&g, buf, cap);
        struct pc_decoded d;
        int rc = pc_decode(&d, p, cap, (uint32_t)f, PC_LINK_ETHERNET);
        cr_assert(rc == 0 || rc == PC_ETRUNC || rc == PC_EMALFORMED || rc == PC_ELIMIT, "iter %d: rc %d", iter, rc);
        for (int i = 0; i < d.n; i++) {
            if (d.l[i].proto != PC_P_DNS) continue;
            if (d.l[i].flags & PC_LF_MALFORMED) cr_assert_not_null(d.l[i].why);
            describe(&d, i, 0, out, sizeof out);
            describe(&d, i, 1, out, sizeof out);
            cr_assert(json_balanced(out), "iter %d: %s", iter, out);
        }
        th_guard_free(&g);
    }
}

/* ========================================================= builder errors */

Test(dns, every_short_output_buffer_is_enospc_without_overrun)
{
    static uint8_t full[2048];
    struct pc_dns t = R_SPEC;
    t.tcp = 1;
    const struct pc_dns *specs[] = { &R_SPEC, &t };
    for (int sp = 0; sp < 2; sp++) {
        int n = pc_dns_encode(specs[sp], full, sizeof full);
        cr_assert_gt(n, 0);
        for (int cap = 0; cap < n; cap++) {
            struct th_guard g;
            uint8_t *p = th_guard_copy(&g, full, (size_t)cap); /* the byte after cap faults */
            cr_assert_eq(pc_dns_encode(specs[sp], p, (size_t)cap), PC_ENOSPC, "cap %d", cap);
            th_guard_free(&g);
        }
        struct th_guard g;
        uint8_t *p = th_guard_copy(&g, full, (size_t)n);
        memset(p, 0xA5, (size_t)n);
        cr_assert_eq(pc_dns_encode(specs[sp], p, (size_t)n), n);
        cr_assert(memcmp(p, full, (size_t)n) == 0);
        th_guard_free(&g);
    }
}

Test(dns, bad_specs_are_einval_and_errors_stick)
{
    uint8_t buf[512];
    static const char *const big[] = { "0123456789012345678901234567890123456789012345678901234567890123456789"
                                       "0123456789012345678901234567890123456789012345678901234567890123456789"
                                       "0123456789012345678901234567890123456789012345678901234567890123456789"
                                       "0123456789012345678901234567890123456789012345678901234567890123456789" };
    struct pc_dns_record r[] = {
        { .name = "a", .type = PC_DNS_T_TXT, .txt = { big, NULL, 1 } },                 /* string over 255 */
        { .name = "a", .type = PC_DNS_T_CAA, .caa = { 0, "", "v" } },                   /* empty tag */
        { .name = "a", .type = PC_DNS_T_CAA, .caa = { 0, NULL, "v" } },
        { .name = "a..b", .type = PC_DNS_T_A },
        { .name = "a", .type = PC_DNS_T_CNAME, .target = "x..y" },
        { .name = "a", .type = PC_DNS_T_TXT, .txt = { NULL, (const uint8_t[]){ 3 }, 1 } },
    };
    for (size_t k = 0; k < sizeof r / sizeof r[0]; k++) {
        struct pc_dns s = { .an = &r[k], .nan = 1 };
        cr_assert_eq(pc_dns_encode(&s, buf, sizeof buf), PC_EINVAL, "record %zu", k);
    }
    struct pc_dns_ednsopt o[] = {
        { .code = PC_EDNS_OPT_ECS, .ecs = { 3, 0, 0 } }, { .code = PC_EDNS_OPT_ECS, .ecs = { 1, 33, 0 } },
        { .code = PC_EDNS_OPT_ECS, .ecs = { 2, 129, 0 } }, { .code = PC_EDNS_OPT_ECS, .ecs = { 1, 8, 40 } },
        { .code = 5, .len = 3 },
    };
    for (size_t k = 0; k < sizeof o / sizeof o[0]; k++) {
        struct pc_dns_edns e = { .opts = &o[k], .nopts = 1 };
        struct pc_dns s = { .edns = &e };
        cr_assert_eq(pc_dns_encode(&s, buf, sizeof buf), PC_EINVAL, "option %zu", k);
    }
    cr_assert_eq(pc_dns_encode(&(struct pc_dns){ .nqd = 1 }, buf, sizeof buf), PC_EINVAL);
    cr_assert_eq(pc_dns_encode(&(struct pc_dns){ .nar = 2 }, buf, sizeof buf), PC_EINVAL);
    cr_assert_eq(pc_dns_encode(&(struct pc_dns){ .malform = 9 }, buf, sizeof buf), PC_EINVAL);
    cr_assert_eq(pc_dns_encode(NULL, buf, sizeof buf), PC_EINVAL);
    cr_assert_eq(pc_dns_encode(&(struct pc_dns){ 0 }, buf, 11), PC_ENOSPC);
    cr_assert_eq(pc_dns_encode(&(struct pc_dns){ 0 }, buf, 12), 12);
    /* Over 65535 bytes: no transport holds it. */
    static uint8_t huge[70000], out[70100];
    struct pc_dns_record h = { .name = "a", .type = 65280, .raw = { huge, 65535 } };
    cr_assert_eq(pc_dns_encode(&(struct pc_dns){ .an = &h, .nan = 1 }, out, sizeof out), PC_ELIMIT);
    h.raw.len = 65536;
    cr_assert_eq(pc_dns_encode(&(struct pc_dns){ .an = &h, .nan = 1 }, out, sizeof out), PC_ELIMIT);
    h.rdlength = PC_PIN(7); /* pinned: the message is still too long */
    cr_assert_eq(pc_dns_encode(&(struct pc_dns){ .an = &h, .nan = 1 }, out, sizeof out), PC_ELIMIT);
    /* Sticky in the packet. */
    struct pc_pkt pk;
    pc_pkt_init(&pk, buf, 40);
    pc_push_udp(&pk, &(struct pc_udp){ .sport = 1, .dport = 53 });
    cr_assert_eq(pc_push_dns(&pk, &R_SPEC), PC_ENOSPC);
    cr_assert_eq(pc_push_payload(&pk, "x", 1), PC_ENOSPC);
    cr_assert_eq(pc_pkt_finalize(&pk), PC_ENOSPC);
    pc_pkt_init(&pk, buf, sizeof buf);
    cr_assert_eq(pc_push_dns(&pk, &(struct pc_dns){ .nqd = 1 }), PC_EINVAL);
    cr_assert_eq(pc_pkt_finalize(&pk), PC_EINVAL);
}

Test(dns, pointers_stay_below_0x4000)
{
    /* A 16 KiB record pushes later names past the pointer range: they may
     * still point back, but nothing may point at them. */
    static uint8_t big[0x4000], m[0x5000];
    static const struct pc_dns_question q[] = { { "www.example.com", 1, 1 } };
    struct pc_dns_record r[] = {
        { .name = "example.com", .type = 65280, .rclass = 1, .raw = { big, sizeof big } },
        { .name = "new.example.org", .type = 1, .rclass = 1 },
        { .name = "x.new.example.org", .type = 1, .rclass = 1 },
        { .name = "www.example.com", .type = 1, .rclass = 1 },
    };
    struct pc_dns s = { .qd = q, .nqd = 1, .an = r, .nan = 4 };
    int n = pc_dns_encode(&s, m, sizeof m);
    cr_assert_gt(n, 0x4000);
    static const struct xrr x[] = {
        { PC_DNS_SEC_QD, "www.example.com", 1, 1, 0, "" },
        { PC_DNS_SEC_AN, "example.com", 65280, 1, 0, NULL },
        { PC_DNS_SEC_AN, "new.example.org", 1, 1, 0, "0.0.0.0" },
        { PC_DNS_SEC_AN, "x.new.example.org", 1, 1, 0, "0.0.0.0" },
        { PC_DNS_SEC_AN, "www.example.com", 1, 1, 0, "0.0.0.0" },
    };
    struct pc_dns_iter it;
    struct pc_dns_rr rr;
    pc_dns_iter_init(&it, m, (size_t)n);
    for (int k = 0; k < 5; k++) {
        cr_assert_eq(pc_dns_iter_next(&it, &rr), 1);
        cr_assert_str_eq(rr.name, x[k].name);
    }
    /* Past 0x4000: "new.example.org" is written in full (its "example" is
     * no earlier suffix: example.com != example.org), "x.new..." too, and
     * the last name is one pointer to the question. */
    size_t last = (size_t)n - 2 - 14;
    cr_assert_eq(pc_get16(m + last), 0xC00C);
    cr_assert_eq(m[last - 14 - 19], 1, "x.new.example.org must not point past 0x3FFF");
    cr_assert_eq(m[last - 14 - 19 + 2], 3);
}

Test(dns, fill_resolves_counts_and_tcp_length_and_keeps_caller_spec)
{
    uint8_t buf[512];
    struct pc_dns s = R_SPEC;
    s.qdcount = PC_PIN(0);
    s.ancount = PC_CORRUPT;
    s.nscount = PC_PIN(7);
    s.tcp = 1;
    s.tcp_len = PC_CORRUPT;
    struct pc_dns copy = s;
    struct pc_pkt pk;
    pc_pkt_init(&pk, th_poison(buf, sizeof buf), sizeof buf);
    pc_push_tcp(&pk, &(struct pc_tcp){ .sport = 53, .dport = 9 });
    cr_assert_eq(pc_push_dns(&pk, &s), 0);
    pc_push_payload(&pk, "tail", 4); /* not part of the message */
    int n = pc_pkt_finalize(&pk);
    cr_assert_gt(n, 0);
    cr_assert(memcmp(&s, &copy, sizeof s) == 0, "caller spec modified");
    uint8_t ref[512];
    int m = pc_dns_encode(&R_SPEC, ref, sizeof ref);
    cr_assert_eq(pc_get16(buf + 20), m + 1);
    const uint8_t *h = buf + 22;
    cr_assert_eq(pc_dns_qdcount(h), 0);
    cr_assert_eq(pc_dns_ancount(h), 9);
    cr_assert_eq(pc_dns_nscount(h), 7);
    cr_assert_eq(pc_dns_arcount(h), 2, "the OPT record counts");
    cr_assert_eq(n, 20 + 2 + m + 4);
    /* Flags pinned verbatim, fields ignored. */
    struct pc_dns f = { .qr = 1, .rcode = 3, .flags = PC_PIN(0x7a5f) };
    cr_assert_eq(pc_dns_encode(&f, buf, sizeof buf), 12);
    cr_assert_eq(pc_dns_flags(buf), 0x7a5f);
    f = (struct pc_dns){ .qr = 1, .opcode = 0x1F, .aa = 3, .tc = 1, .rd = 1, .ra = 1, .z = 1, .ad = 1, .cd = 1, .rcode = 0x1F };
    pc_dns_encode(&f, buf, sizeof buf);
    cr_assert_eq(pc_dns_flags(buf), 0xFFFF, "every bit");
    cr_assert_eq(pc_dns_opcode(buf), 15);
    cr_assert_eq(pc_dns_rcode(buf), 15);
}

/* ====================================================== random messages */

#define RM_Q 3
#define RM_RR 9
#define RM_STR 64
#define RM_W (RM_Q + RM_RR + 1)
#define RM_TEXT 1100

struct want {
    uint8_t sec;
    uint16_t type, cls;
    uint32_t ttl;
    const char *name;   /* canonical text */
    char value[2300];   /* rdata text */
    int rdlen;          /* pinned rdlength, else -1 */
};

struct label { uint8_t b[64]; uint8_t n; };
struct rname { struct label l[8]; int n; };

/* A random message: the spec, the strings it points at, and what the
 * parser must give back.  Names share suffixes (a pool per message) so
 * compression has work; "tame" messages stay within what tshark prints
 * verbatim (letters, digits, hyphen; printable strings; known types). */
struct rmsg {
    struct pc_dns s;
    struct pc_dns_question q[RM_Q];
    struct pc_dns_record rr[RM_RR];
    struct pc_dns_edns edns;
    struct pc_dns_ednsopt opt[2];
    uint8_t optdata[2][16];
    struct rname pool[3];
    char text[RM_STR][RM_TEXT], canon[RM_STR][RM_TEXT];
    int nstr;
    const char *txt[RM_RR][4];
    uint8_t txtlen[RM_RR][4];
    char txtbuf[RM_RR][4][48];
    char caatag[RM_RR][16], caaval[RM_RR][40];
    uint8_t raw[RM_RR][24];
    struct want w[RM_W];
    int nw;
    uint16_t flags;     /* the header's flags word */
    uint16_t hc[4];     /* the header's counts */
    int bad_rdlen;      /* the last record's rdlength is one too many */
    int tame;
};

static void canon_byte(uint8_t b, char out[5])
{
    if (b < 0x21 || b > 0x7E) snprintf(out, 5, "\\%03u", b);
    else if (strchr("\".();\\@$", b)) { out[0] = '\\'; out[1] = (char)b; out[2] = 0; }
    else { out[0] = (char)b; out[1] = 0; }
}

static void rand_label(struct pc_rng *r, int tame, struct label *l)
{
    static const char tamech[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-";
    static const char wildch[] = "abcdefghijklmnopqrstuvwxyz0123456789-_.\\\"();@$ ";
    l->n = (uint8_t)(rnd(r, 30) == 0 ? 63 : 1 + rnd(r, 10));
    for (int k = 0; k < l->n; k++) {
        if (tame) l->b[k] = (uint8_t)tamech[rnd(r, sizeof tamech - 1)];
        else if (rnd(r, 8) == 0) l->b[k] = (uint8_t)pc_rng_next(r);
        else l->b[k] = (uint8_t)wildch[rnd(r, sizeof wildch - 1)];
    }
}

static size_t rname_wire(const struct rname *n)
{
    size_t w = 1;
    for (int i = 0; i < n->n; i++) w += 1u + n->l[i].n;
    return w;
}

/* A new name (prefix labels + a pool suffix); its builder text, written
 * with random but equivalent escapes, and its canonical text. */
static int new_name(struct pc_rng *r, struct rmsg *m)
{
    struct rname nm = { .n = 0 };
    int pre = (int)rnd(r, 3);
    for (int i = 0; i < pre; i++) rand_label(r, m->tame, &nm.l[nm.n++]);
    if (rnd(r, 12)) {
        const struct rname *p = &m->pool[rnd(r, 3)];
        for (int i = (int)rnd(r, (uint32_t)p->n + 1); i < p->n; i++) nm.l[nm.n++] = p->l[i];
    }
    while (rname_wire(&nm) > PC_DNS_MAXNAME) { /* drop leading labels */
        memmove(&nm.l[0], &nm.l[1], sizeof nm.l[0] * (size_t)(nm.n - 1));
        nm.n--;
    }
    cr_assert_lt(m->nstr, RM_STR);
    int id = m->nstr++;
    char *t = m->text[id], *c = m->canon[id];
    if (!nm.n) {
        strcpy(c, ".");
        strcpy(t, rnd(r, 2) ? "." : "");
        return id;
    }
    for (int i = 0; i < nm.n; i++) {
        if (i) { *t++ = '.'; *c++ = '.'; }
        for (int k = 0; k < nm.l[i].n; k++) {
            uint8_t b = nm.l[i].b[k];
            char cb[5];
            canon_byte(b, cb);
            c += sprintf(c, "%s", cb);
            if (!m->tame && rnd(r, 6) == 0) t += sprintf(t, "\\%03u", b);
            else if (!m->tame && cb[0] != '\\' && !(b >= '0' && b <= '9') && rnd(r, 8) == 0) t += sprintf(t, "\\%c", b);
            else t += sprintf(t, "%s", cb);
        }
    }
    if (rnd(r, 3) == 0) *t++ = '.';
    *t = *c = 0;
    return id;
}

static void put_quoted(char *out, const uint8_t *p, size_t n)
{
    char *o = out + strlen(out);
    *o++ = '"';
    for (size_t k = 0; k < n; k++) {
        if (p[k] < 0x20 || p[k] > 0x7E) o += sprintf(o, "\\%03u", p[k]);
        else if (p[k] == '"' || p[k] == '\\') { *o++ = '\\'; *o++ = (char)p[k]; }
        else *o++ = (char)p[k];
    }
    *o++ = '"';
    *o = 0;
}

static void put_hexs(char *out, const uint8_t *p, size_t n)
{
    char *o = out + strlen(out);
    for (size_t k = 0; k < n; k++) o += sprintf(o, "%02x", p[k]);
}

static void rand_text(struct pc_rng *r, int tame, uint8_t *p, size_t n)
{
    static const char ok[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 =;:.,_-";
    for (size_t k = 0; k < n; k++) p[k] = tame ? (uint8_t)ok[rnd(r, sizeof ok - 1)] : (uint8_t)pc_rng_next(r);
}

static void rand_rdata(struct pc_rng *r, struct rmsg *m, int idx, struct want *w)
{
    struct pc_dns_record *rr = &m->rr[idx];
    static const uint16_t types[] = { PC_DNS_T_A, PC_DNS_T_AAAA, PC_DNS_T_CNAME, PC_DNS_T_NS, PC_DNS_T_PTR, PC_DNS_T_MX,
                                      PC_DNS_T_TXT, PC_DNS_T_SRV, PC_DNS_T_SOA, PC_DNS_T_CAA, 0 };
    rr->type = types[rnd(r, sizeof types / sizeof types[0])];
    static char v[sizeof w->value]; /* apart from m: gcc cannot prove sprintf's arguments do not overlap */
    v[0] = 0;
    int t;
    switch (rr->type) {
    case PC_DNS_T_A:
        rand_text(r, 0, rr->a, 4);
        sprintf(v, "%u.%u.%u.%u", rr->a[0], rr->a[1], rr->a[2], rr->a[3]);
        if (rnd(r, 4) == 0) { rr->rdlength = PC_PIN(4); w->rdlen = 4; }
        break;
    case PC_DNS_T_AAAA:
        rand_text(r, 0, rr->aaaa, 16);
        inet_ntop(AF_INET6, rr->aaaa, v, 64);
        if (rnd(r, 4) == 0) { rr->rdlength = PC_PIN(16); w->rdlen = 16; }
        break;
    case PC_DNS_T_CNAME: case PC_DNS_T_NS: case PC_DNS_T_PTR:
        t = new_name(r, m);
        rr->target = m->text[t];
        strcpy(v, m->canon[t]);
        break;
    case PC_DNS_T_MX:
        t = new_name(r, m);
        rr->mx.pref = (uint16_t)pc_rng_next(r);
        rr->mx.exchange = m->text[t];
        sprintf(v, "%u %s", rr->mx.pref, m->canon[t]);
        break;
    case PC_DNS_T_SRV:
        t = new_name(r, m);
        rr->srv.prio = (uint16_t)pc_rng_next(r);
        rr->srv.weight = (uint16_t)pc_rng_next(r);
        rr->srv.port = (uint16_t)pc_rng_next(r);
        rr->srv.target = m->text[t];
        sprintf(v, "%u %u %u %s", rr->srv.prio, rr->srv.weight, rr->srv.port, m->canon[t]);
        break;
    case PC_DNS_T_SOA: {
        int a = new_name(r, m), b = new_name(r, m);
        rr->soa.mname = m->text[a];
        rr->soa.rname = m->text[b];
        rr->soa.serial = (uint32_t)pc_rng_next(r);
        rr->soa.refresh = (uint32_t)pc_rng_next(r);
        rr->soa.retry = (uint32_t)pc_rng_next(r);
        rr->soa.expire = (uint32_t)pc_rng_next(r);
        rr->soa.minimum = (uint32_t)pc_rng_next(r);
        sprintf(v, "%s %s %u %u %u %u %u", m->canon[a], m->canon[b], rr->soa.serial, rr->soa.refresh, rr->soa.retry,
                rr->soa.expire, rr->soa.minimum);
        break;
    }
    case PC_DNS_T_TXT: {
        size_t n = m->tame ? 1 + rnd(r, 3) : rnd(r, 5);
        for (size_t k = 0; k < n; k++) {
            m->txtlen[idx][k] = (uint8_t)rnd(r, 41);
            rand_text(r, m->tame, (uint8_t *)m->txtbuf[idx][k], m->txtlen[idx][k]);
            m->txt[idx][k] = m->txtbuf[idx][k];
            if (k) strcat(v, " ");
            put_quoted(v, (const uint8_t *)m->txtbuf[idx][k], m->txtlen[idx][k]);
        }
        rr->txt.s = m->txt[idx];
        rr->txt.len = m->txtlen[idx];
        rr->txt.n = n;
        break;
    }
    case PC_DNS_T_CAA: {
        static const char *const tags[] = { "issue", "issuewild", "iodef" };
        if (m->tame) {
            strcpy(m->caatag[idx], tags[rnd(r, 3)]);
            rr->caa.flags = rnd(r, 2) ? 128 : 0;
        } else {
            size_t tl = 1 + rnd(r, 15);
            for (size_t k = 0; k < tl; k++) m->caatag[idx][k] = "abcdefghijklmnopqrstuvwxyz0123456789"[rnd(r, 36)];
            m->caatag[idx][tl] = 0;
            rr->caa.flags = (uint8_t)pc_rng_next(r);
        }
        size_t vl = 1 + rnd(r, 39);
        rand_text(r, m->tame, (uint8_t *)m->caaval[idx], vl);
        rr->caa.tag = m->caatag[idx];
        rr->caa.value = m->caaval[idx];
        rr->caa.value_len = vl;
        sprintf(v, "%u %s ", rr->caa.flags, m->caatag[idx]);
        put_quoted(v, (const uint8_t *)m->caaval[idx], vl);
        break;
    }
    default: {
        /* Private-use types, but not the ones tshark dissects (WINS,
         * WINS-R, XPF): for those random bytes would be malformed. */
        do rr->type = (uint16_t)(65280 + rnd(r, 255));
        while (m->tame && (rr->type == 65281 || rr->type == 65282 || rr->type == 65422));
        size_t n = rnd(r, 21);
        rand_text(r, 0, m->raw[idx], n);
        rr->raw.data = m->raw[idx];
        rr->raw.len = n;
        put_hexs(v, m->raw[idx], n);
        if (rnd(r, 4) == 0) { rr->rdlength = PC_PIN(n); w->rdlen = (int)n; }
        break;
    }
    }
    memcpy(w->value, v, strlen(v) + 1);
}

static void rand_edns(struct pc_rng *r, struct rmsg *m, struct want *w)
{
    struct pc_dns_edns *e = &m->edns;
    memset(e, 0, sizeof *e);
    e->udp_size = m->tame ? (uint16_t)(512 + rnd(r, 3585)) : (uint16_t)pc_rng_next(r);
    e->ext_rcode = m->tame ? 0 : (uint8_t)pc_rng_next(r);
    e->version = m->tame ? 0 : (uint8_t)pc_rng_next(r);
    e->do_bit = (uint8_t)rnd(r, 2);
    e->z = m->tame ? 0 : (uint16_t)rnd(r, 0x8000);
    e->nopts = rnd(r, 3);
    e->opts = m->opt;
    uint8_t wire[128];
    size_t n = 0;
    for (size_t k = 0; k < e->nopts; k++) {
        struct pc_dns_ednsopt *o = &m->opt[k];
        memset(o, 0, sizeof *o);
        if (rnd(r, 2)) {
            o->code = PC_EDNS_OPT_ECS;
            o->ecs.family = (uint16_t)(1 + rnd(r, 2));
            unsigned max = o->ecs.family == 1 ? 32 : 128;
            o->ecs.source = (uint8_t)rnd(r, max + 1);
            o->ecs.scope = m->tame ? 0 : (uint8_t)rnd(r, max + 1);
            rand_text(r, 0, o->ecs.addr, 16);
            size_t nb = (o->ecs.source + 7u) / 8u;
            pc_put16(wire + n, 8);
            pc_put16(wire + n + 2, (uint16_t)(4 + nb));
            pc_put16(wire + n + 4, o->ecs.family);
            wire[n + 6] = o->ecs.source;
            wire[n + 7] = o->ecs.scope;
            memcpy(wire + n + 8, o->ecs.addr, nb);
            if (o->ecs.source % 8) wire[n + 8 + nb - 1] &= (uint8_t)(0xFF << (8 - o->ecs.source % 8));
            n += 8 + nb;
        } else {
            do o->code = m->tame ? (uint16_t)(65001 + rnd(r, 500)) : (uint16_t)pc_rng_next(r);
            while (o->code == PC_EDNS_OPT_ECS);
            o->len = (uint16_t)rnd(r, 17);
            rand_text(r, 0, m->optdata[k], o->len);
            o->data = m->optdata[k];
            pc_put16(wire + n, o->code);
            pc_put16(wire + n + 2, o->len);
            memcpy(wire + n + 4, o->data, o->len);
            n += 4u + o->len;
        }
    }
    *w = (struct want){ .sec = PC_DNS_SEC_AR, .type = PC_DNS_T_OPT, .cls = e->udp_size, .name = ".", .rdlen = -1,
                        .ttl = (uint32_t)e->ext_rcode << 24 | (uint32_t)e->version << 16 | (uint32_t)e->do_bit << 15 | e->z };
    w->value[0] = 0;
    put_hexs(w->value, wire, n);
    m->s.edns = e;
}

static uint16_t compose(const struct pc_dns *s)
{
    return (uint16_t)((s->qr & 1) << 15 | (s->opcode & 15) << 11 | (s->aa & 1) << 10 | (s->tc & 1) << 9 |
                      (s->rd & 1) << 8 | (s->ra & 1) << 7 | (s->z & 1) << 6 | (s->ad & 1) << 5 | (s->cd & 1) << 4 |
                      (s->rcode & 15));
}

static void rand_msg(struct pc_rng *r, struct rmsg *m, int tame, uint16_t id)
{
    memset(&m->s, 0, sizeof m->s);
    m->nstr = m->nw = m->bad_rdlen = 0;
    m->tame = tame;
    for (int p = 0; p < 3; p++) {
        m->pool[p].n = (int)(1 + rnd(r, 3));
        for (int i = 0; i < m->pool[p].n; i++) rand_label(r, tame, &m->pool[p].l[i]);
    }
    struct pc_dns *s = &m->s;
    s->id = tame ? id : (uint16_t)pc_rng_next(r);
    s->qr = (uint8_t)rnd(r, 2);
    static const uint8_t tame_ops[] = { 0, 0, 0, 1, 2, 4 };
    s->opcode = tame ? tame_ops[rnd(r, 6)] : (uint8_t)rnd(r, 16);
    s->aa = (uint8_t)rnd(r, 2); s->tc = (uint8_t)rnd(r, 2); s->rd = (uint8_t)rnd(r, 2); s->ra = (uint8_t)rnd(r, 2);
    s->z = (uint8_t)rnd(r, 2); s->ad = (uint8_t)rnd(r, 2); s->cd = (uint8_t)rnd(r, 2);
    s->rcode = (uint8_t)(tame ? rnd(r, 6) : rnd(r, 16));
    m->flags = compose(s);
    if (!tame && rnd(r, 10) == 0) {
        m->flags = (uint16_t)pc_rng_next(r);
        s->flags = PC_PIN(m->flags);
    }
    int nq = (int)rnd(r, RM_Q + 1), nrr = (int)rnd(r, RM_RR + 1);
    int nan = (int)rnd(r, (uint32_t)nrr + 1), nns = (int)rnd(r, (uint32_t)(nrr - nan) + 1), nar = nrr - nan - nns;
    for (int k = 0; k < nq; k++) {
        int t = new_name(r, m);
        static const uint16_t qt[] = { 1, 28, 5, 15, 16, 33, 6, 255, 257, 65 };
        m->q[k] = (struct pc_dns_question){ m->text[t], tame ? qt[rnd(r, 10)] : (uint16_t)pc_rng_next(r),
                                            tame ? 1 : (uint16_t)(rnd(r, 3) ? 1 : pc_rng_next(r)) };
        m->w[m->nw++] = (struct want){ .sec = PC_DNS_SEC_QD, .type = m->q[k].type, .cls = m->q[k].qclass,
                                       .name = m->canon[t], .rdlen = -1 };
    }
    for (int k = 0; k < nrr; k++) {
        struct pc_dns_record *rr = &m->rr[k];
        struct want *w = &m->w[m->nw++];
        memset(rr, 0, sizeof *rr);
        int t = new_name(r, m);
        rr->name = m->text[t];
        rr->rclass = tame ? 1 : (uint16_t)(rnd(r, 3) ? 1 : pc_rng_next(r));
        rr->ttl = tame ? (uint32_t)rnd(r, 0x7FFFFFFF) : (uint32_t)pc_rng_next(r);
        w->sec = (uint8_t)(k < nan ? PC_DNS_SEC_AN : k < nan + nns ? PC_DNS_SEC_NS : PC_DNS_SEC_AR);
        w->name = m->canon[t];
        w->rdlen = -1;
        rand_rdata(r, m, k, w);
        w->type = rr->type;
        w->cls = rr->rclass;
        w->ttl = rr->ttl;
    }
    s->nqd = (size_t)nq; s->qd = m->q;
    s->nan = (size_t)nan; s->an = m->rr;
    s->nns = (size_t)nns; s->ns = m->rr + nan;
    s->nar = (size_t)nar; s->ar = m->rr + nan + nns;
    int edns = rnd(r, 3) == 0;
    if (edns) rand_edns(r, m, &m->w[m->nw++]);
    const int n[4] = { nq, nan, nns, nar + edns };
    for (int k = 0; k < 4; k++) m->hc[k] = (uint16_t)n[k];
    if (tame) return;
    /* Counts that lie: only the last section with entries, so the others
     * keep their meaning. */
    int last = 3;
    while (last > 0 && n[last] == 0) last--;
    pc_field *f = last == 0 ? &s->qdcount : last == 1 ? &s->ancount : last == 2 ? &s->nscount : &s->arcount;
    switch (rnd(r, 10)) {
    case 0: *f = PC_PIN(n[last]); break;
    case 1: if (n[last]) { m->hc[last] = (uint16_t)rnd(r, (uint32_t)n[last]); *f = PC_PIN(m->hc[last]); } break;
    case 2: m->hc[last] = (uint16_t)(n[last] + 1 + rnd(r, 3)); *f = PC_PIN(m->hc[last]); break;
    case 3: m->hc[last] = (uint16_t)(n[last] + 1); *f = PC_CORRUPT; break;
    case 4: /* the last record's length one too many (nothing after it) */
        if (nrr && !edns) { m->rr[nrr - 1].rdlength = PC_CORRUPT; m->bad_rdlen = 1; }
        break;
    default: break;
    }
}

static const char *const COUNT_EXCEEDS[4] = {
    "dns: question count exceeds records", "dns: answer count exceeds records",
    "dns: authority count exceeds records", "dns: additional count exceeds records",
};

/* What the decoder must say about a message of m: flag and why. */
static void rm_verdict(const struct rmsg *m, uint8_t *flag, const char **why)
{
    int th = m->hc[0] + m->hc[1] + m->hc[2] + m->hc[3];
    *flag = 0;
    *why = NULL;
    if (m->bad_rdlen) { *flag = PC_LF_MALFORMED; *why = "dns: rdata runs past the message"; return; }
    if (th > m->nw) {
        int sec = 0, cum = m->hc[0];
        while (cum <= m->nw) cum += m->hc[++sec];
        *flag = PC_LF_MALFORMED;
        *why = COUNT_EXCEEDS[sec];
        return;
    }
    if (th < m->nw) *why = "dns: trailing bytes after the last record";
}

static void rm_check_parse(const struct rmsg *m, const uint8_t *msg, size_t len, uint64_t iter)
{
    struct pc_dns_iter it;
    static struct pc_dns_rr rr;
    static char v[4096];
    cr_assert_eq(pc_dns_iter_init(&it, msg, len), 0);
    cr_assert_eq(it.id, m->s.id, "iter %llu", (unsigned long long)iter);
    cr_assert_eq(it.flags, m->flags, "iter %llu flags", (unsigned long long)iter);
    for (int k = 0; k < 4; k++) cr_assert_eq(it.count[k], m->hc[k], "iter %llu count %d", (unsigned long long)iter, k);
    int th = m->hc[0] + m->hc[1] + m->hc[2] + m->hc[3];
    int ok = m->bad_rdlen ? m->nw - 1 : th < m->nw ? th : m->nw;
    for (int k = 0; k < ok; k++) {
        const struct want *w = &m->w[k];
        int rc = pc_dns_iter_next(&it, &rr);
        cr_assert_eq(rc, 1, "iter %llu entry %d: rc %d (%s)", (unsigned long long)iter, k, rc, it.why ? it.why : "");
        cr_assert_eq(rr.section, w->sec, "iter %llu entry %d section", (unsigned long long)iter, k);
        cr_assert_str_eq(rr.name, w->name, "iter %llu entry %d name", (unsigned long long)iter, k);
        cr_assert_eq(rr.type, w->type, "iter %llu entry %d type", (unsigned long long)iter, k);
        cr_assert_eq(rr.rclass, w->cls, "iter %llu entry %d class", (unsigned long long)iter, k);
        cr_assert_eq(rr.ttl, w->sec == PC_DNS_SEC_QD ? 0 : w->ttl, "iter %llu entry %d ttl", (unsigned long long)iter, k);
        if (w->rdlen >= 0) cr_assert_eq(rr.rdlength, w->rdlen, "iter %llu entry %d pinned rdlength", (unsigned long long)iter, k);
        const char *why = NULL;
        int t = pc_dns_rdata_text(msg, len, &rr, v, sizeof v, &why);
        cr_assert_geq(t, 0, "iter %llu entry %d: %s", (unsigned long long)iter, k, why ? why : "");
        if (w->sec != PC_DNS_SEC_QD) cr_assert_str_eq(v, w->value, "iter %llu entry %d value", (unsigned long long)iter, k);
    }
    int rc = pc_dns_iter_next(&it, &rr);
    uint8_t flag;
    const char *why;
    rm_verdict(m, &flag, &why);
    if (flag) {
        cr_assert_eq(rc, PC_ETRUNC, "iter %llu: rc %d", (unsigned long long)iter, rc);
        cr_assert_str_eq(it.why, why, "iter %llu", (unsigned long long)iter);
    } else {
        cr_assert_eq(rc, 0, "iter %llu: rc %d (%s)", (unsigned long long)iter, rc, it.why ? it.why : "");
        if (why) cr_assert_lt(it.off, len);
        else cr_assert_eq(it.off, len, "iter %llu: records end at %zu of %zu", (unsigned long long)iter, it.off, len);
    }
}

Test(dns, random_round_trip)
{
    static struct rmsg M[3];
    static uint8_t a[16384], b[16384], fr[65536];
    static char out[65536];
    struct pc_rng r;
    pc_rng_seed(&r, 0xD115EEDull);
    unsigned malformed = 0, trailing = 0, trunc = 0, frames = 0;
    for (uint64_t iter = 0; iter < 4000; iter++) {
        struct rmsg *m = &M[0];
        rand_msg(&r, m, (int)(iter % 5 == 0), (uint16_t)iter);
        m->s.no_compress = 0;
        int na = pc_dns_encode(&m->s, a, sizeof a);
        cr_assert_gt(na, 0, "iter %llu: %s", (unsigned long long)iter, pc_strerror(na));
        m->s.no_compress = 1;
        int nb = pc_dns_encode(&m->s, b, sizeof b);
        cr_assert_gt(nb, 0);
        cr_assert_leq(na, nb, "compression made it longer");
        rm_check_parse(m, a, (size_t)na, iter);
        rm_check_parse(m, b, (size_t)nb, iter);
        m->s.no_compress = (uint8_t)rnd(&r, 2);

        /* Through a frame: UDP, or TCP with up to three messages. */
        int tcp = (int)rnd(&r, 3) == 0, nmsg = tcp ? 1 + (int)rnd(&r, 3) : 1;
        struct pc_dns specs[3];
        int corrupt_len = 0;
        for (int k = 0; k < nmsg; k++) {
            if (k) rand_msg(&r, &M[k], 0, 0);
            specs[k] = M[k].s;
            specs[k].tcp = (uint8_t)tcp;
            if (tcp) {
                int e = pc_dns_encode(&specs[k], b, sizeof b); /* its true length, to pin */
                cr_assert_gt(e, 2);
                uint32_t mode = rnd(&r, 6);
                if (mode == 0) specs[k].tcp_len = PC_PIN(e - 2);
                if (mode == 1 && k == nmsg - 1) { specs[k].tcp_len = PC_CORRUPT; corrupt_len = 1; }
            }
        }
        int n = frame(fr, sizeof fr, specs, nmsg, tcp, (uint16_t)(40000 + iter % 20000));
        cr_assert_gt(n, 0, "iter %llu: frame: %s", (unsigned long long)iter, pc_strerror(n));
        frames++;
        struct pc_decoded d;
        int rc = pc_decode(&d, fr, (uint32_t)n, (uint32_t)n, PC_LINK_ETHERNET), first_err = 0;
        cr_assert_eq(d.n, 3 + nmsg, "iter %llu: %d layers", (unsigned long long)iter, d.n);
        cr_assert_eq(d.l[2].csum, PC_CSUM_GOOD);
        for (int k = 0; k < nmsg; k++) {
            const struct pc_layer *l = &d.l[3 + k];
            uint8_t flag;
            const char *why;
            rm_verdict(&M[k], &flag, &why);
            if (corrupt_len && k == nmsg - 1) { flag = PC_LF_TRUNC; why = "dns: message continues in the next tcp segment"; }
            cr_assert_eq(l->proto, PC_P_DNS);
            cr_assert_eq(l->flags & (PC_LF_TRUNC | PC_LF_MALFORMED), flag, "iter %llu msg %d: flags 0x%x (%s)",
                         (unsigned long long)iter, k, l->flags, l->why ? l->why : "-");
            if (why) cr_assert_str_eq(l->why ? l->why : "(null)", why, "iter %llu msg %d", (unsigned long long)iter, k);
            else cr_assert_null(l->why, "iter %llu msg %d: %s", (unsigned long long)iter, k, l->why);
            if (!first_err && flag) first_err = flag == PC_LF_TRUNC ? PC_ETRUNC : PC_EMALFORMED;
            malformed += flag == PC_LF_MALFORMED;
            trunc += flag == PC_LF_TRUNC;
            trailing += !flag && why;
            uint16_t id = pc_dns_id(pc_layer_hdr(&d, 3 + k) + (tcp ? 2 : 0));
            cr_assert_eq(id, M[k].s.id);
            describe(&d, 3 + k, 0, out, sizeof out);
            char head[16];
            snprintf(head, sizeof head, "DNS %u", id);
            cr_assert(!strncmp(out, head, strlen(head)), "text: %s", out);
            describe(&d, 3 + k, 1, out, sizeof out);
            cr_assert(json_balanced(out), "iter %llu: JSON not balanced: %s", (unsigned long long)iter, out);
            snprintf(head, sizeof head, "\"id\":%u,", id);
            cr_assert_not_null(strstr(out, head));
        }
        cr_assert_eq(rc, first_err, "iter %llu: rc %d, want %d", (unsigned long long)iter, rc, first_err);
    }
    cr_log_info("dns round trip: %u frames, %u malformed, %u truncated, %u with trailing bytes", frames, malformed,
                trunc, trailing);
    cr_assert(malformed > 100 && trailing > 50 && trunc > 50, "the lying fields were not exercised: %u %u %u", malformed,
              trailing, trunc);
}

/* ============================================================== libnet */

static libnet_t *g_ln;
static void ln_close(void) { th_ln_close(&g_ln); }
TestSuite(dns_libnet, .fini = ln_close, .timeout = 1800);

/* The DNS header (and over TCP its length prefix) from libnet_build_dnsv4
 * with the values the spec says, the rest of the message as its payload;
 * IPv4 and UDP/TCP around it from libnet too.  Frames must be identical. */
Test(dns_libnet, header_matches_libnet_build_dnsv4)
{
    static struct rmsg M;
    static uint8_t msg[16384], ours[16500];
    libnet_t *l = th_ln_open(&g_ln);
    struct pc_rng r;
    pc_rng_seed(&r, 0x11B4E7ull);
    unsigned zero_sum = 0;
    for (unsigned iter = 0; iter < 2000; iter++) {
        rand_msg(&r, &M, 0, 0);
        M.s.no_compress = (uint8_t)rnd(&r, 2);
        int tcp = (int)(iter & 1);
        M.s.tcp = (uint8_t)tcp;
        int n = pc_dns_encode(&M.s, msg, sizeof msg);
        cr_assert_gt(n, 0);
        size_t pre = tcp ? 2 : 0, body = (size_t)n - pre - PC_DNS_HLEN;
        uint16_t sport = (uint16_t)(1024 + rnd(&r, 60000)), ipid = (uint16_t)pc_rng_next(&r);
        uint32_t seq = (uint32_t)pc_rng_next(&r), ack = (uint32_t)pc_rng_next(&r);
        uint8_t src[4] = { 10, 1, 2, 3 }, dst[4] = { 192, 0, 2, 53 };
        th_ln_ok(l, libnet_build_dnsv4(tcp ? LIBNET_TCP_DNSV4_H : LIBNET_UDP_DNSV4_H, M.s.id, M.flags, M.hc[0], M.hc[1],
                                       M.hc[2], M.hc[3], msg + pre + PC_DNS_HLEN, (uint32_t)body, l, 0),
                 "libnet_build_dnsv4");
        uint16_t l4 = (uint16_t)((tcp ? LIBNET_TCP_H : LIBNET_UDP_H) + (size_t)n);
        if (tcp)
            th_ln_ok(l, libnet_build_tcp(sport, 53, seq, ack, TH_ACK | TH_PUSH, 4096, 0, 0, l4, NULL, 0, l, 0),
                     "libnet_build_tcp");
        else th_ln_ok(l, libnet_build_udp(sport, 53, l4, 0, NULL, 0, l, 0), "libnet_build_udp");
        th_ln_ok(l, libnet_build_ipv4((uint16_t)(LIBNET_IPV4_H + l4), 0, ipid, 0, 64, tcp ? IPPROTO_TCP : IPPROTO_UDP,
                                      0, th_ln_ip4(src), th_ln_ip4(dst), NULL, 0, l, 0),
                 "libnet_build_ipv4");
        static uint8_t theirs[16500];
        size_t ln = th_ln_take(l, theirs, sizeof theirs);

        struct pc_pkt pk;
        pc_pkt_init(&pk, ours, sizeof ours);
        struct pc_ipv4 ip = { .ttl = 64, .id = ipid };
        memcpy(ip.src, src, 4);
        memcpy(ip.dst, dst, 4);
        pc_push_ipv4(&pk, &ip);
        if (tcp) pc_push_tcp(&pk, &(struct pc_tcp){ .sport = sport, .dport = 53, .seq = seq, .ack = ack,
                                                    .flags = PC_TCP_ACK | PC_TCP_PSH, .win = 4096 });
        else pc_push_udp(&pk, &(struct pc_udp){ .sport = sport, .dport = 53 });
        pc_push_dns(&pk, &M.s);
        int on = pc_pkt_finalize(&pk);
        cr_assert_eq((size_t)on, ln, "iter %u: pktcraft %d bytes, libnet %zu", iter, on, ln);
        /* libnet 1.1.6 stores a UDP sum of 0 as 0 ("none"); RFC 768 and
         * pktcraft send 0xFFFF.  Only that difference is allowed. */
        if (!tcp && pc_get16(theirs + 26) == 0 && pc_get16(ours + 26) == 0xFFFF) {
            pc_put16(theirs + 26, 0xFFFF);
            zero_sum++;
        }
        th_ln_expect_same(ours, ln, theirs, ln, "iter %u (%s)", iter, tcp ? "tcp" : "udp");
    }
    cr_log_info("dns libnet: 2000 frames identical (%u with a zero UDP sum)", zero_sum);
}

/* ============================================================== tshark */

struct tframe { uint32_t len; uint8_t data[8192]; };

/* Everything a tshark test allocates, released by the suite's fini so an
 * assertion failure leaks nothing.  PKTCRAFT_TSHARK_KEEP=1 keeps the
 * captures for a look by hand. */
static struct {
    char dir[64];
    struct th_rows rows;
    struct tframe *fr;
    struct pc_reader *rd;
} TG;

static void tg_fini(void)
{
    th_tshark_cleanup(TG.dir, &TG.rows);
    free(TG.fr);
    if (TG.rd) pc_reader_close(TG.rd);
    memset(&TG, 0, sizeof TG);
}

TestSuite(dns_tshark, .fini = tg_fini, .timeout = 1800);
TestSuite(dns_corpus, .fini = tg_fini, .timeout = 1800);

/* tshark's rows for a capture (fields tab-separated, repeats joined with
 * '|'), split in place in TG.rows. */
static char **ts_run(const char *tshark, const char *dir, const char *pcap, const char *const *fields, size_t nf,
                     size_t *n)
{
    th_tshark_fields(&TG.rows, tshark, dir, pcap, NULL,
                     "-o udp.check_checksum:TRUE -o tcp.check_checksum:TRUE" TH_TS_NO_SEQ, fields, nf);
    *n = TG.rows.n;
    return TG.rows.row;
}

#define TSF(X)                                                                                                   \
    X(T_NUM, "frame.number") X(T_ID, "dns.id") X(T_FLAGS, "dns.flags") X(T_RESP, "dns.flags.response")           \
    X(T_OPCODE, "dns.flags.opcode") X(T_AA, "dns.flags.authoritative") X(T_TC, "dns.flags.truncated")           \
    X(T_RD, "dns.flags.recdesired") X(T_RA, "dns.flags.recavail") X(T_Z, "dns.flags.z")                          \
    X(T_AD, "dns.flags.authenticated") X(T_CD, "dns.flags.checkdisable") X(T_RCODE, "dns.flags.rcode")           \
    X(T_QD, "dns.count.queries") X(T_AN, "dns.count.answers") X(T_NS, "dns.count.auth_rr")                      \
    X(T_AR, "dns.count.add_rr") X(T_QNAME, "dns.qry.name") X(T_QTYPE, "dns.qry.type")                           \
    X(T_QCLASS, "dns.qry.class") X(T_RNAME, "dns.resp.name") X(T_RTYPE, "dns.resp.type")                         \
    X(T_RCLASS, "dns.resp.class") X(T_TTL, "dns.resp.ttl") X(T_RLEN, "dns.resp.len") X(T_A, "dns.a")           \
    X(T_AAAA, "dns.aaaa") X(T_CNAME, "dns.cname") X(T_NSN, "dns.ns") X(T_PTR, "dns.ptr.domain_name")            \
    X(T_MXP, "dns.mx.preference") X(T_MXN, "dns.mx.mail_exchange") X(T_TXT, "dns.txt")                          \
    X(T_SRVP, "dns.srv.priority") X(T_SRVW, "dns.srv.weight") X(T_SRVPORT, "dns.srv.port")                      \
    X(T_SRVT, "dns.srv.target") X(T_SRVSVC, "dns.srv.service") X(T_SRVPROTO, "dns.srv.proto")                \
    X(T_SRVNAME, "dns.srv.name") X(T_SOAM, "dns.soa.mname") X(T_SOAR, "dns.soa.rname")                           \
    X(T_SOAS, "dns.soa.serial_number") X(T_SOAREF, "dns.soa.refresh_interval")                                  \
    X(T_SOARET, "dns.soa.retry_interval") X(T_SOAE, "dns.soa.expire_limit") X(T_SOAMIN, "dns.soa.minimum_ttl")  \
    X(T_CAAF, "dns.caa.flags") X(T_CAAT, "dns.caa.tag") X(T_CAAV, "dns.caa.value")                              \
    X(T_UDPSZ, "dns.rr.udp_payload_size") X(T_EXTRC, "dns.resp.ext_rcode") X(T_EVER, "dns.resp.edns0_version")  \
    X(T_DO, "dns.resp.z.do") X(T_OPTC, "dns.opt.code") X(T_OPTL, "dns.opt.len")                                 \
    X(T_ECSF, "dns.opt.client.family") X(T_ECSN, "dns.opt.client.netmask") X(T_ECSS, "dns.opt.client.scope")    \
    X(T_ECS4, "dns.opt.client.addr4") X(T_ECS6, "dns.opt.client.addr6") X(T_DLEN, "dns.length")                 \
    X(T_MAL, "_ws.malformed") X(T_SEV, "_ws.expert.severity") X(T_MSG, "_ws.expert.message")

#define TS_ENUM(id, name) id,
#define TS_NAME(id, name) name,
enum { TSF(TS_ENUM) TNF };
static const char *const TFIELD[TNF] = { TSF(TS_NAME) };

#define EXPW 8192
static char EXP[TNF][EXPW];
static int EXPN[TNF]; /* values in EXP[f] so far (an empty one counts) */

__attribute__((format(printf, 2, 3))) static void eadd(int f, const char *fmt, ...)
{
    size_t n = strlen(EXP[f]);
    if (EXPN[f]++ && n < EXPW - 1) EXP[f][n++] = '|';
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(EXP[f] + n, EXPW - n, fmt, ap);
    va_end(ap);
}

/* tshark writes the root name as <Root>. */
static const char *ts_name(const char *n) { return strcmp(n, ".") ? n : "<Root>"; }

static void exp_opt_cb(void *ctx, uint16_t code, const uint8_t *data, uint16_t len)
{
    (void)ctx;
    eadd(T_OPTC, "%u", code);
    eadd(T_OPTL, "%u", len);
    if (code != PC_EDNS_OPT_ECS) return;
    uint16_t fam = pc_get16(data);
    uint8_t a[16] = { 0 };
    char t[64];
    memcpy(a, data + 4, len - 4u);
    eadd(T_ECSF, "%u", fam);
    eadd(T_ECSN, "%u", data[2]);
    eadd(T_ECSS, "%u", data[3]);
    if (fam == 1) eadd(T_ECS4, "%u.%u.%u.%u", a[0], a[1], a[2], a[3]);
    else eadd(T_ECS6, "%s", inet_ntop(AF_INET6, a, t, sizeof t));
}

/* The values tshark must print for one message, from our parser. */
static void exp_message(const uint8_t *msg, size_t len, int tcp)
{
    struct pc_dns_iter it;
    static struct pc_dns_rr rr;
    static char v[4096];
    cr_assert_eq(pc_dns_iter_init(&it, msg, len), 0);
    uint16_t fl = it.flags;
    int qr = fl >> 15 & 1;
    if (tcp) eadd(T_DLEN, "%zu", len);
    eadd(T_ID, "0x%04x", it.id);
    eadd(T_FLAGS, "0x%04x", fl);
    eadd(T_RESP, "%d", qr);
    eadd(T_OPCODE, "%u", fl >> 11 & 15);
    if (qr) eadd(T_AA, "%d", fl >> 10 & 1);
    eadd(T_TC, "%d", fl >> 9 & 1);
    eadd(T_RD, "%d", fl >> 8 & 1);
    if (qr) eadd(T_RA, "%d", fl >> 7 & 1);
    eadd(T_Z, "%d", fl >> 6 & 1);
    if (qr || (fl & PC_DNS_F_AD)) eadd(T_AD, "%d", fl >> 5 & 1); /* a query shows AD only when set */
    eadd(T_CD, "%d", fl >> 4 & 1);
    if (qr) eadd(T_RCODE, "%u", fl & 15);
    eadd(T_QD, "%u", it.count[0]);
    eadd(T_AN, "%u", it.count[1]);
    eadd(T_NS, "%u", it.count[2]);
    eadd(T_AR, "%u", it.count[3]);
    int rc;
    while ((rc = pc_dns_iter_next(&it, &rr)) == 1) {
        if (rr.section == PC_DNS_SEC_QD) {
            eadd(T_QNAME, "%s", ts_name(rr.name));
            eadd(T_QTYPE, "%u", rr.type);
            eadd(T_QCLASS, "0x%04x", rr.rclass);
            continue;
        }
        cr_assert_geq(pc_dns_rdata_text(msg, len, &rr, v, sizeof v, NULL), 0);
        const uint8_t *p = msg + rr.rdata_off;
        if (rr.type == PC_DNS_T_SRV) {
            /* tshark 4.0 splits an SRV owner at its first two dots into
             * service, proto and name, and gives no dns.resp.name. */
            char own[PC_DNS_NAME_TEXTMAX], *d1, *d2 = NULL;
            snprintf(own, sizeof own, "%s", ts_name(rr.name));
            if ((d1 = strchr(own, '.'))) { *d1++ = 0; if ((d2 = strchr(d1, '.'))) *d2++ = 0; }
            eadd(T_SRVSVC, "%s", own);
            if (d1) eadd(T_SRVPROTO, "%s", d1);
            if (d2) eadd(T_SRVNAME, "%s", d2);
        } else {
            eadd(T_RNAME, "%s", ts_name(rr.name));
        }
        eadd(T_RTYPE, "%u", rr.type);
        if (rr.type != PC_DNS_T_OPT) {
            eadd(T_RCLASS, "0x%04x", rr.rclass);
            eadd(T_TTL, "%u", rr.ttl);
        }
        eadd(T_RLEN, "%u", rr.rdlength);
        char *tok[8] = { 0 };
        int nt = 0;
        if (rr.type == PC_DNS_T_MX || rr.type == PC_DNS_T_SRV || rr.type == PC_DNS_T_SOA)
            for (char *s = strtok(v, " "); s && nt < 8; s = strtok(NULL, " ")) tok[nt++] = s;
        switch (rr.type) {
        case PC_DNS_T_A: eadd(T_A, "%s", v); break;
        case PC_DNS_T_AAAA: eadd(T_AAAA, "%s", v); break;
        case PC_DNS_T_CNAME: eadd(T_CNAME, "%s", ts_name(v)); break;
        case PC_DNS_T_NS: eadd(T_NSN, "%s", ts_name(v)); break;
        case PC_DNS_T_PTR: eadd(T_PTR, "%s", ts_name(v)); break;
        case PC_DNS_T_MX: eadd(T_MXP, "%s", tok[0]); eadd(T_MXN, "%s", ts_name(tok[1])); break;
        case PC_DNS_T_SRV:
            eadd(T_SRVP, "%s", tok[0]);
            eadd(T_SRVW, "%s", tok[1]);
            eadd(T_SRVPORT, "%s", tok[2]);
            eadd(T_SRVT, "%s", ts_name(tok[3]));
            break;
        case PC_DNS_T_SOA:
            eadd(T_SOAM, "%s", ts_name(tok[0]));
            eadd(T_SOAR, "%s", ts_name(tok[1]));
            eadd(T_SOAS, "%s", tok[2]);
            eadd(T_SOAREF, "%s", tok[3]);
            eadd(T_SOARET, "%s", tok[4]);
            eadd(T_SOAE, "%s", tok[5]);
            eadd(T_SOAMIN, "%s", tok[6]);
            break;
        case PC_DNS_T_TXT:
            for (size_t k = 0; k < rr.rdlength; k += 1u + p[k]) eadd(T_TXT, "%.*s", p[k], (const char *)p + k + 1);
            break;
        case PC_DNS_T_CAA:
            eadd(T_CAAF, "0x%02x", p[0]);
            eadd(T_CAAT, "%.*s", p[1], (const char *)p + 2);
            eadd(T_CAAV, "%.*s", rr.rdlength - 2 - p[1], (const char *)p + 2 + p[1]);
            break;
        case PC_DNS_T_OPT:
            eadd(T_UDPSZ, "%u", rr.rclass);
            eadd(T_EXTRC, "0x%02x", rr.ttl >> 24);
            eadd(T_EVER, "%u", rr.ttl >> 16 & 0xFF);
            eadd(T_DO, "%u", rr.ttl >> 15 & 1);
            pc_dns_opts_walk(p, rr.rdlength, exp_opt_cb, NULL, NULL);
            break;
        default: break;
        }
    }
    cr_assert_eq(rc, 0, "our own message did not parse: %s", it.why);
}

/* One frame a second, microsecond timestamps. */
static void write_frames(const char *path, const struct tframe *fr, size_t n)
{
    struct th_pcapw pw;
    th_pcapw_open(&pw, path, PC_LINK_ETHERNET, PC_TSPREC_US);
    for (size_t i = 0; i < n; i++)
        th_pcapw_write(&pw, (pc_time_ns)(1700000000 + i) * PC_NS_PER_SEC, fr[i].data, fr[i].len);
    th_pcapw_close(&pw);
}

#define TS_UDP 500
#define TS_TCP 250

/* Random valid messages, over UDP one per frame and over TCP one to three
 * per segment (each frame its own stream, every id unique so tshark sees
 * no retransmission): every field tshark prints equals ours, and tshark
 * finds nothing malformed, no expert warning or error, no bad checksum. */
Test(dns_tshark, random_messages_match_tshark_field_by_field)
{
    const char *ts = th_tshark_require();
    char path[128];
    const char *dir = th_tmpdir(TG.dir);
    snprintf(path, sizeof path, "%s/dns.pcap", dir);
    struct tframe *fr = TG.fr = calloc(TS_UDP + TS_TCP, sizeof *fr);
    struct pc_rng r;
    pc_rng_seed(&r, 0x75A4Cull);
    uint16_t id = 1;
    size_t nfr = TS_UDP + TS_TCP, nmsg = 0;
    static unsigned seen[TNF];
    for (size_t i = 0; i < nfr; i++) {
        int tcp = i >= TS_UDP, k = tcp ? 1 + (int)rnd(&r, 3) : 1;
        struct pc_dns s[3];
        static struct rmsg keep[3];
        for (int j = 0; j < k; j++) {
            rand_msg(&r, &keep[j], 1, id++);
            s[j] = keep[j].s;
            s[j].tcp = (uint8_t)tcp;
            s[j].no_compress = (uint8_t)rnd(&r, 2);
        }
        int n = frame(fr[i].data, sizeof fr[i].data, s, k, tcp, (uint16_t)(20000 + i));
        cr_assert_gt(n, 0, "frame %zu: %s", i, pc_strerror(n));
        fr[i].len = (uint32_t)n;
        nmsg += (size_t)k;
    }
    write_frames(path, fr, nfr);
    size_t nrows;
    char **rows = ts_run(ts, dir, path, TFIELD, TNF, &nrows);
    cr_assert_eq(nrows, nfr, "tshark printed %zu rows for %zu frames", nrows, nfr);
    for (size_t i = 0; i < nfr; i++) {
        char *col[TNF];
        th_split_cols(rows[i], col, TNF, i + 1);
        memset(EXP, 0, sizeof EXP);
        memset(EXPN, 0, sizeof EXPN);
        snprintf(EXP[T_NUM], EXPW, "%zu", i + 1);
        struct pc_decoded d;
        cr_assert_eq(pc_decode(&d, fr[i].data, fr[i].len, fr[i].len, PC_LINK_ETHERNET), 0);
        for (int l = 0; l < d.n; l++) {
            if (d.l[l].proto != PC_P_DNS) continue;
            int tcp = d.l[2].proto == PC_P_TCP;
            exp_message(pc_layer_hdr(&d, l) + (tcp ? 2 : 0), PC_DNS_HLEN + d.l[l].plen, tcp);
        }
        cr_assert_str_empty(col[T_MAL], "frame %zu: tshark says malformed: %s", i + 1, col[T_MSG]);
        unsigned long sev = th_expert_worst(col[T_SEV]);
        cr_assert_lt(sev, TH_SEV_WARN, "frame %zu: tshark expert severity 0x%lx: %s", i + 1, sev, col[T_MSG]);
        for (int f = 0; f < T_MAL; f++) {
            cr_assert_str_eq(col[f], EXP[f], "frame %zu (%s): %s\n tshark: %s\n    ours: %s", i + 1,
                             i >= TS_UDP ? "tcp" : "udp", TFIELD[f], col[f], EXP[f]);
            seen[f] += EXPN[f] > 0 || EXP[f][0];
        }
    }
    for (int f = 0; f < T_MAL; f++) cr_assert_gt(seen[f], 0, "no frame had a %s: the oracle missed a field", TFIELD[f]);
    cr_log_info("dns tshark: %zu frames, %zu messages agree field by field", nfr, nmsg);
}

/* The deliberately malformed messages: ours are all malformed; tshark
 * 4.0.17 raises an exception (malformed) for the lying counts and lengths,
 * names a loop "<Name contains a pointer that loops>" without an expert
 * item, follows forward pointers and takes a CAA tag of length 0 without
 * complaint (RFC 8659 wants 1..15).  Those three are asserted as tshark's
 * behaviour, so a change in tshark shows up here. */
Test(dns_tshark, deliberately_malformed_messages)
{
    const char *ts = th_tshark_require();
    static const struct pc_dns_question q2[] = { { "www.example.com", 1, 1 }, { "mail.example.com", 28, 1 } };
    static const struct pc_dns_record an[] = { { .name = "www.example.com", .type = 1, .rclass = 1, .a = { 1, 2, 3, 4 } } };
    static const struct pc_dns_record bad_len[] = {
        { .name = "www.example.com", .type = 1, .rclass = 1, .a = { 1, 2, 3, 4 }, .rdlength = { PC_FCORRUPT, 0 } } };
    static const struct pc_dns_record txt[] = { { .name = "t", .type = PC_DNS_T_TXT, .rclass = 1,
                                                  .raw = { (const uint8_t *)"\x05" "ab", 3 } } };
    static const struct pc_dns_record caa[] = {
        { .name = "c", .type = PC_DNS_T_CAA, .rclass = 1, .raw = { (const uint8_t *)"\x00\x00x", 3 } },  /* tag of 0 */
        { .name = "c", .type = PC_DNS_T_CAA, .rclass = 1, .raw = { (const uint8_t *)"\x00\x09x", 3 } },  /* tag past the end */
    };
    static const struct pc_dns_record opt[] = { { .name = ".", .type = PC_DNS_T_OPT, .rclass = 1232,
                                                  .raw = { (const uint8_t *)"\x00\x0a\x00\x09\x01\x02", 6 } } };
    enum { MAL, LOOPNAME, LENIENT };
    struct { struct pc_dns s; int tcp, ts; const char *ours, *qname; } c[] = {
        { { .id = 101, .qd = q2, .nqd = 1, .malform = PC_DNS_MAL_LOOP }, 0, LOOPNAME, "dns: compression pointer loop",
          "<Name contains a pointer that loops>" },
        { { .id = 102, .qd = q2, .nqd = 2, .malform = PC_DNS_MAL_FWDPTR }, 0, LENIENT,
          "dns: compression pointer points forward", "mail.example.com|mail.example.com" },
        { { .id = 103, .qr = 1, .qd = q2, .nqd = 1, .an = an, .nan = 1, .ancount = PC_CORRUPT }, 0, MAL,
          "dns: answer count exceeds records", NULL },
        { { .id = 104, .qr = 1, .qd = q2, .nqd = 1, .an = an, .nan = 1, .ancount = PC_PIN(3), .tcp = 1 }, 1, MAL,
          "dns: answer count exceeds records", NULL },
        { { .id = 105, .qd = (const struct pc_dns_question[]){ { "a123456789012345678901234567890123456789012345678901"
                                                                 "234567890123.com", 1, 1 } },
            .nqd = 1, .malform = PC_DNS_MAL_LONGLABEL }, 0, MAL, "dns: label type 0x40 or 0x80", NULL },
        { { .id = 106, .qr = 1, .qd = q2, .nqd = 1, .an = bad_len, .nan = 1 }, 0, MAL, "dns: rdata runs past the message", NULL },
        { { .id = 107, .qr = 1, .an = txt, .nan = 1 }, 0, MAL, "dns: TXT string runs past the rdata", NULL },
        { { .id = 108, .qr = 1, .an = caa, .nan = 1 }, 0, LENIENT, "dns: CAA tag length invalid", NULL },
        { { .id = 110, .qr = 1, .an = caa + 1, .nan = 1 }, 0, MAL, "dns: CAA tag length invalid", NULL },
        { { .id = 109, .qr = 1, .ar = opt, .nar = 1 }, 0, MAL, "dns: edns option runs past the rdata", NULL },
    };
    size_t nc = sizeof c / sizeof c[0];
    char path[128];
    const char *dir = th_tmpdir(TG.dir);
    snprintf(path, sizeof path, "%s/bad.pcap", dir);
    static struct tframe fr[16];
    for (size_t i = 0; i < nc; i++) {
        int n = frame(fr[i].data, sizeof fr[i].data, &c[i].s, 1, c[i].tcp, (uint16_t)(30000 + i));
        cr_assert_gt(n, 0, "case %zu: %s", i, pc_strerror(n));
        fr[i].len = (uint32_t)n;
        expect_decode(fr[i].data, n, PC_EMALFORMED, PC_LF_MALFORMED, c[i].ours);
    }
    write_frames(path, fr, nc);
    static const char *const f[] = { "frame.number", "dns.id", "dns.qry.name", "_ws.malformed", "_ws.expert.message" };
    size_t nrows;
    char **rows = ts_run(ts, dir, path, f, 5, &nrows);
    cr_assert_eq(nrows, nc);
    for (size_t i = 0; i < nc; i++) {
        char *col[5];
        th_split_cols(rows[i], col, 5, i + 1);
        char id[16];
        snprintf(id, sizeof id, "0x%04x", c[i].s.id);
        cr_assert_str_eq(col[1], id, "case %zu: tshark did not dissect the message as DNS", i);
        if (c[i].ts == MAL)
            cr_assert_str_not_empty(col[3], "case %zu (%s): tshark does not call it malformed", i, c[i].ours);
        else {
            cr_assert_str_empty(col[3], "case %zu: tshark changed its mind: %s", i, col[4]);
            if (c[i].qname) cr_assert_str_eq(col[2], c[i].qname, "case %zu", i);
        }
    }
}

/* ============================================================== corpus */

/* Real captures: every DNS message our decoder finds on port 53 parses
 * without a malformation wherever tshark finds none, and where a frame's
 * messages are complete, ids and names equal tshark's.  The files are the
 * corpus's pcap files that carry DNS (MANIFEST.tsv), gopacket's and
 * suricata-verify's dns-* first; its pcapng files wait for a pcapng reader. */
Test(dns_corpus, real_captures_parse_like_tshark)
{
    const char *ts = th_tshark_require();
    static const char *const files[] = {
        "gopacket/pcap/test_dns.pcap",
        "suricata-verify/tests/dns/dns-query/dns-detect-query-03/input.pcap",
        "suricata-verify/tests/dns/dns-z-bit/input.pcap",
        "suricata-verify/tests/dns-over-http2/dns_over_https.pcap",
        "suricata-verify/tests/dns-reversed-tcp-1/dns.pcap",
        "dpkt/examples/data/dns_icmp.pcap",
        "dpkt/examples/data/truncated_dns.pcap",
        "pcapplusplus/Tests/Pcap++Test/PcapExamples/example.pcap",
        "pcapplusplus/Tests/Pcap++Test/PcapExamples/linktype_ipv4.pcap",
        "tcpdump/tests/dns-badvers.pcap",
        "tcpdump/tests/time_2038.pcap",
        "zeek/testing/btest/Traces/dce-rpc/mapi.pcap",
        "zeek/testing/btest/Traces/smtp.pcap",
        "suricata-verify/tests/http-protocol-inspect-v2/http.pcap",
        "suricata-verify/tests/base64-decode-5885/input.pcap",     /* IPv6, VLAN */
        "suricata-verify/tests/sip-method/sip.pcap",
        "suricata-verify/tests/smb-length-5770/input.pcap",        /* NULL link type */
        "pcapplusplus/Tests/Pcap++Test/PcapExamples/raw_ip.pcap",
        "pcapplusplus/Tests/Pcap++Test/PcapExamples/sll.pcap",
        "pcapplusplus/Tests/Pcap++Test/PcapExamples/null_loopback.pcap",
        "zeek/testing/btest/Traces/dns-edns-ecs-bad.pcap",         /* tshark: malformed; ours too */
        "dpkt/examples/data/nb6-http.pcap",
        "zeek/testing/btest/Traces/tunnels/geneve-vxlan-dns-truncated.pcap",
    };
    static const char *const f[] = { "frame.number", "_ws.malformed", "dns.id", "dns.qry.name", "dns.resp.name" };
    char corpus[4096];
    snprintf(corpus, sizeof corpus, "%s/../shared/corpus", th_root());
    cr_assert_eq(th_sh("test -f '%s/MANIFEST.tsv'", corpus), 0, "the capture corpus is missing at %s", corpus);
    const char *dir = th_tmpdir(TG.dir);
    size_t total = 0, compared = 0;
    for (size_t fi = 0; fi < sizeof files / sizeof files[0]; fi++) {
        char path[4200];
        snprintf(path, sizeof path, "%s/%s", corpus, files[fi]);
        size_t nrows;
        char **rows = ts_run(ts, dir, path, f, 5, &nrows);
        struct pc_err e;
        struct pc_reader *rd = TG.rd = pc_reader_open(path, &e);
        cr_assert_not_null(rd, "%s: %s", files[fi], e.msg);
        struct pc_pkthdr h;
        const uint8_t *data;
        size_t n = 0;
        while (pc_reader_next(rd, &h, &data) == 1) {
            cr_assert_lt(n, nrows, "%s: more frames than tshark shows", files[fi]);
            char *col[5];
            th_split_cols(rows[n], col, 5, n + 1);
            n++;
            struct pc_decoded d;
            pc_decode(&d, data, h.caplen, h.len, h.linktype);
            static char ids[8192], qn[8192], rn[8192];
            ids[0] = qn[0] = rn[0] = 0;
            int msgs = 0, complete = 1;
            for (int i = 0; i < d.n; i++) {
                const struct pc_layer *l = &d.l[i];
                if (l->proto != PC_P_DNS) continue;
                msgs++;
                if (!col[1][0])
                    cr_assert_eq(l->flags & PC_LF_MALFORMED, 0, "%s frame %zu: we say malformed (%s), tshark does not",
                                 files[fi], n, l->why);
                if (l->flags & (PC_LF_TRUNC | PC_LF_MALFORMED)) { complete = 0; continue; }
                int tcp = d.l4 >= 0 && d.l[d.l4].proto == PC_P_TCP;
                const uint8_t *m = pc_layer_hdr(&d, i) + (tcp ? 2 : 0);
                size_t ml = PC_DNS_HLEN + l->plen;
                struct pc_dns_iter it;
                static struct pc_dns_rr rr;
                pc_dns_iter_init(&it, m, ml);
                snprintf(ids + strlen(ids), sizeof ids - strlen(ids), "%s0x%04x", ids[0] ? "|" : "", it.id);
                while (pc_dns_iter_next(&it, &rr) == 1) {
                    char *dst = rr.section == PC_DNS_SEC_QD ? qn : rn;
                    snprintf(dst + strlen(dst), 8192 - strlen(dst), "%s%s", dst[0] ? "|" : "", ts_name(rr.name));
                }
            }
            total += (size_t)msgs;
            if (!msgs || !complete) continue;
            cr_assert_str_eq(col[2], ids, "%s frame %zu: dns.id", files[fi], n);
            cr_assert_str_eq(col[3], qn, "%s frame %zu: dns.qry.name", files[fi], n);
            cr_assert_str_eq(col[4], rn, "%s frame %zu: dns.resp.name", files[fi], n);
            compared++;
        }
        pc_reader_close(rd);
        TG.rd = NULL;
        cr_assert_eq(n, nrows, "%s: %zu frames read, tshark shows %zu", files[fi], n, nrows);
    }
    cr_log_info("dns corpus: %zu messages, %zu frames compared with tshark", total, compared);
    cr_assert_geq(total, 600, "too few DNS messages found in the corpus: %zu", total);
    /* A little below the measured 620 frames whose ids and names were compared. */
    cr_assert_geq(compared, 590, "only %zu frames' DNS ids and names compared with tshark", compared);
}

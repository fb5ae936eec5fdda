/* 802.1Q / 802.1ad tags, ARP, and the capture link layers (Linux cooked
 * capture v1 and v2, BSD loopback NULL and LOOP).
 *
 *  - known bytes made independently with scapy 2.5 (/usr/bin/python3):
 *    Ether/Dot1Q, Ether/Dot1AD/Dot1Q, ARP who-has / is-at / gratuitous,
 *    CookedLinux, CookedLinuxV2, Loopback; the few headers scapy cannot say
 *    (other NULL byte orders, LOOP) are hand-made with a comment;
 *  - builds into buffers poisoned with 0xA5 compared with those bytes;
 *  - every truncation of every known frame under a guard page;
 *  - each inconsistent length rejected, too small and too large;
 *  - a seeded random round trip of VLAN stacks and ARP messages, pinned and
 *    corrupt fields coming back as written;
 *  - libnet 1.1.6 byte identity for ARP and 802.1Q;
 *  - tshark agreeing field by field on random VLAN/QinQ/ARP frames and on
 *    random cooked and loopback headers, with no malformed packet and no
 *    expert error;
 *  - three real captures (SLL2, SLL, NULL) decoded to their IP layer with
 *    pc_reader, and compared with tshark packet by packet.
 * A missing tshark or libnet fails, never skips. */
#include <criterion/criterion.h>
#include <criterion/logging.h>

#include <stdbool.h>

#include "oracle.h"

/* The libnet context, a test's scratch directory and tshark's rows live
 * in statics so that the suite's fini frees them even when an assertion
 * ends a test early (each test runs in its own process). */
static libnet_t *g_ln;
static char g_dir[64];
static struct th_rows g_rows;
static void link_fini(void)
{
    th_ln_close(&g_ln);
    th_tshark_cleanup(g_dir, &g_rows);
}
TestSuite(link, .fini = link_fini, .timeout = 1800);

/* ================================================================ known bytes */

/* Ether(dst=M2,src=M1)/Dot1Q(vlan=100,prio=3)/IP(src=10.0.0.1,dst=10.0.0.2,id=1,ttl=64)/UDP(1234,5678)/"hi" */
static const char *DOT1Q_HEX =
    "0200000000020200000000018100606408004500001e00010000401166cc0a0000010a00000204d2162e000a686e6869";
/* Ether/Dot1Q(vlan=4095,prio=7,id=1)/IP(id=2,ttl=64)/UDP(1,2): every TCI bit set */
static const char *DOT1Q_DEI_HEX =
    "0200000000020200000000018100ffff08004500001c00020000401166cd0a0000010a000002000100020008ebd8";
/* Ether/Dot1AD(vlan=10,prio=1)/Dot1Q(vlan=20,prio=5,id=1)/IP(id=3,ttl=64)/UDP(1234,5678)/"abc" */
static const char *QINQ_HEX =
    "02000000000202000000000188a8200a8100b01408004500001f00030000401166c90a0000010a00000204d2162e000b0c73616263";
/* Ether(dst=ff..ff,src=M1)/ARP(op=1,hwsrc=M1,psrc=10.0.0.1,pdst=10.0.0.2)/Padding(18 zero bytes) */
static const char *ARP_REQ_HEX =
    "ffffffffffff020000000001080600010800060400010200000000010a0000010000000000000a000002"
    "000000000000000000000000000000000000";
/* Ether(dst=M1,src=M2)/ARP(op=2,hwsrc=M2,psrc=10.0.0.2,hwdst=M1,pdst=10.0.0.1) */
static const char *ARP_REP_HEX =
    "020000000001020000000002080600010800060400020200000000020a0000020200000000010a000001";
/* Ether(dst=ff..ff,src=M1)/ARP(op=1,hwsrc=M1,psrc=10.0.0.1,pdst=10.0.0.1): gratuitous */
static const char *ARP_GRAT_HEX =
    "ffffffffffff020000000001080600010800060400010200000000010a0000010000000000000a000001";
/* Ether(dst=ff..ff,src=M1)/Dot1Q(vlan=7)/ARP(who-has 10.0.0.2 tell 10.0.0.1)/Padding(14) */
static const char *VLAN_ARP_HEX =
    "ffffffffffff02000000000181000007080600010800060400010200000000010a0000010000000000000a000002"
    "0000000000000000000000000000";
/* Ether/Dot1Q(vlan=5,type=9)/LLC(dsap=0x42,ssap=0x42,ctrl=3)/"abcdef"/Padding(33): an 802.3 length */
static const char *VLAN_LLC_HEX =
    "020000000002020000000001810000050009424203616263646566"
    "000000000000000000000000000000000000000000000000000000000000000000";
/* CookedLinux(pkttype=4,lladdrtype=1,lladdrlen=6,src=M1,proto=0x0800)/IP(id=4,ttl=64)/UDP(1234,5678)/"x" */
static const char *SLL_HEX =
    "000400010006020000000001000008004500001d00040000401166ca0a0000010a00000204d2162e000958d978";
/* CookedLinuxV2(proto=0x86dd,ifindex=2,lladdrtype=1,pkttype=0,lladdrlen=6,src=M2)/
 * IPv6(2001:db8::1 > 2001:db8::2,hlim=64)/UDP(1234,5678)/"y" */
static const char *SLL2_HEX =
    "86dd000000000002000100060200000000020000600000000009114020010db800000000000000000000000120010db8"
    "00000000000000000000000204d2162e0009106779";
/* CookedLinuxV2(proto=0x0806,ifindex=3,lladdrtype=1,pkttype=1,lladdrlen=6,src=M1)/ARP(who-has) */
static const char *SLL2_ARP_HEX =
    "080600000000000300010106020000000001000000010800060400010200000000010a0000010000000000000a000002";
/* IP(id=5,ttl=64)/UDP(1234,5678)/"z" and IPv6(::1 > ::1,hlim=64)/UDP(1234,5678)/"z", the payloads
 * of the NULL / LOOP frames below. */
static const char *IPV4_UDP_HEX = "4500001d00050000401166c90a0000010a00000204d2162e000956d97a";
static const char *IPV6_UDP_HEX =
    "6000000000091140000000000000000000000000000000010000000000000000000000000000000104d2162e00096ada7a";
/* Loopback(type=2)/IP(...): scapy writes the family little endian, as a
 * little-endian BSD host does. */
static const char *NULL_LE_IPV4_HEX = "020000004500001d00050000401166c90a0000010a00000204d2162e000956d97a";

static const uint8_t MAC1[6] = { 2, 0, 0, 0, 0, 1 }, MAC2[6] = { 2, 0, 0, 0, 0, 2 };
static const uint8_t BCAST[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
static const uint8_t IP1[4] = { 10, 0, 0, 1 }, IP2[4] = { 10, 0, 0, 2 };

#define BUFCAP 2048
/* An EtherType nobody decodes (IEEE 802 local experimental 1). */
#define ET_EXPERIMENTAL 0x88B5

static size_t load(const char *hex, uint8_t *b) { return th_unhex(hex, b, BUFCAP); }

static int decode(struct pc_decoded *d, const uint8_t *b, size_t n, int linktype)
{
    return pc_decode(d, b, (uint32_t)n, (uint32_t)n, linktype);
}

/* The layer protocols of d as "eth vlan ipv4 ...". */
static const char *chain(const struct pc_decoded *d)
{
    static char s[256];
    size_t k = 0;
    s[0] = 0;
    for (int i = 0; i < d->n; i++)
        k += (size_t)snprintf(s + k, sizeof s - k, "%s%s", i ? " " : "", pc_proto_name(d->l[i].proto));
    return s;
}

static void expect_chain(const struct pc_decoded *d, const char *want)
{
    cr_assert_str_eq(chain(d), want, "layers \"%s\", want \"%s\"", chain(d), want);
}

/* Layer i described as text or JSON members (four rotating buffers). */
static const char *describe(const struct pc_decoded *d, int i, bool json)
{
    static char buf[4][1024];
    static unsigned k;
    char *b = buf[k++ & 3];
    struct pc_fmt f;
    pc_fmt_init(&f, b, 1024, json);
    pc_describe_layer(d, i, &f);
    return b;
}

static void expect_text(const struct pc_decoded *d, int i, const char *want)
{
    const char *got = describe(d, i, false);
    cr_assert_str_eq(got, want, "layer %d text \"%s\", want \"%s\"", i, got, want);
}

static void expect_json(const struct pc_decoded *d, int i, const char *want)
{
    const char *got = describe(d, i, true);
    cr_assert_str_eq(got, want, "layer %d json\n got %s\nwant %s", i, got, want);
}

static void expect_layer(const struct pc_decoded *d, int i, uint8_t proto, uint32_t off, uint32_t hlen, uint32_t plen)
{
    const struct pc_layer *l = &d->l[i];
    cr_assert_eq(l->proto, proto, "layer %d proto %s", i, pc_proto_name(l->proto));
    cr_assert_eq(l->off, off, "layer %d off %u, want %u", i, l->off, off);
    cr_assert_eq(l->hlen, hlen, "layer %d hlen %u, want %u", i, l->hlen, hlen);
    cr_assert_eq(l->plen, plen, "layer %d plen %u, want %u", i, l->plen, plen);
}

Test(link, known_dot1q)
{
    uint8_t b[BUFCAP];
    size_t n = load(DOT1Q_HEX, b);
    struct pc_decoded d;
    cr_assert_eq(decode(&d, b, n, PC_LINK_ETHERNET), 0);
    expect_chain(&d, "eth vlan ipv4 udp payload");
    expect_layer(&d, 1, PC_P_VLAN, 14, 4, (uint32_t)n - 18);
    expect_layer(&d, 2, PC_P_IPV4, 18, 20, 10);
    cr_assert_eq(d.l2, 0);
    cr_assert_eq(d.l3, 2);
    cr_assert_eq(d.l4, 3);
    const uint8_t *h = pc_layer_hdr(&d, 1);
    cr_assert_eq(pc_vlan_tci(h), 0x6064);
    cr_assert_eq(pc_vlan_pcp(h), 3);
    cr_assert_eq(pc_vlan_dei(h), 0);
    cr_assert_eq(pc_vlan_vid(h), 100);
    cr_assert_eq(pc_vlan_type(h), PC_ETHERTYPE_IPV4);
    cr_assert_eq(d.l[2].csum, PC_CSUM_GOOD);
    cr_assert_eq(d.l[3].csum, PC_CSUM_GOOD);
    for (int i = 0; i < d.n; i++) cr_assert_eq(d.l[i].flags, 0, "layer %d flags 0x%x", i, d.l[i].flags);
    expect_text(&d, 1, "vlan 100, p 3");
    expect_json(&d, 1, "\"pcp\":3,\"dei\":false,\"vid\":100,\"tpid\":33024,\"ethertype\":2048");
    expect_text(&d, 0, "02:00:00:00:00:01 > 02:00:00:00:00:02, ethertype 0x8100");
}

Test(link, known_dot1q_every_tci_bit)
{
    uint8_t b[BUFCAP];
    size_t n = load(DOT1Q_DEI_HEX, b);
    struct pc_decoded d;
    cr_assert_eq(decode(&d, b, n, PC_LINK_ETHERNET), 0);
    expect_chain(&d, "eth vlan ipv4 udp");
    const uint8_t *h = pc_layer_hdr(&d, 1);
    cr_assert_eq(pc_vlan_pcp(h), 7);
    cr_assert_eq(pc_vlan_dei(h), 1);
    cr_assert_eq(pc_vlan_vid(h), 4095);
    expect_text(&d, 1, "vlan 4095, p 7, DEI");
    expect_json(&d, 1, "\"pcp\":7,\"dei\":true,\"vid\":4095,\"tpid\":33024,\"ethertype\":2048");
}

Test(link, known_qinq_with_each_outer_tpid)
{
    uint8_t b[BUFCAP];
    size_t n = load(QINQ_HEX, b);
    struct pc_decoded d;
    /* 0x88A8 as sent by scapy's Dot1AD, then the legacy 0x9100 and a
     * plain double 0x8100 stack (bytes 12-13 changed by hand). */
    static const struct { uint8_t hi, lo; const char *json; } outer[] = {
        { 0x88, 0xA8, "\"pcp\":1,\"dei\":false,\"vid\":10,\"tpid\":34984,\"ethertype\":33024" },
        { 0x91, 0x00, "\"pcp\":1,\"dei\":false,\"vid\":10,\"tpid\":37120,\"ethertype\":33024" },
        { 0x81, 0x00, "\"pcp\":1,\"dei\":false,\"vid\":10,\"tpid\":33024,\"ethertype\":33024" },
    };
    for (size_t k = 0; k < 3; k++) {
        b[12] = outer[k].hi;
        b[13] = outer[k].lo;
        cr_assert_eq(decode(&d, b, n, PC_LINK_ETHERNET), 0);
        expect_chain(&d, "eth vlan vlan ipv4 udp payload");
        expect_layer(&d, 1, PC_P_VLAN, 14, 4, (uint32_t)n - 18);
        expect_layer(&d, 2, PC_P_VLAN, 18, 4, (uint32_t)n - 22);
        expect_layer(&d, 3, PC_P_IPV4, 22, 20, 11);
        expect_text(&d, 1, "vlan 10, p 1");
        expect_json(&d, 1, outer[k].json);
        expect_text(&d, 2, "vlan 20, p 5, DEI");
        expect_json(&d, 2, "\"pcp\":5,\"dei\":true,\"vid\":20,\"tpid\":33024,\"ethertype\":2048");
        cr_assert_eq(d.l[3].csum, PC_CSUM_GOOD);
        cr_assert_eq(d.l[4].csum, PC_CSUM_GOOD);
        cr_assert_eq(d.l[5].plen, 3);
    }
}

Test(link, known_vlan_with_8023_length_and_llc)
{
    uint8_t b[BUFCAP];
    size_t n = load(VLAN_LLC_HEX, b);
    struct pc_decoded d;
    cr_assert_eq(decode(&d, b, n, PC_LINK_ETHERNET), 0);
    /* The 9 LLC bytes are the tag's payload; the 33 after them pad the
     * frame to 60 and belong to the link. */
    expect_chain(&d, "eth vlan payload");
    expect_layer(&d, 1, PC_P_VLAN, 14, 4, 9);
    expect_layer(&d, 2, PC_P_PAYLOAD, 18, 0, 9);
    cr_assert(d.l[1].flags & PC_LF_TRAILER);
    cr_assert(d.l[0].flags & PC_LF_TRAILER);
    expect_json(&d, 1, "\"pcp\":0,\"dei\":false,\"vid\":5,\"tpid\":33024,\"ethertype\":9");
    /* A zero length: nothing follows the tag but padding. */
    b[16] = b[17] = 0;
    cr_assert_eq(decode(&d, b, n, PC_LINK_ETHERNET), 0);
    expect_chain(&d, "eth vlan");
    cr_assert_eq(d.l[1].plen, 0);
    cr_assert(d.l[0].flags & PC_LF_TRAILER);
    /* The largest length that fits exactly: no trailer. */
    pc_put16(b + 16, (uint16_t)(n - 18));
    cr_assert_eq(decode(&d, b, n, PC_LINK_ETHERNET), 0);
    expect_chain(&d, "eth vlan payload");
    cr_assert_eq(d.l[2].plen, n - 18);
    cr_assert_eq(d.l[0].flags & PC_LF_TRAILER, 0);
    cr_assert_eq(d.l[1].flags & PC_LF_TRAILER, 0);
}

Test(link, known_arp_request_reply_gratuitous)
{
    uint8_t b[BUFCAP];
    struct pc_decoded d;
    size_t n = load(ARP_REQ_HEX, b);
    cr_assert_eq(n, 60);
    cr_assert_eq(decode(&d, b, n, PC_LINK_ETHERNET), 0);
    expect_chain(&d, "eth arp");
    expect_layer(&d, 1, PC_P_ARP, 14, 28, 0);
    cr_assert(d.l[0].flags & PC_LF_TRAILER, "the 18 padding bytes are the link's");
    const uint8_t *h = pc_layer_hdr(&d, 1);
    cr_assert_eq(pc_arp_htype(h), 1);
    cr_assert_eq(pc_arp_ptype(h), 0x0800);
    cr_assert_eq(pc_arp_hlen(h), 6);
    cr_assert_eq(pc_arp_plen(h), 4);
    cr_assert_eq(pc_arp_op(h), PC_ARP_REQUEST);
    cr_assert_eq(pc_arp_len(h), 28);
    cr_assert(!memcmp(pc_arp_sha(h), MAC1, 6));
    cr_assert(!memcmp(pc_arp_spa(h), IP1, 4));
    cr_assert(!memcmp(pc_arp_tpa(h), IP2, 4));
    expect_text(&d, 1, "ARP, Request who-has 10.0.0.2 tell 10.0.0.1");
    expect_json(&d, 1,
                "\"op\":1,\"htype\":1,\"ptype\":2048,\"hlen\":6,\"plen\":4,\"sha\":\"02:00:00:00:00:01\","
                "\"spa\":\"10.0.0.1\",\"tha\":\"00:00:00:00:00:00\",\"tpa\":\"10.0.0.2\"");
    /* A request that already names the target's MAC (a unicast probe). */
    memcpy(b + 14 + 18, MAC2, 6);
    cr_assert_eq(decode(&d, b, n, PC_LINK_ETHERNET), 0);
    expect_text(&d, 1, "ARP, Request who-has 10.0.0.2 (02:00:00:00:00:02) tell 10.0.0.1");

    n = load(ARP_REP_HEX, b);
    cr_assert_eq(decode(&d, b, n, PC_LINK_ETHERNET), 0);
    expect_chain(&d, "eth arp");
    cr_assert_eq(d.l[0].flags, 0, "an unpadded reply has no trailer");
    expect_text(&d, 1, "ARP, Reply 10.0.0.2 is-at 02:00:00:00:00:02");
    expect_json(&d, 1,
                "\"op\":2,\"htype\":1,\"ptype\":2048,\"hlen\":6,\"plen\":4,\"sha\":\"02:00:00:00:00:02\","
                "\"spa\":\"10.0.0.2\",\"tha\":\"02:00:00:00:00:01\",\"tpa\":\"10.0.0.1\"");
    /* The other operations tcpdump names (bytes 20-21 changed by hand). */
    static const struct { uint16_t op; const char *text; } ops[] = {
        { 3, "RARP, Request who-is 02:00:00:00:00:01 tell 02:00:00:00:00:02" },
        { 4, "RARP, Reply 02:00:00:00:00:01 at 10.0.0.1" },
        { 8, "InARP, Request who-is 02:00:00:00:00:01 tell 02:00:00:00:00:02" },
        { 9, "InARP, Reply 02:00:00:00:00:02 at 10.0.0.2" },
        { 0x1234, "ARP, op 4660, 10.0.0.2 > 10.0.0.1" },
    };
    for (size_t k = 0; k < sizeof ops / sizeof ops[0]; k++) {
        pc_put16(b + 20, ops[k].op);
        cr_assert_eq(decode(&d, b, n, PC_LINK_ETHERNET), 0);
        expect_text(&d, 1, ops[k].text);
    }

    n = load(ARP_GRAT_HEX, b);
    cr_assert_eq(decode(&d, b, n, PC_LINK_ETHERNET), 0);
    expect_text(&d, 1, "ARP, Request who-has 10.0.0.1 tell 10.0.0.1");
}

Test(link, known_arp_in_vlan_padding_goes_to_the_link)
{
    uint8_t b[BUFCAP];
    size_t n = load(VLAN_ARP_HEX, b);
    struct pc_decoded d;
    cr_assert_eq(decode(&d, b, n, PC_LINK_ETHERNET), 0);
    expect_chain(&d, "eth vlan arp");
    expect_layer(&d, 2, PC_P_ARP, 18, 28, 0);
    cr_assert(d.l[1].flags & PC_LF_TRAILER);
    cr_assert(d.l[0].flags & PC_LF_TRAILER);
    cr_assert_eq(d.l[2].flags, 0);
    expect_text(&d, 1, "vlan 7, p 0");
    expect_json(&d, 1, "\"pcp\":0,\"dei\":false,\"vid\":7,\"tpid\":33024,\"ethertype\":2054");
}

/* Addresses of other sizes: decoded generically, shown as hex. */
Test(link, known_arp_other_address_sizes)
{
    uint8_t b[BUFCAP];
    /* Hand-made: Ethernet, then ARP with htype 6 (IEEE 802), ptype 0x86DD,
     * hlen 8, plen 16: 8 + 2 * 24 = 56 bytes. */
    size_t n = load("020000000002020000000001" "0806" "0006" "86dd" "08" "10" "0001", b);
    for (size_t k = 0; k < 48; k++) b[n + k] = (uint8_t)k;
    n += 48;
    struct pc_decoded d;
    cr_assert_eq(decode(&d, b, n, PC_LINK_ETHERNET), 0);
    expect_chain(&d, "eth arp");
    expect_layer(&d, 1, PC_P_ARP, 14, 56, 0);
    cr_assert_eq(d.l[0].flags, 0);
    const uint8_t *h = pc_layer_hdr(&d, 1);
    cr_assert_eq(pc_arp_spa(h) - h, 16);
    cr_assert_eq(pc_arp_tha(h) - h, 32);
    cr_assert_eq(pc_arp_tpa(h) - h, 40);
    expect_json(&d, 1,
                "\"op\":1,\"htype\":6,\"ptype\":34525,\"hlen\":8,\"plen\":16,"
                "\"sha\":\"00:01:02:03:04:05:06:07\",\"spa\":\"08:09:0a:0b:0c:0d:0e:0f:10:11:12:13:14:15:16:17\","
                "\"tha\":\"18:19:1a:1b:1c:1d:1e:1f\",\"tpa\":\"20:21:22:23:24:25:26:27:28:29:2a:2b:2c:2d:2e:2f\"");
    expect_text(&d, 1, "ARP, Request who-has 20:21:22:23:24:25:26:27:28:29:2a:2b:2c:2d:2e:2f (18:19:1a:1b:1c:1d:1e:1f) "
                       "tell 08:09:0a:0b:0c:0d:0e:0f:10:11:12:13:14:15:16:17");
}

Test(link, known_sll_and_sll2)
{
    uint8_t b[BUFCAP];
    struct pc_decoded d;
    size_t n = load(SLL_HEX, b);
    cr_assert_eq(decode(&d, b, n, PC_LINK_SLL), 0);
    expect_chain(&d, "sll ipv4 udp payload");
    expect_layer(&d, 0, PC_P_SLL, 0, 16, (uint32_t)n - 16);
    cr_assert_eq(d.l2, 0);
    cr_assert_eq(d.l3, 1);
    cr_assert_eq(d.l[1].csum, PC_CSUM_GOOD);
    cr_assert_eq(d.l[2].csum, PC_CSUM_GOOD);
    const uint8_t *h = b;
    cr_assert_eq(pc_sll_pkttype(h), PC_SLL_OUTGOING);
    cr_assert_eq(pc_sll_hatype(h), PC_ARPHRD_ETHER);
    cr_assert_eq(pc_sll_halen(h), 6);
    cr_assert(!memcmp(pc_sll_addr(h), MAC1, 6));
    cr_assert_eq(pc_sll_protocol(h), 0x0800);
    expect_text(&d, 0, "Out");
    expect_json(&d, 0, "\"pkttype\":4,\"hatype\":1,\"halen\":6,\"addr\":\"02:00:00:00:00:01\",\"protocol\":2048");
    /* tcpdump's words for the other packet types, a number past them. */
    static const char *const words[] = { "In", "B", "M", "P", "Out", "pkttype 5" };
    for (unsigned t = 0; t < 6; t++) {
        pc_put16(b, (uint16_t)t);
        cr_assert_eq(decode(&d, b, n, PC_LINK_SLL), 0);
        expect_text(&d, 0, words[t]);
    }
    cr_assert_null(pc_sll_pkttype_name(5));
    cr_assert_null(pc_sll_pkttype_name(0xFFFF));

    n = load(SLL2_HEX, b);
    cr_assert_eq(decode(&d, b, n, PC_LINK_SLL2), 0);
    expect_chain(&d, "sll2 ipv6 udp payload");
    expect_layer(&d, 0, PC_P_SLL2, 0, 20, (uint32_t)n - 20);
    expect_layer(&d, 1, PC_P_IPV6, 20, 40, 9);
    cr_assert_eq(d.l[2].csum, PC_CSUM_GOOD);
    cr_assert_eq(pc_sll2_protocol(b), 0x86DD);
    cr_assert_eq(pc_sll2_reserved(b), 0);
    cr_assert_eq(pc_sll2_ifindex(b), 2);
    cr_assert_eq(pc_sll2_hatype(b), 1);
    cr_assert_eq(pc_sll2_pkttype(b), 0);
    cr_assert_eq(pc_sll2_halen(b), 6);
    cr_assert(!memcmp(pc_sll2_addr(b), MAC2, 6));
    expect_text(&d, 0, "ifindex 2 In");
    expect_json(&d, 0,
                "\"protocol\":34525,\"ifindex\":2,\"hatype\":1,\"pkttype\":0,\"halen\":6,\"addr\":\"02:00:00:00:00:02\"");

    n = load(SLL2_ARP_HEX, b);
    cr_assert_eq(decode(&d, b, n, PC_LINK_SLL2), 0);
    expect_chain(&d, "sll2 arp");
    cr_assert_eq(d.l[0].flags, 0);
    expect_text(&d, 0, "ifindex 3 B");
    expect_text(&d, 1, "ARP, Request who-has 10.0.0.2 tell 10.0.0.1");
}

/* Protocol values that are not EtherTypes, tags and trailers after a
 * cooked header, and addresses longer than the 8-byte field. */
Test(link, sll_pseudo_protocols_tags_and_trailers)
{
    uint8_t b[BUFCAP];
    struct pc_decoded d;
    size_t n = load(SLL_HEX, b);
    /* 0x0004: 802.2 LLC follows (Linux ETH_P_802_2), not decoded. */
    pc_put16(b + 14, PC_SLL_P_802_2);
    cr_assert_eq(decode(&d, b, n, PC_LINK_SLL), 0);
    expect_chain(&d, "sll payload");
    cr_assert_eq(d.l[1].plen, n - 16);
    pc_put16(b + 14, PC_SLL_P_CAN);
    cr_assert_eq(decode(&d, b, n, PC_LINK_SLL), 0);
    expect_chain(&d, "sll payload");
    /* Netlink: the protocol is a netlink family, even when it is 0x0800. */
    pc_put16(b + 14, 0x0800);
    pc_put16(b + 2, PC_ARPHRD_NETLINK);
    cr_assert_eq(decode(&d, b, n, PC_LINK_SLL), 0);
    expect_chain(&d, "sll payload");
    /* InfiniBand reports 20 address bytes of which libpcap keeps 8: normal. */
    pc_put16(b + 2, 32);
    pc_put16(b + 4, 20);
    cr_assert_eq(decode(&d, b, n, PC_LINK_SLL), 0);
    expect_chain(&d, "sll ipv4 udp payload");
    expect_json(&d, 0, "\"pkttype\":4,\"hatype\":32,\"halen\":20,\"addr\":\"02:00:00:00:00:01:00:00\",\"protocol\":2048");

    /* SLL / 802.1Q tag 42 / IPv4 (hand-made from the SLL frame). */
    n = load(SLL_HEX, b);
    memmove(b + 20, b + 16, n - 16);
    pc_put16(b + 14, 0x8100);
    pc_put16(b + 16, (uint16_t)((2 << 13) | 42));
    pc_put16(b + 18, 0x0800);
    n += 4;
    cr_assert_eq(decode(&d, b, n, PC_LINK_SLL), 0);
    expect_chain(&d, "sll vlan ipv4 udp payload");
    expect_json(&d, 1, "\"pcp\":2,\"dei\":false,\"vid\":42,\"tpid\":33024,\"ethertype\":2048");
    /* Four bytes past the IPv4 datagram: the tag and the cooked header
     * both carry the trailer. */
    memset(b + n, 0xEE, 4);
    cr_assert_eq(decode(&d, b, n + 4, PC_LINK_SLL), 0);
    cr_assert(d.l[1].flags & PC_LF_TRAILER);
    cr_assert(d.l[0].flags & PC_LF_TRAILER);
    cr_assert_eq(d.l[2].plen, 9);

    /* SLL2 with a tag: the TPID is the first field of the header. */
    n = load(SLL2_HEX, b);
    memmove(b + 24, b + 20, n - 20);
    pc_put16(b, 0x88A8);
    pc_put16(b + 20, 4095);
    pc_put16(b + 22, 0x86DD);
    n += 4;
    cr_assert_eq(decode(&d, b, n, PC_LINK_SLL2), 0);
    expect_chain(&d, "sll2 vlan ipv6 udp payload");
    expect_json(&d, 1, "\"pcp\":0,\"dei\":false,\"vid\":4095,\"tpid\":34984,\"ethertype\":34525");
}

/* NULL / LOOP: every family value of IPv4 and IPv6, in both byte orders
 * for NULL (the capturing host's), network order for LOOP.  scapy only
 * writes little-endian NULL; the other headers are hand-made. */
Test(link, known_null_and_loop_families)
{
    uint8_t b[BUFCAP], ip4[128], ip6[128];
    struct pc_decoded d;
    size_t n4 = load(IPV4_UDP_HEX, ip4), n6 = load(IPV6_UDP_HEX, ip6);
    size_t n = load(NULL_LE_IPV4_HEX, b);
    cr_assert_eq(decode(&d, b, n, PC_LINK_NULL), 0);
    expect_chain(&d, "null ipv4 udp payload");
    expect_layer(&d, 0, PC_P_NULL, 0, 4, (uint32_t)n - 4);
    cr_assert_eq(d.l2, 0);
    expect_text(&d, 0, "AF IPv4 (2)");
    expect_json(&d, 0, "\"family\":2");
    static const struct { int lt; int big; uint32_t fam; const char *chain, *text; } cases[] = {
        { PC_LINK_NULL, 0, 2, "null ipv4 udp payload", "AF IPv4 (2)" },
        { PC_LINK_NULL, 1, 2, "null ipv4 udp payload", "AF IPv4 (2)" },
        { PC_LINK_LOOP, 1, 2, "null ipv4 udp payload", "AF IPv4 (2)" },
        { PC_LINK_NULL, 0, 10, "null ipv6 udp payload", "AF IPv6 (10)" },
        { PC_LINK_NULL, 1, 10, "null ipv6 udp payload", "AF IPv6 (10)" },
        { PC_LINK_NULL, 0, 24, "null ipv6 udp payload", "AF IPv6 (24)" },
        { PC_LINK_NULL, 1, 24, "null ipv6 udp payload", "AF IPv6 (24)" },
        { PC_LINK_NULL, 0, 28, "null ipv6 udp payload", "AF IPv6 (28)" },
        { PC_LINK_NULL, 1, 28, "null ipv6 udp payload", "AF IPv6 (28)" },
        { PC_LINK_NULL, 0, 30, "null ipv6 udp payload", "AF IPv6 (30)" },
        { PC_LINK_NULL, 1, 30, "null ipv6 udp payload", "AF IPv6 (30)" },
        { PC_LINK_LOOP, 1, 24, "null ipv6 udp payload", "AF IPv6 (24)" },
        { PC_LINK_LOOP, 1, 30, "null ipv6 udp payload", "AF IPv6 (30)" },
        /* LOOP is always big endian: a little-endian 2 is not IPv4 there. */
        { PC_LINK_LOOP, 0, 2, "null payload", "AF 33554432" },
        /* Unknown families: undecoded, the smaller reading shown. */
        { PC_LINK_NULL, 0, 7, "null payload", "AF 7" },
        { PC_LINK_NULL, 1, 7, "null payload", "AF 7" },
        { PC_LINK_LOOP, 1, 7, "null payload", "AF 7" },
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        int v6 = cases[k].fam != 2;
        if (cases[k].big) pc_put32(b, cases[k].fam);
        else pc_put32le(b, cases[k].fam);
        memcpy(b + 4, v6 ? ip6 : ip4, v6 ? n6 : n4);
        n = 4 + (v6 ? n6 : n4);
        cr_assert_eq(decode(&d, b, n, cases[k].lt), 0, "case %zu", k);
        expect_chain(&d, cases[k].chain);
        expect_text(&d, 0, cases[k].text);
        if (d.n > 2) cr_assert_eq(d.l[2].csum, PC_CSUM_GOOD, "case %zu", k);
        uint32_t fam = cases[k].big || cases[k].lt == PC_LINK_NULL ? cases[k].fam : 0x02000000u;
        cr_assert_eq(pc_null_family(b, cases[k].lt), fam, "case %zu", k);
    }
    cr_assert_eq(pc_null_family_ipver(2), 4);
    cr_assert_eq(pc_null_family_ipver(30), 6);
    cr_assert_eq(pc_null_family_ipver(0), 0);
    cr_assert_eq(pc_null_family_ipver(23), 0);
}

/* ================================================================ builds */

static void push_ip_udp(struct pc_pkt *pk, uint16_t id, uint16_t sport, uint16_t dport, const char *pl)
{
    struct pc_ipv4 ip = { .id = id, .ttl = 64 };
    memcpy(ip.src, IP1, 4);
    memcpy(ip.dst, IP2, 4);
    pc_push_ipv4(pk, &ip);
    pc_push_udp(pk, &(struct pc_udp){ .sport = sport, .dport = dport });
    if (pl) pc_push_payload(pk, pl, strlen(pl));
}

Test(link, build_vlan_tags_match_scapy)
{
    uint8_t buf[256];
    struct pc_pkt pk;
    pc_pkt_init(&pk, th_poison(buf, sizeof buf), sizeof buf);
    th_push_eth(&pk, MAC2, MAC1, 0);
    cr_assert_eq(pc_push_vlan(&pk, &(struct pc_vlan){ .vid = 100, .pcp = 3 }), 0);
    push_ip_udp(&pk, 1, 1234, 5678, "hi");
    th_expect_hex(buf, pc_pkt_finalize(&pk), DOT1Q_HEX);

    pc_pkt_init(&pk, th_poison(buf, sizeof buf), sizeof buf);
    th_push_eth(&pk, MAC2, MAC1, 0);
    pc_push_vlan(&pk, &(struct pc_vlan){ .vid = 4095, .pcp = 7, .dei = 1 });
    push_ip_udp(&pk, 2, 1, 2, NULL);
    th_expect_hex(buf, pc_pkt_finalize(&pk), DOT1Q_DEI_HEX);

    /* QinQ: the outer tag's TPID goes into the Ethernet type, the inner
     * tag's (0x8100 by default) into the outer tag's type. */
    pc_pkt_init(&pk, th_poison(buf, sizeof buf), sizeof buf);
    th_push_eth(&pk, MAC2, MAC1, 0);
    pc_push_vlan(&pk, &(struct pc_vlan){ .vid = 10, .pcp = 1, .tpid = PC_TPID_8021AD });
    pc_push_vlan(&pk, &(struct pc_vlan){ .vid = 20, .pcp = 5, .dei = 1 });
    push_ip_udp(&pk, 3, 1234, 5678, "abc");
    th_expect_hex(buf, pc_pkt_finalize(&pk), QINQ_HEX);

    /* An 802.3 length pinned in the tag before raw LLC bytes, padded to 60. */
    pc_pkt_init(&pk, th_poison(buf, sizeof buf), sizeof buf);
    th_push_eth(&pk, MAC2, MAC1, 1);
    pc_push_vlan(&pk, &(struct pc_vlan){ .vid = 5, .type = PC_PIN(9) });
    pc_push_payload(&pk, "\x42\x42\x03" "abcdef", 9);
    th_expect_hex(buf, pc_pkt_finalize(&pk), VLAN_LLC_HEX);
}

Test(link, build_arp_recipes_match_scapy)
{
    uint8_t buf[256];
    struct pc_pkt pk;
    pc_pkt_init(&pk, th_poison(buf, sizeof buf), sizeof buf);
    th_push_eth(&pk, BCAST, MAC1, 1);
    struct pc_arp a = pc_arp_request(MAC1, IP1, IP2);
    cr_assert_eq(pc_push_arp(&pk, &a), 0);
    th_expect_hex(buf, pc_pkt_finalize(&pk), ARP_REQ_HEX);

    pc_pkt_init(&pk, th_poison(buf, sizeof buf), sizeof buf);
    th_push_eth(&pk, MAC1, MAC2, 0);
    a = pc_arp_reply(MAC2, IP2, MAC1, IP1);
    pc_push_arp(&pk, &a);
    th_expect_hex(buf, pc_pkt_finalize(&pk), ARP_REP_HEX);

    pc_pkt_init(&pk, th_poison(buf, sizeof buf), sizeof buf);
    th_push_eth(&pk, BCAST, MAC1, 0);
    a = pc_arp_gratuitous(MAC1, IP1);
    pc_push_arp(&pk, &a);
    th_expect_hex(buf, pc_pkt_finalize(&pk), ARP_GRAT_HEX);

    /* The same request in a tag: the tag's type is inferred as 0x0806 and
     * the padding still makes 60 bytes. */
    pc_pkt_init(&pk, th_poison(buf, sizeof buf), sizeof buf);
    th_push_eth(&pk, BCAST, MAC1, 1);
    pc_push_vlan(&pk, &(struct pc_vlan){ .vid = 7 });
    a = pc_arp_request(MAC1, IP1, IP2);
    pc_push_arp(&pk, &a);
    th_expect_hex(buf, pc_pkt_finalize(&pk), VLAN_ARP_HEX);

    /* The spec struct written out by hand gives the same bytes. */
    pc_pkt_init(&pk, th_poison(buf, sizeof buf), sizeof buf);
    th_push_eth(&pk, MAC1, MAC2, 0);
    pc_push_arp(&pk, &(struct pc_arp){ .op = PC_ARP_REPLY, .sha = { 2, 0, 0, 0, 0, 2 }, .spa = { 10, 0, 0, 2 },
                                       .tha = { 2, 0, 0, 0, 0, 1 }, .tpa = { 10, 0, 0, 1 } });
    th_expect_hex(buf, pc_pkt_finalize(&pk), ARP_REP_HEX);
}

Test(link, build_pinned_and_corrupt_fields)
{
    uint8_t buf[256];
    struct pc_pkt pk;
    struct pc_decoded d;
    /* vlan.type CORRUPT: the next EtherType plus one; PIN 0 written as 0. */
    pc_pkt_init(&pk, buf, sizeof buf);
    th_push_eth(&pk, MAC2, MAC1, 0);
    pc_push_vlan(&pk, &(struct pc_vlan){ .vid = 100, .pcp = 3, .type = PC_CORRUPT });
    push_ip_udp(&pk, 1, 1234, 5678, "hi");
    int n = pc_pkt_finalize(&pk);
    cr_assert_eq(pc_get16(buf + 16), 0x0801);
    cr_assert_eq(decode(&d, buf, (size_t)n, PC_LINK_ETHERNET), 0);
    expect_chain(&d, "eth vlan payload");
    cr_assert_eq(d.l[2].plen, (uint32_t)n - 18);
    pc_pkt_init(&pk, buf, sizeof buf);
    th_push_eth(&pk, MAC2, MAC1, 0);
    pc_push_vlan(&pk, &(struct pc_vlan){ .vid = 100, .type = PC_PIN(0) });
    push_ip_udp(&pk, 1, 1234, 5678, "hi");
    cr_assert_gt(pc_pkt_finalize(&pk), 0);
    cr_assert_eq(pc_get16(buf + 16), 0);
    /* An outer tag's corrupt type is the inner TPID plus one. */
    pc_pkt_init(&pk, buf, sizeof buf);
    th_push_eth(&pk, MAC2, MAC1, 0);
    pc_push_vlan(&pk, &(struct pc_vlan){ .vid = 10, .tpid = PC_TPID_QINQ, .type = PC_CORRUPT });
    pc_push_vlan(&pk, &(struct pc_vlan){ .vid = 20, .tpid = PC_TPID_8021AD });
    push_ip_udp(&pk, 1, 1234, 5678, NULL);
    cr_assert_gt(pc_pkt_finalize(&pk), 0);
    cr_assert_eq(pc_get16(buf + 12), 0x9100);
    cr_assert_eq(pc_get16(buf + 16), 0x88A9);
    cr_assert_eq(pc_get16(buf + 20), 0x0800);

    /* ARP: every size and type field pinned (0 included) or corrupt; the
     * 28-byte layout never moves. */
    pc_pkt_init(&pk, buf, sizeof buf);
    th_push_eth(&pk, BCAST, MAC1, 0);
    struct pc_arp a = pc_arp_request(MAC1, IP1, IP2);
    a.htype = PC_PIN(0);
    a.ptype = PC_PIN(0);
    a.hlen = PC_PIN(0);
    a.plen = PC_PIN(0);
    pc_push_arp(&pk, &a);
    cr_assert_eq(pc_pkt_finalize(&pk), 42);
    cr_assert(!memcmp(buf + 14, "\0\0\0\0\0\0\0\1", 8));
    cr_assert(!memcmp(buf + 14 + 8, MAC1, 6));
    cr_assert(!memcmp(buf + 14 + 24, IP2, 4));
    pc_pkt_init(&pk, buf, sizeof buf);
    th_push_eth(&pk, BCAST, MAC1, 0);
    a.htype = a.ptype = a.hlen = a.plen = PC_CORRUPT;
    pc_push_arp(&pk, &a);
    cr_assert_eq(pc_pkt_finalize(&pk), 42);
    cr_assert(!memcmp(buf + 14, "\x00\x02\x08\x01\x07\x05\x00\x01", 8));
    pc_pkt_init(&pk, buf, sizeof buf);
    th_push_eth(&pk, BCAST, MAC1, 0);
    a.htype = PC_PIN(0xFFFF);
    a.ptype = PC_PIN(0x86DD);
    a.hlen = PC_PIN(255);
    a.plen = PC_PIN(16);
    pc_push_arp(&pk, &a);
    cr_assert_eq(pc_pkt_finalize(&pk), 42);
    cr_assert(!memcmp(buf + 14, "\xff\xff\x86\xdd\xff\x10\x00\x01", 8));
    /* ... and the decoder sees the lie: the addresses run past the frame. */
    cr_assert_eq(decode(&d, buf, 42, PC_LINK_ETHERNET), PC_EMALFORMED);
    cr_assert_str_eq(d.l[1].why, "arp addresses run past the frame");
}

Test(link, build_rejects_bad_specs)
{
    uint8_t buf[256];
    struct pc_pkt pk;
    /* Fields that do not fit their bits: EINVAL, sticky, nothing written. */
    static const struct pc_vlan bad[] = { { .pcp = 8 }, { .dei = 2 }, { .vid = 4096 }, { .vid = 0xFFFF } };
    for (size_t k = 0; k < 4; k++) {
        pc_pkt_init(&pk, buf, sizeof buf);
        th_push_eth(&pk, MAC2, MAC1, 0);
        cr_assert_eq(pc_push_vlan(&pk, &bad[k]), PC_EINVAL, "spec %zu", k);
        cr_assert_eq(pk.n, 1);
        cr_assert_eq(pk.len, 14);
        cr_assert_eq(pc_push_arp(&pk, &(struct pc_arp){ .op = 1 }), PC_EINVAL, "errors are sticky");
        cr_assert_eq(pc_pkt_finalize(&pk), PC_EINVAL);
    }
    /* A tag with nothing after it has no type to infer, unless pinned. */
    pc_pkt_init(&pk, buf, sizeof buf);
    th_push_eth(&pk, MAC2, MAC1, 0);
    pc_push_vlan(&pk, &(struct pc_vlan){ .vid = 1 });
    cr_assert_eq(pc_pkt_finalize(&pk), PC_EINVAL);
    pc_pkt_init(&pk, buf, sizeof buf);
    th_push_eth(&pk, MAC2, MAC1, 0);
    pc_push_vlan(&pk, &(struct pc_vlan){ .vid = 1 });
    pc_push_payload(&pk, "x", 1);
    cr_assert_eq(pc_pkt_finalize(&pk), PC_EINVAL, "raw bytes have no EtherType either");
    pc_pkt_init(&pk, buf, sizeof buf);
    th_push_eth(&pk, MAC2, MAC1, 0);
    pc_push_vlan(&pk, &(struct pc_vlan){ .vid = 1, .type = PC_PIN(ET_EXPERIMENTAL) });
    cr_assert_eq(pc_pkt_finalize(&pk), 18);
    cr_assert_eq(pc_get16(buf + 16), ET_EXPERIMENTAL);
    /* Out of room: ENOSPC, and the packet keeps what fitted. */
    pc_pkt_init(&pk, buf, 17);
    th_push_eth(&pk, MAC2, MAC1, 0);
    cr_assert_eq(pc_push_vlan(&pk, &(struct pc_vlan){ .vid = 1 }), PC_ENOSPC);
    cr_assert_eq(pk.len, 14);
    pc_pkt_init(&pk, buf, 14 + 27);
    th_push_eth(&pk, MAC2, MAC1, 0);
    cr_assert_eq(pc_push_arp(&pk, &(struct pc_arp){ .op = 1 }), PC_ENOSPC);
    cr_assert_eq(pc_pkt_finalize(&pk), PC_ENOSPC);
    /* Padding needs room too. */
    pc_pkt_init(&pk, buf, 59);
    th_push_eth(&pk, BCAST, MAC1, 1);
    struct pc_arp a = pc_arp_request(MAC1, IP1, IP2);
    pc_push_arp(&pk, &a);
    cr_assert_eq(pc_pkt_finalize(&pk), PC_ENOSPC);
    /* The layer cap: Ethernet and 15 tags fit, a 16th tag does not. */
    pc_pkt_init(&pk, buf, sizeof buf);
    th_push_eth(&pk, MAC2, MAC1, 0);
    for (int k = 0; k < PC_MAX_LAYERS - 1; k++) {
        struct pc_vlan v = { .vid = (uint16_t)k };
        if (k == PC_MAX_LAYERS - 2) v.type = PC_PIN(ET_EXPERIMENTAL); /* the last tag has nothing to infer from */
        cr_assert_eq(pc_push_vlan(&pk, &v), 0, "tag %d", k);
    }
    cr_assert_eq(pc_pkt_finalize(&pk), 14 + 4 * (PC_MAX_LAYERS - 1));
    cr_assert_eq(pc_push_vlan(&pk, &(struct pc_vlan){ .vid = 1 }), PC_ELIMIT);
}

/* A decoder that meets more tags than layers stops at the cap, keeps
 * what it decoded and says why. */
Test(link, decode_many_tags_stops_at_the_layer_cap)
{
    uint8_t b[BUFCAP];
    size_t n = load(DOT1Q_HEX, b);
    size_t extra = 40;
    memmove(b + 18 + 4 * extra, b + 18, n - 18);
    for (size_t k = 0; k < extra; k++) {
        pc_put16(b + 16 + 4 * k, 0x8100);
        pc_put16(b + 18 + 4 * k, (uint16_t)k);
    }
    pc_put16(b + 16 + 4 * extra, 0x0800);
    n += 4 * extra;
    struct pc_decoded d;
    cr_assert_eq(decode(&d, b, n, PC_LINK_ETHERNET), PC_ELIMIT);
    cr_assert_eq(d.n, PC_MAX_LAYERS);
    for (int i = 1; i < d.n; i++) cr_assert_eq(d.l[i].proto, PC_P_VLAN);
    for (int i = 0; i < d.n; i++) describe(&d, i, true);
}

/* ======================================================= truncation and rejection */

struct known { const char *name; const char *const *hex; int linktype; };
static const struct known KNOWN[] = {
    { "dot1q", &DOT1Q_HEX, PC_LINK_ETHERNET },    { "dot1q-dei", &DOT1Q_DEI_HEX, PC_LINK_ETHERNET },
    { "qinq", &QINQ_HEX, PC_LINK_ETHERNET },      { "vlan-llc", &VLAN_LLC_HEX, PC_LINK_ETHERNET },
    { "arp-req", &ARP_REQ_HEX, PC_LINK_ETHERNET }, { "arp-rep", &ARP_REP_HEX, PC_LINK_ETHERNET },
    { "vlan-arp", &VLAN_ARP_HEX, PC_LINK_ETHERNET }, { "sll", &SLL_HEX, PC_LINK_SLL },
    { "sll2", &SLL2_HEX, PC_LINK_SLL2 },          { "sll2-arp", &SLL2_ARP_HEX, PC_LINK_SLL2 },
    { "null", &NULL_LE_IPV4_HEX, PC_LINK_NULL },
};
#define NKNOWN (sizeof KNOWN / sizeof KNOWN[0])

/* The reason a layer of proto gives when the capture ends inside it. */
static const char *cut_reason(uint8_t proto, uint32_t into)
{
    switch (proto) {
    case PC_P_VLAN: return "vlan tag cut by the capture";
    case PC_P_ARP: return into < PC_ARP_FIXED ? "arp header cut by the capture" : "arp addresses cut by the capture";
    case PC_P_SLL: return "sll header cut by the capture";
    case PC_P_SLL2: return "sll2 header cut by the capture";
    case PC_P_NULL: return "loopback header cut by the capture";
    default: return NULL;
    }
}

/* Every capture length of every known frame, the frame ending right
 * before a PROT_NONE page: no read past the end (in decode or describe),
 * the layers before the cut kept, a cut reported as truncation and never
 * as malformation, and our layers naming the cut. */
Test(link, every_truncation_under_guard_page)
{
    uint8_t b[BUFCAP];
    size_t cuts = 0;
    for (size_t k = 0; k < NKNOWN; k++) {
        size_t n = load(*KNOWN[k].hex, b);
        struct pc_decoded full;
        cr_assert_eq(decode(&full, b, n, KNOWN[k].linktype), 0, "%s", KNOWN[k].name);
        for (size_t cut = 0; cut <= n; cut++, cuts++) {
            struct th_guard g;
            const uint8_t *p = th_guard_copy(&g, b, cut);
            struct pc_decoded d;
            int rc = pc_decode(&d, p, (uint32_t)cut, (uint32_t)n, KNOWN[k].linktype);
            cr_assert(rc == 0 || rc == PC_ETRUNC, "%s cut %zu: rc %d (%s)", KNOWN[k].name, cut, rc, pc_strerror(rc));
            cr_assert_leq(d.n, full.n, "%s cut %zu", KNOWN[k].name, cut);
            for (int i = 0; i < d.n; i++) {
                cr_assert_eq(d.l[i].proto, full.l[i].proto, "%s cut %zu layer %d", KNOWN[k].name, cut, i);
                cr_assert_eq(d.l[i].flags & PC_LF_MALFORMED, 0, "%s cut %zu layer %d: %s", KNOWN[k].name, cut, i,
                             d.l[i].why);
                describe(&d, i, false);
                describe(&d, i, true);
            }
            /* Every layer whose header is all there is found. */
            for (int i = 0; i < full.n; i++)
                if (full.l[i].off + full.l[i].hlen <= cut && (full.l[i].off < cut || full.l[i].hlen))
                    cr_assert_gt(d.n, i, "%s cut %zu: layer %d (%s) lost", KNOWN[k].name, cut, i,
                                 pc_proto_name(full.l[i].proto));
            /* A cut inside one of our headers is that header's truncation. */
            for (int i = 0; i < full.n; i++) {
                const struct pc_layer *l = &full.l[i];
                const char *why = cut_reason(l->proto, (uint32_t)cut - l->off);
                if (!why || cut < l->off || cut >= l->off + l->hlen) continue;
                cr_assert_eq(rc, PC_ETRUNC, "%s cut %zu", KNOWN[k].name, cut);
                cr_assert_eq(d.n, i + 1, "%s cut %zu: layers after the cut header", KNOWN[k].name, cut);
                cr_assert(d.l[i].flags & PC_LF_TRUNC, "%s cut %zu", KNOWN[k].name, cut);
                cr_assert_str_eq(d.l[i].why, why, "%s cut %zu", KNOWN[k].name, cut);
            }
            th_guard_free(&g);
        }
    }
    cr_log_info("link truncations: %zu cuts of %zu frames", cuts, NKNOWN);
}

/* Decode hex with a modification; the error must be malformation at
 * layer `layer` with reason why, the layers before it kept. */
static void expect_malformed(const char *name, const uint8_t *b, size_t n, int linktype, int layer, const char *why)
{
    struct th_guard g;
    const uint8_t *p = th_guard_copy(&g, b, n);
    struct pc_decoded d;
    int rc = decode(&d, p, n, linktype);
    cr_assert_eq(rc, PC_EMALFORMED, "%s: rc %d, layers %s", name, rc, chain(&d));
    cr_assert_gt(d.n, layer, "%s: layers before the error must be kept (%s)", name, chain(&d));
    cr_assert(d.l[layer].flags & PC_LF_MALFORMED, "%s: layer %d not malformed (%s)", name, layer, chain(&d));
    cr_assert_str_eq(d.l[layer].why, why, "%s", name);
    for (int i = 0; i < layer; i++) cr_assert_eq(d.l[i].flags & (PC_LF_MALFORMED | PC_LF_TRUNC), 0, "%s layer %d", name, i);
    for (int i = 0; i < d.n; i++) {
        describe(&d, i, true);
        describe(&d, i, false);
    }
    th_guard_free(&g);
}

static void expect_ok(const char *name, const uint8_t *b, size_t n, int linktype, const char *want_chain)
{
    struct pc_decoded d;
    cr_assert_eq(decode(&d, b, n, linktype), 0, "%s: %s", name, chain(&d));
    if (want_chain) cr_assert_str_eq(chain(&d), want_chain, "%s", name);
}

Test(link, rejects_vlan_lengths_too_small_and_too_large)
{
    uint8_t b[BUFCAP];
    size_t n = load(DOT1Q_HEX, b);
    /* The frame itself (not the capture) ends inside the tag. */
    for (size_t len = 15; len < 18; len++)
        expect_malformed("short tag", b, len, PC_LINK_ETHERNET, 1, "vlan tag runs past the frame");
    /* The inner IPv4 total length: one too large, below the header. */
    pc_put16(b + 18 + 2, (uint16_t)(n - 18 + 1));
    expect_malformed("ip len +1", b, n, PC_LINK_ETHERNET, 2, "ipv4 total length beyond the frame");
    pc_put16(b + 18 + 2, 19);
    expect_malformed("ip len 19", b, n, PC_LINK_ETHERNET, 2, "ipv4 total length below header length");
    /* One too small is legal: the last byte is a trailer, of the tag and
     * of the Ethernet header. */
    n = load(DOT1Q_HEX, b);
    b[18 + 10] = b[18 + 11] = 0; /* checksum no longer matters for this */
    pc_put16(b + 18 + 2, (uint16_t)(n - 18 - 1));
    struct pc_decoded d;
    decode(&d, b, n, PC_LINK_ETHERNET);
    cr_assert(d.l[1].flags & PC_LF_TRAILER);
    cr_assert(d.l[0].flags & PC_LF_TRAILER);

    /* 802.3 length: one past the frame is a lie; smaller is padding. */
    n = load(VLAN_LLC_HEX, b);
    pc_put16(b + 16, (uint16_t)(n - 18 + 1));
    expect_malformed("llc len +1", b, n, PC_LINK_ETHERNET, 1, "vlan 802.3 length beyond the frame");
    pc_put16(b + 16, PC_VLAN_LEN_MAX);
    expect_malformed("llc len 1500", b, n, PC_LINK_ETHERNET, 1, "vlan 802.3 length beyond the frame");
    pc_put16(b + 16, 1);
    expect_ok("llc len 1", b, n, PC_LINK_ETHERNET, "eth vlan payload");
    /* 1501..1535 are neither lengths nor EtherTypes: undecoded payload. */
    pc_put16(b + 16, PC_VLAN_LEN_MAX + 1);
    expect_ok("type 1501", b, n, PC_LINK_ETHERNET, "eth vlan payload");

    /* QinQ: the inner tag cut off by the frame end. */
    n = load(QINQ_HEX, b);
    expect_malformed("short inner tag", b, 20, PC_LINK_ETHERNET, 2, "vlan tag runs past the frame");
}

Test(link, rejects_arp_lengths_too_small_and_too_large)
{
    uint8_t b[BUFCAP];
    size_t n = load(ARP_REP_HEX, b);
    for (size_t len = 15; len < 22; len++)
        expect_malformed("short arp", b, len, PC_LINK_ETHERNET, 1, "arp message shorter than 8 bytes");
    /* Addresses: one byte short of the sizes claimed (the frame ends at 42). */
    expect_malformed("arp 41", b, 41, PC_LINK_ETHERNET, 1, "arp addresses run past the frame");
    /* Sizes too large, by one and by the most. */
    b[18] = 7;
    expect_malformed("hlen 7", b, n, PC_LINK_ETHERNET, 1, "arp addresses run past the frame");
    b[18] = 255;
    expect_malformed("hlen 255", b, n, PC_LINK_ETHERNET, 1, "arp addresses run past the frame");
    b[18] = 6;
    b[19] = 5;
    expect_malformed("plen 5", b, n, PC_LINK_ETHERNET, 1, "arp addresses run past the frame");
    b[19] = 255;
    expect_malformed("plen 255", b, n, PC_LINK_ETHERNET, 1, "arp addresses run past the frame");
    /* Sizes of zero leave nothing to resolve. */
    b[18] = 0;
    b[19] = 4;
    expect_malformed("hlen 0", b, n, PC_LINK_ETHERNET, 1, "arp address size is zero");
    b[18] = 6;
    b[19] = 0;
    expect_malformed("plen 0", b, n, PC_LINK_ETHERNET, 1, "arp address size is zero");
    /* Smaller nonzero sizes fit: the rest is a trailer of the link. */
    b[18] = 5;
    b[19] = 4;
    struct pc_decoded d;
    cr_assert_eq(decode(&d, b, n, PC_LINK_ETHERNET), 0);
    cr_assert_eq(d.l[1].hlen, 26);
    cr_assert(d.l[0].flags & PC_LF_TRAILER);
    /* In a tag and in SLL2, the same lies. */
    n = load(VLAN_ARP_HEX, b);
    b[22] = 40;
    expect_malformed("vlan hlen 40", b, n, PC_LINK_ETHERNET, 2, "arp addresses run past the frame");
    n = load(SLL2_ARP_HEX, b);
    b[25] = 5;
    expect_malformed("sll2 plen 5", b, n, PC_LINK_SLL2, 1, "arp addresses run past the frame");
}

Test(link, rejects_link_headers_shorter_than_their_size)
{
    uint8_t b[BUFCAP];
    size_t n = load(SLL_HEX, b);
    for (size_t len = 1; len < 16; len++)
        expect_malformed("sll", b, len, PC_LINK_SLL, 0, "sll frame shorter than 16 bytes");
    pc_put16(b + 16 + 2, (uint16_t)(n - 16 + 1));
    expect_malformed("sll ip len", b, n, PC_LINK_SLL, 1, "ipv4 total length beyond the frame");
    n = load(SLL2_HEX, b);
    for (size_t len = 1; len < 20; len++)
        expect_malformed("sll2", b, len, PC_LINK_SLL2, 0, "sll2 frame shorter than 20 bytes");
    pc_put16(b + 20 + 4, (uint16_t)(n - 60 + 1));
    expect_malformed("sll2 ipv6 plen", b, n, PC_LINK_SLL2, 1, "ipv6 payload length beyond the frame");
    n = load(NULL_LE_IPV4_HEX, b);
    for (size_t len = 1; len < 4; len++) {
        expect_malformed("null", b, len, PC_LINK_NULL, 0, "loopback frame shorter than 4 bytes");
        expect_malformed("loop", b, len, PC_LINK_LOOP, 0, "loopback frame shorter than 4 bytes");
    }
    /* An empty frame is a runt too. */
    struct pc_decoded d;
    cr_assert_eq(decode(&d, b, 0, PC_LINK_SLL), PC_EMALFORMED);
    cr_assert_eq(d.n, 1);
}

/* ================================================================ random round trip */

static uint32_t rnd(struct pc_rng *r, uint32_t n) { return (uint32_t)pc_rng_below(r, n); }
static void rbytes(struct pc_rng *r, uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++) p[i] = (uint8_t)pc_rng_next(r);
}

/* 0, 1 and the maximum over-represented. */
static uint32_t redge(struct pc_rng *r, uint32_t max)
{
    switch (rnd(r, 8)) {
    case 0: return 0;
    case 1: return 1 < max ? 1 : max;
    case 2: return max;
    default: return rnd(r, max + 1);
    }
}

enum { IN_UDP, IN_ARP };
#define MAXPAY 48

struct lspec {
    struct pc_eth eth;
    int ntag;
    struct pc_vlan tag[2];
    int inner;
    struct pc_ipv4 ip;
    struct pc_udp udp;
    struct pc_arp arp;
    uint8_t pay[MAXPAY];
    size_t plen;
};

/* Mostly AUTO; sometimes pinned or corrupt unless the frame goes to
 * tshark, which must see only valid frames. */
static pc_field rfield(struct pc_rng *r, int plain, uint32_t pinval)
{
    if (plain) return (pc_field){ 0 };
    switch (rnd(r, 16)) {
    case 0: return PC_PIN(pinval);
    case 1: return PC_CORRUPT;
    default: return (pc_field){ 0 };
    }
}

static void random_arp(struct pc_rng *r, struct pc_arp *a, int plain)
{
    static const uint16_t ops[] = { 1, 2, 3, 4, 8, 9 };
    memset(a, 0, sizeof *a);
    a->op = plain || rnd(r, 8) ? ops[rnd(r, 6)] : (uint16_t)rnd(r, 65536);
    rbytes(r, a->sha, 6);
    a->sha[0] &= 0xFE; /* a sender is unicast */
    rbytes(r, a->spa, 4);
    if (a->op != PC_ARP_REQUEST || rnd(r, 4) == 0) rbytes(r, a->tha, 6);
    rbytes(r, a->tpa, 4);
    if (rnd(r, 8) == 0) memcpy(a->tpa, a->spa, 4); /* gratuitous */
    a->htype = rfield(r, plain, rnd(r, 65536));
    a->ptype = rfield(r, plain, rnd(r, 65536));
    a->hlen = rfield(r, plain, rnd(r, 13));
    a->plen = rfield(r, plain, rnd(r, 9));
}

/* plain: only AUTO fields and valid frames (for tshark and libnet). */
static void random_lspec(struct pc_rng *r, struct lspec *s, int plain)
{
    memset(s, 0, sizeof *s);
    rbytes(r, s->eth.dst, 6);
    rbytes(r, s->eth.src, 6);
    s->eth.src[0] &= 0xFE;
    s->eth.pad = (uint8_t)rnd(r, 2);
    s->inner = rnd(r, 3) == 0 ? IN_ARP : IN_UDP;
    s->ntag = s->inner == IN_ARP ? (int)rnd(r, 3) : 1 + (int)rnd(r, 2);
    for (int k = 0; k < s->ntag; k++) {
        struct pc_vlan *t = &s->tag[k];
        t->pcp = (uint8_t)redge(r, PC_VLAN_PCP_MAX);
        t->dei = (uint8_t)rnd(r, 2);
        t->vid = (uint16_t)redge(r, PC_VLAN_VID_MAX);
        t->type = rfield(r, plain, ET_EXPERIMENTAL);
    }
    /* Outer tag of two: S-tag, legacy 0x9100 or a second C-tag; a single
     * tag: a C-tag (default or explicit) or a lone S-tag. */
    static const uint16_t outer2[] = { PC_TPID_8021AD, PC_TPID_QINQ, PC_TPID_8021Q, 0 };
    static const uint16_t single[] = { 0, PC_TPID_8021Q, PC_TPID_8021AD };
    if (s->ntag == 2) {
        s->tag[0].tpid = outer2[rnd(r, 4)];
        s->tag[1].tpid = rnd(r, 2) ? PC_TPID_8021Q : 0;
    } else if (s->ntag == 1) {
        s->tag[0].tpid = single[rnd(r, 3)];
    }
    if (s->inner == IN_ARP) {
        random_arp(r, &s->arp, plain);
        return;
    }
    rbytes(r, s->ip.src, 4);
    rbytes(r, s->ip.dst, 4);
    s->ip.src[0] = (uint8_t)(1 + rnd(r, 223)); /* unicast, not 0/8: no expert notes */
    s->ip.dst[0] = (uint8_t)(1 + rnd(r, 223));
    s->ip.id = (uint16_t)rnd(r, 65536);
    s->ip.ttl = (uint8_t)(1 + rnd(r, 255));
    s->ip.tos = (uint8_t)(rnd(r, 64) << 2);
    s->udp.sport = (uint16_t)(40000 + rnd(r, 20000));
    s->udp.dport = (uint16_t)(40000 + rnd(r, 20000));
    s->plen = rnd(r, 4) == 0 ? 0 : rnd(r, MAXPAY + 1);
    rbytes(r, s->pay, s->plen);
}

static int build_lspec(const struct lspec *s, uint8_t *buf, size_t cap)
{
    struct pc_pkt pk;
    pc_pkt_init(&pk, buf, cap);
    pc_push_eth(&pk, &s->eth);
    for (int k = 0; k < s->ntag; k++) pc_push_vlan(&pk, &s->tag[k]);
    if (s->inner == IN_ARP) {
        pc_push_arp(&pk, &s->arp);
    } else {
        pc_push_ipv4(&pk, &s->ip);
        pc_push_udp(&pk, &s->udp);
        if (s->plen) pc_push_payload(&pk, s->pay, s->plen);
    }
    return pc_pkt_finalize(&pk);
}

/* What a field should hold, worked out here and not by the library. */
static uint32_t want_field(pc_field f, uint32_t correct, uint32_t mask)
{
    if (f.mode == PC_FPIN) return f.v & mask;
    if (f.mode == PC_FCORRUPT) return (correct + 1) & mask;
    return correct & mask;
}

static uint16_t tag_tpid(const struct pc_vlan *t) { return t->tpid ? t->tpid : PC_TPID_8021Q; }

struct rt_stats { size_t frames, tags[3], tpid9100, tpid88a8, lone_ad, pinned, corrupt, arp, arp_bad, arp_small, padded; };

/* What the frame should decode to, from the spec alone. */
static void check_lspec(const struct lspec *s, const uint8_t *b, int n, int it, struct rt_stats *st)
{
    cr_assert_gt(n, 0, "frame %d: finalize %s", it, pc_strerror(n));
    struct pc_decoded d;
    int rc = decode(&d, b, (size_t)n, PC_LINK_ETHERNET);
    const char *c = chain(&d);
    cr_assert_eq(d.l[0].proto, PC_P_ETH, "frame %d: %s", it, c);
    uint32_t inner_type = s->inner == IN_ARP ? PC_ETHERTYPE_ARP : PC_ETHERTYPE_IPV4;
    uint16_t ethtype = s->ntag ? tag_tpid(&s->tag[0]) : (uint16_t)inner_type;
    cr_assert_eq(pc_eth_type(b), ethtype, "frame %d", it);
    uint32_t off = PC_ETH_HLEN;
    int li = 0, complete = 1;
    for (int k = 0; k < s->ntag; k++) {
        const struct pc_vlan *t = &s->tag[k];
        li++;
        cr_assert_gt(d.n, li, "frame %d: %s", it, c);
        cr_assert_eq(d.l[li].proto, PC_P_VLAN, "frame %d layer %d: %s", it, li, c);
        cr_assert_eq(d.l[li].off, off);
        cr_assert_eq(d.l[li].hlen, PC_VLAN_HLEN);
        const uint8_t *h = pc_layer_hdr(&d, li);
        cr_assert_eq(pc_vlan_pcp(h), t->pcp, "frame %d", it);
        cr_assert_eq(pc_vlan_dei(h), t->dei, "frame %d", it);
        cr_assert_eq(pc_vlan_vid(h), t->vid, "frame %d", it);
        uint32_t correct = k + 1 < s->ntag ? tag_tpid(&s->tag[k + 1]) : inner_type;
        uint32_t want = want_field(t->type, correct, 0xFFFF);
        cr_assert_eq(pc_vlan_type(h), want, "frame %d tag %d: type 0x%04x, want 0x%04x", it, k, pc_vlan_type(h), want);
        char text[64];
        snprintf(text, sizeof text, "vlan %u, p %u%s", t->vid, t->pcp, t->dei ? ", DEI" : "");
        expect_text(&d, li, text);
        off += PC_VLAN_HLEN;
        st->pinned += t->type.mode == PC_FPIN;
        st->corrupt += t->type.mode == PC_FCORRUPT;
        if (want != correct) {
            complete = 0;
            break;
        }
    }
    if (!complete) {
        /* A tag that names no known protocol ends the walk: the rest,
         * padding included, is its payload. */
        cr_assert_eq(rc, 0, "frame %d: %s", it, c);
        cr_assert_eq(d.n, li + 2, "frame %d: %s", it, c);
        expect_layer(&d, li + 1, PC_P_PAYLOAD, off, 0, (uint32_t)n - off);
        for (int i = 0; i <= li; i++) cr_assert_eq(d.l[i].flags, 0, "frame %d layer %d", it, i);
        return;
    }
    uint32_t body = s->inner == IN_ARP ? PC_ARP_ETH_IPV4_LEN : (uint32_t)(PC_IPV4_HLEN + PC_UDP_HLEN + s->plen);
    int padded = off + body < (uint32_t)n;
    cr_assert_eq(padded, s->eth.pad && off + body < PC_ETH_MINFRAME, "frame %d: %d bytes", it, n);
    cr_assert_eq((uint32_t)n, padded ? PC_ETH_MINFRAME : off + body);
    st->padded += padded;
    if (s->inner == IN_UDP) {
        cr_assert_eq(rc, 0, "frame %d: %s", it, c);
        cr_assert_eq(d.n, li + 3 + (s->plen > 0), "frame %d: %s", it, c);
        expect_layer(&d, li + 1, PC_P_IPV4, off, PC_IPV4_HLEN, PC_UDP_HLEN + (uint32_t)s->plen);
        const uint8_t *ip = pc_layer_hdr(&d, li + 1);
        cr_assert(!memcmp(pc_ipv4_src(ip), s->ip.src, 4) && !memcmp(pc_ipv4_dst(ip), s->ip.dst, 4), "frame %d", it);
        cr_assert_eq(pc_ipv4_id(ip), s->ip.id);
        cr_assert_eq(pc_ipv4_ttl(ip), s->ip.ttl);
        cr_assert_eq(pc_ipv4_tos(ip), s->ip.tos);
        cr_assert_eq(d.l[li + 1].csum, PC_CSUM_GOOD, "frame %d", it);
        expect_layer(&d, li + 2, PC_P_UDP, off + PC_IPV4_HLEN, PC_UDP_HLEN, (uint32_t)s->plen);
        const uint8_t *u = pc_layer_hdr(&d, li + 2);
        cr_assert_eq(pc_udp_sport(u), s->udp.sport);
        cr_assert_eq(pc_udp_dport(u), s->udp.dport);
        cr_assert_eq(d.l[li + 2].csum, PC_CSUM_GOOD, "frame %d", it);
        if (s->plen) cr_assert(!memcmp(b + off + 28, s->pay, s->plen));
    } else {
        const struct pc_arp *a = &s->arp;
        const uint8_t *h = b + off;
        /* The layout is fixed whatever the size fields say. */
        cr_assert_eq(pc_get16(h), want_field(a->htype, 1, 0xFFFF), "frame %d", it);
        cr_assert_eq(pc_get16(h + 2), want_field(a->ptype, 0x0800, 0xFFFF), "frame %d", it);
        uint32_t hl = want_field(a->hlen, 6, 0xFF), pl = want_field(a->plen, 4, 0xFF);
        cr_assert_eq(h[4], hl, "frame %d", it);
        cr_assert_eq(h[5], pl, "frame %d", it);
        cr_assert_eq(pc_get16(h + 6), a->op);
        cr_assert(!memcmp(h + 8, a->sha, 6) && !memcmp(h + 14, a->spa, 4) && !memcmp(h + 18, a->tha, 6) &&
                  !memcmp(h + 24, a->tpa, 4), "frame %d: addresses moved", it);
        cr_assert_eq(d.n, li + 2, "frame %d: %s", it, c);
        expect_layer(&d, li + 1, PC_P_ARP, off, PC_ARP_FIXED + 2 * (hl + pl), 0);
        uint32_t room = (uint32_t)n - off, total = PC_ARP_FIXED + 2 * (hl + pl);
        st->arp++;
        if (!hl || !pl) {
            cr_assert_eq(rc, PC_EMALFORMED, "frame %d", it);
            cr_assert_str_eq(d.l[li + 1].why, "arp address size is zero");
            st->arp_bad++;
            return;
        }
        if (total > room) {
            cr_assert_eq(rc, PC_EMALFORMED, "frame %d", it);
            cr_assert_str_eq(d.l[li + 1].why, "arp addresses run past the frame");
            st->arp_bad++;
            return;
        }
        cr_assert_eq(rc, 0, "frame %d: %s", it, d.l[li + 1].why);
        if (total < room && !padded) st->arp_small++;
        padded = total < room; /* sizes smaller than the layout leave a trailer too */
        if (hl == 6 && pl == 4 && want_field(a->ptype, 0x0800, 0xFFFF) == 0x0800) {
            char sha[18], spa[16], tha[18], tpa[16], want[128];
            pc_fmt_mac(a->sha, sha);
            pc_fmt_ip4(a->spa, spa);
            pc_fmt_mac(a->tha, tha);
            pc_fmt_ip4(a->tpa, tpa);
            if (a->op == PC_ARP_REPLY) snprintf(want, sizeof want, "ARP, Reply %s is-at %s", spa, sha);
            else if (a->op == PC_ARP_REQUEST && !memcmp(a->tha, "\0\0\0\0\0\0", 6))
                snprintf(want, sizeof want, "ARP, Request who-has %s tell %s", tpa, spa);
            else want[0] = 0;
            if (want[0]) expect_text(&d, li + 1, want);
        }
    }
    /* The padding is the link's: every link header carries the trailer. */
    for (int i = 0; i <= li; i++)
        cr_assert_eq(!!(d.l[i].flags & PC_LF_TRAILER), padded, "frame %d layer %d: flags 0x%x", it, i, d.l[i].flags);
}

Test(link, random_round_trip)
{
    struct pc_rng r;
    pc_rng_seed(&r, UINT64_C(0x11A4C0DE0001));
    struct rt_stats st = { 0 };
    static uint8_t buf[256];
    for (int it = 0; it < 6000; it++) {
        struct lspec s;
        random_lspec(&r, &s, 0);
        memset(buf, 0xA5, sizeof buf);
        int n = build_lspec(&s, buf, sizeof buf);
        check_lspec(&s, buf, n, it, &st);
        st.frames++;
        st.tags[s.ntag]++;
        for (int k = 0; k < s.ntag; k++) {
            st.tpid9100 += s.tag[k].tpid == PC_TPID_QINQ;
            st.tpid88a8 += s.tag[k].tpid == PC_TPID_8021AD;
        }
        st.lone_ad += s.ntag == 1 && s.tag[0].tpid == PC_TPID_8021AD;
    }
    /* The run must have reached every case it claims to test. */
    cr_assert(st.tags[0] && st.tags[1] > 1000 && st.tags[2] > 1000);
    cr_assert(st.tpid9100 && st.tpid88a8 && st.lone_ad && st.pinned && st.corrupt && st.padded);
    cr_assert(st.arp > 1000 && st.arp_bad && st.arp_small);
    cr_log_info("link round trip: %zu frames (%zu/%zu/%zu with 0/1/2 tags, %zu 0x88A8, %zu 0x9100, %zu pinned and "
                "%zu corrupt tag types, %zu padded), %zu ARP of which %zu malformed on purpose and %zu with small sizes",
                st.frames, st.tags[0], st.tags[1], st.tags[2], st.tpid88a8, st.tpid9100, st.pinned, st.corrupt, st.padded,
                st.arp, st.arp_bad, st.arp_small);
}

/* ================================================================ libnet */

/* The libnet link header for s: Ethernet, or libnet_build_802_1q for one
 * tag.  Two tags: libnet has no QinQ builder, so the outer tag is
 * libnet_build_802_1q and the inner one a libnet_build_data block whose 4
 * bytes this test encodes from the spec (TCI then type). */
static void ln_link(libnet_t *l, const struct lspec *s, uint16_t inner_type)
{
    if (s->ntag == 0) {
        th_ln_ok(l, libnet_build_ethernet(s->eth.dst, s->eth.src, inner_type, NULL, 0, l, 0), "libnet_build_ethernet");
        return;
    }
    if (s->ntag == 2) {
        const struct pc_vlan *t = &s->tag[1];
        uint8_t tag[4] = { (uint8_t)(t->pcp << 5 | t->dei << 4 | t->vid >> 8), (uint8_t)t->vid, (uint8_t)(inner_type >> 8),
                           (uint8_t)inner_type };
        th_ln_ok(l, libnet_build_data(tag, 4, l, 0), "libnet_build_data");
        inner_type = tag_tpid(t);
    }
    const struct pc_vlan *o = &s->tag[0];
    th_ln_ok(l, libnet_build_802_1q(s->eth.dst, s->eth.src, tag_tpid(o), o->pcp, o->dei, o->vid, inner_type, NULL, 0, l, 0),
             "libnet_build_802_1q");
}

/* ARP, bare and in tags: libnet_build_arp with the same operation,
 * addresses, hardware and protocol types (random ones too). */
Test(link, libnet_arp_byte_identity)
{
    libnet_t *l = th_ln_open(&g_ln);
    struct pc_rng r;
    pc_rng_seed(&r, UINT64_C(0x11A4C0DE0002));
    static uint8_t pcb[256], lnb[256];
    size_t tagged = 0;
    for (int k = 0; k < 2000; k++) {
        struct lspec s;
        do random_lspec(&r, &s, 1);
        while (s.inner != IN_ARP);
        s.eth.pad = 0; /* libnet does not pad */
        uint16_t op = (uint16_t)rnd(&r, 65536), ht = 1, pt = 0x0800;
        if (rnd(&r, 2)) s.arp.op = op;
        if (rnd(&r, 4) == 0) s.arp.htype = PC_PIN(ht = (uint16_t)rnd(&r, 65536));
        if (rnd(&r, 4) == 0) s.arp.ptype = PC_PIN(pt = (uint16_t)rnd(&r, 65536));
        int n = build_lspec(&s, pcb, sizeof pcb);
        cr_assert_gt(n, 0);
        th_ln_ok(l, libnet_build_arp(ht, pt, 6, 4, s.arp.op, s.arp.sha, s.arp.spa, s.arp.tha, s.arp.tpa, NULL, 0, l, 0),
                 "libnet_build_arp");
        ln_link(l, &s, PC_ETHERTYPE_ARP);
        size_t ln = th_ln_take(l, lnb, sizeof lnb);
        th_ln_expect_same(pcb, (size_t)n, lnb, ln, "arp %d", k);
        tagged += s.ntag > 0;
    }
    cr_log_info("libnet arp: 2000 frames byte-identical (%zu in tags)", tagged);
}

/* IPv4/UDP in one or two tags: libnet_build_802_1q (any TPID), IPv4 and
 * UDP checksums left to libnet. */
Test(link, libnet_8021q_byte_identity)
{
    libnet_t *l = th_ln_open(&g_ln);
    struct pc_rng r;
    pc_rng_seed(&r, UINT64_C(0x11A4C0DE0003));
    static uint8_t pcb[256], lnb[256];
    size_t two = 0, zero_sum = 0;
    for (int k = 0; k < 3000; k++) {
        struct lspec s;
        do random_lspec(&r, &s, 1);
        while (s.inner != IN_UDP);
        s.eth.pad = 0;
        if (s.ntag == 1 && rnd(&r, 3) == 0) s.tag[0].tpid = PC_TPID_QINQ;
        int n = build_lspec(&s, pcb, sizeof pcb);
        cr_assert_gt(n, 0);
        uint16_t ulen = (uint16_t)(PC_UDP_HLEN + s.plen);
        th_ln_ok(l, libnet_build_udp(s.udp.sport, s.udp.dport, ulen, 0, s.plen ? s.pay : NULL, (uint32_t)s.plen, l, 0),
                 "libnet_build_udp");
        th_ln_ok(l, libnet_build_ipv4((uint16_t)(PC_IPV4_HLEN + ulen), s.ip.tos, s.ip.id, 0, s.ip.ttl, IPPROTO_UDP, 0,
                                      th_ln_ip4(s.ip.src), th_ln_ip4(s.ip.dst), NULL, 0, l, 0), "libnet_build_ipv4");
        ln_link(l, &s, PC_ETHERTYPE_IPV4);
        size_t ln = th_ln_take(l, lnb, sizeof lnb);
        /* libnet 1.1.6 writes a UDP sum of zero as 0; RFC 768 (and
         * pktcraft) send 0xFFFF: the one known divergence. */
        size_t uoff = 14 + 4 * (size_t)s.ntag + 20;
        if (ln == (size_t)n && pc_udp_csum(pcb + uoff) == 0xFFFF && pc_udp_csum(lnb + uoff) == 0) {
            pc_put16(lnb + uoff + 6, 0xFFFF);
            zero_sum++;
        }
        th_ln_expect_same(pcb, (size_t)n, lnb, ln, "802.1q %d", k);
        two += s.ntag == 2;
    }
    cr_log_info("libnet 802.1q: 3000 frames byte-identical (%zu QinQ, %zu zero UDP sums)", two, zero_sum);
}

/* ================================================================ tshark */

/* Ports the installed tshark hands to a dissector by number: random UDP
 * payloads on them would be dissected as that protocol and called
 * malformed, which says nothing about the link layers. */
static struct th_ports g_ports;

static uint16_t free_port(struct pc_rng *r) { return th_port_pick(r, g_ports.udp, NULL, 20000); }

struct frames {
    uint8_t (*b)[256];
    int *len;
    size_t n;
};

/* The EtherType field that announced layer i (what pc_vlan_describe
 * reports as the TPID), read here from the bytes. */
static uint16_t announced(const struct pc_decoded *d, int i)
{
    const struct pc_layer *p = &d->l[i - 1];
    switch (p->proto) {
    case PC_P_ETH: return pc_get16(d->buf + p->off + 12);
    case PC_P_VLAN: return pc_get16(d->buf + p->off + 2);
    case PC_P_SLL: return pc_get16(d->buf + p->off + 14);
    case PC_P_SLL2: return pc_get16(d->buf + p->off);
    default: cr_assert_fail("layer %d follows %s", i, pc_proto_name(p->proto)); return 0;
    }
}

/* Columns of both tshark runs (the link-type one uses a subset). */
enum {
    C_PROTOS, C_ETH_TYPE, C_VLAN_ID, C_VLAN_PRIO, C_VLAN_DEI, C_VLAN_ETYPE, C_AD_ID, C_AD_PRIO, C_AD_DEI,
    C_ARP_HW, C_ARP_PT, C_ARP_HS, C_ARP_PS, C_ARP_OP, C_ARP_SHA, C_ARP_SPA, C_ARP_THA, C_ARP_TPA,
    C_SLL_PKT, C_SLL_HAT, C_SLL_HALEN, C_SLL_SRC, C_SLL_ETYPE, C_SLL_IFX, C_NULL_FAM,
    C_IP_SRC, C_IP_DST, C_IP_CS, C_IP6_SRC, C_IP6_DST, C_UDP_SP, C_UDP_DP, C_UDP_CS, C_TCP_SP, C_TCP_DP, C_TCP_CS,
    C_PAD, C_ETRAIL, C_VTRAIL, C_SLLTRAIL, C_MAL, C_SEV, C_MSG, NCOL
};
#define C_FIRST_JUDGED C_PAD
/* tshark 4.0 lists both vlan.cfi and vlan.dei (-G fields); the bit is
 * dissected as vlan.dei on Ethernet, vlan.cfi being the Token Ring
 * reading of the same bit. */
static const char *const TCOLS[NCOL] = {
    "frame.protocols", "eth.type", "vlan.id", "vlan.priority", "vlan.dei", "vlan.etype", "ieee8021ad.id",
    "ieee8021ad.priority", "ieee8021ad.dei", "arp.hw.type", "arp.proto.type", "arp.hw.size", "arp.proto.size",
    "arp.opcode", "arp.src.hw_mac", "arp.src.proto_ipv4", "arp.dst.hw_mac", "arp.dst.proto_ipv4", "sll.pkttype",
    "sll.hatype", "sll.halen", "sll.src.eth", "sll.etype", "sll.ifindex", "null.family", "ip.src", "ip.dst",
    "ip.checksum.status", "ipv6.src", "ipv6.dst", "udp.srcport", "udp.dstport", "udp.checksum.status", "tcp.srcport",
    "tcp.dstport", "tcp.checksum.status", "eth.padding", "eth.trailer", "vlan.trailer", "sll.trailer", "_ws.malformed",
    "_ws.expert.severity", "_ws.expert.message",
};

/* What tshark should print for a frame, from pktcraft's decoder alone.
 * tshark dissects an 0x88A8 tag as "ieee8021ad" (no type field of its
 * own), every other TPID as "vlan". */
static void expected_cols(const struct pc_decoded *d, char exp[NCOL][256])
{
    memset(exp, 0, sizeof(char[NCOL][256]));
    for (int i = 0; i < d->n; i++) {
        const uint8_t *h = pc_layer_hdr(d, i);
        const struct pc_layer *l = &d->l[i];
        switch (l->proto) {
        case PC_P_ETH:
            th_append(exp[C_PROTOS], 256, "eth:ethertype");
            th_append(exp[C_ETH_TYPE], 256, "0x%04x", pc_eth_type(h));
            break;
        case PC_P_VLAN:
            if (announced(d, i) == PC_TPID_8021AD) {
                th_append(exp[C_PROTOS], 256, "ieee8021ad:ethertype");
                th_append(exp[C_AD_ID], 256, "%u", pc_vlan_vid(h));
                th_append(exp[C_AD_PRIO], 256, "%u", pc_vlan_pcp(h));
                th_append(exp[C_AD_DEI], 256, "%u", pc_vlan_dei(h));
            } else {
                th_append(exp[C_PROTOS], 256, "vlan:ethertype");
                th_append(exp[C_VLAN_ID], 256, "%u", pc_vlan_vid(h));
                th_append(exp[C_VLAN_PRIO], 256, "%u", pc_vlan_pcp(h));
                th_append(exp[C_VLAN_DEI], 256, "%u", pc_vlan_dei(h));
                th_append(exp[C_VLAN_ETYPE], 256, "0x%04x", pc_vlan_type(h));
            }
            break;
        case PC_P_ARP:
            th_append(exp[C_PROTOS], 256, "arp");
            th_append(exp[C_ARP_HW], 256, "%u", pc_arp_htype(h));
            th_append(exp[C_ARP_PT], 256, "0x%04x", pc_arp_ptype(h));
            th_append(exp[C_ARP_HS], 256, "%u", pc_arp_hlen(h));
            th_append(exp[C_ARP_PS], 256, "%u", pc_arp_plen(h));
            th_append(exp[C_ARP_OP], 256, "%u", pc_arp_op(h));
            th_append_mac(exp[C_ARP_SHA], 256, pc_arp_sha(h));
            th_append_ip4(exp[C_ARP_SPA], 256, pc_arp_spa(h));
            th_append_mac(exp[C_ARP_THA], 256, pc_arp_tha(h));
            th_append_ip4(exp[C_ARP_TPA], 256, pc_arp_tpa(h));
            break;
        case PC_P_SLL:
            th_append(exp[C_PROTOS], 256, "sll:ethertype");
            th_append(exp[C_SLL_PKT], 256, "%u", pc_sll_pkttype(h));
            th_append(exp[C_SLL_HAT], 256, "%u", pc_sll_hatype(h));
            th_append(exp[C_SLL_HALEN], 256, "%u", pc_sll_halen(h));
            if (pc_sll_hatype(h) == PC_ARPHRD_ETHER && pc_sll_halen(h) == 6)
                th_append_mac(exp[C_SLL_SRC], 256, pc_sll_addr(h));
            th_append(exp[C_SLL_ETYPE], 256, "0x%04x", pc_sll_protocol(h));
            break;
        case PC_P_SLL2:
            th_append(exp[C_PROTOS], 256, "sll:ethertype");
            th_append(exp[C_SLL_PKT], 256, "%u", pc_sll2_pkttype(h));
            th_append(exp[C_SLL_HAT], 256, "%u", pc_sll2_hatype(h));
            th_append(exp[C_SLL_HALEN], 256, "%u", pc_sll2_halen(h));
            if (pc_sll2_hatype(h) == PC_ARPHRD_ETHER && pc_sll2_halen(h) == 6)
                th_append_mac(exp[C_SLL_SRC], 256, pc_sll2_addr(h));
            th_append(exp[C_SLL_ETYPE], 256, "0x%04x", pc_sll2_protocol(h));
            th_append(exp[C_SLL_IFX], 256, "%u", (unsigned)pc_sll2_ifindex(h));
            break;
        case PC_P_NULL:
            th_append(exp[C_PROTOS], 256, "null");
            th_append(exp[C_NULL_FAM], 256, "%u", (unsigned)pc_null_family(h, d->linktype));
            break;
        case PC_P_IPV4:
            th_append(exp[C_PROTOS], 256, "ip");
            th_append_ip4(exp[C_IP_SRC], 256, pc_ipv4_src(h));
            th_append_ip4(exp[C_IP_DST], 256, pc_ipv4_dst(h));
            th_append(exp[C_IP_CS], 256, "%s", th_ts_csum_status(l->csum));
            break;
        case PC_P_IPV6:
            th_append(exp[C_PROTOS], 256, "ipv6");
            th_append_ip6(exp[C_IP6_SRC], 256, pc_ipv6_src(h));
            th_append_ip6(exp[C_IP6_DST], 256, pc_ipv6_dst(h));
            break;
        case PC_P_UDP:
            th_append(exp[C_PROTOS], 256, "udp");
            th_append(exp[C_UDP_SP], 256, "%u", pc_udp_sport(h));
            th_append(exp[C_UDP_DP], 256, "%u", pc_udp_dport(h));
            th_append(exp[C_UDP_CS], 256, "%s", th_ts_csum_status(l->csum));
            break;
        case PC_P_TCP:
            th_append(exp[C_PROTOS], 256, "tcp");
            th_append(exp[C_TCP_SP], 256, "%u", pc_tcp_sport(h));
            th_append(exp[C_TCP_DP], 256, "%u", pc_tcp_dport(h));
            th_append(exp[C_TCP_CS], 256, "%s", th_ts_csum_status(l->csum));
            break;
        case PC_P_PAYLOAD:
            if (l->plen) th_append(exp[C_PROTOS], 256, "data");
            break;
        default: break;
        }
    }
    th_protos_colons(exp[C_PROTOS]);
}

struct ts_result { size_t frames, fields, trailers; };

/* Run tshark over a file of frames of one link type and compare every
 * column with pktcraft's decoder; trailers must be seen by both or neither. */
static struct ts_result tshark_compare(const char *tshark, const char *dir, const char *heur, const char *name,
                                       int linktype, const struct frames *fr)
{
    char path[160];
    snprintf(path, sizeof path, "%s/%s.pcap", dir, name);
    struct th_pcapw pw;
    th_pcapw_open(&pw, path, linktype, PC_TSPREC_NS);
    for (size_t i = 0; i < fr->n; i++) th_pcapw_put(&pw, fr->b[i], (uint32_t)fr->len[i]);
    th_pcapw_close(&pw);
    th_tshark_fields(&g_rows, tshark, dir, path, heur, TH_TS_CHECKSUMS TH_TS_NO_SEQ, TCOLS, NCOL);
    char **rows = g_rows.row;
    size_t nrows = g_rows.n;
    cr_assert_eq(nrows, fr->n, "%s: tshark saw %zu frames, pktcraft wrote %zu", name, nrows, fr->n);
    struct ts_result res = { .frames = fr->n };
    static char exp[NCOL][256];
    for (size_t i = 0; i < fr->n; i++) {
        char *cols[NCOL];
        th_split_cols(rows[i], cols, NCOL, i + 1);
        struct pc_decoded d;
        int rc = decode(&d, fr->b[i], (size_t)fr->len[i], linktype);
        cr_assert_eq(rc, 0, "%s frame %zu: pktcraft decoder: %s", name, i + 1, pc_strerror(rc));
        expected_cols(&d, exp);
        for (int c = 0; c < C_FIRST_JUDGED; c++, res.fields++)
            cr_assert_str_eq(cols[c], exp[c], "%s frame %zu field %s: tshark \"%s\", pktcraft \"%s\"", name, i + 1,
                             TCOLS[c], cols[c], exp[c]);
        int ts_trailer = cols[C_PAD][0] || cols[C_ETRAIL][0] || cols[C_VTRAIL][0] || cols[C_SLLTRAIL][0];
        int pc_trailer = d.l[0].flags & PC_LF_TRAILER ? 1 : 0;
        cr_assert_eq(ts_trailer, pc_trailer, "%s frame %zu: trailer tshark %d, pktcraft %d", name, i + 1, ts_trailer,
                     pc_trailer);
        res.trailers += (size_t)pc_trailer;
        th_expert_clean(cols[C_MAL], cols[C_SEV], cols[C_MSG], i + 1);
    }
    th_rows_free(&g_rows);
    return res;
}

static void alloc_frames(struct frames *fr, size_t n)
{
    fr->b = calloc(n, sizeof *fr->b);
    fr->len = calloc(n, sizeof *fr->len);
    fr->n = n;
    cr_assert(fr->b && fr->len);
}

static void free_frames(struct frames *fr)
{
    free(fr->b);
    free(fr->len);
}

/* Random VLAN (1 or 2 tags, every TPID), QinQ and ARP frames, padded or
 * not: tshark must see the same tags, the same ARP fields and addresses,
 * the same IPv4 and UDP, good checksums and the same trailers. */
Test(link, tshark_vlan_qinq_arp_agree)
{
    static char heur[16384];
    const char *tshark = th_tshark_setup(g_dir, &g_ports, heur, sizeof heur, NULL), *dir = g_dir;
    struct pc_rng r;
    pc_rng_seed(&r, UINT64_C(0x11A4C0DE0004));
    struct frames fr;
    alloc_frames(&fr, 800);
    size_t two = 0, ad = 0, arp = 0;
    for (size_t i = 0; i < fr.n; i++) {
        struct lspec s;
        random_lspec(&r, &s, 1);
        s.udp.sport = free_port(&r);
        s.udp.dport = free_port(&r);
        fr.len[i] = build_lspec(&s, fr.b[i], sizeof fr.b[i]);
        cr_assert_gt(fr.len[i], 0);
        two += s.ntag == 2;
        ad += s.ntag && s.tag[0].tpid == PC_TPID_8021AD;
        arp += s.inner == IN_ARP;
    }
    struct ts_result res = tshark_compare(tshark, dir, heur, "vlan", PC_LINK_ETHERNET, &fr);
    cr_log_info("tshark vlan/arp: %zu frames (%zu QinQ, %zu with an 802.1ad outer tag, %zu ARP, %zu padded), "
                "%zu fields equal, none malformed, no expert error",
                res.frames, two, ad, arp, res.trailers, res.fields);
    free_frames(&fr);
}

/* An IPv4/UDP, IPv6/UDP or (cooked only) ARP packet built by pktcraft
 * after a link header the test writes by hand; returns the frame length. */
static int random_link_frame(struct pc_rng *r, int linktype, uint8_t *b, size_t cap)
{
    size_t hl = linktype == PC_LINK_SLL ? 16 : linktype == PC_LINK_SLL2 ? 20 : 4;
    int kind = (int)rnd(r, linktype == PC_LINK_SLL || linktype == PC_LINK_SLL2 ? 3 : 2); /* 0 v4, 1 v6, 2 arp */
    struct pc_pkt pk;
    pc_pkt_init(&pk, b + hl, cap - hl);
    uint8_t pay[MAXPAY];
    size_t plen = rnd(r, MAXPAY + 1);
    rbytes(r, pay, plen);
    if (kind == 2) {
        struct pc_arp a;
        random_arp(r, &a, 1);
        pc_push_arp(&pk, &a);
    } else {
        if (kind == 0) {
            struct pc_ipv4 ip = { .ttl = (uint8_t)(1 + rnd(r, 255)), .id = (uint16_t)rnd(r, 65536) };
            rbytes(r, ip.src, 4);
            rbytes(r, ip.dst, 4);
            ip.src[0] = (uint8_t)(1 + rnd(r, 223));
            ip.dst[0] = (uint8_t)(1 + rnd(r, 223));
            pc_push_ipv4(&pk, &ip);
        } else {
            struct pc_ipv6 ip = { .hlim = (uint8_t)(1 + rnd(r, 255)), .flowlabel = rnd(r, 1u << 20) };
            rbytes(r, ip.src, 16);
            rbytes(r, ip.dst, 16);
            ip.src[0] = 0x20; /* global unicast 2000::/3 */
            ip.dst[0] = 0x20;
            pc_push_ipv6(&pk, &ip);
        }
        pc_push_udp(&pk, &(struct pc_udp){ .sport = free_port(r), .dport = free_port(r) });
        if (plen) pc_push_payload(&pk, pay, plen);
    }
    int n = pc_pkt_finalize(&pk);
    cr_assert_gt(n, 0, "finalize: %s", pc_strerror(n));
    uint16_t proto = kind == 0 ? PC_ETHERTYPE_IPV4 : kind == 1 ? PC_ETHERTYPE_IPV6 : PC_ETHERTYPE_ARP;
    uint8_t addr[8] = { 0 };
    rbytes(r, addr, 6);
    uint16_t halen = rnd(r, 4) ? 6 : 0;
    switch (linktype) {
    case PC_LINK_SLL:
        pc_put16(b, (uint16_t)rnd(r, 5));
        pc_put16(b + 2, PC_ARPHRD_ETHER);
        pc_put16(b + 4, halen);
        memcpy(b + 6, addr, 8);
        pc_put16(b + 14, proto);
        break;
    case PC_LINK_SLL2:
        pc_put16(b, proto);
        pc_put16(b + 2, 0);
        pc_put32(b + 4, rnd(r, 4) ? 1 + rnd(r, 64) : (uint32_t)pc_rng_next(r));
        pc_put16(b + 8, PC_ARPHRD_ETHER);
        b[10] = (uint8_t)rnd(r, 5);
        b[11] = (uint8_t)halen;
        memcpy(b + 12, addr, 8);
        break;
    default: {
        /* tshark knows the BSD IPv6 families but not Linux's 10 on NULL
         * (it shows "data"), so 10 is left out of this comparison; the
         * known-bytes test covers it. */
        static const uint32_t fam6[] = { PC_AF_INET6_BSD, PC_AF_INET6_FREEBSD, PC_AF_INET6_DARWIN };
        uint32_t fam = kind == 0 ? PC_AF_INET : fam6[rnd(r, 3)];
        if (linktype == PC_LINK_LOOP || rnd(r, 2)) pc_put32(b, fam);
        else pc_put32le(b, fam);
        break;
    }
    }
    return (int)hl + n;
}

/* Cooked v1 / v2 and NULL / LOOP headers with random packet types,
 * interface indexes, addresses and byte orders: tshark must read the
 * same header fields and reach the same IPv4, IPv6 or ARP layer. */
Test(link, tshark_cooked_and_loopback_agree)
{
    static char heur[16384];
    const char *tshark = th_tshark_setup(g_dir, &g_ports, heur, sizeof heur, NULL), *dir = g_dir;
    struct pc_rng r;
    pc_rng_seed(&r, UINT64_C(0x11A4C0DE0005));
    static const struct { const char *name; int lt; } types[] = {
        { "sll", PC_LINK_SLL }, { "sll2", PC_LINK_SLL2 }, { "null", PC_LINK_NULL }, { "loop", PC_LINK_LOOP },
    };
    size_t fields = 0, frames = 0;
    for (size_t t = 0; t < 4; t++) {
        struct frames fr;
        alloc_frames(&fr, 300);
        for (size_t i = 0; i < fr.n; i++) fr.len[i] = random_link_frame(&r, types[t].lt, fr.b[i], sizeof fr.b[i]);
        struct ts_result res = tshark_compare(tshark, dir, heur, types[t].name, types[t].lt, &fr);
        fields += res.fields;
        frames += res.frames;
        free_frames(&fr);
    }
    cr_log_info("tshark cooked/loopback: %zu frames of 4 link types, %zu fields equal", frames, fields);
}

/* ================================================================ real captures */

struct corpus_stats { size_t packets, ipv4, ipv6, bad_tcp; };

/* Every packet of a real capture decodes without error to an IPv4 or
 * IPv6 layer right after the link header; then tshark must read the same
 * link fields and addresses packet by packet (frame.protocols is not
 * compared: tshark names the application protocols, we do not). */
static struct corpus_stats corpus_check(const char *rel, int want_linktype, uint8_t want_l2, size_t want_packets)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/../shared/corpus/%s", th_root(), rel);
    struct pc_err e;
    struct pc_reader *rd = pc_reader_open(path, &e);
    cr_assert_not_null(rd, "%s: %s", path, e.msg);
    cr_assert_eq(pc_reader_linktype(rd), want_linktype, "%s: link type %d", rel, pc_reader_linktype(rd));
    static struct pc_decoded d[256];
    cr_assert_leq(want_packets, 256);
    static uint8_t *copy[256];
    struct corpus_stats st = { 0 };
    struct pc_pkthdr h;
    const uint8_t *data;
    int rc;
    while ((rc = pc_reader_next(rd, &h, &data)) == 1) {
        cr_assert_lt(st.packets, want_packets, "%s: more packets than expected", rel);
        copy[st.packets] = malloc(h.caplen ? h.caplen : 1);
        memcpy(copy[st.packets], data, h.caplen);
        struct pc_decoded *p = &d[st.packets];
        int drc = pc_decode(p, copy[st.packets], h.caplen, h.len, h.linktype);
        size_t no = st.packets + 1;
        cr_assert_eq(drc, 0, "%s packet %zu: %s (%s: %s)", rel, no, pc_strerror(drc), chain(p),
                     p->n ? (p->l[p->n - 1].why ? p->l[p->n - 1].why : "") : "");
        cr_assert_eq(p->l[0].proto, want_l2, "%s packet %zu: %s", rel, no, chain(p));
        cr_assert_eq(p->l2, 0);
        cr_assert_eq(p->l3, 1, "%s packet %zu: %s", rel, no, chain(p));
        uint8_t l3 = p->l[1].proto;
        cr_assert(l3 == PC_P_IPV4 || l3 == PC_P_IPV6, "%s packet %zu: %s", rel, no, chain(p));
        st.ipv4 += l3 == PC_P_IPV4;
        st.ipv6 += l3 == PC_P_IPV6;
        for (int i = 0; i < p->n; i++) {
            cr_assert_eq(p->l[i].flags & (PC_LF_MALFORMED | PC_LF_TRUNC), 0, "%s packet %zu layer %d", rel, no, i);
            describe(p, i, false);
            describe(p, i, true);
        }
        st.packets++;
    }
    cr_assert_eq(rc, 0, "%s: %s", rel, pc_reader_err(rd)->msg);
    cr_assert_eq(st.packets, want_packets, "%s: %zu packets", rel, st.packets);
    pc_reader_close(rd);

    const char *tshark = th_tshark_setup(g_dir, NULL, NULL, 0, NULL), *dir = g_dir;
    static const char *const CF[] = { "sll.pkttype", "sll.hatype", "sll.halen", "sll.src.eth", "sll.etype",
                                      "sll.ifindex", "null.family", "ip.src", "ip.dst", "ipv6.src", "ipv6.dst",
                                      "tcp.srcport", "tcp.dstport", "tcp.checksum.status", "_ws.malformed" };
    static const int map[] = { C_SLL_PKT, C_SLL_HAT, C_SLL_HALEN, C_SLL_SRC, C_SLL_ETYPE, C_SLL_IFX, C_NULL_FAM,
                               C_IP_SRC, C_IP_DST, C_IP6_SRC, C_IP6_DST, C_TCP_SP, C_TCP_DP, C_TCP_CS };
    enum { NCF = sizeof CF / sizeof CF[0] };
    th_tshark_fields(&g_rows, tshark, dir, path, NULL, TH_TS_CHECKSUMS TH_TS_NO_SEQ, CF, NCF);
    char **rows = g_rows.row;
    size_t nrows = g_rows.n;
    cr_assert_eq(nrows, st.packets, "%s: tshark saw %zu packets", rel, nrows);
    static char exp[NCOL][256];
    for (size_t i = 0; i < nrows; i++) {
        char *cols[NCF];
        th_split_cols(rows[i], cols, NCF, i + 1);
        expected_cols(&d[i], exp);
        for (size_t c = 0; c + 1 < NCF; c++)
            cr_assert_str_eq(cols[c], exp[map[c]], "%s packet %zu field %s: tshark \"%s\", pktcraft \"%s\"", rel, i + 1,
                             CF[c], cols[c], exp[map[c]]);
        /* Captured before checksum offload filled it in, a TCP checksum is
         * bad for both of us; tshark then stops reassembling the stream
         * and may call the application data malformed.  Elsewhere it must
         * find nothing wrong. */
        if (strcmp(cols[NCF - 2], "0") != 0)
            cr_assert_str_empty(cols[NCF - 1], "%s packet %zu: tshark calls it malformed", rel, i + 1);
        else st.bad_tcp++;
    }
    th_rows_free(&g_rows);
    for (size_t i = 0; i < st.packets; i++) free(copy[i]);
    return st;
}

Test(link, corpus_sll2_reaches_ip)
{
    struct corpus_stats st =
        corpus_check("suricata-verify/tests/decode-sll2-02/input.pcap", PC_LINK_SLL2, PC_P_SLL2, 159);
    cr_assert_eq(st.ipv4, 159);
    cr_log_info("corpus sll2: %zu packets, all IPv4, tshark agrees (%zu bad TCP checksums on both sides)", st.packets,
                st.bad_tcp);
}

Test(link, corpus_sll_reaches_ip)
{
    struct corpus_stats st =
        corpus_check("suricata-verify/tests/smb-named-pipe-ascii/input.pcap", PC_LINK_SLL, PC_P_SLL, 23);
    cr_assert_eq(st.ipv4, 23);
    cr_log_info("corpus sll: %zu packets, all IPv4, tshark agrees (%zu bad TCP checksums on both sides)", st.packets,
                st.bad_tcp);
}

Test(link, corpus_null_reaches_ip)
{
    struct corpus_stats st = corpus_check("gopacket/pcap/test_loopback.pcap", PC_LINK_NULL, PC_P_NULL, 24);
    cr_assert_eq(st.ipv6, 24, "the loopback capture is IPv6 over family 30 (macOS)");
    cr_log_info("corpus null: %zu packets, all IPv6, tshark agrees (%zu bad TCP checksums on both sides)", st.packets,
                st.bad_tcp);
}

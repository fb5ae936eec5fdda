/* The CLI's reach into the IP layer (issue 10): --ip-opt (every kind, the
 * 40-byte limit, refusals), --frag-spec (overlaps, MF defaults, bytes past
 * the end, refusals), Record Route on a ping and on the time-exceeded reply
 * that quotes it, --dst against an SRH's active segment, and the single
 * payload source.  tshark is the oracle, one call per capture, with its
 * checksum checks on; our own reader only looks at raw header bytes. */
#include <criterion/criterion.h>
#include <criterion/logging.h>

#include <unistd.h>

#include "oracle.h"

static char dir[64];
static void setup(void) { th_tmpdir(dir); }
static void teardown(void) { th_rmdir(dir); }

TestSuite(ipopt, .init = setup, .fini = teardown, .timeout = 1800);

#define START "--start 1700000000 "

static void run_ok(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void run_ok(const char *fmt, ...)
{
    char args[4096];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(args, sizeof args, fmt, ap);
    va_end(ap);
    th_cli_expect(dir, 0, "", "%s", args);
}

/* The command must fail with code and a message holding needle, and leave
 * no capture behind. */
static void expect_fail(const char *args, int code, const char *needle)
{
    char p[128];
    th_cli_expect(dir, code, needle, "%s -o '%s/refused.pcap'", args, dir);
    snprintf(p, sizeof p, "%s/refused.pcap", dir);
    cr_assert_neq(access(p, F_OK), 0, "'%s': a refused command must leave no file", args);
}

/* One tshark call on dir/name: '|'-separated fields, every occurrence
 * joined by ',', one line per frame; checksum checks of IP, UDP and TCP on. */
static char *tshark_rows(const char *name, const char *fields)
{
    th_tshark_require();
    char cmd[2048];
    snprintf(cmd, sizeof cmd,
             "tshark -o ip.check_checksum:TRUE -o udp.check_checksum:TRUE -o tcp.check_checksum:TRUE "
             "-r '%s/%s' -T fields -E occurrence=a -E aggregator=, -E separator='|' %s 2>/dev/null",
             dir, name, fields);
    return th_cmd_output(cmd, NULL);
}

/* Compare tshark's rows with want, line by line, naming the first that differs. */
static void expect_rows(const char *name, const char *fields, const char *const *want, size_t n)
{
    char *out = tshark_rows(name, fields);
    char *save = NULL, *line = strtok_r(out, "\n", &save);
    size_t k = 0;
    for (; line; line = strtok_r(NULL, "\n", &save), k++) {
        cr_assert_lt(k, n, "%s: more frames than the %zu expected (frame %zu: %s)", name, n, k + 1, line);
        cr_assert_str_eq(line, want[k], "%s frame %zu (fields %s): got '%s', want '%s'", name, k + 1, fields, line,
                         want[k]);
    }
    cr_assert_eq(k, n, "%s: %zu frames, want %zu", name, k, n);
    free(out);
}

/* Bytes of frame k (1-based) of dir/name, read with our reader. */
static size_t frame_bytes(const char *name, int k, uint8_t *out, size_t cap)
{
    char p[128];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    struct pc_err err = { 0 };
    struct pc_reader *r = pc_reader_open(p, &err);
    cr_assert_not_null(r, "%s: %s", p, err.msg);
    struct pc_pkthdr h;
    const uint8_t *data = NULL;
    for (int i = 0; i < k; i++) cr_assert_eq(pc_reader_next(r, &h, &data), 1, "%s has no frame %d", name, k);
    size_t n = h.caplen < cap ? h.caplen : cap;
    memcpy(out, data, n);
    pc_reader_close(r);
    return n;
}

/* ================================================================= --ip-opt */

/* Every kind, each on its own frame of one capture: the types, lengths,
 * pointers and flags tshark reads, the header length, good checksums (UDP
 * and TCP over a source route's final destination too), no expert info. */
Test(ipopt, every_kind_in_tshark)
{
    static const char *const runs[] = {
        "udp --src 10.0.0.1 --dst 10.0.0.2 --ip-opt rr",
        "udp --src 10.0.0.1 --dst 10.0.0.2 --ip-opt rr:2 --ip-opt nop --ip-opt eol",
        "udp --src 10.0.0.1 --dst 10.0.0.2 --ip-opt ts",
        "udp --src 10.0.0.1 --dst 10.0.0.2 --ip-opt ts-addr:2",
        "udp --src 10.0.0.1 --dst 10.0.0.2 --ip-opt ts-prespec:10.9.9.9,10.8.8.8",
        "udp --src 10.0.0.1 --dst 10.0.0.9 --ip-opt lsrr:10.0.1.1,10.0.2.2 --data x",
        "tcp --src 10.0.0.1 --dst 10.0.0.9 --ip-opt ssrr:10.0.1.1,10.0.3.3",
        "udp --src 10.0.0.1 --dst 10.0.0.2 --ip-opt ra --ip-opt ra:1",
        "udp --src 10.0.0.1 --dst 10.0.0.2 --ip-opt raw:88040102",
    };
    for (size_t k = 0; k < sizeof runs / sizeof runs[0]; k++)
        run_ok("%s " START "%s -o '%s/all.pcap'", runs[k], k ? "--append" : "", dir);
    static const char *const want[] = {
        "60|7,0|39|4||||||10.0.0.2|1|1|||",
        "36|7,1,0|11|4||||||10.0.0.2|1|1|||",
        "60|68|40|5|0x00|||||10.0.0.2|1|1|||",
        "40|68|20|5|0x01|0.0.0.0,0.0.0.0||||10.0.0.2|1|1|||",
        "40|68|20|5|0x03|10.9.9.9,10.8.8.8||||10.0.0.2|1|1|||",
        /* tshark names the route's last address the destination */
        "32|131,0|11|4|||||10.0.1.1|10.0.2.2|1|1|||",
        "32|137,0|11|4|||||10.0.1.1|10.0.3.3|1||1||",
        "28|148,148|4,4||||0,1|||10.0.0.2|1|1|||",
        "24|136|4|||||258||10.0.0.2|1|1|||",
    };
    expect_rows("all.pcap",
                "-e ip.hdr_len -e ip.opt.type -e ip.opt.len -e ip.opt.ptr -e ip.opt.flag -e ip.opt.time_stamp_addr "
                "-e ip.opt.ra -e ip.opt.sid -e ip.src_rt -e ip.dst -e ip.checksum.status -e udp.checksum.status "
                "-e tcp.checksum.status -e _ws.expert.severity -e _ws.malformed",
                want, sizeof want / sizeof want[0]);
    /* On the wire the header's destination is the first hop (--dst), the
     * option the hops after it with the final destination last. */
    uint8_t f[256];
    cr_assert_geq(frame_bytes("all.pcap", 6, f, sizeof f), 14 + 32);
    static const uint8_t hdr_dst[4] = { 10, 0, 0, 9 };
    static const uint8_t lsrr[12] = { 131, 11, 4, 10, 0, 1, 1, 10, 0, 2, 2, 0 };
    cr_assert_eq(memcmp(f + 14 + 16, hdr_dst, 4), 0, "the header holds --dst");
    cr_assert_eq(memcmp(f + 14 + 20, lsrr, 12), 0, "LSRR as given, EOL-padded");
}

/* 40 bytes in all (after EOL padding), each kind's own limits, and the
 * commands and addresses --ip-opt does not apply to. */
Test(ipopt, limits_and_refusals)
{
    char a[512];
    run_ok("udp --src 10.0.0.1 --dst 10.0.0.2 --ip-opt rr --ip-opt nop " START "-o '%s/forty.pcap'", dir);
    static const char *const want[] = { "60|7,1||" };
    expect_rows("forty.pcap", "-e ip.hdr_len -e ip.opt.type -e _ws.expert.severity -e _ws.malformed", want, 1);
    const char *U = "udp --src 10.0.0.1 --dst 10.0.0.2 ";
    snprintf(a, sizeof a, "%s--ip-opt rr --ip-opt nop --ip-opt nop", U);
    expect_fail(a, 2, "--ip-opt nop: the options take 41 bytes before padding to 4, over the 40 an IPv4 header holds");
    snprintf(a, sizeof a, "%s--ip-opt ts --ip-opt ra", U);
    expect_fail(a, 2, "--ip-opt ra: the options take 44 bytes, over the 40");
    snprintf(a, sizeof a, "%s--ip-opt raw:%s", U, "0101010101010101010101010101010101010101010101010101010101010101010101010101010101");
    expect_fail(a, 2, "the options take 41 bytes");
    snprintf(a, sizeof a, "%s--ip-opt rr:10", U);
    expect_fail(a, 2, "--ip-opt rr: 10 is over the maximum of 9");
    snprintf(a, sizeof a, "%s--ip-opt rr:0", U);
    expect_fail(a, 2, "--ip-opt rr: at least 1 slot");
    snprintf(a, sizeof a, "%s--ip-opt ts-addr:5", U);
    expect_fail(a, 2, "--ip-opt ts-addr: 5 is over the maximum of 4");
    snprintf(a, sizeof a, "%s--ip-opt lsrr", U);
    expect_fail(a, 2, "--ip-opt lsrr needs addresses");
    snprintf(a, sizeof a, "%s--ip-opt ssrr:1.1.1.1,2.2.2.2,3.3.3.3,4.4.4.4,5.5.5.5,6.6.6.6,7.7.7.7,8.8.8.8,9.9.9.9,1.2.3.4", U);
    expect_fail(a, 2, "--ip-opt ssrr: at most 9 addresses");
    snprintf(a, sizeof a, "%s--ip-opt lsrr:2001:db8::1", U);
    expect_fail(a, 2, "--ip-opt lsrr");
    snprintf(a, sizeof a, "%s--ip-opt nop:3", U);
    expect_fail(a, 2, "--ip-opt nop takes no value");
    snprintf(a, sizeof a, "%s--ip-opt ra:65536", U);
    expect_fail(a, 2, "--ip-opt ra: 65536 is over the maximum of 65535");
    snprintf(a, sizeof a, "%s--ip-opt raw:", U);
    expect_fail(a, 2, "--ip-opt raw needs bytes");
    snprintf(a, sizeof a, "%s--ip-opt sec", U);
    expect_fail(a, 2, "--ip-opt: 'sec' is not rr, ts, ts-addr, ts-prespec, lsrr, ssrr, ra, nop, eol or raw");
    expect_fail("udp --src 2001:db8::1 --dst 2001:db8::2 --ip-opt ra", 2, "--ip-opt applies to IPv4 only");
    expect_fail("icmp6 --src 2001:db8::1 --dst 2001:db8::2 --ip-opt rr", 2, "--ip-opt does not apply to icmp6 (it builds no IPv4 header)");
    expect_fail("arp --src 10.0.0.1 --dst 10.0.0.2 --ip-opt ra", 2, "--ip-opt does not apply to arp (it builds no IPv4 header)");
    expect_fail("http --src 10.0.0.1 --dst 10.0.0.2 --ip-opt lsrr:10.1.1.1", 2,
                "--ip-opt lsrr/ssrr does not apply to a conversation");
}

/* Under --tunnel the options go on the inner (crafted) header; in a
 * conversation on every packet, both directions. */
Test(ipopt, tunnel_inner_header_and_conversations)
{
    run_ok("udp --src 10.0.0.1 --dst 10.0.0.2 --tunnel gre --outer-src 192.0.2.1 --outer-dst 192.0.2.2 --ip-opt rr:1 "
           START "-o '%s/gre.pcap'", dir);
    static const char *const gre[] = { "20,28|7,0|1,1|1||" };
    expect_rows("gre.pcap", "-e ip.hdr_len -e ip.opt.type -e ip.checksum.status -e udp.checksum.status "
                "-e _ws.expert.severity -e _ws.malformed", gre, 1);
    run_ok("session --src 10.0.0.1 --dst 10.0.0.2 --dport 80 --send hello --recv world --ip-opt ra " START
           "-o '%s/conv.pcap'", dir);
    char *out = tshark_rows("conv.pcap", "-e ip.hdr_len -e ip.opt.type -e ip.checksum.status -e tcp.checksum.status -e _ws.malformed");
    size_t rows = 0;
    for (char *save = NULL, *l = strtok_r(out, "\n", &save); l; l = strtok_r(NULL, "\n", &save), rows++)
        cr_assert_str_eq(l, "24|148|1|1|", "conversation frame %zu", rows + 1);
    cr_assert_geq(rows, 6, "a handshake, data both ways and a close");
    free(out);
}

/* The trial's Record Route task: a ping with an empty route, and the
 * time-exceeded error a router returns quoting it, both well-formed. */
Test(ipopt, record_route_ping_and_its_time_exceeded)
{
    run_ok("icmp --src 10.0.0.1 --dst 198.51.100.7 --ttl 1 --ip-opt rr --data abcdefgh " START "-o '%s/rr.pcap'", dir);
    run_ok("icmp --src 192.0.2.254 --dst 10.0.0.1 --type time-exceeded --quote '%s/rr.pcap' " START
           "-o '%s/te.pcap'", dir, dir);
    /* the nine empty slots */
    char *out = tshark_rows("rr.pcap", "-e ip.empty_rt");
    cr_assert_str_eq(out, "0.0.0.0,0.0.0.0,0.0.0.0,0.0.0.0,0.0.0.0,0.0.0.0,0.0.0.0,0.0.0.0,0.0.0.0\n");
    free(out);
    /* TTL 1, as a packet that dies at the first router: tshark's one note */
    static const char *const req2[] = { "60|7,0|4|8|0|1|1|4194304|\"Time To Live\" only 1|" };
    const char *fields = "-e ip.hdr_len -e ip.opt.type -e ip.opt.ptr -e icmp.type -e icmp.code -e ip.checksum.status "
                         "-e icmp.checksum.status -e _ws.expert.severity -e _ws.expert.message -e _ws.malformed";
    expect_rows("rr.pcap", fields, req2, 1);
    /* The error: the outer header plain, the quoted one with its option;
     * ICMP's own checksum good (the quoted echo's is not verified). */
    static const char *const te[] = { "20,60|7,0|4|11,8|0,0|1,1|1,2|4194304|\"Time To Live\" only 1|" };
    expect_rows("te.pcap", fields, te, 1);
    uint8_t f[256];
    size_t n = frame_bytes("te.pcap", 1, f, sizeof f);
    cr_assert_eq(n, 14 + 20 + 8 + 60 + 8 + 8, "the whole datagram quoted (RFC 1812, under 576 bytes)");
}

/* ============================================================== --frag-spec */

/* The overlap attack without hand-made hex: bytes 8..23 sent twice, the
 * second time with other content; tshark sees the overlap and its conflict. */
Test(ipopt, frag_spec_overlap_in_tshark)
{
    run_ok("udp --src 10.0.0.1 --dst 10.0.0.2 --data AAAAAAAABBBBBBBBCCCCCCCC --frag-spec 0:16 "
           "--frag-spec 8:16:hex:58585858585858585858585858585858 --frag-spec 24:8:0 " START "-o '%s/ov.pcap'", dir);
    static const char *const want[] = {
        "0|1|36|1||||",
        "1|1|36|1||||",
        "3|0|28|1|1|1|3|32",
    };
    expect_rows("ov.pcap",
                "-e ip.frag_offset -e ip.flags.mf -e ip.len -e ip.checksum.status -e ip.fragment.overlap "
                "-e ip.fragment.overlap.conflict -e ip.fragment.count -e ip.reassembled.length",
                want, 3);
    /* IPv6 too (the Fragment header's offset in 8-byte units). */
    run_ok("udp --src 2001:db8::1 --dst 2001:db8::2 --data AAAAAAAABBBBBBBBCCCCCCCC --frag-spec 0:16 "
           "--frag-spec 8:16:hex:58585858585858585858585858585858 --frag-spec 24:8 " START "-o '%s/ov6.pcap'", dir);
    static const char *const want6[] = { "0|1|||", "1|1|||", "3|0|1|1|3" };
    expect_rows("ov6.pcap",
                "-e ipv6.fraghdr.offset -e ipv6.fraghdr.more -e ipv6.fragment.overlap -e ipv6.fragment.overlap.conflict "
                "-e ipv6.fragment.count",
                want6, 3);
}

/* MF: 1 unless the fragment reaches the end, or as given; a fragment past
 * the end with its own bytes; the order as given; every packet of -c. */
Test(ipopt, frag_spec_mf_and_order)
{
    run_ok("udp --src 10.0.0.1 --dst 10.0.0.2 --ip-id 7 -c 2 --data AAAAAAAABBBBBBBBCCCCCCCC --frag-spec 0:8 "
           "--frag-spec 24:8 --frag-spec 8:16:0 --frag-spec 16:24:1:hex:%s " START "-o '%s/mf.pcap'",
           "5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a", dir);
    static const char *const want[] = {
        "0x0007|0|1|28|1|", "0x0007|3|0|28|1|", "0x0007|1|0|36|1|", "0x0007|2|1|44|1|",
        "0x0007|0|1|28|1|", "0x0007|3|0|28|1|", "0x0007|1|0|36|1|", "0x0007|2|1|44|1|",
    };
    expect_rows("mf.pcap", "-e ip.id -e ip.frag_offset -e ip.flags.mf -e ip.len -e ip.checksum.status -e _ws.malformed",
                want, 8);
    /* IP options: the fragment at offset 0 keeps them all, the others only
     * the copied ones (LSRR yes, RR no). */
    run_ok("udp --src 10.0.0.1 --dst 10.0.0.2 --ip-opt rr:1 --ip-opt lsrr:10.0.0.3 --data AAAAAAAABBBBBBBB "
           "--frag-spec 8:16 --frag-spec 0:8 " START "-o '%s/opt.pcap'", dir);
    static const char *const opt[] = { "28|131,0|1|0", "36|7,131,0|1|1" };
    expect_rows("opt.pcap", "-e ip.hdr_len -e ip.opt.type -e ip.checksum.status -e ip.flags.mf", opt, 2);
}

Test(ipopt, frag_spec_refusals)
{
    const char *U = "udp --src 10.0.0.1 --dst 10.0.0.2 --data AAAAAAAABBBBBBBBCCCCCCCC ";
    char a[512];
    snprintf(a, sizeof a, "%s--frag-spec 16:24", U);
    expect_fail(a, 2, "--frag-spec 16:24: the fragment ends at byte 40, past the end of packet 1's 32 bytes of IP "
                      "payload (give its bytes with :hex:)");
    snprintf(a, sizeof a, "%s--frag-spec 0:8 --frag 8", U);
    expect_fail(a, 2, "--frag-spec and --frag both fragment the packet: give one");
    snprintf(a, sizeof a, "%s--frag-spec 0:8 --frag-order reverse", U);
    expect_fail(a, 2, "--frag-order applies to --frag");
    snprintf(a, sizeof a, "%s--frag-spec 4:8", U);
    expect_fail(a, 2, "--frag-spec 4:8: the offset 4 is not a multiple of 8");
    snprintf(a, sizeof a, "%s--frag-spec 8:0", U);
    expect_fail(a, 2, "--frag-spec 8:0: the length must be at least 1");
    snprintf(a, sizeof a, "%s--frag-spec 8:8:2", U);
    expect_fail(a, 2, "--frag-spec 8:8:2: MF is 0 or 1, not '2'");
    snprintf(a, sizeof a, "%s--frag-spec 8:8:hex:4142", U);
    expect_fail(a, 2, "--frag-spec 8:8:hex:4142: 2 bytes of hex for a length of 8");
    snprintf(a, sizeof a, "%s--frag-spec 8", U);
    expect_fail(a, 2, "--frag-spec 8: not OFFSET:LEN[:MF][:hex:BYTES]");
    snprintf(a, sizeof a, "%s--frag-spec 8:8:1:1", U);
    expect_fail(a, 2, "--frag-spec 8:8:1:1: not OFFSET:LEN[:MF][:hex:BYTES]");
    snprintf(a, sizeof a, "%s--frag-spec x:8", U);
    expect_fail(a, 2, "--frag-spec OFFSET: 'x' is not a number");
    snprintf(a, sizeof a, "%s--frag-spec 65536:8", U);
    expect_fail(a, 2, "--frag-spec OFFSET: 65536 is over the maximum of 65528");
    expect_fail("udp --src 2001:db8::1 --dst 2001:db8::2 --ipv6-ext frag --frag-spec 0:8", 2,
                "--frag-spec: the packet already has a Fragment header");
    expect_fail("arp --src 10.0.0.1 --dst 10.0.0.2 --frag-spec 0:8", 2, "--frag-spec does not apply to arp (it builds no IP header)");
    expect_fail("http --src 10.0.0.1 --dst 10.0.0.2 --frag-spec 0:8", 2, "--frag-spec does not apply here");
}

/* ============================================================ routing headers */

/* RFC 8754 4.1: the destination is Segment List[Segments Left]. */
Test(ipopt, srh_destination_follows_the_segment_list)
{
    run_ok("udp --src 2001:db8::1 --ipv6-ext srh:2001:db8::9,2001:db8::3 " START "-o '%s/srh.pcap'", dir);
    run_ok("udp --src 2001:db8::1 --dst 2001:db8::3 --ipv6-ext srh:2001:db8::9,2001:db8::3 " START
           "--append -o '%s/srh.pcap'", dir);
    run_ok("udp --src 2001:db8::1 --dst 2001:db8::9 --ipv6-ext srh:2001:db8::9,2001:db8::3 --set ip6ext.segleft=0 "
           START "--append -o '%s/srh.pcap'", dir);
    /* A deliberate contradiction stays possible with --set ip6.dst. */
    run_ok("udp --src 2001:db8::1 --dst 2001:db8::5 --ipv6-ext srh:2001:db8::9,2001:db8::3 --set ip6.dst=2001:db8::5 "
           START "--append -o '%s/srh.pcap'", dir);
    static const char *const want[] = {
        "2001:db8::3|1|2001:db8::9,2001:db8::3|1|",
        "2001:db8::3|1|2001:db8::9,2001:db8::3|1|",
        "2001:db8::9|0|2001:db8::9,2001:db8::3|1|",
        "2001:db8::5|1|2001:db8::9,2001:db8::3|1|",
    };
    expect_rows("srh.pcap",
                "-e ipv6.dst -e ipv6.routing.segleft -e ipv6.routing.srh.addr -e udp.checksum.status -e _ws.malformed",
                want, 4);
    expect_fail("udp --src 2001:db8::1 --dst 2001:db8::5 --ipv6-ext srh:2001:db8::9,2001:db8::3", 2,
                "--dst 2001:db8::5 is not the SRH's active segment 2001:db8::3 (Segment List[1], Segments Left 1)");
    expect_fail("udp --src 2001:db8::1 --dst 2001:db8::3 --ipv6-ext srh:2001:db8::9,2001:db8::3 --set ip6ext.segleft=0",
                2, "--dst 2001:db8::3 is not the SRH's active segment 2001:db8::9 (Segment List[0], Segments Left 0)");
    /* Type 2 holds the home address only; the destination is the care-of. */
    expect_fail("udp --src 2001:db8::1 --dst 2001:db8::5 --ipv6-ext rt2:2001:db8::9,2001:db8::3", 2,
                "--ipv6-ext rt2: a type 2 routing header holds one address");
    run_ok("udp --src 2001:db8::1 --dst 2001:db8::5 --ipv6-ext rt2:2001:db8::9 " START "-o '%s/rt2.pcap'", dir);
    static const char *const rt2[] = { "2001:db8::5|1|2|" };
    expect_rows("rt2.pcap", "-e ipv6.dst -e ipv6.routing.segleft -e ipv6.routing.type -e _ws.malformed", rt2, 1);
}

/* ============================================================== payload */

Test(ipopt, one_payload_source)
{
    const char *U = "udp --src 10.0.0.1 --dst 10.0.0.2 ";
    char a[512];
    snprintf(a, sizeof a, "%s--hex 41 --data B", U);
    expect_fail(a, 2, "--hex and --data both give the payload: use one of them");
    snprintf(a, sizeof a, "%s--data B --data-file /dev/null", U);
    expect_fail(a, 2, "--data and --data-file both give the payload");
    snprintf(a, sizeof a, "%s--data-file /dev/null --hex 41", U);
    expect_fail(a, 2, "--data-file and --hex both give the payload");
    expect_fail("raw --hex 00 --data x", 2, "--hex and --data both give the payload");
    run_ok("%s--data A --data BC " START "-o '%s/twice.pcap'", U, dir);
    static const char *const want[] = { "4243" };
    expect_rows("twice.pcap", "-e data.data", want, 1);
}

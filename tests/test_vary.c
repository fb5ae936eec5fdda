/* Values that vary per packet and the bookkeeping options: the sets of
 * cli/vary.c (unit tests), and end to end with tshark as the oracle:
 * ranges, prefixes, lists and random on every single-packet command,
 * --step, --rate, --append continuing the clock, the default seed,
 * per-packet comments and --reply-to (the 100-port scan with replies). */
#include <criterion/criterion.h>

#include "helpers.h"
#include "oracle.h"
#include "../cli/vary.h" /* vary.c is compiled into the tests by test_fuzz.c */

static char dir[64];
static void setup(void) { th_tmpdir(dir); }
static void teardown(void) { th_rmdir(dir); }

TestSuite(vary, .init = setup, .fini = teardown, .timeout = 1800);

/* ------------------------------------------------------------ unit */

static struct vary_set parse_ok(int kind, const char *arg)
{
    struct vary_set s;
    char err[512];
    int rc = vary_parse(&s, kind, "--x", arg, err, sizeof err);
    cr_assert_eq(rc, 0, "'%s' refused: %s", arg, err);
    return s;
}

static void parse_bad(int kind, const char *arg, const char *needle)
{
    struct vary_set s;
    char err[512] = "";
    int rc = vary_parse(&s, kind, "--x", arg, err, sizeof err);
    cr_assert_eq(rc, PC_EINVAL, "'%s' accepted", arg);
    cr_assert(strstr(err, needle), "'%s': message '%s' lacks '%s'", arg, err, needle);
    cr_assert(!strncmp(err, "--x", 3), "'%s': message does not name the option: %s", arg, err);
}

/* Value number i of s as text. */
static const char *at_text(const struct vary_set *s, uint64_t i)
{
    static char out[64];
    uint8_t v[16] = { 0 };
    vary_at(s, (struct vary_u128){ 0, i }, v);
    if (s->kind == VARY_PORT) snprintf(out, sizeof out, "%u", v[0] << 8 | v[1]);
    else inet_ntop(s->ver == 4 ? AF_INET : AF_INET6, v, out, sizeof out);
    return out;
}

Test(vary, ipv4_ranges_prefixes_and_lists)
{
    struct vary_set s = parse_ok(VARY_IP, "10.0.0.1-10.0.0.254");
    cr_assert_eq(vary_count(&s), 254);
    cr_assert_str_eq(at_text(&s, 0), "10.0.0.1");
    cr_assert_str_eq(at_text(&s, 253), "10.0.0.254");
    /* a prefix: every address, network and broadcast included; host bits ignored */
    s = parse_ok(VARY_IP, "10.0.0.77/24");
    cr_assert_eq(vary_count(&s), 256);
    cr_assert_str_eq(at_text(&s, 0), "10.0.0.0");
    cr_assert_str_eq(at_text(&s, 255), "10.0.0.255");
    s = parse_ok(VARY_IP, "0.0.0.0/0");
    cr_assert_eq(vary_count(&s), UINT64_C(1) << 32);
    cr_assert_str_eq(at_text(&s, UINT32_MAX), "255.255.255.255");
    /* a list walks its items in order, each a value, range or prefix */
    s = parse_ok(VARY_IP, "10.0.0.1,10.0.1.0/30,10.0.2.5-10.0.2.6");
    cr_assert_eq(vary_count(&s), 7);
    const char *want[] = { "10.0.0.1", "10.0.1.0", "10.0.1.1", "10.0.1.2", "10.0.1.3", "10.0.2.5", "10.0.2.6" };
    for (uint64_t i = 0; i < 7; i++) cr_assert_str_eq(at_text(&s, i), want[i], "value %llu", (unsigned long long)i);
    s = parse_ok(VARY_IP, "192.0.2.1");
    cr_assert(!vary_varies(&s));
    cr_assert_eq(vary_count(&s), 1);
    s = parse_ok(VARY_PORT, "22,80,443,8000-8100");
    cr_assert_eq(vary_count(&s), 104);
    cr_assert_str_eq(at_text(&s, 3), "8000");
    cr_assert_str_eq(at_text(&s, 103), "8100");
}

Test(vary, ipv6_ranges_cross_byte_and_word_boundaries)
{
    struct vary_set s = parse_ok(VARY_IP, "2001:db8::fe-2001:db8::101");
    cr_assert_eq(s.ver, 6);
    cr_assert_eq(vary_count(&s), 4);
    const char *want[] = { "2001:db8::fe", "2001:db8::ff", "2001:db8::100", "2001:db8::101" };
    for (uint64_t i = 0; i < 4; i++) cr_assert_str_eq(at_text(&s, i), want[i]);
    /* across the two 64-bit halves */
    s = parse_ok(VARY_IP, "2001:db8::ffff:ffff:ffff:fffe-2001:db8:0:1::1");
    cr_assert_eq(vary_count(&s), 4);
    cr_assert_str_eq(at_text(&s, 1), "2001:db8::ffff:ffff:ffff:ffff");
    cr_assert_str_eq(at_text(&s, 2), "2001:db8:0:1::");
    cr_assert_str_eq(at_text(&s, 3), "2001:db8:0:1::1");
    s = parse_ok(VARY_IP, "2001:db8::/65");
    cr_assert_eq(vary_count(&s), UINT64_C(1) << 63);
    cr_assert_str_eq(at_text(&s, (UINT64_C(1) << 63) - 1), "2001:db8::7fff:ffff:ffff:ffff");
    /* 2^64 and more values: the count saturates, the size does not wrap */
    s = parse_ok(VARY_IP, "2001:db8::/64");
    cr_assert_eq(vary_count(&s), UINT64_MAX);
    cr_assert(s.size.hi == 1 && s.size.lo == 0);
    s = parse_ok(VARY_IP, "::/0");
    cr_assert(s.size.hi == UINT64_MAX && s.size.lo == UINT64_MAX);
    cr_assert_str_eq(at_text(&s, 5), "::5");
    s = parse_ok(VARY_IP, "2001:db8::1,2001:db8::/127");
    cr_assert_eq(vary_count(&s), 3);
}

Test(vary, bad_sets_are_refused_with_the_option_named)
{
    parse_bad(VARY_IP, "10.0.0.9-10.0.0.1", "ends before it starts");
    parse_bad(VARY_IP, "10.0.0.1,2001:db8::1", "is IPv6 but the other addresses are IPv4");
    parse_bad(VARY_IP, "10.0.0.1,,10.0.0.2", "an empty item");
    parse_bad(VARY_IP, "10.0.0.0/33", "prefix length of 0 to 32");
    parse_bad(VARY_IP, "2001:db8::/129", "prefix length of 0 to 128");
    parse_bad(VARY_IP, "10.0.0.1,random", "random stands alone");
    parse_bad(VARY_IP, "random:10.0.0.1", "random:PREFIX/LEN");
    parse_bad(VARY_IP, "10.0.0.300", "is not an IPv4 or IPv6 address");
    parse_bad(VARY_PORT, "1-70000", "over the maximum of 65535");
    parse_bad(VARY_PORT, "100-1", "ends before it starts");
    parse_bad(VARY_PORT, "random:1", "plain 'random'");
    parse_bad(VARY_MAC, "random:1", "plain 'random'");
    parse_bad(VARY_MAC, "02:00:00:00:00:09-02:00:00:00:00:01", "ends before it starts");
    /* at most VARY_MAX_ITEMS items */
    char list[1024] = "";
    for (int k = 0; k < VARY_MAX_ITEMS; k++) th_append(list, sizeof list, "%d", k + 1);
    for (char *p = list; *p; p++) if (*p == '|') *p = ',';
    struct vary_set s = parse_ok(VARY_PORT, list);
    cr_assert_eq(vary_count(&s), VARY_MAX_ITEMS);
    strcat(list, ",99");
    parse_bad(VARY_PORT, list, "at most 64 items");
}

Test(vary, random_values_stay_in_their_sets_and_follow_the_seed)
{
    struct vary_set any = parse_ok(VARY_IP, "random"), net = parse_ok(VARY_IP, "random:10.0.0.0/8");
    struct vary_set port = parse_ok(VARY_PORT, "random"), mac = parse_ok(VARY_MAC, "random");
    struct vary_set six = parse_ok(VARY_IP, "random");
    cr_assert(vary_random_to_v6(&six));
    cr_assert(vary_varies(&any) && vary_count(&any) == 1);
    struct pc_rng r, r2, r3;
    pc_rng_seed(&r, 7);
    pc_rng_seed(&r2, 7);
    pc_rng_seed(&r3, 8);
    bool seen_high = false;
    for (int i = 0; i < 20000; i++) {
        uint8_t a[16] = { 0 }, b[16] = { 0 };
        vary_draw(&any, &r, a);
        vary_draw(&any, &r2, b);
        cr_assert(!memcmp(a, b, 4), "the same seed drew different values");
        cr_assert(a[0] != 0 && a[0] != 127 && a[0] < 224, "random drew %u.%u.%u.%u", a[0], a[1], a[2], a[3]);
        seen_high |= a[0] > 200;
        vary_draw(&net, &r3, a);
        cr_assert_eq(a[0], 10);
        vary_draw(&port, &r3, a);
        cr_assert((a[0] << 8 | a[1]) >= 1024);
        vary_draw(&mac, &r3, a);
        cr_assert_eq(a[0] & 3, 2, "a random MAC must be locally administered unicast: %02x", a[0]);
        vary_draw(&six, &r3, a);
        cr_assert(a[0] == 0x20 && a[1] == 0x01 && a[2] == 0x0d && a[3] == 0xb8);
    }
    cr_assert(seen_high, "random never drew above 200.x: not uniform");
}

Test(vary, sequential_odometer_dport_fastest_and_random_step)
{
    struct vary v;
    memset(&v, 0, sizeof v);
    v.f[VF_SRC] = parse_ok(VARY_IP, "10.0.0.1-10.0.0.2");
    v.f[VF_DST] = parse_ok(VARY_IP, "10.0.1.5");
    v.f[VF_SPORT] = parse_ok(VARY_PORT, "7,8");
    v.f[VF_DPORT] = parse_ok(VARY_PORT, "1-3");
    cr_assert_eq(vary_product(&v), 12);
    cr_assert(vary_active(&v));
    for (uint64_t i = 0; i < 30; i++) {
        vary_pick(&v, i);
        uint64_t k = i % 12;
        cr_assert_eq(v.cur[VF_DPORT][1], 1 + k % 3, "packet %llu", (unsigned long long)i);
        cr_assert_eq(v.cur[VF_SPORT][1], 7 + (k / 3) % 2);
        cr_assert_eq(v.cur[VF_SRC][3], 1 + k / 6);
    }
    v.step = VARY_RANDOM;
    pc_rng_seed(&v.rng, 3);
    int hist[3] = { 0 };
    for (int i = 0; i < 3000; i++) {
        vary_pick(&v, 0);
        cr_assert(v.cur[VF_DPORT][1] >= 1 && v.cur[VF_DPORT][1] <= 3);
        hist[v.cur[VF_DPORT][1] - 1]++;
    }
    for (int k = 0; k < 3; k++) cr_assert(hist[k] > 800, "random step: port %d drawn %d times of 3000", k + 1, hist[k]);
}

/* ------------------------------------------------------- end to end */

static int cli(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int cli(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int st = th_cli_vrun(dir, NULL, fmt, ap);
    va_end(ap);
    return st;
}

static void expect_fail(int code, const char *needle, const char *args) { th_cli_expect(dir, code, needle, "%s", args); }

/* One tshark call: the rows of -T fields (fields separated by '|'). */
static struct th_rows fields(const char *file, const char *opts)
{
    const char *ts = th_tshark_require();
    char cmd[8192];
    snprintf(cmd, sizeof cmd, "cd '%s' && '%s' -n -o tcp.check_checksum:TRUE -r '%s' -T fields -E separator='|' %s 2>/dev/null",
             dir, ts, file, opts);
    struct th_rows r = { th_cmd_output(cmd, NULL), NULL, 0 };
    size_t cap = 16;
    r.row = malloc(cap * sizeof *r.row);
    for (char *p = r.text, *nl; *p; p = nl + 1) {
        if (!(nl = strchr(p, '\n'))) break;
        *nl = 0;
        if (r.n == cap) r.row = realloc(r.row, (cap *= 2) * sizeof *r.row);
        r.row[r.n++] = p;
    }
    return r;
}

static bool same_bytes(const char *a, const char *b) { return th_sh("cd '%s' && cmp -s '%s' '%s'", dir, a, b) == 0; }

Test(vary, sequential_sets_walk_every_command)
{
    /* 2 sources x 2 destinations x 2 sports x 3 dports = 24, -c 30 wraps */
    cr_assert_eq(cli("udp --src 10.0.0.1-10.0.0.2 --dst 10.0.1.0/31 --sport 7,8 --dport 1-3 --start 1 -o u.pcap"), 0);
    struct th_rows r = fields("u.pcap", "-e ip.src -e ip.dst -e udp.srcport -e udp.dstport");
    cr_assert_eq(r.n, 24, "the default count is the product of the sets");
    th_rows_free(&r);
    cr_assert_eq(cli("udp --src 10.0.0.1-10.0.0.2 --dst 10.0.1.0/31 --sport 7,8 --dport 1-3 -c 30 --start 1 -o u.pcap"), 0);
    r = fields("u.pcap", "-e ip.src -e ip.dst -e udp.srcport -e udp.dstport");
    cr_assert_eq(r.n, 30);
    for (size_t i = 0; i < r.n; i++) {
        size_t k = i % 24;
        char want[128];
        snprintf(want, sizeof want, "10.0.0.%zu|10.0.1.%zu|%zu|%zu", 1 + k / 12, (k / 6) % 2, 7 + (k / 3) % 2, 1 + k % 3);
        cr_assert_str_eq(r.row[i], want, "packet %zu", i + 1);
    }
    th_rows_free(&r);
    /* IPv6 across a byte boundary, ICMPv6 */
    cr_assert_eq(cli("icmp6 --src 2001:db8::1 --dst 2001:db8::ff-2001:db8::101 --start 1 -o i6.pcap"), 0);
    r = fields("i6.pcap", "-e ipv6.dst -e icmpv6.type -e _ws.expert.message");
    cr_assert_eq(r.n, 3);
    cr_assert_str_eq(r.row[0], "2001:db8::ff|128|");
    cr_assert_str_eq(r.row[1], "2001:db8::100|128|");
    cr_assert_str_eq(r.row[2], "2001:db8::101|128|");
    th_rows_free(&r);
    /* TCP ports in a list, ARP targets, DNS source ports, ICMP destinations, random smac */
    cr_assert_eq(cli("tcp --flags S --src 10.0.0.1 --dst 10.0.0.2 --dport 22,80,443,8000-8001 --start 1 -o t.pcap"), 0);
    r = fields("t.pcap", "-e tcp.dstport");
    cr_assert_eq(r.n, 5);
    cr_assert_str_eq(r.row[2], "443");
    cr_assert_str_eq(r.row[4], "8001");
    th_rows_free(&r);
    cr_assert_eq(cli("arp --src 10.0.0.1 --dst 10.0.0.0/30 --smac random --start 1 -o a.pcap"), 0);
    r = fields("a.pcap", "-e arp.dst.proto_ipv4 -e arp.src.hw_mac -e eth.src");
    cr_assert_eq(r.n, 4);
    cr_assert(!strncmp(r.row[3], "10.0.0.3|", 9), "%s", r.row[3]);
    char *bar = strchr(r.row[0], '|');
    cr_assert(!strncmp(bar + 1, bar + 19, 17), "the ARP sender MAC follows the varying --smac: %s", r.row[0]);
    cr_assert(strcmp(r.row[0] + 9, r.row[1] + 9), "--smac random gave the same MAC twice");
    th_rows_free(&r);
    cr_assert_eq(cli("dns --src 10.0.0.1 --dst 10.0.0.53 --qname a.example --sport 5000-5002 --start 1 -o d.pcap"), 0);
    r = fields("d.pcap", "-e udp.srcport -e dns.qry.name");
    cr_assert_eq(r.n, 3);
    cr_assert_str_eq(r.row[2], "5002|a.example");
    th_rows_free(&r);
    cr_assert_eq(cli("icmp --src 10.0.0.1 --dst 10.0.0.1,10.0.0.9 --start 1 -o i.pcap"), 0);
    r = fields("i.pcap", "-e ip.dst");
    cr_assert_eq(r.n, 2);
    cr_assert_str_eq(r.row[1], "10.0.0.9");
    th_rows_free(&r);
}

Test(vary, syn_flood_from_1000_random_sources)
{
    cr_assert_eq(cli("syn --src random:10.0.0.0/8 --dst 10.0.0.2 -c 1000 --step random --start 1 -o f1.pcap"), 0);
    cr_assert_eq(cli("syn --src random:10.0.0.0/8 --dst 10.0.0.2 -c 1000 --step random --start 1 -o f2.pcap"), 0);
    cr_assert(same_bytes("f1.pcap", "f2.pcap"), "the same command gave different bytes");
    struct th_rows r = fields("f1.pcap", "-e ip.src -e tcp.flags -e tcp.checksum.status");
    cr_assert_eq(r.n, 1000);
    size_t distinct = 0;
    for (size_t i = 0; i < r.n; i++) {
        cr_assert(!strncmp(r.row[i], "10.", 3), "row %zu: %s", i + 1, r.row[i]);
        cr_assert(strstr(r.row[i], "|0x0002|1"), "row %zu is not a SYN with a good checksum: %s", i + 1, r.row[i]);
        bool dup = false;
        for (size_t j = 0; j < i && !dup; j++) dup = !strcmp(r.row[i], r.row[j]);
        distinct += !dup;
    }
    cr_assert(distinct >= 990, "only %zu distinct sources of 1000", distinct);
    th_rows_free(&r);
    /* --step random over a set: values from the set, seeded */
    cr_assert_eq(cli("udp --src 10.0.0.1 --dst 10.0.0.2 --dport 1-1000 --step random -c 50 --seed 5 --start 1 -o s1.pcap"), 0);
    cr_assert_eq(cli("udp --src 10.0.0.1 --dst 10.0.0.2 --dport 1-1000 --step random -c 50 --seed 5 --start 1 -o s2.pcap"), 0);
    cr_assert(same_bytes("s1.pcap", "s2.pcap"));
    r = fields("s1.pcap", "-e udp.dstport");
    int ascending = 0;
    for (size_t i = 0; i < r.n; i++) {
        int p = atoi(r.row[i]);
        cr_assert(p >= 1 && p <= 1000);
        if (i) ascending += p > atoi(r.row[i - 1]);
    }
    cr_assert(ascending < 45, "--step random walked in order");
    th_rows_free(&r);
}

Test(vary, scan_of_100_ports_with_replies)
{
    cr_assert_eq(cli("syn --src 10.0.0.1 --dst 10.0.0.2 --dport 1-100 --start 1700000000 -o scan.pcap"), 0);
    cr_assert_eq(cli("tcp --reply-to scan.pcap:all --open 22,80 --rtt 500us --interleave -o both.pcap"), 0);
    struct th_rows r = fields("both.pcap", "-e frame.number -e ip.src -e tcp.srcport -e tcp.dstport -e tcp.flags "
                                           "-e tcp.analysis.acks_frame -e frame.time_epoch -e _ws.expert.message");
    cr_assert_eq(r.n, 200);
    int replies = 0;
    for (size_t i = 0; i < r.n; i++) {
        char *f[8];
        char *p = r.row[i];
        for (int k = 0; k < 8; k++) { f[k] = p; p = strchr(p, '|'); if (p) *p++ = 0; else p = ""; }
        cr_assert(!strstr(f[7], "unseen") && !strstr(f[7], "checksum") && !strstr(f[7], "Malformed"),
                  "frame %s: %s", f[0], f[7]);
        if (strcmp(f[1], "10.0.0.2")) continue;
        replies++;
        int port = atoi(f[2]);
        cr_assert_str_eq(f[4], port == 22 || port == 80 ? "0x0012" : "0x0014", "port %d", port);
        /* tshark links the reply to the SYN it answers: 500us after it */
        int req = atoi(f[5]);
        cr_assert(req > 0 && (size_t)req <= r.n, "frame %s acknowledges no frame", f[0]);
        size_t tl = strlen(f[6]);
        cr_assert(tl > 6 && !strcmp(f[6] + tl - 6, "500000"), "reply at %s, not 500us after a SYN", f[6]);
    }
    cr_assert_eq(replies, 100);
    th_rows_free(&r);
    /* the acknowledged SYN is the one to the reply's port, at the reply's time less the RTT */
    r = fields("both.pcap", "-e tcp.analysis.acks_frame -e tcp.srcport -e tcp.ack_raw -Y 'ip.src==10.0.0.2'");
    struct th_rows q = fields("scan.pcap", "-e frame.number -e tcp.dstport -e tcp.seq_raw");
    for (size_t i = 0; i < r.n; i++) {
        int port = atoi(strchr(r.row[i], '|') + 1);
        char want[64];
        long long seq = atoll(strrchr(q.row[port - 1], '|') + 1);
        snprintf(want, sizeof want, "|%d|%lld", port, (seq + 1) & 0xFFFFFFFFLL);
        cr_assert(strstr(r.row[i], want), "reply %zu: %s, want ack %s", i + 1, r.row[i], want);
    }
    th_rows_free(&r);
    th_rows_free(&q);
}

Test(vary, reply_to_icmp_udp_tcp_and_arp)
{
    cr_assert_eq(cli("icmp --src 10.0.0.1 --dst 10.0.0.2 -c 3 --data abcdefgh --vlan 5:2 --start 1 -o ping.pcap"), 0);
    cr_assert_eq(cli("icmp --reply-to ping.pcap:all --interleave -o pp.pcap"), 0);
    struct th_rows r = fields("pp.pcap", "-e ip.src -e icmp.type -e icmp.seq -e icmp.resp_to -e data.data -e vlan.id "
                                         "-e eth.src -e _ws.expert.message");
    cr_assert_eq(r.n, 6);
    cr_assert_str_eq(r.row[2], "10.0.0.2|0|1|1|6162636465666768|5|02:00:00:00:00:02|");
    cr_assert_str_eq(r.row[5], "10.0.0.2|0|3|4|6162636465666768|5|02:00:00:00:00:02|");
    th_rows_free(&r);
    /* one packet (N), options given win */
    cr_assert_eq(cli("icmp --reply-to ping.pcap:2 --data zz --start 5 -o p2.pcap"), 0);
    r = fields("p2.pcap", "-e ip.dst -e icmp.type -e icmp.seq -e data.data -e frame.time_epoch");
    cr_assert_eq(r.n, 1);
    cr_assert_str_eq(r.row[0], "10.0.0.1|0|2|7a7a|5.000000000");
    th_rows_free(&r);
    cr_assert_eq(cli("udp --src 2001:db8::1 --dst 2001:db8::2 --sport 4000 --dport 53 --smac 02:00:00:00:00:0a --start 1 "
                     "-o q.pcap"), 0);
    cr_assert_eq(cli("udp --reply-to q.pcap --data ok -o a.pcap"), 0);
    r = fields("a.pcap", "-e ipv6.src -e ipv6.dst -e udp.srcport -e udp.dstport -e eth.dst -e frame.time_epoch");
    cr_assert_eq(r.n, 1);
    cr_assert_str_eq(r.row[0], "2001:db8::2|2001:db8::1|53|4000|02:00:00:00:00:0a|1.001000000");
    th_rows_free(&r);
    /* TCP: ack = seq + length, seq = the packet's ack */
    cr_assert_eq(cli("tcp --src 10.0.0.1 --dst 10.0.0.2 --flags PA --seq 1000 --ack 5000 --data hello --start 1 -o d.pcap"), 0);
    cr_assert_eq(cli("tcp --reply-to d.pcap -o da.pcap"), 0);
    r = fields("da.pcap", "-e tcp.srcport -e tcp.seq_raw -e tcp.ack_raw -e tcp.flags");
    cr_assert(strstr(r.row[0], "|5000|1005|0x0010"), "%s", r.row[0]);
    th_rows_free(&r);
    cr_assert_eq(cli("arp --src 10.0.0.1 --dst 10.0.0.7 --start 1 -o who.pcap"), 0);
    cr_assert_eq(cli("arp --reply-to who.pcap -o isat.pcap"), 0);
    r = fields("isat.pcap", "-e arp.opcode -e arp.src.proto_ipv4 -e arp.dst.proto_ipv4 -e arp.dst.hw_mac");
    cr_assert_str_eq(r.row[0], "2|10.0.0.7|10.0.0.1|02:00:00:00:00:01");
    th_rows_free(&r);
}

Test(vary, rate_appends_comments_and_the_default_seed)
{
    /* --rate 3: start + floor(i * 1e9 / 3), no drift */
    cr_assert_eq(cli("udp --src 10.0.0.1 --dst 10.0.0.2 -c 10 --rate 3 -F nsecpcap --start 1700000000 -o r.pcap"), 0);
    struct th_rows r = fields("r.pcap", "-e frame.time_epoch");
    cr_assert_eq(r.n, 10);
    for (size_t i = 0; i < r.n; i++) {
        char want[32];
        unsigned long long ns = (unsigned long long)i * 1000000000ULL / 3;
        snprintf(want, sizeof want, "%llu.%09llu", 1700000000ULL + ns / 1000000000ULL, ns % 1000000000ULL);
        cr_assert_str_eq(r.row[i], want, "packet %zu", i + 1);
    }
    th_rows_free(&r);
    /* --append continues after the last packet, plus --gap, pcap and pcapng; --start still wins */
    for (int ng = 0; ng < 2; ng++) {
        const char *F = ng ? "-F pcapng" : "";
        cr_assert_eq(cli("udp --src 10.0.0.1 --dst 10.0.0.2 -c 2 %s --start 100 -o ap", F), 0);
        cr_assert_eq(cli("udp --src 10.0.0.1 --dst 10.0.0.2 -c 2 %s --gap 5ms --append -o ap", F), 0);
        cr_assert_eq(cli("udp --src 10.0.0.1 --dst 10.0.0.2 %s --append -o ap", F), 0);
        cr_assert_eq(cli("udp --src 10.0.0.1 --dst 10.0.0.2 %s --start 50 --append -o ap", F), 0);
        r = fields("ap", "-e frame.time_epoch");
        cr_assert_eq(r.n, 6);
        const char *want[] = { "100.000000000", "100.001000000", "100.006000000", "100.011000000", "100.012000000",
                               "50.000000000" };
        for (size_t i = 0; i < 6; i++) cr_assert_str_eq(r.row[i], want[i], "%s packet %zu", F, i + 1);
        th_rows_free(&r);
    }
    /* one comment per packet: the k-th on the k-th, none past the last;
     * a single one on every packet; --comment-file one a line */
    cr_assert_eq(cli("udp --src 10.0.0.1 --dst 10.0.0.2 -c 4 -F pcapng --comment a --comment b --comment c -o c.pcapng"), 0);
    r = fields("c.pcapng", "-e frame.comment");
    cr_assert(r.n == 4 && !strcmp(r.row[0], "a") && !strcmp(r.row[2], "c") && !strcmp(r.row[3], ""));
    th_rows_free(&r);
    cr_assert_eq(cli("udp --src 10.0.0.1 --dst 10.0.0.2 -c 2 -F pcapng --comment all -o c.pcapng"), 0);
    r = fields("c.pcapng", "-e frame.comment");
    cr_assert(r.n == 2 && !strcmp(r.row[1], "all"));
    th_rows_free(&r);
    th_sh("printf 'one\\n\\nthree\\r\\n' > '%s/cf'", dir);
    cr_assert_eq(cli("raw --hex 020000000002020000000001080045 -c 4 -F pcapng --comment-file cf -o c.pcapng"), 0);
    r = fields("c.pcapng", "-e frame.comment");
    cr_assert(r.n == 4 && !strcmp(r.row[0], "one") && !strcmp(r.row[1], "") && !strcmp(r.row[2], "three") &&
              !strcmp(r.row[3], ""));
    th_rows_free(&r);
    /* the default seed: the same command into another file gives the same
     * bytes; another command other ids and ports; --seed still wins */
    cr_assert_eq(cli("syn --src 10.0.0.1 --dst 10.0.0.2 --start 1 -o s1.pcap"), 0);
    cr_assert_eq(cli("syn --src 10.0.0.1 --dst 10.0.0.2 --start 1 --output=s2.pcap"), 0);
    cr_assert(same_bytes("s1.pcap", "s2.pcap"), "-o changed the default seed");
    cr_assert_eq(cli("syn --src 10.0.0.1 --dst 10.0.0.3 --start 1 -o s3.pcap"), 0);
    struct th_rows a = fields("s1.pcap", "-e ip.id -e tcp.srcport"), b = fields("s3.pcap", "-e ip.id -e tcp.srcport");
    cr_assert(strcmp(a.row[0], b.row[0]) && strncmp(a.row[0], b.row[0], 6) && strcmp(strchr(a.row[0], '|'), strchr(b.row[0], '|')),
              "two commands share ip.id or source port: %s / %s", a.row[0], b.row[0]);
    th_rows_free(&a);
    th_rows_free(&b);
    cr_assert_eq(cli("syn --src 10.0.0.1 --dst 10.0.0.2 --start 1 --seed 9 -o s4.pcap"), 0);
    cr_assert_eq(cli("syn --src 10.0.0.1 --dst 10.0.0.3 --start 1 --seed 9 -o s5.pcap"), 0);
    a = fields("s4.pcap", "-e ip.id -e tcp.srcport");
    b = fields("s5.pcap", "-e ip.id -e tcp.srcport");
    cr_assert_str_eq(a.row[0], b.row[0], "--seed must decide the values");
    th_rows_free(&a);
    th_rows_free(&b);
}

Test(vary, refusals_exit_2)
{
    expect_fail(2, "more than the 1000000 made without -c", "syn --src 10.0.0.0/8 --dst 10.0.0.2 -o x");
    expect_fail(2, "--src: the range 10.0.0.9-10.0.0.1 ends before it starts", "syn --src 10.0.0.9-10.0.0.1 --dst 10.0.0.2 -o x");
    expect_fail(2, "--dport: 70000 is over the maximum of 65535", "syn --src 10.0.0.1 --dst 10.0.0.2 --dport 1-70000 -o x");
    expect_fail(2, "--rate and --gap", "udp --src 10.0.0.1 --dst 10.0.0.2 --rate 3 --gap 1ms -o x");
    expect_fail(2, "--rate: at least 1", "udp --src 10.0.0.1 --dst 10.0.0.2 --rate 0 -o x");
    expect_fail(2, "--step: 'zigzag'", "udp --src 10.0.0.1 --dst 10.0.0.2 --step zigzag -o x");
    expect_fail(2, "--open goes with --reply-to", "tcp --src 10.0.0.1 --dst 10.0.0.2 --open 22 -o x");
    expect_fail(2, "--rtt and --interleave go with --reply-to", "udp --src 10.0.0.1 --dst 10.0.0.2 --interleave -o x");
    expect_fail(2, "are for 'pktcraft tcp'", "syn --src 10.0.0.1 --dst 10.0.0.2 --reply-to f.pcap -o x");
    expect_fail(2, "--comment and --comment-file", "udp --src 1.1.1.1 --dst 2.2.2.2 -F pcapng --comment a --comment-file f -o x");
    expect_fail(2, "--comment and --interface need -F pcapng", "udp --src 1.1.1.1 --dst 2.2.2.2 --comment a --comment b -o x");
    expect_fail(2, "--src: a conversation has one client and one server",
                "session --src 10.0.0.1-10.0.0.3 --dst 10.0.0.2 --dport 80 --send x -o x");
    expect_fail(2, "--dport: a conversation has one client and one server",
                "http --src 10.0.0.1 --dst 10.0.0.2 --dport 80,81 -o x");
    expect_fail(2, "--sport: a conversation has one client and one server",
                "dns --exchange --src 10.0.0.1 --dst 10.0.0.2 --qname a.b --sport random -o x");
    expect_fail(2, "--rate does not apply to a conversation", "tls --src 10.0.0.1 --dst 10.0.0.2 --rate 5 -o x");
    cr_assert_eq(cli("syn --src 10.0.0.1 --dst 10.0.0.2 --dport 1-3 --start 1 -o scan.pcap"), 0);
    expect_fail(2, "ranges, lists and random do not go with it", "tcp --reply-to scan.pcap:all --dport 1-2 -o x");
    expect_fail(1, "has no packet udp can answer", "udp --reply-to scan.pcap:all -o x");
    expect_fail(1, "packet 2 of scan.pcap is not one icmp can answer", "icmp --reply-to scan.pcap:2 -o x");
    expect_fail(1, "cannot open", "tcp --reply-to nosuch.pcap -o x");
    expect_fail(2, "packets are numbered from 1", "tcp --reply-to scan.pcap:0 -o x");
    cr_assert_neq(th_sh("test -e '%s/x'", dir), 0, "a refused command left an output file");
}

/* DHCP and NTP: the encoders against bytes made independently with scapy
 * 2.5.0 (/usr/bin/python3), into buffers poisoned with 0xA5; every bad
 * spec refused; the parsers over every cut of a message under a guard
 * page, over messages broken one named way at a time, and over seeded
 * random round trips; the NTP time formats at known instants and across
 * the 2036 era boundary.  Then the commands (pktcraft dhcp, pktcraft ntp)
 * against tshark, one call per capture, and their truth files. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* strptime */
#endif
#include <criterion/criterion.h>
#include <criterion/logging.h>
#include <time.h>

#include "oracle.h"
#include "pktcraft/wire/dhcp.h"
#include "pktcraft/wire/ntp.h"

/* ================================================================ fixtures */

/* scapy (chaddr 02:00:00:00:aa:01, padded with zeros to 300 bytes by hand
 * as scapy does not):
 *   BOOTP(op=1, xid=0x3903f326, chaddr=mac+b"\0"*10)/DHCP(options=[("message-type","discover"),
 *     ("requested_addr","192.168.1.100"), ("client_id", b"\x01"+mac), ("hostname", b"host1"),
 *     ("max_dhcp_size", 1500), ("param_req_list", [1,3,6,15,51,58,59]), "end"])
 *   BOOTP(op=2, xid=0x3903f326, flags=0x8000, yiaddr="192.168.1.100", chaddr=...)/DHCP(options=[
 *     ("message-type","offer"), ("server_id","192.168.1.1"), ("lease_time",3600), ("renewal_time",1800),
 *     ("rebinding_time",3150), ("subnet_mask","255.255.255.0"), ("router","192.168.1.1"),
 *     ("name_server","192.168.1.1","8.8.8.8"), ("domain", b"example.lan"), "end"])   (303 bytes)
 *   BOOTP(op=2, xid=0x3903f326, chaddr=...)/DHCP(options=[("message-type","nak"),
 *     ("server_id","192.168.1.1"), ("error_message", b"address not available"), "end"]) */
#define DHCP_ZERO64                                                                                                    \
    "00000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000" \
    "000000000000000000"
/* sname (64) and file (128) all zero */
#define DHCP_SNAME_FILE DHCP_ZERO64 DHCP_ZERO64 DHCP_ZERO64
static const char *const DISCOVER_HEX =
    "010106003903f326000000000000000000000000000000000000000002000000aa0100000000000000000000" DHCP_SNAME_FILE
    "638253633501013204c0a801643d070102000000aa010c05686f737431390205dc37070103060f333a3bff"
    "000000000000000000000000000000000000000000";
static const char *const OFFER_HEX =
    "020106003903f3260000800000000000c0a80164000000000000000002000000aa0100000000000000000000" DHCP_SNAME_FILE
    "638253633501023604c0a80101330400000e103a04000007083b0400000c4e0104ffffff000304c0a801010608c0a80101080808080f"
    "0b6578616d706c652e6c616eff";
static const char *const NAK_HEX =
    "020106003903f326000000000000000000000000000000000000000002000000aa0100000000000000000000" DHCP_SNAME_FILE
    "638253633501063604c0a80101381561646472657373206e6f7420617661696c61626c65ff"
    "000000000000000000000000000000000000000000000000000000";

static const uint8_t MAC[6] = { 0x02, 0, 0, 0, 0xaa, 0x01 };
static const uint8_t PRL[] = { 1, 3, 6, 15, 51, 58, 59 };

static struct pc_dhcp discover_spec(uint8_t cid[7])
{
    struct pc_dhcp s = { .xid = 0x3903f326, .msgtype = PC_DHCP_DISCOVER, .has_reqip = true,
                         .reqip = { 192, 168, 1, 100 }, .client_id = cid, .client_id_len = 7, .hostname = "host1",
                         .max_size = 1500, .prl = PRL, .nprl = sizeof PRL };
    memcpy(s.chaddr, MAC, 6);
    pc_dhcp_client_id_mac(MAC, cid);
    return s;
}

static struct pc_dhcp offer_spec(void)
{
    struct pc_dhcp s = { .xid = 0x3903f326, .flags = PC_DHCP_FLAG_BROADCAST, .yiaddr = { 192, 168, 1, 100 },
                         .msgtype = PC_DHCP_OFFER, .has_server_id = true, .server_id = { 192, 168, 1, 1 },
                         .has_lease = true, .lease = 3600, .has_t1 = true, .t1 = 1800, .has_t2 = true, .t2 = 3150,
                         .has_mask = true, .mask = { 255, 255, 255, 0 }, .routers = { { 192, 168, 1, 1 } },
                         .nrouters = 1, .dns = { { 192, 168, 1, 1 }, { 8, 8, 8, 8 } }, .ndns = 2,
                         .domain = "example.lan" };
    memcpy(s.chaddr, MAC, 6);
    return s;
}

static struct pc_dhcp nak_spec(void)
{
    struct pc_dhcp s = { .xid = 0x3903f326, .msgtype = PC_DHCP_NAK, .has_server_id = true,
                         .server_id = { 192, 168, 1, 1 }, .message = "address not available" };
    memcpy(s.chaddr, MAC, 6);
    return s;
}

/* scapy: NTPHeader(version=4, mode=3, poll=6, precision=-23, sent=3913056000.25) (orig=0),
 *        NTPHeader(version=4, mode=4, stratum=1, poll=6, precision=-23, dispersion=0.0009765625,
 *                  ref_id=b"GPS\0", ref=3913055990.0, orig=3913056000.25, recv=3913056000.5,
 *                  sent=3913056000.75),
 *        NTPHeader(version=3, mode=4, stratum=2, poll=10, precision=-20, delay=0.015625,
 *                  dispersion=0.03125, id="192.0.2.1", the same times).
 * 3913056000 NTP seconds is 2024-01-01T00:00:00Z. */
static const char *const NTPC_HEX =
    "230006e9000000000000000000000000000000000000000000000000000000000000000000000000e93c7f0040000000";
static const char *const NTPS_HEX =
    "240106e9000000000000004047505300e93c7ef600000000e93c7f0040000000e93c7f0080000000e93c7f00c0000000";
static const char *const NTPS3_HEX =
    "1c020aec0000040000000800c0000201e93c7ef600000000e93c7f0040000000e93c7f0080000000e93c7f00c0000000";
#define T2024 INT64_C(1704067200) /* 2024-01-01T00:00:00Z */

static pc_time_ns at(int64_t sec, int64_t ns) { return sec * PC_NS_PER_SEC + ns; }

static struct pc_ntp ntp_client_spec(void)
{
    return (struct pc_ntp){ .version = 4, .mode = PC_NTP_MODE_CLIENT, .poll = 6, .precision = -23,
                            .xmt = pc_ntp_from_ns(at(T2024, 250000000)) };
}

static struct pc_ntp ntp_server_spec(void)
{
    return (struct pc_ntp){ .version = 4, .mode = PC_NTP_MODE_SERVER, .stratum = 1, .poll = 6, .precision = -23,
                            .root_disp = pc_ntp_short_from_ns(976562), .refid = { 'G', 'P', 'S', 0 },
                            .ref = pc_ntp_from_ns(at(T2024 - 10, 0)), .org = pc_ntp_from_ns(at(T2024, 250000000)),
                            .rec = pc_ntp_from_ns(at(T2024, 500000000)),
                            .xmt = pc_ntp_from_ns(at(T2024, 750000000)) };
}

/* ================================================================ DHCP: bytes */

/* Scratch directory of the command tests (one per test), and tshark's
 * rows, released by the suite's fini even when an assertion ends a test. */
static char tdir[64];
static struct th_rows ts_rows;
static void tdir_setup(void) { th_tmpdir(tdir); }
static void tdir_teardown(void) { th_tshark_cleanup(tdir, &ts_rows); }

TestSuite(dhcp, .init = tdir_setup, .fini = tdir_teardown, .timeout = 1800);

/* Encode into a buffer poisoned with 0xA5 and compare with hex; the bytes
 * past the message must stay poisoned. */
static int dhcp_expect(const struct pc_dhcp *s, const char *hex)
{
    static uint8_t buf[1024];
    th_poison(buf, sizeof buf);
    int n = pc_dhcp_encode(s, buf, sizeof buf);
    th_expect_hex(buf, n, hex);
    for (size_t k = (size_t)n; k < sizeof buf; k++) cr_assert_eq(buf[k], 0xA5, "byte %zu past the message written", k);
    return n;
}

Test(dhcp, discover_bytes_equal_scapy)
{
    uint8_t cid[7];
    struct pc_dhcp s = discover_spec(cid);
    cr_assert_eq(dhcp_expect(&s, DISCOVER_HEX), PC_DHCP_MIN_LEN);
}

Test(dhcp, offer_bytes_equal_scapy)
{
    struct pc_dhcp s = offer_spec();
    cr_assert_eq(dhcp_expect(&s, OFFER_HEX), 303, "a message over 300 bytes gets no padding");
}

Test(dhcp, nak_bytes_equal_scapy)
{
    struct pc_dhcp s = nak_spec();
    dhcp_expect(&s, NAK_HEX);
}

Test(dhcp, op_htype_hlen_auto_pin_corrupt)
{
    uint8_t b[400];
    struct pc_dhcp s = { .msgtype = PC_DHCP_REQUEST };
    cr_assert_eq(pc_dhcp_encode(&s, b, sizeof b), 300);
    cr_assert(b[0] == 1 && b[1] == 1 && b[2] == 6, "REQUEST: op 1, htype 1, hlen 6");
    s.msgtype = PC_DHCP_ACK;
    pc_dhcp_encode(&s, b, sizeof b);
    cr_assert_eq(b[0], 2, "ACK: op 2");
    s.msgtype = PC_DHCP_INFORM;
    pc_dhcp_encode(&s, b, sizeof b);
    cr_assert_eq(b[0], 1, "INFORM: op 1");
    s.op = PC_PIN(7);
    s.htype = PC_CORRUPT;
    s.hlen = PC_PIN(0);
    pc_dhcp_encode(&s, b, sizeof b);
    cr_assert(b[0] == 7 && b[1] == 2 && b[2] == 0, "pinned op 7, corrupt htype 2, pinned hlen 0: %u %u %u", b[0],
              b[1], b[2]);
}

Test(dhcp, sname_file_no_cookie_no_end_no_pad)
{
    uint8_t b[400];
    struct pc_dhcp s = { .sname = "srv", .file = "pxelinux.0", .no_cookie = true };
    cr_assert_eq(pc_dhcp_encode(&s, b, sizeof b), 300, "plain BOOTP, padded");
    cr_assert(!memcmp(b + PC_DHCP_OFF_SNAME, "srv\0", 4) && !memcmp(b + PC_DHCP_OFF_FILE, "pxelinux.0\0", 11));
    for (int k = PC_DHCP_FIXED; k < 300; k++) cr_assert_eq(b[k], 0, "vend byte %d", k);
    s.no_pad = true;
    cr_assert_eq(pc_dhcp_encode(&s, b, sizeof b), PC_DHCP_FIXED);
    s = (struct pc_dhcp){ .msgtype = 1, .no_end = true, .no_pad = true };
    cr_assert_eq(pc_dhcp_encode(&s, b, sizeof b), 243, "header, cookie, 53 01 01 and nothing else");
    struct pc_dhcp_opt ex[] = { { .code = 43, .len = 3, .data = (const uint8_t *)"abc" }, { .code = 80 } };
    s = (struct pc_dhcp){ .extra = ex, .nextra = 2, .no_pad = true };
    cr_assert_eq(pc_dhcp_encode(&s, b, sizeof b), 240 + 5 + 2 + 1);
    cr_assert(!memcmp(b + 240, "\x2b\x03" "abc\x50\x00\xff", 8), "extras verbatim, then END");
}

Test(dhcp, every_short_buffer_is_enospc_and_stays_inside)
{
    struct pc_dhcp s = offer_spec();
    static uint8_t b[1024];
    for (size_t cap = 0; cap < 303; cap++) {
        th_poison(b, sizeof b);
        cr_assert_eq(pc_dhcp_encode(&s, cap ? b : NULL, cap), PC_ENOSPC, "cap %zu", cap);
        for (size_t k = cap; k < sizeof b; k++) cr_assert_eq(b[k], 0xA5, "cap %zu: byte %zu written", cap, k);
    }
    cr_assert_eq(pc_dhcp_encode(&s, b, 303), 303);
}

Test(dhcp, bad_specs_refused_by_name)
{
    uint8_t b[2048];
    char long256[257], sname64[65], file128[129];
    memset(long256, 'a', 256), long256[256] = 0;
    memset(sname64, 's', 64), sname64[64] = 0;
    memset(file128, 'f', 128), file128[128] = 0;
    const uint8_t one = 1;
    struct pc_dhcp_opt pad = { .code = 0, .len = 1, .data = &one }, end = { .code = 255 }, nul = { .code = 9, .len = 2 };
    const struct { const char *name; struct pc_dhcp s; } bad[] = {
        { "sname of 64 bytes", { .sname = sname64 } },
        { "file of 128 bytes", { .file = file128 } },
        { "domain of 256 bytes", { .domain = long256 } },
        { "empty hostname", { .hostname = "" } },
        { "message of 256 bytes", { .message = long256 } },
        { "client id of length 0", { .client_id = &one } },
        { "parameter list of length 0", { .prl = &one } },
        { "64 routers", { .nrouters = 64 } },
        { "64 DNS servers", { .ndns = 64 } },
        { "extra count without extras", { .nextra = 1 } },
        { "extra PAD option", { .extra = &pad, .nextra = 1 } },
        { "extra END option", { .extra = &end, .nextra = 1 } },
        { "extra with NULL data", { .extra = &nul, .nextra = 1 } },
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        cr_assert_eq(pc_dhcp_encode(&bad[i].s, b, sizeof b), PC_EINVAL, "%s accepted", bad[i].name);
    cr_assert_eq(pc_dhcp_encode(NULL, b, sizeof b), PC_EINVAL);
    cr_assert_eq(pc_dhcp_encode(&(struct pc_dhcp){ 0 }, NULL, 10), PC_EINVAL);
    /* the limits themselves are fine */
    long256[255] = 0, sname64[63] = 0, file128[127] = 0;
    struct pc_dhcp ok = { .sname = sname64, .file = file128, .domain = long256, .hostname = long256, .nrouters = 63,
                          .ndns = 63 };
    cr_assert_gt(pc_dhcp_encode(&ok, b, sizeof b), 0);
}

/* ================================================================ DHCP: parser */

static void dhcp_parse_ok(const char *hex, struct pc_dhcp_info *m, uint8_t *buf, size_t cap)
{
    size_t n = th_unhex(hex, buf, cap);
    const char *why = NULL;
    int rc = pc_dhcp_parse(buf, n, m, &why);
    cr_assert_eq(rc, 0, "parse failed: %d %s", rc, why ? why : "");
}

static bool bytes_eq(struct pc_dhcp_bytes b, const void *want, size_t n)
{
    return b.len == n && b.p && !memcmp(b.p, want, n);
}

Test(dhcp, parse_scapy_discover)
{
    static uint8_t buf[512];
    struct pc_dhcp_info m;
    dhcp_parse_ok(DISCOVER_HEX, &m, buf, sizeof buf);
    cr_assert(m.cookie && m.op == 1 && m.htype == 1 && m.hlen == 6 && m.xid == 0x3903f326 && m.flags == 0);
    cr_assert(!memcmp(m.chaddr, MAC, 6) && m.msgtype == PC_DHCP_DISCOVER);
    cr_assert(m.has_reqip && !memcmp(m.reqip, "\xc0\xa8\x01\x64", 4));
    cr_assert(bytes_eq(m.client_id, "\x01\x02\x00\x00\x00\xaa\x01", 7));
    cr_assert(bytes_eq(m.hostname, "host1", 5) && m.max_size == 1500 && bytes_eq(m.prl, PRL, sizeof PRL));
    cr_assert(!m.has_server_id && !m.has_lease && !m.routers.len && m.nopts == 6, "nopts %u", m.nopts);
    cr_assert_eq(m.end_off, 240 + 39, "END at %u", m.end_off);
}

Test(dhcp, parse_scapy_offer_and_nak)
{
    static uint8_t buf[512];
    struct pc_dhcp_info m;
    dhcp_parse_ok(OFFER_HEX, &m, buf, sizeof buf);
    cr_assert(m.op == 2 && m.flags == PC_DHCP_FLAG_BROADCAST && !memcmp(m.yiaddr, "\xc0\xa8\x01\x64", 4));
    cr_assert(m.msgtype == PC_DHCP_OFFER && m.has_server_id && !memcmp(m.server_id, "\xc0\xa8\x01\x01", 4));
    cr_assert(m.has_lease && m.lease == 3600 && m.has_t1 && m.t1 == 1800 && m.has_t2 && m.t2 == 3150);
    cr_assert(m.has_mask && !memcmp(m.mask, "\xff\xff\xff\x00", 4));
    cr_assert(bytes_eq(m.routers, "\xc0\xa8\x01\x01", 4) && bytes_eq(m.dns, "\xc0\xa8\x01\x01\x08\x08\x08\x08", 8));
    cr_assert(bytes_eq(m.domain, "example.lan", 11) && m.end_off == 303);
    dhcp_parse_ok(NAK_HEX, &m, buf, sizeof buf);
    cr_assert(m.msgtype == PC_DHCP_NAK && bytes_eq(m.message, "address not available", 21) && m.nopts == 3);
}

/* A message with the options that follow the cookie replaced by opts
 * (hex), padded to 300 with zeros; the parser's verdict and reason. */
static int dhcp_parse_opts(const char *opts, const char **why, struct pc_dhcp_info *m)
{
    static uint8_t buf[600];
    struct pc_dhcp s = { .msgtype = 0, .no_end = true, .no_pad = true };
    int n = pc_dhcp_encode(&s, buf, sizeof buf);
    cr_assert_eq(n, 240);
    n += (int)th_unhex(opts, buf + n, sizeof buf - (size_t)n);
    return pc_dhcp_parse(buf, (size_t)n, m, why);
}

Test(dhcp, bad_options_named)
{
    const struct { const char *opts; int rc; const char *why; } cases[] = {
        { "350201" "01ff", PC_EMALFORMED, "option 53 (message type) length is not 1" },
        { "3903" "0240" "00ff", PC_EMALFORMED, "option 57 (maximum message size) length is not 2" },
        { "3603c0a801ff", PC_EMALFORMED, "address option (1, 50 or 54) length is not 4" },
        { "010300ffff" "ff", PC_EMALFORMED, "address option (1, 50 or 54) length is not 4" },
        { "3302" "0001ff", PC_EMALFORMED, "time option (51, 58 or 59) length is not 4" },
        { "0305c0a8010101ff", PC_EMALFORMED, "length is not a multiple of 4" },
        { "0600ff", PC_EMALFORMED, "is empty" },
        { "0c00ff", PC_EMALFORMED, "is empty" },
        { "350101350102ff", PC_EMALFORMED, "repeated" },
        { "350101", PC_ETRUNC, "without an END option" },
        { "350101" "0c05" "6162", PC_ETRUNC, "ends inside an option" },
        { "350101" "0c", PC_ETRUNC, "ends inside an option" },
        { "340104ff", PC_EMALFORMED, "value is not 1, 2 or 3" },
        { "340201" "01ff", PC_EMALFORMED, "length is not 1" },
        { "340101340101ff", PC_EMALFORMED, "option 52 (overload) repeated" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const char *why = NULL;
        struct pc_dhcp_info m;
        int rc = dhcp_parse_opts(cases[i].opts, &why, &m);
        cr_assert_eq(rc, cases[i].rc, "options %s: %d, want %d (%s)", cases[i].opts, rc, cases[i].rc, why ? why : "");
        cr_assert(why && strstr(why, cases[i].why), "options %s: reason '%s', want '%s'", cases[i].opts,
                  why ? why : "(none)", cases[i].why);
    }
    /* PAD before and between options; unknown options walked and counted */
    const char *why = NULL;
    struct pc_dhcp_info m;
    cr_assert_eq(dhcp_parse_opts("0000350105" "00" "fa03616263" "ff", &why, &m), 0, "%s", why ? why : "");
    cr_assert(m.msgtype == PC_DHCP_ACK && m.nopts == 2);
}

Test(dhcp, short_or_cookieless_messages)
{
    uint8_t b[300] = { 1, 1, 6 };
    struct pc_dhcp_info m;
    const char *why = NULL;
    cr_assert_eq(pc_dhcp_parse(b, 235, &m, &why), PC_ETRUNC);
    cr_assert(why && strstr(why, "236-byte"));
    cr_assert_eq(pc_dhcp_parse(NULL, 0, &m, &why), PC_ETRUNC);
    cr_assert_eq(pc_dhcp_parse(b, 300, &m, &why), 0, "plain BOOTP is a message");
    cr_assert(!m.cookie && m.op == 1 && m.hlen == 6 && !why);
    cr_assert_eq(pc_dhcp_parse(b, 238, &m, &why), 0, "no room for a cookie: plain BOOTP");
    struct pc_dhcp_iter it;
    cr_assert_eq(pc_dhcp_iter_init(&it, b, 300), PC_EUNSUPP);
    cr_assert(strstr(it.why, "magic cookie"));
    struct pc_dhcp_opt o;
    cr_assert_eq(pc_dhcp_iter_next(&it, &o), PC_EUNSUPP, "the error stays");
}

/* Overload (option 52): file, then sname, each walked after the options
 * field's END, in that order whatever the value. */
Test(dhcp, overload_walks_file_then_sname)
{
    static uint8_t b[400];
    const uint8_t ov = 3;
    struct pc_dhcp_opt ex = { .code = PC_DHCPO_OVERLOAD, .len = 1, .data = &ov };
    struct pc_dhcp s = { .msgtype = PC_DHCP_OFFER, .extra = &ex, .nextra = 1 };
    cr_assert_eq(pc_dhcp_encode(&s, b, sizeof b), 300);
    /* file: hostname "fh" then END; sname: domain "d" with no END (full field is fine) */
    memcpy(b + PC_DHCP_OFF_FILE, "\x0c\x02" "fh\xff", 5);
    memset(b + PC_DHCP_OFF_SNAME, 0, PC_DHCP_SNAME_LEN);
    memcpy(b + PC_DHCP_OFF_SNAME, "\x0f\x01" "d", 3);
    struct pc_dhcp_iter it;
    struct pc_dhcp_opt o;
    cr_assert_eq(pc_dhcp_iter_init(&it, b, 300), 0);
    uint8_t codes[8], fields[8];
    int n = 0, rc;
    while ((rc = pc_dhcp_iter_next(&it, &o)) == 1 && n < 8) codes[n] = o.code, fields[n++] = o.field;
    cr_assert_eq(rc, 0, "%s", it.why ? it.why : "");
    cr_assert_eq(n, 4);
    cr_assert(codes[0] == 53 && codes[1] == 52 && codes[2] == 12 && codes[3] == 15);
    cr_assert(fields[0] == 0 && fields[1] == 0 && fields[2] == 1 && fields[3] == 2);
    struct pc_dhcp_info m;
    const char *why;
    cr_assert_eq(pc_dhcp_parse(b, 300, &m, &why), 0);
    cr_assert(m.overload == 3 && bytes_eq(m.hostname, "fh", 2) && bytes_eq(m.domain, "d", 1));
    /* an option crossing the end of the sname field */
    b[PC_DHCP_OFF_SNAME + 62] = 12;
    b[PC_DHCP_OFF_SNAME + 63] = 4;
    cr_assert_eq(pc_dhcp_parse(b, 300, &m, &why), PC_EMALFORMED);
    cr_assert(strstr(why, "past the end of the overloaded"));
    /* 52 inside file is an ordinary option there, not a second overload */
    b[PC_DHCP_OFF_SNAME + 62] = 0;
    b[PC_DHCP_OFF_SNAME + 63] = 0;
    memcpy(b + PC_DHCP_OFF_FILE, "\x34\x01\x01\xff", 4);
    cr_assert_eq(pc_dhcp_parse(b, 300, &m, &why), 0, "%s", why);
}

/* Every cut of each message, copied to end right before a PROT_NONE
 * page: no read past it; a cut inside the options is PC_ETRUNC, a cut
 * after END (in the padding) reads as the whole message. */
Test(dhcp, every_cut_under_guard_page)
{
    static uint8_t full[512];
    const char *hexes[] = { DISCOVER_HEX, OFFER_HEX, NAK_HEX };
    for (size_t h = 0; h < 3; h++) {
        size_t n = th_unhex(hexes[h], full, sizeof full);
        struct pc_dhcp_info whole;
        cr_assert_eq(pc_dhcp_parse(full, n, &whole, NULL), 0);
        for (size_t cut = 0; cut <= n; cut++) {
            struct th_guard g;
            const uint8_t *p = th_guard_copy(&g, full, cut);
            struct pc_dhcp_info m;
            const char *why = NULL;
            int rc = pc_dhcp_parse(p, cut, &m, &why);
            if (cut < PC_DHCP_FIXED) cr_assert_eq(rc, PC_ETRUNC, "msg %zu cut %zu", h, cut);
            else if (cut < PC_DHCP_OPTIONS) cr_assert(rc == 0 && !m.cookie, "msg %zu cut %zu", h, cut);
            else if (cut < whole.end_off) cr_assert(rc == PC_ETRUNC && why, "msg %zu cut %zu: %d", h, cut, rc);
            else cr_assert(rc == 0 && m.nopts == whole.nopts, "msg %zu cut %zu: %d %s", h, cut, rc, why ? why : "");
            th_guard_free(&g);
        }
    }
}

/* Seeded random specs: encoded, parsed, every field equal. */
Test(dhcp, random_round_trip)
{
    struct pc_rng r;
    pc_rng_seed(&r, 2131);
    static uint8_t buf[4096];
    static char host[256], dom[256], msg[256];
    static uint8_t cid[255], prl[255];
    for (int iter = 0; iter < 3000; iter++) {
        struct pc_dhcp s = { .xid = (uint32_t)pc_rng_next(&r), .secs = (uint16_t)pc_rng_next(&r),
                             .flags = (uint16_t)pc_rng_next(&r), .hops = (uint8_t)pc_rng_next(&r),
                             .msgtype = (uint8_t)pc_rng_below(&r, 10) };
        uint64_t bits = pc_rng_next(&r);
        pc_put32(s.ciaddr, (uint32_t)pc_rng_next(&r));
        pc_put32(s.yiaddr, (uint32_t)pc_rng_next(&r));
        pc_put32(s.siaddr, (uint32_t)pc_rng_next(&r));
        pc_put32(s.giaddr, (uint32_t)pc_rng_next(&r));
        for (int k = 0; k < 16; k++) s.chaddr[k] = (uint8_t)pc_rng_next(&r);
        s.has_server_id = bits & 1, s.has_reqip = bits & 2, s.has_lease = bits & 4, s.has_t1 = bits & 8;
        s.has_t2 = bits & 16, s.has_mask = bits & 32;
        pc_put32(s.server_id, (uint32_t)pc_rng_next(&r));
        pc_put32(s.reqip, (uint32_t)pc_rng_next(&r));
        pc_put32(s.mask, (uint32_t)pc_rng_next(&r));
        s.lease = (uint32_t)pc_rng_next(&r), s.t1 = (uint32_t)pc_rng_next(&r), s.t2 = (uint32_t)pc_rng_next(&r);
        s.nrouters = (uint8_t)pc_rng_below(&r, bits & 64 ? 64 : 3);
        s.ndns = (uint8_t)pc_rng_below(&r, bits & 128 ? 64 : 4);
        for (int k = 0; k < 63; k++) pc_put32(s.routers[k], (uint32_t)pc_rng_next(&r)), pc_put32(s.dns[k], (uint32_t)k);
        size_t hl = 1 + pc_rng_below(&r, bits & 256 ? 255 : 20), dl = 1 + pc_rng_below(&r, 255), ml = 1 + pc_rng_below(&r, 40);
        for (size_t k = 0; k < 255; k++) host[k] = (char)('a' + k % 26), dom[k] = (char)('0' + k % 10), msg[k] = 'm';
        host[hl] = 0, dom[dl] = 0, msg[ml] = 0;
        if (bits & 512) s.hostname = host;
        if (bits & 1024) s.domain = dom;
        if (bits & 2048) s.message = msg;
        s.client_id_len = (uint8_t)(1 + pc_rng_below(&r, 255));
        s.nprl = (uint8_t)(1 + pc_rng_below(&r, 255));
        for (int k = 0; k < 255; k++) cid[k] = (uint8_t)pc_rng_next(&r), prl[k] = (uint8_t)pc_rng_next(&r);
        if (bits & 4096) s.client_id = cid;
        if (bits & 8192) s.prl = prl;
        s.max_size = bits & 16384 ? (uint16_t)(576 + pc_rng_below(&r, 1000)) : 0;
        s.no_pad = bits & 32768;

        int n = pc_dhcp_encode(&s, buf, sizeof buf);
        cr_assert_gt(n, 0, "iteration %d: %d", iter, n);
        struct pc_dhcp_info m;
        const char *why = NULL;
        int rc = pc_dhcp_parse(buf, (size_t)n, &m, &why);
        cr_assert_eq(rc, 0, "iteration %d: %s", iter, why ? why : "");
        cr_assert(m.xid == s.xid && m.secs == s.secs && m.flags == s.flags && m.hops == s.hops, "iteration %d", iter);
        cr_assert(!memcmp(m.ciaddr, s.ciaddr, 4) && !memcmp(m.yiaddr, s.yiaddr, 4) && !memcmp(m.siaddr, s.siaddr, 4) &&
                  !memcmp(m.giaddr, s.giaddr, 4) && !memcmp(m.chaddr, s.chaddr, 16));
        cr_assert_eq(m.msgtype, s.msgtype);
        cr_assert_eq(m.op, s.msgtype && !pc_dhcp_msgtype_is_client(s.msgtype) ? 2 : 1);
        cr_assert(m.has_server_id == s.has_server_id && (!s.has_server_id || !memcmp(m.server_id, s.server_id, 4)));
        cr_assert(m.has_reqip == s.has_reqip && (!s.has_reqip || !memcmp(m.reqip, s.reqip, 4)));
        cr_assert(m.has_mask == s.has_mask && (!s.has_mask || !memcmp(m.mask, s.mask, 4)));
        cr_assert(m.has_lease == s.has_lease && (!s.has_lease || m.lease == s.lease));
        cr_assert(m.has_t1 == s.has_t1 && (!s.has_t1 || m.t1 == s.t1));
        cr_assert(m.has_t2 == s.has_t2 && (!s.has_t2 || m.t2 == s.t2));
        cr_assert(s.nrouters ? bytes_eq(m.routers, s.routers, 4u * s.nrouters) : !m.routers.p);
        cr_assert(s.ndns ? bytes_eq(m.dns, s.dns, 4u * s.ndns) : !m.dns.p);
        cr_assert(s.hostname ? bytes_eq(m.hostname, host, hl) : !m.hostname.p);
        cr_assert(s.domain ? bytes_eq(m.domain, dom, dl) : !m.domain.p);
        cr_assert(s.message ? bytes_eq(m.message, msg, ml) : !m.message.p);
        cr_assert(s.client_id ? bytes_eq(m.client_id, cid, s.client_id_len) : !m.client_id.p);
        cr_assert(s.prl ? bytes_eq(m.prl, prl, s.nprl) : !m.prl.p);
        cr_assert_eq(m.max_size, s.max_size);
        uint32_t want_len = s.no_pad || m.end_off >= PC_DHCP_MIN_LEN ? m.end_off : PC_DHCP_MIN_LEN;
        cr_assert_eq((uint32_t)n, want_len, "iteration %d: END at %u, %d bytes", iter, m.end_off, n);
    }
}

Test(dhcp, names)
{
    cr_assert_str_eq(pc_dhcp_msgtype_name(1), "DISCOVER");
    cr_assert_str_eq(pc_dhcp_msgtype_name(6), "NAK");
    cr_assert_str_eq(pc_dhcp_msgtype_name(8), "INFORM");
    cr_assert_str_eq(pc_dhcp_msgtype_name(0), "unknown");
    cr_assert_str_eq(pc_dhcp_msgtype_name(9), "unknown");
}

/* ================================================================ NTP */

TestSuite(ntp, .init = tdir_setup, .fini = tdir_teardown, .timeout = 1800);

static void ntp_expect(const struct pc_ntp *s, const char *hex)
{
    uint8_t buf[64];
    th_poison(buf, sizeof buf);
    int n = pc_ntp_encode(s, buf, sizeof buf);
    th_expect_hex(buf, n, hex);
    for (size_t k = PC_NTP_HLEN; k < sizeof buf; k++) cr_assert_eq(buf[k], 0xA5);
}

Test(ntp, bytes_equal_scapy)
{
    struct pc_ntp c = ntp_client_spec(), s = ntp_server_spec();
    ntp_expect(&c, NTPC_HEX);
    ntp_expect(&s, NTPS_HEX);
    s.version = 3, s.stratum = 2, s.poll = 10, s.precision = -20;
    s.root_delay = pc_ntp_short_from_ns(15625000), s.root_disp = pc_ntp_short_from_ns(31250000);
    memcpy(s.refid, "\xc0\x00\x02\x01", 4);
    ntp_expect(&s, NTPS3_HEX);
}

Test(ntp, encode_refuses)
{
    uint8_t b[48];
    struct pc_ntp s = ntp_client_spec();
    cr_assert_eq(pc_ntp_encode(&s, b, 47), PC_ENOSPC);
    cr_assert_eq(pc_ntp_encode(&s, NULL, 48), PC_ENOSPC);
    cr_assert_eq(pc_ntp_encode(NULL, b, 48), PC_EINVAL);
    s.leap = 4;
    cr_assert_eq(pc_ntp_encode(&s, b, 48), PC_EINVAL, "leap 4");
    s.leap = 3, s.version = 8;
    cr_assert_eq(pc_ntp_encode(&s, b, 48), PC_EINVAL, "version 8");
    s.version = 7, s.mode = 8;
    cr_assert_eq(pc_ntp_encode(&s, b, 48), PC_EINVAL, "mode 8");
    s.mode = 7;
    cr_assert_eq(pc_ntp_encode(&s, b, 48), 48);
    cr_assert_eq(b[0], 0xFF);
}

Test(ntp, parse_scapy_server)
{
    uint8_t b[48];
    th_unhex(NTPS_HEX, b, sizeof b);
    struct pc_ntp_info m;
    const char *why = NULL;
    cr_assert_eq(pc_ntp_parse(b, 48, &m, &why), 0);
    struct pc_ntp w = ntp_server_spec();
    cr_assert(m.h.leap == w.leap && m.h.version == w.version && m.h.mode == w.mode && m.h.stratum == w.stratum);
    cr_assert(m.h.poll == w.poll && m.h.precision == w.precision && m.h.root_delay == w.root_delay);
    cr_assert(m.h.root_disp == w.root_disp && !memcmp(m.h.refid, w.refid, 4));
    cr_assert(m.h.ref == w.ref && m.h.org == w.org && m.h.rec == w.rec && m.h.xmt == w.xmt);
    cr_assert(m.next == 0 && m.mac_len == 0);
    cr_assert_eq(pc_ntp_to_ns(m.h.xmt), at(T2024, 750000000));
    cr_assert_eq(pc_ntp_to_ns(m.h.ref), at(T2024 - 10, 0));
    char t[16];
    pc_ntp_refid_text(m.h.refid, m.h.stratum, t);
    cr_assert_str_eq(t, "GPS");
}

/* After the header: extension fields and a MAC, or bytes that are neither. */
Test(ntp, tails_named)
{
    static uint8_t b[200];
    struct pc_ntp c = ntp_client_spec();
    pc_ntp_encode(&c, b, sizeof b);
    memset(b + 48, 0, sizeof b - 48);
    const struct { size_t tail; const char *ext; int rc; uint32_t next, mac; const char *why; } cases[] = {
        { 0, "", 0, 0, 0, NULL },
        { 4, "", 0, 0, 4, NULL },              /* crypto-NAK */
        { 20, "", 0, 0, 20, NULL },            /* key id + MD5 */
        { 24, "", 0, 0, 24, NULL },            /* key id + SHA-1 */
        { 28, "0104001c", 0, 1, 0, NULL },     /* one 28-byte extension field */
        { 48, "0104001c", 0, 1, 20, NULL },    /* 28-byte field + MAC */
        { 44, "01040010", 0, 2, 0, NULL },     /* 16 + 28 */
        { 8, "", PC_EMALFORMED, 0, 0, "neither an extension field nor a MAC" },
        { 28, "0104000e", PC_EMALFORMED, 0, 0, "under 16 or not a multiple of 4" },
        { 28, "0104001e", PC_EMALFORMED, 0, 0, "under 16 or not a multiple of 4" },
        { 28, "01040020", PC_EMALFORMED, 0, 0, "runs past the end" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        memset(b + 48, 0, sizeof b - 48);
        th_unhex(cases[i].ext, b + 48, 4);
        if (i == 6) th_unhex("0104001c", b + 64, 4);
        struct pc_ntp_info m;
        const char *why = NULL;
        int rc = pc_ntp_parse(b, 48 + cases[i].tail, &m, &why);
        cr_assert_eq(rc, cases[i].rc, "case %zu: %d (%s)", i, rc, why ? why : "");
        if (rc) {
            cr_assert(why && strstr(why, cases[i].why), "case %zu: '%s'", i, why ? why : "(none)");
            continue;
        }
        cr_assert(m.next == cases[i].next && m.mac_len == cases[i].mac, "case %zu: %u ext, mac %u", i, m.next,
                  m.mac_len);
        cr_assert_eq(m.ext_len + m.mac_len, cases[i].tail);
    }
}

Test(ntp, short_control_and_every_cut_under_guard_page)
{
    uint8_t b[48];
    th_unhex(NTPS_HEX, b, sizeof b);
    for (size_t cut = 0; cut < 48; cut++) {
        struct th_guard g;
        const uint8_t *p = th_guard_copy(&g, b, cut);
        struct pc_ntp_info m;
        const char *why = NULL;
        cr_assert_eq(pc_ntp_parse(p, cut, &m, &why), PC_ETRUNC, "cut %zu", cut);
        cr_assert_not_null(why);
        th_guard_free(&g);
    }
    uint8_t ctl[12] = { 0x16, 0x02 }; /* v2 mode 6: ntpq readvar */
    struct pc_ntp_info m;
    const char *why = NULL;
    cr_assert_eq(pc_ntp_parse(ctl, sizeof ctl, &m, &why), PC_EUNSUPP);
    cr_assert(m.h.mode == 6 && m.h.version == 2 && strstr(why, "control"));
}

Test(ntp, timestamps_at_known_instants)
{
    cr_assert_eq(pc_ntp_from_ns(at(T2024, 0)), UINT64_C(0xe93c7f00) << 32);
    cr_assert_eq(pc_ntp_from_ns(at(T2024, 500000000)), UINT64_C(0xe93c7f0080000000));
    cr_assert_eq(pc_ntp_from_ns(at(T2024, 1)), UINT64_C(0xe93c7f0000000005), "1 ns: 4.29 rounded up");
    cr_assert_eq(pc_ntp_from_ns(at(0, 0)), UINT64_C(2208988800) << 32, "the Unix epoch");
    cr_assert_eq(pc_ntp_from_ns(at(-1, 999999999)), (UINT64_C(2208988799) << 32) | 0xFFFFFFFCu, "1 ns before 1970");
    /* 2036-02-07T06:28:16Z: era 1 begins, seconds wrap to 0 */
    int64_t e1 = INT64_C(4294967296) - INT64_C(2208988800);
    cr_assert_eq(pc_ntp_from_ns(at(e1, 0)), 0);
    cr_assert_eq(pc_ntp_to_ns(UINT64_C(1) << 32), at(e1 + 1, 0), "era 1");
    cr_assert_eq(pc_ntp_to_ns(UINT64_C(0xFFFFFFFF) << 32), at(e1 - 1, 0), "end of era 0");
    cr_assert_eq(pc_ntp_to_ns(UINT64_C(0xe93c7f00c0000000)), at(T2024, 750000000));
}

Test(ntp, timestamps_round_trip_to_the_nanosecond)
{
    struct pc_rng r;
    pc_rng_seed(&r, 5905);
    /* 1968-01-20 .. 2104-02-26: what the era rule covers */
    int64_t lo = INT64_C(2147483648) - INT64_C(2208988800), hi = INT64_C(6442450944) - INT64_C(2208988800);
    for (int i = 0; i < 200000; i++) {
        pc_time_ns t = at(lo + (int64_t)pc_rng_below(&r, (uint64_t)(hi - lo - 1)), (int64_t)pc_rng_below(&r, 1000000000));
        if (i < 2000) t = at(T2024 + i, i * 499999); /* near our default times */
        uint64_t ts = pc_ntp_from_ns(t);
        cr_assert_eq(pc_ntp_to_ns(ts), t, "%lld ns came back as %lld", (long long)t, (long long)pc_ntp_to_ns(ts));
        cr_assert_leq((uint32_t)ts, 0xFFFFFFFFu);
    }
    for (int64_t ns = 0; ns < 1000000000; ns += 999983) {
        uint64_t ts = pc_ntp_from_ns(at(T2024, ns));
        cr_assert_eq(ts >> 32, UINT64_C(0xe93c7f00), "fraction carried into the seconds at %lld", (long long)ns);
    }
}

Test(ntp, short_format)
{
    cr_assert_eq(pc_ntp_short_from_ns(0), 0);
    cr_assert_eq(pc_ntp_short_from_ns(-5), 0);
    cr_assert_eq(pc_ntp_short_from_ns(PC_NS_PER_SEC), 0x10000);
    cr_assert_eq(pc_ntp_short_from_ns(15625000), 0x400);
    cr_assert_eq(pc_ntp_short_from_ns(1), 1, "rounded up");
    cr_assert_eq(pc_ntp_short_from_ns(INT64_C(65536) * PC_NS_PER_SEC), 0xFFFFFFFFu);
    cr_assert_eq(pc_ntp_short_to_ns(0x400), 15625000);
    /* up, then down: never below, less than one unit (1/65536 s) above */
    for (int64_t ns = 0; ns < 10 * PC_NS_PER_SEC; ns += 7777777) {
        int64_t back = pc_ntp_short_to_ns(pc_ntp_short_from_ns(ns));
        cr_assert(back >= ns && back - ns <= 15258, "%lld ns came back as %lld", (long long)ns, (long long)back);
    }
}

Test(ntp, refid_text_and_names)
{
    char t[16];
    pc_ntp_refid_text((const uint8_t *)"GPS\0", 1, t);
    cr_assert_str_eq(t, "GPS");
    pc_ntp_refid_text((const uint8_t *)"RATE", 0, t);
    cr_assert_str_eq(t, "RATE");
    pc_ntp_refid_text((const uint8_t *)"\xc0\x00\x02\x01", 2, t);
    cr_assert_str_eq(t, "192.0.2.1");
    pc_ntp_refid_text((const uint8_t *)"\x01\x02\x03\x04", 1, t);
    cr_assert_str_eq(t, "1.2.3.4", "not text: an address even at stratum 1");
    pc_ntp_refid_text((const uint8_t *)"\0\0\0\0", 1, t);
    cr_assert_str_eq(t, "0.0.0.0");
    pc_ntp_refid_text((const uint8_t *)"GPS\0", 3, t);
    cr_assert_str_eq(t, "71.80.83.0");
    cr_assert_str_eq(pc_ntp_mode_name(3), "client");
    cr_assert_str_eq(pc_ntp_mode_name(4), "server");
}

/* ================================================================ commands */

/* Run the CLI under test with args (writing into tdir), or fail showing
 * its standard error. */
static void run_cli(const char *cmd, const char *args)
{
    char err[4200];
    int st = th_sh("cd '%s' && '%s' %s %s 2>err.txt", tdir, th_cli(), cmd, args);
    snprintf(err, sizeof err, "%s/err.txt", tdir);
    char *e = th_slurp_text(err);
    cr_assert_eq(st, 0, "pktcraft %s %s: exit %d: %s", cmd, args, st, e ? e : "");
    free(e);
}

/* The exit status and standard error of a command that must fail. */
static void cli_refuses(const char *cmd, const char *args, int want, const char *msg)
{
    char err[4200];
    int st = th_sh("cd '%s' && '%s' %s %s 2>err.txt >/dev/null", tdir, th_cli(), cmd, args);
    snprintf(err, sizeof err, "%s/err.txt", tdir);
    char *e = th_slurp_text(err);
    cr_assert_eq(st, want, "pktcraft %s %s: exit %d, want %d (%s)", cmd, args, st, want, e ? e : "");
    cr_assert(e && strstr(e, msg), "pktcraft %s %s: message '%s' lacks '%s'", cmd, args, e ? e : "", msg);
    free(e);
}

static char *truth_text(const char *name)
{
    char path[256];
    snprintf(path, sizeof path, "%s/%s.truth.json", tdir, name);
    char *t = th_slurp_text(path);
    cr_assert_not_null(t, "no truth file %s", path);
    return t;
}

static void truth_has(const char *truth, const char *want)
{
    cr_assert(strstr(truth, want), "truth file lacks %s:\n%s", want, truth);
}

/* One tshark run over a capture (checksums verified), rows split into
 * the columns of fields; *n rows. */
#define TS_MAXROWS 32
struct ts_out {
    char *col[TS_MAXROWS][40];
    size_t n;
};

/* The rows live in ts_rows (replaced by the next call, freed at fini). */
static void tshark_cols(struct ts_out *o, const char *pcap, const char *const *fields, size_t nf)
{
    char path[256];
    snprintf(path, sizeof path, "%s/%s", tdir, pcap);
    memset(o, 0, sizeof *o);
    cr_assert_leq(nf, 40);
    th_tshark_fields(&ts_rows, th_tshark_require(), tdir, path, NULL, TH_TS_CHECKSUMS, fields, nf);
    cr_assert_leq(ts_rows.n, TS_MAXROWS);
    for (size_t r = 0; r < ts_rows.n; r++) th_split_cols(ts_rows.row[r], o->col[r], nf, r + 1);
    o->n = ts_rows.n;
}

/* --------------------------------------------------------------- dhcp */

enum {
    D_TIME, D_ESRC, D_EDST, D_ISRC, D_IDST, D_SPORT, D_DPORT, D_UDPCS, D_TYPE, D_XID, D_BC, D_CIADDR, D_YIADDR,
    D_CHADDR, D_SERVERID, D_REQIP, D_LEASE, D_T1, D_T2, D_MASK, D_ROUTER, D_DNS, D_DOMAIN, D_HOST, D_PRL, D_MAXSIZE,
    D_MSG, D_OPTS, D_MALFORMED, D_SEV, D_EXPERT, D_N
};
static const char *const dhcp_fields[D_N] = {
    "frame.time_epoch", "eth.src", "eth.dst", "ip.src", "ip.dst", "udp.srcport", "udp.dstport",
    "udp.checksum.status", "dhcp.option.dhcp", "dhcp.id", "dhcp.flags.bc", "dhcp.ip.client", "dhcp.ip.your",
    "dhcp.hw.mac_addr", "dhcp.option.dhcp_server_id", "dhcp.option.requested_ip_address",
    "dhcp.option.ip_address_lease_time", "dhcp.option.renewal_time_value", "dhcp.option.rebinding_time_value",
    "dhcp.option.subnet_mask", "dhcp.option.router", "dhcp.option.domain_name_server", "dhcp.option.domain_name",
    "dhcp.option.hostname", "dhcp.option.request_list_item", "dhcp.option.dhcp_max_message_size",
    "dhcp.option.message", "dhcp.option.type", "_ws.malformed", "_ws.expert.severity", "_ws.expert.message",
};

/* Every frame: DHCP with a good UDP checksum, nothing malformed, no expert
 * item at all (a DHCP exchange gives tshark nothing to remark). */
static void dhcp_clean(struct ts_out *o)
{
    for (size_t r = 0; r < o->n; r++) {
        char **c = o->col[r];
        th_expert_clean(c[D_MALFORMED], c[D_SEV], c[D_EXPERT], r + 1);
        cr_assert_str_empty(c[D_SEV], "frame %zu: expert item %s", r + 1, c[D_EXPERT]);
        cr_assert_str_eq(c[D_UDPCS], th_ts_csum_status(PC_CSUM_GOOD), "frame %zu: UDP checksum status %s", r + 1,
                         c[D_UDPCS]);
        cr_assert_str_neq(c[D_TYPE], "", "frame %zu is not DHCP", r + 1);
    }
}

static void dhcp_types(struct ts_out *o, const char *const *want, size_t n)
{
    cr_assert_eq(o->n, n, "%zu frames, want %zu", o->n, n);
    for (size_t r = 0; r < n; r++) cr_assert_str_eq(o->col[r][D_TYPE], want[r], "frame %zu: message type", r + 1);
}

/* Where a frame goes: MACs, addresses, ports. */
static void dhcp_path(char **c, size_t row, const char *esrc, const char *edst, const char *isrc, const char *idst,
                      bool from_client)
{
    cr_assert_str_eq(c[D_ESRC], esrc, "frame %zu eth.src", row);
    cr_assert_str_eq(c[D_EDST], edst, "frame %zu eth.dst", row);
    cr_assert_str_eq(c[D_ISRC], isrc, "frame %zu ip.src", row);
    cr_assert_str_eq(c[D_IDST], idst, "frame %zu ip.dst", row);
    cr_assert_str_eq(c[D_SPORT], from_client ? "68" : "67", "frame %zu sport", row);
    cr_assert_str_eq(c[D_DPORT], from_client ? "67" : "68", "frame %zu dport", row);
}

#define CMAC "02:00:00:00:aa:01"
#define SMAC "02:00:00:00:00:02"
#define BMAC "ff:ff:ff:ff:ff:ff"

/* The whole exchange decoded by tshark, field by field, and the truth. */
Test(dhcp, cli_dora_against_tshark_and_truth)
{
    run_cli("dhcp", "--server 192.168.1.1 --offer 192.168.1.100 --client-mac " CMAC " --router 192.168.1.254 "
                    "--dns 192.168.1.1,8.8.8.8 --domain example.lan --hostname host1 --lease 2h --xid 0x3903f326 "
                    "--start 1700000000 --truth -o dora.pcap");
    struct ts_out o;
    tshark_cols(&o, "dora.pcap", dhcp_fields, D_N);
    dhcp_clean(&o);
    static const char *const types[] = { "1", "2", "3", "5" };
    dhcp_types(&o, types, 4);
    dhcp_path(o.col[0], 1, CMAC, BMAC, "0.0.0.0", "255.255.255.255", true);
    dhcp_path(o.col[1], 2, SMAC, CMAC, "192.168.1.1", "192.168.1.100", false);
    dhcp_path(o.col[2], 3, CMAC, BMAC, "0.0.0.0", "255.255.255.255", true);
    dhcp_path(o.col[3], 4, SMAC, CMAC, "192.168.1.1", "192.168.1.100", false);
    cr_assert_str_eq(o.col[0][D_TIME], "1700000000.000000000");
    for (size_t r = 0; r < 4; r++) {
        char **c = o.col[r];
        cr_assert_str_eq(c[D_XID], "0x3903f326", "frame %zu xid", r + 1);
        /* chaddr first (option 61 holds the MAC again in client messages) */
        cr_assert(!strncmp(c[D_CHADDR], CMAC, strlen(CMAC)), "frame %zu chaddr %s", r + 1, c[D_CHADDR]);
        cr_assert_str_eq(c[D_BC], "0", "frame %zu broadcast flag", r + 1);
        cr_assert_str_eq(c[D_CIADDR], "0.0.0.0");
        bool server = r % 2;
        cr_assert_str_eq(c[D_YIADDR], server ? "192.168.1.100" : "0.0.0.0", "frame %zu yiaddr", r + 1);
        cr_assert_str_eq(c[D_SERVERID], r ? "192.168.1.1" : "", "frame %zu server id", r + 1);
        cr_assert_str_eq(c[D_LEASE], server ? "7200" : "", "frame %zu lease", r + 1);
        cr_assert_str_eq(c[D_T1], server ? "3600" : "");
        cr_assert_str_eq(c[D_T2], server ? "6300" : "");
        cr_assert_str_eq(c[D_MASK], server ? "255.255.255.0" : "");
        cr_assert_str_eq(c[D_ROUTER], server ? "192.168.1.254" : "");
        cr_assert_str_eq(c[D_DNS], server ? "192.168.1.1|8.8.8.8" : "", "frame %zu dns: %s", r + 1, c[D_DNS]);
        cr_assert_str_eq(c[D_DOMAIN], server ? "example.lan" : "");
        cr_assert_str_eq(c[D_HOST], server ? "" : "host1");
        cr_assert_str_eq(c[D_PRL], server ? "" : "1|3|6|12|15|28|51|58|59");
        cr_assert_str_eq(c[D_MAXSIZE], server ? "" : "1500");
    }
    cr_assert_str_eq(o.col[0][D_REQIP], "");
    cr_assert_str_eq(o.col[2][D_REQIP], "192.168.1.100", "the REQUEST asks for the offered address");
    cr_assert(!strncmp(o.col[0][D_OPTS], "53|61|12|57|55|", 15), "DISCOVER options %s", o.col[0][D_OPTS]);
    cr_assert(!strncmp(o.col[1][D_OPTS], "53|54|51|58|59|1|3|6|15|", 24), "OFFER options %s", o.col[1][D_OPTS]);
    cr_assert(!strncmp(o.col[2][D_OPTS], "53|54|50|61|12|57|55|", 21), "REQUEST options %s", o.col[2][D_OPTS]);

    char *t = truth_text("dora.pcap");
    truth_has(t, "\"dhcp\":{\"xid\":956560166,\"xid_hex\":\"0x3903f326\",\"client_mac\":\"" CMAC "\"");
    truth_has(t, "\"server\":\"192.168.1.1\",\"offered\":\"192.168.1.100\",\"assigned\":\"192.168.1.100\"");
    truth_has(t, "\"lease\":7200,\"mask\":\"255.255.255.0\",\"router\":[\"192.168.1.254\"]");
    truth_has(t, "\"dns\":[\"192.168.1.1\",\"8.8.8.8\"],\"domain\":\"example.lan\",\"hostname\":\"host1\"");
    truth_has(t, "\"messages\":[\"DISCOVER\",\"OFFER\",\"REQUEST\",\"ACK\"]");
    truth_has(t, "\"packets\":4");
    free(t);
}

/* The broadcast flag sends the replies to 255.255.255.255; a NAK is
 * broadcast, carries the server id and a message, and assigns nothing. */
Test(dhcp, cli_broadcast_and_nak)
{
    run_cli("dhcp", "--dst 10.1.2.3 --src 10.1.2.50 --smac " CMAC " --broadcast --nak --start 1700000000 --seed 4 "
                    "--truth -o nak.pcap");
    struct ts_out o;
    tshark_cols(&o, "nak.pcap", dhcp_fields, D_N);
    dhcp_clean(&o);
    static const char *const types[] = { "1", "2", "3", "6" };
    dhcp_types(&o, types, 4);
    dhcp_path(o.col[1], 2, SMAC, BMAC, "10.1.2.3", "255.255.255.255", false);
    dhcp_path(o.col[3], 4, SMAC, BMAC, "10.1.2.3", "255.255.255.255", false);
    for (size_t r = 0; r < 4; r++) cr_assert_str_eq(o.col[r][D_BC], "1", "frame %zu broadcast flag", r + 1);
    cr_assert_str_eq(o.col[1][D_YIADDR], "10.1.2.50", "--src is the offered address");
    cr_assert_str_eq(o.col[2][D_REQIP], "10.1.2.50");
    char **nak = o.col[3];
    cr_assert_str_eq(nak[D_YIADDR], "0.0.0.0");
    cr_assert_str_eq(nak[D_SERVERID], "10.1.2.3", "--dst is the server");
    cr_assert_str_eq(nak[D_LEASE], "");
    cr_assert_str_eq(nak[D_MSG], "requested address not available");
    char *t = truth_text("nak.pcap");
    truth_has(t, "\"offered\":\"10.1.2.50\",\"assigned\":null");
    truth_has(t, "\"broadcast\":true,\"messages\":[\"DISCOVER\",\"OFFER\",\"REQUEST\",\"NAK\"]");
    free(t);
}

/* RENEWING: unicast both ways, ciaddr set, no 50 or 54 in the REQUEST;
 * INIT-REBOOT: broadcast REQUEST with 50 and no server id. */
Test(dhcp, cli_renew_and_reboot)
{
    run_cli("dhcp", "--steps renew --client-mac " CMAC " --lease infinite --start 1700000000 -o renew.pcap");
    run_cli("dhcp", "--steps reboot --client-mac " CMAC " --start 1700000000 -o reboot.pcap");
    struct ts_out o;
    tshark_cols(&o, "renew.pcap", dhcp_fields, D_N);
    dhcp_clean(&o);
    static const char *const types[] = { "3", "5" };
    dhcp_types(&o, types, 2);
    dhcp_path(o.col[0], 1, CMAC, SMAC, "192.168.1.100", "192.168.1.1", true);
    dhcp_path(o.col[1], 2, SMAC, CMAC, "192.168.1.1", "192.168.1.100", false);
    cr_assert_str_eq(o.col[0][D_CIADDR], "192.168.1.100");
    cr_assert_str_eq(o.col[0][D_REQIP], "");
    cr_assert_str_eq(o.col[0][D_SERVERID], "");
    cr_assert_str_eq(o.col[1][D_LEASE], "4294967295", "infinite");
    cr_assert_str_eq(o.col[1][D_T1], "", "no renewal time for an infinite lease");
    tshark_cols(&o, "reboot.pcap", dhcp_fields, D_N);
    dhcp_clean(&o);
    dhcp_types(&o, types, 2);
    dhcp_path(o.col[0], 1, CMAC, BMAC, "0.0.0.0", "255.255.255.255", true);
    cr_assert_str_eq(o.col[0][D_REQIP], "192.168.1.100");
    cr_assert_str_eq(o.col[0][D_SERVERID], "");
}

/* A lost OFFER: the client sends its DISCOVER again after --timeout and
 * the exchange then completes (how many OFFERs and REQUESTs follow is the
 * engine's UDP retransmission rule: both sides resend what waits for an
 * answer); a duplicated REQUEST is answered twice.  tshark still finds
 * nothing wrong, and the truth records both faults. */
Test(dhcp, cli_faults_drop_and_dup)
{
    run_cli("dhcp", "--fault drop:2 --timeout 500ms --start 1700000000 --truth -o drop.pcap");
    run_cli("dhcp", "--fault dup:3 --start 1700000000 --truth -o dup.pcap");
    struct ts_out o;
    tshark_cols(&o, "drop.pcap", dhcp_fields, D_N);
    dhcp_clean(&o);
    cr_assert_geq(o.n, 5);
    cr_assert(!strcmp(o.col[0][D_TYPE], "1") && !strcmp(o.col[1][D_TYPE], "1") && !strcmp(o.col[2][D_TYPE], "2"),
              "DISCOVER, DISCOVER again, OFFER: %s %s %s", o.col[0][D_TYPE], o.col[1][D_TYPE], o.col[2][D_TYPE]);
    cr_assert_str_eq(o.col[1][D_TIME], "1700000000.500000000", "resent after the timeout");
    cr_assert_str_eq(o.col[o.n - 1][D_TYPE], "5", "the exchange ends with the ACK");
    for (size_t r = 3; r < o.n; r++)
        cr_assert(!strcmp(o.col[r][D_TYPE], "2") || !strcmp(o.col[r][D_TYPE], "3") || !strcmp(o.col[r][D_TYPE], "5"),
                  "frame %zu: type %s after the first OFFER", r + 1, o.col[r][D_TYPE]);
    char *t = truth_text("drop.pcap");
    truth_has(t, "{\"fault\":\"drop\",\"packet\":2,\"applied\":true,\"packets\":[3]");
    free(t);
    tshark_cols(&o, "dup.pcap", dhcp_fields, D_N);
    dhcp_clean(&o);
    static const char *const t_dup[] = { "1", "2", "3", "3", "5", "5" };
    dhcp_types(&o, t_dup, 6);
    t = truth_text("dup.pcap");
    truth_has(t, "{\"fault\":\"dup\",\"packet\":3,\"applied\":true");
    free(t);
}

Test(dhcp, cli_deterministic_and_seeded)
{
    run_cli("dhcp", "--start 1700000000 --seed 7 -o a.pcap");
    run_cli("dhcp", "--start 1700000000 --seed 7 -o b.pcap");
    run_cli("dhcp", "--start 1700000000 --seed 8 -o c.pcap");
    cr_assert_eq(th_sh("cmp -s '%s/a.pcap' '%s/b.pcap'", tdir, tdir), 0, "same arguments, other bytes");
    cr_assert_neq(th_sh("cmp -s '%s/a.pcap' '%s/c.pcap'", tdir, tdir), 0, "the seed changes nothing (xid)");
}

Test(dhcp, cli_refusals)
{
    cli_refuses("dhcp", "--src 2001:db8::1 -o x.pcap", 2, "IPv4 only");
    cli_refuses("dhcp", "--lease 5x -o x.pcap", 2, "--lease: '5x'");
    cli_refuses("dhcp", "--lease 5000000000 -o x.pcap", 2, "--lease");
    cli_refuses("dhcp", "--steps dorado -o x.pcap", 2, "--steps: 'dorado'");
    cli_refuses("dhcp", "--server 10.0.0.1 --offer 10.0.0.1 -o x.pcap", 2, "the offered address is the server's");
    cli_refuses("dhcp", "--offer 255.255.255.255 -o x.pcap", 2, "--offer: must be a unicast address");
    cli_refuses("dhcp", "--dns 1.2.3.4,x -o x.pcap", 2, "--dns");
    cli_refuses("dhcp", "--bogus -o x.pcap", 2, "--bogus");
    cli_refuses("dhcp", "--start 1700000000", 2, "-o FILE is required");
}

/* ---------------------------------------------------------------- ntp */

enum {
    N_TIME, N_SPORT, N_DPORT, N_UDPCS, N_VN, N_MODE, N_LI, N_STRATUM, N_POLL, N_PREC, N_DELAY, N_DISP, N_REFID,
    N_REF, N_ORG, N_REC, N_XMT, N_MALFORMED, N_SEV, N_EXPERT, N_N
};
static const char *const ntp_fields[N_N] = {
    "frame.time_epoch", "udp.srcport", "udp.dstport", "udp.checksum.status", "ntp.flags.vn", "ntp.flags.mode",
    "ntp.flags.li", "ntp.stratum", "ntp.ppoll", "ntp.precision", "ntp.rootdelay", "ntp.rootdispersion", "ntp.refid",
    "ntp.reftime", "ntp.org", "ntp.rec", "ntp.xmt", "_ws.malformed", "_ws.expert.severity", "_ws.expert.message",
};

/* tshark's absolute time "Jan  1, 2024 00:00:00.250000000 UTC" as ns. */
static pc_time_ns ts_abs(const char *s)
{
    struct tm tm;
    memset(&tm, 0, sizeof tm);
    const char *rest = strptime(s, "%b %d, %Y %H:%M:%S", &tm);
    cr_assert(rest && rest[0] == '.', "tshark time '%s'", s);
    char *end;
    long long ns = strtoll(rest + 1, &end, 10);
    cr_assert(end - rest - 1 == 9 && !strcmp(end, " UTC"), "tshark time '%s' (not nanoseconds UTC)", s);
    return (pc_time_ns)timegm(&tm) * PC_NS_PER_SEC + ns;
}

/* "1704067200.250000000" as ns. */
static pc_time_ns ts_epoch(const char *s)
{
    char *end;
    long long sec = strtoll(s, &end, 10);
    cr_assert(*end == '.' && strlen(end + 1) == 9, "epoch time '%s'", s);
    return (pc_time_ns)sec * PC_NS_PER_SEC + strtoll(end + 1, NULL, 10);
}

static void ntp_clean(struct ts_out *o)
{
    for (size_t r = 0; r < o->n; r++) {
        char **c = o->col[r];
        th_expert_clean(c[N_MALFORMED], c[N_SEV], c[N_EXPERT], r + 1);
        cr_assert_str_empty(c[N_SEV], "frame %zu: expert item %s", r + 1, c[N_EXPERT]);
        cr_assert_str_eq(c[N_UDPCS], th_ts_csum_status(PC_CSUM_GOOD), "frame %zu: UDP checksum status %s", r + 1,
                         c[N_UDPCS]);
    }
}

/* One exchange: the client's timestamps are capture times, the server's
 * follow from them by the RTT, the serialization of a 90-byte frame at
 * 100 Mbit/s (7.2 us) and the processing time, plus the server's clock
 * offset; the client's own computation (RFC 5905 8) from tshark's values
 * gives the offset back and the delay of the path. */
static void ntp_check_exchange(const char *pcap, int64_t rtt, int64_t ser, int64_t proc, int64_t offset,
                               const char *stratum, const char *refid, const char *vn, const char *sport)
{
    struct ts_out o;
    tshark_cols(&o, pcap, ntp_fields, N_N);
    ntp_clean(&o);
    cr_assert_eq(o.n, 2, "%zu frames", o.n);
    char **q = o.col[0], **a = o.col[1];
    cr_assert(!strcmp(q[N_MODE], "3") && !strcmp(a[N_MODE], "4"), "modes %s then %s", q[N_MODE], a[N_MODE]);
    cr_assert(!strcmp(q[N_VN], vn) && !strcmp(a[N_VN], vn), "versions %s %s", q[N_VN], a[N_VN]);
    cr_assert(!strcmp(q[N_SPORT], sport) && !strcmp(q[N_DPORT], "123") && !strcmp(a[N_SPORT], "123") &&
              !strcmp(a[N_DPORT], sport), "ports");
    cr_assert_str_eq(q[N_STRATUM], "0");
    cr_assert_str_eq(a[N_STRATUM], stratum);
    cr_assert_str_eq(a[N_REFID], refid);
    cr_assert_str_eq(a[N_ORG], q[N_XMT], "the response's origin is the request's transmit timestamp");
    pc_time_ns t1 = ts_abs(q[N_XMT]), c1 = ts_epoch(q[N_TIME]), c4 = ts_epoch(a[N_TIME]);
    pc_time_ns t2 = ts_abs(a[N_REC]), t3 = ts_abs(a[N_XMT]), ref = ts_abs(a[N_REF]);
    cr_assert_eq(t1, c1, "request transmit %lld, captured at %lld", (long long)t1, (long long)c1);
    int64_t oneway = rtt / 2 + ser;
    cr_assert_eq(t2 - t1, oneway + offset, "receive - transmit: %lld", (long long)(t2 - t1));
    cr_assert_eq(t3 - t2, proc, "server's processing %lld", (long long)(t3 - t2));
    cr_assert_eq(c4 - t1, 2 * oneway + proc, "response captured %lld after the request", (long long)(c4 - t1));
    cr_assert_eq(((t2 - t1) + (t3 - c4)) / 2, offset, "the offset the client computes");
    cr_assert_eq((c4 - t1) - (t3 - t2), 2 * oneway, "the delay the client computes");
    cr_assert_eq(t2 - ref, 64 * PC_NS_PER_SEC, "reference time one poll interval (2^6 s) before");
}

Test(ntp, cli_exchange_against_tshark_and_truth)
{
    run_cli("ntp", "--src 10.0.0.1 --dst 10.0.0.123 --start 1704067200.25 --rtt 20ms -F nsecpcap --truth "
                   "-o ntp.pcap");
    ntp_check_exchange("ntp.pcap", 20000000, 7200, 25000, 0, "2", "c0000201", "4", "123");
    char *t = truth_text("ntp.pcap");
    truth_has(t, "\"ntp\":{\"version\":4,\"stratum\":2,\"refid\":\"192.0.2.1\"");
    truth_has(t, "\"client_transmit\":{\"time\":\"1704067200.250000000\",\"iso\":\"2024-01-01T00:00:00.250000000Z\","
                 "\"ntp\":\"e93c7f0040000000\"}");
    truth_has(t, "\"origin\":{\"time\":\"1704067200.250000000\"");
    truth_has(t, "\"receive\":{\"time\":\"1704067200.260007200\"");
    truth_has(t, "\"transmit\":{\"time\":\"1704067200.260032200\"");
    truth_has(t, "\"client_receive\":{\"time\":\"1704067200.270039400\"");
    truth_has(t, "\"offset_ns\":0,\"computed_offset_ns\":0,\"computed_delay_ns\":20014400");
    free(t);
}

/* A stratum-1 server with a text refid and a clock 1.5 ms behind, over
 * IPv6 (a 110-byte frame: 8.8 us at 100 Mbit/s), version 3, from a client
 * port that is not 123. */
Test(ntp, cli_stratum1_offset_ipv6_v3)
{
    run_cli("ntp", "--src 2001:db8::1 --dst 2001:db8::123 --stratum 1 --refid GPS --offset -1.5ms --version 3 "
                   "--sport 40123 --processing 100us --start 1704067200 --rtt 3ms -F nsecpcap --truth -o gps.pcap");
    ntp_check_exchange("gps.pcap", 3000000, 8800, 100000, -1500000, "1", "47505300", "3", "40123");
    char *t = truth_text("gps.pcap");
    truth_has(t, "\"version\":3,\"stratum\":1,\"refid\":\"GPS\"");
    truth_has(t, "\"client_port\":40123");
    truth_has(t, "\"offset_ns\":-1500000,\"computed_offset_ns\":-1500000");
    free(t);
}

/* A lost response: the client sends its request again after --timeout,
 * and the server answers it. */
Test(ntp, cli_fault_drop)
{
    run_cli("ntp", "--src 10.0.0.1 --dst 10.0.0.123 --fault drop:2 --timeout 200ms --start 1704067200 --truth "
                   "-o drop.pcap");
    struct ts_out o;
    tshark_cols(&o, "drop.pcap", ntp_fields, N_N);
    ntp_clean(&o);
    cr_assert_eq(o.n, 3);
    cr_assert(!strcmp(o.col[0][N_MODE], "3") && !strcmp(o.col[1][N_MODE], "3") && !strcmp(o.col[2][N_MODE], "4"));
    cr_assert_str_eq(o.col[1][N_TIME], "1704067200.200000000");
    cr_assert_str_eq(o.col[2][N_ORG], o.col[1][N_XMT]);
    char *t = truth_text("drop.pcap");
    truth_has(t, "{\"fault\":\"drop\",\"packet\":2,\"applied\":true,\"packets\":[3]");
    free(t);
}

Test(ntp, cli_refusals)
{
    cli_refuses("ntp", "--src 10.0.0.1 --dst 10.0.0.2 --stratum 17 -o x.pcap", 2, "--stratum");
    cli_refuses("ntp", "--src 10.0.0.1 --dst 10.0.0.2 --refid TOOLONG -o x.pcap", 2, "--refid: 'TOOLONG'");
    cli_refuses("ntp", "--src 10.0.0.1 --dst 10.0.0.2 --version 0 -o x.pcap", 2, "--version");
    cli_refuses("ntp", "--src 10.0.0.1 --dst 10.0.0.2 --poll 200 -o x.pcap", 2, "--poll");
    cli_refuses("ntp", "--src 10.0.0.1 --dst 10.0.0.2 --offset 5 -o x.pcap", 2, "--offset");
    cli_refuses("ntp", "--dst 10.0.0.2 -o x.pcap", 2, "--src is required");
}

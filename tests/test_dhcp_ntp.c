/* DHCP and NTP: the encoders against bytes made independently with scapy
 * 2.5.0 (/usr/bin/python3), into buffers poisoned with 0xA5; every bad
 * spec refused; the parsers over every cut of a message under a guard
 * page, over messages broken one named way at a time, and over seeded
 * random round trips; the NTP time formats at known instants and across
 * the 2036 era boundary.  Then the commands (pktcraft dhcp, pktcraft ntp)
 * against tshark, one call per capture, and their truth files. */
#include <criterion/criterion.h>
#include <criterion/logging.h>

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

TestSuite(dhcp, .timeout = 1800);

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

TestSuite(ntp, .timeout = 1800);

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

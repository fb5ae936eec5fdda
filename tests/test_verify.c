/* pktcraft verify, the capture linter, against tshark:
 *   - every golden capture verifies as golden/cases.tsv says tshark sees it
 *     (ok: exit 0 and nothing printed; bad:LAYERS: exactly those checksum
 *     findings; malformed: a finding), and every crafting command's
 *     default output verifies clean;
 *   - a packet made wrong with --corrupt/--set gives exactly one finding,
 *     whose found value is tshark's field and whose expected value is
 *     tshark's computed checksum (tcp/udp/ip .checksum_calculated) or the
 *     field of the same packet crafted right; each fixed checksum (our
 *     expected value written in) is good for tshark and verifies clean;
 *   - --allow, packet numbers under a BPF filter, a fragment train missing
 *     a piece, a TCP stream missing a segment (tshark's "previous segment
 *     not captured" and relative sequence numbers), a snaplen cut, damaged
 *     files;
 *   - over ../shared/corpus: no crash or sanitizer report, and the
 *     checksum findings agree with tshark's checksum status wherever both
 *     check the same layer. */
#include <criterion/criterion.h>
#include <criterion/logging.h>

#include "oracle.h"

TestSuite(verify, .timeout = 1800);

/* ------------------------------------------------------------ running verify */

struct tv_finding {
    uint64_t packet; /* 0: null */
    char layer[24], field[24], check[24];
    bool has_values;
    uint64_t found, expected;
    char message[300];
};

struct tv_run {
    int status;
    char *out, *err;
    struct tv_finding *f;
    size_t n;
};

static void tv_free(struct tv_run *r)
{
    free(r->out);
    free(r->err);
    free(r->f);
    memset(r, 0, sizeof *r);
}

/* The value of "key": in a JSON line: a string copied to out, or a number
 * (*num; returns 2), or null (returns 0); 1 for a string. */
static int tv_key(const char *line, const char *key, char *out, size_t cap, uint64_t *num)
{
    char pat[64];
    snprintf(pat, sizeof pat, "\"%s\":", key);
    const char *p = strstr(line, pat);
    cr_assert_not_null(p, "no key %s in %s", key, line);
    p += strlen(pat);
    if (!strncmp(p, "null", 4)) return 0;
    if (*p != '"') {
        *num = strtoull(p, NULL, 10);
        return 2;
    }
    size_t k = 0;
    for (p++; *p && *p != '"' && k + 1 < cap; p++) {
        if (*p == '\\' && p[1]) p++;
        out[k++] = *p;
    }
    out[k] = 0;
    return 1;
}

static void tv_parse(struct tv_run *r)
{
    for (char *line = r->out; line && *line;) {
        char *nl = strchr(line, '\n');
        if (nl) *nl = 0;
        struct tv_finding f = { 0 };
        uint64_t num = 0;
        char tmp[8];
        if (tv_key(line, "packet", tmp, sizeof tmp, &num) == 2) f.packet = num;
        cr_assert_eq(tv_key(line, "layer", f.layer, sizeof f.layer, &num), 1, "%s", line);
        cr_assert_eq(tv_key(line, "field", f.field, sizeof f.field, &num), 1, "%s", line);
        cr_assert_eq(tv_key(line, "check", f.check, sizeof f.check, &num), 1, "%s", line);
        int a = tv_key(line, "found", tmp, sizeof tmp, &f.found);
        int b = tv_key(line, "expected", tmp, sizeof tmp, &f.expected);
        cr_assert_eq(a, b, "%s", line);
        f.has_values = a == 2;
        cr_assert_eq(tv_key(line, "message", f.message, sizeof f.message, &num), 1, "%s", line);
        struct tv_finding *nf = realloc(r->f, (r->n + 1) * sizeof *nf);
        cr_assert_not_null(nf);
        r->f = nf;
        r->f[r->n++] = f;
        if (nl) *nl = '\n';
        line = nl ? nl + 1 : NULL;
    }
}

static bool tv_sanitizer(const char *err)
{
    return strstr(err, "Sanitizer") || strstr(err, "runtime error:") || strstr(err, "LeakSanitizer");
}

/* pktcraft verify --format jsonl ARGS, its output parsed; a sanitizer
 * report or an exit status other than 0, 1 (or 2 when usage is true)
 * fails the test. */
static void tv_verify(struct tv_run *r, const char *dir, const char *args)
{
    memset(r, 0, sizeof *r);
    r->status = th_sh("'%s' verify --format jsonl %s > '%s/v.out' 2> '%s/v.err'", th_cli(), args, dir, dir);
    char p[128];
    snprintf(p, sizeof p, "%s/v.out", dir);
    r->out = th_slurp_text(p);
    snprintf(p, sizeof p, "%s/v.err", dir);
    r->err = th_slurp_text(p);
    cr_assert(r->out && r->err);
    cr_assert(!tv_sanitizer(r->err), "verify %s: sanitizer report:\n%s", args, r->err);
    cr_assert(r->status == 0 || r->status == 1 || r->status == 2, "verify %s: exit %d\n%s", args, r->status, r->err);
    tv_parse(r);
}

static void tv_craft(const char *dir, const char *file, const char *args)
{
    int st = th_sh("cd '%s' && '%s' %s --append -o '%s/%s' > /dev/null 2> '%s/craft.err'", th_root(), th_cli(), args,
                   dir, file, dir);
    cr_assert_eq(st, 0, "pktcraft %s failed", args);
}

static void tv_expect_clean(const struct tv_run *r, const char *what)
{
    cr_assert_eq(r->status, 0, "%s: exit %d, %zu findings, first: %s\n%s", what, r->status, r->n,
                 r->n ? r->f[0].message : "-", r->err);
    cr_assert_eq(r->n, 0, "%s: findings with exit 0", what);
}

/* ------------------------------------------------------------ golden and defaults */

Test(verify, golden_captures_verify_as_tshark_judges_them)
{
    char path[4096], dir[64];
    snprintf(path, sizeof path, "%s/golden/cases.tsv", th_root());
    FILE *f = fopen(path, "r");
    cr_assert_not_null(f, "%s", path);
    th_tmpdir(dir);
    static char line[8192];
    size_t ok = 0, bad = 0, malformed = 0;
    while (fgets(line, sizeof line, f)) {
        if (line[0] == '#' || line[0] == '\n') continue;
        line[strcspn(line, "\n")] = 0;
        char *name = line, *t1 = strchr(line, '\t'), *t2 = t1 ? strchr(t1 + 1, '\t') : NULL;
        cr_assert(t1 && t2, "cases.tsv: %s", line);
        *t1 = 0;
        const char *verdict = t2 + 1;
        char args[4200];
        snprintf(args, sizeof args, "'%s/golden/%.200s.pcap'", th_root(), name);
        struct tv_run r;
        tv_verify(&r, dir, args);
        if (!strcmp(verdict, "ok")) {
            tv_expect_clean(&r, name);
            ok++;
        } else if (!strncmp(verdict, "bad:", 4)) {
            /* exactly the layers tshark calls bad, as checksum findings */
            size_t want = 0;
            for (const char *p = verdict + 4; *p; p += strcspn(p, ",") + (p[strcspn(p, ",")] ? 1 : 0)) {
                char layer[24];
                snprintf(layer, sizeof layer, "%.*s", (int)strcspn(p, ","), p);
                const char *ours = !strcmp(layer, "ip") ? "ipv4" : !strcmp(layer, "icmpv6") ? "icmp6" : layer;
                bool seen = false;
                for (size_t i = 0; i < r.n; i++)
                    seen |= !strcmp(r.f[i].layer, ours) && !strcmp(r.f[i].check, "checksum");
                cr_assert(seen, "%s: no checksum finding for %s", name, ours);
                want++;
            }
            cr_assert_eq(r.n, want, "%s: %zu findings, want %zu", name, r.n, want);
            cr_assert_eq(r.status, 1, "%s", name);
            bad++;
        } else {
            cr_assert_eq(r.status, 1, "%s (%s): exit %d", name, verdict, r.status);
            cr_assert_geq(r.n, 1, "%s", name);
            malformed++;
        }
        tv_free(&r);
    }
    fclose(f);
    th_rmdir(dir);
    fprintf(stderr, "verify golden: %zu clean, %zu with bad checksums, %zu malformed\n", ok, bad, malformed);
    cr_assert_geq(ok, 38);
    cr_assert_geq(bad, 1);
    cr_assert_geq(malformed, 3);
}

Test(verify, every_crafting_command_default_output_is_clean)
{
    static const char *const cmds[] = {
        "syn --src 10.0.0.1 --dst 10.0.0.2",
        "syn --src 2001:db8::1 --dst 2001:db8::2 -c 3",
        "tcp --src 10.0.0.1 --dst 10.0.0.2 --flags PA --data hello",
        "tcp --src 10.0.0.1 --dst 10.0.0.2 --flags S --mss 1460 --sackok --ts 1:0 --nop --wscale 7",
        "tcp --src 2001:db8::1 --dst 2001:db8::3 --flags S --ipv6-ext hop --ipv6-ext rt0:2001:db8::9",
        "udp --src 10.0.0.1 --dst 10.0.0.2",
        "udp --src 2001:db8::1 --dst 2001:db8::2 --data abc",
        "udp --src 10.0.0.1 --dst 10.0.0.2 --data-file golden/payload-3000.bin --frag 512 --frag-order random",
        "udp --src 2001:db8::1 --dst 2001:db8::2 --data-file golden/payload-3000.bin --frag 1024",
        "udp --src 10.1.0.1 --dst 10.1.0.2 --data inner --tunnel vxlan:42 --outer-src 192.0.2.1 --outer-dst 192.0.2.2",
        "tcp --src 2001:db8::1 --dst 2001:db8::2 --flags S --tunnel gre:7 --outer-src 192.0.2.1 --outer-dst 192.0.2.2",
        "icmp --src 10.0.0.1 --dst 10.0.0.2",
        "icmp --src 10.0.0.254 --dst 10.0.0.1 --type unreach --code needfrag --mtu 1400",
        "icmp6 --src 2001:db8::1 --dst 2001:db8::2",
        "icmp6 --src fe80::1 --dst ff02::1 --type ra --prefix 2001:db8:1::/64 --mtu 1500 --lladdr 02:00:00:00:00:01",
        "arp --src 10.0.0.1 --dst 10.0.0.2",
        "arp --op gratuitous --src 10.0.0.9 --vlan 10 --pad",
        "dns --src 10.0.0.1 --dst 10.0.0.53 --qname www.example.com",
        "dns --src 10.0.0.1 --dst 10.0.0.53 --tcp --qname example.org --qtype MX",
        "raw --linktype raw --hex 4500001c0001000040117cce7f0000017f00000100010002000801d9",
    };
    char dir[64];
    th_tmpdir(dir);
    size_t n = 0;
    for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++) {
        char file[32], args[128];
        snprintf(file, sizeof file, "c%zu.pcap", i);
        tv_craft(dir, file, cmds[i]);
        snprintf(args, sizeof args, "'%s/%s'", dir, file);
        struct tv_run r;
        tv_verify(&r, dir, args);
        tv_expect_clean(&r, cmds[i]);
        cr_assert(strstr(r.err, ", 0 findings"), "%s: summary: %s", cmds[i], r.err);
        tv_free(&r);
        n++;
    }
    th_rmdir(dir);
    fprintf(stderr, "verify: %zu crafted captures (every crafting command) verify clean\n", n);
}

/* ------------------------------------------------------------ corruptions */

struct tv_case {
    const char *args;     /* the packet crafted right */
    const char *wrong;    /* what makes it wrong */
    const char *layer, *field, *check;
    const char *ts_found; /* tshark's field holding the found value (on the wrong packet) */
    const char *ts_exp;   /* '=' field of the right twin, else a field of the wrong packet */
    unsigned scale;       /* tshark gives bytes where the field counts 4-byte words */
    int csum_at;          /* checksum offset in the layer: fixed, it must verify (-1: not a checksum) */
};

static const struct tv_case tv_cases[] = {
    { "syn --src 10.0.0.1 --dst 10.0.0.2", "--corrupt ip.csum", "ipv4", "csum", "checksum", "ip.checksum",
      "ip.checksum_calculated", 1, 10 },
    { "udp --src 10.0.0.1 --dst 10.0.0.2 --data abc", "--set ip.csum=0", "ipv4", "csum", "checksum", "ip.checksum",
      "ip.checksum_calculated", 1, 10 },
    { "syn --src 10.0.0.1 --dst 10.0.0.2", "--corrupt tcp.csum", "tcp", "csum", "checksum", "tcp.checksum",
      "tcp.checksum_calculated", 1, 16 },
    { "tcp --src 10.0.0.1 --dst 10.0.0.2 --flags PA --data hello", "--set tcp.csum=0x1234", "tcp", "csum", "checksum",
      "tcp.checksum", "tcp.checksum_calculated", 1, 16 },
    { "tcp --src 2001:db8::1 --dst 2001:db8::3 --flags S --ipv6-ext rt0:2001:db8::9", "--corrupt tcp.csum", "tcp",
      "csum", "checksum", "tcp.checksum", "tcp.checksum_calculated", 1, 16 },
    { "udp --src 10.0.0.1 --dst 10.0.0.2 --data abc", "--corrupt udp.csum", "udp", "csum", "checksum", "udp.checksum",
      "udp.checksum_calculated", 1, 6 },
    { "udp --src 2001:db8::1 --dst 2001:db8::2 --data abc", "--corrupt udp.csum", "udp", "csum", "checksum",
      "udp.checksum", "udp.checksum_calculated", 1, 6 },
    { "udp --src 2001:db8::1 --dst 2001:db8::2 --data abc", "--set udp.csum=0", "udp", "csum", "zero-checksum",
      "udp.checksum", "=udp.checksum", 1, 6 },
    { "icmp --src 10.0.0.1 --dst 10.0.0.2 --data abcdefgh", "--corrupt icmp.csum", "icmp", "csum", "checksum",
      "icmp.checksum", "=icmp.checksum", 1, 2 },
    { "icmp6 --src 2001:db8::1 --dst 2001:db8::2 --data ping6", "--corrupt icmp6.csum", "icmp6", "csum", "checksum",
      "icmpv6.checksum", "=icmpv6.checksum", 1, 2 },
    { "udp --src 10.0.0.1 --dst 10.0.0.2 --data abcdefgh", "--set ip.len=200", "ipv4", "len", "length", "ip.len",
      "=ip.len", 1, -1 },
    { "syn --src 10.0.0.1 --dst 10.0.0.2", "--set ip.ihl=4", "ipv4", "ihl", "length", "ip.hdr_len", "=ip.hdr_len", 4,
      -1 },
    { "udp --src 10.0.0.1 --dst 10.0.0.2 --data abcdefgh", "--set udp.len=100", "udp", "len", "length", "udp.length",
      "=udp.length", 1, -1 },
    { "udp --src 2001:db8::1 --dst 2001:db8::2 --data abcdefgh", "--set ip6.plen=300", "ipv6", "plen", "length",
      "ipv6.plen", "=ipv6.plen", 1, -1 },
    { "syn --src 10.0.0.1 --dst 10.0.0.2", "--set tcp.doff=4", "tcp", "doff", "length", "tcp.hdr_len", "=tcp.hdr_len",
      4, -1 },
    { "syn --src 10.0.0.1 --dst 10.0.0.2", "--set tcp.doff=15", "tcp", "doff", "length", "tcp.hdr_len",
      "=tcp.hdr_len", 4, -1 },
    { "arp --src 10.0.0.1 --dst 10.0.0.2", "--set arp.hlen=8", "arp", "hlen", "length", "arp.hw.size", "=arp.hw.size",
      1, -1 },
    { "dns --src 10.0.0.53 --dst 10.0.0.1 --sport 53 --qname example.com --answer 'example.com A 192.0.2.1'",
      "--set dns.ancount=3", "dns", "ancount", "dns-count", "dns.count.answers", "=dns.count.answers", 1, -1 },
};
#define TV_NCASES (sizeof tv_cases / sizeof tv_cases[0])

/* Column of a tshark field in the run's field list. */
static size_t tv_col(const char *const *fields, size_t nf, const char *name)
{
    for (size_t i = 0; i < nf; i++)
        if (!strcmp(fields[i], name)) return i;
    cr_assert_fail("no column %s", name);
    return 0;
}

static uint64_t tv_num(const char *v, const char *what, size_t frame)
{
    cr_assert(v[0], "tshark gives no %s for frame %zu", what, frame);
    return strtoull(v, NULL, 0);
}

/* Layer lay of the packet: where its checksum field is in the frame. */
static uint32_t tv_field_off(const uint8_t *data, const struct pc_pkthdr *h, const char *lay, int at)
{
    struct pc_decoded d;
    pc_decode(&d, data, h->caplen, h->len, h->linktype);
    for (int i = 0; i < d.n; i++)
        if (!(d.l[i].flags & PC_LF_QUOTED) && !strcmp(pc_proto_name(d.l[i].proto), lay))
            return d.l[i].off + (uint32_t)at;
    cr_assert_fail("no %s layer", lay);
    return 0;
}

Test(verify, each_corruption_gives_one_finding_with_tshark_values)
{
    const char *tshark = th_tshark_require();
    char dir[64], all[128], fixed[128];
    th_tmpdir(dir);
    snprintf(all, sizeof all, "%s/all.pcap", dir);
    snprintf(fixed, sizeof fixed, "%s/fixed.pcap", dir);
    /* the right twin, then the wrong one: frames 2k+1 and 2k+2 */
    for (size_t k = 0; k < TV_NCASES; k++) {
        char a[1024];
        snprintf(a, sizeof a, "%s --start %zu --seed %zu", tv_cases[k].args, 1000 + 2 * k, k + 1);
        tv_craft(dir, "all.pcap", a);
        snprintf(a, sizeof a, "%s %s --start %zu --seed %zu", tv_cases[k].args, tv_cases[k].wrong, 1001 + 2 * k, k + 1);
        tv_craft(dir, "all.pcap", a);
    }
    struct tv_run r;
    char args[256];
    snprintf(args, sizeof args, "'%s'", all);
    tv_verify(&r, dir, args);
    cr_assert_eq(r.status, 1);
    cr_assert_eq(r.n, TV_NCASES, "%zu findings for %zu wrong packets:\n%s", r.n, TV_NCASES, r.out);

    /* one tshark run over all of them */
    const char *fields[64];
    size_t nf = 0;
    fields[nf++] = "frame.number";
    for (size_t k = 0; k < TV_NCASES; k++) {
        const char *names[2] = { tv_cases[k].ts_found, tv_cases[k].ts_exp + (tv_cases[k].ts_exp[0] == '=') };
        for (int j = 0; j < 2; j++) {
            bool have = false;
            for (size_t i = 0; i < nf; i++) have |= !strcmp(fields[i], names[j]);
            if (!have) fields[nf++] = names[j];
        }
    }
    struct th_rows rows = { 0 };
    th_tshark_fields_occ(&rows, tshark, dir, all, NULL, TH_TS_CHECKSUMS, 'f', fields, nf);
    cr_assert_eq(rows.n, 2 * TV_NCASES, "tshark rows %zu", rows.n);
    char *cols[2 * TV_NCASES][64];
    for (size_t i = 0; i < rows.n; i++) th_split_cols(rows.row[i], cols[i], nf, i + 1);

    struct th_pcapw pw;
    th_pcapw_open(&pw, fixed, PC_LINK_ETHERNET, PC_TSPREC_US);
    struct pc_err e;
    struct pc_reader *rd = pc_reader_open(all, &e);
    cr_assert_not_null(rd, "%s", e.msg);
    size_t ncsum = 0;
    for (size_t k = 0; k < TV_NCASES; k++) {
        const struct tv_case *c = &tv_cases[k];
        const struct tv_finding *f = &r.f[k];
        size_t good = 2 * k, wrong = 2 * k + 1; /* rows */
        cr_assert_eq(f->packet, wrong + 1, "%s: finding for packet %llu", c->wrong, (unsigned long long)f->packet);
        cr_assert_str_eq(f->layer, c->layer, "%s", c->wrong);
        cr_assert_str_eq(f->field, c->field, "%s", c->wrong);
        cr_assert_str_eq(f->check, c->check, "%s", c->wrong);
        cr_assert(f->has_values, "%s", c->wrong);
        uint64_t tf = tv_num(cols[wrong][tv_col(fields, nf, c->ts_found)], c->ts_found, wrong + 1) / c->scale;
        bool twin = c->ts_exp[0] == '=';
        const char *ef = c->ts_exp + twin;
        uint64_t te = tv_num(cols[twin ? good : wrong][tv_col(fields, nf, ef)], ef, (twin ? good : wrong) + 1) / c->scale;
        cr_assert_eq(f->found, tf, "%s: found %llu, tshark %s %llu", c->wrong, (unsigned long long)f->found,
                     c->ts_found, (unsigned long long)tf);
        cr_assert_eq(f->expected, te, "%s: expected %llu, tshark %s %llu", c->wrong, (unsigned long long)f->expected,
                     c->ts_exp, (unsigned long long)te);
        /* copy the wrong packet, fixed with our expected value, for the next check */
        struct pc_pkthdr h;
        const uint8_t *data;
        for (int j = 0; j < 2; j++) cr_assert_eq(pc_reader_next(rd, &h, &data), 1);
        if (c->csum_at < 0) continue;
        static uint8_t buf[70000];
        memcpy(buf, data, h.caplen);
        pc_put16(buf + tv_field_off(data, &h, c->layer, c->csum_at), (uint16_t)f->expected);
        th_pcapw_write(&pw, h.ts, buf, h.caplen);
        ncsum++;
    }
    pc_reader_close(rd);
    th_pcapw_close(&pw);
    /* fixed: tshark calls every checksum good, and verify finds nothing */
    static const char *const st_fields[] = { "frame.number", "ip.checksum.status", "tcp.checksum.status",
                                             "udp.checksum.status", "icmp.checksum.status", "icmpv6.checksum.status" };
    th_tshark_fields_occ(&rows, tshark, dir, fixed, NULL, TH_TS_CHECKSUMS, 'a', st_fields, 6);
    cr_assert_eq(rows.n, ncsum);
    for (size_t i = 0; i < rows.n; i++) {
        char *sc[6];
        th_split_cols(rows.row[i], sc, 6, i + 1);
        for (int j = 1; j < 6; j++)
            cr_assert(!sc[j][0] || !strcmp(sc[j], "1") || !strcmp(sc[j], "1|1"), "fixed frame %zu: %s status %s", i + 1,
                      st_fields[j], sc[j]);
    }
    tv_free(&r);
    snprintf(args, sizeof args, "'%s'", fixed);
    tv_verify(&r, dir, args);
    tv_expect_clean(&r, "the fixed checksums");
    tv_free(&r);
    th_rows_free(&rows);
    th_rmdir(dir);
    fprintf(stderr, "verify: %zu wrong packets, each exactly one finding equal to tshark's found/expected; %zu fixed "
                    "checksums good for tshark and verify\n", TV_NCASES, ncsum);
}

Test(verify, allow_and_filter)
{
    char dir[64];
    th_tmpdir(dir);
    tv_craft(dir, "m.pcap", "udp --src 10.0.0.1 --dst 10.0.0.2 --data abc --start 1");
    tv_craft(dir, "m.pcap", "syn --src 10.0.0.1 --dst 10.0.0.2 --corrupt tcp.csum --start 2");
    tv_craft(dir, "m.pcap", "udp --src 10.0.0.1 --dst 10.0.0.2 --data abcdefgh --set udp.len=100 --start 3");
    tv_craft(dir, "m.pcap", "syn --src 10.0.0.1 --dst 10.0.0.2 --corrupt ip.csum --start 4");
    char args[512];
    struct tv_run r;
    snprintf(args, sizeof args, "'%s/m.pcap'", dir);
    tv_verify(&r, dir, args);
    cr_assert_eq(r.status, 1);
    cr_assert_eq(r.n, 3);
    cr_assert(strstr(r.err, "4 packets, 3 findings (checksum 2, length 1)"), "%s", r.err);
    tv_free(&r);
    snprintf(args, sizeof args, "--allow checksum '%s/m.pcap'", dir);
    tv_verify(&r, dir, args);
    cr_assert_eq(r.status, 1);
    cr_assert_eq(r.n, 1);
    cr_assert_str_eq(r.f[0].check, "length");
    cr_assert_eq(r.f[0].packet, 3);
    cr_assert(strstr(r.err, "1 findings (length 1), 2 allowed (checksum 2)"), "%s", r.err);
    tv_free(&r);
    snprintf(args, sizeof args, "--allow checksum,length '%s/m.pcap'", dir);
    tv_verify(&r, dir, args);
    tv_expect_clean(&r, "--allow checksum,length");
    tv_free(&r);
    snprintf(args, sizeof args, "--allow checksum --allow length -q '%s/m.pcap'", dir);
    tv_verify(&r, dir, args);
    tv_expect_clean(&r, "--allow twice");
    cr_assert_str_eq(r.err, "", "-q: %s", r.err);
    tv_free(&r);
    /* packet numbers stay the file's under a filter */
    snprintf(args, sizeof args, "'%s/m.pcap' tcp", dir);
    tv_verify(&r, dir, args);
    cr_assert_eq(r.n, 2);
    cr_assert_eq(r.f[0].packet, 2);
    cr_assert_eq(r.f[1].packet, 4);
    cr_assert(strstr(r.err, "2 packets, 2 findings"), "%s", r.err);
    tv_free(&r);
    /* usage errors */
    static const char *const bad[] = { "--allow nosuch x.pcap", "--allow checksum,", "--format xml x.pcap", "",
                                       "--bogus x.pcap" };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        tv_verify(&r, dir, bad[i]);
        cr_assert_eq(r.status, 2, "verify %s: exit %d", bad[i], r.status);
        cr_assert(strstr(r.err, "pktcraft: verify: "), "%s", r.err);
        tv_free(&r);
    }
    /* --help names every check and its example runs */
    int st;
    char cmd[4200];
    snprintf(cmd, sizeof cmd, "'%s' verify --help", th_cli());
    char *help = th_cmd_output(cmd, &st);
    cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    for (int c = 0; c < PC_VC__COUNT; c++) cr_assert(strstr(help, pc_vcheck_name(c)), "--help lacks %s", pc_vcheck_name(c));
    cr_assert(strstr(help, "pktcraft syn --src 10.0.0.1 --dst 10.0.0.2 --corrupt tcp.csum -o bad.pcap"));
    free(help);
    tv_craft(dir, "bad.pcap", "syn --src 10.0.0.1 --dst 10.0.0.2 --corrupt tcp.csum");
    st = th_sh("cd '%s' && '%s' verify bad.pcap > ex.out 2>/dev/null", dir, th_cli());
    cr_assert_eq(st, 1);
    snprintf(cmd, sizeof cmd, "%s/ex.out", dir);
    char *ex = th_slurp_text(cmd);
    cr_assert(ex && !strncmp(ex, "packet 1: tcp csum: found 0x", 28) && strstr(ex, "[checksum]\n"), "%s", ex);
    free(ex);
    th_rmdir(dir);
}

/* ------------------------------------------------------------ fragments, streams, cuts */

/* Copy src to dst without the packet numbered skip (1-based; 0 none),
 * each packet cut to at most snap bytes (0: whole). */
static void tv_copy(const char *src, const char *dst, uint64_t skip, uint32_t snap)
{
    struct pc_err e;
    struct pc_reader *rd = pc_reader_open(src, &e);
    cr_assert_not_null(rd, "%s", e.msg);
    struct th_pcapw pw;
    th_pcapw_open(&pw, dst, pc_reader_linktype(rd), PC_TSPREC_US);
    struct pc_pkthdr h;
    const uint8_t *data;
    for (uint64_t n = 1; pc_reader_next(rd, &h, &data) == 1; n++) {
        if (n == skip) continue;
        uint32_t cap = snap && h.caplen > snap ? snap : h.caplen;
        cr_assert_eq(pc_writer_write(pw.w, h.ts, data, cap, h.len), 0);
    }
    pc_reader_close(rd);
    th_pcapw_close(&pw);
}

/* A train from args with its packet `drop` left out gives one fragment
 * finding: found the payload bytes tshark sees in the fragments left,
 * expected the datagram's length from the last fragment's header. */
static void tv_frag_case(const char *tshark, const char *dir, const char *args, uint64_t drop, int v6)
{
    th_sh("rm -f '%s/f.pcap'", dir);
    tv_craft(dir, "f.pcap", args);
    char src[128], cut[128], a[256];
    snprintf(src, sizeof src, "%s/f.pcap", dir);
    snprintf(cut, sizeof cut, "%s/cut.pcap", dir);
    tv_copy(src, cut, drop, 0);
    struct tv_run r;
    snprintf(a, sizeof a, "'%s'", src);
    tv_verify(&r, dir, a);
    tv_expect_clean(&r, args);
    tv_free(&r);
    snprintf(a, sizeof a, "'%s'", cut);
    tv_verify(&r, dir, a);
    cr_assert_eq(r.status, 1);
    cr_assert_eq(r.n, 1, "%s without packet %llu: %s", args, (unsigned long long)drop, r.out);
    const struct tv_finding *f = &r.f[0];
    cr_assert_str_eq(f->check, "fragment");
    cr_assert_str_eq(f->layer, v6 ? "ipv6" : "ipv4");
    cr_assert_eq(f->packet, 0);
    cr_assert(strstr(f->message, "still incomplete when the capture ends"), "%s", f->message);
    static const char *const f4[] = { "frame.number", "ip.len", "ip.hdr_len", "ip.frag_offset", "ip.flags.mf" };
    static const char *const f6[] = { "frame.number", "ipv6.plen", "ipv6.fraghdr.offset", "ipv6.fraghdr.more" };
    struct th_rows rows = { 0 };
    th_tshark_fields_occ(&rows, tshark, dir, cut, NULL, NULL, 'f', v6 ? f6 : f4, v6 ? 4 : 5);
    uint64_t have = 0, total = 0;
    bool last = false;
    for (size_t i = 0; i < rows.n; i++) {
        char *c[5];
        th_split_cols(rows.row[i], c, v6 ? 4 : 5, i + 1);
        uint64_t len = v6 ? strtoull(c[1], NULL, 10) - 8 : strtoull(c[1], NULL, 10) - strtoull(c[2], NULL, 10);
        uint64_t off = strtoull(c[v6 ? 2 : 3], NULL, 10) * 8;
        bool more = !strcmp(c[v6 ? 3 : 4], "1");
        have += len;
        if (!more) {
            total = off + len;
            last = true;
        }
    }
    /* without the last fragment the length is unknown: no values */
    cr_assert_eq(f->has_values, last, "values %d, last fragment seen %d", f->has_values, last);
    cr_assert(strstr(f->message, last ? "of 3008 bytes" : "of ? bytes"), "%s", f->message);
    if (!last) {
        th_rows_free(&rows);
        tv_free(&r);
        return;
    }
    cr_assert_eq(f->found, have, "found %llu, tshark's fragments hold %llu", (unsigned long long)f->found,
                 (unsigned long long)have);
    cr_assert_eq(f->expected, total, "expected %llu, tshark's last fragment ends at %llu",
                 (unsigned long long)f->expected, (unsigned long long)total);
    th_rows_free(&rows);
    tv_free(&r);
}

Test(verify, fragments_that_never_complete)
{
    const char *tshark = th_tshark_require();
    char dir[64];
    th_tmpdir(dir);
    tv_frag_case(tshark, dir, "udp --src 10.0.0.1 --dst 10.0.0.2 --data-file golden/payload-3000.bin --frag 512", 3, 0);
    tv_frag_case(tshark, dir,
                 "udp --src 10.0.0.1 --dst 10.0.0.2 --data-file golden/payload-3000.bin --frag 512 --frag-order reverse",
                 1, 0);
    tv_frag_case(tshark, dir, "udp --src 2001:db8::1 --dst 2001:db8::2 --data-file golden/payload-3000.bin --frag 1024",
                 2, 1);
    /* a bad L4 checksum in a fragmented datagram: found on the fragment
     * that completes it, as tshark computes it on the reassembled one */
    th_sh("rm -f '%s/f.pcap'", dir);
    tv_craft(dir, "f.pcap",
             "udp --src 10.0.0.1 --dst 10.0.0.2 --data-file golden/payload-3000.bin --frag 512 --frag-order random "
             "--corrupt udp.csum");
    char a[256], p[128];
    snprintf(p, sizeof p, "%s/f.pcap", dir);
    snprintf(a, sizeof a, "'%s'", p);
    struct tv_run r;
    tv_verify(&r, dir, a);
    cr_assert_eq(r.n, 1, "%s", r.out);
    cr_assert_str_eq(r.f[0].check, "checksum");
    cr_assert_str_eq(r.f[0].layer, "udp");
    static const char *const fl[] = { "frame.number", "udp.checksum", "udp.checksum_calculated" };
    struct th_rows rows = { 0 };
    th_tshark_fields_occ(&rows, tshark, dir, p, NULL, TH_TS_CHECKSUMS, 'f', fl, 3);
    size_t seen = 0;
    for (size_t i = 0; i < rows.n; i++) {
        char *c[3];
        th_split_cols(rows.row[i], c, 3, i + 1);
        if (!c[2][0]) continue;
        seen++;
        cr_assert_eq(r.f[0].packet, strtoull(c[0], NULL, 10), "tshark checks the datagram on frame %s", c[0]);
        cr_assert_eq(r.f[0].found, strtoull(c[1], NULL, 0));
        cr_assert_eq(r.f[0].expected, strtoull(c[2], NULL, 0));
    }
    cr_assert_eq(seen, 1);
    th_rows_free(&rows);
    tv_free(&r);
    th_rmdir(dir);
}

Test(verify, tcp_stream_with_a_missing_segment)
{
    const char *tshark = th_tshark_require();
    char dir[64];
    th_tmpdir(dir);
    char data[101];
    memset(data, 'x', 100);
    data[100] = 0;
    static const char *const seg[] = {
        "--src 10.0.0.1 --dst 10.0.0.2 --sport 40000 --dport 40001 --flags S --seq 1000",
        "--src 10.0.0.2 --dst 10.0.0.1 --sport 40001 --dport 40000 --flags SA --seq 5000 --ack 1001",
        "--src 10.0.0.1 --dst 10.0.0.2 --sport 40000 --dport 40001 --flags A --seq 1001 --ack 5001",
        "--src 10.0.0.1 --dst 10.0.0.2 --sport 40000 --dport 40001 --flags PA --seq 1001 --ack 5001 --data",
        "--src 10.0.0.1 --dst 10.0.0.2 --sport 40000 --dport 40001 --flags PA --seq 1101 --ack 5001 --data",
        "--src 10.0.0.1 --dst 10.0.0.2 --sport 40000 --dport 40001 --flags PA --seq 1201 --ack 5001 --data",
        "--src 10.0.0.2 --dst 10.0.0.1 --sport 40001 --dport 40000 --flags A --seq 5001 --ack 1301",
        "--src 10.0.0.1 --dst 10.0.0.2 --sport 40000 --dport 40001 --flags FA --seq 1301 --ack 5001",
        "--src 10.0.0.2 --dst 10.0.0.1 --sport 40001 --dport 40000 --flags FA --seq 5001 --ack 1302",
        "--src 10.0.0.1 --dst 10.0.0.2 --sport 40000 --dport 40001 --flags A --seq 1302 --ack 5002",
    };
    for (size_t i = 0; i < sizeof seg / sizeof seg[0]; i++) {
        char a[512];
        bool d = !strcmp(seg[i] + strlen(seg[i]) - 6, "--data");
        snprintf(a, sizeof a, "tcp %s%s%s --start %zu", seg[i], d ? " " : "", d ? data : "", 100 + i);
        tv_craft(dir, "s.pcap", a);
    }
    char src[128], cut[128], a[256];
    snprintf(src, sizeof src, "%s/s.pcap", dir);
    snprintf(cut, sizeof cut, "%s/cut.pcap", dir);
    tv_copy(src, cut, 5, 0);
    struct tv_run r;
    snprintf(a, sizeof a, "'%s'", src);
    tv_verify(&r, dir, a);
    tv_expect_clean(&r, "the whole connection");
    tv_free(&r);
    snprintf(a, sizeof a, "'%s'", cut);
    tv_verify(&r, dir, a);
    cr_assert_eq(r.status, 1);
    cr_assert_eq(r.n, 1, "%s", r.out);
    const struct tv_finding *f = &r.f[0];
    cr_assert_str_eq(f->check, "tcp-gap");
    cr_assert_eq(f->packet, 0);
    cr_assert(strstr(f->message, "100 bytes missing") && strstr(f->message, "10.0.0.1:40000 > 10.0.0.2:40001"), "%s",
              f->message);
    /* tshark: the lost segment is flagged on the next data segment; the
     * stream offsets are its relative sequence numbers less one (the SYN) */
    static const char *const fl[] = { "frame.number", "tcp.seq", "tcp.nxtseq", "_ws.expert.message" };
    struct th_rows rows = { 0 };
    th_tshark_fields_occ(&rows, tshark, dir, cut, NULL, NULL, 'a', fl, 4);
    size_t lost = 0;
    uint64_t prev_next = 0, resume = 0;
    for (size_t i = 0; i < rows.n; i++) {
        char *c[4];
        th_split_cols(rows.row[i], c, 4, i + 1);
        if (strstr(c[3], "Previous segment(s) not captured")) {
            lost++;
            resume = strtoull(c[1], NULL, 10) - 1;
        } else if (!lost && c[2][0]) {
            prev_next = strtoull(c[2], NULL, 10) - 1;
        }
    }
    cr_assert_eq(lost, 1, "tshark flags %zu lost segments", lost);
    cr_assert_eq(f->expected, prev_next, "expected offset %llu, tshark %llu", (unsigned long long)f->expected,
                 (unsigned long long)prev_next);
    cr_assert_eq(f->found, resume, "found offset %llu, tshark %llu", (unsigned long long)f->found,
                 (unsigned long long)resume);
    th_rows_free(&rows);
    tv_free(&r);
    /* --no-streams: no reassembly, no gap */
    snprintf(a, sizeof a, "--no-streams '%s'", cut);
    tv_verify(&r, dir, a);
    tv_expect_clean(&r, "--no-streams");
    tv_free(&r);
    th_rmdir(dir);
}

Test(verify, snaplen_cut_is_truncated)
{
    const char *tshark = th_tshark_require();
    char dir[64];
    th_tmpdir(dir);
    tv_craft(dir, "w.pcap", "tcp --src 10.0.0.1 --dst 10.0.0.2 --flags PA --data-file golden/payload-3000.bin -c 2");
    char src[128], cut[128], a[256];
    snprintf(src, sizeof src, "%s/w.pcap", dir);
    snprintf(cut, sizeof cut, "%s/cut.pcap", dir);
    tv_copy(src, cut, 0, 96);
    struct tv_run r;
    snprintf(a, sizeof a, "'%s'", cut);
    tv_verify(&r, dir, a);
    cr_assert_eq(r.n, 2, "%s", r.out);
    static const char *const fl[] = { "frame.number", "frame.cap_len", "ip.len" };
    struct th_rows rows = { 0 };
    th_tshark_fields_occ(&rows, tshark, dir, cut, NULL, NULL, 'f', fl, 3);
    cr_assert_eq(rows.n, 2);
    for (size_t i = 0; i < 2; i++) {
        char *c[3];
        th_split_cols(rows.row[i], c, 3, i + 1);
        cr_assert_str_eq(r.f[i].check, "truncated");
        cr_assert_eq(r.f[i].packet, i + 1);
        cr_assert_eq(r.f[i].found, strtoull(c[1], NULL, 10));
        cr_assert_eq(r.f[i].expected, 14 + strtoull(c[2], NULL, 10));
    }
    th_rows_free(&rows);
    tv_free(&r);
    snprintf(a, sizeof a, "--allow truncated '%s'", cut);
    tv_verify(&r, dir, a);
    tv_expect_clean(&r, "--allow truncated");
    cr_assert(strstr(r.err, "2 allowed (truncated 2)"), "%s", r.err);
    tv_free(&r);
    th_rmdir(dir);
}

Test(verify, damaged_files_name_the_file_and_offset)
{
    char dir[64], p[128], a[256];
    th_tmpdir(dir);
    tv_craft(dir, "g.pcap", "syn --src 10.0.0.1 --dst 10.0.0.2 -c 3");
    cr_assert_eq(th_sh("head -c 130 '%s/g.pcap' > '%s/t.pcap'", dir, dir), 0);
    struct tv_run r;
    snprintf(p, sizeof p, "%s/t.pcap", dir);
    snprintf(a, sizeof a, "'%s'", p);
    tv_verify(&r, dir, a);
    cr_assert_eq(r.status, 1);
    cr_assert(strstr(r.err, p) && strstr(r.err, "offset"), "%s", r.err);
    cr_assert(strstr(r.err, "packet 2"), "%s", r.err);
    tv_free(&r);
    cr_assert_eq(th_sh("printf 'not a capture file' > '%s/n.pcap'", dir), 0);
    snprintf(p, sizeof p, "%s/n.pcap", dir);
    snprintf(a, sizeof a, "'%s'", p);
    tv_verify(&r, dir, a);
    cr_assert_eq(r.status, 1);
    cr_assert(strstr(r.err, p) && strstr(r.err, "offset 0"), "%s", r.err);
    tv_free(&r);
    snprintf(a, sizeof a, "'%s/missing.pcap'", dir);
    tv_verify(&r, dir, a);
    cr_assert_eq(r.status, 1);
    cr_assert(strstr(r.err, "missing.pcap"), "%s", r.err);
    tv_free(&r);
    th_rmdir(dir);
}

/* ------------------------------------------------------------ the corpus */

/* tshark's checksum status for one capture, cached by its content:
 * frame, then ip, tcp, udp, icmp, icmpv6 statuses (first occurrence),
 * then the encapsulation, empty for the records tshark counts as frames
 * but that hold no packet (pcapng custom blocks). */
#define TV_TS_FIELDS \
    "-e frame.number -e ip.checksum.status -e tcp.checksum.status -e udp.checksum.status -e icmp.checksum.status " \
    "-e icmpv6.checksum.status -e frame.encap_type"
static char *tv_tshark_status(const char *cache, const char *path)
{
    size_t n;
    uint8_t *b = th_slurp(path, &n);
    cr_assert_not_null(b, "cannot read %s", path);
    char key[64], out[4200], rc[4200];
    snprintf(key, sizeof key, "%016llx-%zu", (unsigned long long)th_fnv(TH_FNV0, b, n), n);
    free(b);
    snprintf(out, sizeof out, "%s/%s.out", cache, key);
    snprintf(rc, sizeof rc, "%s/%s.rc", cache, key);
    char *st = th_slurp_text(rc);
    if (!st) {
        int s = th_sh("tshark -n -r '%s' " TH_TS_CHECKSUMS " -T fields -E header=n -E separator=/t -E occurrence=f "
                      TV_TS_FIELDS " > '%s.tmp' 2>/dev/null; echo $? > '%s.tmp' && mv '%s.tmp' '%s' && mv '%s.tmp' '%s'",
                      path, out, rc, out, out, rc, rc);
        cr_assert_eq(s, 0, "could not run tshark on %s", path);
        st = th_slurp_text(rc);
        cr_assert_not_null(st);
    }
    int code = atoi(st);
    free(st);
    char *rows = th_slurp_text(out);
    cr_assert_not_null(rows);
    /* 2: a file tshark cannot read (or reads up to damage): rows before it stand */
    cr_assert(code == 0 || code == 2, "tshark exited %d on %s", code, path);
    return rows;
}

static const uint8_t tv_protos[5] = { PC_P_IPV4, PC_P_TCP, PC_P_UDP, PC_P_ICMP, PC_P_ICMP6 };

struct tv_corpus {
    size_t files, unreadable, packets, findings, compared, bad_both, good_both, disagree, zero6;
    size_t by_check[PC_VC__COUNT];
    char detail[4096];
};

/* The decoder's verdict on the layer of each protocol not inside an ICMP
 * quote: 0 good, 1 bad, -1 not checked, -3 a zero UDP checksum, -4 more
 * than one such layer (tunnels: not compared). */
static void tv_ours(const struct pc_decoded *d, int ours[5])
{
    for (int k = 0; k < 5; k++) ours[k] = -2;
    for (int i = 0; i < d->n; i++) {
        const struct pc_layer *l = &d->l[i];
        if (l->flags & PC_LF_QUOTED) continue;
        for (int k = 0; k < 5; k++) {
            if (l->proto != tv_protos[k]) continue;
            if (ours[k] != -2) { /* tunnelled: a finding does not say which layer */
                ours[k] = -4;
                continue;
            }
            ours[k] = l->csum == PC_CSUM_GOOD ? 0 : l->csum == PC_CSUM_BAD ? 1 : -1;
            /* a zero UDP checksum is checked (and wrong) only over IPv6 */
            if (l->csum == PC_CSUM_ZERO) ours[k] = -3;
        }
    }
}

static void tv_corpus_file(struct tv_corpus *c, const char *cache, const char *dir, const char *path)
{
    struct tv_run r;
    char a[4400];
    snprintf(a, sizeof a, "'%s'", path);
    tv_verify(&r, dir, a);
    cr_assert(r.status <= 1, "%s: exit %d", path, r.status);
    c->files++;
    c->findings += r.n;
    for (size_t i = 0; i < r.n; i++) {
        int ck = pc_vcheck_parse(r.f[i].check, strlen(r.f[i].check));
        cr_assert_geq(ck, 0, "%s: unknown check %s", path, r.f[i].check);
        c->by_check[ck]++;
    }
    struct pc_err e;
    struct pc_reader *rd = pc_reader_open(path, &e);
    if (!rd) { /* a file the reader refuses: verify says so, naming it */
        cr_assert_eq(r.status, 1, "%s: %s, but verify exits %d", path, e.msg, r.status);
        cr_assert(strstr(r.err, path), "%s: %s", path, r.err);
        c->unreadable++;
        tv_free(&r);
        return;
    }
    char *text = tv_tshark_status(cache, path);
    char *row = text;
    size_t fi = 0; /* findings are in packet order, per-packet ones first within a packet */
    struct pc_pkthdr h;
    const uint8_t *data;
    for (uint64_t frame = 1; pc_reader_next(rd, &h, &data) == 1 && *row; frame++) {
        char *cols[7];
        do {
            char *nl = strchr(row, '\n');
            if (nl) *nl = 0;
            th_split_cols(row, cols, 7, (size_t)frame);
            row = nl ? nl + 1 : row + strlen(row);
        } while (!cols[6][0] && *row);
        if (!cols[6][0]) break;
        c->packets++;
        bool flagged[5] = { false };
        for (; fi < r.n && (r.f[fi].packet == 0 || r.f[fi].packet <= frame); fi++) {
            if (r.f[fi].packet != frame || strcmp(r.f[fi].field, "csum")) continue;
            if (strstr(r.f[fi].message, "datagram this fragment completes")) continue;
            for (int k = 0; k < 5; k++)
                if (!strcmp(r.f[fi].layer, pc_proto_name(tv_protos[k]))) flagged[k] = true;
        }
        struct pc_decoded d;
        pc_decode(&d, data, h.caplen, h.len, h.linktype);
        int ours[5];
        tv_ours(&d, ours);
        for (int k = 0; k < 5; k++) {
            const char *ts = cols[k + 1];
            if (ours[k] == -3) { /* zero UDP checksum: ours bad only over IPv6, tshark's 4 (illegal) */
                if (!strcmp(ts, "4")) {
                    c->zero6++;
                    c->compared++;
                    if (!flagged[k]) c->disagree++;
                }
                continue;
            }
            if (ours[k] < 0 || (strcmp(ts, "0") && strcmp(ts, "1"))) continue;
            /* the finding is the decoder's verdict, reported */
            cr_assert_eq(flagged[k], ours[k] == 1, "%s frame %llu: %s finding %d, decoder %d", path,
                         (unsigned long long)frame, pc_proto_name(tv_protos[k]), flagged[k], ours[k]);
            c->compared++;
            bool theirs = !strcmp(ts, "0");
            if (theirs && flagged[k]) c->bad_both++;
            else if (!theirs && !flagged[k]) c->good_both++;
            else {
                c->disagree++;
                size_t k2 = strlen(c->detail);
                snprintf(c->detail + k2, sizeof c->detail - k2, "%s frame %llu %s: ours %s, tshark %s\n",
                         strrchr(path, '/') + 1, (unsigned long long)frame, pc_proto_name(tv_protos[k]),
                         flagged[k] ? "bad" : "good", theirs ? "bad" : "good");
            }
        }
    }
    pc_reader_close(rd);
    free(text);
    tv_free(&r);
}

Test(verify, corpus_runs_clean_and_checksums_agree_with_tshark)
{
    th_tshark_require();
    char cache[4096], mpath[4096], dir[64];
    th_tshark_cache_dir("verify: tshark -n -r FILE " TH_TS_CHECKSUMS " -T fields -E occurrence=f " TV_TS_FIELDS, cache,
                        sizeof cache);
    snprintf(mpath, sizeof mpath, "%s/../shared/corpus/MANIFEST.tsv", th_root());
    FILE *mf = fopen(mpath, "r");
    cr_assert_not_null(mf, "the corpus manifest is missing at %s", mpath);
    th_tmpdir(dir);
    static struct tv_corpus c;
    static char line[16384];
    bool header = true;
    while (fgets(line, sizeof line, mf)) {
        if (header) {
            header = false;
            continue;
        }
        line[strcspn(line, "\t\n")] = 0;
        char path[4200];
        snprintf(path, sizeof path, "%s/../shared/corpus/%.1000s", th_root(), line);
        tv_corpus_file(&c, cache, dir, path);
    }
    fclose(mf);
    th_rmdir(dir);
    char by[512] = "";
    for (int k = 0; k < PC_VC__COUNT; k++) {
        size_t n = strlen(by);
        if (c.by_check[k]) snprintf(by + n, sizeof by - n, "%s%s %zu", n ? ", " : "", pc_vcheck_name(k), c.by_check[k]);
    }
    fprintf(stderr,
            "verify corpus: %zu files (%zu the reader refuses), %zu packets, %zu findings (%s); checksums compared with tshark on %zu "
            "layers both check: %zu bad for both, %zu good for both, %zu zero UDP checksums over IPv6, %zu "
            "disagreements\n",
            c.files, c.unreadable, c.packets, c.findings, by, c.compared, c.bad_both, c.good_both, c.zero6, c.disagree);
    cr_log_info("verify corpus: %zu files, %zu packets, %zu compared, %zu disagreements", c.files, c.packets,
                c.compared, c.disagree);
    cr_assert_eq(c.disagree, 0, "checksum verdicts differ from tshark's:\n%s", c.detail);
    /* minimums, a little below what tshark 4.0.17 and the corpus of 330
     * captures gave: 330 files, 39127 packets, 58529 layers compared,
     * 15207 bad and 43322 good for both, no disagreement */
    cr_assert_geq(c.files, 320);
    cr_assert_geq(c.packets, 38000);
    cr_assert_geq(c.compared, 55000);
    cr_assert_geq(c.bad_both, 14000);
    cr_assert_geq(c.good_both, 40000);
}

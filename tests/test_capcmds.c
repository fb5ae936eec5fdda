/* convert, merge and info: against capinfos, mergecap and tshark, over the
 * corpus and over files made here; and their refusals. */
#include <criterion/criterion.h>
#include <sys/stat.h>
#include <unistd.h>

#include "helpers.h"

static char dir[64];
static void setup(void) { th_tmpdir(dir); }
static void teardown(void) { th_rmdir(dir); }
TestSuite(capcmds, .init = setup, .fini = teardown, .timeout = 1800);

static char *slurp_text(const char *path)
{
    size_t n;
    char *s = (char *)th_slurp(path, &n);
    cr_assert(s, "cannot read %s", path);
    s = realloc(s, n + 1);
    s[n] = 0;
    return s;
}

/* Run a checker script over paths; it must exit 0; its summary is logged. */
static void run_checker(const char *script, const char *paths, const char *summary)
{
    char log[256];
    snprintf(log, sizeof log, "%s/%s.log", dir, script);
    int st = th_sh("cd '%s' && /usr/bin/python3 scripts/%s --pktcraft '%s' %s > '%s' 2>&1", th_root(), script, th_cli(),
                   paths, log);
    char *out = slurp_text(log);
    cr_assert_eq(st, 0, "scripts/%s found problems:\n%s", script, out);
    char *sum = strstr(out, summary);
    cr_assert(sum, "%s", out);
    cr_log_info("%.*s", (int)strcspn(sum, "\n"), sum);
    free(out);
}

Test(capcmds, info_agrees_with_capinfos)
{
    cr_assert_eq(th_sh("command -v capinfos >/dev/null"), 0, "capinfos not found: install tshark's tools with scripts/deps.sh");
    /* A little below the measured 361 files and 39174 packets compared; the
     * 8 corpus files of link types capinfos 4.0.17 does not know (164, 182,
     * 281 twice, 282, 284, 285, 805306500) are allowed by number. */
    run_checker("info-check",
                "--min-files 355 --min-packets 38000 --allow-capinfos-unsupported 8 ../shared/corpus golden", "info: ");
}

Test(capcmds, convert_round_trips_lose_nothing)
{
    /* A little below the measured 368 files and 39060 packets round-tripped. */
    run_checker("convert-check", "--min-files 360 --min-packets 38000 ../shared/corpus golden", "convert: ");
}

/* Two captures with interleaved times merge like mergecap merges them. */
Test(capcmds, merge_matches_mergecap)
{
    cr_assert_eq(th_sh("command -v mergecap >/dev/null"), 0, "mergecap not found: install tshark's tools with scripts/deps.sh");
    const char *cli = th_cli();
    cr_assert_eq(th_sh("%s udp --src 10.0.0.1 --dst 10.0.0.2 -c 50 --gap 3ms --start 1700000000.000000001 -F pcapng "
                       "--interface left --comment 'from A' -o %s/a.pcapng", cli, dir), 0);
    cr_assert_eq(th_sh("%s tcp --src 2001:db8::1 --dst 2001:db8::2 -c 40 --gap 4ms --start 1700000000.001 -F nsecpcap "
                       "-o %s/b.pcap", cli, dir), 0);
    cr_assert_eq(th_sh("%s arp --src 10.0.0.9 --dst 10.0.0.1 -c 5 --gap 50ms --start 1700000000 -o %s/c.pcap", cli, dir), 0);
    cr_assert_eq(th_sh("%s merge %s/a.pcapng %s/b.pcap %s/c.pcap -o %s/ours.pcapng", cli, dir, dir, dir, dir), 0);
    cr_assert_eq(th_sh("mergecap -w %s/theirs.pcapng %s/a.pcapng %s/b.pcap %s/c.pcap", dir, dir, dir, dir), 0);
    const char *fields = "-T fields -e frame.time_epoch -e frame.len -e frame.interface_name -e frame.comment -e ip.src -e ipv6.src -e arp.opcode";
    cr_assert_eq(th_sh("tshark -n -r %s/ours.pcapng %s > %s/ours.txt 2>/dev/null", dir, fields, dir), 0);
    cr_assert_eq(th_sh("tshark -n -r %s/theirs.pcapng %s > %s/theirs.txt 2>/dev/null", dir, fields, dir), 0);
    char a[128], b[128];
    snprintf(a, sizeof a, "%s/ours.txt", dir);
    snprintf(b, sizeof b, "%s/theirs.txt", dir);
    char *x = slurp_text(a), *y = slurp_text(b);
    int lines = 0;
    for (char *p = x; *p; p++) lines += *p == '\n';
    cr_assert_eq(lines, 95, "merged %d packets", lines);
    cr_assert_str_eq(x, y, "pktcraft merge and mergecap differ:\n--- ours\n%s\n--- mergecap\n%s", x, y);
    free(x);
    free(y);
    /* pcap output of the same: refused (several link types are fine here,
     * but comments are not), then accepted with --lossy */
    int st = th_sh("%s merge %s/a.pcapng %s/b.pcap -F pcap -o %s/m.pcap 2>%s/err", cli, dir, dir, dir, dir);
    cr_assert_eq(st, 1);
    snprintf(a, sizeof a, "%s/err", dir);
    x = slurp_text(a);
    cr_assert(strstr(x, "has a comment, which pcap cannot hold"), "%s", x);
    free(x);
    snprintf(a, sizeof a, "%s/m.pcap", dir);
    cr_assert_neq(access(a, F_OK), 0, "a refused merge must leave no file");
    cr_assert_eq(th_sh("%s merge %s/a.pcapng %s/b.pcap -F nsecpcap --lossy -o %s/m.pcap 2>/dev/null", cli, dir, dir, dir), 0);
}

Test(capcmds, convert_says_what_would_be_lost)
{
    const char *cli = th_cli();
    cr_assert_eq(th_sh("%s udp --src 10.0.0.1 --dst 10.0.0.2 -c 3 --start 1.000000001 -F nsecpcap -o %s/ns.pcap", cli, dir), 0);
    cr_assert_eq(th_sh("%s convert %s/ns.pcap -F pcap -o %s/us.pcap 2>%s/err", cli, dir, dir, dir), 1);
    char p[128];
    snprintf(p, sizeof p, "%s/err", dir);
    char *e = slurp_text(p);
    cr_assert(strstr(e, "ns.pcap: packet 1: its timestamp has nanoseconds that microsecond pcap would lose"), "%s", e);
    free(e);
    snprintf(p, sizeof p, "%s/us.pcap", dir);
    cr_assert_neq(access(p, F_OK), 0, "a refused conversion must leave no file");
    cr_assert_eq(th_sh("%s convert %s/ns.pcap -F pcap --lossy -q -o %s/us.pcap", cli, dir, dir), 0);
    cr_assert_eq(th_sh("%s read %s/us.pcap | head -1 | grep -q '^1.000000000 '", cli, dir), 0, "--lossy must cut to microseconds");
    /* several link types into pcap */
    cr_assert_eq(th_sh("%s udp --src 10.0.0.1 --dst 10.0.0.2 -o %s/e.pcap --start 1", cli, dir), 0);
    cr_assert_eq(th_sh("%s raw --linktype raw --hex 4500001c0001000040117cce7f0000017f00000100010002000801d9 --start 2 -o %s/r.pcap", cli, dir), 0);
    cr_assert_eq(th_sh("%s merge %s/e.pcap %s/r.pcap -o %s/two.pcapng", cli, dir, dir, dir), 0);
    cr_assert_eq(th_sh("%s convert %s/two.pcapng -F pcap -o %s/x.pcap 2>%s/err", cli, dir, dir, dir), 1);
    snprintf(p, sizeof p, "%s/err", dir);
    e = slurp_text(p);
    cr_assert(strstr(e, "packet 2: its link type differs from the first packet's; pcap holds one link type"), "%s", e);
    free(e);
    cr_assert_eq(th_sh("%s convert %s/two.pcapng -F pcap --lossy -o %s/x.pcap 2>%s/err", cli, dir, dir, dir), 0);
    cr_assert_eq(th_sh("%s info %s/x.pcap | grep -q 'Number of packets:   1'", cli, dir), 0);
    /* usage and input errors */
    cr_assert_eq(th_sh("%s convert %s/e.pcap -F pcapx -o %s/y 2>/dev/null", cli, dir, dir), 2);
    cr_assert_eq(th_sh("%s convert %s/e.pcap -o %s/e.pcap 2>/dev/null", cli, dir, dir), 2);
    cr_assert_eq(th_sh("%s convert /nonexistent.pcap -o %s/y 2>/dev/null", cli, dir), 1);
    cr_assert_eq(th_sh("%s merge -o %s/y 2>/dev/null", cli, dir), 2);
    cr_assert_eq(th_sh("%s info 2>/dev/null", cli), 2);
}

/* gzip input is read transparently by every command. */
Test(capcmds, gzip_input_everywhere)
{
    const char *cli = th_cli();
    cr_assert_eq(th_sh("%s dns --src 10.0.0.1 --dst 10.0.0.53 --qname example.com -c 20 --start 5 -F pcapng -o %s/d.pcapng", cli, dir), 0);
    cr_assert_eq(th_sh("gzip -c %s/d.pcapng > %s/d.pcapng.gz", dir, dir), 0);
    cr_assert_eq(th_sh("%s read %s/d.pcapng > %s/plain.txt && %s read %s/d.pcapng.gz > %s/gz.txt && cmp -s %s/plain.txt %s/gz.txt",
                       cli, dir, dir, cli, dir, dir, dir, dir), 0);
    cr_assert_eq(th_sh("%s info %s/d.pcapng.gz | grep -q 'pcapng (gzip)'", cli, dir), 0);
    cr_assert_eq(th_sh("%s convert %s/d.pcapng.gz -o %s/d2.pcapng && cmp -s %s/d.pcapng %s/d2.pcapng", cli, dir, dir, dir, dir), 0,
                 "pcapng.gz -> pcapng must give the original file back");
    cr_assert_eq(th_sh("head -c 300 %s/d.pcapng.gz > %s/cut.gz; %s read %s/cut.gz > /dev/null 2>%s/err", dir, dir, cli, dir, dir), 1);
}

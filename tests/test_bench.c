/* scripts/bench, the benchmark of make bench, runs end to end on a tiny
 * workload (--quick with 2,000 packets, one run of each row, in a fresh
 * BENCH_DIR) and its JSON names every row and every one of the eight
 * targets.  Correctness only: no figure is judged (speed is never asserted
 * by a test); a row may be "skipped" when its tool is not installed but
 * never "failed".  The three SYN crafters must also write the same bytes:
 * the template floor, libnet and the pktcraft builder make identical
 * captures, so the crafting rows compare the same work. */
#include <criterion/criterion.h>
#include <criterion/logging.h>

#include <string.h>

#include "helpers.h"

TestSuite(bench, .timeout = 1800);

static const char *const rows[] = {
    "cat", "walk_read", "walk_libpcap", "decode", "reader", "decode_nocsum", "tcpdump", "read_jsonl", "read_text", "stats", "flows",
    "ng_cat", "ng_walk_libpcap", "ng_decode", "ng_read_jsonl", "ng_stats", "ng_flows",
    "pre_tcpdump", "pre_read_jsonl", "pre_read_text", "pre_tshark",
    "py_dpkt_parse", "py_dpkt_stats", "py_dpkt_http", "py_dpkt_dns", "py_scapy",
    "craft_template", "craft_builder", "craft_cli", "craft_libnet",
    "start_plain_version", "start_version", "start_plain_syn", "start_syn",
    "x2_decode", "x2_read_jsonl", "x2_read_text", "x2_stats", "x2_flows",
};

static const char *rel_dir(char *buf, size_t cap)
{
    snprintf(buf, cap, "%s/rel", th_build_dir());
    return buf;
}

Test(bench, quick_run_reports_every_row_and_target)
{
    char dir[64], rel[2200], log[128], json[128];
    th_tmpdir(dir);
    snprintf(log, sizeof log, "%s/bench.log", dir);
    snprintf(json, sizeof json, "%s/out.json", dir);
    int st = th_sh("cd '%s' && BENCH_BUILD='%s' BENCH_DIR='%s' BENCH_PACKETS=2000 BENCH_PREFIX=500 BENCH_RUNS=1 "
                   "BENCH_SYNS=2000 BENCH_STARTUP_RUNS=3 /usr/bin/python3 scripts/bench --quick --json '%s' > '%s' 2>&1",
                   th_root(), rel_dir(rel, sizeof rel), dir, json, log);
    char *out = th_slurp_text(log);
    cr_assert_eq(st, 0, "scripts/bench exited %d:\n%s", st, out ? out : "(no output)");
    cr_assert(out && strstr(out, "== Targets"), "no table of targets:\n%s", out ? out : "");
    char *js = th_slurp_text(json);
    cr_assert_not_null(js, "%s not written", json);
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        char key[128];
        snprintf(key, sizeof key, "\"id\": \"%s\",", rows[i]);
        const char *p = strstr(js, key);
        cr_expect_not_null(p, "row %s missing from the JSON", rows[i]);
        if (p) {
            const char *s = strstr(p, "\"status\": ");
            cr_expect(s && (!strncmp(s + 10, "\"ok\"", 4) || !strncmp(s + 10, "\"skipped\"", 9)),
                      "row %s: status not ok or skipped", rows[i]);
        }
    }
    for (int t = 1; t <= 8; t++) {
        char key[64];
        snprintf(key, sizeof key, "\"target\": %d,", t);
        cr_expect_not_null(strstr(js, key), "target %d missing from the JSON", t);
    }
    cr_expect_null(strstr(js, "\"failed\""), "a row failed:\n%s", out);
    free(js);
    free(out);
    th_rmdir(dir);
}

Test(bench, the_three_syn_crafters_write_the_same_bytes)
{
    char dir[64], rel[2200];
    th_tmpdir(dir);
    rel_dir(rel, sizeof rel);
    cr_assert_eq(th_sh("'%s/bench-walk' template 5000 '%s/t.pcap' 2>/dev/null", rel, dir), 0);
    cr_assert_eq(th_sh("'%s/pc-bench' craft 5000 '%s/c.pcap' >/dev/null", rel, dir), 0);
    cr_expect_eq(th_sh("cmp '%s/t.pcap' '%s/c.pcap'", dir, dir), 0, "pc-bench craft differs from the template floor");
    /* make all builds bench-libnet (libnet is a test dependency): never skipped here */
    cr_assert_eq(th_sh("'%s/bench-libnet' 5000 '%s/l.pcap' 2>/dev/null", rel, dir), 0, "bench-libnet missing or failed");
    cr_expect_eq(th_sh("cmp '%s/t.pcap' '%s/l.pcap'", dir, dir), 0, "libnet differs from the template floor");
    cr_expect_eq(th_sh("'%s' verify '%s/t.pcap' >/dev/null 2>&1", th_cli(), dir), 0, "the floor's checksums are wrong");
    th_rmdir(dir);
}

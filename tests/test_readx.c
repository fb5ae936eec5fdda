/* read --defrag and read's per-packet HTTP/TLS keys: against tshark on
 * crafted fragment trains (every order) and over the corpus, through
 * scripts/readx-check (one tshark run per file); and the CLI's own
 * promises (text markers, stdin, JSON array, usage errors). */
#include <criterion/criterion.h>
#include <criterion/logging.h>

#include "helpers.h"

static char dir[64];
static void setup(void) { th_tmpdir(dir); }
static void teardown(void) { th_rmdir(dir); }
TestSuite(readx, .init = setup, .fini = teardown, .timeout = 1800);

/* Run scripts/readx-check with args; it must exit 0; its summary line is
 * logged (the figures). */
static void readx_check(const char *args)
{
    char log[128];
    snprintf(log, sizeof log, "%s/readx.log", dir);
    int st = th_sh("cd '%s' && /usr/bin/python3 scripts/readx-check --pktcraft '%s' %s > '%s' 2>&1", th_root(), th_cli(),
                   args, log);
    char *out = th_slurp_text(log);
    cr_assert_not_null(out, "cannot read %s", log);
    cr_assert_eq(st, 0, "scripts/readx-check found problems:\n%s", out);
    char *sum = strstr(out, "readx");
    cr_assert_not_null(sum, "%s", out);
    cr_log_info("%.*s", (int)strcspn(sum, "\n"), sum);
    fprintf(stderr, "%.*s\n", (int)strcspn(sum, "\n"), sum);
    free(out);
}

/* Trains of 3 and 4 fragments (UDP over IPv4 and IPv6, ICMP) in all their
 * orders, interleaved trains, a duplicate, a conflict, a lost fragment:
 * reassembled_in and the completing fragment's ports as tshark -2 says. */
Test(readx, crafted_trains_match_tshark)
{
    char args[512];
    /* 6 + 24 + 6 + 24 + 6 datagrams in every order, then 2 interleaved:
     * 68 completions, 185 held fragments, all of them compared */
    snprintf(args, sizeof args,
             "--crafted '%s' --min datagrams=68 --min reassembled_in=185 --min completing_ports=62 "
             "--min completing_icmp=6 --min incomplete_reported=2 --min overlap_policy=2 --min filter_and_count=1 "
             "--min output_limit=1",
             dir);
    readx_check(args);
}

/* The corpus in two halves (each within the suite's timeout on a busy
 * machine): no crash or sanitizer report with --defrag, and agreement with
 * tshark.  Minimums a little below the figures measured for each half. */
Test(readx, corpus_first_half_matches_tshark)
{
    /* measured: 165 files, reassembled_in 5, completing_ports 2, http_method 433, http_host 432,
     * http_status 423, tls_sni 340, tls_alpn 410, ja3 344, ja4 344 */
    readx_check("--jobs 1 --shard 1/2 --min files=160 --min reassembled_in=5 --min completing_ports=2 "
                "--min http_method=410 --min http_uri=410 --min http_host=410 --min http_status=400 "
                "--min tls_sni=320 --min ja3=325 --min ja4=325 --min tls_alpn=390 ../shared/corpus");
}

Test(readx, corpus_second_half_matches_tshark)
{
    /* measured: 165 files, reassembled_in 1554, completing_ports 191, http_method 35, http_host 34,
     * http_status 34, ja3 3, ja4 3 */
    readx_check("--jobs 1 --shard 2/2 --min files=160 --min reassembled_in=1500 --min completing_ports=180 "
                "--min http_method=33 --min http_uri=33 --min http_host=32 --min http_status=32 --min ja3=3 "
                "--min ja4=3 ../shared/corpus");
}

/* Text lines say where each fragment went; stdin works; --format json is
 * one valid array; --overlap alone is a usage error. */
Test(readx, text_json_and_usage)
{
    const char *cli = th_cli();
    cr_assert_eq(th_sh("%s udp --src 10.9.0.1 --dst 10.9.0.2 --sport 7 --dport 9 --data %02000d --frag 800 "
                       "--frag-order reverse -c 2 -o '%s/r.pcap'", cli, 0, dir), 0);
    cr_assert_eq(th_sh("%s read --defrag - < '%s/r.pcap' > '%s/r.txt'", cli, dir, dir), 0);
    char path[128];
    snprintf(path, sizeof path, "%s/r.txt", dir);
    char *t = th_slurp_text(path);
    cr_assert_not_null(t);
    int held = 0, done = 0;
    for (const char *p = t; (p = strstr(p, "[fragment, reassembled in #3]")); p++) held++;
    for (const char *p = t; (p = strstr(p, "[reassembled from 3 fragments, #1-#3]")); p++) done++;
    cr_assert_eq(held, 2, "%s", t);
    cr_assert_eq(done, 1, "%s", t);
    cr_assert_not_null(strstr(t, "10.9.0.1.7 > 10.9.0.2.9: UDP, length 2000"), "%s", t);
    free(t);
    cr_assert_eq(th_sh("%s read --defrag --format json '%s/r.pcap' | /usr/bin/python3 -c 'import json,sys; "
                       "a = json.load(sys.stdin); assert [p[\"defrag\"] for p in a] == [\"held\"] * 2 + "
                       "[\"reassembled\"] + [\"held\"] * 2 + [\"reassembled\"], a; "
                       "assert a[2][\"sport\"] == 7 and a[2][\"frag_first\"] == 1 and a[2][\"reassembled_layers\"]'",
                       cli, dir), 0);
    /* without --defrag the keys of --defrag are not there, the others are */
    cr_assert_eq(th_sh("%s read --format jsonl -c 1 '%s/r.pcap' | /usr/bin/python3 -c 'import json,sys; "
                       "j = json.loads(sys.stdin.readline()); assert \"defrag\" not in j and j[\"ja3\"] is None "
                       "and j[\"http_method\"] is None, j'", cli, dir), 0);
    cr_assert_eq(th_sh("%s read --overlap last '%s/r.pcap' >/dev/null 2>&1", cli, dir), 2);
    cr_assert_eq(th_sh("%s read --defrag --overlap middle '%s/r.pcap' >/dev/null 2>&1", cli, dir), 2);
}

/* The TCP option texts of a segment (text line and tcp_options) hold at
 * most 255 characters, as they always have: twenty unknown options of 2
 * bytes would take 279, and the text that goes past is cut there; a SACK
 * text is cut at 95 characters.  The JSON list is the text's pieces. */
Test(readx, tcp_option_texts_are_cut_at_their_limits)
{
    const char *cli = th_cli();
    char opts[81] = "";
    for (int k = 0; k < 20; k++) strcat(opts, "c802");
    cr_assert_eq(th_sh("%s syn --src 10.1.1.1 --dst 10.1.1.2 --tcp-opt %s --seed 1 --start 1 -o '%s/o.pcap'", cli, opts,
                       dir), 0);
    cr_assert_eq(th_sh("%s syn --src 10.1.1.1 --dst 10.1.1.2 --nop --nop --sack 4000000000-4000000001,4000000002-"
                       "4000000003,4000000004-4000000005,4000000006-4000000007 --seed 1 --start 1 -o '%s/s.pcap'",
                       cli, dir), 0);
    cr_assert_eq(th_sh("%s read '%s/o.pcap' > '%s/o.txt' && %s read --format jsonl '%s/o.pcap' > '%s/o.jsonl' && "
                       "%s read '%s/s.pcap' > '%s/s.txt' && %s read --format jsonl '%s/s.pcap' > '%s/s.jsonl'",
                       cli, dir, dir, cli, dir, dir, cli, dir, dir, cli, dir, dir), 0);
    char want[512] = "options [", path[128];
    for (int k = 0; k < 18; k++) strcat(want, "opt-200 len 2,");
    strcat(want, "opt], length 0\n"); /* 18 whole texts, then 3 characters of the 19th, the 20th lost */
    snprintf(path, sizeof path, "%s/o.txt", dir);
    char *t = th_slurp_text(path);
    cr_assert_not_null(t);
    cr_assert_not_null(strstr(t, want), "%s", t);
    free(t);
    const char *sack = "sack 4 {4000000000:4000000001} {4000000002:4000000003} {4000000004:4000000005} {4000000006:4000";
    snprintf(path, sizeof path, "%s/s.txt", dir);
    t = th_slurp_text(path);
    cr_assert_not_null(t);
    char swant[160];
    snprintf(swant, sizeof swant, "options [nop,nop,%s], length 0\n", sack);
    cr_assert_not_null(strstr(t, swant), "%s", t);
    free(t);
    cr_assert_eq(th_sh("/usr/bin/python3 -c 'import json,sys; o = json.load(open(sys.argv[1]))[\"tcp_options\"]; "
                       "s = json.load(open(sys.argv[2]))[\"tcp_options\"]; "
                       "assert o == [\"opt-200 len 2\"] * 18 + [\"opt\"], o; "
                       "assert s == [\"nop\", \"nop\", sys.argv[3]], s' '%s/o.jsonl' '%s/s.jsonl' '%s'",
                       dir, dir, sack), 0);
}

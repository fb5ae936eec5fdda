/* pktcraft stats: the protocol hierarchy, totals, hosts and 1 s intervals
 * agree with tshark (-z io,phs, -z endpoints,ip/ipv6, -z io,stat,1 and
 * its frame times), and the packets of every TCP/UDP 5-tuple of `flows`
 * with tshark's -z conv,tcp/udp, over the corpus (scripts/stats-check,
 * one tshark run per file, cached); --format json is valid JSON for every
 * corpus file, and every corpus file goes through the sanitized CLI
 * (stats and flows) without a crash. */
#include <criterion/criterion.h>
#include <criterion/logging.h>

#include "helpers.h"
#include "oracle.h"

TestSuite(stats, .timeout = 1800);

/* The last run: 288 files compared (42 skipped: tshark cannot read them
 * or pktcraft reports them damaged), 638 protocol paths, 719 hosts, 23626
 * intervals, 2209 TCP/UDP 5-tuples equal; 48 known differences in the 25
 * files of tests/stats-known.tsv, each with its reason; 0 others.  The
 * minimums are a little under those figures. */
Test(stats, agrees_with_tshark_over_the_corpus)
{
    th_tshark_require();
    char corpus[4200], dir[64], log[128];
    snprintf(corpus, sizeof corpus, "%s/../shared/corpus", th_root());
    th_tmpdir(dir);
    snprintf(log, sizeof log, "%s/stats.txt", dir);
    const char *rel = getenv("PKTCRAFT_REL");
    int st = th_sh("cd '%s' && /usr/bin/python3 scripts/stats-check --pktcraft '%s' --jobs 2 --cache '%s/stats-check' "
                   "--known tests/stats-known.tsv --min-files 280 --min-paths 600 --min-hosts 700 --min-intervals 23000 --min-convs 2150 '%s' > '%s' "
                   "2>&1",
                   th_root(), rel && *rel ? rel : th_cli(), th_cache_root(), corpus, log);
    char *out = th_slurp_text(log);
    th_rmdir(dir);
    cr_assert(out, "stats-check wrote no output");
    char *sum = strstr(out, "stats: ");
    cr_assert_eq(st, 0, "stats-check failed (exit %d):\n%s", st, out);
    cr_assert(sum, "%s", out);
    cr_log_info("%.*s", (int)strcspn(sum, "\n"), sum);
    free(out);
}

/* Every corpus capture through the CLI under test (the sanitized build):
 * stats exits 0 with valid JSON, or 1 with a message (damaged file, or a
 * capture spanning more than a million intervals), never anything else;
 * flows likewise. */
Test(stats, every_corpus_file_json_and_no_crash)
{
    char cmd[4400];
    snprintf(cmd, sizeof cmd,
             "find '%s/../shared/corpus' -type f ! -name MANIFEST.tsv ! -name '*.md' ! -path '*/holdout/*' | sort",
             th_root());
    char *list = th_cmd_output(cmd, NULL);
    char dir[64];
    th_tmpdir(dir);
    int files = 0, json = 0, refused = 0;
    for (char *p = list, *nl; *p; p = nl + 1) {
        nl = strchr(p, '\n');
        if (!nl) break;
        *nl = 0;
        files++;
        int rc = th_sh("'%s' stats --format json '%s' > '%s/s.json' 2> '%s/s.err'", th_cli(), p, dir, dir);
        cr_assert(rc == 0 || rc == 1, "stats exit %d on %s", rc, p);
        int valid = th_sh("/usr/bin/python3 -m json.tool '%s/s.json' > /dev/null 2>&1", dir);
        char ep[128];
        snprintf(ep, sizeof ep, "%s/s.err", dir);
        char *err = th_slurp_text(ep);
        cr_assert_not_null(err);
        if (rc == 0) cr_assert_eq(valid, 0, "stats --format json on %s is not valid JSON", p);
        else cr_assert(!strncmp(err, "pktcraft: ", 10), "stats exit 1 on %s without a message: %s", p, err);
        free(err);
        json += valid == 0;
        refused += rc == 1;
        rc = th_sh("'%s' flows --format jsonl '%s' > /dev/null 2> '%s/f.err'", th_cli(), p, dir);
        cr_assert(rc == 0 || rc == 1, "flows exit %d on %s", rc, p);
    }
    free(list);
    th_rmdir(dir);
    cr_log_info("stats: %d corpus files, %d with valid JSON, %d refused with a message", files, json, refused);
    cr_assert_geq(files, 300, "the corpus was not found");
    cr_assert_geq(json, 280, "only %d files gave JSON", json);
}

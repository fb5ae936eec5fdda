/* Negative controls for the oracle scripts: scripts/corpus-check,
 * scripts/convert-check and scripts/info-check must fail, saying why, when
 * their oracle (tshark, capinfos) is missing or broken, when they would
 * compare nothing, and when the minimums they are given are not met.  Each
 * control has a positive twin (the real oracle, minimums that hold) so a
 * control cannot pass because the setup itself is broken.
 *
 * A broken oracle is a fake `tshark` or `capinfos` shell script first on
 * PATH; the captures are two small golden files (golden/syn.pcap and
 * golden/dns-response.pcap, one packet each). */
#include <criterion/criterion.h>
#include <criterion/logging.h>

#include <sys/stat.h>

#include "helpers.h"

static char dir[64];
static void setup(void) { th_tmpdir(dir); }
static void teardown(void)
{
    if (dir[0]) th_rmdir(dir);
}
TestSuite(oracles, .init = setup, .fini = teardown, .timeout = 1800);

#define TWO_FILES "golden/syn.pcap golden/dns-response.pcap"

/* A fake tool named name in <dir>/<kind>/ (a directory of its own, to go
 * first on PATH): a shell script with body. */
static const char *fake(const char *kind, const char *name, const char *body)
{
    static char bindir[128];
    snprintf(bindir, sizeof bindir, "%s/%s", dir, kind);
    cr_assert_eq(mkdir(bindir, 0755), 0, "mkdir %s", bindir);
    char path[256];
    snprintf(path, sizeof path, "%s/%s", bindir, name);
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f);
    fprintf(f, "#!/bin/sh\n%s\n", body);
    cr_assert_eq(fclose(f), 0);
    cr_assert_eq(chmod(path, 0755), 0);
    return bindir;
}

/* scripts/<script> --pktcraft CLI args, from the project root, with
 * pathdir first on PATH (NULL: PATH as it is; "" alone: PATH is only an
 * empty directory).  Returns the exit status; *out gets stdout+stderr. */
static int run(const char *script, const char *pathdir, const char *args, char **out)
{
    char log[128], path[4096];
    snprintf(log, sizeof log, "%s/%s.log", dir, script);
    const char *env = getenv("PATH");
    if (!pathdir) snprintf(path, sizeof path, "%s", env ? env : "/usr/bin:/bin");
    else if (!*pathdir) {
        snprintf(path, sizeof path, "%s/empty", dir);
        mkdir(path, 0755);
    } else snprintf(path, sizeof path, "%s:%s", pathdir, env ? env : "/usr/bin:/bin");
    int st = th_sh("cd '%s' && PATH='%s' /usr/bin/python3 scripts/%s --pktcraft '%s' %s > '%s' 2>&1", th_root(), path,
                   script, th_cli(), args, log);
    *out = th_slurp_text(log);
    cr_assert_not_null(*out, "scripts/%s wrote no output", script);
    return st;
}

/* The script must exit 1 (its failure, and sys.exit with a message) and
 * say every one of the expected things (a NULL-terminated list). */
static void expect_fail(const char *script, const char *pathdir, const char *args, const char *const *says)
{
    char *out;
    int st = run(script, pathdir, args, &out);
    cr_assert(st == 1, "scripts/%s %s exited %d, want 1:\n%s", script, args, st, out);
    for (size_t i = 0; says[i]; i++)
        cr_assert(strstr(out, says[i]), "scripts/%s %s: no \"%s\" in its output:\n%s", script, args, says[i], out);
    free(out);
}

static void expect_pass(const char *script, const char *args, const char *says)
{
    char *out;
    int st = run(script, NULL, args, &out);
    cr_assert_eq(st, 0, "scripts/%s %s (the positive control) failed:\n%s", script, args, out);
    cr_assert(strstr(out, says), "scripts/%s %s: no \"%s\" in its output:\n%s", script, args, says, out);
    cr_log_info("%.*s", (int)strcspn(strstr(out, says), "\n"), strstr(out, says));
    free(out);
}

/* A tshark that answers --version like 4.0.17 and does what rest says for
 * everything else. */
#define FAKE_VERSION "case \"$1\" in --version) echo 'TShark (Wireshark) 4.0.17 (fake)'; exit 0;; esac\n"

/* ----------------------------------------------------------- corpus-check */

Test(oracles, corpus_check_positive_control)
{
    expect_pass("corpus-check", "--min-files 2 --min-packets 2 --min-fields 10 " TWO_FILES,
                "corpus: 2 files checked");
}

Test(oracles, corpus_check_fails_when_tshark_exits_1)
{
    /* Every call fails, --version included ... */
    const char *bin = fake("exit1", "tshark", "exit 1");
    expect_fail("corpus-check", bin, TWO_FILES, (const char *const[]){ "`tshark --version` failed (exit 1)", NULL });
    /* ... or only the reading: every file is an error. */
    bin = fake("exit1-read", "tshark", FAKE_VERSION "exit 1");
    expect_fail("corpus-check", bin, TWO_FILES,
                (const char *const[]){ "ERROR golden/syn.pcap: tshark failed (exit 1) with no file-format error",
                                       "ERROR golden/dns-response.pcap: tshark failed (exit 1)",
                                       "FAIL: 2 files with errors", "FAIL: only 0 packets compared", NULL });
}

Test(oracles, corpus_check_fails_when_tshark_prints_nothing)
{
    const char *bin = fake("silent", "tshark", "exit 0");
    expect_fail("corpus-check", bin, TWO_FILES,
                (const char *const[]){ "`tshark --version` printed no TShark version line", NULL });
    bin = fake("silent-read", "tshark", FAKE_VERSION "exit 0");
    expect_fail("corpus-check", bin, TWO_FILES,
                (const char *const[]){ "ERROR golden/syn.pcap: tshark printed 0 packets, pktcraft read 1",
                                       "FAIL: only 0 files checked, at least 1 required",
                                       "FAIL: only 0 packets compared, at least 1 required",
                                       "FAIL: only 0 fields compared, at least 1 required", NULL });
}

Test(oracles, corpus_check_fails_when_tshark_is_missing)
{
    expect_fail("corpus-check", "", TWO_FILES, (const char *const[]){ "tshark not found on PATH", NULL });
}

/* A tshark that calls every file unreadable: each one is "tshark cannot
 * read", which needs a budget; none given, so the run fails. */
Test(oracles, corpus_check_budgets_files_tshark_cannot_read)
{
    const char *bin = fake("unreadable", "tshark",
                           FAKE_VERSION "while [ $# -gt 0 ]; do [ \"$1\" = -r ] && f=$2; shift; done\n"
                                        "echo \"tshark: The file \\\"$f\\\" contains record data that TShark "
                                        "doesn't support.\" >&2\n"
                                        "echo '(pcap: network type 999 unknown or unsupported)' >&2\nexit 2");
    expect_fail("corpus-check", bin, TWO_FILES,
                (const char *const[]){ "tshark cannot read, pktcraft reads (not compared; 0 allowed): 2",
                                       "FAIL: tshark cannot read 2 files pktcraft reads, at most 0 allowed", NULL });
    expect_fail("corpus-check", bin, "--allow-tshark-unreadable 2 " TWO_FILES,
                (const char *const[]){ "FAIL: only 0 files checked", NULL });
}

Test(oracles, corpus_check_minimums_and_content_selection)
{
    expect_fail("corpus-check", NULL, "--min-packets 1000 " TWO_FILES,
                (const char *const[]){ "FAIL: only 2 packets compared, at least 1000 required", NULL });
    expect_fail("corpus-check", NULL, "--min-files 3 " TWO_FILES,
                (const char *const[]){ "FAIL: only 2 files checked, at least 3 required", NULL });
    expect_fail("corpus-check", NULL, "--min-fields 100000 " TWO_FILES,
                (const char *const[]){ "FAIL: only", "fields compared, at least 100000 required", NULL });
    /* A golden text file whose name says pcap is not a capture. */
    expect_fail("corpus-check", NULL, "golden/udp-pcapng.txt golden/udp-pcapng.jsonl",
                (const char *const[]){ "skipped, not capture files: 2 (2 not a capture by content)",
                                       "FAIL: only 0 files checked", NULL });
}

/* ---------------------------------------------------------- convert-check */

Test(oracles, convert_check_minimums)
{
    expect_pass("convert-check", "--min-files 2 --min-packets 2 " TWO_FILES, "convert: 2 files checked");
    expect_fail("convert-check", NULL, "--min-files 3 " TWO_FILES,
                (const char *const[]){ "FAIL: only 2 files round-tripped, at least 3 required", NULL });
    expect_fail("convert-check", NULL, "--min-packets 1000 " TWO_FILES,
                (const char *const[]){ "FAIL: only 2 packets round-tripped, at least 1000 required", NULL });
    expect_fail("convert-check", NULL, "golden/syn.txt",
                (const char *const[]){ "skipped: 1 files (1 not a capture by content)",
                                       "FAIL: only 0 files round-tripped", NULL });
}

/* ------------------------------------------------------------- info-check */

Test(oracles, info_check_minimums)
{
    expect_pass("info-check", "--min-files 2 --min-packets 2 " TWO_FILES, "info: 2 files compared");
    expect_fail("info-check", NULL, "--min-files 3 " TWO_FILES,
                (const char *const[]){ "FAIL: only 2 files compared, at least 3 required", NULL });
    expect_fail("info-check", NULL, "--min-packets 1000 " TWO_FILES,
                (const char *const[]){ "FAIL: only 2 packets compared, at least 1000 required", NULL });
}

Test(oracles, info_check_fails_when_capinfos_fails)
{
    const char *bin = fake("cexit1", "capinfos", "exit 1");
    expect_fail("info-check", bin, TWO_FILES,
                (const char *const[]){ "golden/syn.pcap: ERROR capinfos failed (exit 1) without a file error",
                                       "FAIL: only 0 files compared", NULL });
    bin = fake("csilent", "capinfos", "exit 0");
    expect_fail("info-check", bin, TWO_FILES,
                (const char *const[]){ "golden/syn.pcap: ERROR capinfos gave no figures (exit 0)",
                                       "FAIL: only 0 files compared", NULL });
    expect_fail("info-check", "", TWO_FILES, (const char *const[]){ "capinfos not found on PATH", NULL });
    bin = fake("cunsupp", "capinfos",
               "for a; do f=$a; done\n"
               "echo \"capinfos: The file \\\"$f\\\" contains record data that capinfos doesn't support.\" >&2\n"
               "exit 2");
    expect_fail("info-check", bin, TWO_FILES,
                (const char *const[]){ "capinfos cannot read, pktcraft reads (not compared; 0 allowed): 2",
                                       "FAIL: capinfos cannot read 2 files pktcraft reads, at most 0 allowed",
                                       NULL });
}

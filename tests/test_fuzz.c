/* Replay of the fuzz targets under `make test`: every committed seed
 * (tests/fuzz/seeds/<target>/) and every input that once crashed a target
 * (tests/fuzz/regressions/<target>/, written by make fuzz) goes through the
 * very same target code, here built with gcc, ASan and UBSan.  The targets
 * are #included with PC_FUZZ_REPLAY set, which names their bodies
 * fuzz_decode, fuzz_reader, ... instead of libFuzzer's entry point (see
 * tests/fuzz/fuzz.h); fuzz_cliparse also needs the CLI files it tests,
 * which the test binary does not otherwise link.
 *
 * Inputs listed in tests/fuzz/regressions/PENDING.txt (bugs in files whose
 * owner has not fixed them yet) are skipped, and only those. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* memfd_create, in fuzz_reader */
#endif
#include <criterion/criterion.h>
#include <dirent.h>
#include <signal.h>

#include "helpers.h"

#define PC_FUZZ_REPLAY 1
#include "fuzz/fuzz_decode.c"
#include "fuzz/fuzz_reader.c"
#include "fuzz/fuzz_dns.c"
#include "fuzz/fuzz_rebuild.c"
#include "fuzz/fuzz_cliparse.c"
#include "fuzz/fuzz_defrag.c"
#include "fuzz/fuzz_tls.c"
#include "fuzz/fuzz_http.c"
#include "fuzz/fuzz_dnstxn.c"
#include "fuzz/fuzz_stream.c"
#include "fuzz/fuzz_analyzer.c"
#include "fuzz/fuzz_dhcp.c"
#include "fuzz/fuzz_ntp.c"
#include "fuzz/fuzz_x509.c"
#include "fuzz/fuzz_conv.c"
#include "fuzz/fuzz_script.c"
#include "../cli/parse.c"
#include "../cli/fields.c"
#include "../cli/util.c"
#include "../cli/script.c"
#include "fuzz/fuzz_vary.c"
#include "../cli/vary.c"

/* The committed seeds alone are more than this: fewer replayed means the
 * inputs were not found, and the test must not pass vacuously. */
static const struct {
    const char *name;
    int (*fn)(const uint8_t *, size_t);
    int min_inputs;
} fz_targets[] = {
    { "decode", fuzz_decode, 50 },
    { "reader", fuzz_reader, 40 },
    { "dns", fuzz_dns, 10 },
    { "rebuild", fuzz_rebuild, 50 },
    { "cliparse", fuzz_cliparse, 30 },
    { "defrag", fuzz_defrag, 15 },
    { "tls", fuzz_tls, 10 },
    { "http", fuzz_http, 20 },
    { "dnstxn", fuzz_dnstxn, 30 },
    { "stream", fuzz_stream, 50 },
    { "analyzer", fuzz_analyzer, 15 },
    { "dhcp", fuzz_dhcp, 15 },
    { "ntp", fuzz_ntp, 12 },
    { "x509", fuzz_x509, 7 },
    { "conv", fuzz_conv, 10 },
    { "script", fuzz_script, 35 },
    { "vary", fuzz_vary, 12 },
};

/* The input being replayed, named by the crash handler: an ASan or UBSan
 * report (abort_on_error) or a failed invariant ends in SIGABRT. */
static char fz_current[4096 + 512];

static void fz_on_crash(int sig)
{
    static const char pre[] = "fuzz replay: crashed on ";
    if (write(2, pre, sizeof pre - 1) < 0 || write(2, fz_current, strlen(fz_current)) < 0 || write(2, "\n", 1) < 0) {
        /* nothing more to do: the signal is raised again below */
    }
    signal(sig, SIG_DFL);
    raise(sig);
}

/* "target/file" lines of PENDING.txt (first word of each line). */
static bool fz_pending(const char *target, const char *file)
{
    char path[4096], line[1024], want[600];
    snprintf(path, sizeof path, "%s/tests/fuzz/regressions/PENDING.txt", th_root());
    snprintf(want, sizeof want, "%s/%s", target, file);
    FILE *f = fopen(path, "r");
    if (!f) return false;
    bool hit = false;
    while (!hit && fgets(line, sizeof line, f)) {
        line[strcspn(line, " \t\r\n")] = 0;
        hit = line[0] != '#' && !strcmp(line, want);
    }
    fclose(f);
    return hit;
}

/* Every regular file of dir through fn; returns how many, *skipped the
 * PENDING ones. */
static int fz_replay_dir(const char *target, const char *kind, int (*fn)(const uint8_t *, size_t), int *skipped)
{
    char dir[4096];
    int dn = snprintf(dir, sizeof dir, "%s/tests/fuzz/%s/%s", th_root(), kind, target);
    cr_assert(dn > 0 && (size_t)dn < sizeof dir, "path too long");
    DIR *dp = opendir(dir);
    if (!dp) return 0;
    int n = 0;
    struct dirent *e;
    while ((e = readdir(dp))) {
        if (e->d_name[0] == '.') continue;
        if (!strcmp(kind, "regressions") && fz_pending(target, e->d_name)) {
            (*skipped)++;
            continue;
        }
        snprintf(fz_current, sizeof fz_current, "%s/%s", dir, e->d_name);
        size_t len;
        uint8_t *data = th_slurp(fz_current, &len);
        cr_assert_not_null(data, "cannot read %s", fz_current);
        fn(data, len);
        free(data);
        n++;
    }
    closedir(dp);
    return n;
}

static void fz_replay(int k)
{
    int skipped = 0;
    signal(SIGABRT, fz_on_crash);
    signal(SIGSEGV, fz_on_crash);
    int seeds = fz_replay_dir(fz_targets[k].name, "seeds", fz_targets[k].fn, &skipped);
    int regs = fz_replay_dir(fz_targets[k].name, "regressions", fz_targets[k].fn, &skipped);
    cr_log_info("fuzz_%s: replayed %d seeds and %d regressions (%d pending skipped)", fz_targets[k].name, seeds, regs,
                skipped);
    cr_assert_geq(seeds + regs, fz_targets[k].min_inputs,
                  "fuzz_%s: only %d inputs replayed (tests/fuzz/seeds/%s missing? PKTCRAFT_ROOT=%s)", fz_targets[k].name,
                  seeds + regs, fz_targets[k].name, th_root());
}

TestSuite(fuzz, .timeout = 1800);

/* By name: targets are added to the table in any order. */
static void fz_replay_named(const char *name)
{
    size_t k = 0;
    while (strcmp(fz_targets[k].name, name)) k++;
    fz_replay((int)k);
}

Test(fuzz, replay_decode) { fz_replay(0); }
Test(fuzz, replay_reader) { fz_replay(1); }
Test(fuzz, replay_dns) { fz_replay(2); }
Test(fuzz, replay_rebuild) { fz_replay(3); }
Test(fuzz, replay_cliparse) { fz_replay(4); }
Test(fuzz, replay_defrag) { fz_replay(5); }
Test(fuzz, replay_tls) { fz_replay_named("tls"); }
Test(fuzz, replay_http) { fz_replay_named("http"); }
Test(fuzz, replay_dnstxn) { fz_replay_named("dnstxn"); }
Test(fuzz, replay_stream) { fz_replay_named("stream"); }
Test(fuzz, replay_analyzer) { fz_replay_named("analyzer"); }
Test(fuzz, replay_dhcp) { fz_replay_named("dhcp"); }
Test(fuzz, replay_ntp) { fz_replay_named("ntp"); }
Test(fuzz, replay_x509) { fz_replay_named("x509"); }

Test(fuzz, replay_conv) { fz_replay_named("conv"); }
Test(fuzz, replay_script) { fz_replay_named("script"); }
Test(fuzz, replay_vary) { fz_replay_named("vary"); }

/* The fixture tasks of issue 10's trial that once needed shell loops (a
 * port scan with its answers, a 1,000-source SYN flood, a ping exchange,
 * 100 packets a second for 10 seconds, overlapping fragments, Record Route
 * and its TTL-exceeded answer): scripts/trial makes each with the commands
 * the README shows and judges it with tshark, one call per capture. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "helpers.h"

static char dir[64];
static void setup(void) { th_tmpdir(dir); }
static void teardown(void) { th_rmdir(dir); }

TestSuite(trial, .init = setup, .fini = teardown, .timeout = 1800);

Test(trial, every_task_in_one_command_judged_by_tshark)
{
    char log[128];
    snprintf(log, sizeof log, "%s/trial.log", dir);
    int st = th_sh("cd '%s' && PKTCRAFT='%s' /usr/bin/python3 scripts/trial --keep '%s/k' > '%s' 2>&1", th_root(), th_cli(),
                   dir, log);
    char *out = th_slurp_text(log);
    cr_assert(out, "no output from scripts/trial");
    cr_assert_eq(st, 0, "scripts/trial failed:\n%s", out);
    cr_assert(strstr(out, "trial: 6 tasks, 0 failed"), "%s", out);
    free(out);
}

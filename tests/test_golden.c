/* Golden files: every case in golden/cases.tsv is regenerated with the CLI
 * under test and compared byte for byte (pcap, text and JSON output). */
#include <criterion/criterion.h>

#include "helpers.h"

static void expect_same(const char *want_path, const char *got_path, const char *name)
{
    size_t wn, gn;
    uint8_t *w = th_slurp(want_path, &wn), *g = th_slurp(got_path, &gn);
    cr_assert(w, "%s: golden file %s missing (run scripts/golden-regen)", name, want_path);
    cr_assert(g, "%s: output %s not written", name, got_path);
    size_t i = 0;
    while (i < wn && i < gn && w[i] == g[i]) i++;
    cr_assert(wn == gn && i == wn, "%s: %s differs from the golden file at byte %zu (sizes %zu vs %zu)", name, got_path, i, gn, wn);
    free(w);
    free(g);
}

Test(golden, every_case_regenerates_byte_for_byte)
{
    char path[4096], dir[64];
    snprintf(path, sizeof path, "%s/golden/cases.tsv", th_root());
    FILE *f = fopen(path, "r");
    cr_assert(f, "cannot open %s", path);
    th_tmpdir(dir);
    char line[1024];
    int cases = 0;
    while (fgets(line, sizeof line, f)) {
        if (line[0] == '#' || line[0] == '\n') continue;
        line[strcspn(line, "\n")] = 0;
        char *tab = strchr(line, '\t');
        cr_assert(tab, "bad line in cases.tsv: %s", line);
        *tab = 0;
        const char *name = line, *args = tab + 1;
        char want[8192], got[8192];
        snprintf(got, sizeof got, "%s/%s.pcap", dir, name);
        cr_assert_eq(th_sh("%s %s -o '%s'", th_cli(), args, got), 0, "%s: command failed", name);
        snprintf(want, sizeof want, "%s/golden/%s.pcap", th_root(), name);
        expect_same(want, got, name);
        static const char *const kinds[][2] = { { "txt", "" }, { "jsonl", "--format jsonl" } };
        for (int k = 0; k < 2; k++) {
            snprintf(got, sizeof got, "%s/%s.%s", dir, name, kinds[k][0]);
            snprintf(want, sizeof want, "%s/golden/%s.%s", th_root(), name, kinds[k][0]);
            cr_assert_eq(th_sh("%s read %s '%s/golden/%s.pcap' > '%s'", th_cli(), kinds[k][1], th_root(), name, got), 0);
            expect_same(want, got, name);
        }
        cases++;
    }
    fclose(f);
    th_rmdir(dir);
    cr_assert_geq(cases, 6, "golden table has only %d cases", cases);
    cr_log_info("golden: %d cases compared (pcap, text, jsonl)", cases);
}

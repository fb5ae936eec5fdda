/* Golden files: every case in golden/cases.tsv is regenerated with the CLI
 * under test and compared byte for byte (pcap, text and JSON output). */
#include <criterion/criterion.h>
#include <pcap/pcap.h>

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

/* libpcap reads the golden capture with the same packets, bytes and
 * timestamps as our reader (nanosecond precision asked for both kinds). */
static void libpcap_agrees(const char *path, const char *name)
{
    char eb[PCAP_ERRBUF_SIZE];
    pcap_t *p = pcap_open_offline_with_tstamp_precision(path, PCAP_TSTAMP_PRECISION_NANO, eb);
    cr_assert(p, "%s: libpcap cannot open %s: %s", name, path, eb);
    struct pc_err err;
    struct pc_reader *r = pc_reader_open(path, &err);
    cr_assert(r, "%s: %s", name, err.msg);
    struct pcap_pkthdr *ph;
    const u_char *pd;
    struct pc_pkthdr h;
    const uint8_t *data;
    int n = 0;
    while (pcap_next_ex(p, &ph, &pd) == 1) {
        cr_assert_eq(pc_reader_next(r, &h, &data), 1, "%s: libpcap has more packets", name);
        cr_assert_eq(ph->caplen, h.caplen);
        cr_assert_eq(ph->len, h.len);
        cr_assert(memcmp(pd, data, h.caplen) == 0, "%s: packet %d bytes differ", name, n + 1);
        cr_assert_eq((int64_t)ph->ts.tv_sec * PC_NS_PER_SEC + ph->ts.tv_usec, h.ts, "%s: packet %d time", name, n + 1);
        n++;
    }
    cr_assert_eq(pc_reader_next(r, &h, &data), 0, "%s: we have more packets than libpcap", name);
    cr_assert_gt(n, 0);
    pcap_close(p);
    pc_reader_close(r);
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
        libpcap_agrees(want, name);
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

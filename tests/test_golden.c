/* Golden files: every case in golden/cases.tsv is regenerated with the CLI
 * under test and compared byte for byte (pcap, text and JSON output); each
 * golden capture is read back by libpcap, judged by tshark as the case's
 * third column expects, and its fields compared with tshark's. */
#include <criterion/criterion.h>
#include <pcap/pcap.h>

#include "oracle.h"

struct gcase { char name[64]; char args[1024]; char expect[64]; };

static int load_cases(struct gcase *c, int max)
{
    char path[4096], line[1400];
    snprintf(path, sizeof path, "%s/golden/cases.tsv", th_root());
    FILE *f = fopen(path, "r");
    cr_assert(f, "cannot open %s", path);
    int n = 0;
    while (fgets(line, sizeof line, f) && n < max) {
        if (line[0] == '#' || line[0] == '\n') continue;
        line[strcspn(line, "\n")] = 0;
        char *t1 = strchr(line, '\t'), *t2 = t1 ? strchr(t1 + 1, '\t') : NULL;
        cr_assert(t1 && t2, "cases.tsv needs NAME, ARGS and EXPECT: %s", line);
        *t1 = *t2 = 0;
        cr_assert(strlen(line) < sizeof c[n].name && strlen(t1 + 1) < sizeof c[n].args && strlen(t2 + 1) < sizeof c[n].expect,
                  "cases.tsv: a column is too long: %s", line);
        memcpy(c[n].name, line, strlen(line) + 1);
        memcpy(c[n].args, t1 + 1, strlen(t1 + 1) + 1);
        memcpy(c[n].expect, t2 + 1, strlen(t2 + 1) + 1);
        n++;
    }
    fclose(f);
    return n;
}

static void expect_same(const char *want_path, const char *got_path, const char *name)
{
    size_t wn, gn;
    uint8_t *w = th_slurp(want_path, &wn), *g = th_slurp(got_path, &gn);
    cr_assert(w, "%s: golden file %s missing (run scripts/golden-regen)", name, want_path);
    cr_assert(g, "%s: output %s not written", name, got_path);
    size_t i = th_first_diff(w, wn, g, gn);
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

TestSuite(golden, .timeout = 1800);

Test(golden, every_case_regenerates_byte_for_byte)
{
    static struct gcase c[256];
    int n = load_cases(c, 256);
    char dir[64];
    th_tmpdir(dir);
    for (int k = 0; k < n; k++) {
        char want[8192], got[8192];
        snprintf(got, sizeof got, "%s/%s.pcap", dir, c[k].name);
        cr_assert_eq(th_sh("cd '%s' && %s %s -o '%s'", th_root(), th_cli(), c[k].args, got), 0, "%s: command failed", c[k].name);
        snprintf(want, sizeof want, "%s/golden/%s.pcap", th_root(), c[k].name);
        expect_same(want, got, c[k].name);
        libpcap_agrees(want, c[k].name);
        static const char *const kinds[][2] = { { "txt", "" }, { "jsonl", "--format jsonl" } };
        for (int j = 0; j < 2; j++) {
            snprintf(got, sizeof got, "%s/%s.%s", dir, c[k].name, kinds[j][0]);
            snprintf(want, sizeof want, "%s/golden/%s.%s", th_root(), c[k].name, kinds[j][0]);
            cr_assert_eq(th_sh("%s read %s '%s/golden/%s.pcap' > '%s'", th_cli(), kinds[j][1], th_root(), c[k].name, got), 0);
            expect_same(want, got, c[k].name);
        }
    }
    th_rmdir(dir);
    cr_assert_geq(n, 40, "golden table has only %d cases", n);
    cr_log_info("golden: %d cases compared (pcap, text, jsonl, libpcap)", n);
}

/* tshark's verdict on one capture: malformed packets, expert errors, and
 * the checksum statuses (1 good, 0 bad) of each layer. */
struct verdict { int packets, malformed, experts, bad[6], good[6]; };
static const char *const csum_fields[6] = { "ip.checksum.status", "tcp.checksum.status", "udp.checksum.status",
                                            "icmp.checksum.status", "icmpv6.checksum.status", "gre.checksum.status" };
static const char *const csum_names[6] = { "ip", "tcp", "udp", "icmp", "icmp6", "gre" };

static void tshark_verdict(const char *tshark, const char *path, struct verdict *v)
{
    const char *f[3 + 6] = { "frame.number", "_ws.malformed", "_ws.expert.severity" };
    for (int k = 0; k < 6; k++) f[3 + k] = csum_fields[k];
    struct th_rows rows = { 0 };
    th_tshark_fields(&rows, tshark, NULL, path, NULL,
                     "-o ip.check_checksum:TRUE -o tcp.check_checksum:TRUE -o udp.check_checksum:TRUE", f, 9);
    memset(v, 0, sizeof *v);
    for (size_t i = 0; i < rows.n; i++) {
        char *save = NULL, *col[9];
        th_split_cols(rows.row[i], col, 9, i + 1);
        v->packets++;
        if (*col[1]) v->malformed++;
        /* severities: 8388608 error (others are notes, chats and warnings) */
        for (char *q = col[2]; (q = strstr(q, "8388608")); q += 7) v->experts++;
        for (int k = 0; k < 6; k++)
            for (char *t = strtok_r(col[3 + k], "|", &save); t; t = strtok_r(NULL, "|", &save)) {
                if (!strcmp(t, "0")) v->bad[k]++;
                if (!strcmp(t, "1")) v->good[k]++;
            }
    }
    th_rows_free(&rows);
}

Test(golden, tshark_judges_every_golden_capture_as_expected)
{
    const char *tshark = th_tshark_require();
    static struct gcase c[256];
    int n = load_cases(c, 256);
    cr_assert_geq(n, 40, "golden table has only %d cases: tshark would judge next to nothing", n);
    for (int k = 0; k < n; k++) {
        char path[4096];
        snprintf(path, sizeof path, "%s/golden/%s.pcap", th_root(), c[k].name);
        struct verdict v;
        tshark_verdict(tshark, path, &v);
        cr_assert_gt(v.packets, 0, "%s: tshark read no packet", c[k].name);
        const char *e = c[k].expect;
        if (!strncmp(e, "malformed", 9)) {
            /* our decoder must say so too ... */
            char jp[4096];
            snprintf(jp, sizeof jp, "%s/golden/%s.jsonl", th_root(), c[k].name);
            char *js = th_slurp_text(jp);
            cr_assert(js);
            cr_assert(strstr(js, "\"malformed: "), "%s: pktcraft does not report the deliberate damage", c[k].name);
            free(js);
            /* ... and tshark, except where it is known blind to it ("malformed-ours") */
            if (strcmp(e, "malformed-ours"))
                cr_assert(v.malformed + v.experts > 0, "%s: tshark found nothing wrong in a deliberately broken capture", c[k].name);
            continue;
        }
        cr_assert_eq(v.malformed, 0, "%s: tshark says %d packets are malformed", c[k].name, v.malformed);
        for (int j = 0; j < 6; j++) {
            bool want_bad = !strncmp(e, "bad:", 4) && strstr(e + 4, csum_names[j]);
            if (want_bad) {
                cr_assert_gt(v.bad[j], 0, "%s: tshark does not see the corrupted %s checksum", c[k].name, csum_names[j]);
                cr_assert_eq(v.good[j], 0, "%s: a %s checksum meant to be bad is good", c[k].name, csum_names[j]);
            } else {
                cr_assert_eq(v.bad[j], 0, "%s: tshark finds %d bad %s checksums", c[k].name, v.bad[j], csum_names[j]);
            }
        }
        int nbad = 0;
        for (int j = 0; j < 6; j++) nbad += v.bad[j];
        /* A bad checksum is itself one expert error; nothing else may be. */
        cr_assert_eq(v.experts, nbad, "%s: tshark reports %d expert errors for %d bad checksums", c[k].name, v.experts, nbad);
    }
}

/* Minimums a little below the figures of the 42 golden captures: 42 files,
 * 59 packets and 362 fields compared (the .txt and .jsonl beside them are
 * skipped by content); tshark reads every one of them. */
Test(golden, tshark_fields_equal_ours_on_golden_captures)
{
    th_tshark_require();
    th_corpus_check("golden", "tshark and pktcraft disagree on golden captures",
                    "--min-files 40 --min-packets 55 --min-fields 340 --allow-tshark-unreadable 0");
}

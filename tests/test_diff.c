/* pktcraft diff: identical, nearly identical and different captures, the
 * field names (tunnels indexed), --ignore, --max, the JSON forms, damaged
 * files and usage errors, the corpus against itself and its pcapng copy,
 * and tshark as the independent judge of which fields differ. */
#include <criterion/criterion.h>

#include "helpers.h"

static char dir[64];
static void setup(void) { th_tmpdir(dir); }
static void teardown(void) { th_rmdir(dir); }
TestSuite(diff, .init = setup, .fini = teardown, .timeout = 1800);

/* Every crafting command gets a fixed start and seed, so the files differ
 * only in what a test asks for (the default seed may follow the arguments). */
#define TCP5 "tcp --src 10.0.0.1 --dst 10.0.0.2 --dport 80 -c 5 --start 1700000000 --gap 1ms --seed 1"

/* Run `pktcraft diff ARGS` in the test directory; stdout into out, stderr
 * into err (both malloc'd, NUL-terminated); returns the exit status. */
static int run_diff(char **out, char **err, const char *args)
{
    int st = th_sh("cd '%s' && '%s' diff %s > out.txt 2> err.txt", dir, th_cli(), args);
    char p[128];
    snprintf(p, sizeof p, "%s/out.txt", dir);
    *out = th_slurp_text(p);
    snprintf(p, sizeof p, "%s/err.txt", dir);
    *err = th_slurp_text(p);
    cr_assert(*out && *err);
    return st;
}

/* A crafting command in the test directory; it must succeed. */
static void craft(const char *fmt, const char *out)
{
    cr_assert_eq(th_sh("cd '%s' && '%s' %s -o %s", dir, th_cli(), fmt, out), 0, "%s -o %s", fmt, out);
}

static int lines(const char *s)
{
    int n = 0;
    for (; *s; s++) n += *s == '\n';
    return n;
}

static void expect(int want_rc, const char *want_out, const char *args)
{
    char *out, *err;
    int rc = run_diff(&out, &err, args);
    cr_assert_eq(rc, want_rc, "diff %s: exit %d (want %d)\n%s%s", args, rc, want_rc, out, err);
    if (want_out) cr_assert_str_eq(out, want_out, "diff %s", args);
    free(out);
    free(err);
}

Test(diff, identical_captures_in_any_format)
{
    craft(TCP5, "a.pcap");
    craft(TCP5, "a2.pcap");
    craft(TCP5 " -F nsecpcap", "a.nsec.pcap");
    cr_assert_eq(th_sh("cd '%s' && '%s' convert a.pcap -o a.pcapng", dir, th_cli()), 0);
    expect(0, "identical: 5 packets\n", "a.pcap a2.pcap");
    expect(0, "identical: 5 packets\n", "a.pcap a.pcapng");
    expect(0, "identical: 5 packets\n", "a.pcapng a.nsec.pcap");
    expect(0, "", "-q a.pcap a.pcapng");
    expect(0, NULL, "a.pcap - < a.pcapng");
    /* comments are compared between two pcapng files only */
    craft(TCP5 " -F pcapng --comment hello", "c.pcapng");
    expect(0, "identical: 5 packets\n", "a.pcap c.pcapng");
    expect(1, NULL, "a.pcapng c.pcapng");
    char *out, *err;
    cr_assert_eq(run_diff(&out, &err, "--max 1 c.pcapng a.pcapng"), 1);
    cr_assert_str_eq(out, "packet 1: comment: \"hello\" != (none)\n5 of 5 packets differ\n");
    free(out);
    free(err);
    expect(0, NULL, "--ignore comment a.pcapng c.pcapng");
}

Test(diff, one_pinned_field_is_one_difference)
{
    craft(TCP5, "a.pcap");
    craft(TCP5 " --set ip.ttl=63@3", "b.pcap");
    /* the TTL, and the header checksum that follows it: nothing else */
    expect(1, "packet 3: ip.ttl: 64 != 63\npacket 3: ip.csum: 0x644e != 0x654e\n1 of 5 packets differ\n", "a.pcap b.pcap");
    expect(1, "packet 3: ip.ttl: 64 != 63\n1 of 5 packets differ\n", "--ignore ip.csum a.pcap b.pcap");
    expect(0, "identical: 5 packets\n", "--ignore ip.ttl,ip.csum a.pcap b.pcap");
    expect(0, "identical: 5 packets\n", "--ignore ip.ttl --ignore ip.csum a.pcap b.pcap");
    expect(0, NULL, "--ignore ip a.pcap b.pcap");
    expect(1, "", "-q a.pcap b.pcap");
    /* JSON: one object, the differences and the counts */
    char *out, *err;
    cr_assert_eq(run_diff(&out, &err, "--format json a.pcap b.pcap"), 1);
    cr_assert_str_eq(out, "{\"a\":\"a.pcap\",\"b\":\"b.pcap\",\"differences\":["
                          "{\"packet\":3,\"field\":\"ip.ttl\",\"a\":\"64\",\"b\":\"63\"},"
                          "{\"packet\":3,\"field\":\"ip.csum\",\"a\":\"0x644e\",\"b\":\"0x654e\"}],"
                          "\"packets_a\":5,\"packets_b\":5,\"packets\":5,\"differing\":1,\"shown\":1,"
                          "\"identical\":false}\n");
    free(out);
    free(err);
    cr_assert_eq(run_diff(&out, &err, "--format jsonl a.pcap b.pcap"), 1);
    cr_assert_eq(lines(out), 3, "%s", out);
    cr_assert(strstr(out, "{\"packets_a\":5,\"packets_b\":5,\"packets\":5,\"differing\":1,"), "%s", out);
    free(out);
    free(err);
    cr_assert_eq(th_sh("cd '%s' && '%s' diff --format json a.pcap b.pcap | python3 -c 'import json,sys; "
                       "d=json.load(sys.stdin); assert d[\"differing\"]==1 and len(d[\"differences\"])==2'",
                       dir, th_cli()), 0);
}

Test(diff, different_seeds)
{
    craft(TCP5, "a.pcap");
    craft("tcp --src 10.0.0.1 --dst 10.0.0.2 --dport 80 -c 5 --start 1700000000 --gap 1ms --seed 2", "b.pcap");
    char *out, *err;
    cr_assert_eq(run_diff(&out, &err, "--max 100 a.pcap b.pcap"), 1);
    for (const char *f = "ip.id\0ip.csum\0tcp.sport\0tcp.seq\0tcp.csum\0"; *f; f += strlen(f) + 1) {
        char want[64];
        snprintf(want, sizeof want, "packet 5: %s: ", f);
        cr_assert(strstr(out, want), "no %s in\n%s", want, out);
    }
    cr_assert_eq(lines(out), 26, "%s", out);
    cr_assert(strstr(out, "\n5 of 5 packets differ\n"), "%s", out);
    free(out);
    free(err);
    expect(0, "identical: 5 packets\n", "--ignore ip.id,ip.csum,tcp.sport,tcp.seq,tcp.csum a.pcap b.pcap");
    expect(1, NULL, "--ignore ip.id,ip.csum,tcp.sport,tcp.seq a.pcap b.pcap");
    /* --max: the first N differing packets, the count of all */
    expect(1, "5 of 5 packets differ\n", "--max 0 a.pcap b.pcap");
    cr_assert_eq(run_diff(&out, &err, "--max 2 --ignore ip,tcp.seq,tcp.csum a.pcap b.pcap"), 1);
    cr_assert_str_eq(out, "packet 1: tcp.sport: 14529 != 44750\npacket 2: tcp.sport: 14530 != 44751\n5 of 5 packets differ\n");
    free(out);
    free(err);
}

/* tshark decides which fields differ; diff must name the same (packet,
 * field) pairs for the fields both know. */
Test(diff, agrees_with_tshark_on_which_fields_differ)
{
    craft("tcp --src 10.0.0.1 --dst 10.0.0.2 --dport 80 -c 20 --start 1700000000 --seed 1", "a.pcap");
    craft("tcp --src 10.0.0.1 --dst 10.0.0.2 --dport 80 -c 20 --start 1700000000 --seed 7 "
          "--set ip.ttl=9@4 --set tcp.win=7@11 --set tcp.flags=18@15",
          "b.pcap");
    static const char *const map[][2] = {
        { "ip.id", "ip.id" }, { "ip.ttl", "ip.ttl" }, { "ip.checksum", "ip.csum" }, { "tcp.srcport", "tcp.sport" },
        { "tcp.dstport", "tcp.dport" }, { "tcp.seq_raw", "tcp.seq" }, { "tcp.window_size_value", "tcp.win" },
        { "tcp.flags", "tcp.flags" }, { "tcp.checksum", "tcp.csum" },
    };
    const size_t nmap = sizeof map / sizeof map[0];
    char fields[512] = "";
    for (size_t i = 0; i < nmap; i++) snprintf(fields + strlen(fields), sizeof fields - strlen(fields), " -e %s", map[i][0]);
    for (const char *f = "a\0b\0"; *f; f += 2)
        cr_assert_eq(th_sh("cd '%s' && tshark -n -r %s.pcap -T fields -E separator=/t%s > %s.ts 2>/dev/null", dir, f,
                           fields, f), 0);
    /* the pairs tshark sees differ, as diff would print them */
    char want[8192] = "", p[128];
    snprintf(p, sizeof p, "%s/a.ts", dir);
    char *ta = th_slurp_text(p);
    snprintf(p, sizeof p, "%s/b.ts", dir);
    char *tb = th_slurp_text(p);
    cr_assert(ta && tb);
    char *sa, *sb;
    char *la = strtok_r(ta, "\n", &sa), *lb = strtok_r(tb, "\n", &sb);
    int pairs = 0;
    for (int n = 1; la && lb; n++, la = strtok_r(NULL, "\n", &sa), lb = strtok_r(NULL, "\n", &sb)) {
        char *ca, *cb, *fa = strtok_r(la, "\t", &ca), *fb = strtok_r(lb, "\t", &cb);
        for (size_t i = 0; i < nmap && fa && fb; i++, fa = strtok_r(NULL, "\t", &ca), fb = strtok_r(NULL, "\t", &cb))
            if (strcmp(fa, fb)) {
                snprintf(want + strlen(want), sizeof want - strlen(want), "%d %s\n", n, map[i][1]);
                pairs++;
            }
    }
    cr_assert_gt(pairs, 60, "tshark saw only %d differing fields", pairs);
    /* ours, reduced to the same names */
    cr_assert_eq(th_sh("cd '%s' && '%s' diff --max 1000 --format jsonl a.pcap b.pcap > d.jsonl", dir, th_cli()), 1);
    char filter[1024] = "";
    for (size_t i = 0; i < nmap; i++)
        snprintf(filter + strlen(filter), sizeof filter - strlen(filter), "%s\"%s\"", i ? "," : "", map[i][1]);
    cr_assert_eq(th_sh("cd '%s' && python3 -c 'import json,sys\nfor l in open(\"d.jsonl\"):\n d=json.loads(l)\n"
                       " if d.get(\"field\") in (%s): print(d[\"packet\"], d[\"field\"])' > ours.txt", dir, filter), 0);
    snprintf(p, sizeof p, "%s/ours.txt", dir);
    char *ours = th_slurp_text(p);
    cr_assert_str_eq(ours, want, "diff and tshark disagree:\n--- diff\n%s--- tshark\n%s", ours, want);
    cr_log_info("diff and tshark agree on %d differing fields of 20 packets", pairs);
    free(ours);
    free(ta);
    free(tb);
}

Test(diff, packet_counts_and_layer_stacks)
{
    craft(TCP5, "a.pcap");
    craft("tcp --src 10.0.0.1 --dst 10.0.0.2 --dport 80 -c 3 --start 1700000000 --gap 1ms --seed 1", "three.pcap");
    expect(1, "packet 4: only in a.pcap (three.pcap has 3 packets)\npacket 5: only in a.pcap (three.pcap has 3 packets)\n"
              "2 of 5 packets differ\n", "a.pcap three.pcap");
    expect(1, "packet 4: only in a.pcap (three.pcap has 3 packets)\n2 of 5 packets differ\n", "--max 1 three.pcap a.pcap");
    char *out, *err;
    cr_assert_eq(run_diff(&out, &err, "--format json three.pcap a.pcap"), 1);
    cr_assert(strstr(out, "{\"packet\":4,\"field\":\"packet\",\"a\":null,\"b\":\"present\"}"), "%s", out);
    cr_assert(strstr(out, "\"packets_a\":3,\"packets_b\":5,\"packets\":5,\"differing\":2"), "%s", out);
    free(out);
    free(err);
    craft("udp --src 10.0.0.1 --dst 10.0.0.2 --dport 80 -c 5 --start 1700000000 --gap 1ms --seed 1", "u.pcap");
    cr_assert_eq(run_diff(&out, &err, "--max 1 a.pcap u.pcap"), 1);
    cr_assert(strstr(out, "packet 1: layers: eth/ip/tcp != eth/ip/udp\n"), "%s", out);
    cr_assert(strstr(out, "packet 1: ip.proto: 6 != 17\n"), "%s", out);
    cr_assert(strstr(out, "packet 1: caplen: 54 != 42\n"), "%s", out);
    free(out);
    free(err);
    /* an empty capture against five packets */
    char p[128];
    snprintf(p, sizeof p, "%s/none.pcap", dir);
    struct pc_err e = { 0 };
    struct pc_writer *w = pc_writer_open(p, &(struct pc_writer_opts){ .linktype = 1 }, &e);
    cr_assert(w, "%s", e.msg);
    cr_assert_eq(pc_writer_close(w, &e), 0, "%s", e.msg);
    expect(1, NULL, "none.pcap a.pcap");
    expect(0, "identical: 0 packets\n", "none.pcap none.pcap");
}

Test(diff, tunnel_layers_are_indexed)
{
    const char *base = "udp --src 10.0.0.1 --dst 10.0.0.2 -c 3 --start 1 --seed 1 --outer-src 192.168.0.1 "
                       "--outer-dst 192.168.0.2";
    char cmd[512];
    snprintf(cmd, sizeof cmd, "%s --tunnel vxlan:42", base);
    craft(cmd, "v1.pcap");
    snprintf(cmd, sizeof cmd, "%s --tunnel vxlan:43 --set ip.ttl=9", base);
    craft(cmd, "v2.pcap");
    char *out, *err;
    cr_assert_eq(run_diff(&out, &err, "--max 1 v1.pcap v2.pcap"), 1);
    cr_assert(strstr(out, "packet 1: vxlan.vni: 42 != 43\n"), "%s", out);
    /* two IPv4 headers: ip[0] the outer one, ip[1] the inner */
    cr_assert(strstr(out, ".ttl: 64 != 9\n"), "%s", out);
    cr_assert(strstr(out, "packet 1: ip[") && !strstr(out, "packet 1: ip.ttl"), "%s", out);
    cr_assert(strstr(out, "packet 1: udp[0].csum: "), "%s", out);
    free(out);
    free(err);
    expect(0, "identical: 3 packets\n", "--ignore vxlan,ip.ttl,ip.csum,udp[0].csum v1.pcap v2.pcap");
    expect(0, NULL, "--ignore vxlan.vni,ip.ttl,ip.csum,udp[-2].csum v1.pcap v2.pcap");
    expect(1, NULL, "--ignore vxlan,ip.ttl,ip.csum,udp[1].csum v1.pcap v2.pcap");
}

Test(diff, timestamps)
{
    craft(TCP5, "a.pcap");
    craft("tcp --src 10.0.0.1 --dst 10.0.0.2 --dport 80 -c 5 --start 1700000000.5 --gap 1ms --seed 1", "b.pcap");
    expect(1, "packet 1: ts: 1700000000.000000000 != 1700000000.500000000\n5 of 5 packets differ\n", "--max 1 a.pcap b.pcap");
    expect(0, "identical: 5 packets\n", "--ignore ts a.pcap b.pcap");
}

/* A pcap of packets cut by the snaplen (caplen < len): compared, never a crash. */
static void write_cut(const char *name, uint32_t caplen)
{
    uint8_t frame[64];
    for (size_t i = 0; i < sizeof frame; i++) frame[i] = (uint8_t)i;
    static const uint8_t head[18] = { 0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88,
                                      0x99, 0xaa, 0xbb, 0x08, 0x00, 0x45, 0x00, 0x00, 0x32 };
    memcpy(frame, head, sizeof head);
    char p[128];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    struct pc_err e = { 0 };
    struct pc_writer *w = pc_writer_open(p, &(struct pc_writer_opts){ .linktype = 1 }, &e);
    cr_assert(w, "%s", e.msg);
    for (int k = 0; k < 3; k++) cr_assert_eq(pc_writer_write(w, 1000000000, frame, caplen, sizeof frame), 0);
    cr_assert_eq(pc_writer_close(w, &e), 0, "%s", e.msg);
}

Test(diff, damaged_files)
{
    craft(TCP5, "a.pcap");
    /* the file ends inside packet 2: trouble, naming the file and the packet */
    cr_assert_eq(th_sh("cd '%s' && head -c 120 a.pcap > cut.pcap && echo garbage > g.pcap", dir), 0);
    char *out, *err;
    cr_assert_eq(run_diff(&out, &err, "a.pcap cut.pcap"), 2);
    cr_assert(strstr(err, "pktcraft: diff: cut.pcap: packet 2"), "%s", err);
    free(out);
    free(err);
    cr_assert_eq(run_diff(&out, &err, "--format json cut.pcap a.pcap"), 2);
    cr_assert(strstr(out, "\"error\":\"cut.pcap: packet 2"), "%s", out);
    cr_assert_eq(th_sh("cd '%s' && python3 -c 'import json; json.load(open(\"out.txt\"))'", dir), 0, "%s", out);
    free(out);
    free(err);
    cr_assert_eq(run_diff(&out, &err, "a.pcap g.pcap"), 2);
    cr_assert(strstr(err, "g.pcap: not a pcap file"), "%s", err);
    free(out);
    free(err);
    cr_assert_eq(run_diff(&out, &err, "missing.pcap a.pcap"), 2);
    cr_assert(strstr(err, "missing.pcap: cannot open"), "%s", err);
    free(out);
    free(err);
    /* packets cut by the snaplen: fields captured in one file and not in
     * the other are absent, never read */
    write_cut("c10.pcap", 10);
    write_cut("c18.pcap", 18);
    write_cut("c30.pcap", 30);
    write_cut("c64.pcap", 64);
    expect(0, "identical: 3 packets\n", "c10.pcap c10.pcap");
    cr_assert_eq(run_diff(&out, &err, "--max 1 c10.pcap c18.pcap"), 1);
    cr_assert(strstr(out, "packet 1: caplen: 10 != 18\n"), "%s", out);
    cr_assert(strstr(out, "packet 1: layers: eth != eth/ip\n"), "%s", out);
    cr_assert(strstr(out, "packet 1: eth.src: (none) != 66:77:88:99:aa:bb\n"), "%s", out);
    free(out);
    free(err);
    cr_assert_eq(run_diff(&out, &err, "--max 1 c18.pcap c30.pcap"), 1);
    cr_assert(strstr(out, "packet 1: ip.len: ") == NULL, "%s", out);
    cr_assert(strstr(out, "packet 1: ip.id: (none) != 0x1213\n"), "%s", out);
    cr_assert(strstr(out, "packet 1: ip.ttl: (none) != 22\n"), "%s", out);
    free(out);
    free(err);
    expect(1, NULL, "c30.pcap c64.pcap");
    expect(0, NULL, "--ignore caplen,ip,payload c30.pcap c64.pcap");
}

Test(diff, usage_errors)
{
    craft(TCP5, "a.pcap");
    char *out, *err;
    cr_assert_eq(run_diff(&out, &err, "--ignore ip.tll a.pcap a.pcap"), 2);
    cr_assert(strstr(err, "--ignore: unknown name 'ip.tll' (valid: ts, caplen, len, linktype, comment, payload; a layer: eth"),
              "%s", err);
    free(out);
    free(err);
    expect(2, "", "--ignore nosuch a.pcap a.pcap");
    expect(2, "", "--ignore 'ip[x].ttl' a.pcap a.pcap");
    expect(2, "", "--ignore 'ts[0]' a.pcap a.pcap");
    expect(2, "", "--bogus a.pcap a.pcap");
    expect(2, "", "--format xml a.pcap a.pcap");
    expect(2, "", "--max -1 a.pcap a.pcap");
    expect(2, "", "a.pcap");
    expect(2, "", "a.pcap a.pcap a.pcap");
    expect(2, "", "- -");
    cr_assert_eq(run_diff(&out, &err, "--help"), 0);
    cr_assert(strstr(out, "Exit status") && strstr(out, "pktcraft diff a.pcap b.pcap"), "%s", out);
    free(out);
    free(err);
    /* the examples of --help run as written */
    cr_assert_eq(th_sh("cd '%s' && rm -f a.pcap && { echo \"pktcraft() { '%s' \\\"\\$@\\\"; }\"; '%s' diff --help | "
                       "sed -n 's/^  \\(pktcraft .*\\)/\\1/p' | sed 's/ *#.*//'; } > ex.sh && test $(wc -l < ex.sh) = 6 && "
                       "sh ex.sh > ex.out 2>&1; test $? = 0 && grep -q '^packet 3: ip.ttl: 64 != 63$' ex.out && "
                       "grep -q '^same$' ex.out && test $(grep -c '^identical: 5 packets$' ex.out) = 2",
                       dir, th_cli(), th_cli()),
                 0, "the examples of diff --help do not run as written");
}

/* Every corpus file against itself and against its pcapng copy: the
 * same.  A file the reader refuses (info refuses it too) is trouble (2).
 * One file holds timestamps past 2262, which convert cannot copy (they are
 * clamped): compared without ts. */
Test(diff, corpus_against_itself_and_its_pcapng_copy)
{
    int st = th_sh("cd '%s' && { P='%s'; T='%s'; files=0; pkts=0; refused=0; "
                   "for f in $(tail -n +2 ../shared/corpus/MANIFEST.tsv | cut -f1); do "
                   "  f=../shared/corpus/$f; [ -f \"$f\" ] || continue; "
                   "  $P diff \"$f\" \"$f\" > $T/o 2>&1; rc=$?; "
                   "  if [ $rc = 2 ] && ! $P info \"$f\" >/dev/null 2>&1; then refused=$((refused+1)); continue; fi; "
                   "  [ $rc = 0 ] || { echo \"$f against itself: exit $rc\"; cat $T/o; exit 1; }; "
                   "  $P convert \"$f\" -o $T/c.pcapng >/dev/null 2>&1 || { echo \"convert $f failed\"; exit 1; }; "
                   "  ign=; case \"$f\" in *pcapng-example.pcapng) ign='--ignore ts';; esac; "
                   "  $P diff $ign \"$f\" $T/c.pcapng > $T/o 2>&1 || { echo \"$f against its copy:\"; cat $T/o; exit 1; }; "
                   "  n=$(sed -n 's/^identical: \\([0-9]*\\) packets$/\\1/p' $T/o); "
                   "  files=$((files+1)); pkts=$((pkts+n)); "
                   "done; echo \"$files files, $pkts packets identical to themselves and to their pcapng copies, "
                   "$refused unreadable files refused (exit 2) as info refuses them\"; "
                   "test $files -ge 300 -a $pkts -ge 35000; } > '%s/corpus.log' 2>&1",
                   th_root(), th_cli(), dir, dir);
    char p[128];
    snprintf(p, sizeof p, "%s/corpus.log", dir);
    char *log = th_slurp_text(p);
    cr_assert(log);
    cr_assert_eq(st, 0, "%s", log);
    cr_log_info("%s", log);
    free(log);
}

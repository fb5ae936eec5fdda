/* Real programs' traffic: scripts/live-traffic runs curl against
 * `python3 -m http.server`, dig against dnsmasq (UDP and TCP), openssl
 * s_client against s_server (TLS 1.2 and 1.3, SNI, ALPN) and downloads over
 * a link that drops packets, all in network namespaces it creates and
 * deletes, and captures them with tcpdump into <build>/live.  Checked here:
 *   (a) every TCP stream's two directions from `pktcraft flows --write-dir`
 *       are byte-identical to tshark's follow,tcp,raw (scripts/follow-check);
 *   (b) `pktcraft extract http|dns|tls` fields equal tshark's
 *       (scripts/extract-check);
 *   (b') the 1 MiB body curl saved equals the server's file and each
 *       reassembled server->client stream of a download contains it, the
 *       POST body is in the client->server stream;
 *   (c) nothing is left behind: no namespace, no veth, no process.
 * Skipped only where namespaces cannot be made (not root, no netns). */
#include <dirent.h>
#include <signal.h>
#include <sys/stat.h>

#include "oracle.h"

TestSuite(live, .timeout = 1800);

/* The run's output directory, filled once by run_live(). */
static char live_dir[2048];

/* The first occurrence of needle in hay, or NULL (memmem is a GNU extension
 * this C11 build does not declare). */
static const uint8_t *find_bytes(const uint8_t *hay, size_t hn, const uint8_t *needle, size_t nn)
{
    if (nn == 0 || nn > hn) return NULL;
    for (const uint8_t *p = hay; (p = memchr(p, needle[0], hn - nn + 1 - (size_t)(p - hay))) != NULL; p++)
        if (memcmp(p, needle, nn) == 0) return p;
    return NULL;
}

/* Lines of a small text file of ours, one per entry (at most max). */
static size_t read_lines(const char *path, char lines[][64], size_t max)
{
    FILE *f = fopen(path, "r");
    cr_assert_not_null(f, "live: %s missing: %s", path, strerror(errno));
    size_t n = 0;
    while (n < max && fgets(lines[n], 64, f)) {
        lines[n][strcspn(lines[n], "\n")] = 0;
        if (lines[n][0]) n++;
    }
    fclose(f);
    return n;
}

/* (c) The namespaces, the veth ends and the processes the run made are gone. */
static void check_cleanup(void)
{
    char lines[16][64], path[2200];
    snprintf(path, sizeof path, "%s/netns", live_dir);
    size_t n = read_lines(path, lines, 16);
    cr_assert_eq(n, 2, "live: %s names %zu namespaces, want 2", path, n);
    char *list = th_cmd_output("ip netns list", NULL);
    for (size_t i = 0; i < n; i++)
        cr_expect_null(strstr(list, lines[i]), "live: namespace %s is still there:\n%s", lines[i], list);
    free(list);

    snprintf(path, sizeof path, "%s/ifaces", live_dir);
    n = read_lines(path, lines, 16);
    cr_assert_eq(n, 2);
    char *links = th_cmd_output("ip -o link show", NULL);
    for (size_t i = 0; i < n; i++)
        cr_expect_null(strstr(links, lines[i]), "live: interface %s is still there", lines[i]);
    free(links);

    snprintf(path, sizeof path, "%s/pids", live_dir);
    n = read_lines(path, lines, 16);
    cr_assert_geq(n, 7, "live: only %zu processes recorded in %s", n, path);
    for (size_t i = 0; i < n; i++) {
        long pid = strtol(lines[i], NULL, 10);
        char proc[64];
        snprintf(proc, sizeof proc, "/proc/%ld/cmdline", pid);
        size_t cl = 0;
        uint8_t *cmd = pid > 0 && kill((pid_t)pid, 0) == 0 ? th_slurp(proc, &cl) : NULL;
        /* A live pid is ours only if it still runs on our files (pids get reused). */
        cr_expect(cmd == NULL || !find_bytes(cmd, cl, (const uint8_t *)live_dir, strlen(live_dir)),
                  "live: process %ld is still running", pid);
        free(cmd);
    }
    /* Anything else still running with our directory on its command line;
     * "[/]" keeps the pattern from matching the shell that runs pgrep. */
    char cmd[2400];
    snprintf(cmd, sizeof cmd, "pgrep -a -f '[/]%s' || true", live_dir + 1);
    char *left = th_cmd_output(cmd, NULL);
    cr_expect_eq(left[0], 0, "live: processes left behind:\n%s", left);
    free(left);
}

/* Runs scripts/live-traffic into <build>/live; returns 0, or 77 for a skip
 * (its reason is then in msg). */
static int run_live(char *msg, size_t cap)
{
    snprintf(live_dir, sizeof live_dir, "%.2000s/live", th_build_dir());
    cr_assert_eq(th_sh("mkdir -p '%s'", live_dir), 0);
    int rc = th_sh("'%s/scripts/live-traffic' '%s' >'%s/run.log' 2>&1", th_root(), live_dir, live_dir);
    char path[2200];
    snprintf(path, sizeof path, "%s/run.log", live_dir);
    char *log = th_slurp_text(path);
    const char *tail = log ? log + (strlen(log) > 1500 ? strlen(log) - 1500 : 0) : "(no log)";
    snprintf(msg, cap, "%s", tail);
    if (rc == 77) {
        free(log);
        return 77;
    }
    check_cleanup();
    cr_assert_eq(rc, 0, "live: scripts/live-traffic exited %d (output in %s; captures and logs in %s):\n%s", rc,
                 path, live_dir, tail);
    free(log);
    return 0;
}

/* The number of TCP streams tshark sees in file. */
static unsigned tshark_tcp_streams(const char *tshark, const char *file)
{
    char cmd[8400];
    snprintf(cmd, sizeof cmd, "'%s' -n -r '%s' -Y tcp -T fields -e tcp.stream 2>/dev/null | sort -u | grep -c . || true",
             tshark, file);
    char *out = th_cmd_output(cmd, NULL);
    unsigned n = (unsigned)strtoul(out, NULL, 10);
    free(out);
    return n;
}

/* (a) scripts/follow-check on the four captures: every stream tshark
 * follows is identical in both directions, none stops at a hole. */
static void check_follow(const char *tshark)
{
    /* The connections the script makes: curl 5 (one keep-alive with two
     * requests), dig 2 (+tcp +keepopen, and the retry of a truncated UDP
     * answer), s_client 6, curl over the lossy link 3 or more (retries). */
    static const char *const caps[] = { "http", "dns", "tls", "lossy" };
    static const unsigned conns[] = { 5, 2, 6, 3 };
    char files[4][2200];
    unsigned want = 0;
    for (size_t i = 0; i < 4; i++) {
        snprintf(files[i], sizeof files[i], "%s/%s.pcap", live_dir, caps[i]);
        unsigned n = tshark_tcp_streams(tshark, files[i]);
        if (i == 3) cr_assert_geq(n, conns[i], "live: tshark sees %u TCP streams in %s, want %u or more", n,
                                  files[i], conns[i]);
        else cr_assert_eq(n, conns[i], "live: tshark sees %u TCP streams in %s, want %u", n, files[i], conns[i]);
        want += n;
    }
    char cmd[12000];
    snprintf(cmd, sizeof cmd,
             "python3 '%s/scripts/follow-check' --pktcraft '%s' --jobs 1 --min-streams %u --min-bytes 4000000 "
             "'%s' '%s' '%s' '%s' 2>&1",
             th_root(), th_cli(), want, files[0], files[1], files[2], files[3]);
    int st;
    char *out = th_cmd_output(cmd, &st);
    const char *sum = strstr(out, "follow: ");
    unsigned nfiles = 0, bad = 0, damaged = 0, same = 0, gapped = 0, stops = 0, split = 0, inner = 0, diff = 0,
             only = 0;
    unsigned long long bytes = 0;
    cr_assert_not_null(sum, "live: follow-check printed no summary:\n%s", out);
    int got = sscanf(sum,
                     "follow: %u files (%u tshark cannot open, %u read by both up to damage), %u streams identical "
                     "(%llu bytes; %u of them with gaps, the same as tshark's), %u where tshark stops at a hole, "
                     "%u split by the idle timeout, %u where tshark follows an IP packet inside the payload, "
                     "%u different, %u tshark-only",
                     &nfiles, &bad, &damaged, &same, &bytes, &gapped, &stops, &split, &inner, &diff, &only);
    cr_assert_eq(got, 11, "live: cannot read follow-check's summary: %s", sum);
    cr_assert_eq(bad + damaged + split + inner, 0, "live: our own captures must all be followed whole:\n%s", out);
    cr_log_info("live: %.*s", (int)strcspn(sum, "\n"), sum);
    fprintf(stderr, "live (a): %u TCP streams, %llu bytes identical to tshark's follow,tcp,raw\n", same, bytes);
    cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0, "live: follow-check failed:\n%s", out);
    cr_assert_eq(diff + stops + only, 0, "live: streams not identical:\n%s", out);
    cr_assert_eq(same, want, "live: %u streams identical, tshark sees %u:\n%s", same, want, out);
    free(out);
}

/* The reassembled streams of file, written by flows --write-dir into dir. */
static void write_streams(const char *file, const char *dir)
{
    cr_assert_eq(th_sh("rm -rf '%s' && mkdir -p '%s'", dir, dir), 0);
    cr_assert_eq(th_sh("'%s' flows --format jsonl --write-dir '%s' '%s' >/dev/null", th_cli(), dir, file), 0,
                 "live: pktcraft flows --write-dir failed on %s", file);
}

/* How many files named *_<dir>.bin under d contain needle. */
static unsigned streams_containing(const char *d, const char *dir, const uint8_t *needle, size_t nn)
{
    DIR *dh = opendir(d);
    cr_assert_not_null(dh, "live: opendir %s", d);
    char suffix[16];
    snprintf(suffix, sizeof suffix, "_%s.bin", dir);
    unsigned hits = 0;
    for (struct dirent *e; (e = readdir(dh)) != NULL;) {
        size_t l = strlen(e->d_name), sl = strlen(suffix);
        if (l < sl || strcmp(e->d_name + l - sl, suffix) != 0) continue;
        char path[4400];
        snprintf(path, sizeof path, "%s/%s", d, e->d_name);
        size_t n;
        uint8_t *b = th_slurp(path, &n);
        cr_assert_not_null(b);
        hits += find_bytes(b, n, needle, nn) != NULL;
        free(b);
    }
    closedir(dh);
    return hits;
}

/* One file of the run, whole; fails the test when missing. */
static uint8_t *live_file(const char *rel, size_t *n)
{
    char path[2200];
    snprintf(path, sizeof path, "%s/%s", live_dir, rel);
    uint8_t *b = th_slurp(path, n);
    cr_assert_not_null(b, "live: %s missing", path);
    return b;
}

/* (b') What the programs themselves saw, found in our reassembly. */
static void check_bodies(void)
{
    size_t bn, cn, pn, in;
    uint8_t *big = live_file("www/big.bin", &bn);
    uint8_t *got = live_file("client/big.bin", &cn);
    cr_assert_eq(bn, (size_t)1 << 20);
    cr_assert(cn == bn && memcmp(big, got, bn) == 0, "live: curl's big.bin differs from the server's");
    free(got);
    for (int i = 1; i <= 3; i++) {
        char rel[64];
        snprintf(rel, sizeof rel, "client/lossy-%d.bin", i);
        got = live_file(rel, &cn);
        cr_assert(cn == bn && memcmp(big, got, bn) == 0, "live: %s differs from the server's big.bin", rel);
        free(got);
    }
    uint8_t *post = live_file("client/post-body.txt", &pn);
    uint8_t *index = live_file("www/index.html", &in);

    char dir[2200], file[2200];
    snprintf(dir, sizeof dir, "%s/streams-http", live_dir);
    snprintf(file, sizeof file, "%s/http.pcap", live_dir);
    write_streams(file, dir);
    unsigned big_http = streams_containing(dir, "s2c", big, bn);
    unsigned idx_http = streams_containing(dir, "s2c", index, in);
    unsigned post_http = streams_containing(dir, "c2s", post, pn);
    cr_expect_eq(big_http, 1, "live: %u server->client streams of http.pcap hold big.bin, want 1", big_http);
    cr_expect_eq(idx_http, 2, "live: %u server->client streams of http.pcap hold index.html, want 2 (IPv4, IPv6)",
                 idx_http);
    cr_expect_eq(post_http, 1, "live: %u client->server streams of http.pcap hold the POST body, want 1", post_http);

    snprintf(dir, sizeof dir, "%s/streams-lossy", live_dir);
    snprintf(file, sizeof file, "%s/lossy.pcap", live_dir);
    write_streams(file, dir);
    unsigned big_lossy = streams_containing(dir, "s2c", big, bn);
    cr_expect_geq(big_lossy, 3, "live: %u server->client streams of lossy.pcap hold big.bin, want 3", big_lossy);
    fprintf(stderr, "live (b'): curl's bodies equal the server's files; big.bin (%zu bytes) found in %u+%u "
            "reassembled streams, index.html in %u, the POST body in %u\n", bn, big_http, big_lossy, idx_http,
            post_http);
    free(big);
    free(post);
    free(index);
}

/* The retransmissions tshark sees in the lossy capture: the link must have
 * dropped something, or that capture tests nothing. */
static void check_lossy(const char *tshark)
{
    char cmd[8400];
    snprintf(cmd, sizeof cmd,
             "'%s' -n -r '%s/lossy.pcap' -Y 'tcp.analysis.retransmission || tcp.analysis.fast_retransmission || "
             "tcp.analysis.out_of_order' 2>/dev/null | grep -c . || true",
             tshark, live_dir);
    char *out = th_cmd_output(cmd, NULL);
    unsigned n = (unsigned)strtoul(out, NULL, 10);
    free(out);
    cr_assert_geq(n, 3, "live: only %u retransmitted or out-of-order segments in lossy.pcap", n);
    fprintf(stderr, "live: lossy.pcap has %u retransmitted or out-of-order segments\n", n);
}

/* (b) extract's fields against tshark's, once `pktcraft extract` exists. */
static void check_extract(void)
{
    char cmd[12000];
    snprintf(cmd, sizeof cmd,
             "python3 '%s/scripts/extract-check' --pktcraft '%s' --min-fields 250 '%s/http.pcap' '%s/dns.pcap' "
             "'%s/tls.pcap' '%s/lossy.pcap' 2>&1",
             th_root(), th_cli(), live_dir, live_dir, live_dir, live_dir);
    int st;
    char *out = th_cmd_output(cmd, &st);
    const char *sum = strstr(out, "extract: ");
    cr_assert_not_null(sum, "live: extract-check printed no summary:\n%.3000s", out);
    fprintf(stderr, "live (b): %.*s\n", (int)strcspn(sum, "\n"), sum);
    cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0, "live: extract-check failed:\n%.6000s", out);
    free(out);
}

Test(live, real_programs)
{
    const char *tshark = th_tshark_require();
    if (geteuid() != 0) {
        fprintf(stderr, "live: SKIPPED: network namespaces need root (uid %u)\n", (unsigned)geteuid());
        cr_skip_test("live: network namespaces need root");
    }
    char msg[1600];
    if (run_live(msg, sizeof msg) == 77) {
        fprintf(stderr, "live: SKIPPED: %s\n", msg);
        cr_skip_test("live: %s", msg);
    }
    check_follow(tshark);
    check_lossy(tshark);
    check_bodies();
    check_extract();
}

/* pktcraft run: scenario scripts.  Every error script of tests/run/ gives
 * its exact message (file, line, column) and exit code and leaves no
 * capture; the script of every statement gives the plan stored beside it,
 * and each command line of that plan, run alone, makes the same packets as
 * the run; the shipped examples are judged by tshark. */
#include <criterion/criterion.h>
#include <dirent.h>
#include <pcap/pcap.h>
#include <stdlib.h>
#include <string.h>

#include "helpers.h"
#include "oracle.h"

static char dir[64];
static void setup(void) { th_tmpdir(dir); }
static void teardown(void) { th_rmdir(dir); }

TestSuite(run, .init = setup, .fini = teardown, .timeout = 1800);

/* "# expect: CODE MESSAGE" on the first line; a MESSAGE starting with ':'
 * follows the script's path (":4:15: ..." means "tests/run/x.pcs:4:15: ..."). */
static void check_error_script(const char *name)
{
    char path[512], log[128], want[1024];
    snprintf(path, sizeof path, "%s/tests/run/%s", th_root(), name);
    char *text = th_slurp_text(path);
    cr_assert(text);
    int code = 0, off = 0;
    cr_assert_eq(sscanf(text, "# expect: %d %n", &code, &off), 1, "%s: no '# expect:' line", name);
    const char *msg = text + off;
    size_t ml = strcspn(msg, "\n");
    if (*msg == ':') snprintf(want, sizeof want, "tests/run/%s%.*s", name, (int)ml, msg);
    else snprintf(want, sizeof want, "%.*s", (int)ml, msg);
    snprintf(log, sizeof log, "%s/err.log", dir);
    int st = th_sh("cd '%s' && '%s' run 'tests/run/%s' -o '%s/out.pcap' 2> '%s'", th_root(), th_cli(), name, dir, log);
    char *err = th_slurp_text(log);
    cr_assert(err);
    cr_expect_eq(st, code, "%s: exit %d, expected %d (%s)", name, st, code, err);
    cr_expect(strstr(err, want), "%s:\n  got:  %s  want: %s", name, err, want);
    cr_expect(!strncmp(err, "pktcraft: run: ", 15), "%s: message does not start with 'pktcraft: run: ': %s", name, err);
    cr_expect_neq(th_sh("test -e '%s/out.pcap'", dir), 0, "%s left a capture behind", name);
    free(err);
    free(text);
}

Test(run, error_scripts)
{
    char path[256];
    snprintf(path, sizeof path, "%s/tests/run", th_root());
    DIR *d = opendir(path);
    cr_assert(d, "%s", path);
    int n = 0;
    for (struct dirent *e; (e = readdir(d));) {
        size_t l = strlen(e->d_name);
        if (strncmp(e->d_name, "err-", 4) || l < 5 || strcmp(e->d_name + l - 4, ".pcs")) continue;
        check_error_script(e->d_name);
        n++;
    }
    closedir(d);
    cr_assert_geq(n, 30, "only %d error scripts", n);
}

/* The plan of the script of every statement, as stored. */
Test(run, plan_of_every_statement)
{
    cr_assert_eq(th_sh("cd '%s' && '%s' run --explain tests/run/all-statements.pcs > '%s/plan.txt'", th_root(), th_cli(),
                       dir), 0);
    cr_assert_eq(th_sh("cd '%s' && diff -u tests/run/all-statements.explain '%s/plan.txt' >&2", th_root(), dir), 0,
                 "the plan differs from tests/run/all-statements.explain (diff above)");
}

/* ---- each statement alone makes the run's packets ---- */

struct pkts {
    char **line; /* "ts hexbytes", sorted */
    size_t n, cap;
};

static void read_pkts(const char *path, struct pkts *p)
{
    char errbuf[PCAP_ERRBUF_SIZE];
    pcap_t *pc = pcap_open_offline_with_tstamp_precision(path, PCAP_TSTAMP_PRECISION_NANO, errbuf);
    cr_assert(pc, "%s: %s", path, errbuf);
    struct pcap_pkthdr *h;
    const u_char *d;
    while (pcap_next_ex(pc, &h, &d) == 1) {
        char *s = malloc(64 + 2 * (size_t)h->caplen);
        cr_assert(s);
        int k = snprintf(s, 64, "%lld.%09ld %u ", (long long)h->ts.tv_sec, (long)h->ts.tv_usec, h->len);
        th_hex(d, h->caplen, s + k);
        if (p->n == p->cap) {
            p->cap = p->cap ? 2 * p->cap : 256;
            p->line = realloc(p->line, p->cap * sizeof *p->line);
            cr_assert(p->line);
        }
        p->line[p->n++] = s;
    }
    pcap_close(pc);
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static void free_pkts(struct pkts *p)
{
    for (size_t i = 0; i < p->n; i++) free(p->line[i]);
    free(p->line);
}

Test(run, statements_alone_make_the_same_packets)
{
    cr_assert_eq(th_sh("cd '%s' && '%s' run tests/run/all-statements.pcs -F nsecpcap -o '%s/run.pcap' && "
                       "'%s' run --explain -F nsecpcap tests/run/all-statements.pcs > '%s/plan.txt'",
                       th_root(), th_cli(), dir, th_cli(), dir), 0);
    char path[128];
    snprintf(path, sizeof path, "%s/plan.txt", dir);
    char *plan = th_slurp_text(path);
    cr_assert(plan);
    struct pkts alone = { 0 }, run = { 0 };
    int nstmt = 0;
    for (char *line = strtok(plan, "\n"); line; line = strtok(NULL, "\n")) {
        char *cmd = strstr(line, "  pktcraft ");
        if (line[0] == '#' || !cmd) continue;
        cmd += 11;
        cr_assert_eq(th_sh("cd '%s' && '%s' %s -F nsecpcap -o '%s/s%d.pcap'", th_root(), th_cli(), cmd, dir, nstmt), 0,
                     "statement alone failed: %s", cmd);
        snprintf(path, sizeof path, "%s/s%d.pcap", dir, nstmt++);
        read_pkts(path, &alone);
    }
    cr_assert_geq(nstmt, 20);
    snprintf(path, sizeof path, "%s/run.pcap", dir);
    read_pkts(path, &run);
    cr_assert_eq(run.n, alone.n, "the run made %zu packets, the statements alone %zu", run.n, alone.n);
    qsort(run.line, run.n, sizeof *run.line, cmp_str);
    qsort(alone.line, alone.n, sizeof *alone.line, cmp_str);
    for (size_t i = 0; i < run.n; i++)
        cr_assert_str_eq(run.line[i], alone.line[i], "packet %zu (in time order) differs", i + 1);
    free_pkts(&alone);
    free_pkts(&run);
    free(plan);
}

/* The same script gives the same bytes; --seed and --param change them. */
Test(run, deterministic_seed_and_params)
{
    const char *s = "tests/run/all-statements.pcs";
    cr_assert_eq(th_sh("cd '%s' && '%s' run %s -o '%s/a.pcap' && '%s' run %s -o '%s/b.pcap' && "
                       "'%s' run %s --seed 2 -o '%s/c.pcap' && cat %s | '%s' run - -o '%s/d.pcap'",
                       th_root(), th_cli(), s, dir, th_cli(), s, dir, th_cli(), s, dir, s, th_cli(), dir), 0);
    cr_assert_eq(th_sh("cmp -s '%s/a.pcap' '%s/b.pcap'", dir, dir), 0, "two runs differ");
    cr_assert_eq(th_sh("cmp -s '%s/a.pcap' '%s/d.pcap'", dir, dir), 0, "the script from stdin differs");
    cr_assert_neq(th_sh("cmp -s '%s/a.pcap' '%s/c.pcap'", dir, dir), 0, "--seed 2 changed nothing");
    /* client = ${net}.1: overriding net moves every address built from it */
    cr_assert_eq(th_sh("cd '%s' && '%s' run %s --param net=172.16.5 --explain > '%s/p.txt' && grep -q 'src 172.16.5.1 ' "
                       "'%s/p.txt' && ! grep -q '10\\.9\\.0\\.' '%s/p.txt'",
                       th_root(), th_cli(), s, dir, dir, dir), 0, "--param net did not reach every address");
    cr_assert_eq(th_sh("cd '%s' && '%s' run %s --param nope=1 -o '%s/e.pcap' 2> '%s/e.log'; test $? = 2 && "
                       "grep -q 'declares no such parameter' '%s/e.log'", th_root(), th_cli(), s, dir, dir, dir), 0);
    cr_assert_eq(th_sh("cd '%s' && '%s' run %s --start 2030-01-01T00:00:00Z --explain | grep -q 'start 1893456000.000000000 '",
                       th_root(), th_cli(), s), 0, "--start does not beat the script's start");
}

/* ---- the examples, judged by tshark ---- */

enum { F_PROTO, F_MAL, F_SEV, F_MSG, F_FLAGS, F_QRY, F_URI, F_CODE, F_SNI, F_RETX, F_FRETX, F_COMMENT, NF };
static const char *const fields[NF] = {
    "_ws.col.Protocol", "_ws.malformed", "_ws.expert.severity", "_ws.expert.message", "tcp.flags.str",
    "dns.qry.name", "http.request.uri", "http.response.code", "tls.handshake.extensions_server_name",
    "tcp.analysis.retransmission", "tcp.analysis.fast_retransmission", "frame.comment",
};

struct tally {
    size_t frames, syn, synack, rstack, rst, dns, retx, fretx, comments, sni;
    char uris[256], codes[64];
};

static void add_word(char *dst, size_t cap, const char *w)
{
    size_t n = strlen(dst);
    if (*w) snprintf(dst + n, cap - n, "%s ", w);
}

static void judge(const char *script, struct tally *t)
{
    const char *tshark = th_tshark_require();
    char out[128];
    snprintf(out, sizeof out, "%s/%s.pcapng", dir, script);
    cr_assert_eq(th_sh("cd '%s' && '%s' run examples/scripts/%s.pcs -F pcapng -o '%s'", th_root(), th_cli(), script, out), 0,
                 "%s", script);
    struct th_rows rows = { 0 };
    th_tshark_fields(&rows, tshark, dir, out, NULL, TH_TS_CHECKSUMS, fields, NF);
    memset(t, 0, sizeof *t);
    for (size_t i = 0; i < rows.n; i++) {
        char *c[NF];
        th_split_cols(rows.row[i], c, NF, i + 1);
        th_expert_clean(c[F_MAL], c[F_SEV], c[F_MSG], i + 1);
        t->frames++;
        const char *f = c[F_FLAGS];
        /* tcp.flags.str is like "·······A··S·" */
        bool syn = strchr(f, 'S'), ack = strchr(f, 'A'), rst = strchr(f, 'R');
        t->syn += syn && !ack;
        t->synack += syn && ack;
        t->rstack += rst && ack;
        t->rst += rst && !ack;
        t->dns += *c[F_QRY] != 0;
        t->retx += *c[F_RETX] != 0;
        t->fretx += *c[F_FRETX] != 0;
        t->comments += *c[F_COMMENT] != 0;
        t->sni += *c[F_SNI] != 0;
        add_word(t->uris, sizeof t->uris, c[F_URI]);
        add_word(t->codes, sizeof t->codes, c[F_CODE]);
    }
    th_rows_free(&rows);
}

Test(run, example_web_page)
{
    struct tally t;
    judge("web-page", &t);
    cr_expect_eq(t.dns, 2, "DNS query and response: %zu frames", t.dns);
    cr_expect_str_eq(t.uris, "/ /style.css /app.js ");
    cr_expect_str_eq(t.codes, "200 200 200 ");
    cr_expect_eq(t.syn, 3);
    cr_expect_geq(t.comments, 3, "the statements' --comment");
}

Test(run, example_port_scan)
{
    struct tally t;
    judge("port-scan", &t);
    cr_expect_eq(t.syn, 100, "probes: %zu", t.syn);
    cr_expect_eq(t.rstack, 98, "closed ports' RST/ACK: %zu", t.rstack);
    cr_expect_eq(t.synack, 2, "open ports' SYN/ACK: %zu", t.synack);
    cr_expect_eq(t.rst, 2, "the scanner's resets: %zu", t.rst);
    cr_expect_eq(t.frames, 202, "98 closed ports x 2 + 2 open ports x 3: %zu", t.frames);
}

Test(run, example_tls_loss)
{
    struct tally t;
    judge("tls-loss", &t);
    cr_expect_eq(t.dns, 2);
    /* the lost ClientHello is captured (the capture point is the client's);
     * tshark dissects its copy only as a TCP retransmission */
    cr_expect_eq(t.sni, 2, "two connections' ClientHellos: %zu", t.sni);
    cr_expect_geq(t.retx, 2, "retransmissions: %zu", t.retx);
    cr_expect_geq(t.fretx, 1, "fast retransmissions: %zu", t.fretx);
    cr_expect_geq(t.comments, 10);
}

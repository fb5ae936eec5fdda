/* The oracles the tests check pktcraft against, shared by the test files
 * that use them: tshark (-T fields rows, the installed tshark's port and
 * heuristic tables), captures written with pktcraft's writer for it,
 * libnet 1.1 in a LIBNET_NONE context, scripts/corpus-check, and the
 * cache of tshark's answers (under the build tree, keyed by the tshark
 * version).  Every helper fails the test (never skips it) when its oracle
 * cannot run, and every comparison asserts a minimum of items compared:
 * an oracle that answers nothing must never pass a test. */
#ifndef PKTCRAFT_TEST_ORACLE_H
#define PKTCRAFT_TEST_ORACLE_H

#include <criterion/criterion.h>
#include <criterion/logging.h>

#include <libnet.h>

#include <stdarg.h>
#include <sys/wait.h>
#include <unistd.h>

#include "helpers.h"

/* ================================================================ tshark */

/* Expert severities as tshark prints _ws.expert.severity (PI_* in epan). */
#define TH_SEV_CHAT 0x00200000ul
#define TH_SEV_NOTE 0x00400000ul
#define TH_SEV_WARN 0x00600000ul
#define TH_SEV_ERROR 0x00800000ul

/* printf to buf at *k, which then counts what was wanted: *k >= cap
 * once anything did not fit (nothing more is written). */
static inline void th_catf(char *buf, size_t cap, size_t *k, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static inline void th_catf(char *buf, size_t cap, size_t *k, const char *fmt, ...)
{
    if (*k >= cap) return;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf + *k, cap - *k, fmt, ap);
    va_end(ap);
    *k += n < 0 ? cap : (size_t)n;
}

/* tshark on PATH, or NULL. */
static inline const char *th_tshark_find(void)
{
    static char path[4096];
    const char *env = getenv("PATH");
    if (!env || !*env) env = "/usr/local/bin:/usr/bin:/bin";
    for (;;) {
        const char *colon = strchr(env, ':');
        size_t n = colon ? (size_t)(colon - env) : strlen(env);
        snprintf(path, sizeof path, "%.*s/tshark", (int)n, n ? env : ".");
        if (access(path, X_OK) == 0) return path;
        if (!colon) return NULL;
        env = colon + 1;
    }
}

/* tshark on PATH; its absence is a test failure, never a skip. */
static inline const char *th_tshark_require(void)
{
    const char *p = th_tshark_find();
    if (!p)
        cr_assert_fail("tshark not found: install it with scripts/deps.sh (Debian package tshark); "
                       "the oracle never skips");
    return p;
}

/* All of a shell command's standard output (malloc'd, NUL-terminated).
 * With status, its wait status is stored there; without, anything but a
 * zero exit fails the test. */
static inline char *th_cmd_output(const char *cmd, int *status)
{
    FILE *f = popen(cmd, "r");
    cr_assert_not_null(f, "popen failed: %.300s", cmd);
    size_t cap = 1 << 16, len = 0, got;
    char *b = malloc(cap);
    cr_assert_not_null(b);
    while ((got = fread(b + len, 1, cap - len - 1, f)) > 0) {
        len += got;
        if (cap - len - 1 == 0) {
            char *nb = realloc(b, cap *= 2);
            cr_assert_not_null(nb);
            b = nb;
        }
    }
    b[len] = 0;
    int st = pclose(f);
    if (status) *status = st;
    else if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
        free(b);
        cr_assert_fail("command failed (status 0x%x): %.300s", (unsigned)st, cmd);
    }
    return b;
}

/* ======================================================= tshark's cache */

/* 64-bit FNV-1a of n bytes, continuing from h (TH_FNV0 to start). */
#define TH_FNV0 UINT64_C(0xcbf29ce484222325)
static inline uint64_t th_fnv(uint64_t h, const void *p, size_t n)
{
    const uint8_t *b = p;
    for (size_t i = 0; i < n; i++) h = (h ^ b[i]) * UINT64_C(0x100000001b3);
    return h;
}

/* The first line of `tshark --version` (the tshark on PATH); a tshark that
 * cannot say fails the test. */
static inline const char *th_tshark_version(void)
{
    static char line[512];
    if (line[0]) return line;
    th_tshark_require();
    int st;
    char *out = th_cmd_output("tshark --version 2>/dev/null", &st);
    size_t n = strcspn(out, "\n");
    int ok = WIFEXITED(st) && WEXITSTATUS(st) == 0 && n > 0 && n < sizeof line;
    if (ok) {
        memcpy(line, out, n);
        line[n] = 0;
    }
    free(out);
    cr_assert(ok, "`tshark --version` failed (status 0x%x) or printed no version line", (unsigned)st);
    return line;
}

/* Where cached oracle answers live: $PKTCRAFT_CACHE_DIR, else
 * <build tree>/cache (see th_build_dir), so `make clean` drops them. */
static inline const char *th_cache_root(void)
{
    static char p[3072];
    const char *e = getenv("PKTCRAFT_CACHE_DIR");
    if (e && *e) snprintf(p, sizeof p, "%s", e);
    else snprintf(p, sizeof p, "%s/cache", th_build_dir());
    return p;
}

/* The cache directory for answers of this tshark to the command described
 * by what (the options and fields: a changed command is a new cache):
 * <cache root>/tshark-<hash of the version line and what>/, created, with
 * the version line in its VERSION file.  Keys inside it are the caller's
 * (e.g. a hash of the input).  An answer goes in only once it is checked
 * to be a real one: never a failed or empty run. */
static inline const char *th_tshark_cache_dir(const char *what, char *buf, size_t cap)
{
    const char *v = th_tshark_version();
    uint64_t h = th_fnv(TH_FNV0, v, strlen(v));
    h = th_fnv(h, "\n", 1);
    h = th_fnv(h, what, strlen(what));
    snprintf(buf, cap, "%s/tshark-%016llx", th_cache_root(), (unsigned long long)h);
    cr_assert_eq(th_sh("mkdir -p '%s'", buf), 0, "cannot create the cache directory %s", buf);
    char vf[4200];
    snprintf(vf, sizeof vf, "%s/VERSION", buf);
    if (access(vf, F_OK) != 0) {
        FILE *f = fopen(vf, "w");
        cr_assert_not_null(f, "cannot write %s", vf);
        fprintf(f, "%s\n%s\n", v, what);
        cr_assert_eq(fclose(f), 0);
    }
    return buf;
}

/* tshark's words for a file it cannot read (it exits 2): the file is the
 * problem, not tshark.  Any other failure of tshark is the oracle's. */
static inline int th_tshark_file_error(const char *line)
{
    return strstr(line, "appears to be damaged or corrupt") || strstr(line, "doesn't support") ||
           strstr(line, "isn't a capture file in a format") || strstr(line, "cut short in the middle of a packet");
}

/* Remove a tshark test's scratch directory, unless PKTCRAFT_TSHARK_KEEP
 * is set (and not 0): then it stays for a look by hand. */
static inline void th_tmpdir_release(const char *dir)
{
    if (!dir[0]) return;
    const char *keep = getenv("PKTCRAFT_TSHARK_KEEP");
    if (keep && *keep && strcmp(keep, "0")) cr_log_info("tshark: kept %s", dir);
    else th_rmdir(dir);
}

/* tshark's -T fields output, one row a frame, split in place. */
struct th_rows {
    char *text;
    char **row;
    size_t n;
};

static inline void th_rows_free(struct th_rows *r)
{
    free(r->text);
    free(r->row);
    memset(r, 0, sizeof *r);
}

/* Release what a tshark test kept for its suite's fini: the scratch
 * directory (th_tmpdir_release) and the rows. */
static inline void th_tshark_cleanup(char *dir, struct th_rows *rows)
{
    th_tmpdir_release(dir);
    dir[0] = 0;
    th_rows_free(rows);
}

/* Ports the installed tshark hands to a dissector by number: random
 * payloads there get dissected as that protocol, which says nothing about
 * pktcraft, so generated ports steer clear of them. */
struct th_ports { uint8_t tcp[65536 / 8], udp[65536 / 8]; };

static inline int th_port_taken(const uint8_t *set, unsigned p) { return set[p / 8] >> (p % 8) & 1; }

static inline void th_tshark_ports(struct th_ports *tp, const char *tshark, const char *dir)
{
    char cmd[4400];
    snprintf(cmd, sizeof cmd, "WIRESHARK_CONFIG_DIR='%s' '%s' -G decodes 2>/dev/null", dir, tshark);
    int st;
    char *out = th_cmd_output(cmd, &st);
    memset(tp, 0, sizeof *tp);
    size_t nt = 0, nu = 0;
    for (char *line = strtok(out, "\n"); line; line = strtok(NULL, "\n")) {
        int tcp = !strncmp(line, "tcp.port\t", 9);
        if (!tcp && strncmp(line, "udp.port\t", 9)) continue;
        unsigned long p = strtoul(line + 9, NULL, 10);
        if (p >= 65536) continue;
        (tcp ? tp->tcp : tp->udp)[p / 8] |= (uint8_t)(1u << (p % 8));
        *(tcp ? &nt : &nu) += 1;
    }
    free(out);
    cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0, "tshark -G decodes failed");
    cr_assert(nt > 0 && nu > 0, "tshark -G decodes listed no tcp.port/udp.port entries");
}

/* p, or while it is taken in a (or b, when given) another draw from
 * 40000 + [0, span). */
static inline uint16_t th_port_avoid(struct pc_rng *r, const uint8_t *a, const uint8_t *b, uint32_t span, uint16_t p)
{
    while (th_port_taken(a, p) || (b && th_port_taken(b, p))) p = (uint16_t)(40000 + pc_rng_below(r, span));
    return p;
}

/* A port drawn from 40000 + [0, span), drawn again while taken. */
static inline uint16_t th_port_pick(struct pc_rng *r, const uint8_t *a, const uint8_t *b, uint32_t span)
{
    return th_port_avoid(r, a, b, span, (uint16_t)(40000 + pc_rng_below(r, span)));
}

/* Heuristic dissectors on TCP/UDP take random payloads for their protocol
 * and call them malformed: " --disable-protocol NAME" into out for every
 * enabled one the installed tshark lists (-G lists the protocol, not the
 * heuristic's short name, so the protocol goes), except the protocols in
 * keep (NULL-terminated; may be NULL). */
static inline void th_tshark_heuristics_off(char *out, size_t cap, const char *tshark, const char *dir,
                                            const char *const *keep)
{
    char cmd[4400];
    snprintf(cmd, sizeof cmd, "WIRESHARK_CONFIG_DIR='%s' '%s' -G heuristic-decodes 2>/dev/null", dir, tshark);
    int st;
    char *txt = th_cmd_output(cmd, &st);
    size_t len = 0, nh = 0;
    out[0] = 0;
    for (char *line = strtok(txt, "\n"); line; line = strtok(NULL, "\n")) {
        /* table, short name, enabled (T/F) */
        char *t1 = strchr(line, '\t'), *t2 = t1 ? strchr(t1 + 1, '\t') : NULL;
        if (!t2 || strcmp(t2 + 1, "T") != 0) continue;
        *t1 = *t2 = 0;
        if (strcmp(line, "tcp") && strcmp(line, "udp")) continue;
        const char *name = t1 + 1;
        int needed = 0;
        for (size_t i = 0; keep && keep[i]; i++) needed |= !strcmp(name, keep[i]);
        if (needed) continue;
        cr_assert_eq(strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-"), strlen(name),
                     "odd heuristic dissector name \"%s\"", name);
        int k = snprintf(out + len, cap - len, " --disable-protocol %s", name);
        cr_assert_lt((size_t)k, cap - len, "too many heuristic dissectors");
        len += (size_t)k;
        nh++;
    }
    free(txt);
    cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0, "tshark -G heuristic-decodes failed");
    cr_assert_gt(nh, 0, "tshark -G heuristic-decodes listed no enabled tcp/udp heuristics");
}

/* The usual start of a tshark test: tshark found (or a failure), a fresh
 * scratch directory in dir, and, when asked for, the installed tshark's
 * port tables and heuristic switch-off (see th_tshark_heuristics_off for
 * keep).  Returns tshark's path. */
static inline const char *th_tshark_setup(char dir[64], struct th_ports *ports, char *heur, size_t heurcap,
                                          const char *const *keep)
{
    const char *tshark = th_tshark_require();
    th_tmpdir(dir);
    if (ports) th_tshark_ports(ports, tshark, dir);
    if (heur) th_tshark_heuristics_off(heur, heurcap, tshark, dir, keep);
    return tshark;
}

/* Options most runs share: verify the IPv4, TCP and UDP checksums; no TCP
 * sequence analysis (random segments are no stream). */
#define TH_TS_CHECKSUMS "-o ip.check_checksum:TRUE -o tcp.check_checksum:TRUE -o udp.check_checksum:TRUE"
#define TH_TS_NO_SEQ " -o tcp.analyze_sequence_numbers:FALSE"

/* Dissect pcap with tshark (-n, then heur and opts, either may be NULL)
 * printing fields tab-separated; occurrence 'a' joins a field's repeats
 * with '|', 'f' keeps the first.  dir is the scratch directory: the
 * configuration directory (so that no user profile applies) and where
 * tshark.err goes; NULL runs with the default configuration and discards
 * standard error.  A failing tshark fails the test.  The rows replace
 * whatever out held. */
static inline void th_tshark_fields_occ(struct th_rows *out, const char *tshark, const char *dir, const char *pcap,
                                        const char *heur, const char *opts, char occurrence,
                                        const char *const *fields, size_t nf)
{
    static char cmd[65536];
    size_t k = 0;
    if (dir) th_catf(cmd, sizeof cmd, &k, "WIRESHARK_CONFIG_DIR='%s' ", dir);
    th_catf(cmd, sizeof cmd, &k,
            "'%s' -n -r '%s'%s %s -T fields -E header=n -E quote=n -E separator=/t -E occurrence=%c%s", tshark, pcap,
            heur ? heur : "", opts ? opts : "", occurrence, occurrence == 'a' ? " -E 'aggregator=|'" : "");
    for (size_t i = 0; i < nf; i++) th_catf(cmd, sizeof cmd, &k, " -e %s", fields[i]);
    if (dir) th_catf(cmd, sizeof cmd, &k, " 2>'%s/tshark.err'", dir);
    else th_catf(cmd, sizeof cmd, &k, " 2>/dev/null");
    cr_assert_lt(k, sizeof cmd, "tshark command too long");

    th_rows_free(out);
    int st;
    out->text = th_cmd_output(cmd, &st);
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
        char msg[1024] = "";
        if (dir) {
            char ep[128];
            snprintf(ep, sizeof ep, "%s/tshark.err", dir);
            FILE *f = fopen(ep, "r");
            if (f) {
                size_t n = fread(msg, 1, sizeof msg - 1, f);
                msg[n] = 0;
                fclose(f);
            }
        }
        cr_assert_fail("tshark failed (status 0x%x) on %s: %s", (unsigned)st, pcap, msg);
    }
    size_t cap = 1024;
    out->row = malloc(cap * sizeof *out->row);
    cr_assert_not_null(out->row);
    for (char *p = out->text; *p;) {
        char *nl = strchr(p, '\n');
        if (nl) *nl = 0;
        if (out->n == cap) {
            char **nr = realloc(out->row, (cap *= 2) * sizeof *out->row);
            cr_assert_not_null(nr);
            out->row = nr;
        }
        out->row[out->n++] = p;
        if (!nl) break;
        p = nl + 1;
    }
}

static inline void th_tshark_fields(struct th_rows *out, const char *tshark, const char *dir, const char *pcap,
                                    const char *heur, const char *opts, const char *const *fields, size_t nf)
{
    th_tshark_fields_occ(out, tshark, dir, pcap, heur, opts, 'a', fields, nf);
}

/* Split a row (number rowno, for messages) into exactly nf columns in place. */
static inline void th_split_cols(char *row, char **cols, size_t nf, size_t rowno)
{
    size_t n = 0;
    cols[n++] = row;
    for (char *p = row; *p; p++) {
        if (*p != '\t') continue;
        *p = 0;
        cr_assert_lt(n, nf, "tshark row %zu has more than %zu columns", rowno, nf);
        cols[n++] = p + 1;
    }
    cr_assert_eq(n, nf, "tshark row %zu has %zu columns, expected %zu", rowno, n, nf);
}

/* The worst of a '|'-joined list of expert severities (0 for none). */
static inline unsigned long th_expert_worst(const char *sev)
{
    unsigned long worst = 0;
    for (const char *p = sev; *p;) {
        unsigned long v = strtoul(p, NULL, 10);
        if (v > worst) worst = v;
        p += strcspn(p, "|");
        if (*p) p++;
    }
    return worst;
}

/* The expert items of a row one at a time: _ws.expert.severity and
 * _ws.expert.message are '|'-joined lists in step.  Each call gives the
 * next item's severity and message (ml bytes, not NUL-terminated); 0 at
 * the end.  Start with { cols[severity], cols[message] }. */
struct th_expert { const char *sev, *msg; };

static inline int th_expert_next(struct th_expert *it, unsigned long *sev, const char **msg, size_t *ml)
{
    if (!*it->sev) return 0;
    *sev = strtoul(it->sev, NULL, 10);
    *msg = it->msg;
    *ml = strcspn(it->msg, "|");
    it->sev += strcspn(it->sev, "|");
    if (*it->sev) it->sev++;
    it->msg += *ml;
    if (*it->msg) it->msg++;
    return 1;
}

/* No malformed packet and no expert error in frame row (the columns
 * _ws.malformed, _ws.expert.severity, _ws.expert.message); returns the
 * worst severity. */
static inline unsigned long th_expert_clean(const char *malformed, const char *sev, const char *msg, size_t row)
{
    cr_assert_str_empty(malformed, "frame %zu malformed: %s", row, msg);
    unsigned long worst = th_expert_worst(sev);
    cr_assert_lt(worst, TH_SEV_ERROR, "frame %zu: expert error: %s", row, msg);
    return worst;
}

/* An address appended to a '|'-joined list as tshark prints it. */
static inline void th_append_ip4(char *dst, size_t cap, const uint8_t a[4])
{
    char s[16];
    pc_fmt_ip4(a, s);
    th_append(dst, cap, "%s", s);
}
static inline void th_append_ip6(char *dst, size_t cap, const uint8_t a[16])
{
    char s[46];
    pc_fmt_ip6(a, s);
    th_append(dst, cap, "%s", s);
}
static inline void th_append_mac(char *dst, size_t cap, const uint8_t a[6])
{
    char s[18];
    pc_fmt_mac(a, s);
    th_append(dst, cap, "%s", s);
}

/* frame.protocols as tshark prints it (':' between protocols) from a
 * list built with th_append ('|' between). */
static inline void th_protos_colons(char *protos)
{
    for (char *p = protos; *p; p++)
        if (*p == '|') *p = ':';
}

/* tshark's checksum status values: Bad 0, Good 1, Unverified 2, Not
 * present 3 (a zero UDP checksum); empty where there is no checksum. */
static inline const char *th_ts_csum_status(int st)
{
    switch (st) {
    case PC_CSUM_GOOD: return "1";
    case PC_CSUM_BAD: return "0";
    case PC_CSUM_UNVERIFIED: return "2";
    case PC_CSUM_ZERO: return "3";
    default: return "";
    }
}

/* ======================================================= capture writing */

/* Frames written one by one with pktcraft's writer; n counts them. */
struct th_pcapw {
    struct pc_writer *w;
    uint64_t n;
};

/* The usual timestamps: 2023-11-14 22:13:20 UTC, then a microsecond apart. */
#define TH_PCAP_T0 (INT64_C(1700000000) * PC_NS_PER_SEC)
static inline pc_time_ns th_pcap_ts(uint64_t i) { return TH_PCAP_T0 + (pc_time_ns)i * 1000; }

static inline void th_pcapw_open(struct th_pcapw *p, const char *path, int linktype, int tsprec)
{
    struct pc_writer_opts o = { .linktype = linktype, .tsprec = tsprec };
    struct pc_err e;
    p->n = 0;
    p->w = pc_writer_open(path, &o, &e);
    cr_assert_not_null(p->w, "pc_writer_open %s: %s", path, e.msg);
}

static inline void th_pcapw_write(struct th_pcapw *p, pc_time_ns ts, const uint8_t *data, uint32_t len)
{
    int rc = pc_writer_write(p->w, ts, data, len, len);
    if (rc) {
        pc_writer_abort(p->w);
        p->w = NULL;
        cr_assert_fail("pc_writer_write record %llu: %s", (unsigned long long)p->n + 1, pc_strerror(rc));
    }
    p->n++;
}

/* The next frame at th_pcap_ts(its number). */
static inline void th_pcapw_put(struct th_pcapw *p, const uint8_t *data, uint32_t len)
{
    th_pcapw_write(p, th_pcap_ts(p->n), data, len);
}

static inline void th_pcapw_close(struct th_pcapw *p)
{
    struct pc_err e;
    int rc = pc_writer_close(p->w, &e);
    p->w = NULL;
    cr_assert_eq(rc, 0, "pc_writer_close: %s", e.msg);
}

/* ========================================================== corpus-check */

/* scripts/corpus-check over target (a directory of captures) with the CLI
 * under test and the minimums in opts (--min-files, --min-packets,
 * --min-fields, --allow-tshark-unreadable: see the script; without them it
 * only asks for one file, packet and field).  It must exit 0 (else the
 * failure is what, then its output) and print its "corpus: " summary,
 * which is logged. */
static inline void th_corpus_check(const char *target, const char *what, const char *opts)
{
    char dir[64], log[128];
    th_tmpdir(dir);
    snprintf(log, sizeof log, "%s/corpus-check.txt", dir);
    int st = th_sh("cd '%s' && /usr/bin/python3 scripts/corpus-check --pktcraft '%s' %s '%s' > '%s' 2>&1", th_root(),
                   th_cli(), opts ? opts : "", target, log);
    char *out = th_slurp_text(log);
    th_rmdir(dir);
    cr_assert(out, "corpus-check wrote no output");
    cr_assert_eq(st, 0, "%s (corpus-check exit %d):\n%s", what, st, out);
    char *sum = strstr(out, "corpus: ");
    cr_assert(sum, "%s", out);
    cr_log_info("%.*s", (int)strcspn(sum, "\n"), sum);
    free(out);
}

/* ================================================================ libnet */

/* A LIBNET_NONE context (frames are only built, never sent) kept in *slot,
 * so that the suite's fini (th_ln_close) frees it even when an assertion
 * ends the test early. */
static inline libnet_t *th_ln_open(libnet_t **slot)
{
    char eb[LIBNET_ERRBUF_SIZE] = "";
    *slot = libnet_init(LIBNET_NONE, NULL, eb);
    cr_assert_not_null(*slot, "libnet_init(LIBNET_NONE) failed (%s): the libnet oracle cannot run; this is a test "
                              "failure, not a skip (Debian package libnet1-dev)", eb);
    return *slot;
}

static inline void th_ln_close(libnet_t **slot)
{
    if (*slot) libnet_destroy(*slot);
    *slot = NULL;
}

static inline void th_ln_ok(libnet_t *l, libnet_ptag_t t, const char *fn)
{
    cr_assert_neq(t, -1, "%s failed: %s", fn, libnet_geterror(l));
}

/* Coalesce the context's pblocks into out, free libnet's copy and clear
 * the context for the next packet; returns the frame length. */
static inline size_t th_ln_take(libnet_t *l, uint8_t *out, size_t cap)
{
    uint8_t *p = NULL;
    uint32_t n = 0;
    cr_assert_eq(libnet_pblock_coalesce(l, &p, &n), 1, "libnet_pblock_coalesce failed: %s", libnet_geterror(l));
    cr_assert_not_null(p);
    if (n > cap) {
        libnet_adv_free_packet(l, p);
        cr_assert_fail("libnet frame of %u bytes exceeds %zu", n, cap);
    }
    memcpy(out, p, n);
    libnet_adv_free_packet(l, p); /* plain free() adjusted by l->aligner */
    libnet_clear_packet(l);
    return n;
}

/* Addresses as libnet wants them (network order). */
static inline uint32_t th_ln_ip4(const uint8_t a[4])
{
    uint32_t v;
    memcpy(&v, a, 4);
    return v;
}

static inline struct libnet_in6_addr th_ln_ip6(const uint8_t a[16])
{
    struct libnet_in6_addr v;
    memcpy(&v, a, 16);
    return v;
}

/* pktcraft's frame (p, pn bytes) must equal libnet's (l, ln bytes); else
 * the failure says where (the printf-style context), the first difference
 * and both frames in hex. */
static inline void th_ln_expect_same(const uint8_t *p, size_t pn, const uint8_t *l, size_t ln, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
static inline void th_ln_expect_same(const uint8_t *p, size_t pn, const uint8_t *l, size_t ln, const char *fmt, ...)
{
    if (pn == ln && memcmp(p, l, pn) == 0) return;
    char ctx[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(ctx, sizeof ctx, fmt, ap);
    va_end(ap);
    size_t k = th_first_diff(p, pn, l, ln);
    static char hp[2 * TH_HEX_MAX + 1], hl[2 * TH_HEX_MAX + 1];
    th_hex(p, pn < TH_HEX_MAX ? pn : TH_HEX_MAX, hp);
    th_hex(l, ln < TH_HEX_MAX ? ln : TH_HEX_MAX, hl);
    cr_assert_fail("%s: pktcraft (%zu bytes) and libnet (%zu bytes) differ first at byte %zu (0x%zx)\n"
                   "pktcraft %s\nlibnet   %s", ctx, pn, ln, k, k, hp, hl);
}

#endif

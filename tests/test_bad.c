/* The hostile-input catalogue (tests/bad/README.md).
 *
 * Every reading command of the sanitized CLI (PKTCRAFT) runs over every
 * file of tests/bad/files -- read, read --format jsonl, info, info --format
 * json, convert to pcapng, merge with golden/syn.pcap -- and each run is
 * checked against its row of tests/bad/EXPECT.tsv: exit status, stderr and
 * stdout substrings, never a crash or sanitizer report, valid JSON, nothing
 * left behind by a failed convert or merge, nothing lost by a successful
 * one, peak memory where the row bounds it.  Rows marked pending=TAG are
 * run but not asserted (a warning says when one passes: its mark should
 * go).  The generator must reproduce the committed files byte for byte,
 * and scripts/valgrind-bad runs the release CLI under valgrind over them. */
#define _GNU_SOURCE /* memmem */
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/types.h>
#include <time.h>

#include "helpers.h"

TestSuite(bad, .timeout = 1800);

#define MIN_FILES 70
#define JOBS 2            /* CLI runs at a time: the machine has 2 cores, shared */
#define RUN_SECONDS 60    /* per run; SIGALRM (exit 142) after that */
#define SNIP 1500         /* bytes of stderr quoted in a failure */

enum { C_READ, C_JSONL, C_INFO, C_INFOJSON, C_CONVERT, C_MERGE, NCMD };
static const char *const cmd_names[NCMD] = { "read", "read-jsonl", "info", "info-json", "convert", "merge" };

struct row {
    char *file, *err, *out;
    char *pending;  /* NULL, or the tag of a behaviour being fixed */
    int cmd, exit, line;
    long maxrss_mb; /* 0: no bound */
    bool dir;       /* the file is a directory the test makes */
};

struct input {
    char *name, *path;
    bool dir;
    int rows[NCMD]; /* row index per command, -1 none */
};

/* One CLI process: a command over one file, or info / info --format json
 * over a batch of files (info takes several; see split_batch). */
struct job {
    int cmd;
    int in;         /* the file, or -1 for a batch */
    int batch;      /* the batch, or -1 */
    pid_t pid;
    int status;     /* exit status, or 128 + signal */
    long rss_kb;
    double secs;
};

#define BATCH 25    /* files per info batch */

struct batch {
    int cmd, job, n;
    int files[BATCH];
};

/* What one command did with one file. */
struct result {
    int status;     /* -1: not run */
    long rss_kb;
    int batch;      /* the batch it ran in, -1 alone */
};

/* ------------------------------------------------------------ text helpers */

struct sbuf { char *p; size_t n, cap; };

__attribute__((format(printf, 2, 3)))
static void addf(struct sbuf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int k = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (k < 0) return;
    if (b->n + (size_t)k + 1 > b->cap) {
        b->cap = (b->n + (size_t)k + 1) * 2;
        b->p = realloc(b->p, b->cap);
        cr_assert_not_null(b->p);
    }
    va_start(ap, fmt);
    vsnprintf(b->p + b->n, (size_t)k + 1, fmt, ap);
    va_end(ap);
    b->n += (size_t)k;
}

static char *xstrdup(const char *s)
{
    char *d = strdup(s);
    cr_assert_not_null(d);
    return d;
}

static char *pathf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *pathf(const char *fmt, ...)
{
    static char buf[4][1024];
    static int k;
    char *p = buf[k++ & 3];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(p, sizeof buf[0], fmt, ap);
    va_end(ap);
    return p;
}

/* The first max bytes of a file as a string ("" when missing). */
static char *slurp_head(const char *path, size_t max)
{
    char *s = calloc(1, max + 1);
    cr_assert_not_null(s);
    FILE *f = fopen(path, "rb");
    if (f) {
        size_t n = fread(s, 1, max, f);
        s[n] = 0;
        fclose(f);
    }
    return s;
}

/* Does the file contain needle?  Streams, so any size of output works. */
static bool file_has(const char *path, const char *needle)
{
    enum { CHUNK = 1 << 20 };
    size_t n = strlen(needle), keep = 0;
    FILE *f = fopen(path, "rb");
    if (!f) return false;
    char *buf = malloc(CHUNK + n);
    cr_assert_not_null(buf);
    bool found = false;
    size_t got;
    while (!found && (got = fread(buf + keep, 1, CHUNK, f)) > 0) {
        size_t len = keep + got;
        found = memmem(buf, len, needle, n) != NULL;
        keep = n > 1 && n - 1 < len ? n - 1 : 0;
        memmove(buf, buf + len - keep, keep);
    }
    fclose(f);
    free(buf);
    return found;
}

static off_t file_size(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 ? st.st_size : -1;
}

/* Every " && "-separated part of want must be in the file: the first
 * missing part, or NULL. */
static const char *missing_part(const char *path, const char *want, char *part, size_t cap)
{
    for (const char *p = want;;) {
        const char *and = strstr(p, " && ");
        size_t n = and ? (size_t)(and - p) : strlen(p);
        snprintf(part, cap, "%.*s", (int)n, p);
        if (!file_has(path, part)) return part;
        if (!and) return NULL;
        p = and + 4;
    }
}

/* ------------------------------------------------------------ EXPECT.tsv */

struct table { struct row *r; int n, cap; };

static int cmd_index(const char *s)
{
    for (int k = 0; k < NCMD; k++)
        if (!strcmp(s, cmd_names[k])) return k;
    return -1;
}

static void parse_flags(struct row *r, char *flags, const char *where)
{
    if (!strcmp(flags, "-")) return;
    for (char *save = NULL, *t = strtok_r(flags, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
        if (!strncmp(t, "pending=", 8) && t[8]) r->pending = xstrdup(t + 8);
        else if (!strncmp(t, "maxrss=", 7) && atol(t + 7) > 0) r->maxrss_mb = atol(t + 7);
        else if (!strcmp(t, "dir")) r->dir = true;
        else cr_assert_fail("%s: unknown flag '%s' (pending=TAG, maxrss=MB, dir)", where, t);
    }
}

static void load_table(struct table *t, const char *path)
{
    char *text = th_slurp_text(path);
    cr_assert_not_null(text, "cannot read %s", path);
    int line = 0;
    for (char *save = NULL, *l = strtok_r(text, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
        line++;
        if (!*l || *l == '#') continue;
        char *f[7] = { 0 };
        int nf = 0;
        for (char *p = l; nf < 7; nf++) {
            f[nf] = p;
            char *tab = strchr(p, '\t');
            if (!tab) { nf++; break; }
            *tab = 0;
            p = tab + 1;
        }
        char where[600];
        snprintf(where, sizeof where, "%s line %d", path, line);
        cr_assert_eq(nf, 6, "%s: %d columns, want 6 (file, command, exit, stderr, stdout, flags)", where, nf);
        struct row r = { .file = xstrdup(f[0]), .cmd = cmd_index(f[1]), .line = line };
        cr_assert_geq(r.cmd, 0, "%s: unknown command '%s'", where, f[1]);
        cr_assert(!strcmp(f[2], "0") || !strcmp(f[2], "1") || !strcmp(f[2], "2"), "%s: exit '%s' is not 0, 1 or 2",
                  where, f[2]);
        r.exit = atoi(f[2]);
        cr_assert(*f[3] && *f[4], "%s: empty stderr or stdout column (use - or *)", where);
        r.err = xstrdup(f[3]);
        r.out = xstrdup(f[4]);
        parse_flags(&r, f[5], where);
        if (t->n == t->cap) {
            t->cap = t->cap ? 2 * t->cap : 512;
            t->r = realloc(t->r, (size_t)t->cap * sizeof *t->r);
            cr_assert_not_null(t->r);
        }
        t->r[t->n++] = r;
    }
    free(text);
}

static void free_table(struct table *t)
{
    for (int k = 0; k < t->n; k++) {
        free(t->r[k].file);
        free(t->r[k].err);
        free(t->r[k].out);
        free(t->r[k].pending);
    }
    free(t->r);
}

static int by_name(const void *a, const void *b)
{
    return strcmp(((const struct input *)a)->name, ((const struct input *)b)->name);
}

/* The committed files plus the directories rows ask for; every one must
 * have exactly one row per command, and every row a file. */
static struct input *load_inputs(const struct table *t, const char *files, const char *tmp, int *n)
{
    int cap = 256, k = 0;
    struct input *in = calloc((size_t)cap, sizeof *in);
    cr_assert_not_null(in);
    DIR *d = opendir(files);
    cr_assert_not_null(d, "cannot list %s", files);
    for (struct dirent *e; (e = readdir(d));) {
        if (e->d_name[0] == '.') continue;
        if (k == cap) {
            in = realloc(in, (size_t)(cap *= 2) * sizeof *in);
            cr_assert_not_null(in);
        }
        in[k++] = (struct input){ .name = xstrdup(e->d_name), .path = xstrdup(pathf("%s/%s", files, e->d_name)) };
    }
    closedir(d);
    for (int r = 0; r < t->n; r++) {
        if (!t->r[r].dir) continue;
        bool seen = false;
        for (int j = 0; j < k; j++) seen |= !strcmp(in[j].name, t->r[r].file);
        if (seen) continue;
        if (k == cap) {
            in = realloc(in, (size_t)(cap *= 2) * sizeof *in);
            cr_assert_not_null(in);
        }
        const char *p = pathf("%s/in/%s", tmp, t->r[r].file);
        cr_assert_eq(th_sh("mkdir -p '%s'", p), 0);
        in[k++] = (struct input){ .name = xstrdup(t->r[r].file), .path = xstrdup(p), .dir = true };
    }
    qsort(in, (size_t)k, sizeof *in, by_name);
    for (int j = 0; j < k; j++)
        for (int c = 0; c < NCMD; c++) in[j].rows[c] = -1;
    for (int r = 0; r < t->n; r++) {
        const struct row *w = &t->r[r];
        int j = 0;
        while (j < k && strcmp(in[j].name, w->file)) j++;
        cr_assert_lt(j, k, "EXPECT.tsv line %d: no file tests/bad/files/%s (run tests/bad/make-catalogue)", w->line,
                     w->file);
        cr_assert(!w->dir || in[j].dir, "EXPECT.tsv line %d: %s has the dir flag but is a committed file", w->line,
                  w->file);
        cr_assert_eq(in[j].rows[w->cmd], -1, "EXPECT.tsv line %d: a second %s row for %s (first at line %d)", w->line,
                     cmd_names[w->cmd], w->file, t->r[in[j].rows[w->cmd]].line);
        in[j].rows[w->cmd] = r;
    }
    for (int j = 0; j < k; j++)
        for (int c = 0; c < NCMD; c++)
            cr_assert_neq(in[j].rows[c], -1, "EXPECT.tsv has no %s row for %s (tests/bad/draft-rows drafts them)",
                          cmd_names[c], in[j].name);
    *n = k;
    return in;
}

/* ------------------------------------------------------------ the runs */

/* argv of a job (malloc'd; the strings are the caller's or static). */
static char **job_argv(const struct job *j, const struct batch *batches, const struct input *in, const char *cli,
                       const char *syn, char outpath[1024], const char *res)
{
    char **argv = calloc(BATCH + 12, sizeof *argv);
    cr_assert_not_null(argv);
    int a = 0;
    argv[a++] = (char *)cli;
    switch (j->cmd) {
    case C_READ: argv[a++] = "read"; break;
    case C_JSONL: argv[a++] = "read"; argv[a++] = "--format"; argv[a++] = "jsonl"; break;
    case C_INFO: argv[a++] = "info"; break;
    case C_INFOJSON: argv[a++] = "info"; argv[a++] = "--format"; argv[a++] = "json"; break;
    case C_CONVERT: argv[a++] = "convert"; break;
    default: argv[a++] = "merge"; break;
    }
    if (j->batch >= 0) {
        for (int k = 0; k < batches[j->batch].n; k++) argv[a++] = in[batches[j->batch].files[k]].path;
        return argv;
    }
    argv[a++] = in[j->in].path;
    if (j->cmd == C_MERGE) argv[a++] = (char *)syn;
    if (j->cmd == C_CONVERT) { argv[a++] = "-F"; argv[a++] = "pcapng"; }
    if (j->cmd == C_CONVERT || j->cmd == C_MERGE) {
        snprintf(outpath, 1024, "%s/%s/%s.d/out.pcapng", res, in[j->in].name, cmd_names[j->cmd]);
        argv[a++] = "-o";
        argv[a++] = outpath;
    }
    return argv;
}

/* Where a job's stdout and stderr go (add ".out" / ".err"). */
static const char *job_base(const struct job *j, const struct input *in, const char *res)
{
    if (j->batch >= 0) return pathf("%s/_batch/%s-%d", res, cmd_names[j->cmd], j->batch);
    return pathf("%s/%s/%s", res, in[j->in].name, cmd_names[j->cmd]);
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* fork + exec with stdout/stderr to files and an alarm as the time limit;
 * only async-signal-safe calls in the child. */
static pid_t spawn(char *const argv[], const char *out, const char *err)
{
    int o = open(out, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    int e = open(err, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    int i = open("/dev/null", O_RDONLY | O_CLOEXEC);
    cr_assert(o >= 0 && e >= 0 && i >= 0, "cannot open %s or %s", out, err);
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        sigset_t none;
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
        signal(SIGALRM, SIG_DFL);
        if (dup2(i, 0) < 0 || dup2(o, 1) < 0 || dup2(e, 2) < 0) _exit(126);
        alarm(RUN_SECONDS);
        execv(argv[0], argv);
        _exit(127);
    }
    cr_assert_gt(pid, 0, "fork: %s", strerror(errno));
    close(o);
    close(e);
    close(i);
    return pid;
}

/* Run jobs[from, to), JOBS at a time. */
static void run_jobs(struct job *jobs, int from, int to, const struct batch *batches, const struct input *in,
                     const char *cli, const char *syn, const char *res)
{
    int next = from, running = 0, slot[JOBS];
    double t0[JOBS];
    while (next < to || running) {
        while (running < JOBS && next < to) {
            struct job *j = &jobs[next];
            char outpath[1024], out[1024], err[1024];
            char **argv = job_argv(j, batches, in, cli, syn, outpath, res);
            const char *base = job_base(j, in, res);
            snprintf(out, sizeof out, "%s.out", base);
            snprintf(err, sizeof err, "%s.err", base);
            j->pid = spawn(argv, out, err);
            free(argv);
            slot[running] = next++;
            t0[running++] = now();
        }
        int st;
        struct rusage ru;
        pid_t pid = wait4(-1, &st, 0, &ru);
        if (pid < 0 && errno == EINTR) continue;
        cr_assert_gt(pid, 0, "wait4: %s", strerror(errno));
        for (int k = 0; k < running; k++) {
            struct job *j = &jobs[slot[k]];
            if (j->pid != pid) continue;
            j->status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
            j->rss_kb = ru.ru_maxrss;
            j->secs = now() - t0[k];
            running--;
            slot[k] = slot[running];
            t0[k] = t0[running];
            break;
        }
    }
}

static void put_file(const char *path, const char *p, size_t n)
{
    FILE *f = fopen(path, "wb");
    cr_assert_not_null(f, "cannot write %s", path);
    if (n) cr_assert_eq(fwrite(p, 1, n, f), n);
    cr_assert_eq(fclose(f), 0);
}

/* Split the output of info over a batch into what info over each file
 * alone prints: stderr lines by the file they name ("pktcraft: info:
 * PATH: ..."; a line naming none goes to every file), text blocks by
 * their "File name:" line, JSON array elements (one per line) by their
 * "file" member; each file's status is 1 when it has a message of its
 * own (info exits 1 when any file fails). */
static void split_batch(const struct batch *b, const struct job *j, const struct input *in, const char *res,
                        struct result *results)
{
    const char *base = job_base(j, in, res);
    char *out = slurp_head(pathf("%s.out", base), 64u << 20), *err = slurp_head(pathf("%s.err", base), 16u << 20);
    struct sbuf o[BATCH] = { 0 }, e[BATCH] = { 0 };
    bool own[BATCH] = { 0 };
    for (char *save = NULL, *l = strtok_r(err, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
        int who = -1;
        size_t best = 0;
        for (int k = 0; k < b->n; k++) {
            const char *p = in[b->files[k]].path;
            size_t n = strlen(p);
            if (!strncmp(l, "pktcraft: info: ", 16) && !strncmp(l + 16, p, n) && l[16 + n] == ':' && n > best) {
                who = k;
                best = n;
            }
        }
        for (int k = 0; k < b->n; k++)
            if (who < 0 || who == k) addf(&e[k], "%s\n", l);
        if (who >= 0) own[who] = true;
    }
    int cur = -1;
    bool json = b->cmd == C_INFOJSON;
    for (char *l = out; *l;) {
        char *nl = strchr(l, '\n');
        size_t len = nl ? (size_t)(nl - l) : strlen(l);
        char *line = l;
        l += len + (nl ? 1 : 0);
        if (json) {
            if (*line == '[') line++, len--;
            while (len && (line[len - 1] == ']' || line[len - 1] == ',')) len--;
            cur = -1;
            for (int k = 0; k < b->n; k++) {
                const char *key = pathf("{\"file\":\"%s\"", in[b->files[k]].path);
                if (len >= strlen(key) && !strncmp(line, key, strlen(key))) cur = k;
            }
            if (cur >= 0) addf(&o[cur], "%.*s", (int)len, line);
            continue;
        }
        if (!strncmp(line, "File name:", 10)) {
            cur = -1;
            const char *p = line + 10 + strspn(line + 10, " ");
            for (int k = 0; k < b->n; k++)
                if (strlen(in[b->files[k]].path) == len - (size_t)(p - line) &&
                    !strncmp(p, in[b->files[k]].path, len - (size_t)(p - line)))
                    cur = k;
        }
        if (cur >= 0 && len) addf(&o[cur], "%.*s\n", (int)len, line);
    }
    for (int k = 0; k < b->n; k++) {
        const struct input *f = &in[b->files[k]];
        struct result *r = &results[b->files[k] * NCMD + b->cmd];
        const char *fb = pathf("%s/%s/%s", res, f->name, cmd_names[b->cmd]);
        char p[1024];
        snprintf(p, sizeof p, "%s.out", fb);
        if (json) {
            struct sbuf w = { 0 };
            addf(&w, "[%s]\n", o[k].p ? o[k].p : "");
            put_file(p, w.p, w.n);
            free(w.p);
        } else {
            put_file(p, o[k].p, o[k].n);
        }
        snprintf(p, sizeof p, "%s.err", fb);
        put_file(p, e[k].p, e[k].n);
        r->status = j->status > 1 ? j->status : own[k] ? 1 : j->status == 1 && !e[k].n ? 0 : j->status;
        r->rss_kb = j->rss_kb;
        r->batch = j->batch;
        free(o[k].p);
        free(e[k].p);
    }
    free(out);
    free(err);
}

/* ------------------------------------------------------------ checking */

static bool is_decoder_error(const char *s)
{
    return !strncmp(s, "malformed: ", 11) || !strncmp(s, "truncated: ", 11) || !strncmp(s, "note: ", 6) ||
           !strncmp(s, "bad checksum: ", 14);
}

static void quote_stderr(struct sbuf *b, const char *err)
{
    char *s = slurp_head(err, SNIP);
    if (*s) addf(b, "\n      stderr: %s%s", s, file_size(err) > SNIP ? " [...]" : "");
    free(s);
}

/* What must hold of every run whatever its row says. */
static void check_sane(struct sbuf *b, int status, const char *base)
{
    char err[1024];
    snprintf(err, sizeof err, "%s.err", base);
    if (status > 2)
        addf(b, "\n    exit status %d: a crash, sanitizer report or time-out (142: over %d s), never allowed", status,
             RUN_SECONDS);
    char *s = slurp_head(err, 1 << 16);
    if (strstr(s, "Sanitizer") || strstr(s, "runtime error:")) addf(b, "\n    a sanitizer report");
    for (char *save = NULL, *l = strtok_r(s, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
        if (strncmp(l, "pktcraft: ", 10) && strncmp(l, "Try 'pktcraft ", 14)) { /* the hint after a usage error */
            addf(b, "\n    a stderr line that does not start with \"pktcraft: \": %.200s", l);
            break;
        }
    }
    free(s);
}

static void check_verdict(struct sbuf *b, const char *base, const char *what)
{
    char p[1024];
    snprintf(p, sizeof p, "%s.verdict", base);
    char *v = slurp_head(p, 600);
    v[strcspn(v, "\n")] = 0;
    if (strcmp(v, "ok")) addf(b, "\n    %s: %s", what, *v ? v : "no verdict (tests/bad/check-json did not run?)");
    free(v);
}

/* What a convert or merge leaves in its own directory: the output when it
 * succeeded, nothing at all (no temporary file either) when it failed. */
static void check_leftovers(struct sbuf *b, int status, const char *base)
{
    char dir[1024];
    snprintf(dir, sizeof dir, "%s.d", base);
    DIR *d = opendir(dir);
    if (!d) { addf(b, "\n    %s is gone", dir); return; }
    int n = 0;
    bool out = false;
    struct sbuf names = { 0 };
    for (struct dirent *e; (e = readdir(d));) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
        n++;
        out |= !strcmp(e->d_name, "out.pcapng");
        addf(&names, " %s", e->d_name);
    }
    closedir(d);
    if (status == 0 && (n != 1 || !out)) addf(b, "\n    succeeded but left:%s (want out.pcapng only)", n ? names.p : " nothing");
    if (status != 0 && n) addf(b, "\n    failed but left:%s (want nothing, no temporary file)", names.p);
    free(names.p);
}

/* One row against its run; the problems are appended to b. */
static void check_row(struct sbuf *b, const struct row *r, const struct result *x, const char *res)
{
    const char *base = pathf("%s/%s/%s", res, r->file, cmd_names[r->cmd]);
    char out[1024], err[1024], part[1024];
    snprintf(out, sizeof out, "%s.out", base);
    snprintf(err, sizeof err, "%s.err", base);
    size_t before = b->n;
    check_sane(b, x->status, base);
    if (x->status != r->exit) addf(b, "\n    exit status %d, want %d", x->status, r->exit);
    if (r->cmd == C_JSONL) check_verdict(b, base, "not valid JSON Lines");
    if (r->cmd == C_INFOJSON) check_verdict(b, base, "not valid JSON");
    if (r->cmd == C_INFOJSON && x->batch >= 0)
        check_verdict(b, pathf("%s/_batch/%s-%d", res, cmd_names[r->cmd], x->batch),
                      "the output of its info batch is not valid JSON");
    if (!strcmp(r->err, "-")) {
        if (file_size(err) > 0) addf(b, "\n    stderr not empty");
    } else if (strcmp(r->err, "*")) {
        const char *miss = missing_part(err, r->err, part, sizeof part);
        if (miss) addf(b, "\n    stderr lacks \"%s\"", miss);
    }
    if (strcmp(r->out, "-") && strcmp(r->out, "*")) {
        const char *miss = missing_part(out, r->out, part, sizeof part);
        if (miss) addf(b, "\n    stdout lacks \"%s\"", miss);
        char errs[1024];
        snprintf(errs, sizeof errs, "%s.errors", base);
        if (!miss && r->cmd == C_JSONL && is_decoder_error(r->out)) {
            miss = missing_part(errs, r->out, part, sizeof part);
            if (miss) addf(b, "\n    no \"errors\" entry holds \"%s\"", miss);
        }
    }
    if (r->cmd == C_CONVERT || r->cmd == C_MERGE) {
        check_leftovers(b, x->status, base);
        if (x->status == 0) check_verdict(b, base, r->cmd == C_CONVERT ? "the pcapng output lost something" :
                                                                           "the merged output lost something");
    }
    if (r->maxrss_mb && x->rss_kb > r->maxrss_mb * 1024)
        addf(b, "\n    peak RSS %ld MB, over the %ld MB bound", x->rss_kb / 1024, r->maxrss_mb);
    if (b->n != before) {
        if (x->batch >= 0) addf(b, "\n      (in info batch %d: %s/_batch)", x->batch, res);
        quote_stderr(b, err);
    }
}

/* ------------------------------------------------------------ tests */

Test(bad, generator_reproduces_the_committed_files)
{
    char tmp[64];
    th_tmpdir(tmp);
    const char *root = th_root();
    int st = th_sh("python3 '%s/tests/bad/make-catalogue' '%s/files' > '%s/log' 2>&1 && "
                   "diff -r '%s/tests/bad/files' '%s/files' > '%s/diff' 2>&1",
                   root, tmp, tmp, root, tmp, tmp);
    char *log = slurp_head(pathf("%s/log", tmp), 4000), *diff = slurp_head(pathf("%s/diff", tmp), 4000);
    cr_expect_eq(st, 0, "tests/bad/make-catalogue does not reproduce tests/bad/files (run it and commit the "
                 "result):\n%s%s", log, diff);
    free(log);
    free(diff);
    th_rmdir(tmp);
}

Test(bad, every_reading_command_over_every_file)
{
    const char *root = th_root(), *cli = th_cli();
    char tmp[64], syn[1024], files[1024];
    th_tmpdir(tmp);
    snprintf(syn, sizeof syn, "%s/golden/syn.pcap", root);
    snprintf(files, sizeof files, "%s/tests/bad/files", root);
    cr_assert_eq(access(cli, X_OK), 0, "the CLI %s is not there (PKTCRAFT)", cli);

    struct table t = { 0 };
    load_table(&t, pathf("%s/tests/bad/EXPECT.tsv", root));
    int nin;
    struct input *in = load_inputs(&t, files, tmp, &nin);
    cr_assert_geq(nin, MIN_FILES, "the catalogue has %d files, want at least %d", nin, MIN_FILES);

    /* The jobs: every command over every file that has a row to check;
     * info and info --format json over batches of files (one process for
     * many: the runs cost ASan's start and leak check more than the work),
     * except where a row bounds the memory of that one run. */
    char *res = xstrdup(pathf("%s/res", tmp));
    cr_assert(!mkdir(res, 0755) && !mkdir(pathf("%s/_batch", res), 0755), "mkdir %s: %s", res, strerror(errno));
    int cap = nin * NCMD + 2 * (nin / BATCH + 1);
    struct job *jobs = calloc((size_t)cap + (size_t)nin * 2, sizeof *jobs);
    struct batch *batches = calloc((size_t)(2 * (nin / BATCH + 1)), sizeof *batches);
    struct result *results = calloc((size_t)nin * NCMD, sizeof *results);
    cr_assert(jobs && batches && results);
    for (int k = 0; k < nin * NCMD; k++) results[k] = (struct result){ .status = -1, .batch = -1 };
    int njobs = 0, nbatch = 0;
    for (int c = 0; c < NCMD; c++) { /* one command at a time: the heavy files spread out */
        struct batch *b = NULL;
        for (int k = 0; k < nin; k++) {
            if (c == 0) {
                const char *d = pathf("%s/%s", res, in[k].name);
                cr_assert(!mkdir(d, 0755) && !mkdir(pathf("%s/convert.d", d), 0755) && !mkdir(pathf("%s/merge.d", d), 0755),
                          "mkdir %s: %s", d, strerror(errno));
            }
            bool alone = t.r[in[k].rows[c]].maxrss_mb > 0;
            if ((c == C_INFO || c == C_INFOJSON) && !alone) {
                if (!b || b->n == BATCH) {
                    b = &batches[nbatch];
                    *b = (struct batch){ .cmd = c, .job = njobs };
                    jobs[njobs++] = (struct job){ .cmd = c, .in = -1, .batch = nbatch++, .status = -1 };
                }
                b->files[b->n++] = k;
                continue;
            }
            jobs[njobs++] = (struct job){ .cmd = c, .in = k, .batch = -1, .status = -1 };
        }
    }
    double t0 = now();
    run_jobs(jobs, 0, njobs, batches, in, cli, syn, res);
    /* A batch that crashed is run again file by file, to say which file. */
    int first_retry = njobs, ncrashed = 0;
    for (int k = 0; k < nbatch; k++) {
        const struct batch *b = &batches[k];
        if (jobs[b->job].status <= 1) {
            split_batch(b, &jobs[b->job], in, res, results);
            continue;
        }
        ncrashed++;
        for (int f = 0; f < b->n; f++) jobs[njobs++] = (struct job){ .cmd = b->cmd, .in = b->files[f], .batch = -1 };
    }
    run_jobs(jobs, first_retry, njobs, batches, in, cli, syn, res);
    for (int k = 0; k < njobs; k++) {
        const struct job *j = &jobs[k];
        if (j->batch < 0) results[j->in * NCMD + j->cmd] = (struct result){ j->status, j->rss_kb, -1 };
    }
    for (int k = 0; k < nin * NCMD; k++)
        cr_assert_geq(results[k].status, 0, "%s %s was not run", in[k / NCMD].name, cmd_names[k % NCMD]);
    double t1 = now();
    int st = th_sh("python3 '%s/tests/bad/check-json' '%s' '%s' '%s' > '%s/check-json.log' 2>&1", root, res, cli, syn,
                   tmp);
    char *log = slurp_head(pathf("%s/check-json.log", tmp), 4000);
    cr_assert_eq(st, 0, "tests/bad/check-json failed:\n%s", log);
    free(log);

    /* Rows: failures gathered so that one run shows all of them. */
    struct sbuf fail = { 0 }, pend = { 0 };
    int checked = 0, nfail = 0, npending = 0, pend_pass = 0;
    for (int k = 0; k < nin; k++) {
        for (int c = 0; c < NCMD; c++) {
            const struct row *r = &t.r[in[k].rows[c]];
            struct sbuf b = { 0 };
            check_row(&b, r, &results[k * NCMD + c], res);
            if (r->pending) {
                npending++;
                if (!b.n) {
                    pend_pass++;
                    addf(&pend, "\n  %s %s (pending=%s): passes now; remove the mark", r->file, cmd_names[c], r->pending);
                } else {
                    const char *why = b.p + 1 + strspn(b.p + 1, " ");
                    addf(&pend, "\n  %s %s (pending=%s): still %.*s", r->file, cmd_names[c], r->pending,
                         (int)strcspn(why, "\n"), why);
                }
            } else {
                checked++;
                if (b.n) {
                    nfail++;
                    addf(&fail, "\n  %s %s (EXPECT.tsv line %d):%s", r->file, cmd_names[c], r->line, b.p);
                }
            }
            free(b.p);
        }
    }

    /* The slowest runs, to see where the time goes. */
    struct sbuf slow = { 0 };
    for (int n = 0; n < 3 && njobs; n++) {
        int best = 0;
        for (int k = 1; k < njobs; k++)
            if (jobs[k].secs > jobs[best].secs) best = k;
        const struct job *j = &jobs[best];
        addf(&slow, "%s%s %s %.2f s", n ? ", " : "", j->batch >= 0 ? pathf("batch %d", j->batch) : in[j->in].name,
             cmd_names[j->cmd], j->secs);
        jobs[best].secs = -1;
    }
    /* The summary always shows; the pending rows with --verbose, or as a
     * warning when one of them passes (its mark should go). */
    fprintf(stderr, "[bad] %d files, %d CLI runs (%d info batches, %d crashed and rerun per file) in %.1f s; "
            "%d rows checked, %d failed; %d pending rows (%d pass now); slowest: %s\n",
            nin, njobs, nbatch, ncrashed, t1 - t0, checked, nfail, npending, pend_pass,
            slow.p ? slow.p : "-");
    if (pend_pass) cr_log_warn("bad: %d pending rows of tests/bad/EXPECT.tsv pass now:%s", pend_pass, pend.p);
    else if (pend.n) cr_log_info("bad: pending rows:%s", pend.p);
    cr_expect_geq(checked + npending, MIN_FILES * NCMD, "%d runs checked, want at least %d", checked + npending,
                  MIN_FILES * NCMD);
    cr_expect_eq(nfail, 0, "%d of %d rows of tests/bad/EXPECT.tsv fail:%s", nfail, checked, fail.p);
    free(fail.p);
    free(pend.p);
    free(slow.p);
    for (int k = 0; k < nin; k++) {
        free(in[k].name);
        free(in[k].path);
    }
    free(in);
    free(jobs);
    free(batches);
    free(results);
    free(res);
    free_table(&t);
    th_rmdir(tmp);
}

/* scripts/valgrind-bad: the release CLI (PKTCRAFT_REL, else
 * PKTCRAFT_ROOT/build/rel/pktcraft) under valgrind over the catalogue.
 * About 150 s of CPU (valgrind's start, ~220 times): 75 s on two idle
 * cores, more while the other tests run beside it (570 s was once not
 * enough on a machine shared with other builds); the limit is the
 * suite's less a margin, so that the script's own timeout fires first. */
Test(bad, valgrind_release_cli_over_the_catalogue)
{
    const char *root = th_root(), *rel = getenv("PKTCRAFT_REL");
    char relp[1024], tmp[64];
    snprintf(relp, sizeof relp, "%s/build/rel/pktcraft", root);
    if (!rel || !*rel) rel = relp;
    cr_assert_eq(th_sh("command -v valgrind >/dev/null"), 0, "valgrind not found: apt-get install valgrind");
    cr_assert_eq(access(rel, X_OK), 0, "the release CLI %s is not there: make (or set PKTCRAFT_REL)", rel);
    th_tmpdir(tmp);
    /* timeout kills the script's whole process group before criterion's
     * limit, so that no valgrind outlives the test. */
    int st = th_sh("PKTCRAFT_REL='%s' timeout 1500 '%s/scripts/valgrind-bad' > '%s/log' 2>&1", rel, root, tmp);
    char *log = slurp_head(pathf("%s/log", tmp), 1 << 16);
    char *sum = strstr(log, "valgrind-bad: ");
    if (sum) cr_log_info("%.*s", (int)strcspn(sum, "\n"), sum);
    cr_expect_eq(st, 0, "scripts/valgrind-bad found problems (exit %d%s):\n%s", st,
                 st == 124 ? ", over 1500 s" : "", log);
    free(log);
    th_rmdir(tmp);
}

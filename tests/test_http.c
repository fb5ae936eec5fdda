/* HTTP/1.x decoding (lib/analysis/http.c).  Every conversation here is a
 * script of segments per direction (with gaps and closes), run whole, then
 * with each segment split at every byte boundary, then byte by byte, then
 * from copies ending at a PROT_NONE guard page: every run must give the
 * same callbacks (a canonical log of exchanges, errors and bodies).  On
 * the whole run the fields, framing, flags, bodies and digests are
 * checked; body digests also against coreutils' sha256sum.  Then
 * pc_http_peek against tshark over the HTTP captures of the corpus. */
#include <criterion/criterion.h>
#include <ftw.h>

#include "helpers.h"
#include "oracle.h"
#include "pktcraft/analysis/http.h"

TestSuite(http, .timeout = 1800);

/* ------------------------------------------------------------ recorder */

#define HT_MAXEX 64
#define HT_STR 256
#define HT_MAXF 24
#define HT_MAXT 8
#define HT_MAXERR 64
#define HT_BODIES 128

struct ht_msg {
    bool present;
    char method[HT_STR], uri[HT_STR], reason[HT_STR], host[HT_STR], ua[HT_STR], ctype[HT_STR];
    bool has_host;
    int status;
    unsigned major, minor;
    size_t nfields, ntrailers;
    char fname[HT_MAXF][64], fval[HT_MAXF][HT_STR];
    char tname[HT_MAXT][64], tval[HT_MAXT][HT_STR];
    int framing;
    int64_t cl;
    uint64_t body_len, body_lost;
    uint8_t sha[32];
    uint32_t flags, interim;
    int interim_status;
    uint64_t offset, head_len;
    pc_time_ns ts_first, ts_last;
    char body[1024]; /* the body bytes the body callback saw (NUL-terminated, cut at 1023) */
    size_t body_n;
};

struct ht_err {
    int dir;
    uint64_t off;
    char why[96];
};

struct ht_body {
    int dir;
    uint64_t off;
    uint8_t *b;
    size_t n, cap;
};

struct ht_rec {
    char *log;
    size_t len, cap;
    struct ht_msg req[HT_MAXEX], resp[HT_MAXEX];
    int nex;
    struct ht_err err[HT_MAXERR];
    int nerr;
    struct ht_body bodies[HT_BODIES];
    int nbodies;
    struct pc_http_stats st;
    uint64_t lim_fields;
};

static void ht_logf(struct ht_rec *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void ht_logf(struct ht_rec *r, const char *fmt, ...)
{
    for (;;) {
        va_list ap;
        va_start(ap, fmt);
        int k = vsnprintf(r->log + r->len, r->cap - r->len, fmt, ap);
        va_end(ap);
        cr_assert_geq(k, 0);
        if ((size_t)k < r->cap - r->len) {
            r->len += (size_t)k;
            return;
        }
        r->cap *= 2;
        r->log = realloc(r->log, r->cap);
        cr_assert_not_null(r->log);
    }
}

/* Bytes as text in the log: printable ASCII as is, the rest escaped. */
static void ht_logs(struct ht_rec *r, struct pc_http_str s)
{
    cr_assert_not_null(s.p, "a message string with a NULL pointer");
    ht_logf(r, "\"");
    for (size_t i = 0; i < s.n; i++) {
        uint8_t c = (uint8_t)s.p[i];
        if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\') ht_logf(r, "%c", c);
        else ht_logf(r, "\\x%02x", c);
    }
    ht_logf(r, "\"");
}

static void ht_copy(char *dst, size_t cap, struct pc_http_str s)
{
    size_t n = s.n < cap - 1 ? s.n : cap - 1;
    if (n) memcpy(dst, s.p, n);
    dst[n] = 0;
}

static struct ht_body *ht_body_of(struct ht_rec *r, int dir, uint64_t off)
{
    for (int i = r->nbodies - 1; i >= 0; i--)
        if (r->bodies[i].dir == dir && r->bodies[i].off == off) return &r->bodies[i];
    return NULL;
}

static void ht_on_body(void *ctx, int dir, const struct pc_http_msg *m, const uint8_t *p, size_t n)
{
    struct ht_rec *r = ctx;
    cr_assert_eq(m->dir, dir);
    cr_assert_gt(n, 0, "an empty body callback");
    struct ht_body *b = ht_body_of(r, dir, m->offset);
    if (!b) {
        cr_assert_lt(r->nbodies, HT_BODIES);
        b = &r->bodies[r->nbodies++];
        *b = (struct ht_body){ .dir = dir, .off = m->offset };
    }
    if (b->n + n > b->cap) {
        b->cap = (b->n + n) * 2;
        b->b = realloc(b->b, b->cap);
        cr_assert_not_null(b->b);
    }
    memcpy(b->b + b->n, p, n);
    b->n += n;
    cr_assert_eq(m->body_len, b->n, "body_len %llu after %zu body bytes", (unsigned long long)m->body_len, b->n);
}

static void ht_log_msg(struct ht_rec *r, const struct pc_http_msg *m)
{
    if (!m) {
        ht_logf(r, "-");
        return;
    }
    ht_logf(r, "%d ", m->dir);
    ht_logs(r, m->method);
    ht_logs(r, m->uri);
    ht_logf(r, " %u.%u %d ", m->major, m->minor, m->status);
    ht_logs(r, m->reason);
    ht_logf(r, " [");
    for (size_t i = 0; i < m->nfields; i++) {
        ht_logs(r, m->fields[i].name);
        ht_logf(r, "=");
        ht_logs(r, m->fields[i].value);
    }
    ht_logf(r, "] [");
    for (size_t i = 0; i < m->ntrailers; i++) {
        ht_logs(r, m->trailers[i].name);
        ht_logf(r, "=");
        ht_logs(r, m->trailers[i].value);
    }
    char sha[65];
    pc_hex(m->body_sha256, 32, sha);
    ht_logf(r, "] %s cl=%lld body=%llu lost=%llu sha=%s flags=%x interim=%u/%d off=%llu head=%llu ts=%lld..%lld",
            pc_http_framing_name(m->framing), (long long)m->content_length, (unsigned long long)m->body_len,
            (unsigned long long)m->body_lost, sha, m->flags, m->interim, m->interim_status,
            (unsigned long long)m->offset, (unsigned long long)m->head_len, (long long)m->ts_first,
            (long long)m->ts_last);
}

/* The digest and length of a message must be those of the bytes the body
 * callback saw for it. */
static void ht_check_body(struct ht_rec *r, const struct pc_http_msg *m, struct ht_msg *out)
{
    const struct ht_body *b = ht_body_of(r, m->dir, m->offset);
    size_t n = b ? b->n : 0;
    cr_assert_eq(m->body_len, n, "message at %llu: body_len %llu, %zu bytes seen", (unsigned long long)m->offset,
                 (unsigned long long)m->body_len, n);
    uint8_t want[32];
    pc_sha256(b ? b->b : (const uint8_t *)"", n, want);
    cr_assert(!memcmp(want, m->body_sha256, 32), "message at %llu: body digest differs", (unsigned long long)m->offset);
    out->body_n = n < sizeof out->body - 1 ? n : sizeof out->body - 1;
    if (out->body_n) memcpy(out->body, b->b, out->body_n);
    out->body[out->body_n] = 0;
}

static void ht_copy_msg(struct ht_rec *r, const struct pc_http_msg *m, struct ht_msg *o)
{
    memset(o, 0, sizeof *o);
    if (!m) return;
    o->present = true;
    ht_copy(o->method, sizeof o->method, m->method);
    ht_copy(o->uri, sizeof o->uri, m->uri);
    ht_copy(o->reason, sizeof o->reason, m->reason);
    struct pc_http_str host = pc_http_host(m);
    o->has_host = host.p != NULL;
    if (host.p) ht_copy(o->host, sizeof o->host, host);
    if (pc_http_user_agent(m).p) ht_copy(o->ua, sizeof o->ua, pc_http_user_agent(m));
    if (pc_http_content_type(m).p) ht_copy(o->ctype, sizeof o->ctype, pc_http_content_type(m));
    o->status = m->status;
    o->major = m->major;
    o->minor = m->minor;
    cr_assert_leq(m->nfields, r->lim_fields);
    cr_assert_leq(m->ntrailers, r->lim_fields);
    o->nfields = m->nfields;
    o->ntrailers = m->ntrailers;
    for (size_t i = 0; i < m->nfields && i < HT_MAXF; i++) {
        ht_copy(o->fname[i], sizeof o->fname[i], m->fields[i].name);
        ht_copy(o->fval[i], sizeof o->fval[i], m->fields[i].value);
    }
    for (size_t i = 0; i < m->ntrailers && i < HT_MAXT; i++) {
        ht_copy(o->tname[i], sizeof o->tname[i], m->trailers[i].name);
        ht_copy(o->tval[i], sizeof o->tval[i], m->trailers[i].value);
    }
    o->framing = m->framing;
    o->cl = pc_http_content_length(m);
    o->body_len = m->body_len;
    o->body_lost = m->body_lost;
    memcpy(o->sha, m->body_sha256, 32);
    o->flags = m->flags;
    o->interim = m->interim;
    o->interim_status = m->interim_status;
    o->offset = m->offset;
    o->head_len = m->head_len;
    o->ts_first = m->ts_first;
    o->ts_last = m->ts_last;
    ht_check_body(r, m, o);
}

static void ht_on_exchange(void *ctx, const struct pc_http_msg *req, const struct pc_http_msg *resp)
{
    struct ht_rec *r = ctx;
    cr_assert(req || resp, "an exchange with neither message");
    if (req) cr_assert_eq(req->dir, PC_HTTP_CLIENT);
    if (resp) cr_assert_eq(resp->dir, PC_HTTP_SERVER);
    ht_logf(r, "X ");
    ht_log_msg(r, req);
    ht_logf(r, " | ");
    ht_log_msg(r, resp);
    ht_logf(r, "\n");
    cr_assert_lt(r->nex, HT_MAXEX, "more exchanges than the recorder holds");
    ht_copy_msg(r, req, &r->req[r->nex]);
    ht_copy_msg(r, resp, &r->resp[r->nex]);
    r->nex++;
}

static void ht_on_error(void *ctx, int dir, uint64_t off, const char *why)
{
    struct ht_rec *r = ctx;
    cr_assert_not_null(why);
    ht_logf(r, "E %d %llu %s\n", dir, (unsigned long long)off, why);
    if (r->nerr < HT_MAXERR) {
        r->err[r->nerr] = (struct ht_err){ .dir = dir, .off = off };
        snprintf(r->err[r->nerr].why, sizeof r->err[r->nerr].why, "%s", why);
    }
    r->nerr++;
}

static const struct pc_http_cbs ht_cbs = { ht_on_exchange, ht_on_body, ht_on_error };

static void ht_rec_init(struct ht_rec *r, uint64_t lim_fields)
{
    for (int i = 0; i < r->nbodies; i++) free(r->bodies[i].b);
    char *log = r->log;
    size_t cap = log ? r->cap : 1 << 16;
    memset(r, 0, sizeof *r);
    r->cap = cap;
    r->log = log ? log : malloc(cap);
    cr_assert_not_null(r->log);
    r->log[0] = 0;
    r->lim_fields = lim_fields;
}

static void ht_rec_free(struct ht_rec *r)
{
    for (int i = 0; i < r->nbodies; i++) free(r->bodies[i].b);
    r->nbodies = 0;
    free(r->log);
    r->log = NULL;
}

/* ------------------------------------------------------------ scripts */

struct ht_seg {
    int dir;
    const char *s; /* bytes (NULL for a gap or an end) */
    size_t n;
    uint64_t gap;  /* bytes lost */
    bool end;      /* pc_http_end */
};
#define SEG(d, str) { (d), (str), sizeof(str) - 1, 0, false }
#define SEGN(d, p, len) { (d), (const char *)(p), (len), 0, false }
#define GAP(d, len) { (d), NULL, 0, (len), false }
#define END(d) { (d), NULL, 0, 0, true }
#define C PC_HTTP_CLIENT
#define S PC_HTTP_SERVER

enum { HT_WHOLE, HT_SPLIT, HT_BYTES, HT_GUARD, HT_GUARD_BYTES };

static pc_time_ns ht_ts(size_t seg) { return TH_PCAP_T0 + (pc_time_ns)(seg + 1) * 1000; }

static void ht_feed(struct pc_http *h, int dir, const uint8_t *p, size_t n, pc_time_ns ts, bool bytes)
{
    if (!bytes) {
        pc_http_feed(h, dir, p, n, ts);
        return;
    }
    for (size_t i = 0; i < n; i++) pc_http_feed(h, dir, p + i, 1, ts);
}

/* One run of a script (mode, and for HT_SPLIT which segment is cut
 * where); both directions are ended after it. */
static void ht_run(const struct ht_seg *sg, size_t ns, const struct pc_limits *lim, int mode, size_t at_seg,
                   size_t at, struct ht_rec *r)
{
    ht_rec_init(r, lim ? lim->http_fields : 100);
    struct pc_http *h = pc_http_new(lim, &ht_cbs, r);
    cr_assert_not_null(h);
    for (size_t i = 0; i < ns; i++) {
        pc_time_ns ts = ht_ts(i);
        if (sg[i].end) {
            pc_http_end(h, sg[i].dir, ts);
            continue;
        }
        if (!sg[i].s) {
            pc_http_gap(h, sg[i].dir, sg[i].gap);
            continue;
        }
        const uint8_t *p = (const uint8_t *)sg[i].s;
        size_t n = sg[i].n;
        if (mode == HT_GUARD || mode == HT_GUARD_BYTES) {
            struct th_guard g;
            const uint8_t *q = th_guard_copy(&g, p, n);
            ht_feed(h, sg[i].dir, q, n, ts, mode == HT_GUARD_BYTES);
            th_guard_free(&g);
        } else if (mode == HT_SPLIT && i == at_seg) {
            pc_http_feed(h, sg[i].dir, p, at, ts);
            pc_http_feed(h, sg[i].dir, p + at, n - at, ts);
        } else {
            ht_feed(h, sg[i].dir, p, n, ts, mode == HT_BYTES);
        }
    }
    pc_time_ns te = ht_ts(ns);
    pc_http_end(h, C, te);
    pc_http_end(h, S, te);
    r->st = *pc_http_stats(h);
    /* every message is delivered once, and only once */
    cr_assert_eq(r->st.requests, r->st.exchanges + r->st.unanswered, "%llu requests, %llu delivered",
                 (unsigned long long)r->st.requests, (unsigned long long)(r->st.exchanges + r->st.unanswered));
    cr_assert_eq(r->st.responses, r->st.exchanges + r->st.orphans, "%llu responses, %llu delivered",
                 (unsigned long long)r->st.responses, (unsigned long long)(r->st.exchanges + r->st.orphans));
    pc_http_free(h);
}

static struct ht_rec ht_main, ht_alt;

static void ht_same(const struct ht_rec *a, const struct ht_rec *b, const char *how)
{
    if (strcmp(a->log, b->log)) {
        size_t k = th_first_diff((const uint8_t *)a->log, a->len, (const uint8_t *)b->log, b->len);
        size_t from = k > 200 ? k - 200 : 0;
        cr_assert_fail("%s: callbacks differ at log byte %zu\nwhole: ...%.400s\n  got: ...%.400s", how, k,
                       a->log + from, b->log + from);
    }
}

/* Run a script every way; the whole run's record is in ht_main. */
static struct ht_rec *ht_check_lim(const struct ht_seg *sg, size_t ns, const struct pc_limits *lim)
{
    ht_run(sg, ns, lim, HT_WHOLE, 0, 0, &ht_main);
    char how[128];
    for (size_t i = 0; i < ns; i++) {
        for (size_t at = 1; sg[i].s && at < sg[i].n; at++) {
            ht_run(sg, ns, lim, HT_SPLIT, i, at, &ht_alt);
            snprintf(how, sizeof how, "segment %zu split at %zu", i, at);
            ht_same(&ht_main, &ht_alt, how);
        }
    }
    ht_run(sg, ns, lim, HT_BYTES, 0, 0, &ht_alt);
    ht_same(&ht_main, &ht_alt, "byte by byte");
    ht_run(sg, ns, lim, HT_GUARD, 0, 0, &ht_alt);
    ht_same(&ht_main, &ht_alt, "before a guard page");
    ht_run(sg, ns, lim, HT_GUARD_BYTES, 0, 0, &ht_alt);
    ht_same(&ht_main, &ht_alt, "byte by byte before a guard page");
    return &ht_main;
}
#define ht_check(sg) ht_check_lim((sg), sizeof(sg) / sizeof((sg)[0]), NULL)
#define ht_check_with(sg, lim) ht_check_lim((sg), sizeof(sg) / sizeof((sg)[0]), (lim))

static void ht_fini(void)
{
    ht_rec_free(&ht_main);
    ht_rec_free(&ht_alt);
}

/* The n-th error (its reason must contain what) and its offset. */
static void ht_expect_err(const struct ht_rec *r, int i, int dir, uint64_t off, const char *what)
{
    cr_assert_gt(r->nerr, i, "expected error %d (\"%s\"), got %d errors:\n%s", i, what, r->nerr, r->log);
    cr_assert(strstr(r->err[i].why, what), "error %d is \"%s\", want \"%s\"\n%s", i, r->err[i].why, what, r->log);
    cr_assert_eq(r->err[i].dir, dir, "error %d direction", i);
    cr_assert_eq(r->err[i].off, off, "error %d (%s) at offset %llu, want %llu", i, what,
                 (unsigned long long)r->err[i].off, (unsigned long long)off);
}

/* Offset of marker in a segment's bytes (it must be there). */
static uint64_t ht_pos(const struct ht_seg *sg, const char *marker)
{
    size_t m = strlen(marker);
    for (size_t i = 0; i + m <= sg->n; i++)
        if (!memcmp(sg->s + i, marker, m)) return i;
    cr_assert_fail("marker \"%s\" not in the segment", marker);
    return 0;
}

static void ht_no_errors(const struct ht_rec *r) { cr_assert_eq(r->nerr, 0, "unexpected errors:\n%s", r->log); }

static void ht_sha_of(const char *s, size_t n, uint8_t out[32]) { pc_sha256(s, n, out); }

/* ------------------------------------------------------------ well-formed */

Test(http, get_with_content_length, .fini = ht_fini)
{
    static const struct ht_seg sg[] = {
        SEG(C, "GET /index.html?q=1 HTTP/1.1\r\nHost: example.com\r\nUser-Agent:   curl/8.0  \r\nAccept: */*\r\n\r\n"),
        SEG(S, "HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: 12\r\n"
               "X-Empty:\r\n\r\nhello world!"),
    };
    struct ht_rec *r = ht_check(sg);
    ht_no_errors(r);
    cr_assert_eq(r->nex, 1);
    const struct ht_msg *q = &r->req[0], *a = &r->resp[0];
    cr_assert_str_eq(q->method, "GET");
    cr_assert_str_eq(q->uri, "/index.html?q=1");
    cr_assert_eq(q->major, 1);
    cr_assert_eq(q->minor, 1);
    cr_assert_str_eq(q->host, "example.com");
    cr_assert_str_eq(q->ua, "curl/8.0", "value trimmed: [%s]", q->ua);
    cr_assert_eq(q->nfields, 3);
    cr_assert_str_eq(q->fname[2], "Accept");
    cr_assert_eq(q->framing, PC_HTTP_BODY_NONE);
    cr_assert_eq(q->cl, -1);
    cr_assert_eq(q->offset, 0);
    cr_assert_eq(q->head_len, sg[0].n);
    cr_assert_eq(q->ts_first, ht_ts(0));
    cr_assert_eq(a->status, 200);
    cr_assert_str_eq(a->reason, "OK");
    cr_assert_str_eq(a->ctype, "text/html; charset=utf-8");
    cr_assert_eq(a->framing, PC_HTTP_BODY_LENGTH);
    cr_assert_eq(a->cl, 12);
    cr_assert_eq(a->body_len, 12);
    cr_assert_str_eq(a->body, "hello world!");
    cr_assert_str_eq(a->fname[2], "X-Empty");
    cr_assert_str_eq(a->fval[2], "");
    cr_assert_eq(a->flags, 0);
    cr_assert_eq(a->ts_first, ht_ts(1));
    cr_assert_eq(a->ts_last, ht_ts(1));
    uint8_t want[32];
    ht_sha_of("hello world!", 12, want);
    cr_assert(!memcmp(a->sha, want, 32));
    cr_assert_eq(r->st.exchanges, 1);
    cr_assert_eq(r->st.body_bytes[S], 12);
}

/* Field lookup is case-insensitive and sees repeats in order. */
static void ht_lookup_exchange(void *ctx, const struct pc_http_msg *req, const struct pc_http_msg *resp)
{
    int *calls = ctx;
    (*calls)++;
    cr_assert_not_null(req);
    cr_assert_null(resp);
    const struct pc_http_field *f = pc_http_field(req, "x-TWICE");
    cr_assert_not_null(f);
    cr_assert_eq(f->value.n, 1);
    cr_assert_eq(f->value.p[0], '1');
    f = pc_http_field_next(req, "X-Twice", f);
    cr_assert_not_null(f);
    cr_assert_eq(f->value.p[0], '2');
    cr_assert_null(pc_http_field_next(req, "x-twice", f));
    cr_assert_null(pc_http_field(req, "x-twic"));
    cr_assert_null(pc_http_field(req, "x-twicex"));
    cr_assert_null(pc_http_host(req).p, "no Host field: NULL");
    cr_assert_null(pc_http_trailer(req, "x-twice"));
    cr_assert_eq(pc_http_content_length(req), -1);
}

Test(http, field_lookup)
{
    static const char in[] = "OPTIONS * HTTP/1.0\r\nx-twice: 1\r\nOther: a\r\nX-TWICE: 2\r\n\r\n";
    int calls = 0;
    struct pc_http_cbs cbs = { .exchange = ht_lookup_exchange };
    struct pc_http *h = pc_http_new(NULL, &cbs, &calls);
    pc_http_feed(h, C, (const uint8_t *)in, sizeof in - 1, 1);
    pc_http_end(h, C, 2);
    pc_http_end(h, S, 2);
    cr_assert_eq(calls, 1);
    pc_http_free(h);
}

Test(http, chunked_with_extensions_and_trailers, .fini = ht_fini)
{
    static const struct ht_seg sg[] = {
        SEG(C, "POST /up HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
               "5;name=value\r\nhello\r\n6 ; ext\r\n world\r\n0\r\n\r\n"),
        SEG(S, "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\nTrailer: X-Sum\r\n\r\n"
               "1A\r\nabcdefghijklmnopqrstuvwxyz\r\n000;last\r\nX-Sum: 42\r\nX-Other:  folded\r\n  more\r\n\r\n"),
    };
    struct ht_rec *r = ht_check(sg);
    ht_no_errors(r);
    cr_assert_eq(r->nex, 1);
    const struct ht_msg *q = &r->req[0], *a = &r->resp[0];
    cr_assert_eq(q->framing, PC_HTTP_BODY_CHUNKED);
    cr_assert_str_eq(q->body, "hello world");
    cr_assert_eq(q->body_len, 11);
    cr_assert_eq(q->ntrailers, 0);
    cr_assert_eq(a->framing, PC_HTTP_BODY_CHUNKED);
    cr_assert_str_eq(a->body, "abcdefghijklmnopqrstuvwxyz");
    cr_assert_eq(a->ntrailers, 2);
    cr_assert_str_eq(a->tname[0], "X-Sum");
    cr_assert_str_eq(a->tval[0], "42");
    cr_assert_str_eq(a->tval[1], "folded more", "obs-fold unfolded: [%s]", a->tval[1]);
    cr_assert(a->flags & PC_HTTP_F_OBS_FOLD);
    cr_assert_eq(a->nfields, 2);
    uint8_t want[32];
    ht_sha_of("abcdefghijklmnopqrstuvwxyz", 26, want);
    cr_assert(!memcmp(a->sha, want, 32));
}

Test(http, pipelined_requests_in_one_feed, .fini = ht_fini)
{
    static const struct ht_seg sg[] = {
        SEG(C, "GET /1 HTTP/1.1\r\nHost: a\r\n\r\nGET /2 HTTP/1.1\r\nHost: b\r\n\r\n"
               "POST /3 HTTP/1.1\r\nHost: c\r\nContent-Length: 3\r\n\r\nxyz"),
        SEG(S, "HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nA"
               "HTTP/1.1 404 Not Found\r\nContent-Length: 2\r\n\r\nBB"
               "HTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\n"),
    };
    struct ht_rec *r = ht_check(sg);
    ht_no_errors(r);
    cr_assert_eq(r->nex, 3);
    static const char *const uri[] = { "/1", "/2", "/3" }, *const host[] = { "a", "b", "c" };
    static const int status[] = { 200, 404, 201 };
    for (int i = 0; i < 3; i++) {
        cr_assert_str_eq(r->req[i].uri, uri[i]);
        cr_assert_str_eq(r->req[i].host, host[i]);
        cr_assert_eq(r->resp[i].status, status[i], "response %d matched to request %d", r->resp[i].status, i);
    }
    cr_assert_str_eq(r->req[2].body, "xyz");
    cr_assert_str_eq(r->resp[1].body, "BB");
    cr_assert_eq(r->req[1].offset, 28);
    cr_assert_eq(r->resp[1].offset, 39);
}

Test(http, keep_alive, .fini = ht_fini)
{
    static const struct ht_seg sg[] = {
        SEG(C, "GET /a HTTP/1.1\r\nHost: h\r\n\r\n"),
        SEG(S, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"),
        SEG(C, "\r\nGET /b HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n"),
        SEG(S, "HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nuntil the end"),
        END(S),
    };
    struct ht_rec *r = ht_check(sg);
    ht_no_errors(r);
    cr_assert_eq(r->nex, 2);
    cr_assert_str_eq(r->req[1].uri, "/b");
    cr_assert_eq(r->req[1].offset, 30, "the empty line before a request is skipped");
    cr_assert_eq(r->resp[1].framing, PC_HTTP_BODY_CLOSE);
    cr_assert_str_eq(r->resp[1].body, "until the end");
    cr_assert_eq(r->resp[1].flags, 0);
    cr_assert_eq(r->resp[1].ts_last, ht_ts(3));
}

Test(http, hundred_continue, .fini = ht_fini)
{
    static const struct ht_seg sg[] = {
        SEG(C, "PUT /f HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\nContent-Length: 4\r\n\r\n"),
        SEG(S, "HTTP/1.1 100 Continue\r\n\r\n"),
        SEG(C, "data"),
        SEG(S, "HTTP/1.1 103 Early Hints\r\nLink: </s.css>\r\n\r\nHTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\n"),
    };
    struct ht_rec *r = ht_check(sg);
    ht_no_errors(r);
    cr_assert_eq(r->nex, 1, "interim responses are no exchanges");
    cr_assert_str_eq(r->req[0].body, "data");
    cr_assert_eq(r->resp[0].status, 201);
    cr_assert_eq(r->resp[0].interim, 2);
    cr_assert_eq(r->resp[0].interim_status, 103);
    cr_assert(r->resp[0].flags & PC_HTTP_F_INTERIM);
    cr_assert_eq(r->st.interim, 2);
}

Test(http, no_body_for_head_204_304, .fini = ht_fini)
{
    static const struct ht_seg sg[] = {
        SEG(C, "HEAD /big HTTP/1.1\r\nHost: h\r\n\r\nDELETE /x HTTP/1.1\r\nHost: h\r\n\r\n"
               "GET /c HTTP/1.1\r\nHost: h\r\nIf-None-Match: \"e\"\r\n\r\nGET /d HTTP/1.1\r\nHost: h\r\n\r\n"),
        SEG(S, "HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n"
               "HTTP/1.1 204 No Content\r\nContent-Length: 7\r\n\r\n"
               "HTTP/1.1 304 Not Modified\r\nTransfer-Encoding: chunked\r\n\r\n"
               "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nend"),
    };
    struct ht_rec *r = ht_check(sg);
    ht_no_errors(r);
    cr_assert_eq(r->nex, 4);
    for (int i = 0; i < 3; i++) {
        cr_assert_eq(r->resp[i].framing, PC_HTTP_BODY_NONE, "response %d", i);
        cr_assert_eq(r->resp[i].body_len, 0);
    }
    cr_assert_eq(r->resp[0].cl, 100000, "the declared length of a HEAD response is kept");
    cr_assert_str_eq(r->resp[3].body, "end");
    cr_assert_str_eq(r->req[3].uri, "/d");
}

Test(http, response_ends_at_close, .fini = ht_fini)
{
    static const struct ht_seg sg[] = {
        SEG(C, "GET / HTTP/1.0\r\n\r\n"),
        SEG(S, "HTTP/1.0 200 OK\r\nServer: old\r\n\r\nline 1\n"),
        SEG(S, "line 2\n"),
        END(S),
        SEG(S, "after the close is ignored"),
    };
    struct ht_rec *r = ht_check(sg);
    ht_no_errors(r);
    cr_assert_eq(r->nex, 1);
    cr_assert_eq(r->resp[0].major, 1);
    cr_assert_eq(r->resp[0].minor, 0);
    cr_assert_eq(r->resp[0].framing, PC_HTTP_BODY_CLOSE);
    cr_assert_str_eq(r->resp[0].body, "line 1\nline 2\n");
    cr_assert_eq(r->resp[0].flags, 0);
    cr_assert_eq(r->resp[0].ts_last, ht_ts(2));
}

Test(http, connect_tunnel, .fini = ht_fini)
{
    static const struct ht_seg sg[] = {
        SEG(C, "CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n"),
        SEG(S, "HTTP/1.1 200 Connection established\r\n\r\n"),
        SEG(C, "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03GET / HTTP/1.1\r\n\r\n"),
        SEG(S, "\x16\x03\x03\x00\x5a\x02HTTP/1.1 200 OK\r\n\r\n"),
    };
    struct ht_rec *r = ht_check(sg);
    ht_no_errors(r);
    cr_assert_eq(r->nex, 1);
    cr_assert_str_eq(r->req[0].method, "CONNECT");
    cr_assert_str_eq(r->req[0].uri, "example.com:443");
    cr_assert(r->resp[0].flags & PC_HTTP_F_SWITCH);
    cr_assert_eq(r->resp[0].framing, PC_HTTP_BODY_NONE);
    cr_assert(r->st.switched);
    cr_assert_eq(r->st.tunnel_bytes[C], sg[2].n);
    cr_assert_eq(r->st.tunnel_bytes[S], sg[3].n);
    cr_assert_eq(r->st.requests, 1);
}

/* A refused CONNECT leaves the connection HTTP: the next request is read. */
Test(http, connect_refused, .fini = ht_fini)
{
    static const struct ht_seg sg[] = {
        SEG(C, "CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n"),
        SEG(S, "HTTP/1.1 407 Proxy Authentication Required\r\nContent-Length: 0\r\n\r\n"),
        SEG(C, "CONNECT example.com:443 HTTP/1.1\r\nProxy-Authorization: Basic eDp5\r\n\r\n"),
        SEG(S, "HTTP/1.1 200 OK\r\n\r\n"),
    };
    struct ht_rec *r = ht_check(sg);
    ht_no_errors(r);
    cr_assert_eq(r->nex, 2);
    cr_assert_eq(r->resp[0].status, 407);
    cr_assert_eq(r->resp[0].flags & PC_HTTP_F_SWITCH, 0);
    cr_assert(r->resp[1].flags & PC_HTTP_F_SWITCH);
}

Test(http, upgrade_101, .fini = ht_fini)
{
    static const struct ht_seg sg[] = {
        SEG(C, "GET /chat HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
               "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"),
        SEG(S, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n\x81\x05hello"),
        SEG(C, "\x81\x85\x37\xfa\x21\x3d\x7f\x9f\x4d\x51\x58"),
    };
    struct ht_rec *r = ht_check(sg);
    ht_no_errors(r);
    cr_assert_eq(r->nex, 1);
    cr_assert_eq(r->resp[0].status, 101);
    cr_assert(r->resp[0].flags & PC_HTTP_F_SWITCH);
    cr_assert(r->st.switched);
    cr_assert_eq(r->st.tunnel_bytes[S], 7);
    cr_assert_eq(r->st.tunnel_bytes[C], sg[2].n);
}

/* ------------------------------------------------------------ smuggling signals */

Test(http, te_and_cl, .fini = ht_fini)
{
    static const struct ht_seg sg[] = {
        SEG(C, "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n"
               "0\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: h\r\n\r\n"),
    };
    struct ht_rec *r = ht_check(sg);
    ht_expect_err(r, 0, C, 0, "both Transfer-Encoding and Content-Length");
    cr_assert_eq(r->nerr, 1, "%s", r->log);
    cr_assert_eq(r->nex, 2);
    cr_assert(r->req[0].flags & PC_HTTP_F_TE_CL);
    cr_assert_eq(r->req[0].framing, PC_HTTP_BODY_CHUNKED, "Transfer-Encoding wins");
    cr_assert_eq(r->req[0].cl, 4);
    cr_assert_str_eq(r->req[1].uri, "/smuggled");
    cr_assert_eq(r->st.unanswered, 2);
}

Test(http, whitespace_before_colon_and_bad_fields, .fini = ht_fini)
{
    static const struct ht_seg sg[] = {
        SEG(C, "GET / HTTP/1.1\r\n folded before any field\r\nHost: h\r\nTransfer-Encoding : chunked\r\n"
               "no colon here\r\n: no name\r\nBad[name]: v\r\n\r\n0\r\n\r\n"),
    };
    struct ht_rec *r = ht_check(sg);
    ht_expect_err(r, 0, C, 16, "continuation line without a field");
    ht_expect_err(r, 1, C, ht_pos(&sg[0], "Transfer-Encoding :"), "whitespace between field name and colon");
    ht_expect_err(r, 2, C, ht_pos(&sg[0], "no colon"), "field line without a name and colon");
    ht_expect_err(r, 3, C, ht_pos(&sg[0], "Bad[name]"), "invalid character in a field name");
    cr_assert_eq(r->nerr, 4, "one report per reason and message:\n%s", r->log);
    cr_assert_eq(r->nex, 1);
    cr_assert(r->req[0].flags & PC_HTTP_F_BAD_FIELD);
    cr_assert_eq(r->req[0].nfields, 2, "the broken lines are dropped");
    cr_assert_str_eq(r->req[0].fname[1], "Transfer-Encoding");
    cr_assert_eq(r->req[0].framing, PC_HTTP_BODY_CHUNKED);
}

/* ------------------------------------------------------------ gaps */

Test(http, gap_inside_a_body, .fini = ht_fini)
{
    static const struct ht_seg sg[] = {
        SEG(C, "GET /a HTTP/1.1\r\n\r\nGET /b HTTP/1.1\r\n\r\nGET /c HTTP/1.1\r\n\r\n"),
        SEG(S, "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc"),
        GAP(S, 4),
        SEG(S, "hij"),
        SEG(S, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n8\r\nab"),
        GAP(S, 6),
        SEG(S, "\r\n2\r\nzz\r\n0\r\n\r\n"),
        SEG(S, "HTTP/1.1 200 OK\r\n\r\nto the close "),
        GAP(S, 1000),
        SEG(S, "and more"),
    };
    struct ht_rec *r = ht_check(sg);
    ht_no_errors(r);
    cr_assert_eq(r->nex, 3);
    cr_assert_eq(r->resp[0].body_len, 6);
    cr_assert_eq(r->resp[0].body_lost, 4);
    cr_assert_eq(r->resp[0].flags, PC_HTTP_F_BODY_LOST);
    cr_assert_str_eq(r->resp[0].body, "abchij");
    cr_assert_eq(r->resp[1].body_lost, 6);
    cr_assert_str_eq(r->resp[1].body, "abzz");
    cr_assert_eq(r->resp[1].flags, PC_HTTP_F_BODY_LOST);
    cr_assert_eq(r->resp[2].body_lost, 1000);
    cr_assert_str_eq(r->resp[2].body, "to the close and more");
    cr_assert_eq(r->resp[2].offset, 3 + 41 + 4 + 3 + 50 + 6 + 14);
    cr_assert_eq(r->st.gap_bytes, 1010);
}

/* A gap that runs past a chunk's data, or falls in a chunk-size line,
 * leaves the framing unknown: the message ends there (the sender is not
 * blamed: no BAD_CHUNK) and the next status line is looked for. */
Test(http, gap_inside_chunked_framing, .fini = ht_fini)
{
    static const struct ht_seg sg[] = {
        SEG(S, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nab"),
        GAP(S, 10),
        SEG(S, "xx\r\nHTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1"),
        GAP(S, 3),
        SEG(S, "\r\nHTTP/1.1 204 No Content\r\n\r\n"),
    };
    struct ht_rec *r = ht_check(sg);
    ht_expect_err(r, 0, S, sg[0].n + 2, "gap inside chunked framing");
    ht_expect_err(r, 1, S, sg[0].n + 10 + sg[2].n, "gap inside chunked framing");
    cr_assert_eq(r->nerr, 2, "%s", r->log);
    cr_assert_eq(r->nex, 3);
    cr_assert_eq(r->resp[0].flags, PC_HTTP_F_BODY_LOST | PC_HTTP_F_INCOMPLETE);
    cr_assert_eq(r->resp[0].body_lost, 2);
    cr_assert_str_eq(r->resp[0].body, "ab");
    cr_assert_eq(r->resp[1].flags, PC_HTTP_F_RESYNC | PC_HTTP_F_INCOMPLETE);
    cr_assert_eq(r->resp[1].offset, sg[0].n + 10 + 4);
    cr_assert_eq(r->resp[2].status, 204);
    cr_assert_eq(r->resp[2].flags, PC_HTTP_F_RESYNC);
}

Test(http, gap_past_the_end_of_a_body, .fini = ht_fini)
{
    static const struct ht_seg sg[] = {
        SEG(S, "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nab"),
        GAP(S, 10),
        SEG(S, "Content-Length: 3\r\n\r\nxyz\r\nHTTP/1.1 204 No Content\r\n\r\n"),
    };
    struct ht_rec *r = ht_check(sg);
    ht_expect_err(r, 0, S, 43, "gap past the end of a message");
    cr_assert_eq(r->nerr, 1, "%s", r->log);
    cr_assert_eq(r->nex, 2);
    cr_assert(!r->req[0].present, "no request was seen");
    cr_assert_eq(r->resp[0].flags, PC_HTTP_F_BODY_LOST | PC_HTTP_F_INCOMPLETE);
    cr_assert_eq(r->resp[0].body_lost, 3);
    cr_assert_eq(r->resp[1].status, 204);
    cr_assert_eq(r->resp[1].flags, PC_HTTP_F_RESYNC);
    cr_assert_eq(r->st.orphans, 2);
    cr_assert_eq(r->st.skipped[S], ht_pos(&sg[2], "HTTP/1.1 204"));
}

Test(http, gap_inside_a_head, .fini = ht_fini)
{
    static const struct ht_seg sg[] = {
        SEG(C, "GET /a HTTP/1.1\r\nHost: "),
        GAP(C, 20),
        SEG(C, "rest of a line\r\nAccept: */*\r\n\r\nPOST /b HTTP/1.1\r\nContent-Length: 2\r\n\r\nokGET /c HTTP/1.1\r\n\r\n"),
        GAP(C, 7),
        SEG(C, "tail of something\r\nHEAD /d HTTP/1.1\r\n\r\n"),
    };
    struct ht_rec *r = ht_check(sg);
    ht_expect_err(r, 0, C, 23, "gap inside a message head");
    ht_expect_err(r, 1, C, sg[0].n + 20 + sg[2].n, "gap between messages");
    cr_assert_eq(r->nerr, 2, "%s", r->log);
    cr_assert_eq(r->nex, 4);
    cr_assert_str_eq(r->req[0].uri, "/a");
    cr_assert_eq(r->req[0].flags, PC_HTTP_F_INCOMPLETE);
    cr_assert_eq(r->req[0].nfields, 0);
    cr_assert_str_eq(r->req[1].uri, "/b");
    cr_assert_eq(r->req[1].flags, PC_HTTP_F_RESYNC);
    cr_assert_str_eq(r->req[1].body, "ok");
    cr_assert_str_eq(r->req[2].uri, "/c");
    cr_assert_eq(r->req[2].flags, 0);
    cr_assert_str_eq(r->req[3].method, "HEAD");
    cr_assert_eq(r->req[3].flags, PC_HTTP_F_RESYNC);
    cr_assert_eq(r->st.unanswered, 4);
}

Test(http, response_without_request_and_unanswered, .fini = ht_fini)
{
    static const struct ht_seg sg[] = {
        SEG(S, "ody of something we missed\r\nHTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"),
        SEG(C, "GET /x HTTP/1.1\r\n\r\n"),
        END(S),
        SEG(C, "GET /y HTTP/1.1\r\n\r\n"),
    };
    struct ht_rec *r = ht_check(sg);
    ht_expect_err(r, 0, S, 0, "not an HTTP status line");
    cr_assert_eq(r->nex, 3);
    cr_assert(!r->req[0].present);
    cr_assert_eq(r->resp[0].status, 200);
    cr_assert_eq(r->resp[0].flags, PC_HTTP_F_RESYNC);
    cr_assert_str_eq(r->req[1].uri, "/x");
    cr_assert(!r->resp[1].present, "the server side ended: /x is unanswered");
    cr_assert_str_eq(r->req[2].uri, "/y");
    cr_assert(!r->resp[2].present);
}

/* A response that completes while its request is still arriving. */
Test(http, early_response, .fini = ht_fini)
{
    static const struct ht_seg sg[] = {
        SEG(C, "POST /big HTTP/1.1\r\nContent-Length: 10\r\n\r\n01234"),
        SEG(S, "HTTP/1.1 413 Payload Too Large\r\nContent-Length: 0\r\n\r\n"),
        SEG(C, "56789GET /next HTTP/1.1\r\n\r\n"),
        SEG(S, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"),
    };
    struct ht_rec *r = ht_check(sg);
    ht_no_errors(r);
    cr_assert_eq(r->nex, 2);
    cr_assert_eq(r->resp[0].status, 413);
    cr_assert_eq(r->req[0].flags, PC_HTTP_F_EARLY);
    cr_assert_eq(r->req[0].body_len, 5, "the body as far as it had come");
    cr_assert_str_eq(r->req[1].uri, "/next");
    cr_assert_eq(r->resp[1].status, 200);
}

/* ------------------------------------------------------------ malformed input */

Test(http, bare_lf_tolerated, .fini = ht_fini)
{
    static const struct ht_seg sg[] = {
        SEG(C, "GET / HTTP/1.1\nHost: h\nX: y\r\n\nGET /2 HTTP/1.1\r\n\r\n"),
        SEG(S, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\nabc\n0\n\n"
               "HTTP/1.1 200 OK\nContent-Length: 1\n\nZ"),
    };
    struct ht_rec *r = ht_check(sg);
    ht_expect_err(r, 0, C, 0, "line ends in a bare LF");
    ht_expect_err(r, 1, S, ht_pos(&sg[1], "3\nabc"), "line ends in a bare LF");
    ht_expect_err(r, 2, S, ht_pos(&sg[1], "HTTP/1.1 200 OK\nContent"), "line ends in a bare LF");
    cr_assert_eq(r->nerr, 3, "one report per message:\n%s", r->log);
    cr_assert_eq(r->nex, 2);
    cr_assert_eq(r->req[0].flags, PC_HTTP_F_BARE_LF);
    cr_assert_str_eq(r->req[0].host, "h");
    cr_assert_eq(r->req[1].flags, 0);
    cr_assert_str_eq(r->resp[0].body, "abc");
    cr_assert_eq(r->resp[0].flags, PC_HTTP_F_BARE_LF);
    cr_assert_str_eq(r->resp[1].body, "Z");
}

Test(http, header_line_without_crlf, .fini = ht_fini)
{
    static const struct ht_seg sg[] = {
        SEG(C, "GET / HTTP/1.1\r\nHost: a\rX: b\r\nUser-Agent: cut here"),
    };
    struct ht_rec *r = ht_check(sg);
    ht_expect_err(r, 0, C, 16, "bare CR inside a line");
    ht_expect_err(r, 1, C, sg[0].n, "connection closed inside a message");
    cr_assert_eq(r->nerr, 2, "%s", r->log);
    cr_assert_eq(r->nex, 1);
    cr_assert_eq(r->req[0].flags, PC_HTTP_F_BARE_CR | PC_HTTP_F_INCOMPLETE);
    cr_assert_str_eq(r->req[0].host, "a\rX: b");
    cr_assert_eq(r->req[0].nfields, 1);
}

Test(http, chunk_size_overflow_and_not_hex, .fini = ht_fini)
{
    static const struct ht_seg sg[] = {
        SEG(S, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1\r\na\r\n10000000000000000\r\nxx\r\n"
               "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n"
               "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabc\r\n"
               "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\rx\r\n"
               "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n000000000000000000000001\r\nq\r\n0\r\n\r\n"),
    };
    struct ht_rec *r = ht_check(sg);
    ht_expect_err(r, 0, S, ht_pos(&sg[0], "10000000000000000"), "chunk size overflows");
    ht_expect_err(r, 1, S, ht_pos(&sg[0], "zz\r\n"), "chunk size is not hex");
    ht_expect_err(r, 2, S, ht_pos(&sg[0], "abc\r\n") + 2, "chunk data not followed by CRLF");
    ht_expect_err(r, 3, S, ht_pos(&sg[0], "2\rx"), "chunk size line without CRLF");
    cr_assert_eq(r->nerr, 4, "%s", r->log);
    cr_assert_eq(r->nex, 5);
    for (int i = 0; i < 4; i++) {
        cr_assert_eq(r->resp[i].flags & (PC_HTTP_F_BAD_CHUNK | PC_HTTP_F_INCOMPLETE),
                     PC_HTTP_F_BAD_CHUNK | PC_HTTP_F_INCOMPLETE, "response %d", i);
    }
    cr_assert_str_eq(r->resp[0].body, "a");
    cr_assert_str_eq(r->resp[2].body, "ab");
    cr_assert_str_eq(r->resp[4].body, "q", "leading zeros are no overflow");
    cr_assert_eq(r->resp[4].flags, PC_HTTP_F_RESYNC);
}

Test(http, bad_content_length, .fini = ht_fini)
{
    static const struct ht_seg sg[] = {
        SEG(C, "POST /1 HTTP/1.1\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd\r\n"
               "POST /2 HTTP/1.1\r\nContent-Length: -1\r\n\r\n"
               "POST /3 HTTP/1.1\r\nContent-Length: 2, 2\r\nContent-Length: 2\r\n\r\nok"
               "POST /4 HTTP/1.1\r\nContent-Length: 99999999999999999999\r\n\r\n"
               "POST /5 HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\nxx\r\nGET /6 HTTP/1.1\r\n\r\n"),
    };
    struct ht_rec *r = ht_check(sg);
    ht_expect_err(r, 0, C, 0, "Content-Length values differ");
    ht_expect_err(r, 1, C, ht_pos(&sg[0], "POST /2"), "Content-Length is not a number");
    ht_expect_err(r, 2, C, ht_pos(&sg[0], "POST /4"), "Content-Length is not a number");
    ht_expect_err(r, 3, C, ht_pos(&sg[0], "POST /5"), "Transfer-Encoding does not end in chunked");
    cr_assert_eq(r->nerr, 4, "%s", r->log);
    cr_assert_eq(r->nex, 6);
    cr_assert_eq(r->req[0].flags, PC_HTTP_F_BAD_CL);
    cr_assert_eq(r->req[0].cl, -1);
    cr_assert_eq(r->req[0].framing, PC_HTTP_BODY_NONE);
    cr_assert_str_eq(r->req[1].uri, "/2", "resynchronised past the unknown body");
    cr_assert_eq(r->req[1].flags, PC_HTTP_F_BAD_CL | PC_HTTP_F_RESYNC);
    cr_assert_eq(r->req[2].flags, PC_HTTP_F_RESYNC);
    cr_assert_eq(r->req[2].cl, 2, "a list of equal values is one value");
    cr_assert_str_eq(r->req[2].body, "ok");
    cr_assert_eq(r->req[3].flags, PC_HTTP_F_BAD_CL);
    cr_assert_eq(r->req[4].flags, PC_HTTP_F_BAD_TE | PC_HTTP_F_RESYNC);
    cr_assert_str_eq(r->req[5].uri, "/6");
    cr_assert_eq(r->req[5].flags, PC_HTTP_F_RESYNC);
}

/* A Content-Length that lies: larger than the body (the message runs into
 * the next one and ends incomplete at the close), smaller (the rest is
 * not a message). */
Test(http, lying_content_length, .fini = ht_fini)
{
    static const struct ht_seg sg[] = {
        SEG(C, "POST /short HTTP/1.1\r\nContent-Length: 2\r\n\r\nabcdef\r\nGET /after HTTP/1.1\r\n\r\n"),
        SEG(S, "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly this\r\nHTTP/1.1 200 OK\r\n\r\n"),
    };
    struct ht_rec *r = ht_check(sg);
    ht_expect_err(r, 0, C, ht_pos(&sg[0], "cdef"), "not an HTTP request line");
    ht_expect_err(r, 1, S, sg[1].n, "connection closed inside a message");
    cr_assert_eq(r->nerr, 2, "%s", r->log);
    cr_assert_eq(r->nex, 2);
    cr_assert_str_eq(r->req[0].body, "ab");
    cr_assert_eq(r->resp[0].flags, PC_HTTP_F_INCOMPLETE);
    cr_assert_eq(r->resp[0].body_len, 30);
    cr_assert_str_eq(r->req[1].uri, "/after");
    cr_assert_eq(r->req[1].flags, PC_HTTP_F_RESYNC);
    cr_assert(!r->resp[1].present);
}

static struct pc_limits ht_small(void)
{
    struct pc_limits l;
    pc_limits_default(&l);
    l.http_line = 64;
    l.http_fields = 4;
    l.http_head = 256;
    l.http_pipeline = 2;
    return l;
}

Test(http, line_over_the_limit, .fini = ht_fini)
{
    /* 64 characters (and the CRLF) pass, 65 do not */
    static char c[1024], sv[256];
    size_t n = 0;
    n += (size_t)sprintf(c + n, "GET /a HTTP/1.1\r\nX-Long: %0*d\r\n\r\n", 64 - 8, 0);
    size_t b = n;
    n += (size_t)sprintf(c + n, "GET /b HTTP/1.1\r\nX-Long: %0*d\r\nX: y\r\n\r\n", 65 - 8, 0);
    size_t lost = n;
    n += (size_t)sprintf(c + n, "GET /%0*d HTTP/1.1\r\n\r\n", 70, 0);
    n += (size_t)sprintf(c + n, "GET /next HTTP/1.1\r\n\r\n");
    size_t sn = (size_t)sprintf(sv, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1;%0*d\r\n", 80, 0);
    const struct ht_seg sg[] = { SEGN(C, c, n), SEGN(S, sv, sn) };
    struct pc_limits l = ht_small();
    l.http_pipeline = 8;
    struct ht_rec *r = ht_check_with(sg, &l);
    ht_expect_err(r, 0, C, b + 17 + 65, "line longer than http-line");
    ht_expect_err(r, 1, C, lost + 65, "line longer than http-line");
    ht_expect_err(r, 2, S, ht_pos(&sg[1], "1;") + 65, "chunk size line longer than http-line");
    cr_assert_eq(r->nerr, 3, "%s", r->log);
    cr_assert_eq(r->nex, 3);
    cr_assert_eq(r->req[0].flags, 0);
    cr_assert_eq(r->req[0].nfields, 1);
    cr_assert(r->resp[0].flags & PC_HTTP_F_BAD_CHUNK, "the response answers /a");
    cr_assert_str_eq(r->req[1].uri, "/b");
    cr_assert_eq(r->req[1].flags, PC_HTTP_F_HEAD_CUT | PC_HTTP_F_INCOMPLETE);
    cr_assert_eq(r->req[1].nfields, 0);
    cr_assert_eq(r->req[1].head_len, 17, "the whole lines before the cut");
    cr_assert_str_eq(r->req[2].uri, "/next", "a start line over the limit is lost");
    cr_assert_eq(r->req[2].flags, PC_HTTP_F_RESYNC);
}

Test(http, too_many_fields, .fini = ht_fini)
{
    static const struct ht_seg sg[] = {
        SEG(C, "GET /4 HTTP/1.1\r\nA: 1\r\nB: 2\r\nC: 3\r\nD: 4\r\n\r\n"
               "GET /5 HTTP/1.1\r\nA: 1\r\nB: 2\r\nC: 3\r\nD: 4\r\nE: 5\r\n\r\nGET /6 HTTP/1.1\r\n\r\n"),
        SEG(S, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nT1: 1\r\nT2: 2\r\nT3: 3\r\nT4: 4\r\nT5: 5\r\n\r\n"),
    };
    struct pc_limits l = ht_small();
    l.http_pipeline = 8;
    struct ht_rec *r = ht_check_with(sg, &l);
    ht_expect_err(r, 0, C, ht_pos(&sg[0], "E: 5"), "more fields than http-fields");
    ht_expect_err(r, 1, S, ht_pos(&sg[1], "T5: 5"), "more fields than http-fields");
    cr_assert_eq(r->nerr, 2, "%s", r->log);
    cr_assert_eq(r->nex, 3);
    cr_assert_eq(r->req[0].nfields, 4);
    cr_assert_eq(r->req[0].flags, 0);
    cr_assert_eq(r->req[1].nfields, 4);
    cr_assert_eq(r->req[1].flags, PC_HTTP_F_HEAD_CUT | PC_HTTP_F_INCOMPLETE);
    cr_assert_eq(r->resp[0].ntrailers, 4);
    cr_assert_eq(r->resp[0].flags, PC_HTTP_F_HEAD_CUT | PC_HTTP_F_INCOMPLETE);
    cr_assert_str_eq(r->req[2].uri, "/6");
    cr_assert_eq(r->req[2].flags, PC_HTTP_F_RESYNC);
}

Test(http, head_over_the_limit, .fini = ht_fini)
{
    /* 256 bytes of head pass, 257 do not */
    static char in[1024];
    size_t n = 0;
    n += (size_t)sprintf(in + n, "GET /a HTTP/1.1\r\n");
    for (int i = 0; i < 3; i++) n += (size_t)sprintf(in + n, "X-%d: %0*d\r\n", i, 55, 0);
    n += (size_t)sprintf(in + n, "Y: %0*d\r\n\r\n", 256 - (int)n - 7, 0);
    cr_assert_eq(n, 256);
    size_t second = n;
    n += (size_t)sprintf(in + n, "GET /b HTTP/1.1\r\n");
    for (int i = 0; i < 3; i++) n += (size_t)sprintf(in + n, "X-%d: %0*d\r\n", i, 55, 0);
    n += (size_t)sprintf(in + n, "Y: %0*d\r\n\r\n", 256 - (int)(n - second) - 6, 0);
    cr_assert_eq(n - second, 257);
    n += (size_t)sprintf(in + n, "GET /c HTTP/1.1\r\n\r\n");
    const struct ht_seg sg[] = { SEGN(C, in, n) };
    struct pc_limits l = ht_small();
    l.http_fields = 10;
    l.http_pipeline = 8;
    struct ht_rec *r = ht_check_with(sg, &l);
    ht_expect_err(r, 0, C, second + 256, "head longer than http-head");
    cr_assert_eq(r->nerr, 1, "%s", r->log);
    cr_assert_eq(r->nex, 3);
    cr_assert_eq(r->req[0].head_len, 256);
    cr_assert_eq(r->req[0].flags, 0);
    cr_assert_eq(r->req[1].flags, PC_HTTP_F_HEAD_CUT | PC_HTTP_F_INCOMPLETE);
    cr_assert_eq(r->req[1].nfields, 4, "the lines before the limit are kept");
    cr_assert_str_eq(r->req[2].uri, "/c");
    cr_assert_eq(r->req[2].flags, PC_HTTP_F_RESYNC);
}

Test(http, pipeline_over_the_limit, .fini = ht_fini)
{
    static const struct ht_seg sg[] = {
        SEG(C, "GET /1 HTTP/1.1\r\n\r\nGET /2 HTTP/1.1\r\n\r\nGET /3 HTTP/1.1\r\n\r\nGET /4 HTTP/1.1\r\n\r\n"),
        SEG(S, "HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\n3HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\n4"),
    };
    struct pc_limits l = ht_small();
    struct ht_rec *r = ht_check_with(sg, &l);
    ht_expect_err(r, 0, C, 38, "more requests pending than http-pipeline");
    ht_expect_err(r, 1, C, 57, "more requests pending than http-pipeline");
    cr_assert_eq(r->nerr, 2, "%s", r->log);
    cr_assert_eq(r->nex, 4);
    cr_assert_str_eq(r->req[0].uri, "/1");
    cr_assert(!r->resp[0].present);
    cr_assert_eq(r->req[0].flags, PC_HTTP_F_EVICTED);
    cr_assert_str_eq(r->req[1].uri, "/2");
    cr_assert(!r->resp[1].present);
    cr_assert_str_eq(r->req[2].uri, "/3");
    cr_assert_str_eq(r->resp[2].body, "3");
    cr_assert_str_eq(r->req[3].uri, "/4");
    cr_assert_str_eq(r->resp[3].body, "4");
}

Test(http, not_http_at_all, .fini = ht_fini)
{
    static const struct ht_seg sg[] = {
        SEG(C, "\x16\x03\x01\x00\xa5\x01\x00\x00\xa1\x03\x03 random bytes\n and more\n"),
        SEG(S, "SSH-2.0-OpenSSH_9.0\r\n"),
        SEG(C, "GET HTTP/1.1\r\nGET / HTTP/2.0\r\nget / HTTP/1.1\r\n"),
    };
    struct ht_rec *r = ht_check(sg);
    ht_expect_err(r, 0, C, 0, "not an HTTP request line");
    ht_expect_err(r, 1, S, 0, "not an HTTP status line");
    /* lines that start like a request line are parsed, and reported */
    ht_expect_err(r, 2, C, sg[0].n, "not an HTTP request line");
    ht_expect_err(r, 3, C, sg[0].n + ht_pos(&sg[2], "GET / HTTP/2.0"), "not HTTP/1.x");
    cr_assert_eq(r->nerr, 4, "the rest is skipped quietly:\n%s", r->log);
    cr_assert_eq(r->nex, 0);
    cr_assert_eq(r->st.skipped[C], sg[0].n + strlen("get / HTTP/1.1\r\n"));
    cr_assert_eq(r->st.skipped[S], sg[1].n);
}

/* ------------------------------------------------------------ body digests */

/* A body of every byte value, chunked in odd sizes, against coreutils. */
Test(http, body_digest_matches_sha256sum, .fini = ht_fini)
{
    static uint8_t body[5000], wire[8000];
    for (size_t i = 0; i < sizeof body; i++) body[i] = (uint8_t)(i * 7 + i / 256);
    size_t n = (size_t)sprintf((char *)wire, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n");
    for (size_t at = 0, step = 1; at < sizeof body; step = step * 3 + 1) {
        size_t k = sizeof body - at < step ? sizeof body - at : step;
        n += (size_t)sprintf((char *)wire + n, "%zx\r\n", k);
        memcpy(wire + n, body + at, k);
        n += k;
        n += (size_t)sprintf((char *)wire + n, "\r\n");
        at += k;
    }
    n += (size_t)sprintf((char *)wire + n, "0\r\n\r\n");
    const struct ht_seg sg[] = { SEGN(S, wire, n) };
    ht_run(sg, 1, NULL, HT_WHOLE, 0, 0, &ht_main);
    ht_run(sg, 1, NULL, HT_BYTES, 0, 0, &ht_alt);
    ht_same(&ht_main, &ht_alt, "byte by byte");
    ht_no_errors(&ht_main);
    cr_assert_eq(ht_main.nex, 1);
    cr_assert_eq(ht_main.resp[0].body_len, sizeof body);

    char dir[64], path[128];
    th_tmpdir(dir);
    snprintf(path, sizeof path, "%s/body", dir);
    th_put_file(path, body, sizeof body);
    char cmd[256];
    snprintf(cmd, sizeof cmd, "sha256sum '%s'", path);
    char *out = th_cmd_output(cmd, NULL);
    char got[65];
    pc_hex(ht_main.resp[0].sha, 32, got);
    cr_assert(!strncmp(out, got, 64), "sha256sum says %.64s, the parser %s", out, got);
    free(out);
    th_rmdir(dir);
}

/* ------------------------------------------------------------ single payloads */

Test(http, peek_and_probe)
{
    static const char req[] = "GET /p?x=1 HTTP/1.1\r\nAccept: */*\r\nhOsT:  www.example.org \r\n\r\nbody";
    static const char resp[] = "HTTP/1.0 404 Not Found\nServer: x\n";
    struct pc_http_peek pk;
    cr_assert_eq(pc_http_peek((const uint8_t *)req, sizeof req - 1, &pk), PC_HTTP_PEEK_REQUEST);
    cr_assert_eq(pk.kind, PC_HTTP_PEEK_REQUEST);
    cr_assert_eq(pk.method.n, 3);
    cr_assert(!memcmp(pk.method.p, "GET", 3));
    cr_assert_eq(pk.uri.n, 6);
    cr_assert(!memcmp(pk.uri.p, "/p?x=1", 6));
    cr_assert_eq(pk.host.n, 15);
    cr_assert(!memcmp(pk.host.p, "www.example.org", 15));
    cr_assert_eq(pk.line_len, 21);
    cr_assert_eq(pk.head_len, sizeof req - 1 - 4);
    cr_assert_eq(pc_http_peek((const uint8_t *)resp, sizeof resp - 1, &pk), PC_HTTP_PEEK_RESPONSE);
    cr_assert_eq(pk.status, 404);
    cr_assert_eq(pk.reason.n, 9);
    cr_assert_eq(pk.minor, 0);
    cr_assert_eq(pk.head_len, 0, "the header section is not whole");
    cr_assert_null(pk.host.p);

    /* every truncation, before a guard page: never a read past the end;
     * whole once the start line is */
    for (size_t k = 0; k <= sizeof req - 1; k++) {
        struct th_guard g;
        const uint8_t *p = th_guard_copy(&g, req, k);
        int kind = pc_http_peek(p, k, &pk);
        cr_assert_eq(kind, k >= 21 ? PC_HTTP_PEEK_REQUEST : PC_HTTP_PEEK_NONE, "prefix of %zu bytes", k);
        cr_assert_eq(pk.host.p != NULL, k >= 21 + 13 + 25, "prefix of %zu bytes: host", k);
        cr_assert_eq(pc_http_probe(p, k), k >= 4, "prefix of %zu bytes: probe", k);
        th_guard_free(&g);
    }
    static const char *const no[] = { "GET  HTTP/1.1\r\n", "GET / HTTP/1.1x\r\n", "GET / HTTP/2.0\r\n",
                                      "HTTP/1.1 20 OK\r\n", "HTTP/1.1 2000\r\n", "HTTP/1.1 099 x\r\n",
                                      " GET / HTTP/1.1\r\n", "G(T / HTTP/1.1\r\n", "HTTP/1.1 200 OK" };
    for (size_t i = 0; i < sizeof no / sizeof no[0]; i++)
        cr_assert_eq(pc_http_peek((const uint8_t *)no[i], strlen(no[i]), &pk), PC_HTTP_PEEK_NONE, "%s", no[i]);
    cr_assert_eq(pc_http_peek((const uint8_t *)"HTTP/1.1 200\r\n", 14, &pk), PC_HTTP_PEEK_RESPONSE);
    cr_assert_eq(pk.reason.n, 0);
    cr_assert(pc_http_probe((const uint8_t *)"HTTP/1.", 7));
    cr_assert(pc_http_probe((const uint8_t *)"M-SEARCH *", 10));
    cr_assert(!pc_http_probe((const uint8_t *)"HTTP/2", 6));
    cr_assert(!pc_http_probe((const uint8_t *)"GETX /", 6));
    cr_assert(!pc_http_probe((const uint8_t *)"get /", 5));
    cr_assert(!pc_http_probe((const uint8_t *)"\x16\x03\x01", 3));
}

/* ------------------------------------------------------------ against tshark */

/* The HTTP captures of the corpus: MANIFEST.tsv lines naming http-req,
 * http-resp or http-chunked. */
struct ht_files {
    char **path;
    size_t n;
};

static void ht_corpus_files(struct ht_files *fl)
{
    char mpath[4096];
    snprintf(mpath, sizeof mpath, "%s/../shared/corpus/MANIFEST.tsv", th_root());
    FILE *f = fopen(mpath, "r");
    cr_assert_not_null(f, "the corpus manifest is missing at %s", mpath);
    static char line[16384];
    memset(fl, 0, sizeof *fl);
    while (fgets(line, sizeof line, f)) {
        if (!strstr(line, "http-req") && !strstr(line, "http-resp") && !strstr(line, "http-chunked")) continue;
        line[strcspn(line, "\t")] = 0;
        char **np = realloc(fl->path, (fl->n + 1) * sizeof *np);
        cr_assert_not_null(np);
        fl->path = np;
        size_t len = strlen(th_root()) + strlen(line) + 32;
        fl->path[fl->n] = malloc(len);
        snprintf(fl->path[fl->n], len, "%s/../shared/corpus/%s", th_root(), line);
        fl->n++;
    }
    fclose(f);
}

#define HT_TS_FIELDS \
    "-e frame.number -e http.request.method -e http.request.uri -e http.host -e http.response.code -e tcp.len " \
    "-e http.request.version"
#define HT_TS_NF 7
#define HT_TS_OPTS "-o tcp.desegment_tcp_streams:FALSE"

/* tshark's rows for one capture, run once and cached under the build
 * tree by the file's content. */
static char *ht_tshark_rows(const char *cache, const char *path)
{
    size_t n;
    uint8_t *b = th_slurp(path, &n);
    cr_assert_not_null(b, "cannot read %s", path);
    char key[64];
    snprintf(key, sizeof key, "%016llx-%zu", (unsigned long long)th_fnv(TH_FNV0, b, n), n);
    free(b);
    char out[8192], rc[8192];
    snprintf(out, sizeof out, "%s/%s.out", cache, key);
    snprintf(rc, sizeof rc, "%s/%s.rc", cache, key);
    char *st = th_slurp_text(rc);
    if (!st) {
        /* aggregator: the unit separator, which no URI holds */
        int s = th_sh("tshark -n -r '%s' " HT_TS_OPTS " -T fields -E header=n -E separator=/t -E occurrence=a "
                      "-E \"aggregator=$(printf '\\037')\" " HT_TS_FIELDS " > '%s.tmp' 2>'%s/%s.err'; "
                      "echo $? > '%s.tmp' && mv '%s.tmp' '%s' && mv '%s.tmp' '%s'",
                      path, out, cache, key, rc, out, out, rc, rc);
        cr_assert_eq(s, 0, "could not run tshark on %s", path);
        st = th_slurp_text(rc);
        cr_assert_not_null(st);
    }
    int code = atoi(st);
    free(st);
    char *rows = th_slurp_text(out);
    cr_assert_not_null(rows);
    /* exit 2 with a damaged-file message still leaves the rows before the damage */
    cr_assert(code == 0 || code == 2, "tshark exited %d on %s", code, path);
    return rows;
}

/* The first of tshark's values for a field that repeats (aggregated by
 * the unit separator). */
static void ht_first(char *v)
{
    char *us = strchr(v, '\037');
    if (us) *us = 0;
}

/* tshark's -T fields text for a string: it escapes backslashes and
 * non-printable bytes; ours are raw bytes. */
static void ht_ts_text(struct pc_http_str s, char *out, size_t cap)
{
    size_t k = 0;
    for (size_t i = 0; i < s.n && k + 5 < cap; i++) {
        uint8_t c = (uint8_t)s.p[i];
        if (c == '\\') k += (size_t)snprintf(out + k, cap - k, "\\\\");
        else if (c >= 0x20 && c < 0x7f) out[k++] = (char)c;
        else k += (size_t)snprintf(out + k, cap - k, "\\x%02x", c);
    }
    out[k] = 0;
}

struct ht_oracle {
    size_t files, frames, compared_req, compared_resp, hosts, ours_only, tshark_only, not_whole, not_tcp, no_l4,
        http09, mismatches;
    char detail[4096], unexplained[4096];
};

static void ht_mismatch(struct ht_oracle *o, const char *path, uint64_t frame, const char *what, const char *ours,
                        const char *theirs)
{
    o->mismatches++;
    size_t k = strlen(o->detail);
    snprintf(o->detail + k, sizeof o->detail - k, "%s frame %llu: %s: ours \"%.80s\", tshark \"%.80s\"\n",
             strrchr(path, '/') + 1, (unsigned long long)frame, what, ours, theirs);
}

/* The payload of the outermost TCP layer that is not quoted by an ICMP
 * error: 1 with bytes, 0 without, -1 when there is no such TCP layer. */
static int ht_tcp_payload(const struct pc_decoded *d, const uint8_t **p, size_t *n)
{
    for (int i = 0; i < d->n; i++) {
        const struct pc_layer *l = &d->l[i];
        if (l->proto != PC_P_TCP || (l->flags & (PC_LF_QUOTED | PC_LF_FRAG))) continue;
        uint64_t at = (uint64_t)l->off + l->hlen;
        if (at >= d->caplen) return 0;
        size_t have = d->caplen - (size_t)at;
        *p = d->buf + at;
        *n = l->plen < have ? l->plen : have;
        return *n > 0;
    }
    return -1;
}

static void ht_compare_frame(struct ht_oracle *o, const char *path, uint64_t frame, const struct pc_http_peek *pk,
                             char **cols)
{
    char ours[1024];
    if (pk->kind == PC_HTTP_PEEK_REQUEST) {
        o->compared_req++;
        ht_ts_text(pk->method, ours, sizeof ours);
        if (strcmp(ours, cols[1])) ht_mismatch(o, path, frame, "method", ours, cols[1]);
        ht_ts_text(pk->uri, ours, sizeof ours);
        if (strcmp(ours, cols[2])) ht_mismatch(o, path, frame, "uri", ours, cols[2]);
        ht_ts_text(pk->host.p ? pk->host : (struct pc_http_str){ "", 0 }, ours, sizeof ours);
        if (strcmp(ours, cols[3])) ht_mismatch(o, path, frame, "host", ours, cols[3]);
        if (pk->host.p) o->hosts++;
        if (cols[4][0]) ht_mismatch(o, path, frame, "kind", "request", "response");
    } else {
        o->compared_resp++;
        snprintf(ours, sizeof ours, "%d", pk->status);
        if (strcmp(ours, cols[4])) ht_mismatch(o, path, frame, "status", ours, cols[4]);
        if (cols[1][0]) ht_mismatch(o, path, frame, "kind", "response", "request");
    }
}

static void ht_oracle_file(struct ht_oracle *o, const char *cache, const char *path)
{
    char *text = ht_tshark_rows(cache, path);
    struct pc_err err;
    struct pc_reader *rd = pc_reader_open(path, &err);
    cr_assert_not_null(rd, "%s: %s", path, err.msg);
    o->files++;
    char *row = text;
    struct pc_pkthdr hd;
    const uint8_t *data;
    for (uint64_t frame = 1; pc_reader_next(rd, &hd, &data) == 1; frame++) {
        if (!*row) break; /* tshark stopped earlier (a damaged file) */
        char *nl = strchr(row, '\n');
        if (nl) *nl = 0;
        char *cols[HT_TS_NF];
        th_split_cols(row, cols, HT_TS_NF, (size_t)frame);
        cr_assert_eq(strtoull(cols[0], NULL, 10), frame, "%s: tshark row for frame %s", path, cols[0]);
        row = nl ? nl + 1 : row + strlen(row);
        for (int c = 1; c < 5; c++) ht_first(cols[c]);
        o->frames++;
        struct pc_decoded d;
        pc_decode(&d, data, hd.caplen, hd.len, hd.linktype);
        const uint8_t *p;
        size_t n;
        struct pc_http_peek pk = { 0 };
        int tcp = ht_tcp_payload(&d, &p, &n);
        if (tcp > 0) pc_http_peek(p, n, &pk);
        bool theirs = cols[1][0] || cols[4][0];
        if (theirs && !cols[5][0]) o->not_tcp++; /* HTTP over UDP (SSDP): no TCP payload to peek at */
        else if (theirs && tcp < 0) o->no_l4++;  /* a link or tunnel our decoder does not take to TCP */
        else if (cols[1][0] && !cols[6][0] && !pk.kind) o->http09++; /* "GET /": no version, not HTTP/1.x */
        else if (pk.kind && !pk.head_len) o->not_whole++;
        else if (pk.kind && theirs) ht_compare_frame(o, path, frame, &pk, cols);
        else if (pk.kind) o->ours_only++;
        else if (theirs) {
            o->tshark_only++;
            size_t k = strlen(o->unexplained);
            snprintf(o->unexplained + k, sizeof o->unexplained - k, "%s frame %llu: tshark %s%s\n",
                     strrchr(path, '/') + 1, (unsigned long long)frame, cols[1], cols[4]);
        }
    }
    pc_reader_close(rd);
    free(text);
}

Test(http, peek_agrees_with_tshark_over_the_corpus)
{
    th_tshark_require();
    char cache[4096];
    th_tshark_cache_dir("http peek: tshark -n -r FILE " HT_TS_OPTS " -T fields " HT_TS_FIELDS, cache, sizeof cache);
    struct ht_files fl;
    ht_corpus_files(&fl);
    static struct ht_oracle o;
    for (size_t i = 0; i < fl.n; i++) {
        ht_oracle_file(&o, cache, fl.path[i]);
        free(fl.path[i]);
    }
    free(fl.path);
    cr_log_info("http peek vs tshark: %zu files, %zu frames; compared %zu requests (%zu with Host) and %zu "
                "responses whose head is whole in one TCP payload, %zu mismatches; not compared: %zu start lines "
                "whose head continues in the next segment, %zu heads tshark does not decode as HTTP (port), "
                "%zu HTTP messages over UDP (SSDP), %zu frames the decoder does not take to TCP (PPPoE, MPLS, "
                "AH/IPComp, ARCnet), %zu HTTP/0.9 request lines (no version), %zu TCP payloads tshark decodes where "
                "we see no start line",
                o.files, o.frames, o.compared_req, o.hosts, o.compared_resp, o.mismatches, o.not_whole, o.ours_only,
                o.not_tcp, o.no_l4, o.http09, o.tshark_only);
    if (o.tshark_only) cr_log_info("%s", o.unexplained);
    cr_assert_eq(o.mismatches, 0, "%zu mismatches:\n%s", o.mismatches, o.detail);
    cr_assert_eq(o.tshark_only, 0, "start lines tshark finds and pc_http_peek does not:\n%s", o.unexplained);
    /* Minimums, a little below tshark 4.0.17's figures on the 34 files:
     * 457 requests (all with Host) and 455 responses compared. */
    cr_assert_geq(o.files, 32, "only %zu HTTP captures", o.files);
    cr_assert_geq(o.compared_req, 440, "only %zu requests compared", o.compared_req);
    cr_assert_geq(o.hosts, 440, "only %zu Host fields compared", o.hosts);
    cr_assert_geq(o.compared_resp, 440, "only %zu responses compared", o.compared_resp);
}

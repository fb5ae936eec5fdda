/* The HTTP/1.x message builder (lib/traffic/httpgen.c), suite httpgen:
 * exact bytes of the default messages, field replacement and order,
 * Content-Length computed or pinned (lies kept), chunked framing, bodyless
 * responses, each read back with our own parser (lib/analysis/http.c)
 * whose verdict must match what was built; IMF-fixdate against the C
 * library's gmtime and strftime. */
#define _GNU_SOURCE /* memmem */
#include <criterion/criterion.h>
#include <locale.h>
#include <time.h>

#include "helpers.h"
#include "oracle.h"
#include "pktcraft/traffic/httpgen.h"

TestSuite(httpgen, .timeout = 1800);

/* ------------------------------------------------------------ helpers */

static char *hg_str(const struct pc_httpgen_buf *b)
{
    char *s = malloc(b->len + 1);
    cr_assert_not_null(s);
    if (b->len) memcpy(s, b->p, b->len);
    s[b->len] = 0;
    return s;
}

static bool hg_has(const struct pc_httpgen_buf *b, const char *s)
{
    return b->len && memmem(b->p, b->len, s, strlen(s)) != NULL;
}

static void hg_expect(const struct pc_httpgen_buf *b, const char *want)
{
    cr_assert_eq(b->err, 0, "builder error %d", b->err);
    char *got = hg_str(b);
    cr_assert_str_eq(got, want, "built:\n%s\nwant:\n%s", got, want);
    free(got);
}

/* What our parser saw of one exchange. */
#define HG_MAXX 8
struct hg_seen {
    int n, errors;
    struct {
        char method[32], uri[64], host[64];
        int status;
        int framing[2];
        int64_t cl[2];
        uint64_t body[2];
        uint8_t sha[2][32];
        uint32_t flags[2];
        bool have_req, have_resp;
    } x[HG_MAXX];
};

static void hg_copy(char *d, size_t cap, struct pc_http_str s)
{
    size_t n = s.n < cap - 1 ? s.n : cap - 1;
    if (n) memcpy(d, s.p, n);
    d[n] = 0;
}

static void hg_on_x(void *ctx, const struct pc_http_msg *req, const struct pc_http_msg *resp)
{
    struct hg_seen *s = ctx;
    cr_assert_lt(s->n, HG_MAXX);
    int i = s->n++;
    const struct pc_http_msg *m[2] = { req, resp };
    for (int d = 0; d < 2; d++) {
        if (!m[d]) continue;
        s->x[i].framing[d] = m[d]->framing;
        s->x[i].cl[d] = m[d]->content_length;
        s->x[i].body[d] = m[d]->body_len;
        memcpy(s->x[i].sha[d], m[d]->body_sha256, 32);
        s->x[i].flags[d] = m[d]->flags;
    }
    s->x[i].have_req = req != NULL;
    s->x[i].have_resp = resp != NULL;
    if (req) {
        hg_copy(s->x[i].method, sizeof s->x[i].method, req->method);
        hg_copy(s->x[i].uri, sizeof s->x[i].uri, req->uri);
        hg_copy(s->x[i].host, sizeof s->x[i].host, pc_http_host(req));
    }
    if (resp) s->x[i].status = resp->status;
}

static void hg_on_err(void *ctx, int dir, uint64_t off, const char *why)
{
    struct hg_seen *s = ctx;
    s->errors++;
    cr_log_info("parser: dir %d offset %llu: %s", dir, (unsigned long long)off, why);
}

/* Requests in cli, responses in srv, through the parser in one feed each
 * (then both ends closed). */
static void hg_parse(const struct pc_httpgen_buf *cli, const struct pc_httpgen_buf *srv, struct hg_seen *s)
{
    memset(s, 0, sizeof *s);
    struct pc_http_cbs cbs = { .exchange = hg_on_x, .error = hg_on_err };
    struct pc_http *h = pc_http_new(NULL, &cbs, s);
    cr_assert_not_null(h);
    pc_http_feed(h, PC_HTTP_CLIENT, cli->p, cli->len, 1);
    pc_http_feed(h, PC_HTTP_SERVER, srv->p, srv->len, 2);
    pc_http_end(h, PC_HTTP_CLIENT, 3);
    pc_http_end(h, PC_HTTP_SERVER, 3);
    pc_http_free(h);
}

#define T_1994 ((pc_time_ns)784111777 * PC_NS_PER_SEC)

/* -------------------------------------------------------------- tests */

Test(httpgen, default_get_and_response)
{
    struct pc_httpgen_buf b = { 0 };
    struct pc_httpgen_req rq = { .host = "example.com" };
    cr_assert_eq(pc_httpgen_request(&b, &rq), 0);
    hg_expect(&b, "GET / HTTP/1.1\r\nHost: example.com\r\nUser-Agent: pktcraft/" PC_VERSION_STRING
                  "\r\nAccept: */*\r\nConnection: keep-alive\r\n\r\n");
    pc_httpgen_buf_free(&b);
    cr_assert_null(b.p);

    struct pc_httpgen_resp rs = { .date = T_1994 + 999999999, .close = true, .body = (const uint8_t *)"hello",
                                  .body_len = 5 };
    cr_assert_eq(pc_httpgen_response(&b, &rs), 0);
    hg_expect(&b, "HTTP/1.1 200 OK\r\nServer: pktcraft/" PC_VERSION_STRING
                  "\r\nDate: Sun, 06 Nov 1994 08:49:37 GMT\r\nContent-Type: text/html\r\nContent-Length: 5\r\n"
                  "Connection: close\r\n\r\nhello");
    pc_httpgen_buf_free(&b);
}

Test(httpgen, post_body_gets_its_content_length)
{
    struct pc_httpgen_buf c = { 0 }, s = { 0 };
    static const char body[] = "name=pktcraft&x=1";
    struct pc_httpgen_req rq = { .method = "POST", .uri = "/form", .host = "h", .http10 = true, .close = true,
                                 .body = (const uint8_t *)body, .body_len = strlen(body) };
    cr_assert_eq(pc_httpgen_request(&c, &rq), 0);
    hg_expect(&c, "POST /form HTTP/1.0\r\nHost: h\r\nUser-Agent: pktcraft/" PC_VERSION_STRING
                  "\r\nAccept: */*\r\nConnection: close\r\nContent-Length: 17\r\n"
                  "Content-Type: application/x-www-form-urlencoded\r\n\r\nname=pktcraft&x=1");
    /* a POST without a body still says so */
    struct pc_httpgen_buf e = { 0 };
    struct pc_httpgen_req empty = { .method = "PUT" };
    cr_assert(pc_httpgen_req_has_length(&empty));
    cr_assert_eq(pc_httpgen_request(&e, &empty), 0);
    cr_assert(hg_has(&e, "\r\nContent-Length: 0\r\n"));
    cr_assert(!hg_has(&e, "Content-Type"));
    pc_httpgen_buf_free(&e);

    uint8_t big[70000];
    pc_httpgen_text(big, sizeof big);
    struct pc_httpgen_resp rs = { .http10 = true, .close = true, .body = big, .body_len = sizeof big };
    cr_assert_eq(pc_httpgen_response(&s, &rs), 0);
    cr_assert(hg_has(&s, "\r\nContent-Length: 70000\r\n"));

    struct hg_seen seen;
    hg_parse(&c, &s, &seen);
    cr_assert_eq(seen.errors, 0);
    cr_assert_eq(seen.n, 1);
    cr_assert_str_eq(seen.x[0].method, "POST");
    cr_assert_str_eq(seen.x[0].uri, "/form");
    cr_assert_str_eq(seen.x[0].host, "h");
    cr_assert_eq(seen.x[0].cl[0], 17);
    cr_assert_eq(seen.x[0].body[0], 17);
    cr_assert_eq(seen.x[0].framing[1], PC_HTTP_BODY_LENGTH);
    cr_assert_eq(seen.x[0].cl[1], 70000);
    cr_assert_eq(seen.x[0].body[1], 70000);
    uint8_t want[32];
    pc_sha256(big, sizeof big, want);
    cr_assert(!memcmp(want, seen.x[0].sha[1], 32));
    pc_httpgen_buf_free(&c);
    pc_httpgen_buf_free(&s);
}

Test(httpgen, pinned_content_length_lies_are_kept)
{
    struct pc_httpgen_buf c = { 0 }, s = { 0 };
    struct pc_httpgen_field rf[] = { { "Content-Length", "3" } };
    struct pc_httpgen_req rq = { .method = "POST", .host = "h", .fields = rf, .nfields = 1,
                                 .body = (const uint8_t *)"abcdef", .body_len = 6 };
    cr_assert_eq(pc_httpgen_request(&c, &rq), 0);
    /* exactly one Content-Length, the pinned one, in the default's place */
    cr_assert(hg_has(&c, "Connection: keep-alive\r\nContent-Length: 3\r\nContent-Type:"));
    cr_assert(!hg_has(&c, "Content-Length: 6"));

    /* a response that claims 10 bytes and sends 4; a second pinned field too */
    struct pc_httpgen_field sf[] = { { "content-length", "10" }, { "Content-Length", "4" } };
    struct pc_httpgen_resp rs = { .fields = sf, .nfields = 2, .body = (const uint8_t *)"data", .body_len = 4,
                                  .no_date = true };
    cr_assert_eq(pc_httpgen_response(&s, &rs), 0);
    hg_expect(&s, "HTTP/1.1 200 OK\r\nServer: pktcraft/" PC_VERSION_STRING
                  "\r\nContent-Type: text/html\r\ncontent-length: 10\r\nConnection: keep-alive\r\n"
                  "Content-Length: 4\r\n\r\ndata");

    /* our parser reads the request's lie as the framing: "abc", then "def" is no request */
    struct hg_seen seen;
    struct pc_httpgen_buf none = { 0 };
    hg_parse(&c, &none, &seen);
    cr_assert_geq(seen.n, 1);
    cr_assert_eq(seen.x[0].cl[0], 3);
    cr_assert_eq(seen.x[0].body[0], 3);
    /* and flags the response's two different lengths */
    hg_parse(&none, &s, &seen);
    cr_assert_eq(seen.n, 1);
    cr_assert(seen.x[0].flags[1] & PC_HTTP_F_BAD_CL);
    pc_httpgen_buf_free(&c);
    pc_httpgen_buf_free(&s);
}

Test(httpgen, caller_fields_replace_remove_and_follow)
{
    struct pc_httpgen_buf b = { 0 };
    struct pc_httpgen_field f[] = {
        { "X-First", "1" }, { "accept", "text/plain" }, { "User-Agent", NULL }, { "X-Second", "2" },
        { "Accept", "again" }, { "Cookie", "a=b" },
    };
    struct pc_httpgen_req rq = { .method = "DELETE", .uri = "/x?y=1", .host = "[2001:db8::1]:8080", .fields = f,
                                 .nfields = 6 };
    cr_assert_eq(pc_httpgen_request(&b, &rq), 0);
    hg_expect(&b, "DELETE /x?y=1 HTTP/1.1\r\nHost: [2001:db8::1]:8080\r\naccept: text/plain\r\n"
                  "Connection: keep-alive\r\nX-First: 1\r\nX-Second: 2\r\nAccept: again\r\nCookie: a=b\r\n\r\n");
    pc_httpgen_buf_free(&b);

    /* response: a Server of the caller's, no Date, a Content-Type from the option */
    struct pc_httpgen_field sf[] = { { "Server", "nginx/1.24.0" }, { "Date", NULL }, { "ETag", "\"1\"" } };
    struct pc_httpgen_resp rs = { .status = 404, .content_type = "application/json", .fields = sf, .nfields = 3,
                                  .body = (const uint8_t *)"{}", .body_len = 2, .close = true };
    cr_assert_eq(pc_httpgen_response(&b, &rs), 0);
    hg_expect(&b, "HTTP/1.1 404 Not Found\r\nServer: nginx/1.24.0\r\nContent-Type: application/json\r\n"
                  "Content-Length: 2\r\nConnection: close\r\nETag: \"1\"\r\n\r\n{}");
    pc_httpgen_buf_free(&b);
}

/* Chunked bodies of every size around the chunk boundaries parse back to
 * the same bytes, in the expected number of chunks. */
Test(httpgen, chunked_framing_parses_back)
{
    static uint8_t body[3 * 4096 + 7];
    pc_httpgen_text(body, sizeof body);
    const size_t sizes[] = { 0, 1, 4095, 4096, 4097, 8192, sizeof body };
    const size_t per[] = { 0, 1000, 1 };
    struct pc_httpgen_buf c = { 0 };
    struct pc_httpgen_req rq = { .host = "h" };
    cr_assert_eq(pc_httpgen_request(&c, &rq), 0);
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        for (size_t k = 0; k < 3; k++) {
            size_t n = per[k] == 1 ? sizes[i] % 50 : sizes[i];
            struct pc_httpgen_buf s = { 0 };
            struct pc_httpgen_resp rs = { .chunked = true, .chunk_size = per[k], .body = body, .body_len = n };
            cr_assert_eq(pc_httpgen_response(&s, &rs), 0);
            cr_assert(!hg_has(&s, "Content-Length"));
            cr_assert(hg_has(&s, "\r\nTransfer-Encoding: chunked\r\n"));
            size_t unit = per[k] ? per[k] : 4096, chunks = (n + unit - 1) / unit;
            /* the framing: head, then per chunk "hex CRLF data CRLF", then "0 CRLF CRLF" */
            const uint8_t *end = memmem(s.p, s.len, "\r\n\r\n", 4);
            cr_assert_not_null(end);
            size_t off = (size_t)(end - s.p) + 4, got = 0;
            for (size_t ch = 0; ch < chunks; ch++) {
                size_t want = n - got < unit ? n - got : unit;
                char line[24];
                int ll = snprintf(line, sizeof line, "%zx\r\n", want);
                cr_assert(!memcmp(s.p + off, line, (size_t)ll), "size %zu per %zu: chunk %zu line", n, unit, ch);
                off += (size_t)ll;
                cr_assert(!memcmp(s.p + off, body + got, want));
                off += want;
                cr_assert(!memcmp(s.p + off, "\r\n", 2));
                off += 2;
                got += want;
            }
            cr_assert_eq(s.len - off, 5);
            cr_assert(!memcmp(s.p + off, "0\r\n\r\n", 5));

            struct hg_seen seen;
            hg_parse(&c, &s, &seen);
            cr_assert_eq(seen.errors, 0);
            cr_assert_eq(seen.n, 1);
            cr_assert_eq(seen.x[0].framing[1], PC_HTTP_BODY_CHUNKED);
            cr_assert_eq(seen.x[0].body[1], n, "size %zu: parser read %llu", n,
                         (unsigned long long)seen.x[0].body[1]);
            uint8_t want[32];
            pc_sha256(body, n, want);
            cr_assert(!memcmp(want, seen.x[0].sha[1], 32));
            cr_assert_eq(seen.x[0].flags[1], 0);
            pc_httpgen_buf_free(&s);
        }
    }
    pc_httpgen_buf_free(&c);
}

/* Three exchanges on one connection, the second a HEAD (fields, no body),
 * the third a 304: the parser pairs all three and finds no stray bytes. */
Test(httpgen, head_204_304_have_no_body)
{
    static uint8_t body[5000];
    pc_httpgen_text(body, sizeof body);
    struct pc_httpgen_buf c = { 0 }, s = { 0 };
    const char *methods[] = { "GET", "HEAD", "GET", "GET" };
    const int status[] = { 200, 200, 304, 204 };
    for (int i = 0; i < 4; i++) {
        struct pc_httpgen_req rq = { .method = methods[i], .uri = "/r", .host = "h", .close = i == 3 };
        cr_assert_eq(pc_httpgen_request(&c, &rq), 0);
        struct pc_httpgen_resp rs = { .status = status[i], .head = i == 1, .chunked = i == 1, .close = i == 3,
                                      .body = body, .body_len = sizeof body };
        bool has = pc_httpgen_resp_has_body(&rs);
        cr_assert_eq(has, i == 0);
        size_t before = s.len;
        cr_assert_eq(pc_httpgen_response(&s, &rs), 0);
        const uint8_t *end = memmem(s.p + before, s.len - before, "\r\n\r\n", 4);
        cr_assert_not_null(end);
        size_t after = (size_t)(s.p + s.len - end) - 4;
        cr_assert_eq(after, has ? sizeof body : 0, "response %d: %zu bytes after the head", i, after);
        bool cl = memmem(s.p + before, s.len - before, "Content-Length", 14) != NULL;
        cr_assert_eq(cl, i == 0, "response %d: Content-Length %s", i, cl ? "present" : "absent");
        bool ct = memmem(s.p + before, s.len - before, "Content-Type", 12) != NULL;
        cr_assert_eq(ct, i < 2);
    }
    cr_assert(hg_has(&s, "HTTP/1.1 304 Not Modified\r\n"));
    cr_assert(hg_has(&s, "HTTP/1.1 204 No Content\r\n"));
    struct hg_seen seen;
    hg_parse(&c, &s, &seen);
    cr_assert_eq(seen.errors, 0);
    cr_assert_eq(seen.n, 4);
    for (int i = 0; i < 4; i++) {
        cr_assert(seen.x[i].have_req && seen.x[i].have_resp, "exchange %d unpaired", i);
        cr_assert_str_eq(seen.x[i].method, methods[i]);
        cr_assert_eq(seen.x[i].status, status[i]);
        cr_assert_eq(seen.x[i].body[1], i == 0 ? sizeof body : 0);
    }
    pc_httpgen_buf_free(&c);
    pc_httpgen_buf_free(&s);
}

Test(httpgen, status_reason_and_range)
{
    cr_assert_str_eq(pc_httpgen_reason(200), "OK");
    cr_assert_str_eq(pc_httpgen_reason(404), "Not Found");
    cr_assert_str_eq(pc_httpgen_reason(413), "Content Too Large");
    cr_assert_str_eq(pc_httpgen_reason(599), "Unknown");
    struct pc_httpgen_buf b = { 0 };
    struct pc_httpgen_resp bad = { .status = 99 }, bad2 = { .status = 1000 };
    cr_assert_eq(pc_httpgen_response(&b, &bad), PC_EINVAL);
    cr_assert_eq(pc_httpgen_response(&b, &bad2), PC_EINVAL);
    cr_assert_eq(b.len, 0);
    struct pc_httpgen_resp own = { .status = 599, .reason = "Made Up", .no_date = true };
    cr_assert_eq(pc_httpgen_response(&b, &own), 0);
    cr_assert(!memcmp(b.p, "HTTP/1.1 599 Made Up\r\n", 22));
    pc_httpgen_buf_free(&b);
}

/* IMF-fixdate against gmtime_r + strftime in the C locale, over a spread
 * of times (leap days, centuries, before 1970) and fractions of seconds. */
Test(httpgen, imf_fixdate_matches_the_c_library)
{
    setlocale(LC_TIME, "C");
    struct pc_rng r;
    pc_rng_seed(&r, 7);
    size_t checked = 0;
    for (int i = 0; i < 20000; i++) {
        int64_t sec;
        if (i == 0) sec = 0;
        else if (i == 1) sec = 951782400;   /* 2000-02-29 */
        else if (i == 2) sec = -1;
        else if (i == 3) sec = 4107542399; /* 2100-02-28T23:59:59, not a leap year */
        else sec = (int64_t)(pc_rng_next(&r) % UINT64_C(18000000000)) - INT64_C(9000000000); /* 1684..2255 */
        pc_time_ns ns = (pc_time_ns)sec * PC_NS_PER_SEC + (pc_time_ns)(pc_rng_next(&r) % PC_NS_PER_SEC);
        char got[PC_HTTPGEN_DATE_MAX], want[64];
        size_t n = pc_httpgen_date(ns, got);
        time_t t = (time_t)sec;
        struct tm tm;
        cr_assert_not_null(gmtime_r(&t, &tm));
        size_t wn = strftime(want, sizeof want, "%a, %d %b %Y %H:%M:%S GMT", &tm);
        cr_assert_eq(n, 29, "%lld: '%s'", (long long)sec, got);
        cr_assert_eq(wn, n);
        cr_assert_str_eq(got, want, "%lld", (long long)sec);
        checked++;
    }
    cr_assert_eq(checked, 20000);
    char d[PC_HTTPGEN_DATE_MAX];
    pc_httpgen_date(T_1994, d);
    cr_assert_str_eq(d, "Sun, 06 Nov 1994 08:49:37 GMT");
}

Test(httpgen, generated_text_is_printable_and_stable)
{
    static uint8_t a[10000], b[10000];
    pc_httpgen_text(a, sizeof a);
    pc_httpgen_text(b, 5000);
    cr_assert(!memcmp(a, b, 5000), "a shorter text is a prefix of a longer one");
    size_t lines = 0;
    for (size_t i = 0; i < sizeof a; i++) {
        cr_assert((a[i] >= 0x20 && a[i] < 0x7f) || a[i] == '\n', "byte %zu: 0x%02x", i, a[i]);
        lines += a[i] == '\n';
    }
    cr_assert_gt(lines, 100);
    cr_assert(!memcmp(a, "000001 ", 7));
}

Test(httpgen, buffer_limits_and_errors_are_sticky)
{
    struct pc_httpgen_buf b = { 0 };
    pc_httpgen_put(&b, "x", 1);
    cr_assert_eq(b.len, 1);
    pc_httpgen_put(&b, "y", PC_HTTPGEN_MAX);
    cr_assert_eq(b.err, PC_ELIMIT);
    pc_httpgen_put(&b, "z", 1);
    cr_assert_eq(b.len, 1);
    struct pc_httpgen_req rq = { 0 };
    cr_assert_eq(pc_httpgen_request(&b, &rq), PC_ELIMIT);
    pc_httpgen_buf_free(&b);
    cr_assert_eq(b.err, 0);
    cr_assert_eq(b.len, 0);
}

/* ============================================ CLI: pktcraft http (suite httpgen)
 *
 * Each capture gets one tshark run (-T fields and -z follow,tcp,raw,0
 * together): every request and response decoded with the expected method,
 * URI, Host, status, Content-Length or chunked coding and body bytes; no
 * expert warning or error with checksums verified; the followed stream's
 * bytes are the ones the truth file counts and digests, and our own parser
 * reads them as the same exchanges.  Then `pktcraft extract http` must
 * agree with the truth file's facts, item by item. */

#define HX_NONE ((size_t)-1)

struct hx_ex {
    const char *method, *uri, *host;
    int status;
    const uint8_t *req_body;
    size_t req_len;
    const uint8_t *body;  /* the response body bytes sent (none for HEAD, 204, 304) */
    size_t body_len;
    size_t cl;            /* the Content-Length tshark must show, HX_NONE for none */
    bool chunked;
};

/* tshark's text for bytes (format_text: C escapes, \xhh) back to bytes. */
static size_t hx_unescape(const char *s, uint8_t *out, size_t cap)
{
    static const char from[] = "abfnrtv\\\"'", to[] = "\a\b\f\n\r\t\v\\\"'";
    size_t n = 0;
    while (*s && n < cap) {
        if (*s != '\\') {
            out[n++] = (uint8_t)*s++;
            continue;
        }
        s++;
        const char *k = *s ? strchr(from, *s) : NULL;
        if (k) {
            out[n++] = (uint8_t)to[k - from];
            s++;
        } else if (*s == 'x') {
            unsigned v = 0;
            cr_assert_eq(sscanf(s + 1, "%2x", &v), 1, "tshark escape \\x without digits");
            out[n++] = (uint8_t)v;
            s += 3;
        } else {
            unsigned v = 0;
            int used = 0;
            cr_assert_eq(sscanf(s, "%3o%n", &v, &used), 1, "unknown tshark escape '\\%c'", *s);
            out[n++] = (uint8_t)v;
            s += used;
        }
    }
    return n;
}

static void hx_expect_bytes(const char *what, size_t i, const char *tshark_text, const uint8_t *want, size_t n)
{
    static uint8_t got[1 << 20];
    size_t k = hx_unescape(tshark_text, got, sizeof got);
    cr_assert_eq(k, n, "%s %zu: tshark shows %zu body bytes, want %zu", what, i + 1, k, n);
    cr_assert(!n || !memcmp(got, want, n), "%s %zu: body bytes differ at %zu", what, i + 1,
              th_first_diff(got, k, want, n));
}

/* The followed stream, per direction (0 client, 1 server). */
struct hx_follow {
    uint8_t *b[2];
    size_t n[2], cap[2];
};

static void hx_follow_line(struct hx_follow *f, const char *line)
{
    int d = line[0] == '\t';
    const char *hex = line + d;
    size_t len = strlen(hex);
    cr_assert_eq(len % 2, 0, "odd follow line: %s", line);
    if (f->n[d] + len / 2 > f->cap[d]) {
        f->cap[d] = (f->n[d] + len / 2) * 2;
        f->b[d] = realloc(f->b[d], f->cap[d]);
        cr_assert_not_null(f->b[d]);
    }
    f->n[d] += th_unhex(hex, f->b[d] + f->n[d], len / 2);
}

static void hx_make(const char *pcap, const char *args)
{
    int rc = th_sh("'%s' %s --start 1700000000 --truth -o '%s' 2>'%s.err'", th_cli(), args, pcap, pcap);
    char errf[256];
    snprintf(errf, sizeof errf, "%s.err", pcap);
    char *err = th_slurp_text(errf);
    cr_assert_eq(rc, 0, "pktcraft %s: exit %d: %s", args, rc, err ? err : "");
    free(err);
}

/* The truth file must hold exactly this text (its key order is fixed). */
static void hx_truth_has(const char *truth, const char *path, const char *want)
{
    cr_assert_not_null(strstr(truth, want), "%s lacks\n%s\nit holds\n%s", path, want, truth);
}

static void hx_truth_flow(const char *truth, const char *path, const struct hx_follow *fl)
{
    static const char *const key[2] = { "client_to_server", "server_to_client" };
    for (int d = 0; d < 2; d++) {
        uint8_t sha[32];
        char hex[65], want[256];
        pc_sha256(fl->b[d] ? fl->b[d] : (const uint8_t *)"", fl->n[d], sha);
        pc_hex(sha, 32, hex);
        snprintf(want, sizeof want, "\"%s\":{\"sent\":%zu,\"delivered\":%zu,\"sha256\":\"%s\"}", key[d], fl->n[d],
                 fl->n[d], hex);
        hx_truth_has(truth, path, want);
    }
}

static void hx_truth_facts(const char *truth, const char *path, const struct hx_ex *ex, size_t nex)
{
    for (size_t i = 0; i < nex; i++) {
        uint8_t sha[32];
        char hex[65], want[1024];
        pc_sha256(ex[i].body ? ex[i].body : (const uint8_t *)"", ex[i].body_len, sha);
        pc_hex(sha, 32, hex);
        snprintf(want, sizeof want,
                 "{\"method\":\"%s\",\"uri\":\"%s\",\"host\":\"%s\",\"status\":%d,\"request_body_len\":%zu,"
                 "\"response_body_len\":%zu,\"response_body_sha256\":\"%s\",\"chunked\":%s}",
                 ex[i].method, ex[i].uri, ex[i].host, ex[i].status, ex[i].req_len, ex[i].body_len, hex,
                 ex[i].chunked ? "true" : "false");
        hx_truth_has(truth, path, want);
    }
}

/* `pktcraft extract http` against the truth file, compared by python3's
 * json module (an independent reader of both). */
static const char HX_AGREE_HTTP[] =
    "import json, sys\n"
    "t = json.load(open(sys.argv[1]))['app']['http']\n"
    "x = [json.loads(l) for l in open(sys.argv[2]) if l.strip()]\n"
    "assert len(t) == len(x), ('items', len(t), len(x))\n"
    "keys = (('method', 'method'), ('uri', 'uri'), ('host', 'host'), ('status', 'status'),\n"
    "        ('request_body_len', 'request_body_len'), ('response_body_len', 'body_len'),\n"
    "        ('response_body_sha256', 'body_sha256'), ('chunked', 'chunked'))\n"
    "for i, (a, b) in enumerate(zip(t, x)):\n"
    "    for k, kk in keys:\n"
    "        assert a[k] == b[kk], (i, k, a[k], b[kk])\n"
    "    assert not b['flags'], (i, b['flags'])\n"
    "print('agree', len(t))\n";

static void hx_extract_agrees(const char *dir, const char *pcap, const char *kind, const char *script, size_t items)
{
    char py[128], x[256];
    snprintf(py, sizeof py, "%s/agree-%s.py", dir, kind);
    snprintf(x, sizeof x, "%s.extract.jsonl", pcap);
    th_put_file(py, script, strlen(script));
    cr_assert_eq(th_sh("'%s' extract %s --format jsonl '%s' > '%s'", th_cli(), kind, pcap, x), 0,
                 "pktcraft extract %s %s failed", kind, pcap);
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "python3 '%s' '%s.truth.json' '%s' 2>&1", py, pcap, x);
    int st;
    char *out = th_cmd_output(cmd, &st);
    char want[32];
    snprintf(want, sizeof want, "agree %zu\n", items);
    cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0 && !strcmp(out, want),
              "extract %s and the truth file of %s disagree:\n%s", kind, pcap, out);
    free(out);
}

enum { HF_FRAME, HF_METHOD, HF_URI, HF_HOST, HF_CODE, HF_CL, HF_TE, HF_DATA, HF_MAL, HF_SEV, HF_MSG, HF_N };
static const char *const HX_FIELDS[HF_N] = {
    "frame.number", "http.request.method", "http.request.uri", "http.host", "http.response.code",
    "http.content_length", "http.transfer_encoding", "http.file_data", "_ws.malformed", "_ws.expert.severity",
    "_ws.expert.message",
};

/* No expert warning in a row but those a fault must cause (allow: message
 * prefixes, NULL-terminated, may be NULL), each counted in seen. */
static void hx_expert(const char *frame, const char *sev, const char *msg, const char *const *allow, size_t *seen)
{
    struct th_expert it = { sev, msg };
    unsigned long v;
    const char *m;
    size_t ml;
    while (th_expert_next(&it, &v, &m, &ml)) {
        if (v < TH_SEV_WARN) continue;
        size_t k = 0;
        while (allow && allow[k] && strncmp(m, allow[k], strlen(allow[k]))) k++;
        cr_assert(allow && allow[k], "frame %s: expert warning: %.*s", frame, (int)ml, m);
        seen[k]++;
    }
}

/* tshark's rows: requests and responses in order against ex. */
static size_t hx_check_rows(struct th_rows *rows, const struct hx_ex *ex, size_t nex, struct hx_follow *fl,
                            const char *const *allow)
{
    size_t nreq = 0, nresp = 0, r = 0, frames = 0, seen[8] = { 0 };
    for (; r < rows->n && rows->row[r][0]; r++) {
        char *c[HF_N];
        th_split_cols(rows->row[r], c, HF_N, r + 1);
        frames++;
        th_expert_clean(c[HF_MAL], c[HF_SEV], c[HF_MSG], r + 1);
        hx_expert(c[HF_FRAME], c[HF_SEV], c[HF_MSG], allow, seen);
        if (c[HF_METHOD][0]) {
            cr_assert_lt(nreq, nex, "frame %s: more requests than the %zu made", c[HF_FRAME], nex);
            const struct hx_ex *e = &ex[nreq];
            cr_assert_str_eq(c[HF_METHOD], e->method, "request %zu", nreq + 1);
            cr_assert_str_eq(c[HF_URI], e->uri, "request %zu", nreq + 1);
            cr_assert_str_eq(c[HF_HOST], e->host, "request %zu", nreq + 1);
            hx_expect_bytes("request", nreq, c[HF_DATA], e->req_body, e->req_len);
            nreq++;
        }
        if (c[HF_CODE][0]) {
            cr_assert_lt(nresp, nex, "frame %s: more responses than the %zu made", c[HF_FRAME], nex);
            const struct hx_ex *e = &ex[nresp];
            cr_assert_eq(atoi(c[HF_CODE]), e->status, "response %zu: status %s", nresp + 1, c[HF_CODE]);
            if (e->cl == HX_NONE) cr_assert_str_empty(c[HF_CL], "response %zu: Content-Length %s", nresp + 1, c[HF_CL]);
            else cr_assert_eq(strtoull(c[HF_CL], NULL, 10), e->cl, "response %zu: Content-Length '%s'", nresp + 1, c[HF_CL]);
            cr_assert_str_eq(c[HF_TE], e->chunked ? "chunked" : "", "response %zu", nresp + 1);
            hx_expect_bytes("response", nresp, c[HF_DATA], e->body, e->body_len);
            nresp++;
        }
    }
    for (size_t k = 0; allow && allow[k]; k++)
        cr_assert_gt(seen[k], 0, "the fault should make tshark warn \"%s\"", allow[k]);
    cr_assert_eq(nreq, nex, "tshark decoded %zu requests, %zu made", nreq, nex);
    cr_assert_eq(nresp, nex, "tshark decoded %zu responses, %zu made", nresp, nex);
    /* then the follow block: ===, Follow:, Filter:, Node 0:, Node 1:, data, === */
    bool data = false;
    for (; r < rows->n; r++) {
        const char *l = rows->row[r];
        if (!strncmp(l, "Node 1:", 7)) { data = true; continue; }
        if (!data || !l[0]) continue;
        if (l[0] == '=') break;
        hx_follow_line(fl, l);
    }
    cr_assert(data, "tshark printed no follow,tcp,raw block");
    return frames;
}

/* Our parser over the followed bytes: the same exchanges. */
static void hx_check_parse(const struct hx_follow *fl, const struct hx_ex *ex, size_t nex)
{
    struct pc_httpgen_buf c = { .p = fl->b[0], .len = fl->n[0] }, s = { .p = fl->b[1], .len = fl->n[1] };
    struct hg_seen seen;
    hg_parse(&c, &s, &seen);
    cr_assert_eq(seen.errors, 0);
    cr_assert_eq((size_t)seen.n, nex);
    for (size_t i = 0; i < nex; i++) {
        cr_assert(seen.x[i].have_req && seen.x[i].have_resp, "exchange %zu unpaired", i + 1);
        cr_assert_str_eq(seen.x[i].method, ex[i].method);
        cr_assert_str_eq(seen.x[i].uri, ex[i].uri);
        cr_assert_str_eq(seen.x[i].host, ex[i].host);
        cr_assert_eq(seen.x[i].status, ex[i].status);
        cr_assert_eq(seen.x[i].body[0], ex[i].req_len);
        cr_assert_eq(seen.x[i].body[1], ex[i].body_len);
        int framing = !strcmp(ex[i].method, "HEAD") || (!ex[i].chunked && ex[i].cl == HX_NONE) ? PC_HTTP_BODY_NONE
                      : ex[i].chunked                                                       ? PC_HTTP_BODY_CHUNKED
                                                                                            : PC_HTTP_BODY_LENGTH;
        cr_assert_eq(seen.x[i].framing[1], framing, "exchange %zu: framing %d", i + 1, seen.x[i].framing[1]);
        uint8_t sha[32];
        pc_sha256(ex[i].body ? ex[i].body : (const uint8_t *)"", ex[i].body_len, sha);
        cr_assert(!memcmp(sha, seen.x[i].sha[1], 32), "exchange %zu: body digest", i + 1);
        cr_assert_eq(seen.x[i].flags[0] | seen.x[i].flags[1], 0, "exchange %zu: parser flags", i + 1);
    }
}

/* What a CLI test holds, released by hx_fini even when an assertion ends
 * the test early. */
static struct {
    char dir[64];
    struct th_rows rows;
    struct hx_follow fl;
    char *truth;
    char *out;      /* a command's output */
} hx;

static void hx_fini(void)
{
    th_tshark_cleanup(hx.dir, &hx.rows);
    free(hx.fl.b[0]);
    free(hx.fl.b[1]);
    free(hx.truth);
    free(hx.out);
    memset(&hx, 0, sizeof hx);
}

/* Segments a fault holds back or drops are reassembled when they come
 * (tshark's default waits for in-order data only); the stream follows. */
#define HX_TS_OPTS " -o tcp.reassemble_out_of_order:TRUE -z follow,tcp,raw,0"

/* Make the capture, then every check above.  Returns the frame count. */
static size_t hx_run_allow(const char *name, const char *args, const struct hx_ex *ex, size_t nex,
                           const char *const *allow)
{
    char pcap[128];
    const char *tshark = th_tshark_setup(hx.dir, NULL, NULL, 0, NULL);
    snprintf(pcap, sizeof pcap, "%s/%s.pcap", hx.dir, name);
    hx_make(pcap, args);
    th_tshark_fields(&hx.rows, tshark, hx.dir, pcap, NULL, TH_TS_CHECKSUMS HX_TS_OPTS, HX_FIELDS, HF_N);
    size_t frames = hx_check_rows(&hx.rows, ex, nex, &hx.fl, allow);
    hx_check_parse(&hx.fl, ex, nex);
    char tp[160];
    snprintf(tp, sizeof tp, "%s.truth.json", pcap);
    hx.truth = th_slurp_text(tp);
    cr_assert_not_null(hx.truth, "no %s", tp);
    hx_truth_flow(hx.truth, tp, &hx.fl);
    hx_truth_facts(hx.truth, tp, ex, nex);
    char want[64];
    snprintf(want, sizeof want, "\"command\":\"http\",\"packets\":%zu,", frames);
    hx_truth_has(hx.truth, tp, want);
    hx_extract_agrees(hx.dir, pcap, "http", HX_AGREE_HTTP, nex);
    return frames;
}

static size_t hx_run(const char *name, const char *args, const struct hx_ex *ex, size_t nex)
{
    return hx_run_allow(name, args, ex, nex, NULL);
}

/* The generated text --resp-size N sends: its first N bytes. */
#define HX_TEXT_MAX 65536
static const uint8_t *hx_text(void)
{
    static uint8_t b[HX_TEXT_MAX];
    pc_httpgen_text(b, sizeof b);
    return b;
}

Test(httpgen, cli_get_ipv4, .fini = hx_fini)
{
    const uint8_t *body = hx_text();
    struct hx_ex ex[] = { { .method = "GET", .uri = "/index.html", .host = "10.0.0.2", .status = 200, .body = body,
                            .body_len = 5000, .cl = 5000 } };
    size_t frames = hx_run("get4", "http --src 10.0.0.1 --dst 10.0.0.2 --uri /index.html --resp-size 5000", ex, 1);
    /* handshake 3, request 1, response 4 segments (5146 bytes at 1448) with ACKs, teardown */
    cr_assert_geq(frames, 3 + 1 + 4 + 3);
}

Test(httpgen, cli_post_ipv6_port_8080, .fini = hx_fini)
{
    static const char req[] = "{\"a\":1}", resp[] = "created\n";
    struct hx_ex ex[] = { { .method = "POST", .uri = "/api", .host = "[2001:db8::2]:8080", .status = 201,
                            .req_body = (const uint8_t *)req, .req_len = 7, .body = (const uint8_t *)resp,
                            .body_len = 8, .cl = 8 } };
    hx_run("post6",
           "http --src 2001:db8::1 --dst 2001:db8::2 --dport 8080 --method POST --uri /api --body '{\"a\":1}' "
           "--header 'Content-Type: application/json' --status 201 --resp-body 'created\\n' "
           "--resp-header 'Content-Type: text/plain'",
           ex, 1);
}

Test(httpgen, cli_chunked, .fini = hx_fini)
{
    const uint8_t *body = hx_text();
    struct hx_ex ex[] = { { .method = "GET", .uri = "/c", .host = "example.org", .status = 200, .body = body,
                            .body_len = 5500, .cl = HX_NONE, .chunked = true } };
    hx_run("chunked",
           "http --src 10.1.0.1 --dst 10.1.0.2 --host example.org --uri /c --chunked --chunk-size 1000 "
           "--resp-size 5500",
           ex, 1);
}

Test(httpgen, cli_chunked_ipv6, .fini = hx_fini)
{
    const uint8_t *body = hx_text();
    struct hx_ex ex[] = { { .method = "GET", .uri = "/big", .host = "[2001:db8::2]", .status = 200, .body = body,
                            .body_len = 20000, .cl = HX_NONE, .chunked = true } };
    hx_run("chunked6", "http --src 2001:db8::1 --dst 2001:db8::2 --uri /big --chunked --resp-size 20000", ex, 1);
}

Test(httpgen, cli_keep_alive_requests_3, .fini = hx_fini)
{
    const uint8_t *body = hx_text();
    struct hx_ex ex[3];
    for (int i = 0; i < 3; i++)
        ex[i] = (struct hx_ex){ .method = "GET", .uri = "/k", .host = "10.0.0.2", .status = 200, .body = body,
                                .body_len = 3000, .cl = 3000 };
    hx_run("keepalive", "http --src 10.0.0.1 --dst 10.0.0.2 --uri /k --resp-size 3000 --requests 3", ex, 3);
}

/* A server segment lost (packet 6, the second of the first response):
 * tshark sees the gap and the retransmission, and everything else is as
 * without the fault; the truth file records the drop. */
Test(httpgen, cli_keep_alive_with_a_drop, .fini = hx_fini)
{
    const uint8_t *body = hx_text();
    struct hx_ex ex[3];
    for (int i = 0; i < 3; i++)
        ex[i] = (struct hx_ex){ .method = "GET", .uri = "/", .host = "10.0.0.2", .status = 200, .body = body,
                                .body_len = 3000, .cl = 3000 };
    static const char *const allow[] = { "Previous segment(s) not captured", NULL };
    hx_run_allow("drop", "http --src 10.0.0.1 --dst 10.0.0.2 --resp-size 3000 --requests 3 --fault drop:6", ex, 3,
                 allow);
    hx_truth_has(hx.truth, "drop truth",
                 "\"faults\":[{\"fault\":\"drop\",\"packet\":6,\"applied\":true,\"packets\":[");
    hx_truth_has(hx.truth, "drop truth", "\"what\":[\"retransmission\"]");
}

/* --next groups on one connection: HEAD (fields, no body), 404, 204, 304
 * and a chunked one between them; IPv6. */
Test(httpgen, cli_groups_with_next, .fini = hx_fini)
{
    const uint8_t *body = hx_text();
    static const char gone[] = "not here";
    struct hx_ex ex[] = {
        { .method = "GET", .uri = "/a", .host = "[2001:db8::2]", .status = 200, .body = body, .body_len = 2000,
          .cl = 2000 },
        { .method = "HEAD", .uri = "/a", .host = "[2001:db8::2]", .status = 200, .cl = 2000 },
        { .method = "GET", .uri = "/gone", .host = "www.example.com", .status = 404, .body = (const uint8_t *)gone,
          .body_len = 8, .cl = 8 },
        { .method = "DELETE", .uri = "/x", .host = "www.example.com", .status = 204, .cl = HX_NONE },
        { .method = "GET", .uri = "/c", .host = "www.example.com", .status = 200, .body = body, .body_len = 2000,
          .cl = HX_NONE, .chunked = true },
        { .method = "GET", .uri = "/a", .host = "www.example.com", .status = 304, .cl = HX_NONE },
    };
    hx_run("groups",
           "http --src 2001:db8::1 --dst 2001:db8::2 --uri /a --resp-size 2000 "
           "--next --method HEAD --uri /a --resp-size 2000 "
           "--next --host www.example.com --uri /gone --status 404 --resp-body 'not here' "
           "--next --method DELETE --uri /x --status 204 "
           "--next --uri /c --chunked --chunk-size 700 --resp-size 2000 "
           "--next --uri /a --status 304",
           ex, 6);
}

/* What tshark cannot judge: the bytes.  The same arguments give the same
 * capture; the last exchange says Connection: close and the server closes
 * first; HTTP/1.0 is written as asked; bad values are usage errors. */
/* A command's whole output into hx.out (replacing the last); exit 0 or a
 * failure. */
static const char *hx_out(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static const char *hx_out(const char *fmt, ...)
{
    char cmd[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof cmd, fmt, ap);
    va_end(ap);
    free(hx.out);
    int st;
    hx.out = th_cmd_output(cmd, &st);
    cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0, "`%s` failed: %s", cmd, hx.out);
    return hx.out;
}

Test(httpgen, cli_bytes_and_usage, .fini = hx_fini)
{
    char a[128], b[128];
    th_tmpdir(hx.dir);
    snprintf(a, sizeof a, "%s/a.pcap", hx.dir);
    snprintf(b, sizeof b, "%s/b.pcap", hx.dir);
    const char *args = "http --src 10.0.0.1 --dst 10.0.0.2 --requests 2 --http-version 1.0 --seed 5";
    hx_make(a, args);
    hx_make(b, args);
    cr_assert_eq(th_sh("cmp -s '%s' '%s'", a, b), 0, "the same arguments gave different captures");
    const char *out = hx_out("'%s' read '%s'", th_cli(), a);
    cr_assert_not_null(strstr(out, "HTTP GET / host 10.0.0.2"), "%s", out);
    /* the server's FIN comes first (the truth says so too) */
    out = hx_out("grep -c '\"close\":\"server-fin\"' '%s.truth.json'", a);
    cr_assert_str_eq(out, "1\n");
    /* HTTP/1.0 both ways; Connection: keep-alive, then close, in both directions */
    out = hx_out("tshark -n -r '%s' -Y http -T fields -e http.request.version -e http.response.version "
                 "-e http.connection 2>/dev/null | tr '\\t\\n' ' /'", a);
    cr_assert_str_eq(out, "HTTP/1.0  keep-alive/ HTTP/1.0 keep-alive/HTTP/1.0  close/ HTTP/1.0 close/");
    static const char *const bad[] = {
        "--chunked --http-version 1.0", "--header nocolon", "--header ': x'", "--status 99", "--requests 0",
        "--http-version 2", "--data x", "--resp-size 1G", "--chunk-size 0", "--send x", "--header 'A B: c'",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int rc = th_sh("'%s' http --src 10.0.0.1 --dst 10.0.0.2 %s -o '%s/bad.pcap' 2>/dev/null", th_cli(), bad[i],
                       hx.dir);
        cr_assert_eq(rc, 2, "'%s': exit %d, want 2", bad[i], rc);
    }
    cr_assert_eq(th_sh("test -e '%s/bad.pcap'", hx.dir), 1, "a usage error left a capture");
}

/* ================================================= CLI: dns --exchange (suite dnsx)
 *
 * One tshark run per capture: exactly a query and a response with the
 * same id and question, tshark pairing them (dns.response_to), addresses
 * and ports swapped, the answers given; no expert warning or error.
 * `pktcraft extract dns` agrees with the truth file. */

TestSuite(dnsx, .timeout = 1800);

enum { DF_FRAME, DF_ID, DF_RESP, DF_QNAME, DF_A, DF_CNAME, DF_RTO, DF_SRC4, DF_SRC6, DF_USP, DF_UDP, DF_TSP, DF_TDP,
       DF_PROTO, DF_MAL, DF_SEV, DF_MSG, DF_N };
static const char *const DX_FIELDS[DF_N] = {
    "frame.number", "dns.id", "dns.flags.response", "dns.qry.name", "dns.a", "dns.cname", "dns.response_to",
    "ip.src", "ipv6.src", "udp.srcport", "udp.dstport", "tcp.srcport", "tcp.dstport", "frame.protocols",
    "_ws.malformed", "_ws.expert.severity", "_ws.expert.message",
};

static const char DX_AGREE_DNS[] =
    "import json, sys\n"
    "t = json.load(open(sys.argv[1]))['app']['dns']\n"
    "x = [json.loads(l) for l in open(sys.argv[2]) if l.strip()]\n"
    "assert len(x) == 1, ('items', len(x))\n"
    "x = x[0]\n"
    "assert x['status'] == 'matched', x['status']\n"
    "for k in ('id', 'qname', 'qtype', 'rcode', 'answers'):\n"
    "    assert t[k] == x[k], (k, t[k], x[k])\n"
    "print('agree', 1)\n";

static void dx_run(const char *name, const char *src, const char *dst, bool tcp)
{
    char pcap[128], args[1024];
    const char *tshark = th_tshark_setup(hx.dir, NULL, NULL, 0, NULL);
    snprintf(pcap, sizeof pcap, "%s/%s.pcap", hx.dir, name);
    snprintf(args, sizeof args,
             "dns --exchange%s --src %s --dst %s --qname www.example.com --answer 'www.example.com CNAME "
             "web.example.com 60' --answer 'web.example.com A 93.184.216.34' --answer 'web.example.com A 192.0.2.7'",
             tcp ? " --tcp" : "", src, dst);
    hx_make(pcap, args);
    struct th_rows *rows = &hx.rows;
    th_tshark_fields(rows, tshark, hx.dir, pcap, NULL, TH_TS_CHECKSUMS, DX_FIELDS, DF_N);
    long qframe = -1, rframe = -1;
    char qid[16] = "", rid[16] = "";
    unsigned cport = 0;
    for (size_t r = 0; r < rows->n; r++) {
        char *c[DF_N];
        th_split_cols(rows->row[r], c, DF_N, r + 1);
        unsigned long worst = th_expert_clean(c[DF_MAL], c[DF_SEV], c[DF_MSG], r + 1);
        cr_assert_lt(worst, TH_SEV_WARN, "frame %s: expert warning: %s", c[DF_FRAME], c[DF_MSG]);
        const char *sp = tcp ? c[DF_TSP] : c[DF_USP], *dp = tcp ? c[DF_TDP] : c[DF_UDP];
        const char *from = c[DF_SRC4][0] ? c[DF_SRC4] : c[DF_SRC6];
        if (!tcp) cr_assert_not_null(strstr(c[DF_PROTO], ":udp:dns"), "frame %s: %s", c[DF_FRAME], c[DF_PROTO]);
        else cr_assert_not_null(strstr(c[DF_PROTO], ":tcp"), "frame %s: %s", c[DF_FRAME], c[DF_PROTO]);
        /* every frame goes between the two ends, client port to 53 or back */
        if (!strcmp(from, src)) {
            cr_assert_str_eq(dp, "53");
            cport = (unsigned)atoi(sp);
        } else {
            cr_assert_str_eq(from, dst, "frame %s from %s", c[DF_FRAME], from);
            cr_assert_str_eq(sp, "53");
            cr_assert_eq((unsigned)atoi(dp), cport);
        }
        if (!c[DF_ID][0]) continue;
        cr_assert_str_eq(c[DF_QNAME], "www.example.com");
        if (!strcmp(c[DF_RESP], "0") || !strcmp(c[DF_RESP], "False")) {
            cr_assert_eq(qframe, -1, "a second query in frame %s", c[DF_FRAME]);
            qframe = atol(c[DF_FRAME]);
            snprintf(qid, sizeof qid, "%s", c[DF_ID]);
            cr_assert_str_eq(c[DF_A], "");
            cr_assert_str_eq(from, src);
        } else {
            cr_assert_eq(rframe, -1, "a second response in frame %s", c[DF_FRAME]);
            rframe = atol(c[DF_FRAME]);
            snprintf(rid, sizeof rid, "%s", c[DF_ID]);
            cr_assert_str_eq(c[DF_A], "93.184.216.34|192.0.2.7");
            cr_assert_str_eq(c[DF_CNAME], "web.example.com");
            cr_assert_eq(atol(c[DF_RTO]), qframe, "response frame %s answers frame %s, the query is %ld",
                         c[DF_FRAME], c[DF_RTO], qframe);
            cr_assert_str_eq(from, dst);
        }
    }
    cr_assert_gt(qframe, 0, "tshark saw no query");
    cr_assert_gt(rframe, qframe, "tshark saw no response after the query");
    cr_assert_str_eq(qid, rid);
    cr_assert_eq(rows->n, tcp ? 8u : 2u, "%zu frames", rows->n);
    char tp[160], want[128];
    snprintf(tp, sizeof tp, "%s.truth.json", pcap);
    char *truth = hx.truth = th_slurp_text(tp);
    cr_assert_not_null(truth);
    snprintf(want, sizeof want, "\"dns\":{\"id\":%lu,\"qname\":\"www.example.com\",\"qtype\":\"A\",\"rcode\":\"NOERROR\"",
             strtoul(qid, NULL, 16));
    hx_truth_has(truth, tp, want);
    snprintf(want, sizeof want, "\"proto\":\"%s\"", tcp ? "tcp" : "udp");
    hx_truth_has(truth, tp, want);
    hx_extract_agrees(hx.dir, pcap, "dns", DX_AGREE_DNS, 1);
}

Test(dnsx, udp_ipv4, .fini = hx_fini) { dx_run("udp4", "10.0.0.1", "10.0.0.53", false); }
Test(dnsx, udp_ipv6, .fini = hx_fini) { dx_run("udp6", "2001:db8::1", "2001:db8::53", false); }
Test(dnsx, tcp_ipv4, .fini = hx_fini) { dx_run("tcp4", "10.0.0.1", "10.0.0.53", true); }
Test(dnsx, tcp_ipv6, .fini = hx_fini) { dx_run("tcp6", "2001:db8::1", "2001:db8::53", true); }

/* The flags and fields land where they belong: --id, --sport and the
 * rcode on both or the response, RD and CD copied, --set dns.* on the
 * response only; options of the exchange are refused without it. */
Test(dnsx, flags_ids_and_usage, .fini = hx_fini)
{
    char pcap[128];
    th_tmpdir(hx.dir);
    snprintf(pcap, sizeof pcap, "%s/f.pcap", hx.dir);
    hx_make(pcap, "dns --exchange --src 10.0.0.1 --dst 10.0.0.53 --sport 40000 --id 4660 --qname nope.example "
                  "--rcode NXDOMAIN --aa --cd --edns --set dns.arcount=0");
    /* query: RD CD, one OPT; response: QR AA RD RA CD NXDOMAIN, the OPT count pinned to 0 */
    const char *out = hx_out("tshark -n -r '%s' -T fields -e udp.srcport -e dns.id -e dns.flags -e dns.count.add_rr "
                             "2>/dev/null", pcap);
    cr_assert_str_eq(out, "40000\t0x1234\t0x0110\t1\n53\t0x1234\t0x8593\t0\n", "%s", out);
    /* the options of a conversation need --exchange */
    static const char *const bad[] = { "--mss 100", "--truth", "--fault drop:1", "--rtt 1ms" };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int rc = th_sh("'%s' dns --src 10.0.0.1 --dst 10.0.0.53 --qname a %s -o '%s/bad.pcap' 2>/dev/null", th_cli(),
                       bad[i], hx.dir);
        cr_assert_eq(rc, 2, "'%s' without --exchange: exit %d, want 2", bad[i], rc);
    }
    cr_assert_eq(th_sh("'%s' dns --exchange --src 10.0.0.1 --dst 10.0.0.53 --answer 'a A 1.2.3.4' -o '%s/b.pcap' "
                       "2>/dev/null", th_cli(), hx.dir), 2, "--exchange without --qname");
    cr_assert_eq(th_sh("'%s' dns --exchange --response --src 10.0.0.1 --dst 10.0.0.53 --qname a -o '%s/b.pcap' "
                       "2>/dev/null", th_cli(), hx.dir), 2, "--exchange with --response");
}

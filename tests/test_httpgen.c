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

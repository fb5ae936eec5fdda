/* HTTP/1.x message builder (include/pktcraft/traffic/httpgen.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "pktcraft/traffic/httpgen.h"

#define DEFAULT_AGENT "pktcraft/" PC_VERSION_STRING
#define DEFAULT_CHUNK 4096
#define MAX_SLOTS 8

/* ------------------------------------------------------------- buffer */

void pc_httpgen_buf_free(struct pc_httpgen_buf *b)
{
    free(b->p);
    memset(b, 0, sizeof *b);
}

void pc_httpgen_put(struct pc_httpgen_buf *b, const void *p, size_t n)
{
    if (b->err || n == 0) return;
    if (n > PC_HTTPGEN_MAX - b->len) {
        b->err = PC_ELIMIT;
        return;
    }
    if (b->len + n > b->cap) {
        size_t cap = b->cap ? b->cap : 1024;
        while (cap < b->len + n) cap *= 2;
        uint8_t *q = realloc(b->p, cap);
        if (!q) {
            b->err = PC_ENOMEM;
            return;
        }
        b->p = q;
        b->cap = cap;
    }
    memcpy(b->p + b->len, p, n);
    b->len += n;
}

static void put_str(struct pc_httpgen_buf *b, const char *s) { pc_httpgen_put(b, s, strlen(s)); }

static void put_field(struct pc_httpgen_buf *b, const char *name, const char *value)
{
    put_str(b, name);
    pc_httpgen_put(b, ": ", 2);
    put_str(b, value);
    pc_httpgen_put(b, "\r\n", 2);
}

/* ------------------------------------------------------------- fields */

/* A default field: its name, and its value (NULL: not sent by default,
 * but a caller's field of that name still goes in its place). */
struct slot {
    const char *name;
    const char *value;
};

/* The caller's first field named name, or NULL. */
static const struct pc_httpgen_field *user_field(const struct pc_httpgen_field *f, size_t nf, const char *name)
{
    for (size_t i = 0; i < nf; i++)
        if (f[i].name && !strcasecmp(f[i].name, name)) return &f[i];
    return NULL;
}

static bool is_slot(const struct slot *s, size_t ns, const char *name)
{
    for (size_t i = 0; i < ns; i++)
        if (!strcasecmp(s[i].name, name)) return true;
    return false;
}

/* The defaults in their order, each replaced or removed by the caller's
 * first field of its name; then the caller's other fields in order (a
 * second field with a default's name is one of these). */
static void put_fields(struct pc_httpgen_buf *b, const struct slot *s, size_t ns, const struct pc_httpgen_field *f,
                       size_t nf)
{
    for (size_t i = 0; i < ns; i++) {
        const struct pc_httpgen_field *u = user_field(f, nf, s[i].name);
        if (u) {
            if (u->value) put_field(b, u->name, u->value);
        } else if (s[i].value) {
            put_field(b, s[i].name, s[i].value);
        }
    }
    for (size_t i = 0; i < nf; i++) {
        if (!f[i].name || !f[i].value) continue;
        if (is_slot(s, ns, f[i].name) && user_field(f, nf, f[i].name) == &f[i]) continue;
        put_field(b, f[i].name, f[i].value);
    }
    pc_httpgen_put(b, "\r\n", 2);
}

/* Does the caller give a field of this name with a value? */
static bool user_gives(const struct pc_httpgen_field *f, size_t nf, const char *name)
{
    const struct pc_httpgen_field *u = user_field(f, nf, name);
    return u && u->value;
}

/* ------------------------------------------------------------ request */

bool pc_httpgen_req_has_length(const struct pc_httpgen_req *r)
{
    static const char *const with_content[] = { "POST", "PUT", "PATCH" };
    if (r->body_len) return true;
    for (size_t i = 0; i < sizeof with_content / sizeof with_content[0]; i++)
        if (r->method && !strcmp(r->method, with_content[i])) return true;
    return false;
}

int pc_httpgen_request(struct pc_httpgen_buf *b, const struct pc_httpgen_req *r)
{
    put_str(b, r->method ? r->method : "GET");
    pc_httpgen_put(b, " ", 1);
    put_str(b, r->uri ? r->uri : "/");
    put_str(b, r->http10 ? " HTTP/1.0\r\n" : " HTTP/1.1\r\n");

    char cl[24];
    snprintf(cl, sizeof cl, "%zu", r->body_len);
    bool length = pc_httpgen_req_has_length(r) && !user_gives(r->fields, r->nfields, "Transfer-Encoding");
    struct slot s[MAX_SLOTS] = {
        { "Host", r->host },
        { "User-Agent", r->user_agent ? r->user_agent : DEFAULT_AGENT },
        { "Accept", "*/*" },
        { "Connection", r->close ? "close" : "keep-alive" },
        { "Content-Length", length ? cl : NULL },
        { "Content-Type",
          r->body_len ? (r->content_type ? r->content_type : "application/x-www-form-urlencoded") : NULL },
        { "Transfer-Encoding", NULL },
    };
    put_fields(b, s, 7, r->fields, r->nfields);
    pc_httpgen_put(b, r->body, r->body_len);
    return b->err;
}

/* ----------------------------------------------------------- response */

static int resp_status(const struct pc_httpgen_resp *r) { return r->status ? r->status : 200; }

/* 1xx, 204 and 304 never have a body (RFC 9112 section 6.3). */
static bool status_bodyless(int st) { return st < 200 || st == 204 || st == 304; }

bool pc_httpgen_resp_has_body(const struct pc_httpgen_resp *r)
{
    return !r->head && !status_bodyless(resp_status(r));
}

/* size bytes of body in chunks of at most per bytes, then the last chunk
 * and the empty trailer section. */
static void put_chunked(struct pc_httpgen_buf *b, const uint8_t *p, size_t n, size_t per)
{
    char line[24];
    for (size_t off = 0; off < n; off += per) {
        size_t k = n - off < per ? n - off : per;
        snprintf(line, sizeof line, "%zx\r\n", k);
        put_str(b, line);
        pc_httpgen_put(b, p + off, k);
        pc_httpgen_put(b, "\r\n", 2);
    }
    pc_httpgen_put(b, "0\r\n\r\n", 5);
}

int pc_httpgen_response(struct pc_httpgen_buf *b, const struct pc_httpgen_resp *r)
{
    int st = resp_status(r);
    if (st < 100 || st > 999) return PC_EINVAL;
    char line[64];
    snprintf(line, sizeof line, "HTTP/1.%d %03d ", r->http10 ? 0 : 1, st);
    put_str(b, line);
    put_str(b, r->reason ? r->reason : pc_httpgen_reason(st));
    pc_httpgen_put(b, "\r\n", 2);

    char date[PC_HTTPGEN_DATE_MAX], cl[24];
    pc_httpgen_date(r->date, date);
    snprintf(cl, sizeof cl, "%zu", r->body_len);
    bool bodyless = status_bodyless(st);
    bool user_te = user_gives(r->fields, r->nfields, "Transfer-Encoding");
    struct slot s[MAX_SLOTS] = {
        { "Server", r->server ? r->server : DEFAULT_AGENT },
        { "Date", r->no_date ? NULL : date },
        { "Content-Type", bodyless ? NULL : r->content_type ? r->content_type : "text/html" },
        { "Content-Length", bodyless || r->chunked || user_te ? NULL : cl },
        { "Transfer-Encoding", !bodyless && r->chunked ? "chunked" : NULL },
        { "Connection", r->close ? "close" : "keep-alive" },
    };
    put_fields(b, s, 6, r->fields, r->nfields);
    if (!pc_httpgen_resp_has_body(r)) return b->err;
    if (r->chunked) put_chunked(b, r->body, r->body_len, r->chunk_size ? r->chunk_size : DEFAULT_CHUNK);
    else pc_httpgen_put(b, r->body, r->body_len);
    return b->err;
}

/* -------------------------------------------------------------- texts */

const char *pc_httpgen_reason(int status)
{
    static const struct {
        int code;
        const char *text;
    } t[] = {
        { 100, "Continue" }, { 101, "Switching Protocols" }, { 200, "OK" }, { 201, "Created" },
        { 202, "Accepted" }, { 203, "Non-Authoritative Information" }, { 204, "No Content" },
        { 205, "Reset Content" }, { 206, "Partial Content" }, { 300, "Multiple Choices" },
        { 301, "Moved Permanently" }, { 302, "Found" }, { 303, "See Other" }, { 304, "Not Modified" },
        { 305, "Use Proxy" }, { 307, "Temporary Redirect" }, { 308, "Permanent Redirect" },
        { 400, "Bad Request" }, { 401, "Unauthorized" }, { 402, "Payment Required" }, { 403, "Forbidden" },
        { 404, "Not Found" }, { 405, "Method Not Allowed" }, { 406, "Not Acceptable" },
        { 407, "Proxy Authentication Required" }, { 408, "Request Timeout" }, { 409, "Conflict" },
        { 410, "Gone" }, { 411, "Length Required" }, { 412, "Precondition Failed" }, { 413, "Content Too Large" },
        { 414, "URI Too Long" }, { 415, "Unsupported Media Type" }, { 416, "Range Not Satisfiable" },
        { 417, "Expectation Failed" }, { 421, "Misdirected Request" }, { 422, "Unprocessable Content" },
        { 426, "Upgrade Required" }, { 500, "Internal Server Error" }, { 501, "Not Implemented" },
        { 502, "Bad Gateway" }, { 503, "Service Unavailable" }, { 504, "Gateway Timeout" },
        { 505, "HTTP Version Not Supported" },
    };
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++)
        if (t[i].code == status) return t[i].text;
    return "Unknown";
}

/* Days since 1970-01-01 to a civil date (proleptic Gregorian), without
 * gmtime: the same on every host and for any 64-bit time. */
static void civil(int64_t days, int64_t *y, int *m, int *d)
{
    days += 719468;
    int64_t era = (days >= 0 ? days : days - 146096) / 146097;
    int64_t doe = days - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = yoe + era * 400 + (*m <= 2);
}

size_t pc_httpgen_date(pc_time_ns ts, char out[PC_HTTPGEN_DATE_MAX])
{
    static const char *const wday[] = { "Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed" };
    static const char *const mon[] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                       "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
    int64_t sec = ts / PC_NS_PER_SEC - (ts % PC_NS_PER_SEC < 0);
    int64_t days = sec / 86400 - (sec % 86400 < 0);
    int64_t tod = sec - days * 86400;
    int64_t y;
    int m, d;
    civil(days, &y, &m, &d);
    /* int64 nanoseconds span the years 1677..2262: always four digits */
    int n = snprintf(out, PC_HTTPGEN_DATE_MAX, "%s, %02d %s %04d %02d:%02d:%02d GMT", wday[((days % 7) + 7) % 7], d,
                     mon[m - 1], (int)y, (int)(tod / 3600), (int)(tod / 60 % 60), (int)(tod % 60));
    return n < 0 ? 0 : (size_t)n;
}

void pc_httpgen_text(uint8_t *out, size_t n)
{
    char line[96];
    size_t off = 0;
    for (uint64_t k = 1; off < n; k++) {
        int len = snprintf(line, sizeof line, "%06llu pktcraft generated text: the quick brown fox jumps over the lazy dog\n",
                           (unsigned long long)k);
        size_t take = (size_t)len < n - off ? (size_t)len : n - off;
        memcpy(out + off, line, take);
        off += take;
    }
}

/* fuzz_http: the HTTP/1.x parser (pktcraft/analysis/http.h).  The input is
 *     [cfg] [split, 2 bytes big-endian] [seed, 4 bytes] [stream bytes]
 * the stream bytes before the split point (modulo their length + 1) are
 * the client's, the rest the server's.  The seed drives a small generator
 * that cuts each direction into pieces and puts gaps between some of
 * them; cfg picks the limits (bits 0-1: the defaults, or small ones that
 * are reached), the piece sizes (bits 2-3), whether there are gaps (bit
 * 4 clear), which direction ends first (bit 5) and whether the client
 * side ends before the server's bytes come (bit 6).
 *
 * The same conversation is run three times:
 *   A  each direction fed whole between its gaps (client first);
 *   B  the same, piece by piece (each piece a separate allocation of its
 *      exact size, so ASan sees any read past it);
 *   C  the directions interleaved piece by piece, the server side ending
 *      as soon as its bytes are out; then more bytes and a gap, which an
 *      ended parser must ignore.
 * Checked: A and B give the same callbacks (a digest of every exchange,
 * field, body digest and error); every delivered message is consistent
 * (strings readable, counts within the limits, names tokens, values
 * trimmed, body length and SHA-256 those of the body callbacks, lengths
 * against Content-Length); every request and response is delivered
 * exactly once; pc_http_peek and pc_http_probe on the raw bytes stay in
 * bounds; nothing leaks. */
#include <string.h>

#include "fuzz.h"
#include "pktcraft/analysis/http.h"
#include "pktcraft/core/hash.h"
#include "pktcraft/core/limits.h"

#define HTTP_RING 256    /* finished bodies remembered per direction */
#define HTTP_PIECES 4096 /* pieces per direction at most (the rest is one piece) */

struct http_body {
    uint64_t off, n;
    struct pc_sha256 sha;
};

struct http_run {
    uint64_t digest;
    uint64_t lim_fields, lim_head;
    uint64_t fed[2];               /* stream bytes (and gap bytes) given so far */
    struct http_body cur[2];       /* the body being received, per direction */
    bool have[2];
    struct http_body done[2][HTTP_RING];
    size_t ndone[2];
    uint64_t callbacks;
};

/* ------------------------------------------------------------ digest */

static void http_mix(struct http_run *r, const void *p, size_t n)
{
    const uint8_t *b = p;
    for (size_t i = 0; i < n; i++) r->digest = (r->digest ^ b[i]) * UINT64_C(0x100000001b3);
}

static void http_mix_u(struct http_run *r, uint64_t v) { http_mix(r, &v, sizeof v); }

static void http_mix_s(struct http_run *r, struct pc_http_str s)
{
    http_mix_u(r, s.n);
    http_mix(r, s.p, s.n);
}

/* ------------------------------------------------------------ bodies */

static const struct http_body *http_body_of(const struct http_run *r, int dir, uint64_t off)
{
    if (r->have[dir] && r->cur[dir].off == off) return &r->cur[dir];
    size_t n = r->ndone[dir] < HTTP_RING ? r->ndone[dir] : HTTP_RING;
    for (size_t k = 0; k < n; k++) {
        const struct http_body *b = &r->done[dir][(r->ndone[dir] - 1 - k) % HTTP_RING];
        if (b->off == off) return b;
    }
    return NULL;
}

static void http_on_body(void *ctx, int dir, const struct pc_http_msg *m, const uint8_t *p, size_t n)
{
    struct http_run *r = ctx;
    FZ_CHECK(dir == 0 || dir == 1, "body direction %d", dir);
    FZ_CHECK(m->dir == dir, "body of a direction-%d message on direction %d", m->dir, dir);
    FZ_CHECK(n > 0, "empty body callback");
    fz_touch(p, n);
    if (!r->have[dir] || r->cur[dir].off != m->offset) {
        if (r->have[dir]) r->done[dir][r->ndone[dir]++ % HTTP_RING] = r->cur[dir];
        r->cur[dir].off = m->offset;
        r->cur[dir].n = 0;
        pc_sha256_init(&r->cur[dir].sha);
        r->have[dir] = true;
    }
    r->cur[dir].n += n;
    pc_sha256_update(&r->cur[dir].sha, p, n);
    FZ_CHECK(m->body_len == r->cur[dir].n, "body_len %llu after %llu bytes", (unsigned long long)m->body_len,
             (unsigned long long)r->cur[dir].n);
    r->callbacks++;
}

/* ------------------------------------------------------------ messages */

/* The accessors agree with the fields they look through. */
static void http_check_access(const struct pc_http_msg *m)
{
    FZ_CHECK(pc_http_content_length(m) == m->content_length, "pc_http_content_length");
    FZ_CHECK(pc_http_framing_name(m->framing)[0] != '?', "framing %d has no name", m->framing);
    for (unsigned b = 0; b < PC_HTTP_F_COUNT; b++)
        if (m->flags & 1u << b) FZ_CHECK(pc_http_flag_name(b), "flag bit %u has no name", b);
    struct pc_http_str host = pc_http_host(m);
    const struct pc_http_field *f = pc_http_field(m, "HOST");
    FZ_CHECK(f ? host.p == f->value.p && host.n == f->value.n : !host.p, "pc_http_host and pc_http_field differ");
    size_t n = 0;
    for (; f; f = pc_http_field_next(m, "host", f)) {
        FZ_CHECK(f >= m->fields && f < m->fields + m->nfields, "pc_http_field_next outside the fields");
        n++;
    }
    FZ_CHECK(n <= m->nfields, "%zu Host fields of %zu", n, m->nfields);
    (void)pc_http_user_agent(m);
    (void)pc_http_content_type(m);
    if (m->ntrailers) {
        const struct pc_http_field *t = pc_http_trailer(m, "x-sum");
        FZ_CHECK(!t || (t >= m->trailers && t < m->trailers + m->ntrailers), "pc_http_trailer outside");
    }
}

static bool http_tchar(uint8_t c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           (c && strchr("!#$%&'*+-.^_`|~", c));
}

static void http_check_field(const struct pc_http_field *f)
{
    FZ_CHECK(f->name.p && f->value.p, "a field with a NULL pointer");
    FZ_CHECK(f->name.n > 0, "an empty field name");
    for (size_t i = 0; i < f->name.n; i++) FZ_CHECK(http_tchar((uint8_t)f->name.p[i]), "field name byte %zu", i);
    fz_touch(f->value.p, f->value.n);
    if (f->value.n) {
        uint8_t a = (uint8_t)f->value.p[0], z = (uint8_t)f->value.p[f->value.n - 1];
        FZ_CHECK(a != ' ' && a != '\t' && z != ' ' && z != '\t', "field value not trimmed");
        FZ_CHECK(!memchr(f->value.p, '\n', f->value.n), "LF inside a field value");
    }
}

static void http_check_lengths(const struct pc_http_msg *m)
{
    FZ_CHECK(m->framing >= PC_HTTP_BODY_NONE && m->framing <= PC_HTTP_BODY_CLOSE, "framing %d", m->framing);
    FZ_CHECK(m->framing != PC_HTTP_BODY_CLOSE || m->dir == PC_HTTP_SERVER, "a request read to the close");
    FZ_CHECK(m->content_length >= -1, "content length %lld", (long long)m->content_length);
    FZ_CHECK(!m->body_lost == !(m->flags & PC_HTTP_F_BODY_LOST), "body_lost %llu, flags %x",
             (unsigned long long)m->body_lost, m->flags);
    FZ_CHECK(m->framing != PC_HTTP_BODY_NONE || !m->body_len, "%llu body bytes without a body",
             (unsigned long long)m->body_len);
    FZ_CHECK(!m->ntrailers || m->framing == PC_HTTP_BODY_CHUNKED, "trailers without chunked framing");
    if (m->framing != PC_HTTP_BODY_LENGTH) return;
    uint64_t cl = (uint64_t)m->content_length, got = m->body_len + m->body_lost;
    FZ_CHECK(m->content_length >= 0, "a Content-Length body of %lld", (long long)m->content_length);
    FZ_CHECK(got <= cl, "%llu body bytes for a Content-Length of %llu", (unsigned long long)got,
             (unsigned long long)cl);
    if (!(m->flags & (PC_HTTP_F_INCOMPLETE | PC_HTTP_F_EARLY)))
        FZ_CHECK(got == cl, "complete message with %llu of %llu body bytes", (unsigned long long)got,
                 (unsigned long long)cl);
}

static void http_check_msg(struct http_run *r, const struct pc_http_msg *m, int dir)
{
    FZ_CHECK(m->dir == dir, "message of direction %d delivered as %d", m->dir, dir);
    FZ_CHECK(m->method.p && m->uri.p && m->reason.p, "a NULL string");
    fz_touch(m->method.p, m->method.n);
    fz_touch(m->uri.p, m->uri.n);
    fz_touch(m->reason.p, m->reason.n);
    if (dir == PC_HTTP_CLIENT)
        FZ_CHECK(m->method.n > 0 && m->uri.n > 0 && !m->status, "request: method %zu, uri %zu, status %d",
                 m->method.n, m->uri.n, m->status);
    else
        FZ_CHECK(m->status >= 100 && m->status <= 999 && !m->method.n, "response: status %d", m->status);
    FZ_CHECK(m->major == 1, "version %u.%u", m->major, m->minor);
    FZ_CHECK(m->nfields <= r->lim_fields && m->ntrailers <= r->lim_fields, "%zu fields, %zu trailers",
             m->nfields, m->ntrailers);
    FZ_CHECK(!m->nfields == !m->fields && !m->ntrailers == !m->trailers, "field arrays and counts disagree");
    for (size_t i = 0; i < m->nfields; i++) http_check_field(&m->fields[i]);
    for (size_t i = 0; i < m->ntrailers; i++) http_check_field(&m->trailers[i]);
    FZ_CHECK(m->head_len <= r->lim_head, "head of %llu bytes", (unsigned long long)m->head_len);
    FZ_CHECK(m->offset + m->head_len <= r->fed[dir], "head past the bytes given");
    FZ_CHECK(!(m->flags >> PC_HTTP_F_COUNT), "unknown flags %x", m->flags);
    FZ_CHECK(!m->interim == !(m->flags & PC_HTTP_F_INTERIM), "interim %u, flags %x", m->interim, m->flags);
    http_check_lengths(m);
    http_check_access(m);
    /* the length and digest are those of what the body callback saw */
    const struct http_body *b = http_body_of(r, dir, m->offset);
    uint8_t want[32];
    if (b) {
        FZ_CHECK(m->body_len == b->n, "body_len %llu, %llu bytes seen", (unsigned long long)m->body_len,
                 (unsigned long long)b->n);
        struct pc_sha256 c = b->sha;
        pc_sha256_final(&c, want);
    } else {
        FZ_CHECK(!m->body_len, "body_len %llu without body callbacks", (unsigned long long)m->body_len);
        pc_sha256("", 0, want);
    }
    FZ_CHECK(!memcmp(want, m->body_sha256, 32), "body digest differs from the bytes delivered");
}

static void http_mix_msg(struct http_run *r, const struct pc_http_msg *m)
{
    http_mix_u(r, m ? 1 : 0);
    if (!m) return;
    http_mix_s(r, m->method);
    http_mix_s(r, m->uri);
    http_mix_s(r, m->reason);
    http_mix_u(r, (uint64_t)m->status << 16 | (uint64_t)m->major << 8 | m->minor);
    http_mix_u(r, m->nfields);
    for (size_t i = 0; i < m->nfields; i++) {
        http_mix_s(r, m->fields[i].name);
        http_mix_s(r, m->fields[i].value);
    }
    http_mix_u(r, m->ntrailers);
    for (size_t i = 0; i < m->ntrailers; i++) {
        http_mix_s(r, m->trailers[i].name);
        http_mix_s(r, m->trailers[i].value);
    }
    uint64_t v[] = { (uint64_t)m->framing, (uint64_t)m->content_length, m->body_len, m->body_lost, m->flags,
                     m->interim, (uint64_t)m->interim_status, m->offset, m->head_len, (uint64_t)m->ts_first,
                     (uint64_t)m->ts_last };
    http_mix(r, v, sizeof v);
    http_mix(r, m->body_sha256, 32);
}

static void http_on_exchange(void *ctx, const struct pc_http_msg *req, const struct pc_http_msg *resp)
{
    struct http_run *r = ctx;
    FZ_CHECK(req || resp, "an exchange with neither message");
    if (req) http_check_msg(r, req, PC_HTTP_CLIENT);
    if (resp) http_check_msg(r, resp, PC_HTTP_SERVER);
    http_mix_u(r, 'X');
    http_mix_msg(r, req);
    http_mix_msg(r, resp);
    r->callbacks++;
}

static void http_on_error(void *ctx, int dir, uint64_t off, const char *why)
{
    struct http_run *r = ctx;
    FZ_CHECK(dir == 0 || dir == 1, "error direction %d", dir);
    FZ_CHECK(why && *why && strlen(why) < 100, "error reason");
    FZ_CHECK(off <= r->fed[dir], "error at %llu past the %llu bytes given", (unsigned long long)off,
             (unsigned long long)r->fed[dir]);
    http_mix_u(r, 'E');
    http_mix_u(r, (uint64_t)dir);
    http_mix_u(r, off);
    http_mix(r, why, strlen(why));
    r->callbacks++;
}

/* ------------------------------------------------------------ the plan */

/* One piece of a direction: bytes [at, at + n), then a gap of gap bytes. */
struct http_piece {
    uint32_t at, n;
    uint32_t gap;
    uint32_t run; /* which stretch between gaps it belongs to (its time stamp) */
};

struct http_plan {
    const uint8_t *data[2];
    size_t len[2];
    struct http_piece pc[2][HTTP_PIECES];
    size_t npc[2];
    uint8_t cfg;
};

static uint32_t http_rng(uint32_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 17;
    *s ^= *s << 5;
    return *s;
}

static uint32_t http_piece_len(uint8_t cfg, uint32_t *s)
{
    static const uint32_t max[] = { 4, 64, 1024, 0 };
    uint32_t m = max[(cfg >> 2) & 3];
    if (!m) m = max[http_rng(s) % 3];
    return 1 + http_rng(s) % m;
}

static void http_cut(struct http_plan *pl, int dir, uint32_t *s)
{
    size_t at = 0, k = 0;
    uint32_t run = 0;
    while (at < pl->len[dir] && k < HTTP_PIECES) {
        uint32_t n = http_piece_len(pl->cfg, s);
        if (n > pl->len[dir] - at || k == HTTP_PIECES - 1) n = (uint32_t)(pl->len[dir] - at);
        uint32_t gap = 0;
        if (!(pl->cfg & 0x10) && http_rng(s) % 16 == 0)
            gap = http_rng(s) % 8 ? 1 + http_rng(s) % 16 : 1 + http_rng(s) % 4096;
        pl->pc[dir][k++] = (struct http_piece){ (uint32_t)at, n, gap, run };
        if (gap) run++;
        at += n;
    }
    pl->npc[dir] = k;
}

static void http_limits(uint8_t cfg, struct pc_limits *l)
{
    pc_limits_default(l);
    switch (cfg & 3) {
    case 1: l->http_line = 64, l->http_fields = 4, l->http_head = 256, l->http_pipeline = 2; break;
    case 2: l->http_line = 128, l->http_fields = 16, l->http_head = 1024, l->http_pipeline = 8; break;
    case 3: l->http_line = 64, l->http_fields = 2, l->http_head = 256, l->http_pipeline = 64; break;
    default: break;
    }
}

/* Feed n bytes as an allocation of exactly n bytes. */
static void http_feed(struct pc_http *h, struct http_run *r, int dir, const uint8_t *p, size_t n, pc_time_ns ts)
{
    uint8_t *copy = malloc(n ? n : 1);
    FZ_CHECK(copy, "out of memory");
    memcpy(copy, p, n);
    r->fed[dir] += n;
    pc_http_feed(h, dir, copy, n, ts);
    free(copy);
}

static void http_gap(struct pc_http *h, struct http_run *r, int dir, uint32_t gap)
{
    if (!gap) return;
    r->fed[dir] += gap;
    pc_http_gap(h, dir, gap);
}

/* Direction dir in its pieces (whole: each stretch between gaps at once). */
static void http_direction(struct pc_http *h, struct http_run *r, const struct http_plan *pl, int dir, bool whole)
{
    const struct http_piece *pc = pl->pc[dir];
    for (size_t k = 0; k < pl->npc[dir];) {
        size_t e = k + 1;
        if (whole)
            while (e < pl->npc[dir] && !pc[e - 1].gap) e++;
        size_t n = pc[e - 1].at + pc[e - 1].n - pc[k].at;
        http_feed(h, r, dir, pl->data[dir] + pc[k].at, n, pc[k].run);
        http_gap(h, r, dir, pc[e - 1].gap);
        k = e;
    }
}

static struct pc_http *http_open(struct http_run *r, const struct pc_limits *l)
{
    static const struct pc_http_cbs cbs = { http_on_exchange, http_on_body, http_on_error };
    memset(r, 0, sizeof *r);
    r->digest = UINT64_C(0xcbf29ce484222325);
    r->lim_fields = l->http_fields;
    r->lim_head = l->http_head;
    struct pc_http *h = pc_http_new(l, &cbs, r);
    FZ_CHECK(h, "out of memory");
    return h;
}

/* Every request and response delivered exactly once; then free. */
static void http_close(struct pc_http *h)
{
    const struct pc_http_stats *st = pc_http_stats(h);
    if (!st->nomem) {
        FZ_CHECK(st->requests == st->exchanges + st->unanswered, "%llu requests, %llu delivered",
                 (unsigned long long)st->requests, (unsigned long long)(st->exchanges + st->unanswered));
        FZ_CHECK(st->responses == st->exchanges + st->orphans, "%llu responses, %llu delivered",
                 (unsigned long long)st->responses, (unsigned long long)(st->exchanges + st->orphans));
    }
    pc_http_free(h);
}

static uint64_t http_sequential(const struct http_plan *pl, const struct pc_limits *l, bool whole)
{
    static struct http_run r;
    struct pc_http *h = http_open(&r, l);
    http_direction(h, &r, pl, PC_HTTP_CLIENT, whole);
    if (pl->cfg & 0x40) pc_http_end(h, PC_HTTP_CLIENT, 999999);
    http_direction(h, &r, pl, PC_HTTP_SERVER, whole);
    int first = pl->cfg & 0x20 ? PC_HTTP_SERVER : PC_HTTP_CLIENT;
    pc_http_end(h, first, 1000000);
    pc_http_end(h, !first, 1000001);
    http_close(h);
    return r.digest;
}

/* (pieces come from one exact copy of each direction: run B already
 * puts every piece in its own allocation) */
static void http_interleaved(const struct http_plan *pl, const struct pc_limits *l)
{
    static struct http_run r;
    struct pc_http *h = http_open(&r, l);
    uint8_t *copy[2];
    for (int dir = 0; dir < 2; dir++) {
        copy[dir] = malloc(pl->len[dir] ? pl->len[dir] : 1);
        FZ_CHECK(copy[dir], "out of memory");
        memcpy(copy[dir], pl->data[dir], pl->len[dir]);
    }
    size_t k[2] = { 0, 0 };
    while (k[0] < pl->npc[0] || k[1] < pl->npc[1]) {
        for (int dir = 0; dir < 2; dir++) {
            if (k[dir] >= pl->npc[dir]) continue;
            const struct http_piece *p = &pl->pc[dir][k[dir]++];
            r.fed[dir] += p->n;
            pc_http_feed(h, dir, copy[dir] + p->at, p->n, (pc_time_ns)(k[0] + k[1]));
            http_gap(h, &r, dir, p->gap);
            if (dir == PC_HTTP_SERVER && k[dir] == pl->npc[dir]) pc_http_end(h, dir, (pc_time_ns)(k[0] + k[1]));
        }
    }
    pc_http_end(h, PC_HTTP_CLIENT, 1000000);
    pc_http_end(h, PC_HTTP_SERVER, 1000000);
    /* an ended parser takes nothing more */
    uint64_t seen = r.callbacks;
    for (int dir = 0; dir < 2; dir++) {
        pc_http_feed(h, dir, copy[dir], pl->len[dir], 1000001);
        pc_http_gap(h, dir, 1);
        pc_http_end(h, dir, 1000002);
    }
    FZ_CHECK(r.callbacks == seen, "callbacks after the end");
    http_close(h);
    free(copy[0]);
    free(copy[1]);
}

/* ------------------------------------------------------------ single payloads */

static void http_check_str(const uint8_t *p, size_t n, struct pc_http_str s)
{
    if (!s.p) {
        FZ_CHECK(!s.n, "NULL string of %zu bytes", s.n);
        return;
    }
    if (!s.n) return;
    FZ_CHECK((const uint8_t *)s.p >= p && (const uint8_t *)s.p + s.n <= p + n, "peek string outside the payload");
    fz_touch(s.p, s.n);
}

static void http_peek(const uint8_t *data, size_t n)
{
    uint8_t *p = malloc(n ? n : 1);
    FZ_CHECK(p, "out of memory");
    memcpy(p, data, n);
    struct pc_http_peek pk;
    int kind = pc_http_peek(p, n, &pk);
    FZ_CHECK(kind == pk.kind && kind >= PC_HTTP_PEEK_NONE && kind <= PC_HTTP_PEEK_RESPONSE, "peek %d", kind);
    if (kind) {
        http_check_str(p, n, pk.method);
        http_check_str(p, n, pk.uri);
        http_check_str(p, n, pk.host);
        http_check_str(p, n, pk.reason);
        FZ_CHECK(pk.line_len && pk.line_len <= n && p[pk.line_len - 1] == '\n', "start line of %zu", pk.line_len);
        FZ_CHECK(pk.head_len <= n && (!pk.head_len || pk.head_len > pk.line_len), "head of %zu", pk.head_len);
        FZ_CHECK(pc_http_probe(p, n) || kind == PC_HTTP_PEEK_REQUEST, "a status line that does not probe");
    }
    (void)pc_http_probe(p, n);
    free(p);
}

static int FUZZ_NAME(http)(const uint8_t *data, size_t size)
{
    if (size < 7) return 0;
    static struct http_plan pl;
    pl.cfg = data[0];
    size_t len = size - 7, split = ((size_t)data[1] << 8 | data[2]) % (len + 1);
    uint32_t seed = (uint32_t)data[3] << 24 | (uint32_t)data[4] << 16 | (uint32_t)data[5] << 8 | data[6];
    if (!seed) seed = 1;
    pl.data[0] = data + 7;
    pl.len[0] = split;
    pl.data[1] = data + 7 + split;
    pl.len[1] = len - split;
    http_cut(&pl, 0, &seed);
    http_cut(&pl, 1, &seed);
    struct pc_limits l;
    http_limits(pl.cfg, &l);
    uint64_t whole = http_sequential(&pl, &l, true), pieces = http_sequential(&pl, &l, false);
    FZ_CHECK(whole == pieces, "fed whole and in pieces, the callbacks differ");
    http_interleaved(&pl, &l);
    http_peek(pl.data[0], pl.len[0]);
    http_peek(pl.data[1], pl.len[1]);
    return 0;
}
FUZZ_ENTRY(http)

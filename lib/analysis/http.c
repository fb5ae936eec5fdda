/* HTTP/1.x decoding for analysis (include/pktcraft/analysis/http.h).
 *
 * One state machine per direction.  Head lines (start line, header
 * fields, trailers) are copied into the current message's buffer and
 * parsed a line at a time when their LF arrives; fields are kept as
 * offsets into that buffer and turned into pointers (published) just
 * before a callback, so the buffer may grow (by doubling, up to
 * http_head) without anything pointing into freed memory.  Bodies and
 * chunk framing are walked in place and never copied.
 *
 * Results must not depend on where the input was split: every decision
 * is taken at a stream position, not at a feed boundary.  Limits are
 * checked by the position of the first byte past them, so whichever of
 * two limits a line passes first wins however the bytes arrive; a line
 * is only judged once its LF is in; the prefix that resynchronisation
 * matches is kept across feeds (rs[]) and replayed into the head parser.
 *
 * Requests live in slots: a slot is created when a request's first byte
 * arrives, queued when its head is complete (the queue: requests awaiting
 * a response, oldest first, at most http_pipeline), taken off the queue
 * ("claimed") when a final response head arrives, and released when both
 * its own direction and its response are done with it. */
#include <stdlib.h>
#include <string.h>

#include "pktcraft/analysis/http.h"
#include "pktcraft/core/hash.h"
#include "pktcraft/core/limits.h"

enum hst {
    ST_HEAD,    /* between messages or in a head */
    ST_BODY,    /* Content-Length body: remaining bytes */
    ST_CSIZE,   /* chunk-size line */
    ST_CDATA,   /* chunk data: remaining bytes */
    ST_CCRLF,   /* the CRLF after chunk data */
    ST_TRAILER, /* trailer lines */
    ST_CLOSE,   /* body until the close */
    ST_RESYNC,  /* skipping to a line that starts like a start line */
    ST_TUNNEL,  /* the connection is no longer HTTP */
    ST_ENDED,   /* pc_http_end was called */
    ST_DEAD,    /* out of memory */
};

/* Reasons note() reports once a message. */
enum { NOTE_BARE_LF, NOTE_BARE_CR, NOTE_FOLD, NOTE_WS_COLON, NOTE_NO_COLON, NOTE_NAME };

/* chunk-size line phases */
enum { CS_DIGITS, CS_EXT, CS_CR };

#define METHOD_MAX 32   /* longest method accepted (the start line is judged on it early) */
#define RS_MAX 16       /* longest prefix resynchronisation needs: a method and a space */
#define BUF_MIN 512     /* first head buffer */
#define FLD_MIN 16      /* first field array */
#define NUM_MAX (UINT64_C(1) << 60) /* Content-Length and chunk sizes at or past this are refused */

static const struct pc_http_str empty_str = { "", 0 };

struct hfld {
    uint32_t no, nl, vo, vl; /* name and value: offsets and lengths in the slot's buffer */
};

struct slot {
    struct slot *next;           /* queue or spare list */
    uint8_t *buf;                /* the head: start line, fields, trailers */
    size_t cap, used;
    struct hfld *hf;             /* fields [0, nf), then trailers [nf, nf + nt) */
    struct pc_http_field *pub;   /* the same as pointers, made by publish() */
    size_t fcap, nf, nt;
    uint32_t mo, ml, uo, ul, ro, rl; /* method, target, reason */
    struct pc_http_msg m;
    struct pc_sha256 sha;
    bool start_done, head_done, complete;
    bool last_field;             /* the last line stored a field: an obs-fold continues it */
    bool dirty;                  /* m's pointers must be made again */
    bool receiving, queued, answering, delivered; /* requests: who still needs the slot */
    bool is_head, is_connect, upgrade;
    uint8_t said;                /* NOTE_* reasons already reported for this message */
};

struct hdir {
    int st;                      /* enum hst */
    uint64_t off;                /* stream offset of the byte being looked at */
    pc_time_ns ts;
    struct slot *cur;            /* the message being received, NULL between messages */
    uint64_t msg_off, line_off;  /* where the message and the current line started */
    size_t ls;                   /* where the current line starts in cur->buf */
    uint64_t raw;                /* head (and trailer) bytes so far, for http_head */
    uint64_t remaining;          /* body or chunk bytes to go */
    uint64_t csize;              /* chunk-size line: value so far */
    uint32_t cdigits;
    uint8_t cph;                 /* chunk-size phase, or (ST_CCRLF) CR seen */
    bool lastcr;                 /* chunk extension: the byte before was a CR */
    bool at_bol, quiet, resynced; /* resynchronisation: at a line start; not an error; flag the next message */
    uint8_t rs[RS_MAX];          /* the current line's first bytes while resynchronising */
    uint8_t rs_n;
    uint64_t rs_off;
    pc_time_ns rs_ts;
    bool ended, tunnel_after;
    uint32_t interim;            /* responses: interim 1xx since the last final one */
    int interim_status;
    struct slot *claimed;        /* responses: the request the current response answers */
};

struct pc_http {
    uint64_t lim_line, lim_fields, lim_head, lim_pipeline;
    struct pc_http_cbs cbs;
    void *ctx;
    struct hdir d[2];
    struct slot *qhead, *qtail;  /* requests awaiting a response, oldest first */
    uint64_t qn;
    struct slot *spare;          /* released request slots, kept for reuse */
    struct slot resp;            /* the response being received */
    struct pc_http_stats st;
};

/* ------------------------------------------------------------ characters */

static bool is_tchar(uint8_t c)
{
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
    return c && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

static bool is_ws(uint8_t c) { return c == ' ' || c == '\t'; }

static int hexval(uint8_t c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

static uint8_t lower(uint8_t c) { return c >= 'A' && c <= 'Z' ? (uint8_t)(c + 32) : c; }

static bool ieq(const char *a, size_t an, const char *b)
{
    size_t bn = strlen(b);
    if (an != bn) return false;
    for (size_t i = 0; i < an; i++)
        if (lower((uint8_t)a[i]) != lower((uint8_t)b[i])) return false;
    return true;
}

/* [*a, *b) without surrounding spaces and tabs. */
static void trim(const uint8_t *p, size_t *a, size_t *b)
{
    while (*a < *b && is_ws(p[*a])) (*a)++;
    while (*b > *a && is_ws(p[*b - 1])) (*b)--;
}

/* ------------------------------------------------------------ start lines */

/* Methods that start a request when resynchronising or probing: the
 * registered ones a capture is likely to hold (RFC 9110, WebDAV, CalDAV,
 * UPnP).  The strict parser takes any token. */
static const char *const known_methods[] = {
    "GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH", "PROPFIND", "PROPPATCH",
    "MKCOL", "COPY", "MOVE", "LOCK", "UNLOCK", "SEARCH", "REPORT", "MKCALENDAR", "MKACTIVITY", "CHECKOUT",
    "MERGE", "NOTIFY", "SUBSCRIBE", "UNSUBSCRIBE", "M-SEARCH",
};
#define NMETHODS (sizeof known_methods / sizeof known_methods[0])

/* Does the start of a line, p[0..n), begin a start line of direction dir:
 * 1 yes, 0 not yet known (a prefix of one), -1 no. */
static int start_match(const uint8_t *p, size_t n, int dir)
{
    if (dir == PC_HTTP_SERVER) {
        size_t k = n < 7 ? n : 7;
        if (memcmp(p, "HTTP/1.", k)) return -1;
        return n >= 7 ? 1 : 0;
    }
    bool maybe = false;
    for (size_t i = 0; i < NMETHODS; i++) {
        size_t ml = strlen(known_methods[i]);
        size_t k = n < ml ? n : ml;
        if (memcmp(p, known_methods[i], k)) continue;
        if (n <= ml) {
            maybe = true;
            continue;
        }
        if (p[ml] == ' ') return 1;
    }
    return maybe ? 0 : -1;
}

struct sline {
    size_t mo, ml, uo, ul, ro, rl;
    int status;
    uint8_t major, minor;
};

/* "HTTP/d.d" at p (8 bytes). */
static bool version_at(const uint8_t *p, uint8_t *major, uint8_t *minor)
{
    if (memcmp(p, "HTTP/", 5) || p[5] < '0' || p[5] > '9' || p[6] != '.' || p[7] < '0' || p[7] > '9') return false;
    *major = (uint8_t)(p[5] - '0');
    *minor = (uint8_t)(p[7] - '0');
    return true;
}

/* method SP request-target SP HTTP-version (spaces inside the target
 * are tolerated: the version is the last word). */
static const char *parse_request_line(const uint8_t *p, size_t n, struct sline *sl)
{
    static const char bad[] = "not an HTTP request line";
    size_t i = 0;
    while (i < n && i <= METHOD_MAX && is_tchar(p[i])) i++;
    if (!i || i > METHOD_MAX || i >= n || p[i] != ' ') return bad;
    sl->mo = 0;
    sl->ml = i;
    while (i < n && p[i] == ' ') i++;
    if (n < i + 10 || p[n - 9] != ' ' || !version_at(p + n - 8, &sl->major, &sl->minor)) return bad;
    /* the target runs to the last space; it cannot be empty, as p[i] is
     * the first byte after the method's spaces and comes before it */
    size_t e = n - 9;
    while (e > i && p[e - 1] == ' ') e--;
    if (sl->major != 1) return "not HTTP/1.x";
    sl->uo = i;
    sl->ul = e - i;
    return NULL;
}

/* HTTP-version SP 3DIGIT SP reason-phrase (the last space may be left
 * out with an empty reason). */
static const char *parse_status_line(const uint8_t *p, size_t n, struct sline *sl)
{
    static const char bad[] = "not an HTTP status line";
    if (n < 12 || !version_at(p, &sl->major, &sl->minor) || p[8] != ' ') return bad;
    for (int k = 9; k < 12; k++)
        if (p[k] < '0' || p[k] > '9') return bad;
    if (p[9] == '0' || (n > 12 && p[12] != ' ')) return bad;
    if (sl->major != 1) return "not HTTP/1.x";
    sl->status = (p[9] - '0') * 100 + (p[10] - '0') * 10 + (p[11] - '0');
    size_t a = n > 12 ? 13 : 12, b = n;
    while (b > a && is_ws(p[b - 1])) b--;
    sl->ro = a;
    sl->rl = b - a;
    return NULL;
}

/* Could the first bytes of a line, p[0..n), still start a start line of
 * direction dir?  Judged on at most METHOD_MAX + 1 bytes, so before any
 * line limit is reached. */
static bool start_plausible(const uint8_t *p, size_t n, int dir)
{
    if (dir == PC_HTTP_SERVER) return !memcmp(p, "HTTP/", n < 5 ? n : 5);
    for (size_t i = 0; i < n; i++) {
        if (p[i] == ' ') return i > 0;
        if (!is_tchar(p[i]) || i >= METHOD_MAX) return false;
    }
    return true;
}

/* ------------------------------------------------------------ slots */

static void slot_free(struct slot *s)
{
    free(s->buf);
    free(s->hf);
    free(s->pub);
    free(s);
}

static struct slot *slot_get(struct pc_http *h)
{
    struct slot *s = h->spare;
    if (s) {
        h->spare = s->next;
        return s;
    }
    return calloc(1, sizeof *s);
}

/* Nobody needs s any more: it waits on the spare list for the next
 * request, buffers and all (no allocation per message).  Slots are made
 * only when the list is empty, so it never holds more than the most ever
 * in use at once, which the limits bound (http_pipeline + 2). */
static void slot_release(struct pc_http *h, struct slot *s)
{
    s->next = h->spare;
    h->spare = s;
}

/* A request slot goes once nobody holds it: its own direction (still
 * receiving), the queue, and the response answering it. */
static void slot_done(struct pc_http *h, struct slot *s)
{
    if (!s->receiving && !s->queued && !s->answering) slot_release(h, s);
}

static void slot_reset(struct slot *s, int dir, uint64_t off, pc_time_ns ts)
{
    uint8_t *buf = s->buf;
    struct hfld *hf = s->hf;
    struct pc_http_field *pub = s->pub;
    size_t cap = s->cap, fcap = s->fcap;
    memset(s, 0, sizeof *s);
    s->buf = buf;
    s->cap = cap;
    s->hf = hf;
    s->pub = pub;
    s->fcap = fcap;
    s->m.dir = dir;
    s->m.method = s->m.uri = s->m.reason = empty_str;
    s->m.content_length = -1;
    s->m.offset = off;
    s->m.ts_first = s->m.ts_last = ts;
    pc_sha256_init(&s->sha);
    s->dirty = true;
}

/* Room for n more head bytes (the caller has checked http_head). */
static bool buf_room(struct slot *s, size_t n, uint64_t lim)
{
    size_t need = s->used + n;
    if (need <= s->cap) return true;
    size_t cap = s->cap ? s->cap : BUF_MIN;
    while (cap < need) cap *= 2;
    if (cap > lim) cap = (size_t)lim;
    if (cap < need) cap = need;
    uint8_t *b = realloc(s->buf, cap);
    if (!b) return false;
    s->buf = b;
    s->cap = cap;
    s->dirty = true;
    return true;
}

static bool fld_room(struct slot *s)
{
    if (s->nf + s->nt < s->fcap) return true;
    size_t cap = s->fcap ? s->fcap * 2 : FLD_MIN;
    struct hfld *a = realloc(s->hf, cap * sizeof *a);
    if (!a) return false;
    s->hf = a;
    struct pc_http_field *b = realloc(s->pub, cap * sizeof *b);
    if (!b) return false;
    s->pub = b;
    s->fcap = cap;
    return true;
}

/* Make m's pointers from the offsets (the buffer may have moved). */
static void publish(struct slot *s)
{
    if (!s->dirty) return;
    const char *b = s->buf ? (const char *)s->buf : "";
    if (s->start_done) {
        s->m.method = s->ml ? (struct pc_http_str){ b + s->mo, s->ml } : empty_str;
        s->m.uri = s->ul ? (struct pc_http_str){ b + s->uo, s->ul } : empty_str;
        s->m.reason = s->rl ? (struct pc_http_str){ b + s->ro, s->rl } : empty_str;
    }
    for (size_t k = 0; k < s->nf + s->nt; k++) {
        const struct hfld *f = &s->hf[k];
        s->pub[k] = (struct pc_http_field){ { b + f->no, f->nl }, { b + f->vo, f->vl } };
    }
    s->m.fields = s->nf ? s->pub : NULL;
    s->m.nfields = s->nf;
    s->m.trailers = s->nt ? s->pub + s->nf : NULL;
    s->m.ntrailers = s->nt;
    s->dirty = false;
}

/* ------------------------------------------------------------ reporting */

static void report(struct pc_http *h, int dir, uint64_t off, const char *why)
{
    h->st.errors++;
    if (h->cbs.error) h->cbs.error(h->ctx, dir, off, why);
}

/* A flag that is also an error: each reason is reported once a message
 * (a head of bare-LF lines is one report, not one a line). */
static void note(struct pc_http *h, int dir, struct slot *s, uint32_t flag, unsigned reason, uint64_t off,
                 const char *why)
{
    s->m.flags |= flag;
    if (s->said & 1u << reason) return;
    s->said |= 1u << reason;
    report(h, dir, off, why);
}

static void deliver(struct pc_http *h, struct slot *req, struct slot *resp)
{
    if (req) {
        if (req->receiving) {
            /* answered before it ended: its figures as they are now */
            struct pc_sha256 c = req->sha;
            pc_sha256_final(&c, req->m.body_sha256);
            req->m.flags |= PC_HTTP_F_EARLY;
        }
        publish(req);
        req->delivered = true;
    }
    if (resp) publish(resp);
    if (req && resp) h->st.exchanges++;
    else if (req) h->st.unanswered++;
    else h->st.orphans++;
    if (h->cbs.exchange) h->cbs.exchange(h->ctx, req ? &req->m : NULL, resp ? &resp->m : NULL);
}

/* ------------------------------------------------------------ the queue */

static struct slot *q_pop(struct pc_http *h)
{
    struct slot *s = h->qhead;
    if (!s) return NULL;
    h->qhead = s->next;
    if (!h->qhead) h->qtail = NULL;
    h->qn--;
    s->next = NULL;
    s->queued = false;
    return s;
}

/* A request whose head is complete now awaits its response; past
 * http_pipeline the oldest is given up unanswered. */
static void q_push(struct pc_http *h, struct slot *s)
{
    s->next = NULL;
    s->queued = true;
    if (h->qtail) h->qtail->next = s;
    else h->qhead = s;
    h->qtail = s;
    h->qn++;
    /* (the new request is never the one pushed out: the limit is at least 1) */
    if (h->qn <= h->lim_pipeline || h->qhead == s) return;
    struct slot *old = q_pop(h);
    report(h, PC_HTTP_CLIENT, s->m.offset, "more requests pending than http-pipeline");
    old->m.flags |= PC_HTTP_F_EVICTED;
    deliver(h, old, NULL);
    slot_done(h, old);
}

/* Once the server side has ended, no response will come: every request
 * that is complete goes out unanswered (one still arriving waits). */
static void flush_unanswered(struct pc_http *h)
{
    while (h->qhead && !h->qhead->receiving) {
        struct slot *s = q_pop(h);
        deliver(h, s, NULL);
        slot_done(h, s);
    }
}

/* ------------------------------------------------------------ state changes */

static void enter_resync(struct pc_http *h, int dir, bool at_bol, bool quiet)
{
    struct hdir *d = &h->d[dir];
    d->st = ST_RESYNC;
    d->at_bol = at_bol;
    d->rs_n = 0;
    d->quiet = quiet;
    if (!quiet) d->resynced = true;
}

/* A 2xx to CONNECT or a 101: neither direction is HTTP any more. */
static void go_tunnel(struct pc_http *h)
{
    h->st.switched = true;
    h->d[PC_HTTP_SERVER].st = ST_TUNNEL;
    struct hdir *c = &h->d[PC_HTTP_CLIENT];
    if (c->st == ST_ENDED || c->st == ST_DEAD) return;
    if (c->cur) c->tunnel_after = true;
    else c->st = ST_TUNNEL;
}

/* The current message of dir is over (complete, or cut and flagged by
 * the caller): finish its digest, deliver what is due, and go on to the
 * next message (callers that must resynchronise change the state after). */
static void complete_message(struct pc_http *h, int dir)
{
    struct hdir *d = &h->d[dir];
    struct slot *s = d->cur;
    d->cur = NULL;
    s->complete = true;
    pc_sha256_final(&s->sha, s->m.body_sha256);
    if (dir == PC_HTTP_CLIENT) {
        s->receiving = false;
        if (d->tunnel_after) d->st = ST_TUNNEL;
        else if (s->is_connect || s->upgrade) enter_resync(h, dir, true, true); /* wait: the answer decides */
        else d->st = ST_HEAD;
        slot_done(h, s);
        if (h->d[PC_HTTP_SERVER].ended) flush_unanswered(h);
        return;
    }
    d->st = ST_HEAD;
    struct slot *req = d->claimed;
    d->claimed = NULL;
    deliver(h, req, s);
    if (req) {
        req->answering = false;
        slot_done(h, req);
    }
    if (s->m.flags & PC_HTTP_F_SWITCH) go_tunnel(h);
}

/* A final response takes the oldest request awaiting one. */
static void claim(struct pc_http *h)
{
    struct hdir *d = &h->d[PC_HTTP_SERVER];
    if (d->claimed) return;
    d->claimed = q_pop(h);
    if (d->claimed) d->claimed->answering = true;
}

static void take_interim(struct pc_http *h, struct slot *s)
{
    struct hdir *d = &h->d[PC_HTTP_SERVER];
    if (!d->interim) return;
    s->m.interim = d->interim;
    s->m.interim_status = d->interim_status;
    s->m.flags |= PC_HTTP_F_INTERIM;
    d->interim = 0;
    d->interim_status = 0;
}

static bool is_interim(int status) { return status >= 100 && status < 200 && status != 101; }

/* The current message cannot go on (a limit, a gap, bad framing, the
 * close): deliver what there is when its start line was read. */
static void cut_message(struct pc_http *h, int dir, uint32_t flags)
{
    struct hdir *d = &h->d[dir];
    struct slot *s = d->cur;
    if (!s) return;
    s->m.flags |= flags | PC_HTTP_F_INCOMPLETE;
    if (!s->start_done || (dir == PC_HTTP_SERVER && !s->head_done && is_interim(s->m.status))) {
        d->cur = NULL;
        if (dir == PC_HTTP_CLIENT) slot_release(h, s);
        return;
    }
    if (!s->head_done) {
        /* the whole lines only: how much of a cut line was taken depends
         * on how the input was split */
        s->m.head_len = d->line_off - d->msg_off;
        if (dir == PC_HTTP_CLIENT) {
            q_push(h, s);
        } else {
            claim(h);
            take_interim(h, s);
        }
    }
    complete_message(h, dir);
}

/* Cut the message, then skip to the next start line. */
static void fail_message(struct pc_http *h, int dir, uint32_t flags, bool at_bol)
{
    cut_message(h, dir, flags);
    if (h->d[dir].st != ST_TUNNEL) enter_resync(h, dir, at_bol, false);
}

static void out_of_memory(struct pc_http *h, int dir)
{
    h->st.nomem = true;
    report(h, dir, h->d[dir].off, "out of memory");
    cut_message(h, dir, 0);
    h->d[dir].st = ST_DEAD;
}

/* ------------------------------------------------------------ framing */

struct framing {
    bool te, chunked, cl, cl_bad, cl_differ;
    uint64_t len;
};

/* One Content-Length value: a list of equal decimal numbers ("42, 42" is
 * 42, RFC 9110 section 8.6).  False when it is not. */
static bool parse_cl(const uint8_t *p, size_t n, uint64_t *out)
{
    bool have = false;
    size_t i = 0;
    for (;;) {
        size_t a = i, b = i;
        while (b < n && p[b] != ',') b++;
        size_t next = b;
        trim(p, &a, &b);
        if (a == b) return false;
        uint64_t v = 0;
        for (size_t k = a; k < b; k++) {
            if (p[k] < '0' || p[k] > '9') return false;
            v = v * 10 + (uint64_t)(p[k] - '0');
            if (v >= NUM_MAX) return false;
        }
        if (have && v != *out) return false;
        *out = v;
        have = true;
        if (next >= n) return true;
        i = next + 1;
    }
}

/* Is the last transfer coding of a Transfer-Encoding value chunked?
 * (Codings are comma-separated, each with optional parameters.) */
static bool te_chunked(const uint8_t *p, size_t n)
{
    size_t b = n;
    while (b > 0 && (is_ws(p[b - 1]) || p[b - 1] == ',')) b--;
    size_t a = b;
    while (a > 0 && p[a - 1] != ',') a--;
    for (size_t k = a; k < b; k++)
        if (p[k] == ';') b = k;
    trim(p, &a, &b);
    return ieq((const char *)p + a, b - a, "chunked");
}

/* Transfer-Encoding and Content-Length of s, reporting what is wrong. */
static void framing_fields(struct pc_http *h, int dir, struct slot *s, struct framing *f)
{
    memset(f, 0, sizeof *f);
    for (size_t k = 0; k < s->nf; k++) {
        const struct hfld *x = &s->hf[k];
        const char *name = (const char *)s->buf + x->no;
        const uint8_t *v = s->buf + x->vo;
        if (ieq(name, x->nl, "transfer-encoding")) {
            f->te = true;
            if (x->vl) f->chunked = te_chunked(v, x->vl);
        } else if (ieq(name, x->nl, "content-length")) {
            uint64_t len = 0;
            if (!parse_cl(v, x->vl, &len)) f->cl_bad = true;
            else if (f->cl && len != f->len) f->cl_differ = true;
            else f->len = len;
            f->cl = true;
        }
    }
    if (f->cl_bad) report(h, dir, s->m.offset, "Content-Length is not a number");
    if (f->cl_differ) report(h, dir, s->m.offset, "Content-Length values differ");
    f->cl_bad |= f->cl_differ;
    if (f->cl_bad) s->m.flags |= PC_HTTP_F_BAD_CL;
    else if (f->cl) s->m.content_length = (int64_t)f->len;
    if (f->te && f->cl) {
        s->m.flags |= PC_HTTP_F_TE_CL;
        report(h, dir, s->m.offset, "both Transfer-Encoding and Content-Length (request smuggling signal)");
    }
}

static bool has_field(const struct slot *s, const char *name)
{
    for (size_t k = 0; k < s->nf; k++)
        if (ieq((const char *)s->buf + s->hf[k].no, s->hf[k].nl, name)) return true;
    return false;
}

static void start_chunk_line(struct hdir *d, uint64_t off)
{
    d->st = ST_CSIZE;
    d->cph = CS_DIGITS;
    d->csize = 0;
    d->cdigits = 0;
    d->lastcr = false;
    d->line_off = off;
}

/* The head is read and the framing known: on to the body. */
static void start_body(struct pc_http *h, int dir, struct slot *s, int framing, bool resync_after)
{
    struct hdir *d = &h->d[dir];
    s->m.framing = framing;
    if (framing == PC_HTTP_BODY_LENGTH && s->m.content_length > 0) {
        d->st = ST_BODY;
        d->remaining = (uint64_t)s->m.content_length;
    } else if (framing == PC_HTTP_BODY_CHUNKED) {
        start_chunk_line(d, d->line_off);
    } else if (framing == PC_HTTP_BODY_CLOSE) {
        d->st = ST_CLOSE;
    } else {
        complete_message(h, dir);
        /* the framing could not be read: where the next message starts is unknown */
        if (resync_after && d->st != ST_TUNNEL) enter_resync(h, dir, true, false);
    }
}

static void request_head_done(struct pc_http *h, struct slot *s)
{
    struct framing f;
    s->is_head = s->ml == 4 && !memcmp(s->buf + s->mo, "HEAD", 4);
    s->is_connect = s->ml == 7 && !memcmp(s->buf + s->mo, "CONNECT", 7);
    s->upgrade = has_field(s, "upgrade");
    framing_fields(h, PC_HTTP_CLIENT, s, &f);
    q_push(h, s);
    if (f.te && !f.chunked) {
        /* RFC 9112 6.3: a request cannot be read to the close */
        s->m.flags |= PC_HTTP_F_BAD_TE;
        report(h, PC_HTTP_CLIENT, s->m.offset, "Transfer-Encoding does not end in chunked");
        start_body(h, PC_HTTP_CLIENT, s, PC_HTTP_BODY_NONE, true);
    } else if (f.te) {
        start_body(h, PC_HTTP_CLIENT, s, PC_HTTP_BODY_CHUNKED, false);
    } else if (f.cl_bad) {
        start_body(h, PC_HTTP_CLIENT, s, PC_HTTP_BODY_NONE, true);
    } else {
        start_body(h, PC_HTTP_CLIENT, s, f.cl ? PC_HTTP_BODY_LENGTH : PC_HTTP_BODY_NONE, false);
    }
}

static void response_head_done(struct pc_http *h, struct slot *s)
{
    struct hdir *d = &h->d[PC_HTTP_SERVER];
    int st = s->m.status;
    if (is_interim(st)) {
        /* 100 Continue and friends: counted on the final response */
        d->interim++;
        d->interim_status = st;
        h->st.interim++;
        d->cur = NULL;
        d->st = ST_HEAD;
        return;
    }
    claim(h);
    take_interim(h, s);
    struct framing f;
    framing_fields(h, PC_HTTP_SERVER, s, &f);
    const struct slot *req = d->claimed;
    bool connect_ok = req && req->is_connect && st / 100 == 2;
    if (connect_ok || st == 101) s->m.flags |= PC_HTTP_F_SWITCH;
    if ((req && req->is_head) || st == 204 || st == 304 || st == 101 || connect_ok)
        start_body(h, PC_HTTP_SERVER, s, PC_HTTP_BODY_NONE, false);
    else if (f.te)
        start_body(h, PC_HTTP_SERVER, s, f.chunked ? PC_HTTP_BODY_CHUNKED : PC_HTTP_BODY_CLOSE, false);
    else if (f.cl_bad)
        start_body(h, PC_HTTP_SERVER, s, PC_HTTP_BODY_NONE, true);
    else
        start_body(h, PC_HTTP_SERVER, s, f.cl ? PC_HTTP_BODY_LENGTH : PC_HTTP_BODY_CLOSE, false);
}

/* ------------------------------------------------------------ head lines */

static void start_line(struct pc_http *h, int dir, size_t a, size_t b, uint64_t off)
{
    struct hdir *d = &h->d[dir];
    struct slot *s = d->cur;
    struct sline sl = { 0 };
    const char *why = dir == PC_HTTP_CLIENT ? parse_request_line(s->buf + a, b - a, &sl)
                                            : parse_status_line(s->buf + a, b - a, &sl);
    if (why) {
        report(h, dir, off, why);
        d->cur = NULL;
        if (dir == PC_HTTP_CLIENT) slot_release(h, s);
        enter_resync(h, dir, true, false);
        return;
    }
    s->mo = (uint32_t)(a + sl.mo);
    s->ml = (uint32_t)sl.ml;
    s->uo = (uint32_t)(a + sl.uo);
    s->ul = (uint32_t)sl.ul;
    s->ro = (uint32_t)(a + sl.ro);
    s->rl = (uint32_t)sl.rl;
    s->m.status = sl.status;
    s->m.major = sl.major;
    s->m.minor = sl.minor;
    s->start_done = true;
    s->dirty = true;
    if (dir == PC_HTTP_CLIENT) h->st.requests++;
    else if (!is_interim(sl.status)) h->st.responses++;
}

/* A line starting with whitespace continues the field before it
 * (obs-fold, RFC 9112 5.2): it is unfolded in place to one space. */
static void fold_line(struct pc_http *h, int dir, size_t a, size_t b, uint64_t off)
{
    struct slot *s = h->d[dir].cur;
    if (!s->last_field) {
        note(h, dir, s, PC_HTTP_F_BAD_FIELD, NOTE_FOLD, off, "continuation line without a field before it");
        s->used = a;
        return;
    }
    s->m.flags |= PC_HTTP_F_OBS_FOLD;
    struct hfld *f = &s->hf[s->nf + s->nt - 1];
    trim(s->buf, &a, &b);
    size_t ve = (size_t)f->vo + f->vl;
    if (b > a) {
        if (f->vl) {
            s->buf[ve++] = ' ';
            f->vl++;
        } else {
            ve = f->vo;
        }
        memmove(s->buf + ve, s->buf + a, b - a);
        f->vl += (uint32_t)(b - a);
        ve += b - a;
    }
    s->used = ve;
    s->dirty = true;
}

static void field_line(struct pc_http *h, int dir, size_t a, size_t b, uint64_t off, bool trailer)
{
    struct hdir *d = &h->d[dir];
    struct slot *s = d->cur;
    const uint8_t *colon = memchr(s->buf + a, ':', b - a);
    s->last_field = false;
    if (!colon || colon == s->buf + a) {
        note(h, dir, s, PC_HTTP_F_BAD_FIELD, NOTE_NO_COLON, off, "field line without a name and colon");
        s->used = a;
        return;
    }
    size_t c = (size_t)(colon - s->buf), ne = c;
    if (is_ws(s->buf[ne - 1])) {
        /* RFC 9112 5.1: a server must reject this; a proxy that does not
         * is how requests get smuggled */
        note(h, dir, s, PC_HTTP_F_BAD_FIELD, NOTE_WS_COLON, off, "whitespace between field name and colon");
        while (ne > a && is_ws(s->buf[ne - 1])) ne--;
    }
    for (size_t k = a; k < ne; k++) {
        if (!is_tchar(s->buf[k])) {
            note(h, dir, s, PC_HTTP_F_BAD_FIELD, NOTE_NAME, off, "invalid character in a field name");
            s->used = a;
            return;
        }
    }
    if ((trailer ? s->nt : s->nf) >= h->lim_fields) {
        report(h, dir, off, "more fields than http-fields");
        fail_message(h, dir, PC_HTTP_F_HEAD_CUT, true);
        return;
    }
    if (!fld_room(s)) {
        out_of_memory(h, dir);
        return;
    }
    size_t va = c + 1, vb = b;
    trim(s->buf, &va, &vb);
    s->hf[s->nf + s->nt] = (struct hfld){ (uint32_t)a, (uint32_t)(ne - a), (uint32_t)va, (uint32_t)(vb - va) };
    if (trailer) s->nt++;
    else s->nf++;
    s->last_field = true;
    s->dirty = true;
}

/* A whole line (with its LF) is at the end of the buffer. */
static void line_done(struct pc_http *h, int dir, uint64_t next_off)
{
    struct hdir *d = &h->d[dir];
    struct slot *s = d->cur;
    size_t a = d->ls, b = s->used - 1;
    uint64_t off = d->line_off;
    d->line_off = next_off;
    if (b > a && s->buf[b - 1] == '\r') b--;
    else note(h, dir, s, PC_HTTP_F_BARE_LF, NOTE_BARE_LF, off, "line ends in a bare LF");
    if (memchr(s->buf + a, '\r', b - a)) note(h, dir, s, PC_HTTP_F_BARE_CR, NOTE_BARE_CR, off, "bare CR inside a line");
    bool trailer = d->st == ST_TRAILER;
    if (!trailer && !s->start_done) {
        start_line(h, dir, a, b, off);
    } else if (a == b) {
        s->used = a;
        if (trailer) {
            s->dirty = true;
            complete_message(h, dir);
        } else {
            s->head_done = true;
            s->m.head_len = d->raw;
            publish(s);
            if (dir == PC_HTTP_CLIENT) request_head_done(h, s);
            else response_head_done(h, s);
        }
        return;
    } else if (is_ws(s->buf[a])) {
        fold_line(h, dir, a, b, off);
    } else {
        field_line(h, dir, a, b, off, trailer);
    }
    if (d->cur == s) d->ls = s->used;
}

/* Where, if anywhere, taking n more bytes of this line passes a limit:
 * the first byte past http_line (line content, the CR allowed for) or
 * past http_head (the head and trailers in all).  The earlier wins, so
 * the answer does not depend on how the bytes were split. */
static const char *line_limit(const struct pc_http *h, const struct hdir *d, size_t n, bool has_lf, uint64_t *at)
{
    uint64_t content = d->off - d->line_off + n - (has_lf ? 1 : 0);
    bool lx = content > h->lim_line + 1;
    bool hx = d->raw + n > h->lim_head;
    uint64_t lx_at = d->line_off + h->lim_line + 1, hx_at = d->off + (h->lim_head - d->raw);
    if (lx && (!hx || lx_at <= hx_at)) {
        *at = lx_at;
        return "line longer than http-line";
    }
    if (!hx) return NULL;
    *at = hx_at;
    return d->st == ST_TRAILER ? "trailers make the head longer than http-head" : "head longer than http-head";
}

static bool begin_message(struct pc_http *h, int dir)
{
    struct hdir *d = &h->d[dir];
    struct slot *s = dir == PC_HTTP_CLIENT ? slot_get(h) : &h->resp;
    if (!s) {
        out_of_memory(h, dir);
        return false;
    }
    slot_reset(s, dir, d->off, d->ts);
    s->receiving = dir == PC_HTTP_CLIENT;
    if (d->resynced) s->m.flags |= PC_HTTP_F_RESYNC;
    d->resynced = false;
    d->cur = s;
    d->msg_off = d->line_off = d->off;
    d->ls = 0;
    d->raw = 0;
    return true;
}

/* ST_HEAD and ST_TRAILER: up to the end of the current line. */
static size_t st_lines(struct pc_http *h, int dir, const uint8_t *p, size_t n)
{
    struct hdir *d = &h->d[dir];
    if (d->st == ST_HEAD && !d->cur) {
        /* empty lines before a start line are skipped (RFC 9112 2.2) */
        size_t i = 0;
        while (i < n && (p[i] == '\r' || p[i] == '\n')) i++;
        if (i) return i;
        if (!begin_message(h, dir)) return 0;
    }
    struct slot *s = d->cur;
    const uint8_t *lf = memchr(p, '\n', n);
    size_t take = lf ? (size_t)(lf - p) + 1 : n;
    /* the start line is judged on its first bytes before any limit,
     * which cannot be reached that early */
    if (d->st == ST_HEAD && !s->start_done && s->used - d->ls <= METHOD_MAX) {
        uint8_t pre[METHOD_MAX + 2];
        size_t k = s->used - d->ls;
        if (k) memcpy(pre, s->buf + d->ls, k);
        size_t more = sizeof pre - k < take ? sizeof pre - k : take;
        memcpy(pre + k, p, more);
        if (!start_plausible(pre, k + more, dir)) {
            report(h, dir, d->line_off, dir == PC_HTTP_CLIENT ? "not an HTTP request line" : "not an HTTP status line");
            fail_message(h, dir, 0, false);
            return 0;
        }
    }
    uint64_t at;
    const char *why = line_limit(h, d, take, lf != NULL, &at);
    if (why) {
        report(h, dir, at, why);
        fail_message(h, dir, PC_HTTP_F_HEAD_CUT, false);
        return 0; /* resynchronisation looks at these bytes again */
    }
    if (!buf_room(s, take, h->lim_head)) {
        out_of_memory(h, dir);
        return 0;
    }
    memcpy(s->buf + s->used, p, take);
    s->used += take;
    d->raw += take;
    s->m.ts_last = d->ts;
    if (lf) line_done(h, dir, d->off + take);
    return take;
}

/* ------------------------------------------------------------ bodies */

static void body_bytes(struct pc_http *h, int dir, struct slot *s, const uint8_t *p, size_t n)
{
    s->m.body_len += n;
    s->m.ts_last = h->d[dir].ts;
    h->st.body_bytes[dir] += n;
    pc_sha256_update(&s->sha, p, n);
    if (h->cbs.body) {
        publish(s);
        h->cbs.body(h->ctx, dir, &s->m, p, n);
    }
}

static void body_lost(struct slot *s, uint64_t n)
{
    if (!n) return;
    s->m.body_lost += n;
    s->m.flags |= PC_HTTP_F_BODY_LOST;
}

static size_t st_body(struct pc_http *h, int dir, const uint8_t *p, size_t n)
{
    struct hdir *d = &h->d[dir];
    size_t k = n < d->remaining ? n : (size_t)d->remaining;
    body_bytes(h, dir, d->cur, p, k);
    d->remaining -= k;
    if (!d->remaining) complete_message(h, dir);
    return k;
}

static size_t st_cdata(struct pc_http *h, int dir, const uint8_t *p, size_t n)
{
    struct hdir *d = &h->d[dir];
    size_t k = n < d->remaining ? n : (size_t)d->remaining;
    body_bytes(h, dir, d->cur, p, k);
    d->remaining -= k;
    if (!d->remaining) {
        d->st = ST_CCRLF;
        d->cph = 0;
    }
    return k;
}

static void chunk_fail(struct pc_http *h, int dir, uint64_t off, const char *why)
{
    report(h, dir, off, why);
    fail_message(h, dir, PC_HTTP_F_BAD_CHUNK, false);
}

/* The CRLF that ends chunk data. */
static size_t st_ccrlf(struct pc_http *h, int dir, const uint8_t *p, size_t n)
{
    struct hdir *d = &h->d[dir];
    d->cur->m.ts_last = d->ts;
    for (size_t i = 0; i < n; i++) {
        if (p[i] == '\r' && !d->cph) {
            d->cph = 1;
            continue;
        }
        if (p[i] == '\n') {
            if (!d->cph) note(h, dir, d->cur, PC_HTTP_F_BARE_LF, NOTE_BARE_LF, d->off + i, "line ends in a bare LF");
            start_chunk_line(d, d->off + i + 1);
            return i + 1;
        }
        chunk_fail(h, dir, d->off + i, "chunk data not followed by CRLF");
        return i;
    }
    return n;
}

/* The chunk-size line is over: data follows, or the trailers. */
static void chunk_size_done(struct pc_http *h, int dir, uint64_t next_off)
{
    struct hdir *d = &h->d[dir];
    if (d->csize) {
        d->st = ST_CDATA;
        d->remaining = d->csize;
        return;
    }
    d->st = ST_TRAILER;
    d->ls = d->cur->used;
    d->line_off = next_off;
    d->cur->last_field = false;
}

/* chunk-size [ chunk-ext ] CRLF, a byte at a time: the line is short and
 * never kept. */
static size_t st_csize(struct pc_http *h, int dir, const uint8_t *p, size_t n)
{
    struct hdir *d = &h->d[dir];
    d->cur->m.ts_last = d->ts;
    for (size_t i = 0; i < n; i++) {
        uint8_t c = p[i];
        uint64_t at = d->off + i;
        if (c != '\n' && at - d->line_off > h->lim_line) {
            chunk_fail(h, dir, at, "chunk size line longer than http-line");
            return i;
        }
        if (c == '\n') {
            bool cr = d->cph == CS_CR || (d->cph == CS_EXT && d->lastcr);
            if (!d->cdigits) {
                chunk_fail(h, dir, d->line_off, "chunk size is not hex");
                return i;
            }
            if (!cr) note(h, dir, d->cur, PC_HTTP_F_BARE_LF, NOTE_BARE_LF, d->line_off, "line ends in a bare LF");
            chunk_size_done(h, dir, at + 1);
            return i + 1;
        }
        if (d->cph == CS_EXT) {
            d->lastcr = c == '\r';
            continue;
        }
        int v = hexval(c);
        if (d->cph == CS_DIGITS && v >= 0) {
            if (d->csize >= NUM_MAX / 16) {
                chunk_fail(h, dir, d->line_off, "chunk size overflows");
                return i;
            }
            d->csize = d->csize * 16 + (uint64_t)v;
            d->cdigits++;
        } else if (d->cph == CS_DIGITS && d->cdigits && (c == ';' || is_ws(c))) {
            d->cph = CS_EXT;
        } else if (d->cph == CS_DIGITS && d->cdigits && c == '\r') {
            d->cph = CS_CR;
        } else {
            chunk_fail(h, dir, d->line_off, d->cph == CS_CR ? "chunk size line without CRLF" : "chunk size is not hex");
            return i;
        }
    }
    return n;
}

static size_t st_close(struct pc_http *h, int dir, const uint8_t *p, size_t n)
{
    body_bytes(h, dir, h->d[dir].cur, p, n);
    return n;
}

/* ------------------------------------------------------------ resynchronisation */

/* The prefix in rs[] starts a start line: parse from there, with the
 * offset and time of its first byte. */
static void resume(struct pc_http *h, int dir)
{
    struct hdir *d = &h->d[dir];
    uint8_t rs[RS_MAX];
    size_t n = d->rs_n, i = 0;
    memcpy(rs, d->rs, n);
    uint64_t off = d->off;
    pc_time_ns ts = d->ts;
    d->st = ST_HEAD;
    d->rs_n = 0;
    d->off = d->rs_off;
    d->ts = d->rs_ts;
    while (i < n && d->st == ST_HEAD) {
        size_t k = st_lines(h, dir, rs + i, n - i);
        i += k;
        d->off += k;
        if (!k) break;
    }
    d->off = off;
    d->ts = ts;
}

/* Skip to a line that starts like a start line.  A line start is after
 * an LF, after a gap, or where the previous message ended. */
static size_t st_resync(struct pc_http *h, int dir, const uint8_t *p, size_t n)
{
    struct hdir *d = &h->d[dir];
    size_t i = 0;
    while (i < n) {
        if (!d->at_bol) {
            const uint8_t *lf = memchr(p + i, '\n', n - i);
            size_t to = lf ? (size_t)(lf - p) + 1 : n;
            h->st.skipped[dir] += to - i;
            i = to;
            d->at_bol = lf != NULL;
            continue;
        }
        if (!d->rs_n) {
            d->rs_off = d->off + i;
            d->rs_ts = d->ts;
        }
        d->rs[d->rs_n++] = p[i++];
        int m = start_match(d->rs, d->rs_n, dir);
        if (m > 0) {
            resume(h, dir);
            return i;
        }
        if (m < 0) {
            h->st.skipped[dir] += d->rs_n;
            d->at_bol = d->rs[d->rs_n - 1] == '\n';
            d->rs_n = 0;
        }
    }
    return n;
}

/* ------------------------------------------------------------ API */

struct pc_http *pc_http_new(const struct pc_limits *lim, const struct pc_http_cbs *cbs, void *ctx)
{
    struct pc_http *h = calloc(1, sizeof *h);
    if (!h) return NULL;
    struct pc_limits def;
    if (!lim) {
        pc_limits_default(&def);
        lim = &def;
    }
    /* the documented minimums (core/limits.c): the parser relies on a
     * line holding a method and a head holding a line */
    h->lim_line = lim->http_line < 64 ? 64 : lim->http_line;
    h->lim_fields = lim->http_fields < 1 ? 1 : lim->http_fields;
    h->lim_head = lim->http_head < 256 ? 256 : lim->http_head;
    h->lim_pipeline = lim->http_pipeline < 1 ? 1 : lim->http_pipeline;
    if (cbs) h->cbs = *cbs;
    h->ctx = ctx;
    return h;
}

static size_t step(struct pc_http *h, int dir, const uint8_t *p, size_t n)
{
    switch (h->d[dir].st) {
    case ST_HEAD:
    case ST_TRAILER: return st_lines(h, dir, p, n);
    case ST_BODY: return st_body(h, dir, p, n);
    case ST_CSIZE: return st_csize(h, dir, p, n);
    case ST_CDATA: return st_cdata(h, dir, p, n);
    case ST_CCRLF: return st_ccrlf(h, dir, p, n);
    case ST_CLOSE: return st_close(h, dir, p, n);
    case ST_RESYNC: return st_resync(h, dir, p, n);
    case ST_TUNNEL: h->st.tunnel_bytes[dir] += n; return n;
    default: return n;
    }
}

void pc_http_feed(struct pc_http *h, int dir, const uint8_t *p, size_t n, pc_time_ns ts)
{
    if (!h || (dir != PC_HTTP_CLIENT && dir != PC_HTTP_SERVER) || !p) return;
    struct hdir *d = &h->d[dir];
    d->ts = ts;
    /* every step takes at least one byte or changes the state */
    while (n) {
        size_t k = step(h, dir, p, n);
        p += k;
        n -= k;
        d->off += k;
    }
}

/* A gap inside a body of known extent: lost body bytes; *rest is what
 * runs past it.  False when the gap is not inside such a body. */
static bool gap_in_body(struct pc_http *h, int dir, uint64_t n, uint64_t *rest)
{
    struct hdir *d = &h->d[dir];
    *rest = 0;
    if (d->st == ST_CLOSE) {
        body_lost(d->cur, n);
        return true;
    }
    if (d->st != ST_BODY && d->st != ST_CDATA) return false;
    uint64_t k = n < d->remaining ? n : d->remaining;
    body_lost(d->cur, k);
    d->remaining -= k;
    *rest = n - k;
    if (d->remaining) return true;
    if (d->st == ST_CDATA) {
        d->st = ST_CCRLF;
        d->cph = 0;
    } else if (!*rest) {
        complete_message(h, dir);
    }
    return true;
}

void pc_http_gap(struct pc_http *h, int dir, uint64_t n)
{
    if (!h || (dir != PC_HTTP_CLIENT && dir != PC_HTTP_SERVER) || !n) return;
    struct hdir *d = &h->d[dir];
    if (d->st == ST_ENDED || d->st == ST_DEAD) return;
    h->st.gaps++;
    h->st.gap_bytes += n;
    uint64_t rest;
    bool in_body = gap_in_body(h, dir, n, &rest);
    if (in_body && !rest) {
        d->off += n;
        return;
    }
    /* where the trouble starts: past the body, or the gap itself */
    uint64_t at = in_body ? d->off + (n - rest) : d->off;
    switch (d->st) {
    case ST_TUNNEL: break;
    case ST_RESYNC:
        h->st.skipped[dir] += d->rs_n;
        d->rs_n = 0;
        d->at_bol = true;
        break;
    case ST_HEAD:
        if (!d->cur) {
            report(h, dir, at, "gap between messages: resynchronising");
            enter_resync(h, dir, true, false);
            break;
        }
        report(h, dir, at, "gap inside a message head");
        fail_message(h, dir, 0, true);
        break;
    case ST_BODY:
        /* the gap covers the end of the body: the message is over, but
         * where the next one starts is unknown */
        report(h, dir, at, "gap past the end of a message: resynchronising");
        fail_message(h, dir, 0, true);
        break;
    default:
        /* (the capture lost bytes: the sender's framing is not to blame) */
        report(h, dir, at, "gap inside chunked framing");
        fail_message(h, dir, 0, true);
        break;
    }
    d->off += n;
}

void pc_http_end(struct pc_http *h, int dir, pc_time_ns ts)
{
    if (!h || (dir != PC_HTTP_CLIENT && dir != PC_HTTP_SERVER)) return;
    struct hdir *d = &h->d[dir];
    if (d->ended) return;
    d->ts = ts;
    if (d->st == ST_CLOSE) {
        complete_message(h, dir);
    } else if (d->cur && d->st != ST_DEAD) {
        report(h, dir, d->off, "connection closed inside a message");
        cut_message(h, dir, 0);
    } else if (d->st == ST_RESYNC) {
        h->st.skipped[dir] += d->rs_n;
        d->rs_n = 0;
    }
    d->ended = true;
    d->st = ST_ENDED;
    if (h->d[PC_HTTP_SERVER].ended) flush_unanswered(h);
}

void pc_http_free(struct pc_http *h)
{
    if (!h) return;
    struct slot *claimed = h->d[PC_HTTP_SERVER].claimed, *cur = h->d[PC_HTTP_CLIENT].cur;
    while (h->qhead) slot_free(q_pop(h));
    if (claimed) slot_free(claimed);
    if (cur && cur != claimed && !cur->queued && cur->receiving) slot_free(cur);
    while (h->spare) {
        struct slot *s = h->spare;
        h->spare = s->next;
        slot_free(s);
    }
    free(h->resp.buf);
    free(h->resp.hf);
    free(h->resp.pub);
    free(h);
}

const struct pc_http_stats *pc_http_stats(const struct pc_http *h) { return &h->st; }

const char *pc_http_framing_name(int framing)
{
    static const char *const names[] = { "none", "content-length", "chunked", "close" };
    return framing >= 0 && framing <= PC_HTTP_BODY_CLOSE ? names[framing] : "?";
}

const char *pc_http_flag_name(unsigned bit)
{
    static const char *const names[PC_HTTP_F_COUNT] = {
        "te-cl",     "bare-lf",   "bare-cr",   "obs-fold", "incomplete", "body-lost", "interim", "switch",
        "bad-cl",    "bad-te",    "bad-chunk", "bad-field", "head-cut",  "early",     "evicted", "resync",
    };
    return bit < PC_HTTP_F_COUNT ? names[bit] : NULL;
}

/* ------------------------------------------------------------ accessors */

static const struct pc_http_field *find(const struct pc_http_field *f, size_t n, const char *name)
{
    for (size_t k = 0; k < n; k++)
        if (ieq(f[k].name.p, f[k].name.n, name)) return &f[k];
    return NULL;
}

const struct pc_http_field *pc_http_field(const struct pc_http_msg *m, const char *name)
{
    return m->nfields ? find(m->fields, m->nfields, name) : NULL;
}

const struct pc_http_field *pc_http_field_next(const struct pc_http_msg *m, const char *name,
                                               const struct pc_http_field *after)
{
    if (!after) return pc_http_field(m, name);
    if (!m->nfields || after < m->fields || after >= m->fields + m->nfields) return NULL;
    size_t k = (size_t)(after - m->fields) + 1;
    return k < m->nfields ? find(m->fields + k, m->nfields - k, name) : NULL;
}

const struct pc_http_field *pc_http_trailer(const struct pc_http_msg *m, const char *name)
{
    return m->ntrailers ? find(m->trailers, m->ntrailers, name) : NULL;
}

static struct pc_http_str value_of(const struct pc_http_msg *m, const char *name)
{
    const struct pc_http_field *f = pc_http_field(m, name);
    return f ? f->value : (struct pc_http_str){ NULL, 0 };
}

struct pc_http_str pc_http_host(const struct pc_http_msg *m) { return value_of(m, "host"); }
struct pc_http_str pc_http_user_agent(const struct pc_http_msg *m) { return value_of(m, "user-agent"); }
struct pc_http_str pc_http_content_type(const struct pc_http_msg *m) { return value_of(m, "content-type"); }
int64_t pc_http_content_length(const struct pc_http_msg *m) { return m->content_length; }

/* ------------------------------------------------------------ one payload */

/* The Host field among the header lines of p[from..n), and where the
 * header section ends (0 when its empty line is not in p). */
static void peek_fields(const uint8_t *p, size_t n, size_t from, struct pc_http_peek *out)
{
    size_t i = from;
    while (i < n) {
        const uint8_t *lf = memchr(p + i, '\n', n - i);
        if (!lf) return;
        size_t e = (size_t)(lf - p), b = e;
        if (b > i && p[b - 1] == '\r') b--;
        if (b == i) {
            out->head_len = e + 1;
            return;
        }
        if (!out->host.p && b - i >= 5 && ieq((const char *)p + i, 5, "host:")) {
            size_t va = i + 5, vb = b;
            trim(p, &va, &vb);
            out->host = (struct pc_http_str){ (const char *)p + va, vb - va };
        }
        i = e + 1;
    }
}

int pc_http_peek(const uint8_t *p, size_t n, struct pc_http_peek *out)
{
    memset(out, 0, sizeof *out);
    const uint8_t *lf = n ? memchr(p, '\n', n) : NULL;
    if (!lf) return PC_HTTP_PEEK_NONE;
    size_t e = (size_t)(lf - p), b = e;
    if (b && p[b - 1] == '\r') b--;
    struct sline sl = { 0 };
    bool resp = b >= 5 && !memcmp(p, "HTTP/", 5);
    if (resp ? parse_status_line(p, b, &sl) : parse_request_line(p, b, &sl)) return PC_HTTP_PEEK_NONE;
    const char *c = (const char *)p;
    out->kind = resp ? PC_HTTP_PEEK_RESPONSE : PC_HTTP_PEEK_REQUEST;
    out->major = sl.major;
    out->minor = sl.minor;
    out->line_len = e + 1;
    out->method = out->uri = out->reason = empty_str;
    if (resp) {
        out->status = sl.status;
        if (sl.rl) out->reason = (struct pc_http_str){ c + sl.ro, sl.rl };
    } else {
        out->method = (struct pc_http_str){ c + sl.mo, sl.ml };
        out->uri = (struct pc_http_str){ c + sl.uo, sl.ul };
    }
    peek_fields(p, n, e + 1, out);
    return out->kind;
}

bool pc_http_probe(const uint8_t *p, size_t n)
{
    if (n >= 7 && !memcmp(p, "HTTP/1.", 7)) return true;
    size_t k = n < RS_MAX ? n : RS_MAX;
    /* a prefix is not enough: the whole method and its space must be there */
    for (size_t i = 1; i <= k; i++) {
        int m = start_match(p, i, PC_HTTP_CLIENT);
        if (m) return m > 0;
    }
    return false;
}

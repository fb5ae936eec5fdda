/* HTTP/1.x decoding for analysis (RFC 9110, RFC 9112).
 *
 * A per-connection streaming parser: the caller feeds the reassembled TCP
 * bytes of each direction (PC_HTTP_CLIENT: client to server, requests;
 * PC_HTTP_SERVER: server to client, responses) as they come, split
 * anywhere (one byte at a time gives the same results as the whole
 * stream at once), says where bytes were lost (pc_http_gap) and when a
 * direction closed (pc_http_end).  Complete exchanges come back through
 * callbacks, responses matched to requests in order (pipelining and
 * keep-alive), with every header field, the body framing, the
 * de-chunked body streamed to an optional consumer and its SHA-256.
 *
 * Framing follows RFC 9112 section 6.3: no body for responses to HEAD,
 * for 1xx, 204 and 304; after a 2xx to CONNECT or a 101 the connection
 * is no longer HTTP (the response says so with PC_HTTP_F_SWITCH and the
 * rest of both directions is skipped); Transfer-Encoding wins over
 * Content-Length (both present is flagged as a request-smuggling signal);
 * a chunked body is de-chunked (extensions ignored, trailers kept as
 * fields); a response without a length runs until its direction closes;
 * interim 1xx responses (100 Continue) are counted on the final response
 * of the same request.
 *
 * Untrusted input: the parser never reads past the bytes it is given and
 * never allocates per byte.  Memory is bounded by the limits (struct
 * pc_limits): a message head (start line, header fields, trailers) is
 * copied into a buffer of at most http_head bytes; bodies are streamed,
 * never held; each request's head is kept until its response completes,
 * at most http_pipeline of them, so a connection holds at most about
 * (http_pipeline + 2) x http_head bytes.  Every malformed input and every
 * limit reached is reported through the error callback with a static
 * reason and the stream offset; the message it cut is delivered flagged
 * (PC_HTTP_F_INCOMPLETE, PC_HTTP_F_HEAD_CUT, ...) when its start line was
 * read, and the direction resynchronises at the next line that starts
 * like a start line (a known method and a space, or "HTTP/1.").
 *
 * Strings point into the parser's buffers: valid only during the
 * callback.  Callbacks must not call back into the same parser. */
#ifndef PKTCRAFT_HTTP_H
#define PKTCRAFT_HTTP_H

#include <stdbool.h>
#include "../core/common.h"

struct pc_limits;

#define PC_HTTP_CLIENT 0 /* direction of requests */
#define PC_HTTP_SERVER 1 /* direction of responses */

/* Bytes and their count; never NULL inside a message ("" when absent). */
struct pc_http_str {
    const char *p;
    size_t n;
};

struct pc_http_field {
    struct pc_http_str name;  /* as sent (compare case-insensitively) */
    struct pc_http_str value; /* surrounding whitespace trimmed, obs-fold unfolded to one space */
};

enum pc_http_framing {
    PC_HTTP_BODY_NONE = 0, /* no body (or the framing was unusable: see the flags) */
    PC_HTTP_BODY_LENGTH,   /* Content-Length */
    PC_HTTP_BODY_CHUNKED,  /* chunked transfer coding */
    PC_HTTP_BODY_CLOSE,    /* a response read until its direction closes */
};
const char *pc_http_framing_name(int framing);

/* Message flags. */
#define PC_HTTP_F_TE_CL (1u << 0)      /* both Transfer-Encoding and Content-Length: request-smuggling signal */
#define PC_HTTP_F_BARE_LF (1u << 1)    /* a line ended in LF without CR (tolerated) */
#define PC_HTTP_F_BARE_CR (1u << 2)    /* a CR inside a line */
#define PC_HTTP_F_OBS_FOLD (1u << 3)   /* a field value folded over lines (unfolded) */
#define PC_HTTP_F_INCOMPLETE (1u << 4) /* ended early: by a gap, a limit, bad framing or the close */
#define PC_HTTP_F_BODY_LOST (1u << 5)  /* body bytes lost in gaps (body_lost counts them) */
#define PC_HTTP_F_INTERIM (1u << 6)    /* response: 1xx responses came before it (interim) */
#define PC_HTTP_F_SWITCH (1u << 7)     /* response: 2xx to CONNECT or 101: the connection stops being HTTP */
#define PC_HTTP_F_BAD_CL (1u << 8)     /* Content-Length not a number, or several that differ */
#define PC_HTTP_F_BAD_TE (1u << 9)     /* request: Transfer-Encoding whose last coding is not chunked */
#define PC_HTTP_F_BAD_CHUNK (1u << 10) /* chunked framing broken (size not hex, overflow, missing CRLF) */
#define PC_HTTP_F_BAD_FIELD (1u << 11) /* a field line that is not "name: value" (dropped or repaired) */
#define PC_HTTP_F_HEAD_CUT (1u << 12)  /* http_line, http_fields or http_head cut the head or trailers */
#define PC_HTTP_F_EARLY (1u << 13)     /* request: its response completed first (body figures as then) */
#define PC_HTTP_F_EVICTED (1u << 14)   /* request: pushed out unanswered by http_pipeline */
#define PC_HTTP_F_RESYNC (1u << 15)    /* first message after bytes skipped to resynchronise */
#define PC_HTTP_F_COUNT 16
/* "te-cl", "bare-lf", ... for flag bit i (0..PC_HTTP_F_COUNT-1), else NULL. */
const char *pc_http_flag_name(unsigned bit);

struct pc_http_msg {
    int dir;                      /* PC_HTTP_CLIENT (a request) or PC_HTTP_SERVER (a response) */
    struct pc_http_str method;    /* request */
    struct pc_http_str uri;       /* request target, as sent */
    int status;                   /* response: 100..999 */
    struct pc_http_str reason;    /* response: reason phrase (may be empty) */
    uint8_t major, minor;         /* HTTP version */
    const struct pc_http_field *fields;
    size_t nfields;
    const struct pc_http_field *trailers; /* chunked trailer fields */
    size_t ntrailers;
    int framing;                  /* enum pc_http_framing */
    int64_t content_length;       /* declared Content-Length, -1 when none or invalid */
    uint64_t body_len;            /* de-chunked body bytes delivered so far */
    uint64_t body_lost;           /* body bytes lost in gaps */
    uint8_t body_sha256[32];      /* SHA-256 of the body bytes delivered (set at delivery) */
    uint32_t flags;               /* PC_HTTP_F_* */
    uint32_t interim;             /* response: interim 1xx responses before it */
    int interim_status;           /* response: the last of those (100 for 100 Continue), else 0 */
    uint64_t offset;              /* stream offset of the first byte of the start line */
    uint64_t head_len;            /* bytes of the start line and header section, with the empty line */
    pc_time_ns ts_first, ts_last; /* times of the feeds that brought the first and the last byte */
};

struct pc_http_cbs {
    /* A response completed (req NULL: no request was seen for it), or a
     * request will never get one (resp NULL: the server side ended, or
     * http_pipeline pushed it out).  Each message is delivered once. */
    void (*exchange)(void *ctx, const struct pc_http_msg *req, const struct pc_http_msg *resp);
    /* De-chunked body bytes of m as they arrive (m->body_len counts them). */
    void (*body)(void *ctx, int dir, const struct pc_http_msg *m, const uint8_t *p, size_t n);
    /* Something malformed or a limit reached: a static reason and the
     * stream offset where it is (a bad line's start, the first byte past
     * a limit, the message it concerns). */
    void (*error)(void *ctx, int dir, uint64_t stream_offset, const char *why);
};

struct pc_http_stats {
    uint64_t requests;        /* request start lines read */
    uint64_t responses;       /* final response start lines read */
    uint64_t interim;         /* interim 1xx responses */
    uint64_t exchanges;       /* exchange callbacks with both messages */
    uint64_t unanswered;      /* requests delivered without a response */
    uint64_t orphans;         /* responses delivered without a request */
    uint64_t errors;          /* error callbacks */
    uint64_t gaps, gap_bytes; /* pc_http_gap calls and the bytes they lost */
    uint64_t body_bytes[2];   /* body bytes delivered, per direction */
    uint64_t skipped[2];      /* bytes skipped while resynchronising, per direction */
    uint64_t tunnel_bytes[2]; /* bytes after the connection stopped being HTTP */
    bool switched;            /* a 2xx to CONNECT or a 101 was seen */
    bool nomem;               /* an allocation failed: that direction stopped */
};

struct pc_http;
/* lim: NULL for the defaults (pc_limits_default); only the http_* limits
 * are used, raised to their documented minimums.  cbs may be NULL and
 * any callback in it may be NULL.  NULL when out of memory. */
struct pc_http *pc_http_new(const struct pc_limits *lim, const struct pc_http_cbs *cbs, void *ctx);
/* The next n bytes of direction dir (PC_HTTP_CLIENT or PC_HTTP_SERVER),
 * seen at time ts. */
void pc_http_feed(struct pc_http *h, int dir, const uint8_t *p, size_t n, pc_time_ns ts);
/* n bytes of direction dir were lost.  Inside a body of known extent
 * (a Content-Length, the current chunk, a body read to the close) they
 * are counted as lost body bytes and parsing goes on; anywhere else the
 * message they cut is delivered incomplete, the gap is reported and the
 * direction resynchronises at the next start line. */
void pc_http_gap(struct pc_http *h, int dir, uint64_t n);
/* Direction dir closed (FIN, RST, or the capture ended): a response read
 * to the close completes; an unfinished message is delivered flagged
 * PC_HTTP_F_INCOMPLETE; once the server side has ended, every request
 * without a response is delivered with resp NULL. */
void pc_http_end(struct pc_http *h, int dir, pc_time_ns ts);
/* Release everything; delivers nothing (call pc_http_end on both
 * directions first to have every message delivered). */
void pc_http_free(struct pc_http *h);
const struct pc_http_stats *pc_http_stats(const struct pc_http *h);

/* Field lookup, names compared case-insensitively: the first field named
 * name, or the next one after `after` (a pointer into m->fields), or
 * NULL.  pc_http_trailer looks among the trailers. */
const struct pc_http_field *pc_http_field(const struct pc_http_msg *m, const char *name);
const struct pc_http_field *pc_http_field_next(const struct pc_http_msg *m, const char *name,
                                               const struct pc_http_field *after);
const struct pc_http_field *pc_http_trailer(const struct pc_http_msg *m, const char *name);
/* Values of the first Host, User-Agent and Content-Type fields ({NULL, 0}
 * when absent), and the declared Content-Length (-1 when none). */
struct pc_http_str pc_http_host(const struct pc_http_msg *m);
struct pc_http_str pc_http_user_agent(const struct pc_http_msg *m);
struct pc_http_str pc_http_content_type(const struct pc_http_msg *m);
int64_t pc_http_content_length(const struct pc_http_msg *m);

/* One TCP payload on its own (the per-packet keys of `read`). */
enum { PC_HTTP_PEEK_NONE = 0, PC_HTTP_PEEK_REQUEST = 1, PC_HTTP_PEEK_RESPONSE = 2 };
struct pc_http_peek {
    int kind;                     /* PC_HTTP_PEEK_* (also the return value) */
    struct pc_http_str method, uri; /* request */
    struct pc_http_str host;      /* request: the Host field if in the payload, else {NULL, 0} */
    int status;                   /* response */
    struct pc_http_str reason;    /* response */
    uint8_t major, minor;
    size_t line_len;              /* the start line with its line end */
    size_t head_len;              /* start line and header section when its empty line is in p, else 0 */
};
/* Does p start with a whole HTTP/1.x start line (ended by CRLF or LF)?
 * Returns PC_HTTP_PEEK_REQUEST or _RESPONSE with *out filled (pointers
 * into p), or PC_HTTP_PEEK_NONE (*out zeroed).  Reads only p[0..n). */
int pc_http_peek(const uint8_t *p, size_t n, struct pc_http_peek *out);
/* Does a stream start like HTTP/1.x: a known method and a space, or
 * "HTTP/1."? */
bool pc_http_probe(const uint8_t *p, size_t n);

#endif

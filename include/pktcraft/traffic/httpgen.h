/* HTTP/1.x messages as a client and a server write them (RFC 9110,
 * RFC 9112), for crafted conversations (`pktcraft http`).
 *
 * A request or a response is appended to a growable buffer: the start
 * line, the header fields a real client or server sends by default, the
 * caller's fields, and the body (with chunked framing when asked).
 *
 * Fields: the defaults come in a fixed order (the one curl and nginx use);
 * a caller's field whose name (case-insensitive) is a default's takes that
 * default's place with the caller's value, a caller's field with a NULL
 * value removes the default of that name, and the other caller fields
 * follow the defaults in the order given.  Request defaults: Host,
 * User-Agent, Accept, Connection, then with a body Content-Length and
 * Content-Type; response defaults: Server, Date, Content-Type,
 * Content-Length or Transfer-Encoding, Connection.  Content-Length is
 * computed from the body unless the caller gives one, which is then
 * written as given even when it is wrong (fixtures need lies too), or
 * gives a Transfer-Encoding of its own (the body is then written as
 * given, framing included).  Nothing is
 * checked or escaped: a name or value with CR or LF is written as it is.
 *
 * Body rules (RFC 9112 section 6.3): a response to HEAD carries the
 * fields of the body it would have (its Content-Length, or chunked) but no
 * body; 1xx, 204 and 304 responses have neither body nor Content-Length. */
#ifndef PKTCRAFT_TRAFFIC_HTTPGEN_H
#define PKTCRAFT_TRAFFIC_HTTPGEN_H

#include <stdbool.h>
#include "../core/common.h"

/* Bytes appended as they come; err is sticky (PC_ENOMEM, or PC_ELIMIT
 * past PC_HTTPGEN_MAX), and nothing more is appended once it is set. */
#define PC_HTTPGEN_MAX (UINT64_C(256) << 20)
struct pc_httpgen_buf {
    uint8_t *p;
    size_t len, cap;
    int err;
};
/* A zeroed struct is an empty buffer; free releases it (and zeroes it). */
void pc_httpgen_buf_free(struct pc_httpgen_buf *b);
void pc_httpgen_put(struct pc_httpgen_buf *b, const void *p, size_t n);

/* One header field.  value NULL: remove the default field of that name. */
struct pc_httpgen_field {
    const char *name;
    const char *value;
};

struct pc_httpgen_req {
    const char *method;       /* NULL: "GET" */
    const char *uri;          /* request target; NULL: "/" */
    bool http10;              /* HTTP/1.0 (default HTTP/1.1) */
    const char *host;         /* Host value; NULL: no Host field */
    const char *user_agent;   /* NULL: "pktcraft/" PC_VERSION_STRING */
    bool close;               /* Connection: close (else keep-alive) */
    const char *content_type; /* NULL: "application/x-www-form-urlencoded"
                               * (only with a body), as curl -d sends it */
    const struct pc_httpgen_field *fields;
    size_t nfields;
    const uint8_t *body;
    size_t body_len;
};

struct pc_httpgen_resp {
    bool http10;
    int status;               /* 100..999; 0: 200 */
    const char *reason;       /* NULL: pc_httpgen_reason(status) */
    pc_time_ns date;          /* the Date field (seconds used) */
    bool no_date;             /* leave Date out */
    const char *server;       /* NULL: "pktcraft/" PC_VERSION_STRING */
    const char *content_type; /* NULL: "text/html" (only with a body) */
    bool close;               /* Connection: close (else keep-alive) */
    bool head;                /* the answer to a HEAD request: no body */
    bool chunked;             /* Transfer-Encoding: chunked */
    size_t chunk_size;        /* bytes per chunk (the last one shorter); 0: 4096 */
    const struct pc_httpgen_field *fields;
    size_t nfields;
    const uint8_t *body;
    size_t body_len;
};

/* Append the request / the response to b.  Returns 0, PC_EINVAL (status
 * out of range), or b->err. */
int pc_httpgen_request(struct pc_httpgen_buf *b, const struct pc_httpgen_req *r);
int pc_httpgen_response(struct pc_httpgen_buf *b, const struct pc_httpgen_resp *r);

/* Does the request say there is a body: one was given, or the method
 * (POST, PUT, PATCH) defines a meaning for it (Content-Length: 0 then)? */
bool pc_httpgen_req_has_length(const struct pc_httpgen_req *r);
/* Are body bytes written after the response's head (not HEAD, 1xx, 204, 304)? */
bool pc_httpgen_resp_has_body(const struct pc_httpgen_resp *r);

/* The standard reason phrase of a status code (RFC 9110 section 15),
 * "Unknown" for a code without one. */
const char *pc_httpgen_reason(int status);

/* ts as an IMF-fixdate (RFC 9110 section 5.6.7): "Sun, 06 Nov 1994
 * 08:49:37 GMT", 29 characters and a NUL.  Returns the length. */
#define PC_HTTPGEN_DATE_MAX 30
size_t pc_httpgen_date(pc_time_ns ts, char out[PC_HTTPGEN_DATE_MAX]);

/* n bytes of generated text (numbered lines of printable ASCII, each
 * ended by LF; the last one cut at n), the same for the same n. */
void pc_httpgen_text(uint8_t *out, size_t n);

#endif

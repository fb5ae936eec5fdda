/* pktcraft http: HTTP/1.x exchanges over one TCP connection (a conversation,
 * cli/conv.h): each request is a client step, each response a server step.
 * The messages come from the builder (pktcraft/traffic/httpgen.h). */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "conv.h"
#include "pktcraft/core/hash.h"
#include "pktcraft/traffic/httpgen.h"

#define MAX_FIELDS 64
#define MAX_EXCHANGES (PC_CONV_MAX_STEPS / 2)

/* The default response body: a small page, as a web server's index. */
static const char DEFAULT_PAGE[] = "<!DOCTYPE html>\n<html>\n<head><title>pktcraft</title></head>\n"
                                   "<body><h1>It works</h1><p>A page crafted by pktcraft.</p></body>\n</html>\n";

/* One group of options: an exchange, repeated `requests` times. */
struct group {
    const char *method, *uri, *host, *reason;
    int status;
    struct pc_httpgen_field req_f[MAX_FIELDS], resp_f[MAX_FIELDS];
    size_t nreq_f, nresp_f;
    uint8_t *body, *resp_body;
    size_t body_len, resp_len;
    bool have_resp_body;
    bool chunked;
    size_t chunk_size;
    uint64_t requests;
};

/* What one exchange was, for the truth file. */
struct fact {
    const char *method, *uri, *host;
    int status;
    size_t req_body, resp_body;
    uint8_t sha[32];
    bool chunked;
};

struct http_args {
    struct conv_cli v;
    struct group *g;
    size_t ng;
    bool http10, close_given;
    char host_default[80];
    struct fact *facts;
    size_t nfacts;
};

enum {
    O_METHOD = CONV_OPT_END, O_URI, O_HOST, O_HEADER, O_BODY, O_STATUS, O_REASON, O_RESP_HEADER, O_RESP_BODY,
    O_RESP_SIZE, O_CHUNKED, O_CHUNK_SIZE, O_REQUESTS, O_NEXT, O_VERSION,
};

static const struct option longopts[] = {
    CRAFT_COMMON_LONGOPTS,
    CONV_LONGOPTS,
    { "method", required_argument, 0, O_METHOD }, { "uri", required_argument, 0, O_URI },
    { "host", required_argument, 0, O_HOST }, { "header", required_argument, 0, O_HEADER },
    { "body", required_argument, 0, O_BODY }, { "status", required_argument, 0, O_STATUS },
    { "reason", required_argument, 0, O_REASON }, { "resp-header", required_argument, 0, O_RESP_HEADER },
    { "resp-body", required_argument, 0, O_RESP_BODY }, { "resp-size", required_argument, 0, O_RESP_SIZE },
    { "chunked", no_argument, 0, O_CHUNKED }, { "chunk-size", required_argument, 0, O_CHUNK_SIZE },
    { "requests", required_argument, 0, O_REQUESTS }, { "next", no_argument, 0, O_NEXT },
    { "http-version", required_argument, 0, O_VERSION },
    { 0, 0, 0, 0 },
};

static void help(void)
{
    printf("Usage: pktcraft http --src ADDR --dst ADDR -o FILE [OPTIONS]\n\n"
           "An HTTP/1.x conversation over one TCP connection: handshake, each request and\n"
           "its response cut at the MSS and acknowledged, teardown. Content-Length is\n"
           "computed unless pinned with --header/--resp-header.\n\n"
           "Request:\n"
           "      --method M            request method (default GET)\n"
           "      --uri URI             request target (default /)\n"
           "      --host H              Host field (default the --dst address, with :PORT\n"
           "                            when --dport is not 80; later exchanges: the last)\n"
           "      --header 'K: V'       a request field (repeatable): replaces the default of\n"
           "                            that name in its place (Host, User-Agent, Accept,\n"
           "                            Connection, Content-Length, Content-Type), else added\n"
           "                            after them in order; 'K:' removes the default,\n"
           "                            'K;' sends K with an empty value\n"
           "      --body DATA           request body\n"
           "Response:\n"
           "      --status N            status code (default 200), with its standard reason\n"
           "      --reason TEXT         another reason phrase\n"
           "      --resp-header 'K: V'  a response field, as --header (defaults: Server, Date,\n"
           "                            Content-Type, Content-Length, Transfer-Encoding,\n"
           "                            Connection)\n"
           "      --resp-body DATA      response body (default a small HTML page)\n"
           "      --resp-size N         a body of N bytes of generated text (64k, 1M)\n"
           "      --chunked             Transfer-Encoding: chunked, --chunk-size N bytes per\n"
           "                            chunk (default 4096)\n"
           "Connection:\n"
           "      --requests N          the exchange N times on the connection (keep-alive)\n"
           "      --next                start another exchange: the options after it are\n"
           "                            its own (from their defaults; --host from the last)\n"
           "      --http-version 1.0|1.1   for every message (default 1.1)\n"
           "DATA is a string with C escapes, @FILE, or hex:HEX. Every exchange but the last\n"
           "says Connection: keep-alive, the last Connection: close, and the server closes\n"
           "first (--close changes that). HEAD, 1xx, 204 and 304 responses have no body.\n");
    conv_help(false);
    craft_help_common(CL_NET | CL_TCP);
    printf("\nExamples:\n"
           "  pktcraft http --src 10.0.0.1 --dst 10.0.0.2 --uri /index.html --resp-size 5000 -o get.pcap\n"
           "  pktcraft http --src 2001:db8::1 --dst 2001:db8::2 --method POST --uri /api --body '{\"a\":1}' \\\n"
           "      --header 'Content-Type: application/json' --status 201 --next --uri /x --chunked \\\n"
           "      --resp-size 20k --truth -o post.pcap\n");
}

/* ---------------------------------------------------------- options */

/* A byte count: digits with an optional k or M (1024-based). */
static uint64_t parse_size(const char *opt, const char *s, uint64_t max)
{
    char num[32];
    size_t n = strlen(s);
    uint64_t mult = 1;
    if (n && (s[n - 1] == 'k' || s[n - 1] == 'K')) mult = 1024;
    else if (n && s[n - 1] == 'M') mult = 1024 * 1024;
    if (mult > 1) n--;
    if (n == 0 || n >= sizeof num) cli_usage_error("%s: '%s' is not a size", opt, s);
    memcpy(num, s, n);
    num[n] = 0;
    uint64_t v = cli_parse_uint(opt, num, max / mult);
    return v * mult;
}

/* 'Name: value' into a field; 'Name:' (nothing after the colon) removes
 * the default of that name, 'Name;' sends it with an empty value (curl's
 * spellings).  The text stays in argv. */
static void parse_field(const char *opt, char *arg, struct pc_httpgen_field *f, size_t *n)
{
    if (*n == MAX_FIELDS) cli_usage_error("%s: at most %d fields per exchange", opt, MAX_FIELDS);
    char *colon = strchr(arg, ':');
    size_t len = strlen(arg);
    if (!colon && len && arg[len - 1] == ';') {
        arg[len - 1] = 0;
        f[*n].name = arg;
        f[*n].value = "";
    } else {
        if (!colon || colon == arg) cli_usage_error("%s: '%s' is not 'Name: value'", opt, arg);
        *colon = 0;
        const char *val = colon + 1;
        while (*val == ' ' || *val == '\t') val++;
        f[*n].name = arg;
        f[*n].value = *val ? val : NULL;
    }
    for (const char *p = f[*n].name; *p; p++)
        if (*p == ' ' || *p == '\t') cli_usage_error("%s: field name '%s' has a space", opt, f[*n].name);
    (*n)++;
}

static struct group *new_group(struct http_args *a)
{
    struct group *g = realloc(a->g, (a->ng + 1) * sizeof *g);
    if (!g) cli_runtime_error("out of memory");
    a->g = g;
    g = &a->g[a->ng++];
    memset(g, 0, sizeof *g);
    g->requests = 1;
    return g;
}

static void group_opt(struct http_args *a, int opt, char *arg)
{
    struct group *g = &a->g[a->ng - 1];
    switch (opt) {
    case O_METHOD:
        if (!*arg || strpbrk(arg, " \t\r\n")) cli_usage_error("--method: '%s' is not a method token", arg);
        g->method = arg;
        break;
    case O_URI:
        if (!*arg) cli_usage_error("--uri: empty");
        g->uri = arg;
        break;
    case O_HOST: g->host = arg; break;
    case O_HEADER: parse_field("--header", arg, g->req_f, &g->nreq_f); break;
    case O_RESP_HEADER: parse_field("--resp-header", arg, g->resp_f, &g->nresp_f); break;
    case O_BODY:
        free(g->body);
        conv_parse_data("--body", arg, &g->body, &g->body_len);
        break;
    case O_RESP_BODY:
        free(g->resp_body);
        conv_parse_data("--resp-body", arg, &g->resp_body, &g->resp_len);
        g->have_resp_body = true;
        break;
    case O_RESP_SIZE: {
        size_t n = (size_t)parse_size("--resp-size", arg, PC_CONV_MAX_BYTES / 2);
        free(g->resp_body);
        g->resp_body = malloc(n ? n : 1);
        if (!g->resp_body) cli_runtime_error("out of memory");
        pc_httpgen_text(g->resp_body, n);
        g->resp_len = n;
        g->have_resp_body = true;
        break;
    }
    case O_STATUS: g->status = (int)cli_parse_uint("--status", arg, 999); break;
    case O_REASON: g->reason = arg; break;
    case O_CHUNKED: g->chunked = true; break;
    case O_CHUNK_SIZE:
        g->chunk_size = (size_t)parse_size("--chunk-size", arg, 1 << 24);
        if (!g->chunk_size) cli_usage_error("--chunk-size: must be at least 1");
        g->chunked = true;
        break;
    case O_REQUESTS:
        g->requests = cli_parse_uint("--requests", arg, MAX_EXCHANGES);
        if (!g->requests) cli_usage_error("--requests: must be at least 1");
        break;
    case O_NEXT: new_group(a); break;
    case O_VERSION:
        if (!strcmp(arg, "1.0") || !strcasecmp(arg, "HTTP/1.0")) a->http10 = true;
        else if (!strcmp(arg, "1.1") || !strcasecmp(arg, "HTTP/1.1")) a->http10 = false;
        else cli_usage_error("--http-version: '%s' is not 1.0 or 1.1", arg);
        break;
    default: cli_usage_error("bad option");
    }
}

static void check_groups(const struct http_args *a)
{
    uint64_t total = 0;
    for (size_t i = 0; i < a->ng; i++) {
        const struct group *g = &a->g[i];
        if (g->status && g->status < 100)
            cli_usage_error("--status: %d is not a status code (100-999)", g->status);
        if (g->chunked && a->http10) cli_usage_error("--chunked: HTTP/1.0 has no chunked transfer coding");
        total += g->requests;
    }
    if (total > MAX_EXCHANGES) cli_usage_error("--requests: %llu exchanges, at most %d", (unsigned long long)total,
                                               MAX_EXCHANGES);
}

/* The Host a client derives from the URL http://DST[:PORT]/. */
static void default_host(struct http_args *a)
{
    char addr[64];
    const struct craft *c = &a->v.c;
    if (c->ipver == 6) {
        char t[46];
        pc_fmt_ip6(c->dst, t);
        snprintf(addr, sizeof addr, "[%s]", t);
    } else {
        pc_fmt_ip4(c->dst, addr);
    }
    if (a->v.o.dport != 80) snprintf(a->host_default, sizeof a->host_default, "%s:%u", addr, a->v.o.dport);
    else snprintf(a->host_default, sizeof a->host_default, "%s", addr);
}

static void parse_args(struct http_args *a, int argc, char **argv)
{
    memset(a, 0, sizeof *a); /* `pktcraft run` calls a command more than once */
    conv_init(&a->v, 6, 80);
    new_group(a);
    int opt;
    while ((opt = getopt_long(argc, argv, CRAFT_COMMON_SHORTOPTS, longopts, NULL)) != -1) {
        if (opt == 'h') { help(); exit(EXIT_OK); }
        if (opt == CONV_OPT_CLOSE) a->close_given = true;
        if (opt == '?' || opt == ':') cli_bad_option(opt, argv);
        if (opt < CONV_OPT_END) {
            if (!conv_opt(&a->v, opt, optarg, argv)) cli_bad_option('?', argv);
            continue;
        }
        group_opt(a, opt, optarg);
    }
    if (optind < argc) cli_usage_error("unexpected argument '%s'", argv[optind]);
    if (a->v.c.have_payload) cli_usage_error("--data/--data-file/--hex do not apply: use --body and --resp-body");
    check_groups(a);
    default_host(a);
    /* the Date fields come from the first packet's time: fix it now */
    if (a->v.c.start < 0) a->v.c.start = cli_now();
    /* the server answers the last request's Connection: close by closing */
    if (!a->close_given) a->v.o.close = PC_CLOSE_SERVER_FIN;
}

/* ----------------------------------------------------------- script */

static void add_exchange(struct http_args *a, const struct group *g, const char *host, bool last,
                         struct pc_httpgen_buf *b)
{
    struct pc_httpgen_req rq = { .method = g->method, .uri = g->uri, .http10 = a->http10, .host = host,
                                 .close = last, .fields = g->req_f, .nfields = g->nreq_f, .body = g->body,
                                 .body_len = g->body_len };
    const uint8_t *rb = g->have_resp_body ? g->resp_body : (const uint8_t *)DEFAULT_PAGE;
    size_t rn = g->have_resp_body ? g->resp_len : sizeof DEFAULT_PAGE - 1;
    struct pc_httpgen_resp rs = { .http10 = a->http10, .status = g->status, .reason = g->reason,
                                  .date = a->v.c.start, .close = last,
                                  .head = g->method && !strcmp(g->method, "HEAD"), .chunked = g->chunked,
                                  .chunk_size = g->chunk_size, .fields = g->resp_f, .nfields = g->nresp_f,
                                  .body = rb, .body_len = rn };
    b->len = 0;
    if (pc_httpgen_request(b, &rq) < 0) cli_runtime_error("request: %s", pc_strerror(b->err));
    conv_add_step(&a->v, PC_CONV_CLIENT, b->p, b->len, 0);
    b->len = 0;
    int rc = pc_httpgen_response(b, &rs);
    if (rc < 0) cli_runtime_error("response: %s", pc_strerror(rc));
    conv_add_step(&a->v, PC_CONV_SERVER, b->p, b->len, 0);

    struct fact *f = &a->facts[a->nfacts++];
    bool body = pc_httpgen_resp_has_body(&rs);
    *f = (struct fact){ .method = g->method ? g->method : "GET", .uri = g->uri ? g->uri : "/", .host = host,
                        .status = g->status ? g->status : 200, .req_body = g->body_len,
                        .resp_body = body ? rn : 0, .chunked = g->chunked };
    pc_sha256(body ? rb : (const uint8_t *)"", body ? rn : 0, f->sha);
}

static void build_script(struct http_args *a)
{
    size_t total = 0, k = 0;
    for (size_t i = 0; i < a->ng; i++) total += (size_t)a->g[i].requests;
    a->facts = calloc(total ? total : 1, sizeof *a->facts);
    if (!a->facts) cli_runtime_error("out of memory");
    struct pc_httpgen_buf b = { 0 };
    const char *host = a->host_default;
    for (size_t i = 0; i < a->ng; i++) {
        const struct group *g = &a->g[i];
        if (g->host) host = g->host;
        for (uint64_t r = 0; r < g->requests; r++) add_exchange(a, g, host, ++k == total, &b);
    }
    pc_httpgen_buf_free(&b);
}

static void facts(void *ctx, struct pc_fmt *f)
{
    const struct http_args *a = ctx;
    char hex[65];
    pc_fmt_karr_open(f, "http");
    for (size_t i = 0; i < a->nfacts; i++) {
        const struct fact *x = &a->facts[i];
        pc_fmt_kobj_open(f, NULL);
        pc_fmt_kstr(f, "method", x->method);
        pc_fmt_kstr(f, "uri", x->uri);
        pc_fmt_kstr(f, "host", x->host);
        pc_fmt_kuint(f, "status", (uint64_t)x->status);
        pc_fmt_kuint(f, "request_body_len", x->req_body);
        pc_fmt_kuint(f, "response_body_len", x->resp_body);
        pc_hex(x->sha, 32, hex);
        pc_fmt_kstr(f, "response_body_sha256", hex);
        pc_fmt_kbool(f, "chunked", x->chunked);
        pc_fmt_kobj_close(f);
    }
    pc_fmt_karr_close(f);
}

int cmd_http(int argc, char **argv)
{
    static struct http_args a;
    parse_args(&a, argc, argv);
    build_script(&a);
    int rc = conv_run(&a.v, facts, &a);
    for (size_t i = 0; i < a.ng; i++) {
        free(a.g[i].body);
        free(a.g[i].resp_body);
    }
    free(a.g);
    free(a.facts);
    return rc;
}

/* extract_http: the seed's extract_http(), done on reassembled TCP streams
 * instead of single segments, so requests and responses split over
 * segments, sent out of order or retransmitted are all seen, and each
 * response is matched to its request (pipelining and keep-alive too).
 * One JSON line per exchange: the connection, the request (method, URI,
 * Host, User-Agent) and the response (status, reason, Content-Type,
 * Content-Length, body size and SHA-256 after de-chunking); either side
 * is null when it was never seen.
 *
 *     extract_http FILE
 */
#include <stdio.h>

#include <pktcraft/pktcraft.h>

static struct pc_fmt o;

static void kstr(const char *key, struct pc_http_str s)
{
    if (s.p) pc_fmt_kbytes_str(&o, key, (const uint8_t *)s.p, s.n);
    else pc_fmt_knull(&o, key);
}

static void request(const struct pc_http_msg *m)
{
    pc_fmt_kobj_open(&o, "request");
    pc_fmt_kts(&o, "ts", m->ts_first);
    kstr("method", m->method);
    kstr("uri", m->uri);
    kstr("host", pc_http_host(m));
    kstr("user_agent", pc_http_user_agent(m));
    pc_fmt_kobj_close(&o);
}

static void response(const struct pc_http_msg *m)
{
    char sha[65];
    for (int i = 0; i < 32; i++) snprintf(sha + 2 * i, 3, "%02x", m->body_sha256[i]);
    pc_fmt_kobj_open(&o, "response");
    pc_fmt_kts(&o, "ts", m->ts_first);
    pc_fmt_kuint(&o, "status", (uint64_t)m->status);
    kstr("reason", m->reason);
    kstr("content_type", pc_http_content_type(m));
    if (m->content_length >= 0) pc_fmt_kuint(&o, "content_length", (uint64_t)m->content_length);
    else pc_fmt_knull(&o, "content_length");
    pc_fmt_kuint(&o, "body_len", m->body_len);
    pc_fmt_kstr(&o, "body_sha256", sha);
    pc_fmt_kobj_close(&o);
}

static void on_http(void *ctx, const struct pc_flow *f, const struct pc_http_msg *req, const struct pc_http_msg *resp)
{
    (void)ctx;
    char client[46], server[46];
    pc_flow_addr_str(f, 0, client);
    pc_flow_addr_str(f, 1, server);
    pc_fmt_kobj_open(&o, NULL);
    pc_fmt_kuint(&o, "flow", f->id);
    pc_fmt_kstr(&o, "client", client);
    pc_fmt_kuint(&o, "cport", f->cport);
    pc_fmt_kstr(&o, "server", server);
    pc_fmt_kuint(&o, "sport", f->sport);
    if (req) request(req);
    else pc_fmt_knull(&o, "request");
    if (resp) response(resp);
    else pc_fmt_knull(&o, "response");
    pc_fmt_kobj_close(&o);
    pc_fmt_newline(&o);
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: extract_http FILE\n");
        return 2;
    }
    static char buf[1 << 16];
    int fd = 1;
    pc_fmt_init_sink(&o, buf, sizeof buf, true, pc_fmt_fd_sink, &fd);
    struct pc_analyzer_cbs cbs = { .http = on_http };
    struct pc_err err;
    int rc = pc_analyze_file(argv[1], NULL, &cbs, NULL, &err);
    pc_fmt_flush(&o);
    if (rc < 0) fprintf(stderr, "extract_http: %s\n", err.msg);
    return rc < 0 || o.err ? 1 : 0;
}

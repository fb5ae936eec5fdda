/* extract_tls: the seed's extract_tls_handshakes(), with a real TLS parser
 * on the reassembled TCP streams instead of a byte search in one segment:
 * hellos split over records and segments are read whole, the SNI comes
 * from the server_name extension (never from a stray 00 00), and the
 * ServerHello gives the version and cipher actually chosen.  One JSON
 * line per ClientHello and ServerHello: the connection, the versions,
 * SNI, ALPN, the cipher suites offered or chosen, JA3 and JA4.
 *
 *     extract_tls FILE
 */
#include <stdio.h>

#include <pktcraft/pktcraft.h>

static struct pc_fmt o;

static void version(const char *key, uint16_t v)
{
    const char *name = pc_tls_version_name(v);
    if (name) pc_fmt_kstr(&o, key, name);
    else pc_fmt_kuint(&o, key, v);
}

static void on_hello(void *ctx, const struct pc_flow *f, const struct pc_tls_hello *h, pc_time_ns ts)
{
    (void)ctx;
    char client[46], server[46], ja3[33], ja4[PC_TLS_JA4_LEN + 1], ja4s[PC_TLS_JA4S_LEN + 1];
    pc_flow_addr_str(f, 0, client);
    pc_flow_addr_str(f, 1, server);
    pc_fmt_kobj_open(&o, NULL);
    pc_fmt_kstr(&o, "type", h->client ? "client_hello" : h->hrr ? "hello_retry_request" : "server_hello");
    pc_fmt_kts(&o, "ts", ts);
    pc_fmt_kstr(&o, "client", client);
    pc_fmt_kuint(&o, "cport", f->cport);
    pc_fmt_kstr(&o, "server", server);
    pc_fmt_kuint(&o, "sport", f->sport);
    version("record_version", h->record_version);
    version("version", h->version);
    if (h->has_sni) pc_fmt_kbytes_str(&o, "sni", h->sni_raw, h->sni_len);
    else pc_fmt_knull(&o, "sni");
    pc_fmt_karr_open(&o, "alpn");
    const uint8_t *name;
    uint8_t len;
    for (uint32_t pos = 0; pc_tls_alpn_next(h, &pos, &name, &len);) pc_fmt_kbytes_str(&o, NULL, name, len);
    pc_fmt_karr_close(&o);
    pc_fmt_karr_open(&o, h->client ? "ciphers" : "cipher");
    for (uint32_t i = 0; i < h->n_ciphers; i++) pc_fmt_kuint(&o, NULL, h->ciphers[i]);
    pc_fmt_karr_close(&o);
    if (h->client && pc_tls_ja3_md5(h, ja3) == 0 && pc_tls_ja4(h, 0, ja4) == 0) {
        pc_fmt_kstr(&o, "ja3", ja3);
        pc_fmt_kstr(&o, "ja4", ja4);
    } else if (!h->client && pc_tls_ja3s_md5(h, ja3) == 0 && pc_tls_ja4s(h, ja4s) == 0) {
        pc_fmt_kstr(&o, "ja3s", ja3);
        pc_fmt_kstr(&o, "ja4s", ja4s);
    }
    pc_fmt_kobj_close(&o);
    pc_fmt_newline(&o);
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: extract_tls FILE\n");
        return 2;
    }
    static char buf[1 << 16];
    int fd = 1;
    pc_fmt_init_sink(&o, buf, sizeof buf, true, pc_fmt_fd_sink, &fd);
    struct pc_analyzer_cbs cbs = { .tls_hello = on_hello };
    struct pc_err err;
    int rc = pc_analyze_file(argv[1], NULL, &cbs, NULL, &err);
    pc_fmt_flush(&o);
    if (rc < 0) fprintf(stderr, "extract_tls: %s\n", err.msg);
    return rc < 0 || o.err ? 1 : 0;
}

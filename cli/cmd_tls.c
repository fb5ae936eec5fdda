/* pktcraft tls: a whole TLS 1.3 (default) or TLS 1.2 connection over the
 * conversation engine: ClientHello, ServerHello and the rest of the
 * handshake, then requests and responses as encrypted records of the
 * right sizes (lib/traffic/tlsgen.c), with the TCP handshake, ACKs,
 * teardown, faults and ground truth of cli/conv.c. */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "conv.h"
#include "pktcraft/traffic/tlsgen.h"
#include "pktcraft/traffic/x509.h"

enum {
    O_SNI = CONV_OPT_END, O_ALPN, O_VERSION, O_CIPHERS, O_GROUPS, O_KEYSHARE, O_GREASE, O_CERT, O_REQUEST,
    O_RESPONSE, O_RESPONSE_SIZE, O_PRINT,
};

static const struct option longopts[] = {
    CRAFT_COMMON_LONGOPTS,
    CONV_LONGOPTS,
    { "sni", required_argument, 0, O_SNI }, { "alpn", required_argument, 0, O_ALPN },
    { "tls-version", required_argument, 0, O_VERSION }, { "ciphers", required_argument, 0, O_CIPHERS },
    { "groups", required_argument, 0, O_GROUPS }, { "key-share", required_argument, 0, O_KEYSHARE },
    { "grease", no_argument, 0, O_GREASE }, { "cert", required_argument, 0, O_CERT },
    { "request", required_argument, 0, O_REQUEST }, { "response", required_argument, 0, O_RESPONSE },
    { "response-size", required_argument, 0, O_RESPONSE_SIZE }, { "print", no_argument, 0, O_PRINT },
    { 0, 0, 0, 0 },
};

#define TLS_MAX_CERT_FILE (4u << 20)  /* --cert: a chain file is a few KB */
#define TLS_MAX_WRITE (64u << 20)     /* one request or response */
#define TLS_DEFAULT_RESPONSE 4096

struct tls_args {
    struct conv_cli v;
    struct pc_tlsgen_opts o;
    char *alpn_buf;                    /* --alpn, split in place */
    const char *alpn[PC_TLSGEN_MAX_ALPN];
    uint16_t ciphers[PC_TLSGEN_MAX_LIST], groups[PC_TLSGEN_MAX_LIST], ks[PC_TLSGEN_MAX_LIST];
    uint32_t req[PC_TLSGEN_MAX_APP], resp[PC_TLSGEN_MAX_APP];
    size_t nreq, nresp;
    bool resp_given[PC_TLSGEN_MAX_APP];
    const char *cert_path;
    struct pc_gbuf certs;
    uint32_t cert_sizes[PC_TLSGEN_MAX_CERTS];
    bool print;
    struct pc_tlsgen g;
};

static void help(void)
{
    printf("Usage: pktcraft tls --src ADDR --dst ADDR [--sni NAME] [--alpn LIST] [--tls-version 1.3|1.2]\n"
           "                    [--request DATA] [--response DATA | --response-size N] ... -o FILE\n\n"
           "Write a whole TLS connection over TCP (server port 443 unless --dport): the\n"
           "ClientHello and ServerHello in full, the rest of the handshake, then each request\n"
           "and its response as application_data records of the sizes they encrypt to.\n"
           "TLS 1.3 (default): everything after the ServerHello is encrypted, so it is\n"
           "written as opaque records (pseudo-random bytes from --seed). TLS 1.2: the\n"
           "Certificate is a real DER certificate (self-signed for the SNI, ECDSA P-256,\n"
           "or the chain of --cert), with ServerKeyExchange (x25519) and ServerHelloDone.\n\n"
           "TLS options:\n"
           "      --sni NAME              server_name (default: none; the certificate is then\n"
           "                              for localhost)\n"
           "      --alpn LIST             ALPN protocols offered, e.g. h2,http/1.1; the server\n"
           "                              selects the first\n"
           "      --tls-version V         1.3 (default) or 1.2 (a TLS 1.2-only client)\n"
           "      --ciphers LIST          cipher suites by IANA name (TLS_AES_128_GCM_SHA256,\n"
           "                              TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, ...) or hex\n"
           "                              (0x1301); default: Chromium's list\n"
           "      --groups LIST           supported_groups: x25519, secp256r1, secp384r1,\n"
           "                              secp521r1, x448, ffdhe2048..ffdhe8192, X25519MLKEM768\n"
           "                              or hex (default x25519,secp256r1,secp384r1)\n"
           "      --key-share LIST        TLS 1.3 key shares, one per group (default: the first\n"
           "                              group); the server answers the first\n"
           "      --grease                RFC 8701 GREASE values where Chromium puts them\n"
           "                              (cipher, first and last extension, group, key share,\n"
           "                              version)\n"
           "      --cert FILE             the server's certificate chain, PEM or DER (TLS 1.2:\n"
           "                              sent as it is; TLS 1.3: its sizes are used)\n"
           "      --request DATA          a client write (repeatable; default: a short GET)\n"
           "      --response DATA         the server's answer to the request of the same rank\n"
           "      --response-size N       the same by size only: 5000, 64k, 1M (default 4096;\n"
           "                              0: no response)\n"
           "      --print                 print the TLS facts (SNI, ALPN, cipher, JA3, JA4)\n"
           "                              on standard output\n"
           "DATA is a string with C escapes, @FILE or hex:HEX; only its length shows on the\n"
           "wire, as it would once encrypted.\n\n");
    conv_help(false);
    craft_help_common(CL_NET | CL_TCP);
    printf("\nExamples:\n"
           "  pktcraft tls --src 10.0.0.1 --dst 10.0.0.2 --sni example.com --alpn h2,http/1.1 \\\n"
           "      --grease --truth -o tls13.pcap\n"
           "  pktcraft tls --src fd00::1 --dst fd00::2 --sni old.example --tls-version 1.2 \\\n"
           "      --request 'GET / HTTP/1.1\\r\\nHost: old.example\\r\\n\\r\\n' --response-size 20k -o tls12.pcap\n"
           "Exit status: 0 success, 1 runtime error, 2 usage error.\n");
}

/* A comma-separated list, each item through lookup, into out (at most
 * PC_TLSGEN_MAX_LIST). */
static size_t parse_list(const char *opt, const char *arg, uint16_t *out, bool (*lookup)(const char *, uint16_t *),
                         const char *what)
{
    char *copy = strdup(arg);
    if (!copy) cli_runtime_error("out of memory");
    size_t n = 0;
    char *save = NULL;
    for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
        while (isspace((unsigned char)*t)) t++;
        if (n == PC_TLSGEN_MAX_LIST) cli_usage_error("%s: more than %d values", opt, PC_TLSGEN_MAX_LIST);
        if (!lookup(t, &out[n])) cli_usage_error("%s: '%s' is not a %s name or a hex value like 0x1301", opt, t, what);
        n++;
    }
    free(copy);
    if (!n) cli_usage_error("%s: empty list", opt);
    return n;
}

static void parse_alpn(struct tls_args *a, const char *arg)
{
    free(a->alpn_buf);
    a->alpn_buf = strdup(arg);
    if (!a->alpn_buf) cli_runtime_error("out of memory");
    a->o.n_alpn = 0;
    char *save = NULL;
    for (char *t = strtok_r(a->alpn_buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
        if (a->o.n_alpn == PC_TLSGEN_MAX_ALPN) cli_usage_error("--alpn: more than %d protocols", PC_TLSGEN_MAX_ALPN);
        if (strlen(t) > 255) cli_usage_error("--alpn: a protocol name has at most 255 bytes");
        a->alpn[a->o.n_alpn++] = t;
    }
    if (!a->o.n_alpn) cli_usage_error("--alpn: empty list");
    a->o.alpn = a->alpn;
}

/* A byte count: digits with an optional k or M (binary multiples). */
static uint32_t parse_size(const char *opt, const char *arg)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(arg, &end, 10);
    if (end == arg || errno || arg[0] == '-') cli_usage_error("%s: '%s' is not a size (e.g. 5000, 64k, 1M)", opt, arg);
    if (*end == 'k' || *end == 'K') {
        v <<= 10;
        end++;
    } else if (*end == 'm' || *end == 'M') {
        v <<= 20;
        end++;
    }
    if (*end) cli_usage_error("%s: '%s' is not a size (e.g. 5000, 64k, 1M)", opt, arg);
    if (v > TLS_MAX_WRITE) cli_usage_error("%s: at most 64M", opt);
    return (uint32_t)v;
}

static uint32_t data_len(const char *opt, const char *arg)
{
    uint8_t *d;
    size_t n;
    conv_parse_data(opt, arg, &d, &n);
    free(d);
    if (n > TLS_MAX_WRITE) cli_usage_error("%s: at most 64M", opt);
    return (uint32_t)n;
}

static void add_response(struct tls_args *a, uint32_t len)
{
    if (a->nresp == PC_TLSGEN_MAX_APP / 2) cli_usage_error("--response: at most %d", PC_TLSGEN_MAX_APP / 2);
    a->resp[a->nresp] = len;
    a->resp_given[a->nresp++] = true;
}

static void read_cert(struct tls_args *a)
{
    FILE *f = fopen(a->cert_path, "rb");
    if (!f) cli_runtime_error("--cert %s: %s", a->cert_path, strerror(errno));
    uint8_t *buf = malloc(TLS_MAX_CERT_FILE + 1);
    if (!buf) cli_runtime_error("out of memory");
    size_t n = fread(buf, 1, TLS_MAX_CERT_FILE + 1, f);
    int bad = ferror(f);
    fclose(f);
    if (bad) cli_runtime_error("--cert %s: read error", a->cert_path);
    if (n > TLS_MAX_CERT_FILE) cli_runtime_error("--cert %s: larger than 4 MiB", a->cert_path);
    const char *why = NULL;
    int rc = pc_x509_read_chain(buf, n, &a->certs, a->cert_sizes, PC_TLSGEN_MAX_CERTS, &why);
    free(buf);
    if (rc < 0) cli_runtime_error("--cert %s: %s", a->cert_path, why ? why : pc_strerror(rc));
    a->o.certs = a->certs.p;
    a->o.cert_sizes = a->cert_sizes;
    a->o.n_certs = (size_t)rc;
}

static void parse_args(struct tls_args *a, int argc, char **argv)
{
    int opt;
    while ((opt = getopt_long(argc, argv, CRAFT_COMMON_SHORTOPTS, longopts, NULL)) != -1) {
        if (opt == 'h') {
            help();
            exit(EXIT_OK);
        }
        if (conv_opt(&a->v, opt, optarg, argv)) continue;
        switch (opt) {
        case O_SNI:
            if (strlen(optarg) > 253) cli_usage_error("--sni: at most 253 bytes");
            a->o.sni = optarg;
            break;
        case O_ALPN: parse_alpn(a, optarg); break;
        case O_VERSION:
            if (!strcmp(optarg, "1.3")) a->o.version = PC_TLSGEN_V13;
            else if (!strcmp(optarg, "1.2")) a->o.version = PC_TLSGEN_V12;
            else cli_usage_error("--tls-version: '%s' is not 1.2 or 1.3", optarg);
            break;
        case O_CIPHERS:
            a->o.n_ciphers = parse_list("--ciphers", optarg, a->ciphers, pc_tls_cipher_lookup, "cipher suite");
            a->o.ciphers = a->ciphers;
            break;
        case O_GROUPS:
            a->o.n_groups = parse_list("--groups", optarg, a->groups, pc_tls_group_lookup, "group");
            a->o.groups = a->groups;
            break;
        case O_KEYSHARE:
            a->o.n_key_shares = parse_list("--key-share", optarg, a->ks, pc_tls_group_lookup, "group");
            a->o.key_shares = a->ks;
            break;
        case O_GREASE: a->o.grease = true; break;
        case O_CERT: a->cert_path = optarg; break;
        case O_REQUEST:
            if (a->nreq == PC_TLSGEN_MAX_APP / 2) cli_usage_error("--request: at most %d", PC_TLSGEN_MAX_APP / 2);
            a->req[a->nreq] = data_len("--request", optarg);
            if (!a->req[a->nreq]) cli_usage_error("--request: a request needs at least one byte");
            a->nreq++;
            break;
        case O_RESPONSE: add_response(a, data_len("--response", optarg)); break;
        case O_RESPONSE_SIZE: add_response(a, parse_size("--response-size", optarg)); break;
        case O_PRINT: a->print = true; break;
        default: cli_bad_option(opt, argv);
        }
    }
    if (optind < argc) cli_usage_error("unexpected argument '%s'", argv[optind]);
    if (a->o.key_shares && a->o.version == PC_TLSGEN_V12)
        cli_usage_error("--key-share: key shares are TLS 1.3 (a TLS 1.2 client sends none)");
}

/* Requests and responses in pairs: a missing request is the default GET,
 * a missing response the default size. */
static size_t build_app(struct tls_args *a, struct pc_tlsgen_app *app)
{
    size_t pairs = a->nreq > a->nresp ? a->nreq : a->nresp, n = 0;
    if (!pairs) pairs = 1;
    char get[512];
    int glen = snprintf(get, sizeof get, "GET / HTTP/1.1\r\nHost: %s\r\nUser-Agent: pktcraft\r\nAccept: */*\r\n\r\n",
                        a->o.sni ? a->o.sni : "localhost");
    for (size_t i = 0; i < pairs; i++) {
        app[n].dir = 0;
        app[n++].len = i < a->nreq ? a->req[i] : (uint32_t)glen;
        uint32_t r = i < a->nresp ? a->resp[i] : TLS_DEFAULT_RESPONSE;
        if (r) {
            app[n].dir = 1;
            app[n++].len = r;
        }
    }
    return n;
}

static void facts(void *ctx, struct pc_fmt *f)
{
    struct tls_args *a = ctx;
    pc_fmt_kobj_open(f, "tls");
    int rc = pc_tlsgen_facts(&a->g, f);
    pc_fmt_kobj_close(f);
    if (rc < 0) cli_runtime_error("TLS facts: %s", pc_strerror(rc));
}

static void print_facts(struct tls_args *a)
{
    struct pc_fmt *f = cli_out(false);
    int rc = pc_tlsgen_facts(&a->g, f);
    cli_out_flush();
    if (rc < 0) cli_runtime_error("TLS facts: %s", pc_strerror(rc));
}

int cmd_tls(int argc, char **argv)
{
    static struct tls_args a; /* large (lists); one per process */
    memset(&a, 0, sizeof a);
    conv_init(&a.v, 6, 443);
    pc_tlsgen_opts_default(&a.o);
    parse_args(&a, argc, argv);
    /* the seed and the start time are needed now: the certificate's
     * validity and every byte come from them (conv_run checks again) */
    craft_finish_args(&a.v.c, conv_layers(&a.v));
    if (a.print && !strcmp(a.v.c.out, "-")) cli_usage_error("--print writes to standard output: give -o FILE");
    if (a.cert_path) read_cert(&a);

    static struct pc_tlsgen_app app[PC_TLSGEN_MAX_APP];
    a.o.app = app;
    a.o.n_app = build_app(&a, app);
    a.o.seed = a.v.c.seed;
    a.o.start = a.v.c.start;
    struct pc_err err;
    int rc = pc_tlsgen_run(&a.o, &a.g, &err);
    if (rc == PC_EINVAL || rc == PC_EUNSUPP || rc == PC_ELIMIT) cli_usage_error("%s", err.msg);
    if (rc < 0) cli_runtime_error("%s", err.msg);
    for (size_t i = 0; i < a.g.n_flights; i++) {
        const struct pc_tlsgen_flight *fl = &a.g.flights[i];
        conv_add_step(&a.v, fl->dir == 0 ? PC_CONV_CLIENT : PC_CONV_SERVER, a.g.bytes.p + fl->off, fl->len,
                      (uint32_t)i);
    }
    rc = conv_run(&a.v, facts, &a);
    if (a.print) print_facts(&a);
    pc_tlsgen_free(&a.g);
    pc_gbuf_free(&a.certs);
    free(a.alpn_buf);
    return rc;
}

/* fuzz_x509: the certificate chain reader behind `pktcraft tls --cert`
 * (pc_x509_read_chain: PEM blocks or DER back to back), the key type
 * probe, and a TLS 1.2 script that carries what was read.
 *
 * Input: byte 0 picks the most certificates accepted (1..8, low bits)
 * and whether to build the script (top bit: signing is slow, so only
 * half the inputs pay for it), the rest is the file.  Invariants: a success counts 1..max certificates whose sizes
 * add up to the bytes appended, each one a whole DER element; a failure
 * says why and returns a PC_E* code; the script built around an accepted
 * chain carries every certificate byte for byte. */
#include <string.h>

#include "fuzz.h"
#include "pktcraft/traffic/tlsgen.h"
#include "pktcraft/traffic/x509.h"

static void x509_fz_script(const struct pc_gbuf *chain, const uint32_t *sizes, size_t n)
{
    static const struct pc_tlsgen_app x509_fz_app[] = { { 0, 10 }, { 1, 20 } };
    struct pc_tlsgen_opts o;
    pc_tlsgen_opts_default(&o);
    o.version = PC_TLSGEN_V12;
    o.certs = chain->p;
    o.cert_sizes = sizes;
    o.n_certs = n;
    o.app = x509_fz_app;
    o.n_app = 2;
    /* an RSA certificate needs an ECDHE_RSA suite, which the default list has */
    struct pc_tlsgen g;
    struct pc_err e;
    int rc = pc_tlsgen_run(&o, &g, &e);
    FZ_CHECK(rc == 0, "script around an accepted chain failed: %d %s", rc, e.msg);
    FZ_CHECK(g.n_certs == n, "%u certificates sent, %zu read", g.n_certs, n);
    /* every certificate appears whole in the server flight (when the
     * Certificate message fits one record, as small chains do) */
    const struct pc_tlsgen_flight *f = &g.flights[1];
    const uint8_t *hay = g.bytes.p + f->off, *cert = chain->p;
    for (size_t k = 0; k < n && chain->len < 16000; cert += sizes[k], k++) {
        bool found = false;
        for (size_t i = 0; !found && sizes[k] <= f->len && i <= f->len - sizes[k]; i++)
            found = !memcmp(hay + i, cert, sizes[k]);
        FZ_CHECK(found, "certificate %zu is not in the server flight", k);
    }
    pc_tlsgen_free(&g);
}

static int FUZZ_NAME(x509)(const uint8_t *data, size_t size)
{
    if (size < 1) return 0;
    size_t max = 1 + data[0] % 8;
    bool script = data[0] & 0x80;
    data++;
    size--;
    struct pc_gbuf out = { 0 };
    uint32_t sizes[8];
    const char *why = NULL;
    int n = pc_x509_read_chain(data, size, &out, sizes, max, &why);
    if (n < 0) {
        FZ_CHECK(n == PC_EMALFORMED || n == PC_ELIMIT || n == PC_ENOMEM, "bad code %d", n);
        FZ_CHECK(why && *why, "a failure without a reason");
    } else {
        FZ_CHECK(n >= 1 && (size_t)n <= max, "count %d, max %zu", n, max);
        size_t sum = 0;
        for (int i = 0; i < n; i++) {
            unsigned tag;
            const uint8_t *c;
            size_t cl, total;
            FZ_CHECK(pc_der_next(out.p + sum, sizes[i], &tag, &c, &cl, &total) && total == sizes[i],
                     "certificate %d is not one DER element", i);
            FZ_CHECK(tag == PC_DER_SEQUENCE, "certificate %d tag %02x", i, tag);
            int kt = pc_x509_key_type(out.p + sum, sizes[i]);
            FZ_CHECK(kt >= 0 && kt <= PC_X509_KEY_RSA, "key type %d", kt);
            sum += sizes[i];
        }
        FZ_CHECK(sum == out.len, "sizes add up to %zu, %zu bytes appended", sum, out.len);
        fz_touch(out.p, out.len);
        if (script) x509_fz_script(&out, sizes, (size_t)n);
    }
    (void)pc_x509_key_type(data, size);
    pc_gbuf_free(&out);
    return 0;
}
FUZZ_ENTRY(x509)

/* fuzz_tls: the TLS parser and fingerprints (pktcraft/analysis/tls.h).
 * The input is a configuration byte, then chunks, each
 *     [control byte c] [bytes]
 * c & 1 is the direction; c >> 1 of 0..125 feeds the next (c >> 1) + 1
 * bytes to that direction (fewer at the end of the input), 126 ends the
 * direction, 127 is a gap of the next byte's value + 1 bytes.  Both
 * directions are ended at the end of the input.  Every chunk is fed from a
 * copy of exactly its length, so ASan sees any read past it.  The
 * configuration byte picks small limits (bit 0: tls-handshake 1024 bytes,
 * tls-extensions 4), so that both are reached, or (bit 1, without bit 0)
 * no limits given (the defaults).
 *
 * pc_tls_peek runs on the input after the configuration byte and on the
 * bytes fed to each direction, and every hello that comes out (from the
 * stream or from peek) is fingerprinted every way.  Checked: every list of
 * a hello lies in readable memory and fits in the message, the ALPN walk
 * agrees with the counts, JA4/JA4S have their fixed shapes, a fixed buffer
 * too small for JA3 says so, the byte counts add up, every error has a
 * reason, and nothing leaks. */
#include <string.h>

#include "fuzz.h"
#include "pktcraft/analysis/tls.h"

/* The shape of a JA4 ("t13d1516h2_" + 12 hex + "_" + 12 hex) or JA4S. */
static void tlsfz_check_ja4(const char *s, size_t len, size_t us1)
{
    FZ_CHECK(strlen(s) == len, "fingerprint %s is not %zu characters", s, len);
    FZ_CHECK(s[0] == 't' && s[us1] == '_' && s[len - 13] == '_', "fingerprint %s", s);
    for (size_t i = len - 12; i < len; i++)
        FZ_CHECK((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f'), "fingerprint %s: hash", s);
}

static void tlsfz_check_md5(const char *m)
{
    FZ_CHECK(strlen(m) == 32 && strspn(m, "0123456789abcdef") == 32, "md5 %s", m);
}

/* A string function: grow (must succeed), then a small fixed buffer (cut
 * must be said). */
static void tlsfz_string(int (*fn)(const struct pc_tls_hello *, struct pc_fmt *), const struct pc_tls_hello *h)
{
    struct pc_fmt f;
    pc_fmt_init_grow(&f, false);
    FZ_CHECK(fn(h, &f) == 0, "string into a grow fmt failed");
    size_t full = f.len;
    fz_touch(f.buf, f.len);
    pc_fmt_free(&f);
    char small[24];
    pc_fmt_init(&f, small, sizeof small, false);
    int rc = fn(h, &f);
    FZ_CHECK(rc == (full >= sizeof small ? PC_ENOSPC : 0), "fixed fmt: %d for %zu bytes", rc, full);
}

static int tlsfz_ja4_raw(const struct pc_tls_hello *h, struct pc_fmt *f) { return pc_tls_ja4_raw(h, 0, f); }
static int tlsfz_ja4_raw_o(const struct pc_tls_hello *h, struct pc_fmt *f)
{
    return pc_tls_ja4_raw(h, PC_TLS_JA4_ORIGINAL, f);
}

static void tlsfz_hello(const struct pc_tls_hello *h)
{
    /* every list is readable and fits in the message */
    uint64_t bytes = 35u + h->session_id_len + 2ull * h->n_ciphers + h->n_compression + 4ull * h->n_ext;
    FZ_CHECK(bytes <= h->length, "lists of %llu bytes in a message of %u", (unsigned long long)bytes, h->length);
    FZ_CHECK(2ull * (h->n_groups + h->n_sig_algs + h->n_versions + h->n_key_shares) + h->n_point_formats +
                     h->n_psk_modes + h->alpn_len + h->sni_len <=
                 h->length,
             "extension lists longer than the message");
    fz_touch(h->session_id, h->session_id_len);
    fz_touch(h->ciphers, 2u * h->n_ciphers);
    fz_touch(h->compression, h->n_compression);
    fz_touch(h->ext, 2u * h->n_ext);
    fz_touch(h->groups, 2u * h->n_groups);
    fz_touch(h->point_formats, h->n_point_formats);
    fz_touch(h->sig_algs, 2u * h->n_sig_algs);
    fz_touch(h->versions, 2u * h->n_versions);
    fz_touch(h->key_shares, 2u * h->n_key_shares);
    fz_touch(h->psk_modes, h->n_psk_modes);
    fz_touch(h->alpn, h->alpn_len);
    fz_touch(h->sni_raw, h->sni_len);
    FZ_CHECK(strlen(h->sni) <= h->sni_len && strlen(h->sni) <= PC_TLS_SNI_MAX, "sni copy");
    FZ_CHECK(h->sni_cut == (h->sni_len > PC_TLS_SNI_MAX), "sni_cut");
    FZ_CHECK(h->client || h->n_ciphers == 1, "a ServerHello has one cipher");
    const char *vname = pc_tls_version_name(h->version);
    if (vname) fz_touch(vname, strlen(vname));
    uint32_t pos = 0, n = 0, total = 0;
    const uint8_t *name;
    uint8_t len;
    while (pc_tls_alpn_next(h, &pos, &name, &len)) {
        fz_touch(name, len);
        n++;
        total += 1u + len;
    }
    FZ_CHECK(n == h->n_alpn && total == h->alpn_len, "ALPN walk: %u names of %u", n, h->n_alpn);
    FZ_CHECK(!h->n_alpn || (h->alpn_first && h->alpn_first == h->alpn + 1), "first ALPN name");
    char md5[33], ja4[PC_TLS_JA4_LEN + 1], ja4s[PC_TLS_JA4S_LEN + 1];
    if (h->client) {
        tlsfz_string(pc_tls_ja3, h);
        tlsfz_string(tlsfz_ja4_raw, h);
        tlsfz_string(tlsfz_ja4_raw_o, h);
        FZ_CHECK(pc_tls_ja3_md5(h, md5) == 0, "ja3 md5");
        tlsfz_check_md5(md5);
        FZ_CHECK(pc_tls_ja4(h, 0, ja4) == 0, "ja4");
        tlsfz_check_ja4(ja4, PC_TLS_JA4_LEN, 10);
        FZ_CHECK(pc_tls_ja4(h, PC_TLS_JA4_ORIGINAL, ja4) == 0, "ja4_o");
        tlsfz_check_ja4(ja4, PC_TLS_JA4_LEN, 10);
        FZ_CHECK(pc_tls_ja4s(h, ja4s) == PC_EINVAL, "ja4s of a ClientHello");
    } else {
        tlsfz_string(pc_tls_ja3s, h);
        tlsfz_string(pc_tls_ja4s_raw, h);
        FZ_CHECK(pc_tls_ja3s_md5(h, md5) == 0, "ja3s md5");
        tlsfz_check_md5(md5);
        FZ_CHECK(pc_tls_ja4s(h, ja4s) == 0, "ja4s");
        tlsfz_check_ja4(ja4s, PC_TLS_JA4S_LEN, 12);
        FZ_CHECK(pc_tls_ja4(h, 0, ja4) == PC_EINVAL, "ja4 of a ServerHello");
    }
}

static void tlsfz_on_hello(void *ctx, int dir, const struct pc_tls_hello *h, pc_time_ns ts)
{
    (void)ctx, (void)ts;
    FZ_CHECK(dir == 0 || dir == 1, "direction %d", dir);
    tlsfz_hello(h);
}

static void tlsfz_on_alert(void *ctx, int dir, int level, int desc, bool enc, pc_time_ns ts)
{
    (void)ctx, (void)ts;
    FZ_CHECK(dir == 0 || dir == 1, "direction %d", dir);
    FZ_CHECK(enc ? level == -1 && desc == -1 : level >= 0 && level <= 255 && desc >= 0 && desc <= 255,
             "alert %d %d (%d)", level, desc, enc);
    const char *name = pc_tls_alert_name(desc);
    if (name) fz_touch(name, strlen(name));
}

static void tlsfz_on_certs(void *ctx, int dir, uint32_t count, const uint32_t *sizes, pc_time_ns ts)
{
    (void)ctx, (void)dir, (void)ts;
    uint64_t sum = 0;
    for (uint32_t i = 0; i < count; i++) sum += 3u + sizes[i];
    FZ_CHECK(sum < (1u << 24), "certificates of %llu bytes", (unsigned long long)sum);
}

static void tlsfz_on_error(void *ctx, int dir, uint64_t off, const char *why)
{
    (void)off;
    FZ_CHECK(why && !strncmp(why, "tls: ", 5), "error without a reason");
    FZ_CHECK(dir == 0 || dir == 1, "direction %d", dir);
    uint64_t *fed = ctx;
    FZ_CHECK(off <= fed[dir], "error at offset %llu of %llu bytes", (unsigned long long)off,
             (unsigned long long)fed[dir]);
}

/* pc_tls_peek on a copy of exactly n bytes. */
static void tlsfz_peek(const uint8_t *p, size_t n, struct pc_tls_scratch *sc)
{
    uint8_t *copy = malloc(n ? n : 1);
    FZ_CHECK(copy, "out of memory");
    if (n) memcpy(copy, p, n);
    struct pc_tls_hello h;
    int rc = pc_tls_peek(copy, n, &h, sc);
    FZ_CHECK(rc == 1 || rc == 0 || rc == PC_ETRUNC || rc == PC_EMALFORMED || rc == PC_ELIMIT, "peek: %d", rc);
    FZ_CHECK(rc >= 0 || sc->why, "peek failed without a reason");
    if (rc == 1) tlsfz_hello(&h);
    (void)pc_tls_probe(copy, n);
    free(copy);
}

static int FUZZ_NAME(tls)(const uint8_t *data, size_t size)
{
    if (size < 1) return 0;
    struct pc_limits lim;
    pc_limits_default(&lim);
    if (data[0] & 1) {
        lim.tls_handshake = 1024;
        lim.tls_extensions = 4;
    }
    uint64_t fed[2] = { 0, 0 };
    static const struct pc_tls_cbs cbs = { tlsfz_on_hello, tlsfz_on_hello, tlsfz_on_alert, tlsfz_on_certs,
                                           tlsfz_on_error };
    bool deflim = (data[0] & 3) == 2;
    struct pc_tls *t = pc_tls_new(deflim ? NULL : &lim, &cbs, fed);
    FZ_CHECK(t, "out of memory");
    /* what each direction was fed, for peek */
    uint8_t *dirbytes[2] = { malloc(size), malloc(size) };
    size_t dirn[2] = { 0, 0 };
    FZ_CHECK(dirbytes[0] && dirbytes[1], "out of memory");
    size_t at = 1;
    pc_time_ns ts = 0;
    while (at < size) {
        uint8_t c = data[at++];
        int dir = c & 1;
        unsigned op = c >> 1;
        if (op == 126) {
            pc_tls_end(t, dir, ts);
            continue;
        }
        if (op == 127) {
            uint64_t n = at < size ? data[at++] + 1u : 1u;
            fed[dir] += n; /* (counted before: an error may name an offset inside) */
            pc_tls_gap(t, dir, n);
            continue;
        }
        size_t n = op + 1u;
        if (n > size - at) n = size - at;
        uint8_t *chunk = malloc(n ? n : 1);
        FZ_CHECK(chunk, "out of memory");
        memcpy(chunk, data + at, n);
        fed[dir] += n;
        pc_tls_feed(t, dir, chunk, n, ++ts);
        free(chunk);
        memcpy(dirbytes[dir] + dirn[dir], data + at, n);
        dirn[dir] += n;
        at += n;
    }
    for (int d = 0; d < 2; d++) {
        pc_tls_end(t, d, ts);
        const struct pc_tls_dir_stats *st = pc_tls_stats(t, d);
        FZ_CHECK(st->bytes == fed[d], "direction %d: %llu bytes counted, %llu fed", d, (unsigned long long)st->bytes,
                 (unsigned long long)fed[d]);
        FZ_CHECK(st->stopped, "direction %d not stopped after its end", d);
        FZ_CHECK(st->encrypted_records <= st->records, "records");
    }
    (void)pc_tls_version(t);
    pc_tls_free(t);

    struct pc_tls_scratch sc = { .lim = deflim ? NULL : &lim };
    tlsfz_peek(data + 1, size - 1, &sc);
    tlsfz_peek(dirbytes[0], dirn[0], &sc);
    tlsfz_peek(dirbytes[1], dirn[1], &sc);
    pc_tls_scratch_free(&sc);
    free(dirbytes[0]);
    free(dirbytes[1]);
    return 0;
}
FUZZ_ENTRY(tls)

/* fuzz_dns: the DNS message parser, validator and describer of
 * lib/wire/dns.c through its public API (pktcraft/wire/dns.h).  The whole
 * input is one DNS message:
 *   - pc_dns_name at every offset, with a full buffer, a small one and
 *     none (count only): the three must agree, and every name it accepts
 *     must go through the builder (pc_dns_encode) and parse back to the
 *     same text (the header promises one syntax both ways);
 *   - the iterator over every question and record, each record's RDATA
 *     formatted with and without a buffer, OPT options walked;
 *   - the decoder and describer: the message carried in a UDP datagram
 *     and in a TCP segment (length prefix) from/to port 53, every layer
 *     described as text and JSON and the JSON checked. */
#include <string.h>

#include "fuzz.h"
#include "describe_check.h"

/* RDATA is at most 65535 bytes; as text every byte may take 4 (\DDD). */
#define DNS_RDTEXT_CAP (4 * 65536 + 64)

static void dns_name_roundtrip(const char *text)
{
    uint8_t msg[PC_DNS_HLEN + PC_DNS_MAXNAME + 8];
    char back[PC_DNS_NAME_TEXTMAX];
    struct pc_dns_question q = { .name = text, .type = PC_DNS_T_A, .qclass = PC_DNS_C_IN };
    struct pc_dns s = { .qd = &q, .nqd = 1, .no_compress = 1 };
    int n = pc_dns_encode(&s, msg, sizeof msg);
    FZ_CHECK(n > 0, "the builder refuses the parser's name text '%s': %d", text, n);
    int rc = pc_dns_name(msg, (size_t)n, PC_DNS_HLEN, back, sizeof back, NULL, NULL);
    FZ_CHECK(rc >= 0 && !strcmp(back, text), "name '%s' encoded and parsed back as '%s' (%d)", text, back, rc);
}

/* The name at off, three ways. */
static void dns_name_at(const uint8_t *msg, size_t len, size_t off)
{
    char text[PC_DNS_NAME_TEXTMAX], small[8];
    size_t next = 0, next2 = 0;
    const char *why = NULL;
    int rc = pc_dns_name(msg, len, off, text, sizeof text, &next, &why);
    int count = pc_dns_name(msg, len, off, NULL, 0, &next2, NULL);
    int cut = pc_dns_name(msg, len, off, small, sizeof small, NULL, NULL);
    FZ_CHECK(rc != PC_ENOSPC, "a PC_DNS_NAME_TEXTMAX buffer was too small at %zu", off);
    FZ_CHECK(rc == count, "name at %zu: %d with a buffer, %d counting", off, rc, count);
    FZ_CHECK(memchr(small, 0, sizeof small) != NULL, "small buffer not terminated");
    if (rc < 0) {
        FZ_CHECK(rc == PC_ETRUNC || rc == PC_EMALFORMED, "name at %zu: error %d", off, rc);
        FZ_CHECK(why != NULL && cut == rc, "name at %zu: error without a reason, or %d vs %d", off, cut, rc);
        return;
    }
    FZ_CHECK(strlen(text) == (size_t)rc, "name at %zu: length %d for '%s'", off, rc, text);
    FZ_CHECK(next > off && next <= len && next == next2, "name at %zu: next %zu", off, next);
    FZ_CHECK(cut == (rc < (int)sizeof small ? rc : PC_ENOSPC), "name at %zu: small buffer gave %d for %d", off, cut, rc);
    dns_name_roundtrip(text);
}

static void dns_opt_cb(void *ctx, uint16_t code, const uint8_t *data, uint16_t len)
{
    (void)ctx;
    (void)code;
    fz_touch(data, len);
}

static void dns_rdata(const uint8_t *msg, size_t len, const struct pc_dns_rr *rr)
{
    static char text[DNS_RDTEXT_CAP];
    char small[16];
    const char *why = NULL;
    int rc = pc_dns_rdata_text(msg, len, rr, text, sizeof text, &why);
    int count = pc_dns_rdata_text(msg, len, rr, NULL, 0, NULL);
    int cut = pc_dns_rdata_text(msg, len, rr, small, sizeof small, NULL);
    FZ_CHECK(rc == count, "rdata of type %u: %d with a buffer, %d counting", rr->type, rc, count);
    FZ_CHECK(memchr(small, 0, sizeof small) != NULL, "small buffer not terminated");
    if (rc < 0) {
        FZ_CHECK(why != NULL && cut == rc, "rdata of type %u: error %d without a reason or %d", rr->type, rc, cut);
    } else {
        FZ_CHECK(strlen(text) == (size_t)rc, "rdata of type %u: length %d for %zu", rr->type, rc, strlen(text));
        FZ_CHECK(cut == (rc < (int)sizeof small ? rc : PC_ENOSPC), "rdata small buffer %d for %d", cut, rc);
    }
    if (rr->type == PC_DNS_T_OPT && rr->section != PC_DNS_SEC_QD)
        pc_dns_opts_walk(msg + rr->rdata_off, rr->rdlength, dns_opt_cb, NULL, &why);
    (void)strlen(pc_dns_type_name(rr->type));
}

static void dns_iterate(const uint8_t *msg, size_t len)
{
    struct pc_dns_iter it;
    static struct pc_dns_rr rr;
    if (pc_dns_iter_init(&it, msg, len) < 0) {
        FZ_CHECK(len < PC_DNS_HLEN && it.why, "iter_init refused %zu bytes", len);
        return;
    }
    (void)strlen(pc_dns_rcode_name(pc_dns_rcode(msg)));
    int rc;
    unsigned n = 0;
    while ((rc = pc_dns_iter_next(&it, &rr)) == 1) {
        FZ_CHECK(rr.off < len && rr.rdata_off <= len && rr.rdlength <= len - rr.rdata_off, "entry outside the message");
        dns_rdata(msg, len, &rr);
        FZ_CHECK(++n <= 4u * 65535u, "more entries than the counts allow");
    }
    FZ_CHECK(rc == 0 || ((rc == PC_ETRUNC || rc == PC_EMALFORMED) && it.why), "iter_next returned %d", rc);
    if (rc == 0) FZ_CHECK(it.off <= len, "end of records past the message");
}

/* The message as the payload of port 53 over raw IPv4 (link type 228):
 * 20-byte IPv4 header, then UDP, or TCP with a two-byte length prefix.
 * Checksums are zero (UDP: "not used"; TCP: reported bad, not fatal). */
static void dns_decode_in(const uint8_t *msg, size_t len, int tcp)
{
    size_t l4 = tcp ? 20 + 2 : 8, total = 20 + l4 + len;
    if (total > 0xFFFF) return;
    uint8_t *f = malloc(total); /* exactly sized: reads past it are ASan errors */
    if (!f) abort();
    memset(f, 0, 20 + l4);
    f[0] = 0x45;
    pc_put16(f + 2, (uint16_t)total);
    f[8] = 64;
    f[9] = tcp ? PC_IPPROTO_TCP : PC_IPPROTO_UDP;
    f[12] = 10, f[15] = 1, f[16] = 10, f[19] = 2;
    uint8_t *t = f + 20;
    pc_put16(t, PC_DNS_PORT);
    pc_put16(t + 2, 40000);
    if (tcp) {
        t[12] = 5 << 4;
        t[13] = PC_TCP_PSH | PC_TCP_ACK;
        pc_put16(t + 20, (uint16_t)len);
    } else {
        pc_put16(t + 4, (uint16_t)(8 + len));
    }
    if (len) memcpy(f + 20 + l4, msg, len);
    struct pc_decoded d;
    pc_decode(&d, f, (uint32_t)total, (uint32_t)total, PC_LINK_IPV4);
    fz_describe_all(&d);
    free(f);
}

static int FUZZ_NAME(dns)(const uint8_t *data, size_t size)
{
    for (size_t off = 0; off <= size; off++) dns_name_at(data, size, off);
    dns_iterate(data, size);
    dns_decode_in(data, size, 0);
    dns_decode_in(data, size, 1);
    return 0;
}

FUZZ_ENTRY(dns)

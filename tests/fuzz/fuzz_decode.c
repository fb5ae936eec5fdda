/* fuzz_decode: pc_decode_flags() over every link type, then every layer
 * described as text and as JSON (pc_describe_layer), the JSON checked for
 * syntax, and the decoder's own invariants checked.
 *
 * Input: byte 0 picks the link type (fz_links in fuzz.h); byte 1 bit 0
 * asks for PC_DEC_NO_L4CSUM and bits 1..7 add that many times 13 bytes to
 * the wire length, so that caplen < len (a snaplen cut) is tried too; the
 * rest is the captured frame.  The frame is passed in place: libFuzzer's
 * buffer ends exactly at caplen, so any read past the capture is an ASan
 * heap overflow. */
#include <string.h>

#include "fuzz.h"
#include "describe_check.h"

static void dec_describe(const struct pc_decoded *d, int i)
{
    fz_describe_layer(d, i);
    struct pc_icmp_quote q;
    int v = pc_icmp_quote_info(d, i, &q);
    FZ_CHECK(v == 0 || v == 4 || v == 6, "pc_icmp_quote_info returned %d", v);
}

/* What every caller of the decoder relies on. */
static void dec_invariants(const struct pc_decoded *d, int rc, uint32_t caplen, uint32_t len)
{
    FZ_CHECK(rc == d->err, "return %d but d->err %d", rc, d->err);
    FZ_CHECK(rc == 0 || rc == PC_ETRUNC || rc == PC_EMALFORMED || rc == PC_ELIMIT, "unexpected error %d", rc);
    FZ_CHECK(d->n <= PC_MAX_LAYERS, "%u layers", d->n);
    FZ_CHECK(d->caplen == caplen && d->len == len, "lengths changed");
    FZ_CHECK(d->l2 < d->n && d->l3 < d->n && d->l4 < d->n, "l2/l3/l4 index past the layers");
    for (int i = 0; i < d->n; i++) {
        const struct pc_layer *l = &d->l[i];
        FZ_CHECK(l->proto > PC_P_NONE && l->proto < PC_P__COUNT, "layer %d proto %u", i, l->proto);
        FZ_CHECK(pc_layer_caphdr(d, i) <= caplen, "layer %d caphdr past the capture", i);
        /* A flagged header always says why (pktcraft read prints it); a
         * payload cut by the snaplen is flagged TRUNC without being an error. */
        if (l->proto != PC_P_PAYLOAD && (l->flags & (PC_LF_TRUNC | PC_LF_MALFORMED)))
            FZ_CHECK(l->why != NULL, "layer %d flagged without a reason", i);
    }
}

/* PC_DEC_NO_L4CSUM only skips summing: the same layers must come out,
 * with the L4 checksums left UNVERIFIED. */
static void dec_same_layers(const struct pc_decoded *a, const struct pc_decoded *b)
{
    FZ_CHECK(a->n == b->n && a->err == b->err && a->l2 == b->l2 && a->l3 == b->l3 && a->l4 == b->l4,
             "PC_DEC_NO_L4CSUM changed the walk: %u vs %u layers, error %d vs %d", a->n, b->n, a->err, b->err);
    for (int i = 0; i < a->n; i++) {
        const struct pc_layer *x = &a->l[i], *y = &b->l[i];
        FZ_CHECK(x->proto == y->proto && x->off == y->off && x->hlen == y->hlen && x->plen == y->plen &&
                     x->flags == y->flags && x->why == y->why,
                 "PC_DEC_NO_L4CSUM changed layer %d (%s)", i, pc_proto_name(x->proto));
    }
}

static int FUZZ_NAME(decode)(const uint8_t *data, size_t size)
{
    if (size < 2) return 0;
    int link = fz_link(data[0]);
    unsigned flags = (data[1] & 1) ? PC_DEC_NO_L4CSUM : 0;
    uint32_t caplen = (uint32_t)(size - 2), len = caplen + (uint32_t)(data[1] >> 1) * 13u;
    struct pc_decoded d;
    int rc = pc_decode_flags(&d, data + 2, caplen, len, link, flags);
    dec_invariants(&d, rc, caplen, len);
    struct pc_decoded other;
    pc_decode_flags(&other, data + 2, caplen, len, link, flags ^ PC_DEC_NO_L4CSUM);
    dec_same_layers(&d, &other);
    for (int i = 0; i < d.n; i++) dec_describe(&d, i);
    return 0;
}

FUZZ_ENTRY(decode)

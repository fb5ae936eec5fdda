/* Internet checksum (RFC 1071) with RFC 1624 incremental update.
 *
 * Every value crossing this API (partial sums, checksums, the m/m2 words of
 * the update functions) is a plain integer: a big-endian 16-bit word read
 * from the wire with pc_get16 and a checksum meant for pc_put16.  Only the
 * bulk loop below works in host byte order, and it converts its own result
 * back before it mixes with anything the caller gave us. */
#include <pktcraft/core/checksum.h>

#include <string.h>

#if !defined(__BYTE_ORDER__) || !defined(__ORDER_LITTLE_ENDIAN__) || !defined(__ORDER_BIG_ENDIAN__)
#error "pktcraft needs __BYTE_ORDER__ (GCC or Clang) to pick the checksum byte order"
#endif
#if __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__ && __BYTE_ORDER__ != __ORDER_BIG_ENDIAN__
#error "mixed-endian hosts are not supported"
#endif

/* Reduce a 64-bit sum to 16 bits with end-around carry.  Each step keeps the
 * value congruent modulo 0xFFFF (2^16 == 1 there) and never turns a non-zero
 * sum into 0, so the result is exactly what a 16-bit one's-complement adder
 * would hold: 0 only for an all-zero input, else 1..0xFFFF. */
static inline uint32_t fold64_to16(uint64_t s)
{
    s = (s & 0xFFFFFFFFu) + (s >> 32); /* <= 2^33 - 2 */
    s = (s & 0xFFFFFFFFu) + (s >> 32); /* <= 2^32 - 1, fits in 32 bits */
    uint32_t t = (uint32_t)s;
    t = (t & 0xFFFFu) + (t >> 16); /* <= 0x1FFFE */
    t = (t & 0xFFFFu) + (t >> 16); /* <= 0xFFFF */
    return t;
}

/* Loads at any alignment; memcpy compiles to one mov on hosts that allow
 * unaligned loads and is never undefined behaviour. */
static inline uint64_t load64(const uint8_t *p)
{
    uint64_t v;
    memcpy(&v, p, sizeof v);
    return v;
}

static inline uint64_t load32(const uint8_t *p)
{
    uint32_t v;
    memcpy(&v, p, sizeof v);
    return v;
}

static inline uint64_t load16(const uint8_t *p)
{
    uint16_t v;
    memcpy(&v, p, sizeof v);
    return v;
}

/* s + v in 64-bit one's-complement arithmetic: the carry out of bit 63 is
 * added back in (end-around carry).  2^64 == 1 modulo 2^64 - 1, which 0xFFFF
 * divides, so the 16-bit fold of the result is the one's-complement sum of
 * everything added; and s + v + carry cannot carry again (it is at most v),
 * nor turn a non-zero sum into 0.  Compilers turn this into add + adc. */
static inline uint64_t add_eac(uint64_t s, uint64_t v)
{
    s += v;
    return s + (s < v);
}

/* Sum len bytes as host-order 16-bit words, folded to 16 bits.  A host-order
 * 64-bit load is four host-order 16-bit words scaled by powers of 2^16, and
 * 2^16 == 1 (mod 0xFFFF), so adding whole 64-bit loads with end-around carry
 * is the same one's-complement sum, for any length. */
static uint32_t sum_host16(const uint8_t *p, size_t len)
{
    /* Four accumulators: each add-with-carry depends on the one before it,
     * so independent chains let the loads of one iteration overlap. */
    uint64_t a = 0, b = 0, c = 0, d = 0;
    while (len >= 32) {
        a = add_eac(a, load64(p));
        b = add_eac(b, load64(p + 8));
        c = add_eac(c, load64(p + 16));
        d = add_eac(d, load64(p + 24));
        p += 32;
        len -= 32;
    }
    a = add_eac(add_eac(a, b), add_eac(c, d));
    while (len >= 8) {
        a = add_eac(a, load64(p));
        p += 8;
        len -= 8;
    }
    /* At most 7 bytes left: each piece below is < 2^32, added with carry. */
    if (len >= 4) {
        a = add_eac(a, load32(p));
        p += 4;
        len -= 4;
    }
    if (len >= 2) {
        a = add_eac(a, load16(p));
        p += 2;
        len -= 2;
    }
    if (len) {
        /* The odd final byte is the high half of a big-endian word padded
         * with zero.  In host order that is the low byte on a little-endian
         * host (swapped up at the end with the rest). */
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
        a = add_eac(a, *p);
#else
        a = add_eac(a, (uint64_t)*p << 8);
#endif
    }
    return fold64_to16(a);
}

uint32_t pc_csum_partial(const void *p, size_t len, uint32_t sum)
{
    uint32_t s = sum_host16(p, len);

#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    /* RFC 1071 section 2(B): the one's-complement sum of byte-swapped words
     * is the byte-swapped sum, so swapping the folded result once gives the
     * sum of the big-endian words. */
    s = ((s & 0xFFu) << 8) | (s >> 8);
#endif

    /* Add the caller's running sum with end-around carry and return it
     * folded to 32 bits only, so the result can be fed back in again. */
    uint64_t t = (uint64_t)sum + s;
    return (uint32_t)((t & 0xFFFFFFFFu) + (t >> 32));
}

uint16_t pc_csum_fold(uint32_t sum)
{
    return (uint16_t)~fold64_to16(sum);
}

uint16_t pc_csum(const void *p, size_t len)
{
    return pc_csum_fold(pc_csum_partial(p, len, 0));
}

uint32_t pc_csum_pseudo4(const uint8_t src[4], const uint8_t dst[4], uint8_t proto, uint32_t l4len)
{
    /* RFC 768/793 pseudo-header: src, dst, zero, protocol, 16-bit length.
     * The length field is 16 bits on the wire, so only its low 16 bits are
     * summed: that is what a receiver sees and verifies against. */
    uint32_t s = 0;
    s += pc_get16(src) + pc_get16(src + 2);
    s += pc_get16(dst) + pc_get16(dst + 2);
    s += proto;            /* word: 0x00, proto */
    s += l4len & 0xFFFFu;
    return s;              /* < 6 * 0xFFFF: no fold needed */
}

uint32_t pc_csum_pseudo6(const uint8_t src[16], const uint8_t dst[16], uint8_t nh, uint32_t l4len)
{
    /* RFC 8200 section 8.1: src, dst, 32-bit upper-layer length, three zero
     * bytes and the next header; 19 words of < 2^16 fit in 32 bits. */
    uint32_t s = 0;
    for (int i = 0; i < 16; i += 2)
        s += (uint32_t)pc_get16(src + i) + pc_get16(dst + i);
    s += l4len >> 16;
    s += l4len & 0xFFFFu;
    s += nh;               /* word: 0x00, nh */
    return s;
}

uint16_t pc_csum_update16(uint16_t hc, uint16_t m, uint16_t m2)
{
    /* RFC 1624 eqn. 3, HC' = ~(~HC + ~m + m').  Unlike eqn. 2 it never
     * produces -0 (0xFFFF) for a header that is not all zero, so the result
     * matches a full recomputation. */
    uint32_t s = (uint16_t)~hc;
    s += (uint16_t)~m;
    s += m2;
    return pc_csum_fold(s);
}

uint16_t pc_csum_update32(uint16_t hc, uint32_t m, uint32_t m2)
{
    /* A 32-bit field is two words; apply eqn. 3 to both in one sum. */
    uint32_t s = (uint16_t)~hc;
    s += (uint16_t)~(m >> 16);
    s += (uint16_t)~m;
    s += m2 >> 16;
    s += m2 & 0xFFFFu;
    return pc_csum_fold(s);
}

int pc_csum_verify(const void *p, size_t len, uint32_t pseudo)
{
    /* With the stored checksum included the sum is 0xFFFF (-0) exactly when
     * the checksum is right, i.e. its complement folds to 0. */
    return pc_csum_fold(pc_csum_partial(p, len, pseudo)) == 0;
}

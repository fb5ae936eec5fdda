/* Internet checksum: the fast routine against a plain RFC 1071 reference at
 * every length and alignment, known vectors, pseudo-headers, RFC 1624
 * incremental update, verification and a guard-page over-read check. */
#include <criterion/criterion.h>

#include <pktcraft/core/checksum.h>

#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

/* Small deterministic PRNG (xorshift64*) so failures reproduce. */
static uint64_t rng_state;

static void rng_seed(uint64_t s) { rng_state = s ? s : 0x9E3779B97F4A7C15u; }

static uint32_t rng32(void)
{
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return (uint32_t)((rng_state * 0x2545F4914F6CDD1DULL) >> 32);
}

static void rng_fill(uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++) p[i] = (uint8_t)rng32();
}

/* Reference: RFC 1071 section 4.1, one big-endian byte pair at a time, the
 * odd byte padded with zero, carries folded at the end. */
static uint32_t ref_fold16(uint64_t s)
{
    while (s >> 16) s = (s & 0xFFFFu) + (s >> 16);
    return (uint32_t)s;
}

static uint32_t ref_sum(const uint8_t *p, size_t len, uint64_t s)
{
    while (len > 1) {
        s += ((uint32_t)p[0] << 8) | p[1];
        p += 2;
        len -= 2;
    }
    if (len) s += (uint32_t)p[0] << 8;
    return ref_fold16(s);
}

static uint16_t ref_csum(const uint8_t *p, size_t len)
{
    return (uint16_t)~ref_sum(p, len, 0);
}

/* One's-complement equality: 0x0000 and 0xFFFF are both zero. */
static int oc_equal(uint16_t a, uint16_t b)
{
    if (a == b) return 1;
    return (a == 0 || a == 0xFFFF) && (b == 0 || b == 0xFFFF);
}

TestSuite(checksum, .timeout = 1800);

Test(checksum, rfc1071_example)
{
    static const uint8_t v[] = { 0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7 };
    uint32_t s = pc_csum_partial(v, sizeof v, 0);
    cr_assert_eq(ref_fold16(s), 0xddf2u, "partial 0x%x", s);
    cr_assert_eq(pc_csum_fold(s), 0x220d);
    cr_assert_eq(pc_csum(v, sizeof v), 0x220d);
    cr_assert_eq(ref_csum(v, sizeof v), 0x220d);
}

Test(checksum, ipv4_header_vector)
{
    uint8_t h[] = { 0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40, 0x00, 0x40, 0x11,
                    0x00, 0x00, 0xc0, 0xa8, 0x00, 0x01, 0xc0, 0xa8, 0x00, 0xc7 };
    cr_assert_eq(pc_csum(h, sizeof h), 0xb861, "got 0x%04x", pc_csum(h, sizeof h));
    cr_assert_eq(pc_csum_verify(h, sizeof h, 0), 0);
    pc_put16(h + 10, pc_csum(h, sizeof h));
    cr_assert_eq(h[10], 0xb8);
    cr_assert_eq(h[11], 0x61);
    cr_assert_eq(pc_csum_verify(h, sizeof h, 0), 1);
    cr_assert_eq(pc_csum(h, sizeof h), 0);
}

Test(checksum, small_edge_vectors)
{
    static const uint8_t z[4] = { 0 };
    static const uint8_t ff[4] = { 0xff, 0xff, 0xff, 0xff };
    static const uint8_t one[1] = { 0x12 };
    cr_assert_eq(pc_csum(z, 0), 0xFFFF);   /* empty sum is +0 */
    cr_assert_eq(pc_csum(z, 4), 0xFFFF);
    cr_assert_eq(pc_csum(ff, 4), 0x0000);  /* -0 complements to +0 */
    cr_assert_eq(pc_csum(ff, 3), 0x00FF);  /* ffff + ff00 = 1feff -> feff+1 = ff00 */
    cr_assert_eq(pc_csum(one, 1), (uint16_t)~0x1200);
    cr_assert_eq(pc_csum_partial(z, 0, 0x12345678u), 0x12345678u);
    cr_assert_eq(pc_csum_fold(0), 0xFFFF);
    cr_assert_eq(pc_csum_fold(0xFFFF), 0);
    cr_assert_eq(pc_csum_fold(0xFFFFFFFFu), 0);     /* ffff + ffff = 1fffe -> ffff */
    cr_assert_eq(pc_csum_fold(0x0001FFFFu), (uint16_t)~1u);
}

/* A running sum near 2^32 must wrap with end-around carry, not be lost. */
Test(checksum, running_sum_end_around_carry)
{
    static uint8_t ff[64];
    static const uint32_t inits[] = { 0xFFFFFFFFu, 0xFFFFFFFEu, 0xFFFF0001u, 0xFFFFF000u, 0x80000000u };
    memset(ff, 0xFF, sizeof ff);
    for (size_t i = 0; i < sizeof inits / sizeof inits[0]; i++) {
        for (size_t len = 0; len <= sizeof ff; len++) {
            uint32_t s = pc_csum_partial(ff, len, inits[i]);
            cr_assert_eq(pc_csum_fold(s), (uint16_t)~ref_sum(ff, len, inits[i]),
                         "init 0x%x len %zu", inits[i], len);
            /* and again: the returned sum is itself a valid running sum */
            s = pc_csum_partial(ff, len & ~(size_t)1, s);
            uint64_t twice = (uint64_t)inits[i] + ref_sum(ff, len, 0) + ref_sum(ff, len & ~(size_t)1, 0);
            cr_assert_eq(pc_csum_fold(s), (uint16_t)~ref_fold16(twice), "init 0x%x len %zu", inits[i], len);
        }
    }
}

/* Every length 0..2048 at every offset 0..7 inside a larger buffer, with
 * and without an incoming running sum. */
Test(checksum, all_lengths_all_alignments)
{
    enum { MAXLEN = 2048, OFFS = 8 };
    static uint8_t buf[MAXLEN + OFFS + 64];
    rng_seed(1);
    for (int round = 0; round < 2; round++) {
        rng_fill(buf, sizeof buf);
        if (round == 1) memset(buf, 0xFF, sizeof buf); /* maximal carries */
        for (size_t off = 0; off < OFFS; off++) {
            for (size_t len = 0; len <= MAXLEN; len++) {
                const uint8_t *p = buf + off;
                uint32_t got = pc_csum_partial(p, len, 0);
                uint32_t want = ref_sum(p, len, 0);
                cr_assert_eq(ref_fold16(got), want, "off %zu len %zu: 0x%x vs 0x%x",
                             off, len, got, want);
                cr_assert_eq(pc_csum(p, len), ref_csum(p, len), "off %zu len %zu", off, len);
                uint32_t init = rng32();
                got = pc_csum_partial(p, len, init);
                want = ref_sum(p, len, init);
                cr_assert_eq(pc_csum_fold(got), (uint16_t)~want,
                             "off %zu len %zu init 0x%x", off, len, init);
            }
        }
    }
}

Test(checksum, large_buffer_no_overflow)
{
    size_t n = (size_t)1 << 20;
    uint8_t *b = malloc(n + 1);
    cr_assert_not_null(b);
    memset(b, 0xFF, n + 1);
    cr_assert_eq(pc_csum(b, n), ref_csum(b, n));
    cr_assert_eq(pc_csum(b + 1, n), ref_csum(b + 1, n));
    rng_seed(7);
    rng_fill(b, n + 1);
    cr_assert_eq(pc_csum(b, n + 1), ref_csum(b, n + 1));
    cr_assert_eq(pc_csum(b + 1, n - 1), ref_csum(b + 1, n - 1));
    free(b);
}

/* Pieces of even length (the last one may be odd) chained through the
 * running sum equal the one-shot sum, starting at any alignment. */
Test(checksum, chained_partials)
{
    static uint8_t buf[4096 + 8];
    rng_seed(2);
    for (int iter = 0; iter < 3000; iter++) {
        size_t off = rng32() % 8;
        size_t len = rng32() % 4096;
        rng_fill(buf, sizeof buf);
        if (iter % 10 == 0) memset(buf, 0xFF, sizeof buf);
        const uint8_t *p = buf + off;
        uint32_t init = (iter & 1) ? rng32() : 0;
        uint32_t s = init;
        size_t pos = 0;
        while (pos < len) {
            size_t piece = rng32() % 130;
            piece &= ~(size_t)1;
            if (piece > len - pos || rng32() % 16 == 0) piece = len - pos;
            s = pc_csum_partial(p + pos, piece, s);
            pos += piece;
        }
        cr_assert_eq(pc_csum_fold(s), pc_csum_fold(pc_csum_partial(p, len, init)),
                     "iter %d off %zu len %zu", iter, off, len);
        cr_assert_eq(pc_csum_fold(s), (uint16_t)~ref_sum(p, len, init));
    }
}

Test(checksum, pseudo4_matches_reference)
{
    rng_seed(3);
    for (int iter = 0; iter < 5000; iter++) {
        uint8_t src[4], dst[4], ph[12];
        rng_fill(src, 4);
        rng_fill(dst, 4);
        if (iter == 0) { memset(src, 0xFF, 4); memset(dst, 0xFF, 4); }
        uint8_t proto = (uint8_t)rng32();
        uint32_t len = (iter == 0) ? 0xFFFF : rng32() % 0x10000;
        memcpy(ph, src, 4);
        memcpy(ph + 4, dst, 4);
        ph[8] = 0;
        ph[9] = proto;
        pc_put16(ph + 10, (uint16_t)len);
        uint32_t s = pc_csum_pseudo4(src, dst, proto, len);
        cr_assert_eq(ref_fold16(s), ref_sum(ph, sizeof ph, 0), "iter %d", iter);
    }
}

Test(checksum, pseudo6_matches_reference)
{
    rng_seed(4);
    for (int iter = 0; iter < 5000; iter++) {
        uint8_t src[16], dst[16], ph[40];
        rng_fill(src, 16);
        rng_fill(dst, 16);
        if (iter == 0) { memset(src, 0xFF, 16); memset(dst, 0xFF, 16); }
        uint8_t nh = (uint8_t)rng32();
        uint32_t len = (iter == 0) ? 0xFFFFFFFFu : (iter & 1) ? rng32() : rng32() % 0x10000;
        memcpy(ph, src, 16);
        memcpy(ph + 16, dst, 16);
        pc_put32(ph + 32, len);
        ph[36] = ph[37] = ph[38] = 0;
        ph[39] = nh;
        uint32_t s = pc_csum_pseudo6(src, dst, nh, len);
        cr_assert_eq(ref_fold16(s), ref_sum(ph, sizeof ph, 0), "iter %d", iter);
    }
}

/* A UDP-like datagram over a pseudo-header: store the checksum, verify it,
 * then every single-bit flip anywhere (checksum field included) fails. */
Test(checksum, verify_and_bit_flips)
{
    rng_seed(5);
    for (size_t len = 8; len < 80; len += 7) {
        uint8_t src[16], dst[16], d[80];
        rng_fill(src, 16);
        rng_fill(dst, 16);
        rng_fill(d, len);
        pc_put16(d + 6, 0);
        uint32_t ps = (len & 1) ? pc_csum_pseudo6(src, dst, 17, (uint32_t)len)
                                : pc_csum_pseudo4(src, dst, 17, (uint32_t)len);
        uint16_t c = pc_csum_fold(pc_csum_partial(d, len, ps));
        cr_assert_eq(c, (uint16_t)~ref_sum(d, len, ps));
        pc_put16(d + 6, c);
        cr_assert_eq(pc_csum_verify(d, len, ps), 1, "len %zu", len);
        cr_assert_eq(pc_csum_verify(d, len, ps + 1), 0, "len %zu wrong pseudo", len);
        for (size_t bit = 0; bit < len * 8; bit++) {
            d[bit / 8] ^= (uint8_t)(1u << (bit % 8));
            cr_assert_eq(pc_csum_verify(d, len, ps), 0, "len %zu bit %zu", len, bit);
            d[bit / 8] ^= (uint8_t)(1u << (bit % 8));
        }
        cr_assert_eq(pc_csum_verify(d, len, ps), 1);
    }
}

/* A 20-byte IPv4-like header whose first word is never all zero, so it is
 * never the degenerate all-zero header. */
static void make_header(uint8_t h[20])
{
    rng_fill(h, 20);
    h[0] = 0x45;
    pc_put16(h + 10, 0);
    pc_put16(h + 10, pc_csum(h, 20));
}

/* New word values biased to the edges: 0x0000, 0xFFFF, and the value that
 * makes the new checksum come out as 0x0000 or 0xFFFF. */
static uint16_t pick16(const uint8_t h[20], size_t at, uint16_t old)
{
    switch (rng32() % 8) {
    case 0: return 0x0000;
    case 1: return 0xFFFF;
    case 2: return old;
    case 3: {
        /* Sum of the other words s; choose w with s + w == 0xFFFF so the
         * stored checksum must be 0x0000. */
        uint8_t t[20];
        memcpy(t, h, 20);
        pc_put16(t + 10, 0);
        pc_put16(t + at, 0);
        uint32_t s = ref_sum(t, 20, 0);
        return (uint16_t)(0xFFFF - s);
    }
    default: return (uint16_t)rng32();
    }
}

static void check_header(const uint8_t h[20], uint16_t inc, int iter)
{
    uint8_t t[20];
    memcpy(t, h, 20);
    pc_put16(t + 10, 0);
    uint16_t full = pc_csum(t, 20);
    /* RFC 1624 eqn. 3 must agree with recomputation as a one's-complement
     * number, and the header carrying it must verify. */
    cr_assert(oc_equal(inc, full), "iter %d: inc 0x%04x full 0x%04x", iter, inc, full);
    cr_assert_eq(pc_csum_verify(h, 20, 0), 1, "iter %d: inc 0x%04x", iter, inc);
    /* With a never-zero header eqn. 3 never yields -0, so even the raw
     * values agree. */
    cr_assert_eq(inc, full, "iter %d", iter);
}

Test(checksum, update16_vs_recompute)
{
    static const size_t words[] = { 2, 4, 6, 8, 12, 14, 16, 18 };
    uint8_t h[20];
    rng_seed(6);
    int zeros = 0;
    for (int iter = 0; iter < 20000; iter++) {
        if (iter % 16 == 0) make_header(h);
        size_t at = words[rng32() % 8];
        uint16_t m = pc_get16(h + at);
        uint16_t m2 = pick16(h, at, m);
        uint16_t hc = pc_get16(h + 10);
        pc_put16(h + at, m2);
        uint16_t inc = pc_csum_update16(hc, m, m2);
        pc_put16(h + 10, inc);
        check_header(h, inc, iter);
        zeros += inc == 0;
    }
    cr_assert_gt(zeros, 100, "edge case 0x0000 exercised only %d times", zeros);
}

Test(checksum, update32_vs_recompute)
{
    static const size_t fields[] = { 4, 12, 16 }; /* id+frag, src, dst */
    uint8_t h[20];
    rng_seed(8);
    int zeros = 0;
    for (int iter = 0; iter < 20000; iter++) {
        if (iter % 16 == 0) make_header(h);
        size_t at = fields[rng32() % 3];
        uint32_t m = pc_get32(h + at);
        uint32_t m2;
        uint8_t t[20];
        switch (rng32() % 6) {
        case 0: m2 = 0; break;
        case 1: m2 = 0xFFFFFFFFu; break;
        case 2:
        case 3:
            /* Low word 0 or random, high word chosen against the header
             * that already holds the new low word. */
            memcpy(t, h, 20);
            pc_put16(t + at + 2, (rng32() & 1) ? 0 : (uint16_t)rng32());
            m2 = ((uint32_t)pick16(t, at, (uint16_t)(m >> 16)) << 16) | pc_get16(t + at + 2);
            break;
        default: m2 = rng32(); break;
        }
        uint16_t hc = pc_get16(h + 10);
        pc_put32(h + at, m2);
        uint16_t inc = pc_csum_update32(hc, m, m2);
        pc_put16(h + 10, inc);
        check_header(h, inc, iter);
        zeros += inc == 0;
    }
    cr_assert_gt(zeros, 50, "edge case 0x0000 exercised only %d times", zeros);
}

/* Stored checksum fields of 0x0000 and 0xFFFF going in and out. */
Test(checksum, update_edge_values)
{
    /* Header whose correct checksum is 0x0000: other words sum to 0xFFFF. */
    uint8_t h[20] = { 0x45, 0x00 };
    pc_put16(h + 2, 0xFFFF - 0x4500);
    cr_assert_eq(pc_csum(h, 20), 0x0000);
    cr_assert_eq(pc_csum_verify(h, 20, 0), 1);
    /* 0x0000 -> something and back. */
    uint16_t c = pc_csum_update16(0x0000, 0x0000, 0x1234);
    pc_put16(h + 4, 0x1234);
    pc_put16(h + 10, c);
    cr_assert_eq(pc_csum_verify(h, 20, 0), 1);
    c = pc_csum_update16(c, 0x1234, 0x0000);
    pc_put16(h + 4, 0x0000);
    pc_put16(h + 10, c);
    cr_assert_eq(c, 0x0000);
    cr_assert_eq(pc_csum_verify(h, 20, 0), 1);
    /* -0 and +0 in a data word are the same number: no change. */
    cr_assert_eq(pc_csum_update16(0x1234, 0x0000, 0xFFFF), 0x1234);
    cr_assert_eq(pc_csum_update16(0x1234, 0xFFFF, 0x0000), 0x1234);
    cr_assert_eq(pc_csum_update32(0x1234, 0x0000FFFFu, 0xFFFF0000u), 0x1234);
    cr_assert_eq(pc_csum_update32(0xBEEF, 0xDEADBEEFu, 0xDEADBEEFu), 0xBEEF);
    /* The RFC 1624 section 4 example: eqn. 3 gives 0x0000, not -0. */
    cr_assert_eq(pc_csum_update16(0xDD2F, 0x5555, 0x3285), 0x0000);
}

/* Buffers that end exactly at a PROT_NONE page: any read past the end
 * faults.  ASan cannot see over-reads of mmap'd memory, the MMU can. */
Test(checksum, guard_page_no_overread)
{
    long pg = sysconf(_SC_PAGESIZE);
    cr_assert_gt(pg, 0);
    size_t ps = (size_t)pg;
    uint8_t *map = mmap(NULL, 2 * ps, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    cr_assert_neq(map, MAP_FAILED);
    cr_assert_eq(mprotect(map + ps, ps, PROT_NONE), 0);
    rng_seed(9);
    rng_fill(map, ps);
    uint8_t *end = map + ps;
    for (size_t len = 0; len <= 300; len++) {
        const uint8_t *p = end - len;
        cr_assert_eq(pc_csum(p, len), ref_csum(p, len), "len %zu", len);
    }
    for (size_t len = ps - 40; len <= ps; len++) {
        const uint8_t *p = end - len;
        cr_assert_eq(pc_csum(p, len), ref_csum(p, len), "len %zu", len);
    }
    /* Chained: even first piece, odd last piece ending at the edge. */
    uint32_t s = pc_csum_partial(end - 101, 100, 0);
    s = pc_csum_partial(end - 1, 1, s);
    cr_assert_eq(pc_csum_fold(s), ref_csum(end - 101, 101));
    pc_put16(end - 2, 0);
    pc_put16(end - 2, pc_csum(end - 64, 64));
    cr_assert_eq(pc_csum_verify(end - 64, 64, 0), 1);
    cr_assert_eq(munmap(map, 2 * ps), 0);
}

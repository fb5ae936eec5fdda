/* IP fragmentation: random IPv4 TCP/UDP/ICMP datagrams (with copied and
 * uncopied options) and IPv6 datagrams (with unfragmentable extension
 * headers) cut at random sizes in every order, checked fragment by
 * fragment and put back together by a small reference reassembler written
 * here, which must give the original datagram byte for byte.  Overlaps,
 * duplicates, tiny first fragments, re-fragmentation and every rejected
 * option are covered, and tshark reassembles our fragments with good L4
 * checksums and no malformed packet or expert error. */
#include <criterion/criterion.h>
#include <criterion/logging.h>

#include "oracle.h"
#include "pktcraft/core/fmt.h"
#include "pktcraft/wire/frag.h"
#include "pktcraft/wire/ipv6.h"
#include "pktcraft/wire/vlan.h"

#define MAXDG 4200      /* largest test frame */
#define MAXFR 640       /* most fragments one call may give in these tests */
#define FRCAP 2048      /* largest fragment */

/* --------------------------------------------------------- collecting */

struct frag { size_t n; uint8_t b[FRCAP]; };
static struct { struct frag f[MAXFR]; size_t n; int stop_after; } C;

static int collect(void *ctx, const uint8_t *p, size_t n)
{
    (void)ctx;
    cr_assert_lt(C.n, MAXFR, "too many fragments");
    cr_assert_leq(n, FRCAP);
    memcpy(C.f[C.n].b, p, n);
    C.f[C.n++].n = n;
    if (C.stop_after && (int)C.n == C.stop_after) return -42;
    return 0;
}

static uint8_t scratch[FRCAP];

static int fragment(const uint8_t *frame, size_t len, int link, struct pc_frag_opts o)
{
    C.n = 0;
    o.buf = scratch;
    o.cap = sizeof scratch;
    return pc_fragment(frame, len, link, &o, collect, NULL);
}

/* ------------------------------------------------------- random IPv4 */

struct spec4 {
    int l4;               /* PC_P_TCP / PC_P_UDP / PC_P_ICMP */
    uint8_t src[4], dst[4];
    uint16_t id;
    uint8_t flags, tos, ttl;
    uint8_t opt[PC_IPV4_MAXOPT];
    size_t optlen;
    uint16_t sport, dport;
    uint8_t payload[MAXDG];
    size_t plen;
    int eth_pad;
};

static uint32_t rnd(struct pc_rng *r, uint32_t n) { return (uint32_t)pc_rng_below(r, n); }
static void rbytes(struct pc_rng *r, uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++) p[i] = (uint8_t)pc_rng_next(r);
}

static const uint8_t MAC1[6] = { 2, 0, 0, 0, 0, 1 }, MAC2[6] = { 2, 0, 0, 0, 0, 2 };

/* Options with the copy flag set (router alert, stream id) and clear
 * (record route, timestamp, NOP), so both kinds of header appear. */
static size_t random_opts(struct pc_rng *r, uint8_t *o)
{
    size_t n = 0;
    for (int k = 0; k < 5; k++) {
        uint8_t t[PC_IPV4_MAXOPT];
        int len;
        switch (rnd(r, 5)) {
        case 0: len = pc_ipv4_opt_nop(t, sizeof t); break;
        case 1: len = pc_ipv4_opt_ra(t, sizeof t, 0); break;
        case 2: len = pc_ipv4_opt_raw(t, sizeof t, 136, "\x12\x34", 2); break;
        case 3: len = pc_ipv4_opt_rr(t, sizeof t, NULL, 0, 1 + rnd(r, 4)); break;
        default: len = pc_ipv4_opt_ts(t, sizeof t, &(struct pc_ipv4_tsopt){ .slots = 1 + rnd(r, 3) }); break;
        }
        cr_assert_gt(len, 0);
        if ((size_t)len > sizeof t - n) continue;
        memcpy(o + n, t, (size_t)len);
        n += (size_t)len;
    }
    return n;
}

static void random_spec4(struct pc_rng *r, struct spec4 *s, size_t maxpay)
{
    memset(s, 0, sizeof *s);
    s->l4 = (int[]){ PC_P_TCP, PC_P_UDP, PC_P_ICMP }[rnd(r, 3)];
    rbytes(r, s->src, 4);
    rbytes(r, s->dst, 4);
    s->src[0] = 10;
    s->dst[0] = 172;
    s->id = (uint16_t)rnd(r, 65536);
    s->flags = rnd(r, 4) == 0 ? PC_IP_DF : 0;
    s->tos = (uint8_t)(rnd(r, 64) << 2);
    s->ttl = (uint8_t)(1 + rnd(r, 255));
    if (rnd(r, 2)) s->optlen = random_opts(r, s->opt);
    s->sport = (uint16_t)(40000 + rnd(r, 20000));
    s->dport = (uint16_t)(40000 + rnd(r, 20000));
    s->plen = rnd(r, 3) ? rnd(r, (uint32_t)maxpay + 1) : rnd(r, 100);
    rbytes(r, s->payload, s->plen);
    s->eth_pad = (int)rnd(r, 2);
}

static int build4(const struct spec4 *s, uint8_t *buf, size_t cap)
{
    struct pc_pkt pk;
    pc_pkt_init(&pk, buf, cap);
    struct pc_eth e = { .pad = (uint8_t)s->eth_pad };
    memcpy(e.dst, MAC2, 6);
    memcpy(e.src, MAC1, 6);
    pc_push_eth(&pk, &e);
    struct pc_ipv4 ip = { .id = s->id, .flags = s->flags, .tos = s->tos, .ttl = s->ttl,
                          .opts = s->optlen ? s->opt : NULL, .optlen = s->optlen };
    memcpy(ip.src, s->src, 4);
    memcpy(ip.dst, s->dst, 4);
    pc_push_ipv4(&pk, &ip);
    if (s->l4 == PC_P_TCP)
        pc_push_tcp(&pk, &(struct pc_tcp){ .sport = s->sport, .dport = s->dport, .seq = 1, .flags = PC_TCP_ACK | PC_TCP_PSH,
                                           .win = 512 });
    else if (s->l4 == PC_P_UDP)
        pc_push_udp(&pk, &(struct pc_udp){ .sport = s->sport, .dport = s->dport });
    else
        pc_push_icmp(&pk, &(struct pc_icmp){ .type = PC_ICMP_ECHO, .id = s->sport, .seq = s->dport });
    pc_push_payload(&pk, s->payload, s->plen);
    return pc_pkt_finalize(&pk);
}

/* ------------------------------------------ reference reassembly (IPv4) */

/* Independent of lib/: plain byte arithmetic.  First copy of a byte wins
 * (what the overlap tests expect when the conflicting copy comes later). */
struct reasm {
    uint8_t hdr[60];
    uint32_t hl, total;
    int first, last;
    uint8_t data[65536];
    uint8_t have[65536];
};

static uint16_t ref_csum(const uint8_t *p, size_t n) { return (uint16_t)~th_ref_fold(th_ref_sum(p, n, 0)); }

static void reasm4_feed(struct reasm *R, const uint8_t *ip, size_t caplen)
{
    uint32_t hl = (ip[0] & 15u) * 4u, tl = (uint32_t)(ip[2] << 8 | ip[3]);
    uint32_t fw = (uint32_t)(ip[6] << 8 | ip[7]), off = (fw & 0x1FFF) * 8u;
    cr_assert_eq(tl, caplen, "fragment total length %u, captured %zu", tl, caplen);
    if (off == 0) {
        memcpy(R->hdr, ip, hl);
        R->hl = hl;
        R->first = 1;
    }
    for (uint32_t k = 0; k < tl - hl; k++)
        if (!R->have[off + k]) {
            R->have[off + k] = 1;
            R->data[off + k] = ip[hl + k];
        }
    if (!(fw & 0x2000)) {
        R->total = off + tl - hl;
        R->last = 1;
    }
}

/* The datagram the fragments make: the first fragment's header with the
 * whole length, no MF, offset 0 and a fresh checksum. */
static size_t reasm4_finish(struct reasm *R, uint8_t *out)
{
    cr_assert(R->first && R->last, "first %d last %d", R->first, R->last);
    for (uint32_t k = 0; k < R->total; k++) cr_assert(R->have[k], "hole at %u", k);
    memcpy(out, R->hdr, R->hl);
    uint32_t tl = R->hl + R->total;
    out[2] = (uint8_t)(tl >> 8);
    out[3] = (uint8_t)tl;
    out[6] &= 0xC0; /* RF and DF survive, MF and the offset do not */
    out[7] = 0;
    out[10] = out[11] = 0;
    uint16_t c = ref_csum(out, R->hl);
    out[10] = (uint8_t)(c >> 8);
    out[11] = (uint8_t)c;
    memcpy(out + R->hl, R->data, R->total);
    return tl;
}

/* Options a non-first fragment must carry: the copied ones, zero-padded. */
static size_t copied_opts(const uint8_t *o, size_t n, uint8_t *out)
{
    size_t k = 0, m = 0;
    while (k < n && o[k] != 0) {
        if (o[k] == 1) { k++; continue; }
        if (o[k] & 0x80) { memcpy(out + m, o + k, o[k + 1]); m += o[k + 1]; }
        k += o[k + 1];
    }
    while (m % 4) out[m++] = 0;
    return m;
}

/* Check every collected IPv4 fragment against the datagram ip (link header
 * of l3 bytes) and reassemble; returns nothing, asserts on any problem. */
static void check_ipv4_frags(const uint8_t *frame, uint32_t l3, const struct pc_frag_opts *o, int nregular)
{
    const uint8_t *ip = frame + l3;
    uint32_t hl = (ip[0] & 15u) * 4u, tl = (uint32_t)(ip[2] << 8 | ip[3]), plen = tl - hl;
    uint8_t cop[PC_IPV4_MAXOPT];
    size_t ncop = copied_opts(ip + 20, hl - 20, cop);
    static struct reasm R;
    memset(&R, 0, sizeof R);
    uint32_t prev_off = 0;
    for (size_t k = 0; k < C.n; k++) {
        const uint8_t *f = C.f[k].b, *fi = f + l3;
        size_t fn = C.f[k].n;
        cr_assert_eq(memcmp(f, frame, l3), 0, "fragment %zu: link header not copied", k);
        uint32_t fhl = (fi[0] & 15u) * 4u, ftl = (uint32_t)(fi[2] << 8 | fi[3]);
        uint32_t fw = (uint32_t)(fi[6] << 8 | fi[7]), off = (fw & 0x1FFF) * 8u, n = ftl - fhl;
        int mf = (fw & 0x2000) != 0;
        cr_assert_eq(fn, l3 + ftl, "fragment %zu: no padding, no trailer", k);
        cr_assert_eq(ref_csum(fi, fhl), 0, "fragment %zu: header checksum", k);
        cr_assert_eq(fw & 0xC000, (uint32_t)(ip[6] << 8) & 0xC000, "fragment %zu: DF/RF kept", k);
        cr_assert_eq(memcmp(fi + 4, ip + 4, 2), 0, "id");
        cr_assert_eq(memcmp(fi + 8, ip + 8, 2), 0, "ttl, proto");
        cr_assert_eq(memcmp(fi + 12, ip + 12, 8), 0, "addresses");
        cr_assert_eq(fi[1], ip[1]);
        cr_assert_eq(mf, off + n < plen, "fragment %zu: MF %d at %u+%u of %u", k, mf, off, n, plen);
        if (mf) cr_assert_eq(n % 8, 0, "fragment %zu: %u bytes, not a multiple of 8", k, n);
        if (off == 0) {
            cr_assert_eq(fhl, hl);
            cr_assert_eq(memcmp(fi + 20, ip + 20, hl - 20), 0, "first fragment: every option");
        } else {
            cr_assert_eq(fhl, 20 + ncop, "fragment %zu: header %u, copied options %zu", k, fhl, ncop);
            cr_assert_eq(memcmp(fi + 20, cop, ncop), 0, "fragment %zu: only copied options", k);
        }
        if ((int)k < nregular) {
            /* Regular pieces: size (first: o->first) bytes, except the last. */
            uint32_t want = (o->first && off == 0) ? o->first : o->size;
            if (mf) cr_assert_eq(n, want, "fragment %zu: %u bytes, want %u", k, n, want);
            else cr_assert_leq(n, want);
            if (o->order == PC_FRAG_IN_ORDER && k) cr_assert_gt(off, prev_off);
            if (o->order == PC_FRAG_REVERSED && k) cr_assert_lt(off, prev_off);
            prev_off = off;
        }
        /* Our decoder: a good IPv4 fragment; the L4 header of the first
         * one cannot be checked. */
        struct pc_decoded d;
        int rc = pc_decode(&d, f, (uint32_t)fn, (uint32_t)fn, l3 ? PC_LINK_ETHERNET : PC_LINK_RAW);
        cr_assert_eq(rc, 0, "fragment %zu: decode %s (%s)", k, pc_strerror(rc), d.n && d.l[d.n - 1].why ? d.l[d.n - 1].why : "");
        int i3 = d.l3;
        cr_assert_geq(i3, 0);
        cr_assert_eq(d.l[i3].csum, PC_CSUM_GOOD);
        if (C.n > 1) cr_assert(d.l[i3].flags & PC_LF_FRAG);
        if (C.n > 1 && off == 0 && d.l4 >= 0) cr_assert_eq(d.l[d.l4].csum, PC_CSUM_UNVERIFIED, "first fragment l4 checksum");
        if (off) cr_assert_eq(d.l4, -1, "no l4 header past offset 0");
        reasm4_feed(&R, fi, fn - l3);
    }
    static uint8_t back[65536 + 60];
    size_t bn = reasm4_finish(&R, back);
    cr_assert_eq(bn, tl);
    cr_assert_eq(memcmp(back, ip, tl), 0, "reassembled datagram differs from the original");
}

/* ------------------------------------------------------------ IPv4 tests */

static uint32_t random_size(struct pc_rng *r)
{
    switch (rnd(r, 4)) {
    case 0: return 8 * (1 + rnd(r, 4));
    case 1: return 1480;
    default: return 8 * (1 + rnd(r, 185));
    }
}

TestSuite(frag, .timeout = 1800);

Test(frag, ipv4_random_datagrams_every_order_reassemble)
{
    struct pc_rng r;
    pc_rng_seed(&r, UINT64_C(0xF4A6000000000001));
    static struct spec4 s;
    static uint8_t frame[MAXDG + 200];
    size_t total = 0, counts[3] = { 0 }, withopt = 0, tiny = 0;
    for (int k = 0; k < 2000; k++) {
        random_spec4(&r, &s, 3000);
        int n = build4(&s, frame, sizeof frame);
        cr_assert_gt(n, 0);
        uint32_t plen = pc_ipv4_len(frame + 14) - pc_ipv4_ihl(frame + 14) * 4u;
        struct pc_frag_opts o = { .size = random_size(&r), .order = (uint8_t)(k % 3), .seed = (uint64_t)k };
        if (plen > 16 && rnd(&r, 8) == 0) {
            o.first = 8;
            tiny++;
        }
        if (plen / o.size > 300) o.size = 8 * ((plen / 300 + 7) / 8 + 1);
        int got = fragment(frame, (size_t)n, PC_LINK_ETHERNET, o);
        cr_assert_gt(got, 0, "datagram %d: %s", k, pc_strerror(got));
        cr_assert_eq((size_t)got, C.n);
        check_ipv4_frags(frame, 14, &o, got);
        total += C.n;
        counts[s.l4 == PC_P_TCP ? 0 : s.l4 == PC_P_UDP ? 1 : 2]++;
        withopt += s.optlen > 0;
    }
    cr_log_info("ipv4: 2000 datagrams (%zu tcp, %zu udp, %zu icmp; %zu with options, %zu with a tiny first "
                "fragment) gave %zu fragments, all reassembled byte for byte",
                counts[0], counts[1], counts[2], withopt, tiny, total);
}

Test(frag, shuffle_is_a_seeded_permutation)
{
    struct pc_rng r;
    pc_rng_seed(&r, 5);
    static struct spec4 s;
    random_spec4(&r, &s, 0);
    s.plen = 2000;
    static uint8_t frame[MAXDG];
    int n = build4(&s, frame, sizeof frame);
    struct pc_frag_opts o = { .size = 64, .order = PC_FRAG_SHUFFLED, .seed = 77 };
    cr_assert_eq(fragment(frame, (size_t)n, PC_LINK_ETHERNET, o), 32);
    uint16_t first[32], again[32];
    int seen[32] = { 0 }, moved = 0;
    for (int k = 0; k < 32; k++) {
        first[k] = pc_ipv4_fragoff(C.f[k].b + 14);
        seen[first[k] / 8]++;
        moved += first[k] != k * 8;
    }
    for (int k = 0; k < 32; k++) cr_assert_eq(seen[k], 1, "offset %d seen %d times", k * 8, seen[k]);
    cr_assert_gt(moved, 16, "hardly shuffled");
    fragment(frame, (size_t)n, PC_LINK_ETHERNET, o);
    for (int k = 0; k < 32; k++) again[k] = pc_ipv4_fragoff(C.f[k].b + 14);
    cr_assert_eq(memcmp(first, again, sizeof first), 0, "same seed, same order");
    o.seed = 78;
    fragment(frame, (size_t)n, PC_LINK_ETHERNET, o);
    for (int k = 0; k < 32; k++) again[k] = pc_ipv4_fragoff(C.f[k].b + 14);
    cr_assert_neq(memcmp(first, again, sizeof first), 0, "another seed, another order");
    o.order = PC_FRAG_REVERSED;
    fragment(frame, (size_t)n, PC_LINK_ETHERNET, o);
    for (int k = 0; k < 32; k++) cr_assert_eq(pc_ipv4_fragoff(C.f[k].b + 14), (31 - k) * 8);
}

/* Known layout: a 1500-byte UDP datagram with a router alert (copied)
 * and a record route (not copied) at 1480-byte fragments, the classic
 * Ethernet split: offsets 0 and 185, MF on the first only. */
Test(frag, known_split_and_copied_options)
{
    static uint8_t frame[2000];
    uint8_t o[PC_IPV4_MAXOPT];
    size_t on = 0;
    on += (size_t)pc_ipv4_opt_rr(o, sizeof o, NULL, 0, 2);
    on += (size_t)pc_ipv4_opt_ra(o + on, sizeof o - on, 0);
    cr_assert_eq(on, 15);
    struct pc_pkt pk;
    pc_pkt_init(&pk, frame, sizeof frame);
    pc_push_eth(&pk, &(struct pc_eth){ .dst = { 2, 0, 0, 0, 0, 2 }, .src = { 2, 0, 0, 0, 0, 1 } });
    pc_push_ipv4(&pk, &(struct pc_ipv4){ .src = { 10, 0, 0, 1 }, .dst = { 10, 0, 0, 2 }, .id = 0x1234, .ttl = 64,
                                        .flags = PC_IP_DF, .opts = o, .optlen = on });
    pc_push_udp(&pk, &(struct pc_udp){ .sport = 1000, .dport = 2000 });
    static uint8_t pay[2000];
    for (int i = 0; i < 2000; i++) pay[i] = (uint8_t)i;
    pc_push_payload(&pk, pay, 1500 - 8);
    int n = pc_pkt_finalize(&pk);
    cr_assert_eq(n, 14 + 36 + 1500);
    uint16_t udpsum = pc_udp_csum(frame + 50);
    cr_assert_eq(fragment(frame, (size_t)n, PC_LINK_ETHERNET, (struct pc_frag_opts){ .size = 1480 }), 2);
    const uint8_t *a = C.f[0].b + 14, *b = C.f[1].b + 14;
    cr_assert_eq(C.f[0].n, 14 + 36 + 1480);
    cr_assert_eq(pc_ipv4_ihl(a), 9);
    cr_assert_eq(pc_ipv4_len(a), 36 + 1480);
    cr_assert_eq(pc_ipv4_flags(a), PC_IP_DF | PC_IP_MF);
    cr_assert_eq(pc_ipv4_fragoff(a), 0);
    cr_assert_eq(pc_udp_csum(a + 36), udpsum, "the L4 checksum still covers the whole datagram");
    cr_assert_eq(pc_udp_len(a + 36), 1500);
    cr_assert_eq(C.f[1].n, 14 + 24 + 20);
    cr_assert_eq(pc_ipv4_ihl(b), 6, "20 bytes + router alert only");
    static const uint8_t ra[4] = { 0x94, 4, 0, 0 };
    cr_assert_eq(memcmp(b + 20, ra, 4), 0);
    cr_assert_eq(pc_ipv4_len(b), 24 + 20);
    cr_assert_eq(pc_ipv4_flags(b), PC_IP_DF);
    cr_assert_eq(pc_ipv4_fragoff(b), 185);
    cr_assert_eq(pc_csum(b, 24), 0);
    /* Describe: tcpdump-like fragment text. */
    struct pc_decoded d;
    pc_decode(&d, C.f[1].b, (uint32_t)C.f[1].n, (uint32_t)C.f[1].n, PC_LINK_ETHERNET);
    char t[256];
    struct pc_fmt f;
    pc_fmt_init(&f, t, sizeof t, false);
    pc_describe_layer(&d, 1, &f);
    cr_assert_str_eq(t, "IP 10.0.0.1 > 10.0.0.2, frag (id 0x1234) offset 1480 [options (RA 0)]");
    pc_decode(&d, C.f[0].b, (uint32_t)C.f[0].n, (uint32_t)C.f[0].n, PC_LINK_ETHERNET);
    pc_fmt_init(&f, t, sizeof t, false);
    pc_describe_layer(&d, 1, &f);
    cr_assert_str_eq(t, "IP 10.0.0.1 > 10.0.0.2, frag (id 0x1234) offset 0+ [options (RR 0.0.0.0^ 0.0.0.0,RA 0)]");
    cr_assert_eq(d.l[2].csum, PC_CSUM_UNVERIFIED);
}

static int build_tcp(uint8_t *frame, size_t cap, size_t plen, int link_raw)
{
    struct pc_pkt pk;
    pc_pkt_init(&pk, frame, cap);
    if (!link_raw) pc_push_eth(&pk, &(struct pc_eth){ .dst = { 2, 0, 0, 0, 0, 2 }, .src = { 2, 0, 0, 0, 0, 1 } });
    pc_push_ipv4(&pk, &(struct pc_ipv4){ .src = { 10, 0, 0, 1 }, .dst = { 10, 0, 0, 2 }, .id = 77, .ttl = 64 });
    struct pc_tcpopt to[] = { { .kind = PC_TCPOPT_MSS, .mss = 1460 }, { .kind = PC_TCPOPT_TS, .ts_val = 1 } };
    pc_push_tcp(&pk, &(struct pc_tcp){ .sport = 40000, .dport = 80, .flags = PC_TCP_SYN, .win = 100, .opts = to, .nopts = 2 });
    static uint8_t pay[MAXDG];
    for (size_t i = 0; i < plen; i++) pay[i] = (uint8_t)(i * 7);
    pc_push_payload(&pk, pay, plen);
    return pc_pkt_finalize(&pk);
}

/* The tiny-fragment evasion: the first fragment holds only 8 bytes of a
 * 36-byte TCP header (ports and sequence number, not the flags). */
Test(frag, tiny_first_fragment)
{
    static uint8_t frame[MAXDG];
    int n = build_tcp(frame, sizeof frame, 100, 0);
    struct pc_frag_opts o = { .size = 64, .first = 8 };
    cr_assert_eq(fragment(frame, (size_t)n, PC_LINK_ETHERNET, o), 1 + (36 + 100 - 8 + 63) / 64);
    cr_assert_eq(pc_ipv4_len(C.f[0].b + 14), 28);
    cr_assert_eq(pc_ipv4_fragoff(C.f[1].b + 14), 1);
    cr_assert_eq(pc_ipv4_len(C.f[1].b + 14), 20 + 64);
    struct pc_decoded d;
    cr_assert_eq(pc_decode(&d, C.f[0].b, (uint32_t)C.f[0].n, (uint32_t)C.f[0].n, PC_LINK_ETHERNET), 0);
    cr_assert_eq(d.l[2].proto, PC_P_TCP);
    cr_assert_eq(d.l[2].flags & (PC_LF_TRUNC | PC_LF_MALFORMED), 0, "a short first fragment is neither cut nor a lie");
    cr_assert(d.l[2].why && strstr(d.l[2].why, "header continues in the next fragment"), "%s", d.l[2].why);
    check_ipv4_frags(frame, 14, &o, (int)C.n);
    /* Raw IP link type: no link header to copy. */
    n = build_tcp(frame, sizeof frame, 100, 1);
    cr_assert_eq(fragment(frame, (size_t)n, PC_LINK_RAW, o), 3);
    check_ipv4_frags(frame, 0, &o, (int)C.n);
    /* first must be a multiple of 8 below the total. */
    o.first = 12;
    cr_assert_eq(fragment(frame, (size_t)n, PC_LINK_RAW, o), PC_EINVAL);
    o.first = 136;
    cr_assert_eq(fragment(frame, (size_t)n, PC_LINK_RAW, o), PC_EINVAL);
    o.first = 128;
    cr_assert_eq(fragment(frame, (size_t)n, PC_LINK_RAW, o), 2);
}

/* Evasion fixtures: a second copy of a range with other bytes, placed
 * before or after the originals; and an exact duplicate. */
Test(frag, overlaps_with_chosen_content)
{
    static uint8_t frame[MAXDG];
    int n = build_tcp(frame, sizeof frame, 200, 0); /* 236 bytes of TCP */
    static const uint8_t evil[24] = "XXXXXXXXXXXXXXXXXXXXXXXX";
    struct pc_frag_extra ex[] = {
        { .off = 40, .len = 24, .data = evil, .at = 0 },   /* sent first: wins in a first-wins reassembler */
        { .off = 232, .len = 4, .at = 99 },                /* a duplicate tail, sent last */
        { .off = 8, .len = 16, .data = evil, .at = 2 },    /* in the middle of the sequence */
    };
    struct pc_frag_opts o = { .size = 64, .extra = ex, .nextra = 3 };
    cr_assert_eq(fragment(frame, (size_t)n, PC_LINK_ETHERNET, o), 4 + 3);
    const uint8_t *x = C.f[0].b + 14;
    cr_assert_eq(pc_ipv4_fragoff(x), 5);
    cr_assert(pc_ipv4_flags(x) & PC_IP_MF);
    cr_assert_eq(pc_ipv4_len(x), 20 + 24);
    cr_assert_eq(memcmp(x + 20, evil, 24), 0);
    cr_assert_eq(pc_csum(x, 20), 0);
    cr_assert_eq(pc_ipv4_fragoff(C.f[1].b + 14), 0);
    cr_assert_eq(pc_ipv4_fragoff(C.f[2].b + 14), 8);
    const uint8_t *m = C.f[3].b + 14;
    cr_assert_eq(pc_ipv4_fragoff(m), 1);
    cr_assert_eq(memcmp(m + 20, evil, 16), 0);
    cr_assert_eq(pc_ipv4_fragoff(C.f[4].b + 14), 16);
    cr_assert_eq(pc_ipv4_fragoff(C.f[5].b + 14), 24);
    const uint8_t *t = C.f[6].b + 14;
    cr_assert_eq(pc_ipv4_fragoff(t), 29);
    cr_assert_eq(pc_ipv4_flags(t) & PC_IP_MF, 0, "a copy of the tail has no MF");
    cr_assert_eq(memcmp(t + 20, frame + 34 + 232, 4), 0, "duplicate: the datagram's own bytes");
    /* First wins: the early evil copy replaces 40..63 in the result. */
    static struct reasm R;
    memset(&R, 0, sizeof R);
    for (size_t k = 0; k < C.n; k++) reasm4_feed(&R, C.f[k].b + 14, C.n ? C.f[k].n - 14 : 0);
    static uint8_t back[70000];
    size_t bn = reasm4_finish(&R, back);
    cr_assert_eq(bn, (size_t)n - 14);
    cr_assert_eq(memcmp(back + 20 + 40, evil, 24), 0);
    cr_assert_eq(memcmp(back + 20 + 8, frame + 34 + 8, 16), 0, "the later copy loses");
    /* An overlap at offset 0 carries the full header (every option). */
    struct pc_frag_extra z = { .off = 0, .len = 8, .data = evil, .at = 0 };
    o.extra = &z;
    o.nextra = 1;
    cr_assert_eq(fragment(frame, (size_t)n, PC_LINK_ETHERNET, o), 5);
    cr_assert_eq(pc_ipv4_len(C.f[0].b + 14), 28);
    /* Extras out of range. */
    struct pc_frag_extra bad[] = {
        { .off = 4, .len = 8 }, { .off = 8, .len = 0 }, { .off = 232, .len = 8 }, { .off = 8, .len = 12 },
        { .off = 240, .len = 4 },
    };
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
        o.extra = &bad[k];
        cr_assert_eq(fragment(frame, (size_t)n, PC_LINK_ETHERNET, o), PC_EINVAL, "extra %zu", k);
    }
    struct pc_frag_extra tail = { .off = 224, .len = 12 }; /* reaches the end: any length */
    o.extra = &tail;
    cr_assert_eq(fragment(frame, (size_t)n, PC_LINK_ETHERNET, o), 5);
}

Test(frag, rejections_and_limits)
{
    static uint8_t frame[MAXDG];
    int n = build_tcp(frame, sizeof frame, 100, 0); /* 136 bytes of TCP */
    struct pc_frag_opts o = { .size = 64 };
    cr_assert_eq(fragment(frame, (size_t)n, PC_LINK_ETHERNET, (struct pc_frag_opts){ .size = 0 }), PC_EINVAL);
    cr_assert_eq(fragment(frame, (size_t)n, PC_LINK_ETHERNET, (struct pc_frag_opts){ .size = 60 }), PC_EINVAL);
    cr_assert_eq(fragment(frame, (size_t)n, PC_LINK_ETHERNET, (struct pc_frag_opts){ .size = 140 }), 1,
                 "one fragment: any size that holds it all");
    cr_assert_eq(memcmp(C.f[0].b, frame, (size_t)n), 0, "a single fragment is the datagram itself");
    cr_assert_eq(fragment(frame, (size_t)n, PC_LINK_ETHERNET, (struct pc_frag_opts){ .size = 64, .order = 3 }), PC_EINVAL);
    cr_assert_eq(fragment(frame, (size_t)n, PC_LINK_ETHERNET, (struct pc_frag_opts){ .size = 64, .nextra = 1 }), PC_EINVAL);
    /* Too small a buffer; NULL callback counts; a callback can stop. */
    o.buf = scratch;
    o.cap = 14 + 20 + 63;
    C.n = 0;
    cr_assert_eq(pc_fragment(frame, (size_t)n, PC_LINK_ETHERNET, &o, collect, NULL), PC_ENOSPC);
    cr_assert_eq(pc_fragment(frame, (size_t)n, PC_LINK_ETHERNET, &o, NULL, NULL), 3);
    C.stop_after = 2;
    cr_assert_eq(fragment(frame, (size_t)n, PC_LINK_ETHERNET, o), -42);
    cr_assert_eq(C.n, 2);
    C.stop_after = 0;
    /* Not IP, not a link type we know, cut, lying lengths, bad options. */
    static uint8_t bad[MAXDG];
    memcpy(bad, frame, (size_t)n);
    pc_put16(bad + 12, 0x88B5);
    cr_assert_eq(fragment(bad, (size_t)n, PC_LINK_ETHERNET, o), PC_EINVAL);
    cr_assert_eq(fragment(frame, (size_t)n, 147, o), PC_EINVAL);
    cr_assert_eq(fragment(frame, (size_t)n - 1, PC_LINK_ETHERNET, o), PC_ETRUNC);
    cr_assert_eq(fragment(frame, 14 + 19, PC_LINK_ETHERNET, o), PC_ETRUNC);
    memcpy(bad, frame, (size_t)n);
    bad[14] = 0x44;
    cr_assert_eq(fragment(bad, (size_t)n, PC_LINK_ETHERNET, o), PC_EMALFORMED);
    memcpy(bad, frame, (size_t)n);
    pc_put16(bad + 16, 19);
    cr_assert_eq(fragment(bad, (size_t)n, PC_LINK_ETHERNET, o), PC_EMALFORMED);
    uint8_t opt[4] = { 7, 9, 4, 0 }; /* record route past the end of the options */
    struct pc_pkt pk;
    pc_pkt_init(&pk, bad, sizeof bad);
    pc_push_ipv4(&pk, &(struct pc_ipv4){ .ttl = 1, .opts = opt, .optlen = 4 });
    pc_push_udp(&pk, &(struct pc_udp){ .sport = 1, .dport = 2 });
    pc_push_payload(&pk, frame, 64);
    int bn = pc_pkt_finalize(&pk);
    cr_assert_eq(fragment(bad, (size_t)bn, PC_LINK_RAW, o), PC_EMALFORMED);
    /* A fragment at offset 8190 with 136 bytes would run past 65535. */
    memcpy(bad, frame, (size_t)n);
    pc_put16(bad + 20, 8190);
    cr_assert_eq(fragment(bad, (size_t)n, PC_LINK_ETHERNET, o), PC_EMALFORMED);
    pc_put16(bad + 20, 8191 - 136 / 8);
    cr_assert_eq(fragment(bad, (size_t)n, PC_LINK_ETHERNET, o), 3);
    cr_assert_eq(pc_ipv4_fragoff(C.f[2].b + 14), 8191 - 136 / 8 + 16);
    /* Ethernet padding is not part of the datagram. */
    pc_pkt_init(&pk, bad, sizeof bad);
    pc_push_eth(&pk, &(struct pc_eth){ .pad = 1 });
    pc_push_ipv4(&pk, &(struct pc_ipv4){ .ttl = 1 });
    pc_push_udp(&pk, &(struct pc_udp){ .sport = 1, .dport = 2 });
    pc_push_payload(&pk, "abcdefgh", 8);
    cr_assert_eq(pc_pkt_finalize(&pk), 60);
    cr_assert_eq(fragment(bad, 60, PC_LINK_ETHERNET, (struct pc_frag_opts){ .size = 8 }), 2);
    cr_assert_eq(C.f[0].n, 14 + 20 + 8);
    cr_assert_eq(C.f[1].n, 14 + 20 + 8);
}

/* ------------------------------------------------------ explicit lists */

static uint8_t big_scratch[70000];

/* Keeps the link and IPv4 header of a fragment too large for C. */
static int peek_header(void *ctx, const uint8_t *p, size_t n)
{
    cr_assert_geq(n, 14 + 20);
    memcpy(ctx, p, 14 + 20);
    return 0;
}

static int fragment_list(const uint8_t *frame, size_t len, int link, const struct pc_frag_piece *p, size_t n,
                         uint32_t ident)
{
    C.n = 0;
    struct pc_frag_list l = { .pieces = p, .n = n, .ident = ident, .buf = big_scratch, .cap = sizeof big_scratch };
    return pc_fragment_list(frame, len, link, &l, collect, NULL);
}

/* Each piece as asked, in list order: offsets, MF (automatic, forced
 * either way, kept by a fragment fragmented again), the datagram's bytes
 * or the caller's, a piece past the end; all or nothing on bad input. */
Test(frag, explicit_list_ipv4)
{
    static uint8_t frame[MAXDG];
    int n = build_tcp(frame, sizeof frame, 100, 0); /* 136 bytes of TCP */
    cr_assert_eq(pc_frag_datagram_len(frame, (size_t)n, PC_LINK_ETHERNET), 136);
    static const uint8_t evil[24] = "XXXXXXXXYYYYYYYYZZZZZZZZ";
    const struct pc_frag_piece list[] = {
        { .off = 8, .len = 16, .data = evil },              /* sent first, other bytes */
        { .off = 0, .len = 16 },                            /* overlaps it: the datagram's own */
        { .off = 128, .len = 8 },                           /* reaches the end: MF 0 */
        { .off = 16, .len = 112, .mf = PC_FRAG_MF_CLEAR },  /* a lying MF 0 */
        { .off = 136, .len = 24, .data = evil, .mf = PC_FRAG_MF_SET }, /* past the end, MF forced */
        { .off = 24, .len = 5 },                            /* odd length in the middle */
    };
    size_t np = sizeof list / sizeof list[0];
    cr_assert_eq(fragment_list(frame, (size_t)n, PC_LINK_ETHERNET, list, np, 0), (int)np);
    cr_assert_eq(C.n, np);
    static const int want_mf[] = { 1, 1, 0, 0, 1, 1 };
    for (size_t k = 0; k < np; k++) {
        const uint8_t *ip = C.f[k].b + 14;
        cr_assert_eq(memcmp(C.f[k].b, frame, 14), 0, "piece %zu: the link header copied", k);
        cr_assert_eq(pc_ipv4_fragoff(ip), list[k].off / 8, "piece %zu", k);
        cr_assert_eq((pc_ipv4_flags(ip) & PC_IP_MF) != 0, want_mf[k], "piece %zu MF", k);
        cr_assert_eq(pc_ipv4_len(ip), 20 + list[k].len, "piece %zu", k);
        cr_assert_eq(C.f[k].n, 14 + 20 + list[k].len);
        cr_assert_eq(pc_ipv4_id(ip), 77);
        cr_assert_eq(ref_csum(ip, 20), 0, "piece %zu header checksum", k);
        const uint8_t *want = list[k].data ? list[k].data : frame + 34 + list[k].off;
        cr_assert_eq(memcmp(ip + 20, want, list[k].len), 0, "piece %zu bytes", k);
    }
    /* A list that is a regular split gives the datagram back. */
    const struct pc_frag_piece split[] = { { .off = 64, .len = 72 }, { .off = 0, .len = 64 } };
    cr_assert_eq(fragment_list(frame, (size_t)n, PC_LINK_ETHERNET, split, 2, 0), 2);
    static struct reasm R;
    memset(&R, 0, sizeof R);
    for (size_t k = 0; k < C.n; k++) reasm4_feed(&R, C.f[k].b + 14, C.f[k].n - 14);
    static uint8_t back[70000];
    cr_assert_eq(reasm4_finish(&R, back), (size_t)n - 14);
    cr_assert_eq(memcmp(back, frame + 14, (size_t)n - 14), 0);
    /* Refused, and nothing delivered: past the end without bytes, an odd
     * offset, length 0, an unknown MF mode, an offset past 13 bits, an
     * empty list, a piece too long for the total length. */
    static uint8_t huge[65536];
    const struct pc_frag_piece bad[] = {
        { .off = 128, .len = 16 }, { .off = 4, .len = 8 }, { .off = 8, .len = 0 }, { .off = 0, .len = 8, .mf = 3 },
        { .off = 8192 * 8, .len = 8, .data = huge }, { .off = 0, .len = 65516, .data = huge },
    };
    const int bad_rc[] = { PC_EINVAL, PC_EINVAL, PC_EINVAL, PC_EINVAL, PC_EINVAL, PC_ELIMIT };
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
        const struct pc_frag_piece two[] = { { .off = 0, .len = 8 }, bad[k] };
        cr_assert_eq(fragment_list(frame, (size_t)n, PC_LINK_ETHERNET, two, 2, 0), bad_rc[k], "bad piece %zu", k);
        cr_assert_eq(C.n, 0, "bad piece %zu: the good one before it was not delivered", k);
    }
    const struct pc_frag_piece most = { .off = 8191 * 8, .len = 65515, .data = huge };
    struct pc_frag_list ml = { .pieces = &most, .n = 1, .buf = big_scratch, .cap = sizeof big_scratch };
    uint8_t seen[14 + 20];
    cr_assert_eq(pc_fragment_list(frame, (size_t)n, PC_LINK_ETHERNET, &ml, peek_header, seen), 1, "the largest piece fits");
    cr_assert_eq(pc_ipv4_fragoff(seen + 14), 8191);
    cr_assert_eq(pc_ipv4_len(seen + 14), 65535);
    cr_assert_eq(pc_fragment_list(frame, (size_t)n, PC_LINK_ETHERNET,
                                  &(struct pc_frag_list){ .pieces = list, .n = 0, .buf = scratch, .cap = sizeof scratch },
                                  collect, NULL),
                 PC_EINVAL);
    /* A small buffer: refused before anything goes out; NULL cb validates. */
    struct pc_frag_list small = { .pieces = list, .n = np, .buf = scratch, .cap = 14 + 20 + 16 };
    C.n = 0;
    cr_assert_eq(pc_fragment_list(frame, (size_t)n, PC_LINK_ETHERNET, &small, collect, NULL), PC_ENOSPC);
    cr_assert_eq(C.n, 0);
    cr_assert_eq(pc_fragment_list(frame, (size_t)n, PC_LINK_ETHERNET, &small, NULL, NULL), (int)np);
    /* A fragment fragmented again: offsets add up, the end keeps its MF. */
    static uint8_t again[MAXDG];
    cr_assert_eq(fragment_list(frame, (size_t)n, PC_LINK_ETHERNET, &list[1], 1, 0), 1);
    size_t an = C.f[0].n;
    memcpy(again, C.f[0].b, an);
    cr_assert_eq(pc_frag_datagram_len(again, an, PC_LINK_ETHERNET), 16);
    const struct pc_frag_piece sub[] = { { .off = 8, .len = 8 }, { .off = 0, .len = 8 } };
    cr_assert_eq(fragment_list(again, an, PC_LINK_ETHERNET, sub, 2, 0), 2);
    cr_assert_eq(pc_ipv4_fragoff(C.f[0].b + 14), 1);
    cr_assert(pc_ipv4_flags(C.f[0].b + 14) & PC_IP_MF, "the piece at the end keeps the datagram's MF");
    /* Not IP. */
    memcpy(again, frame, (size_t)n);
    pc_put16(again + 12, 0x88B5);
    cr_assert_eq(pc_frag_datagram_len(again, (size_t)n, PC_LINK_ETHERNET), PC_EINVAL);
    cr_assert_eq(fragment_list(again, (size_t)n, PC_LINK_ETHERNET, list, 1, 0), PC_EINVAL);
}

/* A fragment fragmented again: offsets add up, the last piece keeps MF,
 * and all pieces still make the original. */
Test(frag, refragmenting_a_fragment)
{
    static uint8_t frame[MAXDG];
    int n = build_tcp(frame, sizeof frame, 500, 0); /* 536 bytes of TCP */
    cr_assert_eq(fragment(frame, (size_t)n, PC_LINK_ETHERNET, (struct pc_frag_opts){ .size = 256 }), 3);
    static struct frag first[3];
    memcpy(first, C.f, sizeof first);
    static struct frag all[MAXFR];
    size_t na = 0;
    for (int k = 0; k < 3; k++) {
        int got = fragment(first[k].b, first[k].n, PC_LINK_ETHERNET, (struct pc_frag_opts){ .size = 96 });
        cr_assert_eq(got, k < 2 ? 3 : 1);
        for (size_t j = 0; j < C.n; j++) all[na++] = C.f[j];
    }
    cr_assert_eq(pc_ipv4_fragoff(all[3].b + 14), 32);
    cr_assert(pc_ipv4_flags(all[5].b + 14) & PC_IP_MF, "end of a middle fragment keeps MF");
    cr_assert_eq(pc_ipv4_flags(all[6].b + 14) & PC_IP_MF, 0);
    memcpy(C.f, all, na * sizeof all[0]);
    C.n = na;
    struct pc_frag_opts o = { .size = 96 };
    check_ipv4_frags(frame, 14, &o, 0);
}

/* Any link header the decoder knows is copied in front: here two VLAN
 * tags. */
Test(frag, vlan_tagged_frames_keep_their_tags)
{
    static uint8_t frame[MAXDG];
    struct pc_pkt pk;
    pc_pkt_init(&pk, frame, sizeof frame);
    pc_push_eth(&pk, &(struct pc_eth){ .dst = { 2, 0, 0, 0, 0, 2 }, .src = { 2, 0, 0, 0, 0, 1 } });
    pc_push_vlan(&pk, &(struct pc_vlan){ .vid = 10, .tpid = 0x88A8 });
    pc_push_vlan(&pk, &(struct pc_vlan){ .vid = 20 });
    pc_push_ipv4(&pk, &(struct pc_ipv4){ .src = { 10, 0, 0, 1 }, .dst = { 10, 0, 0, 2 }, .id = 9, .ttl = 64 });
    pc_push_udp(&pk, &(struct pc_udp){ .sport = 1, .dport = 2 });
    static uint8_t pay[1000];
    pc_push_payload(&pk, pay, sizeof pay);
    int n = pc_pkt_finalize(&pk);
    cr_assert_eq(n, 14 + 8 + 20 + 8 + 1000);
    struct pc_frag_opts o = { .size = 256, .order = PC_FRAG_SHUFFLED, .seed = 3 };
    cr_assert_eq(fragment(frame, (size_t)n, PC_LINK_ETHERNET, o), 4);
    check_ipv4_frags(frame, 22, &o, 4);
}

/* ---------------------------------------------------------------- IPv6 */

static const uint8_t S6[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 }, D6[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 2 };

/* Extension header chains; H hop-by-hop, D destination options, R routing
 * (type 2, one address: its L4 pseudo-header uses that final address). */
static const char *const CHAINS[] = { "", "H", "D", "HDRD", "R", "HR", "DD", "RD" };

static int build6(uint8_t *buf, size_t cap, const char *chain, int l4, const uint8_t *pay, size_t plen)
{
    static const uint8_t home[1][16] = { { 0x20, 0x01, 0x0d, 0xb8, 0xff, [15] = 9 } };
    static const uint8_t ra6[4] = { 5, 2, 0, 0 }; /* router alert, as hop-by-hop options carry */
    struct pc_pkt pk;
    pc_pkt_init(&pk, buf, cap);
    pc_push_eth(&pk, &(struct pc_eth){ .dst = { 2, 0, 0, 0, 0, 2 }, .src = { 2, 0, 0, 0, 0, 1 } });
    struct pc_ipv6 ip = { .hlim = 64, .flowlabel = 0x12345 };
    memcpy(ip.src, S6, 16);
    memcpy(ip.dst, D6, 16);
    pc_push_ipv6(&pk, &ip);
    for (const char *c = chain; *c; c++) {
        struct pc_ip6ext e = { 0 };
        switch (*c) {
        case 'H': e.type = PC_P_IP6_HOP; e.opts = ra6; e.optlen = 4; break;
        case 'D': e.type = PC_P_IP6_DEST; break;
        default: e.type = PC_P_IP6_ROUTING; e.rtype = PC_IP6_RT_MIP6; e.segleft = 1; e.addrs = home; e.naddrs = 1; break;
        }
        pc_push_ip6ext(&pk, &e);
    }
    if (l4 == PC_P_TCP) pc_push_tcp(&pk, &(struct pc_tcp){ .sport = 40001, .dport = 40002, .flags = PC_TCP_ACK, .win = 9 });
    else pc_push_udp(&pk, &(struct pc_udp){ .sport = 40003, .dport = 40004 });
    pc_push_payload(&pk, pay, plen);
    return pc_pkt_finalize(&pk);
}

/* Bytes of the unfragmentable part and the offset of the Next Header byte
 * that pointed past it, worked out from the chain letters. */
static void unfrag_of(const char *chain, const uint8_t *ip6, uint32_t *ulen, uint32_t *nh_at, uint32_t *l4at)
{
    uint32_t p = 40, u = 40, nh = 6;
    size_t last_r = 0;
    for (size_t k = 0; chain[k]; k++)
        if (chain[k] == 'R') last_r = k + 1;
    for (size_t k = 0; chain[k]; k++) {
        uint32_t el = (ip6[p + 1] + 1u) * 8u;
        if ((k == 0 && chain[k] == 'H') || k + 1 <= last_r) { nh = p; u = p + el; }
        p += el;
    }
    *ulen = u;
    *nh_at = nh;
    if (l4at) *l4at = p;
}

static void check_ipv6_frags(const uint8_t *frame, const char *chain, uint32_t ident, const struct pc_frag_opts *o)
{
    const uint8_t *ip = frame + 14;
    uint32_t plen = pc_ipv6_plen(ip), ulen, nh_at, l4at;
    unfrag_of(chain, ip, &ulen, &nh_at, &l4at);
    uint32_t fraglen = 40 + plen - ulen;
    static uint8_t data[65536], have[65536];
    memset(have, 0, sizeof have);
    uint32_t total = 0;
    int first = 0, last = 0;
    for (size_t k = 0; k < C.n; k++) {
        const uint8_t *f = C.f[k].b, *fi = f + 14;
        cr_assert_eq(memcmp(f, frame, 14), 0);
        cr_assert_eq(C.f[k].n, 14 + 40 + pc_ipv6_plen(fi), "fragment %zu length", k);
        /* The unfragmentable part is copied, its last Next Header says 44. */
        for (uint32_t b = 0; b < ulen; b++)
            if (b != 4 && b != 5 && b != nh_at)
                cr_assert_eq(fi[b], ip[b], "fragment %zu byte %u of the unfragmentable part", k, b);
        cr_assert_eq(fi[nh_at], PC_IPPROTO_FRAGMENT);
        const uint8_t *fh = fi + ulen;
        cr_assert_eq(fh[0], ip[nh_at], "fragment header next header");
        cr_assert_eq(fh[1], 0);
        cr_assert_eq(pc_ip6frag_ident(fh), ident);
        cr_assert_eq(pc_ip6frag_res2(fh), 0);
        uint32_t off = pc_ip6frag_off(fh) * 8u, n = pc_ipv6_plen(fi) - (ulen - 40) - 8;
        int m = pc_ip6frag_m(fh);
        cr_assert_eq(m, off + n < fraglen, "fragment %zu: M", k);
        if (m) cr_assert_eq(n % 8, 0);
        if (m && (!o->first || off)) cr_assert_eq(n, o->size);
        memcpy(data + off, fh + 8, n);
        memset(have + off, 1, n);
        first |= off == 0;
        if (!m) { last = 1; total = off + n; }
        /* Our decoder sees a Fragment header layer; a first fragment's L4
         * checksum stays unverified.  A first fragment that ends inside
         * the extension headers breaks RFC 7112 (the whole chain must be
         * in it): the decoder may say so. */
        struct pc_decoded d;
        int rc = pc_decode(&d, f, (uint32_t)C.f[k].n, (uint32_t)C.f[k].n, PC_LINK_ETHERNET);
        int chain_cut = off == 0 && n < l4at - ulen + 8;
        if (!chain_cut)
            cr_assert_eq(rc, 0, "fragment %zu: %s (%s)", k, pc_strerror(rc), d.n && d.l[d.n - 1].why ? d.l[d.n - 1].why : "");
        int fl = -1;
        for (int i = 0; i < d.n; i++)
            if (d.l[i].proto == PC_P_IP6_FRAG) fl = i;
        cr_assert_geq(fl, 0, "fragment %zu: no fragment header layer", k);
        if (C.n > 1 && off == 0 && d.l4 >= 0) cr_assert_eq(d.l[d.l4].csum, PC_CSUM_UNVERIFIED);
    }
    cr_assert(first && last);
    cr_assert_eq(total, fraglen);
    for (uint32_t b = 0; b < total; b++) cr_assert(have[b], "hole at %u", b);
    cr_assert_eq(memcmp(data, ip + ulen, total), 0, "reassembled IPv6 payload differs");
}

Test(frag, ipv6_unfragmentable_part_and_reassembly)
{
    struct pc_rng r;
    pc_rng_seed(&r, UINT64_C(0xF4A6000000000002));
    static uint8_t frame[MAXDG], pay[3000];
    size_t total = 0;
    for (int k = 0; k < 800; k++) {
        const char *chain = CHAINS[k % (sizeof CHAINS / sizeof CHAINS[0])];
        size_t plen = rnd(&r, 3000);
        rbytes(&r, pay, plen);
        int l4 = rnd(&r, 2) ? PC_P_TCP : PC_P_UDP;
        int n = build6(frame, sizeof frame, chain, l4, pay, plen);
        cr_assert_gt(n, 0, "%s: %s", chain, pc_strerror(n));
        uint32_t ident = (uint32_t)pc_rng_next(&r);
        struct pc_frag_opts o = { .size = 8 * (8 + rnd(&r, 170)), .order = (uint8_t)rnd(&r, 3), .seed = (uint64_t)k,
                                  .ident = ident };
        if (rnd(&r, 6) == 0) o.first = 8;
        int got = fragment(frame, (size_t)n, PC_LINK_ETHERNET, o);
        cr_assert_gt(got, 0, "datagram %d (%s): %s", k, chain, pc_strerror(got));
        check_ipv6_frags(frame, chain, ident, &o);
        total += C.n;
    }
    cr_log_info("ipv6: 800 datagrams over %zu chains gave %zu fragments, all reassembled byte for byte",
                sizeof CHAINS / sizeof CHAINS[0], total);
}

Test(frag, ipv6_known_layout_and_rejections)
{
    static uint8_t frame[MAXDG], pay[1000];
    memset(pay, 0x5A, sizeof pay);
    int n = build6(frame, sizeof frame, "HDRD", PC_P_UDP, pay, 1000);
    cr_assert_gt(n, 0);
    /* 40 + H 8 + D 8 + R 24 = 80 bytes stay in front; D 8 + UDP 1008 move. */
    cr_assert_eq(fragment(frame, (size_t)n, PC_LINK_ETHERNET, (struct pc_frag_opts){ .size = 512, .ident = 0xABCDEF01 }), 2);
    const uint8_t *a = C.f[0].b + 14, *b = C.f[1].b + 14;
    cr_assert_eq(pc_ipv6_plen(a), 40 + 8 + 512);
    cr_assert_eq(a[40 + 8 + 8], PC_IPPROTO_FRAGMENT, "routing header's next header");
    const uint8_t *fh = a + 80;
    cr_assert_eq(fh[0], PC_IPPROTO_DSTOPTS);
    cr_assert_eq(pc_ip6frag_off(fh), 0);
    cr_assert_eq(pc_ip6frag_m(fh), 1);
    cr_assert_eq(pc_ip6frag_ident(fh), 0xABCDEF01);
    cr_assert_eq(pc_ipv6_plen(b), 40 + 8 + 504);
    cr_assert_eq(pc_ip6frag_off(b + 80), 64);
    cr_assert_eq(pc_ip6frag_m(b + 80), 0);
    /* Atomic fragment: one piece, offset 0, M clear, still a header. */
    cr_assert_eq(fragment(frame, (size_t)n, PC_LINK_ETHERNET, (struct pc_frag_opts){ .size = 2000, .ident = 5 }), 1);
    cr_assert_eq(C.f[0].n, (size_t)n + 8);
    cr_assert_eq(pc_ip6frag_m(C.f[0].b + 14 + 80), 0);
    /* Already fragmented: no. */
    static uint8_t twice[MAXDG];
    memcpy(twice, C.f[0].b, C.f[0].n);
    cr_assert_eq(fragment(twice, C.f[0].n, PC_LINK_ETHERNET, (struct pc_frag_opts){ .size = 64 }), PC_EINVAL);
    /* Lying lengths: payload length past the frame, an extension header
     * past the payload. */
    memcpy(twice, frame, (size_t)n);
    pc_put16(twice + 14 + 4, (uint16_t)(pc_ipv6_plen(frame + 14) + 1));
    cr_assert_eq(fragment(twice, (size_t)n, PC_LINK_ETHERNET, (struct pc_frag_opts){ .size = 64 }), PC_ETRUNC);
    memcpy(twice, frame, (size_t)n);
    twice[14 + 40 + 1] = 200;
    cr_assert_eq(fragment(twice, (size_t)n, PC_LINK_ETHERNET, (struct pc_frag_opts){ .size = 64 }), PC_EMALFORMED);
    /* Destination options alone are fragmentable. */
    n = build6(frame, sizeof frame, "D", PC_P_TCP, pay, 100);
    cr_assert_eq(fragment(frame, (size_t)n, PC_LINK_ETHERNET, (struct pc_frag_opts){ .size = 64 }), 2);
    cr_assert_eq(C.f[0].b[14 + 6], PC_IPPROTO_FRAGMENT);
    cr_assert_eq(C.f[0].b[14 + 40], PC_IPPROTO_DSTOPTS);
}

/* IPv6: the unfragmentable part in front of every piece, the caller's
 * identification, offsets and M as asked, a piece past the end. */
Test(frag, explicit_list_ipv6)
{
    static uint8_t frame[MAXDG], pay[1000];
    memset(pay, 0x5A, sizeof pay);
    int n = build6(frame, sizeof frame, "HDRD", PC_P_UDP, pay, 1000);
    cr_assert_gt(n, 0);
    /* 40 + H 8 + D 8 + R 24 stay in front; D 8 + UDP 1008 are the payload. */
    cr_assert_eq(pc_frag_datagram_len(frame, (size_t)n, PC_LINK_ETHERNET), 1016);
    static const uint8_t other[16] = "0123456789abcdef";
    const struct pc_frag_piece list[] = {
        { .off = 512, .len = 504 },                                   /* the tail first: M 0 */
        { .off = 504, .len = 16, .data = other },                     /* overlaps both */
        { .off = 0, .len = 512, .mf = PC_FRAG_MF_CLEAR },             /* lying M */
        { .off = 1016, .len = 16, .data = other, .mf = PC_FRAG_MF_AUTO }, /* past the end */
    };
    cr_assert_eq(fragment_list(frame, (size_t)n, PC_LINK_ETHERNET, list, 4, 0x01020304), 4);
    static const int want_m[] = { 0, 1, 0, 0 };
    for (size_t k = 0; k < 4; k++) {
        const uint8_t *ip = C.f[k].b + 14, *fh = ip + 80;
        cr_assert_eq(memcmp(ip, frame + 14, 4), 0, "piece %zu: version, class, flow", k);
        cr_assert_eq(ip[40 + 8 + 8], PC_IPPROTO_FRAGMENT, "piece %zu: the routing header points at it", k);
        cr_assert_eq(fh[0], PC_IPPROTO_DSTOPTS);
        cr_assert_eq(pc_ip6frag_off(fh), list[k].off / 8, "piece %zu", k);
        cr_assert_eq(pc_ip6frag_m(fh), want_m[k], "piece %zu M", k);
        cr_assert_eq(pc_ip6frag_ident(fh), 0x01020304);
        cr_assert_eq(pc_ipv6_plen(ip), 40 + 8 + list[k].len, "piece %zu", k);
        const uint8_t *want = list[k].data ? list[k].data : frame + 14 + 80 + list[k].off;
        cr_assert_eq(memcmp(fh + 8, want, list[k].len), 0, "piece %zu bytes", k);
    }
    const struct pc_frag_piece past = { .off = 1008, .len = 16 };
    cr_assert_eq(fragment_list(frame, (size_t)n, PC_LINK_ETHERNET, &past, 1, 0), PC_EINVAL);
    /* Already fragmented: no. */
    static uint8_t twice[MAXDG];
    memcpy(twice, C.f[0].b, C.f[0].n);
    cr_assert_eq(fragment_list(twice, C.f[0].n, PC_LINK_ETHERNET, list, 1, 0), PC_EINVAL);
    cr_assert_eq(pc_frag_datagram_len(twice, C.f[0].n, PC_LINK_ETHERNET), PC_EINVAL);
}

/* pc_fragment never reads past the frame: every prefix of valid IPv4 and
 * IPv6 frames, and mutated frames, placed before a PROT_NONE page. */
Test(frag, every_truncation_and_garbage_under_guard_page)
{
    static uint8_t v4[MAXDG], v6[MAXDG], mut[MAXDG], pay[300];
    int n4 = build_tcp(v4, sizeof v4, 300, 0), n6 = build6(v6, sizeof v6, "HDRD", PC_P_TCP, pay, 300);
    for (int v = 0; v < 2; v++) {
        const uint8_t *frame = v ? v6 : v4;
        int n = v ? n6 : n4;
        for (int cut = 0; cut <= n; cut++) {
            struct th_guard g;
            const uint8_t *p = th_guard_copy(&g, frame, (size_t)cut);
            int rc = fragment(p, (size_t)cut, PC_LINK_ETHERNET, (struct pc_frag_opts){ .size = 64, .ident = 1 });
            if (cut == n) cr_assert_gt(rc, 1);
            else cr_assert(rc < 0, "cut %d of %d: %d fragments from a cut datagram", cut, n, rc);
            const struct pc_frag_piece one = { .off = 8, .len = 8 };
            rc = fragment_list(p, (size_t)cut, PC_LINK_ETHERNET, &one, 1, 1);
            cr_assert_eq(rc, cut == n ? 1 : rc, "cut %d of %d", cut, n);
            if (cut < n) cr_assert(rc < 0, "cut %d of %d: a list from a cut datagram", cut, n);
            rc = pc_frag_datagram_len(p, (size_t)cut, PC_LINK_ETHERNET);
            cr_assert(cut == n ? rc > 0 : rc < 0, "cut %d of %d: length %d", cut, n, rc);
            th_guard_free(&g);
        }
    }
    struct pc_rng r;
    pc_rng_seed(&r, 42);
    for (int k = 0; k < 20000; k++) {
        const uint8_t *frame = (k & 1) ? v6 : v4;
        int n = (k & 1) ? n6 : n4;
        memcpy(mut, frame, (size_t)n);
        for (int j = 0; j < 3; j++) mut[14 + rnd(&r, 100)] = (uint8_t)pc_rng_next(&r);
        size_t len = (size_t)n - rnd(&r, 8);
        struct th_guard g;
        const uint8_t *p = th_guard_copy(&g, mut, len);
        struct pc_frag_opts o = { .size = 8 * (1 + rnd(&r, 40)), .first = rnd(&r, 4) ? 0 : 8,
                                  .order = (uint8_t)rnd(&r, 3), .seed = (uint64_t)k };
        int rc = fragment(p, len, PC_LINK_ETHERNET, o);
        cr_assert(rc < 0 || (size_t)rc == C.n);
        /* an explicit list over the same garbage: all or nothing */
        struct pc_frag_piece pl[2] = { { .off = 8 * rnd(&r, 48), .len = 1 + rnd(&r, 400), .mf = (uint8_t)rnd(&r, 3) },
                                       { .off = 8 * rnd(&r, 48), .len = 1 + rnd(&r, 64), .data = pay } };
        rc = fragment_list(p, len, PC_LINK_ETHERNET, pl, 2, (uint32_t)k);
        cr_assert(rc < 0 ? C.n == 0 : (rc == 2 && C.n == 2), "list: rc %d, %zu delivered", rc, C.n);
        th_guard_free(&g);
    }
}

/* ---------------------------------------------------------------- tshark */

static struct { struct th_rows rows; char dir[64]; } TS;
static void ts_fini(void) { th_tshark_cleanup(TS.dir, &TS.rows); }
TestSuite(frag_tshark, .fini = ts_fini, .timeout = 1800);

/* Ports the installed tshark dissects by number: avoided, so that random
 * payloads are never taken for some application protocol. */
static struct th_ports TP;

static uint16_t free_port(struct pc_rng *r, uint16_t p) { return th_port_avoid(r, TP.tcp, TP.udp, 20000, p); }

enum { F_NUM, F_IPID, F_IPREASM, F_IP6REASM, F_FCOUNT, F_TCPST, F_UDPST, F_ICMPST, F_OVL, F_CONFLICT, F_MAL, F_SEV, F_MSG, NF };
static const char *const FNAMES[NF] = {
    "frame.number", "ip.id", "ip.reassembled.length", "ipv6.reassembled.length", "ip.fragment.count",
    "tcp.checksum.status", "udp.checksum.status", "icmp.checksum.status", "ip.fragment.overlap",
    "ip.fragment.overlap.conflict", "_ws.malformed", "_ws.expert.severity", "_ws.expert.message",
};

/* Run tshark with reassembly on; rows split into columns in place. */
static size_t tshark_rows(const char *tshark, const char *pcap, const char *heur, char *(*rows)[NF], size_t maxrows)
{
    th_tshark_fields(&TS.rows, tshark, TS.dir, pcap, heur,
                     "-o ip.defragment:TRUE -o ipv6.defragment:TRUE " TH_TS_CHECKSUMS TH_TS_NO_SEQ, FNAMES, NF);
    cr_assert_leq(TS.rows.n, maxrows, "tshark printed %zu rows, more than the %zu expected", TS.rows.n, maxrows);
    for (size_t i = 0; i < TS.rows.n; i++) th_split_cols(TS.rows.row[i], rows[i], NF, i + 1);
    return TS.rows.n;
}

/* The fragments in C, each at the next timestamp. */
static void pw_frags(struct th_pcapw *p)
{
    for (size_t k = 0; k < C.n; k++) th_pcapw_put(p, C.f[k].b, (uint32_t)C.f[k].n);
}

#define NDG 150

/* tshark reassembles each set (non-overlapping, any order, tiny first
 * fragments included) into a datagram of the original length whose L4
 * checksum it calls good, with no malformed frame and no expert error. */
Test(frag_tshark, ipv4_sets_reassemble_with_good_checksums)
{
    static char heur[16384];
    const char *tshark = th_tshark_setup(TS.dir, &TP, heur, sizeof heur, NULL);
    char path[128];
    snprintf(path, sizeof path, "%s/frag4.pcap", TS.dir);
    struct th_pcapw pw;
    th_pcapw_open(&pw, path, PC_LINK_ETHERNET, PC_TSPREC_NS);
    struct pc_rng r;
    pc_rng_seed(&r, UINT64_C(0xF4A6000000000003));
    static struct spec4 s;
    static uint8_t frame[MAXDG + 200];
    static uint32_t want_len[NDG];
    static int want_l4[NDG];
    static size_t last_frame[NDG];
    size_t tiny = 0;
    for (int k = 0; k < NDG; k++) {
        random_spec4(&r, &s, 3000);
        s.id = (uint16_t)(k + 1); /* one reassembly per datagram */
        s.sport = free_port(&r, s.sport);
        s.dport = free_port(&r, s.dport);
        if (s.plen < 40) s.plen = 40 + rnd(&r, 2000);
        int n = build4(&s, frame, sizeof frame);
        uint32_t hl = pc_ipv4_ihl(frame + 14) * 4u;
        want_len[k] = pc_ipv4_len(frame + 14) - hl;
        want_l4[k] = s.l4;
        struct pc_frag_opts o = { .size = 8 * (4 + rnd(&r, 180)), .order = (uint8_t)(k % 3), .seed = (uint64_t)k };
        if (want_len[k] / o.size > 200) o.size = 8 * (want_len[k] / 1600 + 1);
        if (o.size >= want_len[k]) o.size = (want_len[k] - 1) / 8 * 8; /* at least two pieces */
        if (k % 5 == 0) { o.first = 8; tiny++; }
        int got = fragment(frame, (size_t)n, PC_LINK_ETHERNET, o);
        cr_assert_gt(got, 1, "datagram %d: %d fragments", k, got);
        pw_frags(&pw);
        last_frame[k] = (size_t)pw.n;
    }
    th_pcapw_close(&pw);
    static char *rows[20000][NF];
    size_t nr = tshark_rows(tshark, path, heur, rows, 20000);
    cr_assert_eq(nr, pw.n, "tshark saw %zu frames, we wrote %llu", nr, (unsigned long long)pw.n);
    size_t done = 0;
    for (int k = 0; k < NDG; k++) {
        char **c = rows[last_frame[k] - 1];
        cr_assert_str_empty(c[F_MAL], "frame %s malformed: %s", c[F_NUM], c[F_MSG]);
        char want[32];
        snprintf(want, sizeof want, "%u", want_len[k]);
        cr_assert_str_eq(c[F_IPREASM], want, "datagram %d (frame %s): reassembled length \"%s\", want %s", k, c[F_NUM],
                         c[F_IPREASM], want);
        int st = want_l4[k] == PC_P_TCP ? F_TCPST : want_l4[k] == PC_P_UDP ? F_UDPST : F_ICMPST;
        cr_assert_str_eq(c[st], "1", "datagram %d (frame %s): reassembled %s checksum status \"%s\"", k, c[F_NUM],
                         FNAMES[st], c[st]);
        done++;
    }
    size_t warn = 0;
    for (size_t i = 0; i < nr; i++) {
        warn += th_expert_clean(rows[i][F_MAL], rows[i][F_SEV], rows[i][F_MSG], i + 1) >= TH_SEV_WARN;
        cr_assert_str_empty(rows[i][F_OVL], "frame %zu: tshark sees an overlap", i + 1);
    }
    cr_log_info("tshark: %zu IPv4 datagrams (%zu with a tiny first fragment) in %zu fragments reassembled, "
                "lengths and L4 checksums good; %zu frames with warnings", done, tiny, nr, warn);
}

/* The evasion fixture is what it claims: tshark sees an overlap with
 * conflicting data (and an exact duplicate as an overlap without one). */
Test(frag_tshark, overlap_conflict_is_seen)
{
    const char *tshark = th_tshark_setup(TS.dir, NULL, NULL, 0, NULL);
    char path[128];
    snprintf(path, sizeof path, "%s/ovl.pcap", TS.dir);
    struct th_pcapw pw;
    th_pcapw_open(&pw, path, PC_LINK_ETHERNET, PC_TSPREC_NS);
    static uint8_t frame[MAXDG];
    int n = build_tcp(frame, sizeof frame, 200, 0);
    static const uint8_t evil[16] = "XXXXXXXXXXXXXXXX";
    struct pc_frag_extra conflict = { .off = 64, .len = 16, .data = evil, .at = 2 };
    cr_assert_eq(fragment(frame, (size_t)n, PC_LINK_ETHERNET, (struct pc_frag_opts){ .size = 64, .extra = &conflict, .nextra = 1 }), 5);
    pw_frags(&pw);
    pc_put16(frame + 18, 78); /* another datagram (id), same bytes otherwise */
    pc_put16(frame + 24, 0);
    pc_put16(frame + 24, pc_csum(frame + 14, 20));
    struct pc_frag_extra dup = { .off = 64, .len = 16, .at = 2 };
    cr_assert_eq(fragment(frame, (size_t)n, PC_LINK_ETHERNET, (struct pc_frag_opts){ .size = 64, .extra = &dup, .nextra = 1 }), 5);
    pw_frags(&pw);
    th_pcapw_close(&pw);
    static char *rows[64][NF];
    size_t nr = tshark_rows(tshark, path, "", rows, 64);
    cr_assert_eq(nr, 10);
    int conflict_seen = 0, overlap_seen = 0;
    for (size_t i = 0; i < 5; i++) conflict_seen |= strstr(rows[i][F_CONFLICT], "1") != NULL;
    for (size_t i = 5; i < 10; i++) {
        overlap_seen |= strstr(rows[i][F_OVL], "1") != NULL;
        cr_assert(!strstr(rows[i][F_CONFLICT], "1"), "exact duplicate reported as conflicting");
    }
    cr_assert(conflict_seen, "tshark did not see the conflicting overlap");
    cr_assert(overlap_seen, "tshark did not see the duplicate");
}

Test(frag_tshark, ipv6_sets_reassemble_with_good_checksums)
{
    static char heur[16384];
    const char *tshark = th_tshark_setup(TS.dir, &TP, heur, sizeof heur, NULL);
    for (unsigned p = 40001; p <= 40004; p++)
        cr_assert(!th_port_taken(TP.tcp, p) && !th_port_taken(TP.udp, p),
                  "port %u is dissected by this tshark: pick others in build6", p);
    char path[128];
    snprintf(path, sizeof path, "%s/frag6.pcap", TS.dir);
    struct th_pcapw pw;
    th_pcapw_open(&pw, path, PC_LINK_ETHERNET, PC_TSPREC_NS);
    struct pc_rng r;
    pc_rng_seed(&r, UINT64_C(0xF4A6000000000004));
    static uint8_t frame[MAXDG], pay[3000];
    static uint32_t want_len[NDG];
    static int want_l4[NDG];
    static size_t last_frame[NDG];
    for (int k = 0; k < NDG; k++) {
        const char *chain = CHAINS[k % (sizeof CHAINS / sizeof CHAINS[0])];
        size_t plen = 100 + rnd(&r, 2500);
        rbytes(&r, pay, plen);
        want_l4[k] = rnd(&r, 2) ? PC_P_TCP : PC_P_UDP;
        int n = build6(frame, sizeof frame, chain, want_l4[k], pay, plen);
        cr_assert_gt(n, 0);
        uint32_t ulen, nh_at;
        unfrag_of(chain, frame + 14, &ulen, &nh_at, NULL);
        want_len[k] = 40 + pc_ipv6_plen(frame + 14) - ulen;
        struct pc_frag_opts o = { .size = 8 * (8 + rnd(&r, 170)), .order = (uint8_t)(k % 3), .seed = (uint64_t)k,
                                  .ident = (uint32_t)k + 1 };
        if (o.size >= want_len[k]) o.size = (want_len[k] - 1) / 8 * 8; /* at least two pieces */
        if (k % 7 == 0) o.first = 8;
        cr_assert_gt(fragment(frame, (size_t)n, PC_LINK_ETHERNET, o), 1);
        pw_frags(&pw);
        last_frame[k] = (size_t)pw.n;
    }
    th_pcapw_close(&pw);
    static char *rows[20000][NF];
    size_t nr = tshark_rows(tshark, path, heur, rows, 20000);
    cr_assert_eq(nr, pw.n);
    for (int k = 0; k < NDG; k++) {
        char **c = rows[last_frame[k] - 1];
        char want[32];
        snprintf(want, sizeof want, "%u", want_len[k]);
        cr_assert_str_eq(c[F_IP6REASM], want, "datagram %d (%s, frame %s): reassembled length \"%s\", want %s", k,
                         CHAINS[k % (sizeof CHAINS / sizeof CHAINS[0])], c[F_NUM], c[F_IP6REASM], want);
        int st = want_l4[k] == PC_P_TCP ? F_TCPST : F_UDPST;
        cr_assert_str_eq(c[st], "1", "datagram %d (%s, frame %s): reassembled checksum status \"%s\"", k,
                         CHAINS[k % (sizeof CHAINS / sizeof CHAINS[0])], c[F_NUM], c[st]);
    }
    for (size_t i = 0; i < nr; i++) th_expert_clean(rows[i][F_MAL], rows[i][F_SEV], rows[i][F_MSG], i + 1);
    cr_log_info("tshark: %d IPv6 datagrams over %zu extension-header chains in %zu fragments reassembled, "
                "lengths and L4 checksums good", NDG, sizeof CHAINS / sizeof CHAINS[0], nr);
}

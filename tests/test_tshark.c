/* tshark as an independent oracle.  Seeded random Ethernet/IPv4 packets
 * (TCP with options, UDP, ICMP echo; IPv4 options sometimes) are written
 * with pktcraft's pcap writer (ns and us files), dissected by tshark with
 * checksum validation on, and every field tshark prints is compared with
 * what pktcraft's own decoder reports for the same bytes and, for the
 * random runs, with the spec each packet was built from.  No packet may be
 * malformed, carry an expert ERROR or a bad checksum; a PC_CORRUPT checksum
 * must be the only bad one, with the value tshark says it should have.
 * Payload dissection is noise here: ports tshark maps to a protocol are
 * avoided and TCP/UDP heuristic protocols disabled, both as listed by the
 * installed tshark.  A missing tshark is a failure, never a skip.
 * PKTCRAFT_TSHARK_KEEP=1 keeps the capture files for a look by hand. */
#include <criterion/criterion.h>
#include <criterion/logging.h>

#include <pktcraft/pktcraft.h>

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "oracle.h"

/* ------------------------------------------------------------ the fields */

/* Everything before F_MALFORMED is compared as a string with the value
 * derived from pktcraft's decoder; the last three are judged separately. */
#define TS_FIELDS(X)                                   \
    X(F_NUM, "frame.number")                           \
    X(F_TIME, "frame.time_epoch")                      \
    X(F_FLEN, "frame.len")                             \
    X(F_CAPLEN, "frame.cap_len")                       \
    X(F_PROTOS, "frame.protocols")                     \
    X(F_ETH_DST, "eth.dst")                            \
    X(F_ETH_SRC, "eth.src")                            \
    X(F_ETH_TYPE, "eth.type")                          \
    X(F_IP_VER, "ip.version")                          \
    X(F_IP_HLEN, "ip.hdr_len")                         \
    X(F_IP_DSF, "ip.dsfield")                          \
    X(F_IP_LEN, "ip.len")                              \
    X(F_IP_ID, "ip.id")                                \
    X(F_IP_FLAGS, "ip.flags")                          \
    X(F_IP_FRAG, "ip.frag_offset")                     \
    X(F_IP_TTL, "ip.ttl")                              \
    X(F_IP_PROTO, "ip.proto")                          \
    X(F_IP_CSUM, "ip.checksum")                        \
    X(F_IP_CSUM_ST, "ip.checksum.status")              \
    X(F_IP_SRC, "ip.src")                              \
    X(F_IP_DST, "ip.dst")                              \
    X(F_IP_OPT_TYPE, "ip.opt.type")                    \
    X(F_IP_OPT_PTR, "ip.opt.ptr")                      \
    X(F_IP_OPT_RA, "ip.opt.ra")                        \
    X(F_TCP_SPORT, "tcp.srcport")                      \
    X(F_TCP_DPORT, "tcp.dstport")                      \
    X(F_TCP_SEQ, "tcp.seq_raw")                        \
    X(F_TCP_ACK, "tcp.ack_raw")                        \
    X(F_TCP_HLEN, "tcp.hdr_len")                       \
    X(F_TCP_FLAGS, "tcp.flags")                        \
    X(F_TCP_WIN, "tcp.window_size_value")              \
    X(F_TCP_CSUM, "tcp.checksum")                      \
    X(F_TCP_CSUM_ST, "tcp.checksum.status")            \
    X(F_TCP_URP, "tcp.urgent_pointer")                 \
    X(F_TCP_LEN, "tcp.len")                            \
    X(F_TCP_OPTKIND, "tcp.option_kind")                \
    X(F_TCP_MSS, "tcp.options.mss_val")                \
    X(F_TCP_WS, "tcp.options.wscale.shift")            \
    X(F_TCP_TSVAL, "tcp.options.timestamp.tsval")      \
    X(F_TCP_TSECR, "tcp.options.timestamp.tsecr")      \
    X(F_TCP_SACK_LE, "tcp.options.sack_le")            \
    X(F_TCP_SACK_RE, "tcp.options.sack_re")            \
    X(F_UDP_SPORT, "udp.srcport")                      \
    X(F_UDP_DPORT, "udp.dstport")                      \
    X(F_UDP_LEN, "udp.length")                         \
    X(F_UDP_CSUM, "udp.checksum")                      \
    X(F_UDP_CSUM_ST, "udp.checksum.status")            \
    X(F_ICMP_TYPE, "icmp.type")                        \
    X(F_ICMP_CODE, "icmp.code")                        \
    X(F_ICMP_CSUM, "icmp.checksum")                    \
    X(F_ICMP_CSUM_ST, "icmp.checksum.status")          \
    X(F_ICMP_ID, "icmp.ident")                         \
    X(F_ICMP_SEQ, "icmp.seq")                          \
    X(F_MALFORMED, "_ws.malformed")                    \
    X(F_SEV, "_ws.expert.severity")                    \
    X(F_MSG, "_ws.expert.message")

#define TS_ENUM(id, name) id,
#define TS_NAME(id, name) [id] = name,
enum { TS_FIELDS(TS_ENUM) NF };
static const char *const field_name[NF] = { TS_FIELDS(TS_NAME) };

#define FW 256 /* one expected value; the longest is a list of IP option types */

/* --------------------------------------------------- per-test state */

struct spec;

#define MAXFRAME 512
#define MAXPAY 300

struct frame {
    pc_time_ns ts;
    uint32_t len;
    uint8_t data[MAXFRAME];
    int target;        /* corrupt test: which checksum was corrupted */
    uint16_t correct;  /* corrupt test: the checksum it should have had */
};

static struct {
    char dir[64];
    struct frame *fr;
    size_t n;
    struct spec *spec; /* random tests: what each frame was built from */
    struct th_rows rows; /* tshark's stdout, split in place */
} G;

static void ts_setup(void)
{
    memset(&G, 0, sizeof G);
}

static void ts_teardown(void)
{
    /* PKTCRAFT_TSHARK_KEEP=1 leaves the captures for a look by hand. */
    th_tshark_cleanup(G.dir, &G.rows);
    free(G.fr);
    free(G.spec);
    memset(&G, 0, sizeof G);
}

TestSuite(tshark, .init = ts_setup, .fini = ts_teardown, .timeout = 1800);

/* --------------------------------------------------------- tshark itself */

/* Ports tshark hands to a dissector by number, and the protocols with a
 * heuristic dissector on TCP or UDP: random payload bytes taken for some
 * application protocol get reported malformed (an RTCP heuristic did
 * exactly that), which says nothing about pktcraft.  Both lists are asked
 * of the installed tshark, so they follow its version: generated ports
 * avoid the first, every tshark run disables the second (-G lists the
 * protocol, not the heuristic's short name, so the protocol goes). */
static struct th_ports TP;
static char heur_args[16384];

/* tshark, a scratch directory in G.dir, and both lists. */
static const char *ts_begin(void)
{
    /* Never the protocols under test (none of them is a heuristic). */
    static const char *const keep[] = { "frame", "eth", "ethertype", "ip", "tcp", "udp", "icmp", "data", NULL };
    return th_tshark_setup(G.dir, &TP, heur_args, sizeof heur_args, keep);
}

/* Dissect path with every field of TS_FIELDS; rows end up in G.rows. */
static void run_tshark(const char *tshark, const char *path)
{
    th_tshark_fields(&G.rows, tshark, G.dir, path, heur_args,
                     TH_TS_CHECKSUMS TH_TS_NO_SEQ " -o tcp.relative_sequence_numbers:FALSE", field_name, NF);
}

/* Split row i into NF columns (in place). */
static void row_cols(size_t i, char *cols[NF]) { th_split_cols(G.rows.row[i], cols, NF, i + 1); }

/* ---------------------------------------------------- random packet specs */

enum { L_IP, L_TCP, L_UDP, L_ICMP, L_NONE };
static const char *const lname[] = { "ipv4", "tcp", "udp", "icmp", "none" };

struct spec {
    struct pc_eth eth;
    struct pc_ipv4 ip;
    uint8_t ipopt[PC_IPV4_MAXOPT];
    size_t ipoptlen;
    int l4;  /* L_TCP, L_UDP or L_ICMP */
    struct pc_tcp tcp;
    struct pc_tcpopt topt[12];
    size_t ntopt;
    struct pc_udp udp;
    struct pc_icmp icmp;
    uint8_t payload[MAXPAY];
    size_t plen;
};

static uint32_t rnd(struct pc_rng *r, uint32_t n) { return (uint32_t)pc_rng_below(r, n); }
static uint32_t r32(struct pc_rng *r) { return (uint32_t)pc_rng_next(r); }

static void rbytes(struct pc_rng *r, uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++) p[i] = (uint8_t)pc_rng_next(r);
}

static uint16_t pick_port(struct pc_rng *r, const uint8_t *taken) { return th_port_pick(r, taken, NULL, 20001); }

/* Valid IPv4 options only: NOPs, Router Alert (94 04 00 00) and Record
 * Route with a pointer at a slot boundary, recorded slots filled. */
static size_t random_ipopts(struct pc_rng *r, uint8_t *o)
{
    size_t n = 0;
    for (uint32_t k = rnd(r, 3); k > 0; k--) o[n++] = 1;
    if (rnd(r, 2)) {
        o[n++] = 0x94; o[n++] = 4; o[n++] = 0; o[n++] = 0;
    }
    if (rnd(r, 2) && PC_IPV4_MAXOPT - n >= 7) {
        uint32_t slots = 1 + rnd(r, (uint32_t)(PC_IPV4_MAXOPT - n - 3) / 4);
        uint32_t filled = rnd(r, slots + 1);
        o[n++] = 7;
        o[n++] = (uint8_t)(3 + 4 * slots);
        o[n++] = (uint8_t)(4 + 4 * filled);
        for (uint32_t s = 0; s < slots; s++, n += 4) {
            if (s < filled) rbytes(r, o + n, 4);
            else memset(o + n, 0, 4);
        }
    }
    if (rnd(r, 3) == 0 && n < PC_IPV4_MAXOPT) o[n++] = 1; /* a trailing NOP */
    return n;
}

/* MSS, WS, SACK-permitted, timestamps and SACK in random order and subset,
 * NOPs sprinkled in, never over 40 bytes. */
static size_t random_tcpopts(struct pc_rng *r, struct pc_tcpopt *o, uint32_t ack)
{
    int order[5] = { PC_TCPOPT_MSS, PC_TCPOPT_WSCALE, PC_TCPOPT_SACKOK, PC_TCPOPT_TS, PC_TCPOPT_SACK };
    for (int i = 4; i > 0; i--) {
        int j = (int)rnd(r, (uint32_t)i + 1), t = order[i];
        order[i] = order[j];
        order[j] = t;
    }
    size_t n = 0, used = 0;
    if (rnd(r, 4) == 0) return 0;
    for (int i = 0; i < 5; i++) {
        if (rnd(r, 3) == 0) continue;
        if (rnd(r, 3) == 0 && used < PC_TCP_MAXOPT) {
            o[n++] = (struct pc_tcpopt){ .kind = PC_TCPOPT_NOP };
            used++;
        }
        struct pc_tcpopt x = { .kind = (int16_t)order[i] };
        size_t sz;
        switch (order[i]) {
        case PC_TCPOPT_MSS: x.mss = (uint16_t)(536 + rnd(r, 9000)); sz = 4; break;
        case PC_TCPOPT_WSCALE: x.wscale = (uint8_t)rnd(r, 15); sz = 3; break;
        case PC_TCPOPT_SACKOK: sz = 2; break;
        case PC_TCPOPT_TS: x.ts_val = r32(r); x.ts_ecr = r32(r); sz = 10; break;
        default: {
            if (PC_TCP_MAXOPT - used < 10) continue;
            uint32_t maxb = (uint32_t)(PC_TCP_MAXOPT - used - 2) / 8;
            x.nsack = (uint8_t)(1 + rnd(r, maxb < 4 ? maxb : 4));
            uint32_t left = ack + 1 + rnd(r, 1u << 20);
            for (int b = 0; b < x.nsack; b++) {
                x.sack[b][0] = left;
                x.sack[b][1] = left + 1 + rnd(r, 65535);
                left = x.sack[b][1] + 1 + rnd(r, 65535);
            }
            sz = 2 + 8u * x.nsack;
            break;
        }
        }
        if (used + sz > PC_TCP_MAXOPT) continue;
        o[n++] = x;
        used += sz;
    }
    return n;
}

/* l4 = L_TCP, L_UDP, L_ICMP, or -1 for a random one. */
static void random_spec(struct pc_rng *r, struct spec *s, int l4)
{
    memset(s, 0, sizeof *s);
    rbytes(r, s->eth.dst, 6);
    rbytes(r, s->eth.src, 6);
    s->eth.dst[0] &= 0xFE; /* unicast: a group source address is an expert warning */
    s->eth.src[0] &= 0xFE;
    s->eth.pad = (uint8_t)rnd(r, 2);
    rbytes(r, s->ip.src, 4);
    rbytes(r, s->ip.dst, 4);
    s->ip.tos = (uint8_t)rnd(r, 256);
    s->ip.ttl = (uint8_t)rnd(r, 256);
    s->ip.id = (uint16_t)rnd(r, 65536);
    s->ip.flags = rnd(r, 2) ? PC_IP_DF : 0;
    if (rnd(r, 4) == 0) s->ipoptlen = random_ipopts(r, s->ipopt);
    if (l4 < 0) {
        uint32_t k = rnd(r, 10);
        l4 = k < 5 ? L_TCP : k < 8 ? L_UDP : L_ICMP;
    }
    s->l4 = l4;
    switch (l4) {
    case L_TCP:
        s->tcp.sport = pick_port(r, TP.tcp);
        s->tcp.dport = pick_port(r, TP.tcp);
        s->tcp.seq = r32(r);
        s->tcp.ack = r32(r);
        s->tcp.flags = (uint16_t)rnd(r, 0x200);
        s->tcp.win = (uint16_t)rnd(r, 65536);
        s->tcp.urp = rnd(r, 2) ? (uint16_t)rnd(r, 65536) : 0;
        s->ntopt = random_tcpopts(r, s->topt, s->tcp.ack);
        s->plen = rnd(r, 4) == 0 ? 0 : rnd(r, MAXPAY + 1);
        break;
    case L_UDP:
        s->udp.sport = pick_port(r, TP.udp);
        s->udp.dport = pick_port(r, TP.udp);
        s->plen = rnd(r, MAXPAY + 1);
        break;
    default:
        s->icmp.type = rnd(r, 2) ? PC_ICMP_ECHO : PC_ICMP_ECHOREPLY;
        s->icmp.id = (uint16_t)rnd(r, 65536);
        s->icmp.seq = (uint16_t)rnd(r, 65536);
        s->plen = rnd(r, MAXPAY + 1);
        break;
    }
    rbytes(r, s->payload, s->plen);
}

static uint32_t build(const struct spec *s, uint8_t *buf)
{
    struct pc_pkt pk;
    pc_pkt_init(&pk, buf, MAXFRAME);
    struct pc_ipv4 ip = s->ip;
    ip.opts = s->ipoptlen ? s->ipopt : NULL;
    ip.optlen = s->ipoptlen;
    pc_push_eth(&pk, &s->eth);
    pc_push_ipv4(&pk, &ip);
    if (s->l4 == L_TCP) {
        struct pc_tcp t = s->tcp;
        t.opts = s->ntopt ? s->topt : NULL;
        t.nopts = s->ntopt;
        pc_push_tcp(&pk, &t);
    } else if (s->l4 == L_UDP) {
        pc_push_udp(&pk, &s->udp);
    } else {
        pc_push_icmp(&pk, &s->icmp);
    }
    pc_push_payload(&pk, s->payload, s->plen);
    int n = pc_pkt_finalize(&pk);
    cr_assert_gt(n, 0, "pc_pkt_finalize: %s", pc_strerror(n));
    return (uint32_t)n;
}

/* Wire size of the TCP options of s, EOL-padded to 4. */
static uint32_t spec_tcpopt_len(const struct spec *s)
{
    uint32_t n = 0;
    for (size_t k = 0; k < s->ntopt; k++) {
        switch (s->topt[k].kind) {
        case PC_TCPOPT_NOP: n += 1; break;
        case PC_TCPOPT_MSS: n += 4; break;
        case PC_TCPOPT_WSCALE: n += 3; break;
        case PC_TCPOPT_SACKOK: n += 2; break;
        case PC_TCPOPT_TS: n += 10; break;
        default: n += 2u + 8u * s->topt[k].nsack; break;
        }
    }
    return (n + 3) & ~3u;
}

static void spec_row(const struct spec *s, char sexp[NF][FW]);

/* ----------------------------------------------------- the pcap side */

static void ts_string(pc_time_ns ts, int prec, char *out, size_t cap)
{
    long long sec = (long long)(ts / PC_NS_PER_SEC), ns = (long long)(ts % PC_NS_PER_SEC);
    if (prec == PC_TSPREC_US) snprintf(out, cap, "%lld.%06lld000", sec, ns / 1000);
    else snprintf(out, cap, "%lld.%09lld", sec, ns);
}

/* Write G.fr to path, then read it back with pktcraft's reader and check
 * every record against what was written (the bytes tshark will see). */
static void write_pcap(const char *path, int prec)
{
    struct th_pcapw pw;
    th_pcapw_open(&pw, path, PC_LINK_ETHERNET, prec);
    for (size_t i = 0; i < G.n; i++) th_pcapw_write(&pw, G.fr[i].ts, G.fr[i].data, G.fr[i].len);
    th_pcapw_close(&pw);

    struct pc_err e;
    struct pc_reader *rd = pc_reader_open(path, &e);
    cr_assert_not_null(rd, "pc_reader_open: %s", e.msg);
    struct pc_pkthdr h;
    const uint8_t *data;
    size_t i = 0;
    int rc;
    while ((rc = pc_reader_next(rd, &h, &data)) == 1) {
        int ok = i < G.n && h.caplen == G.fr[i].len && h.len == G.fr[i].len &&
                 !memcmp(data, G.fr[i].data, h.caplen);
        pc_time_ns want = prec == PC_TSPREC_US ? G.fr[i].ts / 1000 * 1000 : G.fr[i].ts;
        ok = ok && h.ts == want;
        if (!ok) {
            pc_reader_close(rd);
            cr_assert_fail("read-back of %s differs at record %zu", path, i + 1);
        }
        i++;
    }
    pc_reader_close(rd);
    cr_assert_eq(rc, 0, "pc_reader_next failed");
    cr_assert_eq(i, G.n, "read back %zu records, wrote %zu", i, G.n);
}

/* ------------------------------------- expected values from the decoder */

__attribute__((format(printf, 3, 4)))
static void setf(char exp[NF][FW], int f, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(exp[f], FW, fmt, ap);
    va_end(ap);
}

/* Append to a '|'-aggregated list, as tshark prints repeated fields. */
#define addf(exp, f, ...) th_append((exp)[f], FW, __VA_ARGS__)

static void set_mac(char exp[NF][FW], int f, const uint8_t *m)
{
    setf(exp, f, "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4], m[5]);
}

static void set_ip(char exp[NF][FW], int f, const uint8_t *a)
{
    setf(exp, f, "%u.%u.%u.%u", a[0], a[1], a[2], a[3]);
}

/* What tshark should print according to the spec alone (fields left
 * empty are not judged this way). */
static void spec_row(const struct spec *s, char sexp[NF][FW])
{
    memset(sexp, 0, sizeof(char[NF][FW]));
    set_mac(sexp, F_ETH_DST, s->eth.dst);
    set_mac(sexp, F_ETH_SRC, s->eth.src);
    set_ip(sexp, F_IP_SRC, s->ip.src);
    set_ip(sexp, F_IP_DST, s->ip.dst);
    uint32_t iphl = PC_IPV4_HLEN + (((uint32_t)s->ipoptlen + 3) & ~3u), l4hl;
    setf(sexp, F_IP_HLEN, "%" PRIu32, iphl);
    setf(sexp, F_IP_DSF, "0x%02x", s->ip.tos);
    setf(sexp, F_IP_ID, "0x%04x", s->ip.id);
    setf(sexp, F_IP_FLAGS, "0x%02x", s->ip.flags);
    setf(sexp, F_IP_TTL, "%u", s->ip.ttl);
    switch (s->l4) {
    case L_TCP:
        l4hl = PC_TCP_HLEN + spec_tcpopt_len(s);
        setf(sexp, F_IP_PROTO, "%u", PC_IPPROTO_TCP);
        setf(sexp, F_TCP_SPORT, "%u", s->tcp.sport);
        setf(sexp, F_TCP_DPORT, "%u", s->tcp.dport);
        setf(sexp, F_TCP_SEQ, "%" PRIu32, s->tcp.seq);
        setf(sexp, F_TCP_ACK, "%" PRIu32, s->tcp.ack);
        setf(sexp, F_TCP_HLEN, "%" PRIu32, l4hl);
        setf(sexp, F_TCP_FLAGS, "0x%04x", s->tcp.flags);
        setf(sexp, F_TCP_WIN, "%u", s->tcp.win);
        setf(sexp, F_TCP_URP, "%u", s->tcp.urp);
        setf(sexp, F_TCP_LEN, "%zu", s->plen);
        for (size_t k = 0; k < s->ntopt; k++) {
            const struct pc_tcpopt *o = &s->topt[k];
            switch (o->kind) {
            case PC_TCPOPT_MSS: addf(sexp, F_TCP_MSS, "%u", o->mss); break;
            case PC_TCPOPT_WSCALE: addf(sexp, F_TCP_WS, "%u", o->wscale); break;
            case PC_TCPOPT_TS:
                addf(sexp, F_TCP_TSVAL, "%" PRIu32, o->ts_val);
                addf(sexp, F_TCP_TSECR, "%" PRIu32, o->ts_ecr);
                break;
            case PC_TCPOPT_SACK:
                for (int b = 0; b < o->nsack; b++) {
                    addf(sexp, F_TCP_SACK_LE, "%" PRIu32, o->sack[b][0]);
                    addf(sexp, F_TCP_SACK_RE, "%" PRIu32, o->sack[b][1]);
                }
                break;
            default: break;
            }
        }
        break;
    case L_UDP:
        l4hl = PC_UDP_HLEN;
        setf(sexp, F_IP_PROTO, "%u", PC_IPPROTO_UDP);
        setf(sexp, F_UDP_SPORT, "%u", s->udp.sport);
        setf(sexp, F_UDP_DPORT, "%u", s->udp.dport);
        setf(sexp, F_UDP_LEN, "%zu", PC_UDP_HLEN + s->plen);
        break;
    default:
        l4hl = PC_ICMP_HLEN;
        setf(sexp, F_IP_PROTO, "%u", PC_IPPROTO_ICMP);
        setf(sexp, F_ICMP_TYPE, "%u", s->icmp.type);
        setf(sexp, F_ICMP_CODE, "%u", s->icmp.code);
        setf(sexp, F_ICMP_ID, "%u", s->icmp.id);
        setf(sexp, F_ICMP_SEQ, "%u", s->icmp.seq);
        break;
    }
    uint32_t iplen = iphl + l4hl + (uint32_t)s->plen;
    setf(sexp, F_IP_LEN, "%" PRIu32, iplen);
    uint32_t flen = PC_ETH_HLEN + iplen;
    if (s->eth.pad && flen < PC_ETH_MINFRAME) flen = PC_ETH_MINFRAME;
    setf(sexp, F_FLEN, "%" PRIu32, flen);
}

struct topt_ctx {
    char (*exp)[FW];
    size_t off;     /* offset of the next option in the option area */
    long eol;       /* offset of the EOL that ended the walk, or -1 */
};

static void topt_cb(void *vctx, uint8_t kind, const uint8_t *data, uint8_t dlen)
{
    struct topt_ctx *c = vctx;
    addf(c->exp, F_TCP_OPTKIND, "%u", kind);
    if (kind == PC_TCPOPT_EOL) c->eol = (long)c->off;
    if (kind == PC_TCPOPT_EOL || kind == PC_TCPOPT_NOP) {
        c->off++;
        return;
    }
    c->off += 2u + dlen;
    switch (kind) {
    case PC_TCPOPT_MSS: if (dlen == 2) addf(c->exp, F_TCP_MSS, "%u", pc_get16(data)); break;
    case PC_TCPOPT_WSCALE: if (dlen == 1) addf(c->exp, F_TCP_WS, "%u", data[0]); break;
    case PC_TCPOPT_TS:
        if (dlen == 8) {
            addf(c->exp, F_TCP_TSVAL, "%" PRIu32, pc_get32(data));
            addf(c->exp, F_TCP_TSECR, "%" PRIu32, pc_get32(data + 4));
        }
        break;
    case PC_TCPOPT_SACK:
        for (int b = 0; b + 8 <= dlen; b += 8) {
            addf(c->exp, F_TCP_SACK_LE, "%" PRIu32, pc_get32(data + b));
            addf(c->exp, F_TCP_SACK_RE, "%" PRIu32, pc_get32(data + b + 4));
        }
        break;
    default: break;
    }
}

/* What tshark should print for this frame, derived from pc_decode and the
 * view accessors.  Returns NULL, or why the frame cannot be described. */
static const char *expect_row(const uint8_t *p, uint32_t len, size_t num, const char *tstr,
                              struct pc_decoded *d, char exp[NF][FW])
{
    memset(exp, 0, sizeof(char[NF][FW]));
    setf(exp, F_NUM, "%zu", num);
    setf(exp, F_TIME, "%s", tstr);
    setf(exp, F_FLEN, "%" PRIu32, len);
    setf(exp, F_CAPLEN, "%" PRIu32, len);
    int rc = pc_decode(d, p, len, len, PC_LINK_ETHERNET);
    if (rc) return pc_strerror(rc);
    if (d->l2 < 0 || d->l3 < 0 || d->l4 < 0) return "decoder found no eth/ipv4/l4";

    const uint8_t *e = pc_layer_hdr(d, d->l2);
    set_mac(exp, F_ETH_DST, pc_eth_dst(e));
    set_mac(exp, F_ETH_SRC, pc_eth_src(e));
    setf(exp, F_ETH_TYPE, "0x%04x", pc_eth_type(e));

    const uint8_t *h = pc_layer_hdr(d, d->l3);
    uint32_t hl = pc_ipv4_ihl(h) * 4u;
    setf(exp, F_IP_VER, "%u", pc_ipv4_version(h));
    setf(exp, F_IP_HLEN, "%" PRIu32, hl);
    setf(exp, F_IP_DSF, "0x%02x", pc_ipv4_tos(h));
    setf(exp, F_IP_LEN, "%u", pc_ipv4_len(h));
    setf(exp, F_IP_ID, "0x%04x", pc_ipv4_id(h));
    setf(exp, F_IP_FLAGS, "0x%02x", pc_ipv4_flags(h));
    setf(exp, F_IP_FRAG, "%u", pc_ipv4_fragoff(h) * 8u);
    setf(exp, F_IP_TTL, "%u", pc_ipv4_ttl(h));
    setf(exp, F_IP_PROTO, "%u", pc_ipv4_proto(h));
    setf(exp, F_IP_CSUM, "0x%04x", pc_ipv4_csum(h));
    setf(exp, F_IP_CSUM_ST, "%s", th_ts_csum_status(d->l[d->l3].csum));
    set_ip(exp, F_IP_SRC, pc_ipv4_src(h));
    set_ip(exp, F_IP_DST, pc_ipv4_dst(h));
    /* IPv4 options (pktcraft has no option walker: walked here).  tshark
     * stops at the first EOL and lists it. */
    for (uint32_t k = PC_IPV4_HLEN; k < hl;) {
        uint8_t t = h[k];
        addf(exp, F_IP_OPT_TYPE, "%u", t);
        if (t == 0) break;
        if (t == 1) { k++; continue; }
        if (k + 1 >= hl || h[k + 1] < 2 || k + h[k + 1] > hl) return "bad ipv4 option";
        uint8_t ol = h[k + 1];
        if (t == 7) addf(exp, F_IP_OPT_PTR, "%u", h[k + 2]);
        if (t == 0x94 && ol == 4) addf(exp, F_IP_OPT_RA, "%u", pc_get16(h + k + 2));
        k += ol;
    }

    const struct pc_layer *l4 = &d->l[d->l4];
    const uint8_t *t = pc_layer_hdr(d, d->l4);
    const char *l4n;
    switch (l4->proto) {
    case PC_P_TCP: {
        l4n = "tcp";
        setf(exp, F_TCP_SPORT, "%u", pc_tcp_sport(t));
        setf(exp, F_TCP_DPORT, "%u", pc_tcp_dport(t));
        setf(exp, F_TCP_SEQ, "%" PRIu32, pc_tcp_seq(t));
        setf(exp, F_TCP_ACK, "%" PRIu32, pc_tcp_ack(t));
        setf(exp, F_TCP_HLEN, "%u", pc_tcp_doff(t) * 4u);
        /* tcp.flags is the low 12 bits of bytes 12-13: reserved, NS/AE, the eight. */
        setf(exp, F_TCP_FLAGS, "0x%04x", (unsigned)(pc_tcp_flags(t) | (((t[12] >> 1) & 7u) << 9)));
        setf(exp, F_TCP_WIN, "%u", pc_tcp_win(t));
        setf(exp, F_TCP_CSUM, "0x%04x", pc_tcp_csum(t));
        setf(exp, F_TCP_CSUM_ST, "%s", th_ts_csum_status(l4->csum));
        setf(exp, F_TCP_URP, "%u", pc_tcp_urp(t));
        setf(exp, F_TCP_LEN, "%" PRIu32, l4->plen);
        uint32_t olen = l4->hlen - PC_TCP_HLEN;
        struct topt_ctx c = { .exp = exp, .off = 0, .eol = -1 };
        if (pc_tcp_opts_walk(t + PC_TCP_HLEN, olen, topt_cb, &c) < 0) return "bad tcp option";
        /* tshark goes on after an EOL and lists every padding byte as one. */
        if (c.eol >= 0)
            for (uint32_t k = (uint32_t)c.eol + 1; k < olen; k++) {
                if (t[PC_TCP_HLEN + k] != 0) return "nonzero tcp option padding";
                addf(exp, F_TCP_OPTKIND, "0");
            }
        break;
    }
    case PC_P_UDP:
        l4n = "udp";
        setf(exp, F_UDP_SPORT, "%u", pc_udp_sport(t));
        setf(exp, F_UDP_DPORT, "%u", pc_udp_dport(t));
        setf(exp, F_UDP_LEN, "%" PRIu32, l4->plen + PC_UDP_HLEN);
        setf(exp, F_UDP_CSUM, "0x%04x", pc_udp_csum(t));
        setf(exp, F_UDP_CSUM_ST, "%s", th_ts_csum_status(l4->csum));
        break;
    case PC_P_ICMP:
        l4n = "icmp";
        setf(exp, F_ICMP_TYPE, "%u", pc_icmp_type(t));
        setf(exp, F_ICMP_CODE, "%u", pc_icmp_code(t));
        setf(exp, F_ICMP_CSUM, "0x%04x", pc_icmp_csum(t));
        setf(exp, F_ICMP_CSUM_ST, "%s", th_ts_csum_status(l4->csum));
        if (pc_icmp_type(t) == PC_ICMP_ECHO || pc_icmp_type(t) == PC_ICMP_ECHOREPLY) {
            setf(exp, F_ICMP_ID, "%u", pc_icmp_id(t));
            setf(exp, F_ICMP_SEQ, "%u", pc_icmp_seq(t));
        }
        break;
    default: return "unexpected l4 protocol";
    }
    /* A payload nobody claims is the "data" protocol, except after a TCP
     * RST, whose payload tshark shows inside TCP as the reset cause. */
    int data = d->n > d->l4 + 1 && d->l[d->l4 + 1].proto == PC_P_PAYLOAD && d->l[d->l4 + 1].plen > 0;
    if (l4->proto == PC_P_TCP && (pc_tcp_flags(t) & PC_TCP_RST)) data = 0;
    setf(exp, F_PROTOS, "eth:ethertype:ip:%s%s", l4n, data ? ":data" : "");
    return NULL;
}

/* ------------------------------------------------------- judging rows */

struct stats {
    size_t pkts, fields, nonempty, mismatches, malformed, errors, warnings, notes;
    size_t sfields, smismatches, decoder_bad;
    char first_smismatch[600];
    char first_decoder_bad[200];
    size_t per_field[NF];
    char per_field_first[NF][200];
    /* Distinct expert messages below ERROR (numbers folded, bracketed
     * detail cut), for the log. */
    size_t nkinds;
    struct { unsigned long sev; size_t count; char msg[96]; } kinds[32];
    char first_mismatch[1200];
    char first_problem[1200]; /* malformed or expert error */
};

static void compare_row(struct stats *st, size_t num, char *cols[NF], char exp[NF][FW])
{
    st->pkts++;
    for (int f = 0; f < F_MALFORMED; f++) {
        st->fields++;
        if (exp[f][0]) st->nonempty++;
        if (strcmp(cols[f], exp[f]) == 0) continue;
        if (!st->per_field[f]++)
            snprintf(st->per_field_first[f], sizeof st->per_field_first[f], "packet %zu: tshark \"%s\", pktcraft \"%s\"",
                     num, cols[f], exp[f]);
        if (!st->mismatches++)
            snprintf(st->first_mismatch, sizeof st->first_mismatch,
                     "packet %zu field %s: tshark \"%s\", pktcraft \"%s\"", num, field_name[f], cols[f], exp[f]);
    }
}

static void note_kind(struct stats *st, unsigned long sev, const char *msg, size_t ml)
{
    char key[96];
    size_t n = 0;
    for (size_t i = 0; i < ml && n < sizeof key - 1 && msg[i] != '['; i++) {
        if (msg[i] >= '0' && msg[i] <= '9') {
            if (n == 0 || key[n - 1] != 'N') key[n++] = 'N';
        } else {
            key[n++] = msg[i];
        }
    }
    key[n] = 0;
    for (size_t k = 0; k < st->nkinds; k++)
        if (st->kinds[k].sev == sev && !strcmp(st->kinds[k].msg, key)) {
            st->kinds[k].count++;
            return;
        }
    if (st->nkinds == sizeof st->kinds / sizeof st->kinds[0]) return;
    st->kinds[st->nkinds].sev = sev;
    st->kinds[st->nkinds].count = 1;
    memcpy(st->kinds[st->nkinds].msg, key, n + 1);
    st->nkinds++;
}

/* Walk the '|'-aggregated severities and messages of one row.  Expert
 * errors are counted unless the message starts with allow_prefix; returns
 * how many messages start with count_prefix (NULL: none) and copies the
 * last such message to match. */
static int scan_expert(struct stats *st, size_t num, char *cols[NF], const char *allow_prefix,
                       const char *count_prefix, char *match, size_t matchcap)
{
    int counted = 0;
    if (cols[F_MALFORMED][0]) {
        if (!st->malformed++ && !st->first_problem[0])
            snprintf(st->first_problem, sizeof st->first_problem, "packet %zu malformed: %s", num, cols[F_MSG]);
    }
    struct th_expert it = { cols[F_SEV], cols[F_MSG] };
    unsigned long sev;
    const char *msg;
    size_t ml;
    while (th_expert_next(&it, &sev, &msg, &ml)) {
        if (count_prefix && !strncmp(msg, count_prefix, strlen(count_prefix))) {
            counted++;
            if (match) snprintf(match, matchcap, "%.*s", (int)ml, msg);
        }
        if (sev >= TH_SEV_ERROR) {
            if (!(allow_prefix && !strncmp(msg, allow_prefix, strlen(allow_prefix)))) {
                if (!st->errors++ && !st->first_problem[0])
                    snprintf(st->first_problem, sizeof st->first_problem, "packet %zu expert error: %.*s", num,
                             (int)ml, msg);
            }
        } else {
            if (sev >= TH_SEV_WARN) st->warnings++;
            else st->notes++;
            note_kind(st, sev, msg, ml);
        }
    }
    return counted;
}

static void log_stats(const char *tag, const struct stats *st)
{
    char spec[96] = "";
    if (st->sfields) snprintf(spec, sizeof spec, "; %zu with the build spec, %zu mismatches", st->sfields, st->smismatches);
    cr_log_info("tshark %s: %zu packets, %zu fields compared with pktcraft's decoder (%zu with a value), "
                "%zu mismatches%s; %zu malformed, %zu expert errors, %zu warnings, %zu notes/chats",
                tag, st->pkts, st->fields, st->nonempty, st->mismatches, spec, st->malformed, st->errors,
                st->warnings, st->notes);
    for (size_t k = 0; k < st->nkinds; k++)
        cr_log_info("tshark %s:   %5zu x %s: %s", tag, st->kinds[k].count,
                    st->kinds[k].sev >= TH_SEV_WARN ? "warning" : st->kinds[k].sev >= TH_SEV_NOTE ? "note" : "chat",
                    st->kinds[k].msg);
}

/* The same columns against the spec the frame was built from: catches a
 * builder that writes the wrong value where decoder and tshark would both
 * faithfully read it back. */
static void compare_spec(struct stats *st, size_t num, char *cols[NF], char sexp[NF][FW])
{
    for (int f = 0; f < F_MALFORMED; f++) {
        if (!sexp[f][0]) continue;
        st->sfields++;
        if (strcmp(cols[f], sexp[f]) == 0) continue;
        if (!st->smismatches++)
            snprintf(st->first_smismatch, sizeof st->first_smismatch,
                     "packet %zu field %s: tshark \"%s\", spec \"%s\"", num, field_name[f], cols[f], sexp[f]);
    }
}

static void assert_clean(const struct stats *st)
{
    for (int f = 0; f < F_MALFORMED; f++)
        if (st->per_field[f])
            cr_log_error("field %s: %zu mismatches, first %s", field_name[f], st->per_field[f], st->per_field_first[f]);
    cr_assert_eq(st->mismatches, 0, "%zu field mismatches; first: %s", st->mismatches, st->first_mismatch);
    cr_assert_eq(st->malformed, 0, "%zu malformed packets; first: %s", st->malformed, st->first_problem);
    cr_assert_eq(st->errors, 0, "%zu expert errors; first: %s", st->errors, st->first_problem);
    cr_assert_eq(st->smismatches, 0, "%zu fields differ from the spec; first: %s", st->smismatches,
                 st->first_smismatch);
    cr_assert_eq(st->decoder_bad, 0, "%zu packets with a checksum pktcraft's decoder calls bad; first: %s",
                 st->decoder_bad, st->first_decoder_bad);
}

/* ------------------------------------------------------------- tests */

/* Build n random packets with increasing timestamps into G.fr. */
static void gen_random(uint64_t seed, size_t n)
{
    struct pc_rng r;
    pc_rng_seed(&r, seed);
    G.fr = calloc(n, sizeof *G.fr);
    G.spec = calloc(n, sizeof *G.spec);
    cr_assert(G.fr && G.spec);
    G.n = n;
    pc_time_ns ts = INT64_C(1700000000) * PC_NS_PER_SEC + (pc_time_ns)rnd(&r, 1000000000);
    for (size_t i = 0; i < n; i++) {
        random_spec(&r, &G.spec[i], -1);
        G.fr[i].len = build(&G.spec[i], G.fr[i].data);
        G.fr[i].ts = ts;
        G.fr[i].target = L_NONE;
        ts += (pc_time_ns)rnd(&r, 2000000000u);
    }
}

/* Write G's frames, run tshark on them, and insist it saw each one. */
static void tshark_frames(const char *tshark, const char *tag, int prec)
{
    char path[128];
    snprintf(path, sizeof path, "%s/%s.pcap", G.dir, tag);
    write_pcap(path, prec);
    run_tshark(tshark, path);
    cr_assert_eq(G.rows.n, G.n, "tshark saw %zu frames, pktcraft wrote %zu", G.rows.n, G.n);
}

/* Frame i: tshark's columns, what our decoder expects in them (exp, d),
 * and the field-by-field comparison recorded in st. */
static void check_frame(struct stats *st, size_t i, int prec, char exp[NF][FW], char **cols, struct pc_decoded *d)
{
    char tstr[40];
    row_cols(i, cols);
    ts_string(G.fr[i].ts, prec, tstr, sizeof tstr);
    const char *why = expect_row(G.fr[i].data, G.fr[i].len, i + 1, tstr, d, exp);
    cr_assert_null(why, "packet %zu: pktcraft decoder: %s", i + 1, why);
    compare_row(st, i + 1, cols, exp);
}

static void random_vs_tshark(const char *tag, uint64_t seed, size_t n, int prec)
{
    const char *tshark = ts_begin();
    gen_random(seed, n);
    tshark_frames(tshark, tag, prec);

    struct stats st = { 0 };
    size_t per[3] = { 0 }, with_ipopt = 0, with_tcpopt = 0, with_sack = 0, padded = 0;
    static char exp[NF][FW], sexp[NF][FW];
    for (size_t i = 0; i < G.n; i++) {
        char *cols[NF];
        struct pc_decoded d;
        check_frame(&st, i, prec, exp, cols, &d);
        for (int k = 0; k < d.n; k++)
            if (d.l[k].csum != PC_CSUM_NA && d.l[k].csum != PC_CSUM_GOOD && !st.decoder_bad++)
                snprintf(st.first_decoder_bad, sizeof st.first_decoder_bad, "packet %zu %s checksum %s", i + 1,
                         pc_proto_name(d.l[k].proto), pc_csum_status_name(d.l[k].csum));
        spec_row(&G.spec[i], sexp);
        compare_spec(&st, i + 1, cols, sexp);
        per[d.l[d.l4].proto == PC_P_TCP ? 0 : d.l[d.l4].proto == PC_P_UDP ? 1 : 2]++;
        with_ipopt += exp[F_IP_OPT_TYPE][0] != 0;
        with_tcpopt += exp[F_TCP_OPTKIND][0] != 0;
        with_sack += exp[F_TCP_SACK_LE][0] != 0;
        padded += (d.l[d.l2].flags & PC_LF_TRAILER) != 0;
        scan_expert(&st, i + 1, cols, NULL, NULL, NULL, 0);
    }
    cr_log_info("tshark %s: %zu tcp, %zu udp, %zu icmp; %zu with IPv4 options, %zu with TCP options "
                "(%zu with SACK), %zu with Ethernet padding",
                tag, per[0], per[1], per[2], with_ipopt, with_tcpopt, with_sack, padded);
    log_stats(tag, &st);
    assert_clean(&st);
}

Test(tshark, random_3000_ns)
{
    random_vs_tshark("random-ns", UINT64_C(0x74534841524B0001), 3000, PC_TSPREC_NS);
}

Test(tshark, random_1000_us)
{
    random_vs_tshark("random-us", UINT64_C(0x74534841524B0002), 1000, PC_TSPREC_US);
}

/* Offset of the checksum field of layer `which` in a frame built by build()
 * (Ethernet, IPv4, then one L4). */
static uint32_t csum_off(const uint8_t *p, int which)
{
    uint32_t ip = PC_ETH_HLEN, l4 = ip + pc_ipv4_ihl(p + ip) * 4u;
    switch (which) {
    case L_IP: return ip + 10;
    case L_TCP: return l4 + 16;
    case L_UDP: return l4 + 6;
    default: return l4 + 2;
    }
}

static const int status_col[] = { [L_IP] = F_IP_CSUM_ST, [L_TCP] = F_TCP_CSUM_ST, [L_UDP] = F_UDP_CSUM_ST,
                                   [L_ICMP] = F_ICMP_CSUM_ST };

/* PC_CORRUPT on exactly one layer: tshark must call exactly that checksum
 * bad, say it should be the value pktcraft computes in AUTO mode, and call
 * every other checksum good. */
Test(tshark, corrupt_checksum_is_the_only_bad_one)
{
    const char *tshark = ts_begin();
    const size_t per = 40;
    G.n = 4 * per;
    G.fr = calloc(G.n, sizeof *G.fr);
    cr_assert_not_null(G.fr);
    struct pc_rng r;
    pc_rng_seed(&r, UINT64_C(0x74534841524B0003));
    pc_time_ns ts = INT64_C(1600000000) * PC_NS_PER_SEC;
    struct spec s;
    for (size_t i = 0; i < G.n; i++) {
        int target = (int)(i / per); /* L_IP, L_TCP, L_UDP, L_ICMP in turn */
        random_spec(&r, &s, target == L_IP ? -1 : target);
        struct frame *f = &G.fr[i];
        uint8_t good[MAXFRAME];
        uint32_t glen = build(&s, good);
        switch (target) {
        case L_IP: s.ip.csum = PC_CORRUPT; break;
        case L_TCP: s.tcp.csum = PC_CORRUPT; break;
        case L_UDP: s.udp.csum = PC_CORRUPT; break;
        default: s.icmp.csum = PC_CORRUPT; break;
        }
        f->len = build(&s, f->data);
        f->ts = ts += 1000;
        f->target = target;
        uint32_t co = csum_off(good, target);
        f->correct = pc_get16(good + co);
        /* Only the two checksum bytes differ from the AUTO build. */
        cr_assert_eq(glen, f->len);
        cr_assert(!memcmp(good, f->data, co) && !memcmp(good + co + 2, f->data + co + 2, glen - co - 2),
                  "packet %zu: PC_CORRUPT on %s changed more than its checksum", i + 1, lname[target]);
        cr_assert_neq(pc_get16(f->data + co), f->correct);
    }
    tshark_frames(tshark, "corrupt", PC_TSPREC_NS);

    struct stats st = { 0 };
    static char exp[NF][FW];
    for (size_t i = 0; i < G.n; i++) {
        const struct frame *f = &G.fr[i];
        char *cols[NF], msg[256] = "", want[64];
        struct pc_decoded d;
        check_frame(&st, i, PC_TSPREC_NS, exp, cols, &d);
        int nbad = scan_expert(&st, i + 1, cols, "Bad checksum", "Bad checksum", msg, sizeof msg);

        /* The oracle's own verdict, independent of our decoder. */
        int l4 = d.l[d.l4].proto == PC_P_TCP ? L_TCP : d.l[d.l4].proto == PC_P_UDP ? L_UDP : L_ICMP;
        for (int k = L_IP; k <= L_ICMP; k++) {
            const char *c = cols[status_col[k]];
            if (k != L_IP && k != l4) {
                cr_assert_str_empty(c, "packet %zu: %s checksum status for a %s packet", i + 1, lname[k], lname[l4]);
                continue;
            }
            cr_assert_str_eq(c, k == f->target ? "0" : "1",
                             "packet %zu (corrupt %s): tshark %s checksum status \"%s\"", i + 1,
                             lname[f->target], lname[k], c);
        }
        int li = f->target == L_IP ? d.l3 : d.l4;
        cr_assert_eq(d.l[li].csum, PC_CSUM_BAD, "packet %zu: pktcraft decoder says corrupt %s checksum is %s",
                     i + 1, lname[f->target], pc_csum_status_name(d.l[li].csum));
        int oi = f->target == L_IP ? d.l4 : d.l3;
        cr_assert_eq(d.l[oi].csum, PC_CSUM_GOOD, "packet %zu: pktcraft decoder says the other checksum is %s",
                     i + 1, pc_csum_status_name(d.l[oi].csum));
        snprintf(want, sizeof want, "Bad checksum [should be 0x%04x]", f->correct);
        cr_assert_eq(nbad, 1, "packet %zu: %d \"Bad checksum\" expert messages, expected 1", i + 1, nbad);
        cr_assert_str_eq(msg, want, "packet %zu (corrupt %s): tshark \"%s\", AUTO build gives \"%s\"", i + 1,
                         lname[f->target], msg, want);
    }
    log_stats("corrupt", &st);
    assert_clean(&st);
}

/* A UDP checksum pinned to 0 means "none": tshark "Not present" (3), our
 * decoder PC_CSUM_ZERO, and nothing else in the packet suffers. */
Test(tshark, udp_checksum_zero_is_not_present)
{
    const char *tshark = ts_begin();
    G.n = 100;
    G.fr = calloc(G.n, sizeof *G.fr);
    cr_assert_not_null(G.fr);
    struct pc_rng r;
    pc_rng_seed(&r, UINT64_C(0x74534841524B0004));
    struct spec s;
    for (size_t i = 0; i < G.n; i++) {
        random_spec(&r, &s, L_UDP);
        s.udp.csum = PC_PIN(0);
        G.fr[i].len = build(&s, G.fr[i].data);
        G.fr[i].ts = INT64_C(1500000000) * PC_NS_PER_SEC + (pc_time_ns)i * 7919;
    }
    tshark_frames(tshark, "udp0", PC_TSPREC_NS);

    struct stats st = { 0 };
    static char exp[NF][FW];
    for (size_t i = 0; i < G.n; i++) {
        char *cols[NF];
        struct pc_decoded d;
        check_frame(&st, i, PC_TSPREC_NS, exp, cols, &d);
        scan_expert(&st, i + 1, cols, NULL, NULL, NULL, 0);
        cr_assert_eq(d.l[d.l4].csum, PC_CSUM_ZERO, "packet %zu: pktcraft decoder says %s", i + 1,
                     pc_csum_status_name(d.l[d.l4].csum));
        cr_assert_str_eq(cols[F_UDP_CSUM], "0x0000", "packet %zu", i + 1);
        cr_assert_str_eq(cols[F_UDP_CSUM_ST], "3", "packet %zu: tshark udp.checksum.status \"%s\", want 3 (Not present)",
                         i + 1, cols[F_UDP_CSUM_ST]);
        cr_assert_str_eq(cols[F_IP_CSUM_ST], "1", "packet %zu: ip checksum status \"%s\"", i + 1, cols[F_IP_CSUM_ST]);
    }
    log_stats("udp-zero", &st);
    assert_clean(&st);
}

/* Checksums whose correct value is 0: the builder must write 0x0000 for
 * IPv4, TCP and ICMP and 0xFFFF for UDP (0 would mean "no checksum"), and
 * tshark must call all of them good.  The packet is steered there by
 * putting the AUTO checksum of a zero word into that word (id for IPv4,
 * the first payload word otherwise): the sum then becomes 0xFFFF. */
Test(tshark, zero_sum_checksums_are_good)
{
    const char *tshark = ts_begin();
    const size_t per = 10;
    G.n = 4 * per;
    G.fr = calloc(G.n, sizeof *G.fr);
    cr_assert_not_null(G.fr);
    struct pc_rng r;
    pc_rng_seed(&r, UINT64_C(0x74534841524B0005));
    struct spec s;
    for (size_t i = 0; i < G.n; i++) {
        int target = (int)(i / per);
        struct frame *f = &G.fr[i];
        random_spec(&r, &s, target == L_IP ? -1 : target);
        if (s.plen < 2) s.plen = 2;
        if (target == L_IP) s.ip.id = 0;
        else s.payload[0] = s.payload[1] = 0;
        f->len = build(&s, f->data);
        uint16_t c = pc_get16(f->data + csum_off(f->data, target));
        if (target == L_UDP) c = (uint16_t)(c == 0xFFFF ? 0 : c); /* the sum is what matters */
        if (target == L_IP) s.ip.id = c;
        else pc_put16(s.payload, c);
        f->len = build(&s, f->data);
        f->ts = INT64_C(1400000000) * PC_NS_PER_SEC + (pc_time_ns)i;
        f->target = target;
        uint16_t got = pc_get16(f->data + csum_off(f->data, target));
        cr_assert_eq(got, target == L_UDP ? 0xFFFF : 0x0000, "packet %zu: %s checksum of a zero sum written as 0x%04x",
                     i + 1, lname[target], got);
    }
    tshark_frames(tshark, "zerosum", PC_TSPREC_NS);

    struct stats st = { 0 };
    static char exp[NF][FW];
    for (size_t i = 0; i < G.n; i++) {
        char *cols[NF];
        struct pc_decoded d;
        check_frame(&st, i, PC_TSPREC_NS, exp, cols, &d);
        scan_expert(&st, i + 1, cols, NULL, NULL, NULL, 0);
        const char *c = cols[status_col[G.fr[i].target]];
        cr_assert_str_eq(c, "1", "packet %zu: tshark %s checksum status \"%s\" for a zero-sum checksum", i + 1,
                         lname[G.fr[i].target], c);
        cr_assert_eq(d.l[G.fr[i].target == L_IP ? d.l3 : d.l4].csum, PC_CSUM_GOOD, "packet %zu: pktcraft decoder",
                     i + 1);
    }
    log_stats("zero-sum", &st);
    assert_clean(&st);
}

/* The harness must be able to fail: frames that are malformed on purpose
 * (TCP data offset past the segment, UDP length past the IP payload) must
 * show up as malformed or as an expert error, and pktcraft's decoder must
 * call them malformed too. */
Test(tshark, oracle_flags_malformed_frames)
{
    const char *tshark = ts_begin();
    G.n = 2;
    G.fr = calloc(G.n, sizeof *G.fr);
    cr_assert_not_null(G.fr);
    struct pc_rng r;
    pc_rng_seed(&r, UINT64_C(0x74534841524B0006));
    struct spec s;
    random_spec(&r, &s, L_TCP);
    s.ntopt = 0;
    s.plen = 4;
    s.eth.pad = 0;
    s.tcp.doff = PC_PIN(15);
    G.fr[0].len = build(&s, G.fr[0].data);
    random_spec(&r, &s, L_UDP);
    s.eth.pad = 0;
    s.udp.len = PC_CORRUPT; /* one byte more than the datagram */
    G.fr[1].len = build(&s, G.fr[1].data);
    for (size_t i = 0; i < G.n; i++) G.fr[i].ts = INT64_C(1300000000) * PC_NS_PER_SEC;
    char path[128];
    snprintf(path, sizeof path, "%s/malformed.pcap", G.dir);
    write_pcap(path, PC_TSPREC_US);
    run_tshark(tshark, path);
    cr_assert_eq(G.rows.n, G.n);
    for (size_t i = 0; i < G.n; i++) {
        char *cols[NF];
        row_cols(i, cols);
        struct stats st = { 0 };
        scan_expert(&st, i + 1, cols, NULL, NULL, NULL, 0);
        cr_assert(st.malformed + st.errors > 0, "packet %zu: tshark flagged nothing: sev \"%s\" msg \"%s\"", i + 1,
                  cols[F_SEV], cols[F_MSG]);
        struct pc_decoded d;
        cr_assert_eq(pc_decode(&d, G.fr[i].data, G.fr[i].len, G.fr[i].len, PC_LINK_ETHERNET), PC_EMALFORMED,
                     "packet %zu: pktcraft decoder did not call it malformed", i + 1);
        cr_log_info("tshark malformed control %zu: %s", i + 1, st.first_problem);
    }
}

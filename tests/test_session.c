/* Conversations (pktcraft/traffic/conv.h and `pktcraft session`): the
 * engine's own invariants, tshark and our flows against the truth file for
 * every case of tests/conv-cases.tsv (scripts/conv-check), determinism,
 * libpcap reading the result back, and the refusals. */
#include <criterion/criterion.h>
#include <pcap/pcap.h>
#include <stdlib.h>
#include <string.h>

#include "helpers.h"
#include "pktcraft/core/rand.h"
#include "pktcraft/traffic/conv.h"
#include "pktcraft/wire/tcp.h"

static char dir[64];
static void setup(void) { th_tmpdir(dir); }
static void teardown(void) { th_rmdir(dir); }
TestSuite(session, .init = setup, .fini = teardown, .timeout = 1800);

static struct pc_conv *run_conv(struct pc_conv_opts *o, const struct pc_conv_step *st, size_t n)
{
    struct pc_err err;
    struct pc_conv *c = pc_conv_run(o, st, n, &err);
    cr_assert(c, "pc_conv_run: %s", err.msg);
    return c;
}

static uint8_t big[200000];

static void fill_big(void)
{
    for (size_t i = 0; i < sizeof big; i++) big[i] = (uint8_t)(i * 7 + i / 251);
}

/* Every data byte a side sent is covered by its segments, sequence numbers
 * follow from the ISN, ACKs never pass what the peer sent, and the
 * delivered bytes are the sent ones. */
Test(session, engine_invariants)
{
    fill_big();
    struct pc_conv_opts o;
    pc_conv_opts_default(&o);
    o.sport = 40000;
    o.dport = 80;
    o.start = 1700000000000000000;
    o.seed = 3;
    struct pc_conv_step st[] = { { .dir = 0, .data = (const uint8_t *)"GET / HTTP/1.0\r\n\r\n", .len = 18 },
                                 { .dir = 1, .data = big, .len = sizeof big } };
    struct pc_conv *c = run_conv(&o, st, 2);
    cr_assert_gt(c->npkts, sizeof big / 1448);
    cr_assert_eq(c->pkts[0].flags, PC_TCP_SYN);
    cr_assert_eq(c->pkts[1].flags, PC_TCP_SYN | PC_TCP_ACK);
    cr_assert_eq(c->pkts[1].ack, c->isn[0] + 1);
    uint64_t max_end[2] = { 0, 0 };
    pc_time_ns last = 0;
    for (size_t i = 0; i < c->npkts; i++) {
        const struct pc_conv_pkt *p = &c->pkts[i];
        cr_assert_geq(p->ts, last, "packet %zu goes back in time", i + 1);
        last = p->ts;
        cr_assert_eq(p->frame, i + 1);
        uint32_t rel = p->seq - c->isn[p->dir];
        if (p->len) {
            cr_assert_leq(p->len, 1448, "packet %zu carries %u bytes, above the MSS", i + 1, p->len);
            cr_assert(!memcmp(p->data, c->sent[p->dir] + rel - 1, p->len), "packet %zu: bytes differ", i + 1);
            if (rel - 1 + p->len > max_end[p->dir]) max_end[p->dir] = rel - 1 + p->len;
        }
        if (p->flags & PC_TCP_ACK) {
            uint32_t ack = p->ack - c->isn[!p->dir];
            cr_assert_leq(ack, c->nsent[!p->dir] + 2, "packet %zu acknowledges unsent bytes", i + 1);
        }
    }
    cr_assert_eq(max_end[1], sizeof big);
    cr_assert_eq(c->ndelivered[0], sizeof big);
    cr_assert(!memcmp(c->delivered[0], big, sizeof big));
    cr_assert_eq(c->ndelivered[1], 18);
    /* the teardown: the client's FIN, the server's FIN, the last ACK */
    cr_assert(c->pkts[c->npkts - 3].flags & PC_TCP_FIN);
    cr_assert(c->pkts[c->npkts - 2].flags & PC_TCP_FIN);
    cr_assert_eq(c->pkts[c->npkts - 1].flags, PC_TCP_ACK);
    pc_conv_free(c);
}

/* Slow start: the first flight is the initial window of 10 segments. */
Test(session, initial_window_and_window_limit)
{
    fill_big();
    struct pc_conv_opts o;
    pc_conv_opts_default(&o);
    o.sport = 40000;
    o.dport = 80;
    o.rtt = 100 * 1000000LL;
    struct pc_conv_step st[] = { { .dir = 0, .data = (const uint8_t *)"x", .len = 1 },
                                 { .dir = 1, .data = big, .len = sizeof big } };
    struct pc_conv *c = run_conv(&o, st, 2);
    /* server data packets before the first ACK of server data comes back */
    size_t flight = 0;
    for (size_t i = 0; i < c->npkts; i++) {
        const struct pc_conv_pkt *p = &c->pkts[i];
        if (p->dir == 1 && p->len) flight++;
        if (p->dir == 0 && flight && p->ack - c->isn[1] > 1) break;
    }
    cr_assert_eq(flight, 2, "the client ACKs every second segment as they arrive (got %zu)", flight);
    pc_conv_free(c);
    /* a small receive window holds the sender: never more in flight */
    o.rcvbuf[0] = o.rcvbuf[1] = 4000;
    o.no_wscale = true;
    c = run_conv(&o, st, 2);
    for (size_t i = 0; i < c->npkts; i++) {
        const struct pc_conv_pkt *p = &c->pkts[i];
        if (p->dir == 0 && !(p->flags & PC_TCP_SYN)) cr_assert_eq(p->win, 4000);
    }
    cr_assert_eq(c->ndelivered[0], sizeof big);
    pc_conv_free(c);
}

Test(session, fault_results)
{
    struct pc_conv_opts o;
    pc_conv_opts_default(&o);
    o.sport = 40000;
    o.dport = 80;
    struct pc_conv_fault f[] = { { .kind = PC_FAULT_DROP, .pkt = { 5 } } };
    o.faults = f;
    o.nfaults = 1;
    fill_big();
    struct pc_conv_step st[] = { { .dir = 0, .data = (const uint8_t *)"hello", .len = 5 },
                                 { .dir = 1, .data = big, .len = 20000 } };
    struct pc_conv *c = run_conv(&o, st, 2);
    cr_assert_eq(c->nfaults, 1);
    cr_assert(c->faults[0].applied);
    cr_assert_geq(c->faults[0].npkts, 1, "the retransmission is named");
    const struct pc_conv_pkt *r = &c->pkts[c->faults[0].pkts[0] - 1];
    cr_assert(r->why & PC_CW_RETRANS);
    cr_assert(r->why & PC_CW_FAST, "enough segments follow for three duplicate ACKs");
    cr_assert_eq(c->ndelivered[0], 20000);
    pc_conv_free(c);
    /* a packet that does not exist, reorder across directions */
    struct pc_err err;
    f[0].pkt[0] = 9999;
    cr_assert_null(pc_conv_run(&o, st, 2, &err));
    cr_assert_eq(err.code, PC_EINVAL);
    cr_assert(strstr(err.msg, "9999"), "%s", err.msg);
    f[0] = (struct pc_conv_fault){ .kind = PC_FAULT_REORDER, .pkt = { 2, 3 } };
    cr_assert_null(pc_conv_run(&o, st, 2, &err));
    cr_assert(strstr(err.msg, "different directions"), "%s", err.msg);
}

Test(session, limits)
{
    struct pc_conv_opts o;
    pc_conv_opts_default(&o);
    o.dport = 80;
    static struct pc_conv_step st[PC_CONV_MAX_STEPS + 1];
    for (size_t i = 0; i < PC_CONV_MAX_STEPS + 1; i++)
        st[i] = (struct pc_conv_step){ .dir = (uint8_t)(i & 1), .data = (const uint8_t *)"a", .len = 1 };
    struct pc_err err;
    cr_assert_null(pc_conv_run(&o, st, PC_CONV_MAX_STEPS + 1, &err));
    cr_assert_eq(err.code, PC_ELIMIT, "%s", err.msg);
    /* an empty TCP write, a bad transport, a tiny MTU */
    st[0].len = 0;
    cr_assert_null(pc_conv_run(&o, st, 1, &err));
    cr_assert_eq(err.code, PC_EINVAL);
    st[0].len = 1;
    o.l4 = 1;
    cr_assert_null(pc_conv_run(&o, st, 1, &err));
    o.l4 = 6;
    o.mtu = 60;
    cr_assert_null(pc_conv_run(&o, st, 1, &err));
    cr_assert_eq(err.code, PC_EINVAL);
}

/* The UDP exchange: the client asks again after the timeout. */
Test(session, udp_retry)
{
    struct pc_conv_opts o;
    pc_conv_opts_default(&o);
    o.l4 = 17;
    o.sport = 5000;
    o.dport = 53;
    struct pc_conv_fault f = { .kind = PC_FAULT_DROP, .pkt = { 2 } };
    o.faults = &f;
    o.nfaults = 1;
    struct pc_conv_step st[] = { { .dir = 0, .data = (const uint8_t *)"q", .len = 1 },
                                 { .dir = 1, .data = (const uint8_t *)"answer", .len = 6 } };
    struct pc_conv *c = run_conv(&o, st, 2);
    /* q (its answer lost), q again after 1 s, answer */
    cr_assert_eq(c->npkts, 3);
    cr_assert_eq(c->pkts[1].dir, 0);
    cr_assert(c->pkts[1].why & PC_CW_RETRANS);
    cr_assert_geq(c->pkts[1].ts - c->pkts[0].ts, 1000000000);
    cr_assert_eq(c->ndelivered[0], 6);
    pc_conv_free(c);
}

/* Every case of tests/conv-cases.tsv, with the sanitized CLI: tshark's
 * expert analysis and follow,tcp|udp,raw, and pktcraft flows, against
 * the truth file. */
Test(session, tshark_and_truth_agree)
{
    char log[128];
    snprintf(log, sizeof log, "%s/conv-check.log", dir);
    int st = th_sh("cd '%s' && /usr/bin/python3 scripts/conv-check --pktcraft '%s' --keep '%s/cc' tests/conv-cases.tsv > '%s' 2>&1",
                   th_root(), th_cli(), dir, log);
    char *out = th_slurp_text(log);
    cr_assert(out, "no conv-check output");
    cr_assert_eq(st, 0, "conv-check failed:\n%s", out);
    const char *sum = strstr(out, "conv-check: ");
    cr_assert(sum, "%s", out);
    unsigned n = 0, bad = 1;
    cr_assert_eq(sscanf(sum, "conv-check: %u cases, %u failed", &n, &bad), 2, "%s", sum);
    cr_assert_geq(n, 40, "%s", sum);
    cr_assert_eq(bad, 0);
    cr_log_info("%.*s", (int)strcspn(sum, "\n"), sum);
    free(out);
}

static const char *ARGS = "session --src 10.1.1.1 --dst 10.1.1.2 --dport 7000 --send 'hello\\n' "
                          "--recv @golden/payload-3000.bin --send 'bye\\n' --fault drop:5 --fault reorder:9,10 "
                          "--start 1700000000 --seed 5 --truth";

/* Same arguments, same bytes: the capture and the truth file. */
Test(session, deterministic)
{
    for (int i = 0; i < 2; i++)
        cr_assert_eq(th_sh("cd '%s' && '%s' %s -o '%s/d%d.pcap'", th_root(), th_cli(), ARGS, dir, i), 0);
    cr_assert_eq(th_sh("cmp -s '%s/d0.pcap' '%s/d1.pcap'", dir, dir), 0, "captures differ");
    /* the truth names its capture: compare with that name taken out */
    cr_assert_eq(th_sh("cd '%s' && sed 's/d[01].pcap//' d0.pcap.truth.json > a && sed 's/d[01].pcap//' d1.pcap.truth.json > b && cmp -s a b",
                       dir), 0, "truth files differ");
}

/* libpcap reads the capture back, with as many packets as the truth says. */
Test(session, libpcap_reads_it)
{
    cr_assert_eq(th_sh("cd '%s' && '%s' %s -o '%s/l.pcap'", th_root(), th_cli(), ARGS, dir), 0);
    char path[128], errbuf[PCAP_ERRBUF_SIZE];
    snprintf(path, sizeof path, "%s/l.pcap", dir);
    pcap_t *p = pcap_open_offline(path, errbuf);
    cr_assert(p, "%s", errbuf);
    struct pcap_pkthdr *h;
    const u_char *d;
    int n = 0;
    while (pcap_next_ex(p, &h, &d) == 1) n++;
    pcap_close(p);
    snprintf(path, sizeof path, "%s/l.pcap.truth.json", dir);
    char *truth = th_slurp_text(path);
    cr_assert(truth);
    char want[32];
    snprintf(want, sizeof want, "\"packets\":%d,", n);
    cr_assert(strstr(truth, want), "libpcap reads %d packets; truth: %.200s", n, truth);
    free(truth);
}

/* Refusals: exit 2 and a message naming what is wrong; nothing written. */
Test(session, refusals)
{
    static const struct { const char *args, *msg; } bad[] = {
        { "--dport 80 --send x --fault drop:99", "packet 99 does not exist" },
        { "--dport 80 --send x --recv y --fault reorder:2,3", "different directions" },
        { "--dport 80 --send x --fault bogus:1", "is not drop" },
        { "--dport 80 --send x --fault drop", "needs a packet number" },
        { "--dport 80 --send x --fault frag:3:12", "multiple of 8" },
        { "--dport 80 --send x -c 3", "--count does not apply" },
        { "--dport 80 --send x --data y", "do not apply" },
        { "--dport 80 --send ''", "needs at least one byte" },
        { "--dport 80", "nothing to say" },
        { "--send x", "--dport is required" },
        { "--dport 80 --send x --close sideways", "--close" },
        { "--dport 80 --send x --set tcp.win=0@99", "no packet 99" },
        { "--dport 80 --send x --fault overlap:1", "at least 2 bytes" },
        { "--dport 80 --udp --send x --fault zerowin:1", "TCP only" },
        { "--dport 80 --send @/nonexistent/file", "/nonexistent/file" },
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char log[128];
        snprintf(log, sizeof log, "%s/r%zu.log", dir, i);
        int st = th_sh("cd '%s' && '%s' session --src 10.0.0.1 --dst 10.0.0.2 %s -o '%s/r.pcap' 2> '%s'", dir, th_cli(),
                       bad[i].args, dir, log);
        char *err = th_slurp_text(log);
        cr_assert(err);
        cr_expect(st == 2 || (st == 1 && strstr(bad[i].args, "nonexistent")), "%s: exit %d", bad[i].args, st);
        cr_expect(strstr(err, bad[i].msg), "%s: message '%s' lacks '%s'", bad[i].args, err, bad[i].msg);
        free(err);
        cr_expect_neq(th_sh("test -e '%s/r.pcap'", dir), 0, "%s left a capture behind", bad[i].args);
    }
}

/* --set/--corrupt @N reach one packet of the conversation only. */
Test(session, set_on_one_packet)
{
    cr_assert_eq(th_sh("cd '%s' && '%s' session --src 10.0.0.1 --dst 10.0.0.2 --dport 7 --send abc --recv abc "
                       "--set tcp.win=0@4 --corrupt tcp.csum@5 --start 1700000000 -o '%s/s.pcap'",
                       th_root(), th_cli(), dir), 0);
    char log[128];
    snprintf(log, sizeof log, "%s/s.txt", dir);
    cr_assert_eq(th_sh("tshark -n -r '%s/s.pcap' -o tcp.check_checksum:TRUE -T fields -e frame.number -e tcp.window_size_value "
                       "-e tcp.checksum.status > '%s' 2>/dev/null", dir, log), 0);
    char *out = th_slurp_text(log);
    cr_assert(out);
    int lines = 0;
    for (char *l = strtok(out, "\n"); l; l = strtok(NULL, "\n"), lines++) {
        int num, win, status;
        cr_assert_eq(sscanf(l, "%d\t%d\t%d", &num, &win, &status), 3, "%s", l);
        cr_expect_eq(win == 0, num == 4, "packet %d: window %d", num, win);
        cr_expect_eq(status == 0, num == 5, "packet %d: checksum status %d (0 is bad)", num, status);
    }
    cr_assert_gt(lines, 6);
    free(out);
}

/* Random scripts, options and faults: the engine always ends, time never
 * goes back, and (without truncation, which only cuts the capture) every
 * byte each side wrote is delivered, in order, exactly once. */
Test(session, random_conversations_deliver_everything)
{
    fill_big();
    struct pc_rng r;
    pc_rng_seed(&r, 77);
    int ran = 0, refused = 0;
    for (int iter = 0; iter < 500; iter++) {
        struct pc_conv_opts o;
        pc_conv_opts_default(&o);
        o.l4 = pc_rng_below(&r, 4) ? 6 : 17;
        o.sport = 40000;
        o.dport = 80;
        o.seed = pc_rng_next(&r);
        o.rtt = (int64_t)pc_rng_below(&r, 50) * 1000000;
        o.delack = pc_rng_below(&r, 2);
        o.no_ts = pc_rng_below(&r, 3) == 0;
        o.no_sack = pc_rng_below(&r, 3) == 0;
        o.no_wscale = pc_rng_below(&r, 3) == 0;
        o.close = (int)pc_rng_below(&r, 6);
        if (pc_rng_below(&r, 3) == 0) o.rcvbuf[0] = o.rcvbuf[1] = 2000 + (uint32_t)pc_rng_below(&r, 20000);
        if (pc_rng_below(&r, 3) == 0) o.mss[0] = o.mss[1] = 200 + (uint32_t)pc_rng_below(&r, 1200);
        struct pc_conv_step st[6];
        size_t n = 1 + pc_rng_below(&r, 6);
        for (size_t i = 0; i < n; i++) {
            size_t len = 1 + pc_rng_below(&r, i % 2 ? 30000 : 3000);
            size_t off = pc_rng_below(&r, sizeof big - len);
            st[i] = (struct pc_conv_step){ .dir = (uint8_t)(i % 2), .data = big + off, .len = len };
        }
        struct pc_conv_fault f[4];
        size_t nf = pc_rng_below(&r, 5);
        for (size_t i = 0; i < nf; i++) {
            static const uint8_t kinds[] = { PC_FAULT_DROP, PC_FAULT_DUP, PC_FAULT_REORDER, PC_FAULT_DELAY,
                                             PC_FAULT_CORRUPT, PC_FAULT_OVERLAP, PC_FAULT_FRAG, PC_FAULT_ZEROWIN };
            f[i] = (struct pc_conv_fault){ .kind = kinds[pc_rng_below(&r, sizeof kinds)],
                                           .pkt = { 1 + (uint32_t)pc_rng_below(&r, 20), 0 } };
            f[i].pkt[1] = f[i].pkt[0] + 1 + (uint32_t)pc_rng_below(&r, 3);
            if (f[i].kind == PC_FAULT_FRAG) f[i].arg = 8 * (1 + (int64_t)pc_rng_below(&r, 40));
        }
        o.faults = f;
        o.nfaults = nf;
        struct pc_err err;
        struct pc_conv *c = pc_conv_run(&o, st, n, &err);
        if (!c) {
            cr_assert_eq(err.code, PC_EINVAL, "iteration %d: %s", iter, err.msg);
            refused++;
            continue;
        }
        ran++;
        for (size_t i = 1; i < c->npkts; i++)
            cr_assert_geq(c->pkts[i].ts, c->pkts[i - 1].ts, "iteration %d: packet %zu goes back", iter, i + 1);
        for (int d = 0; d < 2; d++) {
            bool cut = o.l4 == 6 && (o.close == PC_CLOSE_RST || o.close == PC_CLOSE_SERVER_RST);
            if (cut) continue; /* an abort may come before the last bytes */
            /* a lost datagram nobody waits for (the last one) is gone for good */
            bool lossy = false;
            for (size_t k = 0; k < nf; k++) lossy |= f[k].kind == PC_FAULT_DROP || f[k].kind == PC_FAULT_CORRUPT;
            if (o.l4 == 17 && lossy) continue;
            cr_assert_eq(c->ndelivered[!d], c->nsent[d],
                         "iteration %d: side %d delivered %llu of %llu (l4 %d, %zu steps, close %d, faults %zu: %d@%u %d@%u)",
                         iter, !d, (unsigned long long)c->ndelivered[!d], (unsigned long long)c->nsent[d], o.l4, n,
                         o.close, nf, nf ? f[0].kind : 0, nf ? f[0].pkt[0] : 0, nf > 1 ? f[1].kind : 0,
                         nf > 1 ? f[1].pkt[0] : 0);
            /* an overlap that arrives before the segment it overlaps (held
             * back by another fault) wins: the receiver keeps its bytes */
            bool overlap = false;
            for (size_t k = 0; k < nf; k++) overlap |= f[k].kind == PC_FAULT_OVERLAP;
            if (o.l4 == 6 && !overlap)
                cr_assert(!memcmp(c->delivered[!d], c->sent[d], c->nsent[d]), "iteration %d: bytes differ", iter);
        }
        pc_conv_free(c);
    }
    cr_assert_gt(ran, 250, "ran %d, refused %d", ran, refused);
    cr_log_info("random conversations: %d ran, %d refused (fault on a packet that does not fit)", ran, refused);
}

/* fuzz_conv: the conversation engine (pktcraft/traffic/conv.h) under
 * options, scripts and faults the fuzzer chooses.  The input is
 *     [cfg] [rtt ms] [window] [mss] [nfaults]
 *     nfaults x [kind] [packet] [second packet - first] [arg]
 *     then steps, each [dir and length high bits] [length low byte]
 * cfg bit 0 picks UDP, bits 1-3 the close mode, bit 4 delayed ACKs,
 * bits 5-7 leave out timestamps, SACK and window scaling.  A window or
 * MSS byte of 0 keeps the default.  Step data is a pattern of its offset.
 *
 * Checked: the run ends (a sender that gives up is an error, named);
 * a refusal is PC_EINVAL or PC_ELIMIT with a message; time never goes back
 * and frames are numbered in order; every payload byte can be read; without
 * faults that lose data or an abort, each side delivers every byte the
 * other wrote, and over TCP without an overlap they are the same bytes;
 * nothing leaks. */
#include <string.h>

#include "fuzz.h"
#include "pktcraft/traffic/conv.h"

#define CONV_FZ_STEPS 8
#define CONV_FZ_MAXLEN 6000

static uint8_t conv_fz_data[CONV_FZ_MAXLEN];

static bool conv_fz_lossy(const struct pc_conv_opts *o)
{
    for (size_t i = 0; i < o->nfaults; i++) {
        int k = o->faults[i].kind;
        if (k == PC_FAULT_OVERLAP || (o->l4 == 17 && (k == PC_FAULT_DROP || k == PC_FAULT_CORRUPT))) return true;
    }
    return o->l4 == 6 && (o->close == PC_CLOSE_RST || o->close == PC_CLOSE_SERVER_RST);
}

static void conv_fz_check(const struct pc_conv_opts *o, const struct pc_conv *c)
{
    uint32_t frame = 1;
    for (size_t i = 0; i < c->npkts; i++) {
        const struct pc_conv_pkt *p = &c->pkts[i];
        FZ_CHECK(!i || p->ts >= c->pkts[i - 1].ts, "packet %zu goes back in time", i + 1);
        FZ_CHECK(p->frame == frame, "packet %zu is frame %u, expected %u", i + 1, p->frame, frame);
        FZ_CHECK(p->nframes >= 1, "packet %zu: no frames", i + 1);
        frame += p->nframes;
        if (p->len) fz_touch(p->data, p->len);
    }
    if (conv_fz_lossy(o)) return;
    for (int d = 0; d < 2; d++) {
        FZ_CHECK(c->ndelivered[!d] == c->nsent[d], "side %d delivered %llu of %llu", !d,
                 (unsigned long long)c->ndelivered[!d], (unsigned long long)c->nsent[d]);
        if (o->l4 == 6 && c->nsent[d])
            FZ_CHECK(!memcmp(c->delivered[!d], c->sent[d], c->nsent[d]), "side %d: delivered bytes differ", !d);
    }
}

static int FUZZ_NAME(conv)(const uint8_t *data, size_t size)
{
    if (size < 5) return 0;
    for (size_t i = 0; i < sizeof conv_fz_data; i++) conv_fz_data[i] = (uint8_t)(i * 31 + (i >> 8));
    struct pc_conv_opts o;
    pc_conv_opts_default(&o);
    uint8_t cfg = data[0];
    o.l4 = (cfg & 1) ? 17 : 6;
    o.close = (cfg >> 1 & 7) % 6;
    o.delack = (cfg >> 4 & 1) != 0;
    o.no_ts = (cfg >> 5 & 1) != 0;
    o.no_sack = (cfg >> 6 & 1) != 0;
    o.no_wscale = (cfg >> 7 & 1) != 0;
    o.rtt = (int64_t)data[1] * 1000000;
    if (data[2]) o.rcvbuf[0] = o.rcvbuf[1] = 1000 + 64u * data[2];
    if (data[3]) o.mss[0] = o.mss[1] = 64 + 5u * data[3];
    o.sport = 40000;
    o.dport = 80;
    size_t nf = data[4] % 9, pos = 5;
    struct pc_conv_fault f[8];
    if (nf > 8) nf = 8;
    size_t k = 0;
    for (; k < nf && pos + 4 <= size; k++, pos += 4) {
        f[k] = (struct pc_conv_fault){ .kind = (uint8_t)(1 + data[pos] % (PC_FAULT__COUNT - 1)),
                                       .pkt = { 1u + data[pos + 1] % 64, 0 } };
        f[k].pkt[1] = f[k].pkt[0] + 1 + data[pos + 2] % 4;
        if (f[k].kind == PC_FAULT_FRAG) f[k].arg = 8 * (int64_t)(data[pos + 3] % 32);
        else if (f[k].kind == PC_FAULT_DELAY || f[k].kind == PC_FAULT_ZEROWIN) f[k].arg = (int64_t)data[pos + 3] * 1000000;
        else if (f[k].kind == PC_FAULT_TRUNCATE) f[k].arg = data[pos + 3];
        else if (f[k].kind == PC_FAULT_CORRUPT) f[k].arg = data[pos + 3] & 1;
        if (f[k].kind == PC_FAULT_MIDSTREAM && (data[pos + 3] & 1)) f[k].pkt[0] = 0;
    }
    o.faults = f;
    o.nfaults = k;
    struct pc_conv_step st[CONV_FZ_STEPS];
    size_t n = 0;
    for (; n < CONV_FZ_STEPS && pos + 2 <= size; n++, pos += 2) {
        size_t len = ((size_t)(data[pos] & 0x7F) << 8 | data[pos + 1]) % CONV_FZ_MAXLEN;
        if (o.l4 == 6 && !len) len = 1;
        st[n] = (struct pc_conv_step){ .dir = (uint8_t)(data[pos] >> 7), .data = conv_fz_data, .len = len };
    }
    struct pc_err err;
    struct pc_conv *c = pc_conv_run(&o, st, n, &err);
    if (!c) {
        FZ_CHECK(err.code == PC_EINVAL || err.code == PC_ELIMIT, "pc_conv_run: code %d (%s)", err.code, err.msg);
        FZ_CHECK(err.msg[0], "a refusal without a message");
        return 0;
    }
    conv_fz_check(&o, c);
    pc_conv_free(c);
    return 0;
}

FUZZ_ENTRY(conv)

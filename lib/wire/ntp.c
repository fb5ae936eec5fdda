/* NTP (RFC 5905): encode the header, read it back with what follows
 * (extension fields, MAC), and the timestamp formats. */
#include <stdio.h>
#include <string.h>

#include "pktcraft/wire/ntp.h"

#define NTP_ERA (INT64_C(1) << 32)

int pc_ntp_encode(const struct pc_ntp *s, uint8_t *out, size_t cap)
{
    if (!s || s->leap > 3 || s->version > 7 || s->mode > 7) return PC_EINVAL;
    if (!out || cap < PC_NTP_HLEN) return PC_ENOSPC;
    out[PC_NTP_OFF_FLAGS] = (uint8_t)(s->leap << 6 | s->version << 3 | s->mode);
    out[PC_NTP_OFF_STRATUM] = s->stratum;
    out[PC_NTP_OFF_POLL] = (uint8_t)s->poll;
    out[PC_NTP_OFF_PRECISION] = (uint8_t)s->precision;
    pc_put32(out + PC_NTP_OFF_ROOTDELAY, s->root_delay);
    pc_put32(out + PC_NTP_OFF_ROOTDISP, s->root_disp);
    memcpy(out + PC_NTP_OFF_REFID, s->refid, 4);
    const uint64_t ts[4] = { s->ref, s->org, s->rec, s->xmt };
    for (int i = 0; i < 4; i++) {
        pc_put32(out + PC_NTP_OFF_REF + 8 * i, (uint32_t)(ts[i] >> 32));
        pc_put32(out + PC_NTP_OFF_REF + 8 * i + 4, (uint32_t)ts[i]);
    }
    return PC_NTP_HLEN;
}

static uint64_t get64(const uint8_t *p) { return (uint64_t)pc_get32(p) << 32 | pc_get32(p + 4); }

static void read_header(struct pc_ntp *h, const uint8_t *p)
{
    h->leap = p[PC_NTP_OFF_FLAGS] >> 6;
    h->version = p[PC_NTP_OFF_FLAGS] >> 3 & 7;
    h->mode = p[PC_NTP_OFF_FLAGS] & 7;
    h->stratum = p[PC_NTP_OFF_STRATUM];
    h->poll = (int8_t)p[PC_NTP_OFF_POLL];
    h->precision = (int8_t)p[PC_NTP_OFF_PRECISION];
    h->root_delay = pc_get32(p + PC_NTP_OFF_ROOTDELAY);
    h->root_disp = pc_get32(p + PC_NTP_OFF_ROOTDISP);
    memcpy(h->refid, p + PC_NTP_OFF_REFID, 4);
    h->ref = get64(p + PC_NTP_OFF_REF);
    h->org = get64(p + PC_NTP_OFF_ORG);
    h->rec = get64(p + PC_NTP_OFF_REC);
    h->xmt = get64(p + PC_NTP_OFF_XMT);
}

static int fail(const char **why, int code, const char *text)
{
    if (why) *why = text;
    return code;
}

/* After the header: extension fields, then perhaps a MAC.  RFC 7822 7.5
 * makes the split unambiguous: what is left is a MAC when it is 20 or 24
 * bytes (key id and MD5 or SHA-1 digest) or 4 (a crypto-NAK), since a last
 * extension field without a MAC must be 28 bytes or more. */
static int read_tail(struct pc_ntp_info *m, const uint8_t *p, size_t left, const char **why)
{
    while (left) {
        if (left == 4 || left == 20 || left == 24) {
            m->mac_len = (uint32_t)left;
            m->keyid = pc_get32(p);
            return 0;
        }
        if (left < 16) return fail(why, PC_EMALFORMED, "ntp: trailing bytes are neither an extension field nor a MAC");
        uint16_t elen = pc_get16(p + 2);
        if (elen < 16 || elen % 4)
            return fail(why, PC_EMALFORMED, "ntp: extension field length is under 16 or not a multiple of 4");
        if (elen > left) return fail(why, PC_EMALFORMED, "ntp: extension field runs past the end of the message");
        m->next++;
        m->ext_len += elen;
        p += elen;
        left -= elen;
    }
    return 0;
}

int pc_ntp_parse(const uint8_t *msg, size_t len, struct pc_ntp_info *m, const char **why)
{
    memset(m, 0, sizeof *m);
    if (why) *why = NULL;
    if (!msg || len < 1) return fail(why, PC_ETRUNC, "ntp: empty message");
    uint8_t mode = msg[0] & 7;
    if (mode == PC_NTP_MODE_CONTROL || mode == PC_NTP_MODE_PRIVATE) {
        m->h.leap = msg[0] >> 6;
        m->h.version = msg[0] >> 3 & 7;
        m->h.mode = mode;
        return fail(why, PC_EUNSUPP, "ntp: a mode 6 or 7 control message, not a time packet");
    }
    if (len < PC_NTP_HLEN) return fail(why, PC_ETRUNC, "ntp: message shorter than the 48-byte header");
    read_header(&m->h, msg);
    return read_tail(m, msg + PC_NTP_HLEN, len - PC_NTP_HLEN, why);
}

uint64_t pc_ntp_from_ns(pc_time_ns t)
{
    int64_t sec = t / PC_NS_PER_SEC, ns = t % PC_NS_PER_SEC;
    if (ns < 0) { sec--; ns += PC_NS_PER_SEC; }
    /* Two's complement wrap to the 2^32-second era. */
    uint32_t s = (uint32_t)((uint64_t)sec + (uint64_t)PC_NTP_UNIX_OFFSET);
    uint64_t frac = (((uint64_t)ns << 32) + (uint64_t)PC_NS_PER_SEC - 1) / (uint64_t)PC_NS_PER_SEC;
    return (uint64_t)s << 32 | frac;
}

pc_time_ns pc_ntp_to_ns(uint64_t ts)
{
    int64_t s = (int64_t)(ts >> 32);
    if (!(s & INT64_C(0x80000000))) s += NTP_ERA; /* era 1: after 2036-02-07 */
    uint64_t ns = ((ts & 0xFFFFFFFFu) * (uint64_t)PC_NS_PER_SEC) >> 32;
    return (s - PC_NTP_UNIX_OFFSET) * PC_NS_PER_SEC + (int64_t)ns;
}

uint32_t pc_ntp_short_from_ns(int64_t ns)
{
    if (ns <= 0) return 0;
    if (ns >= INT64_C(65536) * PC_NS_PER_SEC) return 0xFFFFFFFFu;
    uint64_t v = ((uint64_t)ns * 65536u + (uint64_t)PC_NS_PER_SEC - 1) / (uint64_t)PC_NS_PER_SEC;
    return v > 0xFFFFFFFFu ? 0xFFFFFFFFu : (uint32_t)v;
}

int64_t pc_ntp_short_to_ns(uint32_t v) { return (int64_t)(((uint64_t)v * (uint64_t)PC_NS_PER_SEC) >> 16); }

void pc_ntp_refid_text(const uint8_t refid[4], uint8_t stratum, char out[16])
{
    if (stratum <= 1) {
        int n = 4;
        while (n > 0 && !refid[n - 1]) n--;
        bool ascii = n > 0;
        for (int i = 0; i < n; i++) ascii = ascii && refid[i] >= 0x20 && refid[i] < 0x7F;
        if (ascii) {
            memcpy(out, refid, (size_t)n);
            out[n] = 0;
            return;
        }
    }
    snprintf(out, 16, "%u.%u.%u.%u", refid[0], refid[1], refid[2], refid[3]);
}

const char *pc_ntp_mode_name(uint8_t mode)
{
    static const char *const names[] = { "reserved", "symmetric active", "symmetric passive", "client",
                                         "server", "broadcast", "control", "private" };
    return names[mode & 7];
}

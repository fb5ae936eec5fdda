/* fuzz_ntp: the NTP parser and time formats (pktcraft/wire/ntp.h).  The
 * input is one NTP message, copied to memory of exactly its length so
 * that ASan sees any read past it.
 *
 * Checked: an error always has a reason; what follows the header adds up
 * to the message (extension fields + MAC); the header encodes back to the
 * very same 48 bytes; each timestamp read as nanoseconds and written
 * again keeps its seconds and loses less than one nanosecond of fraction
 * (and is then stable); the short formats come back exactly; the refid
 * text is terminated. */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "pktcraft/wire/ntp.h"

static void ntp_timestamp(uint64_t ts)
{
    pc_time_ns t = pc_ntp_to_ns(ts);
    uint64_t back = pc_ntp_from_ns(t);
    FZ_CHECK(back >> 32 == ts >> 32, "seconds of %016llx came back as %016llx", (unsigned long long)ts,
             (unsigned long long)back);
    uint32_t f = (uint32_t)ts, g = (uint32_t)back;
    FZ_CHECK(g <= f && f - g < 5, "fraction %08x came back as %08x", f, g);
    FZ_CHECK(pc_ntp_to_ns(back) == t, "a timestamp written from ns does not read back the same ns");
}

static int FUZZ_NAME(ntp)(const uint8_t *data, size_t size)
{
    uint8_t *msg = calloc(size ? size : 1, 1);
    if (!msg) abort();
    if (size) memcpy(msg, data, size);
    struct pc_ntp_info m;
    const char *why = NULL;
    int rc = pc_ntp_parse(msg, size, &m, &why);
    if (rc < 0) {
        FZ_CHECK(why && *why, "error %d without a reason", rc);
        FZ_CHECK(rc == PC_ETRUNC || rc == PC_EUNSUPP || rc == PC_EMALFORMED, "error %d", rc);
        FZ_CHECK(rc != PC_ETRUNC || size < PC_NTP_HLEN, "PC_ETRUNC for %zu bytes", size);
    } else {
        FZ_CHECK(size >= PC_NTP_HLEN && PC_NTP_HLEN + m.ext_len + m.mac_len == size, "tail %u + %u of %zu", m.ext_len,
                 m.mac_len, size);
        FZ_CHECK(m.mac_len == 0 || m.mac_len == 4 || m.mac_len == 20 || m.mac_len == 24, "MAC of %u", m.mac_len);
        FZ_CHECK(m.ext_len >= 16u * m.next, "%u extension fields in %u bytes", m.next, m.ext_len);
        uint8_t out[PC_NTP_HLEN];
        FZ_CHECK(pc_ntp_encode(&m.h, out, sizeof out) == PC_NTP_HLEN, "the header read does not encode");
        FZ_CHECK(!memcmp(out, msg, PC_NTP_HLEN), "the header does not encode back to the same bytes");
        ntp_timestamp(m.h.ref);
        ntp_timestamp(m.h.org);
        ntp_timestamp(m.h.rec);
        ntp_timestamp(m.h.xmt);
        FZ_CHECK(pc_ntp_short_from_ns(pc_ntp_short_to_ns(m.h.root_delay)) == m.h.root_delay, "root delay");
        FZ_CHECK(pc_ntp_short_from_ns(pc_ntp_short_to_ns(m.h.root_disp)) == m.h.root_disp, "root dispersion");
        char t[16];
        pc_ntp_refid_text(m.h.refid, m.h.stratum, t);
        FZ_CHECK(memchr(t, 0, sizeof t) != NULL, "refid text not terminated");
        (void)strlen(pc_ntp_mode_name(m.h.mode));
    }
    free(msg);
    return 0;
}

FUZZ_ENTRY(ntp)

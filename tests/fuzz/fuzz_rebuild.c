/* fuzz_rebuild: decode -> pc_rebuild -> pc_pkt_finalize must give back the
 * input frame byte for byte (lib/core/rebuild.c pins every computed field
 * and carries what it cannot express as raw bytes, so this holds for any
 * bytes, lies and snaplen cuts included).
 *
 * Input: byte 0 picks the link type (fz_links in fuzz.h: Ethernet, the raw
 * IP types, and the capture-only and unknown ones, whose headers rebuild as
 * raw bytes); byte 1 adds that many times 7 bytes to the wire length, so
 * frames the decoder sees as cut by a snaplen are rebuilt too; the rest is
 * the frame. */
#include <string.h>

#include "fuzz.h"

static int FUZZ_NAME(rebuild)(const uint8_t *data, size_t size)
{
    static uint8_t out[PC_PCAP_MAX_CAPLEN];
    if (size < 2 || size - 2 > sizeof out) return 0;
    const uint8_t *frame = data + 2;
    uint32_t caplen = (uint32_t)(size - 2), len = caplen + data[1] * 7u;
    struct pc_decoded d;
    pc_decode(&d, frame, caplen, len, fz_link(data[0]));
    struct pc_pkt pk;
    pc_pkt_init(&pk, out, sizeof out);
    int raw = pc_rebuild(&pk, &d);
    FZ_CHECK(raw >= 0 && raw <= d.n, "pc_rebuild: %d (%s)", raw, raw < 0 ? pc_strerror(raw) : "more than the layers");
    int n = pc_pkt_finalize(&pk);
    FZ_CHECK(n >= 0, "finalize of the rebuilt frame: %s", pc_strerror(n));
    size_t k = 0;
    while (k < caplen && k < (size_t)n && out[k] == frame[k]) k++;
    FZ_CHECK((uint32_t)n == caplen && k == caplen, "rebuilt frame differs at byte %zu (%d bytes for %u, %d raw, %u layers)",
             k, n, caplen, raw, d.n);
    return 0;
}

FUZZ_ENTRY(rebuild)

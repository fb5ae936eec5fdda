/* Run-time resource limits (include/pktcraft/core/limits.h). */
#include <ctype.h>
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pktcraft/core/common.h"
#include "pktcraft/core/limits.h"

#define KiB UINT64_C(1024)
#define MiB (KiB * 1024)
#define GiB (MiB * 1024)

static const struct pc_limit_info table[] = {
    { "pcapng-block", 16 * MiB, 64, 1 * GiB, offsetof(struct pc_limits, ng_block),
      "largest pcapng block read (each is held whole in memory)" },
    { "pcapng-sections", 65536, 1, 1u << 24, offsetof(struct pc_limits, ng_sections),
      "pcapng sections a reader keeps" },
    { "pcapng-interfaces", 65536, 1, 1u << 24, offsetof(struct pc_limits, ng_interfaces),
      "pcapng interfaces a reader keeps" },
    { "pcapng-meta", 1 * MiB, 0, 1 * GiB, offsetof(struct pc_limits, ng_meta),
      "pcapng section and interface strings kept in all (comments, names): more are dropped and counted" },
    { "pcapng-meta-item", 16 * KiB, 0, 65535, offsetof(struct pc_limits, ng_meta_item),
      "one pcapng section or interface string: longer ones are cut and counted" },
    { "flows", 1u << 20, 1, 1u << 28, offsetof(struct pc_limits, flows),
      "TCP/UDP flows tracked at once: the least recently active one is ended early (state \"evicted\")" },
    { "reasm-flow", 4 * MiB, 0, 1 * GiB, offsetof(struct pc_limits, reasm_flow),
      "out-of-order TCP bytes held per flow direction: past it the hole is skipped as a gap" },
    { "reasm-total", 256 * MiB, 0, 16 * GiB, offsetof(struct pc_limits, reasm_total),
      "out-of-order TCP bytes held in all: past it the largest holders skip their holes as gaps" },
    { "defrag-mem", 64 * MiB, 0, 16 * GiB, offsetof(struct pc_limits, defrag_mem),
      "IP fragment bytes held in all: the oldest datagrams are given up (reported); read --defrag holds back "
      "at most as many bytes of output" },
    { "defrag-datagrams", 65536, 1, 1u << 24, offsetof(struct pc_limits, defrag_datagrams),
      "IP datagrams being reassembled at once: the oldest are given up (reported)" },
    { "http-line", 8 * KiB, 64, 1 * MiB, offsetof(struct pc_limits, http_line),
      "one HTTP start or header line: longer is an error and the parser skips the message" },
    { "http-fields", 100, 1, 100000, offsetof(struct pc_limits, http_fields),
      "header or trailer fields of one HTTP message: more is an error" },
    { "http-head", 64 * KiB, 256, 16 * MiB, offsetof(struct pc_limits, http_head),
      "start line and headers of one HTTP message: more is an error" },
    { "http-pipeline", 64, 1, 65536, offsetof(struct pc_limits, http_pipeline),
      "HTTP requests awaiting their response on one connection: older ones are reported unanswered" },
    { "tls-handshake", 256 * KiB, 1024, 16 * MiB, offsetof(struct pc_limits, tls_handshake),
      "one TLS handshake message (held whole to be parsed): larger ones are skipped and reported" },
    { "tls-extensions", 256, 1, 65535, offsetof(struct pc_limits, tls_extensions),
      "extensions of one TLS hello: more is an error" },
    { "dns-pending", 65536, 1, 1u << 24, offsetof(struct pc_limits, dns_pending),
      "DNS queries awaiting their response: the oldest are reported unanswered" },
    { "stats-keys", 65536, 16, 1u << 24, offsetof(struct pc_limits, stats_keys),
      "distinct talkers or ports stats counts exactly; past it the top lists are approximate (said)" },
};

const struct pc_limit_info *pc_limit_info(size_t i)
{
    return i < sizeof table / sizeof table[0] ? &table[i] : NULL;
}

static uint64_t *slot(struct pc_limits *l, const struct pc_limit_info *t)
{
    return (uint64_t *)(void *)((char *)l + t->off);
}

void pc_limits_default(struct pc_limits *l)
{
    memset(l, 0, sizeof *l);
    for (const struct pc_limit_info *t = table; t < table + sizeof table / sizeof table[0]; t++) *slot(l, t) = t->def;
}

/* "123", "64k", "16M", "1G": a count or a size, nothing after the suffix. */
static int parse_size(const char *s, uint64_t *out)
{
    if (!isdigit((unsigned char)*s)) return PC_EINVAL;
    errno = 0;
    char *end;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno) return PC_EINVAL;
    uint64_t mul = 1;
    switch (*end) {
    case 0: break;
    case 'k': case 'K': mul = KiB; end++; break;
    case 'm': case 'M': mul = MiB; end++; break;
    case 'g': case 'G': mul = GiB; end++; break;
    default: return PC_EINVAL;
    }
    if (*end || (mul > 1 && v > UINT64_MAX / mul)) return PC_EINVAL;
    *out = v * mul;
    return 0;
}

int pc_limits_set(struct pc_limits *l, const char *spec, char *why, size_t whylen)
{
    const char *eq = strchr(spec, '=');
    size_t nl = eq ? (size_t)(eq - spec) : strlen(spec);
    for (const struct pc_limit_info *t = table; t < table + sizeof table / sizeof table[0]; t++) {
        if (strlen(t->name) != nl || strncmp(t->name, spec, nl)) continue;
        uint64_t v;
        if (!eq || parse_size(eq + 1, &v) != 0) {
            snprintf(why, whylen, "'%s' is not NAME=VALUE with a number (64k, 16M and 1G are sizes)", spec);
            return PC_EINVAL;
        }
        if (v < t->min || v > t->max) {
            snprintf(why, whylen, "%s=%s is outside %llu..%llu", t->name, eq + 1, (unsigned long long)t->min,
                     (unsigned long long)t->max);
            return PC_EINVAL;
        }
        *slot(l, t) = v;
        return 0;
    }
    size_t k = (size_t)snprintf(why, whylen, "unknown limit '%.*s' (known:", (int)(nl > 64 ? 64 : nl), spec);
    for (const struct pc_limit_info *t = table; t < table + sizeof table / sizeof table[0] && k < whylen; t++)
        k += (size_t)snprintf(why + k, whylen - k, " %s", t->name);
    if (k < whylen) snprintf(why + k, whylen - k, ")");
    return PC_EINVAL;
}

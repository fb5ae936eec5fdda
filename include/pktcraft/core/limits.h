/* Resource limits: what bounds memory and work on untrusted input.
 *
 * Two kinds.  Structural limits follow from the formats and size fixed
 * arrays on hot paths, so they are compile-time constants (change them by
 * rebuilding with -D): PC_MAX_LAYERS (build.h, 16 layers a packet),
 * PC_IPV6_MAXEXT (ipv6.h, 8 extension headers), PC_DNS_MAXLABELS (dns.h,
 * 127 labels plus pointer hops a name), PC_PCAP_MAX_CAPLEN (pcap.h, 256 KiB
 * a packet).  Memory limits are run-time settings in struct pc_limits: a
 * reader or analyser copies them when it is opened, and every command
 * takes `--limit NAME=VALUE` (pc_limits_set) to change them.  Every limit
 * that cuts something says so: an error naming it, or a count of what was
 * dropped. */
#ifndef PKTCRAFT_LIMITS_H
#define PKTCRAFT_LIMITS_H

#include <stddef.h>
#include <stdint.h>

struct pc_limits {
    uint64_t ng_block;      /* largest pcapng block read (held whole in memory) */
    uint64_t ng_sections;   /* pcapng sections a reader keeps */
    uint64_t ng_interfaces; /* pcapng interfaces a reader keeps */
    uint64_t ng_meta;       /* pcapng metadata strings kept in all (comments, names), bytes */
    uint64_t ng_meta_item;  /* one such string, bytes: longer ones are cut */
    /* analysis (lib/analysis) */
    uint64_t flows;         /* flows tracked at once: the least recently active is evicted */
    uint64_t reasm_flow;    /* out-of-order TCP bytes held per flow direction */
    uint64_t reasm_total;   /* out-of-order TCP bytes held in all */
    uint64_t defrag_mem;    /* IP fragment bytes held in all */
    uint64_t defrag_datagrams; /* datagrams being reassembled at once */
    uint64_t http_line;     /* one HTTP start line or header line, bytes */
    uint64_t http_fields;   /* header (or trailer) fields of one HTTP message */
    uint64_t http_head;     /* start line and headers of one HTTP message, bytes */
    uint64_t http_pipeline; /* HTTP requests awaiting their response, per connection */
    uint64_t tls_handshake; /* one TLS handshake message, bytes (held whole to be parsed) */
    uint64_t tls_extensions; /* extensions of one TLS hello */
    uint64_t dns_pending;   /* DNS queries awaiting their response, in all */
    uint64_t stats_keys;    /* distinct talkers or ports counted exactly by stats */
};

/* The defaults (documented in the README's limits table). */
void pc_limits_default(struct pc_limits *l);
/* Set one limit from "NAME=VALUE" (VALUE a count, or a size with k/M/G
 * for 2^10/2^20/2^30).  Returns 0, or PC_EINVAL with the reason in why. */
int pc_limits_set(struct pc_limits *l, const char *spec, char *why, size_t whylen);

/* The table behind both: name, default, the most it may be set to, what
 * it bounds.  pc_limit_info(i) for i from 0 until it returns NULL. */
struct pc_limit_info {
    const char *name;
    uint64_t def, min, max;
    size_t off;       /* offset in struct pc_limits */
    const char *what;
};
const struct pc_limit_info *pc_limit_info(size_t i);

#endif

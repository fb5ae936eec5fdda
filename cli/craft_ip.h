/* The IP-layer options of the crafting commands that have more to them than
 * a field: IPv4 options (--ip-opt), an explicit fragment list (--frag-spec),
 * the rule that ties --dst to an IPv6 routing header, and the one payload
 * source.  State lives in struct craft (its ipx member), reset by
 * craft_init like the rest. */
#ifndef PKTCRAFT_CLI_CRAFT_IP_H
#define PKTCRAFT_CLI_CRAFT_IP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pktcraft/wire/frag.h"
#include "pktcraft/wire/ipv4.h"

#define CRAFT_MAX_FRAGSPEC 1024

struct craft;

struct craft_ipx {
    uint8_t opts[PC_IPV4_MAXOPT]; /* --ip-opt list, concatenated (unpadded) */
    size_t optlen;
    int nopts;                    /* --ip-opt given */
    bool srr;                     /* a loose or strict source route among them */
    struct pc_frag_piece *pieces; /* --frag-spec, in order (malloc'd) */
    const char **piece_args;      /* each one's text, for messages */
    uint8_t **piece_hex;          /* each one's own bytes (malloc'd) or NULL */
    size_t npieces;
    bool frag_order_given;        /* --frag-order seen (it applies to --frag only) */
    const char *payload_opt;      /* the option that gave the payload */
};

/* --ip-opt SPEC: appends one option (see craft_help_common). */
void craft_ip_opt(struct craft *c, const char *arg);
/* --frag-spec OFFSET:LEN[:MF][:hex:BYTES]: appends one fragment. */
void craft_frag_spec(struct craft *c, const char *arg);
/* --data/--data-file/--hex: a second, different source is a usage error. */
void craft_payload_source(struct craft *c, const char *opt);
/* craft_finish_args' part: --dst from an SRH's active segment, the checks
 * of the options above against the IP version and each other. */
void craft_ip_finish_args(struct craft *c, bool need_ip);
/* Emit the finalized frame as the --frag-spec list, each fragment to cb. */
void craft_frag_spec_emit(struct craft *c, const uint8_t *frame, size_t len, uint64_t i, pc_frag_cb cb);
/* Free what the parsers allocated (craft_close). */
void craft_ip_free(struct craft *c);

#endif

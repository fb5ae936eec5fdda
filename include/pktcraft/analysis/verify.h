/* A capture linter: every length and checksum of every layer of every
 * packet, IP datagrams whose fragments never complete, TCP streams with
 * missing bytes.  Each inconsistency comes out as one finding: which
 * packet, layer and field, the value found and the value the bytes around
 * it call for.
 *
 *     struct pc_verifier *v = pc_verifier_new(&opts, on_finding, ctx);
 *     while (pc_reader_next(r, &h, &data) > 0) pc_verifier_packet(v, &h, data, ++n);
 *     pc_verifier_finish(v);   // fragments and streams still pending
 *     pc_verifier_free(v);
 *
 * What the decoder already knows is reused, not recomputed: a checksum is
 * summed once by the decoder, and only a bad one is summed again (with its
 * field left out) for the expected value.  L4 checksums and lengths of
 * fragmented datagrams are checked on the datagram the last fragment
 * completes, as tshark does.  Memory is that of the analyzer (analyzer.h):
 * bounded by the limits, never growing with the number of packets. */
#ifndef PKTCRAFT_VERIFY_H
#define PKTCRAFT_VERIFY_H

#include <stdbool.h>
#include "../core/common.h"

struct pc_pkthdr;
struct pc_decoded;
struct pc_limits;

/* What kind of inconsistency a finding is (the names --allow takes). */
enum pc_vcheck {
    PC_VC_CHECKSUM = 0,  /* "checksum": a checksum field that does not sum */
    PC_VC_ZERO_CSUM,     /* "zero-checksum": UDP checksum 0 over IPv6 (RFC 8200 8.1) */
    PC_VC_LENGTH,        /* "length": a length field the lengths around it contradict */
    PC_VC_TRAILER,       /* "trailer": bytes after the IP datagram that are not minimum-frame padding */
    PC_VC_TRUNCATED,     /* "truncated": fewer bytes captured than the headers say (snaplen) */
    PC_VC_OPTIONS,       /* "options": an IPv4, IPv6, TCP or ND option list or option that is not sane */
    PC_VC_DNS_COUNT,     /* "dns-count": a DNS section count larger than its records */
    PC_VC_MALFORMED,     /* "malformed": anything else the decoder finds wrong (versions, names...) */
    PC_VC_FRAGMENT,      /* "fragment": a datagram whose fragments never complete or conflict */
    PC_VC_TCP_GAP,       /* "tcp-gap": bytes of a TCP stream never captured */
    PC_VC__COUNT
};
/* The name of a check, or NULL; and back (-1 when unknown). */
const char *pc_vcheck_name(int check);
int pc_vcheck_parse(const char *name, size_t len);
/* One line describing a check, for help texts. */
const char *pc_vcheck_help(int check);

struct pc_vfinding {
    uint64_t packet;      /* 1-based packet number; 0 for a stream or datagram (message names the packets) */
    int check;            /* enum pc_vcheck */
    const char *layer;    /* "ipv4", "tcp", "frame", ... (pc_proto_name names) */
    const char *field;    /* "csum", "len", "plen", "doff", "caplen", ... */
    bool has_values;      /* found and expected mean something */
    bool hex;             /* they are checksums: shown as 0x%04x */
    uint64_t found, expected;
    char message[256];    /* a sentence saying what is wrong (no trailing period) */
};
typedef void (*pc_vfinding_cb)(void *ctx, const struct pc_vfinding *f);

/* Every per-packet finding of one decoded frame (no fragments or streams:
 * those need the verifier).  pktno goes into the findings.  from_layer:
 * check layers from this index on (0 for a whole frame). */
void pc_verify_decoded(const struct pc_decoded *d, uint64_t pktno, int from_layer, pc_vfinding_cb cb, void *ctx);

struct pc_verify_opts {
    const struct pc_limits *lim;  /* NULL: the defaults (analyzer limits) */
    int overlap;                  /* enum pc_overlap_policy for fragments and streams */
    bool no_streams;              /* no TCP reassembly: no tcp-gap findings, less memory */
    bool no_defrag;               /* fragments stay fragments: no fragment findings, and
                                     the L4 checksum of a fragmented datagram is not checked */
};

struct pc_verifier;
/* NULL when out of memory. */
struct pc_verifier *pc_verifier_new(const struct pc_verify_opts *o, pc_vfinding_cb cb, void *ctx);
/* One packet, numbered pktno (1-based, increasing; a filter may skip
 * numbers).  0, or PC_ENOMEM. */
int pc_verifier_packet(struct pc_verifier *v, const struct pc_pkthdr *h, const uint8_t *data, uint64_t pktno);
/* The capture ended: streams with holes and datagrams still incomplete
 * are reported. */
void pc_verifier_finish(struct pc_verifier *v);
void pc_verifier_free(struct pc_verifier *v);

#endif

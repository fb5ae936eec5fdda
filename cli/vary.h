/* Values that vary per packet: the sets --src/--dst, --sport/--dport and
 * --smac/--dmac accept, and how a packet number picks one value of each.
 *
 * A set is a single value, a range A-B, a CIDR prefix (every address of it,
 * network and broadcast included, as nmap takes a target prefix), a list
 * of those separated by commas, or random[:CIDR] (a fresh value for every
 * packet).  Values are handled as unsigned integers of up to 128 bits
 * (addresses big-endian), so IPv6 ranges cross byte boundaries like any
 * other number.
 *
 * Pure: parsing returns a message instead of exiting, nothing is
 * allocated, no global state (tests/test_vary.c and the fuzzer use it
 * directly). */
#ifndef PKTCRAFT_CLI_VARY_H
#define PKTCRAFT_CLI_VARY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pktcraft/core/rand.h"

#define VARY_MAX_ITEMS 64
/* Sequential sets whose product is larger need an explicit -c. */
#define VARY_MAX_DEFAULT_COUNT 1000000

struct vary_u128 { uint64_t hi, lo; };

enum vary_kind { VARY_IP, VARY_PORT, VARY_MAC };

struct vary_set {
    uint8_t kind;       /* enum vary_kind */
    uint8_t ver;        /* VARY_IP: 4 or 6 */
    uint8_t width;      /* bytes of one value: 4 or 16, 2, 6 */
    bool random;        /* random[:CIDR]: drawn per packet from item[0] */
    bool unicast4;      /* plain IPv4 random: redraw 127/8 */
    bool mac_random;    /* MAC random: locally administered unicast */
    int n;              /* items; 0: not given */
    struct { struct vary_u128 lo, hi; } item[VARY_MAX_ITEMS];
    struct vary_u128 size; /* values in the set (saturating at 2^128 - 1) */
};

/* Parse arg into s as a set of kind (VARY_IP: IPv4 or IPv6, one version
 * throughout).  0, or PC_EINVAL with a message naming opt in err. */
int vary_parse(struct vary_set *s, int kind, const char *opt, const char *arg, char *err, size_t errcap);
/* A plain IPv4 'random' made IPv6 (2001:db8::/32), when the other address
 * of the packet turns out IPv6: false if s is not a plain random. */
bool vary_random_to_v6(struct vary_set *s);
/* More than one value, or random. */
bool vary_varies(const struct vary_set *s);
/* The number of values, saturating at UINT64_MAX; 1 for a random set. */
uint64_t vary_count(const struct vary_set *s);
/* Value number index (0-based, below the set's size) as width bytes. */
void vary_at(const struct vary_set *s, struct vary_u128 index, uint8_t *out);
/* A value drawn uniformly from the set (random: from its prefix). */
void vary_draw(const struct vary_set *s, struct pc_rng *r, uint8_t *out);

/* The fields of a crafting command that can vary, from the slowest to
 * the fastest of the sequential odometer: dport changes at every packet,
 * then sport, dst, src, dmac, smac. */
enum { VF_SMAC, VF_DMAC, VF_SRC, VF_DST, VF_SPORT, VF_DPORT, VF_N };
enum { VARY_SEQUENTIAL, VARY_RANDOM };

struct vary {
    struct vary_set f[VF_N];
    int step;                 /* VARY_SEQUENTIAL or VARY_RANDOM */
    struct pc_rng rng;        /* for random sets and --step random */
    uint8_t cur[VF_N][16];    /* the values of the packet vary_pick chose */
};

/* The product of the sizes of the varying non-random fields (1 when none
 * varies), saturating at UINT64_MAX. */
uint64_t vary_product(const struct vary *v);
/* Any field varies. */
bool vary_active(const struct vary *v);
/* The values of packet i (0-based) into v->cur: sequential walks the
 * odometer (wrapping), random draws each varying field from its set. */
void vary_pick(struct vary *v, uint64_t i);

#endif

/* Rebuilding a decoded frame with the builder: decode -> push -> finalize
 * gives back exactly the same bytes.
 *
 * Every layer the builder knows is pushed with its spec read from the
 * frame and EVERY computed field pinned to the value on the wire (lengths,
 * header lengths, next-protocol fields, checksums, whether right or
 * wrong), option areas kept as raw bytes, so that finalize writes the
 * frame's own bytes back.  Covered: Ethernet, VLAN tags, ARP, IPv4 (with
 * options), IPv6 and its Hop-by-Hop, Destination Options, Routing and
 * Fragment headers, TCP (options raw), UDP, ICMP and ICMPv6 (the 8-byte
 * header; the rest of the message, quoted datagram or ND options, as
 * payload), GRE, VXLAN and payload.
 *
 * What the builder cannot write is carried as raw bytes in a payload
 * layer, which is still exact:
 *   - layers the builder has no push for (SLL, SLL2, NULL/LOOP headers,
 *     DNS messages): their own bytes, and the walk goes on after them;
 *   - a header whose bytes the builder cannot express (a version nibble
 *     of 0, GRE routing or reserved bits, VXLAN reserved bytes, ARP that is
 *     not the 28-byte Ethernet/IPv4 layout, a header cut by the capture):
 *     everything from its offset to the end of the capture;
 *   - bytes no layer claims (Ethernet padding and trailers, the rest of a
 *     datagram past a UDP length) at their place.
 * Only the captured bytes are rebuilt (caplen, not len): a snaplen-cut
 * frame comes back cut the same way, its length fields still saying the
 * wire lengths.  When the decoder used all PC_MAX_LAYERS layers the last
 * ones are carried raw, since the builder has the same cap. */
#ifndef PKTCRAFT_REBUILD_H
#define PKTCRAFT_REBUILD_H

#include "build.h"
#include "decode.h"

/* Push onto pk (freshly initialised by pc_pkt_init with room for
 * d->caplen bytes) the layers that reproduce d's frame; pc_pkt_finalize
 * then returns d->caplen and pk->buf holds d->buf's bytes.  Returns the
 * number of d's header layers that were carried as raw bytes instead of
 * being rebuilt by their protocol's push (0: every header was rebuilt; a
 * payload layer does not count), or a negative PC_E* code (PC_ENOSPC when
 * pk is too small). */
int pc_rebuild(struct pc_pkt *pk, const struct pc_decoded *d);

#endif

/* What the pcap/pcapng reader (lib/capture/pcap.c) calls in the pcapng
 * codec beyond its public API.  Internal to the capture module. */
#ifndef PKTCRAFT_PCAPNG_INT_H
#define PKTCRAFT_PCAPNG_INT_H

#include "pktcraft/capture/pcapng.h"

/* pc_ng_block for a caller that has just had n accepted by
 * pc_ng_block_len() on these bytes and holds all n of them: the same
 * result without checking the block header a second time (the reader pays
 * that check once per packet instead of twice). */
int pc_ng_block_whole(struct pc_ng *ng, const uint8_t *p, size_t n, uint64_t offset, bool defer_cb,
                      struct pc_pkthdr *h, const uint8_t **data, struct pc_err *err);

#endif

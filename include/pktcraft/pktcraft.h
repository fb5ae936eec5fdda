/* pktcraft: craft packets, write capture files, read and decode them. */
#ifndef PKTCRAFT_H
#define PKTCRAFT_H

#include "core/common.h"
#include "core/limits.h"
#include "core/checksum.h"
#include "wire/eth.h"
#include "wire/ipv4.h"
#include "wire/tcp.h"
#include "wire/udp.h"
#include "wire/icmp.h"
#include "core/build.h"
#include "core/decode.h"
#include "capture/pcap.h"
#include "core/rand.h"
#include "wire/vlan.h"
#include "wire/arp.h"
#include "wire/link.h"
#include "wire/ipv6.h"
#include "wire/icmp6.h"
#include "wire/dns.h"
#include "wire/frag.h"
#include "wire/tunnel.h"
#include "core/fmt.h"
#include "core/rebuild.h"
#include "core/hash.h"
#include "analysis/defrag.h"
#include "analysis/stream.h"
#include "analysis/flow.h"
#include "analysis/analyzer.h"
#include "analysis/stats.h"

#endif

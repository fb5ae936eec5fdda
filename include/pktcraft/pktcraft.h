/* pktcraft: craft packets, write capture files, read and decode them. */
#ifndef PKTCRAFT_H
#define PKTCRAFT_H

#include "common.h"
#include "checksum.h"
#include "eth.h"
#include "ipv4.h"
#include "tcp.h"
#include "udp.h"
#include "icmp.h"
#include "build.h"
#include "decode.h"
#include "pcap.h"
#include "rand.h"
#include "vlan.h"
#include "arp.h"
#include "link.h"
#include "ipv6.h"
#include "icmp6.h"
#include "dns.h"
#include "frag.h"
#include "tunnel.h"
#include "fmt.h"

#endif

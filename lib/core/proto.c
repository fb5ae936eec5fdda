/* The protocol registry: names, the numbers an enclosing header uses for
 * each protocol, and each builder's fill function. */
#include "../internal.h"

const struct pc_proto_info pc_protos[PC_P__COUNT] = {
    [PC_P_NONE] = { "none", -1, -1, NULL, NULL },
    /* Ethernet as a payload exists only inside GRE (transparent bridging). */
    [PC_P_ETH] = { "eth", 0x6558, -1, pc_eth_fill, NULL },
    [PC_P_IPV4] = { "ipv4", PC_ETHERTYPE_IPV4, 4, pc_ipv4_fill, NULL },
    [PC_P_TCP] = { "tcp", -1, PC_IPPROTO_TCP, pc_tcp_fill, NULL },
    [PC_P_UDP] = { "udp", -1, PC_IPPROTO_UDP, pc_udp_fill, NULL },
    [PC_P_ICMP] = { "icmp", -1, PC_IPPROTO_ICMP, pc_icmp_fill, NULL },
    [PC_P_PAYLOAD] = { "payload", -1, -1, NULL, NULL },
    [PC_P_VLAN] = { "vlan", PC_ETHERTYPE_VLAN, -1, pc_vlan_fill, pc_vlan_ethertype },
    [PC_P_ARP] = { "arp", PC_ETHERTYPE_ARP, -1, pc_arp_fill, NULL },
    [PC_P_IPV6] = { "ipv6", PC_ETHERTYPE_IPV6, 41, pc_ipv6_fill, NULL },
    [PC_P_IP6_HOP] = { "ipv6-hop", -1, 0, pc_ip6ext_fill, NULL },
    [PC_P_IP6_ROUTING] = { "ipv6-routing", -1, 43, pc_ip6ext_fill, NULL },
    [PC_P_IP6_FRAG] = { "ipv6-frag", -1, 44, pc_ip6ext_fill, NULL },
    [PC_P_IP6_DEST] = { "ipv6-dest", -1, 60, pc_ip6ext_fill, NULL },
    [PC_P_ICMP6] = { "icmp6", -1, 58, pc_icmp6_fill, NULL },
    [PC_P_DNS] = { "dns", -1, -1, pc_dns_fill, NULL },
    [PC_P_GRE] = { "gre", -1, 47, pc_gre_fill, NULL },
    [PC_P_VXLAN] = { "vxlan", -1, -1, pc_vxlan_fill, NULL },
    [PC_P_SLL] = { "sll", -1, -1, NULL, NULL },
    [PC_P_SLL2] = { "sll2", -1, -1, NULL, NULL },
    [PC_P_NULL] = { "null", -1, -1, NULL, NULL },
};

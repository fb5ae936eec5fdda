/* decode_packet: the seed's decode_packet() for every packet of a capture.
 * One JSON line per IP packet (others are skipped, as the seed returns
 * None for them): time, addresses, IP length, transport protocol, ports,
 * TCP flags, payload length, ICMP type and code.  Unlike the seed it reads
 * any format (pcap, pcapng, gzip) and link type, IPv6 extension headers,
 * VLANs and tunnels, and never reads past a truncated packet.
 *
 *     decode_packet FILE
 */
#include <stdio.h>

#include <pktcraft/pktcraft.h>

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: decode_packet FILE\n");
        return 2;
    }
    struct pc_err err;
    struct pc_reader *r = pc_reader_open(argv[1], &err);
    if (!r) {
        fprintf(stderr, "decode_packet: %s\n", err.msg);
        return 1;
    }
    static char buf[1 << 16];
    int fd = 1;
    struct pc_fmt o;
    pc_fmt_init_sink(&o, buf, sizeof buf, true, pc_fmt_fd_sink, &fd);

    struct pc_pkthdr h;
    const uint8_t *data;
    struct pc_decoded d;
    struct pc_summary s;
    int rc;
    while ((rc = pc_reader_next(r, &h, &data)) > 0) {
        pc_decode(&d, data, h.caplen, h.len, h.linktype);
        pc_decode_summary(&d, &s);
        if (s.ip < 0) continue;
        char src[46], dst[46], flags[10];
        pc_summary_addr(&s, 0, src);
        pc_summary_addr(&s, 1, dst);
        pc_fmt_kobj_open(&o, NULL);
        pc_fmt_kuint(&o, "n", pc_reader_count(r));
        pc_fmt_kts(&o, "timestamp", h.ts);
        pc_fmt_kstr(&o, "src_ip", src);
        pc_fmt_kstr(&o, "dst_ip", dst);
        pc_fmt_kuint(&o, "ip_len", s.ip_len);
        if (s.ip_proto >= 0) pc_fmt_kuint(&o, "ip_proto", (uint64_t)s.ip_proto);
        else pc_fmt_knull(&o, "ip_proto");
        bool ports = s.l4_proto == PC_P_TCP || s.l4_proto == PC_P_UDP;
        if (s.l4 >= 0) pc_fmt_kstr(&o, "protocol", pc_proto_name(s.l4_proto));
        else pc_fmt_knull(&o, "protocol");
        if (ports) {
            pc_fmt_kuint(&o, "src_port", s.sport);
            pc_fmt_kuint(&o, "dst_port", s.dport);
            pc_fmt_kuint(&o, "payload_len", s.payload_len);
        }
        if (s.l4_proto == PC_P_TCP) {
            pc_tcp_flagstr(s.tcp_flags, flags);
            pc_fmt_kstr(&o, "tcp_flags", flags);
        }
        if (s.l4_proto == PC_P_ICMP || s.l4_proto == PC_P_ICMP6) {
            pc_fmt_kuint(&o, "icmp_type", s.icmp_type);
            pc_fmt_kuint(&o, "icmp_code", s.icmp_code);
        }
        pc_fmt_kobj_close(&o);
        pc_fmt_newline(&o);
    }
    pc_fmt_flush(&o);
    if (rc < 0) fprintf(stderr, "decode_packet: %s\n", pc_reader_err(r)->msg);
    pc_reader_close(r);
    return rc < 0 || o.err ? 1 : 0;
}

"""The Python rows of scripts/bench: the dpkt seed's loops and a scapy loop.

    /usr/bin/python3 scripts/bench-py.py LOOP FILE

LOOP is one of dpkt-parse (the seed's decode_packet over every packet),
dpkt-stats (traffic_stats), dpkt-http (extract_http), dpkt-dns (extract_dns)
or scapy (PcapReader, every packet's layers down to the ports).  The loops
are the seed's (/work/shared/seed, "Python dpkt Packet Parsing"), kept as
written there; each prints a one-line count on standard error so that a
reader can see it did the work."""
import socket
import sys
from collections import Counter, defaultdict
from datetime import datetime, timezone


def dpkt_parse(path):
    import dpkt

    def decode_packet(ts, buf):
        eth = dpkt.ethernet.Ethernet(buf)
        if not isinstance(eth.data, (dpkt.ip.IP, dpkt.ip6.IP6)):
            return None
        ip = eth.data
        is_v6 = isinstance(ip, dpkt.ip6.IP6)
        result = {
            "timestamp": datetime.fromtimestamp(ts, tz=timezone.utc),
            "src_ip": socket.inet_ntop(socket.AF_INET6 if is_v6 else socket.AF_INET, ip.src),
            "dst_ip": socket.inet_ntop(socket.AF_INET6 if is_v6 else socket.AF_INET, ip.dst),
            "ip_len": ip.len if not is_v6 else ip.plen,
            "protocol": None,
            "src_port": None,
            "dst_port": None,
        }
        transport = ip.data
        if isinstance(transport, dpkt.tcp.TCP):
            result["protocol"] = "TCP"
            result["src_port"] = transport.sport
            result["dst_port"] = transport.dport
            result["tcp_flags"] = transport.flags
            result["payload_len"] = len(transport.data)
        elif isinstance(transport, dpkt.udp.UDP):
            result["protocol"] = "UDP"
            result["src_port"] = transport.sport
            result["dst_port"] = transport.dport
            result["payload_len"] = len(transport.data)
        elif isinstance(transport, dpkt.icmp.ICMP):
            result["protocol"] = "ICMP"
            result["icmp_type"] = transport.type
            result["icmp_code"] = transport.code
        return result

    n = 0
    with open(path, "rb") as f:
        for ts, buf in dpkt.pcap.Reader(f):
            if decode_packet(ts, buf):
                n += 1
    return "%d IP packets decoded" % n


def dpkt_stats(path):
    import dpkt

    stats = {
        "total_packets": 0,
        "total_bytes": 0,
        "protocols": Counter(),
        "top_talkers": Counter(),
        "port_distribution": Counter(),
        "packets_per_second": defaultdict(int),
    }
    with open(path, "rb") as f:
        for ts, buf in dpkt.pcap.Reader(f):
            stats["total_packets"] += 1
            stats["total_bytes"] += len(buf)
            second = int(ts)
            stats["packets_per_second"][second] += 1
            eth = dpkt.ethernet.Ethernet(buf)
            if not isinstance(eth.data, dpkt.ip.IP):
                continue
            ip = eth.data
            src = socket.inet_ntoa(ip.src)
            dst = socket.inet_ntoa(ip.dst)
            stats["top_talkers"][(src, dst)] += len(buf)
            if isinstance(ip.data, dpkt.tcp.TCP):
                stats["protocols"]["TCP"] += 1
                stats["port_distribution"][ip.data.dport] += 1
            elif isinstance(ip.data, dpkt.udp.UDP):
                stats["protocols"]["UDP"] += 1
                stats["port_distribution"][ip.data.dport] += 1
            elif isinstance(ip.data, dpkt.icmp.ICMP):
                stats["protocols"]["ICMP"] += 1
    return "%d packets, %s" % (stats["total_packets"], dict(stats["protocols"]))


def dpkt_http(path):
    import dpkt

    results = []
    with open(path, "rb") as f:
        for ts, buf in dpkt.pcap.Reader(f):
            eth = dpkt.ethernet.Ethernet(buf)
            if not isinstance(eth.data, dpkt.ip.IP):
                continue
            ip = eth.data
            if not isinstance(ip.data, dpkt.tcp.TCP):
                continue
            tcp = ip.data
            if len(tcp.data) == 0:
                continue
            try:
                http = dpkt.http.Request(tcp.data)
                results.append({
                    "type": "request",
                    "method": http.method,
                    "uri": http.uri,
                    "host": http.headers.get("host", ""),
                    "user_agent": http.headers.get("user-agent", ""),
                    "src": socket.inet_ntoa(ip.src),
                })
            except (dpkt.dpkt.NeedData, dpkt.dpkt.UnpackError):
                pass
            try:
                http = dpkt.http.Response(tcp.data)
                results.append({
                    "type": "response",
                    "status": http.status,
                    "reason": http.reason,
                    "content_type": http.headers.get("content-type", ""),
                    "content_length": http.headers.get("content-length", ""),
                })
            except (dpkt.dpkt.NeedData, dpkt.dpkt.UnpackError):
                pass
    return "%d HTTP messages" % len(results)


def dpkt_dns(path):
    import dpkt

    results = []
    with open(path, "rb") as f:
        for ts, buf in dpkt.pcap.Reader(f):
            eth = dpkt.ethernet.Ethernet(buf)
            if not isinstance(eth.data, dpkt.ip.IP):
                continue
            ip = eth.data
            if not isinstance(ip.data, dpkt.udp.UDP):
                continue
            udp = ip.data
            if udp.sport != 53 and udp.dport != 53:
                continue
            try:
                dns = dpkt.dns.DNS(udp.data)
            except dpkt.dpkt.UnpackError:
                continue
            entry = {
                "timestamp": ts,
                "src": socket.inet_ntoa(ip.src),
                "dst": socket.inet_ntoa(ip.dst),
                "id": dns.id,
                "is_response": bool(dns.qr),
                "queries": [],
                "answers": [],
            }
            for q in dns.qd:
                entry["queries"].append({"name": q.name, "type": q.type})
            for a in dns.an:
                answer = {"name": a.name, "type": a.type, "ttl": a.ttl}
                if a.type == dpkt.dns.DNS_A:
                    answer["ip"] = socket.inet_ntoa(a.rdata)
                elif a.type == dpkt.dns.DNS_AAAA:
                    answer["ip"] = socket.inet_ntop(socket.AF_INET6, a.rdata)
                elif a.type == dpkt.dns.DNS_CNAME:
                    answer["cname"] = a.cname
                entry["answers"].append(answer)
            results.append(entry)
    return "%d DNS messages" % len(results)


def scapy_loop(path):
    from scapy.all import IP, TCP, UDP, IPv6, PcapReader

    n = ports = 0
    with PcapReader(path) as reader:
        for pkt in reader:
            n += 1
            if pkt.haslayer(IP) or pkt.haslayer(IPv6):
                l4 = pkt.getlayer(TCP) or pkt.getlayer(UDP)
                if l4 is not None:
                    ports += l4.sport + l4.dport
    return "%d packets, port sum %d" % (n, ports)


LOOPS = {"dpkt-parse": dpkt_parse, "dpkt-stats": dpkt_stats, "dpkt-http": dpkt_http,
         "dpkt-dns": dpkt_dns, "scapy": scapy_loop}

if __name__ == "__main__":
    if len(sys.argv) != 3 or sys.argv[1] not in LOOPS:
        sys.exit("usage: bench-py.py %s FILE" % "|".join(LOOPS))
    print(sys.argv[1] + ": " + LOOPS[sys.argv[1]](sys.argv[2]), file=sys.stderr)

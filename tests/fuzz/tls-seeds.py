#!/usr/bin/env python3
"""Seeds for fuzz_tls (see tests/fuzz/fuzz_tls.c for the input format):
the TCP conversations of the corpus captures its MANIFEST.tsv tags with
tls-clienthello, sni or alpn, each as the bytes of both directions in
capture order (tshark gives the payloads, so every link type and pcapng
work), cut into chunks at the packet boundaries; and a few conversations
made here (TLS 1.2 with certificates and alerts, TLS 1.3 with a
HelloRetryRequest, records split byte by byte, a gap).

    tests/fuzz/tls-seeds.py OUTDIR [CORPUS_DIR]
"""
import os
import subprocess
import sys

MAX_STREAMS = 40       # conversations a capture gives at most
MAX_BYTES = 12000      # of one conversation (the handshake is at the start)


def chunks(dir_, data, cut=126):
    """fuzz_tls chunks: control byte ((len - 1) << 1 | dir), then the bytes."""
    out = bytearray()
    for i in range(0, len(data), cut):
        piece = data[i:i + cut]
        out += bytes([((len(piece) - 1) << 1) | dir_]) + piece
    return out


def tls_files(corpus):
    path = os.path.join(corpus, "MANIFEST.tsv")
    if not os.path.exists(path):
        return []
    files = []
    with open(path) as f:
        for line in f:
            cols = line.rstrip("\n").split("\t")
            if len(cols) < 9 or cols[0] == "file":
                continue
            tags = set(cols[8].replace(";", ",").replace(":", ",").split(","))
            if tags & {"tls-clienthello", "sni", "alpn"}:
                files.append(os.path.join(corpus, cols[0]))
    return files


def conversations(path):
    """{stream: [(srcport, payload)]} in capture order."""
    cmd = ["tshark", "-n", "-r", path, "-Y", "tcp.len > 0", "-T", "fields", "-e", "tcp.stream", "-e",
           "tcp.srcport", "-e", "tcp.payload"]
    res = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, check=False)
    streams = {}
    for line in res.stdout.decode().splitlines():
        cols = line.split("\t")
        if len(cols) != 3 or not cols[2]:
            continue
        streams.setdefault(int(cols[0]), []).append((cols[1], bytes.fromhex(cols[2].replace(":", ""))))
    return streams


def from_capture(out, path):
    base = os.path.basename(path).replace(".", "_")
    for n, (stream, segs) in enumerate(sorted(conversations(path).items())):
        if n >= MAX_STREAMS:
            break
        # the client is the side whose first bytes are a ClientHello, else the first talker
        client = segs[0][0]
        for port, data in segs:
            if len(data) > 5 and data[0] == 0x16 and data[5] == 1:
                client = port
                break
        # each direction from its first TLS record on (STARTTLS talks plain text first)
        started = set()
        for port, data in segs:
            if len(data) > 2 and 20 <= data[0] <= 23 and data[1] == 3:
                started.add(port)
        if client not in started:
            continue
        blob = bytearray([0])
        total = 0
        tls_from = set()
        for port, data in segs:
            if port not in tls_from:
                if port not in started or not (20 <= data[0] <= 23 and len(data) > 2 and data[1] == 3):
                    continue
                tls_from.add(port)
            if total >= MAX_BYTES:
                break
            data = data[:MAX_BYTES - total]
            total += len(data)
            blob += chunks(0 if port == client else 1, data)
        with open(os.path.join(out, "%s-s%d" % (base, stream)), "wb") as f:
            f.write(blob)


# --------------------------------------------------------------- synthetic

def u8(v):
    return bytes([v])


def u16(v):
    return v.to_bytes(2, "big")


def u24(v):
    return v.to_bytes(3, "big")


def vec(n, b):
    return n and len(b).to_bytes(n, "big") + b


def ext(t, b):
    return u16(t) + u16(len(b)) + b


def record(t, b, ver=0x0303):
    return u8(t) + u16(ver) + u16(len(b)) + b


def msg(t, b):
    return u8(t) + u24(len(b)) + b


HRR_RANDOM = bytes.fromhex("cf21ad74e59a6111be1d8c021e65b891c2a211167abb8c5e079e09e2c8a8339c")


def client_hello():
    exts = (ext(0x1a1a, b"") + ext(0, vec(2, u8(0) + vec(2, b"example.com"))) + ext(10, vec(2, u16(0x2a2a) +
            u16(29) + u16(23))) + ext(11, vec(1, b"\x00")) + ext(13, vec(2, u16(0x0403) + u16(0x0804))) +
            ext(16, vec(2, vec(1, b"h2") + vec(1, b"http/1.1"))) + ext(43, vec(1, u16(0x3a3a) + u16(0x0304) +
            u16(0x0303))) + ext(45, vec(1, b"\x01")) + ext(51, vec(2, u16(29) + vec(2, b"\x44" * 32))) +
            ext(21, b"\x00" * 20))
    body = u16(0x0303) + bytes(range(32)) + vec(1, b"\x5a" * 32) + vec(2, u16(0x0a0a) + u16(0x1301) +
           u16(0xc02f)) + vec(1, b"\x00") + vec(2, exts)
    return msg(1, body)


def server_hello(hrr=False, tls13=True):
    exts = ext(51, u16(29) if hrr else u16(29) + vec(2, b"\x33" * 32)) + ext(43, u16(0x0304)) if tls13 else \
        ext(0xff01, b"\x00") + ext(11, vec(1, b"\x00")) + ext(16, vec(2, vec(1, b"h2")))
    body = u16(0x0303) + (HRR_RANDOM if hrr else bytes(32)) + vec(1, b"\x5a" * 32) + \
        u16(0x1302 if tls13 else 0xc02f) + b"\x00" + vec(2, exts)
    return msg(2, body)


def certificate(sizes):
    return msg(11, vec(3, b"".join(vec(3, bytes([i]) * s) for i, s in enumerate(sizes))))


def conv(steps, cfg=0):
    blob = bytearray([cfg])
    for d, data in steps:
        blob += chunks(d, data)
    return blob


def synthetic(out):
    ch = client_hello()
    tls12 = [
        (0, record(22, ch, 0x0301)),
        (1, record(22, server_hello(tls13=False) + certificate([700, 300]) + msg(14, b""))),
        (1, record(21, b"\x01\x00")),
        (0, record(22, msg(16, vec(1, b"\x04" * 8))) + record(20, b"\x01") + record(22, bytes(16))),
        (1, record(20, b"\x01") + record(22, bytes(16)) + record(23, bytes(30)) + record(21, bytes(26))),
    ]
    tls13 = [
        (0, record(22, ch, 0x0301)),
        (1, record(22, server_hello(hrr=True))),
        (0, record(20, b"\x01") + record(22, ch)),
        (1, record(22, server_hello()) + record(20, b"\x01") + record(23, bytes(40))),
        (0, record(23, bytes(20)) + record(21, b"\x02\x28")),
    ]
    frag = bytearray()
    for b in ch:  # one record a byte
        frag += record(22, bytes([b]), 0x0301)
    seeds = {
        "synth-tls12": conv(tls12),
        "synth-tls12-small-limits": conv(tls12, 1),
        "synth-tls13-hrr": conv(tls13),
        "synth-fragmented": conv([(0, bytes(frag))]),
        "synth-bytewise": bytes([0]) + chunks(0, record(22, ch), 1),
        "synth-gap": bytes([0]) + chunks(0, record(23, bytes(40))[:20]) + bytes([0xfe, 9]) +
        chunks(0, record(23, bytes(40))[30:] + record(21, b"\x02\x28")),
        "synth-end": bytes([0]) + chunks(0, record(22, ch)[:60]) + bytes([0xfc]) + chunks(1, record(22, ch)),
        "synth-sslv2": bytes([0]) + chunks(0, bytes.fromhex("802e010301001500000010000039000038")),
    }
    for name, blob in seeds.items():
        with open(os.path.join(out, name), "wb") as f:
            f.write(blob)


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    synthetic(out)
    if len(sys.argv) > 2:
        for path in tls_files(sys.argv[2]):
            from_capture(out, path)


if __name__ == "__main__":
    main()

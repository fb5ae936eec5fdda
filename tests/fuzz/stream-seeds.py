#!/usr/bin/env python3
"""Seeds for fuzz_stream and fuzz_analyzer.

    tests/fuzz/stream-seeds.py stream OUTDIR
        crafted conversations in fuzz_stream's format (tests/fuzz/fuzz_stream.c):
        handshakes, in order and shuffled, retransmissions, overlaps with the
        same and with other bytes, holes acknowledged past, FIN and RST,
        mid-stream starts, ISNs just below 2^32, under each configuration
    tests/fuzz/stream-seeds.py analyzer OUTDIR CAPTURE...
        every pcap given (either precision, either byte order; others are
        skipped) as one input in fuzz_analyzer's format, under three
        configurations, cut to its first 400 packets
"""
import os
import random
import struct
import sys

# fz_links in tests/fuzz/fuzz.h
LINKS = [1, 101, 12, 14, 228, 229, 0, 108, 113, 276, 147, 0xFFFF]

SYN, FIN, RST, ACK, SEQ256, ACK256, RAW = 2, 4, 8, 16, 32, 64, 128


def seg(d, flags, seq, ack, n, raw=None):
    """One fuzz_stream segment: seq/ack are offsets from ISN + 1."""
    ctl = d | flags | (RAW if raw is not None else 0)
    out = bytes([ctl]) + struct.pack(">hhB", seq, ack, n)
    return out + (raw[:n] if raw is not None else b"")


def conversation(rng, sizes, mss, shuffle, dup, lose, raw_overlap, rst, mid):
    segs = []
    if not mid:
        segs.append(seg(0, SYN, -1, 0, 0))
        segs.append(seg(1, SYN | ACK, -1, 0, 0))
        segs.append(seg(0, ACK, 0, 0, 0))
    data = []
    for d, total in enumerate(sizes):
        off = 0
        while off < total:
            n = min(mss, total - off)
            data.append(seg(d, ACK, off, 0, n))
            off += n
    if lose and len(data) > 3:
        del data[1]
    if dup:
        data += [data[i] for i in rng.sample(range(len(data)), min(dup, len(data)))]
    if raw_overlap:
        data.append(seg(0, ACK, 5, 0, 10, bytes(rng.randrange(256) for _ in range(10))))
    if shuffle:
        rng.shuffle(data)
    segs += data
    # acknowledgments after the data: holes become gaps
    segs.append(seg(1, ACK, 0, min(sizes[0], 32767), 0))
    segs.append(seg(0, ACK, min(sizes[0], 32767), min(sizes[1], 32767), 0))
    if rst:
        segs.append(seg(1, RST, min(sizes[1], 32767), 0, 0))
    else:
        segs.append(seg(0, FIN | ACK, sizes[0], sizes[1], 0))
        segs.append(seg(1, FIN | ACK, sizes[1], sizes[0] + 1, 0))
    return b"".join(segs)


def stream_seeds(out):
    rng = random.Random(8)
    isns = [(1000, 5000000), (0xFFFFFF00, 0xFFFFFFF0), (0x7FFFFFF0, 0), (0xFFFFFFFF, 0x80000000)]
    k = 0
    for cfg in (0, 1, 2, 6, 9, 15):
        for isn0, isn1 in isns:
            for variant in range(4):
                conv = conversation(rng, (rng.randrange(1, 700), rng.randrange(0, 900)), rng.choice((7, 100, 255)),
                                    shuffle=variant & 1, dup=3 * (variant & 2), lose=variant == 3,
                                    raw_overlap=variant == 2, rst=variant == 1, mid=(variant == 3 and cfg & 1))
                blob = bytes([cfg]) + struct.pack(">II", isn0, isn1) + conv
                k += 1
                with open(os.path.join(out, "conv-%02x-%08x-%d" % (cfg, isn0, variant)), "wb") as f:
                    f.write(blob)
    # far apart segments (scaled sequence numbers) across the wrap
    blob = bytes([0]) + struct.pack(">II", 0xFFFF0000, 7)
    blob += seg(0, SEQ256 | ACK, 0, 0, 20) + seg(0, SEQ256 | ACK, 1, 0, 20) + seg(1, ACK256 | ACK, 0, 2, 0)
    with open(os.path.join(out, "far-apart"), "wb") as f:
        f.write(blob)
    return k + 1


def pcap_packets(path, limit):
    with open(path, "rb") as f:
        data = f.read()
    if len(data) < 24:
        return None
    magic = data[:4]
    if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1"):
        end = "<"
    elif magic in (b"\xa1\xb2\xc3\xd4", b"\xa1\xb2\x3c\x4d"):
        end = ">"
    else:
        return None
    nano = magic in (b"\x4d\x3c\xb2\xa1", b"\xa1\xb2\x3c\x4d")
    link = struct.unpack(end + "I", data[20:24])[0] & 0xFFFF
    off, pkts = 24, []
    while off + 16 <= len(data) and len(pkts) < limit:
        sec, frac, incl = struct.unpack(end + "III", data[off:off + 12])
        t = sec * 10 + (frac // (100000000 if nano else 100000))
        pkts.append((t, link, data[off + 16:off + 16 + min(incl, 65535)]))
        off += 16 + incl
    return pkts


def analyzer_seeds(out, paths):
    k = 0
    for path in paths:
        pkts = pcap_packets(path, 400)
        if not pkts:
            continue
        for cfg in (0, 5, 12):
            blob = bytearray([cfg])
            prev = pkts[0][0]
            for t, link, frame in pkts:
                step = max(-128, min(127, t - prev))  # tenths of a second
                prev = t
                idx = LINKS.index(link) if link in LINKS else 10
                blob += bytes([idx, step & 0xFF]) + struct.pack(">H", len(frame)) + frame
            name = os.path.basename(os.path.dirname(path)) + "_" + os.path.basename(path).replace(".", "_")
            with open(os.path.join(out, "%s-cfg%d" % (name, cfg)), "wb") as f:
                f.write(blob)
            k += 1
    return k


def main():
    mode, out = sys.argv[1], sys.argv[2]
    os.makedirs(out, exist_ok=True)
    n = stream_seeds(out) if mode == "stream" else analyzer_seeds(out, sys.argv[3:])
    print("stream-seeds: %s: %d seeds into %s" % (mode, n, out))


if __name__ == "__main__":
    main()

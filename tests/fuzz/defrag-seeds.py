#!/usr/bin/env python3
"""Seeds for fuzz_defrag: every capture given becomes one input, its
packets as [link type index][length, 2 bytes][bytes] after a
configuration byte (see tests/fuzz/fuzz_defrag.c).

    tests/fuzz/defrag-seeds.py OUTDIR CAPTURE...   (pcap only, either precision)
"""
import os
import struct
import sys

# fz_links in tests/fuzz/fuzz.h
LINKS = [1, 101, 12, 14, 228, 229, 0, 108, 113, 276, 147, 0xFFFF]


def packets(path):
    with open(path, "rb") as f:
        data = f.read()
    magic = struct.unpack("<I", data[:4])[0]
    end = "<" if magic in (0xA1B2C3D4, 0xA1B23C4D) else ">"
    link = struct.unpack(end + "I", data[20:24])[0] & 0xFFFF
    off = 24
    while off + 16 <= len(data):
        incl = struct.unpack(end + "I", data[off + 8:off + 12])[0]
        yield link, data[off + 16:off + 16 + incl]
        off += 16 + incl


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    for path in sys.argv[2:]:
        for cfg in (0, 1, 2):
            blob = bytearray([cfg])
            for link, frame in packets(path):
                idx = LINKS.index(link) if link in LINKS else 10
                blob += bytes([idx]) + struct.pack(">H", len(frame)) + frame
            name = os.path.basename(path).replace(".", "_") + "-cfg%d" % cfg
            with open(os.path.join(out, name), "wb") as f:
                f.write(blob)


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Seeds for the packet targets from the frames the criterion tests spell
out as hex string literals (tests/test_*.c), adjacent literals joined as
the C compiler joins them.  A frame that starts like an IPv4 or IPv6
header (0x45..0x4F, 0x6X) is taken as raw IP, anything else as Ethernet.

    hexseeds.py MODE OUTDIR FILE...     MODE: decode (2-byte prefix) or rebuild

Run by tests/fuzz/fuzz.mk; the prefixes are the ones fuzz.h documents
(link index 0 is Ethernet, 1 raw IP)."""
import os
import re
import sys

MIN_BYTES = 14  # shorter strings are fields, not frames


def frames(text):
    for m in re.finditer(r'(?:"[0-9a-fA-F]*"\s*)+', text):
        hexs = "".join(re.findall(r'"([0-9a-fA-F]*)"', m.group(0)))
        if len(hexs) % 2 == 0 and len(hexs) >= 2 * MIN_BYTES:
            yield bytes.fromhex(hexs)


def link_index(frame):
    first = frame[0]
    return 1 if (0x45 <= first <= 0x4F or first >> 4 == 6) else 0


def main():
    mode, outdir, files = sys.argv[1], sys.argv[2], sys.argv[3:]
    seen, n = set(), 0
    for path in files:
        with open(path, encoding="utf-8", errors="replace") as f:
            for frame in frames(f.read()):
                if frame in seen:
                    continue
                seen.add(frame)
                with open(os.path.join(outdir, "hex-%d" % n), "wb") as out:
                    out.write(bytes([link_index(frame), 0]) + frame)
                n += 1
    print("hexseeds: %s: %d seeds from %d test files into %s" % (mode, n, len(files), outdir))


if __name__ == "__main__":
    main()

#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""A DSLogic-like session for bench/run's wide-analyzer group: SAMPLES
samples at 100 MS/s, UNITSIZE bytes a sample (8 x UNITSIZE channels:
unitsize 2 is a DSLogic or Logic16's 16 channels), DTR, RTS, EN, IO0, RX
on the first five, the rest idle and low.

Mostly idle, as a reset capture is: one reset in the first chunk (RTS and
EN low 1 ms to 11 ms, then EN high 1 ms later), and every 32nd chunk of
2 Mi samples starts with 1 Mi samples of RX toggling every 50 samples
(20,972 edges): a 10^9-sample file holds about 300,000 edges. Every chunk
of the same content is deflated once and written again as it is (a zip
written by hand, deflate level 6 as libsigrok's srzip output), so 10^9
samples of unitsize 8 (8 GB of samples) take seconds to make.
  usage: sr_wide.py OUT.sr SAMPLES UNITSIZE
"""
import struct
import sys
import zlib

RATE = 100_000_000
CHUNK = 2 << 20  # samples a logic chunk
IDLE = 0x1F      # DTR RTS EN IO0 RX high: lines released, EN and RX idle


def chunk_bytes(n, unit, kind):
    first = bytearray([IDLE]) * n
    if kind == "reset":
        first[100_000:1_100_000] = bytes([IDLE & ~0x06]) * 1_000_000   # RTS asserted, EN low
        first[1_100_000:1_200_000] = bytes([IDLE & ~0x04]) * 100_000   # RTS released, EN still low
    elif kind == "rx":
        period = bytes([IDLE] * 50 + [IDLE & ~0x10] * 50)
        first[0:1 << 20] = (period * ((1 << 20) // 100 + 1))[: 1 << 20]
    if unit == 1:
        return bytes(first)
    out = bytearray(n * unit)
    out[0::unit] = first
    return bytes(out)


class Zip:
    def __init__(self, path):
        self.f = open(path, "wb")
        self.entries = []

    def add(self, name, raw, deflated=None, crc=None):
        if deflated is None:
            c = zlib.compressobj(6, zlib.DEFLATED, -15)
            deflated = c.compress(raw) + c.flush()
            crc = zlib.crc32(raw)
        off = self.f.tell()
        nb = name.encode()
        self.f.write(struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0, 8, 0, 0x21, crc, len(deflated), len(raw),
                                 len(nb), 0) + nb)
        self.f.write(deflated)
        self.entries.append((nb, crc, len(deflated), len(raw), off))
        return deflated, crc

    def add_same(self, name, size, deflated, crc):
        off = self.f.tell()
        nb = name.encode()
        self.f.write(struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0, 8, 0, 0x21, crc, len(deflated), size, len(nb), 0)
                     + nb)
        self.f.write(deflated)
        self.entries.append((nb, crc, len(deflated), size, off))

    def close(self):
        start = self.f.tell()
        for nb, crc, csize, usize, off in self.entries:
            self.f.write(struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, 0, 8, 0, 0x21, crc, csize, usize,
                                     len(nb), 0, 0, 0, 0, 0, off) + nb)
        end = self.f.tell()
        self.f.write(struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(self.entries), len(self.entries), end - start,
                                 start, 0))
        self.f.close()


def main():
    path, samples, unit = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    if unit not in (1, 2, 4, 8) or samples < CHUNK:
        sys.exit("sr_wide.py: UNITSIZE 1, 2, 4 or 8, and at least 2 Mi samples")
    names = ["DTR", "RTS", "EN", "IO0", "RX"] + [f"D{i}" for i in range(5, 8 * unit)]
    meta = ("[global]\nsigrok version=0.5.2\n\n[device 1]\ncapturefile=logic-1\n"
            f"total probes={8 * unit}\nsamplerate={RATE // 1_000_000} MHz\ntotal analog=0\n"
            + "".join(f"probe{i + 1}={n}\n" for i, n in enumerate(names)) + f"unitsize={unit}\n")
    z = Zip(path)
    z.add("version", b"2")
    z.add("metadata", meta.encode())
    made = {}
    done, index = 0, 1
    while done < samples:
        n = min(CHUNK, samples - done)
        kind = "reset" if index == 1 else "rx" if index % 32 == 0 and n == CHUNK else "idle"
        key = (kind, n)
        if key not in made:
            made[key] = z.add(f"logic-1-{index}", chunk_bytes(n, unit, kind))
        else:
            z.add_same(f"logic-1-{index}", n * unit, *made[key])
        done += n
        index += 1
    z.close()


if __name__ == "__main__":
    main()

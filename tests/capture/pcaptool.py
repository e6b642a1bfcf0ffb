#!/usr/bin/env python3
"""pcaptool.py — an independent reader of classic pcap files for the capture tests.

  pcaptool.py count FILE            "<packets> <wire bytes>"
  pcaptool.py same A B              exit 0 when A and B hold the same packets (bytes and
                                    lengths, any order, timestamps ignored)
  pcaptool.py subset A B            exit 0 when every packet of A is also in B
  pcaptool.py whole FILE            exit 0 when FILE ends exactly after its last record

It does not share code with konseki: a second opinion on what was captured.
"""
import collections
import struct
import sys


def records(path):
    with open(path, "rb") as f:
        data = f.read()
    if len(data) < 24:
        raise SystemExit(f"{path}: no pcap header")
    magic = data[:4]
    if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1"):
        end = "<"
    elif magic in (b"\xa1\xb2\xc3\xd4", b"\xa1\xb2\x3c\x4d"):
        end = ">"
    else:
        raise SystemExit(f"{path}: not a classic pcap")
    off = 24
    while off + 16 <= len(data):
        _, _, caplen, wirelen = struct.unpack(end + "IIII", data[off:off + 16])
        if off + 16 + caplen > len(data):
            yield None  # torn record
            return
        yield wirelen, data[off + 16:off + 16 + caplen]
        off += 16 + caplen
    if off != len(data):
        yield None


def bag(path):
    return collections.Counter(r for r in records(path) if r is not None)


def main():
    cmd, args = sys.argv[1], sys.argv[2:]
    if cmd == "count":
        n = b = 0
        for r in records(args[0]):
            if r is not None:
                n += 1
                b += r[0]
        print(n, b)
        return 0
    if cmd == "whole":
        return 1 if any(r is None for r in records(args[0])) else 0
    a, b = bag(args[0]), bag(args[1])
    if cmd == "same":
        missing, extra = a - b, b - a
        if missing or extra:
            print(f"{sum(missing.values())} packets only in {args[0]}, "
                  f"{sum(extra.values())} only in {args[1]}")
            return 1
        return 0
    if cmd == "subset":
        missing = a - b
        if missing:
            print(f"{sum(missing.values())} packets of {args[0]} not in {args[1]}")
            return 1
        return 0
    raise SystemExit(f"unknown command {cmd}")


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""gen_clamdb.py - writes a synthetic, large ClamAV signature database.

The official databases cannot be fetched here (no network), so the scanner's
load time, memory and scan cost with a database of realistic size are
measured on random signatures of the same kinds:

  OUTDIR/bench.hdb   N rows  MD5:SIZE:NAME           (whole-file hashes)
  OUTDIR/bench.ndb   M rows  NAME:TARGET:OFFSET:HEX  (body signatures: 12-40
                             bytes, some with ?? wildcards, {n-m} gaps and
                             * gaps; targets any/PE/HTML/mail/text; offsets
                             mostly *, some fixed or EOF-relative)

The rows are random (the same ones for the same --seed), so nothing real
ever matches them.  For scale: the official main + daily databases of 2025
hold some 3.6 million hash signatures and a few hundred thousand body and
logical signatures.

  python3 tests/bench/gen_clamdb.py /tmp/bigdb                  # 500,000 + 50,000
  python3 tests/bench/gen_clamdb.py /tmp/bigdb --hdb 4000000 --ndb 200000
  tests/unit/test_scan --bench /tmp/bigdb [MB]                  # load, RSS, ms/MB
"""

import argparse
import os
import random
import sys

TARGETS = [0, 0, 0, 1, 1, 3, 4, 7]   # any (most), PE, HTML, mail, ASCII text


def hdb_row(rng, i):
    md5 = "%032x" % rng.getrandbits(128)
    size = rng.randint(512, 8 * 1024 * 1024)
    return "%s:%d:Mugaika.Bench.Hash-%d\n" % (md5, size, i)


def hex_bytes(rng, n):
    return "".join("%02x" % rng.getrandbits(8) for _ in range(n))


def body_pattern(rng):
    """12-40 random bytes; a third of them with one wildcard or gap."""
    head = hex_bytes(rng, rng.randint(6, 20))
    tail = hex_bytes(rng, rng.randint(6, 20))
    kind = rng.random()
    if kind < 0.11:
        return head + "??" + tail
    if kind < 0.22:
        lo = rng.randint(0, 16)
        return head + "{%d-%d}" % (lo, lo + rng.randint(1, 64)) + tail
    if kind < 0.33:
        return head + "*" + tail
    return head + tail


def offset(rng):
    r = rng.random()
    if r < 0.85:
        return "*"
    if r < 0.95:
        return str(rng.randint(0, 4096))
    return "EOF-%d" % rng.randint(64, 4096)


def ndb_row(rng, i):
    return "Mugaika.Bench.Body-%d:%d:%s:%s\n" % (
        i, rng.choice(TARGETS), offset(rng), body_pattern(rng))


def write(path, rows, make, rng):
    with open(path, "w", encoding="ascii") as f:
        for i in range(rows):
            f.write(make(rng, i))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("outdir")
    ap.add_argument("--hdb", type=int, default=500000, help="hash rows (500000)")
    ap.add_argument("--ndb", type=int, default=50000, help="body rows (50000)")
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()

    os.makedirs(args.outdir, exist_ok=True)
    rng = random.Random(args.seed)
    write(os.path.join(args.outdir, "bench.hdb"), args.hdb, hdb_row, rng)
    write(os.path.join(args.outdir, "bench.ndb"), args.ndb, ndb_row, rng)
    print("%s: %d hash and %d body signatures" % (args.outdir, args.hdb, args.ndb))
    return 0


if __name__ == "__main__":
    sys.exit(main())

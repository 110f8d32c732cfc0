#!/usr/bin/env python3
"""Two trailreplay binaries side by side: the same `scan` of the same inputs, interleaved
rounds (A, B, A, B, ...), each into a new database; prints the median wall time, MB/s of the
inputs' bytes as stored and as decoded, and the peak RSS (wait4's ru_maxrss) of each, and B's
throughput as a ratio of A's. Every timed run is preceded by a read of its inputs, so the page
cache is warm for both (perf/scan-benchmark.py says why). With --rules, both scan with those
rules (`cis`, the whole CIS pack), and the database's size is printed too.

usage: perf/scan-ab.py --a OLD/trailreplay --b build/trailreplay [--rounds 6] [--rules R] PATH...
"""
import argparse
import json
import os
import pathlib
import statistics
import subprocess
import tempfile
import time


def warm(paths):
    for p in paths:
        for root, _, files in os.walk(p) if os.path.isdir(p) else [("", [], [p])]:
            for name in files:
                with open(os.path.join(root, name), "rb") as f:
                    while f.read(1 << 24):
                        pass


def run(binary, paths, threads, rules, tmp):
    db = os.path.join(tmp, "ab.db")
    for suffix in ("", "-wal", "-shm"):
        if os.path.exists(db + suffix):
            os.remove(db + suffix)
    warm(paths)
    cmd = [binary, "scan", *paths, "--db", db, "--progress", "never", "--json",
           "--threads", str(threads)] + (["--rules", rules] if rules else [])
    out = tempfile.TemporaryFile()
    started = time.monotonic()
    proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.monotonic() - started
    out.seek(0)
    summary = json.loads(out.read().decode())
    size = sum(os.path.getsize(db + s) for s in ("", "-wal") if os.path.exists(db + s))
    return seconds, usage.ru_maxrss / 1024, summary, size


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--a", required=True)
    parser.add_argument("--b", required=True)
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--threads", type=int, default=os.cpu_count())
    parser.add_argument("--rules", help="the scans' --rules (default: the built-in rules)")
    parser.add_argument("paths", nargs="+")
    args = parser.parse_args()
    results = {"A": [], "B": []}
    with tempfile.TemporaryDirectory(prefix="trailreplay-ab-") as tmp:
        for _ in range(args.rounds):
            for label, binary in (("A", args.a), ("B", args.b)):
                results[label].append(run(binary, args.paths, args.threads, args.rules, tmp))
    rows = {}
    for label in ("A", "B"):
        seconds = statistics.median(r[0] for r in results[label])
        rss = max(r[1] for r in results[label])
        summary = results[label][0][2]
        rows[label] = seconds
        size = results[label][-1][3]
        print("%s: %.2f s median of %d, %.0f MB/s stored, %.0f MB/s decoded, peak RSS %.0f MiB, "
              "%d events, %d duplicates, database %.0f MB (%.2f GB per GB of JSON)" % (
                  label, seconds, args.rounds, summary["bytes_read"] / 1e6 / seconds,
                  summary["bytes_decoded"] / 1e6 / seconds, rss, summary["events"],
                  summary["duplicates"], size / 1e6, size / summary["bytes_decoded"]))
    print("B/A throughput: %.3f" % (rows["A"] / rows["B"]))


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Peak memory of `scan` over big line-based inputs no longer follows their size (issue 20).

A JSON Lines file or a CloudWatch Logs export is read in windows of whole lines (16 MiB), not
whole: before, a scan held the file (plus simdjson's padding, often doubling the buffer), so a
3.6 GB JSON Lines file took 7.0 GB. Generates, in a temporary directory removed afterwards:
JSON Lines files of SMALL_MB and LARGE_MB, a CloudWatch Logs export of LARGE_MB, and both big
ones in one scan (two workers, each on one); scans each into a new database and checks the
exact counts, a peak RSS (wait4's ru_maxrss) of at most 256 MiB, and that doubling the file
adds little: the window is bounded; the per-input result (about 50 bytes a counted event)
still grows with the file, which perf/README.md measures at full size.

usage: scan_memory.py --binary build/trailreplay [--small-mb 160] [--large-mb 320]
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

LIMIT_MIB = 256
# What doubling a file may add: the counted events' per-input records (~50 bytes each).
GROWTH_MIB = 48


def record(i):
    return json.dumps({
        "eventVersion": "1.09",
        "userIdentity": {"type": "IAMUser", "arn": "arn:aws:iam::111122223333:user/u%d" % (i % 97),
                         "accountId": "111122223333"},
        "eventTime": "2024-03-01T%02d:%02d:%02dZ" % (i // 3600 % 24, i // 60 % 60, i % 60),
        "eventSource": "s3.amazonaws.com",
        "eventName": "GetObject",
        "awsRegion": "us-east-1",
        "sourceIPAddress": "198.51.100.%d" % (i % 250),
        "userAgent": "aws-cli/2.15.30",
        "requestParameters": {"bucketName": "b%d" % (i % 13), "key": "k/%d" % i},
        "errorCode": "AccessDenied" if i % 100 == 0 else None,
        "eventID": "00000000-0000-4000-8000-%012d" % i,
        "eventType": "AwsApiCall",
        "recipientAccountId": "111122223333",
    }, separators=(",", ":"))


def write(path, megabytes, export, first):
    """Writes records first.. until the file holds `megabytes`; returns how many."""
    n = 0
    size = 0
    with open(path, "w") as f:
        while size < megabytes * 1000000:
            lines = []
            for i in range(first + n, first + n + 10000):
                line = record(i)
                if export:
                    line = "2024-03-01T00:00:00.000Z " + line
                lines.append(line)
            block = "\n".join(lines) + "\n"
            f.write(block)
            size += len(block)
            n += 10000
    return n


def scan(binary, tmp, paths, db):
    cmd = [binary, "scan", *paths, "--db", db, "--progress", "never", "--threads", "2", "--json"]
    started = time.monotonic()
    out = tempfile.TemporaryFile()
    proc = subprocess.Popen(cmd, cwd=tmp, stdout=out, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    code = os.waitstatus_to_exitcode(status)
    out.seek(0)
    text = out.read().decode()
    return code, json.loads(text) if text else {}, usage.ru_maxrss / 1024, time.monotonic() - started


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--binary", required=True)
    parser.add_argument("--small-mb", type=int, default=160)
    parser.add_argument("--large-mb", type=int, default=320)
    args = parser.parse_args()
    binary = os.path.abspath(args.binary)
    tmp = tempfile.mkdtemp(prefix="trailreplay-memory-")
    failures = []
    try:
        counts = {
            "small.jsonl": write(os.path.join(tmp, "small.jsonl"), args.small_mb, False, 0),
            "large.jsonl": write(os.path.join(tmp, "large.jsonl"), args.large_mb, False, 10**7),
            "export.log": write(os.path.join(tmp, "export.log"), args.large_mb, True, 2 * 10**7),
        }
        peaks = {}
        for name, paths, expected in (
                ("JSON Lines, %d MB" % args.small_mb, ["small.jsonl"], counts["small.jsonl"]),
                ("JSON Lines, %d MB" % args.large_mb, ["large.jsonl"], counts["large.jsonl"]),
                ("CloudWatch Logs export, %d MB" % args.large_mb, ["export.log"],
                 counts["export.log"]),
                ("both at once", ["large.jsonl", "export.log"],
                 counts["large.jsonl"] + counts["export.log"])):
            db = "db-%d.db" % len(peaks)
            code, summary, rss, seconds = scan(binary, tmp, paths, db)
            peaks[name] = rss
            print("%s: peak RSS %.0f MiB, %.1f s, %s events" % (name, rss, seconds,
                                                                summary.get("events")))
            if code != 0 or summary.get("events") != expected or summary.get("records") != expected:
                failures.append("%s: exit %d, %d records expected, summary %s" %
                                (name, code, expected, summary))
            if rss > LIMIT_MIB:
                failures.append("%s: peak RSS %.0f MiB over %d MiB" % (name, rss, LIMIT_MIB))
            os.remove(os.path.join(tmp, db))
        small = peaks["JSON Lines, %d MB" % args.small_mb]
        large = peaks["JSON Lines, %d MB" % args.large_mb]
        if large - small > GROWTH_MIB:
            failures.append("peak RSS grew from %.0f to %.0f MiB with the file" % (small, large))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    for failure in failures:
        print("FAIL:", failure)
    if not failures:
        print("PASS scan_memory")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())

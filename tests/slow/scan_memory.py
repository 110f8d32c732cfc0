#!/usr/bin/env python3
"""Peak memory of `scan` is bounded whatever the input (issue 20).

Every input too big to hold is read a window at a time: JSON Lines files and CloudWatch Logs
exports line by line, `{"Records":[...]}` documents record by record, gzip files and archive
members inflated as they are read; a record over --max-record-mb is one bad record, passed over
without being held; a big input's results go to the writer in parts. Before, a scan held each
input whole: a 3.6 GB JSON Lines file took 7.0 GB, a 26 MB gzip bomb 8.4 GB.

Generates, in a temporary directory removed afterwards, the inputs the issue names (sizes in
MB, defaults the issue's): JSON Lines plain and gzipped, a CloudWatch Logs export, a Records
document, a tar holding that document as one member, a gzip bomb that inflates to 8 GiB of
zeros, a gzip bomb of one huge string between two good records, and two of them at once.
Scans each into a new database with two workers and checks the exact counts and a peak RSS
(wait4's ru_maxrss) of at most 256 MiB; and that a file SMALL_MB and one LARGE_MB big take about
the same memory.

usage: scan_memory.py --binary build/trailreplay [--large-mb 4000] [--medium-mb 2000]
"""
import argparse
import datetime
import json
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
import zlib

LIMIT_MIB = 256
# What a file LARGE_MB big may take over one SMALL_MB big: both hold more eventIDs than the
# duplicate check keeps in memory (store/seen_ids.h), so neither memory grows with them.
GROWTH_MIB = 16
BLOCK = 10000  # records per generated block


def record(i, error):
    return json.dumps({
        "eventVersion": "1.09",
        "userIdentity": {"type": "IAMUser",
                         "arn": "arn:aws:iam::111122223333:user/u%d" % (i % 97),
                         "accountId": "111122223333"},
        "eventTime": "YYYY-MM-DDT%02d:%02d:%02dZ" % (i // 3600 % 24, i // 60 % 60, i % 60),
        "eventSource": "s3.amazonaws.com",
        "eventName": "GetObject",
        "awsRegion": "us-east-1",
        "sourceIPAddress": "198.51.100.%d" % (i % 250),
        "userAgent": "aws-cli/2.15.30",
        "requestParameters": {"bucketName": "b%d" % (i % 13), "key": "k/%d" % i},
        "errorCode": "AccessDenied" if error else None,
        "eventID": "00000000-0000-4000-@@@@@@@@-%08d" % i,
        "eventType": "AwsApiCall",
        "recipientAccountId": "111122223333",
    }, separators=(",", ":"))


# One block of records, as text with "@@@@@@@@" where each copy's block number goes and
# "YYYY-MM-DD" where its day goes: copies differ in their eventIDs and days only, so generating
# gigabytes is two string replaces per block, and a day holds a block's 10,000 events, as a
# busy account's might (the duplicate check holds an hour's eventIDs). One record in a hundred
# is an AccessDenied (a match of the unauthorized-calls filter).
TEMPLATE = [record(i, i % 100 == 0) for i in range(BLOCK)]
MATCHES_PER_BLOCK = BLOCK // 100


class Corpus:
    """Blocks of records, each block's eventIDs its own (block numbers from `first`)."""

    def __init__(self, first, separator, prefix=""):
        joined = separator.join(prefix + r for r in TEMPLATE)
        self.text = joined
        self.first = first
        self.separator = separator

    def blocks(self, megabytes):
        size, b = 0, self.first
        while size < megabytes * 1000000:
            day = datetime.date(2000, 1, 1) + datetime.timedelta(days=b % 36500)
            block = self.text.replace("@@@@@@@@", "%08x" % b).replace(
                "YYYY-MM-DD", day.isoformat())
            size += len(block)
            b += 1
            yield block
        self.count = (b - self.first) * BLOCK


def write_lines(path, megabytes, first, export=False, gzip=False):
    corpus = Corpus(first, "\n", "2024-03-01T00:00:00.000Z " if export else "")
    compressor = zlib.compressobj(1, zlib.DEFLATED, 31) if gzip else None
    with open(path, "wb") as f:
        for block in corpus.blocks(megabytes):
            data = (block + "\n").encode()
            f.write(compressor.compress(data) if compressor else data)
        if compressor:
            f.write(compressor.flush())
    return corpus.count


def write_records(path, megabytes, first):
    corpus = Corpus(first, ",")
    with open(path, "w") as f:
        f.write('{"Records":[')
        for n, block in enumerate(corpus.blocks(megabytes)):
            f.write(("," if n else "") + block)
        f.write("]}")
    return corpus.count


def write_zero_bomb(path, gib):
    chunk = zlib.compress(b"\0" * (16 << 20), 9)
    member = zlib.compressobj(9, zlib.DEFLATED, 31)
    data = member.compress(b"\0" * (16 << 20)) + member.flush()
    del chunk
    with open(path, "wb") as f:
        for _ in range(gib * 64):
            f.write(data)


def write_string_bomb(path, megabytes):
    """A Records document whose middle record holds one string of `megabytes` MB."""
    def gz(text):
        c = zlib.compressobj(9, zlib.DEFLATED, 31)
        return c.compress(text) + c.flush()
    first, last = (TEMPLATE[0].replace("@@@@@@@@", block).replace("YYYY-MM-DD", "2024-03-01")
                   for block in ("b0000001", "b0000002"))
    chunk = gz(b"A" * (16 << 20))
    with open(path, "wb") as f:
        f.write(gz(('{"Records":[' + first + ',{"eventTime":"2024-03-01T00:00:00Z","x":"')
                   .encode()))
        for _ in range(megabytes * 1000000 // (16 << 20)):
            f.write(chunk)
        f.write(gz(('"},' + last + "]}").encode()))
    return 2  # good records, both AccessDenied


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
    parser.add_argument("--small-mb", type=int, default=1000)
    parser.add_argument("--large-mb", type=int, default=4000)
    parser.add_argument("--medium-mb", type=int, default=2000)
    parser.add_argument("--bomb-gib", type=int, default=8)
    parser.add_argument("--string-mb", type=int, default=6000)
    args = parser.parse_args()
    binary = os.path.abspath(args.binary)
    tmp = tempfile.mkdtemp(prefix="trailreplay-memory-")
    failures = []
    try:
        def path(name):
            return os.path.join(tmp, name)
        counts = {
            "small.jsonl": write_lines(path("small.jsonl"), args.small_mb, 0),
            "large.jsonl": write_lines(path("large.jsonl"), args.large_mb, 1 << 20),
            "large.jsonl.gz": write_lines(path("large.jsonl.gz"), args.large_mb, 2 << 20,
                                          gzip=True),
            "export.log": write_lines(path("export.log"), args.medium_mb, 3 << 20, export=True),
            "records.json": write_records(path("records.json"), args.medium_mb, 4 << 20),
        }
        with tarfile.open(path("member.tar"), "w", format=tarfile.GNU_FORMAT) as tar:
            tar.add(path("records.json"), arcname="AWSLogs/records.json")
        counts["member.tar"] = counts["records.json"]
        write_zero_bomb(path("zeros.json.gz"), args.bomb_gib)
        counts["zeros.json.gz"] = 0
        counts["string.json.gz"] = write_string_bomb(path("string.json.gz"), args.string_mb)

        def matches(name):
            return counts[name] // 100 if name != "string.json.gz" else 0

        peaks = {}
        cases = [
            ("JSON Lines, %d MB" % args.small_mb, ["small.jsonl"]),
            ("JSON Lines, %d MB" % args.large_mb, ["large.jsonl"]),
            ("gzipped JSON Lines, %d MB" % args.large_mb, ["large.jsonl.gz"]),
            ("CloudWatch Logs export, %d MB" % args.medium_mb, ["export.log"]),
            ("Records document, %d MB" % args.medium_mb, ["records.json"]),
            ("tar with a %d MB member" % args.medium_mb, ["member.tar"]),
            ("gzip bomb, %d GiB of zeros" % args.bomb_gib, ["zeros.json.gz"]),
            ("gzip bomb, one %d MB string" % args.string_mb, ["string.json.gz"]),
            ("two at once", ["large.jsonl.gz", "records.json"]),
        ]
        for name, paths in cases:
            db = "db-%d.db" % len(peaks)
            code, summary, rss, seconds = scan(binary, tmp, paths, db)
            peaks[name] = rss
            print("%s: peak RSS %.0f MiB, %.1f s, %s events" % (name, rss, seconds,
                                                                summary.get("events")))
            events = sum(counts[p] for p in paths)
            unauthorized = sum(matches(p) for p in paths)
            if "string" in name:
                unauthorized = 2
            got = {f["name"]: f["matches"] for f in summary.get("filters", [])}
            want_code = 3 if "bomb" in name else 0
            if (code != want_code or summary.get("events") != events
                    or got.get("unauthorized_api_calls") != unauthorized
                    or summary.get("duplicates") != 0):
                failures.append("%s: exit %d, %d events and %d matches expected, summary %s"
                                % (name, code, events, unauthorized, summary))
            if "string" in name and summary.get("bad_records") != 1:
                failures.append("%s: the huge string is not one bad record: %s" % (name, summary))
            if rss > LIMIT_MIB:
                failures.append("%s: peak RSS %.0f MiB over %d MiB" % (name, rss, LIMIT_MIB))
            os.remove(path(db))
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

#!/usr/bin/env python3
"""An input refused for a limit is read by a later scan with a higher one (issue 20).

Before, a file over --max-document-mb was recorded in the ledger as done: a rescan with a
higher limit said "already scanned" and never counted it. Checks, through the CLI: refused with
a low limit (exit 3, nothing of it counted, the summary naming the option that raises the
limit), refused again by the same limit, then counted exactly once with a higher one, and
"already scanned" after that.

usage: scan_refused_limit.py --binary build/trailreplay
"""
import argparse
import gzip
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile

HINT = ("refused 1 input over --max-document-mb, not counted: scan again with a higher "
        "--max-document-mb to count them")


def record(i):
    return {
        "eventVersion": "1.09",
        "eventTime": "2024-03-01T10:%02d:00Z" % (i % 60),
        "eventSource": "s3.amazonaws.com",
        "eventName": "GetObject",
        "errorCode": "AccessDenied" if i % 2 else None,
        "awsRegion": "us-east-1",
        "eventID": "00000000-0000-4000-8000-%012d" % i,
        "recipientAccountId": "111122223333",
        "requestParameters": {"padding": "x" * 1000},
    }


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--binary", required=True)
    args = parser.parse_args()
    binary = os.path.abspath(args.binary)
    failures = []
    tmp = tempfile.mkdtemp(prefix="trailreplay-refused-")

    def scan(limit_mb):
        run = subprocess.run([binary, "scan", "in", "--db", "s.db", "--progress", "never",
                              "--max-document-mb", str(limit_mb)],
                             cwd=tmp, capture_output=True, text=True, timeout=120)
        return run.returncode, run.stdout

    def query(sql):
        db = sqlite3.connect(os.path.join(tmp, "s.db"))
        try:
            return db.execute(sql).fetchall()
        finally:
            db.close()

    def expect(what, got, want):
        if got != want:
            failures.append("%s: got %r, want %r" % (what, got, want))

    try:
        os.makedirs(os.path.join(tmp, "in"))
        big = json.dumps({"Records": [record(i) for i in range(2000)]}).encode()  # ~2.3 MB
        with open(os.path.join(tmp, "in", "big.json.gz"), "wb") as f:
            f.write(gzip.compress(big, mtime=0))
        with open(os.path.join(tmp, "in", "good.json"), "w") as f:
            json.dump({"Records": [record(5000 + i) for i in range(3)]}, f)

        code, out = scan(1)
        expect("first scan exit", code, 3)
        if HINT not in out:
            failures.append("first scan: no hint in\n" + out)
        expect("first scan ledger", query("SELECT path, status, events FROM inputs ORDER BY 1"),
               [("in/big.json.gz", "refused", 0), ("in/good.json", "ok", 3)])
        expect("first scan totals", query("SELECT sum(events) FROM minute_totals"), [(3,)])

        code, out = scan(1)
        expect("same limit exit", code, 3)
        if "1 already scanned" not in out or HINT not in out:
            failures.append("same limit: \n" + out)

        code, out = scan(4)
        expect("higher limit exit", code, 0)
        if "scan complete: 1 input read of 2 files found, 1 already scanned" not in out:
            failures.append("higher limit:\n" + out)
        if "events: 2,000 counted of 2,000 records" not in out:
            failures.append("higher limit counts:\n" + out)
        expect("higher limit ledger", query("SELECT path, status, events FROM inputs ORDER BY 1"),
               [("in/big.json.gz", "ok", 2000), ("in/good.json", "ok", 3)])
        expect("higher limit totals", query("SELECT sum(events) FROM minute_totals"), [(2003,)])
        expect("higher limit matches",
               query("SELECT sum(matches) FROM buckets WHERE filter_name = "
                     "'unauthorized_api_calls'"), [(1001,)])

        code, out = scan(4)
        expect("last scan exit", code, 0)
        if "0 inputs read of 2 files found, 2 already scanned" not in out:
            failures.append("last scan:\n" + out)
        expect("last scan totals", query("SELECT sum(events) FROM minute_totals"), [(2003,)])
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    for failure in failures:
        print("FAIL:", failure)
    if not failures:
        print("PASS scan_refused_limit")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())

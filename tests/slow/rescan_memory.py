#!/usr/bin/env python3
"""A rescan's memory does not grow with the ledger (issue 20).

The check for already-scanned files used to load every ledger row of the scope into a hash
map (about 1.3 KB a row: a year of an account's 420,000 files took over 500 MB just to be
skipped). It now looks each file up through the ledger's index. This scans FILES small files,
then rescans them twice: with the ledger as it is, and after EXTRA more ledger rows (other
files of the history, inserted with SQL to keep the test fast). Both rescans must skip every
file, and the second's peak RSS (wait4's ru_maxrss) must not exceed the first's by more than
SLACK_MIB.

usage: rescan_memory.py --binary build/trailreplay [--extra 500000] [--files 2000]
"""
import argparse
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time

SLACK_MIB = 16


def run_measured(cmd, cwd):
    """Runs cmd; returns (exit status, stdout, peak RSS in MiB, seconds)."""
    started = time.monotonic()
    out = tempfile.TemporaryFile()
    proc = subprocess.Popen(cmd, cwd=cwd, stdout=out, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    out.seek(0)
    return proc.returncode, out.read().decode(), usage.ru_maxrss / 1024, time.monotonic() - started


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--binary", required=True)
    parser.add_argument("--extra", type=int, default=500000)
    parser.add_argument("--files", type=int, default=2000)
    args = parser.parse_args()
    binary = os.path.abspath(args.binary)
    tmp = tempfile.mkdtemp(prefix="trailreplay-rescan-")
    failures = []
    try:
        logs = os.path.join(tmp, "in")
        os.makedirs(logs)
        for i in range(args.files):
            record = {"eventVersion": "1.09", "eventTime": "2024-03-01T10:00:00Z",
                      "eventSource": "s3.amazonaws.com", "eventName": "GetObject",
                      "eventID": "00000000-0000-4000-8000-%012d" % i}
            with open(os.path.join(logs, "f%06d.json" % i), "w") as f:
                json.dump({"Records": [record]}, f)
        scan = [binary, "scan", "in", "--db", "s.db", "--progress", "never", "--json"]
        code, out, _, _ = run_measured(scan, tmp)
        if code != 0 or json.loads(out)["events"] != args.files:
            failures.append("first scan: exit %d, %s" % (code, out))

        def rescan(what):
            code, out, rss, seconds = run_measured(scan, tmp)
            summary = json.loads(out) if out else {}
            if code != 0 or summary.get("files_already_scanned") != args.files:
                failures.append("%s: exit %d, %s" % (what, code, out))
            print("%s: peak RSS %.1f MiB in %.2f s" % (what, rss, seconds))
            return rss

        small = rescan("rescan, %d ledger rows" % args.files)
        db = sqlite3.connect(os.path.join(tmp, "s.db"))
        path = "/archive/AWSLogs/111122223333/CloudTrail/us-east-1/2023/%02d/%02d/" \
               "111122223333_CloudTrail_us-east-1_2023%02d%02dT%04dZ_%016x.json.gz"
        rows = ((path % (1 + i % 12, 1 + i % 28, 1 + i % 12, 1 + i % 28, i % 2400, i),
                 12345 + i % 1000, 1700000000000000000 + i, 50 + i % 10, 50 + i % 10)
                for i in range(args.extra))
        db.executemany(
            "INSERT INTO inputs (path, member, scope, size, mtime_ns, kind, status, records, "
            "events, duplicates, out_of_scope, bad_records, message, account, region, "
            "delivery_time, scan_id, stored_sha256) VALUES (?, '', 'all', ?, ?, 'records', 'ok', "
            "?, ?, 0, 0, 0, '', '111122223333', 'us-east-1', 1700000000, 1, "
            "'0000000000000000000000000000000000000000000000000000000000000000')", rows)
        db.commit()
        db.close()
        big = rescan("rescan, %d ledger rows" % (args.files + args.extra))
        if big > small + SLACK_MIB:
            failures.append("peak RSS grew with the ledger: %.1f MiB, then %.1f MiB with %d "
                            "more rows" % (small, big, args.extra))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    for failure in failures:
        print("FAIL:", failure)
    if not failures:
        print("PASS rescan_memory")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())

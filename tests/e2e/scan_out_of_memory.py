#!/usr/bin/env python3
"""A gzip bomb of one huge JSON string, beside good files, under an address-space cap
(prlimit --as) (issue 20).

With the default options the string is a record over --max-record-mb: one bad record, passed
over a window at a time, so the scan fits the cap and counts the rest. Checks: exit 3, the good
files' events exactly, the bomb `partial` with a `record` error row, the scan `complete`.

With a record limit above the cap, holding the record runs out of memory: that allocation
failure is the input's error row, never the end of the scan (before, the std::bad_alloc escaped
a worker and aborted the scan, exit 134, leaving its `scans` row `running`). Checks: exit 3; the
good files counted; the bomb recorded as refused with a `memory` row; the scan `complete`; and
the next scan, given memory, reads the bomb again (here refused by a low --max-document-mb
instead, which it reports as such).

usage: scan_out_of_memory.py --binary build/trailreplay
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

# Address space the scan may map. Its own baseline (two workers' stacks and malloc arenas,
# SQLite's cache) is a few hundred MiB of it; the bomb's buffer cannot grow past the rest.
CAP_BYTES = 1536 << 20
BOMB_CHUNK = 16 << 20
BOMB_CHUNKS = 256  # 4 GiB inflated


def record(i):
    return {
        "eventVersion": "1.09",
        "eventTime": "2024-03-01T10:%02d:00Z" % (i % 60),
        "eventSource": "s3.amazonaws.com",
        "eventName": "GetObject",
        "errorCode": "AccessDenied",
        "awsRegion": "us-east-1",
        "eventID": "00000000-0000-4000-8000-%012d" % i,
        "recipientAccountId": "111122223333",
    }


def write_bomb(path):
    # One member per piece: the chunk is compressed once and repeated, so the file is written
    # in a moment whatever it inflates to.
    chunk = gzip.compress(b"a" * BOMB_CHUNK, compresslevel=9, mtime=0)
    with open(path, "wb") as f:
        f.write(gzip.compress(b'{"Records":[{"eventTime":"2024-03-01T10:00:00Z","x":"', mtime=0))
        for _ in range(BOMB_CHUNKS):
            f.write(chunk)
        f.write(gzip.compress(b'"}]}', mtime=0))


def scan(binary, tmp, extra, cap):
    cmd = [binary, "scan", "in", "--progress", "never", "--threads", "2", "--json"]
    cmd += extra if "--db" in extra else ["--db", "s.db"] + extra
    if cap:
        cmd = ["prlimit", "--as=%d" % cap, "--"] + cmd
    return subprocess.run(cmd, cwd=tmp, capture_output=True, text=True, timeout=600)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--binary", required=True)
    args = parser.parse_args()
    binary = os.path.abspath(args.binary)
    if shutil.which("prlimit") is None:
        print("prlimit not found: skipped")
        return 77
    failures = []
    tmp = tempfile.mkdtemp(prefix="trailreplay-oom-")
    try:
        os.makedirs(os.path.join(tmp, "in"))
        write_bomb(os.path.join(tmp, "in", "b-bomb.json.gz"))
        for name, first in (("a-good.json", 0), ("c-good.json.gz", 100)):
            body = json.dumps({"Records": [record(first + i) for i in range(100)]}).encode()
            if name.endswith(".gz"):
                body = gzip.compress(body, mtime=0)
            with open(os.path.join(tmp, "in", name), "wb") as f:
                f.write(body)

        # Default options: the string is one bad record.
        run = scan(binary, tmp, [], CAP_BYTES)
        summary = json.loads(run.stdout) if run.returncode == 3 else {}
        if (summary.get("events") != 200 or summary.get("bad_records") != 1
                or summary.get("status") != "complete"):
            failures.append("default scan: exit %d, summary %s\n%s"
                            % (run.returncode, run.stdout, run.stderr))
        db = sqlite3.connect(os.path.join(tmp, "s.db"))
        rows = db.execute("SELECT path, status, events FROM inputs ORDER BY path").fetchall()
        want = [("in/a-good.json", "ok", 100), ("in/b-bomb.json.gz", "partial", 0),
                ("in/c-good.json.gz", "ok", 100)]
        if rows != want:
            failures.append("ledger after the default scan: %s" % rows)
        errors = db.execute("SELECT path, record_index, kind FROM scan_errors").fetchall()
        if errors != [("in/b-bomb.json.gz", 0, "record")]:
            failures.append("scan_errors after the default scan: %s" % errors)
        db.close()

        # A record limit beyond the cap: holding the string runs out of memory.
        run = scan(binary, tmp, ["--db", "m.db", "--max-record-mb", "8192"], CAP_BYTES)
        if run.returncode != 3:
            failures.append("capped scan: exit %d, not 3\n%s" % (run.returncode, run.stderr))
        else:
            summary = json.loads(run.stdout)
            if summary["events"] != 200 or summary["inputs_out_of_memory"] != 1:
                failures.append("capped scan: summary %s" % run.stdout)
            if summary["status"] != "complete":
                failures.append("capped scan: status %s" % summary["status"])
        db = sqlite3.connect(os.path.join(tmp, "m.db"))
        rows = db.execute("SELECT path, status, events FROM inputs ORDER BY path").fetchall()
        want = [("in/a-good.json", "ok", 100), ("in/b-bomb.json.gz", "refused", 0),
                ("in/c-good.json.gz", "ok", 100)]
        if rows != want:
            failures.append("ledger after the capped scan: %s" % rows)
        errors = db.execute("SELECT path, kind FROM scan_errors ORDER BY path").fetchall()
        if errors != [("in/b-bomb.json.gz", "memory")]:
            failures.append("scan_errors after the capped scan: %s" % errors)
        statuses = db.execute("SELECT status FROM scans ORDER BY scan_id").fetchall()
        if statuses != [("complete",)]:
            failures.append("scans after the capped scan: %s" % statuses)
        total = db.execute("SELECT sum(events) FROM minute_totals").fetchone()[0]
        if total != 200:
            failures.append("minute_totals after the capped scan: %s" % total)
        db.close()

        # The bomb is read again by the next scan: here a limit refuses it, and says so.
        run = scan(binary, tmp, ["--db", "m.db", "--max-document-mb", "64"], None)
        summary = json.loads(run.stdout) if run.stdout else {}
        if (run.returncode != 3 or summary.get("files_already_scanned") != 2
                or summary.get("inputs_refused") != 1 or summary.get("events") != 0):
            failures.append("rescan: exit %d, summary %s" % (run.returncode, run.stdout))
        db = sqlite3.connect(os.path.join(tmp, "m.db"))
        kinds = db.execute("SELECT scan_id, kind FROM scan_errors ORDER BY scan_id").fetchall()
        if kinds != [(1, "memory"), (2, "limit")]:
            failures.append("scan_errors after the rescan: %s" % kinds)
        db.close()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    for failure in failures:
        print("FAIL:", failure)
    if not failures:
        print("PASS scan_out_of_memory")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""Crash safety of `trailreplay scan`: kill it (SIGKILL) or interrupt it (SIGINT) at random
points of a multi-file scan, restart it each time, and check that the final database equals
the one a single clean scan makes: buckets, samples, minute totals, matches and the ledger.

The corpus is sample-data/AWSLogs copied COPIES times with fresh eventIDs (so every copy adds
events), plus one verbatim copy (so duplicates must resolve to the same file after a resume),
plus a tar.gz bundle of one copy (so a resume can land inside an archive).

Usage: kill_resume.py --binary build/trailreplay --source-dir . [--copies 12] [--seed 1]
Exits 0 when every restarted scan ends equal to the clean one.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import random
import re
import signal
import sqlite3
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "support"))
import record_json  # noqa: E402

QUERIES = [
    "SELECT filter_name, bucket_start, matches, value_sum FROM buckets ORDER BY 1, 2",
    "SELECT metric_name, dimensions, minute, sample_count, sum, minimum, maximum "
    "FROM samples_text ORDER BY 1, 2, 3",
    "SELECT minute, events FROM minute_totals ORDER BY 1",
    "SELECT series_id, minute, value, count FROM sample_values ORDER BY 1, 2, 3",
    "SELECT filter_name, event_id, event_time, source_file, record_index, value, raw "
    "FROM matches ORDER BY 1, 2, 4",
    "SELECT path, member, kind, status, records, events, duplicates, out_of_scope, bad_records, "
    "message FROM inputs ORDER BY 1, 2",
    "SELECT sum(length(keys)) / 16 FROM seen_ids",
]

EVENT_ID = re.compile(rb'"eventID":"([0-9a-f]{8})')


def make_corpus(source: Path, out: Path, copies: int) -> None:
    logs = sorted((source / "sample-data" / "AWSLogs").rglob("*.json.gz"))
    for copy in range(copies):
        for path in logs:
            body = gzip.decompress(path.read_bytes())
            # A different first GUID group per copy: new events, same shape.
            body = EVENT_ID.sub(lambda m: b'"eventID":"%08x' % (int(m.group(1), 16) ^ (copy + 1)),
                                body)
            target = out / f"copy{copy:02d}" / path.relative_to(source / "sample-data")
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(gzip.compress(body, mtime=0))
    verbatim = out / "verbatim"
    for path in logs:
        target = verbatim / path.relative_to(source / "sample-data")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(path.read_bytes())
    with tarfile.open(out / "bundle.tar.gz", "w:gz") as tar:
        for path in logs:
            info = tar.gettarinfo(str(path), arcname=str(path.relative_to(source / "sample-data")))
            info.mtime = 0
            with open(path, "rb") as f:
                tar.addfile(info, f)


def dump(db: Path) -> list[list[tuple]]:
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
        record_json.register(conn)  # the matches view reads raw records with it
        return [conn.execute(q).fetchall() for q in QUERIES]


def scans(db: Path) -> int:
    """Runs of scan recorded so far (0 before the database exists)."""
    if not db.exists():
        return 0
    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5) as conn:
            return conn.execute("SELECT count(*) FROM scans").fetchone()[0]
    except sqlite3.Error:
        return 0  # created, but its schema is not there yet


def scan(binary: str, corpus: Path, db: Path) -> list[str]:
    return [binary, "scan", str(corpus), "--db", str(db), "--progress", "never", "--threads", "2"]


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--binary", required=True)
    parser.add_argument("--source-dir", required=True)
    parser.add_argument("--copies", type=int, default=12)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    rng = random.Random(args.seed)

    with tempfile.TemporaryDirectory(prefix="trailreplay-kill-") as tmp:
        tmp_path = Path(tmp)
        corpus = tmp_path / "corpus"
        make_corpus(Path(args.source_dir), corpus, args.copies)

        clean = tmp_path / "clean.db"
        started = time.monotonic()
        done = subprocess.run(scan(args.binary, corpus, clean), capture_output=True, text=True)
        duration = time.monotonic() - started
        if done.returncode != 0:
            print(f"clean scan failed ({done.returncode}):\n{done.stderr}")
            return 1
        expected = dump(clean)
        print(f"clean scan: {duration:.2f} s, {len(expected[4])} matches, "
              f"{len(expected[5])} ledger rows")

        failures = 0
        for trial, sig in enumerate([signal.SIGKILL] * 3 + [signal.SIGINT] * 2):
            db = tmp_path / f"resumed{trial}.db"
            stops = 0
            # Stop it up to three times at random points, then let it finish.
            for _ in range(3):
                runs_before = scans(db)
                proc = subprocess.Popen(scan(args.binary, corpus, db), stdout=subprocess.PIPE,
                                        stderr=subprocess.PIPE, text=True)
                if sig == signal.SIGINT:
                    # The handler is installed before the scan records itself in the run log;
                    # a Ctrl-C while the process is still loading simply ends it, like any
                    # program, so wait for the new run to appear.
                    deadline = time.monotonic() + 30
                    while (scans(db) <= runs_before and proc.poll() is None
                           and time.monotonic() < deadline):
                        time.sleep(0.005)
                time.sleep(rng.uniform(0.02, max(0.05, duration * 0.8)))
                proc.send_signal(sig)
                out, err = proc.communicate()
                if sig == signal.SIGINT and proc.returncode not in (0, 130):
                    print(f"trial {trial}: SIGINT gave exit {proc.returncode}, expected 130 "
                          f"(or 0 if already done):\n{err}")
                    failures += 1
                if proc.returncode in (-signal.SIGKILL, 130):
                    stops += 1
            final = subprocess.run(scan(args.binary, corpus, db), capture_output=True, text=True)
            if final.returncode != 0:
                print(f"trial {trial}: final scan exited {final.returncode}:\n{final.stderr}")
                failures += 1
                continue
            got = dump(db)
            name = signal.Signals(sig).name
            if got != expected:
                for query, want, have in zip(QUERIES, expected, got):
                    if want != have:
                        print(f"trial {trial} ({name}): differs in: {query}\n"
                              f"  clean {len(want)} rows, resumed {len(have)} rows")
                failures += 1
            else:
                print(f"trial {trial} ({name}): stopped {stops} times, final database equal")
        return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())

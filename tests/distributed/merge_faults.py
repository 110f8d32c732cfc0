#!/usr/bin/env python3
"""Fault tests of `plan`/`scan --manifest`/`merge`: what merge refuses, and recovery.

- a shard's scan killed part-way: merge refuses the part; the same scan run again finishes it,
  and the merge then equals one scan of everything;
- a missing part with --plan; two parts of the same shard (overlapping manifests); parts of
  PATHs holding the same file; parts made with different rules or time basis; a part given twice;
- merging again into a merged database adds nothing (and changes nothing); a new part there
  is refused;
- a plan from an `aws s3api list-objects-v2` listing and from an S3 Inventory CSV names the
  same inputs as a plan from the files.

    merge_faults.py --binary build/trailreplay --source-dir .
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import pathlib
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.parse

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from compare_dbs import compare  # noqa: E402

FAILURES: list[str] = []


def expect(condition: bool, what: str) -> None:
    print(("ok   " if condition else "FAIL ") + what)
    if not condition:
        FAILURES.append(what)


def run(cmd, ok=(0, 3)):
    p = subprocess.run([str(c) for c in cmd], capture_output=True, text=True)
    if ok is not None and p.returncode not in ok:
        raise SystemExit(f"{' '.join(map(str, cmd))} -> {p.returncode}\n{p.stdout}\n{p.stderr}")
    return p


def parted_inputs(b: str, t: pathlib.Path) -> None:
    """Inputs over 16 MiB are read in windows and handed to the writer in ~4 MiB parts, each
    adding rows of eventID keys: a merge of parts holding such inputs equals one scan, with
    duplicates inside one big input (across its parts) and between a big input and a small
    one, whichever part comes first."""
    def record(i: int, event: int) -> dict:
        return {"eventVersion": "1.08", "eventTime": f"2024-03-01T1{i % 3}:{i % 60:02d}:07Z",
                "eventSource": "ec2.amazonaws.com", "eventName": "DescribeInstances",
                "awsRegion": "us-east-1", "sourceIPAddress": f"10.0.{i % 7}.1",
                "userAgent": "aws-cli/2.15.0", "recipientAccountId": "111122223333",
                "userIdentity": {"type": "IAMUser",
                                 "arn": f"arn:aws:iam::111122223333:user/u{i % 50}"},
                **({"errorCode": "AccessDenied"} if i % 9 == 0 else {}),
                "eventID": f"00000000-0000-4000-8000-{event:012d}", "padding": "x" * 300}
    t.mkdir()
    big = [record(i, i % 90000) for i in range(100000)]  # 10,000 repeats, tens of MB apart
    (t / "a-big.jsonl").write_text("".join(json.dumps(r) + "\n" for r in big))
    small = [record(i, i) for i in range(89990, 90010)]  # 10 seen in a-big, 10 new
    (t / "b-small.json").write_text(json.dumps({"Records": small}))
    expect((t / "a-big.jsonl").stat().st_size > 32 << 20, "the big input is read in parts")
    for name, files in (("big-first", ["a-big.jsonl", "b-small.json"]),
                        ("small-first", ["b-small.json", "a-big.jsonl"])):
        whole = t / f"{name}-whole.db"
        run([b, "scan", *[t / f for f in files], "--db", whole, "-q"])
        parts = [t / f"{name}-{i}.db" for i in range(2)]
        for f, part in zip(files, parts):
            run([b, "scan", t / f, "--db", part, "-q"])
        out = t / f"{name}-merged.db"
        p = run([b, "merge", *parts, "--db", out, "-q"], ok=None)
        con = sqlite3.connect(f"file:{whole}?mode=ro", uri=True)
        counted, dropped = con.execute("SELECT sum(events), sum(duplicates) FROM inputs").fetchone()
        con.close()
        expect(p.returncode == 0 and not compare(str(whole), str(out)) and
               counted == 90010 and dropped == 10010,
               f"inputs read in parts merge to what one scan makes ({name}: {counted} counted, "
               f"{dropped} dropped)")


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--binary", required=True)
    ap.add_argument("--source-dir", required=True)
    args = ap.parse_args()
    b = args.binary
    source = pathlib.Path(args.source_dir).resolve()
    with tempfile.TemporaryDirectory(prefix="merge-faults-") as tmp:
        t = pathlib.Path(tmp)
        corpus = t / "corpus"
        shutil.copytree(source / "sample-data" / "AWSLogs", corpus / "AWSLogs")
        whole = t / "whole.db"
        run([b, "scan", corpus, "--db", whole, "-q"])
        run([b, "plan", corpus, "--shards", "3", "--out", t / "plan", "-q"])
        parts = []
        for s in range(3):
            parts.append(t / f"p{s}.db")
        # Shard 0 killed part-way (one thread, killed once it has committed something).
        proc = subprocess.Popen([b, "scan", "--manifest", t / "plan/shard-00000.jsonl", "--db",
                                 parts[0], "-q", "--threads", "1"])
        killed = False
        deadline = time.time() + 20
        while proc.poll() is None and time.time() < deadline:
            try:
                con = sqlite3.connect(f"file:{parts[0]}?mode=ro", uri=True, timeout=0.01)
                n = con.execute("SELECT count(*) FROM inputs").fetchone()[0]
                con.close()
            except sqlite3.Error:
                n = 0
            if n > 0:
                proc.send_signal(signal.SIGKILL)
                killed = True
                break
            time.sleep(0.001)
        proc.wait()
        con = sqlite3.connect(f"file:{parts[0]}?mode=ro", uri=True)
        finished = con.execute("SELECT status FROM scans ORDER BY scan_id DESC LIMIT 1"
                               ).fetchone() == ("complete",)
        con.close()
        if not killed or proc.returncode == 0 or finished:
            # The scan finished before the kill landed: leave its run log as a killed scan
            # leaves it.
            con = sqlite3.connect(parts[0])
            con.execute("UPDATE scans SET status = 'running', finished_at = NULL")
            con.commit()
            con.close()
        for s in (1, 2):
            run([b, "scan", "--manifest", t / f"plan/shard-{s:05d}.jsonl", "--db", parts[s], "-q"])
        p = run([b, "merge", *parts, "--db", t / "m0.db"], ok=None)
        expect(p.returncode == 1 and "run the same scan again" in p.stderr,
               "a killed shard's part is refused")
        run([b, "scan", "--manifest", t / "plan/shard-00000.jsonl", "--db", parts[0], "-q"])
        out = t / "merged.db"
        p = run([b, "merge", *parts, "--db", out, "--plan", t / "plan"], ok=None)
        expect(p.returncode == 0 and not compare(str(whole), str(out)),
               "the rerun shard merges to what one scan makes")

        # --keep-duplicates: parts record no keys, and the merge adds them up.
        kept_whole = t / "kept-whole.db"
        run([b, "scan", corpus, "--db", kept_whole, "-q", "--keep-duplicates"])
        kept_parts = [t / f"kept{s}.db" for s in range(3)]
        for s, part in enumerate(kept_parts):
            run([b, "scan", "--manifest", t / f"plan/shard-{s:05d}.jsonl", "--db", part, "-q",
                 "--keep-duplicates"])
        run([b, "merge", *kept_parts, "--db", t / "kept-merged.db", "--plan", t / "plan", "-q"])
        expect(not compare(str(kept_whole), str(t / "kept-merged.db")),
               "with --keep-duplicates too, the merge equals one scan")

        # The other commands read a merged database as any other.
        for db in (whole, out):
            shutil.copy(db, str(db) + ".copy")
        for command in (["replay", "--format", "json"],
                        ["tune", "--alarm", "unauthorized_api_calls", "--format", "json"],
                        ["contributors", "--alarm", "unauthorized_api_calls", "--format", "json"],
                        ["sql", "--format", "csv", "SELECT * FROM alarm_episodes"]):
            answers = [run([b, command[0], "--db", str(db) + ".copy", *command[1:]]).stdout
                       for db in (whole, out)]
            expect(answers[0] == answers[1] and answers[0],
                   f"{command[0]} answers the same on the merged database as on one scan's")
        p = run([b, "report", "--db", str(out) + ".copy", "-o", t / "report.html", "-q"],
                ok=None)
        expect(p.returncode == 0 and (t / "report.html").stat().st_size > 10000,
               "report renders the merged database")

        # Idempotent.
        before = compare(str(whole), str(out))
        p = run([b, "merge", *parts, "--db", out, "--format", "json"], ok=None)
        expect(p.returncode == 0 and json.loads(p.stdout)["parts_already_merged"] == 3 and
               json.loads(p.stdout)["inputs"] == 0 and compare(str(whole), str(out)) == before,
               "merging parts already merged adds nothing")
        p = run([b, "merge", parts[1], "--db", out], ok=None)
        expect(p.returncode == 0 and "nothing added" in p.stdout,
               "a part merged twice adds nothing")
        files = sorted(str(f) for f in corpus.rglob("*.json.gz"))
        plain = [t / "plain0.db", t / "plain1.db", t / "plain2.db"]
        for i, part in enumerate(plain):
            run([b, "scan", *files[10 * i:10 * i + 10], "--db", part, "-q"])
        run([b, "merge", plain[0], plain[1], "--db", t / "plain.db", "-q"])
        p = run([b, "merge", *plain, "--db", t / "plain.db"], ok=None)
        expect(p.returncode == 1 and "merge all the parts into a new database" in p.stderr,
               "a new part into a merged database is refused")

        # A missing part, with the plan given.
        p = run([b, "merge", parts[0], parts[2], "--db", t / "m1.db", "--plan", t / "plan"],
                ok=None)
        expect(p.returncode == 1 and "lack shard(s) 1" in p.stderr,
               "an incomplete set of parts is refused with --plan")
        # Overlapping manifests: shard 1 scanned twice.
        dup = t / "p1-again.db"
        run([b, "scan", "--manifest", t / "plan/shard-00001.jsonl", "--db", dup, "-q"])
        p = run([b, "merge", parts[0], parts[1], dup, "--db", t / "m2.db"], ok=None)
        expect(p.returncode == 1 and "overlap" in p.stderr, "overlapping manifests are refused")
        # Parts of PATHs holding the same file.
        files = sorted(str(f) for f in corpus.rglob("*.json.gz"))
        a, c = t / "a.db", t / "c.db"
        run([b, "scan", *files[:10], "--db", a, "-q"])
        run([b, "scan", *files[5:20], "--db", c, "-q"])
        p = run([b, "merge", a, c, "--db", t / "m3.db"], ok=None)
        expect(p.returncode == 1 and "overlap" in p.stderr, "parts holding one input are refused")
        # Different rules, different time basis.
        cis = t / "cis.db"
        run([b, "scan", "--manifest", t / "plan/shard-00001.jsonl", "--db", cis, "-q", "--rules",
             "cis"])
        p = run([b, "merge", parts[0], cis, parts[2], "--db", t / "m4.db"], ok=None)
        expect(p.returncode == 1 and "different filters" in p.stderr,
               "parts of different rules are refused")
        delivery = t / "delivery.db"
        run([b, "scan", "--manifest", t / "plan/shard-00001.jsonl", "--db", delivery, "-q",
             "--time-basis", "delivery"])
        p = run([b, "merge", parts[0], delivery, parts[2], "--db", t / "m5.db"], ok=None)
        expect(p.returncode == 1 and "time basis" in p.stderr,
               "parts of another time basis are refused")
        ranged = t / "ranged.db"
        run([b, "scan", "--manifest", t / "plan/shard-00001.jsonl", "--db", ranged, "-q",
             "--from", "2024-03-01"])
        p = run([b, "merge", parts[0], ranged, parts[2], "--db", t / "m8.db"], ok=None)
        expect(p.returncode == 1 and "same --from" in p.stderr,
               "parts scanned under another time range are refused")
        p = run([b, "merge", parts[0], parts[0], "--db", t / "m6.db"], ok=None)
        expect(p.returncode == 1 and "given twice" in p.stderr, "a part given twice is refused")
        # A plan's part with a part of PATHs.
        p = run([b, "merge", parts[0], a, "--db", t / "m7.db"], ok=None)
        expect(p.returncode == 1 and "no common order" in p.stderr,
               "a plan's part with a part of PATHs is refused")
        # Scanning another manifest (or PATHs) into a part is refused.
        p = run([b, "scan", "--manifest", t / "plan/shard-00002.jsonl", "--db", parts[0], "-q"],
                ok=None)
        expect(p.returncode == 1 and "database of its own" in p.stderr,
               "a second manifest into a part is refused")

        # Plans from listings name the inputs a plan from the files names.
        root = corpus
        keys = sorted(str(f.relative_to(root)) for f in root.rglob("*") if f.is_file())
        listing = {"Contents": [{"Key": k, "Size": (root / k).stat().st_size,
                                 "LastModified": "2024-03-03T00:00:00+00:00",
                                 "StorageClass": "STANDARD"} for k in reversed(keys)],
                   "RequestCharged": None}
        (t / "listing.json").write_text(json.dumps(listing, indent=4))
        buf = io.StringIO()
        w = csv.writer(buf, quoting=csv.QUOTE_ALL)
        for k in keys:
            w.writerow(["trail-bucket", urllib.parse.quote(k), (root / k).stat().st_size,
                        "2024-03-03T00:00:00.000Z"])
        (t / "inventory.csv").write_text(buf.getvalue())

        def manifest_inputs(d: pathlib.Path) -> list:
            out = []
            for f in sorted(d.glob("shard-*.jsonl")):
                lines = f.read_text().splitlines()[1:]
                out.append([(json.loads(x)["path"], json.loads(x)["ordinal"]) for x in lines])
            return out

        run([b, "plan", root, "--shards", "4", "--out", t / "pf", "-q"])
        run([b, "plan", "--listing", t / "listing.json", "--listing-root", root, "--shards", "4",
             "--out", t / "pl", "-q"])
        run([b, "plan", "--listing", t / "inventory.csv", "--listing-root", root,
             "--inventory-schema", "Bucket, Key, Size, LastModifiedDate", "--shards", "4",
             "--out", t / "pi", "-q"])
        files_plan = manifest_inputs(t / "pf")
        expect(manifest_inputs(t / "pl") == files_plan,
               "a plan from list-objects-v2 JSON equals the plan from the files")
        expect(manifest_inputs(t / "pi") == files_plan,
               "a plan from an S3 Inventory CSV equals the plan from the files")
        sizes = [sum((pathlib.Path(p).stat().st_size) for p, _ in s) for s in files_plan]
        expect(max(sizes) - min(sizes) <= max(pathlib.Path(p).stat().st_size
                                               for s in files_plan for p, _ in s),
               f"shards are balanced by bytes ({sizes})")
        # Pruning as scan prunes.
        run([b, "plan", root, "--shards", "2", "--out", t / "pr", "-q", "--region", "us-east-1",
             "--from", "2024-03-02T00:00:00Z"])
        pruned = [p for s in manifest_inputs(t / "pr") for p, _ in s]
        expect(pruned and all("us-west-2" not in p for p in pruned) and
               len(pruned) < len(keys), "plan prunes by region and time as scan does")
        parted_inputs(b, t / "parted")
    print("all fault tests passed" if not FAILURES else f"{len(FAILURES)} failed")
    return 1 if FAILURES else 0


if __name__ == "__main__":
    sys.exit(main())

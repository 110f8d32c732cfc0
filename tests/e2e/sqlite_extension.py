#!/usr/bin/env python3
"""The sqlite3 shell reads a scanned database's compressed raw records through the extension.

A scan of sample-data/ with the whole CIS pack stores ~5,000 matching records, enough for the
database to train its dictionary and compress them (src/README.md, "Raw records, compressed").
Loaded into Debian's sqlite3 shell, build/trailreplay.so's record_json() gives every record
of the matches view back as the JSON text of its eventID, the same text as an independent
reader (tests/support/record_json.py, libzstd through ctypes) and as `trailreplay sql`; without
the extension the shell says which function it lacks.

usage: sqlite_extension.py --binary build/trailreplay --source-dir .
"""
import argparse
import csv
import io
import json
import pathlib
import shutil
import sqlite3
import subprocess
import sys
import tempfile

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "support"))
import record_json  # noqa: E402

QUERY = "SELECT filter_name, event_id, raw FROM matches ORDER BY filter_name, event_id, source_file"


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--binary", required=True)
    ap.add_argument("--source-dir", required=True)
    args = ap.parse_args()
    if not shutil.which("sqlite3"):
        print("no sqlite3 shell: skipped")
        return 77
    binary = pathlib.Path(args.binary).resolve()
    extension = binary.parent / "trailreplay"
    failures = []
    with tempfile.TemporaryDirectory() as tmp:
        db = pathlib.Path(tmp) / "s.db"
        subprocess.run([str(binary), "scan", str(pathlib.Path(args.source_dir) / "sample-data"),
                        "--db", str(db), "--rules", "cis", "-q"], check=True)
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
            kinds = dict(conn.execute("SELECT typeof(raw), count(*) FROM events GROUP BY 1"))
            record_json.register(conn)
            independent = [list(map(str, row)) for row in conn.execute(QUERY)]
        if kinds.get("blob", 0) < 1000 or kinds.get("text", 0) != 0:
            failures.append(f"expected every stored record compressed, found {kinds}")

        shell = subprocess.run(["sqlite3", "-cmd", f".load {extension}", "-csv", str(db), QUERY],
                               capture_output=True, text=True)
        if shell.returncode != 0:
            failures.append(f"sqlite3 with the extension: {shell.stderr.strip()}")
        rows = list(csv.reader(io.StringIO(shell.stdout)))
        if rows != independent:
            failures.append(f"sqlite3 read {len(rows)} rows, the independent reader "
                            f"{len(independent)}; first difference at "
                            f"{next((i for i, (a, b) in enumerate(zip(rows, independent)) if a != b), None)}")
        for filter_name, event_id, raw in rows:
            if json.loads(raw).get("eventID") != event_id:
                failures.append(f"{filter_name}: the raw record of {event_id} is another's")
                break

        tool = subprocess.run([str(binary), "sql", "--db", str(db), "--format", "csv", QUERY],
                              capture_output=True, text=True)
        tool_rows = list(csv.reader(io.StringIO(tool.stdout)))[1:]  # past the header
        if tool.returncode != 0 or tool_rows != independent:
            failures.append(f"trailreplay sql read {len(tool_rows)} rows (exit "
                            f"{tool.returncode}), not the same as the independent reader")

        bare = subprocess.run(["sqlite3", str(db), QUERY + " LIMIT 1"], capture_output=True,
                              text=True)
        if bare.returncode == 0 or "no such function: record_json" not in bare.stderr:
            failures.append(f"sqlite3 without the extension: exit {bare.returncode}, "
                            f"{bare.stderr.strip()!r}")
    for f in failures:
        print("FAIL:", f)
    if not failures:
        print(f"ok: {len(independent)} matches read alike by sqlite3, trailreplay sql and "
              f"libzstd")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())

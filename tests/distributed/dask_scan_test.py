#!/usr/bin/python3
"""scripts/distributed/dask_scan.py on a local Dask cluster of 2 worker processes (127.0.0.1)
equals a plain scan, table by table, on the sample data with injected cross-prefix duplicates.
Exit 77 (skipped) without python3-distributed.

    dask_scan_test.py --binary build/trailreplay --source-dir .
"""

from __future__ import annotations

import argparse
import json
import pathlib
import random
import shutil
import subprocess
import sys
import tempfile

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from compare_dbs import compare  # noqa: E402
from merge_property import RULES, inject_duplicates  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--binary", required=True)
    ap.add_argument("--source-dir", required=True)
    args = ap.parse_args()
    try:
        import distributed  # noqa: F401, PLC0415
    except ImportError:
        print("skipped: python3-distributed is not installed")
        return 77
    source = pathlib.Path(args.source_dir).resolve()
    binary = str(pathlib.Path(args.binary).resolve())
    with tempfile.TemporaryDirectory(prefix="dask-scan-") as tmp:
        t = pathlib.Path(tmp)
        corpus = t / "corpus"
        shutil.copytree(source / "sample-data" / "AWSLogs", corpus / "AWSLogs")
        inject_duplicates(corpus, random.Random(5))
        rules = t / "rules.json"
        rules.write_text(json.dumps(RULES))
        plain = t / "plain.db"
        subprocess.run([binary, "scan", str(corpus), "--db", str(plain), "-q", "--rules",
                        str(rules), "--rules", "cis"], check=True)
        dask_db = t / "dask.db"
        p = subprocess.run([sys.executable, str(source / "scripts/distributed/dask_scan.py"),
                            str(corpus), "--db", str(dask_db), "--local", "2", "--binary", binary,
                            "--shards", "5", "--work", str(t / "work"), "--rules", str(rules),
                            "--rules", "cis"], capture_output=True, text=True)
        print(p.stdout + p.stderr)
        if p.returncode != 0:
            print(f"FAIL: dask_scan.py exited {p.returncode}")
            return 1
        parts = sorted((t / "work").glob("part-*.db"))
        if len(parts) != 5:
            print(f"FAIL: {len(parts)} parts, not 5")
            return 1
        problems = compare(str(plain), str(dask_db))
        for problem in problems:
            print("FAIL", problem)
        if not problems:
            print("ok   the Dask run equals a plain scan")
        return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""Property test of `merge`: for random splits, the merge of the parts equals one scan of all
the inputs, table by table (tests/distributed/compare_dbs.py).

Corpora: the sample data with injected duplicates (the same records delivered again under
another account's prefix, another trail's prefix (an organization trail), in a file without an
S3 key, at the same delivery minute as the first copy (a tie), before and after it, so copies
land in different shards; eventTimes near hour boundaries come with the sample), and the real
datasets of ../shared/datasets when present (skipped when absent). Splits: a plan of 2 to 5
shards scanned with --manifest and merged with --plan; and random partitions of the files into
parts scanned from PATHs and merged in order, against one scan given the same files in the
same order.

    merge_property.py --binary build/trailreplay --source-dir . [--seed N] [--rounds N]
"""

from __future__ import annotations

import argparse
import gzip
import json
import pathlib
import random
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from compare_dbs import compare  # noqa: E402

RULES = {
    "metricFilters": [
        {"filterName": "errors_by_source", "filterPattern": '{ $.errorCode = "*" }',
         "logGroupName": "trail",
         "metricTransformations": [{"metricName": "Errors", "metricNamespace": "T",
                                    "metricValue": "1",
                                    "dimensions": {"Source": "$.eventSource"}}]},
        {"filterName": "describes_default", "filterPattern": '{ $.eventName = "Describe*" }',
         "logGroupName": "trail",
         "metricTransformations": [{"metricName": "Describes", "metricNamespace": "T",
                                    "metricValue": "0.1", "defaultValue": 0.3}]},
        {"filterName": "console_login", "filterPattern": '{ $.eventName = "ConsoleLogin" }',
         "logGroupName": "trail",
         "metricTransformations": [{"metricName": "Logins", "metricNamespace": "T",
                                    "metricValue": "1", "defaultValue": 0}]},
    ]
}


def run(cmd: list[str], ok=(0, 3)) -> subprocess.CompletedProcess:
    p = subprocess.run(cmd, capture_output=True, text=True)
    if p.returncode not in ok:
        raise SystemExit(f"{' '.join(cmd)} -> {p.returncode}\n{p.stdout}\n{p.stderr}")
    return p


def log_name(account: str, region: str, when: str, unique: str) -> str:
    # when: YYYYMMDDTHHMMZ
    return f"{account}_CloudTrail_{region}_{when}_{unique}.json.gz"


def inject_duplicates(root: pathlib.Path, rng: random.Random) -> int:
    """Copies of records of random log files, in files of other prefixes. Returns copies."""
    logs = sorted(p for p in root.rglob("*.json.gz") if "_CloudTrail_" in p.name)
    copies = 0
    for n, src in enumerate(rng.sample(logs, min(40, len(logs)))):
        records = json.loads(gzip.decompress(src.read_bytes()))["Records"]
        if not records:
            continue
        chosen = rng.sample(records, max(1, len(records) // rng.choice([1, 2, 3])))
        account, _, region, stamp = src.name.split("_")[:4]
        day, hm = stamp[:8], stamp[9:13]
        shift = rng.choice([-7, -1, 0, 0, 1, 5, 60])  # minutes; 0: the same delivery minute
        minutes = int(hm[:2]) * 60 + int(hm[2:]) + shift
        minutes = max(0, min(23 * 60 + 59, minutes))
        when = f"{day}T{minutes // 60:02d}{minutes % 60:02d}Z"
        kind = n % 4
        if kind == 0:  # an organization trail's copy
            d = root / "org-trail/AWSLogs/o-abc123/" / account / "CloudTrail" / region / day[:4] / \
                day[4:6] / day[6:]
            name = log_name(account, region, when, f"org{n:04d}")
        elif kind == 1:  # another account's trail that logs the same events
            d = root / "AWSLogs/999988887777/CloudTrail" / region / day[:4] / day[4:6] / day[6:]
            name = log_name("999988887777", region, when, f"acct{n:04d}")
        elif kind == 2:  # a second trail in the same account
            d = root / "trail-two/AWSLogs" / account / "CloudTrail" / region / day[:4] / \
                day[4:6] / day[6:]
            name = log_name(account, region, when, f"two{n:04d}")
        else:  # a file without an S3 key: ordered first
            d = root / "exported"
            name = f"copy-{n:04d}.json"
        d.mkdir(parents=True, exist_ok=True)
        body = json.dumps({"Records": chosen}).encode()
        (d / name).write_bytes(body if name.endswith(".json") else gzip.compress(body, mtime=0))
        copies += len(chosen)
    return copies


CROSS_PART_DUPLICATES = [0]


def merge(binary: str, args: list[str]) -> None:
    p = run([binary, "merge", *args, "--format", "json"], ok=(0,))
    CROSS_PART_DUPLICATES[0] += json.loads(p.stdout)["duplicates_across_parts"]


def check(label: str, whole: pathlib.Path, merged: pathlib.Path) -> bool:
    problems = compare(str(whole), str(merged))
    if problems:
        print(f"FAIL {label}:")
        for p in problems[:10]:
            print("   ", p)
        return False
    print(f"ok   {label}")
    return True


def property_rounds(binary: str, corpus: pathlib.Path, rules: pathlib.Path, work: pathlib.Path,
                    rng: random.Random, rounds: int, label: str) -> bool:
    ok = True
    rules_args = ["--rules", str(rules), "--rules", "cis"]
    whole = work / "whole.db"
    run([binary, "scan", str(corpus), "--db", str(whole), "-q", *rules_args])
    files = sorted(p for p in corpus.rglob("*") if p.is_file())
    for r in range(rounds):
        # A plan, its shards scanned with --manifest, merged with --plan.
        shards = rng.randint(2, 5)
        d = work / f"plan{r}"
        run([binary, "plan", str(corpus), "--shards", str(shards), "--out", str(d / "plan"),
             "-q"])
        parts = []
        for s in range(shards):
            part = d / f"part{s}.db"
            run([binary, "scan", "--manifest", str(d / "plan" / f"shard-{s:05d}.jsonl"), "--db",
                 str(part), "-q", "--threads", str(rng.randint(1, 2)), *rules_args])
            parts.append(str(part))
        merged = d / "merged.db"
        merge(binary, [*parts, "--db", str(merged), "--plan", str(d / "plan")])
        ok &= check(f"{label}: plan of {shards} shards", whole, merged)

        # Random parts scanned from PATHs, merged in order, against one scan of the same files
        # given in the same order.
        k = rng.randint(2, 4)
        groups = [[] for _ in range(k)]
        for f in files:
            groups[rng.randrange(k)].append(str(f))
        groups = [g for g in groups if g]
        d = work / f"paths{r}"
        d.mkdir()
        single = d / "single.db"
        run([binary, "scan", *[f for g in groups for f in g], "--db", str(single), "-q",
             *rules_args])
        parts = []
        for i, g in enumerate(groups):
            part = d / f"part{i}.db"
            run([binary, "scan", *g, "--db", str(part), "-q", *rules_args])
            parts.append(str(part))
        merged = d / "merged.db"
        merge(binary, [*parts, "--db", str(merged)])
        ok &= check(f"{label}: {len(groups)} parts of PATHs", single, merged)
    return ok


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--binary", required=True)
    ap.add_argument("--source-dir", required=True)
    ap.add_argument("--seed", type=int, default=21)
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--datasets", default=None)
    args = ap.parse_args()
    source = pathlib.Path(args.source_dir).resolve()
    rng = random.Random(args.seed)
    ok = True
    with tempfile.TemporaryDirectory(prefix="merge-property-") as tmp:
        tmp = pathlib.Path(tmp)
        rules = tmp / "rules.json"
        rules.write_text(json.dumps(RULES))
        corpus = tmp / "corpus"
        shutil.copytree(source / "sample-data" / "AWSLogs", corpus / "AWSLogs")
        copies = inject_duplicates(corpus, rng)
        print(f"sample data with {copies} injected copies")
        work = tmp / "sample"
        work.mkdir()
        ok &= property_rounds(args.binary, corpus, rules, work, rng, args.rounds, "sample")
        print(f"duplicates across parts dropped by the merges: {CROSS_PART_DUPLICATES[0]}")
        if CROSS_PART_DUPLICATES[0] == 0:
            print("FAIL: no duplicate landed in two parts; the corpus does not test merging")
            ok = False

        datasets = pathlib.Path(args.datasets) if args.datasets else \
            source.parent / "shared" / "datasets"
        if not datasets.is_dir():
            datasets = pathlib.Path("/work/shared/datasets")
        if datasets.is_dir():
            for ds in sorted(p for p in datasets.iterdir() if p.is_dir()):
                work = tmp / ds.name
                work.mkdir()
                ok &= property_rounds(args.binary, ds, rules, work, rng, 1, ds.name)
        else:
            print("skipped: the real datasets (../shared/datasets) are absent")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

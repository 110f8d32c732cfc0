#!/usr/bin/env python3
"""Generate a large CloudTrail corpus for the scan benchmark, in the S3 layout.

The records come from the project's sample-data generator (scripts/make-sample-data.py): its
two days of routine activity and incident scenarios, for two accounts and two regions, with
realistic identities, request parameters and error rates. That pool is repeated, two days at a
time, until the corpus holds --size-mb of uncompressed JSON; each repetition moves every
eventTime and delivery time forward and gives every record a fresh eventID, so all events are
distinct except the duplicates this script adds on purpose (--duplicate-rate of the records are
delivered a second time in the next file, as CloudTrail's at-least-once delivery does).
--activity scales how busy the accounts are: each file carries the records of that many sample
files of its stream, moved into its delivery window, with fresh eventIDs, so files hold about 90 KB of JSON each by default,
as a moderately busy account's five-minute deliveries do; --activity 1 gives the sample's own
small files (about 22 KB, 49,000 files per GB).

The output is deterministic for a given size and seed. A manifest, corpus.json, records what was
written (files, records, unique events, bytes before and after gzip, the two CIS filter counts),
so the benchmark can check its results and reuse a corpus that already exists:

    perf/make-corpus.py --size-mb 1024 --seed 1 build/perf-corpus/1024-1

Standard library only (Python 3.11).
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import pathlib
import random
import shutil
import sys
import time
import uuid
import zlib

ROOT = pathlib.Path(__file__).resolve().parent.parent
TIME_MARK = "@@trailreplay-time@@"
ID_MARK = "@@trailreplay-id@@"


def load_generator(seed: int):
    spec = importlib.util.spec_from_file_location("sample_generator",
                                                  ROOT / "scripts" / "make-sample-data.py")
    gen = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(gen)
    gen.R = gen.Rng(seed)
    gen.SINK = gen.Sink()
    return gen


def templates(gen):
    """The sample generator's delivered files, each record as text with holes for its time and ID."""
    gen.gen_routine()
    gen.gen_scenarios()
    pool = []
    for f in gen.assign_files():
        records = []
        for it in f["items"]:
            rec = dict(it["rec"])
            t = gen.epoch(rec["eventTime"])
            rec["eventTime"] = TIME_MARK
            rec["eventID"] = ID_MARK
            text = gen.dumps_record(rec, it["ascii"])
            head, rest = text.split('"' + TIME_MARK + '"')
            middle, tail = rest.split('"' + ID_MARK + '"')
            records.append((t, head, middle, tail, gen.is_unauthorized(it["rec"]),
                            gen.is_cloudtrail_change(it["rec"])))
        pool.append({"acct": f["acct"], "region": f["region"], "org": f["org"],
                     "delivery": f["delivery"], "records": records})
    return pool, gen.NDAYS * 86400


def iso(t: int) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out", type=pathlib.Path, help="directory to create (replaced if present)")
    parser.add_argument("--size-mb", type=float, default=1024,
                        help="uncompressed JSON to write, in MiB (default 1024)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--duplicate-rate", type=float, default=0.001,
                        help="share of records delivered twice (default 0.001)")
    parser.add_argument("--activity", type=int, default=4,
                        help="how many times busier than the sample accounts: each delivered "
                             "file holds the records of this many sample files (default 4: "
                             "about 90 KB of JSON per file)")
    parser.add_argument("--level", type=int, default=6, help="gzip level (default 6)")
    args = parser.parse_args()

    started = time.time()
    gen = load_generator(args.seed)
    pool, span = templates(gen)
    # A busier account: each file also carries the records of the next activity-1 files of
    # its stream, moved into its own delivery window (different records, so gzip sees as
    # little repetition as in real files).
    streams: dict[tuple, list] = {}
    for f in pool:
        streams.setdefault((f["acct"], f["region"], f["org"]), []).append(f)
    for files in streams.values():
        for i, f in enumerate(files):
            f["busy"] = []
            for j in range(args.activity):
                other = files[(i + j) % len(files)]
                move = f["delivery"] - other["delivery"]
                f["busy"] += [(t + move, *rest) for t, *rest in other["records"]]
    rng = random.Random(args.seed)
    target = int(args.size_mb * (1 << 20))

    if args.out.exists():
        shutil.rmtree(args.out)
    args.out.mkdir(parents=True)
    totals = {"files": 0, "records": 0, "unique_events": 0, "duplicates": 0,
              "uncompressed_bytes": 0, "compressed_bytes": 0,
              "unauthorized_api_calls": 0, "cloudtrail_changes": 0}
    carried: list[tuple[str, bool, bool]] = []  # records to deliver again in the next file
    suffix_chars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
    copy = 0
    while totals["uncompressed_bytes"] < target:
        shift = copy * span
        for f in pool:
            if totals["uncompressed_bytes"] >= target:
                break
            texts = []
            for t, head, middle, tail, unauth, change in f["busy"]:
                event_id = str(uuid.UUID(int=rng.getrandbits(128), version=4))
                text = f'{head}"{iso(t + shift)}"{middle}"{event_id}"{tail}'
                texts.append(text)
                totals["unique_events"] += 1
                totals["unauthorized_api_calls"] += unauth
                totals["cloudtrail_changes"] += change
                if rng.random() < args.duplicate_rate:
                    carried.append(text)
            texts.extend(carried)
            totals["duplicates"] += len(carried)
            carried = []
            body = ('{"Records":[' + ",".join(texts) + "]}").encode("utf-8")
            delivery = f["delivery"] + shift
            stamp = time.strftime("%Y%m%dT%H%MZ", time.gmtime(delivery))
            ymd = time.strftime("%Y/%m/%d", time.gmtime(delivery))
            prefix = f"AWSLogs/{gen.ORG_ID}/{f['acct']}" if f["org"] else f"AWSLogs/{f['acct']}"
            suffix = "".join(rng.choices(suffix_chars, k=16))
            path = (args.out / prefix / "CloudTrail" / f["region"] / ymd /
                    f"{f['acct']}_CloudTrail_{f['region']}_{stamp}_{suffix}.json.gz")
            path.parent.mkdir(parents=True, exist_ok=True)
            compressor = zlib.compressobj(args.level, zlib.DEFLATED, 31)
            data = compressor.compress(body) + compressor.flush()
            path.write_bytes(data)
            totals["files"] += 1
            totals["records"] += len(texts)
            totals["uncompressed_bytes"] += len(body)
            totals["compressed_bytes"] += len(data)
        copy += 1

    manifest = {"generator": "perf/make-corpus.py", "size_mb": args.size_mb, "seed": args.seed,
                "duplicate_rate": args.duplicate_rate, "activity": args.activity,
                "level": args.level, **totals}
    (args.out / "corpus.json").write_text(json.dumps(manifest, indent=2) + "\n")
    print(f"{args.out}: {totals['files']} files, {totals['records']} records "
          f"({totals['duplicates']} duplicates), {totals['uncompressed_bytes'] / 1e6:.0f} MB "
          f"JSON, {totals['compressed_bytes'] / 1e6:.0f} MB gzip, "
          f"{time.time() - started:.0f} s", file=sys.stderr)


if __name__ == "__main__":
    main()

#!/usr/bin/python3
"""Run a trailreplay scan on a Dask cluster: plan, one shard per task, merge.

    dask_scan.py PATH... --db OUT.db (--local N | --scheduler ADDR) [options]

The planner (this process) runs `trailreplay plan`, submits one task per manifest (each runs
`trailreplay scan --manifest shard-NNNNN.jsonl --db part-NNNNN.db` on a worker; Dask retries a
task whose worker died, and the scan it reruns continues where the killed one stopped), then
runs `trailreplay merge --plan`, which refuses an incomplete set. The work directory (plan and
parts) must be one path every worker sees: local disk for --local, a shared file system (EFS,
FSx, NFS) for a remote cluster, as must the inputs (for S3, a mount such as Mountpoint for
Amazon S3, with --listing to plan from a listing without reading the bucket).

The binary: --binary PATH, else `trailreplay` on the PATH, else build/trailreplay of this
checkout. Needs python3-distributed (Debian) or `pip install distributed`.
"""

from __future__ import annotations

import argparse
import json
import os
import pathlib
import shutil
import subprocess
import sys
import tempfile
import time

ROOT = pathlib.Path(__file__).resolve().parent.parent.parent


def find_binary(given: str | None) -> str:
    if given:
        return str(pathlib.Path(given).resolve())
    on_path = shutil.which("trailreplay")
    if on_path:
        return on_path
    built = ROOT / "build" / "trailreplay"
    if built.is_file():
        return str(built)
    raise SystemExit("error: no trailreplay binary: give --binary PATH, put trailreplay on the "
                     "PATH, or build this checkout (scripts/build.sh)")


def scan_shard(binary: str, manifest: str, part: str, scan_args: list[str]) -> dict:
    """One task: scan a manifest into its part. Runs on a worker."""
    started = time.monotonic()
    p = subprocess.run([binary, "scan", "--manifest", manifest, "--db", part, "--format", "json",
                        *scan_args], capture_output=True, text=True)
    # 0: clean; 3: finished, with bad input recorded in the part's scan_errors.
    if p.returncode not in (0, 3):
        raise RuntimeError(f"scan of {manifest} exited {p.returncode}: {p.stderr.strip()}")
    summary = json.loads(p.stdout)
    summary["manifest"] = manifest
    summary["task_seconds"] = time.monotonic() - started
    return summary


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("paths", nargs="*", metavar="PATH")
    ap.add_argument("--db", required=True, help="the merged database (new)")
    where = ap.add_mutually_exclusive_group(required=True)
    where.add_argument("--local", type=int, metavar="N",
                       help="start a local cluster of N worker processes on 127.0.0.1")
    where.add_argument("--scheduler", metavar="ADDR", help="a running scheduler, tcp://host:8786")
    ap.add_argument("--binary", help="the trailreplay binary (every worker must run it)")
    ap.add_argument("--work", help="directory for the plan and the parts (default: a temporary "
                    "one, removed after the merge; it must be shared with remote workers)")
    ap.add_argument("--shards", type=int,
                    help="manifests (default: 2 per worker, so a slow shard is not the tail)")
    ap.add_argument("--threads", type=int, default=1,
                    help="scan threads per task (default 1: one task per worker core)")
    ap.add_argument("--retries", type=int, default=2, help="Dask retries of a failed task")
    ap.add_argument("--listing", help="plan from this bucket listing instead of PATHs "
                    "(trailreplay plan --listing)")
    ap.add_argument("--listing-root", help="with --listing: where the workers read the keys")
    # Passed to plan and to every scan, so the shards prune and count as one scan would.
    ap.add_argument("--rules", action="append", default=[])
    ap.add_argument("--from", dest="from_", metavar="T")
    ap.add_argument("--to", metavar="T")
    ap.add_argument("--account", action="append", default=[])
    ap.add_argument("--region", action="append", default=[])
    ap.add_argument("--time-basis", choices=["event", "delivery"])
    ap.add_argument("--keep-duplicates", action="store_true")
    args = ap.parse_args()
    if bool(args.paths) == bool(args.listing):
        ap.error("give PATHs or --listing")
    if os.path.exists(args.db):
        ap.error(f"{args.db} exists: the merged database must be new")

    from dask.distributed import Client, LocalCluster  # noqa: PLC0415

    binary = find_binary(args.binary)
    scope = []
    if args.from_:
        scope += ["--from", args.from_]
    if args.to:
        scope += ["--to", args.to]
    for a in args.account:
        scope += ["--account", a]
    for r in args.region:
        scope += ["--region", r]
    if args.time_basis:
        scope += ["--time-basis", args.time_basis]
    scan_args = ["-q", "--threads", str(args.threads), *scope]
    for r in args.rules:
        scan_args += ["--rules", r]
    if args.keep_duplicates:
        scan_args.append("--keep-duplicates")

    cluster = None
    if args.local:
        cluster = LocalCluster(n_workers=args.local, threads_per_worker=1, processes=True,
                               host="127.0.0.1", dashboard_address=None)
        client = Client(cluster)
    else:
        client = Client(args.scheduler)
    temporary = args.work is None
    work = pathlib.Path(args.work or tempfile.mkdtemp(prefix="trailreplay-dask-")).resolve()
    try:
        workers = max(1, len(client.scheduler_info()["workers"]))
        shards = args.shards or 2 * workers
        plan_dir = work / "plan"
        plan_cmd = [binary, "plan", "--shards", str(shards), "--out", str(plan_dir), "-q", *scope]
        if args.listing:
            plan_cmd += ["--listing", args.listing, "--listing-root", args.listing_root or "."]
        else:
            plan_cmd += [str(pathlib.Path(p).resolve()) for p in args.paths]
        subprocess.run(plan_cmd, check=True)
        manifests = sorted(plan_dir.glob("shard-*.jsonl"))
        parts = [str(work / (m.stem.replace("shard", "part") + ".db")) for m in manifests]
        futures = [client.submit(scan_shard, binary, str(m), part, scan_args, pure=False,
                                 retries=args.retries, key=f"trailreplay-{m.stem}")
                   for m, part in zip(manifests, parts)]
        summaries = client.gather(futures)
        events = sum(s["events"] for s in summaries)
        print(f"scanned {len(summaries)} shards on {workers} workers: {events:,} events "
              f"counted before the merge", file=sys.stderr)
        merge = subprocess.run([binary, "merge", *parts, "--db", args.db, "--plan", str(plan_dir)],
                               text=True)
        return merge.returncode
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
        if temporary:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())

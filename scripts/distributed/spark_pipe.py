"""Spark: one partition per manifest, each piped through `trailreplay scan --manifest`.

    spark-submit spark_pipe.py /shared/plan /shared/parts /shared/rules.json all.db

Every executor needs trailreplay on its PATH and the plan, parts and inputs on a shared file
system (EFS, NFS, a mount of the bucket). RDD.pipe writes each element (a shard's index) to the
command's stdin; the command prints the part it wrote, which comes back as the RDD's element.
Spark retries a failed task; the scan it reruns continues where the failed one stopped. The
driver then merges (merge refuses an incomplete set with --plan).
"""

import json
import pathlib
import subprocess
import sys

from pyspark import SparkContext

# Reads the shard index from stdin; exit 3 (bad input recorded in scan_errors) is a success.
SCAN = (
    'read n; i=$(printf %05d "$n"); '
    "trailreplay scan --manifest {plan}/shard-$i.jsonl --db {parts}/part-$i.db "
    "--rules {rules} --threads 1 -q; rc=$?; "
    '{{ [ $rc -eq 0 ] || [ $rc -eq 3 ]; }} && echo {parts}/part-$i.db'
)


def main() -> None:
    plan, parts, rules, out = sys.argv[1:5]
    shards = json.loads(pathlib.Path(plan, "plan.json").read_text())["shards"]
    sc = SparkContext(appName="trailreplay-scan")
    command = ["sh", "-c", SCAN.format(plan=plan, parts=parts, rules=rules)]
    written = sc.parallelize(range(shards), shards).pipe(command).collect()
    sc.stop()
    subprocess.run(["trailreplay", "merge", *sorted(written), "--db", out, "--plan", plan],
                   check=True)


if __name__ == "__main__":
    main()

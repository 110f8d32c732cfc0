#!/usr/bin/python3
"""The recipes of scripts/distributed/ are well-formed and run the current command line.

Each recipe (AWS Batch job definition and array submission, Kubernetes Indexed Job, Spark
RDD.pipe snippet) is parsed as what it is (JSON, YAML, Python), checked for the index variable
its engine sets, and its shell command is run as the engine would run it, with the index set
and its paths moved to a temporary directory holding a real plan: the scan must write the part
that merge then accepts. Every trailreplay option the recipes name must be in the command's
--help. Needs PyYAML (Debian python3-yaml), hence /usr/bin/python3; skipped (77) without it.

    recipes_test.py --binary build/trailreplay --source-dir .
"""

from __future__ import annotations

import argparse
import ast
import json
import os
import pathlib
import re
import subprocess
import sys
import tempfile

FAILURES: list[str] = []


def expect(condition: bool, what: str) -> None:
    print(("ok   " if condition else "FAIL ") + what)
    if not condition:
        FAILURES.append(what)


def options_named(text: str) -> list[tuple[str, str]]:
    """(command, option) for every `trailreplay COMMAND ... --option` in a shell text."""
    found = []
    for m in re.finditer(r"trailreplay\s+([a-z-]+)([^;|&]*)", text):
        for opt in re.findall(r"(?<!\S)(--?[A-Za-z][\w-]*)", m.group(2)):
            found.append((m.group(1), opt))
    return found


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--binary", required=True)
    ap.add_argument("--source-dir", required=True)
    args = ap.parse_args()
    try:
        import yaml  # noqa: PLC0415
    except ImportError:
        print("skipped: PyYAML is not installed")
        return 77
    binary = str(pathlib.Path(args.binary).resolve())
    d = pathlib.Path(args.source_dir).resolve() / "scripts" / "distributed"

    batch = json.loads((d / "aws-batch-job-definition.json").read_text())
    submit = json.loads((d / "aws-batch-submit-job.json").read_text())
    batch_cmd = batch["containerProperties"]["command"]
    expect(batch_cmd[:2] == ["sh", "-c"] and "AWS_BATCH_JOB_ARRAY_INDEX" in batch_cmd[2],
           "AWS Batch: the job definition's command reads AWS_BATCH_JOB_ARRAY_INDEX")
    expect(submit["arrayProperties"]["size"] >= 2 and
           submit["jobDefinition"] == batch["jobDefinitionName"],
           "AWS Batch: the submission is an array job of that definition")
    job = yaml.safe_load((d / "kubernetes-indexed-job.yaml").read_text())
    spec = job["spec"]
    container = spec["template"]["spec"]["containers"][0]
    k8s_cmd = container["command"]
    expect(job["kind"] == "Job" and spec["completionMode"] == "Indexed" and
           k8s_cmd[:2] == ["sh", "-c"] and "JOB_COMPLETION_INDEX" in k8s_cmd[2],
           "Kubernetes: an Indexed Job whose command reads JOB_COMPLETION_INDEX")
    spark_source = (d / "spark_pipe.py").read_text()
    tree = ast.parse(spark_source)
    scan_template = next(n.value for n in ast.walk(tree) if isinstance(n, ast.Assign) and
                         any(getattr(t, "id", "") == "SCAN" for t in n.targets))
    spark_cmd = ast.literal_eval(scan_template)
    expect(".pipe(" in spark_source, "Spark: the snippet parses and pipes through RDD.pipe")

    # Every option named exists.
    helps = {}
    texts = [batch_cmd[2], k8s_cmd[2], spark_cmd,
             "trailreplay merge --db x --plan y"]  # what the recipes say to run after
    for command, option in [o for t in texts for o in options_named(t)]:
        if command not in helps:
            helps[command] = subprocess.run([binary, command, "--help"], capture_output=True,
                                            text=True).stdout
        expect(re.search(rf"(^|[\s,]){re.escape(option)}([\s,=]|$)", helps[command],
                         re.M) is not None, f"trailreplay {command} {option} exists")

    # Run each command as its engine would, on a real plan.
    with tempfile.TemporaryDirectory(prefix="recipes-") as tmp:
        t = pathlib.Path(tmp)
        bindir = t / "bin"
        bindir.mkdir()
        (bindir / "trailreplay").symlink_to(binary)
        env = dict(os.environ, PATH=f"{bindir}:{os.environ['PATH']}")
        sample = pathlib.Path(args.source_dir).resolve() / "sample-data" / "AWSLogs"
        for root in ("efs", "data"):
            (t / root / "parts").mkdir(parents=True)
            subprocess.run([binary, "plan", str(sample), "--shards", "3", "--out",
                            str(t / root / "plan"), "-q"], check=True)
            (t / root / "rules.json").write_text(json.dumps({"metricFilters": [{
                "filterName": "any_error", "filterPattern": '{ $.errorCode = "*" }',
                "logGroupName": "trail", "metricTransformations": [{
                    "metricName": "Errors", "metricNamespace": "T", "metricValue": "1"}]}]}))
        runs = [("AWS Batch", batch_cmd[2].replace("/mnt/efs", str(t / "efs")),
                 {"AWS_BATCH_JOB_ARRAY_INDEX": "1"}, None, t / "efs"),
                ("Kubernetes", k8s_cmd[2].replace("/data", str(t / "data")),
                 {"JOB_COMPLETION_INDEX": "2"}, None, t / "data")]
        for label, command, extra, stdin, root in runs:
            p = subprocess.run(["sh", "-c", command], env={**env, **extra}, input=stdin,
                               capture_output=True, text=True)
            index = int(next(iter(extra.values())))
            expect(p.returncode == 0 and (root / "parts" / f"part-{index:05d}.db").is_file(),
                   f"{label}: the command scans shard {index} into its part ({p.stderr.strip()})")
        spark = spark_cmd.format(plan=t / "efs" / "plan", parts=t / "efs" / "parts",
                                 rules=t / "efs" / "rules.json")
        p = subprocess.run(["sh", "-c", spark], env=env, input="0\n", capture_output=True,
                           text=True)
        expect(p.returncode == 0 and p.stdout.strip() == str(t / "efs/parts/part-00000.db"),
               f"Spark: the piped command scans shard 0 and prints its part ({p.stderr.strip()})")
        # Shard 2 of the first plan, as the other engines' runs scanned it.
        subprocess.run([binary, "scan", "--manifest", str(t / "efs/plan/shard-00002.jsonl"),
                        "--db", str(t / "efs/parts/part-00002.db"), "--rules",
                        str(t / "efs/rules.json"), "-q"], check=True)
        parts = sorted(str(x) for x in (t / "efs" / "parts").glob("part-*.db"))
        p = subprocess.run([binary, "merge", *parts, "--db", str(t / "all.db"), "--plan",
                            str(t / "efs" / "plan")], capture_output=True, text=True)
        expect(p.returncode == 0, f"the recipes' parts merge with --plan ({p.stderr.strip()})")
    print("all recipe checks passed" if not FAILURES else f"{len(FAILURES)} failed")
    return 1 if FAILURES else 0


if __name__ == "__main__":
    sys.exit(main())

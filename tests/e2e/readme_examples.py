#!/usr/bin/env python3
"""Every example in the README runs: each `$ trailreplay ...` line of an indented block is run,
in order, in one scratch directory that holds a link to sample-data/, and what it prints
(standard output, then standard error) must be the lines that follow it in the README. A line `...` stands for any
number of lines; durations, rates and file sizes (`0.18 s`, `41 MB/s`, `27,686 records/s`,
`53 KiB`) compare as numbers of their kind, since they differ from run to run.

Usage: readme_examples.py --binary build/trailreplay --source-dir .
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

VARYING = re.compile(r"\d[\d,]*(?:\.\d+)? (s|MB/s|records/s|KiB)\b")


def examples(readme: str) -> list[tuple[int, str, list[str]]]:
    """(line number, command, expected lines) of every `$ trailreplay` example."""
    out: list[tuple[int, str, list[str]]] = []
    lines = readme.split("\n")
    current = None
    indent = 0
    for number, line in enumerate(lines, 1):
        if not line.strip():
            if current is not None:
                current[2].append("")
            continue
        depth = len(line) - len(line.lstrip(" "))
        if line.lstrip().startswith("$ ") and depth >= 4:
            indent = depth
            current = (number, line.lstrip()[2:], [])
            out.append(current)
        elif current is not None and depth >= indent:
            current[2].append(line[indent:])
        else:
            current = None
    for _, _, expected in out:
        while expected and expected[-1] == "":
            expected.pop()
    return [e for e in out if e[1].startswith("trailreplay ")]


def normal(line: str) -> str:
    return VARYING.sub(lambda m: "<n " + m.group(1) + ">", line.rstrip())


def matches(expected: list[str], actual: list[str]) -> bool:
    if not expected:
        return not actual
    if expected[0].strip() == "...":
        return any(matches(expected[1:], actual[i:]) for i in range(len(actual) + 1))
    return bool(actual) and normal(expected[0]) == normal(actual[0]) and \
        matches(expected[1:], actual[1:])


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--binary", required=True)
    parser.add_argument("--source-dir", required=True)
    args = parser.parse_args()
    source = Path(args.source_dir).resolve()
    found = examples((source / "README.md").read_text(encoding="utf-8"))
    if len(found) < 5:
        print(f"only {len(found)} examples found in the README: the parser is broken")
        return 1
    failures = 0
    with tempfile.TemporaryDirectory(prefix="trailreplay-readme-") as tmp:
        bin_dir = Path(tmp, "bin")
        bin_dir.mkdir()
        (bin_dir / "trailreplay").symlink_to(Path(args.binary).resolve())
        work = Path(tmp, "work")
        work.mkdir()
        (work / "sample-data").symlink_to(source / "sample-data")
        env = dict(os.environ, PATH=f"{bin_dir}:{os.environ['PATH']}", TZ="UTC", LC_ALL="C")
        for number, command, expected in found:
            run = subprocess.run(["bash", "-c", command], cwd=work, env=env, capture_output=True,
                                 text=True, timeout=300)
            printed = (run.stdout + run.stderr).rstrip("\n")  # an error example shows stderr
            actual = printed.split("\n") if printed.strip() else []
            if matches(expected, actual):
                print(f"README.md:{number}: ok: {command[:70]}")
                continue
            failures += 1
            print(f"README.md:{number}: {command}\n  exit {run.returncode}; expected:")
            print("\n".join("    " + e for e in expected))
            print("  printed:")
            print("\n".join("    " + a for a in actual))
    # The matcher itself must be able to fail.
    assert not matches(["a", "b"], ["a", "c"]) and matches(["a", "...", "z"], ["a", "b", "z"])
    assert matches(["in 0.18 s"], ["in 2.5 s"]) and not matches(["12 events"], ["13 events"])
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())

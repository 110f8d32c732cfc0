#!/usr/bin/env python3
"""Golden end-to-end tests: run the real trailreplay binary on one .case file and compare.

Usage (what ctest runs):

    python3 tests/golden/run_golden.py --binary PATH/trailreplay --source-dir SRC \\
        tests/golden/NAME.case [--accept]

Case file format
----------------
A case file is UTF-8 text made of fields, blocks, comments and blank lines:

    # Free-text comments: what the case pins and why.
    args: test-pattern --pattern '{ $.errorCode = "AccessDenied*" }' --format aws
    stdin:
    | {"errorCode":"AccessDenied"}
    |
    | not json
    exit: 0
    stdout:
    | ...
    stderr:
    | ...

Fields (one line each):
  args:   the command-line arguments after the binary, split with shlex (POSIX rules, so
          quote patterns with '...'). Every occurrence of `{source}` in a token is replaced by
          --source-dir, so a case can read `{source}/tests/golden/data/x.jsonl`. Required.
  exit:   the expected exit status (an integer). Omitted means 0.

Blocks (a header line `stdin:`, `stdout:` or `stderr:`, then content lines):
  Every content line starts with `|`. The text of the line is what follows `| ` (a `|`
  alone, or `| ` with nothing after it, is an empty line). The block ends at the first line
  that does not start with `|`. Because content is prefixed, blank lines, lines starting with
  `#`, lines that look like headers and trailing blanks inside content are all unambiguous,
  and blank lines or comments may separate blocks freely.

  stdin:  fed to the binary byte-exact. The rule: each content line contributes its text
          followed by "\\n". A line `\\ no newline at end` right after the last content line
          (the convention of `diff`) drops that final "\\n". A `stdin:` header with no content
          lines, or no stdin block at all, means empty stdin (zero bytes). A "\\r" typed in
          a content line is passed through as is.
  stdout, stderr:
          the expected output after normalisation (below). Compared as whole sections,
          insensitive to trailing newlines only (both sides have trailing "\\n" stripped; any
          other whitespace counts). An omitted block means the stream must be empty.

Anything outside blocks that is not a field is a comment (`#`) or a blank line; anything
else is a format error.

Running
-------
The binary runs with cwd = a fresh temporary directory, env TZ=UTC and LC_ALL=C, and a 60 s
timeout. Before comparing, stdout and stderr are normalised: the source dir (as given and as
resolved) becomes `{source}`, the temp dir becomes `{tmp}`, and the version line that
`trailreplay --version` prints (`trailreplay X.Y.Z`) becomes `trailreplay {version}`.

On success prints `PASS NAME` and exits 0. On mismatch prints a unified diff per differing
stream (expected -> actual) and exits 1. A malformed case file or a harness problem exits 2.

--accept rewrites the case's expected sections (exit, stdout, stderr) from the actual output
and leaves everything else (comments, args, stdin) untouched. Accepting is a deliberate step:
review the resulting diff of the .case file before committing it.
"""

from __future__ import annotations

import argparse
import difflib
import os
import re
import shlex
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

TIMEOUT_SECONDS = 60
NO_EOL_MARKER = "\\ no newline at end"
BLOCK_NAMES = ("stdin", "stdout", "stderr")
EXPECTED_KINDS = ("exit", "stdout", "stderr")


class CaseError(Exception):
    """The case file is malformed."""


@dataclass
class Item:
    """One piece of a case file, kept with its raw lines so --accept can rewrite in place."""

    kind: str  # "other" (comment/blank), "args", "exit", "stdin", "stdout", "stderr"
    raw: list[str]
    value: str = ""  # args: the text after `args:`; exit: the number text
    content: list[str] = field(default_factory=list)  # blocks: the lines' text
    no_eol: bool = False  # stdin only


@dataclass
class Case:
    name: str
    items: list[Item]

    def find(self, kind: str) -> Item | None:
        found = [item for item in self.items if item.kind == kind]
        return found[0] if found else None


def parse_case(path: Path) -> Case:
    text = path.read_text(encoding="utf-8", errors="surrogateescape")
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()  # the file's own final newline
    items: list[Item] = []
    seen: set[str] = set()
    i = 0
    while i < len(lines):
        line = lines[i]
        lineno = i + 1
        header = line.rstrip()
        if header in (name + ":" for name in BLOCK_NAMES):
            kind = header[:-1]
            if kind in seen:
                raise CaseError(f"{path}:{lineno}: second '{kind}:' block")
            seen.add(kind)
            item = Item(kind, [line])
            i += 1
            while i < len(lines) and lines[i].startswith("|"):
                body = lines[i][1:]
                if body and not body.startswith(" "):
                    raise CaseError(
                        f"{path}:{i + 1}: content lines start with '| ' (or are '|' alone)")
                item.content.append(body[1:])
                item.raw.append(lines[i])
                i += 1
            if i < len(lines) and lines[i] == NO_EOL_MARKER:
                if kind != "stdin":
                    raise CaseError(f"{path}:{i + 1}: '{NO_EOL_MARKER}' is for stdin only")
                if not item.content:
                    raise CaseError(f"{path}:{i + 1}: '{NO_EOL_MARKER}' needs a content line")
                item.no_eol = True
                item.raw.append(lines[i])
                i += 1
            items.append(item)
            continue
        match = re.match(r"^(args|exit):(.*)$", line)
        if match:
            kind, value = match.group(1), match.group(2).strip()
            if kind in seen:
                raise CaseError(f"{path}:{lineno}: second '{kind}:' field")
            seen.add(kind)
            if kind == "exit" and not re.fullmatch(r"-?\d+", value):
                raise CaseError(f"{path}:{lineno}: exit: takes an integer, got '{value}'")
            items.append(Item(kind, [line], value=value))
            i += 1
            continue
        if line.strip() == "" or line.lstrip().startswith("#"):
            items.append(Item("other", [line]))
            i += 1
            continue
        if line.startswith("|") or line == NO_EOL_MARKER:
            raise CaseError(f"{path}:{lineno}: content line outside a stdin/stdout/stderr block")
        raise CaseError(
            f"{path}:{lineno}: expected a comment, 'args:', 'exit:', 'stdin:', 'stdout:' or "
            f"'stderr:', got: {line!r}")
    if "args" not in seen:
        raise CaseError(f"{path}: no 'args:' line")
    return Case(path.stem, items)


def stdin_bytes(case: Case) -> bytes:
    item = case.find("stdin")
    if item is None or not item.content:
        return b""
    data = "".join(line + "\n" for line in item.content)
    if item.no_eol:
        data = data[:-1]
    return data.encode("utf-8", errors="surrogateescape")


def expected_text(case: Case, kind: str) -> str:
    item = case.find(kind)
    return "" if item is None else "\n".join(item.content)


def expected_exit(case: Case) -> int:
    item = case.find("exit")
    return 0 if item is None else int(item.value)


def render_block(kind: str, text: str) -> list[str]:
    """The lines of an expected-output block; empty output renders as no block at all."""
    text = text.rstrip("\n")
    if text == "":
        return []
    out = [kind + ":"]
    for line in text.split("\n"):
        out.append("|" if line == "" else "| " + line)
    return out


def accept(path: Path, case: Case, code: int, stdout: str, stderr: str) -> None:
    new_lines = [f"exit: {code}"] + render_block("stdout", stdout) + render_block("stderr", stderr)
    out: list[str] = []
    inserted = False
    for item in case.items:
        if item.kind in EXPECTED_KINDS:
            if not inserted:
                out.extend(new_lines)
                inserted = True
            continue
        out.extend(item.raw)
    if not inserted:
        while out and out[-1].strip() == "":
            out.pop()
        out.extend(new_lines)
    path.write_text("\n".join(out) + "\n", encoding="utf-8", errors="surrogateescape")
    # The rewritten file must read back as what was just accepted.
    again = parse_case(path)
    if (expected_exit(again) != code or expected_text(again, "stdout") != stdout.rstrip("\n")
            or expected_text(again, "stderr") != stderr.rstrip("\n")
            or stdin_bytes(again) != stdin_bytes(case)):
        raise CaseError(f"{path}: accepted output does not read back identically")


def binary_version(binary: str) -> str | None:
    """The `trailreplay X.Y.Z` line, if --version prints a well-formed one."""
    try:
        result = subprocess.run([binary, "--version"], capture_output=True, timeout=TIMEOUT_SECONDS,
                                check=False)
    except (OSError, subprocess.TimeoutExpired):
        return None
    text = result.stdout.decode("utf-8", errors="surrogateescape").strip()
    if result.returncode == 0 and re.fullmatch(r"trailreplay \d+\.\d+\.\d+[0-9A-Za-z.+-]*", text):
        return text
    return None


def normalise(text: str, replacements: list[tuple[str, str]]) -> str:
    for old, new in replacements:
        if old:
            text = text.replace(old, new)
    return text


def diff(kind: str, name: str, expected: str, actual: str) -> str:
    # An empty stream diffs as no lines at all, not as one empty line.
    lines = difflib.unified_diff(
        expected.split("\n") if expected else [], actual.split("\n") if actual else [],
        fromfile=f"{name}: expected {kind}", tofile=f"{name}: actual {kind}", lineterm="")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description="Run one golden end-to-end case.")
    parser.add_argument("--binary", required=True, help="the trailreplay binary")
    parser.add_argument("--source-dir", required=True, help="the source tree ({source} in cases)")
    parser.add_argument("--accept", action="store_true",
                        help="rewrite the case's exit/stdout/stderr from the actual output")
    parser.add_argument("case", help="a .case file")
    options = parser.parse_args()

    path = Path(options.case)
    try:
        case = parse_case(path)
    except (OSError, CaseError) as error:
        print(f"ERROR {path.stem}: {error}", file=sys.stderr)
        return 2

    binary = os.path.abspath(options.binary)
    # Absolute: cases run in a temp dir, and a relative spelling such as "." would otherwise be
    # "normalised" wherever a dot appears in the output.
    source = os.path.abspath(options.source_dir)
    args_item = case.find("args")
    assert args_item is not None
    try:
        args = [token.replace("{source}", source) for token in shlex.split(args_item.value)]
    except ValueError as error:
        print(f"ERROR {case.name}: args: {error}", file=sys.stderr)
        return 2

    env = dict(os.environ, TZ="UTC", LC_ALL="C")
    with tempfile.TemporaryDirectory(prefix="golden-") as tmp:
        try:
            result = subprocess.run([binary, *args], input=stdin_bytes(case), capture_output=True,
                                    cwd=tmp, env=env, timeout=TIMEOUT_SECONDS, check=False)
        except subprocess.TimeoutExpired:
            print(f"FAIL {case.name}: timed out after {TIMEOUT_SECONDS} s", file=sys.stderr)
            return 1
        except OSError as error:
            print(f"ERROR {case.name}: cannot run {binary}: {error}", file=sys.stderr)
            return 2

        replacements: list[tuple[str, str]] = []
        for directory, token in ((source, "{source}"), (tmp, "{tmp}")):
            real = os.path.realpath(directory)
            # Longer spelling first so a resolved path inside the given one is not half-replaced.
            for spelling in sorted({directory, real}, key=len, reverse=True):
                if spelling != "/":
                    replacements.append((spelling, token))
        version = binary_version(binary)
        if version is not None:
            replacements.append((version, "trailreplay {version}"))

        stdout = normalise(result.stdout.decode("utf-8", errors="surrogateescape"), replacements)
        stderr = normalise(result.stderr.decode("utf-8", errors="surrogateescape"), replacements)

    code = result.returncode
    if options.accept:
        try:
            accept(path, case, code, stdout, stderr)
        except CaseError as error:
            print(f"ERROR {case.name}: {error}", file=sys.stderr)
            return 2
        print(f"ACCEPTED {case.name} (review the diff of {path} before committing)")
        return 0

    failures: list[str] = []
    if code != expected_exit(case):
        failures.append(f"exit status: expected {expected_exit(case)}, got {code}")
    for kind, actual in (("stdout", stdout), ("stderr", stderr)):
        expected = expected_text(case, kind).rstrip("\n")
        if expected != actual.rstrip("\n"):
            failures.append(diff(kind, case.name, expected, actual.rstrip("\n")))
    if failures:
        print(f"FAIL {case.name} ({path})")
        for failure in failures:
            print(failure)
        print("(if the new output is right, rerun with --accept and review the .case diff)")
        return 1
    print(f"PASS {case.name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

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

A case that scans files into a database adds setup steps and queries:

    file: logs/a.json.gz gzip
    | {"Records":[{"eventTime":"2024-03-01T00:00:00Z", ...}]}
    before: scan logs --db s.db --progress never
    file: logs/b.json
    | {"Records":[ ... ]}
    args: scan logs --db s.db --progress never
    stdout:
    | scan complete: ...
    query: s.db SELECT path, status FROM inputs ORDER BY path
    rows:
    | logs/a.json.gz|ok
    | logs/b.json|ok

Fields (one line each):
  args:   the command-line arguments after the binary, split with shlex (POSIX rules, so
          quote patterns with '...'). Every occurrence of `{source}` in a token is replaced by
          --source-dir and `{tmp}` by the run's temporary directory, so a case can read
          `{source}/tests/golden/data/x.jsonl`. Required, once.
  exit:   the expected exit status (an integer). Omitted means 0.
  before: ARGS
          a setup run of the binary (same rules as args:, empty stdin), any number of times.
          Its output is ignored; its exit status must be 0 or 3 (3: `scan` finished but met
          bad input), anything else fails the case with the run's stderr.

Blocks (a header line, then content lines):
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
  stdin, stdout and stderr appear at most once each.

Input files (setup blocks, any number, each path at most once):
  file: RELPATH [hex] [plain|gzip|gzip-multi] [level=N] [truncate=N]
          writes a file at RELPATH inside the temporary directory (parent directories are
          created). RELPATH is relative and may not contain `..`. The content lines give the
          bytes, then the encoding transforms them:
            (text)      the content lines follow the stdin rule: each line's text plus "\\n",
                        and `\\ no newline at end` may follow the last line.
            hex         each content line is hex digits, blanks ignored (`1f 8b 08 00`):
                        for binary garbage. `\\ no newline at end` does not apply.
            plain       the bytes as they are (the default).
            gzip        one gzip member: gzip.compress(bytes, compresslevel=N, mtime=0),
                        so no file name and mtime 0; level=N (0-9) defaults to 9. level=0
                        stores the data uncompressed inside deflate, which makes a byte
                        offset into the file stable across zlib versions (use it with
                        truncate=).
            gzip-multi  each content line (with its "\\n", or its hex bytes) compressed as
                        its own gzip member, the members concatenated (as `cat a.gz b.gz`).
            truncate=N  after encoding, keep only the first N bytes; a negative N drops the
                        last -N bytes instead (truncate=-8 removes a gzip trailer). For
                        truncated-gzip cases.
  archive: RELPATH tar|tar.gz|zip
          builds an archive at RELPATH (same path rules) from content lines, one member each,
          in the order listed:
            | MEMBER <- FILE_RELPATH      a regular member holding the bytes of the file at
                                          FILE_RELPATH, which a `file:` block earlier in the
                                          case declares
            | symlink MEMBER -> TARGET    a symbolic link
            | dir MEMBER                  a directory
          MEMBER is taken literally (`../evil.json` and absolute names are allowed: that is
          what such cases test). Builds are deterministic: mtime 0, uid/gid 0, no user names,
          modes 0644 (files), 0755 (directories), 0777 (links); tar is GNU format, tar.gz is
          that tar through gzip.compress(mtime=0), zip members are deflated, dated
          1980-01-01 00:00 and carry Unix modes. The files an archive takes its members from
          are written to disk too: put them under a directory the case does not scan (by
          convention `src/`).
  Setup steps (file:, archive:, before:) run in the order they appear in the case, all before
  the main run whatever the position of args:. So `file: a`, `before: scan ...`, `file: b`
  scans a first and then adds b for the main run. Written files keep the modification time
  of their writing (not fixed): do not query inputs.mtime_ns.

Queries (any number, checked after the main run, in order):
  query: DB SQL
          DB is the database path (relative paths are inside the temporary directory;
          `{tmp}` and `{source}` are replaced as in args:); SQL is the rest of the line, one
          statement. The query must contain ORDER BY (rows must come in a defined order;
          a one-row aggregate can say `ORDER BY 1`), or the case is malformed. It runs with
          Python's sqlite3 module on a read-only connection (`file:DB?mode=ro`), given
          record_json() (tests/support/record_json.py), which the matches view reads raw
          records with.
  rows:   the expected result, a block right after its query: line (no line in between).
          One content line per row, the values joined by `|` as in the sqlite3 shell's
          default list mode: NULL is the empty string, an INTEGER its digits, a REAL Python's
          repr (12.0, 0.5), TEXT as is, a BLOB X'hex'. A value holding a newline continues
          on the next content line (compared line by line, so this stays exact). `rows:`
          with no content lines, or no rows: block at all, means no rows. Rows are
          normalised like stdout. A query that fails (no such table, no database) fails the
          case and cannot be accepted.

Anything outside blocks that is not a field is a comment (`#`) or a blank line; anything
else is a format error.

`chmod:` (unreadable files) is deliberately not supported: tests run as root in CI, where a
mode of 000 does not stop reading, so such a case could not pin anything.

Running
-------
The binary runs with cwd = a fresh temporary directory (where setup wrote its files), env
TZ=UTC and LC_ALL=C, and a 60 s timeout per run. Before comparing, stdout, stderr and query
rows are normalised, in this order:
  1. the source dir (as given and as resolved) becomes `{source}`, the temp dir `{tmp}`;
  2. the version line that `trailreplay --version` prints (`trailreplay X.Y.Z`) becomes
     `trailreplay {version}`;
  3. every regex of NORMALISERS below is replaced, in the order listed (timings and rates,
     which vary from run to run):
       ` in 0.03 s`                          -> ` in {secs} s`
       `(116 MB/s, 78,568 records/s)`        -> `({rate})`
       `"seconds":0.0345` (also 1e-05, 0)    -> `"seconds":{secs}`

On success prints `PASS NAME` and exits 0. On mismatch prints a unified diff per differing
stream or query (expected -> actual) and exits 1; a `before:` run with another exit status
than 0 or 3, or a failing query, also exits 1. A malformed case file or a harness problem
exits 2.

--accept rewrites the case's expected sections (exit, stdout, stderr, and the rows: block of
every query, added where missing) from the actual output and leaves everything else
(comments, args, stdin, setup, queries) untouched. It refuses (exit 2) when a before: run or
a query failed. Accepting is a deliberate step: review the resulting diff of the .case file
before committing it.
"""

from __future__ import annotations

import argparse
import difflib
import gzip
import io
import os
import re
import shlex
import sqlite3
import stat
import subprocess
import sys
import tarfile
import tempfile
import urllib.parse
import zipfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "support"))
import record_json  # noqa: E402

TIMEOUT_SECONDS = 60
NO_EOL_MARKER = "\\ no newline at end"
BLOCK_NAMES = ("stdin", "stdout", "stderr")
EXPECTED_KINDS = ("exit", "stdout", "stderr")
FIELD_NAMES = ("args", "exit", "before")
BEFORE_EXIT_OK = (0, 3)
ARCHIVE_FORMATS = ("tar", "tar.gz", "zip")
FILE_ENCODINGS = ("plain", "gzip", "gzip-multi")

# Timings and rates vary from run to run: (regex, replacement), applied in order.
NORMALISERS: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r" in \d+(?:\.\d+)? s\b"), " in {secs} s"),
    (re.compile(r"\(\d[\d,]*(?:\.\d+)? MB/s, \d[\d,]* records/s\)"), "({rate})"),
    (re.compile(r'"seconds":-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?'), '"seconds":{secs}'),
]


class CaseError(Exception):
    """The case file is malformed."""


@dataclass
class Item:
    """One piece of a case file, kept with its raw lines so --accept can rewrite in place."""

    # "other" (comment/blank), "args", "exit", "before", "stdin", "stdout", "stderr", "file",
    # "archive", "query"
    kind: str
    raw: list[str]
    lineno: int = 0
    value: str = ""  # args/before: the text after the colon; exit: the number; query: DB SQL
    content: list[str] = field(default_factory=list)  # blocks: the lines' text
    no_eol: bool = False  # stdin and text file blocks
    path: str = ""  # file/archive: RELPATH
    options: list[str] = field(default_factory=list)  # file/archive: the words after RELPATH
    data: bytes = b""  # file: the encoded bytes
    # query: the rows block (None when absent) and its raw lines
    rows: list[str] | None = None
    rows_raw: list[str] = field(default_factory=list)
    db: str = ""  # query
    sql: str = ""  # query


@dataclass
class Case:
    name: str
    items: list[Item]

    def find(self, kind: str) -> Item | None:
        found = [item for item in self.items if item.kind == kind]
        return found[0] if found else None

    def all(self, kind: str) -> list[Item]:
        return [item for item in self.items if item.kind == kind]


def read_content(path: Path, lines: list[str], i: int, item: Item) -> int:
    """Appends the `|` lines from lines[i] on to item; returns the index after them."""
    while i < len(lines) and lines[i].startswith("|"):
        body = lines[i][1:]
        if body and not body.startswith(" "):
            raise CaseError(f"{path}:{i + 1}: content lines start with '| ' (or are '|' alone)")
        item.content.append(body[1:])
        item.raw.append(lines[i])
        i += 1
    return i


def check_relpath(path: Path, lineno: int, rel: str) -> str:
    pure = PurePosixPath(rel)
    if rel == "" or pure.is_absolute() or ".." in pure.parts or str(pure) != rel.rstrip("/"):
        raise CaseError(
            f"{path}:{lineno}: '{rel}' must be a plain relative path (no '..', no '//', no './')")
    return str(pure)


def text_bytes(content: list[str], no_eol: bool) -> bytes:
    data = "".join(line + "\n" for line in content)
    if no_eol:
        data = data[:-1]
    return data.encode("utf-8", errors="surrogateescape")


def encode_file(path: Path, item: Item) -> bytes:
    """The bytes a `file:` block writes, per its options."""
    hex_mode = False
    encoding = None
    level = 9
    truncate: int | None = None
    for word in item.options:
        if word == "hex":
            hex_mode = True
        elif word in FILE_ENCODINGS:
            if encoding is not None:
                raise CaseError(f"{path}:{item.lineno}: two encodings ('{encoding}', '{word}')")
            encoding = word
        elif re.fullmatch(r"level=[0-9]", word):
            level = int(word[6:])
        elif re.fullmatch(r"truncate=-?\d+", word):
            truncate = int(word[9:])
        else:
            raise CaseError(
                f"{path}:{item.lineno}: unknown file option '{word}' (hex, plain, gzip, "
                f"gzip-multi, level=N, truncate=N)")
    encoding = encoding or "plain"
    if any(w.startswith("level=") for w in item.options) and encoding == "plain":
        raise CaseError(f"{path}:{item.lineno}: level= needs gzip or gzip-multi")
    if hex_mode and item.no_eol:
        raise CaseError(f"{path}:{item.lineno}: '{NO_EOL_MARKER}' does not apply to hex")
    pieces: list[bytes] = []
    if hex_mode:
        for offset, line in enumerate(item.content):
            try:
                pieces.append(bytes.fromhex(line))
            except ValueError:
                raise CaseError(
                    f"{path}:{item.lineno + 1 + offset}: not hex bytes: {line!r}") from None
    else:
        pieces = [text_bytes([line], False) for line in item.content]
        if item.no_eol and pieces:
            pieces[-1] = pieces[-1][:-1]
    if encoding == "plain":
        data = b"".join(pieces)
    elif encoding == "gzip":
        data = gzip.compress(b"".join(pieces), compresslevel=level, mtime=0)
    else:
        data = b"".join(gzip.compress(piece, compresslevel=level, mtime=0) for piece in pieces)
    if truncate is not None:
        data = data[:truncate] if truncate >= 0 else data[:len(data) + truncate]
    return data


def build_archive(path: Path, item: Item, files: dict[str, bytes]) -> bytes:
    """The bytes of an `archive:` block, built deterministically."""
    if len(item.options) != 1 or item.options[0] not in ARCHIVE_FORMATS:
        raise CaseError(f"{path}:{item.lineno}: archive: RELPATH tar|tar.gz|zip")
    fmt = item.options[0]
    members: list[tuple[str, str, bytes | str]] = []  # (type, name, data or link target)
    for offset, line in enumerate(item.content):
        lineno = item.lineno + 1 + offset
        if match := re.fullmatch(r"symlink (.+) -> (.+)", line):
            members.append(("symlink", match.group(1), match.group(2)))
        elif match := re.fullmatch(r"dir (.+)", line):
            members.append(("dir", match.group(1), b""))
        elif match := re.fullmatch(r"(.+) <- (.+)", line):
            source = match.group(2)
            if source not in files:
                raise CaseError(
                    f"{path}:{lineno}: '{source}' is not declared by a file: block above")
            members.append(("file", match.group(1), files[source]))
        else:
            raise CaseError(
                f"{path}:{lineno}: archive lines are 'MEMBER <- FILE', 'symlink MEMBER -> "
                f"TARGET' or 'dir MEMBER', got {line!r}")
    if fmt == "zip":
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as archive:
            for kind, name, payload in members:
                if kind == "dir" and not name.endswith("/"):
                    name += "/"
                info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
                info.create_system = 3  # Unix, so the mode bits count
                if kind == "file":
                    info.external_attr = (stat.S_IFREG | 0o644) << 16
                    info.compress_type = zipfile.ZIP_DEFLATED
                    archive.writestr(info, payload)
                elif kind == "dir":
                    info.external_attr = ((stat.S_IFDIR | 0o755) << 16) | 0x10
                    archive.writestr(info, b"")
                else:
                    info.external_attr = (stat.S_IFLNK | 0o777) << 16
                    archive.writestr(info, str(payload).encode("utf-8"))
        return buffer.getvalue()
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.GNU_FORMAT) as archive:
        for kind, name, payload in members:
            info = tarfile.TarInfo(name)
            info.mtime = 0
            info.uid = info.gid = 0
            info.uname = info.gname = ""
            if kind == "file":
                assert isinstance(payload, bytes)
                info.mode = 0o644
                info.size = len(payload)
                archive.addfile(info, io.BytesIO(payload))
            elif kind == "dir":
                info.type = tarfile.DIRTYPE
                info.mode = 0o755
                archive.addfile(info)
            else:
                info.type = tarfile.SYMTYPE
                info.mode = 0o777
                info.linkname = str(payload)
                archive.addfile(info)
    data = buffer.getvalue()
    return gzip.compress(data, mtime=0) if fmt == "tar.gz" else data


def parse_case(path: Path) -> Case:
    text = path.read_text(encoding="utf-8", errors="surrogateescape")
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()  # the file's own final newline
    items: list[Item] = []
    seen: set[str] = set()
    files: dict[str, bytes] = {}  # file: blocks so far, for archive: members
    written: set[str] = set()
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
            item = Item(kind, [line], lineno)
            i = read_content(path, lines, i + 1, item)
            if i < len(lines) and lines[i] == NO_EOL_MARKER:
                if kind != "stdin":
                    raise CaseError(
                        f"{path}:{i + 1}: '{NO_EOL_MARKER}' is for stdin and file: blocks only")
                if not item.content:
                    raise CaseError(f"{path}:{i + 1}: '{NO_EOL_MARKER}' needs a content line")
                item.no_eol = True
                item.raw.append(lines[i])
                i += 1
            items.append(item)
            continue
        match = re.match(r"^(file|archive):(.*)$", line)
        if match:
            kind = match.group(1)
            try:
                words = shlex.split(match.group(2))
            except ValueError as error:
                raise CaseError(f"{path}:{lineno}: {kind}: {error}") from None
            if not words:
                raise CaseError(f"{path}:{lineno}: {kind}: needs a path")
            rel = check_relpath(path, lineno, words[0])
            if rel in written:
                raise CaseError(f"{path}:{lineno}: '{rel}' is written twice")
            written.add(rel)
            item = Item(kind, [line], lineno, path=rel, options=words[1:])
            i = read_content(path, lines, i + 1, item)
            if i < len(lines) and lines[i] == NO_EOL_MARKER:
                if kind != "file" or not item.content:
                    raise CaseError(
                        f"{path}:{i + 1}: '{NO_EOL_MARKER}' must follow a file: content line")
                item.no_eol = True
                item.raw.append(lines[i])
                i += 1
            if kind == "file":
                item.data = encode_file(path, item)
                files[rel] = item.data
            else:
                item.data = build_archive(path, item, files)
            items.append(item)
            continue
        match = re.match(r"^query:(.*)$", line)
        if match:
            parts = match.group(1).strip().split(None, 1)
            if len(parts) != 2:
                raise CaseError(f"{path}:{lineno}: query: DB SQL")
            item = Item("query", [line], lineno, value=match.group(1).strip(), db=parts[0],
                        sql=parts[1])
            if not re.search(r"\border\s+by\b", item.sql, re.IGNORECASE):
                raise CaseError(
                    f"{path}:{lineno}: every query needs ORDER BY (a one-row aggregate can say "
                    f"'ORDER BY 1')")
            i += 1
            if i < len(lines) and lines[i].rstrip() == "rows:":
                rows = Item("rows", [lines[i]], i + 1)
                i = read_content(path, lines, i + 1, rows)
                item.rows = rows.content
                item.rows_raw = rows.raw
            items.append(item)
            continue
        if line.rstrip() == "rows:":
            raise CaseError(f"{path}:{lineno}: 'rows:' must come right after a 'query:' line")
        match = re.match(r"^(args|exit|before):(.*)$", line)
        if match:
            kind, value = match.group(1), match.group(2).strip()
            if kind in seen and kind != "before":
                raise CaseError(f"{path}:{lineno}: second '{kind}:' field")
            seen.add(kind)
            if kind == "exit" and not re.fullmatch(r"-?\d+", value):
                raise CaseError(f"{path}:{lineno}: exit: takes an integer, got '{value}'")
            items.append(Item(kind, [line], lineno, value=value))
            i += 1
            continue
        if line.strip() == "" or line.lstrip().startswith("#"):
            items.append(Item("other", [line], lineno))
            i += 1
            continue
        if line.startswith("|") or line == NO_EOL_MARKER:
            raise CaseError(f"{path}:{lineno}: content line outside a block")
        raise CaseError(
            f"{path}:{lineno}: expected a comment, a field (args:, exit:, before:) or a block "
            f"(stdin:, stdout:, stderr:, file:, archive:, query:), got: {line!r}")
    if "args" not in seen:
        raise CaseError(f"{path}: no 'args:' line")
    return Case(path.stem, items)


def stdin_bytes(case: Case) -> bytes:
    item = case.find("stdin")
    if item is None or not item.content:
        return b""
    return text_bytes(item.content, item.no_eol)


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


def render_rows(lines: list[str]) -> list[str]:
    """A rows: block; always present (an empty one says "no rows" explicitly)."""
    return ["rows:"] + ["|" if line == "" else "| " + line for line in lines]


def accept(path: Path, case: Case, code: int, stdout: str, stderr: str,
           rows: list[list[str]]) -> None:
    new_lines = [f"exit: {code}"] + render_block("stdout", stdout) + render_block("stderr", stderr)
    out: list[str] = []
    inserted = False
    query_index = 0
    for item in case.items:
        if item.kind in EXPECTED_KINDS:
            if not inserted:
                out.extend(new_lines)
                inserted = True
            continue
        out.extend(item.raw)
        if item.kind == "query":
            out.extend(render_rows(rows[query_index]))
            query_index += 1
    if not inserted:
        # Before the first query, or at the end.
        # (with the comment lines right above that query, which describe it).
        at = len(out)
        for index, line in enumerate(out):
            if line.startswith("query:"):
                at = index
                while at > 0 and out[at - 1].lstrip().startswith("#"):
                    at -= 1
                break
        head, tail = out[:at], out[at:]
        while head and head[-1].strip() == "":
            head.pop()
        out = head + new_lines + ([""] if tail else []) + tail
    path.write_text("\n".join(out) + "\n", encoding="utf-8", errors="surrogateescape")
    # The rewritten file must read back as what was just accepted.
    again = parse_case(path)
    if (expected_exit(again) != code or expected_text(again, "stdout") != stdout.rstrip("\n")
            or expected_text(again, "stderr") != stderr.rstrip("\n")
            or stdin_bytes(again) != stdin_bytes(case)
            or [q.rows for q in again.all("query")] != rows):
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
    for pattern, new in NORMALISERS:
        text = pattern.sub(new, text)
    return text


def diff(what: str, name: str, expected: list[str], actual: list[str]) -> str:
    lines = difflib.unified_diff(expected, actual, fromfile=f"{name}: expected {what}",
                                 tofile=f"{name}: actual {what}", lineterm="")
    return "\n".join(lines)


def stream_lines(text: str) -> list[str]:
    # An empty stream diffs as no lines at all, not as one empty line.
    return text.split("\n") if text else []


def render_value(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, bytes):
        return "X'" + value.hex().upper() + "'"
    return str(value)


def run_query(db: str, sql: str) -> list[str]:
    """The result as content lines; raises sqlite3.Error."""
    uri = "file:" + urllib.parse.quote(db) + "?mode=ro"
    if not os.path.exists(db):
        raise sqlite3.OperationalError(f"no database at {db}")
    connection = sqlite3.connect(uri, uri=True)
    try:
        record_json.register(connection)
        rows = connection.execute(sql).fetchall()
    finally:
        connection.close()
    if not rows:
        return []
    return "\n".join("|".join(render_value(v) for v in row) for row in rows).split("\n")


def expand(text: str, source: str, tmp: str) -> str:
    return text.replace("{source}", source).replace("{tmp}", tmp)


def main() -> int:
    parser = argparse.ArgumentParser(description="Run one golden end-to-end case.")
    parser.add_argument("--binary", required=True, help="the trailreplay binary")
    parser.add_argument("--source-dir", required=True, help="the source tree ({source} in cases)")
    parser.add_argument("--accept", action="store_true",
                        help="rewrite the case's exit/stdout/stderr/rows from the actual output")
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

    env = dict(os.environ, TZ="UTC", LC_ALL="C")
    failures: list[str] = []
    harness_failures: list[str] = []  # failures --accept cannot record
    with tempfile.TemporaryDirectory(prefix="golden-") as tmp:

        def split_args(item: Item) -> list[str]:
            try:
                return [expand(token, source, tmp) for token in shlex.split(item.value)]
            except ValueError as error:
                raise CaseError(f"{path}:{item.lineno}: {item.kind}: {error}") from None

        try:
            args_item = case.find("args")
            assert args_item is not None
            args = split_args(args_item)
            for item in case.items:
                if item.kind in ("file", "archive"):
                    target = Path(tmp, item.path)
                    target.parent.mkdir(parents=True, exist_ok=True)
                    target.write_bytes(item.data)
                elif item.kind == "before":
                    before = subprocess.run([binary, *split_args(item)], input=b"",
                                            capture_output=True, cwd=tmp, env=env,
                                            timeout=TIMEOUT_SECONDS, check=False)
                    if before.returncode not in BEFORE_EXIT_OK:
                        message = before.stderr.decode("utf-8", errors="replace").rstrip()
                        harness_failures.append(
                            f"before: (line {item.lineno}) exited {before.returncode}, expected "
                            f"0 or 3; its stderr:\n{message}")
        except CaseError as error:
            print(f"ERROR {case.name}: {error}", file=sys.stderr)
            return 2
        except subprocess.TimeoutExpired:
            print(f"FAIL {case.name}: a before: run timed out after {TIMEOUT_SECONDS} s")
            return 1
        except OSError as error:
            print(f"ERROR {case.name}: setup: {error}", file=sys.stderr)
            return 2

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

        actual_rows: list[list[str]] = []
        for item in case.all("query"):
            db = expand(item.db, source, tmp)
            db = db if os.path.isabs(db) else os.path.join(tmp, db)
            try:
                lines = run_query(db, item.sql)
                actual_rows.append([normalise(line, replacements) for line in lines])
            except sqlite3.Error as error:
                actual_rows.append(item.rows or [])
                harness_failures.append(f"query (line {item.lineno}) failed: {error}")

    code = result.returncode
    if options.accept:
        if harness_failures:
            print(f"ERROR {case.name}: not accepted:\n" + "\n".join(harness_failures),
                  file=sys.stderr)
            return 2
        try:
            accept(path, case, code, stdout, stderr, actual_rows)
        except CaseError as error:
            print(f"ERROR {case.name}: {error}", file=sys.stderr)
            return 2
        print(f"ACCEPTED {case.name} (review the diff of {path} before committing)")
        return 0

    failures.extend(harness_failures)
    if code != expected_exit(case):
        failures.append(f"exit status: expected {expected_exit(case)}, got {code}")
    for kind, actual in (("stdout", stdout), ("stderr", stderr)):
        expected = expected_text(case, kind).rstrip("\n")
        if expected != actual.rstrip("\n"):
            failures.append(diff(kind, case.name, stream_lines(expected),
                                 stream_lines(actual.rstrip("\n"))))
    for item, actual_lines in zip(case.all("query"), actual_rows):
        expected_lines = item.rows or []
        if expected_lines != actual_lines:
            failures.append(diff(f"rows of the query at line {item.lineno}", case.name,
                                 expected_lines, actual_lines))
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

#!/usr/bin/env python3
"""Text from logs never drives the terminal (issue 19).

Builds an archive whose records, file names and tar member names carry terminal controls
(ESC sequences that clear the screen and print a fake "no findings", an OSC that sets the
window title, 8-bit and UTF-8 C1 CSI, carriage returns, a newline that would fake a line),
runs every command a responder uses on it, and checks that human-readable output holds no
control byte and no invalid UTF-8, with the controls shown as escapes; that JSON escapes them
as JSON does; and that CSV keeps the data exact.

usage: hostile_output.py --binary build/trailreplay
"""
import argparse
import gzip
import io
import json
import os
import re
import subprocess
import sys
import tarfile
import tempfile

HOSTILE_AGENT = "\x1b[2J\x1b[Hno findings\r"
HOSTILE_ARN = "arn:aws:iam::111122223333:user/\u009b31mevil\nfake: 0 errors"
HOSTILE_IP = "198.51.100.7\x1b]0;owned\x07"
HOSTILE_NAME = "bad\x1b[2Jname.json"
HOSTILE_MEMBER = "member\x1b[31m\u009b.json"


def record(i, minute):
    return {
        "eventVersion": "1.08",
        "eventTime": f"2024-03-01T00:{minute:02d}:00Z",
        "eventSource": "iam.amazonaws.com",
        "eventName": "ListUsers",
        "awsRegion": "us-east-1",
        "errorCode": "AccessDenied",
        "userAgent": HOSTILE_AGENT,
        "sourceIPAddress": HOSTILE_IP,
        "userIdentity": {"type": "IAMUser", "arn": HOSTILE_ARN},
        "eventID": f"00000000-0000-0000-0000-{i:012d}",
        "recipientAccountId": "111122223333",
        "readOnly": True,
    }


# Bytes a terminal would obey: C0 but tab and newline, DEL, and C1 as UTF-8 (C2 80..9F).
CONTROL = re.compile(rb"[\x00-\x08\x0b-\x1f\x7f]|\xc2[\x80-\x9f]")


def check_human(name, data, failures, expect_escape=True):
    found = CONTROL.search(data)
    if found:
        failures.append(f"{name}: raw control {found.group()!r} at byte {found.start()}")
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as e:
        failures.append(f"{name}: invalid UTF-8 on the terminal: {e}")
    if expect_escape and b"\\x1b" not in data:
        failures.append(f"{name}: the ESC from the data is not shown as \\x1b:\n{data[:2000]!r}")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--binary", required=True)
    args = parser.parse_args()
    args.binary = os.path.abspath(args.binary)
    failures = []
    with tempfile.TemporaryDirectory() as tmp:
        logs = os.path.join(tmp, "AWSLogs/111122223333/CloudTrail/us-east-1/2024/03/01")
        os.makedirs(logs)
        body = json.dumps({"Records": [record(i, i % 50) for i in range(30)]}).encode()
        with gzip.open(os.path.join(
                logs, "111122223333_CloudTrail_us-east-1_20240301T0100Z_abc.json.gz"), "wb") as f:
            f.write(body)
        with open(os.path.join(tmp, HOSTILE_NAME), "wb") as f:
            f.write(b'{"Records":[{"eventTime": broken')
        with tarfile.open(os.path.join(tmp, "bundle.tar"), "w") as tar:
            data = b'{"Records":[1, 2]}'
            info = tarfile.TarInfo(HOSTILE_MEMBER)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
        db = os.path.join(tmp, "t.db")

        def run(name, *argv, human=True, expect_escape=True):
            p = subprocess.run([args.binary, *argv], capture_output=True, cwd=tmp)
            if human:
                check_human(name + " stdout", p.stdout, failures, expect_escape)
                check_human(name + " stderr", p.stderr, failures, expect_escape=False)
            return p

        scan = run("scan", "scan", tmp, "--db", db, "--progress", "never", expect_escape=False)
        if scan.returncode != 3:
            failures.append(f"scan exit {scan.returncode}, expected 3: {scan.stderr!r}")
        for escaped in (b"bad\\x1b[2Jname.json", b"member\\x1b[31m\\u009b.json"):
            if escaped not in scan.stderr:
                failures.append(f"scan warnings do not name {escaped!r}: {scan.stderr!r}")
        run("contributors", "contributors", "--db", db, "--filter", "unauthorized_api_calls")
        run("replay", "replay", "--db", db, expect_escape=False)
        run("lint", "lint", "--db", db, expect_escape=False)
        table = run("sql table", "sql", "--db", db,
                    "SELECT user_agent, principal_arn, source_ip FROM events LIMIT 1")
        if b"\\x0afake: 0 errors" not in table.stdout:
            failures.append(f"sql table shows the newline raw: {table.stdout!r}")
        errors = run("sql errors", "sql", "--db", db, "SELECT path, member FROM scan_errors "
                     "ORDER BY path")
        csv = run("sql csv", "sql", "--db", db, "--format", "csv",
                  "SELECT user_agent FROM events LIMIT 1", human=False)
        if HOSTILE_AGENT.encode() not in csv.stdout:
            failures.append(f"CSV does not keep the data exact: {csv.stdout!r}")
        js = run("sql json", "sql", "--db", db, "--format", "json",
                 "SELECT user_agent, principal_arn FROM events LIMIT 1", expect_escape=False)
        value = json.loads(js.stdout)[0]
        if value != {"user_agent": HOSTILE_AGENT, "principal_arn": HOSTILE_ARN}:
            failures.append(f"JSON does not read back to the data: {value!r}")
        if b"\\u001b[2J" not in js.stdout or b"\\u009b" not in js.stdout:
            failures.append(f"JSON does not escape the controls: {js.stdout!r}")
        del errors
    for f in failures:
        print("FAIL:", f)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())

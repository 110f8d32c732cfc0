#!/usr/bin/python3
"""`trailreplay verify` against a tamper matrix, with the AWS CLI's own validator as a second
opinion.

Each case generates a CloudTrail archive with a fresh RSA key (scripts/cloudtrail_digests.py
writes log and digest files, signatures and public keys exactly as AWS does), tampers with it,
runs `trailreplay verify --json`, and asserts the exact status of every digest and log file,
every gap and the exit status. Then it runs the validator of `aws cloudtrail validate-logs`
from Debian's awscli package (awscli/customizations/cloudtrail/validation.py) over the same
files, offline: its classes take an S3 client, and a fake one reads the files (the object
metadata from the `.metadata.json` sidecars). Wherever the CLI is not known to be wrong, its
verdicts must agree with trailreplay's; where it is (the issue and the README list the cases),
the test asserts that it is, and that trailreplay is right.

Needs /usr/bin/python3 with Debian's python3-cryptography and awscli; exits 77 (skipped)
without them.

Usage: verify_matrix.py --binary build/trailreplay --source-dir . [-k CASE]
"""

from __future__ import annotations

import argparse
import copy
import gzip
import hashlib
import io
import json
import logging
import pathlib
import shutil
import subprocess
import sys
import tarfile
import tempfile
import traceback

SKIP = 77

try:
    from awscli.customizations.cloudtrail import validation as cli_validation
    from botocore.exceptions import ClientError
except ImportError as e:  # pragma: no cover
    print(f"skipped: Debian's awscli is not importable ({e})")
    sys.exit(SKIP)

BUCKET = "trail-bucket"
PREFIX = "audit"
ACCOUNT = "111122223333"
TRAIL = "main"
HOME = "us-east-1"
EAST, WEST = "us-east-1", "us-west-2"
ORG = "o-abcdefghij"
HOURS = 6
LOGS_PER_HOUR = 2


class Archive:
    """The generated files, with handles for the tamper cases."""

    def __init__(self, root: pathlib.Path, cd, t0: int, org: str = "", restart: str = "",
                 backfill: bool = False, deleted: bool = False) -> None:
        self.root, self.cd, self.t0 = root, cd, t0
        self.signer = cd.Signer()
        self.trails = {r: cd.Trail(BUCKET, ACCOUNT, r, TRAIL, HOME, prefix=PREFIX, org_id=org)
                       for r in (EAST, WEST)}
        self.digests: dict[str, list] = {}
        self.logs: dict[str, list[list]] = {}
        self.backfill = None
        self.late_log = None
        serial = 0
        for region, trail in self.trails.items():
            self.digests[region], self.logs[region] = [], []
            previous = None
            for hour in range(1, HOURS + 1):
                start, end = t0 + (hour - 1) * 3600, t0 + hour * 3600
                stopped = restart and 3 < hour < 6  # logging off for hours 4 and 5
                hour_logs = []
                for n in range(LOGS_PER_HOUR if not stopped else 0):
                    delivered = start + 600 + n * 1800
                    records = [self.record(region, delivered - 300 + i, serial, i) for i in range(3)]
                    if restart == "explained" and region == HOME and hour == 3 and n == 1:
                        records.append(self.trail_call("StopLogging", delivered - 120, serial))
                    if restart == "explained" and region == HOME and hour == 6 and n == 0:
                        records.append(self.trail_call("StartLogging", start - 30, serial))
                    if restart == "silent" and region == HOME and hour == 3 and n == 1:
                        # A StopLogging that failed changed nothing: it explains nothing.
                        call = self.trail_call("StopLogging", delivered - 120, serial)
                        call["errorCode"] = "AccessDenied"
                        records.append(call)
                    if deleted and region == HOME and hour == HOURS and n == 1:
                        records.append(self.trail_call("DeleteTrail", delivered - 120, serial))
                    serial += 1
                    log = cd.LogFile(trail.log_key(delivered, f"U{serial:015d}"), records, BUCKET)
                    cd.write_log(root, log)
                    hour_logs.append(log)
                self.logs[region].append(hour_logs)
                if stopped:
                    self.digests[region].append(None)
                    previous = None
                    continue
                digest = cd.make_digest(trail, self.signer, start, end, hour_logs, previous)
                # Every other sidecar is the whole head-object output: both shapes are read.
                cd.write_digest(root, digest, "metadata" if hour % 2 else "head-object")
                self.digests[region].append(digest)
                previous = digest
        if backfill:
            # A log delivered late in hour 2, named by a backfill digest of its own.
            trail = self.trails[EAST]
            delivered = t0 + 3600 + 1500
            late = cd.LogFile(trail.log_key(delivered, "LATE00000000001"),
                              [self.record(EAST, delivered - 900, 999, 0)], BUCKET)
            cd.write_log(root, late)
            self.late_log = late
            self.backfill = cd.make_digest(trail, self.signer, t0 + 3600, t0 + 2 * 3600 + 600,
                                           [late], None, backfill=True)
            cd.write_digest(root, self.backfill)
        self.keys = root.parent / (root.name + "-keys.json")
        self.keys.write_text(cd.public_key_list([self.signer.key_entry(t0 - 86400, t0 + 86400)]))

    def record(self, region: str, t: int, serial: int, i: int) -> dict:
        return {"eventVersion": "1.08", "eventTime": self.cd.iso(t), "eventSource": "s3.amazonaws.com",
                "eventName": "GetObject", "awsRegion": region, "recipientAccountId": ACCOUNT,
                "eventID": f"00000000-0000-4000-8000-{serial:06d}{i:06d}"}

    def trail_call(self, name: str, t: int, serial: int) -> dict:
        return {"eventVersion": "1.08", "eventTime": self.cd.iso(t),
                "eventSource": "cloudtrail.amazonaws.com", "eventName": name, "awsRegion": HOME,
                "recipientAccountId": ACCOUNT,
                "requestParameters": {"name": f"arn:aws:cloudtrail:{HOME}:{ACCOUNT}:trail/{TRAIL}"},
                "eventID": f"11111111-0000-4000-8000-{serial:012d}"}

    def path(self, key: str) -> pathlib.Path:
        return self.root / key

    def all_digests(self):
        return [d for r in (EAST, WEST) for d in self.digests[r] if d is not None]

    def all_logs(self):
        return [l for r in (EAST, WEST) for hour in self.logs[r] for l in hour]

    def chain(self, region: str) -> str:
        org = self.trails[region].org_id
        return (org + "/" if org else "") + f"{ACCOUNT}/{region}/{TRAIL}/{HOME}"


# ---------------------------------------------------------------------------------------------
# The AWS CLI's validator, offline.


class FakeS3:
    """The three S3 calls validation.py makes, answered from the archive's files."""

    def __init__(self, root: pathlib.Path) -> None:
        self.root = root

    def keys(self) -> list[str]:
        return sorted(str(p.relative_to(self.root)) for p in self.root.rglob("*")
                      if p.is_file() and not p.name.endswith(".metadata.json"))

    def get_paginator(self, name: str):
        assert name == "list_objects"
        fake = self

        class Pages:
            def __init__(self, marker: str) -> None:
                self.marker = marker

            def search(self, expression: str):
                assert expression == "Contents[*].Key"
                return iter([k for k in fake.keys() if k > self.marker])

        class Paginator:
            def paginate(self, Bucket: str, Marker: str):  # noqa: N803 (boto3's names)
                return Pages(Marker)

        return Paginator()

    def get_object(self, Bucket: str, Key: str):  # noqa: N803
        path = self.root / Key
        if not path.is_file():
            raise ClientError({"Error": {"Code": "NoSuchKey", "Message": "Not Found"}}, "GetObject")
        metadata = {}
        sidecar = self.root / (Key + ".metadata.json")
        if sidecar.is_file():
            metadata = json.loads(sidecar.read_text())
            metadata = metadata.get("Metadata", metadata)
        return {"Body": io.BytesIO(path.read_bytes()), "Metadata": metadata}


class FakeProvider:
    def __init__(self, s3: FakeS3) -> None:
        self.s3 = s3

    def get_client(self, bucket: str) -> FakeS3:
        return self.s3


class FakeCloudTrail:
    """list_public_keys answered from the key file, trusted as the CLI trusts CloudTrail."""

    def __init__(self, keys_file: pathlib.Path) -> None:
        self.keys_file = keys_file

    def list_public_keys(self, StartTime, EndTime):  # noqa: N803
        return json.loads(self.keys_file.read_text())


def run_cli(root: pathlib.Path, keys_file: pathlib.Path, region: str, start: int, end: int,
            org: str = "") -> dict:
    """validate-logs for one source region: {"digests": {key: verdict}, "logs": {...},
    "gaps": [...], "crash": message or None}."""
    import datetime
    s3 = FakeS3(root)
    provider = FakeProvider(s3)
    result = {"digests": {}, "logs": {}, "gaps": [], "crash": None}

    def parse(message: str) -> tuple[str, str, str]:
        kind, url, verdict = message.split("\t")
        return kind, url.split("/", 3)[3], verdict

    command = cli_validation.CloudTrailValidateLogs(None)
    command.s3_client_provider = provider
    command.is_verbose = True

    def write_status(message: str, is_error: bool = False) -> None:
        if message.startswith("No log files were delivered"):
            result["gaps"].append(message)
            return
        kind, key, verdict = parse(message)
        result["digests" if kind == "Digest file" else "logs"][key] = verdict

    command._write_status = write_status

    def on_missing(bucket, last_key, **kwargs):
        result["digests"][last_key] = "INVALID: not found"

    def on_invalid(message, **kwargs):
        write_status(message, True)

    digest_provider = cli_validation.DigestProvider(
        s3_client_provider=provider, account_id=ACCOUNT, trail_name=TRAIL,
        trail_home_region=HOME, trail_source_region=region, organization_id=org or None)
    traverser = cli_validation.DigestTraverser(
        digest_provider=digest_provider, starting_bucket=BUCKET, starting_prefix=PREFIX,
        public_key_provider=cli_validation.PublicKeyProvider(FakeCloudTrail(keys_file)),
        on_missing=on_missing, on_invalid=on_invalid, on_gap=command._on_digest_gap)
    to_date = lambda t: datetime.datetime.fromtimestamp(t, datetime.timezone.utc)  # noqa: E731
    try:
        for digest in traverser.traverse(to_date(start), to_date(end)):
            result["digests"][digest["digestS3Object"]] = "valid"
            for log in digest["logFiles"]:
                command._download_log(log)
    except Exception as e:  # the CLI stops at it: what it said until then stands
        result["crash"] = f"{type(e).__name__}: {e}"
    return result


# ---------------------------------------------------------------------------------------------
# The cases.


class Case:
    """A tamper, the exact statuses trailreplay must give, and what the CLI says."""

    def __init__(self, name: str, archive: Archive) -> None:
        self.name, self.a = name, archive
        self.digests = {d.key: "valid" for d in archive.all_digests()}
        if archive.backfill:
            self.digests[archive.backfill.key] = "valid"
        self.logs = {l.key: ["valid"] for l in archive.all_logs()}
        if archive.late_log:
            self.logs[archive.late_log.key] = ["valid"]
        self.gaps: list[tuple[str, bool]] = []
        self.exit = 0
        self.keys: list[pathlib.Path] = [archive.keys]
        self.to = archive.t0 + HOURS * 3600 + 1800
        self.to_given = True
        self.cli = True               # run the CLI at all
        self.cli_override: dict[str, str] = {}  # key -> the CLI's (known wrong) verdict
        self.cli_unseen: set[str] = set()       # keys the CLI never judges (known wrong)
        self.cli_gaps = 0
        self.evidence = ["StartLogging", "StopLogging"]  # what explains each explained gap
        self.paths: list[pathlib.Path] = [archive.root]
        self.extra_args: list[str] = []

    def log(self, region: str, hour: int, n: int):
        return self.a.logs[region][hour - 1][n]

    def digest(self, region: str, hour: int):
        return self.a.digests[region][hour - 1]


def mutate_gzip_content(path: pathlib.Path, change) -> None:
    path.write_bytes(gzip.compress(change(gzip.decompress(path.read_bytes())), mtime=0))


def build_cases(cd, work: pathlib.Path) -> list[Case]:
    t0 = cd.utc(2024, 3, 1, 0, 17, 28)
    cases: list[Case] = []

    def new(name: str, **kwargs) -> Case:
        root = work / name / "bucket"
        root.mkdir(parents=True)
        case = Case(name, Archive(root, cd, t0, **kwargs))
        cases.append(case)
        return case

    c = new("clean")

    c = new("log_modified_byte")
    target = c.log(EAST, 3, 0)
    mutate_gzip_content(c.a.path(target.key), lambda b: b.replace(b"GetObject", b"GetObjekt", 1))
    c.logs[target.key] = ["modified"]
    c.exit = 3

    c = new("log_corrupt_gzip")
    target = c.log(EAST, 3, 1)
    raw = bytearray(c.a.path(target.key).read_bytes())
    raw[len(raw) // 2] ^= 0xFF
    c.a.path(target.key).write_bytes(bytes(raw))
    c.logs[target.key] = ["modified"]
    c.exit = 3

    c = new("log_deleted")
    target = c.log(EAST, 2, 0)
    c.a.path(target.key).unlink()
    c.logs[target.key] = ["missing"]
    c.exit = 3

    c = new("log_regzipped")
    target = c.log(EAST, 4, 0)
    body = gzip.decompress(c.a.path(target.key).read_bytes())
    c.a.path(target.key).write_bytes(cd.gzip_bytes(body, level=9, mtime=1234567890))

    c = new("log_uncompressed")
    target = c.log(EAST, 4, 1)
    c.a.path(target.key).write_bytes(gzip.decompress(c.a.path(target.key).read_bytes()))
    c.logs[target.key] = ["re-encoded"]
    c.exit = 3

    c = new("log_appended_member")
    target = c.log(WEST, 2, 0)
    extra = json.dumps({"Records": [c.a.record(WEST, t0, 777, 0)]}).encode()
    with open(c.a.path(target.key), "ab") as f:
        f.write(gzip.compress(extra, mtime=0))
    c.logs[target.key] = ["modified"]
    c.cli_override[target.key] = "valid"  # it reads only the first member
    c.exit = 3

    c = new("log_split_members")
    target = c.log(WEST, 3, 1)
    body = gzip.decompress(c.a.path(target.key).read_bytes())
    half = len(body) // 2
    c.a.path(target.key).write_bytes(gzip.compress(body[:half], mtime=0) +
                                     gzip.compress(body[half:], mtime=0))
    c.logs[target.key] = ["re-encoded"]
    c.exit = 3

    c = new("digest_deleted")
    gone = c.digest(EAST, 3)
    c.a.path(gone.key).unlink()
    c.a.path(gone.key + ".metadata.json").unlink()
    c.digests[gone.key] = "missing"
    for log in c.a.logs[EAST][2]:
        c.logs[log.key] = ["unvouched"]
        c.cli_unseen.add(log.key)
    c.exit = 3

    c = new("two_digests_deleted")
    for hour in (3, 4):
        gone = c.digest(EAST, hour)
        c.a.path(gone.key).unlink()
        c.a.path(gone.key + ".metadata.json").unlink()
        c.digests[gone.key] = "missing"
        for log in c.a.logs[EAST][hour - 1]:
            c.logs[log.key] = ["unvouched"]
            c.cli_unseen.add(log.key)
    # The CLI reports the one its chain names, then jumps to the digest before: one, not two.
    c.cli_unseen.add(c.digest(EAST, 3).key)
    c.exit = 3

    c = new("digest_edited")
    edited = c.digest(EAST, 3)
    victim = c.log(EAST, 3, 0)
    # The attacker changes a log and makes the digest record the new log's hash.
    new_body = gzip.decompress(c.a.path(victim.key).read_bytes()).replace(b"GetObject", b"PutObject", 1)
    c.a.path(victim.key).write_bytes(gzip.compress(new_body, mtime=0))
    digest_body = edited.content.replace(hashlib.sha256(victim.content).hexdigest().encode(),
                                         hashlib.sha256(new_body).hexdigest().encode())
    assert digest_body != edited.content
    c.a.path(edited.key).write_bytes(gzip.compress(digest_body, mtime=0))
    c.digests[edited.key] = "invalid"
    for log in c.a.logs[EAST][2]:
        c.logs[log.key] = ["unvouched"]  # named only by the invalid digest
        c.cli_unseen.add(log.key)
    c.exit = 3

    c = new("newest_digest_deleted")
    gone = c.digest(EAST, HOURS)
    c.a.path(gone.key).unlink()
    c.a.path(gone.key + ".metadata.json").unlink()
    del c.digests[gone.key]  # nothing names it: the tip is lost, not a digest
    c.cli_unseen.add("gap:" + c.a.chain(EAST))
    for log in c.a.logs[EAST][HOURS - 1]:
        c.logs[log.key] = ["unvouched"]
        c.cli_unseen.add(log.key)
    c.gaps = [(c.a.chain(EAST), False)]  # --to is well after the newest digest left
    c.exit = 3

    c = new("newest_digests_deleted_logs_after")
    for hour in (HOURS - 1, HOURS):
        gone = c.digest(EAST, hour)
        c.a.path(gone.key).unlink()
        c.a.path(gone.key + ".metadata.json").unlink()
        del c.digests[gone.key]
        for log in c.a.logs[EAST][hour - 1]:
            c.logs[log.key] = ["unvouched"]
            c.cli_unseen.add(log.key)
    c.cli_unseen.add("gap:" + c.a.chain(EAST))
    # Without --to: the logs delivered after the next digest was due show the lost tip.
    c.to_given = False
    c.gaps = [(c.a.chain(EAST), False)]
    c.exit = 3

    c = new("sidecars_lost")
    for sidecar in c.a.root.rglob("*.metadata.json"):
        sidecar.unlink()
    for region in (EAST, WEST):
        c.digests[c.digest(region, HOURS).key] = "unauthenticated"
    # The CLI needs every digest's S3 metadata: without it, it can validate nothing.
    for d in c.a.all_digests():
        c.cli_override[d.key] = "INVALID: signature verification failed"
    c.exit = 3

    c = new("digest_moved")
    moved = c.digest(EAST, 3)
    source = c.a.path(moved.key)
    target_key = moved.key.replace("/2024/03/01/", "/2024/03/02/")
    c.a.path(target_key).parent.mkdir(parents=True, exist_ok=True)
    source.rename(c.a.path(target_key))
    pathlib.Path(str(source) + ".metadata.json").rename(c.a.path(target_key + ".metadata.json"))
    c.digests[moved.key] = "missing"
    c.digests[target_key] = "invalid"
    # The CLI starts from the last key its listing holds, here the moved digest (its folder sorts
    # last): it says "moved", then looks for a digest dated before it, so it never reads the
    # three after the hole, and never notices the hole.
    c.cli_unseen.add(moved.key)
    for log in c.a.logs[EAST][2]:
        c.logs[log.key] = ["unvouched"]
        c.cli_unseen.add(log.key)
    c.exit = 3

    c = new("key_missing")
    other = cd.Signer()
    keys = c.a.root.parent / "other-keys.json"
    keys.write_text(cd.public_key_list([other.key_entry(t0 - 86400, t0 + 86400)]))
    c.keys = [keys]
    for d in c.a.all_digests():
        c.digests[d.key] = "unauthenticated"
    c.exit = 3

    c = new("key_wrong")
    other = cd.Signer()
    entry = other.key_entry(t0 - 86400, t0 + 86400)
    entry["Fingerprint"] = c.a.signer.fingerprint  # a file that lies about its key
    keys = c.a.root.parent / "lying-keys.json"
    keys.write_text(cd.public_key_list([entry]))
    c.keys = [keys]
    for d in c.a.all_digests():
        c.digests[d.key] = "unauthenticated"
    c.exit = 3

    c = new("no_keys")
    c.keys = []
    c.cli = False  # the CLI cannot run without keys
    for d in c.a.all_digests():
        c.digests[d.key] = "unauthenticated"
    c.exit = 3

    c = new("restart_explained", restart="explained")
    c.gaps = [(c.a.chain(EAST), True), (c.a.chain(WEST), True)]
    c.cli_gaps = 2  # the CLI says "no log files were delivered", and nothing of why

    c = new("restart_unexplained", restart="silent")
    c.gaps = [(c.a.chain(EAST), False), (c.a.chain(WEST), False)]
    c.cli_gaps = 2
    c.exit = 3

    c = new("trail_deleted", deleted=True)
    # The trail was deleted in its last hour: a --to three hours later finds both chains
    # stopped, and the DeleteTrail call (in the home region's logs) explains both.
    c.to = t0 + (HOURS + 3) * 3600
    c.gaps = [(c.a.chain(EAST), True), (c.a.chain(WEST), True)]
    c.evidence = ["DeleteTrail"]

    c = new("unvouched_log")
    trail = c.a.trails[EAST]
    extra = cd.LogFile(trail.log_key(t0 + 2 * 3600 + 900, "EXTRA0000000001"),
                       [c.a.record(EAST, t0 + 2 * 3600 + 800, 888, 0)], BUCKET)
    cd.write_log(c.a.root, extra)
    c.logs[extra.key] = ["unvouched"]
    c.cli_unseen.add(extra.key)
    c.exit = 3

    c = new("organization_trail", org=ORG)

    c = new("backfill", backfill=True)

    c = new("tar_bundle")
    bundle = c.a.root.parent / "bundle.tar.gz"
    with tarfile.open(bundle, "w:gz") as tar:
        tar.add(c.a.root, arcname="bucket")
    c.paths = [bundle]
    c.cli = False  # the CLI reads S3, not bundles: the directory cases cover its verdicts

    return cases


# ---------------------------------------------------------------------------------------------
# Checking.


def run_trailreplay(binary: str, case: Case) -> tuple[int, dict]:
    command = [binary, "verify", *map(str, case.paths), "--json", "--from",
               case.a.cd.iso(case.a.t0)]
    for keys in case.keys:
        command += ["--public-keys", str(keys)]
    if case.to_given:
        command += ["--to", case.a.cd.iso(case.to)]
    command += case.extra_args
    run = subprocess.run(command, capture_output=True, text=True, timeout=120)
    if run.returncode not in (0, 3):
        raise AssertionError(f"exit {run.returncode}: {run.stderr}")
    return run.returncode, json.loads(run.stdout)


def check_case(binary: str, case: Case) -> list[str]:
    failures: list[str] = []
    code, report = run_trailreplay(binary, case)
    if code != case.exit:
        failures.append(f"exit status {code}, expected {case.exit}")
    got_digests = {d["key"]: d["status"] for d in report["digests"]}
    for key, status in case.digests.items():
        if got_digests.get(key) != status:
            detail = next((d["detail"] for d in report["digests"] if d["key"] == key), "")
            failures.append(f"digest {key}: {got_digests.get(key)}, expected {status} ({detail})")
    for key in set(got_digests) - set(case.digests):
        failures.append(f"digest {key}: unexpected {got_digests[key]}")
    got_logs: dict[str, list[str]] = {}
    for log in report["logs"]:
        got_logs.setdefault(log["key"], []).append(log["status"])
    for key, statuses in case.logs.items():
        if sorted(got_logs.get(key, [])) != sorted(statuses):
            detail = next((l["detail"] for l in report["logs"] if l["key"] == key), "")
            failures.append(f"log {key}: {got_logs.get(key)}, expected {statuses} ({detail})")
    for key in set(got_logs) - set(case.logs):
        failures.append(f"log {key}: unexpected {got_logs[key]}")
    got_gaps = sorted((g["chain"], g["explained"]) for g in report["gaps"])
    if got_gaps != sorted(case.gaps):
        failures.append(f"gaps {got_gaps}, expected {sorted(case.gaps)}: "
                        + "; ".join(g["detail"] for g in report["gaps"]))
    for gap in report["gaps"]:
        if gap["explained"]:
            names = sorted(e["eventName"] for e in gap["evidence"])
            if names != case.evidence:
                failures.append(f"gap evidence {names}, expected {case.evidence}")
    if report["summary"]["problems"] == 0 and case.exit != 0:
        failures.append("summary counts no problem")
    if not case.cli:
        return failures

    # The second opinion, per source region.
    cli = {"digests": {}, "logs": {}, "gaps": [], "crash": []}
    for region in (EAST, WEST):
        keys = case.keys[0] if case.keys else case.a.keys
        one = run_cli(case.a.root, keys, region, case.a.t0, case.to, case.a.trails[region].org_id)
        cli["digests"].update(one["digests"])
        cli["logs"].update(one["logs"])
        cli["gaps"] += one["gaps"]
        if one["crash"]:
            cli["crash"].append(one["crash"])
    if case.name == "backfill":
        # A backfill digest's name ends "_backfill.json.gz": the CLI reads the time stamp at a
        # fixed offset from the end of the key, gets "022728Z_backfill", which sorts before any
        # date, and leaves the digest out of its range: it never checks it or its log file.
        for key in (case.a.backfill.key, case.a.late_log.key):
            if key in cli["digests"] or key in cli["logs"]:
                failures.append(f"the CLI was expected to skip {key}")
    if cli["crash"]:
        failures.append(f"the CLI failed: {cli['crash']}")
    ours_digest = {d["key"]: d["status"] for d in report["digests"]}
    for key, verdict in cli["digests"].items():
        expected = case.cli_override.get(key)
        if expected is not None:
            if verdict != expected:
                failures.append(f"CLI digest {key}: {verdict!r}, expected (known wrong) {expected!r}")
            continue
        ours = ours_digest.get(key)
        if (verdict == "valid") != (ours in ("valid", "chained")):
            failures.append(f"CLI and trailreplay disagree on digest {key}: {verdict!r} / {ours}")
    ours_logs = {l["key"]: l["status"] for l in report["logs"]}
    for key, verdict in cli["logs"].items():
        expected = case.cli_override.get(key)
        if expected is not None:
            if verdict != expected:
                failures.append(f"CLI log {key}: {verdict!r}, expected (known wrong) {expected!r}")
            if ours_logs.get(key) == "valid":
                failures.append(f"trailreplay calls {key} valid, as the CLI wrongly does")
            continue
        ours = ours_logs.get(key)
        if (verdict == "valid") != (ours == "valid"):
            failures.append(f"CLI and trailreplay disagree on log {key}: {verdict!r} / {ours}")
    # What the CLI is known to miss: it must indeed not flag it, and trailreplay must.
    for key in case.cli_unseen:
        if key.startswith("gap:"):
            if cli["gaps"]:
                failures.append(f"the CLI reported a gap: {cli['gaps']}")
            continue
        flagged = cli["digests"].get(key, cli["logs"].get(key, "valid")) != "valid"
        if flagged:
            failures.append(f"the CLI was expected to miss {key}, but says "
                            f"{cli['digests'].get(key, cli['logs'].get(key))!r}")
    # Every problem trailreplay finds in a digest or log is either seen by the CLI or listed
    # as one it is known to miss.
    for key, status in ours_digest.items():
        if status in ("valid", "chained") or key in case.cli_unseen:
            continue
        if key not in cli["digests"] and case.name != "no_keys":
            failures.append(f"trailreplay's {status} digest {key} is unknown to the CLI")
    if len(cli["gaps"]) != case.cli_gaps:
        failures.append(f"CLI gaps {cli['gaps']}, expected {case.cli_gaps}")
    for message in cli["gaps"]:
        if not message.startswith("No log files were delivered by CloudTrail"):
            failures.append(f"CLI gap message {message!r}")
    return failures


def check_database(binary: str, work: pathlib.Path, cases: dict[str, Case]) -> list[str]:
    """verify --db: every scanned input vouched for, every vouched log scanned, the result
    stored in the database and shown in the report."""
    failures: list[str] = []
    base = work / "database"
    base.mkdir(parents=True, exist_ok=True)

    def scan(db: pathlib.Path, *paths: pathlib.Path) -> None:
        run = subprocess.run([binary, "scan", *map(str, paths), "--db", str(db), "--progress",
                              "never"], capture_output=True, text=True, timeout=120)
        if run.returncode != 0:
            raise AssertionError(f"scan exit {run.returncode}: {run.stderr}")

    def verify(case: Case, db: pathlib.Path) -> tuple[int, dict]:
        saved = case.extra_args
        case.extra_args = ["--db", str(db)]
        try:
            return run_trailreplay(binary, case)
        finally:
            case.extra_args = saved

    def statuses(report: dict) -> dict[str, int]:
        out: dict[str, int] = {}
        for entry in report["database"]["inputs"]:
            out[entry["status"]] = out.get(entry["status"], 0) + 1
        return out

    clean = cases["clean"]
    logs = len(clean.logs)
    db = base / "clean.db"
    scan(db, clean.a.root)
    code, report = verify(clean, db)
    if code != 0 or statuses(report) != {"vouched": logs}:
        failures.append(f"clean database: exit {code}, inputs {statuses(report)}")
    import sqlite3
    with sqlite3.connect(db) as conn:
        rows = conn.execute("SELECT problems, json_extract(summary, '$.problems') "
                            "FROM verifications").fetchall()
        findings = conn.execute("SELECT count(*) FROM verification_findings").fetchone()[0]
    if rows != [(0, 0)] or findings != len(clean.digests) + logs + logs:
        failures.append(f"stored verification {rows}, {findings} findings")
    html = base / "clean.html"
    subprocess.run([binary, "report", "--db", str(db), "-o", str(html)], check=True,
                   capture_output=True)
    text = html.read_text()
    if "<h2>Integrity</h2>" not in text or "Complete and unmodified" not in text:
        failures.append("the report of a verified database has no integrity section")

    # An input no digest vouches for, scanned beside the archive.
    extra_dir = base / "extra"
    trail = clean.a.trails[EAST]
    extra = clean.a.cd.LogFile(trail.log_key(clean.a.t0 + 4000, "OUTSIDE00000001"),
                               [clean.a.record(EAST, clean.a.t0 + 3900, 555, 0)], BUCKET)
    clean.a.cd.write_log(extra_dir, extra)
    db = base / "extra.db"
    scan(db, clean.a.root, extra_dir)
    code, report = verify(clean, db)
    if code != 3 or statuses(report) != {"vouched": logs, "unvouched": 1}:
        failures.append(f"extra input: exit {code}, inputs {statuses(report)}")

    # A log scanned in plain form (someone gunzipped the copy): its bytes are the vouched
    # content itself.
    plain_dir = base / "plain"
    plain_dir.mkdir()
    plain_log = clean.log(EAST, 1, 0)
    (plain_dir / "unzipped.json").write_bytes(plain_log.content)
    db = base / "plain.db"
    scan(db, plain_dir)
    code, report = verify(clean, db)
    inputs = report["database"]["inputs"]
    plain = [i for i in inputs if i["path"]]
    if (len(plain) != 1 or plain[0]["status"] != "vouched" or plain[0]["key"] != plain_log.key or
            code != 3):  # every other vouched log is unscanned
        failures.append(f"plain input: exit {code}, {plain}")

    # A vouched log the scan did not read.
    partial = base / "partial"
    shutil.copytree(clean.a.root, partial)
    skipped = clean.log(WEST, 5, 1)
    (partial / skipped.key).unlink()
    db = base / "partial.db"
    scan(db, partial)
    code, report = verify(clean, db)
    unscanned = [i["key"] for i in report["database"]["inputs"] if i["status"] == "unscanned"]
    if code != 3 or unscanned != [skipped.key]:
        failures.append(f"unscanned log: exit {code}, unscanned {unscanned}")

    # The scan of a log with an appended gzip member counted events no digest vouches for.
    appended = cases["log_appended_member"]
    db = base / "appended.db"
    scan(db, appended.a.root)
    code, report = verify(appended, db)
    target = appended.log(WEST, 2, 0).key
    bad = sorted((i["status"], i["key"] or i["path"].endswith(target))
                 for i in report["database"]["inputs"] if i["status"] != "vouched")
    if code != 3 or bad != [("unscanned", target), ("unvouched", True)]:
        failures.append(f"appended member: exit {code}, {bad}")
    html = base / "appended.html"
    subprocess.run([binary, "report", "--db", str(db), "-o", str(html)], check=True,
                   capture_output=True)
    if "problems</span> found" not in html.read_text():
        failures.append("the report does not show the problems verify found")
    return failures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--binary", required=True)
    parser.add_argument("--source-dir", required=True)
    parser.add_argument("-k", dest="only", help="run only the cases whose name contains this")
    parser.add_argument("--keep", help="generate the archives in this directory and keep them")
    args = parser.parse_args()
    sys.path.insert(0, str(pathlib.Path(args.source_dir) / "scripts"))
    try:
        import cloudtrail_digests as cd
    except ImportError as e:
        print(f"skipped: {e} (python3-cryptography)")
        return SKIP
    logging.disable(logging.CRITICAL)
    failed = ran = 0
    with tempfile.TemporaryDirectory(prefix="trailreplay-verify-") as tmp:
        work = pathlib.Path(args.keep) if args.keep else pathlib.Path(tmp)
        if args.keep:
            shutil.rmtree(work, ignore_errors=True)
        cases = build_cases(cd, work)
        for case in cases:
            if args.only and args.only not in case.name:
                continue
            ran += 1
            try:
                failures = check_case(args.binary, case)
            except Exception:  # a broken case is a failure, not a crash of the matrix
                failures = [traceback.format_exc()]
            print(f"{'ok  ' if not failures else 'FAIL'} {case.name}")
            for failure in failures:
                print(f"     {failure}")
            failed += bool(failures)
        if not args.only or args.only in "database":
            ran += 1
            try:
                failures = check_database(args.binary, work, {c.name: c for c in cases})
            except Exception:
                failures = [traceback.format_exc()]
            print(f"{'ok  ' if not failures else 'FAIL'} database")
            for failure in failures:
                print(f"     {failure}")
            failed += bool(failures)
    print(f"{failed} of {ran} cases failed" if failed else f"all {ran} cases passed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

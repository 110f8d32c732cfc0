#!/usr/bin/env python3
"""Writes the seed corpus of fuzz_input_sniffer (fuzz/corpus/sniffer): one small input per
container and document shape the scanner meets. Deterministic (fixed mtimes, no randomness), so
running it again reproduces the committed seeds byte for byte.

Usage: fuzz/make_sniffer_seeds.py [OUTPUT_DIR]   (default: fuzz/corpus/sniffer)
"""

from __future__ import annotations

import bz2
import gzip
import io
import json
import lzma
import struct
import sys
import tarfile
import zipfile
import zlib
from pathlib import Path

MTIME = 1709251200  # 2024-03-01T00:00:00Z


def record(n: int, name: str, error: str | None = None) -> dict:
    r = {
        "eventVersion": "1.08",
        "userIdentity": {"type": "IAMUser", "arn": "arn:aws:iam::111122223333:user/alice",
                         "accountId": "111122223333"},
        "eventTime": f"2024-03-01T10:0{n % 10}:00Z",
        "eventSource": "ec2.amazonaws.com",
        "eventName": name,
        "awsRegion": "us-east-1",
        "eventID": f"{n:08x}-0000-4000-8000-000000000000",
        "recipientAccountId": "111122223333",
    }
    if error:
        r["errorCode"] = error
    return r


def dumps(value) -> bytes:
    return json.dumps(value, separators=(",", ":")).encode()


RECORDS = dumps({"Records": [record(1, "GetObject", "AccessDenied"), record(2, "StopLogging")]})
ARRAY = dumps([record(3, "RunInstances", "Client.UnauthorizedOperation")])
LINES = dumps(record(4, "ListUsers")) + b"\n" + dumps(record(5, "CreateTrail")) + b"\n"
EXPORT = b"2024-03-01T10:05:12.123Z " + dumps(record(6, "DeleteTrail")) + b"\n"
DIGEST = dumps({"awsAccountId": "111122223333", "digestStartTime": "2024-03-01T09:00:00Z",
                "digestEndTime": "2024-03-01T10:00:00Z", "logFiles": []})
LOG_NAME = ("AWSLogs/111122223333/CloudTrail/us-east-1/2024/03/01/"
            "111122223333_CloudTrail_us-east-1_20240301T1005Z_Ab12Cd34Ef56Gh78.json.gz")


def gz(data: bytes) -> bytes:
    return gzip.compress(data, compresslevel=9, mtime=0)


def tar(members: list[tuple[str, bytes]], symlink: bool = False) -> bytes:
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w", format=tarfile.PAX_FORMAT) as t:
        for name, data in members:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            info.mtime = MTIME
            t.addfile(info, io.BytesIO(data))
        if symlink:
            info = tarfile.TarInfo("latest.json")
            info.type = tarfile.SYMTYPE
            info.linkname = "/etc/passwd"
            info.mtime = MTIME
            t.addfile(info)
    # tarfile pads to a 10 KiB record; keep the members and the two zero blocks that end them.
    data = out.getvalue().rstrip(b"\0")
    return data + b"\0" * ((-len(data)) % 512 + 1024)


def zip_bytes(members: list[tuple[str, bytes, int]]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        for name, data, method in members:
            info = zipfile.ZipInfo(name, date_time=(2024, 3, 1, 0, 0, 0))
            info.compress_type = method
            z.writestr(info, data)
    return out.getvalue()


def encrypted_flag_zip(name: str, data: bytes) -> bytes:
    """A stored member with general-purpose flag bit 0 (encrypted) set."""
    crc = zlib.crc32(data)
    name_b = name.encode()
    local = struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 1, 0, 0, 0x5821, crc, len(data),
                        len(data), len(name_b), 0) + name_b + data
    central = struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, 1, 0, 0, 0x5821, crc,
                          len(data), len(data), len(name_b), 0, 0, 0, 0, 0, 0) + name_b
    end = struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, 1, 1, len(central), len(local), 0)
    return local + central + end


def seeds() -> dict[str, bytes]:
    tar_plain = tar([("AWSLogs/a.json", RECORDS), ("../escape.json", LINES)], symlink=True)
    return {
        "records.json": RECORDS,
        "records.json.gz": gz(RECORDS),
        "two-members.json.gz": gz(RECORDS[:40]) + gz(RECORDS[40:]),
        "array.json": ARRAY,
        "lines.jsonl": LINES,
        "export.txt": EXPORT,
        "digest.json": DIGEST,
        "truncated.json.gz": gz(RECORDS)[:60],
        "bundle.tar": tar_plain,
        "bundle.tar.gz": gz(tar([(LOG_NAME, gz(RECORDS)), ("lines.jsonl", LINES)])),
        "bundle.tar.bz2": bz2.compress(tar([("a.json", ARRAY)]), 9),
        "bundle.tar.xz": lzma.compress(tar([("a.json", ARRAY)])),
        "bundle.zip": zip_bytes([("stored.json", RECORDS, zipfile.ZIP_STORED),
                                 ("deflated.json.gz", gz(LINES), zipfile.ZIP_DEFLATED)]),
        "encrypted.zip": encrypted_flag_zip("secret.json", RECORDS),
    }


def main() -> int:
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).parent / "corpus" / "sniffer"
    out.mkdir(parents=True, exist_ok=True)
    for name, data in seeds().items():
        (out / name).write_bytes(data)
    return 0


if __name__ == "__main__":
    sys.exit(main())

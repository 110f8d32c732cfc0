"""Write CloudTrail log and digest files exactly as CloudTrail delivers them, signed.

A small library for trailreplay's `verify` tests (tests/verify/verify_matrix.py) and for the
signed sample (scripts/make-signed-sample.py). It follows the CloudTrail user guide's
"CloudTrail digest file structure" and "Custom implementations of CloudTrail log file
integrity validation":

* log files: ``{"Records":[...]}``, gzip (one member), at
  ``[prefix/]AWSLogs/[o-org/]<account>/CloudTrail/<region>/YYYY/MM/DD/
  <account>_CloudTrail_<region>_<YYYYMMDDTHHmmZ>_<unique>.json.gz``;
* digest files: the JSON object with the fields in the order CloudTrail writes them, gzip, at
  ``.../CloudTrail-Digest/<region>/YYYY/MM/DD/
  <account>_CloudTrail-Digest_<region>_<trail>_<home region>_<YYYYMMDDTHHmmssZ>[_backfill].json.gz``,
  each hourly digest naming the previous one (its key, the SHA-256 of its decompressed
  content and its signature), a starting digest with those fields null;
* signatures: RSA PKCS#1 v1.5 over SHA-256 of
  ``digestEndTime\\n<bucket>/<key>\\n<hex SHA-256 of the digest>\\n<previous signature or null>``,
  hex, kept where S3 keeps it (object metadata ``signature`` and ``signature-algorithm``) and
  here written beside the digest as ``<digest>.metadata.json``, what
  ``aws s3api head-object --query Metadata`` prints;
* public keys: what ``aws cloudtrail list-public-keys`` prints (base64 DER PKCS#1, the
  fingerprint the MD5 of the DER bytes).

Needs Debian's python3-cryptography (run with /usr/bin/python3).
"""

from __future__ import annotations

import base64
import calendar
import gzip
import hashlib
import io
import json
import pathlib
import time

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

SIGNATURE_ALGORITHM = "SHA256withRSA"


def iso(t: int) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))


def stamp(t: int, seconds: bool) -> str:
    return time.strftime("%Y%m%dT%H%M%SZ" if seconds else "%Y%m%dT%H%MZ", time.gmtime(t))


def ymd(t: int) -> str:
    return time.strftime("%Y/%m/%d", time.gmtime(t))


def utc(*fields: int) -> int:
    return calendar.timegm(fields + (0,) * (6 - len(fields)))


def gzip_bytes(data: bytes, level: int = 6, mtime: int = 0) -> bytes:
    out = io.BytesIO()
    with gzip.GzipFile(fileobj=out, mode="wb", compresslevel=level, mtime=mtime, filename="") as f:
        f.write(data)
    return out.getvalue()


class Signer:
    """A region's signing key pair (a fresh RSA key, as AWS's are: 2048 bits, e = 65537)."""

    def __init__(self) -> None:
        self.private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.der = self.private.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.PKCS1)
        self.fingerprint = hashlib.md5(self.der).hexdigest()

    def sign(self, data: bytes) -> str:
        return self.private.sign(data, padding.PKCS1v15(), hashes.SHA256()).hex()

    def key_entry(self, start: int, end: int) -> dict:
        return {"Value": base64.b64encode(self.der).decode(), "ValidityStartTime": iso(start),
                "ValidityEndTime": iso(end), "Fingerprint": self.fingerprint}


def public_key_list(entries: list[dict]) -> str:
    return json.dumps({"PublicKeyList": entries}, indent=4) + "\n"


class Trail:
    """Where one trail's files go for one account and source region."""

    def __init__(self, bucket: str, account: str, region: str, name: str, home_region: str,
                 prefix: str = "", org_id: str = "") -> None:
        self.bucket, self.account, self.region = bucket, account, region
        self.name, self.home_region, self.prefix, self.org_id = name, home_region, prefix, org_id

    def _base(self) -> str:
        base = (self.prefix + "/" if self.prefix else "") + "AWSLogs/"
        return base + (self.org_id + "/" if self.org_id else "") + self.account

    def log_key(self, delivered: int, unique: str) -> str:
        return (f"{self._base()}/CloudTrail/{self.region}/{ymd(delivered)}/{self.account}_CloudTrail_"
                f"{self.region}_{stamp(delivered, False)}_{unique}.json.gz")

    def digest_key(self, end: int, backfill: bool = False) -> str:
        return (f"{self._base()}/CloudTrail-Digest/{self.region}/{ymd(end)}/{self.account}_"
                f"CloudTrail-Digest_{self.region}_{self.name}_{self.home_region}_"
                f"{stamp(end, True)}{'_backfill' if backfill else ''}.json.gz")


class LogFile:
    """A log file's key and decompressed content (made from `records`, or given as is)."""

    def __init__(self, key: str, records: list[dict], bucket: str, content: bytes | None = None) -> None:
        self.key, self.records, self.bucket = key, records, bucket
        self.content = content if content is not None else json.dumps(
            {"Records": records}, separators=(",", ":")).encode()
        times = sorted(r["eventTime"] for r in records)
        self.oldest, self.newest = (times[0], times[-1]) if times else (None, None)


class Digest:
    def __init__(self, key: str, content: bytes, signature: str, end: int) -> None:
        self.key, self.content, self.signature, self.end = key, content, signature, end


def make_digest(trail: Trail, signer: Signer, start: int, end: int, logs: list[LogFile],
                previous: Digest | None, backfill: bool = False) -> Digest:
    """The digest of `logs` for [start, end], chained to `previous` (None: a starting digest)."""
    key = trail.digest_key(end, backfill)
    newest = max((l.newest for l in logs if l.newest), default=None)
    oldest = min((l.oldest for l in logs if l.oldest), default=None)
    body = {
        "awsAccountId": trail.account,
        "digestStartTime": iso(start),
        "digestEndTime": iso(end),
        "digestS3Bucket": trail.bucket,
        "digestS3Object": key,
        "digestPublicKeyFingerprint": signer.fingerprint,
        "digestSignatureAlgorithm": SIGNATURE_ALGORITHM,
        "newestEventTime": newest,
        "oldestEventTime": oldest,
        "previousDigestS3Bucket": trail.bucket if previous else None,
        "previousDigestS3Object": previous.key if previous else None,
        "previousDigestHashValue": hashlib.sha256(previous.content).hexdigest() if previous else None,
        "previousDigestHashAlgorithm": "SHA-256" if previous else None,
        "previousDigestSignature": previous.signature if previous else None,
        "logFiles": [{"s3Bucket": l.bucket, "s3Object": l.key,
                      "hashValue": hashlib.sha256(l.content).hexdigest(), "hashAlgorithm": "SHA-256",
                      "newestEventTime": l.newest, "oldestEventTime": l.oldest} for l in logs],
    }
    content = json.dumps(body, separators=(",", ":")).encode()
    to_sign = "%s\n%s/%s\n%s\n%s" % (iso(end), trail.bucket, key, hashlib.sha256(content).hexdigest(),
                                     previous.signature if previous else "null")
    return Digest(key, content, signer.sign(to_sign.encode()), end)


def write_log(root: pathlib.Path, log: LogFile) -> None:
    path = root / log.key
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(gzip_bytes(log.content))


def write_digest(root: pathlib.Path, digest: Digest, sidecar: str = "metadata") -> None:
    """`sidecar`: "metadata" (head-object --query Metadata), "head-object" (its whole output),
    or "" (none, as after `aws s3 sync`)."""
    path = root / digest.key
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(gzip_bytes(digest.content))
    metadata = {"signature": digest.signature, "signature-algorithm": SIGNATURE_ALGORITHM}
    if sidecar == "head-object":
        metadata = {"AcceptRanges": "bytes", "LastModified": "2024-03-01T00:00:00+00:00",
                    "ContentLength": path.stat().st_size, "ETag": '"%s"' % hashlib.md5(
                        path.read_bytes()).hexdigest(), "ContentType": "application/x-gzip",
                    "ServerSideEncryption": "AES256", "Metadata": metadata}
    if sidecar:
        (root / (digest.key + ".metadata.json")).write_text(json.dumps(metadata, indent=4) + "\n")

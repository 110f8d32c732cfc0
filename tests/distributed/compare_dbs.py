#!/usr/bin/env python3
"""Compare two trailreplay databases table by table: what `merge` must equal (one scan).

Ids that only number rows (input_id, event_pk, series_id, error_id, scan_id) are compared
through what they point at; rows whose order a scan fixes (inputs, events, matches) are
compared in that order. Sums of real values are compared to a relative 1e-9: a scan adds them
batch by batch, a merge part by part, and floating-point addition is not associative (with
whole-number metric values, the usual case, they are equal exactly).

    compare_dbs.py A.db B.db   -> prints the differences, exit 1 if any

Raw records are compared as JSON text, read through record_json() (tests/support): a scan and
a merge of parts compress them against different dictionaries, so their stored bytes differ.
"""

from __future__ import annotations

import math
import pathlib
import sqlite3
import sys

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "support"))
import record_json  # noqa: E402


def connect(path: str) -> sqlite3.Connection:
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    record_json.register(db)
    return db

QUERIES = {
    "meta": "SELECT key, value FROM meta WHERE key IN ('time_basis', 'keep_duplicates') "
    "ORDER BY key",
    "filters": "SELECT name, pattern, metric_name, metric_namespace, metric_value, "
    "default_value, dimensions, unit, fingerprint FROM filters ORDER BY name",
    "series": "SELECT metric_namespace, metric_name, dimensions FROM series ORDER BY 1, 2, 3",
    "minute_totals": "SELECT minute, events FROM minute_totals ORDER BY minute",
    "filter_buckets": "SELECT f.name, b.bucket, b.matches, b.value_sum FROM filter_buckets b "
    "JOIN filters f USING (filter_id) ORDER BY 1, 2",
    "samples": "SELECT s.metric_namespace, s.metric_name, s.dimensions, p.minute, "
    "p.sample_count, p.sum, p.minimum, p.maximum FROM samples p JOIN series s USING "
    "(series_id) ORDER BY 1, 2, 3, 4",
    "sample_values": "SELECT s.metric_namespace, s.metric_name, s.dimensions, v.minute, v.value, "
    "v.count FROM sample_values v JOIN series s USING (series_id) ORDER BY 1, 2, 3, 4, 5",
    "inputs": "SELECT path, member, scope, size, mtime_ns, kind, status, records, events, "
    "duplicates, out_of_scope, bad_records, message, account, region, delivery_time, "
    "stored_sha256 FROM inputs ORDER BY input_id",
    "events": "SELECT e.event_id, e.event_time, e.stamp, e.account, e.region, e.event_source, "
    "e.event_name, e.error_code, e.source_ip, e.principal_arn, e.user_agent, i.path, i.member, "
    "e.record_index, record_json(e.raw) FROM events e JOIN inputs i USING (input_id) ORDER BY e.event_pk",
    "event_matches": "SELECT e.event_id, e.record_index, i.path, f.name, m.value, "
    "s.metric_namespace, s.metric_name, s.dimensions FROM event_matches m "
    "JOIN events e USING (event_pk) JOIN inputs i ON i.input_id = e.input_id "
    "JOIN filters f ON f.filter_id = m.filter_id "
    "LEFT JOIN series s ON s.series_id = m.series_id ORDER BY e.event_pk, f.name",
    "scan_errors": "SELECT path, member, offset, record_index, kind, message FROM scan_errors "
    "ORDER BY 1, 2, 3, 4, 5, 6",
}


def same(a, b) -> bool:
    if isinstance(a, float) or isinstance(b, float):
        if a is None or b is None:
            return a is b
        return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9)
    return a == b


def seen_keys(db: sqlite3.Connection) -> set[tuple[int, bytes]]:
    keys = set()
    for hour, blob in db.execute("SELECT hour, keys FROM seen_ids"):
        for i in range(0, len(blob), 16):
            keys.add((hour, blob[i:i + 16]))
    return keys


def compare(path_a: str, path_b: str) -> list[str]:
    a, b = connect(path_a), connect(path_b)
    problems = []
    for table, sql in QUERIES.items():
        rows_a = a.execute(sql).fetchall()
        rows_b = b.execute(sql).fetchall()
        if len(rows_a) != len(rows_b):
            problems.append(f"{table}: {len(rows_a)} rows against {len(rows_b)}")
        for i, (ra, rb) in enumerate(zip(rows_a, rows_b)):
            if len(ra) != len(rb) or not all(same(x, y) for x, y in zip(ra, rb)):
                problems.append(f"{table} row {i}: {ra!r:.300} against {rb!r:.300}")
                break
    ka, kb = seen_keys(a), seen_keys(b)
    if ka != kb:
        problems.append(f"seen_ids: {len(ka)} keys against {len(kb)}, {len(ka ^ kb)} differ")
    return problems


if __name__ == "__main__":
    found = compare(sys.argv[1], sys.argv[2])
    for p in found:
        print(p)
    sys.exit(1 if found else 0)

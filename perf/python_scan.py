#!/usr/bin/env python3
"""Python baseline for perf/scan-benchmark.py: the loop a responder would write.

gzip + json over every .json.gz under DIR, counting records, distinct eventIDs and the CIS
unauthorized-calls matches. Prints one JSON line. Usage: python_scan.py DIR
"""
import gzip
import json
import pathlib
import sys
import time

started = time.time()
records = unauthorized = 0
seen = set()
for path in sorted(pathlib.Path(sys.argv[1]).rglob("*.json.gz")):
    with gzip.open(path, "rb") as f:
        doc = json.load(f)
    for r in doc.get("Records", []):
        records += 1
        seen.add(r.get("eventID"))
        code = r.get("errorCode")
        if isinstance(code, str) and (code.endswith("UnauthorizedOperation")
                                      or code.startswith("AccessDenied")):
            unauthorized += 1
print(json.dumps({"records": records, "events": len(seen), "unauthorized": unauthorized,
                  "seconds": time.time() - started}))

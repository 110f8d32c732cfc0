#!/usr/bin/python3
"""The Trino SQL `trailreplay compile` writes (dialects athena and trino-json) parses as one
Trino statement with sqlglot's Trino dialect (Debian's python3-sqlglot: run with /usr/bin/python3),
and holds no DuckDB-only syntax.

No Trino runs here: what the SQL computes is checked by running the same query written for
DuckDB (duckdb_pushdown.py, --engine duckdb); this test checks that the Trino spelling of it is
well-formed for a wide range of rule sets: the CIS pack, tests/pushdown/rules/extra.json,
hostile names and patterns, and generated filters (wildcards, regexes, numbers, defaults,
dimensions) from tests/pushdown/generate_corpus.

Exit 0: all parse; 1: one does not (printed); 77: sqlglot is not installed (skipped).
Usage: trino_sqlglot.py --binary build/trailreplay --generator build/tests/generate_corpus
           --source-dir .
"""

import argparse
import json
import pathlib
import re
import subprocess
import sys
import tempfile

try:
    import sqlglot
    from sqlglot import exp
except ImportError:
    print("SKIP: sqlglot is not installed (apt-get install python3-sqlglot)")
    sys.exit(77)

# DuckDB spellings that must not reach Trino text.
DUCKDB_ONLY = [r"//", r"\blist_\w+\(", r"\bjson_type\(", r"\bregexp_matches\(",
               r"\bstruct_extract\(", r"\{'kind'", r"\bread_json", r"\bisinf\(",
               r"\bjson_extract_string\("]

HOSTILE = {"metricFilters": [
    {"filterName": name, "filterPattern": pattern, "metricTransformations": [
        {"metricName": f"m{i}", "metricNamespace": "Hostile", "metricValue": "1"}]}
    for i, (name, pattern) in enumerate([
        ("x'; DROP TABLE t; --", '{ $.s = "it\'s" }'),
        ('quote"name', "{ $.['we\"ird'] = \"-- not a comment\" }"),
        ("newline\nname", '{ $.s = "x\u0000y" || $.s = "\u202eevil" }'),
        ("path", "{ $.['a/b~c'][0] = %^[\\]a-]+$% && $.['0'] != \"*/\" }"),
        ("glob", '{ $.s = "100%_done\\\\*" }'),
    ])]}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--binary", required=True)
    parser.add_argument("--generator", required=True)
    parser.add_argument("--source-dir", required=True)
    args = parser.parse_args()
    source = pathlib.Path(args.source_dir)
    tmp = pathlib.Path(tempfile.mkdtemp(prefix="trailreplay-sqlglot-"))
    hostile = tmp / "hostile.json"
    hostile.write_text(json.dumps(HOSTILE))
    subprocess.run([args.generator, "7", "10", "80", str(tmp)], check=True)
    extra = source / "tests" / "pushdown" / "rules" / "extra.json"
    window = ["--from", "2024-03-01", "--to", "2024-03-08T12:00Z"]
    cases = {
        "athena cis+extra, projection": ["--dialect", "athena", "--table", "db.cloudtrail_logs",
                                         "--rules", "cis", "--rules", str(extra),
                                         "--partition-columns", "timestamp",
                                         "--skip-unsupported", *window],
        "athena year/month/day": ["--dialect", "athena", "--table", "cloudtrail_logs",
                                  "--partition-columns", "year,month,day", "--from",
                                  "2024-03-01"],
        "athena generated": ["--dialect", "athena", "--table", "cloudtrail_logs", "--rules",
                             str(tmp / "rules.json"), "--skip-unsupported"],
        "athena hostile": ["--dialect", "athena", "--table", "t", "--rules", str(hostile)],
        "trino-json cis+extra": ["--dialect", "trino-json", "--table", "lake.events",
                                 "--json-column", "json", "--rules", "cis", "--rules",
                                 str(extra), *window],
        "trino-json generated": ["--dialect", "trino-json", "--table", "t", "--rules",
                                 str(tmp / "rules.json")],
        "trino-json hostile": ["--dialect", "trino-json", "--table", "t", "--rules",
                               str(hostile)],
    }
    failures = []
    for name, options in cases.items():
        done = subprocess.run([args.binary, "compile", *options], capture_output=True,
                              text=True)
        if done.returncode != 0:
            failures.append(f"{name}: compile exited {done.returncode}: {done.stderr}")
            continue
        sql = done.stdout
        try:
            statements = sqlglot.parse(sql, read="trino")
        except Exception as error:  # sqlglot raises ParseError and TokenError
            failures.append(f"{name}: sqlglot cannot parse it: {str(error)[:500]}")
            continue
        statements = [s for s in statements if s is not None]
        if len(statements) != 1 or not isinstance(statements[0], exp.Union):
            failures.append(f"{name}: expected one UNION ALL statement, got "
                            f"{[type(s).__name__ for s in statements]}")
            continue
        body = "\n".join(line for line in sql.splitlines() if not line.startswith("--"))
        body = re.sub(r"'(?:[^']|'')*'", "''", body)  # literals hold data, not syntax
        for pattern in DUCKDB_ONLY:
            if re.search(pattern, body):
                failures.append(f"{name}: DuckDB syntax {pattern} in the Trino text")
        lambdas = len(list(statements[0].find_all(exp.Lambda)))
        print(f"  {name}: parsed ({len(sql)} bytes, {lambdas} lambdas)")
    for failure in failures:
        print("FAIL " + failure)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())

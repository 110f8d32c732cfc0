#!/usr/bin/env python3
"""The SQL `trailreplay compile` writes, run by DuckDB, checked against native scans.

For each case: `scan` the records into one database; `compile` the same rules, run the SQL in
DuckDB (the @duckdb/node-api npm package, installed under the build directory as
perf/scan-benchmark.py does), write its result as CSV the way Athena writes results, and
`import-samples` it into another database; then compare what the two databases hold:
minute_totals, every series' samples and sample_values, and filter_buckets.

  datasets      every real dataset in ../shared/datasets (skipped when absent), the CIS pack
                and tests/pushdown/rules/extra.json (values, dimensions, defaults, wildcards,
                regexes): --dialect duckdb must equal the scan exactly
  corpus        perf/make-corpus.py's S3 layout with redelivered duplicates, whole and with
                --from/--to (files skipped by their delivery time as scan skips them)
  tables        the same records as Athena's CloudTrail table (a DuckDB view with the
                SerDe's losses, cloudtrail_table.py) for --dialect athena, and as a table of
                JSON text for --dialect trino-json, both with --engine duckdb: every filter
                compile calls exact must equal the scan (for every case but the two largest
                datasets, where building the view record by record would take minutes)
  random        generated filters over generated records (tests/pushdown/generate_corpus):
                every exact filter must equal the scan, in each of the three dialects
  literals      regexes, globs, metric values at the edges of PutMetricData's range, and
                names and patterns that would break out of SQL literals or comments
  delivery      files skipped by the delivery time in their names and by partitions
  necessary     records made to show each kind of approximate verdict is needed: the scan
                and the SQL differ on them

Exit 0: all equal; 1: a difference (printed); 77: DuckDB could not be installed (skipped).
Usage: duckdb_pushdown.py --binary build/trailreplay --generator build/tests/generate_corpus
           --source-dir .
"""

from __future__ import annotations

import argparse
import json
import os
import pathlib
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import cloudtrail_table  # noqa: E402

SKIP = 77

# The dataset folders and the globs that select their record files.
DATASETS = {
    "flaws2-cloudtrail": ["AWSLogs/**/*.json.gz"],
    "grycap-cloudtrail-tracker": ["AWSLogs/**/*.json.gz"],
    "sans504-s3-ransomware": ["AWSLogs/**/*.json.gz"],
    "invictus-aws-stratus": ["AWSLogs/**/*.json"],
    "stratus-red-team-detonation-logs": ["*.json"],
    "traildiscover-log-examples": ["*.json.cloudtrail"],
    "otrf-ec2-proxy-s3-exfil": ["*.json"],
}
# The two largest datasets (thousands of small files) run the duckdb dialect only: the table
# variants build Athena's table as a view record by record, which costs minutes there and
# checks nothing the other datasets and the corpus do not.
DUCKDB_ONLY = {"grycap-cloudtrail-tracker", "sans504-s3-ransomware"}
# Dated by Logstash's @timestamp only, which the Athena table has no column for (compile's
# note says so): the athena variant would count nothing.
NO_EVENT_TIME = {"otrf-ec2-proxy-s3-exfil"}

# Records as the compiled duckdb query reads them, read once for the table variants.
RECORDS_SQL = """
CREATE OR REPLACE TABLE records_in AS
SELECT path, r FROM (
  SELECT path, unnest(CASE WHEN json_type(doc) = 'ARRAY' THEN json_extract(doc, '$[*]')
                           WHEN json_type(doc, '/Records') = 'ARRAY'
                             THEN json_extract(doc, '$.Records[*]')
                           ELSE [doc] END) AS r
  FROM (SELECT filename AS path, json AS doc
        FROM read_json_objects({inputs}, format = 'unstructured', filename = true,
                               maximum_object_size = 1073741824)))
WHERE json_type(r) = 'OBJECT';
CREATE OR REPLACE TABLE json_records AS SELECT CAST(r AS VARCHAR) AS record FROM records_in;
"""


class Failure(Exception):
    pass


# The column of each compared table that holds a sum of published values. A scan adds values
# event by event; the SQL adds each distinct value times its count: the same numbers in another
# order, so a sum of values that are not integers may differ in its last bits. Every other
# column (counts, minima, maxima, each value, and integer sums) must be equal.
SUM_COLUMN = {"samples": 3, "values": None, "buckets": 2}


def same_rows(a, b, sum_column):
    if a is None or b is None or len(a) != len(b):
        return a == b
    for x, y in zip(a, b):
        if sum_column is None:
            if x != y:
                return False
            continue
        if x[:sum_column] + x[sum_column + 1:] != y[:sum_column] + y[sum_column + 1:]:
            return False
        if x[sum_column] != y[sum_column] and abs(x[sum_column] - y[sum_column]) > \
                1e-12 * max(abs(x[sum_column]), abs(y[sum_column])):
            return False
    return True


class Harness:
    def __init__(self, args):
        self.binary = args.binary
        self.generator = args.generator
        self.source = pathlib.Path(args.source_dir).resolve()
        self.node_dir = pathlib.Path(args.binary).resolve().parent / "perf-node"
        self.tmp = pathlib.Path(tempfile.mkdtemp(prefix="trailreplay-pushdown-"))
        self.failures: list[str] = []
        self.checked = 0
        self.seeds = [int(x) for x in args.seeds.split(",")]

    # ---- tools ---------------------------------------------------------------------------

    def duckdb_available(self) -> str | None:
        """Installs @duckdb/node-api under the build directory when npm can (as perf does)."""
        if (self.node_dir / "node_modules" / "@duckdb" / "node-api").exists():
            return None
        if not shutil.which("node") or not shutil.which("npm"):
            return "node/npm not installed"
        self.node_dir.mkdir(parents=True, exist_ok=True)
        done = subprocess.run(["npm", "install", "--silent", "--prefix", str(self.node_dir),
                               "@duckdb/node-api"], capture_output=True, text=True)
        if done.returncode != 0:
            return "npm could not install @duckdb/node-api: " + done.stderr.strip()[-200:]
        return None

    def run(self, *args, check=True):
        done = subprocess.run([self.binary, *args], capture_output=True, text=True,
                              env={**os.environ, "TZ": "UTC", "LC_ALL": "C"})
        if check and done.returncode not in (0, 3):
            raise Failure(f"trailreplay {' '.join(args)}: exit {done.returncode}\n{done.stderr}")
        return done

    def duckdb(self, jobs):
        """Runs [{name, setup, queries: [{query, out}]}] in DuckDB; raises on an error."""
        runner = self.node_dir / "run_duckdb.mjs"
        shutil.copy(self.source / "tests" / "pushdown" / "run_duckdb.mjs", runner)
        spec = self.tmp / "jobs.json"
        spec.write_text(json.dumps(jobs))
        done = subprocess.run(["node", str(runner), str(spec)], capture_output=True, text=True)
        if done.returncode != 0:
            raise Failure("node: " + done.stderr[-2000:])
        for line in done.stdout.splitlines():
            result = json.loads(line)
            if "error" in result:
                raise Failure(f"DuckDB, {result['name']}: {result['error'][:3000]}")

    # ---- one comparison ------------------------------------------------------------------

    def scan(self, name, paths, rules, extra=()):
        db = self.tmp / f"{name}.native.db"
        if db.exists():
            db.unlink()
        self.run("scan", *map(str, paths), "--db", str(db), "--progress", "never",
                 *sum((["--rules", str(r)] for r in rules), []), *extra)
        return db

    def compile(self, rules, dialect, source_args, extra=()):
        args = ["compile", "--dialect", dialect, "--engine", "duckdb", *source_args,
                *sum((["--rules", str(r)] for r in rules), []), *extra]
        sql = self.run(*args).stdout
        explain = json.loads(self.run(*args, "--explain", "--json").stdout)
        verdicts = {f["name"]: f["verdict"] for f in explain["filters"]}
        return sql, verdicts

    def imported(self, name, rules, csv):
        db = self.tmp / f"{name}.imported.db"
        if db.exists():
            db.unlink()
        self.run("import-samples", str(csv), "--db", str(db),
                 *sum((["--rules", str(r)] for r in rules), []))
        return db

    @staticmethod
    def contents(db, filters=None):
        """What a replay reads, per filter name (None: minute totals)."""
        con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
        out = {None: con.execute("SELECT minute, events FROM minute_totals ORDER BY 1").fetchall()}
        names = [r[0] for r in con.execute("SELECT name FROM filters ORDER BY name")]
        for name in names:
            if filters is not None and name not in filters:
                continue
            out[name] = {
                "samples": con.execute(
                    "SELECT s.dimensions, p.minute, p.sample_count, p.sum, p.minimum, "
                    "p.maximum FROM samples p JOIN series s USING (series_id) JOIN filters f "
                    "ON f.metric_namespace = s.metric_namespace AND f.metric_name = "
                    "s.metric_name WHERE f.name = ? ORDER BY 1, 2", (name,)).fetchall(),
                "values": con.execute(
                    "SELECT s.dimensions, v.minute, v.value, v.count FROM sample_values v "
                    "JOIN series s USING (series_id) JOIN filters f ON f.metric_namespace = "
                    "s.metric_namespace AND f.metric_name = s.metric_name WHERE f.name = ? "
                    "ORDER BY 1, 2, 3", (name,)).fetchall(),
                "buckets": con.execute(
                    "SELECT bucket, matches, value_sum FROM filter_buckets JOIN filters "
                    "USING (filter_id) WHERE name = ? ORDER BY 1", (name,)).fetchall(),
            }
        con.close()
        return out

    def compare(self, case, native, imported, verdicts, exact_only):
        left, right = self.contents(native), self.contents(imported)
        if left[None] != right[None]:
            self.fail(case, "minute totals", left[None], right[None])
        checked = 0
        for name, verdict in verdicts.items():
            if exact_only and verdict != "exact":
                continue
            if verdict == "unsupported":
                continue
            checked += 1
            for part in ("samples", "values", "buckets"):
                a = left.get(name, {}).get(part)
                b = right.get(name, {}).get(part)
                if not same_rows(a, b, SUM_COLUMN[part]):
                    self.fail(case, f"filter {name} ({verdict}), {part}", a, b)
        self.checked += checked
        return checked

    def fail(self, case, what, native, pushed):
        native, pushed = native or [], pushed or []
        only_native = [r for r in native if r not in pushed][:5]
        only_pushed = [r for r in pushed if r not in native][:5]
        self.failures.append(f"{case}: {what} differ\n    scan only: {only_native}\n"
                             f"    sql only:  {only_pushed}")

    def differs(self, native, imported, name):
        """True when the two databases disagree on filter `name` (or on minute totals)."""
        left, right = self.contents(native, {name}), self.contents(imported, {name})
        return left != right

    # ---- the three dialects over one set of files -----------------------------------------

    def dialects(self, case, inputs, rules, native, exact_only_duckdb, extra=(), athena=True,
                 compare_trino=True, partitions=(), tables=True):
        """Runs the duckdb, athena and trino-json queries over `inputs`; compares each."""
        inputs_sql = "[" + ", ".join("'" + str(i).replace("'", "''") + "'" for i in inputs) + "]"
        setup = [RECORDS_SQL.format(inputs=inputs_sql),
                 cloudtrail_table.view_sql("records_in")] if tables else []
        runs = []
        duck_sql, duck_verdicts = self.compile(
            rules, "duckdb", sum((["--input", str(i)] for i in inputs), []), extra)
        runs.append(("duckdb", duck_sql, duck_verdicts, exact_only_duckdb))
        if tables and athena:
            athena_sql, athena_verdicts = self.compile(
                rules, "athena", ["--table", "cloudtrail_logs"],
                [*extra, "--skip-unsupported", *(["--partition-columns", ",".join(partitions)]
                                                 if partitions else [])])
            runs.append(("athena", athena_sql, athena_verdicts, True))
        if tables:
            trino_sql, trino_verdicts = self.compile(
                rules, "trino-json", ["--table", "json_records"], extra)
            runs.append(("trino-json", trino_sql, trino_verdicts, True))
        self.duckdb([{"name": case, "setup": setup,
                      "queries": [{"query": q, "out": str(self.tmp / f"{case}.{d}.csv")}
                                  for d, q, _, _ in runs]}])
        for dialect, _, verdicts, exact_only in runs:
            if dialect == "trino-json" and not compare_trino:
                continue
            csv = self.tmp / f"{case}.{dialect}.csv"
            rules_for_import = rules
            left_out = [n for n, v in verdicts.items() if v == "unsupported"]
            if left_out:
                # The result has no counts for them: import with rules that leave them out.
                doc = json.loads(self.run("rules", "show", *map(str, rules), "--format",
                                          "json").stdout)
                doc["metricFilters"] = [f for f in doc["metricFilters"]
                                        if f["filterName"] not in left_out]
                rules_for_import = [self.tmp / f"{case}.{dialect}.rules.json"]
                rules_for_import[0].write_text(json.dumps(doc))
            imported = self.imported(f"{case}.{dialect}", rules_for_import, csv)
            n = self.compare(f"{case} [{dialect}]", native, imported, verdicts, exact_only)
            print(f"  {case} [{dialect}]: {n} filters compared "
                  f"({sum(v == 'exact' for v in verdicts.values())} exact)")

    # ---- cases ---------------------------------------------------------------------------

    def datasets(self):
        shared = self.source.parent / "shared" / "datasets"
        if not shared.is_dir():
            print("  datasets: ../shared/datasets absent, skipped")
            return
        rules = ["cis", self.source / "tests" / "pushdown" / "rules" / "extra.json"]
        for name, globs in DATASETS.items():
            folder = shared / name
            if not folder.is_dir():
                print(f"  {name}: absent, skipped")
                continue
            started = time.time()
            native = self.scan(name, [folder], rules)
            self.dialects(name, [folder / g for g in globs], rules, native,
                          exact_only_duckdb=False, athena=name not in NO_EVENT_TIME,
                          tables=name not in DUCKDB_ONLY)
            print(f"  {name}: {time.time() - started:.1f} s")

    def corpus(self):
        folder = self.tmp / "corpus"
        subprocess.run([sys.executable, str(self.source / "perf" / "make-corpus.py"), str(folder),
                        "--size-mb", "4", "--seed", "3", "--duplicate-rate", "0.02",
                        "--activity", "1"], check=True, capture_output=True)
        rules = ["cis", self.source / "tests" / "pushdown" / "rules" / "extra.json"]
        native = self.scan("corpus", [folder], rules)
        self.dialects("corpus", [folder / "AWSLogs/**/*.json.gz"], rules, native,
                      exact_only_duckdb=False)
        # A range: events by eventTime, files skipped by delivery time, as scan does.
        con = sqlite3.connect(f"file:{native}?mode=ro", uri=True)
        lo, hi = con.execute("SELECT min(minute), max(minute) FROM minute_totals").fetchone()
        con.close()
        span = hi - lo
        frm = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(lo + span // 3 + 17))
        to = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(lo + 2 * span // 3 + 29))
        window = ["--from", frm, "--to", to, "--max-delivery-delay", "30m"]
        native = self.scan("corpus-range", [folder], rules, window)
        self.dialects("corpus-range", [folder / "AWSLogs/**/*.json.gz"], rules, native,
                      exact_only_duckdb=False, extra=window, partitions=["year", "month", "day"])

    def random(self):
        for seed in self.seeds:
            folder = self.tmp / f"random{seed}"
            folder.mkdir()
            subprocess.run([self.generator, str(seed), "3000", "60", str(folder)], check=True)
            rules = [folder / "rules.json"]
            native = self.scan(f"random{seed}", [folder / "records.jsonl"], rules)
            self.dialects(f"random{seed}", [folder / "records.jsonl"], rules, native,
                          exact_only_duckdb=True)

    def literals(self):
        """Regexes, globs and hostile text: what the engines read must be what the pattern says.

        Each filter tests one value field against subjects chosen to tell engines' regex and
        LIKE dialects apart (newlines, non-ASCII, brackets and escapes) and text that would
        break out of a string literal or a comment if it were pasted into the SQL.
        """
        folder = self.tmp / "literals"
        folder.mkdir()
        subjects = ["", "a", "abc", "a\nb", "x\n", "\n", "é", "aéb", "10.10.0.1", "10010,051",
                    "[ERROR]", "a-b", "a]b", "a^b", "a$b", "a\\b", "it's", 'say "hi"',
                    "-- not a comment", "*/", "%_%", "x\u0000y", "\u202ex", "AccessDenied",
                    "UnauthorizedOperation", "Client.UnauthorizedOperation", "123", "12a",
                    "tab\there", "~/", "a b", "Ev*ent", "Event"]
        records = []
        for i, subject in enumerate(subjects):
            for key in ("s", 'we"ird', "a/b~c"):
                records.append(json.dumps({"eventTime": "2024-03-01T10:%02d:00Z" % (i % 60),
                                           "eventID": f"lit-{i}-{len(records)}",
                                           key: subject}))
        # Metric values PutMetricData accepts or rejects (beyond 2^360, non-zero below
        # 2^-360), and texts that are no number to from_chars (out of range).
        values = ["5", '"7"', "1e300", "-1e300", "1e-200", "0", "-0.0", '"1e-400"', '"1e999"',
                  '"+2.5"', '" 3"', "true", "null", '"2e108"', "2.3e108"]
        for i, value in enumerate(values):
            records.append('{"eventTime":"2024-03-01T11:%02d:00Z","eventID":"val-%d","v":%s}'
                           % (i, i, value))
        (folder / "records.jsonl").write_text("\n".join(records) + "\n")
        regexes = [r"a", r"^a", r"a$", r"^$", r"a.b", r".", r"^.$", r"\d+", r"^\d{2,}$",
                   r"\D", r"\s", r"\S", r"\w+", r"\W", r"[a-c]", r"[^a-c]",
                   r"\]", r"[\]a]", r"[-a]", r"[a-]", r"\^", r"\$", r"\\", r"\x41",
                   r"a{2}", r"a{,1}b", r"a{1,}", r"b{0,2}$", r"Den|Trail", r"^x|b$", r"a|",
                   r"10\.10\.0\.1", r"10.10.0.1", r"[^\s\S]", r"[\s\S]", r"Unauthorized",
                   r"^[^a-z]*$", r"[^\x00-\x7f]"]
        globs = ["*", "a*", "*b", "a*b", "*a*", "Ev*ent", "*Operation", "AccessDenied*", "%_%",
                 "*\\*", "it's", 'say "hi"', "-- not a comment", "*/", "", "*~/*", "aé*",
                 "*é", "‮*"]
        filters = []
        for n, regex in enumerate(regexes):
            filters.append((f"re{n}", "{ $.s = %" + regex + "% }"))
            filters.append((f"re_ne{n}", "{ $.s != %" + regex + "% }"))
        for n, glob in enumerate(globs):
            quoted = glob.replace("\\", "\\\\").replace('"', '\\"')
            filters.append((f"glob{n}", '{ $.s = "' + quoted + '" }'))
            filters.append((f"glob_key{n}", '{ $.[\'we"ird\'] = "' + quoted + '" }'))
            filters.append((f"glob_path{n}", "{ $.['a/b~c'] != \"" + quoted + '" }'))
        names = ["x'; DROP TABLE records_in; --", 'quote"name', "-- comment", "\u202eevil"]
        for n, name in enumerate(names):
            filters.append((name, "{ $.s = \"it's\" || $.s = \"x\u0000y\" || "
                                  "$.s = \"\u202ex\" }"))
        filters.append(("values", "{ $.v = * || $.v IS NULL || $.v IS TRUE }"))
        rules = folder / "rules.json"
        rules.write_text(json.dumps({"metricFilters": [
            {"filterName": name, "filterPattern": pattern, "metricTransformations": [
                {"metricName": f"m{i}", "metricNamespace": "Literals",
                 "metricValue": "$.v" if name == "values" else "1"}]}
            for i, (name, pattern) in enumerate(filters)]}))
        native = self.scan("literals", [folder / "records.jsonl"], [rules])
        self.dialects("literals", [folder / "records.jsonl"], [rules], native,
                      exact_only_duckdb=True)

    def delivery(self):
        """Files skipped by the delivery time in their names, as scan skips them.

        Between --from 10:00 and --to 11:00 with --max-delivery-delay 1h: a file delivered
        at 12:30 holds an event of 10:50 (too late: scan does not read it), one delivered at
        09:40 holds an event of 10:05 (a clock ahead of CloudTrail's; delivered more than 15
        minutes before --from: not read), one delivered at 11:20 holds events of 10:58 and
        11:02, and a file without a delivery stamp in its name is always read. duckdb and
        athena see file names and must agree with scan; trino-json has none, and its note
        says it counts the late events: shown here.
        """
        folder = self.tmp / "delivery" / "AWSLogs" / "111122223333" / "CloudTrail" / "us-east-1"
        folder.mkdir(parents=True)

        def record(minute, n):
            return ('{"eventVersion":"1.09","eventTime":"2024-03-01T%s:00Z","eventSource":'
                    '"cloudtrail.amazonaws.com","eventName":"StopLogging","eventID":'
                    '"00000000-0000-4000-8000-%012d","recipientAccountId":"111122223333"}'
                    % (minute, n))
        files = {
            "2024/03/01/111122223333_CloudTrail_us-east-1_20240301T1230Z_late0000000001.json":
                [record("10:50", 1)],
            "2024/03/01/111122223333_CloudTrail_us-east-1_20240301T0940Z_early000000001.json":
                [record("10:05", 2)],
            "2024/03/01/111122223333_CloudTrail_us-east-1_20240301T1120Z_intime00000001.json":
                [record("10:58", 3), record("11:02", 4)],
            "2024/03/01/renamed-export.json": [record("10:30", 5)],
            # A partition --partition-columns leaves out, as scan leaves out its file.
            "2024/03/02/111122223333_CloudTrail_us-east-1_20240302T0100Z_nextday0000001.json":
                [record("10:40", 6)],
        }
        for name, records in files.items():
            path = folder / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text('{"Records":[' + ",".join(records) + "]}")
        window = ["--from", "2024-03-01T10:00:00Z", "--to", "2024-03-01T11:00:00Z",
                  "--max-delivery-delay", "1h"]
        rules = ["cis"]
        root = self.tmp / "delivery"
        native = self.scan("delivery", [root], rules, window)
        events = sqlite3.connect(native).execute(
            "SELECT sum(events) FROM minute_totals ORDER BY 1").fetchone()[0]
        if events != 2:
            self.failures.append(f"delivery: scan counted {events} events, expected 2")
        self.dialects("delivery", [root / "AWSLogs/**/*.json"], rules, native,
                      exact_only_duckdb=False, extra=window, compare_trino=False,
                      partitions=["timestamp"])
        trino = self.imported("delivery.trino-json", rules, self.tmp / "delivery.trino-json.csv")
        if not self.differs(native, trino, "cis_cloudtrail_config_changes"):
            self.failures.append("delivery: trino-json agrees with scan, so the records do not "
                                 "show its note about late files")
        else:
            print("  delivery [trino-json]: counts the late files, as its note says")

    def necessary(self):
        """Each kind of approximate verdict, shown needed: records on which it matters."""
        folder = self.tmp / "necessary"
        folder.mkdir()
        base = ('"eventVersion":"1.09","eventSource":"iam.amazonaws.com","awsRegion":'
                '"us-east-1","eventType":"AwsApiCall","recipientAccountId":"111122223333"')
        records = [
            # invokedBy present but null: NOT EXISTS is false for CloudWatch, the table's NULL
            # cannot tell.
            '{"eventTime":"2024-03-01T10:00:05Z","eventID":"00000000-0000-4000-8000-000000000001",'
            '"eventName":"GetUser","userIdentity":{"type":"Root","invokedBy":null},' + base + '}',
            # readOnly as the string "true": IS TRUE is false for CloudWatch.
            '{"eventTime":"2024-03-01T10:01:05Z","eventID":"00000000-0000-4000-8000-000000000002",'
            '"eventName":"ListUsers","readOnly":"true","userIdentity":{"type":"IAMUser"},' + base + '}',
            # A key the DDL does not name.
            '{"eventTime":"2024-03-01T10:02:05Z","eventID":"00000000-0000-4000-8000-000000000003",'
            '"eventName":"GetRole","managementEvent":true,"userIdentity":{"type":"IAMUser"},' + base + '}',
            # errorCode a JSON number: numeric tests see text in the table.
            '{"eventTime":"2024-03-01T10:03:05Z","eventID":"00000000-0000-4000-8000-000000000004",'
            '"eventName":"GetPolicy","errorCode":404,"userIdentity":{"type":"IAMUser"},' + base + '}',
            # A number written 1.50: engines write it 1.5.
            '{"eventTime":"2024-03-01T10:04:05Z","eventID":"00000000-0000-4000-8000-000000000005",'
            '"eventName":"PutObject","requestParameters":{"size":1.50},'
            '"userIdentity":{"type":"IAMUser"},' + base + '}',
        ]
        (folder / "records.jsonl").write_text("\n".join(records) + "\n")
        filters = {
            "not_exists": ('{ $.userIdentity.type = Root && $.userIdentity.invokedBy NOT EXISTS }',
                           "athena"),
            "is_true": ('{ $.readOnly IS TRUE }', "athena"),
            "not_in_ddl": ('{ $.managementEvent IS TRUE }', "athena"),
            "case": ('{ $.eventname = GetUser }', "athena"),
            "numeric": ('{ $.errorCode > 400 }', "athena"),
            "number_text": ('{ $.requestParameters.size = "1.50" }', "duckdb"),
            "number_text_json": ('{ $.requestParameters.size = "1.50" }', "trino-json"),
        }
        inputs = [folder / "records.jsonl"]
        setup = [RECORDS_SQL.format(inputs="['" + str(inputs[0]) + "']"),
                 cloudtrail_table.view_sql("records_in")]
        jobs, cases = [], []
        for name, (pattern, dialect) in filters.items():
            rules = folder / f"{name}.json"
            rules.write_text(json.dumps({"metricFilters": [{
                "filterName": name, "filterPattern": pattern, "metricTransformations": [
                    {"metricName": name, "metricNamespace": "T", "metricValue": "1"}]}]}))
            source = (["--input", str(inputs[0])] if dialect == "duckdb" else
                      ["--table", "cloudtrail_logs" if dialect == "athena" else "json_records"])
            sql, verdicts = self.compile([rules], dialect, source)
            if verdicts[name] != "approximate":
                self.failures.append(f"necessary {name}: compile calls it {verdicts[name]}, "
                                     "not approximate")
                continue
            csv = self.tmp / f"necessary-{name}.csv"
            jobs.append({"query": sql, "out": str(csv)})
            cases.append((name, dialect, rules, csv))
        self.duckdb([{"name": "necessary", "setup": setup, "queries": jobs}])
        for name, dialect, rules, csv in cases:
            native = self.scan(f"necessary-{name}", inputs, [rules])
            imported = self.imported(f"necessary-{name}", [rules], csv)
            if not self.differs(native, imported, name):
                self.failures.append(f"necessary {name} ({dialect}): the scan and the SQL agree, "
                                     "so the records do not show why it is approximate")
            else:
                print(f"  necessary {name} [{dialect}]: approximate, and the results differ")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--binary", required=True)
    parser.add_argument("--generator", required=True)
    parser.add_argument("--source-dir", required=True)
    parser.add_argument("--only",
                        help="run one case: literals, necessary, delivery, random, corpus, "
                             "datasets")
    parser.add_argument("--keep", action="store_true", help="keep the work files")
    parser.add_argument("--seeds", default="1,2,3", help="random: the generator's seeds")
    args = parser.parse_args()
    h = Harness(args)
    reason = h.duckdb_available()
    if reason:
        print(f"SKIP: DuckDB is not available ({reason})")
        return SKIP
    started = time.time()
    try:
        for case in ("literals", "necessary", "delivery", "random", "corpus", "datasets"):
            if args.only and args.only != case:
                continue
            print(f"== {case}")
            getattr(h, case)()
    except Failure as e:
        h.failures.append(str(e))
    finally:
        if not h.failures and not args.keep:
            shutil.rmtree(h.tmp, ignore_errors=True)
    print(f"{h.checked} filter comparisons in {time.time() - started:.0f} s")
    for failure in h.failures:
        print("FAIL " + failure)
    if h.failures or args.keep:
        print(f"(work files kept in {h.tmp})")
    return 1 if h.failures else 0


if __name__ == "__main__":
    sys.exit(main())

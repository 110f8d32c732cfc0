// Compiling a rule set's metric filters to one SQL statement that a query engine runs where the
// CloudTrail data lives, and whose result (result_format.h) `import-samples` loads into a
// trailreplay database: what a scan would have stored, per minute, without the events.
//
//   dialect      where the records are, and so what the SQL can see of them:
//     athena     the CloudTrail table of the Athena user guide (CloudTrail SerDe): columns
//                in lower case, userIdentity / resources / tlsDetails / addendum as structs,
//                requestParameters, responseElements, additionalEventData,
//                serviceEventDetails and edgeDeviceDetails as strings of JSON; partition
//                predicates with --partition-columns (projection or year/month/day)
//     trino-json a table of raw records, one JSON text per row (CloudTrail Lake exports,
//                NDJSON conversions)
//     duckdb     the files themselves, read by DuckDB's read_json_objects over --input
//   engine       the SQL syntax: trino for athena and trino-json, duckdb for duckdb; athena
//                and trino-json can also be written for DuckDB (a DuckDB table of the same
//                shape), which is how the tests run them
//
// One pass over the records, in layers: the values each filter reads (fields, typed), each
// filter's match (matched), what it publishes (evaluated), one copy per eventID and hour of
// eventTime (deduplicated), and one aggregation of every filter's contributions per minute.
//
// Each filter gets a verdict: exact (the SQL counts what a scan counts), approximate (the
// reasons say where the two can differ), or unsupported (left out of the query; compile
// refuses unless --skip-unsupported). CloudWatch's semantics are kept where SQL differs: a
// missing field never satisfies = or != (nor does a null, object or array); a number literal
// compares numerically with numbers and as text with strings; < > <= >= hold only for numbers;
// '*' globs become LIKE with escapes; [*] and .* reach every element, any one satisfying the
// test.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/result.h"
#include "metric/filter_set.h"
#include "pushdown/sql_text.h"

namespace trailreplay::pushdown {

enum class Dialect { kAthena, kTrinoJson, kDuckDb };

// "athena", "trino-json", "duckdb" and back.
std::string_view DialectName(Dialect dialect);
std::optional<Dialect> ParseDialect(std::string_view name);
std::string_view EngineName(Engine engine);
std::optional<Engine> ParseEngine(std::string_view name);

struct CompileOptions {
  Dialect dialect = Dialect::kDuckDb;
  Engine engine = Engine::kDuckDb;
  std::string table;                   // athena, trino-json: [catalog.][schema.]table
  std::string json_column = "record";  // trino-json: the column holding each record's JSON
  std::vector<std::string> inputs;     // duckdb: files or globs for read_json_objects
  // athena: the table's partition columns holding the delivery date: one column of
  // `yyyy/MM/dd` text (the partition-projection DDL's `timestamp`), or three (year, month, day).
  std::vector<std::string> partition_columns;
  std::optional<std::int64_t> from, to;     // [from, to), epoch seconds of eventTime
  std::int64_t max_delivery_delay = 86400;  // as scan --max-delivery-delay
  bool skip_unsupported = false;
  std::string version;  // trailreplay's, recorded in the query
};

enum class Verdict { kExact, kApproximate, kUnsupported };
std::string_view VerdictName(Verdict verdict);

struct FilterVerdict {
  std::string name;
  std::string pattern;
  Verdict verdict = Verdict::kExact;
  std::vector<std::string> reasons;  // empty for exact
};

struct CompiledQuery {
  std::string sql;
  std::vector<FilterVerdict> filters;  // every filter of the rule set, in order
  std::vector<std::string> notes;      // what holds for every filter of this dialect
  std::string query_id;                // 16 hex digits, a hash of `parameters`
  std::string parameters;              // JSON: what was compiled (the result's query row)
};

// Fails on invalid options, on text that is not UTF-8, and on unsupported filters unless
// skip_unsupported (the message lists them with their reasons).
Result<CompiledQuery> CompileQuery(const std::vector<metric::MetricFilterSpec>& filters,
                                   const CompileOptions& options);

// The short hash import-samples compares to tell that a result was computed with the same
// definition of a filter (16 hex digits of FNV-1a over FilterFingerprint).
std::string FilterDigest(const metric::MetricFilterSpec& spec);

}  // namespace trailreplay::pushdown

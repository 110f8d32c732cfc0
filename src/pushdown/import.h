// Loading a compiled query's result (result_format.h; CSV as Athena writes it) into a
// trailreplay database, so that replay, tune and report work on it as on a scan's:
//
//   events rows   -> minute_totals
//   filter rows   -> series and samples (count, sum, minimum, maximum per series and minute),
//                    sample_values (each distinct value's count), filter_buckets (matches
//                    and the sum of their values per 300 s), imported_series_events (matches
//                    published per series and minute: the events behind an alarm episode)
//   the query row -> imports (provenance: query id, dialect, range, source file, time)
//
// Before anything is written the whole result is read and checked: every row well-formed; one
// query row; every filter it names defined in the rule set exactly as it was compiled (the
// same digest), and every filter of the rule set compiled; values, counts, dimensions and
// defaults consistent with each filter's transformation; a filter's counts in a minute within
// that minute's events. The database is then created when absent, and refused when it holds
// a scan, other filters, or an import whose eventTime range overlaps this one (disjoint
// ranges add up exactly: both copies of a duplicate share one eventTime). Everything is
// written in one transaction.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/result.h"
#include "metric/filter_set.h"

namespace trailreplay::pushdown {

struct ImportOptions {
  std::string result_path;  // the CSV
  std::string db_path;
  std::vector<metric::MetricFilterSpec> filters;  // the rule set the query was compiled from
  std::string rules_sources_json = "[]";          // recorded for replay's default, as scan does
  std::optional<std::string> query_text;          // the SQL, kept with the provenance
  std::string version;
  std::string now;  // the import time, ISO-8601
};

struct ImportSummary {
  std::int64_t import_id = 0;
  std::string query_id;
  std::string dialect;
  std::optional<std::int64_t> from, to;
  std::uint64_t rows = 0;
  std::uint64_t events = 0;
  std::uint64_t minutes = 0;
  std::optional<std::int64_t> first_minute, last_minute;
  struct Filter {
    std::string name;
    std::uint64_t matches = 0;
    std::uint64_t samples = 0;
  };
  std::vector<Filter> filters;
};

Result<ImportSummary> ImportSamples(const ImportOptions& options);

}  // namespace trailreplay::pushdown

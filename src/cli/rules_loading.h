// What the commands share about rules: resolving --rules (packs, files, or the database's own
// record of what it was scanned with) into one combined rule set, and reading the alarm
// vocabulary users type on the command line.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <vector>

#include "alarm/alarm.h"
#include "common/result.h"
#include "rules/rules.h"

namespace trailreplay::cli {

// `sources` as given to --rules; when empty, the sources the database at `db_path` was scanned
// with (recorded by scan), else the built-in rules. Sources that hold alarms but no filter
// (a describe-alarms export alone) are joined with the filters scanned into the database.
Result<rules::RuleSet> LoadRuleSources(const std::vector<std::string>& sources,
                                       const std::string& db_path);

// The filters scanned into the database at `db_path` as a rule set of their own (none when
// there is no such file).
Result<rules::RuleSet> ScannedFilterSet(const std::string& db_path);

// The sources as a JSON array, as scan records them in the database.
std::string SourcesJson(const std::vector<std::string>& sources);

// "missing", "ignore", "breaching", "notBreaching".
Result<alarm::MissingData> ParseMissingData(const std::string& text);
// "SampleCount", "Sum", "Average", "Minimum", "Maximum", or "pNN" / "pNN.N" (sets percentile).
Result<alarm::Statistic> ParseStatistic(const std::string& text, double& percentile);
// "OK", "ALARM", "INSUFFICIENT_DATA".
Result<alarm::State> ParseState(const std::string& text);

// Time options (--from, --to, --at): each non-empty text is read with ParseTimeArgument into
// its target; the first bad one is the error.
struct TimeOption {
  const std::string* text;
  std::optional<std::int64_t>* target;
};
Result<void> ParseTimeOptions(std::initializer_list<TimeOption> options);

}  // namespace trailreplay::cli

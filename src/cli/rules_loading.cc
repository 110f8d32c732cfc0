#include "cli/rules_loading.h"

#include <simdjson.h>
#include <unistd.h>

#include "common/json_escape.h"
#include "common/time.h"
#include "replay/replay.h"
#include "store/database.h"

namespace trailreplay::cli {

std::string SourcesJson(const std::vector<std::string>& sources) {
  std::string out = "[";
  for (std::size_t i = 0; i < sources.size(); ++i) {
    out += (i > 0 ? "," : "") + JsonString(sources[i]);
  }
  return out + "]";
}

Result<rules::RuleSet> ScannedFilterSet(const std::string& db_path) {
  rules::RuleSet set;
  set.origin = "the filters scanned into '" + db_path + "'";
  if (::access(db_path.c_str(), R_OK) != 0) return set;
  auto db = store::Database::Open(db_path, /*read_only=*/true);
  if (!db) return std::move(db).error();
  auto filters = replay::ScannedFilters(*db);
  if (!filters) return std::move(filters).error();
  set.filters = std::move(*filters);
  return set;
}

Result<rules::RuleSet> LoadRuleSources(const std::vector<std::string>& sources,
                                       const std::string& db_path) {
  std::vector<std::string> chosen = sources;
  if (chosen.empty() && !db_path.empty() && ::access(db_path.c_str(), R_OK) == 0) {
    auto db = store::Database::Open(db_path, /*read_only=*/true);
    if (!db) return std::move(db).error();
    auto stored = db->GetMeta("rules");
    if (stored && stored->has_value()) {
      simdjson::dom::parser parser;
      simdjson::dom::array list;
      if (!parser.parse(**stored).get_array().get(list)) {
        for (auto item : list) {
          std::string_view text;
          if (!item.get_string().get(text)) chosen.emplace_back(text);
        }
      }
    }
  }
  if (chosen.empty()) return rules::BuiltinRules();
  std::vector<rules::RuleSet> sets;
  bool any_filter = false;
  for (const auto& source : chosen) {
    auto set = rules::LoadRules(source);
    if (!set) return std::move(set).error();
    any_filter = any_filter || !set->filters.empty();
    sets.push_back(std::move(*set));
  }
  if (!any_filter && !db_path.empty()) {
    auto scanned = ScannedFilterSet(db_path);
    if (!scanned) return std::move(scanned).error();
    if (!scanned->filters.empty()) sets.push_back(std::move(*scanned));
  }
  return rules::Combine(std::move(sets));
}

Result<alarm::MissingData> ParseMissingData(const std::string& text) {
  if (auto mode = alarm::ParseMissingDataName(text)) return *mode;
  return MakeError(ErrorCode::kInvalidArgument,
                   "unknown missing-data treatment '" + text +
                       "': expected missing, ignore, breaching or notBreaching");
}

Result<alarm::Statistic> ParseStatistic(const std::string& text, double& percentile) {
  if (auto statistic = alarm::ParseStatisticName(text, percentile)) return *statistic;
  return MakeError(ErrorCode::kInvalidArgument,
                   "unknown statistic '" + text +
                       "': expected SampleCount, Sum, Average, Minimum, Maximum or pNN (p99)");
}

Result<alarm::State> ParseState(const std::string& text) {
  if (auto state = alarm::ParseStateName(text)) return *state;
  return MakeError(ErrorCode::kInvalidArgument,
                   "unknown state '" + text + "': expected OK, ALARM or INSUFFICIENT_DATA");
}

Result<void> ParseTimeOptions(std::initializer_list<TimeOption> options) {
  for (const TimeOption& option : options) {
    if (option.text->empty()) continue;
    auto t = ParseTimeArgument(*option.text);
    if (!t) return std::move(t).error();
    *option.target = *t;
  }
  return {};
}

}  // namespace trailreplay::cli

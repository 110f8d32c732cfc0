// Metric filters as a scan applies them: definitions (built in, or read from the JSON that
// `aws logs describe-metric-filters` prints) and their compiled form sharing one selector plan.
//
//   {"metricFilters": [{"filterName": "...", "filterPattern": "...",
//                       "metricTransformations": [{"metricName", "metricNamespace",
//                           "metricValue", "defaultValue"?, "dimensions"?, "unit"?}],
//                       "creationTime": 1709251200000, "logGroupName": "..."}]}
//
// A definition that AWS would reject (bad pattern, bad transformation, not exactly one
// transformation, a duplicate name) is an error naming the file and the filter; pattern errors
// keep their byte offset so the CLI can point at the spot.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/result.h"
#include "metric/transformation.h"
#include "pattern/compiled.h"

namespace trailreplay::metric {

struct MetricFilterSpec {
  std::string name;
  std::string pattern;
  MetricTransformation transformation;
  std::optional<std::int64_t> creation_time_ms;  // from describe-metric-filters
  std::string log_group;
  std::string origin;  // "built-in" or the rules file it came from
};

// The two filters this product exists for (CIS AWS Foundations: unauthorized API calls and
// CloudTrail configuration changes), metric value 1, namespace CISBenchmark.
std::vector<MetricFilterSpec> BuiltinFilters();

// Reads a describe-metric-filters document. Errors carry the file name in the message.
Result<std::vector<MetricFilterSpec>> LoadFilterFile(const std::string& path);
// The same, from text already read (`origin` names it in messages).
Result<std::vector<MetricFilterSpec>> ParseFilterDocument(std::string_view json,
                                                          const std::string& origin);

// A stable text of everything that decides what a filter stores (name, pattern,
// transformation), so a database can tell whether a later scan uses the same filters.
std::string FilterFingerprint(const MetricFilterSpec& spec);

// Compiled filters and the selector plan they share. Further selectors (the fields the scanner
// stores for each event) join the same plan, so one JSON pass serves everything. Add every
// selector before creating EventContexts.
class FilterSet {
 public:
  static Result<FilterSet> Compile(std::vector<MetricFilterSpec> specs);

  std::size_t size() const { return filters_.size(); }
  const MetricFilterSpec& spec(std::size_t i) const { return filters_[i]->spec; }
  const pattern::CompiledPattern& pattern(std::size_t i) const { return filters_[i]->pattern; }
  const CompiledTransformation& transformation(std::size_t i) const {
    return *filters_[i]->transformation;
  }

  // Adds `$.a.b` to the plan and returns its id.
  std::uint32_t AddSelector(std::string_view selector_text);
  const pattern::SelectorPlan& plan() const { return *plan_; }

 private:
  struct Compiled {
    MetricFilterSpec spec;
    pattern::CompiledPattern pattern;
    std::optional<CompiledTransformation> transformation;
  };
  std::unique_ptr<pattern::SelectorPlan> plan_;
  std::vector<std::unique_ptr<Compiled>> filters_;
};

}  // namespace trailreplay::metric

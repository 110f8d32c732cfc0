// Metric transformations: what a metric filter publishes for each log event (spec A.5).
//
//   matched event      -> metricValue: a number literal, or `$.path` (JSON patterns) /
//                         `$name` or `$N` (space-delimited patterns) read from the event;
//                         plus up to three dimensions, each read the same way
//   non-matching event -> defaultValue when one is set (never with dimensions), else nothing
//
// A matched event whose metric value or a dimension cannot be read (path missing, value not
// numeric, object/array/null) still counts as a match but publishes no sample (spec section 0,
// E.10); so does one whose value CloudWatch would reject (AcceptedMetricValue). Numeric
// strings ("42") publish as numbers, as delimited fields always do.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "common/result.h"
#include "pattern/compiled.h"

namespace trailreplay::metric {

inline constexpr std::size_t kMaxMetricValueChars = 100;
inline constexpr std::size_t kMaxDimensions = 3;
inline constexpr std::size_t kMaxDimensionNameChars = 255;

// A transformation as `aws logs describe-metric-filters` prints it.
struct MetricTransformation {
  std::string metric_name;
  std::string metric_namespace;
  std::string metric_value = "1";
  std::optional<double> default_value;
  std::vector<std::pair<std::string, std::string>> dimensions;  // name -> reference
  std::string unit;                                             // empty means None
};

// Which extracted value a reference reads.
struct ValueRef {
  enum class Kind { kJson, kSlot, kPosition };
  Kind kind = Kind::kJson;
  std::uint32_t id = 0;  // plan selector id, slot index, or 1-based field position
  std::string text;      // as written: `$.latency`, `$size`, `$7`
};

struct Sample {
  bool publish = false;
  // Matched, but the value read is one CloudWatch rejects (AcceptedMetricValue): nothing is
  // published, and the scan counts it.
  bool rejected = false;
  double value = 0;
  std::vector<std::pair<std::string, std::string>> dimensions;  // name -> value
};

class CompiledTransformation {
 public:
  // Validates `spec` against the pattern it belongs to and adds any JSON references to `plan`.
  static Result<CompiledTransformation> Compile(const MetricTransformation& spec,
                                                const pattern::CompiledPattern& pattern,
                                                pattern::SelectorPlan& plan);

  const MetricTransformation& spec() const { return spec_; }
  const std::vector<ValueRef>& references() const { return references_; }

  // What the filter publishes for one event, given whether it matched.
  void Apply(bool matched, pattern::EventContext& event, Sample& out) const;

 private:
  MetricTransformation spec_;
  const pattern::CompiledPattern* pattern_ = nullptr;
  std::optional<double> literal_value_;
  std::optional<ValueRef> value_ref_;
  std::vector<ValueRef> dimension_refs_;
  std::vector<ValueRef> references_;  // value then dimensions, for extractedValues
};

// Whether CloudWatch accepts `value` as a metric value: PutMetricData rejects magnitudes above
// 2^360 and non-zero ones below 2^-360, NaN and the infinities (spec section 0, "Metric
// values CloudWatch rejects"). A value it rejects is never published: two matches publishing
// 1e308 would otherwise make a 5-minute Sum infinite and the alarm's datapoint meaningless.
bool AcceptedMetricValue(double value);

// True if `unit` is a CloudWatch StandardUnit (or empty).
bool IsStandardUnit(std::string_view unit);

// The text a reference reads in one event (the first value for wildcard selectors), or
// nullopt. `bound` is the pattern's slot binding for space-delimited patterns.
std::optional<std::string_view> ReadReference(const ValueRef& ref, pattern::EventContext& event,
                                              const std::vector<pattern::BoundField>& bound);

// TestMetricFilter's `extractedValues` for a matching event: every selector of a JSON pattern
// (`$.eventName` -> value), every field of a space-delimited pattern (`$name` for named slots,
// `$N` for the rest), and the transformation's references. Empty for term and regex patterns.
std::vector<std::pair<std::string, std::string>> ExtractedValues(
    const pattern::CompiledPattern& pattern, const CompiledTransformation* transformation,
    pattern::EventContext& event);

}  // namespace trailreplay::metric

// Rule sets: the metric filters a scan applies and the alarms a replay evaluates, from the
// built-in defaults, a built-in pack (`cis`), or the user's own exported configuration:
//
//   aws logs describe-metric-filters > f.json     {"metricFilters": [...]}
//   aws cloudwatch describe-alarms > a.json       {"MetricAlarms": [...], "CompositeAlarms": [...]}
//   or one file holding both keys.
//
// Alarms are joined to filters by MetricName + Namespace (and dimension names); an alarm that
// cannot be replayed (no filter publishes its metric, metric math, a period shorter than a
// minute: metric filters publish per minute, an anomaly-detection operator; a composite alarm
// with such a child) is kept with the reason, never dropped silently.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "alarm/alarm.h"
#include "alarm/composite.h"
#include "alarm/math.h"
#include "common/result.h"
#include "metric/filter_set.h"

namespace trailreplay::rules {

struct NotReplayable {
  std::string alarm_name;
  std::string reason;  // "not replayable, because ..." completes it
};

struct RuleSet {
  std::vector<metric::MetricFilterSpec> filters;
  std::vector<alarm::AlarmSpec> alarms;
  // Composite alarms whose children are all replayable (after Combine; before it, every
  // composite whose AlarmRule could be read).
  std::vector<alarm::CompositeSpec> composites;
  std::vector<NotReplayable> not_replayable;
  // Where the rules came from ("built-in", "pack cis", a file path); Combine joins its parts'
  // origins with ", ". Names both sides of a duplicate-name error.
  std::string origin;
};

// The two built-in filters (metric/filter_set.h) with the CIS remediation alarm for each:
// Sum, Period 300, Threshold 1, GreaterThanOrEqualToThreshold, EvaluationPeriods 1,
// TreatMissingData missing; alarm names equal the filter names.
RuleSet BuiltinRules();

// A built-in pack name ("cis"; case-sensitive, and it wins over a file of the same name, which
// `./cis` reaches) or a file path.
Result<RuleSet> LoadRules(const std::string& source);
// What the alarms will be evaluated over. Metric filters publish at one-minute resolution
// (spec A.5), so over scanned data a high-resolution alarm (Period 10, 20 or 30 s) has nothing
// to evaluate and is not replayable; samples given with seconds (alarm-eval) can carry a
// high-resolution metric, and there it evaluates.
enum class SampleResolution { kMinute, kSecond };

// A document as text; `origin` names it in messages and in MetricFilterSpec::origin. Holds
// `metricFilters`, `MetricAlarms`, `CompositeAlarms` or several of them. A definition that
// PutMetricFilter or PutMetricAlarm would reject (bad pattern, missing AlarmName, Threshold or
// EvaluationPeriods, DatapointsToAlarm > EvaluationPeriods, ...) is an error naming the origin and
// the filter or alarm; an alarm AWS accepts but trailreplay cannot evaluate (metric math,
// an AlarmRule it cannot read, Period not a multiple of 60 (10/20/30 too, at kMinute resolution),
// Period x EvaluationPeriods over AWS's limits, anomaly-detection operators, extended statistics
// other than pNN/pNN.N) goes to not_replayable. Alarms are not joined to filters here: see Combine.
Result<RuleSet> ParseRulesDocument(std::string_view json, const std::string& origin,
                                   SampleResolution resolution = SampleResolution::kMinute);

// Several sources together (repeated --rules); a name defined twice is an error. Then joins:
// alarms whose metric no filter of the set publishes move to not_replayable, and so do
// composite alarms with a child that is not replayable (the reason names the child and
// says why), that no rules define, or that reaches back to the composite itself.
Result<RuleSet> Combine(std::vector<RuleSet> sets);

struct Pack {
  std::string name;
  std::string description;
  std::string_view document;  // describe-metric-filters + describe-alarms JSON in one object
};
const std::vector<Pack>& Packs();

// For a filter of a built-in pack kept as one benchmark version printed it (the `cis` pack's
// three historical texts of the unauthorized-API-calls pattern), which versions: "CIS
// v1.3.0-v1.5.0 text". Empty for every other filter name.
std::string_view PackFilterVariant(std::string_view filter_name);

// The set as one describe-metric-filters + describe-alarms shaped JSON document (indented, ends
// with a newline), which ParseRulesDocument reads back to the same filters and alarms
// (composites under "CompositeAlarms" with their AlarmRule as written). The
// not-replayable alarms follow under "NotReplayable" ([{"AlarmName", "Reason"}]), a key AWS
// does not print and the parser ignores.
std::string RulesDocumentJson(const RuleSet& rules);

// A math alarm's queries as describe-alarms prints its `Metrics` (one line).
std::string MathMetricsJson(const alarm::MathAlarm& math, std::int64_t period);

}  // namespace trailreplay::rules

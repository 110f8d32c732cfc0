// Rule sets: describe-metric-filters and describe-alarms documents in, validated filter and
// alarm definitions out (see rules.h).
//
// Filters are read by metric::ParseFilterDocument and compiled once with metric::FilterSet, so a
// rules file is held to exactly what `scan --rules` accepts. Alarms are read here, field by
// field, with PutMetricAlarm's validation (spec B.1): a definition AWS would refuse is an error;
// one AWS accepts but the replay cannot evaluate is kept with the reason. The join of alarms to
// filters waits for Combine, because alarms and filters usually come from two exports.
#include "rules/rules.h"

#include <simdjson.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <fstream>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <utility>

#include "alarm/math.h"
#include "common/json_escape.h"
#include "common/json_location.h"

namespace trailreplay::rules {
namespace {

#include "rules/cis_pack.inc"

using simdjson::dom::element;

constexpr std::int64_t kOneDay = 86'400;
constexpr std::int64_t kSevenDays = 7 * kOneDay;

Error RuleError(const std::string& origin, const std::string& what, const std::string& message) {
  return MakeError(ErrorCode::kInvalidArgument,
                   origin + ": " + (what.empty() ? "" : what + ": ") + message);
}

std::string AlarmLabel(const std::string& name) { return "alarm '" + name + "'"; }

// Reads one MetricAlarm. Errors for what PutMetricAlarm would refuse; `reason` gets the first
// cause that makes an accepted alarm impossible to replay.
class AlarmReader {
 public:
  AlarmReader(element item, const std::string& origin, std::string label,
              SampleResolution resolution)
      : item_(item), origin_(origin), label_(std::move(label)), resolution_(resolution) {}

  Result<alarm::AlarmSpec> Read(std::optional<std::string>& reason);

 private:
  Error Fail(const std::string& message) const { return RuleError(origin_, label_, message); }
  bool Has(const char* key) const {
    element value;
    return !item_[key].get(value) && !value.is_null();
  }
  Result<std::optional<std::string>> String(const char* key) const;
  Result<std::optional<std::int64_t>> Integer(const char* key) const;
  void NotReplayable(std::optional<std::string>& reason, std::string text) const {
    if (!reason) reason = std::move(text);
  }
  void CheckPeriod(const alarm::AlarmSpec& spec, std::optional<std::string>& reason) const;
  Result<void> ReadMetrics(alarm::AlarmSpec& spec, std::optional<std::string>& reason) const;

  element item_;
  const std::string& origin_;
  std::string label_;
  SampleResolution resolution_;
};

Result<std::optional<std::string>> AlarmReader::String(const char* key) const {
  element value;
  if (item_[key].get(value) || value.is_null()) return std::optional<std::string>{};
  std::string_view text;
  if (value.get_string().get(text)) return Fail(std::string("'") + key + "' must be a string");
  return std::optional<std::string>{std::string(text)};
}

Result<std::optional<std::int64_t>> AlarmReader::Integer(const char* key) const {
  element value;
  if (item_[key].get(value) || value.is_null()) return std::optional<std::int64_t>{};
  std::int64_t number = 0;
  if (value.get_int64().get(number)) {
    double d = 0;
    if (value.get_double().get(d) || d != std::floor(d) || std::fabs(d) > 1e15) {
      return Fail(std::string("'") + key + "' must be a whole number");
    }
    number = static_cast<std::int64_t>(d);
  }
  return std::optional<std::int64_t>{number};
}

// "p99", "p99.9", "p0.5": a percentile strictly between 0 and 100, at most two decimals.
std::string Seconds(std::int64_t n) {
  std::string digits = std::to_string(n), out;
  for (std::size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return out + " s";
}

void AlarmReader::CheckPeriod(const alarm::AlarmSpec& spec,
                              std::optional<std::string>& reason) const {
  if (alarm::IsHighResolutionPeriod(spec.period)) {
    if (resolution_ == SampleResolution::kMinute) {
      NotReplayable(reason, "its Period of " + std::to_string(spec.period) +
                                " s makes it a high-resolution alarm, and metric filters publish "
                                "at one-minute resolution, so its periods would hold no data "
                                "(alarm-eval evaluates it over samples stamped with seconds)");
    }
  } else if (spec.period % 60 != 0) {
    NotReplayable(reason, "its Period of " + std::to_string(spec.period) +
                              " s is neither 10, 20, 30 nor a multiple of 60 s, the periods "
                              "CloudWatch accepts");
  }
  const std::int64_t span = spec.period * spec.evaluation_periods;
  const std::int64_t limit = spec.period < 3600 ? kOneDay : kSevenDays;
  if (span > limit) {
    NotReplayable(reason, "its Period x EvaluationPeriods (" + Seconds(span) +
                              ") exceeds AWS's limit of " + Seconds(limit) +
                              (spec.period < 3600 ? " for periods under an hour" : ""));
  }
}

// Metrics (PutMetricAlarm): each query has an Id and exactly one of MetricStat and
// Expression; exactly one has ReturnData true (absent is true). What AWS refuses is an error;
// what trailreplay cannot compute is the reason.
Result<void> AlarmReader::ReadMetrics(alarm::AlarmSpec& spec,
                                      std::optional<std::string>& reason) const {
  simdjson::dom::array list;
  if (item_["Metrics"].get_array().get(list)) return Fail("'Metrics' must be an array");
  auto math = std::make_shared<alarm::MathAlarm>();
  std::optional<std::int64_t> period, expression_period;
  std::size_t returned = 0;
  std::set<std::string> ids;
  for (element query : list) {
    alarm::MathQuery q;
    std::string_view text;
    if (!query.is_object() || query["Id"].get_string().get(text) || text.empty()) {
      return Fail("each of 'Metrics' must be an object with a string 'Id'");
    }
    q.id = std::string(text);
    const std::string label = "metric query '" + q.id + "'";
    if (!ids.insert(q.id).second) return Fail(label + " is defined twice");
    if (!std::islower(static_cast<unsigned char>(q.id[0]))) {
      return Fail(label + ": an Id must start with a lower-case letter");
    }
    if (!query["Label"].get_string().get(text)) q.label = std::string(text);
    bool return_data = true;
    element flag;
    if (!query["ReturnData"].get(flag) && !flag.is_null() && flag.get_bool().get(return_data)) {
      return Fail(label + ": 'ReturnData' must be true or false");
    }
    q.return_data = return_data;
    element stat;
    const bool has_stat = !query["MetricStat"].get(stat) && !stat.is_null();
    const bool has_expression = !query["Expression"].get_string().get(text);
    if (has_stat == has_expression) {
      return Fail(label + " must have exactly one of 'MetricStat' and 'Expression'");
    }
    if (has_expression) {
      q.expression_text = std::string(text);
      std::int64_t own = 0;
      if (!query["Period"].get_int64().get(own) && own > 0) expression_period = own;
      bool unsupported = false;
      auto parsed = alarm::ParseMathExpression(text, &unsupported);
      if (!parsed) {
        const Error& e = parsed.error();
        NotReplayable(
            reason,
            "its " + label + " (" + q.expression_text + ") " +
                (unsupported
                     ? "cannot be replayed: " + e.message
                     : "cannot be read: " + e.message +
                           (e.has_offset() ? " (at byte " + std::to_string(e.offset) + ")" : "")));
      } else {
        q.expression = std::move(*parsed);
      }
    } else {
      std::string_view stat_name;
      element metric;
      if (stat["Metric"].get(metric) || metric["Namespace"].get_string().get(text)) {
        return Fail(label + ": 'MetricStat' lacks 'Metric' with 'Namespace'");
      }
      q.metric_namespace = std::string(text);
      if (metric["MetricName"].get_string().get(text)) {
        return Fail(label + ": 'MetricStat' lacks 'MetricName'");
      }
      q.metric_name = std::string(text);
      simdjson::dom::array dimensions;
      if (!metric["Dimensions"].get_array().get(dimensions)) {
        for (element d : dimensions) {
          std::string_view name, value;
          if (d["Name"].get_string().get(name) || d["Value"].get_string().get(value)) {
            return Fail(label + ": each dimension must have string 'Name' and 'Value'");
          }
          q.dimensions.emplace_back(std::string(name), std::string(value));
        }
      }
      std::int64_t p = 0;
      if (stat["Period"].get_int64().get(p) || p < 1) {
        return Fail(label + ": 'MetricStat' lacks a positive 'Period'");
      }
      if (period && *period != p) {
        NotReplayable(reason, "its metric queries have different periods (" +
                                  std::to_string(*period) + " s and " + std::to_string(p) +
                                  " s), and an alarm has one period");
      }
      period = p;
      if (stat["Stat"].get_string().get(stat_name)) {
        return Fail(label + ": 'MetricStat' lacks 'Stat'");
      }
      double percentile = 0;
      auto found = alarm::ParseStatisticName(stat_name, percentile);
      if (!found || *found == alarm::Statistic::kPercentile) {
        NotReplayable(reason, "its " + label + " uses the statistic " + std::string(stat_name) +
                                  ", and trailreplay computes a math alarm's metrics with "
                                  "SampleCount, Sum, Average, Minimum or Maximum");
      } else {
        q.statistic = *found;
      }
    }
    if (return_data) ++returned;
    math->queries.push_back(std::move(q));
  }
  if (returned != 1) {
    return Fail("exactly one metric query must have 'ReturnData' true (or unset), found " +
                std::to_string(returned));
  }
  // A Metrics Insights query carries its period on the expression.
  if (!period) period = expression_period;
  if (!period && !reason) {
    return Fail("'Metrics' holds no MetricStat, so the alarm has no period");
  }
  if (!period) period = 60;
  spec.period = *period;
  for (std::size_t i = 0; i < math->queries.size(); ++i) {
    if (math->queries[i].return_data) math->returned = i;
  }
  // The returned expression must give one series: evaluate it once over placeholder data.
  if (!reason) {
    alarm::MathContext context;
    context.period = spec.period;
    for (const auto& q : math->queries) {
      if (q.is_metric()) {
        context.metrics[q.id] = {1.0, 1.0, 1.0};
        context.metric_order.push_back(q.id);
      } else {
        context.expressions[q.id] = &*q.expression;
      }
    }
    const auto& r = math->queries[math->returned];
    if (!r.is_metric()) {
      auto value = alarm::EvaluateMath(*r.expression, context);
      if (!value) {
        NotReplayable(reason, "its expression '" + r.id + "' (" + r.expression_text +
                                  ") cannot be an alarm's series: " + value.error().message);
      }
    }
  }
  spec.math = std::move(math);
  return {};
}

Result<alarm::AlarmSpec> AlarmReader::Read(std::optional<std::string>& reason) {
  alarm::AlarmSpec spec;

  auto n = Integer("EvaluationPeriods");
  if (!n) return std::move(n).error();
  if (!n->has_value()) return Fail("lacks 'EvaluationPeriods'");
  if (**n < 1) return Fail("'EvaluationPeriods' must be at least 1, found " + std::to_string(**n));
  if (**n > 100'000) return Fail("'EvaluationPeriods' is implausibly large");
  spec.evaluation_periods = static_cast<int>(**n);
  auto m = Integer("DatapointsToAlarm");
  if (!m) return std::move(m).error();
  spec.datapoints_to_alarm = spec.evaluation_periods;
  if (m->has_value()) {
    if (**m < 1) {
      return Fail("'DatapointsToAlarm' must be at least 1, found " + std::to_string(**m));
    }
    if (**m > spec.evaluation_periods) {
      return Fail("'DatapointsToAlarm' (" + std::to_string(**m) +
                  ") must not exceed 'EvaluationPeriods' (" +
                  std::to_string(spec.evaluation_periods) + ")");
    }
    spec.datapoints_to_alarm = static_cast<int>(**m);
  }

  auto comparison = String("ComparisonOperator");
  if (!comparison) return std::move(comparison).error();
  if (!comparison->has_value()) return Fail("lacks 'ComparisonOperator'");
  bool anomaly = false;
  if (auto found = alarm::ParseComparisonName(**comparison)) {
    spec.comparison = *found;
  } else if (**comparison == "LessThanLowerOrGreaterThanUpperThreshold" ||
             **comparison == "LessThanLowerThreshold" ||
             **comparison == "GreaterThanUpperThreshold") {
    anomaly = true;
  } else {
    return Fail("unknown 'ComparisonOperator' '" + **comparison + "'");
  }

  // Anomaly-detection alarms name a band (ThresholdMetricId) instead of a Threshold.
  element value;
  if (!item_["Threshold"].get(value) && !value.is_null()) {
    double threshold = 0;
    if (value.get_double().get(threshold) || !std::isfinite(threshold)) {
      return Fail("'Threshold' must be a number");
    }
    spec.threshold = threshold;
  } else if (!anomaly) {
    return Fail("lacks 'Threshold'");
  }

  auto missing = String("TreatMissingData");
  if (!missing) return std::move(missing).error();
  if (missing->has_value()) {
    auto found = alarm::ParseMissingDataName(**missing);
    if (!found) {
      return Fail("'TreatMissingData' must be missing, ignore, breaching or notBreaching, found '" +
                  **missing + "'");
    }
    spec.treat_missing_data = *found;
  }
  auto low_sample = String("EvaluateLowSampleCountPercentile");
  if (!low_sample) return std::move(low_sample).error();
  if (low_sample->has_value() && !(*low_sample)->empty()) {
    if (**low_sample == "ignore") {
      spec.ignore_low_sample_percentile = true;
    } else if (**low_sample != "evaluate") {
      return Fail("'EvaluateLowSampleCountPercentile' must be evaluate or ignore, found '" +
                  **low_sample + "'");
    }
  }

  if (anomaly) {
    NotReplayable(reason, "its ComparisonOperator " + **comparison +
                              " compares with an anomaly-detection band, which trailreplay "
                              "cannot compute");
  }
  if (Has("Metrics")) {
    if (auto ok = ReadMetrics(spec, reason); !ok) return std::move(ok).error();
    CheckPeriod(spec, reason);
    return spec;
  }

  for (auto [key, target] : {std::pair{"MetricName", &spec.metric_name},
                             std::pair{"Namespace", &spec.metric_namespace}}) {
    auto text = String(key);
    if (!text) return std::move(text).error();
    if (!text->has_value() || (*text)->empty()) return Fail(std::string("lacks '") + key + "'");
    *target = **text;
  }
  if (!item_["Dimensions"].get(value) && !value.is_null()) {
    simdjson::dom::array dimensions;
    if (value.get_array().get(dimensions)) {
      return Fail("'Dimensions' must be an array of {\"Name\", \"Value\"}");
    }
    for (element dimension : dimensions) {
      std::string_view name, dimension_value;
      if (!dimension.is_object() || dimension["Name"].get_string().get(name) ||
          dimension["Value"].get_string().get(dimension_value)) {
        return Fail("each dimension must be an object with string 'Name' and 'Value'");
      }
      spec.dimensions.emplace_back(std::string(name), std::string(dimension_value));
    }
  }

  auto period = Integer("Period");
  if (!period) return std::move(period).error();
  if (!period->has_value()) return Fail("lacks 'Period'");
  if (**period < 1) return Fail("'Period' must be positive, found " + std::to_string(**period));
  spec.period = **period;
  CheckPeriod(spec, reason);

  auto statistic = String("Statistic");
  if (!statistic) return std::move(statistic).error();
  auto extended = String("ExtendedStatistic");
  if (!extended) return std::move(extended).error();
  if (statistic->has_value() == extended->has_value()) {
    return Fail("must have exactly one of 'Statistic' and 'ExtendedStatistic'");
  }
  if (statistic->has_value()) {
    double unused = 0;
    auto found = alarm::ParseStatisticName(**statistic, unused);
    if (!found || *found == alarm::Statistic::kPercentile) {
      return Fail("'Statistic' must be SampleCount, Average, Sum, Minimum or Maximum, found '" +
                  **statistic + "'");
    }
    spec.statistic = *found;
  } else if (double p = 0;
             alarm::ParseStatisticName(**extended, p) == alarm::Statistic::kPercentile) {
    spec.statistic = alarm::Statistic::kPercentile;
    spec.percentile = p;
  } else {
    NotReplayable(reason, "its ExtendedStatistic " + **extended +
                              " is not a percentile pNN or pNN.N, the only extended statistics "
                              "trailreplay computes");
  }
  return spec;
}

// Reads MetricAlarms or CompositeAlarms into `out`. Names must be unique across both lists.
Result<void> ReadAlarms(element root, const char* key, bool composite, const std::string& origin,
                        SampleResolution resolution, std::set<std::string>& names, RuleSet& out) {
  element list_value;
  if (root[key].get(list_value)) return {};
  simdjson::dom::array list;
  if (list_value.get_array().get(list)) {
    return RuleError(origin, "", std::string("'") + key + "' must be an array");
  }
  std::size_t index = 0;
  for (element item : list) {
    const std::string position = std::string(key) + "[" + std::to_string(index++) + "]";
    if (!item.is_object()) return RuleError(origin, position, "must be an object");
    std::string_view name_view;
    element name_value;
    if (item["AlarmName"].get(name_value) || name_value.is_null()) {
      return RuleError(origin, position, "lacks 'AlarmName'");
    }
    if (name_value.get_string().get(name_view)) {
      return RuleError(origin, position, "'AlarmName' must be a string");
    }
    if (name_view.empty()) return RuleError(origin, position, "lacks 'AlarmName'");
    const std::string name(name_view);
    if (!names.insert(name).second) {
      return RuleError(origin, AlarmLabel(name), "defined twice");
    }
    if (composite) {
      element rule_value;
      std::string_view rule_text;
      if (item["AlarmRule"].get(rule_value) || rule_value.is_null()) {
        return RuleError(origin, AlarmLabel(name), "lacks 'AlarmRule'");
      }
      if (rule_value.get_string().get(rule_text)) {
        return RuleError(origin, AlarmLabel(name), "'AlarmRule' must be a string");
      }
      // describe-alarms prints only rules AWS accepted: a rule trailreplay cannot read is
      // its own shortfall, so the alarm is kept as not replayable rather than refused.
      auto parsed = alarm::ParseAlarmRule(rule_text);
      if (!parsed) {
        const Error& error = parsed.error();
        out.not_replayable.push_back(
            {name,
             "its AlarmRule cannot be read: " + error.message +
                 (error.has_offset() ? " (at byte " + std::to_string(error.offset) + ")" : "")});
        continue;
      }
      out.composites.push_back({name, std::string(rule_text), std::move(*parsed)});
      continue;
    }
    std::optional<std::string> reason;
    auto spec = AlarmReader(item, origin, AlarmLabel(name), resolution).Read(reason);
    if (!spec) return std::move(spec).error();
    spec->name = name;
    if (reason) {
      out.not_replayable.push_back({name, std::move(*reason)});
    } else {
      out.alarms.push_back(std::move(*spec));
    }
  }
  return {};
}

std::string DimensionNames(std::vector<std::string> names) {
  if (names.empty()) return "none";
  std::sort(names.begin(), names.end());
  std::string out;
  for (const auto& name : names) out += (out.empty() ? "" : ", ") + name;
  return out;
}

std::vector<std::string> FilterDimensionNames(const metric::MetricFilterSpec& filter) {
  std::vector<std::string> names;
  for (const auto& [name, reference] : filter.transformation.dimensions) names.push_back(name);
  return names;
}

// Composites join once every child is decided: replayable metric alarms first, then
// composites over them, level by level. What is left when no level adds one depends on a
// composite that depends on itself.
void ResolveComposites(std::vector<alarm::CompositeSpec> pending, RuleSet& out) {
  std::set<std::string> replayable;
  for (const auto& a : out.alarms) replayable.insert(a.name);
  std::map<std::string, std::string> skipped;
  for (const auto& n : out.not_replayable) skipped.emplace(n.alarm_name, n.reason);
  std::set<std::string> waiting;
  for (const auto& c : pending) waiting.insert(c.name);
  for (bool progress = true; progress && !pending.empty();) {
    progress = false;
    std::vector<alarm::CompositeSpec> next;
    for (auto& composite : pending) {
      std::optional<std::string> reason;
      bool ready = true;
      for (const std::string& child : composite.rule.children) {
        if (replayable.count(child) > 0) continue;
        if (auto it = skipped.find(child); it != skipped.end()) {
          reason = "its child alarm '" + child + "' is not replayable, because " + it->second;
          break;
        }
        if (child == composite.name) {
          reason = "its AlarmRule names the composite itself, a cycle it cannot be evaluated in";
          break;
        }
        if (waiting.count(child) > 0) {
          ready = false;
          continue;
        }
        reason = "its child alarm '" + child + "' is in none of the rules";
        break;
      }
      if (reason) {
        skipped.emplace(composite.name, *reason);
        out.not_replayable.push_back({composite.name, std::move(*reason)});
        waiting.erase(composite.name);
        progress = true;
      } else if (ready) {
        replayable.insert(composite.name);
        waiting.erase(composite.name);
        out.composites.push_back(std::move(composite));
        progress = true;
      } else {
        next.push_back(std::move(composite));
      }
    }
    pending = std::move(next);
  }
  for (auto& composite : pending) {
    out.not_replayable.push_back(
        {composite.name,
         "its AlarmRule reaches back to it through other composite alarms, a cycle it cannot "
         "be evaluated in"});
  }
}

std::string Indent(int depth) { return std::string(static_cast<std::size_t>(depth) * 2, ' '); }

}  // namespace

RuleSet BuiltinRules() {
  RuleSet rules;
  rules.origin = "built-in";
  rules.filters = metric::BuiltinFilters();
  for (const auto& filter : rules.filters) {
    alarm::AlarmSpec alarm;
    alarm.name = filter.name;
    alarm.metric_namespace = filter.transformation.metric_namespace;
    alarm.metric_name = filter.transformation.metric_name;
    alarm.statistic = alarm::Statistic::kSum;
    alarm.period = 300;
    alarm.evaluation_periods = 1;
    alarm.datapoints_to_alarm = 1;
    alarm.threshold = 1;
    alarm.comparison = alarm::Comparison::kGreaterThanOrEqualToThreshold;
    alarm.treat_missing_data = alarm::MissingData::kMissing;
    rules.alarms.push_back(std::move(alarm));
  }
  return rules;
}

Result<RuleSet> ParseRulesDocument(std::string_view json, const std::string& origin,
                                   SampleResolution resolution) {
  simdjson::dom::parser parser;
  simdjson::padded_string padded(json);
  element root;
  if (auto error = parser.parse(padded).get(root)) {
    return RuleError(origin, "", InvalidJsonMessage(json, simdjson::error_message(error)));
  }
  element unused;
  const bool has_filters = root.is_object() && !root["metricFilters"].get(unused);
  const bool has_alarms = root.is_object() && (!root["MetricAlarms"].get(unused) ||
                                               !root["CompositeAlarms"].get(unused));
  if (!has_filters && !has_alarms) {
    return RuleError(origin, "",
                     "expected the output of 'aws logs describe-metric-filters' "
                     "({\"metricFilters\": [...]}) or 'aws cloudwatch describe-alarms' "
                     "({\"MetricAlarms\": [...], \"CompositeAlarms\": [...]}), or one object "
                     "holding both");
  }
  RuleSet out;
  out.origin = origin;
  if (has_filters) {
    simdjson::dom::array list;
    // An empty list is fine next to alarms; alone, ParseFilterDocument reports it.
    if (root["metricFilters"].get_array().get(list) || list.size() > 0 || !has_alarms) {
      auto filters = metric::ParseFilterDocument(json, origin);
      if (!filters) return std::move(filters).error();
      // Every pattern and transformation must compile, as `scan` will compile them.
      auto compiled = metric::FilterSet::Compile(*filters);
      if (!compiled) return std::move(compiled).error();
      out.filters = std::move(*filters);
    }
  }
  std::set<std::string> names;
  if (auto read = ReadAlarms(root, "MetricAlarms", false, origin, resolution, names, out); !read) {
    return std::move(read).error();
  }
  if (auto read = ReadAlarms(root, "CompositeAlarms", true, origin, resolution, names, out);
      !read) {
    return std::move(read).error();
  }
  if (out.filters.empty() && out.alarms.empty() && out.composites.empty() &&
      out.not_replayable.empty()) {
    return RuleError(origin, "", "holds no metric filters and no alarms");
  }
  return out;
}

Result<RuleSet> LoadRules(const std::string& source) {
  for (const Pack& pack : Packs()) {
    if (pack.name == source) return ParseRulesDocument(pack.document, "pack " + pack.name);
  }
  std::ifstream in(source, std::ios::binary);
  if (!in) {
    const int error = errno;
    std::string message = "cannot read rules file '" + source + "': " + std::strerror(error);
    // A name without a path that is no file was most likely meant as a pack.
    if (error == ENOENT && source.find('/') == std::string::npos &&
        source.find('.') == std::string::npos) {
      message += "; and no built-in pack is named '" + source + "' (packs:";
      for (const Pack& pack : Packs()) message += " " + pack.name + " (" + pack.description + ")";
      message += "; 'trailreplay rules' lists them)";
    }
    return MakeError(ErrorCode::kIo, std::move(message));
  }
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) {
    return MakeError(ErrorCode::kIo,
                     "cannot read rules file '" + source + "': " + std::strerror(errno));
  }
  return ParseRulesDocument(text.str(), source);
}

Result<RuleSet> Combine(std::vector<RuleSet> sets) {
  RuleSet out;
  std::map<std::string, std::string> filter_origin, alarm_origin;
  std::vector<alarm::AlarmSpec> candidates;
  std::vector<alarm::CompositeSpec> composites;
  for (RuleSet& set : sets) {
    if (!set.origin.empty()) out.origin += (out.origin.empty() ? "" : ", ") + set.origin;
    for (auto& filter : set.filters) {
      const std::string& origin = filter.origin.empty() ? set.origin : filter.origin;
      auto [it, inserted] = filter_origin.emplace(filter.name, origin);
      if (!inserted) {
        return MakeError(ErrorCode::kInvalidArgument, "metric filter '" + filter.name +
                                                          "' is defined in both " + it->second +
                                                          " and " + origin);
      }
      out.filters.push_back(std::move(filter));
    }
    auto claim = [&](const std::string& name) -> Result<void> {
      auto [it, inserted] = alarm_origin.emplace(name, set.origin);
      if (!inserted) {
        return MakeError(ErrorCode::kInvalidArgument, "alarm '" + name + "' is defined in both " +
                                                          it->second + " and " + set.origin);
      }
      return {};
    };
    for (auto& alarm : set.alarms) {
      if (auto claimed = claim(alarm.name); !claimed) return std::move(claimed).error();
      candidates.push_back(std::move(alarm));
    }
    for (auto& entry : set.not_replayable) {
      if (auto claimed = claim(entry.alarm_name); !claimed) return std::move(claimed).error();
      out.not_replayable.push_back(std::move(entry));
    }
    for (auto& composite : set.composites) {
      if (auto claimed = claim(composite.name); !claimed) return std::move(claimed).error();
      composites.push_back(std::move(composite));
    }
  }

  // Why no filter of the set publishes a metric with these dimension names ("" when one does).
  auto join_reason = [&](const std::string& metric_namespace, const std::string& metric_name,
                         const std::vector<std::pair<std::string, std::string>>& dimensions) {
    const metric::MetricFilterSpec* publisher = nullptr;
    std::vector<std::string> wanted;
    for (const auto& [name, value] : dimensions) wanted.push_back(name);
    std::sort(wanted.begin(), wanted.end());
    for (const auto& filter : out.filters) {
      const auto& t = filter.transformation;
      if (t.metric_namespace != metric_namespace || t.metric_name != metric_name) continue;
      if (publisher == nullptr) publisher = &filter;
      std::vector<std::string> published = FilterDimensionNames(filter);
      std::sort(published.begin(), published.end());
      if (published == wanted) return std::string();
    }
    if (publisher == nullptr) {
      return "no metric filter in the rules publishes " + metric_namespace + "/" + metric_name;
    }
    return "its dimensions (" + DimensionNames(wanted) + ") differ from what filter '" +
           publisher->name + "' publishes (" + DimensionNames(FilterDimensionNames(*publisher)) +
           ")";
  };
  for (auto& alarm : candidates) {
    std::string reason;
    if (alarm.math) {
      for (const auto& q : alarm.math->queries) {
        if (!q.is_metric()) continue;
        const std::string why = join_reason(q.metric_namespace, q.metric_name, q.dimensions);
        if (!why.empty()) {
          reason = "its metric query '" + q.id + "': " + why;
          break;
        }
      }
    } else {
      reason = join_reason(alarm.metric_namespace, alarm.metric_name, alarm.dimensions);
    }
    if (reason.empty()) {
      out.alarms.push_back(std::move(alarm));
    } else {
      out.not_replayable.push_back({alarm.name, std::move(reason)});
    }
  }
  ResolveComposites(std::move(composites), out);
  return out;
}

const std::vector<Pack>& Packs() {
  static const std::vector<Pack> packs = {
      {"cis",
       "CIS AWS Foundations Benchmark monitoring: its 15 metric filters and alarms, and the "
       "unauthorized-API-calls pattern as v1.2, v1.3-1.5 and v4.0+ printed it",
       std::string_view(kCisPackDocument, sizeof kCisPackDocument - 1)},
  };
  return packs;
}

std::string_view PackFilterVariant(std::string_view filter_name) {
  // The pack's version-specific texts of the unauthorized-API-calls control (cis_pack.inc).
  static constexpr std::pair<std::string_view, std::string_view> kVariants[] = {
      {"cis_1_2_unauthorized_api_calls", "CIS v1.1.0-v1.2.0 text"},
      {"cis_1_4_unauthorized_api_calls", "CIS v1.3.0-v1.5.0 text"},
      {"cis_4_0_unauthorized_api_calls", "CIS v4.0.0+ text"},
  };
  for (const auto& [name, variant] : kVariants) {
    if (name == filter_name) return variant;
  }
  return {};
}

std::string MathMetricsJson(const alarm::MathAlarm& math, std::int64_t period) {
  std::string out = "[";
  for (std::size_t i = 0; i < math.queries.size(); ++i) {
    const auto& q = math.queries[i];
    out += (i > 0 ? ", " : "") + std::string("{\"Id\": ") + JsonString(q.id);
    if (q.is_metric()) {
      out += ", \"MetricStat\": {\"Metric\": {\"Namespace\": " + JsonString(q.metric_namespace) +
             ", \"MetricName\": " + JsonString(q.metric_name) + ", \"Dimensions\": [";
      for (std::size_t d = 0; d < q.dimensions.size(); ++d) {
        out += (d > 0 ? ", " : "") + std::string("{\"Name\": ") +
               JsonString(q.dimensions[d].first) +
               ", \"Value\": " + JsonString(q.dimensions[d].second) + "}";
      }
      out += "]}, \"Period\": " + std::to_string(period) +
             ", \"Stat\": " + JsonString(alarm::StatisticName(q.statistic, 0)) + "}";
    } else {
      out += ", \"Expression\": " + JsonString(q.expression_text);
    }
    if (!q.label.empty()) out += ", \"Label\": " + JsonString(q.label);
    out += std::string(", \"ReturnData\": ") + (q.return_data ? "true" : "false") + "}";
  }
  return out + "]";
}

std::string RulesDocumentJson(const RuleSet& rules) {
  std::string out = "{\n" + Indent(1) + "\"metricFilters\": [";
  for (std::size_t i = 0; i < rules.filters.size(); ++i) {
    const auto& f = rules.filters[i];
    const auto& t = f.transformation;
    out += (i == 0 ? "\n" : ",\n") + Indent(2) + "{\n";
    out += Indent(3) + "\"filterName\": " + JsonString(f.name) + ",\n";
    out += Indent(3) + "\"filterPattern\": " + JsonString(f.pattern) + ",\n";
    out += Indent(3) + "\"metricTransformations\": [\n" + Indent(4) + "{\n";
    out += Indent(5) + "\"metricName\": " + JsonString(t.metric_name) + ",\n";
    out += Indent(5) + "\"metricNamespace\": " + JsonString(t.metric_namespace) + ",\n";
    out += Indent(5) + "\"metricValue\": " + JsonString(t.metric_value);
    if (t.default_value)
      out += ",\n" + Indent(5) + "\"defaultValue\": " + JsonNumber(*t.default_value);
    if (!t.dimensions.empty()) {
      out += ",\n" + Indent(5) + "\"dimensions\": {";
      for (std::size_t d = 0; d < t.dimensions.size(); ++d) {
        out += (d == 0 ? "\n" : ",\n") + Indent(6) + JsonString(t.dimensions[d].first) + ": " +
               JsonString(t.dimensions[d].second);
      }
      out += "\n" + Indent(5) + "}";
    }
    if (!t.unit.empty()) out += ",\n" + Indent(5) + "\"unit\": " + JsonString(t.unit);
    out += "\n" + Indent(4) + "}\n" + Indent(3) + "]";
    if (f.creation_time_ms) {
      out += ",\n" + Indent(3) + "\"creationTime\": " + std::to_string(*f.creation_time_ms);
    }
    if (!f.log_group.empty()) {
      out += ",\n" + Indent(3) + "\"logGroupName\": " + JsonString(f.log_group);
    }
    out += "\n" + Indent(2) + "}";
  }
  out += rules.filters.empty() ? "],\n" : "\n" + Indent(1) + "],\n";

  out += Indent(1) + "\"MetricAlarms\": [";
  for (std::size_t i = 0; i < rules.alarms.size(); ++i) {
    const auto& a = rules.alarms[i];
    out += (i == 0 ? "\n" : ",\n") + Indent(2) + "{\n";
    out += Indent(3) + "\"AlarmName\": " + JsonString(a.name) + ",\n";
    if (a.math) {
      out += Indent(3) + "\"Metrics\": " + MathMetricsJson(*a.math, a.period) + ",\n";
      out += Indent(3) + "\"EvaluationPeriods\": " + std::to_string(a.evaluation_periods) + ",\n";
      out += Indent(3) + "\"DatapointsToAlarm\": " + std::to_string(a.datapoints_to_alarm) + ",\n";
      out += Indent(3) + "\"Threshold\": " + JsonNumber(a.threshold) + ",\n";
      out += Indent(3) +
             "\"ComparisonOperator\": " + JsonString(alarm::ComparisonName(a.comparison)) + ",\n";
      out += Indent(3) +
             "\"TreatMissingData\": " + JsonString(alarm::MissingDataName(a.treat_missing_data));
      out += "\n" + Indent(2) + "}";
      continue;
    }
    out += Indent(3) + "\"MetricName\": " + JsonString(a.metric_name) + ",\n";
    out += Indent(3) + "\"Namespace\": " + JsonString(a.metric_namespace) + ",\n";
    out += Indent(3) +
           (a.statistic == alarm::Statistic::kPercentile ? "\"ExtendedStatistic\": "
                                                         : "\"Statistic\": ") +
           JsonString(alarm::StatisticName(a.statistic, a.percentile)) + ",\n";
    out += Indent(3) + "\"Dimensions\": [";
    for (std::size_t d = 0; d < a.dimensions.size(); ++d) {
      out += (d == 0 ? "\n" : ",\n") + Indent(4) +
             "{\"Name\": " + JsonString(a.dimensions[d].first) +
             ", \"Value\": " + JsonString(a.dimensions[d].second) + "}";
    }
    out += a.dimensions.empty() ? "],\n" : "\n" + Indent(3) + "],\n";
    out += Indent(3) + "\"Period\": " + std::to_string(a.period) + ",\n";
    out += Indent(3) + "\"EvaluationPeriods\": " + std::to_string(a.evaluation_periods) + ",\n";
    out += Indent(3) + "\"DatapointsToAlarm\": " + std::to_string(a.datapoints_to_alarm) + ",\n";
    out += Indent(3) + "\"Threshold\": " + JsonNumber(a.threshold) + ",\n";
    out += Indent(3) +
           "\"ComparisonOperator\": " + JsonString(alarm::ComparisonName(a.comparison)) + ",\n";
    out += Indent(3) +
           "\"TreatMissingData\": " + JsonString(alarm::MissingDataName(a.treat_missing_data));
    if (a.ignore_low_sample_percentile) {
      out += ",\n" + Indent(3) + "\"EvaluateLowSampleCountPercentile\": \"ignore\"";
    }
    out += "\n" + Indent(2) + "}";
  }
  out += rules.alarms.empty() ? "],\n" : "\n" + Indent(1) + "],\n";

  out += Indent(1) + "\"CompositeAlarms\": [";
  for (std::size_t i = 0; i < rules.composites.size(); ++i) {
    const auto& c = rules.composites[i];
    out += (i == 0 ? "\n" : ",\n") + Indent(2) + "{\"AlarmName\": " + JsonString(c.name) +
           ", \"AlarmRule\": " + JsonString(c.rule_text) + "}";
  }
  out += rules.composites.empty() ? "],\n" : "\n" + Indent(1) + "],\n";

  out += Indent(1) + "\"NotReplayable\": [";
  for (std::size_t i = 0; i < rules.not_replayable.size(); ++i) {
    const auto& n = rules.not_replayable[i];
    out += (i == 0 ? "\n" : ",\n") + Indent(2) + "{\"AlarmName\": " + JsonString(n.alarm_name) +
           ", \"Reason\": " + JsonString(n.reason) + "}";
  }
  out += rules.not_replayable.empty() ? "]\n" : "\n" + Indent(1) + "]\n";
  out += "}\n";
  return out;
}

}  // namespace trailreplay::rules

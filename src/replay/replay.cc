#include "replay/replay.h"

#include <simdjson.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <map>

#include "alarm/math.h"
#include "common/json_escape.h"
#include "common/time.h"
#include "store/database.h"

namespace trailreplay::replay {

namespace {

using alarm::AlarmSpec;
using alarm::MinuteSample;
using Dimensions = std::vector<std::pair<std::string, std::string>>;

Dimensions Sorted(Dimensions dims) {
  std::sort(dims.begin(), dims.end());
  return dims;
}

// The dimension values of a stored series ('{"EventName":"RunInstances"}').
Dimensions ParseDimensions(const std::string& json) {
  Dimensions out;
  simdjson::dom::parser parser;
  simdjson::dom::object object;
  if (parser.parse(json).get_object().get(object)) return out;
  for (auto [key, value] : object) {
    std::string_view text;
    if (!value.get_string().get(text)) out.emplace_back(std::string(key), std::string(text));
  }
  return Sorted(std::move(out));
}

std::string WhatIfName(const AlarmSpec& base, const Overrides& o) {
  std::string parts;
  auto add = [&](const std::string& part) { parts += (parts.empty() ? "" : ", ") + part; };
  if (o.statistic) add("statistic " + alarm::StatisticName(*o.statistic, o.percentile));
  if (o.period) add("period " + std::to_string(*o.period));
  if (o.threshold) add("threshold " + JsonNumber(*o.threshold));
  if (o.datapoints_to_alarm || o.evaluation_periods) {
    add(std::to_string(o.datapoints_to_alarm.value_or(base.datapoints_to_alarm)) + " of " +
        std::to_string(o.evaluation_periods.value_or(base.evaluation_periods)));
  }
  if (o.treat_missing_data) {
    add("missing data " + std::string(alarm::MissingDataName(*o.treat_missing_data)));
  }
  return base.name + " (what-if: " + parts + ")";
}

// The newest window's datapoint at evaluation time t: [t - period, t).
std::optional<double> WindowValue(const AlarmSpec& spec, const std::vector<MinuteSample>& samples,
                                  std::int64_t t) {
  auto first = std::lower_bound(samples.begin(), samples.end(), t - spec.period,
                                [](const MinuteSample& s, std::int64_t m) { return s.minute < m; });
  std::uint64_t count = 0;
  double sum = 0, minimum = 0, maximum = 0;
  std::map<double, std::uint64_t> values;
  for (auto it = first; it != samples.end() && it->minute < t; ++it) {
    if (it->count == 0) continue;
    minimum = count == 0 ? it->minimum : std::min(minimum, it->minimum);
    maximum = count == 0 ? it->maximum : std::max(maximum, it->maximum);
    count += it->count;
    sum += it->sum;
    for (const auto& [v, c] : it->values) values[v] += c;
  }
  if (count == 0) return std::nullopt;
  switch (spec.statistic) {
    case alarm::Statistic::kSampleCount:
      return static_cast<double>(count);
    case alarm::Statistic::kSum:
      return sum;
    case alarm::Statistic::kAverage:
      return sum / static_cast<double>(count);
    case alarm::Statistic::kMinimum:
      return minimum;
    case alarm::Statistic::kMaximum:
      return maximum;
    case alarm::Statistic::kPercentile: {
      // Nearest rank, as the engine computes it: the smallest value with at least p% of the
      // samples at or below it.
      const double rank = spec.percentile / 100.0 * static_cast<double>(count);
      std::uint64_t seen = 0;
      for (const auto& [v, c] : values) {
        seen += c;
        if (static_cast<double>(seen) >= rank) return v;
      }
      return maximum;
    }
  }
  return std::nullopt;
}

std::string NowText() {
  return FormatIsoTime(std::chrono::duration_cast<std::chrono::seconds>(
                           std::chrono::system_clock::now().time_since_epoch())
                           .count());
}

}  // namespace

std::string AlarmJson(const AlarmSpec& spec) {
  if (spec.math) {
    return "{\"AlarmName\":" + JsonString(spec.name) +
           ",\"Metrics\":" + rules::MathMetricsJson(*spec.math, spec.period) +
           ",\"EvaluationPeriods\":" + std::to_string(spec.evaluation_periods) +
           ",\"DatapointsToAlarm\":" + std::to_string(spec.datapoints_to_alarm) +
           ",\"Threshold\":" + JsonNumber(spec.threshold) +
           ",\"ComparisonOperator\":" + JsonString(alarm::ComparisonName(spec.comparison)) +
           ",\"TreatMissingData\":" + JsonString(alarm::MissingDataName(spec.treat_missing_data)) +
           "}";
  }
  std::string out = "{\"AlarmName\":" + JsonString(spec.name) +
                    ",\"Namespace\":" + JsonString(spec.metric_namespace) +
                    ",\"MetricName\":" + JsonString(spec.metric_name) + ",\"Dimensions\":[";
  for (std::size_t i = 0; i < spec.dimensions.size(); ++i) {
    out += (i > 0 ? "," : "") + std::string("{\"Name\":") + JsonString(spec.dimensions[i].first) +
           ",\"Value\":" + JsonString(spec.dimensions[i].second) + "}";
  }
  out += "],";
  const std::string statistic = alarm::StatisticName(spec.statistic, spec.percentile);
  out += spec.statistic == alarm::Statistic::kPercentile
             ? "\"ExtendedStatistic\":" + JsonString(statistic)
             : "\"Statistic\":" + JsonString(statistic);
  out += ",\"Period\":" + std::to_string(spec.period) +
         ",\"EvaluationPeriods\":" + std::to_string(spec.evaluation_periods) +
         ",\"DatapointsToAlarm\":" + std::to_string(spec.datapoints_to_alarm) +
         ",\"Threshold\":" + JsonNumber(spec.threshold) +
         ",\"ComparisonOperator\":" + JsonString(alarm::ComparisonName(spec.comparison)) +
         ",\"TreatMissingData\":" + JsonString(alarm::MissingDataName(spec.treat_missing_data));
  if (spec.ignore_low_sample_percentile) {
    out += ",\"EvaluateLowSampleCountPercentile\":\"ignore\"";
  }
  return out + "}";
}

std::string CompositeJson(const std::string& name, const std::string& rule) {
  return "{\"AlarmName\":" + JsonString(name) + ",\"AlarmRule\":" + JsonString(rule) + "}";
}

AlarmSpec ApplyOverrides(AlarmSpec spec, const Overrides& o) {
  if (o.threshold) spec.threshold = *o.threshold;
  if (o.evaluation_periods) {
    spec.evaluation_periods = *o.evaluation_periods;
    // Like PutMetricAlarm: DatapointsToAlarm defaults to EvaluationPeriods.
    if (!o.datapoints_to_alarm) spec.datapoints_to_alarm = *o.evaluation_periods;
  }
  if (o.datapoints_to_alarm) spec.datapoints_to_alarm = *o.datapoints_to_alarm;
  if (o.treat_missing_data) spec.treat_missing_data = *o.treat_missing_data;
  if (o.statistic) {
    spec.statistic = *o.statistic;
    spec.percentile = o.percentile;
  }
  if (o.period) spec.period = *o.period;
  return spec;
}

Result<void> ValidateAlarm(const AlarmSpec& spec) {
  auto bad = [&](const std::string& what) {
    return MakeError(ErrorCode::kInvalidArgument, "alarm '" + spec.name + "': " + what);
  };
  if (alarm::IsHighResolutionPeriod(spec.period)) {
    return bad("period " + std::to_string(spec.period) +
               " s makes a high-resolution alarm, and metric filters publish at one-minute "
               "resolution: replays need a multiple of 60 s (alarm-eval evaluates "
               "high-resolution alarms over samples stamped with seconds)");
  }
  if (spec.period < 60 || spec.period % 60 != 0) {
    return bad("period " + std::to_string(spec.period) +
               " s: replays need a multiple of 60 s (metric filters publish per minute)");
  }
  if (!std::isfinite(spec.threshold)) {
    return bad(std::string("the threshold must be a finite number, not ") +
               (std::isnan(spec.threshold) ? "NaN" : "an infinity (beyond a double's range)"));
  }
  if (spec.evaluation_periods < 1) return bad("evaluation periods must be at least 1");
  if (spec.datapoints_to_alarm < 1 || spec.datapoints_to_alarm > spec.evaluation_periods) {
    return bad("datapoints to alarm must be between 1 and the evaluation periods (" +
               std::to_string(spec.evaluation_periods) + ")");
  }
  const std::int64_t span = spec.period * spec.evaluation_periods;
  if (span > (spec.period < 3600 ? 86400 : 604800)) {
    return bad("period x evaluation periods is " + std::to_string(span) +
               " s, beyond CloudWatch's limit (1 day for periods under an hour, else 7 days)");
  }
  return {};
}

Result<AlarmSpec> ResolveAlarm(const rules::RuleSet& rules, const std::string& name,
                               store::Database& db) {
  for (const AlarmSpec& spec : rules.alarms) {
    if (spec.name != name) continue;
    if (auto ok = CheckScanned(db, rules, {spec}); !ok) return std::move(ok).error();
    return spec;
  }
  auto stored = db.Prepare("SELECT definition FROM replayed_alarms WHERE alarm_name = ?");
  if (!stored) return std::move(stored).error();
  stored->Bind(1, std::string_view(name));
  auto found = stored->Step();
  if (!found) return std::move(found).error();
  if (*found) {
    auto parsed = rules::ParseRulesDocument("{\"MetricAlarms\":[" + stored->ColumnText(0) + "]}",
                                            "the replayed alarm '" + name + "'");
    if (!parsed) return std::move(parsed).error();
    if (parsed->alarms.size() == 1) return parsed->alarms[0];
  }
  for (const auto& n : rules.not_replayable) {
    if (n.alarm_name == name) {
      return MakeError(ErrorCode::kInvalidArgument,
                       "alarm '" + name + "' is not replayable, because " + n.reason);
    }
  }
  return MakeError(ErrorCode::kInvalidArgument, "no alarm named '" + name + "' in the rules");
}

int EvaluationRange(const AlarmSpec& spec, int evaluation_range) {
  return evaluation_range > 0 ? evaluation_range : spec.evaluation_periods + 2;
}

std::int64_t EvaluationStep(const AlarmSpec& spec) {
  return spec.period * spec.evaluation_periods > 86400 ? 3600 : kMinuteSeconds;
}

Result<Range> ReplayRange(store::Database& db, const std::vector<AlarmSpec>& specs,
                          std::optional<std::int64_t> from, std::optional<std::int64_t> to,
                          int evaluation_range) {
  auto extent = db.Prepare("SELECT min(minute), max(minute) FROM minute_totals");
  if (!extent) return std::move(extent).error();
  auto row = extent->Step();
  if (!row) return std::move(row).error();
  if (extent->ColumnIsNull(0) && (!from || !to)) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "database '" + db.path() +
                         "' holds no events: scan something into it first (or give --from and "
                         "--to)");
  }
  const std::int64_t first_minute = extent->ColumnInt(0);
  const std::int64_t last_minute = extent->ColumnInt(1);
  extent->Reset();
  std::int64_t settle = 0;
  for (const auto& spec : specs) {
    settle = std::max(settle, EvaluationRange(spec, evaluation_range) * spec.period + 3600);
  }
  Range range;
  range.from = from.value_or(first_minute);
  range.to = to.value_or(last_minute + kMinuteSeconds + settle);
  if (range.from >= range.to) {
    return MakeError(ErrorCode::kInvalidArgument, "--from must be before --to");
  }
  return range;
}

namespace {

Result<std::int64_t> FindSeries(store::Database& db, const AlarmSpec& spec) {
  auto find_series = db.Prepare(
      "SELECT series_id, dimensions FROM series WHERE metric_namespace = ? AND metric_name = ?");
  if (!find_series) return std::move(find_series).error();
  find_series->Bind(1, std::string_view(spec.metric_namespace))
      .Bind(2, std::string_view(spec.metric_name));
  const Dimensions wanted = Sorted(spec.dimensions);
  std::int64_t series_id = 0;
  for (;;) {
    auto more = find_series->Step();
    if (!more) return std::move(more).error();
    if (!*more) break;
    if (ParseDimensions(find_series->ColumnText(1)) == wanted) {
      series_id = find_series->ColumnInt(0);
    }
  }
  return series_id;
}

}  // namespace

Result<Series> LoadSeries(store::Database& db, const AlarmSpec& spec, Range range,
                          int lookback_periods, bool ignore_creation_time, bool with_values) {
  Series series;
  auto found = FindSeries(db, spec);
  if (!found) return std::move(found).error();
  series.series_id = *found;

  // The first evaluation looks back R periods.
  std::int64_t lower = range.from - (lookback_periods + 1) * spec.period;
  if (!ignore_creation_time) {
    auto creation = db.Prepare(
        "SELECT min(creation_time) FROM filters WHERE metric_namespace = ? AND metric_name = ?");
    if (!creation) return std::move(creation).error();
    creation->Bind(1, std::string_view(spec.metric_namespace))
        .Bind(2, std::string_view(spec.metric_name));
    auto has = creation->Step();
    if (!has) return std::move(has).error();
    if (*has && !creation->ColumnIsNull(0)) {
      series.creation_cutoff = FloorTo(creation->ColumnInt(0), kMinuteSeconds);
      lower = std::max(lower, *series.creation_cutoff);
    }
  }
  if (series.series_id == 0) return series;

  auto load_samples = db.Prepare(
      "SELECT minute, sample_count, sum, minimum, maximum FROM samples "
      "WHERE series_id = ? AND minute >= ? AND minute < ? ORDER BY minute");
  if (!load_samples) return std::move(load_samples).error();
  load_samples->Bind(1, series.series_id).Bind(2, lower).Bind(3, range.to);
  std::vector<MinuteSample>& samples = series.samples;
  for (;;) {
    auto more = load_samples->Step();
    if (!more) return std::move(more).error();
    if (!*more) break;
    MinuteSample s;
    s.minute = load_samples->ColumnInt(0);
    s.count = static_cast<std::uint64_t>(load_samples->ColumnInt(1));
    s.sum = load_samples->ColumnDouble(2);
    s.minimum = load_samples->ColumnDouble(3);
    s.maximum = load_samples->ColumnDouble(4);
    samples.push_back(std::move(s));
  }
  if (with_values || spec.statistic == alarm::Statistic::kPercentile) {
    auto load_values = db.Prepare(
        "SELECT minute, value, count FROM sample_values "
        "WHERE series_id = ? AND minute >= ? AND minute < ? ORDER BY minute, value");
    if (!load_values) return std::move(load_values).error();
    load_values->Bind(1, series.series_id).Bind(2, lower).Bind(3, range.to);
    std::size_t at = 0;
    for (;;) {
      auto more = load_values->Step();
      if (!more) return std::move(more).error();
      if (!*more) break;
      const std::int64_t minute = load_values->ColumnInt(0);
      while (at < samples.size() && samples[at].minute < minute) ++at;
      if (at < samples.size() && samples[at].minute == minute) {
        samples[at].values.emplace_back(load_values->ColumnDouble(1),
                                        static_cast<std::uint64_t>(load_values->ColumnInt(2)));
      }
    }
  }
  return series;
}

std::vector<Episode> EpisodesFrom(const std::vector<alarm::Transition>& transitions) {
  std::vector<Episode> episodes;
  for (const auto& t : transitions) {
    if (t.new_state == alarm::State::kAlarm) {
      episodes.emplace_back().start = t.time;
    } else if (t.old_state == alarm::State::kAlarm && !episodes.empty()) {
      episodes.back().end = t.time;
    }
  }
  return episodes;
}

std::int64_t SecondsInAlarm(const std::vector<Episode>& episodes, const AlarmSpec& spec,
                            std::int64_t to) {
  std::int64_t seconds = 0;
  for (const Episode& e : episodes) seconds += e.end.value_or(to + EvaluationStep(spec)) - e.start;
  return seconds;
}

// An evaluation is decided by the newest N real datapoints within its range (older ones when
// the newest windows are empty: the alarm can re-trigger on them), so those are the datapoints
// and events an episode is made of.
void DescribeEpisodes(const AlarmSpec& spec, const std::vector<MinuteSample>& samples,
                      int evaluation_range, std::int64_t to, std::vector<Episode>& episodes) {
  const bool low = spec.comparison == alarm::Comparison::kLessThanThreshold ||
                   spec.comparison == alarm::Comparison::kLessThanOrEqualToThreshold;
  const std::int64_t step = EvaluationStep(spec);
  const int range = EvaluationRange(spec, evaluation_range);
  for (Episode& e : episodes) {
    const std::int64_t end = e.end.value_or(to + step);
    std::vector<std::pair<std::int64_t, std::int64_t>> windows;
    for (std::int64_t t = e.start; t < end; t += step) {
      int used = 0;
      for (int k = 0; k < range && used < spec.evaluation_periods; ++k) {
        const std::int64_t window_end = t - k * spec.period;
        const auto value = WindowValue(spec, samples, window_end);
        if (!value) continue;
        ++used;
        windows.emplace_back(window_end - spec.period, window_end);
        if (!e.peak || (low ? *value < *e.peak : *value > *e.peak)) e.peak = value;
      }
    }
    std::sort(windows.begin(), windows.end());
    e.windows.clear();
    for (const auto& w : windows) {
      if (!e.windows.empty() && w.first <= e.windows.back().second) {
        e.windows.back().second = std::max(e.windows.back().second, w.second);
      } else {
        e.windows.push_back(w);
      }
    }
  }
}

Result<std::uint64_t> CountSeriesEvents(
    store::Database& db, std::int64_t series_id,
    const std::vector<std::pair<std::int64_t, std::int64_t>>& windows) {
  // A database imported from a query result (import-samples) stores no events, only how many
  // matches published to each series per minute; a scanned one has no such rows. Windows
  // start and end on whole minutes, so the two counts agree.
  auto count_events = db.Prepare(kCountSeriesEventsSql);
  if (!count_events) return std::move(count_events).error();
  std::uint64_t total = 0;
  for (const auto& [lo, hi] : windows) {
    count_events->Bind(1, series_id).Bind(2, lo).Bind(3, hi);
    auto counted = count_events->Step();
    if (!counted) return std::move(counted).error();
    total += static_cast<std::uint64_t>(count_events->ColumnInt(0));
    count_events->Reset();
  }
  return total;
}

std::string ReplayOptionsJson(const ReplayOptions& options) {
  auto time = [](const std::optional<std::int64_t>& t) {
    return t ? JsonString(FormatIsoTime(*t)) : std::string("null");
  };
  auto list = [](const std::vector<std::string>& items) {
    std::string out = "[";
    for (std::size_t i = 0; i < items.size(); ++i) out += (i > 0 ? "," : "") + JsonString(items[i]);
    return out + "]";
  };
  const Overrides& o = options.overrides;
  std::string overrides;
  auto add = [&](const char* key, const std::string& value) {
    overrides += (overrides.empty() ? "" : ",") + JsonString(key) + ":" + value;
  };
  if (o.threshold) add("threshold", JsonNumber(*o.threshold));
  if (o.evaluation_periods) add("evaluation_periods", std::to_string(*o.evaluation_periods));
  if (o.datapoints_to_alarm) add("datapoints_to_alarm", std::to_string(*o.datapoints_to_alarm));
  if (o.treat_missing_data) {
    add("treat_missing_data", JsonString(alarm::MissingDataName(*o.treat_missing_data)));
  }
  if (o.statistic) add("statistic", JsonString(alarm::StatisticName(*o.statistic, o.percentile)));
  if (o.period) add("period", std::to_string(*o.period));
  return "{\"from\":" + time(options.from) + ",\"to\":" + time(options.to) + ",\"overrides\":{" +
         overrides + "},\"evaluation_range\":" +
         (options.evaluation_range > 0 ? std::to_string(options.evaluation_range) : "null") +
         ",\"ignore_creation_time\":" + (options.ignore_creation_time ? "true" : "false") +
         ",\"rules\":" + list(options.rule_sources) + ",\"alarms\":" + list(options.alarm_names) +
         "}";
}

namespace {

// The single-metric alarm a math alarm's metric query reads like: its series is loaded and
// checked as that alarm's would be.
AlarmSpec QueryAlarm(const AlarmSpec& spec, const alarm::MathQuery& q) {
  AlarmSpec metric = spec;
  metric.math.reset();
  metric.metric_namespace = q.metric_namespace;
  metric.metric_name = q.metric_name;
  metric.dimensions = q.dimensions;
  metric.statistic = q.statistic;
  return metric;
}

}  // namespace

Result<MathSeriesSet> LoadMathSeries(store::Database& db, const AlarmSpec& spec, Range range,
                                     int lookback_periods, bool ignore_creation_time) {
  MathSeriesSet out;
  for (const auto& q : spec.math->queries) {
    if (!q.is_metric()) continue;
    auto series =
        LoadSeries(db, QueryAlarm(spec, q), range, lookback_periods, ignore_creation_time);
    if (!series) return std::move(series).error();
    out.has_series = out.has_series || series->series_id != 0;
    out.sample_minutes += series->samples.size();
    out.samples[q.id] = std::move(series->samples);
  }
  return out;
}

Result<std::string> UnscannedReason(store::Database& db, const rules::RuleSet& rules,
                                    const AlarmSpec& spec) {
  if (spec.math) {
    std::string out;
    for (const auto& q : spec.math->queries) {
      if (!q.is_metric()) continue;
      auto reason = UnscannedReason(db, rules, QueryAlarm(spec, q));
      if (!reason) return reason;
      if (!reason->empty()) out += (out.empty() ? "" : "; ") + *reason;
    }
    return out;
  }
  auto stored = db.Prepare(
      "SELECT name, fingerprint FROM filters WHERE metric_namespace = ? AND metric_name = ? "
      "ORDER BY name");
  if (!stored) return std::move(stored).error();
  std::vector<std::string> reasons;
  for (const metric::MetricFilterSpec& filter : rules.filters) {
    const auto& t = filter.transformation;
    if (t.metric_namespace != spec.metric_namespace || t.metric_name != spec.metric_name) continue;
    // The same filter under another name publishes the same series: compare everything but
    // the name.
    stored->Bind(1, std::string_view(t.metric_namespace)).Bind(2, std::string_view(t.metric_name));
    std::string differs;
    bool same = false;
    for (;;) {
      auto more = stored->Step();
      if (!more) return std::move(more).error();
      if (!*more) break;
      metric::MetricFilterSpec renamed = filter;
      renamed.name = stored->ColumnText(0);
      if (metric::FilterFingerprint(renamed) == stored->ColumnText(1)) {
        same = true;
      } else if (differs.empty()) {
        differs = renamed.name;
      }
    }
    stored->Reset();
    if (same) continue;
    reasons.push_back(differs.empty()
                          ? "its filter '" + filter.name + "' (" + filter.origin +
                                ") was not scanned into this database"
                          : "its filter '" + filter.name + "' (" + filter.origin +
                                ") differs from the filter '" + differs +
                                "' scanned into this database (pattern or metric transformation)");
  }
  std::string out;
  for (const auto& r : reasons) out += (out.empty() ? "" : "; ") + r;
  return out;
}

Result<std::vector<metric::MetricFilterSpec>> ScannedFilters(store::Database& db) {
  auto rows = db.Prepare(
      "SELECT name, pattern, metric_name, metric_namespace, metric_value, default_value, "
      "dimensions, unit, creation_time, log_group, origin FROM filters ORDER BY filter_id");
  if (!rows) return std::move(rows).error();
  // Read back through the describe-metric-filters parser, so a stored filter is held to what
  // a rules file is, and its fingerprint is the one the scan computed.
  std::string document = "{\"metricFilters\":[";
  std::vector<std::string> origins;
  for (;;) {
    auto more = rows->Step();
    if (!more) return std::move(more).error();
    if (!*more) break;
    std::string t = "{\"metricName\":" + JsonString(rows->ColumnText(2)) +
                    ",\"metricNamespace\":" + JsonString(rows->ColumnText(3)) +
                    ",\"metricValue\":" + JsonString(rows->ColumnText(4));
    if (!rows->ColumnIsNull(5)) t += ",\"defaultValue\":" + JsonNumber(rows->ColumnDouble(5));
    const std::string dimensions = rows->ColumnText(6);
    if (dimensions != "{}") t += ",\"dimensions\":" + dimensions;
    if (!rows->ColumnText(7).empty()) t += ",\"unit\":" + JsonString(rows->ColumnText(7));
    t += "}";
    std::string filter = "{\"filterName\":" + JsonString(rows->ColumnText(0)) +
                         ",\"filterPattern\":" + JsonString(rows->ColumnText(1)) +
                         ",\"metricTransformations\":[" + t + "]";
    if (!rows->ColumnIsNull(8)) {
      filter += ",\"creationTime\":" + std::to_string(rows->ColumnInt(8) * 1000);
    }
    if (!rows->ColumnText(9).empty()) {
      filter += ",\"logGroupName\":" + JsonString(rows->ColumnText(9));
    }
    document += (origins.empty() ? "" : ",") + filter + "}";
    origins.push_back(rows->ColumnText(10));
  }
  if (origins.empty()) return std::vector<metric::MetricFilterSpec>{};
  auto filters = metric::ParseFilterDocument(document + "]}", "the database '" + db.path() + "'");
  if (!filters) return std::move(filters).error();
  for (std::size_t i = 0; i < filters->size() && i < origins.size(); ++i) {
    (*filters)[i].origin = origins[i];
  }
  return filters;
}

Result<void> CheckScanned(store::Database& db, const rules::RuleSet& rules,
                          const std::vector<AlarmSpec>& specs) {
  std::vector<std::string> problems;
  for (const AlarmSpec& spec : specs) {
    auto reason = UnscannedReason(db, rules, spec);
    if (!reason) return std::move(reason).error();
    if (!reason->empty()) problems.push_back("alarm '" + spec.name + "': " + *reason);
  }
  if (problems.empty()) return {};
  auto names = db.Prepare("SELECT name FROM filters ORDER BY filter_id");
  if (!names) return std::move(names).error();
  std::string held;
  for (;;) {
    auto more = names->Step();
    if (!more) return std::move(more).error();
    if (!*more) break;
    held += (held.empty() ? "" : ", ") + names->ColumnText(0);
  }
  std::string message = problems.size() == 1
                            ? problems[0]
                            : std::to_string(problems.size()) + " of the alarms cannot be replayed";
  if (problems.size() > 1) {
    constexpr std::size_t kListed = 5;
    for (std::size_t i = 0; i < problems.size() && i < kListed; ++i) {
      message += "\n  " + problems[i];
    }
    if (problems.size() > kListed) {
      message += "\n  ... and " + std::to_string(problems.size() - kListed) + " more";
    }
    message += "\n";
  } else {
    message += "; ";
  }
  message += "the database '" + db.path() + "' holds " +
             (held.empty() ? std::string("no filters") : "the filters " + held) +
             ". Its history says nothing about a filter it was not scanned with: scan the logs "
             "into a new database with these --rules, or choose the alarms of the filters it "
             "holds (--alarm)";
  return MakeError(ErrorCode::kInvalidArgument, std::move(message));
}

Result<ReplayResult> ComputeReplay(store::Database& db, const ReplayOptions& options) {
  ReplayResult result;
  result.not_replayable = options.rules.not_replayable;

  // Which alarms: those named, and every child of a composite named, down to metric alarms.
  const auto& composites = options.rules.composites;
  auto find_composite = [&](const std::string& name) {
    return std::find_if(composites.begin(), composites.end(),
                        [&](const alarm::CompositeSpec& c) { return c.name == name; });
  };
  std::vector<std::string> wanted = options.alarm_names;
  for (std::size_t i = 0; i < wanted.size(); ++i) {
    auto it = find_composite(wanted[i]);
    if (it == composites.end()) continue;
    for (const std::string& child : it->rule.children) {
      if (std::find(wanted.begin(), wanted.end(), child) == wanted.end()) wanted.push_back(child);
    }
  }
  std::vector<AlarmSpec> chosen;
  for (const std::string& name : wanted) {
    const auto& alarms = options.rules.alarms;
    if (find_composite(name) == composites.end() &&
        std::none_of(alarms.begin(), alarms.end(),
                     [&](const AlarmSpec& a) { return a.name == name; })) {
      const auto& skipped = options.rules.not_replayable;
      auto it = std::find_if(skipped.begin(), skipped.end(),
                             [&](const rules::NotReplayable& n) { return n.alarm_name == name; });
      return MakeError(ErrorCode::kInvalidArgument,
                       it != skipped.end()
                           ? "alarm '" + name + "' is not replayable, because " + it->reason
                           : "no alarm named '" + name + "' in the rules");
    }
  }
  std::vector<AlarmSpec> selected;
  for (const AlarmSpec& spec : options.rules.alarms) {
    if (!options.alarm_names.empty() &&
        std::find(wanted.begin(), wanted.end(), spec.name) == wanted.end()) {
      continue;
    }
    if (spec.math && (options.overrides.statistic || options.overrides.period)) {
      return MakeError(ErrorCode::kInvalidArgument,
                       "alarm '" + spec.name +
                           "' is a metric math alarm: its statistics and period are its metric "
                           "queries', so --statistic and --period do not apply");
    }
    AlarmSpec effective = ApplyOverrides(spec, options.overrides);
    if (auto ok = ValidateAlarm(effective); !ok) return std::move(ok).error();
    chosen.push_back(spec);
    selected.push_back(std::move(effective));
  }
  std::vector<const alarm::CompositeSpec*> selected_composites;
  for (const auto& c : composites) {  // in Combine's order: children first
    if (options.alarm_names.empty() ||
        std::find(wanted.begin(), wanted.end(), c.name) != wanted.end()) {
      selected_composites.push_back(&c);
    }
  }
  if (selected.empty() && selected_composites.empty()) {
    return MakeError(ErrorCode::kInvalidArgument, "no replayable alarm in the rules");
  }
  if (auto ok = CheckScanned(db, options.rules, chosen); !ok) return std::move(ok).error();

  auto range = ReplayRange(db, selected, options.from, options.to, options.evaluation_range);
  if (!range) return std::move(range).error();
  result.from = range->from;
  result.to = range->to;

  for (const AlarmSpec& spec : selected) {
    AlarmReplay replay;
    replay.spec = spec;
    replay.stored_name = options.overrides.any() ? WhatIfName(spec, options.overrides) : spec.name;
    replay.from = result.from;
    replay.to = result.to;

    if (spec.math) {
      // Each metric query's series; the expression is evaluated per evaluation
      // (alarm/math.h). Its episodes carry no peak or events: those are its metrics'.
      auto loaded =
          LoadMathSeries(db, spec, *range, EvaluationRange(spec, options.evaluation_range),
                         options.ignore_creation_time);
      if (!loaded) return std::move(loaded).error();
      replay.has_series = loaded->has_series;
      replay.sample_minutes = loaded->sample_minutes;
      const auto& samples = loaded->samples;
      alarm::EvaluateOptions evaluate;
      evaluate.from = result.from;
      evaluate.to = result.to;
      evaluate.evaluation_range = options.evaluation_range;
      replay.transitions = alarm::EvaluateMathAlarm(spec, samples, evaluate).transitions;
      replay.episodes = EpisodesFrom(replay.transitions);
      replay.seconds_in_alarm = SecondsInAlarm(replay.episodes, spec, result.to);
      result.alarms.push_back(std::move(replay));
      continue;
    }
    auto series = LoadSeries(db, spec, *range, EvaluationRange(spec, options.evaluation_range),
                             options.ignore_creation_time);
    if (!series) return std::move(series).error();
    replay.has_series = series->series_id != 0;
    replay.series_id = series->series_id;
    replay.creation_cutoff = series->creation_cutoff;
    replay.sample_minutes = series->samples.size();

    alarm::EvaluateOptions evaluate;
    evaluate.from = result.from;
    evaluate.to = result.to;
    evaluate.evaluation_range = options.evaluation_range;
    replay.transitions = alarm::Evaluate(spec, series->samples, evaluate).transitions;

    replay.episodes = EpisodesFrom(replay.transitions);
    replay.seconds_in_alarm = SecondsInAlarm(replay.episodes, spec, result.to);
    DescribeEpisodes(spec, series->samples, options.evaluation_range, result.to, replay.episodes);
    if (series->series_id != 0) {
      for (Episode& e : replay.episodes) {
        auto counted = CountSeriesEvents(db, series->series_id, e.windows);
        if (!counted) return std::move(counted).error();
        e.matched_events = *counted;
      }
    }
    result.alarms.push_back(std::move(replay));
  }

  std::map<std::string, std::vector<alarm::Transition>> histories;
  for (const AlarmReplay& a : result.alarms) histories[a.spec.name] = a.transitions;
  for (const alarm::CompositeSpec* spec : selected_composites) {
    CompositeReplay replay;
    replay.spec = *spec;
    replay.stored_name = spec->name;
    if (options.overrides.any()) {
      AlarmSpec named;
      named.name = spec->name;
      replay.stored_name = WhatIfName(named, options.overrides);
    }
    replay.transitions = alarm::EvaluateComposite(*spec, histories, result.from, result.to);
    replay.episodes = EpisodesFrom(replay.transitions);
    for (const Episode& e : replay.episodes) {
      replay.seconds_in_alarm += e.end.value_or(result.to + kMinuteSeconds) - e.start;
    }
    histories[spec->name] = replay.transitions;
    result.composites.push_back(std::move(replay));
  }
  return result;
}

Result<void> StoreReplay(store::Database& db, ReplayResult& result, const ReplayOptions& options) {
  if (auto ok = db.Exec("BEGIN IMMEDIATE"); !ok) return ok;
  auto write = [&]() -> Result<void> {
    auto insert_replay = db.Prepare(
        "INSERT INTO replays (started_at, version, options, from_time, to_time) "
        "VALUES (?, ?, ?, ?, ?)");
    if (!insert_replay) return std::move(insert_replay).error();
    insert_replay->Bind(1, std::string_view(NowText()))
        .Bind(2, std::string_view(options.version))
        .Bind(3, std::string_view(ReplayOptionsJson(options)))
        .Bind(4, result.from)
        .Bind(5, result.to);
    if (auto ok = insert_replay->Run(); !ok) return ok;
    result.replay_id = db.LastInsertRowId();
    for (const char* sql : {"DELETE FROM alarm_transitions WHERE alarm_name = ?",
                            "DELETE FROM alarm_episode_rows WHERE alarm_name = ?",
                            "DELETE FROM replayed_alarms WHERE alarm_name = ?"}) {
      auto stmt = db.Prepare(sql);
      if (!stmt) return std::move(stmt).error();
      for (const auto& a : result.alarms) {
        stmt->Bind(1, std::string_view(a.stored_name));
        if (auto ok = stmt->Run(); !ok) return ok;
      }
      for (const auto& c : result.composites) {
        stmt->Bind(1, std::string_view(c.stored_name));
        if (auto ok = stmt->Run(); !ok) return ok;
      }
    }
    auto insert_alarm = db.Prepare(
        "INSERT INTO replayed_alarms (alarm_name, replay_id, definition, series_id, "
        "lookback_seconds) VALUES (?, ?, ?, NULLIF(?, 0), ?)");
    auto insert_transition = db.Prepare(
        "INSERT INTO alarm_transitions (alarm_name, time, old_state, new_state, reason) "
        "VALUES (?, ?, ?, ?, ?)");
    auto insert_episode = db.Prepare(
        "INSERT INTO alarm_episode_rows (alarm_name, start_time, end_time, peak, "
        "matched_events) VALUES (?, ?, ?, ?, ?)");
    for (auto* stmt : {&insert_alarm, &insert_transition, &insert_episode}) {
      if (!*stmt) return std::move(*stmt).error();
    }
    for (const auto& a : result.alarms) {
      AlarmSpec stored = a.spec;
      stored.name = a.stored_name;
      insert_alarm->Bind(1, std::string_view(a.stored_name))
          .Bind(2, result.replay_id)
          .Bind(3, std::string_view(AlarmJson(stored)))
          .Bind(4, a.series_id)
          .Bind(5, EvaluationRange(a.spec, options.evaluation_range) * a.spec.period);
      if (auto ok = insert_alarm->Run(); !ok) return ok;
      for (const auto& t : a.transitions) {
        insert_transition->Bind(1, std::string_view(a.stored_name))
            .Bind(2, t.time)
            .Bind(3, alarm::StateName(t.old_state))
            .Bind(4, alarm::StateName(t.new_state))
            .Bind(5, std::string_view(t.reason));
        if (auto ok = insert_transition->Run(); !ok) return ok;
      }
      for (const auto& e : a.episodes) {
        insert_episode->Bind(1, std::string_view(a.stored_name)).Bind(2, e.start);
        if (e.end) {
          insert_episode->Bind(3, *e.end);
        } else {
          insert_episode->BindNull(3);
        }
        if (e.peak) {
          insert_episode->Bind(4, *e.peak);
        } else {
          insert_episode->BindNull(4);
        }
        insert_episode->Bind(5, static_cast<std::int64_t>(e.matched_events));
        if (auto ok = insert_episode->Run(); !ok) return ok;
      }
    }
    // A composite has no series and looks back at nothing: its events are its children's.
    for (const auto& c : result.composites) {
      insert_alarm->Bind(1, std::string_view(c.stored_name))
          .Bind(2, result.replay_id)
          .Bind(3, std::string_view(CompositeJson(c.stored_name, c.spec.rule_text)))
          .Bind(4, std::int64_t{0})
          .Bind(5, std::int64_t{0});
      if (auto ok = insert_alarm->Run(); !ok) return ok;
      for (const auto& t : c.transitions) {
        insert_transition->Bind(1, std::string_view(c.stored_name))
            .Bind(2, t.time)
            .Bind(3, alarm::StateName(t.old_state))
            .Bind(4, alarm::StateName(t.new_state))
            .Bind(5, std::string_view(t.reason));
        if (auto ok = insert_transition->Run(); !ok) return ok;
      }
      for (const auto& e : c.episodes) {
        insert_episode->Bind(1, std::string_view(c.stored_name)).Bind(2, e.start);
        if (e.end) {
          insert_episode->Bind(3, *e.end);
        } else {
          insert_episode->BindNull(3);
        }
        insert_episode->BindNull(4).Bind(5, std::int64_t{0});
        if (auto ok = insert_episode->Run(); !ok) return ok;
      }
    }
    return {};
  };
  if (auto ok = write(); !ok) {
    (void)db.Exec("ROLLBACK");
    return ok;
  }
  return db.Exec("COMMIT");
}

Result<ReplayResult> RunReplay(const ReplayOptions& options) {
  if (::access(options.db_path.c_str(), F_OK) != 0) {
    return MakeError(ErrorCode::kIo, "no database '" + options.db_path + "': run scan first");
  }
  auto db = store::Database::Open(options.db_path);
  if (!db) return std::move(db).error();
  auto result = ComputeReplay(*db, options);
  if (!result) return result;
  if (auto ok = StoreReplay(*db, *result, options); !ok) return std::move(ok).error();
  return result;
}

}  // namespace trailreplay::replay

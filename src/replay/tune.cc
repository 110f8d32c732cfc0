#include "replay/tune.h"

#include "alarm/math.h"

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <tuple>

#include "common/time.h"

namespace trailreplay::replay {

namespace {

constexpr std::size_t kMaxCandidates = 10000;
constexpr double kWeekSeconds = 7 * 86400.0;

Error Bad(std::string message) {
  return MakeError(ErrorCode::kInvalidArgument, std::move(message));
}

std::vector<std::string_view> SplitList(std::string_view text) {
  std::vector<std::string_view> out;
  std::size_t start = 0;
  for (;;) {
    const std::size_t comma = text.find(',', start);
    std::string_view item =
        text.substr(start, comma == std::string_view::npos ? comma : comma - start);
    while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
    while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
    out.push_back(item);
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  return out;
}

std::optional<double> Number(std::string_view text) {
  if (text.empty()) return std::nullopt;
  const std::string copy(text);
  char* end = nullptr;
  const double value = std::strtod(copy.c_str(), &end);
  if (end != copy.c_str() + copy.size() || !std::isfinite(value)) return std::nullopt;
  return value;
}

std::optional<int> Integer(std::string_view text) {
  if (text.empty() || text.size() > 6) return std::nullopt;
  int value = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    value = value * 10 + (c - '0');
  }
  return value;
}

// How many settings of `spec` differ from `original` (threshold, M/N, missing data).
int Changes(const alarm::AlarmSpec& spec, const alarm::AlarmSpec& original) {
  return (spec.threshold != original.threshold ? 1 : 0) +
         (spec.datapoints_to_alarm != original.datapoints_to_alarm ||
                  spec.evaluation_periods != original.evaluation_periods
              ? 1
              : 0) +
         (spec.treat_missing_data != original.treat_missing_data ? 1 : 0);
}

}  // namespace

Result<Incident> ParseIncident(std::string_view text) {
  const std::size_t dots = text.find("..");
  if (dots == std::string_view::npos) {
    return Bad("incident '" + std::string(text) +
               "': expected FROM..TO (2024-03-02T03:00Z..2024-03-02T04:00Z)");
  }
  auto from = ParseTimeArgument(text.substr(0, dots));
  if (!from) return std::move(from).error();
  auto to = ParseTimeArgument(text.substr(dots + 2));
  if (!to) return std::move(to).error();
  if (*from >= *to) {
    return Bad("incident '" + std::string(text) + "': its start must be before its end");
  }
  return Incident{*from, *to};
}

IncidentOutcome CheckIncident(const std::vector<Episode>& episodes, const Incident& incident) {
  IncidentOutcome outcome;
  for (const Episode& e : episodes) {
    if (e.start >= incident.to) break;
    if (e.end && *e.end <= incident.from) continue;
    outcome.alarmed = true;
    outcome.first_alarm = std::max(e.start, incident.from);
    outcome.delay = outcome.first_alarm - incident.from;
    break;
  }
  return outcome;
}

Result<std::vector<double>> ParseThresholds(std::string_view text) {
  std::vector<double> out;
  const std::size_t dots = text.find("..");
  if (dots != std::string_view::npos) {
    std::string_view rest = text.substr(dots + 2);
    std::string_view step_text = "1";
    if (const std::size_t colon = rest.find(':'); colon != std::string_view::npos) {
      step_text = rest.substr(colon + 1);
      rest = rest.substr(0, colon);
    }
    const auto lo = Number(text.substr(0, dots));
    const auto hi = Number(rest);
    const auto step = Number(step_text);
    if (!lo || !hi || !step) {
      return Bad("thresholds '" + std::string(text) +
                 "': expected FROM..TO[:STEP] (1..50, 1..50:5) or a list (1,2,5)");
    }
    if (*step <= 0 || *hi < *lo) {
      return Bad("thresholds '" + std::string(text) +
                 "': the step must be positive and FROM at most TO");
    }
    const double count = std::floor((*hi - *lo) / *step * (1 + 1e-12)) + 1;
    if (count > static_cast<double>(kMaxCandidates)) {
      return Bad("thresholds '" + std::string(text) + "': more than " +
                 std::to_string(kMaxCandidates) + " values");
    }
    for (std::size_t i = 0; i < static_cast<std::size_t>(count); ++i) {
      // lo + i * step, rounded to 1e-9 so 0.1 steps give 0.3, not 0.30000000000000004.
      const double v = *lo + static_cast<double>(i) * *step;
      out.push_back(std::round(v * 1e9) / 1e9);
    }
    return out;
  }
  for (std::string_view item : SplitList(text)) {
    const auto v = Number(item);
    if (!v) {
      return Bad("thresholds '" + std::string(text) + "': '" + std::string(item) +
                 "' is not a number");
    }
    out.push_back(*v);
  }
  if (out.size() > kMaxCandidates) return Bad("more than 10000 thresholds");
  return out;
}

Result<std::vector<std::pair<int, int>>> ParseDatapoints(std::string_view text, int default_n) {
  std::vector<std::pair<int, int>> out;
  for (std::string_view item : SplitList(text)) {
    const std::size_t slash = item.find('/');
    const auto m = Integer(item.substr(0, slash));
    const auto n = slash == std::string_view::npos ? std::optional<int>(default_n)
                                                   : Integer(item.substr(slash + 1));
    if (!m || !n) {
      return Bad("datapoints to alarm '" + std::string(item) +
                 "': expected M/N (M of the last N datapoints), such as 2/3");
    }
    out.emplace_back(*m, *n);
  }
  return out;
}

Result<std::vector<alarm::MissingData>> ParseMissingDataList(std::string_view text) {
  std::vector<alarm::MissingData> out;
  for (std::string_view item : SplitList(text)) {
    const auto mode = alarm::ParseMissingDataName(item);
    if (!mode) {
      return Bad("unknown missing-data treatment '" + std::string(item) +
                 "': expected missing, ignore, breaching or notBreaching");
    }
    out.push_back(*mode);
  }
  return out;
}

Result<std::vector<alarm::AlarmSpec>> CandidateSpecs(const TuneOptions& options) {
  const alarm::AlarmSpec& base = options.alarm;
  std::vector<double> thresholds = options.thresholds;
  if (thresholds.empty()) thresholds.push_back(base.threshold);
  std::vector<std::pair<int, int>> datapoints = options.datapoints;
  if (datapoints.empty())
    datapoints.emplace_back(base.datapoints_to_alarm, base.evaluation_periods);
  std::vector<alarm::MissingData> missing = options.missing_data;
  if (missing.empty()) missing.push_back(base.treat_missing_data);
  if (thresholds.size() * datapoints.size() * missing.size() > kMaxCandidates) {
    return Bad("more than " + std::to_string(kMaxCandidates) + " candidate configurations");
  }
  std::vector<alarm::AlarmSpec> out;
  for (double threshold : thresholds) {
    for (const auto& [m, n] : datapoints) {
      for (alarm::MissingData mode : missing) {
        alarm::AlarmSpec spec = base;
        spec.threshold = threshold;
        spec.datapoints_to_alarm = m;
        spec.evaluation_periods = n;
        spec.treat_missing_data = mode;
        if (auto ok = ValidateAlarm(spec); !ok) return std::move(ok).error();
        out.push_back(std::move(spec));
      }
    }
  }
  auto key = [](const alarm::AlarmSpec& s) {
    return std::make_tuple(s.threshold, s.evaluation_periods, s.datapoints_to_alarm,
                           static_cast<int>(s.treat_missing_data));
  };
  std::stable_sort(
      out.begin(), out.end(),
      [&](const alarm::AlarmSpec& a, const alarm::AlarmSpec& b) { return key(a) < key(b); });
  out.erase(std::unique(out.begin(), out.end(),
                        [&](const alarm::AlarmSpec& a, const alarm::AlarmSpec& b) {
                          return key(a) == key(b);
                        }),
            out.end());
  return out;
}

std::vector<Candidate> EvaluateCandidates(const alarm::AlarmSpec& original,
                                          const std::vector<alarm::AlarmSpec>& specs,
                                          const std::vector<alarm::MinuteSample>& samples,
                                          Range range, const std::vector<Incident>& incidents,
                                          int evaluation_range, const MathSamples* math_samples) {
  std::vector<Candidate> out;
  out.reserve(specs.size());
  const double weeks = static_cast<double>(range.to - range.from) / kWeekSeconds;
  for (const alarm::AlarmSpec& spec : specs) {
    Candidate c;
    c.spec = spec;
    alarm::EvaluateOptions evaluate;
    evaluate.from = range.from;
    evaluate.to = range.to;
    evaluate.evaluation_range = evaluation_range;
    const auto episodes =
        EpisodesFrom((spec.math && math_samples != nullptr
                          ? alarm::EvaluateMathAlarm(spec, *math_samples, evaluate)
                          : alarm::Evaluate(spec, samples, evaluate))
                         .transitions);
    c.episodes = episodes.size();
    c.seconds_in_alarm = SecondsInAlarm(episodes, spec, range.to);
    c.per_week = weeks > 0 ? static_cast<double>(c.episodes) / weeks : 0;
    c.catches_all = !incidents.empty();
    for (const Incident& incident : incidents) {
      c.incidents.push_back(CheckIncident(episodes, incident));
      c.catches_all = c.catches_all && c.incidents.back().alarmed;
    }
    c.original = Changes(spec, original) == 0;
    out.push_back(std::move(c));
  }
  return out;
}

std::optional<std::size_t> Recommend(std::vector<Candidate>& candidates,
                                     const alarm::AlarmSpec& original) {
  std::optional<std::size_t> best;
  std::size_t fewest = SIZE_MAX;
  auto rank = [&](const Candidate& c) {
    std::int64_t delay = 0;
    for (const auto& o : c.incidents) delay += o.delay;
    return std::make_tuple(c.episodes, delay, c.seconds_in_alarm, Changes(c.spec, original),
                           c.spec.threshold);
  };
  for (std::size_t i = 0; i < candidates.size(); ++i) {
    Candidate& c = candidates[i];
    c.fewest = c.recommended = false;
    if (!c.catches_all) continue;
    fewest = std::min(fewest, c.episodes);
    if (!best || rank(c) < rank(candidates[*best])) best = i;
  }
  for (Candidate& c : candidates) c.fewest = c.catches_all && c.episodes == fewest;
  if (best) candidates[*best].recommended = true;
  return best;
}

Result<TuneResult> RunTune(const TuneOptions& options) {
  auto specs = CandidateSpecs(options);
  if (!specs) return std::move(specs).error();
  if (::access(options.db_path.c_str(), F_OK) != 0) {
    return MakeError(ErrorCode::kIo, "no database '" + options.db_path + "': run scan first");
  }
  auto db = store::Database::Open(options.db_path, /*read_only=*/true);
  if (!db) return std::move(db).error();

  TuneResult result;
  result.alarm = options.alarm;
  result.incidents = options.incidents;
  auto range = ReplayRange(*db, *specs, options.from, options.to, options.evaluation_range);
  if (!range) return std::move(range).error();
  result.range = *range;
  int lookback = 0;
  for (const auto& spec : *specs) {
    lookback = std::max(lookback, EvaluationRange(spec, options.evaluation_range));
  }
  if (options.alarm.math) {
    // A math alarm: its metrics' series, and each candidate evaluated through its expression.
    auto loaded =
        LoadMathSeries(*db, options.alarm, *range, lookback, options.ignore_creation_time);
    if (!loaded) return std::move(loaded).error();
    result.has_series = loaded->has_series;
    result.sample_minutes = loaded->sample_minutes;
    result.candidates = EvaluateCandidates(options.alarm, *specs, {}, *range, options.incidents,
                                           options.evaluation_range, &loaded->samples);
  } else {
    auto series = LoadSeries(*db, options.alarm, *range, lookback, options.ignore_creation_time);
    if (!series) return std::move(series).error();
    result.has_series = series->series_id != 0;
    result.sample_minutes = series->samples.size();
    result.creation_cutoff = series->creation_cutoff;
    result.candidates = EvaluateCandidates(options.alarm, *specs, series->samples, *range,
                                           options.incidents, options.evaluation_range);
  }
  result.recommended = Recommend(result.candidates, options.alarm);
  return result;
}

}  // namespace trailreplay::replay

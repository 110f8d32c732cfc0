// Replaying alarms over a scanned database: for each alarm of a rule set, the metric series
// it watches is read from the samples the scan stored, evaluated with CloudWatch's semantics
// (alarm/alarm.h), and its state history and ALARM episodes are written back to the database
// (views alarm_history and alarm_episodes) and returned for printing.
//
//   series      the alarm's Namespace + MetricName + Dimensions, matched against the series
//               the scan stored (dimension order does not matter); samples of minutes before
//               the publishing filter's creationTime are left out (CloudWatch publishes only
//               what arrives after a filter exists) unless ignore_creation_time
//   range       from the first minute with events to the last, plus the time the alarm needs
//               to settle (R periods), unless --from/--to say otherwise
//   episodes    from a transition into ALARM to the transition out of it; `peak` is the most
//               extreme newest-window datapoint evaluated during it (highest for Greater*
//               operators, lowest for Less*) among the datapoints that decided its
//               evaluations (the newest N real ones in each evaluation's range: when the newest
//               windows are empty CloudWatch reaches back, so an alarm can re-trigger on an
//               older datapoint); `matched_events` counts the matching events published to the
//               series inside those datapoints' windows
//   overrides   --threshold and friends turn an alarm into a what-if variant, stored under
//               "<name> (what-if: ...)" so the real alarm's history is kept
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "alarm/alarm.h"
#include "common/result.h"
#include "rules/rules.h"

namespace trailreplay::replay {

struct Overrides {
  std::optional<double> threshold;
  std::optional<int> evaluation_periods;
  std::optional<int> datapoints_to_alarm;
  std::optional<alarm::MissingData> treat_missing_data;
  std::optional<alarm::Statistic> statistic;
  double percentile = 0;  // with statistic kPercentile
  std::optional<std::int64_t> period;
  bool any() const {
    return threshold || evaluation_periods || datapoints_to_alarm || treat_missing_data ||
           statistic || period;
  }
};

struct ReplayOptions {
  std::string db_path;
  rules::RuleSet rules;                  // already loaded and combined
  std::vector<std::string> alarm_names;  // empty: every replayable alarm
  std::optional<std::int64_t> from, to;
  Overrides overrides;
  int evaluation_range = 0;  // 0: N + 2
  bool ignore_creation_time = false;
  std::string version;
  std::string options_json;
};

struct Episode {
  std::int64_t start = 0;
  std::optional<std::int64_t> end;  // nullopt: still in ALARM when the replay ended
  std::optional<double> peak;
  std::uint64_t matched_events = 0;
};

struct AlarmReplay {
  alarm::AlarmSpec spec;  // as evaluated (overrides applied)
  std::string stored_name;
  bool has_series = false;
  std::uint64_t sample_minutes = 0;
  std::optional<std::int64_t> creation_cutoff;
  std::vector<alarm::Transition> transitions;
  std::vector<Episode> episodes;
  std::int64_t seconds_in_alarm = 0;
  std::int64_t from = 0, to = 0;
};

struct ReplayResult {
  std::int64_t replay_id = 0;
  std::int64_t from = 0, to = 0;
  std::vector<AlarmReplay> alarms;
  std::vector<rules::NotReplayable> not_replayable;
};

Result<ReplayResult> RunReplay(const ReplayOptions& options);

// The alarm as a describe-alarms MetricAlarm object (what replayed_alarms.definition holds).
std::string AlarmJson(const alarm::AlarmSpec& spec);

}  // namespace trailreplay::replay

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
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "alarm/alarm.h"
#include "common/result.h"
#include "rules/rules.h"
#include "store/database.h"

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
  rules::RuleSet rules;                   // already loaded and combined
  std::vector<std::string> rule_sources;  // as given to --rules (empty: the database's own)
  std::vector<std::string> alarm_names;   // empty: every replayable alarm
  std::optional<std::int64_t> from, to;   // as given; nullopt: the whole history
  Overrides overrides;
  int evaluation_range = 0;  // 0: N + 2
  bool ignore_creation_time = false;
  std::string version;
};

// The options as `replays.options` records them (JSON): the window as given (null: the whole
// history), the overrides, the evaluation range, ignore_creation_time, the rule sources and
// the alarms chosen.
std::string ReplayOptionsJson(const ReplayOptions& options);

struct Episode {
  std::int64_t start = 0;
  std::optional<std::int64_t> end;  // nullopt: still in ALARM when the replay ended
  std::optional<double> peak;
  std::uint64_t matched_events = 0;
  // The windows [start, end) of the datapoints that decided its evaluations, merged and
  // sorted: where its events are (DescribeEpisodes fills them).
  std::vector<std::pair<std::int64_t, std::int64_t>> windows;
};

struct AlarmReplay {
  alarm::AlarmSpec spec;  // as evaluated (overrides applied)
  std::string stored_name;
  bool has_series = false;
  std::int64_t series_id = 0;  // 0: no event ever published to the metric
  std::uint64_t sample_minutes = 0;
  std::optional<std::int64_t> creation_cutoff;
  std::vector<alarm::Transition> transitions;
  std::vector<Episode> episodes;
  std::int64_t seconds_in_alarm = 0;
  std::int64_t from = 0, to = 0;
};

// A composite alarm replayed over its children's replayed histories (alarm/composite.h).
// Its episodes have no peak and no events of their own: they are its children's.
struct CompositeReplay {
  alarm::CompositeSpec spec;
  std::string stored_name;  // with overrides: "<name> (what-if: ...)", over what-if children
  std::vector<alarm::Transition> transitions;
  std::vector<Episode> episodes;
  std::int64_t seconds_in_alarm = 0;
};

struct ReplayResult {
  std::int64_t replay_id = 0;
  std::int64_t from = 0, to = 0;
  std::vector<AlarmReplay> alarms;
  std::vector<CompositeReplay> composites;  // children first
  std::vector<rules::NotReplayable> not_replayable;
};

// Evaluates the alarms of `options` over the database without writing anything: the
// composite alarms chosen bring their children (metric and composite) with them, which are
// replayed too; the
// report and the what-if commands replay in memory. An alarm whose filter was never scanned
// into the database (or was scanned with another pattern or transformation) is an error
// (CheckScanned): its series would be empty or someone else's, and "never in ALARM" would be
// a lie.
Result<ReplayResult> ComputeReplay(store::Database& db, const ReplayOptions& options);
// Writes a computed replay (replays, replayed_alarms, transitions, episodes) in one
// transaction; a replayed alarm's earlier results are replaced. Sets result.replay_id.
Result<void> StoreReplay(store::Database& db, ReplayResult& result, const ReplayOptions& options);
// Opens the database, ComputeReplay, StoreReplay.
Result<ReplayResult> RunReplay(const ReplayOptions& options);

// Why an alarm of `rules` cannot be replayed over this database, when it cannot: the filter
// that publishes its metric in `rules` was not scanned into the database, or was scanned with
// a different pattern or metric transformation. "" when the database holds it.
Result<std::string> UnscannedReason(store::Database& db, const rules::RuleSet& rules,
                                    const alarm::AlarmSpec& spec);
// The metric filters scanned into the database, as the scan stored them (each keeps the
// origin it was scanned from), in the order they were stored: what an alarm-only rules file
// is joined with, since the database's history is only of these filters.
Result<std::vector<metric::MetricFilterSpec>> ScannedFilters(store::Database& db);

// Every alarm of `specs` must be replayable over the database: an error that names each
// filter that is not, and says how to fix it.
Result<void> CheckScanned(store::Database& db, const rules::RuleSet& rules,
                          const std::vector<alarm::AlarmSpec>& specs);

// The alarm as a describe-alarms MetricAlarm object (what replayed_alarms.definition holds).
std::string AlarmJson(const alarm::AlarmSpec& spec);
// A composite as a describe-alarms CompositeAlarm object: AlarmName and AlarmRule.
std::string CompositeJson(const std::string& name, const std::string& rule);

// The pieces RunReplay is made of, for the commands that replay in memory (tune,
// contributors): they evaluate many variants of one alarm over one loaded series and never
// write to the database.

// The alarm named `name`: from `rules` (whose filter must have been scanned into the
// database: CheckScanned), or else one a replay stored in the database (replayed_alarms:
// what-if variants such as "x (what-if: threshold 5)"). An alarm the rules hold but cannot
// replay is an error saying why.
Result<alarm::AlarmSpec> ResolveAlarm(const rules::RuleSet& rules, const std::string& name,
                                      store::Database& db);

// `overrides` applied to `spec` (M follows a new N unless given, as PutMetricAlarm does), and
// the checks CloudWatch makes on the result (period a multiple of 60 s, 1 <= M <= N,
// N x Period within its limits).
alarm::AlarmSpec ApplyOverrides(alarm::AlarmSpec spec, const Overrides& overrides);
Result<void> ValidateAlarm(const alarm::AlarmSpec& spec);

// R: the evaluation range in periods (`evaluation_range`, or N + 2 when it is 0).
int EvaluationRange(const alarm::AlarmSpec& spec, int evaluation_range);
// Seconds between evaluations: 60, or 3600 for multi-day alarms (N x Period > 1 day).
std::int64_t EvaluationStep(const alarm::AlarmSpec& spec);

// The replayed range: [from, to) as given, or from the database's first minute with events to
// its last plus the time the slowest of `specs` needs to settle (R periods and an hour).
struct Range {
  std::int64_t from = 0, to = 0;
};
Result<Range> ReplayRange(store::Database& db, const std::vector<alarm::AlarmSpec>& specs,
                          std::optional<std::int64_t> from, std::optional<std::int64_t> to,
                          int evaluation_range);

// An alarm's metric series as the scan stored it.
struct Series {
  std::int64_t series_id = 0;                   // 0: no event ever published to the metric
  std::optional<std::int64_t> creation_cutoff;  // the publishing filter's creationTime minute
  std::vector<alarm::MinuteSample> samples;     // sorted by minute
};
// The series `spec` watches (namespace, name and dimension values, in any order), with the
// samples evaluations from `range.from` to `range.to` can reach when they look back
// `lookback_periods` periods (R). Samples before the filter's creationTime are left out
// unless ignore_creation_time. The published values of each minute are read for percentile
// statistics, or always with `with_values`.
Result<Series> LoadSeries(store::Database& db, const alarm::AlarmSpec& spec, Range range,
                          int lookback_periods, bool ignore_creation_time,
                          bool with_values = false);

// A metric math alarm's metric queries' series (by query id), each loaded as LoadSeries loads
// a single-metric alarm's; `has_series` and `sample_minutes` sum them up.
struct MathSeriesSet {
  std::map<std::string, std::vector<alarm::MinuteSample>> samples;
  bool has_series = false;
  std::uint64_t sample_minutes = 0;
};
Result<MathSeriesSet> LoadMathSeries(store::Database& db, const alarm::AlarmSpec& spec, Range range,
                                     int lookback_periods, bool ignore_creation_time);

// Episodes (start and end only) from an evaluation's transitions.
std::vector<Episode> EpisodesFrom(const std::vector<alarm::Transition>& transitions);
// Time spent in ALARM; an episode still open at the end counts until `to` plus one step.
std::int64_t SecondsInAlarm(const std::vector<Episode>& episodes, const alarm::AlarmSpec& spec,
                            std::int64_t to);
// Fills each episode's peak and windows from the samples it was evaluated on.
void DescribeEpisodes(const alarm::AlarmSpec& spec, const std::vector<alarm::MinuteSample>& samples,
                      int evaluation_range, std::int64_t to, std::vector<Episode>& episodes);
// Distinct events published to the series inside the windows.
// Its statement (?1 series, ?2 from, ?3 to) reads the events' table, not their view: through
// the view's joins SQLite 3.40 scanned every match of every filter for each window (replaying
// the whole CIS pack over 1 GB of logs ran over two minutes, now under two seconds), where
// the table takes the window from its index on stamp. A test pins the plan.
inline constexpr const char* kCountSeriesEventsSql =
    "SELECT (SELECT count(DISTINCT m.event_pk) FROM event_matches AS m JOIN event_rows AS e "
    "USING (event_pk) WHERE m.series_id = ?1 AND e.stamp >= ?2 AND e.stamp < ?3) + "
    "(SELECT coalesce(sum(events), 0) FROM imported_series_events WHERE series_id = ?1 AND "
    "minute >= ?2 AND minute < ?3)";
Result<std::uint64_t> CountSeriesEvents(
    store::Database& db, std::int64_t series_id,
    const std::vector<std::pair<std::int64_t, std::int64_t>>& windows);

}  // namespace trailreplay::replay

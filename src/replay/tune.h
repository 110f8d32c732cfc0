// Tuning an alarm: every candidate configuration (the cross product of candidate thresholds,
// M-of-N pairs and missing-data treatments) replayed in memory over the alarm's series, loaded
// once from the database, and compared by how often each would have paged and whether it
// would have caught the known incidents.
//
//   per candidate   ALARM episodes, time in ALARM, episodes per week over the replayed range,
//                   and for each incident window [from, to): whether the alarm was in ALARM at
//                   some evaluation inside it, and the delay from the window's start to the
//                   first such evaluation (0 when an episode was already running)
//   recommendation  among the candidates that catch every incident: the fewest episodes
//                   (pages), then the least total delay over the incidents (detects soonest,
//                   which also keeps a margin below the incident's peak), then the least time
//                   in ALARM, then the fewest settings changed from the alarm's own, then the
//                   lowest threshold. Without incidents nothing is recommended.
//
// Nothing is written to the database: a candidate is one alarm::Evaluate call.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "alarm/alarm.h"
#include "common/result.h"
#include "replay/replay.h"

namespace trailreplay::replay {

// A known incident: [from, to), UTC.
struct Incident {
  std::int64_t from = 0, to = 0;
};
// `FROM..TO`, each a time as the command line takes it (2024-03-02T03:00Z..2024-03-02T04:00Z).
Result<Incident> ParseIncident(std::string_view text);

struct IncidentOutcome {
  bool alarmed = false;
  std::int64_t first_alarm = 0;  // the first evaluation in ALARM inside the window
  std::int64_t delay = 0;        // first_alarm - window start
};
// Whether the episodes put the alarm in ALARM during the incident. An episode covers
// evaluations from its start up to (not including) its end; one still open at the end of the
// replay covers everything after its start.
IncidentOutcome CheckIncident(const std::vector<Episode>& episodes, const Incident& incident);

// Candidate lists as typed on the command line.
// Thresholds: `1..50` (step 1), `1..50:5`, `0.5..2:0.5`, or a list `1,2,5`; at most 10,000.
Result<std::vector<double>> ParseThresholds(std::string_view text);
// `M/N` pairs, comma-separated (`1/1,2/3,3/5`); a bare `M` keeps `default_n`.
Result<std::vector<std::pair<int, int>>> ParseDatapoints(std::string_view text, int default_n);
// Missing-data treatments, comma-separated (`missing,notBreaching`).
Result<std::vector<alarm::MissingData>> ParseMissingDataList(std::string_view text);

struct Candidate {
  alarm::AlarmSpec spec;
  std::size_t episodes = 0;
  std::int64_t seconds_in_alarm = 0;
  double per_week = 0;
  std::vector<IncidentOutcome> incidents;
  bool catches_all = false;  // in ALARM during every incident (false without incidents)
  bool fewest = false;       // catches all with the fewest episodes of those that do
  bool recommended = false;  // the one the rule above picks
  bool original = false;     // the alarm's own configuration
};

struct TuneOptions {
  std::string db_path;
  alarm::AlarmSpec alarm;  // the alarm as configured
  // Candidate lists; empty means the alarm's own value.
  std::vector<double> thresholds;
  std::vector<std::pair<int, int>> datapoints;  // M, N
  std::vector<alarm::MissingData> missing_data;
  std::vector<Incident> incidents;
  std::optional<std::int64_t> from, to;
  int evaluation_range = 0;
  bool ignore_creation_time = false;
};

struct TuneResult {
  alarm::AlarmSpec alarm;
  Range range;
  bool has_series = false;
  std::uint64_t sample_minutes = 0;
  std::optional<std::int64_t> creation_cutoff;
  std::vector<Incident> incidents;
  std::vector<Candidate> candidates;  // by threshold, then N, M, missing data
  std::optional<std::size_t> recommended;
};

// The candidate specifications, validated (an invalid one, such as M > N, is an error naming
// it), without duplicates.
Result<std::vector<alarm::AlarmSpec>> CandidateSpecs(const TuneOptions& options);

// Evaluates each candidate over `samples` and ranks them (the pure core of RunTune). A
// metric math alarm is evaluated over `math_samples` (its metric queries' series by id)
// instead.
using MathSamples = std::map<std::string, std::vector<alarm::MinuteSample>>;
std::vector<Candidate> EvaluateCandidates(const alarm::AlarmSpec& original,
                                          const std::vector<alarm::AlarmSpec>& specs,
                                          const std::vector<alarm::MinuteSample>& samples,
                                          Range range, const std::vector<Incident>& incidents,
                                          int evaluation_range,
                                          const MathSamples* math_samples = nullptr);
// Marks `fewest` and `recommended` by the rule above; returns the recommended index.
std::optional<std::size_t> Recommend(std::vector<Candidate>& candidates,
                                     const alarm::AlarmSpec& original);

Result<TuneResult> RunTune(const TuneOptions& options);

}  // namespace trailreplay::replay

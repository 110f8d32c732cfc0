// CloudWatch alarm evaluation over a replayed metric, as a pure function: an alarm definition
// and a per-minute sample series in, the alarm's state at each evaluation and its transitions
// out. Spec sections 0 and B; the rules, as implemented:
//
// Evaluation times. An alarm with Period >= 60 s (a multiple of 60) is evaluated at every whole
// minute T. Window k (k = 0 newest) is [T - (k+1)·P, T - k·P); its datapoint is the Statistic
// of the samples stamped inside it, and is stamped with the window's start. A multi-day alarm
// (EvaluationPeriods × Period > 86,400 s) is evaluated once per hour, at each whole hour,
// with the same windows. A high-resolution alarm (Period 10, 20 or 30 s) is evaluated every
// 10 s, at each T a multiple of 10 s ("If the alarm period is 10 seconds or 30 seconds, the
// alarm is evaluated every 10 seconds", spec B.3.4), with the same windows; its samples come
// per 10-second slot (a sample stamped 12:00:07 counts in [12:00:00, 12:00:10)), so each
// window holds exactly the samples stamped inside it. Samples of a metric published once a
// minute leave most of its windows empty, and the alarm lapses into INSUFFICIENT_DATA, as
// PutMetricAlarm's documentation warns.
//
// The evaluation range. Each evaluation looks at R windows (R = EvaluationPeriods + 2 unless
// set: the only documented case is N = 3, R = 5; spec E.1). A window with no samples is
// missing; the others are breaching or not (Statistic <op> Threshold).
//
// M of N with missing data (B.4), with `real` the non-missing windows in the range:
//   |real| >= N      the N newest real datapoints decide: ALARM iff >= M breach, else OK;
//                    TreatMissingData does not matter
//   |real| == 0      missing -> INSUFFICIENT_DATA, ignore -> keep the state, breaching ->
//                    ALARM, notBreaching -> OK
//   0 < |real| < N   the real points plus N - |real| fillers (breaching: breach; notBreaching:
//                    do not; missing/ignore: count as nothing); ALARM iff breaching >= M, else
//                    OK, except for the premature-alarm rule:
//   premature rule   (missing and ignore) when fewer than M real points breach, but the oldest
//                    breaching point within the newest N windows is at least M windows old and
//                    every newer window within the newest N is breaching or missing, and no real
//                    non-breaching point is in the range: missing -> ALARM, ignore -> keep the
//                    state. The documented negatives (`- - - - X`, `- - - X -`, N = M = 3)
//                    fall out of the "at least M windows old" condition: they evaluate to
//                    the ordinary result (OK when not enough points breach).
//
// The evaluation range is never shorter than N (a smaller R is raised to N); N is at least 1
// and M is clamped to 1..N.
//
// Datapoints. SampleCount, Sum, Average (Sum / SampleCount), Minimum and Maximum come from the
// per-minute aggregates; a window whose SampleCount is 0 is missing. Sums are prefix sums
// kept in double-double, so a window's Sum is the correctly rounded sum of its minutes (exact
// for the integer counts metric filters publish). pNN is the nearest rank over the window's
// merged `values`: with n samples, the smallest value v such that at least NN% of the samples
// are <= v (rank r = the least r >= 1 with 100·r >= NN·n). A minute with count > 0 and no
// `values` stands for count copies of its minimum when minimum == maximum, and otherwise for
// one sample at the minimum, one at the maximum and count - 2 at the mean of the rest, which
// keeps the minute's count, sum, minimum and maximum.
//
// EvaluateLowSampleCountPercentile "ignore": when one of the real datapoints the decision
// uses (the N newest real ones, or all of them when there are fewer) has fewer than
// ceil(10/(1-p)) samples (p >= 0.5) or ceil(10/p) (p < 0.5), the evaluation keeps the state
// (AWS: "the alarm state does not change"). The limit is computed with a 1e-9 relative
// tolerance so that p99.9 asks for 10,000 samples, not 10,001.
//
// The state starts INSUFFICIENT_DATA ("Unchecked: Initial alarm creation") unless told
// otherwise; a transition is recorded only when the state changes, with a reason worded as
// CloudWatch words it:
//   Threshold Crossed: 1 datapoint [3.0 (01/03/24 14:05:00)] was greater than or equal to the
//   threshold (1.0).
//   Threshold Crossed: 2 out of the last 3 datapoints [5.0 (01/03/24 14:05:00), 3.0 (01/03/24
//   14:04:00)] were greater than the threshold (1.0) (minimum 2 datapoints for OK -> ALARM
//   transition).
//   Insufficient Data: 1 datapoint was unknown.
//   Threshold Crossed: no datapoints were received for 2 periods and 2 missing datapoints were
//   treated as [Breaching].
// In detail (values print like Java's Double.toString, as CloudWatch's do: 3.0, 0.25, 1.0E-4,
// 1.2345678E7; times with ReasonTime of the window start; lists newest first):
//   N = 1              "1 datapoint [v (t)] was [not ]<op> the threshold (T)."
//   N > 1, ALARM, and OK when no real datapoint used is non-breaching: "b out of the last N
//                      datapoints [breaching ones] was|were <op> the threshold (T) (minimum M
//                      datapoint(s) for OK -> ALARM transition)."
//   N > 1, OK          "k out of the last N datapoints [non-breaching ones] was|were not <op>
//                      the threshold (T) (minimum 1 datapoint for ALARM -> OK transition)."
//   fillers            (breaching / notBreaching, fewer than N real points) " and f missing
//                      datapoint(s) was|were treated as [Breaching|NonBreaching]" after the
//                      threshold, as AWS adds it; with no datapoint to list, just "f missing
//                      datapoints were treated as [Breaching] (minimum ...)."
//   5 or more listed   "b out of the last N datapoints were <op> the threshold (T). The most
//                      recent datapoints which crossed the threshold: [the 5 newest] (minimum
//                      ...)." (AWS's long form)
//   premature alarm    the ALARM form with " and m datapoint(s) was|were missing (premature
//                      alarm; minimum M datapoints for OK -> ALARM transition)."
//   no data            "Insufficient Data: N datapoint(s) was|were unknown." (missing); "no
//                      datapoints were received for N period(s) and N missing datapoint(s)
//                      was|were treated as [Breaching|NonBreaching]."
// Evaluations that keep the state (ignore; low sample count) never make a transition; with
// record_every_evaluation their reasons are trailreplay's own: "Missing data ignored: ...; the
// state is kept." and "Low sample count: ...; the state is kept.". Every recorded evaluation
// carries the reason of its own outcome, not the standing reason of the last transition.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace trailreplay::alarm {

enum class Statistic : std::uint8_t {
  kSampleCount,
  kSum,
  kAverage,
  kMinimum,
  kMaximum,
  kPercentile
};
enum class Comparison : std::uint8_t {
  kGreaterThanOrEqualToThreshold,
  kGreaterThanThreshold,
  kLessThanThreshold,
  kLessThanOrEqualToThreshold,
};
enum class MissingData : std::uint8_t { kMissing, kIgnore, kBreaching, kNotBreaching };
enum class State : std::uint8_t { kInsufficientData, kOk, kAlarm };

// "INSUFFICIENT_DATA", "OK", "ALARM"; the AWS spellings of the others ("Sum", "p99",
// "GreaterThanOrEqualToThreshold", "notBreaching").
std::string_view StateName(State state);
std::string StatisticName(Statistic statistic, double percentile);
std::string_view ComparisonName(Comparison comparison);
std::string_view MissingDataName(MissingData treatment);

// The reverse, for definitions and command lines; nullopt for anything else. A percentile is
// `pNN` or `pNN.NN` with 0 < NN < 100 (p99, p99.9); it sets `percentile`.
std::optional<State> ParseStateName(std::string_view text);
std::optional<Statistic> ParseStatisticName(std::string_view text, double& percentile);
std::optional<Comparison> ParseComparisonName(std::string_view text);
std::optional<MissingData> ParseMissingDataName(std::string_view text);

struct MathAlarm;  // alarm/math.h

// What of a MetricAlarm the evaluation needs (validated by whoever builds it).
struct AlarmSpec {
  std::string name;
  std::string metric_namespace;
  std::string metric_name;
  std::vector<std::pair<std::string, std::string>> dimensions;  // name -> value
  Statistic statistic = Statistic::kSum;
  double percentile = 0;      // kPercentile: 0 < p < 100 (p99 -> 99)
  std::int64_t period = 300;  // seconds: a multiple of 60, or 10, 20 or 30 (high resolution)
  int evaluation_periods = 1;
  int datapoints_to_alarm = 1;
  double threshold = 1;
  Comparison comparison = Comparison::kGreaterThanOrEqualToThreshold;
  MissingData treat_missing_data = MissingData::kMissing;
  // EvaluateLowSampleCountPercentile: "ignore" keeps the state when a percentile window has
  // too few samples (fewer than 10/(1-p) for p >= 0.5, 10/p below).
  bool ignore_low_sample_percentile = false;
  // A metric math alarm (`Metrics`): its queries and the expression it watches. The metric
  // fields above are then empty, `period` is the queries' and `statistic` unused.
  std::shared_ptr<const MathAlarm> math;
};

// One slot of published samples (a minute; 10 s for a high-resolution alarm, see
// SampleSlotSeconds): what the samples table keeps, plus the distinct values with their counts
// (needed for percentiles; may be empty for other statistics).
struct MinuteSample {
  std::int64_t minute = 0;  // the slot's start, epoch seconds: a multiple of the slot
  std::uint64_t count = 0;
  double sum = 0, minimum = 0, maximum = 0;
  std::vector<std::pair<double, std::uint64_t>> values;  // value -> samples, ascending
};

struct EvaluateOptions {
  std::int64_t from = 0;     // first evaluation at or after this time (rounded up to a step)
  std::int64_t to = 0;       // last evaluation at or before this time
  int evaluation_range = 0;  // R; 0 means N + 2
  State initial_state = State::kInsufficientData;
  bool record_every_evaluation = false;  // also fill Result::evaluations
};

struct Datapoint {
  std::int64_t start = 0;       // window start
  std::optional<double> value;  // nullopt: missing
  bool breaching = false;
};

struct Evaluation {
  std::int64_t time = 0;
  State state = State::kInsufficientData;
  std::string reason;
};

struct Transition {
  std::int64_t time = 0;
  State old_state = State::kInsufficientData;
  State new_state = State::kInsufficientData;
  std::string reason;
};

struct EvaluationResult {
  std::vector<Transition> transitions;
  std::vector<Evaluation> evaluations;  // only with record_every_evaluation
};

// High-resolution periods: AWS accepts 10, 20 and 30 s below a minute (PutMetricAlarm).
bool IsHighResolutionPeriod(std::int64_t period);
inline constexpr std::int64_t kHighResolutionStep = 10;
// The slot samples are aggregated into, and the step between evaluations, for an alarm of
// `period` seconds: 60, or kHighResolutionStep below a minute.
std::int64_t SampleSlotSeconds(std::int64_t period);

// `samples` sorted by slot, one entry per slot at most.
EvaluationResult Evaluate(const AlarmSpec& alarm, const std::vector<MinuteSample>& samples,
                          const EvaluateOptions& options);

// The same M-of-N evaluation over datapoints computed elsewhere (metric math): at each
// evaluation time T, `windows(T, R, values)` fills `values` with the R windows' datapoints,
// oldest first ([T - R·P, T - (R-1)·P) first). EvaluateLowSampleCountPercentile does not apply.
using WindowSource =
    std::function<void(std::int64_t, std::size_t, std::vector<std::optional<double>>&)>;
EvaluationResult EvaluateWindows(const AlarmSpec& alarm, const WindowSource& windows,
                                 const EvaluateOptions& options);

// "01/03/24 14:05:00": how CloudWatch prints datapoint times in reasons (dd/MM/yy, UTC).
std::string ReasonTime(std::int64_t epoch_seconds);

}  // namespace trailreplay::alarm

// Alarm evaluation: the spec's B.4 table (every row under every TreatMissingData), the
// premature-alarm rule and its documented negatives, sliding windows, every statistic,
// operator and treatment, the reasons word for word, multi-day alarms, and a differential test
// against a slow reference that recomputes every window from scratch and reads the rules of
// alarm.h literally.
#include "alarm/alarm.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "common/time.h"

namespace trailreplay::alarm {
namespace {

constexpr std::int64_t kDay = DaysFromCivil(2024, 3, 1) * 86400;  // 01/03/24 00:00:00

constexpr std::int64_t At(int hour, int minute) { return kDay + hour * 3600 + minute * 60; }

// A minute's samples from its (value, count) list, with the aggregates that go with it.
MinuteSample Sample(std::int64_t minute, std::vector<std::pair<double, std::uint64_t>> values) {
  MinuteSample sample;
  sample.minute = minute;
  std::sort(values.begin(), values.end());
  for (const auto& [value, count] : values) {
    if (count == 0) continue;
    if (sample.count == 0) {
      sample.minimum = sample.maximum = value;
    } else {
      sample.minimum = std::min(sample.minimum, value);
      sample.maximum = std::max(sample.maximum, value);
    }
    sample.count += count;
    sample.sum += value * static_cast<double>(count);
  }
  sample.values = std::move(values);
  return sample;
}

MinuteSample One(std::int64_t minute, double value) { return Sample(minute, {{value, 1}}); }

void SortByMinute(std::vector<MinuteSample>& samples) {
  std::sort(samples.begin(), samples.end(),
            [](const MinuteSample& a, const MinuteSample& b) { return a.minute < b.minute; });
}

// Evaluations from..to, every one recorded.
EvaluationResult Replay(const AlarmSpec& alarm, const std::vector<MinuteSample>& samples,
                        std::int64_t from, std::int64_t to,
                        State initial = State::kInsufficientData, int range = 0) {
  EvaluateOptions options;
  options.from = from;
  options.to = to;
  options.initial_state = initial;
  options.evaluation_range = range;
  options.record_every_evaluation = true;
  return Evaluate(alarm, samples, options);
}

// ---------------------------------------------------------------------------------------------
// The B.4 table: N = 3, R = 5, Period 60, so each window is one minute. Points are written
// oldest first as in the spec; X is a breaching datapoint (Sum 2 >= 1), 0 a non-breaching one
// (Sum 0), - a missing one. Evaluated once, at 14:00.

constexpr std::int64_t kTableTime = At(14, 0);

std::vector<MinuteSample> FromPoints(std::string_view points, std::int64_t time,
                                     double breach_value = 2) {
  std::string compact;
  for (char c : points) {
    if (c != ' ') compact += c;
  }
  std::vector<MinuteSample> samples;
  for (std::size_t i = 0; i < compact.size(); ++i) {
    const auto k = static_cast<std::int64_t>(compact.size() - 1 - i);
    const std::int64_t minute = time - (k + 1) * 60;
    if (compact[i] == 'X') samples.push_back(One(minute, breach_value));
    if (compact[i] == '0') samples.push_back(One(minute, 0));
  }
  return samples;
}

AlarmSpec TableAlarm(int m, MissingData treatment) {
  AlarmSpec alarm;
  alarm.name = "table";
  alarm.statistic = Statistic::kSum;
  alarm.period = 60;
  alarm.evaluation_periods = 3;
  alarm.datapoints_to_alarm = m;
  alarm.threshold = 1;
  alarm.comparison = Comparison::kGreaterThanOrEqualToThreshold;
  alarm.treat_missing_data = treatment;
  return alarm;
}

State EvaluateOnce(const AlarmSpec& alarm, std::string_view points, State initial, int range = 5) {
  const EvaluationResult result =
      Replay(alarm, FromPoints(points, kTableTime), kTableTime, kTableTime, initial, range);
  EXPECT_EQ(result.evaluations.size(), 1u);
  return result.evaluations.empty() ? initial : result.evaluations[0].state;
}

enum class Expect { kOk, kAlarm, kInsufficient, kRetain };

struct TableRow {
  int m;
  const char* points;
  Expect expected[4];  // missing, ignore, breaching, notBreaching
};

constexpr Expect kOkE = Expect::kOk, kAlarmE = Expect::kAlarm, kInsE = Expect::kInsufficient,
                 kRetainE = Expect::kRetain;

const TableRow kTable[] = {
    {3, "0 - X - X", {kOkE, kOkE, kOkE, kOkE}},
    {3, "0 - - - -", {kOkE, kOkE, kOkE, kOkE}},
    {3, "- - - - -", {kInsE, kRetainE, kAlarmE, kOkE}},
    {3, "0 X X - X", {kAlarmE, kAlarmE, kAlarmE, kAlarmE}},
    {3, "- - X - -", {kAlarmE, kRetainE, kAlarmE, kOkE}},
    {2, "0 - X - X", {kAlarmE, kAlarmE, kAlarmE, kAlarmE}},
    {2, "0 0 X 0 X", {kAlarmE, kAlarmE, kAlarmE, kAlarmE}},
    {2, "0 - X - -", {kOkE, kOkE, kAlarmE, kOkE}},
    {2, "- - - - 0", {kOkE, kOkE, kAlarmE, kOkE}},
    {2, "- - - X -", {kAlarmE, kRetainE, kAlarmE, kOkE}},
};

constexpr MissingData kTreatments[] = {MissingData::kMissing, MissingData::kIgnore,
                                       MissingData::kBreaching, MissingData::kNotBreaching};
constexpr State kStates[] = {State::kInsufficientData, State::kOk, State::kAlarm};

TEST(AlarmTableTest, SpecB4AllRowsAllTreatments) {
  for (const TableRow& row : kTable) {
    for (int t = 0; t < 4; ++t) {
      const AlarmSpec alarm = TableAlarm(row.m, kTreatments[t]);
      // Every initial state: the result must not depend on it, except for "retain".
      for (State initial : kStates) {
        State expected = initial;
        switch (row.expected[t]) {
          case Expect::kOk:
            expected = State::kOk;
            break;
          case Expect::kAlarm:
            expected = State::kAlarm;
            break;
          case Expect::kInsufficient:
            expected = State::kInsufficientData;
            break;
          case Expect::kRetain:
            break;
        }
        EXPECT_EQ(EvaluateOnce(alarm, row.points, initial), expected)
            << "M=" << row.m << " points '" << row.points << "' treatment "
            << MissingDataName(kTreatments[t]) << " from " << StateName(initial);
      }
    }
  }
}

TEST(AlarmTableTest, LoneNonBreachingPointLeavesTheRangeUnderBreaching) {
  // Row 2 under breaching: OK at 14:00; at 14:01 the 0 (13:55) has left the range.
  const AlarmSpec alarm = TableAlarm(3, MissingData::kBreaching);
  const EvaluationResult result =
      Replay(alarm, FromPoints("0 - - - -", kTableTime), kTableTime, kTableTime + 60);
  ASSERT_EQ(result.evaluations.size(), 2u);
  EXPECT_EQ(result.evaluations[0].state, State::kOk);
  EXPECT_EQ(result.evaluations[1].state, State::kAlarm);
  ASSERT_EQ(result.transitions.size(), 2u);
  EXPECT_EQ(result.transitions[1].time, kTableTime + 60);
  EXPECT_EQ(result.transitions[1].old_state, State::kOk);
  EXPECT_EQ(result.transitions[1].reason,
            "Threshold Crossed: no datapoints were received for 3 periods and 3 missing "
            "datapoints were treated as [Breaching].");
}

TEST(AlarmPrematureTest, FiresWhenTheOldestBreachIsAtLeastMWindowsOld) {
  const AlarmSpec alarm = TableAlarm(3, MissingData::kMissing);
  const EvaluationResult result =
      Replay(alarm, FromPoints("- - X - -", kTableTime), kTableTime, kTableTime);
  ASSERT_EQ(result.transitions.size(), 1u);
  EXPECT_EQ(result.transitions[0].new_state, State::kAlarm);
  EXPECT_EQ(result.transitions[0].reason,
            "Threshold Crossed: 1 out of the last 3 datapoints [2.0 (01/03/24 13:57:00)] was "
            "greater than or equal to the threshold (1.0) and 2 datapoints were missing "
            "(premature alarm; minimum 3 datapoints for OK -> ALARM transition).");
}

TEST(AlarmPrematureTest, DocumentedNegativesDoNotAlarm) {
  // N = M = 3: a lone breach at k = 0 or k = 1 is not M windows old: the ordinary result (OK).
  for (MissingData treatment : {MissingData::kMissing, MissingData::kIgnore}) {
    const AlarmSpec alarm = TableAlarm(3, treatment);
    for (const char* points : {"- - - - X", "- - - X -", "- - - X X"}) {
      for (State initial : kStates) {
        EXPECT_EQ(EvaluateOnce(alarm, points, initial), State::kOk)
            << points << " " << MissingDataName(treatment) << " from " << StateName(initial);
      }
    }
  }
}

TEST(AlarmPrematureTest, NonBreachingPointAnywhereInTheRangeBlocksIt) {
  const AlarmSpec alarm = TableAlarm(3, MissingData::kMissing);
  EXPECT_EQ(EvaluateOnce(alarm, "0 - X - -", State::kAlarm), State::kOk);
  EXPECT_EQ(EvaluateOnce(alarm, "- 0 X - -", State::kAlarm), State::kOk);
  EXPECT_EQ(EvaluateOnce(alarm, "- - X 0 -", State::kAlarm), State::kOk);
  // Two breaches, the older one M windows old: fires.
  EXPECT_EQ(EvaluateOnce(alarm, "- - X X -", State::kOk), State::kAlarm);
  // A breach only beyond the newest N windows is not "within the newest N": ordinary OK.
  EXPECT_EQ(EvaluateOnce(alarm, "X - - - -", State::kAlarm), State::kOk);
  EXPECT_EQ(EvaluateOnce(alarm, "X X - - -", State::kAlarm), State::kOk);
}

TEST(AlarmPrematureTest, IgnoreKeepsTheStateWithItsOwnReason) {
  const AlarmSpec alarm = TableAlarm(3, MissingData::kIgnore);
  const EvaluationResult result =
      Replay(alarm, FromPoints("- - X - -", kTableTime), kTableTime, kTableTime, State::kOk, 5);
  EXPECT_TRUE(result.transitions.empty());
  ASSERT_EQ(result.evaluations.size(), 1u);
  EXPECT_EQ(result.evaluations[0].state, State::kOk);
  EXPECT_EQ(result.evaluations[0].reason,
            "Missing data ignored: 1 out of the last 3 datapoints [2.0 (01/03/24 13:57:00)] was "
            "greater than or equal to the threshold (1.0) and 2 datapoints were missing "
            "(premature alarm not raised; the state is kept).");
}

// ---------------------------------------------------------------------------------------------
// Sliding windows.

AlarmSpec CisAlarm() {
  AlarmSpec alarm;
  alarm.name = "cis";
  alarm.statistic = Statistic::kSum;
  alarm.period = 300;
  alarm.evaluation_periods = 1;
  alarm.datapoints_to_alarm = 1;
  alarm.threshold = 1;
  alarm.comparison = Comparison::kGreaterThanOrEqualToThreshold;
  alarm.treat_missing_data = MissingData::kMissing;
  return alarm;
}

TEST(AlarmSlidingTest, CisAlarmOnOneEvent) {
  // One matching event at 14:03. R = 3 windows of 5 minutes: the datapoint is in the range
  // for the evaluations 14:04 .. 14:18, i.e. 15 of them.
  const std::vector<MinuteSample> samples = {One(At(14, 3), 1)};
  const EvaluationResult result = Replay(CisAlarm(), samples, At(13, 50), At(14, 30));
  ASSERT_EQ(result.transitions.size(), 2u);
  EXPECT_EQ(result.transitions[0].time, At(14, 4));
  EXPECT_EQ(result.transitions[0].old_state, State::kInsufficientData);
  EXPECT_EQ(result.transitions[0].new_state, State::kAlarm);
  EXPECT_EQ(result.transitions[0].reason,
            "Threshold Crossed: 1 datapoint [1.0 (01/03/24 13:59:00)] was greater than or equal "
            "to the threshold (1.0).");
  EXPECT_EQ(result.transitions[1].time, At(14, 19));
  EXPECT_EQ(result.transitions[1].old_state, State::kAlarm);
  EXPECT_EQ(result.transitions[1].new_state, State::kInsufficientData);
  EXPECT_EQ(result.transitions[1].reason, "Insufficient Data: 1 datapoint was unknown.");
  const auto alarms = std::count_if(result.evaluations.begin(), result.evaluations.end(),
                                    [](const Evaluation& e) { return e.state == State::kAlarm; });
  EXPECT_EQ(alarms, 15);
  ASSERT_EQ(result.evaluations.size(), 41u);
  // At 14:10 the newest window [14:05, 14:10) is empty; the ALARM stands on [14:00, 14:05).
  EXPECT_EQ(result.evaluations[20].time, At(14, 10));
  EXPECT_EQ(result.evaluations[20].reason,
            "Threshold Crossed: 1 datapoint [1.0 (01/03/24 14:00:00)] was greater than or equal "
            "to the threshold (1.0).");
}

TEST(AlarmSlidingTest, WindowsSlideByOneMinuteNotByPeriod) {
  // Two events 4 minutes apart: only the window [14:02, 14:07) holds both (Sum 2), so with
  // R = 1 only the evaluation at 14:07 breaches.
  AlarmSpec alarm = CisAlarm();
  alarm.threshold = 2;
  const std::vector<MinuteSample> samples = {One(At(14, 2), 1), One(At(14, 6), 1)};
  const EvaluationResult result = Replay(alarm, samples, At(14, 0), At(14, 10), State::kOk, 1);
  std::vector<std::int64_t> alarm_times;
  for (const Evaluation& e : result.evaluations) {
    if (e.state == State::kAlarm) alarm_times.push_back(e.time);
  }
  EXPECT_EQ(alarm_times, (std::vector<std::int64_t>{At(14, 7)}));
}

TEST(AlarmSlidingTest, EvaluationTimesAreWholeMinutesInTheClosedRange) {
  const EvaluationResult result =
      Replay(CisAlarm(), {}, At(14, 0) + 30, At(14, 5) + 59, State::kInsufficientData);
  ASSERT_EQ(result.evaluations.size(), 5u);
  EXPECT_EQ(result.evaluations.front().time, At(14, 1));
  EXPECT_EQ(result.evaluations.back().time, At(14, 5));
  EXPECT_TRUE(Replay(CisAlarm(), {}, At(14, 5), At(14, 4)).evaluations.empty());
  EXPECT_EQ(Replay(CisAlarm(), {}, At(14, 5), At(14, 5)).evaluations.size(), 1u);
}

TEST(AlarmMOfNTest, NonConsecutiveBreaches) {
  AlarmSpec alarm = TableAlarm(3, MissingData::kMissing);
  alarm.evaluation_periods = 5;  // R = 7
  EXPECT_EQ(EvaluateOnce(alarm, "X 0 X 0 X", State::kOk, 0), State::kAlarm);
  EXPECT_EQ(EvaluateOnce(alarm, "X X 0 0 X", State::kOk, 0), State::kAlarm);
  // Three breaches in the range, but only two among the 5 newest real datapoints.
  EXPECT_EQ(EvaluateOnce(alarm, "X 0 0 X 0 X 0", State::kAlarm, 0), State::kOk);
  // Missing windows are skipped: the 5 newest real ones reach back into the range.
  EXPECT_EQ(EvaluateOnce(alarm, "X X 0 - 0 - X", State::kOk, 0), State::kAlarm);
  EXPECT_EQ(EvaluateOnce(alarm, "X 0 0 - 0 X X", State::kAlarm, 0), State::kOk);
  // Fewer than N real datapoints, M of them breaching: ALARM without fillers.
  EXPECT_EQ(EvaluateOnce(alarm, "- X - 0 X X -", State::kOk, 0), State::kAlarm);
  EXPECT_EQ(EvaluateOnce(alarm, "X 0 0 - 0 0 X", State::kAlarm, 0), State::kOk);
}

TEST(AlarmMOfNTest, EvaluationRangeOverride) {
  const AlarmSpec alarm = TableAlarm(2, MissingData::kMissing);
  // R = 5 sees the two breaches; R = 3 sees only missing windows.
  EXPECT_EQ(EvaluateOnce(alarm, "X X - - -", State::kOk, 5), State::kAlarm);
  EXPECT_EQ(EvaluateOnce(alarm, "X X - - -", State::kOk, 3), State::kInsufficientData);
  // R below N is raised to N.
  EXPECT_EQ(EvaluateOnce(alarm, "- - - X X", State::kOk, 1), State::kAlarm);
  // Default R = N + 2 = 5.
  EXPECT_EQ(EvaluateOnce(alarm, "X X - - -", State::kOk, 0), State::kAlarm);
  EXPECT_EQ(EvaluateOnce(alarm, "X - - - - -", State::kOk, 0), State::kInsufficientData);
}

TEST(AlarmMOfNTest, InitialStateAndNoTransitionWithoutChange) {
  const AlarmSpec alarm = TableAlarm(1, MissingData::kMissing);
  const auto samples = FromPoints("X X X X X", kTableTime);
  EXPECT_TRUE(Replay(alarm, samples, kTableTime, kTableTime, State::kAlarm).transitions.empty());
  const EvaluationResult result = Replay(alarm, samples, kTableTime, kTableTime, State::kOk);
  ASSERT_EQ(result.transitions.size(), 1u);
  EXPECT_EQ(result.transitions[0].old_state, State::kOk);
}

// ---------------------------------------------------------------------------------------------
// Statistics and comparisons. One 5-minute window [13:55, 14:00), evaluated at 14:00 with
// R = 1.

std::vector<MinuteSample> MixedWindow() {
  // 8 samples: 1, 2, 2, 2, 2, 3, 3, 10 (count 8, sum 25, average 3.125).
  return {Sample(At(13, 55), {{1, 1}, {3, 2}}), Sample(At(13, 57), {{10, 1}}),
          Sample(At(13, 59), {{2, 4}})};
}

struct StatisticCase {
  Statistic statistic;
  double percentile;
  double expected;
  const char* printed;
};

const StatisticCase kStatisticCases[] = {
    {Statistic::kSampleCount, 0, 8, "8.0"},     {Statistic::kSum, 0, 25, "25.0"},
    {Statistic::kAverage, 0, 3.125, "3.125"},   {Statistic::kMinimum, 0, 1, "1.0"},
    {Statistic::kMaximum, 0, 10, "10.0"},       {Statistic::kPercentile, 10, 1, "1.0"},
    {Statistic::kPercentile, 12.5, 1, "1.0"},  // rank exactly 1
    {Statistic::kPercentile, 25, 2, "2.0"},     {Statistic::kPercentile, 50, 2, "2.0"},
    {Statistic::kPercentile, 62.5, 2, "2.0"},  // rank exactly 5
    {Statistic::kPercentile, 63, 3, "3.0"},    // rank 6
    {Statistic::kPercentile, 75, 3, "3.0"},     {Statistic::kPercentile, 87.5, 3, "3.0"},
    {Statistic::kPercentile, 90, 10, "10.0"},   {Statistic::kPercentile, 99, 10, "10.0"},
    {Statistic::kPercentile, 99.9, 10, "10.0"},
};

constexpr Comparison kComparisons[] = {
    Comparison::kGreaterThanOrEqualToThreshold, Comparison::kGreaterThanThreshold,
    Comparison::kLessThanThreshold, Comparison::kLessThanOrEqualToThreshold};

bool Compare(double value, Comparison comparison, double threshold) {
  switch (comparison) {
    case Comparison::kGreaterThanOrEqualToThreshold:
      return value >= threshold;
    case Comparison::kGreaterThanThreshold:
      return value > threshold;
    case Comparison::kLessThanThreshold:
      return value < threshold;
    case Comparison::kLessThanOrEqualToThreshold:
      return value <= threshold;
  }
  return false;
}

TEST(AlarmStatisticTest, EveryStatisticAgainstEveryOperatorAtAboveAndBelow) {
  const auto samples = MixedWindow();
  for (const StatisticCase& c : kStatisticCases) {
    for (Comparison comparison : kComparisons) {
      for (double delta : {-0.5, 0.0, 0.5}) {
        AlarmSpec alarm = CisAlarm();
        alarm.statistic = c.statistic;
        alarm.percentile = c.percentile;
        alarm.comparison = comparison;
        alarm.threshold = c.expected + delta;
        const EvaluationResult result =
            Replay(alarm, samples, At(14, 0), At(14, 0), State::kInsufficientData, 1);
        ASSERT_EQ(result.evaluations.size(), 1u);
        const bool breach = Compare(c.expected, comparison, alarm.threshold);
        const std::string where = StatisticName(c.statistic, c.percentile) + " " +
                                  std::string(ComparisonName(comparison)) + " " +
                                  std::to_string(alarm.threshold);
        EXPECT_EQ(result.evaluations[0].state, breach ? State::kAlarm : State::kOk) << where;
        const std::string point = std::string("[") + c.printed + " (01/03/24 13:55:00)]";
        EXPECT_NE(result.evaluations[0].reason.find(point), std::string::npos)
            << where << ": " << result.evaluations[0].reason;
      }
    }
  }
}

TEST(AlarmStatisticTest, PercentileOfMinutesWithoutValueLists) {
  // count 5, sum 15, min 1, max 5, no list: stands for 1, 3, 3, 3, 5; count 4 of 2: 2, 2, 2, 2.
  MinuteSample spread;
  spread.minute = At(13, 56);
  spread.count = 5;
  spread.sum = 15;
  spread.minimum = 1;
  spread.maximum = 5;
  MinuteSample flat;
  flat.minute = At(13, 58);
  flat.count = 4;
  flat.sum = 8;
  flat.minimum = flat.maximum = 2;
  // Together: 1, 2, 2, 2, 2, 3, 3, 3, 5.
  const std::vector<MinuteSample> samples = {spread, flat};
  const std::pair<double, double> cases[] = {{10, 1}, {20, 2}, {50, 2}, {60, 3},
                                             {88, 3}, {89, 5}, {99, 5}};
  for (const auto& [p, expected] : cases) {
    AlarmSpec alarm = CisAlarm();
    alarm.statistic = Statistic::kPercentile;
    alarm.percentile = p;
    alarm.threshold = expected;
    const EvaluationResult ge = Replay(alarm, samples, At(14, 0), At(14, 0), State::kOk, 1);
    alarm.comparison = Comparison::kLessThanOrEqualToThreshold;
    const EvaluationResult le = Replay(alarm, samples, At(14, 0), At(14, 0), State::kOk, 1);
    EXPECT_EQ(ge.evaluations[0].state, State::kAlarm) << "p" << p;
    EXPECT_EQ(le.evaluations[0].state, State::kAlarm) << "p" << p;
  }
}

TEST(AlarmStatisticTest, LowSampleCountPercentileIgnoreKeepsTheState) {
  AlarmSpec alarm = CisAlarm();
  alarm.statistic = Statistic::kPercentile;
  alarm.percentile = 99;
  alarm.threshold = 1;
  const std::vector<MinuteSample> ten = {Sample(At(13, 57), {{5, 10}})};
  EXPECT_EQ(Replay(alarm, ten, At(14, 0), At(14, 0), State::kOk).evaluations[0].state,
            State::kAlarm);
  alarm.ignore_low_sample_percentile = true;
  for (State initial : kStates) {
    const EvaluationResult result = Replay(alarm, ten, At(14, 0), At(14, 0), initial);
    EXPECT_EQ(result.evaluations[0].state, initial);
    EXPECT_TRUE(result.transitions.empty());
  }
  EXPECT_EQ(Replay(alarm, ten, At(14, 0), At(14, 0)).evaluations[0].reason,
            "Low sample count: 1 datapoint [5.0 (01/03/24 13:55:00)] had 10 samples, fewer than "
            "the 1000 needed for p99; the state is kept.");
  // Limits: p99 needs 1000, p99.9 10000 (not 10001), p50 20, p30 34 (10/0.3), p10 100.
  const std::pair<double, std::uint64_t> limits[] = {{99, 1000}, {99.9, 10000}, {50, 20},
                                                     {30, 34},   {10, 100},     {75, 40}};
  for (const auto& [p, needed] : limits) {
    alarm.percentile = p;
    const std::vector<MinuteSample> enough = {Sample(At(13, 57), {{5, needed}})};
    const std::vector<MinuteSample> short_by_one = {Sample(At(13, 57), {{5, needed - 1}})};
    EXPECT_EQ(Replay(alarm, enough, At(14, 0), At(14, 0), State::kOk).evaluations[0].state,
              State::kAlarm)
        << "p" << p;
    EXPECT_EQ(Replay(alarm, short_by_one, At(14, 0), At(14, 0), State::kOk).evaluations[0].state,
              State::kOk)
        << "p" << p;
  }
}

TEST(AlarmStatisticTest, LowSampleCountOnlyCountsDatapointsTheDecisionUses) {
  // N = 1: the newest real datapoint (20 samples, enough for p50) decides; an older window in
  // the range with 3 samples does not hold the evaluation back.
  AlarmSpec alarm = CisAlarm();
  alarm.statistic = Statistic::kPercentile;
  alarm.percentile = 50;
  alarm.ignore_low_sample_percentile = true;
  const std::vector<MinuteSample> samples = {Sample(At(13, 47), {{5, 3}}),
                                             Sample(At(13, 57), {{5, 20}})};
  EXPECT_EQ(Replay(alarm, samples, At(14, 0), At(14, 0), State::kOk).evaluations[0].state,
            State::kAlarm);
  // The other way round, the newest datapoint is the low one: the state is kept.
  const std::vector<MinuteSample> low_newest = {Sample(At(13, 47), {{5, 20}}),
                                                Sample(At(13, 57), {{5, 3}})};
  EXPECT_EQ(Replay(alarm, low_newest, At(14, 0), At(14, 0), State::kOk).evaluations[0].state,
            State::kOk);
}

// ---------------------------------------------------------------------------------------------
// Reasons, word for word.

std::string TransitionReason(const AlarmSpec& alarm, const std::vector<MinuteSample>& samples,
                             State initial = State::kInsufficientData, int range = 5) {
  const EvaluationResult result = Replay(alarm, samples, kTableTime, kTableTime, initial, range);
  return result.transitions.empty() ? "(no transition)" : result.transitions[0].reason;
}

TEST(AlarmReasonTest, SingleDatapoint) {
  AlarmSpec alarm = TableAlarm(1, MissingData::kMissing);
  alarm.evaluation_periods = 1;
  EXPECT_EQ(TransitionReason(alarm, FromPoints("0", kTableTime)),
            "Threshold Crossed: 1 datapoint [0.0 (01/03/24 13:59:00)] was not greater than or "
            "equal to the threshold (1.0).");
  alarm.comparison = Comparison::kLessThanThreshold;
  alarm.threshold = 21;
  EXPECT_EQ(TransitionReason(alarm, FromPoints("X", kTableTime, 21.5)),
            "Threshold Crossed: 1 datapoint [21.5 (01/03/24 13:59:00)] was not less than the "
            "threshold (21.0).");
  alarm.comparison = Comparison::kGreaterThanThreshold;
  EXPECT_EQ(TransitionReason(alarm, FromPoints("X", kTableTime, 21.5)),
            "Threshold Crossed: 1 datapoint [21.5 (01/03/24 13:59:00)] was greater than the "
            "threshold (21.0).");
  alarm.comparison = Comparison::kLessThanOrEqualToThreshold;
  EXPECT_EQ(TransitionReason(alarm, FromPoints("X", kTableTime, 21)),
            "Threshold Crossed: 1 datapoint [21.0 (01/03/24 13:59:00)] was less than or equal "
            "to the threshold (21.0).");
}

TEST(AlarmReasonTest, MOfN) {
  AlarmSpec alarm = TableAlarm(2, MissingData::kMissing);
  std::vector<MinuteSample> samples = FromPoints("0 - X - X", kTableTime);
  samples[1].sum = samples[1].minimum = samples[1].maximum = 3;  // 13:57
  samples[2].sum = samples[2].minimum = samples[2].maximum = 5;  // 13:59
  EXPECT_EQ(TransitionReason(alarm, samples),
            "Threshold Crossed: 2 out of the last 3 datapoints [5.0 (01/03/24 13:59:00), 3.0 "
            "(01/03/24 13:57:00)] were greater than or equal to the threshold (1.0) (minimum 2 "
            "datapoints for OK -> ALARM transition).");
  alarm.datapoints_to_alarm = 3;
  EXPECT_EQ(TransitionReason(alarm, samples),
            "Threshold Crossed: 1 out of the last 3 datapoints [0.0 (01/03/24 13:55:00)] was not "
            "greater than or equal to the threshold (1.0) (minimum 1 datapoint for ALARM -> OK "
            "transition).");
  // OK with no non-breaching datapoint: too few breaches, listed as such.
  EXPECT_EQ(TransitionReason(alarm, FromPoints("- - - X X", kTableTime)),
            "Threshold Crossed: 2 out of the last 3 datapoints [2.0 (01/03/24 13:59:00), 2.0 "
            "(01/03/24 13:58:00)] were greater than or equal to the threshold (1.0) (minimum 3 "
            "datapoints for OK -> ALARM transition).");
  alarm.datapoints_to_alarm = 1;
  EXPECT_EQ(TransitionReason(alarm, FromPoints("- 0 0 X 0", kTableTime)),
            "Threshold Crossed: 1 out of the last 3 datapoints [2.0 (01/03/24 13:58:00)] was "
            "greater than or equal to the threshold (1.0) (minimum 1 datapoint for OK -> ALARM "
            "transition).");
}

TEST(AlarmReasonTest, Fillers) {
  EXPECT_EQ(
      TransitionReason(TableAlarm(3, MissingData::kBreaching), FromPoints("- - X - -", kTableTime)),
      "Threshold Crossed: 1 out of the last 3 datapoints [2.0 (01/03/24 13:57:00)] was "
      "greater than or equal to the threshold (1.0) and 2 missing datapoints were treated "
      "as [Breaching] (minimum 3 datapoints for OK -> ALARM transition).");
  EXPECT_EQ(TransitionReason(TableAlarm(3, MissingData::kNotBreaching),
                             FromPoints("- - X - -", kTableTime)),
            "Threshold Crossed: 1 out of the last 3 datapoints [2.0 (01/03/24 13:57:00)] was "
            "greater than or equal to the threshold (1.0) and 2 missing datapoints were treated "
            "as [NonBreaching] (minimum 3 datapoints for OK -> ALARM transition).");
  EXPECT_EQ(TransitionReason(TableAlarm(1, MissingData::kNotBreaching),
                             FromPoints("- 0 - X -", kTableTime)),
            "Threshold Crossed: 1 out of the last 3 datapoints [2.0 (01/03/24 13:58:00)] was "
            "greater than or equal to the threshold (1.0) and 1 missing datapoint was treated "
            "as [NonBreaching] (minimum 1 datapoint for OK -> ALARM transition).");
  EXPECT_EQ(
      TransitionReason(TableAlarm(2, MissingData::kBreaching), FromPoints("- - - - 0", kTableTime)),
      "Threshold Crossed: 2 missing datapoints were treated as [Breaching] (minimum 2 "
      "datapoints for OK -> ALARM transition).");
  EXPECT_EQ(
      TransitionReason(TableAlarm(3, MissingData::kBreaching), FromPoints("- - 0 - -", kTableTime)),
      "Threshold Crossed: 1 out of the last 3 datapoints [0.0 (01/03/24 13:57:00)] was not "
      "greater than or equal to the threshold (1.0) and 2 missing datapoints were treated "
      "as [Breaching] (minimum 1 datapoint for ALARM -> OK transition).");
}

TEST(AlarmReasonTest, NoData) {
  EXPECT_EQ(TransitionReason(TableAlarm(3, MissingData::kMissing), {}, State::kOk),
            "Insufficient Data: 3 datapoints were unknown.");
  AlarmSpec alarm = TableAlarm(2, MissingData::kBreaching);
  alarm.evaluation_periods = 2;
  EXPECT_EQ(TransitionReason(alarm, {}),
            "Threshold Crossed: no datapoints were received for 2 periods and 2 missing "
            "datapoints were treated as [Breaching].");
  alarm.evaluation_periods = 1;
  alarm.datapoints_to_alarm = 1;
  alarm.treat_missing_data = MissingData::kNotBreaching;
  EXPECT_EQ(TransitionReason(alarm, {}),
            "Threshold Crossed: no datapoints were received for 1 period and 1 missing "
            "datapoint was treated as [NonBreaching].");
  const EvaluationResult ignored =
      Replay(TableAlarm(3, MissingData::kIgnore), {}, kTableTime, kTableTime, State::kAlarm);
  EXPECT_TRUE(ignored.transitions.empty());
  EXPECT_EQ(ignored.evaluations[0].reason,
            "Missing data ignored: no datapoints were received for 3 periods; the state is "
            "kept.");
}

TEST(AlarmReasonTest, LongListsUseTheMostRecentForm) {
  AlarmSpec alarm = TableAlarm(5, MissingData::kMissing);
  alarm.evaluation_periods = 6;
  std::vector<MinuteSample> samples;
  for (int i = 0; i < 6; ++i) samples.push_back(One(At(13, 54 + i), 1 + i));
  EXPECT_EQ(TransitionReason(alarm, samples, State::kOk, 0),
            "Threshold Crossed: 6 out of the last 6 datapoints were greater than or equal to the "
            "threshold (1.0). The most recent datapoints which crossed the threshold: [6.0 "
            "(01/03/24 13:59:00), 5.0 (01/03/24 13:58:00), 4.0 (01/03/24 13:57:00), 3.0 "
            "(01/03/24 13:56:00), 2.0 (01/03/24 13:55:00)] (minimum 5 datapoints for OK -> ALARM "
            "transition).");
}

TEST(AlarmReasonTest, NumbersPrintLikeJava) {
  const std::pair<double, const char*> cases[] = {{3, "3.0"},
                                                  {21.5, "21.5"},
                                                  {0.25, "0.25"},
                                                  {100, "100.0"},
                                                  {123.456, "123.456"},
                                                  {-2.5, "-2.5"},
                                                  {0.001, "0.001"},
                                                  {1e-4, "1.0E-4"},
                                                  {1e7, "1.0E7"},
                                                  {9999999, "9999999.0"},
                                                  {12345678, "1.2345678E7"},
                                                  {0.1 + 0.2, "0.30000000000000004"},
                                                  {1.5e-10, "1.5E-10"},
                                                  {0, "0.0"}};
  for (const auto& [value, printed] : cases) {
    AlarmSpec alarm = CisAlarm();
    alarm.threshold = value;
    alarm.comparison = Comparison::kLessThanOrEqualToThreshold;
    const std::vector<MinuteSample> samples = {One(At(13, 57), value)};
    const EvaluationResult result = Replay(alarm, samples, At(14, 0), At(14, 0));
    ASSERT_EQ(result.transitions.size(), 1u);
    const std::string expected = std::string("Threshold Crossed: 1 datapoint [") + printed +
                                 " (01/03/24 13:55:00)] was less than or equal to the threshold (" +
                                 printed + ").";
    EXPECT_EQ(result.transitions[0].reason, expected);
  }
}

TEST(AlarmReasonTest, ReasonTime) {
  EXPECT_EQ(ReasonTime(At(14, 5)), "01/03/24 14:05:00");
  EXPECT_EQ(ReasonTime(DaysFromCivil(2019, 12, 31) * 86400 + 23 * 3600 + 59 * 60 + 59),
            "31/12/19 23:59:59");
}

TEST(AlarmNamesTest, AwsSpellings) {
  EXPECT_EQ(StateName(State::kInsufficientData), "INSUFFICIENT_DATA");
  EXPECT_EQ(StateName(State::kOk), "OK");
  EXPECT_EQ(StateName(State::kAlarm), "ALARM");
  EXPECT_EQ(StatisticName(Statistic::kSampleCount, 0), "SampleCount");
  EXPECT_EQ(StatisticName(Statistic::kSum, 0), "Sum");
  EXPECT_EQ(StatisticName(Statistic::kAverage, 0), "Average");
  EXPECT_EQ(StatisticName(Statistic::kMinimum, 0), "Minimum");
  EXPECT_EQ(StatisticName(Statistic::kMaximum, 0), "Maximum");
  EXPECT_EQ(StatisticName(Statistic::kPercentile, 99), "p99");
  EXPECT_EQ(StatisticName(Statistic::kPercentile, 99.9), "p99.9");
  EXPECT_EQ(StatisticName(Statistic::kPercentile, 50), "p50");
  EXPECT_EQ(ComparisonName(Comparison::kGreaterThanOrEqualToThreshold),
            "GreaterThanOrEqualToThreshold");
  EXPECT_EQ(ComparisonName(Comparison::kGreaterThanThreshold), "GreaterThanThreshold");
  EXPECT_EQ(ComparisonName(Comparison::kLessThanThreshold), "LessThanThreshold");
  EXPECT_EQ(ComparisonName(Comparison::kLessThanOrEqualToThreshold), "LessThanOrEqualToThreshold");
  EXPECT_EQ(MissingDataName(MissingData::kMissing), "missing");
  EXPECT_EQ(MissingDataName(MissingData::kIgnore), "ignore");
  EXPECT_EQ(MissingDataName(MissingData::kBreaching), "breaching");
  EXPECT_EQ(MissingDataName(MissingData::kNotBreaching), "notBreaching");
}

// ---------------------------------------------------------------------------------------------
// Multi-day alarms (spec B.3.5): N × P > 1 day, evaluated at whole hours only.

TEST(AlarmMultiDayTest, EvaluatedHourly) {
  // A job's failure flag, published every minute from 08:00 on day 1 to 14:00 on day 2: 1
  // while the job is failing (10:02 .. 11:42), else 0. Maximum over 1 h, 25 periods, 1 of 25.
  std::vector<MinuteSample> samples;
  for (std::int64_t t = At(8, 0); t < At(14, 0) + 86400; t += 60) {
    samples.push_back(One(t, t >= At(10, 2) && t < At(11, 43) ? 1 : 0));
  }
  AlarmSpec alarm = CisAlarm();
  alarm.statistic = Statistic::kMaximum;
  alarm.period = 3600;
  alarm.evaluation_periods = 25;
  alarm.datapoints_to_alarm = 1;
  const EvaluationResult result = Replay(alarm, samples, At(9, 0) - 1, At(14, 0) + 86400);
  for (const Evaluation& e : result.evaluations) EXPECT_EQ(e.time % 3600, 0);
  ASSERT_EQ(result.evaluations.size(), 30u);  // 09:00 .. 14:00 the next day
  ASSERT_EQ(result.transitions.size(), 3u);
  // Data up to 10:00 only at 10:00: still OK; the failure shows at 11:00 ...
  EXPECT_EQ(result.transitions[0].time, At(9, 0));
  EXPECT_EQ(result.transitions[0].new_state, State::kOk);
  EXPECT_EQ(result.transitions[1].time, At(11, 0));
  EXPECT_EQ(result.transitions[1].new_state, State::kAlarm);
  EXPECT_EQ(result.transitions[1].reason,
            "Threshold Crossed: 1 out of the last 25 datapoints [1.0 (01/03/24 10:00:00)] was "
            "greater than or equal to the threshold (1.0) (minimum 1 datapoint for OK -> ALARM "
            "transition).");
  // ... and the alarm holds while a failing hour is among the 25 newest: OK at 13:00 next day.
  EXPECT_EQ(result.transitions[2].time, At(13, 0) + 86400);
  EXPECT_EQ(result.transitions[2].new_state, State::kOk);
}

// ---------------------------------------------------------------------------------------------
// High-resolution alarms (issue 26): Period 10, 20 or 30 s (PutMetricAlarm: "Valid values are
// 10, 20, 30, and any multiple of 60"), evaluated every 10 s ("If the alarm period is 10
// seconds or 30 seconds, the alarm is evaluated every 10 seconds", spec B.3.4), over samples in
// 10-second slots.

// A sample stamped `seconds` after 12:00:00 with one value, in its 10-second slot.
MinuteSample Slot10(int seconds, double value) {
  return One(At(12, 0) + seconds - (seconds % 10 + 10) % 10, value);
}

TEST(AlarmHighResolutionTest, SlotsAndSteps) {
  EXPECT_TRUE(IsHighResolutionPeriod(10));
  EXPECT_TRUE(IsHighResolutionPeriod(20));
  EXPECT_TRUE(IsHighResolutionPeriod(30));
  EXPECT_FALSE(IsHighResolutionPeriod(60));
  EXPECT_FALSE(IsHighResolutionPeriod(15));
  EXPECT_EQ(SampleSlotSeconds(10), 10);
  EXPECT_EQ(SampleSlotSeconds(30), 10);
  EXPECT_EQ(SampleSlotSeconds(60), 60);
  EXPECT_EQ(SampleSlotSeconds(300), 60);
}

// AWS-validated (localstack tests/aws/services/cloudwatch/test_cloudwatch.py
// `test_put_metric_alarm` and its snapshot, @8b9a79f0): two samples, 21 and 22, in one 10-s
// period; Average > 21 goes to ALARM with this reason (sampleCount 2, value 21.5).
TEST(AlarmHighResolutionTest, AwsValidatedAverageOfTwoSamplesInOnePeriod) {
  AlarmSpec alarm = CisAlarm();
  alarm.period = 10;
  alarm.statistic = Statistic::kAverage;
  alarm.threshold = 21;
  alarm.comparison = Comparison::kGreaterThanThreshold;
  alarm.treat_missing_data = MissingData::kIgnore;
  std::vector<MinuteSample> samples = {Sample(At(12, 0), {{21, 1}, {22, 1}})};
  const EvaluationResult result = Replay(alarm, samples, At(12, 0), At(12, 0) + 10);
  ASSERT_EQ(result.transitions.size(), 1u);
  EXPECT_EQ(result.transitions[0].time, At(12, 0) + 10);
  EXPECT_EQ(result.transitions[0].new_state, State::kAlarm);
  EXPECT_EQ(result.transitions[0].reason,
            "Threshold Crossed: 1 datapoint [21.5 (01/03/24 12:00:00)] was greater than the "
            "threshold (21.0).");
}

struct HighResolutionCase {
  const char* what;
  std::int64_t period;
  int n, m, range;                              // range 0: N + 2
  std::vector<std::pair<int, double>> samples;  // seconds after 12:00:00, value
  // Evaluations from 12:00:00 to 12:01:10, every 10 s, one letter each: A ALARM, O OK,
  // I INSUFFICIENT_DATA.
  const char* states;
};

const HighResolutionCase kHighResolutionCases[] = {
    // One sample at 12:00:05, R = N: each window [T - P, T) holds it for P / 10 evaluations.
    {"P=10", 10, 1, 1, 1, {{5, 1}}, "IAIIIIII"},
    {"P=20", 20, 1, 1, 1, {{5, 1}}, "IAAIIIII"},
    {"P=30", 30, 1, 1, 1, {{5, 1}}, "IAAAIIII"},
    // The default range R = N + 2 looks back two more windows (B.4.5), at 10 s as at minutes.
    {"P=10, R=3", 10, 1, 1, 0, {{5, 1}}, "IAAAIIII"},
    // The second of the sample decides its window: 12:00:09 and 12:00:10 fall apart.
    {"slot edges", 10, 1, 1, 1, {{9, 1}, {10, 0}}, "IAOIIIII"},
    // 3 of 3 over 10-s windows, R = 3: breaching at :05, :15, :25, not at :35; before the
    // third, fewer than 3 real points under `missing` are OK (the premature rule needs the
    // oldest breach M windows old).
    {"3 of 3", 10, 3, 3, 3, {{5, 1}, {15, 1}, {25, 1}, {35, 0}}, "IOOAOOOI"},
    // A standard-resolution metric (one sample a minute, at :00) under a 10-s alarm: the
    // alarm "does not receive data for the attempts that do not correspond to a one-minute
    // data resolution, and ... might often lapse into INSUFFICIENT_DATA" (PutMetricAlarm).
    {"one sample a minute", 10, 1, 1, 1, {{0, 1}, {60, 1}}, "IAIIIIIA"},
};

TEST(AlarmHighResolutionTest, EvaluatedEveryTenSecondsOverTenSecondSlots) {
  for (const HighResolutionCase& c : kHighResolutionCases) {
    AlarmSpec alarm = CisAlarm();
    alarm.period = c.period;
    alarm.evaluation_periods = c.n;
    alarm.datapoints_to_alarm = c.m;
    std::vector<MinuteSample> samples;
    for (const auto& [seconds, value] : c.samples) samples.push_back(Slot10(seconds, value));
    SortByMinute(samples);
    const EvaluationResult result =
        Replay(alarm, samples, At(12, 0), At(12, 1) + 10, State::kInsufficientData, c.range);
    std::string states;
    for (const Evaluation& e : result.evaluations) {
      EXPECT_EQ(e.time % 10, 0) << c.what;
      states += e.state == State::kAlarm ? 'A' : e.state == State::kOk ? 'O' : 'I';
    }
    EXPECT_EQ(states, c.states) << c.what;
  }
}

// Samples with seconds under a Period >= 60 alarm: per minute, as before.
TEST(AlarmHighResolutionTest, MinuteAlarmsKeepTheirMinutes) {
  AlarmSpec alarm = CisAlarm();
  alarm.period = 60;
  const std::vector<MinuteSample> samples = {One(At(12, 0), 1)};
  const EvaluationResult result = Replay(alarm, samples, At(12, 0), At(12, 3));
  ASSERT_EQ(result.evaluations.size(), 4u);
  for (const Evaluation& e : result.evaluations) EXPECT_EQ(e.time % 60, 0);
}

// ---------------------------------------------------------------------------------------------
// Differential test: a slow reference that recomputes every window by scanning the samples and
// reads the rules of alarm.h one by one.

struct RefPoint {
  bool real = false;
  double value = 0;
  std::uint64_t count = 0;
  bool breaching = false;
};

std::vector<double> ExpandValues(const MinuteSample& s) {
  std::vector<double> out;
  std::uint64_t listed = 0;
  for (const auto& [value, count] : s.values) {
    for (std::uint64_t i = 0; i < count; ++i) out.push_back(value);
    listed += count;
  }
  if (listed > 0 || s.count == 0) return out;
  if (s.minimum == s.maximum || s.count == 1) {
    out.assign(s.count, s.minimum);
  } else {
    out.push_back(s.minimum);
    out.push_back(s.maximum);
    const double rest = (s.sum - s.minimum - s.maximum) / static_cast<double>(s.count - 2);
    for (std::uint64_t i = 2; i < s.count; ++i) {
      out.push_back(std::clamp(rest, s.minimum, s.maximum));
    }
  }
  return out;
}

RefPoint RefDatapoint(const AlarmSpec& alarm, const std::vector<MinuteSample>& samples,
                      std::int64_t start, std::int64_t end) {
  RefPoint point;
  double sum = 0, minimum = 0, maximum = 0;
  std::vector<double> values;
  auto it = std::lower_bound(samples.begin(), samples.end(), start,
                             [](const MinuteSample& s, std::int64_t t) { return s.minute < t; });
  for (; it != samples.end() && it->minute < end; ++it) {
    const MinuteSample& s = *it;
    if (s.count == 0) continue;
    if (point.count == 0) {
      minimum = s.minimum;
      maximum = s.maximum;
    }
    minimum = std::min(minimum, s.minimum);
    maximum = std::max(maximum, s.maximum);
    point.count += s.count;
    sum += s.sum;
    for (double v : ExpandValues(s)) values.push_back(v);
  }
  if (point.count == 0) return point;
  point.real = true;
  switch (alarm.statistic) {
    case Statistic::kSampleCount:
      point.value = static_cast<double>(point.count);
      break;
    case Statistic::kSum:
      point.value = sum;
      break;
    case Statistic::kAverage:
      point.value = sum / static_cast<double>(point.count);
      break;
    case Statistic::kMinimum:
      point.value = minimum;
      break;
    case Statistic::kMaximum:
      point.value = maximum;
      break;
    case Statistic::kPercentile: {
      // The smallest v such that at least p% of the samples are <= v.
      std::sort(values.begin(), values.end());
      const double n = static_cast<double>(values.size());
      for (double v : values) {
        const auto at_most = std::upper_bound(values.begin(), values.end(), v) - values.begin();
        if (static_cast<double>(at_most) * 100 >= alarm.percentile * n) {
          point.value = v;
          break;
        }
      }
      break;
    }
  }
  point.breaching = Compare(point.value, alarm.comparison, alarm.threshold);
  return point;
}

std::uint64_t RefLowLimit(double p) {
  // The least count c with c >= 10 / (1 - p) (or 10 / p), with the 1e-9 tolerance.
  const double limit = p >= 50 ? 1000 / (100 - p) : 1000 / p;
  std::uint64_t c = 0;
  while (static_cast<double>(c) < limit * (1 - 1e-9)) ++c;
  return c;
}

struct RefEvaluation {
  std::int64_t time;
  State state;
};

std::vector<RefEvaluation> RefEvaluate(const AlarmSpec& alarm,
                                       const std::vector<MinuteSample>& samples,
                                       const EvaluateOptions& options) {
  const int n = std::max(1, alarm.evaluation_periods);
  const int m = std::clamp(alarm.datapoints_to_alarm, 1, n);
  const int r = std::max(options.evaluation_range > 0 ? options.evaluation_range : n + 2, n);
  const std::int64_t p = alarm.period;
  const std::int64_t step = n * p > 86400 ? 3600 : p < 60 ? 10 : 60;
  const MissingData treatment = alarm.treat_missing_data;
  const std::uint64_t low_limit =
      alarm.statistic == Statistic::kPercentile && alarm.ignore_low_sample_percentile
          ? RefLowLimit(alarm.percentile)
          : 0;
  std::vector<RefEvaluation> out;
  State state = options.initial_state;
  std::int64_t first = options.from;
  while (first % step != 0) ++first;
  for (std::int64_t t = first; t <= options.to; t += step) {
    std::vector<RefPoint> windows;  // k = 0 newest
    for (int k = 0; k < r; ++k) {
      windows.push_back(RefDatapoint(alarm, samples, t - (k + 1) * p, t - k * p));
    }
    std::vector<int> real;  // k of the real windows, newest first
    for (int k = 0; k < r; ++k) {
      if (windows[static_cast<std::size_t>(k)].real) real.push_back(k);
    }
    const auto at = [&](int k) -> const RefPoint& { return windows[static_cast<std::size_t>(k)]; };
    State next = state;
    if (real.empty()) {
      if (treatment == MissingData::kMissing) next = State::kInsufficientData;
      if (treatment == MissingData::kBreaching) next = State::kAlarm;
      if (treatment == MissingData::kNotBreaching) next = State::kOk;
    } else {
      const std::size_t used = std::min(real.size(), static_cast<std::size_t>(n));
      bool low = false;
      for (std::size_t i = 0; i < used; ++i) {
        if (at(real[i]).count < low_limit) low = true;
      }
      int breaching = 0;
      for (std::size_t i = 0; i < used; ++i) breaching += at(real[i]).breaching ? 1 : 0;
      if (low) {
        // keep
      } else if (static_cast<int>(real.size()) >= n) {
        next = breaching >= m ? State::kAlarm : State::kOk;
      } else {
        const int fillers = n - static_cast<int>(real.size());
        if (treatment == MissingData::kBreaching) breaching += fillers;
        if (breaching >= m) {
          next = State::kAlarm;
        } else {
          next = State::kOk;
          if (treatment == MissingData::kMissing || treatment == MissingData::kIgnore) {
            // Premature rule, read literally.
            int oldest = -1;
            for (int k = 0; k < n; ++k) {
              if (at(k).real && at(k).breaching) oldest = k;
            }
            bool newer_ok = oldest >= 0;
            for (int k = 0; k < oldest; ++k) {
              if (at(k).real && !at(k).breaching) newer_ok = false;
            }
            bool non_breaching_in_range = false;
            for (int k : real) non_breaching_in_range |= !at(k).breaching;
            if (oldest >= 0 && oldest + 1 >= m && newer_ok && !non_breaching_in_range) {
              next = treatment == MissingData::kMissing ? State::kAlarm : state;
            }
          }
        }
      }
    }
    state = next;
    out.push_back({t, state});
  }
  return out;
}

struct RandomCase {
  AlarmSpec alarm;
  std::vector<MinuteSample> samples;
  EvaluateOptions options;
};

std::string Describe(const RandomCase& c) {
  std::string s =
      StatisticName(c.alarm.statistic, c.alarm.percentile) +
      " P=" + std::to_string(c.alarm.period) + " N=" + std::to_string(c.alarm.evaluation_periods) +
      " M=" + std::to_string(c.alarm.datapoints_to_alarm) + " " +
      std::string(ComparisonName(c.alarm.comparison)) + " " + std::to_string(c.alarm.threshold) +
      " " + std::string(MissingDataName(c.alarm.treat_missing_data)) +
      (c.alarm.ignore_low_sample_percentile ? " low-ignore" : "") +
      " R=" + std::to_string(c.options.evaluation_range) +
      " initial=" + std::string(StateName(c.options.initial_state)) +
      " samples=" + std::to_string(c.samples.size());
  return s;
}

enum class Shape { kMinutes, kMultiDay, kHighResolution };

RandomCase MakeRandomCase(std::mt19937_64& rng, Shape shape) {
  const bool multi_day = shape == Shape::kMultiDay;
  const bool high_resolution = shape == Shape::kHighResolution;
  auto uniform = [&](int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); };
  RandomCase c;
  AlarmSpec& a = c.alarm;
  if (multi_day) {
    const int periods[] = {3600, 7200, 21600, 43200, 86400};
    a.period = periods[uniform(0, 4)];
    const int min_n = static_cast<int>(86400 / a.period) + 1;
    a.evaluation_periods = std::min(uniform(min_n, min_n + 4), static_cast<int>(604800 / a.period));
  } else if (high_resolution) {
    a.period = 10 * uniform(1, 3);
    a.evaluation_periods = uniform(1, 5);
  } else {
    a.period = 60 * uniform(1, 15);
    a.evaluation_periods = uniform(1, 5);
  }
  a.datapoints_to_alarm = uniform(1, a.evaluation_periods);
  a.statistic = static_cast<Statistic>(uniform(0, 5));
  const double percentiles[] = {10, 25, 50, 75, 90, 99, 99.9};
  a.percentile = percentiles[uniform(0, 6)];
  a.ignore_low_sample_percentile = uniform(0, 1) == 1;
  a.comparison = static_cast<Comparison>(uniform(0, 3));
  a.treat_missing_data = static_cast<MissingData>(uniform(0, 3));
  const double thresholds[] = {0, 0.5, 1, 2, 3.5, 5, 8};
  a.threshold = thresholds[uniform(0, 6)];

  // Samples: bursts of activity over a few days, some minutes without value lists, a few
  // empty minutes.
  // (For a high-resolution alarm the "minutes" are 10-second slots, over a few hours.)
  const std::int64_t origin = kDay;
  const std::int64_t slot = high_resolution ? 10 : 60;
  const int days = multi_day ? 10 : uniform(1, 3);
  const std::int64_t minutes = high_resolution ? uniform(2, 6) * 360 : days * 1440;
  const double densities[] = {0.002, 0.02, 0.2, 0.7};
  const double background = densities[uniform(0, 3)];
  const int bursts = uniform(0, multi_day ? 10 : 30);
  std::vector<char> used(static_cast<std::size_t>(minutes), 0);
  std::bernoulli_distribution background_hit(multi_day ? background / 4 : background);
  for (std::int64_t i = 0; i < minutes; ++i) {
    if (background_hit(rng)) used[static_cast<std::size_t>(i)] = 1;
  }
  for (int b = 0; b < bursts; ++b) {
    const int start = uniform(0, static_cast<int>(minutes) - 1);
    const int length = uniform(1, multi_day ? 300 : 40);
    for (int i = start; i < std::min<int>(start + length, static_cast<int>(minutes)); ++i) {
      if (uniform(0, 2) != 0) used[static_cast<std::size_t>(i)] = 1;
    }
  }
  const double values[] = {0, 0.5, 1, 2, 3.5, 5, 8};
  for (std::int64_t i = 0; i < minutes; ++i) {
    if (!used[static_cast<std::size_t>(i)]) continue;
    std::vector<std::pair<double, std::uint64_t>> list;
    const int distinct = uniform(1, 3);
    for (int d = 0; d < distinct; ++d) {
      const double v = values[uniform(0, 6)];
      bool merged = false;
      for (auto& entry : list) {
        if (entry.first == v) {
          entry.second += static_cast<std::uint64_t>(uniform(1, 3));
          merged = true;
        }
      }
      if (!merged) list.emplace_back(v, static_cast<std::uint64_t>(uniform(1, 3)));
    }
    MinuteSample s = Sample(origin + i * slot, list);
    const int kind = uniform(0, 19);
    if (kind == 0) {
      s.values.clear();  // aggregates only
    } else if (kind == 1) {
      s = MinuteSample{};  // an empty minute
      s.minute = origin + i * slot;
    }
    c.samples.push_back(std::move(s));
  }
  SortByMinute(c.samples);

  EvaluateOptions& o = c.options;
  o.evaluation_range = uniform(0, 2) == 0 ? a.evaluation_periods + uniform(-1, 4) : 0;
  o.initial_state = static_cast<State>(uniform(0, 2));
  o.record_every_evaluation = true;
  if (multi_day) {
    o.from = origin + uniform(0, 4 * 1440) * 60 + uniform(0, 59);
    o.to = o.from + uniform(1, 5) * 86400;
  } else {
    o.from = origin + uniform(-60, static_cast<int>(minutes) - 60) * slot + uniform(0, 59);
    o.to = o.from + uniform(60, 720) * slot + uniform(0, 59);
  }
  return c;
}

void CheckAgainstReference(const RandomCase& c, std::uint64_t seed) {
  const EvaluationResult fast = Evaluate(c.alarm, c.samples, c.options);
  const std::vector<RefEvaluation> slow = RefEvaluate(c.alarm, c.samples, c.options);
  ASSERT_EQ(fast.evaluations.size(), slow.size()) << "seed " << seed << ": " << Describe(c);
  State state = c.options.initial_state;
  std::size_t transition = 0;
  for (std::size_t i = 0; i < slow.size(); ++i) {
    const Evaluation& e = fast.evaluations[i];
    ASSERT_EQ(e.time, slow[i].time) << "seed " << seed;
    ASSERT_EQ(e.state, slow[i].state)
        << "seed " << seed << ": " << Describe(c) << " at " << FormatIsoTime(e.time)
        << " (evaluation " << i << "), fast reason: " << e.reason;
    ASSERT_FALSE(e.reason.empty());
    if (slow[i].state != state) {
      ASSERT_LT(transition, fast.transitions.size()) << "seed " << seed;
      const Transition& t = fast.transitions[transition++];
      EXPECT_EQ(t.time, e.time);
      EXPECT_EQ(t.old_state, state);
      EXPECT_EQ(t.new_state, slow[i].state);
      EXPECT_EQ(t.reason, e.reason);
    }
    state = slow[i].state;
  }
  EXPECT_EQ(transition, fast.transitions.size()) << "seed " << seed;
  // Without recording (which lets the replay jump over stretches without data), the same
  // transitions.
  EvaluateOptions quiet = c.options;
  quiet.record_every_evaluation = false;
  const EvaluationResult transitions_only = Evaluate(c.alarm, c.samples, quiet);
  EXPECT_TRUE(transitions_only.evaluations.empty());
  ASSERT_EQ(transitions_only.transitions.size(), fast.transitions.size()) << "seed " << seed;
  for (std::size_t i = 0; i < fast.transitions.size(); ++i) {
    const Transition& a = transitions_only.transitions[i];
    const Transition& b = fast.transitions[i];
    ASSERT_EQ(a.time, b.time) << "seed " << seed << " transition " << i;
    EXPECT_EQ(a.old_state, b.old_state);
    EXPECT_EQ(a.new_state, b.new_state);
    EXPECT_EQ(a.reason, b.reason);
  }
}

TEST(AlarmDifferentialTest, RandomSeriesAgreeWithTheReference) {
  for (std::uint64_t seed = 1; seed <= 3000; ++seed) {
    std::mt19937_64 rng(seed);
    const RandomCase c = MakeRandomCase(rng, Shape::kMinutes);
    CheckAgainstReference(c, seed);
    if (HasFatalFailure()) return;
  }
}

TEST(AlarmDifferentialTest, RandomHighResolutionAlarmsAgreeWithTheReference) {
  for (std::uint64_t seed = 1; seed <= 500; ++seed) {
    std::mt19937_64 rng(2000000 + seed);
    const RandomCase c = MakeRandomCase(rng, Shape::kHighResolution);
    CheckAgainstReference(c, 2000000 + seed);
    if (HasFatalFailure()) return;
  }
}

TEST(AlarmDifferentialTest, RandomMultiDayAlarmsAgreeWithTheReference) {
  for (std::uint64_t seed = 1; seed <= 150; ++seed) {
    std::mt19937_64 rng(1000000 + seed);
    const RandomCase c = MakeRandomCase(rng, Shape::kMultiDay);
    CheckAgainstReference(c, 1000000 + seed);
    if (HasFatalFailure()) return;
  }
}

}  // namespace
}  // namespace trailreplay::alarm

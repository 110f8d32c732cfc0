// tune over a real scan of sample-data/: the candidate table, the incident check and the
// recommendation rule of replay/tune.h.
#include "replay/tune.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "common/time.h"
#include "replay/sample_db.h"
#include "scan/scanner.h"
#include "support/files.h"

namespace trailreplay::replay {
namespace {

std::int64_t T(const char* text) { return *ParseIsoTime(text); }

TEST(TuneParseTest, ThresholdRangesStepsAndLists) {
  auto range = ParseThresholds("1..15");
  ASSERT_TRUE(range.has_value());
  ASSERT_EQ(range->size(), 15u);
  EXPECT_EQ(range->front(), 1);
  EXPECT_EQ(range->back(), 15);
  auto stepped = ParseThresholds("0.1..0.5:0.1");
  ASSERT_TRUE(stepped.has_value());
  EXPECT_EQ(*stepped, (std::vector<double>{0.1, 0.2, 0.3, 0.4, 0.5}));
  auto list = ParseThresholds("1, 2,5");
  ASSERT_TRUE(list.has_value());
  EXPECT_EQ(*list, (std::vector<double>{1, 2, 5}));
  for (const char* bad : {"5..1", "a..b", "1..5:0", "1,x", "1..100000"}) {
    EXPECT_FALSE(ParseThresholds(bad).has_value()) << bad;
  }
}

TEST(TuneParseTest, DatapointsAndMissingData) {
  auto pairs = ParseDatapoints("1/1,2/3,4", 5);
  ASSERT_TRUE(pairs.has_value());
  EXPECT_EQ(*pairs, (std::vector<std::pair<int, int>>{{1, 1}, {2, 3}, {4, 5}}));
  EXPECT_FALSE(ParseDatapoints("2/", 1).has_value());
  auto modes = ParseMissingDataList("missing,notBreaching");
  ASSERT_TRUE(modes.has_value());
  EXPECT_EQ(*modes, (std::vector<alarm::MissingData>{alarm::MissingData::kMissing,
                                                     alarm::MissingData::kNotBreaching}));
  EXPECT_FALSE(ParseMissingDataList("missing,never").has_value());
}

TEST(TuneParseTest, IncidentWindows) {
  auto incident = ParseIncident("2024-03-02T03:00Z..2024-03-02T03:30Z");
  ASSERT_TRUE(incident.has_value());
  EXPECT_EQ(incident->from, T("2024-03-02T03:00:00Z"));
  EXPECT_EQ(incident->to, T("2024-03-02T03:30:00Z"));
  EXPECT_FALSE(ParseIncident("2024-03-02T03:00Z").has_value());
  EXPECT_FALSE(ParseIncident("2024-03-02T04:00Z..2024-03-02T03:00Z").has_value());
}

TEST(TuneIncidentTest, DelayFromTheWindowStart) {
  const Incident incident{1000, 2000};
  auto episode = [](std::int64_t start, std::optional<std::int64_t> end) {
    Episode e;
    e.start = start;
    e.end = end;
    return e;
  };
  // Ended before the window: missed. Starting inside: delay from the window start.
  auto o = CheckIncident({episode(100, 1000), episode(1300, 1400)}, incident);
  EXPECT_TRUE(o.alarmed);
  EXPECT_EQ(o.delay, 300);
  // Already in ALARM when the window opens: no delay.
  o = CheckIncident({episode(900, 1100)}, incident);
  EXPECT_TRUE(o.alarmed);
  EXPECT_EQ(o.delay, 0);
  // Still open at the end of the replay.
  o = CheckIncident({episode(1900, std::nullopt)}, incident);
  EXPECT_TRUE(o.alarmed);
  EXPECT_EQ(o.delay, 900);
  EXPECT_FALSE(CheckIncident({episode(2000, 2100)}, incident).alarmed);
  EXPECT_FALSE(CheckIncident({}, incident).alarmed);
}

TEST(TuneRecommendTest, FewestEpisodesThenDelayThenTimeThenCloseness) {
  alarm::AlarmSpec original;
  original.threshold = 1;
  auto candidate = [](double threshold, std::size_t episodes, std::int64_t delay,
                      std::int64_t seconds, bool caught) {
    Candidate c;
    c.spec.threshold = threshold;
    c.episodes = episodes;
    c.seconds_in_alarm = seconds;
    c.incidents = {IncidentOutcome{caught, 0, delay}};
    c.catches_all = caught;
    return c;
  };
  std::vector<Candidate> candidates = {
      candidate(1, 9, 0, 900, true),  candidate(2, 3, 60, 600, true),
      candidate(3, 3, 60, 300, true), candidate(4, 3, 120, 60, true),
      candidate(9, 1, 0, 60, false),  // fewer episodes, but misses the incident
  };
  const auto best = Recommend(candidates, original);
  ASSERT_TRUE(best.has_value());
  EXPECT_EQ(candidates[*best].spec.threshold, 3);  // same delay as 2, less time in ALARM
  EXPECT_FALSE(candidates[0].fewest);
  EXPECT_TRUE(candidates[1].fewest && candidates[2].fewest && candidates[3].fewest);
  EXPECT_FALSE(candidates[4].fewest);
  // Without incidents nothing is recommended.
  for (auto& c : candidates) {
    c.incidents.clear();
    c.catches_all = false;
  }
  EXPECT_FALSE(Recommend(candidates, original).has_value());
}

class TuneTest : public ::testing::Test {
 protected:
  void SetUp() override {
    db_ = dir_ / "sample.db";
    ASSERT_NO_FATAL_FAILURE(test::ScanSampleData(db_));
    for (const auto& a : rules::BuiltinRules().alarms) {
      if (a.name == "unauthorized_api_calls") alarm_ = a;
    }
  }

  TuneOptions Options() {
    TuneOptions options;
    options.db_path = db_;
    options.alarm = alarm_;
    return options;
  }

  test::TempDir dir_;
  std::string db_;
  alarm::AlarmSpec alarm_;
};

TEST_F(TuneTest, TheIncidentIsCaughtUpToThreshold13AndThreshold5IsRecommended) {
  TuneOptions options = Options();
  options.thresholds = *ParseThresholds("1..15");
  options.incidents = {*ParseIncident("2024-03-02T03:00Z..2024-03-02T03:30Z")};
  auto result = RunTune(options);
  ASSERT_TRUE(result.has_value()) << result.error().message;
  ASSERT_EQ(result->candidates.size(), 15u);
  for (const Candidate& c : result->candidates) {
    SCOPED_TRACE(c.spec.threshold);
    // svc-reporting's 13 calls within [03:12, 03:17) are the largest sliding window.
    EXPECT_EQ(c.catches_all, c.spec.threshold <= 13);
    EXPECT_EQ(c.original, c.spec.threshold == 1);
  }
  // Threshold 1 is the real alarm: the replay's 31 episodes.
  EXPECT_EQ(result->candidates[0].episodes, 31u);
  // First ALARM at 03:13 (13 minutes after the window opens) for low thresholds; threshold 13
  // needs the 13th call (03:16:12), so 03:17.
  EXPECT_EQ(result->candidates[0].incidents[0].delay, 13 * 60);
  EXPECT_EQ(result->candidates[12].incidents[0].delay, 17 * 60);
  EXPECT_EQ(result->candidates[12].incidents[0].first_alarm, T("2024-03-02T03:17:00Z"));
  EXPECT_FALSE(result->candidates[13].incidents[0].alarmed);
  // Fewest episodes (3: the burst and its two re-triggers) from threshold 3 on; of those,
  // 3..6 alarm at 03:13, and 5 and 6 spend 10 minutes in ALARM: the lower one wins.
  ASSERT_TRUE(result->recommended.has_value());
  const Candidate& best = result->candidates[*result->recommended];
  EXPECT_EQ(best.spec.threshold, 5);
  EXPECT_EQ(best.episodes, 3u);
  EXPECT_EQ(best.seconds_in_alarm, 10 * 60);
  EXPECT_TRUE(best.recommended);
  for (const Candidate& c : result->candidates) {
    EXPECT_EQ(c.fewest, c.spec.threshold >= 3 && c.spec.threshold <= 13) << c.spec.threshold;
  }
  // Episodes per week over the replayed 2 days and 36 minutes.
  const double weeks = static_cast<double>(result->range.to - result->range.from) / 604800.0;
  EXPECT_DOUBLE_EQ(best.per_week, 3 / weeks);
}

TEST_F(TuneTest, WithoutIncidentsNothingIsRecommendedAndTheTableIsByThreshold) {
  TuneOptions options = Options();
  options.thresholds = {5, 1, 3};
  options.datapoints = {{1, 1}, {2, 3}};
  options.missing_data = {alarm::MissingData::kMissing, alarm::MissingData::kNotBreaching};
  auto result = RunTune(options);
  ASSERT_TRUE(result.has_value()) << result.error().message;
  ASSERT_EQ(result->candidates.size(), 12u);
  EXPECT_FALSE(result->recommended.has_value());
  for (std::size_t i = 1; i < result->candidates.size(); ++i) {
    EXPECT_LE(result->candidates[i - 1].spec.threshold, result->candidates[i].spec.threshold);
    EXPECT_FALSE(result->candidates[i].recommended);
  }
}

TEST_F(TuneTest, AnInvalidCandidateIsAnError) {
  TuneOptions options = Options();
  options.datapoints = {{3, 2}};
  auto result = RunTune(options);
  ASSERT_FALSE(result.has_value());
  EXPECT_NE(result.error().message.find("datapoints to alarm"), std::string::npos);
}

TEST_F(TuneTest, AgreesWithReplayForEveryCandidate) {
  TuneOptions options = Options();
  options.thresholds = {1, 2, 5};
  options.datapoints = {{1, 1}, {2, 3}};
  auto result = RunTune(options);
  ASSERT_TRUE(result.has_value()) << result.error().message;
  for (const Candidate& c : result->candidates) {
    ReplayOptions replay;
    replay.db_path = db_;
    replay.rules = rules::BuiltinRules();
    replay.alarm_names = {alarm_.name};
    replay.overrides.threshold = c.spec.threshold;
    replay.overrides.datapoints_to_alarm = c.spec.datapoints_to_alarm;
    replay.overrides.evaluation_periods = c.spec.evaluation_periods;
    auto replayed = RunReplay(replay);
    ASSERT_TRUE(replayed.has_value()) << replayed.error().message;
    EXPECT_EQ(replayed->alarms[0].episodes.size(), c.episodes) << c.spec.threshold;
    EXPECT_EQ(replayed->alarms[0].seconds_in_alarm, c.seconds_in_alarm) << c.spec.threshold;
  }
}

}  // namespace
}  // namespace trailreplay::replay

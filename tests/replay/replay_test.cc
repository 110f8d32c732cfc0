// Replays over a real scan of sample-data/: the built-in CIS alarms must go to ALARM at the
// minutes CloudWatch's rules give, for the events that caused them.
#include "replay/replay.h"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <algorithm>
#include <limits>
#include <set>
#include <string>
#include <vector>

#include "common/time.h"
#include "replay/sample_db.h"
#include "scan/scanner.h"
#include "store/record_sql.h"
#include "support/files.h"

namespace trailreplay::replay {
namespace {

class ReplayTest : public ::testing::Test {
 protected:
  void SetUp() override {
    db_ = dir_ / "sample.db";
    ASSERT_NO_FATAL_FAILURE(test::ScanSampleData(db_));
  }

  std::vector<std::int64_t> Column(const std::string& sql) {
    sqlite3* handle = nullptr;
    std::vector<std::int64_t> out;
    EXPECT_EQ(sqlite3_open_v2(db_.c_str(), &handle, SQLITE_OPEN_READONLY, nullptr), SQLITE_OK);
    trailreplay::store::RegisterRecordFunctions(handle);  // the matches view reads raw
    sqlite3_stmt* stmt = nullptr;
    EXPECT_EQ(sqlite3_prepare_v2(handle, sql.c_str(), -1, &stmt, nullptr), SQLITE_OK)
        << sqlite3_errmsg(handle);
    while (stmt != nullptr && sqlite3_step(stmt) == SQLITE_ROW) {
      out.push_back(sqlite3_column_int64(stmt, 0));
    }
    sqlite3_finalize(stmt);
    sqlite3_close(handle);
    return out;
  }

  ReplayResult Replay(ReplayOptions options) {
    options.db_path = db_;
    if (options.rules.alarms.empty()) options.rules = rules::BuiltinRules();
    auto result = RunReplay(options);
    EXPECT_TRUE(result.has_value()) << (result ? "" : result.error().message);
    return result ? *result : ReplayResult{};
  }

  test::TempDir dir_;
  std::string db_;
};

// For Sum >= 1 over 300 s, N = 1, missing data "missing" (R = 3), a sample in minute m is in
// some window of every evaluation T with m < T <= m + 900, and every datapoint breaches: the
// alarm is in ALARM exactly at the minutes within 15 minutes after a matching event's minute.
std::vector<std::pair<std::int64_t, std::int64_t>> ExpectedEpisodes(
    const std::vector<std::int64_t>& event_minutes) {
  std::set<std::int64_t> alarm_minutes;
  for (std::int64_t m : event_minutes) {
    for (std::int64_t t = m + 60; t <= m + 900; t += 60) alarm_minutes.insert(t);
  }
  std::vector<std::pair<std::int64_t, std::int64_t>> episodes;
  for (std::int64_t t : alarm_minutes) {
    if (!episodes.empty() && episodes.back().second == t) {
      episodes.back().second = t + 60;
    } else {
      episodes.emplace_back(t, t + 60);
    }
  }
  return episodes;
}

// An episode's events are counted by their stamp's index, a window at a time; through the
// events view SQLite scanned every match of every filter for each window instead (replaying
// the whole CIS pack over 1 GB of logs: over two minutes).
TEST_F(ReplayTest, EpisodeEventsAreCountedByTheIndexOnStamp) {
  sqlite3* handle = nullptr;
  ASSERT_EQ(sqlite3_open_v2(db_.c_str(), &handle, SQLITE_OPEN_READONLY, nullptr), SQLITE_OK);
  sqlite3_stmt* stmt = nullptr;
  const std::string sql = std::string("EXPLAIN QUERY PLAN ") + kCountSeriesEventsSql;
  ASSERT_EQ(sqlite3_prepare_v2(handle, sql.c_str(), -1, &stmt, nullptr), SQLITE_OK)
      << sqlite3_errmsg(handle);
  std::vector<std::string> plan;
  while (sqlite3_step(stmt) == SQLITE_ROW) {
    plan.emplace_back(reinterpret_cast<const char*>(sqlite3_column_text(stmt, 3)));
  }
  sqlite3_finalize(stmt);
  sqlite3_close(handle);
  auto has = [&](const std::string& prefix) {
    return std::any_of(plan.begin(), plan.end(),
                       [&](const std::string& row) { return row.rfind(prefix, 0) == 0; });
  };
  EXPECT_TRUE(has("SEARCH e USING COVERING INDEX events_by_time")) << testing::PrintToString(plan);
  EXPECT_FALSE(has("SCAN m")) << testing::PrintToString(plan);
}

TEST_F(ReplayTest, CisAlarmsFollowTheEventsMinuteByMinute) {
  const ReplayResult result = Replay({});
  ASSERT_EQ(result.alarms.size(), 2u);
  for (const AlarmReplay& a : result.alarms) {
    SCOPED_TRACE(a.stored_name);
    const auto minutes = Column(
        "SELECT DISTINCT e.stamp - e.stamp % 60 FROM events AS e JOIN event_matches USING "
        "(event_pk) JOIN filters AS f USING (filter_id) WHERE f.name = '" +
        a.spec.name + "' ORDER BY 1");
    ASSERT_FALSE(minutes.empty());
    const auto expected = ExpectedEpisodes(minutes);
    ASSERT_EQ(a.episodes.size(), expected.size());
    for (std::size_t i = 0; i < expected.size(); ++i) {
      EXPECT_EQ(a.episodes[i].start, expected[i].first) << FormatIsoTime(expected[i].first);
      ASSERT_TRUE(a.episodes[i].end.has_value());
      EXPECT_EQ(*a.episodes[i].end, expected[i].second) << FormatIsoTime(expected[i].second);
      EXPECT_GE(a.episodes[i].matched_events, 1u);
    }
    // Every episode ends in INSUFFICIENT_DATA: without a defaultValue nothing is ever OK.
    for (const auto& t : a.transitions) {
      EXPECT_NE(t.new_state, alarm::State::kOk);
    }
  }
}

TEST_F(ReplayTest, TheIncidentBurstIsOneEpisodeThatPeaksAtItsBurst) {
  ReplayOptions options;
  options.alarm_names = {"unauthorized_api_calls"};
  const ReplayResult result = Replay(options);
  ASSERT_EQ(result.alarms.size(), 1u);
  // svc-reporting's key, 2024-03-02 03:12:05 .. 03:16:12 (sample-data/EXPECTED.md).
  const std::int64_t burst = *ParseIsoTime("2024-03-02T03:12:05Z");
  const Episode* incident = nullptr;
  for (const auto& e : result.alarms[0].episodes) {
    if (e.start <= burst + 60 && e.end && *e.end > burst) incident = &e;
  }
  ASSERT_NE(incident, nullptr);
  EXPECT_EQ(FormatIsoTime(incident->start), "2024-03-02T03:13:00Z");
  // Windows slide by a minute, so the peak can exceed the 12 of the aligned 03:10 bucket.
  ASSERT_TRUE(incident->peak.has_value());
  EXPECT_GE(*incident->peak, 12.0);
  EXPECT_GE(incident->matched_events, 12u);
}

TEST_F(ReplayTest, WhatIfThresholdIsStoredUnderItsOwnName) {
  ReplayOptions options;
  options.alarm_names = {"unauthorized_api_calls"};
  options.overrides.threshold = 5;
  const ReplayResult result = Replay(options);
  ASSERT_EQ(result.alarms.size(), 1u);
  EXPECT_EQ(result.alarms[0].stored_name, "unauthorized_api_calls (what-if: threshold 5)");
  // Only the burst reaches 5 in a 300-second window (13 events in [03:12, 03:17)). Once its
  // windows stop being the newest, a quieter datapoint (1 or 2 events) sends the alarm to OK;
  // but when the newest window is empty, CloudWatch evaluates the newest real datapoint in the
  // range, which is the burst again: the alarm re-triggers twice before the burst leaves the
  // range (spec B.4.5).
  const auto& episodes = result.alarms[0].episodes;
  ASSERT_EQ(episodes.size(), 3u);
  const char* starts[] = {"2024-03-02T03:13:00Z", "2024-03-02T03:22:00Z", "2024-03-02T03:27:00Z"};
  for (std::size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(FormatIsoTime(episodes[i].start), starts[i]);
    ASSERT_TRUE(episodes[i].peak.has_value());
    EXPECT_EQ(*episodes[i].peak, 13.0);
    EXPECT_EQ(episodes[i].matched_events, 13u);
  }
  EXPECT_EQ(Column("SELECT count(*) FROM alarm_episodes WHERE alarm_name = "
                   "'unauthorized_api_calls (what-if: threshold 5)'"),
            std::vector<std::int64_t>{3});
}

TEST_F(ReplayTest, ReplayingAgainReplacesTheAlarmsHistory) {
  Replay({});
  const auto first = Column("SELECT count(*) FROM alarm_history");
  Replay({});
  EXPECT_EQ(Column("SELECT count(*) FROM alarm_history"), first);
  EXPECT_EQ(Column("SELECT count(*) FROM replays"), (std::vector<std::int64_t>{2}));
}

TEST_F(ReplayTest, OverridesCloudWatchWouldRejectAreErrors) {
  ReplayOptions options;
  options.db_path = db_;
  options.rules = rules::BuiltinRules();
  options.overrides.period = 90;
  auto result = RunReplay(options);
  ASSERT_FALSE(result.has_value());
  EXPECT_NE(result.error().message.find("multiple of 60"), std::string::npos);
  options.overrides = {};
  options.overrides.datapoints_to_alarm = 3;
  result = RunReplay(options);
  ASSERT_FALSE(result.has_value());
  EXPECT_NE(result.error().message.find("datapoints to alarm"), std::string::npos);
  // `--threshold nan` and `--threshold 1e400` (an infinity once read) are not thresholds.
  for (const double threshold :
       {std::numeric_limits<double>::quiet_NaN(), std::numeric_limits<double>::infinity()}) {
    options.overrides = {};
    options.overrides.threshold = threshold;
    result = RunReplay(options);
    ASSERT_FALSE(result.has_value());
    EXPECT_NE(result.error().message.find("the threshold must be a finite number"),
              std::string::npos);
  }
}

// Issue 19: `replay --rules cis` over a database scanned with the built-in filters printed
// "no event ever published to this metric" and 0 episodes for all 18 alarms (root usage
// among them), exit 0, and stored that. Now it is an error that names each filter, and
// nothing is stored.
TEST_F(ReplayTest, AlarmsOfFiltersNeverScannedAreRefusedAndNothingIsStored) {
  auto cis = rules::LoadRules("cis");
  ASSERT_TRUE(cis.has_value());
  ReplayOptions options;
  options.db_path = db_;
  options.rules = *cis;
  auto result = RunReplay(options);
  ASSERT_FALSE(result.has_value());
  const std::string& message = result.error().message;
  EXPECT_NE(message.find("18 of the alarms cannot be replayed"), std::string::npos) << message;
  EXPECT_NE(message.find("its filter 'cis_root_account_usage' (pack cis) was not scanned into "
                         "this database"),
            std::string::npos)
      << message;
  EXPECT_NE(message.find("holds the filters unauthorized_api_calls, cloudtrail_cfg_changes"),
            std::string::npos)
      << message;
  EXPECT_EQ(Column("SELECT count(*) FROM replays"), std::vector<std::int64_t>{0});

  // One alarm, by name: the same refusal, for it alone.
  options.alarm_names = {"cis_root_account_usage"};
  result = RunReplay(options);
  ASSERT_FALSE(result.has_value());
  EXPECT_EQ(result.error().message.rfind("alarm 'cis_root_account_usage': its filter", 0), 0u)
      << result.error().message;
}

// A rules file whose filter publishes the scanned metric with another pattern would replay
// the scanned series as if it were its own.
TEST_F(ReplayTest, AFilterScannedWithAnotherPatternIsRefused) {
  rules::RuleSet rules = rules::BuiltinRules();
  rules.filters[0].pattern = R"({ $.errorCode = "AccessDenied" })";
  ReplayOptions options;
  options.db_path = db_;
  options.rules = rules;
  auto result = RunReplay(options);
  ASSERT_FALSE(result.has_value());
  EXPECT_NE(result.error().message.find("differs from the filter 'unauthorized_api_calls' "
                                        "scanned into this database"),
            std::string::npos)
      << result.error().message;
  // The same filter under another name publishes the same series: accepted.
  rules = rules::BuiltinRules();
  rules.filters[1].name = "renamed";
  options.rules = rules;
  EXPECT_TRUE(RunReplay(options).has_value());
}

TEST_F(ReplayTest, StoredReplaysRecordTheOptionsTheyRanWith) {
  ReplayOptions options;
  options.alarm_names = {"unauthorized_api_calls"};
  options.from = ParseIsoTime("2024-03-02T20:00:00Z").value();
  options.overrides.threshold = 5;
  options.evaluation_range = 4;
  options.rule_sources = {"x.json"};
  Replay(options);
  sqlite3* handle = nullptr;
  ASSERT_EQ(sqlite3_open_v2(db_.c_str(), &handle, SQLITE_OPEN_READONLY, nullptr), SQLITE_OK);
  sqlite3_stmt* stmt = nullptr;
  ASSERT_EQ(sqlite3_prepare_v2(handle, "SELECT options FROM replays", -1, &stmt, nullptr),
            SQLITE_OK);
  ASSERT_EQ(sqlite3_step(stmt), SQLITE_ROW);
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0))),
            R"({"from":"2024-03-02T20:00:00Z","to":null,"overrides":{"threshold":5},)"
            R"("evaluation_range":4,"ignore_creation_time":false,"rules":["x.json"],)"
            R"("alarms":["unauthorized_api_calls"]})");
  sqlite3_finalize(stmt);
  sqlite3_close(handle);
  // The episode_events view honours the evaluation range the replay used (4 x 300 s).
  EXPECT_EQ(Column("SELECT DISTINCT lookback_seconds FROM replayed_alarms"),
            std::vector<std::int64_t>{1200});
}

}  // namespace
}  // namespace trailreplay::replay

// The HTML report over a real scan of sample-data/: every alarm of the database's rules covers
// the whole history, whatever was replayed into the database before (issue 19: after
// `replay --from 2024-03-02T20:00Z` the report showed that window's episodes, 3 instead of 31,
// under a header giving the whole data range).
#include "report/html_report.h"

#include <gtest/gtest.h>

#include <string>

#include "common/time.h"
#include "replay/replay.h"
#include "replay/sample_db.h"
#include "support/files.h"

namespace trailreplay::report {
namespace {

class ReportTest : public ::testing::Test {
 protected:
  void SetUp() override {
    db_ = dir_ / "sample.db";
    ASSERT_NO_FATAL_FAILURE(test::ScanSampleData(db_));
  }

  void Replay(replay::ReplayOptions options) {
    options.db_path = db_;
    options.rules = rules::BuiltinRules();
    auto result = replay::RunReplay(options);
    ASSERT_TRUE(result.has_value()) << result.error().message;
  }

  std::string Build() {
    ReportOptions options;
    options.db_path = db_;
    options.rules = rules::BuiltinRules();
    auto html = BuildHtmlReport(options);
    EXPECT_TRUE(html.has_value()) << (html ? "" : html.error().message);
    return html ? *html : "";
  }

  // The <h2> headings' text, tags removed. (Not std::regex: GCC 12 warns inside it at -O1.)
  static std::vector<std::string> Headings(const std::string& html) {
    std::vector<std::string> out;
    for (std::size_t at = html.find("<h2>"); at != std::string::npos;
         at = html.find("<h2>", at + 1)) {
      const std::size_t end = html.find("</h2>", at);
      std::string text;
      bool in_tag = false;
      for (char c : html.substr(at + 4, end - at - 4)) {
        if (c == '<') in_tag = true;
        if (!in_tag) text += c;
        if (c == '>') in_tag = false;
      }
      out.push_back(text);
    }
    return out;
  }

  test::TempDir dir_;
  std::string db_;
};

TEST_F(ReportTest, NothingReplayedYetStillCoversEveryAlarm) {
  const auto headings = Headings(Build());
  // The overview first, then the alarms firing most first.
  EXPECT_EQ(headings, (std::vector<std::string>{
                          "Overview",
                          "unauthorized_api_calls 31 episodes in ALARM, 8h 19m",
                          "cloudtrail_cfg_changes 6 episodes in ALARM, 1h 44m",
                          "Provenance",
                      }));
}

TEST_F(ReportTest, ANarrowedOrWhatIfReplayIsItsOwnLabelledSection) {
  replay::ReplayOptions narrowed;
  narrowed.from = ParseIsoTime("2024-03-02T20:00:00Z").value();
  Replay(narrowed);
  replay::ReplayOptions what_if;
  what_if.alarm_names = {"unauthorized_api_calls"};
  what_if.overrides.threshold = 5;
  Replay(what_if);
  const std::string html = Build();
  EXPECT_EQ(Headings(html),
            (std::vector<std::string>{
                "Overview",
                "unauthorized_api_calls 31 episodes in ALARM, 8h 19m",
                "cloudtrail_cfg_changes 6 episodes in ALARM, 1h 44m",
                "Stored replays",
                "cloudtrail_cfg_changes 0 episodes in ALARM stored replay",
                "unauthorized_api_calls 3 episodes in ALARM, 45m stored replay",
                "unauthorized_api_calls (what-if: threshold 5) 3 episodes in ALARM, 10m stored "
                "replay",
                "Provenance",
            }));
  EXPECT_NE(html.find("window 2024-03-02T20:00:00Z .. 2024-03-03T00:51:00Z (narrowed: --from)"),
            std::string::npos);
  EXPECT_NE(html.find("what-if: threshold 5"), std::string::npos);
}

TEST_F(ReportTest, AWholeHistoryReplayIsNotShownTwice) {
  Replay({});
  EXPECT_EQ(Headings(Build()).size(), 4u);
}

TEST_F(ReportTest, TheOverviewLinksEveryAlarmFiringFirst) {
  const std::string html = Build();
  const std::size_t overview = html.find("<section id='overview'>");
  ASSERT_NE(overview, std::string::npos);
  const std::size_t first = html.find("href='#alarm-unauthorized_api_calls'", overview);
  const std::size_t second = html.find("href='#alarm-cloudtrail_cfg_changes'", overview);
  ASSERT_NE(first, std::string::npos);
  ASSERT_NE(second, std::string::npos);
  EXPECT_LT(first, second);
  EXPECT_NE(html.find("<section id='alarm-unauthorized_api_calls'>"), std::string::npos);
  // 49 of the 4,935 events matched: 0.99%, grouped digits in the header.
  EXPECT_NE(html.find(">0.99%<"), std::string::npos);
  EXPECT_NE(html.find("4,935 CloudTrail events"), std::string::npos);
}

TEST_F(ReportTest, ACutListSaysHowMuchIsShownAndHowToSeeAll) {
  ReportOptions options;
  options.db_path = db_;
  options.rules = rules::BuiltinRules();
  options.max_events_per_episode = 2;
  options.max_episodes_per_alarm = 20;
  auto html = BuildHtmlReport(options);
  ASSERT_TRUE(html.has_value()) << html.error().message;
  // The 2024-03-02T03:13 episode of unauthorized_api_calls holds 13 events.
  EXPECT_NE(html->find("2 of 13 events shown; all of them: <code>trailreplay sql --db sample.db"),
            std::string::npos);
  EXPECT_NE(html->find("20 of 31 episodes shown"), std::string::npos);
}

TEST_F(ReportTest, NoAbsolutePathOfTheScanningMachine) {
  const std::string html = Build();
  EXPECT_EQ(html.find(dir_.path()), std::string::npos);
  EXPECT_EQ(html.find(TRAILREPLAY_SOURCE_DIR), std::string::npos);
}

TEST_F(ReportTest, TheJsonFormHoldsTheSameNumbers) {
  ReportOptions options;
  options.db_path = db_;
  options.rules = rules::BuiltinRules();
  auto data = BuildReportData(options);
  ASSERT_TRUE(data.has_value()) << data.error().message;
  const std::string json = ReportJson(*data);
  EXPECT_NE(json.find("\"events\":4935"), std::string::npos);
  EXPECT_NE(json.find("\"name\":\"unauthorized_api_calls\",\"stored_replay\":false"),
            std::string::npos);
  EXPECT_NE(json.find("\"episodes_total\":31"), std::string::npos);
  EXPECT_NE(json.find("\"matches\":49"), std::string::npos);
}

TEST_F(ReportTest, AlarmsWhoseFiltersWereNotScannedAreListedNotShownAsQuiet) {
  ReportOptions options;
  options.db_path = db_;
  auto cis = rules::LoadRules("cis");
  ASSERT_TRUE(cis.has_value());
  options.rules = *cis;
  auto html = BuildHtmlReport(options);
  ASSERT_TRUE(html.has_value()) << html.error().message;
  EXPECT_NE(html->find("<h2>Alarms not replayed</h2>"), std::string::npos);
  EXPECT_NE(html->find("its filter &#39;cis_root_account_usage&#39; (pack cis) was not scanned"),
            std::string::npos);
  EXPECT_EQ(html->find("never went to ALARM"), std::string::npos);
}

TEST_F(ReportTest, CompositeAndMathAlarmsHaveSectionsOfTheirOwn) {
  constexpr char kAlarms[] = R"json({"MetricAlarms": [
    {"AlarmName": "unauthorized", "Namespace": "CISBenchmark", "MetricName": "unauthorized_api_calls",
     "Statistic": "Sum", "Dimensions": [], "Period": 300, "EvaluationPeriods": 1, "Threshold": 1,
     "ComparisonOperator": "GreaterThanOrEqualToThreshold", "TreatMissingData": "notBreaching"},
    {"AlarmName": "trail-changes", "Namespace": "CISBenchmark", "MetricName": "cloudtrail_cfg_changes",
     "Statistic": "Sum", "Dimensions": [], "Period": 300, "EvaluationPeriods": 1, "Threshold": 1,
     "ComparisonOperator": "GreaterThanOrEqualToThreshold", "TreatMissingData": "notBreaching"},
    {"AlarmName": "denied-with-trail-change", "EvaluationPeriods": 1, "Threshold": 2,
     "ComparisonOperator": "GreaterThanOrEqualToThreshold", "TreatMissingData": "notBreaching",
     "Metrics": [
      {"Id": "denied", "MetricStat": {"Metric": {"Namespace": "CISBenchmark", "MetricName": "unauthorized_api_calls", "Dimensions": []}, "Period": 300, "Stat": "Sum"}, "ReturnData": false},
      {"Id": "trail", "MetricStat": {"Metric": {"Namespace": "CISBenchmark", "MetricName": "cloudtrail_cfg_changes", "Dimensions": []}, "Period": 300, "Stat": "Sum"}, "ReturnData": false},
      {"Id": "both", "Expression": "IF(FILL(denied, 0) >= 1 AND FILL(trail, 0) >= 1, SUM(METRICS()), 0)", "ReturnData": true}]}],
   "CompositeAlarms": [{"AlarmName": "tampering",
     "AlarmRule": "ALARM(\"unauthorized\") AND ALARM(\"trail-changes\")"}]})json";
  auto alarms = rules::ParseRulesDocument(kAlarms, "alarms.json");
  ASSERT_TRUE(alarms.has_value()) << alarms.error().message;
  auto combined = rules::Combine({rules::BuiltinRules(), *alarms});
  ASSERT_TRUE(combined.has_value()) << combined.error().message;
  ReportOptions options;
  options.db_path = db_;
  options.rules = *combined;
  auto data = BuildReportData(options);
  ASSERT_TRUE(data.has_value()) << data.error().message;
  const AlarmSection* composite = nullptr;
  const AlarmSection* math = nullptr;
  for (const AlarmSection& a : data->alarms) {
    if (a.name == "tampering") composite = &a;
    if (a.name == "denied-with-trail-change") math = &a;
  }
  ASSERT_NE(composite, nullptr);
  ASSERT_NE(math, nullptr);
  EXPECT_EQ(composite->kind, AlarmKind::kComposite);
  EXPECT_EQ(composite->episodes_total, 3u);
  EXPECT_EQ(composite->expression, "ALARM(\"unauthorized\") AND ALARM(\"trail-changes\")");
  EXPECT_EQ(math->kind, AlarmKind::kMath);
  ASSERT_EQ(math->episodes_total, 1u);
  EXPECT_EQ(FormatIsoTime(math->episodes[0].start), "2024-03-02T03:15:00Z");
  const std::string html = RenderHtml(*data);
  EXPECT_NE(html.find("<section id='alarm-tampering'>"), std::string::npos);
  EXPECT_NE(html.find("Composite alarm: <code>ALARM(&quot;unauthorized&quot;) AND"),
            std::string::npos);
  EXPECT_NE(html.find("Metric math: <code>IF(FILL(denied, 0) &gt;= 1"), std::string::npos);
  EXPECT_NE(ReportJson(*data).find("\"kind\":\"composite\""), std::string::npos);
}

}  // namespace
}  // namespace trailreplay::report

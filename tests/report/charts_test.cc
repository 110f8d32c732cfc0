// The report's axes: round ticks and time ticks a person can read.
#include "report/charts.h"

#include <gtest/gtest.h>

#include "common/time.h"

namespace trailreplay::report {
namespace {

std::int64_t T(const char* iso) { return ParseIsoTime(iso).value(); }

TEST(RoundTicksTest, OneTwoOrFiveTimesAPowerOfTen) {
  EXPECT_EQ(RoundTicks(5.3, 5, true), (std::vector<double>{0, 2, 4, 6}));
  EXPECT_EQ(RoundTicks(15, 5, true), (std::vector<double>{0, 5, 10, 15}));
  EXPECT_EQ(RoundTicks(13, 5, true), (std::vector<double>{0, 5, 10, 15}));
  EXPECT_EQ(RoundTicks(1, 5, true), (std::vector<double>{0, 1}));
  EXPECT_EQ(RoundTicks(0.4, 4, false),
            (std::vector<double>{0, 0.1, 0.2, 0.30000000000000004, 0.4}));
  EXPECT_EQ(RoundTicks(10015, 5, true).back(), 15000);  // 0, 5,000, 10,000, 15,000
  EXPECT_EQ(RoundTicks(0, 5, true), (std::vector<double>{0, 1}));
}

TEST(TimeTicksTest, HoursWithTheDateUnderTheFirstTickOfEachDay) {
  const auto ticks = TimeTicks(T("2024-03-01T00:15:00Z"), T("2024-03-03T00:51:00Z"), 6);
  ASSERT_EQ(ticks.size(), 4u);
  EXPECT_EQ(ticks[0].time, T("2024-03-01T12:00:00Z"));
  EXPECT_EQ(ticks[0].label, "12:00");
  EXPECT_EQ(ticks[0].under, "Mar 1, 2024");
  EXPECT_EQ(ticks[1].label, "00:00");
  EXPECT_EQ(ticks[1].under, "Mar 2");
  EXPECT_EQ(ticks[2].under, "");
  EXPECT_EQ(ticks[3].under, "Mar 3");
}

TEST(TimeTicksTest, DaysAndTheYearWhereItChanges) {
  const auto ticks = TimeTicks(T("2023-12-28T00:00:00Z"), T("2024-01-04T00:00:00Z"), 8);
  ASSERT_FALSE(ticks.empty());
  EXPECT_EQ(ticks.front().label, "Dec 28");
  EXPECT_EQ(ticks.front().under, "2023");
  bool year_shown = false;
  for (const auto& t : ticks) year_shown = year_shown || (t.label == "Jan 1" && t.under == "2024");
  EXPECT_TRUE(year_shown);
}

TEST(TimeTicksTest, MonthsOverLongHistories) {
  const auto ticks = TimeTicks(T("2023-01-10T00:00:00Z"), T("2024-06-01T00:00:00Z"), 6);
  ASSERT_FALSE(ticks.empty());
  EXPECT_LE(ticks.size(), 6u);
  for (const auto& t : ticks) {
    EXPECT_EQ(FormatIsoTime(t.time).substr(8), "01T00:00:00Z") << t.label;  // first of a month
  }
}

TEST(ChartNumberTest, GroupedWholeNumbersAndFourDigitsOtherwise) {
  EXPECT_EQ(ChartNumber(10015), "10,015");
  EXPECT_EQ(ChartNumber(0.5), "0.5");
  EXPECT_EQ(ChartNumber(-3), "-3");
  EXPECT_EQ(ChartNumber(2.0 / 3), "0.6667");
}

TEST(TimelineSvgTest, ScalesAndKeepsShortEpisodesVisible) {
  TimelineChart chart;
  chart.title = "t";
  chart.y_unit = "Sum per 300 s";
  chart.from = T("2024-01-01T00:00:00Z");
  chart.to = chart.from + 365 * 86400;
  chart.threshold = 1;
  chart.episodes = {{chart.from + 86400, chart.from + 86400 + 300}};  // 5 min of a year
  const std::string svg = TimelineSvg(chart);
  EXPECT_NE(svg.find("viewBox='0 0 720 250'"), std::string::npos);
  const std::size_t at = svg.find("class='episode'");
  ASSERT_NE(at, std::string::npos);
  const std::size_t width = svg.find("width='", at);
  EXPECT_EQ(svg.substr(width, 12), "width='3.0' ");
}

}  // namespace
}  // namespace trailreplay::report

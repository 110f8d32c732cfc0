// The report's charts as inline SVG a person can read at any width: a viewBox that scales to
// its container (no sideways scrolling in an 800-pixel window), y-axis ticks at round numbers
// (1, 2 or 5 times a power of ten) spaced so their labels never touch, time ticks on whole
// units (minutes, hours, days, months, years) with the date under the first tick of each day
// and the year wherever it changes, labels kept inside the chart, axis titles with units, and
// ALARM episodes at least kMinEpisodeWidth wide however long the history. Every bar and point
// carries a hover title with its exact value.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace trailreplay::report {

// Round ticks from 0 covering `max` with at most `max_ticks` intervals: {0, 2, 4, 6} for 5.3.
// With `integers`, the step is at least 1 (counts have no fractional ticks).
std::vector<double> RoundTicks(double max, int max_ticks, bool integers);

// Time ticks inside [from, to]: whole units, at most `max_ticks` of them.
struct TimeTick {
  std::int64_t time = 0;
  std::string label;  // "14:00", or a date when the step is a day or more
  std::string under;  // a second line: the date at the first tick of a day, the year
};
std::vector<TimeTick> TimeTicks(std::int64_t from, std::int64_t to, int max_ticks);

// A value as the report prints it: grouped digits for whole numbers, four significant digits
// otherwise.
std::string ChartNumber(double value);

inline constexpr double kMinEpisodeWidth = 3;

struct TimelineChart {
  std::string title;   // the aria label
  std::string y_unit;  // "Sum per 300 s"
  std::int64_t from = 0, to = 0;
  std::map<std::int64_t, double> buckets;  // bucket start -> value
  std::int64_t bucket_seconds = 300;
  double threshold = 0;
  bool show_threshold = true;  // false: only the episodes (a composite or math alarm)
  std::vector<std::pair<std::int64_t, std::int64_t>> episodes;  // [start, end)
};
std::string TimelineSvg(const TimelineChart& chart);

// Threshold against the number of ALARM episodes; `current` is the alarm's own threshold.
std::string TuningSvg(const std::vector<std::pair<double, std::size_t>>& curve, double current);

}  // namespace trailreplay::report

// Time as the scanner and the store see it: integer seconds since the Unix epoch, UTC.
//
// CloudTrail writes `eventTime` as `YYYY-MM-DDTHH:MM:SSZ`; other producers add fractional
// seconds or a `+00:00` offset. Conversion is plain civil-date arithmetic (Howard Hinnant's
// days_from_civil), so it never depends on the process's time zone or locale. Minutes and
// 300-second buckets are floors of the epoch second, as CloudWatch aligns its periods.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/result.h"

namespace trailreplay {

inline constexpr std::int64_t kMinuteSeconds = 60;
inline constexpr std::int64_t kBucketSeconds = 300;

// Days since 1970-01-01 of a proleptic Gregorian date (month 1..12, day 1..31).
constexpr std::int64_t DaysFromCivil(std::int64_t year, unsigned month, unsigned day) {
  if (month <= 2) --year;
  const std::int64_t era = (year >= 0 ? year : year - 399) / 400;
  const auto year_of_era = static_cast<unsigned>(year - era * 400);
  const unsigned day_of_year = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1;
  const unsigned day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
  return era * 146097 + static_cast<std::int64_t>(day_of_era) - 719468;
}
static_assert(DaysFromCivil(1970, 1, 1) == 0);
static_assert(DaysFromCivil(2000, 3, 1) == 11017);
static_assert(DaysFromCivil(1969, 12, 31) == -1);

// Parses an ISO-8601 UTC timestamp: `YYYY-MM-DDTHH:MM:SS`, optional fraction `.f...`, then
// `Z`, `+00:00` or `-00:00` (a non-zero offset is applied). Seconds are floored. Years
// 1970..9999; rejects anything else, including impossible dates (2024-02-30).
std::optional<std::int64_t> ParseIsoTime(std::string_view text);

// `YYYY-MM-DDTHH:MM:SSZ`.
std::string FormatIsoTime(std::int64_t epoch_seconds);

// A time given on the command line: a date (`2024-03-01`, midnight UTC); a date and time
// (`2024-03-01T12:00`, `2024-03-01T12:00:30.5`, `2024-03-01 12:00`), UTC unless it ends in a
// zone (`Z`, `-05:00`, `+0100`, `+01`); or epoch seconds (`1709294400`, `@1709294400`).
// Seconds are floored. The error lists every accepted form.
Result<std::int64_t> ParseTimeArgument(std::string_view text);

// A duration on the command line: a number with unit s, m, h or d (`90m`, `24h`, `2d`).
Result<std::int64_t> ParseDurationArgument(std::string_view text);

inline std::int64_t FloorTo(std::int64_t t, std::int64_t period) {
  const std::int64_t r = t % period;
  return r < 0 ? t - r - period : t - r;
}

}  // namespace trailreplay

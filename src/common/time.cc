#include "common/time.h"

#include <cstdio>

namespace trailreplay {

namespace {

bool Digits(std::string_view text, std::size_t pos, std::size_t count, unsigned& out) {
  if (pos + count > text.size()) return false;
  out = 0;
  for (std::size_t i = pos; i < pos + count; ++i) {
    const char c = text[i];
    if (c < '0' || c > '9') return false;
    out = out * 10 + static_cast<unsigned>(c - '0');
  }
  return true;
}

bool IsLeap(unsigned year) { return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0; }

unsigned DaysInMonth(unsigned year, unsigned month) {
  static constexpr unsigned kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return month == 2 && IsLeap(year) ? 29 : kDays[month - 1];
}

// Parses `YYYY-MM-DD` at the start of text.
bool ParseDate(std::string_view text, unsigned& year, unsigned& month, unsigned& day) {
  if (text.size() < 10 || text[4] != '-' || text[7] != '-') return false;
  if (!Digits(text, 0, 4, year) || !Digits(text, 5, 2, month) || !Digits(text, 8, 2, day)) {
    return false;
  }
  return year >= 1970 && month >= 1 && month <= 12 && day >= 1 && day <= DaysInMonth(year, month);
}

}  // namespace

std::optional<std::int64_t> ParseIsoTime(std::string_view text) {
  unsigned year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
  if (!ParseDate(text, year, month, day)) return std::nullopt;
  if (text.size() < 19 || text[10] != 'T' || text[13] != ':' || text[16] != ':') {
    return std::nullopt;
  }
  if (!Digits(text, 11, 2, hour) || !Digits(text, 14, 2, minute) || !Digits(text, 17, 2, second)) {
    return std::nullopt;
  }
  if (hour > 23 || minute > 59 || second > 60) return std::nullopt;  // 60: a leap second
  std::size_t pos = 19;
  if (pos < text.size() && (text[pos] == '.' || text[pos] == ',')) {
    ++pos;
    const std::size_t digits_start = pos;
    while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') ++pos;
    if (pos == digits_start) return std::nullopt;
  }
  std::int64_t offset = 0;
  if (pos < text.size() && text[pos] == 'Z') {
    ++pos;
  } else if (pos < text.size() && (text[pos] == '+' || text[pos] == '-')) {
    unsigned oh = 0, om = 0;
    if (!Digits(text, pos + 1, 2, oh) || pos + 3 >= text.size() || text[pos + 3] != ':' ||
        !Digits(text, pos + 4, 2, om) || oh > 23 || om > 59) {
      return std::nullopt;
    }
    offset = (text[pos] == '+' ? 1 : -1) * static_cast<std::int64_t>(oh * 3600 + om * 60);
    pos += 6;
  } else {
    return std::nullopt;
  }
  if (pos != text.size()) return std::nullopt;
  return DaysFromCivil(year, month, day) * 86400 + hour * 3600 + minute * 60 + second - offset;
}

std::string FormatIsoTime(std::int64_t t) {
  const std::int64_t days = FloorTo(t, 86400) / 86400;
  const std::int64_t secs = t - days * 86400;
  // civil_from_days
  const std::int64_t z = days + 719468;
  const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const auto doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  const unsigned d = doy - (153 * mp + 2) / 5 + 1;
  const unsigned m = mp < 10 ? mp + 3 : mp - 9;
  const std::int64_t y = static_cast<std::int64_t>(yoe) + era * 400 + (m <= 2 ? 1 : 0);
  char buffer[96];
  std::snprintf(buffer, sizeof buffer, "%04lld-%02u-%02uT%02lld:%02lld:%02lldZ",
                static_cast<long long>(y), m, d, static_cast<long long>(secs / 3600),
                static_cast<long long>(secs / 60 % 60), static_cast<long long>(secs % 60));
  return buffer;
}

Result<std::int64_t> ParseTimeArgument(std::string_view text) {
  auto bad = [&] {
    return MakeError(ErrorCode::kInvalidArgument,
                     "invalid time '" + std::string(text) +
                         "': expected a date (2024-03-01, midnight UTC), a date and time "
                         "(2024-03-01T12:00, 2024-03-01T12:00:30, 2024-03-01 12:00, with an "
                         "optional fraction of a second), UTC unless it ends in a zone (Z, "
                         "-05:00, +0100, +01), or epoch seconds (1709294400, @1709294400)");
  };
  // Epoch seconds.
  std::string_view digits = text.substr(!text.empty() && text[0] == '@' ? 1 : 0);
  if (!digits.empty() && digits.size() <= 12 &&
      digits.find_first_not_of("0123456789") == std::string_view::npos) {
    std::int64_t seconds = 0;
    for (char c : digits) seconds = seconds * 10 + (c - '0');
    return seconds;
  }
  unsigned year = 0, month = 0, day = 0;
  if (!ParseDate(text, year, month, day)) return bad();
  const std::int64_t midnight = DaysFromCivil(year, month, day) * 86400;
  if (text.size() == 10) return midnight;
  if (text[10] != 'T' && text[10] != 't' && text[10] != ' ') return bad();
  unsigned hour = 0, minute = 0, second = 0;
  if (!Digits(text, 11, 2, hour) || text.size() < 16 || text[13] != ':' ||
      !Digits(text, 14, 2, minute) || hour > 23 || minute > 59) {
    return bad();
  }
  std::size_t pos = 16;
  if (pos < text.size() && text[pos] == ':') {
    if (!Digits(text, pos + 1, 2, second) || second > 60) return bad();  // 60: a leap second
    pos += 3;
    if (pos < text.size() && (text[pos] == '.' || text[pos] == ',')) {
      const std::size_t fraction = ++pos;
      while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') ++pos;
      if (pos == fraction) return bad();  // seconds are floored: the fraction is read past
    }
  }
  std::int64_t offset = 0;
  if (pos < text.size() && (text[pos] == 'Z' || text[pos] == 'z')) {
    ++pos;
  } else if (pos < text.size() && (text[pos] == '+' || text[pos] == '-')) {
    const std::int64_t sign = text[pos] == '+' ? 1 : -1;
    unsigned oh = 0, om = 0;
    if (!Digits(text, pos + 1, 2, oh) || oh > 23) return bad();
    std::size_t next = pos + 3;
    if (next < text.size() && text[next] == ':') ++next;
    if (next < text.size()) {
      if (!Digits(text, next, 2, om) || om > 59) return bad();
      next += 2;
    }
    offset = sign * static_cast<std::int64_t>(oh * 3600 + om * 60);
    pos = next;
  }
  if (pos != text.size()) return bad();
  return midnight + hour * 3600 + minute * 60 + second - offset;
}

Result<std::int64_t> ParseDurationArgument(std::string_view text) {
  std::int64_t value = 0;
  std::size_t i = 0;
  for (; i < text.size() && text[i] >= '0' && text[i] <= '9'; ++i) {
    value = value * 10 + (text[i] - '0');
    if (value > 100000000) break;
  }
  if (i == 0 || i + 1 != text.size()) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "invalid duration '" + std::string(text) + "': expected e.g. 90m, 24h, 2d");
  }
  switch (text[i]) {
    case 's':
      return value;
    case 'm':
      return value * 60;
    case 'h':
      return value * 3600;
    case 'd':
      return value * 86400;
    default:
      return MakeError(ErrorCode::kInvalidArgument, "invalid duration '" + std::string(text) +
                                                        "': the unit must be s, m, h or d");
  }
}

}  // namespace trailreplay

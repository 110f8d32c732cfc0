// Key parsing by hand over string_views, field by field. A log name splits at '_' from the
// left (the unique id is the last field and may be followed by any suffix); a digest name is
// split from both ends because the trail name in its middle may itself contain '_'. Dates are
// checked against the proleptic Gregorian calendar and turned into epoch seconds with
// days-from-civil arithmetic, so the result never depends on the locale or on TZ.
#include "input/s3_key.h"

#include <vector>

#include "common/time.h"

namespace trailreplay::input {
namespace {

constexpr std::string_view kLogMarker = "CloudTrail";
constexpr std::string_view kDigestMarker = "CloudTrail-Digest";
constexpr std::size_t kAccountLength = 12;

bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsLower(char c) { return c >= 'a' && c <= 'z'; }
bool IsAlnum(char c) { return IsDigit(c) || IsLower(c) || (c >= 'A' && c <= 'Z'); }

bool IsAccount(std::string_view s) {
  if (s.size() != kAccountLength) return false;
  for (char c : s) {
    if (!IsDigit(c)) return false;
  }
  return true;
}

// Any [a-z0-9-]+: exports and test data carry made-up regions, which are still regions.
bool IsRegion(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (!IsDigit(c) && !IsLower(c) && c != '-') return false;
  }
  return true;
}

// "o-" and lowercase letters or digits (AWS uses 10 to 32; any length is accepted here).
bool IsOrgId(std::string_view s) {
  if (s.size() <= 2 || s.substr(0, 2) != "o-") return false;
  for (char c : s.substr(2)) {
    if (!IsDigit(c) && !IsLower(c)) return false;
  }
  return true;
}

// Letters, digits, '.', '_' and '-', as CreateTrail allows.
bool IsTrailName(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (!IsAlnum(c) && c != '.' && c != '_' && c != '-') return false;
  }
  return true;
}

constexpr bool IsLeapYear(unsigned year) {
  return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
}

constexpr unsigned DaysInMonth(unsigned year, unsigned month) {
  constexpr unsigned kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return month == 2 && IsLeapYear(year) ? 29 : kDays[month - 1];
}

// `count` decimal digits at `pos`, or -1.
int Digits(std::string_view s, std::size_t pos, std::size_t count) {
  int value = 0;
  for (std::size_t i = pos; i < pos + count; ++i) {
    if (!IsDigit(s[i])) return -1;
    value = value * 10 + (s[i] - '0');
  }
  return value;
}

// "YYYYMMDDTHHmmZ" (log files) or "YYYYMMDDTHHmmssZ" (digests), exactly; epoch seconds UTC.
std::optional<std::int64_t> ParseStamp(std::string_view s, bool with_seconds) {
  const std::size_t length = with_seconds ? 16 : 14;
  if (s.size() != length || s[8] != 'T' || s[length - 1] != 'Z') return std::nullopt;
  const int year = Digits(s, 0, 4);
  const int month = Digits(s, 4, 2);
  const int day = Digits(s, 6, 2);
  const int hour = Digits(s, 9, 2);
  const int minute = Digits(s, 11, 2);
  const int second = with_seconds ? Digits(s, 13, 2) : 0;
  if (year < 0 || month < 1 || month > 12 || day < 1 || hour < 0 || hour > 23 || minute < 0 ||
      minute > 59 || second < 0 || second > 59) {
    return std::nullopt;
  }
  const auto y = static_cast<unsigned>(year);
  const auto m = static_cast<unsigned>(month);
  const auto d = static_cast<unsigned>(day);
  if (d > DaysInMonth(y, m)) return std::nullopt;
  return DaysFromCivil(year, m, d) * 86400 + hour * 3600 + minute * 60 + second;
}

// Removes and returns the text up to the next '_' (which is consumed); nullopt when there is
// none.
std::optional<std::string_view> TakeField(std::string_view& rest) {
  const std::size_t underscore = rest.find('_');
  if (underscore == std::string_view::npos) return std::nullopt;
  std::string_view field = rest.substr(0, underscore);
  rest.remove_prefix(underscore + 1);
  return field;
}

// <account>_CloudTrail_<region>_<YYYYMMDD>T<HHmm>Z_<unique><any suffix>
bool ParseLogName(std::string_view name, KeyInfo& info) {
  std::string_view rest = name;
  const auto account = TakeField(rest);
  const auto marker = TakeField(rest);
  const auto region = TakeField(rest);
  const auto stamp = TakeField(rest);
  if (!stamp || !IsAccount(*account) || *marker != kLogMarker || !IsRegion(*region)) {
    return false;
  }
  // The unique id is alphanumeric; whatever follows it (".json.gz", ".json", " (1).json") is
  // the suffix.
  if (rest.empty() || !IsAlnum(rest.front())) return false;
  const auto time = ParseStamp(*stamp, /*with_seconds=*/false);
  if (!time) return false;
  info.kind = KeyKind::kLog;
  info.account = *account;
  info.region = *region;
  info.delivery_time = time;
  return true;
}

// <account>_CloudTrail-Digest_<region>_<trail>_<region>_<YYYYMMDD>T<HHmmss>Z[_backfill]<suffix>
bool ParseDigestName(std::string_view name, KeyInfo& info) {
  std::string_view rest = name;
  const auto account = TakeField(rest);
  const auto marker = TakeField(rest);
  const auto region = TakeField(rest);
  if (!region || !IsAccount(*account) || *marker != kDigestMarker || !IsRegion(*region)) {
    return false;
  }
  // A time stamp never starts with "backfill", so the suffix is told apart from the fields.
  bool backfill = false;
  if (const std::size_t suffix = rest.rfind("_backfill");
      suffix != std::string_view::npos && rest.find('_', suffix + 1) == std::string_view::npos) {
    backfill = true;
    rest = rest.substr(0, suffix);
  }
  const std::size_t last = rest.rfind('_');
  if (last == std::string_view::npos || last == 0) return false;
  const std::size_t second_last = rest.rfind('_', last - 1);
  if (second_last == std::string_view::npos) return false;
  const std::string_view trail = rest.substr(0, second_last);
  const std::string_view home_region = rest.substr(second_last + 1, last - second_last - 1);
  const std::string_view tail = rest.substr(last + 1);
  if (!IsTrailName(trail) || !IsRegion(home_region)) return false;
  const auto time = ParseStamp(tail.substr(0, 16), /*with_seconds=*/true);
  if (!time) return false;
  if (backfill && tail.size() != 16) return false;
  info.kind = KeyKind::kDigest;
  info.account = *account;
  info.region = *region;
  info.delivery_time = time;
  info.trail = trail;
  info.home_region = home_region;
  info.backfill = backfill;
  return true;
}

}  // namespace

KeyInfo ParseKey(std::string_view path) {
  std::vector<std::string_view> parts;
  std::size_t start = 0;
  for (std::size_t i = 0; i <= path.size(); ++i) {
    if (i == path.size() || path[i] == '/' || path[i] == '\\') {
      if (i > start) parts.push_back(path.substr(start, i - start));
      start = i + 1;
    }
  }
  KeyInfo info;
  if (parts.empty()) return info;
  const std::string_view name = parts.back();
  if (!ParseLogName(name, info) && !ParseDigestName(name, info)) return KeyInfo{};

  // The directories only add the organization id: `[o-id/]<account>/CloudTrail[-Digest]/`,
  // where the account must be the one the name gives (the name wins). The closest match to the
  // file counts; no AWSLogs/ prefix is required because archive members often lack it.
  const std::string_view marker = info.kind == KeyKind::kLog ? kLogMarker : kDigestMarker;
  for (std::size_t i = parts.size() - 1; i-- > 1;) {
    if (parts[i] == marker && parts[i - 1] == info.account) {
      if (i >= 2 && IsOrgId(parts[i - 2])) info.org_id = parts[i - 2];
      break;
    }
  }
  return info;
}

}  // namespace trailreplay::input

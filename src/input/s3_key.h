// What an input's name says about it: the S3 key layout CloudTrail writes (spec C.2).
//
//   AWSLogs/[<org-id>/]<account>/CloudTrail/<region>/YYYY/MM/DD/
//       <account>_CloudTrail_<region>_<YYYYMMDD>T<HHmm>Z_<unique>.json.gz
//   AWSLogs/[<org-id>/]<account>/CloudTrail-Digest/<region>/YYYY/MM/DD/
//       <account>_CloudTrail-Digest_<region>_<trail>_<home-region>_<YYYYMMDD>T<HHmmss>Z.json.gz
//
// A backfill digest (delivered later for log files a processing delay kept out of the hourly
// digest) ends `_<YYYYMMDD>T<HHmmss>Z_backfill.json.gz`.
//
// The file name alone is enough (exports are often flattened, and archive members keep only
// part of the key); the directory part, when present, fills in what the name lacks (the
// organization id) and is checked for consistency with the name only loosely: the name wins.
// Nothing here touches the file system.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace trailreplay::input {

enum class KeyKind : std::uint8_t {
  kUnknown,  // the name does not follow CloudTrail's layout
  kLog,      // a CloudTrail log file
  kDigest,   // a CloudTrail-Digest file
};

struct KeyInfo {
  KeyKind kind = KeyKind::kUnknown;
  std::string org_id;   // "o-..." for organization trails, else empty
  std::string account;  // 12 digits, empty when unknown
  std::string region;   // e.g. "us-east-1", empty when unknown
  // Delivery time from the file name, epoch seconds UTC (minute precision for log files).
  std::optional<std::int64_t> delivery_time;
  // Digests only: the trail, the trail's home region (the source region is `region`), and
  // whether it is a backfill digest.
  std::string trail;
  std::string home_region;
  bool backfill = false;
};

// Parses a path (a file system path or an archive member name; '/' or '\\' separated) whose
// last component, and possibly its directories, follow the layout above.
KeyInfo ParseKey(std::string_view path);

}  // namespace trailreplay::input

// verify's internal stages, shared by verify.cc (the orchestration and the log files),
// chains.cc (digest statuses, missing digests and gaps) and database_check.cc. Not part of the
// library's interface.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "verify/archive_index.h"
#include "verify/collect.h"
#include "verify/digest_file.h"
#include "verify/public_keys.h"
#include "verify/verify.h"

namespace trailreplay::verify {

// What a digest chain is per: a digest's name says all of it.
struct ChainId {
  std::string org, account, region, trail, home_region;
  bool backfill = false;

  // "[o-org/]account/region/trail/home-region[/backfill]".
  std::string Name() const;
  static ChainId Of(const input::KeyInfo& key);
};

// One digest object, or one digest the chain expects and the archive lacks.
struct DigestRecord {
  std::optional<std::size_t> object;  // absent: missing
  std::optional<DigestFile> digest;   // parsed content
  std::string key, bucket;
  ChainId chain;
  std::string chain_name;
  bool usable = false;  // parsed and where it says it is: it takes part in its chain
  std::optional<DigestStatus> status;
  std::string detail;
  std::optional<std::int64_t> start, end;
  std::vector<std::size_t> successors;  // usable records whose previous digest this is
  bool inferred = false;                // missing, and known only from the chain's cadence
};

struct Analysis {
  const VerifyOptions& options;
  Collection collection;
  std::vector<PublicKey> keys;
  std::optional<ArchiveIndex> index;
  std::vector<DigestRecord> digests;
  std::unordered_map<std::string, std::size_t> digest_by_key;  // usable and missing records
  std::vector<std::string> prefixes;  // bucket prefixes the digests' keys use
  std::vector<LogFinding> logs;
  std::vector<std::size_t> log_objects;  // per log finding: its object, or SIZE_MAX
  std::set<std::size_t> claimed;         // objects some digest names
  std::vector<Gap> gaps;
  std::map<std::string, std::string> chain_notes;  // by chain name
  std::vector<std::string> warnings;

  explicit Analysis(const VerifyOptions& o) : options(o) {}
};

// chains.cc: parses the digests, links them, decides their statuses and the missing ones.
void AnalyzeDigests(Analysis& analysis);
// chains.cc: the gaps of each standard chain, with their evidence (after the log statuses).
void FindGaps(Analysis& analysis);
// database_check.cc: --db.
Result<void> CheckDatabase(Analysis& analysis, VerifyReport& report);
Result<void> StoreReport(const VerifyOptions& options, const VerifyReport& report);

inline constexpr std::int64_t kDigestPeriod = 3600;
// How long after a digest's end its successor may still be on its way.
inline constexpr std::int64_t kDeliveryGrace = std::int64_t{15} * 60;

}  // namespace trailreplay::verify

// `trailreplay verify`: proves, offline, that an exported CloudTrail archive is complete and
// unmodified, with the digest files CloudTrail writes every hour, exactly as AWS defines them
// (src/verify/digest_file.h carries the definitions and their sources).
//
//   inputs      PATHs as scan takes them (collect.h); public keys from list-public-keys output
//   chains      the digests grouped per (organization, account, source region, trail, home
//               region), standard and backfill apart, linked newest to oldest through
//               previousDigestS3Object; each digest's own signature comes from its sidecar, or
//               from its successor's previousDigestSignature (inside signed content)
//   digests     valid (signature verified), chained (authenticated through a verified later
//               digest whose previousDigestHashValue matches it), unauthenticated (consistent,
//               but no key or signature to check), invalid (signature, hash, format or
//               location wrong), missing (referenced by the chain, or owed by its hourly
//               cadence between two known digests, and absent)
//   logs        valid, modified (content hash differs), missing (vouched for, absent),
//               unvouched (present, named by no digest that is not invalid), re-encoded
//               (content matches, but stored uncompressed or in several gzip members)
//   gaps        periods of a standard chain no digest covers: a chain restart, or a lost tip
//               (log files delivered after the newest digest, or --to well after it); each is
//               explained by StopLogging / DeleteTrail / StartLogging (or validation turned off
//               or on) calls on that trail found in vouched logs
//   database    with --db: every input scan counted is vouched for (the archive holds its
//               exact bytes, as the ledger's SHA-256 identifies them, and they decode to a
//               content a digest records), and every vouched log in the range was scanned
//
// The AWS CLI's validate-logs, the only other validator, needs S3 and CloudTrail online and
// misses what the README lists; where it is not wrong, both give the same verdicts
// (tests/verify/verify_matrix.py runs it over the same generated archives).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/result.h"

namespace trailreplay::verify {

struct VerifyOptions {
  std::vector<std::string> paths;
  std::vector<std::string> public_key_files;
  std::optional<std::int64_t> from;  // the period the archive should cover
  std::int64_t to = 0;
  bool to_given = false;  // --to was given: a chain must reach it (not only the logs' end)
  std::string db_path;    // empty: no database check
  unsigned threads = 0;
  std::uint64_t max_document_bytes = std::uint64_t{4} << 30;
  std::string version;       // recorded with a stored result
  std::string options_json;  // how it was invoked, recorded with a stored result
};

enum class DigestStatus : std::uint8_t { kValid, kChained, kUnauthenticated, kInvalid, kMissing };
enum class LogStatus : std::uint8_t { kValid, kModified, kMissing, kUnvouched, kReEncoded };
// A scanned input (--db): its content is a hash some digest records, or not, or the ledger
// has no hash for it (scanned by an older trailreplay); a vouched log the scan did not read.
enum class InputStatus : std::uint8_t { kVouched, kUnvouched, kUnhashed, kUnscanned };

std::string_view DigestStatusName(DigestStatus status);
std::string_view LogStatusName(LogStatus status);
std::string_view InputStatusName(InputStatus status);

struct DigestFinding {
  std::string key;     // relative to the bucket root, as in S3
  std::string bucket;  // "" when unknown
  std::string chain;
  std::string path;  // where it was found ("" when missing)
  DigestStatus status = DigestStatus::kValid;
  std::string detail;
  std::optional<std::int64_t> start, end;  // the period it covers (end only, when missing)
};

struct LogFinding {
  std::string key;
  std::string bucket;
  std::string chain;  // the chain of the digest that names it ("" for an unvouched log)
  std::string path;
  LogStatus status = LogStatus::kValid;
  std::string detail;
  std::optional<std::int64_t> delivered;  // from its name
};

struct Evidence {
  std::string key;  // the log file the event is in
  std::string event_id, event_name, event_time;
};

struct Gap {
  std::string chain;
  std::int64_t start = 0, end = 0;
  bool explained = false;
  std::vector<Evidence> evidence;
  std::string detail;
};

struct InputFinding {
  std::string path, member;  // as the ledger names the input ("" for an unscanned log)
  std::string key;           // the log it is (vouched), or the log the scan missed (unscanned)
  InputStatus status = InputStatus::kVouched;
  std::string detail;
};

struct ChainSummary {
  std::string chain;
  std::uint64_t digests = 0;  // found at their place, in range
  std::optional<std::int64_t> first_start, last_end;
  bool authenticated = false;  // every digest of it valid or chained
  std::string note;            // e.g. "begins part-way: ..."
};

struct VerifyReport {
  std::vector<DigestFinding> digests;
  std::vector<LogFinding> logs;
  std::vector<Gap> gaps;
  std::vector<ChainSummary> chains;
  bool database_checked = false;
  std::vector<InputFinding> inputs;  // --db
  std::vector<std::string> warnings;
  std::uint64_t files = 0, other_files = 0, keys = 0;
  std::optional<std::int64_t> from;
  std::int64_t to = 0;

  // Everything that makes the exit status 3.
  std::uint64_t Problems() const;
};

// Fatal errors (an unreadable or malformed key file, an unopenable database) are returned as
// Error; everything found in the archive is in the report.
Result<VerifyReport> RunVerify(const VerifyOptions& options);

// The report as one JSON object: {"digests":[...], "logs":[...], "gaps":[...],
// "database": {...} (with --db), "summary": {...}, "warnings": [...]}.
std::string ReportJson(const VerifyReport& report);
// The summary object alone (also what the database keeps of each run).
std::string SummaryJson(const VerifyReport& report);

}  // namespace trailreplay::verify

// What reading one input (a file, or one archive member) produced, handed from a scan worker
// to the single database writer. Workers evaluate; only the writer decides what counts,
// because duplicates are decided against everything stored before, in input order.
//
// Nothing here owns a database handle; it is plain data, sized by what matched (raw records
// are kept only for matching events), so a result stays small however large its input.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "store/seen_ids.h"

namespace trailreplay::store {

// One record that passed parsing and the scan's time/account/region scope.
struct CountedEvent {
  std::int64_t stamp = 0;       // epoch second it is counted at (eventTime or delivery)
  std::int64_t event_time = 0;  // its eventTime (the duplicate check's partition)
  EventKey key;                 // its eventID's dedup key (seen_ids.h)
  bool has_key = false;         // false: no eventID, never treated as a duplicate
  std::uint32_t first_hit = 0;  // its hits in InputResult::hits
  std::uint32_t hit_count = 0;
  std::int32_t detail = -1;  // index in InputResult::details when it matched a filter
};

// One filter an event matched.
struct FilterHit {
  std::uint32_t filter = 0;  // index in the scan's filter set
  bool publish = false;      // false: matched, but the metric value or a dimension was unreadable
  bool rejected = false;     // the value read is one CloudWatch rejects: not published
  double value = 0;
  std::string dimensions;  // canonical JSON object of dimension values, "{}" when none
};

// What is stored for a matching event.
struct EventDetail {
  std::optional<std::string> event_id;
  std::int64_t event_time = 0;
  std::optional<std::string> account, region, event_source, event_name, error_code, source_ip,
      principal_arn, user_agent;
  std::uint64_t record_index = 0;
  std::string raw;          // the record's JSON text, or its frame when compressed
  bool compressed = false;  // raw is a frame against the writer's dictionary (record_codec.h)
};

// Bad input met while reading (one row of scan_errors).
struct InputError {
  std::optional<std::uint64_t> offset;
  std::optional<std::uint64_t> record_index;
  std::string kind;  // "io", "gzip", "limit", "json", "record", "time", "archive", "changed"
  std::string message;
};

enum class InputStatus : std::uint8_t {
  kOk,       // read completely
  kPartial,  // some records could not be counted (bad records, or a break: truncated,
             // corrupt); every record that could be read is counted
  kError,    // nothing could be read
  kSkipped,  // not CloudTrail records (digest, other JSON, not JSON)
  kRetry,    // could not be opened (permission, vanished): not recorded as done
  kRefused,  // over a limit (--max-document-mb): nothing counted, and recorded as refused
             // rather than done, so that a scan with a higher limit reads it
};

struct InputResult {
  std::string path;
  std::string member;  // archive member name, "" for a plain file
  std::uint64_t size = 0;
  std::int64_t mtime_ns = 0;
  std::string kind;  // DocumentKindName, or "archive"
  InputStatus status = InputStatus::kOk;
  std::string message;
  std::optional<std::string> key_account, key_region;
  std::optional<std::int64_t> delivery_time;

  std::uint64_t records = 0;       // records read (bad ones included)
  std::uint64_t out_of_scope = 0;  // records outside --from/--to/--account/--region
  std::uint64_t bad_records = 0;
  std::uint64_t bytes = 0;  // decoded bytes, for throughput
  // SHA-256 (hex) of the input's bytes as stored (the file, or the archive member), every byte
  // read: `verify --db` finds these bytes in the archive, decodes them and matches their
  // content against what the digests vouch for. Unset when nothing could be read.
  std::optional<std::string> stored_sha256;

  // More results of this input follow. A big input is handed to the writer in parts, so that
  // what it yields is never held whole: each part's counts (records, out_of_scope,
  // bad_records, bytes) and rows are its own; status, message and kind are the input's so far,
  // and the last part's are what the ledger keeps. The writer commits an input's parts in one
  // transaction, so a scan that stops part-way through it leaves nothing of it.
  bool more = false;

  std::vector<CountedEvent> events;
  std::vector<FilterHit> hits;
  std::vector<EventDetail> details;
  std::vector<InputError> errors;
};

std::string_view InputStatusName(InputStatus status);

}  // namespace trailreplay::store

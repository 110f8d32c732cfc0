// The scan pipeline: inputs in, database rows out.
//
//   discovery      PATHs -> files in a fixed order (input/discovery.h); files the ledger
//                  already holds under this scan's scope, and files whose S3 key shows they
//                  cannot hold events in scope, are not read; the rest are put in input order,
//                  by the delivery time in their S3 key (files without one first)
//   workers (N)    take the next file, read it (plain, gzip, or archive member by member),
//                  walk a log's records in one simdjson pass over the document (or, for the
//                  other kinds and for irregular logs, split it into records, event/records.h,
//                  and parse each), evaluate every filter on each record's one extraction,
//                  and produce an InputResult per file or member
//   writer (1)     takes results strictly in input order, whatever order the workers finish
//                  in, so duplicates resolve to the same copy on every run, and commits them
//                  in batches (store/writer.h); it polls for results every few milliseconds
//                  rather than being woken for each
//
// Workers run at most a bounded amount of results ahead of the writer (they wait otherwise),
// so memory stays bounded whatever the input size. A stop request (Ctrl-C) lets workers finish
// the file in hand, the writer commit everything complete, and the scan return "interrupted";
// the next scan continues where this one stopped.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "common/result.h"
#include "input/s3_key.h"
#include "metric/filter_set.h"

namespace trailreplay::scan {

struct ScanOptions {
  std::vector<std::string> paths;
  std::string db_path;
  std::vector<metric::MetricFilterSpec> filters;
  unsigned threads = 0;                  // 0: one per core
  std::optional<std::int64_t> from, to;  // [from, to), epoch seconds
  // How long after an event its file may be delivered: files delivered more than this after
  // --to are not read (and files delivered before --from never are).
  std::int64_t max_delivery_delay = 86400;
  std::vector<std::string> accounts, regions;
  bool delivery_basis = false;
  bool keep_duplicates = false;
  bool strict = false;
  // Another scan is writing the database: wait for it (true) or fail at once (false).
  bool wait_for_other_scan = false;
  // Inputs that decode to more than this are refused (recorded as refused, so a scan with a
  // higher limit reads them); 0: no limit. Memory does not depend on it: big inputs are read
  // a window at a time.
  std::uint64_t max_document_bytes = 0;
  // The largest record read: a longer one (a line, an element of a Records array) is a bad
  // record, passed over without being held, and the rest of the input is counted. With the
  // window, it bounds a scan's memory per worker.
  std::uint64_t max_record_bytes = std::uint64_t{16} << 20;
  // Inputs (files and archive members) larger than this as stored, and gzip content that
  // inflates past 16 MiB, are read a window of this many bytes at a time rather than whole.
  // Tests lower them to split small inputs.
  std::uint64_t stream_above_bytes = std::uint64_t{16} << 20;
  std::size_t stream_window_bytes = std::size_t{16} << 20;
  // What one input's results may hold before a part of them goes to the writer.
  std::uint64_t part_bytes = std::uint64_t{4} << 20;
  // Results the workers may hold ahead of the writer before they wait: this much for the
  // files after the writer's, and as much again for the file it is writing (whose parts it
  // drains as they come). Tests lower it to keep a worker a part or two ahead.
  std::uint64_t buffer_bytes = std::uint64_t{32} << 20;
  // `scan --manifest`: each path's ordinal in the plan, parallel to `paths`; it is the file's
  // place in the input order (after its delivery time) instead of its place among the files
  // found, so that the parts of a plan order their inputs as one scan of everything would.
  std::vector<std::int64_t> path_ordinals;
  // The manifest's identity (JSON), kept as meta 'manifest' for `merge`; empty: none.
  std::string manifest_json;
  std::string version;
  std::string options_json;  // how the scan was invoked, for the run log
  // The --rules sources as a JSON array, recorded so replay can default to them.
  std::string rules_sources_json = "[]";
};

struct FilterTotal {
  std::string name;
  std::uint64_t matches = 0;
  // Matches whose metric value CloudWatch rejects (metric::AcceptedMetricValue): counted as
  // matches, nothing published.
  std::uint64_t rejected_values = 0;
};

struct ScanSummary {
  std::int64_t scan_id = 0;
  std::string status;                // "complete", "interrupted", "stopped" (--strict)
  std::uint64_t files = 0;           // files found
  std::uint64_t files_pruned = 0;    // not read: their S3 key is outside the scope
  std::uint64_t files_already = 0;   // not read: already in the ledger
  std::uint64_t inputs_read = 0;     // files and archive members read
  std::uint64_t inputs_skipped = 0;  // read, but not CloudTrail records (digest, other JSON)
  std::uint64_t inputs_failed = 0;   // read with errors
  // Over a limit (--max-document-mb): not counted, and read again by a scan with a higher one.
  std::uint64_t inputs_refused = 0;
  // Ran out of memory while read: not counted, and read again by the next scan.
  std::uint64_t inputs_out_of_memory = 0;
  std::uint64_t records = 0;
  std::uint64_t events = 0;  // counted
  std::uint64_t duplicates = 0;
  std::uint64_t out_of_scope = 0;
  std::uint64_t bad_records = 0;
  std::uint64_t errors = 0;         // scan_errors rows
  std::uint64_t bytes_read = 0;     // as stored
  std::uint64_t bytes_decoded = 0;  // after decompression
  double seconds = 0;
  std::vector<FilterTotal> filters;
  std::string first_error;  // for --strict and the one-line hint
};

struct Progress {
  std::uint64_t files_done = 0, files_total = 0;
  std::uint64_t bytes_done = 0, bytes_total = 0;
  std::uint64_t events = 0;
  double seconds = 0;
};

struct ScanHooks {
  // Called from the writer thread about every `progress_every`, and once at the end.
  std::function<void(const Progress&)> progress;
  std::chrono::milliseconds progress_every{200};
  // Called once per bad input, as it is written (the one-line warnings).
  std::function<void(const std::string& line)> warning;
  // Set to request a clean stop (SIGINT).
  const std::atomic<bool>* stop = nullptr;
};

// True when a file's S3 key shows it cannot hold events in the scan's scope (`plan` prunes
// by it too).
bool PrunedByKey(const ScanOptions& options, const input::KeyInfo& key);

// Fatal errors (bad options, unwritable database, a different filter set in the database)
// are returned as Error; bad input is counted in the summary.
Result<ScanSummary> RunScan(const ScanOptions& options, const ScanHooks& hooks);

// The summary as one JSON object (what `scan --json` prints and the run log keeps).
std::string SummaryJson(const ScanSummary& summary);

}  // namespace trailreplay::scan

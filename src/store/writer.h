// The single writer of a scan: takes InputResults in input order and turns them into rows.
//
// For each counted event it decides, against the whole database, whether its eventID was seen
// before (seen_ids.h; skipped with --keep-duplicates); for each new one it adds to the minute
// totals, the filters' 300-second buckets and the metric series' per-minute samples (a
// matching event publishes its value, a non-matching one the filter's defaultValue, if any),
// and stores matching events with their raw record. Aggregates are summed in memory and
// upserted once per batch. A batch is one transaction that also writes each input's ledger
// row and error rows, so after a crash the database holds whole inputs or nothing of them,
// and the next scan re-reads exactly the inputs that are missing.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <tuple>
#include <unordered_map>
#include <vector>

#include "common/result.h"
#include "metric/filter_set.h"
#include "store/database.h"
#include "store/event_strings.h"
#include "store/input_keys.h"
#include "store/input_result.h"
#include "store/record_codec.h"
#include "store/seen_ids.h"

namespace trailreplay::store {

// Settings a database is created with; later scans must use the same ones.
struct StoreSettings {
  std::string time_basis = "event";  // "event" or "delivery"
  bool keep_duplicates = false;
  // Registering for import-samples rather than a scan. A database holds one or the other:
  // imported samples carry no eventIDs, so a scan added to them (or an import added to a
  // scan) could count an event twice.
  bool importing = false;
};

// Registers the scan's filters (and settings) in the database: on first use they are
// stored; later scans must bring the same ones, or the counts would mix. Returns each
// filter's filter_id, in the order of `filters`.
Result<std::vector<std::int64_t>> RegisterFilters(Database& db, const metric::FilterSet& filters,
                                                  const StoreSettings& settings);

// The manifest a scan reads (`scan --manifest`, JSON naming the plan and the shard; empty for
// a scan of PATHs): kept as meta 'manifest'. A database holds one manifest's inputs or PATHs'
// inputs, never a mix, since `merge` orders a part's inputs by one or the other.
Result<void> RecordManifest(Database& db, std::string_view manifest_json);

// What the ledger holds of one input recorded under a scope: enough to skip it, and for an
// archive resumed part-way, to count the members read before into its own row.
struct LedgerEntry {
  std::uint64_t size = 0;
  std::int64_t mtime_ns = 0;
  std::string kind;
  std::string status;
  std::uint64_t records = 0, out_of_scope = 0, bad_records = 0;
};

// The ledger read one path at a time through the UNIQUE (path, member, scope) index, so that a
// rescan holds the rows of the input in hand, not every row of the history (a year of an
// account's files is about 420,000 rows, which held whole took over 500 MB).
class LedgerReader {
 public:
  static Result<LedgerReader> Open(Database& db, std::string scope);

  struct PathRows {
    std::optional<LedgerEntry> file;  // the file's own row (member '')
    // Its members' rows, read only when `want_members` says so for the file's row.
    std::unordered_map<std::string, LedgerEntry> members;
  };
  // The rows of `path`. The members are read only when `want_members(file row or null)` is
  // true, so that an archive the file row shows done is skipped without reading them.
  Result<PathRows> Read(std::string_view path,
                        const std::function<bool(const LedgerEntry*)>& want_members);

 private:
  Statement by_path_;
  std::string scope_;
};

// The indexes of events by eventID, principal, source IP and event name (schema/010)
// are the ones whose keys arrive in random order: each insert lands on a leaf page of its own,
// and once an index outgrows the page cache every stored event reads a page back and writes
// one to the WAL (the eventID index alone was a fifth of a scan's time when every record
// matches; the other three, 11% of the whole CIS pack's). Built once over a finished table
// each is a sort instead. So a scan into a database that holds no events yet (a first scan)
// drops them and builds them when done; a scan into one that holds events keeps them, and
// first rebuilds them if a first scan died before it could. Returns whether they are now
// left to build.
Result<bool> DeferEventIndexes(Database& db);
// Builds those of them that are missing (a no-op otherwise).
Result<void> BuildEventIndexes(Database& db);

// Rewrites the database (VACUUM) when its free pages, plus `also_free` bytes freed inside
// pages, are over a quarter of the file: after schema 10's migration (the old events table's
// pages), or compression of an all-text database. The end of a scan calls it; the room is
// otherwise reused by later rows, but a file never shrinks by itself.
Result<void> VacuumIfLargelyFree(Database& db, std::uint64_t also_free = 0);

// The run log. A scan that was killed, ran out of memory or hit a full disk left its row
// `running`; the next scan (holding the write lock, so none is running) marks such rows
// `interrupted`.
Result<void> MarkAbandonedScans(Database& db);
Result<std::int64_t> BeginScanRecord(Database& db, std::string_view version,
                                     std::string_view options_json, std::string_view started_at);
Result<void> FinishScanRecord(Database& db, std::int64_t scan_id, std::string_view status,
                              std::string_view summary_json, std::string_view finished_at);

class Writer {
 public:
  struct FilterTarget {
    std::int64_t filter_id = 0;
    std::string metric_namespace;
    std::string metric_name;
    std::optional<double> default_value;
  };

  static Result<Writer> Create(Database& db, std::vector<FilterTarget> filters, std::string scope,
                               std::int64_t scan_id, bool keep_duplicates);
  Writer(Writer&&) noexcept;
  Writer& operator=(Writer&&) noexcept;
  ~Writer();  // waits for a dictionary still being trained

  // An input's place in the scan's input order (schema/008_merge.sql): the delivery time of
  // its file's S3 key (none: first) and the file's ordinal. `merge` orders parts' inputs by it.
  struct InputOrder {
    std::optional<std::int64_t> time;
    std::int64_t seq = 0;
  };
  // Adds one input's results, or one part of them (InputResult::more), to the current batch
  // (opening a transaction if needed), with the eventID keys it counted (store/input_keys.h)
  // unless duplicates are kept. An input's first part commits the batch before it, so that its
  // transaction holds it alone; a refused result after parts of the same input rolls them
  // back (the input ran out of memory part-way), then records it as refused.
  Result<void> Add(InputResult& input, const InputOrder& order);
  // Writes the batch's aggregates and commits. A no-op without a pending batch. While an input
  // handed over in parts is open, the aggregates and seen keys are written into the
  // transaction (bounding what is held in memory) and the commit waits for its last part.
  Result<void> Commit();
  // Rolls back an input whose last part never came (the scan stopped part-way through it).
  // A no-op when no input is open.
  Result<void> Abandon();
  bool input_open() const { return open_.has_value(); }
  // Errors not tied to an input that was read (discovery): a scan_errors row.
  Result<void> AddError(std::string_view path, std::string_view member, const InputError& error);

  std::uint64_t pending_inputs() const { return pending_inputs_; }
  std::uint64_t pending_events() const { return pending_events_; }

  struct Totals {
    std::uint64_t inputs = 0;
    std::uint64_t events = 0;             // counted
    std::uint64_t duplicates = 0;         // dropped
    std::uint64_t errors = 0;             // scan_errors rows written
    std::vector<std::uint64_t> matches;   // per filter
    std::vector<std::uint64_t> rejected;  // per filter: values CloudWatch rejects, unpublished
  };
  const Totals& totals() const { return totals_; }

  // The dictionary raw records are compressed with (record_codec.h) once the database has one
  // committed, null before: the scan's workers compress with it, so that the writer only
  // writes. A database without one trains it from the first RecordDictionary::kSampleBytes of
  // records stored (on a thread of its own, while the scan goes on), and it comes into use
  // once committed: a compressed record never names a dictionary the database lacks.
  const RecordDictionary* dictionary() const;
  // Why this scan's dictionary could not be trained ("" if it was, or none was tried): its
  // records are then stored as text, and the next scan tries again.
  std::string DictionaryProblem() const;
  // Compresses the records stored as text before the database had a dictionary (this scan's
  // first ones, or a whole database written by an older version), in batches of their own
  // transactions: as soon as the dictionary is in use (the scan's next records then fill the
  // pages this frees), and when `finishing` the scan, where it first waits for a dictionary
  // still being trained. A stop leaves the rest to the next scan. A no-op once done, and
  // while an input handed over in parts is open.
  Result<void> CompressTextRecords(const std::atomic<bool>* stop, bool finishing);
  // Bytes the compression `finishing` the scan made rows smaller by: room left inside pages,
  // which the free list does not count (VacuumIfLargelyFree's `also_free`).
  std::uint64_t finishing_saved() const { return finishing_saved_; }

 private:
  explicit Writer(Database& db);
  struct Dictionaries;
  Result<void> LoadDictionary();
  Result<void> StoreTrainedDictionary();
  Result<void> Begin();
  Result<std::int64_t> SeriesId(std::size_t filter, const std::string& dimensions);

  Result<void> WriteAggregates();
  void ClearAggregates();

  Database* db_;
  std::vector<FilterTarget> filters_;
  std::string scope_;
  std::int64_t scan_id_ = 0;
  bool keep_duplicates_ = false;
  bool in_transaction_ = false;
  std::uint64_t pending_inputs_ = 0;
  std::uint64_t pending_events_ = 0;
  std::uint64_t finishing_saved_ = 0;
  Totals totals_;
  // The input whose parts are being added: its counts so far, and the totals before it.
  struct OpenInput {
    std::uint64_t records = 0, out_of_scope = 0, bad_records = 0, duplicates = 0;
    Totals before;
  };
  std::optional<OpenInput> open_;

  std::optional<SeenIds> seen_;
  std::optional<EventStrings> strings_;  // always set once created
  Statement insert_input_;
  Statement upsert_input_;
  Statement insert_event_;
  Statement insert_match_;
  Statement insert_error_;
  Statement insert_keys_;
  Statement upsert_total_;
  Statement upsert_bucket_;
  Statement upsert_sample_;
  Statement upsert_value_;
  Statement find_series_;
  Statement insert_series_;

  // Per-batch aggregates.
  struct SampleAgg {
    std::int64_t count = 0;
    double sum = 0, min = 0, max = 0;
  };
  struct BucketAgg {
    std::int64_t matches = 0;
    double value_sum = 0;
  };
  std::map<std::int64_t, std::int64_t> minute_totals_;
  std::int64_t last_minute_ = 0;
  std::int64_t* last_minute_total_ = nullptr;  // minute_totals_[last_minute_], the usual case
  std::map<std::pair<std::size_t, std::int64_t>, BucketAgg> buckets_;
  std::map<std::pair<std::int64_t, std::int64_t>, SampleAgg> samples_;
  std::map<std::tuple<std::int64_t, std::int64_t, double>, std::int64_t> values_;
  std::map<std::pair<std::size_t, std::string>, std::int64_t> series_ids_;
  std::vector<std::int64_t> plain_series_;  // per filter: the series without dimensions, or 0
  KeyChunkWriter keyed_;                    // the input in hand's counted keys
  std::unique_ptr<Dictionaries> dictionaries_;
};

}  // namespace trailreplay::store

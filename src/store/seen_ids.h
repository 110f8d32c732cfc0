// The duplicate check's memory: which eventIDs a database has counted, across all its scans.
//
// An eventID becomes a 16-byte key: a GUID (what CloudTrail writes) is its own 128 bits, read
// case-insensitively; any other text is hashed to 128 bits (MurmurHash3 x64-128), so two
// different non-GUID IDs are taken for one with a probability near 2^-128 per pair.
//
// Keys are kept per UTC hour of the event's eventTime (a duplicate is the same event delivered
// twice, so both copies carry the same eventTime). In the database, table seen_ids holds each
// hour's keys as blobs of packed keys, one row per commit that added to the hour; in memory, an
// hour is loaded when an event of it first arrives and dropped, least recently used first, once
// more than `budget_keys` keys are resident. Memory is thus bounded by the budget (or by the
// largest single hour) however long the history, and a scan of time-ordered files loads each
// hour once.
//
// Keys added since the last Flush() are written by it, inside the caller's transaction: they
// become durable exactly when the ledger rows of the inputs they came from do.
#pragma once

#include <cstdint>
#include <cstring>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "common/result.h"
#include "store/database.h"

namespace trailreplay::store {

struct EventKey {
  std::uint8_t bytes[16] = {};

  friend bool operator==(const EventKey& a, const EventKey& b) {
    return std::memcmp(a.bytes, b.bytes, sizeof a.bytes) == 0;
  }
};

// The key of an eventID (see above).
EventKey KeyOfEventId(std::string_view event_id);

// An open-addressing set of keys (linear probing, at most three quarters full: against half,
// 10 MiB less peak RSS and 1.02x faster in a default scan of perf/make-corpus.py's 1 GB).
class KeySet {
 public:
  // True when `key` was not in the set (it is now).
  bool Insert(const EventKey& key);
  bool Contains(const EventKey& key) const;
  std::size_t size() const { return size_; }
  // Bytes held, for the memory budget.
  std::size_t capacity() const { return slots_.size(); }

  template <typename F>
  void ForEach(F&& f) const {
    if (has_zero_) f(EventKey{});
    for (const EventKey& k : slots_) {
      if (!(k == EventKey{})) f(k);
    }
  }

 private:
  std::size_t Slot(const EventKey& key) const;
  void Grow();

  std::vector<EventKey> slots_;  // the all-zero key marks an empty slot
  std::size_t size_ = 0;         // keys held, has_zero_ included
  bool has_zero_ = false;        // the all-zero key itself is in the set
};

class SeenIds {
 public:
  static constexpr std::size_t kDefaultBudgetKeys = std::size_t{1} << 19;

  // Prepares the statements and loads the keys of databases written before schema 4 (table
  // seen_events, which had no time): those stay resident and are checked for every hour.
  static Result<SeenIds> Open(Database& db, std::size_t budget_keys = kDefaultBudgetKeys);

  // True when `key` is new in its hour (and records it); false for a duplicate.
  Result<bool> Insert(std::int64_t event_time, const EventKey& key);

  // Writes the keys added since the last call (inside the caller's transaction).
  Result<void> Flush();

  // After a commit: drops least recently used hours until the budget holds.
  void Trim();

  // After the caller's transaction was rolled back: forgets every hour held, since what they
  // hold may include keys of the rolled-back rows (they are read again from the database when
  // next needed). The keys of databases before schema 4 stay.
  void Forget();

  std::size_t resident_keys() const { return resident_; }
  std::size_t loaded_hours() const { return hours_.size(); }

 private:
  struct Hour {
    KeySet keys;
    std::vector<EventKey> pending;  // added since the last Flush
    std::int64_t next_chunk = 0;
    std::int64_t chunks = 0;  // rows in seen_ids
    std::uint64_t last_use = 0;
  };

  SeenIds() = default;
  Result<Hour*> Load(std::int64_t hour);

  std::size_t budget_ = kDefaultBudgetKeys;
  std::size_t resident_ = 0;  // keys in loaded hours
  std::uint64_t clock_ = 0;
  std::unordered_map<std::int64_t, Hour> hours_;
  std::int64_t last_hour_ = 0;
  Hour* last_ = nullptr;  // the hour of the previous Insert, the usual case
  KeySet legacy_;
  Statement load_, insert_, clear_;
};

}  // namespace trailreplay::store

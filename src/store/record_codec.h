// How a matching event's raw record is stored: a zstd frame compressed against a dictionary
// trained on the database's own records (events.raw as a BLOB), or the JSON text itself
// (events.raw as TEXT) for the records stored before the database had a dictionary.
//
// A CloudTrail record is 1-2 KB of JSON whose keys and much of whose values (service names,
// ARNs of the same roles, user agents) repeat from record to record but hardly within one, so
// compressed alone a record shrinks about 1.8x; against a dictionary of what records share it
// shrinks 4-8x (perf/README.md, "Raw records"). The frame names its dictionary by zstd's
// dictionary ID (derived from the dictionary's content), and schema/009_record_dictionaries.sql
// keeps each dictionary under that ID, so a database reads back every record it holds,
// merged parts' included, and `record_json()` (record_sql.h) turns either form back into text.
//
// Nothing here touches SQLite: the scan's workers compress, and the SQL function, built into
// trailreplay and into the loadable extension, decompresses.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

struct ZSTD_CDict_s;
struct ZSTD_CCtx_s;
struct ZSTD_DDict_s;
struct ZSTD_DCtx_s;

namespace trailreplay::store {

// A trained dictionary, immutable once made: one compressor per thread may use it at once.
class RecordDictionary {
 public:
  // What a dictionary is trained on: the first records stored, up to this many bytes of them
  // (about 3,000 CloudTrail records; more gained under 3% on the corpora measured).
  static constexpr std::size_t kSampleBytes = std::size_t{4} << 20;
  static constexpr std::size_t kCapacity = std::size_t{64} << 10;

  // Trains on `samples` (records' JSON text). Fails (a message) when they are too few or too
  // alike for zstd to find anything: the records are then stored as text.
  static std::optional<RecordDictionary> Train(const std::vector<std::string>& samples,
                                               std::string* error);
  // One stored before (record_dictionaries.dictionary).
  static std::optional<RecordDictionary> FromBytes(std::string bytes, std::string* error);

  RecordDictionary(RecordDictionary&&) noexcept;
  RecordDictionary& operator=(RecordDictionary&&) noexcept;
  ~RecordDictionary();

  std::uint32_t id() const { return id_; }
  const std::string& bytes() const { return bytes_; }

 private:
  friend class RecordCompressor;
  RecordDictionary() = default;
  std::uint32_t id_ = 0;
  std::string bytes_;
  ZSTD_CDict_s* cdict_ = nullptr;
};

// Compresses records against one dictionary; one per thread.
class RecordCompressor {
 public:
  explicit RecordCompressor(const RecordDictionary& dictionary);
  ~RecordCompressor();
  RecordCompressor(const RecordCompressor&) = delete;
  RecordCompressor& operator=(const RecordCompressor&) = delete;

  const RecordDictionary* dictionary() const { return dictionary_; }
  // `out` becomes the frame (replacing what it held).
  void Compress(std::string_view json, std::string& out);

 private:
  const RecordDictionary* dictionary_;
  ZSTD_CCtx_s* cctx_;
  std::string buffer_;
};

// Decompresses stored records, finding each frame's dictionary through `lookup` (its bytes, or
// nothing when the database has no dictionary of that ID) and keeping the ones it has made.
class RecordDecompressor {
 public:
  using Lookup = std::function<std::optional<std::string>(std::uint32_t dictionary_id)>;
  explicit RecordDecompressor(Lookup lookup);
  ~RecordDecompressor();
  RecordDecompressor(const RecordDecompressor&) = delete;
  RecordDecompressor& operator=(const RecordDecompressor&) = delete;

  // The record's text in `out`; false with `error` when the blob is not a frame this
  // database can read (not zstd, a dictionary it lacks, damaged, over `max_bytes`).
  bool Decompress(std::string_view frame, std::size_t max_bytes, std::string& out,
                  std::string& error);

 private:
  Lookup lookup_;
  ZSTD_DCtx_s* dctx_;
  std::unordered_map<std::uint32_t, ZSTD_DDict_s*> dictionaries_;
};

}  // namespace trailreplay::store

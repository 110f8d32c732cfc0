// The eventID keys an input counted, packed into blobs (table input_keys, one row per batch of
// the input's records written, schema/008_merge.sql): what `merge` needs to decide, across
// databases, which copy of an event delivered twice one scan of everything would have kept.
//
// A blob is a sequence of chunks: a 4-byte little-endian count, then
// per event its 16-byte key, a zig-zag varint of its eventTime minus the previous event's in
// the chunk (the first: minus 0) and a zig-zag varint of (counted minute - eventTime's minute)
// / 60 (0 with the eventTime basis). About 18 bytes an event, against the ~1 KB of its record.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "store/seen_ids.h"

namespace trailreplay::store {

struct KeyedEvent {
  EventKey key;
  std::int64_t event_time = 0;
  std::int64_t minute = 0;  // the minute it was counted in (epoch seconds, multiple of 60)
};

// Encodes events into chunks of at most kChunkEvents (about 1.2 MB), each to be one row: the
// scan's writer encodes an input's keys as it decides them (18 bytes an event held, not the
// 32 of a KeyedEvent), and no row is big enough for SQLite's copy of it to matter.
class KeyChunkWriter {
 public:
  static constexpr std::uint32_t kChunkEvents = 65536;
  void Add(const KeyedEvent& e);
  void Clear();
  std::size_t chunks() const { return starts_.size(); }
  std::string_view chunk(std::size_t i) const;

 private:
  void PatchCount() const;  // the last chunk's count, into its header
  mutable std::string bytes_;
  std::vector<std::size_t> starts_;
  std::uint32_t in_chunk_ = 0;
  std::int64_t previous_ = 0;
};

// Decodes every chunk of a blob; an error for a damaged one.
Result<std::vector<KeyedEvent>> DecodeKeys(std::string_view blob);

}  // namespace trailreplay::store

// The eventID keys an input counted, packed into one blob per input (table input_keys,
// schema/008_merge.sql): what `merge` needs to decide, across databases, which copy of an event
// delivered twice one scan of everything would have kept.
//
// A blob is a sequence of chunks (an input re-read later appends one): a varint count, then
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

// Appends one chunk holding `events`.
void EncodeKeyChunk(const std::vector<KeyedEvent>& events, std::string& out);

// Decodes every chunk of a blob; an error for a damaged one.
Result<std::vector<KeyedEvent>> DecodeKeys(std::string_view blob);

}  // namespace trailreplay::store

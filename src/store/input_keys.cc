#include "store/input_keys.h"

#include <cstring>

#include "common/time.h"

namespace trailreplay::store {
namespace {

void PutVarint(std::uint64_t v, std::string& out) {
  while (v >= 0x80) {
    out.push_back(static_cast<char>((v & 0x7f) | 0x80));
    v >>= 7;
  }
  out.push_back(static_cast<char>(v));
}

std::uint64_t ZigZag(std::int64_t v) {
  return (static_cast<std::uint64_t>(v) << 1) ^ static_cast<std::uint64_t>(v >> 63);
}

std::int64_t UnZigZag(std::uint64_t v) {
  return static_cast<std::int64_t>(v >> 1) ^ -static_cast<std::int64_t>(v & 1);
}

bool GetVarint(std::string_view in, std::size_t& pos, std::uint64_t& v) {
  v = 0;
  for (int shift = 0; shift < 64; shift += 7) {
    if (pos >= in.size()) return false;
    const auto byte = static_cast<std::uint8_t>(in[pos++]);
    v |= static_cast<std::uint64_t>(byte & 0x7f) << shift;
    if ((byte & 0x80) == 0) return true;
  }
  return false;
}

}  // namespace

void EncodeKeyChunk(const std::vector<KeyedEvent>& events, std::string& out) {
  PutVarint(events.size(), out);
  std::int64_t previous = 0;
  for (const KeyedEvent& e : events) {
    out.append(reinterpret_cast<const char*>(e.key.bytes), sizeof e.key.bytes);
    PutVarint(ZigZag(e.event_time - previous), out);
    previous = e.event_time;
    PutVarint(ZigZag((e.minute - FloorTo(e.event_time, kMinuteSeconds)) / kMinuteSeconds), out);
  }
}

Result<std::vector<KeyedEvent>> DecodeKeys(std::string_view blob) {
  std::vector<KeyedEvent> events;
  std::size_t pos = 0;
  auto damaged = [&] {
    return MakeError(ErrorCode::kInvalidArgument,
                     "damaged input_keys blob at byte " + std::to_string(pos));
  };
  while (pos < blob.size()) {
    std::uint64_t count = 0;
    if (!GetVarint(blob, pos, count) || count > blob.size()) return damaged();
    std::int64_t previous = 0;
    for (std::uint64_t i = 0; i < count; ++i) {
      KeyedEvent e;
      if (blob.size() - pos < sizeof e.key.bytes) return damaged();
      std::memcpy(e.key.bytes, blob.data() + pos, sizeof e.key.bytes);
      pos += sizeof e.key.bytes;
      std::uint64_t delta = 0, minute = 0;
      if (!GetVarint(blob, pos, delta) || !GetVarint(blob, pos, minute)) return damaged();
      e.event_time = previous + UnZigZag(delta);
      previous = e.event_time;
      e.minute = FloorTo(e.event_time, kMinuteSeconds) + UnZigZag(minute) * kMinuteSeconds;
      events.push_back(e);
    }
  }
  return events;
}

}  // namespace trailreplay::store

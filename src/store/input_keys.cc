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

void KeyChunkWriter::Add(const KeyedEvent& e) {
  if (starts_.empty() || in_chunk_ == kChunkEvents) {
    starts_.push_back(bytes_.size());
    bytes_.append(4, '\0');
    in_chunk_ = 0;
    previous_ = 0;
  }
  bytes_.append(reinterpret_cast<const char*>(e.key.bytes), sizeof e.key.bytes);
  PutVarint(ZigZag(e.event_time - previous_), bytes_);
  previous_ = e.event_time;
  PutVarint(ZigZag((e.minute - FloorTo(e.event_time, kMinuteSeconds)) / kMinuteSeconds), bytes_);
  ++in_chunk_;
  // The count is written when the chunk is full, or read (chunk()).
  if (in_chunk_ == kChunkEvents) PatchCount();
}

void KeyChunkWriter::PatchCount() const {
  if (starts_.empty()) return;
  for (int i = 0; i < 4; ++i) {
    bytes_[starts_.back() + static_cast<std::size_t>(i)] =
        static_cast<char>((in_chunk_ >> (8 * i)) & 0xff);
  }
}

void KeyChunkWriter::Clear() {
  bytes_.clear();
  starts_.clear();
  in_chunk_ = 0;
}

std::string_view KeyChunkWriter::chunk(std::size_t i) const {
  if (i + 1 == starts_.size()) PatchCount();
  const std::size_t end = i + 1 < starts_.size() ? starts_[i + 1] : bytes_.size();
  return std::string_view(bytes_).substr(starts_[i], end - starts_[i]);
}

Result<std::vector<KeyedEvent>> DecodeKeys(std::string_view blob) {
  std::vector<KeyedEvent> events;
  std::size_t pos = 0;
  auto damaged = [&] {
    return MakeError(ErrorCode::kInvalidArgument,
                     "damaged input_keys blob at byte " + std::to_string(pos));
  };
  while (pos < blob.size()) {
    if (blob.size() - pos < 4) return damaged();
    std::uint64_t count = 0;
    for (int i = 0; i < 4; ++i) {
      count |= static_cast<std::uint64_t>(static_cast<std::uint8_t>(blob[pos++])) << (8 * i);
    }
    if (count > blob.size()) return damaged();
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

#include "store/seen_ids.h"

#include <algorithm>
#include <array>
#include <string>

#include "common/time.h"

namespace trailreplay::store {

namespace {

// Rows an hour may gather in seen_ids before its next flush rewrites it as one.
constexpr std::int64_t kMaxChunks = 16;
constexpr std::int64_t kHourSeconds = 3600;

// Hex digit values, -1 for any other byte.
constexpr auto kHex = [] {
  std::array<std::int8_t, 256> table{};
  for (auto& v : table) v = -1;
  for (int c = '0'; c <= '9'; ++c)
    table[static_cast<std::size_t>(c)] = static_cast<std::int8_t>(c - '0');
  for (int c = 'a'; c <= 'f'; ++c) {
    table[static_cast<std::size_t>(c)] = static_cast<std::int8_t>(c - 'a' + 10);
    table[static_cast<std::size_t>(c - 'a' + 'A')] = static_cast<std::int8_t>(c - 'a' + 10);
  }
  return table;
}();

int HexValue(char c) { return kHex[static_cast<unsigned char>(c)]; }

std::uint64_t Load64(const std::uint8_t* p) {
  std::uint64_t v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

std::uint64_t Rotl(std::uint64_t x, int r) { return (x << r) | (x >> (64 - r)); }

std::uint64_t Fmix(std::uint64_t k) {
  k ^= k >> 33;
  k *= 0xff51afd7ed558ccdULL;
  k ^= k >> 33;
  k *= 0xc4ceb9fe1a85ec53ULL;
  k ^= k >> 33;
  return k;
}

// MurmurHash3_x64_128 (Austin Appleby, public domain), seed 0, little-endian blocks.
EventKey Murmur3(std::string_view text) {
  const auto* data = reinterpret_cast<const std::uint8_t*>(text.data());
  const std::size_t len = text.size();
  const std::size_t blocks = len / 16;
  std::uint64_t h1 = 0, h2 = 0;
  constexpr std::uint64_t c1 = 0x87c37b91114253d5ULL, c2 = 0x4cf5ad432745937fULL;
  for (std::size_t i = 0; i < blocks; ++i) {
    std::uint64_t k1 = Load64(data + i * 16), k2 = Load64(data + i * 16 + 8);
    k1 *= c1;
    k1 = Rotl(k1, 31);
    k1 *= c2;
    h1 ^= k1;
    h1 = Rotl(h1, 27);
    h1 += h2;
    h1 = h1 * 5 + 0x52dce729;
    k2 *= c2;
    k2 = Rotl(k2, 33);
    k2 *= c1;
    h2 ^= k2;
    h2 = Rotl(h2, 31);
    h2 += h1;
    h2 = h2 * 5 + 0x38495ab5;
  }
  const std::uint8_t* tail = data + blocks * 16;
  std::uint64_t k1 = 0, k2 = 0;
  const std::size_t rest = len & 15;
  for (std::size_t i = rest; i > 8; --i) k2 |= std::uint64_t{tail[i - 1]} << ((i - 9) * 8);
  if (rest > 8) {
    k2 *= c2;
    k2 = Rotl(k2, 33);
    k2 *= c1;
    h2 ^= k2;
  }
  for (std::size_t i = std::min<std::size_t>(rest, 8); i > 0; --i) {
    k1 |= std::uint64_t{tail[i - 1]} << ((i - 1) * 8);
  }
  if (rest > 0) {
    k1 *= c1;
    k1 = Rotl(k1, 31);
    k1 *= c2;
    h1 ^= k1;
  }
  h1 ^= len;
  h2 ^= len;
  h1 += h2;
  h2 += h1;
  h1 = Fmix(h1);
  h2 = Fmix(h2);
  h1 += h2;
  h2 += h1;
  EventKey key;
  std::memcpy(key.bytes, &h1, 8);
  std::memcpy(key.bytes + 8, &h2, 8);
  return key;
}

}  // namespace

EventKey KeyOfEventId(std::string_view id) {
  // 8-4-4-4-12 hex digits: the 16 bytes in the order they are written.
  if (id.size() == 36 && id[8] == '-' && id[13] == '-' && id[18] == '-' && id[23] == '-') {
    // Where each byte's two digits start; one check after all 32 digits (a bad digit's value
    // is -1, which sets every bit) keeps the loop free of branches.
    static constexpr std::array<std::uint8_t, 16> kAt = {0,  2,  4,  6,  9,  11, 14, 16,
                                                         19, 21, 24, 26, 28, 30, 32, 34};
    EventKey key;
    int bad = 0;
    for (std::size_t n = 0; n < 16; ++n) {
      const int hi = HexValue(id[kAt[n]]), lo = HexValue(id[kAt[n] + 1]);
      bad |= hi | lo;
      key.bytes[n] = static_cast<std::uint8_t>(hi * 16 + lo);
    }
    return bad < 0 ? Murmur3(id) : key;
  }
  return Murmur3(id);
}

// ---- KeySet ---------------------------------------------------------------------------------

std::size_t KeySet::Slot(const EventKey& key) const {
  // GUIDs are random and hashes are mixed: fold the two halves and spread them once more.
  const std::uint64_t h =
      (Load64(key.bytes) ^ Rotl(Load64(key.bytes + 8), 29)) * 0x9e3779b97f4a7c15ULL;
  return static_cast<std::size_t>(h >> 7) & (slots_.size() - 1);
}

void KeySet::Grow() {
  std::vector<EventKey> old;
  old.swap(slots_);
  slots_.assign(old.empty() ? 64 : old.size() * 2, EventKey{});
  for (const EventKey& k : old) {
    if (k == EventKey{}) continue;
    std::size_t i = Slot(k);
    while (!(slots_[i] == EventKey{})) i = (i + 1) & (slots_.size() - 1);
    slots_[i] = k;
  }
}

bool KeySet::Insert(const EventKey& key) {
  if (key == EventKey{}) {
    if (has_zero_) return false;
    has_zero_ = true;
    ++size_;
    return true;
  }
  if ((size_ + 1) * 4 > slots_.size() * 3) Grow();
  std::size_t i = Slot(key);
  for (;;) {
    if (slots_[i] == key) return false;
    if (slots_[i] == EventKey{}) {
      slots_[i] = key;
      ++size_;
      return true;
    }
    i = (i + 1) & (slots_.size() - 1);
  }
}

bool KeySet::Contains(const EventKey& key) const {
  if (key == EventKey{}) return has_zero_;
  if (slots_.empty()) return false;
  std::size_t i = Slot(key);
  for (;;) {
    if (slots_[i] == key) return true;
    if (slots_[i] == EventKey{}) return false;
    i = (i + 1) & (slots_.size() - 1);
  }
}

// ---- SeenIds --------------------------------------------------------------------------------

Result<SeenIds> SeenIds::Open(Database& db, std::size_t budget_keys) {
  SeenIds seen;
  seen.budget_ = budget_keys;
  struct Prepared {
    Statement* target;
    const char* sql;
  };
  const Prepared statements[] = {
      {&seen.load_, "SELECT chunk, keys FROM seen_ids WHERE hour = ? ORDER BY chunk"},
      {&seen.insert_, "INSERT INTO seen_ids (hour, chunk, keys) VALUES (?, ?, ?)"},
      {&seen.clear_, "DELETE FROM seen_ids WHERE hour = ?"},
  };
  for (const auto& [target, sql] : statements) {
    auto stmt = db.Prepare(sql);
    if (!stmt) return std::move(stmt).error();
    *target = std::move(*stmt);
  }
  // Before schema 4 keys had no hour: 16 bytes for a GUID, other IDs as text between 0xff
  // markers. They are checked against every event.
  auto legacy = db.Prepare("SELECT key FROM seen_events");
  if (!legacy) return std::move(legacy).error();
  for (;;) {
    auto row = legacy->Step();
    if (!row) return std::move(row).error();
    if (!*row) break;
    const std::string_view key = legacy->ColumnBlob(0);
    if (key.size() == 16) {
      EventKey k;
      std::memcpy(k.bytes, key.data(), 16);
      seen.legacy_.Insert(k);
    } else if (key.size() >= 2) {
      std::string_view id = key.substr(1);
      id = id.substr(0, id.find('\xff'));
      seen.legacy_.Insert(KeyOfEventId(id));
    }
  }
  return seen;
}

Result<SeenIds::Hour*> SeenIds::Load(std::int64_t hour) {
  Hour& h = hours_[hour];
  load_.Bind(1, hour);
  for (;;) {
    auto row = load_.Step();
    if (!row) {
      load_.Reset();
      hours_.erase(hour);
      return std::move(row).error();
    }
    if (!*row) break;
    h.next_chunk = load_.ColumnInt(0) + 1;
    ++h.chunks;
    const std::string_view keys = load_.ColumnBlob(1);
    for (std::size_t at = 0; at + 16 <= keys.size(); at += 16) {
      EventKey k;
      std::memcpy(k.bytes, keys.data() + at, 16);
      h.keys.Insert(k);
    }
  }
  load_.Reset();
  resident_ += h.keys.size();
  return &h;
}

Result<bool> SeenIds::Insert(std::int64_t event_time, const EventKey& key) {
  const std::int64_t hour = FloorTo(event_time, kHourSeconds);
  Hour* h = last_;
  if (h == nullptr || hour != last_hour_) {
    auto it = hours_.find(hour);
    if (it != hours_.end()) {
      h = &it->second;
    } else {
      auto loaded = Load(hour);
      if (!loaded) return std::move(loaded).error();
      h = *loaded;
    }
    h->last_use = ++clock_;
    last_ = h;
    last_hour_ = hour;
  }
  if (legacy_.size() > 0 && legacy_.Contains(key)) return false;
  if (!h->keys.Insert(key)) return false;
  h->pending.push_back(key);
  ++resident_;
  return true;
}

Result<void> SeenIds::Flush() {
  std::string blob;
  for (auto& entry : hours_) {
    const std::int64_t hour = entry.first;
    Hour& h = entry.second;  // a named reference: clang 14 cannot capture a structured binding
    if (h.pending.empty()) continue;
    if (h.chunks >= kMaxChunks) {
      // Many small rows for one hour (files delivered out of order, or many short scans):
      // rewrite the hour as one row.
      clear_.Bind(1, hour);
      if (auto ok = clear_.Run(); !ok) return ok;
      h.pending.clear();
      h.keys.ForEach([&](const EventKey& k) { h.pending.push_back(k); });
      h.chunks = 0;
    }
    blob.assign(reinterpret_cast<const char*>(h.pending.data()),
                h.pending.size() * sizeof(EventKey));
    insert_.Bind(1, hour).Bind(2, h.next_chunk).BindBlob(3, blob);
    if (auto ok = insert_.Run(); !ok) return ok;
    ++h.next_chunk;
    ++h.chunks;
    h.pending.clear();
    h.pending.shrink_to_fit();
  }
  return {};
}

void SeenIds::Trim() {
  if (resident_ <= budget_) return;
  std::vector<std::pair<std::uint64_t, std::int64_t>> by_age;
  for (const auto& [hour, h] : hours_) {
    if (h.pending.empty()) by_age.emplace_back(h.last_use, hour);
  }
  std::sort(by_age.begin(), by_age.end());
  for (const auto& [use, hour] : by_age) {
    if (resident_ <= budget_ / 2) break;
    auto it = hours_.find(hour);
    resident_ -= it->second.keys.size();
    hours_.erase(it);
  }
  last_ = nullptr;
}

void SeenIds::Forget() {
  hours_.clear();
  resident_ = 0;
  last_ = nullptr;
}

}  // namespace trailreplay::store

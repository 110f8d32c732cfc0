// The strings events repeat (account, region, event source and name, error code, source IP,
// principal ARN, user agent), stored once in event_strings and referred to by string_id from
// event_rows (schema/010_event_strings.sql).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "common/result.h"
#include "store/database.h"

namespace trailreplay::store {

class EventStrings {
 public:
  static Result<EventStrings> Open(Database& db);

  // The id of `value`, stored now if it is new; no value, no id (NULL).
  Result<std::optional<std::int64_t>> Id(const std::optional<std::string>& value);
  Result<std::optional<std::int64_t>> Id(std::optional<std::string_view> value);

  // Forgets the ids learned so far: the transaction that stored some of them was rolled back.
  void Forget() { ids_.clear(); }

  // At most this many ids are held: beyond it (hostile or truly varied logs) the table is
  // asked instead, through its UNIQUE index, so memory stays bounded whatever the input.
  static constexpr std::size_t kMaxHeld = 1 << 16;

 private:
  explicit EventStrings(Database& db) : db_(&db) {}

  struct Hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  Database* db_;
  Statement insert_, find_;
  std::unordered_map<std::string, std::int64_t, Hash, std::equal_to<>> ids_;
};

}  // namespace trailreplay::store

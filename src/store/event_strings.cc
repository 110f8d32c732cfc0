#include "store/event_strings.h"

namespace trailreplay::store {

Result<EventStrings> EventStrings::Open(Database& db) {
  EventStrings strings(db);
  auto insert = db.Prepare("INSERT INTO event_strings (value) VALUES (?) ON CONFLICT DO NOTHING");
  if (!insert) return std::move(insert).error();
  auto find = db.Prepare("SELECT string_id FROM event_strings WHERE value = ?");
  if (!find) return std::move(find).error();
  strings.insert_ = std::move(*insert);
  strings.find_ = std::move(*find);
  return strings;
}

Result<std::optional<std::int64_t>> EventStrings::Id(const std::optional<std::string>& value) {
  if (!value) return std::optional<std::int64_t>();
  return Id(std::optional<std::string_view>(*value));
}

Result<std::optional<std::int64_t>> EventStrings::Id(std::optional<std::string_view> value) {
  if (!value) return std::optional<std::int64_t>();
  if (auto it = ids_.find(*value); it != ids_.end()) return std::optional<std::int64_t>(it->second);
  insert_.Bind(1, *value);
  if (auto ok = insert_.Run(); !ok) return std::move(ok).error();
  std::int64_t id = 0;
  if (db_->Changes() > 0) {
    id = db_->LastInsertRowId();
  } else {
    find_.Bind(1, *value);
    auto row = find_.Step();
    if (!row) return std::move(row).error();
    if (!*row) {
      find_.Reset();
      return MakeError(ErrorCode::kDatabase, "event_strings lost a value it was given");
    }
    id = find_.ColumnInt(0);
    find_.Reset();
  }
  if (ids_.size() >= kMaxHeld) ids_.clear();
  ids_.emplace(std::string(*value), id);
  return std::optional<std::int64_t>(id);
}

}  // namespace trailreplay::store

// The event indexes a first scan defers (writer.h): dropped only while event_rows is empty,
// restored when it is not, and built without leaving the connection changed.
#include <gtest/gtest.h>

#include <string>

#include "store/writer.h"
#include "support/files.h"

namespace trailreplay::store {
namespace {

std::int64_t QueryInt(Database& db, const std::string& sql) {
  auto stmt = db.Prepare(sql);
  EXPECT_TRUE(stmt) << stmt.error().message;
  if (!stmt) return -1;
  auto row = stmt->Step();
  EXPECT_TRUE(row && *row) << sql;
  return row && *row ? stmt->ColumnInt(0) : -1;
}

// The indexes of event_rows whose keys come in random order (writer.cc, kDeferredIndexes):
// all four there or none, and when there, created by the same SQL as schema/010's.
constexpr const char* kDeferred =
    "('events_by_event_id', 'events_by_principal', 'events_by_source_ip', 'events_by_name')";

std::string IndexSql(Database& db) {
  auto stmt = db.Prepare(std::string("SELECT group_concat(sql, ';') FROM (SELECT sql FROM "
                                     "sqlite_schema WHERE name IN ") +
                         kDeferred + " ORDER BY name)");
  EXPECT_TRUE(stmt);
  auto row = stmt->Step();
  EXPECT_TRUE(row && *row);
  return stmt->ColumnIsNull(0) ? "" : stmt->ColumnText(0);
}

bool HasIndex(Database& db) {
  static const std::string original = [] {
    test::TempDir fresh;
    auto made = Database::Open(fresh / "t.db");
    return made ? IndexSql(*made) : "";
  }();
  const std::int64_t count =
      QueryInt(db, std::string("SELECT count(*) FROM sqlite_schema WHERE name IN ") + kDeferred);
  EXPECT_TRUE(count == 0 || count == 4) << count;
  if (count == 4) {
    EXPECT_EQ(IndexSql(db), original);
  }
  return count == 4;
}

void AddEvents(Database& db, int count) {
  ASSERT_TRUE(db.Exec("BEGIN"));
  auto insert = db.Prepare(
      "INSERT INTO event_rows (event_id, event_time, stamp, input_id, record_index, raw) "
      "VALUES (?, 0, 0, 1, ?, '{}')");
  ASSERT_TRUE(insert) << insert.error().message;
  for (int i = 0; i < count; ++i) {
    insert->Bind(1, std::string_view("id-" + std::to_string(i * 7919 % count)))
        .Bind(2, static_cast<std::int64_t>(i));
    ASSERT_TRUE(insert->Run());
  }
  ASSERT_TRUE(db.Exec("COMMIT"));
}

TEST(EventIndexesTest, DeferredOnlyWhileThereAreNoEvents) {
  test::TempDir dir;
  auto db = Database::Open(dir / "t.db");
  ASSERT_TRUE(db) << db.error().message;
  ASSERT_TRUE(HasIndex(*db));
  auto deferred = DeferEventIndexes(*db);
  ASSERT_TRUE(deferred) << deferred.error().message;
  EXPECT_TRUE(*deferred);
  EXPECT_FALSE(HasIndex(*db));
  // Events stored and no index: a first scan that died before building it.
  AddEvents(*db, 10);
  deferred = DeferEventIndexes(*db);
  ASSERT_TRUE(deferred) << deferred.error().message;
  EXPECT_FALSE(*deferred);
  EXPECT_TRUE(HasIndex(*db));
  deferred = DeferEventIndexes(*db);
  ASSERT_TRUE(deferred);
  EXPECT_FALSE(*deferred);
  EXPECT_TRUE(HasIndex(*db));
}

TEST(EventIndexesTest, BuildingLeavesTheConnectionAsItWas) {
  test::TempDir dir;
  auto db = Database::Open(dir / "t.db");
  ASSERT_TRUE(db) << db.error().message;
  // Not what Database::Open sets (temp_store MEMORY, SQLite's 2 MiB cache).
  ASSERT_TRUE(db->Exec("PRAGMA cache_size=-32768; PRAGMA temp_store=DEFAULT"));
  ASSERT_TRUE(DeferEventIndexes(*db));
  AddEvents(*db, 5000);
  ASSERT_TRUE(BuildEventIndexes(*db));
  EXPECT_TRUE(HasIndex(*db));
  EXPECT_EQ(QueryInt(*db, "SELECT count(*) FROM events WHERE event_id = 'id-42'"), 1);
  EXPECT_EQ(QueryInt(*db, "PRAGMA cache_size"), -32768);
  EXPECT_EQ(QueryInt(*db, "PRAGMA temp_store"), 0);
  ASSERT_TRUE(BuildEventIndexes(*db));  // already there: nothing to do
  EXPECT_TRUE(HasIndex(*db));
}

}  // namespace
}  // namespace trailreplay::store

// The eventID index a first scan defers (writer.h): dropped only while the events table is
// empty, restored when it is not, and built without leaving the connection changed.
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

bool HasIndex(Database& db) {
  return QueryInt(db, "SELECT count(*) FROM sqlite_schema WHERE name = 'events_by_event_id'") == 1;
}

void AddEvents(Database& db, int count) {
  ASSERT_TRUE(db.Exec("BEGIN"));
  auto insert = db.Prepare(
      "INSERT INTO events (event_id, event_time, stamp, input_id, record_index, raw) "
      "VALUES (?, 0, 0, 1, ?, '{}')");
  ASSERT_TRUE(insert) << insert.error().message;
  for (int i = 0; i < count; ++i) {
    insert->Bind(1, std::string_view("id-" + std::to_string(i * 7919 % count)))
        .Bind(2, static_cast<std::int64_t>(i));
    ASSERT_TRUE(insert->Run());
  }
  ASSERT_TRUE(db.Exec("COMMIT"));
}

TEST(EventIdIndexTest, DeferredOnlyWhileThereAreNoEvents) {
  test::TempDir dir;
  auto db = Database::Open(dir / "t.db");
  ASSERT_TRUE(db) << db.error().message;
  ASSERT_TRUE(HasIndex(*db));
  auto deferred = DeferEventIdIndex(*db);
  ASSERT_TRUE(deferred) << deferred.error().message;
  EXPECT_TRUE(*deferred);
  EXPECT_FALSE(HasIndex(*db));
  // Events stored and no index: a first scan that died before building it.
  AddEvents(*db, 10);
  deferred = DeferEventIdIndex(*db);
  ASSERT_TRUE(deferred) << deferred.error().message;
  EXPECT_FALSE(*deferred);
  EXPECT_TRUE(HasIndex(*db));
  deferred = DeferEventIdIndex(*db);
  ASSERT_TRUE(deferred);
  EXPECT_FALSE(*deferred);
  EXPECT_TRUE(HasIndex(*db));
}

TEST(EventIdIndexTest, BuildingLeavesTheConnectionAsItWas) {
  test::TempDir dir;
  auto db = Database::Open(dir / "t.db");
  ASSERT_TRUE(db) << db.error().message;
  // Not what Database::Open sets (temp_store MEMORY, SQLite's 2 MiB cache).
  ASSERT_TRUE(db->Exec("PRAGMA cache_size=-32768; PRAGMA temp_store=DEFAULT"));
  ASSERT_TRUE(DeferEventIdIndex(*db));
  AddEvents(*db, 5000);
  ASSERT_TRUE(BuildEventIdIndex(*db));
  EXPECT_TRUE(HasIndex(*db));
  EXPECT_EQ(QueryInt(*db, "SELECT count(*) FROM events WHERE event_id = 'id-42'"), 1);
  EXPECT_EQ(QueryInt(*db, "PRAGMA cache_size"), -32768);
  EXPECT_EQ(QueryInt(*db, "PRAGMA temp_store"), 0);
  ASSERT_TRUE(BuildEventIdIndex(*db));  // already there: nothing to do
  EXPECT_TRUE(HasIndex(*db));
}

}  // namespace
}  // namespace trailreplay::store

// The strings events repeat, stored once (store/event_strings.h, schema/010_event_strings.sql):
// ids stable across calls and connections, NULL kept NULL, a rolled-back transaction's ids
// forgotten, the held ids bounded; and a version 9 database, whose events were a table, read
// through the view exactly as it was after the migration.
#include "store/event_strings.h"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <optional>
#include <string>
#include <vector>

#include "store/schema_sql.h"  // generated: kSchemaMigrations
#include "support/files.h"

namespace trailreplay::store {
namespace {

// Every row of `sql`, its columns joined by '|', NULL as "NULL".
std::vector<std::string> Rows(sqlite3* handle, const std::string& sql) {
  std::vector<std::string> out;
  sqlite3_stmt* stmt = nullptr;
  EXPECT_EQ(sqlite3_prepare_v2(handle, sql.c_str(), -1, &stmt, nullptr), SQLITE_OK)
      << sqlite3_errmsg(handle);
  while (stmt != nullptr && sqlite3_step(stmt) == SQLITE_ROW) {
    std::string line;
    for (int c = 0; c < sqlite3_column_count(stmt); ++c) {
      const auto* text = sqlite3_column_text(stmt, c);
      line += (c ? "|" : "") +
              (text == nullptr ? std::string("NULL") : reinterpret_cast<const char*>(text));
    }
    out.push_back(line);
  }
  sqlite3_finalize(stmt);
  return out;
}

std::vector<std::string> Rows(Database& db, const std::string& sql) {
  return Rows(db.handle(), sql);
}

std::int64_t IdOf(EventStrings& strings, std::string_view value) {
  auto id = strings.Id(std::optional<std::string_view>(value));
  EXPECT_TRUE(id) << id.error().message;
  return id && *id ? **id : -1;
}

// A new database and its interner.
class EventStringsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto opened = Database::Open(dir_ / "t.db");
    ASSERT_TRUE(opened) << opened.error().message;
    db_.emplace(std::move(*opened));
    auto strings = EventStrings::Open(*db_);
    ASSERT_TRUE(strings) << strings.error().message;
    strings_.emplace(std::move(*strings));
  }

  test::TempDir dir_;
  std::optional<Database> db_;
  std::optional<EventStrings> strings_;
};

TEST_F(EventStringsTest, OneIdPerValueAndNoneForNull) {
  Database* db = &*db_;
  EventStrings* strings = &*strings_;
  const std::int64_t a = IdOf(*strings, "arn:aws:iam::111122223333:user/alice");
  const std::int64_t b = IdOf(*strings, "198.51.100.7");
  EXPECT_NE(a, b);
  EXPECT_EQ(IdOf(*strings, "arn:aws:iam::111122223333:user/alice"), a);
  EXPECT_EQ(IdOf(*strings, ""), IdOf(*strings, ""));  // empty is a value, not NULL
  auto none = strings->Id(std::optional<std::string>());
  ASSERT_TRUE(none);
  EXPECT_FALSE(none->has_value());
  // Another writer (a later scan, or merge) finds the same ids in the table.
  auto again = EventStrings::Open(*db);
  ASSERT_TRUE(again);
  EXPECT_EQ(IdOf(*again, "198.51.100.7"), b);
  EXPECT_EQ(Rows(*db, "SELECT count(*) FROM event_strings"), std::vector<std::string>{"3"});
}

TEST_F(EventStringsTest, IdsOfARolledBackTransactionAreNotReused) {
  Database* db = &*db_;
  EventStrings* strings = &*strings_;
  ASSERT_TRUE(db->Exec("BEGIN"));
  const std::int64_t gone = IdOf(*strings, "rolled back");
  ASSERT_TRUE(db->Exec("ROLLBACK"));
  strings->Forget();
  ASSERT_TRUE(db->Exec("BEGIN"));
  IdOf(*strings, "taking its place");
  const std::int64_t id = IdOf(*strings, "rolled back");
  ASSERT_TRUE(db->Exec("COMMIT"));
  EXPECT_NE(id, gone);
  EXPECT_EQ(Rows(*db, "SELECT value FROM event_strings WHERE string_id = " + std::to_string(id)),
            std::vector<std::string>{"rolled back"});
}

TEST_F(EventStringsTest, MoreValuesThanItHoldsStillGetTheirIds) {
  Database* db = &*db_;
  EventStrings* strings = &*strings_;
  ASSERT_TRUE(db->Exec("BEGIN"));
  const std::size_t n = EventStrings::kMaxHeld + 100;
  std::vector<std::int64_t> ids;
  for (std::size_t i = 0; i < n; ++i) ids.push_back(IdOf(*strings, "ua-" + std::to_string(i)));
  for (std::size_t i = 0; i < n; i += 997) {
    EXPECT_EQ(IdOf(*strings, "ua-" + std::to_string(i)), ids[i]) << i;
  }
  ASSERT_TRUE(db->Exec("COMMIT"));
  EXPECT_EQ(Rows(*db, "SELECT count(*) FROM event_strings"),
            std::vector<std::string>{std::to_string(n)});
}

// A database as version 9 left it, events a table, opened by this version: the view reads
// every row, NULLs and all, as the table held it, and the indexes are back on event_rows.
TEST(EventStringsMigrationTest, AVersion9DatabaseMigratesWithEveryEventIntact) {
  test::TempDir dir;
  const std::string path = dir / "old.db";
  ASSERT_EQ(std::size(kSchemaMigrations), 10u) << "this test builds a version 9 database";
  {
    sqlite3* handle = nullptr;
    ASSERT_EQ(sqlite3_open(path.c_str(), &handle), SQLITE_OK);
    std::string sql = "BEGIN;";
    for (std::size_t v = 0; v < 9; ++v) sql += std::string(kSchemaMigrations[v]) + "\n";
    sql +=
        "PRAGMA user_version = 9;"
        "INSERT INTO scans (scan_id, started_at, version, options, status) "
        "VALUES (1, 'x', 'x', '{}', 'done');"
        "INSERT INTO inputs (input_id, path, member, scope, size, mtime_ns, kind, status, "
        "records, events, duplicates, out_of_scope, bad_records, message, scan_id) "
        "VALUES (1, 'a.json', '', '', 1, 1, 'records', 'ok', 3, 3, 0, 0, 0, '', 1);"
        "INSERT INTO events VALUES (1, 'e1', 60, 60, '111122223333', 'us-east-1', "
        "'iam.amazonaws.com', 'DeleteUser', 'AccessDenied', '198.51.100.7', "
        "'arn:aws:iam::111122223333:user/alice', 'aws-cli/2', 1, 0, '{\"a\":1}');"
        "INSERT INTO events VALUES (2, 'e2', 120, 120, '111122223333', 'eu-west-1', "
        "'s3.amazonaws.com', 'GetObject', NULL, '198.51.100.7', NULL, 'aws-cli/2', 1, 1, "
        "x'28b52ffd');"
        "INSERT INTO events VALUES (3, NULL, 180, 180, NULL, NULL, NULL, NULL, NULL, NULL, NULL, "
        "NULL, 1, 2, '{}');"
        "COMMIT;";
    char* error = nullptr;
    ASSERT_EQ(sqlite3_exec(handle, sql.c_str(), nullptr, nullptr, &error), SQLITE_OK) << error;
    sqlite3_close(handle);
  }
  const std::string all =
      "SELECT event_pk, event_id, event_time, stamp, account, region, event_source, event_name, "
      "error_code, source_ip, principal_arn, user_agent, input_id, record_index, typeof(raw), "
      "hex(raw) FROM events ORDER BY event_pk";
  std::vector<std::string> before;
  {
    sqlite3* handle = nullptr;
    ASSERT_EQ(sqlite3_open(path.c_str(), &handle), SQLITE_OK);
    before = Rows(handle, all);
    sqlite3_close(handle);
  }
  ASSERT_EQ(before.size(), 3u);
  auto db = Database::Open(path);
  ASSERT_TRUE(db) << db.error().message;
  EXPECT_EQ(Rows(*db, "PRAGMA user_version"), std::vector<std::string>{"10"});
  EXPECT_EQ(Rows(*db, all), before);
  EXPECT_EQ(Rows(*db, "SELECT type FROM sqlite_schema WHERE name = 'events'"),
            std::vector<std::string>{"view"});
  EXPECT_EQ(Rows(*db, "SELECT count(*) FROM event_strings"), std::vector<std::string>{"11"});
  EXPECT_EQ(Rows(*db,
                 "SELECT group_concat(name) FROM (SELECT name FROM sqlite_schema WHERE "
                 "type = 'index' AND tbl_name = 'event_rows' ORDER BY name)"),
            std::vector<std::string>{"events_by_event_id,events_by_input,events_by_name,"
                                     "events_by_principal,events_by_source_ip,events_by_time"});
  // New events refer to the strings the migration stored.
  auto strings = EventStrings::Open(*db);
  ASSERT_TRUE(strings);
  EXPECT_EQ(Rows(*db, "SELECT principal_ref FROM event_rows WHERE event_pk = 1"),
            std::vector<std::string>{
                std::to_string(IdOf(*strings, "arn:aws:iam::111122223333:user/alice"))});
}

}  // namespace
}  // namespace trailreplay::store

// The read-only guard of `trailreplay sql` (store/query_guard.h) against hostile SQL: every
// statement here was shown to get past SQLITE_OPEN_READONLY + PRAGMA query_only alone (issue
// 19: fts3_tokenizer leaked a pointer and crashed with a chosen one; `PRAGMA query_only=0`
// then `VACUUM INTO` wrote a world-readable copy of the evidence; TEMP tables could be made).
#include "store/query_guard.h"

#include <gtest/gtest.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <string>

#include "store/database.h"

namespace trailreplay::store {
namespace {

namespace fs = std::filesystem;

class QueryGuardTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("query_guard_test_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    path_ = (dir_ / "t.db").string();
    auto db = Database::Open(path_);  // creates it with the schema
    ASSERT_TRUE(db) << db.error().message;
    ASSERT_TRUE(db->Exec("INSERT INTO meta VALUES ('k', 'v')"));
  }
  void TearDown() override { fs::remove_all(dir_); }

  // Runs every statement of `sql` on a guarded read-only connection; returns "" when all ran,
  // else the guard's refusal or SQLite's error.
  std::string Run(const std::string& sql) {
    auto db = Database::Open(path_, /*read_only=*/true);
    if (!db) return "open: " + db.error().message;
    QueryGuard guard;
    if (auto ok = guard.Install(*db); !ok) return "install: " + ok.error().message;
    const char* tail = sql.c_str();
    while (*tail != '\0') {
      sqlite3_stmt* stmt = nullptr;
      guard.Clear();
      if (sqlite3_prepare_v2(db->handle(), tail, -1, &stmt, &tail) != SQLITE_OK) {
        return guard.denial().empty() ? std::string("sqlite: ") + sqlite3_errmsg(db->handle())
                                      : guard.denial();
      }
      if (stmt == nullptr) continue;
      if (auto ok = guard.CheckPrepared(stmt); !ok) {
        sqlite3_finalize(stmt);
        return ok.error().message;
      }
      int rc;
      while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
      }
      sqlite3_finalize(stmt);
      if (rc != SQLITE_DONE) return std::string("sqlite: ") + sqlite3_errmsg(db->handle());
    }
    return "";
  }

  fs::path dir_;
  std::string path_;
};

struct Hostile {
  std::string sql;
  std::string refusal;  // a part of the expected message
};

TEST_F(QueryGuardTest, RefusesHostileStatements) {
  const std::string copy = (dir_ / "copy.db").string();
  const Hostile cases[] = {
      {"SELECT fts3_tokenizer('simple')", "fts3_tokenizer() is not allowed"},
      {"SELECT fts3_tokenizer('simple', x'4141414141414141')", "fts3_tokenizer() is not allowed"},
      {"SELECT FTS3_Tokenizer('porter')", "fts3_tokenizer() is not allowed"},
      {"SELECT load_extension('/tmp/x.so')", "load_extension() is not allowed"},
      {"PRAGMA query_only = 0", "PRAGMA query_only = 0 is not allowed"},
      {"PRAGMA query_only = OFF; VACUUM INTO '" + copy + "'", "PRAGMA query_only"},
      {"VACUUM INTO '" + copy + "'", "VACUUM is not allowed"},
      {"  vacuum", "VACUUM is not allowed"},
      {"PRAGMA writable_schema = 1", "PRAGMA writable_schema = 1 is not allowed"},
      {"PRAGMA journal_mode = DELETE", "PRAGMA journal_mode"},
      {"PRAGMA trusted_schema = 1", "PRAGMA trusted_schema"},
      {"PRAGMA temp_store_directory", "PRAGMA temp_store_directory is not allowed"},
      {"ATTACH '" + copy + "' AS other", "ATTACH and DETACH are not allowed"},
      {"DETACH main", "ATTACH and DETACH are not allowed"},
      {"CREATE TEMP TABLE t (x)", "changing the schema"},
      {"CREATE TEMP VIEW v AS SELECT 1", "changing the schema"},
      {"CREATE TEMP TRIGGER tr AFTER INSERT ON meta BEGIN SELECT 1; END", "changing the schema"},
      {"CREATE VIRTUAL TABLE temp.v USING fts4(x)", "changing the schema"},
      {"CREATE TABLE t (x)", "changing the schema"},
      {"DROP TABLE meta", "changing the schema"},
      {"ALTER TABLE meta ADD COLUMN x", "changing the schema"},
      {"UPDATE sqlite_master SET sql = 'x'", "may not be modified"},  // defensive mode
      {"INSERT INTO meta VALUES ('a', 'b')", "writing"},
      {"DELETE FROM meta", "writing"},
      {"REINDEX", "changing the schema"},
      {"ANALYZE", "changing the schema"},
      // Several statements: the harmless first one runs, the second is refused.
      {"SELECT 1; DELETE FROM meta", "writing"},
      {"SELECT 1; PRAGMA writable_schema = ON; UPDATE sqlite_master SET sql = ''",
       "PRAGMA writable_schema"},
  };
  for (const Hostile& c : cases) {
    const std::string outcome = Run(c.sql);
    EXPECT_NE(outcome.find(c.refusal), std::string::npos)
        << c.sql << "\n  got: " << (outcome.empty() ? "(ran)" : outcome);
  }
  // Nothing was written anywhere.
  EXPECT_FALSE(fs::exists(copy));
  auto db = Database::Open(path_, /*read_only=*/true);
  ASSERT_TRUE(db);
  auto rows = db->QueryInt("SELECT count(*) FROM meta WHERE key = 'k'");
  ASSERT_TRUE(rows);
  EXPECT_EQ(*rows, 1);
}

TEST_F(QueryGuardTest, ReadsStillWork) {
  for (const std::string sql : {
           "SELECT count(*) FROM meta",
           "SELECT * FROM matches LIMIT 1",
           "SELECT * FROM episode_events LIMIT 1",  // a view of ours, under an untrusted schema
           "SELECT json_extract('{\"a\":1}', '$.a')",
           "SELECT count(*) FROM json_each('[1,2,3]')",
           "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 9) "
           "SELECT sum(x) FROM c",
           "PRAGMA table_info(events)",
           "SELECT name FROM pragma_table_info('filters')",
           "PRAGMA user_version",
           "PRAGMA query_only",
           "PRAGMA integrity_check",
           "BEGIN; SELECT 1; COMMIT",
           "SELECT strftime('%Y', 0), printf('%d', 5), lower('A')",
       }) {
    EXPECT_EQ(Run(sql), "") << sql;
  }
}

}  // namespace
}  // namespace trailreplay::store

// The background checkpointer: it copies the WAL while a writer commits, the WAL starts over
// instead of growing with the scan, and every committed row is in the database file after
// close.
#include "store/checkpointer.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <chrono>
#include <string>
#include <thread>

#include "support/files.h"

namespace trailreplay::store {
namespace {

constexpr std::int64_t kPage = 16384;  // a new database's page size

std::int64_t FileSize(const std::string& path) {
  struct stat st {};
  return stat(path.c_str(), &st) == 0 ? static_cast<std::int64_t>(st.st_size) : -1;
}

// A new database with a table of blobs, its WAL emptied: a WAL file keeps the size of the most
// frames it ever held, and creating the schema writes frames of its own (its later migrations
// took it past the bound below before the checkpointer had written a page), so the file's size
// is only the checkpointer's doing once the schema's frames are gone.
Result<Database> OpenWithBlobs(const std::string& path) {
  auto db = Database::Open(path);
  if (!db) return db;
  if (auto ok = db->Exec("CREATE TABLE blobs (id INTEGER PRIMARY KEY, body BLOB)"); !ok) {
    return std::move(ok).error();
  }
  if (auto ok = db->Exec("PRAGMA wal_checkpoint(TRUNCATE)"); !ok) return std::move(ok).error();
  return db;
}

// Commits `commits` transactions of four 16 KiB blobs (at least four pages each).
void CommitBlobs(Database& db, int commits, int first_id) {
  auto insert = db.Prepare("INSERT INTO blobs (id, body) VALUES (?, ?)");
  ASSERT_TRUE(insert) << insert.error().message;
  const std::string body(kPage, 'x');
  for (int c = 0; c < commits; ++c) {
    ASSERT_TRUE(db.Exec("BEGIN IMMEDIATE"));
    for (int i = 0; i < 4; ++i) {
      insert->Bind(1, static_cast<std::int64_t>(first_id + c * 4 + i)).BindBlob(2, body);
      ASSERT_TRUE(insert->Run());
    }
    ASSERT_TRUE(db.Exec("COMMIT"));
  }
}

std::int64_t CountBlobs(Database& db) {
  auto count = db.Prepare("SELECT count(*) FROM blobs");
  EXPECT_TRUE(count);
  EXPECT_TRUE(count->Step());
  return count->ColumnInt(0);
}

TEST(CheckpointerTest, CopiesTheWalWhileTheWriterCommitsAndKeepsItShort) {
  test::TempDir dir;
  const std::string path = dir / "t.db";
  {
    auto db = OpenWithBlobs(path);
    ASSERT_TRUE(db) << db.error().message;
    auto checkpointer = Checkpointer::Start(*db, /*frames=*/8, /*restart_frames=*/32);
    ASSERT_TRUE(checkpointer) << checkpointer.error().message;

    CommitBlobs(*db, 10, 0);
    // The thread was woken by commits past 8 frames; give it time to copy them.
    for (int i = 0; i < 1000 && (*checkpointer)->checkpoints() == 0; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    EXPECT_GT((*checkpointer)->checkpoints(), 0);

    CommitBlobs(*db, 290, 40);
    // 300 commits wrote more than 1200 pages. With the WAL starting over, it never held more
    // than restart_frames pages and a commit (a commit here is about ten pages: each blob
    // overflows its page, and the table b-tree).
    EXPECT_LT(FileSize(path + "-wal"), (32 + 16) * kPage);
    EXPECT_FALSE((*checkpointer)->Stop().has_value());
    EXPECT_EQ(CountBlobs(*db), 1200);
  }
  // Closed: the WAL is gone and the database file alone holds every row.
  EXPECT_EQ(FileSize(path + "-wal"), -1);
  auto db = Database::Open(path, /*read_only=*/true);
  ASSERT_TRUE(db) << db.error().message;
  EXPECT_EQ(CountBlobs(*db), 1200);
  EXPECT_GE(FileSize(path), 1200 * kPage);
}

TEST(CheckpointerTest, AfterStopTheWriterCheckpointsAsSqliteDoes) {
  test::TempDir dir;
  const std::string path = dir / "t.db";
  auto db = OpenWithBlobs(path);
  ASSERT_TRUE(db) << db.error().message;
  auto checkpointer = Checkpointer::Start(*db, /*frames=*/1 << 30, /*restart_frames=*/1 << 30);
  ASSERT_TRUE(checkpointer) << checkpointer.error().message;
  EXPECT_FALSE((*checkpointer)->Stop().has_value());
  EXPECT_EQ((*checkpointer)->checkpoints(), 0);
  // 1500 commits of 4 pages: SQLite's automatic checkpoint (every 1000 pages) starts the WAL
  // over; without it the WAL would hold 6000 pages.
  CommitBlobs(*db, 1500, 0);
  EXPECT_LT(FileSize(path + "-wal"), 1200 * kPage);
  EXPECT_EQ(CountBlobs(*db), 6000);
}

}  // namespace
}  // namespace trailreplay::store

// The duplicate check's keys: how eventIDs become keys, the key set, and SeenIds' hour
// partitions surviving flushes, eviction, compaction, reopening and pre-schema-4 databases.
#include "store/seen_ids.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <string>

#include "support/files.h"

namespace trailreplay::store {
namespace {

std::string Hex(const EventKey& key) {
  std::string out;
  char buf[3];
  for (std::uint8_t b : key.bytes) {
    std::snprintf(buf, sizeof buf, "%02x", b);
    out += buf;
  }
  return out;
}

EventKey Numbered(std::uint64_t n) {
  char id[40];
  std::snprintf(id, sizeof id, "00000000-0000-4000-8000-%012llx",
                static_cast<unsigned long long>(n));
  return KeyOfEventId(id);
}

TEST(KeyOfEventIdTest, GuidIsItsOwnBytesInAnyCase) {
  EXPECT_EQ(Hex(KeyOfEventId("0123abcd-4567-89ab-cdef-0123456789ab")),
            "0123abcd456789abcdef0123456789ab");
  EXPECT_EQ(KeyOfEventId("0123ABCD-4567-89AB-CDEF-0123456789AB"),
            KeyOfEventId("0123abcd-4567-89ab-cdef-0123456789ab"));
}

TEST(KeyOfEventIdTest, OtherTextIsMurmur3x64_128) {
  // Reference values of MurmurHash3_x64_128 with seed 0 (h1 then h2, little-endian).
  EXPECT_EQ(Hex(KeyOfEventId("")), std::string(32, '0'));
  EXPECT_EQ(Hex(KeyOfEventId("The quick brown fox jumps over the lazy dog")),
            "6c1b07bc7bbc4be347939ac4a93c437a");
  // Not quite a GUID: a non-hex digit, a missing dash, one character short.
  EXPECT_NE(KeyOfEventId("0123abcg-4567-89ab-cdef-0123456789ab"),
            KeyOfEventId("0123abcf-4567-89ab-cdef-0123456789ab"));
  // A bad last digit is caught too: read as a digit, '/' would make the bytes of ...899f.
  EXPECT_NE(KeyOfEventId("0123abcd-4567-89ab-cdef-0123456789a/"),
            KeyOfEventId("0123abcd-4567-89ab-cdef-01234567899f"));
  EXPECT_NE(Hex(KeyOfEventId("0123abcd_4567-89ab-cdef-0123456789ab")),
            "0123abcd456789abcdef0123456789ab");
  EXPECT_NE(KeyOfEventId("abc"), KeyOfEventId("abd"));
  EXPECT_NE(KeyOfEventId("abc"), KeyOfEventId("ABC"));  // only GUIDs ignore case
}

TEST(KeySetTest, InsertContainsAndGrowth) {
  KeySet set;
  EXPECT_FALSE(set.Contains(Numbered(1)));
  for (std::uint64_t n = 0; n < 10000; ++n) ASSERT_TRUE(set.Insert(Numbered(n)));
  for (std::uint64_t n = 0; n < 10000; ++n) ASSERT_FALSE(set.Insert(Numbered(n)));
  EXPECT_EQ(set.size(), 10000u);
  EXPECT_TRUE(set.Contains(Numbered(9999)));
  EXPECT_FALSE(set.Contains(Numbered(10000)));
  // The all-zero key is the empty-slot marker internally, and still a key like any other.
  EXPECT_FALSE(set.Contains(EventKey{}));
  EXPECT_TRUE(set.Insert(EventKey{}));
  EXPECT_FALSE(set.Insert(EventKey{}));
  EXPECT_TRUE(set.Contains(EventKey{}));
  std::size_t seen = 0;
  set.ForEach([&](const EventKey&) { ++seen; });
  EXPECT_EQ(seen, 10001u);
}

class SeenIdsTest : public ::testing::Test {
 protected:
  Database Open() {
    auto db = Database::Open(dir_.path() + "/t.db");
    EXPECT_TRUE(db) << db.error().message;
    return std::move(*db);
  }
  static bool Insert(SeenIds& seen, std::int64_t time, std::uint64_t n) {
    auto fresh = seen.Insert(time, Numbered(n));
    EXPECT_TRUE(fresh) << fresh.error().message;
    return fresh && *fresh;
  }
  static void Commit(Database& db, SeenIds& seen) {
    ASSERT_TRUE(db.Exec("BEGIN"));
    ASSERT_TRUE(seen.Flush());
    ASSERT_TRUE(db.Exec("COMMIT"));
    seen.Trim();
  }
  static std::int64_t Scalar(Database& db, const char* sql) {
    auto stmt = db.Prepare(sql);
    EXPECT_TRUE(stmt);
    EXPECT_TRUE(stmt->Step());
    return stmt->ColumnInt(0);
  }

  test::TempDir dir_;
};

TEST_F(SeenIdsTest, DuplicatesWithinAndAcrossHoursAndReopens) {
  {
    Database db = Open();
    auto seen = SeenIds::Open(db);
    ASSERT_TRUE(seen);
    EXPECT_TRUE(Insert(*seen, 3600 * 10 + 5, 1));
    EXPECT_FALSE(Insert(*seen, 3600 * 10 + 59, 1));  // same hour: a duplicate
    EXPECT_TRUE(Insert(*seen, 3600 * 11, 2));
    EXPECT_FALSE(Insert(*seen, 3600 * 11 + 1, 2));
    Commit(db, *seen);
    EXPECT_EQ(Scalar(db, "SELECT sum(length(keys)) / 16 FROM seen_ids"), 2);
    EXPECT_EQ(Scalar(db, "SELECT count(DISTINCT hour) FROM seen_ids"), 2);
  }
  Database db = Open();
  auto seen = SeenIds::Open(db);
  ASSERT_TRUE(seen);
  EXPECT_FALSE(Insert(*seen, 3600 * 10 + 30, 1));  // seen by the earlier scan
  EXPECT_FALSE(Insert(*seen, 3600 * 11 + 30, 2));
  EXPECT_TRUE(Insert(*seen, 3600 * 10, 3));
  // Keys added but never flushed (a crash before commit) are not in the database.
  Database other = Open();
  auto fresh = SeenIds::Open(other);
  ASSERT_TRUE(fresh);
  EXPECT_TRUE(Insert(*fresh, 3600 * 10, 3));
}

TEST_F(SeenIdsTest, EvictedHoursAreReloadedWithTheirKeys) {
  Database db = Open();
  auto seen = SeenIds::Open(db, /*budget_keys=*/100);
  ASSERT_TRUE(seen);
  // 20 hours of 30 keys: far over the budget, so early hours are dropped after commits.
  for (std::int64_t hour = 0; hour < 20; ++hour) {
    for (std::uint64_t n = 0; n < 30; ++n) {
      ASSERT_TRUE(Insert(*seen, hour * 3600 + 7, static_cast<std::uint64_t>(hour) * 1000 + n));
    }
    Commit(db, *seen);
    EXPECT_LE(seen->resident_keys(), 100u + 30u);
  }
  EXPECT_LT(seen->loaded_hours(), 20u);
  for (std::int64_t hour = 0; hour < 20; ++hour) {
    for (std::uint64_t n = 0; n < 30; n += 7) {
      EXPECT_FALSE(Insert(*seen, hour * 3600 + 100, static_cast<std::uint64_t>(hour) * 1000 + n))
          << "hour " << hour << " key " << n;
    }
    EXPECT_TRUE(Insert(*seen, hour * 3600 + 100, 999999));  // new in every hour
    Commit(db, *seen);
  }
  EXPECT_EQ(Scalar(db, "SELECT sum(length(keys)) / 16 FROM seen_ids"), 20 * 31);
}

TEST_F(SeenIdsTest, AnHourOfManyCommitsIsCompacted) {
  Database db = Open();
  auto seen = SeenIds::Open(db);
  ASSERT_TRUE(seen);
  for (std::uint64_t n = 0; n < 40; ++n) {
    ASSERT_TRUE(Insert(*seen, 7200, n));
    Commit(db, *seen);
  }
  EXPECT_LE(Scalar(db, "SELECT count(*) FROM seen_ids"), 16);
  EXPECT_EQ(Scalar(db, "SELECT sum(length(keys)) / 16 FROM seen_ids"), 40);
  Database again = Open();
  auto reopened = SeenIds::Open(again);
  ASSERT_TRUE(reopened);
  for (std::uint64_t n = 0; n < 40; ++n) EXPECT_FALSE(Insert(*reopened, 7200, n)) << n;
}

TEST_F(SeenIdsTest, KeysFromBeforeSchema4AreHonouredInEveryHour) {
  Database db = Open();
  // What older versions wrote: a GUID's 16 bytes, or other text between 0xff markers.
  ASSERT_TRUE(
      db.Exec("INSERT INTO seen_events (key) VALUES "
              "(x'00000000000040008000000000000005'), (x'ff6e6f742d612d67756964ff')"));
  auto seen = SeenIds::Open(db);
  ASSERT_TRUE(seen);
  EXPECT_FALSE(Insert(*seen, 0, 5));
  EXPECT_FALSE(Insert(*seen, 86400 * 400, 5));
  auto text = seen->Insert(3600, KeyOfEventId("not-a-guid"));
  ASSERT_TRUE(text);
  EXPECT_FALSE(*text);
  EXPECT_TRUE(Insert(*seen, 0, 6));
}

}  // namespace
}  // namespace trailreplay::store

// Raw records compressed against a trained dictionary (store/record_codec.h) and read back
// through record_json() (store/record_sql.h): exact round trips, and a clear SQL error, never
// a crash or an unbounded allocation, for a blob that is not a frame this database can read.
#include "store/record_codec.h"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <map>
#include <string>
#include <vector>

#include "store/database.h"
#include "store/record_sql.h"
#include "support/files.h"

namespace trailreplay::store {
namespace {

// Records alike in shape and unlike in values, as CloudTrail's are.
std::vector<std::string> Records(int count) {
  std::vector<std::string> out;
  for (int n = 0; n < count; ++n) {
    out.push_back(
        R"({"eventVersion":"1.08","userIdentity":{"type":"AssumedRole","arn":"arn:aws:sts::)" +
        std::to_string(111122223333 + n % 7) + R"(:assumed-role/role-)" + std::to_string(n % 13) +
        R"(/session-)" + std::to_string(n * 7919 % 10007) + R"("},"eventTime":"2024-03-01T10:)" +
        std::to_string(10 + n % 50) +
        R"(:00Z","eventSource":"s3.amazonaws.com","eventName":"GetObject",)"
        R"("awsRegion":"us-east-1","sourceIPAddress":"192.0.2.)" +
        std::to_string(n % 250) + R"(","requestParameters":{"bucketName":"bucket-)" +
        std::to_string(n % 31) + R"(","key":"k/)" + std::to_string(n * 104729 % 1000003) +
        R"("},"eventID":"ev-)" + std::to_string(n) + R"("})");
  }
  return out;
}

RecordDictionary Trained(const std::vector<std::string>& samples) {
  std::string error;
  auto dictionary = RecordDictionary::Train(samples, &error);
  EXPECT_TRUE(dictionary) << error;
  return std::move(*dictionary);
}

TEST(RecordCodecTest, RoundTripsExactlyAndSmallerThanTheText) {
  const std::vector<std::string> records = Records(4000);
  const RecordDictionary dictionary = Trained(records);
  EXPECT_NE(dictionary.id(), 0u);
  RecordCompressor compressor(dictionary);
  RecordDecompressor decompressor([&](std::uint32_t id) -> std::optional<std::string> {
    if (id == dictionary.id()) return dictionary.bytes();
    return std::nullopt;
  });
  std::size_t text = 0, stored = 0;
  std::string frame, back, error;
  for (const std::string& r : records) {
    compressor.Compress(r, frame);
    ASSERT_TRUE(decompressor.Decompress(frame, 1 << 20, back, error)) << error;
    ASSERT_EQ(back, r);
    text += r.size();
    stored += frame.size();
  }
  EXPECT_LT(stored * 3, text) << stored << " of " << text;
}

TEST(RecordCodecTest, TooFewSamplesTrainNothing) {
  std::string error;
  EXPECT_FALSE(RecordDictionary::Train({"{}", "{}"}, &error));
  EXPECT_NE(error, "");
  EXPECT_FALSE(RecordDictionary::FromBytes("not a dictionary", &error));
  EXPECT_EQ(error, "not a zstd dictionary");
}

TEST(RecordCodecTest, WhatIsNotAReadableFrameIsAnErrorNotACrash) {
  const std::vector<std::string> records = Records(3000);
  const RecordDictionary dictionary = Trained(records);
  RecordCompressor compressor(dictionary);
  std::string frame;
  compressor.Compress(records[5], frame);
  RecordDecompressor without([](std::uint32_t) { return std::nullopt; });
  RecordDecompressor with([&](std::uint32_t) { return dictionary.bytes(); });
  std::string out, error;
  EXPECT_FALSE(without.Decompress(frame, 1 << 20, out, error));
  EXPECT_NE(error.find("dictionary " + std::to_string(dictionary.id()) + " is not in the database"),
            std::string::npos)
      << error;
  EXPECT_FALSE(with.Decompress("random bytes, not zstd", 1 << 20, out, error));
  EXPECT_NE(error.find("not a compressed record"), std::string::npos) << error;
  EXPECT_FALSE(with.Decompress(frame.substr(0, frame.size() - 3), 1 << 20, out, error));
  EXPECT_NE(error.find("damaged"), std::string::npos) << error;
  // A frame whose header claims more than the limit is refused before anything is allocated.
  EXPECT_FALSE(with.Decompress(frame, 16, out, error));
  EXPECT_NE(error.find("over the limit of 16"), std::string::npos) << error;
  std::string flipped = frame;
  flipped[flipped.size() / 2] = static_cast<char>(flipped[flipped.size() / 2] ^ 0x5a);
  if (with.Decompress(flipped, 1 << 20, out, error)) {
    EXPECT_EQ(out.size(), records[5].size());  // no checksum: decodes to other bytes at most
  }
  ASSERT_TRUE(with.Decompress(frame, 1 << 20, out, error)) << error;
  EXPECT_EQ(out, records[5]);
}

class RecordJsonTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto db = Database::Open(dir_.path() + "/t.db");
    ASSERT_TRUE(db) << db.error().message;
    db_.emplace(std::move(*db));
  }
  // The single value of a query, or "error: ..." with SQLite's message.
  std::string Value(const std::string& sql, std::string_view blob = {}) {
    auto stmt = db_->Prepare(sql);
    if (!stmt) return "error: " + stmt.error().message;
    if (!blob.empty()) stmt->BindBlob(1, blob);
    auto row = stmt->Step();
    if (!row) return "error: " + row.error().message;
    if (!*row) return "no row";
    return stmt->ColumnIsNull(0) ? "NULL" : stmt->ColumnText(0);
  }
  test::TempDir dir_;
  std::optional<Database> db_;
};

TEST_F(RecordJsonTest, ReadsTextAndFramesAndRefusesTheRest) {
  EXPECT_EQ(Value("SELECT record_json('{\"a\":1}')"), "{\"a\":1}");
  EXPECT_EQ(Value("SELECT record_json(NULL)"), "NULL");
  EXPECT_NE(Value("SELECT record_json(42)").find("not a stored record"), std::string::npos);
  EXPECT_NE(Value("SELECT record_json(x'00ff00')").find("not a compressed record"),
            std::string::npos);

  const std::vector<std::string> records = Records(3000);
  const RecordDictionary dictionary = Trained(records);
  RecordCompressor compressor(dictionary);
  std::string frame;
  compressor.Compress(records[7], frame);
  EXPECT_NE(Value("SELECT record_json(?)", frame).find("is not in the database"),
            std::string::npos);
  auto insert = db_->Prepare(
      "INSERT INTO record_dictionaries (dictionary_id, dictionary, created_at, samples, "
      "sample_bytes) VALUES (?, ?, '', 0, 0)");
  ASSERT_TRUE(insert);
  insert->Bind(1, static_cast<std::int64_t>(dictionary.id())).BindBlob(2, dictionary.bytes());
  ASSERT_TRUE(insert->Run());
  EXPECT_EQ(Value("SELECT record_json(?)", frame), records[7]);
  EXPECT_EQ(Value("SELECT json_extract(record_json(?), '$.eventID')", frame), "ev-7");

  // Through an attached database that holds the dictionary, from one that does not.
  test::TempDir other;
  auto plain = Database::Open(other.path() + "/o.db");
  ASSERT_TRUE(plain) << plain.error().message;
  ASSERT_TRUE(plain->Exec("ATTACH '" + dir_.path() + "/t.db' AS evidence"));
  auto through = plain->Prepare("SELECT record_json(?)");
  ASSERT_TRUE(through);
  through->BindBlob(1, frame);
  auto row = through->Step();
  ASSERT_TRUE(row && *row) << (row ? "" : row.error().message);
  EXPECT_EQ(through->ColumnText(0), records[7]);
}

}  // namespace
}  // namespace trailreplay::store

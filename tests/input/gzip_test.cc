#include "input/gzip.h"
#include "support/files.h"

#include <gtest/gtest.h>
#include <zlib.h>

#include <random>
#include <string>

#include "input/buffer_growth.h"

namespace trailreplay::input {
namespace {

using test::Gzip;
using test::TempDir;

std::string RandomBytes(std::size_t size, unsigned seed) {
  std::mt19937 rng(seed);
  std::string bytes(size, '\0');
  for (char& c : bytes) c = static_cast<char>(rng() & 0xff);
  return bytes;
}

std::string Json(std::size_t records) {
  std::string json = "{\"Records\":[";
  for (std::size_t i = 0; i < records; ++i) {
    if (i > 0) json += ',';
    json += R"({"eventVersion":"1.08","eventName":"ConsoleLogin","eventID":")" + std::to_string(i) +
            R"(","awsRegion":"us-east-1"})";
  }
  return json + "]}";
}

constexpr std::uint64_t kNoLimit = std::uint64_t{1} << 40;

TEST(GzipTest, IsGzip) {
  EXPECT_TRUE(IsGzip("\x1f\x8b"));
  EXPECT_TRUE(IsGzip(Gzip("x")));
  EXPECT_FALSE(IsGzip(""));
  EXPECT_FALSE(IsGzip("\x1f"));
  EXPECT_FALSE(IsGzip("\x8b\x1f"));
  EXPECT_FALSE(IsGzip("{\"Records\":[]}"));
  EXPECT_FALSE(IsGzip("PK\x03\x04"));
}

TEST(GzipTest, RoundTrips) {
  const std::string inputs[] = {
      "",
      "x",
      Json(1),
      Json(5000),
      std::string(3 * 1024 * 1024, 'a'),
      RandomBytes(300 * 1024, 1),  // incompressible: output smaller than the 4x first guess
  };
  for (const std::string& input : inputs) {
    for (int level : {0, 1, 9}) {
      std::string out = "previous content";
      const Result<void> r = GunzipAll(Gzip(input, level), out, kNoLimit);
      ASSERT_TRUE(r) << r.error().message;
      EXPECT_EQ(out.size(), input.size());
      EXPECT_TRUE(out == input) << "level " << level << ", size " << input.size();
    }
  }
}

TEST(GzipTest, ConcatenatedMembersAreAllDecoded) {
  const std::string a = Json(10);
  const std::string b = "second member\n";
  const std::string c = Json(300);
  std::string out;
  ASSERT_TRUE(GunzipAll(Gzip(a) + Gzip(b) + Gzip("") + Gzip(c), out, kNoLimit));
  EXPECT_EQ(out, a + b + c);
}

TEST(GzipTest, FirstMemberLargerThanTheTrailerSays) {
  // The buffer is first sized from the trailer, which speaks for the last member only: the
  // large first member must grow it and be decoded again, whole.
  const std::string big = Json(5000), small = "{}";
  std::string out;
  ASSERT_TRUE(GunzipAll(Gzip(big) + Gzip(small), out, 1 << 30));
  EXPECT_EQ(out, big + small);
  // A member of incompressible bytes sits outside the trailer's trusted ratio.
  const std::string noise = RandomBytes(300000, 5);
  ASSERT_TRUE(GunzipAll(Gzip(noise) + Gzip(big), out, 1 << 30));
  EXPECT_EQ(out, noise + big);
}

TEST(GzipTest, ReusedOutputHoldsOnlyTheNewDocument) {
  std::string out;
  ASSERT_TRUE(GunzipAll(Gzip(Json(3000)), out, 1 << 30));
  ASSERT_TRUE(GunzipAll(Gzip("[1]"), out, 1 << 30));
  EXPECT_EQ(out, "[1]");
  // A failure after a larger document leaves only what this one decoded.
  const std::string doc = Gzip(Json(10));
  EXPECT_FALSE(GunzipAll(doc.substr(0, doc.size() - 10), out, 1 << 30));
  EXPECT_EQ(out, Json(10).substr(0, out.size()));
}

TEST(GzipTest, TrailingZerosAreAccepted) {
  const std::string data = Json(20);
  for (std::size_t zeros : {1u, 2u, 7u, 512u, 10000u}) {
    std::string out;
    const Result<void> r = GunzipAll(Gzip(data) + std::string(zeros, '\0'), out, kNoLimit);
    ASSERT_TRUE(r) << zeros << ": " << r.error().message;
    EXPECT_EQ(out, data);
  }
}

TEST(GzipTest, TrailingGarbageIsAnErrorAfterTheGoodMembers) {
  const std::string a = Json(3);
  const std::string b = Json(4);
  const std::string members = Gzip(a) + Gzip(b);
  const std::string garbage[] = {"x",        "\n",       std::string("\0\0junk", 6),
                                 "\x1f\x1f", "\x8b\x1f", "PK\x03\x04"};
  for (const std::string& tail : garbage) {
    std::string out;
    const Result<void> r = GunzipAll(members + tail, out, kNoLimit);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, ErrorCode::kInvalidInput);
    EXPECT_EQ(r.error().message,
              "trailing garbage after gzip member at offset " + std::to_string(members.size()));
    EXPECT_EQ(r.error().offset, members.size());
    EXPECT_EQ(out, a + b);
  }
}

TEST(GzipTest, NotGzip) {
  for (const char* input : {"", "{}", "\x1f", "BZh91AY&SY"}) {
    std::string out = "stale";
    const Result<void> r = GunzipAll(input, out, kNoLimit);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, ErrorCode::kInvalidInput);
    EXPECT_EQ(r.error().offset, 0u);
    EXPECT_TRUE(out.empty());
  }
}

// Every cut point of a two-member file: an error naming the member and where input ran out,
// and what was decoded before the cut is kept (a prefix of the full output).
TEST(GzipTest, TruncatedAtEveryByte) {
  const std::string a = Json(50);
  const std::string b = Json(60);
  const std::string first = Gzip(a);
  const std::string whole = first + Gzip(b);
  for (std::size_t cut = 2; cut < whole.size(); ++cut) {
    if (cut == first.size()) continue;  // a complete first member
    std::string out;
    const Result<void> r = GunzipAll(std::string_view(whole).substr(0, cut), out, kNoLimit);
    ASSERT_FALSE(r) << cut;
    EXPECT_EQ(r.error().code, ErrorCode::kInvalidInput);
    const std::size_t member = cut < first.size() ? 0 : first.size();
    EXPECT_EQ(r.error().message, "truncated gzip data (member starting at byte " +
                                     std::to_string(member) + " ended at byte " +
                                     std::to_string(cut) + ")");
    EXPECT_EQ(r.error().offset, cut);
    EXPECT_TRUE((a + b).starts_with(out)) << cut;
    if (cut > first.size()) {
      EXPECT_GE(out.size(), a.size());
    }
  }
}

// A gzip member with the header's optional fields (RFC 1952 2.3: FEXTRA, FNAME, FCOMMENT,
// FHCRC), written by zlib.
std::string GzipWithHeader(const std::string& data, bool extra, bool name, bool comment,
                           bool header_crc) {
  std::string extra_bytes = "AB\x04\x00xyz!", file_name = "trail.json", text = "a comment";
  gz_header header{};
  header.os = 3;
  header.hcrc = header_crc ? 1 : 0;
  if (extra) {
    header.extra = reinterpret_cast<Bytef*>(extra_bytes.data());
    header.extra_len = static_cast<uInt>(extra_bytes.size());
  }
  if (name) header.name = reinterpret_cast<Bytef*>(file_name.data());
  if (comment) header.comment = reinterpret_cast<Bytef*>(text.data());
  return Gzip(data, Z_DEFAULT_COMPRESSION, &header);
}

TEST(GzipTest, OptionalHeaderFieldsAreSkipped) {
  const std::string data = Json(200);
  for (int flags = 0; flags < 16; ++flags) {
    SCOPED_TRACE("flags " + std::to_string(flags));
    const std::string member =
        GzipWithHeader(data, flags & 1, (flags & 2) != 0, (flags & 4) != 0, (flags & 8) != 0);
    EXPECT_EQ(static_cast<unsigned char>(member[3]),
              ((flags & 1) ? 0x04 : 0) | ((flags & 2) ? 0x08 : 0) | ((flags & 4) ? 0x10 : 0) |
                  ((flags & 8) ? 0x02 : 0));
    std::string out;
    Result<void> r = GunzipAll(member, out, kNoLimit);
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_TRUE(out == data);
    // As the second member of a file, after a plain one.
    r = GunzipAll(Gzip("first\n") + member, out, kNoLimit);
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_TRUE(out == "first\n" + data);
  }
  // A name that runs to the end of the data: an error, not a read past it.
  std::string cut = GzipWithHeader("x", false, true, false, false);
  cut.resize(14);
  std::string out;
  EXPECT_FALSE(GunzipAll(cut, out, kNoLimit));
}

TEST(GzipTest, CorruptData) {
  const std::string data = Json(100);
  const std::string good = Gzip(data);
  struct Case {
    const char* what;
    std::size_t position;  // from the start; npos-k for the trailer
    char value;
    const char* zlib_message;
  };
  const std::size_t n = good.size();
  const Case cases[] = {
      {"compression method", 2, 7, "unknown compression method"},
      {"reserved flags", 3, static_cast<char>(0xe0), "unknown header flags set"},
      {"CRC", n - 8, static_cast<char>(good[n - 8] ^ 1), "incorrect data check"},
      {"length", n - 4, static_cast<char>(good[n - 4] ^ 1), "incorrect length check"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.what);
    std::string bad = good;
    bad[c.position] = c.value;
    std::string out;
    const Result<void> r = GunzipAll(bad, out, kNoLimit);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, ErrorCode::kInvalidInput);
    EXPECT_NE(r.error().message.find("corrupt gzip data at byte "), std::string::npos)
        << r.error().message;
    EXPECT_NE(r.error().message.find("(member starting at byte 0)"), std::string::npos)
        << r.error().message;
    EXPECT_NE(r.error().message.find(c.zlib_message), std::string::npos) << r.error().message;
    ASSERT_TRUE(r.error().has_offset());
    EXPECT_LE(r.error().offset, bad.size());
  }
}

TEST(GzipTest, CorruptSecondMemberKeepsTheFirst) {
  const std::string a = Json(10);
  const std::string first = Gzip(a);
  std::string second = Gzip(Json(10));
  second[second.size() - 8] = static_cast<char>(second[second.size() - 8] ^ 0x55);
  std::string out;
  const Result<void> r = GunzipAll(first + second, out, kNoLimit);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("member starting at byte " + std::to_string(first.size())),
            std::string::npos)
      << r.error().message;
  EXPECT_GT(r.error().offset, first.size());
  EXPECT_TRUE(out.starts_with(a));
}

// Flipping any single byte never crashes, and never produces more than the limit.
TEST(GzipTest, EveryByteFlippedIsHandled) {
  const std::string good = Gzip(Json(30)) + Gzip("tail");
  constexpr std::uint64_t kLimit = 4096;
  for (std::size_t i = 0; i < good.size(); ++i) {
    for (int bit : {0, 5}) {
      std::string bad = good;
      bad[i] = static_cast<char>(bad[i] ^ (1 << bit));
      std::string out;
      const Result<void> r = GunzipAll(bad, out, kLimit);
      EXPECT_LE(out.size(), kLimit);
      if (!r) {
        EXPECT_FALSE(r.error().message.empty());
        EXPECT_TRUE(r.error().has_offset());
      }
    }
  }
}

TEST(GzipTest, BombStopsAtTheLimit) {
  const std::string zeros(10 * 1024 * 1024, '\0');
  const std::string bomb = Gzip(zeros, 9);
  ASSERT_LT(bomb.size(), 20000u);
  constexpr std::uint64_t kLimit = 1024 * 1024;
  std::string out;
  const Result<void> r = GunzipAll(bomb, out, kLimit);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kLimit);
  EXPECT_EQ(r.error().message, "decompressed size exceeds the limit of 1048576 bytes");
  EXPECT_TRUE(r.error().has_offset());
  EXPECT_LT(r.error().offset, bomb.size());  // stopped early, not after inflating everything
  EXPECT_LE(out.size(), kLimit);
  EXPECT_EQ(out.size(), kLimit);
  EXPECT_LE(out.capacity(), kLimit + 64 * 1024);
  EXPECT_EQ(out, std::string(kLimit, '\0'));
}

TEST(GzipTest, BombSpreadOverMembers) {
  const std::string member = Gzip(std::string(600 * 1024, 'z'));
  std::string out;
  const Result<void> r = GunzipAll(member + member + member, out, 1024 * 1024);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kLimit);
  EXPECT_EQ(out.size(), 1024u * 1024u);
}

TEST(GzipTest, ExactlyAtTheLimitIsFine) {
  const std::string data = Json(1000);
  const std::string gz = Gzip(data);
  std::string out;
  ASSERT_TRUE(GunzipAll(gz, out, data.size()));
  EXPECT_EQ(out, data);

  const Result<void> r = GunzipAll(gz, out, data.size() - 1);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kLimit);
  EXPECT_EQ(out.size(), data.size() - 1);

  ASSERT_TRUE(GunzipAll(Gzip(""), out, 0));
  EXPECT_TRUE(out.empty());
  EXPECT_EQ(GunzipAll(Gzip("x"), out, 0).error().code, ErrorCode::kLimit);
  EXPECT_TRUE(out.empty());
}

TEST(GzipTest, LimitsAroundBufferGrowthSteps) {
  const std::string data = RandomBytes(200 * 1024, 7);
  const std::string gz = Gzip(data, 1);
  for (std::uint64_t limit :
       {std::uint64_t{1}, std::uint64_t{65535}, std::uint64_t{65536}, std::uint64_t{65537},
        std::uint64_t{131072}, data.size() - 1, data.size(), data.size() + 1}) {
    std::string out;
    const Result<void> r = GunzipAll(gz, out, limit);
    if (limit >= data.size()) {
      ASSERT_TRUE(r) << limit;
      EXPECT_EQ(out, data);
    } else {
      ASSERT_FALSE(r) << limit;
      EXPECT_EQ(r.error().code, ErrorCode::kLimit);
      EXPECT_EQ(out, data.substr(0, limit));
    }
  }
}

TEST(BufferGrowthTest, HalvingChain) {
  EXPECT_EQ(FirstBufferSize(1000, 0), 1u);
  EXPECT_EQ(FirstBufferSize(1000, 100), 125u);
  EXPECT_EQ(FirstBufferSize(1000, 125), 125u);
  EXPECT_EQ(FirstBufferSize(1000, 126), 250u);
  EXPECT_EQ(FirstBufferSize(1000, 5000), 1000u);
  for (std::size_t ceiling :
       {std::size_t{1}, std::size_t{2}, std::size_t{3}, std::size_t{1001}, std::size_t{1048577}}) {
    std::size_t size = FirstBufferSize(ceiling, 1);
    EXPECT_EQ(size, 1u);
    while (size < ceiling) {
      const std::size_t next = NextBufferSize(size, ceiling);
      EXPECT_GT(next, size);
      EXPECT_LE(next, 2 * size);
      size = next;
    }
    EXPECT_EQ(size, ceiling);
  }
  EXPECT_EQ(NextBufferSize(0, 10), 1u);
  EXPECT_EQ(NextBufferSize(100, 1000), 125u);
}

}  // namespace
}  // namespace trailreplay::input

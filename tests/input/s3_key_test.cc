#include "input/s3_key.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <string>

namespace trailreplay::input {
namespace {

constexpr std::int64_t kNoTime = -1;

struct Case {
  const char* path;
  KeyKind kind;
  const char* org_id;
  const char* account;
  const char* region;
  std::int64_t delivery_time;  // kNoTime: none
};

const char* KindName(KeyKind kind) {
  switch (kind) {
    case KeyKind::kUnknown:
      return "unknown";
    case KeyKind::kLog:
      return "log";
    case KeyKind::kDigest:
      return "digest";
  }
  return "?";
}

TEST(S3KeyTest, Table) {
  const Case cases[] = {
      // The example from the CloudTrail documentation.
      {"AWSLogs/111122223333/CloudTrail/us-east-2/2015/08/01/"
       "111122223333_CloudTrail_us-east-2_20150801T0210Z_Mu0KsOhtH1ar15ZZ.json.gz",
       KeyKind::kLog, "", "111122223333", "us-east-2", 1438395000},
      // Under a bucket prefix and an organization trail.
      {"my-prefix/AWSLogs/o-abc123/111122223333/CloudTrail/us-east-2/2015/08/01/"
       "111122223333_CloudTrail_us-east-2_20150801T0210Z_Mu0KsOhtH1ar15ZZ.json.gz",
       KeyKind::kLog, "o-abc123", "111122223333", "us-east-2", 1438395000},
      {"AWSLogs/o-aa11bb22cc/111122223333/CloudTrail/eu-west-1/2024/02/29/"
       "111122223333_CloudTrail_eu-west-1_20240229T2359Z_abcdEFGH12345678.json.gz",
       KeyKind::kLog, "o-aa11bb22cc", "111122223333", "eu-west-1", 1709251140},
      // Windows separators.
      {"C:\\exports\\AWSLogs\\o-abc123\\111122223333\\CloudTrail\\us-east-2\\2015\\08\\01\\"
       "111122223333_CloudTrail_us-east-2_20150801T0210Z_Mu0KsOhtH1ar15ZZ.json.gz",
       KeyKind::kLog, "o-abc123", "111122223333", "us-east-2", 1438395000},
      // Flattened: the name alone.
      {"111122223333_CloudTrail_us-east-2_20150801T0210Z_Mu0KsOhtH1ar15ZZ.json.gz", KeyKind::kLog,
       "", "111122223333", "us-east-2", 1438395000},
      {"/tmp/x/111122223333_CloudTrail_us-east-2_20150801T0210Z_Mu0KsOhtH1ar15ZZ.json",
       KeyKind::kLog, "", "111122223333", "us-east-2", 1438395000},
      {"111122223333_CloudTrail_us-east-2_20150801T0210Z_Mu0KsOhtH1ar15ZZ", KeyKind::kLog, "",
       "111122223333", "us-east-2", 1438395000},
      {"111122223333_CloudTrail_us-east-2_20150801T0210Z_Mu0KsOhtH1ar15ZZ (1).json.gz",
       KeyKind::kLog, "", "111122223333", "us-east-2", 1438395000},
      // Made-up regions are still regions.
      {"123456789012_CloudTrail_sagov-westsouth-1r_20200101T0000Z_X.json.gz", KeyKind::kLog, "",
       "123456789012", "sagov-westsouth-1r", 1577836800},
      // The directory's account differs from the name's: the name wins, no org id is taken.
      {"AWSLogs/o-abc123/999999999999/CloudTrail/us-east-2/2015/08/01/"
       "111122223333_CloudTrail_us-east-2_20150801T0210Z_Mu0KsOhtH1ar15ZZ.json.gz",
       KeyKind::kLog, "", "111122223333", "us-east-2", 1438395000},
      // Something that is not an org id in the org id's place.
      {"AWSLogs/x-abc123/111122223333/CloudTrail/us-east-2/2015/08/01/"
       "111122223333_CloudTrail_us-east-2_20150801T0210Z_Mu0KsOhtH1ar15ZZ.json.gz",
       KeyKind::kLog, "", "111122223333", "us-east-2", 1438395000},
      {"AWSLogs/o-ABC/111122223333/CloudTrail/us-east-2/2015/08/01/"
       "111122223333_CloudTrail_us-east-2_20150801T0210Z_Mu0KsOhtH1ar15ZZ.json.gz",
       KeyKind::kLog, "", "111122223333", "us-east-2", 1438395000},

      // Digests: seconds precision; the trail name may contain '_'.
      {"AWSLogs/111122223333/CloudTrail-Digest/us-east-2/2017/11/06/"
       "111122223333_CloudTrail-Digest_us-east-2_management-trail_us-east-2_20171106T123456Z.json."
       "gz",
       KeyKind::kDigest, "", "111122223333", "us-east-2", 1509971696},
      {"AWSLogs/o-abc123/111122223333/CloudTrail-Digest/eu-west-1/2017/11/06/"
       "111122223333_CloudTrail-Digest_eu-west-1_org_trail.v2_us-east-1_20171106T123456Z.json.gz",
       KeyKind::kDigest, "o-abc123", "111122223333", "eu-west-1", 1509971696},
      {"111122223333_CloudTrail-Digest_us-east-2_t_us-east-2_20171106T123456Z.json.gz",
       KeyKind::kDigest, "", "111122223333", "us-east-2", 1509971696},
      // A digest in a CloudTrail/ (not CloudTrail-Digest/) directory: no org id from it.
      {"AWSLogs/o-abc123/111122223333/CloudTrail/us-east-2/2017/11/06/"
       "111122223333_CloudTrail-Digest_us-east-2_t_us-east-2_20171106T123456Z.json.gz",
       KeyKind::kDigest, "", "111122223333", "us-east-2", 1509971696},

      // Calendar edges.
      {"111122223333_CloudTrail_us-east-1_19700101T0000Z_A.json.gz", KeyKind::kLog, "",
       "111122223333", "us-east-1", 0},
      {"111122223333_CloudTrail_us-east-1_20000229T1200Z_A.json.gz", KeyKind::kLog, "",
       "111122223333", "us-east-1", 951825600},
      {"111122223333_CloudTrail_us-east-1_20991231T2359Z_A.json.gz", KeyKind::kLog, "",
       "111122223333", "us-east-1", 4102444740},

      // Not CloudTrail's layout.
      {"README.md", KeyKind::kUnknown, "", "", "", kNoTime},
      {"config.json", KeyKind::kUnknown, "", "", "", kNoTime},
      {"", KeyKind::kUnknown, "", "", "", kNoTime},
      {"/", KeyKind::kUnknown, "", "", "", kNoTime},
      {"AWSLogs/111122223333/CloudTrail/us-east-2/2015/08/01/", KeyKind::kUnknown, "", "", "",
       kNoTime},
      {"111122223333_Config_us-east-2_20150801T0210Z_X.json.gz", KeyKind::kUnknown, "", "", "",
       kNoTime},
      // Bad dates and times.
      {"111122223333_CloudTrail_us-east-2_20151301T0210Z_X.json.gz", KeyKind::kUnknown, "", "", "",
       kNoTime},
      {"111122223333_CloudTrail_us-east-2_20150001T0210Z_X.json.gz", KeyKind::kUnknown, "", "", "",
       kNoTime},
      {"111122223333_CloudTrail_us-east-2_20150229T0210Z_X.json.gz", KeyKind::kUnknown, "", "", "",
       kNoTime},
      {"111122223333_CloudTrail_us-east-2_21000229T0210Z_X.json.gz", KeyKind::kUnknown, "", "", "",
       kNoTime},
      {"111122223333_CloudTrail_us-east-2_20150431T0210Z_X.json.gz", KeyKind::kUnknown, "", "", "",
       kNoTime},
      {"111122223333_CloudTrail_us-east-2_20150800T0210Z_X.json.gz", KeyKind::kUnknown, "", "", "",
       kNoTime},
      {"111122223333_CloudTrail_us-east-2_20150801T2410Z_X.json.gz", KeyKind::kUnknown, "", "", "",
       kNoTime},
      {"111122223333_CloudTrail_us-east-2_20150801T0260Z_X.json.gz", KeyKind::kUnknown, "", "", "",
       kNoTime},
      {"111122223333_CloudTrail_us-east-2_20150801T021Z_X.json.gz", KeyKind::kUnknown, "", "", "",
       kNoTime},
      {"111122223333_CloudTrail_us-east-2_20150801T021000Z_X.json.gz", KeyKind::kUnknown, "", "",
       "", kNoTime},
      {"111122223333_CloudTrail_us-east-2_20150801X0210Z_X.json.gz", KeyKind::kUnknown, "", "", "",
       kNoTime},
      {"111122223333_CloudTrail_us-east-2_2015080AT0210Z_X.json.gz", KeyKind::kUnknown, "", "", "",
       kNoTime},
      {"111122223333_CloudTrail_us-east-2_20150801T0210_X.json.gz", KeyKind::kUnknown, "", "", "",
       kNoTime},
      // Bad accounts, regions, unique ids.
      {"11112222333_CloudTrail_us-east-2_20150801T0210Z_X.json.gz", KeyKind::kUnknown, "", "", "",
       kNoTime},
      {"1111222233334_CloudTrail_us-east-2_20150801T0210Z_X.json.gz", KeyKind::kUnknown, "", "", "",
       kNoTime},
      {"11112222333a_CloudTrail_us-east-2_20150801T0210Z_X.json.gz", KeyKind::kUnknown, "", "", "",
       kNoTime},
      {"111122223333_CloudTrail_US-EAST-2_20150801T0210Z_X.json.gz", KeyKind::kUnknown, "", "", "",
       kNoTime},
      {"111122223333_CloudTrail__20150801T0210Z_X.json.gz", KeyKind::kUnknown, "", "", "", kNoTime},
      {"111122223333_CloudTrail_us-east-2_20150801T0210Z_.json.gz", KeyKind::kUnknown, "", "", "",
       kNoTime},
      {"111122223333_CloudTrail_us-east-2_20150801T0210Z", KeyKind::kUnknown, "", "", "", kNoTime},
      {"111122223333_cloudtrail_us-east-2_20150801T0210Z_X.json.gz", KeyKind::kUnknown, "", "", "",
       kNoTime},
      // Bad digests: minute precision, no trail, bad home region, bad trail name.
      {"111122223333_CloudTrail-Digest_us-east-2_t_us-east-2_20171106T1234Z.json.gz",
       KeyKind::kUnknown, "", "", "", kNoTime},
      {"111122223333_CloudTrail-Digest_us-east-2_us-east-2_20171106T123456Z.json.gz",
       KeyKind::kUnknown, "", "", "", kNoTime},
      {"111122223333_CloudTrail-Digest_us-east-2_t_US_20171106T123456Z.json.gz", KeyKind::kUnknown,
       "", "", "", kNoTime},
      {"111122223333_CloudTrail-Digest_us-east-2_t!_us-east-2_20171106T123456Z.json.gz",
       KeyKind::kUnknown, "", "", "", kNoTime},
      {"111122223333_CloudTrail-Digest_us-east-2_t_us-east-2_20171106T123460Z.json.gz",
       KeyKind::kUnknown, "", "", "", kNoTime},
      // A backfill suffix after something that is no time stamp.
      {"111122223333_CloudTrail-Digest_us-east-2_t_us-east-2_20171106T1234Z_backfill.json.gz",
       KeyKind::kUnknown, "", "", "", kNoTime},
      {"111122223333_CloudTrail-Digest_us-east-2_t_us-east-2_20171106T123456Zx_backfill.json.gz",
       KeyKind::kUnknown, "", "", "", kNoTime},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.path);
    const KeyInfo info = ParseKey(c.path);
    EXPECT_EQ(KindName(info.kind), std::string(KindName(c.kind)));
    EXPECT_EQ(info.org_id, c.org_id);
    EXPECT_EQ(info.account, c.account);
    EXPECT_EQ(info.region, c.region);
    if (c.delivery_time == kNoTime) {
      EXPECT_FALSE(info.delivery_time.has_value());
    } else {
      ASSERT_TRUE(info.delivery_time.has_value());
      EXPECT_EQ(*info.delivery_time, c.delivery_time);
    }
  }
}

// Every minute of a leap day and of the days around it maps to consecutive epoch seconds: the
// calendar arithmetic has no gap or overlap at month and year boundaries.
TEST(S3KeyTest, ConsecutiveDaysAreConsecutive) {
  std::int64_t previous = -1;
  for (int year : {1999, 2000, 2023, 2024}) {
    for (int month = 1; month <= 12; ++month) {
      for (int day = 1; day <= 31; ++day) {
        char name[96];
        std::snprintf(name, sizeof(name), "111122223333_CloudTrail_us-east-1_%04d%02d%02dT0000Z_A",
                      year, month, day);
        const KeyInfo info = ParseKey(name);
        if (info.kind == KeyKind::kUnknown) continue;
        ASSERT_TRUE(info.delivery_time.has_value()) << name;
        if (previous >= 0 && !(year == 2023 && month == 1 && day == 1)) {
          EXPECT_EQ(*info.delivery_time - previous, 86400) << name;
        }
        previous = *info.delivery_time;
      }
    }
  }
}

TEST(S3KeyTest, DaysPerMonth) {
  struct Row {
    int year;
    int month;
    int days;
  };
  const Row rows[] = {{2023, 1, 31}, {2023, 2, 28}, {2024, 2, 29}, {1900, 2, 28},  {2000, 2, 29},
                      {2023, 4, 30}, {2023, 6, 30}, {2023, 9, 30}, {2023, 11, 30}, {2023, 12, 31}};
  for (const Row& row : rows) {
    char last[80];
    char past[80];
    std::snprintf(last, sizeof(last), "111122223333_CloudTrail_us-east-1_%04d%02d%02dT0000Z_A",
                  row.year, row.month, row.days);
    std::snprintf(past, sizeof(past), "111122223333_CloudTrail_us-east-1_%04d%02d%02dT0000Z_A",
                  row.year, row.month, row.days + 1);
    EXPECT_EQ(ParseKey(last).kind, KeyKind::kLog) << last;
    EXPECT_EQ(ParseKey(past).kind, KeyKind::kUnknown) << past;
  }
}

}  // namespace
}  // namespace trailreplay::input

namespace trailreplay::input {
namespace {

// What a digest's name adds: the trail, its home region and the backfill suffix (the CloudTrail
// user guide's "CloudTrail digest file structure": `..._<end time>_backfill.json.gz` for the
// digests delivered late for log files a processing delay kept out of the hourly one).
TEST(S3KeyTest, DigestTrailHomeRegionAndBackfill) {
  struct DigestCase {
    const char* path;
    const char* trail;
    const char* home_region;
    bool backfill;
    std::int64_t delivery_time;
  };
  const DigestCase cases[] = {
      {"AWSLogs/111122223333/CloudTrail-Digest/us-east-2/2015/08/17/"
       "111122223333_CloudTrail-Digest_us-east-2_your-trail-name_us-east-2_20150817T150131Z.json."
       "gz",
       "your-trail-name", "us-east-2", false, 1439823691},
      {"111122223333_CloudTrail-Digest_eu-west-1_org_trail.v2_us-east-1_20171106T123456Z.json.gz",
       "org_trail.v2", "us-east-1", false, 1509971696},
      {"AWSLogs/111122223333/CloudTrail-Digest/us-east-2/2015/08/17/"
       "111122223333_CloudTrail-Digest_us-east-2_t_us-east-1_20150817T150131Z_backfill.json.gz",
       "t", "us-east-1", true, 1439823691},
      // "backfill" inside a trail name is part of the name.
      {"111122223333_CloudTrail-Digest_us-east-2_a_backfill_us-east-1_20150817T150131Z.json.gz",
       "a_backfill", "us-east-1", false, 1439823691},
  };
  for (const DigestCase& c : cases) {
    SCOPED_TRACE(c.path);
    const KeyInfo info = ParseKey(c.path);
    ASSERT_EQ(info.kind, KeyKind::kDigest);
    EXPECT_EQ(info.trail, c.trail);
    EXPECT_EQ(info.home_region, c.home_region);
    EXPECT_EQ(info.backfill, c.backfill);
    ASSERT_TRUE(info.delivery_time.has_value());
    EXPECT_EQ(*info.delivery_time, c.delivery_time);
  }
  // Log files carry none of it.
  const KeyInfo log =
      ParseKey("111122223333_CloudTrail_us-east-2_20150801T0210Z_Mu0KsOhtH1ar15ZZ.json.gz");
  EXPECT_EQ(log.trail, "");
  EXPECT_FALSE(log.backfill);
}

}  // namespace
}  // namespace trailreplay::input

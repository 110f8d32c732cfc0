#include "common/time.h"

#include <gtest/gtest.h>

namespace trailreplay {
namespace {

struct IsoCase {
  const char* text;
  std::optional<std::int64_t> expected;
};

TEST(TimeTest, ParseIsoTime) {
  const IsoCase cases[] = {
      {"1970-01-01T00:00:00Z", 0},
      {"2014-03-06T21:22:54Z", 1394140974},  // the CloudTrail documentation's example
      {"2024-02-29T23:59:59Z", 1709251199},  // leap day
      {"2024-03-01T00:00:00Z", 1709251200},
      {"2024-03-01T00:00:00.999Z", 1709251200},  // fractions are floored
      {"2024-03-01T00:00:00.123456789Z", 1709251200},
      {"2024-03-01T01:00:00+01:00", 1709251200},
      {"2024-03-01T00:00:00-00:00", 1709251200},
      {"2000-02-29T00:00:00Z", 951782400},     // divisible by 400: leap
      {"2100-02-29T00:00:00Z", std::nullopt},  // divisible by 100: not
      {"2023-02-29T00:00:00Z", std::nullopt},
      {"2024-04-31T00:00:00Z", std::nullopt},
      {"2024-13-01T00:00:00Z", std::nullopt},
      {"2024-03-01T24:00:00Z", std::nullopt},
      {"2024-03-01T00:60:00Z", std::nullopt},
      {"2024-03-01T00:00:00", std::nullopt},  // no zone: ambiguous, rejected
      {"2024-03-01 00:00:00Z", std::nullopt},
      {"2024-03-01T00:00:00.Z", std::nullopt},
      {"2024-03-01T00:00:00Zjunk", std::nullopt},
      {"1969-12-31T23:59:59Z", std::nullopt},
      {"garbage", std::nullopt},
      {"", std::nullopt},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(ParseIsoTime(c.text), c.expected) << c.text;
  }
}

TEST(TimeTest, FormatRoundTrips) {
  for (std::int64_t t : {0LL, 951782400LL, 1394140974LL, 1709251199LL, 4102444800LL}) {
    EXPECT_EQ(ParseIsoTime(FormatIsoTime(t)), t) << FormatIsoTime(t);
  }
  EXPECT_EQ(FormatIsoTime(1709251200), "2024-03-01T00:00:00Z");
}

TEST(TimeTest, ParseTimeArgumentAcceptsTheShortForms) {
  EXPECT_EQ(*ParseTimeArgument("2024-03-01"), 1709251200);
  EXPECT_EQ(*ParseTimeArgument("2024-03-01T12:00"), 1709251200 + 12 * 3600);
  EXPECT_EQ(*ParseTimeArgument("2024-03-01T12:00Z"), 1709251200 + 12 * 3600);
  EXPECT_EQ(*ParseTimeArgument("2024-03-01 12:00:30"), 1709251200 + 12 * 3600 + 30);
  EXPECT_EQ(*ParseTimeArgument("2024-03-01T12:00:30Z"), 1709251200 + 12 * 3600 + 30);
  auto bad = ParseTimeArgument("yesterday");
  ASSERT_FALSE(bad.has_value());
  EXPECT_NE(bad.error().message.find("invalid time 'yesterday'"), std::string::npos);
  EXPECT_FALSE(ParseTimeArgument("2024-03-32").has_value());
}

// Epoch seconds and offsets without seconds are times too, wherever a command takes one.
TEST(TimeTest, ParseTimeArgumentAcceptsEpochSecondsAndOffsets) {
  const std::int64_t noon = 1709251200 + 12 * 3600;
  struct Case {
    const char* text;
    std::optional<std::int64_t> expected;
  } const cases[] = {
      {"1709294400", noon},
      {"@1709294400", noon},
      {"0", 0},
      {"2024-03-01T07:00-05:00", noon},
      {"2024-03-01T07:00:00-05:00", noon},
      {"2024-03-01T13:00+0100", noon},
      {"2024-03-01T13:00+01", noon},
      {"2024-03-01T13:00:00.250+01:00", noon},
      {"2024-03-01t12:00z", noon},
      {"2024-03-01T12:00:30.999", noon + 30},
      {"2024-03-01T12:00+1:00", std::nullopt},
      {"2024-03-01T12:00+24:00", std::nullopt},
      {"2024-03-01T12", std::nullopt},
      {"2024-03-01T12:00:", std::nullopt},
      {"2024-03-01T12:00:30.", std::nullopt},
      {"2024-03-01X12:00", std::nullopt},
      {"17092944000000", std::nullopt},  // beyond 12 digits: not a plausible epoch second
      {"-5", std::nullopt},
      {"@", std::nullopt},
  };
  for (const Case& c : cases) {
    auto t = ParseTimeArgument(c.text);
    if (c.expected) {
      ASSERT_TRUE(t.has_value()) << c.text << ": " << t.error().message;
      EXPECT_EQ(*t, *c.expected) << c.text;
    } else {
      EXPECT_FALSE(t.has_value()) << c.text;
    }
  }
  // The error lists every accepted form.
  const std::string message = ParseTimeArgument("last tuesday").error().message;
  for (const char* form : {"2024-03-01", "2024-03-01T12:00", "-05:00", "+0100", "1709294400"}) {
    EXPECT_NE(message.find(form), std::string::npos) << form;
  }
}

TEST(TimeTest, ParseDurationArgument) {
  EXPECT_EQ(*ParseDurationArgument("90s"), 90);
  EXPECT_EQ(*ParseDurationArgument("90m"), 5400);
  EXPECT_EQ(*ParseDurationArgument("24h"), 86400);
  EXPECT_EQ(*ParseDurationArgument("2d"), 172800);
  EXPECT_FALSE(ParseDurationArgument("2").has_value());
  EXPECT_FALSE(ParseDurationArgument("h").has_value());
  EXPECT_FALSE(ParseDurationArgument("2w").has_value());
}

TEST(TimeTest, FloorToHandlesNegativeTimes) {
  EXPECT_EQ(FloorTo(1709251499, kBucketSeconds), 1709251200);
  EXPECT_EQ(FloorTo(1709251500, kBucketSeconds), 1709251500);
  EXPECT_EQ(FloorTo(-1, kMinuteSeconds), -60);
  EXPECT_EQ(FloorTo(-60, kMinuteSeconds), -60);
}

}  // namespace
}  // namespace trailreplay

// Numbers as people read them: grouped digits, and shares that never round to a lie.
#include "common/text_format.h"

#include <gtest/gtest.h>

namespace trailreplay {
namespace {

TEST(GroupedTest, ThousandsSeparators) {
  EXPECT_EQ(Grouped(0), "0");
  EXPECT_EQ(Grouped(999), "999");
  EXPECT_EQ(Grouped(1000), "1,000");
  EXPECT_EQ(Grouped(10011), "10,011");
  EXPECT_EQ(Grouped(1234567), "1,234,567");
}

TEST(PercentTest, OrdinarySharesHaveTwoDecimals) {
  EXPECT_EQ(Percent(1, 4), "25.00%");
  EXPECT_EQ(Percent(1, 3), "33.33%");
  EXPECT_EQ(Percent(0, 10), "0.00%");
  EXPECT_EQ(Percent(0, 0), "0.00%");
  EXPECT_EQ(Percent(7, 7), "100.00%");
}

TEST(PercentTest, ASmallPartIsNeverZero) {
  EXPECT_EQ(Percent(1, 5053), "0.02%");  // 0.0198%: rounds up, not to zero
  EXPECT_EQ(Percent(1, 50530), "<0.01%");
  EXPECT_EQ(Percent(1, 10000), "0.01%");
}

TEST(PercentTest, APartShortOfTheWholeIsNeverAll) {
  EXPECT_EQ(Percent(10011, 10015), "99.96%");
  EXPECT_EQ(Percent(50529, 50530), ">99.99%");
  EXPECT_EQ(Percent(9999, 10000), "99.99%");
}

TEST(PercentTest, SharesAsRatios) {
  EXPECT_EQ(Percent(0.0), "0.00%");
  EXPECT_EQ(Percent(1.0), "100.00%");
  EXPECT_EQ(Percent(0.5), "50.00%");
  EXPECT_EQ(Percent(0.00001), "<0.01%");
  EXPECT_EQ(Percent(0.99999), ">99.99%");
}

}  // namespace
}  // namespace trailreplay

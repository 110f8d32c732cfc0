#include "pattern/glob.h"

#include <gtest/gtest.h>

namespace trailreplay::pattern {
namespace {

TEST(GlobTest, Table) {
  struct Case {
    const char* glob;
    const char* text;
    bool expected;
  };
  const Case cases[] = {
      {"abc", "abc", true},
      {"abc", "abcd", false},
      {"", "", true},
      {"", "a", false},
      {"*", "", true},
      {"*", "anything", true},
      {"a*", "a", true},
      {"a*", "abc", true},
      {"a*", "ba", false},
      {"*a", "ba", true},
      {"*a", "ab", false},
      {"a*c", "ac", true},
      {"a*c", "abbc", true},
      {"a*c", "abcd", false},
      {"**", "x", true},
      {"a*b*c", "aXbYc", true},
      {"a*b*c", "acb", false},
      {"*b*", "abc", true},
      {"*ab*ab*", "abab", true},
      {"*ab*ab*", "aba", false},
      {"a*a", "a", false},
      {"AccessDenied*", "AccessDenied", true},
      {"*UnauthorizedOperation", "Client.UnauthorizedOperation", true},
      {"*UnauthorizedOperation", "UnauthorizedOperationX", false},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(GlobMatch(c.glob, c.text), c.expected) << c.glob << " vs " << c.text;
  }
}

TEST(GlobTest, ManyStarsStayFast) {
  const std::string text(100000, 'a');
  EXPECT_FALSE(GlobMatch("*a*a*a*a*a*a*a*a*a*a*b", text));
  EXPECT_TRUE(GlobMatch("*a*a*a*a*a*a*a*a*a*a*", text));
}

}  // namespace
}  // namespace trailreplay::pattern

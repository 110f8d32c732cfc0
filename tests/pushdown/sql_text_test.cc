// SQL text from rule-set data: literals no pattern can break out of, comments no newline can
// end, LIKE patterns from globs, regexes both engines read as CloudWatch does, and the
// number-text checks behind the "engines rewrite numbers" verdict.
#include "pushdown/sql_text.h"

#include <gtest/gtest.h>

#include <string>

namespace trailreplay::pushdown {
namespace {

using namespace std::string_literals;

TEST(SqlString, QuotesDoubledAndEverythingElseSpelledOut) {
  struct Case {
    std::string text, sql;
  } cases[] = {
      {"", "''"},
      {"AccessDenied*", "'AccessDenied*'"},
      {"it's", "'it''s'"},
      {"'; DROP TABLE t; --", "'''; DROP TABLE t; --'"},
      {"back\\slash \"q\"", "'back\\slash \"q\"'"},
      {"a\nb", "('a' || chr(10) || 'b')"},
      {"x\0y"s, "('x' || chr(0) || 'y')"},
      {"\n", "chr(10)"},
      {"caf\xc3\xa9", "('caf' || chr(233))"},
      {"\xe2\x80\xae"
       "evil",
       "(chr(8238) || 'evil')"},  // right-to-left override
      {"\xf0\x9f\x98\x80", "chr(128512)"},
      {"tab\tend\x7f", "('tab' || chr(9) || 'end' || chr(127))"},
  };
  for (const auto& c : cases) EXPECT_EQ(SqlString(c.text), c.sql) << c.text;
}

TEST(SqlIdentifier, QuotesDoubled) {
  EXPECT_EQ(SqlIdentifier("eventname"), "\"eventname\"");
  EXPECT_EQ(SqlIdentifier("we\"ird"), "\"we\"\"ird\"");
  EXPECT_EQ(SqlIdentifier("$path"), "\"$path\"");
}

TEST(CommentText, PrintableAsciiOnly) {
  EXPECT_EQ(CommentText("{ $.a = \"x\" }"), "\"{ $.a = \\\"x\\\" }\"");
  // A newline would end a `--` comment and let the rest run as SQL.
  EXPECT_EQ(CommentText("x\nDROP TABLE t"), "\"x\\nDROP TABLE t\"");
  EXPECT_EQ(CommentText("\xe2\x80\xae"
                        "x\x01"),
            "\"\\u202ex\\u0001\"");
  EXPECT_EQ(CommentText("\xf0\x9f\x98\x80"), "\"\\U0001f600\"");
  for (char c : CommentText("a\r\n\x1b[2Jb\xc2\x85")) {
    EXPECT_TRUE(c >= 0x20 && c < 0x7f) << static_cast<int>(c);
  }
}

TEST(IsValidUtf8, RejectsWhatEnginesWouldReject) {
  EXPECT_TRUE(IsValidUtf8("plain"));
  EXPECT_TRUE(IsValidUtf8("caf\xc3\xa9 \xf0\x9f\x98\x80"));
  EXPECT_FALSE(IsValidUtf8("\xff"));
  EXPECT_FALSE(IsValidUtf8("\xc3"));              // truncated
  EXPECT_FALSE(IsValidUtf8("\xc0\xaf"));          // overlong '/'
  EXPECT_FALSE(IsValidUtf8("\xed\xa0\x80"));      // a surrogate
  EXPECT_FALSE(IsValidUtf8("\xf4\x90\x80\x80"));  // above U+10FFFF
}

TEST(LikePattern, StarsBecomePercentAndLikeCharactersAreEscaped) {
  EXPECT_EQ(LikePattern("*UnauthorizedOperation"), "%UnauthorizedOperation");
  EXPECT_EQ(LikePattern("AccessDenied*"), "AccessDenied%");
  EXPECT_EQ(LikePattern("Ev*ent"), "Ev%ent");
  EXPECT_EQ(LikePattern("100%_done\\*"), "100\\%\\_done\\\\%");
  EXPECT_EQ(LikePattern("*"), "%");
}

std::string Translate(std::string_view source) {
  auto regex = pattern::Regex::Compile(source);
  EXPECT_TRUE(regex.has_value()) << source;
  if (!regex) return "";
  return RegexText(*regex).value_or("(never)");
}

TEST(RegexText, OneSyntaxForRe2AndJava) {
  struct Case {
    const char* cloudwatch;
    const char* engines;
  } cases[] = {
      {"AUTHORIZED", "AUTHORIZED"},
      {"gra|ey", "gra|ey"},
      // `.` takes any character, newline included.
      {"10.10", "10(?s:.)10"},
      {"10\\.10", "10\\x2e10"},
      // `$` is the end of the text (Java's `$` also matches before a final newline).
      {"^a$", "^a\\z"},
      {"\\d{2,}", "[0-9]{2,}"},
      // RE2 reads {,n} as literal text.
      {"a{,3}", "a{0,3}"},
      {"a{2}b{1,4}c?d*e+", "a{2}b{1,4}c?d*e+"},
      // \s is CloudWatch's six blanks; \S any other character, non-ASCII included.
      {"\\s", "[\\x09-\\x0d\\x20]"},
      {"\\S", "[^\\x09-\\x0d\\x20]"},
      {"\\w", "[0-9A-Z\\x5fa-z]"},
      {"[^a-c]", "[^a-c]"},
      {"[a-c]", "[a-c]"},
      // Punctuation is \xHH inside classes: `[`, `-` and `&&` mean different things to
      // RE2 and Java there.
      {"[\\]a-]", "[\\x2d\\x5da]"},
      {"\\x41", "A"},
      {"a|", "a|"},
      {"[^\\s\\S]", "(never)"},
      {"a[^\\s\\S]*b", "ab"},
      {"[\\s\\S]", "(?s:.)"},
  };
  for (const auto& c : cases) EXPECT_EQ(Translate(c.cloudwatch), c.engines) << c.cloudwatch;
}

TEST(NumberText, WhichComparisonsDependOnHowANumberIsWritten) {
  auto regex = [](const char* source) {
    auto compiled = pattern::Regex::Compile(source);
    EXPECT_TRUE(compiled.has_value()) << source;
    return RegexMayMatchNumberText(*compiled);
  };
  EXPECT_TRUE(regex("^[0-9]+$"));
  EXPECT_TRUE(regex("1\\.5"));
  EXPECT_TRUE(regex("e"));
  EXPECT_FALSE(regex("Den|Trail"));  // letters no number has
  EXPECT_FALSE(regex("a*"));         // matches every text
  EXPECT_FALSE(regex("x|y*"));
  EXPECT_FALSE(regex("^[0-9]+\\.[0-9]+\\."));  // an IP address: no number has two dots
  EXPECT_FALSE(regex("^[1-9][0-9]*$"));        // integers are written as written
  EXPECT_TRUE(regex("^[0-9]+$"));              // but -0 comes back as 0

  EXPECT_TRUE(GlobMayMatchNumberText("4*"));
  EXPECT_TRUE(GlobMayMatchNumberText("*.5"));
  EXPECT_FALSE(GlobMayMatchNumberText("*"));
  EXPECT_FALSE(GlobMayMatchNumberText("AccessDenied*"));
  EXPECT_FALSE(GlobMayMatchNumberText("*.*.*"));
  EXPECT_FALSE(GlobMayMatchNumberText("4*4x"));
  EXPECT_FALSE(GlobMayMatchNumberText("\xe2\x80\xae*"));  // non-ASCII: never a number

  for (const char* rewritten :
       {"1.5", "2.50", "1e3", "1E+3", "0", "-0", "0.001", "1234567890123456789012"}) {
    EXPECT_TRUE(IsNumberTextEnginesRewrite(rewritten)) << rewritten;
  }
  for (const char* kept :
       {"400", "-2", "123456789012345678", "4xx", "", "+1", "01", "1.", "true", "AccessDenied"}) {
    EXPECT_FALSE(IsNumberTextEnginesRewrite(kept)) << kept;
  }
}

}  // namespace
}  // namespace trailreplay::pushdown

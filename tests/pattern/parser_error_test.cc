// Error table: pattern -> error kind and byte offset, plus a fragment of the message. Every
// invalid construct gets a pointed error, and no input, however hostile, crashes the parser.
#include <gtest/gtest.h>

#include "common/error_format.h"
#include "pattern/parser.h"

namespace trailreplay::pattern {
namespace {

struct ErrorCase {
  const char* pattern;
  ErrorCode code;
  std::size_t offset;
  const char* message_fragment;
};

constexpr ErrorCode kBad = ErrorCode::kInvalidPattern;
constexpr ErrorCode kLimit = ErrorCode::kPatternLimit;

const ErrorCase kErrorCases[] = {
    // Terms.
    {"\"unclosed", kBad, 0, "unterminated quoted string"},
    {"ERROR \"half", kBad, 6, "unterminated"},
    {"ERR\"OR", kBad, 3, "'\"' inside an unquoted term"},
    {"ERROR - x", kBad, 6, "must be followed by a term"},
    {"?", kBad, 0, "must be followed by a term"},
    {"\"a\"b", kBad, 3, "followed by a blank"},
    // Standalone regex.
    {"%abc", kBad, 0, "no closing '%'"},
    {"%abc% ERROR", kBad, 6, "after the closing '%'"},
    {"%(a)%", kBad, 1, "parentheses"},
    {"%something!%", kBad, 10, "'!'"},
    // JSON structure.
    {"{ }", kBad, 2, "empty JSON pattern"},
    {"{ $.a = 1", kBad, 9, "expected '}'"},
    {"{ $.a = 1 } x", kBad, 12, "after the closing '}'"},
    {"{ ($.a = 1 }", kBad, 2, "unbalanced '('"},
    {"{ $.a = 1) }", kBad, 9, "expected '&&', '||' or '}'"},
    {"{ $.a = 1 & $.b = 2 }", kBad, 10, "single '&'"},
    {"{ $.a = 1 | $.b = 2 }", kBad, 10, "single '|'"},
    {"{ $.a = 1 && }", kBad, 13, "property selector"},
    {"{ $.a = 1 AND $.b = 2 }", kBad, 10, "expected '&&', '||' or '}'"},
    {"{ !($.a = 1) }", kBad, 2, "property selector"},
    // Selectors.
    {"{ status = \"401\" }", kBad, 2, "starts with '$.'"},
    {"{ $a = 1 }", kBad, 3, "'.' after '$'"},
    {"{ $['a'] = 1 }", kBad, 3, "'.' after '$'"},
    {"{ $. = 1 }", kBad, 4, "property name after '.'"},
    {"{ $.@timestamp = 1 }", kBad, 4, "use $.['name']"},
    {"{ $.a[ = 1 }", kBad, 6, "array index"},
    {"{ $.a[1 = 1 }", kBad, 7, "']'"},
    {"{ $.a[99999999999] = 1 }", kBad, 6, "out of range"},
    {"{ $.['a.b = 1 }", kBad, 5, "unterminated"},
    {"{ $.['a.b' = 1 }", kBad, 10, "']'"},
    // Operators and keywords (spec section 0, E.8: keywords are upper case).
    {"{ $.a == 1 }", kBad, 6, "'=='"},
    {"{ $.a 1 }", kBad, 6, "an operator"},
    {"{ $.a =< 1 }", kBad, 7, "a value"},
    {"{ $.a IS NOT NULL }", kBad, 9, "'IS NOT' is not supported"},
    {"{ $.a EXISTS }", kBad, 6, "'EXISTS' is not supported"},
    {"{ $.a is null }", kBad, 6, "upper case"},
    {"{ $.a IS null }", kBad, 9, "upper case"},
    {"{ $.a NOT exists }", kBad, 10, "upper case"},
    {"{ $.a IS MAYBE }", kBad, 9, "NULL, TRUE or FALSE"},
    {"{ $.a NOT THERE }", kBad, 10, "EXISTS after NOT"},
    // Values.
    {"{ $.a = }", kBad, 8, "a value"},
    {"{ $.a > abc }", kBad, 8, "compares numbers"},
    {"{ $.a <= \"5\" }", kBad, 9, "compares numbers"},
    {"{ $.a > %5% }", kBad, 8, "compares numbers"},
    {"{ $.a = ab\"c }", kBad, 10, "inside an unquoted value"},
    {"{ $.a = \"abc }", kBad, 8, "unterminated"},
    {"{ $.a = %abc }", kBad, 8, "no closing '%'"},
    {"{ $.a = %a(b)% }", kBad, 10, "parentheses"},
    // Characters CloudWatch accepts only inside quotes (src/README.md, "What a pattern may
    // leave unquoted"): the error points at the character and shows the token quoted. Each
    // row is a pattern AWS rejected with "Invalid character(s) in term '<c>'", or the
    // character the AWS pages require quoted:
    //   ':'  `?Status: timeout` rejected by filter-log-events (a published runbook of
    //        `filterPattern` rejections); `Failed login: Incorrect password` (issue 26);
    //   '!' '\'' '%'  deployed patterns rejected (issue 26); `%something!%` is the AWS page's
    //        own example of a rejected character;
    //   '\\' `level\":\"error` rejected; a backslash escapes nothing outside quotes;
    //   '('  `PlayerSpawnedInWorld (reason: JoinMultiplayer` rejected (a CDK deployment);
    //   '@'  `@message like /.../` rejected (Logs Insights syntax sent to FilterLogEvents);
    //   '`'  a pasted backtick rejected; '[' `"retrievedReferences":[]` rejected;
    //   '/' '#' '$' and the rest: the AWS pages ("Enclose ... terms that include
    //        non-alphanumeric characters in double quotation marks"; JSON strings "that have
    //        unicode and other characters such as '@', '$', '\\' ... must be enclosed in
    //        double quotes").
    {"Failed login: Incorrect password", kBad, 12, "write \"login:\""},
    {"?Status: timeout", kBad, 7, "':' must be quoted"},
    {"Alert! disk full", kBad, 5, "write \"Alert!\""},
    {"it's", kBad, 2, "write \"it's\""},
    {"CPU 95%", kBad, 6, "write \"95%\""},
    {"Failed\\!", kBad, 6, "'\\' is not an escape outside quotes"},
    {"Failed\\!", kBad, 6, "write \"Failed!\""},
    {"level\\\":\\\"error", kBad, 5, "write \"level\\\":\\\"error\""},
    {"PlayerSpawnedInWorld (reason: JoinMultiplayer", kBad, 21, "write \"(reason:\""},
    {"user@example.com", kBad, 4, "write \"user@example.com\""},
    {"`ERROR`", kBad, 0, "'`' must be quoted"},
    {"GET /index.html", kBad, 4, "write \"/index.html\""},
    {"#alerts", kBad, 0, "write \"#alerts\""},
    {"10.0.0.1", kBad, 2, "write \"10.0.0.1\""},
    {"ERROR*", kBad, 5, "write \"ERROR*\""},
    {"caf\xc3\xa9", kBad, 3, "byte 0xc3 must be quoted"},
    {"caf\xc3\xa9", kBad, 3, "; quote the whole term"},  // bytes outside ASCII are not echoed
    {"a\x1b[31m", kBad, 1,
     "byte 0x1b must be quoted: CloudWatch accepts only letters, digits, "
     "'_' and '-' in an unquoted term; quote the whole term"},
    {"-ok!", kBad, 3, "write \"ok!\""},
    {"{ $.msg = Alert! }", kBad, 15, "write \"Alert!\""},
    {"{ $.msg = it's }", kBad, 12, "write \"it's\""},
    {"{ $.arn = arn:aws:iam::123456789012:root }", kBad, 13,
     "write \"arn:aws:iam::123456789012:root\""},
    {"{ $.path = /index.html }", kBad, 11, "unquoted value"},
    {"{ $.load = 95% }", kBad, 13, "write \"95%\""},
    {"{ $.who = @me }", kBad, 10, "write \"@me\""},
    {"[level=[ERROR], msg]", kBad, 7, "write \"[ERROR]\""},
    {"[id, name=RequestId:, value]", kBad, 19, "write \"RequestId:\""},
    // The spelling the AWS-rejected `{ $."sc-status" = 5* }` needed: bracket notation.
    {"{ $.\"sc-status\" = 5* }", kBad, 4, "use $.['name']"},
    // Logs Insights syntax used by mistake is named as such.
    {"{ $.msg like \"x\" }", kBad, 8, "'like' is CloudWatch Logs Insights syntax"},
    {"{ $.msg LIKE \"x\" }", kBad, 8, "'like' is CloudWatch Logs Insights syntax"},
    {"{ $.msg not like \"x\" }", kBad, 8, "'not like' is CloudWatch Logs Insights syntax"},
    {"{ $.msg NOT LIKE \"x\" }", kBad, 8, "'not like' is CloudWatch Logs Insights syntax"},
    {"{ $.msg =~ /err/ }", kBad, 8, "'=~' is CloudWatch Logs Insights syntax"},
    {"{ $.msg = /err/ }", kBad, 10, "regex syntax, not filter-pattern syntax"},
    {"{ $.msg = /err/ }", kBad, 10, "%err%"},
    {"{ $.code in [400, 404] }", kBad, 9, "'in [...]' is CloudWatch Logs Insights syntax"},
    {"[a, b like x]", kBad, 6, "'like' is CloudWatch Logs Insights syntax"},
    {"[a, b = /x.*/]", kBad, 8, "regex syntax"},
    {"@message like /ERROR/", kBad, 0, "'@message' is a CloudWatch Logs Insights field"},
    {"filter @message like /ERROR/", kBad, 7, "Logs Insights field"},
    {"message like /ERROR/", kBad, 13, "'/ERROR/' is CloudWatch Logs Insights regex syntax"},
    // Quotas (spec A.0).
    {"{ $.a[*].b[*] = 1 }", kLimit, 2, "at most one wildcard"},
    {"{ $.*[*] = 1 }", kLimit, 2, "at most one wildcard"},
    {"{ $.a[*] = 1 || $.b.* = 2 || $.* = 3 || $.c[*] = 4 }", kLimit, 40, "three wildcard"},
    {"{ $.a = %x% || $.b = %y% || $.c = %z% }", kLimit, 34, "two regexes"},
    {"[a=%x%, b=%y%, c=%z%]", kLimit, 17, "two regexes"},
    // Space-delimited.
    {"[a, b", kBad, 0, "unclosed '['"},
    {"[a, b] x", kBad, 7, "after the closing ']'"},
    {"[a, ..., b, ..., c]", kBad, 12, "only one '...'"},
    {"[a, a]", kBad, 4, "named twice"},
    {"[ip, status_code = 4* && bytes > 1000]", kBad, 25, "no field named 'bytes'"},
    {"[$a = 1]", kBad, 1, "have no '$'"},
    {"[a; b]", kBad, 2, "an operator"},
    {"[a, b = ]", kBad, 8, "a value"},
    {"[a, b > x]", kBad, 8, "compares numbers"},
    {"[a, = 1]", kBad, 4, "a field name"},
    {"[a, ...=1]", kBad, 7, "',' or ']'"},
};

class ParserErrorTest : public ::testing::TestWithParam<ErrorCase> {};

TEST_P(ParserErrorTest, PointsAtTheProblem) {
  const ErrorCase& c = GetParam();
  auto parsed = ParsePattern(c.pattern);
  ASSERT_FALSE(parsed.has_value()) << c.pattern << " parsed as " << PrintPattern(*parsed);
  const Error& error = parsed.error();
  EXPECT_EQ(error.code, c.code) << c.pattern << ": " << error.message;
  EXPECT_EQ(error.offset, c.offset) << c.pattern << ": " << error.message;
  EXPECT_NE(error.message.find(c.message_fragment), std::string::npos)
      << c.pattern << ": message was \"" << error.message << "\"";
  EXPECT_EQ(error.subject, c.pattern);
}

INSTANTIATE_TEST_SUITE_P(Errors, ParserErrorTest, ::testing::ValuesIn(kErrorCases),
                         [](const auto& param_info) {
                           return "row" + std::to_string(param_info.index);
                         });

TEST(ParserErrorTest, RejectsPatternsOverTheLengthLimit) {
  std::string pattern(1025, 'a');
  auto parsed = ParsePattern(pattern);
  ASSERT_FALSE(parsed.has_value());
  EXPECT_EQ(parsed.error().code, ErrorCode::kPatternLimit);
  EXPECT_EQ(parsed.error().offset, 1024u);
}

TEST(ParserErrorTest, HostileNestingNeverOverflowsTheStack) {
  // A megabyte of parentheses: rejected by the length limit before any recursion.
  std::string huge =
      "{ " + std::string(1 << 20, '(') + "$.a = 1" + std::string(1 << 20, ')') + " }";
  auto parsed = ParsePattern(huge);
  ASSERT_FALSE(parsed.has_value());
  EXPECT_EQ(parsed.error().code, ErrorCode::kPatternLimit);

  // Within the length limit, nesting is bounded by kMaxDepth.
  std::string deep = "{ " + std::string(500, '(') + "$.a = 1" + std::string(500, ')') + " }";
  ASSERT_LE(deep.size(), kMaxPatternBytes);
  parsed = ParsePattern(deep);
  ASSERT_FALSE(parsed.has_value());
  EXPECT_EQ(parsed.error().code, ErrorCode::kPatternLimit);
  EXPECT_EQ(parsed.error().offset, 2 + kMaxDepth);

  std::string ok =
      "{ " + std::string(kMaxDepth, '(') + "$.a = 1" + std::string(kMaxDepth, ')') + " }";
  EXPECT_TRUE(ParsePattern(ok).has_value());
}

TEST(ParserErrorTest, FormattedErrorHasACaretUnderTheOffendingByte) {
  auto parsed = ParsePattern("{ $.a > abc }");
  ASSERT_FALSE(parsed.has_value());
  const std::string text = FormatError(parsed.error(), "pattern");
  EXPECT_EQ(text,
            "error: '>' compares numbers: the value must be a number such as 10, -1.5 or 1e3 "
            "(at byte 8 of the pattern)\n"
            "  { $.a > abc }\n"
            "          ^\n");
}

// Issue 26: the whole message for a deployed pattern AWS rejected, caret under the ':'.
TEST(ParserErrorTest, UnquotedColonShowsTheQuotedTerm) {
  auto parsed = ParsePattern("Failed login: Incorrect password");
  ASSERT_FALSE(parsed.has_value());
  EXPECT_EQ(FormatError(parsed.error(), "pattern"),
            "error: ':' must be quoted: CloudWatch accepts only letters, digits, '_' and '-' in "
            "an unquoted term; write \"login:\" (at byte 12 of the pattern)\n"
            "  Failed login: Incorrect password\n"
            "              ^\n");
}

// The quoted form an error shows always parses, and as one term or value with the text the
// user most likely meant.
TEST(ParserErrorTest, TheQuotedFormParses) {
  for (const char* token : {"login:", "it's", "95%", "a\\b", "say\"hi\"", "[ERROR]", "@me"}) {
    const std::string quoted = QuotePatternText(token);
    auto term = ParsePattern(quoted + " x");
    ASSERT_TRUE(term.has_value()) << quoted;
    EXPECT_EQ(term->terms[0].text, token);
    auto value = ParsePattern("{ $.a = " + quoted + " }");
    ASSERT_TRUE(value.has_value()) << quoted;
    EXPECT_EQ(value->condition->value.text, token);
  }
}

TEST(ParserErrorTest, FormattedErrorWindowsLongPatterns) {
  std::string pattern = "{ $.a = 1 && " + std::string(300, ' ') + "$.b > x }";
  auto parsed = ParsePattern(pattern);
  ASSERT_FALSE(parsed.has_value());
  const std::string text = FormatError(parsed.error(), "pattern");
  const std::size_t line2 = text.find('\n') + 1;
  const std::size_t line3 = text.find('\n', line2) + 1;
  const std::string reprint = text.substr(line2, line3 - line2 - 1);
  const std::string caret = text.substr(line3, text.size() - line3 - 1);
  EXPECT_EQ(reprint.substr(0, 5), "  ...");
  ASSERT_EQ(caret.back(), '^');
  EXPECT_EQ(reprint[caret.size() - 1], 'x');
}

}  // namespace
}  // namespace trailreplay::pattern

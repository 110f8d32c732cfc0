// Parser tests as a table: pattern -> canonical printed form (PrintPattern). Each row pins one
// grammar feature; the printed form makes precedence, value kinds and dispatch visible.
#include <gtest/gtest.h>

#include "pattern/parser.h"

namespace trailreplay::pattern {
namespace {

struct ParseCase {
  const char* pattern;
  const char* printed;
};

const ParseCase kParseCases[] = {
    // Dispatch and match-all (spec A.0, A.1.7).
    {"", "all"},
    {"   ", "all"},
    {"\"\"", "all"},
    {"\" \"", "all"},
    {"\"  \"", "all"},
    // Term expressions (A.1).
    {"ERROR", "terms(\"ERROR\")"},
    {"ERROR ARGUMENTS", "terms(\"ERROR\", \"ARGUMENTS\")"},
    {"  ERROR\tARGUMENTS  ", "terms(\"ERROR\", \"ARGUMENTS\")"},
    {"?ERROR ?ARGUMENTS", "terms(?\"ERROR\", ?\"ARGUMENTS\")"},
    {"ERROR -ARGUMENTS", "terms(\"ERROR\", -\"ARGUMENTS\")"},
    {"\"INTERNAL SERVER ERROR\"", "terms(\"INTERNAL SERVER ERROR\")"},
    {"?\"bad news\" -\"good news\"", "terms(?\"bad news\", -\"good news\")"},
    {"\"ERROR][grpc\"", "terms(\"ERROR][grpc\")"},
    {"\"say \\\"hi\\\"\"", "terms(\"say \\\"hi\\\"\")"},
    {"\"C:\\path\"", "terms(\"C:\\\\path\")"},
    {"\"user@example.com\"", "terms(\"user@example.com\")"},
    // Unquoted terms hold letters, digits, '_' and '-' (src/README.md, "What a pattern may
    // leave unquoted"); a leading '-' is the exclusion.
    {"health-check", "terms(\"health-check\")"},
    {"ERROR -health-check Task_3", "terms(\"ERROR\", -\"health-check\", \"Task_3\")"},
    {"\"\" ERROR", "terms(\"\", \"ERROR\")"},
    // Standalone regex (A.2).
    {"%AUTHORIZED%", "regex(%AUTHORIZED%)"},
    {"  %gra|ey%  ", "regex(%gra|ey%)"},
    {"%10\\.10\\.0\\.1%", "regex(%10\\.10\\.0\\.1%)"},
    // JSON selectors (A.3).
    {"{ $.eventType = \"UpdateTrail\" }", "json(eq($.eventType, \"UpdateTrail\"))"},
    {"{$.eventName=CreateTrail}", "json(eq($.eventName, \"CreateTrail\"))"},
    {"{ $.a.b.c = 1 }", "json(eq($.a.b.c, 1))"},
    {"{ $.arrayKey[0] = \"value\" }", "json(eq($.arrayKey[0], \"value\"))"},
    {"{ $.coordinates[0][1] = 1 }", "json(eq($.coordinates[0][1], 1))"},
    {"{ $.arrayKey[*] = %val.{2}% }", "json(eq($.arrayKey[*], %val.{2}%))"},
    {"{ $.* = %111\\.111\\.111\\.1[0-9]{1,2}% }", "json(eq($.*, %111\\.111\\.111\\.1[0-9]{1,2}%))"},
    {"{ $.['cluster.name'] = \"c\" }", "json(eq($.['cluster.name'], \"c\"))"},
    {"{ $.['plain'] = 1 }", "json(eq($.plain, 1))"},
    {"{ $.users[0].email = \"a\" }", "json(eq($.users[0].email, \"a\"))"},
    {"{ $.a-b_c = x }", "json(eq($.a-b_c, \"x\"))"},
    // Operators and numbers.
    {"{ $.bandwidth > 75 }", "json(gt($.bandwidth, 75))"},
    {"{ $.latency < 50 }", "json(lt($.latency, 50))"},
    {"{ $.refreshRate >= 60 }", "json(ge($.refreshRate, 60))"},
    {"{ $.responseTime <= 5 }", "json(le($.responseTime, 5))"},
    {"{ $.errorCode = 400}", "json(eq($.errorCode, 400))"},
    {"{ $.errorCode != 500 }", "json(ne($.errorCode, 500))"},
    {"{ $.number[0] = 1e+3 }", "json(eq($.number[0], 1000))"},
    {"{ $.number[0] != 1e-3 }", "json(ne($.number[0], 0.001))"},
    {"{ $.n = +1000 }", "json(eq($.n, 1000))"},
    {"{ $.n = -55.5 }", "json(eq($.n, -55.5))"},
    {"{ $.n = 10e-3 }", "json(eq($.n, 0.01))"},
    {"{ $.n = 1.2.3 }", "json(eq($.n, \"1.2.3\"))"},
    {"{ $.n = \"400\" }", "json(eq($.n, \"400\"))"},
    // Globs, bare values with dots (A.3, spec section 0 E.6).
    {"{ $.errorCode = \"*UnauthorizedOperation\" }",
     "json(eq($.errorCode, glob\"*UnauthorizedOperation\"))"},
    {"{ $.sourceIPAddress != 123.123.* }", "json(ne($.sourceIPAddress, glob\"123.123.*\"))"},
    {"{ $.requestParameters.instanceType = *.8xlarge }",
     "json(eq($.requestParameters.instanceType, glob\"*.8xlarge\"))"},
    {"{ $.eventSource = s3.amazonaws.com }", "json(eq($.eventSource, \"s3.amazonaws.com\"))"},
    {"{ $.latency = * }", "json(eq($.latency, glob\"*\"))"},
    {"{ $.x = \"Ev*ent\" }", "json(eq($.x, glob\"Ev*ent\"))"},
    {"{ $.x = true }", "json(eq($.x, \"true\"))"},
    // Unquoted values add '.', '*' and '+' to the term characters.
    {"{ $.awsRegion = us-east-1 }", "json(eq($.awsRegion, \"us-east-1\"))"},
    {"{ $.v = a_b-c.d+e* }", "json(eq($.v, glob\"a_b-c.d+e*\"))"},
    {"[a = -, b]", "delimited(a:eq(a, \"-\"), b)"},
    // IS / NOT EXISTS.
    {"{ $.SomeObject IS NULL }", "json(is_null($.SomeObject))"},
    {"{ $.flag IS TRUE }", "json(is_true($.flag))"},
    {"{ $.flag IS FALSE }", "json(is_false($.flag))"},
    {"{ $.SomeOtherObject NOT EXISTS }", "json(not_exists($.SomeOtherObject))"},
    // Precedence: && binds tighter than ||; parentheses override (A.3.12).
    {"{ $.a = 1 || $.b = 2 && $.c = 3 }", "json(or(eq($.a, 1), and(eq($.b, 2), eq($.c, 3))))"},
    {"{ ($.a = 1 || $.b = 2) && $.c = 3 }", "json(and(or(eq($.a, 1), eq($.b, 2)), eq($.c, 3)))"},
    {"{ $.a = 1 && $.b = 2 && $.c = 3 }", "json(and(eq($.a, 1), eq($.b, 2), eq($.c, 3)))"},
    {"{ ((($.a = 1))) }", "json(eq($.a, 1))"},
    {"{ $.a=1||$.b=2 }", "json(or(eq($.a, 1), eq($.b, 2)))"},
    {"{ $.a = x&&$.b = y }", "json(and(eq($.a, \"x\"), eq($.b, \"y\")))"},
    // The CIS unauthorized-calls patterns (spec C.4), each version as printed.
    {"{ ($.errorCode = \"*UnauthorizedOperation\") || ($.errorCode = \"AccessDenied*\") }",
     "json(or(eq($.errorCode, glob\"*UnauthorizedOperation\"), eq($.errorCode, "
     "glob\"AccessDenied*\")))"},
    {"{ ($.errorCode = \"*UnauthorizedOperation\") || ($.errorCode = \"AccessDenied*\") || "
     "($.sourceIPAddress!=\"delivery.logs.amazonaws.com\") || ($.eventName!=\"HeadBucket\") }",
     "json(or(eq($.errorCode, glob\"*UnauthorizedOperation\"), eq($.errorCode, "
     "glob\"AccessDenied*\"), ne($.sourceIPAddress, \"delivery.logs.amazonaws.com\"), "
     "ne($.eventName, \"HeadBucket\")))"},
    {"{ ($.errorCode =*UnauthorizedOperation) || ($.errorCode =AccessDenied*) && "
     "($.sourceIPAddress!=delivery.logs.amazonaws.com) && ($.eventName!=HeadBucket) }",
     "json(or(eq($.errorCode, glob\"*UnauthorizedOperation\"), and(eq($.errorCode, "
     "glob\"AccessDenied*\"), ne($.sourceIPAddress, \"delivery.logs.amazonaws.com\"), "
     "ne($.eventName, \"HeadBucket\"))))"},
    {"{$.userIdentity.type=\"Root\" && $.userIdentity.invokedBy NOT EXISTS && $.eventType "
     "!=\"AwsServiceEvent\"}",
     "json(and(eq($.userIdentity.type, \"Root\"), not_exists($.userIdentity.invokedBy), "
     "ne($.eventType, \"AwsServiceEvent\")))"},
    // Selectors are shared: the same path twice is one selector.
    {"{ $.a = 1 || $.a = 2 }", "json(or(eq($.a, 1), eq($.a, 2)))"},
    // Space-delimited (A.4).
    {"[ip, user, username, timestamp, request, status_code, bytes]",
     "delimited(ip, user, username, timestamp, request, status_code, bytes)"},
    {"[ip=%127\\.0\\.0\\.[1-9]%, user, username, timestamp, request =*.html*, status_code = 4*, "
     "bytes]",
     "delimited(ip:eq(ip, %127\\.0\\.0\\.[1-9]%), user, username, timestamp, request:eq(request, "
     "glob\"*.html*\"), status_code:eq(status_code, glob\"4*\"), bytes)"},
    {"[..., request =*.html*, status_code = 4*, bytes]",
     "delimited(..., request:eq(request, glob\"*.html*\"), status_code:eq(status_code, "
     "glob\"4*\"), bytes)"},
    {"[ip, user, username, timestamp, request, status_code = 404 || status_code = 410, bytes]",
     "delimited(ip, user, username, timestamp, request, status_code:or(eq(status_code, 404), "
     "eq(status_code, 410)), bytes)"},
    {"[w1=ERROR, w2]", "delimited(w1:eq(w1, \"ERROR\"), w2)"},
    {"[w1=ERROR || w1=WARNING, w2]",
     "delimited(w1:or(eq(w1, \"ERROR\"), eq(w1, \"WARNING\")), w2)"},
    {"[w1!=ERROR && w1!=WARNING, w2]",
     "delimited(w1:and(ne(w1, \"ERROR\"), ne(w1, \"WARNING\")), w2)"},
    {"[logLevel, date, time, method, url=%/service/resource/[0-9]+$%, response_time]",
     "delimited(logLevel, date, time, method, url:eq(url, %/service/resource/[0-9]+$%), "
     "response_time)"},
    {"[a, b > 10, c]", "delimited(a, b:gt(b, 10), c)"},
    {"[a, b,]", "delimited(a, b, _)"},
    {"[]", "delimited(_)"},
    {"[w1=\"two words\", w2]", "delimited(w1:eq(w1, \"two words\"), w2)"},
    {"[a, (b = 1 || b = 2), c]", "delimited(a, b:or(eq(b, 1), eq(b, 2)), c)"},
    {"[a, b = 1 && c = 2, c]", "delimited(a, b:and(eq(b, 1), eq(c, 2)), c)"},
};

// Every example pattern of AWS's filter-pattern pages, current and archived, must parse:
//   [CWL-FPS] https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/FilterAndPatternSyntax.html
//   [CWL-FPS-2018] awsdocs/amazon-cloudwatch-logs-user-guide@e9343db3 FilterAndPatternSyntax.md
//   [CWL-FPS-2021] awsdocs/amazon-cloudwatch-logs-user-guide@5f9d4b2e FilterAndPatternSyntax.md
//   [CT-ALARMS], [SH-CW] the CloudTrail alarm and Security Hub CloudWatch control pages.
// Two are left out, each with evidence that AWS rejects it: the 2018-2021 example
// `[ip, user, username, timestamp, request, status_code = 4* && bytes > 1000]` (its condition
// names a field that is no slot; the console answers "Invalid filter pattern",
// awsdocs/amazon-cloudwatch-logs-user-guide#21; see parser_error_test), and the prose
// `"ERROR" - "Exiting"` of 2018-2021, which quotes each term as prose and writes the exclusion
// `-Exiting` that the later pages spell `ERROR -ARGUMENTS`.
const char* const kAwsExamples[] = {
    // [CWL-FPS] unstructured and regex.
    "ERROR",
    "ERROR ARGUMENTS",
    "?ERROR ?ARGUMENTS",
    "?ERROR ?ARGUMENTS REQUEST",
    "\"INTERNAL SERVER ERROR\"",
    "ERROR -ARGUMENTS",
    "\" \"",
    "%AUTHORIZED%",
    "%^[hc]at%",
    "%[hc]at$%",
    "%colou?r%",
    "%[abc]%",
    "%[a-z]%",
    "%[abcx-z]%",
    "%a{3,5}%",
    "%gra|ey%",
    "%^starting|^initializing|^shutting down%",
    "%\\[.\\]%",
    "%10\\.10\\.0\\.1%",
    "%ab*c%",
    "%ab[0-9]*%",
    "%ab+c%",
    "%.at%",
    "%10.10.0.1%",
    "%\\d%",
    "%[0-9]%",
    "%\\D%",
    "%[^0-9]%",
    "%\\w%",
    "%[a-zA-Z_0-9]%",
    "%\\W%",
    "%[^a-zA-Z_0-9]%",
    "%\\x3A%",
    "%\\x28%",
    "%something%",
    // [CWL-FPS] JSON.
    "{ $.eventType = \"UpdateTrail\" }",
    "{ $.bandwidth > 75 }",
    "{ $.latency < 50 }",
    "{ $.refreshRate >= 60 }",
    "{ $.responseTime <= 5 }",
    "{ $.errorCode = 400}",
    "{ $.errorCode != 500 }",
    "{ $.number[0] = 1e+3 }",
    "{ $.number[0] != 1e-3 }",
    "{ $.sourceIPAddress != 123.123.* }",
    "{ $.arrayKey[0] = \"value\" }",
    "{ $.eventType = %Trail% }",
    "{ $.arrayKey[*] = %val.{2}% }",
    "{ $.* = %111\\.111\\.111\\.1[0-9]{1,2}% }",
    "{ $.['cluster.name'] = \"c\" }",
    "{ $.SomeObject IS NULL }",
    "{ $.SomeOtherObject NOT EXISTS }",
    "{ ($.user.id = 1) && ($.users[0].email = \"John.Doe@example.com\") }",
    "{ $.user.email = \"John.Stiles@example.com\" || $.coordinates[0][1] = \"nonmatch\" && "
    "$.actions[2] = \"nonmatch\" }",
    "{ ($.user.email = \"John.Stiles@example.com\" || $.coordinates[0][1] = \"nonmatch\") && "
    "$.actions[2] = \"nonmatch\" }",
    "{ ($.user.id = 2 && $.users[0].email = \"nonmatch\") || $.actions[2] = \"GET\" }",
    // [CWL-FPS] space-delimited.
    "[ip=%127\\.0\\.0\\.[1-9]%, user, username, timestamp, request =*.html*, status_code = 4*, "
    "bytes]",
    "[..., request =*.html*, status_code = 4*, bytes]",
    "[ip, user, username, timestamp, request =*.html*, status_code = 404 || status_code = 410, "
    "bytes]",
    "[w1=ERROR, w2]",
    "[w1=ERROR || w1=WARNING, w2]",
    "[w1!=ERROR && w1!=WARNING, w2]",
    "[logLevel, date, time, method, url=%/service/resource/[0-9]+$%, response_time]",
    "[logLevel, date, time, method, url=%/service/resource/[0-9]+/part/[0-9]+$%, "
    "response_time]",
    // [CWL-FPS-2018], [CWL-FPS-2021].
    "\"\"",
    "?Error ?fatal",
    "ERROR Exception",
    "Failed to process the request",
    "?ERROR ?WARN",
    "ERROR WARN",
    "ERROR -WARN",
    "[w1!=ERROR&&w1!=WARN, w2]",
    "{$.foo = bar}",
    "{$.foo = baz }",
    "{$.foo = bar || $.foo = baz }",
    "{ $.objectList[1].id = 2 }",
    "{ $.ThisFlag IS TRUE }",
    "{ $.user.email = \"John.Stiles@example.com\" || $.coordinates[0][1] = nonmatch && "
    "$.actions[2] = nomatch }",
    "{ ($.user.email = \"John.Stiles@example.com\" || $.coordinates[0][1] = nonmatch) && "
    "$.actions[2] = nomatch }",
    "{$.users = 1}",
    "{$.users != 1}",
    "{ $.latency >= 500 }",
    "{ $.numbers[0] < 10e3 }",
    "{ $.numbers[0] < 10e-3 }",
    "{ $.processes[4].averageRuntime <= 55.5 }",
    "{ $.latency > +1000 }",
    "{ $.latency = * }",
    "[ip, user, username, timestamp, request, status_code, bytes]",
    "[..., status_code, bytes]",
    "[ip, user, ..., status_code, bytes]",
    "[ip, user, ...]",
    "[ip, user, username, timestamp, request, status_code, bytes > 1000]",
    "[ip, user, username, timestamp, request, status_code = 200, bytes]",
    "[ip, user, username, timestamp, request, status_code = 4*, bytes]",
    "[ip, user, username, timestamp, request = *html*, status_code = 4*, bytes]",
    "[ip, user, username, timestamp, request, status_code = 4* && status_code = 5*, bytes]",
    "[ip, user, username, timestamp, request, status_code = 4* && status_code != 403, bytes]",
    "[ip, user, username, timestamp, request, status_code = 403 || status_code = 404, bytes]",
    "[..., request=*.html*, status_code=4*,]",
    // [CT-ALARMS], [SH-CW]: CloudTrail alarm patterns with unquoted dotted values.
    "{ ($.eventSource = kms.amazonaws.com) && (($.eventName = DisableKey) || ($.eventName = "
    "ScheduleKeyDeletion)) }",
    "{ ($.errorCode =*UnauthorizedOperation) || ($.errorCode =AccessDenied*) && "
    "($.sourceIPAddress!=delivery.logs.amazonaws.com) && ($.eventName!=HeadBucket) }",
    "{ $.requestParameters.instanceType = *.8xlarge }",
};

TEST(ParserTest, ParsesEveryAwsExample) {
  for (const char* pattern : kAwsExamples) {
    auto parsed = ParsePattern(pattern);
    EXPECT_TRUE(parsed.has_value())
        << pattern << "\n"
        << (parsed ? "" : parsed.error().message) << " at " << (parsed ? 0 : parsed.error().offset);
  }
}

class ParserTableTest : public ::testing::TestWithParam<ParseCase> {};

TEST_P(ParserTableTest, PrintsCanonicalForm) {
  const ParseCase& c = GetParam();
  auto parsed = ParsePattern(c.pattern);
  ASSERT_TRUE(parsed.has_value()) << c.pattern << "\n"
                                  << parsed.error().message << " at " << parsed.error().offset;
  EXPECT_EQ(PrintPattern(*parsed), c.printed) << c.pattern;
}

INSTANTIATE_TEST_SUITE_P(Grammar, ParserTableTest, ::testing::ValuesIn(kParseCases),
                         [](const auto& param_info) {
                           return "row" + std::to_string(param_info.index);
                         });

TEST(ParserTest, KeepsSourceAndOffsets) {
  auto parsed = ParsePattern("{ $.a = 1 && $.b = \"x\" }");
  ASSERT_TRUE(parsed.has_value());
  EXPECT_EQ(parsed->source, "{ $.a = 1 && $.b = \"x\" }");
  ASSERT_EQ(parsed->selectors.size(), 2u);
  EXPECT_EQ(parsed->selectors[0].offset, 2u);
  EXPECT_EQ(parsed->selectors[1].offset, 13u);
  EXPECT_EQ(parsed->condition->children[1].value.offset, 19u);
}

TEST(ParserTest, NumberLiteralGrammar) {
  for (const char* yes :
       {"0", "1", "-1", "+1", "1.5", "1e3", "1E3", "1e+3", "1e-3", "10e-3", "55.5", "007"}) {
    EXPECT_TRUE(IsNumberLiteral(yes)) << yes;
  }
  for (const char* no : {"", "-", "+", ".5", "5.", "1e", "1e+", "1.2.3", "0x10", "inf", "nan",
                         "1,000", " 1", "1 "}) {
    EXPECT_FALSE(IsNumberLiteral(no)) << no;
  }
}

TEST(ParserTest, AcceptsThe1024ByteLimitExactly) {
  std::string pattern(1024, 'a');
  EXPECT_TRUE(ParsePattern(pattern).has_value());
}

TEST(ParserTest, AllowsThreeWildcardSelectorsAndTwoRegexes) {
  EXPECT_TRUE(ParsePattern("{ $.a[*] = 1 || $.b.* = 2 || $.* = 3 }").has_value());
  EXPECT_TRUE(ParsePattern("{ $.a = %x% || $.b = %y% }").has_value());
  EXPECT_TRUE(ParsePattern("[a=%x%, b=%y%, c]").has_value());
}

}  // namespace
}  // namespace trailreplay::pattern

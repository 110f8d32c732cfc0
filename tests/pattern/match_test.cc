// Match tables: (pattern, message, expected) for every example in the spec (sections A and
// C.4), every operator and every pattern family, plus the decisions of spec section 0. Each
// row is checked with the fast evaluator and with the reference evaluator, so a row that
// disagrees with the spec fails twice, and one where the two engines disagree fails once.
#include <gtest/gtest.h>

#include "pattern/compiled.h"
#include "pattern/parser.h"
#include "support/reference_evaluator.h"

namespace trailreplay::pattern {
namespace {

struct MatchCase {
  const char* pattern;
  const char* message;
  bool expected;
};

// The AWS doc's JSON example events (spec A.3; FilterAndPatternSyntax "JSON log event").
#define DOC_EVENT                                                                          \
  R"({"eventType":"UpdateTrail","sourceIPAddress":"111.111.111.111","arrayKey":["value",)" \
  R"("another value"],"objectList":[{"name":"a","id":1},{"name":"b","id":2}],)"            \
  R"("SomeObject":null,"cluster.name":"c"})"
#define DOC_USERS                                                                         \
  R"({"user":{"id":1,"email":"John.Stiles@example.com"},"users":[{"id":2,"email":)"       \
  R"("John.Doe@example.com"},{"id":3,"email":"Jane.Doe@example.com"}],"actions":["GET",)" \
  R"("PUT","DELETE"],"coordinates":[[0,1,2],[4,5,6],[7,8,9]]})"
#define APACHE \
  R"(127.0.0.1 Prod frank [10/Oct/2000:13:25:15 -0700] "GET /index.html HTTP/1.0" 404 1534)"

#define CIS_UNAUTH \
  R"({ ($.errorCode = "*UnauthorizedOperation") || ($.errorCode = "AccessDenied*") })"
#define CIS_UNAUTH_V13                                                                   \
  R"({ ($.errorCode = "*UnauthorizedOperation") || ($.errorCode = "AccessDenied*") || )" \
  R"(($.sourceIPAddress!="delivery.logs.amazonaws.com") || ($.eventName!="HeadBucket") })"
#define CIS_UNAUTH_V4                                                              \
  R"({ ($.errorCode =*UnauthorizedOperation) || ($.errorCode =AccessDenied*) && )" \
  R"(($.sourceIPAddress!=delivery.logs.amazonaws.com) && ($.eventName!=HeadBucket) })"
#define CIS_TRAIL                                                                      \
  R"({ ($.eventName = CreateTrail) || ($.eventName = UpdateTrail) || ($.eventName = )" \
  R"(DeleteTrail) || ($.eventName = StartLogging) || ($.eventName = StopLogging) })"
#define CIS_ROOT \
  R"({$.userIdentity.type="Root" && $.userIdentity.invokedBy NOT EXISTS && $.eventType !="AwsServiceEvent"})"
#define CIS_NO_MFA                                                                      \
  R"({ ($.eventName = "ConsoleLogin") && ($.additionalEventData.MFAUsed != "Yes") && )" \
  R"(($.userIdentity.type = "IAMUser") && ($.responseElements.ConsoleLogin = "Success") })"

const MatchCase kMatchCases[] = {
    // ---- match-all (A.1.7) ----
    {"", "anything", true},
    {"", "", true},
    {"\" \"", "nospaces", true},
    {"\"\"", "x", true},

    // ---- terms (A.1) ----
    {"ERROR", "[ERROR 400] BAD REQUEST", true},
    {"ERROR", "Exiting with ERRORCODE: -1", true},
    {"ERROR", "ERRORNEOUS PROGRAM", true},
    {"ERROR", "NotFoundError", false},
    {"ERROR", "error=1", false},
    {"\"Exception\"", "[ERROR] Caught IllegalArgumentException", true},
    {"ERROR ARGUMENTS", "[ERROR 419] MISSING ARGUMENTS", true},
    {"ERROR ARGUMENTS", "[ERROR 400] BAD REQUEST", false},
    {"ARGUMENTS ERROR", "[ERROR 419] MISSING ARGUMENTS", true},
    {"?ERROR ?ARGUMENTS", "[ERROR 400] BAD REQUEST", true},
    {"?ERROR ?ARGUMENTS", "[INFO] ARGUMENTS", true},
    {"?ERROR ?ARGUMENTS", "[INFO] REQUEST FAILED", false},
    {"?ERROR ?ARGUMENTS REQUEST", "[INFO] REQUEST FAILED", true},
    {"?ERROR ?ARGUMENTS REQUEST", "[WARN] UNAUTHORIZED REQUEST", true},
    {"?ERROR ?ARGUMENTS REQUEST", "[ERROR 419] MISSING ARGUMENTS", false},
    {"\"INTERNAL SERVER ERROR\"", "[ERROR 500] INTERNAL SERVER ERROR", true},
    {"\"INTERNAL SERVER ERROR\"", "[ERROR 500] INTERNAL  SERVER ERROR", false},
    {"ERROR -ARGUMENTS", "[ERROR 400] BAD REQUEST", true},
    {"ERROR -ARGUMENTS", "[ERROR 419] MISSING ARGUMENTS", false},
    {"-ERROR", "[INFO] fine", true},
    {"-ERROR", "[ERROR] not fine", false},
    {"\"ERROR][grpc\"", "2025-03-28 [ERROR][grpc] failed", true},
    {"\"ERROR][grpc\"", "2025-03-28 [ERROR] [grpc] failed", false},
    {"ERROR", "error", false},  // case-sensitive
    {"?\"bad news\" ?\"worse news\"", "this is worse news", true},
    {"ERROR -\"bad news\"", "ERROR all good", true},
    {"ERROR -\"bad news\"", "ERROR bad news", false},

    // ---- standalone regex (A.2) ----
    {"%AUTHORIZED%", "[ERROR 401] UNAUTHORIZED REQUEST", true},
    {"%AUTHORIZED%", "[SUCCESS 200] AUTHORIZED REQUEST", true},
    {"%AUTHORIZED%", "[SUCCESS 200] authorized", false},
    {"%gra|ey%", "gray", true},
    {"%gra|ey%", "grey", true},
    {"%gra|ey%", "gry", false},
    {"%10.10.0.1%", "10010,051", true},
    {"%10\\.10\\.0\\.1%", "10010,051", false},
    {"%10\\.10\\.0\\.1%", "from 10.10.0.1:443", true},
    {"%^starting|^initializing|^shutting down%", "initializing now", true},
    {"%^starting|^initializing|^shutting down%", "shutting down", true},
    {"%^starting|^initializing|^shutting down%", "skipping initializing", false},
    {"%^[hc]at%", "hat trick", true},
    {"%^[hc]at%", "that", false},
    {"%[hc]at$%", "the cat", true},

    // ---- JSON: the doc's examples (A.3) ----
    {"{ $.eventType = \"UpdateTrail\" }", DOC_EVENT, true},
    {"{ $.eventType = UpdateTrail }", DOC_EVENT, true},
    {"{ $.eventType = \"Update\" }", DOC_EVENT, false},  // whole-value, not substring
    {"{ $.sourceIPAddress != 123.123.* }", DOC_EVENT, true},
    {"{ $.sourceIPAddress != 111.111.* }", DOC_EVENT, false},
    {"{ $.arrayKey[0] = \"value\" }", DOC_EVENT, true},
    {"{ $.arrayKey[1] = \"value\" }", DOC_EVENT, false},
    {"{ $.arrayKey[2] = \"value\" }", DOC_EVENT, false},
    {"{ $.eventType = %Trail% }", DOC_EVENT, true},
    {"{ $.arrayKey[*] = %val.{2}% }", DOC_EVENT, true},
    {"{ $.* = %111\\.111\\.111\\.1[0-9]{1,2}% }", DOC_EVENT, true},
    {"{ $.['cluster.name'] = \"c\" }", DOC_EVENT, true},
    {"{ $.SomeObject IS NULL }", DOC_EVENT, true},
    {"{ $.eventType IS NULL }", DOC_EVENT, false},
    {"{ $.Missing IS NULL }", DOC_EVENT, false},
    {"{ $.SomeOtherObject NOT EXISTS }", DOC_EVENT, true},
    {"{ $.SomeObject NOT EXISTS }", DOC_EVENT, false},  // present with null: exists
    {"{ $.objectList[1].name = b }", DOC_EVENT, true},
    {"{ $.objectList[*].id = 2 }", DOC_EVENT, true},
    {"{ $.objectList[*].id = 3 }", DOC_EVENT, false},
    {"{ ($.user.id = 1) && ($.users[0].email = \"John.Doe@example.com\") }", DOC_USERS, true},
    {"{ $.user.email = \"John.Stiles@example.com\" || $.coordinates[0][1] = \"nonmatch\" && "
     "$.actions[2] = \"nonmatch\" }",
     DOC_USERS, true},
    {"{ ($.user.email = \"John.Stiles@example.com\" || $.coordinates[0][1] = \"nonmatch\") && "
     "$.actions[2] = \"nonmatch\" }",
     DOC_USERS, false},
    {"{ ($.user.id = 2 && $.users[0].email = \"nonmatch\") || $.actions[2] = \"GET\" }", DOC_USERS,
     false},
    {"{ $.coordinates[0][1] = 1 }", DOC_USERS, true},
    {"{ $.coordinates[2][2] = 9 }", DOC_USERS, true},
    // Objects and arrays satisfy neither = nor != (A.3.4).
    {"{ $.users = 1 }", DOC_USERS, false},
    {"{ $.users != 1 }", DOC_USERS, false},
    {"{ $.user != \"x\" }", DOC_USERS, false},
    {"{ $.user = * }", DOC_USERS, false},
    // Missing paths satisfy neither = nor != (A.3.3, the AZUL trap).
    {"{ ($.errorCode = \"AccessDenied\") && ($.userIdentity.invokedBy != "
     "\"cloudfront.amazonaws.com\") }",
     R"({"errorCode":"AccessDenied","userIdentity":{"type":"IAMUser"}})", false},
    {"{ ($.errorCode = \"AccessDenied\") && (($.userIdentity.invokedBy NOT EXISTS) || "
     "($.userIdentity.invokedBy != \"cloudfront.amazonaws.com\")) }",
     R"({"errorCode":"AccessDenied","userIdentity":{"type":"IAMUser"}})", true},
    {"{ $.a != 1 }", R"({"b":1})", false},
    // Numbers (A.3.9): numeric comparison, signs, decimals, exponents.
    {"{ $.bandwidth > 75 }", R"({"bandwidth":76})", true},
    {"{ $.bandwidth > 75 }", R"({"bandwidth":75})", false},
    {"{ $.latency < 50 }", R"({"latency":49.9})", true},
    {"{ $.refreshRate >= 60 }", R"({"refreshRate":60})", true},
    {"{ $.responseTime <= 5 }", R"({"responseTime":5.0})", true},
    {"{ $.errorCode = 400 }", R"({"errorCode":400})", true},
    {"{ $.errorCode = 400 }", R"({"errorCode":400.0})", true},
    {"{ $.errorCode = 400 }", R"({"errorCode":4e2})", true},
    {"{ $.errorCode != 500 }", R"({"errorCode":400})", true},
    {"{ $.errorCode != 500 }", R"({"errorCode":500})", false},
    {"{ $.number[0] = 1e+3 }", R"({"number":[1000]})", true},
    {"{ $.number[0] != 1e-3 }", R"({"number":[0.001]})", false},
    {"{ $.n = +1000 }", R"({"n":1000})", true},
    {"{ $.n = -55.5 }", R"({"n":-55.5})", true},
    {"{ $.n = 10e-3 }", R"({"n":0.01})", true},
    {"{ $.n > -1 }", R"({"n":-0.5})", true},
    // Relational operators hold only on JSON numbers (spec section 0, E.8).
    {"{ $.n > 5 }", R"({"n":"10"})", false},
    {"{ $.n < 5 }", R"({"n":true})", false},
    {"{ $.n < 5 }", R"({"n":null})", false},
    // A number literal against a string compares text as written (E.8).
    {"{ $.code = 400 }", R"({"code":"400"})", true},
    {"{ $.code = 400 }", R"({"code":"400.0"})", false},
    {"{ $.code != 400 }", R"({"code":"401"})", true},
    // A string literal against a number compares the number's text.
    {"{ $.code = \"400\" }", R"({"code":400})", true},
    {"{ $.code = \"400\" }", R"({"code":400.0})", false},
    {"{ $.code = 4* }", R"({"code":404})", true},
    // Booleans: IS TRUE/FALSE only on JSON booleans; = compares the literal text.
    {"{ $.readOnly IS FALSE }", R"({"readOnly":false})", true},
    {"{ $.readOnly IS FALSE }", R"({"readOnly":"false"})", false},
    {"{ $.readOnly IS TRUE }", R"({"readOnly":false})", false},
    {"{ $.mfa IS TRUE }", R"({"mfa":"true"})", false},
    {"{ $.readOnly = false }", R"({"readOnly":false})", true},
    {"{ $.readOnly = true }", R"({"readOnly":false})", false},
    {"{ $.mfa = true }", R"({"mfa":"true"})", true},
    // null satisfies neither = nor != (only IS NULL).
    {"{ $.x = * }", R"({"x":null})", false},
    {"{ $.x != \"a\" }", R"({"x":null})", false},
    // Globs (A.3.6, spec section 0 E.6: a middle '*' is a glob).
    {"{ $.e = *Event }", R"({"e":"PutEvent"})", true},
    {"{ $.e = Event* }", R"({"e":"EventName"})", true},
    {"{ $.e = \"Ev*ent\" }", R"({"e":"Evaluation event"})", true},
    {"{ $.e = \"Ev*ent\" }", R"({"e":"Ev*ent"})", true},
    {"{ $.e = \"Ev*ent\" }", R"({"e":"Evented"})", false},
    {"{ $.e = \"a*b*c\" }", R"({"e":"aXbYc"})", true},
    {"{ $.e = \"a*b*c\" }", R"({"e":"aXcYb"})", false},
    {"{ $.e = \"*\" }", R"({"e":""})", true},
    {"{ $.latency = * }", R"({"latency":50})", true},
    {"{ $.latency = * }", R"({"other":50})", false},
    {"{ $.e = AccessDenied* }", R"({"e":"AccessDenied"})", true},
    {"{ $.eventSource = s3.amazonaws.com }", R"({"eventSource":"s3.amazonaws.com"})", true},
    {"{ $.requestParameters.instanceType = *.8xlarge }",
     R"({"requestParameters":{"instanceType":"c5.8xlarge"}})", true},
    // Strings are compared unescaped; keys too.
    {"{ $.msg = \"say \\\"hi\\\"\" }", R"({"msg":"say \"hi\""})", true},
    {"{ $.msg = \"A\" }", R"({"msg":"\u0041"})", true},
    {"{ $.key = 1 }", R"({"\u006bey":1})", true},
    // Keys are found 16 bytes at a time: an escape or the closing quote past the first block.
    {"{ $.recipientAccountId = 1 }", R"({"recipientAccount\u0049d":1})", true},
    {"{ $.sessionCredentialFromConsole = 1 }", R"({"sessionCredentialFromConsole":1})", true},
    {"{ $.sessionCredentialFromConsole = 1 }", R"({"sessionCredentialFromConsolf":1})", false},
    {"{ $.name = \"caf\xc3\xa9\" }", R"({"name":"caf\u00e9"})", true},
    // Keys are case-sensitive.
    {"{ $.EventName = x }", R"({"eventName":"x"})", false},
    // Wildcard selectors: any element satisfies, for != too (spec section 0, E.9).
    {"{ $.a[*] = 2 }", R"({"a":[1,2,3]})", true},
    {"{ $.a[*] != 2 }", R"({"a":[2,2,3]})", true},
    {"{ $.a[*] != 2 }", R"({"a":[2,2]})", false},
    {"{ $.a[*] != 2 }", R"({"a":[]})", false},
    {"{ $.a[*] NOT EXISTS }", R"({"a":[]})", true},
    {"{ $.o.* = x }", R"({"o":{"p":"y","q":"x"}})", true},
    {"{ $.* = 1 }", R"({"a":{"b":1}})", false},  // `.*` is one level
    // Duplicate keys: every occurrence is a value of the path.
    {"{ $.a = 2 }", R"({"a":1,"a":2})", true},
    // Non-JSON and non-object messages never match a JSON pattern, not even NOT EXISTS.
    {"{ $.a NOT EXISTS }", "plain text", false},
    {"{ $.a NOT EXISTS }", "[1,2]", false},
    {"{ $.a NOT EXISTS }", R"({"a":1} trailing)", false},
    {"{ $.a NOT EXISTS }", R"({"a":)", false},
    {"{ $.a NOT EXISTS }", R"(  {"b":1}  )", true},
    {"{ $.a = 1 }", R"({"a":1,})", false},

    // ---- CIS patterns (spec C.4) over CloudTrail-shaped events ----
    {CIS_UNAUTH, R"({"errorCode":"Client.UnauthorizedOperation","eventName":"RunInstances"})",
     true},
    {CIS_UNAUTH, R"({"errorCode":"AccessDenied","eventName":"GetObject"})", true},
    {CIS_UNAUTH, R"({"errorCode":"AccessDeniedException","eventName":"Decrypt"})", true},
    {CIS_UNAUTH, R"({"errorCode":"ThrottlingException"})", false},
    {CIS_UNAUTH, R"({"errorCode":"Client.InvalidPermission.NotFound"})", false},
    {CIS_UNAUTH, R"({"eventName":"DescribeInstances"})", false},
    {CIS_UNAUTH, R"({"errorCode":"accessdenied"})", false},
    // v1.3-1.5: four-clause || matches almost everything.
    {CIS_UNAUTH_V13, R"({"eventName":"DescribeInstances","sourceIPAddress":"1.2.3.4"})", true},
    {CIS_UNAUTH_V13,
     R"({"eventName":"HeadBucket","sourceIPAddress":"delivery.logs.amazonaws.com"})", false},
    // v4.0+: A || (B && C && D).
    {CIS_UNAUTH_V4,
     R"({"errorCode":"Client.UnauthorizedOperation","eventName":"HeadBucket","sourceIPAddress":"delivery.logs.amazonaws.com"})",
     true},
    {CIS_UNAUTH_V4,
     R"({"errorCode":"AccessDenied","eventName":"HeadBucket","sourceIPAddress":"1.2.3.4"})", false},
    {CIS_UNAUTH_V4,
     R"({"errorCode":"AccessDenied","eventName":"GetObject","sourceIPAddress":"delivery.logs.amazonaws.com"})",
     false},
    {CIS_UNAUTH_V4,
     R"({"errorCode":"AccessDenied","eventName":"GetObject","sourceIPAddress":"1.2.3.4"})", true},
    {CIS_TRAIL, R"({"eventName":"StopLogging"})", true},
    {CIS_TRAIL, R"({"eventName":"CreateTrail"})", true},
    {CIS_TRAIL, R"({"eventName":"DescribeTrails"})", false},
    {CIS_TRAIL, R"({"eventName":"StopLoggingX"})", false},
    {CIS_TRAIL, R"({"eventName":"StopLoggin"})", false},
    {CIS_TRAIL, R"({"eventName":["DescribeTrails","StopLogging"]})", false},
    {CIS_TRAIL, R"({"eventName":{"CreateTrail":1}})", false},
    {CIS_TRAIL, R"({"eventName":null})", false},
    {CIS_TRAIL, R"({"eventName":"Stop\u004cogging"})", true},
    // An `||` list over one selector is one set lookup: it compares text as each `=` would.
    {R"({ $.n = "400" || $.n = "1e3" || $.n = true })", R"({"n":400})", true},
    {R"({ $.n = "400" || $.n = "1e3" || $.n = true })", R"({"n":4e2})", false},
    {R"({ $.n = "400" || $.n = "1e3" || $.n = true })", R"({"n":true})", true},
    {R"({ $.n = "400" || $.n = "1e3" || $.n = "null" })", R"({"n":null})", false},
    {R"({ $.a[*] = x || $.a[*] = y })", R"({"a":[1,"y"]})", true},
    {R"({ $.a = x || $.a = "*" || $.a = y })", R"({"a":"z"})", true},
    {R"({ ($.a = x || $.b = y || $.a = z) && $.c = 1 })", R"({"a":"z","c":1})", true},
    {R"({ ($.a = x || $.b = y || $.a = z) && $.c = 1 })", R"({"b":"y","c":2})", false},
    {R"([f = a || f = b || f = "c d", ...])", "c d e", false},
    {R"([f = a || f = b || f = "c d", ...])", "b d e", true},
    {R"([f = a || f = b || f = 400])", "400.0", true},
    {CIS_ROOT, R"({"userIdentity":{"type":"Root"},"eventType":"AwsApiCall"})", true},
    {CIS_ROOT,
     R"({"userIdentity":{"type":"Root","invokedBy":"support.amazonaws.com"},"eventType":"AwsApiCall"})",
     false},
    {CIS_ROOT, R"({"userIdentity":{"type":"Root"},"eventType":"AwsServiceEvent"})", false},
    {CIS_NO_MFA,
     R"({"eventName":"ConsoleLogin","additionalEventData":{"MFAUsed":"No"},"userIdentity":{"type":"IAMUser"},"responseElements":{"ConsoleLogin":"Success"}})",
     true},
    {CIS_NO_MFA,
     R"({"eventName":"ConsoleLogin","additionalEventData":{"MFAUsed":"Yes"},"userIdentity":{"type":"IAMUser"},"responseElements":{"ConsoleLogin":"Success"}})",
     false},
    {CIS_NO_MFA,
     R"({"eventName":"ConsoleLogin","userIdentity":{"type":"IAMUser"},"responseElements":{"ConsoleLogin":"Success"}})",
     false},

    // ---- space-delimited (A.4) ----
    {"[ip, user, username, timestamp, request, status_code, bytes]", APACHE, true},
    {"[ip=%127\\.0\\.0\\.[1-9]%, user, username, timestamp, request =*.html*, status_code = 4*, "
     "bytes]",
     APACHE, true},
    {"[ip=%127\\.0\\.0\\.[2-9]%, user, username, timestamp, request, status_code, bytes]", APACHE,
     false},
    {"[..., request =*.html*, status_code = 4*, bytes]", APACHE, true},
    {"[..., status_code = 4*]", APACHE, false},
    {"[..., status_code = 4*, bytes]", APACHE, true},
    {"[ip, ..., status_code = 404, bytes]", APACHE, true},
    {"[ip, user, ...]", APACHE, true},
    {"[ip, user, username, timestamp, request, status_code = 404 || status_code = 410, bytes]",
     APACHE, true},
    {"[ip, user, username, timestamp, request, status_code = 410 || status_code = 500, bytes]",
     APACHE, false},
    {"[ip, user, username, timestamp, request, status_code >= 400, bytes > 1000]", APACHE, true},
    {"[ip, user, username, timestamp, request, status_code, bytes > 2000]", APACHE, false},
    {"[ip, user, username, timestamp, request = \"GET /index.html HTTP/1.0\", status_code, bytes]",
     APACHE, true},
    {"[ip, user, username, timestamp = \"10/Oct/2000:13:25:15 -0700\", request, status_code, "
     "bytes]",
     APACHE, true},
    // The last slot takes the rest of the line (the reason for AWS's trailing blank slot).
    {"[w1=ERROR, w2]", "ERROR 09/25/2014 12:00:02 Failed to process request", true},
    {"[w1=ERROR, w2]", "INFO 09/25/2014 12:00:00 GET /service/resource/67 1200", false},
    {"[w1=ERROR]", "ERROR 09/25/2014 12:00:02 Failed", false},
    {"[w1=ERROR]", "ERROR", true},
    {"[w1=ERROR || w1=WARNING, w2]", "WARNING 09/25/2014 12:00:02 Invalid user request", true},
    {"[w1!=ERROR && w1!=WARNING, w2]", "WARNING 09/25/2014 12:00:02 Invalid user request", false},
    {"[w1!=ERROR && w1!=WARNING, w2]", "INFO 09/25/2014 12:00:00 GET /x 1200", true},
    {"[logLevel, date, time, method, url=%/service/resource/[0-9]+$%, response_time]",
     "INFO 09/25/2014 12:00:00 GET /service/resource/67 1200", true},
    {"[logLevel, date, time, method, url=%/service/resource/[0-9]+$%, response_time]",
     "INFO 09/25/2014 12:00:01 POST /service/resource/67/part/111 1310", false},
    {"[logLevel, date, time, method, url=%/service/resource/[0-9]+/part/[0-9]+$%, response_time]",
     "INFO 09/25/2014 12:00:01 POST /service/resource/67/part/111 1310", true},
    {"[a, b, c]", "one two", false},  // too few fields
    {"[a, b]", "", false},
    {"[a, b = 1 && c = 2, c]", "x 1 2", true},
    {"[a, b = 1 && c = 2, c]", "x 1 3", false},
    {"[a, b = 1e3, c]", "x 1000 y", true},
    {"[a, b = 1e3, c]", "x 1e3 y", true},
    {"[a, b != 5, c]", "x - y", true},
    {"[a, b > 5, c]", "x - y", false},
    {"[a, b = \"two words\", c]", "x \"two words\" y", true},
    {"[a, b, c]", "x  y   z", true},  // runs of blanks separate once
};

class MatchTableTest : public ::testing::TestWithParam<MatchCase> {};

TEST_P(MatchTableTest, FastEvaluatorFollowsTheSpec) {
  const MatchCase& c = GetParam();
  auto parsed = ParsePattern(c.pattern);
  ASSERT_TRUE(parsed.has_value()) << c.pattern << ": " << parsed.error().message;
  SelectorPlan plan;
  const CompiledPattern compiled(*parsed, plan);
  EventContext event(&plan);
  event.Reset(c.message);
  EXPECT_EQ(compiled.Matches(event), c.expected) << c.pattern << "\n  on " << c.message;
}

TEST_P(MatchTableTest, ReferenceEvaluatorFollowsTheSpec) {
  const MatchCase& c = GetParam();
  auto parsed = ParsePattern(c.pattern);
  ASSERT_TRUE(parsed.has_value()) << c.pattern;
  EXPECT_EQ(testing::ReferenceMatches(*parsed, c.message), c.expected)
      << c.pattern << "\n  on " << c.message;
}

INSTANTIATE_TEST_SUITE_P(Spec, MatchTableTest, ::testing::ValuesIn(kMatchCases),
                         [](const auto& param_info) {
                           return "row" + std::to_string(param_info.index);
                         });

TEST(EventContextTest, ManyRulesShareOneExtraction) {
  SelectorPlan plan;
  const CompiledPattern a(*ParsePattern(CIS_UNAUTH), plan);
  const CompiledPattern b(*ParsePattern(CIS_TRAIL), plan);
  const CompiledPattern c(*ParsePattern("{ $.errorCode = AccessDenied && $.eventName = x }"), plan);
  EXPECT_EQ(plan.size(), 2u);  // $.errorCode and $.eventName, shared
  EventContext event(&plan);
  event.Reset(R"({"eventName":"StopLogging","errorCode":"AccessDenied"})");
  EXPECT_TRUE(a.Matches(event));
  EXPECT_TRUE(b.Matches(event));
  EXPECT_FALSE(c.Matches(event));
  event.Reset(R"({"eventName":"x","errorCode":"AccessDenied"})");
  EXPECT_FALSE(b.Matches(event));
  EXPECT_TRUE(c.Matches(event));
}

TEST(EventContextTest, ParsesInPlaceWhenThePaddingIsThere) {
  SelectorPlan plan;
  const CompiledPattern p(*ParsePattern("{ $.a = 1 }"), plan);
  EventContext event(&plan);
  std::string buffer = R"({"a":1})";
  const std::size_t size = buffer.size();
  buffer.resize(size + 64, ' ');
  event.Reset(std::string_view(buffer.data(), size), buffer.size());
  EXPECT_EQ(event.message().data(), buffer.data());
  EXPECT_TRUE(p.Matches(event));
  event.Reset(std::string_view(buffer.data(), size), size);  // no padding: copied
  EXPECT_NE(event.message().data(), buffer.data());
  EXPECT_TRUE(p.Matches(event));
}

// ---- whole-document mode ------------------------------------------------------------------

// A document in a buffer with simdjson's padding after it, as the scanner holds documents.
struct PaddedDocument {
  explicit PaddedDocument(std::string text) : size(text.size()), buffer(std::move(text)) {
    buffer.resize(size + 64, '\0');
  }
  std::string_view view() const { return {buffer.data(), size}; }
  std::size_t size;
  std::string buffer;
};

// What a walk of the whole document yields: "offset:text" per record, then "end" or
// "irregular" ("unstarted" when StartDocument refuses it).
std::vector<std::string> WalkAll(const PaddedDocument& doc, bool records_object,
                                 EventContext& event, const CompiledPattern* pattern = nullptr) {
  std::vector<std::string> out;
  if (!event.StartDocument(doc.view(), records_object)) return {"unstarted"};
  for (;;) {
    const auto step = event.NextRecord();
    if (step == EventContext::DocumentStep::kEnd) {
      out.emplace_back("end");
      return out;
    }
    if (step == EventContext::DocumentStep::kIrregular) {
      out.emplace_back("irregular");
      return out;
    }
    EXPECT_TRUE(event.IsJsonObject());
    std::string row = std::to_string(event.record_offset()) + ":" + std::string(event.message());
    if (pattern != nullptr) row += pattern->Matches(event) ? " match" : " no";
    out.push_back(row);
  }
}

TEST(EventContextTest, WalksALogRecordByRecordWithEachRecordsExactText) {
  SelectorPlan plan;
  const CompiledPattern p(*ParsePattern(R"({ $.user.name = "a*" && $.n > 1 })"), plan);
  EventContext event(&plan);
  const PaddedDocument doc(
      "{ \"Records\" :\n [ {\"user\":{\"name\":\"ab\"},\"n\":2} ,\n\t{\"n\":5, "
      "\"user\":{\"name\":\"b\\u0061\"}, \"x\":[1,{\"y\":[]}]}\r\n,{}] }\n");
  EXPECT_EQ(WalkAll(doc, true, event, &p),
            (std::vector<std::string>{"17:{\"user\":{\"name\":\"ab\"},\"n\":2} match",
                                      "49:{\"n\":5, \"user\":{\"name\":\"b\\u0061\"}, "
                                      "\"x\":[1,{\"y\":[]}]} no",
                                      "104:{} no", "end"}));
  // The same records as a top-level array; and a log with no records.
  EXPECT_EQ(WalkAll(PaddedDocument(R"([{"n":2,"user":{"name":"a"}}, {"n":1}])"), false, event, &p),
            (std::vector<std::string>{R"(1:{"n":2,"user":{"name":"a"}} match)", R"(30:{"n":1} no)",
                                      "end"}));
  EXPECT_EQ(WalkAll(PaddedDocument(R"({"Records":[]})"), true, event),
            (std::vector<std::string>{"end"}));
  // After the walk, Reset() evaluates single messages again.
  event.Reset(R"({"n":3,"user":{"name":"abc"}})");
  EXPECT_TRUE(p.Matches(event));
}

TEST(EventContextTest, LeavesIrregularDocumentsToTheSplitter) {
  SelectorPlan plan;
  const CompiledPattern p(*ParsePattern("{ $.n = 1 }"), plan);
  EventContext event(&plan);
  const std::vector<std::string> unstarted = {"unstarted"};
  // Not the shape: another first field, Records not an array, not an object at all, and
  // documents simdjson refuses: an unclosed string, bad UTF-8, and (its check of the last
  // character) trailing data or a truncated end.
  EXPECT_EQ(WalkAll(PaddedDocument(R"({"x":1,"Records":[]})"), true, event), unstarted);
  EXPECT_EQ(WalkAll(PaddedDocument(R"({"Records":{}})"), true, event), unstarted);
  EXPECT_EQ(WalkAll(PaddedDocument(R"([{"n":1}])"), true, event), unstarted);
  EXPECT_EQ(WalkAll(PaddedDocument(R"({"Records":[{"n":1}]})"), false, event), unstarted);
  EXPECT_EQ(WalkAll(PaddedDocument(R"({"Records":[{"n":"1}]})"), true, event), unstarted);
  EXPECT_EQ(WalkAll(PaddedDocument("{\"Records\":[{\"n\":\"\xff\"}]}"), true, event), unstarted);
  EXPECT_EQ(WalkAll(PaddedDocument(R"({"Records":[{"n":1}]} x)"), true, event), unstarted);
  EXPECT_EQ(WalkAll(PaddedDocument(R"({"Records":[{"n":1}])"), true, event), unstarted);

  // Breaks found on the way: the records before them are yielded, then kIrregular.
  auto irregular_after = [&](const std::string& text, bool records_object, std::size_t good) {
    const auto rows = WalkAll(PaddedDocument(text), records_object, event);
    ASSERT_EQ(rows.size(), good + 1) << text;
    EXPECT_EQ(rows.back(), "irregular") << text;
  };
  irregular_after(R"({"Records":[{"n":1},5,{"n":1}]})", true, 1);              // not an object
  irregular_after(R"({"Records":[{"n":1},{"n":1e}]})", true, 1);               // a bad number read
  irregular_after(R"({"Records":[{"n":1},{"n" 1}]})", true, 1);                // a missing colon
  irregular_after(R"({"Records":[{"n":1} {"n":1}]})", true, 1);                // a missing comma
  irregular_after(R"({"Records":[{"n":1},{"n":1}]}{"Records":[]})", true, 2);  // concatenated
  irregular_after(R"({"Records":[{"n":1}],"Records":[]})", true, 1);           // a second field
  irregular_after(R"([{"n":1}] [{"n":2}])", false, 1);
  // Values no selector reads are skipped by counting brackets, which trusts the value's first
  // token: a value that starts with a separator or a closer, or a string followed by ':', would
  // end the record at the wrong brace. The walk stops there, and so does a lone parse.
  for (const char* record :
       {R"({"x":"a":1,"y":""})", R"({"x":,"n":1})", R"({"x":})", R"({"x":"b","y":"a":{}})"}) {
    const std::string log = std::string(R"({"Records":[{"n":1},)") + record + "]}";
    irregular_after(log, true, 1);
    event.Reset(record);
    EXPECT_FALSE(event.IsJsonObject()) << record;
  }
  // Inside an unread value only the brackets are counted (compiled.h): this one is counted.
  const auto rows = WalkAll(PaddedDocument(R"({"Records":[{"x":[1,"a":2]}]})"), true, event);
  EXPECT_EQ(rows, (std::vector<std::string>{R"(12:{"x":[1,"a":2]})", "end"}));
}

}  // namespace
}  // namespace trailreplay::pattern

// compile: each filter's verdict per dialect (a table: pattern -> verdict and the reason that
// makes it approximate), the options it refuses, and text from patterns reaching the SQL only
// as literals. What the SQL computes is checked by running it (duckdb_pushdown.py).
#include "pushdown/compile.h"

#include <gtest/gtest.h>

#include <string>

namespace trailreplay::pushdown {
namespace {

metric::MetricFilterSpec Filter(std::string name, std::string pattern, std::string value = "1") {
  metric::MetricFilterSpec spec;
  spec.name = std::move(name);
  spec.pattern = std::move(pattern);
  spec.transformation.metric_name = spec.name;
  spec.transformation.metric_namespace = "Test";
  spec.transformation.metric_value = std::move(value);
  spec.origin = "test";
  return spec;
}

CompileOptions Options(Dialect dialect) {
  CompileOptions o;
  o.dialect = dialect;
  o.engine = dialect == Dialect::kDuckDb ? Engine::kDuckDb : Engine::kTrino;
  if (dialect == Dialect::kDuckDb) {
    o.inputs = {"logs/**/*.json.gz"};
  } else {
    o.table = "cloudtrail_logs";
  }
  o.version = "0.0.0";
  return o;
}

struct Expected {
  Verdict verdict;
  const char* reason;  // a part of one reason, "" when exact
};

FilterVerdict VerdictOf(Dialect dialect, const metric::MetricFilterSpec& spec) {
  CompileOptions options = Options(dialect);
  options.skip_unsupported = true;
  std::vector<metric::MetricFilterSpec> filters = {spec};
  if (spec.name != "other") filters.push_back(Filter("other", "{ $.eventName = X }"));
  auto query = CompileQuery(filters, options);
  EXPECT_TRUE(query.has_value()) << spec.pattern << ": " << (query ? "" : query.error().message);
  return query ? query->filters.front() : FilterVerdict{};
}

void Check(Dialect dialect, const metric::MetricFilterSpec& spec, Expected expected) {
  const FilterVerdict v = VerdictOf(dialect, spec);
  EXPECT_EQ(VerdictName(v.verdict), VerdictName(expected.verdict))
      << DialectName(dialect) << ": " << spec.pattern;
  if (expected.verdict == Verdict::kExact) {
    EXPECT_TRUE(v.reasons.empty()) << spec.pattern << ": " << v.reasons.front();
    return;
  }
  bool found = false;
  for (const auto& reason : v.reasons)
    found = found || reason.find(expected.reason) != std::string::npos;
  EXPECT_TRUE(found) << DialectName(dialect) << ": " << spec.pattern << ": no reason with '"
                     << expected.reason << "' among " << v.reasons.size();
}

constexpr Verdict kExact = Verdict::kExact;
constexpr Verdict kApprox = Verdict::kApproximate;
constexpr Verdict kNone = Verdict::kUnsupported;

TEST(Verdicts, JsonSourcesAreExactButForNumberText) {
  struct Case {
    const char* pattern;
    Expected expected;
  } cases[] = {
      {R"({ ($.errorCode = "*UnauthorizedOperation") || ($.errorCode = "AccessDenied*") })",
       {kExact, ""}},
      {"{ $.userIdentity.type = Root && $.userIdentity.invokedBy NOT EXISTS }", {kExact, ""}},
      {"{ $.readOnly IS TRUE && $.x IS NULL }", {kExact, ""}},
      {"{ $.n > 5 && $.n = 400 && $.n != -2 }", {kExact, ""}},
      {"{ $.resources[*].ARN = \"arn:*\" || $.a.* = %^x% }", {kExact, ""}},
      {"{ $.arr[0] = 1.5 }", {kExact, ""}},  // a number literal compares numbers as numbers
      {"{ $.n = \"400\" }", {kExact, ""}},   // integers are written as written
      {"{ $.n = \"1.50\" }", {kApprox, "1.50 comes back as 1.5"}},
      {"{ $.n = \"0\" }", {kApprox, "compares text"}},  // -0 comes back 0
      {"{ $.n = 4* }", {kApprox, "compares text"}},
      {"{ $.n != %^[0-9.]+$% }", {kApprox, "compares text"}},
      {"{ $.n = * }", {kExact, ""}},
      {"", {kExact, ""}},
      {"ERROR -ARGUMENTS", {kApprox, "term and regex patterns search"}},
      {"%Den%", {kApprox, "term and regex patterns search"}},
      {"[ip, user, status = 4*]", {kNone, "space-delimited"}},
  };
  for (Dialect dialect : {Dialect::kDuckDb, Dialect::kTrinoJson}) {
    for (const auto& c : cases) Check(dialect, Filter("f", c.pattern), c.expected);
  }
}

TEST(Verdicts, TheCloudTrailTableLosesPresenceTypesCaseAndUnknownFields) {
  struct Case {
    const char* pattern;
    Expected expected;
  } cases[] = {
      {R"({ ($.errorCode = "*UnauthorizedOperation") || ($.errorCode = "AccessDenied*") })",
       {kExact, ""}},
      {"{ ($.eventName = ConsoleLogin) && ($.additionalEventData.MFAUsed != \"Yes\") }",
       {kExact, ""}},
      {"{ $.resources[0].ARN = \"arn:aws:s3:::*\" || $.resources[*].type = X }", {kExact, ""}},
      {"{ $.userIdentity.sessionContext.attributes.mfaAuthenticated = \"true\" }", {kExact, ""}},
      {"{ $.requestParameters.maxResults > 10 }", {kExact, ""}},
      {"{ $.requestParameters.bucketName NOT EXISTS }", {kExact, ""}},
      {"{ $.userIdentity.invokedBy NOT EXISTS }", {kApprox, "a JSON null and an absent field"}},
      {"{ $.errorCode IS NULL }", {kApprox, "a JSON null and an absent field"}},
      {"{ $.readOnly IS FALSE }", {kApprox, "holds the value as text"}},
      {"{ $.errorCode > 400 }", {kApprox, "numeric string"}},
      {"{ $.eventname = ConsoleLogin }", {kApprox, "CloudTrail writes 'eventName'"}},
      {"{ $.resources[0].arn = x }", {kApprox, "CloudTrail writes 'ARN'"}},
      {"{ $.managementEvent IS TRUE }", {kApprox, "no column for it"}},
      {"{ $.userIdentity.sessionContext.sourceIdentity = x }", {kApprox, "no column for it"}},
      {"{ $.userIdentity.* = Root }", {kApprox, "only the fields its DDL names"}},
      {"ERROR", {kNone, "raw text"}},
      {"%Den%", {kNone, "raw text"}},
  };
  for (const auto& c : cases) Check(Dialect::kAthena, Filter("f", c.pattern), c.expected);
}

TEST(Verdicts, DimensionsFromNumbersAndMapOrder) {
  auto f = Filter("f", "{ $.eventName = X }");
  f.transformation.dimensions = {{"Name", "$.eventName"}};
  Check(Dialect::kDuckDb, f, {kApprox, "dimension Name"});
  auto g = Filter("f", "{ $.eventName = X }", "$.requestParameters.*");
  Check(Dialect::kTrinoJson, g, {kApprox, "Trino's maps keep no order"});
  Check(Dialect::kDuckDb, g, {kExact, ""});
}

TEST(CompileQuery, RefusesWhatItCannotDo) {
  const std::vector<metric::MetricFilterSpec> cis = {Filter("a", "{ $.errorCode = X }")};
  auto error = [&](CompileOptions o, std::vector<metric::MetricFilterSpec> filters = {}) {
    auto q = CompileQuery(filters.empty() ? cis : filters, o);
    EXPECT_FALSE(q.has_value());
    return q ? std::string() : q.error().message;
  };
  CompileOptions o = Options(Dialect::kDuckDb);
  o.inputs.clear();
  EXPECT_NE(error(o).find("needs --input"), std::string::npos);
  o = Options(Dialect::kDuckDb);
  o.engine = Engine::kTrino;
  EXPECT_NE(error(o).find("--engine must be duckdb"), std::string::npos);
  o = Options(Dialect::kAthena);
  o.table.clear();
  EXPECT_NE(error(o).find("needs --table"), std::string::npos);
  o = Options(Dialect::kTrinoJson);
  o.partition_columns = {"timestamp"};
  EXPECT_NE(error(o).find("for --dialect athena"), std::string::npos);
  o = Options(Dialect::kAthena);
  o.partition_columns = {"year", "month"};
  EXPECT_NE(error(o).find("one column"), std::string::npos);
  o = Options(Dialect::kAthena);
  o.from = 100;
  o.to = 100;
  EXPECT_NE(error(o).find("--from must be before --to"), std::string::npos);
  o = Options(Dialect::kAthena);
  const std::string unsupported = error(o, {Filter("terms", "ERROR"), Filter("b", "{ $.a = 1 }")});
  EXPECT_NE(unsupported.find("filter 'terms'"), std::string::npos) << unsupported;
  EXPECT_NE(unsupported.find("--skip-unsupported"), std::string::npos);
  o.skip_unsupported = true;
  EXPECT_NE(error(o, {Filter("terms", "ERROR")}).find("no filter"), std::string::npos);
  o = Options(Dialect::kDuckDb);
  o.inputs = {"bad\xff.json"};
  EXPECT_NE(error(o).find("not valid UTF-8"), std::string::npos);
  // The rule set is validated as a scan validates it.
  EXPECT_NE(error(Options(Dialect::kDuckDb), {Filter("x", "{ $.a = ")}).find("x"),
            std::string::npos);
}

TEST(CompileQuery, PatternTextReachesTheSqlOnlyAsLiterals) {
  // Everything after the opening comment is SQL; a pattern's text appears in it only between
  // quotes, with quotes doubled and control characters spelled chr(N).
  const std::string payload = "x'); DROP TABLE t; --";
  auto spec = Filter("name'; DROP TABLE t; --\nDELETE", "{ $.a = \"" + payload + "\" }");
  for (Dialect dialect : {Dialect::kAthena, Dialect::kTrinoJson, Dialect::kDuckDb}) {
    auto q = CompileQuery({spec}, Options(dialect));
    ASSERT_TRUE(q.has_value()) << q.error().message;
    const std::string body = q->sql.substr(q->sql.find("\nWITH\n"));
    EXPECT_NE(body.find("'x''); DROP TABLE t; --'"), std::string::npos);
    EXPECT_NE(body.find("('name''; DROP TABLE t; --' || chr(10) || 'DELETE')"), std::string::npos);
    // Every comment line is a comment: a newline in a name cannot start a statement.
    const std::string head = q->sql.substr(0, q->sql.find("\nWITH\n") + 1);
    std::size_t start = 0;
    while (start < head.size()) {
      const std::size_t end = head.find('\n', start);
      EXPECT_EQ(head.compare(start, 2, "--"), 0) << head.substr(start, end - start);
      start = end + 1;
    }
  }
}

TEST(CompileQuery, TheQueryIdFollowsWhatWasCompiled) {
  auto a = CompileQuery({Filter("a", "{ $.x = 1 }")}, Options(Dialect::kAthena));
  auto b = CompileQuery({Filter("a", "{ $.x = 2 }")}, Options(Dialect::kAthena));
  CompileOptions later = Options(Dialect::kAthena);
  later.version = "9.9.9";
  auto c = CompileQuery({Filter("a", "{ $.x = 1 }")}, later);
  ASSERT_TRUE(a && b && c);
  EXPECT_NE(a->query_id, b->query_id);
  EXPECT_EQ(a->query_id, c->query_id);  // the version is provenance, not part of the query
  EXPECT_NE(a->parameters.find("\"digest\":\"" + FilterDigest(Filter("a", "{ $.x = 1 }"))),
            std::string::npos);
}

}  // namespace
}  // namespace trailreplay::pushdown

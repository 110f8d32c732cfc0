// Metric transformations: validation (PutMetricFilter's rules) and what each event publishes
// (spec A.5 and section 0, E.10/E.11).
#include "metric/transformation.h"

#include <gtest/gtest.h>

#include <limits>

#include <cmath>

#include "pattern/parser.h"

namespace trailreplay::metric {
namespace {

struct Fixture {
  pattern::SelectorPlan plan;
  std::unique_ptr<pattern::CompiledPattern> compiled;
  Result<CompiledTransformation> transformation = MakeError(ErrorCode::kInvalidArgument, "unset");
  std::unique_ptr<pattern::EventContext> event;

  Fixture(const char* pattern_text, const MetricTransformation& spec) {
    compiled =
        std::make_unique<pattern::CompiledPattern>(*pattern::ParsePattern(pattern_text), plan);
    transformation = CompiledTransformation::Compile(spec, *compiled, plan);
    event = std::make_unique<pattern::EventContext>(&plan);
  }
  Sample Run(std::string_view message) {
    event->Reset(message);
    Sample sample;
    transformation->Apply(compiled->Matches(*event), *event, sample);
    return sample;
  }
};

MetricTransformation Spec(std::string value, std::optional<double> default_value = std::nullopt,
                          std::vector<std::pair<std::string, std::string>> dimensions = {}) {
  MetricTransformation spec;
  spec.metric_value = std::move(value);
  spec.default_value = default_value;
  spec.dimensions = std::move(dimensions);
  return spec;
}

TEST(TransformationTest, LiteralValueOnMatchNothingOtherwise) {
  Fixture f("{ $.errorCode = AccessDenied* }", Spec("1"));
  ASSERT_TRUE(f.transformation.has_value());
  Sample s = f.Run(R"({"errorCode":"AccessDenied"})");
  EXPECT_TRUE(s.publish);
  EXPECT_EQ(s.value, 1);
  s = f.Run(R"({"errorCode":"Other"})");
  EXPECT_FALSE(s.publish);
}

TEST(TransformationTest, DefaultValueForNonMatchingEvents) {
  Fixture f("{ $.errorCode = AccessDenied* }", Spec("2.5", 0.0));
  EXPECT_EQ(f.Run(R"({"errorCode":"AccessDenied"})").value, 2.5);
  const Sample s = f.Run("not even json");
  EXPECT_TRUE(s.publish);
  EXPECT_EQ(s.value, 0);
}

TEST(TransformationTest, JsonReferenceValue) {
  Fixture f("{ $.latency = * }", Spec("$.latency"));
  Sample s = f.Run(R"({"latency":50})");
  EXPECT_TRUE(s.publish);
  EXPECT_EQ(s.value, 50);
  s = f.Run(R"({"latency":"70.5"})");  // numeric strings publish as numbers
  EXPECT_TRUE(s.publish);
  EXPECT_EQ(s.value, 70.5);
  s = f.Run(R"({"latency":"slow"})");  // matched, but nothing to publish (E.10)
  EXPECT_FALSE(s.publish);
  s = f.Run(R"({"latency":true})");
  EXPECT_FALSE(s.publish);
}

TEST(TransformationTest, ReferenceOutsideThePatternIsExtractedToo) {
  Fixture f("{ $.eventName = ConsoleLogin }", Spec("$.additionalEventData.n"));
  ASSERT_TRUE(f.transformation.has_value());
  const Sample s = f.Run(R"({"eventName":"ConsoleLogin","additionalEventData":{"n":3}})");
  EXPECT_TRUE(s.publish);
  EXPECT_EQ(s.value, 3);
}

TEST(TransformationTest, DelimitedReferences) {
  const char* apache =
      R"(127.0.0.1 Prod frank [10/Oct/2000:13:25:15 -0700] "GET /index.html HTTP/1.0" 404 1534)";
  Fixture f("[ip, user, username, timestamp, request, status_code, bytes]", Spec("$bytes"));
  EXPECT_EQ(f.Run(apache).value, 1534);
  Fixture positional("[ip, user, ...]", Spec("$7"));
  ASSERT_TRUE(positional.transformation.has_value());
  EXPECT_EQ(positional.Run(apache).value, 1534);
}

TEST(TransformationTest, Dimensions) {
  Fixture f("{ $.errorCode = * }",
            Spec("1", std::nullopt, {{"Source", "$.eventSource"}, {"Code", "$.errorCode"}}));
  ASSERT_TRUE(f.transformation.has_value());
  Sample s = f.Run(R"({"errorCode":"AccessDenied","eventSource":"s3.amazonaws.com"})");
  ASSERT_TRUE(s.publish);
  ASSERT_EQ(s.dimensions.size(), 2u);
  EXPECT_EQ(s.dimensions[0], (std::pair<std::string, std::string>{"Source", "s3.amazonaws.com"}));
  EXPECT_EQ(s.dimensions[1], (std::pair<std::string, std::string>{"Code", "AccessDenied"}));
  // A dimension that cannot be read: the event matched but publishes nothing.
  s = f.Run(R"({"errorCode":"AccessDenied"})");
  EXPECT_FALSE(s.publish);
}

struct InvalidCase {
  const char* pattern;
  MetricTransformation spec;
  const char* fragment;
};

TEST(TransformationTest, Validation) {
  MetricTransformation bad_unit = Spec("1");
  bad_unit.unit = "Furlongs";
  MetricTransformation good_unit = Spec("1");
  good_unit.unit = "Count/Second";
  const InvalidCase cases[] = {
      {"ERROR", Spec(""), "empty"},
      {"ERROR", Spec(std::string(101, '1')), "longer than 100"},
      {"ERROR", Spec("latency"), "must be a number or a reference"},
      {"ERROR", Spec("$.latency"), "not a JSON pattern"},
      {"{ $.a = 1 }", Spec("$size"), "not a space-delimited pattern"},
      {"[a, b]", Spec("$c"), "no field named 'c'"},
      {"[a, b]", Spec("$0"), "positions start at $1"},
      {"{ $.a = 1 }", Spec("$.a b"), "end of the selector"},
      {"{ $.a = 1 }", Spec("1", 0.0, {{"D", "$.a"}}), "both dimensions and a default"},
      {"{ $.a = 1 }",
       Spec("1", std::nullopt, {{"A", "$.a"}, {"B", "$.a"}, {"C", "$.a"}, {"D", "$.a"}}),
       "at most 3 dimensions"},
      {"{ $.a = 1 }", Spec("1", std::nullopt, {{"A", "$.a"}, {"A", "$.b"}}), "given twice"},
      {"{ $.a = 1 }", Spec("1", std::nullopt, {{"A", "literal"}}),
       "must be a number or a reference"},
      {"ERROR", Spec("1", std::nullopt, {{"A", "$.a"}}), "need a JSON or space-delimited"},
      {"ERROR", bad_unit, "not a CloudWatch unit"},
  };
  for (const InvalidCase& c : cases) {
    Fixture f(c.pattern, c.spec);
    ASSERT_FALSE(f.transformation.has_value()) << c.pattern << " / " << c.spec.metric_value;
    EXPECT_EQ(f.transformation.error().code, ErrorCode::kInvalidTransformation);
    EXPECT_NE(f.transformation.error().message.find(c.fragment), std::string::npos)
        << f.transformation.error().message;
  }
  Fixture ok("ERROR", good_unit);
  EXPECT_TRUE(ok.transformation.has_value());
}

TEST(TransformationTest, ExtractedValuesForJsonPatterns) {
  Fixture f("{ $.eventName = StopLogging && $.userIdentity.arn = * }", Spec("1"));
  f.event->Reset(R"({"eventName":"StopLogging","userIdentity":{"arn":"arn:aws:iam::1:user/x"}})");
  const auto values = ExtractedValues(*f.compiled, &*f.transformation, *f.event);
  ASSERT_EQ(values.size(), 2u);
  EXPECT_EQ(values[0].first, "$.eventName");
  EXPECT_EQ(values[0].second, "StopLogging");
  EXPECT_EQ(values[1].first, "$.userIdentity.arn");
}

TEST(TransformationTest, ExtractedValuesForDelimitedPatterns) {
  Fixture f("[w1=ERROR, ..., last]", Spec("1"));
  f.event->Reset("ERROR a b 42");
  const auto values = ExtractedValues(*f.compiled, &*f.transformation, *f.event);
  const std::vector<std::pair<std::string, std::string>> expected = {
      {"$w1", "ERROR"}, {"$last", "42"}, {"$2", "a"}, {"$3", "b"}};
  EXPECT_EQ(values, expected);
}

// PutMetricData rejects values outside -2^360..2^360, non-zero magnitudes below 2^-360, NaN
// and the infinities (spec section 0): such a value is never published.
TEST(AcceptedMetricValueTest, FollowsPutMetricDataRange) {
  const double two_360 = std::ldexp(1.0, 360), two_minus_360 = std::ldexp(1.0, -360);
  struct Case {
    double value;
    bool accepted;
  } const cases[] = {
      {0, true},
      {-0.0, true},
      {1, true},
      {-42.5, true},
      {two_360, true},
      {-two_360, true},
      {std::nextafter(two_360, 1e308), false},
      {1e308, false},
      {-1e200, false},
      {two_minus_360, true},
      {std::nextafter(two_minus_360, 0.0), false},
      {1e-200, false},
      {std::numeric_limits<double>::infinity(), false},
      {-std::numeric_limits<double>::infinity(), false},
      {std::numeric_limits<double>::quiet_NaN(), false},
  };
  for (const Case& c : cases) EXPECT_EQ(AcceptedMetricValue(c.value), c.accepted) << c.value;
}

}  // namespace
}  // namespace trailreplay::metric

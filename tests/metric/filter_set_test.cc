#include "metric/filter_set.h"

#include <gtest/gtest.h>

namespace trailreplay::metric {
namespace {

constexpr const char* kTransformation =
    R"("metricTransformations":[{"metricName":"m","metricNamespace":"n","metricValue":"1"}])";

std::string Document(const std::string& filters) {
  return R"({"metricFilters":[)" + filters + "]}";
}

TEST(FilterSetTest, ReadsDescribeMetricFiltersOutput) {
  // As `aws logs describe-metric-filters` prints it, fields in its order.
  const std::string json = R"({
    "metricFilters": [{
      "filterName": "CIS-UnauthorizedAPICalls",
      "filterPattern": "{ ($.errorCode = \"*UnauthorizedOperation\") || ($.errorCode = \"AccessDenied*\") }",
      "metricTransformations": [{
        "metricName": "UnauthorizedAPICalls", "metricNamespace": "CISBenchmark",
        "metricValue": "1", "defaultValue": 0.0, "unit": "Count"}],
      "creationTime": 1709251200123,
      "logGroupName": "aws-cloudtrail-logs"
    }, {
      "filterName": "by-event",
      "filterPattern": "{ $.eventSource = \"ec2.amazonaws.com\" }",
      "metricTransformations": [{
        "metricName": "Ec2", "metricNamespace": "Sec", "metricValue": "1",
        "dimensions": {"EventName": "$.eventName"}, "unit": "None"}],
      "creationTime": 1709251200000, "logGroupName": "g"
    }]
  })";
  auto filters = ParseFilterDocument(json, "f.json");
  ASSERT_TRUE(filters.has_value()) << filters.error().message;
  ASSERT_EQ(filters->size(), 2u);
  const MetricFilterSpec& a = (*filters)[0];
  EXPECT_EQ(a.name, "CIS-UnauthorizedAPICalls");
  EXPECT_EQ(a.transformation.metric_name, "UnauthorizedAPICalls");
  EXPECT_EQ(a.transformation.default_value, 0.0);
  EXPECT_EQ(a.transformation.unit, "Count");
  EXPECT_EQ(a.creation_time_ms, 1709251200123);
  EXPECT_EQ(a.log_group, "aws-cloudtrail-logs");
  EXPECT_EQ(a.origin, "f.json");
  const MetricFilterSpec& b = (*filters)[1];
  ASSERT_EQ(b.transformation.dimensions.size(), 1u);
  EXPECT_EQ(b.transformation.dimensions[0].first, "EventName");
  EXPECT_EQ(b.transformation.dimensions[0].second, "$.eventName");
  EXPECT_EQ(b.transformation.unit, "");  // "None" is the default unit
  EXPECT_TRUE(FilterSet::Compile(*filters).has_value());
}

struct BadDocument {
  std::string json;
  std::string message;  // expected substring
};

TEST(FilterSetTest, RejectsWhatAwsWouldRejectNamingFileAndFilter) {
  const BadDocument cases[] = {
      {"not json", "f.json: not valid JSON"},
      {R"({"MetricAlarms":[]})", "describe-metric-filters"},
      {R"({"metricFilters":{}})", "'metricFilters' must be an array"},
      {R"({"metricFilters":[]})", "holds no metric filters"},
      {Document(R"({"filterPattern":"x",)" + std::string(kTransformation) + "}"),
       "metricFilters[0]': lacks 'filterName'"},
      {Document(R"({"filterName":"a","filterPattern":"x"})"),
       "filter 'a': lacks the 'metricTransformations' array"},
      {Document(R"({"filterName":"a","metricTransformations":[]})"),
       "filter 'a': must have exactly one metric transformation"},
      {Document(R"({"filterName":"a","metricTransformations":[{"metricName":"m",)"
                R"("metricValue":"1"}]})"),
       "filter 'a': metric transformation lacks 'metricNamespace'"},
      {Document(R"({"filterName":"a","creationTime":"yesterday",)" + std::string(kTransformation) +
                "}"),
       "filter 'a': 'creationTime' must be milliseconds"},
      {Document(R"({"filterName":"a","metricTransformations":[{"metricName":"m",)"
                R"("metricNamespace":"n","metricValue":"1","defaultValue":"0"}]})"),
       "filter 'a': 'defaultValue' must be a number"},
  };
  for (const auto& c : cases) {
    auto filters = ParseFilterDocument(c.json, "f.json");
    ASSERT_FALSE(filters.has_value()) << c.json;
    EXPECT_NE(filters.error().message.find(c.message), std::string::npos)
        << c.json << "\n  got: " << filters.error().message;
  }
}

TEST(FilterSetTest, CompileErrorsKeepThePatternOffset) {
  auto filters = ParseFilterDocument(
      Document(R"({"filterName":"typo","filterPattern":"{ $.eventName = CreateTrail ",)" +
               std::string(kTransformation) + "}"),
      "rules.json");
  ASSERT_TRUE(filters.has_value());
  auto compiled = FilterSet::Compile(*filters);
  ASSERT_FALSE(compiled.has_value());
  EXPECT_EQ(compiled.error().message.rfind("rules.json: filter 'typo': ", 0), 0u)
      << compiled.error().message;
  EXPECT_TRUE(compiled.error().has_offset());
  EXPECT_EQ(compiled.error().subject, "{ $.eventName = CreateTrail ");
}

TEST(FilterSetTest, DuplicateNamesAndBadTransformationsAreErrors) {
  auto twice =
      ParseFilterDocument(Document(R"({"filterName":"a",)" + std::string(kTransformation) +
                                   R"(},{"filterName":"a",)" + std::string(kTransformation) + "}"),
                          "f.json");
  ASSERT_TRUE(twice.has_value());
  auto compiled = FilterSet::Compile(*twice);
  ASSERT_FALSE(compiled.has_value());
  EXPECT_NE(compiled.error().message.find("filter 'a': defined twice"), std::string::npos);

  auto dims_with_default = ParseFilterDocument(
      Document(R"({"filterName":"d","filterPattern":"{ $.a = 1 }","metricTransformations":[)"
               R"({"metricName":"m","metricNamespace":"n","metricValue":"1","defaultValue":0,)"
               R"("dimensions":{"A":"$.a"}}]})"),
      "f.json");
  ASSERT_TRUE(dims_with_default.has_value());
  compiled = FilterSet::Compile(*dims_with_default);
  ASSERT_FALSE(compiled.has_value());
  EXPECT_NE(compiled.error().message.find("f.json: filter 'd': "), std::string::npos);
}

TEST(FilterSetTest, BuiltinFiltersAreTheCisPair) {
  auto builtin = BuiltinFilters();
  ASSERT_EQ(builtin.size(), 2u);
  EXPECT_EQ(builtin[0].name, "unauthorized_api_calls");
  EXPECT_EQ(builtin[1].name, "cloudtrail_cfg_changes");
  for (const auto& spec : builtin) {
    EXPECT_EQ(spec.transformation.metric_namespace, "CISBenchmark");
    EXPECT_EQ(spec.transformation.metric_value, "1");
    EXPECT_FALSE(spec.transformation.default_value.has_value());
  }
  EXPECT_TRUE(FilterSet::Compile(builtin).has_value());
}

TEST(FilterSetTest, FingerprintChangesWithAnythingThatChangesCounts) {
  MetricFilterSpec spec = BuiltinFilters()[0];
  const std::string base = FilterFingerprint(spec);
  MetricFilterSpec other = spec;
  other.pattern += " ";
  EXPECT_NE(FilterFingerprint(other), base);
  other = spec;
  other.transformation.default_value = 0;
  EXPECT_NE(FilterFingerprint(other), base);
  other = spec;
  other.origin = "elsewhere.json";  // where it came from does not change what it counts
  EXPECT_EQ(FilterFingerprint(other), base);
}

}  // namespace
}  // namespace trailreplay::metric

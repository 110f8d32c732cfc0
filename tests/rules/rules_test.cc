// Rule sets: describe-alarms parsing with PutMetricAlarm's validation, the not-replayable
// reasons, Combine's duplicate check and join, and the `cis` pack.
#include "rules/rules.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <map>
#include <string>

#include "pattern/compiled.h"

namespace trailreplay::rules {
namespace {

// A MetricAlarm as `aws cloudwatch describe-alarms` prints it: fields in AWS's order, with the
// ones trailreplay does not use (ARN, actions, state) included.
constexpr const char* kRealAlarm = R"({
  "MetricAlarms": [
    {
      "AlarmName": "UnauthorizedAPICalls",
      "AlarmArn": "arn:aws:cloudwatch:us-east-1:111122223333:alarm:UnauthorizedAPICalls",
      "AlarmDescription": "CIS 4.1",
      "AlarmConfigurationUpdatedTimestamp": "2024-03-01T10:00:00.000Z",
      "ActionsEnabled": true,
      "OKActions": [],
      "AlarmActions": ["arn:aws:sns:us-east-1:111122223333:security"],
      "InsufficientDataActions": [],
      "StateValue": "INSUFFICIENT_DATA",
      "StateReason": "Unchecked: Initial alarm creation",
      "StateUpdatedTimestamp": "2024-03-01T10:00:00.000Z",
      "MetricName": "UnauthorizedAPICalls",
      "Namespace": "Security",
      "Statistic": "Sum",
      "Dimensions": [{"Name": "EventSource", "Value": "ec2.amazonaws.com"}],
      "Period": 300,
      "EvaluationPeriods": 3,
      "DatapointsToAlarm": 2,
      "Threshold": 5.0,
      "ComparisonOperator": "GreaterThanThreshold",
      "TreatMissingData": "notBreaching",
      "StateTransitionedTimestamp": "2024-03-01T10:00:00.000Z"
    },
    {
      "AlarmName": "LatencyP99",
      "MetricName": "Latency",
      "Namespace": "App",
      "ExtendedStatistic": "p99.5",
      "Dimensions": [],
      "Period": 60,
      "EvaluationPeriods": 5,
      "Threshold": 250,
      "ComparisonOperator": "LessThanOrEqualToThreshold",
      "EvaluateLowSampleCountPercentile": "ignore"
    }
  ],
  "CompositeAlarms": []
})";

TEST(RulesTest, ReadsDescribeAlarmsOutput) {
  auto rules = ParseRulesDocument(kRealAlarm, "alarms.json");
  ASSERT_TRUE(rules.has_value()) << rules.error().message;
  EXPECT_EQ(rules->origin, "alarms.json");
  EXPECT_TRUE(rules->filters.empty());
  EXPECT_TRUE(rules->not_replayable.empty());
  ASSERT_EQ(rules->alarms.size(), 2u);
  const alarm::AlarmSpec& a = rules->alarms[0];
  EXPECT_EQ(a.name, "UnauthorizedAPICalls");
  EXPECT_EQ(a.metric_namespace, "Security");
  EXPECT_EQ(a.metric_name, "UnauthorizedAPICalls");
  ASSERT_EQ(a.dimensions.size(), 1u);
  EXPECT_EQ(a.dimensions[0].first, "EventSource");
  EXPECT_EQ(a.dimensions[0].second, "ec2.amazonaws.com");
  EXPECT_EQ(a.statistic, alarm::Statistic::kSum);
  EXPECT_EQ(a.period, 300);
  EXPECT_EQ(a.evaluation_periods, 3);
  EXPECT_EQ(a.datapoints_to_alarm, 2);
  EXPECT_EQ(a.threshold, 5.0);
  EXPECT_EQ(a.comparison, alarm::Comparison::kGreaterThanThreshold);
  EXPECT_EQ(a.treat_missing_data, alarm::MissingData::kNotBreaching);
  EXPECT_FALSE(a.ignore_low_sample_percentile);

  // Defaults: DatapointsToAlarm = EvaluationPeriods, TreatMissingData missing.
  const alarm::AlarmSpec& b = rules->alarms[1];
  EXPECT_EQ(b.statistic, alarm::Statistic::kPercentile);
  EXPECT_EQ(b.percentile, 99.5);
  EXPECT_EQ(alarm::StatisticName(b.statistic, b.percentile), "p99.5");
  EXPECT_EQ(b.datapoints_to_alarm, 5);
  EXPECT_EQ(b.treat_missing_data, alarm::MissingData::kMissing);
  EXPECT_EQ(b.comparison, alarm::Comparison::kLessThanOrEqualToThreshold);
  EXPECT_TRUE(b.ignore_low_sample_percentile);
  EXPECT_TRUE(b.dimensions.empty());
}

TEST(RulesTest, EveryStatisticAndMissingDataTreatment) {
  const std::pair<const char*, alarm::Statistic> statistics[] = {
      {"SampleCount", alarm::Statistic::kSampleCount},
      {"Average", alarm::Statistic::kAverage},
      {"Sum", alarm::Statistic::kSum},
      {"Minimum", alarm::Statistic::kMinimum},
      {"Maximum", alarm::Statistic::kMaximum},
  };
  for (const auto& [text, statistic] : statistics) {
    const std::string json = std::string(R"({"MetricAlarms":[{"AlarmName":"a","MetricName":"m",)") +
                             R"("Namespace":"n","Statistic":")" + text +
                             R"(","Period":60,"EvaluationPeriods":1,"Threshold":1,)" +
                             R"("ComparisonOperator":"LessThanThreshold"}]})";
    auto rules = ParseRulesDocument(json, "f");
    ASSERT_TRUE(rules.has_value()) << rules.error().message;
    ASSERT_EQ(rules->alarms.size(), 1u);
    EXPECT_EQ(rules->alarms[0].statistic, statistic);
    EXPECT_EQ(alarm::StatisticName(rules->alarms[0].statistic, rules->alarms[0].percentile), text);
  }
  for (const char* text : {"missing", "ignore", "breaching", "notBreaching"}) {
    const std::string json = std::string(R"({"MetricAlarms":[{"AlarmName":"a","MetricName":"m",)") +
                             R"("Namespace":"n","Statistic":"Sum","Period":60,)" +
                             R"("EvaluationPeriods":1,"Threshold":1,)" +
                             R"("ComparisonOperator":"LessThanThreshold","TreatMissingData":")" +
                             text + R"("}]})";
    auto rules = ParseRulesDocument(json, "f");
    ASSERT_TRUE(rules.has_value()) << rules.error().message;
    EXPECT_EQ(alarm::MissingDataName(rules->alarms[0].treat_missing_data), text);
  }
}

// One alarm object with `fields` replacing or adding to a valid base definition; a value of
// "-" removes the field.
std::string AlarmDocument(const std::map<std::string, std::string>& fields,
                          const char* list = "MetricAlarms") {
  std::map<std::string, std::string> all = {
      {"AlarmName", R"("my-alarm")"},
      {"MetricName", R"("m")"},
      {"Namespace", R"("n")"},
      {"Statistic", R"("Sum")"},
      {"Period", "300"},
      {"EvaluationPeriods", "1"},
      {"Threshold", "1.0"},
      {"ComparisonOperator", R"("GreaterThanOrEqualToThreshold")"},
  };
  for (const auto& [key, value] : fields) all[key] = value;
  std::string out = std::string("{\"") + list + "\":[{";
  bool first = true;
  for (const auto& [key, value] : all) {
    if (value == "-") continue;
    out += (first ? "\"" : ",\"") + key + "\":" + value;
    first = false;
  }
  return out + "}]}";
}

struct BadAlarm {
  std::map<std::string, std::string> fields;
  std::string message;  // the whole error message
};

TEST(RulesTest, RejectsWhatPutMetricAlarmWouldReject) {
  const BadAlarm cases[] = {
      {{{"AlarmName", "-"}}, "alarms.json: MetricAlarms[0]: lacks 'AlarmName'"},
      {{{"AlarmName", R"("")"}}, "alarms.json: MetricAlarms[0]: lacks 'AlarmName'"},
      {{{"AlarmName", "7"}}, "alarms.json: MetricAlarms[0]: 'AlarmName' must be a string"},
      {{{"Threshold", "-"}}, "alarms.json: alarm 'my-alarm': lacks 'Threshold'"},
      {{{"Threshold", R"("1")"}}, "alarms.json: alarm 'my-alarm': 'Threshold' must be a number"},
      {{{"EvaluationPeriods", "-"}}, "alarms.json: alarm 'my-alarm': lacks 'EvaluationPeriods'"},
      {{{"EvaluationPeriods", "0"}},
       "alarms.json: alarm 'my-alarm': 'EvaluationPeriods' must be at least 1, found 0"},
      {{{"EvaluationPeriods", "1.5"}},
       "alarms.json: alarm 'my-alarm': 'EvaluationPeriods' must be a whole number"},
      {{{"EvaluationPeriods", "3"}, {"DatapointsToAlarm", "4"}},
       "alarms.json: alarm 'my-alarm': 'DatapointsToAlarm' (4) must not exceed "
       "'EvaluationPeriods' (3)"},
      {{{"DatapointsToAlarm", "0"}},
       "alarms.json: alarm 'my-alarm': 'DatapointsToAlarm' must be at least 1, found 0"},
      {{{"Period", "0"}}, "alarms.json: alarm 'my-alarm': 'Period' must be positive, found 0"},
      {{{"Period", "-60"}}, "alarms.json: alarm 'my-alarm': 'Period' must be positive, found -60"},
      {{{"Period", "-"}}, "alarms.json: alarm 'my-alarm': lacks 'Period'"},
      {{{"MetricName", "-"}}, "alarms.json: alarm 'my-alarm': lacks 'MetricName'"},
      {{{"Namespace", "-"}}, "alarms.json: alarm 'my-alarm': lacks 'Namespace'"},
      {{{"ComparisonOperator", "-"}}, "alarms.json: alarm 'my-alarm': lacks 'ComparisonOperator'"},
      {{{"ComparisonOperator", R"("Above")"}},
       "alarms.json: alarm 'my-alarm': unknown 'ComparisonOperator' 'Above'"},
      {{{"Statistic", "-"}},
       "alarms.json: alarm 'my-alarm': must have exactly one of 'Statistic' and "
       "'ExtendedStatistic'"},
      {{{"ExtendedStatistic", R"("p99")"}},
       "alarms.json: alarm 'my-alarm': must have exactly one of 'Statistic' and "
       "'ExtendedStatistic'"},
      {{{"Statistic", R"("Median")"}},
       "alarms.json: alarm 'my-alarm': 'Statistic' must be SampleCount, Average, Sum, Minimum or "
       "Maximum, found 'Median'"},
      {{{"TreatMissingData", R"("zero")"}},
       "alarms.json: alarm 'my-alarm': 'TreatMissingData' must be missing, ignore, breaching or "
       "notBreaching, found 'zero'"},
      {{{"EvaluateLowSampleCountPercentile", R"("skip")"}},
       "alarms.json: alarm 'my-alarm': 'EvaluateLowSampleCountPercentile' must be evaluate or "
       "ignore, found 'skip'"},
      {{{"Dimensions", R"({"Name":"a"})"}},
       "alarms.json: alarm 'my-alarm': 'Dimensions' must be an array of {\"Name\", \"Value\"}"},
      {{{"Dimensions", R"([{"Name":"a"}])"}},
       "alarms.json: alarm 'my-alarm': each dimension must be an object with string 'Name' and "
       "'Value'"},
  };
  for (const auto& c : cases) {
    const std::string json = AlarmDocument(c.fields);
    auto rules = ParseRulesDocument(json, "alarms.json");
    ASSERT_FALSE(rules.has_value()) << json;
    EXPECT_EQ(rules.error().message, c.message) << json;
    EXPECT_EQ(rules.error().code, ErrorCode::kInvalidArgument);
  }
}

TEST(RulesTest, RejectsDocumentsThatHoldNoRules) {
  const std::pair<const char*, const char*> cases[] = {
      {R"({"Alarms": []})",
       "f.json: expected the output of 'aws logs describe-metric-filters' "
       "({\"metricFilters\": [...]}) or 'aws cloudwatch describe-alarms' "
       "({\"MetricAlarms\": [...], \"CompositeAlarms\": [...]}), or one object holding both"},
      {"[]",
       "f.json: expected the output of 'aws logs describe-metric-filters' "
       "({\"metricFilters\": [...]}) or 'aws cloudwatch describe-alarms' "
       "({\"MetricAlarms\": [...], \"CompositeAlarms\": [...]}), or one object holding both"},
      {"{", "f.json: not valid JSON"},
      {R"({"MetricAlarms": [], "CompositeAlarms": []})",
       "f.json: holds no metric filters and no alarms"},
      {R"({"metricFilters": []})", "f.json: holds no metric filters"},
      {R"({"MetricAlarms": {}})", "f.json: 'MetricAlarms' must be an array"},
      {R"({"MetricAlarms": [1]})", "f.json: MetricAlarms[0]: must be an object"},
      {R"j({"CompositeAlarms": [{"AlarmRule": "ALARM(a)"}]})j",
       "f.json: CompositeAlarms[0]: lacks 'AlarmName'"},
  };
  for (const auto& [json, message] : cases) {
    auto rules = ParseRulesDocument(json, "f.json");
    ASSERT_FALSE(rules.has_value()) << json;
    EXPECT_EQ(rules.error().message.rfind(message, 0), 0u)
        << json << "\n  got: " << rules.error().message;
  }
}

TEST(RulesTest, RejectsAnAlarmNameDefinedTwiceInOneDocument) {
  const std::string json =
      R"({"MetricAlarms":[{"AlarmName":"a","MetricName":"m","Namespace":"n","Statistic":"Sum",)"
      R"("Period":60,"EvaluationPeriods":1,"Threshold":1,"ComparisonOperator":"LessThanThreshold"}],)"
      R"j("CompositeAlarms":[{"AlarmName":"a","AlarmRule":"ALARM(b)"}]})j";
  auto rules = ParseRulesDocument(json, "f.json");
  ASSERT_FALSE(rules.has_value());
  EXPECT_EQ(rules.error().message, "f.json: alarm 'a': defined twice");
}

struct NotReplayableCase {
  std::map<std::string, std::string> fields;
  std::string reason;
};

TEST(RulesTest, KeepsAlarmsItCannotReplayWithTheReason) {
  const NotReplayableCase cases[] = {
      {{{"MetricName", "-"},
        {"Namespace", "-"},
        {"Statistic", "-"},
        {"Period", "-"},
        {"Metrics",
         R"([{"Id":"e1","Expression":"m1/m2","ReturnData":true},)"
         R"({"Id":"m1","MetricStat":{"Metric":{"Namespace":"n","MetricName":"a"},"Period":300,)"
         R"("Stat":"Sum"},"ReturnData":false}])"}},
       // Issue 27: a math alarm is read; this one names a query it does not have.
       "its expression 'e1' (m1/m2) cannot be an alarm's series: no query has the id 'm2'"},
      {{{"Period", "10"}},
       "its Period of 10 s makes it a high-resolution alarm, and metric filters publish at "
       "one-minute resolution, so its periods would hold no data (alarm-eval evaluates it over "
       "samples stamped with seconds)"},
      {{{"Period", "20"}},
       "its Period of 20 s makes it a high-resolution alarm, and metric filters publish at "
       "one-minute resolution, so its periods would hold no data (alarm-eval evaluates it over "
       "samples stamped with seconds)"},
      {{{"Period", "30"}},
       "its Period of 30 s makes it a high-resolution alarm, and metric filters publish at "
       "one-minute resolution, so its periods would hold no data (alarm-eval evaluates it over "
       "samples stamped with seconds)"},
      {{{"Period", "90"}},
       "its Period of 90 s is neither 10, 20, 30 nor a multiple of 60 s, the periods CloudWatch "
       "accepts"},
      {{{"Period", "300"}, {"EvaluationPeriods", "289"}},
       "its Period x EvaluationPeriods (86,700 s) exceeds AWS's limit of 86,400 s for periods "
       "under an hour"},
      {{{"Period", "3600"}, {"EvaluationPeriods", "169"}},
       "its Period x EvaluationPeriods (608,400 s) exceeds AWS's limit of 604,800 s"},
      {{{"ComparisonOperator", R"("LessThanLowerOrGreaterThanUpperThreshold")"},
        {"Threshold", "-"},
        {"ThresholdMetricId", R"("ad1")"}},
       "its ComparisonOperator LessThanLowerOrGreaterThanUpperThreshold compares with an "
       "anomaly-detection band, which trailreplay cannot compute"},
      {{{"ComparisonOperator", R"("LessThanLowerThreshold")"}},
       "its ComparisonOperator LessThanLowerThreshold compares with an anomaly-detection band, "
       "which trailreplay cannot compute"},
      {{{"ComparisonOperator", R"("GreaterThanUpperThreshold")"}},
       "its ComparisonOperator GreaterThanUpperThreshold compares with an anomaly-detection band, "
       "which trailreplay cannot compute"},
      {{{"Statistic", "-"}, {"ExtendedStatistic", R"("tm99")"}},
       "its ExtendedStatistic tm99 is not a percentile pNN or pNN.N, the only extended statistics "
       "trailreplay computes"},
      {{{"Statistic", "-"}, {"ExtendedStatistic", R"("IQM")"}},
       "its ExtendedStatistic IQM is not a percentile pNN or pNN.N, the only extended statistics "
       "trailreplay computes"},
      {{{"Statistic", "-"}, {"ExtendedStatistic", R"j("PR(10:20)")j"}},
       "its ExtendedStatistic PR(10:20) is not a percentile pNN or pNN.N, the only extended "
       "statistics trailreplay computes"},
      {{{"Statistic", "-"}, {"ExtendedStatistic", R"("p100")"}},
       "its ExtendedStatistic p100 is not a percentile pNN or pNN.N, the only extended statistics "
       "trailreplay computes"},
  };
  for (const auto& c : cases) {
    const std::string json = AlarmDocument(c.fields);
    auto rules = ParseRulesDocument(json, "alarms.json");
    ASSERT_TRUE(rules.has_value()) << json << "\n" << rules.error().message;
    EXPECT_TRUE(rules->alarms.empty()) << json;
    ASSERT_EQ(rules->not_replayable.size(), 1u) << json;
    EXPECT_EQ(rules->not_replayable[0].alarm_name, "my-alarm");
    EXPECT_EQ(rules->not_replayable[0].reason, c.reason) << json;
  }
  // Percentiles that are replayable; one-day and seven-day spans at the limit.
  for (const auto& fields : std::vector<std::map<std::string, std::string>>{
           {{"Statistic", "-"}, {"ExtendedStatistic", R"("p50")"}},
           {{"Statistic", "-"}, {"ExtendedStatistic", R"("p9.25")"}},
           {{"Period", "300"}, {"EvaluationPeriods", "288"}},
           {{"Period", "3600"}, {"EvaluationPeriods", "168"}},
           {{"Period", "120"}}}) {
    const std::string json = AlarmDocument(fields);
    auto rules = ParseRulesDocument(json, "alarms.json");
    ASSERT_TRUE(rules.has_value()) << json;
    EXPECT_EQ(rules->alarms.size(), 1u) << json;
  }
}

// Issue 26: over samples stamped with seconds (alarm-eval), a high-resolution alarm is an
// alarm like any other (PutMetricAlarm: "Valid values are 10, 20, 30, and any multiple of
// 60"); other periods under a minute stay refused, and so does a high-resolution alarm over
// metric-filter data, which CloudWatch aggregates per minute (spec A.5).
TEST(RulesTest, HighResolutionAlarmsEvaluateOverSamplesWithSeconds) {
  for (const char* period : {"10", "20", "30"}) {
    const std::string json = AlarmDocument({{"Period", period}});
    auto seconds = ParseRulesDocument(json, "alarms.json", SampleResolution::kSecond);
    ASSERT_TRUE(seconds.has_value()) << json;
    ASSERT_EQ(seconds->alarms.size(), 1u) << json;
    EXPECT_EQ(seconds->alarms[0].period, std::stoll(period));
    auto minutes = ParseRulesDocument(json, "alarms.json");
    ASSERT_TRUE(minutes.has_value()) << json;
    EXPECT_TRUE(minutes->alarms.empty()) << json;
  }
  for (const char* period : {"15", "45", "90"}) {
    auto seconds = ParseRulesDocument(AlarmDocument({{"Period", period}}), "alarms.json",
                                      SampleResolution::kSecond);
    ASSERT_TRUE(seconds.has_value()) << period;
    EXPECT_TRUE(seconds->alarms.empty()) << period;
  }
}

// Issue 27: a composite alarm is read with its AlarmRule, and joins once its children do.
TEST(RulesTest, CompositeAlarmsAreReadWithTheirRule) {
  const std::string json = R"j({
    "MetricAlarms": [],
    "CompositeAlarms": [{
      "ActionsEnabled": true, "AlarmActions": [], "AlarmArn": "arn:aws:cloudwatch:us-east-1:1:alarm:both",
      "AlarmName": "both", "AlarmRule": "ALARM(a) AND ALARM(b)", "StateValue": "OK"
    }, {
      "AlarmName": "garbled", "AlarmRule": "ALARM(a) XOR ALARM(b)"
    }]
  })j";
  auto rules = ParseRulesDocument(json, "c.json");
  ASSERT_TRUE(rules.has_value()) << rules.error().message;
  ASSERT_EQ(rules->composites.size(), 1u);
  EXPECT_EQ(rules->composites[0].name, "both");
  EXPECT_EQ(rules->composites[0].rule.children, (std::vector<std::string>{"a", "b"}));
  ASSERT_EQ(rules->not_replayable.size(), 1u);
  EXPECT_EQ(rules->not_replayable[0].alarm_name, "garbled");
  EXPECT_EQ(rules->not_replayable[0].reason,
            "its AlarmRule cannot be read: AlarmRule: expected AND, OR or the end of the rule "
            "(at byte 9)");
  // PutCompositeAlarm requires AlarmRule.
  auto missing = ParseRulesDocument(R"({"CompositeAlarms": [{"AlarmName": "x"}]})", "c.json");
  ASSERT_FALSE(missing.has_value());
  EXPECT_EQ(missing.error().message, "c.json: alarm 'x': lacks 'AlarmRule'");
}

constexpr const char* kFilters = R"({"metricFilters": [
  {"filterName": "denied", "filterPattern": "{ $.errorCode = \"AccessDenied*\" }",
   "metricTransformations": [{"metricName": "Denied", "metricNamespace": "Security",
                              "metricValue": "1"}],
   "creationTime": 1709251200000, "logGroupName": "trail"},
  {"filterName": "denied-by-event", "filterPattern": "{ $.errorCode = \"AccessDenied*\" }",
   "metricTransformations": [{"metricName": "DeniedByEvent", "metricNamespace": "Security",
                              "metricValue": "1", "dimensions": {"EventName": "$.eventName"}}]}
]})";

std::string Alarm(const std::string& name, const std::string& ns, const std::string& metric,
                  const std::string& dimensions = "[]") {
  return R"({"AlarmName":")" + name + R"(","MetricName":")" + metric + R"(","Namespace":")" + ns +
         R"(","Statistic":"Sum","Dimensions":)" + dimensions +
         R"(,"Period":300,"EvaluationPeriods":1,"Threshold":1,)"
         R"("ComparisonOperator":"GreaterThanOrEqualToThreshold"})";
}

TEST(RulesTest, CombineJoinsAlarmsFromOneFileToFiltersFromAnother) {
  auto filters = ParseRulesDocument(kFilters, "filters.json");
  ASSERT_TRUE(filters.has_value()) << filters.error().message;
  EXPECT_EQ(filters->filters.size(), 2u);
  const std::string alarms_json =
      R"({"MetricAlarms":[)" + Alarm("ok", "Security", "Denied") + "," +
      Alarm("wrong-namespace", "CISBenchmark", "Denied") + "," +
      Alarm("extra-dimension", "Security", "Denied", R"([{"Name":"EventName","Value":"X"}])") +
      "," + Alarm("no-dimension", "Security", "DeniedByEvent") + "," +
      Alarm("by-event", "Security", "DeniedByEvent",
            R"([{"Name":"EventName","Value":"GetObject"}])") +
      R"j(],"CompositeAlarms":[{"AlarmName":"comp","AlarmRule":"ALARM(ok)"}]})j";
  auto alarms = ParseRulesDocument(alarms_json, "alarms.json");
  ASSERT_TRUE(alarms.has_value()) << alarms.error().message;
  EXPECT_EQ(alarms->alarms.size(), 5u);  // not joined yet

  // Alone, the alarms file has nothing to join to.
  auto alone = Combine({*alarms});
  ASSERT_TRUE(alone.has_value());
  EXPECT_TRUE(alone->alarms.empty());
  EXPECT_EQ(alone->not_replayable.size(), 6u);

  auto combined = Combine({std::move(*filters), std::move(*alarms)});
  ASSERT_TRUE(combined.has_value()) << combined.error().message;
  EXPECT_EQ(combined->origin, "filters.json, alarms.json");
  EXPECT_EQ(combined->filters.size(), 2u);
  std::vector<std::string> joined;
  for (const auto& a : combined->alarms) joined.push_back(a.name);
  EXPECT_EQ(joined, (std::vector<std::string>{"ok", "by-event"}));
  std::map<std::string, std::string> reasons;
  for (const auto& n : combined->not_replayable) reasons[n.alarm_name] = n.reason;
  EXPECT_EQ(reasons.size(), 3u);
  EXPECT_EQ(reasons.count("comp"), 0u);  // its child "ok" joined
  ASSERT_EQ(combined->composites.size(), 1u);
  EXPECT_EQ(combined->composites[0].name, "comp");
  EXPECT_EQ(reasons["wrong-namespace"],
            "no metric filter in the rules publishes CISBenchmark/Denied");
  EXPECT_EQ(reasons["extra-dimension"],
            "its dimensions (EventName) differ from what filter 'denied' publishes (none)");
  EXPECT_EQ(reasons["no-dimension"],
            "its dimensions (none) differ from what filter 'denied-by-event' publishes "
            "(EventName)");
}

// Issue 27: a composite is replayable when every child is (metric alarms, or composites that
// are); otherwise the reason names the child and carries the child's own reason.
TEST(RulesTest, CompositesJoinThroughTheirChildren) {
  auto filters = ParseRulesDocument(kFilters, "filters.json");
  ASSERT_TRUE(filters.has_value());
  const std::string json = R"({"MetricAlarms":[)" + Alarm("ok", "Security", "Denied") + "," +
                           Alarm("lost", "Nowhere", "Denied") +
                           R"j(],"CompositeAlarms":[
        {"AlarmName":"outer","AlarmRule":"ALARM(inner) OR OK(ok)"},
        {"AlarmName":"inner","AlarmRule":"ALARM(\"arn:aws:cloudwatch:us-east-1:1:alarm:ok\")"},
        {"AlarmName":"on-lost","AlarmRule":"ALARM(ok) AND ALARM(lost)"},
        {"AlarmName":"over-on-lost","AlarmRule":"NOT ALARM(on-lost)"},
        {"AlarmName":"unknown","AlarmRule":"ALARM(ok) AND ALARM(ghost)"},
        {"AlarmName":"self","AlarmRule":"ALARM(self)"},
        {"AlarmName":"ping","AlarmRule":"ALARM(pong)"},
        {"AlarmName":"pong","AlarmRule":"ALARM(ping)"},
        {"AlarmName":"constant","AlarmRule":"TRUE"}]})j";
  auto alarms = ParseRulesDocument(json, "alarms.json");
  ASSERT_TRUE(alarms.has_value()) << alarms.error().message;
  auto combined = Combine({std::move(*filters), std::move(*alarms)});
  ASSERT_TRUE(combined.has_value()) << combined.error().message;
  std::vector<std::string> replayable;
  for (const auto& c : combined->composites) replayable.push_back(c.name);
  // Children before the composites over them.
  EXPECT_EQ(replayable, (std::vector<std::string>{"inner", "constant", "outer"}));
  std::map<std::string, std::string> reasons;
  for (const auto& n : combined->not_replayable) reasons[n.alarm_name] = n.reason;
  EXPECT_EQ(reasons["on-lost"],
            "its child alarm 'lost' is not replayable, because no metric filter in the rules "
            "publishes Nowhere/Denied");
  EXPECT_EQ(reasons["over-on-lost"],
            "its child alarm 'on-lost' is not replayable, because its child alarm 'lost' is not "
            "replayable, because no metric filter in the rules publishes Nowhere/Denied");
  EXPECT_EQ(reasons["unknown"], "its child alarm 'ghost' is in none of the rules");
  EXPECT_EQ(reasons["self"],
            "its AlarmRule names the composite itself, a cycle it cannot be evaluated in");
  EXPECT_EQ(reasons["ping"],
            "its AlarmRule reaches back to it through other composite alarms, a cycle it cannot "
            "be evaluated in");
  EXPECT_EQ(reasons["pong"], reasons["ping"]);

  // The document form lists the replayable composites with their rules as written, and
  // reads back to the same set.
  const std::string document = RulesDocumentJson(*combined);
  EXPECT_NE(document.find(R"({"AlarmName": "constant", "AlarmRule": "TRUE"})"), std::string::npos)
      << document;
  auto again = ParseRulesDocument(document, "again.json");
  ASSERT_TRUE(again.has_value()) << again.error().message;
  EXPECT_EQ(again->composites.size(), 3u);
}

// Issue 27: metric math alarms are read query by query; what PutMetricAlarm refuses is an
// error, what trailreplay cannot compute is the reason, and each MetricStat joins a filter.
TEST(RulesTest, MathAlarmsReadAndJoinTheirMetrics) {
  auto math = [](const std::string& name, const std::string& queries) {
    return R"({"AlarmName":")" + name +
           R"(","EvaluationPeriods":1,"Threshold":1,"ComparisonOperator":"GreaterThanThreshold",)"
           R"("Metrics":[)" +
           queries + "]}";
  };
  auto stat = [](const std::string& id, const std::string& metric, const std::string& s,
                 int period = 300, bool return_data = false) {
    return R"({"Id":")" + id +
           R"(","MetricStat":{"Metric":{"Namespace":"Security","MetricName":")" + metric +
           R"(","Dimensions":[]},"Period":)" + std::to_string(period) + R"(,"Stat":")" + s +
           R"("},"ReturnData":)" + (return_data ? "true" : "false") + "}";
  };
  auto expression = [](const std::string& id, const std::string& text, bool return_data = true) {
    return R"({"Id":")" + id + R"(","Expression":")" + text + R"(","ReturnData":)" +
           (return_data ? "true" : "false") + "}";
  };
  const std::string json =
      R"({"MetricAlarms":[)" +
      math("ratio", stat("m1", "Denied", "Sum") + "," + expression("e1", "100 * FILL(m1, 0)")) +
      "," + math("lost", stat("m1", "Nowhere", "Sum") + "," + expression("e1", "m1 * 2")) + "," +
      math("p99", stat("m1", "Denied", "p99") + "," + expression("e1", "m1")) + "," +
      math("periods", stat("m1", "Denied", "Sum") + "," + stat("m2", "Denied", "Sum", 600) + "," +
                          expression("e1", "m1 + m2")) +
      "," + math("array", stat("m1", "Denied", "Sum") + "," + expression("e1", "METRICS()")) + "," +
      math("band",
           stat("m1", "Denied", "Sum") + "," + expression("e1", "ANOMALY_DETECTION_BAND(m1, 2)")) +
      "," + math("bare", stat("m1", "Denied", "Average", 300, true)) + "]}";
  auto alarms = ParseRulesDocument(json, "math.json");
  ASSERT_TRUE(alarms.has_value()) << alarms.error().message;
  auto filters = ParseRulesDocument(kFilters, "filters.json");
  ASSERT_TRUE(filters.has_value());
  auto combined = Combine({std::move(*filters), std::move(*alarms)});
  ASSERT_TRUE(combined.has_value()) << combined.error().message;
  std::vector<std::string> joined;
  for (const auto& a : combined->alarms) joined.push_back(a.name);
  EXPECT_EQ(joined, (std::vector<std::string>{"ratio", "bare"}));
  ASSERT_TRUE(combined->alarms[0].math);
  EXPECT_EQ(combined->alarms[0].period, 300);
  EXPECT_EQ(combined->alarms[0].math->returned, 1u);
  std::map<std::string, std::string> reasons;
  for (const auto& n : combined->not_replayable) reasons[n.alarm_name] = n.reason;
  EXPECT_EQ(reasons["lost"],
            "its metric query 'm1': no metric filter in the rules publishes Security/Nowhere");
  EXPECT_EQ(reasons["p99"],
            "its metric query 'm1' uses the statistic p99, and trailreplay computes a math "
            "alarm's metrics with SampleCount, Sum, Average, Minimum or Maximum");
  EXPECT_EQ(reasons["periods"],
            "its metric queries have different periods (300 s and 600 s), and an alarm has one "
            "period");
  EXPECT_EQ(reasons["array"],
            "its expression 'e1' (METRICS()) cannot be an alarm's series: the expression gives "
            "an array of 1 time series, and an alarm watches exactly one");
  EXPECT_EQ(reasons["band"],
            "its metric query 'e1' (ANOMALY_DETECTION_BAND(m1, 2)) cannot be replayed: it uses "
            "ANOMALY_DETECTION_BAND, which trailreplay does not compute");

  // The document form writes the queries back, and reads back to the same alarm.
  const std::string document = RulesDocumentJson(*combined);
  auto again = ParseRulesDocument(document, "again.json");
  ASSERT_TRUE(again.has_value()) << again.error().message << "\n" << document;
  ASSERT_EQ(again->alarms.size(), 2u);
  ASSERT_TRUE(again->alarms[0].math);
  EXPECT_EQ(again->alarms[0].math->queries[1].expression_text, "100 * FILL(m1, 0)");

  // What PutMetricAlarm refuses.
  for (const std::string& bad :
       {math("x", stat("m1", "Denied", "Sum") + "," + expression("e1", "m1", false)),
        math("x", stat("m1", "Denied", "Sum", 300, true) + "," + expression("e1", "m1")),
        math("x", stat("M1", "Denied", "Sum", 300, true)),
        math("x", stat("m1", "Denied", "Sum") + "," + stat("m1", "Denied", "Sum", 300, true))}) {
    EXPECT_FALSE(ParseRulesDocument(R"({"MetricAlarms":[)" + bad + "]}", "bad.json").has_value())
        << bad;
  }
}

TEST(RulesTest, OneDocumentMayHoldFiltersAndAlarms) {
  std::string json = kFilters;
  json.erase(json.rfind('}'));
  json += R"(, "MetricAlarms": [)" + Alarm("ok", "Security", "Denied") + "]}";
  auto rules = ParseRulesDocument(json, "both.json");
  ASSERT_TRUE(rules.has_value()) << rules.error().message;
  EXPECT_EQ(rules->filters.size(), 2u);
  EXPECT_EQ(rules->filters[0].origin, "both.json");
  auto combined = Combine({std::move(*rules)});
  ASSERT_TRUE(combined.has_value());
  ASSERT_EQ(combined->alarms.size(), 1u);
  EXPECT_TRUE(combined->not_replayable.empty());

  // An empty filter list next to alarms is fine.
  auto empty_filters = ParseRulesDocument(
      R"({"metricFilters": [], "MetricAlarms": [)" + Alarm("a", "n", "m") + "]}", "f");
  ASSERT_TRUE(empty_filters.has_value()) << empty_filters.error().message;
  EXPECT_TRUE(empty_filters->filters.empty());
}

TEST(RulesTest, FiltersAreValidatedAsScanWouldCompileThem) {
  auto rules = ParseRulesDocument(
      R"({"metricFilters":[{"filterName":"bad","filterPattern":"{ $.a > x }",)"
      R"("metricTransformations":[{"metricName":"m","metricNamespace":"n","metricValue":"1"}]}]})",
      "f.json");
  ASSERT_FALSE(rules.has_value());
  EXPECT_EQ(rules.error().message.rfind("f.json: filter 'bad': ", 0), 0u) << rules.error().message;
  EXPECT_TRUE(rules.error().has_offset());
}

TEST(RulesTest, CombineRejectsNamesDefinedTwiceNamingBothOrigins) {
  auto a = ParseRulesDocument(kFilters, "a.json");
  auto b = ParseRulesDocument(kFilters, "b.json");
  ASSERT_TRUE(a.has_value() && b.has_value());
  auto filters = Combine({std::move(*a), std::move(*b)});
  ASSERT_FALSE(filters.has_value());
  EXPECT_EQ(filters.error().message, "metric filter 'denied' is defined in both a.json and b.json");

  const std::string one = R"({"MetricAlarms":[)" + Alarm("x", "n", "m") + "]}";
  const std::string composite = R"({"CompositeAlarms":[{"AlarmName":"x","AlarmRule":"TRUE"}]})";
  auto c = ParseRulesDocument(one, "c.json");
  auto d = ParseRulesDocument(one, "d.json");
  auto e = ParseRulesDocument(composite, "e.json");
  ASSERT_TRUE(c.has_value() && d.has_value() && e.has_value());
  auto alarms = Combine({*c, *d});
  ASSERT_FALSE(alarms.has_value());
  EXPECT_EQ(alarms.error().message, "alarm 'x' is defined in both c.json and d.json");
  auto mixed = Combine({*c, *e});
  ASSERT_FALSE(mixed.has_value());
  EXPECT_EQ(mixed.error().message, "alarm 'x' is defined in both c.json and e.json");
}

TEST(RulesTest, CombineWithoutFiltersIsNotAnError) {
  auto combined = Combine({});
  ASSERT_TRUE(combined.has_value());
  EXPECT_TRUE(combined->filters.empty());
}

TEST(RulesTest, BuiltinRulesHaveTheCisRemediationAlarmPerFilter) {
  const RuleSet rules = BuiltinRules();
  EXPECT_EQ(rules.origin, "built-in");
  ASSERT_EQ(rules.filters.size(), 2u);
  ASSERT_EQ(rules.alarms.size(), 2u);
  for (std::size_t i = 0; i < rules.filters.size(); ++i) {
    const alarm::AlarmSpec& a = rules.alarms[i];
    EXPECT_EQ(a.name, rules.filters[i].name);
    EXPECT_EQ(a.metric_namespace, "CISBenchmark");
    EXPECT_EQ(a.metric_name, rules.filters[i].transformation.metric_name);
    EXPECT_EQ(a.statistic, alarm::Statistic::kSum);
    EXPECT_EQ(a.period, 300);
    EXPECT_EQ(a.threshold, 1.0);
    EXPECT_EQ(a.comparison, alarm::Comparison::kGreaterThanOrEqualToThreshold);
    EXPECT_EQ(a.evaluation_periods, 1);
    EXPECT_EQ(a.datapoints_to_alarm, 1);
    EXPECT_EQ(a.treat_missing_data, alarm::MissingData::kMissing);
  }
  auto combined = Combine({BuiltinRules()});
  ASSERT_TRUE(combined.has_value());
  EXPECT_EQ(combined->alarms.size(), 2u);
  EXPECT_TRUE(combined->not_replayable.empty());
}

TEST(RulesTest, LoadRulesReadsPacksAndFiles) {
  auto pack = LoadRules("cis");
  ASSERT_TRUE(pack.has_value()) << pack.error().message;
  EXPECT_EQ(pack->origin, "pack cis");
  EXPECT_EQ(pack->filters[0].origin, "pack cis");

  auto missing = LoadRules("/nonexistent/rules.json");
  ASSERT_FALSE(missing.has_value());
  EXPECT_EQ(missing.error().code, ErrorCode::kIo);
  EXPECT_EQ(missing.error().message,
            "cannot read rules file '/nonexistent/rules.json': No such file or directory");
  auto upper = LoadRules("CIS");  // pack names are case-sensitive: this is a file name
  ASSERT_FALSE(upper.has_value());
  EXPECT_EQ(upper.error().code, ErrorCode::kIo);

  const std::string path = ::testing::TempDir() + "/rules_test_alarms.json";
  {
    std::ofstream out(path);
    out << kRealAlarm;
  }
  auto file = LoadRules(path);
  ASSERT_TRUE(file.has_value()) << file.error().message;
  EXPECT_EQ(file->origin, path);
  EXPECT_EQ(file->alarms.size(), 2u);
  std::remove(path.c_str());
}

TEST(RulesTest, JsonDocumentReadsBackToTheSameRules) {
  std::string json = kFilters;
  json.erase(json.rfind('}'));
  json += R"(, "MetricAlarms": [)" + Alarm("ok", "Security", "Denied") + R"(, {
    "AlarmName": "p", "MetricName": "DeniedByEvent", "Namespace": "Security",
    "ExtendedStatistic": "p99.9", "Dimensions": [{"Name": "EventName", "Value": "Get\"x"}],
    "Period": 120, "EvaluationPeriods": 3, "DatapointsToAlarm": 2, "Threshold": 0.25,
    "ComparisonOperator": "LessThanThreshold", "TreatMissingData": "ignore",
    "EvaluateLowSampleCountPercentile": "ignore"}]})";
  auto rules = ParseRulesDocument(json, "both.json");
  ASSERT_TRUE(rules.has_value()) << rules.error().message;
  const std::string printed = RulesDocumentJson(*rules);
  auto again = ParseRulesDocument(printed, "printed");
  ASSERT_TRUE(again.has_value()) << again.error().message << "\n" << printed;
  EXPECT_EQ(RulesDocumentJson(*again), printed);
  ASSERT_EQ(again->filters.size(), 2u);
  for (std::size_t i = 0; i < 2; ++i) {
    EXPECT_EQ(metric::FilterFingerprint(again->filters[i]),
              metric::FilterFingerprint(rules->filters[i]));
  }
  EXPECT_EQ(again->filters[0].creation_time_ms, 1709251200000);
  EXPECT_EQ(again->filters[0].log_group, "trail");
  ASSERT_EQ(again->alarms.size(), 2u);
  const alarm::AlarmSpec& p = again->alarms[1];
  EXPECT_EQ(p.percentile, 99.9);
  EXPECT_EQ(p.dimensions[0].second, "Get\"x");
  EXPECT_EQ(p.period, 120);
  EXPECT_EQ(p.datapoints_to_alarm, 2);
  EXPECT_EQ(p.threshold, 0.25);
  EXPECT_EQ(p.treat_missing_data, alarm::MissingData::kIgnore);
  EXPECT_TRUE(p.ignore_low_sample_percentile);
}

// --- the cis pack ---------------------------------------------------------------------------

const Pack* FindPack(const std::string& name) {
  for (const Pack& pack : Packs()) {
    if (pack.name == name) return &pack;
  }
  return nullptr;
}

TEST(CisPackTest, HoldsEveryBenchmarkMonitoringFilterWithItsAlarm) {
  ASSERT_NE(FindPack("cis"), nullptr);
  auto rules = LoadRules("cis");
  ASSERT_TRUE(rules.has_value()) << rules.error().message;
  const std::vector<std::string> expected = {
      "cis_unauthorized_api_calls",
      "cis_console_signin_without_mfa",
      "cis_root_account_usage",
      "cis_iam_policy_changes",
      "cis_cloudtrail_config_changes",
      "cis_console_authentication_failures",
      "cis_disable_or_delete_cmk",
      "cis_s3_bucket_policy_changes",
      "cis_aws_config_changes",
      "cis_security_group_changes",
      "cis_nacl_changes",
      "cis_network_gateway_changes",
      "cis_route_table_changes",
      "cis_vpc_changes",
      "cis_organizations_changes",
      "cis_1_2_unauthorized_api_calls",
      "cis_1_4_unauthorized_api_calls",
      "cis_4_0_unauthorized_api_calls",
  };
  std::vector<std::string> names;
  for (const auto& f : rules->filters) {
    names.push_back(f.name);
    EXPECT_EQ(f.transformation.metric_namespace, "CISBenchmark") << f.name;
    EXPECT_EQ(f.transformation.metric_name, f.name);
    EXPECT_EQ(f.transformation.metric_value, "1") << f.name;
    EXPECT_FALSE(f.transformation.default_value.has_value()) << f.name;
    EXPECT_TRUE(f.transformation.dimensions.empty()) << f.name;
  }
  EXPECT_EQ(names, expected);

  // Every pattern compiles with trailreplay's parser, as a scan would compile it.
  auto compiled = metric::FilterSet::Compile(rules->filters);
  ASSERT_TRUE(compiled.has_value()) << compiled.error().message;

  // One remediation alarm per filter, and each joins to its filter.
  ASSERT_EQ(rules->alarms.size(), expected.size());
  for (std::size_t i = 0; i < expected.size(); ++i) {
    const alarm::AlarmSpec& a = rules->alarms[i];
    EXPECT_EQ(a.name, expected[i]);
    EXPECT_EQ(a.metric_name, expected[i]);
    EXPECT_EQ(a.metric_namespace, "CISBenchmark");
    EXPECT_EQ(a.statistic, alarm::Statistic::kSum);
    EXPECT_EQ(a.period, 300);
    EXPECT_EQ(a.threshold, 1.0);
    EXPECT_EQ(a.comparison, alarm::Comparison::kGreaterThanOrEqualToThreshold);
    EXPECT_EQ(a.evaluation_periods, 1);
    EXPECT_EQ(a.datapoints_to_alarm, 1);
    EXPECT_EQ(a.treat_missing_data, alarm::MissingData::kMissing);
  }
  auto joined = Combine({std::move(*rules)});
  ASSERT_TRUE(joined.has_value());
  EXPECT_EQ(joined->alarms.size(), expected.size());
  EXPECT_TRUE(joined->not_replayable.empty());
}

TEST(CisPackTest, CombinesWithTheBuiltinRulesWithoutClashes) {
  auto pack = LoadRules("cis");
  ASSERT_TRUE(pack.has_value());
  auto combined = Combine({BuiltinRules(), std::move(*pack)});
  ASSERT_TRUE(combined.has_value()) << combined.error().message;
  EXPECT_EQ(combined->filters.size(), 20u);
}

// The three printed forms of the unauthorized-API-calls pattern match different events
// (spec C.4): v1.2 only the two error codes; v1.3-1.5 `||` almost everything; v4.0+
// A || (B && C && D).
TEST(CisPackTest, VersionSpecificUnauthorizedPatternsDiffer) {
  auto rules = LoadRules("cis");
  ASSERT_TRUE(rules.has_value());
  std::map<std::string, std::string> patterns;
  for (const auto& f : rules->filters) patterns[f.name] = f.pattern;
  const std::string v12 = patterns["cis_1_2_unauthorized_api_calls"];
  const std::string v14 = patterns["cis_1_4_unauthorized_api_calls"];
  const std::string v40 = patterns["cis_4_0_unauthorized_api_calls"];
  EXPECT_NE(v12, v14);
  EXPECT_NE(v14, v40);
  EXPECT_NE(v12, v40);
  EXPECT_EQ(patterns["cis_unauthorized_api_calls"], v12);
  EXPECT_EQ(std::count(v14.begin(), v14.end(), '|'), 6);  // three ||, no &&
  EXPECT_EQ(v14.find("&&"), std::string::npos);
  EXPECT_NE(v40.find("&&"), std::string::npos);

  auto compiled = metric::FilterSet::Compile(rules->filters);
  ASSERT_TRUE(compiled.has_value());
  std::map<std::string, std::size_t> index;
  for (std::size_t i = 0; i < compiled->size(); ++i) index[compiled->spec(i).name] = i;
  pattern::EventContext event(&compiled->plan());
  auto matches = [&](const std::string& filter, std::string line) {
    event.Reset(line, line.capacity());
    return compiled->pattern(index.at(filter)).Matches(event);
  };
  struct Row {
    const char* event;
    bool v12, v14, v40;
  };
  const Row rows[] = {
      // An ordinary successful call: only the v1.3-1.5 `||` form matches it.
      {R"({"eventName":"GetObject","sourceIPAddress":"192.0.2.1"})", false, true, false},
      // AccessDenied on HeadBucket: v4.0 excludes it (D), the others match.
      {R"({"eventName":"HeadBucket","errorCode":"AccessDenied","sourceIPAddress":"192.0.2.1"})",
       true, true, false},
      // AccessDenied from delivery.logs: v4.0 excludes it (C).
      {R"({"eventName":"GetBucketAcl","errorCode":"AccessDenied",)"
       R"("sourceIPAddress":"delivery.logs.amazonaws.com"})",
       true, true, false},
      // UnauthorizedOperation on HeadBucket from delivery.logs: A alone matches in v4.0.
      {R"({"eventName":"HeadBucket","errorCode":"Client.UnauthorizedOperation",)"
       R"("sourceIPAddress":"delivery.logs.amazonaws.com"})",
       true, true, true},
      // HeadBucket by the log delivery service without an error: not even the `||` form.
      {R"({"eventName":"HeadBucket","sourceIPAddress":"delivery.logs.amazonaws.com"})", false,
       false, false},
      // AccessDenied on an ordinary call: all three.
      {R"({"eventName":"GetObject","errorCode":"AccessDenied","sourceIPAddress":"192.0.2.1"})",
       true, true, true},
  };
  for (const auto& row : rows) {
    EXPECT_EQ(matches("cis_1_2_unauthorized_api_calls", row.event), row.v12) << row.event;
    EXPECT_EQ(matches("cis_1_4_unauthorized_api_calls", row.event), row.v14) << row.event;
    EXPECT_EQ(matches("cis_4_0_unauthorized_api_calls", row.event), row.v40) << row.event;
  }
}

TEST(CisPackTest, OtherFiltersMatchTheirEvents) {
  auto rules = LoadRules("cis");
  ASSERT_TRUE(rules.has_value());
  auto compiled = metric::FilterSet::Compile(rules->filters);
  ASSERT_TRUE(compiled.has_value());
  pattern::EventContext event(&compiled->plan());
  auto matched = [&](std::string line) {
    std::vector<std::string> names;
    event.Reset(line, line.capacity());
    for (std::size_t i = 0; i < compiled->size(); ++i) {
      if (compiled->pattern(i).Matches(event)) names.push_back(compiled->spec(i).name);
    }
    return names;
  };
  using Names = std::vector<std::string>;
  EXPECT_EQ(matched(R"({"eventName":"StopLogging","eventSource":"cloudtrail.amazonaws.com"})"),
            (Names{"cis_cloudtrail_config_changes", "cis_1_4_unauthorized_api_calls"}));
  EXPECT_EQ(matched(R"({"eventName":"ScheduleKeyDeletion","eventSource":"kms.amazonaws.com"})"),
            (Names{"cis_disable_or_delete_cmk", "cis_1_4_unauthorized_api_calls"}));
  EXPECT_EQ(matched(R"({"eventName":"ConsoleLogin","eventSource":"signin.amazonaws.com",)"
                    R"("errorMessage":"Failed authentication",)"
                    R"("additionalEventData":{"MFAUsed":"No"}})"),
            (Names{"cis_console_signin_without_mfa", "cis_console_authentication_failures",
                   "cis_1_4_unauthorized_api_calls"}));
  EXPECT_EQ(matched(R"({"eventName":"ListBuckets","userIdentity":{"type":"Root"},)"
                    R"("eventType":"AwsApiCall"})"),
            (Names{"cis_root_account_usage", "cis_1_4_unauthorized_api_calls"}));
  EXPECT_EQ(matched(R"({"eventName":"MoveAccount","eventSource":"organizations.amazonaws.com"})"),
            (Names{"cis_organizations_changes", "cis_1_4_unauthorized_api_calls"}));
}

}  // namespace
}  // namespace trailreplay::rules

// Tests of rules/lint.h: the clause splitter, the static field list, and each check against
// events fed by hand (the history a database would provide).
#include "rules/lint.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "pattern/parser.h"

namespace trailreplay::rules {
namespace {

const LintFinding* Find(const FilterLintReport& report, const std::string& check) {
  for (const auto& f : report.findings) {
    if (f.check == check) return &f;
  }
  return nullptr;
}

TEST(LintTest, InvalidPatternIsASyntaxError) {
  FilterLinter linter("bad", "{ $.a = ");
  EXPECT_FALSE(linter.valid());
  ASSERT_TRUE(linter.error().has_value());
  EXPECT_EQ(linter.error()->offset, 8u);
  const auto report = linter.Finish();
  ASSERT_EQ(report.findings.size(), 1u);
  EXPECT_EQ(report.findings[0].check, "syntax");
  EXPECT_EQ(report.findings[0].severity, LintSeverity::kError);
}

TEST(LintTest, TopLevelClauseTexts) {
  struct Row {
    const char* pattern;
    std::vector<std::string> clauses;
  };
  const Row rows[] = {
      {"{ ($.a = 1) || ($.b = \"x)\") }", {"($.a = 1)", "($.b = \"x)\")"}},
      {"{($.a=1)||($.b=2)||$.c=3}", {"($.a=1)", "($.b=2)", "$.c=3"}},
      {"{ ($.a = 1 || $.b = 2) }", {"$.a = 1", "$.b = 2"}},
      {"{ (($.a = 1)) || $.b = 2 && $.c = 3 }", {"(($.a = 1))", "$.b = 2 && $.c = 3"}},
      {"{ $.a = 1 && $.b = 2 }", {}},
      {"ERROR", {}},
  };
  for (const auto& row : rows) {
    auto parsed = pattern::ParsePattern(row.pattern);
    ASSERT_TRUE(parsed.has_value()) << row.pattern;
    EXPECT_EQ(TopLevelClauseTexts(*parsed), row.clauses) << row.pattern;
  }
}

TEST(LintTest, UsuallyAbsentFields) {
  auto absent = [](const char* text) {
    auto selector = pattern::ParseSelectorText(text);
    return selector.has_value() && UsuallyAbsentField(*selector);
  };
  EXPECT_TRUE(absent("$.errorCode"));
  EXPECT_TRUE(absent("$.requestParameters.bucketName"));
  EXPECT_TRUE(absent("$.userIdentity.sessionContext.mfaAuthenticated"));
  EXPECT_FALSE(absent("$.eventName"));
  EXPECT_FALSE(absent("$.errorCodes"));
  EXPECT_FALSE(absent("$.userIdentity.arn"));
}

// The CIS v1.3-1.5 unauthorized-calls pattern over a history where it matched everything.
TEST(LintTest, Cis14MatchesMostEventsAndGetsTheAndForm) {
  FilterLinter linter("cis_1_4",
                      "{ ($.errorCode = \"*UnauthorizedOperation\") || ($.errorCode = "
                      "\"AccessDenied*\") || ($.sourceIPAddress!=\"delivery.logs.amazonaws.com\") "
                      "|| ($.eventName!=\"HeadBucket\") }");
  ASSERT_TRUE(linter.valid());
  const std::vector<std::string> events = {
      R"({"eventName":"GetObject","sourceIPAddress":"10.0.0.1"})",
      R"({"eventName":"ListBuckets","sourceIPAddress":"10.0.0.2"})",
      R"({"eventName":"RunInstances","errorCode":"Client.UnauthorizedOperation","sourceIPAddress":"10.0.0.3"})",
      R"({"eventName":"HeadBucket","sourceIPAddress":"10.0.0.4"})",
  };
  linter.SetCounts(4, 4);
  for (const auto& e : events) {
    linter.ObserveMatch(e);
    linter.ObserveStored(e);
  }
  const auto report = linter.Finish();
  const LintFinding* most = Find(report, "matches-most-events");
  ASSERT_NE(most, nullptr);
  EXPECT_EQ(most->severity, LintSeverity::kWarning);
  EXPECT_NE(most->message.find("100.00%"), std::string::npos) << most->message;
  EXPECT_NE(most->message.find("would have matched 1 event,"), std::string::npos) << most->message;
  EXPECT_NE(most->message.find("{ ($.errorCode = \"*UnauthorizedOperation\") || ($.errorCode = "
                               "\"AccessDenied*\") }"),
            std::string::npos)
      << most->message;
  EXPECT_EQ(most->suggestion,
            "{ (($.errorCode = \"*UnauthorizedOperation\") || ($.errorCode = \"AccessDenied*\")) "
            "&& ($.sourceIPAddress!=\"delivery.logs.amazonaws.com\") && "
            "($.eventName!=\"HeadBucket\") }");
  // The AccessDenied clause never matched.
  const LintFinding* never = Find(report, "clause-never-matched");
  ASSERT_NE(never, nullptr);
  EXPECT_NE(never->message.find("clause 2 `($.errorCode = \"AccessDenied*\")`"), std::string::npos)
      << never->message;
  // sourceIPAddress and eventName are always there: no ne-absent-field.
  EXPECT_EQ(Find(report, "ne-absent-field"), nullptr);
}

TEST(LintTest, NeUnderOrWithoutHistoryIsStatic) {
  FilterLinter linter("x",
                      "{ ($.errorCode = \"AccessDenied*\") || ($.eventName != \"HeadBucket\") }");
  const auto report = linter.Finish();
  const LintFinding* f = Find(report, "ne-under-or");
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(f->suggestion,
            "{ ($.errorCode = \"AccessDenied*\") && ($.eventName != \"HeadBucket\") }");
}

TEST(LintTest, NeOnAbsentFieldMeasuredAmongSiblingMatches) {
  FilterLinter linter("x",
                      "{ $.errorCode != \"NoSuchBucket\" && $.eventSource = s3.amazonaws.com }");
  linter.SetCounts(1, 3);
  linter.ObserveMatch(R"({"eventSource":"s3.amazonaws.com","errorCode":"AccessDenied"})");
  for (const char* e :
       {R"({"eventSource":"s3.amazonaws.com","errorCode":"AccessDenied"})",
        R"({"eventSource":"s3.amazonaws.com"})", R"({"eventSource":"s3.amazonaws.com"})",
        R"({"eventSource":"ec2.amazonaws.com","errorCode":"X"})"}) {
    linter.ObserveStored(e);
  }
  const auto report = linter.Finish();
  const LintFinding* f = Find(report, "ne-absent-field");
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(f->severity, LintSeverity::kWarning);
  EXPECT_NE(f->message.find("absent from 2 of the 3 stored events"), std::string::npos)
      << f->message;
  EXPECT_EQ(f->suggestion,
            "{ ($.errorCode NOT EXISTS || $.errorCode != \"NoSuchBucket\") && $.eventSource = "
            "s3.amazonaws.com }");
}

TEST(LintTest, NeGuardedByNotExistsIsFine) {
  FilterLinter linter("x", "{ ($.errorCode NOT EXISTS) || ($.errorCode != \"NoSuchBucket\") }");
  const auto report = linter.Finish();
  EXPECT_EQ(Find(report, "ne-absent-field"), nullptr);
}

TEST(LintTest, NeOnEventSpecificFieldWithEventNameIsANote) {
  FilterLinter linter("x",
                      "{ ($.eventName = \"ConsoleLogin\") && ($.additionalEventData.MFAUsed != "
                      "\"Yes\") }");
  const auto report = linter.Finish();
  const LintFinding* f = Find(report, "ne-absent-field");
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(f->severity, LintSeverity::kNote);
}

TEST(LintTest, CaseMismatchSuggestsTheObservedSpelling) {
  FilterLinter linter("x", "{ ($.eventName = Stoplogging) || ($.eventName = \"deletetrail\") }");
  for (const char* e : {R"({"eventName":"StopLogging"})", R"({"eventName":"DeleteTrail"})",
                        R"({"eventName":"StopLogging"})"}) {
    linter.ObserveStored(e);
  }
  const auto report = linter.Finish();
  std::vector<std::string> suggestions;
  for (const auto& f : report.findings) {
    if (f.check == "case-mismatch") suggestions.push_back(f.suggestion);
  }
  EXPECT_EQ(suggestions,
            (std::vector<std::string>{
                "{ ($.eventName = StopLogging) || ($.eventName = \"deletetrail\") }",
                "{ ($.eventName = Stoplogging) || ($.eventName = \"DeleteTrail\") }"}));
}

TEST(LintTest, ExactValuePresentIsNotACaseMismatch) {
  FilterLinter linter("x", "{ $.eventName = StopLogging* }");
  linter.ObserveStored(R"({"eventName":"StopLogging"})");
  linter.ObserveStored(R"({"eventName":"stoplogging"})");
  const auto report = linter.Finish();
  EXPECT_EQ(Find(report, "case-mismatch"), nullptr);
}

TEST(LintTest, ReadFilterSourcesKeepsInvalidPatterns) {
  auto sources = ReadFilterSources(
      R"({"metricFilters":[{"filterName":"a","filterPattern":"{ $.x = "},{"filterName":"b","filterPattern":"ERROR"}]})",
      "f.json");
  ASSERT_TRUE(sources.has_value());
  ASSERT_EQ(sources->size(), 2u);
  EXPECT_EQ((*sources)[0].pattern, "{ $.x = ");
  EXPECT_EQ((*sources)[1].origin, "f.json");
  EXPECT_FALSE(ReadFilterSources("[1]", "g.json").has_value());
  EXPECT_FALSE(ReadFilterSources("not json", "h.json").has_value());
}

}  // namespace
}  // namespace trailreplay::rules

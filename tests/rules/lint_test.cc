// Tests of rules/lint.h: the clause splitter, the static field list, and each check against
// events fed by hand (the history a database would provide).
#include "rules/lint.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "pattern/compiled.h"
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

// Issue 26: the CIS MFA filter. Under an `&&`, presence is measured on the records that
// satisfy the rest of it, never guessed: without a history nothing is said, and ConsoleLogin
// records carry additionalEventData.MFAUsed (spec C.1, [CT-SIGNIN]), so with one neither.
TEST(LintTest, NeUnderAndIsMeasuredNotGuessed) {
  const char* const kMfa =
      "{ ($.eventName = \"ConsoleLogin\") && ($.additionalEventData.MFAUsed != \"Yes\") }";
  EXPECT_EQ(Find(FilterLinter("x", kMfa).Finish(), "ne-absent-field"), nullptr);

  FilterLinter measured("x", kMfa);
  measured.SetCounts(1, 4);
  for (const char* e : {R"({"eventName":"ConsoleLogin","additionalEventData":{"MFAUsed":"No"}})",
                        R"({"eventName":"ConsoleLogin","additionalEventData":{"MFAUsed":"Yes"}})",
                        R"({"eventName":"GetObject"})", R"({"eventName":"ListBuckets"})"}) {
    measured.ObserveStored(e);
  }
  EXPECT_EQ(Find(measured.Finish(), "ne-absent-field"), nullptr);

  // Stored events, none of which satisfies the rest of the `&&`: still nothing to measure.
  FilterLinter unmeasured("x", kMfa);
  unmeasured.SetCounts(0, 2);
  unmeasured.ObserveStored(R"({"eventName":"GetObject"})");
  EXPECT_EQ(Find(unmeasured.Finish(), "ne-absent-field"), nullptr);
}

// Issue 26: a `!=` that no `&&` narrows means "present and different" (a subscription filter
// `{ $.errorMessage != "" }` forwards the failed calls); adding NOT EXISTS would forward nearly
// every event instead. At most a note, never a rewrite, whatever the history says.
TEST(LintTest, LoneNotEqualIsAtMostANoteWithoutRewrite) {
  struct Row {
    const char* pattern;
    std::vector<const char*> stored;  // empty: no history
    bool note;
  };
  const Row rows[] = {
      {"{ $.errorMessage != \"\" }", {}, true},
      {"{ $.errorMessage != \"\" }",
       {R"({"eventName":"A"})", R"({"eventName":"B"})", R"({"errorMessage":"denied"})"},
       true},
      {"{ $.errorMessage != \"\" }", {R"({"errorMessage":"x"})", R"({"errorMessage":""})"}, false},
      {"{ $.eventName != \"HeadBucket\" }", {}, false},  // CloudTrail always has eventName
      {"{ ($.errorCode = \"AccessDenied*\") || ($.requestParameters.x != \"y\") }", {}, true},
  };
  for (const Row& row : rows) {
    FilterLinter linter("x", row.pattern);
    if (!row.stored.empty()) linter.SetCounts(1, row.stored.size());
    for (const char* e : row.stored) linter.ObserveStored(e);
    const auto report = linter.Finish();
    const LintFinding* f = Find(report, "ne-absent-field");
    if (!row.note) {
      EXPECT_EQ(f, nullptr) << row.pattern;
      continue;
    }
    ASSERT_NE(f, nullptr) << row.pattern;
    EXPECT_EQ(f->severity, LintSeverity::kNote) << row.pattern;
    EXPECT_EQ(f->suggestion, "") << row.pattern;
    EXPECT_NE(f->message.find("present and different"), std::string::npos) << f->message;
  }
}

// The static findings of issue 26, one row each, with the evidence they rest on:
//   contradictory          a pattern no event can match (rules/contradiction.h);
//   bracketed-value        "Characters between brackets ("[]") and double quotation marks ("")
//                          are considered single fields" and come out without them [CWL-FPS],
//                          [CWL-MF] (`"$timestamp": "10/Oct/2000:13:25:15 -0700"`);
//   optional-terms-ignored "If you combine "?" with other filter patterns, all question mark
//                          terms will be ignored" [CWL-FPS], `?ERROR ?ARGUMENTS REQUEST`;
//   boolean-word-term      terms are AND-ed and `?` is the only OR [CWL-FPS]; a bare OR or AND
//                          is a term like any other.
struct StaticCase {
  const char* pattern;
  const char* check;  // nullptr: no static finding at all
  const char* message_fragment;
  const char* suggestion;
};

const StaticCase kStatic[] = {
    {"{ $.a = 1 && $.a = 2 }", "contradictory", "can never match an event whose JSON keys", ""},
    {"{ $.x NOT EXISTS && $.x = \"y\" }", "contradictory", "can never match: `$.x NOT EXISTS`", ""},
    {"{ $.eventName = CreateTrail || ($.eventName = A && $.eventName = B) }", "contradictory",
     "clause 2 `($.eventName = A && $.eventName = B)` of the top-level `||` can never match", ""},
    {"[w1 = 404 && w1 = 500, w2]", "contradictory", "can never match: no one text of field w1", ""},
    {"ERROR -ERR", "contradictory", "can never match: every message holding `ERROR`", ""},
    {"[level=\"[ERROR]\", msg]", "bracketed-value",
     "`level = \"[ERROR]\"` never matches a log line holding [ERROR]", "[level=\"ERROR\", msg]"},
    {"[ts, level != \"[WARN]\", msg]", "bracketed-value", "holds for a log line holding [WARN]",
     "[ts, level != \"WARN\", msg]"},
    {"[level=\"[a]b]\", msg]", nullptr, "", ""},     // a word `[a]b]` keeps its brackets
    {"[level=\"[ERROR]*\", msg]", nullptr, "", ""},  // a glob: `[ERROR]:` is a word
    {"?ERROR ?ARGUMENTS REQUEST", "optional-terms-ignored",
     "CloudWatch ignores `?ERROR`, `?ARGUMENTS`", "REQUEST"},
    {"?\"bad news\" -\"good news\"", "optional-terms-ignored",
     "matches exactly what "
     "`-\"good news\"` matches",
     "-\"good news\""},
    {"?ERROR ?WARN", nullptr, "", ""},
    {"ERROR OR WARN", "boolean-word-term", "`OR` is a term here", "?ERROR ?WARN"},
    {"ERROR AND timeout", "boolean-word-term", "`AND` is a term here", "ERROR timeout"},
    {"ERROR NOT timeout", "boolean-word-term", "`NOT` is a term here", "ERROR -timeout"},
    {"ERROR OR WARN -DEBUG", "boolean-word-term", "`OR` is a term here", ""},
    {"\"OR\" ERROR", nullptr, "", ""},  // quoted: the user means the text
    {"error or warning", nullptr, "", ""},
    {"{ $.a = 1 && $.b = 2 }", nullptr, "", ""},
};

TEST(LintTest, StaticFindings) {
  for (const StaticCase& c : kStatic) {
    FilterLinter linter("x", c.pattern);
    ASSERT_TRUE(linter.valid()) << c.pattern;
    const auto report = linter.Finish();
    if (c.check == nullptr) {
      for (const auto& f : report.findings) {
        EXPECT_TRUE(f.check == "ne-absent-field" || f.check == "ne-under-or")
            << c.pattern << ": " << f.check << ": " << f.message;
      }
      continue;
    }
    const LintFinding* f = Find(report, c.check);
    ASSERT_NE(f, nullptr) << c.pattern;
    EXPECT_EQ(f->severity, LintSeverity::kWarning) << c.pattern;
    EXPECT_NE(f->message.find(c.message_fragment), std::string::npos)
        << c.pattern << ": " << f->message;
    EXPECT_EQ(f->suggestion, c.suggestion) << c.pattern;
  }
}

// A suggested rewrite means the same to CloudWatch: `?` terms dropped where they are
// ignored, and the bracket-free value matches what the bracketed one never could.
TEST(LintTest, StaticSuggestionsMatchWhatTheyClaim) {
  auto matches = [](const std::string& text, const std::string& message) {
    auto parsed = pattern::ParsePattern(text);
    EXPECT_TRUE(parsed.has_value()) << text;
    pattern::SelectorPlan plan;
    const pattern::CompiledPattern compiled(std::move(*parsed), plan);
    pattern::EventContext context(&plan);
    context.Reset(message);
    return compiled.Matches(context);
  };
  for (const char* m : {"[INFO] REQUEST FAILED", "[ERROR] 400 BAD REQUEST", "ERROR", "x"}) {
    EXPECT_EQ(matches("?ERROR ?ARGUMENTS REQUEST", m), matches("REQUEST", m)) << m;
  }
  EXPECT_FALSE(matches("[level=\"[ERROR]\", msg]", "[ERROR] disk full"));
  EXPECT_TRUE(matches("[level=\"ERROR\", msg]", "[ERROR] disk full"));
  EXPECT_TRUE(matches("[level=\"[ERROR]\", msg]", "\"[ERROR]\" disk full"));
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

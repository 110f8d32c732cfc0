// Tests of rules/contradiction.h. Tables of patterns that can never match (each kind the
// header lists) and of patterns that can, each with an event the real matcher accepts; then
// the promise the lint finding rests on, checked by brute force: whenever the analysis says
// "never", no event of an exhaustive universe matches (documents with unique keys for the
// "one value" kind, with repeated keys too for the absolute kind).
#include "rules/contradiction.h"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "pattern/compiled.h"
#include "pattern/parser.h"

namespace trailreplay::rules {
namespace {

bool Matches(const std::string& pattern_text, const std::string& event) {
  auto parsed = pattern::ParsePattern(pattern_text);
  if (!parsed) return false;
  pattern::SelectorPlan plan;
  const pattern::CompiledPattern compiled(std::move(*parsed), plan);
  pattern::EventContext context(&plan);
  context.Reset(event);
  return compiled.Matches(context);
}

std::optional<Contradiction> Find(const std::string& text) {
  auto parsed = pattern::ParsePattern(text);
  EXPECT_TRUE(parsed.has_value()) << text;
  if (!parsed) return std::nullopt;
  return FindContradiction(*parsed);
}

enum class Never { kAbsolute, kUniqueKeys };

struct NeverCase {
  const char* pattern;
  Never kind;
  const char* reason_fragment;
};

// The examples of issue 26 and one row per case of contradiction.h.
const NeverCase kNever[] = {
    {"{ $.a = 1 && $.a = 2 }", Never::kUniqueKeys,
     "no one value of $.a satisfies `$.a = 1` and `$.a = 2`"},
    {"{ $.x NOT EXISTS && $.x = \"y\" }", Never::kAbsolute,
     "`$.x NOT EXISTS` and `$.x = \"y\"` exclude each other"},
    {"{ $.x NOT EXISTS && $.x IS NULL }", Never::kAbsolute, "exclude each other"},
    {"{ $.x NOT EXISTS && $.x != 1 }", Never::kAbsolute, "exclude each other"},
    {"{ $.a NOT EXISTS && $.a.b = 1 }", Never::kAbsolute, "$.a.b holding a value needs $.a"},
    {"{ $.a[*] NOT EXISTS && $.a[0] = 1 }", Never::kAbsolute, "exclude each other"},
    {"{ $.* NOT EXISTS && $.x = 1 }", Never::kAbsolute, "exclude each other"},
    {"{ ($.x NOT EXISTS) && ($.y = 1 || $.x = 2 && $.x NOT EXISTS) && $.x = 3 }", Never::kAbsolute,
     "alternatives"},
    {"{ $.a = x && $.a = y }", Never::kUniqueKeys, "`$.a = x` and `$.a = y`"},
    {"{ $.a = \"x\" && $.a != \"x\" }", Never::kUniqueKeys, "satisfies"},
    {"{ $.a = 1 && $.a != 1 }", Never::kUniqueKeys, "satisfies"},
    {"{ $.a = \"400\" && $.a = 500 }", Never::kUniqueKeys, "satisfies"},
    {"{ $.a = abc && $.a > 1 }", Never::kUniqueKeys, "satisfies"},
    {"{ $.a > 5 && $.a < 3 }", Never::kUniqueKeys, "`$.a > 5` and `$.a < 3`"},
    {"{ $.a >= 5 && $.a < 5 }", Never::kUniqueKeys, "satisfies"},
    {"{ $.a >= 5 && $.a <= 5 && $.a != 5 }", Never::kUniqueKeys,
     "`$.a >= 5`, `$.a <= 5` and `$.a != 5`"},
    {"{ $.a = 3 && $.a > 5 }", Never::kUniqueKeys, "satisfies"},
    {"{ $.a IS NULL && $.a = x }", Never::kUniqueKeys, "satisfies"},
    {"{ $.a IS TRUE && $.a IS FALSE }", Never::kUniqueKeys, "satisfies"},
    {"{ $.a IS TRUE && $.a = false }", Never::kUniqueKeys, "satisfies"},
    {"{ $.a IS NULL && $.a != 1 }", Never::kUniqueKeys, "satisfies"},
    {"{ $.a = x* && $.a = \"1\" }", Never::kUniqueKeys, "satisfies"},
    {"{ $.a = %^x% && $.a = \"yx\" }", Never::kUniqueKeys, "satisfies"},
    {"{ $.a = 1 && $.a.b = 2 }", Never::kUniqueKeys, "an object or array there"},
    {"{ $.a IS NULL && $.a[*] = 2 }", Never::kUniqueKeys, "an object or array there"},
    {"{ ($.a = 1 || $.a = 2) && $.a = 3 }", Never::kUniqueKeys, "each of its 2 alternatives"},
    {"{ $.eventName = DeleteTrail && $.eventName = StopLogging }", Never::kUniqueKeys, "satisfies"},
    // Space-delimited fields hold one text each.
    {"[a, status = 404 && status = 500, b]", Never::kAbsolute,
     "no one text of field status satisfies"},
    {"[a, status = 404 && status != 404.0, b]", Never::kAbsolute, "satisfies"},
    {"[a = ERROR, b = 1 && a = WARN, ...]", Never::kAbsolute, "field a"},
    {"[a > 500 && a < 400, b]", Never::kAbsolute, "satisfies"},
    {"[a = x && a > 1, b]", Never::kAbsolute, "satisfies"},
    // Terms.
    {"ERROR -ERROR", Never::kAbsolute, "every message holding `ERROR` holds `ERROR`"},
    {"ERROR -ERR", Never::kAbsolute, "holds `ERR`, which `-ERR` excludes"},
    {"\"bad request\" -\"d r\"", Never::kAbsolute, "excludes"},
    {"-\"\"", Never::kAbsolute, "excluded empty phrase"},
    {"?ok ERROR -ERROR", Never::kAbsolute, "excludes"},
};

class NeverTest : public ::testing::TestWithParam<NeverCase> {};

TEST_P(NeverTest, IsFoundWithItsKindAndReason) {
  const NeverCase& c = GetParam();
  const auto found = Find(c.pattern);
  ASSERT_TRUE(found.has_value()) << c.pattern;
  EXPECT_EQ(found->absolute, c.kind == Never::kAbsolute) << c.pattern << ": " << found->reason;
  EXPECT_NE(found->reason.find(c.reason_fragment), std::string::npos)
      << c.pattern << ": " << found->reason;
}

INSTANTIATE_TEST_SUITE_P(Contradictions, NeverTest, ::testing::ValuesIn(kNever),
                         [](const auto& param_info) {
                           return "row" + std::to_string(param_info.index);
                         });

struct CanCase {
  const char* pattern;
  const char* witness;  // an event the matcher accepts
};

// Patterns that look contradictory but are not, each with the event that shows it, and
// patterns the analysis must leave undecided.
const CanCase kCan[] = {
    {"{ $.a = 1 && $.b = 2 }", R"({"a":1,"b":2})"},
    {"{ $.a = 1 && $.a = 1.0 }", R"({"a":1})"},
    {"{ $.a = 400 && $.a = \"400\" }", R"({"a":400})"},
    {"{ $.a = 400 && $.a = \"400\" }", R"({"a":"400"})"},
    {"{ $.a = 1e2 && $.a = 100 }", R"({"a":100})"},
    {"{ $.a = true && $.a IS TRUE }", R"({"a":true})"},
    {"{ $.a = \"true\" && $.a != \"false\" }", R"({"a":"true"})"},
    {"{ $.a != 1 && $.a != 2 }", R"({"a":3})"},
    {"{ $.a >= 5 && $.a <= 5 }", R"({"a":5})"},
    {"{ $.a > 5 && $.a != 6 && $.a < 7 }", R"({"a":6.5})"},
    {"{ $.a = x* && $.a = *y }", R"({"a":"xy"})"},
    {"{ $.a = 1 && $.a != 1.0 }", R"({"a":"1"})"},  // the string "1" is not "1.0"
    {"{ $.a = %x% && $.a != \"x\" }", R"({"a":"xx"})"},
    {"{ $.a = 4* && $.a > 400 }", R"({"a":401})"},
    {"{ $.a = 1 || $.a NOT EXISTS }", R"({})"},
    {"{ $.a NOT EXISTS && $.b = 1 }", R"({"b":1})"},
    {"{ $.a.b NOT EXISTS && $.a = * }", R"({"a":1})"},  // a below-path absent: fine
    {"{ $.a[1] NOT EXISTS && $.a[*] = 1 }", R"({"a":[1]})"},
    {"{ $.a[*] = 1 && $.a[*] = 2 }", R"({"a":[1,2]})"},  // wildcards reach several values
    {"{ $.* = 1 && $.* = 2 }", R"({"x":1,"y":2})"},
    {"{ $.a IS NULL || $.a = 1 }", R"({"a":null})"},
    {"{ $.['a.b'] = 1 && $.a.b = 2 }", R"({"a.b":1,"a":{"b":2}})"},
    {"{ ($.a = 1 || $.a = 2) && $.a = 2 }", R"({"a":2})"},
    {"[a, status = 404 && status = 404.0, b]", "x 404 y"},
    {"[a, status = 4* && status > 400, b]", "x 404 y"},
    {"[a = ERROR, b = 1 || a = WARN, ...]", "ERROR 1"},
    {"ERROR -WARN", "ERROR x"},
    {"ERR -ERROR", "ERR x"},  // the required term does not contain the excluded one
    {"?ERROR ?WARN", "WARN"},
    {"?ok ?ok", "ok"},
};

class CanTest : public ::testing::TestWithParam<CanCase> {};

TEST_P(CanTest, IsNotClaimed) {
  const CanCase& c = GetParam();
  ASSERT_TRUE(Matches(c.pattern, c.witness)) << c.pattern << " on " << c.witness;
  const auto found = Find(c.pattern);
  EXPECT_FALSE(found.has_value()) << c.pattern << ": " << (found ? found->reason : "");
}

INSTANTIATE_TEST_SUITE_P(Satisfiable, CanTest, ::testing::ValuesIn(kCan),
                         [](const auto& param_info) {
                           return "row" + std::to_string(param_info.index);
                         });

// Contradictory, but only a reasoning about globs or about the text of a number of unknown
// spelling would show it: left undecided, never guessed.
TEST(ContradictionTest, WhatIsNotDecidedIsNotClaimed) {
  for (const char* text : {"{ $.a = x* && $.a != x* }", "{ $.a = x* && $.a = 1 }",
                           "{ $.a[0] NOT EXISTS && $.a[*] = 1 }", "[a, b = x* && b = 1, c]"}) {
    EXPECT_FALSE(Find(text).has_value()) << text;
  }
}

TEST(ContradictionTest, WhereDuplicateKeysMatterTheyDo) {
  // What "unique keys" is about: trailreplay gives a repeated key every value.
  EXPECT_TRUE(Matches("{ $.a = 1 && $.a = 2 }", R"({"a":1,"a":2})"));
  EXPECT_TRUE(Matches("{ $.a = 1 && $.a.b = 2 }", R"({"a":1,"a":{"b":2}})"));
  EXPECT_FALSE(Matches("{ $.x NOT EXISTS && $.x = \"y\" }", R"({"x":"y","x":"z"})"));
}

TEST(ContradictionTest, TooManyAlternativesIsUndecided) {
  // 2^9 alternatives, every one contradictory: beyond kMaxAlternatives, so not claimed.
  std::string text = "{ $.z = 1 && $.z = 2";
  for (int i = 0; i < 9; ++i) text += " && ($.a" + std::to_string(i) + " = 1 || $.b = 1)";
  EXPECT_FALSE(Find(text + " }").has_value());
  EXPECT_TRUE(Find("{ $.z = 1 && $.z = 2 && ($.a = 1 || $.b = 1) }").has_value());
}

TEST(ContradictionTest, AClauseOfAnOr) {
  auto parsed = pattern::ParsePattern("{ $.a = 1 || ($.b = 1 && $.b = 2) }");
  ASSERT_TRUE(parsed.has_value());
  EXPECT_FALSE(FindContradiction(*parsed).has_value());
  EXPECT_FALSE(FindContradiction(*parsed, parsed->condition->children[0]).has_value());
  const auto second = FindContradiction(*parsed, parsed->condition->children[1]);
  ASSERT_TRUE(second.has_value());
  EXPECT_FALSE(second->absolute);
}

// ---- brute force ---------------------------------------------------------------------------

// Every JSON value the generated patterns can tell apart, as written in a document.
const std::vector<std::string> kScalars = {"null",  "true", "false", "1",       "2",
                                           "1.0",   "1e0",  "\"1\"", "\"x\"",   "\"xy\"",
                                           "\"2\"", "3.5",  "-1",    "\"true\""};

std::vector<std::string> Values(bool nested) {
  std::vector<std::string> out = kScalars;
  out.push_back("[]");
  out.push_back("[1,\"x\"]");
  out.push_back("[2]");
  if (nested) {
    out.push_back("{}");
    for (const char* b : {"1", "2", "\"x\"", "null", "true"}) {
      out.push_back(std::string("{\"b\":") + b + "}");
    }
  }
  return out;
}

// Documents over keys a (objects too), b and c, each absent or one of Values() (c: a few),
// every combination, with unique keys.
std::vector<std::string> UniqueKeyDocuments() {
  std::vector<std::string> out;
  const auto a_values = Values(true);
  const auto b_values = Values(false);
  const std::vector<std::string> c_values = {"1", "\"x\"", "null", "[]", "[1,\"x\"]", "[2]"};
  for (std::size_t ia = 0; ia <= a_values.size(); ++ia) {
    for (std::size_t ib = 0; ib <= b_values.size(); ++ib) {
      for (std::size_t ic = 0; ic <= c_values.size(); ++ic) {
        std::string doc = "{";
        auto add = [&](const char* key, const std::vector<std::string>& values, std::size_t i) {
          if (i == values.size()) return;  // absent
          if (doc.size() > 1) doc += ",";
          doc += std::string("\"") + key + "\":" + values[i];
        };
        add("a", a_values, ia);
        add("b", b_values, ib);
        add("c", c_values, ic);
        out.push_back(doc + "}");
      }
    }
  }
  return out;
}

// Documents that repeat a key.
std::vector<std::string> DuplicateKeyDocuments() {
  std::vector<std::string> out;
  const auto values = Values(true);
  for (std::size_t i = 0; i < values.size(); ++i) {
    for (std::size_t j = 0; j < values.size(); j += 3) {
      out.push_back("{\"a\":" + values[i] + ",\"a\":" + values[j] + ",\"b\":" + values[j % 5] +
                    "}");
    }
  }
  return out;
}

class PatternMaker {
 public:
  explicit PatternMaker(std::uint32_t seed) : rng_(seed) {}

  std::string Json() { return "{ " + Expr(2) + " }"; }

  std::string Delimited() {
    return "[f0, " + Field("f1", 2) + ", " + (Pick(2) ? Field("f2", 1) : std::string("f2")) + "]";
  }

  std::string Terms() {
    static const char* const kTerms[] = {"ERR", "ERROR", "OR", "x", "\"\"", "\"R x\"", "E"};
    std::string out;
    const std::size_t n = 1 + Pick(3);
    for (std::size_t i = 0; i < n; ++i) {
      if (i) out += " ";
      const std::size_t mode = Pick(4);
      out += mode == 0 ? "-" : mode == 1 ? "?" : "";
      out += kTerms[Pick(7)];
    }
    return out;
  }

 private:
  std::size_t Pick(std::size_t n) {
    return std::uniform_int_distribution<std::size_t>(0, n - 1)(rng_);
  }

  std::string Leaf() {
    static const char* const kSelectors[] = {"$.a",    "$.a",    "$.b", "$.a.b",
                                             "$.c[0]", "$.c[*]", "$.*"};
    static const char* const kOps[] = {"=", "=", "!=", ">", "<", ">=", "<="};
    static const char* const kValues[] = {"1",     "2",    "1.0", "\"1\"", "x",   "x*",
                                          "\"x\"", "true", "%x%", "-1",    "3.5", "1e0"};
    static const char* const kNumbers[] = {"1", "2", "1.0", "-1", "3.5", "1e0"};
    const std::string selector = kSelectors[Pick(7)];
    switch (Pick(9)) {
      case 0:
        return selector + " IS NULL";
      case 1:
        return selector + (Pick(2) ? " IS TRUE" : " IS FALSE");
      case 2:
        return selector + " NOT EXISTS";
      default:
        break;
    }
    const std::string op = kOps[Pick(7)];
    const bool relational = op != "=" && op != "!=";
    return selector + " " + op + " " + (relational ? kNumbers[Pick(6)] : kValues[Pick(12)]);
  }

  std::string Expr(int depth) {
    if (depth == 0 || Pick(3) == 0) return Leaf();
    const std::size_t n = 2 + Pick(2);
    const char* op = Pick(4) == 0 ? " || " : " && ";
    std::string out = "(";
    for (std::size_t i = 0; i < n; ++i) out += (i ? op : "") + Expr(depth - 1);
    return out + ")";
  }

  std::string Field(const std::string& name, int leaves) {
    static const char* const kOps[] = {"=", "=", "!=", ">", "<", ">=", "<="};
    static const char* const kValues[] = {"404", "500", "404.0", "x", "4*", "\"404\"", "-1"};
    static const char* const kNumbers[] = {"404", "500", "404.0", "-1", "4e2"};
    std::string out;
    const std::size_t n = 1 + Pick(static_cast<std::size_t>(leaves) + 1);
    const char* join = Pick(4) == 0 ? " || " : " && ";
    for (std::size_t i = 0; i < n; ++i) {
      const std::string op = kOps[Pick(7)];
      const bool relational = op != "=" && op != "!=";
      out += (i ? join : "") + name + " " + op + " " +
             (relational ? kNumbers[Pick(5)] : kValues[Pick(7)]);
    }
    return out;
  }

  std::mt19937 rng_;
};

struct Tally {
  std::size_t claimed = 0, never_in_universe = 0;
};

// For each pattern: a claim must hold on every event of `universe` (and on `duplicates` too
// when it is absolute).
Tally CheckClaims(const std::vector<std::string>& patterns,
                  const std::vector<std::string>& universe,
                  const std::vector<std::string>& duplicates) {
  Tally tally;
  for (const std::string& text : patterns) {
    auto parsed = pattern::ParsePattern(text);
    if (!parsed) continue;
    const auto claim = FindContradiction(*parsed);
    pattern::SelectorPlan plan;
    const pattern::CompiledPattern compiled(std::move(*parsed), plan);
    pattern::EventContext context(&plan);
    auto matches_any = [&](const std::vector<std::string>& events, std::string& witness) {
      for (const auto& e : events) {
        context.Reset(e);
        if (compiled.Matches(context)) {
          witness = e;
          return true;
        }
      }
      return false;
    };
    std::string witness;
    const bool can = matches_any(universe, witness);
    if (!can) ++tally.never_in_universe;
    if (!claim) continue;
    ++tally.claimed;
    EXPECT_FALSE(can) << text << " claimed never (" << claim->reason << ") but matches " << witness;
    if (claim->absolute) {
      EXPECT_FALSE(matches_any(duplicates, witness))
          << text << " claimed absolutely never (" << claim->reason << ") but matches " << witness;
    }
  }
  return tally;
}

TEST(ContradictionTest, JsonClaimsHoldOnEveryDocument) {
  PatternMaker maker(20261126);
  std::vector<std::string> patterns;
  for (int i = 0; i < 300; ++i) patterns.push_back(maker.Json());
  const Tally tally = CheckClaims(patterns, UniqueKeyDocuments(), DuplicateKeyDocuments());
  // The analysis must not be vacuous: it finds most of the patterns nothing matches.
  EXPECT_GT(tally.claimed, 40u);
  EXPECT_GT(tally.claimed * 10, tally.never_in_universe * 6)
      << tally.claimed << " claimed of " << tally.never_in_universe;
}

TEST(ContradictionTest, DelimitedAndTermClaimsHoldOnEveryMessage) {
  PatternMaker maker(7);
  std::vector<std::string> patterns;
  for (int i = 0; i < 300; ++i) patterns.push_back(maker.Delimited());
  std::vector<std::string> messages;
  const char* const kWords[] = {"404", "500", "404.0", "x", "4e2", "-1", "\"404\"", "401", "y"};
  for (const char* a : kWords) {
    for (const char* b : kWords) messages.push_back(std::string("w ") + a + " " + b);
  }
  Tally tally = CheckClaims(patterns, messages, {});
  EXPECT_GT(tally.claimed * 10, tally.never_in_universe * 6);

  patterns.clear();
  for (int i = 0; i < 300; ++i) patterns.push_back(maker.Terms());
  messages.clear();
  const char* const kTexts[] = {"", "ERROR", "ERR", "E", "OR x", "R x", "ERROR x", "x"};
  for (const char* a : kTexts) {
    for (const char* b : kTexts) messages.push_back(std::string(a) + " " + b);
  }
  tally = CheckClaims(patterns, messages, {});
  EXPECT_GT(tally.claimed * 10, tally.never_in_universe * 6);
}

}  // namespace
}  // namespace trailreplay::rules

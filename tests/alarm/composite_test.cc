// Composite alarms: AlarmRule parsing as tables (AWS's own examples first, then each grammar
// feature and each error), evaluation of those examples against what AWS says they mean, and
// two property tests: random rules printed with random spacing, quoting and parentheses
// against a plain recursive evaluator of the generated tree, and random child histories
// against a minute-by-minute reference of the composite's state.
#include "alarm/composite.h"

#include <gtest/gtest.h>

#include <map>
#include <random>
#include <string>
#include <vector>

namespace trailreplay::alarm {
namespace {

struct ParseCase {
  const char* rule;
  const char* printed;  // canonical form
};

// Sources: [API-CW] PutCompositeAlarm, AlarmRule (its three examples and the functions it
// lists); botocore cloudwatch service-2.json carries the same text.
TEST(CompositeRule, ParsesAwsExamples) {
  const ParseCase cases[] = {
      {"ALARM(CPUUtilizationTooHigh) AND ALARM(DiskReadOpsTooHigh)",
       R"((ALARM("CPUUtilizationTooHigh") AND ALARM("DiskReadOpsTooHigh")))"},
      {"ALARM(CPUUtilizationTooHigh) AND NOT ALARM(DeploymentInProgress)",
       R"((ALARM("CPUUtilizationTooHigh") AND NOT ALARM("DeploymentInProgress")))"},
      {"(ALARM(CPUUtilizationTooHigh) OR ALARM(DiskReadOpsTooHigh)) AND OK(NetworkOutTooHigh)",
       R"(((ALARM("CPUUtilizationTooHigh") OR ALARM("DiskReadOpsTooHigh")) AND )"
       R"(OK("NetworkOutTooHigh")))"},
      // "Alarm names specified in AlarmRule can be surrounded with double-quotes"
      {R"(ALARM("unauth") AND ALARM("root-usage"))",
       R"((ALARM("unauth") AND ALARM("root-usage")))"},
      {"INSUFFICIENT_DATA(a)", R"(INSUFFICIENT_DATA("a"))"},
      {"TRUE", "TRUE"},
      {"FALSE", "FALSE"},
      // ARNs name the alarm by its last part.
      {R"(ALARM("arn:aws:cloudwatch:us-east-1:111122223333:alarm:cpu high"))",
       R"(ALARM("cpu high"))"},
      // Precedence where AWS is silent: NOT, then AND, then OR.
      {"ALARM(a) OR ALARM(b) AND ALARM(c)", R"((ALARM("a") OR (ALARM("b") AND ALARM("c"))))"},
      {"NOT ALARM(a) OR NOT NOT OK(b)", R"((NOT ALARM("a") OR NOT NOT OK("b")))"},
      {"ALARM(a) AND ALARM(b) AND ALARM(c)", R"(((ALARM("a") AND ALARM("b")) AND ALARM("c")))"},
      {"  ( ( TRUE ) )\n", "TRUE"},
      {R"(ALARM( "a b" ))", R"(ALARM("a b"))"},
      {"ALARM(name with spaces )", R"(ALARM("name with spaces"))"},
      {"ALARM(x)AND(OK(y))", R"((ALARM("x") AND OK("y")))"},
  };
  for (const auto& c : cases) {
    auto parsed = ParseAlarmRule(c.rule);
    ASSERT_TRUE(parsed) << c.rule << ": " << parsed.error().message;
    EXPECT_EQ(PrintRule(parsed->root), c.printed) << c.rule;
  }
}

TEST(CompositeRule, ListsEachChildOnce) {
  auto parsed = ParseAlarmRule("ALARM(b) OR OK(a) OR INSUFFICIENT_DATA(b)");
  ASSERT_TRUE(parsed);
  EXPECT_EQ(parsed->children, (std::vector<std::string>{"b", "a"}));
}

struct ErrorCase {
  const char* rule;
  std::size_t offset;
  const char* message;  // a part of it
};

TEST(CompositeRule, RejectsWithOffsets) {
  const ErrorCase cases[] = {
      {"", 0, "the rule ends"},
      {"ALARM(a) AND", 12, "the rule ends"},
      {"ALARM(a) XOR OK(b)", 9, "expected AND, OR"},
      {"alarm(a)", 0, "expected ALARM"},
      {"ALARM a", 6, "expected '('"},
      {"ALARM(a", 6, "expected ')'"},
      {R"(ALARM("a)", 6, "unterminated"},
      {R"(ALARM("a" b))", 10, "expected ')' after"},
      {"ALARM()", 6, "empty alarm name"},
      {"(ALARM(a)", 0, "expected ')' to close"},
      {"ALARMS(a)", 0, "expected ALARM"},
      {"TRUE FALSE", 5, "expected AND, OR"},
  };
  for (const auto& c : cases) {
    auto parsed = ParseAlarmRule(c.rule);
    ASSERT_FALSE(parsed) << c.rule;
    EXPECT_EQ(parsed.error().offset, c.offset) << c.rule << ": " << parsed.error().message;
    EXPECT_NE(parsed.error().message.find(c.message), std::string::npos)
        << c.rule << ": " << parsed.error().message;
  }
}

TEST(CompositeRule, BoundsLengthChildrenAndDepth) {
  EXPECT_FALSE(ParseAlarmRule(std::string(kMaxRuleLength + 1, ' ')));
  std::string many = "ALARM(a0)";
  for (int i = 1; i <= 100; ++i) many += " OR ALARM(a" + std::to_string(i) + ")";
  auto too_many = ParseAlarmRule(many);
  ASSERT_FALSE(too_many);
  EXPECT_NE(too_many.error().message.find("100 alarms"), std::string::npos);
  std::string deep;
  for (int i = 0; i < 5000; ++i) deep += "(";
  EXPECT_FALSE(ParseAlarmRule(deep + "TRUE" + std::string(5000, ')')));
  std::string nots;
  for (int i = 0; i < 5000; ++i) nots += "NOT ";
  EXPECT_FALSE(ParseAlarmRule(nots + "TRUE"));
}

// What AWS says each example means ([API-CW] PutCompositeAlarm, AlarmRule).
TEST(CompositeRule, EvaluatesAwsExamplesAsDocumented) {
  const State A = State::kAlarm, O = State::kOk, I = State::kInsufficientData;
  struct Row {
    const char* rule;
    std::map<std::string, State> states;
    bool value;
  };
  const Row rows[] = {
      // "goes into ALARM state only if both ... are in ALARM state"
      {"ALARM(CPUUtilizationTooHigh) AND ALARM(DiskReadOpsTooHigh)",
       {{"CPUUtilizationTooHigh", A}, {"DiskReadOpsTooHigh", A}},
       true},
      {"ALARM(CPUUtilizationTooHigh) AND ALARM(DiskReadOpsTooHigh)",
       {{"CPUUtilizationTooHigh", A}, {"DiskReadOpsTooHigh", O}},
       false},
      {"ALARM(CPUUtilizationTooHigh) AND ALARM(DiskReadOpsTooHigh)",
       {{"CPUUtilizationTooHigh", A}, {"DiskReadOpsTooHigh", I}},
       false},
      // "... if CPUUtilizationTooHigh is in ALARM state and DeploymentInProgress is not"
      {"ALARM(CPUUtilizationTooHigh) AND NOT ALARM(DeploymentInProgress)",
       {{"CPUUtilizationTooHigh", A}, {"DeploymentInProgress", O}},
       true},
      {"ALARM(CPUUtilizationTooHigh) AND NOT ALARM(DeploymentInProgress)",
       {{"CPUUtilizationTooHigh", A}, {"DeploymentInProgress", I}},
       true},
      {"ALARM(CPUUtilizationTooHigh) AND NOT ALARM(DeploymentInProgress)",
       {{"CPUUtilizationTooHigh", A}, {"DeploymentInProgress", A}},
       false},
      // "... if CPUUtilizationTooHigh OR DiskReadOpsTooHigh is in ALARM state, and if
      // NetworkOutTooHigh is in OK state"
      {"(ALARM(CPUUtilizationTooHigh) OR ALARM(DiskReadOpsTooHigh)) AND OK(NetworkOutTooHigh)",
       {{"CPUUtilizationTooHigh", O}, {"DiskReadOpsTooHigh", A}, {"NetworkOutTooHigh", O}},
       true},
      {"(ALARM(CPUUtilizationTooHigh) OR ALARM(DiskReadOpsTooHigh)) AND OK(NetworkOutTooHigh)",
       {{"CPUUtilizationTooHigh", A}, {"DiskReadOpsTooHigh", A}, {"NetworkOutTooHigh", A}},
       false},
      {"(ALARM(CPUUtilizationTooHigh) OR ALARM(DiskReadOpsTooHigh)) AND OK(NetworkOutTooHigh)",
       {{"CPUUtilizationTooHigh", I}, {"DiskReadOpsTooHigh", O}, {"NetworkOutTooHigh", O}},
       false},
      // "TRUE always evaluates to TRUE. FALSE always evaluates to FALSE."
      {"TRUE", {}, true},
      {"FALSE", {}, false},
      {"INSUFFICIENT_DATA(x)", {}, true},  // a child not yet evaluated
  };
  for (const auto& row : rows) {
    auto parsed = ParseAlarmRule(row.rule);
    ASSERT_TRUE(parsed);
    EXPECT_EQ(EvaluateRule(parsed->root, row.states), row.value) << row.rule;
  }
}

// --- Property test 1: parser and evaluator against the generated tree. ---

struct Tree {
  int kind = 0;  // 0 TRUE, 1 FALSE, 2 state function, 3 NOT, 4 AND, 5 OR
  int state = 0;
  int child = 0;
  std::vector<Tree> operands;
};

Tree Generate(std::mt19937& rng, int depth) {
  Tree t;
  std::uniform_int_distribution<int> pick(0, depth > 4 ? 2 : 5);
  t.kind = pick(rng);
  if (t.kind == 2 && rng() % 8 == 0) t.kind = static_cast<int>(rng() % 2);
  if (t.kind < 2) return t;
  if (t.kind == 2) {
    t.state = static_cast<int>(rng() % 3);
    t.child = static_cast<int>(rng() % 4);
    return t;
  }
  t.operands.push_back(Generate(rng, depth + 1));
  if (t.kind != 3) t.operands.push_back(Generate(rng, depth + 1));
  return t;
}

// Binding strength: OR 1, AND 2, NOT 3, primaries 4. Parentheses are written where the
// reading needs them, and at random elsewhere.
int Strength(const Tree& t) { return t.kind == 5 ? 1 : t.kind == 4 ? 2 : t.kind == 3 ? 3 : 4; }

std::string Render(const Tree& t, std::mt19937& rng) {
  auto space = [&] { return std::string(rng() % 3, ' '); };
  static const char* kNames[] = {"a", "b-2", "c d", "arn:aws:cloudwatch:eu-west-1:1:alarm:e"};
  static const char* kFunctions[] = {"ALARM", "OK", "INSUFFICIENT_DATA"};
  auto wrap = [&](const Tree& operand, int need) {
    std::string text = Render(operand, rng);
    if (Strength(operand) < need || rng() % 5 == 0) return "(" + space() + text + space() + ")";
    return text;
  };
  switch (t.kind) {
    case 0:
      return "TRUE";
    case 1:
      return "FALSE";
    case 2: {
      const std::string name = kNames[t.child];
      const bool quote = name.find(' ') != std::string::npos ? rng() % 2 == 0 : rng() % 3 == 0;
      return std::string(kFunctions[t.state]) + space() + "(" + space() +
             (quote ? "\"" + name + "\"" : name) + (quote ? space() : "") + ")";
    }
    case 3:
      return "NOT " + space() + wrap(t.operands[0], 3);
    default: {
      // Left-associative: the right operand of a chain needs more than its parent.
      const int s = Strength(t);
      return wrap(t.operands[0], s) + " " + space() + (t.kind == 4 ? "AND" : "OR") + " " + space() +
             wrap(t.operands[1], s + 1);
    }
  }
}

bool Reference(const Tree& t, const std::vector<State>& states) {
  static const State kStates[] = {State::kAlarm, State::kOk, State::kInsufficientData};
  switch (t.kind) {
    case 0:
      return true;
    case 1:
      return false;
    case 2:
      return states[static_cast<std::size_t>(t.child)] == kStates[t.state];
    case 3:
      return !Reference(t.operands[0], states);
    case 4:
      return Reference(t.operands[0], states) && Reference(t.operands[1], states);
    default:
      return Reference(t.operands[0], states) || Reference(t.operands[1], states);
  }
}

TEST(CompositeRule, RandomRulesAgreeWithReference) {
  std::mt19937 rng(27);
  const char* kChildNames[] = {"a", "b-2", "c d", "e"};
  const State kAll[] = {State::kAlarm, State::kOk, State::kInsufficientData};
  for (int i = 0; i < 3000; ++i) {
    const Tree tree = Generate(rng, 0);
    const std::string text = Render(tree, rng);
    auto parsed = ParseAlarmRule(text);
    ASSERT_TRUE(parsed) << text << ": " << parsed.error().message;
    // The canonical print reads back to the same rule.
    auto reparsed = ParseAlarmRule(PrintRule(parsed->root));
    ASSERT_TRUE(reparsed);
    EXPECT_EQ(PrintRule(reparsed->root), PrintRule(parsed->root));
    for (int j = 0; j < 8; ++j) {
      std::vector<State> states;
      std::map<std::string, State> named;
      for (int c = 0; c < 4; ++c) {
        states.push_back(kAll[rng() % 3]);
        named[kChildNames[c]] = states.back();
      }
      ASSERT_EQ(EvaluateRule(parsed->root, named), Reference(tree, states)) << text;
    }
  }
}

// --- Property test 2: the composite's history against a minute-by-minute reference. ---

TEST(CompositeEvaluation, FollowsChildrenAtEveryChange) {
  auto parsed = ParseAlarmRule(R"(ALARM("unauth") AND ALARM("root-usage"))");
  ASSERT_TRUE(parsed);
  CompositeSpec spec{"both", "", *parsed};
  std::map<std::string, std::vector<Transition>> children;
  children["unauth"] = {{600, State::kInsufficientData, State::kOk, ""},
                        {1200, State::kOk, State::kAlarm, ""},
                        {3000, State::kAlarm, State::kOk, ""}};
  children["root-usage"] = {{600, State::kInsufficientData, State::kOk, ""},
                            {1800, State::kOk, State::kAlarm, ""},
                            {2400, State::kAlarm, State::kOk, ""}};
  auto out = EvaluateComposite(spec, children, 600, 6000);
  ASSERT_EQ(out.size(), 3u);
  EXPECT_EQ(out[0].time, 600);
  EXPECT_EQ(out[0].new_state, State::kOk);
  EXPECT_EQ(out[0].reason, "Rule evaluated to FALSE at creation");
  EXPECT_EQ(out[1].time, 1800);
  EXPECT_EQ(out[1].new_state, State::kAlarm);
  EXPECT_EQ(out[1].reason, "Rule evaluated to TRUE after 'root-usage' went to ALARM");
  EXPECT_EQ(out[2].time, 2400);
  EXPECT_EQ(out[2].old_state, State::kAlarm);
  EXPECT_EQ(out[2].new_state, State::kOk);
}

TEST(CompositeEvaluation, SimultaneousChangesEvaluateOnce) {
  auto parsed = ParseAlarmRule("ALARM(a) OR ALARM(b)");
  ASSERT_TRUE(parsed);
  CompositeSpec spec{"any", "", *parsed};
  std::map<std::string, std::vector<Transition>> children;
  children["a"] = {{60, State::kInsufficientData, State::kAlarm, ""},
                   {120, State::kAlarm, State::kOk, ""}};
  children["b"] = {{60, State::kInsufficientData, State::kOk, ""},
                   {120, State::kOk, State::kAlarm, ""}};
  auto out = EvaluateComposite(spec, children, 0, 600);
  ASSERT_EQ(out.size(), 2u);  // OK at creation, ALARM at 60; 120 swaps who is in ALARM
  EXPECT_EQ(out[0].new_state, State::kOk);
  EXPECT_EQ(out[1].time, 60);
  EXPECT_EQ(out[1].new_state, State::kAlarm);
}

TEST(CompositeEvaluation, RandomHistoriesAgreeWithMinuteReference) {
  std::mt19937 rng(2027);
  const char* kNames[] = {"a", "b-2", "c d", "e"};
  const State kAll[] = {State::kAlarm, State::kOk, State::kInsufficientData};
  for (int i = 0; i < 400; ++i) {
    const Tree tree = Generate(rng, 0);
    auto parsed = ParseAlarmRule(Render(tree, rng));
    ASSERT_TRUE(parsed);
    CompositeSpec spec{"c", "", *parsed};
    const std::int64_t from = 600, to = 600 + 60 * 60;
    std::map<std::string, std::vector<Transition>> children;
    for (const char* name : kNames) {
      State state = State::kInsufficientData;
      auto& list = children[name];
      for (std::int64_t t = from; t <= to; t += 60) {
        if (rng() % 6 != 0) continue;
        const State next = kAll[rng() % 3];
        if (next == state) continue;
        list.push_back({t, state, next, ""});
        state = next;
      }
    }
    const auto out = EvaluateComposite(spec, children, from, to);
    // Reference: at every minute, each child's state is its latest transition's; the
    // composite's state is the rule's value; a transition is where that state changes.
    std::vector<Transition> expected;
    State current = State::kInsufficientData;
    for (std::int64_t t = from; t <= to; t += 60) {
      std::vector<State> states;
      for (const char* name : kNames) {
        State s = State::kInsufficientData;
        for (const auto& tr : children[name]) {
          if (tr.time <= t) s = tr.new_state;
        }
        states.push_back(s);
      }
      const State next = Reference(tree, states) ? State::kAlarm : State::kOk;
      if (next != current) expected.push_back({t, current, next, ""});
      current = next;
    }
    ASSERT_EQ(out.size(), expected.size());
    for (std::size_t k = 0; k < out.size(); ++k) {
      EXPECT_EQ(out[k].time, expected[k].time);
      EXPECT_EQ(out[k].old_state, expected[k].old_state);
      EXPECT_EQ(out[k].new_state, expected[k].new_state);
    }
  }
}

}  // namespace
}  // namespace trailreplay::alarm

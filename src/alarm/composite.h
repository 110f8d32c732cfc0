// Composite alarms: an AlarmRule over other alarms' states in, the composite's state history
// out, as a pure function of its children's replayed histories.
//
// The rule language (PutCompositeAlarm, AlarmRule [API-CW]; src/README.md, "Composite alarms"):
//
//   rule     := or
//   or       := and ("OR" and)*
//   and      := not ("AND" not)*
//   not      := "NOT" not | primary
//   primary  := "(" rule ")" | "TRUE" | "FALSE" | function
//   function := ("ALARM" | "OK" | "INSUFFICIENT_DATA") "(" name ")"
//   name     := '"' any character but '"' '"'  |  unquoted text up to the closing ')'
//
// ALARM(x) is TRUE when alarm x is in ALARM, OK(x) when in OK, INSUFFICIENT_DATA(x) when in
// INSUFFICIENT_DATA; TRUE and FALSE are constants. A child is named by its AlarmName or its
// ARN (`arn:aws:cloudwatch:REGION:ACCOUNT:alarm:NAME`, read as NAME). Keywords are upper case
// as AWS writes them. AWS does not state the precedence of NOT, AND and OR: trailreplay reads
// them as boolean algebra does (NOT binds tightest, then AND, then OR), and `rules show`
// prints the rule fully parenthesised so the reading is visible. A rule holds at most 10,240
// characters and 100 distinct children (AWS's limits); nesting is bounded at kMaxRuleDepth.
//
// Evaluation (EvaluateComposite): the composite is INSUFFICIENT_DATA only until its first
// evaluation ("For a composite alarm, this initial time after creation is the only time that
// the alarm can be in INSUFFICIENT_DATA state"); it is evaluated when the replay starts
// (children in their initial INSUFFICIENT_DATA) and again whenever a child changes state. The
// rule TRUE puts it in ALARM, FALSE in OK. Children that change state at the same instant are
// applied together before the one evaluation of that instant (a replay cannot order them).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "alarm/alarm.h"
#include "common/result.h"

namespace trailreplay::alarm {

inline constexpr std::size_t kMaxRuleLength = 10'240;
inline constexpr std::size_t kMaxRuleChildren = 100;
inline constexpr int kMaxRuleDepth = 100;

struct RuleNode {
  enum class Kind : std::uint8_t { kTrue, kFalse, kState, kNot, kAnd, kOr };
  Kind kind = Kind::kTrue;
  State state = State::kAlarm;     // kState: the state the function tests
  std::string alarm;               // kState: the child's name (an ARN reduced to its name)
  std::vector<RuleNode> operands;  // kNot: one; kAnd, kOr: two
};

struct CompositeRule {
  RuleNode root;
  std::vector<std::string> children;  // distinct, in order of first mention
};

// Errors carry the byte offset of the offending token.
Result<CompositeRule> ParseAlarmRule(std::string_view text);

// Canonical text: every binary operation parenthesised, names quoted
// (`(ALARM("a") AND NOT OK("b"))`).
std::string PrintRule(const RuleNode& node);

// The rule's value with the children in `states` (a child absent from it is
// INSUFFICIENT_DATA).
bool EvaluateRule(const RuleNode& node, const std::map<std::string, State>& states);

struct CompositeSpec {
  std::string name;
  std::string rule_text;  // AlarmRule as written
  CompositeRule rule;
};

// The composite's transitions from `from` on, given each child's transitions (sorted by
// time; a child without an entry stays INSUFFICIENT_DATA). Transitions after `to` are left
// out. Reasons are trailreplay's own: "Rule evaluated to TRUE|FALSE at creation" or
// "... after <child> went to <STATE>[, <child> to <STATE>...]".
std::vector<Transition> EvaluateComposite(
    const CompositeSpec& spec, const std::map<std::string, std::vector<Transition>>& children,
    std::int64_t from, std::int64_t to);

}  // namespace trailreplay::alarm

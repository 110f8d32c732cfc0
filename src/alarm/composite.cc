// Composite alarms: a recursive-descent parser of AlarmRule (grammar in composite.h), its
// canonical printer, and the evaluation over children's transitions, which walks the merged
// timeline of their state changes once.
#include "alarm/composite.h"

#include <algorithm>
#include <set>
#include <utility>

namespace trailreplay::alarm {
namespace {

class RuleParser {
 public:
  explicit RuleParser(std::string_view text) : text_(text) {}

  Result<CompositeRule> Parse() {
    if (text_.size() > kMaxRuleLength) {
      return Fail("the rule is longer than AWS's limit of 10240 characters", 0);
    }
    CompositeRule rule;
    auto root = Or(0);
    if (!root) return std::move(root).error();
    SkipSpace();
    if (pos_ < text_.size()) return Fail("expected AND, OR or the end of the rule", pos_);
    if (children_.size() > kMaxRuleChildren) {
      return Fail("the rule names more than AWS's limit of 100 alarms", 0);
    }
    rule.root = std::move(*root);
    rule.children = std::move(children_);
    return rule;
  }

 private:
  Error Fail(std::string message, std::size_t at) const {
    return MakeError(ErrorCode::kInvalidArgument, "AlarmRule: " + std::move(message), at,
                     std::string(text_));
  }
  void SkipSpace() {
    while (pos_ < text_.size() && (text_[pos_] == ' ' || text_[pos_] == '\t' ||
                                   text_[pos_] == '\n' || text_[pos_] == '\r')) {
      ++pos_;
    }
  }
  static bool IsWordChar(char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
  }
  // The keyword at the cursor, when it is `word` as a whole word.
  bool Keyword(std::string_view word) {
    SkipSpace();
    if (text_.substr(pos_, word.size()) != word) return false;
    const std::size_t end = pos_ + word.size();
    if (end < text_.size() && IsWordChar(text_[end])) return false;
    pos_ = end;
    return true;
  }

  Result<RuleNode> Binary(int depth, RuleNode::Kind kind, std::string_view word,
                          Result<RuleNode> (RuleParser::*operand)(int)) {
    auto left = (this->*operand)(depth);
    if (!left) return left;
    RuleNode node = std::move(*left);
    while (Keyword(word)) {
      auto right = (this->*operand)(depth);
      if (!right) return right;
      RuleNode joined;
      joined.kind = kind;
      joined.operands.push_back(std::move(node));
      joined.operands.push_back(std::move(*right));
      node = std::move(joined);
    }
    return node;
  }
  Result<RuleNode> Or(int depth) {
    return Binary(depth, RuleNode::Kind::kOr, "OR", &RuleParser::And);
  }
  Result<RuleNode> And(int depth) {
    return Binary(depth, RuleNode::Kind::kAnd, "AND", &RuleParser::Not);
  }
  Result<RuleNode> Not(int depth) {
    if (depth > kMaxRuleDepth) return Fail("the rule nests too deeply", pos_);
    if (Keyword("NOT")) {
      auto operand = Not(depth + 1);
      if (!operand) return operand;
      RuleNode node;
      node.kind = RuleNode::Kind::kNot;
      node.operands.push_back(std::move(*operand));
      return node;
    }
    return Primary(depth);
  }

  Result<RuleNode> Primary(int depth) {
    SkipSpace();
    const std::size_t start = pos_;
    if (pos_ < text_.size() && text_[pos_] == '(') {
      ++pos_;
      auto inner = Or(depth + 1);
      if (!inner) return inner;
      SkipSpace();
      if (pos_ >= text_.size() || text_[pos_] != ')') {
        return Fail("expected ')' to close the '(' here", start);
      }
      ++pos_;
      return inner;
    }
    RuleNode node;
    if (Keyword("TRUE")) {
      node.kind = RuleNode::Kind::kTrue;
      return node;
    }
    if (Keyword("FALSE")) {
      node.kind = RuleNode::Kind::kFalse;
      return node;
    }
    node.kind = RuleNode::Kind::kState;
    if (Keyword("ALARM")) {
      node.state = State::kAlarm;
    } else if (Keyword("OK")) {
      node.state = State::kOk;
    } else if (Keyword("INSUFFICIENT_DATA")) {
      node.state = State::kInsufficientData;
    } else if (pos_ >= text_.size()) {
      return Fail(
          "the rule ends where ALARM(...), OK(...), INSUFFICIENT_DATA(...), TRUE, "
          "FALSE, NOT or '(' was expected",
          pos_);
    } else {
      return Fail(
          "expected ALARM(...), OK(...), INSUFFICIENT_DATA(...), TRUE, FALSE, NOT or "
          "'('",
          pos_);
    }
    SkipSpace();
    if (pos_ >= text_.size() || text_[pos_] != '(') {
      return Fail("expected '(' and an alarm name after the function", pos_);
    }
    ++pos_;
    SkipSpace();
    const std::size_t name_start = pos_;
    std::string name;
    if (pos_ < text_.size() && text_[pos_] == '"') {
      const std::size_t close = text_.find('"', pos_ + 1);
      if (close == std::string_view::npos) return Fail("unterminated alarm name", name_start);
      name = std::string(text_.substr(pos_ + 1, close - pos_ - 1));
      pos_ = close + 1;
      SkipSpace();
      if (pos_ >= text_.size() || text_[pos_] != ')') {
        return Fail("expected ')' after the alarm name", pos_);
      }
    } else {
      const std::size_t close = text_.find(')', pos_);
      if (close == std::string_view::npos) return Fail("expected ')' after the alarm name", pos_);
      std::string_view raw = text_.substr(pos_, close - pos_);
      while (!raw.empty() && (raw.back() == ' ' || raw.back() == '\t')) raw.remove_suffix(1);
      name = std::string(raw);
      pos_ = close;
    }
    ++pos_;
    // An ARN names the alarm by its last part: arn:aws:cloudwatch:REGION:ACCOUNT:alarm:NAME.
    if (name.rfind("arn:", 0) == 0) {
      const std::size_t marker = name.find(":alarm:");
      if (marker != std::string::npos) name = name.substr(marker + 7);
    }
    if (name.empty()) return Fail("empty alarm name", name_start);
    if (std::find(children_.begin(), children_.end(), name) == children_.end()) {
      children_.push_back(name);
    }
    node.alarm = std::move(name);
    return node;
  }

  std::string_view text_;
  std::size_t pos_ = 0;
  std::vector<std::string> children_;
};

std::string FunctionName(State state) {
  switch (state) {
    case State::kAlarm:
      return "ALARM";
    case State::kOk:
      return "OK";
    case State::kInsufficientData:
      return "INSUFFICIENT_DATA";
  }
  return "ALARM";
}

}  // namespace

Result<CompositeRule> ParseAlarmRule(std::string_view text) { return RuleParser(text).Parse(); }

std::string PrintRule(const RuleNode& node) {
  switch (node.kind) {
    case RuleNode::Kind::kTrue:
      return "TRUE";
    case RuleNode::Kind::kFalse:
      return "FALSE";
    case RuleNode::Kind::kState:
      return FunctionName(node.state) + "(\"" + node.alarm + "\")";
    case RuleNode::Kind::kNot:
      return "NOT " + PrintRule(node.operands[0]);
    case RuleNode::Kind::kAnd:
    case RuleNode::Kind::kOr:
      return "(" + PrintRule(node.operands[0]) +
             (node.kind == RuleNode::Kind::kAnd ? " AND " : " OR ") + PrintRule(node.operands[1]) +
             ")";
  }
  return "";
}

bool EvaluateRule(const RuleNode& node, const std::map<std::string, State>& states) {
  switch (node.kind) {
    case RuleNode::Kind::kTrue:
      return true;
    case RuleNode::Kind::kFalse:
      return false;
    case RuleNode::Kind::kState: {
      auto it = states.find(node.alarm);
      return (it == states.end() ? State::kInsufficientData : it->second) == node.state;
    }
    case RuleNode::Kind::kNot:
      return !EvaluateRule(node.operands[0], states);
    case RuleNode::Kind::kAnd:
      return EvaluateRule(node.operands[0], states) && EvaluateRule(node.operands[1], states);
    case RuleNode::Kind::kOr:
      return EvaluateRule(node.operands[0], states) || EvaluateRule(node.operands[1], states);
  }
  return false;
}

std::vector<Transition> EvaluateComposite(
    const CompositeSpec& spec, const std::map<std::string, std::vector<Transition>>& children,
    std::int64_t from, std::int64_t to) {
  // Every child transition, in time order (ties in the rule's order of children).
  struct Change {
    std::int64_t time;
    std::size_t child;
    State state;
  };
  std::vector<Change> changes;
  std::map<std::string, State> states;
  for (std::size_t i = 0; i < spec.rule.children.size(); ++i) {
    const std::string& name = spec.rule.children[i];
    states[name] = State::kInsufficientData;
    auto it = children.find(name);
    if (it == children.end()) continue;
    for (const Transition& t : it->second) {
      if (t.time > to) continue;
      changes.push_back({std::max(t.time, from), i, t.new_state});
    }
  }
  std::stable_sort(changes.begin(), changes.end(),
                   [](const Change& a, const Change& b) { return a.time < b.time; });

  std::vector<Transition> out;
  State current = State::kInsufficientData;
  auto evaluate = [&](std::int64_t time, const std::string& cause) {
    const bool value = EvaluateRule(spec.rule.root, states);
    const State next = value ? State::kAlarm : State::kOk;
    if (next == current) return;
    out.push_back({time, current, next,
                   std::string("Rule evaluated to ") + (value ? "TRUE" : "FALSE") + " " + cause});
    current = next;
  };
  std::size_t i = 0;
  // Changes at `from` itself (a child's first evaluation) join the creation's evaluation.
  std::string cause;
  while (i < changes.size() && changes[i].time <= from) {
    states[spec.rule.children[changes[i].child]] = changes[i].state;
    ++i;
  }
  evaluate(from, "at creation");
  while (i < changes.size()) {
    const std::int64_t time = changes[i].time;
    cause.clear();
    for (; i < changes.size() && changes[i].time == time; ++i) {
      const std::string& name = spec.rule.children[changes[i].child];
      states[name] = changes[i].state;
      cause += (cause.empty() ? "after '" : ", '") + name + "' went to " +
               std::string(StateName(changes[i].state));
    }
    evaluate(time, cause);
  }
  return out;
}

}  // namespace trailreplay::alarm

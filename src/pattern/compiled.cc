// Deciding one event against one compiled pattern, per spec section A and the decisions in
// section 0 (the README lists them under "Pattern semantics").
//
// JSON comparisons, for each value the selector reaches (wildcards reach several; any one
// satisfying the test makes it true, for != as for =):
//   - objects, arrays and null never satisfy = or != (a missing path reaches no value at all);
//   - a number literal against a JSON number compares numerically, against a string or boolean
//     compares text with the literal as written;
//   - a string literal (quoted or bare, '*' globs) compares with the value's text: a string's
//     unescaped text, a number's token, `true`/`false`;
//   - a regex searches that same text;
//   - < > <= >= hold only for JSON numbers.
#include "pattern/compiled.h"

#include <algorithm>
#include <cassert>
#include <charconv>
#include <functional>

#include "pattern/glob.h"
#include "pattern/parser.h"

namespace trailreplay::pattern {

// ---- SelectorPlan ----------------------------------------------------------------------

SelectorPlan::SelectorPlan() { nodes_.emplace_back(); }

std::uint32_t SelectorPlan::Child(std::uint32_t node, const PathStep& step) {
  auto make = [this]() {
    nodes_.emplace_back();
    return static_cast<std::uint32_t>(nodes_.size() - 1);
  };
  switch (step.kind) {
    case PathStep::Kind::kField: {
      for (const auto& [name, child] : nodes_[node].fields) {
        if (name == step.name) return child;
      }
      const std::uint32_t child = make();
      Node& parent = nodes_[node];
      parent.fields.emplace_back(step.name, child);
      // Rebuild the lookup table at most half full.
      std::size_t size = 4;
      while (size < parent.fields.size() * 2) size *= 2;
      parent.field_table.assign(size, kNone);
      for (std::uint32_t i = 0; i < parent.fields.size(); ++i) {
        std::size_t slot = Node::HashKey(parent.fields[i].first) & (size - 1);
        while (parent.field_table[slot] != kNone) slot = (slot + 1) & (size - 1);
        parent.field_table[slot] = i;
      }
      return child;
    }
    case PathStep::Kind::kIndex: {
      for (const auto& [index, child] : nodes_[node].indices) {
        if (index == step.index) return child;
      }
      const std::uint32_t child = make();
      nodes_[node].indices.emplace_back(step.index, child);
      return child;
    }
    case PathStep::Kind::kAnyField:
      if (nodes_[node].any_field == kNone) {
        const std::uint32_t child = make();
        nodes_[node].any_field = child;
      }
      return nodes_[node].any_field;
    case PathStep::Kind::kAnyIndex:
      if (nodes_[node].any_index == kNone) {
        const std::uint32_t child = make();
        nodes_[node].any_index = child;
      }
      return nodes_[node].any_index;
  }
  return kNone;
}

std::uint32_t SelectorPlan::AddText(std::string_view selector_text) {
  auto selector = ParseSelectorText(selector_text);
  assert(selector.has_value());
  return Add(*selector);
}

std::uint32_t SelectorPlan::Add(const Selector& selector) {
  for (std::size_t i = 0; i < selectors_.size(); ++i) {
    if (selectors_[i] == selector.steps) return static_cast<std::uint32_t>(i);
  }
  std::uint32_t node = 0;
  for (const PathStep& step : selector.steps) node = Child(node, step);
  const auto id = static_cast<std::uint32_t>(selectors_.size());
  nodes_[node].terminals.push_back(id);
  selectors_.push_back(selector.steps);
  selector_count_ = selectors_.size();
  max_depth_ = std::max(max_depth_, selector.steps.size());
  return id;
}

// ---- shared comparison helpers ------------------------------------------------------------

bool ValueTextMatches(const Value& value, std::string_view text) {
  if (value.kind == Value::Kind::kRegex) return value.regex->Search(text);
  if (value.glob) return GlobMatch(value.text, text);
  return value.text == text;
}

bool ParseNumber(std::string_view text, double& out) {
  if (!IsNumberLiteral(text)) return false;
  // from_chars rejects a leading '+', which the literal grammar allows.
  if (text.front() == '+') text.remove_prefix(1);
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc() && end == text.data() + text.size();
}

namespace {

bool CompareNumbers(CompareOp op, double left, double right) {
  switch (op) {
    case CompareOp::kEq:
      return left == right;
    case CompareOp::kNe:
      return left != right;
    case CompareOp::kLt:
      return left < right;
    case CompareOp::kGt:
      return left > right;
    case CompareOp::kLe:
      return left <= right;
    case CompareOp::kGe:
      return left >= right;
  }
  return false;
}

}  // namespace

bool JsonValueSatisfies(const JsonValue& v, CompareOp op, const Value& literal) {
  if (v.kind == JsonKind::kObject || v.kind == JsonKind::kArray || v.kind == JsonKind::kNull) {
    return false;
  }
  if (op != CompareOp::kEq && op != CompareOp::kNe) {
    return v.kind == JsonKind::kNumber && literal.kind == Value::Kind::kNumber &&
           CompareNumbers(op, v.number, literal.number);
  }
  bool equal = false;
  if (literal.kind == Value::Kind::kNumber && v.kind == JsonKind::kNumber) {
    equal = v.number == literal.number;
  } else if (literal.kind == Value::Kind::kNumber) {
    equal = v.text == literal.text;
  } else {
    equal = ValueTextMatches(literal, v.text);
  }
  return op == CompareOp::kEq ? equal : !equal;
}

bool FieldSatisfies(std::string_view text, CompareOp op, const Value& literal) {
  if (literal.kind == Value::Kind::kNumber) {
    double number = 0;
    const bool numeric = ParseNumber(text, number);
    if (op != CompareOp::kEq && op != CompareOp::kNe) {
      return numeric && CompareNumbers(op, number, literal.number);
    }
    const bool equal = numeric ? number == literal.number : text == literal.text;
    return op == CompareOp::kEq ? equal : !equal;
  }
  const bool equal = ValueTextMatches(literal, text);
  return op == CompareOp::kEq ? equal : !equal;
}

// ---- CompiledPattern ----------------------------------------------------------------------

CompiledPattern::CompiledPattern(Pattern pattern, SelectorPlan& plan)
    : pattern_(std::move(pattern)) {
  plan_ids_.reserve(pattern_.selectors.size());
  for (const Selector& selector : pattern_.selectors) plan_ids_.push_back(plan.Add(selector));
  if (pattern_.kind == PatternKind::kTerms) {
    all_optional_ = !pattern_.terms.empty();
    for (const Term& term : pattern_.terms) {
      if (term.mode != TermMode::kOptional) all_optional_ = false;
    }
  }
  if (pattern_.condition) condition_ = Compile(*pattern_.condition);
  for (const Slot& slot : pattern_.slots) {
    slot_conditions_.push_back(slot.condition ? Compile(*slot.condition) : kNoCondition);
  }
}

namespace {

// `operand = "text"` with a plain string: true exactly when some value's text equals it, so a
// set of such texts answers a whole `||` of them.
bool IsPlainEquality(const Expr& expr) {
  return expr.kind == ExprKind::kCompare && expr.op == CompareOp::kEq &&
         expr.value.kind == Value::Kind::kString && !expr.value.glob;
}

}  // namespace

std::uint32_t CompiledPattern::Compile(const Expr& expr) {
  if (expr.kind != ExprKind::kAnd && expr.kind != ExprKind::kOr) {
    Expr leaf;
    leaf.kind = expr.kind;
    leaf.operand = expr.operand;
    leaf.op = expr.op;
    leaf.value = expr.value;
    leaf.offset = expr.offset;
    leaves_.push_back(std::move(leaf));
    nodes_.push_back(
        {Node::Kind::kLeaf, 0, 0, expr.operand, static_cast<std::uint32_t>(leaves_.size() - 1)});
    return static_cast<std::uint32_t>(nodes_.size() - 1);
  }
  std::vector<std::uint32_t> children;
  std::vector<bool> grouped(expr.children.size(), false);
  if (expr.kind == ExprKind::kOr) {
    for (std::size_t i = 0; i < expr.children.size(); ++i) {
      const Expr& first = expr.children[i];
      if (grouped[i] || !IsPlainEquality(first)) continue;
      std::vector<std::size_t> members{i};
      for (std::size_t j = i + 1; j < expr.children.size(); ++j) {
        const Expr& other = expr.children[j];
        if (!grouped[j] && IsPlainEquality(other) && other.operand == first.operand) {
          members.push_back(j);
        }
      }
      if (members.size() < 2) continue;
      TextSet set;
      for (std::size_t m : members) {
        set.Add(expr.children[m].value.text);
        grouped[m] = true;
      }
      sets_.push_back(std::move(set));
      nodes_.push_back(
          {Node::Kind::kAnyOf, 0, 0, first.operand, static_cast<std::uint32_t>(sets_.size() - 1)});
      children.push_back(static_cast<std::uint32_t>(nodes_.size() - 1));
    }
  }
  for (std::size_t i = 0; i < expr.children.size(); ++i) {
    if (!grouped[i]) children.push_back(Compile(expr.children[i]));
  }
  if (children.size() == 1) return children.front();  // an `||` that was one set
  const std::uint32_t first = static_cast<std::uint32_t>(child_ids_.size());
  child_ids_.insert(child_ids_.end(), children.begin(), children.end());
  nodes_.push_back({expr.kind == ExprKind::kAnd ? Node::Kind::kAnd : Node::Kind::kOr, first,
                    static_cast<std::uint32_t>(children.size()), 0, 0});
  return static_cast<std::uint32_t>(nodes_.size() - 1);
}

// ---- CompiledPattern::TextSet --------------------------------------------------------------

std::size_t CompiledPattern::TextSet::Hash(std::string_view text) {
  return std::hash<std::string_view>{}(text);
}

void CompiledPattern::TextSet::Add(std::string_view text) {
  if (Contains(text)) return;
  texts_.emplace_back(text);
  lengths_ |= std::uint64_t{1} << std::min<std::size_t>(text.size(), 63);
  // Keep the table at most half full.
  if (table_.size() < 2 * texts_.size()) {
    std::size_t size = 8;
    while (size < 2 * texts_.size()) size *= 2;
    table_.assign(size, kEmpty);
    for (std::uint32_t i = 0; i < texts_.size(); ++i) {
      std::size_t slot = Hash(texts_[i]) & (size - 1);
      while (table_[slot] != kEmpty) slot = (slot + 1) & (size - 1);
      table_[slot] = i;
    }
    return;
  }
  const std::size_t mask = table_.size() - 1;
  std::size_t slot = Hash(text) & mask;
  while (table_[slot] != kEmpty) slot = (slot + 1) & mask;
  table_[slot] = static_cast<std::uint32_t>(texts_.size() - 1);
}

bool CompiledPattern::TextSet::Contains(std::string_view text) const {
  // Most texts tested are not in the set, and most of those have a length no member has.
  if ((lengths_ >> std::min<std::size_t>(text.size(), 63) & 1) == 0) return false;
  if (table_.empty()) return false;
  const std::size_t mask = table_.size() - 1;
  for (std::size_t slot = Hash(text) & mask;; slot = (slot + 1) & mask) {
    const std::uint32_t entry = table_[slot];
    if (entry == kEmpty) return false;
    if (texts_[entry] == text) return true;
  }
}

bool CompiledPattern::MatchTerms(std::string_view message) const {
  // All `?` terms: at least one must occur. Mixed with plain or `-` terms, `?` terms are
  // ignored (AWS's note under "Match optional terms").
  if (all_optional_) {
    for (const Term& term : pattern_.terms) {
      if (message.find(term.text) != std::string_view::npos) return true;
    }
    return false;
  }
  for (const Term& term : pattern_.terms) {
    if (term.mode == TermMode::kOptional) continue;
    const bool found = message.find(term.text) != std::string_view::npos;
    if (found != (term.mode == TermMode::kRequired)) return false;
  }
  return true;
}

bool CompiledPattern::Evaluate(std::uint32_t id, EventContext& event,
                               const std::vector<BoundField>* slots) const {
  const Node& node = nodes_[id];
  switch (node.kind) {
    case Node::Kind::kAnd:
      for (std::uint32_t i = node.first; i < node.first + node.count; ++i) {
        if (!Evaluate(child_ids_[i], event, slots)) return false;
      }
      return true;
    case Node::Kind::kOr:
      for (std::uint32_t i = node.first; i < node.first + node.count; ++i) {
        if (Evaluate(child_ids_[i], event, slots)) return true;
      }
      return false;
    case Node::Kind::kAnyOf: {
      const TextSet& set = sets_[node.index];
      if (slots != nullptr) return set.Contains((*slots)[node.operand].text);
      for (const JsonValue& v : event.Values(plan_ids_[node.operand])) {
        if (v.kind != JsonKind::kObject && v.kind != JsonKind::kArray &&
            v.kind != JsonKind::kNull && set.Contains(v.text)) {
          return true;
        }
      }
      return false;
    }
    case Node::Kind::kLeaf:
      break;
  }
  return EvaluateLeaf(leaves_[node.index], event, slots);
}

bool CompiledPattern::EvaluateLeaf(const Expr& expr, EventContext& event,
                                   const std::vector<BoundField>* slots) const {
  if (slots != nullptr) {
    return FieldSatisfies((*slots)[expr.operand].text, expr.op, expr.value);
  }
  const std::vector<JsonValue>& values = event.Values(plan_ids_[expr.operand]);
  switch (expr.kind) {
    case ExprKind::kNotExists:
      return values.empty();
    case ExprKind::kIsNull:
    case ExprKind::kIsTrue:
    case ExprKind::kIsFalse: {
      const JsonKind want = expr.kind == ExprKind::kIsNull   ? JsonKind::kNull
                            : expr.kind == ExprKind::kIsTrue ? JsonKind::kTrue
                                                             : JsonKind::kFalse;
      for (const JsonValue& v : values) {
        if (v.kind == want) return true;
      }
      return false;
    }
    case ExprKind::kCompare:
      for (const JsonValue& v : values) {
        if (JsonValueSatisfies(v, expr.op, expr.value)) return true;
      }
      return false;
    default:
      return false;
  }
}

bool CompiledPattern::BindSlots(EventContext& event, std::vector<BoundField>& out) const {
  const std::vector<EventContext::Field>& fields = event.Fields();
  const std::vector<Slot>& slots = pattern_.slots;
  const std::size_t n = fields.size();
  const std::size_t k = slots.size();
  out.assign(k, BoundField{});
  std::size_t ellipsis = k;
  for (std::size_t i = 0; i < k; ++i) {
    if (slots[i].ellipsis) ellipsis = i;
  }
  auto bind = [&](std::size_t slot, std::size_t field) {
    out[slot] = {fields[field].text, static_cast<std::uint32_t>(field + 1), 1};
  };
  if (ellipsis == k) {
    // No `...`: slots take fields left to right and the last slot takes the rest of the line
    // (which is why AWS asks for a trailing blank slot after the last condition).
    if (n < k || k == 0) return false;
    for (std::size_t i = 0; i + 1 < k; ++i) bind(i, i);
    if (n == k) {
      bind(k - 1, k - 1);
    } else {
      std::string_view rest = event.message().substr(fields[k - 1].start);
      while (!rest.empty() && (rest.back() == ' ' || rest.back() == '\t')) rest.remove_suffix(1);
      out[k - 1] = {rest, static_cast<std::uint32_t>(k), static_cast<std::uint32_t>(n - k + 1)};
    }
    return true;
  }
  // One `...`: slots before it take the first fields, slots after it the last fields, and the
  // ellipsis covers whatever lies between (possibly nothing).
  const std::size_t before = ellipsis;
  const std::size_t after = k - ellipsis - 1;
  if (n < before + after) return false;
  for (std::size_t i = 0; i < before; ++i) bind(i, i);
  for (std::size_t j = 0; j < after; ++j) bind(ellipsis + 1 + j, n - after + j);
  return true;
}

bool CompiledPattern::Matches(EventContext& event) const {
  switch (pattern_.kind) {
    case PatternKind::kMatchAll:
      return true;
    case PatternKind::kTerms:
      return MatchTerms(event.message());
    case PatternKind::kRegex:
      return pattern_.regex->Search(event.message());
    case PatternKind::kJson:
      return event.IsJsonObject() && Evaluate(condition_, event, nullptr);
    case PatternKind::kDelimited: {
      std::vector<BoundField>& bound = event.slot_scratch();
      if (!BindSlots(event, bound)) return false;
      for (std::uint32_t condition : slot_conditions_) {
        if (condition != kNoCondition && !Evaluate(condition, event, &bound)) return false;
      }
      return true;
    }
  }
  return false;
}

}  // namespace trailreplay::pattern

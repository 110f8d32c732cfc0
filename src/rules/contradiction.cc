// Contradiction finding; the cases are listed in contradiction.h. Each alternative of the
// condition is a list of leaves; leaves are grouped by the path (or field) they test, and a
// group is contradictory when no one value of any JSON kind satisfies all of it. A kind is
// ruled out only by an exact test: a candidate value fixed by an `=` is run through the
// evaluator's comparisons, and without one only number intervals (`> 5 && < 3`) decide.
#include "rules/contradiction.h"

#include <cmath>
#include <limits>
#include <vector>

#include "pattern/compiled.h"
#include "pattern/parser.h"

namespace trailreplay::rules {

using pattern::CompareOp;
using pattern::Expr;
using pattern::ExprKind;
using pattern::JsonKind;
using pattern::JsonValue;
using pattern::PathStep;
using pattern::Pattern;
using pattern::PatternKind;
using pattern::Selector;
using pattern::Term;
using pattern::TermMode;
using pattern::Value;

namespace {

using Conjunction = std::vector<const Expr*>;

// The alternatives of `expr`: its `||` distributed over `&&`. False when there are more than
// kMaxAlternatives.
bool Expand(const Expr& expr, std::vector<Conjunction>& out) {
  out.clear();
  if (expr.kind == ExprKind::kOr) {
    std::vector<Conjunction> part;
    for (const Expr& child : expr.children) {
      if (!Expand(child, part)) return false;
      out.insert(out.end(), part.begin(), part.end());
      if (out.size() > kMaxAlternatives) return false;
    }
    return true;
  }
  if (expr.kind == ExprKind::kAnd) {
    out.push_back({});
    std::vector<Conjunction> part, next;
    for (const Expr& child : expr.children) {
      if (!Expand(child, part)) return false;
      if (out.size() * part.size() > kMaxAlternatives) return false;
      next.clear();
      for (const Conjunction& left : out) {
        for (const Conjunction& right : part) {
          next.push_back(left);
          next.back().insert(next.back().end(), right.begin(), right.end());
        }
      }
      out.swap(next);
    }
    return true;
  }
  out.push_back({&expr});
  return true;
}

bool IsRelational(CompareOp op) { return op != CompareOp::kEq && op != CompareOp::kNe; }

// A string literal that fixes the text exactly: `= "x"` or `= x`, not a glob or a regex.
bool IsExactText(const Value& value) { return value.kind == Value::Kind::kString && !value.glob; }

// JSON's own number grammar: what a number's token (its text) can be.
bool IsJsonNumberToken(std::string_view s) {
  std::size_t i = 0;
  const auto digits = [&] {
    const std::size_t start = i;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i;
    return i - start;
  };
  if (i < s.size() && s[i] == '-') ++i;
  if (i < s.size() && s[i] == '0') {
    ++i;
  } else if (digits() == 0) {
    return false;
  }
  if (i < s.size() && s[i] == '.') {
    ++i;
    if (digits() == 0) return false;
  }
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
    if (digits() == 0) return false;
  }
  return i == s.size();
}

// What the relational and `!=` number tests leave of the number line: false when nothing,
// true when something (or when a bound is not finite: undecided). Only numeric literals count.
bool NumberIntervalNonEmpty(const std::vector<const Expr*>& leaves) {
  double lo = -std::numeric_limits<double>::infinity();
  double hi = std::numeric_limits<double>::infinity();
  bool lo_open = true, hi_open = true, bounded = false;
  for (const Expr* leaf : leaves) {
    if (!IsRelational(leaf->op)) continue;
    const double v = leaf->value.number;
    if (!std::isfinite(v)) return true;
    bounded = true;
    switch (leaf->op) {
      case CompareOp::kGt:
      case CompareOp::kGe: {
        const bool open = leaf->op == CompareOp::kGt;
        if (v > lo || (v == lo && open)) {
          lo = v;
          lo_open = open;
        }
        break;
      }
      case CompareOp::kLt:
      case CompareOp::kLe: {
        const bool open = leaf->op == CompareOp::kLt;
        if (v < hi || (v == hi && open)) {
          hi = v;
          hi_open = open;
        }
        break;
      }
      default:
        break;
    }
  }
  if (!bounded) return true;
  if (lo > hi || (lo == hi && (lo_open || hi_open))) return false;
  if (lo == hi) {
    for (const Expr* leaf : leaves) {
      if (leaf->op == CompareOp::kNe && leaf->value.kind == Value::Kind::kNumber &&
          leaf->value.number == lo) {
        return false;
      }
    }
  }
  return true;
}

// Could one JSON value satisfy every leaf (all on the same wildcard-free path)?
bool JsonValueCanSatisfy(const std::vector<const Expr*>& leaves) {
  // null: only IS NULL holds on it.
  bool all_null = true;
  for (const Expr* leaf : leaves) all_null = all_null && leaf->kind == ExprKind::kIsNull;
  if (all_null) return true;

  // true and false: one text each, so every test is exact.
  for (const JsonKind kind : {JsonKind::kTrue, JsonKind::kFalse}) {
    const JsonValue v{kind, kind == JsonKind::kTrue ? "true" : "false", 0};
    bool all = true;
    for (const Expr* leaf : leaves) {
      switch (leaf->kind) {
        case ExprKind::kIsTrue:
          all = all && kind == JsonKind::kTrue;
          break;
        case ExprKind::kIsFalse:
          all = all && kind == JsonKind::kFalse;
          break;
        case ExprKind::kCompare:
          all = all && pattern::JsonValueSatisfies(v, leaf->op, leaf->value);
          break;
        default:
          all = false;
      }
    }
    if (all) return true;
  }

  // Strings and numbers satisfy comparisons only.
  bool comparisons_only = true;
  for (const Expr* leaf : leaves)
    comparisons_only = comparisons_only && leaf->kind == ExprKind::kCompare;
  if (!comparisons_only) return false;

  // A string: any `=` that fixes the text (a string literal, or a number literal, which a
  // string matches by its text) makes the test exact; < > <= >= never hold on one.
  bool string_possible = true;
  const Expr* exact = nullptr;
  for (const Expr* leaf : leaves) {
    if (IsRelational(leaf->op)) string_possible = false;
    if (!exact && leaf->op == CompareOp::kEq &&
        (IsExactText(leaf->value) || leaf->value.kind == Value::Kind::kNumber)) {
      exact = leaf;
    }
  }
  if (string_possible && exact) {
    const JsonValue v{JsonKind::kString, exact->value.text, 0};
    for (const Expr* leaf : leaves) {
      string_possible = string_possible && pattern::JsonValueSatisfies(v, leaf->op, leaf->value);
    }
  }
  if (string_possible) return true;

  // A number: an `=` string literal fixes its token (which must then be a JSON number), an
  // `=` number literal its value only; tests on the text of a number of unknown token are
  // not decided.
  const Expr* by_text = nullptr;
  const Expr* by_value = nullptr;
  for (const Expr* leaf : leaves) {
    if (leaf->op != CompareOp::kEq) continue;
    if (IsExactText(leaf->value) && !by_text) by_text = leaf;
    if (leaf->value.kind == Value::Kind::kNumber && !by_value) by_value = leaf;
  }
  if (by_text) {
    const std::string& token = by_text->value.text;
    if (!IsJsonNumberToken(token)) return false;
    const double number = std::strtod(token.c_str(), nullptr);
    if (!std::isfinite(number)) return true;
    const JsonValue v{JsonKind::kNumber, token, number};
    for (const Expr* leaf : leaves) {
      if (!pattern::JsonValueSatisfies(v, leaf->op, leaf->value)) return false;
    }
    return true;
  }
  if (by_value) {
    const double number = by_value->value.number;
    if (!std::isfinite(number)) return true;
    const JsonValue v{JsonKind::kNumber, {}, number};
    for (const Expr* leaf : leaves) {
      if (leaf->value.kind != Value::Kind::kNumber) continue;  // a text test: undecided
      if (!pattern::JsonValueSatisfies(v, leaf->op, leaf->value)) return false;
    }
    return true;
  }
  return NumberIntervalNonEmpty(leaves);
}

// Could one field text satisfy every leaf (all on the same field)?
bool FieldTextCanSatisfy(const std::vector<const Expr*>& leaves) {
  for (const Expr* leaf : leaves) {
    if (leaf->op == CompareOp::kEq && IsExactText(leaf->value)) {
      const std::string& text = leaf->value.text;
      for (const Expr* other : leaves) {
        if (!pattern::FieldSatisfies(text, other->op, other->value)) return false;
      }
      return true;
    }
  }
  for (const Expr* leaf : leaves) {
    if (leaf->op == CompareOp::kEq && leaf->value.kind == Value::Kind::kNumber) {
      // A numeric field of that value; its spelling is free, so only number tests decide.
      const std::string& text = leaf->value.text;
      for (const Expr* other : leaves) {
        if (other->value.kind != Value::Kind::kNumber) continue;
        if (!pattern::FieldSatisfies(text, other->op, other->value)) return false;
      }
      return true;
    }
  }
  return NumberIntervalNonEmpty(leaves);
}

std::string Quoted(const std::vector<const Expr*>& leaves, const Pattern& pattern) {
  std::string out;
  for (std::size_t i = 0; i < leaves.size(); ++i) {
    if (i > 0) out += i + 1 == leaves.size() ? " and " : ", ";
    out += "`" + LeafText(pattern, *leaves[i]) + "`";
  }
  return out;
}

// The smallest contradictory set among `leaves` (a pair when there is one, else all of them),
// or empty when one value can satisfy them all.
template <typename CanSatisfy>
std::vector<const Expr*> Conflict(const std::vector<const Expr*>& leaves, CanSatisfy can) {
  for (std::size_t i = 0; i < leaves.size(); ++i) {
    for (std::size_t j = i + 1; j < leaves.size(); ++j) {
      if (!can(std::vector<const Expr*>{leaves[i], leaves[j]})) return {leaves[i], leaves[j]};
    }
  }
  if (leaves.size() > 2 && !can(leaves)) return leaves;
  return {};
}

// `outer` reaches every value `inner` reaches the start of: step by step equal, or a wildcard
// of the same kind where `inner` names one field or index. Then inner holding a value means
// outer holds one (inner may be longer: a path below).
bool Covers(const Selector& outer, const Selector& inner) {
  if (inner.steps.size() < outer.steps.size()) return false;
  for (std::size_t i = 0; i < outer.steps.size(); ++i) {
    const PathStep& o = outer.steps[i];
    const PathStep& n = inner.steps[i];
    if (o == n) continue;
    if (o.kind == PathStep::Kind::kAnyField &&
        (n.kind == PathStep::Kind::kField || n.kind == PathStep::Kind::kAnyField)) {
      continue;
    }
    if (o.kind == PathStep::Kind::kAnyIndex &&
        (n.kind == PathStep::Kind::kIndex || n.kind == PathStep::Kind::kAnyIndex)) {
      continue;
    }
    return false;
  }
  return true;
}

std::optional<Contradiction> CheckJson(const Pattern& pattern, const Conjunction& leaves) {
  const auto& selectors = pattern.selectors;
  // Absolute: NOT EXISTS against a test that needs the path (or one below it) present.
  for (const Expr* absent : leaves) {
    if (absent->kind != ExprKind::kNotExists) continue;
    const Selector& outer = selectors[absent->operand];
    for (const Expr* present : leaves) {
      if (present->kind == ExprKind::kNotExists) continue;
      const Selector& inner = selectors[present->operand];
      if (!Covers(outer, inner)) continue;
      std::string why = "`" + LeafText(pattern, *absent) + "` and `" + LeafText(pattern, *present) +
                        "` exclude each other: ";
      why += inner.steps.size() == outer.steps.size()
                 ? "the second needs " + outer.ToString() + " to hold a value"
                 : inner.ToString() + " holding a value needs " + outer.ToString() + " present";
      return Contradiction{true, why};
    }
  }
  // One value per wildcard-free path.
  std::vector<std::uint32_t> operands;
  for (const Expr* leaf : leaves) {
    if (leaf->kind == ExprKind::kNotExists) continue;
    if (selectors[leaf->operand].WildcardCount() > 0) continue;
    bool seen = false;
    for (std::uint32_t o : operands) seen = seen || o == leaf->operand;
    if (!seen) operands.push_back(leaf->operand);
  }
  for (std::uint32_t operand : operands) {
    std::vector<const Expr*> group;
    for (const Expr* leaf : leaves) {
      if (leaf->operand == operand && leaf->kind != ExprKind::kNotExists) group.push_back(leaf);
    }
    const auto conflict = Conflict(group, JsonValueCanSatisfy);
    if (!conflict.empty()) {
      return Contradiction{false, "no one value of " + selectors[operand].ToString() +
                                      " satisfies " + Quoted(conflict, pattern)};
    }
  }
  // A scalar (or null) at a path where a test below it needs an object or array.
  for (const Expr* scalar : leaves) {
    if (scalar->kind == ExprKind::kNotExists) continue;
    const Selector& outer = selectors[scalar->operand];
    if (outer.WildcardCount() > 0) continue;
    for (const Expr* below : leaves) {
      if (below->kind == ExprKind::kNotExists) continue;
      const Selector& inner = selectors[below->operand];
      if (inner.steps.size() <= outer.steps.size() || !Covers(outer, inner)) continue;
      return Contradiction{false, "`" + LeafText(pattern, *scalar) + "` needs a scalar at " +
                                      outer.ToString() + ", and `" + LeafText(pattern, *below) +
                                      "` an object or array there"};
    }
  }
  return std::nullopt;
}

std::optional<Contradiction> CheckDelimited(const Pattern& pattern, const Conjunction& leaves) {
  std::vector<std::uint32_t> operands;
  for (const Expr* leaf : leaves) {
    bool seen = false;
    for (std::uint32_t o : operands) seen = seen || o == leaf->operand;
    if (!seen) operands.push_back(leaf->operand);
  }
  for (std::uint32_t operand : operands) {
    std::vector<const Expr*> group;
    for (const Expr* leaf : leaves) {
      if (leaf->operand == operand) group.push_back(leaf);
    }
    const auto conflict = Conflict(group, FieldTextCanSatisfy);
    if (!conflict.empty()) {
      return Contradiction{true, "no one text of field " + pattern.slots[operand].name +
                                     " satisfies " + Quoted(conflict, pattern)};
    }
  }
  return std::nullopt;
}

std::string TermText(const Term& term) {
  std::string out = term.mode == TermMode::kExcluded   ? "-"
                    : term.mode == TermMode::kOptional ? "?"
                                                       : "";
  return out + (term.quoted ? pattern::QuotePatternText(term.text) : term.text);
}

std::optional<Contradiction> CheckTerms(const Pattern& pattern) {
  bool all_optional = !pattern.terms.empty();
  for (const Term& term : pattern.terms)
    all_optional = all_optional && term.mode == TermMode::kOptional;
  if (all_optional) return std::nullopt;
  for (const Term& excluded : pattern.terms) {
    if (excluded.mode != TermMode::kExcluded) continue;
    if (excluded.text.empty()) {
      return Contradiction{
          true, "the excluded empty phrase `" + TermText(excluded) + "` occurs in every message"};
    }
    for (const Term& required : pattern.terms) {
      if (required.mode != TermMode::kRequired) continue;
      if (required.text.find(excluded.text) == std::string::npos) continue;
      return Contradiction{true, "every message holding `" + TermText(required) + "` holds `" +
                                     excluded.text + "`, which `" + TermText(excluded) +
                                     "` excludes"};
    }
  }
  return std::nullopt;
}

std::optional<Contradiction> CheckCondition(const Pattern& pattern, const Expr& expr) {
  std::vector<Conjunction> alternatives;
  if (!Expand(expr, alternatives) || alternatives.empty()) return std::nullopt;
  std::vector<Contradiction> found;
  for (const Conjunction& alternative : alternatives) {
    auto c = pattern.kind == PatternKind::kDelimited ? CheckDelimited(pattern, alternative)
                                                     : CheckJson(pattern, alternative);
    if (!c) return std::nullopt;
    found.push_back(std::move(*c));
  }
  if (found.size() == 1) return found.front();
  Contradiction all;
  all.reason = "each of its " + std::to_string(found.size()) + " alternatives does: ";
  for (std::size_t i = 0; i < found.size(); ++i) {
    all.absolute = all.absolute && found[i].absolute;
    if (i == 3) {
      all.reason += "; ...";
      break;
    }
    all.reason += (i > 0 ? "; " : "") + found[i].reason;
  }
  return all;
}

}  // namespace

std::string LeafText(const Pattern& pattern, const Expr& leaf) {
  const std::string operand = pattern.kind == PatternKind::kDelimited
                                  ? pattern.slots[leaf.operand].name
                                  : pattern.selectors[leaf.operand].ToString();
  switch (leaf.kind) {
    case ExprKind::kIsNull:
      return operand + " IS NULL";
    case ExprKind::kIsTrue:
      return operand + " IS TRUE";
    case ExprKind::kIsFalse:
      return operand + " IS FALSE";
    case ExprKind::kNotExists:
      return operand + " NOT EXISTS";
    default:
      break;
  }
  const Value& v = leaf.value;
  const std::string value = v.kind == Value::Kind::kRegex ? "%" + v.text + "%"
                            : v.quoted                    ? pattern::QuotePatternText(v.text)
                                                          : v.text;
  return operand + " " + pattern::CompareOpText(leaf.op) + " " + value;
}

std::optional<Contradiction> FindContradiction(const Pattern& pattern, const Expr& expr) {
  if (pattern.kind != PatternKind::kJson && pattern.kind != PatternKind::kDelimited) {
    return std::nullopt;
  }
  return CheckCondition(pattern, expr);
}

std::optional<Contradiction> FindContradiction(const Pattern& pattern) {
  switch (pattern.kind) {
    case PatternKind::kTerms:
      return CheckTerms(pattern);
    case PatternKind::kJson:
      if (!pattern.condition) return std::nullopt;
      return CheckCondition(pattern, *pattern.condition);
    case PatternKind::kDelimited: {
      // Every slot's condition must hold: one `&&` of them all.
      Expr all;
      all.kind = ExprKind::kAnd;
      for (const auto& slot : pattern.slots) {
        if (slot.condition) all.children.push_back(*slot.condition);
      }
      if (all.children.empty()) return std::nullopt;
      return CheckCondition(pattern, all);
    }
    default:
      return std::nullopt;
  }
}

}  // namespace trailreplay::rules

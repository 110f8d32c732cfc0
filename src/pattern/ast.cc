// Canonical printing of parsed patterns. The output is meant for tests and for
// `trailreplay test-pattern --explain`: every operator is a prefix function, and/or nodes are
// explicit, values carry their kind (glob, number, regex), so precedence and lexing decisions
// are visible at a glance.
#include "pattern/ast.h"

#include "common/json_escape.h"

namespace trailreplay::pattern {

const char* CompareOpText(CompareOp op) {
  switch (op) {
    case CompareOp::kEq:
      return "=";
    case CompareOp::kNe:
      return "!=";
    case CompareOp::kLt:
      return "<";
    case CompareOp::kGt:
      return ">";
    case CompareOp::kLe:
      return "<=";
    case CompareOp::kGe:
      return ">=";
  }
  return "?";
}

namespace {

const char* CompareOpName(CompareOp op) {
  switch (op) {
    case CompareOp::kEq:
      return "eq";
    case CompareOp::kNe:
      return "ne";
    case CompareOp::kLt:
      return "lt";
    case CompareOp::kGt:
      return "gt";
    case CompareOp::kLe:
      return "le";
    case CompareOp::kGe:
      return "ge";
  }
  return "?";
}

std::string PrintValue(const Value& value) {
  switch (value.kind) {
    case Value::Kind::kNumber:
      return JsonNumber(value.number);
    case Value::Kind::kRegex:
      return "%" + value.text + "%";
    case Value::Kind::kString:
      return (value.glob ? "glob" : "") + JsonString(value.text);
  }
  return "?";
}

void PrintExpr(const Expr& expr, const Pattern& pattern, std::string& out) {
  auto operand = [&]() -> std::string {
    if (pattern.kind == PatternKind::kJson) return pattern.selectors[expr.operand].ToString();
    return pattern.slots[expr.operand].name;
  };
  switch (expr.kind) {
    case ExprKind::kAnd:
    case ExprKind::kOr: {
      out += expr.kind == ExprKind::kAnd ? "and(" : "or(";
      for (std::size_t i = 0; i < expr.children.size(); ++i) {
        if (i > 0) out += ", ";
        PrintExpr(expr.children[i], pattern, out);
      }
      out += ")";
      return;
    }
    case ExprKind::kCompare:
      out += std::string(CompareOpName(expr.op)) + "(" + operand() + ", " + PrintValue(expr.value) +
             ")";
      return;
    case ExprKind::kIsNull:
      out += "is_null(" + operand() + ")";
      return;
    case ExprKind::kIsTrue:
      out += "is_true(" + operand() + ")";
      return;
    case ExprKind::kIsFalse:
      out += "is_false(" + operand() + ")";
      return;
    case ExprKind::kNotExists:
      out += "not_exists(" + operand() + ")";
      return;
  }
}

bool IsPlainName(std::string_view name) {
  if (name.empty()) return false;
  for (char c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

}  // namespace

std::size_t Selector::WildcardCount() const {
  std::size_t count = 0;
  for (const PathStep& step : steps) {
    if (step.kind == PathStep::Kind::kAnyField || step.kind == PathStep::Kind::kAnyIndex) ++count;
  }
  return count;
}

std::string Selector::ToString() const {
  std::string out = "$";
  for (const PathStep& step : steps) {
    switch (step.kind) {
      case PathStep::Kind::kField:
        if (IsPlainName(step.name)) {
          out += "." + step.name;
        } else {
          out += ".['" + step.name + "']";
        }
        break;
      case PathStep::Kind::kIndex:
        out += "[" + std::to_string(step.index) + "]";
        break;
      case PathStep::Kind::kAnyField:
        out += ".*";
        break;
      case PathStep::Kind::kAnyIndex:
        out += "[*]";
        break;
    }
  }
  return out;
}

int Pattern::FindSlot(std::string_view name) const {
  for (std::size_t i = 0; i < slots.size(); ++i) {
    if (!slots[i].ellipsis && slots[i].name == name) return static_cast<int>(i);
  }
  return -1;
}

std::string PrintPattern(const Pattern& pattern) {
  std::string out;
  switch (pattern.kind) {
    case PatternKind::kMatchAll:
      return "all";
    case PatternKind::kTerms: {
      out = "terms(";
      for (std::size_t i = 0; i < pattern.terms.size(); ++i) {
        const Term& term = pattern.terms[i];
        if (i > 0) out += ", ";
        if (term.mode == TermMode::kExcluded) out += "-";
        if (term.mode == TermMode::kOptional) out += "?";
        out += JsonString(term.text);
      }
      return out + ")";
    }
    case PatternKind::kRegex:
      return "regex(%" + pattern.regex->source() + "%)";
    case PatternKind::kJson:
      out = "json(";
      PrintExpr(*pattern.condition, pattern, out);
      return out + ")";
    case PatternKind::kDelimited:
      out = "delimited(";
      for (std::size_t i = 0; i < pattern.slots.size(); ++i) {
        const Slot& slot = pattern.slots[i];
        if (i > 0) out += ", ";
        if (slot.ellipsis) {
          out += "...";
          continue;
        }
        out += slot.name.empty() ? "_" : slot.name;
        if (slot.condition) {
          out += ":";
          PrintExpr(*slot.condition, pattern, out);
        }
      }
      return out + ")";
  }
  return out;
}

}  // namespace trailreplay::pattern

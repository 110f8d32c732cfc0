// The parsed form of a CloudWatch Logs filter pattern, and its canonical printed form.
//
// A Pattern is one of five families, chosen by the pattern's first non-blank character
// (spec A.0): match-all (empty, `""`, `" "`), term expression, standalone `%regex%`, JSON
// pattern `{ ... }`, and space-delimited pattern `[ ... ]`. JSON and space-delimited patterns
// share one boolean expression tree (Expr): their leaves differ only in what they read, a
// JSON selector or a delimited field slot.
//
// PrintPattern() renders the tree in a canonical, fully parenthesised form that the parser
// tests compare against (the RE2 habit): it shows how the pattern was understood, e.g.
// precedence and whether a value is a glob, a number or a regex.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "pattern/regex.h"

namespace trailreplay::pattern {

enum class PatternKind { kMatchAll, kTerms, kRegex, kJson, kDelimited };

// ---- term expressions -------------------------------------------------------------------

enum class TermMode { kRequired, kExcluded, kOptional };

struct Term {
  std::string text;  // unescaped phrase or bare word
  TermMode mode = TermMode::kRequired;
  bool quoted = false;
  std::size_t offset = 0;  // where the item starts in the pattern
};

// ---- JSON selectors ---------------------------------------------------------------------

struct PathStep {
  enum class Kind { kField, kIndex, kAnyField, kAnyIndex };
  Kind kind = Kind::kField;
  std::string name;         // kField
  std::uint32_t index = 0;  // kIndex
  bool operator==(const PathStep&) const = default;
};

struct Selector {
  std::vector<PathStep> steps;
  std::size_t offset = 0;
  std::size_t WildcardCount() const;
  std::string ToString() const;  // canonical: $.a.b[0][*].*['x.y']
};

// ---- values and comparisons -------------------------------------------------------------

enum class CompareOp { kEq, kNe, kLt, kGt, kLe, kGe };
const char* CompareOpText(CompareOp op);

struct Value {
  enum class Kind { kString, kNumber, kRegex };
  Kind kind = Kind::kString;
  std::string text;                    // kString: unescaped text; kNumber: the token as written
  double number = 0;                   // kNumber
  bool quoted = false;                 // written in double quotes
  bool glob = false;                   // kString containing '*'
  std::shared_ptr<const Regex> regex;  // kRegex (shared: patterns are copied into rules)
  std::size_t offset = 0;
};

// ---- boolean expressions (JSON and space-delimited) -------------------------------------

enum class ExprKind { kAnd, kOr, kCompare, kIsNull, kIsTrue, kIsFalse, kNotExists };

struct Expr {
  ExprKind kind = ExprKind::kCompare;
  std::vector<Expr> children;  // kAnd / kOr: two or more, flattened
  // Leaves: the index of the selector (JSON) or field slot (space-delimited) they read.
  std::uint32_t operand = 0;
  CompareOp op = CompareOp::kEq;
  Value value;
  std::size_t offset = 0;
};

// ---- space-delimited patterns -----------------------------------------------------------

struct Slot {
  bool ellipsis = false;          // `...`: any number of unnamed fields
  std::string name;               // field name (empty for `...` and for an empty slot)
  std::optional<Expr> condition;  // operands index Pattern::slots
  std::size_t offset = 0;
};

// ---- the whole pattern ------------------------------------------------------------------

struct Pattern {
  PatternKind kind = PatternKind::kMatchAll;
  std::string source;

  std::vector<Term> terms;             // kTerms
  std::shared_ptr<const Regex> regex;  // kRegex
  std::vector<Selector> selectors;     // kJson (leaf operands index this)
  std::optional<Expr> condition;       // kJson
  std::vector<Slot> slots;             // kDelimited
  std::size_t ellipsis_count = 0;      // kDelimited

  // The slot index of a named field, or -1.
  int FindSlot(std::string_view name) const;
};

// Canonical printed form, one line, e.g.
//   json(or(eq($.errorCode, glob"*UnauthorizedOperation"), eq($.errorCode, glob"AccessDenied*")))
std::string PrintPattern(const Pattern& pattern);

}  // namespace trailreplay::pattern

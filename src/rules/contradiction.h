// Patterns that can never match, decided statically where that is decidable (lint's
// `contradictory` check). A pattern is reported only when no message can match it; where the
// answer is not certain (two globs, a regex, the text of a number) nothing is claimed.
//
//   terms        an excluded term that every message holding a required term holds too
//                (`ERROR -ERR`, `ERROR -ERROR`, `-""`); `?` terms mixed with others are
//                ignored, as CloudWatch ignores them;
//   JSON         every alternative of the condition (its `||` expanded over `&&`, at most
//                kMaxAlternatives of them, else undecided) holds tests no event satisfies
//                together:
//                 - absolute: `$.p NOT EXISTS` with a test that needs $.p, or a path below
//                   it, to hold a value (`$.x NOT EXISTS && $.x = "y"`, `$.a NOT EXISTS &&
//                   $.a.b = 1`), whatever the document;
//                 - one value: on a path without wildcards, no one value satisfies all its
//                   tests (`$.a = 1 && $.a = 2`, `$.a > 5 && $.a < 3`, `$.a IS NULL &&
//                   $.a = x`), or a test needs a scalar where another needs an object or
//                   array (`$.a = 1 && $.a.b = 2`). That holds for every document whose keys
//                   are unique: a document repeating a key gives the path two values, which
//                   trailreplay tests each (README, "Duplicate keys"). CloudTrail never
//                   writes one; the finding says which kind it is;
//   delimited    the same "one value" reasoning for the conditions on a field, whose text
//                is always one value (`[a = 404 && a = 500, b]`): absolute.
// Values are tested with the evaluator's own comparisons (pattern/compiled.h), so the
// analysis and the matcher cannot disagree on what a test accepts.
#pragma once

#include <cstddef>
#include <optional>
#include <string>

#include "pattern/ast.h"

namespace trailreplay::rules {

// Alternatives (conjunctions of leaves) the analysis expands before it gives up.
inline constexpr std::size_t kMaxAlternatives = 256;

struct Contradiction {
  // true: no message matches. false: no document with unique keys matches (see above).
  bool absolute = true;
  std::string reason;  // "no one value of $.a satisfies `$.a = 1` and `$.a = 2`"
};

// Whether the whole pattern can never match (nullopt: it can, or that is not decidable).
std::optional<Contradiction> FindContradiction(const pattern::Pattern& pattern);

// The same for one sub-expression of a JSON pattern's condition (a clause of its `||`).
std::optional<Contradiction> FindContradiction(const pattern::Pattern& pattern,
                                               const pattern::Expr& expr);

// A leaf as the pattern would write it: `$.a = "x y"`, `$.b NOT EXISTS`, `status > 400`.
std::string LeafText(const pattern::Pattern& pattern, const pattern::Expr& leaf);

}  // namespace trailreplay::rules

// The regular-expression subset that CloudWatch Logs accepts between % signs (added 2023).
//
// Accepted syntax (spec A.2): ASCII letters and digits; the symbols : _ # = @ / ; , -; the
// operators ^ $ ? [ ] { } | \ * + . ; escapes \d \D \s \S \w \W, \xhh (an ASCII byte by hex),
// and a backslash before any ASCII punctuation for the literal. Character classes [..] with
// ranges and ^ negation; quantifiers ? * + {n} {m,} {,n} {m,n} (counts up to 1000); anchors ^
// and $; top-level alternation with | (an empty alternative matches the empty string). Not
// accepted: parentheses (groups), multi-byte characters, any other punctuation (e.g.
// %something!% is rejected), unknown escapes, an empty class [], a quantified anchor (^*), a
// stacked quantifier (a**), a '{' that is not a quantifier, and an unescaped ']' or '}' outside
// a class.
//
// Semantics: an unanchored search over the subject unless ^ / $ are used; case-sensitive;
// '.' (which also matches newline), negated classes and \D \S \W consume one whole UTF-8
// character (a lead byte plus the continuation bytes it announces), other atoms match one ASCII
// byte; matches start only on character boundaries. Matching runs in time linear in the subject
// (a position NFA simulated with bit sets, no backtracking), so no pattern can make a scan slow;
// Search() is const, allocation-free and safe to call from many threads.
#pragma once

#include <array>
#include <bitset>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace trailreplay::pattern {

class Regex {
 public:
  // Largest number of NFA positions after expanding counted repetition ({m,n}); more is an
  // ErrorCode::kPatternLimit error, so a 1024-byte pattern cannot blow up memory or time.
  static constexpr std::size_t kMaxStates = 4096;

  // Compiles `source`, the text between the % signs (without them). Error offsets are relative
  // to the start of `source`; the caller rebases them onto the whole pattern.
  static Result<Regex> Compile(std::string_view source);

  // True if the regex matches anywhere in `subject` (honouring ^ and $).
  bool Search(std::string_view subject) const;

  const std::string& source() const { return source_; }

  // The parsed regex, for writing it in another engine's syntax (pushdown/): top-level
  // alternatives, each a sequence of atoms with their repetition counts, and anchors.
  static constexpr std::size_t kUnbounded = static_cast<std::size_t>(-1);
  struct Item {
    enum class Kind : std::uint8_t { kAtom, kStartAnchor, kEndAnchor };
    Kind kind = Kind::kAtom;
    // Bit c: ASCII byte c; bit 128: any non-ASCII character (one whole UTF-8 character).
    std::bitset<129> symbols;
    std::size_t min = 1;
    std::size_t max = 1;  // kUnbounded for * and +
  };
  const std::vector<std::vector<Item>>& alternatives() const { return alternatives_; }

 private:
  Regex() = default;

  bool SearchOneWord(std::string_view subject) const;
  bool SearchManyWords(std::string_view subject) const;
  // The first offset at or after `pos` where a match could begin when no NFA state is live.
  std::size_t SkipToCandidate(std::string_view subject, std::size_t pos) const;
  const std::uint64_t* Table(std::size_t index) const { return masks_.data() + index * words_; }

  std::string source_;
  std::vector<std::vector<Item>> alternatives_;
  // Bit sets over the NFA states, words_ 64-bit words each: a few fixed tables, then one
  // "states that accept this symbol" table per symbol class (see regex.cc).
  std::size_t words_ = 0;
  std::vector<std::uint64_t> masks_;
  // Symbol (an ASCII byte, or 128 for any non-ASCII character) -> symbol class.
  std::array<std::uint8_t, 129> symbol_class_{};
  // Subject bytes at which a match can start; single_start_byte_ >= 0 when exactly one can.
  std::array<bool, 256> can_start_{};
  int single_start_byte_ = -1;
  bool can_start_mid_ = false;
  // Whether the regex matches the empty string at a spot: index 2 * at_start + at_end.
  std::array<bool, 4> empty_match_{};
};

}  // namespace trailreplay::pattern

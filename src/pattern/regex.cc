// Regex engine for the CloudWatch Logs %regex% subset.
//
// Design. There are no groups, so each alternative is a flat chain of atoms (each one
// character predicate) with quantifiers, interspersed with zero-width ^ / $ anchors. Counted
// repetition is expanded: a{m,n} becomes m required copies then n-m optional ones, a{m,} becomes
// m-1 required copies then one self-looping copy (a* is one optional self-looping copy). Each
// atom copy is one state of a position (Glushkov) NFA: "this atom has just consumed a
// character". In a chain, the successors of a state are only: itself (if it loops), the next
// state, and further states reached by skipping optional ones. So one step of the NFA over the
// whole state set is a few word operations - and, or, shift by one, and one subtraction whose
// borrow runs across each block of optional states (the extended Shift-And of Navarro and
// Raffinot). Anchors just cut the chain at the gap where they stand; what happens at the very
// start and end of the subject is precomputed.
//
// Why linear: the simulation keeps every live state at once and never backtracks, so Search()
// costs O(subject characters * states / 64) word operations for any pattern, and the number of
// states is capped at Regex::kMaxStates. The state sets live in fixed-size stack arrays, so
// Search() never allocates.
//
// The subject is read a character at a time: an ASCII byte, or one non-ASCII UTF-8 character
// (a lead byte plus the continuation bytes it announces, stopping early at any byte that is not
// a continuation byte, so an ASCII byte is always its own character). All pattern characters are
// ASCII, so every non-ASCII character behaves the same: symbol 128 stands for all of them.

#include "pattern/regex.h"

#include <algorithm>
#include <bitset>
#include <cstring>
#include <map>
#include <optional>
#include <string>
#include <utility>

namespace trailreplay::pattern {
namespace {

constexpr std::size_t kNonAscii = 128;  // the symbol of every non-ASCII character
constexpr std::size_t kSymbols = 129;
constexpr std::size_t kMaxCount = 1000;
constexpr std::size_t kUnbounded = static_cast<std::size_t>(-1);
constexpr std::size_t kMaxWords = (Regex::kMaxStates + 63) / 64;

// Fixed bit-set tables, in this order, at the start of Regex::masks_; symbol classes follow.
constexpr std::size_t kFirstAtStart = 0;  // states that can consume the first character
constexpr std::size_t kFirstMid = 1;      // states that can start a match later on
constexpr std::size_t kLoop = 2;          // states that can consume again
constexpr std::size_t kShift = 3;         // states whose next state is reachable (no anchor)
constexpr std::size_t kRunStart = 4;      // first state of each run of skippable states
constexpr std::size_t kRunEnd = 5;        // the state just after each such run
constexpr std::size_t kRunBlock = 6;      // every run state and run-end state
constexpr std::size_t kAcceptMid = 7;     // states after which the alternative may end
constexpr std::size_t kAcceptEnd = 8;     // the same at the end of the subject ($ passes)
constexpr std::size_t kFixedTables = 9;

// empty_match_ indices.
constexpr std::size_t kAtStart = 2;
constexpr std::size_t kAtEnd = 1;

// Bit c is ASCII byte c; bit kNonAscii is any non-ASCII character.
using SymbolSet = std::bitset<kSymbols>;

enum class ItemKind { kAtom, kStartAnchor, kEndAnchor };

struct Item {
  ItemKind kind = ItemKind::kAtom;
  SymbolSet symbols;
  std::size_t min = 1;
  std::size_t max = 1;
};

using Alternative = std::vector<Item>;

// One escape or class member: a single byte (which may start a range) or a whole set.
struct Escape {
  SymbolSet symbols;
  bool single = false;
  unsigned char byte = 0;
};

Escape Single(unsigned char byte) {
  Escape escape;
  escape.symbols.set(byte);
  escape.single = true;
  escape.byte = byte;
  return escape;
}

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

bool IsAlnum(char c) { return IsDigit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

bool IsAsciiPunct(char c) {
  const auto u = static_cast<unsigned char>(c);
  return (u >= 0x21 && u <= 0x2F) || (u >= 0x3A && u <= 0x40) || (u >= 0x5B && u <= 0x60) ||
         (u >= 0x7B && u <= 0x7E);
}

// The documented list of allowed symbols omits the space, but AWS's own example
// `%^starting|^initializing|^shutting down%` uses one, so a space is an ordinary literal.
bool IsPlainLiteral(char c) {
  return IsAlnum(c) || (c != '\0' && std::strchr(":_#=@/;,- ", c) != nullptr);
}

bool IsOperator(char c) { return c != '\0' && std::strchr("^$?[]{}|\\*+.", c) != nullptr; }

int HexValue(char c) {
  if (IsDigit(c)) return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

SymbolSet RangeSet(unsigned char low, unsigned char high) {
  SymbolSet set;
  for (unsigned c = low; c <= high; ++c) set.set(c);
  return set;
}

SymbolSet DigitSet() { return RangeSet('0', '9'); }

SymbolSet SpaceSet() {
  SymbolSet set;
  for (const char c : {' ', '\t', '\n', '\r', '\f', '\v'}) set.set(static_cast<unsigned char>(c));
  return set;
}

SymbolSet WordSet() {
  return RangeSet('a', 'z') | RangeSet('A', 'Z') | DigitSet() | RangeSet('_', '_');
}

// States needed for an atom repeated {min,max} (see the file comment).
std::size_t Expansion(std::size_t min, std::size_t max) {
  if (max == kUnbounded) return min == 0 ? 1 : min;
  return max;
}

class Parser {
 public:
  explicit Parser(std::string_view source) : source_(source) {}

  Result<std::vector<Alternative>> Parse();

 private:
  Error Invalid(std::string message, std::size_t offset) const {
    return MakeError(ErrorCode::kInvalidPattern, std::move(message), offset, std::string(source_));
  }
  Error Limit(std::string message, std::size_t offset) const {
    return MakeError(ErrorCode::kPatternLimit, std::move(message), offset, std::string(source_));
  }
  Error TooManyStates(std::size_t offset) const {
    return Limit("regex expands to more than " + std::to_string(Regex::kMaxStates) + " states",
                 offset);
  }
  Error Disallowed(std::size_t offset) const;

  Result<Escape> ParseEscape(std::size_t& pos) const;
  Result<Escape> ParseClassMember(std::size_t& pos) const;
  Result<SymbolSet> ParseClass(std::size_t& pos) const;
  Result<std::optional<std::size_t>> ParseCount(std::size_t& pos) const;
  Result<std::pair<std::size_t, std::size_t>> ParseRepetition(std::size_t& pos) const;

  std::string_view source_;
};

Error Parser::Disallowed(std::size_t offset) const {
  const char c = source_[offset];
  const auto u = static_cast<unsigned char>(c);
  if (c == '(' || c == ')') {
    return Invalid("parentheses (groups) are not supported in CloudWatch regex", offset);
  }
  if (u >= 0x80)
    return Invalid("non-ASCII characters are not allowed in a CloudWatch regex", offset);
  if (u < 0x20 || u == 0x7F) {
    static constexpr char kHex[] = "0123456789abcdef";
    return Invalid(std::string("control character \\x") + kHex[u >> 4] + kHex[u & 0xF] +
                       " is not allowed in a CloudWatch regex",
                   offset);
  }
  return Invalid(std::string("character '") + c + "' is not allowed in a CloudWatch regex", offset);
}

// `pos` is at the backslash; on success it is just past the escape.
Result<Escape> Parser::ParseEscape(std::size_t& pos) const {
  const std::size_t start = pos;
  if (pos + 1 >= source_.size()) return Invalid("trailing backslash: nothing to escape", start);
  const char e = source_[pos + 1];
  pos += 2;
  Escape escape;
  switch (e) {
    case 'd':
      escape.symbols = DigitSet();
      return escape;
    case 'D':
      escape.symbols = ~DigitSet();
      return escape;
    case 's':
      escape.symbols = SpaceSet();
      return escape;
    case 'S':
      escape.symbols = ~SpaceSet();
      return escape;
    case 'w':
      escape.symbols = WordSet();
      return escape;
    case 'W':
      escape.symbols = ~WordSet();
      return escape;
    case 'x': {
      if (pos + 2 > source_.size() || HexValue(source_[pos]) < 0 ||
          HexValue(source_[pos + 1]) < 0) {
        return Invalid("invalid \\x escape: need two hex digits", start);
      }
      const int value = HexValue(source_[pos]) * 16 + HexValue(source_[pos + 1]);
      pos += 2;
      if (value >= 0x80) {
        return Invalid("\\x escape above \\x7f: only ASCII characters can be matched", start);
      }
      return Single(static_cast<unsigned char>(value));
    }
    default:
      break;
  }
  if (IsAsciiPunct(e)) return Single(static_cast<unsigned char>(e));
  if (IsAlnum(e)) return Invalid(std::string("unsupported escape '\\") + e + "'", start);
  return Invalid("a backslash must be followed by punctuation, \\d \\D \\s \\S \\w \\W or \\xhh",
                 start);
}

Result<Escape> Parser::ParseClassMember(std::size_t& pos) const {
  const char c = source_[pos];
  if (c == '\\') return ParseEscape(pos);
  // Inside a class every operator character is an ordinary literal.
  if (IsPlainLiteral(c) || IsOperator(c)) {
    ++pos;
    return Single(static_cast<unsigned char>(c));
  }
  return Disallowed(pos);
}

// `pos` is at the '['; on success it is just past the closing ']'.
Result<SymbolSet> Parser::ParseClass(std::size_t& pos) const {
  const std::size_t open = pos;
  ++pos;
  bool negated = false;
  if (pos < source_.size() && source_[pos] == '^') {
    negated = true;
    ++pos;
  }
  if (pos < source_.size() && source_[pos] == ']') return Invalid("empty character class", pos);
  SymbolSet set;
  while (true) {
    if (pos >= source_.size()) return Invalid("unterminated character class", open);
    if (source_[pos] == ']') {
      ++pos;
      break;
    }
    const std::size_t low_start = pos;
    Result<Escape> low = ParseClassMember(pos);
    if (!low) return std::move(low).error();
    // A '-' that cannot form a range (first, last, or after a range or \d) is a literal.
    const bool range =
        low->single && pos + 1 < source_.size() && source_[pos] == '-' && source_[pos + 1] != ']';
    if (!range) {
      set |= low->symbols;
      continue;
    }
    ++pos;
    const std::size_t high_start = pos;
    Result<Escape> high = ParseClassMember(pos);
    if (!high) return std::move(high).error();
    if (!high->single) {
      return Invalid("a character class range must end in a single character", high_start);
    }
    if (high->byte < low->byte) return Invalid("reversed range in character class", low_start);
    set |= RangeSet(low->byte, high->byte);
  }
  return negated ? ~set : set;
}

// Reads an optional decimal count at `pos`.
Result<std::optional<std::size_t>> Parser::ParseCount(std::size_t& pos) const {
  const std::size_t start = pos;
  std::size_t value = 0;
  while (pos < source_.size() && IsDigit(source_[pos])) {
    // Saturates just above the limit so a long digit string cannot overflow.
    if (value <= kMaxCount) value = value * 10 + static_cast<std::size_t>(source_[pos] - '0');
    ++pos;
  }
  if (pos == start) return std::optional<std::size_t>();
  if (value > kMaxCount) return Limit("repetition count above 1000", start);
  return std::optional<std::size_t>(value);
}

// `pos` is at the '{'; on success it is just past the '}'. Returns {min, max}.
Result<std::pair<std::size_t, std::size_t>> Parser::ParseRepetition(std::size_t& pos) const {
  const std::size_t open = pos;
  ++pos;
  Result<std::optional<std::size_t>> low = ParseCount(pos);
  if (!low) return std::move(low).error();
  bool comma = false;
  std::optional<std::size_t> high;
  if (pos < source_.size() && source_[pos] == ',') {
    comma = true;
    ++pos;
    Result<std::optional<std::size_t>> parsed = ParseCount(pos);
    if (!parsed) return std::move(parsed).error();
    high = *parsed;
  }
  const bool has_count = low->has_value() || high.has_value();
  if (pos >= source_.size() || source_[pos] != '}' || !has_count) {
    return Invalid("'{' must start a repetition {n}, {m,}, {,n} or {m,n}", open);
  }
  ++pos;
  const std::size_t min = low->value_or(0);
  const std::size_t max = comma ? high.value_or(kUnbounded) : min;
  if (min > max) return Invalid("repetition {m,n} with m above n", open);
  return std::make_pair(min, max);
}

Result<std::vector<Alternative>> Parser::Parse() {
  if (source_.empty()) return Invalid("empty regex", 0);
  enum class Last { kNothing, kAtom, kAnchor, kQuantifier };
  std::vector<Alternative> alternatives(1);
  Last last = Last::kNothing;
  std::size_t states = 0;
  std::size_t last_atom = 0;  // offset of the newest atom
  std::size_t pos = 0;
  while (pos < source_.size()) {
    const std::size_t start = pos;
    const char c = source_[pos];
    const bool quantifier = c == '?' || c == '*' || c == '+' || c == '{';
    // An atom's states are only final once we know it has no quantifier.
    if (!quantifier && last == Last::kAtom && states > Regex::kMaxStates) {
      return TooManyStates(last_atom);
    }
    if (quantifier) {
      if (last == Last::kNothing) {
        return Invalid(std::string("nothing to repeat before '") + c + "'", start);
      }
      if (last == Last::kAnchor) {
        return Invalid(std::string("an anchor (^ or $) cannot be repeated by '") + c + "'", start);
      }
      if (last == Last::kQuantifier) {
        return Invalid(std::string("quantifier '") + c + "' directly after another quantifier",
                       start);
      }
      std::pair<std::size_t, std::size_t> counts;
      if (c == '{') {
        Result<std::pair<std::size_t, std::size_t>> parsed = ParseRepetition(pos);
        if (!parsed) return std::move(parsed).error();
        counts = *parsed;
      } else {
        counts = {c == '+' ? std::size_t{1} : std::size_t{0},
                  c == '?' ? std::size_t{1} : kUnbounded};
        ++pos;
      }
      Item& item = alternatives.back().back();
      item.min = counts.first;
      item.max = counts.second;
      states = states - 1 + Expansion(item.min, item.max);
      if (states > Regex::kMaxStates) return TooManyStates(start);
      last = Last::kQuantifier;
      continue;
    }
    Item item;
    switch (c) {
      case '|':
        alternatives.emplace_back();
        last = Last::kNothing;
        ++pos;
        continue;
      case '^':
      case '$':
        item.kind = c == '^' ? ItemKind::kStartAnchor : ItemKind::kEndAnchor;
        alternatives.back().push_back(item);
        last = Last::kAnchor;
        ++pos;
        continue;
      case ']':
      case '}':
        return Invalid(std::string("unmatched '") + c + "' (write \\" + c + " for the character)",
                       start);
      case '[': {
        Result<SymbolSet> set = ParseClass(pos);
        if (!set) return std::move(set).error();
        item.symbols = *set;
        break;
      }
      case '.':
        item.symbols.set();
        ++pos;
        break;
      case '\\': {
        Result<Escape> escape = ParseEscape(pos);
        if (!escape) return std::move(escape).error();
        item.symbols = escape->symbols;
        break;
      }
      default:
        if (!IsPlainLiteral(c)) return Disallowed(start);
        item.symbols.set(static_cast<unsigned char>(c));
        ++pos;
        break;
    }
    alternatives.back().push_back(item);
    last = Last::kAtom;
    last_atom = start;
    ++states;
  }
  if (last == Last::kAtom && states > Regex::kMaxStates) return TooManyStates(last_atom);
  return alternatives;
}

// An alternative expanded into NFA states. gaps[i] holds the anchors standing just before
// state i (gaps[size] those after the last state).
constexpr std::uint8_t kCaretGap = 1;
constexpr std::uint8_t kDollarGap = 2;

struct Chain {
  struct State {
    SymbolSet symbols;
    bool optional = false;
    bool loops = false;
  };
  std::vector<State> states;
  std::vector<std::uint8_t> gaps{0};

  void Add(const SymbolSet& symbols, bool optional, bool loops) {
    states.push_back({symbols, optional, loops});
    gaps.push_back(0);
  }
};

Chain Expand(const Alternative& alternative) {
  Chain chain;
  for (const Item& item : alternative) {
    if (item.kind != ItemKind::kAtom) {
      chain.gaps.back() |= item.kind == ItemKind::kStartAnchor ? kCaretGap : kDollarGap;
      continue;
    }
    if (item.max == kUnbounded) {
      for (std::size_t i = 1; i < item.min; ++i) chain.Add(item.symbols, false, false);
      chain.Add(item.symbols, item.min == 0, true);
      continue;
    }
    for (std::size_t i = 0; i < item.max; ++i) chain.Add(item.symbols, i >= item.min, false);
  }
  return chain;
}

// Walks from gap `gap` over optional states and passable anchors. Calls visit(i) for each state
// that can consume next; returns true if the end of the chain is reachable.
template <typename Visit>
bool Walk(const Chain& chain, std::size_t gap, bool caret_passes, bool dollar_passes, Visit visit) {
  for (std::size_t i = gap;; ++i) {
    if ((chain.gaps[i] & kCaretGap) != 0 && !caret_passes) return false;
    if ((chain.gaps[i] & kDollarGap) != 0 && !dollar_passes) return false;
    if (i == chain.states.size()) return true;
    visit(i);
    if (!chain.states[i].optional) return false;
  }
}

class TableBuilder {
 public:
  explicit TableBuilder(std::size_t words) : words_(words), masks_(kFixedTables * words, 0) {}

  void Set(std::size_t table, std::size_t bit) {
    masks_[table * words_ + bit / 64] |= std::uint64_t{1} << (bit % 64);
  }
  bool Get(std::size_t table, std::size_t bit) const {
    return ((masks_[table * words_ + bit / 64] >> (bit % 64)) & 1) != 0;
  }
  std::vector<std::uint64_t>& masks() { return masks_; }

 private:
  std::size_t words_;
  std::vector<std::uint64_t> masks_;
};

std::size_t CharLength(std::string_view subject, std::size_t pos) {
  const auto lead = static_cast<unsigned char>(subject[pos]);
  std::size_t length = 1;
  if (lead >= 0xF0 && lead < 0xF8) {
    length = 4;
  } else if (lead >= 0xE0 && lead < 0xF0) {
    length = 3;
  } else if (lead >= 0xC0 && lead < 0xE0) {
    length = 2;
  }
  std::size_t taken = 1;
  while (taken < length && pos + taken < subject.size() &&
         (static_cast<unsigned char>(subject[pos + taken]) & 0xC0) == 0x80) {
    ++taken;
  }
  return taken;
}

}  // namespace

Result<Regex> Regex::Compile(std::string_view source) {
  Result<std::vector<Alternative>> parsed = Parser(source).Parse();
  if (!parsed) return std::move(parsed).error();

  std::vector<Chain> chains;
  std::size_t total = 0;
  for (const Alternative& alternative : *parsed) {
    chains.push_back(Expand(alternative));
    total += chains.back().states.size();
  }

  Regex regex;
  regex.source_ = std::string(source);
  for (const Alternative& alternative : *parsed) {
    auto& items = regex.alternatives_.emplace_back();
    for (const auto& item : alternative) {
      Regex::Item out;
      out.kind = item.kind == ItemKind::kAtom          ? Regex::Item::Kind::kAtom
                 : item.kind == ItemKind::kStartAnchor ? Regex::Item::Kind::kStartAnchor
                                                       : Regex::Item::Kind::kEndAnchor;
      out.symbols = item.symbols;
      out.min = item.min;
      out.max = item.max;
      items.push_back(out);
    }
  }
  regex.words_ = (total + 63) / 64;
  const std::size_t words = regex.words_;
  TableBuilder tables(words);
  std::vector<SymbolSet> symbols_of(total);
  std::vector<bool> skippable(total + 1, false);

  std::size_t base = 0;
  for (const Chain& chain : chains) {
    const std::size_t size = chain.states.size();
    for (const bool at_start : {false, true}) {
      for (const bool at_end : {false, true}) {
        if (Walk(chain, 0, at_start, at_end, [](std::size_t) {})) {
          regex.empty_match_[(at_start ? kAtStart : 0) + (at_end ? kAtEnd : 0)] = true;
        }
      }
    }
    // At the first character, ^ passes; $ does not, as a character follows.
    Walk(chain, 0, true, false, [&](std::size_t i) { tables.Set(kFirstAtStart, base + i); });
    Walk(chain, 0, false, false, [&](std::size_t i) { tables.Set(kFirstMid, base + i); });

    // Backwards, whether the chain can end from each gap; after a character ^ never passes.
    std::vector<bool> end_mid(size + 1);
    std::vector<bool> end_final(size + 1);
    for (std::size_t gap = size + 1; gap-- > 0;) {
      const bool rest_mid = gap == size || (chain.states[gap].optional && end_mid[gap + 1]);
      const bool rest_final = gap == size || (chain.states[gap].optional && end_final[gap + 1]);
      end_mid[gap] = chain.gaps[gap] == 0 && rest_mid;
      end_final[gap] = (chain.gaps[gap] & kCaretGap) == 0 && rest_final;
    }

    for (std::size_t i = 0; i < size; ++i) {
      const Chain::State& state = chain.states[i];
      const std::size_t bit = base + i;
      symbols_of[bit] = state.symbols;
      if (state.loops) tables.Set(kLoop, bit);
      if (end_mid[i + 1]) tables.Set(kAcceptMid, bit);
      if (end_final[i + 1]) tables.Set(kAcceptEnd, bit);
      if (i + 1 < size && chain.gaps[i + 1] == 0) {
        tables.Set(kShift, bit);
        // A skippable state passes reachability on to the next one, which is in the same chain.
        skippable[bit] = state.optional;
      }
    }
    base += size;
  }
  // Each maximal run of skippable states plus the state just after it forms a block that the
  // subtraction in the search loop fills from its lowest reached bit upwards.
  for (std::size_t bit = 0; bit < total; ++bit) {
    if (!skippable[bit]) continue;
    tables.Set(kRunBlock, bit);
    if (bit == 0 || !skippable[bit - 1]) tables.Set(kRunStart, bit);
    if (!skippable[bit + 1]) {
      tables.Set(kRunEnd, bit + 1);
      tables.Set(kRunBlock, bit + 1);
    }
  }

  // One table per distinct "states accepting this symbol" set.
  std::vector<std::uint64_t>& masks = tables.masks();
  std::map<std::vector<std::uint64_t>, std::uint8_t> classes;
  for (std::size_t symbol = 0; symbol < kSymbols; ++symbol) {
    std::vector<std::uint64_t> accepting(words, 0);
    for (std::size_t bit = 0; bit < total; ++bit) {
      if (symbols_of[bit].test(symbol)) accepting[bit / 64] |= std::uint64_t{1} << (bit % 64);
    }
    auto [it, inserted] = classes.emplace(accepting, static_cast<std::uint8_t>(classes.size()));
    if (inserted) masks.insert(masks.end(), accepting.begin(), accepting.end());
    regex.symbol_class_[symbol] = it->second;

    bool starts = false;
    for (std::size_t w = 0; w < words; ++w) {
      starts = starts || (accepting[w] & masks[kFirstMid * words + w]) != 0;
    }
    if (symbol < kNonAscii) {
      regex.can_start_[symbol] = starts;
    } else {
      for (std::size_t byte = 0x80; byte < 0x100; ++byte) regex.can_start_[byte] = starts;
    }
    regex.can_start_mid_ = regex.can_start_mid_ || starts;
  }
  int start_bytes = 0;
  for (std::size_t byte = 0; byte < 0x100; ++byte) {
    if (!regex.can_start_[byte]) continue;
    ++start_bytes;
    regex.single_start_byte_ = static_cast<int>(byte);
  }
  if (start_bytes != 1) regex.single_start_byte_ = -1;
  regex.masks_ = std::move(masks);
  return regex;
}

std::size_t Regex::SkipToCandidate(std::string_view subject, std::size_t pos) const {
  if (!can_start_mid_) return subject.size();
  if (single_start_byte_ >= 0) {
    const void* hit = std::memchr(subject.data() + pos, single_start_byte_, subject.size() - pos);
    return hit == nullptr
               ? subject.size()
               : static_cast<std::size_t>(static_cast<const char*>(hit) - subject.data());
  }
  // Stopping on any byte that can start is safe: a byte >= 0x80 can start only if every non-ASCII
  // character can, and an ASCII byte always begins a character.
  while (pos < subject.size() && !can_start_[static_cast<unsigned char>(subject[pos])]) ++pos;
  return pos;
}

bool Regex::Search(std::string_view subject) const {
  if (subject.empty()) return empty_match_[kAtStart + kAtEnd];
  // An empty match anywhere mid-subject implies one at the start (^ passing only adds paths).
  if (empty_match_[kAtStart]) return true;
  if (words_ == 0) return empty_match_[kAtEnd];
  return words_ == 1 ? SearchOneWord(subject) : SearchManyWords(subject);
}

// The common case, at most 64 states: the same steps as SearchManyWords on one word.
bool Regex::SearchOneWord(std::string_view subject) const {
  const std::uint64_t first_mid = *Table(kFirstMid);
  const std::uint64_t loop = *Table(kLoop);
  const std::uint64_t shift = *Table(kShift);
  const std::uint64_t run_start = *Table(kRunStart);
  const std::uint64_t run_end = *Table(kRunEnd);
  const std::uint64_t run_block = *Table(kRunBlock);
  const std::uint64_t accept_mid = *Table(kAcceptMid);
  const std::uint64_t* classes = Table(kFixedTables);
  const std::size_t size = subject.size();

  std::uint64_t ready = *Table(kFirstAtStart);  // states that may consume the next character
  std::uint64_t done = 0;                       // states that consumed the last one
  std::size_t pos = 0;
  while (true) {
    const auto byte = static_cast<unsigned char>(subject[pos]);
    std::size_t symbol = byte;
    if (byte < 0x80) {
      ++pos;
    } else {
      symbol = kNonAscii;
      pos += CharLength(subject, pos);
    }
    done = ready & classes[symbol_class_[symbol]];
    if ((done & accept_mid) != 0) return true;
    if (pos == size) break;
    if (done == 0) {
      pos = SkipToCandidate(subject, pos);
      if (pos == size) break;
      ready = first_mid;
      continue;
    }
    const std::uint64_t reached = first_mid | (done & loop) | ((done & shift) << 1);
    // Subtracting each run's first bit borrows from the lowest reached bit in the run (or the
    // run end); the bits the borrow leaves unchanged above it, within the block, are reachable.
    const std::uint64_t with_ends = reached | run_end;
    ready = reached | (run_block & ~((with_ends - run_start) ^ with_ends));
  }
  return (done & *Table(kAcceptEnd)) != 0 || empty_match_[kAtEnd];
}

bool Regex::SearchManyWords(std::string_view subject) const {
  const std::size_t words = words_;
  const std::uint64_t* first_mid = Table(kFirstMid);
  const std::uint64_t* loop = Table(kLoop);
  const std::uint64_t* shift = Table(kShift);
  const std::uint64_t* run_start = Table(kRunStart);
  const std::uint64_t* run_end = Table(kRunEnd);
  const std::uint64_t* run_block = Table(kRunBlock);
  const std::uint64_t* accept_mid = Table(kAcceptMid);
  const std::size_t size = subject.size();

  std::array<std::uint64_t, kMaxWords> ready;
  std::array<std::uint64_t, kMaxWords> done;
  std::copy_n(Table(kFirstAtStart), words, ready.begin());
  std::fill_n(done.begin(), words, 0);
  std::size_t pos = 0;
  while (true) {
    const auto byte = static_cast<unsigned char>(subject[pos]);
    std::size_t symbol = byte;
    if (byte < 0x80) {
      ++pos;
    } else {
      symbol = kNonAscii;
      pos += CharLength(subject, pos);
    }
    const std::uint64_t* accepting = Table(kFixedTables + symbol_class_[symbol]);
    std::uint64_t any = 0;
    std::uint64_t accepted = 0;
    for (std::size_t w = 0; w < words; ++w) {
      done[w] = ready[w] & accepting[w];
      any |= done[w];
      accepted |= done[w] & accept_mid[w];
    }
    if (accepted != 0) return true;
    if (pos == size) break;
    if (any == 0) {
      pos = SkipToCandidate(subject, pos);
      if (pos == size) break;
      std::copy_n(first_mid, words, ready.begin());
      continue;
    }
    // The one-word step, with the shift's carry and the subtraction's borrow crossing words.
    std::uint64_t carry = 0;
    std::uint64_t borrow = 0;
    for (std::size_t w = 0; w < words; ++w) {
      const std::uint64_t shifting = done[w] & shift[w];
      const std::uint64_t reached = first_mid[w] | (done[w] & loop[w]) | (shifting << 1) | carry;
      carry = shifting >> 63;
      const std::uint64_t with_ends = reached | run_end[w];
      const std::uint64_t difference = with_ends - run_start[w] - borrow;
      borrow = (with_ends < run_start[w] || with_ends - run_start[w] < borrow) ? 1 : 0;
      ready[w] = reached | (run_block[w] & ~(difference ^ with_ends));
    }
  }
  const std::uint64_t* accept_end = Table(kAcceptEnd);
  for (std::size_t w = 0; w < words; ++w) {
    if ((done[w] & accept_end[w]) != 0) return true;
  }
  return empty_match_[kAtEnd];
}

}  // namespace trailreplay::pattern

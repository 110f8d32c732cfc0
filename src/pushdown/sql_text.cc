// Regex translation. The subset has no groups: each top-level alternative is a chain of atoms
// (one character from a set) with counts, and ^ / $ anchors. Every atom is written as a set
// of ASCII ranges, letters and digits as themselves and every other byte spelled \xHH, which
// neither engine reads as anything but the byte (RE2 and Java differ on what `[`, `&&` or `-`
// mean inside a class; \xHH sidesteps that):
//
//   all 129 symbols          (?s:.)           any character, newline included
//   with non-ASCII           [^...]           the ASCII bytes not in the set; a negated class
//                                              takes a whole UTF-8 character in both engines
//   ASCII only               \xHH or [...]
//   never matches            the alternative is dropped (or the atom, when it may repeat 0
//                            times)
//
// Counts are written {m,n} as parsed ({,n} is {0,n}: RE2 reads `{,n}` as literal text).
// `$` becomes \z: without multi-line mode Java's `$` also matches before a final line break,
// RE2's does not, CloudWatch's (ours) does not. `^` is the start of the text in both.
#include "pushdown/sql_text.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <vector>

namespace trailreplay::pushdown {
namespace {

constexpr char kHex[] = "0123456789abcdef";

// The code point at `i` (advancing it); input is valid UTF-8.
std::uint32_t NextCodePoint(std::string_view text, std::size_t& i) {
  const auto b0 = static_cast<unsigned char>(text[i]);
  if (b0 < 0x80) {
    ++i;
    return b0;
  }
  const std::size_t length = b0 >= 0xF0 ? 4 : b0 >= 0xE0 ? 3 : 2;
  std::uint32_t cp = b0 & (length == 4 ? 0x07 : length == 3 ? 0x0F : 0x1F);
  for (std::size_t k = 1; k < length && i + k < text.size(); ++k) {
    cp = (cp << 6) | (static_cast<unsigned char>(text[i + k]) & 0x3F);
  }
  i += length;
  return cp;
}

// A regex character: letters and digits as themselves (neither engine gives them a meaning
// outside an escape, and \xHH always takes two digits), every other byte as \xHH.
std::string Hex(unsigned byte) {
  if ((byte >= '0' && byte <= '9') || (byte >= 'a' && byte <= 'z') ||
      (byte >= 'A' && byte <= 'Z')) {
    return std::string(1, static_cast<char>(byte));
  }
  std::string out = "\\x";
  out.push_back(kHex[(byte >> 4) & 0xF]);
  out.push_back(kHex[byte & 0xF]);
  return out;
}

// The ranges of set bits among ASCII 0..127 of `set` (complemented when `negate`).
std::string Ranges(const std::bitset<129>& set, bool negate) {
  std::string out;
  unsigned c = 0;
  while (c < 128) {
    if (set.test(c) == negate) {
      ++c;
      continue;
    }
    unsigned end = c;
    while (end + 1 < 128 && set.test(end + 1) != negate) ++end;
    out += Hex(c);
    if (end > c) out += "-" + Hex(end);
    c = end + 1;
  }
  return out;
}

std::string AtomText(const std::bitset<129>& set) {
  if (set.all()) return "(?s:.)";
  if (set.test(128)) return "[^" + Ranges(set, /*negate=*/true) + "]";
  if (set.count() == 1) return Ranges(set, false);
  return "[" + Ranges(set, false) + "]";
}

std::string CountText(std::size_t min, std::size_t max) {
  const std::size_t kUnbounded = pattern::Regex::kUnbounded;
  if (min == 1 && max == 1) return "";
  if (min == 0 && max == 1) return "?";
  if (min == 0 && max == kUnbounded) return "*";
  if (min == 1 && max == kUnbounded) return "+";
  if (max == kUnbounded) return "{" + std::to_string(min) + ",}";
  if (min == max) return "{" + std::to_string(min) + "}";
  return "{" + std::to_string(min) + "," + std::to_string(max) + "}";
}

}  // namespace

bool IsValidUtf8(std::string_view text) {
  std::size_t i = 0;
  while (i < text.size()) {
    const auto b0 = static_cast<unsigned char>(text[i]);
    if (b0 < 0x80) {
      ++i;
      continue;
    }
    std::size_t length = 0;
    std::uint32_t min = 0;
    if (b0 >= 0xC2 && b0 <= 0xDF) {
      length = 2;
      min = 0x80;
    } else if (b0 >= 0xE0 && b0 <= 0xEF) {
      length = 3;
      min = 0x800;
    } else if (b0 >= 0xF0 && b0 <= 0xF4) {
      length = 4;
      min = 0x10000;
    } else {
      return false;
    }
    if (i + length > text.size()) return false;
    std::uint32_t cp = b0 & (length == 4 ? 0x07 : length == 3 ? 0x0F : 0x1F);
    for (std::size_t k = 1; k < length; ++k) {
      const auto b = static_cast<unsigned char>(text[i + k]);
      if ((b & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (b & 0x3F);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
    i += length;
  }
  return true;
}

std::string SqlString(std::string_view text) {
  std::vector<std::string> pieces;
  std::string run;
  bool any_run = false;
  std::size_t i = 0;
  while (i < text.size()) {
    const std::uint32_t cp = NextCodePoint(text, i);
    if (cp >= 0x20 && cp < 0x7F) {
      if (cp == '\'') run += '\'';
      run += static_cast<char>(cp);
      any_run = true;
      continue;
    }
    if (any_run) {
      pieces.push_back("'" + run + "'");
      run.clear();
      any_run = false;
    }
    pieces.push_back("chr(" + std::to_string(cp) + ")");
  }
  if (any_run || pieces.empty()) pieces.push_back("'" + run + "'");
  if (pieces.size() == 1) return pieces.front();
  std::string out = "(";
  for (std::size_t k = 0; k < pieces.size(); ++k) out += (k > 0 ? " || " : "") + pieces[k];
  return out + ")";
}

std::string SqlIdentifier(std::string_view name) {
  std::string out = "\"";
  for (char c : name) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

std::string CommentText(std::string_view text) {
  std::string out = "\"";
  std::size_t i = 0;
  while (i < text.size()) {
    const std::uint32_t cp = NextCodePoint(text, i);
    if (cp == '"' || cp == '\\') {
      out += '\\';
      out += static_cast<char>(cp);
    } else if (cp >= 0x20 && cp < 0x7F) {
      out += static_cast<char>(cp);
    } else if (cp == '\n') {
      out += "\\n";
    } else if (cp == '\t') {
      out += "\\t";
    } else {
      char buffer[16];
      if (cp > 0xFFFF) {
        std::snprintf(buffer, sizeof buffer, "\\U%08x", static_cast<unsigned>(cp));
      } else {
        std::snprintf(buffer, sizeof buffer, "\\u%04x", static_cast<unsigned>(cp));
      }
      out += buffer;
    }
  }
  return out + "\"";
}

std::string SqlDouble(double value) {
  if (std::isnan(value)) return "CAST('NaN' AS DOUBLE)";
  if (std::isinf(value))
    return value > 0 ? "CAST('Infinity' AS DOUBLE)" : "CAST('-Infinity' AS DOUBLE)";
  char buffer[64];
  auto [end, ec] = std::to_chars(buffer, buffer + sizeof buffer, value);
  (void)ec;  // 64 bytes always hold a double
  return "CAST('" + std::string(buffer, end) + "' AS DOUBLE)";
}

std::string LikePattern(std::string_view glob) {
  std::string out;
  for (char c : glob) {
    if (c == '*') {
      out += '%';
    } else {
      if (c == '%' || c == '_' || c == '\\') out += '\\';
      out += c;
    }
  }
  return out;
}

std::optional<std::string> RegexText(const pattern::Regex& regex) {
  std::vector<std::string> alternatives;
  for (const auto& items : regex.alternatives()) {
    std::string text;
    bool possible = true;
    for (const auto& item : items) {
      switch (item.kind) {
        case pattern::Regex::Item::Kind::kStartAnchor:
          text += "^";
          break;
        case pattern::Regex::Item::Kind::kEndAnchor:
          text += "\\z";
          break;
        case pattern::Regex::Item::Kind::kAtom:
          if (item.symbols.none()) {
            if (item.min > 0) possible = false;
            break;  // an atom that matches nothing, repeated zero times, is nothing
          }
          text += AtomText(item.symbols) + CountText(item.min, item.max);
          break;
      }
    }
    if (possible) alternatives.push_back(std::move(text));
  }
  if (alternatives.empty()) return std::nullopt;
  std::string out;
  for (std::size_t k = 0; k < alternatives.size(); ++k) out += (k > 0 ? "|" : "") + alternatives[k];
  return out;
}

namespace {

// One step of an alternative, with counted repetition expanded: a character from `symbols`
// (optionally, and possibly again and again), or an anchor.
struct Step {
  enum class Kind { kChar, kStart, kEnd } kind = Kind::kChar;
  std::bitset<129> symbols;
  bool optional = false, loop = false;
};

std::vector<Step> Expand(const std::vector<pattern::Regex::Item>& items) {
  std::vector<Step> steps;
  for (const auto& item : items) {
    if (item.kind != pattern::Regex::Item::Kind::kAtom) {
      steps.push_back({item.kind == pattern::Regex::Item::Kind::kStartAnchor ? Step::Kind::kStart
                                                                             : Step::Kind::kEnd,
                       {},
                       false,
                       false});
      continue;
    }
    for (std::size_t i = 0; i < item.min; ++i) steps.push_back({Step::Kind::kChar, item.symbols});
    if (item.max == pattern::Regex::kUnbounded) {
      steps.push_back({Step::Kind::kChar, item.symbols, true, true});
    } else {
      for (std::size_t i = item.min; i < item.max; ++i) {
        steps.push_back({Step::Kind::kChar, item.symbols, true, false});
      }
    }
  }
  return steps;
}

// The JSON numbers whose text an engine may write otherwise than the token (and the texts it
// writes for them): everything but integers without a zero value. A DFA over -+.0-9eE: state
// 0 start, 1 after '-', 2 the integer 0, 3 other integer digits, 4 after '.', 5 fraction
// digits, 6 after 'e', 7 exponent sign, 8 exponent digits; -1 rejects.
int NumberStep(int state, char c) {
  const bool digit = c >= '0' && c <= '9';
  switch (state) {
    case 0:
      return c == '-' ? 1 : c == '0' ? 2 : digit ? 3 : -1;
    case 1:
      return c == '0' ? 2 : digit ? 3 : -1;
    case 2:
    case 3:
      return c == '.' ? 4 : (c == 'e' || c == 'E') ? 6 : (state == 3 && digit) ? 3 : -1;
    case 4:
    case 5:
      return digit ? 5 : (state == 5 && (c == 'e' || c == 'E')) ? 6 : -1;
    case 6:
      return (c == '+' || c == '-') ? 7 : digit ? 8 : -1;
    case 7:
    case 8:
      return digit ? 8 : -1;
    default:
      return -1;
  }
}
bool NumberAccepts(int state) { return state == 2 || state == 5 || state == 8; }

// Whether some rewritable number's text contains a match of one alternative (searching, as
// CloudWatch does; anchors pin the match to the ends): a search of the product of the
// alternative's positions and the number DFA.
bool AlternativeMayMatchNumber(const std::vector<Step>& steps) {
  static constexpr std::string_view kAlphabet = "-+.0123456789eE";
  // Phase 0: before the match; 1: in it, at step `pos`; 2: after it. `ended`: a $ passed.
  struct State {
    int phase, pos, dfa;
    bool ended;
  };
  const int n = static_cast<int>(steps.size());
  std::vector<char> seen(static_cast<std::size_t>(3 * (n + 1) * 9 * 2), 0);
  auto index = [&](const State& st) {
    return static_cast<std::size_t>(((st.phase * (n + 1) + st.pos) * 9 + st.dfa) * 2 +
                                    (st.ended ? 1 : 0));
  };
  std::vector<State> work = {{0, 0, 0, false}};
  seen[index(work.back())] = 1;
  auto push = [&](State st) {
    if (st.dfa < 0) return;
    if (seen[index(st)]) return;
    seen[index(st)] = 1;
    work.push_back(st);
  };
  while (!work.empty()) {
    const State st = work.back();
    work.pop_back();
    if (st.phase == 0) {
      push({1, 0, st.dfa, false});
      for (char c : kAlphabet) push({0, 0, NumberStep(st.dfa, c), false});
      continue;
    }
    if (st.phase == 2) {
      if (NumberAccepts(st.dfa)) return true;
      if (!st.ended) {
        for (char c : kAlphabet) push({2, 0, NumberStep(st.dfa, c), false});
      }
      continue;
    }
    if (st.pos == n) {
      push({2, 0, st.dfa, st.ended});
      continue;
    }
    const Step& step = steps[static_cast<std::size_t>(st.pos)];
    switch (step.kind) {
      case Step::Kind::kStart:
        if (st.dfa == 0) push({1, st.pos + 1, st.dfa, st.ended});
        break;
      case Step::Kind::kEnd:
        push({1, st.pos + 1, st.dfa, true});
        break;
      case Step::Kind::kChar:
        if (step.optional) push({1, st.pos + 1, st.dfa, st.ended});
        if (st.ended) break;
        for (char c : kAlphabet) {
          if (!step.symbols.test(static_cast<unsigned char>(c))) continue;
          push({1, step.loop ? st.pos : st.pos + 1, NumberStep(st.dfa, c), false});
        }
        break;
    }
  }
  return false;
}

}  // namespace

bool RegexMayMatchNumberText(const pattern::Regex& regex) {
  bool may = false;
  for (const auto& items : regex.alternatives()) {
    bool anchored = false, consumes = false;
    for (const auto& item : items) {
      if (item.kind != pattern::Regex::Item::Kind::kAtom) anchored = true;
      if (item.kind == pattern::Regex::Item::Kind::kAtom && item.min > 0) consumes = true;
    }
    // An alternative that needs no character and no anchor matches every text.
    if (!consumes && !anchored) return false;
    may = may || AlternativeMayMatchNumber(Expand(items));
  }
  return may;
}

bool GlobMayMatchNumberText(std::string_view glob) {
  if (glob.find_first_not_of('*') == std::string_view::npos) return false;  // matches all
  // The glob as an anchored alternative: each '*' any run, each other character itself.
  std::vector<Step> steps = {{Step::Kind::kStart, {}, false, false}};
  for (char c : glob) {
    Step step;
    if (c == '*') {
      step.symbols.set();
      step.optional = step.loop = true;
    } else {
      // Bytes of non-ASCII characters stand for themselves: never a number's character.
      step.symbols.set(std::min<std::size_t>(static_cast<unsigned char>(c), 128));
    }
    steps.push_back(step);
  }
  steps.push_back({Step::Kind::kEnd, {}, false, false});
  return AlternativeMayMatchNumber(steps);
}

bool IsNumberTextEnginesRewrite(std::string_view text) {
  // The JSON number grammar first: text that is no JSON number never equals a number's text.
  std::size_t i = 0;
  if (i < text.size() && text[i] == '-') ++i;
  const std::size_t int_start = i;
  if (i < text.size() && text[i] == '0') {
    ++i;
  } else {
    if (i >= text.size() || text[i] < '1' || text[i] > '9') return false;
    while (i < text.size() && text[i] >= '0' && text[i] <= '9') ++i;
  }
  const std::size_t int_digits = i - int_start;
  bool plain_integer = true;
  if (i < text.size() && text[i] == '.') {
    plain_integer = false;
    ++i;
    const std::size_t start = i;
    while (i < text.size() && text[i] >= '0' && text[i] <= '9') ++i;
    if (i == start) return false;
  }
  if (i < text.size() && (text[i] == 'e' || text[i] == 'E')) {
    plain_integer = false;
    ++i;
    if (i < text.size() && (text[i] == '+' || text[i] == '-')) ++i;
    const std::size_t start = i;
    while (i < text.size() && text[i] >= '0' && text[i] <= '9') ++i;
    if (i == start) return false;
  }
  if (i != text.size()) return false;
  // Integers are written back digit for digit, except zero (-0 becomes 0) and those too long
  // for 64 bits.
  const bool zero = text[int_start] == '0';
  return !plain_integer || zero || int_digits > 18;
}

}  // namespace trailreplay::pushdown

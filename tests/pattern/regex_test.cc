// Tests for the CloudWatch %regex% engine: what it accepts and rejects (with error offsets),
// what it matches (the AWS documentation examples among them), agreement with a naive
// backtracking matcher on thousands of random regexes, and patterns hostile to backtracking.
#include "pattern/regex.h"

#include <gtest/gtest.h>

#include <cstddef>
#include <functional>
#include <random>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace trailreplay::pattern {
namespace {

// Shows control and non-ASCII bytes as \xhh so failure messages stay readable.
std::string Show(std::string_view text) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out = "\"";
  for (const char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u >= 0x7F) {
      out += "\\x";
      out += kHex[u >> 4];
      out += kHex[u & 0xF];
    } else {
      out += c;
    }
  }
  return out + "\"";
}

bool SearchOrFail(std::string_view regex, std::string_view subject) {
  const Result<Regex> compiled = Regex::Compile(regex);
  if (!compiled) {
    ADD_FAILURE() << "regex " << Show(regex) << " failed to compile: " << compiled.error().message;
    return false;
  }
  return compiled->Search(subject);
}

// ---------------------------------------------------------------------------------------------
// Accepted syntax.

TEST(RegexCompileTest, AcceptsDocumentedConstructs) {
  const std::vector<std::string> sources = {
      "AUTHORIZED",
      "gra|ey",
      "10.10.0.1",
      "10\\.10\\.0\\.1",
      "\\x28",
      "^ERROR",
      "request$",
      "111\\.111\\.111\\.1[0-9]{1,2}",
      "127\\.0\\.0\\.[1-9]",
      "\\d{3}",
      "[^a-z]",
      ":_#=@/;,-",
      "abcXYZ0123456789",
      "\\d\\D\\s\\S\\w\\W",
      "\\x00\\x7f\\x41\\x7E",
      // A backslash makes any ASCII punctuation literal, allowed or not.
      "\\.\\[\\]\\\\\\-\\/\\(\\)\\{\\}\\^\\$\\|\\*\\+\\?",
      "\\!\\\"\\#\\%\\&\\'\\,\\:\\;\\<\\=\\>\\@\\_\\`\\~",
      // Character classes.
      "[abc]",
      "[a-z0-9_]",
      "[^abc]",
      "[-a]",
      "[a-]",
      "[^-]",
      "[\\]]",
      "[\\-]",
      "[\\d\\s]",
      "[\\x41-\\x5a]",
      "[a-c-e]",
      "[\\d-z]",
      "[[]",
      "[.*+?{}|$^]",
      "[^^]",
      "[a-a]",
      "[\\(\\)]",
      // Quantifiers.
      "a?",
      "a*",
      "a+",
      "a{0}",
      "a{3}",
      "a{2,}",
      "a{,3}",
      "a{2,5}",
      "a{0,0}",
      "a{007}",
      "a{1000}",
      "a{1000,}",
      "[ab]{2,3}",
      "\\d+",
      ".*",
      "\\x41{2}",
      // Anchors anywhere; alternation, including empty alternatives.
      "^",
      "$",
      "^$",
      "a^b",
      "$a",
      "^a$|^b$",
      "a||b",
      "|a",
      "a|",
      "|",
      // Exactly kMaxStates states.
      ".{1000}.{1000}.{1000}.{1000}.{96}",
      "a{1000}a{1000}a{1000}a{1000}" + std::string(96, 'b') + "c{0}",
  };
  for (const std::string& source : sources) {
    const Result<Regex> compiled = Regex::Compile(source);
    EXPECT_TRUE(compiled.has_value())
        << Show(source) << ": " << (compiled ? "" : compiled.error().message);
    if (compiled) {
      EXPECT_EQ(compiled->source(), source);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Rejected syntax.

struct RejectCase {
  std::string_view source;
  ErrorCode code;
  std::size_t offset;
  std::string_view message;  // a substring of the expected message
};

constexpr ErrorCode kInvalid = ErrorCode::kInvalidPattern;
constexpr ErrorCode kLimit = ErrorCode::kPatternLimit;

TEST(RegexCompileTest, RejectsWithOffsets) {
  const std::string too_many_atoms = "a{1000}a{1000}a{1000}a{1000}" + std::string(97, 'b');
  const std::vector<RejectCase> cases = {
      {"", kInvalid, 0, "empty regex"},
      // Characters outside the allowed set.
      {"(a*)*", kInvalid, 0, "parentheses (groups) are not supported in CloudWatch regex"},
      {"ab)", kInvalid, 2, "parentheses (groups) are not supported"},
      {"a!", kInvalid, 1, "character '!' is not allowed in a CloudWatch regex"},
      {"\"", kInvalid, 0, "character '\"' is not allowed"},
      {"it's", kInvalid, 2, "character ''' is not allowed"},
      {"50%", kInvalid, 2, "character '%' is not allowed"},
      {"a<b", kInvalid, 1, "character '<' is not allowed"},
      {"a>b", kInvalid, 1, "character '>' is not allowed"},
      {"a&b", kInvalid, 1, "character '&' is not allowed"},
      {"~", kInvalid, 0, "character '~' is not allowed"},
      {"`", kInvalid, 0, "character '`' is not allowed"},
      {"a\xC3\xA9", kInvalid, 1, "non-ASCII characters are not allowed"},
      {"\xFF", kInvalid, 0, "non-ASCII"},
      {"a\tb", kInvalid, 1, "control character \\x09 is not allowed"},
      {std::string_view("a\0b", 3), kInvalid, 1, "control character \\x00"},
      {"\x7F", kInvalid, 0, "control character \\x7f"},
      // Quantifiers without an operand, or stacked.
      {"*a", kInvalid, 0, "nothing to repeat before '*'"},
      {"+", kInvalid, 0, "nothing to repeat before '+'"},
      {"?", kInvalid, 0, "nothing to repeat before '?'"},
      {"{2}", kInvalid, 0, "nothing to repeat before '{'"},
      {"a|*b", kInvalid, 2, "nothing to repeat before '*'"},
      {"a**", kInvalid, 2, "quantifier '*' directly after another quantifier"},
      {"a*?", kInvalid, 2, "quantifier '?' directly after another quantifier"},
      {"a+*", kInvalid, 2, "directly after another quantifier"},
      {"a{2}{3}", kInvalid, 4, "quantifier '{' directly after another quantifier"},
      {"a?{0}", kInvalid, 2, "directly after another quantifier"},
      {".*{2}", kInvalid, 2, "directly after another quantifier"},
      {"^*", kInvalid, 1, "anchor (^ or $) cannot be repeated"},
      {"a$+", kInvalid, 2, "anchor (^ or $) cannot be repeated"},
      {"^{2}", kInvalid, 1, "anchor"},
      // Malformed repetition.
      {"a{", kInvalid, 1, "'{' must start a repetition"},
      {"a{}", kInvalid, 1, "'{' must start a repetition"},
      {"a{,}", kInvalid, 1, "'{' must start a repetition"},
      {"a{1,2", kInvalid, 1, "'{' must start a repetition"},
      {"a{x}", kInvalid, 1, "'{' must start a repetition"},
      {"a{1;2}", kInvalid, 1, "'{' must start a repetition"},
      {"a{-1}", kInvalid, 1, "'{' must start a repetition"},
      {"a{1,2,3}", kInvalid, 1, "'{' must start a repetition"},
      {"a{3,2}", kInvalid, 1, "repetition {m,n} with m above n"},
      {"a{1001}", kLimit, 2, "repetition count above 1000"},
      {"a{0,1001}", kLimit, 4, "repetition count above 1000"},
      {"a{,1001}", kLimit, 3, "repetition count above 1000"},
      {"a{99999999999999999999999}", kLimit, 2, "repetition count above 1000"},
      // Stray closers.
      {"a]", kInvalid, 1, "unmatched ']'"},
      {"a}", kInvalid, 1, "unmatched '}'"},
      {"[[:alpha:]]", kInvalid, 10, "unmatched ']'"},
      // Character classes.
      {"[abc", kInvalid, 0, "unterminated character class"},
      {"a[^", kInvalid, 1, "unterminated character class"},
      {"[a-", kInvalid, 0, "unterminated character class"},
      {"x[\\]", kInvalid, 1, "unterminated character class"},
      {"[]", kInvalid, 1, "empty character class"},
      {"[]a]", kInvalid, 1, "empty character class"},
      {"[^]a]", kInvalid, 2, "empty character class"},
      {"[z-a]", kInvalid, 1, "reversed range in character class"},
      {"[ab9-0]", kInvalid, 3, "reversed range"},
      {"[a-\\d]", kInvalid, 3, "range must end in a single character"},
      {"[(]", kInvalid, 1, "parentheses"},
      {"[a!]", kInvalid, 2, "character '!' is not allowed"},
      {"[\\n]", kInvalid, 1, "unsupported escape '\\n'"},
      {"[\\x8]", kInvalid, 1, "invalid \\x escape: need two hex digits"},
      // Escapes.
      {"\\x4", kInvalid, 0, "invalid \\x escape: need two hex digits"},
      {"\\x4g", kInvalid, 0, "invalid \\x escape: need two hex digits"},
      {"\\x", kInvalid, 0, "invalid \\x escape"},
      {"a\\xG1", kInvalid, 1, "invalid \\x escape"},
      {"\\x80", kInvalid, 0, "\\x escape above \\x7f"},
      {"ab\\xff", kInvalid, 2, "\\x escape above \\x7f"},
      {"\\n", kInvalid, 0, "unsupported escape '\\n'"},
      {"a\\b", kInvalid, 1, "unsupported escape '\\b'"},
      {"\\1", kInvalid, 0, "unsupported escape '\\1'"},
      {"\\B", kInvalid, 0, "unsupported escape '\\B'"},
      {"\\X41", kInvalid, 0, "unsupported escape '\\X'"},
      {"a\\", kInvalid, 1, "trailing backslash"},
      {"\\ ", kInvalid, 0, "a backslash must be followed by"},
      {"\\\xC3\xA9", kInvalid, 0, "a backslash must be followed by"},
      // Size limits: the fifth '{' takes the expansion to 5000 states.
      {"a{1000}a{1000}a{1000}a{1000}a{1000}", kLimit, 29, "regex expands to more than 4096 states"},
      {"a{1000}a{1000}a{1000}a{1000}a{97}", kLimit, 29, "more than 4096 states"},
      {"a{1000}|a{1000}|a{1000}|a{1000}|a{100,}", kLimit, 33, "more than 4096 states"},
      // The 4097th state is a plain atom, the last character.
      {too_many_atoms, kLimit, too_many_atoms.size() - 1, "more than 4096 states"},
  };
  for (const RejectCase& c : cases) {
    SCOPED_TRACE(Show(c.source));
    const Result<Regex> compiled = Regex::Compile(c.source);
    if (compiled) {
      ADD_FAILURE() << "compiled, but should fail with: " << c.message;
      continue;
    }
    const Error& error = compiled.error();
    EXPECT_EQ(error.code, c.code);
    EXPECT_EQ(error.offset, c.offset);
    EXPECT_NE(error.message.find(c.message), std::string::npos) << error.message;
    EXPECT_EQ(error.subject, c.source);
  }
}

// ---------------------------------------------------------------------------------------------
// Matching.

struct MatchCase {
  std::string regex;
  std::string subject;
  bool expected;
};

TEST(RegexSearchTest, AwsDocumentationExamples) {
  const std::vector<MatchCase> cases = {
      {"AUTHORIZED", "[ERROR 401] UNAUTHORIZED REQUEST", true},
      {"AUTHORIZED", "[ERROR 401] authorized request", false},
      // `gra|ey` is "gra" or "ey", not gr(a|e)y.
      {"gra|ey", "gray", true},
      {"gra|ey", "grey", true},
      {"gra|ey", "gry", false},
      {"gra|ey", "they", true},
      {"10.10.0.1", "10010,051", true},
      // The doc's own example holds a space, though its character list omits it.
      {"^starting|^initializing|^shutting down", "shutting down now", true},
      {"^starting|^initializing|^shutting down", "skipping initializing", false},
      {"[a b]c", "x c", true},
      {"10\\.10\\.0\\.1", "10010,051", false},
      {"10\\.10\\.0\\.1", "ip 10.10.0.1 ok", true},
      {"\\x28", "(", true},
      {"\\x28", "a(b", true},
      {"\\x28", "a)b", false},
      {"^ERROR", "ERROR: disk full", true},
      {"^ERROR", "xERROR", false},
      {"request$", "bad request", true},
      {"request$", "request denied", false},
      {"111\\.111\\.111\\.1[0-9]{1,2}", "from 111.111.111.15", true},
      {"111\\.111\\.111\\.1[0-9]{1,2}", "from 111.111.111.199", true},
      {"111\\.111\\.111\\.1[0-9]{1,2}", "from 111.111.111.1", false},
      {"111\\.111\\.111\\.1[0-9]{1,2}", "from 111.111.111.1x", false},
      {"127\\.0\\.0\\.[1-9]", "127.0.0.1", true},
      {"127\\.0\\.0\\.[1-9]", "127.0.0.0", false},
      {"\\d{3}", "code 404", true},
      {"\\d{3}", "code 40", false},
      {"[^a-z]", "abc", false},
      {"[^a-z]", "abC", true},
      {"[^a-z]", "ab\xC3\xA9", true},
  };
  for (const MatchCase& c : cases) {
    EXPECT_EQ(SearchOrFail(c.regex, c.subject), c.expected)
        << "regex " << Show(c.regex) << " subject " << Show(c.subject);
  }
}

TEST(RegexSearchTest, Constructs) {
  const std::vector<MatchCase> cases = {
      // Literals and escapes.
      {"abc", "xxabcxx", true},
      {"abc", "ab", false},
      {"abc", "ABC", false},
      {"\\.", "a.b", true},
      {"\\.", "ab", false},
      {"\\[x\\]", "[x]", true},
      {"\\\\", "a\\b", true},
      {"\\-\\/", "-/", true},
      {"\\(\\)", "f()", true},
      {"\\^\\$", "^$", true},
      {"\\x41\\x5a", "AZ", true},
      {"\\x41", "a", false},
      {"\\x00", std::string("a\0b", 3), true},
      {"\\d", "a1", true},
      {"\\d", "ab", false},
      {"\\D", "12", false},
      {"\\D", "1a", true},
      {"\\s", "a\tb", true},
      {"\\s", "a\vb", true},
      {"\\s", "ab", false},
      {"\\S", " \t\n", false},
      {"\\w", "_", true},
      {"\\w", "-+", false},
      {"\\W", "a-b", true},
      {"\\W", "a_b", false},
      // Classes.
      {"[abc]", "xbx", true},
      {"[abc]", "xyz", false},
      {"[a-c]{3}", "cab", true},
      {"[-a]", "-", true},
      {"[a-]", "-", true},
      {"[a-]", "b", false},
      {"[a-c-e]", "-", true},
      {"[a-c-e]", "d", false},
      {"[a-c-e]", "e", true},
      {"[\\d-z]", "-", true},
      {"[\\d-z]", "y", false},
      {"[\\]]", "]", true},
      {"[\\x41-\\x43]", "B", true},
      {"[\\x41-\\x43]", "D", false},
      {"[.]", "a", false},
      {"[.]", ".", true},
      {"[$^]", "^", true},
      {"[^^]", "^", false},
      {"[^\\d]", "1", false},
      {"[^\\d]", "x", true},
      {"[\\D]", "\xC3\xA9", true},
      {"[^-]", "-", false},
      // Quantifiers.
      {"ab?c", "ac", true},
      {"ab?c", "abc", true},
      {"ab?c", "abbc", false},
      {"ab*c", "abbbbc", true},
      {"ab+c", "ac", false},
      {"ab+c", "abbc", true},
      {"^a{3}$", "aaa", true},
      {"^a{3}$", "aa", false},
      {"^a{3}$", "aaaa", false},
      {"^a{2,}$", "a", false},
      {"^a{2,}$", "aaaaaa", true},
      {"^a{,2}$", "", true},
      {"^a{,2}$", "aa", true},
      {"^a{,2}$", "aaa", false},
      {"^a{2,3}$", "aaa", true},
      {"^a{2,3}$", "aaaa", false},
      {"^xa{0}y$", "xy", true},
      {"^xa{0}y$", "xay", false},
      {"^a{1000}$", std::string(1000, 'a'), true},
      {"^a{1000}$", std::string(999, 'a'), false},
      {"^a{1000,}$", std::string(1500, 'a'), true},
      {"^a{1000,}b", std::string(999, 'a') + "b", false},
      // Anchors.
      {"^", "", true},
      {"$", "", true},
      {"^$", "", true},
      {"^$", "a", false},
      {"a^b", "ab", false},
      {"a^b", "a^b", false},
      {"a$b", "ab", false},
      {"$a", "a", false},
      {"a$", "ba", true},
      {"a$", "ab", false},
      {"^a", "ba", false},
      {"^a|b$", "xa", false},
      {"^a|b$", "ab", true},
      {"^a|b$", "bx", false},
      {"^a|b$", "xb", true},
      {"a*$", "bbb", true},  // empty match at the end
      // Alternation and empty alternatives.
      {"cat|dog", "hotdog", true},
      {"cat|dog", "bird", false},
      {"a||b", "zzz", true},
      {"|a", "", true},
      {"a|", "zzz", true},
      {"|", "x", true},
      // Empty subjects.
      {"a*", "", true},
      {"a", "", false},
      {"[^a]", "", false},
      {"a?$", "", true},
  };
  for (const MatchCase& c : cases) {
    EXPECT_EQ(SearchOrFail(c.regex, c.subject), c.expected)
        << "regex " << Show(c.regex) << " subject " << Show(c.subject);
  }
}

TEST(RegexSearchTest, MultiByteCharactersAreOneCharacter) {
  const std::string e_acute = "\xC3\xA9";        // 2 bytes
  const std::string nichi = "\xE6\x97\xA5";      // 3 bytes
  const std::string emoji = "\xF0\x9F\x98\x80";  // 4 bytes
  const std::vector<MatchCase> cases = {
      {"^.$", e_acute, true},
      {"^.$", nichi, true},
      {"^.$", emoji, true},
      {"^..$", e_acute, false},
      {"^.{2}$", nichi + nichi, true},
      {"^.{3}$", nichi + "a" + e_acute, true},
      {"^[^a]$", nichi, true},
      {"^\\D$", emoji, true},
      {"^\\S$", e_acute, true},
      {"^\\W$", nichi, true},
      {"\\w", e_acute, false},
      {"\\d", nichi, false},
      // A match never starts inside a character, so one 3-byte character is not two.
      {"[^a]{2}", nichi, false},
      {".{2}", e_acute, false},
      {"a.b", "a" + nichi + "b", true},
      {"a.b", "a" + nichi + nichi + "b", false},
      // Malformed UTF-8: a truncated sequence stops at the first non-continuation byte, so an
      // ASCII byte is always its own character; stray bytes are one character each.
      {"^.$", "\xC3", true},
      {"^...$",
       "\xE6"
       "ab",
       true},
      {"^.ab$",
       "\xE6"
       "ab",
       true},
      {"ab",
       "\xE6"
       "ab",
       true},
      {"^..$", "\x80\x80", true},
      {"^.$", "\xFF", true},
      {"^.$", "\xE6\x97", true},
      {"^.$", "\xF0\x9F\x98\x80\x80", false},
  };
  for (const MatchCase& c : cases) {
    EXPECT_EQ(SearchOrFail(c.regex, c.subject), c.expected)
        << "regex " << Show(c.regex) << " subject " << Show(c.subject);
  }
}

TEST(RegexSearchTest, ManyStatesSpanSeveralWords) {
  const std::vector<MatchCase> cases = {
      {"^a{70}$", std::string(70, 'a'), true},
      {"^a{70}$", std::string(69, 'a'), false},
      {"^a{70}$", std::string(71, 'a'), false},
      {"a{70}", "b" + std::string(70, 'a') + "b", true},
      // Runs of optional states cross word boundaries.
      {"^xa{0,200}y$", "xy", true},
      {"^xa{0,200}y$", "x" + std::string(63, 'a') + "y", true},
      {"^xa{0,200}y$", "x" + std::string(64, 'a') + "y", true},
      {"^xa{0,200}y$", "x" + std::string(200, 'a') + "y", true},
      {"^xa{0,200}y$", "x" + std::string(201, 'a') + "y", false},
      {"b{60}x?y?z?w?v?c", std::string(60, 'b') + "c", true},
      {"b{60}x?y?z?w?v?c", std::string(60, 'b') + "xzvc", true},
      {"b{60}x?y?z?w?v?c", std::string(60, 'b') + "zxc", false},
      {".{1000}.{1000}.{1000}.{1000}.{96}", std::string(4096, 'q'), true},
      {".{1000}.{1000}.{1000}.{1000}.{96}", std::string(4095, 'q'), false},
      {"^a{100}|b{100}$", std::string(100, 'b'), true},
      {"^a{100}|b{100}$", std::string(100, 'b') + "c", false},
      {"^a{100}|b{100}$", std::string(100, 'a') + "c", true},
  };
  for (const MatchCase& c : cases) {
    EXPECT_EQ(SearchOrFail(c.regex, c.subject), c.expected)
        << "regex " << Show(c.regex) << " subject " << Show(c.subject);
  }
}

TEST(RegexSearchTest, HostilePatternsFinishQuickly) {
  const std::string many_a(100000, 'a');
  EXPECT_FALSE(SearchOrFail("a*a*a*a*a*a*a*a*b", many_a));
  EXPECT_FALSE(SearchOrFail("a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?b", many_a));
  EXPECT_FALSE(SearchOrFail("a{0,1000}a{0,1000}a{0,1000}a{0,1000}b", many_a));
  EXPECT_FALSE(SearchOrFail("[ab]*[ab]*[ab]*c$", many_a));
  EXPECT_TRUE(SearchOrFail("a*a*a*a*a*a*a*a*$", many_a));
  EXPECT_TRUE(SearchOrFail("^a{1000}a{1000}a{1000}a{1000}", many_a));
}

TEST(RegexSearchTest, SafeToShareAcrossThreads) {
  const Result<Regex> regex = Regex::Compile("\\d{3}\\.\\d{1,3}|^x{0,100}y$");
  ASSERT_TRUE(regex.has_value());
  std::vector<std::thread> threads;
  std::vector<int> failures(4, 0);
  for (std::size_t t = 0; t < failures.size(); ++t) {
    threads.emplace_back([&regex, &failures, t] {
      for (int i = 0; i < 2000; ++i) {
        if (!regex->Search("ip 192.168") || regex->Search("ip 19.168") ||
            !regex->Search(std::string(50, 'x') + "y")) {
          ++failures[t];
        }
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  for (const int count : failures) EXPECT_EQ(count, 0);
}

// ---------------------------------------------------------------------------------------------
// Differential test against a naive backtracking matcher over a generated AST.

// One character of the subject, decoded by the documented rule: an ASCII byte, or a lead byte
// with the continuation bytes it announces (stopping at the first byte that is not one).
struct RefChar {
  bool ascii;
  char byte;  // meaningful when ascii
};

std::vector<RefChar> DecodeForReference(std::string_view subject) {
  std::vector<RefChar> chars;
  std::size_t i = 0;
  while (i < subject.size()) {
    const auto lead = static_cast<unsigned char>(subject[i]);
    if (lead < 0x80) {
      chars.push_back({true, subject[i]});
      ++i;
      continue;
    }
    std::size_t want = 1;
    if ((lead & 0xE0) == 0xC0) want = 2;
    if ((lead & 0xF0) == 0xE0) want = 3;
    if ((lead & 0xF8) == 0xF0) want = 4;
    std::size_t got = 1;
    while (got < want && i + got < subject.size() &&
           (static_cast<unsigned char>(subject[i + got]) & 0xC0) == 0x80) {
      ++got;
    }
    chars.push_back({false, 0});
    i += got;
  }
  return chars;
}

struct RefAtom {
  std::string text;
  std::function<bool(const RefChar&)> matches;
};

constexpr std::size_t kRefUnbounded = static_cast<std::size_t>(-1);

struct RefItem {
  enum class Kind { kAtom, kCaret, kDollar } kind = Kind::kAtom;
  const RefAtom* atom = nullptr;
  std::size_t min = 1;
  std::size_t max = 1;
  std::string quantifier;
};

using RefAlternative = std::vector<RefItem>;

bool IsAsciiDigit(const RefChar& c) { return c.ascii && c.byte >= '0' && c.byte <= '9'; }
bool IsAsciiWord(const RefChar& c) {
  return c.ascii && ((c.byte >= 'a' && c.byte <= 'z') || (c.byte >= 'A' && c.byte <= 'Z') ||
                     IsAsciiDigit(c) || c.byte == '_');
}

const std::vector<RefAtom>& RefAtoms() {
  static const std::vector<RefAtom> atoms = {
      {"a", [](const RefChar& c) { return c.ascii && c.byte == 'a'; }},
      {"b", [](const RefChar& c) { return c.ascii && c.byte == 'b'; }},
      {"1", [](const RefChar& c) { return c.ascii && c.byte == '1'; }},
      {".", [](const RefChar&) { return true; }},
      {"[ab]", [](const RefChar& c) { return c.ascii && (c.byte == 'a' || c.byte == 'b'); }},
      {"[^a]", [](const RefChar& c) { return !c.ascii || c.byte != 'a'; }},
      {"[a-b1]",
       [](const RefChar& c) {
         return c.ascii && c.byte >= '1' && c.byte <= 'b' && (c.byte == '1' || c.byte >= 'a');
       }},
      {"\\d", [](const RefChar& c) { return IsAsciiDigit(c); }},
      {"\\D", [](const RefChar& c) { return !IsAsciiDigit(c); }},
      {"\\w", [](const RefChar& c) { return IsAsciiWord(c); }},
      {"\\W", [](const RefChar& c) { return !IsAsciiWord(c); }},
      {"\\x62", [](const RefChar& c) { return c.ascii && c.byte == 'b'; }},
  };
  return atoms;
}

// Exhaustive backtracking: tries every repetition count at every step. Memoised on (item,
// position) only so the larger multi-word cases stay fast; the result is the same.
class ReferenceMatcher {
 public:
  ReferenceMatcher(const std::vector<RefAlternative>& alternatives, std::string_view subject)
      : alternatives_(alternatives), chars_(DecodeForReference(subject)) {}

  bool Search() {
    for (const RefAlternative& alternative : alternatives_) {
      alternative_ = &alternative;
      memo_.assign((alternative.size() + 1) * (chars_.size() + 1), -1);
      for (std::size_t start = 0; start <= chars_.size(); ++start) {
        if (MatchFrom(0, start)) return true;
      }
    }
    return false;
  }

 private:
  bool MatchFrom(std::size_t k, std::size_t pos) {
    const RefAlternative& items = *alternative_;
    if (k == items.size()) return true;
    signed char& memo = memo_[k * (chars_.size() + 1) + pos];
    if (memo >= 0) return memo == 1;
    bool result = false;
    const RefItem& item = items[k];
    if (item.kind == RefItem::Kind::kCaret) {
      result = pos == 0 && MatchFrom(k + 1, pos);
    } else if (item.kind == RefItem::Kind::kDollar) {
      result = pos == chars_.size() && MatchFrom(k + 1, pos);
    } else {
      std::size_t p = pos;
      for (std::size_t count = 0;; ++count) {
        if (count >= item.min && MatchFrom(k + 1, p)) {
          result = true;
          break;
        }
        if (count == item.max || p == chars_.size() || !item.atom->matches(chars_[p])) break;
        ++p;
      }
    }
    memo = result ? 1 : 0;
    return result;
  }

  const std::vector<RefAlternative>& alternatives_;
  std::vector<RefChar> chars_;
  const RefAlternative* alternative_ = nullptr;
  std::vector<signed char> memo_;
};

struct GeneratorOptions {
  std::size_t max_alternatives;
  std::size_t max_items;
  std::size_t max_count;
  int anchor_percent;
  int empty_alternative_percent;
};

class RegexGenerator {
 public:
  explicit RegexGenerator(std::uint32_t seed) : rng_(seed) {}

  std::size_t Uniform(std::size_t low, std::size_t high) {
    return std::uniform_int_distribution<std::size_t>(low, high)(rng_);
  }
  bool Percent(int percent) { return std::uniform_int_distribution<int>(0, 99)(rng_) < percent; }

  std::vector<RefAlternative> Generate(const GeneratorOptions& options) {
    std::vector<RefAlternative> alternatives(Uniform(1, options.max_alternatives));
    for (RefAlternative& alternative : alternatives) {
      if (Percent(options.empty_alternative_percent)) continue;
      const std::size_t items = Uniform(1, options.max_items);
      for (std::size_t i = 0; i < items; ++i) alternative.push_back(Item(options));
    }
    return alternatives;
  }

  std::string Subject(const std::vector<std::string>& pieces, std::size_t max_length) {
    std::string subject;
    const std::size_t length = Uniform(0, max_length);
    for (std::size_t i = 0; i < length; ++i) subject += pieces[Uniform(0, pieces.size() - 1)];
    return subject;
  }

  // A subject built to (nearly) match one alternative, ignoring anchors, then lightly mutated:
  // uniformly random subjects almost never match a long regex.
  std::string SampledSubject(const std::vector<RefAlternative>& alternatives,
                             const std::vector<std::string>& pieces) {
    const RefAlternative& alternative = alternatives[Uniform(0, alternatives.size() - 1)];
    std::vector<std::string> chars;
    for (const RefItem& item : alternative) {
      if (item.kind != RefItem::Kind::kAtom) continue;
      const std::size_t most = item.max == kRefUnbounded ? item.min + 3 : item.max;
      const std::size_t count = Uniform(item.min, most);
      for (std::size_t i = 0; i < count; ++i) {
        // Rejection-sample a piece the atom accepts; every atom accepts some piece.
        for (int attempt = 0; attempt < 100; ++attempt) {
          const std::string& piece = pieces[Uniform(0, pieces.size() - 1)];
          const std::vector<RefChar> decoded = DecodeForReference(piece);
          if (decoded.size() == 1 && item.atom->matches(decoded[0])) {
            chars.push_back(piece);
            break;
          }
        }
      }
    }
    const std::size_t mutations = Uniform(0, 2);
    for (std::size_t m = 0; m < mutations; ++m) {
      const std::string& piece = pieces[Uniform(0, pieces.size() - 1)];
      const std::size_t at = Uniform(0, chars.size());
      switch (Uniform(0, 2)) {
        case 0:
          chars.insert(chars.begin() + static_cast<std::ptrdiff_t>(at), piece);
          break;
        case 1:
          if (at < chars.size()) chars.erase(chars.begin() + static_cast<std::ptrdiff_t>(at));
          break;
        default:
          if (at < chars.size()) chars[at] = piece;
          break;
      }
    }
    std::string subject = Subject(pieces, 2);
    for (const std::string& c : chars) subject += c;
    return subject + Subject(pieces, 2);
  }

 private:
  RefItem Item(const GeneratorOptions& options) {
    RefItem item;
    if (Percent(options.anchor_percent)) {
      item.kind = Percent(50) ? RefItem::Kind::kCaret : RefItem::Kind::kDollar;
      return item;
    }
    item.atom = &RefAtoms()[Uniform(0, RefAtoms().size() - 1)];
    const std::size_t m = Uniform(0, options.max_count);
    const std::size_t n = Uniform(m, options.max_count);
    switch (Uniform(0, 9)) {
      case 0:
        item.quantifier = "?";
        item.min = 0;
        break;
      case 1:
        item.quantifier = "*";
        item.min = 0;
        item.max = kRefUnbounded;
        break;
      case 2:
        item.quantifier = "+";
        item.max = kRefUnbounded;
        break;
      case 3:
        item.quantifier = "{" + std::to_string(m) + "}";
        item.min = item.max = m;
        break;
      case 4:
        item.quantifier = "{" + std::to_string(m) + ",}";
        item.min = m;
        item.max = kRefUnbounded;
        break;
      case 5:
        item.quantifier = "{," + std::to_string(n) + "}";
        item.min = 0;
        item.max = n;
        break;
      case 6:
        item.quantifier = "{" + std::to_string(m) + "," + std::to_string(n) + "}";
        item.min = m;
        item.max = n;
        break;
      default:
        break;  // no quantifier
    }
    return item;
  }

  std::mt19937 rng_;
};

std::string Render(const std::vector<RefAlternative>& alternatives) {
  std::string out;
  for (std::size_t i = 0; i < alternatives.size(); ++i) {
    if (i > 0) out += '|';
    for (const RefItem& item : alternatives[i]) {
      switch (item.kind) {
        case RefItem::Kind::kCaret:
          out += '^';
          break;
        case RefItem::Kind::kDollar:
          out += '$';
          break;
        case RefItem::Kind::kAtom:
          out += item.atom->text + item.quantifier;
          break;
      }
    }
  }
  return out;
}

// Runs `regexes` random regexes against `subjects` random subjects each; returns how many
// searches matched, so callers can check the test exercised both outcomes.
std::size_t RunDifferential(std::uint32_t seed, const GeneratorOptions& options,
                            std::size_t regexes, std::size_t subjects,
                            const std::vector<std::string>& pieces, std::size_t max_length) {
  RegexGenerator generator(seed);
  std::size_t matched = 0;
  std::size_t mismatches = 0;
  for (std::size_t r = 0; r < regexes; ++r) {
    const std::vector<RefAlternative> alternatives = generator.Generate(options);
    const std::string source = Render(alternatives);
    if (source.empty()) continue;  // the empty regex is an error, tested elsewhere
    const Result<Regex> regex = Regex::Compile(source);
    if (!regex) {
      ADD_FAILURE() << "regex " << Show(source) << " failed: " << regex.error().message;
      continue;
    }
    for (std::size_t s = 0; s < subjects; ++s) {
      const std::string subject = s % 2 == 0 ? generator.Subject(pieces, max_length)
                                             : generator.SampledSubject(alternatives, pieces);
      const bool expected = ReferenceMatcher(alternatives, subject).Search();
      const bool actual = regex->Search(subject);
      matched += expected ? 1 : 0;
      if (actual != expected && ++mismatches <= 20) {
        ADD_FAILURE() << "regex " << Show(source) << " subject " << Show(subject)
                      << ": Search() = " << actual << ", reference = " << expected;
      }
    }
  }
  EXPECT_EQ(mismatches, 0u);
  return matched;
}

TEST(RegexDifferentialTest, SmallRegexesAgreeWithBacktracking) {
  const GeneratorOptions options{3, 5, 3, 10, 3};
  const std::vector<std::string> pieces = {"a", "b", "1", "\xC3\xA9"};
  const std::size_t regexes = 4000;
  const std::size_t subjects = 12;
  const std::size_t matched = RunDifferential(20240611, options, regexes, subjects, pieces, 8);
  EXPECT_GT(matched, regexes * subjects / 10);
  EXPECT_LT(matched, regexes * subjects * 9 / 10);
}

TEST(RegexDifferentialTest, MalformedUtf8AgreesWithBacktracking) {
  const GeneratorOptions options{2, 4, 2, 10, 2};
  const std::vector<std::string> pieces = {"a",        "b",   "\xC3", "\xA9", "\xE6\x97\xA5",
                                           "\xF0\x9F", "\xFF"};
  RunDifferential(7, options, 2000, 10, pieces, 6);
}

TEST(RegexDifferentialTest, LongRegexesSpanningWordsAgree) {
  // 20-60 items with counts up to 6 give well over 64 states, so runs of optional states and
  // shifts cross 64-bit word boundaries.
  const GeneratorOptions options{2, 60, 6, 2, 0};
  const std::vector<std::string> pieces = {"a", "b", "1"};
  const std::size_t regexes = 300;
  const std::size_t subjects = 20;
  const std::size_t matched = RunDifferential(99, options, regexes, subjects, pieces, 120);
  EXPECT_GT(matched, regexes * subjects / 10);
}

}  // namespace
}  // namespace trailreplay::pattern

// A hand-written recursive-descent parser over the raw pattern bytes. There is no separate
// token stream: CloudWatch's lexical rules depend on context (a bareword value may contain
// '.', '*' and '-', a term is anything up to a blank), so each production reads the bytes it
// expects. Every error carries the byte offset of the offending spot so the CLI can reprint
// the pattern with a caret under it.
//
// Recursion happens only at '(' and is bounded by kMaxDepth; the 1024-byte limit is checked
// before anything else, so hostile input (a megabyte of parentheses) is rejected in O(1)
// stack.
#include "pattern/parser.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <optional>

namespace trailreplay::pattern {
namespace {

bool IsBlank(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f'; }
bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsAlnum(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || IsDigit(c); }
bool IsNameChar(char c) { return IsAlnum(c) || c == '_' || c == '-'; }

std::string Describe(char c) {
  const auto u = static_cast<unsigned char>(c);
  if (u < 0x20 || u >= 0x7f) {
    char buffer[8];
    std::snprintf(buffer, sizeof buffer, "0x%02x", u);
    return std::string("byte ") + buffer;
  }
  if (c == '\'') return "\"'\"";
  return std::string("'") + c + "'";
}

// Which family's grammar a leaf test follows.
enum class Dialect { kJson, kDelimited };

// What an unquoted token is, for the wording of its errors.
enum class Bare { kTerm, kValue };

// The text a user most likely meant by an unquoted token: a backslash before a character that
// is not a letter or digit was an attempted escape (`Failed\!`), which only quotes allow.
std::string Unescaped(std::string_view token) {
  std::string out;
  for (std::size_t i = 0; i < token.size(); ++i) {
    if (token[i] == '\\' && i + 1 < token.size() && !IsAlnum(token[i + 1])) continue;
    out += token[i];
  }
  return out;
}

// Whether `text` at `at` starts the word `word`, compared case-insensitively (Logs Insights
// keywords are written in either case).
bool WordAtCi(std::string_view text, std::size_t at, std::string_view word) {
  if (text.size() - std::min(at, text.size()) < word.size()) return false;
  for (std::size_t i = 0; i < word.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(text[at + i])) != word[i]) return false;
  }
  return at + word.size() == text.size() || !IsNameChar(text[at + word.size()]);
}

class Parser {
 public:
  explicit Parser(std::string_view source) : src_(source) {}

  Result<Pattern> Parse();
  Result<Selector> ParseWholeSelector();

 private:
  // ---- low-level cursor helpers ----
  bool AtEnd() const { return pos_ >= src_.size(); }
  char Peek(std::size_t ahead = 0) const {
    return pos_ + ahead < src_.size() ? src_[pos_ + ahead] : '\0';
  }
  bool LookingAt(std::string_view text) const { return src_.substr(pos_, text.size()) == text; }
  void SkipBlanks() {
    while (!AtEnd() && IsBlank(src_[pos_])) ++pos_;
  }
  Error Fail(std::string message, std::size_t at,
             ErrorCode code = ErrorCode::kInvalidPattern) const {
    return MakeError(code, std::move(message), at, std::string(src_));
  }
  Error FailHere(std::string message) const { return Fail(std::move(message), pos_); }
  Error Unexpected(std::string_view expected) const {
    if (AtEnd()) return FailHere("expected " + std::string(expected) + ", found end of pattern");
    return FailHere("expected " + std::string(expected) + ", found " + Describe(Peek()));
  }

  // ---- families ----
  Result<void> ParseTerms();
  Result<void> ParseStandaloneRegex();
  Result<void> ParseJson();
  Result<void> ParseDelimited();

  // ---- shared expression grammar ----
  Result<Expr> ParseOr(Dialect dialect, std::size_t depth);
  Result<Expr> ParseAnd(Dialect dialect, std::size_t depth);
  Result<Expr> ParseUnary(Dialect dialect, std::size_t depth);
  using Operand = Result<Expr> (Parser::*)(Dialect, std::size_t);
  Result<Expr> ParseChain(ExprKind kind, std::string_view op, Operand operand, Dialect dialect,
                          std::size_t depth);
  Result<Expr> ParseJsonTest();
  Result<Expr> ParseDelimitedTest();
  Result<CompareOp> ParseOperator();
  Result<Value> ParseValue(CompareOp op, Dialect dialect);
  Result<Value> ParseRegexValue();
  Result<Selector> ParseSelector();
  Result<std::string> ParseQuoted(char quote);  // at the opening quote

  // The unquoted token src_[start, end) is a term or a value: an error at its first character
  // CloudWatch accepts only inside quotes (spec: src/README.md, "What a pattern may leave
  // unquoted"), showing the token quoted; nothing when every character is allowed.
  std::optional<Error> CheckBare(std::size_t start, std::size_t end, Bare what) const;
  // Logs Insights comparison syntax (`like`, `not like`, `=~`, `in`) at the cursor, where a
  // filter pattern expects its operator: the error saying so.
  std::optional<Error> LogsInsightsOperator() const;

  // Adds a selector (deduplicated) and returns its index.
  std::uint32_t InternSelector(Selector selector);

  std::string_view src_;
  std::size_t pos_ = 0;
  Pattern pattern_;
  std::size_t regex_count_ = 0;
  std::size_t wildcard_selectors_ = 0;
  // Delimited leaves may name fields declared later in the pattern, so each leaf first gets an
  // id into leaf_names_ and is resolved to a slot once all slots are known.
  std::vector<std::string> leaf_names_;
};

Result<Pattern> Parser::Parse() {
  pattern_.source = std::string(src_);
  if (src_.size() > kMaxPatternBytes) {
    return Fail("pattern is " + std::to_string(src_.size()) + " bytes; CloudWatch allows at most " +
                    std::to_string(kMaxPatternBytes),
                kMaxPatternBytes, ErrorCode::kPatternLimit);
  }
  SkipBlanks();
  if (AtEnd()) {
    pattern_.kind = PatternKind::kMatchAll;
    return std::move(pattern_);
  }
  Result<void> parsed;
  switch (Peek()) {
    case '{':
      parsed = ParseJson();
      break;
    case '[':
      parsed = ParseDelimited();
      break;
    case '%':
      parsed = ParseStandaloneRegex();
      break;
    default:
      parsed = ParseTerms();
      break;
  }
  if (!parsed) return std::move(parsed).error();
  return std::move(pattern_);
}

Result<Selector> Parser::ParseWholeSelector() {
  auto selector = ParseSelector();
  if (!selector) return selector;
  if (!AtEnd()) return Unexpected("the end of the selector");
  return selector;
}

// ---- term expressions -------------------------------------------------------------------

Result<void> Parser::ParseTerms() {
  pattern_.kind = PatternKind::kTerms;
  while (true) {
    SkipBlanks();
    if (AtEnd()) break;
    Term term;
    term.offset = pos_;
    if (Peek() == '-' || Peek() == '?') {
      term.mode = Peek() == '-' ? TermMode::kExcluded : TermMode::kOptional;
      ++pos_;
      if (AtEnd() || IsBlank(Peek())) {
        return Fail(std::string("'") + src_[term.offset] + "' must be followed by a term",
                    term.offset);
      }
    }
    if (Peek() == '"') {
      auto phrase = ParseQuoted('"');
      if (!phrase) return std::move(phrase).error();
      term.text = std::move(*phrase);
      term.quoted = true;
      if (!AtEnd() && !IsBlank(Peek())) {
        return FailHere("a quoted phrase must be followed by a blank or the end of the pattern");
      }
    } else {
      const std::size_t start = pos_;
      while (!AtEnd() && !IsBlank(Peek())) ++pos_;
      if (auto bad = CheckBare(start, pos_, Bare::kTerm)) return std::move(*bad);
      term.text = std::string(src_.substr(start, pos_ - start));
    }
    pattern_.terms.push_back(std::move(term));
  }
  // `""` and `" "` are AWS's spellings of "match everything" (spec A.1.7): a lone required
  // phrase of blanks would otherwise demand a space in every message.
  if (pattern_.terms.size() == 1 && pattern_.terms[0].quoted &&
      pattern_.terms[0].mode == TermMode::kRequired &&
      pattern_.terms[0].text.find_first_not_of(' ') == std::string::npos) {
    pattern_.terms.clear();
    pattern_.kind = PatternKind::kMatchAll;
  }
  return {};
}

Result<std::string> Parser::ParseQuoted(char quote) {
  const std::size_t open = pos_;
  ++pos_;
  std::string text;
  while (!AtEnd()) {
    const char c = src_[pos_];
    if (c == quote) {
      ++pos_;
      return text;
    }
    // Only \" and \\ are escapes (what CDK emits); any other backslash is literal, so a
    // Windows path or a regex-looking value reads as written.
    if (c == '\\' && (Peek(1) == quote || Peek(1) == '\\')) {
      text.push_back(Peek(1));
      pos_ += 2;
      continue;
    }
    text.push_back(c);
    ++pos_;
  }
  return Fail("unterminated quoted string", open);
}

// ---- unquoted tokens ---------------------------------------------------------------------

std::optional<Error> Parser::CheckBare(std::size_t start, std::size_t end, Bare what) const {
  const std::string_view token = src_.substr(start, end - start);
  std::size_t bad = 0;
  while (bad < token.size() &&
         (what == Bare::kTerm ? IsBareTermChar(token[bad]) : IsBareValueChar(token[bad]))) {
    ++bad;
  }
  if (bad == token.size()) return std::nullopt;
  const char c = token[bad];
  const std::string noun = what == Bare::kTerm ? "term" : "value";
  // The token is echoed only when it is printable ASCII: a message must not carry control
  // bytes to a terminal.
  const bool printable = std::all_of(token.begin(), token.end(), [](char b) {
    return static_cast<unsigned char>(b) >= 0x20 && static_cast<unsigned char>(b) < 0x7f;
  });
  const std::string quoted = QuotePatternText(Unescaped(token));
  // Logs Insights spellings get named: a field such as @message, a /regex/.
  if (printable && what == Bare::kTerm && bad == 0 && c == '@' && token.size() > 1) {
    return Fail("'" + std::string(token) +
                    "' is a CloudWatch Logs Insights field, not filter-pattern syntax: a filter "
                    "pattern matches the log message itself, with terms (ERROR, \"two words\") "
                    "or a %regex% (" +
                    quoted + " matches that text)",
                start);
  }
  if (printable && bad == 0 && c == '/' && token.size() > 2 && token.back() == '/') {
    const std::string_view body = token.substr(1, token.size() - 2);
    return Fail("'" + std::string(token) +
                    "' is CloudWatch Logs Insights regex syntax, not filter-pattern syntax: a "
                    "filter pattern writes a regex between percent signs, %" +
                    std::string(body) + "% (" + quoted + " matches that text)",
                start);
  }
  const std::string allowed = what == Bare::kTerm ? "letters, digits, '_' and '-'"
                                                  : "letters, digits and the characters _ - + . *";
  std::string message;
  if (c == '\\') {
    message = "'\\' is not an escape outside quotes";
  } else if (c == '"') {
    message = "'\"' inside an unquoted " + noun;
  } else {
    message = Describe(c) + " must be quoted";
  }
  return Fail(message + ": CloudWatch accepts only " + allowed + " in an unquoted " + noun +
                  (printable ? "; write " + quoted : "; quote the whole " + noun),
              start + bad);
}

std::optional<Error> Parser::LogsInsightsOperator() const {
  const std::string what = " is CloudWatch Logs Insights syntax, not filter-pattern syntax: ";
  if (LookingAt("=~")) {
    return FailHere("'=~'" + what + "a filter pattern matches a regex with = %regex%");
  }
  if (WordAtCi(src_, pos_, "like")) {
    return FailHere("'like'" + what +
                    "match part of a value with a glob (= \"*text*\") or a regex (= %text%)");
  }
  if (WordAtCi(src_, pos_, "not")) {
    std::size_t after = pos_ + 3;
    while (after < src_.size() && IsBlank(src_[after])) ++after;
    if (WordAtCi(src_, after, "like")) {
      return FailHere("'not like'" + what +
                      "exclude with a glob (!= \"*text*\") or a regex (!= %text%)");
    }
  }
  if (WordAtCi(src_, pos_, "in")) {
    std::size_t after = pos_ + 2;
    while (after < src_.size() && IsBlank(src_[after])) ++after;
    if (after < src_.size() && src_[after] == '[') {
      return FailHere("'in [...]'" + what +
                      "compare with each value and join the comparisons with || "
                      "(($.f = a) || ($.f = b))");
    }
  }
  return std::nullopt;
}

// ---- standalone regex -------------------------------------------------------------------

Result<void> Parser::ParseStandaloneRegex() {
  pattern_.kind = PatternKind::kRegex;
  auto value = ParseRegexValue();
  if (!value) return std::move(value).error();
  SkipBlanks();
  if (!AtEnd()) return FailHere("unexpected text after the closing '%' of the regex");
  pattern_.regex = value->regex;
  return {};
}

Result<Value> Parser::ParseRegexValue() {
  const std::size_t open = pos_;
  const std::size_t close = src_.find('%', open + 1);
  if (close == std::string_view::npos) return Fail("unterminated regex: no closing '%'", open);
  const std::string_view body = src_.substr(open + 1, close - open - 1);
  auto regex = Regex::Compile(body);
  if (!regex) {
    Error error = std::move(regex).error();
    if (error.has_offset()) error.offset += open + 1;
    error.subject = std::string(src_);
    return error;
  }
  Value value;
  value.kind = Value::Kind::kRegex;
  value.text = std::string(body);
  value.regex = std::make_shared<const Regex>(std::move(*regex));
  value.offset = open;
  pos_ = close + 1;
  return value;
}

// ---- JSON patterns ----------------------------------------------------------------------

Result<void> Parser::ParseJson() {
  pattern_.kind = PatternKind::kJson;
  ++pos_;  // '{'
  SkipBlanks();
  if (Peek() == '}') return FailHere("empty JSON pattern: expected a test such as $.field = value");
  auto expr = ParseOr(Dialect::kJson, 0);
  if (!expr) return std::move(expr).error();
  SkipBlanks();
  if (Peek() != '}') {
    if (AtEnd()) return FailHere("expected '}' to close the JSON pattern");
    return Unexpected("'&&', '||' or '}'");
  }
  ++pos_;
  SkipBlanks();
  if (!AtEnd()) return FailHere("unexpected text after the closing '}'");
  pattern_.condition = std::move(*expr);
  return {};
}

Result<Expr> Parser::ParseOr(Dialect dialect, std::size_t depth) {
  return ParseChain(ExprKind::kOr, "||", &Parser::ParseAnd, dialect, depth);
}

Result<Expr> Parser::ParseAnd(Dialect dialect, std::size_t depth) {
  return ParseChain(ExprKind::kAnd, "&&", &Parser::ParseUnary, dialect, depth);
}

// operand ( op operand )*, flattened into one n-ary node (or the lone operand).
Result<Expr> Parser::ParseChain(ExprKind kind, std::string_view op, Operand operand,
                                Dialect dialect, std::size_t depth) {
  auto first = (this->*operand)(dialect, depth);
  if (!first) return first;
  Expr node;
  node.kind = kind;
  node.offset = first->offset;
  node.children.push_back(std::move(*first));
  while (true) {
    SkipBlanks();
    if (!LookingAt(op)) {
      if (Peek() == op[0]) {
        return FailHere("expected '" + std::string(op) + "' (a single '" + op[0] +
                        "' is not an operator)");
      }
      break;
    }
    pos_ += 2;
    auto next = (this->*operand)(dialect, depth);
    if (!next) return next;
    node.children.push_back(std::move(*next));
  }
  if (node.children.size() == 1) return std::move(node.children[0]);
  return node;
}

Result<Expr> Parser::ParseUnary(Dialect dialect, std::size_t depth) {
  SkipBlanks();
  if (Peek() == '(') {
    if (depth + 1 > kMaxDepth) {
      return Fail("parentheses nest deeper than " + std::to_string(kMaxDepth), pos_,
                  ErrorCode::kPatternLimit);
    }
    const std::size_t open = pos_;
    ++pos_;
    auto inner = ParseOr(dialect, depth + 1);
    if (!inner) return inner;
    SkipBlanks();
    if (Peek() != ')') {
      if (AtEnd() || Peek() == '}' || Peek() == ']' || Peek() == ',') {
        return Fail("unbalanced '(': no matching ')'", open);
      }
      return Unexpected("'&&', '||' or ')'");
    }
    ++pos_;
    return inner;
  }
  if (dialect == Dialect::kJson) return ParseJsonTest();
  return ParseDelimitedTest();
}

Result<Selector> Parser::ParseSelector() {
  Selector selector;
  selector.offset = pos_;
  if (Peek() != '$') {
    if (IsNameChar(Peek())) {
      return FailHere("a property selector starts with '$.' (write $." + std::string(1, Peek()) +
                      "...)");
    }
    return Unexpected("a property selector such as $.eventName");
  }
  ++pos_;
  if (Peek() != '.') return Unexpected("'.' after '$'");
  while (true) {
    if (Peek() == '.') {
      ++pos_;
      if (Peek() == '*') {
        ++pos_;
        selector.steps.push_back({PathStep::Kind::kAnyField, {}, 0});
      } else if (Peek() == '[') {
        if (Peek(1) != '\'') return Unexpected("\"['\" (bracket notation: $.['a.b'])");
        ++pos_;
        auto key = ParseQuoted('\'');
        if (!key) return std::move(key).error();
        if (Peek() != ']') return Unexpected("']' after the quoted property name");
        ++pos_;
        selector.steps.push_back({PathStep::Kind::kField, std::move(*key), 0});
      } else if (IsNameChar(Peek())) {
        const std::size_t start = pos_;
        while (IsNameChar(Peek())) ++pos_;
        selector.steps.push_back(
            {PathStep::Kind::kField, std::string(src_.substr(start, pos_ - start)), 0});
      } else {
        return Unexpected(
            "a property name after '.' (letters, digits, '_' and '-'; use $.['name'] for "
            "others)");
      }
    } else if (Peek() == '[') {
      const std::size_t open = pos_;
      ++pos_;
      if (Peek() == '*') {
        ++pos_;
        selector.steps.push_back({PathStep::Kind::kAnyIndex, {}, 0});
      } else if (Peek() == '\'') {
        auto key = ParseQuoted('\'');
        if (!key) return std::move(key).error();
        selector.steps.push_back({PathStep::Kind::kField, std::move(*key), 0});
      } else if (IsDigit(Peek())) {
        const std::size_t start = pos_;
        while (IsDigit(Peek())) ++pos_;
        std::uint32_t index = 0;
        auto [end, ec] = std::from_chars(src_.data() + start, src_.data() + pos_, index);
        if (ec != std::errc() || end != src_.data() + pos_) {
          return Fail("array index out of range", start);
        }
        selector.steps.push_back({PathStep::Kind::kIndex, {}, index});
      } else {
        return Unexpected("an array index, '*' or a quoted property name after '['");
      }
      if (Peek() != ']') {
        if (AtEnd()) return Fail("unclosed '['", open);
        return Unexpected("']'");
      }
      ++pos_;
    } else {
      break;
    }
  }
  const std::size_t wildcards = selector.WildcardCount();
  if (wildcards > kMaxWildcardsPerSelector) {
    return Fail("a property selector may hold at most one wildcard (CloudWatch quota)",
                selector.offset, ErrorCode::kPatternLimit);
  }
  if (wildcards > 0 && ++wildcard_selectors_ > kMaxWildcardSelectors) {
    return Fail("a pattern may use at most three wildcard selectors (CloudWatch quota)",
                selector.offset, ErrorCode::kPatternLimit);
  }
  return selector;
}

std::uint32_t Parser::InternSelector(Selector selector) {
  for (std::size_t i = 0; i < pattern_.selectors.size(); ++i) {
    if (pattern_.selectors[i].steps == selector.steps) return static_cast<std::uint32_t>(i);
  }
  pattern_.selectors.push_back(std::move(selector));
  return static_cast<std::uint32_t>(pattern_.selectors.size() - 1);
}

Result<CompareOp> Parser::ParseOperator() {
  SkipBlanks();
  if (auto insights = LogsInsightsOperator()) return std::move(*insights);
  if (LookingAt("==")) return FailHere("'==' is not an operator; use '='");
  if (LookingAt("!=")) {
    pos_ += 2;
    return CompareOp::kNe;
  }
  if (LookingAt("<=")) {
    pos_ += 2;
    return CompareOp::kLe;
  }
  if (LookingAt(">=")) {
    pos_ += 2;
    return CompareOp::kGe;
  }
  switch (Peek()) {
    case '=':
      ++pos_;
      return CompareOp::kEq;
    case '<':
      ++pos_;
      return CompareOp::kLt;
    case '>':
      ++pos_;
      return CompareOp::kGt;
    default:
      break;
  }
  return Unexpected("an operator (=, !=, <, >, <=, >=)");
}

Result<Expr> Parser::ParseJsonTest() {
  auto selector = ParseSelector();
  if (!selector) return std::move(selector).error();
  Expr leaf;
  leaf.offset = selector->offset;
  SkipBlanks();
  // Keywords are case-sensitive upper case (spec section 0, E.8). Lower-case spellings get a
  // pointed error rather than "expected an operator".
  auto keyword_at = [&](std::string_view word) {
    if (!LookingAt(word)) return false;
    const char after = Peek(word.size());
    return !IsNameChar(after);
  };
  auto keyword_ci_at = [&](std::string_view word) {
    if (src_.size() - pos_ < word.size()) return false;
    for (std::size_t i = 0; i < word.size(); ++i) {
      if (std::toupper(static_cast<unsigned char>(src_[pos_ + i])) != word[i]) return false;
    }
    return !IsNameChar(Peek(word.size()));
  };
  if (auto insights = LogsInsightsOperator()) return std::move(*insights);
  if (keyword_at("IS")) {
    pos_ += 2;
    SkipBlanks();
    if (keyword_at("NULL")) {
      leaf.kind = ExprKind::kIsNull;
      pos_ += 4;
    } else if (keyword_at("TRUE")) {
      leaf.kind = ExprKind::kIsTrue;
      pos_ += 4;
    } else if (keyword_at("FALSE")) {
      leaf.kind = ExprKind::kIsFalse;
      pos_ += 5;
    } else if (keyword_at("NOT")) {
      return FailHere("'IS NOT' is not supported by CloudWatch; use NOT EXISTS or !=");
    } else if (keyword_ci_at("NULL") || keyword_ci_at("TRUE") || keyword_ci_at("FALSE")) {
      return FailHere("keywords are upper case: write NULL, TRUE or FALSE");
    } else {
      return Unexpected("NULL, TRUE or FALSE after IS");
    }
  } else if (keyword_at("NOT")) {
    pos_ += 3;
    SkipBlanks();
    if (!keyword_at("EXISTS")) {
      if (keyword_ci_at("EXISTS")) return FailHere("keywords are upper case: write EXISTS");
      return Unexpected("EXISTS after NOT");
    }
    pos_ += 6;
    leaf.kind = ExprKind::kNotExists;
  } else if (keyword_at("EXISTS")) {
    return FailHere("'EXISTS' is not supported by CloudWatch; use $.field = * (or NOT EXISTS)");
  } else if (keyword_ci_at("IS") || keyword_ci_at("NOT")) {
    return FailHere("keywords are upper case: write IS NULL, IS TRUE, IS FALSE or NOT EXISTS");
  } else {
    auto op = ParseOperator();
    if (!op) return std::move(op).error();
    auto value = ParseValue(*op, Dialect::kJson);
    if (!value) return std::move(value).error();
    leaf.kind = ExprKind::kCompare;
    leaf.op = *op;
    leaf.value = std::move(*value);
  }
  leaf.operand = InternSelector(std::move(*selector));
  return leaf;
}

Result<Value> Parser::ParseValue(CompareOp op, Dialect dialect) {
  SkipBlanks();
  const std::size_t start = pos_;
  const bool relational = op != CompareOp::kEq && op != CompareOp::kNe;
  auto need_number = [&](std::size_t at) {
    return Fail(std::string("'") + CompareOpText(op) +
                    "' compares numbers: the value must be a number such as 10, -1.5 or 1e3",
                at);
  };
  Value value;
  value.offset = start;
  if (Peek() == '"') {
    auto text = ParseQuoted('"');
    if (!text) return std::move(text).error();
    if (relational) return need_number(start);
    value.kind = Value::Kind::kString;
    value.quoted = true;
    value.text = std::move(*text);
    value.glob = value.text.find('*') != std::string::npos;
    return value;
  }
  if (Peek() == '%') {
    if (relational) return need_number(start);
    if (++regex_count_ > kMaxRegexPerPattern) {
      return Fail(
          "a JSON or space-delimited pattern may hold at most two regexes (CloudWatch "
          "quota)",
          start, ErrorCode::kPatternLimit);
    }
    return ParseRegexValue();
  }
  if (Peek() == '=' || Peek() == '<' || Peek() == '>' || Peek() == '!' || Peek() == '(') {
    return Unexpected("a value");
  }
  // Brackets opened inside a delimited value ([level=[ERROR], ...]) are part of the token, so
  // that its error shows the whole of it quoted.
  std::size_t brackets = 0;
  while (!AtEnd()) {
    const char c = Peek();
    if (IsBlank(c) || c == ')' || LookingAt("&&") || LookingAt("||")) break;
    if (dialect == Dialect::kJson && c == '}') break;
    if (dialect == Dialect::kDelimited) {
      if (c == ',' || (c == ']' && brackets == 0)) break;
      if (c == '[') ++brackets;
      if (c == ']') --brackets;
    }
    ++pos_;
  }
  if (pos_ == start) return Unexpected("a value");
  if (auto bad = CheckBare(start, pos_, Bare::kValue)) return std::move(*bad);
  value.text = std::string(src_.substr(start, pos_ - start));
  if (IsNumberLiteral(value.text)) {
    value.kind = Value::Kind::kNumber;
    value.number = std::strtod(value.text.c_str(), nullptr);
    return value;
  }
  if (relational) return need_number(start);
  value.kind = Value::Kind::kString;
  value.glob = value.text.find('*') != std::string::npos;
  return value;
}

// ---- space-delimited patterns -----------------------------------------------------------

Result<Expr> Parser::ParseDelimitedTest() {
  const std::size_t start = pos_;
  if (Peek() == '$') return FailHere("field names in a space-delimited pattern have no '$'");
  while (IsNameChar(Peek())) ++pos_;
  if (pos_ == start) return Unexpected("a field name");
  const std::string name(src_.substr(start, pos_ - start));
  auto op = ParseOperator();
  if (!op) return std::move(op).error();
  auto value = ParseValue(*op, Dialect::kDelimited);
  if (!value) return std::move(value).error();
  Expr leaf;
  leaf.kind = ExprKind::kCompare;
  leaf.op = *op;
  leaf.value = std::move(*value);
  leaf.offset = start;
  // Field names are resolved to slots after the whole pattern is read; until then the operand
  // indexes leaf_names_.
  leaf.operand = static_cast<std::uint32_t>(leaf_names_.size());
  leaf_names_.push_back(name);
  return leaf;
}

Result<void> Parser::ParseDelimited() {
  pattern_.kind = PatternKind::kDelimited;
  const std::size_t open = pos_;
  ++pos_;  // '['
  while (true) {
    SkipBlanks();
    Slot slot;
    slot.offset = pos_;
    if (LookingAt("...")) {
      pos_ += 3;
      slot.ellipsis = true;
      if (++pattern_.ellipsis_count > 1) {
        return Fail("only one '...' per pattern is supported", slot.offset);
      }
    } else if (Peek() == ',' || Peek() == ']') {
      // An empty slot is an unnamed field (AWS: a trailing comma adds one).
    } else if (IsNameChar(Peek()) || Peek() == '(') {
      // A bare name is a plain slot; a name followed by an operator starts a condition.
      std::size_t probe = pos_;
      while (probe < src_.size() && IsNameChar(src_[probe])) ++probe;
      std::size_t after = probe;
      while (after < src_.size() && IsBlank(src_[after])) ++after;
      const char next = after < src_.size() ? src_[after] : '\0';
      if (after >= src_.size()) return Fail("unclosed '[': expected ']'", open);
      if (Peek() != '(' && (next == ',' || next == ']')) {
        slot.name = std::string(src_.substr(pos_, probe - pos_));
        pos_ = probe;
      } else {
        const std::size_t first_leaf = leaf_names_.size();
        auto condition = ParseOr(Dialect::kDelimited, 0);
        if (!condition) return std::move(condition).error();
        slot.name = leaf_names_[first_leaf];  // the leftmost field names the slot
        slot.condition = std::move(*condition);
      }
    } else if (AtEnd()) {
      return Fail("unclosed '[': expected ']'", open);
    } else if (Peek() == '$') {
      return FailHere("field names in a space-delimited pattern have no '$'");
    } else {
      return Unexpected("a field name, '...' or ']'");
    }
    pattern_.slots.push_back(std::move(slot));
    SkipBlanks();
    if (Peek() == ',') {
      ++pos_;
      continue;
    }
    if (Peek() == ']') {
      ++pos_;
      break;
    }
    if (AtEnd()) return Fail("unclosed '[': expected ']'", open);
    return Unexpected("',' or ']'");
  }
  SkipBlanks();
  if (!AtEnd()) return FailHere("unexpected text after the closing ']'");

  // Resolve names: every named slot once; every condition leaf to a named slot.
  std::map<std::string, std::size_t, std::less<>> slot_by_name;
  for (std::size_t i = 0; i < pattern_.slots.size(); ++i) {
    const Slot& slot = pattern_.slots[i];
    if (slot.name.empty()) continue;
    if (!slot_by_name.emplace(slot.name, i).second) {
      return Fail("field '" + slot.name + "' is named twice", slot.offset);
    }
  }
  // Walk each condition with an explicit stack (depth is bounded, but this keeps the pass
  // trivially safe) and rewrite leaf operands from leaf ids to slot indices.
  for (Slot& slot : pattern_.slots) {
    if (!slot.condition) continue;
    std::vector<Expr*> stack{&*slot.condition};
    while (!stack.empty()) {
      Expr* node = stack.back();
      stack.pop_back();
      for (Expr& child : node->children) stack.push_back(&child);
      if (node->kind != ExprKind::kCompare) continue;
      const std::string& name = leaf_names_[node->operand];
      auto it = slot_by_name.find(name);
      if (it == slot_by_name.end()) {
        return Fail("no field named '" + name + "' in this pattern", node->offset);
      }
      node->operand = static_cast<std::uint32_t>(it->second);
    }
  }
  return {};
}

}  // namespace

bool IsNumberLiteral(std::string_view text) {
  std::size_t i = 0;
  const std::size_t n = text.size();
  if (i < n && (text[i] == '+' || text[i] == '-')) ++i;
  const std::size_t int_start = i;
  while (i < n && IsDigit(text[i])) ++i;
  if (i == int_start) return false;
  if (i < n && text[i] == '.') {
    ++i;
    const std::size_t frac_start = i;
    while (i < n && IsDigit(text[i])) ++i;
    if (i == frac_start) return false;
  }
  if (i < n && (text[i] == 'e' || text[i] == 'E')) {
    ++i;
    if (i < n && (text[i] == '+' || text[i] == '-')) ++i;
    const std::size_t exp_start = i;
    while (i < n && IsDigit(text[i])) ++i;
    if (i == exp_start) return false;
  }
  return i == n;
}

bool IsBareTermChar(char c) { return IsNameChar(c); }

bool IsBareValueChar(char c) { return IsNameChar(c) || c == '.' || c == '*' || c == '+'; }

bool IsBareValue(std::string_view text) {
  return !text.empty() && std::all_of(text.begin(), text.end(), IsBareValueChar);
}

std::string QuotePatternText(std::string_view text) {
  std::string out = "\"";
  for (char c : text) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

Result<Pattern> ParsePattern(std::string_view source) { return Parser(source).Parse(); }

Result<Selector> ParseSelectorText(std::string_view text) {
  return Parser(text).ParseWholeSelector();
}

}  // namespace trailreplay::pattern

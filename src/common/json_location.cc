#include "common/json_location.h"

#include <cctype>
#include <vector>

#include "common/terminal_text.h"

namespace trailreplay {

namespace {

class Scanner {
 public:
  explicit Scanner(std::string_view text) : text_(text) {}

  std::optional<JsonSyntaxError> Run() {
    Space();
    if (!Value()) return error_;
    Space();
    if (pos_ != text_.size()) return Fail("unexpected text after the JSON value");
    return std::nullopt;
  }

 private:
  // Containers are walked with an explicit stack, so nesting depth costs no recursion.
  bool Value() {
    std::vector<char> stack;  // '{' or '['
    for (;;) {
      if (pos_ >= text_.size()) return FailBool("unexpected end of text: expected a value");
      const char c = text_[pos_];
      if (c == '{' || c == '[') {
        ++pos_;
        Space();
        if (pos_ < text_.size() && text_[pos_] == (c == '{' ? '}' : ']')) {
          ++pos_;
        } else {
          stack.push_back(c);
          if (c == '{' && !Key()) return false;
          continue;
        }
      } else if (c == '"') {
        if (!String()) return false;
      } else if (c == '-' || (c >= '0' && c <= '9')) {
        if (!Number()) return false;
      } else if (!Literal("true") && !Literal("false") && !Literal("null")) {
        return FailBool(std::string("expected a value, found ") + Found());
      }
      // After a value: close containers, or go on to the next element.
      for (;;) {
        if (stack.empty()) return true;
        Space();
        const char open = stack.back();
        if (pos_ >= text_.size()) {
          return FailBool(std::string("unexpected end of text: expected ',' or '") +
                          (open == '{' ? '}' : ']') + "'");
        }
        if (text_[pos_] == ',') {
          ++pos_;
          Space();
          if (open == '{' && !Key()) return false;
          break;
        }
        if (text_[pos_] == (open == '{' ? '}' : ']')) {
          ++pos_;
          stack.pop_back();
          continue;
        }
        return FailBool(std::string("expected ',' or '") + (open == '{' ? '}' : ']') +
                        (open == '{' ? "' after an object member" : "' after an array element") +
                        ", found " + Found());
      }
      Space();
    }
  }

  // `"name"` then `:` then whitespace, before a member's value.
  bool Key() {
    if (pos_ >= text_.size() || text_[pos_] != '"') {
      return FailBool(std::string("expected a member name in double quotes, found ") + Found());
    }
    if (!String()) return false;
    Space();
    if (pos_ >= text_.size() || text_[pos_] != ':') {
      return FailBool(std::string("expected ':' after the member name, found ") + Found());
    }
    ++pos_;
    Space();
    return true;
  }

  bool String() {
    ++pos_;  // the opening quote
    while (pos_ < text_.size()) {
      const auto c = static_cast<unsigned char>(text_[pos_]);
      if (c == '"') {
        ++pos_;
        return true;
      }
      if (c < 0x20) return FailBool("a control character inside a string (escape it)");
      if (c == '\\') {
        if (pos_ + 1 >= text_.size()) break;
        const char e = text_[pos_ + 1];
        if (e == 'u') {
          for (std::size_t i = 2; i < 6; ++i) {
            if (pos_ + i >= text_.size() ||
                !std::isxdigit(static_cast<unsigned char>(text_[pos_ + i]))) {
              return FailBool("\\u must be followed by four hexadecimal digits");
            }
          }
          pos_ += 6;
          continue;
        }
        if (std::string_view("\"\\/bfnrt").find(e) == std::string_view::npos) {
          return FailBool(std::string("invalid escape \\") + e + " in a string");
        }
        pos_ += 2;
        continue;
      }
      if (c >= 0x80) {
        const std::size_t length = Utf8SequenceLength(text_.substr(pos_));
        if (length == 0) return FailBool("a string holds bytes that are not UTF-8");
        pos_ += length;
        continue;
      }
      ++pos_;
    }
    return FailBool("unexpected end of text inside a string (a missing closing quote)");
  }

  bool Number() {
    if (text_[pos_] == '-') ++pos_;
    if (pos_ >= text_.size() || !Digit()) return FailBool("a number needs a digit here");
    if (text_[pos_] == '0') {
      ++pos_;
    } else {
      while (pos_ < text_.size() && Digit()) ++pos_;
    }
    if (pos_ < text_.size() && text_[pos_] == '.') {
      ++pos_;
      if (pos_ >= text_.size() || !Digit()) return FailBool("a digit must follow the '.'");
      while (pos_ < text_.size() && Digit()) ++pos_;
    }
    if (pos_ < text_.size() && (text_[pos_] == 'e' || text_[pos_] == 'E')) {
      ++pos_;
      if (pos_ < text_.size() && (text_[pos_] == '+' || text_[pos_] == '-')) ++pos_;
      if (pos_ >= text_.size() || !Digit()) return FailBool("the exponent needs a digit");
      while (pos_ < text_.size() && Digit()) ++pos_;
    }
    return true;
  }

  bool Digit() const { return text_[pos_] >= '0' && text_[pos_] <= '9'; }

  bool Literal(std::string_view word) {
    if (text_.substr(pos_, word.size()) != word) return false;
    pos_ += word.size();
    return true;
  }

  void Space() {
    while (pos_ < text_.size() && (text_[pos_] == ' ' || text_[pos_] == '\t' ||
                                   text_[pos_] == '\n' || text_[pos_] == '\r')) {
      ++pos_;
    }
  }

  std::string Found() const {
    if (pos_ >= text_.size()) return "the end of the text";
    const char c = text_[pos_];
    if (c == '\'') return "a single quote (JSON strings take double quotes)";
    return "'" + TerminalSafe(std::string_view(&text_[pos_], 1)) + "'";
  }

  bool FailBool(std::string what) {
    Fail(std::move(what));
    return false;
  }

  std::optional<JsonSyntaxError> Fail(std::string what) {
    error_.offset = pos_;
    error_.line = 1;
    error_.column = 1;
    for (std::size_t i = 0; i < pos_ && i < text_.size(); ++i) {
      if (text_[i] == '\n') {
        ++error_.line;
        error_.column = 1;
      } else {
        ++error_.column;
      }
    }
    error_.what = std::move(what);
    return error_;
  }

  std::string_view text_;
  std::size_t pos_ = 0;
  JsonSyntaxError error_;
};

}  // namespace

std::optional<JsonSyntaxError> FindJsonSyntaxError(std::string_view text) {
  return Scanner(text).Run();
}

std::string Describe(const JsonSyntaxError& error) {
  return "line " + std::to_string(error.line) + ", column " + std::to_string(error.column) + ": " +
         error.what;
}

std::string InvalidJsonMessage(std::string_view text, std::string_view parser_message) {
  if (auto error = FindJsonSyntaxError(text)) return "not valid JSON at " + Describe(*error);
  return "not valid JSON: " + std::string(parser_message);
}

}  // namespace trailreplay

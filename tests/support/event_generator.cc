#include "support/event_generator.h"

#include <array>
#include <cstdio>
#include <string_view>
#include <vector>

#include "pattern/parser.h"

namespace trailreplay::testing {
namespace {

constexpr std::array<std::string_view, 10> kKeys = {
    "errorCode", "eventName", "a", "b", "n", "x.y", "arr", "obj", "flag", "nothing"};

constexpr std::array<std::string_view, 16> kStrings = {"AccessDenied",
                                                       "AccessDeniedException",
                                                       "Client.UnauthorizedOperation",
                                                       "UnauthorizedOperation",
                                                       "StopLogging",
                                                       "CreateTrail",
                                                       "",
                                                       "4xx",
                                                       "400",
                                                       "1e3",
                                                       "true",
                                                       "null",
                                                       "a b",
                                                       "Ev*ent",
                                                       "delivery.logs.amazonaws.com",
                                                       "ab"};

constexpr std::array<std::string_view, 12> kNumbers = {"0",   "-0", "1",    "400",  "1e3",   "1000",
                                                       "1.5", "-2", "2.50", "1E+3", "0.001", "12"};

constexpr std::array<std::string_view, 12> kWords = {
    "ERROR",     "WARN", "INFO",        "[ERROR]",    "400",
    "1534",      "GET",  "/index.html", "\"GET /x\"", "[10/Oct/2000:13:25:15 -0700]",
    "ARGUMENTS", "-"};

}  // namespace

std::string EventGenerator::JsonKey() {
  std::string_view key = kKeys[Pick(kKeys.size())];
  std::string out = "\"";
  // Occasionally escape the first letter of a key: `\u0061` is "a" to any JSON reader.
  if (Chance(5) && key.size() > 0 && key[0] >= 'a' && key[0] <= 'z') {
    char buffer[8];
    std::snprintf(buffer, sizeof buffer, "\\u%04x", static_cast<unsigned>(key[0]));
    out += buffer;
    key.remove_prefix(1);
  }
  out += key;
  return out + "\"";
}

std::string EventGenerator::JsonValue(int depth) {
  const std::size_t kind = Pick(depth >= 2 ? 5 : 7);
  switch (kind) {
    case 0:
    case 1: {
      std::string s(kStrings[Pick(kStrings.size())]);
      std::string out = "\"";
      for (char c : s) {
        if (c == 'A' && Chance(20)) {
          out += "\\u0041";
        } else {
          out.push_back(c);
        }
      }
      if (Chance(5)) out += "\\\"q";
      return out + "\"";
    }
    case 2:
      return std::string(kNumbers[Pick(kNumbers.size())]);
    case 3:
      return Chance(50) ? "true" : "false";
    case 4:
      return "null";
    case 5: {
      std::string out = "[";
      const std::size_t n = Pick(4);
      for (std::size_t i = 0; i < n; ++i) out += (i ? "," : "") + JsonValue(depth + 1);
      return out + "]";
    }
    default: {
      std::string out = "{";
      const std::size_t n = Pick(4);
      for (std::size_t i = 0; i < n; ++i) {
        out += (i ? "," : "") + JsonKey() + ":" + JsonValue(depth + 1);
      }
      return out + "}";
    }
  }
}

std::string EventGenerator::JsonEvent() {
  switch (Pick(100)) {
    case 0:
      return "not json at all";
    case 1:
      return "[1,2,3]";
    case 2:
      return "{\"a\":1} trailing";
    case 3:
      return "{\"a\":";
    default:
      break;
  }
  std::string out = Chance(10) ? " {" : "{";
  const std::size_t n = 1 + Pick(7);
  for (std::size_t i = 0; i < n; ++i) {
    out += (i ? (Chance(10) ? " , " : ",") : "") + JsonKey() + (Chance(10) ? " : " : ":") +
           JsonValue(0);
  }
  return out + "}";
}

std::string EventGenerator::Selector() {
  static constexpr std::array<std::string_view, 16> kSelectors = {
      "$.errorCode",  "$.eventName", "$.a",       "$.b",        "$.n",     "$.['x.y']",
      "$.arr[0]",     "$.arr[1]",    "$.arr[*]",  "$.obj.a",    "$.obj.*", "$.*",
      "$.obj.arr[0]", "$.flag",      "$.nothing", "$.obj.obj.n"};
  return std::string(kSelectors[Pick(kSelectors.size())]);
}

std::string EventGenerator::PatternValue(bool numeric_only) {
  if (numeric_only) return std::string(kNumbers[Pick(kNumbers.size())]);
  switch (Pick(9)) {
    case 0:
      return std::string(kNumbers[Pick(kNumbers.size())]);
    case 1:
      return "*";
    case 2:
      return "\"*\"";
    case 3:
      return "AccessDenied*";
    case 4:
      return "*Operation";
    case 5:
      return "%Den|Trail%";
    case 6:
      return "%^[0-9]+$%";
    case 7: {
      std::string s(kStrings[Pick(kStrings.size())]);
      return "\"" + s + "\"";
    }
    default: {
      std::string s(kStrings[Pick(kStrings.size())]);
      bool bare = !s.empty();
      for (char c : s) bare = bare && c != ' ' && c != '"';
      return bare ? s : "\"" + s + "\"";
    }
  }
}

std::string EventGenerator::JsonTest() {
  const std::string selector = Selector();
  switch (Pick(10)) {
    case 0:
      return selector + " IS NULL";
    case 1:
      return selector + (Chance(50) ? " IS TRUE" : " IS FALSE");
    case 2:
      return selector + " NOT EXISTS";
    case 3: {
      static constexpr std::array<std::string_view, 4> kOps = {"<", ">", "<=", ">="};
      return selector + " " + std::string(kOps[Pick(4)]) + " " + PatternValue(true);
    }
    default:
      return selector + (Chance(50) ? " = " : " != ") + PatternValue(false);
  }
}

std::string EventGenerator::JsonExpr(int depth) {
  if (depth >= 3 || Chance(40)) return Chance(30) ? "(" + JsonTest() + ")" : JsonTest();
  const std::size_t n = 2 + Pick(2);
  std::string out;
  for (std::size_t i = 0; i < n; ++i) {
    if (i) out += Chance(50) ? " && " : " || ";
    out += JsonExpr(depth + 1);
  }
  return Chance(50) ? "(" + out + ")" : out;
}

std::string EventGenerator::JsonPattern() { return "{ " + JsonExpr(0) + " }"; }

std::string EventGenerator::AnyOfPattern() {
  const std::string selector = Selector();
  const std::size_t n = 2 + Pick(6);
  std::string out;
  for (std::size_t i = 0; i < n; ++i) {
    if (i) out += " || ";
    const std::size_t kind = Pick(10);
    if (kind < 7) {
      out += "(" + selector + " = " + PatternValue(false) + ")";
    } else if (kind < 9) {
      out += JsonTest();
    } else {
      out += "(" + selector + " = " + PatternValue(false) + " && " + JsonTest() + ")";
    }
  }
  if (Chance(30)) out = "(" + out + ") && " + JsonTest();
  return "{ " + out + " }";
}

std::string EventGenerator::AnyOfDelimitedPattern() {
  static constexpr std::array<std::string_view, 9> kValues = {
      "ERROR", "400", "\"400\"", "GET", "-", "4*", "\"GET /x\"", "INFO", "1534"};
  const std::size_t n = 2 + Pick(5);
  std::string out = "[f0 = ";
  for (std::size_t i = 0; i < n; ++i) {
    if (i) out += Chance(85) ? " || f0 = " : " || f0 != ";
    out += std::string(kValues[Pick(kValues.size())]);
  }
  return out + (Chance(50) ? ", ...]" : ", f1, ...]");
}

std::string EventGenerator::Word() { return std::string(kWords[Pick(kWords.size())]); }

std::string EventGenerator::TextEvent() {
  std::string out;
  const std::size_t n = Pick(8);
  for (std::size_t i = 0; i < n; ++i) {
    if (i) out += Chance(10) ? "  " : " ";
    out += Word();
  }
  return out;
}

std::string EventGenerator::TermPattern() {
  std::string out;
  const std::size_t n = 1 + Pick(3);
  const bool all_optional = Chance(30);
  for (std::size_t i = 0; i < n; ++i) {
    if (i) out += " ";
    if (all_optional) {
      out += "?";
    } else if (Chance(25)) {
      out += Chance(50) ? "-" : "?";
    }
    // Bare where CloudWatch allows it (letters, digits, '_', '-' after the first), else quoted
    // with its quotes escaped.
    const std::string w = Word();
    bool bare = w.front() != '-';
    for (char c : w) bare = bare && pattern::IsBareTermChar(c);
    out += bare && Chance(70) ? w : pattern::QuotePatternText(w);
  }
  return out;
}

std::string EventGenerator::FieldCondition(const std::string& name) {
  static constexpr std::array<std::string_view, 8> kValues = {
      "ERROR", "4*", "*.html*", "%^[0-9]+$%", "400", "\"GET /x\"", "-", "1e3"};
  switch (Pick(4)) {
    case 0:
      return name + " > " + std::string(kNumbers[Pick(kNumbers.size())]);
    case 1:
      return name + " = " + std::string(kValues[Pick(kValues.size())]) + " || " + name +
             " != " + std::string(kValues[Pick(kValues.size())]);
    default:
      return name + (Chance(50) ? " = " : " != ") + std::string(kValues[Pick(kValues.size())]);
  }
}

std::string EventGenerator::DelimitedPattern() {
  const std::size_t n = 1 + Pick(5);
  const std::size_t ellipsis = Chance(40) ? Pick(n) : n;
  std::string out = "[";
  for (std::size_t i = 0; i < n; ++i) {
    if (i) out += ", ";
    if (i == ellipsis) {
      out += "...";
      continue;
    }
    const std::string name = "f" + std::to_string(i);
    out += Chance(40) ? FieldCondition(name) : name;
  }
  return out + "]";
}

}  // namespace trailreplay::testing

// The slow, obviously-correct reference evaluator, used only by tests (the RE2 habit).
//
// It shares nothing with the fast path but the parsed Pattern and the Regex engine (tested on
// its own against a backtracking matcher): it parses each message with its own small recursive
// JSON parser into a full tree that keeps number tokens as written, resolves selectors by plain
// recursion, splits space-delimited fields with its own loop, and applies the rules of
// spec section A / section 0 as directly as they are written. The fast evaluator must agree
// with it on every generated event and pattern.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "pattern/ast.h"

namespace trailreplay::testing {

struct JsonMember;

struct JsonNode {
  enum class Kind { kNull, kTrue, kFalse, kNumber, kString, kArray, kObject };
  Kind kind = Kind::kNull;
  std::string text;  // string: unescaped; number: token as written
  double number = 0;
  std::vector<JsonNode> items;      // array
  std::vector<JsonMember> members;  // object, in order, duplicates kept
};

// A named pair rather than std::pair: clang checks a pair's members complete where the vector
// inside JsonNode is declared.
struct JsonMember {
  std::string key;
  JsonNode value;
};

// Strict RFC 8259 parse of a whole document; nullopt when it is not valid JSON.
std::optional<JsonNode> ParseJson(std::string_view text);

bool ReferenceMatches(const pattern::Pattern& pattern, std::string_view message);

}  // namespace trailreplay::testing

// Parser for the CloudWatch Logs filter-pattern language (metric filters), as AWS documents
// it; see ../shared/spec/cloudwatch-semantics.md sections 0 and A, and the README's
// "Pattern semantics" for the points AWS leaves open.
//
// Dispatch on the first non-blank character:
//
//   pattern    := blank* ( json | delimited | regex | terms ) blank*
//   (empty), "" and " "                      match every event
//
// Term expressions (unstructured text, substring matches, case-sensitive):
//   terms      := item (blank+ item)*
//   item       := ('-' | '?')? ( '"' phrase '"' | bareterm )    -- \" and \\ escape in phrases
//   bareterm   := [A-Za-z0-9_-]+
//
// Standalone regex:
//   regex      := '%' <CloudWatch regex subset, see regex.h> '%'
//
// JSON patterns:
//   json       := '{' or '}'
//   or         := and ( '||' and )*                -- && binds tighter than ||
//   and        := unary ( '&&' unary )*
//   unary      := '(' or ')' | test
//   test       := selector op value
//               | selector 'IS' ( 'NULL' | 'TRUE' | 'FALSE' )
//               | selector 'NOT' 'EXISTS'            -- keywords are upper case
//   selector   := '$' ( '.' name | '.*' | '.' bracket | bracket | '[' int ']' | '[*]' )+
//                 (the first step must start with '.')
//   bracket    := "['" <any but '> "']"
//   name       := [A-Za-z0-9_-]+
//   op         := '=' | '!=' | '<' | '>' | '<=' | '>='  -- < > <= >= need a number
//   value      := '"' text '"' | '%' regex '%' | barevalue  -- '*' in text is a glob
//   barevalue  := [A-Za-z0-9_.*+-]+, up to a blank, ')', '}', '&&' or '||'; a number if it
//                 reads as [+-]? digits ('.' digits)? ([eE] [+-]? digits)?
//
// Space-delimited patterns:
//   delimited  := '[' slot ( ',' slot )* ']'
//   slot       := '...' | name | or            -- the leftmost leaf's field names the slot;
//                                                 leaves are `name op value`; empty slots
//                                                 are unnamed fields
//
// Unquoted terms and values hold only the characters above; any other (':', '!', '\'', '%',
// '@', '/', '\\', ...) must be inside double quotes, as CloudWatch requires ("Invalid
// character(s) in term"). The error points at the character and shows the token quoted; a
// backslash is no escape outside quotes. Logs Insights syntax (`like`, `not like`, `=~`,
// `in [...]`, a /regex/ value, an @field term) is named as such. The rule and its evidence:
// src/README.md, "What a pattern may leave unquoted".
//
// Limits enforced as errors, as AWS does (kPatternLimit): 1024 bytes; at most 2 %regex% in a
// JSON or space-delimited pattern; at most 1 wildcard per selector and 3 wildcard selectors per
// pattern. trailreplay's own bounds: parentheses nest at most kMaxDepth deep; at most one `...`.
// The parser never recurses more than kMaxDepth frames, whatever the input.
#pragma once

#include <string>
#include <string_view>

#include "common/result.h"
#include "pattern/ast.h"

namespace trailreplay::pattern {

inline constexpr std::size_t kMaxPatternBytes = 1024;
inline constexpr std::size_t kMaxRegexPerPattern = 2;
inline constexpr std::size_t kMaxWildcardsPerSelector = 1;
inline constexpr std::size_t kMaxWildcardSelectors = 3;
inline constexpr std::size_t kMaxDepth = 64;

Result<Pattern> ParsePattern(std::string_view source);

// True if `text` reads as a JSON-pattern number literal (the `number` production above).
bool IsNumberLiteral(std::string_view text);

// The characters CloudWatch accepts outside double quotes in a term (`bareterm`) and in a
// JSON or space-delimited value (`barevalue`).
bool IsBareTermChar(char c);
bool IsBareValueChar(char c);
// True if `text` may be written as an unquoted value (non-empty, every character allowed).
bool IsBareValue(std::string_view text);
// `text` as a double-quoted phrase or value: '"' and '\' escaped with '\'.
std::string QuotePatternText(std::string_view text);

}  // namespace trailreplay::pattern

namespace trailreplay::pattern {

// Parses `text` as exactly one JSON selector (`$.a.b[0]`), as used in metric values and
// dimensions. Error offsets are relative to `text`.
Result<Selector> ParseSelectorText(std::string_view text);

}  // namespace trailreplay::pattern

// SQL text for the engines a compiled query runs on: Trino (what Athena runs) and DuckDB.
//
// Everything that comes from a rule set or the command line (filter patterns and names, JSON
// paths, table names, file globs) is data, and reaches the SQL only through these functions:
//
//   SqlString      a string literal: printable ASCII between single quotes with quotes
//                  doubled; every other character (control characters, NUL, non-ASCII,
//                  bidirectional overrides) is spelled chr(N) and concatenated, so no text can
//                  end the literal, open a comment, or show a reader something else than the
//                  engine reads. Both engines' chr() takes a Unicode code point.
//   SqlIdentifier  a double-quoted identifier with quotes doubled.
//   CommentText    text for a `--` comment: a JSON-style quoted string in printable ASCII
//                  (\n, \u202e, ...), so a newline in a pattern cannot end the comment.
//   LikePattern    a `*` glob as a LIKE pattern, used with ESCAPE '\'.
//   RegexText      the CloudWatch regex subset (pattern/regex.h) in a syntax RE2 (DuckDB) and
//                  Java/Joni (Trino) read the same way; see the .cc for the rules.
//
// Text must be valid UTF-8 (IsValidUtf8); the compiler checks its inputs once.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "pattern/regex.h"

namespace trailreplay::pushdown {

enum class Engine { kTrino, kDuckDb };

bool IsValidUtf8(std::string_view text);

std::string SqlString(std::string_view text);
std::string SqlIdentifier(std::string_view name);
std::string CommentText(std::string_view text);

// A DOUBLE constant: CAST('0.1' AS DOUBLE), with the shortest text that reads back as the same
// double, or 'Infinity' / '-Infinity'.
std::string SqlDouble(double value);

// `glob` ('*' matches any run of characters, everything else itself) as a LIKE pattern whose
// escape character is '\'.
std::string LikePattern(std::string_view glob);

// The regex in RE2 / Java syntax, or nullopt when it can never match anything (every
// alternative needs a character no character is: `[^\s\S]`).
std::optional<std::string> RegexText(const pattern::Regex& regex);

// The regex can match (searching, as CloudWatch does) the text of a JSON number that engines
// may write otherwise than its token (1.50, 1e3, 0, -0), or the text they write for one: then
// a text comparison with a number depends on how the number is written. A regex that matches
// every text cannot tell them apart.
bool RegexMayMatchNumberText(const pattern::Regex& regex);
// The same for a '*' glob, which matches whole values.
bool GlobMayMatchNumberText(std::string_view glob);
// A plain string that is a JSON number written in a way engines may write differently: any
// number except an integer without leading zeros or sign tricks (`400`, `-12`), which every
// engine writes back as written.
bool IsNumberTextEnginesRewrite(std::string_view text);

}  // namespace trailreplay::pushdown

// Where a JSON text stops being JSON, for error messages people can act on ("line 12, column 5:
// expected ',' or '}' after an object member"). simdjson says only that a document is invalid;
// this small validating scanner runs on the error path alone, to find the spot.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace trailreplay {

struct JsonSyntaxError {
  std::size_t offset = 0;            // byte offset of the first byte that cannot continue the text
  std::size_t line = 1, column = 1;  // 1-based; the column counts bytes
  std::string what;                  // "expected ',' or '}' after an object member", ...
};

// The first syntax error of `text` as one JSON value (RFC 8259, whitespace around it allowed),
// or nullopt when it is valid JSON.
std::optional<JsonSyntaxError> FindJsonSyntaxError(std::string_view text);

// "line L, column C: what".
std::string Describe(const JsonSyntaxError& error);

// What to say of a document a JSON parser refused: where it stops being JSON, or the parser's
// own words when the text is valid JSON after all (a limit such as depth or size).
std::string InvalidJsonMessage(std::string_view text, std::string_view parser_message);

}  // namespace trailreplay

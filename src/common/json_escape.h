// Minimal JSON output helpers shared by the printers and the CLI: escaping a string as a JSON
// literal, and printing a double the way JSON readers expect (integers without a fraction,
// shortest round-trip form otherwise).
#pragma once

#include <string>
#include <string_view>

namespace trailreplay {

// Appends `text` to `out` as a quoted JSON string. Bytes >= 0x80 are copied as-is (the input
// is UTF-8); control characters are escaped.
void AppendJsonString(std::string& out, std::string_view text);
std::string JsonString(std::string_view text);

// Shortest text that reads back as the same double; NaN and infinities become "null".
std::string JsonNumber(double value);

}  // namespace trailreplay

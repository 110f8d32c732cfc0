// Minimal JSON output helpers shared by the printers and the CLI: escaping a string as a JSON
// literal, and printing a double the way JSON readers expect (integers without a fraction,
// shortest round-trip form otherwise).
#pragma once

#include <string>
#include <string_view>

namespace trailreplay {

// Appends `text` to `out` as a quoted JSON string. Valid UTF-8 is copied as it is; control
// characters (C0, DEL and the C1 range U+0080..U+009F) are escaped as \u00XX, so JSON output
// never carries a raw terminal control; a byte that is not valid UTF-8 becomes \ufffd.
void AppendJsonString(std::string& out, std::string_view text);
std::string JsonString(std::string_view text);

// Shortest text that reads back as the same double; NaN and infinities become "null".
std::string JsonNumber(double value);

}  // namespace trailreplay

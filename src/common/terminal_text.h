// Text from data (log fields, file and member names, rule names) made safe to show on a
// terminal: a hostile log must not be able to clear the screen, move the cursor, set the
// window title or print a fake line of output.
//
//   C0 controls but tab       \x1b, \x0d, ... (a newline too, unless kept)
//   DEL                       \x7f
//   C1 controls (U+0080..9F)  \u009b, ... (CSI and friends, which some terminals obey)
//   invalid UTF-8             each bad byte as \xNN
//
// Everything else, valid UTF-8 included, is copied as it is. Backslashes are not escaped, so a
// Windows path reads as it was written; the escapes only stand for what could not be shown.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace trailreplay {

// `text` with every character above escaped, newlines included: for a value shown inside a
// line (a table cell, a principal, a file name).
std::string TerminalSafe(std::string_view text);

// Appends the escaped form of `text` to `out`. With `keep_newlines`, '\n' is copied (for
// whole lines of output). With `partial`, an incomplete UTF-8 sequence at the end is left
// unconsumed, for a stream that may bring the rest later. Returns the bytes consumed.
std::size_t AppendTerminalSafe(std::string& out, std::string_view text, bool keep_newlines,
                               bool partial = false);

// The length of the valid UTF-8 sequence at the start of `text` (1 to 4), 0 when the first
// byte does not start one (a stray continuation byte, an overlong form, a surrogate, beyond
// U+10FFFF, or cut off by the end of `text`); `truncated` tells the last case apart.
std::size_t Utf8SequenceLength(std::string_view text, bool* truncated = nullptr);

}  // namespace trailreplay

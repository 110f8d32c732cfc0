// Every byte the commands print goes through a filter that shows control characters and
// invalid UTF-8 as escapes (common/terminal_text.h), so text from logs, file names and rules
// never drives the terminal, whatever path it took to the output. The filter keeps newlines
// (the commands' own lines); values shown inside a line are escaped whole with TerminalSafe,
// newlines included, where they are formatted.
//
// Output that must keep data exact (CSV) asks for the unfiltered stream; JSON needs no
// exception, as its own escaping (common/json_escape.h) leaves nothing for the filter to do.
#pragma once

#include <ostream>
#include <string_view>

namespace trailreplay::cli {

// Installs the filter on std::cout and std::cerr (once, at the start of main).
void ProtectTerminalOutput();
// From now on std::cout writes its bytes unchanged (CSV output).
void ExactStandardOutput();
// Writes terminal controls of the program's own (the progress line's carriage return and
// erase-line) past the filter.
void WriteTerminalControl(std::ostream& stream, std::string_view text);

}  // namespace trailreplay::cli

// The manual and the shell completions, generated from the command definitions themselves (the
// same CLI11 tree `--help` prints), so neither can drift from the code:
//
//   trailreplay completion bash|zsh|fish   a completion script for that shell
//   trailreplay help [COMMAND]             the program's or a command's --help
//   trailreplay manpage                    trailreplay(1) in roff (hidden; the build runs it)
//
// Each command's manual section is its description, its usage, its options (with their
// value types, choices and defaults), its footer (the prose CLI11 also prints after the
// options in `--help`) and its guide: the long form, with examples, that `help COMMAND` also
// prints (command_guides.inc).
#pragma once

#include <CLI/CLI.hpp>
#include <string>
#include <string_view>

namespace trailreplay::cli {

// Adds `completion`, `help` and the hidden `manpage`. Call after every other command is
// registered (they describe the whole tree).
void RegisterManual(CLI::App& app, int& exit_code);

// The completion script for `shell` ("bash", "zsh" or "fish").
std::string CompletionScript(const CLI::App& app, std::string_view shell);

// The long form of a command's documentation, "" for a command without one.
std::string_view CommandGuide(std::string_view command);

// trailreplay(1).
std::string ManPage(const CLI::App& app, std::string_view version);

}  // namespace trailreplay::cli

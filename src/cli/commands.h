// The CLI's commands. Each Register* adds a CLI11 subcommand whose callback stores the exit
// code in `exit_code`; only code under cli/ prints or chooses exit codes.
//
// Exit codes, for every command: 0 success, 1 runtime failure (I/O), 2 usage error or invalid
// input definition (a bad pattern, a bad metric transformation).
#pragma once

#include <CLI/CLI.hpp>

namespace trailreplay::cli {

inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;
inline constexpr int kExitUsage = 2;

void RegisterTestPattern(CLI::App& app, int& exit_code);

}  // namespace trailreplay::cli

// The CLI's commands. Each Register* adds a CLI11 subcommand whose callback stores the exit
// code in `exit_code`; only code under cli/ prints or chooses exit codes.
//
// Exit codes, for every command: 0 success, 1 runtime failure (I/O), 2 usage error or invalid
// input definition (a bad pattern, a bad metric transformation). `scan` adds 3 (finished, but
// skipped bad input) and 130 (interrupted); see scan_command.cc. `verify` uses 3 for
// problems found in the archive; see verify_command.cc.
#pragma once

#include <CLI/CLI.hpp>

namespace trailreplay::cli {

inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;
inline constexpr int kExitUsage = 2;
inline constexpr int kExitBadInput = 3;       // scan: skipped bad input; verify: problems found
inline constexpr int kExitInterrupted = 130;  // scan: stopped by Ctrl-C, progress committed

void RegisterTestPattern(CLI::App& app, int& exit_code);
void RegisterScan(CLI::App& app, int& exit_code);
void RegisterPlan(CLI::App& app, int& exit_code);
void RegisterMerge(CLI::App& app, int& exit_code);
void RegisterReplay(CLI::App& app, int& exit_code);
void RegisterAlarmEval(CLI::App& app, int& exit_code);
void RegisterReport(CLI::App& app, int& exit_code);
void RegisterRules(CLI::App& app, int& exit_code);
void RegisterTune(CLI::App& app, int& exit_code);
void RegisterContributors(CLI::App& app, int& exit_code);
void RegisterSql(CLI::App& app, int& exit_code);
void RegisterLint(CLI::App& app, int& exit_code);
void RegisterVerify(CLI::App& app, int& exit_code);
void RegisterCompile(CLI::App& app, int& exit_code);
void RegisterImportSamples(CLI::App& app, int& exit_code);

}  // namespace trailreplay::cli

// What every command shares about its command line and about talking to people: repeatable
// options that take one value per flag, usage errors that name the command and suggest what
// was meant, and warnings about the files a command is given.
#pragma once

#include <CLI/CLI.hpp>
#include <string>
#include <vector>

namespace trailreplay::cli {

// Every repeatable option of every command (a list-valued `--flag`) takes exactly one value per
// occurrence: `--dimension a=$.x --dimension b=$.y`, never `--dimension a b`, so a positional
// after it is never swallowed. Help shows it as `TEXT` and says "(repeatable)". Call once,
// after every command is registered.
void OneValuePerRepeatableOption(CLI::App& app);

// `--format table|json` on a command that prints a table for people or one JSON document, with
// `--json` kept as the older spelling of `--format json`. `json` is true when either asks.
struct FormatChoice {
  std::string format = "table";
  bool json_flag = false;
  bool json() const { return json_flag || format == "json"; }
};
void AddFormatOption(CLI::App* command, FormatChoice& choice);

// `-q/--quiet` on every command: no progress line and none of the messages that only say what
// happened ("wrote report.html", a scan's summary table); results asked for, warnings and
// errors are still printed. Quiet() reads it.
void EveryCommandTakesQuiet(CLI::App& app);
bool Quiet();

// `--version` on every command, not only the program.
void EveryCommandTakesVersion(CLI::App& app, const std::string& version);

// The usage-error text for CLI11's failures: "error: ..." naming the command, a suggestion for
// an unknown command or option ("did you mean '--threads'?"), and the command's own --help.
std::string UsageErrorMessage(const CLI::App& app, const CLI::App* failed, const CLI::Error& e);

// An unknown first argument (a misspelt command): the error with a suggestion, or "" when
// argv[1] is a command, an option, or absent.
std::string UnknownCommandMessage(const CLI::App& app, int argc, char** argv);

// The candidate closest to `word` by edit distance, when it is close enough to be what was
// meant (at most 2 edits, or a prefix of it); "" otherwise.
std::string Suggestion(const std::string& word, const std::vector<std::string>& candidates);

// For counts that make no sense at 0 (--threads, --max-document-mb): "must be a whole number
// of at least 1".
CLI::Validator AtLeastOne();

// Prints a warning on stderr when an existing database file can be read by others than its
// owner (it holds raw CloudTrail records).
void WarnIfShared(const std::string& db_path);

}  // namespace trailreplay::cli

// `trailreplay import-samples RESULT.csv --db FILE`: a compiled query's result (compile) into a
// database, which replay, tune and report then use as they use a scan's.
//
// Exit codes: 0 imported; 1 a file cannot be read or the database cannot be written; 2 bad
// options or rules, a result that is not a compiled query's whole result, a result computed
// with other filter definitions, or a database that holds a scan, other filters, or an
// overlapping import.
#include <sys/stat.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <memory>
#include <sstream>

#include "cli/cli_support.h"
#include "cli/commands.h"
#include "cli/rules_loading.h"
#include "common/error_format.h"
#include "common/json_escape.h"
#include "common/terminal_text.h"
#include "common/text_format.h"
#include "common/time.h"
#include "pushdown/import.h"
#include "rules/rules.h"

namespace trailreplay::cli {
namespace {

struct ImportCliOptions {
  std::string result;
  std::string db;
  std::vector<std::string> rules;
  std::string query;
  FormatChoice output;
};

std::string Range(const std::optional<std::int64_t>& from, const std::optional<std::int64_t>& to) {
  if (!from && !to) return "any time";
  return (from ? FormatIsoTime(*from) : std::string("the beginning")) + " .. " +
         (to ? FormatIsoTime(*to) : std::string("the end"));
}

void PrintSummary(const pushdown::ImportSummary& s, const std::string& db) {
  std::cout << "import complete: query " << s.query_id << " (" << s.dialect << "), "
            << Grouped(s.rows) << " result rows\n";
  std::cout << "  eventTime range compiled: " << Range(s.from, s.to) << "\n";
  std::cout << "  events: " << Grouped(s.events) << " in " << Grouped(s.minutes) << " minutes";
  if (s.first_minute) {
    std::cout << ", " << FormatIsoTime(*s.first_minute) << " .. " << FormatIsoTime(*s.last_minute);
  }
  std::cout << "\n\n";
  std::size_t width = 6;
  for (const auto& f : s.filters) width = std::max(width, TerminalSafe(f.name).size());
  std::cout << "  " << Pad("filter", width) << "  " << Pad("matches", 9, true) << "  "
            << Pad("samples", 9, true) << "\n";
  for (const auto& f : s.filters) {
    std::cout << "  " << Pad(TerminalSafe(f.name), width) << "  "
              << Pad(Grouped(f.matches), 9, true) << "  " << Pad(Grouped(f.samples), 9, true)
              << "\n";
  }
  std::cout << "\n  database: " << TerminalSafe(db)
            << " (per-minute samples only: no events are stored to list)\n";
}

std::string SummaryJson(const pushdown::ImportSummary& s) {
  auto time = [](const std::optional<std::int64_t>& t) {
    return t ? JsonString(FormatIsoTime(*t)) : std::string("null");
  };
  std::string out =
      "{\"import_id\":" + std::to_string(s.import_id) + ",\"query_id\":" + JsonString(s.query_id) +
      ",\"dialect\":" + JsonString(s.dialect) + ",\"from\":" + time(s.from) +
      ",\"to\":" + time(s.to) + ",\"rows\":" + std::to_string(s.rows) +
      ",\"events\":" + std::to_string(s.events) + ",\"minutes\":" + std::to_string(s.minutes) +
      ",\"first_minute\":" + time(s.first_minute) + ",\"last_minute\":" + time(s.last_minute) +
      ",\"filters\":[";
  for (std::size_t i = 0; i < s.filters.size(); ++i) {
    out += std::string(i > 0 ? "," : "") + "{\"name\":" + JsonString(s.filters[i].name) +
           ",\"matches\":" + std::to_string(s.filters[i].matches) +
           ",\"samples\":" + std::to_string(s.filters[i].samples) + "}";
  }
  return out + "]}";
}

int Run(const ImportCliOptions& cli) {
  pushdown::ImportOptions options;
  options.result_path = cli.result;
  options.db_path = cli.db;
  options.version = TRAILREPLAY_VERSION;
  options.now = FormatIsoTime(std::chrono::duration_cast<std::chrono::seconds>(
                                  std::chrono::system_clock::now().time_since_epoch())
                                  .count());
  if (!cli.query.empty()) {
    std::ifstream in(cli.query, std::ios::binary);
    if (!in) {
      std::cerr << "error: cannot read query '" << cli.query << "'\n";
      return kExitFailure;
    }
    std::ostringstream text;
    text << in.rdbuf();
    options.query_text = text.str();
  }
  // Rule files are recorded with absolute paths, as scan records them, so replay finds them.
  std::vector<std::string> sources;
  for (const auto& source : cli.rules) {
    const auto& packs = rules::Packs();
    const bool pack = std::any_of(packs.begin(), packs.end(),
                                  [&](const rules::Pack& p) { return p.name == source; });
    char* resolved = pack ? nullptr : ::realpath(source.c_str(), nullptr);
    sources.push_back(resolved != nullptr ? std::string(resolved) : source);
    std::free(resolved);
  }
  auto rules = LoadRuleSources(cli.rules, cli.db);
  if (!rules) {
    std::cerr << FormatError(rules.error(), "pattern");
    return rules.error().code == ErrorCode::kIo ? kExitFailure : kExitUsage;
  }
  options.filters = std::move(rules->filters);
  options.rules_sources_json = SourcesJson(sources);
  auto summary = pushdown::ImportSamples(options);
  if (!summary) {
    std::cerr << FormatError(summary.error(), "pattern");
    const ErrorCode code = summary.error().code;
    return code == ErrorCode::kIo || code == ErrorCode::kDatabase ? kExitFailure : kExitUsage;
  }
  if (cli.output.json()) {
    std::cout << SummaryJson(*summary) << "\n";
  } else if (!Quiet()) {
    PrintSummary(*summary, cli.db);
  }
  return kExitOk;
}

}  // namespace

void RegisterImportSamples(CLI::App& app, int& exit_code) {
  auto options = std::make_shared<ImportCliOptions>();
  CLI::App* cmd = app.add_subcommand(
      "import-samples",
      "Load the CSV result of a query written by 'compile' into a database (created when "
      "absent), for replay, tune and report; it holds per-minute samples, no events.");
  cmd->add_option("RESULT", options->result, "The query's result, CSV with a header row")
      ->required();
  cmd->add_option("--db", options->db, "The SQLite database to create or add to")->required();
  cmd->add_option("--rules", options->rules,
                  "The rules the query was compiled from (repeatable; default: the database's, "
                  "else the built-in CIS filters)")
      ->allow_extra_args(false);
  cmd->add_option("--query", options->query,
                  "The SQL file the result came from, kept with the import's provenance");
  AddFormatOption(cmd, options->output);
  cmd->callback([options, &exit_code] { exit_code = Run(*options); });
}

}  // namespace trailreplay::cli

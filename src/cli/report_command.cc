// `trailreplay report`: one self-contained HTML file (inline CSS and SVG, no script, no
// network) of a scanned database: per alarm the timeline with threshold and ALARM bands, the
// episodes with their events, the tuning curve and the top contributors; and the scan's
// provenance. When no alarm has been replayed into the database yet, the alarms of the rules
// it was scanned with are replayed first.
//
// Exit codes: 0 written; 1 no database, a replay that fails, or an unwritable output file;
// 2 the command line could not be parsed.
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <iostream>

#include "cli/commands.h"
#include "cli/rules_loading.h"
#include "common/error_format.h"
#include "replay/replay.h"
#include "report/html_report.h"
#include "store/database.h"

namespace trailreplay::cli {
namespace {

struct ReportCliOptions {
  std::string db;
  std::string output;
  std::string title = "trailreplay report";
};

// True when the database holds replayed alarms.
Result<bool> HasReplays(const std::string& db_path) {
  auto db = store::Database::Open(db_path);
  if (!db) return std::move(db).error();
  auto replays = db->QueryInt("SELECT count(*) FROM replayed_alarms");
  if (!replays) return std::move(replays).error();
  return *replays > 0;
}

int Run(const ReportCliOptions& cli) {
  auto fail = [](const Error& error) {
    std::cerr << FormatError(error);
    return kExitFailure;
  };
  if (::access(cli.db.c_str(), R_OK) != 0) {
    return fail(MakeError(ErrorCode::kIo, "no database '" + cli.db + "': run scan first"));
  }
  auto replayed = HasReplays(cli.db);
  if (!replayed) return fail(replayed.error());
  if (!*replayed) {
    auto rules = LoadRuleSources({}, cli.db);
    if (!rules) return fail(rules.error());
    replay::ReplayOptions options;
    options.db_path = cli.db;
    options.rules = std::move(*rules);
    options.version = TRAILREPLAY_VERSION;
    options.options_json = "{\"by\":\"report\"}";
    auto result = replay::RunReplay(options);
    if (!result) return fail(result.error());
  }
  report::ReportOptions options;
  options.db_path = cli.db;
  options.title = cli.title;
  auto html = report::BuildHtmlReport(options);
  if (!html) return fail(html.error());
  std::ofstream out(cli.output, std::ios::binary | std::ios::trunc);
  out << *html;
  out.close();
  if (!out) {
    return fail(
        MakeError(ErrorCode::kIo, "cannot write '" + cli.output + "': " + std::strerror(errno)));
  }
  std::cout << "wrote " << cli.output << " (" << html->size() / 1024 << " KiB)\n";
  return kExitOk;
}

}  // namespace

void RegisterReport(CLI::App& app, int& exit_code) {
  auto options = std::make_shared<ReportCliOptions>();
  CLI::App* cmd = app.add_subcommand(
      "report",
      "Write a self-contained HTML report of a scanned database: alarm timelines, episodes "
      "with their events, tuning curves, contributors and provenance.");
  cmd->add_option("--db", options->db, "A database made by 'trailreplay scan'")->required();
  cmd->add_option("-o,--output", options->output, "The HTML file to write")->required();
  cmd->add_option("--title", options->title, "The report's title")->capture_default_str();
  cmd->callback([options, &exit_code] { exit_code = Run(*options); });
}

}  // namespace trailreplay::cli

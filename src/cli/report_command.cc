// `trailreplay report`: one self-contained HTML file (inline CSS and SVG, no script, no
// network) of a scanned database: per alarm of the rules it was scanned with, replayed over the
// whole history, the timeline with threshold and ALARM bands, the episodes with their events,
// the tuning curve and the top contributors; replays stored with their own window or settings,
// labelled as such; and the scan's provenance. The file is written 0600, whole or not at all,
// never through a symbolic link.
//
// Exit codes: 0 written; 1 no database, a replay that fails, or an unwritable output file;
// 2 the command line could not be parsed.
#include <unistd.h>

#include <iostream>

#include "cli/cli_support.h"
#include "cli/commands.h"
#include "cli/rules_loading.h"
#include "common/error_format.h"
#include "common/private_file.h"
#include "report/html_report.h"

namespace trailreplay::cli {
namespace {

struct ReportCliOptions {
  std::string db;
  std::string output;
  std::string title = "trailreplay report";
  std::string format = "html";
};

int Run(const ReportCliOptions& cli) {
  auto fail = [](const Error& error) {
    std::cerr << FormatError(error);
    return kExitFailure;
  };
  if (::access(cli.db.c_str(), R_OK) != 0) {
    return fail(MakeError(ErrorCode::kIo, "no database '" + cli.db + "': run scan first"));
  }
  WarnIfShared(cli.db);
  auto rules = LoadRuleSources({}, cli.db);
  if (!rules) return fail(rules.error());
  report::ReportOptions options;
  options.db_path = cli.db;
  options.rules = std::move(*rules);
  options.title = cli.title;
  auto data = report::BuildReportData(options);
  if (!data) return fail(data.error());
  if (cli.format == "json" && (cli.output.empty() || cli.output == "-")) {
    std::cout << report::ReportJson(*data);
    return kExitOk;
  }
  if (cli.output.empty()) {
    std::cerr << "error: report: give the HTML file to write with -o FILE\n";
    return kExitUsage;
  }
  const std::string text =
      cli.format == "json" ? report::ReportJson(*data) : report::RenderHtml(*data);
  if (auto written = WritePrivateFile(cli.output, text); !written) return fail(written.error());
  if (!Quiet()) std::cout << "wrote " << cli.output << " (" << text.size() / 1024 << " KiB)\n";
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
  cmd->add_option("-o,--output", options->output,
                  "The file to write (with --format json, '-' or none: standard output)");
  cmd->add_option("--format", options->format, "html (the page) or json (the report's data)")
      ->check(CLI::IsMember({"html", "json"}))
      ->capture_default_str();
  cmd->add_option("--title", options->title, "The report's title")->capture_default_str();
  cmd->callback([options, &exit_code] { exit_code = Run(*options); });
}

}  // namespace trailreplay::cli

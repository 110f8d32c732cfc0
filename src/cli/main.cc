// trailreplay's entry point: builds the command tree and maps CLI11's parse outcomes to exit
// codes (help and --version exit 0, usage errors 2).
#include <clocale>
#include <iostream>

#include "cli/cli_support.h"
#include "cli/commands.h"
#include "cli/manual.h"
#include "cli/terminal_output.h"

#ifndef TRAILREPLAY_VERSION
#define TRAILREPLAY_VERSION "0.0.0"
#endif

int main(int argc, char** argv) {
  // Archive member names (7z, zip) are converted through the character locale; numbers and
  // messages stay in the C locale.
  std::setlocale(LC_CTYPE, "C.UTF-8");
  trailreplay::cli::ProtectTerminalOutput();
  CLI::App app{
      "trailreplay: replay CloudWatch Logs metric filters and alarms over archived CloudTrail "
      "logs, offline."};
  app.name("trailreplay");
  app.set_version_flag("--version", "trailreplay " TRAILREPLAY_VERSION);
  app.require_subcommand(1);
  app.fallthrough(false);
  // Usage errors read like every other error: "error: ...", what was probably meant, then the
  // command's own help.
  app.failure_message([&app](const CLI::App* failed, const CLI::Error& e) {
    return trailreplay::cli::UsageErrorMessage(app, failed, e);
  });

  int exit_code = trailreplay::cli::kExitOk;
  // In the order of the work: scan and check the evidence, read the answer, dig, then the tools.
  trailreplay::cli::RegisterScan(app, exit_code);
  trailreplay::cli::RegisterPlan(app, exit_code);
  trailreplay::cli::RegisterMerge(app, exit_code);
  trailreplay::cli::RegisterVerify(app, exit_code);
  trailreplay::cli::RegisterReport(app, exit_code);
  trailreplay::cli::RegisterReplay(app, exit_code);
  trailreplay::cli::RegisterTune(app, exit_code);
  trailreplay::cli::RegisterContributors(app, exit_code);
  trailreplay::cli::RegisterSql(app, exit_code);
  trailreplay::cli::RegisterLint(app, exit_code);
  trailreplay::cli::RegisterRules(app, exit_code);
  trailreplay::cli::RegisterTestPattern(app, exit_code);
  trailreplay::cli::RegisterAlarmEval(app, exit_code);
  trailreplay::cli::RegisterCompile(app, exit_code);
  trailreplay::cli::RegisterImportSamples(app, exit_code);
  trailreplay::cli::RegisterManual(app, exit_code);  // last: it describes the others
  trailreplay::cli::OneValuePerRepeatableOption(app);
  trailreplay::cli::EveryCommandTakesQuiet(app);
  trailreplay::cli::EveryCommandTakesVersion(app, "trailreplay " TRAILREPLAY_VERSION);

  if (const std::string unknown = trailreplay::cli::UnknownCommandMessage(app, argc, argv);
      !unknown.empty()) {
    std::cerr << unknown;
    return trailreplay::cli::kExitUsage;
  }

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    app.exit(e);  // prints the message and the usage hint
    return trailreplay::cli::kExitUsage;
  }
  return exit_code;
}

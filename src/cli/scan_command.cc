// `trailreplay scan`: CloudTrail archives in, per-minute samples, 300-second buckets and
// matching events out, in SQLite.
//
// Exit codes: 0 every input was read cleanly; 3 the scan finished but skipped bad input (see
// the warnings and the scan_errors table); 1 a fatal error (bad argument values, an unreadable
// rules file, an unwritable database, a database built with other filters, or --strict meeting
// bad input); 2 the command line could not be parsed; 130 interrupted (Ctrl-C): everything
// complete before the interruption is committed, and running the same scan again continues.
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iostream>

#include "cli/cli_support.h"
#include "cli/commands.h"
#include "cli/rules_loading.h"
#include "cli/terminal_output.h"
#include "common/error_format.h"
#include "common/json_escape.h"
#include "common/terminal_text.h"
#include "common/text_format.h"
#include "common/time.h"
#include "rules/rules.h"
#include "scan/plan.h"
#include "scan/scanner.h"

namespace trailreplay::cli {
namespace {

std::atomic<bool> g_stop{false};

extern "C" void OnInterrupt(int) {
  g_stop.store(true);
  // A second Ctrl-C kills at once.
  std::signal(SIGINT, SIG_DFL);
}

struct ScanCliOptions {
  std::vector<std::string> paths;
  std::string manifest;
  std::string db;
  std::vector<std::string> rules;
  unsigned threads = 0;
  std::string from, to, max_delay = "24h";
  std::vector<std::string> accounts, regions;
  std::string time_basis = "event";
  bool keep_duplicates = false;
  bool strict = false;
  bool wait = false;
  std::string progress = "auto";
  FormatChoice output;
  std::uint64_t max_document_mb = 0;
  std::uint64_t max_record_mb = 16;
};

// "1 input", "2 inputs".
std::string Count(std::uint64_t n, const char* singular, const char* plural) {
  return Grouped(n) + " " + (n == 1 ? singular : plural);
}

std::string OptionsJson(const ScanCliOptions& o) {
  std::string out = "{\"paths\":[";
  for (std::size_t i = 0; i < o.paths.size(); ++i) {
    out += (i > 0 ? "," : "") + JsonString(o.paths[i]);
  }
  out += "],\"rules\":[";
  for (std::size_t i = 0; i < o.rules.size(); ++i) {
    out += (i > 0 ? "," : "") + JsonString(o.rules[i]);
  }
  out += "],\"from\":" + JsonString(o.from) + ",\"to\":" + JsonString(o.to) +
         ",\"time_basis\":" + JsonString(o.time_basis) +
         ",\"keep_duplicates\":" + (o.keep_duplicates ? "true" : "false") +
         ",\"strict\":" + (o.strict ? "true" : "false") + ",\"accounts\":[";
  for (std::size_t i = 0; i < o.accounts.size(); ++i) {
    out += (i > 0 ? "," : "") + JsonString(o.accounts[i]);
  }
  out += "],\"regions\":[";
  for (std::size_t i = 0; i < o.regions.size(); ++i) {
    out += (i > 0 ? "," : "") + JsonString(o.regions[i]);
  }
  out += "]";
  if (!o.manifest.empty()) out += ",\"manifest\":" + JsonString(o.manifest);
  return out + "}";
}

void PrintSummary(const scan::ScanSummary& s, const std::string& db) {
  std::string out;
  out += "scan " + s.status + ": " + Count(s.inputs_read, "input", "inputs") + " read of " +
         Count(s.files, "file", "files") + " found";
  if (s.files_already > 0) out += ", " + Grouped(s.files_already) + " already scanned";
  if (s.files_pruned > 0) {
    out += ", " + Grouped(s.files_pruned) + " outside the time/account/region range";
  }
  out += "\n";
  if (s.inputs_skipped > 0) {
    out += "  skipped " + Count(s.inputs_skipped, "input", "inputs") +
           " holding no CloudTrail records (digests, other JSON)\n";
  }
  out += "  events: " + Grouped(s.events) + " counted of " + Count(s.records, "record", "records");
  out += "; duplicates dropped: " + Grouped(s.duplicates);
  if (s.out_of_scope > 0) out += "; out of range: " + Grouped(s.out_of_scope);
  out += "\n";
  if (s.inputs_refused > 0) {
    out += "  refused " + Count(s.inputs_refused, "input", "inputs") +
           " over --max-document-mb, not counted: scan again with a higher "
           "--max-document-mb to count them\n";
  }
  if (s.inputs_out_of_memory > 0) {
    out += "  out of memory reading " + Count(s.inputs_out_of_memory, "input", "inputs") +
           ", not counted: the next scan reads them again\n";
  }
  if (s.errors > 0) {
    out += "  bad input: " + Count(s.errors, "error", "errors") + " in " +
           Count(s.inputs_failed, "input", "inputs") + ", " +
           Count(s.bad_records, "bad record", "bad records") + " (see the scan_errors table)\n";
  }
  const double mb = static_cast<double>(s.bytes_decoded) / 1e6;
  out += "  " + Fixed(mb, 1) + " MB decoded in " + Fixed(s.seconds, 2) + " s";
  if (s.seconds > 0) {
    out += " (" + Fixed(mb / s.seconds, 0) + " MB/s, " +
           Grouped(static_cast<std::uint64_t>(static_cast<double>(s.records) / s.seconds)) +
           " records/s)";
  }
  out += "\n\n";
  std::size_t width = 6;
  for (const auto& f : s.filters) width = std::max(width, f.name.size());
  out += "  filter" + std::string(width - 6, ' ') + "   matches    share\n";
  // A filter matching most events stores most records, each with its raw JSON, so the
  // database grows as the logs do (the CIS v1.3-1.5 unauthorized-calls pattern matches almost
  // every event): noted after the table, with where to see why. Not for a handful of events.
  std::string notes;
  for (const auto& f : s.filters) {
    const double share =
        s.events > 0 ? 100.0 * static_cast<double>(f.matches) / static_cast<double>(s.events) : 0.0;
    std::string count = Grouped(f.matches);
    std::string pct = Fixed(share, 2) + "%";
    out += "  " + f.name + std::string(width - f.name.size(), ' ') +
           std::string(count.size() < 10 ? 10 - count.size() : 0, ' ') + count +
           std::string(pct.size() < 9 ? 9 - pct.size() : 0, ' ') + pct + "\n";
    if (s.events >= 1000 && f.matches * 2 > s.events) {
      notes += "  note: " + f.name + " matched " + pct +
               " of the events, and each match is stored with its raw record, so the database "
               "grows as the logs do (`trailreplay lint --db` on it says why a pattern matches "
               "so much)\n";
    }
  }
  for (const auto& f : s.filters) {
    if (f.rejected_values == 0) continue;
    out += "  " + f.name + ": " + Count(f.rejected_values, "match", "matches") +
           " published a value CloudWatch rejects (NaN, infinite, or a magnitude beyond 2^360 or "
           "below 2^-360): counted as matches, no sample published\n";
  }
  out += notes + "\n  database: " + db + "\n";
  std::cout << out;
}

int Run(const ScanCliOptions& cli) {
  if (!cli.db.empty()) WarnIfShared(cli.db);
  scan::ScanOptions options;
  options.paths = cli.paths;
  if (cli.manifest.empty() == cli.paths.empty()) {
    std::cerr << "error: scan takes PATHs or --manifest FILE (a shard of `trailreplay plan`), "
                 "not both\n";
    return kExitUsage;
  }
  if (!cli.manifest.empty()) {
    auto manifest = scan::ReadManifest(cli.manifest);
    if (!manifest) {
      std::cerr << FormatError(manifest.error());
      return kExitFailure;
    }
    options.paths = std::move(manifest->paths);
    options.path_ordinals = std::move(manifest->ordinals);
    options.manifest_json = std::move(manifest->identity_json);
  }
  options.db_path = cli.db;
  options.threads = cli.threads;
  options.accounts = cli.accounts;
  options.regions = cli.regions;
  options.delivery_basis = cli.time_basis == "delivery";
  options.keep_duplicates = cli.keep_duplicates;
  options.strict = cli.strict;
  options.wait_for_other_scan = cli.wait;
  options.max_document_bytes = cli.max_document_mb << 20;
  options.max_record_bytes = cli.max_record_mb << 20;
  options.version = TRAILREPLAY_VERSION;
  options.options_json = OptionsJson(cli);
  if (auto ok = ParseTimeOptions({{&cli.from, &options.from}, {&cli.to, &options.to}}); !ok) {
    std::cerr << FormatError(ok.error());
    return kExitFailure;
  }
  if (options.from && options.to && *options.from >= *options.to) {
    std::cerr << "error: --from (" << cli.from << ") must be before --to (" << cli.to << ")\n";
    return kExitFailure;
  }
  auto delay = ParseDurationArgument(cli.max_delay);
  if (!delay) {
    std::cerr << FormatError(delay.error());
    return kExitFailure;
  }
  options.max_delivery_delay = *delay;
  for (const auto& path : cli.paths) {  // a manifest's missing files are reported per file
    struct stat st;
    if (::stat(path.c_str(), &st) != 0) {
      std::cerr << "error: cannot read input '" << path << "': " << std::strerror(errno) << "\n";
      return kExitFailure;
    }
  }
  // Rule files are recorded with absolute paths, so replay finds them from anywhere.
  std::vector<std::string> sources;
  for (const auto& source : cli.rules) {
    const auto& packs = rules::Packs();
    const bool pack = std::any_of(packs.begin(), packs.end(),
                                  [&](const rules::Pack& p) { return p.name == source; });
    char* resolved = pack ? nullptr : ::realpath(source.c_str(), nullptr);
    sources.push_back(resolved != nullptr ? std::string(resolved) : source);
    std::free(resolved);
  }
  auto rule_set = LoadRuleSources(cli.rules, "");  // messages name them as given
  if (!rule_set) {
    std::cerr << FormatError(rule_set.error(), "pattern");
    return kExitFailure;
  }
  if (rule_set->filters.empty()) {
    std::cerr << "error: the rules hold no metric filters: scan needs the output of "
                 "'aws logs describe-metric-filters' (alarms alone have nothing to count)\n";
    return kExitFailure;
  }
  options.filters = std::move(rule_set->filters);
  options.rules_sources_json = SourcesJson(sources);

  const bool tty = ::isatty(STDERR_FILENO) != 0;
  const bool show_progress =
      !Quiet() && (cli.progress == "always" || (cli.progress == "auto" && tty));
  scan::ScanHooks hooks;
  hooks.stop = &g_stop;
  bool progress_shown = false;
  if (show_progress) {
    hooks.progress = [&](const scan::Progress& p) {
      const double mb = static_cast<double>(p.bytes_done) / 1e6;
      std::string line = "  " + Grouped(p.files_done) + "/" + Grouped(p.files_total) + " files  " +
                         Fixed(mb, 1) + " MB  " + Grouped(p.events) + " events";
      if (p.seconds > 0.5) {
        line += "  " +
                Grouped(static_cast<std::uint64_t>(static_cast<double>(p.events) / p.seconds)) +
                " events/s";
        if (p.bytes_done > 0 && p.bytes_total > p.bytes_done) {
          const double eta = p.seconds * static_cast<double>(p.bytes_total - p.bytes_done) /
                             static_cast<double>(p.bytes_done);
          line += "  ETA " + Fixed(eta, 0) + " s";
        }
      }
      line += "   ";
      WriteTerminalControl(std::cerr, "\r");
      std::cerr << line << std::flush;
      progress_shown = true;
    };
  }
  hooks.warning = [&](const std::string& line) {
    if (progress_shown) WriteTerminalControl(std::cerr, "\r\033[K");
    // The line quotes file and member names and what was found in them: one line, whatever
    // they hold.
    std::cerr << "warning: " << TerminalSafe(line) << "\n";
  };

  g_stop = false;
  // Installed until the process ends: a Ctrl-C after the scan finished must not kill the
  // summary half-printed (the handler only sets a flag nobody reads any more).
  std::signal(SIGINT, OnInterrupt);
  auto result = scan::RunScan(options, hooks);
  if (progress_shown) std::cerr << "\n";
  if (!result) {
    std::cerr << FormatError(result.error(), "pattern");
    return kExitFailure;
  }
  if (cli.output.json()) {
    std::cout << scan::SummaryJson(*result) << "\n";
  } else if (!Quiet()) {
    PrintSummary(*result, cli.db);
  }
  if (result->status == "interrupted") {
    std::cerr << "interrupted: everything read so far is committed; run the same command again "
                 "to continue\n";
    return kExitInterrupted;
  }
  if (result->status == "stopped") {
    std::cerr << "error: --strict: stopped at the first bad input: " << result->first_error << "\n";
    return kExitFailure;
  }
  return result->errors > 0 ? kExitBadInput : kExitOk;
}

}  // namespace

void RegisterScan(CLI::App& app, int& exit_code) {
  auto options = std::make_shared<ScanCliOptions>();
  CLI::App* cmd = app.add_subcommand(
      "scan",
      "Scan CloudTrail logs (directories in the S3 layout, tar/zip bundles, .json.gz, .json, "
      "JSON Lines, CloudWatch Logs exports) into a SQLite database of per-minute samples, "
      "300-second buckets and matching events.");
  cmd->add_option("PATH", options->paths, "Files, directories (recursive) and archives to scan");
  cmd->add_option("--manifest", options->manifest,
                  "Scan exactly the inputs of this manifest (a shard written by 'trailreplay "
                  "plan') instead of PATHs, into a database of its own for 'trailreplay merge'");
  cmd->add_option("--db", options->db, "The SQLite database to create or add to")->required();
  cmd->add_option("--rules", options->rules,
                  "Metric filters: a pack ('cis'; see 'trailreplay rules'), or files of 'aws "
                  "logs describe-metric-filters' output, which may also hold 'aws cloudwatch "
                  "describe-alarms' output for replay (repeatable; default: the built-in CIS "
                  "filters unauthorized_api_calls and cloudtrail_cfg_changes)")
      ->allow_extra_args(false);
  cmd->add_option("--threads", options->threads, "Worker threads (default: one per core)")
      ->check(AtLeastOne());
  cmd->add_option("--from", options->from, "Count events at or after this UTC time");
  cmd->add_option("--to", options->to, "Count events before this UTC time");
  cmd->add_option("--max-delivery-delay", options->max_delay,
                  "With --to: also read files delivered up to this long after it (late "
                  "delivery)")
      ->capture_default_str();
  cmd->add_option("--account", options->accounts, "Only these accounts (repeatable)")
      ->allow_extra_args(false);
  cmd->add_option("--region", options->regions, "Only these regions (repeatable)")
      ->allow_extra_args(false);
  cmd->add_option("--time-basis", options->time_basis,
                  "Count events at their eventTime, or at their file's delivery minute "
                  "(closer to what CloudWatch saw)")
      ->check(CLI::IsMember({"event", "delivery"}))
      ->capture_default_str();
  cmd->add_flag("--keep-duplicates", options->keep_duplicates,
                "Count every copy of an event (default: once per eventID across the database)");
  cmd->add_flag("--strict", options->strict, "Stop at the first bad input (exit 1)");
  cmd->add_flag("--wait", options->wait,
                "If another scan is writing the database, wait for it to finish (default: "
                "fail at once, exit 1)");
  cmd->add_option("--progress", options->progress, "Progress line on stderr")
      ->check(CLI::IsMember({"auto", "always", "never"}))
      ->capture_default_str();
  AddFormatOption(cmd, options->output);
  cmd->add_option("--max-document-mb", options->max_document_mb,
                  "Refuse a file or archive member that decodes to more than this many MiB "
                  "(reported, not counted, and read again by a scan with a higher limit); 0, "
                  "the default, for no limit: big inputs are read a window at a time, so "
                  "their size does not decide memory")
      ->capture_default_str();
  cmd->add_option("--max-record-mb", options->max_record_mb,
                  "Largest record read, in MiB: a longer JSON Lines line, export line or "
                  "element of a Records array is a bad record, passed over, and the rest is "
                  "counted. CloudTrail records stay near 256 KB at most (request parameters and "
                  "response elements are capped at 100 KB each); the limit bounds memory")
      ->capture_default_str()
      ->check(AtLeastOne());
  cmd->callback([options, &exit_code] { exit_code = Run(*options); });
}

}  // namespace trailreplay::cli

// `trailreplay verify`: is the archive complete and unmodified? Checked offline against the
// digest files CloudTrail writes (src/verify/verify.h).
//
// Exit codes: 0 every digest valid or chained, every log file valid, every gap explained (and,
// with --db, every scanned input vouched for and every vouched log scanned); 3 problems found
// (an invalid, missing or unauthenticated digest; a modified, missing, unvouched or re-encoded
// log file; an unexplained gap; a database input nobody vouches for); 1 a fatal error (an
// unreadable or malformed key file, a bad time, an unusable database); 2 usage.
#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <ctime>
#include <iostream>
#include <map>

#include "cli/cli_support.h"
#include "cli/commands.h"
#include "cli/rules_loading.h"
#include "common/error_format.h"
#include "common/json_escape.h"
#include "common/text_format.h"
#include "common/time.h"
#include "verify/verify.h"

namespace trailreplay::cli {
namespace {

struct VerifyCliOptions {
  std::vector<std::string> paths;
  std::vector<std::string> public_keys;
  std::string from, to, db;
  FormatChoice output;
  unsigned threads = 0;
  std::uint64_t max_document_mb = 4096;
};

// Text from the archive (keys, paths, digest fields) is data: control characters, C0 and the
// C1 range a terminal also obeys, never reach the terminal.
std::string Printable(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c < 0x20 || c == 0x7f) {
      out += '?';
    } else if (c == 0xc2 && i + 1 < text.size() &&
               static_cast<unsigned char>(text[i + 1]) >= 0x80 &&
               static_cast<unsigned char>(text[i + 1]) <= 0x9f) {
      out += '?';
      ++i;
    } else {
      out += static_cast<char>(c);
    }
  }
  return out;
}

std::string OptionsJson(const VerifyCliOptions& o) {
  std::string out = "{\"paths\":[";
  for (std::size_t i = 0; i < o.paths.size(); ++i)
    out += (i > 0 ? "," : "") + JsonString(o.paths[i]);
  out += "],\"public_keys\":[";
  for (std::size_t i = 0; i < o.public_keys.size(); ++i) {
    out += (i > 0 ? "," : "") + JsonString(o.public_keys[i]);
  }
  return out + "],\"from\":" + JsonString(o.from) + ",\"to\":" + JsonString(o.to) + "}";
}

std::string Range(std::optional<std::int64_t> start, std::optional<std::int64_t> end) {
  return (start ? FormatIsoTime(*start) : std::string("?")) + " .. " +
         (end ? FormatIsoTime(*end) : std::string("?"));
}

void PrintText(const verify::VerifyReport& r, const VerifyCliOptions& cli) {
  std::string out = "verify: " + Grouped(r.files) + " files read, " + Grouped(r.chains.size()) +
                    (r.chains.size() == 1 ? " digest chain" : " digest chains") + ", " +
                    Grouped(r.keys) + (r.keys == 1 ? " public key" : " public keys") + "\n";
  if (r.chains.empty()) {
    out +=
        "  no CloudTrail-Digest files found: log file validation was off, or the digests "
        "were not copied (they sit under AWSLogs/<account>/CloudTrail-Digest/)\n";
  }
  for (const auto& c : r.chains) {
    out += "  " + Printable(c.chain) + ": " + Grouped(c.digests) +
           (c.digests == 1 ? " digest, " : " digests, ") + Range(c.first_start, c.last_end) +
           (c.authenticated ? ", authenticated" : ", not authenticated") + "\n";
    if (!c.note.empty()) out += "    " + Printable(c.note) + "\n";
  }

  // A long run of one kind of problem (a region without digests: every log unvouched) is
  // summarised after kShownPerStatus lines; --json lists everything.
  constexpr std::size_t kShownPerStatus = 20;
  std::map<std::string, std::size_t> shown;  // by "<status> <what>": "unvouched log files"
  std::string problems;
  auto add = [&](std::string_view what, std::string_view status, const std::string& line) {
    const std::size_t n = ++shown[std::string(status) + " " + std::string(what)];
    if (n <= kShownPerStatus) problems += line;
  };
  for (const auto& d : r.digests) {
    if (d.status == verify::DigestStatus::kValid || d.status == verify::DigestStatus::kChained) {
      continue;
    }
    add("digests", verify::DigestStatusName(d.status),
        "  digest " + Pad(std::string(verify::DigestStatusName(d.status)), 16) + Printable(d.key) +
            "\n    " + Printable(d.detail) + "\n");
  }
  for (const auto& l : r.logs) {
    if (l.status == verify::LogStatus::kValid) continue;
    add("log files", verify::LogStatusName(l.status),
        "  log    " + Pad(std::string(verify::LogStatusName(l.status)), 16) + Printable(l.key) +
            "\n    " + Printable(l.detail) + "\n");
  }
  for (const auto& g : r.gaps) {
    if (g.explained) continue;
    add("gaps", "unexplained",
        "  gap    " + Pad("unexplained", 16) + Printable(g.chain) + " " + FormatIsoTime(g.start) +
            " .. " + FormatIsoTime(g.end) + "\n    " + Printable(g.detail) + "\n");
  }
  for (const auto& i : r.inputs) {
    if (i.status == verify::InputStatus::kVouched) continue;
    const std::string where =
        i.path.empty() ? i.key : (i.member.empty() ? i.path : i.path + "!" + i.member);
    add("inputs", verify::InputStatusName(i.status),
        "  input  " + Pad(std::string(verify::InputStatusName(i.status)), 16) + Printable(where) +
            "\n    " + Printable(i.detail) + "\n");
  }
  for (const auto& [what, n] : shown) {
    if (n > kShownPerStatus) {
      problems += "  (" + Grouped(n - kShownPerStatus) + " more " + what +
                  " not shown; --json lists every one)\n";
    }
  }
  if (!problems.empty()) out += "\nproblems:\n" + problems;

  std::string explained;
  for (const auto& g : r.gaps) {
    if (!g.explained) continue;
    explained += "  " + Printable(g.chain) + " " + FormatIsoTime(g.start) + " .. " +
                 FormatIsoTime(g.end) + "\n";
    for (const auto& e : g.evidence) {
      explained += "    " + Printable(e.event_name) + " at " + Printable(e.event_time) +
                   " (eventID " + Printable(e.event_id) + ", in " + Printable(e.key) + ")\n";
    }
  }
  if (!explained.empty()) out += "\ngaps explained by the trail's own calls:\n" + explained;

  std::map<verify::DigestStatus, std::uint64_t> digests;
  for (const auto& d : r.digests) ++digests[d.status];
  std::map<verify::LogStatus, std::uint64_t> logs;
  for (const auto& l : r.logs) ++logs[l.status];
  std::uint64_t gaps_explained = 0;
  for (const auto& g : r.gaps) gaps_explained += g.explained ? 1 : 0;
  out += "\ndigests:  ";
  bool first = true;
  for (auto s : {verify::DigestStatus::kValid, verify::DigestStatus::kChained,
                 verify::DigestStatus::kUnauthenticated, verify::DigestStatus::kInvalid,
                 verify::DigestStatus::kMissing}) {
    out +=
        (first ? "" : ", ") + Grouped(digests[s]) + " " + std::string(verify::DigestStatusName(s));
    first = false;
  }
  out += "\nlogs:     ";
  first = true;
  for (auto s :
       {verify::LogStatus::kValid, verify::LogStatus::kModified, verify::LogStatus::kMissing,
        verify::LogStatus::kUnvouched, verify::LogStatus::kReEncoded}) {
    out += (first ? "" : ", ") + Grouped(logs[s]) + " " + std::string(verify::LogStatusName(s));
    first = false;
  }
  out += "\ngaps:     " + Grouped(gaps_explained) + " explained, " +
         Grouped(r.gaps.size() - gaps_explained) + " unexplained\n";
  if (r.database_checked) {
    std::map<verify::InputStatus, std::uint64_t> inputs;
    for (const auto& i : r.inputs) ++inputs[i.status];
    out += "database: " + Grouped(inputs[verify::InputStatus::kVouched]) +
           " scanned inputs vouched for, " + Grouped(inputs[verify::InputStatus::kUnvouched]) +
           " not, " + Grouped(inputs[verify::InputStatus::kUnhashed]) + " without a hash; " +
           Grouped(inputs[verify::InputStatus::kUnscanned]) + " vouched log files not scanned (" +
           Printable(cli.db) + ")\n";
  }
  if (r.keys == 0) {
    out +=
        "\nnot authenticated: without --public-keys (the output of 'aws cloudtrail "
        "list-public-keys') the digests prove only that they and the log files agree with "
        "each other, not that CloudTrail wrote them\n";
  }
  const std::uint64_t n = r.Problems();
  if (n == 0) {
    out +=
        "\nresult: complete and unmodified: every digest authenticated, every log file "
        "vouched for, every gap explained\n";
  } else {
    out += "\nresult: " + Grouped(n) + (n == 1 ? " problem" : " problems") + " found\n";
  }
  std::cout << out;
}

int Run(const VerifyCliOptions& cli) {
  verify::VerifyOptions options;
  options.paths = cli.paths;
  options.public_key_files = cli.public_keys;
  options.db_path = cli.db;
  options.threads = cli.threads;
  options.max_document_bytes = cli.max_document_mb << 20;
  options.version = TRAILREPLAY_VERSION;
  options.options_json = OptionsJson(cli);
  std::optional<std::int64_t> to;
  if (auto ok = ParseTimeOptions({{&cli.from, &options.from}, {&cli.to, &to}}); !ok) {
    std::cerr << FormatError(ok.error());
    return kExitFailure;
  }
  options.to_given = to.has_value();
  options.to = to ? *to : static_cast<std::int64_t>(std::time(nullptr));
  if (options.from && *options.from >= options.to) {
    std::cerr << "error: --from (" << cli.from << ") must be before --to ("
              << (cli.to.empty() ? "now" : cli.to) << ")\n";
    return kExitFailure;
  }
  for (const auto& path : cli.paths) {
    struct stat st;
    if (::stat(path.c_str(), &st) != 0) {
      std::cerr << "error: cannot read input '" << Printable(path) << "': " << std::strerror(errno)
                << "\n";
      return kExitFailure;
    }
  }
  auto report = verify::RunVerify(options);
  if (!report) {
    std::cerr << "error: " << Printable(report.error().message) << "\n";
    return kExitFailure;
  }
  for (const auto& warning : report->warnings) {
    std::cerr << "warning: " << Printable(warning) << "\n";
  }
  if (cli.output.json()) {
    std::cout << verify::ReportJson(*report);
  } else {
    PrintText(*report, cli);
  }
  return report->Problems() == 0 ? kExitOk : kExitBadInput;
}

}  // namespace

void RegisterVerify(CLI::App& app, int& exit_code) {
  auto options = std::make_shared<VerifyCliOptions>();
  CLI::App* cmd = app.add_subcommand(
      "verify",
      "Prove offline that a CloudTrail archive is complete and unmodified, with CloudTrail's "
      "digest files: every digest chain's signatures and hashes, every log file's hash, the "
      "gaps in the chains and what explains them.");
  cmd->add_option("PATH", options->paths,
                  "Exported bucket trees, files and tar/zip bundles, as scan takes them")
      ->required();
  cmd->add_option("--public-keys", options->public_keys,
                  "The output of 'aws cloudtrail list-public-keys' (repeatable: one per region "
                  "and period); without it the chains prove consistency, not authenticity")
      ->allow_extra_args(false);
  cmd->add_option("--from", options->from,
                  "The start of the period the archive should cover (default: its first digest)");
  cmd->add_option("--to", options->to,
                  "The end of the period the archive should cover (default: now); when given, "
                  "every digest chain must reach it, or a gap explains why not");
  cmd->add_option("--db", options->db,
                  "Also check this scanned database: every input vouched for, every vouched log "
                  "scanned; the result is stored in it for the report");
  AddFormatOption(cmd, options->output);
  cmd->add_option("--threads", options->threads, "Reader threads (default: one per core)");
  cmd->add_option("--max-document-mb", options->max_document_mb,
                  "Largest decompressed file accepted (a bigger one is reported, not read)")
      ->capture_default_str();
  cmd->callback([options, &exit_code] { exit_code = Run(*options); });
}

}  // namespace trailreplay::cli

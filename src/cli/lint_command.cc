// `trailreplay lint`: what each metric filter will really match (checks: rules/lint.h).
//
//   trailreplay lint [--rules FILE|PACK]... [--db FILE] [--format text|json]
//
// Filters: those of --rules (packs, or describe-metric-filters files, read without validating
// the patterns so that one invalid pattern is reported and the others still linted); without
// --rules, the filters the database at --db was scanned with (its filters table); without
// either, the built-in filters. With --db, the history: each filter's share of all counted
// events (filter_buckets / minute_totals), its stored matches, and all stored events. A filter
// from --rules is linted against the history only when the database scanned a filter of that
// name with the same pattern (otherwise a note says why not).
//
// Exit codes: 0 nothing flagged (notes allowed); 3 warnings; 1 errors: an invalid pattern, an
// unreadable rules file or database; 2 the command line could not be parsed.
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "cli/cli_support.h"
#include "cli/commands.h"
#include "common/error_format.h"
#include "common/json_escape.h"
#include "common/terminal_text.h"
#include "common/text_format.h"
#include "rules/lint.h"
#include "rules/rules.h"
#include "store/database.h"
#include "store/imports.h"

namespace trailreplay::cli {
namespace {

constexpr int kExitWarnings = 3;  // lint: warnings printed

struct LintCliOptions {
  std::vector<std::string> rules;
  std::string db;
  std::string format = "text";
};

struct Linted {
  rules::FilterSource source;
  rules::FilterLinter linter;
  std::vector<rules::LintFinding> notes;  // about the history, added by the CLI
  rules::FilterLintReport report;
};

Result<std::vector<rules::FilterSource>> LoadSources(const std::vector<std::string>& sources) {
  std::vector<rules::FilterSource> out;
  for (const auto& source : sources) {
    const auto& packs = rules::Packs();
    if (std::any_of(packs.begin(), packs.end(),
                    [&](const rules::Pack& p) { return p.name == source; })) {
      auto set = rules::LoadRules(source);
      if (!set) return std::move(set).error();
      for (const auto& f : set->filters) out.push_back({f.name, f.pattern, "pack " + source});
      continue;
    }
    std::ifstream in(source, std::ios::binary);
    if (!in) {
      return MakeError(ErrorCode::kIo,
                       "cannot read rules '" + source + "': " + std::strerror(errno));
    }
    std::ostringstream text;
    text << in.rdbuf();
    auto filters = rules::ReadFilterSources(text.str(), source);
    if (!filters) return std::move(filters).error();
    for (auto& f : *filters) out.push_back(std::move(f));
  }
  return out;
}

struct StoredFilter {
  std::int64_t id = 0;
  std::string pattern;
  std::string origin;
};

// Runs the history part: counts, each filter's stored matches, all stored events.
Result<std::uint64_t> ReadHistory(store::Database& db, std::vector<std::unique_ptr<Linted>>& all,
                                  const std::map<std::string, StoredFilter>& stored) {
  auto totals = db.Prepare("SELECT coalesce(sum(events), 0) FROM minute_totals");
  if (!totals) return std::move(totals).error();
  auto row = totals->Step();
  if (!row) return std::move(row).error();
  const auto events = static_cast<std::uint64_t>(totals->ColumnInt(0));
  auto matches =
      db.Prepare("SELECT coalesce(sum(matches), 0) FROM filter_buckets WHERE filter_id = ?");
  auto raws = db.Prepare(
      "SELECT record_json(e.raw) FROM event_matches AS m JOIN events AS e ON e.event_pk = "
      "m.event_pk "
      "WHERE m.filter_id = ? ORDER BY e.event_pk");
  if (!matches) return std::move(matches).error();
  if (!raws) return std::move(raws).error();
  auto imports = store::ListImports(db);
  if (!imports) return std::move(imports).error();
  for (auto& l : all) {
    if (!imports->empty() && l->linter.valid()) {
      l->notes.push_back(
          {rules::LintSeverity::kNote, "history",
           "the checks of each clause read stored events, and " + store::NoEventsMessage(*imports),
           ""});
    }
    if (!l->linter.valid()) continue;
    auto it = stored.find(l->source.name);
    if (it == stored.end()) {
      l->notes.push_back({rules::LintSeverity::kNote, "history",
                          "not scanned into this database, so its history is not checked (scan "
                          "with these rules to check it)",
                          ""});
      continue;
    }
    if (it->second.pattern != l->source.pattern) {
      l->notes.push_back({rules::LintSeverity::kNote, "history",
                          "the database scanned another pattern under this name (" +
                              it->second.pattern + "), so its history is not checked",
                          ""});
      continue;
    }
    matches->Bind(1, it->second.id);
    auto m = matches->Step();
    if (!m) return std::move(m).error();
    l->linter.SetCounts(static_cast<std::uint64_t>(matches->ColumnInt(0)), events);
    matches->Reset();
    raws->Bind(1, it->second.id);
    for (;;) {
      auto more = raws->Step();
      if (!more) return std::move(more).error();
      if (!*more) break;
      l->linter.ObserveMatch(raws->ColumnText(0));
    }
    raws->Reset();
  }
  auto every = db.Prepare("SELECT record_json(raw) FROM events ORDER BY event_pk");
  if (!every) return std::move(every).error();
  for (;;) {
    auto more = every->Step();
    if (!more) return std::move(more).error();
    if (!*more) break;
    const std::string raw = every->ColumnText(0);
    for (auto& l : all) l->linter.ObserveStored(raw);
  }
  return events;
}

void PrintText(const std::vector<std::unique_ptr<Linted>>& all, std::size_t errors,
               std::size_t warnings, std::size_t notes) {
  std::string out;
  for (const auto& l : all) {
    const auto& r = l->report;
    out += TerminalSafe(r.name) + " (" + TerminalSafe(l->source.origin) + ")";
    if (r.has_history) {
      out += ": matched " + Grouped(r.matches) + " of " + Grouped(r.events) + " events (" +
             Percent(r.matches, r.events) + ")";
    }
    std::vector<rules::LintFinding> findings = l->notes;
    findings.insert(findings.end(), r.findings.begin(), r.findings.end());
    if (findings.empty()) {
      out += ": ok\n";
      continue;
    }
    out += "\n  pattern: " + TerminalSafe(r.pattern) + "\n";
    for (const auto& f : findings) {
      if (f.check == "syntax" && l->linter.error()) {
        std::string text = FormatError(*l->linter.error(), "pattern");
        // Indent the caret block under the filter.
        std::string indented;
        for (std::size_t start = 0; start < text.size();) {
          const std::size_t end = text.find('\n', start);
          indented += "  " + text.substr(start, end - start) + "\n";
          start = end == std::string::npos ? text.size() : end + 1;
        }
        out += indented;
        continue;
      }
      out += std::string("  ") + rules::LintSeverityName(f.severity) + " [" + f.check +
             "]: " + TerminalSafe(f.message) + "\n";
      if (!f.suggestion.empty()) out += "    suggested: " + TerminalSafe(f.suggestion) + "\n";
    }
  }
  out += "\n" + std::to_string(all.size()) + (all.size() == 1 ? " filter: " : " filters: ") +
         std::to_string(errors) + (errors == 1 ? " error, " : " errors, ") +
         std::to_string(warnings) + (warnings == 1 ? " warning, " : " warnings, ") +
         std::to_string(notes) + (notes == 1 ? " note\n" : " notes\n");
  std::cout << out;
}

void PrintJson(const std::vector<std::unique_ptr<Linted>>& all, std::size_t errors,
               std::size_t warnings, std::size_t notes) {
  std::string out = "{\"filters\": [";
  for (std::size_t i = 0; i < all.size(); ++i) {
    const auto& l = *all[i];
    const auto& r = l.report;
    out += i > 0 ? ",\n  " : "\n  ";
    out += "{\"name\": " + JsonString(r.name) + ", \"origin\": " + JsonString(l.source.origin) +
           ", \"pattern\": " + JsonString(r.pattern) +
           ", \"valid\": " + (r.valid ? "true" : "false");
    if (l.linter.error()) {
      const Error& e = *l.linter.error();
      out += ", \"error\": {\"message\": " + JsonString(e.message) +
             ", \"offset\": " + (e.has_offset() ? std::to_string(e.offset) : std::string("null")) +
             "}";
    }
    if (r.has_history) {
      out +=
          ", \"history\": {\"matches\": " + std::to_string(r.matches) +
          ", \"events\": " + std::to_string(r.events) + ", \"share\": " +
          JsonNumber(r.events > 0 ? static_cast<double>(r.matches) / static_cast<double>(r.events)
                                  : 0.0) +
          "}";
    } else {
      out += ", \"history\": null";
    }
    out += ", \"findings\": [";
    std::vector<rules::LintFinding> findings = l.notes;
    findings.insert(findings.end(), r.findings.begin(), r.findings.end());
    for (std::size_t j = 0; j < findings.size(); ++j) {
      const auto& f = findings[j];
      out += std::string(j > 0 ? ", " : "") +
             "{\"severity\": " + JsonString(rules::LintSeverityName(f.severity)) +
             ", \"check\": " + JsonString(f.check) + ", \"message\": " + JsonString(f.message) +
             ", \"suggestion\": " + (f.suggestion.empty() ? "null" : JsonString(f.suggestion)) +
             "}";
    }
    out += "]}";
  }
  out += "\n], \"summary\": {\"filters\": " + std::to_string(all.size()) +
         ", \"errors\": " + std::to_string(errors) + ", \"warnings\": " + std::to_string(warnings) +
         ", \"notes\": " + std::to_string(notes) + "}}\n";
  std::cout << out;
}

int Run(const LintCliOptions& cli) {
  if (!cli.db.empty()) WarnIfShared(cli.db);
  std::optional<store::Database> db;
  std::map<std::string, StoredFilter> stored;
  if (!cli.db.empty()) {
    struct stat st;
    if (::stat(cli.db.c_str(), &st) != 0) {
      std::cerr << "error: no database '" << cli.db << "': " << std::strerror(errno) << "\n";
      return kExitFailure;
    }
    auto opened = store::Database::Open(cli.db, /*read_only=*/true);
    if (!opened) {
      std::cerr << FormatError(opened.error());
      return kExitFailure;
    }
    db = std::move(*opened);
    auto filters =
        db->Prepare("SELECT filter_id, name, pattern, origin FROM filters ORDER BY filter_id");
    if (!filters) {
      std::cerr << FormatError(filters.error());
      return kExitFailure;
    }
    for (;;) {
      auto more = filters->Step();
      if (!more) {
        std::cerr << FormatError(more.error());
        return kExitFailure;
      }
      if (!*more) break;
      stored[filters->ColumnText(1)] =
          StoredFilter{filters->ColumnInt(0), filters->ColumnText(2), filters->ColumnText(3)};
    }
  }

  std::vector<rules::FilterSource> sources;
  if (!cli.rules.empty()) {
    auto loaded = LoadSources(cli.rules);
    if (!loaded) {
      std::cerr << FormatError(loaded.error());
      return kExitFailure;
    }
    sources = std::move(*loaded);
  } else if (db) {
    std::vector<std::pair<std::int64_t, rules::FilterSource>> ordered;
    for (const auto& [name, f] : stored) ordered.push_back({f.id, {name, f.pattern, f.origin}});
    std::sort(ordered.begin(), ordered.end(),
              [](const auto& a, const auto& b) { return a.first < b.first; });
    for (auto& [id, source] : ordered) sources.push_back(std::move(source));
  } else {
    for (const auto& f : rules::BuiltinRules().filters) {
      sources.push_back({f.name, f.pattern, f.origin});
    }
  }
  if (sources.empty()) {
    std::cerr << "error: no metric filters to lint\n";
    return kExitFailure;
  }

  std::vector<std::unique_ptr<Linted>> all;
  for (auto& source : sources) {
    auto linter = rules::FilterLinter(source.name, source.pattern);
    all.push_back(std::make_unique<Linted>(Linted{std::move(source), std::move(linter), {}, {}}));
  }
  if (db) {
    auto history = ReadHistory(*db, all, stored);
    if (!history) {
      std::cerr << FormatError(history.error());
      return kExitFailure;
    }
  }
  std::size_t errors = 0, warnings = 0, notes = 0;
  for (auto& l : all) {
    l->report = l->linter.Finish();
    std::vector<rules::LintFinding> findings = l->notes;
    findings.insert(findings.end(), l->report.findings.begin(), l->report.findings.end());
    for (const auto& f : findings) {
      switch (f.severity) {
        case rules::LintSeverity::kError:
          ++errors;
          break;
        case rules::LintSeverity::kWarning:
          ++warnings;
          break;
        case rules::LintSeverity::kNote:
          ++notes;
          break;
      }
    }
  }
  if (cli.format == "json") {
    PrintJson(all, errors, warnings, notes);
  } else {
    PrintText(all, errors, warnings, notes);
  }
  if (errors > 0) return kExitFailure;
  return warnings > 0 ? kExitWarnings : kExitOk;
}

}  // namespace

void RegisterLint(CLI::App& app, int& exit_code) {
  auto options = std::make_shared<LintCliOptions>();
  CLI::App* cmd = app.add_subcommand(
      "lint",
      "Check metric filter patterns: syntax and AWS limits; patterns or clauses that can "
      "never match, bracketed space-delimited values, ignored ? terms, OR/AND/NOT written as "
      "terms; and against a scanned database the share of events each matches, clauses that "
      "never matched, != on fields the matching events lack, and values that differ from the "
      "data only by case. Exit 0 clean, 3 warnings, 1 errors.");
  cmd->add_option("--rules", options->rules,
                  "Metric filters: a pack ('cis') or a file of 'aws logs describe-metric-filters' "
                  "output (repeatable; default: the filters the --db database was scanned with, "
                  "else the built-in filters)")
      ->allow_extra_args(false);
  cmd->add_option("--db", options->db, "A database made by 'trailreplay scan': the history");
  cmd->add_option("--format", options->format, "Output format")
      ->check(CLI::IsMember({"text", "json"}))
      ->capture_default_str();
  cmd->callback([options, &exit_code] { exit_code = Run(*options); });
}

}  // namespace trailreplay::cli

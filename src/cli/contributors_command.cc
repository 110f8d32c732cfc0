// `trailreplay contributors`: who and what is behind an alarm episode, a time range or a whole
// filter (top principals, source IPs, event names, event sources, error codes, user agents),
// then the likely noise in the filter's history, an exclusion clause for each finding and
// the replayed effect of adding it to the pattern (replay/contributors.h). Nothing is written.
//
// Exit codes: 0 done; 1 a fatal error (no database, unknown alarm or filter, no such
// episode); 2 the command line could not be parsed.
#include <cmath>
#include <cstdio>
#include <iostream>

#include "cli/cli_support.h"
#include "cli/commands.h"
#include "cli/rules_loading.h"
#include "common/error_format.h"
#include "common/json_escape.h"
#include "common/terminal_text.h"
#include "common/text_format.h"
#include "common/time.h"
#include "replay/contributors.h"
#include "store/imports.h"

namespace trailreplay::cli {
namespace {

struct ContributorsCliOptions {
  std::string db;
  std::vector<std::string> rules;
  std::string alarm, filter;
  std::optional<std::size_t> episode;
  std::string at, from, to;
  std::vector<std::string> incidents;
  std::size_t top = 5;
  int evaluation_range = 0;
  bool ignore_creation_time = false;
  std::string format = "table";
};

std::string IncidentText(const replay::Incident& i) {
  return FormatIsoTime(i.from) + " .. " + FormatIsoTime(i.to);
}

std::string Outcome(const replay::IncidentOutcome& o) {
  return o.alarmed ? "alarms after " + Duration(o.delay) : "does NOT alarm";
}

std::string EffectText(const replay::NoiseReport& n, const replay::Effect& after) {
  std::string out = "episodes " + std::to_string(n.before.episodes) + " -> " +
                    std::to_string(after.episodes) + ", in ALARM " +
                    Duration(n.before.seconds_in_alarm) + " -> " + Duration(after.seconds_in_alarm);
  for (std::size_t i = 0; i < after.incidents.size(); ++i) {
    out += "; incident " + std::to_string(i + 1) + " " + Outcome(after.incidents[i]);
  }
  return out;
}

void PrintTable(const replay::ContributorsResult& r) {
  const replay::NoiseReport& n = r.noise;
  std::string out = "contributors: " + r.subject + "\n";
  out += "  " + std::to_string(r.events) + " matching events of filter " + n.filter.name;
  if (r.episode && !r.episode->windows.empty()) {
    out += ", in its datapoints' windows " + FormatIsoTime(r.episode->windows.front().first) +
           " .. " + FormatIsoTime(r.episode->windows.back().second);
  }
  out += "\n";
  for (const auto& b : r.breakdowns) {
    out += "\n  " + b.field + " (" + std::to_string(b.distinct) + " distinct)\n";
    for (const auto& c : b.top) {
      out += "  " + Pad(std::to_string(c.count), 8, true) + Pad(Percent(c.share), 9, true) + "  " +
             (c.value.empty() ? "(none)" : TerminalSafe(c.value)) + "\n";
    }
  }

  out += "\nlikely noise in filter " + n.filter.name;
  if (n.alarm) {
    out += " (" + FormatIsoTime(n.range.from) + " .. " + FormatIsoTime(n.range.to) + "; alarm " +
           n.alarm->name + ": " + std::to_string(n.before.episodes) + " episodes, " +
           Duration(n.before.seconds_in_alarm) + " in ALARM)";
  }
  out += "\n  pattern: " + n.filter.pattern + "\n";
  for (std::size_t i = 0; i < n.incidents.size(); ++i) {
    out += "  incident " + std::to_string(i + 1) + ": " + IncidentText(n.incidents[i]);
    if (i < n.before.incidents.size()) out += " (" + Outcome(n.before.incidents[i]) + ")";
    out += "\n";
  }
  if (!n.alarm)
    out += "  no alarm watches " + n.filter.metric_namespace + "/" + n.filter.metric_name +
           ": effects not replayed\n";
  for (std::size_t i = 0; i < n.findings.size(); ++i) {
    const auto& f = n.findings[i];
    out += "\n  " + std::to_string(i + 1) + ". " + f.kind + ": " + TerminalSafe(f.subject) + "\n";
    out += "     " + TerminalSafe(f.description) + "\n";
    out += "     exclusion: " + TerminalSafe(f.clause) + "\n";
    out += "     drops " + std::to_string(f.dropped) + " matches (" +
           std::to_string(f.dropped_in_incident) + " of the incident's)";
    if (n.alarm) out += "; " + EffectText(n, f.after);
    out += "\n";
  }
  if (n.proposal) {
    out += "\nproposed exclusion (" + TerminalSafe(n.proposal->subject) + "):\n  " +
           TerminalSafe(n.proposal->clause) + "\npattern with it:\n  " +
           TerminalSafe(n.proposal->pattern) + "\n";
    out += "  drops " + std::to_string(n.proposal->dropped) + " matches";
    if (n.alarm) out += "; " + EffectText(n, n.proposal->after);
    out += "\n";
  } else {
    out += "\nno exclusion proposed: " + n.note + "\n";
  }
  std::cout << out;
}

std::string EffectJson(const replay::Effect& e) {
  std::string out = "{\"episodes\":" + std::to_string(e.episodes) +
                    ",\"seconds_in_alarm\":" + std::to_string(e.seconds_in_alarm) +
                    ",\"incidents\":[";
  for (std::size_t i = 0; i < e.incidents.size(); ++i) {
    const auto& o = e.incidents[i];
    out += (i > 0 ? "," : "") + std::string("{\"alarmed\":") + (o.alarmed ? "true" : "false") +
           ",\"delay_seconds\":" + (o.alarmed ? std::to_string(o.delay) : "null") + "}";
  }
  return out + "]}";
}

std::string FindingJson(const replay::NoiseFinding& f, bool with_effect) {
  return "{\"kind\":" + JsonString(f.kind) + ",\"subject\":" + JsonString(f.subject) +
         ",\"description\":" + JsonString(f.description) + ",\"clause\":" + JsonString(f.clause) +
         ",\"pattern\":" + JsonString(f.pattern) + ",\"dropped\":" + std::to_string(f.dropped) +
         ",\"dropped_in_incident\":" + std::to_string(f.dropped_in_incident) +
         ",\"proposed\":" + (f.proposed ? "true" : "false") +
         ",\"after\":" + (with_effect ? EffectJson(f.after) : "null") + "}";
}

void PrintJson(const replay::ContributorsResult& r) {
  const replay::NoiseReport& n = r.noise;
  std::string out =
      "{\"subject\":" + JsonString(r.subject) + ",\"filter\":" + JsonString(n.filter.name) +
      ",\"alarm\":" + (n.alarm ? JsonString(n.alarm->name) : "null") + ",\"episode\":";
  if (r.episode) {
    out += "{\"number\":" + std::to_string(r.episode_number) +
           ",\"start\":" + JsonString(FormatIsoTime(r.episode->start)) +
           ",\"end\":" + (r.episode->end ? JsonString(FormatIsoTime(*r.episode->end)) : "null") +
           "}";
  } else {
    out += "null";
  }
  out += ",\"events\":" + std::to_string(r.events) + ",\"contributors\":{";
  for (std::size_t i = 0; i < r.breakdowns.size(); ++i) {
    const auto& b = r.breakdowns[i];
    out += (i > 0 ? "," : "") + JsonString(b.field) +
           ":{\"distinct\":" + std::to_string(b.distinct) + ",\"top\":[";
    for (std::size_t j = 0; j < b.top.size(); ++j) {
      out += (j > 0 ? "," : "") + std::string("{\"value\":") +
             (b.top[j].value.empty() ? "null" : JsonString(b.top[j].value)) +
             ",\"count\":" + std::to_string(b.top[j].count) +
             ",\"share\":" + JsonNumber(std::round(b.top[j].share * 10000) / 10000) + "}";
    }
    out += "]}";
  }
  out += "},\"noise\":{\"pattern\":" + JsonString(n.filter.pattern) + ",\"incidents\":[";
  for (std::size_t i = 0; i < n.incidents.size(); ++i) {
    out += (i > 0 ? "," : "") + std::string("{\"from\":") +
           JsonString(FormatIsoTime(n.incidents[i].from)) +
           ",\"to\":" + JsonString(FormatIsoTime(n.incidents[i].to)) + "}";
  }
  out +=
      "],\"before\":" + (n.alarm ? EffectJson(n.before) : std::string("null")) + ",\"findings\":[";
  for (std::size_t i = 0; i < n.findings.size(); ++i) {
    out += (i > 0 ? "," : "") + FindingJson(n.findings[i], n.alarm.has_value());
  }
  out += "],\"proposal\":" +
         (n.proposal ? FindingJson(*n.proposal, n.alarm.has_value()) : std::string("null")) +
         ",\"note\":" + (n.note.empty() ? "null" : JsonString(n.note)) + "}}\n";
  std::cout << out;
}

int Run(const ContributorsCliOptions& cli) {
  if (!cli.db.empty()) WarnIfShared(cli.db);
  auto fail = [](const Error& e) {
    std::cerr << FormatError(e);
    return kExitFailure;
  };
  if (cli.alarm.empty() == cli.filter.empty()) {
    return fail(MakeError(ErrorCode::kInvalidArgument, "give one of --alarm and --filter"));
  }
  replay::ContributorsOptions options;
  options.db_path = cli.db;
  options.filter_name = cli.filter;
  options.episode = cli.episode;
  options.top = cli.top;
  options.evaluation_range = cli.evaluation_range;
  options.ignore_creation_time = cli.ignore_creation_time;
  if (auto ok = ParseTimeOptions(
          {{&cli.at, &options.at}, {&cli.from, &options.from}, {&cli.to, &options.to}});
      !ok) {
    return fail(ok.error());
  }
  for (const auto& text : cli.incidents) {
    auto incident = replay::ParseIncident(text);
    if (!incident) return fail(incident.error());
    options.incidents.push_back(*incident);
  }
  auto rules = LoadRuleSources(cli.rules, cli.db);
  if (!rules) {
    std::cerr << FormatError(rules.error(), "pattern");
    return kExitFailure;
  }
  options.rule_alarms = rules->alarms;
  {
    // Contributors are read from stored events, which an imported database does not have.
    auto db = store::Database::Open(cli.db, /*read_only=*/true);
    if (!db) return fail(db.error());
    auto imports = store::ListImports(*db);
    if (!imports) return fail(imports.error());
    if (!imports->empty()) {
      return fail(MakeError(ErrorCode::kInvalidArgument, store::NoEventsMessage(*imports)));
    }
  }
  if (!cli.alarm.empty()) {
    auto db = store::Database::Open(cli.db, /*read_only=*/true);
    if (!db) return fail(db.error());
    auto spec = replay::ResolveAlarm(*rules, cli.alarm, *db);
    if (!spec) return fail(spec.error());
    options.alarm = *spec;
  }
  auto result = replay::RunContributors(options);
  if (!result) return fail(result.error());
  if (cli.format == "json") {
    PrintJson(*result);
  } else {
    PrintTable(*result);
  }
  return kExitOk;
}

}  // namespace

void RegisterContributors(CLI::App& app, int& exit_code) {
  auto options = std::make_shared<ContributorsCliOptions>();
  CLI::App* cmd = app.add_subcommand(
      "contributors",
      "Who and what is behind an alarm episode, a time range or a filter: top principals, "
      "source IPs, calls, errors and user agents; likely noise and an exclusion for it, with "
      "its replayed effect.");
  cmd->add_option("--db", options->db, "A database made by 'trailreplay scan'")->required();
  cmd->add_option("--rules", options->rules,
                  "Filters and alarms (default: those the database was scanned with)")
      ->allow_extra_args(false);
  cmd->add_option("--alarm", options->alarm, "The alarm whose events to examine");
  cmd->add_option("--filter", options->filter, "Or: the filter whose matches to examine");
  cmd->add_option("--episode", options->episode,
                  "The alarm's Nth episode in ALARM (1 = the first, as replay lists them)");
  cmd->add_option("--at", options->at, "The alarm's episode in ALARM at this time");
  cmd->add_option("--from", options->from, "Events from this time");
  cmd->add_option("--to", options->to, "Events before this time");
  cmd->add_option("--incident", options->incidents,
                  "A window the alarm must keep catching, FROM..TO (default with --episode or "
                  "--at: that episode); repeatable")
      ->allow_extra_args(false);
  cmd->add_option("--top", options->top, "Values listed per field")->capture_default_str();
  cmd->add_option("--evaluation-range", options->evaluation_range,
                  "Periods each evaluation looks back (default N + 2)");
  cmd->add_flag("--ignore-creation-time", options->ignore_creation_time,
                "Use samples from before a filter's creationTime too");
  cmd->add_option("--format", options->format, "table or json")
      ->check(CLI::IsMember({"table", "json"}))
      ->capture_default_str();
  cmd->callback([options, &exit_code] { exit_code = Run(*options); });
}

}  // namespace trailreplay::cli

// `trailreplay tune`: every candidate configuration of one alarm (thresholds x M-of-N x
// missing-data treatments) replayed in memory over the stored series, with episodes, time in
// ALARM, episodes per week and, per --incident window, whether and how soon it alarmed. The
// recommendation rule is documented in replay/tune.h. Nothing is written to the database.
//
// Exit codes: 0 tuned; 1 a fatal error (no database, unknown alarm, an invalid candidate);
// 2 the command line could not be parsed.
#include <cmath>
#include <cstdio>
#include <iostream>

#include "alarm/math.h"
#include "cli/cli_support.h"
#include "cli/commands.h"
#include "cli/rules_loading.h"
#include "common/error_format.h"
#include "common/json_escape.h"
#include "common/text_format.h"
#include "common/time.h"
#include "replay/tune.h"

namespace trailreplay::cli {
namespace {

struct TuneCliOptions {
  std::string db;
  std::vector<std::string> rules;
  std::string alarm;
  std::string thresholds, datapoints, missing_data;
  std::vector<std::string> incidents;
  std::string from, to;
  int evaluation_range = 0;
  bool ignore_creation_time = false;
  std::string format = "table";
};

std::string Mofn(const alarm::AlarmSpec& s) {
  return std::to_string(s.datapoints_to_alarm) + "/" + std::to_string(s.evaluation_periods);
}

std::string Mark(const replay::Candidate& c) {
  std::string mark = c.recommended ? "recommended" : c.fewest ? "fewest" : "";
  if (c.original) mark += mark.empty() ? "(current)" : " (current)";
  return mark;
}

std::string Describe(const alarm::AlarmSpec& a) {
  std::string op;
  switch (a.comparison) {
    case alarm::Comparison::kGreaterThanOrEqualToThreshold:
      op = ">=";
      break;
    case alarm::Comparison::kGreaterThanThreshold:
      op = ">";
      break;
    case alarm::Comparison::kLessThanThreshold:
      op = "<";
      break;
    case alarm::Comparison::kLessThanOrEqualToThreshold:
      op = "<=";
      break;
  }
  const std::string watched =
      a.math ? "metric math " + a.math->queries[a.math->returned].id + " = " +
                   (a.math->queries[a.math->returned].is_metric()
                        ? a.math->queries[a.math->returned].metric_name
                        : alarm::PrintMathExpression(*a.math->queries[a.math->returned].expression))
             : alarm::StatisticName(a.statistic, a.percentile) + " of " + a.metric_namespace + "/" +
                   a.metric_name;
  return watched + " over " + std::to_string(a.period) + " s " + op + " " +
         JsonNumber(a.threshold) + ", " + Mofn(a) +
         " datapoints, missing data: " + std::string(alarm::MissingDataName(a.treat_missing_data));
}

void PrintTable(const replay::TuneResult& r, const TuneCliOptions& cli) {
  const double weeks = static_cast<double>(r.range.to - r.range.from) / (7 * 86400.0);
  std::string out = "tune " + r.alarm.name + ": " + Describe(r.alarm) + "\n";
  out += "replayed " + FormatIsoTime(r.range.from) + " .. " + FormatIsoTime(r.range.to) + " (" +
         Duration(r.range.to - r.range.from) + ", " + Fixed(weeks, 2) + " weeks; database " +
         cli.db + "), " + std::to_string(r.candidates.size()) +
         (r.candidates.size() == 1 ? " candidate\n" : " candidates\n");
  if (!r.has_series) out += "no samples: no event ever published to this metric\n";
  for (std::size_t i = 0; i < r.incidents.size(); ++i) {
    out += "incident " + std::to_string(i + 1) + ": " + FormatIsoTime(r.incidents[i].from) +
           " .. " + FormatIsoTime(r.incidents[i].to) + "\n";
  }
  out += "\n  " + Pad("threshold", 10, true) + Pad("M/N", 7, true) + "  " + Pad("missing", 13) +
         Pad("episodes", 8, true) + Pad("in ALARM", 10, true) + Pad("per week", 10, true);
  for (std::size_t i = 0; i < r.incidents.size(); ++i) {
    out += Pad("incident " + std::to_string(i + 1), 12, true);
  }
  out += "\n";
  for (const auto& c : r.candidates) {
    std::string line =
        "  " + Pad(JsonNumber(c.spec.threshold), 10, true) + Pad(Mofn(c.spec), 7, true) + "  " +
        Pad(std::string(alarm::MissingDataName(c.spec.treat_missing_data)), 13) +
        Pad(std::to_string(c.episodes), 8, true) + Pad(Duration(c.seconds_in_alarm), 10, true) +
        Pad(Fixed(c.per_week, 1), 10, true);
    for (const auto& o : c.incidents) {
      line += Pad(o.alarmed ? "after " + Duration(o.delay) : "missed", 12, true);
    }
    const std::string mark = Mark(c);
    if (!mark.empty()) line += "  " + mark;
    out += line + "\n";
  }
  out += "\n";
  if (r.incidents.empty()) {
    out += "no --incident given: nothing to recommend (give the windows the alarm must catch)\n";
  } else if (!r.recommended) {
    out += "no candidate alarms during every incident\n";
  } else {
    const auto& c = r.candidates[*r.recommended];
    out += "recommended: threshold " + JsonNumber(c.spec.threshold) + ", " + Mofn(c.spec) +
           " datapoints, missing data " +
           std::string(alarm::MissingDataName(c.spec.treat_missing_data)) + ": " +
           std::to_string(c.episodes) + (c.episodes == 1 ? " episode" : " episodes") +
           ", catches every incident (fewest episodes, then least delay, then least time in "
           "ALARM, then closest to the current configuration)\n";
  }
  std::cout << out;
}

void PrintCsv(const replay::TuneResult& r) {
  std::string out =
      "threshold,datapoints_to_alarm,evaluation_periods,treat_missing_data,episodes,"
      "seconds_in_alarm,episodes_per_week";
  for (std::size_t i = 0; i < r.incidents.size(); ++i) {
    out += ",incident_" + std::to_string(i + 1) + "_alarmed,incident_" + std::to_string(i + 1) +
           "_delay_seconds";
  }
  out += ",mark\n";
  for (const auto& c : r.candidates) {
    out += JsonNumber(c.spec.threshold) + "," + std::to_string(c.spec.datapoints_to_alarm) + "," +
           std::to_string(c.spec.evaluation_periods) + "," +
           std::string(alarm::MissingDataName(c.spec.treat_missing_data)) + "," +
           std::to_string(c.episodes) + "," + std::to_string(c.seconds_in_alarm) + "," +
           Fixed(c.per_week, 3);
    for (const auto& o : c.incidents) {
      out += std::string(o.alarmed ? ",true," : ",false,") +
             (o.alarmed ? std::to_string(o.delay) : "");
    }
    out += "," + Mark(c) + "\n";
  }
  std::cout << out;
}

void PrintJson(const replay::TuneResult& r) {
  std::string out = "{\"alarm\":" + replay::AlarmJson(r.alarm) +
                    ",\"from\":" + JsonString(FormatIsoTime(r.range.from)) +
                    ",\"to\":" + JsonString(FormatIsoTime(r.range.to)) + ",\"incidents\":[";
  for (std::size_t i = 0; i < r.incidents.size(); ++i) {
    out += (i > 0 ? "," : "") + std::string("{\"from\":") +
           JsonString(FormatIsoTime(r.incidents[i].from)) +
           ",\"to\":" + JsonString(FormatIsoTime(r.incidents[i].to)) + "}";
  }
  out += "],\"candidates\":[";
  for (std::size_t i = 0; i < r.candidates.size(); ++i) {
    const auto& c = r.candidates[i];
    out +=
        (i > 0 ? "," : "") + std::string("{\"threshold\":") + JsonNumber(c.spec.threshold) +
        ",\"datapoints_to_alarm\":" + std::to_string(c.spec.datapoints_to_alarm) +
        ",\"evaluation_periods\":" + std::to_string(c.spec.evaluation_periods) +
        ",\"treat_missing_data\":" + JsonString(alarm::MissingDataName(c.spec.treat_missing_data)) +
        ",\"episodes\":" + std::to_string(c.episodes) +
        ",\"seconds_in_alarm\":" + std::to_string(c.seconds_in_alarm) +
        ",\"episodes_per_week\":" + JsonNumber(std::round(c.per_week * 1000) / 1000) +
        ",\"incidents\":[";
    for (std::size_t j = 0; j < c.incidents.size(); ++j) {
      const auto& o = c.incidents[j];
      out += (j > 0 ? "," : "") + std::string("{\"alarmed\":") + (o.alarmed ? "true" : "false") +
             ",\"first_alarm\":" + (o.alarmed ? JsonString(FormatIsoTime(o.first_alarm)) : "null") +
             ",\"delay_seconds\":" + (o.alarmed ? std::to_string(o.delay) : "null") + "}";
    }
    out += std::string("],\"catches_all\":") + (c.catches_all ? "true" : "false") +
           ",\"fewest\":" + (c.fewest ? "true" : "false") +
           ",\"recommended\":" + (c.recommended ? "true" : "false") +
           ",\"current\":" + (c.original ? "true" : "false") + "}";
  }
  out += "],\"recommended\":" +
         (r.recommended ? std::to_string(*r.recommended) : std::string("null")) + "}\n";
  std::cout << out;
}

int Run(const TuneCliOptions& cli) {
  if (!cli.db.empty()) WarnIfShared(cli.db);
  auto fail = [](const Error& e) {
    std::cerr << FormatError(e);
    return kExitFailure;
  };
  replay::TuneOptions options;
  options.db_path = cli.db;
  options.evaluation_range = cli.evaluation_range;
  options.ignore_creation_time = cli.ignore_creation_time;
  if (auto ok = ParseTimeOptions({{&cli.from, &options.from}, {&cli.to, &options.to}}); !ok) {
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
  {
    auto db = store::Database::Open(cli.db, /*read_only=*/true);
    if (!db) return fail(db.error());
    auto spec = replay::ResolveAlarm(*rules, cli.alarm, *db);
    if (!spec) return fail(spec.error());
    options.alarm = *spec;
  }
  if (!cli.thresholds.empty()) {
    auto list = replay::ParseThresholds(cli.thresholds);
    if (!list) return fail(list.error());
    options.thresholds = *list;
  }
  if (!cli.datapoints.empty()) {
    auto list = replay::ParseDatapoints(cli.datapoints, options.alarm.evaluation_periods);
    if (!list) return fail(list.error());
    options.datapoints = *list;
  }
  if (!cli.missing_data.empty()) {
    auto list = replay::ParseMissingDataList(cli.missing_data);
    if (!list) return fail(list.error());
    options.missing_data = *list;
  }
  auto result = replay::RunTune(options);
  if (!result) return fail(result.error());
  if (cli.format == "csv") {
    PrintCsv(*result);
  } else if (cli.format == "json") {
    PrintJson(*result);
  } else {
    PrintTable(*result, cli);
  }
  return kExitOk;
}

}  // namespace

void RegisterTune(CLI::App& app, int& exit_code) {
  auto options = std::make_shared<TuneCliOptions>();
  CLI::App* cmd = app.add_subcommand(
      "tune",
      "Replay every candidate configuration of an alarm (thresholds, M of N, missing data) in "
      "memory: episodes, time in ALARM, alarms per week, and whether each catches the incidents.");
  cmd->add_option("--db", options->db, "A database made by 'trailreplay scan'")->required();
  cmd->add_option("--alarm", options->alarm, "The alarm to tune")->required();
  cmd->add_option("--rules", options->rules,
                  "Filters and alarms: 'cis', or describe-metric-filters / describe-alarms "
                  "files (default: those the database was scanned with)")
      ->allow_extra_args(false);
  cmd->add_option("--threshold", options->thresholds,
                  "Candidate thresholds: FROM..TO[:STEP] (1..50, 1..50:5) or a list (1,2,5)");
  cmd->add_option("--datapoints-to-alarm", options->datapoints,
                  "Candidate M of N pairs: M/N,... (1/1,2/3,3/5)");
  cmd->add_option("--treat-missing-data", options->missing_data,
                  "Candidate treatments: missing, ignore, breaching, notBreaching (comma list)");
  cmd->add_option("--incident", options->incidents,
                  "A window the alarm must catch, FROM..TO in UTC "
                  "(2024-03-02T03:00Z..2024-03-02T04:00Z); repeatable")
      ->allow_extra_args(false);
  cmd->add_option("--from", options->from, "First evaluation (default: the first event)");
  cmd->add_option("--to", options->to, "Last evaluation (default: after the last event)");
  cmd->add_option("--evaluation-range", options->evaluation_range,
                  "Periods each evaluation looks back (default N + 2)");
  cmd->add_flag("--ignore-creation-time", options->ignore_creation_time,
                "Use samples from before a filter's creationTime too");
  cmd->add_option("--format", options->format, "table, csv or json")
      ->check(CLI::IsMember({"table", "csv", "json"}))
      ->capture_default_str();
  cmd->callback([options, &exit_code] { exit_code = Run(*options); });
}

}  // namespace trailreplay::cli

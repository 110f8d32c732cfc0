// `trailreplay replay`: CloudWatch alarms replayed over a scanned database. Prints a timeline
// per alarm (its ALARM episodes: start, end, duration, peak datapoint, matching events) and
// writes the state history and the episodes to the database (views alarm_history and
// alarm_episodes).
//
// Exit codes: 0 replayed; 1 a fatal error (no database, unreadable rules, no replayable alarm,
// an override CloudWatch would reject); 2 the command line could not be parsed.
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
#include "replay/replay.h"

namespace trailreplay::cli {
namespace {

struct ReplayCliOptions {
  std::string db;
  std::vector<std::string> rules;
  std::vector<std::string> alarms;
  std::string from, to;
  std::optional<double> threshold;
  std::optional<int> evaluation_periods, datapoints_to_alarm;
  std::string treat_missing_data, statistic;
  std::optional<std::int64_t> period;
  int evaluation_range = 0;
  bool ignore_creation_time = false;
  FormatChoice output;
  std::size_t max_episodes = 50;
};

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
  if (a.math) {
    const auto& r = a.math->queries[a.math->returned];
    return "metric math " + r.id + " = " +
           (r.is_metric() ? alarm::StatisticName(r.statistic, 0) + " of " + r.metric_namespace +
                                "/" + r.metric_name
                          : alarm::PrintMathExpression(*r.expression)) +
           " over " + std::to_string(a.period) + " s " + op + " " + JsonNumber(a.threshold) + ", " +
           std::to_string(a.datapoints_to_alarm) + " of " + std::to_string(a.evaluation_periods) +
           " datapoints, missing data: " +
           std::string(alarm::MissingDataName(a.treat_missing_data));
  }
  std::string metric = a.metric_namespace + "/" + a.metric_name;
  if (!a.dimensions.empty()) {
    metric += " {";
    for (std::size_t i = 0; i < a.dimensions.size(); ++i) {
      metric += (i > 0 ? ", " : "") + a.dimensions[i].first + "=" + a.dimensions[i].second;
    }
    metric += "}";
  }
  return alarm::StatisticName(a.statistic, a.percentile) + " of " + metric + " over " +
         std::to_string(a.period) + " s " + op + " " + JsonNumber(a.threshold) + ", " +
         std::to_string(a.datapoints_to_alarm) + " of " + std::to_string(a.evaluation_periods) +
         " datapoints, missing data: " + std::string(alarm::MissingDataName(a.treat_missing_data));
}

void PrintText(const replay::ReplayResult& r, const ReplayCliOptions& cli) {
  std::string out = "replay " + FormatIsoTime(r.from) + " .. " + FormatIsoTime(r.to) +
                    " (database " + cli.db + ")\n";
  for (const auto& a : r.alarms) {
    out += "\n" + a.stored_name + ": " + Describe(a.spec) + "\n";
    if (!a.has_series) {
      out += "  no samples: no event ever published to this metric\n";
    }
    if (a.creation_cutoff && *a.creation_cutoff > r.from) {
      out += "  the filter was created at " + FormatIsoTime(*a.creation_cutoff) +
             "; samples before that are left out (--ignore-creation-time keeps them)\n";
    }
    out += "  " + std::to_string(a.episodes.size()) +
           (a.episodes.size() == 1 ? " episode" : " episodes") + " in ALARM, " +
           Duration(a.seconds_in_alarm) + " in total, " + std::to_string(a.transitions.size()) +
           " state changes\n";
    if (a.episodes.empty()) continue;
    out += "  " + Pad("start", 22) + Pad("end", 22) + Pad("duration", 10, true) +
           Pad("peak", 8, true) + Pad("events", 8, true) + "\n";
    std::size_t shown = 0;
    for (const auto& e : a.episodes) {
      if (shown++ == cli.max_episodes) {
        out += "  ... " + std::to_string(a.episodes.size() - cli.max_episodes) +
               " more (SELECT * FROM alarm_episodes WHERE alarm_name = '" + a.stored_name + "')\n";
        break;
      }
      const std::int64_t end = e.end.value_or(r.to);
      out += "  " + Pad(FormatIsoTime(e.start), 22) +
             Pad(e.end ? FormatIsoTime(*e.end) : "(still in ALARM)", 22) +
             Pad(Duration(end - e.start), 10, true) +
             Pad(e.peak ? JsonNumber(*e.peak) : "-", 8, true) +
             Pad(std::to_string(e.matched_events), 8, true) + "\n";
    }
  }
  for (const auto& c : r.composites) {
    out += "\n" + c.stored_name + ": composite, " + alarm::PrintRule(c.spec.rule.root) + "\n";
    out += "  " + std::to_string(c.episodes.size()) +
           (c.episodes.size() == 1 ? " episode" : " episodes") + " in ALARM, " +
           Duration(c.seconds_in_alarm) + " in total, " + std::to_string(c.transitions.size()) +
           " state changes\n";
    if (c.episodes.empty()) continue;
    out += "  " + Pad("start", 22) + Pad("end", 22) + Pad("duration", 10, true) + "\n";
    std::size_t shown = 0;
    for (const auto& e : c.episodes) {
      if (shown++ == cli.max_episodes) {
        out += "  ... " + std::to_string(c.episodes.size() - cli.max_episodes) +
               " more (SELECT * FROM alarm_episodes WHERE alarm_name = '" + c.stored_name + "')\n";
        break;
      }
      out += "  " + Pad(FormatIsoTime(e.start), 22) +
             Pad(e.end ? FormatIsoTime(*e.end) : "(still in ALARM)", 22) +
             Pad(Duration(e.end.value_or(r.to) - e.start), 10, true) + "\n";
    }
  }
  for (const auto& n : r.not_replayable) {
    out += "\n" + n.alarm_name + " is not replayable, because " + n.reason + "\n";
  }
  std::cout << out;
}

void PrintJson(const replay::ReplayResult& r) {
  std::string out = "{\"replay_id\":" + std::to_string(r.replay_id) +
                    ",\"from\":" + JsonString(FormatIsoTime(r.from)) +
                    ",\"to\":" + JsonString(FormatIsoTime(r.to)) + ",\"alarms\":[";
  for (std::size_t i = 0; i < r.alarms.size(); ++i) {
    const auto& a = r.alarms[i];
    out += (i > 0 ? "," : "") + std::string("{\"name\":") + JsonString(a.stored_name) +
           ",\"definition\":" + replay::AlarmJson(a.spec) +
           ",\"seconds_in_alarm\":" + std::to_string(a.seconds_in_alarm) + ",\"episodes\":[";
    for (std::size_t j = 0; j < a.episodes.size(); ++j) {
      const auto& e = a.episodes[j];
      out += (j > 0 ? "," : "") + std::string("{\"start\":") + JsonString(FormatIsoTime(e.start)) +
             ",\"end\":" + (e.end ? JsonString(FormatIsoTime(*e.end)) : "null") +
             ",\"peak\":" + (e.peak ? JsonNumber(*e.peak) : "null") +
             ",\"matched_events\":" + std::to_string(e.matched_events) + "}";
    }
    out += "],\"transitions\":[";
    for (std::size_t j = 0; j < a.transitions.size(); ++j) {
      const auto& t = a.transitions[j];
      out += (j > 0 ? "," : "") + std::string("{\"time\":") + JsonString(FormatIsoTime(t.time)) +
             ",\"old_state\":" + JsonString(alarm::StateName(t.old_state)) +
             ",\"new_state\":" + JsonString(alarm::StateName(t.new_state)) +
             ",\"reason\":" + JsonString(t.reason) + "}";
    }
    out += "]}";
  }
  out += "],\"composites\":[";
  for (std::size_t i = 0; i < r.composites.size(); ++i) {
    const auto& c = r.composites[i];
    out += (i > 0 ? "," : "") + std::string("{\"name\":") + JsonString(c.stored_name) +
           ",\"definition\":" + replay::CompositeJson(c.spec.name, c.spec.rule_text) +
           ",\"rule\":" + JsonString(alarm::PrintRule(c.spec.rule.root)) +
           ",\"seconds_in_alarm\":" + std::to_string(c.seconds_in_alarm) + ",\"episodes\":[";
    for (std::size_t j = 0; j < c.episodes.size(); ++j) {
      const auto& e = c.episodes[j];
      out += (j > 0 ? "," : "") + std::string("{\"start\":") + JsonString(FormatIsoTime(e.start)) +
             ",\"end\":" + (e.end ? JsonString(FormatIsoTime(*e.end)) : "null") + "}";
    }
    out += "],\"transitions\":[";
    for (std::size_t j = 0; j < c.transitions.size(); ++j) {
      const auto& t = c.transitions[j];
      out += (j > 0 ? "," : "") + std::string("{\"time\":") + JsonString(FormatIsoTime(t.time)) +
             ",\"old_state\":" + JsonString(alarm::StateName(t.old_state)) +
             ",\"new_state\":" + JsonString(alarm::StateName(t.new_state)) +
             ",\"reason\":" + JsonString(t.reason) + "}";
    }
    out += "]}";
  }
  out += "],\"not_replayable\":[";
  for (std::size_t i = 0; i < r.not_replayable.size(); ++i) {
    out += (i > 0 ? "," : "") + std::string("{\"name\":") +
           JsonString(r.not_replayable[i].alarm_name) +
           ",\"reason\":" + JsonString(r.not_replayable[i].reason) + "}";
  }
  std::cout << out << "]}\n";
}

int Run(const ReplayCliOptions& cli) {
  if (!cli.db.empty()) WarnIfShared(cli.db);
  replay::ReplayOptions options;
  options.db_path = cli.db;
  options.alarm_names = cli.alarms;
  options.evaluation_range = cli.evaluation_range;
  options.ignore_creation_time = cli.ignore_creation_time;
  options.version = TRAILREPLAY_VERSION;
  options.rule_sources = cli.rules;
  if (auto ok = ParseTimeOptions({{&cli.from, &options.from}, {&cli.to, &options.to}}); !ok) {
    std::cerr << FormatError(ok.error());
    return kExitFailure;
  }
  replay::Overrides& o = options.overrides;
  o.threshold = cli.threshold;
  o.evaluation_periods = cli.evaluation_periods;
  o.datapoints_to_alarm = cli.datapoints_to_alarm;
  o.period = cli.period;
  if (!cli.treat_missing_data.empty()) {
    auto mode = ParseMissingData(cli.treat_missing_data);
    if (!mode) {
      std::cerr << FormatError(mode.error());
      return kExitFailure;
    }
    o.treat_missing_data = *mode;
  }
  if (!cli.statistic.empty()) {
    auto statistic = ParseStatistic(cli.statistic, o.percentile);
    if (!statistic) {
      std::cerr << FormatError(statistic.error());
      return kExitFailure;
    }
    o.statistic = *statistic;
  }
  auto rules = LoadRuleSources(cli.rules, cli.db);
  if (!rules) {
    std::cerr << FormatError(rules.error(), "pattern");
    return kExitFailure;
  }
  options.rules = std::move(*rules);
  auto result = replay::RunReplay(options);
  if (!result) {
    std::cerr << FormatError(result.error());
    return kExitFailure;
  }
  if (cli.output.json()) {
    PrintJson(*result);
  } else {
    PrintText(*result, cli);
  }
  return kExitOk;
}

}  // namespace

void RegisterReplay(CLI::App& app, int& exit_code) {
  auto options = std::make_shared<ReplayCliOptions>();
  CLI::App* cmd = app.add_subcommand(
      "replay",
      "Replay CloudWatch alarms over a scanned database: when each would have fired, for how "
      "long, and on which events.");
  cmd->add_option("--db", options->db, "A database made by 'trailreplay scan'")->required();
  cmd->add_option("--rules", options->rules,
                  "Filters and alarms: 'cis', or files of 'aws logs describe-metric-filters' "
                  "and 'aws cloudwatch describe-alarms' output (default: those the database "
                  "was scanned with)")
      ->allow_extra_args(false);
  cmd->add_option("--alarm", options->alarms, "Replay only these alarms (repeatable)");
  cmd->add_option("--from", options->from, "First evaluation (default: the first event)");
  cmd->add_option("--to", options->to,
                  "Last evaluation (default: after the last event, once the alarm settles)");
  cmd->add_option("--threshold", options->threshold, "What-if: another threshold");
  cmd->add_option("--evaluation-periods", options->evaluation_periods,
                  "What-if: another N (EvaluationPeriods)");
  cmd->add_option("--datapoints-to-alarm", options->datapoints_to_alarm,
                  "What-if: another M (DatapointsToAlarm)");
  cmd->add_option("--treat-missing-data", options->treat_missing_data,
                  "What-if: missing, ignore, breaching or notBreaching");
  cmd->add_option("--statistic", options->statistic,
                  "What-if: SampleCount, Sum, Average, Minimum, Maximum or pNN");
  cmd->add_option("--period", options->period, "What-if: another period (a multiple of 60 s)");
  cmd->add_option("--evaluation-range", options->evaluation_range,
                  "Periods each evaluation looks back (default N + 2; AWS does not publish it)");
  cmd->add_flag("--ignore-creation-time", options->ignore_creation_time,
                "Use samples from before a filter's creationTime too");
  cmd->add_option("--max-episodes", options->max_episodes, "Episodes printed per alarm")
      ->capture_default_str();
  AddFormatOption(cmd, options->output);
  cmd->callback([options, &exit_code] { exit_code = Run(*options); });
}

}  // namespace trailreplay::cli

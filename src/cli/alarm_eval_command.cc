// `trailreplay alarm-eval`: one alarm against a metric series given as JSON Lines of
// published samples ({"t":"2024-03-01T00:05:07Z","value":1}; a period without a line has no
// data), evaluated at chosen instants or at every evaluation of a range. Users check an alarm
// against a series exported from CloudWatch; the tests pin CloudWatch's semantics with it.
//
// Samples carry seconds. A high-resolution alarm (Period 10, 20 or 30 s, which a replay of
// scanned data refuses: metric filters publish per minute) sees them in 10-second slots and is
// evaluated every 10 s; any other alarm per minute (alarm/alarm.h).
//
// `--at` instants are evaluated independently, each from --initial-state (so a row of AWS's
// missing-data tables is one call); `--from/--to` evaluates every step (a minute, 10 s for a
// high-resolution alarm), carrying the state.
// Exit codes: 0 evaluated; 1 unreadable or invalid alarm or samples, or the alarm is not
// replayable (the reason is printed); 2 the command line could not be parsed.
#include <simdjson.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>

#include "alarm/math.h"
#include "cli/commands.h"
#include "cli/rules_loading.h"
#include "common/error_format.h"
#include "common/json_escape.h"
#include "common/time.h"
#include "metric/transformation.h"
#include "rules/rules.h"

namespace trailreplay::cli {
namespace {

struct AlarmEvalOptions {
  std::string alarm_file;
  std::string name;
  std::string samples = "-";
  std::vector<std::string> at;
  std::string from, to;
  std::string initial_state = "INSUFFICIENT_DATA";
  int evaluation_range = 0;
};

Result<std::string> ReadText(const std::string& path) {
  std::ostringstream text;
  if (path == "-") {
    text << std::cin.rdbuf();
    return text.str();
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return MakeError(ErrorCode::kIo, "cannot read '" + path + "': " + std::strerror(errno));
  }
  text << in.rdbuf();
  return text.str();
}

Result<alarm::AlarmSpec> LoadAlarm(const AlarmEvalOptions& o) {
  auto text = ReadText(o.alarm_file);
  if (!text) return std::move(text).error();
  // A bare MetricAlarm object is wrapped the way describe-alarms prints it.
  std::string document = *text;
  if (document.find("\"MetricAlarms\"") == std::string::npos &&
      document.find("\"CompositeAlarms\"") == std::string::npos) {
    document = "{\"MetricAlarms\":[" + document + "]}";
  }
  auto set = rules::ParseRulesDocument(document, o.alarm_file, rules::SampleResolution::kSecond);
  if (!set) return std::move(set).error();
  std::vector<alarm::AlarmSpec> candidates;
  for (auto& a : set->alarms) {
    if (o.name.empty() || a.name == o.name) candidates.push_back(std::move(a));
  }
  for (const auto& n : set->not_replayable) {
    if (o.name.empty() || n.alarm_name == o.name) {
      if (candidates.empty()) {
        return MakeError(ErrorCode::kInvalidArgument,
                         "alarm '" + n.alarm_name + "' is not replayable, because " + n.reason);
      }
    }
  }
  for (const auto& c : set->composites) {
    if (candidates.empty() && (o.name.empty() || c.name == o.name)) {
      return MakeError(ErrorCode::kInvalidArgument,
                       "alarm '" + c.name +
                           "' is a composite alarm: its state follows its children's states "
                           "by its AlarmRule, not one series of samples; 'replay' evaluates it "
                           "over its children's replayed histories");
    }
  }
  if (candidates.empty()) {
    return MakeError(ErrorCode::kInvalidArgument,
                     o.name.empty() ? o.alarm_file + " holds no alarm"
                                    : "no alarm named '" + o.name + "' in " + o.alarm_file);
  }
  if (candidates.size() > 1) {
    return MakeError(ErrorCode::kInvalidArgument, o.alarm_file + " holds " +
                                                      std::to_string(candidates.size()) +
                                                      " alarms: choose one with --name");
  }
  return candidates.front();
}

// Samples aggregated per slot of `slot` seconds (SampleSlotSeconds of the alarm's period).
Result<std::vector<alarm::MinuteSample>> LoadSamples(const std::string& path, std::int64_t slot) {
  auto text = ReadText(path);
  if (!text) return std::move(text).error();
  std::map<std::int64_t, alarm::MinuteSample> minutes;
  std::map<std::int64_t, std::map<double, std::uint64_t>> values;
  simdjson::dom::parser parser;
  std::istringstream lines(*text);
  std::string line;
  std::size_t number = 0;
  while (std::getline(lines, line)) {
    ++number;
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    auto where = [&](const std::string& what) {
      return MakeError(ErrorCode::kInvalidInput,
                       path + " line " + std::to_string(number) + ": " + what);
    };
    simdjson::dom::object object;
    if (parser.parse(line).get_object().get(object)) {
      return where("expected {\"t\": \"2024-03-01T00:05:00Z\", \"value\": 1}");
    }
    std::string_view t;
    double value = 0;
    if (object["t"].get_string().get(t)) return where("'t' must be an ISO-8601 UTC time");
    if (object["value"].get_double().get(value)) return where("'value' must be a number");
    if (!metric::AcceptedMetricValue(value)) {
      return where("'value' " + JsonNumber(value) +
                   " is outside the range CloudWatch accepts (PutMetricData rejects magnitudes "
                   "beyond 2^360 and non-zero ones below 2^-360)");
    }
    const auto time = ParseIsoTime(t);
    if (!time) return where("'t' must be an ISO-8601 UTC time, not '" + std::string(t) + "'");
    const std::int64_t minute = FloorTo(*time, slot);
    alarm::MinuteSample& s = minutes[minute];
    s.minute = minute;
    s.minimum = s.count == 0 ? value : std::min(s.minimum, value);
    s.maximum = s.count == 0 ? value : std::max(s.maximum, value);
    ++s.count;
    s.sum += value;
    ++values[minute][value];
  }
  std::vector<alarm::MinuteSample> out;
  for (auto& [minute, s] : minutes) {
    for (const auto& [v, c] : values[minute]) s.values.emplace_back(v, c);
    out.push_back(std::move(s));
  }
  return out;
}

void Print(const alarm::Evaluation& e) {
  std::cout << "{\"t\":" << JsonString(FormatIsoTime(e.time))
            << ",\"state\":" << JsonString(alarm::StateName(e.state))
            << ",\"reason\":" << JsonString(e.reason) << "}\n";
}

int Run(const AlarmEvalOptions& o) {
  auto fail = [](const Error& error) {
    std::cerr << FormatError(error);
    return kExitFailure;
  };
  if (o.at.empty() == (o.from.empty() && o.to.empty())) {
    return fail(MakeError(ErrorCode::kInvalidArgument, "give either --at, or --from and --to"));
  }
  if (o.at.empty() && (o.from.empty() || o.to.empty())) {
    return fail(MakeError(ErrorCode::kInvalidArgument, "--from and --to go together"));
  }
  auto spec = LoadAlarm(o);
  if (!spec) return fail(spec.error());
  if (!alarm::IsHighResolutionPeriod(spec->period) && spec->period % 60 != 0) {
    return fail(MakeError(ErrorCode::kInvalidArgument,
                          "period " + std::to_string(spec->period) +
                              " s: CloudWatch accepts 10, 20, 30 or a multiple of 60"));
  }
  const std::int64_t step = alarm::SampleSlotSeconds(spec->period);
  auto samples = LoadSamples(o.samples, step);
  if (!samples) return fail(samples.error());
  auto initial = ParseState(o.initial_state);
  if (!initial) return fail(initial.error());
  // A metric math alarm over one metric reads the samples as that metric's, and evaluates
  // its expression over them (alarm/math.h).
  std::map<std::string, std::vector<alarm::MinuteSample>> math_samples;
  if (spec->math) {
    std::string ids;
    for (const auto& q : spec->math->queries) {
      if (!q.is_metric()) continue;
      ids += (ids.empty() ? "" : ", ") + q.id;
      math_samples[q.id] = *samples;
    }
    if (math_samples.size() != 1) {
      return fail(MakeError(ErrorCode::kInvalidArgument,
                            "metric math alarm '" + spec->name + "' reads " +
                                std::to_string(math_samples.size()) + " metrics (" + ids +
                                "), and alarm-eval takes one series of samples; 'replay' "
                                "evaluates it over the replayed series"));
    }
  }
  auto evaluate = [&](const alarm::EvaluateOptions& options) {
    return spec->math ? alarm::EvaluateMathAlarm(*spec, math_samples, options)
                      : alarm::Evaluate(*spec, *samples, options);
  };

  alarm::EvaluateOptions options;
  options.initial_state = *initial;
  options.evaluation_range = o.evaluation_range;
  options.record_every_evaluation = true;
  if (!o.at.empty()) {
    for (const auto& text : o.at) {
      auto t = ParseTimeArgument(text);
      if (!t) return fail(t.error());
      options.from = options.to = FloorTo(*t, step);
      for (const auto& e : evaluate(options).evaluations) Print(e);
    }
    return kExitOk;
  }
  auto from = ParseTimeArgument(o.from);
  if (!from) return fail(from.error());
  auto to = ParseTimeArgument(o.to);
  if (!to) return fail(to.error());
  options.from = *from;
  options.to = *to;
  for (const auto& e : evaluate(options).evaluations) Print(e);
  return kExitOk;
}

}  // namespace

void RegisterAlarmEval(CLI::App& app, int& exit_code) {
  auto options = std::make_shared<AlarmEvalOptions>();
  CLI::App* cmd = app.add_subcommand(
      "alarm-eval",
      "Evaluate one CloudWatch alarm against a metric series given as JSON Lines of samples "
      "({\"t\":\"2024-03-01T00:05:07Z\",\"value\":1}), printing one JSON line per evaluation. "
      "A high-resolution alarm (Period 10, 20 or 30 s) is evaluated every 10 s over the "
      "samples' seconds; others every minute.");
  cmd->add_option("--alarm", options->alarm_file,
                  "A MetricAlarm object, or 'aws cloudwatch describe-alarms' output")
      ->required();
  cmd->add_option("--name", options->name, "Which alarm of a describe-alarms file");
  cmd->add_option("--samples", options->samples, "The samples, JSON Lines ('-': stdin)")
      ->capture_default_str();
  cmd->add_option("--at", options->at,
                  "Evaluate at this time (down to the minute, or to 10 s for a high-resolution "
                  "alarm), from --initial-state (repeatable)");
  cmd->add_option("--from", options->from,
                  "Evaluate every minute (every 10 s for a high-resolution alarm) from this "
                  "time...");
  cmd->add_option("--to", options->to, "...to this time, carrying the state");
  cmd->add_option("--initial-state", options->initial_state, "OK, ALARM or INSUFFICIENT_DATA")
      ->capture_default_str();
  cmd->add_option("--evaluation-range", options->evaluation_range,
                  "Periods each evaluation looks back (default N + 2)");
  cmd->callback([options, &exit_code] { exit_code = Run(*options); });
}

}  // namespace trailreplay::cli

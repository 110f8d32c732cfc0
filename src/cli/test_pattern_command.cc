// `trailreplay test-pattern`: the offline counterpart of `aws logs test-metric-filter`.
//
// Reads log-event messages one per line (a CloudTrail event is one line of JSON) and reports,
// per line, whether the pattern matches and what the metric filter would publish; or, with
// --format aws, the TestMetricFilter response shape. --explain prints how the pattern was
// parsed instead.
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>
#include <map>
#include <string>

#include "cli/commands.h"
#include "common/error_format.h"
#include "common/json_escape.h"
#include "metric/transformation.h"
#include "pattern/compiled.h"
#include "pattern/parser.h"

namespace trailreplay::cli {
namespace {

struct TestPatternOptions {
  std::string pattern;
  std::string metric_value = "1";
  std::optional<double> default_value;
  std::vector<std::string> dimensions;
  std::string unit;
  std::string format = "json";
  bool explain = false;
  std::string input = "-";
};

void AppendDimensions(std::string& out, const metric::Sample& sample) {
  out += "{";
  for (std::size_t i = 0; i < sample.dimensions.size(); ++i) {
    if (i > 0) out += ", ";
    AppendJsonString(out, sample.dimensions[i].first);
    out += ": ";
    AppendJsonString(out, sample.dimensions[i].second);
  }
  out += "}";
}

int Run(const TestPatternOptions& options) {
  auto parsed = pattern::ParsePattern(options.pattern);
  if (!parsed) {
    std::cerr << FormatError(parsed.error(), "pattern");
    return kExitUsage;
  }
  if (options.explain) {
    std::cout << pattern::PrintPattern(*parsed) << "\n";
    return kExitOk;
  }

  metric::MetricTransformation spec;
  spec.metric_value = options.metric_value;
  spec.default_value = options.default_value;
  spec.unit = options.unit;
  for (const std::string& dimension : options.dimensions) {
    const std::size_t eq = dimension.find('=');
    if (eq == std::string::npos || eq == 0) {
      std::cerr << "error: --dimension takes NAME=VALUE, got '" << dimension << "'\n";
      return kExitUsage;
    }
    spec.dimensions.emplace_back(dimension.substr(0, eq), dimension.substr(eq + 1));
  }

  pattern::SelectorPlan plan;
  const pattern::CompiledPattern compiled(std::move(*parsed), plan);
  auto transformation = metric::CompiledTransformation::Compile(spec, compiled, plan);
  if (!transformation) {
    const Error& error = transformation.error();
    std::cerr << FormatError(
        error, error.subject == spec.metric_value ? "metric value" : "dimension value");
    return kExitUsage;
  }

  std::ifstream file;
  std::istream* in = &std::cin;
  if (options.input != "-") {
    file.open(options.input, std::ios::binary);
    if (!file) {
      std::cerr << "error: cannot open " << options.input << ": " << std::strerror(errno) << "\n";
      return kExitFailure;
    }
    in = &file;
  }

  const bool aws = options.format == "aws";
  pattern::EventContext event(&plan);
  metric::Sample sample;
  std::string line;
  std::string out;
  std::size_t line_number = 0;
  std::size_t matches = 0;
  if (aws) std::cout << "{\n    \"matches\": [";
  while (std::getline(*in, line)) {
    ++line_number;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    event.Reset(line, line.capacity());
    const bool matched = compiled.Matches(event);
    out.clear();
    if (aws) {
      if (!matched) continue;
      out += matches == 0 ? "\n" : ",\n";
      out += "        {\n            \"eventNumber\": " + std::to_string(line_number) +
             ",\n            \"eventMessage\": ";
      AppendJsonString(out, line);
      out += ",\n            \"extractedValues\": {";
      const auto values = metric::ExtractedValues(compiled, &*transformation, event);
      for (std::size_t i = 0; i < values.size(); ++i) {
        out += i == 0 ? "\n" : ",\n";
        out += "                ";
        AppendJsonString(out, values[i].first);
        out += ": ";
        AppendJsonString(out, values[i].second);
      }
      out += values.empty() ? "}\n        }" : "\n            }\n        }";
      ++matches;
    } else {
      transformation->Apply(matched, event, sample);
      out += "{\"line\": " + std::to_string(line_number) +
             ", \"match\": " + (matched ? "true" : "false") +
             ", \"value\": " + (sample.publish ? JsonNumber(sample.value) : "null") +
             ", \"dimensions\": ";
      AppendDimensions(out, sample);
      if (sample.rejected) {
        out +=
            ", \"rejected\": \"the metric value read is outside the range CloudWatch "
            "accepts (NaN, infinite, or a magnitude beyond 2^360 or below 2^-360): nothing "
            "is published\"";
      }
      out += "}\n";
    }
    std::cout << out;
  }
  if (in->bad()) {
    std::cerr << "error: reading " << (options.input == "-" ? "standard input" : options.input)
              << " failed at line " << line_number + 1 << "\n";
    return kExitFailure;
  }
  if (aws) std::cout << (matches == 0 ? "]\n}\n" : "\n    ]\n}\n");
  std::cout.flush();
  return kExitOk;
}

}  // namespace

void RegisterTestPattern(CLI::App& app, int& exit_code) {
  auto options = std::make_shared<TestPatternOptions>();
  CLI::App* command = app.add_subcommand(
      "test-pattern",
      "Test a CloudWatch Logs filter pattern against log-event messages, one per line (the "
      "offline counterpart of `aws logs test-metric-filter`).");
  command->add_option("--pattern,-p", options->pattern, "The filter pattern, as in CloudWatch")
      ->required();
  command
      ->add_option("--metric-value", options->metric_value,
                   "What a match publishes: a number, $.field (JSON patterns) or $name "
                   "(space-delimited patterns)")
      ->capture_default_str();
  command->add_option("--default-value", options->default_value,
                      "What a non-matching event publishes (none when unset)");
  command->add_option("--dimension", options->dimensions,
                      "NAME=VALUE, VALUE a reference such as $.eventSource; up to 3");
  command->add_option("--unit", options->unit, "CloudWatch unit of the metric (default None)");
  command
      ->add_option("--format", options->format,
                   "json: one object per input line; aws: the TestMetricFilter response")
      ->check(CLI::IsMember({"json", "aws"}))
      ->capture_default_str();
  command->add_flag("--explain", options->explain,
                    "Print the parsed pattern in canonical form and exit");
  command->add_option("input", options->input, "File of messages, one per line; - for stdin")
      ->capture_default_str();
  command->callback([options, &exit_code]() { exit_code = Run(*options); });
}

}  // namespace trailreplay::cli

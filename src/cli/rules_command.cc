// `trailreplay rules`: what rule sets there are and what one holds.
//
//   trailreplay rules                              the built-in default and every pack, with
//                                                  their counts of filters and alarms
//   trailreplay rules show NAME|FILE... [--format table|json]
//                                                  the filters, the alarms, and every alarm
//                                                  that cannot be replayed with the reason;
//                                                  several sources are combined as repeated
//                                                  --rules would be (alarms joined to filters)
//   trailreplay rules show FILE --db DB            and joined with the filters scanned into
//                                                  the database as well
//
// NAME is `built-in` or a pack name. json prints the describe-* shaped document
// (rules::RulesDocumentJson). Exit codes: 0; 1 a file cannot be read; 2 a rules document is
// invalid (bad JSON, a definition AWS would refuse, a name defined twice).
#include <unistd.h>

#include <algorithm>
#include <iostream>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "cli/cli_support.h"
#include "cli/commands.h"
#include "cli/rules_loading.h"
#include "common/error_format.h"
#include "common/json_escape.h"
#include "rules/rules.h"

namespace trailreplay::cli {
namespace {

constexpr const char* kBuiltinName = "built-in";

struct ShowOptions {
  std::vector<std::string> sources;
  std::string db;
  std::string format = "table";
};

// Left-aligned columns separated by two spaces; the last column is not padded.
void PrintTable(const std::vector<std::vector<std::string>>& rows, const std::string& indent) {
  std::vector<std::size_t> widths;
  for (const auto& row : rows) {
    if (widths.size() < row.size()) widths.resize(row.size(), 0);
    for (std::size_t i = 0; i < row.size(); ++i) widths[i] = std::max(widths[i], row[i].size());
  }
  for (const auto& row : rows) {
    std::string line = indent;
    for (std::size_t i = 0; i < row.size(); ++i) {
      line += row[i];
      if (i + 1 < row.size()) line += std::string(widths[i] - row[i].size() + 2, ' ');
    }
    std::cout << line << "\n";
  }
}

int ReportError(const Error& error) {
  std::cerr << FormatError(error, "pattern");
  return error.code == ErrorCode::kIo ? kExitFailure : kExitUsage;
}

Result<rules::RuleSet> Load(const std::string& source) {
  if (source == kBuiltinName) return rules::BuiltinRules();
  return rules::LoadRules(source);
}

int List(const std::string& format) {
  std::vector<std::vector<std::string>> rows = {{"name", "filters", "alarms", "description"}};
  std::string json;
  auto add = [&](const std::string& name, const rules::RuleSet& set,
                 const std::string& description) {
    const std::size_t alarms =
        set.alarms.size() + set.composites.size() + set.not_replayable.size();
    rows.push_back({name, std::to_string(set.filters.size()), std::to_string(alarms), description});
    json += std::string(json.empty() ? "" : ",\n") + "{\"name\":" + JsonString(name) +
            ",\"filters\":" + std::to_string(set.filters.size()) +
            ",\"alarms\":" + std::to_string(alarms) +
            ",\"description\":" + JsonString(description) + "}";
  };
  add(kBuiltinName, rules::BuiltinRules(),
      "the default without --rules: CIS unauthorized API calls and CloudTrail configuration "
      "changes");
  for (const rules::Pack& pack : rules::Packs()) {
    auto loaded = rules::LoadRules(pack.name);
    if (!loaded) return ReportError(loaded.error());
    add(pack.name, *loaded, pack.description);
  }
  if (format == "json") {
    std::cout << "[" << json << "]\n";
    return kExitOk;
  }
  PrintTable(rows, "");
  if (!Quiet()) std::cout << "\nShow one with 'trailreplay rules show NAME'.\n";
  return kExitOk;
}

std::string MetricText(const std::string& metric_namespace, const std::string& metric_name,
                       const std::vector<std::pair<std::string, std::string>>& dimensions) {
  std::string out = metric_namespace + "/" + metric_name;
  if (dimensions.empty()) return out;
  out += " {";
  for (std::size_t i = 0; i < dimensions.size(); ++i) {
    out += (i > 0 ? ", " : "") + dimensions[i].first + "=" + dimensions[i].second;
  }
  return out + "}";
}

void PrintRuleSet(const rules::RuleSet& set) {
  const std::size_t replayable = set.alarms.size() + set.composites.size();
  const std::size_t alarms = replayable + set.not_replayable.size();
  std::cout << "rules: " << set.origin << "\n"
            << set.filters.size()
            << (set.filters.size() == 1 ? " metric filter, " : " metric filters, ") << alarms
            << (alarms == 1 ? " alarm" : " alarms") << " (" << replayable << " replayable, "
            << set.not_replayable.size() << " not replayable)\n";

  if (!set.filters.empty()) {
    std::cout << "\nmetric filters\n";
    std::vector<std::vector<std::string>> rows = {{"name", "metric", "value", "pattern"}};
    for (const auto& f : set.filters) {
      const auto& t = f.transformation;
      std::string value = t.metric_value;
      if (t.default_value) value += " (default " + JsonNumber(*t.default_value) + ")";
      if (!t.unit.empty()) value += " " + t.unit;
      rows.push_back(
          {f.name, MetricText(t.metric_namespace, t.metric_name, t.dimensions), value, f.pattern});
    }
    PrintTable(rows, "  ");
  }
  if (!set.alarms.empty()) {
    std::cout << "\nalarms\n";
    std::vector<std::vector<std::string>> rows = {{"name", "metric", "statistic", "period",
                                                   "comparison", "threshold", "M of N",
                                                   "missing data"}};
    for (const auto& a : set.alarms) {
      std::string statistic = alarm::StatisticName(a.statistic, a.percentile);
      if (a.ignore_low_sample_percentile) statistic += " (low samples: ignore)";
      std::string metric = MetricText(a.metric_namespace, a.metric_name, a.dimensions);
      if (a.math) {
        // The watched query, then the metrics it reads.
        const auto& r = a.math->queries[a.math->returned];
        metric = "math " + r.id + " = " +
                 (r.is_metric() ? r.metric_namespace + "/" + r.metric_name
                                : alarm::PrintMathExpression(*r.expression));
        statistic = "";
        for (const auto& q : a.math->queries) {
          if (!q.is_metric()) continue;
          statistic += (statistic.empty() ? "" : ", ") + q.id + ": " +
                       alarm::StatisticName(q.statistic, 0) + " of " +
                       MetricText(q.metric_namespace, q.metric_name, q.dimensions);
        }
      }
      rows.push_back(
          {a.name, metric, statistic, std::to_string(a.period) + " s",
           std::string(alarm::ComparisonName(a.comparison)), JsonNumber(a.threshold),
           std::to_string(a.datapoints_to_alarm) + " of " + std::to_string(a.evaluation_periods),
           std::string(alarm::MissingDataName(a.treat_missing_data))});
    }
    PrintTable(rows, "  ");
  }
  if (!set.composites.empty()) {
    // The rule as trailreplay reads it: fully parenthesised (alarm/composite.h).
    std::cout << "\ncomposite alarms\n";
    std::vector<std::vector<std::string>> rows = {{"name", "rule"}};
    for (const auto& c : set.composites) rows.push_back({c.name, alarm::PrintRule(c.rule.root)});
    PrintTable(rows, "  ");
  }
  if (!set.not_replayable.empty()) {
    std::cout << "\nnot replayable\n";
    for (const auto& n : set.not_replayable) {
      std::cout << "  " << n.alarm_name << " is not replayable, because " << n.reason << "\n";
    }
  }
}

int Show(const ShowOptions& options) {
  std::vector<rules::RuleSet> sets;
  for (const auto& source : options.sources) {
    auto loaded = Load(source);
    if (!loaded) return ReportError(loaded.error());
    sets.push_back(std::move(*loaded));
  }
  if (!options.db.empty()) {
    if (::access(options.db.c_str(), R_OK) != 0) {
      return ReportError(MakeError(ErrorCode::kIo, "cannot read database '" + options.db + "'"));
    }
    auto scanned = ScannedFilterSet(options.db);
    if (!scanned) return ReportError(scanned.error());
    // Only the filters the sources do not define themselves: theirs are what they say.
    std::set<std::string> defined;
    for (const auto& set : sets) {
      for (const auto& f : set.filters) defined.insert(f.name);
    }
    std::erase_if(scanned->filters, [&](const auto& f) { return defined.count(f.name) > 0; });
    if (!scanned->filters.empty()) sets.push_back(std::move(*scanned));
  }
  auto combined = rules::Combine(std::move(sets));
  if (!combined) return ReportError(combined.error());
  if (options.format == "json") {
    std::cout << rules::RulesDocumentJson(*combined);
  } else {
    PrintRuleSet(*combined);
  }
  std::cout.flush();
  return kExitOk;
}

}  // namespace

void RegisterRules(CLI::App& app, int& exit_code) {
  CLI::App* command = app.add_subcommand(
      "rules",
      "List the built-in rule sets (the default and packs such as `cis`), or show what a rule "
      "set holds.");
  auto options = std::make_shared<ShowOptions>();
  auto list_format = std::make_shared<std::string>("table");
  command
      ->add_option("--format", *list_format, "table: for people; json: one array of the rule sets")
      ->check(CLI::IsMember({"table", "json"}))
      ->capture_default_str();
  CLI::App* show = command->add_subcommand(
      "show",
      "Show the metric filters and alarms of a rule set: `built-in`, a pack name, or a file "
      "holding describe-metric-filters and/or describe-alarms output. Several are combined, "
      "and each alarm is joined to the filter that publishes its metric.");
  show->add_option("source", options->sources, "built-in, a pack name, or a rules file")
      ->required();
  show->add_option("--format", options->format,
                   "table: for people; json: one describe-* shaped document")
      ->check(CLI::IsMember({"table", "json"}))
      ->capture_default_str();
  show->add_option("--db", options->db,
                   "Join the alarms with the filters scanned into this database too, as "
                   "'replay --rules' does for a describe-alarms file alone");
  show->callback([options, &exit_code] { exit_code = Show(*options); });
  // Subcommand callbacks run before their parent's.
  command->callback([show, list_format, &exit_code] {
    if (!show->parsed()) exit_code = List(*list_format);
  });
}

}  // namespace trailreplay::cli

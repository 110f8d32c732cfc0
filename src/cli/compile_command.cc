// `trailreplay compile`: the metric filters of a rule set as one SQL statement for the engine
// where the CloudTrail data lives (Athena, Trino, DuckDB), whose CSV result `import-samples`
// loads. `--explain` prints each filter's verdict instead of the SQL (the SQL carries the same
// verdicts in its opening comment).
//
// Exit codes: 0 the SQL (or the explanation) was printed; 1 a rules file cannot be read or the
// output cannot be written; 2 bad options, invalid rules, or filters the dialect cannot
// evaluate (without --skip-unsupported).
#include <fstream>
#include <iostream>
#include <memory>

#include "cli/commands.h"
#include "cli/rules_loading.h"
#include "common/error_format.h"
#include "common/json_escape.h"
#include "common/terminal_text.h"
#include "common/time.h"
#include "pushdown/compile.h"

namespace trailreplay::cli {
namespace {

struct CompileCliOptions {
  std::vector<std::string> rules;
  std::string dialect;
  std::string engine;
  std::string table;
  std::string json_column = "record";
  std::vector<std::string> inputs;
  std::vector<std::string> partition_columns;
  std::string from, to, max_delay = "24h";
  bool explain = false;
  bool json = false;
  bool skip_unsupported = false;
  std::string output;
};

std::string ExplainText(const pushdown::CompiledQuery& query, const pushdown::CompileOptions& o) {
  std::string out = "dialect " + std::string(pushdown::DialectName(o.dialect)) + " (engine " +
                    std::string(pushdown::EngineName(o.engine)) + "), query id " + query.query_id +
                    "\n\n";
  // Names and reasons quote rules, which are data: shown escaped (common/terminal_text.h).
  std::size_t width = 0;
  for (const auto& f : query.filters) width = std::max(width, TerminalSafe(f.name).size());
  for (const auto& f : query.filters) {
    const std::string name = TerminalSafe(f.name);
    out += "  " + name + std::string(width - name.size() + 2, ' ') +
           std::string(pushdown::VerdictName(f.verdict)) +
           (f.verdict == pushdown::Verdict::kUnsupported ? " (left out)" : "") + "\n";
    for (const auto& reason : f.reasons) out += "      - " + TerminalSafe(reason) + "\n";
  }
  out += "\nnotes:\n";
  for (const auto& note : query.notes) out += "  - " + note + "\n";
  return out;
}

std::string ExplainJson(const pushdown::CompiledQuery& query, const pushdown::CompileOptions& o) {
  std::string out = "{\"dialect\":" + JsonString(pushdown::DialectName(o.dialect)) +
                    ",\"engine\":" + JsonString(pushdown::EngineName(o.engine)) +
                    ",\"query_id\":" + JsonString(query.query_id) + ",\"filters\":[";
  for (std::size_t i = 0; i < query.filters.size(); ++i) {
    const auto& f = query.filters[i];
    out += std::string(i > 0 ? "," : "") + "{\"name\":" + JsonString(f.name) +
           ",\"verdict\":" + JsonString(pushdown::VerdictName(f.verdict)) + ",\"reasons\":[";
    for (std::size_t r = 0; r < f.reasons.size(); ++r) {
      out += (r > 0 ? "," : "") + JsonString(f.reasons[r]);
    }
    out += "]}";
  }
  out += "],\"notes\":[";
  for (std::size_t i = 0; i < query.notes.size(); ++i) {
    out += (i > 0 ? "," : "") + JsonString(query.notes[i]);
  }
  return out + "]}";
}

int Run(const CompileCliOptions& cli) {
  pushdown::CompileOptions options;
  const auto dialect = pushdown::ParseDialect(cli.dialect);
  if (!dialect) {
    std::cerr << "error: unknown dialect '" << cli.dialect
              << "': expected athena, trino-json or duckdb\n";
    return kExitUsage;
  }
  options.dialect = *dialect;
  options.engine =
      *dialect == pushdown::Dialect::kDuckDb ? pushdown::Engine::kDuckDb : pushdown::Engine::kTrino;
  if (!cli.engine.empty()) {
    const auto engine = pushdown::ParseEngine(cli.engine);
    if (!engine) {
      std::cerr << "error: unknown engine '" << cli.engine << "': expected trino or duckdb\n";
      return kExitUsage;
    }
    options.engine = *engine;
  }
  options.table = cli.table;
  options.json_column = cli.json_column;
  options.inputs = cli.inputs;
  for (const auto& column : cli.partition_columns) {
    std::size_t start = 0;
    for (;;) {
      const std::size_t comma = column.find(',', start);
      options.partition_columns.push_back(column.substr(start, comma - start));
      if (comma == std::string::npos) break;
      start = comma + 1;
    }
  }
  if (auto ok = ParseTimeOptions({{&cli.from, &options.from}, {&cli.to, &options.to}}); !ok) {
    std::cerr << FormatError(ok.error());
    return kExitUsage;
  }
  auto delay = ParseDurationArgument(cli.max_delay);
  if (!delay) {
    std::cerr << FormatError(delay.error());
    return kExitUsage;
  }
  options.max_delivery_delay = *delay;
  // The explanation lists unsupported filters rather than refusing them: it is where to look.
  options.skip_unsupported = cli.skip_unsupported || cli.explain;
  options.version = TRAILREPLAY_VERSION;

  auto rules = LoadRuleSources(cli.rules, "");
  if (!rules) {
    std::cerr << FormatError(rules.error(), "pattern");
    return rules.error().code == ErrorCode::kIo ? kExitFailure : kExitUsage;
  }
  auto query = pushdown::CompileQuery(rules->filters, options);
  if (!query) {
    std::cerr << FormatError(query.error(), "pattern");
    return kExitUsage;
  }
  const std::string text =
      cli.explain ? (cli.json ? ExplainJson(*query, options) + "\n" : ExplainText(*query, options))
                  : query->sql;
  if (cli.output.empty()) {
    std::cout << text;
    return std::cout.flush() ? kExitOk : kExitFailure;
  }
  std::ofstream out(cli.output, std::ios::binary | std::ios::trunc);
  out << text;
  if (!out.flush()) {
    std::cerr << "error: cannot write '" << cli.output << "'\n";
    return kExitFailure;
  }
  return kExitOk;
}

}  // namespace

void RegisterCompile(CLI::App& app, int& exit_code) {
  auto options = std::make_shared<CompileCliOptions>();
  CLI::App* cmd = app.add_subcommand(
      "compile",
      "Write the metric filters of a rule set as one SQL query for the engine where the logs "
      "are (Athena's CloudTrail table, a Trino table of JSON records, or DuckDB over the "
      "files); load its CSV result with import-samples.");
  cmd->add_option("--rules", options->rules,
                  "Metric filters: a pack ('cis') or files of 'aws logs describe-metric-filters' "
                  "output (repeatable; default: the built-in CIS filters)")
      ->allow_extra_args(false);
  cmd->add_option("--dialect", options->dialect,
                  "athena: the Athena user guide's CloudTrail table; trino-json: a table of one "
                  "JSON record per row; duckdb: DuckDB reading the files")
      ->required();
  cmd->add_option("--engine", options->engine,
                  "SQL syntax: trino (default for athena and trino-json) or duckdb (the default "
                  "for duckdb; with athena or trino-json, for a DuckDB table of that shape)");
  cmd->add_option("--table", options->table,
                  "athena, trino-json: the table, as [catalog.][schema.]table");
  cmd->add_option("--json-column", options->json_column,
                  "trino-json: the column holding each record's JSON text")
      ->capture_default_str();
  cmd->add_option("--input", options->inputs,
                  "duckdb: files or globs to read (repeatable), e.g. 'logs/**/*.json.gz'")
      ->allow_extra_args(false);
  cmd->add_option("--partition-columns", options->partition_columns,
                  "athena: the partition columns that hold the delivery date: one of yyyy/MM/dd "
                  "text (the partition-projection table's 'timestamp') or three (year,month,day)")
      ->allow_extra_args(false);
  cmd->add_option("--from", options->from, "Count events at or after this UTC time");
  cmd->add_option("--to", options->to, "Count events before this UTC time");
  cmd->add_option("--max-delivery-delay", options->max_delay,
                  "With --to: also read files delivered up to this long after it, as scan does")
      ->capture_default_str();
  cmd->add_flag("--explain", options->explain,
                "Print each filter's verdict (exact, approximate with reasons, unsupported) "
                "instead of the SQL");
  cmd->add_flag("--json", options->json, "With --explain: one JSON object");
  cmd->add_flag("--skip-unsupported", options->skip_unsupported,
                "Leave out the filters the dialect cannot evaluate instead of failing");
  cmd->add_option("--output", options->output, "Write to this file instead of stdout");
  cmd->callback([options, &exit_code] { exit_code = Run(*options); });
}

}  // namespace trailreplay::cli

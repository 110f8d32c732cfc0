// CloudWatch metric math for alarms: the expressions of a metric alarm's `Metrics` (metric
// data queries) in, one time series out, as a pure function of the queried metrics' series.
// Rules and sources: src/README.md, "Metric math alarms" ([CW-MATH] is the user guide's
// using-metric-math page).
//
//   expr     := or
//   or       := and (("OR" | "||") and)*
//   and      := compare (("AND" | "&&") compare)*
//   compare  := sum (("==" | "!=" | "<=" | ">=" | "<" | ">") sum)?
//   sum      := product (("+" | "-") product)*
//   product  := unary (("*" | "/") unary)*
//   unary    := "-" unary | power
//   power    := primary ("^" unary)?            -2^2 is -(2^2); 2^3^2 is 2^(3^2)
//   primary  := number | id | FUNCTION "(" args ")" | "(" expr ")" | "[" expr ("," expr)* "]"
//
// Values are scalars (S), time series (TS: one value or none per timestamp of the query) and
// arrays of time series (TS[]). Functions (upper case, [CW-MATH]): ABS, CEIL, FLOOR (TS, TS[],
// S); FILL(TS|TS[], S | TS | REPEAT | LINEAR); IF(cond, a[, b]); MIN, MAX, SUM, AVG (TS -> S
// over its datapoints; TS[] -> TS per timestamp); RATE and DIFF (against the previous
// datapoint); RUNNING_SUM; PERIOD(id of a metric) -> S; METRICS() and METRICS("text") -> the
// metrics (not expressions) of the request, those whose Id contains the text. Any other
// function (ANOMALY_DETECTION_BAND, SEARCH, STDDEV, ...) and Metrics Insights `SELECT` make
// the alarm not replayable with the reason.
//
// Missing datapoints and division by zero ([CW-MATH]: "Missing values in a time series are
// treated as 0. If the value of a data point causes a function to attempt to divide by zero,
// the data point is dropped"): between two series (arithmetic, comparisons, AND/OR, and the
// per-timestamp MIN/MAX/SUM/AVG of an array) a timestamp where at least one series has a
// datapoint takes 0 for the others, and a timestamp where none has one stays empty; a series
// with a scalar keeps its empty timestamps empty. A result that is not a finite number
// (x/0, 0/0, (-1)^0.5) is dropped. IF follows the page's tables (see math.cc).
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "alarm/alarm.h"
#include "common/result.h"

namespace trailreplay::alarm {

using MathSeries = std::vector<std::optional<double>>;  // oldest first; nullopt: no datapoint

struct MathNode;  // the parsed expression (math.cc)

// A parsed expression; `ids` are the query ids it names, in order of first mention.
struct MathExpression {
  std::shared_ptr<const MathNode> root;
  std::vector<std::string> ids;
  bool uses_metrics_function = false;  // METRICS(...) reaches every metric
};

// Parse errors carry the byte offset; `unsupported` (set on an error) says the expression is
// valid CloudWatch metric math that trailreplay does not compute (a function it lacks,
// SEARCH, a Metrics Insights query), as opposed to text it cannot read.
Result<MathExpression> ParseMathExpression(std::string_view text, bool* unsupported = nullptr);

// Canonical text: every operation parenthesised (`((100 * m1) / m2)`).
std::string PrintMathExpression(const MathExpression& expression);

// The inputs of one evaluation: the metrics' series over the query's timestamps (all the same
// length, spaced `period` seconds), the other expressions' parsed forms by id, and each
// metric's period (PERIOD()).
struct MathContext {
  std::map<std::string, MathSeries> metrics;  // MetricStat id -> series
  std::vector<std::string> metric_order;      // METRICS() order: the request's
  std::map<std::string, const MathExpression*> expressions;
  std::int64_t period = 60;
};

// The expression's value, which must be a single time series (an array or a scalar is an
// error, as for an alarm AWS would refuse). Ids resolve to metrics or other expressions; a
// cycle between expressions is an error.
Result<MathSeries> EvaluateMath(const MathExpression& expression, const MathContext& context);

// One metric data query of a math alarm: a MetricStat (a metric and its statistic) or an
// Expression over the others.
struct MathQuery {
  std::string id;
  std::string label;
  bool return_data = true;
  // MetricStat
  std::string metric_namespace, metric_name;
  std::vector<std::pair<std::string, std::string>> dimensions;
  Statistic statistic = Statistic::kSum;
  // Expression (when set)
  std::string expression_text;
  std::optional<MathExpression> expression;
  bool is_metric() const { return !expression.has_value(); }
};

struct MathAlarm {
  std::vector<MathQuery> queries;  // in the request's order
  std::size_t returned = 0;        // the query whose ReturnData is true
};

// A math alarm (spec.math set) evaluated over its metrics' samples (by query id): at each
// evaluation every metric's R windows are computed with its statistic (a window without
// samples has no datapoint), the returned query's expression is evaluated over them, and
// the result goes through the M-of-N rules of alarm.h (EvaluateWindows). The query range is
// the evaluation range: AWS asks for more datapoints than N, and RUNNING_SUM or FILL(REPEAT)
// see exactly what that range holds.
EvaluationResult EvaluateMathAlarm(const AlarmSpec& spec,
                                   const std::map<std::string, std::vector<MinuteSample>>& samples,
                                   const EvaluateOptions& options);

}  // namespace trailreplay::alarm

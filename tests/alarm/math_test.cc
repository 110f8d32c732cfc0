// Metric math: the examples of the user guide's using-metric-math page ([CW-MATH],
// awsdocs/amazon-cloudwatch-user-guide doc_source/using-metric-math.md) as tables (the
// comparison table and the three IF tables word for word, then the page's example
// expressions over two small series computed by hand), the errors and the unsupported
// functions, and a property test of arithmetic against a plain reference evaluator.
#include "alarm/math.h"

#include <gtest/gtest.h>

#include <cmath>
#include <optional>
#include <random>
#include <string>
#include <vector>

namespace trailreplay::alarm {
namespace {

constexpr std::optional<double> _ = std::nullopt;  // "-" in the page's tables

MathContext Context(std::vector<std::pair<std::string, MathSeries>> metrics) {
  MathContext context;
  for (auto& [id, series] : metrics) {
    context.metric_order.push_back(id);
    context.metrics[id] = series;
  }
  context.period = 300;
  return context;
}

MathSeries Eval(const std::string& text, const MathContext& context) {
  auto parsed = ParseMathExpression(text);
  EXPECT_TRUE(parsed) << text << ": " << parsed.error().message;
  if (!parsed) return {};
  auto value = EvaluateMath(*parsed, context);
  EXPECT_TRUE(value) << text << ": " << value.error().message;
  return value ? *value : MathSeries{};
}

std::string Show(const MathSeries& s) {
  std::string out = "[";
  for (std::size_t i = 0; i < s.size(); ++i) {
    out += (i > 0 ? ", " : "") + (s[i] ? std::to_string(*s[i]) : std::string("-"));
  }
  return out + "]";
}

struct Row {
  const char* expression;
  MathSeries expected;
};

void Check(const std::vector<Row>& rows, const MathContext& context) {
  for (const auto& row : rows) {
    const MathSeries got = Eval(row.expression, context);
    ASSERT_EQ(got.size(), row.expected.size()) << row.expression;
    for (std::size_t i = 0; i < got.size(); ++i) {
      ASSERT_EQ(got[i].has_value(), row.expected[i].has_value())
          << row.expression << ": " << Show(got) << " at " << i;
      if (got[i]) {
        EXPECT_NEAR(*got[i], *row.expected[i], 1e-9) << row.expression << ": " << Show(got);
      }
    }
  }
}

// [CW-MATH] "Comparison and logical operators": metric1 [30, 20, 0, 0], metric2
// [20, -, 20, -].
TEST(MetricMath, ComparisonTable) {
  const auto context = Context({{"metric1", {30, 20, 0, 0}}, {"metric2", {20, _, 20, _}}});
  Check({{"(metric1 < metric2)", {0, 0, 1, 0}},
         {"(metric1 >= 30)", {1, 0, 0, 0}},
         {"(metric1 > 15 AND metric2 > 15)", {1, 0, 0, 0}},
         {"(metric1 > 15 && metric2 > 15)", {1, 0, 0, 0}},
         {"metric1 == 0 OR metric2 == 20", {1, 0, 1, 1}}},
        context);
}

// [CW-MATH] "Using IF expressions": the three tables.
TEST(MetricMath, IfTables) {
  const auto context = Context({{"metric1", {1, 1, 0, 0, _}},
                                {"metric2", {30, _, 0, 0, 30}},
                                {"metric3", {0, 0, 20, _, 20}}});
  Check({{"IF(metric1, metric2, metric3)", {30, 0, 20, _, _}},
         {"IF(metric1, 5, metric3)", {5, 5, 20, _, _}},
         {"IF(metric1, metric2, 5)", {30, 0, 5, 5, _}},
         // "is dropped ... if metric3 is omitted from the expression"
         {"IF(metric1, metric2)", {30, 0, _, _, _}},
         // IF(S, TS, TS): the chosen series whole; an omitted one is empty.
         {"IF(1, metric2, metric3)", {30, _, 0, 0, 30}},
         {"IF(0, metric2, metric3)", {0, 0, 20, _, 20}},
         {"IF(0, metric2)", {_, _, _, _, _}},
         // The page's use cases.
         {"IF(metric2<25, metric2)", {_, _, 0, 0, _}},
         {"IF(metric2<25, 10, 2)", {2, _, 10, 10, 2}}},
        context);
}

// The page's example expressions, over m1 = [1, -, 4, 2], m2 = [2, 3, -, 2], m3 = [4, 4, 4, 0],
// period 300; expected values worked by hand with the page's rules (missing as 0 between
// series, division by zero dropped).
TEST(MetricMath, PageExamples) {
  const auto context = Context({{"m1", {1, _, 4, 2}}, {"m2", {2, 3, _, 2}}, {"m3", {4, 4, 4, 0}}});
  Check(
      {
          {"PERIOD(m1)/60 * m1", {5, _, 20, 10}},
          {"5 * m1", {5, _, 20, 10}},
          {"m1 - m2", {-1, -3, 4, 0}},
          {"SUM(100/[m1, m2])", {150, 100 / 3.0, 25, 100}},
          {"AVG([m1,m2]/m3)", {0.375, 0.375, 0.5, _}},
          {"-5*m1", {-5, _, -20, -10}},
          {"-m1", {-1, _, -4, -2}},
          {"SUM(-[m1, m2])", {-3, -3, -4, -4}},
          {"ABS(m1-m2)", {1, 3, 4, 0}},
          {"MIN(ABS([m1, m2]))", {1, 0, 0, 2}},
          {"SUM([m1,m2])/AVG(m2)", {3 / (7 / 3.0), 3 / (7 / 3.0), 4 / (7 / 3.0), 4 / (7 / 3.0)}},
          {"CEIL(m1/3)", {1, _, 2, 1}},
          {"FLOOR(m1/3)", {0, _, 1, 0}},
          {"FILL(m1,10)", {1, 10, 4, 2}},
          {"FILL(m1, MIN(m1))", {1, 1, 4, 2}},
          {"FILL(m1, m2)", {1, 3, 4, 2}},
          {"FILL(m1, REPEAT)", {1, 1, 4, 2}},
          {"FILL(m1, LINEAR)", {1, 2.5, 4, 2}},
          {"FILL(m2, REPEAT)", {2, 3, 3, 2}},
          {"MAX(m1)/m1", {4, _, 1, 2}},
          {"m1-MIN(m1)", {0, _, 3, 1}},
          {"m1/PERIOD(m1)", {1 / 300.0, _, 4 / 300.0, 2 / 300.0}},
          {"RATE(m1)", {_, _, 3 / 600.0, -2 / 300.0}},
          {"DIFF(m1)", {_, _, 3, -2}},
          {"RUNNING_SUM(m1)", {1, _, 5, 7}},
          {"SUM(METRICS())", {7, 7, 8, 4}},
          {"SUM(METRICS(\"m1\"))", {1, _, 4, 2}},
          {"MAX(METRICS())", {4, 4, 4, 2}},
          {"AVG([METRICS(\"1\"), METRICS(\"2\")])", {1.5, 1.5, 2, 2}},
          // The examples: a ratio, and a quiet log as zero.
          {"100 * m1 / m2", {50, 0, _, 100}},
          {"FILL(m1, 0)", {1, 0, 4, 2}},
          // Division by zero is dropped; so is anything not finite.
          {"m2 / m3", {0.5, 0.75, 0, _}},
          {"m1 / 0", {_, _, _, _}},
          {"(m1 - 3) ^ 0.5", {_, _, 1, _}},
          {"2 ^ 3 ^ 2 + 0 * m3", {512, 512, 512, 512}},
          {"-2 ^ 2 + 0 * m3", {-4, -4, -4, -4}},
          {"1e2 * m3 - .5 * m3", {398, 398, 398, 0}},
      },
      context);
}

TEST(MetricMath, Errors) {
  const auto context = Context({{"m1", {1, 2}}, {"m2", {3, 4}}});
  struct ParseError {
    const char* text;
    std::size_t offset;
    bool unsupported;
  };
  for (const auto& c : std::vector<ParseError>{
           {"m1 +", 4, false},
           {"(m1", 0, false},
           {"m1 m2", 3, false},
           {"Foo", 0, false},
           {"m1 $ 2", 3, false},
           {"ANOMALY_DETECTION_BAND(m1, 2)", 0, true},
           {"SEARCH('{AWS/EC2,InstanceId} MetricName=\"CPUUtilization\"', 'Average', 300)", 0,
            true},
           {"SELECT AVG(CPUUtilization) FROM SCHEMA(\"AWS/EC2\", InstanceId)", 0, true},
           {"m1 / STDDEV(m1)", 5, true},
           {"TIME_SERIES(10)", 0, true},
       }) {
    bool unsupported = false;
    auto parsed = ParseMathExpression(c.text, &unsupported);
    ASSERT_FALSE(parsed) << c.text;
    EXPECT_EQ(parsed.error().offset, c.offset) << c.text << ": " << parsed.error().message;
    EXPECT_EQ(unsupported, c.unsupported) << c.text;
  }
  // What parses but cannot be an alarm's series.
  for (const char* text : {"METRICS()", "[m1, m2]", "AVG(m1)", "5", "m9", "PERIOD(5)",
                           "IF(m1, [m1, m2])", "[m1] + [m2]", "FILL(5, 0)"}) {
    auto parsed = ParseMathExpression(text);
    ASSERT_TRUE(parsed) << text;
    EXPECT_FALSE(EvaluateMath(*parsed, context)) << text;
  }
  // Expressions may use each other, but not in a cycle.
  auto e1 = ParseMathExpression("e2 + 1");
  auto e2 = ParseMathExpression("e1 * m1");
  ASSERT_TRUE(e1 && e2);
  MathContext cyclic = context;
  cyclic.expressions = {{"e1", &*e1}, {"e2", &*e2}};
  EXPECT_FALSE(EvaluateMath(*e1, cyclic));
  auto e3 = ParseMathExpression("m1 * 2");
  auto e4 = ParseMathExpression("e3 + m2");
  ASSERT_TRUE(e3 && e4);
  MathContext chained = context;
  chained.expressions = {{"e3", &*e3}, {"e4", &*e4}};
  auto value = EvaluateMath(*e4, chained);
  ASSERT_TRUE(value);
  EXPECT_EQ(*value, (MathSeries{5, 8}));
}

TEST(MetricMath, PrintsCanonically) {
  auto parsed = ParseMathExpression("100*m1/ m2 - -FILL(m1,REPEAT)");
  ASSERT_TRUE(parsed);
  EXPECT_EQ(PrintMathExpression(*parsed), "(((100 * m1) / m2) - (-FILL(m1, REPEAT)))");
  EXPECT_EQ(parsed->ids, (std::vector<std::string>{"m1", "m2"}));
}

// --- Property test: arithmetic against a plain reference. ---

struct Tree {
  int kind = 0;  // 0 number, 1 m1, 2 m2, 3 negate, 4 + 5 - 6 * 7 /
  double number = 0;
  std::vector<Tree> operands;
};

Tree Generate(std::mt19937& rng, int depth) {
  Tree t;
  t.kind = static_cast<int>(rng() % (depth > 3 ? 3 : 8));
  if (t.kind == 0) t.number = static_cast<double>(rng() % 5);
  if (t.kind == 3) t.operands.push_back(Generate(rng, depth + 1));
  if (t.kind >= 4) {
    t.operands.push_back(Generate(rng, depth + 1));
    t.operands.push_back(Generate(rng, depth + 1));
  }
  return t;
}

std::string Render(const Tree& t) {
  static const char* kOps[] = {"+", "-", "*", "/"};
  switch (t.kind) {
    case 0:
      return std::to_string(static_cast<int>(t.number));
    case 1:
      return "m1";
    case 2:
      return "m2";
    case 3:
      return "-(" + Render(t.operands[0]) + ")";
    default:
      return "(" + Render(t.operands[0]) + ") " + kOps[t.kind - 4] + " (" + Render(t.operands[1]) +
             ")";
  }
}

// The rules of math.h written out per timestamp: a scalar is a number everywhere; a series
// value is a datapoint or none. Between two series, none counts as 0 unless both are none;
// with a scalar, none stays none; division by zero is none.
struct Ref {
  bool series = false;
  std::optional<double> v;  // series: the datapoint; scalar: the number (none: dropped)
};

Ref Reference(const Tree& t, std::optional<double> m1, std::optional<double> m2) {
  switch (t.kind) {
    case 0:
      return {false, t.number};
    case 1:
      return {true, m1};
    case 2:
      return {true, m2};
    case 3: {
      Ref r = Reference(t.operands[0], m1, m2);
      if (r.v) r.v = -*r.v;
      return r;
    }
    default: {
      const Ref a = Reference(t.operands[0], m1, m2);
      const Ref b = Reference(t.operands[1], m1, m2);
      Ref out{a.series || b.series, std::nullopt};
      std::optional<double> x = a.v, y = b.v;
      if (a.series && b.series) {
        if (!x && !y) return out;
        x = x.value_or(0);
        y = y.value_or(0);
      }
      if (!x || !y) return out;
      double r = 0;
      switch (t.kind) {
        case 4:
          r = *x + *y;
          break;
        case 5:
          r = *x - *y;
          break;
        case 6:
          r = *x * *y;
          break;
        default:
          if (*y == 0) return out;
          r = *x / *y;
      }
      if (std::isfinite(r)) out.v = r;
      return out;
    }
  }
}

TEST(MetricMath, RandomArithmeticAgreesWithReference) {
  std::mt19937 rng(27);
  for (int i = 0; i < 2000; ++i) {
    const Tree tree = Generate(rng, 0);
    MathSeries m1, m2;
    for (int k = 0; k < 6; ++k) {
      m1.push_back(rng() % 3 == 0 ? _ : std::optional<double>(static_cast<double>(rng() % 4)));
      m2.push_back(rng() % 3 == 0 ? _ : std::optional<double>(static_cast<double>(rng() % 4)));
    }
    // Anchor to a series so the result is one: 0 * m1 + m1 - m1 would change missing
    // datapoints, so the tree is wrapped only when it holds no series.
    std::string text = Render(tree);
    Tree wrapped = tree;
    if (!Reference(tree, 1, 1).series) {
      Tree sum;
      sum.kind = 4;
      Tree zero_m1;
      zero_m1.kind = 6;
      zero_m1.operands = {Tree{}, Tree{1, 0, {}}};
      sum.operands = {tree, zero_m1};
      wrapped = sum;
      text = Render(wrapped);
    }
    auto parsed = ParseMathExpression(text);
    ASSERT_TRUE(parsed) << text;
    auto got = EvaluateMath(*parsed, Context({{"m1", m1}, {"m2", m2}}));
    ASSERT_TRUE(got) << text << ": " << got.error().message;
    for (std::size_t k = 0; k < m1.size(); ++k) {
      const Ref expected = Reference(wrapped, m1[k], m2[k]);
      ASSERT_EQ((*got)[k].has_value(), expected.v.has_value()) << text << " at " << k;
      if (expected.v) {
        EXPECT_DOUBLE_EQ(*(*got)[k], *expected.v) << text << " at " << k;
      }
    }
  }
}

}  // namespace
}  // namespace trailreplay::alarm

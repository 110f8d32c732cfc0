// Metric math: a recursive-descent parser (grammar in math.h) and a tree-walking evaluator
// over whole series. Series are short (an alarm's evaluation range), so clarity wins over
// speed: each operation makes a new series.
#include "alarm/math.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <set>
#include <utility>

namespace trailreplay::alarm {

struct MathNode {
  enum class Kind : std::uint8_t { kNumber, kString, kId, kWord, kNegate, kBinary, kCall, kArray };
  Kind kind = Kind::kNumber;
  double number = 0;
  std::string text;  // kString, kId, kWord (REPEAT, LINEAR), kBinary (operator), kCall (name)
  std::vector<MathNode> operands;
};

namespace {

constexpr int kMaxDepth = 100;

const std::set<std::string>& SupportedFunctions() {
  static const std::set<std::string> names = {"ABS",  "CEIL",   "FLOOR",       "FILL",   "IF",
                                              "MIN",  "MAX",    "SUM",         "AVG",    "RATE",
                                              "DIFF", "PERIOD", "RUNNING_SUM", "METRICS"};
  return names;
}

class MathParser {
 public:
  MathParser(std::string_view text, bool* unsupported) : text_(text), unsupported_(unsupported) {}

  Result<MathExpression> Parse() {
    SkipSpace();
    std::string head;
    for (std::size_t i = pos_; i < text_.size() && std::isalpha(Byte(i)); ++i) {
      head += static_cast<char>(std::toupper(Byte(i)));
    }
    if (head == "SELECT") {
      return Unsupported(
          "it is a Metrics Insights query (SELECT ...), which trailreplay does "
          "not run",
          pos_);
    }
    auto root = Or(0);
    if (!root) return std::move(root).error();
    SkipSpace();
    if (pos_ < text_.size()) return Fail("unexpected text after the expression", pos_);
    MathExpression out;
    out.root = std::make_shared<const MathNode>(std::move(*root));
    out.ids = std::move(ids_);
    out.uses_metrics_function = uses_metrics_;
    return out;
  }

 private:
  unsigned char Byte(std::size_t i) const { return static_cast<unsigned char>(text_[i]); }
  Error Fail(std::string message, std::size_t at) const {
    return MakeError(ErrorCode::kInvalidArgument, std::move(message), at, std::string(text_));
  }
  Error Unsupported(std::string message, std::size_t at) const {
    if (unsupported_ != nullptr) *unsupported_ = true;
    return Fail(std::move(message), at);
  }
  void SkipSpace() {
    while (pos_ < text_.size() && std::isspace(Byte(pos_))) ++pos_;
  }
  bool Take(std::string_view token) {
    SkipSpace();
    if (text_.substr(pos_, token.size()) != token) return false;
    pos_ += token.size();
    return true;
  }
  bool TakeWord(std::string_view word) {
    SkipSpace();
    if (text_.substr(pos_, word.size()) != word) return false;
    const std::size_t end = pos_ + word.size();
    if (end < text_.size() && (std::isalnum(Byte(end)) || text_[end] == '_')) return false;
    pos_ = end;
    return true;
  }
  static MathNode Binary(std::string op, MathNode left, MathNode right) {
    MathNode node;
    node.kind = MathNode::Kind::kBinary;
    node.text = std::move(op);
    node.operands.push_back(std::move(left));
    node.operands.push_back(std::move(right));
    return node;
  }

  Result<MathNode> Or(int depth) {
    if (depth > kMaxDepth) return Fail("the expression nests too deeply", pos_);
    auto left = And(depth);
    if (!left) return left;
    MathNode node = std::move(*left);
    while (TakeWord("OR") || Take("||")) {
      auto right = And(depth);
      if (!right) return right;
      node = Binary("OR", std::move(node), std::move(*right));
    }
    return node;
  }
  Result<MathNode> And(int depth) {
    auto left = Compare(depth);
    if (!left) return left;
    MathNode node = std::move(*left);
    while (TakeWord("AND") || Take("&&")) {
      auto right = Compare(depth);
      if (!right) return right;
      node = Binary("AND", std::move(node), std::move(*right));
    }
    return node;
  }
  Result<MathNode> Compare(int depth) {
    auto left = Sum(depth);
    if (!left) return left;
    for (const char* op : {"==", "!=", "<=", ">=", "<", ">"}) {
      if (Take(op)) {
        auto right = Sum(depth);
        if (!right) return right;
        return Binary(op, std::move(*left), std::move(*right));
      }
    }
    return left;
  }
  Result<MathNode> Sum(int depth) {
    auto left = Product(depth);
    if (!left) return left;
    MathNode node = std::move(*left);
    for (;;) {
      std::string op;
      if (Take("+")) {
        op = "+";
      } else if (Take("-")) {
        op = "-";
      } else {
        return node;
      }
      auto right = Product(depth);
      if (!right) return right;
      node = Binary(op, std::move(node), std::move(*right));
    }
  }
  Result<MathNode> Product(int depth) {
    auto left = Unary(depth);
    if (!left) return left;
    MathNode node = std::move(*left);
    for (;;) {
      std::string op;
      if (Take("*")) {
        op = "*";
      } else if (Take("/")) {
        op = "/";
      } else {
        return node;
      }
      auto right = Unary(depth);
      if (!right) return right;
      node = Binary(op, std::move(node), std::move(*right));
    }
  }
  Result<MathNode> Unary(int depth) {
    if (depth > kMaxDepth) return Fail("the expression nests too deeply", pos_);
    if (Take("-")) {
      auto operand = Unary(depth + 1);
      if (!operand) return operand;
      MathNode node;
      node.kind = MathNode::Kind::kNegate;
      node.operands.push_back(std::move(*operand));
      return node;
    }
    auto base = Primary(depth);
    if (!base) return base;
    if (Take("^")) {
      auto exponent = Unary(depth + 1);
      if (!exponent) return exponent;
      return Binary("^", std::move(*base), std::move(*exponent));
    }
    return base;
  }

  Result<MathNode> Primary(int depth) {
    SkipSpace();
    const std::size_t start = pos_;
    if (pos_ >= text_.size()) return Fail("the expression ends where a value was expected", pos_);
    MathNode node;
    const char c = text_[pos_];
    if (c == '(') {
      ++pos_;
      auto inner = Or(depth + 1);
      if (!inner) return inner;
      if (!Take(")")) return Fail("expected ')' to close the '(' here", start);
      return inner;
    }
    if (c == '[') {
      ++pos_;
      node.kind = MathNode::Kind::kArray;
      do {
        auto item = Or(depth + 1);
        if (!item) return item;
        node.operands.push_back(std::move(*item));
      } while (Take(","));
      if (!Take("]")) return Fail("expected ']' to close the '[' here", start);
      return node;
    }
    if (c == '"') {
      const std::size_t close = text_.find('"', pos_ + 1);
      if (close == std::string_view::npos) return Fail("unterminated string", start);
      node.kind = MathNode::Kind::kString;
      node.text = std::string(text_.substr(pos_ + 1, close - pos_ - 1));
      pos_ = close + 1;
      return node;
    }
    if (std::isdigit(Byte(pos_)) || c == '.') {
      std::size_t end = pos_;
      while (end < text_.size() && (std::isdigit(Byte(end)) || text_[end] == '.')) ++end;
      if (end < text_.size() && (text_[end] == 'e' || text_[end] == 'E')) {
        std::size_t exp = end + 1;
        if (exp < text_.size() && (text_[exp] == '+' || text_[exp] == '-')) ++exp;
        if (exp < text_.size() && std::isdigit(Byte(exp))) {
          end = exp;
          while (end < text_.size() && std::isdigit(Byte(end))) ++end;
        }
      }
      const std::string digits(text_.substr(pos_, end - pos_));
      char* parsed_end = nullptr;
      node.number = std::strtod(digits.c_str(), &parsed_end);
      if (parsed_end != digits.c_str() + digits.size() || !std::isfinite(node.number)) {
        return Fail("'" + digits + "' is not a number", start);
      }
      pos_ = end;
      return node;
    }
    if (std::isalpha(Byte(pos_)) || c == '_') {
      std::size_t end = pos_;
      while (end < text_.size() && (std::isalnum(Byte(end)) || text_[end] == '_')) ++end;
      std::string word(text_.substr(pos_, end - pos_));
      pos_ = end;
      SkipSpace();
      const bool call = pos_ < text_.size() && text_[pos_] == '(';
      if (std::islower(static_cast<unsigned char>(word[0])) && !call) {
        node.kind = MathNode::Kind::kId;
        node.text = word;
        if (std::find(ids_.begin(), ids_.end(), word) == ids_.end()) ids_.push_back(word);
        return node;
      }
      if (!call) {
        if (word == "REPEAT" || word == "LINEAR") {
          node.kind = MathNode::Kind::kWord;
          node.text = word;
          return node;
        }
        return Fail("'" + word +
                        "' is neither a query id (ids start with a lower-case letter) "
                        "nor a function call",
                    start);
      }
      if (word == "SEARCH") {
        return Unsupported(
            "it uses SEARCH, and AWS says \"You can't create an alarm based on a "
            "SEARCH expression\"",
            start);
      }
      if (SupportedFunctions().count(word) == 0) {
        return Unsupported("it uses " + word + ", which trailreplay does not compute", start);
      }
      ++pos_;  // '('
      node.kind = MathNode::Kind::kCall;
      node.text = word;
      if (word == "METRICS") uses_metrics_ = true;
      if (!Take(")")) {
        do {
          auto argument = Or(depth + 1);
          if (!argument) return argument;
          node.operands.push_back(std::move(*argument));
        } while (Take(","));
        if (!Take(")")) return Fail("expected ')' to close the call of " + word, start);
      }
      return node;
    }
    return Fail(std::string("unexpected '") + c + "'", start);
  }

  std::string_view text_;
  bool* unsupported_;
  std::size_t pos_ = 0;
  std::vector<std::string> ids_;
  bool uses_metrics_ = false;
};

std::string Print(const MathNode& node) {
  switch (node.kind) {
    case MathNode::Kind::kNumber: {
      char buffer[32];
      std::snprintf(buffer, sizeof buffer, "%.17g", node.number);
      return buffer;
    }
    case MathNode::Kind::kString:
      return "\"" + node.text + "\"";
    case MathNode::Kind::kId:
    case MathNode::Kind::kWord:
      return node.text;
    case MathNode::Kind::kNegate:
      return "(-" + Print(node.operands[0]) + ")";
    case MathNode::Kind::kBinary:
      return "(" + Print(node.operands[0]) + " " + node.text + " " + Print(node.operands[1]) + ")";
    case MathNode::Kind::kCall:
    case MathNode::Kind::kArray: {
      std::string out = node.kind == MathNode::Kind::kCall ? node.text + "(" : "[";
      for (std::size_t i = 0; i < node.operands.size(); ++i) {
        out += (i > 0 ? ", " : "") + Print(node.operands[i]);
      }
      return out + (node.kind == MathNode::Kind::kCall ? ")" : "]");
    }
  }
  return "";
}

// --- Evaluation ---

struct Value {
  enum class Kind : std::uint8_t { kScalar, kSeries, kArray, kWord, kString };
  Kind kind = Kind::kScalar;
  std::optional<double> scalar;    // nullopt: dropped (a division by zero)
  std::vector<MathSeries> series;  // kSeries: one; kArray: any number
  std::string text;                // kWord, kString
};

std::optional<double> Finite(double v) {
  if (!std::isfinite(v)) return std::nullopt;
  return v;
}

std::optional<double> Apply(const std::string& op, double a, double b) {
  if (op == "+") return Finite(a + b);
  if (op == "-") return Finite(a - b);
  if (op == "*") return Finite(a * b);
  if (op == "/") return b == 0 ? std::nullopt : Finite(a / b);
  if (op == "^") return Finite(std::pow(a, b));
  if (op == "==") return a == b ? 1.0 : 0.0;
  if (op == "!=") return a != b ? 1.0 : 0.0;
  if (op == "<=") return a <= b ? 1.0 : 0.0;
  if (op == ">=") return a >= b ? 1.0 : 0.0;
  if (op == "<") return a < b ? 1.0 : 0.0;
  if (op == ">") return a > b ? 1.0 : 0.0;
  if (op == "AND") return a != 0 && b != 0 ? 1.0 : 0.0;
  return a != 0 || b != 0 ? 1.0 : 0.0;  // OR
}

Value Scalar(std::optional<double> v) {
  Value out;
  out.scalar = v;
  return out;
}
Value OneSeries(MathSeries s) {
  Value out;
  out.kind = Value::Kind::kSeries;
  out.series.push_back(std::move(s));
  return out;
}

Error EvalError(const std::string& message) {
  return MakeError(ErrorCode::kInvalidArgument, message);
}

// Applies `f` to each series of a TS or TS[] value (S passes through `scalar`).
Result<Value> EachSeries(Value v, const std::function<MathSeries(const MathSeries&)>& f,
                         const std::function<std::optional<double>(double)>& scalar,
                         const std::string& name) {
  if (v.kind == Value::Kind::kScalar) {
    if (!scalar) return EvalError(name + " needs a time series");
    return Scalar(v.scalar ? scalar(*v.scalar) : std::nullopt);
  }
  if (v.kind != Value::Kind::kSeries && v.kind != Value::Kind::kArray) {
    return EvalError(name + " needs a time series");
  }
  for (auto& s : v.series) s = f(s);
  return v;
}

class Evaluator {
 public:
  explicit Evaluator(const MathContext& context) : context_(context) {}

  Result<Value> Eval(const MathNode& node) {
    switch (node.kind) {
      case MathNode::Kind::kNumber:
        return Scalar(node.number);
      case MathNode::Kind::kString: {
        Value v;
        v.kind = Value::Kind::kString;
        v.text = node.text;
        return v;
      }
      case MathNode::Kind::kWord: {
        Value v;
        v.kind = Value::Kind::kWord;
        v.text = node.text;
        return v;
      }
      case MathNode::Kind::kId:
        return Id(node.text);
      case MathNode::Kind::kNegate: {
        auto v = Eval(node.operands[0]);
        if (!v) return v;
        return EachSeries(
            std::move(*v),
            [](const MathSeries& s) {
              MathSeries out(s.size());
              for (std::size_t i = 0; i < s.size(); ++i) {
                if (s[i]) out[i] = -*s[i];
              }
              return out;
            },
            [](double x) { return std::optional<double>(-x); }, "unary -");
      }
      case MathNode::Kind::kBinary:
        return BinaryOp(node);
      case MathNode::Kind::kArray: {
        Value out;
        out.kind = Value::Kind::kArray;
        for (const auto& item : node.operands) {
          auto v = Eval(item);
          if (!v) return v;
          if (v->kind != Value::Kind::kSeries && v->kind != Value::Kind::kArray) {
            return EvalError("an array [...] holds time series only");
          }
          for (auto& s : v->series) out.series.push_back(std::move(s));
        }
        return out;
      }
      case MathNode::Kind::kCall:
        return Call(node);
    }
    return EvalError("unknown node");
  }

 private:
  std::size_t Length() const {
    return context_.metrics.empty() ? 0 : context_.metrics.begin()->second.size();
  }

  Result<Value> Id(const std::string& id) {
    if (auto it = context_.metrics.find(id); it != context_.metrics.end()) {
      return OneSeries(it->second);
    }
    auto it = context_.expressions.find(id);
    if (it == context_.expressions.end()) return EvalError("no query has the id '" + id + "'");
    if (!visiting_.insert(id).second) {
      return EvalError("the expressions refer to each other in a cycle through '" + id + "'");
    }
    auto v = Eval(*it->second->root);
    visiting_.erase(id);
    return v;
  }

  // Two series: a timestamp where either has a datapoint takes 0 for the other.
  static MathSeries Pair(const MathSeries& a, const MathSeries& b, const std::string& op) {
    MathSeries out(std::max(a.size(), b.size()));
    for (std::size_t i = 0; i < out.size(); ++i) {
      const auto x = i < a.size() ? a[i] : std::nullopt;
      const auto y = i < b.size() ? b[i] : std::nullopt;
      if (!x && !y) continue;
      out[i] = Apply(op, x.value_or(0), y.value_or(0));
    }
    return out;
  }
  // A series and a scalar: empty timestamps stay empty.
  static MathSeries WithScalar(const MathSeries& s, std::optional<double> k, bool scalar_left,
                               const std::string& op) {
    MathSeries out(s.size());
    if (!k) return out;
    for (std::size_t i = 0; i < s.size(); ++i) {
      if (!s[i]) continue;
      out[i] = scalar_left ? Apply(op, *k, *s[i]) : Apply(op, *s[i], *k);
    }
    return out;
  }

  Result<Value> BinaryOp(const MathNode& node) {
    auto left = Eval(node.operands[0]);
    if (!left) return left;
    auto right = Eval(node.operands[1]);
    if (!right) return right;
    const std::string& op = node.text;
    using K = Value::Kind;
    const auto numeric = [](const Value& v) {
      return v.kind == K::kScalar || v.kind == K::kSeries || v.kind == K::kArray;
    };
    if (!numeric(*left) || !numeric(*right)) return EvalError("'" + op + "' needs numbers");
    if (left->kind == K::kScalar && right->kind == K::kScalar) {
      if (!left->scalar || !right->scalar) return Scalar(std::nullopt);
      return Scalar(Apply(op, *left->scalar, *right->scalar));
    }
    if (left->kind == K::kArray && right->kind == K::kArray) {
      return EvalError("'" + op + "' between two arrays of time series is not metric math");
    }
    Value out;
    out.kind = (left->kind == K::kArray || right->kind == K::kArray) ? K::kArray : K::kSeries;
    if (left->kind == K::kScalar || right->kind == K::kScalar) {
      const bool scalar_left = left->kind == K::kScalar;
      const Value& s = scalar_left ? *right : *left;
      const auto k = scalar_left ? left->scalar : right->scalar;
      for (const auto& series : s.series) {
        out.series.push_back(WithScalar(series, k, scalar_left, op));
      }
      return out;
    }
    if (left->kind == K::kArray) {
      for (const auto& series : left->series) {
        out.series.push_back(Pair(series, right->series[0], op));
      }
    } else if (right->kind == K::kArray) {
      for (const auto& series : right->series) {
        out.series.push_back(Pair(left->series[0], series, op));
      }
    } else {
      out.series.push_back(Pair(left->series[0], right->series[0], op));
    }
    return out;
  }

  Result<Value> Call(const MathNode& node) {
    const std::string& name = node.text;
    const auto& args = node.operands;
    auto arity = [&](std::size_t lo, std::size_t hi) -> Result<void> {
      if (args.size() < lo || args.size() > hi) {
        return EvalError(
            name + " takes " +
            (lo == hi ? std::to_string(lo) : std::to_string(lo) + " to " + std::to_string(hi)) +
            " argument" + (hi == 1 ? "" : "s") + ", found " + std::to_string(args.size()));
      }
      return {};
    };
    if (name == "METRICS") {
      if (auto ok = arity(0, 1); !ok) return std::move(ok).error();
      std::string filter;
      if (!args.empty()) {
        if (args[0].kind != MathNode::Kind::kString) return EvalError("METRICS takes a string");
        filter = args[0].text;
      }
      Value out;
      out.kind = Value::Kind::kArray;
      for (const auto& id : context_.metric_order) {
        if (id.find(filter) == std::string::npos) continue;
        out.series.push_back(context_.metrics.at(id));
      }
      return out;
    }
    if (name == "PERIOD") {
      if (auto ok = arity(1, 1); !ok) return std::move(ok).error();
      if (args[0].kind != MathNode::Kind::kId || context_.metrics.count(args[0].text) == 0) {
        return EvalError("PERIOD takes the id of a metric (not of an expression)");
      }
      return Scalar(static_cast<double>(context_.period));
    }
    if (name == "IF") return If(node);
    if (name == "FILL") return Fill(node);

    if (auto ok = arity(1, 1); !ok) return std::move(ok).error();
    auto v = Eval(args[0]);
    if (!v) return v;
    if (name == "ABS" || name == "CEIL" || name == "FLOOR") {
      const std::function<double(double)> f = name == "ABS" ? [](double x) { return std::fabs(x); }
                                              : name == "CEIL"
                                                  ? [](double x) { return std::ceil(x); }
                                                  : [](double x) { return std::floor(x); };
      return EachSeries(
          std::move(*v),
          [&](const MathSeries& s) {
            MathSeries out(s.size());
            for (std::size_t i = 0; i < s.size(); ++i) {
              if (s[i]) out[i] = f(*s[i]);
            }
            return out;
          },
          [&](double x) { return std::optional<double>(f(x)); }, name);
    }
    if (name == "RATE" || name == "DIFF" || name == "RUNNING_SUM") {
      const bool rate = name == "RATE", running = name == "RUNNING_SUM";
      const double period = static_cast<double>(context_.period);
      return EachSeries(
          std::move(*v),
          [&](const MathSeries& s) {
            MathSeries out(s.size());
            std::optional<std::size_t> previous;
            double total = 0;
            for (std::size_t i = 0; i < s.size(); ++i) {
              if (!s[i]) continue;
              if (running) {
                total += *s[i];
                out[i] = total;
              } else if (previous) {
                const double delta = *s[i] - *s[*previous];
                out[i] = rate ? delta / (static_cast<double>(i - *previous) * period) : delta;
              }
              previous = i;
            }
            return out;
          },
          nullptr, name);
    }
    // MIN, MAX, SUM, AVG.
    auto reduce = [&](const std::vector<double>& values) -> std::optional<double> {
      if (values.empty()) return std::nullopt;
      if (name == "MIN") return *std::min_element(values.begin(), values.end());
      if (name == "MAX") return *std::max_element(values.begin(), values.end());
      double sum = 0;
      for (double x : values) sum += x;
      return name == "SUM" ? sum : sum / static_cast<double>(values.size());
    };
    if (v->kind == Value::Kind::kSeries) {
      std::vector<double> values;
      for (const auto& x : v->series[0]) {
        if (x) values.push_back(*x);
      }
      return Scalar(reduce(values));
    }
    if (v->kind != Value::Kind::kArray) return EvalError(name + " needs a time series or an array");
    MathSeries out(Length());
    for (const auto& s : v->series) out.resize(std::max(out.size(), s.size()));
    for (std::size_t i = 0; i < out.size(); ++i) {
      std::vector<double> values;
      bool any = false;
      for (const auto& s : v->series) {
        const auto x = i < s.size() ? s[i] : std::nullopt;
        any = any || x.has_value();
        values.push_back(x.value_or(0));  // missing values are treated as 0
      }
      if (any) out[i] = reduce(values);
    }
    return OneSeries(std::move(out));
  }

  // IF, as [CW-MATH]'s "Using IF expressions" tables have it.
  Result<Value> If(const MathNode& node) {
    const auto& args = node.operands;
    if (args.size() < 2 || args.size() > 3) return EvalError("IF takes 2 or 3 arguments");
    auto condition = Eval(args[0]);
    if (!condition) return condition;
    auto when_true = Eval(args[1]);
    if (!when_true) return when_true;
    Value when_false = Scalar(std::nullopt);
    const bool has_false = args.size() == 3;
    if (has_false) {
      auto v = Eval(args[2]);
      if (!v) return v;
      when_false = std::move(*v);
    }
    using K = Value::Kind;
    for (const Value* v : {&*condition, &*when_true, &when_false}) {
      if (v->kind != K::kScalar && v->kind != K::kSeries) {
        return EvalError("IF takes a scalar or a single time series in each argument");
      }
    }
    if (condition->kind == K::kScalar) {
      // IF(S, TS, TS): the chosen one; an omitted one is an empty series.
      const bool truth = condition->scalar.value_or(0) != 0;
      if (truth) return *when_true;
      if (!has_false) return OneSeries(MathSeries(Length()));
      return when_false;
    }
    const MathSeries& c = condition->series[0];
    MathSeries out(c.size());
    for (std::size_t i = 0; i < c.size(); ++i) {
      if (!c[i]) continue;  // no datapoint in the condition: dropped
      if (*c[i] != 0) {
        // A TS with no datapoint here gives 0 (the page's tables).
        out[i] = when_true->kind == K::kScalar
                     ? when_true->scalar
                     : std::optional<double>(when_true->series[0][i].value_or(0));
      } else if (has_false) {
        out[i] = when_false.kind == K::kScalar ? when_false.scalar : when_false.series[0][i];
      }
    }
    return OneSeries(std::move(out));
  }

  Result<Value> Fill(const MathNode& node) {
    const auto& args = node.operands;
    if (args.size() != 2) return EvalError("FILL takes 2 arguments");
    auto v = Eval(args[0]);
    if (!v) return v;
    auto with = Eval(args[1]);
    if (!with) return with;
    using K = Value::Kind;
    if (v->kind != K::kSeries && v->kind != K::kArray) {
      return EvalError("FILL needs a time series or an array");
    }
    if (with->kind == K::kWord) {
      const bool linear = with->text == "LINEAR";
      for (auto& s : v->series) {
        std::optional<std::size_t> previous;
        for (std::size_t i = 0; i < s.size(); ++i) {
          if (!s[i]) continue;
          if (previous && *previous + 1 < i) {
            const double a = *s[*previous], b = *s[i];
            for (std::size_t j = *previous + 1; j < i; ++j) {
              const double f =
                  static_cast<double>(j - *previous) / static_cast<double>(i - *previous);
              s[j] = linear ? a + (b - a) * f : a;
            }
          }
          previous = i;
        }
        // REPEAT carries the last value to the end; before the first there is nothing.
        if (!linear && previous) {
          for (std::size_t j = *previous + 1; j < s.size(); ++j) s[j] = *s[*previous];
        }
      }
      return v;
    }
    if (with->kind == K::kScalar) {
      if (!with->scalar) return v;
      for (auto& s : v->series) {
        for (auto& x : s) {
          if (!x) x = *with->scalar;
        }
      }
      return v;
    }
    if (with->kind == K::kSeries) {
      for (auto& s : v->series) {
        for (std::size_t i = 0; i < s.size() && i < with->series[0].size(); ++i) {
          if (!s[i]) s[i] = with->series[0][i];
        }
      }
      return v;
    }
    return EvalError("FILL fills with a number, a time series, REPEAT or LINEAR");
  }

  const MathContext& context_;
  std::set<std::string> visiting_;
};

}  // namespace

Result<MathExpression> ParseMathExpression(std::string_view text, bool* unsupported) {
  if (unsupported != nullptr) *unsupported = false;
  return MathParser(text, unsupported).Parse();
}

std::string PrintMathExpression(const MathExpression& expression) {
  return expression.root ? Print(*expression.root) : "";
}

Result<MathSeries> EvaluateMath(const MathExpression& expression, const MathContext& context) {
  Evaluator evaluator(context);
  auto value = evaluator.Eval(*expression.root);
  if (!value) return std::move(value).error();
  if (value->kind == Value::Kind::kSeries) return std::move(value->series[0]);
  if (value->kind == Value::Kind::kArray) {
    return EvalError("the expression gives an array of " + std::to_string(value->series.size()) +
                     " time series, and an alarm watches exactly one");
  }
  return EvalError("the expression gives a single number, not a time series");
}

namespace {

// The statistic of the samples stamped in [start, end); nullopt when there are none.
std::optional<double> WindowStatistic(const std::vector<MinuteSample>& samples, Statistic statistic,
                                      std::int64_t start, std::int64_t end) {
  auto it = std::lower_bound(
      samples.begin(), samples.end(), start,
      [](const MinuteSample& sample, std::int64_t t) { return sample.minute < t; });
  std::uint64_t count = 0;
  double sum = 0, minimum = 0, maximum = 0;
  for (; it != samples.end() && it->minute < end; ++it) {
    if (it->count == 0) continue;
    minimum = count == 0 ? it->minimum : std::min(minimum, it->minimum);
    maximum = count == 0 ? it->maximum : std::max(maximum, it->maximum);
    count += it->count;
    sum += it->sum;
  }
  if (count == 0) return std::nullopt;
  switch (statistic) {
    case Statistic::kSampleCount:
      return static_cast<double>(count);
    case Statistic::kSum:
      return sum;
    case Statistic::kAverage:
      return sum / static_cast<double>(count);
    case Statistic::kMinimum:
      return minimum;
    case Statistic::kMaximum:
      return maximum;
    case Statistic::kPercentile:
      break;  // the rules refuse percentiles in math alarms
  }
  return std::nullopt;
}

}  // namespace

EvaluationResult EvaluateMathAlarm(const AlarmSpec& spec,
                                   const std::map<std::string, std::vector<MinuteSample>>& samples,
                                   const EvaluateOptions& options) {
  const MathAlarm& math = *spec.math;
  MathContext context;
  context.period = spec.period;
  for (const MathQuery& q : math.queries) {
    if (q.is_metric()) {
      context.metric_order.push_back(q.id);
    } else {
      context.expressions[q.id] = &*q.expression;
    }
  }
  static const std::vector<MinuteSample> kNone;
  const MathQuery& returned = math.queries[math.returned];
  auto windows = [&](std::int64_t t, std::size_t range, std::vector<std::optional<double>>& out) {
    for (const MathQuery& q : math.queries) {
      if (!q.is_metric()) continue;
      auto it = samples.find(q.id);
      const auto& series = it == samples.end() ? kNone : it->second;
      MathSeries& values = context.metrics[q.id];
      values.assign(range, std::nullopt);
      for (std::size_t i = 0; i < range; ++i) {
        const std::int64_t start = t - static_cast<std::int64_t>(range - i) * spec.period;
        values[i] = WindowStatistic(series, q.statistic, start, start + spec.period);
      }
    }
    if (returned.is_metric()) {
      out = context.metrics[returned.id];
      return;
    }
    auto value = EvaluateMath(*returned.expression, context);
    // Checked when the rules were read; a failure here leaves every window without data.
    if (value && value->size() == range) out = std::move(*value);
  };
  return EvaluateWindows(spec, windows, options);
}

}  // namespace trailreplay::alarm

// The compiler: filter patterns and metric transformations to SQL conditions and values, the
// query's layers around them, and each filter's verdict.
//
// Layers (CTEs), each adding columns to the one before:
//   files, delivery, delivery_parts, delivered, kept
//                 the files (or table rows) to read, skipped by their delivery time as scan
//                 skips them
//   records       one row per record, with the file it came from (record_source.h)
//   fields        the raw values the selectors name (JSON values, table columns)
//   typed         each value's kind, text and number; element lists for wildcards
//   clock         the record's time text (eventTime, else @timestamp) and eventID key
//   parts, timed  the time as epoch seconds, parsed as ParseIsoTime does (common/time.h)
//   matched       events in [--from, --to): each filter's match, metric value, dimensions
//   evaluated     what each filter publishes
//   deduplicated  one copy per eventID key and hour of eventTime (store/seen_ids.h)
// and one aggregation: per minute, the count of events and every filter's contributions
// (result_format.h).
#include "pushdown/compile.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <functional>

#include "common/json_escape.h"
#include "common/time.h"
#include "pattern/parser.h"
#include "pushdown/record_source.h"
#include "pushdown/result_format.h"

namespace trailreplay::pushdown {
namespace {

using pattern::CompareOp;
using pattern::Expr;
using pattern::ExprKind;
using pattern::Pattern;
using pattern::PatternKind;
using pattern::Value;

// As scan: a file delivered more than this before --from holds no event in range.
constexpr std::int64_t kDeliverySkew = 15 * 60;

std::string Fnv64(std::string_view text) {
  std::uint64_t h = 0xcbf29ce484222325ULL;
  for (char c : text) {
    h ^= static_cast<unsigned char>(c);
    h *= 0x100000001b3ULL;
  }
  char buffer[17];
  std::snprintf(buffer, sizeof buffer, "%016llx", static_cast<unsigned long long>(h));
  return buffer;
}

// An ordered set of verdict reasons.
class Reasons {
 public:
  void Add(std::string reason) {
    if (std::find(list_.begin(), list_.end(), reason) == list_.end()) {
      list_.push_back(std::move(reason));
    }
  }
  void AddAll(const std::vector<std::string>& reasons) {
    for (const auto& reason : reasons) Add(reason);
  }
  const std::vector<std::string>& list() const { return list_; }

 private:
  std::vector<std::string> list_;
};

// How a test reads in messages: `$.a = "x"`, `$.b NOT EXISTS`.
std::string ValueText(const Value& value) {
  if (value.kind == Value::Kind::kRegex) return "%" + value.regex->source() + "%";
  if (value.quoted) return JsonString(value.text);
  return value.text;
}

std::string TestText(const Expr& leaf, const Pattern& p) {
  const std::string selector = p.selectors[leaf.operand].ToString();
  switch (leaf.kind) {
    case ExprKind::kNotExists:
      return selector + " NOT EXISTS";
    case ExprKind::kIsNull:
      return selector + " IS NULL";
    case ExprKind::kIsTrue:
      return selector + " IS TRUE";
    case ExprKind::kIsFalse:
      return selector + " IS FALSE";
    default:
      return selector + " " + pattern::CompareOpText(leaf.op) + " " + ValueText(leaf.value);
  }
}

const char* SqlOp(CompareOp op) {
  switch (op) {
    case CompareOp::kEq:
      return " = ";
    case CompareOp::kNe:
      return " <> ";
    case CompareOp::kLt:
      return " < ";
    case CompareOp::kGt:
      return " > ";
    case CompareOp::kLe:
      return " <= ";
    case CompareOp::kGe:
      return " >= ";
  }
  return " = ";
}

constexpr const char* kScalar = " IN ('s', 'd', 't', 'f')";
// The kind of what a source cannot see (record_source.cc).
constexpr std::string_view kAbsent = "CAST(NULL AS VARCHAR)";
constexpr std::string_view kNumberRewritten =
    "a JSON number's text is the engine's writing of it (1.50 comes back as 1.5, 1e3 as "
    "1000.0; integers are kept as written)";

class Compiler {
 public:
  explicit Compiler(const CompileOptions& options)
      : options_(options), sql_(options.engine), source_(MakeRecordSource(options, sql_)) {}

  Result<CompiledQuery> Run(const std::vector<metric::MetricFilterSpec>& filters);

 private:
  struct Plan {
    const metric::MetricFilterSpec* spec = nullptr;
    FilterVerdict verdict;
    std::string match;                    // BOOLEAN
    std::optional<double> literal_value;  // the metric value, when a number
    std::string raw_value;                // DOUBLE, when read from the event
    std::vector<std::string> dimensions;  // VARCHAR each
  };

  Result<void> Check(const std::vector<metric::MetricFilterSpec>& filters) const;
  void PlanFilter(const metric::MetricFilterSpec& spec, Plan& plan);
  std::string Condition(const Expr& expr, const Pattern& p, const std::vector<Access>& accesses,
                        Reasons& reasons);
  std::string Leaf(const Expr& leaf, const Pattern& p, const Access& access, Reasons& reasons);
  std::string ValueTest(const Reach& r, const Access& access, const Expr& leaf,
                        const std::string& test, Reasons& reasons);
  std::string TextMatch(const std::string& text, const Value& value);
  std::string AnyOf(const Access& access, const std::function<std::string(const Reach&)>& test);
  std::string TermsCondition(const Pattern& p, const std::string& text);
  Reach FirstValue(const Access& access);
  std::string NewVar() { return "e" + std::to_string(++vars_); }

  std::vector<std::pair<std::string, std::string>> IsoTimeParts(const std::string& x) const;
  std::string IsoTime() const;
  std::string CivilEpoch(const std::string& y, const std::string& mo, const std::string& d,
                         const std::string& h, const std::string& mi, const std::string& s) const;
  std::string DaysInMonth(const std::string& y, const std::string& mo) const;
  std::string KeepFiles() const;
  std::string PartitionCondition() const;
  std::string Parameters(const std::vector<Plan>& plans, std::string& id) const;
  std::string Header(const std::vector<Plan>& plans, const std::vector<std::string>& notes,
                     const std::string& id) const;
  std::string Assemble(const std::vector<Plan>& plans, const std::string& detail);

  const CompileOptions& options_;
  EngineSql sql_;
  std::unique_ptr<RecordSource> source_;
  Columns columns_;
  int vars_ = 0;
};

// ---- checks -----------------------------------------------------------------------------------

Result<void> Compiler::Check(const std::vector<metric::MetricFilterSpec>& filters) const {
  auto bad = [](std::string message) { return MakeError(ErrorCode::kInvalidArgument, message); };
  if (filters.empty()) return bad("the rules hold no metric filters: nothing to compile");
  switch (options_.dialect) {
    case Dialect::kDuckDb:
      if (options_.engine != Engine::kDuckDb) {
        return bad("--dialect duckdb reads files with DuckDB's read_json: --engine must be duckdb");
      }
      if (options_.inputs.empty()) return bad("--dialect duckdb needs --input (files or globs)");
      if (!options_.table.empty()) return bad("--dialect duckdb reads --input, not --table");
      break;
    case Dialect::kAthena:
    case Dialect::kTrinoJson:
      if (options_.table.empty()) {
        return bad("--dialect " + std::string(DialectName(options_.dialect)) + " needs --table");
      }
      if (!options_.inputs.empty()) {
        return bad("--input is for --dialect duckdb; --dialect " +
                   std::string(DialectName(options_.dialect)) + " reads --table");
      }
      break;
  }
  if (!options_.partition_columns.empty()) {
    if (options_.dialect != Dialect::kAthena) {
      return bad("--partition-columns is for --dialect athena");
    }
    if (options_.partition_columns.size() != 1 && options_.partition_columns.size() != 3) {
      return bad(
          "--partition-columns takes one column of yyyy/MM/dd dates (the partition-projection "
          "table's `timestamp`) or three (year, month, day)");
    }
  }
  if (options_.from && options_.to && *options_.from >= *options_.to) {
    return bad("--from must be before --to");
  }
  if (options_.max_delivery_delay < 0) return bad("--max-delivery-delay must not be negative");
  std::vector<std::string_view> texts = {options_.table, options_.json_column};
  for (const auto& input : options_.inputs) texts.push_back(input);
  for (const auto& column : options_.partition_columns) texts.push_back(column);
  for (const auto& spec : filters) {
    texts.push_back(spec.name);
    texts.push_back(spec.pattern);
  }
  for (std::string_view text : texts) {
    if (!IsValidUtf8(text)) return bad("not valid UTF-8: " + CommentText(text));
  }
  return {};
}

// ---- conditions -------------------------------------------------------------------------------

std::string Compiler::AnyOf(const Access& access,
                            const std::function<std::string(const Reach&)>& test) {
  switch (access.shape) {
    case Access::Shape::kSingle:
      return test(access.single);
    case Access::Shape::kFixed: {
      if (access.fixed.empty()) return "false";
      std::string out = "(";
      for (std::size_t i = 0; i < access.fixed.size(); ++i) {
        out += (i > 0 ? " OR " : "") + test(access.fixed[i]);
      }
      return out + ")";
    }
    case Access::Shape::kDynamic: {
      const std::string var = NewVar();
      return sql_.Any(access.list, var, test(access.element(var)));
    }
  }
  return "false";
}

std::string Compiler::TextMatch(const std::string& text, const Value& value) {
  if (value.kind == Value::Kind::kRegex) {
    const auto regex = RegexText(*value.regex);
    if (!regex) return "false";
    return sql_.RegexMatch(text, SqlString(*regex));
  }
  if (value.glob) return text + " LIKE " + SqlString(LikePattern(value.text)) + " ESCAPE '\\'";
  return text + " = " + SqlString(value.text);
}

std::string Compiler::ValueTest(const Reach& r, const Access& access, const Expr& leaf,
                                const std::string& test, Reasons& reasons) {
  const Value& value = leaf.value;
  const CompareOp op = leaf.op;
  if (op != CompareOp::kEq && op != CompareOp::kNe) {
    if (value.kind != Value::Kind::kNumber) return "false";
    if (access.type_lost) {
      reasons.Add(test +
                  ": the table holds the value as text, so a JSON number and a numeric string "
                  "look alike");
    }
    return "coalesce(" + r.kind + " = 'd' AND " + r.number + SqlOp(op) + SqlDouble(value.number) +
           ", false)";
  }
  if (value.kind == Value::Kind::kNumber) {
    if (access.type_lost) {
      reasons.Add(test +
                  ": the table holds the value as text, so a JSON number and a numeric string "
                  "look alike");
    }
    return "coalesce((" + r.kind + " = 'd' AND " + r.number + SqlOp(op) + SqlDouble(value.number) +
           ") OR (" + r.kind + " IN ('s', 't', 'f') AND " + r.text + SqlOp(op) +
           SqlString(value.text) + "), false)";
  }
  const bool number_sensitive = value.kind == Value::Kind::kRegex
                                    ? RegexMayMatchNumberText(*value.regex)
                                : value.glob ? GlobMayMatchNumberText(value.text)
                                             : IsNumberTextEnginesRewrite(value.text);
  if (access.numbers_rewritten && number_sensitive) {
    reasons.Add(test + ": compares text, and " + std::string(kNumberRewritten));
  }
  const std::string match = TextMatch(r.text, value);
  return "coalesce(" + r.kind + kScalar + " AND " + (op == CompareOp::kEq ? "" : "NOT ") + "(" +
         match + "), false)";
}

std::string Compiler::Leaf(const Expr& leaf, const Pattern& p, const Access& access,
                           Reasons& reasons) {
  const std::string test = TestText(leaf, p);
  reasons.AddAll(access.always);
  switch (leaf.kind) {
    case ExprKind::kNotExists: {
      if (access.presence_lost) {
        reasons.Add(test +
                    ": the table stores a JSON null and an absent field alike (NULL), so it "
                    "cannot tell them apart");
      }
      if (access.shape == Access::Shape::kDynamic) {
        const std::string var = NewVar();
        return "NOT " + sql_.Any(access.list, var, access.element(var).kind + " IS NOT NULL");
      }
      if (access.shape == Access::Shape::kFixed) {
        std::string out = "(";
        for (std::size_t i = 0; i < access.fixed.size(); ++i) {
          out += (i > 0 ? " AND " : "") + access.fixed[i].kind + " IS NULL";
        }
        return access.fixed.empty() ? "true" : out + ")";
      }
      return "(" + access.single.kind + " IS NULL)";
    }
    case ExprKind::kIsNull:
    case ExprKind::kIsTrue:
    case ExprKind::kIsFalse: {
      const char* want = leaf.kind == ExprKind::kIsNull   ? "'n'"
                         : leaf.kind == ExprKind::kIsTrue ? "'t'"
                                                          : "'f'";
      if (leaf.kind == ExprKind::kIsNull && access.presence_lost) {
        reasons.Add(test +
                    ": the table stores a JSON null and an absent field alike (NULL), so it "
                    "cannot tell them apart");
      }
      if (leaf.kind != ExprKind::kIsNull && access.type_lost) {
        reasons.Add(test +
                    ": the table holds the value as text, so a JSON boolean and the string "
                    "\"true\" or \"false\" look alike");
      }
      return AnyOf(
          access, [&](const Reach& r) { return "coalesce(" + r.kind + " = " + want + ", false)"; });
    }
    case ExprKind::kCompare:
      return AnyOf(access,
                   [&](const Reach& r) { return ValueTest(r, access, leaf, test, reasons); });
    default:
      return "false";
  }
}

std::string Compiler::Condition(const Expr& expr, const Pattern& p,
                                const std::vector<Access>& accesses, Reasons& reasons) {
  if (expr.kind != ExprKind::kAnd && expr.kind != ExprKind::kOr) {
    return Leaf(expr, p, accesses[expr.operand], reasons);
  }
  std::vector<std::string> parts;
  std::vector<bool> grouped(expr.children.size(), false);
  if (expr.kind == ExprKind::kOr) {
    // `||` of plain equalities on one selector (CIS's lists of event names): one IN list.
    auto plain = [&](const Expr& e) {
      return e.kind == ExprKind::kCompare && e.op == CompareOp::kEq &&
             e.value.kind == Value::Kind::kString && !e.value.glob &&
             accesses[e.operand].shape == Access::Shape::kSingle;
    };
    for (std::size_t i = 0; i < expr.children.size(); ++i) {
      if (grouped[i] || !plain(expr.children[i])) continue;
      std::vector<std::size_t> members{i};
      for (std::size_t j = i + 1; j < expr.children.size(); ++j) {
        if (!grouped[j] && plain(expr.children[j]) &&
            expr.children[j].operand == expr.children[i].operand) {
          members.push_back(j);
        }
      }
      if (members.size() < 2) continue;
      const Access& access = accesses[expr.children[i].operand];
      std::string list;
      for (std::size_t m : members) {
        grouped[m] = true;
        const Expr& leaf = expr.children[m];
        reasons.AddAll(access.always);
        if (access.numbers_rewritten && IsNumberTextEnginesRewrite(leaf.value.text)) {
          reasons.Add(TestText(leaf, p) + ": compares text, and " + std::string(kNumberRewritten));
        }
        list += (list.empty() ? "" : ", ") + SqlString(leaf.value.text);
      }
      parts.push_back("coalesce(" + access.single.kind + kScalar + " AND " + access.single.text +
                      " IN (" + list + "), false)");
    }
  }
  for (std::size_t i = 0; i < expr.children.size(); ++i) {
    if (!grouped[i]) parts.push_back(Condition(expr.children[i], p, accesses, reasons));
  }
  if (parts.size() == 1) return parts.front();
  std::string out = "(";
  for (std::size_t i = 0; i < parts.size(); ++i) {
    out += (i > 0 ? (expr.kind == ExprKind::kAnd ? " AND " : " OR ") : "") + parts[i];
  }
  return out + ")";
}

std::string Compiler::TermsCondition(const Pattern& p, const std::string& text) {
  bool all_optional = !p.terms.empty();
  for (const auto& term : p.terms) {
    if (term.mode != pattern::TermMode::kOptional) all_optional = false;
  }
  std::vector<std::string> parts;
  for (const auto& term : p.terms) {
    const std::string found = sql_.Contains(text, SqlString(term.text));
    if (all_optional) {
      parts.push_back(found);
    } else if (term.mode == pattern::TermMode::kRequired) {
      parts.push_back(found);
    } else if (term.mode == pattern::TermMode::kExcluded) {
      parts.push_back("NOT " + found);
    }
  }
  if (parts.empty()) return "true";
  std::string out = "(";
  for (std::size_t i = 0; i < parts.size(); ++i) {
    out += (i > 0 ? (all_optional ? " OR " : " AND ") : "") + parts[i];
  }
  return out + ")";
}

// The first value a reference reads (ReadReference in metric/transformation.h).
Reach Compiler::FirstValue(const Access& access) {
  switch (access.shape) {
    case Access::Shape::kSingle:
      return access.single;
    case Access::Shape::kFixed: {
      if (access.fixed.empty()) {
        return {"CAST(NULL AS VARCHAR)", "CAST(NULL AS VARCHAR)", "CAST(NULL AS DOUBLE)"};
      }
      Reach out{"CASE", "CASE", "CASE"};
      for (const Reach& r : access.fixed) {
        const std::string when = " WHEN " + r.kind + " IS NOT NULL THEN ";
        out.kind += when + r.kind;
        out.text += when + r.text;
        out.number += when + r.number;
      }
      out.kind += " END";
      out.text += " END";
      out.number += " END";
      return out;
    }
    case Access::Shape::kDynamic: {
      const std::string var = NewVar();
      const std::string first =
          sql_.First(access.list, var, access.element(var).kind + " IS NOT NULL");
      return access.element(first);
    }
  }
  return access.single;
}

void Compiler::PlanFilter(const metric::MetricFilterSpec& spec, Plan& plan) {
  plan.spec = &spec;
  plan.verdict.name = spec.name;
  plan.verdict.pattern = spec.pattern;
  Reasons reasons;
  auto parsed = pattern::ParsePattern(spec.pattern);
  // FilterSet::Compile has validated the rule set; a parse failure here is a program error.
  if (!parsed) {
    plan.verdict.verdict = Verdict::kUnsupported;
    plan.verdict.reasons.push_back(parsed.error().message);
    return;
  }
  const Pattern& p = *parsed;
  std::vector<Access> accesses;
  switch (p.kind) {
    case PatternKind::kMatchAll:
      plan.match = "true";
      break;
    case PatternKind::kTerms:
    case PatternKind::kRegex: {
      std::string why;
      const auto text = source_->RecordText(columns_, why);
      if (!text) {
        plan.verdict.verdict = Verdict::kUnsupported;
        plan.verdict.reasons.push_back(
            std::string(p.kind == PatternKind::kTerms ? "a term pattern" : "a regex pattern") +
            " " + why);
        return;
      }
      reasons.Add(source_->RecordTextCaveat());
      if (p.kind == PatternKind::kTerms) {
        plan.match = TermsCondition(p, *text);
      } else {
        const auto regex = RegexText(*p.regex);
        plan.match = regex ? sql_.RegexMatch(*text, SqlString(*regex)) : "false";
      }
      break;
    }
    case PatternKind::kDelimited:
      plan.verdict.verdict = Verdict::kUnsupported;
      plan.verdict.reasons.push_back(
          "a space-delimited pattern splits the raw message into fields, which the query "
          "does not do (scan the logs natively for it)");
      return;
    case PatternKind::kJson:
      for (const auto& selector : p.selectors) {
        accesses.push_back(source_->Resolve(selector, columns_));
      }
      plan.match = Condition(*p.condition, p, accesses, reasons);
      break;
  }

  // What a match publishes.
  const metric::MetricTransformation& t = spec.transformation;
  double literal = 0;
  if (pattern::ParseNumber(t.metric_value, literal)) {
    plan.literal_value = literal;
  } else {
    auto selector = pattern::ParseSelectorText(t.metric_value);
    if (!selector) {
      plan.verdict.verdict = Verdict::kUnsupported;
      plan.verdict.reasons.push_back("metric value " + t.metric_value +
                                     " reads a space-delimited field");
      return;
    }
    const Access access = source_->Resolve(*selector, columns_);
    reasons.AddAll(access.always);
    if (access.order_lost) {
      reasons.Add("metric value " + t.metric_value +
                  ": the first of an object's values, and Trino's maps keep no order");
    }
    const Reach r = FirstValue(access);
    // A string must be a number literal (pattern::ParseNumber); one whose value underflows to
    // zero is no number there either (from_chars reports it out of range).
    plan.raw_value =
        "CASE WHEN " + r.kind + " = 'd' THEN " + r.number + " WHEN " + r.kind + " = 's' AND " +
        sql_.RegexMatch(r.text, "'^[+-]?[0-9]+(\\.[0-9]+)?([eE][+-]?[0-9]+)?\\z'") +
        " AND NOT (TRY_CAST(" + r.text + " AS DOUBLE) = 0 AND " +
        sql_.RegexMatch(r.text, "'^[^eE]*[1-9]'") + ") THEN TRY_CAST(" + r.text + " AS DOUBLE) END";
  }
  for (const auto& [name, reference] : t.dimensions) {
    auto selector = pattern::ParseSelectorText(reference);
    if (!selector) {
      plan.verdict.verdict = Verdict::kUnsupported;
      plan.verdict.reasons.push_back("dimension " + name + " reads a space-delimited field");
      return;
    }
    const Access access = source_->Resolve(*selector, columns_);
    reasons.AddAll(access.always);
    if (access.numbers_rewritten) {
      reasons.Add("dimension " + name + " (" + reference + "): " + std::string(kNumberRewritten));
    }
    if (access.order_lost) {
      reasons.Add("dimension " + name + " (" + reference +
                  "): the first of an object's values, and Trino's maps keep no order");
    }
    const Reach r = FirstValue(access);
    plan.dimensions.push_back("CASE WHEN " + r.kind + kScalar + " THEN " + r.text + " END");
  }
  plan.verdict.reasons = reasons.list();
  plan.verdict.verdict = plan.verdict.reasons.empty() ? Verdict::kExact : Verdict::kApproximate;
}

// ---- time -------------------------------------------------------------------------------------

std::string Compiler::DaysInMonth(const std::string& y, const std::string& mo) const {
  return "CASE WHEN " + mo + " = 2 THEN CASE WHEN (" + y + " % 4 = 0 AND " + y +
         " % 100 <> 0) OR " + y + " % 400 = 0 THEN 29 ELSE 28 END WHEN " + mo +
         " IN (4, 6, 9, 11) THEN 30 ELSE 31 END";
}

// days_from_civil (common/time.h) for years from 1: y' = y - (mo <= 2), mp = (mo + 9) mod 12.
std::string Compiler::CivilEpoch(const std::string& y, const std::string& mo, const std::string& d,
                                 const std::string& h, const std::string& mi,
                                 const std::string& s) const {
  const std::string year = "(" + y + " - CASE WHEN " + mo + " <= 2 THEN 1 ELSE 0 END)";
  const std::string days = "(365 * " + year + " + " + sql_.IntDiv(year, "4") + " - " +
                           sql_.IntDiv(year, "100") + " + " + sql_.IntDiv(year, "400") + " + " +
                           sql_.IntDiv("153 * ((" + mo + " + 9) % 12) + 2", "5") + " + " + d +
                           " - 1 - 719468)";
  return days + " * 86400 + " + h + " * 3600 + " + mi + " * 60 + " + s;
}

// The parts of an ISO-8601 time text `x`, as ParseIsoTime reads them (NULL where the text has
// none): columns of the `parts` layer.
std::vector<std::pair<std::string, std::string>> Compiler::IsoTimeParts(
    const std::string& x) const {
  auto part = [&](int from, int length) {
    return "TRY_CAST(substr(" + x + ", " + std::to_string(from) + ", " + std::to_string(length) +
           ") AS BIGINT)";
  };
  auto tail = [&](int back, int length) {
    return "TRY_CAST(substr(" + x + ", length(" + x + ") - " + std::to_string(back) + ", " +
           std::to_string(length) + ") AS BIGINT)";
  };
  const std::string zulu = "substr(" + x + ", length(" + x + "), 1) = 'Z'";
  return {
      {"time_shape", sql_.RegexMatch(x,
                                     "'^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}([.,]"
                                     "[0-9]+)?(Z|[+-][0-9]{2}:[0-9]{2})\\z'")},
      {"time_year", part(1, 4)},
      {"time_month", part(6, 2)},
      {"time_day", part(9, 2)},
      {"time_hour", part(12, 2)},
      {"time_minute", part(15, 2)},
      {"time_second", part(18, 2)},
      {"time_offset_hour", "CASE WHEN " + zulu + " THEN 0 ELSE " + tail(4, 2) + " END"},
      {"time_offset_minute", "CASE WHEN " + zulu + " THEN 0 ELSE " + tail(1, 2) + " END"},
      {"time_offset_sign",
       "CASE WHEN substr(" + x + ", length(" + x + ") - 5, 1) = '-' THEN -1 ELSE 1 END"},
  };
}

// Epoch seconds from the parts, when they make a valid time.
std::string Compiler::IsoTime() const {
  return "CASE WHEN time_shape AND time_year >= 1970 AND time_month BETWEEN 1 AND 12\n"
         "      AND time_day BETWEEN 1 AND " +
         DaysInMonth("time_year", "time_month") +
         "\n      AND time_hour <= 23 AND time_minute <= 59 AND time_second <= 60\n"
         "      AND time_offset_hour <= 23 AND time_offset_minute <= 59\n    THEN " +
         CivilEpoch("time_year", "time_month", "time_day", "time_hour", "time_minute",
                    "time_second") +
         "\n      - time_offset_sign * (time_offset_hour * 3600 + time_offset_minute * 60) END";
}

// Scan's rule (scanner.cc PrunedByKey): a file whose S3 key name carries its delivery time is
// read when delivered no more than 15 minutes before --from and before --to plus the delay.
// The CTEs `delivery` and `kept` between `files` and `records`, or empty.
std::string Compiler::KeepFiles() const {
  if (!source_->HasPaths() || (!options_.from && !options_.to)) return "";
  const std::string stamp = sql_.RegexExtract(
      "path",
      "'(^|[/\\\\])[0-9]{12}_CloudTrail_[a-z0-9-]+_([0-9]{8}T[0-9]{4})Z_[A-Za-z0-9][^/\\\\]*\\z'",
      2);
  auto part = [&](int from, int length) {
    return "TRY_CAST(substr(delivery_stamp, " + std::to_string(from) + ", " +
           std::to_string(length) + ") AS BIGINT)";
  };
  std::string out =
      "delivery AS (\n  SELECT *, " + stamp + " AS delivery_stamp\n  FROM files\n),\n";
  out += "delivery_parts AS (\n  SELECT *,\n    " + part(1, 4) + " AS delivery_year,\n    " +
         part(5, 2) + " AS delivery_month,\n    " + part(7, 2) + " AS delivery_day,\n    " +
         part(10, 2) + " AS delivery_hour,\n    " + part(12, 2) +
         " AS delivery_minute\n  FROM delivery\n),\n";
  const std::string delivered =
      "CASE WHEN delivery_month BETWEEN 1 AND 12 AND delivery_day BETWEEN 1 AND " +
      DaysInMonth("delivery_year", "delivery_month") +
      "\n      AND delivery_hour <= 23 AND delivery_minute <= 59\n    THEN " +
      CivilEpoch("delivery_year", "delivery_month", "delivery_day", "delivery_hour",
                 "delivery_minute", "0") +
      " END";
  out += "delivered AS (\n  SELECT *,\n    " + delivered +
         " AS delivered_at\n  FROM delivery_parts\n),\n";
  std::string keep = "delivered_at IS NULL";
  if (options_.from) {
    keep += "\n    OR (delivered_at + " + std::to_string(kDeliverySkew) +
            " >= " + std::to_string(*options_.from);
  } else {
    keep += "\n    OR (true";
  }
  if (options_.to) {
    keep += " AND delivered_at < " + std::to_string(*options_.to + options_.max_delivery_delay);
  }
  keep += ")";
  out += "kept AS (\n  SELECT * FROM delivered\n  WHERE " + keep + "\n)";
  return out;
}

std::string Compiler::PartitionCondition() const {
  if (options_.partition_columns.empty() || (!options_.from && !options_.to)) return "";
  std::string date;
  if (options_.partition_columns.size() == 1) {
    date = "t." + SqlIdentifier(options_.partition_columns[0]);
  } else {
    date = "(t." + SqlIdentifier(options_.partition_columns[0]) + " || '/' || t." +
           SqlIdentifier(options_.partition_columns[1]) + " || '/' || t." +
           SqlIdentifier(options_.partition_columns[2]) + ")";
  }
  auto day = [](std::int64_t t) {
    std::string iso = FormatIsoTime(t);  // YYYY-MM-DDTHH:MM:SSZ
    return "'" + iso.substr(0, 4) + "/" + iso.substr(5, 2) + "/" + iso.substr(8, 2) + "'";
  };
  std::string out;
  if (options_.from) out = date + " >= " + day(*options_.from - kDeliverySkew);
  if (options_.to) {
    out += (out.empty() ? "" : " AND ") + date +
           " <= " + day(*options_.to + options_.max_delivery_delay - 1);
  }
  return out;
}

// ---- the statement ----------------------------------------------------------------------------

std::string Compiler::Parameters(const std::vector<Plan>& plans, std::string& id) const {
  std::string body;
  body += "\"dialect\":" + JsonString(DialectName(options_.dialect));
  body += ",\"engine\":" + JsonString(EngineName(options_.engine));
  if (options_.dialect == Dialect::kDuckDb) {
    body += ",\"source\":[";
    for (std::size_t i = 0; i < options_.inputs.size(); ++i) {
      body += (i > 0 ? "," : "") + JsonString(options_.inputs[i]);
    }
    body += "]";
  } else {
    body += ",\"source\":" + JsonString(options_.table);
  }
  body += ",\"from\":" + (options_.from ? JsonString(FormatIsoTime(*options_.from)) : "null");
  body += ",\"to\":" + (options_.to ? JsonString(FormatIsoTime(*options_.to)) : "null");
  body += ",\"max_delivery_delay\":" + std::to_string(options_.max_delivery_delay);
  body += ",\"filters\":[";
  bool first = true;
  for (const Plan& plan : plans) {
    if (plan.verdict.verdict == Verdict::kUnsupported) continue;
    body += std::string(first ? "" : ",") + "{\"name\":" + JsonString(plan.spec->name) +
            ",\"digest\":" + JsonString(FilterDigest(*plan.spec)) + "}";
    first = false;
  }
  body += "]";
  id = Fnv64(body);
  return "{\"query_id\":" + JsonString(id) +
         ",\"version\":" + JsonString("trailreplay " + options_.version) + "," + body + "}";
}

std::string Compiler::Header(const std::vector<Plan>& plans, const std::vector<std::string>& notes,
                             const std::string& id) const {
  std::string out =
      "-- trailreplay " + options_.version +
      " compile: every metric filter of the rule set in "
      "one pass over the records.\n"
      "-- Per minute it returns what a scan stores: each metric series' samples, each filter's "
      "matches,\n"
      "-- and the count of all events (duplicates removed by eventID). Save the result as CSV "
      "and load it with\n"
      "--   trailreplay import-samples RESULT.csv --db FILE --rules <the same rules>\n";
  out += "-- dialect " + std::string(DialectName(options_.dialect)) + ", engine " +
         std::string(EngineName(options_.engine)) + ", query id " + id + "\n";
  out += "-- events: eventTime";
  if (options_.from) out += " from " + FormatIsoTime(*options_.from);
  if (options_.to) out += " before " + FormatIsoTime(*options_.to);
  if (!options_.from && !options_.to) out += " at any time";
  out += "\n--\n";
  for (const Plan& plan : plans) {
    out += "-- filter " + CommentText(plan.spec->name) + ": " +
           std::string(VerdictName(plan.verdict.verdict)) +
           (plan.verdict.verdict == Verdict::kUnsupported ? " (left out)" : "") + "\n";
    out += "--   pattern " + CommentText(plan.spec->pattern) + "\n";
    for (const auto& reason : plan.verdict.reasons) out += "--   - " + CommentText(reason) + "\n";
  }
  out += "--\n";
  for (const auto& note : notes) out += "-- note: " + CommentText(note) + "\n";
  return out;
}

std::string Compiler::Assemble(const std::vector<Plan>& plans, const std::string& detail) {
  const bool duck = options_.engine == Engine::kDuckDb;
  auto layer = [](const std::string& name, const std::string& from,
                  const std::vector<std::pair<std::string, std::string>>& columns,
                  const std::string& where = "") {
    std::string out = name + " AS (\n  SELECT *";
    for (const auto& [column, expression] : columns) {
      out += ",\n    " + expression + " AS " + column;
    }
    out += "\n  FROM " + from;
    if (!where.empty()) out += "\n  WHERE " + where;
    return out + "\n)";
  };

  // What every layer below needs: the record's time and eventID.
  pattern::Selector event_time, timestamp, event_id;
  event_time.steps = {{pattern::PathStep::Kind::kField, "eventTime", 0}};
  timestamp.steps = {{pattern::PathStep::Kind::kField, "@timestamp", 0}};
  event_id.steps = {{pattern::PathStep::Kind::kField, "eventID", 0}};
  const Reach et = FirstValue(source_->Resolve(event_time, columns_));
  const Reach ts = FirstValue(source_->Resolve(timestamp, columns_));
  const Reach id = FirstValue(source_->Resolve(event_id, columns_));

  std::string sql = "WITH\n";
  if (source_->HasPaths()) {
    sql += source_->FilesCtes(PartitionCondition()) + ",\n";
    const std::string keep = KeepFiles();
    if (!keep.empty()) sql += keep + ",\n";
    sql += source_->RecordsCte(keep.empty() ? "files" : "kept") + ",\n";
  } else {
    sql += source_->RecordsCte("") + ",\n";
  }
  // fields: only the selector values (the raw record stays in records).
  sql += "fields AS (\n  SELECT t.path";
  for (const auto& [column, expression] : columns_.fields()) {
    sql += ",\n    " + expression + " AS " + column;
  }
  sql += "\n  FROM records AS t";
  if (!source_->RecordIsObject().empty()) sql += "\n  WHERE " + source_->RecordIsObject();
  sql += "\n),\n";
  sql += layer("typed", "fields", columns_.typed()) + ",\n";
  sql +=
      layer("clock", "typed",
            {{"time_text",
              "CASE WHEN " + et.kind + " IN ('s', 'd') THEN " + et.text +
                  (ts.kind == kAbsent ? std::string()
                                      : " WHEN " + ts.kind + " IN ('s', 'd') THEN " + ts.text) +
                  " END"},
             {"event_key",
              "CASE WHEN " + id.kind + " IN ('s', 'd') AND " + id.text + " <> '' THEN CASE WHEN " +
                  sql_.RegexMatch(id.text,
                                  "'^[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{"
                                  "4}-[0-9A-Fa-f]{12}\\z'") +
                  " THEN lower(" + id.text + ") ELSE " + id.text + " END END"}}) +
      ",\n";
  sql += layer("parts", "clock", IsoTimeParts("time_text")) + ",\n";
  sql += layer("timed", "parts", {{"event_time", IsoTime()}}) + ",\n";

  std::string range = "event_time IS NOT NULL";
  if (options_.from) range += " AND event_time >= " + std::to_string(*options_.from);
  if (options_.to) range += " AND event_time < " + std::to_string(*options_.to);
  std::vector<std::pair<std::string, std::string>> matched, evaluated;
  std::vector<const Plan*> included;
  for (const Plan& plan : plans) {
    if (plan.verdict.verdict == Verdict::kUnsupported) continue;
    const std::string n = std::to_string(included.size() + 1);
    included.push_back(&plan);
    matched.emplace_back("match_" + n, plan.match);
    if (!plan.raw_value.empty()) matched.emplace_back("read_" + n, plan.raw_value);
    for (std::size_t d = 0; d < plan.dimensions.size(); ++d) {
      matched.emplace_back("dim_" + n + "_" + std::to_string(d + 1), plan.dimensions[d]);
    }
  }
  sql += layer("matched", "timed", matched, range) + ",\n";

  // evaluated: only what the aggregation needs.
  sql += "evaluated AS (\n  SELECT path, event_time, event_key";
  for (std::size_t i = 0; i < included.size(); ++i) {
    const Plan& plan = *included[i];
    const std::string n = std::to_string(i + 1);
    std::string publishes = "match_" + n;
    for (std::size_t d = 0; d < plan.dimensions.size(); ++d) {
      publishes += " AND dim_" + n + "_" + std::to_string(d + 1) + " IS NOT NULL";
    }
    std::string value;
    if (plan.literal_value) {
      value = SqlDouble(*plan.literal_value);
    } else {
      // PutMetricData's range (metric/transformation.h AcceptedMetricValue): a value outside
      // it publishes nothing; so do NaN and the infinities, which fail these comparisons.
      const std::string read = "read_" + n;
      publishes += " AND abs(" + read + ") <= " + SqlDouble(std::ldexp(1.0, 360)) + " AND (" +
                   read + " = 0 OR abs(" + read + ") >= " + SqlDouble(std::ldexp(1.0, -360)) + ")";
      value = read;
    }
    const auto& t = plan.spec->transformation;
    sql += ",\n    CASE WHEN match_" + n + " THEN 1 ELSE 0 END AS matched_" + n;
    sql += ",\n    CASE WHEN " + publishes + " THEN " + value +
           (t.default_value ? " WHEN NOT match_" + n + " THEN " + SqlDouble(*t.default_value)
                            : std::string()) +
           " END AS value_" + n;
    for (std::size_t d = 0; d < plan.dimensions.size(); ++d) {
      const std::string dim = "dim_" + n + "_" + std::to_string(d + 1);
      sql += ",\n    CASE WHEN " + publishes + " THEN " + dim + " END AS " + dim;
    }
  }
  sql += "\n  FROM matched\n),\n";
  sql +=
      "deduplicated AS (\n  SELECT * FROM (\n    SELECT *, row_number() OVER (\n"
      "      PARTITION BY event_time - ((event_time % 3600) + 3600) % 3600, event_key\n"
      "      ORDER BY path) AS copy\n    FROM evaluated) AS e\n"
      "  WHERE event_key IS NULL OR copy = 1\n)\n";

  // One row per event and contribution, then one aggregation.
  auto text = [&](const std::string& expression) {
    return duck ? expression : "CAST(" + expression + " AS VARCHAR)";
  };
  std::vector<std::string> rows;
  auto row = [&](const std::string& kind, const std::string& filter, const std::string& matched_col,
                 const std::string& value, const std::vector<std::string>& dims) {
    std::vector<std::string> d = dims;
    d.resize(3, "CAST(NULL AS VARCHAR)");
    if (duck) {
      return "{'kind': " + kind + ", 'filter': " + filter + ", 'matched': " + matched_col +
             ", 'value': " + value + ", 'd1': " + d[0] + ", 'd2': " + d[1] + ", 'd3': " + d[2] +
             "}";
    }
    return "CAST(ROW(" + kind + ", " + filter + ", " + matched_col + ", " + value + ", " + d[0] +
           ", " + d[1] + ", " + d[2] +
           ") AS ROW(kind VARCHAR, filter VARCHAR, matched INTEGER, value DOUBLE, d1 VARCHAR, "
           "d2 VARCHAR, d3 VARCHAR))";
  };
  rows.push_back(row("'events'", "CAST(NULL AS VARCHAR)", "0", "CAST(NULL AS DOUBLE)", {}));
  for (std::size_t i = 0; i < included.size(); ++i) {
    const std::string n = std::to_string(i + 1);
    std::vector<std::string> dims;
    for (std::size_t d = 0; d < included[i]->dimensions.size(); ++d) {
      dims.push_back(text("d.dim_" + n + "_" + std::to_string(d + 1)));
    }
    rows.push_back(row("'filter'", SqlString(included[i]->spec->name), "d.matched_" + n,
                       "d.value_" + n, dims));
  }
  std::string array;
  for (std::size_t i = 0; i < rows.size(); ++i) array += (i > 0 ? ",\n    " : "\n    ") + rows[i];

  sql +=
      "SELECT c.kind AS kind, d.event_time - ((d.event_time % 60) + 60) % 60 AS minute, "
      "c.filter AS filter,\n"
      "       c.matched AS matched, c.value AS value, count(*) AS \"count\", c.d1 AS "
      "dimension_1,\n"
      "       c.d2 AS dimension_2, c.d3 AS dimension_3, CAST(NULL AS VARCHAR) AS detail\n";
  if (duck) {
    sql += "FROM deduplicated AS d, unnest([" + array + "]) AS u(c)\n";
  } else {
    sql += "FROM deduplicated AS d\nCROSS JOIN UNNEST(ARRAY[" + array +
           "]) AS c (kind, filter, matched, value, d1, d2, d3)\n";
  }
  sql +=
      "WHERE c.kind = 'events' OR c.matched = 1 OR c.value IS NOT NULL\n"
      "GROUP BY 1, 2, 3, 4, 5, 7, 8, 9\n"
      "UNION ALL\n"
      "SELECT 'query', CAST(NULL AS BIGINT), CAST(NULL AS VARCHAR), CAST(NULL AS INTEGER), "
      "CAST(NULL AS DOUBLE),\n"
      "       CAST(NULL AS BIGINT), CAST(NULL AS VARCHAR), CAST(NULL AS VARCHAR), CAST(NULL AS "
      "VARCHAR),\n"
      "       " +
      SqlString(detail) +
      "\n"
      "ORDER BY 1, 3, 2, 4, 5, 7, 8, 9;\n";
  return sql;
}

Result<CompiledQuery> Compiler::Run(const std::vector<metric::MetricFilterSpec>& filters) {
  if (auto ok = Check(filters); !ok) return std::move(ok).error();
  // The rule set as a scan would compile it: the same validation and errors.
  auto set = metric::FilterSet::Compile(filters);
  if (!set) return std::move(set).error();

  std::vector<Plan> plans(filters.size());
  for (std::size_t i = 0; i < filters.size(); ++i) PlanFilter(filters[i], plans[i]);

  CompiledQuery out;
  std::vector<std::string> unsupported;
  std::size_t included = 0;
  for (const Plan& plan : plans) {
    out.filters.push_back(plan.verdict);
    if (plan.verdict.verdict == Verdict::kUnsupported) {
      unsupported.push_back("filter '" + plan.spec->name + "': " + plan.verdict.reasons.front());
    } else {
      ++included;
    }
  }
  if (!unsupported.empty() && !options_.skip_unsupported) {
    std::string message = "the " + std::string(DialectName(options_.dialect)) +
                          " dialect cannot evaluate " +
                          (unsupported.size() == 1 ? "a filter" : "some filters") + ":";
    for (const auto& line : unsupported) message += "\n  " + line;
    message +=
        std::string("\nscan the logs natively for ") + (unsupported.size() == 1 ? "it" : "them") +
        ", or give --skip-unsupported to compile the others (the result then holds no counts "
        "for " +
        (unsupported.size() == 1 ? "it" : "them") + ", and import-samples needs rules without " +
        (unsupported.size() == 1 ? "it" : "them") + ")";
    return MakeError(ErrorCode::kInvalidArgument, message);
  }
  if (included == 0) {
    return MakeError(ErrorCode::kInvalidArgument, "no filter of the rule set can be compiled");
  }
  out.notes = source_->Notes();
  out.parameters = Parameters(plans, out.query_id);
  out.sql = Header(plans, out.notes, out.query_id) + Assemble(plans, out.parameters);
  return out;
}

}  // namespace

std::string_view DialectName(Dialect dialect) {
  switch (dialect) {
    case Dialect::kAthena:
      return "athena";
    case Dialect::kTrinoJson:
      return "trino-json";
    case Dialect::kDuckDb:
      return "duckdb";
  }
  return "?";
}

std::optional<Dialect> ParseDialect(std::string_view name) {
  if (name == "athena") return Dialect::kAthena;
  if (name == "trino-json") return Dialect::kTrinoJson;
  if (name == "duckdb") return Dialect::kDuckDb;
  return std::nullopt;
}

std::string_view EngineName(Engine engine) { return engine == Engine::kTrino ? "trino" : "duckdb"; }

std::optional<Engine> ParseEngine(std::string_view name) {
  if (name == "trino") return Engine::kTrino;
  if (name == "duckdb") return Engine::kDuckDb;
  return std::nullopt;
}

std::string_view VerdictName(Verdict verdict) {
  switch (verdict) {
    case Verdict::kExact:
      return "exact";
    case Verdict::kApproximate:
      return "approximate";
    case Verdict::kUnsupported:
      return "unsupported";
  }
  return "?";
}

std::string FilterDigest(const metric::MetricFilterSpec& spec) {
  return Fnv64(metric::FilterFingerprint(spec));
}

Result<CompiledQuery> CompileQuery(const std::vector<metric::MetricFilterSpec>& filters,
                                   const CompileOptions& options) {
  Compiler compiler(options);
  return compiler.Run(filters);
}

}  // namespace trailreplay::pushdown

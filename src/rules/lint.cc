// Lint of metric filter patterns; see lint.h for the checks. Everything a check needs from the
// history is gathered in one pass per stream of events (ObserveMatch, ObserveStored) through
// one EventContext whose plan holds every selector the checks read.
#include "rules/lint.h"

#include <simdjson.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <functional>
#include <set>

#include "common/json_escape.h"
#include "common/text_format.h"
#include "pattern/parser.h"
#include "rules/contradiction.h"

namespace trailreplay::rules {

using pattern::CompareOp;
using pattern::CompiledPattern;
using pattern::EventContext;
using pattern::Expr;
using pattern::ExprKind;
using pattern::Pattern;
using pattern::PatternKind;
using pattern::Selector;
using pattern::SelectorPlan;
using pattern::Value;

namespace {

// Distinct values kept per field for the case check (eventName has a few hundred).
constexpr std::size_t kMaxDistinctValues = 20000;

bool IsBlank(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

std::string Trim(std::string_view text) {
  while (!text.empty() && IsBlank(text.front())) text.remove_prefix(1);
  while (!text.empty() && IsBlank(text.back())) text.remove_suffix(1);
  return std::string(text);
}

// Removes parentheses that do not belong to `text` (a slice of a larger expression): leading
// '(' left open, trailing ')' closing nothing. Quoted strings are skipped.
std::string TrimUnbalanced(std::string text) {
  int depth = 0, lowest = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '"') {
      for (++i; i < text.size() && text[i] != '"'; ++i) {
        if (text[i] == '\\') ++i;
      }
    } else if (text[i] == '(') {
      ++depth;
    } else if (text[i] == ')') {
      lowest = std::min(lowest, --depth);
    }
  }
  for (int extra = -lowest; extra > 0 && !text.empty() && text.back() == ')'; --extra) {
    text = Trim(std::string_view(text).substr(0, text.size() - 1));
  }
  for (int extra = depth - lowest; extra > 0 && !text.empty() && text.front() == '('; --extra) {
    text = Trim(std::string_view(text).substr(1));
  }
  return text;
}

// Where the value token starting at value.offset ends in the pattern text.
std::size_t ValueEnd(std::string_view src, const Value& value) {
  std::size_t p = value.offset;
  if (p >= src.size()) return src.size();
  if (src[p] == '"' || src[p] == '%') {
    const char close = src[p];
    for (++p; p < src.size(); ++p) {
      if (src[p] == '\\') {
        ++p;
      } else if (src[p] == close) {
        return p + 1;
      }
    }
    return src.size();
  }
  while (p < src.size() && !IsBlank(src[p]) && src[p] != ')' && src[p] != '}' &&
         src.substr(p, 2) != "&&" && src.substr(p, 2) != "||") {
    ++p;
  }
  return p;
}

std::string Lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// A value as it would be written in a pattern: bare when CloudWatch allows it and it reads
// as a string (not a number), else quoted.
std::string ValueLiteral(std::string_view text, bool quoted) {
  if (!quoted && pattern::IsBareValue(text) && !pattern::IsNumberLiteral(text)) {
    return std::string(text);
  }
  return pattern::QuotePatternText(text);
}

// A term as the pattern would write it, with its `-` or `?`.
std::string TermText(const pattern::Term& term) {
  const std::string prefix = term.mode == pattern::TermMode::kExcluded   ? "-"
                             : term.mode == pattern::TermMode::kOptional ? "?"
                                                                         : "";
  return prefix + (term.quoted ? pattern::QuotePatternText(term.text) : term.text);
}

std::string JoinTerms(const std::vector<pattern::Term>& terms) {
  std::string out;
  for (const auto& term : terms) out += (out.empty() ? "" : " ") + TermText(term);
  return out;
}

// The pattern with one condition in place of the whole (same selectors, so the same plan).
Pattern WithCondition(const Pattern& pattern, Expr condition) {
  Pattern copy = pattern;
  copy.condition = std::move(condition);
  return copy;
}

bool Parses(const std::string& text) { return pattern::ParsePattern(text).has_value(); }

// Calls visit(leaf, ancestors) for every leaf of `expr`.
void VisitLeaves(const Expr& expr, std::vector<const Expr*>& ancestors,
                 const std::function<void(const Expr&, const std::vector<const Expr*>&)>& visit) {
  if (expr.kind == ExprKind::kAnd || expr.kind == ExprKind::kOr) {
    ancestors.push_back(&expr);
    for (const Expr& child : expr.children) VisitLeaves(child, ancestors, visit);
    ancestors.pop_back();
    return;
  }
  visit(expr, ancestors);
}

using AddFinding = std::function<void(LintSeverity, std::string, std::string, std::string)>;

// contradictory: the pattern, or a clause of its top-level `||`, can never match.
void CheckContradictions(const Pattern& p, const AddFinding& add) {
  if (auto c = FindContradiction(p)) {
    add(LintSeverity::kWarning, "contradictory",
        c->absolute ? "can never match: " + c->reason + "."
                    : "can never match an event whose JSON keys are unique, as every "
                      "CloudTrail record's are: " +
                          c->reason +
                          " (only a document that repeats a key gives a path two "
                          "values).",
        "");
    return;
  }
  if (p.kind != PatternKind::kJson || !p.condition || p.condition->kind != ExprKind::kOr) return;
  const auto texts = TopLevelClauseTexts(p);
  const auto& clauses = p.condition->children;
  for (std::size_t i = 0; i < clauses.size(); ++i) {
    auto c = FindContradiction(p, clauses[i]);
    if (!c) continue;
    add(LintSeverity::kWarning, "contradictory",
        "clause " + std::to_string(i + 1) + (texts.empty() ? "" : " `" + texts[i] + "`") +
            " of the top-level `||` can never match" +
            (c->absolute ? "" : " an event whose JSON keys are unique") + ": " + c->reason +
            "; the filter matches only through its other clauses.",
        "");
  }
}

// Term patterns: `?` terms that CloudWatch ignores, and OR / AND / NOT written as terms.
void CheckTerms(const Pattern& p, const AddFinding& add) {
  if (p.kind != PatternKind::kTerms) return;
  using pattern::Term;
  using pattern::TermMode;
  std::vector<Term> optional, others;
  for (const Term& term : p.terms)
    (term.mode == TermMode::kOptional ? optional : others).push_back(term);
  if (!optional.empty() && !others.empty()) {
    std::string listed;
    for (std::size_t i = 0; i < optional.size(); ++i) {
      listed += (i > 0 ? ", `" : "`") + TermText(optional[i]) + "`";
    }
    std::string equivalent = JoinTerms(others);
    auto reparsed = pattern::ParsePattern(equivalent);
    if (!reparsed || reparsed->kind != PatternKind::kTerms) equivalent.clear();
    add(LintSeverity::kWarning, "optional-terms-ignored",
        "CloudWatch ignores " + listed +
            ": a pattern that mixes `?` terms with required or excluded terms ignores every `?` "
            "term (AWS's note under \"Match optional terms\"), so this one matches exactly what `" +
            JoinTerms(others) +
            "` matches. A term pattern cannot require one of several terms alongside others; "
            "a second filter can.",
        equivalent);
  }

  // Bare OR, AND, NOT: filter patterns have no such keywords, so each is a term to find.
  std::vector<std::string> words;
  bool has_or = false, negate_next = false;
  std::vector<Term> rewritten;
  for (const Term& term : p.terms) {
    const bool keyword = !term.quoted && term.mode == TermMode::kRequired &&
                         (term.text == "OR" || term.text == "AND" || term.text == "NOT");
    if (!keyword) {
      Term t = term;
      if (negate_next && t.mode == TermMode::kRequired) t.mode = TermMode::kExcluded;
      negate_next = false;
      rewritten.push_back(std::move(t));
      continue;
    }
    if (std::find(words.begin(), words.end(), term.text) == words.end()) words.push_back(term.text);
    has_or = has_or || term.text == "OR";
    negate_next = term.text == "NOT";
  }
  if (words.empty()) return;
  std::string message;
  for (std::size_t i = 0; i < words.size(); ++i) {
    message += (i == 0 ? "`" : i + 1 == words.size() ? " and `" : ", `") + words[i] + "`";
  }
  message += words.size() == 1 ? " is a term here, text the message must contain: "
                               : " are terms here, text the message must contain: ";
  message +=
      "filter patterns have no OR, AND or NOT. Terms are all required by default; `?` marks "
      "alternatives (`?ERROR ?WARN`: either) and `-` an excluded term (`ERROR -timeout`).";
  bool suggestable = !rewritten.empty();
  if (has_or) {
    for (Term& t : rewritten) {
      // `?` next to a `-` term would be ignored: no honest rewrite then.
      if (t.mode == TermMode::kExcluded) suggestable = false;
      t.mode = TermMode::kOptional;
    }
  }
  add(LintSeverity::kWarning, "boolean-word-term", message,
      suggestable ? JoinTerms(rewritten) : std::string());
}

// Space-delimited values `[...]`: a field written in brackets is extracted without them.
void CheckBracketedValues(const Pattern& p, const AddFinding& add) {
  if (p.kind != PatternKind::kDelimited) return;
  const std::string& src = p.source;
  std::vector<const Expr*> ancestors;
  for (const auto& slot : p.slots) {
    if (!slot.condition) continue;
    VisitLeaves(*slot.condition, ancestors, [&](const Expr& leaf, const std::vector<const Expr*>&) {
      const Value& v = leaf.value;
      if (leaf.kind != ExprKind::kCompare || v.kind != Value::Kind::kString || v.glob) return;
      if (leaf.op != CompareOp::kEq && leaf.op != CompareOp::kNe) return;
      if (v.text.size() < 2 || v.text.front() != '[' || v.text.find(']') != v.text.size() - 1) {
        return;
      }
      const std::string inner = v.text.substr(1, v.text.size() - 2);
      const std::string test = LeafText(p, leaf);
      const std::string why = " a log line holding " + v.text +
                              ": a bracketed run is one field, extracted without its brackets (" +
                              inner + "), so ";
      std::string message =
          leaf.op == CompareOp::kEq
              ? "`" + test + "` never matches" + why +
                    "this compares only with a field that holds the brackets inside double "
                    "quotes (\"" +
                    v.text + "\")."
              : "`" + test + "` holds for" + why +
                    "this excludes only a field that holds the brackets inside double quotes "
                    "(\"" +
                    v.text + "\").";
      const std::size_t end = ValueEnd(src, v);
      add(LintSeverity::kWarning, "bracketed-value", message,
          src.substr(0, v.offset) + ValueLiteral(inner, v.quoted) + src.substr(end));
    });
  }
}

}  // namespace

const char* LintSeverityName(LintSeverity severity) {
  switch (severity) {
    case LintSeverity::kError:
      return "error";
    case LintSeverity::kWarning:
      return "warning";
    case LintSeverity::kNote:
      return "note";
  }
  return "note";
}

Result<std::vector<FilterSource>> ReadFilterSources(std::string_view json,
                                                    const std::string& origin) {
  simdjson::dom::parser parser;
  simdjson::padded_string padded(json);
  simdjson::dom::element root;
  if (auto error = parser.parse(padded).get(root)) {
    return MakeError(ErrorCode::kInvalidInput,
                     origin + ": not JSON (" + simdjson::error_message(error) + ")");
  }
  simdjson::dom::array filters;
  if (root["metricFilters"].get_array().get(filters)) {
    return MakeError(ErrorCode::kInvalidInput,
                     origin +
                         ": no \"metricFilters\" array (lint reads the output of 'aws logs "
                         "describe-metric-filters')");
  }
  std::vector<FilterSource> out;
  for (simdjson::dom::element item : filters) {
    FilterSource source;
    source.origin = origin;
    std::string_view text;
    if (!item["filterName"].get_string().get(text)) source.name = std::string(text);
    if (!item["filterPattern"].get_string().get(text)) source.pattern = std::string(text);
    if (source.name.empty()) source.name = "(filter " + std::to_string(out.size() + 1) + ")";
    out.push_back(std::move(source));
  }
  return out;
}

bool UsuallyAbsentField(const Selector& selector) {
  static const char* const kPrefixes[] = {"$.errorCode",
                                          "$.errorMessage",
                                          "$.additionalEventData",
                                          "$.requestParameters",
                                          "$.responseElements",
                                          "$.serviceEventDetails",
                                          "$.resources",
                                          "$.userIdentity.invokedBy",
                                          "$.userIdentity.sessionContext",
                                          "$.userIdentity.userName",
                                          "$.vpcEndpointId",
                                          "$.apiVersion",
                                          "$.sharedEventID",
                                          "$.insightDetails",
                                          "$.addendum",
                                          "$.edgeDeviceDetails"};
  const std::string text = selector.ToString();
  for (const char* prefix : kPrefixes) {
    const std::string_view p(prefix);
    if (text.compare(0, p.size(), p) == 0 &&
        (text.size() == p.size() || text[p.size()] == '.' || text[p.size()] == '[')) {
      return true;
    }
  }
  return false;
}

std::vector<std::string> TopLevelClauseTexts(const Pattern& pattern) {
  if (pattern.kind != PatternKind::kJson || !pattern.condition ||
      pattern.condition->kind != ExprKind::kOr) {
    return {};
  }
  const std::string_view src = pattern.source;
  const std::size_t open = src.find('{');
  const std::size_t close = src.rfind('}');
  if (open == std::string_view::npos || close == std::string_view::npos || close <= open) {
    return {};
  }
  const auto& children = pattern.condition->children;
  // The `||` before each clause but the first: back from the clause's leftmost leaf over
  // blanks and the clause's own opening parentheses.
  std::vector<std::size_t> starts{open + 1}, ends;
  for (std::size_t i = 1; i < children.size(); ++i) {
    std::size_t p = children[i].offset;
    while (p > open + 1 && (IsBlank(src[p - 1]) || src[p - 1] == '(')) --p;
    if (p < open + 3 || src.substr(p - 2, 2) != "||") return {};
    ends.push_back(p - 2);
    starts.push_back(p);
  }
  ends.push_back(close);
  std::vector<std::string> out;
  for (std::size_t i = 0; i < children.size(); ++i) {
    out.push_back(TrimUnbalanced(Trim(src.substr(starts[i], ends[i] - starts[i]))));
  }
  return out;
}

struct FilterLinter::State {
  Pattern pattern;
  std::unique_ptr<SelectorPlan> plan = std::make_unique<SelectorPlan>();
  std::unique_ptr<CompiledPattern> whole;

  struct Clause {
    std::string text;
    std::unique_ptr<CompiledPattern> compiled;
    bool exclusion = false;  // a lone `!=` comparison
    std::uint64_t hits = 0;
  };
  std::vector<Clause> clauses;
  std::string and_form;  // the suggested `&&` form, when the `||` holds exclusions
  std::unique_ptr<CompiledPattern> and_form_compiled;
  std::uint64_t and_form_hits = 0;

  struct NotEqual {
    const Expr* leaf = nullptr;
    std::uint32_t plan_id = 0;
    std::unique_ptr<CompiledPattern> context;  // the `&&` siblings, when there are
    std::uint64_t context_events = 0;
    std::uint64_t present = 0;
  };
  std::vector<NotEqual> not_equal;

  struct Literal {
    const Expr* leaf = nullptr;
    std::uint32_t plan_id = 0;
  };
  std::vector<Literal> literals;
  std::map<std::uint32_t, std::map<std::string, std::uint64_t>> values;  // plan id -> counts

  std::unique_ptr<EventContext> context;
  bool has_history = false;
  std::uint64_t matches = 0, events = 0;
  std::uint64_t observed_matches = 0, observed_stored = 0;
};

FilterLinter::FilterLinter(std::string name, std::string pattern_text)
    : name_(std::move(name)), pattern_text_(std::move(pattern_text)) {
  auto parsed = pattern::ParsePattern(pattern_text_);
  if (!parsed) {
    error_ = parsed.error();
    return;
  }
  state_ = std::make_unique<State>();
  State& s = *state_;
  s.pattern = std::move(*parsed);
  s.whole = std::make_unique<CompiledPattern>(s.pattern, *s.plan);
  if (s.pattern.kind == PatternKind::kJson && s.pattern.condition) {
    const Pattern& p = s.pattern;
    // Top-level clauses.
    const auto texts = TopLevelClauseTexts(p);
    if (!texts.empty()) {
      for (std::size_t i = 0; i < texts.size(); ++i) {
        const Expr& child = p.condition->children[i];
        State::Clause clause;
        clause.text = texts[i];
        clause.compiled = std::make_unique<CompiledPattern>(WithCondition(p, child), *s.plan);
        clause.exclusion = child.kind == ExprKind::kCompare && child.op == CompareOp::kNe;
        s.clauses.push_back(std::move(clause));
      }
      std::vector<std::string> wanted, excluded;
      for (const auto& c : s.clauses) (c.exclusion ? excluded : wanted).push_back(c.text);
      if (!wanted.empty() && !excluded.empty()) {
        std::string form = "{ ";
        if (wanted.size() > 1) form += "(";
        for (std::size_t i = 0; i < wanted.size(); ++i) form += (i > 0 ? " || " : "") + wanted[i];
        if (wanted.size() > 1) form += ")";
        for (const auto& e : excluded) form += " && " + e;
        form += " }";
        auto reparsed = pattern::ParsePattern(form);
        if (reparsed) {
          s.and_form = form;
          s.and_form_compiled = std::make_unique<CompiledPattern>(std::move(*reparsed), *s.plan);
        }
      }
    }
    // Leaves: `!=` without NOT EXISTS on the same field, and string literals.
    std::set<std::uint32_t> guarded;
    std::vector<const Expr*> ancestors;
    VisitLeaves(*p.condition, ancestors, [&](const Expr& leaf, const std::vector<const Expr*>&) {
      if (leaf.kind == ExprKind::kNotExists) guarded.insert(leaf.operand);
    });
    VisitLeaves(*p.condition, ancestors, [&](const Expr& leaf, const std::vector<const Expr*>& up) {
      if (leaf.kind != ExprKind::kCompare) return;
      const std::uint32_t id = s.whole->plan_id(leaf.operand);
      if (leaf.value.kind == Value::Kind::kString &&
          (leaf.op == CompareOp::kEq || leaf.op == CompareOp::kNe)) {
        s.literals.push_back({&leaf, id});
        s.values[id];
      }
      if (leaf.op != CompareOp::kNe || guarded.count(leaf.operand) > 0) return;
      State::NotEqual check;
      check.leaf = &leaf;
      check.plan_id = id;
      // The nearest enclosing `&&`: its other children must hold too.
      for (std::size_t a = up.size(); a-- > 0;) {
        if (up[a]->kind != ExprKind::kAnd) continue;
        const Expr* within = a + 1 < up.size() ? up[a + 1] : &leaf;
        Expr siblings;
        siblings.kind = ExprKind::kAnd;
        for (const Expr& child : up[a]->children) {
          if (&child != within) siblings.children.push_back(child);
        }
        Expr condition = siblings.children.size() == 1 ? siblings.children[0] : std::move(siblings);
        check.context = std::make_unique<CompiledPattern>(WithCondition(p, condition), *s.plan);
        break;
      }
      s.not_equal.push_back(std::move(check));
    });
  }
  s.context = std::make_unique<EventContext>(s.plan.get());
}

FilterLinter::~FilterLinter() = default;
FilterLinter::FilterLinter(FilterLinter&&) noexcept = default;
FilterLinter& FilterLinter::operator=(FilterLinter&&) noexcept = default;

bool FilterLinter::valid() const { return state_ != nullptr; }

void FilterLinter::SetCounts(std::uint64_t matches, std::uint64_t events) {
  if (!state_) return;
  state_->has_history = true;
  state_->matches = matches;
  state_->events = events;
}

void FilterLinter::ObserveMatch(std::string_view raw_event) {
  if (!state_ || state_->clauses.empty()) return;
  State& s = *state_;
  s.context->Reset(raw_event);
  ++s.observed_matches;
  for (auto& clause : s.clauses) {
    if (clause.compiled->Matches(*s.context)) ++clause.hits;
  }
  if (s.and_form_compiled && s.and_form_compiled->Matches(*s.context)) ++s.and_form_hits;
}

void FilterLinter::ObserveStored(std::string_view raw_event) {
  if (!state_ || (state_->literals.empty() && state_->not_equal.empty())) return;
  State& s = *state_;
  s.context->Reset(raw_event);
  if (!s.context->IsJsonObject()) return;
  ++s.observed_stored;
  for (auto& [id, counts] : s.values) {
    for (const auto& v : s.context->Values(id)) {
      if (v.kind != pattern::JsonKind::kString && v.kind != pattern::JsonKind::kNumber) continue;
      auto it = counts.find(std::string(v.text));
      if (it != counts.end()) {
        ++it->second;
      } else if (counts.size() < kMaxDistinctValues) {
        counts.emplace(std::string(v.text), 1);
      }
    }
  }
  for (auto& check : s.not_equal) {
    if (check.context && !check.context->Matches(*s.context)) continue;
    ++check.context_events;
    if (!s.context->Values(check.plan_id).empty()) ++check.present;
  }
}

FilterLintReport FilterLinter::Finish() const {
  FilterLintReport report;
  report.name = name_;
  report.pattern = pattern_text_;
  if (!state_) {
    report.findings.push_back(
        {LintSeverity::kError, "syntax", error_ ? error_->message : "invalid pattern", ""});
    return report;
  }
  const State& s = *state_;
  report.valid = true;
  report.has_history = s.has_history;
  report.matches = s.matches;
  report.events = s.events;
  const std::string& src = pattern_text_;
  auto add = [&](LintSeverity severity, std::string check, std::string message,
                 std::string suggestion = {}) {
    if (!suggestion.empty() && !Parses(suggestion)) suggestion.clear();
    report.findings.push_back(
        {severity, std::move(check), std::move(message), std::move(suggestion)});
  };
  // Static checks: what the pattern can match at all.
  const AddFinding add_static = [&](LintSeverity severity, std::string check, std::string message,
                                    std::string suggestion) {
    add(severity, std::move(check), std::move(message), std::move(suggestion));
  };
  CheckContradictions(s.pattern, add_static);
  CheckTerms(s.pattern, add_static);
  CheckBracketedValues(s.pattern, add_static);

  // Counts over the stored matches are exact when every match was observed.
  const bool all_matches_seen = s.has_history && s.observed_matches == s.matches;

  // matches-most-events, and its static cousin.
  std::vector<const State::Clause*> exclusions;
  for (const auto& c : s.clauses) {
    if (c.exclusion) exclusions.push_back(&c);
  }
  std::string v12_form;
  {
    std::vector<std::string> wanted;
    for (const auto& c : s.clauses) {
      if (!c.exclusion) wanted.push_back(c.text);
    }
    if (!wanted.empty() && !exclusions.empty()) {
      v12_form = "{ ";
      for (std::size_t i = 0; i < wanted.size(); ++i) v12_form += (i > 0 ? " || " : "") + wanted[i];
      v12_form += " }";
    }
  }
  const bool most =
      s.has_history && s.events > 0 &&
      static_cast<double>(s.matches) > kMostEventsShare * static_cast<double>(s.events);
  if (most) {
    std::string message = "matches " + Percent(s.matches, s.events) + " of all counted events (" +
                          Grouped(s.matches) + " of " + Grouped(s.events) + ")";
    if (!exclusions.empty()) {
      message +=
          ": its top-level `||` holds `!=` clauses, and under `||` one true clause is enough, so "
          "each matches every event whose field holds anything else";
      if (all_matches_seen) {
        for (std::size_t i = 0; i < exclusions.size(); ++i) {
          message += std::string(i == 0 ? " (" : "; ") + "`" + exclusions[i]->text +
                     "` alone: " + Grouped(exclusions[i]->hits) + " events, " +
                     Percent(exclusions[i]->hits, s.events);
        }
        message += ")";
      }
      message +=
          ". The CIS AWS Foundations v1.3-1.5 unauthorized-calls pattern has this flaw. If the "
          "`!=` clauses are meant as exclusions, they belong under `&&`";
      if (!s.and_form.empty() && all_matches_seen) {
        message += " (suggested: it would have matched " + Grouped(s.and_form_hits) +
                   (s.and_form_hits == 1 ? " event, " : " events, ") +
                   Percent(s.and_form_hits, s.events) + ")";
      }
      if (!v12_form.empty()) {
        message += "; or drop them: " + v12_form + " (for the CIS pattern, its v1.2 form)";
      }
      add(LintSeverity::kWarning, "matches-most-events", message + ".", s.and_form);
    } else {
      add(LintSeverity::kWarning, "matches-most-events",
          message + ": an alarm on it fires on ordinary traffic; check the pattern's intent.");
    }
  } else if (!s.has_history && !exclusions.empty()) {
    std::string message = "the top-level `||` holds `!=` clauses (";
    for (std::size_t i = 0; i < exclusions.size(); ++i) {
      message += (i > 0 ? ", `" : "`") + exclusions[i]->text + "`";
    }
    message +=
        "): under `||` one true clause is enough, so the filter matches every event whose field "
        "holds anything else, which is almost every event (the flaw of the CIS AWS Foundations "
        "v1.3-1.5 unauthorized-calls pattern). If they are meant as exclusions, put them under "
        "`&&`";
    if (!v12_form.empty()) {
      message += "; or drop them: " + v12_form + " (for the CIS pattern, its v1.2 form)";
    }
    add(LintSeverity::kWarning, "ne-under-or", message + ".", s.and_form);
  }

  // no-matches / clause-never-matched.
  if (s.has_history && s.matches == 0) {
    add(LintSeverity::kNote, "no-matches",
        "matched no event in the scanned history (" + Grouped(s.events) + " events).");
  } else if (all_matches_seen && s.observed_matches > 0) {
    std::vector<std::string> never;
    for (std::size_t i = 0; i < s.clauses.size(); ++i) {
      if (s.clauses[i].hits == 0) {
        never.push_back("clause " + std::to_string(i + 1) + " `" + s.clauses[i].text + "`");
      }
    }
    if (!never.empty()) {
      std::string message =
          std::to_string(never.size()) + " of the " + std::to_string(s.clauses.size()) +
          " clauses of the top-level `||` never matched in the history (the filter's " +
          Grouped(s.observed_matches) + (s.observed_matches == 1 ? " match" : " matches") +
          " all came from the other clauses): ";
      for (std::size_t i = 0; i < never.size(); ++i) message += (i > 0 ? ", " : "") + never[i];
      add(LintSeverity::kNote, "clause-never-matched",
          message + ". Expected for rare events; a typo would look the same.");
    }
  }

  // ne-absent-field. Under an `&&`, presence is measured on the stored events that satisfy
  // the rest of it, and only a measured majority of absences is reported (with the NOT
  // EXISTS form). A `!=` with no `&&` around it is at most a note, without a rewrite: adding
  // NOT EXISTS would make it match every event without the field, the opposite of a filter
  // such as `{ $.errorMessage != "" }`, which means "present and different".
  for (const auto& check : s.not_equal) {
    const Expr& leaf = *check.leaf;
    const Selector& selector = s.pattern.selectors[leaf.operand];
    const std::string field = selector.ToString();
    const std::size_t end = ValueEnd(src, leaf.value);
    const std::string leaf_text = src.substr(leaf.offset, end - leaf.offset);
    const std::string semantics =
        "under AWS semantics a comparison on an absent field is false, `!=` included (spec "
        "A.3), so `" +
        leaf_text + "` does not match events without " + field.substr(2);
    std::string measured;
    if (check.context_events > 0) {
      const std::uint64_t absent = check.context_events - check.present;
      if (static_cast<double>(absent) < 0.5 * static_cast<double>(check.context_events)) continue;
      measured = field + " is absent from " + Grouped(absent) + " of the " +
                 Grouped(check.context_events) + " stored events" +
                 (check.context ? " that satisfy the rest of its `&&`" : "") + " (" +
                 Percent(absent, check.context_events) + ")";
    } else if (!check.context && UsuallyAbsentField(selector)) {
      measured = field + " is absent from most CloudTrail records";
    } else {
      continue;  // nothing measured, and an `&&` may well imply the field
    }
    if (check.context) {
      add(LintSeverity::kWarning, "ne-absent-field",
          measured + ": " + semantics + ". If those events are meant, write (" + field +
              " NOT EXISTS || " + leaf_text + ").",
          src.substr(0, leaf.offset) + "(" + field + " NOT EXISTS || " + leaf_text + ")" +
              src.substr(end));
    } else {
      add(LintSeverity::kNote, "ne-absent-field",
          measured + ": " + semantics +
              ", which for a `!=` that no `&&` narrows is usually the point (present and "
              "different); adding NOT EXISTS would match every event without the field.",
          "");
    }
  }

  // case-mismatch.
  std::set<std::pair<std::uint32_t, std::string>> reported;
  for (const auto& literal : s.literals) {
    const Value& value = literal.leaf->value;
    const auto found = s.values.find(literal.plan_id);
    if (found == s.values.end() || found->second.empty()) continue;
    const auto& counts = found->second;
    bool exact = false;
    std::vector<std::pair<std::string, std::uint64_t>> variants;
    Value folded = value;
    folded.text = Lower(value.text);
    for (const auto& [text, count] : counts) {
      if (pattern::ValueTextMatches(value, text)) {
        exact = true;
        break;
      }
      if (pattern::ValueTextMatches(folded, Lower(text))) variants.emplace_back(text, count);
    }
    if (exact || variants.empty()) continue;
    if (!reported.insert({literal.plan_id, value.text}).second) continue;
    std::sort(variants.begin(), variants.end(),
              [](const auto& a, const auto& b) { return a.second > b.second; });
    const std::string field = s.pattern.selectors[literal.leaf->operand].ToString();
    std::string message = "`" + value.text + "` matches no stored value of " + field +
                          ", but differs only by case from ";
    for (std::size_t i = 0; i < variants.size() && i < 5; ++i) {
      message += (i > 0 ? ", `" : "`") + variants[i].first + "` (" + Grouped(variants[i].second) +
                 (variants[i].second == 1 ? " event)" : " events)");
    }
    if (variants.size() > 5) message += ", ...";
    message += ": values compare case-sensitively";
    std::string suggestion;
    if (!value.glob) {
      const std::size_t end = ValueEnd(src, value);
      suggestion = src.substr(0, value.offset) + ValueLiteral(variants[0].first, value.quoted) +
                   src.substr(end);
    }
    add(LintSeverity::kWarning, "case-mismatch",
        message + " (among the " + Grouped(s.observed_stored) +
            " stored events, which are those some filter of the scan matched).",
        suggestion);
  }
  return report;
}

}  // namespace trailreplay::rules

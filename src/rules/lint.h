// Lint of metric filter patterns: what a filter will really match, checked statically and, when
// a scanned database is at hand, against the history it holds. The CLI (`trailreplay lint`)
// reads the filters and the database and prints; this file decides.
//
// Per filter (one FilterLinter each):
//   syntax                the pattern is parsed with AWS's grammar and limits; an invalid one
//                         is an error carrying the parser's offset, and nothing else is checked;
//   contradictory         the pattern, or a clause of its top-level `||`, can never match
//                         (rules/contradiction.h decides, and claims only what it proves);
//   bracketed-value       a space-delimited comparison with a value in brackets
//                         (`[level="[ERROR]", ...]`): CloudWatch extracts a bracketed field
//                         without its brackets, so `=` never matches a log line holding
//                         [ERROR] (only the quoted field "[ERROR]"), and `!=` always does;
//   optional-terms-ignored `?` terms beside required or excluded ones, which CloudWatch
//                         ignores (the suggestion is the equivalent pattern without them);
//   boolean-word-term     a bare OR, AND or NOT in a term pattern, which is a term to find;
//   matches-most-events   it matched more than half of all counted events (SetCounts). When its
//                         top-level `||` holds `!=` clauses (the CIS v1.3-1.5 unauthorized-calls
//                         pattern), one such clause alone matches almost everything; the
//                         suggestion moves them under `&&` (exact count of what it would match:
//                         it matches a subset of the original's stored matches);
//   clause-never-matched  (note) clauses of the top-level `||` that matched none of the
//                         filter's stored matches (ObserveMatch): since every match satisfied
//                         some clause, they never matched anything in the history (normal for
//                         rare events, so a note; a case typo is a warning of its own);
//   ne-absent-field       `$.f != v` with no `$.f NOT EXISTS` in the pattern, on a field absent
//                         from most events: under AWS semantics (spec A.3) a comparison on an
//                         absent field is false, `!=` included. Under an `&&`, presence is
//                         measured over the stored events (ObserveStored) that satisfy the
//                         `&&` siblings of the comparison (so `$.eventName = ConsoleLogin &&
//                         $.additionalEventData.MFAUsed != Yes` measures ConsoleLogin events
//                         only) and a measured majority of absences is a warning with the NOT
//                         EXISTS form; with nothing measured, nothing is said. A `!=` that no
//                         `&&` narrows (`{ $.errorMessage != "" }`) means "present and
//                         different": when the field is absent from most stored events, or
//                         (no history) is one CloudTrail usually omits, a note, never the
//                         NOT EXISTS rewrite, which would match nearly every event;
//   case-mismatch         a string literal compared with `=`/`!=` that equals no stored value of
//                         its field but equals some case-insensitively (`Stoplogging` while the
//                         data has `StopLogging`): matching is case-sensitive;
//   no-matches            (note) it matched no event in the history.
// Suggestions are whole corrected patterns, re-parsed before they are offered.
//
// The stored events are only those that matched some filter of the scan (the events table
// keeps nothing else), so ObserveStored sees a sample biased towards matches; a scan with the
// `cis` pack, whose v1.4 pattern matches nearly every event, stores nearly all of them.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "pattern/ast.h"
#include "pattern/compiled.h"

namespace trailreplay::rules {

enum class LintSeverity { kError, kWarning, kNote };
const char* LintSeverityName(LintSeverity severity);

struct LintFinding {
  LintSeverity severity = LintSeverity::kWarning;
  std::string check;  // syntax, matches-most-events, clause-never-matched, ne-absent-field, ...
  std::string message;
  std::string suggestion;  // a corrected pattern, or empty
};

// A filter as lint reads it: name and pattern text, not yet validated.
struct FilterSource {
  std::string name;
  std::string pattern;
  std::string origin;
};

// The filters of a describe-metric-filters document, patterns unchecked (so one bad pattern
// does not hide the others). Errors: not JSON, or no `metricFilters` array.
Result<std::vector<FilterSource>> ReadFilterSources(std::string_view json,
                                                    const std::string& origin);

// Share of all events above which a filter "matches most events".
inline constexpr double kMostEventsShare = 0.5;

struct FilterLintReport {
  std::string name;
  std::string pattern;
  bool valid = false;
  bool has_history = false;  // SetCounts was called
  std::uint64_t matches = 0;
  std::uint64_t events = 0;
  std::vector<LintFinding> findings;
};

class FilterLinter {
 public:
  FilterLinter(std::string name, std::string pattern_text);
  ~FilterLinter();
  FilterLinter(FilterLinter&&) noexcept;
  FilterLinter& operator=(FilterLinter&&) noexcept;

  bool valid() const;
  // The parse error of an invalid pattern (offset into the pattern text).
  const std::optional<Error>& error() const { return error_; }

  // History of this very filter in a scanned database: its matches and all counted events.
  void SetCounts(std::uint64_t matches, std::uint64_t events);
  // Each stored event (raw JSON) the filter matched.
  void ObserveMatch(std::string_view raw_event);
  // Each stored event, whichever filter it matched.
  void ObserveStored(std::string_view raw_event);

  FilterLintReport Finish() const;

 private:
  struct State;
  std::string name_;
  std::string pattern_text_;
  std::optional<Error> error_;
  std::unique_ptr<State> state_;
};

// Fields CloudTrail leaves out of most records (errorCode, requestParameters.*, ...).
bool UsuallyAbsentField(const pattern::Selector& selector);

// The source text of each clause of a JSON pattern's top-level `||` (outer parentheses that
// belong to the whole expression removed); empty when the top level is not an `||`.
std::vector<std::string> TopLevelClauseTexts(const pattern::Pattern& pattern);

}  // namespace trailreplay::rules

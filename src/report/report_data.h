// What the report shows, gathered once from a scanned database and rendered two ways: the HTML
// page (html_report.h) and `report --format json` (ReportJson), so the two can never disagree.
//
//   alarms       every alarm of the database's rules replayed in memory over the whole scanned
//                history, firing alarms first (most episodes, then most time in ALARM, then
//                name); then replays stored in the database with a window or settings of their
//                own, labelled as such (see html_report.h)
//   per alarm    episodes (the first max_episodes_per_alarm, each with its first
//                max_events_per_episode events and how many there are), 300-second sums,
//                the tuning curve, the top contributors, the filter's matches and share of all
//                events, the lint findings that say the pattern misleads, and whether the
//                filter is a historical benchmark text
//   provenance   scans, inputs by kind and status, duplicates, bad input (first 100), imports,
//                and the replays shown with their windows. Paths are shown relative to the
//                inputs' common directory, so a report shared outside never carries the layout
//                of the machine that scanned.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "alarm/alarm.h"
#include "common/result.h"
#include "replay/contributors.h"
#include "rules/lint.h"
#include "rules/rules.h"
#include "store/imports.h"

namespace trailreplay::report {

struct ReportOptions {
  std::string db_path;
  rules::RuleSet rules;  // the database's own (what it was scanned with)
  std::string title = "trailreplay report";
  std::size_t max_events_per_episode = 50;
  std::size_t max_episodes_per_alarm = 200;
  std::size_t max_errors = 100;
  std::size_t top_contributors = 5;
};

struct EventRow {
  std::int64_t time = 0;
  std::string event_name, error_code, principal, source_ip;
};

struct EpisodeRow {
  std::int64_t start = 0;
  std::optional<std::int64_t> end;  // nullopt: still in ALARM when the history ends
  std::optional<double> peak;
  std::uint64_t events = 0;      // matching events in the datapoints that decided it
  std::vector<EventRow> listed;  // the first of them
  std::string events_sql;        // a `trailreplay sql` statement that lists all of them
};

enum class AlarmKind { kMetric, kMath, kComposite };

struct AlarmSection {
  std::string name;
  // A metric-math alarm has its expression and episodes, no one series to draw, list events
  // of or tune here (`tune` does it); a composite alarm its rule and episodes.
  AlarmKind kind = AlarmKind::kMetric;
  std::string expression;  // the returned expression (math), or the AlarmRule (composite)
  std::string anchor;      // the HTML id of its section
  alarm::AlarmSpec spec;
  std::int64_t series_id = 0;
  std::int64_t from = 0, to = 0;
  bool stored = false;   // a stored replay with its own window or settings
  std::string settings;  // a stored replay's window and settings, in words
  std::vector<EpisodeRow> episodes;
  std::size_t episodes_total = 0;
  std::int64_t seconds_in_alarm = 0;
  std::map<std::int64_t, double> buckets;             // 300-second sums of its samples
  std::vector<std::pair<double, std::size_t>> curve;  // threshold -> ALARM episodes
  std::uint64_t matches = 0;                          // stored matching events of its series
  std::vector<replay::Breakdown> contributors;        // principal, source IP, event name
  std::string filter_name, pattern;
  std::string variant;                       // rules::PackFilterVariant
  std::vector<rules::LintFinding> findings;  // errors and warnings only
};

struct InputGroup {
  std::string kind, status;
  std::int64_t inputs = 0, records = 0, events = 0, duplicates = 0;
};
struct ErrorRow {
  std::string path, member, message;
  std::optional<std::int64_t> offset, record;
};
struct ScanRow {
  std::string started, finished, version, status, options;  // options with paths made relative
};
struct ReplayShown {
  std::string alarm, window;
  bool stored = false;
};

struct ReportData {
  std::string title;
  std::string db_name;  // the database's file name, for the `sql` hints
  std::int64_t events = 0, inputs = 0, duplicates = 0;
  std::optional<std::int64_t> first_minute, last_minute;
  std::vector<store::ImportRecord> imports;
  std::vector<AlarmSection> alarms;
  std::size_t whole_history = 0;  // alarms[0, whole_history) cover the whole history
  std::vector<std::pair<std::string, std::string>> not_replayed;  // alarm, why
  std::vector<ReplayShown> replays;
  std::vector<ScanRow> scans;
  std::vector<InputGroup> inputs_by_kind;
  std::vector<ErrorRow> errors;  // the first options.max_errors
  std::int64_t errors_total = 0;
  std::string errors_sql;
  std::string integrity_html;  // the integrity section, empty when never verified
  std::string integrity_json;  // the latest verification as JSON, "null" when never verified
};

Result<ReportData> BuildReportData(const ReportOptions& options);

// The report's data as one JSON document (ends with a newline).
std::string ReportJson(const ReportData& data);

// `text` as one word of a POSIX shell command line: as it is when it needs no quoting, else in
// single quotes.
std::string ShellWord(const std::string& text);

// `path` as the report shows it: relative to `root` ("…/" stands for it) when under it.
std::string DisplayPath(const std::string& path, const std::string& root);

}  // namespace trailreplay::report

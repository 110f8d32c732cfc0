#include "report/html_report.h"

#include <simdjson.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <vector>

#include "alarm/alarm.h"
#include "common/text_format.h"
#include "common/time.h"
#include "replay/contributors.h"
#include "replay/replay.h"
#include "report/integrity_section.h"
#include "rules/rules.h"
#include "store/database.h"
#include "store/imports.h"

namespace trailreplay::report {

std::string EscapeHtml(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

namespace {

constexpr const char* kStyle = R"(
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: #1d2330;
       margin: 0; background: #f5f6f8; }
header { background: #1d2330; color: #fff; padding: 18px 32px; }
header h1 { margin: 0; font-size: 22px; }
header p { margin: 4px 0 0; color: #b9c0cc; }
main { padding: 8px 32px 32px; max-width: 1200px; }
section { background: #fff; border: 1px solid #dde1e7; border-radius: 6px; padding: 16px 20px;
          margin: 20px 0; }
h2 { font-size: 18px; margin: 0 0 4px; }
h3 { font-size: 15px; margin: 18px 0 6px; }
p.definition { color: #4a5263; margin: 0 0 10px; }
table { border-collapse: collapse; margin: 6px 0; }
th, td { text-align: left; padding: 3px 10px 3px 0; border-bottom: 1px solid #eceff3;
         vertical-align: top; }
th { color: #4a5263; font-weight: 600; }
td.num, th.num { text-align: right; }
details { margin: 2px 0; }
summary { cursor: pointer; }
.events td { font-size: 12px; color: #333a48; }
.badge { display: inline-block; padding: 1px 8px; border-radius: 10px; font-size: 12px;
         background: #fde2e1; color: #a4161a; }
.badge.stored { background: #e4e9f7; color: #2a3f7a; }
p.stored { background: #eef1fa; border-left: 4px solid #2a3f7a; padding: 6px 10px; }
.quiet { color: #6b7385; }
.grid { display: flex; flex-wrap: wrap; gap: 28px; }
svg text { font: 11px system-ui, sans-serif; fill: #4a5263; }
)";

std::string Number(double value) {
  char buffer[64];
  if (std::fabs(value - std::round(value)) < 1e-9 && std::fabs(value) < 1e15) {
    std::snprintf(buffer, sizeof buffer, "%.0f", value);
  } else {
    std::snprintf(buffer, sizeof buffer, "%.4g", value);
  }
  return buffer;
}

// Runs `sql` (with integer/text binds applied by `bind`) and calls `row` for each result row.
template <typename Bind, typename Row>
Result<void> ForEach(store::Database& db, std::string_view sql, Bind bind, Row row) {
  auto stmt = db.Prepare(sql);
  if (!stmt) return std::move(stmt).error();
  bind(*stmt);
  for (;;) {
    auto more = stmt->Step();
    if (!more) return std::move(more).error();
    if (!*more) break;
    row(*stmt);
  }
  return {};
}

struct Episode {
  std::int64_t start = 0;
  std::optional<std::int64_t> end;
  std::optional<double> peak;
  std::int64_t events = 0;
};

struct Alarm {
  std::string name;
  alarm::AlarmSpec spec;
  std::int64_t series_id = 0;
  std::int64_t from = 0, to = 0;
  std::vector<Episode> episodes;
};

// The alarm definition replay stored (MetricAlarm-shaped JSON).
std::optional<alarm::AlarmSpec> ParseDefinition(const std::string& json) {
  auto set = rules::ParseRulesDocument("{\"MetricAlarms\":[" + json + "]}", "replayed_alarms");
  if (!set || set->alarms.empty()) return std::nullopt;
  return set->alarms.front();
}

// Bars of the 300-second series, the threshold and the ALARM bands.
std::string TimelineSvg(const Alarm& a, const std::map<std::int64_t, double>& buckets) {
  constexpr double kWidth = 1100, kHeight = 220, kLeft = 48, kRight = 12, kTop = 12, kBottom = 28;
  const double span = static_cast<double>(std::max<std::int64_t>(a.to - a.from, 1));
  double top = a.spec.threshold;
  for (const auto& [t, v] : buckets) top = std::max(top, v);
  top = top <= 0 ? 1 : top * 1.1;
  auto x = [&](std::int64_t t) {
    return kLeft + (kWidth - kLeft - kRight) * static_cast<double>(t - a.from) / span;
  };
  auto y = [&](double v) { return kTop + (kHeight - kTop - kBottom) * (1 - v / top); };
  char buffer[256];
  std::string svg = "<svg xmlns='http://www.w3.org/2000/svg' width='" + Number(kWidth) +
                    "' height='" + Number(kHeight) + "' role='img' aria-label='" +
                    EscapeHtml(a.name) + " timeline'>";
  svg += "<rect x='0' y='0' width='100%' height='100%' fill='#ffffff'/>";
  for (const Episode& e : a.episodes) {
    const double x0 = x(e.start), x1 = x(e.end.value_or(a.to));
    std::snprintf(buffer, sizeof buffer,
                  "<rect x='%.1f' y='%.1f' width='%.1f' height='%.1f' fill='#f8c9c6' "
                  "opacity='0.8'><title>ALARM %s</title></rect>",
                  x0, kTop, std::max(1.0, x1 - x0), kHeight - kTop - kBottom,
                  FormatIsoTime(e.start).c_str());
    svg += buffer;
  }
  const double bar = std::max(1.0, (kWidth - kLeft - kRight) * kBucketSeconds / span);
  for (const auto& [t, v] : buckets) {
    if (t < a.from || t >= a.to) continue;
    std::snprintf(buffer, sizeof buffer,
                  "<rect x='%.1f' y='%.1f' width='%.1f' height='%.1f' fill='#2f6fbf'><title>%s: "
                  "%s</title></rect>",
                  x(t), y(v), bar, y(0) - y(v), FormatIsoTime(t).c_str(), Number(v).c_str());
    svg += buffer;
  }
  std::snprintf(buffer, sizeof buffer,
                "<line x1='%.1f' x2='%.1f' y1='%.1f' y2='%.1f' stroke='#d62828' "
                "stroke-width='1.5' stroke-dasharray='6 4'/>",
                kLeft, kWidth - kRight, y(a.spec.threshold), y(a.spec.threshold));
  svg += buffer;
  std::snprintf(buffer, sizeof buffer,
                "<line x1='%.1f' x2='%.1f' y1='%.1f' y2='%.1f' stroke='#9aa3b2'/>", kLeft,
                kWidth - kRight, y(0), y(0));
  svg += buffer;
  svg += "<text x='4' y='" + Number(y(top / 1.1) + 4) + "'>" + Number(top / 1.1) + "</text>";
  svg += "<text x='4' y='" + Number(y(a.spec.threshold) + 4) + "' fill='#d62828'>" +
         Number(a.spec.threshold) + "</text>";
  svg += "<text x='4' y='" + Number(y(0) + 4) + "'>0</text>";
  // Time ticks: about six, on whole hours.
  const std::int64_t step = std::max<std::int64_t>(3600, (a.to - a.from) / 6 / 3600 * 3600);
  for (std::int64_t t = FloorTo(a.from, 3600) + 3600; t < a.to; t += step) {
    std::snprintf(buffer, sizeof buffer,
                  "<line x1='%.1f' x2='%.1f' y1='%.1f' y2='%.1f' stroke='#c4cad4'/>"
                  "<text x='%.1f' y='%.1f' text-anchor='middle'>%s</text>",
                  x(t), x(t), y(0), y(0) + 4, x(t), kHeight - 10,
                  FormatIsoTime(t).substr(5, 11).c_str());
    svg += buffer;
  }
  return svg + "</svg>";
}

// Threshold against the number of ALARM episodes, each point one replay in memory.
std::string TuningSvg(const std::vector<std::pair<double, std::size_t>>& curve, double current) {
  constexpr double kWidth = 520, kHeight = 220, kLeft = 44, kRight = 12, kTop = 12, kBottom = 32;
  if (curve.empty()) return "";
  const double max_x = curve.back().first;
  std::size_t max_y = 1;
  for (const auto& [t, n] : curve) max_y = std::max(max_y, n);
  auto x = [&](double t) {
    return kLeft + (kWidth - kLeft - kRight) * (t - 1) / std::max(1.0, max_x - 1);
  };
  auto y = [&](double n) {
    return kTop + (kHeight - kTop - kBottom) * (1 - n / static_cast<double>(max_y));
  };
  char buffer[256];
  std::string svg = "<svg xmlns='http://www.w3.org/2000/svg' width='" + Number(kWidth) +
                    "' height='" + Number(kHeight) + "' role='img' aria-label='tuning curve'>";
  svg += "<rect x='0' y='0' width='100%' height='100%' fill='#ffffff'/>";
  std::string points;
  for (const auto& [t, n] : curve) {
    std::snprintf(buffer, sizeof buffer, "%.1f,%.1f ", x(t), y(static_cast<double>(n)));
    points += buffer;
  }
  svg += "<polyline points='" + points + "' fill='none' stroke='#2f6fbf' stroke-width='2'/>";
  for (const auto& [t, n] : curve) {
    std::snprintf(buffer, sizeof buffer,
                  "<circle cx='%.1f' cy='%.1f' r='%s' fill='%s'><title>threshold %s: %zu "
                  "episodes</title></circle>",
                  x(t), y(static_cast<double>(n)), t == current ? "5" : "3",
                  t == current ? "#d62828" : "#2f6fbf", Number(t).c_str(), n);
    svg += buffer;
  }
  svg += "<line x1='" + Number(kLeft) + "' x2='" + Number(kWidth - kRight) + "' y1='" +
         Number(y(0)) + "' y2='" + Number(y(0)) + "' stroke='#9aa3b2'/>";
  svg += "<text x='4' y='" + Number(y(static_cast<double>(max_y)) + 4) + "'>" +
         std::to_string(max_y) + "</text><text x='4' y='" + Number(y(0) + 4) + "'>0</text>";
  svg += "<text x='" + Number(kLeft) + "' y='" + Number(kHeight - 8) + "'>threshold 1</text>";
  svg += "<text x='" + Number(kWidth - kRight) + "' y='" + Number(kHeight - 8) +
         "' text-anchor='end'>" + Number(max_x) + "</text>";
  return svg + "</svg>";
}

}  // namespace

namespace {

// An alarm section's source: the whole-history replay in memory, or a replay stored in the
// database with its own window or settings.
struct Section {
  Alarm alarm;
  bool stored = false;
  std::string settings;  // a stored replay's window and settings, in words
};

// A stored replay's options (replays.options) in words, and whether they differ from a
// replay of the whole history with the alarm as defined. Older databases recorded no options
// ("{}"): their window is compared with the whole history's instead.
struct StoredOptions {
  std::string words;
  bool narrowed = false;
};
StoredOptions DescribeStoredOptions(const std::string& json, const Alarm& stored,
                                    const std::optional<replay::Range>& whole) {
  StoredOptions out;
  simdjson::dom::parser parser;
  simdjson::dom::object object;
  std::vector<std::string> window_flags, what_if;
  const bool recorded = !parser.parse(json).get_object().get(object) &&
                        object["from"].error() != simdjson::NO_SUCH_FIELD;
  if (recorded) {
    std::string_view text;
    if (!object["from"].get_string().get(text)) window_flags.push_back("--from");
    if (!object["to"].get_string().get(text)) window_flags.push_back("--to");
    simdjson::dom::object overrides;
    if (!object["overrides"].get_object().get(overrides)) {
      for (auto [key, value] : overrides) {
        std::string name(key);
        std::replace(name.begin(), name.end(), '_', ' ');
        std::string_view shown;
        what_if.push_back(
            name + " " +
            (value.get_string().get(shown) ? simdjson::minify(value) : std::string(shown)));
      }
    }
    std::int64_t range = 0;
    if (!object["evaluation_range"].get_int64().get(range)) {
      what_if.push_back("evaluation range " + std::to_string(range));
    }
    bool ignore = false;
    if (!object["ignore_creation_time"].get_bool().get(ignore) && ignore) {
      what_if.push_back("filter creation times ignored");
    }
  } else if (whole && (stored.from != whole->from || stored.to != whole->to)) {
    window_flags.push_back("another window");
  }
  out.narrowed = !window_flags.empty() || !what_if.empty();
  out.words = "window " + FormatIsoTime(stored.from) + " .. " + FormatIsoTime(stored.to);
  for (std::size_t i = 0; i < window_flags.size(); ++i) {
    out.words += (i == 0 ? " (narrowed: " : ", ") + window_flags[i];
  }
  if (!window_flags.empty()) out.words += ")";
  for (std::size_t i = 0; i < what_if.size(); ++i) {
    out.words += (i == 0 ? "; what-if: " : ", ") + what_if[i];
  }
  if (!recorded) out.words += "; options not recorded (an older trailreplay stored it)";
  return out;
}

}  // namespace

Result<std::string> BuildHtmlReport(const ReportOptions& options) {
  auto db = store::Database::Open(options.db_path, /*read_only=*/true);
  if (!db) return std::move(db).error();

  // Every alarm of the database's rules over the whole scanned history, replayed in memory,
  // whatever was replayed into the database before.
  std::vector<Section> sections;
  std::vector<std::pair<std::string, std::string>> left_out;  // alarm, why
  for (const auto& n : options.rules.not_replayable) left_out.emplace_back(n.alarm_name, n.reason);
  replay::ReplayOptions whole;
  whole.rules = options.rules;
  whole.rules.alarms.clear();
  for (const alarm::AlarmSpec& spec : options.rules.alarms) {
    auto reason = replay::UnscannedReason(*db, options.rules, spec);
    if (!reason) return std::move(reason).error();
    if (reason->empty()) {
      whole.rules.alarms.push_back(spec);
    } else {
      left_out.emplace_back(spec.name, *reason);
    }
  }
  std::optional<replay::Range> whole_range;
  auto has_events = db->QueryInt("SELECT count(*) FROM minute_totals");
  if (!has_events) return std::move(has_events).error();
  if (!whole.rules.alarms.empty() && *has_events > 0) {
    auto replayed = replay::ComputeReplay(*db, whole);
    if (!replayed) return std::move(replayed).error();
    whole_range = replay::Range{replayed->from, replayed->to};
    for (const replay::AlarmReplay& r : replayed->alarms) {
      Section section;
      section.alarm = Alarm{r.spec.name, r.spec, r.series_id, r.from, r.to, {}};
      for (const replay::Episode& e : r.episodes) {
        section.alarm.episodes.push_back(
            Episode{e.start, e.end, e.peak, static_cast<std::int64_t>(e.matched_events)});
      }
      sections.push_back(std::move(section));
    }
  }
  std::sort(sections.begin(), sections.end(),
            [](const Section& a, const Section& b) { return a.alarm.name < b.alarm.name; });
  const std::size_t whole_sections = sections.size();

  // Replays stored in the database that say something the sections above do not: another
  // window, what-if settings, or alarms outside the database's rules.
  struct StoredReplay {
    std::string name, window;
    bool shown = false;
  };
  std::vector<StoredReplay> stored_replays;
  auto ok = ForEach(
      *db,
      "SELECT a.alarm_name, a.definition, coalesce(a.series_id, 0), r.from_time, r.to_time, "
      "r.options FROM replayed_alarms AS a JOIN replays AS r USING (replay_id) "
      "ORDER BY a.alarm_name",
      [](store::Statement&) {},
      [&](store::Statement& s) {
        auto spec = ParseDefinition(s.ColumnText(1));
        if (!spec) return;
        Alarm stored{s.ColumnText(0), *spec, s.ColumnInt(2), s.ColumnInt(3), s.ColumnInt(4), {}};
        const StoredOptions described = DescribeStoredOptions(s.ColumnText(5), stored, whole_range);
        const bool covered =
            std::any_of(sections.begin(), sections.begin() + static_cast<long>(whole_sections),
                        [&](const Section& w) { return w.alarm.name == stored.name; });
        StoredReplay listed{stored.name, described.words, false};
        if (!covered || described.narrowed) {
          listed.shown = true;
          sections.push_back(Section{std::move(stored), true, described.words});
        }
        stored_replays.push_back(std::move(listed));
      });
  if (!ok) return std::move(ok).error();
  for (std::size_t i = whole_sections; i < sections.size(); ++i) {
    Alarm& a = sections[i].alarm;
    ok = ForEach(
        *db,
        "SELECT start_time, end_time, peak, matched_events FROM alarm_episode_rows "
        "WHERE alarm_name = ? ORDER BY start_time",
        [&](store::Statement& s) { s.Bind(1, std::string_view(a.name)); },
        [&](store::Statement& s) {
          Episode e;
          e.start = s.ColumnInt(0);
          if (!s.ColumnIsNull(1)) e.end = s.ColumnInt(1);
          if (!s.ColumnIsNull(2)) e.peak = s.ColumnDouble(2);
          e.events = s.ColumnInt(3);
          a.episodes.push_back(e);
        });
    if (!ok) return std::move(ok).error();
  }

  std::string html =
      "<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'>"
      "<meta name='viewport' content='width=device-width, initial-scale=1'>"
      "<title>" +
      EscapeHtml(options.title) + "</title><style>" + kStyle + "</style></head><body>\n";
  // Header: what was scanned.
  std::int64_t events = 0, inputs = 0, duplicates = 0, errors = 0;
  std::string span;
  ok = ForEach(
      *db,
      "SELECT (SELECT coalesce(sum(events), 0) FROM minute_totals), "
      "(SELECT count(*) FROM inputs WHERE kind != 'archive'), "
      "(SELECT coalesce(sum(duplicates), 0) FROM inputs), (SELECT count(*) FROM scan_errors), "
      "(SELECT min(minute) FROM minute_totals), (SELECT max(minute) FROM minute_totals)",
      [](store::Statement&) {},
      [&](store::Statement& s) {
        events = s.ColumnInt(0);
        inputs = s.ColumnInt(1);
        duplicates = s.ColumnInt(2);
        errors = s.ColumnInt(3);
        if (!s.ColumnIsNull(4)) {
          span = FormatIsoTime(s.ColumnInt(4)) + " .. " + FormatIsoTime(s.ColumnInt(5) + 59);
        }
      });
  if (!ok) return std::move(ok).error();
  // A database imported from a query result (import-samples) has samples and no events.
  auto imports = store::ListImports(*db);
  if (!imports) return std::move(imports).error();
  const std::string no_events =
      imports->empty()
          ? ""
          : "<p class='quiet'>" + EscapeHtml(store::NoEventsMessage(*imports)) + ".</p>";
  const std::size_t stored_shown = sections.size() - whole_sections;
  html += "<header><h1>" + EscapeHtml(options.title) + "</h1><p>" + std::to_string(events) +
          " CloudTrail events from " +
          (imports->empty() ? std::to_string(inputs) + " inputs"
                            : std::to_string(imports->size()) + " imported query result" +
                                  (imports->size() == 1 ? "" : "s")) +
          (span.empty() ? "" : ", " + span) + " &middot; " + std::to_string(whole_sections) +
          (whole_sections == 1 ? " alarm" : " alarms") + " replayed over the whole history" +
          (stored_shown == 0 ? ""
                             : " &middot; " + std::to_string(stored_shown) +
                                   (stored_shown == 1 ? " stored replay" : " stored replays") +
                                   " with their own window or settings, after them") +
          "</p></header><main>\n";

  if (sections.empty()) {
    html +=
        "<section><p>No alarm to replay: the database's rules hold none that can be "
        "replayed over it.</p></section>";
  }
  if (!left_out.empty()) {
    html += "<section><h2>Alarms not replayed</h2><table><tr><th>alarm</th><th>why</th></tr>";
    for (const auto& [name, why] : left_out) {
      html += "<tr><td>" + EscapeHtml(name) + "</td><td>" + EscapeHtml(why) + "</td></tr>";
    }
    html += "</table></section>";
  }
  for (std::size_t index = 0; index < sections.size(); ++index) {
    Section& section = sections[index];
    Alarm& a = section.alarm;
    if (index == whole_sections) {
      html +=
          "<section><h2>Stored replays</h2><p class='quiet'>Each section below is a replay "
          "stored in the database by <code>trailreplay replay</code> with a window or settings "
          "of its own (a narrowed window, a what-if, other rules). The sections above cover the "
          "whole scanned history with the alarms as defined.</p></section>";
    }
    // The 300-second series (Sum of the alarm's samples per bucket) and the per-minute
    // samples the tuning curve replays.
    std::map<std::int64_t, double> buckets;
    std::vector<alarm::MinuteSample> samples;
    ok = ForEach(
        *db,
        "SELECT minute, sample_count, sum, minimum, maximum FROM samples WHERE series_id = ? "
        "ORDER BY minute",
        [&](store::Statement& s) { s.Bind(1, a.series_id); },
        [&](store::Statement& s) {
          alarm::MinuteSample m;
          m.minute = s.ColumnInt(0);
          m.count = static_cast<std::uint64_t>(s.ColumnInt(1));
          m.sum = s.ColumnDouble(2);
          m.minimum = s.ColumnDouble(3);
          m.maximum = s.ColumnDouble(4);
          buckets[FloorTo(m.minute, kBucketSeconds)] += m.sum;
          samples.push_back(m);
        });
    if (!ok) return std::move(ok).error();

    std::int64_t in_alarm = 0;
    for (const Episode& e : a.episodes) in_alarm += e.end.value_or(a.to) - e.start;
    html += "<section><h2>" + EscapeHtml(a.name) + " <span class='badge'>" +
            std::to_string(a.episodes.size()) +
            (a.episodes.size() == 1 ? " episode" : " episodes") + " in ALARM, " +
            Duration(in_alarm) + "</span>" +
            (section.stored ? " <span class='badge stored'>stored replay</span>" : "") + "</h2>";
    if (section.stored) {
      html += "<p class='stored'>A replay stored in the database, not the whole history: " +
              EscapeHtml(section.settings) + ".</p>";
    }
    html += "<p class='definition'>" +
            EscapeHtml(alarm::StatisticName(a.spec.statistic, a.spec.percentile) + " of " +
                       a.spec.metric_namespace + "/" + a.spec.metric_name + " over " +
                       std::to_string(a.spec.period) + " s, " +
                       std::string(alarm::ComparisonName(a.spec.comparison)) + " " +
                       Number(a.spec.threshold) + ", " +
                       std::to_string(a.spec.datapoints_to_alarm) + " of " +
                       std::to_string(a.spec.evaluation_periods) + " datapoints, missing data: " +
                       std::string(alarm::MissingDataName(a.spec.treat_missing_data))) +
            "</p>";
    html += "<h3>Timeline: 300-second sums, threshold (dashed) and ALARM episodes (shaded), " +
            FormatIsoTime(a.from) + " .. " + FormatIsoTime(a.to) + "</h3>";
    html += TimelineSvg(a, buckets);

    // Episodes with their events.
    html += "<h3>Episodes</h3>";
    if (a.episodes.empty()) {
      html += "<p class='quiet'>The alarm never went to ALARM.</p>";
    } else {
      html +=
          "<table><tr><th>start</th><th>end</th><th class='num'>duration</th>"
          "<th class='num'>peak</th><th class='num'>events</th><th></th></tr>";
      const std::int64_t lookback =
          (a.spec.evaluation_periods + 2) * a.spec.period;  // the evaluation range
      std::size_t shown = 0;
      for (const Episode& e : a.episodes) {
        if (shown++ == options.max_episodes_per_alarm) {
          html += "<tr><td colspan='6' class='quiet'>" +
                  std::to_string(a.episodes.size() - options.max_episodes_per_alarm) +
                  " more episodes in the alarm_episodes view</td></tr>";
          break;
        }
        std::string rows;
        std::size_t listed = 0;
        ok = ForEach(
            *db,
            "SELECT e.event_time, e.event_name, e.error_code, e.principal_arn, e.source_ip "
            "FROM events AS e JOIN event_matches AS m USING (event_pk) "
            "WHERE m.series_id = ? AND e.stamp >= ? AND e.stamp < ? ORDER BY e.stamp, e.event_pk "
            "LIMIT ?",
            [&](store::Statement& s) {
              s.Bind(1, a.series_id)
                  .Bind(2, e.start - lookback)
                  .Bind(3, e.end.value_or(a.to))
                  .Bind(4, static_cast<std::int64_t>(options.max_events_per_episode));
            },
            [&](store::Statement& s) {
              ++listed;
              rows += "<tr><td>" + FormatIsoTime(s.ColumnInt(0)) + "</td><td>" +
                      EscapeHtml(s.ColumnText(1)) + "</td><td>" + EscapeHtml(s.ColumnText(2)) +
                      "</td><td>" + EscapeHtml(s.ColumnText(3)) + "</td><td>" +
                      EscapeHtml(s.ColumnText(4)) + "</td></tr>";
            });
        if (!ok) return std::move(ok).error();
        html += "<tr><td>" + FormatIsoTime(e.start) + "</td><td>" +
                (e.end ? FormatIsoTime(*e.end) : "(still in ALARM)") + "</td><td class='num'>" +
                Duration(e.end.value_or(a.to) - e.start) + "</td><td class='num'>" +
                (e.peak ? Number(*e.peak) : "-") + "</td><td class='num'>" +
                std::to_string(e.events) + "</td><td>";
        if (listed > 0) {
          html +=
              "<details><summary>events</summary><table class='events'><tr><th>time</th>"
              "<th>event</th><th>error</th><th>principal</th><th>source IP</th></tr>" +
              rows + "</table></details>";
        }
        html += "</td></tr>";
      }
      html += "</table>" + no_events;
    }

    if (section.stored) {
      html += "</section>\n";
      continue;
    }
    // Tuning curve and contributors side by side.
    html += "<div class='grid'><div><h3>Tuning: threshold against ALARM episodes</h3>";
    std::vector<std::pair<double, std::size_t>> curve;
    double max_peak = a.spec.threshold;
    for (const Episode& e : a.episodes) {
      if (e.peak) max_peak = std::max(max_peak, *e.peak);
    }
    for (const auto& [t, v] : buckets) max_peak = std::max(max_peak, v);
    const int steps = static_cast<int>(std::min(50.0, std::ceil(max_peak) + 1));
    for (int t = 1; t <= steps; ++t) {
      alarm::AlarmSpec variant = a.spec;
      variant.threshold = t;
      alarm::EvaluateOptions evaluate;
      evaluate.from = a.from;
      evaluate.to = a.to;
      const auto result = alarm::Evaluate(variant, samples, evaluate);
      std::size_t episodes = 0;
      for (const auto& tr : result.transitions) {
        if (tr.new_state == alarm::State::kAlarm) ++episodes;
      }
      curve.emplace_back(t, episodes);
    }
    html += TuningSvg(curve, a.spec.threshold) +
            "<p class='quiet'>Each point replays the alarm with that threshold; the red point "
            "is the alarm's own.</p></div>";

    html += "<div><h3>Top contributors</h3>" + no_events;
    // Named as `contributors` names them (an AWS service caller as "AWS service <host>").
    std::vector<replay::Breakdown> breakdowns;
    if (a.series_id != 0) {
      auto filter = replay::FilterForAlarm(*db, a.spec);
      if (!filter) return std::move(filter).error();
      auto matches = replay::LoadMatches(*db, filter->filter_id, a.series_id, {});
      if (!matches) return std::move(matches).error();
      breakdowns = replay::Contributors(*matches, 5);
    }
    for (const replay::Breakdown& b : breakdowns) {
      if (b.field != "principal" && b.field != "source IP" && b.field != "event name") continue;
      html += "<table><tr><th>" + EscapeHtml(b.field) + "</th><th class='num'>matches</th></tr>";
      for (const replay::Count& c : b.top) {
        html += "<tr><td>" + EscapeHtml(c.value.empty() ? "(none)" : c.value) +
                "</td><td class='num'>" + std::to_string(c.count) + "</td></tr>";
      }
      html += "</table>";
    }
    html += "</div></div></section>\n";
  }

  auto integrity = IntegritySection(*db);
  if (!integrity) return std::move(integrity).error();
  html += *integrity;

  // Provenance.
  html += "<section><h2>Provenance</h2>";
  if (!imports->empty()) {
    html +=
        "<h3>Imported query results</h3><table><tr><th>imported</th><th>query</th>"
        "<th>dialect</th><th>eventTime range</th><th>file</th><th class='num'>rows</th></tr>";
    for (const auto& i : *imports) {
      const std::string range = !i.from && !i.to
                                    ? "any"
                                    : (i.from ? FormatIsoTime(*i.from) : std::string()) + " .. " +
                                          (i.to ? FormatIsoTime(*i.to) : std::string());
      html += "<tr><td>" + EscapeHtml(i.imported_at) + "</td><td>" + EscapeHtml(i.query_id) +
              "</td><td>" + EscapeHtml(i.dialect + " (" + i.engine + ")") + "</td><td>" +
              EscapeHtml(range) + "</td><td>" + EscapeHtml(i.source_file) +
              "</td><td class='num'>" + std::to_string(i.result_rows) + "</td></tr>";
    }
    html += "</table>";
  }
  html +=
      "<h3>Scans</h3><table><tr><th>started</th><th>finished"
      "</th><th>version</th><th>status</th><th>options</th></tr>";
  ok = ForEach(
      *db,
      "SELECT started_at, coalesce(finished_at, ''), version, status, options FROM scans "
      "ORDER BY scan_id",
      [](store::Statement&) {},
      [&](store::Statement& s) {
        html += "<tr><td>" + EscapeHtml(s.ColumnText(0)) + "</td><td>" +
                EscapeHtml(s.ColumnText(1)) + "</td><td>" + EscapeHtml(s.ColumnText(2)) +
                "</td><td>" + EscapeHtml(s.ColumnText(3)) + "</td><td><code>" +
                EscapeHtml(s.ColumnText(4)) + "</code></td></tr>";
      });
  if (!ok) return std::move(ok).error();
  html +=
      "</table><h3>Inputs</h3><table><tr><th>kind</th><th>status</th><th class='num'>"
      "inputs</th><th class='num'>records</th><th class='num'>events</th><th class='num'>"
      "duplicates</th></tr>";
  ok = ForEach(
      *db,
      "SELECT kind, status, count(*), sum(records), sum(events), sum(duplicates) FROM inputs "
      "WHERE kind != 'archive' GROUP BY 1, 2 ORDER BY 1, 2",
      [](store::Statement&) {},
      [&](store::Statement& s) {
        html += "<tr><td>" + EscapeHtml(s.ColumnText(0)) + "</td><td>" +
                EscapeHtml(s.ColumnText(1)) + "</td><td class='num'>" +
                std::to_string(s.ColumnInt(2)) + "</td><td class='num'>" +
                std::to_string(s.ColumnInt(3)) + "</td><td class='num'>" +
                std::to_string(s.ColumnInt(4)) + "</td><td class='num'>" +
                std::to_string(s.ColumnInt(5)) + "</td></tr>";
      });
  if (!ok) return std::move(ok).error();
  html += "</table><p>" + std::to_string(duplicates) + " duplicate events dropped; " +
          std::to_string(errors) + " bad-input errors.</p>";
  if (errors > 0) {
    html +=
        "<table><tr><th>file</th><th>member</th><th class='num'>offset</th>"
        "<th class='num'>record</th><th>message</th></tr>";
    ok = ForEach(
        *db,
        "SELECT path, member, offset, record_index, message FROM scan_errors ORDER BY error_id "
        "LIMIT 100",
        [](store::Statement&) {},
        [&](store::Statement& s) {
          html +=
              "<tr><td>" + EscapeHtml(s.ColumnText(0)) + "</td><td>" + EscapeHtml(s.ColumnText(1)) +
              "</td><td class='num'>" + (s.ColumnIsNull(2) ? "" : std::to_string(s.ColumnInt(2))) +
              "</td><td class='num'>" + (s.ColumnIsNull(3) ? "" : std::to_string(s.ColumnInt(3))) +
              "</td><td>" + EscapeHtml(s.ColumnText(4)) + "</td></tr>";
        });
    if (!ok) return std::move(ok).error();
    html += "</table>";
  }
  html += "</section></main></body></html>\n";
  return html;
}

}  // namespace trailreplay::report

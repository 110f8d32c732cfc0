#include "report/html_report.h"

#include <algorithm>

#include "alarm/alarm.h"
#include "common/text_format.h"
#include "common/time.h"
#include "report/charts.h"

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
header { background: #1d2330; color: #fff; padding: 18px 24px; }
header h1 { margin: 0; font-size: 22px; }
header p { margin: 4px 0 0; color: #b9c0cc; }
main { padding: 4px 16px 32px; max-width: 1200px; box-sizing: border-box; }
section { background: #fff; border: 1px solid #dde1e7; border-radius: 6px; padding: 14px 16px;
          margin: 16px 0; min-width: 0; }
h2 { font-size: 18px; margin: 0 0 4px; }
h3 { font-size: 15px; margin: 18px 0 6px; }
p.definition { color: #4a5263; margin: 0 0 10px; }
.scroll { overflow-x: auto; max-width: 100%; }
table { border-collapse: collapse; margin: 6px 0; }
th, td { text-align: left; padding: 3px 10px 3px 0; border-bottom: 1px solid #eceff3;
         vertical-align: top; }
td.long { overflow-wrap: anywhere; min-width: 9em; }
th { color: #4a5263; font-weight: 600; }
td.num, th.num { text-align: right; white-space: nowrap; }
code { overflow-wrap: anywhere; font-size: 12px; }
details { margin: 2px 0; }
summary { cursor: pointer; }
.events td { font-size: 12px; color: #333a48; }
.badge { display: inline-block; padding: 1px 8px; border-radius: 10px; font-size: 12px;
         background: #fde2e1; color: #a4161a; }
.badge.calm { background: #e3f4e8; color: #1f6b3a; }
.badge.stored { background: #e4e9f7; color: #2a3f7a; }
.flag { display: inline-block; padding: 0 6px; margin: 1px 4px 1px 0; border-radius: 4px;
        font-size: 12px; background: #fff1d6; color: #7a4a00; }
p.stored { background: #eef1fa; border-left: 4px solid #2a3f7a; padding: 6px 10px; }
p.warning { background: #fff6e5; border-left: 4px solid #c47f00; padding: 6px 10px; }
.quiet { color: #6b7385; }
.grid { display: flex; flex-wrap: wrap; gap: 24px; }
.grid > div { flex: 1 1 320px; min-width: 0; }
svg.chart { width: 100%; height: auto; display: block; }
svg text { font: 11px system-ui, sans-serif; fill: #4a5263; }
svg text.axis { fill: #1d2330; font-weight: 600; }
)";

std::string Td(const std::string& html, bool num = false) {
  return std::string(num ? "<td class='num'>" : "<td>") + html + "</td>";
}
// A cell of long unbroken text (ARNs, paths, messages) that may wrap anywhere.
std::string Long(const std::string& html) { return "<td class='long'>" + html + "</td>"; }

std::string Plural(std::uint64_t n, const char* one, const char* many) {
  return Grouped(n) + " " + (n == 1 ? one : many);
}

// "50 of 10,011 events shown; all of them:" and the statement, for a list that is cut.
std::string CutNote(std::size_t shown, std::uint64_t total, const char* what,
                    const std::string& sql) {
  return "<p class='quiet'>" + Grouped(shown) + " of " + Grouped(total) + " " + what +
         " shown; all of them: <code>" + EscapeHtml(sql) + "</code></p>";
}

std::string Flags(const AlarmSection& a) {
  std::string html;
  if (!a.variant.empty()) {
    html += "<span class='flag' title='a pattern kept as one benchmark version printed it'>" +
            EscapeHtml(a.variant) + "</span>";
  }
  for (const rules::LintFinding& f : a.findings) {
    html += "<span class='flag' title='" + EscapeHtml(f.message) + "'>" + EscapeHtml(f.check) +
            "</span>";
  }
  return html;
}

std::string NoisiestPrincipal(const AlarmSection& a) {
  for (const replay::Breakdown& b : a.contributors) {
    if (b.field != "principal" || b.top.empty()) continue;
    const replay::Count& c = b.top.front();
    return EscapeHtml(c.value.empty() ? "(none)" : c.value) + " <span class='quiet'>(" +
           Percent(c.count, a.matches) + ")</span>";
  }
  return "<span class='quiet'>-</span>";
}

std::string Overview(const ReportData& data) {
  std::string rows, silent;
  std::size_t silent_count = 0;
  // The flags column only when some alarm has a flag.
  const bool any_flags =
      std::any_of(data.alarms.begin(), data.alarms.begin() + static_cast<long>(data.whole_history),
                  [](const AlarmSection& a) { return !a.variant.empty() || !a.findings.empty(); });
  for (std::size_t i = 0; i < data.whole_history; ++i) {
    const AlarmSection& a = data.alarms[i];
    const std::string link = "<a href='#" + a.anchor + "'>" + EscapeHtml(a.name) + "</a>";
    if (a.kind == AlarmKind::kMetric && a.matches == 0 && a.episodes_total == 0) {
      silent += (silent_count++ == 0 ? "" : ", ") + link;
      continue;
    }
    rows += "<tr>" + Long(link) + Td(Grouped(a.episodes_total), true) +
            Td(a.seconds_in_alarm > 0 ? Duration(a.seconds_in_alarm) : "-", true) +
            Td(a.kind == AlarmKind::kMetric ? Grouped(a.matches) : "-", true) +
            Td(data.events > 0 && a.kind == AlarmKind::kMetric
                   ? Percent(a.matches, static_cast<std::uint64_t>(data.events))
                   : "-",
               true) +
            Long(a.kind == AlarmKind::kMetric ? NoisiestPrincipal(a)
                 : a.kind == AlarmKind::kMath ? "<span class='quiet'>metric math</span>"
                                              : "<span class='quiet'>composite</span>") +
            (any_flags ? Td(Flags(a)) : "") + "</tr>";
  }
  std::string html = "<section id='overview'><h2>Overview</h2>";
  if (!rows.empty()) {
    html += std::string(
                "<div class='scroll'><table><tr><th>alarm</th><th class='num'>episodes</th>"
                "<th class='num'>time in ALARM</th><th class='num'>matches</th>"
                "<th class='num'>share of events</th><th>noisiest principal</th>") +
            (any_flags ? "<th>flags</th>" : "") + "</tr>" + rows + "</table></div>";
  }
  if (silent_count > 0) {
    html += "<p class='quiet'>No match in the whole history (" +
            Plural(silent_count, "alarm", "alarms") + ", never in ALARM): " + silent + ".</p>";
  }
  if (data.whole_history == 0) {
    html +=
        "<p>No alarm to replay: the database's rules hold none that can be replayed over "
        "it.</p>";
  }
  if (data.alarms.size() > data.whole_history) {
    html += "<p>Stored replays with a window or settings of their own, after the alarms: ";
    for (std::size_t i = data.whole_history; i < data.alarms.size(); ++i) {
      html += (i == data.whole_history ? "" : ", ") + std::string("<a href='#") +
              data.alarms[i].anchor + "'>" + EscapeHtml(data.alarms[i].name) + "</a>";
    }
    html += ".</p>";
  }
  if (any_flags) {
    html +=
        "<p class='quiet'>Flags: a pattern kept as a historical benchmark version printed it, "
        "and what <code>trailreplay lint</code> warns about (hover for the finding).</p>";
  }
  return html + "</section>\n";
}

std::string EpisodesTable(const ReportData& data, const AlarmSection& a) {
  if (a.episodes.empty()) return "<p class='quiet'>The alarm never went to ALARM.</p>";
  std::string html =
      "<div class='scroll'><table><tr><th>start</th><th>end</th><th class='num'>duration</th>"
      "<th class='num'>peak</th><th class='num'>events</th><th></th></tr>";
  const std::string no_events =
      data.imports.empty()
          ? ""
          : "<p class='quiet'>" + EscapeHtml(store::NoEventsMessage(data.imports)) + ".</p>";
  for (const EpisodeRow& e : a.episodes) {
    html += "<tr>" + Td(FormatIsoTime(e.start)) +
            Td(e.end ? FormatIsoTime(*e.end) : "(still in ALARM)") +
            Td(Duration(e.end.value_or(a.to) - e.start), true) +
            Td(e.peak ? ChartNumber(*e.peak) : "-", true) + Td(Grouped(e.events), true) + "<td>";
    if (!e.listed.empty()) {
      html +=
          "<details><summary>events</summary><div class='scroll'><table class='events'><tr>"
          "<th>time</th><th>event</th><th>error</th><th>principal</th><th>source IP</th></tr>";
      for (const EventRow& r : e.listed) {
        html += "<tr>" + Td(FormatIsoTime(r.time)) + Td(EscapeHtml(r.event_name)) +
                Td(EscapeHtml(r.error_code)) + Long(EscapeHtml(r.principal)) +
                Td(EscapeHtml(r.source_ip)) + "</tr>";
      }
      html += "</table></div>";
      if (e.listed.size() < e.events) {
        html += CutNote(e.listed.size(), e.events, "events", e.events_sql);
      }
      html += "</details>";
    }
    html += "</td></tr>";
  }
  html += "</table></div>" + no_events;
  if (a.episodes.size() < a.episodes_total) {
    html += CutNote(a.episodes.size(), a.episodes_total, "episodes",
                    "trailreplay replay --db " + data.db_name + " --alarm " + ShellWord(a.name) +
                        " --max-episodes " + std::to_string(a.episodes_total));
  }
  return html;
}

// Where raising the threshold gives more episodes: one long episode splits into several
// shorter ones as the threshold cuts through it.
std::string TuningNote(const AlarmSection& a) {
  for (std::size_t i = 1; i < a.curve.size(); ++i) {
    if (a.curve[i].second > a.curve[i - 1].second) {
      return "<p class='warning'>More episodes at a higher threshold: from " +
             ChartNumber(a.curve[i - 1].first) + " to " + ChartNumber(a.curve[i].first) +
             " the episodes go from " + Grouped(a.curve[i - 1].second) + " to " +
             Grouped(a.curve[i].second) +
             ". A long episode splits into shorter ones where the series dips below the "
             "higher threshold; fewer episodes does not always mean less time in ALARM.</p>";
    }
  }
  return "";
}

std::string ContributorsTables(const AlarmSection& a) {
  std::string html;
  for (const replay::Breakdown& b : a.contributors) {
    html += "<div class='scroll'><table><tr><th>" + EscapeHtml(b.field) +
            " <span class='quiet'>(top " + Grouped(b.top.size()) + " of " + Grouped(b.distinct) +
            ")</span></th><th class='num'>matches</th>"
            "<th class='num'>share</th></tr>";
    for (const replay::Count& c : b.top) {
      html += "<tr>" + Long(EscapeHtml(c.value.empty() ? "(none)" : c.value)) +
              Td(Grouped(c.count), true) + Td(Percent(c.count, a.matches), true) + "</tr>";
    }
    html += "</table></div>";
  }
  return html;
}

std::string AlarmSectionHtml(const ReportData& data, const AlarmSection& a) {
  std::string html = "<section id='" + a.anchor + "'><h2>" + EscapeHtml(a.name) +
                     " <span class='badge" + (a.episodes_total == 0 ? " calm" : "") + "'>" +
                     Plural(a.episodes_total, "episode", "episodes") + " in ALARM" +
                     (a.seconds_in_alarm > 0 ? ", " + Duration(a.seconds_in_alarm) : "") +
                     "</span>" +
                     (a.stored ? " <span class='badge stored'>stored replay</span>" : "") + "</h2>";
  if (a.stored) {
    html += "<p class='stored'>A replay stored in the database, not the whole history: window " +
            EscapeHtml(a.settings) + ".</p>";
  }
  auto episodes_only = [&](const std::string& definition) {
    TimelineChart chart;
    chart.title = a.name + " timeline";
    chart.y_unit = "ALARM";
    chart.from = a.from;
    chart.to = a.to;
    chart.show_threshold = false;
    for (const EpisodeRow& e : a.episodes) {
      chart.episodes.emplace_back(e.start, e.end.value_or(a.to));
    }
    return html + "<p class='definition'>" + definition + "</p><h3>Timeline, " +
           FormatIsoTime(a.from) + " .. " + FormatIsoTime(a.to) +
           "</h3><p class='quiet'>Shaded: ALARM episodes.</p>" + TimelineSvg(chart) +
           "<h3>Episodes</h3>" + EpisodesTable(data, a) + "</section>\n";
  };
  if (a.kind == AlarmKind::kComposite) {
    return episodes_only("Composite alarm: <code>" + EscapeHtml(a.expression) +
                         "</code>, re-evaluated whenever a child changes state (its children "
                         "have sections of their own).");
  }
  if (a.kind == AlarmKind::kMath) {
    return episodes_only(
        "Metric math: <code>" + EscapeHtml(a.expression) + "</code> " +
        EscapeHtml(
            std::string(alarm::ComparisonName(a.spec.comparison)) + " " +
            ChartNumber(a.spec.threshold) + ", " + std::to_string(a.spec.datapoints_to_alarm) +
            " of " + std::to_string(a.spec.evaluation_periods) + " datapoints of " +
            Grouped(static_cast<std::uint64_t>(a.spec.period)) +
            " s, missing data: " + std::string(alarm::MissingDataName(a.spec.treat_missing_data))) +
        ". The series it reads are drawn in their own alarms' sections; tune it with <code>" +
        EscapeHtml("trailreplay tune --db " + data.db_name + " --alarm " + ShellWord(a.name)) +
        "</code>.");
  }
  html += "<p class='definition'>" +
          EscapeHtml(alarm::StatisticName(a.spec.statistic, a.spec.percentile) + " of " +
                     a.spec.metric_namespace + "/" + a.spec.metric_name + " over " +
                     Grouped(static_cast<std::uint64_t>(a.spec.period)) + " s, " +
                     std::string(alarm::ComparisonName(a.spec.comparison)) + " " +
                     ChartNumber(a.spec.threshold) + ", " +
                     std::to_string(a.spec.datapoints_to_alarm) + " of " +
                     std::to_string(a.spec.evaluation_periods) + " datapoints, missing data: " +
                     std::string(alarm::MissingDataName(a.spec.treat_missing_data))) +
          "</p>";
  if (!a.pattern.empty()) {
    html += "<p class='definition'>Filter <code>" + EscapeHtml(a.filter_name) + "</code>: <code>" +
            EscapeHtml(a.pattern) + "</code> " + Flags(a) + "</p>";
    for (const rules::LintFinding& f : a.findings) {
      html += "<p class='warning'>" + EscapeHtml(f.message) + "</p>";
    }
  }
  html += "<h3>Timeline, " + FormatIsoTime(a.from) + " .. " + FormatIsoTime(a.to) +
          "</h3><p class='quiet'>Bars: the metric's sum per 300 seconds. Dashed line: the "
          "threshold. Shaded: ALARM episodes.</p>";
  TimelineChart chart;
  chart.title = a.name + " timeline";
  chart.y_unit = "Sum per 300 s";
  chart.from = a.from;
  chart.to = a.to;
  chart.buckets = a.buckets;
  chart.threshold = a.spec.threshold;
  for (const EpisodeRow& e : a.episodes) chart.episodes.emplace_back(e.start, e.end.value_or(a.to));
  html += TimelineSvg(chart);
  html += "<h3>Episodes</h3>" + EpisodesTable(data, a);
  if (a.stored) return html + "</section>\n";

  html += "<div class='grid'><div><h3>Tuning: threshold against ALARM episodes</h3>" +
          TuningSvg(a.curve, a.spec.threshold) + TuningNote(a) +
          "<p class='quiet'>Each point replays the alarm with that threshold (hover for its "
          "value); the red point is the alarm's own.</p></div>";
  html += "<div><h3>Top contributors</h3>";
  if (!data.imports.empty()) {
    html += "<p class='quiet'>" + EscapeHtml(store::NoEventsMessage(data.imports)) + ".</p>";
  } else if (a.contributors.empty()) {
    html += "<p class='quiet'>No matching event.</p>";
  }
  html += ContributorsTables(a) + "</div></div></section>\n";
  return html;
}

std::string Provenance(const ReportData& data) {
  std::string html = "<section id='provenance'><h2>Provenance</h2>";
  if (!data.imports.empty()) {
    html +=
        "<h3>Imported query results</h3><div class='scroll'><table><tr><th>imported</th>"
        "<th>query</th><th>dialect</th><th>eventTime range</th><th>file</th>"
        "<th class='num'>rows</th></tr>";
    for (const auto& i : data.imports) {
      const std::string range = !i.from && !i.to
                                    ? "any"
                                    : (i.from ? FormatIsoTime(*i.from) : std::string()) + " .. " +
                                          (i.to ? FormatIsoTime(*i.to) : std::string());
      const std::string file = i.source_file.substr(i.source_file.rfind('/') + 1);
      html += "<tr>" + Td(EscapeHtml(i.imported_at)) + Td(EscapeHtml(i.query_id)) +
              Td(EscapeHtml(i.dialect + " (" + i.engine + ")")) + Td(EscapeHtml(range)) +
              Td(EscapeHtml(file)) + Td(Grouped(static_cast<std::uint64_t>(i.result_rows)), true) +
              "</tr>";
    }
    html += "</table></div>";
  }
  html +=
      "<h3>Replays shown</h3><div class='scroll'><table><tr><th>alarm</th><th>window</th>"
      "</tr>";
  for (const ReplayShown& r : data.replays) {
    html += "<tr>" + Td(EscapeHtml(r.alarm)) +
            Td(EscapeHtml((r.stored ? "stored replay: " : "") + r.window)) + "</tr>";
  }
  html += "</table></div>";
  html +=
      "<h3>Scans</h3><div class='scroll'><table><tr><th>started</th><th>finished</th>"
      "<th>version</th><th>status</th><th>options</th></tr>";
  for (const ScanRow& s : data.scans) {
    html += "<tr>" + Td(EscapeHtml(s.started)) + Td(EscapeHtml(s.finished)) +
            Td(EscapeHtml(s.version)) + Td(EscapeHtml(s.status)) +
            Long("<code>" + EscapeHtml(s.options) + "</code>") + "</tr>";
  }
  html +=
      "</table></div><h3>Inputs</h3><div class='scroll'><table><tr><th>kind</th><th>status</th>"
      "<th class='num'>inputs</th><th class='num'>records</th><th class='num'>events</th>"
      "<th class='num'>duplicates</th></tr>";
  for (const InputGroup& g : data.inputs_by_kind) {
    auto n = [](std::int64_t v) { return Grouped(static_cast<std::uint64_t>(v)); };
    html += "<tr>" + Td(EscapeHtml(g.kind)) + Td(EscapeHtml(g.status)) + Td(n(g.inputs), true) +
            Td(n(g.records), true) + Td(n(g.events), true) + Td(n(g.duplicates), true) + "</tr>";
  }
  html +=
      "</table></div><p>" +
      Plural(static_cast<std::uint64_t>(data.duplicates), "duplicate event", "duplicate events") +
      " dropped; " +
      Plural(static_cast<std::uint64_t>(data.errors_total), "bad-input error", "bad-input errors") +
      ".</p>";
  if (!data.errors.empty()) {
    html +=
        "<div class='scroll'><table><tr><th>file</th><th>member</th><th class='num'>offset</th>"
        "<th class='num'>record</th><th>message</th></tr>";
    for (const ErrorRow& e : data.errors) {
      auto n = [](const std::optional<std::int64_t>& v) {
        return v ? Grouped(static_cast<std::uint64_t>(*v)) : std::string();
      };
      html += "<tr>" + Long(EscapeHtml(e.path)) + Long(EscapeHtml(e.member)) +
              Td(n(e.offset), true) + Td(n(e.record), true) + Long(EscapeHtml(e.message)) + "</tr>";
    }
    html += "</table></div>";
    if (data.errors.size() < static_cast<std::uint64_t>(data.errors_total)) {
      html += CutNote(data.errors.size(), static_cast<std::uint64_t>(data.errors_total), "errors",
                      data.errors_sql);
    }
  }
  return html + "</section>";
}

}  // namespace

std::string RenderHtml(const ReportData& data) {
  std::string html =
      "<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'>"
      "<meta name='viewport' content='width=device-width, initial-scale=1'>"
      "<title>" +
      EscapeHtml(data.title) + "</title><style>" + kStyle + "</style></head><body>\n";
  const std::size_t stored = data.alarms.size() - data.whole_history;
  const std::string span = data.first_minute ? ", " + FormatIsoTime(*data.first_minute) + " .. " +
                                                   FormatIsoTime(*data.last_minute + 59)
                                             : "";
  html += "<header><h1>" + EscapeHtml(data.title) + "</h1><p>" +
          Plural(static_cast<std::uint64_t>(data.events), "CloudTrail event", "CloudTrail events") +
          " from " +
          (data.imports.empty()
               ? Plural(static_cast<std::uint64_t>(data.inputs), "input", "inputs")
               : Plural(data.imports.size(), "imported query result", "imported query results")) +
          span + " &middot; " + Plural(data.whole_history, "alarm", "alarms") +
          " replayed over the whole history" +
          (stored == 0 ? ""
                       : " &middot; " + Plural(stored, "stored replay", "stored replays") +
                             " with their own window or settings, after them") +
          "</p></header><main>\n";
  html += Overview(data);
  if (!data.not_replayed.empty()) {
    html +=
        "<section id='not-replayed'><h2>Alarms not replayed</h2><div class='scroll'><table>"
        "<tr><th>alarm</th><th>why</th></tr>";
    for (const auto& [name, why] : data.not_replayed) {
      html += "<tr>" + Long(EscapeHtml(name)) + Long(EscapeHtml(why)) + "</tr>";
    }
    html += "</table></div></section>";
  }
  for (std::size_t i = 0; i < data.alarms.size(); ++i) {
    if (i == data.whole_history) {
      html +=
          "<section><h2>Stored replays</h2><p class='quiet'>Each section below is a replay "
          "stored in the database by <code>trailreplay replay</code> with a window or settings "
          "of its own (a narrowed window, a what-if, other rules). The sections above cover the "
          "whole scanned history with the alarms as defined.</p></section>";
    }
    html += AlarmSectionHtml(data, data.alarms[i]);
  }
  html += data.integrity_html;
  html += Provenance(data);
  return html + "</main></body></html>\n";
}

Result<std::string> BuildHtmlReport(const ReportOptions& options) {
  auto data = BuildReportData(options);
  if (!data) return std::move(data).error();
  return RenderHtml(*data);
}

}  // namespace trailreplay::report

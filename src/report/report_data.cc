#include "report/report_data.h"

#include <simdjson.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <set>

#include "alarm/math.h"
#include "common/json_escape.h"
#include "common/time.h"
#include "replay/replay.h"
#include "report/charts.h"
#include "report/integrity_section.h"
#include "store/database.h"

namespace trailreplay::report {
namespace {

// Runs `sql` (with binds applied by `bind`) and calls `row` for each result row.
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
void NoBind(store::Statement&) {}

// The alarm definition replay stored (MetricAlarm-shaped JSON).
std::optional<alarm::AlarmSpec> ParseDefinition(const std::string& json) {
  auto set = rules::ParseRulesDocument("{\"MetricAlarms\":[" + json + "]}", "replayed_alarms");
  if (!set || set->alarms.empty()) return std::nullopt;
  return set->alarms.front();
}

// A stored replay's options (replays.options) in words, and whether they differ from a replay
// of the whole history with the alarm as defined. Older databases recorded no options ("{}"):
// their window is compared with the whole history's instead.
struct StoredOptions {
  std::string words;
  bool narrowed = false;
};
StoredOptions DescribeStoredOptions(
    const std::string& json, std::int64_t from, std::int64_t to,
    const std::optional<std::pair<std::int64_t, std::int64_t>>& whole) {
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
  } else if (whole && (from != whole->first || to != whole->second)) {
    window_flags.push_back("another window");
  }
  out.narrowed = !window_flags.empty() || !what_if.empty();
  out.words = FormatIsoTime(from) + " .. " + FormatIsoTime(to);
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

// An HTML id from an alarm name: letters, digits, '-' and '_' kept, anything else as '-',
// numbered when two names come out the same.
std::string Anchor(const std::string& name, std::set<std::string>& used) {
  std::string id = "alarm-";
  for (char c : name) {
    const bool kept = std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '-' || c == '_';
    id += kept ? c : '-';
  }
  std::string unique = id;
  for (int n = 2; !used.insert(unique).second; ++n) unique = id + "-" + std::to_string(n);
  return unique;
}

// Thresholds for the tuning curve: every whole number from 1 past the highest value seen, or
// 50 of them spread over that range when it is wider; the alarm's own threshold always.
std::vector<double> CurveThresholds(double max_value, double own) {
  std::set<double> thresholds{own};
  const double top = std::ceil(max_value) + 1;
  if (top <= 50) {
    for (int t = 1; t <= static_cast<int>(top); ++t) thresholds.insert(t);
  } else {
    for (int i = 0; i < 50; ++i) thresholds.insert(std::round(1 + (top - 1) * i / 49.0));
  }
  return {thresholds.begin(), thresholds.end()};
}

// The longest directory every absolute path shares ("/data/case7/"), or "" when the paths are
// relative or share nothing but the root.
std::string CommonDirectory(const std::vector<std::string>& paths) {
  std::optional<std::string> common;
  for (const std::string& p : paths) {
    if (p.empty() || p.front() != '/') continue;
    const std::string dir = p.substr(0, p.rfind('/') + 1);
    if (!common) {
      common = dir;
      continue;
    }
    std::size_t n = 0;
    while (n < common->size() && n < dir.size() && (*common)[n] == dir[n]) ++n;
    common = common->substr(0, common->rfind('/', n == 0 ? 0 : n - 1) + 1);
  }
  return common && *common != "/" ? *common : "";
}

// Scan options JSON with every string that is an absolute path under `root` shown relative.
std::string RelativeOptions(const std::string& json, const std::string& root) {
  if (root.empty()) return json;
  std::string out;
  std::size_t i = 0;
  const std::string quoted = "\"" + root;
  for (std::size_t at; (at = json.find(quoted, i)) != std::string::npos;) {
    out.append(json, i, at + 1 - i);
    out += "\xE2\x80\xA6/";  // …/
    i = at + quoted.size();
  }
  out.append(json, i);
  return out;
}

std::string WindowCondition(const std::vector<std::pair<std::int64_t, std::int64_t>>& windows) {
  std::string out;
  for (std::size_t i = 0; i < windows.size(); ++i) {
    out += (i == 0 ? "" : " OR ") + std::string("(e.stamp >= ") + std::to_string(windows[i].first) +
           " AND e.stamp < " + std::to_string(windows[i].second) + ")";
  }
  return windows.size() > 1 ? "(" + out + ")" : out;
}

// The events of one episode: the first `limit` of those in `windows`, and the `sql` statement
// that lists every one.
Result<void> ListEpisodeEvents(store::Database& db, const std::string& db_name,
                               std::int64_t series_id,
                               const std::vector<std::pair<std::int64_t, std::int64_t>>& windows,
                               std::size_t limit, EpisodeRow& episode) {
  const std::string select =
      "SELECT datetime(e.event_time, 'unixepoch') AS event_time, e.event_name, e.error_code, "
      "e.principal_arn, e.source_ip FROM events AS e JOIN event_matches AS m USING (event_pk) "
      "WHERE m.series_id = " +
      std::to_string(series_id) + " AND " + WindowCondition(windows) +
      " ORDER BY e.stamp, e.event_pk";
  episode.events_sql = "trailreplay sql --db " + db_name + " \"" + select + "\"";
  // A window at a time: each is found by the index on stamp, where their OR (an episode of a
  // filter that matches every event has thousands) made SQLite test every event against each.
  // The windows are in order and apart (DescribeEpisodes), so their events come in order.
  for (const auto& window : windows) {  // not a structured binding: clang 14 cannot capture it
    if (episode.listed.size() >= limit) break;
    auto ok = ForEach(
        db,
        "SELECT e.event_time, e.event_name, e.error_code, e.principal_arn, e.source_ip "
        "FROM events AS e JOIN event_matches AS m USING (event_pk) "
        "WHERE m.series_id = ? AND e.stamp >= ? AND e.stamp < ? ORDER BY e.stamp, e.event_pk "
        "LIMIT ?",
        [&](store::Statement& s) {
          s.Bind(1, series_id)
              .Bind(2, window.first)
              .Bind(3, window.second)
              .Bind(4, static_cast<std::int64_t>(limit - episode.listed.size()));
        },
        [&](store::Statement& s) {
          episode.listed.push_back(EventRow{s.ColumnInt(0), s.ColumnText(1), s.ColumnText(2),
                                            s.ColumnText(3), s.ColumnText(4)});
        });
    if (!ok) return ok;
  }
  return {};
}

// The series' samples, as 300-second sums and as the minutes a tuning replay evaluates.
Result<std::vector<alarm::MinuteSample>> LoadSamples(store::Database& db, AlarmSection& a) {
  std::vector<alarm::MinuteSample> samples;
  auto ok = ForEach(
      db,
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
        a.buckets[FloorTo(m.minute, kBucketSeconds)] += m.sum;
        samples.push_back(m);
      });
  if (!ok) return std::move(ok).error();
  return samples;
}

void TuningCurve(AlarmSection& a, const std::vector<alarm::MinuteSample>& samples) {
  double max_value = a.spec.threshold;
  for (const EpisodeRow& e : a.episodes) {
    if (e.peak) max_value = std::max(max_value, *e.peak);
  }
  for (const auto& [t, v] : a.buckets) max_value = std::max(max_value, v);
  for (double t : CurveThresholds(max_value, a.spec.threshold)) {
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
    a.curve.emplace_back(t, episodes);
  }
}

// The filter behind the alarm: its pattern, matches, contributors and the lint findings that
// matter to a reader (errors and warnings).
Result<void> DescribeFilter(store::Database& db, const ReportOptions& options,
                            std::int64_t all_events, AlarmSection& a) {
  if (a.series_id == 0) return {};
  auto filter = replay::FilterForAlarm(db, a.spec);
  if (!filter) return std::move(filter).error();
  a.filter_name = filter->name;
  a.pattern = filter->pattern;
  a.variant = std::string(rules::PackFilterVariant(filter->name));
  auto matches = db.Prepare(
      "SELECT (SELECT count(*) FROM event_matches WHERE series_id = ?1) + "
      "(SELECT coalesce(sum(events), 0) FROM imported_series_events WHERE series_id = ?1)");
  if (!matches) {
    // A database older than import-samples has no imported_series_events.
    matches = db.Prepare("SELECT count(*) FROM event_matches WHERE series_id = ?1");
    if (!matches) return std::move(matches).error();
  }
  matches->Bind(1, a.series_id);
  auto row = matches->Step();
  if (!row) return std::move(row).error();
  a.matches = static_cast<std::uint64_t>(matches->ColumnInt(0));
  rules::FilterLinter linter(filter->name, filter->pattern);
  if (all_events > 0) linter.SetCounts(a.matches, static_cast<std::uint64_t>(all_events));
  for (rules::LintFinding& f : linter.Finish().findings) {
    if (f.severity != rules::LintSeverity::kNote) a.findings.push_back(std::move(f));
  }
  auto events = replay::LoadMatches(db, filter->filter_id, a.series_id, {}, /*with_raw=*/false);
  if (!events) return std::move(events).error();
  std::vector<const replay::MatchedEvent*> examined;
  examined.reserve(events->size());
  for (const replay::MatchedEvent& e : *events) examined.push_back(&e);
  for (replay::Breakdown& b : replay::Contributors(examined, options.top_contributors)) {
    if (b.field == "principal" || b.field == "source IP" || b.field == "event name") {
      a.contributors.push_back(std::move(b));
    }
  }
  return {};
}

}  // namespace

std::string ShellWord(const std::string& text) {
  const bool plain = !text.empty() && std::all_of(text.begin(), text.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '.' || c == '_' || c == '-' ||
           c == '/' || c == ':';
  });
  if (plain) return text;
  std::string out = "'";
  for (char c : text) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

std::string DisplayPath(const std::string& path, const std::string& root) {
  if (root.empty() || path.compare(0, root.size(), root) != 0) return path;
  return "\xE2\x80\xA6/" + path.substr(root.size());
}

Result<ReportData> BuildReportData(const ReportOptions& options) {
  auto db = store::Database::Open(options.db_path, /*read_only=*/true);
  if (!db) return std::move(db).error();
  ReportData data;
  data.title = options.title;
  data.db_name = ShellWord(options.db_path.substr(options.db_path.rfind('/') + 1));

  auto ok = ForEach(
      *db,
      "SELECT (SELECT coalesce(sum(events), 0) FROM minute_totals), "
      "(SELECT count(*) FROM inputs WHERE kind != 'archive'), "
      "(SELECT coalesce(sum(duplicates), 0) FROM inputs), (SELECT count(*) FROM scan_errors), "
      "(SELECT min(minute) FROM minute_totals), (SELECT max(minute) FROM minute_totals)",
      NoBind, [&](store::Statement& s) {
        data.events = s.ColumnInt(0);
        data.inputs = s.ColumnInt(1);
        data.duplicates = s.ColumnInt(2);
        data.errors_total = s.ColumnInt(3);
        if (!s.ColumnIsNull(4)) {
          data.first_minute = s.ColumnInt(4);
          data.last_minute = s.ColumnInt(5);
        }
      });
  if (!ok) return std::move(ok).error();
  auto imports = store::ListImports(*db);
  if (!imports) return std::move(imports).error();
  data.imports = std::move(*imports);

  // Every alarm of the database's rules over the whole scanned history, replayed in memory.
  for (const auto& n : options.rules.not_replayable) {
    data.not_replayed.emplace_back(n.alarm_name, n.reason);
  }
  replay::ReplayOptions whole;
  whole.rules = options.rules;
  whole.rules.alarms.clear();
  for (const alarm::AlarmSpec& spec : options.rules.alarms) {
    auto reason = replay::UnscannedReason(*db, options.rules, spec);
    if (!reason) return std::move(reason).error();
    if (reason->empty()) {
      whole.rules.alarms.push_back(spec);
    } else {
      data.not_replayed.emplace_back(spec.name, *reason);
    }
  }
  std::optional<std::pair<std::int64_t, std::int64_t>> whole_range;
  std::vector<std::vector<std::vector<std::pair<std::int64_t, std::int64_t>>>> windows;
  auto has_samples =
      db->QueryInt("SELECT (SELECT count(*) FROM minute_totals) + (SELECT count(*) FROM samples)");
  if (!has_samples) return std::move(has_samples).error();
  if (!whole.rules.alarms.empty() && *has_samples > 0) {
    auto replayed = replay::ComputeReplay(*db, whole);
    if (!replayed) return std::move(replayed).error();
    whole_range.emplace(replayed->from, replayed->to);
    for (const replay::AlarmReplay& r : replayed->alarms) {
      AlarmSection a;
      a.name = r.spec.name;
      a.spec = r.spec;
      a.series_id = r.series_id;
      a.from = r.from;
      a.to = r.to;
      a.seconds_in_alarm = r.seconds_in_alarm;
      if (r.spec.math) {
        const alarm::MathQuery& returned = r.spec.math->queries[r.spec.math->returned];
        a.kind = AlarmKind::kMath;
        a.expression = returned.expression_text;
        if (!returned.label.empty()) a.expression += " (" + returned.label + ")";
      }
      std::vector<std::vector<std::pair<std::int64_t, std::int64_t>>> alarm_windows;
      for (const replay::Episode& e : r.episodes) {
        a.episodes.push_back(EpisodeRow{e.start, e.end, e.peak, e.matched_events, {}, {}});
        alarm_windows.push_back(a.kind == AlarmKind::kMetric ? e.windows : decltype(e.windows){});
      }
      data.alarms.push_back(std::move(a));
      windows.push_back(std::move(alarm_windows));
    }
    // Composite alarms, over their children's histories: episodes and time in ALARM only
    // (their events are their children's).
    for (const replay::CompositeReplay& c : replayed->composites) {
      AlarmSection a;
      a.name = c.spec.name;
      a.kind = AlarmKind::kComposite;
      a.expression = c.spec.rule_text;
      a.from = replayed->from;
      a.to = replayed->to;
      a.seconds_in_alarm = c.seconds_in_alarm;
      std::vector<std::vector<std::pair<std::int64_t, std::int64_t>>> alarm_windows;
      for (const replay::Episode& e : c.episodes) {
        a.episodes.push_back(EpisodeRow{e.start, e.end, std::nullopt, 0, {}, {}});
        alarm_windows.emplace_back();
      }
      data.alarms.push_back(std::move(a));
      windows.push_back(std::move(alarm_windows));
    }
  } else if (!whole.rules.alarms.empty()) {
    for (const alarm::AlarmSpec& spec : whole.rules.alarms) {
      data.not_replayed.emplace_back(spec.name, "the database holds no events to replay over");
    }
  }
  data.whole_history = data.alarms.size();
  for (AlarmSection& a : data.alarms) {
    data.replays.push_back(ReplayShown{
        a.name, FormatIsoTime(a.from) + " .. " + FormatIsoTime(a.to) + " (whole history)", false});
  }

  // Replays stored in the database that say something the whole-history sections do not.
  ok = ForEach(
      *db,
      "SELECT a.alarm_name, a.definition, coalesce(a.series_id, 0), r.from_time, r.to_time, "
      "r.options FROM replayed_alarms AS a JOIN replays AS r USING (replay_id) "
      "ORDER BY a.alarm_name",
      NoBind, [&](store::Statement& s) {
        auto spec = ParseDefinition(s.ColumnText(1));
        if (!spec) return;
        const std::string name = s.ColumnText(0);
        const std::int64_t from = s.ColumnInt(3), to = s.ColumnInt(4);
        const StoredOptions described =
            DescribeStoredOptions(s.ColumnText(5), from, to, whole_range);
        const bool covered = std::any_of(
            data.alarms.begin(), data.alarms.begin() + static_cast<long>(data.whole_history),
            [&](const AlarmSection& w) { return w.name == name; });
        if (covered && !described.narrowed) return;
        AlarmSection a;
        a.name = name;
        a.spec = *spec;
        a.series_id = s.ColumnInt(2);
        a.from = from;
        a.to = to;
        a.stored = true;
        a.settings = described.words;
        data.replays.push_back(ReplayShown{name, described.words, true});
        data.alarms.push_back(std::move(a));
      });
  if (!ok) return std::move(ok).error();
  for (std::size_t i = data.whole_history; i < data.alarms.size(); ++i) {
    AlarmSection& a = data.alarms[i];
    const std::int64_t lookback = (a.spec.evaluation_periods + 2) * a.spec.period;
    std::vector<std::vector<std::pair<std::int64_t, std::int64_t>>> alarm_windows;
    ok = ForEach(
        *db,
        "SELECT start_time, end_time, peak, matched_events FROM alarm_episode_rows "
        "WHERE alarm_name = ? ORDER BY start_time",
        [&](store::Statement& s) { s.Bind(1, std::string_view(a.name)); },
        [&](store::Statement& s) {
          EpisodeRow e;
          e.start = s.ColumnInt(0);
          if (!s.ColumnIsNull(1)) e.end = s.ColumnInt(1);
          if (!s.ColumnIsNull(2)) e.peak = s.ColumnDouble(2);
          e.events = static_cast<std::uint64_t>(s.ColumnInt(3));
          a.seconds_in_alarm += e.end.value_or(a.to) - e.start;
          alarm_windows.push_back({{e.start - lookback, e.end.value_or(a.to)}});
          a.episodes.push_back(std::move(e));
        });
    if (!ok) return std::move(ok).error();
    windows.push_back(std::move(alarm_windows));
  }

  // Per alarm: samples, curve, filter, the listed events of its first episodes.
  for (std::size_t i = 0; i < data.alarms.size(); ++i) {
    AlarmSection& a = data.alarms[i];
    if (a.kind != AlarmKind::kMetric) {
      // A math or composite alarm has no one series of its own to draw, list or tune.
      a.episodes_total = a.episodes.size();
      if (a.episodes.size() > options.max_episodes_per_alarm) {
        a.episodes.resize(options.max_episodes_per_alarm);
      }
      continue;
    }
    auto samples = LoadSamples(*db, a);
    if (!samples) return std::move(samples).error();
    a.episodes_total = a.episodes.size();
    if (a.episodes.size() > options.max_episodes_per_alarm) {
      a.episodes.resize(options.max_episodes_per_alarm);
    }
    for (std::size_t e = 0; e < a.episodes.size(); ++e) {
      EpisodeRow& episode = a.episodes[e];
      if (a.stored) {
        // A stored episode's count is the replay's; the list and its count are the window's.
        auto counted = replay::CountSeriesEvents(*db, a.series_id, windows[i][e]);
        if (!counted) return std::move(counted).error();
        episode.events = *counted;
      }
      ok = ListEpisodeEvents(*db, data.db_name, a.series_id, windows[i][e],
                             options.max_events_per_episode, episode);
      if (!ok) return std::move(ok).error();
    }
    if (a.stored) continue;
    TuningCurve(a, *samples);
    ok = DescribeFilter(*db, options, data.events, a);
    if (!ok) return std::move(ok).error();
  }
  // Firing alarms first: most episodes, then most time in ALARM, then by name.
  std::stable_sort(data.alarms.begin(), data.alarms.begin() + static_cast<long>(data.whole_history),
                   [](const AlarmSection& x, const AlarmSection& y) {
                     if (x.episodes_total != y.episodes_total) {
                       return x.episodes_total > y.episodes_total;
                     }
                     if (x.seconds_in_alarm != y.seconds_in_alarm) {
                       return x.seconds_in_alarm > y.seconds_in_alarm;
                     }
                     return x.name < y.name;
                   });
  std::set<std::string> anchors;
  for (AlarmSection& a : data.alarms) {
    a.anchor = Anchor(a.stored ? "stored " + a.name : a.name, anchors);
  }

  // Provenance, paths relative to the inputs' common directory.
  std::vector<std::string> paths;
  ok = ForEach(*db, "SELECT DISTINCT path FROM inputs UNION SELECT DISTINCT path FROM scan_errors",
               NoBind, [&](store::Statement& s) { paths.push_back(s.ColumnText(0)); });
  if (!ok) return std::move(ok).error();
  ok = ForEach(*db,
               "SELECT started_at, coalesce(finished_at, ''), version, status, options FROM scans "
               "ORDER BY scan_id",
               NoBind, [&](store::Statement& s) {
                 data.scans.push_back(ScanRow{s.ColumnText(0), s.ColumnText(1), s.ColumnText(2),
                                              s.ColumnText(3), s.ColumnText(4)});
                 // The paths the scan was given count towards the common directory too.
                 simdjson::dom::parser parser;
                 simdjson::dom::array given;
                 if (parser.parse(data.scans.back().options)["paths"].get_array().get(given) ==
                     simdjson::SUCCESS) {
                   for (simdjson::dom::element p : given) {
                     std::string_view text;
                     if (p.get_string().get(text) == simdjson::SUCCESS) paths.emplace_back(text);
                   }
                 }
               });
  if (!ok) return std::move(ok).error();
  const std::string root = CommonDirectory(paths);
  for (ScanRow& scan : data.scans) scan.options = RelativeOptions(scan.options, root);
  ok = ForEach(
      *db,
      "SELECT kind, status, count(*), sum(records), sum(events), sum(duplicates) FROM "
      "inputs WHERE kind != 'archive' GROUP BY 1, 2 ORDER BY 1, 2",
      NoBind, [&](store::Statement& s) {
        data.inputs_by_kind.push_back(InputGroup{s.ColumnText(0), s.ColumnText(1), s.ColumnInt(2),
                                                 s.ColumnInt(3), s.ColumnInt(4), s.ColumnInt(5)});
      });
  if (!ok) return std::move(ok).error();
  ok = ForEach(
      *db,
      "SELECT path, member, offset, record_index, message FROM scan_errors ORDER BY error_id "
      "LIMIT ?",
      [&](store::Statement& s) { s.Bind(1, static_cast<std::int64_t>(options.max_errors)); },
      [&](store::Statement& s) {
        ErrorRow e{DisplayPath(s.ColumnText(0), root), s.ColumnText(1), s.ColumnText(4), {}, {}};
        if (!s.ColumnIsNull(2)) e.offset = s.ColumnInt(2);
        if (!s.ColumnIsNull(3)) e.record = s.ColumnInt(3);
        data.errors.push_back(std::move(e));
      });
  if (!ok) return std::move(ok).error();
  data.errors_sql = "trailreplay sql --db " + data.db_name +
                    " \"SELECT path, member, offset, record_index, kind, message FROM "
                    "scan_errors ORDER BY error_id\"";

  auto integrity = IntegritySection(*db);
  if (!integrity) return std::move(integrity).error();
  data.integrity_html = std::move(*integrity);
  data.integrity_json = "null";
  ok = ForEach(*db,
               "SELECT run_at, version, problems, summary FROM verifications "
               "ORDER BY verification_id DESC LIMIT 1",
               NoBind, [&](store::Statement& s) {
                 simdjson::dom::parser parser;
                 const std::string summary = s.ColumnText(3);
                 const bool is_json = parser.parse(summary).error() == simdjson::SUCCESS;
                 data.integrity_json = "{\"run_at\":" + JsonString(s.ColumnText(0)) +
                                       ",\"version\":" + JsonString(s.ColumnText(1)) +
                                       ",\"problems\":" + std::to_string(s.ColumnInt(2)) +
                                       ",\"summary\":" + (is_json ? summary : JsonString(summary)) +
                                       "}";
               });
  if (!ok) return std::move(ok).error();
  return data;
}

namespace {

std::string OptionalTime(const std::optional<std::int64_t>& t) {
  return t ? JsonString(FormatIsoTime(*t)) : "null";
}

std::string EpisodeJson(const EpisodeRow& e) {
  std::string out = "{\"start\":" + JsonString(FormatIsoTime(e.start)) +
                    ",\"end\":" + OptionalTime(e.end) +
                    ",\"peak\":" + (e.peak ? JsonNumber(*e.peak) : "null") +
                    ",\"events\":" + std::to_string(e.events) + ",\"listed\":[";
  for (std::size_t i = 0; i < e.listed.size(); ++i) {
    const EventRow& r = e.listed[i];
    out += (i ? "," : "") + std::string("{\"time\":") + JsonString(FormatIsoTime(r.time)) +
           ",\"event_name\":" + JsonString(r.event_name) +
           ",\"error_code\":" + JsonString(r.error_code) +
           ",\"principal\":" + JsonString(r.principal) +
           ",\"source_ip\":" + JsonString(r.source_ip) + "}";
  }
  return out + "],\"all_events_sql\":" + JsonString(e.events_sql) + "}";
}

std::string AlarmJson(const AlarmSection& a) {
  std::string out = "{\"name\":" + JsonString(a.name) +
                    ",\"stored_replay\":" + (a.stored ? "true" : "false") +
                    ",\"window\":{\"from\":" + JsonString(FormatIsoTime(a.from)) +
                    ",\"to\":" + JsonString(FormatIsoTime(a.to)) + "}";
  if (a.stored) out += ",\"settings\":" + JsonString(a.settings);
  out += std::string(",\"kind\":") + (a.kind == AlarmKind::kMetric ? "\"metric\""
                                      : a.kind == AlarmKind::kMath ? "\"math\""
                                                                   : "\"composite\"");
  if (a.kind != AlarmKind::kMetric) out += ",\"expression\":" + JsonString(a.expression);
  if (a.kind != AlarmKind::kComposite) out += ",\"definition\":" + replay::AlarmJson(a.spec);
  out += ",\"filter\":" + (a.filter_name.empty() ? std::string("null") : JsonString(a.filter_name));
  out += ",\"pattern\":" + (a.pattern.empty() ? std::string("null") : JsonString(a.pattern));
  out += ",\"variant\":" + (a.variant.empty() ? std::string("null") : JsonString(a.variant));
  out += ",\"matches\":" + std::to_string(a.matches);
  out += ",\"episodes_total\":" + std::to_string(a.episodes_total);
  out += ",\"seconds_in_alarm\":" + std::to_string(a.seconds_in_alarm);
  out += ",\"episodes\":[";
  for (std::size_t i = 0; i < a.episodes.size(); ++i) {
    out += (i ? "," : "") + EpisodeJson(a.episodes[i]);
  }
  out += "],\"buckets\":[";
  bool first = true;
  for (const auto& [t, v] : a.buckets) {
    out += (first ? "" : ",") + std::string("[") + JsonString(FormatIsoTime(t)) + "," +
           JsonNumber(v) + "]";
    first = false;
  }
  out += "],\"tuning\":[";
  for (std::size_t i = 0; i < a.curve.size(); ++i) {
    out += (i ? "," : "") + std::string("{\"threshold\":") + JsonNumber(a.curve[i].first) +
           ",\"episodes\":" + std::to_string(a.curve[i].second) + "}";
  }
  out += "],\"contributors\":{";
  for (std::size_t i = 0; i < a.contributors.size(); ++i) {
    const replay::Breakdown& b = a.contributors[i];
    out += (i ? "," : "") + JsonString(b.field) + ":{\"distinct\":" + std::to_string(b.distinct) +
           ",\"top\":[";
    for (std::size_t j = 0; j < b.top.size(); ++j) {
      out += (j ? "," : "") + std::string("{\"value\":") + JsonString(b.top[j].value) +
             ",\"matches\":" + std::to_string(b.top[j].count) + "}";
    }
    out += "]}";
  }
  out += "},\"lint\":[";
  for (std::size_t i = 0; i < a.findings.size(); ++i) {
    const rules::LintFinding& f = a.findings[i];
    out += (i ? "," : "") + std::string("{\"severity\":") +
           JsonString(rules::LintSeverityName(f.severity)) + ",\"check\":" + JsonString(f.check) +
           ",\"message\":" + JsonString(f.message) + "}";
  }
  return out + "]}";
}

}  // namespace

std::string ReportJson(const ReportData& data) {
  std::string out = "{\"title\":" + JsonString(data.title) +
                    ",\"events\":" + std::to_string(data.events) +
                    ",\"inputs\":" + std::to_string(data.inputs) +
                    ",\"duplicates\":" + std::to_string(data.duplicates) +
                    ",\"first_minute\":" + OptionalTime(data.first_minute) +
                    ",\"last_minute\":" + OptionalTime(data.last_minute) + ",\"alarms\":[";
  for (std::size_t i = 0; i < data.alarms.size(); ++i) {
    out += (i ? ",\n" : "\n") + AlarmJson(data.alarms[i]);
  }
  out += "],\n\"not_replayed\":[";
  for (std::size_t i = 0; i < data.not_replayed.size(); ++i) {
    out += (i ? "," : "") + std::string("{\"alarm\":") + JsonString(data.not_replayed[i].first) +
           ",\"reason\":" + JsonString(data.not_replayed[i].second) + "}";
  }
  out += "],\n\"scans\":[";
  for (std::size_t i = 0; i < data.scans.size(); ++i) {
    const ScanRow& s = data.scans[i];
    out += (i ? "," : "") + std::string("{\"started\":") + JsonString(s.started) +
           ",\"finished\":" + JsonString(s.finished) + ",\"version\":" + JsonString(s.version) +
           ",\"status\":" + JsonString(s.status) + ",\"options\":" + JsonString(s.options) + "}";
  }
  out += "],\n\"inputs_by_kind\":[";
  for (std::size_t i = 0; i < data.inputs_by_kind.size(); ++i) {
    const InputGroup& g = data.inputs_by_kind[i];
    out += (i ? "," : "") + std::string("{\"kind\":") + JsonString(g.kind) +
           ",\"status\":" + JsonString(g.status) + ",\"inputs\":" + std::to_string(g.inputs) +
           ",\"records\":" + std::to_string(g.records) + ",\"events\":" + std::to_string(g.events) +
           ",\"duplicates\":" + std::to_string(g.duplicates) + "}";
  }
  out += "],\n\"errors_total\":" + std::to_string(data.errors_total) + ",\"errors\":[";
  for (std::size_t i = 0; i < data.errors.size(); ++i) {
    const ErrorRow& e = data.errors[i];
    out += (i ? "," : "") + std::string("{\"path\":") + JsonString(e.path) +
           ",\"member\":" + JsonString(e.member) +
           ",\"offset\":" + (e.offset ? std::to_string(*e.offset) : "null") +
           ",\"record\":" + (e.record ? std::to_string(*e.record) : "null") +
           ",\"message\":" + JsonString(e.message) + "}";
  }
  out += "],\n\"integrity\":" + data.integrity_json + "}\n";
  return out;
}

}  // namespace trailreplay::report

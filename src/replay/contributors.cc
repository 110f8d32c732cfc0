#include "replay/contributors.h"

#include <unistd.h>

#include <algorithm>
#include <functional>
#include <limits>
#include <map>
#include <set>
#include <tuple>

#include <simdjson.h>

#include "common/json_escape.h"
#include "common/time.h"
#include "pattern/parser.h"

namespace trailreplay::replay {

namespace {

using Windows = std::vector<std::pair<std::int64_t, std::int64_t>>;

constexpr std::int64_t kBucketSeconds = 300;
constexpr std::size_t kTrickleMinBuckets = 4;
constexpr std::uint64_t kTrickleMaxPerBucket = 3;
constexpr double kTrickleSameCall = 0.8;

Error Bad(std::string message) {
  return MakeError(ErrorCode::kInvalidArgument, std::move(message));
}

// A quoted pattern string: `\"` and `\\` are its only escapes. `*` would be a glob.
std::string Quoted(const std::string& text) {
  std::string out = "\"";
  for (char c : text) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

// Everything but `selector` equal to one of `values`, true on events without the field.
std::string NotAnyOf(const std::string& selector, const std::vector<std::string>& values) {
  std::string out = "(" + selector + " NOT EXISTS)";
  if (values.size() == 1) return out + " || (" + selector + " != " + Quoted(values[0]) + ")";
  out += " || (";
  for (std::size_t i = 0; i < values.size(); ++i) {
    out += (i > 0 ? " && " : "") + std::string("(") + selector + " != " + Quoted(values[i]) + ")";
  }
  return out + ")";
}

// An assumed role's sessions are one principal: `arn:aws:sts::1:assumed-role/R/session` ->
// `arn:aws:sts::1:assumed-role/R/*`.
std::string PrincipalFamily(const std::string& arn) {
  const std::string marker = ":assumed-role/";
  const std::size_t at = arn.find(marker);
  if (at == std::string::npos) return arn;
  const std::size_t slash = arn.find('/', at + marker.size());
  if (slash == std::string::npos) return arn;
  return arn.substr(0, slash + 1) + "*";
}

bool ConsoleAgent(const std::string& agent) {
  return agent.find("console.amazonaws.com") != std::string::npos ||
         agent.find("signin.amazonaws.com") != std::string::npos || agent == "AWS Internal";
}

bool Inside(std::int64_t t, const Windows& windows) {
  return std::any_of(windows.begin(), windows.end(),
                     [&](const auto& w) { return t >= w.first && t < w.second; });
}

std::string Span(std::int64_t seconds) {
  const std::int64_t minutes = seconds / 60;
  if (minutes < 60) return std::to_string(minutes) + "m";
  if (minutes < 24 * 60)
    return std::to_string(minutes / 60) + "h " + std::to_string(minutes % 60) + "m";
  return std::to_string(minutes / 1440) + "d " + std::to_string(minutes / 60 % 24) + "h";
}

Effect Replay(const alarm::AlarmSpec& spec, const std::vector<alarm::MinuteSample>& samples,
              Range range, const std::vector<Incident>& incidents, int evaluation_range) {
  alarm::EvaluateOptions evaluate;
  evaluate.from = range.from;
  evaluate.to = range.to;
  evaluate.evaluation_range = evaluation_range;
  const auto episodes = EpisodesFrom(alarm::Evaluate(spec, samples, evaluate).transitions);
  Effect effect;
  effect.episodes = episodes.size();
  effect.seconds_in_alarm = SecondsInAlarm(episodes, spec, range.to);
  for (const Incident& incident : incidents) {
    effect.incidents.push_back(CheckIncident(episodes, incident));
    effect.keeps_incidents = effect.keeps_incidents && effect.incidents.back().alarmed;
  }
  return effect;
}

}  // namespace

std::string ServiceCaller(std::string_view identity_type, std::string_view invoked_by,
                          std::string_view source_ip) {
  auto service_host = [](std::string_view host) {
    constexpr std::string_view kSuffix = ".amazonaws.com";
    return host.size() > kSuffix.size() && host.substr(host.size() - kSuffix.size()) == kSuffix &&
           host.find_first_of(" /:") == std::string_view::npos;
  };
  if (identity_type == "AWSService") {
    if (!invoked_by.empty()) return std::string(invoked_by);
    if (!source_ip.empty()) return std::string(source_ip);
    return "(unnamed)";
  }
  if (invoked_by.empty() && service_host(source_ip)) return std::string(source_ip);
  return "";
}

std::string CallerName(const MatchedEvent& event) {
  if (!event.principal_arn.empty()) return event.principal_arn;
  if (!event.service.empty()) return "AWS service " + event.service;
  return "";
}

std::vector<Breakdown> Contributors(const std::vector<const MatchedEvent*>& events,
                                    std::size_t top) {
  std::string caller;
  const std::vector<std::pair<std::string, std::function<const std::string&(const MatchedEvent&)>>>
      fields = {
          {"principal",
           [&](const MatchedEvent& e) -> const std::string& {
             caller = CallerName(e);
             return caller;
           }},
          {"source IP", [](const MatchedEvent& e) -> const std::string& { return e.source_ip; }},
          {"event name", [](const MatchedEvent& e) -> const std::string& { return e.event_name; }},
          {"event source",
           [](const MatchedEvent& e) -> const std::string& { return e.event_source; }},
          {"error code", [](const MatchedEvent& e) -> const std::string& { return e.error_code; }},
          {"user agent", [](const MatchedEvent& e) -> const std::string& { return e.user_agent; }},
          {"read-only", [](const MatchedEvent& e) -> const std::string& { return e.read_only; }},
      };
  std::vector<Breakdown> out;
  for (const auto& [name, get] : fields) {
    std::map<std::string, std::uint64_t> counts;
    for (const MatchedEvent* e : events) ++counts[get(*e)];
    Breakdown b;
    b.field = name;
    b.distinct = counts.size();
    for (const auto& [value, count] : counts) {
      b.top.push_back(
          Count{value, count, static_cast<double>(count) / static_cast<double>(events.size())});
    }
    std::stable_sort(b.top.begin(), b.top.end(),
                     [](const Count& a, const Count& c) { return a.count > c.count; });
    if (b.top.size() > top) b.top.resize(top);
    out.push_back(std::move(b));
  }
  return out;
}

namespace {

Result<std::optional<StoredFilter>> QueryFilter(store::Database& db, const std::string& where,
                                                const std::vector<std::string>& args) {
  auto stmt = db.Prepare(
      "SELECT f.filter_id, f.name, f.pattern, f.metric_namespace, f.metric_name, "
      "f.default_value FROM filters AS f WHERE " +
      where);
  if (!stmt) return std::move(stmt).error();
  for (std::size_t i = 0; i < args.size(); ++i) {
    stmt->Bind(static_cast<int>(i + 1), std::string_view(args[i]));
  }
  auto row = stmt->Step();
  if (!row) return std::move(row).error();
  if (!*row) return std::optional<StoredFilter>();
  StoredFilter f;
  f.filter_id = stmt->ColumnInt(0);
  f.name = stmt->ColumnText(1);
  f.pattern = stmt->ColumnText(2);
  f.metric_namespace = stmt->ColumnText(3);
  f.metric_name = stmt->ColumnText(4);
  if (!stmt->ColumnIsNull(5)) f.default_value = stmt->ColumnDouble(5);
  return std::optional<StoredFilter>(std::move(f));
}

}  // namespace

Result<StoredFilter> FindFilter(store::Database& db, const std::string& name) {
  auto found = QueryFilter(db, "f.name = ?", {name});
  if (!found) return std::move(found).error();
  if (!*found) return Bad("no filter named '" + name + "' in database '" + db.path() + "'");
  return std::move(**found);
}

Result<StoredFilter> FilterForAlarm(store::Database& db, const alarm::AlarmSpec& spec) {
  auto found =
      QueryFilter(db,
                  "f.metric_namespace = ? AND f.metric_name = ? ORDER BY (SELECT count(*) FROM "
                  "event_matches AS m WHERE m.filter_id = f.filter_id) DESC, f.name LIMIT 1",
                  {spec.metric_namespace, spec.metric_name});
  if (!found) return std::move(found).error();
  if (!*found) {
    return Bad("no filter in database '" + db.path() + "' publishes " + spec.metric_namespace +
               "/" + spec.metric_name + ", the metric of alarm '" + spec.name + "'");
  }
  return std::move(**found);
}

// What the tables below read from a record beyond the stored columns: readOnly's JSON type as
// SQLite's json_type() names it ("true", "false", ...; "" when absent), and userIdentity's
// type and invokedBy as json_extract() gives them. Read here from the record's text, which
// record_json() decompresses once per event, rather than by SQL functions that would each
// decompress it again.
namespace {

struct RecordFields {
  std::string read_only, identity_type, invoked_by;
};

std::string JsonTypeName(simdjson::dom::element e) {
  switch (e.type()) {
    case simdjson::dom::element_type::BOOL:
      return bool(e) ? "true" : "false";
    case simdjson::dom::element_type::NULL_VALUE:
      return "null";
    case simdjson::dom::element_type::INT64:
    case simdjson::dom::element_type::UINT64:
      return "integer";
    case simdjson::dom::element_type::DOUBLE:
      return "real";
    case simdjson::dom::element_type::STRING:
      return "text";
    case simdjson::dom::element_type::ARRAY:
      return "array";
    case simdjson::dom::element_type::OBJECT:
      return "object";
  }
  return "";
}

std::string ExtractedText(simdjson::dom::element e) {
  if (e.is_string()) return std::string(std::string_view(e));
  if (e.is_null()) return "";
  return simdjson::minify(e);  // a number, boolean or container, as JSON text
}

RecordFields ReadRecordFields(simdjson::dom::parser& parser, const std::string& raw) {
  RecordFields fields;
  simdjson::dom::element record;
  if (parser.parse(raw).get(record) != simdjson::SUCCESS || !record.is_object()) return fields;
  simdjson::dom::element value;
  if (record["readOnly"].get(value) == simdjson::SUCCESS) fields.read_only = JsonTypeName(value);
  if (record.at_pointer("/userIdentity/type").get(value) == simdjson::SUCCESS) {
    fields.identity_type = ExtractedText(value);
  }
  if (record.at_pointer("/userIdentity/invokedBy").get(value) == simdjson::SUCCESS) {
    fields.invoked_by = ExtractedText(value);
  }
  return fields;
}

}  // namespace

Result<std::vector<MatchedEvent>> LoadMatches(store::Database& db, std::int64_t filter_id,
                                              std::int64_t series_id, const Windows& windows,
                                              bool with_raw) {
  // Sorted here, not by SQLite: its sorter would hold every decompressed record, in temporary
  // files (over a filter of 727,000 matches: 1.1 GB written and read back, a third of the time).
  auto stmt = db.Prepare(
      "SELECT e.event_pk, e.stamp, e.principal_arn, e.source_ip, e.event_name, e.event_source, "
      "e.error_code, e.user_agent, record_json(e.raw), m.value "
      "FROM event_matches AS m JOIN events AS e USING (event_pk) "
      "WHERE m.filter_id = ? AND (? = 0 OR m.series_id = ?) AND e.stamp >= ? AND e.stamp < ?");
  if (!stmt) return std::move(stmt).error();
  Windows ranges = windows;
  if (ranges.empty()) {
    ranges.emplace_back(std::numeric_limits<std::int64_t>::min(),
                        std::numeric_limits<std::int64_t>::max());
  }
  std::vector<MatchedEvent> out;
  simdjson::dom::parser parser;
  for (const auto& [lo, hi] : ranges) {
    const std::size_t first = out.size();
    stmt->Bind(1, filter_id).Bind(2, series_id).Bind(3, series_id).Bind(4, lo).Bind(5, hi);
    for (;;) {
      auto more = stmt->Step();
      if (!more) return std::move(more).error();
      if (!*more) break;
      MatchedEvent e;
      e.event_pk = stmt->ColumnInt(0);
      e.stamp = stmt->ColumnInt(1);
      e.principal_arn = stmt->ColumnText(2);
      e.source_ip = stmt->ColumnText(3);
      e.event_name = stmt->ColumnText(4);
      e.event_source = stmt->ColumnText(5);
      e.error_code = stmt->ColumnText(6);
      e.user_agent = stmt->ColumnText(7);
      e.raw = stmt->ColumnText(8);
      if (!stmt->ColumnIsNull(9)) e.value = stmt->ColumnDouble(9);
      const RecordFields fields = ReadRecordFields(parser, e.raw);
      e.read_only = fields.read_only;
      e.service = ServiceCaller(fields.identity_type, fields.invoked_by, e.source_ip);
      if (!with_raw) std::string().swap(e.raw);
      out.push_back(std::move(e));
    }
    stmt->Reset();
    std::sort(out.begin() + static_cast<std::ptrdiff_t>(first), out.end(),
              [](const MatchedEvent& a, const MatchedEvent& b) {
                return std::tie(a.stamp, a.event_pk) < std::tie(b.stamp, b.event_pk);
              });
  }
  return out;
}

Result<std::string> ExcludingPattern(const std::string& pattern, const std::string& clause) {
  std::string_view body = pattern;
  while (!body.empty() && (body.front() == ' ' || body.front() == '\t')) body.remove_prefix(1);
  while (!body.empty() && (body.back() == ' ' || body.back() == '\t')) body.remove_suffix(1);
  if (body.size() < 2 || body.front() != '{' || body.back() != '}') {
    return Bad("the pattern '" + pattern +
               "' is not a JSON pattern, so no JSON exclusion can be added to it");
  }
  body = body.substr(1, body.size() - 2);
  while (!body.empty() && body.front() == ' ') body.remove_prefix(1);
  while (!body.empty() && body.back() == ' ') body.remove_suffix(1);
  std::string out = "{ (" + std::string(body) + ") && (" + clause + ") }";
  auto parsed = pattern::ParsePattern(out);
  if (!parsed) return std::move(parsed).error();
  return out;
}

std::vector<alarm::MinuteSample> WithoutEvents(std::vector<alarm::MinuteSample> samples,
                                               const std::vector<const MatchedEvent*>& dropped,
                                               std::optional<double> default_value) {
  auto find = [&](std::int64_t minute) {
    return std::lower_bound(
        samples.begin(), samples.end(), minute,
        [](const alarm::MinuteSample& s, std::int64_t m) { return s.minute < m; });
  };
  for (const MatchedEvent* e : dropped) {
    if (!e->value) continue;
    const std::int64_t minute = FloorTo(e->stamp, kMinuteSeconds);
    auto it = find(minute);
    if (it == samples.end() || it->minute != minute || it->count == 0) continue;
    bool exact = false;
    for (auto v = it->values.begin(); v != it->values.end(); ++v) {
      if (v->first == *e->value && v->second > 0) {
        if (--v->second == 0) it->values.erase(v);
        exact = true;
        break;
      }
    }
    if (default_value) {
      auto v = std::lower_bound(it->values.begin(), it->values.end(), *default_value,
                                [](const auto& p, double d) { return p.first < d; });
      if (v != it->values.end() && v->first == *default_value) {
        ++v->second;
      } else {
        it->values.insert(v, {*default_value, 1});
      }
      it->sum += *default_value - *e->value;
    } else {
      --it->count;
      it->sum -= *e->value;
    }
    if (exact && !it->values.empty()) {
      // The minute's aggregates again, from its values.
      it->count = 0;
      it->sum = 0;
      for (const auto& [v, c] : it->values) {
        it->count += c;
        it->sum += v * static_cast<double>(c);
      }
      it->minimum = it->values.front().first;
      it->maximum = it->values.back().first;
    }
  }
  samples.erase(std::remove_if(samples.begin(), samples.end(),
                               [](const alarm::MinuteSample& s) { return s.count == 0; }),
                samples.end());
  return samples;
}

Result<ContributorsResult> RunContributors(const ContributorsOptions& options) {
  if (::access(options.db_path.c_str(), F_OK) != 0) {
    return MakeError(ErrorCode::kIo, "no database '" + options.db_path + "': run scan first");
  }
  auto db = store::Database::Open(options.db_path, /*read_only=*/true);
  if (!db) return std::move(db).error();

  ContributorsResult result;
  NoiseReport& noise = result.noise;
  std::optional<alarm::AlarmSpec> spec = options.alarm;
  if (spec) {
    auto filter = FilterForAlarm(*db, *spec);
    if (!filter) return std::move(filter).error();
    noise.filter = std::move(*filter);
  } else {
    auto filter = FindFilter(*db, options.filter_name);
    if (!filter) return std::move(filter).error();
    noise.filter = std::move(*filter);
    for (const auto& a : options.rule_alarms) {
      if (a.metric_namespace == noise.filter.metric_namespace &&
          a.metric_name == noise.filter.metric_name) {
        spec = a;
        break;
      }
    }
  }
  noise.alarm = spec;
  noise.incidents = options.incidents;

  // The alarm over the whole history, in memory.
  Series series;
  std::vector<Episode> episodes;
  int lookback = 0;
  if (spec) {
    auto range = ReplayRange(*db, {*spec}, std::nullopt, std::nullopt, options.evaluation_range);
    if (!range) return std::move(range).error();
    noise.range = *range;
    lookback = EvaluationRange(*spec, options.evaluation_range);
    auto loaded = LoadSeries(*db, *spec, *range, lookback, options.ignore_creation_time,
                             /*with_values=*/true);
    if (!loaded) return std::move(loaded).error();
    series = std::move(*loaded);
    alarm::EvaluateOptions evaluate;
    evaluate.from = range->from;
    evaluate.to = range->to;
    evaluate.evaluation_range = options.evaluation_range;
    episodes = EpisodesFrom(alarm::Evaluate(*spec, series.samples, evaluate).transitions);
    DescribeEpisodes(*spec, series.samples, options.evaluation_range, range->to, episodes);
  }

  // What is examined.
  Windows selection;
  Windows protect;  // events the proposal must not drop
  if (options.episode || options.at) {
    if (!spec) return Bad("--episode and --at need --alarm");
    std::size_t index = episodes.size();
    if (options.episode) {
      if (*options.episode == 0 || *options.episode > episodes.size()) {
        return Bad("alarm '" + spec->name + "' has " + std::to_string(episodes.size()) +
                   " episodes in ALARM; there is no episode " + std::to_string(*options.episode));
      }
      index = *options.episode - 1;
    } else {
      for (std::size_t i = 0; i < episodes.size(); ++i) {
        if (episodes[i].start <= *options.at &&
            (!episodes[i].end || *options.at < *episodes[i].end)) {
          index = i;
        }
      }
      if (index == episodes.size()) {
        return Bad("alarm '" + spec->name + "' was not in ALARM at " + FormatIsoTime(*options.at));
      }
    }
    const Episode& e = episodes[index];
    result.episode = e;
    result.episode_number = index + 1;
    selection = e.windows;
    protect = e.windows;
    if (noise.incidents.empty()) {
      noise.incidents.push_back(Incident{e.start, e.end.value_or(noise.range.to)});
    }
    result.subject = "episode " + std::to_string(index + 1) + " of " + spec->name + ", " +
                     FormatIsoTime(e.start) + " .. " +
                     (e.end ? FormatIsoTime(*e.end) : std::string("(still in ALARM)"));
  } else if (options.from || options.to) {
    selection.emplace_back(options.from.value_or(std::numeric_limits<std::int64_t>::min()),
                           options.to.value_or(std::numeric_limits<std::int64_t>::max()));
    result.subject = "matches of filter " + noise.filter.name + " from " +
                     (options.from ? FormatIsoTime(*options.from) : "the start") + " to " +
                     (options.to ? FormatIsoTime(*options.to) : "the end");
  } else {
    result.subject = "every match of filter " + noise.filter.name;
  }
  for (const Incident& i : options.incidents) protect.emplace_back(i.from, i.to);

  // Noise is looked for over the replayed history (or every match without an alarm), read
  // with the records its findings are evaluated on. What is examined is taken from it when it
  // lies inside (an episode, or every match), rather than read a second time.
  const std::int64_t series_id = spec ? series.series_id : 0;
  Windows history_window;
  if (spec) {
    history_window.emplace_back(noise.range.from - (lookback + 1) * spec->period, noise.range.to);
  }
  auto history =
      LoadMatches(*db, noise.filter.filter_id, series_id, history_window, /*with_raw=*/true);
  if (!history) return std::move(history).error();
  auto inside_history = [&](const std::pair<std::int64_t, std::int64_t>& w) {
    return history_window.empty() ||
           (history_window[0].first <= w.first && w.second <= history_window[0].second);
  };
  // Every match: inside when the stamps of all of them are.
  Windows examined = selection;
  if (examined.empty() && !history_window.empty()) {
    auto span = db->Prepare(
        "SELECT min(r.stamp), max(r.stamp) + 1 FROM event_matches AS m JOIN event_rows AS r "
        "USING (event_pk) WHERE m.filter_id = ? AND (? = 0 OR m.series_id = ?)");
    if (!span) return std::move(span).error();
    span->Bind(1, noise.filter.filter_id).Bind(2, series_id).Bind(3, series_id);
    auto row = span->Step();
    if (!row) return std::move(row).error();
    if (*row && !span->ColumnIsNull(0)) {
      examined.emplace_back(span->ColumnInt(0), span->ColumnInt(1));
    }
  }
  std::vector<MatchedEvent> loaded;  // what is examined, when it was read apart
  std::vector<const MatchedEvent*> events;
  if (std::all_of(examined.begin(), examined.end(), inside_history)) {
    if (selection.empty()) {
      for (const MatchedEvent& e : *history) events.push_back(&e);
    }
    // Each window's events, as LoadMatches gives them: the history is in order of stamp (one
    // window), so each is found by a binary search (an episode may have thousands).
    for (const auto& [from, to] : selection) {
      auto e = std::lower_bound(history->begin(), history->end(), from,
                                [](const MatchedEvent& m, std::int64_t t) { return m.stamp < t; });
      for (; e != history->end() && e->stamp < to; ++e) events.push_back(&*e);
    }
  } else {
    auto apart = LoadMatches(*db, noise.filter.filter_id, series_id, selection, /*with_raw=*/false);
    if (!apart) return std::move(apart).error();
    loaded = std::move(*apart);
    for (const MatchedEvent& e : loaded) events.push_back(&e);
  }
  result.events = events.size();
  result.breakdowns = Contributors(events, options.top);

  if (spec) {
    noise.before =
        Replay(*spec, series.samples, noise.range, noise.incidents, options.evaluation_range);
  }

  // Each finding: its clause, then what it drops and what the alarm would have done.
  auto evaluate = [&](NoiseFinding& f) -> bool {
    auto modified = ExcludingPattern(noise.filter.pattern, f.clause);
    if (!modified) {
      noise.note = modified.error().message;
      return false;
    }
    f.pattern = *modified;
    auto parsed = pattern::ParsePattern(f.pattern);
    if (!parsed) return false;
    pattern::SelectorPlan plan;
    pattern::CompiledPattern compiled(std::move(*parsed), plan);
    pattern::EventContext context(&plan);
    std::vector<const MatchedEvent*> dropped;
    for (const MatchedEvent& e : *history) {
      context.Reset(e.raw);
      if (compiled.Matches(context)) continue;
      dropped.push_back(&e);
      if (Inside(e.stamp, protect)) ++f.dropped_in_incident;
    }
    f.dropped = dropped.size();
    if (spec) {
      f.after = Replay(*spec, WithoutEvents(series.samples, dropped, noise.filter.default_value),
                       noise.range, noise.incidents, options.evaluation_range);
    }
    return true;
  };

  // A steady flow from one AWS service.
  struct ServiceFlow {
    std::map<std::int64_t, std::uint64_t> buckets;
    std::map<std::string, std::uint64_t> calls, errors;
    std::uint64_t count = 0, from_host = 0;  // from_host: sourceIPAddress is the service
    std::int64_t first = 0, last = 0;
  };
  std::map<std::string, ServiceFlow> services;
  for (const MatchedEvent& e : *history) {
    if (e.service.empty() || !e.principal_arn.empty()) continue;
    ServiceFlow& flow = services[e.service];
    if (flow.count == 0) flow.first = e.stamp;
    flow.last = e.stamp;
    ++flow.count;
    if (e.source_ip == e.service) ++flow.from_host;
    ++flow.buckets[FloorTo(e.stamp, kBucketSeconds)];
    ++flow.calls[e.event_name];
    ++flow.errors[e.error_code];
  }
  auto top_of = [](const std::map<std::string, std::uint64_t>& counts) {
    return *std::max_element(counts.begin(), counts.end(),
                             [](const auto& a, const auto& b) { return a.second < b.second; });
  };
  for (const auto& [service, flow] : services) {
    if (flow.buckets.size() < kTrickleMinBuckets) continue;
    const auto [call, call_count] = top_of(flow.calls);
    const auto [error, error_count] = top_of(flow.errors);
    NoiseFinding finding;
    finding.kind = "AWS service";
    finding.subject = service;
    finding.description =
        std::to_string(flow.count) + " matches made by the AWS service " + service + " in " +
        std::to_string(flow.buckets.size()) + " separate 5-minute buckets over " +
        Span(flow.last - flow.first) + "; " +
        std::to_string(static_cast<int>(
            100.0 * static_cast<double>(call_count) / static_cast<double>(flow.count) + 0.5)) +
        "% " + call + ", mostly " + (error.empty() ? std::string("no error code") : error) +
        ": a service refused on the account's behalf (a bucket or key policy), not a person";
    // The exclusion the CIS benchmark's later unauthorized-calls filter adopted for its case,
    // `$.sourceIPAddress != "delivery.logs.amazonaws.com"`, when the source names the service.
    finding.clause = flow.from_host == flow.count ? NotAnyOf("$.sourceIPAddress", {service})
                                                  : NotAnyOf("$.userIdentity.invokedBy", {service});
    if (evaluate(finding)) noise.findings.push_back(std::move(finding));
  }

  // Steady trickles, per principal (an assumed role's sessions together).
  struct Family {
    std::set<std::string> arns;
    std::map<std::int64_t, std::uint64_t> buckets;
    std::map<std::string, std::uint64_t> calls;  // event name
    std::map<std::string, std::uint64_t> errors;
    std::uint64_t count = 0;
    std::int64_t first = 0, last = 0;
  };
  std::map<std::string, Family> families;
  for (const MatchedEvent& e : *history) {
    if (e.principal_arn.empty()) continue;
    Family& f = families[PrincipalFamily(e.principal_arn)];
    if (f.count == 0) f.first = e.stamp;
    f.last = e.stamp;
    ++f.count;
    f.arns.insert(e.principal_arn);
    ++f.buckets[FloorTo(e.stamp, kBucketSeconds)];
    ++f.calls[e.event_name];
    ++f.errors[e.error_code];
  }
  for (const auto& [key, f] : families) {
    std::uint64_t busiest = 0;
    for (const auto& [bucket, n] : f.buckets) busiest = std::max(busiest, n);
    auto top_call =
        std::max_element(f.calls.begin(), f.calls.end(),
                         [](const auto& a, const auto& b) { return a.second < b.second; });
    auto top_error =
        std::max_element(f.errors.begin(), f.errors.end(),
                         [](const auto& a, const auto& b) { return a.second < b.second; });
    const double same = static_cast<double>(top_call->second) / static_cast<double>(f.count);
    if (f.buckets.size() < kTrickleMinBuckets || busiest > kTrickleMaxPerBucket ||
        same < kTrickleSameCall) {
      continue;
    }
    const std::string principal = f.arns.size() == 1 ? *f.arns.begin() : key;
    if (f.arns.size() == 1 && principal.find('*') != std::string::npos) continue;
    NoiseFinding finding;
    finding.kind = "steady trickle";
    finding.subject = principal;
    finding.description =
        std::to_string(f.count) + " matches in " + std::to_string(f.buckets.size()) +
        " separate 5-minute buckets over " + Span(f.last - f.first) + ", at most " +
        std::to_string(busiest) + " per bucket; " +
        std::to_string(static_cast<int>(same * 100 + 0.5)) + "% " + top_call->first + ", mostly " +
        (top_error->first.empty() ? std::string("no error code") : top_error->first);
    finding.clause = NotAnyOf("$.userIdentity.arn", {principal});
    if (f.calls.size() == 1) {
      finding.clause += " || " + NotAnyOf("$.eventName", {top_call->first});
    }
    if (evaluate(finding)) noise.findings.push_back(std::move(finding));
  }

  // Read-only calls from the console, and read-only calls in general.
  std::uint64_t read_only = 0, console = 0;
  std::map<std::string, std::uint64_t> read_only_calls, console_agents;
  for (const MatchedEvent& e : *history) {
    if (e.read_only != "true") continue;
    ++read_only;
    ++read_only_calls[e.event_name];
    if (ConsoleAgent(e.user_agent)) {
      ++console;
      ++console_agents[e.user_agent];
    }
  }
  if (console > 0) {
    std::vector<std::string> agents;
    for (const auto& [agent, n] : console_agents) {
      if (agent.find('*') == std::string::npos) agents.push_back(agent);
    }
    NoiseFinding finding;
    finding.kind = "read-only console calls";
    finding.subject = "readOnly true from the console";
    finding.description = std::to_string(console) + " of " + std::to_string(history->size()) +
                          " matches are read-only calls made from the console, which fail "
                          "opportunistically when optional information is not allowed";
    finding.clause = "(" + NotAnyOf("$.userAgent", agents) +
                     ") || ($.readOnly NOT EXISTS) || ($.readOnly IS FALSE)";
    if (!agents.empty() && evaluate(finding)) noise.findings.push_back(std::move(finding));
  }
  if (read_only > 0) {
    std::vector<std::pair<std::string, std::uint64_t>> calls(read_only_calls.begin(),
                                                             read_only_calls.end());
    std::stable_sort(calls.begin(), calls.end(),
                     [](const auto& a, const auto& b) { return a.second > b.second; });
    std::string names;
    for (std::size_t i = 0; i < calls.size() && i < 3; ++i) {
      names += (i > 0 ? ", " : "") + calls[i].first + " " + std::to_string(calls[i].second);
    }
    if (calls.size() > 3) names += ", ...";
    NoiseFinding finding;
    finding.kind = "read-only calls";
    finding.subject = "readOnly true";
    finding.description = std::to_string(read_only) + " of " + std::to_string(history->size()) +
                          " matches are read-only calls (" + names + ")";
    finding.clause = "($.readOnly NOT EXISTS) || ($.readOnly IS FALSE)";
    if (evaluate(finding)) noise.findings.push_back(std::move(finding));
  }

  // The proposal: the findings that leave the incidents alone, together.
  std::vector<NoiseFinding*> chosen;
  for (NoiseFinding& f : noise.findings) {
    const bool helps = !spec || f.after.episodes < noise.before.episodes ||
                       f.after.seconds_in_alarm < noise.before.seconds_in_alarm;
    const bool safe = f.dropped_in_incident == 0 && f.after.keeps_incidents;
    const bool checked = f.kind != "read-only calls" || !noise.incidents.empty();
    if (f.dropped > 0 && helps && safe && checked) chosen.push_back(&f);
  }
  while (!chosen.empty()) {
    NoiseFinding combined;
    combined.kind = "combined";
    for (std::size_t i = 0; i < chosen.size(); ++i) {
      combined.subject += (i > 0 ? " + " : "") + chosen[i]->subject;
      combined.clause += (i > 0 ? " && " : "") + std::string("(") + chosen[i]->clause + ")";
    }
    if (chosen.size() == 1) combined.clause = chosen[0]->clause;
    if (evaluate(combined) && combined.after.keeps_incidents && combined.dropped_in_incident == 0) {
      for (NoiseFinding* f : chosen) f->proposed = true;
      noise.proposal = std::move(combined);
      noise.note.clear();
      break;
    }
    chosen.pop_back();  // too long for AWS's 1024 bytes, or together they hide an incident
  }
  if (!noise.proposal && noise.note.empty()) {
    const bool any_safe =
        std::any_of(noise.findings.begin(), noise.findings.end(), [](const NoiseFinding& f) {
          return f.dropped_in_incident == 0 && f.after.keeps_incidents;
        });
    noise.note = noise.findings.empty() ? "no likely noise found"
                 : any_safe             ? "the likely noise causes none of this alarm's episodes"
                            : "every exclusion found would drop events of the incident or "
                              "silence it";
  }
  return result;
}

}  // namespace trailreplay::replay

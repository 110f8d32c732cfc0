#include "pushdown/import.h"

#include <simdjson.h>
#include <sys/stat.h>

#include <charconv>
#include <cmath>
#include <limits>
#include <map>
#include <set>
#include <tuple>

#include "common/json_escape.h"
#include "common/time.h"
#include "pushdown/compile.h"
#include "pushdown/csv_reader.h"
#include "pushdown/result_format.h"
#include "store/database.h"
#include "store/writer.h"

namespace trailreplay::pushdown {
namespace {

// Column positions in the result, by name (engines keep the SELECT's order; any order is read).
enum Col { kKind, kMinute, kFilter, kMatched, kValue, kCount, kDim1, kDim2, kDim3, kDetail };

struct QueryRow {
  std::string detail;
  std::string query_id, dialect, engine;
  std::optional<std::int64_t> from, to;
  std::map<std::string, std::string> digests;  // filter name -> digest
};

// One filter row, as read.
struct FilterRow {
  std::size_t filter = 0;  // index in the rule set
  std::int64_t minute = 0;
  bool matched = false;
  std::optional<double> value;
  std::int64_t count = 0;
  std::vector<std::string> dimensions;
};

Result<std::int64_t> ParseInteger(const CsvReader& csv, const std::optional<std::string>& field,
                                  std::string_view column) {
  std::int64_t out = 0;
  if (!field) return csv.RecordError(std::string(column) + " is empty");
  const char* end = field->data() + field->size();
  auto [ptr, ec] = std::from_chars(field->data(), end, out);
  if (ec != std::errc() || ptr != end) {
    return csv.RecordError(std::string(column) + " is not an integer: " + JsonString(*field));
  }
  return out;
}

Result<std::optional<double>> ParseValue(const CsvReader& csv,
                                         const std::optional<std::string>& field) {
  // NULL, however the engine wrote it: an empty field, quoted or not.
  if (!field || field->empty()) return std::optional<double>();
  double out = 0;
  const char* begin = field->data();
  const char* end = begin + field->size();
  if (begin != end && *begin == '+') ++begin;
  auto [ptr, ec] = std::from_chars(begin, end, out);
  if (ec != std::errc() || ptr != end || begin == end || !std::isfinite(out)) {
    return csv.RecordError("value is not a finite number: " + JsonString(*field));
  }
  return std::optional<double>(out);
}

Result<QueryRow> ReadQueryRow(const CsvReader& csv, const std::string& detail) {
  QueryRow q;
  q.detail = detail;
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  auto bad = [&](const std::string& what) {
    return csv.RecordError("the query row's detail is not what compile writes: " + what);
  };
  if (parser.parse(detail).get(root) || !root.is_object()) return bad("not a JSON object");
  std::string_view text;
  if (root["query_id"].get_string().get(text)) return bad("no query_id");
  q.query_id = std::string(text);
  if (root["dialect"].get_string().get(text)) return bad("no dialect");
  q.dialect = std::string(text);
  if (root["engine"].get_string().get(text)) return bad("no engine");
  q.engine = std::string(text);
  for (const char* key : {"from", "to"}) {
    simdjson::dom::element value;
    if (root[key].get(value)) return bad(std::string("no ") + key);
    if (value.is_null()) continue;
    if (value.get_string().get(text)) return bad(std::string(key) + " is not a time");
    auto t = ParseIsoTime(text);
    if (!t) return bad(std::string(key) + " is not a time");
    (std::string_view(key) == "from" ? q.from : q.to) = *t;
  }
  simdjson::dom::array filters;
  if (root["filters"].get_array().get(filters)) return bad("no filters");
  for (simdjson::dom::element f : filters) {
    std::string_view name, digest;
    if (f["name"].get_string().get(name) || f["digest"].get_string().get(digest)) {
      return bad("a filter without name or digest");
    }
    q.digests[std::string(name)] = std::string(digest);
  }
  return q;
}

std::string DimensionsJson(const metric::MetricTransformation& t,
                           const std::vector<std::string>& values) {
  // As the scanner builds a hit's dimensions: names and values in the filter's order.
  std::string out = "{";
  for (std::size_t d = 0; d < values.size(); ++d) {
    if (d > 0) out += ",";
    AppendJsonString(out, t.dimensions[d].first);
    out += ":";
    AppendJsonString(out, values[d]);
  }
  return out + "}";
}

class Importer {
 public:
  explicit Importer(const ImportOptions& options) : options_(options) {}
  Result<ImportSummary> Run();

 private:
  Result<void> Read();
  Result<void> ReadFilterRow(const CsvReader& csv, const CsvReader::Record& record,
                             const std::vector<int>& at);
  Result<void> Check();
  Result<void> Write(store::Database& db, const std::vector<std::int64_t>& filter_ids);

  const ImportOptions& options_;
  std::map<std::string, std::size_t> by_name_;
  std::optional<QueryRow> query_;
  std::map<std::int64_t, std::int64_t> events_;  // minute -> events
  std::vector<FilterRow> rows_;
  std::map<std::string, std::string> unknown_;  // filter rows the rules cannot place
  std::uint64_t records_ = 0;
  std::uint64_t bytes_ = 0;
};

Result<void> Importer::ReadFilterRow(const CsvReader& csv, const CsvReader::Record& record,
                                     const std::vector<int>& at) {
  auto field = [&](Col c) -> const std::optional<std::string>& {
    return record[static_cast<std::size_t>(at[c])];
  };
  FilterRow row;
  const auto& name = field(kFilter);
  if (!name) return csv.RecordError("a filter row without a filter name");
  auto it = by_name_.find(*name);
  if (it == by_name_.end()) {
    // Check() says what is wrong once the query row, which lists the filters, has been read.
    unknown_.emplace(
        *name, csv.RecordError("filter " + JsonString(*name) + " is not in the rules").message);
    return {};
  }
  row.filter = it->second;
  const auto& spec = options_.filters[row.filter];
  const auto& t = spec.transformation;
  auto minute = ParseInteger(csv, field(kMinute), "minute");
  if (!minute) return std::move(minute).error();
  if (*minute % 60 != 0) return csv.RecordError("minute is not a multiple of 60");
  row.minute = *minute;
  auto matched = ParseInteger(csv, field(kMatched), "matched");
  if (!matched) return std::move(matched).error();
  if (*matched != 0 && *matched != 1) return csv.RecordError("matched must be 0 or 1");
  row.matched = *matched == 1;
  auto value = ParseValue(csv, field(kValue));
  if (!value) return std::move(value).error();
  row.value = *value;
  auto count = ParseInteger(csv, field(kCount), "count");
  if (!count) return std::move(count).error();
  if (*count < 1) return csv.RecordError("count must be at least 1");
  row.count = *count;
  const Col dims[] = {kDim1, kDim2, kDim3};
  const std::string what = "filter " + JsonString(spec.name) + ": ";
  if (!row.matched) {
    if (!t.default_value) {
      return csv.RecordError(what + "samples of non-matching events, but it has no defaultValue");
    }
    if (!row.value || *row.value != *t.default_value) {
      return csv.RecordError(what + "non-matching events must publish its defaultValue");
    }
  }
  double literal = 0;
  if (row.matched && row.value && pattern::ParseNumber(t.metric_value, literal) &&
      *row.value != literal) {
    return csv.RecordError(what + "a match published " + JsonNumber(*row.value) +
                           ", not its metric value " + t.metric_value);
  }
  for (std::size_t d = 0; d < 3; ++d) {
    const auto& text = field(dims[d]);
    const bool wanted = row.matched && row.value && d < t.dimensions.size();
    if (wanted && !text) {
      return csv.RecordError(what + "a published sample without dimension " +
                             JsonString(t.dimensions[d].first));
    }
    if (wanted) row.dimensions.push_back(*text);
  }
  rows_.push_back(std::move(row));
  return {};
}

Result<void> Importer::Read() {
  auto opened = CsvReader::Open(options_.result_path);
  if (!opened) return std::move(opened).error();
  CsvReader& csv = *opened;
  CsvReader::Record record;
  auto header = csv.Next(record);
  if (!header) return std::move(header).error();
  if (!*header) return MakeError(ErrorCode::kInvalidInput, options_.result_path + ": empty file");
  std::vector<int> at(kResultColumns.size(), -1);
  for (std::size_t i = 0; i < record.size(); ++i) {
    for (std::size_t c = 0; c < kResultColumns.size(); ++c) {
      if (record[i] && *record[i] == kResultColumns[c]) {
        if (at[c] >= 0) {
          return csv.RecordError("column " + std::string(kResultColumns[c]) + " appears twice");
        }
        at[c] = static_cast<int>(i);
      }
    }
  }
  for (std::size_t c = 0; c < kResultColumns.size(); ++c) {
    if (at[c] < 0) {
      return csv.RecordError("the header lacks column " + std::string(kResultColumns[c]) +
                             ": this is not the result of a query trailreplay compiled");
    }
  }
  const std::size_t columns = record.size();
  for (;;) {
    auto more = csv.Next(record);
    if (!more) return std::move(more).error();
    if (!*more) break;
    ++records_;
    if (record.size() != columns) {
      return csv.RecordError("has " + std::to_string(record.size()) + " fields, the header " +
                             std::to_string(columns));
    }
    const auto& kind = record[static_cast<std::size_t>(at[kKind])];
    const std::string k = kind.value_or("");
    if (k == "query") {
      if (query_) return csv.RecordError("a second query row");
      const auto& detail = record[static_cast<std::size_t>(at[kDetail])];
      auto q = ReadQueryRow(csv, detail.value_or(""));
      if (!q) return std::move(q).error();
      query_ = std::move(*q);
    } else if (k == "events") {
      auto minute = ParseInteger(csv, record[static_cast<std::size_t>(at[kMinute])], "minute");
      if (!minute) return std::move(minute).error();
      auto count = ParseInteger(csv, record[static_cast<std::size_t>(at[kCount])], "count");
      if (!count) return std::move(count).error();
      if (*minute % 60 != 0) return csv.RecordError("minute is not a multiple of 60");
      if (*count < 1) return csv.RecordError("count must be at least 1");
      if (!events_.emplace(*minute, *count).second) {
        return csv.RecordError("minute " + FormatIsoTime(*minute) + " is listed twice");
      }
    } else if (k == "filter") {
      if (auto ok = ReadFilterRow(csv, record, at); !ok) return ok;
    } else {
      return csv.RecordError("unknown kind " + JsonString(k) +
                             " (expected query, events or filter)");
    }
  }
  bytes_ = csv.bytes_read();
  if (!query_) {
    return MakeError(ErrorCode::kInvalidInput,
                     options_.result_path +
                         ": no query row: this is not the whole result of a query trailreplay "
                         "compiled");
  }
  return {};
}

Result<void> Importer::Check() {
  const std::string file = options_.result_path + ": ";
  // The query's filters are the rule set's, defined the same way.
  std::string undefined;
  for (const auto& [name, digest] : query_->digests) {
    if (!by_name_.count(name)) undefined += (undefined.empty() ? "" : ", ") + JsonString(name);
  }
  if (!undefined.empty()) {
    return MakeError(ErrorCode::kInvalidInput,
                     file + "the query evaluated filters the rules do not define (" + undefined +
                         "): give --rules as the query was compiled with");
  }
  if (!unknown_.empty()) {
    return MakeError(ErrorCode::kInvalidInput,
                     unknown_.begin()->second + ", nor among the filters the query evaluated");
  }
  for (const auto& [name, digest] : query_->digests) {
    auto it = by_name_.find(name);
    if (FilterDigest(options_.filters[it->second]) != digest) {
      return MakeError(ErrorCode::kInvalidInput,
                       file + "filter " + JsonString(name) +
                           " was compiled from another definition than the rules give (its "
                           "pattern or transformation changed): compile the query again");
    }
  }
  for (const auto& spec : options_.filters) {
    if (!query_->digests.count(spec.name)) {
      return MakeError(ErrorCode::kInvalidInput,
                       file + "the query did not evaluate filter " + JsonString(spec.name) +
                           " (left out with --skip-unsupported, or compiled from other rules); "
                           "import with rules that do not define it");
    }
  }
  // Rows consistent with the minutes' events and the query's range.
  std::map<std::pair<std::size_t, std::int64_t>, std::int64_t> per_minute;
  std::set<
      std::tuple<std::size_t, std::int64_t, bool, std::optional<double>, std::vector<std::string>>>
      seen;
  for (const FilterRow& row : rows_) {
    const std::string name = JsonString(options_.filters[row.filter].name);
    if (!seen.emplace(row.filter, row.minute, row.matched, row.value, row.dimensions).second) {
      return MakeError(ErrorCode::kInvalidInput, file + "filter " + name + " has two rows for " +
                                                     FormatIsoTime(row.minute) +
                                                     " with the same value and dimensions");
    }
    per_minute[{row.filter, row.minute}] += row.count;
  }
  for (const auto& [key, count] : per_minute) {
    const auto& spec = options_.filters[key.first];
    auto it = events_.find(key.second);
    const std::int64_t events = it == events_.end() ? 0 : it->second;
    if (count > events) {
      return MakeError(ErrorCode::kInvalidInput,
                       file + "filter " + JsonString(spec.name) + " counts " +
                           std::to_string(count) + " events at " + FormatIsoTime(key.second) +
                           ", where the minute has " + std::to_string(events));
    }
  }
  for (const auto& [minute, events] : events_) {
    if ((query_->from && minute < *query_->from - 59) || (query_->to && minute >= *query_->to)) {
      return MakeError(ErrorCode::kInvalidInput,
                       file + "events at " + FormatIsoTime(minute) +
                           ", outside the range the query was compiled for");
    }
    // A filter with a defaultValue publishes for every event, matching or not.
    for (std::size_t f = 0; f < options_.filters.size(); ++f) {
      if (!options_.filters[f].transformation.default_value) continue;
      auto it = per_minute.find({f, minute});
      const std::int64_t count = it == per_minute.end() ? 0 : it->second;
      if (count != events) {
        return MakeError(ErrorCode::kInvalidInput,
                         file + "filter " + JsonString(options_.filters[f].name) +
                             " has a defaultValue, so each of the " + std::to_string(events) +
                             " events at " + FormatIsoTime(minute) +
                             " publishes to it, yet the result counts " + std::to_string(count));
      }
    }
  }
  return {};
}

Result<void> Importer::Write(store::Database& db, const std::vector<std::int64_t>& filter_ids) {
  // Ranges must not overlap: each event of a range is counted by exactly one import.
  auto existing = db.Prepare("SELECT query_id, from_time, to_time FROM imports");
  if (!existing) return std::move(existing).error();
  constexpr std::int64_t kMin = std::numeric_limits<std::int64_t>::min();
  constexpr std::int64_t kMax = std::numeric_limits<std::int64_t>::max();
  const std::int64_t from = query_->from.value_or(kMin), to = query_->to.value_or(kMax);
  for (;;) {
    auto row = existing->Step();
    if (!row) return std::move(row).error();
    if (!*row) break;
    const std::int64_t f = existing->ColumnIsNull(1) ? kMin : existing->ColumnInt(1);
    const std::int64_t t = existing->ColumnIsNull(2) ? kMax : existing->ColumnInt(2);
    if (std::max(f, from) < std::min(t, to)) {
      const std::string other = existing->ColumnText(0);
      existing->Reset();
      return MakeError(
          ErrorCode::kInvalidArgument,
          "database '" + db.path() + "' already holds query " + other +
              ", whose eventTime range overlaps this one's" +
              (other == query_->query_id ? " (the same query: imported already)" : "") +
              "; import results of disjoint ranges (compile --from/--to), or into "
              "a new database");
    }
  }

  auto insert = db.Prepare(
      "INSERT INTO imports (imported_at, version, query_id, dialect, engine, compiled, "
      "from_time, to_time, source_file, source_bytes, result_rows, query_text) "
      "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
  if (!insert) return std::move(insert).error();
  insert->Bind(1, std::string_view(options_.now))
      .Bind(2, std::string_view(options_.version))
      .Bind(3, std::string_view(query_->query_id))
      .Bind(4, std::string_view(query_->dialect))
      .Bind(5, std::string_view(query_->engine))
      .Bind(6, std::string_view(query_->detail));
  if (query_->from) {
    insert->Bind(7, *query_->from);
  } else {
    insert->BindNull(7);
  }
  if (query_->to) {
    insert->Bind(8, *query_->to);
  } else {
    insert->BindNull(8);
  }
  insert->Bind(9, std::string_view(options_.result_path))
      .Bind(10, static_cast<std::int64_t>(bytes_))
      .Bind(11, static_cast<std::int64_t>(records_))
      .Bind(12, options_.query_text);
  if (auto ok = insert->Run(); !ok) return ok;

  auto total = db.Prepare(
      "INSERT INTO minute_totals (minute, events) VALUES (?, ?) ON CONFLICT (minute) "
      "DO UPDATE SET events = events + excluded.events");
  if (!total) return std::move(total).error();
  for (const auto& [minute, events] : events_) {
    if (auto ok = total->Bind(1, minute).Bind(2, events).Run(); !ok) return ok;
  }

  // Series ids, and the aggregates of each.
  auto find = db.Prepare(
      "SELECT series_id FROM series WHERE metric_namespace = ? AND metric_name = ? AND "
      "dimensions = ?");
  auto add =
      db.Prepare("INSERT INTO series (metric_namespace, metric_name, dimensions) VALUES (?, ?, ?)");
  if (!find) return std::move(find).error();
  if (!add) return std::move(add).error();
  std::map<std::pair<std::size_t, std::string>, std::int64_t> series_ids;
  auto series_of = [&](std::size_t filter, const std::string& dims) -> Result<std::int64_t> {
    auto key = std::make_pair(filter, dims);
    if (auto it = series_ids.find(key); it != series_ids.end()) return it->second;
    const auto& t = options_.filters[filter].transformation;
    find->Bind(1, std::string_view(t.metric_namespace))
        .Bind(2, std::string_view(t.metric_name))
        .Bind(3, std::string_view(dims));
    auto row = find->Step();
    if (!row) return std::move(row).error();
    std::int64_t id = 0;
    if (*row) {
      id = find->ColumnInt(0);
      find->Reset();
    } else {
      find->Reset();
      add->Bind(1, std::string_view(t.metric_namespace))
          .Bind(2, std::string_view(t.metric_name))
          .Bind(3, std::string_view(dims));
      if (auto ok = add->Run(); !ok) return std::move(ok).error();
      id = db.LastInsertRowId();
    }
    series_ids[key] = id;
    return id;
  };
  struct SampleAgg {
    std::int64_t count = 0;
    double sum = 0, min = 0, max = 0;
  };
  struct BucketAgg {
    std::int64_t matches = 0;
    double value_sum = 0;
  };
  std::map<std::pair<std::int64_t, std::int64_t>, SampleAgg> samples;
  std::map<std::tuple<std::int64_t, std::int64_t, double>, std::int64_t> values;
  std::map<std::pair<std::int64_t, std::int64_t>, std::int64_t> published;
  std::map<std::pair<std::size_t, std::int64_t>, BucketAgg> buckets;
  for (const FilterRow& row : rows_) {
    if (row.matched) {
      BucketAgg& bucket = buckets[{row.filter, FloorTo(row.minute, kBucketSeconds)}];
      bucket.matches += row.count;
      if (row.value) bucket.value_sum += *row.value * static_cast<double>(row.count);
    }
    if (!row.value) continue;
    auto series = series_of(
        row.filter, DimensionsJson(options_.filters[row.filter].transformation, row.dimensions));
    if (!series) return std::move(series).error();
    SampleAgg& agg = samples[{*series, row.minute}];
    if (agg.count == 0) {
      agg.min = agg.max = *row.value;
    } else {
      agg.min = std::min(agg.min, *row.value);
      agg.max = std::max(agg.max, *row.value);
    }
    agg.count += row.count;
    agg.sum += *row.value * static_cast<double>(row.count);
    values[{*series, row.minute, *row.value}] += row.count;
    if (row.matched) published[{*series, row.minute}] += row.count;
  }
  auto sample = db.Prepare(
      "INSERT INTO samples (series_id, minute, sample_count, sum, minimum, maximum) "
      "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (series_id, minute) DO UPDATE SET "
      "sample_count = sample_count + excluded.sample_count, sum = sum + excluded.sum, "
      "minimum = min(minimum, excluded.minimum), maximum = max(maximum, excluded.maximum)");
  auto value = db.Prepare(
      "INSERT INTO sample_values (series_id, minute, value, count) VALUES (?, ?, ?, ?) "
      "ON CONFLICT (series_id, minute, value) DO UPDATE SET count = count + excluded.count");
  auto event_count = db.Prepare(
      "INSERT INTO imported_series_events (series_id, minute, events) VALUES (?, ?, ?) "
      "ON CONFLICT (series_id, minute) DO UPDATE SET events = events + excluded.events");
  auto bucket = db.Prepare(
      "INSERT INTO filter_buckets (filter_id, bucket, matches, value_sum) VALUES (?, ?, ?, ?) "
      "ON CONFLICT (filter_id, bucket) DO UPDATE SET matches = matches + excluded.matches, "
      "value_sum = value_sum + excluded.value_sum");
  for (auto* stmt : {&sample, &value, &event_count, &bucket}) {
    if (!*stmt) return std::move(*stmt).error();
  }
  for (const auto& [key, agg] : samples) {
    sample->Bind(1, key.first).Bind(2, key.second).Bind(3, agg.count).Bind(4, agg.sum);
    if (auto ok = sample->Bind(5, agg.min).Bind(6, agg.max).Run(); !ok) return ok;
  }
  for (const auto& [key, count] : values) {
    value->Bind(1, std::get<0>(key)).Bind(2, std::get<1>(key)).Bind(3, std::get<2>(key));
    if (auto ok = value->Bind(4, count).Run(); !ok) return ok;
  }
  for (const auto& [key, events] : published) {
    if (auto ok = event_count->Bind(1, key.first).Bind(2, key.second).Bind(3, events).Run(); !ok) {
      return ok;
    }
  }
  for (const auto& [key, agg] : buckets) {
    bucket->Bind(1, filter_ids[key.first]).Bind(2, key.second).Bind(3, agg.matches);
    if (auto ok = bucket->Bind(4, agg.value_sum).Run(); !ok) return ok;
  }
  return {};
}

Result<ImportSummary> Importer::Run() {
  // The rules as a scan would take them: the same validation.
  auto set = metric::FilterSet::Compile(options_.filters);
  if (!set) return std::move(set).error();
  for (std::size_t i = 0; i < options_.filters.size(); ++i) {
    by_name_[options_.filters[i].name] = i;
  }
  if (auto ok = Read(); !ok) return std::move(ok).error();
  if (auto ok = Check(); !ok) return std::move(ok).error();

  auto db = store::Database::Open(options_.db_path);
  if (!db) return std::move(db).error();
  store::StoreSettings settings;
  settings.importing = true;
  auto filter_ids = store::RegisterFilters(*db, *set, settings);
  if (!filter_ids) return std::move(filter_ids).error();
  if (auto ok = db->SetMeta("rules", options_.rules_sources_json); !ok) {
    return std::move(ok).error();
  }
  if (auto ok = db->Exec("BEGIN IMMEDIATE"); !ok) return std::move(ok).error();
  if (auto ok = Write(*db, *filter_ids); !ok) {
    (void)db->Exec("ROLLBACK");
    return std::move(ok).error();
  }
  const std::int64_t import_id = db->QueryInt("SELECT max(import_id) FROM imports").value_or(0);
  if (auto ok = db->Exec("COMMIT"); !ok) return std::move(ok).error();

  ImportSummary summary;
  summary.import_id = import_id;
  summary.query_id = query_->query_id;
  summary.dialect = query_->dialect;
  summary.from = query_->from;
  summary.to = query_->to;
  summary.rows = records_;
  summary.minutes = events_.size();
  for (const auto& [minute, events] : events_) summary.events += static_cast<std::uint64_t>(events);
  if (!events_.empty()) {
    summary.first_minute = events_.begin()->first;
    summary.last_minute = events_.rbegin()->first;
  }
  for (const auto& spec : options_.filters) summary.filters.push_back({spec.name, 0, 0});
  for (const FilterRow& row : rows_) {
    auto& f = summary.filters[row.filter];
    if (row.matched) f.matches += static_cast<std::uint64_t>(row.count);
    if (row.value) f.samples += static_cast<std::uint64_t>(row.count);
  }
  return summary;
}

}  // namespace

Result<ImportSummary> ImportSamples(const ImportOptions& options) {
  Importer importer(options);
  return importer.Run();
}

}  // namespace trailreplay::pushdown

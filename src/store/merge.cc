#include "store/merge.h"

#include <simdjson.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <limits>
#include <map>
#include <queue>
#include <random>
#include <set>
#include <sstream>
#include <tuple>
#include <unordered_map>
#include <unordered_set>

#include "common/json_escape.h"
#include "common/time.h"
#include "store/database.h"
#include "store/event_strings.h"
#include "store/input_keys.h"
#include "store/seen_ids.h"
#include "store/writer.h"

namespace trailreplay::store {
namespace {

constexpr std::int64_t kHourSeconds = 3600;
// A plain part's ordinals are offset by its place on the command line, shifted past any
// ordinal a scan could give (a file's place among those found).
constexpr int kRankShift = 40;

std::string NowText() {
  const auto now = std::chrono::system_clock::now();
  return FormatIsoTime(
      std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count());
}

struct ManifestId {
  std::string plan;
  std::int64_t shard = -1;
  std::int64_t shards = 0;
};

Result<ManifestId> ParseManifestId(std::string_view json, const std::string& where) {
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  ManifestId id;
  std::string_view plan;
  if (parser.parse(json.data(), json.size()).get(doc) || doc["plan"].get(plan) ||
      doc["shard"].get(id.shard) || doc["shards"].get(id.shards)) {
    return MakeError(ErrorCode::kInvalidArgument,
                     where + ": its manifest identity is not what `plan` writes");
  }
  id.plan = std::string(plan);
  return id;
}

// One part: its connection, its settings, and its ledger read in its own order.
struct Part {
  std::string path;
  std::size_t index = 0;  // on the command line
  std::optional<Database> db;
  std::string database_id;
  std::optional<ManifestId> manifest;
  std::string manifest_json;
  std::int64_t inputs = 0, events = 0;
  std::unordered_map<std::int64_t, std::int64_t> filter_map;  // part filter_id -> OUT's
  std::unordered_map<std::int64_t, std::int64_t> series_map;  // part series_id -> OUT's
  std::map<std::pair<std::string, std::string>, std::vector<std::vector<std::string>>> errors;
  Statement ledger, keys, events_of, matches_of;
  bool has_row = false;
  std::int64_t rank = 0;
};

// The ledger columns read and written, in this order.
constexpr const char* kInputColumns =
    "path, member, scope, size, mtime_ns, kind, status, records, events, duplicates, "
    "out_of_scope, bad_records, message, account, region, delivery_time, stored_sha256, "
    "order_time, order_seq";
constexpr int kInputCount = 19;
constexpr const char* kEventColumns =
    "event_id, event_time, stamp, account, region, event_source, event_name, error_code, "
    "source_ip, principal_arn, user_agent, record_index, raw";

struct OrderKey {
  std::int64_t time, rank, seq, input_id;
  std::size_t part;
  bool operator>(const OrderKey& o) const {
    return std::tie(time, rank, seq, input_id, part) >
           std::tie(o.time, o.rank, o.seq, o.input_id, o.part);
  }
};

class Merger {
 public:
  explicit Merger(const MergeOptions& options) : options_(options) {}
  Result<MergeSummary> Run();

 private:
  Result<void> OpenParts();
  Result<void> CheckOut();
  Result<void> Setup();
  Result<void> AddAggregates(Part& part);
  Result<void> MapPart(Part& part);
  Result<bool> Advance(Part& part);
  Result<void> MergeInput(Part& part);
  Result<void> FlushCorrections();
  Result<void> Exec(std::string_view sql) { return out_->Exec(sql); }

  const MergeOptions& options_;
  MergeSummary summary_;
  std::vector<Part> parts_;
  std::optional<Database> out_;
  std::optional<SeenIds> seen_;
  std::optional<EventStrings> strings_;
  bool keep_duplicates_ = false;
  std::int64_t scan_id_ = 0;
  std::string manifest_out_;
  // Filters with a defaultValue: OUT filter_id -> (plain series of OUT, default value).
  std::vector<std::tuple<std::int64_t, std::string, std::string, double>> defaults_;
  std::map<std::int64_t, std::int64_t> default_series_;  // OUT filter_id -> plain series
  // Hours of eventTime in which more than one part counted events: the only ones where one
  // part can hold a copy of an event another part kept. The other hours' keys need no check,
  // and their seen_ids rows are copied whole.
  std::unordered_set<std::int64_t> shared_hours_;

  // Corrections of the current batch.
  std::map<std::int64_t, std::int64_t> minus_minutes_;
  std::map<std::pair<std::int64_t, std::int64_t>, std::pair<std::int64_t, double>> minus_buckets_;
  std::map<std::pair<std::int64_t, std::int64_t>, std::pair<std::int64_t, double>> minus_samples_;
  std::map<std::tuple<std::int64_t, std::int64_t, double>, std::int64_t> minus_values_;
  std::uint64_t batch_inputs_ = 0;

  Statement insert_input_, correct_input_, insert_keys_, insert_event_, insert_match_,
      insert_error_;
};

Result<void> Merger::OpenParts() {
  std::set<std::string> ids;
  for (std::size_t i = 0; i < options_.parts.size(); ++i) {
    Part part;
    part.path = options_.parts[i];
    part.index = i;
    auto db = Database::Open(part.path, /*read_only=*/true);
    if (!db) return std::move(db).error();
    part.db.emplace(std::move(*db));
    auto has_order = part.db->QueryInt(
        "SELECT count(*) FROM pragma_table_info('inputs') WHERE name = 'order_seq'");
    if (!has_order) return std::move(has_order).error();
    auto old_rows =
        *has_order == 0
            ? Result<std::int64_t>(1)
            : part.db->QueryInt("SELECT EXISTS (SELECT 1 FROM inputs WHERE order_seq IS NULL)");
    if (!old_rows) return std::move(old_rows).error();
    if (*old_rows != 0) {
      return MakeError(ErrorCode::kInvalidArgument,
                       "part '" + part.path +
                           "' holds inputs scanned by a trailreplay older than merge (no input "
                           "order recorded); scan them again with this version");
    }
    auto imports = part.db->QueryInt("SELECT count(*) FROM imports");
    if (!imports) return std::move(imports).error();
    if (*imports > 0) {
      return MakeError(ErrorCode::kInvalidArgument,
                       "part '" + part.path +
                           "' holds imported samples (import-samples), which carry no eventIDs; "
                           "only databases made by scan can be merged");
    }
    // A part whose last scan did not finish holds only some of its inputs.
    auto status = part.db->Prepare("SELECT status FROM scans ORDER BY scan_id DESC LIMIT 1");
    if (!status) return std::move(status).error();
    auto row = status->Step();
    if (!row) return std::move(row).error();
    if (!*row) {
      return MakeError(ErrorCode::kInvalidArgument,
                       "part '" + part.path + "' holds no scan; is it a trailreplay database?");
    }
    if (const std::string s = status->ColumnText(0); s != "complete") {
      return MakeError(ErrorCode::kInvalidArgument,
                       "part '" + part.path + "': its last scan is " + s +
                           ", so it may lack some of its inputs; run the same scan again to "
                           "finish it, then merge");
    }
    auto id = part.db->GetMeta("database_id");
    if (!id) return std::move(id).error();
    part.database_id = id->value_or(part.path);
    if (!ids.insert(part.database_id).second) {
      return MakeError(ErrorCode::kInvalidArgument,
                       "part '" + part.path + "' is given twice (the same database)");
    }
    auto manifest = part.db->GetMeta("manifest");
    if (!manifest) return std::move(manifest).error();
    if (manifest->has_value() && !(*manifest)->empty()) {
      part.manifest_json = **manifest;
      auto parsed = ParseManifestId(part.manifest_json, "part '" + part.path + "'");
      if (!parsed) return std::move(parsed).error();
      part.manifest = *parsed;
    }
    auto counts = part.db->Prepare("SELECT count(*), coalesce(sum(events), 0) FROM inputs");
    if (!counts) return std::move(counts).error();
    if (auto r = counts->Step(); !r) return std::move(r).error();
    part.inputs = counts->ColumnInt(0);
    part.events = counts->ColumnInt(1);
    parts_.push_back(std::move(part));
  }
  if (parts_.empty()) return MakeError(ErrorCode::kInvalidArgument, "no parts to merge");

  // Settings and filters must agree, or the counts would mix.
  Part& first = parts_[0];
  auto settings = [](Part& part) -> Result<std::string> {
    std::string text;
    for (const char* key : {"time_basis", "keep_duplicates"}) {
      auto value = part.db->GetMeta(key);
      if (!value) return std::move(value).error();
      text += std::string(key) + " " + value->value_or("?") + ", ";
    }
    auto filters = part.db->Prepare("SELECT name, fingerprint FROM filters ORDER BY name");
    if (!filters) return std::move(filters).error();
    for (;;) {
      auto row = filters->Step();
      if (!row) return std::move(row).error();
      if (!*row) break;
      text += "filter " + filters->ColumnText(0) + " " + filters->ColumnText(1) + "; ";
    }
    return text;
  };
  // The time/account/region scope too: parts of one run are scanned under one.
  auto scope_of = [](Part& part) -> Result<std::string> {
    auto scopes = part.db->Prepare("SELECT DISTINCT scope FROM inputs LIMIT 2");
    if (!scopes) return std::move(scopes).error();
    std::string text;
    for (;;) {
      auto row = scopes->Step();
      if (!row) return std::move(row).error();
      if (!*row) break;
      text += (text.empty() ? "" : " and ") + scopes->ColumnText(0);
    }
    return text;
  };
  std::string common_scope;
  for (Part& part : parts_) {
    auto scope = scope_of(part);
    if (!scope) return std::move(scope).error();
    if (scope->empty()) continue;  // no inputs
    if (common_scope.empty()) common_scope = *scope;
    if (*scope != common_scope || scope->find(" and ") != std::string::npos) {
      return MakeError(ErrorCode::kInvalidArgument,
                       "part '" + part.path + "' was scanned under the scope " + *scope + ", not " +
                           common_scope +
                           "; scan every part with the same --from, --to, --account and "
                           "--region");
    }
  }
  auto reference = settings(first);
  if (!reference) return std::move(reference).error();
  auto keep = first.db->GetMeta("keep_duplicates");
  if (!keep) return std::move(keep).error();
  keep_duplicates_ = keep->value_or("no") == "yes";
  for (Part& part : parts_) {
    auto mine = settings(part);
    if (!mine) return std::move(mine).error();
    if (*mine != *reference) {
      return MakeError(ErrorCode::kInvalidArgument,
                       "parts '" + first.path + "' and '" + part.path +
                           "' were scanned with different filters, time basis or duplicate "
                           "policy; only scans made with the same --rules and settings merge");
    }
  }

  // Parts of a plan order their inputs by the plan; parts scanned from PATHs by the command
  // line. The two cannot be interleaved.
  const bool planned = first.manifest.has_value();
  std::set<std::int64_t> shards;
  for (Part& part : parts_) {
    if (part.manifest.has_value() != planned) {
      return MakeError(ErrorCode::kInvalidArgument,
                       "parts '" + first.path + "' and '" + part.path +
                           "': one scanned a manifest of a plan, the other PATHs, so their "
                           "inputs have no common order; merge parts of one kind");
    }
    if (!planned) {
      part.rank = static_cast<std::int64_t>(part.index);
      continue;
    }
    if (part.manifest->plan != first.manifest->plan) {
      return MakeError(ErrorCode::kInvalidArgument, "parts '" + first.path + "' and '" + part.path +
                                                        "' scanned manifests of different plans (" +
                                                        first.manifest->plan + ", " +
                                                        part.manifest->plan + ")");
    }
    if (!shards.insert(part.manifest->shard).second) {
      return MakeError(ErrorCode::kInvalidArgument,
                       "part '" + part.path + "' scanned shard " +
                           std::to_string(part.manifest->shard) +
                           " of the plan, as another part did: their manifests overlap");
    }
  }
  if (options_.plan_dir) {
    auto plan = ReadPlanInfo(*options_.plan_dir);
    if (!plan) return std::move(plan).error();
    if (!planned || first.manifest->plan != plan->plan_id) {
      return MakeError(ErrorCode::kInvalidArgument, "the parts are not the scans of plan '" +
                                                        *options_.plan_dir + "' (" + plan->plan_id +
                                                        ")");
    }
    std::string missing;
    for (std::int64_t s = 0; s < plan->shards; ++s) {
      if (!shards.count(s)) missing += (missing.empty() ? "" : ", ") + std::to_string(s);
    }
    if (!missing.empty()) {
      return MakeError(ErrorCode::kInvalidArgument,
                       "the plan has " + std::to_string(plan->shards) +
                           " shards and the parts lack shard(s) " + missing +
                           "; scan them (scan --manifest) and merge all the parts");
    }
  }
  if (planned) {
    manifest_out_ = "{\"plan\":" + JsonString(first.manifest->plan) +
                    ",\"shard\":-1,\"shards\":" + std::to_string(first.manifest->shards) + "}";
  }

  // The same input in two parts would be counted twice (and its order is ambiguous).
  std::unordered_set<std::string> seen_inputs;
  for (Part& part : parts_) {
    auto rows = part.db->Prepare("SELECT path, member FROM inputs WHERE kind != 'archive'");
    if (!rows) return std::move(rows).error();
    for (;;) {
      auto row = rows->Step();
      if (!row) return std::move(row).error();
      if (!*row) break;
      std::string key = rows->ColumnText(0);
      key.push_back('\0');
      key += rows->ColumnText(1);
      if (!seen_inputs.insert(std::move(key)).second) {
        const std::string member = rows->ColumnText(1);
        return MakeError(ErrorCode::kInvalidArgument,
                         "input '" + rows->ColumnText(0) +
                             (member.empty() ? "" : "' member '" + member) + "' of part '" +
                             part.path +
                             "' is also in an earlier part: the parts overlap (give each input "
                             "to one scan)");
      }
    }
  }
  return {};
}

Result<void> Merger::CheckOut() {
  auto db = Database::Open(options_.out);
  if (!db) return std::move(db).error();
  out_.emplace(std::move(*db));
  auto inputs = out_->QueryInt("SELECT EXISTS (SELECT 1 FROM inputs)");
  if (!inputs) return std::move(inputs).error();
  auto merged = out_->QueryInt("SELECT count(*) FROM merged_parts");
  if (!merged) return std::move(merged).error();
  auto scans = out_->QueryInt("SELECT count(*) FROM scans");
  if (!scans) return std::move(scans).error();
  if (*merged == 0) {
    if (*inputs != 0 || *scans != 0) {
      return MakeError(ErrorCode::kInvalidArgument,
                       "'" + options_.out +
                           "' is not empty (it holds a scan, or a merge that did not finish); "
                           "merge into a new database");
    }
    return {};
  }
  // A merged database: the parts it holds add nothing; any other part would have to be
  // ordered among inputs already merged, so it is refused.
  std::vector<Part> fresh;
  for (Part& part : parts_) {
    auto stmt = out_->Prepare("SELECT count(*) FROM merged_parts WHERE part_id = ?");
    if (!stmt) return std::move(stmt).error();
    stmt->Bind(1, std::string_view(part.database_id));
    if (auto r = stmt->Step(); !r) return std::move(r).error();
    if (stmt->ColumnInt(0) > 0) {
      ++summary_.parts_already;
    } else {
      fresh.push_back(std::move(part));
    }
  }
  if (!fresh.empty()) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "'" + options_.out + "' holds a merge of other parts, and part '" +
                         fresh[0].path +
                         "' is not among them; merge all the parts into a new database");
  }
  parts_.clear();
  return {};
}

Result<void> Merger::Setup() {
  Part& first = parts_[0];
  if (auto ok = Exec("BEGIN IMMEDIATE"); !ok) return ok;
  for (const char* key : {"time_basis", "keep_duplicates", "rules"}) {
    auto value = first.db->GetMeta(key);
    if (!value) return std::move(value).error();
    if (*value) {
      if (auto ok = out_->SetMeta(key, **value); !ok) return ok;
    }
  }
  if (auto ok = out_->SetMeta("manifest", manifest_out_); !ok) return ok;
  {
    std::random_device random;
    char text[33];
    for (int i = 0; i < 4; ++i) {
      std::snprintf(text + 8 * i, 9, "%08x", static_cast<unsigned>(random()));
    }
    if (auto ok = out_->SetMeta("database_id", std::string_view(text, 32)); !ok) return ok;
  }
  // The filters as the first part registered them (same ids).
  auto filters = first.db->Prepare(
      "SELECT filter_id, name, pattern, metric_name, metric_namespace, metric_value, "
      "default_value, dimensions, unit, creation_time, log_group, origin, fingerprint "
      "FROM filters ORDER BY filter_id");
  if (!filters) return std::move(filters).error();
  auto insert = out_->Prepare(
      "INSERT INTO filters (filter_id, name, pattern, metric_name, metric_namespace, "
      "metric_value, default_value, dimensions, unit, creation_time, log_group, origin, "
      "fingerprint) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
  if (!insert) return std::move(insert).error();
  for (;;) {
    auto row = filters->Step();
    if (!row) return std::move(row).error();
    if (!*row) break;
    for (int c = 0; c < 13; ++c) {
      if (filters->ColumnIsNull(c)) {
        insert->BindNull(c + 1);
      } else if (c == 0 || c == 9) {
        insert->Bind(c + 1, filters->ColumnInt(c));
      } else if (c == 6) {
        insert->Bind(c + 1, filters->ColumnDouble(c));
      } else {
        insert->Bind(c + 1, std::string_view(filters->ColumnText(c)));
      }
    }
    if (auto ok = insert->Run(); !ok) return ok;
    if (!filters->ColumnIsNull(6)) {
      defaults_.emplace_back(filters->ColumnInt(0), filters->ColumnText(4), filters->ColumnText(3),
                             filters->ColumnDouble(6));
    }
  }
  std::string parts_json = "{\"merge\":[";
  for (std::size_t i = 0; i < parts_.size(); ++i) {
    parts_json += (i > 0 ? "," : "") + JsonString(parts_[i].path);
  }
  parts_json += "]}";
  auto scan_id = BeginScanRecord(*out_, options_.version, parts_json, NowText());
  if (!scan_id) return std::move(scan_id).error();
  scan_id_ = *scan_id;
  return Exec("COMMIT");
}

Result<void> Merger::AddAggregates(Part& part) {
  auto attach = out_->Prepare("ATTACH DATABASE ? AS part");
  if (!attach) return std::move(attach).error();
  attach->Bind(1, std::string_view(part.path));
  if (auto ok = attach->Run(); !ok) return ok;
  auto body = [&]() -> Result<void> {
    if (auto ok = Exec("BEGIN IMMEDIATE"); !ok) return ok;
    const char* statements[] = {
        "INSERT OR IGNORE INTO main.series (metric_namespace, metric_name, dimensions) "
        "SELECT metric_namespace, metric_name, dimensions FROM part.series ORDER BY series_id",
        "INSERT INTO main.minute_totals (minute, events) SELECT minute, events "
        "FROM part.minute_totals WHERE true ON CONFLICT (minute) "
        "DO UPDATE SET events = events + excluded.events",
        "INSERT INTO main.filter_buckets (filter_id, bucket, matches, value_sum) "
        "SELECT f.filter_id, b.bucket, b.matches, b.value_sum FROM part.filter_buckets AS b "
        "JOIN part.filters AS pf ON pf.filter_id = b.filter_id "
        "JOIN main.filters AS f ON f.name = pf.name WHERE true "
        "ON CONFLICT (filter_id, bucket) DO UPDATE SET matches = matches + excluded.matches, "
        "value_sum = value_sum + excluded.value_sum",
        "INSERT INTO main.samples (series_id, minute, sample_count, sum, minimum, maximum) "
        "SELECT s.series_id, p.minute, p.sample_count, p.sum, p.minimum, p.maximum "
        "FROM part.samples AS p JOIN part.series AS ps ON ps.series_id = p.series_id "
        "JOIN main.series AS s ON s.metric_namespace = ps.metric_namespace AND "
        "s.metric_name = ps.metric_name AND s.dimensions = ps.dimensions WHERE true "
        "ON CONFLICT (series_id, minute) DO UPDATE SET "
        "sample_count = sample_count + excluded.sample_count, sum = sum + excluded.sum, "
        "minimum = min(minimum, excluded.minimum), maximum = max(maximum, excluded.maximum)",
        "INSERT INTO main.sample_values (series_id, minute, value, count) "
        "SELECT s.series_id, p.minute, p.value, p.count "
        "FROM part.sample_values AS p JOIN part.series AS ps ON ps.series_id = p.series_id "
        "JOIN main.series AS s ON s.metric_namespace = ps.metric_namespace AND "
        "s.metric_name = ps.metric_name AND s.dimensions = ps.dimensions WHERE true "
        "ON CONFLICT (series_id, minute, value) DO UPDATE SET count = count + excluded.count",
    };
    for (const char* sql : statements) {
      if (auto ok = Exec(sql); !ok) return ok;
    }
    if (!keep_duplicates_) {
      // The keys of the hours no other part has, as they are (chunks numbered per hour, so
      // they cannot collide); the shared hours are written by the duplicate check.
      auto copy = out_->Prepare(
          "INSERT INTO main.seen_ids (hour, chunk, keys) SELECT hour, chunk, keys "
          "FROM part.seen_ids WHERE hour = ?");
      if (!copy) return std::move(copy).error();
      auto hours = part.db->Prepare("SELECT DISTINCT hour FROM seen_ids");
      if (!hours) return std::move(hours).error();
      for (;;) {
        auto row = hours->Step();
        if (!row) return std::move(row).error();
        if (!*row) break;
        if (shared_hours_.count(hours->ColumnInt(0)) != 0) continue;
        copy->Bind(1, hours->ColumnInt(0));
        if (auto ok = copy->Run(); !ok) return ok;
      }
    }
    return Exec("COMMIT");
  };
  auto ok = body();
  if (!ok) (void)Exec("ROLLBACK");
  auto detached = Exec("DETACH DATABASE part");
  if (!ok) return ok;
  return detached;
}

Result<void> Merger::MapPart(Part& part) {
  // Its record dictionaries, which its compressed records name (record_codec.h): under the
  // same IDs, since an ID is derived from the dictionary's bytes. Two parts trained on the
  // same records bring the same one. A part written before version 9 has none (and opened
  // read-only, it is not migrated).
  auto has_dictionaries =
      part.db->QueryInt("SELECT count(*) FROM sqlite_schema WHERE name = 'record_dictionaries'");
  if (!has_dictionaries) return std::move(has_dictionaries).error();
  auto dictionaries = part.db->Prepare(
      *has_dictionaries != 0 ? "SELECT dictionary_id, dictionary, created_at, samples, "
                               "sample_bytes FROM record_dictionaries"
                             : "SELECT 0, x'', '', 0, 0 WHERE 0");
  if (!dictionaries) return std::move(dictionaries).error();
  auto add_dictionary = out_->Prepare(
      "INSERT OR IGNORE INTO record_dictionaries (dictionary_id, dictionary, created_at, "
      "samples, sample_bytes) VALUES (?, ?, ?, ?, ?)");
  if (!add_dictionary) return std::move(add_dictionary).error();
  auto same =
      out_->Prepare("SELECT dictionary = ? FROM record_dictionaries WHERE dictionary_id = ?");
  if (!same) return std::move(same).error();
  for (;;) {
    auto row = dictionaries->Step();
    if (!row) return std::move(row).error();
    if (!*row) break;
    const std::int64_t id = dictionaries->ColumnInt(0);
    add_dictionary->Bind(1, id)
        .BindBlob(2, dictionaries->ColumnBlob(1))
        .Bind(3, std::string_view(dictionaries->ColumnText(2)))
        .Bind(4, dictionaries->ColumnInt(3))
        .Bind(5, dictionaries->ColumnInt(4));
    if (auto ok = add_dictionary->Run(); !ok) return ok;
    same->BindBlob(1, dictionaries->ColumnBlob(1)).Bind(2, id);
    auto r = same->Step();
    if (!r) return std::move(r).error();
    const bool equal = *r && same->ColumnInt(0) == 1;
    same->Reset();
    if (!equal) {
      return MakeError(ErrorCode::kInvalidArgument,
                       "part '" + part.path + "' has a record dictionary " + std::to_string(id) +
                           " that differs from another part's of the same ID (a 1 in 2^31 "
                           "chance): its records cannot be merged into one database");
    }
  }
  auto filters = part.db->Prepare("SELECT filter_id, name FROM filters");
  if (!filters) return std::move(filters).error();
  auto find_filter = out_->Prepare("SELECT filter_id FROM filters WHERE name = ?");
  if (!find_filter) return std::move(find_filter).error();
  for (;;) {
    auto row = filters->Step();
    if (!row) return std::move(row).error();
    if (!*row) break;
    find_filter->Bind(1, std::string_view(filters->ColumnText(1)));
    if (auto r = find_filter->Step(); !r) return std::move(r).error();
    part.filter_map[filters->ColumnInt(0)] = find_filter->ColumnInt(0);
    find_filter->Reset();
  }
  auto series =
      part.db->Prepare("SELECT series_id, metric_namespace, metric_name, dimensions FROM series");
  if (!series) return std::move(series).error();
  auto find_series = out_->Prepare(
      "SELECT series_id FROM series WHERE metric_namespace = ? AND metric_name = ? AND "
      "dimensions = ?");
  if (!find_series) return std::move(find_series).error();
  for (;;) {
    auto row = series->Step();
    if (!row) return std::move(row).error();
    if (!*row) break;
    find_series->Bind(1, std::string_view(series->ColumnText(1)))
        .Bind(2, std::string_view(series->ColumnText(2)))
        .Bind(3, std::string_view(series->ColumnText(3)));
    if (auto r = find_series->Step(); !r) return std::move(r).error();
    part.series_map[series->ColumnInt(0)] = find_series->ColumnInt(0);
    find_series->Reset();
  }
  // Its scan_errors, by input (those of no input, such as discovery's, are copied first).
  auto errors = part.db->Prepare(
      "SELECT path, member, offset, record_index, kind, message FROM scan_errors "
      "ORDER BY error_id");
  if (!errors) return std::move(errors).error();
  for (;;) {
    auto row = errors->Step();
    if (!row) return std::move(row).error();
    if (!*row) break;
    std::vector<std::string> fields;
    for (int c = 2; c < 6; ++c)
      fields.push_back(errors->ColumnIsNull(c) ? "\x01" : errors->ColumnText(c));
    part.errors[{errors->ColumnText(0), errors->ColumnText(1)}].push_back(std::move(fields));
  }
  auto ledger = part.db->Prepare(std::string("SELECT input_id, ") + kInputColumns +
                                 " FROM inputs ORDER BY order_time, order_seq, input_id");
  if (!ledger) return std::move(ledger).error();
  part.ledger = std::move(*ledger);
  auto keys = part.db->Prepare("SELECT keys FROM input_keys WHERE input_id = ? ORDER BY chunk_id");
  if (!keys) return std::move(keys).error();
  part.keys = std::move(*keys);
  auto events = part.db->Prepare(std::string("SELECT event_pk, ") + kEventColumns +
                                 " FROM events WHERE input_id = ? ORDER BY event_pk");
  if (!events) return std::move(events).error();
  part.events_of = std::move(*events);
  auto matches =
      part.db->Prepare("SELECT filter_id, value, series_id FROM event_matches WHERE event_pk = ?");
  if (!matches) return std::move(matches).error();
  part.matches_of = std::move(*matches);
  return {};
}

Result<bool> Merger::Advance(Part& part) {
  auto row = part.ledger.Step();
  if (!row) return std::move(row).error();
  part.has_row = *row;
  return *row;
}

Result<void> Merger::MergeInput(Part& part) {
  Statement& in = part.ledger;
  const std::int64_t part_input = in.ColumnInt(0);
  const std::string path = in.ColumnText(1), member = in.ColumnText(2);

  // Its ledger row (its counts corrected below, once its keys have been through the check).
  for (int c = 0; c < kInputCount; ++c) {
    const int column = c + 1, index = c + 1;
    if (in.ColumnIsNull(column)) {
      insert_input_.BindNull(index);
    } else if (c == 18) {  // order_seq: a plain part's, offset by its place
      insert_input_.Bind(index, in.ColumnInt(column) + (part.rank << kRankShift));
    } else if (c == 3 || c == 4 || (c >= 7 && c <= 11) || c == 15 || c == 17) {
      insert_input_.Bind(index, in.ColumnInt(column));
    } else {
      insert_input_.Bind(index, std::string_view(in.ColumnText(column)));
    }
  }
  insert_input_.Bind(kInputCount + 1, scan_id_);
  if (auto ok = insert_input_.Run(); !ok) return ok;
  const std::int64_t input_id = out_->LastInsertRowId();

  // The keys it counted, through the duplicate check of one scan in the global order, chunk
  // by chunk; the kept ones become OUT's chunks.
  KeyChunkWriter out_keys;
  // The copies one scan would have dropped: (hour, key) -> their minutes, in record order.
  struct KeyHash {
    std::size_t operator()(const std::pair<std::int64_t, EventKey>& k) const {
      std::size_t h = 0;
      std::memcpy(&h, k.second.bytes, sizeof h);
      return h ^ static_cast<std::size_t>(k.first);
    }
  };
  std::unordered_map<std::pair<std::int64_t, EventKey>, std::vector<std::int64_t>, KeyHash> losers;
  std::int64_t dropped = 0;
  part.keys.Bind(1, part_input);
  for (;;) {
    auto key_row = part.keys.Step();
    if (!key_row) return std::move(key_row).error();
    if (!*key_row) break;
    auto decoded = DecodeKeys(part.keys.ColumnBlob(0));
    if (!decoded) {
      part.keys.Reset();
      return MakeError(ErrorCode::kInvalidArgument, "part '" + part.path + "', input '" + path +
                                                        "': " + decoded.error().message);
    }
    out_keys.Clear();
    bool all_fresh = true;
    for (const KeyedEvent& e : *decoded) {
      bool fresh = true;
      // Only an hour two parts counted events in can hold a copy another part kept.
      if (seen_ && shared_hours_.count(FloorTo(e.event_time, kHourSeconds)) != 0) {
        auto inserted = seen_->Insert(e.event_time, e.key);
        if (!inserted) {
          part.keys.Reset();
          return std::move(inserted).error();
        }
        fresh = *inserted;
      }
      if (fresh) {
        out_keys.Add(e);
      } else {
        losers[{FloorTo(e.event_time, kHourSeconds), e.key}].push_back(e.minute);
        ++dropped;
        all_fresh = false;
      }
    }
    if (all_fresh) {  // the chunk as it is
      insert_keys_.Bind(1, input_id).BindBlob(2, part.keys.ColumnBlob(0));
      if (auto ok = insert_keys_.Run(); !ok) {
        part.keys.Reset();
        return ok;
      }
      continue;
    }
    for (std::size_t c = 0; c < out_keys.chunks(); ++c) {
      insert_keys_.Bind(1, input_id).BindBlob(2, out_keys.chunk(c));
      if (auto ok = insert_keys_.Run(); !ok) {
        part.keys.Reset();
        return ok;
      }
    }
  }
  part.keys.Reset();

  if (dropped > 0) {
    correct_input_.Bind(1, dropped).Bind(2, input_id);
    if (auto ok = correct_input_.Run(); !ok) return ok;
  }
  ++summary_.inputs;
  summary_.events += static_cast<std::uint64_t>(in.ColumnInt(9) - dropped);
  summary_.duplicates += static_cast<std::uint64_t>(dropped);

  // What a duplicate contributed comes off the sums.
  auto minus_sample = [&](std::int64_t series, std::int64_t minute, double value) {
    auto& s = minus_samples_[{series, minute}];
    ++s.first;
    s.second += value;
    ++minus_values_[{series, minute, value}];
  };
  // A stored event is a dropped copy when its (hour, key) has one left: the copies of a key
  // in an input are met in record order both in its keys and in its events.
  auto take_loser = [&](const std::optional<std::string>& event_id,
                        std::int64_t event_time) -> bool {
    if (!event_id || losers.empty()) return false;
    auto it = losers.find({FloorTo(event_time, kHourSeconds), KeyOfEventId(*event_id)});
    if (it == losers.end()) return false;
    it->second.erase(it->second.begin());
    if (it->second.empty()) losers.erase(it);
    return true;
  };

  // Its matching events, in their order, with their matches.
  part.events_of.Bind(1, part_input);
  for (;;) {
    auto row = part.events_of.Step();
    if (!row) return std::move(row).error();
    if (!*row) break;
    Statement& ev = part.events_of;
    const std::int64_t part_pk = ev.ColumnInt(0);
    std::optional<std::string> event_id;
    if (!ev.ColumnIsNull(1)) event_id = ev.ColumnText(1);
    const std::int64_t event_time = ev.ColumnInt(2), stamp = ev.ColumnInt(3);
    part.matches_of.Bind(1, part_pk);
    if (take_loser(event_id, event_time)) {
      const std::int64_t minute = FloorTo(stamp, kMinuteSeconds);
      ++minus_minutes_[minute];
      std::set<std::int64_t> matched;
      for (;;) {
        auto m = part.matches_of.Step();
        if (!m) return std::move(m).error();
        if (!*m) break;
        const std::int64_t filter = part.filter_map[part.matches_of.ColumnInt(0)];
        matched.insert(filter);
        auto& bucket = minus_buckets_[{filter, FloorTo(stamp, kBucketSeconds)}];
        ++bucket.first;
        if (!part.matches_of.ColumnIsNull(1)) {
          const double value = part.matches_of.ColumnDouble(1);
          bucket.second += value;
          if (!part.matches_of.ColumnIsNull(2)) {
            minus_sample(part.series_map[part.matches_of.ColumnInt(2)], minute, value);
          }
        }
      }
      part.matches_of.Reset();
      for (const auto& [filter, ns, name, value] : defaults_) {
        if (!matched.count(filter)) minus_sample(default_series_[filter], minute, value);
      }
      continue;
    }
    // `ev` stays as it is until the insert has run.
    for (int c = 1; c <= 13; ++c) {
      const int index = c <= 11 ? c : c + 1;  // input_id is parameter 12
      if (ev.ColumnIsNull(c)) {
        insert_event_.BindNull(index);
      } else if (c >= 4 && c <= 11) {  // a repeated string: this database's id for it
        auto id = strings_->Id(std::string_view(ev.ColumnText(c)));
        if (!id) return std::move(id).error();
        insert_event_.Bind(index, **id);
      } else if (c == 2 || c == 3 || c == 12) {
        insert_event_.Bind(index, ev.ColumnInt(c));
      } else if (ev.ColumnIsBlob(c)) {  // raw, compressed: copied as it is
        insert_event_.BindBlob(index, ev.ColumnBlob(c));
      } else {
        insert_event_.Bind(index, std::string_view(ev.ColumnText(c)));
      }
    }
    insert_event_.Bind(12, input_id);
    if (auto ok = insert_event_.Run(); !ok) return ok;
    const std::int64_t event_pk = out_->LastInsertRowId();
    for (;;) {
      auto m = part.matches_of.Step();
      if (!m) return std::move(m).error();
      if (!*m) break;
      insert_match_.Bind(1, part.filter_map[part.matches_of.ColumnInt(0)]).Bind(2, event_pk);
      if (part.matches_of.ColumnIsNull(1)) {
        insert_match_.BindNull(3);
      } else {
        insert_match_.Bind(3, part.matches_of.ColumnDouble(1));
      }
      if (part.matches_of.ColumnIsNull(2)) {
        insert_match_.BindNull(4);
      } else {
        insert_match_.Bind(4, part.series_map[part.matches_of.ColumnInt(2)]);
      }
      if (auto ok = insert_match_.Run(); !ok) return ok;
    }
    part.matches_of.Reset();
  }
  part.events_of.Reset();
  // Duplicates that matched nothing: their minute, and the defaultValues they published.
  for (const auto& [key, minutes] : losers) {
    for (const std::int64_t minute : minutes) {
      ++minus_minutes_[minute];
      for (const auto& [filter, ns, name, value] : defaults_) {
        minus_sample(default_series_[filter], minute, value);
      }
    }
  }

  // Its errors.
  if (auto it = part.errors.find({path, member}); it != part.errors.end()) {
    for (const auto& fields : it->second) {
      insert_error_.Bind(1, scan_id_)
          .Bind(2, std::string_view(path))
          .Bind(3, std::string_view(member));
      for (int c = 0; c < 4; ++c) {
        if (fields[static_cast<std::size_t>(c)] == "\x01") {
          insert_error_.BindNull(c + 4);
        } else if (c < 2) {
          insert_error_.Bind(
              c + 4, static_cast<std::int64_t>(std::stoll(fields[static_cast<std::size_t>(c)])));
        } else {
          insert_error_.Bind(c + 4, std::string_view(fields[static_cast<std::size_t>(c)]));
        }
      }
      if (auto ok = insert_error_.Run(); !ok) return ok;
    }
    part.errors.erase(it);
  }
  ++batch_inputs_;
  return {};
}

Result<void> Merger::FlushCorrections() {
  auto run = [&](const char* sql, auto bind) -> Result<void> {
    auto stmt = out_->Prepare(sql);
    if (!stmt) return std::move(stmt).error();
    return bind(*stmt);
  };
  if (auto ok = run("UPDATE minute_totals SET events = events - ?2 WHERE minute = ?1",
                    [&](Statement& s) -> Result<void> {
                      for (const auto& [minute, n] : minus_minutes_) {
                        s.Bind(1, minute).Bind(2, n);
                        if (auto r = s.Run(); !r) return r;
                      }
                      return {};
                    });
      !ok) {
    return ok;
  }
  if (auto ok = run("UPDATE filter_buckets SET matches = matches - ?3, value_sum = value_sum - ?4 "
                    "WHERE filter_id = ?1 AND bucket = ?2",
                    [&](Statement& s) -> Result<void> {
                      for (const auto& [key, d] : minus_buckets_) {
                        s.Bind(1, key.first).Bind(2, key.second).Bind(3, d.first).Bind(4, d.second);
                        if (auto r = s.Run(); !r) return r;
                      }
                      return {};
                    });
      !ok) {
    return ok;
  }
  if (auto ok =
          run("UPDATE sample_values SET count = count - ?4 WHERE series_id = ?1 AND minute = ?2 "
              "AND value = ?3",
              [&](Statement& s) -> Result<void> {
                for (const auto& [key, n] : minus_values_) {
                  s.Bind(1, std::get<0>(key)).Bind(2, std::get<1>(key)).Bind(3, std::get<2>(key));
                  s.Bind(4, n);
                  if (auto r = s.Run(); !r) return r;
                }
                return {};
              });
      !ok) {
    return ok;
  }
  if (auto ok = run("UPDATE samples SET sample_count = sample_count - ?3, sum = sum - ?4, "
                    "minimum = coalesce((SELECT min(value) FROM sample_values AS v WHERE "
                    "v.series_id = ?1 AND v.minute = ?2 AND v.count > 0), minimum), "
                    "maximum = coalesce((SELECT max(value) FROM sample_values AS v WHERE "
                    "v.series_id = ?1 AND v.minute = ?2 AND v.count > 0), maximum) "
                    "WHERE series_id = ?1 AND minute = ?2",
                    [&](Statement& s) -> Result<void> {
                      for (const auto& [key, d] : minus_samples_) {
                        s.Bind(1, key.first).Bind(2, key.second).Bind(3, d.first).Bind(4, d.second);
                        if (auto r = s.Run(); !r) return r;
                      }
                      return {};
                    });
      !ok) {
    return ok;
  }
  if (!minus_minutes_.empty()) {
    if (auto ok = Exec("DELETE FROM minute_totals WHERE events <= 0"); !ok) return ok;
  }
  if (!minus_buckets_.empty()) {
    if (auto ok = Exec("DELETE FROM filter_buckets WHERE matches <= 0"); !ok) return ok;
  }
  if (!minus_values_.empty()) {
    if (auto ok = Exec("DELETE FROM sample_values WHERE count <= 0"); !ok) return ok;
    if (auto ok = Exec("DELETE FROM samples WHERE sample_count <= 0"); !ok) return ok;
  }
  minus_minutes_.clear();
  minus_buckets_.clear();
  minus_samples_.clear();
  minus_values_.clear();
  return {};
}

Result<MergeSummary> Merger::Run() {
  const auto started = std::chrono::steady_clock::now();
  if (auto ok = OpenParts(); !ok) return std::move(ok).error();
  if (auto ok = CheckOut(); !ok) return std::move(ok).error();
  if (parts_.empty()) return summary_;  // everything merged before
  if (auto ok = Exec("PRAGMA cache_size=-32768"); !ok) return std::move(ok).error();
  if (auto ok = Setup(); !ok) return std::move(ok).error();
  auto deferred = DeferEventIndexes(*out_);
  if (!deferred) return std::move(deferred).error();
  if (!keep_duplicates_) {
    std::unordered_map<std::int64_t, int> parts_of_hour;
    for (Part& part : parts_) {
      auto hours = part.db->Prepare(
          "SELECT DISTINCT hour FROM seen_ids UNION SELECT NULL FROM seen_events LIMIT -1");
      if (!hours) return std::move(hours).error();
      for (;;) {
        auto row = hours->Step();
        if (!row) return std::move(row).error();
        if (!*row) break;
        if (hours->ColumnIsNull(0)) {
          return MakeError(ErrorCode::kInvalidArgument,
                           "part '" + part.path +
                               "' holds eventIDs recorded before schema 4 (seen_events); scan "
                               "its inputs again into a new database to merge them");
        }
        if (++parts_of_hour[hours->ColumnInt(0)] == 2) shared_hours_.insert(hours->ColumnInt(0));
      }
    }
  }
  for (Part& part : parts_) {
    if (auto ok = AddAggregates(part); !ok) return std::move(ok).error();
  }
  for (Part& part : parts_) {
    if (auto ok = MapPart(part); !ok) return std::move(ok).error();
  }
  {
    auto find = out_->Prepare(
        "SELECT series_id FROM series WHERE metric_namespace = ? AND metric_name = ? AND "
        "dimensions = '{}'");
    if (!find) return std::move(find).error();
    for (const auto& [filter, ns, name, value] : defaults_) {
      find->Bind(1, std::string_view(ns)).Bind(2, std::string_view(name));
      if (auto r = find->Step(); !r) return std::move(r).error();
      default_series_[filter] = find->ColumnInt(0);
      find->Reset();
    }
  }
  struct Prepared {
    Statement* target;
    std::string sql;
  };
  const Prepared statements[] = {
      {&insert_input_, std::string("INSERT INTO inputs (") + kInputColumns +
                           ", scan_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, "
                           "?, ?, ?, ?)"},
      {&correct_input_,
       "UPDATE inputs SET events = events - ?1, duplicates = duplicates + ?1 WHERE input_id = ?2"},
      {&insert_keys_, "INSERT INTO input_keys (input_id, keys) VALUES (?, ?)"},
      {&insert_event_,
       "INSERT INTO event_rows (event_id, event_time, stamp, account_ref, region_ref, "
       "source_ref, name_ref, error_ref, ip_ref, principal_ref, agent_ref, input_id, "
       "record_index, raw) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"},
      {&insert_match_,
       "INSERT INTO event_matches (filter_id, event_pk, value, series_id) VALUES (?, ?, ?, ?)"},
      {&insert_error_,
       "INSERT INTO scan_errors (scan_id, path, member, offset, record_index, kind, message) "
       "VALUES (?, ?, ?, ?, ?, ?, ?)"},
  };
  for (const auto& [target, sql] : statements) {
    auto stmt = out_->Prepare(sql);
    if (!stmt) return std::move(stmt).error();
    *target = std::move(*stmt);
  }
  auto strings = EventStrings::Open(*out_);
  if (!strings) return std::move(strings).error();
  strings_.emplace(std::move(*strings));
  if (!keep_duplicates_) {
    auto seen = SeenIds::Open(*out_);
    if (!seen) return std::move(seen).error();
    seen_.emplace(std::move(*seen));
  }

  if (auto ok = Exec("BEGIN IMMEDIATE"); !ok) return std::move(ok).error();
  // Errors of no input (discovery's, unreadable files left for the next scan) come first, as
  // a scan writes them.
  for (Part& part : parts_) {
    auto has_input =
        part.db->Prepare("SELECT EXISTS (SELECT 1 FROM inputs WHERE path = ? AND member = ?)");
    if (!has_input) return std::move(has_input).error();
    for (auto it = part.errors.begin(); it != part.errors.end();) {
      has_input->Bind(1, std::string_view(it->first.first))
          .Bind(2, std::string_view(it->first.second));
      if (auto r = has_input->Step(); !r) return std::move(r).error();
      const bool tied = has_input->ColumnInt(0) != 0;
      has_input->Reset();
      if (tied) {
        ++it;
        continue;
      }
      for (const auto& fields : it->second) {
        insert_error_.Bind(1, scan_id_)
            .Bind(2, std::string_view(it->first.first))
            .Bind(3, std::string_view(it->first.second));
        for (int c = 0; c < 4; ++c) {
          const std::string& f = fields[static_cast<std::size_t>(c)];
          if (f == "\x01") {
            insert_error_.BindNull(c + 4);
          } else if (c < 2) {
            insert_error_.Bind(c + 4, static_cast<std::int64_t>(std::stoll(f)));
          } else {
            insert_error_.Bind(c + 4, std::string_view(f));
          }
        }
        if (auto ok = insert_error_.Run(); !ok) return std::move(ok).error();
      }
      it = part.errors.erase(it);
    }
  }

  // The k-way merge of the ledgers in the global input order.
  std::priority_queue<OrderKey, std::vector<OrderKey>, std::greater<>> queue;
  auto push = [&](std::size_t p) -> Result<void> {
    Part& part = parts_[p];
    auto more = Advance(part);
    if (!more) return std::move(more).error();
    if (!*more) return {};
    const Statement& in = part.ledger;
    queue.push({in.ColumnIsNull(18) ? std::numeric_limits<std::int64_t>::min() : in.ColumnInt(18),
                part.rank, in.ColumnInt(19), in.ColumnInt(0), p});
    return {};
  };
  for (std::size_t p = 0; p < parts_.size(); ++p) {
    if (auto ok = push(p); !ok) return std::move(ok).error();
  }
  while (!queue.empty()) {
    const OrderKey top = queue.top();
    queue.pop();
    if (auto ok = MergeInput(parts_[top.part]); !ok) return std::move(ok).error();
    if (auto ok = push(top.part); !ok) return std::move(ok).error();
    if (batch_inputs_ >= 2000) {
      if (auto ok = FlushCorrections(); !ok) return std::move(ok).error();
      if (seen_) {
        if (auto ok = seen_->Flush(); !ok) return std::move(ok).error();
      }
      if (auto ok = Exec("COMMIT"); !ok) return std::move(ok).error();
      if (seen_) seen_->Trim();
      batch_inputs_ = 0;
      if (auto ok = Exec("BEGIN IMMEDIATE"); !ok) return std::move(ok).error();
    }
  }
  if (auto ok = FlushCorrections(); !ok) return std::move(ok).error();
  if (seen_) {
    if (auto ok = seen_->Flush(); !ok) return std::move(ok).error();
  }
  // A series only duplicates published to is not one a scan would have made.
  if (auto ok = Exec("DELETE FROM series WHERE series_id NOT IN (SELECT series_id FROM samples) "
                     "AND series_id NOT IN (SELECT series_id FROM event_matches WHERE series_id "
                     "IS NOT NULL)");
      !ok) {
    return std::move(ok).error();
  }
  auto record = out_->Prepare(
      "INSERT INTO merged_parts (part_id, path, manifest, inputs, events, merged_at) "
      "VALUES (?, ?, ?, ?, ?, ?)");
  if (!record) return std::move(record).error();
  for (const Part& part : parts_) {
    record->Bind(1, std::string_view(part.database_id)).Bind(2, std::string_view(part.path));
    if (part.manifest_json.empty()) {
      record->BindNull(3);
    } else {
      record->Bind(3, std::string_view(part.manifest_json));
    }
    record->Bind(4, part.inputs).Bind(5, part.events).Bind(6, std::string_view(NowText()));
    if (auto ok = record->Run(); !ok) return std::move(ok).error();
  }
  if (auto ok = Exec("COMMIT"); !ok) return std::move(ok).error();
  if (*deferred) {
    if (auto ok = BuildEventIndexes(*out_); !ok) return std::move(ok).error();
  }
  summary_.parts = parts_.size();
  summary_.seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  const std::string summary_json =
      "{\"parts\":" + std::to_string(summary_.parts) +
      ",\"inputs\":" + std::to_string(summary_.inputs) +
      ",\"events\":" + std::to_string(summary_.events) +
      ",\"duplicates_across_parts\":" + std::to_string(summary_.duplicates) + "}";
  if (auto ok = FinishScanRecord(*out_, scan_id_, "complete", summary_json, NowText()); !ok) {
    return std::move(ok).error();
  }
  return summary_;
}

}  // namespace

Result<MergeSummary> Merge(const MergeOptions& options) {
  Merger merger(options);
  return merger.Run();
}

Result<PlanInfo> ReadPlanInfo(const std::string& plan_dir) {
  const std::string path = plan_dir + "/plan.json";
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return MakeError(ErrorCode::kIo, "cannot read '" + path + "': is it a plan's --out?");
  }
  std::stringstream text;
  text << in.rdbuf();
  const std::string json = text.str();
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  PlanInfo info;
  std::string_view id;
  if (parser.parse(json).get(doc) || doc["plan"].get(id) || doc["shards"].get(info.shards)) {
    return MakeError(ErrorCode::kInvalidArgument, "'" + path + "' is not what `plan` writes");
  }
  info.plan_id = std::string(id);
  return info;
}

}  // namespace trailreplay::store

#include "store/writer.h"

#include <sqlite3.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cstdio>
#include <limits>
#include <random>
#include <thread>

#include "common/json_escape.h"
#include "common/time.h"

namespace trailreplay::store {

std::string_view InputStatusName(InputStatus status) {
  switch (status) {
    case InputStatus::kOk:
      return "ok";
    case InputStatus::kPartial:
      return "partial";
    case InputStatus::kError:
      return "error";
    case InputStatus::kSkipped:
      return "skipped";
    case InputStatus::kRetry:
      return "retry";
    case InputStatus::kRefused:
      return "refused";
  }
  return "?";
}

namespace {

// The indexes of event_rows whose keys arrive in random order, as schema/010_event_strings.sql
// creates them (a test compares the two).
constexpr std::array<std::pair<std::string_view, std::string_view>, 4> kDeferredIndexes = {{
    {"events_by_event_id",
     "CREATE INDEX IF NOT EXISTS events_by_event_id ON event_rows (event_id)"},
    {"events_by_principal",
     "CREATE INDEX IF NOT EXISTS events_by_principal ON event_rows (principal_ref, stamp)"},
    {"events_by_source_ip",
     "CREATE INDEX IF NOT EXISTS events_by_source_ip ON event_rows (ip_ref, stamp)"},
    {"events_by_name", "CREATE INDEX IF NOT EXISTS events_by_name ON event_rows (name_ref, stamp)"},
}};

std::string DimensionsJson(const metric::MetricTransformation& t) {
  std::string out = "{";
  for (std::size_t i = 0; i < t.dimensions.size(); ++i) {
    if (i > 0) out += ",";
    out += JsonString(t.dimensions[i].first) + ":" + JsonString(t.dimensions[i].second);
  }
  return out + "}";
}

// Settings stored in meta must equal this scan's.
Result<void> CheckSetting(Database& db, std::string_view key, std::string_view value,
                          std::string_view hint) {
  auto stored = db.GetMeta(key);
  if (!stored) return std::move(stored).error();
  if (!stored->has_value()) return db.SetMeta(key, value);
  if (**stored != value) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "database '" + db.path() + "' was scanned with " + std::string(key) + " " +
                         **stored + ", not " + std::string(value) + "; " + std::string(hint));
  }
  return {};
}

}  // namespace

Result<void> RecordManifest(Database& db, std::string_view manifest_json) {
  auto stored = db.GetMeta("manifest");
  if (!stored) return std::move(stored).error();
  const std::string have = stored->value_or("");
  if (have == manifest_json) return {};
  if (have.empty()) {
    auto inputs = db.QueryInt("SELECT EXISTS (SELECT 1 FROM inputs)");
    if (!inputs) return std::move(inputs).error();
    if (*inputs > 0) {
      return MakeError(ErrorCode::kInvalidArgument,
                       "database '" + db.path() +
                           "' holds a scan of PATHs; scan a manifest into a database of its own");
    }
    return db.SetMeta("manifest", manifest_json);
  }
  return MakeError(
      ErrorCode::kInvalidArgument,
      "database '" + db.path() + "' holds the scan of manifest " + have + ", not " +
          (manifest_json.empty() ? std::string("of PATHs") : std::string(manifest_json)) +
          "; scan each manifest into a database of its own");
}

Result<std::vector<std::int64_t>> RegisterFilters(Database& db, const metric::FilterSet& filters,
                                                  const StoreSettings& settings) {
  if (auto ok = db.Exec("BEGIN IMMEDIATE"); !ok) return std::move(ok).error();
  auto body = [&]() -> Result<std::vector<std::int64_t>> {
    const std::string hint = "scan into a new database to change it";
    if (auto ok = CheckSetting(db, "time_basis", settings.time_basis, hint); !ok) {
      return std::move(ok).error();
    }
    if (auto ok =
            CheckSetting(db, "keep_duplicates", settings.keep_duplicates ? "yes" : "no", hint);
        !ok) {
      return std::move(ok).error();
    }
    // The filter set is fixed once anything has been counted under it: a filter added later
    // would see only the files scanned after it, a silent undercount.
    // EXISTS, not count(*): counting read every page of the ledger into the page cache (30 MB
    // of a rescan's memory with half a million rows, and a second of its time).
    auto inputs = db.QueryInt("SELECT EXISTS (SELECT 1 FROM inputs)");
    if (!inputs) return std::move(inputs).error();
    auto imports = db.QueryInt("SELECT count(*) FROM imports");
    if (!imports) return std::move(imports).error();
    if (!settings.importing && *imports > 0) {
      return MakeError(ErrorCode::kInvalidArgument,
                       "database '" + db.path() +
                           "' holds samples imported from a query result (import-samples), "
                           "which carry no eventIDs, so a scan could count their events twice; "
                           "scan into a new database");
    }
    if (settings.importing && *inputs > 0) {
      return MakeError(ErrorCode::kInvalidArgument,
                       "database '" + db.path() +
                           "' holds the counts of a scan; import the query result into a new "
                           "database (its samples carry no eventIDs to remove duplicates by)");
    }
    const bool has_inputs = *inputs > 0 || *imports > 0;
    // A scan database's identity, for `merge` to tell a part it has merged before.
    auto id = db.GetMeta("database_id");
    if (!id) return std::move(id).error();
    if (!id->has_value() && !settings.importing) {
      std::random_device random;
      char text[33];
      for (int i = 0; i < 4; ++i) {
        std::snprintf(text + 8 * i, 9, "%08x", static_cast<unsigned>(random()));
      }
      if (auto ok = db.SetMeta("database_id", std::string_view(text, 32)); !ok) {
        return std::move(ok).error();
      }
    }

    auto existing =
        db.Prepare("SELECT filter_id, name, fingerprint FROM filters ORDER BY filter_id");
    if (!existing) return std::move(existing).error();
    std::map<std::string, std::pair<std::int64_t, std::string>> stored;
    for (;;) {
      auto more = existing->Step();
      if (!more) return std::move(more).error();
      if (!*more) break;
      stored[existing->ColumnText(1)] = {existing->ColumnInt(0), existing->ColumnText(2)};
    }
    if (has_inputs) {
      std::vector<std::string> problems;
      std::map<std::string, bool> wanted;
      for (std::size_t i = 0; i < filters.size(); ++i) {
        const auto& spec = filters.spec(i);
        wanted[spec.name] = true;
        auto it = stored.find(spec.name);
        if (it == stored.end()) {
          problems.push_back("filter '" + spec.name + "' is new");
        } else if (it->second.second != metric::FilterFingerprint(spec)) {
          problems.push_back("filter '" + spec.name + "' differs from the stored definition");
        }
      }
      for (const auto& [name, value] : stored) {
        if (!wanted.count(name)) problems.push_back("filter '" + name + "' is missing");
      }
      if (!problems.empty()) {
        std::string message =
            "database '" + db.path() + "' already holds counts for other filters (";
        for (std::size_t i = 0; i < problems.size(); ++i) {
          message += (i > 0 ? "; " : "") + problems[i];
        }
        message +=
            "); a filter must see the whole history, so " +
            std::string(settings.importing ? "import into a new database, or use the same --rules "
                                             "the query was compiled with"
                                           : "scan into a new database, or use the same --rules "
                                             "as before");
        return MakeError(ErrorCode::kInvalidArgument, message);
      }
    } else if (!stored.empty()) {
      // Nothing counted yet: the filters may still change.
      if (auto ok = db.Exec("DELETE FROM filters"); !ok) return std::move(ok).error();
      stored.clear();
    }
    std::vector<std::int64_t> ids;
    auto insert = db.Prepare(
        "INSERT INTO filters (name, pattern, metric_name, metric_namespace, metric_value, "
        "default_value, dimensions, unit, creation_time, log_group, origin, fingerprint) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
    if (!insert) return std::move(insert).error();
    for (std::size_t i = 0; i < filters.size(); ++i) {
      const auto& spec = filters.spec(i);
      if (auto it = stored.find(spec.name); it != stored.end()) {
        ids.push_back(it->second.first);
        continue;
      }
      const auto& t = spec.transformation;
      insert->Bind(1, std::string_view(spec.name))
          .Bind(2, std::string_view(spec.pattern))
          .Bind(3, std::string_view(t.metric_name))
          .Bind(4, std::string_view(t.metric_namespace))
          .Bind(5, std::string_view(t.metric_value));
      if (t.default_value) {
        insert->Bind(6, *t.default_value);
      } else {
        insert->BindNull(6);
      }
      insert->Bind(7, std::string_view(DimensionsJson(t))).Bind(8, std::string_view(t.unit));
      if (spec.creation_time_ms) {
        insert->Bind(9, static_cast<std::int64_t>(*spec.creation_time_ms / 1000));
      } else {
        insert->BindNull(9);
      }
      insert->Bind(10, std::string_view(spec.log_group))
          .Bind(11, std::string_view(spec.origin))
          .Bind(12, std::string_view(metric::FilterFingerprint(spec)));
      if (auto ok = insert->Run(); !ok) return std::move(ok).error();
      ids.push_back(db.LastInsertRowId());
    }
    return ids;
  };
  auto ids = body();
  if (!ids) {
    (void)db.Exec("ROLLBACK");
    return ids;
  }
  if (auto ok = db.Exec("COMMIT"); !ok) return std::move(ok).error();
  return ids;
}

Result<LedgerReader> LedgerReader::Open(Database& db, std::string scope) {
  // ORDER BY member: the file's own row ('') comes first, and decides whether the members'
  // rows are read at all.
  auto stmt = db.Prepare(
      "SELECT member, size, mtime_ns, kind, status, records, out_of_scope, bad_records "
      "FROM inputs WHERE path = ? AND scope = ? ORDER BY member");
  if (!stmt) return std::move(stmt).error();
  LedgerReader reader;
  reader.by_path_ = std::move(*stmt);
  reader.scope_ = std::move(scope);
  return reader;
}

Result<LedgerReader::PathRows> LedgerReader::Read(
    std::string_view path, const std::function<bool(const LedgerEntry*)>& want_members) {
  by_path_.Bind(1, path).Bind(2, std::string_view(scope_));
  PathRows rows;
  bool decided = false;
  for (;;) {
    auto row = by_path_.Step();
    if (!row) {
      by_path_.Reset();
      return std::move(row).error();
    }
    if (!*row) break;
    auto count = [&](int column) { return static_cast<std::uint64_t>(by_path_.ColumnInt(column)); };
    std::string member = by_path_.ColumnText(0);
    LedgerEntry entry{count(1),
                      by_path_.ColumnInt(2),
                      by_path_.ColumnText(3),
                      by_path_.ColumnText(4),
                      count(5),
                      count(6),
                      count(7)};
    if (member.empty()) {
      rows.file = std::move(entry);
      continue;
    }
    if (!decided) {
      decided = true;
      if (!want_members(rows.file ? &*rows.file : nullptr)) break;
    }
    rows.members.emplace(std::move(member), std::move(entry));
  }
  by_path_.Reset();
  return rows;
}

Result<bool> DeferEventIndexes(Database& db) {
  auto has_events = db.QueryInt("SELECT EXISTS (SELECT 1 FROM event_rows)");
  if (!has_events) return std::move(has_events).error();
  if (*has_events != 0) {
    if (auto ok = BuildEventIndexes(db); !ok) return std::move(ok).error();
    return false;
  }
  for (const auto& [name, sql] : kDeferredIndexes) {
    if (auto ok = db.Exec("DROP INDEX IF EXISTS " + std::string(name)); !ok) {
      return std::move(ok).error();
    }
  }
  return true;
}

Result<void> BuildEventIndexes(Database& db) {
  // The sort holds keys in memory up to the page cache's size, then spills them to temporary
  // files, which must be files: in memory (the connection's temp_store) they would hold every
  // key at once. The scan's 32 MiB page cache is given back for the time, so that the sort's
  // memory takes its place rather than adding to it.
  std::string restore;
  for (const char* setting : {"temp_store", "cache_size"}) {
    auto value = db.QueryInt("PRAGMA " + std::string(setting));
    if (!value) return std::move(value).error();
    restore += "PRAGMA " + std::string(setting) + "=" + std::to_string(*value) + ";";
  }
  if (auto ok = db.Exec("PRAGMA temp_store=FILE; PRAGMA cache_size=-8192"); !ok) return ok;
  Result<void> built;
  for (const auto& [name, sql] : kDeferredIndexes) {
    if (built) built = db.Exec(sql);
  }
  if (auto ok = db.Exec(restore); !ok && built) return ok;
  return built;
}

Result<void> MarkAbandonedScans(Database& db) {
  // finished_at stays NULL: when it stopped is not known.
  return db.Exec("UPDATE scans SET status = 'interrupted' WHERE status = 'running'");
}

Result<std::int64_t> BeginScanRecord(Database& db, std::string_view version,
                                     std::string_view options_json, std::string_view started_at) {
  auto stmt = db.Prepare(
      "INSERT INTO scans (started_at, version, options, status) VALUES (?, ?, ?, 'running')");
  if (!stmt) return std::move(stmt).error();
  stmt->Bind(1, started_at).Bind(2, version).Bind(3, options_json);
  if (auto ok = stmt->Run(); !ok) return std::move(ok).error();
  return db.LastInsertRowId();
}

Result<void> FinishScanRecord(Database& db, std::int64_t scan_id, std::string_view status,
                              std::string_view summary_json, std::string_view finished_at) {
  auto stmt =
      db.Prepare("UPDATE scans SET status = ?, summary = ?, finished_at = ? WHERE scan_id = ?");
  if (!stmt) return std::move(stmt).error();
  stmt->Bind(1, status).Bind(2, summary_json).Bind(3, finished_at).Bind(4, scan_id);
  return stmt->Run();
}

// The dictionary state: the one in use, and the samples and thread of one being trained.
struct Writer::Dictionaries {
  ~Dictionaries() {
    if (trainer.joinable()) trainer.join();
  }
  std::optional<RecordDictionary> in_use;  // committed: handed to the workers
  bool collecting = false;                 // no dictionary yet: samples are being taken
  std::vector<std::string> samples;
  std::size_t sample_bytes = 0;
  std::thread trainer;
  std::atomic<bool> trained{false};  // the trainer has finished (made or error is set)
  std::optional<RecordDictionary> made;
  std::string error;
  std::size_t sample_count = 0, trained_bytes = 0;  // what `made` was trained on
  bool written = false;                             // made is inserted in the open transaction
  // When this writer trained the dictionary: the last record it stored as text.
  std::optional<std::int64_t> last_text_pk;
  std::optional<RecordCompressor> straggler;  // the writer's own, for results read before
  std::string frame;

  void Sample(std::string_view raw) {
    if (!collecting) return;
    samples.emplace_back(raw);
    sample_bytes += raw.size();
    if (sample_bytes >= RecordDictionary::kSampleBytes) StartTraining();
  }
  void StartTraining() {
    collecting = false;
    sample_count = samples.size();
    trained_bytes = sample_bytes;
    trainer = std::thread([this, taken = std::move(samples)] {
      made = RecordDictionary::Train(taken, &error);
      trained.store(true, std::memory_order_release);
    });
    samples = {};
  }
};

Writer::Writer(Database& db) : db_(&db) {}
Writer::Writer(Writer&&) noexcept = default;
Writer& Writer::operator=(Writer&&) noexcept = default;
Writer::~Writer() = default;

const RecordDictionary* Writer::dictionary() const {
  return dictionaries_ && dictionaries_->in_use ? &*dictionaries_->in_use : nullptr;
}

std::string Writer::DictionaryProblem() const {
  const Dictionaries& d = *dictionaries_;
  if (!d.trained.load(std::memory_order_acquire) || d.made) return "";
  return d.error.empty() ? "unknown error" : d.error;
}

Result<void> Writer::LoadDictionary() {
  dictionaries_ = std::make_unique<Dictionaries>();
  Dictionaries& d = *dictionaries_;
  auto latest = db_->Prepare(
      "SELECT dictionary FROM record_dictionaries ORDER BY created_at DESC, dictionary_id DESC "
      "LIMIT 1");
  if (!latest) return std::move(latest).error();
  auto row = latest->Step();
  if (!row) return std::move(row).error();
  if (*row) {
    std::string error;
    d.in_use = RecordDictionary::FromBytes(std::string(latest->ColumnBlob(0)), &error);
    if (!d.in_use) {
      return MakeError(ErrorCode::kDatabase, "the database's record dictionary is damaged (" +
                                                 error + "): database " + db_->path());
    }
    return {};
  }
  // None yet: the records a scan before stored are the first samples (a database filled a
  // little at a time reaches the sample size over several scans).
  d.collecting = true;
  auto stored =
      db_->Prepare("SELECT raw FROM event_rows WHERE typeof(raw) = 'text' ORDER BY event_pk");
  if (!stored) return std::move(stored).error();
  while (d.collecting) {
    auto next = stored->Step();
    if (!next) return std::move(next).error();
    if (!*next) break;
    d.Sample(stored->ColumnText(0));
  }
  return {};
}

Result<void> Writer::StoreTrainedDictionary() {
  Dictionaries& d = *dictionaries_;
  if (d.written || d.in_use || !d.trained.load(std::memory_order_acquire)) return {};
  if (!d.made) return {};  // training failed: the records stay text (tried again next scan)
  auto insert = db_->Prepare(
      "INSERT OR IGNORE INTO record_dictionaries (dictionary_id, dictionary, created_at, "
      "samples, sample_bytes) VALUES (?, ?, strftime('%Y-%m-%dT%H:%M:%SZ', 'now'), ?, ?)");
  if (!insert) return std::move(insert).error();
  insert->Bind(1, static_cast<std::int64_t>(d.made->id()))
      .BindBlob(2, d.made->bytes())
      .Bind(3, static_cast<std::int64_t>(d.sample_count))
      .Bind(4, static_cast<std::int64_t>(d.trained_bytes));
  if (auto ok = insert->Run(); !ok) return ok;
  // The records stored as text before it are compressed at the end of the scan (or, were it
  // stopped first, of the next).
  if (auto ok = db_->SetMeta("record_compression", "pending"); !ok) return ok;
  d.written = true;
  return {};
}

namespace {

// trailreplay_compress(raw), on the writer's connection while the text records are compressed:
// the frame of a record's text, and the bytes it saves counted.
struct CompressCall {
  RecordCompressor* compressor;
  std::string frame;
  std::uint64_t saved = 0;
};

void CompressFunction(sqlite3_context* context, int, sqlite3_value** argv) {
  auto* call = static_cast<CompressCall*>(sqlite3_user_data(context));
  if (sqlite3_value_type(argv[0]) != SQLITE_TEXT) {
    sqlite3_result_value(context, argv[0]);
    return;
  }
  const auto* text = reinterpret_cast<const char*>(sqlite3_value_text(argv[0]));
  const std::string_view json(text, static_cast<std::size_t>(sqlite3_value_bytes(argv[0])));
  call->compressor->Compress(json, call->frame);
  call->saved += json.size() - std::min(json.size(), call->frame.size());
  sqlite3_result_blob64(context, call->frame.data(), call->frame.size(), SQLITE_TRANSIENT);
}

}  // namespace

Result<void> Writer::CompressTextRecords(const std::atomic<bool>* stop, bool finishing) {
  Dictionaries& d = *dictionaries_;
  if (open_) return {};                                  // between inputs only
  if (finishing && !d.in_use && d.trainer.joinable()) {  // still training: a fraction of a second
    d.trainer.join();
    if (auto ok = Begin(); !ok) return ok;
    if (auto ok = StoreTrainedDictionary(); !ok) return ok;
    if (auto ok = Commit(); !ok) return ok;
  }
  if (!d.in_use) return {};
  auto pending = db_->GetMeta("record_compression");
  if (!pending) return std::move(pending).error();
  if (!*pending || **pending != "pending") return {};
  if (auto ok = Commit(); !ok) return ok;
  // Those of a database written before it had a dictionary (by an older trailreplay, or by
  // scans that stored less than the sample size) lie anywhere below this scan's last text one.
  const std::int64_t through =
      d.last_text_pk ? *d.last_text_pk : std::numeric_limits<std::int64_t>::max();
  // Each batch is taken out and put back compressed under the same event_pk, rather than
  // updated in place: a row rewritten smaller stays on its page, and since events fill pages
  // only at the table's end that room would never be used again, where pages a delete
  // empties are merged and freed, and what the scan stores next reuses them.
  RecordCompressor compressor(*d.in_use);
  CompressCall call{&compressor, {}, 0};
  sqlite3* handle = db_->handle();
  if (sqlite3_create_function_v2(handle, "trailreplay_compress", 1, SQLITE_UTF8, &call,
                                 CompressFunction, nullptr, nullptr, nullptr) != SQLITE_OK) {
    return MakeError(ErrorCode::kDatabase,
                     std::string("registering trailreplay_compress(): ") + sqlite3_errmsg(handle));
  }
  struct Unregister {
    sqlite3* handle;
    ~Unregister() {
      sqlite3_create_function_v2(handle, "trailreplay_compress", 1, SQLITE_UTF8, nullptr, nullptr,
                                 nullptr, nullptr, nullptr);
    }
  } unregister{handle};
  constexpr const char* kColumns =
      "event_pk, event_id, event_time, stamp, account_ref, region_ref, source_ref, name_ref, "
      "error_ref, ip_ref, principal_ref, agent_ref, input_id, record_index";
  if (auto ok = db_->Exec(std::string("CREATE TEMP TABLE IF NOT EXISTS moving_events AS SELECT ") +
                          kColumns + ", raw FROM main.event_rows WHERE 0");
      !ok) {
    return ok;
  }
  auto take = db_->Prepare(std::string("INSERT INTO temp.moving_events SELECT ") + kColumns +
                           ", raw FROM main.event_rows WHERE event_pk > ? AND event_pk <= ? AND "
                           "typeof(raw) = 'text' ORDER BY event_pk LIMIT 2048");
  auto last = db_->Prepare("SELECT max(event_pk) FROM temp.moving_events");
  if (!take) return std::move(take).error();
  if (!last) return std::move(last).error();
  const std::string put_back = std::string(
                                   "DELETE FROM main.event_rows WHERE event_pk IN (SELECT event_pk "
                                   "FROM temp.moving_events); INSERT INTO main.event_rows (") +
                               kColumns + ", raw) SELECT " + kColumns +
                               ", trailreplay_compress(raw) FROM temp.moving_events ORDER BY "
                               "event_pk; DELETE FROM temp.moving_events";
  std::int64_t after = 0;
  for (bool more = true; more;) {
    if (stop != nullptr && stop->load()) return {};  // the next scan goes on from here
    if (auto ok = Begin(); !ok) return ok;
    take->Bind(1, after).Bind(2, through);
    if (auto ok = take->Run(); !ok) return ok;
    more = db_->Changes() > 0;
    if (more) {
      auto row = last->Step();
      if (!row) return std::move(row).error();
      after = last->ColumnInt(0);
      last->Reset();
      if (auto ok = db_->Exec(put_back); !ok) return ok;
    } else if (auto ok = db_->SetMeta("record_compression", "done"); !ok) {
      return ok;
    }
    if (auto ok = Commit(); !ok) return ok;
  }
  // Room the scan's own next rows do not fill (they do fill what an earlier call freed).
  if (finishing) finishing_saved_ = call.saved;
  return {};
}

Result<void> VacuumIfLargelyFree(Database& db, std::uint64_t also_free) {
  auto pages = db.QueryInt("PRAGMA page_count");
  auto free_pages = db.QueryInt("PRAGMA freelist_count");
  auto page_size = db.QueryInt("PRAGMA page_size");
  if (!pages) return std::move(pages).error();
  if (!free_pages) return std::move(free_pages).error();
  if (!page_size) return std::move(page_size).error();
  const auto size = static_cast<std::uint64_t>(*pages * *page_size);
  const auto free = static_cast<std::uint64_t>(*free_pages * *page_size) + also_free;
  if (free * 4 > size) return db.Exec("VACUUM");
  return {};
}

Result<Writer> Writer::Create(Database& db, std::vector<FilterTarget> filters, std::string scope,
                              std::int64_t scan_id, bool keep_duplicates) {
  Writer writer(db);
  writer.filters_ = std::move(filters);
  writer.scope_ = std::move(scope);
  writer.scan_id_ = scan_id;
  writer.keep_duplicates_ = keep_duplicates;
  writer.totals_.matches.assign(writer.filters_.size(), 0);
  writer.totals_.rejected.assign(writer.filters_.size(), 0);
  writer.plain_series_.assign(writer.filters_.size(), 0);
  struct Prepared {
    Statement* target;
    std::string sql;
  };
  const std::string input_row =
      "INSERT INTO inputs (path, member, scope, size, mtime_ns, kind, status, records, events, "
      "duplicates, out_of_scope, bad_records, message, account, region, delivery_time, "
      "scan_id, stored_sha256, order_time, order_seq) "
      "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
      "ON CONFLICT (path, member, scope) ";
  const Prepared statements[] = {
      // A new input's row; an input scanned before (a file that changed, an archive resumed
      // or re-read) conflicts and takes the upsert below. RETURNING costs an ephemeral table
      // per execution (a third of the writer's time on the ledger), so only the rare case
      // pays it.
      {&writer.insert_input_, input_row + "DO NOTHING"},
      {&writer.upsert_input_,
       input_row + "DO UPDATE SET size = excluded.size, "
                   "mtime_ns = excluded.mtime_ns, kind = excluded.kind, status = excluded.status, "
                   "records = excluded.records, events = inputs.events + excluded.events, "
                   "duplicates = excluded.duplicates, out_of_scope = excluded.out_of_scope, "
                   "bad_records = excluded.bad_records, message = excluded.message, "
                   "scan_id = excluded.scan_id, stored_sha256 = excluded.stored_sha256, "
                   "order_time = excluded.order_time, order_seq = excluded.order_seq "
                   "RETURNING input_id"},
      {&writer.insert_event_,
       "INSERT INTO event_rows (event_id, event_time, stamp, account_ref, region_ref, "
       "source_ref, name_ref, error_ref, ip_ref, principal_ref, agent_ref, input_id, "
       "record_index, raw) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"},
      {&writer.insert_match_,
       "INSERT OR IGNORE INTO event_matches (filter_id, event_pk, value, series_id) "
       "VALUES (?, ?, ?, ?)"},
      {&writer.insert_error_,
       "INSERT INTO scan_errors (scan_id, path, member, offset, record_index, kind, message) "
       "VALUES (?, ?, ?, ?, ?, ?, ?)"},
      {&writer.insert_keys_, "INSERT INTO input_keys (input_id, keys) VALUES (?, ?)"},
      {&writer.upsert_total_,
       "INSERT INTO minute_totals (minute, events) VALUES (?, ?) ON CONFLICT (minute) "
       "DO UPDATE SET events = events + excluded.events"},
      {&writer.upsert_bucket_,
       "INSERT INTO filter_buckets (filter_id, bucket, matches, value_sum) VALUES (?, ?, ?, ?) "
       "ON CONFLICT (filter_id, bucket) DO UPDATE SET matches = matches + excluded.matches, "
       "value_sum = value_sum + excluded.value_sum"},
      {&writer.upsert_sample_,
       "INSERT INTO samples (series_id, minute, sample_count, sum, minimum, maximum) "
       "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (series_id, minute) DO UPDATE SET "
       "sample_count = sample_count + excluded.sample_count, sum = sum + excluded.sum, "
       "minimum = min(minimum, excluded.minimum), maximum = max(maximum, excluded.maximum)"},
      {&writer.upsert_value_,
       "INSERT INTO sample_values (series_id, minute, value, count) VALUES (?, ?, ?, ?) "
       "ON CONFLICT (series_id, minute, value) DO UPDATE SET count = count + excluded.count"},
      {&writer.find_series_,
       "SELECT series_id FROM series WHERE metric_namespace = ? AND metric_name = ? AND "
       "dimensions = ?"},
      {&writer.insert_series_,
       "INSERT INTO series (metric_namespace, metric_name, dimensions) VALUES (?, ?, ?)"},
  };
  for (const auto& [target, sql] : statements) {
    auto stmt = db.Prepare(sql);
    if (!stmt) return std::move(stmt).error();
    *target = std::move(*stmt);
  }
  if (!keep_duplicates) {
    auto seen = SeenIds::Open(db);
    if (!seen) return std::move(seen).error();
    writer.seen_.emplace(std::move(*seen));
  }
  auto strings = EventStrings::Open(db);
  if (!strings) return std::move(strings).error();
  writer.strings_.emplace(std::move(*strings));
  if (auto ok = writer.LoadDictionary(); !ok) return std::move(ok).error();
  return writer;
}

Result<void> Writer::Begin() {
  if (in_transaction_) return {};
  if (auto ok = db_->Exec("BEGIN IMMEDIATE"); !ok) return ok;
  in_transaction_ = true;
  return {};
}

Result<std::int64_t> Writer::SeriesId(std::size_t filter, const std::string& dimensions) {
  const bool plain = dimensions == "{}";
  if (plain && plain_series_[filter] != 0) return plain_series_[filter];
  auto key = std::make_pair(filter, dimensions);
  if (auto it = series_ids_.find(key); it != series_ids_.end()) return it->second;
  const FilterTarget& target = filters_[filter];
  find_series_.Bind(1, std::string_view(target.metric_namespace))
      .Bind(2, std::string_view(target.metric_name))
      .Bind(3, std::string_view(dimensions));
  auto row = find_series_.Step();
  if (!row) return std::move(row).error();
  std::int64_t id = 0;
  if (*row) {
    id = find_series_.ColumnInt(0);
    find_series_.Reset();
  } else {
    find_series_.Reset();
    insert_series_.Bind(1, std::string_view(target.metric_namespace))
        .Bind(2, std::string_view(target.metric_name))
        .Bind(3, std::string_view(dimensions));
    if (auto ok = insert_series_.Run(); !ok) return std::move(ok).error();
    id = db_->LastInsertRowId();
  }
  series_ids_[key] = id;
  if (plain) plain_series_[filter] = id;
  return id;
}

Result<void> Writer::Add(InputResult& input, const InputOrder& order) {
  if (open_ && input.status == InputStatus::kRefused) {
    if (auto ok = Abandon(); !ok) return ok;
  }
  if (!open_ && input.more) {
    if (auto ok = Commit(); !ok) return ok;
    OpenInput opened;
    opened.before = totals_;
    open_ = std::move(opened);
  }
  if (auto ok = Begin(); !ok) return ok;
  if (auto ok = StoreTrainedDictionary(); !ok) return ok;
  keyed_.Clear();
  std::uint64_t counted = 0, duplicates = 0;
  std::vector<std::uint8_t> keep(input.events.size(), 0);
  std::vector<std::int64_t> hit_series(input.hits.size(), 0);  // 0: published nothing
  auto add_sample = [&](std::int64_t series, std::int64_t minute, double value) {
    SampleAgg& agg = samples_[{series, minute}];
    if (agg.count == 0) {
      agg.min = agg.max = value;
    } else {
      agg.min = std::min(agg.min, value);
      agg.max = std::max(agg.max, value);
    }
    ++agg.count;
    agg.sum += value;
    ++values_[{series, minute, value}];
  };
  for (std::size_t e = 0; e < input.events.size(); ++e) {
    const CountedEvent& event = input.events[e];
    if (event.has_key && seen_) {
      auto fresh = seen_->Insert(event.event_time, event.key);
      if (!fresh) return std::move(fresh).error();
      if (!*fresh) {
        ++duplicates;
        continue;
      }
    }
    keep[e] = 1;
    ++counted;
    const std::int64_t minute = FloorTo(event.stamp, kMinuteSeconds);
    if (event.has_key && seen_) keyed_.Add({event.key, event.event_time, minute});
    if (last_minute_total_ == nullptr || minute != last_minute_) {
      last_minute_ = minute;
      last_minute_total_ = &minute_totals_[minute];
    }
    ++*last_minute_total_;
    std::size_t hit = event.first_hit;
    const std::size_t hit_end = event.first_hit + event.hit_count;
    for (std::size_t f = 0; f < filters_.size(); ++f) {
      if (hit < hit_end && input.hits[hit].filter == f) {
        const FilterHit& h = input.hits[hit++];
        ++totals_.matches[f];
        if (h.rejected) ++totals_.rejected[f];
        BucketAgg& bucket = buckets_[{f, FloorTo(event.stamp, kBucketSeconds)}];
        ++bucket.matches;
        if (h.publish) {
          bucket.value_sum += h.value;
          auto series = SeriesId(f, h.dimensions);
          if (!series) return std::move(series).error();
          add_sample(*series, minute, h.value);
          hit_series[hit - 1] = *series;
        }
      } else if (filters_[f].default_value) {
        auto series = SeriesId(f, "{}");
        if (!series) return std::move(series).error();
        add_sample(*series, minute, *filters_[f].default_value);
      }
    }
  }

  // The ledger row says what the input yielded so far: the whole input with its last part.
  // (Its events are added to the row's, which keeps those of earlier reads of the input.)
  std::uint64_t records = input.records, out_of_scope = input.out_of_scope,
                bad_records = input.bad_records, row_duplicates = duplicates;
  if (open_) {
    records = open_->records += input.records;
    out_of_scope = open_->out_of_scope += input.out_of_scope;
    bad_records = open_->bad_records += input.bad_records;
    row_duplicates = open_->duplicates += duplicates;
  }
  auto bind_input = [&](Statement& stmt) {
    stmt.Bind(1, std::string_view(input.path))
        .Bind(2, std::string_view(input.member))
        .Bind(3, std::string_view(scope_))
        .Bind(4, static_cast<std::int64_t>(input.size))
        .Bind(5, input.mtime_ns)
        .Bind(6, std::string_view(input.kind))
        .Bind(7, InputStatusName(input.status))
        .Bind(8, static_cast<std::int64_t>(records))
        .Bind(9, static_cast<std::int64_t>(counted))
        .Bind(10, static_cast<std::int64_t>(row_duplicates))
        .Bind(11, static_cast<std::int64_t>(out_of_scope))
        .Bind(12, static_cast<std::int64_t>(bad_records))
        .Bind(13, std::string_view(input.message))
        .Bind(14, input.key_account)
        .Bind(15, input.key_region);
    if (input.delivery_time) {
      stmt.Bind(16, *input.delivery_time);
    } else {
      stmt.BindNull(16);
    }
    stmt.Bind(17, scan_id_).Bind(18, input.stored_sha256);
    if (order.time) {
      stmt.Bind(19, *order.time);
    } else {
      stmt.BindNull(19);
    }
    stmt.Bind(20, order.seq);
  };
  bind_input(insert_input_);
  if (auto ok = insert_input_.Run(); !ok) return ok;
  std::int64_t input_id = db_->LastInsertRowId();
  if (db_->Changes() == 0) {  // the input has a row already
    bind_input(upsert_input_);
    auto row = upsert_input_.Step();
    if (!row) return std::move(row).error();
    input_id = upsert_input_.ColumnInt(0);
    upsert_input_.Reset();
  }

  for (std::size_t c = 0; c < keyed_.chunks(); ++c) {
    insert_keys_.Bind(1, input_id).BindBlob(2, keyed_.chunk(c));
    if (auto ok = insert_keys_.Run(); !ok) return ok;
  }

  for (std::size_t e = 0; e < input.events.size(); ++e) {
    const CountedEvent& event = input.events[e];
    if (!keep[e] || event.detail < 0) continue;
    const EventDetail& d = input.details[static_cast<std::size_t>(event.detail)];
    // `input` outlives the Run below, and every parameter is bound anew for each event.
    insert_event_.BindUncopied(1, d.event_id)
        .Bind(2, d.event_time)
        .Bind(3, event.stamp)
        .Bind(12, input_id)
        .Bind(13, static_cast<std::int64_t>(d.record_index));
    int index = 4;
    for (const std::optional<std::string>* field :
         {&d.account, &d.region, &d.event_source, &d.event_name, &d.error_code, &d.source_ip,
          &d.principal_arn, &d.user_agent}) {
      auto id = strings_->Id(*field);
      if (!id) return std::move(id).error();
      if (*id) {
        insert_event_.Bind(index, **id);
      } else {
        insert_event_.BindNull(index);
      }
      ++index;
    }
    Dictionaries& dicts = *dictionaries_;
    bool text = false;
    if (d.compressed) {
      insert_event_.BindBlob(14, d.raw);
    } else if (dicts.in_use) {
      // Read by a worker before the dictionary came into use, and waiting since: compressed
      // here, so that only what the database stored before it was trained is ever text.
      if (!dicts.straggler || dicts.straggler->dictionary() != &*dicts.in_use) {
        dicts.straggler.emplace(*dicts.in_use);
      }
      dicts.straggler->Compress(d.raw, dicts.frame);
      insert_event_.BindBlob(14, dicts.frame);
    } else {
      insert_event_.BindUncopied(14, std::string_view(d.raw));
      dicts.Sample(d.raw);
      text = true;
    }
    if (auto ok = insert_event_.Run(); !ok) return ok;
    const std::int64_t event_pk = db_->LastInsertRowId();
    if (text) dicts.last_text_pk = event_pk;
    for (std::size_t h = event.first_hit; h < event.first_hit + event.hit_count; ++h) {
      const FilterHit& hit = input.hits[h];
      insert_match_.Bind(1, filters_[hit.filter].filter_id).Bind(2, event_pk);
      if (hit.publish) {
        insert_match_.Bind(3, hit.value).Bind(4, hit_series[h]);
      } else {
        insert_match_.BindNull(3).BindNull(4);
      }
      if (auto ok = insert_match_.Run(); !ok) return ok;
    }
  }
  for (const InputError& error : input.errors) {
    if (auto ok = AddError(input.path, input.member, error); !ok) return ok;
  }
  totals_.events += counted;
  totals_.duplicates += duplicates;
  pending_events_ += input.events.size();
  if (!input.more) {
    open_.reset();
    ++totals_.inputs;
    ++pending_inputs_;
  }
  // A dictionary written into this batch comes into use when the batch commits: now, rather
  // than at the next commit a second later, during which the workers would store text.
  if (dictionaries_->written && !dictionaries_->in_use && !open_) return Commit();
  return {};
}

Result<void> Writer::AddError(std::string_view path, std::string_view member,
                              const InputError& error) {
  if (auto ok = Begin(); !ok) return ok;
  insert_error_.Bind(1, scan_id_).Bind(2, path).Bind(3, member);
  if (error.offset) {
    insert_error_.Bind(4, static_cast<std::int64_t>(*error.offset));
  } else {
    insert_error_.BindNull(4);
  }
  if (error.record_index) {
    insert_error_.Bind(5, static_cast<std::int64_t>(*error.record_index));
  } else {
    insert_error_.BindNull(5);
  }
  insert_error_.Bind(6, std::string_view(error.kind)).Bind(7, std::string_view(error.message));
  if (auto ok = insert_error_.Run(); !ok) return ok;
  ++totals_.errors;
  return {};
}

Result<void> Writer::WriteAggregates() {
  for (const auto& [minute, events] : minute_totals_) {
    upsert_total_.Bind(1, minute).Bind(2, events);
    if (auto ok = upsert_total_.Run(); !ok) return ok;
  }
  for (const auto& [key, agg] : buckets_) {
    upsert_bucket_.Bind(1, filters_[key.first].filter_id)
        .Bind(2, key.second)
        .Bind(3, agg.matches)
        .Bind(4, agg.value_sum);
    if (auto ok = upsert_bucket_.Run(); !ok) return ok;
  }
  for (const auto& [key, agg] : samples_) {
    upsert_sample_.Bind(1, key.first)
        .Bind(2, key.second)
        .Bind(3, agg.count)
        .Bind(4, agg.sum)
        .Bind(5, agg.min)
        .Bind(6, agg.max);
    if (auto ok = upsert_sample_.Run(); !ok) return ok;
  }
  for (const auto& [key, count] : values_) {
    upsert_value_.Bind(1, std::get<0>(key))
        .Bind(2, std::get<1>(key))
        .Bind(3, std::get<2>(key))
        .Bind(4, count);
    if (auto ok = upsert_value_.Run(); !ok) return ok;
  }
  if (seen_) {
    if (auto ok = seen_->Flush(); !ok) return ok;
  }
  ClearAggregates();
  return {};
}

void Writer::ClearAggregates() {
  values_.clear();
  minute_totals_.clear();
  last_minute_total_ = nullptr;
  buckets_.clear();
  samples_.clear();
  pending_inputs_ = 0;
  pending_events_ = 0;
}

Result<void> Writer::Commit() {
  if (!in_transaction_) return {};
  if (auto ok = WriteAggregates(); !ok) return ok;
  if (!open_) {
    if (auto ok = db_->Exec("COMMIT"); !ok) return ok;
    in_transaction_ = false;
    Dictionaries& d = *dictionaries_;
    if (d.written && !d.in_use) {  // committed with this batch: the workers may use it
      if (d.trainer.joinable()) d.trainer.join();
      d.in_use = std::move(d.made);
    }
  }
  // Hours whose keys are written may go, within the open transaction too: this connection
  // reads them back as written.
  if (seen_) seen_->Trim();
  return {};
}

Result<void> Writer::Abandon() {
  if (!open_) return {};
  totals_ = std::move(open_->before);
  open_.reset();
  ClearAggregates();
  if (seen_) seen_->Forget();
  strings_->Forget();              // some may have been stored by the transaction rolled back
  dictionaries_->written = false;  // rolled back with the input: written again with the next
  if (!in_transaction_) return {};
  in_transaction_ = false;
  return db_->Exec("ROLLBACK");
}

}  // namespace trailreplay::store

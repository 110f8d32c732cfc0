// --db: the scanned database against the digests. `scan` records the SHA-256 of every input's
// bytes as stored (inputs.stored_sha256); the archive holds those bytes, and what they decode to
// has the SHA-256 a digest records for the log file it vouches for. So an input is vouched for
// when the archive has an object with its exact bytes whose content a digest vouches for (or,
// for an input scanned in plain form, when its bytes are that content). An input read with
// appended gzip members decodes to more than any digest vouches for; an input whose bytes are
// nowhere in the archive cannot be vouched for here (verify the copy that was scanned). The
// result is stored in the same database (verifications, verification_findings) for SQL and
// the report's integrity section.
#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <ctime>
#include <map>
#include <set>

#include "common/json_escape.h"
#include "common/time.h"
#include "store/database.h"
#include "verify/analysis.h"

namespace trailreplay::verify {
namespace {

struct Vouched {
  std::string key, digest;
};

std::string Now() { return FormatIsoTime(static_cast<std::int64_t>(std::time(nullptr))); }

}  // namespace

Result<void> CheckDatabase(Analysis& a, VerifyReport& report) {
  const std::string& path = a.options.db_path;
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    return MakeError(ErrorCode::kIo, "no database at '" + path + "': " + std::strerror(errno) +
                                         " (run 'trailreplay scan' into it first)");
  }
  auto db = store::Database::Open(path);
  if (!db) return std::move(db).error();

  // The content hashes the digests vouch for (a digest that is invalid vouches for nothing),
  // and those of the log files in the period, which the scan should have read.
  std::map<std::string, Vouched> vouched;
  std::map<std::string, Vouched> expected;
  for (const DigestRecord& r : a.digests) {
    if (!r.digest || !r.status || *r.status == DigestStatus::kInvalid) continue;
    for (const LogFileEntry& log : r.digest->log_files) {
      vouched.emplace(log.hash_value, Vouched{log.s3_object, r.key});
      const auto delivered = input::ParseKey(log.s3_object).delivery_time;
      const bool in_range = !delivered || ((!a.options.from || *delivered >= *a.options.from) &&
                                           *delivered <= a.options.to);
      if (in_range) expected.emplace(log.hash_value, Vouched{log.s3_object, r.key});
    }
  }
  // The archive's objects by their stored bytes, and by their content.
  std::multimap<std::string, const FoundObject*> by_stored, by_content;
  for (const FoundObject& object : a.collection.objects) {
    if (object.stored_sha256.empty()) continue;
    by_stored.emplace(object.stored_sha256, &object);
    if (!object.content_sha256.empty()) by_content.emplace(object.content_sha256, &object);
  }

  auto stmt = db->Prepare(
      "SELECT DISTINCT path, member, stored_sha256 FROM inputs "
      "WHERE kind IN ('records', 'array', 'single', 'lines', 'export') AND records > 0 "
      "ORDER BY path, member");
  if (!stmt) return std::move(stmt).error();
  std::set<std::string> scanned;
  for (;;) {
    auto row = stmt->Step();
    if (!row) return std::move(row).error();
    if (!*row) break;
    InputFinding f;
    f.path = stmt->ColumnText(0);
    f.member = stmt->ColumnText(1);
    if (stmt->ColumnIsNull(2)) {
      f.status = InputStatus::kUnhashed;
      f.detail =
          "scanned by a trailreplay that did not record what it read: scan into a new "
          "database to check it";
      report.inputs.push_back(std::move(f));
      continue;
    }
    const std::string stored = stmt->ColumnText(2);
    scanned.insert(stored);
    f.status = InputStatus::kUnvouched;
    if (auto it = vouched.find(stored); it != vouched.end()) {
      // Scanned in plain form: its bytes are the vouched content itself.
      f.status = InputStatus::kVouched;
      f.key = it->second.key;
      f.detail = "its bytes are the content of the log file " + it->second.key + ", named by " +
                 it->second.digest;
    }
    const auto [first, last] = by_stored.equal_range(stored);
    for (auto it = first; it != last && f.status != InputStatus::kVouched; ++it) {
      const FoundObject& object = *it->second;
      if (auto v = vouched.find(object.content_sha256); v != vouched.end()) {
        f.status = InputStatus::kVouched;
        f.key = v->second.key;
        f.detail = "its bytes are " + object.Display() + ", whose content is the log file " +
                   v->second.key + ", named by " + v->second.digest;
      } else {
        f.detail =
            "its bytes are " + object.Display() +
            (object.content_sha256.empty()
                 ? ", which cannot be decoded"
                 : ", whose content's SHA-256 " + object.content_sha256 + " no digest records") +
            ": the scan counted events no digest vouches for";
      }
    }
    if (f.status == InputStatus::kUnvouched && f.detail.empty()) {
      f.detail = "no file in the archive has its bytes (SHA-256 " + stored +
                 "), so no digest can be matched to it: verify the copy that was scanned";
    }
    report.inputs.push_back(std::move(f));
  }
  for (const auto& [hash, log] : expected) {
    bool found = scanned.count(hash) > 0;  // scanned in plain form
    bool in_archive = false;
    const auto [first, last] = by_content.equal_range(hash);
    for (auto it = first; it != last && !found; ++it) {
      in_archive = true;
      found = scanned.count(it->second->stored_sha256) > 0;
    }
    if (found) continue;
    InputFinding f;
    f.key = log.key;
    f.status = InputStatus::kUnscanned;
    f.detail = "named by " + log.digest +
               (in_archive ? ", but the database has no input with its bytes"
                           : "; it is not in the archive either, so "
                             "whether it was scanned cannot be shown");
    report.inputs.push_back(std::move(f));
  }
  report.database_checked = true;
  return {};
}

Result<void> StoreReport(const VerifyOptions& options, const VerifyReport& report) {
  auto db = store::Database::Open(options.db_path);
  if (!db) return std::move(db).error();
  if (auto ok = db->Exec("BEGIN IMMEDIATE"); !ok) return ok;
  auto fail = [&](Error error) -> Result<void> {
    (void)db->Exec("ROLLBACK");
    return error;
  };
  auto run = db->Prepare(
      "INSERT INTO verifications (run_at, version, options, problems, summary) "
      "VALUES (?, ?, ?, ?, ?)");
  if (!run) return fail(std::move(run).error());
  run->Bind(1, std::string_view(Now()))
      .Bind(2, std::string_view(options.version))
      .Bind(3, std::string_view(options.options_json.empty() ? "{}" : options.options_json))
      .Bind(4, static_cast<std::int64_t>(report.Problems()))
      .Bind(5, std::string_view(SummaryJson(report)));
  if (auto ok = run->Run(); !ok) return fail(std::move(ok).error());
  const std::int64_t id = db->LastInsertRowId();

  auto insert = db->Prepare(
      "INSERT INTO verification_findings (verification_id, kind, status, key, path, chain, "
      "start_time, end_time, detail, evidence) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
  if (!insert) return fail(std::move(insert).error());
  auto text = [](const std::string& s) {
    return s.empty() ? std::optional<std::string>() : std::optional<std::string>(s);
  };
  auto time = [&](int index, std::optional<std::int64_t> t) {
    if (t) {
      insert->Bind(index, *t);
    } else {
      insert->BindNull(index);
    }
  };
  for (const DigestFinding& d : report.digests) {
    insert->Bind(1, id)
        .Bind(2, std::string_view("digest"))
        .Bind(3, DigestStatusName(d.status))
        .Bind(4, text(d.key))
        .Bind(5, text(d.path))
        .Bind(6, text(d.chain))
        .Bind(9, std::string_view(d.detail))
        .BindNull(10);
    time(7, d.start);
    time(8, d.end);
    if (auto ok = insert->Run(); !ok) return fail(std::move(ok).error());
  }
  for (const LogFinding& l : report.logs) {
    insert->Bind(1, id)
        .Bind(2, std::string_view("log"))
        .Bind(3, LogStatusName(l.status))
        .Bind(4, text(l.key))
        .Bind(5, text(l.path))
        .Bind(6, text(l.chain))
        .Bind(9, std::string_view(l.detail))
        .BindNull(10);
    time(7, l.delivered);
    time(8, l.delivered);
    if (auto ok = insert->Run(); !ok) return fail(std::move(ok).error());
  }
  for (const Gap& g : report.gaps) {
    std::string evidence = "[";
    for (const Evidence& e : g.evidence) {
      if (evidence.size() > 1) evidence += ",";
      evidence += "{\"key\":" + JsonString(e.key) + ",\"eventID\":" + JsonString(e.event_id) +
                  ",\"eventName\":" + JsonString(e.event_name) +
                  ",\"eventTime\":" + JsonString(e.event_time) + "}";
    }
    evidence += "]";
    insert->Bind(1, id)
        .Bind(2, std::string_view("gap"))
        .Bind(3, std::string_view(g.explained ? "explained" : "unexplained"))
        .BindNull(4)
        .BindNull(5)
        .Bind(6, text(g.chain))
        .Bind(7, g.start)
        .Bind(8, g.end)
        .Bind(9, std::string_view(g.detail))
        .Bind(10, std::string_view(evidence));
    if (auto ok = insert->Run(); !ok) return fail(std::move(ok).error());
  }
  for (const InputFinding& f : report.inputs) {
    std::string where = f.member.empty() ? f.path : f.path + "!" + f.member;
    insert->Bind(1, id)
        .Bind(2, std::string_view("input"))
        .Bind(3, InputStatusName(f.status))
        .Bind(4, text(f.key))
        .Bind(5, text(where))
        .BindNull(6)
        .BindNull(7)
        .BindNull(8)
        .Bind(9, std::string_view(f.detail))
        .BindNull(10);
    if (auto ok = insert->Run(); !ok) return fail(std::move(ok).error());
  }
  return db->Exec("COMMIT");
}

}  // namespace trailreplay::verify

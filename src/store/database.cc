#include "store/database.h"

#include <fcntl.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "store/record_sql.h"
#include "store/schema_sql.h"  // generated: kSchemaMigrations

namespace trailreplay::store {

int SchemaVersion() { return static_cast<int>(std::size(kSchemaMigrations)); }

Error DatabaseError(sqlite3* db, std::string_view what) {
  std::string message =
      std::string(what) + ": " + (db != nullptr ? sqlite3_errmsg(db) : "out of memory");
  if (db != nullptr) {
    const char* file = sqlite3_db_filename(db, "main");
    if (file != nullptr && *file != '\0') message += " (database " + std::string(file) + ")";
  }
  return MakeError(ErrorCode::kDatabase, std::move(message));
}

Statement::~Statement() {
  if (stmt_ != nullptr) sqlite3_finalize(stmt_);
}

Statement::Statement(Statement&& other) noexcept
    : db_(other.db_), stmt_(other.stmt_), bind_error_(other.bind_error_) {
  other.stmt_ = nullptr;
}

Statement& Statement::operator=(Statement&& other) noexcept {
  if (this != &other) {
    if (stmt_ != nullptr) sqlite3_finalize(stmt_);
    db_ = other.db_;
    stmt_ = other.stmt_;
    bind_error_ = other.bind_error_;
    other.stmt_ = nullptr;
  }
  return *this;
}

Statement& Statement::Bind(int index, std::int64_t value) {
  const int rc = sqlite3_bind_int64(stmt_, index, value);
  if (rc != SQLITE_OK && bind_error_ == 0) bind_error_ = rc;
  return *this;
}

Statement& Statement::Bind(int index, double value) {
  const int rc = sqlite3_bind_double(stmt_, index, value);
  if (rc != SQLITE_OK && bind_error_ == 0) bind_error_ = rc;
  return *this;
}

Statement& Statement::Bind(int index, std::string_view text) {
  const int rc =
      sqlite3_bind_text64(stmt_, index, text.data(), text.size(), SQLITE_TRANSIENT, SQLITE_UTF8);
  if (rc != SQLITE_OK && bind_error_ == 0) bind_error_ = rc;
  return *this;
}

Statement& Statement::BindUncopied(int index, std::string_view text) {
  const int rc =
      sqlite3_bind_text64(stmt_, index, text.data(), text.size(), SQLITE_STATIC, SQLITE_UTF8);
  if (rc != SQLITE_OK && bind_error_ == 0) bind_error_ = rc;
  return *this;
}

Statement& Statement::BindUncopied(int index, const std::optional<std::string>& text) {
  return text ? BindUncopied(index, std::string_view(*text)) : BindNull(index);
}

Statement& Statement::BindBlob(int index, std::string_view bytes) {
  const int rc = sqlite3_bind_blob64(stmt_, index, bytes.data(), bytes.size(), SQLITE_TRANSIENT);
  if (rc != SQLITE_OK && bind_error_ == 0) bind_error_ = rc;
  return *this;
}

Statement& Statement::BindNull(int index) {
  const int rc = sqlite3_bind_null(stmt_, index);
  if (rc != SQLITE_OK && bind_error_ == 0) bind_error_ = rc;
  return *this;
}

Statement& Statement::Bind(int index, const std::optional<std::string>& text) {
  return text ? Bind(index, std::string_view(*text)) : BindNull(index);
}

Result<bool> Statement::Step() {
  if (bind_error_ != 0) {
    const int rc = bind_error_;
    bind_error_ = 0;
    sqlite3_reset(stmt_);
    return MakeError(ErrorCode::kDatabase,
                     std::string("binding a statement parameter: ") + sqlite3_errstr(rc));
  }
  const int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  Error error =
      DatabaseError(db_, "executing '" + std::string(sqlite3_sql(stmt_)).substr(0, 60) + "...'");
  sqlite3_reset(stmt_);
  return error;
}

Result<void> Statement::Run() {
  for (;;) {
    auto row = Step();
    if (!row) return std::move(row).error();
    if (!*row) break;
  }
  Reset();
  return {};
}

void Statement::Reset() {
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
}

std::int64_t Statement::ColumnInt(int column) const { return sqlite3_column_int64(stmt_, column); }
double Statement::ColumnDouble(int column) const { return sqlite3_column_double(stmt_, column); }
bool Statement::ColumnIsNull(int column) const {
  return sqlite3_column_type(stmt_, column) == SQLITE_NULL;
}
bool Statement::ColumnIsBlob(int column) const {
  return sqlite3_column_type(stmt_, column) == SQLITE_BLOB;
}
std::string_view Statement::ColumnBlob(int column) const {
  const void* blob = sqlite3_column_blob(stmt_, column);
  if (blob == nullptr) return {};
  return std::string_view(static_cast<const char*>(blob),
                          static_cast<std::size_t>(sqlite3_column_bytes(stmt_, column)));
}
std::string Statement::ColumnText(int column) const {
  const auto* text = sqlite3_column_text(stmt_, column);
  if (text == nullptr) return {};
  return std::string(reinterpret_cast<const char*>(text),
                     static_cast<std::size_t>(sqlite3_column_bytes(stmt_, column)));
}

Database::~Database() {
  if (db_ != nullptr) sqlite3_close_v2(db_);
}

Database::Database(Database&& other) noexcept : db_(other.db_), path_(std::move(other.path_)) {
  other.db_ = nullptr;
}

Database& Database::operator=(Database&& other) noexcept {
  if (this != &other) {
    if (db_ != nullptr) sqlite3_close_v2(db_);
    db_ = other.db_;
    path_ = std::move(other.path_);
    other.db_ = nullptr;
  }
  return *this;
}

Result<Database> Database::Open(const std::string& path, bool read_only) {
  if (!read_only) {
    // Create the file ourselves so it is born with mode 0600: it will hold raw records.
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0) {
      return MakeError(ErrorCode::kIo,
                       "cannot create database '" + path + "': " + std::strerror(errno));
    }
    ::close(fd);
  }
  sqlite3* db = nullptr;
  const int flags = (read_only ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE) |
                    SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE;
  if (sqlite3_open_v2(path.c_str(), &db, flags, nullptr) != SQLITE_OK) {
    Error error = DatabaseError(db, "opening database '" + path + "'");
    sqlite3_close_v2(db);
    return error;
  }
  Database database(db, path);
  sqlite3_busy_timeout(db, 5000);
  // record_json(): the views that show raw records call it (record_sql.h).
  if (const int rc = RegisterRecordFunctions(db); rc != SQLITE_OK) {
    return MakeError(ErrorCode::kDatabase, std::string("registering record_json(): ") +
                                               sqlite3_errstr(rc) + " (database " + path + ")");
  }
  if (!read_only) {
    // Someone else's SQLite file (version 0, yet tables in it) is not made into ours: nothing
    // is changed in it, not even its journal mode.
    auto version = database.QueryInt("PRAGMA user_version");
    if (!version) return std::move(version).error();
    if (*version == 0) {
      auto objects = database.QueryInt("SELECT count(*) FROM sqlite_schema");
      if (!objects) return std::move(objects).error();
      if (*objects > 0) {
        return MakeError(ErrorCode::kDatabase,
                         "'" + path +
                             "' is a SQLite database, but not one of trailreplay's (it "
                             "holds other tables): choose another --db");
      }
    }
    // WAL keeps readers working during a scan; synchronous=NORMAL is durable across process
    // crashes (what resume needs), losing at most the last commits on power loss. A new
    // database gets 16 KiB pages (set before WAL, which fixes the size): events carry raw
    // records of 1-2 KB, which overflow 4 KiB pages, and a scan writes and checkpoints a
    // quarter as many pages (whole CIS pack over 1 GB: 30 s with 4 KiB pages, 20 s with 16).
    for (const char* pragma :
         {"PRAGMA page_size=16384", "PRAGMA journal_mode=WAL", "PRAGMA synchronous=NORMAL",
          "PRAGMA foreign_keys=OFF", "PRAGMA temp_store=MEMORY"}) {
      auto stmt = database.Prepare(pragma);
      if (!stmt) return std::move(stmt).error();
      auto row = stmt->Step();
      if (!row) return std::move(row).error();
    }
    if (auto migrated = database.Migrate(); !migrated) return std::move(migrated).error();
  }
  return database;
}

Result<void> Database::Exec(std::string_view sql) {
  std::string text(sql);
  char* message = nullptr;
  if (sqlite3_exec(db_, text.c_str(), nullptr, nullptr, &message) != SQLITE_OK) {
    std::string detail = message != nullptr ? message : sqlite3_errmsg(db_);
    sqlite3_free(message);
    return MakeError(ErrorCode::kDatabase, detail + " (database " + path_ + ")");
  }
  return {};
}

Result<Statement> Database::Prepare(std::string_view sql) {
  sqlite3_stmt* stmt = nullptr;
  if (sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()), SQLITE_PREPARE_PERSISTENT,
                         &stmt, nullptr) != SQLITE_OK) {
    return DatabaseError(db_, "preparing '" + std::string(sql.substr(0, 60)) + "'");
  }
  return Statement(db_, stmt);
}

Result<std::int64_t> Database::QueryInt(std::string_view sql) {
  auto stmt = Prepare(sql);
  if (!stmt) return std::move(stmt).error();
  auto row = stmt->Step();
  if (!row) return std::move(row).error();
  return *row ? stmt->ColumnInt(0) : 0;
}

std::int64_t Database::LastInsertRowId() const { return sqlite3_last_insert_rowid(db_); }
int Database::Changes() const { return sqlite3_changes(db_); }

Result<void> Database::Migrate() {
  auto user_version = QueryInt("PRAGMA user_version");
  if (!user_version) return std::move(user_version).error();
  const auto version = static_cast<std::size_t>(*user_version);
  if (version > std::size(kSchemaMigrations)) {
    return MakeError(ErrorCode::kDatabase,
                     "database '" + path_ + "' has schema version " + std::to_string(version) +
                         ", newer than this trailreplay understands (" +
                         std::to_string(std::size(kSchemaMigrations)) + "); upgrade trailreplay");
  }
  for (std::size_t v = version; v < std::size(kSchemaMigrations); ++v) {
    std::string sql = "BEGIN IMMEDIATE;\n" + std::string(kSchemaMigrations[v]) +
                      "\nPRAGMA user_version = " + std::to_string(v + 1) + ";\nCOMMIT;";
    if (auto done = Exec(sql); !done) {
      (void)Exec("ROLLBACK");
      return std::move(done).error();
    }
  }
  return {};
}

Result<void> Database::CheckIntegrity() {
  auto check = Prepare("PRAGMA quick_check(5)");
  if (!check) return std::move(check).error();
  std::string problems;
  for (;;) {
    auto row = check->Step();
    if (!row) {
      problems = sqlite3_errmsg(db_);  // SQLite's own words, without the statement
      break;
    }
    if (!*row) break;
    const std::string line = check->ColumnText(0);
    if (line == "ok") return {};
    problems += (problems.empty() ? "" : "; ") + line;
  }
  return MakeError(ErrorCode::kDatabase,
                   "database '" + path_ + "' is damaged (SQLite's quick_check: " + problems +
                       "); the scan stopped before writing to it. Keep it as it is, and scan into "
                       "a new database (or restore a copy)");
}

Result<std::optional<std::string>> Database::GetMeta(std::string_view key) {
  auto stmt = Prepare("SELECT value FROM meta WHERE key = ?");
  if (!stmt) return std::move(stmt).error();
  stmt->Bind(1, key);
  auto row = stmt->Step();
  if (!row) return std::move(row).error();
  if (!*row) return std::optional<std::string>{};
  return std::optional<std::string>{stmt->ColumnText(0)};
}

Result<void> Database::SetMeta(std::string_view key, std::string_view value) {
  auto stmt = Prepare(
      "INSERT INTO meta (key, value) VALUES (?, ?) "
      "ON CONFLICT (key) DO UPDATE SET value = excluded.value");
  if (!stmt) return std::move(stmt).error();
  stmt->Bind(1, key).Bind(2, value);
  return stmt->Run();
}

}  // namespace trailreplay::store

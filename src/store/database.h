// SQLite access for everything trailreplay stores: opening (and creating) a database, applying
// the versioned schema in schema/*.sql (embedded in the binary at build time, applied in order
// on open and recorded in PRAGMA user_version), and a thin statement wrapper whose every
// sqlite3_* return code is checked where it is called.
//
// Databases hold raw CloudTrail records, so a new file is created readable by its owner only.
// They run in WAL mode so readers (`sql`, `replay`, `report`) work while a scan writes.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "common/result.h"

struct sqlite3;
struct sqlite3_stmt;

namespace trailreplay::store {

// The schema version this build writes and expects.
int SchemaVersion();

class Statement {
 public:
  Statement() = default;
  ~Statement();
  Statement(Statement&& other) noexcept;
  Statement& operator=(Statement&& other) noexcept;

  // Binding is 1-based, as in SQLite. Bind errors surface at Step().
  Statement& Bind(int index, std::int64_t value);
  Statement& Bind(int index, double value);
  Statement& Bind(int index, std::string_view text);
  Statement& BindBlob(int index, std::string_view bytes);
  Statement& BindNull(int index);
  Statement& Bind(int index, const std::optional<std::string>& text);
  // As Bind, without SQLite's copy of the text: it must stay as it is until the statement
  // has been stepped (Run), and the parameter must be bound again before the next step.
  Statement& BindUncopied(int index, std::string_view text);
  Statement& BindUncopied(int index, const std::optional<std::string>& text);

  // Steps once: true when a row is available, false when done.
  Result<bool> Step();
  // Steps to completion (for statements that return no rows) and resets.
  Result<void> Run();
  void Reset();

  std::int64_t ColumnInt(int column) const;
  double ColumnDouble(int column) const;
  std::string ColumnText(int column) const;
  // A view of a BLOB column, valid until the next Step(), Reset() or destruction.
  std::string_view ColumnBlob(int column) const;
  bool ColumnIsNull(int column) const;
  bool ColumnIsBlob(int column) const;

 private:
  friend class Database;
  Statement(sqlite3* db, sqlite3_stmt* stmt) : db_(db), stmt_(stmt) {}
  sqlite3* db_ = nullptr;
  sqlite3_stmt* stmt_ = nullptr;
  int bind_error_ = 0;
};

class Database {
 public:
  ~Database();
  Database(Database&& other) noexcept;
  Database& operator=(Database&& other) noexcept;

  // Opens `path`, creating it (mode 0600) when absent, and brings its schema up to date.
  // `read_only` opens an existing database without changing it.
  static Result<Database> Open(const std::string& path, bool read_only = false);

  Result<void> Exec(std::string_view sql);
  Result<Statement> Prepare(std::string_view sql);
  // The first column of a query's first row as an integer (0 when there is no row): a
  // count, an EXISTS, a PRAGMA's value.
  Result<std::int64_t> QueryInt(std::string_view sql);
  std::int64_t LastInsertRowId() const;
  int Changes() const;

  // SQLite's quick_check over the whole file (every page is read once: about 0.5 s per GB on
  // this project's test machine): an error naming what is damaged. A scan runs it before
  // writing, since a damaged page it does not happen to touch would otherwise go unnoticed, and
  // one it does touch could have been read as wrong counts.
  Result<void> CheckIntegrity();

  // meta table access (settings fixed by the first scan).
  Result<std::optional<std::string>> GetMeta(std::string_view key);
  Result<void> SetMeta(std::string_view key, std::string_view value);

  const std::string& path() const { return path_; }
  sqlite3* handle() { return db_; }

 private:
  Database(sqlite3* db, std::string path) : db_(db), path_(std::move(path)) {}
  Result<void> Migrate();
  sqlite3* db_ = nullptr;
  std::string path_;
};

// An error for a failed sqlite3 call: the operation, SQLite's message and the database path.
Error DatabaseError(sqlite3* db, std::string_view what);

}  // namespace trailreplay::store

// A read-only connection for SQL written by someone else (`trailreplay sql`): the text is
// treated as hostile, because it may come from a colleague's snippet, a ticket or a script,
// and the database it runs against is evidence.
//
// SQLITE_OPEN_READONLY alone is not enough: the TEMP schema stays writable, `PRAGMA
// query_only = 0` undoes the query_only guard, `VACUUM INTO 'file'` writes a copy of the
// database anywhere (following symbolic links), ATTACH opens or creates other files, and the
// FTS3 tokenizer function hands out raw pointers (one argument) and calls through a pointer
// of the caller's choice (two), the known route from SQL text to code execution. So the guard
//   - configures the connection: defensive mode (no writable_schema, no shadow-table
//     writes), untrusted schema (functions in views must be innocuous), no FTS3 tokenizer, no
//     extension loading, no attached databases;
//   - installs an authorizer that allows reading and nothing else: SELECT, reads of tables
//     and views, recursive CTEs, transactions and savepoints (they change nothing on a
//     read-only connection), functions other than those that touch memory addresses, files
//     or extensions, and the PRAGMAs that only report (with an argument only where the
//     argument names what to report on);
//   - refuses, after preparing, any statement SQLite itself says writes (VACUUM has no
//     authorizer code of its own).
// A refusal is an error that says what was refused and why (Denial()).
#pragma once

#include <string>

#include "common/result.h"
#include "store/database.h"

struct sqlite3_stmt;

namespace trailreplay::store {

class QueryGuard {
 public:
  QueryGuard() = default;
  QueryGuard(const QueryGuard&) = delete;
  QueryGuard& operator=(const QueryGuard&) = delete;

  // Configures `db` (opened read-only) and installs the authorizer. The guard must outlive
  // every statement prepared on `db`.
  Result<void> Install(Database& db);

  // Call before preparing each statement: forgets the previous refusal.
  void Clear() { denial_.clear(); }
  // Why the last statement was refused ("" when it was not refused by the guard).
  const std::string& denial() const { return denial_; }

  // Checks a prepared statement for what the authorizer cannot see (a write SQLite knows of
  // only once the statement is compiled, such as VACUUM). An error says why it is refused.
  Result<void> CheckPrepared(sqlite3_stmt* stmt);

 private:
  static int Authorize(void* self, int action, const char* a, const char* b, const char* db,
                       const char* trigger);
  int Decide(int action, const char* a, const char* b);

  std::string denial_;
};

}  // namespace trailreplay::store

#include "store/query_guard.h"

#include <sqlite3.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <string_view>

namespace trailreplay::store {

namespace {

// Functions that reach past the database: raw memory addresses (fts3_tokenizer returns a
// pointer with one argument and calls through one with two; fts5() hands out its API
// pointer), files (readfile, writefile and edit, in builds or shells that register them) and
// shared libraries (load_extension).
constexpr std::array<std::string_view, 7> kDeniedFunctions = {
    "fts3_tokenizer", "fts5", "load_extension", "readfile", "writefile", "edit", "zipfile"};

// PRAGMAs that only report, and whose argument (when given) names what to report on.
constexpr std::array<std::string_view, 9> kReportingPragmasWithArgument = {
    "table_info",       "table_xinfo",       "index_info",      "index_xinfo", "index_list",
    "foreign_key_list", "foreign_key_check", "integrity_check", "quick_check"};

// PRAGMAs that report when given no argument (with one, most of them change a setting).
constexpr std::array<std::string_view, 20> kReportingPragmas = {
    "application_id", "auto_vacuum",    "collation_list", "compile_options", "data_version",
    "database_list",  "encoding",       "foreign_keys",   "freelist_count",  "function_list",
    "journal_mode",   "module_list",    "page_count",     "page_size",       "pragma_list",
    "query_only",     "schema_version", "table_list",     "user_version",    "cache_size"};

constexpr const char* kSchemaChange =
    "changing the schema (CREATE, DROP, ALTER, REINDEX, ANALYZE), TEMP objects included, is "
    "not allowed";

std::string Lower(const char* text) {
  std::string out = text != nullptr ? text : "";
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

template <std::size_t N>
bool Contains(const std::array<std::string_view, N>& list, std::string_view name) {
  return std::find(list.begin(), list.end(), name) != list.end();
}

}  // namespace

Result<void> QueryGuard::Install(Database& db) {
  sqlite3* handle = db.handle();
  struct Setting {
    int option;
    int value;
    const char* what;
  };
  for (const Setting& s : {Setting{SQLITE_DBCONFIG_DEFENSIVE, 1, "defensive mode"},
                           Setting{SQLITE_DBCONFIG_TRUSTED_SCHEMA, 0, "untrusted schema"},
                           Setting{SQLITE_DBCONFIG_ENABLE_FTS3_TOKENIZER, 0, "no FTS3 tokenizer"},
                           Setting{SQLITE_DBCONFIG_ENABLE_LOAD_EXTENSION, 0, "no extensions"},
                           Setting{SQLITE_DBCONFIG_ENABLE_TRIGGER, 0, "no triggers"}}) {
    int now = -1;
    if (sqlite3_db_config(handle, s.option, s.value, &now) != SQLITE_OK || now != s.value) {
      return MakeError(ErrorCode::kDatabase,
                       std::string("cannot configure the query connection: ") + s.what);
    }
  }
  sqlite3_limit(handle, SQLITE_LIMIT_ATTACHED, 0);
  // Before the authorizer, which would refuse this PRAGMA as it refuses every setting.
  if (auto ok = db.Exec("PRAGMA query_only = ON"); !ok) return ok;
  if (sqlite3_set_authorizer(handle, &QueryGuard::Authorize, this) != SQLITE_OK) {
    return DatabaseError(handle, "installing the read-only authorizer");
  }
  return {};
}

int QueryGuard::Authorize(void* self, int action, const char* a, const char* b, const char*,
                          const char*) {
  return static_cast<QueryGuard*>(self)->Decide(action, a, b);
}

int QueryGuard::Decide(int action, const char* a, const char* b) {
  auto deny = [&](std::string why) {
    if (denial_.empty()) denial_ = std::move(why);
    return SQLITE_DENY;
  };
  switch (action) {
    case SQLITE_SELECT:
    case SQLITE_READ:
    case SQLITE_RECURSIVE:
    case SQLITE_TRANSACTION:
    case SQLITE_SAVEPOINT:
      return SQLITE_OK;
    case SQLITE_FUNCTION: {
      const std::string name = Lower(b);
      if (Contains(kDeniedFunctions, name)) {
        return deny("the function " + name +
                    "() is not allowed: it reaches memory addresses, files or libraries "
                    "outside the database");
      }
      return SQLITE_OK;
    }
    case SQLITE_PRAGMA: {
      const std::string name = Lower(a);
      if (Contains(kReportingPragmasWithArgument, name)) return SQLITE_OK;
      if (b == nullptr && Contains(kReportingPragmas, name)) return SQLITE_OK;
      return deny(b != nullptr ? "PRAGMA " + name + " = " + b +
                                     " is not allowed: it changes the connection or the database"
                               : "PRAGMA " + name +
                                     " is not allowed (only PRAGMAs that report "
                                     "are)");
    }
    case SQLITE_ATTACH:
    case SQLITE_DETACH:
      return deny("ATTACH and DETACH are not allowed: only this database can be queried");
    case SQLITE_UPDATE:
      // Preparing a table-valued function (pragma_table_info(), json_each()) reports updates
      // of the main schema table's columns while SQLite sets the function's table up; they
      // never run on this connection (read-only, defensive, and CheckPrepared refuses any
      // statement that writes), so they are let through.
      if (Lower(a) == "sqlite_master" || Lower(a) == "sqlite_schema") return SQLITE_OK;
      [[fallthrough]];
    case SQLITE_INSERT:
    case SQLITE_DELETE:
      if (Lower(a).rfind("sqlite_", 0) == 0) return deny(kSchemaChange);
      return deny("writing (INSERT, UPDATE, DELETE) is not allowed");
    default:
      return deny(kSchemaChange);
  }
}

Result<void> QueryGuard::CheckPrepared(sqlite3_stmt* stmt) {
  if (stmt == nullptr || sqlite3_stmt_readonly(stmt) != 0) return {};
  const std::string text = Lower(sqlite3_sql(stmt));
  const std::size_t start = text.find_first_not_of(" \t\r\n");
  const bool vacuum = start != std::string::npos && text.compare(start, 6, "vacuum") == 0;
  return MakeError(ErrorCode::kInvalidArgument,
                   vacuum ? "VACUUM is not allowed: it rewrites the database or, with INTO, "
                            "writes a copy of the evidence to another file"
                          : "this statement writes, and sql is read-only");
}

}  // namespace trailreplay::store

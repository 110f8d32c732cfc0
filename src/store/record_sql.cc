#include "store/record_sql.h"

// Built into trailreplay against SQLite itself, and into the loadable extension against the
// routines the loading program hands over (TRAILREPLAY_SQLITE_EXTENSION, where sqlite3ext.h
// turns each sqlite3_* call into a call through them).
#ifdef TRAILREPLAY_SQLITE_EXTENSION
#include <sqlite3ext.h>
SQLITE_EXTENSION_INIT3
#else
#include <sqlite3.h>
#endif

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "store/record_codec.h"

namespace trailreplay::store {
namespace {

// The dictionary of an ID, looked for in each attached database in turn, `main` first.
std::optional<std::string> FindDictionary(sqlite3* db, std::uint32_t id) {
  std::vector<std::string> schemas;
  sqlite3_stmt* list = nullptr;
  if (sqlite3_prepare_v2(db, "PRAGMA database_list", -1, &list, nullptr) == SQLITE_OK) {
    while (sqlite3_step(list) == SQLITE_ROW) {
      const unsigned char* name = sqlite3_column_text(list, 1);
      if (name != nullptr) schemas.emplace_back(reinterpret_cast<const char*>(name));
    }
  }
  sqlite3_finalize(list);
  for (const std::string& schema : schemas) {
    std::string quoted = "\"";
    for (char c : schema) quoted += c == '"' ? std::string("\"\"") : std::string(1, c);
    quoted += '"';
    const std::string sql =
        "SELECT dictionary FROM " + quoted + ".record_dictionaries WHERE dictionary_id = ?";
    sqlite3_stmt* stmt = nullptr;
    if (sqlite3_prepare_v2(db, sql.c_str(), -1, &stmt, nullptr) != SQLITE_OK) {
      sqlite3_finalize(stmt);  // a database without the table (not trailreplay's)
      continue;
    }
    sqlite3_bind_int64(stmt, 1, id);
    std::optional<std::string> found;
    if (sqlite3_step(stmt) == SQLITE_ROW) {
      const void* bytes = sqlite3_column_blob(stmt, 0);
      const int size = sqlite3_column_bytes(stmt, 0);
      found.emplace(static_cast<const char*>(bytes), static_cast<std::size_t>(size));
    }
    sqlite3_finalize(stmt);
    if (found) return found;
  }
  return std::nullopt;
}

struct Connection {
  explicit Connection(sqlite3* handle)
      : db(handle), decompressor([this](std::uint32_t id) { return FindDictionary(db, id); }) {}
  sqlite3* db;
  RecordDecompressor decompressor;
  std::string text, error;
};

void RecordJson(sqlite3_context* context, int, sqlite3_value** argv) {
  sqlite3_value* raw = argv[0];
  switch (sqlite3_value_type(raw)) {
    case SQLITE_NULL:
      return;  // NULL
    case SQLITE_TEXT:
      sqlite3_result_value(context, raw);
      return;
    case SQLITE_BLOB:
      break;
    default:
      sqlite3_result_error(context, "record_json(): not a stored record (a number)", -1);
      return;
  }
  auto* connection = static_cast<Connection*>(sqlite3_user_data(context));
  const auto* bytes = static_cast<const char*>(sqlite3_value_blob(raw));
  const std::string_view frame(bytes, static_cast<std::size_t>(sqlite3_value_bytes(raw)));
  const int limit = sqlite3_limit(sqlite3_context_db_handle(context), SQLITE_LIMIT_LENGTH, -1);
  if (!connection->decompressor.Decompress(frame, static_cast<std::size_t>(limit), connection->text,
                                           connection->error)) {
    const std::string message = "record_json(): " + connection->error;
    sqlite3_result_error(context, message.c_str(), -1);
    return;
  }
  sqlite3_result_text64(context, connection->text.data(), connection->text.size(), SQLITE_TRANSIENT,
                        SQLITE_UTF8);
}

}  // namespace

int RegisterRecordFunctions(sqlite3* db) {
  auto* connection = new Connection(db);
  // Deterministic: a frame names its dictionary by an ID derived from the dictionary's bytes.
  // Innocuous: it only reads, so views may use it where the schema is not trusted (`sql`).
  return sqlite3_create_function_v2(
      db, "record_json", 1, SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_INNOCUOUS, connection,
      RecordJson, nullptr, nullptr, [](void* p) { delete static_cast<Connection*>(p); });
}

}  // namespace trailreplay::store

// The loadable SQLite extension: record_json() for sqlite3 and other programs reading a
// trailreplay database, whose raw records are stored compressed (store/record_codec.h).
//
//   sqlite3 trail.db
//   sqlite> .load /usr/local/lib/trailreplay/sqlite/trailreplay
//   sqlite> SELECT json_extract(raw, '$.userIdentity.arn') FROM matches LIMIT 3;
#include <sqlite3ext.h>
SQLITE_EXTENSION_INIT1

#include "store/record_sql.h"

// SQLite finds the entry point by the file's name: trailreplay.so -> sqlite3_trailreplay_init.
extern "C" __attribute__((visibility("default"))) int sqlite3_trailreplay_init(
    sqlite3* db, char** error, const sqlite3_api_routines* api) {
  SQLITE_EXTENSION_INIT2(api);
  const int rc = trailreplay::store::RegisterRecordFunctions(db);
  if (rc != SQLITE_OK && error != nullptr) {
    *error = sqlite3_mprintf("trailreplay: cannot register record_json(): %s", sqlite3_errstr(rc));
  }
  return rc;
}

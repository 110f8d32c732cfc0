// record_json(raw): a stored record's JSON text, whether events.raw holds it as text or as a
// compressed frame (record_codec.h). Every connection trailreplay opens has it, so do
// `trailreplay sql` and the views that read raw records (`matches`); the loadable extension
// (sqlite_extension.cc) gives it to sqlite3 and to any program that can load one.
#pragma once

struct sqlite3;

namespace trailreplay::store {

// Registers record_json() on `db`; an SQLite result code.
int RegisterRecordFunctions(sqlite3* db);

}  // namespace trailreplay::store

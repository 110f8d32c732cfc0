#include "store/imports.h"

namespace trailreplay::store {

Result<std::vector<ImportRecord>> ListImports(Database& db) {
  std::vector<ImportRecord> out;
  // A read-only open leaves an older database unmigrated: no table, no imports.
  auto exists =
      db.QueryInt("SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'imports'");
  if (!exists) return std::move(exists).error();
  if (*exists == 0) return out;
  auto stmt = db.Prepare(
      "SELECT import_id, imported_at, version, query_id, dialect, engine, from_time, to_time, "
      "source_file, result_rows FROM imports ORDER BY import_id");
  if (!stmt) return std::move(stmt).error();
  for (;;) {
    auto row = stmt->Step();
    if (!row) return std::move(row).error();
    if (!*row) break;
    ImportRecord r;
    r.import_id = stmt->ColumnInt(0);
    r.imported_at = stmt->ColumnText(1);
    r.version = stmt->ColumnText(2);
    r.query_id = stmt->ColumnText(3);
    r.dialect = stmt->ColumnText(4);
    r.engine = stmt->ColumnText(5);
    if (!stmt->ColumnIsNull(6)) r.from = stmt->ColumnInt(6);
    if (!stmt->ColumnIsNull(7)) r.to = stmt->ColumnInt(7);
    r.source_file = stmt->ColumnText(8);
    r.result_rows = stmt->ColumnInt(9);
    out.push_back(std::move(r));
  }
  return out;
}

std::string NoEventsMessage(const std::vector<ImportRecord>& imports) {
  std::string from;
  if (imports.size() == 1) {
    from = "query " + imports.front().query_id + " (" + imports.front().dialect + ")";
  } else {
    from = std::to_string(imports.size()) + " query results";
  }
  return "no matching events are stored: the samples were imported from " + from +
         " with import-samples, which brings per-minute counts only; scan the logs to list "
         "events";
}

}  // namespace trailreplay::store

// Query results imported into a database (schema/*_imports.sql; pushdown/import.h writes
// them): their provenance, and what the commands that would list matching events need to know:
// an imported database holds per-minute samples and no events.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/result.h"
#include "store/database.h"

namespace trailreplay::store {

struct ImportRecord {
  std::int64_t import_id = 0;
  std::string imported_at;
  std::string version;
  std::string query_id;
  std::string dialect;
  std::string engine;
  std::optional<std::int64_t> from, to;
  std::string source_file;
  std::int64_t result_rows = 0;
};

// The imports, oldest first; empty for a scanned database or one made before the imports
// table existed.
Result<std::vector<ImportRecord>> ListImports(Database& db);

// What to print where matching events would be listed: "no matching events are stored: the
// samples were imported from query 0123456789abcdef (athena) with import-samples, ...".
std::string NoEventsMessage(const std::vector<ImportRecord>& imports);

}  // namespace trailreplay::store

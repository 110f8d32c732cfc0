// The report's integrity section: what the last `trailreplay verify --db` proved about the
// archive the database was scanned from (tables verifications and verification_findings).
// Empty when no verification is stored.
#pragma once

#include <string>

#include "common/result.h"
#include "store/database.h"

namespace trailreplay::report {

Result<std::string> IntegritySection(store::Database& db);

}  // namespace trailreplay::report

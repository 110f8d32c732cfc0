// The replay tests' common starting point: sample-data/AWSLogs scanned with the built-in
// filters into a fresh database.
#pragma once

#include <gtest/gtest.h>

#include <string>

#include "metric/filter_set.h"
#include "scan/scanner.h"

namespace trailreplay::test {

inline void ScanSampleData(const std::string& db_path) {
  scan::ScanOptions options;
  options.paths = {std::string(TRAILREPLAY_SOURCE_DIR) + "/sample-data/AWSLogs"};
  options.db_path = db_path;
  options.filters = metric::BuiltinFilters();
  options.threads = 2;
  auto scanned = scan::RunScan(options, {});
  ASSERT_TRUE(scanned.has_value()) << scanned.error().message;
}

}  // namespace trailreplay::test

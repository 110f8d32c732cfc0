#include "cli/cli_support.h"

#include <iostream>

#include "common/private_file.h"

namespace trailreplay::cli {

void WarnIfShared(const std::string& db_path) {
  if (auto warning = SharedFileWarning(db_path)) std::cerr << "warning: " << *warning << "\n";
}

}  // namespace trailreplay::cli

// What every command shares about talking to people: warnings about the files it is given,
// and (cli_support.cc) the checks the command line applies the same way everywhere.
#pragma once

#include <string>

namespace trailreplay::cli {

// Prints a warning on stderr when an existing database file can be read by others than its
// owner (it holds raw CloudTrail records).
void WarnIfShared(const std::string& db_path);

}  // namespace trailreplay::cli

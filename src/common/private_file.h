// Files that hold evidence: the HTML report and the databases list principals, source IPs and
// user agents, so they are written readable by their owner only, whole or not at all, and
// never through a symbolic link someone left at the destination.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "common/result.h"

namespace trailreplay {

// Writes `content` to `path` (mode 0600) through a temporary file in the same directory and a
// rename, so a failed write (full disk, Ctrl-C) never leaves half a file and an existing file
// is replaced only by a complete one. Refuses a destination that is a symbolic link or not a
// regular file.
Result<void> WritePrivateFile(const std::string& path, std::string_view content);

// A warning when the existing file at `path` can be read or written by others than its owner
// (a database copied with a permissive umask, say); nullopt otherwise or when it is absent.
std::optional<std::string> SharedFileWarning(const std::string& path);

}  // namespace trailreplay

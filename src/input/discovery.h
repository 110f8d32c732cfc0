// Finding the inputs: the PATHs of a scan expanded into a sorted list of files.
//
// Files are taken as given; directories are walked recursively, entries sorted by name
// (bytewise) so every scan of the same tree visits files in the same order. Symbolic links
// to files are followed; symbolic links to directories are followed unless the directory is
// already being walked (a loop), which is reported and skipped. Anything that cannot be read
// (a directory without permission, a broken link, a socket) is reported as an issue and the
// walk goes on. Nothing here opens a file's contents: a regular file without read permission
// is listed like any other, and the reader reports it when opening it fails (so it reaches the
// ledger as an error instead of vanishing from the scan).
#pragma once

#include <atomic>
#include <cstdint>
#include <string>
#include <vector>

namespace trailreplay::input {

struct InputFile {
  std::string path;           // as reached: PATH joined with the names below it
  std::uint64_t size = 0;     // bytes, from stat
  std::int64_t mtime_ns = 0;  // modification time, nanoseconds since the epoch
};

struct DiscoveryIssue {
  std::string path;
  std::string message;  // e.g. "permission denied", "symbolic link loop", "no such file"
};

struct Discovery {
  std::vector<InputFile> files;
  std::vector<DiscoveryIssue> issues;
};

// Expands `paths` in the order given (each directory's files sorted). A file reached twice
// (the same PATH given twice, or a link to a file already listed) is listed once. `threads`
// stat the files (0: one per core); the result does not depend on how many. Once `stop` is
// set, no further directory is read, and what is returned is incomplete (a caller that no
// longer needs the listing sets it, and discards the result).
Discovery Discover(const std::vector<std::string>& paths, unsigned threads = 0,
                   const std::atomic<bool>* stop = nullptr);

}  // namespace trailreplay::input

// Finding an S3 key among the objects read: where a digest says a log or a digest lives
// (`[prefix/]AWSLogs/...`), and whether a digest sits where it says it does.
//
// Copies are re-rooted (a bucket synced into any directory, a prefix dropped, a tar made from
// inside AWSLogs/), so the part of a key that is matched is the part CloudTrail controls: from
// its last `AWSLogs` component on, against the same part of the object's path. An object whose
// path has no `AWSLogs` component (a copy of a subtree, or flattened files) matches when its
// path below the PATH it was found under is a tail of the key: every component it has agrees.
#pragma once

#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "verify/collect.h"

namespace trailreplay::verify {

// The components of a path or key ('/' or '\\' separated; empty and "." components dropped),
// as views into it.
std::vector<std::string_view> SplitPath(std::string_view path);

// True when `object` is where `key` says (see above).
bool SitsAt(const FoundObject& object, std::string_view key);

class ArchiveIndex {
 public:
  explicit ArchiveIndex(const std::vector<FoundObject>& objects);

  // The objects (readable or not) that sit at `key`, in discovery order.
  std::vector<std::size_t> Find(std::string_view key) const;

  // The key an object that no digest names is reported under: its path from `AWSLogs` on,
  // behind the longest prefix a digest's key uses that the path also has; otherwise its path
  // below the PATH it was found under.
  std::string KeyOf(const FoundObject& object, const std::vector<std::string>& prefixes) const;

 private:
  const std::vector<FoundObject>& objects_;
  // By file name (a view into the object's path or member: the objects outlive the index).
  std::unordered_map<std::string_view, std::vector<std::size_t>> by_name_;
};

}  // namespace trailreplay::verify

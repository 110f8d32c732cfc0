#include "verify/archive_index.h"

#include <algorithm>

namespace trailreplay::verify {
namespace {

constexpr std::string_view kRoot = "AWSLogs";

std::size_t LastRoot(const std::vector<std::string_view>& parts) {
  for (std::size_t i = parts.size(); i-- > 0;) {
    if (parts[i] == kRoot) return i;
  }
  return std::string::npos;
}

std::string Join(const std::vector<std::string_view>& parts, std::size_t from) {
  std::string out;
  for (std::size_t i = from; i < parts.size(); ++i) {
    if (!out.empty()) out += '/';
    out += parts[i];
  }
  return out;
}

}  // namespace

std::vector<std::string_view> SplitPath(std::string_view path) {
  std::vector<std::string_view> out;
  std::size_t start = 0;
  for (std::size_t i = 0; i <= path.size(); ++i) {
    if (i == path.size() || path[i] == '/' || path[i] == '\\') {
      const std::string_view part = path.substr(start, i - start);
      if (!part.empty() && part != ".") out.push_back(part);
      start = i + 1;
    }
  }
  return out;
}

bool SitsAt(const FoundObject& object, std::string_view key_text) {
  const std::vector<std::string_view> location = SplitPath(object.Location());
  const std::vector<std::string_view> key = SplitPath(key_text);
  const std::size_t found = LastRoot(location);
  const std::size_t wanted = LastRoot(key);
  if (found != std::string::npos) {
    return wanted != std::string::npos && location.size() - found == key.size() - wanted &&
           std::equal(location.begin() + static_cast<std::ptrdiff_t>(found), location.end(),
                      key.begin() + static_cast<std::ptrdiff_t>(wanted));
  }
  const std::vector<std::string_view> rel = SplitPath(object.Relative());
  return !rel.empty() && rel.size() <= key.size() &&
         std::equal(rel.begin(), rel.end(), key.end() - static_cast<std::ptrdiff_t>(rel.size()));
}

ArchiveIndex::ArchiveIndex(const std::vector<FoundObject>& objects) : objects_(objects) {
  for (std::size_t i = 0; i < objects.size(); ++i) {
    const std::vector<std::string_view> parts = SplitPath(objects[i].Location());
    if (!parts.empty()) by_name_[parts.back()].push_back(i);
  }
}

std::vector<std::size_t> ArchiveIndex::Find(std::string_view key) const {
  std::vector<std::size_t> out;
  const std::vector<std::string_view> parts = SplitPath(key);
  if (parts.empty()) return out;
  const auto it = by_name_.find(parts.back());
  if (it == by_name_.end()) return out;
  for (std::size_t index : it->second) {
    if (SitsAt(objects_[index], key)) out.push_back(index);
  }
  return out;
}

std::string ArchiveIndex::KeyOf(const FoundObject& object,
                                const std::vector<std::string>& prefixes) const {
  const std::vector<std::string_view> location = SplitPath(object.Location());
  const std::size_t root = LastRoot(location);
  if (root == std::string::npos) return Join(SplitPath(object.Relative()), 0);
  std::string best;
  for (const std::string& prefix : prefixes) {
    const std::vector<std::string_view> parts = SplitPath(prefix);
    if (parts.size() > root || prefix.size() <= best.size()) continue;
    if (std::equal(parts.begin(), parts.end(),
                   location.begin() + static_cast<std::ptrdiff_t>(root - parts.size()))) {
      best = prefix;
    }
  }
  const std::string tail = Join(location, root);
  return best.empty() ? tail : best + "/" + tail;
}

}  // namespace trailreplay::verify

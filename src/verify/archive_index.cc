#include "verify/archive_index.h"

#include <algorithm>

namespace trailreplay::verify {
namespace {

constexpr std::string_view kRoot = "AWSLogs";

std::size_t LastRoot(const std::vector<std::string>& parts) {
  for (std::size_t i = parts.size(); i-- > 0;) {
    if (parts[i] == kRoot) return i;
  }
  return std::string::npos;
}

std::string Join(const std::vector<std::string>& parts, std::size_t from) {
  std::string out;
  for (std::size_t i = from; i < parts.size(); ++i) {
    if (!out.empty()) out += '/';
    out += parts[i];
  }
  return out;
}

}  // namespace

std::vector<std::string> KeyComponents(std::string_view key) {
  std::vector<std::string> out;
  std::size_t start = 0;
  for (std::size_t i = 0; i <= key.size(); ++i) {
    if (i == key.size() || key[i] == '/') {
      if (i > start) out.emplace_back(key.substr(start, i - start));
      start = i + 1;
    }
  }
  return out;
}

bool SitsAt(const FoundObject& object, const std::vector<std::string>& key) {
  const std::size_t found = LastRoot(object.location);
  const std::size_t wanted = LastRoot(key);
  if (found != std::string::npos) {
    return wanted != std::string::npos && object.location.size() - found == key.size() - wanted &&
           std::equal(object.location.begin() + static_cast<std::ptrdiff_t>(found),
                      object.location.end(), key.begin() + static_cast<std::ptrdiff_t>(wanted));
  }
  const auto& rel = object.relative;
  return !rel.empty() && rel.size() <= key.size() &&
         std::equal(rel.begin(), rel.end(), key.end() - static_cast<std::ptrdiff_t>(rel.size()));
}

ArchiveIndex::ArchiveIndex(const std::vector<FoundObject>& objects) : objects_(objects) {
  for (std::size_t i = 0; i < objects.size(); ++i) {
    if (!objects[i].location.empty()) by_name_[objects[i].location.back()].push_back(i);
  }
}

std::vector<std::size_t> ArchiveIndex::Find(std::string_view key) const {
  const std::vector<std::string> parts = KeyComponents(key);
  std::vector<std::size_t> out;
  if (parts.empty()) return out;
  const auto it = by_name_.find(parts.back());
  if (it == by_name_.end()) return out;
  for (std::size_t index : it->second) {
    if (SitsAt(objects_[index], parts)) out.push_back(index);
  }
  return out;
}

std::string ArchiveIndex::KeyOf(const FoundObject& object,
                                const std::vector<std::string>& prefixes) const {
  const std::size_t root = LastRoot(object.location);
  if (root == std::string::npos) return Join(object.relative, 0);
  std::string best;
  for (const std::string& prefix : prefixes) {
    const std::vector<std::string> parts = KeyComponents(prefix);
    if (parts.size() > root || prefix.size() <= best.size()) continue;
    if (std::equal(parts.begin(), parts.end(),
                   object.location.begin() + static_cast<std::ptrdiff_t>(root - parts.size()))) {
      best = prefix;
    }
  }
  const std::string tail = Join(object.location, root);
  return best.empty() ? tail : best + "/" + tail;
}

}  // namespace trailreplay::verify

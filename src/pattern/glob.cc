// Glob matching by segments: the glob splits at '*' into literal segments; the first must be a
// prefix (unless the glob starts with '*'), the last a suffix (unless it ends with '*'), and
// the middle ones are found left to right with the leftmost-match greedy rule, which is
// complete for '*'-only globs (an earlier placement never prevents a later segment from
// matching).
#include "pattern/glob.h"

namespace trailreplay::pattern {

bool GlobMatch(std::string_view glob, std::string_view text) {
  const std::size_t first_star = glob.find('*');
  if (first_star == std::string_view::npos) return glob == text;

  const std::string_view head = glob.substr(0, first_star);
  const std::size_t last_star = glob.rfind('*');
  const std::string_view tail = glob.substr(last_star + 1);
  if (text.size() < head.size() + tail.size()) return false;
  if (text.substr(0, head.size()) != head) return false;
  if (text.substr(text.size() - tail.size()) != tail) return false;

  // Middle segments must fit, in order, between the head and the tail.
  std::string_view rest = text.substr(head.size(), text.size() - head.size() - tail.size());
  std::size_t pos = first_star + 1;
  while (pos < last_star) {
    const std::size_t next_star = glob.find('*', pos);
    const std::string_view segment = glob.substr(pos, next_star - pos);
    pos = next_star + 1;
    if (segment.empty()) continue;
    const std::size_t found = rest.find(segment);
    if (found == std::string_view::npos) return false;
    rest.remove_prefix(found + segment.size());
  }
  return true;
}

}  // namespace trailreplay::pattern

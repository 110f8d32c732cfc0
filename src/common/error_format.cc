#include "common/error_format.h"

#include <algorithm>

namespace trailreplay {

namespace {

// Control characters and bytes outside printable ASCII would shift the caret or garble the
// terminal, so they are shown as '?' in the reprint (the offset stays a byte offset).
std::string Printable(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u >= 0x7f) c = '?';
  }
  return out;
}

}  // namespace

std::string FormatError(const Error& error, const std::string& what) {
  std::string out = "error: " + error.message;
  if (!error.has_offset()) return out + "\n";
  out += " (at byte " + std::to_string(error.offset) + " of the " + what + ")\n";

  // Long subjects (a 1 MB hostile pattern) are windowed around the offset so the caret line
  // stays readable; "..." marks the cut ends.
  constexpr std::size_t kWindow = 60;
  const std::string_view subject = error.subject;
  const std::size_t offset = std::min(error.offset, subject.size());
  std::size_t begin = offset > kWindow ? offset - kWindow : 0;
  std::size_t end = std::min(subject.size(), offset + kWindow);
  std::string prefix = begin > 0 ? "..." : "";
  std::string suffix = end < subject.size() ? "..." : "";
  out += "  " + prefix + Printable(subject.substr(begin, end - begin)) + suffix + "\n";
  out += "  " + std::string(prefix.size() + (offset - begin), ' ') + "^\n";
  return out;
}

}  // namespace trailreplay

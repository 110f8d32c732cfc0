#include "common/terminal_text.h"

namespace trailreplay {

namespace {

constexpr char kHex[] = "0123456789abcdef";

void AppendByteEscape(std::string& out, unsigned char byte) {
  out += "\\x";
  out.push_back(kHex[byte >> 4]);
  out.push_back(kHex[byte & 0xf]);
}

}  // namespace

std::size_t Utf8SequenceLength(std::string_view text, bool* truncated) {
  if (truncated != nullptr) *truncated = false;
  if (text.empty()) return 0;
  const auto b0 = static_cast<unsigned char>(text[0]);
  if (b0 < 0x80) return 1;
  std::size_t length = 0;
  unsigned char low = 0x80, high = 0xBF;  // the second byte's range (RFC 3629, table 3-7)
  if (b0 >= 0xC2 && b0 <= 0xDF) {
    length = 2;
  } else if (b0 >= 0xE0 && b0 <= 0xEF) {
    length = 3;
    if (b0 == 0xE0) low = 0xA0;
    if (b0 == 0xED) high = 0x9F;
  } else if (b0 >= 0xF0 && b0 <= 0xF4) {
    length = 4;
    if (b0 == 0xF0) low = 0x90;
    if (b0 == 0xF4) high = 0x8F;
  } else {
    return 0;
  }
  for (std::size_t i = 1; i < length; ++i) {
    if (i >= text.size()) {
      if (truncated != nullptr) *truncated = true;
      return 0;
    }
    const auto b = static_cast<unsigned char>(text[i]);
    if (i == 1 ? (b < low || b > high) : (b < 0x80 || b > 0xBF)) return 0;
  }
  return length;
}

std::size_t AppendTerminalSafe(std::string& out, std::string_view text, bool keep_newlines,
                               bool partial) {
  std::size_t i = 0;
  while (i < text.size()) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c >= 0x20 && c < 0x7f) {
      out.push_back(static_cast<char>(c));
      ++i;
    } else if (c == '\t' || (c == '\n' && keep_newlines)) {
      out.push_back(static_cast<char>(c));
      ++i;
    } else if (c < 0x80) {
      AppendByteEscape(out, c);
      ++i;
    } else {
      bool truncated = false;
      const std::size_t length = Utf8SequenceLength(text.substr(i), &truncated);
      if (length == 0) {
        if (truncated && partial) return i;  // the rest may come with the next write
        AppendByteEscape(out, c);
        ++i;
      } else if (c == 0xC2 && static_cast<unsigned char>(text[i + 1]) < 0xA0) {
        // A C1 control, U+0080..U+009F.
        out += "\\u00";
        const auto low = static_cast<unsigned char>(text[i + 1]);
        out.push_back(kHex[low >> 4]);
        out.push_back(kHex[low & 0xf]);
        i += 2;
      } else {
        out.append(text.substr(i, length));
        i += length;
      }
    }
  }
  return i;
}

std::string TerminalSafe(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  AppendTerminalSafe(out, text, /*keep_newlines=*/false);
  return out;
}

}  // namespace trailreplay

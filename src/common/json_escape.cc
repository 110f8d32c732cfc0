#include "common/json_escape.h"

#include <charconv>
#include <cmath>
#include <cstdio>

#include "common/terminal_text.h"

namespace trailreplay {

void AppendJsonString(std::string& out, std::string_view text) {
  static constexpr char kHex[] = "0123456789abcdef";
  out.push_back('"');
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    const auto u = static_cast<unsigned char>(c);
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (u < 0x20 || u == 0x7f) {
          out += "\\u00";
          out.push_back(kHex[u >> 4]);
          out.push_back(kHex[u & 0xf]);
        } else if (u < 0x80) {
          out.push_back(c);
        } else {
          // Multi-byte: copied when valid UTF-8, except the C1 controls (U+0080..U+009F),
          // escaped like the C0 ones so no terminal obeys them; an invalid byte becomes
          // U+FFFD, as JSON text must be UTF-8.
          const std::size_t length = Utf8SequenceLength(text.substr(i));
          if (length == 0) {
            out += "\\ufffd";
          } else if (u == 0xC2 && static_cast<unsigned char>(text[i + 1]) < 0xA0) {
            const auto low = static_cast<unsigned char>(text[i + 1]);
            out += "\\u00";
            out.push_back(kHex[low >> 4]);
            out.push_back(kHex[low & 0xf]);
            ++i;
          } else {
            out.append(text.substr(i, length));
            i += length - 1;
          }
        }
    }
  }
  out.push_back('"');
}

std::string JsonString(std::string_view text) {
  std::string out;
  out.reserve(text.size() + 2);
  AppendJsonString(out, text);
  return out;
}

std::string JsonNumber(double value) {
  if (!std::isfinite(value)) return "null";
  char buffer[64];
  // std::to_chars gives the shortest round-trip representation; integers print without ".0".
  auto [end, ec] = std::to_chars(buffer, buffer + sizeof buffer, value);
  if (ec != std::errc()) return "null";
  return std::string(buffer, end);
}

}  // namespace trailreplay

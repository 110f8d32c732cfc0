#include "common/text_format.h"

#include <cstdio>

namespace trailreplay {

std::string Grouped(std::uint64_t n) {
  std::string digits = std::to_string(n), out;
  for (std::size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return out;
}

std::string Fixed(double value, int decimals) {
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, "%.*f", decimals, value);
  return buffer;
}

std::string Percent(double share) {
  if (!(share > 0)) return "0.00%";
  if (share >= 1) return "100.00%";
  if (share < 0.0001) return "<0.01%";
  if (share > 0.9999) return ">99.99%";
  return Fixed(100 * share, 2) + "%";
}

std::string Percent(std::uint64_t part, std::uint64_t whole) {
  if (whole == 0 || part == 0) return "0.00%";
  if (part >= whole)
    return Fixed(100.0 * static_cast<double>(part) / static_cast<double>(whole), 2) + "%";
  return Percent(static_cast<double>(part) / static_cast<double>(whole));
}

std::string Duration(std::int64_t seconds) {
  const std::int64_t minutes = seconds / 60;
  char buffer[64];
  if (minutes < 60) {
    std::snprintf(buffer, sizeof buffer, "%lldm", static_cast<long long>(minutes));
  } else if (minutes < 24 * 60) {
    std::snprintf(buffer, sizeof buffer, "%lldh %02lldm", static_cast<long long>(minutes / 60),
                  static_cast<long long>(minutes % 60));
  } else {
    std::snprintf(buffer, sizeof buffer, "%lldd %02lldh", static_cast<long long>(minutes / 1440),
                  static_cast<long long>(minutes / 60 % 24));
  }
  return buffer;
}

std::string Pad(std::string text, std::size_t width, bool right_align) {
  if (text.size() >= width) return text;
  return right_align ? std::string(width - text.size(), ' ') + text
                     : text + std::string(width - text.size(), ' ');
}

}  // namespace trailreplay

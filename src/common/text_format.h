// Numbers and durations as the commands print them to people (never to machines: JSON output
// uses common/json_escape.h). Locale-independent.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace trailreplay {

// 1234567 -> "1,234,567".
std::string Grouped(std::uint64_t n);
// 3.14159, 2 -> "3.14".
std::string Fixed(double value, int decimals);
// part of whole as "12.34%" ("0.00%" when whole is 0). Never rounds to a lie: a part that is
// not zero never prints "0.00%" (1 of 50,530 is "<0.01%"), nor a part short of the whole
// "100.00%" (50,529 of 50,530 is ">99.99%").
std::string Percent(std::uint64_t part, std::uint64_t whole);
// The same for a share in [0, 1] known only as a ratio.
std::string Percent(double share);
// Seconds as "15m", "2h 05m", "3d 04h" (minutes floored).
std::string Duration(std::int64_t seconds);
// `text` padded with spaces to `width`, on the right (left-aligned) or on the left.
std::string Pad(std::string text, std::size_t width, bool right_align = false);

}  // namespace trailreplay

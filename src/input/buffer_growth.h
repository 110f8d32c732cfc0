// Sizes for an output buffer that grows towards a hard ceiling (a decompression limit + 1).
//
// libstdc++'s std::string never grows its capacity by less than 2x: resizing to anything
// between the old capacity and twice it allocates twice it. Doubling freely and then clamping
// to the ceiling would therefore reserve up to twice the limit. Instead the sizes walk down
// from the ceiling by halving (rounding up): ceiling, ceil(ceiling/2), ceil(ceiling/4), ...
// Consecutive sizes differ by a factor of at most 2, so each step allocates within a few bytes
// of the size asked for, and the last step lands on the ceiling itself.
#pragma once

#include <cstddef>

namespace trailreplay::input {

// The smallest size in the ceiling's halving chain that is at least `guess` (the ceiling when
// `guess` exceeds it).
inline std::size_t FirstBufferSize(std::size_t ceiling, std::size_t guess) {
  std::size_t size = ceiling;
  while (size > 1 && size - size / 2 >= guess) size -= size / 2;
  return size;
}

// The next size in the ceiling's halving chain after `current` (< ceiling): at most twice
// `current`.
inline std::size_t NextBufferSize(std::size_t current, std::size_t ceiling) {
  std::size_t size = ceiling;
  while (size > 1 && size - size / 2 > current) size -= size / 2;
  return size;
}

}  // namespace trailreplay::input

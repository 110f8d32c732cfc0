// libFuzzer target for the filter-pattern language: any byte string is parsed; valid patterns
// are printed, compiled and evaluated against a fixed JSON event and against the input itself
// as a message. Under ASan/UBSan this checks that no pattern crashes, overflows the stack or
// reads out of bounds, and that error offsets always point inside the pattern.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "metric/transformation.h"
#include "pattern/compiled.h"
#include "pattern/parser.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto parsed = trailreplay::pattern::ParsePattern(text);
  if (!parsed) {
    const auto& error = parsed.error();
    if (error.has_offset() && error.offset > text.size()) std::abort();
    return 0;
  }
  (void)trailreplay::pattern::PrintPattern(*parsed);
  trailreplay::pattern::SelectorPlan plan;
  const trailreplay::pattern::CompiledPattern compiled(std::move(*parsed), plan);
  trailreplay::pattern::EventContext event(&plan);
  static constexpr std::string_view kEvent =
      R"({"errorCode":"AccessDenied","eventName":"StopLogging","a":[1,"x",{"b":null}],)"
      R"("n":-1.5e3,"t":true,"o":{"p":{"q":"r"}},"x.y":"z"})";
  event.Reset(kEvent);
  (void)compiled.Matches(event);
  (void)trailreplay::metric::ExtractedValues(compiled, nullptr, event);
  event.Reset(text);
  (void)compiled.Matches(event);
  return 0;
}

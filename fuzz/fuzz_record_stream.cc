// libFuzzer target for the record extractor: any byte string is classified and split. Under
// ASan/UBSan this checks that no document crashes or reads out of bounds, and it checks the
// stream's contract: every record is an object ('{' ... '}') lying inside the input at its
// offset, record and bad-record offsets never go back, indexes count up by one from 0, stop
// offsets point inside the input, the stream ends within a bounded number of steps and stays
// ended.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "event/records.h"

namespace {

void Check(bool condition) {
  if (!condition) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using trailreplay::event::RecordStream;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  RecordStream stream(text);
  const bool holds_records = trailreplay::event::HoldsRecords(stream.kind());
  (void)trailreplay::event::DocumentKindName(stream.kind());

  trailreplay::event::Record record;
  std::uint64_t next_index = 0;
  std::uint64_t last_offset = 0;
  // Every step but the last consumes at least one byte.
  for (std::size_t steps = 0;; ++steps) {
    Check(steps <= size + 1);
    const RecordStream::Step step = stream.Next(record);
    if (step == RecordStream::Step::kEnd) break;
    Check(holds_records);
    Check(record.offset <= size);
    Check(record.error.empty() == (step == RecordStream::Step::kRecord));
    if (step == RecordStream::Step::kStop) {
      Check(record.text.empty());
      break;
    }
    Check(record.index == next_index++);
    Check(record.offset >= last_offset);
    last_offset = record.offset;
    Check(record.text.data() >= text.data());
    Check(record.text.data() + record.text.size() <= text.data() + size);
    Check(static_cast<std::uint64_t>(record.text.data() - text.data()) == record.offset);
    if (step == RecordStream::Step::kRecord) {
      Check(record.text.size() >= 2);
      Check(record.text.front() == '{' && record.text.back() == '}');
      if (stream.kind() != trailreplay::event::DocumentKind::kExport) {
        Check(record.export_time_ms == -1);
      }
    }
  }
  for (int i = 0; i < 2; ++i) Check(stream.Next(record) == RecordStream::Step::kEnd);
  return 0;
}

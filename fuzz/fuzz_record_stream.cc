// libFuzzer target for the record extractor: any byte string is classified and split. Under
// ASan/UBSan this checks that no document crashes or reads out of bounds, and it checks the
// stream's contract: every record is an object ('{' ... '}') lying inside the input at its
// offset, record and bad-record offsets never go back, indexes count up by one from 0, stop
// offsets point inside the input, the stream ends within a bounded number of steps and stays
// ended.
//
// It also checks the scanner's fast path against the splitter: when the whole-document walk
// (EventContext::StartDocument) takes a log or an array and reaches its end, its records must
// be the splitter's, none of them bad (same offsets, same texts), each with the same values at
// every selector as the record parsed on its own. The differences allowed are the ones
// pattern/compiled.h documents: inside values no selector reads, the walk counts brackets
// without checking their kinds, and it takes a backslash outside a string as an escape (the
// splitter takes the quote after it for the start of a string). So when the document has a
// closer of the wrong kind or a stray backslash, the two may disagree.
#include <simdjson.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "event/records.h"
#include "pattern/compiled.h"
#include "pattern/parser.h"

namespace {

void Check(bool condition) {
  if (!condition) std::abort();
}

// True when `text` has, outside strings, a backslash or a closer of the wrong kind.
bool HasLeniencies(std::string_view text) {
  std::vector<char> open;
  bool in_string = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (in_string) {
      if (c == '\\') {
        ++i;
      } else if (c == '"') {
        in_string = false;
      }
      continue;
    }
    if (c == '\\') return true;
    if (c == '"') in_string = true;
    if (c == '[' || c == '{') open.push_back(c);
    if (c == ']' || c == '}') {
      if (open.empty()) return true;
      if ((c == ']') != (open.back() == '[')) return true;
      open.pop_back();
    }
  }
  return false;
}

struct Splits {
  std::vector<trailreplay::event::Record> records;  // kRecord and kBadRecord steps, in order
  bool stopped = false;
};

// Selectors of the shapes the scanner reads: top-level and nested fields, a wildcard, an index.
struct Plan {
  Plan() {
    for (const char* text : {"$.eventTime", "$.userIdentity.arn", "$.a.*", "$.b[0]", "$.c"}) {
      auto parsed = trailreplay::pattern::ParseSelectorText(text);
      Check(parsed.has_value());
      ids.push_back(plan.Add(*parsed));
    }
  }
  trailreplay::pattern::SelectorPlan plan;
  std::vector<std::uint32_t> ids;
};

using trailreplay::pattern::EventContext;
using trailreplay::pattern::JsonValue;

std::vector<std::vector<JsonValue>> ValuesOf(EventContext& event, const Plan& plan) {
  std::vector<std::vector<JsonValue>> out;
  for (std::uint32_t id : plan.ids) out.push_back(event.Values(id));
  return out;
}

bool SameValues(const std::vector<std::vector<JsonValue>>& a,
                const std::vector<std::vector<JsonValue>>& b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (a[i].size() != b[i].size()) return false;
    for (std::size_t j = 0; j < a[i].size(); ++j) {
      if (a[i][j].kind != b[i][j].kind || a[i][j].text != b[i][j].text) return false;
    }
  }
  return true;
}

void CheckWholeDocumentWalk(std::string_view text, trailreplay::event::DocumentKind kind,
                            const Splits& splits) {
  using trailreplay::event::DocumentKind;
  if (kind != DocumentKind::kRecords && kind != DocumentKind::kArray) return;
  static Plan plan;
  static EventContext walk(&plan.plan);
  static EventContext single(&plan.plan);
  std::string padded(text);
  padded.resize(text.size() + simdjson::SIMDJSON_PADDING, '\0');
  const std::string_view doc(padded.data(), text.size());
  if (!walk.StartDocument(doc, kind == DocumentKind::kRecords)) return;
  // The scanner keeps what the walk yields only when it reaches kEnd; after kIrregular it
  // splits the document instead. So a walk that ends must agree with the splitter throughout.
  struct Walked {
    std::uint64_t offset;
    std::string_view text;
    std::vector<std::vector<JsonValue>> values;
  };
  std::vector<Walked> walked;
  for (;;) {
    const EventContext::DocumentStep step = walk.NextRecord();
    if (step == EventContext::DocumentStep::kIrregular) return;
    if (step == EventContext::DocumentStep::kEnd) break;
    Check(walk.record_offset() < text.size());
    walked.push_back({walk.record_offset(), walk.message(), ValuesOf(walk, plan)});
  }
  if (HasLeniencies(text)) return;
  Check(!splits.stopped);
  Check(walked.size() == splits.records.size());
  for (std::size_t i = 0; i < walked.size(); ++i) {
    const trailreplay::event::Record& split = splits.records[i];
    Check(split.error.empty());
    Check(split.offset == walked[i].offset);
    Check(split.text == walked[i].text);
    single.Reset(split.text);
    Check(single.IsJsonObject());
    Check(SameValues(walked[i].values, ValuesOf(single, plan)));
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using trailreplay::event::RecordStream;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  RecordStream stream(text);
  const bool holds_records = trailreplay::event::HoldsRecords(stream.kind());
  (void)trailreplay::event::DocumentKindName(stream.kind());

  trailreplay::event::Record record;
  Splits splits;
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
      splits.stopped = true;
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
    splits.records.push_back(record);
  }
  for (int i = 0; i < 2; ++i) Check(stream.Next(record) == RecordStream::Step::kEnd);
  CheckWholeDocumentWalk(text, stream.kind(), splits);
  return 0;
}

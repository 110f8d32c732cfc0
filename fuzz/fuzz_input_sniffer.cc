// libFuzzer target for the input front end, as the scanner drives it: any byte string is
// sniffed as a container; an archive (tar, compressed tar, zip, 7z) is opened in memory and its
// members read with a size cap; each document (the input itself, or a member) is gunzipped with
// a size limit when it is gzip, classified and split into records, and every record is parsed
// once for the built-in filters and the fields the scanner reads (its eventTime parsed). Under
// ASan/UBSan this checks that no input crashes or reads out of bounds, that the caps hold (no
// member or decoded document over its limit) and that records lie inside their document.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "common/time.h"
#include "event/records.h"
#include "input/archive.h"
#include "input/gzip.h"
#include "metric/filter_set.h"
#include "pattern/compiled.h"

namespace {

using trailreplay::event::Record;
using trailreplay::event::RecordStream;

// Small caps keep each run fast; the limits' edges are what matters.
constexpr std::uint64_t kMaxMember = 1 << 20;
constexpr std::uint64_t kMaxDecoded = 4 << 20;
// A few bytes of 7z can declare millions of empty members; reading more adds nothing.
constexpr int kMaxMembers = 4096;

void Check(bool condition) {
  if (!condition) std::abort();
}

struct Setup {
  trailreplay::metric::FilterSet filters;
  std::vector<std::uint32_t> fields;  // what the scanner reads of every record
};

const Setup& GetSetup() {
  static const Setup setup = [] {
    auto filters =
        trailreplay::metric::FilterSet::Compile(trailreplay::metric::BuiltinFilters()).value();
    std::vector<std::uint32_t> fields;
    for (const char* selector :
         {"$.eventTime", "$.['@timestamp']", "$.eventID", "$.recipientAccountId",
          "$.userIdentity.accountId", "$.awsRegion", "$.userIdentity.arn", "$.userAgent"}) {
      fields.push_back(filters.AddSelector(selector));
    }
    return Setup{std::move(filters), std::move(fields)};
  }();
  return setup;
}

void ProcessDocument(std::string_view doc) {
  std::string decoded;
  if (trailreplay::input::IsGzip(doc)) {
    // On failure `decoded` keeps what came before the error, which the scanner still reads.
    const auto inflated = trailreplay::input::GunzipAll(doc, decoded, kMaxDecoded);
    Check(decoded.size() <= kMaxDecoded);
    Check(inflated || !inflated.error().message.empty());
    doc = decoded;
  }
  RecordStream stream(doc);
  Record record;
  if (!trailreplay::event::HoldsRecords(stream.kind())) {
    Check(stream.Next(record) == RecordStream::Step::kEnd);
    return;
  }
  const Setup& setup = GetSetup();
  trailreplay::pattern::EventContext context(&setup.filters.plan());
  for (std::size_t steps = 0;; ++steps) {
    Check(steps <= doc.size() + 1);
    const RecordStream::Step step = stream.Next(record);
    if (step == RecordStream::Step::kEnd || step == RecordStream::Step::kStop) break;
    if (step == RecordStream::Step::kBadRecord) continue;
    Check(record.text.data() >= doc.data() &&
          record.text.data() + record.text.size() <= doc.data() + doc.size());
    context.Reset(record.text);
    if (!context.IsJsonObject()) continue;
    for (std::size_t i = 0; i < setup.filters.size(); ++i) {
      (void)setup.filters.pattern(i).Matches(context);
    }
    for (const std::uint32_t field : setup.fields) {
      for (const trailreplay::pattern::JsonValue& value : context.Values(field)) {
        if (value.kind == trailreplay::pattern::JsonKind::kString) {
          (void)trailreplay::ParseIsoTime(value.text);
        }
      }
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  namespace input = trailreplay::input;
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  if (input::SniffContainerBytes(bytes) == input::ContainerKind::kSingle) {
    ProcessDocument(bytes);
    return 0;
  }
  auto reader = input::ArchiveReader::OpenMemory(bytes);
  if (!reader) return 0;
  input::Member member;
  std::string content;
  for (int i = 0; i < kMaxMembers; ++i) {
    const auto next = reader->Next(member);
    if (!next || !*next) break;
    if (!member.regular) continue;
    const auto read = reader->ReadData(content, kMaxMember);
    Check(content.size() <= kMaxMember);
    if (read) ProcessDocument(content);
  }
  return 0;
}

// Workers take files by index and keep their objects in a slot of that index, so the result is
// in discovery order whatever the thread count. A file is read whole (a bundle larger than
// kReadWholeBytes is streamed member by member instead); gzip content is decoded before the
// container is sniffed, since a CloudTrail object is gzip JSON and only something else could be
// a compressed tar.
#include "verify/collect.h"

#include <simdjson.h>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <mutex>
#include <thread>

#include "common/sha256.h"
#include "common/time.h"
#include "event/records.h"
#include "input/archive.h"
#include "input/discovery.h"
#include "input/gzip.h"
#include "verify/archive_index.h"
#include "verify/digest_file.h"

namespace trailreplay::verify {
namespace {

constexpr std::uint64_t kReadWholeBytes = std::uint64_t{64} << 20;
// gzip is first inflated only this far (a log file inflates to a few MiB), so that a tar.gz of
// gigabytes is known for an archive before it is inflated whole.
constexpr std::uint64_t kFirstInflateBytes = std::uint64_t{16} << 20;
constexpr std::uint64_t kMaxSidecarBytes = std::uint64_t{1} << 20;
constexpr std::string_view kCloudTrailSource = "cloudtrail.amazonaws.com";

bool EndsWith(std::string_view text, std::string_view suffix) {
  return text.size() >= suffix.size() && text.substr(text.size() - suffix.size()) == suffix;
}

bool StartsLikeJson(std::string_view doc) {
  if (doc.substr(0, 3) == "\xef\xbb\xbf") doc.remove_prefix(3);
  for (char c : doc.substr(0, 4096)) {
    if (c == ' ' || c == '\t' || c == '\r' || c == '\n') continue;
    return c == '{' || c == '[';
  }
  return false;
}

// Where in `file` the part below the PATH argument it was found under begins; a PATH that is
// the file itself contributes its name only.
std::size_t RelativeFrom(const std::string& file, const std::vector<std::string>& roots) {
  const std::vector<std::string_view> parts = SplitPath(file);
  std::size_t best = std::string::npos;
  for (const std::string& root : roots) {
    const std::vector<std::string_view> root_parts = SplitPath(root);
    if (root_parts.size() > parts.size() ||
        !std::equal(root_parts.begin(), root_parts.end(), parts.begin())) {
      continue;
    }
    if (best == std::string::npos || root_parts.size() > best) best = root_parts.size();
  }
  if (parts.empty()) return 0;
  const std::string_view first =
      best == std::string::npos || best >= parts.size() ? parts.back() : parts[best];
  return static_cast<std::size_t>(first.data() - file.data());
}

// The trail-management calls a log records, found by a substring test on the document and on
// each record before anything is parsed: most logs name no trail call at all.
void FindTrailEvents(std::string_view content, std::vector<TrailEvent>& out) {
  if (content.find(kCloudTrailSource) == std::string_view::npos) return;
  simdjson::dom::parser parser;
  event::RecordStream stream(content);
  event::Record record;
  for (;;) {
    const auto step = stream.Next(record);
    if (step == event::RecordStream::Step::kEnd || step == event::RecordStream::Step::kStop) break;
    if (step != event::RecordStream::Step::kRecord ||
        record.text.find(kCloudTrailSource) == std::string_view::npos) {
      continue;
    }
    simdjson::dom::object object;
    if (parser.parse(record.text.data(), record.text.size()).get(object) != simdjson::SUCCESS) {
      continue;
    }
    std::string_view source, name;
    if (object["eventSource"].get(source) != simdjson::SUCCESS || source != kCloudTrailSource ||
        object["eventName"].get(name) != simdjson::SUCCESS) {
      continue;
    }
    if (name != "StopLogging" && name != "StartLogging" && name != "DeleteTrail" &&
        name != "CreateTrail" && name != "UpdateTrail") {
      continue;
    }
    TrailEvent event;
    event.event_name = std::string(name);
    std::string_view text;
    if (object["eventID"].get(text) == simdjson::SUCCESS) event.event_id = std::string(text);
    if (object["eventTime"].get(text) == simdjson::SUCCESS) event.event_time = std::string(text);
    const auto time = ParseIsoTime(event.event_time);
    if (!time) continue;
    event.time = *time;
    if (object["errorCode"].get(text) == simdjson::SUCCESS) event.error_code = std::string(text);
    if (object["recipientAccountId"].get(text) == simdjson::SUCCESS) {
      event.account = std::string(text);
    }
    simdjson::dom::object parameters;
    if (object["requestParameters"].get(parameters) == simdjson::SUCCESS) {
      if (parameters["name"].get(text) == simdjson::SUCCESS) event.trail = std::string(text);
      bool validation = false;
      if (parameters["enableLogFileValidation"].get(validation) == simdjson::SUCCESS) {
        event.enable_validation = validation;
      }
    }
    if (event.trail.empty()) continue;
    // Creating or updating a trail explains a chain break only by turning validation off or on.
    if ((name == "CreateTrail" || name == "UpdateTrail") && !event.enable_validation) continue;
    out.push_back(std::move(event));
  }
}

class Reader {
 public:
  Reader(std::vector<std::string> roots, std::uint64_t max_document)
      : roots_(std::move(roots)), max_document_(max_document) {}

  void ReadFile(const input::InputFile& file, std::vector<FoundObject>& out) {
    if (file.size > kReadWholeBytes) {
      auto container = input::SniffContainer(file.path);
      if (container && *container == input::ContainerKind::kArchive) {
        auto reader = input::ArchiveReader::Open(file.path);
        if (!reader) {
          out.push_back(Unreadable(file, reader.error().message));
          return;
        }
        ReadMembers(file, *reader, out);
        return;
      }
    }
    auto read = input::ReadWholeFile(file.path, raw_, max_document_);
    if (!read) {
      out.push_back(Unreadable(file, read.error().message));
      return;
    }
    FoundObject object = NewObject(file.path, "");
    object.size = raw_.size();
    object.stored_sha256 = Sha256Hex(raw_);
    // A sidecar is small plain JSON; nothing else needs its bytes sniffed.
    if (EndsWith(file.path, kSidecarSuffix)) {
      KeepSidecar(object, raw_);
      out.push_back(std::move(object));
      return;
    }
    const bool gzip = input::IsGzip(raw_);
    const std::uint64_t first_limit =
        gzip ? std::min(max_document_, kFirstInflateBytes) : max_document_;
    auto decoded = DecodeContent(raw_, content_, first_limit);
    // A file named as a CloudTrail log or digest is judged as one, whatever its bytes hold.
    if (object.kind == ObjectKind::kOther && !(decoded && StartsLikeJson(content_)) &&
        input::SniffContainerBytes(raw_) == input::ContainerKind::kArchive) {
      auto reader = input::ArchiveReader::OpenMemory(raw_);
      if (!reader) {
        out.push_back(Unreadable(file, reader.error().message));
        return;
      }
      ReadMembers(file, *reader, out);
      return;
    }
    if (!decoded && decoded.error().code == ErrorCode::kLimit && first_limit < max_document_) {
      decoded = DecodeContent(raw_, content_, max_document_);
    }
    Finish(object, std::move(decoded));
    out.push_back(std::move(object));
  }

 private:
  FoundObject NewObject(const std::string& path, const std::string& member) {
    FoundObject object;
    object.path = path;
    object.member = member;
    if (member.empty()) object.relative_from = RelativeFrom(path, roots_);
    const input::KeyKind kind = object.Key().kind;
    if (kind == input::KeyKind::kLog) object.kind = ObjectKind::kLog;
    if (kind == input::KeyKind::kDigest) object.kind = ObjectKind::kDigest;
    return object;
  }

  FoundObject Unreadable(const input::InputFile& file, std::string message) {
    FoundObject object = NewObject(file.path, "");
    object.size = file.size;
    object.error = std::move(message);
    object.unreadable = true;
    return object;
  }

  void KeepSidecar(FoundObject& object, const std::string& raw) {
    object.kind = ObjectKind::kSidecar;
    if (raw.size() > kMaxSidecarBytes) {
      object.error = "a sidecar of " + std::to_string(raw.size()) + " bytes is no S3 metadata";
      return;
    }
    object.text = raw;
  }

  // Judges an object from its decoded content (or the error decoding it).
  void Finish(FoundObject& object, Result<DecodedContent> decoded) {
    if (!decoded) {
      object.error = decoded.error().message;
      return;
    }
    object.encoding = std::move(*decoded);
    Sha256 hasher;
    hasher.Update(content_);
    object.content_sha256 = hasher.FinishHex();
    if (object.encoding.member_ends.size() > 1) {
      hasher.Update(std::string_view(content_).substr(0, object.encoding.member_ends.front()));
      object.first_member_sha256 = hasher.FinishHex();
    }
    if (object.kind == ObjectKind::kOther) {
      const event::DocumentKind kind = event::RecordStream(content_).kind();
      if (kind == event::DocumentKind::kDigest) object.kind = ObjectKind::kDigest;
      if (kind == event::DocumentKind::kRecords) object.kind = ObjectKind::kLog;
    }
    if (object.kind == ObjectKind::kDigest) object.text = content_;
    if (object.kind == ObjectKind::kLog) FindTrailEvents(content_, object.events);
  }

  void ReadMembers(const input::InputFile& file, input::ArchiveReader& reader,
                   std::vector<FoundObject>& out) {
    for (;;) {
      input::Member member;
      auto next = reader.Next(member);
      if (!next) {
        FoundObject broken =
            Unreadable(file, "archive unreadable after its member " + std::to_string(member.index) +
                                 ": " + next.error().message);
        broken.unreadable = false;
        out.push_back(std::move(broken));
        return;
      }
      if (!*next) return;
      if (!member.regular) continue;
      FoundObject object = NewObject(file.path, member.name);
      auto read = reader.ReadData(raw_, max_document_);
      if (!read) {
        object.error = read.error().message;
        out.push_back(std::move(object));
        continue;
      }
      object.size = raw_.size();
      object.stored_sha256 = Sha256Hex(raw_);
      if (EndsWith(member.name, kSidecarSuffix)) {
        KeepSidecar(object, raw_);
      } else {
        Finish(object, DecodeContent(raw_, content_, max_document_));
      }
      out.push_back(std::move(object));
    }
  }

  std::vector<std::string> roots_;
  std::uint64_t max_document_;
  std::string raw_, content_;
};

}  // namespace

Collection Collect(const std::vector<std::string>& paths, unsigned threads,
                   std::uint64_t max_document) {
  Collection collection;
  const unsigned workers =
      threads > 0 ? threads : std::max(1u, std::thread::hardware_concurrency());
  input::Discovery discovery = input::Discover(paths, workers);
  for (const auto& issue : discovery.issues) {
    collection.warnings.push_back(issue.path + ": " + issue.message);
  }
  collection.files = discovery.files.size();
  std::vector<std::vector<FoundObject>> slots(discovery.files.size());
  std::atomic<std::size_t> next{0};
  auto work = [&] {
    Reader reader(paths, max_document);
    for (;;) {
      const std::size_t index = next.fetch_add(1);
      if (index >= discovery.files.size()) return;
      reader.ReadFile(discovery.files[index], slots[index]);
    }
  };
  std::vector<std::thread> pool;
  for (unsigned i = 1; i < std::min<std::size_t>(workers, discovery.files.size()); ++i) {
    pool.emplace_back(work);
  }
  work();
  for (auto& thread : pool) thread.join();
  for (auto& slot : slots) {
    for (auto& object : slot) collection.objects.push_back(std::move(object));
  }
  return collection;
}

}  // namespace trailreplay::verify

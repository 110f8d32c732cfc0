#include "scan/scanner.h"

#include <fcntl.h>
#include <simdjson.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <future>
#include <limits>
#include <map>
#include <memory>
#include <mutex>
#include <new>
#include <optional>
#include <stdexcept>
#include <system_error>
#include <thread>
#include <tuple>
#include <unordered_map>

#include "common/json_escape.h"
#include "common/sha256.h"
#include "common/time.h"
#include "event/records.h"
#include "input/archive.h"
#include "input/discovery.h"
#include "input/gzip.h"
#include "input/s3_key.h"
#include "input/stream.h"
#include "store/checkpointer.h"
#include "store/database.h"
#include "store/writer.h"

namespace trailreplay::scan {

namespace {

using store::InputError;
using store::InputResult;
using store::InputStatus;

// Errors kept per input; beyond this one row says how many more there were.
constexpr std::size_t kMaxErrorsPerInput = 100;
// The writer takes results in batches: it polls this often rather than being woken for each
// one (a wake-up per file cost a context switch on each side, 12% of a scan's CPU). Workers
// still wake it when results pile up (a quarter of ScanOptions::buffer_bytes) or the files run out.
constexpr auto kWriterPoll = std::chrono::milliseconds(2);
// WAL pages (16 KiB each in a new database) after which the checkpointer's thread copies
// them into the database file, and after which the writer copies what is left itself, so that
// the WAL starts over (store/checkpointer.h). Each commit writes a few hundred pages, so the
// thread checkpoints after nearly every commit and closing copies about the last one; a
// threshold of 1024 copied fewer pages twice but left more for the end (measured 2-3% slower).
constexpr int kCheckpointFrames = 256;
constexpr int kRestartFrames = 2048;
// Archive members one reader may have queued for other workers.
constexpr std::uint64_t kMaxQueuedMembers = 8;
constexpr std::uint64_t kMaxQueuedBytes = std::uint64_t{32} << 20;
// An event's time can trail its file's delivery stamp by a little clock skew.
constexpr std::int64_t kDeliverySkew = 15 * 60;
// Extra readable bytes after a decoded document, so records parse in place.
constexpr std::size_t kPadding = simdjson::SIMDJSON_PADDING;
// Documents up to this size are indexed whole (Worker::WalkDocument); simdjson keeps four
// bytes of index per byte of capacity, so larger ones are read a window at a time and split
// record by record, to keep memory bounded (Worker::StreamDocument).
constexpr std::size_t kWholeDocumentBytes = std::size_t{16} << 20;
// Files up to this size may be read whole before looking at what they are.
constexpr std::uint64_t kReadWholeBytes = std::uint64_t{64} << 20;
// gzip files up to this size are inflated before checking whether they hold a tar, but only
// up to kWholeDocumentBytes (a log file of 1 MiB inflates to about 10 MiB): a small tar.gz
// whose member inflates to gigabytes is known for an archive before anything inflates more,
// and content bigger than that is inflated again a window at a time.
constexpr std::size_t kInflateBeforeSniffBytes = std::size_t{1} << 20;
// What an input that ran out of memory says.
constexpr std::string_view kOutOfMemoryMessage =
    "out of memory while reading it: not counted; the next scan reads it again";
// What a refused input's error row says (the CLI's summary says it too).
constexpr std::string_view kRaiseLimitHint =
    "not counted: scan again with a higher --max-document-mb to count it";

// True when the first byte after a UTF-8 BOM and whitespace opens a JSON object or array
// (then the bytes are no archive, and need no sniffing).
bool StartsLikeJson(std::string_view doc) {
  if (doc.substr(0, 3) == "\xef\xbb\xbf") doc.remove_prefix(3);
  for (char c : doc.substr(0, 4096)) {
    if (c == ' ' || c == '\t' || c == '\r' || c == '\n') continue;
    return c == '{' || c == '[';
  }
  return false;
}

// What the scan reads of every record, in the filters' plan: its time and eventID, and its
// account and region when the scan is scoped by them (kNone otherwise).
struct FieldIds {
  std::uint32_t event_time, timestamp, event_id, recipient_account, identity_account, region;
};

// What is stored with each matching event, in a plan of its own: read only for the few records
// that match (walking every record's userIdentity for its ARN cost more than the rules did).
struct DetailIds {
  std::uint32_t recipient_account, identity_account, region, event_source, event_name, error_code,
      source_ip, principal_arn, user_agent;
};

bool SuggestsJson(std::string_view name) {
  for (std::string_view suffix : {".json", ".gz", ".jsonl", ".ndjson", ".cloudtrail", ".log"}) {
    if (name.size() >= suffix.size() && name.substr(name.size() - suffix.size()) == suffix) {
      return true;
    }
  }
  return false;
}

}  // namespace

bool PrunedByKey(const ScanOptions& options, const input::KeyInfo& key) {
  if (key.kind != input::KeyKind::kLog) return false;
  auto excluded = [](const std::vector<std::string>& wanted, const std::string& value) {
    return !wanted.empty() && !value.empty() &&
           std::find(wanted.begin(), wanted.end(), value) == wanted.end();
  };
  if (excluded(options.accounts, key.account) || excluded(options.regions, key.region)) {
    return true;
  }
  if (!key.delivery_time) return false;
  const std::int64_t delivered = *key.delivery_time;
  if (options.delivery_basis) {
    return (options.from && delivered < *options.from) || (options.to && delivered >= *options.to);
  }
  // Events precede their delivery: a file delivered before --from holds nothing in range, and
  // one delivered more than the allowed delay after --to holds nothing either.
  if (options.from && delivered + kDeliverySkew < *options.from) return true;
  if (options.to && delivered >= *options.to + options.max_delivery_delay) return true;
  return false;
}

namespace {

class Worker;

struct Shared {
  const ScanOptions* options = nullptr;
  const metric::FilterSet* filters = nullptr;
  FieldIds fields{};
  pattern::SelectorPlan detail_plan;
  DetailIds detail{};
  std::vector<input::InputFile> files;
  // The ledger rows of the archives' members, for the archives about to be read that an
  // earlier scan read part of (or all of, before they changed or were refused): by path, then
  // member. Filled before the workers start, read-only after.
  std::unordered_map<std::string, std::unordered_map<std::string, store::LedgerEntry>>
      member_ledger;
  const std::atomic<bool>* stop = nullptr;
  std::atomic<bool> abort{false};  // the writer failed or --strict stopped the scan
  // What the workers compress raw records with: the writer's committed dictionary, null
  // before there is one (store/writer.h). It lives as long as the writer, past the workers.
  std::atomic<const store::RecordDictionary*> dictionary{nullptr};

  std::atomic<std::size_t> next{0};
  std::mutex mu;
  std::condition_variable writer_cv, worker_cv;
  // What one input file yields, in order: each result carries its sequence number within the
  // file, since an archive's members may be processed by several workers at once.
  // A result handed over in parts (InputResult::more) has one sequence number, its parts
  // numbered from 0.
  struct Slot {
    std::map<std::pair<std::uint64_t, std::uint64_t>, InputResult> ready;  // (seq, part)
    std::uint64_t next = 0;       // the sequence number the writer takes next
    std::uint64_t next_part = 0;  // and its part
    bool done = false;            // nothing more will arrive
    bool complete = true;         // with done: every result of the file arrived (false: stopped)
    std::uint64_t buffered = 0;   // bytes of `ready`
  };
  std::map<std::size_t, Slot> slots;
  std::size_t writer_index = 0;
  std::uint64_t buffered = 0;
  unsigned waiting_workers = 0;  // in Push, waiting for the buffer to drain

  // Archive members read by one worker and handed to any idle one (one tar bundle of a month
  // of logs would otherwise keep a single core busy). The reader queues each member it reads;
  // other workers take them between files, and when there are no files left.
  struct Archive {
    std::uint64_t outstanding = 0;  // members queued or being processed
    std::uint64_t queued = 0, queued_bytes = 0;
    std::uint64_t records = 0, out_of_scope = 0, bad_records = 0, bytes = 0, failed = 0;
    std::uint64_t refused = 0;
  };
  struct MemberJob {
    std::size_t index = 0;  // the archive's file
    std::uint64_t seq = 0;  // the member's result's place in the file's slot
    std::string raw;
    input::KeyInfo key;
    InputResult result;
    std::shared_ptr<Archive> archive;
  };
  std::deque<MemberJob> members;
  std::condition_variable member_cv;      // a member was queued or finished, or a file ended
  std::atomic<unsigned> active_files{0};  // files being processed (each may turn out an archive)

  bool Stopping() const {
    return abort.load(std::memory_order_relaxed) ||
           (stop != nullptr && stop->load(std::memory_order_relaxed));
  }
};

std::uint64_t ResultBytes(const InputResult& r) {
  std::uint64_t bytes = sizeof r + r.events.size() * sizeof(store::CountedEvent) +
                        r.hits.size() * sizeof(store::FilterHit);
  for (const auto& d : r.details) bytes += sizeof d + d.raw.size();
  return bytes;
}

class Worker {
 public:
  explicit Worker(Shared& shared)
      : shared_(shared),
        options_(*shared.options),
        filters_(*shared.filters),
        context_(&shared.filters->plan()),
        detail_context_(&shared.detail_plan) {}

  void Run() {
    for (;;) {
      if (shared_.Stopping()) return;
      if (auto job = TakeMember(nullptr)) {
        RunMember(*job);
        continue;
      }
      // Counted as active before taking an index, so that a worker that finds none left
      // knows whether another may still queue archive members.
      shared_.active_files.fetch_add(1);
      const std::size_t index = shared_.next.fetch_add(1);
      if (index >= shared_.files.size()) {
        shared_.active_files.fetch_sub(1);
        if (WaitForMember()) continue;
        return;
      }
      seq_ = 0;
      stopped_ = false;
      if (!Guarded([&] { ProcessFile(index); })) {
        // Whatever part of it was not pushed yet (for an archive: its own row; its members
        // read before were pushed, each with its own result) is this row.
        const input::InputFile& file = shared_.files[index];
        InputResult result = NewResult(file, "", input::ParseKey(file.path));
        OutOfMemory(result);
        Push(index, std::move(result));
      }
      std::lock_guard lock(shared_.mu);
      shared_.slots[index].done = true;
      shared_.slots[index].complete = !stopped_;
      // The writer only ever waits for the file at writer_index; the last files end the scan.
      if (index == shared_.writer_index && (shared_.buffered >= options_.buffer_bytes / 4 ||
                                            shared_.next.load() >= shared_.files.size())) {
        shared_.writer_cv.notify_all();
      }
      if (shared_.active_files.fetch_sub(1) == 1) shared_.member_cv.notify_all();
    }
  }

 private:
  // The next result of the current file.
  void Push(std::size_t index, InputResult&& result) { Push(index, seq_++, std::move(result)); }

  // A result, or its next part (InputResult::more); the last part ends the result.
  void Push(std::size_t index, std::uint64_t seq, InputResult&& result) {
    const std::uint64_t part = part_;
    part_ = result.more ? part_ + 1 : 0;
    const std::uint64_t bytes = ResultBytes(result);
    std::unique_lock lock(shared_.mu);
    // The writer takes the file it is writing part by part, so its parts have a budget of
    // their own (the other files' results waiting in the buffer must not block them); the
    // part the writer needs next is always let in, or a member waiting behind a full slot
    // could wait for itself.
    auto& slot = shared_.slots[index];
    const auto may_add = [&] {
      if (shared_.abort.load()) return true;
      if (index != shared_.writer_index) return shared_.buffered < options_.buffer_bytes;
      return slot.buffered < options_.buffer_bytes ||
             std::make_pair(seq, part) == std::make_pair(slot.next, slot.next_part);
    };
    // About to wait for the writer to drain the buffer: wake it rather than leave it polling
    // (on one core, nothing else would run until its poll timed out).
    if (!may_add()) shared_.writer_cv.notify_all();
    ++shared_.waiting_workers;
    shared_.worker_cv.wait(lock, may_add);
    --shared_.waiting_workers;
    shared_.buffered += bytes;
    slot.buffered += bytes;
    slot.ready.emplace(std::make_pair(seq, part), std::move(result));
    if (index == shared_.writer_index && shared_.buffered >= options_.buffer_bytes / 4) {
      shared_.writer_cv.notify_all();
    }
  }

  // The oldest queued member: of `archive` only, or of any archive when null. A reader takes
  // only its own: another archive's result could wait for buffer space that only the
  // reader's own archive, the writer's current file, can free.
  std::optional<Shared::MemberJob> TakeMember(const Shared::Archive* archive) {
    std::lock_guard lock(shared_.mu);
    auto it = shared_.members.begin();
    while (it != shared_.members.end() && archive != nullptr && it->archive.get() != archive) {
      ++it;
    }
    if (it == shared_.members.end()) return std::nullopt;
    Shared::MemberJob job = std::move(*it);
    shared_.members.erase(it);
    --job.archive->queued;
    job.archive->queued_bytes -= job.raw.size();
    return job;
  }

  // With no file left to take: waits for a member to help with, while another worker's file
  // may still turn out an archive. False when there is nothing more to do.
  bool WaitForMember() {
    std::unique_lock lock(shared_.mu);
    for (;;) {
      if (!shared_.members.empty()) return true;
      if (shared_.active_files.load() == 0 || shared_.Stopping()) return false;
      shared_.member_cv.wait_for(lock, std::chrono::milliseconds(50));
    }
  }

  void RunMember(Shared::MemberJob& job) {
    StartInput();
    bool whole = true;
    if (!Guarded([&] {
          HashStored(job.raw, job.result);
          whole = DecodeAndProcess(job.index, job.seq, job.raw, job.key, job.result);
        })) {
      OutOfMemory(job.result);
    }
    if (!whole) {  // stopped part-way
      job.raw = std::string();
      std::lock_guard lock(shared_.mu);
      if (--job.archive->outstanding == 0) shared_.member_cv.notify_all();
      return;
    }
    AddParts(job.result);
    const InputResult& r = job.result;
    const bool refused = r.status == InputStatus::kRefused;
    const bool failed =
        refused || r.status == InputStatus::kError || r.status == InputStatus::kPartial;
    const std::uint64_t records = parts_.records, out_of_scope = parts_.out_of_scope,
                        bad_records = parts_.bad_records, bytes = parts_.bytes;
    job.raw = std::string();
    Push(job.index, job.seq, std::move(job.result));
    std::lock_guard lock(shared_.mu);
    Shared::Archive& archive = *job.archive;
    archive.records += records;
    archive.out_of_scope += out_of_scope;
    archive.bad_records += bad_records;
    archive.bytes += bytes;
    archive.failed += failed ? 1 : 0;
    archive.refused += refused ? 1 : 0;
    if (--archive.outstanding == 0) shared_.member_cv.notify_all();
  }

  void AddError(InputResult& result, InputError error) {
    if (result.errors.size() < kMaxErrorsPerInput) {
      result.errors.push_back(std::move(error));
    } else if (result.errors.size() == kMaxErrorsPerInput) {
      result.errors.push_back({std::nullopt, std::nullopt, "more",
                               "further errors in this input are counted but not listed"});
    }
  }

  void ProcessFile(std::size_t index) {
    const input::InputFile& file = shared_.files[index];
    const input::KeyInfo key = input::ParseKey(file.path);
    StartInput();
    const bool streamed = file.size > options_.stream_above_bytes;
    if (file.size > kReadWholeBytes || streamed) {
      // A large file is sniffed from its head first, so that a big archive is streamed
      // member by member rather than read whole.
      auto container = input::SniffContainer(file.path);
      if (!container) {
        InputResult result = NewResult(file, "", key);
        Fail(result, InputStatus::kRetry, "io", container.error().message);
        Push(index, std::move(result));
        return;
      }
      if (*container == input::ContainerKind::kArchive) {
        ProcessArchive(index, file, key);
        return;
      }
    }
    // A big file (plain or gzip) is read and split a window at a time.
    if (streamed) {
      StreamFile(index, file, key);
      return;
    }
    // The usual input, a CloudTrail .json.gz of kilobytes, is opened and read once; what it
    // holds is told from the bytes in memory (and for gzip, from what they inflate to).
    InputResult result = NewResult(file, "", key);
    auto read = input::ReadWholeFile(file.path, raw_, kReadWholeBytes);
    if (!read) {
      if (read.error().code == ErrorCode::kLimit) {
        // It grew past the size it was listed at: read it as a big file.
        StreamFile(index, file, key);
        return;
      }
      Fail(result, InputStatus::kRetry, "io", read.error().message);
      Push(index, std::move(result));
      return;
    }
    NoteChange(*read, result);
    HashStored(raw_, result);
    // Plain bytes and large gzip files are sniffed now (for gzip that inflates one block);
    // a small gzip file is inflated first, since its content is needed anyway and only
    // content that is not JSON could be a tar.
    const bool gzip = input::IsGzip(raw_);
    const bool inflate_first = gzip && raw_.size() <= kInflateBeforeSniffBytes;
    auto is_archive = [&] {
      return input::SniffContainerBytes(raw_) == input::ContainerKind::kArchive;
    };
    if (!inflate_first && (gzip || !StartsLikeJson(raw_)) && is_archive()) {
      ProcessArchive(index, file, key);
      return;
    }
    if (!inflate_first) {
      if (DecodeAndProcess(index, seq_, raw_, key, result)) Push(index, std::move(result));
      return;
    }
    was_gzip_ = true;
    auto inflated = input::GunzipAll(raw_, decoded_, kWholeDocumentBytes);
    if (!StartsLikeJson(decoded_) && is_archive()) {
      ProcessArchive(index, file, key);
      return;
    }
    if (!inflated && inflated.error().code == ErrorCode::kLimit) {
      // Too big to inflate whole: inflated again, a window at a time.
      decoded_ = std::string();
      if (StreamBytes(index, seq_, raw_, key, result)) Push(index, std::move(result));
      return;
    }
    if (!inflated) ReportGzipError(inflated.error(), result);
    ProcessPadded(decoded_, key, result);
    Push(index, std::move(result));
  }

  void ProcessArchive(std::size_t index, const input::InputFile& file, const input::KeyInfo& key) {
    InputResult summary = NewResult(file, "", key);
    summary.kind = "archive";
    auto reader = input::ArchiveReader::Open(file.path);
    if (!reader) {
      // A system error may pass (permissions): try again next scan. Broken content will not.
      const bool io = reader.error().code == ErrorCode::kIo;
      Fail(summary, io ? InputStatus::kRetry : InputStatus::kError, io ? "io" : "archive",
           reader.error().message);
      Push(index, std::move(summary));
      return;
    }
    std::uint64_t members = 0, failed = 0, refused = 0;
    const auto ledger_rows = shared_.member_ledger.find(file.path);
    const auto* members_done =
        ledger_rows == shared_.member_ledger.end() ? nullptr : &ledger_rows->second;
    auto archive = std::make_shared<Shared::Archive>();
    // Every member queued is processed (or withdrawn) before the archive's row is pushed or
    // the reader returns: nothing for this file may arrive after the slot is done.
    struct Drain {
      Worker& worker;
      Shared::Archive* archive;
      ~Drain() { worker.FinishMembers(*archive); }
    } drain{*this, archive.get()};
    for (;;) {
      if (shared_.Stopping()) {  // no archive row: the next scan resumes it
        stopped_ = true;
        return;
      }
      input::Member member;
      auto next = reader->Next(member);
      if (!next) {
        summary.status = InputStatus::kPartial;
        summary.message = next.error().message;
        AddError(summary, {reader->position(), std::nullopt, "archive",
                           "archive unreadable after " + std::to_string(members) +
                               " members: " + next.error().message});
        break;
      }
      if (!*next) break;
      if (!member.regular) {
        // Links, directories: nothing to read, and nothing is ever written from a name. Data
        // libarchive had to skip over is reported: events may have been lost there.
        if (member.skip_reason.rfind("damaged", 0) == 0) {
          if (summary.status == InputStatus::kOk) summary.status = InputStatus::kPartial;
          AddError(summary,
                   {reader->position(), std::nullopt, "archive",
                    "after member " + std::to_string(member.index) + ": " + member.skip_reason});
        }
        continue;
      }
      ++members;
      const store::LedgerEntry* row = nullptr;
      if (members_done != nullptr) {
        if (auto it = members_done->find(member.name); it != members_done->end()) {
          row = &it->second;
        }
      }
      if (row != nullptr && row->size == member.size && row->status != "refused") {
        // Counted by an earlier (interrupted) scan: the archive's row still sums it, so a
        // resumed archive ends with the row an uninterrupted scan writes.
        const store::LedgerEntry& done = *row;
        summary.records += done.records;
        summary.out_of_scope += done.out_of_scope;
        summary.bad_records += done.bad_records;
        if (done.status == "error" || done.status == "partial") ++failed;
        continue;
      }
      // A member named in the S3 layout speaks for itself; otherwise the archive's own name
      // is the best guess of where its records came from.
      const input::KeyInfo member_key = input::ParseKey(member.name);
      if (PrunedByKey(options_, member_key)) continue;
      const input::KeyInfo& effective =
          member_key.kind == input::KeyKind::kUnknown ? key : member_key;
      InputResult result = NewResult(file, member.name, effective);
      result.size = member.size;
      if (member.size == 0 || member.size > options_.stream_above_bytes) {
        // Too big to hold, or of unknown size: read here, a window at a time, once the members
        // queued before it are done (its parts must not wait behind them for buffer space).
        FinishMembers(*archive);
        if (stopped_) return;
        if (!StreamMember(index, *reader, effective, std::move(result), *archive)) {
          stopped_ = true;
          return;
        }
        continue;
      }
      Result<void> read;
      if (!Guarded([&] { read = reader->ReadData(raw_, kReadWholeBytes); })) {
        OutOfMemory(result);
        ++refused;
        ++failed;
        Push(index, std::move(result));
        continue;
      }
      if (!read) {
        if (read.error().code == ErrorCode::kLimit) {
          Refuse(result, read.error());
          ++refused;
        } else {
          Fail(result, InputStatus::kError, "archive", read.error().message);
        }
        ++failed;
        Push(index, std::move(result));
        continue;
      }
      result.size = raw_.size();
      QueueMember(index, effective, std::move(result), archive);
    }
    FinishMembers(*archive);
    if (stopped_) return;  // members were withdrawn: no archive row, as above
    summary.records += archive->records;
    summary.out_of_scope += archive->out_of_scope;
    summary.bad_records += archive->bad_records;
    summary.bytes += archive->bytes;
    failed += archive->failed;
    refused += archive->refused;
    // A refused member leaves the archive to be read again (its other members are skipped
    // then, by their own ledger rows).
    if (refused > 0) summary.status = InputStatus::kRefused;
    if (summary.message.empty()) {
      summary.message = std::to_string(members) + (members == 1 ? " member" : " members");
      if (failed > 0) summary.message += ", " + std::to_string(failed) + " with errors";
      if (refused > 0) summary.message += ", " + std::to_string(refused) + " refused over a limit";
    }
    Push(index, std::move(summary));
  }

  // An archive member read and processed here, a window at a time. False when the scan
  // stopped part-way through it.
  bool StreamMember(std::size_t index, input::ArchiveReader& reader, const input::KeyInfo& key,
                    InputResult&& result, Shared::Archive& archive) {
    StartInput();
    input::MemberSource stored(reader, &hasher_);
    input::DecodedSource source(stored);
    bool whole = true;
    if (!Guarded([&] { whole = StreamDocument(index, seq_, source, key, result); })) {
      OutOfMemory(result);
    }
    Drain(stored);
    result.stored_sha256 = hasher_.FinishHex();
    if (!whole) return false;
    result.size = stored.consumed();
    if (result.status == InputStatus::kRetry) result.status = InputStatus::kError;
    AddParts(result);
    const bool refused = result.status == InputStatus::kRefused;
    const bool failed =
        refused || result.status == InputStatus::kError || result.status == InputStatus::kPartial;
    Push(index, std::move(result));
    std::lock_guard lock(shared_.mu);
    archive.records += parts_.records;
    archive.out_of_scope += parts_.out_of_scope;
    archive.bad_records += parts_.bad_records;
    archive.bytes += parts_.bytes;
    archive.failed += failed ? 1 : 0;
    archive.refused += refused ? 1 : 0;
    return true;
  }

  // Queues the member in raw_ for any worker; when this archive has more queued than
  // workers could soon take, processes its oldest queued member here instead.
  void QueueMember(std::size_t index, const input::KeyInfo& key, InputResult&& result,
                   const std::shared_ptr<Shared::Archive>& archive) {
    bool run_one = false;
    {
      std::lock_guard lock(shared_.mu);
      Shared::MemberJob job;
      job.index = index;
      job.seq = seq_++;
      job.raw = std::move(raw_);
      job.key = key;
      job.result = std::move(result);
      job.archive = archive;
      ++archive->outstanding;
      ++archive->queued;
      archive->queued_bytes += job.raw.size();
      shared_.members.push_back(std::move(job));
      run_one = archive->queued > kMaxQueuedMembers || archive->queued_bytes > kMaxQueuedBytes;
    }
    raw_ = std::string();
    // All: a reader waiting for its own members to finish shares this condition variable.
    shared_.member_cv.notify_all();
    if (run_one) {
      if (auto job = TakeMember(archive.get())) RunMember(*job);
    }
  }

  // Processes this archive's members still queued (or, when the scan is stopping, withdraws
  // them), then waits for the ones other workers hold.
  void FinishMembers(Shared::Archive& archive) {
    while (auto job = TakeMember(&archive)) {
      if (shared_.Stopping()) {
        std::lock_guard lock(shared_.mu);
        --archive.outstanding;
        stopped_ = true;
        continue;
      }
      RunMember(*job);
    }
    std::unique_lock lock(shared_.mu);
    shared_.member_cv.wait(lock, [&] { return archive.outstanding == 0; });
  }

  InputResult NewResult(const input::InputFile& file, std::string member,
                        const input::KeyInfo& key) {
    InputResult result;
    result.path = file.path;
    result.member = std::move(member);
    result.size = file.size;
    result.mtime_ns = file.mtime_ns;
    if (key.kind != input::KeyKind::kUnknown) {
      if (!key.account.empty()) result.key_account = key.account;
      if (!key.region.empty()) result.key_region = key.region;
      result.delivery_time = key.delivery_time;
    }
    return result;
  }

  // The ledger keeps the file as it was read, so that the next scan reads it again exactly
  // when it differs from what was counted. A file that changed since discovery listed it, or
  // while it was read, is reported: what was counted is what the read saw.
  void NoteChange(const input::ReadStamp& read, InputResult& result) {
    NoteChange(read, raw_.size(), result);
  }
  void NoteChange(const input::ReadStamp& read, std::uint64_t bytes_read, InputResult& result) {
    const input::FileStamp listed{result.size, result.mtime_ns};
    result.size = read.stamp.size;
    result.mtime_ns = read.stamp.mtime_ns;
    if (read.stable && read.stamp == listed) return;
    std::string message = "changed during the scan (listed at " + std::to_string(listed.size) +
                          " bytes, read at " + std::to_string(bytes_read) + " bytes)";
    message += read.stable ? ": its content as read is counted"
                           : ": it changed while it was read; what was read is counted, and "
                             "the next scan reads it again";
    AddError(result, {std::nullopt, std::nullopt, "changed", std::move(message)});
  }

  // The ledger's hash of what was read, as stored: a tenth of the bytes of the decoded
  // content, so hashing costs a few percent of a scan where hashing the content (what a digest
  // records) cost half again its CPU; `verify --db` decodes the bytes it finds in the archive
  // to link the two.
  void HashStored(std::string_view raw, InputResult& result) {
    hasher_.Update(raw);
    result.stored_sha256 = hasher_.FinishHex();
  }

  // A record that cannot be counted: the input is then only partly counted.
  void BadRecord(InputResult& result, InputError error) {
    ++result.bad_records;
    if (result.status == InputStatus::kOk) result.status = InputStatus::kPartial;
    if (result.message.empty()) result.message = error.message;
    AddError(result, std::move(error));
  }

  void Fail(InputResult& result, InputStatus status, std::string kind, std::string message) {
    result.status = status;
    if (result.kind.empty()) result.kind = "unread";
    if (result.message.empty()) result.message = message;
    AddError(result, {std::nullopt, std::nullopt, std::move(kind), std::move(message)});
  }

  // An input over a limit: nothing of it is counted (a later scan with a higher limit counts
  // it whole, so counting a part now would count that part twice), and it is recorded as
  // refused, not done, so that such a scan reads it.
  void Refuse(InputResult& result, const Error& error) {
    result.events.clear();
    result.hits.clear();
    result.details.clear();
    result.records = result.out_of_scope = result.bad_records = 0;
    result.status = InputStatus::kRefused;
    if (result.kind.empty()) result.kind = "unread";
    result.message = error.message + "; " + std::string(kRaiseLimitHint);
    AddError(result,
             {error.has_offset() ? std::optional<std::uint64_t>(error.offset) : std::nullopt,
              std::nullopt, "limit", result.message});
  }

  // Runs the work of one input. An allocation failing in it (a bomb, or a big file, under an
  // address-space cap or on a machine short of memory) ends that input, not the scan: false,
  // with the worker's buffers given back, and the caller records the input with OutOfMemory.
  template <typename Work>
  bool Guarded(Work&& work) {
    try {
      work();
      return true;
    } catch (const std::bad_alloc&) {
    } catch (const std::length_error&) {
    }
    raw_ = std::string();
    decoded_ = std::string();
    return false;
  }

  // An input whose reading ran out of memory: nothing of it counted, recorded as refused so
  // that the next scan reads it again.
  void OutOfMemory(InputResult& result) {
    result.events = {};
    result.hits = {};
    result.details = {};
    result.records = result.out_of_scope = result.bad_records = 0;
    result.status = InputStatus::kRefused;
    if (result.kind.empty()) result.kind = "unread";
    result.message = std::string(kOutOfMemoryMessage);
    AddError(result, {std::nullopt, std::nullopt, "memory", result.message});
  }

  void ReportGzipError(const Error& error, InputResult& result) {
    result.status = InputStatus::kPartial;
    result.message = error.message;
    AddError(result,
             {error.has_offset() ? std::optional<std::uint64_t>(error.offset) : std::nullopt,
              std::nullopt, error.code == ErrorCode::kLimit ? "limit" : "gzip",
              error.message + " (offset is in the compressed file; records decoded "
                              "before it are counted)"});
  }

  void ProcessPadded(std::string& doc, const input::KeyInfo& key, InputResult& result) {
    if (doc.size() > DocumentLimit()) {
      RefuseSize(result, doc.size());
      return;
    }
    const std::size_t size = doc.size();
    doc.append(kPadding, '\0');
    ProcessDocument(std::string_view(doc.data(), size), key, result);
    doc.resize(size);
  }

  // The document `raw` holds, itself or, when it is gzip, what it inflates to: processed whole
  // when it is small, else a window at a time (its parts pushed under `seq`). False when the
  // scan stopped part-way through it: nothing more may be pushed for it.
  bool DecodeAndProcess(std::size_t index, std::uint64_t seq, std::string& raw,
                        const input::KeyInfo& key, InputResult& result) {
    was_gzip_ = input::IsGzip(raw);
    if (!was_gzip_) {
      if (raw.size() <= kWholeDocumentBytes) {
        ProcessPadded(raw, key, result);
        return true;
      }
      return StreamBytes(index, seq, raw, key, result);
    }
    auto inflated = input::GunzipAll(raw, decoded_, kWholeDocumentBytes);
    if (!inflated && inflated.error().code == ErrorCode::kLimit) {
      decoded_ = std::string();
      return StreamBytes(index, seq, raw, key, result);
    }
    if (!inflated) ReportGzipError(inflated.error(), result);
    ProcessPadded(decoded_, key, result);
    return true;
  }

  // Bytes held in memory (hashed already), decoded and processed a window at a time.
  bool StreamBytes(std::size_t index, std::uint64_t seq, std::string_view raw,
                   const input::KeyInfo& key, InputResult& result) {
    input::MemorySource stored(raw, nullptr);
    input::DecodedSource source(stored);
    return StreamDocument(index, seq, source, key, result);
  }

  // A big file, plain or gzip, read a window at a time; its results pushed.
  void StreamFile(std::size_t index, const input::InputFile& file, const input::KeyInfo& key);
  // Reads `stored` to its end (hashing what it reads). False on a read error.
  static bool Drain(input::ByteSource& stored);

  // The document `source` yields, read a window at a time: a small one whole (the fast walk
  // of WalkDocument), a big one split record by record in windows, so that memory is the
  // window and the longest record, never the document. Its results are pushed in parts under
  // `seq` as they grow; the last part is left in `result` for the caller to push. False when
  // the scan stopped part-way (stopped_ is set, and nothing more may be pushed for it).
  bool StreamDocument(std::size_t index, std::uint64_t seq, input::DecodedSource& source,
                      const input::KeyInfo& key, InputResult& result);

  // Hands what `result` holds so far to the writer as a part, when it has grown big enough.
  void MaybePushPart(std::size_t index, std::uint64_t seq, InputResult& result, bool force) {
    if (!force && ResultBytes(result) < options_.part_bytes) return;
    InputResult part;
    part.path = result.path;
    part.member = result.member;
    part.size = result.size;
    part.mtime_ns = result.mtime_ns;
    part.kind = result.kind;
    part.status = result.status;
    part.message = result.message;
    part.key_account = result.key_account;
    part.key_region = result.key_region;
    part.delivery_time = result.delivery_time;
    part.more = true;
    part.records = std::exchange(result.records, 0);
    part.out_of_scope = std::exchange(result.out_of_scope, 0);
    part.bad_records = std::exchange(result.bad_records, 0);
    part.bytes = std::exchange(result.bytes, 0);
    part.events = std::exchange(result.events, {});
    part.hits = std::exchange(result.hits, {});
    part.details = std::exchange(result.details, {});
    AddParts(part);
    Push(index, seq, std::move(part));
  }

  // The counts of the current input's parts (for an archive's own row).
  struct Counts {
    std::uint64_t records = 0, out_of_scope = 0, bad_records = 0, bytes = 0;
  };
  void StartInput() {
    parts_ = {};
    part_ = 0;
  }
  void AddParts(const InputResult& r) {
    if (r.status == InputStatus::kRefused) {  // the writer drops its parts
      parts_ = {};
      return;
    }
    parts_.records += r.records;
    parts_.out_of_scope += r.out_of_scope;
    parts_.bad_records += r.bad_records;
    parts_.bytes += r.bytes;
  }

  std::uint64_t DocumentLimit() const {
    return options_.max_document_bytes == 0 ? std::numeric_limits<std::uint64_t>::max()
                                            : options_.max_document_bytes;
  }
  void RefuseSize(InputResult& result, std::uint64_t offset) {
    result.kind.clear();  // recorded unread: nothing of it counts
    Refuse(result, MakeError(ErrorCode::kLimit,
                             "decoded size exceeds the limit of " +
                                 std::to_string(options_.max_document_bytes) + " bytes",
                             static_cast<std::size_t>(offset)));
  }

  void ProcessDocument(std::string_view doc, const input::KeyInfo& key, InputResult& result);
  // Splits the records of `stream` (over `doc`, whose padding follows it) and counts them.
  // False when the stream stopped (a break in the document's structure).
  bool SplitAndCount(event::RecordStream& stream, std::string_view doc, const input::KeyInfo& key,
                     InputResult& result);
  // The fast path for a log or an array of records: one simdjson pass over the whole document
  // (EventContext::StartDocument). False, with nothing added to `result`, when the document
  // is not regular enough for it; the caller then splits it.
  bool WalkDocument(std::string_view doc, event::DocumentKind kind, const input::KeyInfo& key,
                    InputResult& result);
  // Counts the record loaded in context_: its time, its scope, the filters it matches.
  // A record without a valid time is a bad record; with `report_bad` false it is not reported
  // and the result is false.
  bool CountRecord(std::uint64_t index, std::uint64_t offset, std::int64_t export_time_ms,
                   const input::KeyInfo& key, InputResult& result, bool report_bad = true);

  std::optional<std::string_view> Text(std::uint32_t id) { return Text(context_, id); }
  static std::optional<std::string_view> Text(pattern::EventContext& context, std::uint32_t id) {
    if (id == pattern::SelectorPlan::kNone) return std::nullopt;
    const auto& values = context.Values(id);
    if (values.empty()) return std::nullopt;
    const pattern::JsonValue& v = values.front();
    if (v.kind == pattern::JsonKind::kString || v.kind == pattern::JsonKind::kNumber) {
      return v.text;
    }
    return std::nullopt;
  }
  static std::optional<std::string> Own(std::optional<std::string_view> text) {
    return text ? std::optional<std::string>(std::string(*text)) : std::nullopt;
  }

  Shared& shared_;
  const ScanOptions& options_;
  const metric::FilterSet& filters_;
  pattern::EventContext context_;
  pattern::EventContext detail_context_;  // a matching record, again, for what is stored
  std::optional<store::RecordCompressor> compressor_;  // raw records, once there is a dictionary
  std::string_view document_;  // the current document (its padding follows it)
  std::string raw_, decoded_;
  std::string window_;      // StreamDocument's window
  std::uint64_t seq_ = 0;   // results pushed (or queued) for the current file
  std::uint64_t part_ = 0;  // parts pushed of the current result
  Counts parts_;            // what the current input's parts counted
  bool stopped_ = false;    // the current file was left part-way: the scan is stopping
  bool was_gzip_ = false;   // the document being processed was decoded from gzip
  metric::Sample sample_;
  Sha256 hasher_;  // each input's stored bytes, for the ledger
};

void Worker::ProcessDocument(std::string_view doc, const input::KeyInfo& key, InputResult& result) {
  result.bytes += doc.size();
  document_ = doc;
  event::RecordStream stream(doc);
  result.kind = std::string(event::DocumentKindName(stream.kind()));
  if (!event::HoldsRecords(stream.kind())) {
    const std::string name = result.member.empty() ? result.path : result.member;
    if (stream.kind() == event::DocumentKind::kNotJson && SuggestsJson(name)) {
      result.status = InputStatus::kError;
      std::string start;
      for (char c : doc.substr(0, 16)) {
        start += (c >= 0x20 && c < 0x7f) ? c : '.';
      }
      const bool named_gz = name.size() >= 3 && name.substr(name.size() - 3) == ".gz";
      const bool tar = doc.size() > 262 && doc.substr(257, 5) == "ustar";
      result.message =
          doc.empty() ? "empty file"
          : tar       ? "an archive inside an archive: nested archives are not opened (extract "
                        "it and scan the result)"
          : named_gz && !was_gzip_
              ? "named .gz, but neither gzip nor JSON (starts with '" + start + "')"
              : "not JSON (starts with '" + start + "')";
      AddError(result, {0, std::nullopt, "format", result.message});
      return;
    }
    if (result.status == InputStatus::kOk) result.status = InputStatus::kSkipped;
    result.message = stream.kind() == event::DocumentKind::kDigest ? "CloudTrail-Digest file"
                     : stream.kind() == event::DocumentKind::kOtherJson
                         ? "JSON, but not CloudTrail records"
                         : "not JSON";
    return;
  }
  result.events.reserve(result.events.size() + doc.size() / 1024 + 1);  // records are ~1.5 KB
  if ((stream.kind() == event::DocumentKind::kRecords ||
       stream.kind() == event::DocumentKind::kArray) &&
      doc.size() <= kWholeDocumentBytes && WalkDocument(doc, stream.kind(), key, result)) {
    return;
  }
  SplitAndCount(stream, doc, key, result);
}

bool Worker::SplitAndCount(event::RecordStream& stream, std::string_view doc,
                           const input::KeyInfo& key, InputResult& result) {
  document_ = doc;
  event::Record record;
  for (;;) {
    const auto step = stream.Next(record);
    if (step == event::RecordStream::Step::kEnd) return true;
    if (step == event::RecordStream::Step::kStop) {
      // After a gzip error the document was expected to end early: that error says it all.
      if (result.status == InputStatus::kOk) {
        result.status = InputStatus::kPartial;
        result.message = record.error;
        AddError(result, {record.offset, std::nullopt, "json", record.error});
      }
      return false;
    }
    ++result.records;
    if (step == event::RecordStream::Step::kBadRecord) {
      BadRecord(result, {record.offset, record.index, "record", record.error});
      continue;
    }
    const std::size_t readable =
        static_cast<std::size_t>(doc.data() + doc.size() + kPadding - record.text.data());
    context_.Reset(record.text, readable);
    if (!context_.IsJsonObject()) {
      BadRecord(result, {record.offset, record.index, "record",
                         "record " + std::to_string(record.index) + " is not valid JSON"});
      continue;
    }
    CountRecord(record.index, record.offset, record.export_time_ms, key, result);
  }
}

void Worker::StreamFile(std::size_t index, const input::InputFile& file,
                        const input::KeyInfo& key) {
  InputResult result = NewResult(file, "", key);
  const int fd = open(file.path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    Fail(result, InputStatus::kRetry, "io",
         "cannot open: " + std::generic_category().message(errno));
    Push(index, std::move(result));
    return;
  }
  struct Closer {
    int fd;
    ~Closer() { close(fd); }
  } closer{fd};
  auto stamp_of = [](const struct stat& st) {
    return input::FileStamp{
        static_cast<std::uint64_t>(std::max<off_t>(st.st_size, 0)),
        static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec};
  };
  struct stat st {};
  if (fstat(fd, &st) != 0) {
    Fail(result, InputStatus::kRetry, "io",
         "cannot stat: " + std::generic_category().message(errno));
    Push(index, std::move(result));
    return;
  }
  const input::FileStamp opened = stamp_of(st);
  input::FileSource stored(fd, &hasher_);
  input::DecodedSource source(stored);
  const bool whole = StreamDocument(index, seq_, source, key, result);
  // Stopped part-way: nothing of the file is written, so the rest is not read (the hash
  // starts over for the next input).
  if (!whole) {
    hasher_.Finish();
    return;
  }
  // What was not needed (the rest of a file that is not JSON) is still hashed, as the ledger
  // keeps the hash of the whole file.
  const bool drained = result.status != InputStatus::kRetry && Drain(stored);
  result.stored_sha256 = hasher_.FinishHex();
  if (result.status == InputStatus::kRetry) {
    result.stored_sha256.reset();
    Push(index, std::move(result));
    return;
  }
  input::ReadStamp read;
  read.stamp = opened;
  if (fstat(fd, &st) == 0) {
    const input::FileStamp after = stamp_of(st);
    read.stable = after == opened && after.size == stored.consumed() && drained;
  }
  NoteChange(read, stored.consumed(), result);
  Push(index, std::move(result));
}

bool Worker::Drain(input::ByteSource& stored) {
  std::string scratch(std::size_t{256} << 10, '\0');
  for (;;) {
    auto n = stored.Read(scratch.data(), scratch.size());
    if (!n) return false;
    if (*n == 0) return true;
  }
}

namespace {

// Where a JSON value ends, found a piece at a time (for a record too big to hold, skipped
// without holding it): only strings, escapes and bracket depth are tracked.
class ValueSkipper {
 public:
  // Bytes of `piece` up to the value's end (its closing byte included; a scalar's end is the
  // byte after it), or npos when the value goes on past the piece.
  std::size_t Feed(std::string_view piece) {
    std::size_t i = 0;
    const std::size_t n = piece.size();
    while (i < n) {
      const char c = piece[i];
      if (!started_) {
        started_ = true;
        ++i;
        if (c == '"') {
          in_string_ = true;
        } else if (c == '{' || c == '[') {
          depth_ = 1;
        } else {
          scalar_ = true;
        }
        continue;
      }
      if (in_string_) {
        if (escaped_) {
          escaped_ = false;
          ++i;
          continue;
        }
        // The next quote or backslash, found a block at a time.
        const char* at = piece.data() + i;
        const auto* quote = static_cast<const char*>(std::memchr(at, '"', n - i));
        const std::size_t span = quote == nullptr ? n - i : static_cast<std::size_t>(quote - at);
        const auto* slash = static_cast<const char*>(std::memchr(at, '\\', span));
        if (slash != nullptr) {
          escaped_ = true;
          i += static_cast<std::size_t>(slash - at) + 1;
          continue;
        }
        if (quote == nullptr) return std::string_view::npos;
        i += span + 1;
        in_string_ = false;
        if (depth_ == 0) return i;
        continue;
      }
      if (scalar_) {
        if (c == ',' || c == ']' || c == '}' || c == ' ' || c == '\n' || c == '\t' || c == '\r') {
          return i;
        }
        ++i;
        continue;
      }
      ++i;
      if (c == '"') {
        in_string_ = true;
      } else if (c == '{' || c == '[') {
        ++depth_;
      } else if (c == '}' || c == ']') {
        if (--depth_ == 0) return i;
      }
    }
    return std::string_view::npos;
  }

 private:
  bool started_ = false, in_string_ = false, escaped_ = false, scalar_ = false;
  std::uint64_t depth_ = 0;
};

}  // namespace

bool Worker::StreamDocument(std::size_t index, std::uint64_t seq, input::DecodedSource& source,
                            const input::KeyInfo& key, InputResult& result) {
  // The window: document bytes [base, base + size) in window_, with kPadding readable bytes
  // after them.
  std::string& buf = window_;
  std::size_t size = 0;
  std::uint64_t base = 0;
  bool eof = false;
  std::optional<Error> error;
  const std::uint64_t limit = DocumentLimit();
  const std::uint64_t max_record = options_.max_record_bytes;
  const std::size_t window_bytes = std::max<std::size_t>(options_.stream_window_bytes, 1);
  auto fill = [&](std::size_t want) {
    while (size < want && !eof && !error) {
      if (buf.size() < want + kPadding) buf.resize(want + kPadding);
      auto n = source.Read(buf.data() + size, buf.size() - kPadding - size);
      if (!n) {
        error = std::move(n).error();
        break;
      }
      if (*n == 0) eof = true;
      size += *n;
    }
    was_gzip_ = source.gzip();
  };
  auto ended = [&] { return eof || error.has_value(); };
  auto drop = [&](std::size_t n) {
    std::memmove(buf.data(), buf.data() + n, size - n);
    size -= n;
    base += n;
    result.bytes += n;
  };
  auto view = [&] {
    std::memset(buf.data() + size, 0, kPadding);
    return std::string_view(buf.data(), size);
  };
  // A read error ends the document where it happened: a corrupt or cut gzip stream or archive
  // member leaves what came before it counted; a file that cannot be read any further is read
  // again whole by the next scan.
  auto report_error = [&] {
    if (!error) return;
    if (error->code == ErrorCode::kIo && !source.gzip()) {
      Fail(result, InputStatus::kRetry, "io", error->message);
      return;
    }
    if (source.gzip()) {
      ReportGzipError(*error, result);
      return;
    }
    result.status = InputStatus::kPartial;
    result.message = error->message;
    AddError(result,
             {error->has_offset() ? std::optional<std::uint64_t>(error->offset) : std::nullopt,
              std::nullopt, "archive", error->message});
  };
  auto over_limit = [&] {
    if (base + size <= limit) return false;
    RefuseSize(result, limit);
    return true;
  };
  auto stopping = [&] {
    if (!shared_.Stopping()) return false;
    stopped_ = true;
    return true;
  };

  // Small enough to walk whole (tests lower the window to read small documents in windows).
  // A head that does not show what the document is (a first line or value longer than it) is
  // grown up to the record limit first.
  const std::size_t whole_bytes = std::min(kWholeDocumentBytes, window_bytes);
  for (std::size_t head = whole_bytes + 1;;) {
    fill(head);
    if (ended() || size > max_record) break;
    const event::RecordStream probe(view());
    if (probe.LineBased() || probe.Resumable() ||
        (probe.kind() != event::DocumentKind::kSingle &&
         !(probe.kind() == event::DocumentKind::kNotJson && StartsLikeJson(view())))) {
      break;
    }
    head = static_cast<std::size_t>(std::min<std::uint64_t>(size * 2, max_record + 1));
  }
  if (ended()) {
    report_error();
    if (result.status == InputStatus::kRetry) return true;
    if (size > limit) {
      RefuseSize(result, limit);
      return true;
    }
    ProcessDocument(view(), key, result);
    return true;
  }
  if (over_limit()) return true;

  event::RecordStream stream(view());
  const event::DocumentKind kind = stream.kind();
  result.kind = std::string(event::DocumentKindName(kind));
  if (!event::HoldsRecords(kind) || (!stream.LineBased() && !stream.Resumable())) {
    // Told from its head: not records (skipped or an error, as ProcessDocument says), or a
    // first value bigger than the window.
    if (kind == event::DocumentKind::kNotJson && StartsLikeJson(view())) {
      result.kind = std::string(event::DocumentKindName(event::DocumentKind::kOtherJson));
      if (result.status == InputStatus::kOk) result.status = InputStatus::kSkipped;
      result.message = "JSON, but not CloudTrail records";
    } else if (kind == event::DocumentKind::kSingle) {
      ++result.records;
      BadRecord(result, {base, 0, "record",
                         "record 0 is larger than the window of " + std::to_string(size) +
                             " bytes: skipped"});
    } else {
      const std::string_view head = view();
      ProcessDocument(head.substr(0, std::min<std::size_t>(head.size(), kWholeDocumentBytes)), key,
                      result);
      result.kind = std::string(event::DocumentKindName(kind));
    }
    result.bytes = size;
    return true;
  }

  if (stream.LineBased()) {
    // Whole lines a window at a time; a line longer than the record limit is one bad record,
    // skipped to its end.
    std::uint64_t next_index = 0;
    if (std::string_view(buf.data(), std::min<std::size_t>(size, 3)) == "\xef\xbb\xbf") {
      drop(3);
      result.bytes -= 3;
    }
    std::size_t want = window_bytes;
    bool broken = false;
    while (!broken) {
      if (stopping()) return false;
      fill(want);
      if (over_limit()) return true;
      std::size_t cut = size;
      if (!ended()) {
        const void* newline = memrchr(buf.data(), '\n', size);
        if (newline == nullptr) {
          if (size <= max_record) {
            want = static_cast<std::size_t>(
                std::min<std::uint64_t>(std::max<std::uint64_t>(size * 2, 1), max_record + 1));
            continue;
          }
          const std::uint64_t at = base;
          const void* end = nullptr;
          while (end == nullptr && !ended()) {
            drop(size);
            fill(window_bytes);
            end = std::memchr(buf.data(), '\n', size);
          }
          ++result.records;
          BadRecord(result,
                    {at, next_index, "record",
                     "record " + std::to_string(next_index) +
                         " is larger than the record limit of " + std::to_string(max_record) +
                         " bytes: skipped (raise --max-record-mb to count it)"});
          ++next_index;
          if (end == nullptr) {
            drop(size);
            break;
          }
          drop(static_cast<std::size_t>(static_cast<const char*>(end) - buf.data()) + 1);
          want = window_bytes;
          continue;
        }
        cut = static_cast<std::size_t>(static_cast<const char*>(newline) - buf.data()) + 1;
      }
      const std::string_view chunk = view().substr(0, cut);
      event::RecordStream lines(chunk, kind, next_index, base);
      broken = !SplitAndCount(lines, chunk, key, result);
      next_index = lines.next_index();
      drop(cut);
      MaybePushPart(index, seq, result, false);
      want = window_bytes;
      if (ended() && size == 0) break;
    }
  } else {
    // Records (or array elements, or pretty-printed objects) a window at a time: the
    // splitter says where the window ends inside one, and reading goes on from its start.
    stream.set_partial(!ended());
    document_ = view();
    event::Record record;
    for (;;) {
      const auto step = stream.Next(record);
      if (step == event::RecordStream::Step::kEnd) break;
      if (step == event::RecordStream::Step::kStop) {
        if (result.status == InputStatus::kOk) {
          result.status = InputStatus::kPartial;
          result.message = record.error;
          AddError(result, {record.offset, std::nullopt, "json", record.error});
        }
        break;
      }
      if (step == event::RecordStream::Step::kMore) {
        MaybePushPart(index, seq, result, false);
        if (stopping()) return false;
        const auto consumed = static_cast<std::size_t>(stream.resume_offset() - base);
        std::size_t want = window_bytes;
        if (consumed > 0) {
          drop(consumed);
        } else if (size > max_record) {
          // A record over the limit: one bad record, passed over without being held.
          const std::uint64_t at = base;
          const std::uint64_t record_index = stream.next_index();
          ValueSkipper skipper;
          std::optional<std::uint64_t> end;
          for (;;) {
            const std::size_t got = skipper.Feed(view());
            if (got != std::string_view::npos) {
              end = base + got;
              break;
            }
            drop(size);
            if (ended()) break;
            fill(window_bytes);
            if (over_limit()) return true;
          }
          ++result.records;
          BadRecord(result,
                    {at, record_index, "record",
                     "record " + std::to_string(record_index) +
                         " is larger than the record limit of " + std::to_string(max_record) +
                         " bytes: skipped (raise --max-record-mb to count it)"});
          if (!end) break;  // the document ends inside it
          stream.SkipRecord(*end);
          drop(static_cast<std::size_t>(*end - base));
        } else {
          want = static_cast<std::size_t>(std::min<std::uint64_t>(size * 2, max_record + 1));
        }
        fill(want);
        if (over_limit()) return true;
        stream.Continue(view(), base, !ended());
        document_ = view();
        continue;
      }
      ++result.records;
      if (step == event::RecordStream::Step::kBadRecord) {
        BadRecord(result, {record.offset, record.index, "record", record.error});
        continue;
      }
      const std::size_t readable =
          static_cast<std::size_t>(buf.data() + size + kPadding - record.text.data());
      context_.Reset(record.text, readable);
      if (!context_.IsJsonObject()) {
        BadRecord(result, {record.offset, record.index, "record",
                           "record " + std::to_string(record.index) + " is not valid JSON"});
        continue;
      }
      CountRecord(record.index, record.offset, record.export_time_ms, key, result);
    }
    result.bytes += size;
  }
  report_error();
  // A big window is not kept for the next input.
  if (buf.size() > kWholeDocumentBytes + window_bytes + kPadding) buf = std::string();
  return true;
}

bool Worker::WalkDocument(std::string_view doc, event::DocumentKind kind, const input::KeyInfo& key,
                          InputResult& result) {
  if (!context_.StartDocument(doc, kind == event::DocumentKind::kRecords)) return false;
  // What this document adds, so that a document the walk cannot finish leaves no trace.
  const std::size_t events = result.events.size();
  const std::size_t hits = result.hits.size();
  const std::size_t details = result.details.size();
  const std::uint64_t records = result.records;
  const std::uint64_t out_of_scope = result.out_of_scope;
  for (std::uint64_t index = 0;; ++index) {
    const auto step = context_.NextRecord();
    if (step == pattern::EventContext::DocumentStep::kEnd) return true;
    if (step == pattern::EventContext::DocumentStep::kRecord) {
      ++result.records;
      if (CountRecord(index, context_.record_offset(), -1, key, result, /*report_bad=*/false)) {
        continue;
      }
    }
    result.events.resize(events);
    result.hits.resize(hits);
    result.details.resize(details);
    result.records = records;
    result.out_of_scope = out_of_scope;
    return false;
  }
}

bool Worker::CountRecord(std::uint64_t index, std::uint64_t offset, std::int64_t export_time_ms,
                         const input::KeyInfo& key, InputResult& result, bool report_bad) {
  const FieldIds& f = shared_.fields;
  std::optional<std::string_view> time_text = Text(f.event_time);
  std::optional<std::int64_t> event_time;
  if (time_text) event_time = ParseIsoTime(*time_text);
  if (!time_text) {
    // Logstash pipelines move eventTime to @timestamp (otrf dataset); accept it.
    if (auto stamp = Text(f.timestamp)) event_time = ParseIsoTime(*stamp);
  }
  if (!event_time) {
    if (!report_bad) return false;
    BadRecord(result,
              {offset, index, "time",
               time_text ? "record " + std::to_string(index) + " has an invalid eventTime '" +
                               std::string(time_text->substr(0, 64)) + "'"
                         : "record " + std::to_string(index) + " has no eventTime"});
    return true;
  }
  std::int64_t stamp = *event_time;
  if (options_.delivery_basis) {
    if (export_time_ms >= 0) {
      stamp = export_time_ms / 1000;
    } else if (key.delivery_time) {
      stamp = *key.delivery_time;
    }
  }
  std::optional<std::string_view> account = Text(f.recipient_account);
  if (!account && !key.account.empty()) account = key.account;
  if (!account) account = Text(f.identity_account);
  const std::optional<std::string_view> region = Text(f.region);
  if ((options_.from && stamp < *options_.from) || (options_.to && stamp >= *options_.to) ||
      (!options_.accounts.empty() &&
       (!account || std::find(options_.accounts.begin(), options_.accounts.end(), *account) ==
                        options_.accounts.end())) ||
      (!options_.regions.empty() &&
       (!region || std::find(options_.regions.begin(), options_.regions.end(), *region) ==
                       options_.regions.end()))) {
    ++result.out_of_scope;
    return true;
  }

  store::CountedEvent counted;
  counted.stamp = stamp;
  counted.event_time = *event_time;
  const std::optional<std::string_view> event_id = Text(f.event_id);
  if (event_id && !event_id->empty()) {
    counted.key = store::KeyOfEventId(*event_id);
    counted.has_key = true;
  }
  counted.first_hit = static_cast<std::uint32_t>(result.hits.size());
  for (std::size_t i = 0; i < filters_.size(); ++i) {
    if (!filters_.pattern(i).Matches(context_)) continue;
    filters_.transformation(i).Apply(true, context_, sample_);
    store::FilterHit hit;
    hit.filter = static_cast<std::uint32_t>(i);
    hit.publish = sample_.publish;
    hit.rejected = sample_.rejected;
    hit.value = sample_.value;
    hit.dimensions = "{";
    for (std::size_t d = 0; d < sample_.dimensions.size(); ++d) {
      if (d > 0) hit.dimensions += ",";
      AppendJsonString(hit.dimensions, sample_.dimensions[d].first);
      hit.dimensions += ":";
      AppendJsonString(hit.dimensions, sample_.dimensions[d].second);
    }
    hit.dimensions += "}";
    result.hits.push_back(std::move(hit));
  }
  counted.hit_count = static_cast<std::uint32_t>(result.hits.size()) - counted.first_hit;
  if (counted.hit_count > 0) {
    // The record's text lies in the document, whose padding follows: parsed in place.
    const std::string_view message = context_.message();
    const bool in_document = message.data() >= document_.data() &&
                             message.data() + message.size() <= document_.data() + document_.size();
    detail_context_.Reset(
        message, in_document ? static_cast<std::size_t>(document_.data() + document_.size() +
                                                        kPadding - message.data())
                             : 0);
    // The filters' walk skips what no rule reads without validating it (compiled.h); this
    // walk reads more, and a record it finds broken is reported, as the splitter's parse
    // would have, rather than stored without its fields.
    if (!detail_context_.IsJsonObject()) {
      result.hits.resize(counted.first_hit);
      if (!report_bad) return false;
      BadRecord(result, {offset, index, "record",
                         "record " + std::to_string(index) + " is not valid JSON"});
      return true;
    }
    const DetailIds& d = shared_.detail;
    auto detail_text = [&](std::uint32_t id) { return Text(detail_context_, id); };
    store::EventDetail detail;
    detail.event_id = Own(event_id);
    detail.event_time = *event_time;
    std::optional<std::string_view> stored_account = detail_text(d.recipient_account);
    if (!stored_account && !key.account.empty()) stored_account = key.account;
    if (!stored_account) stored_account = detail_text(d.identity_account);
    detail.account = Own(stored_account);
    detail.region = Own(detail_text(d.region));
    detail.event_source = Own(detail_text(d.event_source));
    detail.event_name = Own(detail_text(d.event_name));
    detail.error_code = Own(detail_text(d.error_code));
    detail.source_ip = Own(detail_text(d.source_ip));
    detail.principal_arn = Own(detail_text(d.principal_arn));
    detail.user_agent = Own(detail_text(d.user_agent));
    detail.record_index = index;
    if (const store::RecordDictionary* dictionary =
            shared_.dictionary.load(std::memory_order_acquire)) {
      if (!compressor_ || compressor_->dictionary() != dictionary) {
        compressor_.emplace(*dictionary);
      }
      compressor_->Compress(context_.message(), detail.raw);
      detail.compressed = true;
    } else {
      detail.raw = std::string(context_.message());
    }
    counted.detail = static_cast<std::int32_t>(result.details.size());
    result.details.push_back(std::move(detail));
  }
  result.events.push_back(counted);
  return true;
}

// One scan writes a database at a time: an exclusive flock(2) on the database file, held
// until after the scan's database handle is closed. SQLite's own locks are POSIX record locks,
// which a process loses when it closes any descriptor of the file; flock locks are separate
// from them, and this descriptor outlives SQLite's, so neither disturbs the other. Readers
// (sql, replay, report) never take it.
class ScanLock {
 public:
  ScanLock() = default;
  ScanLock(const ScanLock&) = delete;
  ScanLock& operator=(const ScanLock&) = delete;
  ~ScanLock() {
    if (fd_ >= 0) close(fd_);
  }

  Result<void> Acquire(const std::string& path, bool wait, const ScanHooks& hooks) {
    fd_ = open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd_ < 0) {
      return MakeError(ErrorCode::kIo, "cannot lock database '" + path +
                                           "': " + std::generic_category().message(errno));
    }
    bool told = false;
    for (;;) {
      if (flock(fd_, LOCK_EX | LOCK_NB) == 0) return {};
      if (errno != EWOULDBLOCK && errno != EINTR) {
        return MakeError(ErrorCode::kIo, "cannot lock database '" + path +
                                             "': " + std::generic_category().message(errno));
      }
      if (!wait) {
        return MakeError(ErrorCode::kInvalidArgument,
                         "database '" + path +
                             "' is being written by another scan; wait for it to finish, or "
                             "run with --wait");
      }
      if (hooks.stop != nullptr && hooks.stop->load()) {
        return MakeError(ErrorCode::kInvalidArgument,
                         "interrupted while waiting for another scan of '" + path + "'");
      }
      if (!told && hooks.warning) {
        hooks.warning("waiting for another scan of '" + path + "' to finish");
        told = true;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  }

 private:
  int fd_ = -1;
};

std::string ScopeText(const ScanOptions& options) {
  std::string scope;
  if (options.from) scope += "from=" + FormatIsoTime(*options.from) + ";";
  if (options.to) scope += "to=" + FormatIsoTime(*options.to) + ";";
  std::vector<std::string> accounts = options.accounts, regions = options.regions;
  std::sort(accounts.begin(), accounts.end());
  std::sort(regions.begin(), regions.end());
  for (const auto& a : accounts) scope += "account=" + a + ";";
  for (const auto& r : regions) scope += "region=" + r + ";";
  return scope.empty() ? "all" : scope;
}

std::string NowText() {
  const auto now = std::chrono::system_clock::now();
  return FormatIsoTime(
      std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count());
}

}  // namespace

Result<ScanSummary> RunScan(const ScanOptions& options, const ScanHooks& hooks) {
  const auto started = std::chrono::steady_clock::now();
  auto elapsed = [&] {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  };

  auto compiled = metric::FilterSet::Compile(options.filters);
  if (!compiled) return std::move(compiled).error();
  metric::FilterSet& filters = *compiled;
  Shared shared;
  shared.options = &options;
  shared.filters = &filters;
  shared.stop = hooks.stop;
  const bool by_account = !options.accounts.empty(), by_region = !options.regions.empty();
  constexpr std::uint32_t kNone = pattern::SelectorPlan::kNone;
  shared.fields = FieldIds{
      filters.AddSelector("$.eventTime"),
      filters.AddSelector("$.['@timestamp']"),
      filters.AddSelector("$.eventID"),
      by_account ? filters.AddSelector("$.recipientAccountId") : kNone,
      by_account ? filters.AddSelector("$.userIdentity.accountId") : kNone,
      by_region ? filters.AddSelector("$.awsRegion") : kNone,
  };
  auto detail = [&](std::string_view text) { return shared.detail_plan.AddText(text); };
  shared.detail = DetailIds{
      detail("$.recipientAccountId"), detail("$.userIdentity.accountId"),
      detail("$.awsRegion"),          detail("$.eventSource"),
      detail("$.eventName"),          detail("$.errorCode"),
      detail("$.sourceIPAddress"),    detail("$.userIdentity.arn"),
      detail("$.userAgent"),
  };

  ScanLock scan_lock;  // declared before the database: released after it is closed
  auto db = store::Database::Open(options.db_path);
  if (!db) return std::move(db).error();
  if (auto ok = scan_lock.Acquire(options.db_path, options.wait_for_other_scan, hooks); !ok) {
    return std::move(ok).error();
  }
  // Discovery lists the files while the database gets ready beside it (its integrity check
  // reads the whole file: 0.4 s for the whole CIS pack's 344 MB over 1 GB of logs, as long
  // again as listing those 12,301 files). Not before the lock is held: a scan that waited for
  // another lists what is there when it starts. A return before the listing is taken stops
  // it, and waits for it.
  std::atomic<bool> discovery_stop{false};
  std::future<input::Discovery> discovering = std::async(std::launch::async, [&] {
    return input::Discover(options.paths, options.threads, &discovery_stop);
  });
  struct StopDiscovery {
    std::atomic<bool>& stop;
    std::future<input::Discovery>& listing;
    ~StopDiscovery() {
      stop = true;
      if (listing.valid()) listing.wait();
    }
  } stop_discovery{discovery_stop, discovering};
  if (auto ok = db->CheckIntegrity(); !ok) return std::move(ok).error();
  if (auto ok = store::MarkAbandonedScans(*db); !ok) return std::move(ok).error();
  // The writer's connection: an 8 MiB page cache, so that a batch's pages are not spilled to
  // the WAL before its commit and index pages stay cached (the default 2 MiB thrashed on the
  // events indexes before they were deferred). A bigger cache is slower: every page it grows by
  // is a fresh allocation, first touched in a page fault (32 MiB measured 1.08x slower with
  // default rules and 1.06x with the whole CIS pack, at 30 MiB more peak RSS; perf/README.md).
  if (auto ok = db->Exec("PRAGMA cache_size=-8192"); !ok) return std::move(ok).error();
  auto index_deferred = store::DeferEventIndexes(*db);
  if (!index_deferred) return std::move(index_deferred).error();
  // A scan that stops on an error leaves the index to the next scan.
  auto build_index = [&]() -> Result<void> {
    return *index_deferred ? store::BuildEventIndexes(*db) : Result<void>{};
  };
  store::StoreSettings settings;
  settings.time_basis = options.delivery_basis ? "delivery" : "event";
  settings.keep_duplicates = options.keep_duplicates;
  auto filter_ids = store::RegisterFilters(*db, filters, settings);
  if (!filter_ids) return std::move(filter_ids).error();
  if (auto ok = db->SetMeta("rules", options.rules_sources_json); !ok) {
    return std::move(ok).error();
  }
  if (auto ok = store::RecordManifest(*db, options.manifest_json); !ok) {
    return std::move(ok).error();
  }
  const std::string scope = ScopeText(options);
  auto ledger = store::LedgerReader::Open(*db, scope);
  if (!ledger) return std::move(ledger).error();
  auto scan_id = store::BeginScanRecord(*db, options.version, options.options_json, NowText());
  if (!scan_id) return std::move(scan_id).error();

  std::vector<store::Writer::FilterTarget> targets;
  for (std::size_t i = 0; i < filters.size(); ++i) {
    const auto& t = filters.spec(i).transformation;
    targets.push_back({(*filter_ids)[i], t.metric_namespace, t.metric_name, t.default_value});
  }
  auto writer =
      store::Writer::Create(*db, std::move(targets), scope, *scan_id, options.keep_duplicates);
  if (!writer) return std::move(writer).error();
  // Checkpoints on a thread of their own: the WAL is copied while the workers run, and
  // closing the database copies little.
  auto checkpointer = store::Checkpointer::Start(*db, kCheckpointFrames, kRestartFrames);
  if (!checkpointer) return std::move(checkpointer).error();

  ScanSummary summary;
  summary.scan_id = *scan_id;

  // Discovery, then drop what the ledger or the S3 keys rule out.
  input::Discovery discovery = discovering.get();
  summary.files = discovery.files.size();
  for (const auto& issue : discovery.issues) {
    InputError error{std::nullopt, std::nullopt, "io", issue.message};
    if (auto ok = writer->AddError(issue.path, "", error); !ok) return std::move(ok).error();
    if (hooks.warning) hooks.warning(issue.path + ": " + issue.message);
    if (summary.first_error.empty()) summary.first_error = issue.path + ": " + issue.message;
  }
  if (options.strict && !discovery.issues.empty()) {
    if (auto ok = writer->Commit(); !ok) return std::move(ok).error();
    if (auto ok = build_index(); !ok) return std::move(ok).error();
    summary.status = "stopped";
    summary.errors = writer->totals().errors;
    summary.seconds = elapsed();
    if (auto ok =
            store::FinishScanRecord(*db, *scan_id, summary.status, SummaryJson(summary), NowText());
        !ok) {
      return std::move(ok).error();
    }
    return summary;
  }
  std::uint64_t bytes_total = 0;
  // Input order: files by the delivery time their name gives (CloudTrail's S3 layout), which
  // interleaves accounts and regions; files without one first; ties in discovery order (paths
  // sorted per directory). The layout's own order runs region by region, so the writer met
  // every hour once per account and region, and each time its duplicate check reloaded the
  // hour's keys and each batch upserted the totals of weeks of minutes; in delivery order
  // it meets each hour about once (default rules over 1 GB in 6 regions: 6% less wall time,
  // the same counts and events).
  // (delivery time, ordinal, index in `kept`); the ordinal is the file's place among the files
  // found, or its place in the plan with --manifest (store/writer.h, InputOrder).
  std::vector<std::tuple<std::int64_t, std::int64_t, std::size_t>> order;
  std::vector<input::InputFile> kept;
  std::unordered_map<std::string, std::int64_t> ordinals;
  for (std::size_t i = 0; i < options.path_ordinals.size() && i < options.paths.size(); ++i) {
    ordinals.emplace(options.paths[i], options.path_ordinals[i]);
  }
  std::int64_t found = -1;
  // One read transaction for the whole ledger check (a savepoint: the writer may have one
  // open for the discovery's errors): each statement outside one took and released SQLite's
  // shared lock, two fcntl calls a file on the critical path before the workers start.
  if (auto ok = db->Exec("SAVEPOINT ledger_check"); !ok) return std::move(ok).error();
  for (auto& file : discovery.files) {
    ++found;
    // Counted before, as it is now (a refused input was not counted: it is read again).
    auto done = [&file](const store::LedgerEntry* row) {
      return row != nullptr && row->size == file.size && row->mtime_ns == file.mtime_ns &&
             row->status != "refused";
    };
    auto rows = ledger->Read(file.path, [&](const store::LedgerEntry* row) { return !done(row); });
    if (!rows) return std::move(rows).error();
    if (done(rows->file ? &*rows->file : nullptr)) {
      ++summary.files_already;
      continue;
    }
    const input::KeyInfo key = input::ParseKey(file.path);
    if (PrunedByKey(options, key)) {
      ++summary.files_pruned;
      continue;
    }
    if (!rows->members.empty()) {
      shared.member_ledger.emplace(file.path, std::move(rows->members));
    }
    bytes_total += file.size;
    const auto ordinal = ordinals.find(file.path);
    order.emplace_back(key.delivery_time.value_or(std::numeric_limits<std::int64_t>::min()),
                       ordinal == ordinals.end() ? found : ordinal->second, kept.size());
    kept.push_back(std::move(file));
  }
  if (auto ok = db->Exec("RELEASE ledger_check"); !ok) return std::move(ok).error();
  std::sort(order.begin(), order.end());
  shared.files.reserve(kept.size());
  std::vector<store::Writer::InputOrder> file_order;  // per shared.files entry
  for (const auto& [time, ordinal, index] : order) {
    shared.files.push_back(std::move(kept[index]));
    file_order.push_back({time == std::numeric_limits<std::int64_t>::min()
                              ? std::nullopt
                              : std::optional<std::int64_t>(time),
                          ordinal});
  }

  unsigned threads = options.threads;
  if (threads == 0) threads = std::max(1u, std::thread::hardware_concurrency());
  // Not fewer threads than files: one file may be an archive whose members all workers share.
  // A database that has a dictionary has its records compressed from the first one on.
  shared.dictionary.store(writer->dictionary(), std::memory_order_release);
  std::vector<std::thread> pool;
  for (unsigned i = 0; i < threads; ++i) {
    pool.emplace_back([&shared] {
      Worker worker(shared);
      worker.Run();
    });
  }

  // The writer: results in input order.
  struct Counts {
    std::uint64_t records = 0, out_of_scope = 0, bad_records = 0, bytes = 0;
  } open_parts;  // what the parts of an input not yet ended added to the summary
  Progress progress;
  progress.files_total = shared.files.size();
  progress.bytes_total = bytes_total;
  auto last_progress = std::chrono::steady_clock::now();
  auto last_commit = last_progress;
  std::optional<Error> fatal;
  bool strict_stop = false;
  auto report = [&](bool force) {
    const auto now = std::chrono::steady_clock::now();
    if (!hooks.progress || (!force && now - last_progress < hooks.progress_every)) {
      return;
    }
    last_progress = now;
    progress.events = writer->totals().events;
    progress.seconds = elapsed();
    hooks.progress(progress);
  };
  auto warn = [&](const InputResult& result) {
    for (const InputError& error : result.errors) {
      std::string line = result.path;
      if (!result.member.empty()) line += " (member " + result.member + ")";
      if (error.record_index) line += " record " + std::to_string(*error.record_index);
      if (error.offset) line += " at byte " + std::to_string(*error.offset);
      line += ": " + error.message;
      if (summary.first_error.empty()) summary.first_error = line;
      if (hooks.warning) hooks.warning(line);
    }
  };
  for (;;) {
    InputResult result;
    bool have = false, finished_file = false;
    {
      std::unique_lock lock(shared.mu);
      for (;;) {
        if (shared.writer_index >= shared.files.size()) break;
        auto& slot = shared.slots[shared.writer_index];
        // Strictly in sequence order.
        if (!slot.ready.empty() &&
            slot.ready.begin()->first == std::make_pair(slot.next, slot.next_part)) {
          result = std::move(slot.ready.begin()->second);
          if (result.more) {
            ++slot.next_part;
          } else {
            ++slot.next;
            slot.next_part = 0;
          }
          slot.ready.erase(slot.ready.begin());
          const std::uint64_t bytes = ResultBytes(result);
          shared.buffered -= std::min(shared.buffered, bytes);
          slot.buffered -= std::min(slot.buffered, bytes);
          if (shared.waiting_workers > 0) shared.worker_cv.notify_all();
          have = true;
          break;
        }
        // A file left part-way by a stop (an archive whose later members were not read, or
        // were withdrawn, leaving a gap): what it did yield is written up to the first gap,
        // and nothing after it. The next scan resumes there, so it meets every input in the
        // order an uninterrupted scan does, and keeps the same copy of each duplicate.
        if (slot.done && (!slot.complete || !slot.ready.empty())) break;
        if (slot.done) {
          shared.slots.erase(shared.writer_index);
          ++shared.writer_index;
          finished_file = true;
          if (shared.waiting_workers > 0) shared.worker_cv.notify_all();
          break;
        }
        // Stopping: no worker will take this file.
        if (shared.Stopping() && shared.writer_index >= shared.next.load()) break;
        shared.writer_cv.wait_for(lock, kWriterPoll);
        if (shared.Stopping() && shared.writer_index >= shared.next.load()) break;
      }
    }
    if (finished_file) {
      ++progress.files_done;
      report(false);
      continue;
    }
    if (!have) break;
    if (!result.more) progress.bytes_done += result.member.empty() ? result.size : 0;
    if (options.strict && !result.errors.empty()) {
      warn(result);
      strict_stop = true;
      shared.abort = true;
      break;
    }
    const bool retry = result.status == InputStatus::kRetry;
    if (!fatal) {
      // An archive's own row sums its members, which were counted as they came.
      if (result.kind != "archive") {
        // The parts of an input the writer rolls back (it ran out of memory, or became
        // unreadable, part-way) count for nothing.
        if ((result.status == InputStatus::kRefused || retry) && writer->input_open()) {
          summary.records -= open_parts.records;
          summary.out_of_scope -= open_parts.out_of_scope;
          summary.bad_records -= open_parts.bad_records;
          summary.bytes_decoded -= open_parts.bytes;
        }
        open_parts = result.more ? Counts{open_parts.records + result.records,
                                          open_parts.out_of_scope + result.out_of_scope,
                                          open_parts.bad_records + result.bad_records,
                                          open_parts.bytes + result.bytes}
                                 : Counts{};
        summary.records += result.records;
        summary.out_of_scope += result.out_of_scope;
        summary.bad_records += result.bad_records;
        summary.bytes_decoded += result.bytes;
      }
      if (result.kind != "archive" && !result.more) {
        ++summary.inputs_read;
        if (result.status == InputStatus::kSkipped) ++summary.inputs_skipped;
        if (result.status == InputStatus::kRefused) {
          const bool memory = std::any_of(result.errors.begin(), result.errors.end(),
                                          [](const InputError& e) { return e.kind == "memory"; });
          ++(memory ? summary.inputs_out_of_memory : summary.inputs_refused);
        }
        if (!result.errors.empty()) ++summary.inputs_failed;
      }
      warn(result);
      Result<void> ok;
      if (retry) {
        // Unreadable now (permissions, vanished): report it, but leave it out of the ledger
        // so the next scan tries again.
        ok = writer->Abandon();
        for (const InputError& error : result.errors) {
          if (ok) ok = writer->AddError(result.path, result.member, error);
        }
      } else {
        ok = writer->Add(result, file_order[shared.writer_index]);
      }
      const auto now = std::chrono::steady_clock::now();
      if (ok && (writer->pending_events() >= 200000 || writer->pending_inputs() >= 2000 ||
                 now - last_commit > std::chrono::seconds(1))) {
        ok = writer->Commit();
        last_commit = now;
      }
      if (ok && writer->dictionary() != shared.dictionary.load(std::memory_order_relaxed)) {
        shared.dictionary.store(writer->dictionary(), std::memory_order_release);
        ok = writer->CompressTextRecords(hooks.stop, /*finishing=*/false);
      }
      if (!ok) {
        fatal = std::move(ok).error();
        shared.abort = true;
        shared.worker_cv.notify_all();
      }
    }
    report(false);
  }
  {
    std::lock_guard lock(shared.mu);
    shared.abort = shared.abort || fatal.has_value();
    shared.worker_cv.notify_all();
  }
  for (auto& thread : pool) thread.join();
  if (fatal) return *fatal;
  // An input the scan stopped part-way through leaves nothing: the next scan reads it whole.
  if (auto ok = writer->Abandon(); !ok) return std::move(ok).error();
  if (auto ok = writer->Commit(); !ok) return std::move(ok).error();
  if (auto ok = writer->CompressTextRecords(hooks.stop, /*finishing=*/true); !ok) {
    return std::move(ok).error();
  }
  // What the compression's deletes freed, and what a migration left (schema 10 leaves the old
  // events table's pages), is left for later scans; when that is a large part of the file, the
  // file is rewritten without it. Not when asked to stop: it can take long.
  if (hooks.stop == nullptr || !hooks.stop->load()) {
    if (auto ok = store::VacuumIfLargelyFree(*db, writer->finishing_saved()); !ok) {
      return std::move(ok).error();
    }
  }
  if (const std::string problem = writer->DictionaryProblem(); !problem.empty() && hooks.warning) {
    hooks.warning("raw records stored uncompressed: training their dictionary failed (" + problem +
                  "); the next scan tries again");
  }
  if (auto error = (*checkpointer)->Stop(); error && hooks.warning) {
    hooks.warning(error->message + "; the scan's rows are safe in the write-ahead log");
  }
  if (auto ok = build_index(); !ok) return std::move(ok).error();

  const bool interrupted = hooks.stop != nullptr && hooks.stop->load();
  summary.status = strict_stop ? "stopped" : interrupted ? "interrupted" : "complete";
  summary.events = writer->totals().events;
  summary.duplicates = writer->totals().duplicates;
  summary.errors = writer->totals().errors;
  summary.bytes_read = progress.bytes_done;
  summary.seconds = elapsed();
  for (std::size_t i = 0; i < filters.size(); ++i) {
    summary.filters.push_back(
        {filters.spec(i).name, writer->totals().matches[i], writer->totals().rejected[i]});
  }
  report(true);
  if (auto ok =
          store::FinishScanRecord(*db, *scan_id, summary.status, SummaryJson(summary), NowText());
      !ok) {
    return std::move(ok).error();
  }
  return summary;
}

std::string SummaryJson(const ScanSummary& s) {
  std::string out =
      "{\"scan_id\":" + std::to_string(s.scan_id) + ",\"status\":" + JsonString(s.status);
  auto field = [&](const char* name, std::uint64_t value) {
    out += ",\"";
    out += name;
    out += "\":" + std::to_string(value);
  };
  field("files", s.files);
  field("files_pruned", s.files_pruned);
  field("files_already_scanned", s.files_already);
  field("inputs_read", s.inputs_read);
  field("inputs_skipped", s.inputs_skipped);
  field("inputs_with_errors", s.inputs_failed);
  field("inputs_refused", s.inputs_refused);
  field("inputs_out_of_memory", s.inputs_out_of_memory);
  field("records", s.records);
  field("events", s.events);
  field("duplicates", s.duplicates);
  field("out_of_scope", s.out_of_scope);
  field("bad_records", s.bad_records);
  field("errors", s.errors);
  field("bytes_read", s.bytes_read);
  field("bytes_decoded", s.bytes_decoded);
  out += ",\"seconds\":" + JsonNumber(s.seconds);
  out += ",\"filters\":[";
  for (std::size_t i = 0; i < s.filters.size(); ++i) {
    if (i > 0) out += ",";
    const double share =
        s.events > 0 ? static_cast<double>(s.filters[i].matches) / static_cast<double>(s.events)
                     : 0.0;
    out += "{\"name\":" + JsonString(s.filters[i].name) +
           ",\"matches\":" + std::to_string(s.filters[i].matches) +
           ",\"share\":" + JsonNumber(share) +
           ",\"rejected_values\":" + std::to_string(s.filters[i].rejected_values) + "}";
  }
  out += "]}";
  return out;
}

}  // namespace trailreplay::scan

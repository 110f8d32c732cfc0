// Sniffing reads at most 64 KiB of the file (SniffContainerBytes looks at the same head of a
// buffer). gzip, the common case (every CloudTrail log), is decided without libarchive: the
// first 512 inflated bytes either are a valid tar header (ustar magic and checksum) or the file
// is one gzip document. Other compressions (bzip2, xz, zstd, lz4, compress) are handed to
// libarchive with only the tar format enabled, over the whole file (or buffer): a header that
// reads means a compressed tar, anything else a single compressed document. Zip and 7z are
// archives by their magic alone.
//
// The reader enables every decompression filter and the tar, zip and 7z formats, but never
// libarchive's "raw" format, so a lone gzip file is not mistaken for a one-member archive.
// libarchive's status codes map onto the API as follows:
//   next_header ARCHIVE_OK / ARCHIVE_WARN  the entry is usable
//   next_header ARCHIVE_FAILED             the entry is listed but its data is an error
//   next_header ARCHIVE_RETRY              damaged data (a bad tar header block), which
//                                          libarchive skips on each retry; reported as one
//                                          skipped pseudo-member before the next good entry
//   any ARCHIVE_FATAL                      the archive is broken: this and every later call
//                                          fails with the same error
#include "input/archive.h"

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <optional>
#include <system_error>

#include "input/buffer_growth.h"
#include "input/gzip.h"

namespace trailreplay::input {
namespace {

constexpr std::size_t kSniffBytes = 64 * 1024;
constexpr std::size_t kTarBlock = 512;
constexpr std::size_t kArchiveBlockSize = 64 * 1024;
constexpr std::size_t kReadChunk = 64 * 1024;
// A member's declared size is trusted for preallocation only up to this much.
constexpr std::uint64_t kMaxPreallocation = 64 * 1024 * 1024;

std::string ErrnoMessage(int err) {
  std::string text = std::generic_category().message(err);
  if (!text.empty() && text[0] >= 'A' && text[0] <= 'Z') text[0] = static_cast<char>(text[0] + 32);
  return text;
}

class FileDescriptor {
 public:
  explicit FileDescriptor(int fd) : fd_(fd) {}
  FileDescriptor(const FileDescriptor&) = delete;
  FileDescriptor& operator=(const FileDescriptor&) = delete;
  ~FileDescriptor() {
    if (fd_ >= 0) close(fd_);
  }
  int get() const { return fd_; }

 private:
  int fd_;
};

int OpenForReading(const std::string& path) {
  int fd;
  do {
    fd = open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY);
  } while (fd < 0 && errno == EINTR);
  return fd;
}

// read(2) until `size` bytes or end of file; -1 with errno on failure.
ssize_t ReadFully(int fd, char* data, std::size_t size) {
  std::size_t done = 0;
  while (done < size) {
    const ssize_t n = read(fd, data + done, size - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      return -1;
    }
    if (n == 0) break;
    done += static_cast<std::size_t>(n);
  }
  return static_cast<ssize_t>(done);
}

bool StartsWith(std::string_view bytes, std::string_view magic) {
  return bytes.size() >= magic.size() && bytes.substr(0, magic.size()) == magic;
}

// A POSIX (ustar) or GNU tar header: "ustar" at 257 and a checksum that adds up. The sum is
// over all 512 bytes with the checksum field read as spaces; old writers summed signed bytes.
bool IsTarHeader(std::string_view block) {
  if (block.size() < kTarBlock || block.substr(257, 5) != "ustar") return false;
  std::uint32_t stored = 0;
  std::size_t i = 148;
  while (i < 156 && block[i] == ' ') ++i;
  std::size_t digits = 0;
  for (; i < 156 && block[i] >= '0' && block[i] <= '7'; ++i, ++digits) {
    stored = stored * 8 + static_cast<std::uint32_t>(block[i] - '0');
  }
  if (digits == 0) return false;
  std::uint32_t unsigned_sum = 0;
  std::int32_t signed_sum = 0;
  for (std::size_t j = 0; j < kTarBlock; ++j) {
    const char c = (j >= 148 && j < 156) ? ' ' : block[j];
    unsigned_sum += static_cast<unsigned char>(c);
    signed_sum += static_cast<signed char>(c);
  }
  return stored == unsigned_sum || static_cast<std::int32_t>(stored) == signed_sum;
}

// Inflates the start of a gzip stream into at most one tar block (bounded work: the input is
// the sniffed head only).
std::string InflateHead(std::string_view compressed) {
  std::string out(kTarBlock, '\0');
  z_stream zs{};
  if (inflateInit2(&zs, 16 + MAX_WBITS) != Z_OK) return {};
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(compressed.data()));
  zs.avail_in = static_cast<uInt>(compressed.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  int rc = Z_OK;
  while (rc == Z_OK && zs.avail_out > 0 && zs.avail_in > 0) rc = inflate(&zs, Z_NO_FLUSH);
  out.resize(out.size() - zs.avail_out);
  inflateEnd(&zs);
  return out;
}

void EnableFormats(archive* a) {
  archive_read_support_filter_all(a);
  archive_read_support_format_tar(a);
  archive_read_support_format_zip(a);
  archive_read_support_format_7zip(a);
}

// Whether libarchive reads a first tar header out of what `open` opens (a compressed tar).
template <typename OpenFn>
bool IsCompressedTar(OpenFn open) {
  archive* a = archive_read_new();
  if (a == nullptr) return false;
  archive_read_support_filter_all(a);
  archive_read_support_format_tar(a);
  bool is_tar = false;
  if (open(a) == ARCHIVE_OK) {
    archive_entry* entry = nullptr;
    const int rc = archive_read_next_header(a, &entry);
    is_tar = rc == ARCHIVE_OK || rc == ARCHIVE_WARN;
  }
  archive_read_free(a);
  return is_tar;
}

// The decision over the first bytes; `is_compressed_tar` asks libarchive about the whole
// content when those bytes start a compression other than gzip.
template <typename CompressedTarFn>
ContainerKind Classify(std::string_view bytes, CompressedTarFn is_compressed_tar) {
  using namespace std::string_view_literals;
  if (StartsWith(bytes, "PK\x03\x04"sv) || StartsWith(bytes, "PK\x05\x06"sv)) {
    return ContainerKind::kArchive;
  }
  if (StartsWith(bytes, "7z\xbc\xaf\x27\x1c"sv)) return ContainerKind::kArchive;
  if (IsGzip(bytes)) {
    return IsTarHeader(InflateHead(bytes.substr(0, kSniffBytes))) ? ContainerKind::kArchive
                                                                  : ContainerKind::kSingle;
  }
  if (StartsWith(bytes, "BZh"sv) || StartsWith(bytes, "\xfd\x37\x7a\x58\x5a\x00"sv) ||
      StartsWith(bytes, "\x28\xb5\x2f\xfd"sv) || StartsWith(bytes, "\x04\x22\x4d\x18"sv) ||
      StartsWith(bytes, "\x1f\x9d"sv)) {
    return is_compressed_tar() ? ContainerKind::kArchive : ContainerKind::kSingle;
  }
  return IsTarHeader(bytes) ? ContainerKind::kArchive : ContainerKind::kSingle;
}

std::uint64_t RawPosition(archive* a) {
  const la_int64_t bytes = archive_filter_bytes(a, -1);
  return bytes < 0 ? 0 : static_cast<std::uint64_t>(bytes);
}

// Bytes handed to the format reader (after decompression): grows on every retry that skips
// damaged data, which is what guarantees the retry loop ends.
std::int64_t FormatPosition(archive* a) { return archive_filter_bytes(a, 0); }

// libarchive's message, lowercased like ours; a system errno adds strerror's text (its own
// messages such as "Failed to open 'x'" do not say why).
Error ArchiveError(archive* a, std::uint64_t offset) {
  const char* text = archive_error_string(a);
  std::string message = text != nullptr ? text : "unknown archive error";
  if (!message.empty() && message[0] >= 'A' && message[0] <= 'Z') {
    message[0] = static_cast<char>(message[0] + 32);
  }
  const int err = archive_errno(a);
  // libarchive's private header defines its "bad format" code as EILSEQ and "programmer
  // error" as EINVAL; any other positive errno comes from the system.
  const bool system_error = err > 0 && err != EILSEQ && err != EINVAL;
  if (system_error) {
    const std::string why = ErrnoMessage(err);
    if (message.find(why) == std::string::npos) message += ": " + why;
  }
  return MakeError(system_error ? ErrorCode::kIo : ErrorCode::kInvalidInput, std::move(message),
                   static_cast<std::size_t>(offset));
}

}  // namespace

Result<ContainerKind> SniffContainer(const std::string& path) {
  const FileDescriptor fd(OpenForReading(path));
  if (fd.get() < 0) return MakeError(ErrorCode::kIo, ErrnoMessage(errno));
  std::string head(kSniffBytes, '\0');
  const ssize_t n = ReadFully(fd.get(), head.data(), head.size());
  if (n < 0) return MakeError(ErrorCode::kIo, "read error: " + ErrnoMessage(errno), 0);
  head.resize(static_cast<std::size_t>(n));
  // A compressed tar's first header can lie past the head (a bzip2 block holds up to 900 KB):
  // libarchive reads the file itself.
  return Classify(head, [&] {
    return IsCompressedTar(
        [&](archive* a) { return archive_read_open_filename(a, path.c_str(), kArchiveBlockSize); });
  });
}

ContainerKind SniffContainerBytes(std::string_view bytes) {
  return Classify(bytes, [&] {
    return IsCompressedTar(
        [&](archive* a) { return archive_read_open_memory(a, bytes.data(), bytes.size()); });
  });
}

// Fills `out` from `read` (bytes read, 0 at the end, or an Error) up to `max_bytes`. The first
// buffer holds `expected` bytes (plus one) when known; it then grows along buffer_growth.h's
// chain, never past the limit. Reading one byte past the limit tells "exactly at the limit"
// from "over it", which returns `limit_error()` with `out` cut to the limit.
template <typename ReadFn, typename LimitFn>
Result<void> ReadCapped(std::string& out, std::uint64_t max_bytes, std::uint64_t expected,
                        ReadFn read, LimitFn limit_error) {
  const std::uint64_t cap = max_bytes >= out.max_size() ? out.max_size() : max_bytes + 1;
  out.resize(expected > 0 ? static_cast<std::size_t>(std::min(expected + 1, cap))
                          : FirstBufferSize(static_cast<std::size_t>(cap), kReadChunk));
  std::size_t produced = 0;
  for (;;) {
    if (produced == out.size()) {
      if (produced > max_bytes) {
        out.resize(static_cast<std::size_t>(max_bytes));
        return limit_error();
      }
      out.resize(NextBufferSize(out.size(), static_cast<std::size_t>(cap)));
    }
    Result<std::size_t> n = read(out.data() + produced, out.size() - produced, produced);
    if (!n) {
      out.resize(produced);
      return std::move(n).error();
    }
    if (*n == 0) break;
    produced += *n;
  }
  out.resize(produced);
  return {};
}

namespace {

FileStamp StampOf(const struct stat& st) {
  return {static_cast<std::uint64_t>(std::max<off_t>(st.st_size, 0)),
          static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec};
}

}  // namespace

Result<ReadStamp> ReadWholeFile(const std::string& path, std::string& out,
                                std::uint64_t max_bytes) {
  out.clear();
  const FileDescriptor fd(OpenForReading(path));
  if (fd.get() < 0) return MakeError(ErrorCode::kIo, ErrnoMessage(errno));
  struct stat st {};
  if (fstat(fd.get(), &st) != 0) return MakeError(ErrorCode::kIo, ErrnoMessage(errno));
  if (S_ISDIR(st.st_mode)) return MakeError(ErrorCode::kIo, ErrnoMessage(EISDIR));
  const auto limit_error = [&] {
    return MakeError(ErrorCode::kLimit,
                     "file exceeds the limit of " + std::to_string(max_bytes) + " bytes",
                     static_cast<std::size_t>(std::min<std::uint64_t>(max_bytes, SIZE_MAX)));
  };
  const FileStamp opened = StampOf(st);
  if (opened.size > max_bytes) return limit_error();

  // Read past the declared size: a file that grew, or one whose size stat does not know (a
  // pipe, /proc), is still caught at the limit.
  auto read_all = ReadCapped(
      out, max_bytes, S_ISREG(st.st_mode) ? opened.size : 0,
      [&](char* buffer, std::size_t size, std::size_t produced) -> Result<std::size_t> {
        for (;;) {
          const ssize_t n = read(fd.get(), buffer, size);
          if (n >= 0) return static_cast<std::size_t>(n);
          if (errno == EINTR) continue;
          return MakeError(ErrorCode::kIo, "read error: " + ErrnoMessage(errno), produced);
        }
      },
      limit_error);
  if (!read_all) return std::move(read_all).error();
  ReadStamp result;
  result.stamp = opened;
  if (fstat(fd.get(), &st) != 0) return MakeError(ErrorCode::kIo, ErrnoMessage(errno));
  const FileStamp after = StampOf(st);
  // A file stat gives no size (proc files: 0) is stable when its mtime did not move.
  result.stable = after == opened && (after.size == out.size() || after.size == 0);
  if (result.stable) result.stamp = after;
  return result;
}

struct ArchiveReader::Impl {
  Impl() = default;
  Impl(const Impl&) = delete;
  Impl& operator=(const Impl&) = delete;
  ~Impl() {
    if (a != nullptr) archive_read_free(a);
  }

  archive* a = nullptr;
  archive_entry* entry = nullptr;  // the current entry, owned by `a`
  std::uint64_t next_index = 0;
  bool has_entry = false;
  bool regular = false;
  bool data_read = false;
  bool streaming = false;  // the entry's data is being read by ReadSome
  bool at_eof = false;
  std::optional<Error> fatal;        // set once the archive is broken
  std::optional<Error> entry_error;  // the current entry's data cannot be read
  // A header read past damaged data, returned by the Next() after the damage report.
  bool pending = false;
  int pending_rc = ARCHIVE_OK;
};

ArchiveReader::ArchiveReader(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
ArchiveReader::~ArchiveReader() = default;
ArchiveReader::ArchiveReader(ArchiveReader&&) noexcept = default;
ArchiveReader& ArchiveReader::operator=(ArchiveReader&&) noexcept = default;

Result<ArchiveReader> ArchiveReader::Open(const std::string& path) {
  auto impl = std::make_unique<Impl>();
  impl->a = archive_read_new();
  if (impl->a == nullptr) return MakeError(ErrorCode::kIo, "cannot allocate an archive reader");
  EnableFormats(impl->a);
  if (archive_read_open_filename(impl->a, path.c_str(), kArchiveBlockSize) != ARCHIVE_OK) {
    return ArchiveError(impl->a, RawPosition(impl->a));
  }
  return ArchiveReader(std::move(impl));
}

Result<ArchiveReader> ArchiveReader::OpenMemory(std::string_view bytes) {
  auto impl = std::make_unique<Impl>();
  impl->a = archive_read_new();
  if (impl->a == nullptr) return MakeError(ErrorCode::kIo, "cannot allocate an archive reader");
  EnableFormats(impl->a);
  if (archive_read_open_memory(impl->a, bytes.data(), bytes.size()) != ARCHIVE_OK) {
    return ArchiveError(impl->a, RawPosition(impl->a));
  }
  return ArchiveReader(std::move(impl));
}

std::uint64_t ArchiveReader::position() const { return RawPosition(impl_->a); }

Result<bool> ArchiveReader::Next(Member& member) {
  Impl& s = *impl_;
  if (s.fatal) return *s.fatal;
  s.has_entry = false;
  s.entry_error.reset();
  s.data_read = false;
  s.streaming = false;
  member = Member{};
  if (s.at_eof) return false;

  int rc = s.pending_rc;
  if (s.pending) {
    s.pending = false;
  } else {
    rc = archive_read_next_header(s.a, &s.entry);
    if (rc == ARCHIVE_RETRY) {
      const Error damage = ArchiveError(s.a, position());
      while (rc == ARCHIVE_RETRY) {
        const std::int64_t before = FormatPosition(s.a);
        rc = archive_read_next_header(s.a, &s.entry);
        if (rc == ARCHIVE_RETRY && FormatPosition(s.a) <= before) {
          s.fatal = ArchiveError(s.a, position());
          return *s.fatal;
        }
      }
      if (rc == ARCHIVE_FATAL) {
        s.fatal = ArchiveError(s.a, position());
        return *s.fatal;
      }
      // Report the damage now; the entry found after it comes with the next call.
      if (rc == ARCHIVE_EOF) {
        s.at_eof = true;
      } else {
        s.pending = true;
        s.pending_rc = rc;
      }
      member.index = s.next_index++;
      member.regular = false;
      member.skip_reason = "damaged data skipped (" + damage.message + ")";
      return true;
    }
  }

  switch (rc) {
    case ARCHIVE_EOF:
      s.at_eof = true;
      return false;
    case ARCHIVE_OK:
    case ARCHIVE_WARN:
      break;
    case ARCHIVE_FATAL:
      s.fatal = ArchiveError(s.a, position());
      return *s.fatal;
    default:  // ARCHIVE_FAILED: the header is known, the data cannot be read.
      s.entry_error = ArchiveError(s.a, position());
      break;
  }

  archive_entry* e = s.entry;
  const char* name = archive_entry_pathname(e);
  if (name == nullptr) name = archive_entry_pathname_utf8(e);
  member.name = name != nullptr ? name : "";
  member.index = s.next_index++;
  member.size = archive_entry_size_is_set(e) && archive_entry_size(e) > 0
                    ? static_cast<std::uint64_t>(archive_entry_size(e))
                    : 0;
  const mode_t type = archive_entry_filetype(e);
  if (archive_entry_symlink(e) != nullptr || type == AE_IFLNK) {
    member.skip_reason = "symbolic link";
  } else if (archive_entry_hardlink(e) != nullptr) {
    member.skip_reason = "hard link";
  } else if (type == AE_IFDIR) {
    member.skip_reason = "directory";
  } else if (type != AE_IFREG) {
    member.skip_reason = "special file";
  }
  member.regular = member.skip_reason.empty();
  s.regular = member.regular;
  s.has_entry = true;
  return true;
}

Result<void> ArchiveReader::StartData() {
  Impl& s = *impl_;
  if (!s.has_entry) return MakeError(ErrorCode::kInvalidArgument, "no current archive member");
  if (s.entry_error) return *s.entry_error;
  if (!s.regular) {
    return MakeError(ErrorCode::kInvalidArgument, "the current member is not a regular file");
  }
  if (s.data_read) {
    return MakeError(ErrorCode::kInvalidArgument, "the current member's data was already read");
  }
  s.data_read = true;
  if (archive_entry_is_encrypted(s.entry)) {
    return MakeError(ErrorCode::kInvalidInput, "encrypted member",
                     static_cast<std::size_t>(position()));
  }
  return {};
}

Result<void> ArchiveReader::ReadData(std::string& out, std::uint64_t max_bytes) {
  Impl& s = *impl_;
  out.clear();
  if (s.fatal) return *s.fatal;
  if (auto ok = StartData(); !ok) return ok;
  const auto limit_error = [&] {
    return MakeError(ErrorCode::kLimit,
                     "member exceeds the limit of " + std::to_string(max_bytes) + " bytes",
                     static_cast<std::size_t>(position()));
  };
  std::uint64_t declared = 0;
  if (archive_entry_size_is_set(s.entry) && archive_entry_size(s.entry) > 0) {
    declared = static_cast<std::uint64_t>(archive_entry_size(s.entry));
  }
  if (declared > max_bytes) return limit_error();

  // A declared size is trusted for the first buffer only up to kMaxPreallocation.
  return ReadCapped(
      out, max_bytes, std::min(declared, kMaxPreallocation),
      [&](char* buffer, std::size_t size, std::size_t) -> Result<std::size_t> {
        const la_ssize_t n = archive_read_data(s.a, buffer, size);
        if (n >= 0) return static_cast<std::size_t>(n);
        Error error = ArchiveError(s.a, position());
        if (n == ARCHIVE_FATAL) s.fatal = error;
        return error;
      },
      limit_error);
}

Result<std::size_t> ArchiveReader::ReadSome(char* buffer, std::size_t size) {
  Impl& s = *impl_;
  if (s.fatal) return *s.fatal;
  if (!s.streaming) {
    if (auto ok = StartData(); !ok) return std::move(ok).error();
    s.streaming = true;
  }
  const la_ssize_t n = archive_read_data(s.a, buffer, size);
  if (n >= 0) return static_cast<std::size_t>(n);
  Error error = ArchiveError(s.a, position());
  if (n == ARCHIVE_FATAL) s.fatal = error;
  return error;
}

}  // namespace trailreplay::input

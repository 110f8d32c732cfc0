// Reading one input file: a plain file, a gzip file, or an archive (tar, tar.gz, tar.bz2,
// tar.xz, tar.zst, zip, 7z) whose members are read one by one through libarchive.
//
// Recognition is by content, never by name: gzip magic, then (after inflating its first
// block) the tar header's "ustar" magic; zip's "PK\3\4"; libarchive's own detection for the
// rest. Members are read into memory only, never written anywhere, so names with `../`,
// absolute names and links are harmless: links, directories and other non-regular members are
// skipped (reported as skipped, with their name). Each member's size is capped like a gzip
// bomb; an unreadable member (encrypted, corrupt) is reported and reading goes on with the next
// member when the format allows, or stops with an error when it does not.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "common/result.h"

namespace trailreplay::input {

enum class ContainerKind : std::uint8_t {
  kSingle,   // the file is one document (plain or gzip): read it with ReadWholeFile
  kArchive,  // tar / zip / compressed tar: read it member by member with ArchiveReader
};

// Looks at the first bytes of `path` (and, for gzip, at its first inflated block).
Result<ContainerKind> SniffContainer(const std::string& path);

// The same decision over content held in memory: `bytes` is the whole content, or at least its
// first 64 KiB (a compressed tar whose first header lies beyond `bytes` then reads as kSingle).
ContainerKind SniffContainerBytes(std::string_view bytes);

// A file's size and modification time, as the ledger keeps them.
struct FileStamp {
  std::uint64_t size = 0;
  std::int64_t mtime_ns = 0;  // nanoseconds since the epoch
  bool operator==(const FileStamp&) const = default;
};

// What ReadWholeFile saw of the file it read.
struct ReadStamp {
  FileStamp stamp;      // the file as it was read (when `stable`), else as it was opened
  bool stable = false;  // the file did not change while it was read: `out` is all of `stamp`
};

// Reads a whole file into `out` (replacing its content). Fails with kIo naming the system
// error, or kLimit when the file is larger than `max_bytes`. The file is stat'ed when opened
// and again after the last read, so a caller can tell whether what it holds is the file that
// was listed, and whether the file changed while it was read.
Result<ReadStamp> ReadWholeFile(const std::string& path, std::string& out, std::uint64_t max_bytes);

struct Member {
  std::string name;         // as stored in the archive
  std::uint64_t index = 0;  // 0-based position among all entries of the archive
  std::uint64_t size = 0;   // declared size (0 when unknown)
  bool regular = true;      // false: directory, link, device...; skipped
  std::string skip_reason;  // why a non-regular member is skipped ("symbolic link", ...)
};

class ArchiveReader {
 public:
  ~ArchiveReader();
  ArchiveReader(ArchiveReader&&) noexcept;
  ArchiveReader& operator=(ArchiveReader&&) noexcept;

  static Result<ArchiveReader> Open(const std::string& path);
  // Reads an archive held in memory; `bytes` must outlive the reader.
  static Result<ArchiveReader> OpenMemory(std::string_view bytes);

  // Advances to the next entry. Returns false at the end of the archive; an Error when the
  // archive itself is broken (no further entries can be read). Damaged data that libarchive
  // can skip (a bad tar header block) comes back as one non-regular member with an empty name
  // and a skip_reason starting "damaged data skipped".
  Result<bool> Next(Member& member);

  // Reads the current (regular) entry's data into `out` (replacing its content). Fails with
  // kLimit beyond `max_bytes` (at once when the declared size is over it), kInvalidInput when
  // the data cannot be decoded (encrypted, corrupt, truncated; the message says which), kIo
  // when reading the file fails. After a failure, Next() may still succeed.
  Result<void> ReadData(std::string& out, std::uint64_t max_bytes);
  // Or reads the current entry's data piece by piece, for a member too big to hold: up to
  // `size` bytes into `buffer`, how many (0 at its end). Fails as ReadData does.
  Result<std::size_t> ReadSome(char* buffer, std::size_t size);

  // Compressed bytes consumed so far (for progress and error offsets).
  std::uint64_t position() const;

 private:
  struct Impl;
  explicit ArchiveReader(std::unique_ptr<Impl> impl);
  // The checks before a member's data is read (by ReadData or ReadSome), which marks it read.
  Result<void> StartData();
  std::unique_ptr<Impl> impl_;
};

}  // namespace trailreplay::input

// Bytes read a piece at a time, for inputs too big to hold: a file, an archive member, or what
// a gzip stream inflates to (any of them, each member of a multi-member file in turn).
//
// The scanner reads small inputs whole (input/gzip.h, ArchiveReader::ReadData) and big ones
// through these, a window at a time, so that memory is a window and the longest record rather
// than the input (scan/scanner.cc). The stored-bytes sources hash what they read, so an input
// read in pieces gets the same ledger hash as one read whole.
#pragma once

#include <zlib.h>

#include <cstdint>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "common/sha256.h"
#include "input/archive.h"

namespace trailreplay::input {

class ByteSource {
 public:
  virtual ~ByteSource() = default;
  // Reads up to `size` bytes into `buffer`: how many, 0 at the end.
  virtual Result<std::size_t> Read(char* buffer, std::size_t size) = 0;
  // Bytes of the input consumed so far (as stored, for a gzip stream the compressed bytes).
  virtual std::uint64_t consumed() const = 0;
};

// An open file, from its current position. Every byte read updates `hash` (may be null).
class FileSource final : public ByteSource {
 public:
  FileSource(int fd, Sha256* hash) : fd_(fd), hash_(hash) {}
  Result<std::size_t> Read(char* buffer, std::size_t size) override;
  std::uint64_t consumed() const override { return total_; }

 private:
  int fd_;
  Sha256* hash_;
  std::uint64_t total_ = 0;
};

// Bytes already in memory (a file read whole whose content turned out too big to inflate
// whole). Every byte read updates `hash` (may be null).
class MemorySource final : public ByteSource {
 public:
  MemorySource(std::string_view bytes, Sha256* hash) : bytes_(bytes), hash_(hash) {}
  Result<std::size_t> Read(char* buffer, std::size_t size) override;
  std::uint64_t consumed() const override { return pos_; }

 private:
  std::string_view bytes_;
  Sha256* hash_;
  std::size_t pos_ = 0;
};

// The current member of an archive (ArchiveReader::ReadSome). Every byte read updates `hash`.
class MemberSource final : public ByteSource {
 public:
  MemberSource(ArchiveReader& reader, Sha256* hash) : reader_(reader), hash_(hash) {}
  Result<std::size_t> Read(char* buffer, std::size_t size) override;
  std::uint64_t consumed() const override { return total_; }

 private:
  ArchiveReader& reader_;
  Sha256* hash_;
  std::uint64_t total_ = 0;
};

// What an input holds: when its bytes are gzip, what they inflate to (zlib, RFC 1952), member
// after member as gzip(1) reads them, zero bytes after the last member (some tools pad) ending
// it; otherwise the bytes themselves. Errors are those of GunzipAll (kInvalidInput: corrupt,
// truncated, trailing garbage), at the compressed offset; everything inflated before an error
// was returned by earlier reads.
class DecodedSource final : public ByteSource {
 public:
  explicit DecodedSource(ByteSource& stored);
  ~DecodedSource() override;
  DecodedSource(const DecodedSource&) = delete;
  DecodedSource& operator=(const DecodedSource&) = delete;

  Result<std::size_t> Read(char* buffer, std::size_t size) override;
  std::uint64_t consumed() const override { return in_base_ + in_pos_; }
  std::uint64_t produced() const { return produced_; }
  // Known after the first Read.
  bool gzip() const { return live_; }

 private:
  // Makes at least `want` unread input bytes available, unless the input ends first.
  Result<void> Fill(std::size_t want);
  Result<void> NextMember();

  ByteSource& in_;
  z_stream zs_{};
  bool live_ = false;
  std::vector<char> buf_;
  std::size_t in_pos_ = 0, in_end_ = 0;
  std::uint64_t in_base_ = 0;  // the compressed offset of buf_[0]
  bool in_eof_ = false;
  bool started_ = false;
  bool between_members_ = false;  // a member ended: another, zero padding or the end follows
  bool done_ = false;
  std::uint64_t member_start_ = 0;
  std::uint64_t produced_ = 0;
};

}  // namespace trailreplay::input

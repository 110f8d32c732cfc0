#include "input/stream.h"

#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <system_error>

#include "input/gzip.h"

namespace trailreplay::input {
namespace {

// Compressed bytes read from the input at a time.
constexpr std::size_t kInputBuffer = std::size_t{256} << 10;
// zlib's avail_in / avail_out are 32-bit.
constexpr std::size_t kMaxZlibChunk = std::size_t{1} << 30;

std::string ZlibMessage(const z_stream& stream, int rc) {
  if (stream.msg != nullptr) return stream.msg;
  return rc == Z_MEM_ERROR ? "out of memory" : "invalid data";
}

}  // namespace

Result<std::size_t> FileSource::Read(char* buffer, std::size_t size) {
  for (;;) {
    const ssize_t n = read(fd_, buffer, size);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      return MakeError(ErrorCode::kIo, "read error: " + std::generic_category().message(errno),
                       total_);
    }
    const auto got = static_cast<std::size_t>(n);
    if (hash_ != nullptr) hash_->Update(std::string_view(buffer, got));
    total_ += got;
    return got;
  }
}

Result<std::size_t> MemorySource::Read(char* buffer, std::size_t size) {
  const std::size_t n = std::min(size, bytes_.size() - pos_);
  std::memcpy(buffer, bytes_.data() + pos_, n);
  if (hash_ != nullptr) hash_->Update(bytes_.substr(pos_, n));
  pos_ += n;
  return n;
}

Result<std::size_t> MemberSource::Read(char* buffer, std::size_t size) {
  auto n = reader_.ReadSome(buffer, size);
  if (!n) return n;
  if (hash_ != nullptr) hash_->Update(std::string_view(buffer, *n));
  total_ += *n;
  return n;
}

DecodedSource::DecodedSource(ByteSource& stored) : in_(stored), buf_(kInputBuffer) {}

DecodedSource::~DecodedSource() {
  if (live_) inflateEnd(&zs_);
}

Result<void> DecodedSource::Fill(std::size_t want) {
  while (in_end_ - in_pos_ < want && !in_eof_) {
    if (in_pos_ > 0) {
      std::memmove(buf_.data(), buf_.data() + in_pos_, in_end_ - in_pos_);
      in_base_ += in_pos_;
      in_end_ -= in_pos_;
      in_pos_ = 0;
    }
    auto n = in_.Read(buf_.data() + in_end_, buf_.size() - in_end_);
    if (!n) return std::move(n).error();
    if (*n == 0) in_eof_ = true;
    in_end_ += *n;
  }
  return {};
}

// After a member's end: zero padding to the end, another member, or trailing garbage.
Result<void> DecodedSource::NextMember() {
  const std::uint64_t member_end = consumed();
  bool padded = false;
  for (;;) {
    if (auto ok = Fill(2); !ok) return ok;
    while (in_pos_ < in_end_ && buf_[in_pos_] == '\0') {
      ++in_pos_;
      padded = true;
    }
    if (in_pos_ < in_end_ || in_eof_) break;
  }
  if (in_pos_ == in_end_) {
    done_ = true;
    return {};
  }
  if (auto ok = Fill(2); !ok) return ok;
  const std::string_view rest(buf_.data() + in_pos_, in_end_ - in_pos_);
  if (!padded && rest == "\x1f" && in_eof_) {
    // Half a magic: the next member was cut right after its first byte.
    return MakeError(ErrorCode::kInvalidInput,
                     "truncated gzip data (member starting at byte " + std::to_string(member_end) +
                         " ended at byte " + std::to_string(member_end + 1) + ")",
                     member_end + 1);
  }
  if (padded || !IsGzip(rest)) {
    return MakeError(ErrorCode::kInvalidInput,
                     "trailing garbage after gzip member at offset " + std::to_string(member_end),
                     member_end);
  }
  inflateReset(&zs_);
  member_start_ = consumed();
  between_members_ = false;
  return {};
}

Result<std::size_t> DecodedSource::Read(char* buffer, std::size_t size) {
  if (done_) return std::size_t{0};
  if (!started_) {
    started_ = true;
    if (auto ok = Fill(2); !ok) return std::move(ok).error();
    if (IsGzip(std::string_view(buf_.data() + in_pos_, in_end_ - in_pos_))) {
      if (inflateInit2(&zs_, 16 + MAX_WBITS) != Z_OK) {
        return MakeError(ErrorCode::kIo, "cannot initialise zlib", 0);
      }
      live_ = true;
    }
  }
  if (!live_) {  // plain bytes: what is buffered, then straight from the input
    std::size_t n = std::min(size, in_end_ - in_pos_);
    if (n > 0) {
      std::memcpy(buffer, buf_.data() + in_pos_, n);
      in_pos_ += n;
    } else {
      auto got = in_.Read(buffer, size);
      if (!got) return got;
      n = *got;
      in_base_ += n;
    }
    produced_ += n;
    return n;
  }
  size = std::min(size, kMaxZlibChunk);
  std::size_t written = 0;
  while (written == 0) {
    if (between_members_) {
      if (auto ok = NextMember(); !ok) return std::move(ok).error();
      if (done_) return std::size_t{0};
    }
    if (in_pos_ == in_end_) {
      if (auto ok = Fill(1); !ok) return std::move(ok).error();
    }
    const std::size_t in_avail = in_end_ - in_pos_;
    // zlib's API takes a non-const pointer but never writes through next_in.
    zs_.next_in = reinterpret_cast<Bytef*>(buf_.data() + in_pos_);
    zs_.avail_in = static_cast<uInt>(in_avail);
    zs_.next_out = reinterpret_cast<Bytef*>(buffer + written);
    zs_.avail_out = static_cast<uInt>(size - written);
    const int rc = inflate(&zs_, Z_NO_FLUSH);
    in_pos_ += in_avail - zs_.avail_in;
    written = size - zs_.avail_out;
    if (rc == Z_STREAM_END) {
      between_members_ = true;
      continue;
    }
    if (rc == Z_OK) continue;
    if (rc == Z_BUF_ERROR && in_pos_ == in_end_) {
      if (!in_eof_) continue;
      if (written > 0) break;  // the error comes with the next read
      return MakeError(ErrorCode::kInvalidInput,
                       "truncated gzip data (member starting at byte " +
                           std::to_string(member_start_) + " ended at byte " +
                           std::to_string(consumed()) + ")",
                       consumed());
    }
    if (rc == Z_MEM_ERROR) return MakeError(ErrorCode::kIo, "zlib: out of memory", consumed());
    // Z_DATA_ERROR (bad header, bad block, CRC or length mismatch), Z_NEED_DICT, Z_STREAM_ERROR.
    return MakeError(ErrorCode::kInvalidInput,
                     "corrupt gzip data at byte " + std::to_string(consumed()) +
                         " (member starting at byte " + std::to_string(member_start_) +
                         "): " + ZlibMessage(zs_, rc),
                     consumed());
  }
  produced_ += written;
  return written;
}

}  // namespace trailreplay::input

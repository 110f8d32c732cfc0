// Two decoders. The fast one is libdeflate, whole-buffer: each member is decoded in one call
// into a buffer sized from the gzip trailer's ISIZE (exact for the usual single-member file),
// grown and retried when a member turns out larger. The gzip wrapper around libdeflate's raw
// DEFLATE decoder is ours, as libdeflate's own gzip function reads it, except that the CRC-32
// is ISA-L's (AVX-512 carry-less multiplication where the CPU has it: 50 GB/s here against
// libdeflate 1.14's 14, which was a fifth of the time spent inflating). The fast decoder
// reports only success or failure, so as soon as a member fails in any way (corrupt,
// truncated, over the limit, or followed by something that is neither a member nor zero
// padding) the member is decoded again with zlib, which keeps what decodes before the damage
// and says where it is.
//
// The zlib decoder (gzip wrapper only: 16 + MAX_WBITS) decodes straight into `out`, which
// grows by at most doubling at each step (buffer_growth.h). The buffer never grows past
// max_output + 1 bytes: the extra byte is how a stream that is exactly at the limit is told
// from one that crosses it, and inflation stops at the first byte over. At the end of each
// member the rest of the input decides: another gzip magic starts the next member
// (inflateReset), zero padding ends the data, anything else is trailing garbage.
#include "input/gzip.h"

#include <isa-l/crc.h>
#include <libdeflate.h>
#include <zlib.h>

#include <algorithm>
#include <memory>

#include "input/buffer_growth.h"

namespace trailreplay::input {
namespace {

// zlib's avail_in / avail_out are 32-bit; larger buffers are fed in pieces.
constexpr std::size_t kMaxZlibChunk = std::size_t{1} << 30;
constexpr std::size_t kMinInitialOutput = 64 * 1024;

class Inflater {
 public:
  Inflater() = default;
  Inflater(const Inflater&) = delete;
  Inflater& operator=(const Inflater&) = delete;
  ~Inflater() {
    if (live_) inflateEnd(&stream_);
  }

  bool Init() {
    live_ = inflateInit2(&stream_, 16 + MAX_WBITS) == Z_OK;
    return live_;
  }
  z_stream& stream() { return stream_; }

 private:
  z_stream stream_{};
  bool live_ = false;
};

bool AllZero(std::string_view bytes) {
  return std::all_of(bytes.begin(), bytes.end(), [](char c) { return c == '\0'; });
}

std::string ZlibMessage(const z_stream& stream, int rc) {
  if (stream.msg != nullptr) return stream.msg;
  return rc == Z_MEM_ERROR ? "out of memory" : "invalid data";
}

// One libdeflate decompressor per thread, made on first use.
libdeflate_decompressor* ThreadDecompressor() {
  struct Free {
    void operator()(libdeflate_decompressor* d) const { libdeflate_free_decompressor(d); }
  };
  thread_local std::unique_ptr<libdeflate_decompressor, Free> decompressor(
      libdeflate_alloc_decompressor());
  return decompressor.get();
}

std::uint32_t LoadLe32(const unsigned char* p) {
  return static_cast<std::uint32_t>(p[0]) | static_cast<std::uint32_t>(p[1]) << 8 |
         static_cast<std::uint32_t>(p[2]) << 16 | static_cast<std::uint32_t>(p[3]) << 24;
}

// libdeflate_gzip_decompress_ex (as libdeflate 1.14's lib/gzip_decompress.c reads a member) with
// ISA-L's CRC-32: one gzip member at the start of `in`, its header, DEFLATE data and trailer.
libdeflate_result GunzipMember(libdeflate_decompressor* decompressor, std::string_view in,
                               char* out, std::size_t out_avail, std::size_t* in_used,
                               std::size_t* out_used) {
  constexpr std::size_t kFooter = 8, kMinOverhead = 18;
  constexpr unsigned char kFlagHeaderCrc = 0x02, kFlagExtra = 0x04, kFlagName = 0x08,
                          kFlagComment = 0x10, kFlagsReserved = 0xe0;
  if (in.size() < kMinOverhead) return LIBDEFLATE_BAD_DATA;
  const auto* begin = reinterpret_cast<const unsigned char*>(in.data());
  const unsigned char* const end = begin + in.size();
  if (begin[0] != 0x1f || begin[1] != 0x8b || begin[2] != 8) return LIBDEFLATE_BAD_DATA;
  const unsigned char flags = begin[3];
  if ((flags & kFlagsReserved) != 0) return LIBDEFLATE_BAD_DATA;
  const unsigned char* next = begin + 10;  // past MTIME, XFL and OS
  if ((flags & kFlagExtra) != 0) {
    if (end - next < 2) return LIBDEFLATE_BAD_DATA;
    const std::size_t extra = static_cast<std::size_t>(next[0]) | std::size_t{next[1]} << 8;
    next += 2;
    if (static_cast<std::size_t>(end - next) < extra) return LIBDEFLATE_BAD_DATA;
    next += extra;
  }
  for (const unsigned char flag : {kFlagName, kFlagComment}) {  // zero-terminated strings
    if ((flags & flag) == 0) continue;
    while (next != end && *next++ != 0) {
    }
  }
  if ((flags & kFlagHeaderCrc) != 0) {
    if (end - next < 2) return LIBDEFLATE_BAD_DATA;
    next += 2;
  }
  if (static_cast<std::size_t>(end - next) < kFooter) return LIBDEFLATE_BAD_DATA;
  std::size_t deflate_used = 0;
  const libdeflate_result rc = libdeflate_deflate_decompress_ex(
      decompressor, next, static_cast<std::size_t>(end - next) - kFooter, out, out_avail,
      &deflate_used, out_used);
  if (rc != LIBDEFLATE_SUCCESS) return rc;
  next += deflate_used;
  const auto* produced = reinterpret_cast<const unsigned char*>(out);
  if (crc32_gzip_refl(0, produced, *out_used) != LoadLe32(next) ||
      static_cast<std::uint32_t>(*out_used) != LoadLe32(next + 4)) {
    return LIBDEFLATE_BAD_DATA;
  }
  *in_used = static_cast<std::size_t>(next + kFooter - begin);
  return LIBDEFLATE_SUCCESS;
}

// The last member's uncompressed size modulo 2^32, from the trailer (the final 4 bytes).
std::size_t TrailerSize(std::string_view compressed) {
  if (compressed.size() < 18) return 0;
  return LoadLe32(reinterpret_cast<const unsigned char*>(compressed.data() + compressed.size()) -
                  4);
}

// The zlib decoder, from the member starting at `in_pos`, appending after `produced` bytes of
// `out`. `cap` is the ceiling of out's size (max_output + 1, or what a string can hold).
Result<void> InflateWithZlib(std::string_view compressed, std::size_t in_pos, std::string& out,
                             std::size_t produced, std::uint64_t max_output, std::size_t cap);

}  // namespace

bool IsGzip(std::string_view bytes) {
  return bytes.size() >= 2 && static_cast<unsigned char>(bytes[0]) == 0x1f &&
         static_cast<unsigned char>(bytes[1]) == 0x8b;
}

namespace {

Result<void> InflateWithZlib(std::string_view compressed, std::size_t in_pos, std::string& out,
                             std::size_t produced, std::uint64_t max_output, std::size_t cap) {
  Inflater inflater;
  if (!inflater.Init()) return MakeError(ErrorCode::kIo, "cannot initialise zlib", in_pos);
  z_stream& zs = inflater.stream();
  if (out.size() <= produced) {
    const std::size_t rest = compressed.size() - in_pos;
    const std::size_t guess =
        rest > cap / 4 ? cap : produced + std::max(rest * 4, kMinInitialOutput);
    out.resize(FirstBufferSize(cap, std::min(guess, cap)));
  }

  const auto* base = reinterpret_cast<const Bytef*>(compressed.data());
  std::size_t member_start = in_pos;
  auto fail = [&](ErrorCode code, std::string message, std::size_t offset) -> Result<void> {
    out.resize(produced);
    return MakeError(code, std::move(message), offset);
  };

  for (;;) {
    if (produced == out.size()) {
      if (out.size() >= cap) {
        return fail(
            ErrorCode::kLimit,
            "decompressed size exceeds the limit of " + std::to_string(max_output) + " bytes",
            in_pos);
      }
      out.resize(NextBufferSize(out.size(), cap));
    }
    const std::size_t in_avail = std::min(compressed.size() - in_pos, kMaxZlibChunk);
    const std::size_t out_avail = std::min(out.size() - produced, kMaxZlibChunk);
    // zlib's API takes a non-const pointer but never writes through next_in.
    zs.next_in = const_cast<Bytef*>(base + in_pos);
    zs.avail_in = static_cast<uInt>(in_avail);
    zs.next_out = reinterpret_cast<Bytef*>(out.data() + produced);
    zs.avail_out = static_cast<uInt>(out_avail);

    const int rc = inflate(&zs, Z_NO_FLUSH);
    const std::size_t consumed = in_avail - zs.avail_in;
    const std::size_t written = out_avail - zs.avail_out;
    in_pos += consumed;
    produced += written;

    if (produced > max_output) {
      produced = static_cast<std::size_t>(max_output);
      return fail(ErrorCode::kLimit,
                  "decompressed size exceeds the limit of " + std::to_string(max_output) + " bytes",
                  in_pos);
    }
    if (rc == Z_STREAM_END) {
      const std::string_view rest = compressed.substr(in_pos);
      if (rest.empty() || AllZero(rest)) break;
      if (rest == "\x1f") {
        // Half a magic: the next member was cut right after its first byte.
        return fail(ErrorCode::kInvalidInput,
                    "truncated gzip data (member starting at byte " + std::to_string(in_pos) +
                        " ended at byte " + std::to_string(compressed.size()) + ")",
                    compressed.size());
      }
      if (!IsGzip(rest)) {
        return fail(ErrorCode::kInvalidInput,
                    "trailing garbage after gzip member at offset " + std::to_string(in_pos),
                    in_pos);
      }
      inflateReset(&zs);
      member_start = in_pos;
      continue;
    }
    if (rc == Z_OK) continue;
    if (rc == Z_BUF_ERROR) {
      // No progress was possible: out of output space (grown on the next turn), out of the
      // current input piece, or out of input altogether.
      if (zs.avail_out == 0 || in_pos < compressed.size()) {
        if (consumed == 0 && written == 0 && zs.avail_out != 0 && zs.avail_in != 0) {
          return fail(ErrorCode::kInvalidInput, "zlib made no progress", in_pos);
        }
        continue;
      }
      return fail(ErrorCode::kInvalidInput,
                  "truncated gzip data (member starting at byte " + std::to_string(member_start) +
                      " ended at byte " + std::to_string(in_pos) + ")",
                  in_pos);
    }
    if (rc == Z_MEM_ERROR) return fail(ErrorCode::kIo, "zlib: out of memory", in_pos);
    // Z_DATA_ERROR (bad header, bad block, CRC or length mismatch), Z_NEED_DICT, Z_STREAM_ERROR.
    return fail(ErrorCode::kInvalidInput,
                "corrupt gzip data at byte " + std::to_string(in_pos) +
                    " (member starting at byte " + std::to_string(member_start) +
                    "): " + ZlibMessage(zs, rc),
                in_pos);
  }
  out.resize(produced);
  return {};
}

}  // namespace

Result<void> GunzipAll(std::string_view compressed, std::string& out, std::uint64_t max_output) {
  if (!IsGzip(compressed)) {
    out.clear();
    return MakeError(ErrorCode::kInvalidInput, "not gzip data (no 1f 8b magic at the start)", 0);
  }
  // The output buffer's ceiling: one byte past the limit, and what a string can hold.
  const std::uint64_t max_size = std::min<std::uint64_t>(out.max_size(), kMaxZlibChunk * 1024);
  const auto cap = static_cast<std::size_t>(max_output >= max_size ? max_size : max_output + 1);

  libdeflate_decompressor* decompressor = ThreadDecompressor();
  if (decompressor == nullptr) {
    out.clear();
    return InflateWithZlib(compressed, 0, out, 0, max_output, cap);
  }
  // `out` keeps its old size as a head start: growing a string zero-fills only the growth.
  std::size_t in_pos = 0, produced = 0;
  const std::size_t trailer = TrailerSize(compressed);
  for (;;) {
    const std::string_view member = compressed.substr(in_pos);
    // The trailer's size is exact when this is the last member of a sound file. It is only
    // trusted within a plausible ratio (CloudTrail JSON compresses about 10:1), so that the
    // last four bytes of a damaged file do not allocate gigabytes; otherwise the guess is 4x.
    const std::size_t guess = trailer >= member.size() && trailer / 64 <= member.size()
                                  ? trailer
                                  : std::max(member.size() * 4, kMinInitialOutput);
    // Capacity follows the ceiling's halving chain, so growth never reserves past the
    // ceiling; the size is just the guess, so only the guess is zero-filled.
    const std::size_t want = std::min(cap, produced + std::max<std::size_t>(guess, 1));
    if (out.size() < want) {
      if (out.capacity() < want) out.reserve(FirstBufferSize(cap, want));
      out.resize(want);
    }
    libdeflate_result rc;
    std::size_t in_used = 0, out_used = 0;
    for (;;) {
      rc = GunzipMember(decompressor, member, out.data() + produced, out.size() - produced,
                        &in_used, &out_used);
      if (rc != LIBDEFLATE_INSUFFICIENT_SPACE || out.size() >= cap) break;
      out.resize(NextBufferSize(out.size(), cap));
    }
    if (rc != LIBDEFLATE_SUCCESS || produced + out_used > max_output) {
      return InflateWithZlib(compressed, in_pos, out, produced, max_output, cap);
    }
    const std::size_t member_start = in_pos;
    produced += out_used;
    in_pos += in_used;
    const std::string_view rest = compressed.substr(in_pos);
    if (rest.empty() || AllZero(rest)) break;
    if (!IsGzip(rest) || rest.size() < 18) {
      // Trailing garbage or a cut-off member: zlib tells which, from the member before.
      return InflateWithZlib(compressed, member_start, out, produced - out_used, max_output, cap);
    }
  }
  out.resize(produced);
  return {};
}

}  // namespace trailreplay::input

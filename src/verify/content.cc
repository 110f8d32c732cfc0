// Members are decoded one at a time with libdeflate's gzip decoder, which reports how many
// input bytes each used, so their boundaries come for free. Whenever it fails (corrupt,
// truncated, over the limit, trailing garbage) the whole input goes to input::GunzipAll, whose
// zlib fallback says exactly what is wrong and where: one error format for `scan` and `verify`.
#include "verify/content.h"

#include <libdeflate.h>

#include <algorithm>
#include <memory>

#include "input/gzip.h"

namespace trailreplay::verify {
namespace {

libdeflate_decompressor* ThreadDecompressor() {
  struct Free {
    void operator()(libdeflate_decompressor* d) const { libdeflate_free_decompressor(d); }
  };
  thread_local std::unique_ptr<libdeflate_decompressor, Free> decompressor(
      libdeflate_alloc_decompressor());
  return decompressor.get();
}

constexpr std::size_t kMinimumMember = 18;  // header 10 + empty DEFLATE block 2 + trailer 8

Result<DecodedContent> Fallback(std::string_view raw, std::string& content,
                                std::uint64_t max_output) {
  auto all = input::GunzipAll(raw, content, max_output);
  if (!all) return std::move(all).error();
  // libdeflate refused what zlib accepts: count it as one member rather than guess.
  DecodedContent out;
  out.gzip = true;
  out.member_ends.push_back(content.size());
  return out;
}

}  // namespace

Result<DecodedContent> DecodeContent(std::string_view raw, std::string& content,
                                     std::uint64_t max_output) {
  DecodedContent out;
  if (!input::IsGzip(raw)) {
    if (raw.size() > max_output) {
      return MakeError(ErrorCode::kLimit,
                       "larger than the limit of " + std::to_string(max_output) + " bytes");
    }
    content.assign(raw);
    return out;
  }
  out.gzip = true;
  libdeflate_decompressor* decompressor = ThreadDecompressor();
  if (decompressor == nullptr) return Fallback(raw, content, max_output);
  content.clear();
  std::size_t in_pos = 0, produced = 0;
  for (;;) {
    const std::string_view member = raw.substr(in_pos);
    // CloudTrail's JSON compresses about 10:1; the buffer grows when a member needs more.
    std::size_t room = std::max<std::size_t>(member.size() * 8, std::size_t{64} * 1024);
    for (;;) {
      const std::size_t cap = static_cast<std::size_t>(std::min<std::uint64_t>(
          max_output + 1 - std::min<std::uint64_t>(produced, max_output), room));
      content.resize(produced + cap);
      std::size_t in_used = 0, out_used = 0;
      const libdeflate_result rc =
          libdeflate_gzip_decompress_ex(decompressor, member.data(), member.size(),
                                        content.data() + produced, cap, &in_used, &out_used);
      if (rc == LIBDEFLATE_INSUFFICIENT_SPACE && produced + cap <= max_output) {
        room *= 2;
        continue;
      }
      if (rc != LIBDEFLATE_SUCCESS || produced + out_used > max_output) {
        return Fallback(raw, content, max_output);
      }
      produced += out_used;
      in_pos += in_used;
      out.member_ends.push_back(produced);
      break;
    }
    const std::string_view rest = raw.substr(in_pos);
    if (rest.empty()) break;
    if (std::all_of(rest.begin(), rest.end(), [](char c) { return c == '\0'; })) {
      out.zero_padding = rest.size();
      break;
    }
    if (!input::IsGzip(rest) || rest.size() < kMinimumMember) {
      return Fallback(raw, content, max_output);
    }
  }
  content.resize(produced);
  return out;
}

}  // namespace trailreplay::verify

// What a stored object holds once decompressed, and how it was stored: CloudTrail writes every
// log and digest as exactly one gzip member. The hash CloudTrail records is of the
// decompressed content, so a file re-compressed as one member still matches (and is valid); one
// that matches only when stored plainly or split into several members is reported apart
// (re-encoded), and a file whose first member matches but that goes on with more (what older
// AWS CLIs, which read only the first member, call valid) is told from both.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace trailreplay::verify {

struct DecodedContent {
  bool gzip = false;  // false: stored as plain bytes (the content is the file itself)
  // gzip: the decompressed size at the end of each member, in order.
  std::vector<std::uint64_t> member_ends;
  std::uint64_t zero_padding = 0;  // zero bytes after the last member (accepted, as by gzip)
};

// Decodes `raw` into `content` (replacing it): every gzip member when `raw` starts with the
// gzip magic, else `raw` itself. The error (corrupt, truncated, trailing garbage, over
// `max_output`) is input::GunzipAll's, which says where.
Result<DecodedContent> DecodeContent(std::string_view raw, std::string& content,
                                     std::uint64_t max_output);

}  // namespace trailreplay::verify

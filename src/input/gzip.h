// gzip decoding of whole buffers (RFC 1952), as CloudTrail writes its log files.
//
// A file may hold several gzip members back to back (`cat a.gz b.gz`); all are decoded and
// concatenated, as gzip(1) does. Output is capped so a decompression bomb fails cleanly
// instead of exhausting memory. On failure the error says what went wrong and at which
// compressed byte offset, and `out` keeps everything decoded before it, so the caller can
// still use the records that were complete.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/result.h"

namespace trailreplay::input {

// True if `bytes` starts with the gzip magic (1f 8b).
bool IsGzip(std::string_view bytes);

// Decodes every member of `compressed` into `out` (replacing its content). Fails with
// kInvalidInput for data that is not gzip, truncated or corrupt (offset = the compressed byte
// offset where decoding stopped or input ran out; the message also names the member's start)
// and kLimit as soon as the output would exceed `max_output` bytes (`out` then holds the first
// `max_output` bytes). Trailing zero bytes after the last member (some tools pad) are
// accepted; other trailing garbage is an error.
Result<void> GunzipAll(std::string_view compressed, std::string& out, std::uint64_t max_output);

}  // namespace trailreplay::input

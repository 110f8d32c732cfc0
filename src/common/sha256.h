// SHA-256 through OpenSSL's EVP interface, incrementally: what `scan` records of every input it
// reads (the hash of its decompressed content, as CloudTrail's digest files record each log
// file's) and what `verify` compares with the digests. OpenSSL uses the CPU's SHA extensions
// where it has them (about 1.8 GB/s per core on this project's development machine).
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

struct evp_md_ctx_st;

namespace trailreplay {

class Sha256 {
 public:
  static constexpr std::size_t kSize = 32;
  using Digest = std::array<std::uint8_t, kSize>;

  Sha256();
  ~Sha256();
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;

  // Feeds the next bytes of the message.
  void Update(std::string_view bytes);
  // The hash of everything fed since construction (or the last Finish); starts over.
  Digest Finish();
  // Finish() as 64 lowercase hex digits, as CloudTrail writes hash values.
  std::string FinishHex();

 private:
  evp_md_ctx_st* ctx_ = nullptr;
};

// The SHA-256 of `bytes` as lowercase hex.
std::string Sha256Hex(std::string_view bytes);

// `size` bytes as lowercase hex.
std::string HexLower(const std::uint8_t* bytes, std::size_t size);

}  // namespace trailreplay

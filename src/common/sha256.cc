#include "common/sha256.h"

#include <openssl/evp.h>

#include <cstdlib>

namespace trailreplay {
namespace {

// The implementation is fetched once: an implicit fetch on every initialisation costs a
// provider lookup per input, which for small log files is a measurable share of the hash.
const EVP_MD* Sha256Algorithm() {
  static EVP_MD* const md = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  return md;
}

// A failure here means OpenSSL could not allocate or has no SHA-256 at all: nothing sensible
// can follow, and returning a wrong hash would be worse than stopping.
void Require(bool ok) {
  if (!ok) std::abort();
}

}  // namespace

Sha256::Sha256() : ctx_(EVP_MD_CTX_new()) {
  Require(ctx_ != nullptr && Sha256Algorithm() != nullptr);
  Require(EVP_DigestInit_ex2(ctx_, Sha256Algorithm(), nullptr) == 1);
}

Sha256::~Sha256() { EVP_MD_CTX_free(ctx_); }

void Sha256::Update(std::string_view bytes) {
  Require(EVP_DigestUpdate(ctx_, bytes.data(), bytes.size()) == 1);
}

Sha256::Digest Sha256::Finish() {
  Digest digest{};
  unsigned int size = 0;
  Require(EVP_DigestFinal_ex(ctx_, digest.data(), &size) == 1 && size == kSize);
  Require(EVP_DigestInit_ex2(ctx_, Sha256Algorithm(), nullptr) == 1);
  return digest;
}

std::string Sha256::FinishHex() {
  const Digest digest = Finish();
  return HexLower(digest.data(), digest.size());
}

std::string Sha256Hex(std::string_view bytes) {
  Sha256 hasher;
  hasher.Update(bytes);
  return hasher.FinishHex();
}

std::string HexLower(const std::uint8_t* bytes, std::size_t size) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out(size * 2, '0');
  for (std::size_t i = 0; i < size; ++i) {
    out[2 * i] = kHex[bytes[i] >> 4];
    out[2 * i + 1] = kHex[bytes[i] & 0xf];
  }
  return out;
}

}  // namespace trailreplay

#include "verify/crypto.h"

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include <array>

#include "common/sha256.h"

namespace trailreplay::verify {
namespace {

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

int Base64Value(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

std::string Md5Hex(std::string_view bytes) {
  std::array<std::uint8_t, 16> digest{};
  unsigned int size = 0;
  if (EVP_Digest(bytes.data(), bytes.size(), digest.data(), &size, EVP_md5(), nullptr) != 1 ||
      size != digest.size()) {
    return {};
  }
  return HexLower(digest.data(), digest.size());
}

Result<std::string> DecodeBase64(std::string_view text) {
  std::string out;
  out.reserve(text.size() / 4 * 3 + 3);
  std::uint32_t accumulator = 0;
  int bits = 0;
  std::size_t padding = 0, digits = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (IsSpace(c)) continue;
    if (c == '=') {
      ++padding;
      continue;
    }
    const int value = Base64Value(c);
    if (value < 0 || padding > 0) {
      return MakeError(ErrorCode::kInvalidInput,
                       padding > 0 ? "base64 data continues after its '=' padding"
                                   : "not base64: unexpected character",
                       i, std::string(text));
    }
    ++digits;
    accumulator = (accumulator << 6) | static_cast<std::uint32_t>(value);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((accumulator >> bits) & 0xff));
    }
  }
  // A lone sixth of a byte, or more padding than a group can have, is no base64.
  if (digits % 4 == 1 || padding > 2 || (padding > 0 && (digits + padding) % 4 != 0)) {
    return MakeError(ErrorCode::kInvalidInput,
                     "not base64: the data ends part-way through a group");
  }
  return out;
}

Result<std::string> DecodeHex(std::string_view text) {
  if (text.size() % 2 != 0) {
    return MakeError(ErrorCode::kInvalidInput, "not hex: an odd number of digits");
  }
  std::string out(text.size() / 2, '\0');
  for (std::size_t i = 0; i < text.size(); i += 2) {
    const int high = HexValue(text[i]);
    const int low = HexValue(text[i + 1]);
    if (high < 0 || low < 0) {
      return MakeError(ErrorCode::kInvalidInput, "not hex: unexpected character",
                       high < 0 ? i : i + 1, std::string(text));
    }
    out[i / 2] = static_cast<char>(high << 4 | low);
  }
  return out;
}

void RsaPublicKey::Free::operator()(evp_pkey_st* key) const { EVP_PKEY_free(key); }

Result<RsaPublicKey> RsaPublicKey::FromDer(std::string_view der) {
  const auto* begin = reinterpret_cast<const unsigned char*>(der.data());
  const long length = static_cast<long>(der.size());
  // SubjectPublicKeyInfo first (it names its algorithm), then the bare PKCS#1 structure.
  const unsigned char* p = begin;
  EVP_PKEY* key = d2i_PUBKEY(nullptr, &p, length);
  if (key == nullptr) {
    p = begin;
    key = d2i_PublicKey(EVP_PKEY_RSA, nullptr, &p, length);
  }
  ERR_clear_error();  // the failed attempt's reasons would stay queued on this thread
  if (key == nullptr) {
    return MakeError(ErrorCode::kInvalidInput,
                     "not a DER public key (neither SubjectPublicKeyInfo nor PKCS#1 "
                     "RSAPublicKey)");
  }
  RsaPublicKey out;
  out.key_ = std::shared_ptr<evp_pkey_st>(key, Free{});
  if (p != begin + der.size()) {
    return MakeError(ErrorCode::kInvalidInput,
                     std::to_string(begin + der.size() - p) + " bytes follow the DER key");
  }
  if (EVP_PKEY_get_base_id(key) != EVP_PKEY_RSA) {
    return MakeError(ErrorCode::kInvalidInput, "not an RSA key (CloudTrail signs with RSA)");
  }
  return out;
}

bool RsaPublicKey::VerifySha256(std::string_view message, std::string_view signature) const {
  if (!key_) return false;
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  if (!ctx) return false;
  // RSA's default padding for verification is PKCS#1 v1.5, what SHA256withRSA means.
  if (EVP_DigestVerifyInit_ex(ctx.get(), nullptr, "SHA256", nullptr, nullptr, key_.get(),
                              nullptr) != 1) {
    ERR_clear_error();
    return false;
  }
  const bool ok =
      EVP_DigestVerify(ctx.get(), reinterpret_cast<const unsigned char*>(signature.data()),
                       signature.size(), reinterpret_cast<const unsigned char*>(message.data()),
                       message.size()) == 1;
  ERR_clear_error();
  return ok;
}

int RsaPublicKey::bits() const { return key_ ? EVP_PKEY_get_bits(key_.get()) : 0; }

}  // namespace trailreplay::verify

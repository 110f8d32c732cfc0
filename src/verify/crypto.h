// The cryptography `verify` needs, through OpenSSL's EVP interface: MD5 (a CloudTrail public
// key's fingerprint is the MD5 of its DER bytes), RSA public keys in either DER form AWS hands
// out (PKCS#1 RSAPublicKey, what ListPublicKeys documents, or X.509 SubjectPublicKeyInfo), and
// RSA PKCS#1 v1.5 signatures over SHA-256 ("SHA256withRSA", how CloudTrail signs digests).
// Plus the two text encodings the keys and signatures travel in: base64 and hex.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "common/result.h"

struct evp_pkey_st;

namespace trailreplay::verify {

// The MD5 of `bytes` as lowercase hex.
std::string Md5Hex(std::string_view bytes);

// Standard base64 (RFC 4648, '+' and '/'), padding optional, ASCII whitespace ignored (JSON
// writers wrap long values). Anything else is an error naming the offending byte's offset.
Result<std::string> DecodeBase64(std::string_view text);

// Hex digits (either case), even length. Anything else is an error naming the offset.
Result<std::string> DecodeHex(std::string_view text);

class RsaPublicKey {
 public:
  RsaPublicKey() = default;
  // Parses DER: SubjectPublicKeyInfo or PKCS#1 RSAPublicKey. The whole input must be the key
  // (trailing bytes are an error) and the key must be RSA.
  static Result<RsaPublicKey> FromDer(std::string_view der);

  // True when `signature` is a valid RSA PKCS#1 v1.5 signature of SHA-256(`message`).
  bool VerifySha256(std::string_view message, std::string_view signature) const;
  int bits() const;
  explicit operator bool() const { return key_ != nullptr; }

 private:
  struct Free {
    void operator()(evp_pkey_st* key) const;
  };
  std::shared_ptr<evp_pkey_st> key_;
};

}  // namespace trailreplay::verify

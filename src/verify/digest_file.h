// A CloudTrail digest file's content and the signature CloudTrail stores beside it, as the
// CloudTrail user guide defines them ("CloudTrail digest file structure", "Custom
// implementations of CloudTrail log file integrity validation").
//
// The digest is the decompressed JSON object; every field validation reads must be there with
// the right type (`previousDigest*` may be null: a chain's starting digest), and times must be
// ISO-8601 UTC. The signed string is
//
//   digestEndTime "\n" digestS3Bucket "/" digestS3Object "\n" hex(SHA-256(digest)) "\n"
//   previousDigestSignature (the text "null" for a starting digest)
//
// signed with RSA PKCS#1 v1.5 over SHA-256. Its signature lives in the S3 object's metadata
// (`x-amz-meta-signature`), which copies made with `aws s3 sync` lose: a sidecar file
// `<digest>.metadata.json` holding what `aws s3api head-object ... --query Metadata` prints
// (or the whole head-object output) brings it back.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace trailreplay::verify {

struct LogFileEntry {
  std::string s3_bucket;
  std::string s3_object;
  std::string hash_value;  // lowercase hex
  std::string hash_algorithm;
};

struct DigestFile {
  std::string account_id;
  std::string start_time_text, end_time_text;  // as written (the signed string uses the text)
  std::int64_t start_time = 0, end_time = 0;
  std::string s3_bucket, s3_object;
  std::string fingerprint;  // lowercase hex
  std::string signature_algorithm;
  // The previous digest; absent in a chain's starting digest.
  struct Previous {
    std::string s3_bucket, s3_object;
    std::string hash_value;  // lowercase hex
    std::string hash_algorithm;
    std::string signature;  // hex, as written
  };
  std::optional<Previous> previous;
  std::vector<LogFileEntry> log_files;
};

// Parses a decompressed digest. The error names the field that is missing or malformed.
Result<DigestFile> ParseDigestFile(std::string_view json);

// The string CloudTrail signs, from the digest and the hex SHA-256 of its decompressed bytes.
std::string StringToSign(const DigestFile& digest, std::string_view content_sha256_hex);

// A sidecar's signature: hex text and algorithm ("SHA256withRSA"; empty when not given).
struct SidecarSignature {
  std::string signature;
  std::string algorithm;
};
Result<SidecarSignature> ParseSidecar(std::string_view json);

// The suffix that names a digest's sidecar: `<digest file name>.metadata.json`.
inline constexpr std::string_view kSidecarSuffix = ".metadata.json";

// The only algorithms CloudTrail uses.
inline constexpr std::string_view kSignatureAlgorithm = "SHA256withRSA";
inline constexpr std::string_view kHashAlgorithm = "SHA-256";

}  // namespace trailreplay::verify

// libFuzzer target for what `verify` reads from an archive and the command line: any byte
// string is taken as a digest file's content, as a `.metadata.json` sidecar, as a
// list-public-keys file, and as a stored object (gzip members or plain bytes, decoded under a
// small limit, then parsed as a digest when it decodes). Under ASan/UBSan this checks that no
// input crashes or reads out of bounds, and the contracts: a parsed digest has the fields
// validation reads (64 hex digits where a hash is, an ISO time where a time is), the signed
// string is built from them as the user guide defines it, a decoded object never exceeds the
// limit and its member boundaries rise to its size, and a parsed sidecar's signature is hex.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "verify/content.h"
#include "verify/digest_file.h"
#include "verify/public_keys.h"

namespace {

using namespace trailreplay::verify;

constexpr std::uint64_t kMaxDecoded = 1 << 20;

void Check(bool condition) {
  if (!condition) std::abort();
}

bool IsHex(std::string_view text) {
  for (char c : text) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'))) {
      return false;
    }
  }
  return true;
}

void CheckDigest(std::string_view text) {
  auto digest = ParseDigestFile(text);
  if (!digest) {
    Check(!digest.error().message.empty());
    return;
  }
  Check(digest->fingerprint.size() == 32 && IsHex(digest->fingerprint));
  Check(digest->end_time_text.size() >= 20);
  if (digest->previous) {
    Check(digest->previous->hash_value.size() == 64 && IsHex(digest->previous->hash_value));
    Check(!digest->previous->signature.empty() && IsHex(digest->previous->signature));
  }
  for (const LogFileEntry& log : digest->log_files) {
    Check(log.hash_value.size() == 64 && IsHex(log.hash_value));
  }
  const std::string to_sign = StringToSign(*digest, "00");
  Check(to_sign.rfind(digest->end_time_text + "\n" + digest->s3_bucket + "/", 0) == 0);
  const std::string tail = "\n00\n" + (digest->previous ? digest->previous->signature : "null");
  Check(to_sign.size() >= tail.size() &&
        to_sign.compare(to_sign.size() - tail.size(), tail.size(), tail) == 0);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  CheckDigest(bytes);

  if (auto sidecar = ParseSidecar(bytes); sidecar) {
    Check(!sidecar->signature.empty() && sidecar->signature.size() % 2 == 0 &&
          IsHex(sidecar->signature));
  }

  std::vector<std::string> warnings;
  if (auto keys = ParsePublicKeys(bytes, "fuzz.json", warnings); keys) {
    Check(!keys->empty());
    for (const PublicKey& key : *keys) Check(key.fingerprint.size() == 32 && key.key);
  } else {
    Check(keys.error().message.rfind("fuzz.json: ", 0) == 0);
  }

  std::string content;
  auto decoded = DecodeContent(bytes, content, kMaxDecoded);
  if (decoded) {
    Check(content.size() <= kMaxDecoded);
    if (decoded->gzip) {
      std::uint64_t previous = 0;
      for (std::uint64_t end : decoded->member_ends) {
        Check(end >= previous);
        previous = end;
      }
      Check(!decoded->member_ends.empty() && decoded->member_ends.back() == content.size());
      CheckDigest(content);
    } else {
      Check(content == bytes);
    }
  }
  return 0;
}

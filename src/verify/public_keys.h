// The public keys that authenticate digests, read from what `aws cloudtrail list-public-keys`
// prints:
//
//   {"PublicKeyList": [{"Value": "<base64 DER>", "ValidityStartTime": ..., "ValidityEndTime": ...,
//                       "Fingerprint": "<hex MD5 of the DER bytes>"}, ...]}
//
// (`publicKeyList`, as an older page of the user guide spells it, and a bare array of such
// objects are read too.) Each key's fingerprint is recomputed from its bytes: the file's own
// `Fingerprint` is never trusted, only compared (a mismatch is a warning naming the file and
// the entry). The validity times are not checked: a digest names its key by fingerprint, and
// the AWS CLI does not check them either.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "verify/crypto.h"

namespace trailreplay::verify {

struct PublicKey {
  std::string fingerprint;  // recomputed: MD5 of the DER bytes, lowercase hex
  RsaPublicKey key;
  std::string source;  // the file it came from
  std::size_t index = 0;
};

// Parses one file's content. Anything wrong with an entry (no Value, bad base64, not a DER RSA
// key) is an error naming `source` and the entry's index; `warnings` gets the entries whose
// stated fingerprint differs from the recomputed one.
Result<std::vector<PublicKey>> ParsePublicKeys(std::string_view json, const std::string& source,
                                               std::vector<std::string>& warnings);

}  // namespace trailreplay::verify

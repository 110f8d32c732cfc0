#include "verify/public_keys.h"

#include <simdjson.h>

#include <algorithm>
#include <cctype>

namespace trailreplay::verify {
namespace {

Error FileError(const std::string& source, std::string message) {
  return MakeError(ErrorCode::kInvalidInput, source + ": " + std::move(message));
}

std::string Lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

}  // namespace

Result<std::vector<PublicKey>> ParsePublicKeys(std::string_view json, const std::string& source,
                                               std::vector<std::string>& warnings) {
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  if (auto error = parser.parse(json.data(), json.size()).get(root); error) {
    return FileError(source, std::string("not JSON (") + simdjson::error_message(error) +
                                 "): expected the output of 'aws cloudtrail list-public-keys'");
  }
  simdjson::dom::array list;
  if (root.is_array()) {
    list = root.get_array().value_unsafe();
  } else if (root.is_object()) {
    simdjson::dom::object object = root.get_object().value_unsafe();
    if (object["PublicKeyList"].get(list) != simdjson::SUCCESS &&
        object["publicKeyList"].get(list) != simdjson::SUCCESS) {
      return FileError(source,
                       "no \"PublicKeyList\" array: expected the output of 'aws cloudtrail "
                       "list-public-keys'");
    }
  } else {
    return FileError(source, "expected a JSON object with a \"PublicKeyList\" array");
  }
  std::vector<PublicKey> keys;
  std::size_t index = 0;
  for (simdjson::dom::element entry : list) {
    const std::string where = "key " + std::to_string(index);
    simdjson::dom::object object;
    if (entry.get(object) != simdjson::SUCCESS) {
      return FileError(source, where + ": not an object");
    }
    std::string_view value;
    if (object["Value"].get(value) != simdjson::SUCCESS) {
      return FileError(source, where + ": no \"Value\" string (the base64 DER key)");
    }
    auto der = DecodeBase64(value);
    if (!der) {
      return FileError(source,
                       where + ": \"Value\" is " + der.error().message +
                           (der.error().has_offset()
                                ? " (at character " + std::to_string(der.error().offset) + ")"
                                : ""));
    }
    auto key = RsaPublicKey::FromDer(*der);
    if (!key) return FileError(source, where + ": \"Value\" is " + key.error().message);
    PublicKey out;
    out.fingerprint = Md5Hex(*der);
    out.key = std::move(*key);
    out.source = source;
    out.index = index;
    std::string_view stated;
    if (object["Fingerprint"].get(stated) == simdjson::SUCCESS &&
        Lower(stated) != out.fingerprint) {
      warnings.push_back(source + ": " + where + ": its \"Fingerprint\" says " +
                         std::string(stated.substr(0, 64)) + " but its key's is " +
                         out.fingerprint + " (the MD5 of the key's bytes); the key is used under " +
                         out.fingerprint);
    }
    keys.push_back(std::move(out));
    ++index;
  }
  if (keys.empty()) return FileError(source, "holds no public keys");
  return keys;
}

}  // namespace trailreplay::verify

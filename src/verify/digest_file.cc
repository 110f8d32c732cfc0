// Parsed with simdjson's DOM: digests are small (a line per log file, 1 to 300 KB an hour at
// most), and each field is looked up by name once.
#include "verify/digest_file.h"

#include <simdjson.h>

#include <algorithm>
#include <cctype>

#include "common/time.h"

namespace trailreplay::verify {
namespace {

Error FormatError(std::string message) {
  return MakeError(ErrorCode::kInvalidInput, std::move(message));
}

std::string Lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

bool IsHex(std::string_view text) {
  return !text.empty() && std::all_of(text.begin(), text.end(),
                                      [](unsigned char c) { return std::isxdigit(c) != 0; });
}

// A required string field; `where` prefixes the message (e.g. "logFiles[3].").
Result<std::string> Text(simdjson::dom::object object, std::string_view name,
                         const std::string& where = "") {
  simdjson::dom::element value;
  if (object[name].get(value) != simdjson::SUCCESS) {
    return FormatError("field \"" + where + std::string(name) + "\" is missing");
  }
  std::string_view text;
  if (value.get(text) != simdjson::SUCCESS) {
    return FormatError("field \"" + where + std::string(name) + "\" is not a string");
  }
  return std::string(text);
}

// A hash value: hex, 64 digits for SHA-256.
Result<std::string> Hash(simdjson::dom::object object, std::string_view name,
                         const std::string& where = "") {
  auto text = Text(object, name, where);
  if (!text) return text;
  if (text->size() != 64 || !IsHex(*text)) {
    return FormatError("field \"" + where + std::string(name) +
                       "\" is not a SHA-256 hash value (64 hex digits)");
  }
  return Lower(*text);
}

Result<std::int64_t> Time(const std::string& text, std::string_view name) {
  auto time = ParseIsoTime(text);
  if (!time) {
    return FormatError("field \"" + std::string(name) + "\" is not an ISO-8601 UTC time");
  }
  return *time;
}

}  // namespace

Result<DigestFile> ParseDigestFile(std::string_view json) {
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  if (auto error = parser.parse(json.data(), json.size()).get(root); error) {
    return FormatError(std::string("not JSON (") + simdjson::error_message(error) + ")");
  }
  simdjson::dom::object object;
  if (root.get(object) != simdjson::SUCCESS) return FormatError("not a JSON object");

  DigestFile digest;
  struct Field {
    std::string_view name;
    std::string* target;
  };
  for (const Field& field :
       {Field{"awsAccountId", &digest.account_id},
        Field{"digestStartTime", &digest.start_time_text},
        Field{"digestEndTime", &digest.end_time_text}, Field{"digestS3Bucket", &digest.s3_bucket},
        Field{"digestS3Object", &digest.s3_object},
        Field{"digestSignatureAlgorithm", &digest.signature_algorithm}}) {
    auto text = Text(object, field.name);
    if (!text) return std::move(text).error();
    *field.target = std::move(*text);
  }
  auto fingerprint = Text(object, "digestPublicKeyFingerprint");
  if (!fingerprint) return std::move(fingerprint).error();
  if (fingerprint->size() != 32 || !IsHex(*fingerprint)) {
    return FormatError(
        "field \"digestPublicKeyFingerprint\" is not a key fingerprint (32 hex digits)");
  }
  digest.fingerprint = Lower(*fingerprint);
  auto start = Time(digest.start_time_text, "digestStartTime");
  if (!start) return std::move(start).error();
  auto end = Time(digest.end_time_text, "digestEndTime");
  if (!end) return std::move(end).error();
  digest.start_time = *start;
  digest.end_time = *end;
  if (digest.s3_object.empty()) return FormatError("field \"digestS3Object\" is empty");

  // The previous digest: all of its fields, or (a starting digest) none of them. The CLI
  // requires previousDigestSignature to be present, null or not; so does this.
  simdjson::dom::element signature;
  if (object["previousDigestSignature"].get(signature) != simdjson::SUCCESS) {
    return FormatError("field \"previousDigestSignature\" is missing");
  }
  if (!signature.is_null()) {
    DigestFile::Previous previous;
    auto text = Text(object, "previousDigestSignature");
    if (!text) return std::move(text).error();
    if (text->empty() || text->size() % 2 != 0 || !IsHex(*text)) {
      return FormatError("field \"previousDigestSignature\" is not a hex signature");
    }
    previous.signature = std::move(*text);
    for (const Field& field : {Field{"previousDigestS3Bucket", &previous.s3_bucket},
                               Field{"previousDigestS3Object", &previous.s3_object},
                               Field{"previousDigestHashAlgorithm", &previous.hash_algorithm}}) {
      auto value = Text(object, field.name);
      if (!value) return std::move(value).error();
      *field.target = std::move(*value);
    }
    auto hash = Hash(object, "previousDigestHashValue");
    if (!hash) return std::move(hash).error();
    previous.hash_value = std::move(*hash);
    digest.previous = std::move(previous);
  } else {
    // A starting digest's other previous* fields are null (or absent).
    for (std::string_view name :
         {"previousDigestS3Bucket", "previousDigestS3Object", "previousDigestHashValue"}) {
      simdjson::dom::element value;
      if (object[name].get(value) == simdjson::SUCCESS && !value.is_null()) {
        return FormatError("field \"" + std::string(name) +
                           "\" is set in a starting digest (previousDigestSignature is null)");
      }
    }
  }

  simdjson::dom::array logs;
  if (object["logFiles"].get(logs) != simdjson::SUCCESS) {
    return FormatError("field \"logFiles\" is missing or not an array");
  }
  std::size_t index = 0;
  for (simdjson::dom::element entry : logs) {
    const std::string where = "logFiles[" + std::to_string(index) + "].";
    simdjson::dom::object log;
    if (entry.get(log) != simdjson::SUCCESS) {
      return FormatError("logFiles[" + std::to_string(index) + "] is not an object");
    }
    LogFileEntry out;
    for (const Field& field : {Field{"s3Bucket", &out.s3_bucket}, Field{"s3Object", &out.s3_object},
                               Field{"hashAlgorithm", &out.hash_algorithm}}) {
      auto value = Text(log, field.name, where);
      if (!value) return std::move(value).error();
      *field.target = std::move(*value);
    }
    auto hash = Hash(log, "hashValue", where);
    if (!hash) return std::move(hash).error();
    out.hash_value = std::move(*hash);
    digest.log_files.push_back(std::move(out));
    ++index;
  }
  return digest;
}

std::string StringToSign(const DigestFile& digest, std::string_view content_sha256_hex) {
  std::string out = digest.end_time_text;
  out += '\n';
  out += digest.s3_bucket;
  out += '/';
  out += digest.s3_object;
  out += '\n';
  out += content_sha256_hex;
  out += '\n';
  out += digest.previous ? digest.previous->signature : "null";
  return out;
}

Result<SidecarSignature> ParseSidecar(std::string_view json) {
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  if (auto error = parser.parse(json.data(), json.size()).get(root); error) {
    return FormatError(std::string("not JSON (") + simdjson::error_message(error) +
                       "): expected what 'aws s3api head-object' prints");
  }
  simdjson::dom::object object;
  if (root.get(object) != simdjson::SUCCESS) return FormatError("not a JSON object");
  // The whole head-object output keeps the user metadata under "Metadata".
  simdjson::dom::object metadata;
  if (object["Metadata"].get(metadata) == simdjson::SUCCESS) object = metadata;
  SidecarSignature out;
  std::string_view text;
  if (object["signature"].get(text) != simdjson::SUCCESS &&
      object["x-amz-meta-signature"].get(text) != simdjson::SUCCESS) {
    return FormatError("no \"signature\" string");
  }
  if (text.empty() || text.size() % 2 != 0 || !IsHex(text)) {
    return FormatError("\"signature\" is not hex");
  }
  out.signature = std::string(text);
  if (object["signature-algorithm"].get(text) == simdjson::SUCCESS ||
      object["x-amz-meta-signature-algorithm"].get(text) == simdjson::SUCCESS) {
    out.algorithm = std::string(text);
  }
  return out;
}

}  // namespace trailreplay::verify

// verify's reading stage: every file and archive member under the PATHs, read once, in
// parallel, and reduced to what the checks need. Nothing is judged here.
//
//   a log file        (a name in CloudTrail's log layout, or a {"Records":[...]} document)
//                     its decompressed content's SHA-256, how it was stored (one gzip member,
//                     several, plain), and the trail-management events in it that can explain
//                     a gap in a digest chain (StopLogging, StartLogging, DeleteTrail, and
//                     CreateTrail / UpdateTrail turning log file validation on or off)
//   a digest file     (a name in the digest layout, or a digest document) its decompressed JSON
//   a sidecar         (`<digest>.metadata.json`) its text
//   anything else     counted and left alone
//
// An object that cannot be read or decoded keeps the error; the walk goes on.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/result.h"
#include "input/s3_key.h"
#include "verify/content.h"

namespace trailreplay::verify {

enum class ObjectKind : std::uint8_t { kLog, kDigest, kSidecar, kOther };

// A CloudTrail call on a trail, as recorded in a log.
struct TrailEvent {
  std::string event_id, event_name, event_time;  // as written
  std::int64_t time = 0;
  std::string trail;                      // requestParameters.name: a trail name or a trail ARN
  std::string account;                    // recipientAccountId: whose trail a bare name is
  std::string error_code;                 // non-empty: the call failed and changed nothing
  std::optional<bool> enable_validation;  // CreateTrail / UpdateTrail: enableLogFileValidation
};

struct FoundObject {
  std::string path;    // the file
  std::string member;  // the archive member, "" for a plain file
  // Where in `path` the part below the PATH it was found under begins (plain files only).
  std::size_t relative_from = 0;
  ObjectKind kind = ObjectKind::kOther;
  std::uint64_t size = 0;   // bytes as stored
  std::string error;        // why it could not be read or decoded; "" when it could
  bool unreadable = false;  // the error is the file system's (the object was never seen)
  DecodedContent encoding;
  std::string stored_sha256;        // of its bytes as stored (what scan's ledger records)
  std::string content_sha256;       // of the whole decompressed content
  std::string first_member_sha256;  // of the first gzip member's, when there are several
  std::string text;                 // digests and sidecars: the decompressed content
  std::vector<TrailEvent> events;   // logs

  // "path" or "path!member", as the database's views name archive members.
  std::string Display() const { return member.empty() ? path : path + "!" + member; }
  // What a key found in a digest is matched against (archive_index.h): where it was found (the
  // member's name in an archive), and the part of that below the PATH it was found under.
  std::string_view Location() const { return member.empty() ? path : member; }
  // What its name says (recomputed: a key per object would double the memory of a big index).
  input::KeyInfo Key() const { return input::ParseKey(Location()); }
  std::string_view Relative() const {
    return member.empty() ? std::string_view(path).substr(relative_from) : member;
  }
};

struct Collection {
  std::vector<FoundObject> objects;  // in discovery order (members in archive order)
  std::vector<std::string> warnings;
  std::uint64_t files = 0;
};

// Reads everything under `paths` with `threads` workers (0: one per core). Documents larger
// than `max_document` bytes decompressed are errors, like scan's bomb limit.
Collection Collect(const std::vector<std::string>& paths, unsigned threads,
                   std::uint64_t max_document);

}  // namespace trailreplay::verify

// Records out of a decoded document: every shape CloudTrail data is found in.
//
//   kRecords      {"Records":[{...},{...}]}            a CloudTrail log file
//   kArray        [{...},{...}]                        exports, Grimoire/Stratus logs
//   kSingle       {"eventVersion":...,"eventID":...}   one record per file
//   kLines        {...}\n{...}\n                       JSON Lines (also concatenated objects)
//   kExport       2024-03-01T00:05:12.123Z {...}\n     CloudWatch Logs export to S3
//   kDigest       {"digestStartTime":...,"logFiles":[...]}   CloudTrail-Digest: skipped
//   kOtherJson    any other JSON (AWS Config snapshots, policies, ...): skipped
//   kNotJson      not JSON at all (or empty): the caller decides whether that is an error
//
// kRecords and kArray documents may be concatenated (`cat`, multi-member gzip): each one's
// records are yielded in turn.
//
// The classifier reads only the start of the document (the first value's keys, or the first
// line). The splitter then walks the document with a small structural scanner (strings,
// escapes, bracket depth: no recursion, so nesting depth costs nothing) and yields each
// record's exact bytes with its byte offset and index. It does not validate the record's
// inside beyond its structure; the caller parses each record (simdjson) and reports the ones
// that fail.
//
// A record that is not an object (a number in the Records array, a bad JSON Lines line) is a
// bad record: reported, skipped, and the stream goes on. A document whose structure breaks
// (unterminated string, truncated array) stops the stream: everything before the break was
// yielded, and the stop says where.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace trailreplay::event {

enum class DocumentKind : std::uint8_t {
  kRecords,
  kArray,
  kSingle,
  kLines,
  kExport,
  kDigest,
  kOtherJson,
  kNotJson,
};

// "records", "array", "single", "lines", "export", "digest", "other-json", "not-json".
std::string_view DocumentKindName(DocumentKind kind);

// True for the kinds whose records are CloudTrail events.
bool HoldsRecords(DocumentKind kind);

struct Record {
  // kRecord: the record's JSON object, exactly as in the document. kBadRecord: the skipped
  // bytes (the value, or the rest of the line for line-based kinds). kStop: empty.
  std::string_view text;
  std::uint64_t offset = 0;  // byte offset of text (or of the bad record) in the document
  std::uint64_t index = 0;   // 0-based index among the document's records (bad ones included)
  // kExport: the line's timestamp in milliseconds since the epoch; -1 otherwise.
  std::int64_t export_time_ms = -1;
  std::string error;  // kBadRecord / kStop: what is wrong ("record is not an object (number)")
};

class RecordStream {
 public:
  // `data` must outlive the stream. Classifies the document at once.
  explicit RecordStream(std::string_view data);
  // Continues a line-based document (LineBased()) in a later window of it, so that a big
  // JSON Lines file or CloudWatch Logs export is split without being held whole: `data`
  // starts at the start of a line, `offset` bytes into the document, and holds whole lines but
  // perhaps the document's last; its first record is the document's record `index`. Records'
  // offsets, and byte numbers in errors, are the document's. A window split this way yields
  // exactly the records, bad records and stop the whole document yields there.
  RecordStream(std::string_view data, DocumentKind kind, std::uint64_t index, std::uint64_t offset);

  DocumentKind kind() const { return kind_; }
  // True when records never cross a line: kExport, and kLines whose first object has no raw
  // newline inside (JSON Lines).
  bool LineBased() const {
    return kind_ == DocumentKind::kExport || (kind_ == DocumentKind::kLines && line_mode_);
  }
  // The index the next record will have.
  std::uint64_t next_index() const { return index_; }

  // Reading a kRecords, kArray or (value mode) kLines document a window at a time: with
  // `partial` set, the end of the window is not the end of the document, and where a record,
  // a key or a separator runs past it Next() returns kMore instead of a truncation stop or the
  // end. The caller then passes the next window to Continue(): it starts `offset` bytes into
  // the document, at or before resume_offset(), and runs on from there. Records, offsets and
  // stops are exactly those of the whole document.
  void set_partial(bool partial) { partial_ = partial; }
  std::uint64_t resume_offset() const { return base_ + pos_; }
  void Continue(std::string_view data, std::uint64_t offset, bool partial);
  // Passes over the record at resume_offset() (a kMore left there: too big to read), which
  // ends `end` bytes into the document: it takes the next index, and Continue() goes on after
  // it. The caller reports it.
  void SkipRecord(std::uint64_t end) {
    pos_ = static_cast<std::size_t>(end - base_);
    ++index_;
    if (expect_ != Expect::kSeparator && after_ == After::kNone) expect_ = Expect::kSeparator;
  }
  // True when the kind can be read in windows by set_partial() and Continue().
  bool Resumable() const {
    return kind_ == DocumentKind::kRecords || kind_ == DocumentKind::kArray ||
           (kind_ == DocumentKind::kLines && !line_mode_);
  }

  enum class Step : std::uint8_t {
    kRecord,     // `out` holds a record
    kBadRecord,  // `out.offset`, `out.index` and `out.error` describe a skipped record
    kEnd,        // no more records
    kStop,       // the document's structure is broken at `out.offset`; `out.error` says how
    kMore,       // (partial windows only) the window ends here: Continue() with the next one
  };
  // For kDigest, kOtherJson and kNotJson the first call returns kEnd.
  Step Next(Record& out);

 private:
  // Where the kArray / kRecords walker is inside the top-level array: before its first element,
  // after an element, or after a ','.
  enum class Expect : std::uint8_t { kFirst, kSeparator, kElement };
  // Where the walker is outside the array: nowhere (inside it), between documents, or in a
  // kRecords object after its '{', after a value, or before a key.
  enum class After : std::uint8_t { kNone, kBetween, kObjectStart, kAfterValue, kKey };

  void Classify();
  void ClassifyObject(std::size_t start);
  void SetRecordsNotArray(std::size_t value);
  Step NextInArray(Record& out);
  Step StartArray(Record& out, std::size_t bracket);
  Step AfterArray(Record& out, std::size_t p, After at);
  Step NextSingle(Record& out);
  Step NextLine(Record& out);
  Step NextValue(Record& out);
  Step NextExport(Record& out);
  Step Emit(Record& out, std::size_t begin, std::size_t end);
  Step Bad(Record& out, std::size_t begin, std::size_t end, std::string error);
  Step Stop(Record& out, std::size_t offset, std::string error);
  Step StopAtDocumentOffset(Record& out, std::uint64_t offset, std::string error);
  Step More(std::size_t p);
  Step End();

  std::string_view data_;
  std::uint64_t base_ = 0;  // the document offset of data_[0] (a window of it)
  DocumentKind kind_ = DocumentKind::kNotJson;
  std::size_t pos_ = 0;
  std::uint64_t index_ = 0;
  bool done_ = false;

  bool partial_ = false;  // data_ is a window the document continues beyond
  Expect expect_ = Expect::kFirst;
  After after_ = After::kNone;
  // Document offsets (not data_'s, which a window moves): the '[' of the kArray / kRecords
  // array, and the '{' of the current kRecords log, for truncation stops.
  std::uint64_t array_start_ = 0;
  std::uint64_t object_start_ = 0;
  bool object_has_records_ = false;  // kRecords: that object held a "Records" array
  bool line_mode_ = false;           // kLines: one line holds whole values (see records.cc)
  std::size_t line_end_ = 0;         // kLines line mode: end of the current line, or npos
  std::size_t single_end_ = 0;       // kSingle: one past the object
  std::size_t trailing_ = 0;         // kSingle: offset of data after the object, or npos
  bool single_done_ = false;
  // A stop found while classifying ("Records" not an array, a broken kSingle object), returned
  // by the first Next().
  bool pending_stop_ = false;
  std::size_t pending_offset_ = 0;
  std::string pending_error_;
  // Bracket kinds of nesting levels beyond 64 (the first 64 live in a register), kept across
  // records so deep documents allocate once, not per record.
  std::vector<std::uint64_t> deep_brackets_;
};

}  // namespace trailreplay::event

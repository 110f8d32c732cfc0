// Classifier and splitter for the document shapes of records.h.
//
// One structural scanner does all the work: ScanValue finds the end of one JSON value. Strings
// are skipped 32 bytes at a time with AVX2 where the build targets it (the first quote or
// backslash in a block decides; a backslash skips the byte after it), and otherwise, or for
// the last bytes, with memchr for '"' and a count of the backslashes right before it (an odd
// count means the quote is escaped); outside strings a byte table finds the next bracket or quote;
// nesting is an integer depth plus one bit per level saying whether it was opened by '{' (a
// 64-bit register for the first 64 levels, a reusable vector beyond), so closers are matched
// exactly and depth costs no stack. Inside a value nothing else is checked: `{"a" 1}` scans
// fine and is left to the caller's JSON parser. Scalars run to the next structural byte or
// whitespace.
//
// Classification (reads the first value or line only, after a UTF-8 BOM and whitespace; keys
// are compared as raw bytes, so an escaped spelling of "Records" is not recognised):
//   '['                     kArray.
//   '{'                     the top-level object's keys are read in order, with their values
//                           skipped by ScanValue and the `"key": value ,` syntax checked:
//                             "Records" with an array value -> kRecords at once (what
//                               follows the array is read when the array ends, below);
//                             "digestStartTime", "digestEndTime", "digestS3Bucket" or
//                               "digestS3Object" -> kDigest at once;
//                           and if the object closes: another '{' after whitespace -> kLines;
//                           else "Records" with a value that is not an array -> kRecords whose
//                           first Next() is a kStop `"Records" is not an array (number)` at
//                           that value (so the caller can report the file once); else a
//                           CloudTrail key ("eventTime", "eventID", "eventName", "eventSource",
//                           "eventVersion") -> kSingle; else kOtherJson.
//                           If the object breaks before closing: the next non-blank line
//                           starting with '{' in column 0 -> kLines (a JSON Lines file whose
//                           first line is bad); else "Records" seen -> kRecords, or a CloudTrail
//                           key seen -> kSingle, either stopping at once with the break (or with
//                           "Records" is not an array); else kNotJson (broken JSON with nothing
//                           to read).
//   <timestamp> '{'         kExport, when the first non-blank bytes are an ISO-8601 UTC
//                           timestamp, one space and '{'.
//   anything else, or blank kNotJson.
//
// kArray and kRecords documents may follow one another (`cat a.json b.json`, or gzip members
// each holding a whole log): after the array closes, the rest of a kRecords object is read
// (another "Records" array in it, a duplicate key, is yielded too; other keys are skipped),
// and then another document of the same shape starts over. An object after a kRecords log
// that has no "Records" array is one kBadRecord; anything else that is not whitespace is a
// kStop ("unexpected data after the JSON array|object").
//
// kSingle yields its object; anything but whitespace after it is a kStop ("unexpected data
// after the JSON object"). kExport reads lines: each non-blank line must be
// `YYYY-MM-DDTHH:MM:SS[.f{1,9}]Z {one object}` (surrounding blanks and a CR allowed); any other
// line is one kBadRecord and the stream goes on.
//
// kLines has two modes, fixed by the first object. If it has no raw newline inside (JSON Lines,
// the common case), lines are independent: a line holds one or more whole values, each object
// is a record, and the first thing on a line that is not a well-formed object makes the rest
// of that line one kBadRecord; the stream goes on at the next line. Raw newlines are not valid
// inside JSON strings, so an object never needs to cross a line here. If the first object
// spans lines (pretty-printed objects concatenated), values are scanned one after another
// regardless of lines; a non-object value is a kBadRecord, and a break stops the stream
// (there is no line boundary to resynchronise on).
//
// Stops and their offsets:
//   - data ends inside a record (a kArray / kRecords element, a kLines value, the last line of
//     kLines line mode or kExport when it has no newline): "truncated document: unterminated
//     <object|array|string> starting at byte N", N = the record's first byte (the outermost
//     unterminated construct a reader can skip, whatever was open inside it);
//   - data ends between elements of the top-level array: "... unterminated array starting at
//     byte N", N = the array's '[';
//   - a kSingle object that breaks: N = the object's '{' (truncation) or the bad byte;
//   - a closer that does not match its opener, a missing ',' between elements, a value
//     starting with ',' ':' ']' '}': "malformed JSON at byte N: ...", N = that byte.
//   Every stop's Record.offset is the N of its message.
#include "event/records.h"

#include <array>
#include <cstring>

#if defined(__AVX2__)
#include <immintrin.h>
#endif

#include "common/time.h"

namespace trailreplay::event {
namespace {

constexpr std::size_t kNone = static_cast<std::size_t>(-1);

constexpr bool IsJsonSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }
constexpr bool IsLineSpace(char c) { return c == ' ' || c == '\t' || c == '\r'; }

// Bytes the bracket scan stops at outside strings.
constexpr std::array<bool, 256> kBracketStop = [] {
  std::array<bool, 256> table{};
  for (const char c : {'"', '{', '}', '[', ']'}) table[static_cast<unsigned char>(c)] = true;
  return table;
}();

// Bytes that end a scalar (and cannot start one).
constexpr std::array<bool, 256> kScalarStop = [] {
  std::array<bool, 256> table{};
  for (const char c : {'"', '{', '}', '[', ']', ',', ':', ' ', '\t', '\n', '\r'}) {
    table[static_cast<unsigned char>(c)] = true;
  }
  return table;
}();

std::size_t SkipSpace(std::string_view data, std::size_t p) {
  while (p < data.size() && IsJsonSpace(data[p])) ++p;
  return p;
}

// Index of the quote that closes a string whose contents start at `p`, or kNone before
// `limit`.
std::size_t FindStringEnd(std::string_view data, std::size_t p, std::size_t limit) {
  const char* base = data.data();
#if defined(__AVX2__)
  // 32 bytes at a time: the first quote or backslash decides. A backslash escapes the byte
  // after it, so a quote ends the string exactly when it is not the byte after a backslash
  // pair-matched from the left, the same quotes the backward count below accepts.
  const __m256i quote_v = _mm256_set1_epi8('"'), backslash_v = _mm256_set1_epi8('\\');
  while (p + 32 <= limit) {
    const __m256i block = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(base + p));
    const auto quotes =
        static_cast<std::uint32_t>(_mm256_movemask_epi8(_mm256_cmpeq_epi8(block, quote_v)));
    const auto backslashes =
        static_cast<std::uint32_t>(_mm256_movemask_epi8(_mm256_cmpeq_epi8(block, backslash_v)));
    if ((quotes | backslashes) == 0) {
      p += 32;
      continue;
    }
    const auto first_quote = static_cast<unsigned>(quotes == 0 ? 32 : __builtin_ctz(quotes));
    const auto first_backslash =
        static_cast<unsigned>(backslashes == 0 ? 32 : __builtin_ctz(backslashes));
    if (first_quote < first_backslash) return p + first_quote;
    p += first_backslash + 2;
  }
  if (p >= limit) return kNone;
  // Fewer than 32 bytes left: an escape just before this point was consumed above, so the
  // backward count must not reach behind p.
  const std::size_t contents = p;
#else
  const std::size_t contents = p;
#endif
  while (p < limit) {
    const void* hit = std::memchr(base + p, '"', limit - p);
    if (hit == nullptr) return kNone;
    const auto quote = static_cast<std::size_t>(static_cast<const char*>(hit) - base);
    std::size_t run = quote;
    while (run > contents && base[run - 1] == '\\') --run;
    if (((quote - run) & 1U) == 0) return quote;
    p = quote + 1;
  }
  return kNone;
}

enum class ScanStatus : std::uint8_t { kOk, kTruncated, kMalformed };

struct Scan {
  ScanStatus status = ScanStatus::kOk;
  std::size_t end = 0;  // kOk: one past the value
  std::size_t at = 0;   // kMalformed: the offending byte
  char found = 0;       // kMalformed: that byte
  char opener = 0;      // kMalformed: the opener `found` failed to close, or 0
};

// Finds the end of the JSON value starting at data[begin] (not whitespace), looking no further
// than `limit`. Iterative: `deep` holds the bracket kinds of levels 64 and up.
Scan ScanValue(std::string_view data, std::size_t begin, std::size_t limit,
               std::vector<std::uint64_t>& deep) {
  Scan scan;
  const char first = data[begin];
  if (first == '"') {
    const std::size_t quote = FindStringEnd(data, begin + 1, limit);
    if (quote == kNone) {
      scan.status = ScanStatus::kTruncated;
    } else {
      scan.end = quote + 1;
    }
    return scan;
  }
  const auto* bytes = reinterpret_cast<const unsigned char*>(data.data());
  if (first != '{' && first != '[') {
    if (kScalarStop[bytes[begin]]) {
      scan.status = ScanStatus::kMalformed;
      scan.at = begin;
      scan.found = first;
      return scan;
    }
    std::size_t p = begin + 1;
    while (p < limit && !kScalarStop[bytes[p]]) ++p;
    scan.end = p;
    return scan;
  }

  std::uint64_t low = 0;  // bit d: level d was opened by '{'
  std::size_t depth = 0;
  std::size_t p = begin;
  for (;;) {
    while (p < limit && !kBracketStop[bytes[p]]) ++p;
    if (p >= limit) {
      scan.status = ScanStatus::kTruncated;
      return scan;
    }
    const char c = data[p];
    if (c == '"') {
      const std::size_t quote = FindStringEnd(data, p + 1, limit);
      if (quote == kNone) {
        scan.status = ScanStatus::kTruncated;
        return scan;
      }
      p = quote + 1;
      continue;
    }
    if (c == '{' || c == '[') {
      const std::uint64_t brace{c == '{'};
      if (depth < 64) {
        low = (low & ~(std::uint64_t{1} << depth)) | (brace << depth);
      } else {
        const std::size_t bit = depth - 64;
        const std::size_t word = bit / 64;
        if (word >= deep.size()) deep.resize(word + 1);
        deep[word] = (deep[word] & ~(std::uint64_t{1} << (bit % 64))) | (brace << (bit % 64));
      }
      ++depth;
      ++p;
      continue;
    }
    // A closer; depth >= 1 because the value starts with an opener.
    const std::size_t level = depth - 1;
    const bool want_brace = level < 64
                                ? ((low >> level) & 1U) != 0
                                : ((deep[(level - 64) / 64] >> ((level - 64) % 64)) & 1U) != 0;
    if (want_brace != (c == '}')) {
      scan.status = ScanStatus::kMalformed;
      scan.at = p;
      scan.found = c;
      scan.opener = want_brace ? '{' : '[';
      return scan;
    }
    depth = level;
    ++p;
    if (depth == 0) {
      scan.end = p;
      return scan;
    }
  }
}

// JSON type of the value at data[begin] (for "not a JSON object (number)"), named from its first
// byte; literals must be spelt out and end there.
const char* TypeName(std::string_view data, std::size_t begin) {
  const char first = data[begin];
  switch (first) {
    case '{':
      return "object";
    case '[':
      return "array";
    case '"':
      return "string";
    default:
      break;
  }
  if (first == '-' || (first >= '0' && first <= '9')) return "number";
  const auto literal = [&](std::string_view word) {
    const std::size_t end = begin + word.size();
    return data.substr(begin, word.size()) == word &&
           (end == data.size() || kScalarStop[static_cast<unsigned char>(data[end])]);
  };
  if (literal("true") || literal("false")) return "boolean";
  if (literal("null")) return "null";
  return "invalid JSON";
}

std::string Quoted(char c) { return std::string("'") + c + "'"; }

// `base`: the document offset of data[0], when data is a window of the document.
std::string Malformed(std::size_t at, std::string_view what, std::uint64_t base = 0) {
  return "malformed JSON at byte " + std::to_string(base + at) + ": " + std::string(what);
}

std::string Unterminated(std::string_view data, std::size_t begin, std::uint64_t base = 0) {
  return "unterminated " + std::string(TypeName(data, begin)) + " starting at byte " +
         std::to_string(base + begin);
}

// What a failed scan of the value at `begin` says: "unterminated ..." or "malformed ...".
std::string Describe(std::string_view data, std::size_t begin, const Scan& scan,
                     std::uint64_t base = 0) {
  if (scan.status == ScanStatus::kTruncated) return Unterminated(data, begin, base);
  if (scan.opener == 0) return Malformed(scan.at, "unexpected " + Quoted(scan.found), base);
  return Malformed(scan.at, Quoted(scan.found) + " does not close " + Quoted(scan.opener), base);
}

std::string RecordLabel(std::uint64_t index) { return "record " + std::to_string(index); }

// --- Timestamps of CloudWatch Logs exports --------------------------------------------------

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

bool Digits(std::string_view s, std::size_t at, std::size_t count, std::int64_t* value) {
  std::int64_t v = 0;
  for (std::size_t i = 0; i < count; ++i) {
    if (!IsDigit(s[at + i])) return false;
    v = v * 10 + (s[at + i] - '0');
  }
  *value = v;
  return true;
}

// `YYYY-MM-DDTHH:MM:SS[.f{1,9}]Z` at the start of `s`: its length and epoch milliseconds
// (fraction truncated to milliseconds; a leap second 60 counts into the next minute).
bool ParseTimestamp(std::string_view s, std::size_t* length, std::int64_t* epoch_ms) {
  if (s.size() < 20) return false;
  std::int64_t year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
  if (!Digits(s, 0, 4, &year) || s[4] != '-' || !Digits(s, 5, 2, &month) || s[7] != '-' ||
      !Digits(s, 8, 2, &day) || s[10] != 'T' || !Digits(s, 11, 2, &hour) || s[13] != ':' ||
      !Digits(s, 14, 2, &minute) || s[16] != ':' || !Digits(s, 17, 2, &second)) {
    return false;
  }
  static constexpr std::int64_t kMonthDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (month < 1 || month > 12 || hour > 23 || minute > 59 || second > 60) return false;
  const bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  const std::int64_t month_days = kMonthDays[month - 1] + (month == 2 && leap ? 1 : 0);
  if (day < 1 || day > month_days) return false;

  std::size_t p = 19;
  std::int64_t millis = 0;
  if (s[p] == '.') {
    ++p;
    const std::size_t digits_begin = p;
    while (p < s.size() && IsDigit(s[p]) && p - digits_begin < 9) {
      if (p - digits_begin < 3) millis = millis * 10 + (s[p] - '0');
      ++p;
    }
    const std::size_t digits = p - digits_begin;
    if (digits == 0) return false;
    for (std::size_t i = digits; i < 3; ++i) millis *= 10;
  }
  if (p >= s.size() || s[p] != 'Z') return false;
  *length = p + 1;
  *epoch_ms =
      ((DaysFromCivil(year, static_cast<unsigned>(month), static_cast<unsigned>(day)) * 24 + hour) *
           60 +
       minute) *
          60000 +
      second * 1000 + millis;
  return true;
}

bool IsCloudTrailKey(std::string_view key) {
  return key == "eventTime" || key == "eventID" || key == "eventName" || key == "eventSource" ||
         key == "eventVersion";
}

bool IsDigestKey(std::string_view key) {
  return key == "digestStartTime" || key == "digestEndTime" || key == "digestS3Bucket" ||
         key == "digestS3Object";
}

}  // namespace

std::string_view DocumentKindName(DocumentKind kind) {
  switch (kind) {
    case DocumentKind::kRecords:
      return "records";
    case DocumentKind::kArray:
      return "array";
    case DocumentKind::kSingle:
      return "single";
    case DocumentKind::kLines:
      return "lines";
    case DocumentKind::kExport:
      return "export";
    case DocumentKind::kDigest:
      return "digest";
    case DocumentKind::kOtherJson:
      return "other-json";
    case DocumentKind::kNotJson:
      return "not-json";
  }
  return "not-json";
}

bool HoldsRecords(DocumentKind kind) {
  switch (kind) {
    case DocumentKind::kRecords:
    case DocumentKind::kArray:
    case DocumentKind::kSingle:
    case DocumentKind::kLines:
    case DocumentKind::kExport:
      return true;
    case DocumentKind::kDigest:
    case DocumentKind::kOtherJson:
    case DocumentKind::kNotJson:
      return false;
  }
  return false;
}

RecordStream::RecordStream(std::string_view data) : data_(data) { Classify(); }

void RecordStream::Continue(std::string_view data, std::uint64_t offset, bool partial) {
  pos_ = static_cast<std::size_t>(resume_offset() - offset);
  data_ = data;
  base_ = offset;
  partial_ = partial;
}

RecordStream::RecordStream(std::string_view data, DocumentKind kind, std::uint64_t index,
                           std::uint64_t offset)
    : data_(data), base_(offset), kind_(kind), index_(index) {
  line_mode_ = kind == DocumentKind::kLines;
  line_end_ = kNone;
}

void RecordStream::Classify() {
  std::size_t p = 0;
  if (data_.size() >= 3 && data_.substr(0, 3) == "\xEF\xBB\xBF") p = 3;
  p = SkipSpace(data_, p);
  pos_ = p;
  if (p == data_.size()) {
    kind_ = DocumentKind::kNotJson;
    return;
  }
  const char first = data_[p];
  if (first == '[') {
    kind_ = DocumentKind::kArray;
    array_start_ = base_ + p;
    pos_ = p + 1;
    return;
  }
  if (first == '{') {
    ClassifyObject(p);
    return;
  }
  std::size_t length = 0;
  std::int64_t ms = 0;
  if (ParseTimestamp(data_.substr(p), &length, &ms) && p + length + 1 < data_.size() &&
      data_[p + length] == ' ' && data_[p + length + 1] == '{') {
    kind_ = DocumentKind::kExport;
    return;
  }
  kind_ = DocumentKind::kNotJson;
}

void RecordStream::ClassifyObject(std::size_t start) {
  const std::size_t n = data_.size();
  bool saw_records = false;
  bool saw_event_key = false;
  std::size_t records_value = kNone;  // a "Records" value that is not an array
  std::size_t break_at = kNone;       // set when the object breaks
  bool break_truncated = false;
  std::string break_error;
  std::size_t end = kNone;  // set when the object closes

  const auto truncated = [&] {
    break_at = start;
    break_truncated = true;
    break_error = Unterminated(data_, start);
  };
  const auto malformed = [&](std::size_t at, std::string_view what) {
    break_at = at;
    break_error = Malformed(at, what);
  };

  std::size_t p = SkipSpace(data_, start + 1);
  if (p < n && data_[p] == '}') end = p + 1;
  while (end == kNone && break_at == kNone) {
    if (p >= n) {
      truncated();
      break;
    }
    if (data_[p] != '"') {
      malformed(p, "expected a key string");
      break;
    }
    const std::size_t quote = FindStringEnd(data_, p + 1, n);
    if (quote == kNone) {
      truncated();
      break;
    }
    const std::string_view key = data_.substr(p + 1, quote - p - 1);
    if (key == "Records") saw_records = true;
    if (IsCloudTrailKey(key)) saw_event_key = true;
    p = SkipSpace(data_, quote + 1);
    if (p >= n) {
      truncated();
      break;
    }
    if (data_[p] != ':') {
      malformed(p, "expected ':' after a key");
      break;
    }
    p = SkipSpace(data_, p + 1);
    if (p >= n) {
      truncated();
      break;
    }
    if (key == "Records" && data_[p] == '[') {
      kind_ = DocumentKind::kRecords;
      object_start_ = base_ + start;
      object_has_records_ = true;
      array_start_ = base_ + p;
      pos_ = p + 1;
      return;
    }
    if (key == "Records" && records_value == kNone) records_value = p;
    if (IsDigestKey(key)) {
      kind_ = DocumentKind::kDigest;
      return;
    }
    const Scan value = ScanValue(data_, p, n, deep_brackets_);
    if (value.status == ScanStatus::kTruncated) {
      truncated();
      break;
    }
    if (value.status == ScanStatus::kMalformed) {
      break_at = value.at;
      break_error = Describe(data_, p, value);
      break;
    }
    p = SkipSpace(data_, value.end);
    if (p >= n) {
      truncated();
      break;
    }
    if (data_[p] == '}') {
      end = p + 1;
    } else if (data_[p] == ',') {
      p = SkipSpace(data_, p + 1);
    } else {
      malformed(p, "expected ',' or '}' after a value");
    }
  }

  if (end != kNone) {
    const std::size_t next = SkipSpace(data_, end);
    if (next < n && data_[next] == '{') {
      kind_ = DocumentKind::kLines;
      line_mode_ = std::memchr(data_.data() + start, '\n', end - start) == nullptr;
      line_end_ = kNone;
      pos_ = start;
    } else if (records_value != kNone) {
      SetRecordsNotArray(records_value);
    } else if (saw_event_key) {
      kind_ = DocumentKind::kSingle;
      pos_ = start;
      single_end_ = end;
      trailing_ = next < n ? next : kNone;
    } else {
      kind_ = DocumentKind::kOtherJson;
    }
    return;
  }

  // Broken: a JSON Lines file with a bad first line still reads as lines.
  const void* newline = std::memchr(data_.data() + start, '\n', n - start);
  if (newline != nullptr) {
    const auto after = static_cast<std::size_t>(static_cast<const char*>(newline) - data_.data());
    const std::size_t next = SkipSpace(data_, after);
    if (next < n && data_[next] == '{' && data_[next - 1] == '\n') {
      kind_ = DocumentKind::kLines;
      line_mode_ = true;
      line_end_ = kNone;
      pos_ = start;
      return;
    }
  }
  if (records_value != kNone) {
    SetRecordsNotArray(records_value);
    return;
  }
  if (saw_records || saw_event_key) {
    kind_ = saw_records ? DocumentKind::kRecords : DocumentKind::kSingle;
    pending_stop_ = true;
    pending_offset_ = break_at;
    pending_error_ = (break_truncated ? "truncated document: " : "") + break_error;
    return;
  }
  kind_ = DocumentKind::kNotJson;
}

void RecordStream::SetRecordsNotArray(std::size_t value) {
  kind_ = DocumentKind::kRecords;
  pending_stop_ = true;
  pending_offset_ = value;
  pending_error_ = "\"Records\" is not an array (" + std::string(TypeName(data_, value)) + ")";
}

RecordStream::Step RecordStream::Next(Record& out) {
  if (done_) return Step::kEnd;
  if (pending_stop_) {
    pending_stop_ = false;
    return Stop(out, pending_offset_, std::move(pending_error_));
  }
  switch (kind_) {
    case DocumentKind::kRecords:
    case DocumentKind::kArray:
      return NextInArray(out);
    case DocumentKind::kSingle:
      return NextSingle(out);
    case DocumentKind::kLines:
      return line_mode_ ? NextLine(out) : NextValue(out);
    case DocumentKind::kExport:
      return NextExport(out);
    case DocumentKind::kDigest:
    case DocumentKind::kOtherJson:
    case DocumentKind::kNotJson:
      break;
  }
  return End();
}

RecordStream::Step RecordStream::Emit(Record& out, std::size_t begin, std::size_t end) {
  out.text = data_.substr(begin, end - begin);
  out.offset = base_ + begin;
  out.index = index_++;
  out.export_time_ms = -1;
  out.error.clear();
  return Step::kRecord;
}

RecordStream::Step RecordStream::Bad(Record& out, std::size_t begin, std::size_t end,
                                     std::string error) {
  out.text = data_.substr(begin, end - begin);
  out.offset = base_ + begin;
  out.index = index_++;
  out.export_time_ms = -1;
  out.error = std::move(error);
  return Step::kBadRecord;
}

RecordStream::Step RecordStream::Stop(Record& out, std::size_t offset, std::string error) {
  done_ = true;
  out.text = {};
  out.offset = base_ + offset;
  out.index = index_;
  out.export_time_ms = -1;
  out.error = std::move(error);
  return Step::kStop;
}

RecordStream::Step RecordStream::StopAtDocumentOffset(Record& out, std::uint64_t offset,
                                                      std::string error) {
  done_ = true;
  out.text = {};
  out.offset = offset;
  out.index = index_;
  out.export_time_ms = -1;
  out.error = std::move(error);
  return Step::kStop;
}

RecordStream::Step RecordStream::More(std::size_t p) {
  pos_ = p;
  return Step::kMore;
}

RecordStream::Step RecordStream::End() {
  done_ = true;
  return Step::kEnd;
}

RecordStream::Step RecordStream::NextInArray(Record& out) {
  if (after_ != After::kNone) return AfterArray(out, pos_, after_);
  const std::size_t n = data_.size();
  std::size_t p = SkipSpace(data_, pos_);
  const auto unterminated_array = [&] {
    return StopAtDocumentOffset(
        out, array_start_,
        "truncated document: unterminated array starting at byte " + std::to_string(array_start_));
  };
  if (p >= n) return partial_ ? More(p) : unterminated_array();
  if (expect_ == Expect::kSeparator) {
    if (data_[p] == ']') return AfterArray(out, p + 1, After::kAfterValue);
    if (data_[p] != ',') {
      return Stop(out, p,
                  Malformed(p, "expected ',' or ']' after " + RecordLabel(index_ - 1), base_));
    }
    expect_ = Expect::kElement;
    p = SkipSpace(data_, p + 1);
    if (p >= n) return partial_ ? More(p) : unterminated_array();
  } else if (expect_ == Expect::kFirst && data_[p] == ']') {
    return AfterArray(out, p + 1, After::kAfterValue);
  }
  const Scan value = ScanValue(data_, p, n, deep_brackets_);
  // A value that reaches the window's end may go on past it (a scalar has no closer).
  if (partial_ && (value.status == ScanStatus::kTruncated ||
                   (value.status == ScanStatus::kOk && value.end == n))) {
    return More(p);
  }
  if (value.status == ScanStatus::kTruncated) {
    return Stop(out, p, "truncated document: " + Describe(data_, p, value, base_));
  }
  if (value.status == ScanStatus::kMalformed) {
    return Stop(out, value.at, Describe(data_, p, value, base_));
  }
  expect_ = Expect::kSeparator;
  pos_ = value.end;
  if (data_[p] == '{') return Emit(out, p, value.end);
  return Bad(out, p, value.end,
             RecordLabel(index_) + " is not a JSON object (" + TypeName(data_, p) + ")");
}

RecordStream::Step RecordStream::StartArray(Record& out, std::size_t bracket) {
  array_start_ = base_ + bracket;
  pos_ = bracket + 1;
  expect_ = Expect::kFirst;
  after_ = After::kNone;
  return NextInArray(out);
}

RecordStream::Step RecordStream::AfterArray(Record& out, std::size_t p, After at) {
  const std::size_t n = data_.size();
  if (at == After::kAfterValue && kind_ == DocumentKind::kArray) at = After::kBetween;
  after_ = at;
  const auto truncated_object = [&] {
    return StopAtDocumentOffset(out, object_start_,
                                "truncated document: unterminated object starting at byte " +
                                    std::to_string(object_start_));
  };
  // Where a window ends: read on from `resume` (a key is read again whole) in state `at`. An
  // object that is not a log yet (no "Records" array met in it) is read again from its '{',
  // since it may turn out one bad record whose bytes are all of it.
  const auto more = [&](std::size_t resume) {
    if (!object_has_records_ && at != After::kBetween && object_start_ >= base_) {
      after_ = After::kBetween;
      return More(static_cast<std::size_t>(object_start_ - base_));
    }
    after_ = at;
    return More(resume);
  };
  for (;;) {
    p = SkipSpace(data_, p);
    if (at == After::kBetween) {
      if (p >= n) return partial_ ? more(p) : End();
      if (kind_ == DocumentKind::kArray && data_[p] == '[') return StartArray(out, p);
      if (kind_ == DocumentKind::kRecords && data_[p] == '{') {
        object_start_ = base_ + p;
        object_has_records_ = false;
        ++p;
        at = After::kObjectStart;
        continue;
      }
      return Stop(out, p,
                  Malformed(p,
                            kind_ == DocumentKind::kArray ? "unexpected data after the JSON array"
                                                          : "unexpected data after the JSON object",
                            base_));
    }
    if (p >= n) return partial_ ? more(p) : truncated_object();
    if (at == After::kObjectStart) {
      at = data_[p] == '}' ? After::kAfterValue : After::kKey;
      continue;
    }
    if (at == After::kAfterValue) {
      if (data_[p] == ',') {
        at = After::kKey;
        ++p;
        continue;
      }
      if (data_[p] != '}') {
        return Stop(out, p, Malformed(p, "expected ',' or '}' after a value", base_));
      }
      at = After::kBetween;
      ++p;
      if (!object_has_records_) {
        // Another JSON object, but not a log: reported as one bad record, and reading goes on
        // after it.
        pos_ = p;
        after_ = After::kBetween;
        const std::size_t begin =
            object_start_ >= base_ ? static_cast<std::size_t>(object_start_ - base_) : 0;
        Step step =
            Bad(out, begin, p, "JSON object without a \"Records\" array after a CloudTrail log");
        out.offset = object_start_;
        return step;
      }
      continue;
    }
    if (data_[p] != '"') return Stop(out, p, Malformed(p, "expected a key string", base_));
    const std::size_t key_start = p;
    const std::size_t quote = FindStringEnd(data_, p + 1, n);
    if (quote == kNone) return partial_ ? more(key_start) : truncated_object();
    const std::string_view key = data_.substr(p + 1, quote - p - 1);
    p = SkipSpace(data_, quote + 1);
    if (p >= n) return partial_ ? more(key_start) : truncated_object();
    if (data_[p] != ':') return Stop(out, p, Malformed(p, "expected ':' after a key", base_));
    p = SkipSpace(data_, p + 1);
    if (p >= n) return partial_ ? more(key_start) : truncated_object();
    if (key == "Records" && data_[p] == '[') {
      // A second log in the same object (a duplicate key): its records count too.
      object_has_records_ = true;
      return StartArray(out, p);
    }
    const Scan value = ScanValue(data_, p, n, deep_brackets_);
    if (partial_ && (value.status == ScanStatus::kTruncated ||
                     (value.status == ScanStatus::kOk && value.end == n))) {
      return more(key_start);
    }
    if (value.status == ScanStatus::kTruncated) return truncated_object();
    if (value.status == ScanStatus::kMalformed) {
      return Stop(out, value.at, Describe(data_, p, value, base_));
    }
    p = value.end;
    at = After::kAfterValue;
  }
}

RecordStream::Step RecordStream::NextSingle(Record& out) {
  if (!single_done_) {
    single_done_ = true;
    return Emit(out, pos_, single_end_);
  }
  if (trailing_ != kNone) {
    return Stop(out, trailing_, Malformed(trailing_, "unexpected data after the JSON object"));
  }
  return End();
}

RecordStream::Step RecordStream::NextLine(Record& out) {
  const std::size_t n = data_.size();
  for (;;) {
    if (line_end_ == kNone) {
      if (pos_ >= n) return End();
      const void* newline = std::memchr(data_.data() + pos_, '\n', n - pos_);
      line_end_ = newline == nullptr
                      ? n
                      : static_cast<std::size_t>(static_cast<const char*>(newline) - data_.data());
    }
    while (pos_ < line_end_ && IsLineSpace(data_[pos_])) ++pos_;
    if (pos_ >= line_end_) {
      pos_ = line_end_ < n ? line_end_ + 1 : n;
      line_end_ = kNone;
      continue;
    }
    const std::size_t begin = pos_;
    std::size_t trimmed = line_end_;
    while (trimmed > begin && IsLineSpace(data_[trimmed - 1])) --trimmed;
    // Whatever happens below other than a record, the rest of the line is consumed.
    pos_ = line_end_;
    if (data_[begin] != '{') {
      return Bad(out, begin, trimmed,
                 RecordLabel(index_) + " is not a JSON object (" + TypeName(data_, begin) + ")");
    }
    const Scan value = ScanValue(data_, begin, line_end_, deep_brackets_);
    if (value.status == ScanStatus::kOk) {
      pos_ = value.end;
      return Emit(out, begin, value.end);
    }
    if (value.status == ScanStatus::kTruncated && line_end_ == n) {
      return Stop(out, begin, "truncated document: " + Describe(data_, begin, value, base_));
    }
    return Bad(out, begin, trimmed,
               RecordLabel(index_) + " is broken: " + Describe(data_, begin, value, base_));
  }
}

RecordStream::Step RecordStream::NextValue(Record& out) {
  const std::size_t n = data_.size();
  const std::size_t p = SkipSpace(data_, pos_);
  if (p >= n) return partial_ ? More(p) : End();
  const Scan value = ScanValue(data_, p, n, deep_brackets_);
  if (partial_ && (value.status == ScanStatus::kTruncated ||
                   (value.status == ScanStatus::kOk && value.end == n))) {
    return More(p);
  }
  if (value.status == ScanStatus::kTruncated) {
    return Stop(out, p, "truncated document: " + Describe(data_, p, value, base_));
  }
  if (value.status == ScanStatus::kMalformed) {
    return Stop(out, value.at, Describe(data_, p, value, base_));
  }
  pos_ = value.end;
  if (data_[p] == '{') return Emit(out, p, value.end);
  return Bad(out, p, value.end,
             RecordLabel(index_) + " is not a JSON object (" + TypeName(data_, p) + ")");
}

RecordStream::Step RecordStream::NextExport(Record& out) {
  const std::size_t n = data_.size();
  for (;;) {
    if (pos_ >= n) return End();
    const void* newline = std::memchr(data_.data() + pos_, '\n', n - pos_);
    const std::size_t line_end =
        newline == nullptr
            ? n
            : static_cast<std::size_t>(static_cast<const char*>(newline) - data_.data());
    std::size_t begin = pos_;
    while (begin < line_end && IsLineSpace(data_[begin])) ++begin;
    std::size_t trimmed = line_end;
    while (trimmed > begin && IsLineSpace(data_[trimmed - 1])) --trimmed;
    pos_ = line_end < n ? line_end + 1 : n;
    if (begin == trimmed) continue;

    const std::string_view line = data_.substr(begin, trimmed - begin);
    std::size_t length = 0;
    std::int64_t ms = 0;
    if (!ParseTimestamp(line, &length, &ms) || length >= line.size() || line[length] != ' ') {
      return Bad(out, begin, trimmed,
                 RecordLabel(index_) +
                     " does not start with a timestamp (YYYY-MM-DDTHH:MM:SS[.fff]Z) and a space");
    }
    const std::size_t object = begin + length + 1;
    if (object >= trimmed || data_[object] != '{') {
      const char* type = object >= trimmed ? "empty" : TypeName(data_, object);
      return Bad(out, begin, trimmed, RecordLabel(index_) + " is not a JSON object (" + type + ")");
    }
    const Scan value = ScanValue(data_, object, trimmed, deep_brackets_);
    if (value.status == ScanStatus::kTruncated && line_end == n) {
      return Stop(out, object, "truncated document: " + Describe(data_, object, value, base_));
    }
    if (value.status != ScanStatus::kOk) {
      return Bad(out, begin, trimmed,
                 RecordLabel(index_) + " is broken: " + Describe(data_, object, value, base_));
    }
    if (value.end != trimmed) {
      return Bad(out, begin, trimmed,
                 RecordLabel(index_) + " has data after the JSON object at byte " +
                     std::to_string(base_ + value.end));
    }
    const Step step = Emit(out, object, value.end);
    out.export_time_ms = ms;
    return step;
  }
}

}  // namespace trailreplay::event

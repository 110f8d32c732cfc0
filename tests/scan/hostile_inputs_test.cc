// Hostile inputs (issue 7), end to end through the scanner: each case generates its input at
// test time in a temporary directory (nothing large is committed), next to a fixed set of good
// files, scans the lot with RunScan and reads the database back. Every case checks that
//   - the scan finishes (a hang fails by ctest's timeout, a crash by the sanitizers);
//   - the hostile input leaves exactly the scan_errors rows it should, naming the file, the
//     archive member, the byte offset and the record where they apply, each with a warning;
//   - the good files of the same run are counted exactly (ledger rows, events, matches);
//   - nothing is written anywhere but the database (archive member names are never paths);
//   - a second scan of the same directory adds nothing (every table but the run log and the
//     error log is unchanged; only inputs that could not be opened are tried again).
//
// Large inputs (a gzip bomb of 8 GiB, a 200 MB string) are generated as gzip in time and memory
// proportional to their compressed size (GzipPieces), so the suite stays quick.
//
// Scans run without CAP_DAC_OVERRIDE when the tests run as root, so a file without read
// permission is unreadable to them as it is to any other user (DacOverrideDropped).
#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "input/gzip.h"
#include "scan/scanner.h"
#include "store/record_sql.h"
#include "support/dac_override.h"
#include "support/files.h"

namespace trailreplay::scan {
namespace {

namespace fs = std::filesystem;

using test::DacOverrideDropped;
using test::Gzip;
using test::TempDir;

constexpr std::uint64_t kMiB = std::uint64_t{1} << 20;
constexpr std::uint64_t kGiB = std::uint64_t{1} << 30;
// The scans' decoded-size cap: above the 200 MB string, far below the bombs.
constexpr std::uint64_t kDocumentLimit = 256 * kMiB;
// What the error row of an input refused for a limit adds (issue 20).
constexpr const char* kNotCounted =
    "not counted: scan again with a higher --max-document-mb to count it";

// ---------------------------------------------------------------------------------------------
// Generators.

std::string Guid(int n) {
  char buffer[40];
  std::snprintf(buffer, sizeof buffer, "%08x-0000-4000-8000-%012x", n, n * 7919);
  return buffer;
}

// A CloudTrail record. `time` is the eventTime's JSON text's inside (quoted by this function).
std::string Record(int id, const std::string& time, const std::string& name,
                   const std::string& error_code = "") {
  std::string r = R"({"eventVersion":"1.08","userIdentity":{"type":"IAMUser","arn":")"
                  R"(arn:aws:iam::111122223333:user/alice","accountId":"111122223333"},)"
                  R"("eventTime":")" +
                  time + R"(","eventSource":"ec2.amazonaws.com","eventName":")" + name +
                  R"(","awsRegion":"us-east-1","sourceIPAddress":"192.0.2.1")";
  if (!error_code.empty()) r += R"(,"errorCode":")" + error_code + R"(")";
  return r + R"(,"eventID":")" + Guid(id) + R"(","recipientAccountId":"111122223333"})";
}

std::string Records(const std::vector<std::string>& records) {
  std::string out = R"({"Records":[)";
  for (std::size_t i = 0; i < records.size(); ++i) out += (i > 0 ? "," : "") + records[i];
  return out + "]}";
}

// One piece of a generated document: literal text, or `count` copies of `fill`.
struct Piece {
  std::string text;
  char fill = 0;
  std::uint64_t count = 0;
};
Piece Text(std::string text) { return Piece{std::move(text), 0, 0}; }
Piece Repeat(char fill, std::uint64_t count) { return Piece{{}, fill, count}; }

// Feeds `data` to `zs` with `flush` and returns what deflate wrote.
std::string Deflate(z_stream& zs, std::string_view data, int flush) {
  std::string out;
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  zs.avail_in = static_cast<uInt>(data.size());
  char buffer[64 * 1024];
  int rc = Z_OK;
  do {
    zs.next_out = reinterpret_cast<Bytef*>(buffer);
    zs.avail_out = sizeof buffer;
    rc = deflate(&zs, flush);
    EXPECT_TRUE(rc == Z_OK || rc == Z_STREAM_END || rc == Z_BUF_ERROR) << rc;
    out.append(buffer, sizeof buffer - zs.avail_out);
  } while (zs.avail_out == 0 || zs.avail_in > 0 || (flush == Z_FINISH && rc != Z_STREAM_END));
  return out;
}

// CRC-32 of `n` copies of a block whose CRC is `crc` and length `length`.
uLong RepeatedCrc(uLong crc, std::uint64_t length, std::uint64_t n) {
  uLong result = crc32(0, nullptr, 0);
  while (n > 0) {
    if (n & 1) result = crc32_combine(result, crc, static_cast<z_off_t>(length));
    crc = crc32_combine(crc, crc, static_cast<z_off_t>(length));
    length *= 2;
    n >>= 1;
  }
  return result;
}

// One gzip member holding the pieces' concatenation, made in time and memory proportional to
// its compressed size. Every piece ends with a full flush, after which deflate refers to
// nothing before it, so a run's 1 MiB chunk is compressed once and its bytes repeated; the
// trailer's CRC is combined arithmetically. (Deflate cannot shrink a run by more than about
// 1032:1, so 8 GiB of zeros still take 8 MB.)
std::string GzipPieces(const std::vector<Piece>& pieces) {
  static constexpr char kHeader[] = {'\x1f', '\x8b', 8, 0, 0, 0, 0, 0, 2, '\xff'};
  std::string out(kHeader, sizeof kHeader);
  z_stream zs{};
  EXPECT_EQ(deflateInit2(&zs, 9, Z_DEFLATED, -MAX_WBITS, 9, Z_DEFAULT_STRATEGY), Z_OK);
  uLong crc = crc32(0, nullptr, 0);
  std::uint64_t total = 0;
  auto add_crc = [&](uLong piece_crc, std::uint64_t length) {
    crc = crc32_combine(crc, piece_crc, static_cast<z_off_t>(length));
    total += length;
  };
  for (const Piece& piece : pieces) {
    if (piece.count == 0) {
      out += Deflate(zs, piece.text, Z_FULL_FLUSH);
      add_crc(crc32(0, reinterpret_cast<const Bytef*>(piece.text.data()),
                    static_cast<uInt>(piece.text.size())),
              piece.text.size());
      continue;
    }
    const std::string chunk(static_cast<std::size_t>(std::min(piece.count, kMiB)), piece.fill);
    const std::uint64_t copies = piece.count / chunk.size();
    const std::string block = Deflate(zs, chunk, Z_FULL_FLUSH);
    for (std::uint64_t i = 0; i < copies; ++i) out += block;
    add_crc(RepeatedCrc(crc32(0, reinterpret_cast<const Bytef*>(chunk.data()),
                              static_cast<uInt>(chunk.size())),
                        chunk.size(), copies),
            copies * chunk.size());
    const std::string rest(static_cast<std::size_t>(piece.count % chunk.size()), piece.fill);
    if (!rest.empty()) {
      out += Deflate(zs, rest, Z_FULL_FLUSH);
      add_crc(crc32(0, reinterpret_cast<const Bytef*>(rest.data()), static_cast<uInt>(rest.size())),
              rest.size());
    }
  }
  out += Deflate(zs, {}, Z_FINISH);
  deflateEnd(&zs);
  for (int i = 0; i < 4; ++i) out += static_cast<char>((crc >> (8 * i)) & 0xff);
  for (int i = 0; i < 4; ++i) out += static_cast<char>((total >> (8 * i)) & 0xff);
  return out;
}

// A ustar header block for a regular member of `size` bytes (which may exceed what follows).
std::string TarHeader(const std::string& name, std::uint64_t size) {
  std::string h(512, '\0');
  h.replace(0, name.size(), name);
  auto octal = [&](std::size_t at, std::size_t width, std::uint64_t value) {
    std::string digits(width - 1, '0');
    for (std::size_t i = width - 1; i-- > 0; value >>= 3)
      digits[i] = static_cast<char>('0' + (value & 7));
    h.replace(at, width - 1, digits);
  };
  octal(100, 8, 0644);
  octal(108, 8, 0);
  octal(116, 8, 0);
  octal(124, 12, size);
  octal(136, 12, 1700000000);
  h[156] = '0';
  h.replace(257, 6, std::string("ustar\0", 6));
  h.replace(263, 2, "00");
  h.replace(148, 8, "        ");
  unsigned sum = 0;
  for (char c : h) sum += static_cast<unsigned char>(c);
  char checksum[8];
  std::snprintf(checksum, sizeof checksum, "%06o", sum);
  h.replace(148, 7, std::string(checksum, 6) + '\0');
  return h;
}

enum class Entry { kFile, kDirectory, kSymlink, kHardlink };

struct Member {
  std::string name;
  std::string data;
  Entry type = Entry::kFile;
  std::string link;
};

// An archive written by libarchive's writer (`format` as archive_write_set_format_by_name).
void WriteArchive(const std::string& path, const std::vector<Member>& members,
                  const std::string& format, const std::string& options = "",
                  const std::string& passphrase = "") {
  archive* a = archive_write_new();
  ASSERT_EQ(archive_write_set_format_by_name(a, format.c_str()), ARCHIVE_OK);
  if (!options.empty()) {
    ASSERT_EQ(archive_write_set_options(a, options.c_str()), ARCHIVE_OK) << archive_error_string(a);
  }
  if (!passphrase.empty()) {
    ASSERT_EQ(archive_write_set_passphrase(a, passphrase.c_str()), ARCHIVE_OK);
  }
  ASSERT_EQ(archive_write_open_filename(a, path.c_str()), ARCHIVE_OK);
  for (const Member& m : members) {
    archive_entry* e = archive_entry_new();
    archive_entry_set_pathname(e, m.name.c_str());
    archive_entry_set_mtime(e, 1700000000, 0);
    archive_entry_set_perm(e, 0644);
    archive_entry_set_size(e, 0);
    switch (m.type) {
      case Entry::kFile:
        archive_entry_set_filetype(e, AE_IFREG);
        archive_entry_set_size(e, static_cast<la_int64_t>(m.data.size()));
        break;
      case Entry::kDirectory:
        archive_entry_set_filetype(e, AE_IFDIR);
        break;
      case Entry::kSymlink:
        archive_entry_set_filetype(e, AE_IFLNK);
        archive_entry_set_symlink(e, m.link.c_str());
        break;
      case Entry::kHardlink:
        archive_entry_set_filetype(e, AE_IFREG);
        archive_entry_set_hardlink(e, m.link.c_str());
        break;
    }
    const int rc = archive_write_header(a, e);
    archive_entry_free(e);
    ASSERT_TRUE(rc == ARCHIVE_OK || rc == ARCHIVE_WARN) << archive_error_string(a);
    if (!m.data.empty()) {
      ASSERT_EQ(archive_write_data(a, m.data.data(), m.data.size()),
                static_cast<la_ssize_t>(m.data.size()));
    }
  }
  ASSERT_EQ(archive_write_close(a), ARCHIVE_OK);
  archive_write_free(a);
}

void WriteFile(const std::string& path, std::string_view bytes) {
  fs::create_directories(fs::path(path).parent_path());
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  ASSERT_TRUE(out.good()) << path;
}

// ---------------------------------------------------------------------------------------------
// Process state the scans need.

// Runs in `dir` while alive (relative archive names would land there if they were ever used
// as paths).
class WorkingDirectory {
 public:
  explicit WorkingDirectory(const std::string& dir) : saved_(fs::current_path()) {
    fs::current_path(dir);
  }
  WorkingDirectory(const WorkingDirectory&) = delete;
  WorkingDirectory& operator=(const WorkingDirectory&) = delete;
  ~WorkingDirectory() { fs::current_path(saved_); }

 private:
  fs::path saved_;
};

// Peak resident memory of the process, in bytes, since the last ResetPeakMemory().
void ResetPeakMemory() { std::ofstream("/proc/self/clear_refs") << "5"; }
std::uint64_t PeakMemory() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmHWM:", 0) == 0) return std::stoull(line.substr(6)) * 1024;
  }
  return 0;
}

// ---------------------------------------------------------------------------------------------
// The cases.

// `text` matches `pattern`, where '*' stands for any run of characters.
bool GlobMatch(std::string_view pattern, std::string_view text) {
  const std::size_t star = pattern.find('*');
  if (star == std::string_view::npos) return pattern == text;
  if (!text.starts_with(pattern.substr(0, star))) return false;
  text.remove_prefix(star);
  pattern.remove_prefix(star + 1);
  for (std::size_t skip = 0; skip <= text.size(); ++skip) {
    if (GlobMatch(pattern, text.substr(skip))) return true;
  }
  return false;
}

// Any byte offset (the compressed offset where a decoder stopped), but one must be given.
constexpr std::int64_t kAnyOffset = -1;

// One scan_errors row, paths relative to the test's directory. `message` may hold '*'
// wildcards, for wording that comes from a library (zlib, libdeflate, libarchive).
struct ErrorRow {
  std::string path;
  std::string member;
  std::optional<std::int64_t> offset;
  std::optional<std::int64_t> record;
  std::string kind;
  std::string message;

  std::string ToString() const {
    return path + "|" + member + "|" +
           (offset ? (*offset == kAnyOffset ? "<any>" : std::to_string(*offset)) : "") + "|" +
           (record ? std::to_string(*record) : "") + "|" + kind + "|" + message;
  }
  // Whether a row as Errors() returns it matches this one.
  bool Matches(const std::string& row) const {
    std::vector<std::string> fields;
    std::size_t start = 0;
    for (int i = 0; i < 5; ++i) {
      const std::size_t bar = row.find('|', start);
      if (bar == std::string::npos) return false;
      fields.push_back(row.substr(start, bar - start));
      start = bar + 1;
    }
    fields.push_back(row.substr(start));
    const bool offset_ok = offset && *offset == kAnyOffset
                               ? !fields[2].empty()
                               : fields[2] == (offset ? std::to_string(*offset) : "");
    return fields[0] == path && fields[1] == member && offset_ok &&
           fields[3] == (record ? std::to_string(*record) : "") && fields[4] == kind &&
           GlobMatch(message, fields[5]);
  }
};

// The byte offset of `part` in `document`.
std::int64_t OffsetOf(const std::string& document, const std::string& part) {
  const std::size_t at = document.find(part);
  EXPECT_NE(at, std::string::npos);
  return static_cast<std::int64_t>(at);
}

// What a hostile input must leave behind, beyond the good files.
struct Expectation {
  std::vector<ErrorRow> errors;                     // its scan_errors rows
  std::uint64_t events = 0;                         // events it adds
  std::uint64_t unauthorized = 0, cfg_changes = 0;  // matches of the two built-in filters
  std::uint64_t duplicates = 0;                     // records dropped as duplicates
  // Ledger rows it adds: "path|member|kind|status|records|events|bad_records".
  std::vector<std::string> inputs;
  // Inputs that could not be opened or were refused for a limit, so every scan tries them again.
  std::uint64_t retried = 0;
  // The most the first scan may add to the process's peak memory (both workers together).
  std::uint64_t max_memory = 64 * kMiB;
  bool needs_unreadable = false;  // only meaningful when files can be made unreadable
};

// Writes the hostile input under `root` (the test's directory; scans read root/in) and says
// what the scan must make of it.
using CaseFn = std::function<Expectation(const std::string& root)>;

struct Case {
  const char* name;
  CaseFn make;
};
void PrintTo(const Case& c, std::ostream* out) { *out << c.name; }

ErrorRow Error(std::string path, std::string member, std::optional<std::int64_t> offset,
               std::optional<std::int64_t> record, std::string kind, std::string message) {
  return {std::move(path), std::move(member), offset, record, std::move(kind), std::move(message)};
}

Expectation TruncatedGzip(const std::string& root) {
  std::vector<std::string> records;
  for (int i = 0; i < 300; ++i) {
    records.push_back(Record(1000 + i, "2024-03-01T12:00:00Z", "GetObject", "AccessDenied"));
  }
  const std::string whole = Gzip(Records(records));
  const std::string cut = whole.substr(0, whole.size() / 2);
  WriteFile(root + "/in/truncated.json.gz", cut);
  // What zlib can decode of the cut file; every record complete in it counts.
  std::string decoded(Records(records).size(), '\0');
  z_stream zs{};
  inflateInit2(&zs, 16 + MAX_WBITS);
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(cut.data()));
  zs.avail_in = static_cast<uInt>(cut.size());
  zs.next_out = reinterpret_cast<Bytef*>(decoded.data());
  zs.avail_out = static_cast<uInt>(decoded.size());
  EXPECT_EQ(inflate(&zs, Z_SYNC_FLUSH), Z_OK);
  decoded.resize(zs.total_out);
  inflateEnd(&zs);
  std::uint64_t complete = 0;
  while (complete < records.size() && decoded.find(records[complete]) != std::string::npos) {
    ++complete;
  }
  EXPECT_GT(complete, 10u);
  EXPECT_LT(complete, 290u);
  Expectation e;
  // The offset is where the input ran out.
  e.errors = {Error("in/truncated.json.gz", "", static_cast<std::int64_t>(cut.size()), {}, "gzip",
                    "truncated gzip data (member starting at byte 0*) (offset is in the "
                    "compressed file; records decoded before it are counted)")};
  e.events = e.unauthorized = complete;
  e.inputs = {"in/truncated.json.gz||records|partial|" + std::to_string(complete) + "|" +
              std::to_string(complete) + "|0"};
  return e;
}

Expectation GzipBomb(const std::string& root) {
  // 8 GiB of zeros; and 8 GiB of blanks after a valid first record, which counts.
  WriteFile(root + "/in/bomb-zeros.json.gz", GzipPieces({Repeat('\0', 8 * kGiB)}));
  const std::string first = Record(2000, "2024-03-01T12:01:00Z", "StopLogging");
  WriteFile(root + "/in/bomb-blanks.json.gz",
            GzipPieces({Text(R"({"Records":[)" + first + ","), Repeat(' ', 8 * kGiB),
                        Text(Record(2001, "2024-03-01T12:01:00Z", "StopLogging") + "]}")}));
  const std::string limit_message = "decoded size exceeds the limit of " +
                                    std::to_string(kDocumentLimit) + " bytes; " + kNotCounted;
  Expectation e;
  // Zeros are not JSON, told from the first window: nothing more is inflated. The blanks
  // are read a window at a time until the document limit refuses the file (issue 20): a scan
  // with a higher limit reads it, and would count the first record twice had this one
  // counted it.
  e.errors = {
      Error("in/bomb-blanks.json.gz", "", kAnyOffset, {}, "limit", limit_message),
      Error("in/bomb-zeros.json.gz", "", 0, {}, "format",
            "not JSON (starts with '................')"),
  };
  e.retried = 1;
  // Two workers, each holding a 16 MiB window (and under ASan, the freed ones its quarantine
  // keeps), not the 16 GiB the bombs inflate to.
  e.max_memory = 128 * kMiB;
  e.inputs = {"in/bomb-blanks.json.gz||unread|refused|0|0|0",
              "in/bomb-zeros.json.gz||not-json|error|0|0|0"};
  return e;
}

Expectation TarBomb(const std::string& root) {
  // A tar.gz whose second member declares (and holds) 512 MiB of zeros, after a good member.
  const std::string good = Records({Record(2100, "2024-03-01T12:02:00Z", "CreateTrail")});
  std::string good_member = TarHeader("good.json", good.size()) + good;
  good_member.resize((good_member.size() + 511) / 512 * 512, '\0');
  WriteFile(root + "/in/bomb.tar.gz",
            GzipPieces({Text(good_member + TarHeader("huge.json", 512 * kMiB)),
                        Repeat('\0', 512 * kMiB + 1024)}));
  Expectation e;
  // The big member is read a window at a time: its first shows it is not JSON.
  e.errors = {Error("in/bomb.tar.gz", "huge.json", 0, {}, "format",
                    "not JSON (starts with '................')")};
  e.events = e.cfg_changes = 1;
  // The scanner inflates at most 16 MiB of a small gzip file before it sniffs for a tar
  // (SmallTarGzBombIsNotInflatedWhole), then reads the member in a 16 MiB window; ASan's
  // quarantine keeps freed blocks resident (70 MiB measured under it, in a process of its own).
  e.max_memory = 96 * kMiB;
  e.inputs = {"in/bomb.tar.gz||archive|ok|1|0|0", "in/bomb.tar.gz|good.json|records|ok|1|1|0",
              "in/bomb.tar.gz|huge.json|not-json|error|0|0|0"};
  return e;
}

Expectation ConcatenatedGzipMembers(const std::string& root) {
  // `cat a.json.gz b.json.gz`: valid gzip, every member decoded and counted. One document split
  // across members, and JSON Lines appended member by member.
  const std::string a = Record(2200, "2024-03-01T12:03:00Z", "GetObject", "AccessDenied");
  const std::string b = Record(2201, "2024-03-01T12:03:00Z", "DeleteTrail");
  const std::string c = Record(2202, "2024-03-01T12:03:00Z", "ListBuckets");
  WriteFile(root + "/in/members.json.gz",
            Gzip(R"({"Records":[)" + a + ",") + Gzip(b + ",") + Gzip(c + "]}"));
  WriteFile(root + "/in/members.jsonl.gz",
            Gzip(Record(2203, "2024-03-01T12:03:00Z", "A") + "\n") +
                Gzip(Record(2204, "2024-03-01T12:03:00Z", "B", "AccessDenied") + "\n"));
  Expectation e;
  e.events = 5;
  e.unauthorized = 2;
  e.cfg_changes = 1;
  e.inputs = {"in/members.json.gz||records|ok|3|3|0", "in/members.jsonl.gz||lines|ok|2|2|0"};
  return e;
}

Expectation EmptyFile(const std::string& root) {
  WriteFile(root + "/in/empty.json.gz", "");
  Expectation e;
  e.errors = {Error("in/empty.json.gz", "", 0, {}, "format", "empty file")};
  e.inputs = {"in/empty.json.gz||not-json|error|0|0|0"};
  return e;
}

Expectation NotGzipNamedGz(const std::string& root) {
  WriteFile(root + "/in/fake.json.gz", "this is not gzip\n\x01\x02");
  Expectation e;
  e.errors = {Error("in/fake.json.gz", "", 0, {}, "format",
                    "named .gz, but neither gzip nor JSON (starts with 'this is not gzip')")};
  e.inputs = {"in/fake.json.gz||not-json|error|0|0|0"};
  return e;
}

Expectation DeepNesting(const std::string& root) {
  // 100,000 levels of alternating arrays and objects, in a field no filter reads, and in one
  // the scan reads (userIdentity) and one a filter reads (errorCode).
  constexpr std::size_t kDepth = 100000;
  std::string deep;
  std::string closers;
  for (std::size_t i = 0; i < kDepth; ++i) {
    deep += (i % 2 == 0) ? "[" : "{\"a\":";
    closers += (i % 2 == 0) ? ']' : '}';
  }
  deep += "1";
  deep.append(closers.rbegin(), closers.rend());
  auto with = [&](int id, const std::string& key) {
    std::string r = Record(id, "2024-03-01T12:05:00Z", "DescribeInstances", "AccessDenied");
    return r.substr(0, r.size() - 1) + ",\"" + key + "\":" + deep + "}";
  };
  WriteFile(root + "/in/deep.json", Records({with(2400, "requestParameters"),
                                             with(2401, "userIdentity"), with(2402, "errorCode"),
                                             Record(2403, "2024-03-01T12:05:00Z", "StopLogging")}));
  Expectation e;
  // Valid JSON: every record counts. A key given twice reads as both values (duplicate keys
  // below), so the deep errorCode leaves the record's first errorCode matching.
  e.events = 4;
  e.unauthorized = 3;
  e.cfg_changes = 1;
  e.inputs = {"in/deep.json||records|ok|4|4|0"};
  return e;
}

Expectation HugeString(const std::string& root) {
  // A 200 MB string value in a record no filter matches, between two records that match.
  constexpr std::uint64_t kSize = 200'000'000;
  const std::string big = Record(2500, "2024-03-01T12:06:00Z", "PutObject");
  WriteFile(
      root + "/in/huge-string.json.gz",
      GzipPieces({Text(R"({"Records":[)" +
                       Record(2501, "2024-03-01T12:06:00Z", "GetObject", "AccessDenied") + "," +
                       big.substr(0, big.size() - 1) + R"(,"policy":")"),
                  Repeat('A', kSize),
                  Text("\"}," + Record(2502, "2024-03-01T12:06:00Z", "StopLogging") + "]}")}));
  Expectation e;
  // Over the record limit (issue 20): one bad record, passed over without being held; the
  // records around it count.
  e.errors = {Error("in/huge-string.json.gz", "", kAnyOffset, 1, "record",
                    "record 1 is larger than the record limit of 16777216 bytes: skipped (raise "
                    "--max-record-mb to count it)")};
  e.events = 2;
  e.unauthorized = 1;
  e.cfg_changes = 1;
  // A window and a record at the limit, not the document.
  e.max_memory = 96 * kMiB;
  e.inputs = {"in/huge-string.json.gz||records|partial|3|2|1"};
  return e;
}

Expectation InvalidUtf8(const std::string& root) {
  auto named = [](int id, const std::string& name) {
    return Record(id, "2024-03-01T12:07:00Z", name, "AccessDenied");
  };
  const std::vector<std::string> records = {
      named(2600, "ok-\xc3\xa9-\xf0\x9f\x98\x80"),  // é and an emoji: valid
      named(2601, "bad-\xff\xfe"),                  // never valid in UTF-8
      named(2602, "overlong-\xc0\xaf"),             // overlong '/'
      named(2603, "surrogate-\xed\xa0\x80"),        // UTF-16 surrogate as UTF-8
      named(2604, "cut-\xe2\x82"),                  // truncated sequence
      named(2605, "escaped-\\u00e9"),               // é escaped: valid
  };
  const std::string document = Records(records);
  WriteFile(root + "/in/utf8.json", document);
  Expectation e;
  for (int i = 1; i <= 4; ++i) {
    e.errors.push_back(Error("in/utf8.json", "",
                             OffsetOf(document, records[static_cast<std::size_t>(i)]), i, "record",
                             "record " + std::to_string(i) + " is not valid JSON"));
  }
  e.events = e.unauthorized = 2;
  e.inputs = {"in/utf8.json||records|partial|6|2|4"};
  return e;
}

Expectation DuplicateKeys(const std::string& root) {
  // Duplicate keys are valid JSON; the first eventTime and eventID are the record's, and a
  // filter sees every value of a repeated key (README: "Duplicate keys likewise").
  const std::string dup =
      R"({"eventTime":"2024-03-01T12:08:00Z","eventTime":"garbage","eventID":")" + Guid(2700) +
      R"(","eventID":")" + Guid(2701) +
      R"(","errorCode":"None","errorCode":"AccessDenied","eventName":"A","eventName":"B"})";
  WriteFile(root + "/in/dup-keys.json", Records({dup, Record(2701, "2024-03-01T12:08:00Z", "C"),
                                                 Record(2700, "2024-03-01T12:08:00Z", "D")}));
  Expectation e;
  // The third record repeats the first one's (first) eventID: a duplicate, not counted.
  e.events = 2;
  e.unauthorized = 1;
  e.duplicates = 1;
  e.inputs = {"in/dup-keys.json||records|ok|3|2|0"};
  return e;
}

Expectation RecordsNotAnArray(const std::string& root) {
  WriteFile(root + "/in/records-object.json",
            R"({"Records":{"eventTime":"2024-03-01T12:09:00Z","eventName":"A"}})");
  WriteFile(root + "/in/records-string.json", R"({"Records":"[]"})");
  Expectation e;
  e.errors = {
      Error("in/records-object.json", "", 11, {}, "json", "\"Records\" is not an array (object)"),
      Error("in/records-string.json", "", 11, {}, "json", "\"Records\" is not an array (string)")};
  e.inputs = {"in/records-object.json||records|partial|0|0|0",
              "in/records-string.json||records|partial|0|0|0"};
  return e;
}

Expectation BadEventTimes(const std::string& root) {
  const std::vector<std::string> times = {
      "garbage",
      "99999-01-01T00:00:00Z",      // year 99999
      "2024-13-01T00:00:00Z",       // month 13
      "2024-00-10T00:00:00Z",       // month 0
      "2023-02-29T00:00:00Z",       // not a leap year
      "2024-03-32T00:00:00Z",       // day 32
      "2024-03-01T24:00:00Z",       // hour 24
      "2024-03-01T10:60:00Z",       // minute 60
      "2024-03-01T10:00:61Z",       // second 61
      "1969-12-31T23:59:59Z",       // before the epoch
      "2024-03-01T10:00:00+24:00",  // offset out of range
      "2024-03-01T10:00:00.Z",      // fraction without digits
      "2024-03-01 10:00:00Z",       // no T
      "",
  };
  std::vector<std::string> records;
  for (std::size_t i = 0; i < times.size(); ++i) {
    records.push_back(Record(2800 + static_cast<int>(i), times[i], "A", "AccessDenied"));
  }
  // A number, and an object: eventTime must be a string.
  std::string number = Record(2890, "x", "A", "AccessDenied");
  number.replace(number.find("\"x\""), 3, "1709287200");
  std::string object = Record(2891, "x", "A", "AccessDenied");
  object.replace(object.find("\"x\""), 3, "{\"t\":\"2024-03-01T10:00:00Z\"}");
  records.push_back(number);
  records.push_back(object);
  // The last second of the range the parser accepts, and a leap second: both count.
  records.push_back(Record(2892, "9999-12-31T23:59:59Z", "A", "AccessDenied"));
  records.push_back(Record(2893, "2016-12-31T23:59:60Z", "A", "AccessDenied"));
  const std::string document = Records(records);
  WriteFile(root + "/in/times.json", document);
  Expectation e;
  for (std::size_t i = 0; i < times.size() + 2; ++i) {
    const std::string message = i < times.size()    ? "has an invalid eventTime '" + times[i] + "'"
                                : i == times.size() ? "has an invalid eventTime '1709287200'"
                                                    : "has no eventTime";
    e.errors.push_back(Error("in/times.json", "", OffsetOf(document, records[i]),
                             static_cast<std::int64_t>(i), "time",
                             "record " + std::to_string(i) + " " + message));
  }
  e.events = e.unauthorized = 2;
  e.inputs = {"in/times.json||records|partial|" + std::to_string(records.size()) + "|2|" +
              std::to_string(records.size() - 2)};
  return e;
}

Expectation HostileTarNames(const std::string& root) {
  // Names that would write outside the extraction directory, or through links, if the scanner
  // ever used them as paths. The scans run in root/cwd/a/b, so `../../x` means root/cwd/x.
  const auto one = [](int id, const char* name) {
    return Records({Record(id, "2024-03-01T12:10:00Z", name, "AccessDenied")});
  };
  // Enough ".." to reach "/" from anywhere, then the test directory.
  const std::string climb =
      "../../../../../../../../../../../../../../../.." + root + "/cwd/deep.json";
  WriteArchive(root + "/in/names.tar",
               {{"../../escape.json", one(2900, "Escape"), Entry::kFile, ""},
                {climb, one(2901, "Deep"), Entry::kFile, ""},
                {root + "/cwd/absolute.json", one(2902, "Absolute"), Entry::kFile, ""},
                {"../../linkdir", "", Entry::kSymlink, root + "/cwd"},
                {"../../linkdir/through-link.json", one(2903, "ThroughLink"), Entry::kFile, ""},
                {"passwd.json", "", Entry::kSymlink, "/etc/passwd"},
                {"hard.json", "", Entry::kHardlink, "../../escape.json"},
                {"../../newdir/", "", Entry::kDirectory, ""}},
               "paxr");
  Expectation e;
  // Every regular member is read from memory and counted; links and directories are neither
  // followed nor listed (tests/golden/scan-tar-gz-bundle.case).
  e.events = e.unauthorized = 4;
  e.inputs = {
      "in/names.tar||archive|ok|4|0|0",
      "in/names.tar|" + root + "/cwd/absolute.json|records|ok|1|1|0",
      "in/names.tar|" + climb + "|records|ok|1|1|0",
      "in/names.tar|../../escape.json|records|ok|1|1|0",
      "in/names.tar|../../linkdir/through-link.json|records|ok|1|1|0",
  };
  return e;
}

// A zip of stored members written byte by byte; `encrypted` sets general-purpose flag bit 0
// (the data stays plain: the flag alone must make the reader refuse the member).
struct ZipMember {
  std::string name;
  std::string data;
  bool encrypted;
};

std::string StoredZip(const std::vector<ZipMember>& members) {
  std::string out;
  std::string central;
  auto u16 = [](std::string& s, unsigned v) {
    s += static_cast<char>(v & 0xff);
    s += static_cast<char>((v >> 8) & 0xff);
  };
  auto u32 = [&](std::string& s, std::uint64_t v) {
    u16(s, static_cast<unsigned>(v & 0xffff));
    u16(s, static_cast<unsigned>((v >> 16) & 0xffff));
  };
  for (const ZipMember& m : members) {
    const uLong crc =
        crc32(0, reinterpret_cast<const Bytef*>(m.data.data()), static_cast<uInt>(m.data.size()));
    const std::uint64_t offset = out.size();
    const unsigned flags = m.encrypted ? 1 : 0;
    // Local header: version, flags, method 0 (stored), time, date, CRC, sizes, name.
    u32(out, 0x04034b50);
    u16(out, 20);
    u16(out, flags);
    u16(out, 0);
    u16(out, 0);
    u16(out, 0x5821);
    u32(out, crc);
    u32(out, m.data.size());
    u32(out, m.data.size());
    u16(out, static_cast<unsigned>(m.name.size()));
    u16(out, 0);
    out += m.name + m.data;
    u32(central, 0x02014b50);
    u16(central, 20);
    u16(central, 20);
    u16(central, flags);
    u16(central, 0);
    u16(central, 0);
    u16(central, 0x5821);
    u32(central, crc);
    u32(central, m.data.size());
    u32(central, m.data.size());
    u16(central, static_cast<unsigned>(m.name.size()));
    u16(central, 0);  // extra
    u16(central, 0);  // comment
    u16(central, 0);  // disk
    u16(central, 0);  // internal attributes
    u32(central, 0);  // external attributes
    u32(central, offset);
    central += m.name;
  }
  const std::uint64_t central_offset = out.size();
  out += central;
  u32(out, 0x06054b50);
  u16(out, 0);
  u16(out, 0);
  u16(out, static_cast<unsigned>(members.size()));
  u16(out, static_cast<unsigned>(members.size()));
  u32(out, central.size());
  u32(out, central_offset);
  u16(out, 0);
  return out;
}

Expectation EncryptedZip(const std::string& root) {
  const std::string secret =
      Records({Record(3000, "2024-03-01T12:11:00Z", "Secret", "AccessDenied")});
  // An encrypted member between two open ones: the ones after it are still read.
  WriteFile(
      root + "/in/mixed.zip",
      StoredZip(
          {{"before.json", Records({Record(3001, "2024-03-01T12:11:00Z", "StopLogging")}), false},
           {"secret.json", secret, true},
           {"after.json",
            Records({Record(3002, "2024-03-01T12:11:00Z", "GetObject", "AccessDenied")}), false}}));
  // Really encrypted, by libarchive: traditional PKWARE and WinZip AES.
  WriteArchive(root + "/in/zipcrypt.zip",
               {{"a/secret.json", secret, Entry::kFile, ""},
                {"b/also-secret.json", secret, Entry::kFile, ""}},
               "zip", "zip:encryption=zipcrypt", "hunter2");
  WriteArchive(root + "/in/aes.zip", {{"secret.json", secret, Entry::kFile, ""}}, "zip",
               "zip:encryption=aes256", "hunter2");
  Expectation e;
  e.errors = {
      Error("in/aes.zip", "secret.json", {}, {}, "archive", "encrypted member"),
      Error("in/mixed.zip", "secret.json", {}, {}, "archive", "encrypted member"),
      Error("in/zipcrypt.zip", "a/secret.json", {}, {}, "archive", "encrypted member"),
      Error("in/zipcrypt.zip", "b/also-secret.json", {}, {}, "archive", "encrypted member")};
  e.events = 2;
  e.unauthorized = e.cfg_changes = 1;
  e.inputs = {"in/aes.zip||archive|ok|0|0|0",
              "in/aes.zip|secret.json|unread|error|0|0|0",
              "in/mixed.zip||archive|ok|2|0|0",
              "in/mixed.zip|after.json|records|ok|1|1|0",
              "in/mixed.zip|before.json|records|ok|1|1|0",
              "in/mixed.zip|secret.json|unread|error|0|0|0",
              "in/zipcrypt.zip||archive|ok|0|0|0",
              "in/zipcrypt.zip|a/secret.json|unread|error|0|0|0",
              "in/zipcrypt.zip|b/also-secret.json|unread|error|0|0|0"};
  return e;
}

Expectation SymlinkLoop(const std::string& root) {
  WriteFile(root + "/in/loop/inside.json",
            Records({Record(3100, "2024-03-01T12:12:00Z", "CreateTrail")}));
  EXPECT_EQ(symlink("..", (root + "/in/loop/parent").c_str()), 0);
  EXPECT_EQ(symlink(".", (root + "/in/loop/self").c_str()), 0);
  EXPECT_EQ(symlink("ping", (root + "/in/loop/pong").c_str()), 0);
  EXPECT_EQ(symlink("pong", (root + "/in/loop/ping").c_str()), 0);
  Expectation e;
  e.errors = {Error("in/loop/parent", "", {}, {}, "io", "symbolic link loop"),
              Error("in/loop/ping", "", {}, {}, "io", "symbolic link loop"),
              Error("in/loop/pong", "", {}, {}, "io", "symbolic link loop"),
              Error("in/loop/self", "", {}, {}, "io", "symbolic link loop")};
  e.events = e.cfg_changes = 1;  // the file inside the loop counts once
  e.inputs = {"in/loop/inside.json||records|ok|1|1|0"};
  e.retried = 4;
  return e;
}

Expectation Unreadable(const std::string& root) {
  WriteFile(root + "/in/locked.json.gz",
            Gzip(Records({Record(3200, "2024-03-01T12:13:00Z", "A", "AccessDenied")})));
  EXPECT_EQ(chmod((root + "/in/locked.json.gz").c_str(), 0), 0);
  WriteFile(root + "/in/locked-dir/x.json",
            Records({Record(3201, "2024-03-01T12:13:00Z", "A", "AccessDenied")}));
  EXPECT_EQ(chmod((root + "/in/locked-dir").c_str(), 0), 0);
  Expectation e;
  e.errors = {Error("in/locked-dir", "", {}, {}, "io", "permission denied"),
              Error("in/locked.json.gz", "", {}, {}, "io", "permission denied")};
  e.retried = 2;
  e.needs_unreadable = true;
  return e;
}

const Case kCases[] = {
    {"TruncatedGzip", TruncatedGzip},
    {"GzipBomb", GzipBomb},
    {"TarBomb", TarBomb},
    {"ConcatenatedGzipMembers", ConcatenatedGzipMembers},
    {"EmptyFile", EmptyFile},
    {"NotGzipNamedGz", NotGzipNamedGz},
    {"DeepNesting", DeepNesting},
    {"HugeString", HugeString},
    {"InvalidUtf8", InvalidUtf8},
    {"DuplicateKeys", DuplicateKeys},
    {"RecordsNotAnArray", RecordsNotAnArray},
    {"BadEventTimes", BadEventTimes},
    {"HostileTarNames", HostileTarNames},
    {"EncryptedZip", EncryptedZip},
    {"SymlinkLoop", SymlinkLoop},
    {"Unreadable", Unreadable},
};

// ---------------------------------------------------------------------------------------------
// The fixture: good files, the scan, and the checks every case shares.

class HostileInputTest : public ::testing::Test {
 protected:
  // The good files: 7 events, 2 unauthorized calls, 2 CloudTrail changes, all at 09:0x.
  static constexpr std::uint64_t kGoodEvents = 7, kGoodUnauthorized = 2, kGoodCfgChanges = 2;

  void SetUp() override {
    fs::create_directories(t_ / "db");
    fs::create_directories(t_ / "cwd/a/b");
    WriteFile(t_ / "in/good/a.json.gz",
              Gzip(Records({Record(1, "2024-03-01T09:00:00Z", "GetObject", "AccessDenied"),
                            Record(2, "2024-03-01T09:01:00Z", "StopLogging"),
                            Record(3, "2024-03-01T09:02:00Z", "ListBuckets")})));
    WriteFile(
        t_ / "in/good/b.json",
        "[" + Record(4, "2024-03-01T09:03:00Z", "RunInstances", "Client.UnauthorizedOperation") +
            "," + Record(5, "2024-03-01T09:04:00Z", "DescribeInstances") + "]");
    WriteFile(t_ / "in/good/c.jsonl", Record(6, "2024-03-01T09:05:00Z", "ListUsers") + "\n" +
                                          Record(7, "2024-03-01T09:06:00Z", "CreateTrail") + "\n");
  }

  std::string Root() const { return t_.path(); }

  ScanOptions Options() const {
    ScanOptions options;
    options.paths = {t_ / "in"};
    options.db_path = t_ / "db/t.db";
    options.filters = metric::BuiltinFilters();
    options.threads = 2;
    options.max_document_bytes = document_limit_;
    options.version = "test";
    options.options_json = "{}";
    return options;
  }

  // One scan, run from root/cwd/a/b without the DAC override capabilities; warnings collected.
  // `during` runs on the first warning: discovery's warnings come before any file is read.
  ScanSummary Scan(const std::function<void()>& during = {}) {
    warnings_.clear();
    bool ran = false;
    ScanHooks hooks;
    hooks.warning = [&](const std::string& line) {
      warnings_.push_back(line);
      if (during && !ran) {
        ran = true;
        during();
      }
    };
    const WorkingDirectory cwd(t_ / "cwd/a/b");
    const DacOverrideDropped dac;
    auto result = RunScan(Options(), hooks);
    EXPECT_TRUE(result.has_value()) << (result ? "" : result.error().message);
    return result ? *result : ScanSummary{};
  }

  // Whether files can be made unreadable to the scans (not as root with CAP_DAC_OVERRIDE kept).
  bool CanMakeUnreadable() {
    const std::string probe = t_ / "probe";
    WriteFile(probe, "x");
    chmod(probe.c_str(), 0);
    bool refused = false;
    {
      const DacOverrideDropped dac;
      const int fd = open(probe.c_str(), O_RDONLY | O_CLOEXEC);
      refused = fd < 0;
      if (fd >= 0) close(fd);
    }
    fs::remove(probe);
    return refused;
  }

  // Rows of a query, columns joined by '|'; the test directory's path becomes "".
  std::vector<std::string> Query(const std::string& sql) {
    sqlite3* db = nullptr;
    std::vector<std::string> rows;
    EXPECT_EQ(sqlite3_open_v2((t_ / "db/t.db").c_str(), &db, SQLITE_OPEN_READONLY, nullptr),
              SQLITE_OK);
    trailreplay::store::RegisterRecordFunctions(db);  // the matches view reads raw
    sqlite3_stmt* stmt = nullptr;
    EXPECT_EQ(sqlite3_prepare_v2(db, sql.c_str(), -1, &stmt, nullptr), SQLITE_OK)
        << sql << ": " << sqlite3_errmsg(db);
    while (stmt != nullptr && sqlite3_step(stmt) == SQLITE_ROW) {
      std::string row;
      for (int c = 0; c < sqlite3_column_count(stmt); ++c) {
        if (c > 0) row += "|";
        if (sqlite3_column_type(stmt, c) == SQLITE_NULL) continue;
        const auto* bytes = static_cast<const char*>(sqlite3_column_blob(stmt, c));
        row.append(bytes != nullptr ? bytes : "",
                   static_cast<std::size_t>(sqlite3_column_bytes(stmt, c)));
      }
      rows.push_back(Relative(row));
    }
    sqlite3_finalize(stmt);
    sqlite3_close(db);
    return rows;
  }

  std::string Relative(std::string text) const {
    const std::string prefix = Root() + "/";
    for (std::size_t at; (at = text.find(prefix)) != std::string::npos;)
      text.erase(at, prefix.size());
    return text;
  }

  std::vector<std::string> Errors(std::int64_t scan_id) {
    return Query(
        "SELECT path, member, offset, record_index, kind, message FROM scan_errors WHERE "
        "scan_id = " +
        std::to_string(scan_id) + " ORDER BY path, member, record_index, kind, offset");
  }

  // Every table that holds what was counted (all but the run log and the error log), whole.
  std::vector<std::string> Contents() {
    std::vector<std::string> all;
    for (const std::string& table :
         Query("SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT IN "
               "('scans', 'scan_errors') AND name NOT LIKE 'sqlite_%' ORDER BY 1")) {
      const std::vector<std::string> columns =
          Query("SELECT count(*) FROM pragma_table_info('" + table + "')");
      std::string order = "1";
      for (int c = 2; c <= std::stoi(columns.at(0)); ++c) order += ", " + std::to_string(c);
      // A refused input's row is written again by every scan that refuses it (its scan_id).
      const std::string where = table == "inputs" ? " WHERE status <> 'refused'" : "";
      for (const std::string& row :
           Query("SELECT * FROM " + table + where + " ORDER BY " + order)) {
        all.push_back(table + ": " + row);
      }
    }
    return all;
  }

  // Files, directories and links under the test directory, with their type.
  std::set<std::string> Tree() const {
    std::set<std::string> tree;
    std::error_code ec;
    for (auto it = fs::recursive_directory_iterator(
             Root(), fs::directory_options::skip_permission_denied, ec);
         !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
      const fs::file_status status = it->symlink_status(ec);
      const char* type = fs::is_symlink(status)     ? "link"
                         : fs::is_directory(status) ? "dir"
                                                    : "file";
      tree.insert(Relative(it->path().string()) + " (" + type + ")");
    }
    return tree;
  }

  // The good files' ledger rows, matches and minutes.
  void ExpectGoodFilesCounted() {
    EXPECT_EQ(Query("SELECT path, member, kind, status, records, events, bad_records FROM inputs "
                    "WHERE path LIKE '%/in/good/%' ORDER BY 1"),
              (std::vector<std::string>{"in/good/a.json.gz||records|ok|3|3|0",
                                        "in/good/b.json||array|ok|2|2|0",
                                        "in/good/c.jsonl||lines|ok|2|2|0"}));
    EXPECT_EQ(
        Query("SELECT filter_name, count(*) FROM matches WHERE source_file LIKE "
              "'%/in/good/%' GROUP BY 1 ORDER BY 1"),
        (std::vector<std::string>{"cloudtrail_cfg_changes|" + std::to_string(kGoodCfgChanges),
                                  "unauthorized_api_calls|" + std::to_string(kGoodUnauthorized)}));
    // 2024-03-01T09:00..09:06, one event a minute.
    EXPECT_EQ(Query("SELECT count(*), sum(events) FROM minute_totals WHERE minute BETWEEN "
                    "1709283600 AND 1709284020 ORDER BY 1"),
              std::vector<std::string>{"7|7"});
    EXPECT_EQ(Query("SELECT count(*) FROM scan_errors WHERE path LIKE '%/in/good/%' ORDER BY 1"),
              std::vector<std::string>{"0"});
  }

  // Scans root/in (good files and whatever the cases wrote) and checks everything.
  // The scan's scan_errors rows are `expected`, in order, each with a warning naming the file.
  void ExpectErrors(std::int64_t scan_id, const std::vector<ErrorRow>& expected,
                    bool check_warnings = true) {
    const std::vector<std::string> rows = Errors(scan_id);
    bool same = rows.size() == expected.size();
    for (std::size_t i = 0; same && i < rows.size(); ++i) same = expected[i].Matches(rows[i]);
    std::string want;
    for (const ErrorRow& row : expected) want += "\n  " + row.ToString();
    std::string got;
    for (const std::string& row : rows) got += "\n  " + row;
    EXPECT_TRUE(same) << "scan_errors rows:" << got << "\nexpected:" << want;
    if (!check_warnings) return;
    EXPECT_EQ(warnings_.size(), expected.size());
    for (const ErrorRow& row : expected) {
      const std::string named =
          Root() + "/" + row.path + (row.member.empty() ? "" : " (member " + row.member + ")");
      EXPECT_TRUE(std::any_of(warnings_.begin(), warnings_.end(),
                              [&](const std::string& w) {
                                return w.starts_with(named) && GlobMatch("*: " + row.message, w);
                              }))
          << "no warning for " << row.ToString();
    }
  }

  std::vector<std::string> Inputs() {
    std::vector<std::string> rows = Query(
        "SELECT path, member, kind, status, records, events, bad_records FROM inputs WHERE "
        "path NOT LIKE '%/in/good/%' ORDER BY 1");
    std::sort(rows.begin(), rows.end());
    return rows;
  }

  // Scans root/in (good files and whatever the cases wrote) and checks everything.
  void ScanAndCheck(const std::vector<Expectation>& expected) {
    Expectation all;
    all.max_memory = 0;
    for (const Expectation& e : expected) {
      all.errors.insert(all.errors.end(), e.errors.begin(), e.errors.end());
      all.events += e.events;
      all.unauthorized += e.unauthorized;
      all.cfg_changes += e.cfg_changes;
      all.duplicates += e.duplicates;
      all.inputs.insert(all.inputs.end(), e.inputs.begin(), e.inputs.end());
      all.retried += e.retried;
      all.max_memory = std::max(all.max_memory, e.max_memory);
    }
    for (std::string& row : all.inputs) row = Relative(row);
    for (ErrorRow& row : all.errors) row.member = Relative(row.member);
    // As Errors() orders them.
    std::sort(all.errors.begin(), all.errors.end(), [](const ErrorRow& a, const ErrorRow& b) {
      return std::tie(a.path, a.member, a.record, a.kind, a.offset) <
             std::tie(b.path, b.member, b.record, b.kind, b.offset);
    });
    std::sort(all.inputs.begin(), all.inputs.end());

    const std::set<std::string> tree_before = Tree();
    ResetPeakMemory();
    const std::uint64_t memory_before = PeakMemory();
    const ScanSummary first = Scan();
    const std::uint64_t memory_peak = PeakMemory();
    EXPECT_LT(memory_peak - std::min(memory_peak, memory_before), all.max_memory)
        << "peak " << memory_peak / kMiB << " MiB, before " << memory_before / kMiB << " MiB";
    EXPECT_EQ(first.status, "complete");
    EXPECT_EQ(first.events, kGoodEvents + all.events);
    EXPECT_EQ(first.duplicates, all.duplicates);
    ASSERT_EQ(first.filters.size(), 2u);
    EXPECT_EQ(first.filters[0].matches, kGoodUnauthorized + all.unauthorized);
    EXPECT_EQ(first.filters[1].matches, kGoodCfgChanges + all.cfg_changes);
    EXPECT_EQ(first.errors, all.errors.size());
    ExpectErrors(first.scan_id, all.errors);
    EXPECT_EQ(Inputs(), all.inputs);
    ExpectGoodFilesCounted();
    EXPECT_EQ(Query("SELECT sum(events) FROM minute_totals ORDER BY 1"),
              std::vector<std::string>{std::to_string(kGoodEvents + all.events)});

    // Nothing but the database appeared anywhere under the test directory.
    std::set<std::string> created;
    for (const std::string& entry : Tree()) {
      if (!tree_before.count(entry)) created.insert(entry);
    }
    std::set<std::string> database;
    for (const std::string& entry : created) {
      if (entry.starts_with("db/t.db")) database.insert(entry);
    }
    EXPECT_EQ(created, database);
    EXPECT_TRUE(database.count("db/t.db (file)"));

    // A second scan adds nothing; only what could not be opened is tried (and reported) again.
    const std::vector<std::string> contents = Contents();
    const ScanSummary second = Scan();
    EXPECT_EQ(second.status, "complete");
    EXPECT_EQ(second.events, 0u);
    EXPECT_EQ(second.duplicates, 0u);
    EXPECT_EQ(second.records, 0u);
    EXPECT_EQ(second.errors, all.retried);
    EXPECT_EQ(Contents(), contents);
    std::vector<ErrorRow> retried;
    for (const ErrorRow& row : all.errors) {
      if (row.kind == "io" || row.kind == "limit") retried.push_back(row);
    }
    ExpectErrors(second.scan_id, retried);
  }

  TempDir t_;
  std::uint64_t document_limit_ = kDocumentLimit;
  std::vector<std::string> warnings_;
};

class HostileCaseTest : public HostileInputTest, public ::testing::WithParamInterface<Case> {};

TEST_P(HostileCaseTest, ReportedAndTheRestCountedExactly) {
  Expectation e = GetParam().make(Root());
  if (e.needs_unreadable && !CanMakeUnreadable()) {
    GTEST_SKIP() << "running as root with CAP_DAC_OVERRIDE that cannot be dropped";
  }
  ScanAndCheck({e});
}

INSTANTIATE_TEST_SUITE_P(Inputs, HostileCaseTest, ::testing::ValuesIn(kCases),
                         [](const ::testing::TestParamInfo<Case>& param_info) {
                           return std::string(param_info.param.name);
                         });

// All of them in one scan: what one worker met in a file must not leak into the next.
TEST_F(HostileInputTest, AllInOneScan) {
  const bool unreadable = CanMakeUnreadable();
  std::vector<Expectation> all;
  for (const Case& c : kCases) {
    if (std::string_view(c.name) == "HugeString" || std::string_view(c.name) == "GzipBomb") {
      continue;  // the slow two run on their own
    }
    Expectation e = c.make(Root());
    if (e.needs_unreadable && !unreadable) continue;
    all.push_back(std::move(e));
  }
  ScanAndCheck(all);
}

// The generator behind the bombs: its output is the gzip of the pieces.
TEST(GzipPiecesTest, DecodesToTheConcatenation) {
  const std::string gz = GzipPieces(
      {Text("head"), Repeat('x', 3 * kMiB + 5), Text(""), Repeat('\0', 7), Text("tail")});
  std::string out;
  ASSERT_TRUE(input::GunzipAll(gz, out, kGiB));
  EXPECT_EQ(out, "head" + std::string(3 * kMiB + 5, 'x') + std::string(7, '\0') + "tail");
  EXPECT_LT(gz.size(), 8000u);
  // A limit below the total stops the decoder there (the bombs' premise).
  const std::string bomb = GzipPieces({Repeat('\0', 2 * kGiB)});
  EXPECT_LT(bomb.size(), 3 * kMiB);
  const Result<void> r = input::GunzipAll(bomb, out, 4 * kMiB);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kLimit);
}

// Whole documents back to back, as `cat a.json.gz b.json.gz` (a valid multi-member gzip file)
// or `zcat *.json.gz > all.json` make them: every document's records are counted, and data
// after the last document that is not JSON is a "json" error at its offset. (Regression: the
// stream once ended at the first array and lost the rest without a word.)
TEST_F(HostileInputTest, ConcatenatedDocumentsAreAllCounted) {
  const std::string a = Record(2300, "2024-03-01T12:04:00Z", "GetObject", "AccessDenied");
  const std::string b = Record(2301, "2024-03-01T12:04:00Z", "DeleteTrail");
  const std::string c = Record(2302, "2024-03-01T12:04:00Z", "GetObject", "AccessDenied");
  const std::string d = Record(2303, "2024-03-01T12:04:00Z", "DeleteTrail");
  const std::string e = Record(2304, "2024-03-01T12:04:00Z", "GetObject", "AccessDenied");
  const std::string f = Record(2305, "2024-03-01T12:04:00Z", "DeleteTrail");
  const std::string g = Record(2306, "2024-03-01T12:04:00Z", "GetObject", "AccessDenied");
  WriteFile(t_ / "in/two-logs.json.gz", Gzip(Records({a})) + Gzip(Records({b})));
  WriteFile(t_ / "in/two-logs.json", Records({c}) + "\n" + Records({d}) + "\n");
  WriteFile(t_ / "in/two-arrays.json", "[" + e + "][" + f + "]");
  WriteFile(t_ / "in/trailing.json", Records({g}) + " trailing garbage");
  Expectation expected;
  expected.events = 7;
  expected.unauthorized = 4;
  expected.cfg_changes = 3;
  expected.errors = {Error("in/trailing.json", "",
                           static_cast<std::int64_t>(Records({g}).size() + 1), {}, "json", "*")};
  expected.inputs = {"in/trailing.json||records|partial|1|1|0",
                     "in/two-arrays.json||array|ok|2|2|0", "in/two-logs.json||records|ok|2|2|0",
                     "in/two-logs.json.gz||records|ok|2|2|0"};
  ScanAndCheck({expected});
}

// A gzip trailer's ISIZE (the last 4 bytes) sizes the first output buffer only within a ratio
// the compressed size allows: a truncated file's last 4 bytes are arbitrary, and a crafted
// trailer can claim 4 GiB. Memory stays in proportion to what the data decodes to.
// (Regression: a first libdeflate version zero-filled a buffer of ISIZE bytes before decoding.)
TEST_F(HostileInputTest, SmallCorruptGzipStaysSmallInMemory) {
  document_limit_ = kGiB;
  std::string lying = Gzip(Records({Record(3300, "2024-03-01T12:14:00Z", "A", "AccessDenied")}));
  lying.replace(lying.size() - 4, 4, "\xff\xff\xff\xff");
  WriteFile(t_ / "in/lying-trailer.json.gz", lying);
  // A cut whose last 4 bytes read as more than 512 MiB.
  std::vector<std::string> records;
  for (int i = 0; i < 50; ++i) records.push_back(Record(3400 + i, "2024-03-01T12:15:00Z", "B"));
  const std::string whole = Gzip(Records(records));
  std::size_t cut = whole.size() / 2;
  auto last4 = [&](std::size_t end) {
    std::uint32_t v = 0;
    for (std::size_t i = 0; i < 4; ++i) {
      v |= std::uint32_t{static_cast<unsigned char>(whole[end - 4 + i])} << (8 * i);
    }
    return v;
  };
  while (cut > 20 && last4(cut) < (512u << 20)) --cut;
  ASSERT_GT(cut, 20u);
  WriteFile(t_ / "in/truncated.json.gz", whole.substr(0, cut));

  ResetPeakMemory();
  const std::uint64_t before = PeakMemory();
  const ScanSummary summary = Scan();
  const std::uint64_t peak = PeakMemory();
  EXPECT_LT(peak - std::min(peak, before), 64 * kMiB)
      << "peak " << peak / kMiB << " MiB, before " << before / kMiB << " MiB";
  EXPECT_EQ(
      Query("SELECT path, kind FROM scan_errors ORDER BY 1"),
      (std::vector<std::string>{"in/lying-trailer.json.gz|gzip", "in/truncated.json.gz|gzip"}));
  EXPECT_GE(summary.events, kGoodEvents + 1);
  ExpectGoodFilesCounted();
}

// A small tar.gz whose member inflates to 900 MiB: the scanner inflates a small gzip file
// before sniffing it, but only its first 16 MiB at first, so the tar is known, and the member
// read a window at a time is told not JSON from its first window, with memory a few windows.
// (Regression: commit 0f51345 inflated it to the document limit first.)
TEST_F(HostileInputTest, SmallTarGzBombIsNotInflatedWhole) {
  document_limit_ = 512 * kMiB;
  const std::string good = Records({Record(3500, "2024-03-01T12:16:00Z", "CreateTrail")});
  std::string good_member = TarHeader("good.json", good.size()) + good;
  good_member.resize((good_member.size() + 511) / 512 * 512, '\0');
  const std::string bomb = GzipPieces(
      {Text(good_member + TarHeader("huge.json", 900 * kMiB)), Repeat('\0', 900 * kMiB + 1024)});
  ASSERT_LT(bomb.size(), kMiB);
  WriteFile(t_ / "in/bomb.tar.gz", bomb);

  ResetPeakMemory();
  const std::uint64_t before = PeakMemory();
  const ScanSummary summary = Scan();
  const std::uint64_t peak = PeakMemory();
  EXPECT_LT(peak - std::min(peak, before), 96 * kMiB)
      << "peak " << peak / kMiB << " MiB, before " << before / kMiB << " MiB";
  EXPECT_EQ(summary.events, kGoodEvents + 1);
  EXPECT_EQ(Errors(summary.scan_id),
            std::vector<std::string>{"in/bomb.tar.gz|huge.json|0||format|not JSON (starts "
                                     "with '................')"});
  ExpectGoodFilesCounted();
}

// A file that changes between discovery (which lists its size and mtime) and reading: what
// was read is counted, once, with a "changed" row; the ledger keeps the size and mtime of what
// was read, so the next scan does not read it again.
class ChangingFileTest : public HostileInputTest {
 protected:
  void WriteLines(const std::vector<std::string>& lines) {
    std::string text;
    for (const std::string& line : lines) text += line + "\n";
    WriteFile(t_ / "in/changing.jsonl", text);
  }
};

TEST_F(ChangingFileTest, GrowsBeforeItIsRead) {
  const std::string r1 = Record(4000, "2024-03-01T12:20:00Z", "A", "AccessDenied");
  const std::string r2 = Record(4001, "2024-03-01T12:20:00Z", "B");
  const std::string r3 = Record(4002, "2024-03-01T12:20:00Z", "StopLogging");
  WriteLines({r1, r2});
  // A broken link: discovery reports it before any file is read, which is when the file grows.
  ASSERT_EQ(symlink("missing", (t_ / "in/0-broken.json").c_str()), 0);
  const ScanSummary first = Scan([&] { WriteLines({r1, r2, r3}); });
  EXPECT_EQ(first.events, kGoodEvents + 3);
  EXPECT_EQ(first.filters[0].matches, kGoodUnauthorized + 1);
  EXPECT_EQ(first.filters[1].matches, kGoodCfgChanges + 1);
  const std::string grown = std::to_string(r1.size() + r2.size() + r3.size() + 3);
  EXPECT_EQ(
      Errors(first.scan_id),
      (std::vector<std::string>{"in/0-broken.json||||io|broken symbolic link",
                                "in/changing.jsonl||||changed|changed during the scan (listed at " +
                                    std::to_string(r1.size() + r2.size() + 2) + " bytes, read at " +
                                    grown + " bytes): its content as read is counted"}));
  EXPECT_EQ(Query("SELECT size FROM inputs WHERE path LIKE '%/in/changing.jsonl'"),
            std::vector<std::string>{grown});
  ExpectGoodFilesCounted();

  const ScanSummary second = Scan();
  EXPECT_EQ(second.inputs_read, 0u);
  EXPECT_EQ(second.events, 0u);
  EXPECT_EQ(Query("SELECT sum(events) FROM minute_totals ORDER BY 1"),
            std::vector<std::string>{std::to_string(kGoodEvents + 3)});
  EXPECT_EQ(Query("SELECT filter_name, count(*) FROM matches GROUP BY 1 ORDER BY 1"),
            (std::vector<std::string>{"cloudtrail_cfg_changes|3", "unauthorized_api_calls|3"}));
  EXPECT_EQ(Query("SELECT events FROM inputs WHERE path LIKE '%/in/changing.jsonl' ORDER BY 1"),
            std::vector<std::string>{"3"});
  // Nothing more happens on a third scan.
  const ScanSummary third = Scan();
  EXPECT_EQ(third.inputs_read, 0u);
  EXPECT_EQ(third.events, 0u);
}

TEST_F(ChangingFileTest, ShrinksBeforeItIsRead) {
  const std::string r1 = Record(4100, "2024-03-01T12:21:00Z", "A", "AccessDenied");
  const std::string r2 = Record(4101, "2024-03-01T12:21:00Z", "StopLogging");
  WriteLines({r1, r2});
  ASSERT_EQ(symlink("missing", (t_ / "in/0-broken.json").c_str()), 0);
  // Cut in the middle of the second line, as a copy-truncate log rotation can leave it.
  const std::string cut = r1 + "\n" + r2.substr(0, r2.size() / 2);
  const ScanSummary first = Scan([&] { WriteFile(t_ / "in/changing.jsonl", cut); });
  EXPECT_EQ(first.events, kGoodEvents + 1);
  EXPECT_EQ(first.filters[0].matches, kGoodUnauthorized + 1);
  EXPECT_EQ(first.filters[1].matches, kGoodCfgChanges);
  const std::vector<std::string> errors = Errors(first.scan_id);
  ASSERT_EQ(errors.size(), 3u);
  EXPECT_EQ(errors[0], "in/0-broken.json||||io|broken symbolic link");
  EXPECT_EQ(errors[1], "in/changing.jsonl||||changed|changed during the scan (listed at " +
                           std::to_string(r1.size() + r2.size() + 2) + " bytes, read at " +
                           std::to_string(cut.size()) + " bytes): its content as read is counted");
  // JSON Lines: the line cut short ends the document.
  EXPECT_EQ(errors[2], "in/changing.jsonl||" + std::to_string(r1.size() + 1) +
                           "||json|truncated document: unterminated object starting at byte " +
                           std::to_string(r1.size() + 1));
  ExpectGoodFilesCounted();

  const ScanSummary second = Scan();
  EXPECT_EQ(second.inputs_read, 0u);
  EXPECT_EQ(second.events, 0u);
  EXPECT_EQ(Query("SELECT sum(events) FROM minute_totals ORDER BY 1"),
            std::vector<std::string>{std::to_string(kGoodEvents + 1)});
  const ScanSummary third = Scan();
  EXPECT_EQ(third.inputs_read, 0u);
}

// Records without an eventID (JSON Lines from other tools) have no duplicate check to fall back
// on: a changed file must not be read twice. (Before the ledger kept the file as read, the
// second scan read it again and 3 events became 6.)
TEST_F(ChangingFileTest, ChangeIsReportedAndRecordsWithoutEventIdCountOnce) {
  const std::string line = R"({"eventTime":"2024-03-01T12:22:00Z","errorCode":"AccessDenied"})";
  WriteLines({line, line});
  ASSERT_EQ(symlink("missing", (t_ / "in/0-broken.json").c_str()), 0);
  const ScanSummary first = Scan([&] { WriteLines({line, line, line}); });
  EXPECT_EQ(first.events, kGoodEvents + 3);
  const std::vector<std::string> errors = Errors(first.scan_id);
  EXPECT_EQ(errors.size(), 2u);
  EXPECT_TRUE(std::any_of(errors.begin(), errors.end(), [](const std::string& row) {
    return row.starts_with("in/changing.jsonl|") && row.find("changed") != std::string::npos;
  })) << "no row says in/changing.jsonl changed while it was read";

  const ScanSummary second = Scan();
  EXPECT_EQ(second.inputs_read, 0u);
  EXPECT_EQ(Query("SELECT sum(events) FROM minute_totals ORDER BY 1"),
            std::vector<std::string>{std::to_string(kGoodEvents + 3)});
  EXPECT_EQ(Query("SELECT sum(matches) FROM buckets WHERE filter_name = "
                  "'unauthorized_api_calls' ORDER BY 1"),
            std::vector<std::string>{std::to_string(kGoodUnauthorized + 3)});
}

}  // namespace
}  // namespace trailreplay::scan

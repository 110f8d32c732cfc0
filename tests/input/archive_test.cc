#include "input/archive.h"
#include "support/dac_override.h"
#include "support/files.h"

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <clocale>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <optional>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "input/gzip.h"

namespace trailreplay::input {
namespace {

using test::Gzip;
using test::TempDir;

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream content;
  content << in.rdbuf();
  return content.str();
}

std::string RandomText(std::size_t size, unsigned seed) {
  std::mt19937 rng(seed);
  std::string text(size, ' ');
  for (char& c : text) c = static_cast<char>('a' + rng() % 26);
  return text;
}

std::string Records(int n) {
  std::string json = "{\"Records\":[";
  for (int i = 0; i < n; ++i) {
    json += (i > 0 ? ",{\"eventID\":\"" : "{\"eventID\":\"") + std::to_string(i) + "\"}";
  }
  return json + "]}";
}

enum class Type { kFile, kDirectory, kSymlink, kHardlink };

struct Spec {
  std::string name;
  std::string data;
  Type type = Type::kFile;
  std::string link;  // target of a symbolic or hard link
};

struct WriteOptions {
  std::string format = "paxr";       // archive_write_set_format_by_name
  std::vector<std::string> filters;  // archive_write_add_filter_by_name, in order
  std::string options;               // archive_write_set_options, when not empty
  std::string passphrase;
};

// Writes an archive with libarchive's writer; false (with a message) when this build of
// libarchive rejects the options.
bool WriteArchive(const std::string& path, const std::vector<Spec>& specs,
                  const WriteOptions& opts = {}, std::string* why = nullptr) {
  archive* a = archive_write_new();
  auto fail = [&](const char* step) {
    if (why != nullptr) {
      *why = std::string(step) + ": " +
             (archive_error_string(a) != nullptr ? archive_error_string(a) : "?");
    }
    archive_write_free(a);
    return false;
  };
  if (archive_write_set_format_by_name(a, opts.format.c_str()) != ARCHIVE_OK) return fail("format");
  for (const std::string& filter : opts.filters) {
    if (archive_write_add_filter_by_name(a, filter.c_str()) != ARCHIVE_OK) return fail("filter");
  }
  if (!opts.options.empty() && archive_write_set_options(a, opts.options.c_str()) != ARCHIVE_OK) {
    return fail("options");
  }
  if (!opts.passphrase.empty() &&
      archive_write_set_passphrase(a, opts.passphrase.c_str()) != ARCHIVE_OK) {
    return fail("passphrase");
  }
  if (archive_write_open_filename(a, path.c_str()) != ARCHIVE_OK) return fail("open");
  for (const Spec& spec : specs) {
    archive_entry* e = archive_entry_new();
    archive_entry_set_pathname(e, spec.name.c_str());
    archive_entry_set_mtime(e, 1700000000, 0);
    switch (spec.type) {
      case Type::kFile:
        archive_entry_set_filetype(e, AE_IFREG);
        archive_entry_set_perm(e, 0644);
        archive_entry_set_size(e, static_cast<la_int64_t>(spec.data.size()));
        break;
      case Type::kDirectory:
        archive_entry_set_filetype(e, AE_IFDIR);
        archive_entry_set_perm(e, 0755);
        archive_entry_set_size(e, 0);
        break;
      case Type::kSymlink:
        archive_entry_set_filetype(e, AE_IFLNK);
        archive_entry_set_perm(e, 0777);
        archive_entry_set_symlink(e, spec.link.c_str());
        archive_entry_set_size(e, 0);
        break;
      case Type::kHardlink:
        archive_entry_set_filetype(e, AE_IFREG);
        archive_entry_set_perm(e, 0644);
        archive_entry_set_hardlink(e, spec.link.c_str());
        archive_entry_set_size(e, 0);
        break;
    }
    const int rc = archive_write_header(a, e);
    archive_entry_free(e);
    if (rc != ARCHIVE_OK && rc != ARCHIVE_WARN) return fail("header");
    if (!spec.data.empty() && archive_write_data(a, spec.data.data(), spec.data.size()) !=
                                  static_cast<la_ssize_t>(spec.data.size())) {
      return fail("data");
    }
  }
  if (archive_write_close(a) != ARCHIVE_OK) return fail("close");
  archive_write_free(a);
  return true;
}

// What a reader saw: one line per entry, and the data of the regular ones.
struct Seen {
  std::vector<std::string> lines;
  std::vector<std::string> data;
  std::vector<std::string> errors;
};

Seen ReadAllFrom(Result<ArchiveReader> reader, std::uint64_t max_bytes = 1 << 30) {
  Seen seen;
  if (!reader) {
    seen.errors.push_back("open: " + reader.error().message);
    return seen;
  }
  Member m;
  for (int guard = 0; guard < 10000; ++guard) {
    Result<bool> next = reader->Next(m);
    if (!next) {
      seen.errors.push_back("next: " + next.error().message);
      return seen;
    }
    if (!*next) return seen;
    std::string line = std::to_string(m.index) + " " + m.name;
    if (!m.regular) {
      seen.lines.push_back(line + " skipped: " + m.skip_reason);
      continue;
    }
    seen.lines.push_back(line + " (" + std::to_string(m.size) + ")");
    std::string data;
    Result<void> r = reader->ReadData(data, max_bytes);
    if (!r) {
      seen.errors.push_back(m.name + ": " + r.error().message);
    } else {
      seen.data.push_back(data);
    }
  }
  ADD_FAILURE() << "reader does not end";
  return seen;
}

Seen ReadAll(const std::string& path, std::uint64_t max_bytes = 1 << 30) {
  return ReadAllFrom(ArchiveReader::Open(path), max_bytes);
}

// The file's content, sniffed and read from memory, gives what reading the file gave.
void ExpectSameFromMemory(const std::string& path, const Seen& from_file) {
  const std::string bytes = ReadFile(path);
  EXPECT_EQ(SniffContainerBytes(bytes), ContainerKind::kArchive);
  const Seen seen = ReadAllFrom(ArchiveReader::OpenMemory(bytes));
  EXPECT_EQ(seen.lines, from_file.lines);
  EXPECT_EQ(seen.data, from_file.data);
  EXPECT_EQ(seen.errors, from_file.errors);
}

using Strings = std::vector<std::string>;

// The members every format test writes, and what reading them gives.
std::vector<Spec> MixedMembers(const std::string& nested_gz) {
  return {
      {"AWSLogs/", "", Type::kDirectory, ""},
      {"AWSLogs/a.json", Records(3), Type::kFile, ""},
      {"link.json", "", Type::kSymlink, "AWSLogs/a.json"},
      {"../escape.json", "{\"escape\":true}", Type::kFile, ""},
      {"/etc/x.json", "{\"absolute\":true}", Type::kFile, ""},
      {"nested/x.json.gz", nested_gz, Type::kFile, ""},
      {"empty.json", "", Type::kFile, ""},
  };
}

TEST(ArchiveReaderTest, MixedMembersInEveryTarFlavour) {
  TempDir t;
  const std::string inner = Records(40);
  const std::string nested_gz = Gzip(inner);
  struct Flavour {
    const char* format;
    std::vector<std::string> filters;
  };
  const Flavour flavours[] = {
      {"paxr", {}},         {"paxr", {"gzip"}}, {"paxr", {"bzip2"}}, {"paxr", {"xz"}},
      {"gnutar", {"gzip"}}, {"ustar", {}},      {"paxr", {"zstd"}},
  };
  for (const Flavour& flavour : flavours) {
    std::string label = flavour.format;
    for (const std::string& f : flavour.filters) label += "+" + f;
    SCOPED_TRACE(label);
    const std::string path = t / "mixed.tar";
    std::string why;
    std::vector<Spec> specs = MixedMembers(nested_gz);
    specs.push_back({"hard.json", "", Type::kHardlink, "AWSLogs/a.json"});
    if (!WriteArchive(path, specs, {flavour.format, flavour.filters, "", ""}, &why)) {
      // zstd support is a build option of libarchive.
      ASSERT_EQ(flavour.filters, Strings{"zstd"}) << why;
      continue;
    }
    const Result<ContainerKind> kind = SniffContainer(path);
    ASSERT_TRUE(kind) << kind.error().message;
    EXPECT_EQ(*kind, ContainerKind::kArchive);

    const Seen seen = ReadAll(path);
    ExpectSameFromMemory(path, seen);
    EXPECT_EQ(seen.errors, Strings{});
    EXPECT_EQ(seen.lines, (Strings{
                              "0 AWSLogs/ skipped: directory",
                              "1 AWSLogs/a.json (" + std::to_string(Records(3).size()) + ")",
                              "2 link.json skipped: symbolic link",
                              "3 ../escape.json (15)",
                              "4 /etc/x.json (17)",
                              "5 nested/x.json.gz (" + std::to_string(nested_gz.size()) + ")",
                              "6 empty.json (0)",
                              "7 hard.json skipped: hard link",
                          }));
    ASSERT_EQ(seen.data.size(), 5u);
    EXPECT_EQ(seen.data[0], Records(3));
    EXPECT_EQ(seen.data[1], "{\"escape\":true}");
    EXPECT_EQ(seen.data[2], "{\"absolute\":true}");
    // A nested gzip member comes back still compressed; decoding it is the caller's choice.
    EXPECT_EQ(seen.data[3], nested_gz);
    std::string decoded;
    ASSERT_TRUE(GunzipAll(seen.data[3], decoded, 1 << 20));
    EXPECT_EQ(decoded, inner);
    EXPECT_EQ(seen.data[4], "");
  }
  // Nothing was ever written next to the archive or above it.
  EXPECT_FALSE(std::filesystem::exists(t / "../escape.json"));
  EXPECT_FALSE(std::filesystem::exists(t / "AWSLogs"));
}

TEST(ArchiveReaderTest, ZipAndSevenZip) {
  TempDir t;
  const std::string nested_gz = Gzip(Records(5));
  for (const char* format : {"zip", "7zip"}) {
    SCOPED_TRACE(format);
    const std::string path = t / (std::string("mixed.") + format);
    std::vector<Spec> specs = MixedMembers(nested_gz);
    std::string why;
    ASSERT_TRUE(WriteArchive(path, specs, {format, {}, "", ""}, &why)) << why;
    const Result<ContainerKind> kind = SniffContainer(path);
    ASSERT_TRUE(kind);
    EXPECT_EQ(*kind, ContainerKind::kArchive);

    const Seen seen = ReadAll(path);
    ExpectSameFromMemory(path, seen);
    EXPECT_EQ(seen.errors, Strings{});
    const std::string sizes[] = {std::to_string(Records(3).size()),
                                 std::to_string(nested_gz.size())};
    if (std::string_view(format) == "zip") {
      EXPECT_EQ(seen.lines, (Strings{
                                "0 AWSLogs/ skipped: directory",
                                "1 AWSLogs/a.json (" + sizes[0] + ")",
                                "2 link.json skipped: symbolic link",
                                "3 ../escape.json (15)",
                                "4 /etc/x.json (17)",
                                "5 nested/x.json.gz (" + sizes[1] + ")",
                                "6 empty.json (0)",
                            }));
    } else {
      // libarchive's 7z writer stores directories after the files.
      EXPECT_EQ(seen.lines, (Strings{
                                "0 AWSLogs/a.json (" + sizes[0] + ")",
                                "1 link.json skipped: symbolic link",
                                "2 ../escape.json (15)",
                                "3 /etc/x.json (17)",
                                "4 nested/x.json.gz (" + sizes[1] + ")",
                                "5 empty.json (0)",
                                "6 AWSLogs/ skipped: directory",
                            }));
    }
    ASSERT_EQ(seen.data.size(), 5u);
    EXPECT_EQ(seen.data[0], Records(3));
    EXPECT_EQ(seen.data[1], "{\"escape\":true}");
    EXPECT_EQ(seen.data[2], "{\"absolute\":true}");
    EXPECT_EQ(seen.data[3], nested_gz);
    EXPECT_EQ(seen.data[4], "");
  }
}

// Names outside ASCII come back byte for byte. tar and zip need nothing from the locale; 7z
// stores UTF-16 names, which libarchive converts only under a UTF-8 LC_CTYPE (in the "C" locale
// it warns and gives no name), so the program is expected to select one at startup.
TEST(ArchiveReaderTest, NonAsciiNames) {
  TempDir t;
  const std::string name = "r\xc3\xa9gion/\xe6\x97\xa5\xe6\x9c\xac.json";
  for (const char* format : {"paxr", "ustar", "zip", "7zip"}) {
    SCOPED_TRACE(format);
    const bool utf8_locale = std::string_view(format) == "7zip";
    if (utf8_locale && std::setlocale(LC_CTYPE, "C.UTF-8") == nullptr) {
      std::cerr << "no C.UTF-8 locale: 7z names not tested\n";
      continue;
    }
    const std::string path = t / "names";
    std::string why;
    const bool written =
        WriteArchive(path, {{name, "{}", Type::kFile, ""}}, {format, {}, "", ""}, &why);
    const Seen seen = written ? ReadAll(path) : Seen{};
    if (utf8_locale) std::setlocale(LC_CTYPE, "C");
    ASSERT_TRUE(written) << why;
    EXPECT_EQ(seen.errors, Strings{});
    EXPECT_EQ(seen.lines, Strings{"0 " + name + " (2)"});
  }
}

TEST(ArchiveReaderTest, EmptyArchives) {
  TempDir t;
  for (const char* format : {"zip", "paxr"}) {
    SCOPED_TRACE(format);
    const std::string path = t / "empty";
    ASSERT_TRUE(WriteArchive(path, {}, {format, {}, "", ""}));
    Result<ArchiveReader> reader = ArchiveReader::Open(path);
    ASSERT_TRUE(reader) << reader.error().message;
    Member m;
    Result<bool> next = reader->Next(m);
    ASSERT_TRUE(next) << next.error().message;
    EXPECT_FALSE(*next);
    // At the end, Next keeps saying so.
    next = reader->Next(m);
    ASSERT_TRUE(next);
    EXPECT_FALSE(*next);
  }
  ASSERT_TRUE(WriteArchive(t / "empty.zip", {}, {"zip", {}, "", ""}));
  EXPECT_TRUE(ReadFile(t / "empty.zip").starts_with("PK\x05\x06"));
  EXPECT_EQ(SniffContainer(t / "empty.zip").value(), ContainerKind::kArchive);
}

TEST(ArchiveReaderTest, MembersCanBeSkippedWithoutReading) {
  TempDir t;
  const std::string path = t / "a.tar.gz";
  std::vector<Spec> specs;
  for (unsigned i = 0; i < 20; ++i) {
    specs.push_back({"m" + std::to_string(i) + ".json", RandomText(5000, i), Type::kFile, ""});
  }
  ASSERT_TRUE(WriteArchive(path, specs, {"paxr", {"gzip"}, "", ""}));
  Result<ArchiveReader> reader = ArchiveReader::Open(path);
  ASSERT_TRUE(reader);
  Member m;
  std::uint64_t count = 0;
  std::uint64_t last_position = 0;
  while (true) {
    Result<bool> next = reader->Next(m);
    ASSERT_TRUE(next);
    if (!*next) break;
    EXPECT_EQ(m.index, count);
    EXPECT_EQ(m.name, "m" + std::to_string(count) + ".json");
    EXPECT_EQ(m.size, 5000u);
    EXPECT_GE(reader->position(), last_position);
    last_position = reader->position();
    // Read every third member only.
    if (count % 3 == 0) {
      std::string data;
      ASSERT_TRUE(reader->ReadData(data, 1 << 20));
      EXPECT_EQ(data, RandomText(5000, static_cast<unsigned>(count)));
    }
    ++count;
  }
  EXPECT_EQ(count, 20u);
  EXPECT_GT(reader->position(), 0u);
  EXPECT_LE(reader->position(), std::filesystem::file_size(path));
}

TEST(ArchiveReaderTest, MemberLimit) {
  TempDir t;
  for (const char* format : {"paxr", "zip"}) {
    SCOPED_TRACE(format);
    const std::string path = t / "limit";
    ASSERT_TRUE(WriteArchive(path,
                             {{"big.json", std::string(100 * 1024, 'x'), Type::kFile, ""},
                              {"small.json", "{}", Type::kFile, ""},
                              {"exact.json", std::string(10240, 'y'), Type::kFile, ""}},
                             {format, {"gzip"}, "", ""}));
    const Seen seen = ReadAll(path, 10240);
    EXPECT_EQ(seen.errors, Strings{"big.json: member exceeds the limit of 10240 bytes"});
    ASSERT_EQ(seen.data.size(), 2u);
    EXPECT_EQ(seen.data[0], "{}");
    EXPECT_EQ(seen.data[1], std::string(10240, 'y'));

    Result<ArchiveReader> reader = ArchiveReader::Open(path);
    ASSERT_TRUE(reader);
    Member m;
    ASSERT_TRUE(reader->Next(m).value());
    std::string data;
    const Result<void> r = reader->ReadData(data, 10240);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, ErrorCode::kLimit);
    EXPECT_LE(data.size(), 10240u);
  }
}

TEST(ArchiveReaderTest, ReadDataMisuse) {
  TempDir t;
  const std::string path = t / "a.tar";
  ASSERT_TRUE(
      WriteArchive(path, {{"d/", "", Type::kDirectory, ""}, {"f.json", "{}", Type::kFile, ""}}));
  Result<ArchiveReader> reader = ArchiveReader::Open(path);
  ASSERT_TRUE(reader);
  std::string data;
  EXPECT_EQ(reader->ReadData(data, 100).error().code, ErrorCode::kInvalidArgument);
  Member m;
  ASSERT_TRUE(reader->Next(m).value());
  EXPECT_FALSE(m.regular);
  EXPECT_EQ(reader->ReadData(data, 100).error().code, ErrorCode::kInvalidArgument);
  ASSERT_TRUE(reader->Next(m).value());
  ASSERT_TRUE(reader->ReadData(data, 100));
  EXPECT_EQ(data, "{}");
  EXPECT_EQ(reader->ReadData(data, 100).error().code, ErrorCode::kInvalidArgument);
  EXPECT_FALSE(reader->Next(m).value());
}

TEST(ArchiveReaderTest, ReaderIsMovable) {
  TempDir t;
  const std::string path = t / "a.tar";
  ASSERT_TRUE(
      WriteArchive(path, {{"1.json", "1", Type::kFile, ""}, {"2.json", "2", Type::kFile, ""}}));
  Result<ArchiveReader> opened = ArchiveReader::Open(path);
  ASSERT_TRUE(opened);
  ArchiveReader reader = std::move(opened).value();
  Member m;
  ASSERT_TRUE(reader.Next(m).value());
  ArchiveReader moved(std::move(reader));
  std::string data;
  ASSERT_TRUE(moved.ReadData(data, 10));
  EXPECT_EQ(data, "1");
  ArchiveReader assigned = std::move(moved);
  ASSERT_TRUE(assigned.Next(m).value());
  EXPECT_EQ(m.name, "2.json");
}

TEST(ArchiveReaderTest, EncryptedZipMembers) {
  TempDir t;
  int tested = 0;
  for (const char* encryption : {"zipcrypt", "aes256"}) {
    SCOPED_TRACE(encryption);
    const std::string path = t / "enc.zip";
    std::string why;
    if (!WriteArchive(path,
                      {{"secret1.json", Records(2), Type::kFile, ""},
                       {"secret2.json", Records(3), Type::kFile, ""}},
                      {"zip", {}, std::string("zip:encryption=") + encryption, "hunter2"}, &why)) {
      std::cerr << "libarchive cannot write " << encryption << " zips here: " << why << "\n";
      continue;
    }
    ++tested;
    EXPECT_EQ(SniffContainer(path).value(), ContainerKind::kArchive);
    const Seen seen = ReadAll(path);
    ExpectSameFromMemory(path, seen);
    EXPECT_EQ(seen.lines, (Strings{"0 secret1.json (" + std::to_string(Records(2).size()) + ")",
                                   "1 secret2.json (" + std::to_string(Records(3).size()) + ")"}));
    EXPECT_EQ(seen.errors,
              (Strings{"secret1.json: encrypted member", "secret2.json: encrypted member"}));
    EXPECT_TRUE(seen.data.empty());

    Result<ArchiveReader> reader = ArchiveReader::Open(path);
    ASSERT_TRUE(reader);
    Member m;
    ASSERT_TRUE(reader->Next(m).value());
    std::string data;
    const Result<void> r = reader->ReadData(data, 1 << 20);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, ErrorCode::kInvalidInput);
  }
  if (tested == 0) GTEST_SKIP() << "this libarchive cannot write encrypted zip members";
}

// Cut anywhere, a tar.gz gives an error with a message from Open, Next or ReadData (never a
// crash, never a hang), after the members that were complete.
TEST(ArchiveReaderTest, TruncatedTarGz) {
  TempDir t;
  const std::string path = t / "whole.tar.gz";
  std::vector<Spec> specs;
  for (unsigned i = 0; i < 16; ++i) {
    specs.push_back(
        {"m" + std::to_string(i) + ".json", RandomText(20000, 100 + i), Type::kFile, ""});
  }
  ASSERT_TRUE(WriteArchive(path, specs, {"paxr", {"gzip"}, "", ""}));
  const std::string whole = ReadFile(path);
  for (int percent : {5, 20, 33, 50, 66, 80, 95, 99}) {
    SCOPED_TRACE(percent);
    const std::string cut = t.Write(
        "cut.tar.gz", whole.substr(0, whole.size() * static_cast<std::size_t>(percent) / 100));
    const Seen seen = ReadAll(cut);
    ASSERT_FALSE(seen.errors.empty()) << testing::PrintToString(seen.lines);
    EXPECT_NE(seen.errors.back().find("truncated"), std::string::npos) << seen.errors.back();
    // libarchive reads 64 KiB of decompressed data ahead, so a cut near the start fails at
    // Open; later cuts keep the members before them.
    if (percent >= 50) {
      EXPECT_GE(seen.data.size(), 4u);
    }
    for (std::size_t i = 0; i < seen.data.size(); ++i) {
      EXPECT_EQ(seen.data[i], specs[i].data);
    }
  }
  {
    // The middle cut, step by step: the error comes with an offset.
    t.Write("half.tar.gz", whole.substr(0, whole.size() / 2));
    Result<ArchiveReader> reader = ArchiveReader::Open(t / "half.tar.gz");
    ASSERT_TRUE(reader) << reader.error().message;
    Member m;
    std::string data;
    std::optional<Error> error;
    for (int guard = 0; guard < 100 && !error; ++guard) {
      Result<bool> next = reader->Next(m);
      if (!next) {
        error = next.error();
        break;
      }
      ASSERT_TRUE(*next) << "the end of a truncated archive was reported as a clean end";
      Result<void> r = reader->ReadData(data, 1 << 20);
      if (!r) error = r.error();
    }
    ASSERT_TRUE(error.has_value());
    EXPECT_EQ(error->code, ErrorCode::kInvalidInput);
    EXPECT_TRUE(error->has_offset());
    EXPECT_LE(error->offset, whole.size() / 2);
    // The archive is broken: every later call says so.
    EXPECT_FALSE(reader->Next(m));
    EXPECT_FALSE(reader->ReadData(data, 1 << 20));
  }
}

TEST(ArchiveReaderTest, TruncatedPlainTar) {
  TempDir t;
  const std::string path = t / "whole.tar";
  ASSERT_TRUE(WriteArchive(path, {{"a.json", RandomText(3000, 1), Type::kFile, ""},
                                  {"b.json", RandomText(3000, 2), Type::kFile, ""}}));
  const std::string whole = ReadFile(path);
  // Inside b's data (a: header 512 + data 3072; b's header at 3584, data from 4096).
  const std::string cut = t.Write("cut.tar", whole.substr(0, 5000));
  const Seen seen = ReadAll(cut);
  EXPECT_EQ(seen.lines, (Strings{"0 a.json (3000)", "1 b.json (3000)"}));
  ASSERT_EQ(seen.data.size(), 1u);
  EXPECT_EQ(seen.data[0], RandomText(3000, 1));
  // The failed read of b leaves the archive broken: the next Next() repeats the error.
  EXPECT_EQ(seen.errors, (Strings{"b.json: truncated tar archive", "next: truncated tar archive"}));
}

// A damaged header in the middle of a tar: libarchive skips to the next good header; the
// damage is reported as one skipped pseudo-member and the rest is read.
TEST(ArchiveReaderTest, DamagedTarHeaderIsSkipped) {
  TempDir t;
  const std::string path = t / "damaged.tar";
  ASSERT_TRUE(WriteArchive(path,
                           {{"a.json", RandomText(1000, 1), Type::kFile, ""},
                            {"b.json", RandomText(2000, 2), Type::kFile, ""},
                            {"c.json", RandomText(700, 3), Type::kFile, ""}},
                           {"ustar", {}, "", ""}));
  std::string bytes = ReadFile(path);
  const std::size_t b_header = 512 + 1024;
  ASSERT_EQ(bytes.substr(b_header, 6), "b.json");
  bytes[b_header] = 'X';  // the checksum no longer matches
  t.Write("damaged.tar", bytes);

  const Seen seen = ReadAll(path);
  EXPECT_EQ(seen.errors, Strings{});
  ASSERT_EQ(seen.lines.size(), 3u) << testing::PrintToString(seen.lines);
  EXPECT_EQ(seen.lines[0], "0 a.json (1000)");
  EXPECT_TRUE(seen.lines[1].starts_with("1  skipped: damaged data skipped (")) << seen.lines[1];
  EXPECT_EQ(seen.lines[2], "2 c.json (700)");
  EXPECT_EQ(seen.data, (Strings{RandomText(1000, 1), RandomText(700, 3)}));
}

TEST(ArchiveReaderTest, OpenErrors) {
  TempDir t;
  Result<ArchiveReader> missing = ArchiveReader::Open(t / "missing.tar");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, ErrorCode::kIo);
  EXPECT_NE(missing.error().message.find("no such file or directory"), std::string::npos)
      << missing.error().message;

  // Not archives: plain JSON, and gzip JSON (the "raw" format is not enabled).
  for (const std::string& content : {Records(3), Gzip(Records(3)), std::string()}) {
    const std::string path = t.Write("doc", content);
    Result<ArchiveReader> reader = ArchiveReader::Open(path);
    ASSERT_FALSE(reader);
    EXPECT_EQ(reader.error().code, ErrorCode::kInvalidInput);
    EXPECT_FALSE(reader.error().message.empty());
  }
}

TEST(SniffContainerTest, ByContent) {
  TempDir t;
  // "ustar" at 257 inside a gzip JSON, without a tar checksum: still a document.
  std::string tricky =
      "{\"pad\":\"" + std::string(249, ' ') + "ustar" + std::string(300, ' ') + "\"}";
  ASSERT_EQ(tricky.substr(257, 5), "ustar");
  std::string raw_bzip2_why;
  const bool have_bzip2_doc =
      WriteArchive(t / "doc.json.bz2", {{"data", Records(3), Type::kFile, ""}},
                   {"raw", {"bzip2"}, "", ""}, &raw_bzip2_why);
  ASSERT_TRUE(have_bzip2_doc) << raw_bzip2_why;
  ASSERT_TRUE(ReadFile(t / "doc.json.bz2").starts_with("BZh"));
  ASSERT_TRUE(WriteArchive(t / "a.tar.bz2", {{"a.json", "{}", Type::kFile, ""}},
                           {"paxr", {"bzip2"}, "", ""}));
  ASSERT_TRUE(
      WriteArchive(t / "a.tar.xz", {{"a.json", "{}", Type::kFile, ""}}, {"paxr", {"xz"}, "", ""}));
  ASSERT_TRUE(WriteArchive(t / "a.tar", {{"a.json", "{}", Type::kFile, ""}}));
  ASSERT_TRUE(WriteArchive(t / "a.tar.gz", {{"a.json", "{}", Type::kFile, ""}},
                           {"paxr", {"gzip"}, "", ""}));
  ASSERT_TRUE(WriteArchive(t / "a.zip", {{"a.json", "{}", Type::kFile, ""}}, {"zip", {}, "", ""}));

  struct Case {
    std::string path;
    ContainerKind kind;
  };
  const Case cases[] = {
      {t.Write("plain.json", Records(3)), ContainerKind::kSingle},
      {t.Write("doc.json.gz", Gzip(Records(3))), ContainerKind::kSingle},
      {t.Write("big.json.gz", Gzip(RandomText(1 << 20, 9))), ContainerKind::kSingle},
      {t.Write("two-members.json.gz", Gzip("{}") + Gzip("{}")), ContainerKind::kSingle},
      {t.Write("tricky.json", tricky), ContainerKind::kSingle},
      {t.Write("tricky.json.gz", Gzip(tricky)), ContainerKind::kSingle},
      {t.Write("empty", ""), ContainerKind::kSingle},
      {t.Write("one-byte", "\x1f"), ContainerKind::kSingle},
      {t.Write("bad.gz", "\x1f\x8b garbage"), ContainerKind::kSingle},
      {t / "doc.json.bz2", ContainerKind::kSingle},
      {t / "a.tar.bz2", ContainerKind::kArchive},
      {t / "a.tar.xz", ContainerKind::kArchive},
      {t / "a.tar", ContainerKind::kArchive},
      {t / "a.tar.gz", ContainerKind::kArchive},
      {t.Write("renamed.json", ReadFile(t / "a.tar.gz")), ContainerKind::kArchive},
      {t / "a.zip", ContainerKind::kArchive},
  };
  for (const Case& c : cases) {
    const Result<ContainerKind> kind = SniffContainer(c.path);
    ASSERT_TRUE(kind) << c.path << ": " << kind.error().message;
    EXPECT_EQ(*kind, c.kind) << c.path;
    EXPECT_EQ(SniffContainerBytes(ReadFile(c.path)), c.kind) << c.path;
  }

  const Result<ContainerKind> missing = SniffContainer(t / "missing");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, ErrorCode::kIo);
  EXPECT_EQ(missing.error().message, "no such file or directory");
}

TEST(ReadWholeFileTest, Reads) {
  TempDir t;
  const std::string big = RandomText(3 * 1024 * 1024 + 17, 5);
  for (const std::string& content : {std::string(), std::string("{}"), big}) {
    std::string out = "stale";
    ASSERT_TRUE(ReadWholeFile(t.Write("f", content), out, 1 << 30));
    EXPECT_EQ(out, content);
  }
}

TEST(ReadWholeFileTest, StampIsTheFileAsRead) {
  TempDir t;
  const std::string path = t.Write("f", std::string(1000, 'x'));
  struct timespec times[2] = {{1700000000, 123456789}, {1700000000, 123456789}};
  ASSERT_EQ(utimensat(AT_FDCWD, path.c_str(), times, 0), 0);
  std::string out;
  const Result<ReadStamp> r = ReadWholeFile(path, out, 1 << 20);
  ASSERT_TRUE(r);
  EXPECT_TRUE(r->stable);
  EXPECT_EQ(r->stamp.size, 1000u);
  EXPECT_EQ(r->stamp.mtime_ns, 1'700'000'000'123'456'789);
  // Proc files have no size in stat: read to the end, and stable.
  const Result<ReadStamp> proc = ReadWholeFile("/proc/self/status", out, 1 << 20);
  ASSERT_TRUE(proc);
  EXPECT_TRUE(proc->stable);
}

TEST(ReadWholeFileTest, Limit) {
  TempDir t;
  const std::string path = t.Write("f", std::string(1000, 'x'));
  std::string out;
  ASSERT_TRUE(ReadWholeFile(path, out, 1000));
  EXPECT_EQ(out.size(), 1000u);
  const Result<ReadStamp> r = ReadWholeFile(path, out, 999);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kLimit);
  EXPECT_EQ(r.error().message, "file exceeds the limit of 999 bytes");
  EXPECT_LE(out.size(), 999u);
}

TEST(ReadWholeFileTest, SystemErrors) {
  TempDir t;
  std::string out;
  Result<ReadStamp> r = ReadWholeFile(t / "missing", out, 100);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kIo);
  EXPECT_EQ(r.error().message, "no such file or directory");

  r = ReadWholeFile(t.path(), out, 100);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kIo);
  EXPECT_EQ(r.error().message, "is a directory");

  // Files without a size in stat (proc files) are read to their end, within the limit.
  ASSERT_TRUE(ReadWholeFile("/proc/self/status", out, 1 << 20));
  EXPECT_NE(out.find("Name:"), std::string::npos);
  r = ReadWholeFile("/proc/self/status", out, 10);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kLimit);
  EXPECT_EQ(out.size(), 10u);
}

TEST(ReadWholeFileTest, PermissionDenied) {
  TempDir t;  // made first, so that it is removed after the capabilities are back
  const test::DacOverrideDropped unprivileged;  // root too is refused, as any other user
  if (geteuid() == 0 && !unprivileged.active()) {
    GTEST_SKIP() << "cannot drop CAP_DAC_OVERRIDE; root reads every file";
  }
  const std::string path = t.Write("secret.json", "{}");
  ASSERT_EQ(chmod(path.c_str(), 0), 0);
  std::string out;
  const Result<ReadStamp> r = ReadWholeFile(path, out, 100);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kIo);
  EXPECT_EQ(r.error().message, "permission denied");
  EXPECT_EQ(SniffContainer(path).error().message, "permission denied");
}

}  // namespace
}  // namespace trailreplay::input

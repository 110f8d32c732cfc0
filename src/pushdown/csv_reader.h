// A streaming reader of CSV as query engines write their results (RFC 4180; Athena quotes
// every field and writes NULL as an empty unquoted field): records of fields separated by
// commas, ended by LF or CRLF; a field in double quotes may hold commas, line breaks and
// doubled quotes. An unquoted empty field is NULL; a quoted empty field is the empty string.
//
// Bad CSV (a quote inside an unquoted field, text after a closing quote, an unterminated
// quote, a field or record over the limits) is an error naming the file, the record number
// (the header is record 1), its line and the byte offset of the fault.
#pragma once

#include <cstdint>
#include <fstream>
#include <optional>
#include <string>
#include <vector>

#include "common/result.h"

namespace trailreplay::pushdown {

class CsvReader {
 public:
  static constexpr std::size_t kMaxFieldBytes = std::size_t{16} << 20;
  static constexpr std::size_t kMaxFields = 256;

  static Result<CsvReader> Open(const std::string& path);

  using Record = std::vector<std::optional<std::string>>;
  // The next record into `out`: true, or false at the end of the file.
  Result<bool> Next(Record& out);

  // The record last returned: its 1-based number and the line it starts on.
  std::uint64_t record_number() const { return record_number_; }
  std::uint64_t line() const { return record_line_; }
  std::uint64_t bytes_read() const { return offset_; }
  const std::string& path() const { return path_; }

  // An error about the record last returned, naming the file, record and line.
  Error RecordError(const std::string& message) const;

 private:
  CsvReader() = default;
  int Get();  // the next byte, or -1 at the end
  int Peek();
  Error Fault(const std::string& message, std::uint64_t at) const;

  std::string path_;
  std::ifstream in_;
  std::vector<char> buffer_;
  std::size_t pos_ = 0, end_ = 0;
  std::uint64_t offset_ = 0;  // bytes consumed
  std::uint64_t line_ = 1;
  std::uint64_t record_number_ = 0, record_line_ = 0;
  bool at_start_ = true;
};

}  // namespace trailreplay::pushdown

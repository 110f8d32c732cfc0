#include "pushdown/csv_reader.h"

#include <cerrno>
#include <cstring>

namespace trailreplay::pushdown {

Result<CsvReader> CsvReader::Open(const std::string& path) {
  CsvReader reader;
  reader.path_ = path;
  reader.in_.open(path, std::ios::binary);
  if (!reader.in_) {
    return MakeError(ErrorCode::kIo, "cannot read '" + path + "': " + std::strerror(errno));
  }
  reader.buffer_.resize(std::size_t{1} << 16);
  return reader;
}

int CsvReader::Peek() {
  if (pos_ == end_) {
    if (!in_) return -1;
    in_.read(buffer_.data(), static_cast<std::streamsize>(buffer_.size()));
    end_ = static_cast<std::size_t>(in_.gcount());
    pos_ = 0;
    if (end_ == 0) return -1;
  }
  return static_cast<unsigned char>(buffer_[pos_]);
}

int CsvReader::Get() {
  const int c = Peek();
  if (c < 0) return c;
  ++pos_;
  ++offset_;
  if (c == '\n') ++line_;
  return c;
}

Error CsvReader::Fault(const std::string& message, std::uint64_t at) const {
  return MakeError(ErrorCode::kInvalidInput, path_ + ": record " + std::to_string(record_number_) +
                                                 " (line " + std::to_string(record_line_) +
                                                 ", byte offset " + std::to_string(at) +
                                                 "): " + message);
}

Error CsvReader::RecordError(const std::string& message) const {
  return MakeError(ErrorCode::kInvalidInput, path_ + ": record " + std::to_string(record_number_) +
                                                 " (line " + std::to_string(record_line_) +
                                                 "): " + message);
}

Result<bool> CsvReader::Next(Record& out) {
  out.clear();
  if (at_start_) {
    at_start_ = false;
    // A UTF-8 byte order mark, as some tools write before the header.
    if (Peek() == 0xEF) {
      const std::size_t saved = pos_;
      Get();
      if (Get() != 0xBB || Get() != 0xBF) {
        pos_ = saved;
        offset_ = 0;
      }
    }
  }
  if (Peek() < 0) return false;
  ++record_number_;
  record_line_ = line_;
  for (;;) {
    // One field.
    if (out.size() == kMaxFields) return Fault("more than 256 fields", offset_);
    std::string field;
    bool quoted = false;
    int c = Peek();
    if (c == '"') {
      quoted = true;
      const std::uint64_t open = offset_;
      Get();
      for (;;) {
        c = Get();
        if (c < 0) return Fault("a quoted field is not closed", open);
        if (c == '"') {
          if (Peek() == '"') {
            Get();
            field.push_back('"');
            continue;
          }
          break;
        }
        if (field.size() == kMaxFieldBytes) return Fault("a field longer than 16 MiB", open);
        field.push_back(static_cast<char>(c));
      }
      c = Peek();
      if (c >= 0 && c != ',' && c != '\n' && c != '\r') {
        return Fault("text after the closing quote of a field", offset_);
      }
    } else {
      for (;;) {
        c = Peek();
        if (c < 0 || c == ',' || c == '\n' || c == '\r') break;
        if (c == '"') return Fault("a quote inside an unquoted field", offset_);
        if (field.size() == kMaxFieldBytes) return Fault("a field longer than 16 MiB", offset_);
        field.push_back(static_cast<char>(Get()));
      }
    }
    if (quoted || !field.empty()) {
      out.emplace_back(std::move(field));
    } else {
      out.emplace_back(std::nullopt);
    }
    c = Get();
    if (c == ',') continue;
    if (c == '\r') {
      if (Peek() != '\n') return Fault("a carriage return outside quotes", offset_ - 1);
      Get();
    }
    return true;  // '\n', CRLF or the end of the file
  }
}

}  // namespace trailreplay::pushdown

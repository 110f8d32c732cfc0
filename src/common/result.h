// Result<T>: the value-or-error type that every stage returns for expected failures.
//
// It mirrors the method set of std::expected (value(), error(), has_value(), operator*,
// operator->, value_or) because g++ 12 lacks <expected> in C++20. An Error carries a code,
// a human message, and where the problem is: a byte offset into a pattern, or a file /
// archive member / record position for inputs. Library code never prints; the CLI decides how
// an Error is shown (see common/error_format.h).
#pragma once

#include <cassert>
#include <cstddef>
#include <cstdint>
#include <string>
#include <type_traits>
#include <utility>
#include <variant>

namespace trailreplay {

enum class ErrorCode {
  kInvalidPattern,         // a filter pattern that AWS would reject
  kPatternLimit,           // a pattern over one of AWS's quotas (length, wildcards, regex)
  kInvalidTransformation,  // metric value, default value, dimensions or unit
  kInvalidArgument,        // a bad command-line or API argument
  kIo,                     // reading or writing a file failed
  kLimit,                  // an input over a configured limit (decompressed size, file size)
  kInvalidInput,           // input content that is not what it claims (corrupt JSON, bad record)
  kDatabase,               // SQLite reported an error
};

struct Error {
  static constexpr std::size_t kNoOffset = static_cast<std::size_t>(-1);

  ErrorCode code = ErrorCode::kInvalidArgument;
  std::string message;
  // Byte offset of the offending spot in `subject`, or kNoOffset.
  std::size_t offset = kNoOffset;
  // The text the offset points into (a pattern, a metric value). May be empty.
  std::string subject;

  bool has_offset() const { return offset != kNoOffset; }
};

inline Error MakeError(ErrorCode code, std::string message, std::size_t offset = Error::kNoOffset,
                       std::string subject = {}) {
  return Error{code, std::move(message), offset, std::move(subject)};
}

template <typename T>
class [[nodiscard]] Result {
 public:
  using value_type = T;

  Result(T value) : storage_(std::in_place_index<0>, std::move(value)) {}      // NOLINT: implicit
  Result(Error error) : storage_(std::in_place_index<1>, std::move(error)) {}  // NOLINT: implicit

  bool has_value() const { return storage_.index() == 0; }
  explicit operator bool() const { return has_value(); }

  T& value() & {
    assert(has_value());
    return std::get<0>(storage_);
  }
  const T& value() const& {
    assert(has_value());
    return std::get<0>(storage_);
  }
  T&& value() && {
    assert(has_value());
    return std::get<0>(std::move(storage_));
  }
  const Error& error() const& {
    assert(!has_value());
    return std::get<1>(storage_);
  }
  Error&& error() && {
    assert(!has_value());
    return std::get<1>(std::move(storage_));
  }

  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  template <typename U>
  T value_or(U&& fallback) const& {
    return has_value() ? value() : static_cast<T>(std::forward<U>(fallback));
  }

 private:
  std::variant<T, Error> storage_;
};

// Result<void>: success or an Error.
template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(Error error) : error_(std::move(error)), ok_(false) {}  // NOLINT: implicit

  bool has_value() const { return ok_; }
  explicit operator bool() const { return ok_; }
  const Error& error() const& {
    assert(!ok_);
    return error_;
  }
  Error&& error() && {
    assert(!ok_);
    return std::move(error_);
  }

 private:
  Error error_;
  bool ok_ = true;
};

}  // namespace trailreplay

#include "cli/terminal_output.h"

#include <iostream>
#include <streambuf>
#include <string>

#include "common/terminal_text.h"

namespace trailreplay::cli {

namespace {

// An unbuffered stream buffer that escapes what it is given and passes it on. An incomplete
// UTF-8 sequence at the end of one write waits for the next (a character split across two
// writes is still one character); a flush escapes whatever is left.
class EscapingBuffer : public std::streambuf {
 public:
  explicit EscapingBuffer(std::streambuf* target) : target_(target) {}

  std::streambuf* target() const { return target_; }

  void FlushPending() { Pass(/*partial=*/false); }

 protected:
  int_type overflow(int_type c) override {
    if (traits_type::eq_int_type(c, traits_type::eof())) return traits_type::not_eof(c);
    pending_.push_back(traits_type::to_char_type(c));
    return Pass(/*partial=*/true) ? c : traits_type::eof();
  }

  std::streamsize xsputn(const char* s, std::streamsize n) override {
    pending_.append(s, static_cast<std::size_t>(n));
    return Pass(/*partial=*/true) ? n : 0;
  }

  int sync() override {
    if (!Pass(/*partial=*/false)) return -1;
    return target_->pubsync();
  }

 private:
  bool Pass(bool partial) {
    escaped_.clear();
    const std::size_t used =
        AppendTerminalSafe(escaped_, pending_, /*keep_newlines=*/true, partial);
    pending_.erase(0, used);
    const auto size = static_cast<std::streamsize>(escaped_.size());
    return target_->sputn(escaped_.data(), size) == size;
  }

  std::streambuf* target_;
  std::string pending_;
  std::string escaped_;
};

// The filters live until the process ends: the standard streams are flushed after every
// static object is destroyed, so these are never deleted.
EscapingBuffer* stdout_filter = nullptr;
EscapingBuffer* stderr_filter = nullptr;

}  // namespace

void ProtectTerminalOutput() {
  if (stdout_filter != nullptr) return;
  stdout_filter = new EscapingBuffer(std::cout.rdbuf());
  stderr_filter = new EscapingBuffer(std::cerr.rdbuf());
  std::cout.rdbuf(stdout_filter);
  std::cerr.rdbuf(stderr_filter);
}

void ExactStandardOutput() {
  if (stdout_filter == nullptr || std::cout.rdbuf() != stdout_filter) return;
  std::cout.flush();
  std::cout.rdbuf(stdout_filter->target());
}

void WriteTerminalControl(std::ostream& stream, std::string_view text) {
  auto* filter = dynamic_cast<EscapingBuffer*>(stream.rdbuf());
  if (filter == nullptr) {
    stream << text;
    return;
  }
  filter->FlushPending();
  filter->target()->sputn(text.data(), static_cast<std::streamsize>(text.size()));
}

}  // namespace trailreplay::cli

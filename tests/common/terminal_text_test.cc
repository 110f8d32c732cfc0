// Text from data shown on a terminal (common/terminal_text.h) and in JSON
// (common/json_escape.h): no byte of it may reach a terminal as a control (issue 19: ESC
// sequences in a userAgent or a file name cleared the screen and printed fake output).
#include "common/terminal_text.h"

#include <gtest/gtest.h>

#include "common/json_escape.h"

namespace trailreplay {
namespace {

struct Case {
  std::string in;
  std::string terminal;  // TerminalSafe
  std::string json;      // JsonString
};

TEST(TerminalTextTest, EscapesControlsAndInvalidUtf8) {
  const Case cases[] = {
      {"plain text", "plain text", "\"plain text\""},
      {"tab\tstays", "tab\tstays", "\"tab\\tstays\""},
      {"\x1b[2J\x1b[Hno findings", "\\x1b[2J\\x1b[Hno findings",
       "\"\\u001b[2J\\u001b[Hno findings\""},
      {"line\nbreak\rreturn", "line\\x0abreak\\x0dreturn", "\"line\\nbreak\\rreturn\""},
      {std::string("nul\0byte", 8), "nul\\x00byte", "\"nul\\u0000byte\""},
      {"del\x7f", "del\\x7f", "\"del\\u007f\""},
      {"\xc2\x9b"
       "31m C1 CSI",
       "\\u009b31m C1 CSI", "\"\\u009b31m C1 CSI\""},
      {"\xc2\x85 NEL", "\\u0085 NEL", "\"\\u0085 NEL\""},
      {"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x94\x91", "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x94\x91",
       "\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x94\x91\""},
      {"\xc2\xa0nbsp", "\xc2\xa0nbsp", "\"\xc2\xa0nbsp\""},               // U+00A0 is not a control
      {"stray \x9b byte", "stray \\x9b byte", "\"stray \\ufffd byte\""},  // 8-bit CSI
      {"overlong \xc0\xaf", "overlong \\xc0\\xaf", "\"overlong \\ufffd\\ufffd\""},
      {"surrogate \xed\xa0\x80", "surrogate \\xed\\xa0\\x80",
       "\"surrogate \\ufffd\\ufffd\\ufffd\""},
      {"cut \xe2\x82", "cut \\xe2\\x82", "\"cut \\ufffd\\ufffd\""},
      {"C:\\path\\x1b", "C:\\path\\x1b", "\"C:\\\\path\\\\x1b\""},  // backslashes as written
  };
  for (const Case& c : cases) {
    EXPECT_EQ(TerminalSafe(c.in), c.terminal) << c.in;
    EXPECT_EQ(JsonString(c.in), c.json) << c.in;
  }
}

TEST(TerminalTextTest, KeepsNewlinesForWholeLinesAndWaitsForSplitCharacters) {
  std::string out;
  EXPECT_EQ(AppendTerminalSafe(out, "a\nb\x1b", /*keep_newlines=*/true), 4u);
  EXPECT_EQ(out, "a\nb\\x1b");
  // A character cut by the end of one write is left for the next.
  out.clear();
  EXPECT_EQ(AppendTerminalSafe(out, "ok \xe2\x82", true, /*partial=*/true), 3u);
  EXPECT_EQ(out, "ok ");
  // An invalid byte is not waited for.
  out.clear();
  EXPECT_EQ(AppendTerminalSafe(out, "\xff", true, /*partial=*/true), 1u);
  EXPECT_EQ(out, "\\xff");
}

TEST(TerminalTextTest, Utf8SequenceLengthFollowsRfc3629) {
  bool truncated = false;
  EXPECT_EQ(Utf8SequenceLength("a"), 1u);
  EXPECT_EQ(Utf8SequenceLength("\xc3\xa9"), 2u);
  EXPECT_EQ(Utf8SequenceLength("\xe0\xa0\x80"), 3u);      // U+0800, the first 3-byte one
  EXPECT_EQ(Utf8SequenceLength("\xe0\x9f\xbf"), 0u);      // overlong
  EXPECT_EQ(Utf8SequenceLength("\xf4\x8f\xbf\xbf"), 4u);  // U+10FFFF
  EXPECT_EQ(Utf8SequenceLength("\xf4\x90\x80\x80"), 0u);  // beyond it
  EXPECT_EQ(Utf8SequenceLength("\xf0\x9f", &truncated), 0u);
  EXPECT_TRUE(truncated);
  EXPECT_EQ(Utf8SequenceLength("\x80", &truncated), 0u);
  EXPECT_FALSE(truncated);
}

}  // namespace
}  // namespace trailreplay

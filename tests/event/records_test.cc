#include "event/records.h"

#include <gtest/gtest.h>

#include <cstddef>
#include <cstdint>
#include <random>
#include <string>
#include <string_view>
#include <vector>

namespace trailreplay::event {
namespace {

using Step = RecordStream::Step;

struct Event {
  Step step = Step::kEnd;
  std::string text;
  std::uint64_t offset = 0;
  std::uint64_t index = 0;
  std::int64_t export_time_ms = -1;
  std::string error;
};

// Runs a stream to its end and checks the invariants every document must keep: record texts
// are objects inside `data` at their offset, indexes count records and bad records from 0,
// offsets increase, the stream terminates and stays terminated.
std::vector<Event> RunStream(std::string_view data, DocumentKind* kind = nullptr) {
  RecordStream stream(data);
  if (kind != nullptr) *kind = stream.kind();
  std::vector<Event> events;
  std::uint64_t next_index = 0;
  std::uint64_t last_offset = 0;
  Record record;
  for (std::size_t guard = 0;; ++guard) {
    EXPECT_LE(guard, data.size() + 2) << "stream does not terminate";
    if (guard > data.size() + 2) break;
    const Step step = stream.Next(record);
    Event event;
    event.step = step;
    if (step == Step::kEnd) {
      events.push_back(event);
      break;
    }
    event.offset = record.offset;
    event.index = record.index;
    event.error = record.error;
    event.text = std::string(record.text);
    event.export_time_ms = record.export_time_ms;
    EXPECT_LE(record.offset, data.size());
    // A stop may point back at the array that is left open; records move forward.
    if (step == Step::kRecord || step == Step::kBadRecord) {
      EXPECT_GE(record.offset, last_offset);
      last_offset = record.offset;
      EXPECT_EQ(record.index, next_index);
      ++next_index;
      EXPECT_GE(record.text.data(), data.data());
      EXPECT_LE(record.text.data() + record.text.size(), data.data() + data.size());
      EXPECT_EQ(static_cast<std::uint64_t>(record.text.data() - data.data()), record.offset);
    }
    if (step == Step::kRecord) {
      EXPECT_TRUE(record.error.empty());
      EXPECT_GE(record.text.size(), 2U);
      EXPECT_EQ(record.text.front(), '{');
      EXPECT_EQ(record.text.back(), '}');
    } else {
      EXPECT_FALSE(record.error.empty());
    }
    events.push_back(event);
    if (step == Step::kStop) break;
  }
  for (int i = 0; i < 3; ++i) EXPECT_EQ(stream.Next(record), Step::kEnd);
  return events;
}

// One line per event: "R 12 {...}", "R 12 @1709251512123 {...}", "B 3 error", "S 0 error";
// the final kEnd is left out.
std::string Dump(std::string_view data, DocumentKind* kind = nullptr) {
  std::string out;
  for (const Event& event : RunStream(data, kind)) {
    switch (event.step) {
      case Step::kRecord:
        out += "R " + std::to_string(event.offset) + " ";
        if (event.export_time_ms >= 0) out += "@" + std::to_string(event.export_time_ms) + " ";
        out += event.text + "\n";
        break;
      case Step::kBadRecord:
        out += "B " + std::to_string(event.offset) + " " + event.error + "\n";
        break;
      case Step::kStop:
        out += "S " + std::to_string(event.offset) + " " + event.error + "\n";
        break;
      case Step::kMore:  // a whole document never asks for more
        out += "M\n";
        break;
      case Step::kEnd:
        break;
    }
  }
  return out;
}

std::vector<std::string> RecordTexts(const std::vector<Event>& events) {
  std::vector<std::string> texts;
  for (const Event& event : events) {
    if (event.step == Step::kRecord) texts.push_back(event.text);
  }
  return texts;
}

TEST(DocumentKindTest, NamesAndHoldsRecords) {
  struct Case {
    DocumentKind kind;
    std::string_view name;
    bool holds_records;
  };
  const Case cases[] = {
      {DocumentKind::kRecords, "records", true},       {DocumentKind::kArray, "array", true},
      {DocumentKind::kSingle, "single", true},         {DocumentKind::kLines, "lines", true},
      {DocumentKind::kExport, "export", true},         {DocumentKind::kDigest, "digest", false},
      {DocumentKind::kOtherJson, "other-json", false}, {DocumentKind::kNotJson, "not-json", false},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(DocumentKindName(c.kind), c.name);
    EXPECT_EQ(HoldsRecords(c.kind), c.holds_records) << c.name;
  }
}

TEST(RecordStreamTest, Classification) {
  struct Case {
    std::string_view data;
    DocumentKind kind;
  };
  const Case cases[] = {
      {R"({"Records":[{"eventName":"A"}]})", DocumentKind::kRecords},
      {"\xEF\xBB\xBF{\"Records\":[]}", DocumentKind::kRecords},
      {" \t\r\n {\"Records\" : [ ] }", DocumentKind::kRecords},
      {R"({"a":{"Records":5},"Records":[]})", DocumentKind::kRecords},
      {R"({"Records":5})", DocumentKind::kRecords},
      {R"({"Records":)", DocumentKind::kRecords},
      {R"([])", DocumentKind::kArray},
      {"\xEF\xBB\xBF  [{}]", DocumentKind::kArray},
      {R"([1,2)", DocumentKind::kArray},
      {R"({"eventVersion":"1.08","eventName":"X"})", DocumentKind::kSingle},
      {"{\"eventID\":\"x\"}\n\n", DocumentKind::kSingle},
      {R"({"eventTime":"2024-01-01T00:00:00Z","x":[1,2)", DocumentKind::kSingle},
      {R"({"eventSource":"s3.amazonaws.com")", DocumentKind::kSingle},
      {"{\"a\":1}\n{\"b\":2}\n", DocumentKind::kLines},
      {"{\"a\":1}{\"b\":2}", DocumentKind::kLines},
      {"{\n  \"a\": 1\n}\n{\n  \"b\": 2\n}\n", DocumentKind::kLines},
      {"{\"a\":\n{\"b\":2}\n", DocumentKind::kLines},
      {"2024-03-01T00:05:12.123Z {\"a\":1}\n", DocumentKind::kExport},
      {"\xEF\xBB\xBF\n2024-03-01T00:05:12Z {}", DocumentKind::kExport},
      {R"({"awsAccountId":"1","digestStartTime":"x","logFiles":[]})", DocumentKind::kDigest},
      {R"({"digestEndTime":"x","Records":[{}]})", DocumentKind::kDigest},
      {R"({"fileVersion":"1.0","configSnapshotId":"x","configurationItems":[]})",
       DocumentKind::kOtherJson},
      {R"({"Version":"2012-10-17","Statement":[]})", DocumentKind::kOtherJson},
      {R"({})", DocumentKind::kOtherJson},
      {R"({"eventName":"x"} trailing)", DocumentKind::kSingle},
      {"", DocumentKind::kNotJson},
      {" \r\n\t ", DocumentKind::kNotJson},
      {"\xEF\xBB\xBF", DocumentKind::kNotJson},
      {"hello world", DocumentKind::kNotJson},
      {"\"string\"", DocumentKind::kNotJson},
      {"42", DocumentKind::kNotJson},
      {"null", DocumentKind::kNotJson},
      {"<html></html>", DocumentKind::kNotJson},
      {"2024-03-01T00:05:12.123Z not json", DocumentKind::kNotJson},
      {"2024-03-01T00:05:12.123Z  {}", DocumentKind::kNotJson},
      {"2024-13-01T00:05:12.123Z {}", DocumentKind::kNotJson},
      {R"({"a":1)", DocumentKind::kNotJson},
      {R"({"a" 1})", DocumentKind::kNotJson},
      {R"({"a":[})", DocumentKind::kNotJson},
      {"{garbage", DocumentKind::kNotJson},
  };
  for (const Case& c : cases) {
    const RecordStream stream(c.data);
    EXPECT_EQ(DocumentKindName(stream.kind()), DocumentKindName(c.kind)) << c.data;
  }
}

struct StreamCase {
  std::string_view name;
  std::string_view data;
  DocumentKind kind;
  std::string_view expected;  // Dump() output
};

void CheckCases(const std::vector<StreamCase>& cases) {
  for (const StreamCase& c : cases) {
    DocumentKind kind = DocumentKind::kNotJson;
    EXPECT_EQ(Dump(c.data, &kind), c.expected) << c.name;
    EXPECT_EQ(DocumentKindName(kind), DocumentKindName(c.kind)) << c.name;
  }
}

TEST(RecordStreamTest, RecordsDocuments) {
  CheckCases({
      {"two records", R"({"Records":[{"a":1},{"b":2}]})", DocumentKind::kRecords,
       "R 12 {\"a\":1}\nR 20 {\"b\":2}\n"},
      {"empty Records", R"({"Records":[]})", DocumentKind::kRecords, ""},
      {"empty Records with spaces", "{ \"Records\" : [ \n ] }", DocumentKind::kRecords, ""},
      {"Records not first", R"({"x":{"y":[1,{"z":"]"}]},"Records":[{"a":1}]})",
       DocumentKind::kRecords, "R 36 {\"a\":1}\n"},
      {"BOM offsets count the BOM", "\xEF\xBB\xBF{\"Records\":[{}]}", DocumentKind::kRecords,
       "R 15 {}\n"},
      {"pretty", "{\n  \"Records\": [\n    {\n      \"a\": 1\n    },\n    {}\n  ]\n}\n",
       DocumentKind::kRecords,
       "R 21 {\n      \"a\": 1\n    }\n"
       "R 47 {}\n"},
      {"garbage inside the object after the array", R"({"Records":[{}]  garbage)",
       DocumentKind::kRecords,
       "R 12 {}\nS 17 malformed JSON at byte 17: expected ',' or '}' after a value\n"},
      {"keys after the array are skipped", R"({"Records":[{}],"x":[{"y":1}],"z":2})",
       DocumentKind::kRecords, "R 12 {}\n"},
      {"two logs back to back", "{\"Records\":[{\"a\":1}]}\n{\"Records\":[{\"b\":2}]}",
       DocumentKind::kRecords, "R 12 {\"a\":1}\nR 34 {\"b\":2}\n"},
      {"a second Records key", R"({"Records":[{"a":1}],"Records":[{"b":2}]})",
       DocumentKind::kRecords, "R 12 {\"a\":1}\nR 32 {\"b\":2}\n"},
      {"indexes run on across logs", R"({"Records":[1]}{"Records":[{}]})", DocumentKind::kRecords,
       "B 12 record 0 is not a JSON object (number)\nR 27 {}\n"},
      {"an object that is not a log, then a log",
       R"({"Records":[{}]} {"digest":1} {"Records":[{"c":3}]})", DocumentKind::kRecords,
       "R 12 {}\nB 17 JSON object without a \"Records\" array after a CloudTrail log\n"
       "R 42 {\"c\":3}\n"},
      {"garbage after the log", R"({"Records":[{}]} trailing)", DocumentKind::kRecords,
       "R 12 {}\nS 17 malformed JSON at byte 17: unexpected data after the JSON object\n"},
      {"second log cut short", R"({"Records":[{}]}{"Records":[{}, {"d)", DocumentKind::kRecords,
       "R 12 {}\nR 28 {}\nS 32 truncated document: unterminated object starting at byte 32\n"},
      {"second object cut in a key", R"({"Records":[{}]}{"Rec)", DocumentKind::kRecords,
       "R 12 {}\nS 16 truncated document: unterminated object starting at byte 16\n"},
      {"Records is a number", R"({"Records":5})", DocumentKind::kRecords,
       "S 11 \"Records\" is not an array (number)\n"},
      {"Records is an object", R"({"Records":{"a":[]}})", DocumentKind::kRecords,
       "S 11 \"Records\" is not an array (object)\n"},
      {"Records is null", R"({"a":1, "Records" : null})", DocumentKind::kRecords,
       "S 20 \"Records\" is not an array (null)\n"},
      {"Records not an array in JSON Lines is just a key", "{\"Records\":1}\n{\"Records\":2}\n",
       DocumentKind::kLines, "R 0 {\"Records\":1}\nR 14 {\"Records\":2}\n"},
      {"Records not an array, then broken", R"({"Records":"x","a":[)", DocumentKind::kRecords,
       "S 11 \"Records\" is not an array (string)\n"},
      {"Records key without value", R"({"Records":)", DocumentKind::kRecords,
       "S 0 truncated document: unterminated object starting at byte 0\n"},
      {"non-object elements", R"({"Records":[{},1,"s",[{}],null,true,false,-2.5e3,{"a":1}]})",
       DocumentKind::kRecords,
       "R 12 {}\n"
       "B 15 record 1 is not a JSON object (number)\n"
       "B 17 record 2 is not a JSON object (string)\n"
       "B 21 record 3 is not a JSON object (array)\n"
       "B 26 record 4 is not a JSON object (null)\n"
       "B 31 record 5 is not a JSON object (boolean)\n"
       "B 36 record 6 is not a JSON object (boolean)\n"
       "B 42 record 7 is not a JSON object (number)\n"
       "R 49 {\"a\":1}\n"},
      {"garbage element", R"({"Records":[{},bogus,{}]})", DocumentKind::kRecords,
       "R 12 {}\nB 15 record 1 is not a JSON object (invalid JSON)\nR 21 {}\n"},
  });
}

TEST(RecordStreamTest, StringsAndEscapes) {
  CheckCases({
      {"escaped quote and brackets in strings", R"([{"a":"x\"}],{["},{"b":"\\"},{"c":"\\\"]"}])",
       DocumentKind::kArray,
       "R 1 {\"a\":\"x\\\"}],{[\"}\n"
       "R 18 {\"b\":\"\\\\\"}\n"
       "R 29 {\"c\":\"\\\\\\\"]\"}\n"},
      {"unicode escapes and raw UTF-8", R"([{"k\u0022}":"\u00e9\ud83d\ude00 é 😀 \/"}])",
       DocumentKind::kArray, "R 1 {\"k\\u0022}\":\"\\u00e9\\ud83d\\ude00 é 😀 \\/\"}\n"},
      {"brackets in keys", R"({"Records":[{"[{":"}]"}]})", DocumentKind::kRecords,
       "R 12 {\"[{\":\"}]\"}\n"},
      {"quote after an even backslash run ends the string", R"([{"a":"\\\\"},{}])",
       DocumentKind::kArray, "R 1 {\"a\":\"\\\\\\\\\"}\nR 14 {}\n"},
      {"Records key inside a string value is not a key",
       R"({"x":"\"Records\":[{}]","Records":[{"a":1}]})", DocumentKind::kRecords,
       "R 35 {\"a\":1}\n"},
  });
}

TEST(RecordStreamTest, Arrays) {
  CheckCases({
      {"empty", "[]", DocumentKind::kArray, ""},
      {"empty with spaces", " [ \n ] ", DocumentKind::kArray, ""},
      {"two", R"([{"a":1}, {"b":[2]}])", DocumentKind::kArray, "R 1 {\"a\":1}\nR 10 {\"b\":[2]}\n"},
      {"whitespace everywhere", "[\r\n\t{ }\r\n,\r\n{}\r\n]\r\n", DocumentKind::kArray,
       "R 4 { }\nR 12 {}\n"},
      {"trailing data after the array", "[{}] x", DocumentKind::kArray,
       "R 1 {}\nS 5 malformed JSON at byte 5: unexpected data after the JSON array\n"},
      {"arrays back to back", "[{}]\n[{\"a\":1}] [] ", DocumentKind::kArray,
       "R 1 {}\nR 6 {\"a\":1}\n"},
      {"only scalars", "[1, 2]", DocumentKind::kArray,
       "B 1 record 0 is not a JSON object (number)\nB 4 record 1 is not a JSON object (number)\n"},
  });
}

TEST(RecordStreamTest, Stops) {
  CheckCases({
      {"truncated between elements", R"([{"a":1},)", DocumentKind::kArray,
       "R 1 {\"a\":1}\nS 0 truncated document: unterminated array starting at byte 0\n"},
      {"truncated after an element", R"([{"a":1})", DocumentKind::kArray,
       "R 1 {\"a\":1}\nS 0 truncated document: unterminated array starting at byte 0\n"},
      {"truncated after [", "[", DocumentKind::kArray,
       "S 0 truncated document: unterminated array starting at byte 0\n"},
      {"truncated inside a record", R"([{"a":1},{"b":[1,2)", DocumentKind::kArray,
       "R 1 {\"a\":1}\nS 9 truncated document: unterminated object starting at byte 9\n"},
      {"truncated inside a string", R"([{"a":1},{"b":"xy)", DocumentKind::kArray,
       "R 1 {\"a\":1}\nS 9 truncated document: unterminated object starting at byte 9\n"},
      {"truncated after a backslash", R"([{"a":1},{"b":"x\)", DocumentKind::kArray,
       "R 1 {\"a\":1}\nS 9 truncated document: unterminated object starting at byte 9\n"},
      {"truncated after an escaped quote", R"([{"b":"x\")", DocumentKind::kArray,
       "S 1 truncated document: unterminated object starting at byte 1\n"},
      {"truncated string element", R"([{},"abc)", DocumentKind::kArray,
       "R 1 {}\nS 4 truncated document: unterminated string starting at byte 4\n"},
      {"truncated array element", R"([{},[[1])", DocumentKind::kArray,
       "R 1 {}\nS 4 truncated document: unterminated array starting at byte 4\n"},
      {"truncated Records array", R"({"Records":[{"a":1},)", DocumentKind::kRecords,
       "R 12 {\"a\":1}\nS 11 truncated document: unterminated array starting at byte 11\n"},
      {"truncated Records record", R"({"Records":[{"a":1},{"b")", DocumentKind::kRecords,
       "R 12 {\"a\":1}\nS 20 truncated document: unterminated object starting at byte 20\n"},
      {"mismatched closer", R"([{"a":1},{"b":[}],{}])", DocumentKind::kArray,
       "R 1 {\"a\":1}\nS 15 malformed JSON at byte 15: '}' does not close '['\n"},
      {"mismatched outer closer", R"([{"a":1]])", DocumentKind::kArray,
       "S 7 malformed JSON at byte 7: ']' does not close '{'\n"},
      {"missing comma", R"([{"a":1} {"b":2}])", DocumentKind::kArray,
       "R 1 {\"a\":1}\nS 9 malformed JSON at byte 9: expected ',' or ']' after record 0\n"},
      {"missing comma after a scalar", R"([1 {}])", DocumentKind::kArray,
       "B 1 record 0 is not a JSON object (number)\n"
       "S 3 malformed JSON at byte 3: expected ',' or ']' after record 0\n"},
      {"trailing comma", R"([{},])", DocumentKind::kArray,
       "R 1 {}\nS 4 malformed JSON at byte 4: unexpected ']'\n"},
      {"leading comma", R"([,{}])", DocumentKind::kArray,
       "S 1 malformed JSON at byte 1: unexpected ','\n"},
      {"stray closer", R"([}])", DocumentKind::kArray,
       "S 1 malformed JSON at byte 1: unexpected '}'\n"},
      {"colon", R"([{}:{}])", DocumentKind::kArray,
       "R 1 {}\nS 3 malformed JSON at byte 3: expected ',' or ']' after record 0\n"},
  });
}

TEST(RecordStreamTest, SingleRecord) {
  CheckCases({
      {"one record", "\n{\"eventVersion\":\"1.08\",\"eventName\":\"X\"}\n", DocumentKind::kSingle,
       "R 1 {\"eventVersion\":\"1.08\",\"eventName\":\"X\"}\n"},
      {"pretty with BOM", "\xEF\xBB\xBF{\n  \"eventID\": \"e\"\n}\r\n", DocumentKind::kSingle,
       "R 3 {\n  \"eventID\": \"e\"\n}\n"},
      {"trailing data", R"({"eventName":"X"} ])", DocumentKind::kSingle,
       "R 0 {\"eventName\":\"X\"}\n"
       "S 18 malformed JSON at byte 18: unexpected data after the JSON object\n"},
      {"truncated", R"({"eventVersion":"1.08","eventName":"X)", DocumentKind::kSingle,
       "S 0 truncated document: unterminated object starting at byte 0\n"},
      {"truncated in a nested value", R"({"eventName":"X","requestParameters":{"a":[)",
       DocumentKind::kSingle, "S 0 truncated document: unterminated object starting at byte 0\n"},
      {"malformed after the event keys", R"({"eventName":"X","a":[}]})", DocumentKind::kSingle,
       "S 22 malformed JSON at byte 22: '}' does not close '['\n"},
      {"missing colon", R"({"eventName" "X"})", DocumentKind::kSingle,
       "S 13 malformed JSON at byte 13: expected ':' after a key\n"},
      {"missing comma", R"({"eventName":"X" "b":1})", DocumentKind::kSingle,
       "S 17 malformed JSON at byte 17: expected ',' or '}' after a value\n"},
  });
}

TEST(RecordStreamTest, SkippedDocuments) {
  CheckCases({
      {"digest",
       R"({"awsAccountId":"111122223333","digestStartTime":"2024-01-01T00:00:00Z",)"
       R"("digestEndTime":"2024-01-01T01:00:00Z","digestS3Bucket":"b","digestS3Object":"o",)"
       R"("logFiles":[{"s3Bucket":"b","s3Object":"k","hashValue":"00"}]})",
       DocumentKind::kDigest, ""},
      {"digest by end time only", R"({"digestEndTime":"x","logFiles":[)", DocumentKind::kDigest,
       ""},
      {"Config snapshot",
       R"({"fileVersion":"1.0","configSnapshotId":"abc","configurationItems":[)"
       R"({"configurationItemVersion":"1.3","resourceType":"AWS::S3::Bucket"}]})",
       DocumentKind::kOtherJson, ""},
      {"IAM policy", R"({"Version":"2012-10-17","Statement":[{"Effect":"Allow"}]})",
       DocumentKind::kOtherJson, ""},
      {"empty", "", DocumentKind::kNotJson, ""},
      {"garbage", "\x00\x01\x02garbage", DocumentKind::kNotJson, ""},
      {"broken object without CloudTrail keys", R"({"a":[1,2})", DocumentKind::kNotJson, ""},
  });
}

TEST(RecordStreamTest, JsonLines) {
  CheckCases({
      {"lines", "{\"a\":1}\n{\"b\":2}\n", DocumentKind::kLines, "R 0 {\"a\":1}\nR 8 {\"b\":2}\n"},
      {"no final newline", "{\"a\":1}\n{\"b\":2}", DocumentKind::kLines,
       "R 0 {\"a\":1}\nR 8 {\"b\":2}\n"},
      {"CRLF and blank lines", "{\"a\":1}\r\n\r\n  \r\n{\"b\":2}\r\n", DocumentKind::kLines,
       "R 0 {\"a\":1}\nR 15 {\"b\":2}\n"},
      {"BOM and indentation", "\xEF\xBB\xBF{}\n  {\"a\":1}  \n", DocumentKind::kLines,
       "R 3 {}\nR 8 {\"a\":1}\n"},
      {"bad line in the middle",
       "{\"a\":1}\n{\"b\":\n{\"c\":3}\n[1,2]\n42\nnot json\n{\"d\":\"}\"}\n", DocumentKind::kLines,
       "R 0 {\"a\":1}\n"
       "B 8 record 1 is broken: unterminated object starting at byte 8\n"
       "R 14 {\"c\":3}\n"
       "B 22 record 3 is not a JSON object (array)\n"
       "B 28 record 4 is not a JSON object (number)\n"
       "B 31 record 5 is not a JSON object (invalid JSON)\n"
       "R 40 {\"d\":\"}\"}\n"},
      {"mismatch in a line", "{\"a\":1}\n{\"b\":[}\n{\"c\":3}\n", DocumentKind::kLines,
       "R 0 {\"a\":1}\n"
       "B 8 record 1 is broken: malformed JSON at byte 14: '}' does not close '['\n"
       "R 16 {\"c\":3}\n"},
      {"raw newline in a string breaks the line", "{\"a\":1}\n{\"b\":\"x\ny\"}\n{\"c\":3}\n",
       DocumentKind::kLines,
       "R 0 {\"a\":1}\n"
       "B 8 record 1 is broken: unterminated object starting at byte 8\n"
       "B 16 record 2 is not a JSON object (invalid JSON)\n"
       "R 20 {\"c\":3}\n"},
      {"bad first line", "{\"a\":\n{\"c\":3}\n", DocumentKind::kLines,
       "B 0 record 0 is broken: unterminated object starting at byte 0\nR 6 {\"c\":3}\n"},
      {"truncated last line stops", "{\"a\":1}\n{\"b\":[1,", DocumentKind::kLines,
       "R 0 {\"a\":1}\nS 8 truncated document: unterminated object starting at byte 8\n"},
      {"several objects on one line", "{\"a\":1} {\"b\":2}{}\n{}", DocumentKind::kLines,
       "R 0 {\"a\":1}\nR 8 {\"b\":2}\nR 15 {}\nR 18 {}\n"},
      {"junk after an object on a line", "{\"a\":1}\n{\"b\":2} x y\n{}\n", DocumentKind::kLines,
       "R 0 {\"a\":1}\nR 8 {\"b\":2}\nB 16 record 2 is not a JSON object (invalid JSON)\n"
       "R 20 {}\n"},
      {"junk after the first object is not JSON Lines", "{\"a\":1} x\n{}\n",
       DocumentKind::kOtherJson, ""},
  });
}

TEST(RecordStreamTest, ConcatenatedPrettyObjects) {
  CheckCases({
      {"pretty objects", "{\n  \"a\": 1\n}\n{\n  \"b\": [\n    2\n  ]\n}\n", DocumentKind::kLines,
       "R 0 {\n  \"a\": 1\n}\nR 13 {\n  \"b\": [\n    2\n  ]\n}\n"},
      {"pretty objects back to back", "{\n\"a\":1\n}{\n\"b\":2\n}", DocumentKind::kLines,
       "R 0 {\n\"a\":1\n}\nR 9 {\n\"b\":2\n}\n"},
      {"non-object value between", "{\n\"a\":1\n}\n{\n}\n7\n[]\n{\n}", DocumentKind::kLines,
       "R 0 {\n\"a\":1\n}\nR 10 {\n}\nB 14 record 2 is not a JSON object (number)\n"
       "B 16 record 3 is not a JSON object (array)\nR 19 {\n}\n"},
      {"truncated", "{\n\"a\":1\n}\n{\n\"b\":", DocumentKind::kLines,
       "R 0 {\n\"a\":1\n}\nS 10 truncated document: unterminated object starting at byte 10\n"},
      {"mismatch stops", "{\n\"a\":1\n}\n{\n\"b\":[}\n}\n{}", DocumentKind::kLines,
       "R 0 {\n\"a\":1\n}\nS 17 malformed JSON at byte 17: '}' does not close '['\n"},
      {"stray closer stops", "{\n\"a\":1\n}\n{\n}\n}\n", DocumentKind::kLines,
       "R 0 {\n\"a\":1\n}\nR 10 {\n}\nS 14 malformed JSON at byte 14: unexpected '}'\n"},
  });
}

TEST(RecordStreamTest, CloudWatchExport) {
  CheckCases({
      {"with milliseconds",
       "2024-03-01T00:05:12.123Z {\"eventName\":\"A\"}\n"
       "2024-12-31T23:59:59.5Z {\"eventName\":\"B\"}\n",
       DocumentKind::kExport,
       "R 25 @1709251512123 {\"eventName\":\"A\"}\n"
       "R 66 @1735689599500 {\"eventName\":\"B\"}\n"},
      {"without milliseconds, CRLF, blank lines",
       "1970-01-01T00:00:00Z {}\r\n\r\n2000-02-29T23:59:59.999Z {\"a\":1}\r\n",
       DocumentKind::kExport, "R 21 @0 {}\nR 52 @951868799999 {\"a\":1}\n"},
      {"nanosecond fraction is truncated", "2024-03-01T00:05:12.123456789Z {}",
       DocumentKind::kExport, "R 31 @1709251512123 {}\n"},
      {"bad lines",
       "2024-03-01T00:05:12.123Z {}\n"
       "2024-02-30T00:00:00Z {}\n"
       "garbage\n"
       "2024-03-01T00:05:12Z plain text message\n"
       "2024-03-01T00:05:12Z {\"a\":[}\n"
       "2024-03-01T00:05:12Z {\"a\":1} tail\n"
       "2024-03-01T00:05:12Z  {}\n"
       "2024-03-01T00:05:13Z {\"b\":\"x\n"
       "2024-03-01T00:05:14Z {\"c\":3}\n",
       DocumentKind::kExport,
       "R 25 @1709251512123 {}\n"
       "B 28 record 1 does not start with a timestamp (YYYY-MM-DDTHH:MM:SS[.fff]Z) and a space\n"
       "B 52 record 2 does not start with a timestamp (YYYY-MM-DDTHH:MM:SS[.fff]Z) and a space\n"
       "B 60 record 3 is not a JSON object (invalid JSON)\n"
       "B 100 record 4 is broken: malformed JSON at byte 127: '}' does not close '['\n"
       "B 129 record 5 has data after the JSON object at byte 157\n"
       "B 163 record 6 is not a JSON object (invalid JSON)\n"
       "B 188 record 7 is broken: unterminated object starting at byte 209\n"
       "R 238 @1709251514000 {\"c\":3}\n"},
      {"truncated last line",
       "2024-03-01T00:05:12Z {}\n2024-03-01T00:05:12Z {\"a\":", DocumentKind::kExport,
       "R 21 @1709251512000 {}\nS 45 truncated document: unterminated object starting at byte "
       "45\n"},
  });
}

TEST(RecordStreamTest, ExportTimestamps) {
  struct Case {
    std::string_view stamp;
    std::int64_t ms;  // -1: not a timestamp
  };
  const Case cases[] = {
      {"1970-01-01T00:00:00Z", 0},
      {"1969-12-31T23:59:59Z", -1000},
      {"1600-03-01T00:00:00Z", -11670912000000},
      {"2024-03-01T00:05:12.1Z", 1709251512100},
      {"2024-03-01T00:05:12.12Z", 1709251512120},
      {"2024-02-29T00:00:00Z", 1709164800000},
      {"2016-12-31T23:59:60Z", 1483228800000},
      {"2023-02-29T00:00:00Z", -1},
      {"1900-02-29T00:00:00Z", -1},
      {"2024-04-31T00:00:00Z", -1},
      {"2024-00-01T00:00:00Z", -1},
      {"2024-01-00T00:00:00Z", -1},
      {"2024-01-01T24:00:00Z", -1},
      {"2024-01-01T00:60:00Z", -1},
      {"2024-01-01T00:00:61Z", -1},
      {"2024-01-01T00:00:00.Z", -1},
      {"2024-01-01T00:00:00.1234567890Z", -1},
      {"2024-01-01T00:00:00", -1},
      {"2024-01-01 00:00:00Z", -1},
      {"2024-01-01T00:00:00+00:00", -1},
      {"24-01-01T00:00:00Z", -1},
  };
  for (const Case& c : cases) {
    const std::string line = std::string(c.stamp) + " {}\n";
    RecordStream stream(line);
    if (c.ms == -1) {
      EXPECT_EQ(stream.kind(), DocumentKind::kNotJson) << c.stamp;
      continue;
    }
    ASSERT_EQ(stream.kind(), DocumentKind::kExport) << c.stamp;
    Record record;
    ASSERT_EQ(stream.Next(record), Step::kRecord) << c.stamp;
    EXPECT_EQ(record.export_time_ms, c.ms) << c.stamp;
  }
}

TEST(RecordStreamTest, RecordIndexesAndErrorsAreReset) {
  const std::string data = R"({"Records":[{"a":1},2,{"b":3}]})";
  RecordStream stream(data);
  Record record;
  ASSERT_EQ(stream.Next(record), Step::kRecord);
  EXPECT_EQ(record.index, 0U);
  EXPECT_EQ(record.export_time_ms, -1);
  ASSERT_EQ(stream.Next(record), Step::kBadRecord);
  EXPECT_EQ(record.index, 1U);
  EXPECT_EQ(record.text, "2");
  EXPECT_EQ(record.error, "record 1 is not a JSON object (number)");
  ASSERT_EQ(stream.Next(record), Step::kRecord);
  EXPECT_EQ(record.index, 2U);
  EXPECT_TRUE(record.error.empty());
  EXPECT_EQ(stream.Next(record), Step::kEnd);
  EXPECT_EQ(stream.Next(record), Step::kEnd);
}

// Every prefix of a valid document yields a prefix of the full document's records, then ends
// or stops; a line-based document may also end with one bad record for its cut last line.
TEST(RecordStreamTest, EveryPrefixYieldsAPrefixOfTheRecords) {
  const std::string_view documents[] = {
      R"({"Records":[{"eventName":"A","x":"q\"}]\\"},{"eventName":"B","y":[1,{"z":null}]},)"
      R"({"eventName":"C"}]})",
      "\xEF\xBB\xBF[ {\"a\": \"\\u00e9\"} , {\"b\": [[], {}]} ,{}]",
      "{\"eventName\":\"A\",\"n\":[1,2]}\n{\"eventName\":\"B\\\"\"}\r\n{\"c\":{}}\n",
      "{\n  \"eventName\": \"A\"\n}\n{\n  \"eventName\": \"B\"\n}\n",
      "2024-03-01T00:05:12.123Z {\"eventName\":\"A\"}\n2024-03-01T00:05:13Z {\"b\":\"]\"}\n",
      "{\"eventVersion\":\"1.08\",\"eventName\":\"X\",\"r\":{\"a\":[\"}\"]}}",
  };
  for (const std::string_view document : documents) {
    const std::vector<std::string> full = RecordTexts(RunStream(document));
    ASSERT_FALSE(full.empty()) << document;
    for (std::size_t cut = 0; cut <= document.size(); ++cut) {
      const std::string prefix(document.substr(0, cut));
      const std::vector<Event> events = RunStream(prefix);
      const std::vector<std::string> texts = RecordTexts(events);
      ASSERT_LE(texts.size(), full.size()) << prefix;
      for (std::size_t i = 0; i < texts.size(); ++i) {
        EXPECT_EQ(texts[i], full[i]) << "prefix: " << prefix;
      }
      for (std::size_t i = 0; i < events.size(); ++i) {
        if (events[i].step != Step::kBadRecord) continue;
        // Only a cut line (the last one) may be bad, and only in line-based documents.
        EXPECT_EQ(i + 2, events.size()) << "prefix: " << prefix;
        EXPECT_EQ(prefix.find('\n', events[i].offset), std::string::npos) << "prefix: " << prefix;
      }
      if (cut == document.size()) {
        EXPECT_EQ(events.back().step, Step::kEnd);
      }
    }
  }
}

TEST(RecordStreamTest, DeepNesting) {
  constexpr std::size_t kDepth = 100000;
  {
    // A record nested 100,000 deep inside the Records array.
    std::string record = "{\"k\":";
    std::string closers = "}";
    for (std::size_t i = 0; i < kDepth; ++i) {
      record += (i % 3 == 0) ? "[" : "{\"a\":";
      closers += (i % 3 == 0) ? ']' : '}';
    }
    record += "1";
    record.append(closers.rbegin(), closers.rend());
    const std::string data = "{\"Records\":[" + record + ",{}]}";
    const std::vector<Event> events = RunStream(data);
    ASSERT_EQ(events.size(), 3U);
    EXPECT_EQ(events[0].step, Step::kRecord);
    EXPECT_EQ(events[0].text.size(), record.size());
    EXPECT_EQ(events[1].text, "{}");
  }
  {
    // Balanced deep array: a bad record, then the stream goes on.
    const std::string data = "[" + std::string(kDepth, '[') + std::string(kDepth, ']') + ",{}]";
    EXPECT_EQ(Dump(data), "B 1 record 0 is not a JSON object (array)\nR " +
                              std::to_string(2 * kDepth + 2) + " {}\n");
  }
  {
    // Unbalanced: truncated.
    const std::string data = "[{}," + std::string(kDepth, '[');
    EXPECT_EQ(Dump(data),
              "R 1 {}\nS 4 truncated document: unterminated array starting at byte 4\n");
  }
  {
    // A mismatch at the bottom of a deep stack of alternating brackets.
    std::string data = "[";
    for (std::size_t i = 0; i < kDepth; ++i) data += (i % 2 == 0) ? "{\"a\":" : "[";
    data += "}";  // the innermost level is a '['
    EXPECT_EQ(Dump(data), "S " + std::to_string(data.size() - 1) + " malformed JSON at byte " +
                              std::to_string(data.size() - 1) + ": '}' does not close '['\n");
  }
  {
    // Deep nesting inside the classifier's key scan and inside JSON Lines.
    const std::string deep = std::string(kDepth, '[') + std::string(kDepth, ']');
    const std::string single = "{\"x\":" + deep + ",\"eventName\":\"A\"}";
    DocumentKind kind = DocumentKind::kNotJson;
    EXPECT_EQ(RecordTexts(RunStream(single, &kind)).size(), 1U);
    EXPECT_EQ(kind, DocumentKind::kSingle);
    EXPECT_EQ(RecordTexts(RunStream(single + "\n" + single + "\n", &kind)).size(), 2U);
    EXPECT_EQ(kind, DocumentKind::kLines);
  }
}

TEST(RecordStreamTest, TenMegabyteString) {
  const std::string big(10 * 1024 * 1024, 'x');
  const std::string record = "{\"eventName\":\"A\",\"blob\":\"" + big + "\"}";
  const std::string data = "{\"Records\":[" + record + ",{\"b\":1}]}";
  const std::vector<Event> events = RunStream(data);
  ASSERT_EQ(events.size(), 3U);
  EXPECT_EQ(events[0].text.size(), record.size());
  EXPECT_EQ(events[1].text, "{\"b\":1}");

  // Backslash pairs throughout, then an escaped quote just before the real end.
  std::string escaped;
  for (std::size_t i = 0; i < 1024 * 1024; ++i) escaped += "\\\\";
  escaped += "\\\"";
  const std::string tricky = "[{\"a\":\"" + escaped + "\"},{}]";
  const std::vector<Event> tricky_events = RunStream(tricky);
  ASSERT_EQ(tricky_events.size(), 3U);
  EXPECT_EQ(tricky_events[0].text.size(), escaped.size() + 8);
}

// Random JSON values, serialised compactly or pretty, placed in every document shape: the
// splitter must hand back exactly the generated records.
class JsonGenerator {
 public:
  explicit JsonGenerator(std::uint32_t seed) : random_(seed) {}

  std::string Object(int depth, bool pretty) {
    std::string out = "{";
    const int keys = Pick(0, 4);
    for (int i = 0; i < keys; ++i) {
      if (i > 0) out += ",";
      if (pretty) out += "\n" + std::string(static_cast<std::size_t>(depth + 1) * 2, ' ');
      // Top-level keys start with 'k' so that none is "Records" or a digest key.
      out += (depth == 0 ? "\"k" + String().substr(1) : String()) + (pretty ? ": " : ":") +
             Value(depth + 1, pretty);
    }
    if (pretty && keys > 0) out += "\n" + std::string(static_cast<std::size_t>(depth) * 2, ' ');
    return out + "}";
  }

 private:
  int Pick(int low, int high) { return std::uniform_int_distribution<int>(low, high)(random_); }

  std::string String() {
    static constexpr std::string_view kPieces[] = {
        "a", "Records", "\\\"", "\\\\", "\\u00e9", "]", "}", "{", "[", ",", ":", "é", " ", "\\n"};
    std::string out = "\"";
    const int pieces = Pick(0, 5);
    for (int i = 0; i < pieces; ++i) {
      out += kPieces[static_cast<std::size_t>(Pick(0, std::size(kPieces) - 1))];
    }
    return out + "\"";
  }

  std::string Value(int depth, bool pretty) {
    switch (depth > 6 ? Pick(0, 3) : Pick(0, 5)) {
      case 0:
        return String();
      case 1:
        return std::to_string(Pick(-1000, 1000));
      case 2:
        return Pick(0, 1) == 0 ? "true" : "null";
      case 3:
        return "-1.5e3";
      case 4:
        return Object(depth, pretty);
      default: {
        std::string out = "[";
        const int items = Pick(0, 3);
        for (int i = 0; i < items; ++i) {
          if (i > 0) out += pretty ? ", " : ",";
          out += Value(depth + 1, pretty);
        }
        return out + "]";
      }
    }
  }

  std::mt19937 random_;
};

TEST(RecordStreamTest, GeneratedDocumentsSplitExactly) {
  for (std::uint32_t seed = 1; seed <= 200; ++seed) {
    JsonGenerator generator(seed);
    std::vector<std::string> compact;
    std::vector<std::string> pretty;
    for (int i = 0; i < 8; ++i) {
      compact.push_back(generator.Object(0, false));
      pretty.push_back(generator.Object(0, true));
    }
    // Pretty objects must span lines for the value-by-value mode of kLines.
    pretty[0] = "{\n\"first\": 1\n}";

    std::string records = "{\"Records\":[";
    std::string array = "[";
    std::string lines;
    std::string export_lines;
    std::string concatenated;
    for (std::size_t i = 0; i < compact.size(); ++i) {
      records += (i > 0 ? "," : "") + compact[i];
      array += (i > 0 ? ",\n  " : "\n  ") + pretty[i];
      lines += compact[i] + (i % 2 == 0 ? "\n" : "\r\n");
      export_lines += "2024-03-01T00:05:1" + std::to_string(i) + ".000Z " + compact[i] + "\n";
      concatenated += pretty[i] + "\n";
    }
    records += "]}";
    array += "\n]";

    struct Shape {
      const std::string& data;
      DocumentKind kind;
      const std::vector<std::string>& expected;
    };
    const Shape shapes[] = {
        {records, DocumentKind::kRecords, compact},
        {array, DocumentKind::kArray, pretty},
        {lines, DocumentKind::kLines, compact},
        {export_lines, DocumentKind::kExport, compact},
        {concatenated, DocumentKind::kLines, pretty},
    };
    for (const Shape& shape : shapes) {
      DocumentKind kind = DocumentKind::kNotJson;
      const std::vector<Event> events = RunStream(shape.data, &kind);
      EXPECT_EQ(kind, shape.kind) << shape.data;
      EXPECT_EQ(RecordTexts(events), shape.expected) << shape.data;
      EXPECT_EQ(events.back().step, Step::kEnd) << shape.data;
    }
  }
}

TEST(RecordStreamTest, RandomGarbageNeverBreaksInvariants) {
  std::mt19937 random(12345);
  static constexpr std::string_view kAlphabet = "{}[]\",:\\ \n\rabc01-eRcods";
  for (int round = 0; round < 3000; ++round) {
    std::string data;
    const int length = std::uniform_int_distribution<int>(0, 80)(random);
    const int mode = round % 3;
    if (mode == 1) data = "{\"Records\":[";
    if (mode == 2) data = "2024-03-01T00:05:12Z {";
    for (int i = 0; i < length; ++i) {
      if (round % 5 == 0) {
        data += static_cast<char>(std::uniform_int_distribution<int>(0, 255)(random));
      } else {
        data += kAlphabet[static_cast<std::size_t>(
            std::uniform_int_distribution<int>(0, kAlphabet.size() - 1)(random))];
      }
    }
    (void)RunStream(data);  // RunStream checks the invariants
  }
}

// What a stream yields, one line per step (record text included), for comparing readings.
std::string Steps(const std::vector<Event>& events) {
  std::string out;
  for (const Event& e : events) {
    out += std::to_string(static_cast<int>(e.step)) + " " + std::to_string(e.offset) + " " +
           std::to_string(e.index) + " " + e.error + " " + e.text + "\n";
  }
  return out;
}

// One step of a stream, with what it yielded.
Event EventOf(Step step, const Record& record) {
  Event event;
  event.step = step;
  if (step != Step::kEnd) {
    event.offset = record.offset;
    event.index = record.index;
    event.error = record.error;
    event.text = std::string(record.text);
  }
  return event;
}

// Reads a resumable document in windows of `window` bytes, as the scanner does: on kMore the
// next window starts where the stream resumes, or, when no record fitted, the window grows.
std::vector<Event> RunWindowed(std::string_view data, std::size_t window) {
  std::vector<Event> events;
  RecordStream stream(data);  // classified from a head that holds the first value
  std::uint64_t base = 0;
  std::size_t size = std::min<std::size_t>(
      data.size(), std::max<std::size_t>(window, static_cast<std::size_t>(stream.resume_offset())));
  stream.Continue(data.substr(0, size), 0, size < data.size());
  Record record;
  for (int guard = 0; guard < 1000000; ++guard) {
    const Step step = stream.Next(record);
    if (step == Step::kMore) {
      const std::uint64_t resume = stream.resume_offset();
      if (resume > base) {
        base = resume;
        size = std::min<std::size_t>(window, data.size() - base);
      } else {
        size = std::min<std::size_t>(size * 2 + 1, data.size() - base);
      }
      stream.Continue(data.substr(base, size), base, base + size < data.size());
      continue;
    }
    events.push_back(EventOf(step, record));
    if (step == Step::kEnd || step == Step::kStop) break;
  }
  return events;
}

std::vector<Event> RunWhole(std::string_view data) {
  std::vector<Event> events;
  RecordStream stream(data);
  Record record;
  for (;;) {
    const Step step = stream.Next(record);
    events.push_back(EventOf(step, record));
    if (step == Step::kEnd || step == Step::kStop) break;
  }
  return events;
}

// A Records document, an array, or concatenated objects read a window at a time (what the
// scanner does with big ones) yields exactly what the whole document yields: the same
// records, bad records and stop, at the same offsets, whatever the window.
TEST(RecordStreamTest, WindowedReadingYieldsWhatTheWholeDocumentYields) {
  std::vector<std::string> documents = {
      R"({"Records":[{"a":1},{"b":[1,2,{"c":"x]}"}]},{"d":"\"}"}]})",
      R"({"Records":[]})",
      R"({"Records":[ ]} {"Records":[{"a":1}]})",
      R"({"x":{"y":[1,2]},"Records":[{"a":1}],"z":"q","Records":[{"b":2}]})",
      R"({"Records":[{"a":1}]}{"other":true}{"Records":[{"b":2}]})",
      R"({"Records":[{"a":1},7,"s",[1],{"b":2}]})",
      R"({"Records":[{"a":1},{"b":2})",
      R"({"Records":[{"a":1},{"b":"unterminated)",
      R"({"Records":[{"a":1} {"b":2}]})",
      R"({"Records":[{"a":1},}]})",
      R"({"Records":[{"a":1},{"b":2]]})",
      R"({"Records":[{"a":1}]} garbage)",
      R"({"Records":[{"a":1}],)",
      R"({"Records":[{"a":1}], "k")",
      R"({"Records":[{"a":1}] "k":1})",
      R"({"Records":[{"a":1}]}{})",
      "[{\"a\":1},\n {\"b\":2}]\n[{\"c\":3}]",
      "[{\"a\":1}, 2, {\"b\":2}] x",
      "[{\"a\":1},",
      "{\n\"a\": 1\n}\n{\n\"b\": [1,\n2]\n}\n3\n{\"c\":\"}\"}",
      "{\n\"a\": 1\n}\n{\"b\":",
  };
  for (std::uint32_t seed = 1; seed <= 40; ++seed) {
    JsonGenerator generator(seed);
    std::string records = "{\"Records\":[";
    std::string array = "[";
    std::string concatenated;
    for (int i = 0; i < 6; ++i) {
      const std::string compact = generator.Object(0, false);
      const std::string pretty = generator.Object(0, true);
      records += (i > 0 ? "," : "") + compact;
      array += (i > 0 ? ",\n  " : "\n  ") + pretty;
      concatenated += (i == 0 ? "{\n\"first\": 1\n}" : pretty) + "\n";
    }
    documents.push_back(records + "]}");
    documents.push_back(array + "\n]");
    documents.push_back(concatenated);
  }
  for (const std::string& document : documents) {
    const RecordStream classified(document);
    ASSERT_TRUE(classified.Resumable()) << document;
    const std::string whole = Steps(RunWhole(document));
    for (std::size_t window = 1; window <= document.size() + 1;
         window += window < 64 ? 1 : window / 4) {
      EXPECT_EQ(Steps(RunWindowed(document, window)), whole)
          << "window " << window << " of " << document;
    }
  }
}

}  // namespace
}  // namespace trailreplay::event

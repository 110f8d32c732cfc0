// Where a rules file stops being JSON (common/json_location.h): line, column and what was
// expected, for the errors users fix by hand.
#include "common/json_location.h"

#include <gtest/gtest.h>

namespace trailreplay {
namespace {

TEST(JsonLocationTest, FindsTheFirstSyntaxError) {
  struct Case {
    const char* text;
    std::size_t line, column;
    const char* what;  // part of the message; "" for valid JSON
  } const cases[] = {
      {R"({"a": [1, 2.5e-3, true, false, null, "x\u00e9\n"], "b": {}})", 0, 0, ""},
      {"  [ ]  \n", 0, 0, ""},
      {"{\n  \"metricFilters\": [\n    {\"filterName\": \"a\",}\n  ]\n}", 3, 24,
       "expected a member name in double quotes, found '}'"},
      {"{\n  \"a\": 1\n  \"b\": 2\n}", 3, 3, "expected ',' or '}' after an object member"},
      {"[1 2]", 1, 4, "expected ',' or ']' after an array element"},
      {"{'a': 1}", 1, 2, "a single quote (JSON strings take double quotes)"},
      {"{\"a\" 1}", 1, 6, "expected ':' after the member name"},
      {"{\"a\": }", 1, 7, "expected a value, found '}'"},
      {"{\"a\": \"unterminated}", 1, 21, "a missing closing quote"},
      {"{\"a\": \"bad \\x escape\"}", 1, 12, "invalid escape \\x"},
      {"{\"a\": 01}", 1, 8, "expected ',' or '}'"},
      {"{\"a\": 1.}", 1, 9, "a digit must follow the '.'"},
      {"{\"a\": tru}", 1, 7, "expected a value"},
      {"[1,", 1, 4, "unexpected end of text: expected a value"},
      {"{\"a\": 1", 1, 8, "unexpected end of text: expected ',' or '}'"},
      {"{} {}", 1, 4, "unexpected text after the JSON value"},
      {"", 1, 1, "unexpected end of text: expected a value"},
      {"\"tab\there\"", 1, 5, "a control character inside a string"},
      {"\"\xff\"", 1, 2, "not UTF-8"},
  };
  for (const Case& c : cases) {
    const auto error = FindJsonSyntaxError(c.text);
    if (std::string(c.what).empty()) {
      EXPECT_FALSE(error.has_value()) << c.text << ": " << Describe(*error);
      continue;
    }
    ASSERT_TRUE(error.has_value()) << c.text;
    EXPECT_EQ(error->line, c.line) << c.text;
    EXPECT_EQ(error->column, c.column) << c.text;
    EXPECT_NE(error->what.find(c.what), std::string::npos) << c.text << ": " << error->what;
  }
}

TEST(JsonLocationTest, DeepNestingCostsNoStack) {
  std::string deep(200000, '[');
  deep += std::string(200000, ']');
  EXPECT_FALSE(FindJsonSyntaxError(deep).has_value());
  deep.pop_back();
  const auto error = FindJsonSyntaxError(deep);
  ASSERT_TRUE(error.has_value());
  EXPECT_EQ(error->offset, deep.size());
}

}  // namespace
}  // namespace trailreplay

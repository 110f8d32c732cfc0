// import-samples: CSV as engines write it, a result turned into what a scan stores, and every
// result or database it must refuse, with an error that says where and why.
#include "pushdown/import.h"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <string>

#include "pushdown/compile.h"
#include "pushdown/csv_reader.h"
#include "store/database.h"
#include "support/files.h"

namespace trailreplay::pushdown {
namespace {

using test::TempDir;

std::vector<CsvReader::Record> ReadAll(const std::string& path, std::string* error = nullptr) {
  auto reader = CsvReader::Open(path);
  EXPECT_TRUE(reader.has_value());
  std::vector<CsvReader::Record> out;
  CsvReader::Record record;
  for (;;) {
    auto more = reader->Next(record);
    if (!more) {
      if (error != nullptr) *error = more.error().message;
      break;
    }
    if (!*more) break;
    out.push_back(record);
  }
  return out;
}

TEST(CsvReader, ReadsWhatAthenaAndDuckDbWrite) {
  TempDir dir;
  const auto path = dir.Write(
      "r.csv",
      "\xEF\xBB\xBF\"kind\",\"n\",\"text\"\r\n"
      "\"a\",,\"\"\r\n"                        // NULL, then the empty string
      "\"b\",\"1\",\"x,y \"\"q\"\" \r\nz\"\n"  // comma, doubled quotes, CRLF inside quotes
      "c,2,plain\n"
      "\"d\",\"3\",\"last without newline\"");
  const auto records = ReadAll(path);
  ASSERT_EQ(records.size(), 5u);
  EXPECT_EQ(*records[0][0], "kind");
  EXPECT_FALSE(records[1][1].has_value());
  EXPECT_EQ(*records[1][2], "");
  EXPECT_EQ(*records[2][2], "x,y \"q\" \r\nz");
  EXPECT_EQ(*records[3][2], "plain");
  EXPECT_EQ(*records[4][2], "last without newline");
}

TEST(CsvReader, BadCsvNamesTheRecordLineAndOffset) {
  TempDir dir;
  struct Case {
    const char* csv;
    const char* message;
  } cases[] = {
      {"a,b\n\"x\",\"open\n\n", "record 2 (line 2, byte offset 8): a quoted field is not closed"},
      {"a,b\n\"x\"y,1\n", "record 2 (line 2, byte offset 7): text after the closing quote"},
      {"a,b\nx\"y,1\n", "record 2 (line 2, byte offset 5): a quote inside an unquoted field"},
      {"a\rb\n", "record 1 (line 1, byte offset 1): a carriage return outside quotes"},
  };
  for (const auto& c : cases) {
    std::string error;
    ReadAll(dir.Write("bad.csv", c.csv), &error);
    EXPECT_NE(error.find(c.message), std::string::npos) << error;
    EXPECT_NE(error.find("bad.csv"), std::string::npos) << error;
  }
}

metric::MetricFilterSpec Filter(std::string name, std::optional<double> default_value = {},
                                std::vector<std::pair<std::string, std::string>> dims = {}) {
  metric::MetricFilterSpec spec;
  spec.name = std::move(name);
  spec.pattern = "{ $.eventName = X }";
  spec.transformation.metric_name = spec.name;
  spec.transformation.metric_namespace = "Test";
  spec.transformation.metric_value = "1";
  spec.transformation.default_value = default_value;
  spec.transformation.dimensions = std::move(dims);
  spec.origin = "test";
  return spec;
}

// A result as compile would produce it for `filters` over [from, to), with `rows` after the
// header (the query row is added unless `with_query` is false).
std::string ResultCsv(const std::vector<metric::MetricFilterSpec>& filters, const std::string& rows,
                      std::optional<std::int64_t> from = {}, std::optional<std::int64_t> to = {},
                      bool with_query = true) {
  CompileOptions options;
  options.dialect = Dialect::kAthena;
  options.engine = Engine::kTrino;
  options.table = "t";
  options.from = from;
  options.to = to;
  options.version = "0.0.0";
  auto query = CompileQuery(filters, options);
  EXPECT_TRUE(query.has_value());
  std::string detail;
  for (char c : query->parameters) {
    if (c == '"') detail += '"';
    detail += c;
  }
  std::string out =
      "\"kind\",\"minute\",\"filter\",\"matched\",\"value\",\"count\",\"dimension_1\","
      "\"dimension_2\",\"dimension_3\",\"detail\"\n" +
      rows;
  if (with_query) out += "\"query\",,,,,,,,,\"" + detail + "\"\n";
  return out;
}

std::int64_t Count(const std::string& db, const std::string& sql) {
  auto opened = store::Database::Open(db, /*read_only=*/true);
  EXPECT_TRUE(opened.has_value());
  return opened->QueryInt(sql).value_or(-1);
}

Result<ImportSummary> Import(const TempDir& dir, const std::string& csv,
                             const std::vector<metric::MetricFilterSpec>& filters,
                             const std::string& db = "i.db") {
  ImportOptions options;
  options.result_path = dir.Write("result.csv", csv);
  options.db_path = dir / db;
  options.filters = filters;
  options.version = "0.0.0";
  options.now = "2024-04-01T00:00:00Z";
  return ImportSamples(options);
}

TEST(ImportSamples, WritesWhatAScanStores) {
  TempDir dir;
  const std::vector<metric::MetricFilterSpec> filters = {
      Filter("plain"), Filter("with_default", 0.0),
      Filter("by_name", {}, {{"Name", "$.eventName"}})};
  const std::string rows =
      "\"events\",\"1709251200\",,\"0\",,\"5\",,,,\n"
      "\"events\",\"1709251260\",,\"0\",,\"2\",,,,\n"
      "\"filter\",\"1709251200\",\"plain\",\"1\",\"1.0\",\"3\",,,,\n"
      "\"filter\",\"1709251200\",\"with_default\",\"1\",\"1.0\",\"1\",,,,\n"
      "\"filter\",\"1709251200\",\"with_default\",\"0\",\"0.0\",\"4\",,,,\n"
      "\"filter\",\"1709251260\",\"with_default\",\"0\",\"0.0\",\"2\",,,,\n"
      "\"filter\",\"1709251200\",\"by_name\",\"1\",\"1.0\",\"2\",\"Run\"\"x\",,,\n"
      "\"filter\",\"1709251260\",\"by_name\",\"1\",\"\",\"1\",,,,\n";  // a match without a sample
  auto summary = Import(dir, ResultCsv(filters, rows), filters);
  ASSERT_TRUE(summary.has_value()) << summary.error().message;
  EXPECT_EQ(summary->events, 7u);
  EXPECT_EQ(summary->filters[2].matches, 3u);
  EXPECT_EQ(summary->filters[2].samples, 2u);
  const std::string db = dir / "i.db";
  EXPECT_EQ(Count(db, "SELECT sum(events) FROM minute_totals"), 7);
  EXPECT_EQ(Count(db,
                  "SELECT sample_count FROM samples JOIN series USING (series_id) WHERE "
                  "metric_name = 'with_default' AND minute = 1709251200"),
            5);
  EXPECT_EQ(Count(db,
                  "SELECT count(*) FROM series WHERE metric_name = 'by_name' AND "
                  "dimensions = '{\"Name\":\"Run\\\"x\"}'"),
            1);
  EXPECT_EQ(Count(db,
                  "SELECT matches FROM filter_buckets JOIN filters USING (filter_id) WHERE "
                  "name = 'by_name'"),
            3);
  EXPECT_EQ(Count(db, "SELECT sum(events) FROM imported_series_events"), 3 + 1 + 2);
  EXPECT_EQ(Count(db, "SELECT count(*) FROM imports WHERE dialect = 'athena'"), 1);
  EXPECT_EQ(Count(db, "SELECT count(*) FROM events"), 0);
}

TEST(ImportSamples, RefusesResultsThatDoNotAddUp) {
  TempDir dir;
  const std::vector<metric::MetricFilterSpec> filters = {Filter("plain"),
                                                         Filter("with_default", 0.0)};
  const std::string events = "\"events\",\"1709251200\",,\"0\",,\"2\",,,,\n";
  struct Case {
    std::string csv;
    const char* message;
  } cases[] = {
      {ResultCsv(filters, events, {}, {}, false), "no query row"},
      {"\"kind\",\"minute\"\n", "the header lacks column filter"},
      {ResultCsv(filters,
                 events + "\"filter\",\"1709251200\",\"plain\",\"1\",\"1.0\",\"3\",,,,\n"
                          "\"filter\",\"1709251200\",\"with_default\",\"0\",\"0.0\",\"2\",,,,\n"),
       "counts 3 events at 2024-03-01T00:00:00Z, where the minute has 2"},
      {ResultCsv(filters,
                 events + "\"filter\",\"1709251200\",\"with_default\",\"0\",\"0.0\",\"1\",,,,\n"),
       "has a defaultValue, so each of the 2 events"},
      {ResultCsv(filters, events + "\"filter\",\"1709251200\",\"plain\",\"0\",\"0.0\",\"1\",,,,\n"),
       "it has no defaultValue"},
      {ResultCsv(filters, events + "\"filter\",\"1709251200\",\"plain\",\"1\",\"2.0\",\"1\",,,,\n"),
       "not its metric value 1"},
      {ResultCsv(filters, events + "\"filter\",\"1709251230\",\"plain\",\"1\",\"1.0\",\"1\",,,,\n"),
       "record 3 (line 3): minute is not a multiple of 60"},
      {ResultCsv(filters, events + "\"filter\",\"1709251200\",\"plain\",\"1\",\"x\",\"1\",,,,\n"),
       "value is not a finite number"},
      {ResultCsv(filters, events + "\"surprise\",,,,,,,,,\n"), "unknown kind \"surprise\""},
      {ResultCsv(filters, "\"events\",\"1709254800\",,\"0\",,\"1\",,,,\n", 1709251200, 1709254800),
       "outside the range the query was compiled for"},
  };
  for (const auto& c : cases) {
    auto summary = Import(dir, c.csv, filters);
    ASSERT_FALSE(summary.has_value()) << c.message;
    EXPECT_NE(summary.error().message.find(c.message), std::string::npos)
        << summary.error().message;
  }
}

TEST(ImportSamples, RefusesOtherRulesAndDatabasesItCannotAddTo) {
  TempDir dir;
  const std::vector<metric::MetricFilterSpec> filters = {Filter("plain")};
  const std::string events = "\"events\",\"1709251200\",,\"0\",,\"1\",,,,\n";
  // Compiled from another definition of the filter.
  auto changed = filters;
  changed[0].pattern = "{ $.eventName = Y }";
  auto summary = Import(dir, ResultCsv(changed, events), filters);
  ASSERT_FALSE(summary.has_value());
  EXPECT_NE(summary.error().message.find("compiled from another definition"), std::string::npos);
  // Rules with a filter the query did not evaluate.
  summary = Import(dir, ResultCsv(filters, events), {Filter("plain"), Filter("extra")});
  ASSERT_FALSE(summary.has_value());
  EXPECT_NE(summary.error().message.find("did not evaluate filter \"extra\""), std::string::npos);
  // Rules without a filter the query evaluated.
  summary = Import(dir, ResultCsv({Filter("plain"), Filter("extra")}, events), filters);
  ASSERT_FALSE(summary.has_value());
  EXPECT_NE(summary.error().message.find("rules do not define (\"extra\")"), std::string::npos);

  // Disjoint ranges add up; overlapping ones are refused, the same result twice too.
  const std::string march = ResultCsv(filters, events, 1709251200, 1709337600);
  ASSERT_TRUE(Import(dir, march, filters).has_value());
  summary = Import(dir, march, filters);
  ASSERT_FALSE(summary.has_value());
  EXPECT_NE(summary.error().message.find("imported already"), std::string::npos);
  const std::string next =
      ResultCsv(filters, "\"events\",\"1709337600\",,\"0\",,\"4\",,,,\n", 1709337600, 1709424000);
  ASSERT_TRUE(Import(dir, next, filters).has_value());
  EXPECT_EQ(Count(dir / "i.db", "SELECT sum(events) FROM minute_totals"), 5);
  summary = Import(dir, ResultCsv(filters, events), filters);  // open range: overlaps both
  ASSERT_FALSE(summary.has_value());
  EXPECT_NE(summary.error().message.find("overlaps"), std::string::npos);
  // Other filters than the database's.
  summary =
      Import(dir, ResultCsv({Filter("other")}, "", 1709424000, 1709510400), {Filter("other")});
  ASSERT_FALSE(summary.has_value());
  EXPECT_NE(summary.error().message.find("already holds counts for other filters"),
            std::string::npos);
}

}  // namespace
}  // namespace trailreplay::pushdown

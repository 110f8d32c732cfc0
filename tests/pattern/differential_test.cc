// The fast evaluator must agree with the reference evaluator on generated events and patterns,
// on the sample data, and on the real CloudTrail datasets in ../shared/datasets (skipped when
// absent), where the CIS filters must also reproduce the counts each dataset's SOURCE.md states.
#include <gtest/gtest.h>
#include <simdjson.h>
#include <zlib.h>

#include <filesystem>
#include <fstream>
#include <map>

#include "pattern/compiled.h"
#include "pattern/parser.h"
#include "support/event_generator.h"
#include "support/reference_evaluator.h"

namespace trailreplay::pattern {
namespace {

namespace fs = std::filesystem;

constexpr const char* kCisUnauthorized =
    R"({ ($.errorCode = "*UnauthorizedOperation") || ($.errorCode = "AccessDenied*") })";
constexpr const char* kCisTrailChanges =
    R"({ ($.eventName = CreateTrail) || ($.eventName = UpdateTrail) || ($.eventName = DeleteTrail) || ($.eventName = StartLogging) || ($.eventName = StopLogging) })";

// Runs every pattern over every message with both engines; returns the number of matches.
std::size_t ExpectAgreement(const std::vector<std::string>& patterns,
                            const std::vector<std::string>& messages) {
  std::vector<Pattern> parsed;
  SelectorPlan plan;
  std::vector<CompiledPattern> compiled;
  for (const std::string& text : patterns) {
    auto p = ParsePattern(text);
    if (!p) continue;  // generated patterns may exceed a quota
    parsed.push_back(*p);
    compiled.emplace_back(*p, plan);
  }
  EventContext event(&plan);
  std::size_t matches = 0;
  for (const std::string& message : messages) {
    event.Reset(message);
    for (std::size_t i = 0; i < compiled.size(); ++i) {
      const bool fast = compiled[i].Matches(event);
      const bool reference = testing::ReferenceMatches(parsed[i], message);
      if (fast != reference) {
        ADD_FAILURE() << "engines disagree (fast=" << fast << ")\n  pattern: " << parsed[i].source
                      << "\n  parsed:  " << PrintPattern(parsed[i]) << "\n  message: " << message;
        return matches;
      }
      matches += fast ? 1 : 0;
    }
  }
  // The JSON objects among the messages, walked as one CloudTrail log (the scanner's fast
  // path), must yield each message's exact text and the same decisions.
  std::vector<std::string> objects;
  std::vector<std::vector<bool>> decisions;
  std::string log = R"({"Records":[)";
  for (const std::string& message : messages) {
    event.Reset(message);
    if (!event.IsJsonObject()) continue;
    decisions.emplace_back();
    for (const CompiledPattern& pattern : compiled) {
      decisions.back().push_back(pattern.Matches(event));
    }
    log += (objects.empty() ? "" : ",\n") + message;
    // A record's text is its object, without the blanks around it.
    const std::size_t first = message.find_first_not_of(" \t\r\n");
    const std::size_t last = message.find_last_not_of(" \t\r\n");
    objects.push_back(message.substr(first, last + 1 - first));
  }
  log += "]}";
  const std::size_t size = log.size();
  log.resize(size + simdjson::SIMDJSON_PADDING, '\0');
  if (!event.StartDocument(std::string_view(log.data(), size), true)) {
    ADD_FAILURE() << "the log of " << objects.size() << " records was not walked";
    return matches;
  }
  for (std::size_t r = 0; r < objects.size(); ++r) {
    if (event.NextRecord() != EventContext::DocumentStep::kRecord) {
      ADD_FAILURE() << "the log walk stopped at record " << r << ": " << objects[r];
      return matches;
    }
    EXPECT_EQ(event.message(), objects[r]);
    for (std::size_t i = 0; i < compiled.size(); ++i) {
      if (compiled[i].Matches(event) != decisions[r][i]) {
        ADD_FAILURE() << "the log walk decides otherwise\n  pattern: " << parsed[i].source
                      << "\n  record:  " << objects[r];
        return matches;
      }
    }
  }
  EXPECT_EQ(event.NextRecord(), EventContext::DocumentStep::kEnd);
  return matches;
}

TEST(DifferentialTest, GeneratedJsonEventsAndPatterns) {
  testing::EventGenerator gen(20261121);
  std::vector<std::string> patterns;
  std::vector<std::string> events;
  for (int i = 0; i < 400; ++i) patterns.push_back(gen.JsonPattern());
  for (int i = 0; i < 400; ++i) events.push_back(gen.JsonEvent());
  std::size_t valid = 0;
  for (const auto& p : patterns) valid += ParsePattern(p).has_value() ? 1u : 0u;
  EXPECT_GT(valid, 350u) << "the generator should mostly produce valid patterns";
  const std::size_t matches = ExpectAgreement(patterns, events);
  // Both outcomes must be common, or the comparison says little.
  EXPECT_GT(matches, valid * events.size() / 50);
  EXPECT_LT(matches, valid * events.size() * 9 / 10);
}

TEST(DifferentialTest, GeneratedTermAndDelimitedPatterns) {
  testing::EventGenerator gen(7);
  std::vector<std::string> patterns;
  std::vector<std::string> events;
  for (int i = 0; i < 150; ++i) patterns.push_back(gen.TermPattern());
  for (int i = 0; i < 150; ++i) patterns.push_back(gen.DelimitedPattern());
  for (int i = 0; i < 300; ++i) events.push_back(gen.TextEvent());
  std::size_t valid = 0;
  for (const auto& p : patterns) valid += ParsePattern(p).has_value() ? 1u : 0u;
  EXPECT_GT(valid, 280u);
  const std::size_t matches = ExpectAgreement(patterns, events);
  EXPECT_GT(matches, valid * events.size() / 50);
}

// `||` lists over one operand are evaluated as set lookups: they must decide as the
// comparisons they replace, for every kind of value (numbers by their token, true/false,
// null, arrays under wildcards) and next to globs, regexes and other selectors.
TEST(DifferentialTest, OrListsOverOneOperand) {
  testing::EventGenerator gen(20261122);
  std::vector<std::string> patterns;
  std::vector<std::string> events;
  for (int i = 0; i < 300; ++i) patterns.push_back(gen.AnyOfPattern());
  for (int i = 0; i < 400; ++i) events.push_back(gen.JsonEvent());
  const std::size_t json_matches = ExpectAgreement(patterns, events);
  EXPECT_GT(json_matches, patterns.size() * events.size() / 50);
  EXPECT_LT(json_matches, patterns.size() * events.size() * 9 / 10);

  patterns.clear();
  events.clear();
  for (int i = 0; i < 100; ++i) patterns.push_back(gen.AnyOfDelimitedPattern());
  for (int i = 0; i < 300; ++i) events.push_back(gen.TextEvent());
  EXPECT_GT(ExpectAgreement(patterns, events), patterns.size() * events.size() / 50);
}

// ---- real data ----------------------------------------------------------------------------

std::string ReadFile(const fs::path& path) {
  std::string data;
  gzFile file = gzopen(path.c_str(), "rb");  // reads plain files unchanged too
  if (file == nullptr) return data;
  char buffer[1 << 16];
  int n = 0;
  while ((n = gzread(file, buffer, sizeof buffer)) > 0)
    data.append(buffer, static_cast<std::size_t>(n));
  gzclose(file);
  return data;
}

// Every CloudTrail record in a file, as one-line JSON (what CloudWatch Logs receives).
std::vector<std::string> Records(const fs::path& path) {
  std::vector<std::string> out;
  const std::string data = ReadFile(path);
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  if (parser.parse(data).get(root) == simdjson::SUCCESS) {
    simdjson::dom::array records;
    if (root.is_object() && root["Records"].get_array().get(records) == simdjson::SUCCESS) {
      for (auto r : records) out.push_back(simdjson::minify(r));
    } else if (root.is_array()) {
      for (auto r : root.get_array()) out.push_back(simdjson::minify(r));
    } else if (root.is_object()) {
      out.push_back(simdjson::minify(root));
    }
    return out;
  }
  // JSON Lines.
  std::size_t start = 0;
  while (start < data.size()) {
    std::size_t end = data.find('\n', start);
    if (end == std::string::npos) end = data.size();
    if (end > start) out.push_back(data.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

struct DatasetCounts {
  const char* name;
  std::size_t events;
  std::size_t unauthorized;
  std::size_t trail_changes;
};

// From ../shared/datasets/README.md (raw counts, duplicates included).
const DatasetCounts kDatasets[] = {
    {"flaws2-cloudtrail", 37, 5, 0},
    {"invictus-aws-stratus", 2900, 60, 13},
    {"stratus-red-team-detonation-logs", 310, 51, 2},
    {"traildiscover-log-examples", 563, 411, 6},
    {"otrf-ec2-proxy-s3-exfil", 103, 0, 0},
    {"grycap-cloudtrail-tracker", 17598, 107, 2},
    {"sans504-s3-ransomware", 30477, 10015, 12},
};

class DatasetTest : public ::testing::TestWithParam<DatasetCounts> {};

TEST_P(DatasetTest, CisFiltersReproduceThePublishedCounts) {
  const DatasetCounts& expected = GetParam();
  const fs::path dir = fs::path(TRAILREPLAY_SHARED_DIR) / "datasets" / expected.name;
  if (!fs::is_directory(dir)) GTEST_SKIP() << dir << " is absent";

  SelectorPlan plan;
  const Pattern unauthorized_p = *ParsePattern(kCisUnauthorized);
  const Pattern trail_p = *ParsePattern(kCisTrailChanges);
  const CompiledPattern unauthorized(unauthorized_p, plan);
  const CompiledPattern trail(trail_p, plan);
  EventContext event(&plan);

  std::size_t events = 0, n_unauthorized = 0, n_trail = 0;
  for (const auto& entry : fs::recursive_directory_iterator(dir)) {
    if (!entry.is_regular_file() || entry.path().filename() == "SOURCE.md") continue;
    for (const std::string& record : Records(entry.path())) {
      ++events;
      event.Reset(record);
      const bool u = unauthorized.Matches(event);
      const bool t = trail.Matches(event);
      ASSERT_EQ(u, testing::ReferenceMatches(unauthorized_p, record)) << record;
      ASSERT_EQ(t, testing::ReferenceMatches(trail_p, record)) << record;
      n_unauthorized += u;
      n_trail += t;
    }
  }
  EXPECT_EQ(events, expected.events);
  EXPECT_EQ(n_unauthorized, expected.unauthorized);
  EXPECT_EQ(n_trail, expected.trail_changes);
}

INSTANTIATE_TEST_SUITE_P(Shared, DatasetTest, ::testing::ValuesIn(kDatasets),
                         [](const auto& param_info) {
                           std::string name = param_info.param.name;
                           for (char& c : name) {
                             if (c == '-') c = '_';
                           }
                           return name;
                         });

// sample-data/expected.json was computed by scripts/make-sample-data.py with plain Python
// logic (no pattern engine); the CIS patterns must reproduce its totals on both inputs.
TEST(SampleDataTest, CisFiltersReproduceExpectedJson) {
  const fs::path dir = fs::path(TRAILREPLAY_SOURCE_DIR) / "sample-data";
  simdjson::dom::parser json_parser;
  simdjson::dom::element expected;
  const std::string expected_text = ReadFile(dir / "expected.json");
  ASSERT_EQ(json_parser.parse(expected_text).get(expected), simdjson::SUCCESS);

  SelectorPlan plan;
  const CompiledPattern unauthorized(*ParsePattern(kCisUnauthorized), plan);
  const CompiledPattern trail(*ParsePattern(kCisTrailChanges), plan);
  EventContext event(&plan);
  auto count = [&](const std::vector<std::string>& records, std::uint64_t& u, std::uint64_t& t) {
    for (const std::string& record : records) {
      event.Reset(record);
      u += unauthorized.Matches(event) ? 1u : 0u;
      t += trail.Matches(event) ? 1u : 0u;
    }
  };

  std::uint64_t events = 0, u = 0, t = 0;
  for (const auto& entry : fs::recursive_directory_iterator(dir / "AWSLogs")) {
    if (!entry.is_regular_file()) continue;
    if (entry.path().string().find("CloudTrail-Digest") != std::string::npos) continue;
    const std::vector<std::string> records = Records(entry.path());
    events += records.size();
    count(records, u, t);
  }
  EXPECT_EQ(events, uint64_t(expected["s3_layout"]["events"]));
  EXPECT_EQ(u, uint64_t(expected["s3_layout"]["unauthorized_api_calls"]["total"]));
  EXPECT_EQ(t, uint64_t(expected["s3_layout"]["cloudtrail_cfg_changes"]["total"]));

  u = t = 0;
  count(Records(dir / "events.jsonl"), u, t);
  EXPECT_EQ(u, uint64_t(expected["events_jsonl"]["unauthorized_api_calls"]["total"]));
  EXPECT_EQ(t, uint64_t(expected["events_jsonl"]["cloudtrail_cfg_changes"]["total"]));
}

TEST(DifferentialTest, SampleEventsAgreeOnGeneratedPatterns) {
  const fs::path path = fs::path(TRAILREPLAY_SOURCE_DIR) / "sample-data" / "events.jsonl";
  std::vector<std::string> events = Records(path);
  ASSERT_FALSE(events.empty()) << path;
  testing::EventGenerator gen(99);
  std::vector<std::string> patterns = {kCisUnauthorized, kCisTrailChanges};
  for (int i = 0; i < 200; ++i) patterns.push_back(gen.JsonPattern());
  ExpectAgreement(patterns, events);
}

}  // namespace
}  // namespace trailreplay::pattern

// ns/event of the filter-pattern evaluator over realistic CloudTrail records (the sample
// data's S3-layout files, decompressed and split into one-line records), for the two CIS
// patterns the product exists for, both at once (one shared extraction), and baselines
// measured in the same run:
//   BM_OnDemandFloor      simdjson On Demand iterate + walk the top-level keys: the least any
//                         On Demand evaluator can do per event;
//   BM_DomParse           simdjson DOM parse of each event (what a "copy into a DOM" design
//                         would pay before evaluating anything);
//   BM_ReferenceEvaluator the test-only reference evaluator (own parser + full tree).
// perf/run-benchmarks.sh prints each evaluator's ratio to these baselines.
#include <benchmark/benchmark.h>
#include <simdjson.h>
#include <zlib.h>

#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>

#include "pattern/compiled.h"
#include "pattern/parser.h"
#include "support/reference_evaluator.h"

namespace {

namespace fs = std::filesystem;
using namespace trailreplay::pattern;

constexpr const char* kUnauthorized =
    R"({ ($.errorCode = "*UnauthorizedOperation") || ($.errorCode = "AccessDenied*") })";
constexpr const char* kTrailChanges =
    R"({ ($.eventName = CreateTrail) || ($.eventName = UpdateTrail) || ($.eventName = DeleteTrail) || ($.eventName = StartLogging) || ($.eventName = StopLogging) })";
constexpr const char* kUnauthorizedV4 =
    R"({ ($.errorCode =*UnauthorizedOperation) || ($.errorCode =AccessDenied*) && ($.sourceIPAddress!=delivery.logs.amazonaws.com) && ($.eventName!=HeadBucket) })";

// Records padded for simdjson, kept in one arena so the benchmark measures evaluation, not
// allocation.
struct Corpus {
  std::vector<std::string> records;
  std::size_t bytes = 0;
};

const Corpus& LoadCorpus() {
  static const Corpus corpus = [] {
    Corpus c;
    const fs::path root = fs::path(TRAILREPLAY_SOURCE_DIR) / "sample-data" / "AWSLogs";
    simdjson::dom::parser parser;
    std::vector<fs::path> files;
    for (const auto& entry : fs::recursive_directory_iterator(root)) {
      if (entry.is_regular_file() &&
          entry.path().string().find("CloudTrail-Digest") == std::string::npos) {
        files.push_back(entry.path());
      }
    }
    std::sort(files.begin(), files.end());
    for (const fs::path& path : files) {
      gzFile f = gzopen(path.c_str(), "rb");
      std::string data;
      char buffer[1 << 16];
      int n = 0;
      while ((n = gzread(f, buffer, sizeof buffer)) > 0)
        data.append(buffer, static_cast<std::size_t>(n));
      gzclose(f);
      simdjson::dom::element doc;
      if (parser.parse(data).get(doc)) continue;
      for (auto record : doc["Records"].get_array()) {
        std::string text = simdjson::minify(record);
        c.bytes += text.size();
        text.reserve(text.size() + simdjson::SIMDJSON_PADDING);
        c.records.push_back(std::move(text));
      }
    }
    return c;
  }();
  return corpus;
}

void Report(benchmark::State& state, const Corpus& corpus, std::size_t matches) {
  const auto iterations = static_cast<std::int64_t>(state.iterations());
  const auto events = iterations * static_cast<std::int64_t>(corpus.records.size());
  state.SetItemsProcessed(events);
  state.SetBytesProcessed(iterations * static_cast<std::int64_t>(corpus.bytes));
  state.counters["ns_per_event"] = benchmark::Counter(
      static_cast<double>(events), benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
  state.counters["matches"] = static_cast<double>(matches);
}

void RunPatterns(benchmark::State& state, std::vector<const char*> texts) {
  const Corpus& corpus = LoadCorpus();
  SelectorPlan plan;
  std::vector<CompiledPattern> patterns;
  for (const char* text : texts) patterns.emplace_back(*ParsePattern(text), plan);
  EventContext event(&plan);
  std::size_t matches = 0;
  for (auto _ : state) {
    matches = 0;
    for (const std::string& record : corpus.records) {
      event.Reset(record, record.capacity());
      for (const CompiledPattern& p : patterns) matches += p.Matches(event) ? 1u : 0u;
    }
    benchmark::DoNotOptimize(matches);
  }
  Report(state, corpus, matches);
}

void BM_CisUnauthorized(benchmark::State& state) { RunPatterns(state, {kUnauthorized}); }
void BM_CisTrailChanges(benchmark::State& state) { RunPatterns(state, {kTrailChanges}); }
void BM_CisUnauthorizedV4(benchmark::State& state) { RunPatterns(state, {kUnauthorizedV4}); }
void BM_CisBothShared(benchmark::State& state) {
  RunPatterns(state, {kUnauthorized, kTrailChanges});
}

void BM_OnDemandFloor(benchmark::State& state) {
  const Corpus& corpus = LoadCorpus();
  simdjson::ondemand::parser parser;
  std::size_t keys = 0;
  for (auto _ : state) {
    keys = 0;
    for (const std::string& record : corpus.records) {
      simdjson::ondemand::document doc =
          parser.iterate(record.data(), record.size(), record.capacity()).value_unsafe();
      for (auto field : doc.get_object()) {
        keys += field.key().value_unsafe().raw() != nullptr ? 1u : 0u;
      }
    }
    benchmark::DoNotOptimize(keys);
  }
  Report(state, corpus, 0);
}

void BM_DomParse(benchmark::State& state) {
  const Corpus& corpus = LoadCorpus();
  simdjson::dom::parser parser;
  std::size_t objects = 0;
  for (auto _ : state) {
    objects = 0;
    for (const std::string& record : corpus.records) {
      simdjson::dom::element doc;
      if (!parser.parse(record.data(), record.size(), false).get(doc))
        objects += doc.is_object() ? 1u : 0u;
    }
    benchmark::DoNotOptimize(objects);
  }
  Report(state, corpus, 0);
}

void BM_ReferenceEvaluator(benchmark::State& state) {
  const Corpus& corpus = LoadCorpus();
  const Pattern p = *ParsePattern(kUnauthorized);
  std::size_t matches = 0;
  for (auto _ : state) {
    matches = 0;
    for (const std::string& record : corpus.records) {
      matches += trailreplay::testing::ReferenceMatches(p, record) ? 1u : 0u;
    }
    benchmark::DoNotOptimize(matches);
  }
  Report(state, corpus, matches);
}

BENCHMARK(BM_OnDemandFloor)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_DomParse)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_ReferenceEvaluator)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_CisUnauthorized)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_CisTrailChanges)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_CisUnauthorizedV4)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_CisBothShared)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();

// The floors a scan is measured against: what reading the same files costs when nothing is
// evaluated or stored. Prints one JSON line.
//
//   scan_floor inflate --threads N PATH...   read + gunzip every file (input::GunzipAll, the
//                                            scanner's own decoder)
//   scan_floor walk --threads N PATH...      the same, plus a simdjson On Demand pass over each
//                                            document that visits every field of every record
//
// Files are shared out one at a time from an atomic counter, as the scanner does.
#include <simdjson.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include "input/archive.h"
#include "input/discovery.h"
#include "input/gzip.h"

namespace {

using trailreplay::input::Discover;
using trailreplay::input::GunzipAll;
using trailreplay::input::IsGzip;
using trailreplay::input::ReadWholeFile;

struct Totals {
  std::atomic<std::uint64_t> bytes{0}, records{0}, fields{0}, failures{0};
};

std::uint64_t WalkRecords(simdjson::ondemand::parser& parser, std::string& doc, Totals& totals) {
  const std::size_t size = doc.size();
  doc.append(simdjson::SIMDJSON_PADDING, '\0');
  std::uint64_t records = 0, fields = 0;
  simdjson::ondemand::document parsed;
  bool ok = !parser.iterate(doc.data(), size, doc.size()).get(parsed);
  simdjson::ondemand::array array;
  ok = ok && !parsed["Records"].get_array().get(array);
  if (ok) {
    for (auto element : array) {
      simdjson::ondemand::object record;
      if (element.get_object().get(record)) {
        ok = false;
        break;
      }
      for (auto field : record) {
        std::string_view key;
        if (field.unescaped_key().get(key)) {
          ok = false;
          break;
        }
        ++fields;
      }
      ++records;
    }
  }
  doc.resize(size);
  if (!ok) totals.failures.fetch_add(1);
  totals.fields.fetch_add(fields);
  return records;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 4 || (std::string(argv[1]) != "inflate" && std::string(argv[1]) != "walk") ||
      std::string(argv[2]) != "--threads") {
    std::fprintf(stderr, "usage: scan_floor inflate|walk --threads N PATH...\n");
    return 2;
  }
  const bool walk = std::string(argv[1]) == "walk";
  const int threads = std::atoi(argv[3]);
  const std::vector<std::string> paths(argv + 4, argv + argc);
  const auto files = Discover(paths).files;

  const auto start = std::chrono::steady_clock::now();
  Totals totals;
  std::atomic<std::size_t> next{0};
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([&] {
      std::string raw, decoded;
      simdjson::ondemand::parser parser;
      for (;;) {
        const std::size_t i = next.fetch_add(1);
        if (i >= files.size()) return;
        if (!ReadWholeFile(files[i].path, raw, std::uint64_t{4} << 30)) {
          totals.failures.fetch_add(1);
          continue;
        }
        std::string* doc = &raw;
        if (IsGzip(raw)) {
          if (!GunzipAll(raw, decoded, std::uint64_t{4} << 30)) totals.failures.fetch_add(1);
          doc = &decoded;
        }
        totals.bytes.fetch_add(doc->size());
        if (walk) totals.records.fetch_add(WalkRecords(parser, *doc, totals));
      }
    });
  }
  for (auto& thread : pool) thread.join();
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf(
      "{\"mode\":\"%s\",\"threads\":%d,\"files\":%zu,\"bytes\":%llu,\"records\":%llu,"
      "\"fields\":%llu,\"failures\":%llu,\"seconds\":%.4f}\n",
      argv[1], threads, files.size(), static_cast<unsigned long long>(totals.bytes.load()),
      static_cast<unsigned long long>(totals.records.load()),
      static_cast<unsigned long long>(totals.fields.load()),
      static_cast<unsigned long long>(totals.failures.load()), seconds);
  return 0;
}

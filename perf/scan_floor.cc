// The floors a scan is measured against: what reading the same files costs when nothing is
// evaluated or stored. Prints one JSON line.
//
//   scan_floor inflate --threads N PATH...   read + gunzip every file (input::GunzipAll, the
//                                            scanner's own decoder)
//   scan_floor walk --threads N PATH...      the same, plus a simdjson On Demand pass over each
//                                            document that visits every field of every record
//   scan_floor inflate-isal --threads N PATH...
//                                            read + ISA-L's inflate (gzip header and CRC-32
//                                            included), one call per single-member file: the
//                                            decoder the scanner does not use, side by side
//
// Files are shared out one at a time from an atomic counter, as the scanner does.
#include <isa-l/igzip_lib.h>
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

// ISA-L's inflate of a single-member gzip file into `out`, sized from the trailer's ISIZE.
bool IsalGunzip(const std::string& raw, std::string& out) {
  if (raw.size() < 18) return false;
  std::uint32_t isize = 0;
  for (std::size_t i = 0; i < 4; ++i) {
    isize |= std::uint32_t{static_cast<unsigned char>(raw[raw.size() - 4 + i])} << (8 * i);
  }
  out.resize(isize);
  inflate_state state;
  isal_inflate_init(&state);
  state.crc_flag = ISAL_GZIP;
  state.next_in = reinterpret_cast<std::uint8_t*>(const_cast<char*>(raw.data()));
  state.avail_in = static_cast<std::uint32_t>(raw.size());
  state.next_out = reinterpret_cast<std::uint8_t*>(out.data());
  state.avail_out = isize;
  const bool ok = isal_inflate(&state) == ISAL_DECOMP_OK &&
                  state.block_state == ISAL_BLOCK_FINISH && state.total_out == isize;
  out.resize(state.total_out);
  return ok;
}

}  // namespace

int main(int argc, char** argv) {
  const std::string mode = argc > 1 ? argv[1] : "";
  if (argc < 4 || (mode != "inflate" && mode != "walk" && mode != "inflate-isal") ||
      std::string(argv[2]) != "--threads") {
    std::fprintf(stderr, "usage: scan_floor inflate|walk|inflate-isal --threads N PATH...\n");
    return 2;
  }
  const bool walk = mode == "walk";
  const bool isal = mode == "inflate-isal";
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
          const bool ok = isal ? IsalGunzip(raw, decoded)
                               : static_cast<bool>(GunzipAll(raw, decoded, std::uint64_t{4} << 30));
          if (!ok) totals.failures.fetch_add(1);
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

// Time to list the files of a CloudTrail export: input::Discover against two baselines run
// side by side over the same tree.
//   NamesOnly       readdir with d_type, no stat (`find -type f`): the least a walk can do;
//   SequentialStat  readdir, then fstatat of each entry relative to its directory, one
//                   thread (`find -printf %s`, and what Discover did before it stat'ed files
//                   on a pool);
//   Discover/N      input::Discover with N threads.
// The tree is TRAILREPLAY_DISCOVERY_TREE when set (for example build/perf-corpus/...), else
// one made in a temporary directory in the S3 layout: 6 regions x 60 days x 36 empty files,
// 12,960 files in 360 day directories, about the shape of the 1 GB scan corpus.
// Scan wall time includes discovery before any file is read: it is serial time.
#include <benchmark/benchmark.h>
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "input/discovery.h"

namespace {

namespace fs = std::filesystem;

class Tree {
 public:
  Tree() {
    if (const char* given = std::getenv("TRAILREPLAY_DISCOVERY_TREE")) {
      root_ = given;
      return;
    }
    char pattern[] = "/tmp/trailreplay-bench-discovery-XXXXXX";
    if (mkdtemp(pattern) == nullptr) std::abort();
    root_ = owned_ = pattern;
    const char* regions[] = {"eu-west-1",  "us-east-1", "us-east-2",
                             "ap-south-1", "us-west-2", "eu-central-1"};
    for (const char* region : regions) {
      for (int day = 0; day < 60; ++day) {
        char date[16];
        std::snprintf(date, sizeof date, "2024/%02d/%02d", 1 + day / 30, 1 + day % 30);
        const fs::path dir = fs::path(root_) / "AWSLogs/123456789012/CloudTrail" / region / date;
        fs::create_directories(dir);
        for (int file = 0; file < 36; ++file) {
          char name[128];
          std::snprintf(name, sizeof name,
                        "123456789012_CloudTrail_%s_2024%02d%02dT%02d%02dZ_%016x.json.gz", region,
                        1 + day / 30, 1 + day % 30, file * 2 / 3, file * 40 % 60,
                        static_cast<unsigned>(file) * 2654435761u);
          std::ofstream(dir / name).put('\0');
        }
      }
    }
  }
  ~Tree() {
    if (!owned_.empty()) fs::remove_all(owned_);
  }
  const std::string& root() const { return root_; }

 private:
  std::string root_, owned_;
};

const Tree& TheTree() {
  static const Tree tree;
  return tree;
}

// Depth-first, names sorted, as Discover walks; `stat_files` adds the fstatat per entry.
std::size_t Walk(const std::string& path, bool stat_files) {
  DIR* dir = opendir(path.c_str());
  if (dir == nullptr) return 0;
  std::vector<std::pair<std::string, unsigned char>> entries;
  while (const dirent* entry = readdir(dir)) {
    const std::string_view name = entry->d_name;
    if (name != "." && name != "..") entries.emplace_back(name, entry->d_type);
  }
  std::sort(entries.begin(), entries.end());
  std::size_t files = 0;
  for (const auto& [name, type] : entries) {
    if (stat_files) {
      struct stat st {};
      if (fstatat(dirfd(dir), name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) continue;
      if (S_ISDIR(st.st_mode)) {
        files += Walk(path + '/' + name, stat_files);
      } else if (S_ISREG(st.st_mode)) {
        files += st.st_size >= 0 ? 1 : 0;
      }
    } else if (type == DT_DIR) {
      files += Walk(path + '/' + name, stat_files);
    } else if (type == DT_REG) {
      ++files;
    }
  }
  closedir(dir);
  return files;
}

void Count(benchmark::State& state, std::size_t files) {
  state.counters["files"] = static_cast<double>(files);
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(files));
}

void BM_NamesOnly(benchmark::State& state) {
  std::size_t files = 0;
  for (auto _ : state) benchmark::DoNotOptimize(files = Walk(TheTree().root(), false));
  Count(state, files);
}
BENCHMARK(BM_NamesOnly)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_SequentialStat(benchmark::State& state) {
  std::size_t files = 0;
  for (auto _ : state) benchmark::DoNotOptimize(files = Walk(TheTree().root(), true));
  Count(state, files);
}
BENCHMARK(BM_SequentialStat)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_Discover(benchmark::State& state) {
  std::size_t files = 0;
  for (auto _ : state) {
    const auto found =
        trailreplay::input::Discover({TheTree().root()}, static_cast<unsigned>(state.range(0)));
    files = found.files.size();
    benchmark::DoNotOptimize(found.files.data());
  }
  Count(state, files);
}
BENCHMARK(BM_Discover)->Arg(1)->Arg(2)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();

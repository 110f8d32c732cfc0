// Test fixtures on disk: a temporary directory that cleans up after itself, and gzip bytes
// made the way gzip(1) makes them. Header-only, shared by the stage test programs.
#pragma once

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>

namespace trailreplay::test {

// A fresh directory under /tmp, removed (permissions restored first, so tests may chmod
// inside it) when the test ends.
class TempDir {
 public:
  TempDir() {
    char pattern[] = "/tmp/trailreplay-test-XXXXXX";
    const char* made = mkdtemp(pattern);
    EXPECT_NE(made, nullptr) << std::strerror(errno);
    path_ = made != nullptr ? made : "";
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  ~TempDir() {
    std::error_code ec;
    for (auto it = std::filesystem::recursive_directory_iterator(
             path_, std::filesystem::directory_options::skip_permission_denied, ec);
         !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
      if (it->is_directory(ec) && !it->is_symlink(ec)) chmod(it->path().c_str(), 0700);
    }
    std::filesystem::remove_all(path_, ec);
  }

  const std::string& path() const { return path_; }
  std::string operator/(const std::string& name) const { return path_ + "/" + name; }

  void MakeDir(const std::string& name) const {
    ASSERT_EQ(mkdir((*this / name).c_str(), 0755), 0) << name << ": " << std::strerror(errno);
  }
  // Writes `content` to `name` (creating parent directories) and returns its path.
  std::string Write(const std::string& name, std::string_view content) const {
    const std::string path = *this / name;
    std::filesystem::create_directories(std::filesystem::path(path).parent_path());
    std::ofstream out(path, std::ios::binary);
    out << content;
    EXPECT_TRUE(out.good()) << name;
    return path;
  }
  void Link(const std::string& target, const std::string& name) const {
    ASSERT_EQ(symlink(target.c_str(), (*this / name).c_str()), 0)
        << name << ": " << std::strerror(errno);
  }

 private:
  std::string path_;
};

// One gzip member holding `data`; `header` sets the optional header fields (name, ...).
inline std::string Gzip(std::string_view data, int level = Z_DEFAULT_COMPRESSION,
                        gz_header* header = nullptr) {
  z_stream zs{};
  EXPECT_EQ(deflateInit2(&zs, level, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY), Z_OK);
  if (header != nullptr) {
    EXPECT_EQ(deflateSetHeader(&zs, header), Z_OK);
  }
  std::string out(deflateBound(&zs, static_cast<uLong>(data.size())), '\0');
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  zs.avail_in = static_cast<uInt>(data.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  EXPECT_EQ(deflate(&zs, Z_FINISH), Z_STREAM_END);
  out.resize(zs.total_out);
  deflateEnd(&zs);
  return out;
}

}  // namespace trailreplay::test

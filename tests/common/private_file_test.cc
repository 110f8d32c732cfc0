// Files that hold evidence (common/private_file.h): written 0600, whole or not at all, never
// through a symbolic link (issue 19: the HTML report was written with the umask's mode, in
// place, following links).
#include "common/private_file.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

namespace trailreplay {
namespace {

namespace fs = std::filesystem;

class PrivateFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("private_file_test_" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  static std::string Read(const fs::path& path) {
    std::ifstream in(path);
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
  }
  fs::path dir_;
};

TEST_F(PrivateFileTest, WritesOwnerOnlyAndReplacesWhole) {
  const fs::path path = dir_ / "report.html";
  {
    std::ofstream old(path);
    old << "an older, longer report";
  }
  fs::permissions(path, fs::perms(0644));
  ASSERT_TRUE(WritePrivateFile(path.string(), "new"));
  EXPECT_EQ(Read(path), "new");
  struct stat st;
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0600u);
  // No temporary file is left beside it.
  EXPECT_EQ(std::distance(fs::directory_iterator(dir_), fs::directory_iterator()), 1);
}

TEST_F(PrivateFileTest, RefusesASymbolicLinkAndLeavesItsTargetAlone) {
  const fs::path target = dir_ / "elsewhere";
  {
    std::ofstream out(target);
    out << "keep me";
  }
  const fs::path link = dir_ / "report.html";
  fs::create_symlink(target, link);
  auto written = WritePrivateFile(link.string(), "evidence");
  ASSERT_FALSE(written.has_value());
  EXPECT_NE(written.error().message.find("is a symbolic link"), std::string::npos);
  EXPECT_EQ(Read(target), "keep me");
  EXPECT_TRUE(fs::is_symlink(link));
}

TEST_F(PrivateFileTest, AFailedWriteLeavesNothing) {
  const fs::path missing = dir_ / "no-such-dir" / "report.html";
  EXPECT_FALSE(WritePrivateFile(missing.string(), "x").has_value());
  const fs::path directory = dir_ / "a-directory";
  fs::create_directories(directory);
  auto written = WritePrivateFile(directory.string(), "x");
  ASSERT_FALSE(written.has_value());
  EXPECT_NE(written.error().message.find("not a regular file"), std::string::npos);
  EXPECT_EQ(std::distance(fs::directory_iterator(dir_), fs::directory_iterator()), 1);
}

TEST_F(PrivateFileTest, WarnsAboutAFileOthersCanRead) {
  const fs::path path = dir_ / "t.db";
  { std::ofstream out(path); }
  fs::permissions(path, fs::perms(0600));
  EXPECT_FALSE(SharedFileWarning(path.string()).has_value());
  fs::permissions(path, fs::perms(0644));
  auto warning = SharedFileWarning(path.string());
  ASSERT_TRUE(warning.has_value());
  EXPECT_NE(warning->find("mode 0644"), std::string::npos) << *warning;
  EXPECT_FALSE(SharedFileWarning((dir_ / "absent.db").string()).has_value());
}

}  // namespace
}  // namespace trailreplay

#include "input/discovery.h"
#include "support/dac_override.h"
#include "support/files.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

namespace trailreplay::input {
namespace {

using test::Gzip;
using test::TempDir;

std::vector<std::string> Paths(const Discovery& d) {
  std::vector<std::string> paths;
  for (const InputFile& f : d.files) paths.push_back(f.path);
  return paths;
}

std::vector<std::string> Issues(const Discovery& d) {
  std::vector<std::string> issues;
  for (const DiscoveryIssue& i : d.issues) issues.push_back(i.path + ": " + i.message);
  return issues;
}

using Strings = std::vector<std::string>;

TEST(DiscoveryTest, NestedDirectoriesInBytewiseOrder) {
  TempDir t;
  t.Write("b.json", "bb");
  t.Write("a.json", "a");
  t.Write("A.json", "");
  t.Write("_x.json", "");
  t.Write("a b.json", "");
  t.Write("\xc3\xa9.json", "");  // é: bytes above ASCII sort last
  t.MakeDir("sub");
  t.Write("sub/z.json", "");
  t.Write("sub/a.json", "");
  t.MakeDir("sub/deeper");
  t.MakeDir("sub/deeper/deepest");
  t.Write("sub/deeper/deepest/x.json.gz", "");
  t.MakeDir("empty");

  const Discovery d = Discover({t.path()});
  EXPECT_EQ(Paths(d), (Strings{t / "A.json", t / "_x.json", t / "a b.json", t / "a.json",
                               t / "b.json", t / "sub/a.json", t / "sub/deeper/deepest/x.json.gz",
                               t / "sub/z.json", t / "\xc3\xa9.json"}));
  EXPECT_TRUE(d.issues.empty()) << testing::PrintToString(Issues(d));
}

TEST(DiscoveryTest, SizeAndModificationTime) {
  TempDir t;
  t.Write("f.json", "12345");
  const timespec times[2] = {{1600000000, 0}, {1700000000, 123456789}};
  ASSERT_EQ(utimensat(AT_FDCWD, (t / "f.json").c_str(), times, 0), 0);
  const Discovery d = Discover({t / "f.json"});
  ASSERT_EQ(d.files.size(), 1u);
  EXPECT_EQ(d.files[0].size, 5u);
  EXPECT_EQ(d.files[0].mtime_ns, 1700000000123456789);
}

TEST(DiscoveryTest, PathsAreJoinedWithOneSeparator) {
  TempDir t;
  t.MakeDir("d");
  t.Write("d/f.json", "");
  EXPECT_EQ(Paths(Discover({t / "d/"})), Strings{t / "d/f.json"});
  EXPECT_EQ(Paths(Discover({t / "d"})), Strings{t / "d/f.json"});
}

TEST(DiscoveryTest, PathsKeepTheOrderGiven) {
  TempDir t;
  t.MakeDir("b");
  t.MakeDir("a");
  t.Write("b/1.json", "");
  t.Write("a/2.json", "");
  t.Write("c.json", "");
  EXPECT_EQ(Paths(Discover({t / "c.json", t / "b", t / "a"})),
            (Strings{t / "c.json", t / "b/1.json", t / "a/2.json"}));
  EXPECT_TRUE(Discover({}).files.empty());
}

// A scan lists its files while its database gets ready, and stops the listing when it
// returns before needing it (scan/scanner.cc).
TEST(DiscoveryTest, AStoppedDiscoveryReadsNoFurtherDirectory) {
  TempDir t;
  t.MakeDir("d");
  t.Write("d/f.json", "");
  t.Write("g.json", "");
  std::atomic<bool> stop{false};
  EXPECT_EQ(Paths(Discover({t / "d", t / "g.json"}, 0, &stop)),
            (Strings{t / "d/f.json", t / "g.json"}));
  stop = true;
  // A file named on the command line needs no directory read; a directory is not read.
  EXPECT_EQ(Paths(Discover({t / "d", t / "g.json"}, 0, &stop)), Strings{t / "g.json"});
  EXPECT_TRUE(Discover({t.path()}, 2, &stop).files.empty());
}

TEST(DiscoveryTest, SymbolicLinkLoopIsReportedOnceAndNotFollowed) {
  TempDir t;
  t.MakeDir("dir");
  t.Write("dir/f.json", "");
  t.Link("..", "dir/up");  // back to the root being walked
  t.Link(".", "dir/self");

  const Discovery d = Discover({t.path()});
  EXPECT_EQ(Paths(d), Strings{t / "dir/f.json"});
  EXPECT_EQ(Issues(d),
            (Strings{t / "dir/self: symbolic link loop", t / "dir/up: symbolic link loop"}));
}

TEST(DiscoveryTest, LinkThatPointsAtItselfIsALoop) {
  TempDir t;
  t.Link("me", "me");
  t.Link("b", "a");
  t.Link("a", "b");
  const Discovery d = Discover({t.path()});
  EXPECT_TRUE(d.files.empty());
  EXPECT_EQ(Issues(d), (Strings{t / "a: symbolic link loop", t / "b: symbolic link loop",
                                t / "me: symbolic link loop"}));
  EXPECT_EQ(Issues(Discover({t / "me"})), Strings{t / "me: symbolic link loop"});
}

TEST(DiscoveryTest, LinkToADirectoryIsFollowedAndItsFilesListedOnce) {
  TempDir t;
  t.MakeDir("real");
  t.Write("real/x.json", "");
  t.Link("real", "alias");  // sorts first: the files are listed under it
  t.MakeDir("other");
  t.Write("other/y.json", "");

  const Discovery d = Discover({t.path()});
  EXPECT_EQ(Paths(d), (Strings{t / "alias/x.json", t / "other/y.json"}));
  EXPECT_TRUE(d.issues.empty()) << testing::PrintToString(Issues(d));

  // A link given as the PATH itself.
  EXPECT_EQ(Paths(Discover({t / "alias"})), Strings{t / "alias/x.json"});
}

TEST(DiscoveryTest, LinksToFiles) {
  TempDir t;
  t.MakeDir("root");
  t.MakeDir("outside");
  t.Write("outside/ext.json", "external");
  t.Write("root/real.json", "r");
  t.Link("real.json", "root/a-link.json");    // reached before real.json: listed under its name
  t.Link("real.json", "root/z-link.json");    // the same file again: not listed
  t.Link("../outside/ext.json", "root/ext");  // outside the tree: followed

  const Discovery d = Discover({t / "root"});
  EXPECT_EQ(Paths(d), (Strings{t / "root/a-link.json", t / "root/ext"}));
  ASSERT_EQ(d.files.size(), 2u);
  EXPECT_EQ(d.files[0].size, 1u);  // the target's size, not the link's
  EXPECT_EQ(d.files[1].size, 8u);
  EXPECT_TRUE(d.issues.empty()) << testing::PrintToString(Issues(d));
}

TEST(DiscoveryTest, BrokenLink) {
  TempDir t;
  t.Link("does-not-exist.json", "broken.json");
  t.Write("ok.json", "");
  const Discovery d = Discover({t.path()});
  EXPECT_EQ(Paths(d), Strings{t / "ok.json"});
  EXPECT_EQ(Issues(d), Strings{t / "broken.json: broken symbolic link"});
  EXPECT_EQ(Issues(Discover({t / "broken.json"})),
            Strings{t / "broken.json: broken symbolic link"});
}

TEST(DiscoveryTest, TheSameFileTwiceIsListedOnce) {
  TempDir t;
  t.MakeDir("d");
  t.Write("d/f.json", "");
  ASSERT_EQ(link((t / "d/f.json").c_str(), (t / "d/hard.json").c_str()), 0);
  const Discovery d = Discover({t / "d/f.json", t / "d/f.json", t / "d", t.path(), t / "d/"});
  EXPECT_EQ(Paths(d), Strings{t / "d/f.json"});
  EXPECT_TRUE(d.issues.empty()) << testing::PrintToString(Issues(d));
}

// Files are stat'ed on a pool while the walk goes on (one batch per directory, more batches
// than the pool queues): the list, its sizes and the issues are the same for any number of
// threads, and of two names for one file the first in walk order is the one listed.
TEST(DiscoveryTest, TheResultDoesNotDependOnTheThreads) {
  TempDir t;
  Strings expected;
  for (int d = 0; d < 150; ++d) {
    const std::string dir = "d" + std::to_string(1000 + d);
    t.MakeDir(dir);
    for (int f = 0; f < 5; ++f) {
      const std::string name = dir + "/f" + std::to_string(f) + ".json";
      t.Write(name, std::string(static_cast<std::size_t>(d * 5 + f), 'x'));
      expected.push_back(t / name);
    }
    if (d % 40 == 3) t.Link("missing", dir + "/g-broken.json");
  }
  // A second name for a file of the last directory, met first: listed under it, once.
  ASSERT_EQ(link((t / "d1149/f4.json").c_str(), (t / "d1000/a-hard.json").c_str()), 0);
  expected.insert(expected.begin(), t / "d1000/a-hard.json");
  expected.pop_back();

  const Discovery one = Discover({t.path()}, 1);
  EXPECT_EQ(Paths(one), expected);
  EXPECT_EQ(Issues(one), (Strings{t / "d1003/g-broken.json: broken symbolic link",
                                  t / "d1043/g-broken.json: broken symbolic link",
                                  t / "d1083/g-broken.json: broken symbolic link",
                                  t / "d1123/g-broken.json: broken symbolic link"}));
  ASSERT_EQ(one.files.size(), 750u);
  EXPECT_EQ(one.files[0].size, 749u);
  EXPECT_EQ(one.files[1].size, 0u);
  EXPECT_EQ(one.files[749].size, 748u);
  for (unsigned threads : {2u, 4u}) {
    for (int run = 0; run < 5; ++run) {
      const Discovery many = Discover({t.path()}, threads);
      ASSERT_EQ(Paths(many), Paths(one)) << threads << " threads";
      EXPECT_EQ(Issues(many), Issues(one)) << threads << " threads";
      for (std::size_t i = 0; i < one.files.size(); ++i) {
        ASSERT_EQ(many.files[i].size, one.files[i].size) << many.files[i].path;
        ASSERT_EQ(many.files[i].mtime_ns, one.files[i].mtime_ns) << many.files[i].path;
      }
    }
  }
}

TEST(DiscoveryTest, MissingPath) {
  TempDir t;
  const Discovery d = Discover({t / "nope", t / "nope/deeper.json"});
  EXPECT_TRUE(d.files.empty());
  EXPECT_EQ(Issues(d), (Strings{t / "nope: no such file or directory",
                                t / "nope/deeper.json: no such file or directory"}));
}

TEST(DiscoveryTest, FileUsedAsADirectory) {
  TempDir t;
  t.Write("f.json", "");
  EXPECT_EQ(Issues(Discover({t / "f.json/x"})), Strings{t / "f.json/x: not a directory"});
}

TEST(DiscoveryTest, SpecialFilesAreSkippedWithAnIssue) {
  TempDir t;
  ASSERT_EQ(mkfifo((t / "fifo").c_str(), 0644), 0) << std::strerror(errno);

  const int fd = socket(AF_UNIX, SOCK_STREAM, 0);
  ASSERT_GE(fd, 0);
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  const std::string socket_path = t / "sock";
  ASSERT_LT(socket_path.size(), sizeof(address.sun_path));
  std::memcpy(address.sun_path, socket_path.c_str(), socket_path.size() + 1);
  ASSERT_EQ(bind(fd, reinterpret_cast<const sockaddr*>(&address), sizeof(address)), 0)
      << std::strerror(errno);
  t.Link("fifo", "link-to-fifo");
  t.Write("x.json", "");

  const Discovery d = Discover({t.path(), "/dev/null"});
  close(fd);
  EXPECT_EQ(Paths(d), Strings{t / "x.json"});
  EXPECT_EQ(Issues(d), (Strings{t / "fifo: not a regular file (fifo)",
                                t / "link-to-fifo: not a regular file (fifo)",
                                t / "sock: not a regular file (socket)",
                                "/dev/null: not a regular file (character device)"}));
}

// An unreadable file is still listed: opening it is the reader's job, and its failure belongs
// in the ledger.
TEST(DiscoveryTest, UnreadableFileIsListed) {
  TempDir t;
  t.Write("secret.json", "{}");
  ASSERT_EQ(chmod((t / "secret.json").c_str(), 0), 0);
  const Discovery d = Discover({t.path()});
  EXPECT_EQ(Paths(d), Strings{t / "secret.json"});
  EXPECT_TRUE(d.issues.empty());
}

TEST(DiscoveryTest, DirectoryWithoutPermission) {
  TempDir t;  // made first, so that it is removed after the capabilities are back
  const test::DacOverrideDropped unprivileged;  // root too is refused, as any other user
  if (geteuid() == 0 && !unprivileged.active()) {
    GTEST_SKIP() << "cannot drop CAP_DAC_OVERRIDE; root reads every directory";
  }
  t.MakeDir("locked");
  t.Write("locked/hidden.json", "");
  t.MakeDir("open");
  t.Write("open/visible.json", "");
  t.MakeDir("searchable");  // readable but not searchable: names listed, entries not reachable
  t.Write("searchable/f.json", "");
  ASSERT_EQ(chmod((t / "locked").c_str(), 0), 0);
  ASSERT_EQ(chmod((t / "searchable").c_str(), 0444), 0);

  const Discovery d = Discover({t.path()});
  EXPECT_EQ(Paths(d), Strings{t / "open/visible.json"});
  EXPECT_EQ(Issues(d),
            (Strings{t / "locked: permission denied", t / "searchable/f.json: permission denied"}));
}

}  // namespace
}  // namespace trailreplay::input

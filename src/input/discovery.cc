// A recursive walk over POSIX calls (opendir/readdir/lstat/stat) so every failure is an errno
// turned into an issue, never an exception. Identity is (st_dev, st_ino): a file already
// listed is not listed again, a directory already walked is not walked again, and a directory
// reached through a link while it is still on the walk stack (one of its own ancestors) is a
// loop. Only metadata is read: a regular file without read permission is still listed, and
// the reader reports it when it fails to open it.
#include "input/discovery.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <memory>
#include <set>
#include <system_error>
#include <utility>

namespace trailreplay::input {
namespace {

// strerror's text, thread-safe and lowercase: "permission denied".
std::string ErrnoMessage(int err) {
  std::string text = std::generic_category().message(err);
  if (!text.empty() && text[0] >= 'A' && text[0] <= 'Z') text[0] = static_cast<char>(text[0] + 32);
  return text;
}

std::string NotRegularMessage(mode_t mode) {
  const char* kind = "unknown file type";
  if (S_ISSOCK(mode)) {
    kind = "socket";
  } else if (S_ISFIFO(mode)) {
    kind = "fifo";
  } else if (S_ISCHR(mode)) {
    kind = "character device";
  } else if (S_ISBLK(mode)) {
    kind = "block device";
  }
  return std::string("not a regular file (") + kind + ")";
}

std::string Join(const std::string& dir, const std::string& name) {
  if (!dir.empty() && dir.back() == '/') return dir + name;
  return dir + '/' + name;
}

struct FileId {
  dev_t dev;
  ino_t ino;
  auto operator<=>(const FileId&) const = default;
};

FileId IdOf(const struct stat& st) { return FileId{st.st_dev, st.st_ino}; }

struct DirCloser {
  void operator()(DIR* dir) const { closedir(dir); }
};

class Walker {
 public:
  void AddPath(const std::string& path) {
    struct stat st {};
    if (stat(path.c_str(), &st) != 0) {
      ReportStatFailure(path, errno);
      return;
    }
    Visit(path, st, /*via_link=*/false);
  }

  Discovery Take() { return std::move(result_); }

 private:
  void Issue(const std::string& path, std::string message) {
    result_.issues.push_back(DiscoveryIssue{path, std::move(message)});
  }

  // stat() failed on `path`: say whether it is a dangling link, a loop of links or else.
  void ReportStatFailure(const std::string& path, int err) {
    struct stat lst {};
    if (err == ENOENT && lstat(path.c_str(), &lst) == 0 && S_ISLNK(lst.st_mode)) {
      Issue(path, "broken symbolic link");
    } else if (err == ELOOP) {
      Issue(path, "symbolic link loop");
    } else {
      Issue(path, ErrnoMessage(err));
    }
  }

  void Visit(const std::string& path, const struct stat& st, bool via_link) {
    if (S_ISREG(st.st_mode)) {
      if (!files_seen_.insert(IdOf(st)).second) return;
      InputFile file;
      file.path = path;
      file.size = static_cast<std::uint64_t>(st.st_size);
      file.mtime_ns =
          static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec;
      result_.files.push_back(std::move(file));
    } else if (S_ISDIR(st.st_mode)) {
      const FileId id = IdOf(st);
      if (std::find(stack_.begin(), stack_.end(), id) != stack_.end()) {
        Issue(path, via_link ? "symbolic link loop" : "directory loop");
        return;
      }
      // Already walked through another path: its files are listed already.
      if (!dirs_seen_.insert(id).second) return;
      stack_.push_back(id);
      WalkDirectory(path);
      stack_.pop_back();
    } else {
      Issue(path, NotRegularMessage(st.st_mode));
    }
  }

  void WalkDirectory(const std::string& path) {
    std::vector<std::string> names;
    // Kept open while its entries are visited: they are stat'ed relative to it, which spares
    // the kernel a walk down the whole path for each file (most of discovery's time).
    std::unique_ptr<DIR, DirCloser> dir(opendir(path.c_str()));
    if (dir == nullptr) {
      Issue(path, ErrnoMessage(errno));
      return;
    }
    for (;;) {
      errno = 0;
      const dirent* entry = readdir(dir.get());
      if (entry == nullptr) {
        if (errno != 0) Issue(path, ErrnoMessage(errno));
        break;
      }
      const std::string_view name = entry->d_name;
      if (name == "." || name == "..") continue;
      names.emplace_back(name);
    }
    // std::string compares through char_traits<char>, which orders bytes as unsigned.
    std::sort(names.begin(), names.end());

    const int fd = dirfd(dir.get());
    for (const std::string& name : names) {
      const std::string child = Join(path, name);
      struct stat st {};
      if (fstatat(fd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
        Issue(child, ErrnoMessage(errno));
        continue;
      }
      if (!S_ISLNK(st.st_mode)) {
        Visit(child, st, /*via_link=*/false);
        continue;
      }
      if (fstatat(fd, name.c_str(), &st, 0) != 0) {
        ReportStatFailure(child, errno);
        continue;
      }
      Visit(child, st, /*via_link=*/true);
    }
  }

  Discovery result_;
  std::set<FileId> files_seen_;
  std::set<FileId> dirs_seen_;
  std::vector<FileId> stack_;  // directories being walked, outermost first
};

}  // namespace

Discovery Discover(const std::vector<std::string>& paths) {
  Walker walker;
  for (const std::string& path : paths) walker.AddPath(path);
  return walker.Take();
}

}  // namespace trailreplay::input

// A recursive walk over POSIX calls (opendir/readdir/fstatat) so every failure is an errno
// turned into an issue, never an exception. Identity is (st_dev, st_ino): a file already
// listed is not listed again, a directory already walked is not walked again, and a directory
// reached through a link while it is still on the walk stack (one of its own ancestors) is a
// loop. Only metadata is read: a regular file without read permission is still listed, and
// the reader reports it when it fails to open it.
//
// The walk (readdir, and a stat of each directory, link and entry readdir does not type) runs
// on the calling thread and records what it meets in order. The regular files readdir names,
// nearly every entry of an export and most of the time (the kernel looks each name up again),
// are stat'ed by a pool, one batch per directory, relative to a duplicate of its descriptor,
// while the walk goes on. The record is then read in walk order, which is where a file reached
// twice is dropped: the result does not depend on which thread stat'ed what.
#include "input/discovery.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <set>
#include <system_error>
#include <thread>
#include <unordered_set>
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

struct FileIdHash {
  std::size_t operator()(const FileId& id) const {
    return std::hash<std::uint64_t>()(static_cast<std::uint64_t>(id.ino) * 0x9e3779b97f4a7c15u ^
                                      static_cast<std::uint64_t>(id.dev));
  }
};

FileId IdOf(const struct stat& st) { return FileId{st.st_dev, st.st_ino}; }

struct DirCloser {
  void operator()(DIR* dir) const { closedir(dir); }
};

// What the walk met, in walk order: an issue, or a file whose stat is known or pending.
struct Entry {
  std::string path;
  std::string issue;        // set: this entry is an issue about `path`
  std::size_t name_at = 0;  // where the name relative to its directory starts in `path`
  int error = 0;            // the stat failed with this errno
  mode_t mode = 0;
  FileId id{};
  std::uint64_t size = 0;
  std::int64_t mtime_ns = 0;

  void Set(const struct stat& st) {
    mode = st.st_mode;
    id = IdOf(st);
    size = static_cast<std::uint64_t>(st.st_size);
    mtime_ns = static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec;
  }
};

void StatEntries(int dir_fd, const std::vector<Entry*>& entries) {
  for (Entry* entry : entries) {
    struct stat st {};
    if (fstatat(dir_fd, entry->path.c_str() + entry->name_at, &st, AT_SYMLINK_NOFOLLOW) == 0) {
      entry->Set(st);
    } else {
      entry->error = errno;
    }
  }
}

// The files of one directory, stat'ed relative to `fd` (owned).
struct Batch {
  int fd = -1;
  std::vector<Entry*> entries;
};

void RunBatch(Batch& batch) {
  StatEntries(batch.fd, batch.entries);
  close(batch.fd);
}

// Batches stat'ed by `helpers` threads, started by the first batch, and by the caller while it
// waits for them in Finish. At most kMaxQueued wait, each holding a descriptor: past that the
// caller stats the oldest itself.
class StatPool {
 public:
  explicit StatPool(unsigned helpers) : helpers_(helpers) {}
  StatPool(const StatPool&) = delete;
  StatPool& operator=(const StatPool&) = delete;
  ~StatPool() { Finish(); }

  unsigned helpers() const { return helpers_; }

  void Submit(Batch batch) {
    std::unique_lock lock(mu_);
    if (threads_.empty()) {
      for (unsigned i = 0; i < helpers_; ++i) threads_.emplace_back([this] { Help(); });
    }
    queue_.push_back(std::move(batch));
    ready_.notify_one();
    while (queue_.size() > kMaxQueued) {
      Batch oldest = std::move(queue_.front());
      queue_.pop_front();
      lock.unlock();
      RunBatch(oldest);
      lock.lock();
    }
  }

  // Returns once every batch submitted is stat'ed.
  void Finish() {
    {
      std::lock_guard lock(mu_);
      finishing_ = true;
    }
    ready_.notify_all();
    Help();
    for (std::thread& thread : threads_) thread.join();
    threads_.clear();
  }

 private:
  static constexpr std::size_t kMaxQueued = 64;

  void Help() {
    for (;;) {
      std::unique_lock lock(mu_);
      ready_.wait(lock, [&] { return finishing_ || !queue_.empty(); });
      if (queue_.empty()) return;
      Batch batch = std::move(queue_.front());
      queue_.pop_front();
      lock.unlock();
      RunBatch(batch);
    }
  }

  const unsigned helpers_;
  std::mutex mu_;
  std::condition_variable ready_;
  std::deque<Batch> queue_;
  bool finishing_ = false;
  std::vector<std::thread> threads_;
};

class Walker {
 public:
  Walker(unsigned helpers, const std::atomic<bool>* stop) : pool_(helpers), stop_(stop) {}

  void AddPath(const std::string& path) {
    struct stat st {};
    if (stat(path.c_str(), &st) != 0) {
      ReportStatFailure(path, errno);
      return;
    }
    Visit(path, st, /*via_link=*/false);
  }

  Discovery Take() {
    pool_.Finish();
    Discovery result;
    std::unordered_set<FileId, FileIdHash> files_seen;
    for (Entry& entry : entries_) {
      if (!entry.issue.empty()) {
        result.issues.push_back(DiscoveryIssue{std::move(entry.path), std::move(entry.issue)});
      } else if (entry.error != 0) {
        result.issues.push_back(DiscoveryIssue{std::move(entry.path), ErrnoMessage(entry.error)});
      } else if (!S_ISREG(entry.mode)) {
        // Named a regular file by readdir, something else by the time it was stat'ed.
        std::string message = S_ISDIR(entry.mode)   ? "replaced by a directory during the walk"
                              : S_ISLNK(entry.mode) ? "replaced by a link during the walk"
                                                    : NotRegularMessage(entry.mode);
        result.issues.push_back(DiscoveryIssue{std::move(entry.path), std::move(message)});
      } else if (files_seen.insert(entry.id).second) {
        result.files.push_back(InputFile{std::move(entry.path), entry.size, entry.mtime_ns});
      }
    }
    entries_.clear();
    return result;
  }

 private:
  void Issue(const std::string& path, std::string message) {
    Entry& entry = entries_.emplace_back();
    entry.path = path;
    entry.issue = std::move(message);
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
      Entry& entry = entries_.emplace_back();
      entry.path = path;
      entry.Set(st);
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
    if (stop_ != nullptr && stop_->load(std::memory_order_relaxed)) return;
    std::vector<std::pair<std::string, unsigned char>> names;  // and readdir's d_type
    // Kept open while its entries are visited: they are stat'ed relative to it, which spares
    // the kernel a walk down the whole path for each file.
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
      names.emplace_back(name, entry->d_type);
    }
    // std::string compares through char_traits<char>, which orders bytes as unsigned.
    std::sort(names.begin(), names.end());

    const int fd = dirfd(dir.get());
    Batch batch;
    for (const auto& [name, type] : names) {
      std::string child = Join(path, name);
      if (type == DT_REG) {
        Entry& entry = entries_.emplace_back();
        entry.path = std::move(child);
        entry.name_at = entry.path.size() - name.size();
        batch.entries.push_back(&entry);
        continue;
      }
      // What to walk next depends on these: stat'ed here.
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
    if (batch.entries.empty()) return;
    // Without helpers, or out of descriptors: stat them now, with the directory's own.
    if (pool_.helpers() > 0) batch.fd = fcntl(fd, F_DUPFD_CLOEXEC, 0);
    if (batch.fd < 0) {
      StatEntries(fd, batch.entries);
      return;
    }
    pool_.Submit(std::move(batch));
  }

  std::deque<Entry> entries_;  // a deque: the pool writes to entries while the walk adds more
  StatPool pool_;
  std::set<FileId> dirs_seen_;
  std::vector<FileId> stack_;  // directories being walked, outermost first
  const std::atomic<bool>* stop_;
};

}  // namespace

Discovery Discover(const std::vector<std::string>& paths, unsigned threads,
                   const std::atomic<bool>* stop) {
  if (threads == 0) threads = std::max(1u, std::thread::hardware_concurrency());
  Walker walker(threads - 1, stop);
  for (const std::string& path : paths) walker.AddPath(path);
  return walker.Take();
}

}  // namespace trailreplay::input

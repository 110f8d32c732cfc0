// Checkpoints a database's WAL from a thread of its own while a scan writes.
//
// By default SQLite checkpoints in the connection that writes: the commit that takes the WAL
// past a size copies every frame into the database file and syncs it, and closing the last
// connection copies whatever is left. In a scan that is the writer's time, and the writer is
// the thread that runs alone at the end, after the workers are done: with the WAL a whole
// scan long, the checkpoint on close was half of that tail.
//
// A Checkpointer takes the work over. It installs a WAL hook on the writer's connection (which
// replaces the connection's automatic checkpoints) that wakes the checkpointer's thread once
// the WAL passes `frames` pages, and that thread runs PASSIVE checkpoints on a connection of
// its own. A PASSIVE checkpoint never blocks the writer: it copies the committed frames and
// returns. The WAL starts over only when a transaction begins with every frame copied, and
// the writer begins its next one right after each commit, while the thread is still copying;
// so once the WAL passes `restart_frames` the writer checkpoints itself in the hook, between
// its commit and its next transaction, which copies only what the thread has not (about the
// last commit) and lets the next transaction start the WAL over: the WAL holds at most about
// `restart_frames` pages and one commit. Closing copies about the last commit.
//
// Durability is the WAL's, as before: a failed checkpoint leaves the frames in the WAL, where
// readers see them and the next checkpoint (at the latest the one on close) copies them.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>

#include "common/result.h"
#include "store/database.h"

namespace trailreplay::store {

class Checkpointer {
 public:
  // Opens a second connection to `writer`'s database and starts the thread.
  static Result<std::unique_ptr<Checkpointer>> Start(Database& writer, int frames,
                                                     int restart_frames);
  // Stops the thread if Stop() was not called.
  ~Checkpointer();
  Checkpointer(const Checkpointer&) = delete;
  Checkpointer& operator=(const Checkpointer&) = delete;

  // Stops the thread, closes its connection and gives the writer's connection its automatic
  // checkpoints back. Returns the first error a checkpoint met, if any (not fatal: see above).
  std::optional<Error> Stop();

  // Checkpoints completed, for tests.
  int checkpoints() const;

 private:
  Checkpointer(Database& writer, sqlite3* own, int frames, int restart_frames)
      : writer_(&writer), own_(own), frames_(frames), restart_frames_(restart_frames) {}
  static int OnCommit(void* self, sqlite3* db, const char* schema, int wal_frames);
  void Run();
  void Done(int rc, sqlite3* db);  // counts a checkpoint or keeps its error

  Database* writer_;
  sqlite3* own_;
  const int frames_;
  const int restart_frames_;
  std::thread thread_;
  mutable std::mutex mu_;
  std::condition_variable cv_;       // wakes the thread
  std::condition_variable idle_cv_;  // the thread finished a checkpoint
  bool due_ = false;
  bool copying_ = false;
  bool stop_ = false;
  int checkpoints_ = 0;
  std::optional<Error> error_;
};

}  // namespace trailreplay::store

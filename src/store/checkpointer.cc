#include "store/checkpointer.h"

#include <sqlite3.h>

namespace trailreplay::store {

Result<std::unique_ptr<Checkpointer>> Checkpointer::Start(Database& writer, int frames,
                                                          int restart_frames) {
  sqlite3* own = nullptr;
  const int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE;
  // A connection reads the database header, and learns that it is in WAL mode, only when
  // first used; until then a checkpoint does nothing. Hence the PRAGMA.
  if (sqlite3_open_v2(writer.path().c_str(), &own, flags, nullptr) != SQLITE_OK ||
      sqlite3_exec(own, "PRAGMA schema_version", nullptr, nullptr, nullptr) != SQLITE_OK) {
    Error error = DatabaseError(own, "opening a checkpoint connection");
    sqlite3_close_v2(own);
    return error;
  }
  std::unique_ptr<Checkpointer> checkpointer(new Checkpointer(writer, own, frames, restart_frames));
  sqlite3_wal_hook(writer.handle(), &Checkpointer::OnCommit, checkpointer.get());
  checkpointer->thread_ = std::thread([c = checkpointer.get()] { c->Run(); });
  return checkpointer;
}

Checkpointer::~Checkpointer() { (void)Stop(); }

int Checkpointer::OnCommit(void* self, sqlite3* db, const char* schema, int wal_frames) {
  auto* checkpointer = static_cast<Checkpointer*>(self);
  if (wal_frames >= checkpointer->restart_frames_) {
    // Between its commit and its next transaction the writer reads nothing from the WAL, so a
    // checkpoint it runs now lets that transaction start the WAL over. The thread has copied
    // all but the last commits, so this copies little; it is waited for if it is copying now
    // (two checkpoints cannot run at once) and told not to start another.
    {
      std::unique_lock lock(checkpointer->mu_);
      checkpointer->due_ = false;
      checkpointer->idle_cv_.wait(lock, [checkpointer] { return !checkpointer->copying_; });
    }
    const int rc =
        sqlite3_wal_checkpoint_v2(db, schema, SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr);
    checkpointer->Done(rc, db);
    // As SQLite's own automatic checkpoint: the commit stands whatever the checkpoint did.
    return SQLITE_OK;
  }
  if (wal_frames >= checkpointer->frames_) {
    std::lock_guard lock(checkpointer->mu_);
    checkpointer->due_ = true;
    checkpointer->cv_.notify_one();
  }
  return SQLITE_OK;
}

void Checkpointer::Run() {
  std::unique_lock lock(mu_);
  for (;;) {
    cv_.wait(lock, [this] { return due_ || stop_; });
    if (stop_) return;
    due_ = false;
    copying_ = true;
    lock.unlock();
    const int rc =
        sqlite3_wal_checkpoint_v2(own_, nullptr, SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr);
    Done(rc, own_);
    lock.lock();
    copying_ = false;
    idle_cv_.notify_all();
  }
}

void Checkpointer::Done(int rc, sqlite3* db) {
  std::lock_guard lock(mu_);
  if (rc == SQLITE_OK) {
    ++checkpoints_;
  } else if (rc != SQLITE_BUSY && !error_) {
    // BUSY: another connection is checkpointing (a reader closing the last connection but
    // ours); a later commit asks again.
    error_ = DatabaseError(db, "checkpointing");
  }
}

std::optional<Error> Checkpointer::Stop() {
  if (own_ == nullptr) return std::nullopt;
  {
    std::lock_guard lock(mu_);
    stop_ = true;
    cv_.notify_one();
  }
  thread_.join();
  // SQLite's default: the few statements after a scan need no thread.
  sqlite3_wal_autocheckpoint(writer_->handle(), 1000);
  sqlite3_close_v2(own_);
  own_ = nullptr;
  std::lock_guard lock(mu_);
  return error_;
}

int Checkpointer::checkpoints() const {
  std::lock_guard lock(mu_);
  return checkpoints_;
}

}  // namespace trailreplay::store

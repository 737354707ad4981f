// The LevelDB engine under ringkv: opening with a bloom filter and block cache,
// atomic batch writes with the configured fsync policy, and the everysec
// background fsync. Writes are staged above it (Keyspace and its row cache)
// and arrive here as one batch per event-loop iteration (group commit).
#pragma once

#include <leveldb/db.h>
#include <leveldb/write_batch.h>

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>

#include "util/status.h"

namespace leveldb {
class Cache;
class FilterPolicy;
}  // namespace leveldb

namespace ringkv::storage {

// When the write-ahead log reaches the disk (appendfsync).
enum class SyncMode {
  kAlways,    // every Write() fsyncs before returning
  kEverySec,  // a background thread fsyncs the log once a second
  kNo,        // the OS decides; a process crash still loses nothing acknowledged
};

struct EngineOptions {
  std::string dir;
  SyncMode sync_mode = SyncMode::kEverySec;
  size_t block_cache_bytes = 32 << 20;
  // Memtable size. A small memtable keeps the skiplist cache-resident, which is
  // what bounds write throughput (16MB measured ~25% slower on SET -P 16).
  size_t write_buffer_bytes = 4 << 20;
  int bloom_bits_per_key = 10;
  // Snappy-compress table blocks (costs compaction CPU; saves disk on
  // compressible values).
  bool compression = false;
  int max_open_files = 1000;
};

class Engine {
 public:
  static Status Open(const EngineOptions& options, std::unique_ptr<Engine>* engine);
  ~Engine();

  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  // Point lookup of committed data. NotFound if absent.
  Status Get(std::string_view key, std::string* value);

  // Applies `batch` atomically: when this returns OK the batch is in the
  // write-ahead log (and fsynced first when the mode is kAlways).
  Status Write(leveldb::WriteBatch* batch);

  // Starts writing `batch` on the engine's writer thread, exactly as Write()
  // would, and returns at once: the event loop goes on executing commands
  // while LevelDB appends to its log and memtable (a pipelined group commit).
  // `batch` must stay untouched until FinishAsync(). At most one write is in
  // flight; the callback set by set_async_notify runs (on the writer thread)
  // when it is done.
  void WriteAsync(leveldb::WriteBatch* batch);
  // True if no write is in flight or the one in flight has finished.
  bool AsyncDone() const { return !async_pending_ || async_done_.load(std::memory_order_acquire); }
  bool async_pending() const { return async_pending_; }
  // Waits for the write in flight (if any) and returns its result.
  Status FinishAsync();
  // Called on the writer thread each time an asynchronous write finishes
  // (the server wakes its loop with it). Null stops the calls.
  void set_async_notify(std::function<void()> notify);

  // Iterator over committed data.
  std::unique_ptr<leveldb::Iterator> NewIterator();

  // Forces the log to disk now (SHUTDOWN, SIGTERM).
  Status Sync();

  void set_sync_mode(SyncMode mode) { sync_mode_ = mode; }
  SyncMode sync_mode() const { return sync_mode_; }

  // A LevelDB property such as "leveldb.stats" or "leveldb.approximate-memory-usage".
  std::string Property(const std::string& name);
  // Approximate on-disk bytes of all data.
  uint64_t ApproximateDiskBytes();

  // Counters for INFO.
  uint64_t commits() const { return commits_; }
  // Of those, the ones written by the writer thread (WriteAsync).
  uint64_t async_commits() const { return async_commits_; }
  uint64_t fsyncs() const { return fsyncs_.load(); }
  int64_t last_fsync_ms() const { return last_fsync_ms_.load(); }
  const std::string& last_error() const { return last_error_; }

 private:
  Engine() = default;
  void SyncThreadMain();
  void WriterThreadMain();
  // Write() without touching last_error_ (safe on the writer thread).
  leveldb::Status WriteBatchNow(leveldb::WriteBatch* batch);

  std::string dir_;
  std::atomic<SyncMode> sync_mode_{SyncMode::kEverySec};
  std::unique_ptr<leveldb::DB> db_;
  std::unique_ptr<leveldb::Cache> block_cache_;
  std::unique_ptr<const leveldb::FilterPolicy> filter_policy_;
  std::atomic<uint64_t> commits_{0};
  std::string last_error_;

  // The writer thread and its one job (WriteAsync).
  std::thread writer_thread_;
  std::mutex writer_mu_;
  std::condition_variable writer_cv_;
  leveldb::WriteBatch* writer_job_ = nullptr;  // guarded by writer_mu_
  leveldb::Status writer_result_;              // guarded by writer_mu_
  bool writer_stopping_ = false;               // guarded by writer_mu_
  std::function<void()> async_notify_;         // guarded by writer_mu_
  bool async_pending_ = false;                 // loop thread only
  uint64_t async_commits_ = 0;                 // loop thread only
  std::atomic<bool> async_done_{false};

  // everysec: the sync thread fsyncs once a second when writes happened since.
  std::thread sync_thread_;
  std::mutex sync_mu_;
  std::condition_variable sync_cv_;
  bool stopping_ = false;
  std::atomic<bool> dirty_since_sync_{false};
  std::atomic<uint64_t> fsyncs_{0};
  std::atomic<int64_t> last_fsync_ms_{0};
};

}  // namespace ringkv::storage

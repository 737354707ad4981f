// The LevelDB engine under ringkv: opening with a bloom filter and block cache,
// atomic batch writes with the configured fsync policy, and the everysec
// background fsync. Writes are staged above it (Keyspace and its row cache)
// and arrive here as one batch per event-loop iteration (group commit).
//
// In front of LevelDB's point lookups sits a key-existence filter (KeyFilter)
// of every key ever written: a Get for a row that was never written answers
// NotFound without entering LevelDB, which is what most commands creating new
// keys or hash fields ask first. engine.cc explains why it never hides a row.
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
#include <vector>

#include "storage/journal_file.h"
#include "storage/key_filter.h"
#include "util/status.h"

namespace leveldb {
class Cache;
class FilterPolicy;
class Snapshot;
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
  // Memtable size. Large enough that most journal records (Keyspace::Commit)
  // and their deletion, a cycle later, reach L0 in the same flush or the same
  // L0 compaction and vanish there; with 4MB they were copied down the levels
  // first, and compaction took three times the CPU (SET -P 16: 0.9 against
  // 0.3 us per request). Its entries are mostly whole commits, so the skiplist
  // stays short.
  size_t write_buffer_bytes = 32 << 20;
  int bloom_bits_per_key = 10;
  // Snappy-compress table blocks (costs compaction CPU; saves disk on
  // compressible values).
  bool compression = false;
  int max_open_files = 1000;
  // Initial size of the key-existence filter in bits (2^26 = 8 MiB: ~5.6
  // million rows at the designed 12 bits per row). Not a directive: the filter
  // doubles itself, rebuilt by a background scan, whenever it fills. 0 turns
  // the filter off (every Get goes to LevelDB).
  uint64_t key_filter_bits = uint64_t{1} << 26;
};

// One commit (Keyspace::Commit): a journal record, appended first and fsynced
// under kAlways, which alone makes the commit durable; `batch`, written to
// LevelDB right after it and never fsynced on its own account (replaying the
// journal rewrites it); then `deferred`, work that makes nothing durable
// (a materialization chunk), which the engine's materializer thread writes
// once both succeeded, while later commits go on: a commit never waits for
// it, and its result comes from FinishMaterialize().
struct CommitJob {
  uint64_t journal_seq = 0;  // 0: no record
  std::string_view journal_record;
  leveldb::WriteBatch* batch = nullptr;  // null or empty: no LevelDB write
  // Requires no materialization pending (materialize_pending()).
  leveldb::WriteBatch* deferred = nullptr;
  // Fsync LevelDB's logs after `deferred`: journal files whose rows it
  // completes may then be deleted.
  bool sync_deferred = false;
};

class Engine {
 public:
  static Status Open(const EngineOptions& options, std::unique_ptr<Engine>* engine);
  ~Engine();

  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  // Point lookup of committed data. NotFound if absent. Answers NotFound
  // without reading LevelDB when the key-existence filter is ready and says
  // the key was never written (journal records, record.h, are kept out of
  // the filter and always read LevelDB). Safe to call from any thread.
  Status Get(std::string_view key, std::string* value);

  // Applies `batch` atomically: when this returns OK the batch is in the
  // write-ahead log (and fsynced first when the mode is kAlways).
  Status Write(leveldb::WriteBatch* batch);

  // Runs `job` (see CommitJob) now, on the calling thread, and returns the
  // result of making it durable (the record and `batch`); its deferred
  // batch, if any, is handed to the materializer thread.
  Status Commit(const CommitJob& job);
  // Starts `job` on the engine's writer thread and returns at once: the
  // event loop goes on executing commands while the journal and LevelDB are
  // written (a pipelined group commit). What the job points to must stay
  // untouched until FinishAsync() (its deferred batch: FinishMaterialize()).
  // At most one job is in flight; the callback set by set_async_notify runs
  // when it is done.
  void CommitAsync(const CommitJob& job);
  // True if no job is in flight or the one in flight has finished.
  bool AsyncDone() const { return !async_pending_ || async_done_.load(std::memory_order_acquire); }
  bool async_pending() const { return async_pending_; }
  // Waits for the job in flight (if any) and returns what Commit() would.
  Status FinishAsync();

  // A commit's deferred batch was handed over and FinishMaterialize has not
  // collected it yet.
  bool materialize_pending() const { return materialize_pending_; }
  // True if none is pending or the pending one has been written (or given up
  // because its commit failed).
  bool MaterializeDone() const {
    return !materialize_pending_ || materialize_done_.load(std::memory_order_acquire);
  }
  // Waits for the pending deferred batch (if any) and returns the result of
  // writing it (and fsyncing the logs, if asked).
  Status FinishMaterialize();

  // Tests: while paused, the materializer thread leaves handed-over batches
  // unwritten.
  void TEST_PauseMaterializer(bool paused);

  // Called on the writer and materializer threads as described at
  // CommitAsync and CommitJob (the server wakes its loop with it). Null
  // stops the calls.
  void set_async_notify(std::function<void()> notify);

  // The commit journal's files (Keyspace reads, rotates and trims them).
  JournalFile* journal() { return journal_.get(); }

  // Iterator over committed data.
  std::unique_ptr<leveldb::Iterator> NewIterator();

  // Forces LevelDB's log and the journal to disk now (SHUTDOWN, SIGTERM).
  Status Sync();
  // Fsyncs every LevelDB log file: afterwards all that was written to
  // LevelDB is durable, including what sits in a log whose memtable is not
  // yet a table (Sync() covers only the current log).
  Status SyncLevelDBLogs();

  void set_sync_mode(SyncMode mode) { sync_mode_ = mode; }
  SyncMode sync_mode() const { return sync_mode_; }

  // A LevelDB property such as "leveldb.stats" or "leveldb.approximate-memory-usage".
  std::string Property(const std::string& name);
  // Approximate on-disk bytes of all data.
  uint64_t ApproximateDiskBytes();

  // Counters for INFO.
  uint64_t commits() const { return commits_; }
  // Of those, the ones written by the writer thread (CommitAsync).
  uint64_t async_commits() const { return async_commits_; }
  uint64_t fsyncs() const { return fsyncs_.load(); }
  int64_t last_fsync_ms() const { return last_fsync_ms_.load(); }
  const std::string& last_error() const { return last_error_; }

  // The key-existence filter, for INFO and tests. Ready once the scan of the
  // keys present at Open has finished (until then every Get reads LevelDB).
  bool key_filter_ready();
  // Bytes of the filter serving lookups (plus the one being built, if any).
  uint64_t key_filter_bytes() const { return filter_bytes_.load(); }
  // Gets answered NotFound by the filter alone.
  uint64_t key_filter_negatives() const { return filter_negatives_.load(); }
  // Gets the filter let through that LevelDB then answered NotFound.
  uint64_t key_filter_false_positives() const { return filter_false_positives_.load(); }
  // Completed rebuilds into a filter of twice the size.
  uint64_t key_filter_rebuilds() const { return filter_rebuilds_.load(); }

 private:
  Engine() = default;
  void SyncThreadMain();
  void WriterThreadMain();
  void MaterializerThreadMain();
  // Writes `batch` (with an fsync if `sync`) without touching last_error_
  // (safe on the writer thread).
  leveldb::Status WriteBatchNow(leveldb::WriteBatch* batch, bool sync);
  // Commit()'s work: the record and the batch.
  leveldb::Status RunCommit(const CommitJob& job);
  // After RunCommit: hands job.deferred (if any) to the materializer thread,
  // or, if the commit failed, reports it not written.
  void HandOffDeferred(const CommitJob& job, const leveldb::Status& commit_status);
  void Notify();
  // Converts `s`, recording and logging it as `what` if it failed (loop
  // thread only: last_error_ is the loop's).
  Status Report(const leveldb::Status& s, const char* what);
  // Scans the initial filter, then rebuilds a bigger one each time it fills.
  void FilterThreadMain(const leveldb::Snapshot* snapshot);
  // Adds every key of `snapshot` to `filter` and sets *keys to their
  // number. False if stopped or failed.
  bool ScanInto(KeyFilter* filter, const leveldb::Snapshot* snapshot, uint64_t* keys);

  std::string dir_;
  std::atomic<SyncMode> sync_mode_{SyncMode::kEverySec};
  std::unique_ptr<leveldb::DB> db_;
  std::unique_ptr<JournalFile> journal_;
  std::unique_ptr<leveldb::Cache> block_cache_;
  std::unique_ptr<const leveldb::FilterPolicy> filter_policy_;
  std::atomic<uint64_t> commits_{0};
  std::string last_error_;

  // The writer thread and its one job (CommitAsync).
  std::thread writer_thread_;
  std::mutex writer_mu_;
  std::condition_variable writer_cv_;
  CommitJob writer_job_;           // guarded by writer_mu_
  bool writer_has_job_ = false;    // guarded by writer_mu_
  leveldb::Status writer_result_;  // guarded by writer_mu_
  bool writer_stopping_ = false;   // guarded by writer_mu_
  bool async_pending_ = false;     // loop thread only
  uint64_t async_commits_ = 0;     // loop thread only
  std::atomic<bool> async_done_{false};

  // The materializer thread and its one deferred batch.
  std::thread materializer_thread_;
  std::mutex materialize_mu_;
  std::condition_variable materialize_cv_;
  leveldb::WriteBatch* materialize_batch_ = nullptr;  // guarded by materialize_mu_
  bool materialize_sync_ = false;                     // guarded by materialize_mu_
  leveldb::Status materialize_result_;                // guarded by materialize_mu_
  bool materialize_stopping_ = false;                 // guarded by materialize_mu_
  bool materialize_paused_ = false;                   // guarded by materialize_mu_
  bool materialize_pending_ = false;                  // loop thread only
  std::atomic<bool> materialize_done_{false};

  std::mutex notify_mu_;
  std::function<void()> async_notify_;  // guarded by notify_mu_

  // The key-existence filter. key_filter_ serves Get; it is replaced (by the
  // filter thread only) with next_filter_ once that bigger one is complete,
  // and deleted when no Get holds it (filter_readers_ counts Gets using it).
  // filter_mu_ is held from adding a batch's keys until LevelDB has applied
  // the batch, and while the filter thread publishes next_filter_ and takes
  // its snapshot: see engine.cc for why that makes the filters complete.
  std::atomic<KeyFilter*> key_filter_{nullptr};  // owned; null: no filter
  std::atomic<int> filter_readers_{0};
  std::mutex filter_mu_;
  std::condition_variable filter_cv_;
  std::unique_ptr<KeyFilter> next_filter_;  // guarded by filter_mu_
  std::vector<uint64_t> batch_hashes_;      // guarded by filter_mu_ (WriteBatchNow's scratch)
  bool filter_stopping_ = false;            // guarded by filter_mu_
  std::atomic<bool> filter_stop_scan_{false};
  std::thread filter_thread_;
  std::atomic<uint64_t> filter_negatives_{0};
  std::atomic<uint64_t> filter_false_positives_{0};
  std::atomic<uint64_t> filter_rebuilds_{0};
  std::atomic<uint64_t> filter_bytes_{0};

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

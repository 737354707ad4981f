#include "storage/engine.h"

#include <dirent.h>
#include <fcntl.h>
#include <leveldb/cache.h>
#include <leveldb/filter_policy.h>
#include <pthread.h>
#include <spdlog/spdlog.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <utility>
#include <vector>

#include "storage/pread_env.h"
#include "storage/record.h"

namespace ringkv::storage {

namespace {

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

Status FromLevelDB(const leveldb::Status& s) {
  if (s.ok()) return Status::OK();
  if (s.IsNotFound()) return Status::NotFound();
  if (s.IsCorruption()) return Status::Corruption(s.ToString());
  if (s.IsInvalidArgument()) return Status::InvalidArgument(s.ToString());
  return Status::IOError(s.ToString());
}

// Paths of LevelDB's write-ahead logs in `dir` (named NNNNNN.log, numbered
// increasingly), oldest first.
std::vector<std::string> LogFiles(const std::string& dir) {
  std::vector<std::pair<uint64_t, std::string>> logs;
  DIR* d = opendir(dir.c_str());
  if (d == nullptr) return {};
  while (dirent* entry = readdir(d)) {
    std::string_view name = entry->d_name;
    if (name.size() <= 4 || name.substr(name.size() - 4) != ".log") continue;
    uint64_t number = 0;
    bool numeric = true;
    for (char c : name.substr(0, name.size() - 4)) {
      if (c < '0' || c > '9') {
        numeric = false;
        break;
      }
      number = number * 10 + (c - '0');
    }
    if (numeric) logs.emplace_back(number, dir + "/" + std::string(name));
  }
  closedir(d);
  std::sort(logs.begin(), logs.end());
  std::vector<std::string> paths;
  for (auto& [number, path] : logs) paths.push_back(std::move(path));
  return paths;
}

bool FdatasyncPath(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  const bool ok = ::fdatasync(fd) == 0;
  ::close(fd);
  return ok;
}

// A WriteBatch's size with no entries (its header): nothing to write.
constexpr size_t kEmptyBatchBytes = 12;

// Collects the hashes of the keys a batch puts, prefetching their blocks in
// the serving filter and, during a rebuild, in the one being built. Deletes
// add nothing: a stale bit is only a false positive.
// Journal records (one per commit, deleted a cycle later) are never point
// reads: keeping them out of the filter keeps it from filling with them.
// Get of such a key skips the filter.
bool Filtered(std::string_view key) { return key.empty() || key[0] != kJournalTag; }

class FilterHasher : public leveldb::WriteBatch::Handler {
 public:
  FilterHasher(const KeyFilter* current, const KeyFilter* next, std::vector<uint64_t>* hashes)
      : current_(current), next_(next), hashes_(hashes) {}
  void Put(const leveldb::Slice& key, const leveldb::Slice& value) override {
    if (!Filtered(std::string_view(key.data(), key.size()))) return;
    const uint64_t hash = KeyFilter::Hash(std::string_view(key.data(), key.size()));
    current_->Prefetch(hash);
    if (next_ != nullptr) next_->Prefetch(hash);
    hashes_->push_back(hash);
  }
  void Delete(const leveldb::Slice& key) override {}

 private:
  const KeyFilter* const current_;
  const KeyFilter* const next_;
  std::vector<uint64_t>* const hashes_;
};

}  // namespace

// The key-existence filter never hides a row.
//
// Claim: when a Get finds the serving filter F ready, every key K that LevelDB
// would return to that Get has been added to F (so MayContain(K) is true).
//
// F is filled from two sides. (1) A scan of a LevelDB snapshot S adds every
// key S holds, then marks F ready. (2) WriteBatchNow adds the keys of every
// batch put, under filter_mu_, to the serving filter and to the one being
// built (next_filter_), before LevelDB sees the batch, and keeps filter_mu_
// until LevelDB has applied it. S is taken under filter_mu_ right after F
// becomes visible to writers (at Open, before any write can happen: the
// Engine is not handed out yet; for a rebuild, in the same critical section
// that publishes next_filter_).
//
// Take K's newest put, in batch B with LevelDB sequence number q. Because
// WriteBatchNow holds filter_mu_ from its adds until B is applied, B was
// applied either entirely before S was taken or entirely after F was
// published to writers. Before: q <= S's sequence, K is in S, and the scan
// added it before marking F ready. After: WriteBatchNow saw F (as
// key_filter_ or next_filter_) and added K to it before applying B. In both
// cases the add happens before the Get can observe K: the scan's adds are
// published by the release in MarkReady (and, for a rebuilt filter, by the
// seq_cst store that installs it), which the Get's acquire loads read; a
// write's adds precede its LevelDB Write, and a Get that can see that write
// (LevelDB's mutex orders them) or that follows its completion (the release
// of the writer thread's async_done_ or the materializer's
// materialize_done_) also sees the bits. A Get racing with a
// write it cannot yet see may answer NotFound, as LevelDB itself would.
// Deleted keys keep their bits (false positives), and an overfull filter only
// answers "maybe" more often. FLUSHDB/FLUSHALL change physical db ids and
// leave stale bits behind, again only false positives.
//
// Growth: when the serving filter holds more than bits/12 keys (full()), the
// filter thread builds one of at least twice the size from a fresh snapshot
// while the old one keeps serving and keeps receiving adds; it then swaps it
// in and deletes the old one once no Get is reading it.

Status Engine::Open(const EngineOptions& options, std::unique_ptr<Engine>* engine) {
  std::error_code ec;
  std::filesystem::create_directories(options.dir, ec);
  if (ec) return Status::IOError("cannot create " + options.dir + ": " + ec.message());

  std::unique_ptr<Engine> e(new Engine());
  e->dir_ = options.dir;
  e->sync_mode_ = options.sync_mode;
  e->block_cache_.reset(leveldb::NewLRUCache(options.block_cache_bytes));
  e->filter_policy_.reset(leveldb::NewBloomFilterPolicy(options.bloom_bits_per_key));

  leveldb::Options db_options;
  db_options.create_if_missing = true;
  db_options.block_cache = e->block_cache_.get();
  db_options.filter_policy = e->filter_policy_.get();
  db_options.write_buffer_size = options.write_buffer_bytes;
  db_options.max_open_files = options.max_open_files;
  db_options.compression =
      options.compression ? leveldb::kSnappyCompression : leveldb::kNoCompression;
  db_options.env = PreadEnv();
  leveldb::DB* db = nullptr;
  leveldb::Status s = leveldb::DB::Open(db_options, options.dir, &db);
  if (!s.ok()) return FromLevelDB(s);
  e->db_.reset(db);
  Status journal_opened = JournalFile::Open(options.dir + "/journal", &e->journal_);
  if (!journal_opened.ok()) return journal_opened;
  if (options.key_filter_bits > 0) {
    auto* filter = new KeyFilter(options.key_filter_bits);
    e->filter_bytes_ = filter->bytes();
    e->key_filter_.store(filter);
    // No write can happen before Open returns, so this snapshot and the
    // write path's adds between them cover every key (see above).
    e->filter_thread_ = std::thread(&Engine::FilterThreadMain, e.get(), db->GetSnapshot());
  }
  e->sync_thread_ = std::thread(&Engine::SyncThreadMain, e.get());
  e->writer_thread_ = std::thread(&Engine::WriterThreadMain, e.get());
  e->materializer_thread_ = std::thread(&Engine::MaterializerThreadMain, e.get());
  *engine = std::move(e);
  return Status::OK();
}

Engine::~Engine() {
  {
    std::lock_guard<std::mutex> lock(filter_mu_);
    filter_stopping_ = true;
  }
  filter_stop_scan_.store(true);
  filter_cv_.notify_all();
  if (filter_thread_.joinable()) filter_thread_.join();
  if (async_pending_) FinishAsync();
  TEST_PauseMaterializer(false);
  if (materialize_pending_) FinishMaterialize();
  {
    std::lock_guard<std::mutex> lock(writer_mu_);
    writer_stopping_ = true;
  }
  writer_cv_.notify_all();
  if (writer_thread_.joinable()) writer_thread_.join();
  {
    std::lock_guard<std::mutex> lock(materialize_mu_);
    materialize_stopping_ = true;
  }
  materialize_cv_.notify_all();
  if (materializer_thread_.joinable()) materializer_thread_.join();
  {
    std::lock_guard<std::mutex> lock(sync_mu_);
    stopping_ = true;
  }
  sync_cv_.notify_all();
  if (sync_thread_.joinable()) sync_thread_.join();
  if (db_ != nullptr) Sync();
  db_.reset();
  delete key_filter_.load();
}

Status Engine::Get(std::string_view key, std::string* value) {
  // key_filter_ is null for good or never null (a rebuild replaces it).
  bool filter_said_maybe = false;
  if (Filtered(key) && key_filter_.load(std::memory_order_relaxed) != nullptr) {
    const uint64_t hash = KeyFilter::Hash(key);
    // Announce the read before loading the pointer (both seq_cst): the filter
    // thread deletes a replaced filter only after seeing no reader, so one
    // loaded here stays alive until the decrement.
    filter_readers_.fetch_add(1);
    const KeyFilter* filter = key_filter_.load();
    const bool ready = filter->ready();
    const bool maybe = !ready || filter->MayContain(hash);
    filter_readers_.fetch_sub(1, std::memory_order_release);
    if (!maybe) {
      filter_negatives_.fetch_add(1, std::memory_order_relaxed);
      return Status::NotFound();
    }
    filter_said_maybe = ready;
  }
  leveldb::Status s =
      db_->Get(leveldb::ReadOptions(), leveldb::Slice(key.data(), key.size()), value);
  if (filter_said_maybe && s.IsNotFound()) {
    filter_false_positives_.fetch_add(1, std::memory_order_relaxed);
  }
  return FromLevelDB(s);
}

bool Engine::key_filter_ready() {
  if (key_filter_.load(std::memory_order_relaxed) == nullptr) return false;
  filter_readers_.fetch_add(1);
  const bool ready = key_filter_.load()->ready();
  filter_readers_.fetch_sub(1, std::memory_order_release);
  return ready;
}

leveldb::Status Engine::WriteBatchNow(leveldb::WriteBatch* batch, bool sync) {
  // Held until LevelDB has applied the batch (see the comment above Open).
  std::unique_lock<std::mutex> filter_lock(filter_mu_, std::defer_lock);
  if (key_filter_.load(std::memory_order_relaxed) != nullptr) {
    filter_lock.lock();
    KeyFilter* current = key_filter_.load(std::memory_order_relaxed);
    KeyFilter* next = next_filter_.get();
    // Hash (and prefetch) all keys first, then add them: a batch's cache
    // misses on the filter overlap instead of following one another.
    batch_hashes_.clear();
    FilterHasher hasher(current, next, &batch_hashes_);
    leveldb::Status s = batch->Iterate(&hasher);
    if (!s.ok()) return s;  // a malformed batch: LevelDB would reject it too
    for (uint64_t hash : batch_hashes_) {
      current->Add(hash);
      if (next != nullptr) next->Add(hash);
    }
    if (batch_hashes_.capacity() > 65536) std::vector<uint64_t>().swap(batch_hashes_);
    if (next_filter_ == nullptr && current->full()) filter_cv_.notify_one();
  }
  leveldb::WriteOptions options;
  options.sync = sync;
  leveldb::Status s = db_->Write(options, batch);
  if (s.ok() && sync) {
    fsyncs_.fetch_add(1);
    last_fsync_ms_.store(NowMs());
  }
  return s;
}

Status Engine::Write(leveldb::WriteBatch* batch) {
  const bool sync = sync_mode_ == SyncMode::kAlways;
  leveldb::Status s = WriteBatchNow(batch, sync);
  commits_.fetch_add(1, std::memory_order_relaxed);
  // Commit jobs leave this alone: the journal is what they make durable.
  if (s.ok() && !sync) dirty_since_sync_.store(true, std::memory_order_relaxed);
  return Report(s, "write to LevelDB failed");
}

leveldb::Status Engine::RunCommit(const CommitJob& job) {
  commits_.fetch_add(1, std::memory_order_relaxed);
  if (job.journal_seq != 0) {
    const bool sync = sync_mode_ == SyncMode::kAlways;
    Status appended = journal_->Append(job.journal_seq, job.journal_record, sync);
    if (!appended.ok()) return leveldb::Status::IOError(appended.ToString());
    if (sync) {
      fsyncs_.fetch_add(1);
      last_fsync_ms_.store(NowMs());
    }
  }
  if (job.batch != nullptr && job.batch->ApproximateSize() > kEmptyBatchBytes) {
    return WriteBatchNow(job.batch, /*sync=*/false);
  }
  return leveldb::Status::OK();
}

void Engine::HandOffDeferred(const CommitJob& job, const leveldb::Status& commit_status) {
  if (job.deferred == nullptr) return;
  std::lock_guard<std::mutex> lock(materialize_mu_);
  if (!commit_status.ok()) {
    // Its values may be the failed commit's, which the journal lacks.
    materialize_result_ = leveldb::Status::IOError("not written: its commit failed");
    materialize_done_.store(true, std::memory_order_release);
    materialize_cv_.notify_all();
    return;
  }
  materialize_batch_ = job.deferred;
  materialize_sync_ = job.sync_deferred;
  materialize_cv_.notify_all();
}

Status Engine::Commit(const CommitJob& job) {
  if (job.deferred != nullptr) {
    materialize_pending_ = true;
    materialize_done_.store(false, std::memory_order_relaxed);
  }
  leveldb::Status s = RunCommit(job);
  HandOffDeferred(job, s);
  return Report(s, "commit failed");
}

void Engine::CommitAsync(const CommitJob& job) {
  async_pending_ = true;
  ++async_commits_;
  async_done_.store(false, std::memory_order_relaxed);
  if (job.deferred != nullptr) {
    materialize_pending_ = true;
    materialize_done_.store(false, std::memory_order_relaxed);
  }
  {
    std::lock_guard<std::mutex> lock(writer_mu_);
    writer_job_ = job;
    writer_has_job_ = true;
  }
  writer_cv_.notify_one();
}

Status Engine::FinishAsync() {
  if (!async_pending_) return Status::OK();
  leveldb::Status s;
  {
    std::unique_lock<std::mutex> lock(writer_mu_);
    writer_cv_.wait(lock, [this] { return async_done_.load(std::memory_order_acquire); });
    s = writer_result_;
  }
  async_pending_ = false;
  return Report(s, "commit failed");
}

Status Engine::FinishMaterialize() {
  if (!materialize_pending_) return Status::OK();
  leveldb::Status s;
  {
    std::unique_lock<std::mutex> lock(materialize_mu_);
    materialize_cv_.wait(lock,
                         [this] { return materialize_done_.load(std::memory_order_acquire); });
    s = materialize_result_;
  }
  materialize_pending_ = false;
  return Report(s, "materialization write failed");
}

Status Engine::Report(const leveldb::Status& s, const char* what) {
  if (!s.ok()) {
    last_error_ = s.ToString();
    spdlog::error("{}: {}", what, last_error_);
  }
  return FromLevelDB(s);
}

void Engine::TEST_PauseMaterializer(bool paused) {
  std::lock_guard<std::mutex> lock(materialize_mu_);
  materialize_paused_ = paused;
  materialize_cv_.notify_all();
}

void Engine::set_async_notify(std::function<void()> notify) {
  std::lock_guard<std::mutex> lock(notify_mu_);
  async_notify_ = std::move(notify);
}

void Engine::Notify() {
  // Under the lock, so a notifier cleared by set_async_notify is never
  // called afterwards (the server closes the handle it wakes).
  std::lock_guard<std::mutex> lock(notify_mu_);
  if (async_notify_) async_notify_();
}

void Engine::WriterThreadMain() {
  pthread_setname_np(pthread_self(), "ringkv-writer");
  std::unique_lock<std::mutex> lock(writer_mu_);
  while (true) {
    writer_cv_.wait(lock, [this] { return writer_has_job_ || writer_stopping_; });
    if (!writer_has_job_) return;  // stopping with nothing to write
    const CommitJob job = writer_job_;
    lock.unlock();
    leveldb::Status s = RunCommit(job);
    HandOffDeferred(job, s);
    lock.lock();
    writer_has_job_ = false;
    writer_result_ = s;
    async_done_.store(true, std::memory_order_release);
    writer_cv_.notify_all();
    lock.unlock();
    Notify();
    lock.lock();
  }
}

void Engine::MaterializerThreadMain() {
  pthread_setname_np(pthread_self(), "ringkv-material");
  // Materialization only moves rows the journal already holds: let commits,
  // which replies wait for, have the CPU first.
  if (::setpriority(PRIO_PROCESS, static_cast<id_t>(::gettid()), 10) != 0) {
    spdlog::debug("could not lower the materializer thread's priority: {}", strerror(errno));
  }
  std::unique_lock<std::mutex> lock(materialize_mu_);
  while (true) {
    materialize_cv_.wait(lock, [this] {
      return (materialize_batch_ != nullptr && !materialize_paused_) || materialize_stopping_;
    });
    if (materialize_batch_ == nullptr) return;  // stopping with nothing to write
    leveldb::WriteBatch* batch = materialize_batch_;
    const bool sync = materialize_sync_;
    lock.unlock();
    leveldb::Status s = WriteBatchNow(batch, /*sync=*/false);
    if (s.ok() && sync) {
      Status synced = SyncLevelDBLogs();
      if (!synced.ok()) s = leveldb::Status::IOError(synced.ToString());
    }
    lock.lock();
    materialize_batch_ = nullptr;
    materialize_result_ = s;
    materialize_done_.store(true, std::memory_order_release);
    materialize_cv_.notify_all();
    lock.unlock();
    Notify();
    lock.lock();
  }
}

void Engine::FilterThreadMain(const leveldb::Snapshot* snapshot) {
  pthread_setname_np(pthread_self(), "ringkv-filter");
  KeyFilter* current = key_filter_.load();
  uint64_t keys = 0;  // in the last snapshot scanned
  bool scanned = ScanInto(current, snapshot, &keys);
  db_->ReleaseSnapshot(snapshot);
  if (!scanned) return;  // stopping, or a read error: Gets keep reading LevelDB
  current->MarkReady();
  std::unique_lock<std::mutex> lock(filter_mu_);
  while (true) {
    // Only this thread replaces key_filter_, so `current` stays valid.
    filter_cv_.wait(lock, [&] { return filter_stopping_ || current->full(); });
    if (filter_stopping_) return;
    // At least twice the size, and room for half as many keys again as it
    // holds, so a big store opened with a small filter gets there in one
    // rebuild. (An overfull filter undercounts its distinct adds, hence the
    // scan's exact count.)
    uint64_t bits = current->bits() * 2;
    const uint64_t held = std::max(keys, current->distinct_adds());
    while (bits / KeyFilter::kBitsPerKey < held * 3 / 2) bits *= 2;
    next_filter_ = std::make_unique<KeyFilter>(bits);
    KeyFilter* next = next_filter_.get();
    filter_bytes_.fetch_add(next->bytes());
    // Under filter_mu_, with next_filter_ already visible to writers.
    snapshot = db_->GetSnapshot();
    lock.unlock();
    spdlog::info("key filter holds ~{} keys in {} bytes: rebuilding it with {} bytes",
                 current->distinct_adds(), current->bytes(), next->bytes());
    scanned = ScanInto(next, snapshot, &keys);
    db_->ReleaseSnapshot(snapshot);
    lock.lock();
    if (!scanned) {
      // Keep serving the full filter (more false positives, never a wrong
      // answer) rather than rescanning in a loop.
      filter_bytes_.fetch_sub(next->bytes());
      next_filter_.reset();
      return;
    }
    next->MarkReady();
    KeyFilter* old = key_filter_.exchange(next_filter_.release());
    current = next;
    lock.unlock();
    // A Get that loaded `old` incremented filter_readers_ before loading it;
    // once the count is seen at zero after the exchange, none can hold it.
    while (filter_readers_.load() != 0) std::this_thread::yield();
    filter_bytes_.fetch_sub(old->bytes());
    delete old;
    filter_rebuilds_.fetch_add(1);
    lock.lock();
  }
}

bool Engine::ScanInto(KeyFilter* filter, const leveldb::Snapshot* snapshot, uint64_t* keys) {
  leveldb::ReadOptions options;
  options.snapshot = snapshot;
  options.fill_cache = false;  // the scan should not evict the hot point-lookup set
  std::unique_ptr<leveldb::Iterator> it(db_->NewIterator(options));
  uint64_t scanned = 0;
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    const leveldb::Slice key = it->key();
    if (!Filtered(std::string_view(key.data(), key.size()))) continue;
    filter->Add(KeyFilter::Hash(std::string_view(key.data(), key.size())));
    if (++scanned % 4096 == 0 && filter_stop_scan_.load(std::memory_order_relaxed)) return false;
  }
  *keys = scanned;
  if (!it->status().ok()) {
    spdlog::error("key filter scan failed, lookups keep reading LevelDB: {}",
                  it->status().ToString());
    return false;
  }
  return true;
}

std::unique_ptr<leveldb::Iterator> Engine::NewIterator() {
  leveldb::ReadOptions options;
  options.fill_cache = false;  // scans should not evict the hot point-lookup set
  return std::unique_ptr<leveldb::Iterator>(db_->NewIterator(options));
}

Status Engine::Sync() {
  // An empty synchronous batch makes LevelDB fsync its current log file, which
  // covers every record appended before it.
  leveldb::WriteBatch empty;
  leveldb::WriteOptions options;
  options.sync = true;
  leveldb::Status s = db_->Write(options, &empty);
  if (!s.ok()) return FromLevelDB(s);
  Status journal_synced = journal_->Sync();
  if (!journal_synced.ok()) return journal_synced;
  fsyncs_.fetch_add(1);
  last_fsync_ms_.store(NowMs());
  dirty_since_sync_.store(false);
  return Status::OK();
}

Status Engine::SyncLevelDBLogs() {
  for (const std::string& log : LogFiles(dir_)) {
    // A log LevelDB deleted meanwhile has its memtable in a table already.
    if (!FdatasyncPath(log) && errno != ENOENT) {
      return Status::IOError("fdatasync " + log + ": " + std::strerror(errno));
    }
  }
  fsyncs_.fetch_add(1);
  last_fsync_ms_.store(NowMs());
  return Status::OK();
}

// The everysec fsync runs off the event loop, like Redis's background fsync:
// the journal's, and LevelDB's newest log's through a second descriptor
// (the same page-cache pages LevelDB appended to, without taking its lock).
void Engine::SyncThreadMain() {
  pthread_setname_np(pthread_self(), "ringkv-fsync");
  std::unique_lock<std::mutex> lock(sync_mu_);
  while (!stopping_) {
    sync_cv_.wait_for(lock, std::chrono::seconds(1));
    if (stopping_) break;
    if (sync_mode_ != SyncMode::kEverySec) continue;
    bool synced = false;
    Status journal_synced = journal_->Sync(&synced);
    if (!journal_synced.ok()) spdlog::warn("{}", journal_synced.ToString());
    if (dirty_since_sync_.exchange(false)) {
      std::vector<std::string> logs = LogFiles(dir_);
      if (!logs.empty() && FdatasyncPath(logs.back())) synced = true;
    }
    if (synced) {
      fsyncs_.fetch_add(1);
      last_fsync_ms_.store(NowMs());
    }
  }
}

std::string Engine::Property(const std::string& name) {
  std::string value;
  db_->GetProperty(name, &value);
  return value;
}

uint64_t Engine::ApproximateDiskBytes() {
  std::error_code ec;
  uint64_t total = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir_, ec)) {
    if (entry.is_regular_file(ec)) total += entry.file_size(ec);
  }
  return total;
}

}  // namespace ringkv::storage

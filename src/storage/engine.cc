#include "storage/engine.h"

#include <dirent.h>
#include <fcntl.h>
#include <leveldb/cache.h>
#include <leveldb/filter_policy.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>

#include "storage/pread_env.h"

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

// Path of the newest write-ahead log in `dir` (LevelDB names them NNNNNN.log,
// numbered increasingly), or "" if none.
std::string NewestLogFile(const std::string& dir) {
  std::string best;
  uint64_t best_number = 0;
  DIR* d = opendir(dir.c_str());
  if (d == nullptr) return best;
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
    if (numeric && (best.empty() || number > best_number)) {
      best_number = number;
      best = dir + "/" + std::string(name);
    }
  }
  closedir(d);
  return best;
}

}  // namespace

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
  e->sync_thread_ = std::thread(&Engine::SyncThreadMain, e.get());
  e->writer_thread_ = std::thread(&Engine::WriterThreadMain, e.get());
  *engine = std::move(e);
  return Status::OK();
}

Engine::~Engine() {
  if (async_pending_) FinishAsync();
  {
    std::lock_guard<std::mutex> lock(writer_mu_);
    writer_stopping_ = true;
  }
  writer_cv_.notify_all();
  if (writer_thread_.joinable()) writer_thread_.join();
  {
    std::lock_guard<std::mutex> lock(sync_mu_);
    stopping_ = true;
  }
  sync_cv_.notify_all();
  if (sync_thread_.joinable()) sync_thread_.join();
  if (db_ != nullptr) Sync();
  db_.reset();
}

Status Engine::Get(std::string_view key, std::string* value) {
  return FromLevelDB(
      db_->Get(leveldb::ReadOptions(), leveldb::Slice(key.data(), key.size()), value));
}

leveldb::Status Engine::WriteBatchNow(leveldb::WriteBatch* batch) {
  leveldb::WriteOptions options;
  options.sync = sync_mode_ == SyncMode::kAlways;
  leveldb::Status s = db_->Write(options, batch);
  commits_.fetch_add(1, std::memory_order_relaxed);
  if (!s.ok()) return s;
  if (options.sync) {
    fsyncs_.fetch_add(1);
    last_fsync_ms_.store(NowMs());
  } else {
    dirty_since_sync_.store(true, std::memory_order_relaxed);
  }
  return s;
}

Status Engine::Write(leveldb::WriteBatch* batch) {
  leveldb::Status s = WriteBatchNow(batch);
  if (!s.ok()) {
    last_error_ = s.ToString();
    spdlog::error("write to LevelDB failed: {}", last_error_);
  }
  return FromLevelDB(s);
}

void Engine::WriteAsync(leveldb::WriteBatch* batch) {
  async_pending_ = true;
  ++async_commits_;
  async_done_.store(false, std::memory_order_relaxed);
  {
    std::lock_guard<std::mutex> lock(writer_mu_);
    writer_job_ = batch;
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
  if (!s.ok()) {
    last_error_ = s.ToString();
    spdlog::error("write to LevelDB failed: {}", last_error_);
  }
  return FromLevelDB(s);
}

void Engine::set_async_notify(std::function<void()> notify) {
  std::lock_guard<std::mutex> lock(writer_mu_);
  async_notify_ = std::move(notify);
}

void Engine::WriterThreadMain() {
  std::unique_lock<std::mutex> lock(writer_mu_);
  while (true) {
    writer_cv_.wait(lock, [this] { return writer_job_ != nullptr || writer_stopping_; });
    if (writer_job_ == nullptr) return;  // stopping with nothing to write
    leveldb::WriteBatch* batch = writer_job_;
    lock.unlock();
    leveldb::Status s = WriteBatchNow(batch);
    lock.lock();
    writer_job_ = nullptr;
    writer_result_ = s;
    async_done_.store(true, std::memory_order_release);
    // Under the lock, so a notifier cleared by set_async_notify is never
    // called afterwards (the server closes the handle it wakes).
    if (async_notify_) async_notify_();
    writer_cv_.notify_all();
  }
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
  if (s.ok()) {
    fsyncs_.fetch_add(1);
    last_fsync_ms_.store(NowMs());
    dirty_since_sync_.store(false);
  }
  return FromLevelDB(s);
}

// The everysec fsync runs off the event loop, like Redis's background fsync:
// fdatasync on a second descriptor of the current log file flushes the same
// page-cache pages LevelDB appended to, without taking LevelDB's writer lock.
void Engine::SyncThreadMain() {
  std::unique_lock<std::mutex> lock(sync_mu_);
  while (!stopping_) {
    sync_cv_.wait_for(lock, std::chrono::seconds(1));
    if (stopping_) break;
    if (sync_mode_ != SyncMode::kEverySec || !dirty_since_sync_.exchange(false)) continue;
    std::string log = NewestLogFile(dir_);
    if (log.empty()) continue;
    int fd = ::open(log.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) continue;
    if (::fdatasync(fd) == 0) {
      fsyncs_.fetch_add(1);
      last_fsync_ms_.store(NowMs());
    }
    ::close(fd);
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

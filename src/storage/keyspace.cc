#include "storage/keyspace.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <climits>
#include <limits>
#include <tuple>
#include <unordered_map>

#include "util/coding.h"

namespace ringkv::storage {

namespace {

constexpr std::string_view kDbMapKey = "Ndbmap";
// Reused buffers that grew past this (a large value went through) are released
// after the commit instead of being kept at their peak size.
constexpr size_t kRetainedBufferBytes = 1 << 20;
// Materialization cycles (see Keyspace::Commit). Rare cycles are what make
// the journal pay: a cycle writes a row once however often it changed, and
// every row written is memtable and compaction work. So, like Redis's AOF
// rewrite, a cycle waits for growth, not for the clock: for
// kDefaultCycleJournalBytes of journal since the previous one (bounding the
// journal on disk and the replay after a crash; two cycles' worth at most),
// kCycleRows pending rows, or the row cache needing room (pinned rows take
// kCycleAtPinnedShare of it and all rows kCycleAtFillShare: pinned rows cannot
// be evicted, so rows read later would find no room). It also starts once
// the server has been idle (no commit journaled rows and the server noted no
// busy command rate: NoteActivity) for kIdleCycleDelayMs, so an idle
// server's rows reach LevelDB, and at the latest kMaxCycleIntervalMs after
// the previous one. All of this at least kMinCycleIntervalMs apart, except for
// the cache. A commit made only to advance a cycle (MaterializeStep) carries
// kIdleChunkRows rows.
//
// Measured on the benchmark's sequence (SET GET INCR HSET MSET over 100,000
// keys each): with a cycle every five seconds, or whenever pinned rows took
// half the cache, one ran during MSET and the materializer and compaction
// took a quarter of a core; MSET dropped from 80k to 55-65k requests/s.
// Once pinned rows take kBackpressureAtPinnedShare of the cache, commits wait
// for the materializer, so a cycle that falls behind cannot let pinned rows
// grow without bound; the gap between that and the cycle's start leaves the
// materializer room to catch up before anyone waits.
constexpr int64_t kMinCycleIntervalMs = 1000;
constexpr int64_t kMaxCycleIntervalMs = 60000;
constexpr int64_t kIdleCycleDelayMs = 1000;
constexpr double kCycleAtPinnedShare = 0.5;
constexpr double kCycleAtFillShare = 0.75;
constexpr double kBackpressureAtPinnedShare = 0.75;
constexpr size_t kDefaultCycleJournalBytes = 256 << 20;
constexpr size_t kCycleRows = 1 << 20;
constexpr size_t kIdleChunkRows = 4096;
constexpr size_t kMinChunkRows = 64;

int64_t SteadyNowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

bool HasPrefix(const leveldb::Slice& s, std::string_view prefix) {
  return s.size() >= prefix.size() && std::string_view(s.data(), prefix.size()) == prefix;
}

std::string_view View(const leveldb::Slice& s) { return std::string_view(s.data(), s.size()); }

// Adds a row's write (present) or delete to `batch`.
void AddRow(leveldb::WriteBatch* batch, std::string_view key, bool present,
            std::string_view value) {
  const leveldb::Slice k(key.data(), key.size());
  if (present) {
    batch->Put(k, leveldb::Slice(value.data(), value.size()));
  } else {
    batch->Delete(k);
  }
}

}  // namespace

Keyspace::Keyspace(Engine* engine, int num_databases, size_t row_cache_bytes)
    : engine_(engine),
      dbs_(num_databases),
      cache_(row_cache_bytes),
      last_cycle_start_ms_(SteadyNowMs()),
      last_activity_ms_(last_cycle_start_ms_),
      cycle_triggers_{kMinCycleIntervalMs, kMaxCycleIntervalMs, kDefaultCycleJournalBytes,
                      kIdleCycleDelayMs} {
  for (int i = 0; i < num_databases; ++i) dbs_[i].physical_id = static_cast<uint32_t>(i);
  next_physical_id_ = static_cast<uint32_t>(num_databases);
}

Keyspace::~Keyspace() {
  Status s = FinishCommit(/*wait=*/true);
  if (!s.ok()) spdlog::error("commit in flight at close failed: {}", s.ToString());
  ReapChunk(/*wait=*/true);  // its batch belongs to the keyspace
}

// Db map record: varint next_physical_id, varint reclaim count, reclaim ids,
// varint db count, then per db: physical id, keys, expires, keys with
// siblings; then the last hash
// field insertion sequence handed out.
Status Keyspace::Open() {
  Status replayed = ReplayJournal();
  if (!replayed.ok()) return replayed;
  std::string raw;
  Status s = engine_->Get(kDbMapKey, &raw);
  if (s.IsNotFound()) {
    metadata_dirty_ = true;
    return Status::OK();
  }
  if (!s.ok()) return s;
  std::string_view in = raw;
  uint64_t next, reclaim_count, db_count;
  if (!GetVarint64(&in, &next) || !GetVarint64(&in, &reclaim_count)) {
    return Status::Corruption("bad db map");
  }
  reclaim_.clear();
  for (uint64_t i = 0; i < reclaim_count; ++i) {
    uint64_t id;
    if (!GetVarint64(&in, &id)) return Status::Corruption("bad db map");
    reclaim_.push_back(static_cast<uint32_t>(id));
  }
  if (!GetVarint64(&in, &db_count)) return Status::Corruption("bad db map");
  std::vector<Db> stored(db_count);
  for (auto& db : stored) {
    uint64_t id;
    if (!GetVarint64(&in, &id) || !GetVarint64(&in, &db.stats.keys) ||
        !GetVarint64(&in, &db.stats.expires) || !GetVarint64(&in, &db.stats.keys_with_siblings)) {
      return Status::Corruption("bad db map");
    }
    db.physical_id = static_cast<uint32_t>(id);
  }
  next_physical_id_ = static_cast<uint32_t>(next);
  if (!GetVarint64(&in, &field_seq_)) return Status::Corruption("bad db map");
  // Dots issued before the restart stayed below the reservation; skip past it.
  if (GetVarint64(&in, &dot_reserved_)) dot_floor_ = dot_reserved_;
  // A restart with fewer `databases` keeps the extra data reachable again if the
  // setting grows back; a restart with more gets fresh empty databases.
  for (size_t i = 0; i < dbs_.size(); ++i) {
    if (i < stored.size()) {
      dbs_[i] = stored[i];
    } else {
      dbs_[i].physical_id = next_physical_id_++;
      dbs_[i].stats = {};
      metadata_dirty_ = true;
    }
  }
  return Status::OK();
}

void Keyspace::SaveMetadata() {
  std::string out;
  PutVarint64(&out, next_physical_id_);
  PutVarint64(&out, reclaim_.size());
  for (uint32_t id : reclaim_) PutVarint64(&out, id);
  PutVarint64(&out, dbs_.size());
  for (const auto& db : dbs_) {
    PutVarint64(&out, db.physical_id);
    PutVarint64(&out, db.stats.keys);
    PutVarint64(&out, db.stats.expires);
    PutVarint64(&out, db.stats.keys_with_siblings);
  }
  PutVarint64(&out, field_seq_);
  PutVarint64(&out, dot_reserved_);
  SidePut(kDbMapKey, out);
  metadata_dirty_ = false;
}

Status Keyspace::ReplayJournal() {
  // Later records win: apply them in order to maps, write the result in one
  // batch, fsync LevelDB, and only then delete the records.
  using Rows = std::unordered_map<std::string, std::pair<bool, std::string>>;
  Rows rows, side;
  auto add_rows = [](std::string_view in, Rows* into) {
    while (!in.empty()) {
      std::string_view key, value;
      bool present;
      if (!NextJournalRow(&in, &key, &present, &value)) return false;
      (*into)[std::string(key)] = {present, std::string(value)};
    }
    return true;
  };
  // Side writes of the records up to this one reached LevelDB with it.
  uint64_t applied = 0;
  std::string raw;
  Status s = engine_->Get(kJournalAppliedKey, &raw);
  if (s.ok() && raw.size() == 8) {
    applied = DecodeFixed64BE(raw.data());
  } else if (!s.ok() && !s.IsNotFound()) {
    return s;
  }
  uint64_t last_seq = 0;
  size_t records = 0;
  // Records an earlier version kept inside LevelDB (rows only).
  std::vector<std::string> legacy;
  {
    auto it = engine_->NewIterator();
    const std::string first = JournalKey(0);
    for (it->Seek(first); it->Valid() && !it->key().empty() && it->key()[0] == kJournalTag;
         it->Next()) {
      uint64_t seq;
      if (!ParseJournalKey(View(it->key()), &seq)) continue;
      if (!add_rows(View(it->value()), &rows)) {
        return Status::Corruption("malformed journal record " + std::to_string(seq));
      }
      legacy.push_back(it->key().ToString());
      last_seq = seq;
    }
    if (!it->status().ok()) return Status::IOError(it->status().ToString());
  }
  records = legacy.size();
  uint64_t torn_bytes = 0;
  size_t empty_records = 0;
  s = engine_->journal()->ReadAll(
      [&](uint64_t seq, std::string_view payload) {
        // Earlier builds could write a record empty once its buffer passed a
        // megabyte (see PrepareCommitBatch): it holds nothing to apply, and
        // refusing to start over it would strand every later record too.
        if (payload.empty()) {
          ++empty_records;
          last_seq = std::max(last_seq, seq);
          return Status::OK();
        }
        const uint32_t rows_bytes = payload.size() < 4 ? 0 : DecodeFixed32BE(payload.data());
        if (payload.size() < 4 || rows_bytes > payload.size() - 4 ||
            !add_rows(payload.substr(4, rows_bytes), &rows) ||
            (seq > applied && !add_rows(payload.substr(4 + rows_bytes), &side))) {
          return Status::Corruption("malformed journal record " + std::to_string(seq));
        }
        ++records;
        last_seq = std::max(last_seq, seq);
        return Status::OK();
      },
      &torn_bytes);
  if (!s.ok()) return s;
  if (empty_records > 0) {
    spdlog::warn(
        "Skipped {} empty journal records (an older version wrote them in place of "
        "records over a megabyte: their rows may be lost)",
        empty_records);
  }
  if (torn_bytes > 0) {
    spdlog::warn("Dropped a torn record ({} bytes) at the end of the journal", torn_bytes);
  }
  // Numbers go on after every record LevelDB knows of, deleted ones included.
  journal_next_ = journal_floor_ = std::max(last_seq, applied) + 1;
  if (records > 0) {
    leveldb::WriteBatch batch;
    for (const auto& [key, row] : rows) AddRow(&batch, key, row.first, row.second);
    // Rows first: a side write that deletes a row (reclaiming a flushed
    // database) is always the later one.
    for (const auto& [key, row] : side) AddRow(&batch, key, row.first, row.second);
    for (const std::string& record : legacy) batch.Delete(record);
    std::string last;
    PutFixed64BE(&last, journal_next_ - 1);
    batch.Put(leveldb::Slice(kJournalAppliedKey.data(), kJournalAppliedKey.size()), last);
    s = engine_->Write(&batch);
    if (s.ok()) s = engine_->SyncLevelDBLogs();
    if (!s.ok()) return s;
    journal_rows_replayed_ += rows.size();
    spdlog::info("Applied {} journal records ({} rows) left by an unclean stop", records,
                 rows.size());
  }
  engine_->journal()->DeleteBefore(std::numeric_limits<uint64_t>::max());
  return Status::OK();
}

void Keyspace::NoteActivity() { last_activity_ms_ = SteadyNowMs(); }

bool Keyspace::NextCycleDue() const {
  if (cache_.pending_count() >= kCycleRows ||
      (cache_.pinned_share() >= kCycleAtPinnedShare && cache_.fill_share() >= kCycleAtFillShare)) {
    return true;
  }
  const int64_t now = SteadyNowMs();
  const int64_t elapsed = now - last_cycle_start_ms_;
  const CycleTriggers& t = cycle_triggers_;
  return elapsed >= t.max_interval_ms ||
         (elapsed >= t.min_interval_ms && (journal_bytes_since_cycle_ >= t.journal_bytes ||
                                           now - last_activity_ms_ >= t.idle_delay_ms));
}

bool Keyspace::CycleDue() const { return cache_.pending_count() > 0 && NextCycleDue(); }

size_t Keyspace::ChunkRows(size_t staged) const {
  if (staged == 0) return kIdleChunkRows;
  // Half the commit's own rows spreads a cycle over the interval when rows
  // are rewritten (a cycle then holds fewer rows than were written), keeping
  // commits short; a cycle still running when the next one is due gets four
  // times that.
  const size_t rows = std::max(kMinChunkRows, staged / 2);
  return NextCycleDue() ? 4 * rows : rows;
}

bool Keyspace::materialization_due() const { return cycle_active_ || CycleDue(); }

bool Keyspace::PrepareCommitBatch(size_t chunk_rows) {
  bool any = side_ops_ > 0 || cache_.dirty_count() > 0;
  side_ops_ = 0;
  batch_journal_seq_ = 0;
  if (any) {
    // The writer thread reads journal_buf_ until the commit it was made for
    // finishes, and none is in flight here: only now may it be given back
    // (after one huge value), never in ResetBatch, which runs meanwhile.
    if (journal_buf_.capacity() > kRetainedBufferBytes) std::string().swap(journal_buf_);
    journal_buf_.assign(4, '\0');  // the rows part's length, set below
    cache_.ForEachDirty([this](std::string_view key, bool present, std::string_view value) {
      AppendJournalRow(key, present, value, &journal_buf_);
    });
    std::string rows_bytes;
    PutFixed32BE(&rows_bytes, static_cast<uint32_t>(journal_buf_.size() - 4));
    journal_buf_.replace(0, 4, rows_bytes);
    journal_buf_.append(side_buf_);
    batch_journal_seq_ = journal_next_++;
    // A record without side writes leaves LevelDB alone: the marker only
    // tells replay which side writes landed.
    if (!side_buf_.empty()) {
      std::string applied;
      PutFixed64BE(&applied, batch_journal_seq_);
      batch_->Put(leveldb::Slice(kJournalAppliedKey.data(), kJournalAppliedKey.size()), applied);
    }
    side_buf_.clear();
    journal_bytes_since_cycle_ += journal_buf_.size();
    NoteActivity();
  }
  batch_has_chunk_ = batch_ends_cycle_ = false;
  // A chunk written meanwhile is completed first: it may end the cycle, and
  // the next chunk needs the materializer free. Once pinned rows take
  // kBackpressureAtPinnedShare of the row cache, commits wait for it: a
  // materializer that falls behind must not let pinned rows grow without
  // bound.
  ReapChunk(/*wait=*/cycle_active_ && cache_.pinned_share() >= kBackpressureAtPinnedShare);
  if (!cycle_active_ && CycleDue()) {
    cache_.StartCycle();
    cycle_active_ = true;
    // Rows journaled before now are all in the cycle (nothing is in flight);
    // this commit's record starts the next journal file.
    cycle_end_ = journal_next_ - (cache_.dirty_count() > 0 ? 1 : 0);
    engine_->journal()->RotateAt(cycle_end_);
    last_cycle_start_ms_ = SteadyNowMs();
    journal_bytes_since_cycle_ = 0;
    // No cycle was active, so that stage is empty.
    unmaterialized_[kFieldsInCycle].swap(unmaterialized_[kFieldsJournaled]);
  }
  FieldRowIndex& journaled = unmaterialized_[kFieldsJournaled];
  noted_rows_ = nullptr;  // the staged stage is moved or emptied below
  if (journaled.empty()) {
    journaled.swap(unmaterialized_[kFieldsStaged]);
  } else {
    for (auto& [prefix, rows] : unmaterialized_[kFieldsStaged]) {
      journaled[prefix].Merge(std::move(rows));
    }
    unmaterialized_[kFieldsStaged].clear();
  }
  // One chunk at a time: the next waits until the materializer is free.
  if (!cycle_active_ || engine_->materialize_pending()) return any;
  chunk_rows_ = 0;
  cache_.TakeCycleChunk(chunk_rows,
                        [this](std::string_view key, bool present, std::string_view value) {
                          AddRow(chunk_batch_.get(), key, present, value);
                          ++chunk_rows_;
                        });
  batch_has_chunk_ = true;
  batch_ends_cycle_ = cache_.cycle_count() == 0;
  return true;
}

Status Keyspace::ReapChunk(bool wait) {
  if (!engine_->materialize_pending()) return Status::OK();
  if (!wait && !engine_->MaterializeDone()) return Status::OK();
  Status s = engine_->FinishMaterialize();
  // A failed chunk leaves its rows in the cycle for the next one: they are
  // in the journal.
  cache_.EndMaterialize(s.ok());
  ResetBatch(&chunk_batch_);
  if (!s.ok()) return s;
  rows_materialized_ += chunk_rows_;
  if (chunk_ends_cycle_) {
    // The chunk fsynced LevelDB's logs (CommitJob::sync_deferred).
    engine_->journal()->DeleteBefore(cycle_end_);
    journal_floor_ = std::max(journal_floor_, cycle_end_);
    cycle_active_ = false;
    ++materialize_cycles_;
    unmaterialized_[kFieldsInCycle].clear();
  }
  return s;
}

void Keyspace::ResetBatch(std::unique_ptr<leveldb::WriteBatch>* batch) {
  // Clear() keeps the batch's capacity: after one huge value, give it back.
  if ((*batch)->ApproximateSize() > kRetainedBufferBytes) {
    batch->reset(new leveldb::WriteBatch());
  } else {
    (*batch)->Clear();
  }
  if (scratch_.capacity() > kRetainedBufferBytes) std::string().swap(scratch_);
}

Status Keyspace::Commit() {
  Status s = FinishCommit(/*wait=*/true);
  if (metadata_dirty_) SaveMetadata();
  if (!has_staged()) return s;
  // A chunk rides along only with staged rows: a commit of nothing but a
  // chunk is MaterializeStep's, off the loop.
  const size_t staged = cache_.dirty_count();
  if (!PrepareCommitBatch(staged > 0 ? ChunkRows(staged) : 0)) return s;
  Status written = engine_->Commit(CurrentJob(batch_.get()));
  ResetBatch(&batch_);
  ++started_generation_;
  durable_generation_ = started_generation_;
  if (written.ok()) {
    cache_.MarkAllPending();
  } else {
    cache_.DropDirty();
    loaded_.valid = false;
  }
  return s.ok() ? written : s;
}

Status Keyspace::Checkpoint() {
  Status s = Commit();
  if (!s.ok()) return s;
  // A failed chunk's rows are back in the cycle: they are written below.
  ReapChunk(/*wait=*/true);
  if (pending_rows() == 0 && journal_floor_ == journal_next_) return Status::OK();
  leveldb::WriteBatch rows;
  cache_.ForEachUnmaterialized([&](std::string_view key, bool present, std::string_view value) {
    AddRow(&rows, key, present, value);
    ++rows_materialized_;
  });
  Status written = engine_->Write(&rows);
  if (!written.ok()) return written;
  cache_.MarkAllMaterialized();
  for (FieldRowIndex& stage : unmaterialized_) stage.clear();
  noted_rows_ = nullptr;
  if (cycle_active_) ++materialize_cycles_;
  cycle_active_ = false;
  return Status::OK();
}

Status Keyspace::Close() {
  Status s = Checkpoint();
  if (s.ok()) s = engine_->SyncLevelDBLogs();
  if (!s.ok()) return s;
  engine_->journal()->DeleteBefore(journal_next_);
  journal_floor_ = journal_next_;
  return Status::OK();
}

CommitJob Keyspace::CurrentJob(leveldb::WriteBatch* batch) {
  CommitJob job;
  job.journal_seq = batch_journal_seq_;
  job.journal_record = journal_buf_;
  job.batch = batch;
  if (batch_has_chunk_) {
    job.deferred = chunk_batch_.get();
    job.sync_deferred = chunk_ends_cycle_ = batch_ends_cycle_;
  }
  return job;
}

bool Keyspace::StartCommit() {
  if (engine_->async_pending()) return false;
  if (metadata_dirty_) SaveMetadata();
  if (!has_staged() && !materialization_due()) return false;
  // A commit of nothing but a materialization chunk makes no write durable:
  // it leaves the generation alone, so no reply waits for it.
  const bool staged_writes = has_staged();
  if (!PrepareCommitBatch(ChunkRows(cache_.dirty_count()))) return false;
  cache_.BeginCommit();
  batch_.swap(in_flight_batch_);
  if (staged_writes) ++started_generation_;
  engine_->CommitAsync(CurrentJob(in_flight_batch_.get()));
  return true;
}

Status Keyspace::FinishCommit(bool wait) {
  // A chunk's failure is not the commit's: its rows wait for the next one.
  ReapChunk(/*wait=*/false);
  if (!engine_->async_pending()) return Status::OK();
  if (!wait && !engine_->AsyncDone()) return Status::OK();
  Status s = engine_->FinishAsync();
  cache_.EndCommit(s.ok());
  if (!s.ok()) loaded_.valid = false;
  ResetBatch(&in_flight_batch_);
  durable_generation_ = started_generation_;
  return s;
}

void Keyspace::SidePut(std::string_view raw_key, std::string_view value) {
  batch_->Put(leveldb::Slice(raw_key.data(), raw_key.size()),
              leveldb::Slice(value.data(), value.size()));
  AppendJournalRow(raw_key, true, value, &side_buf_);
  ++side_ops_;
}

void Keyspace::SideDelete(std::string_view raw_key) {
  batch_->Delete(leveldb::Slice(raw_key.data(), raw_key.size()));
  AppendJournalRow(raw_key, false, {}, &side_buf_);
  ++side_ops_;
}

std::unique_ptr<leveldb::Iterator> Keyspace::NewIterator() {
  Status s = Checkpoint();
  if (!s.ok()) spdlog::error("checkpoint before iteration failed: {}", s.ToString());
  return engine_->NewIterator();
}

std::unique_ptr<leveldb::Iterator> Keyspace::NewCommittedIterator() {
  Status s = Commit();
  if (!s.ok()) spdlog::error("commit before iteration failed: {}", s.ToString());
  return engine_->NewIterator();
}

Status Keyspace::ReadRow(const std::string& raw_key, std::string* value) {
  std::string_view view;
  Status s = ReadRowView(raw_key, &view);
  if (s.ok() && view.data() != value->data()) value->assign(view);
  return s;
}

Status Keyspace::ReadRowView(const std::string& raw_key, std::string_view* value) {
  if (const RowCache::Entry* entry = cache_.Lookup(raw_key)) {
    if (!entry->present) return Status::NotFound();
    *value = entry->value();
    return Status::OK();
  }
  Status s = engine_->Get(raw_key, &scratch_);
  if (s.ok()) {
    cache_.Fill(raw_key, scratch_);
    *value = scratch_;
  } else if (s.IsNotFound()) {
    cache_.FillAbsent(raw_key);
  }
  return s;
}

void Keyspace::WriteRow(const std::string& raw_key, std::string_view value) {
  NoteRowWrite(raw_key);
  cache_.Stage(raw_key, value);
}

void Keyspace::DeleteRow(const std::string& raw_key) {
  NoteRowWrite(raw_key);
  cache_.StageAbsent(raw_key);
}

void Keyspace::NoteRowWrite(const std::string& raw_key) {
  ++rows_staged_;
  // A field row is no key row: object_ still describes the key it belongs
  // to (HSET on an existing field rewrites only the field's row).
  if (!raw_key.empty() && raw_key[0] == kFieldTag) {
    NoteFieldRow(raw_key);
  } else {
    loaded_.valid = false;
  }
}

void Keyspace::NoteFieldRow(const std::string& raw_key) {
  const size_t prefix_size = FieldPrefixSize(raw_key);
  if (prefix_size == 0) return;
  const std::string_view prefix(raw_key.data(), prefix_size);
  // Consecutive writes to one hash are the common case: skip the map.
  if (noted_rows_ == nullptr || noted_prefix_ != prefix) {
    noted_prefix_.assign(prefix);
    noted_rows_ = &unmaterialized_[kFieldsStaged][noted_prefix_];
  }
  noted_rows_->Add(RowCache::HashOf(raw_key));
}

void Keyspace::RowHashSet::Add(uint64_t hash) {
  if (hash == 0) {
    has_zero_ = true;
    return;
  }
  if (2 * (count_ + 1) > slots_.size()) Grow();
  const size_t mask = slots_.size() - 1;
  for (size_t i = hash & mask;; i = (i + 1) & mask) {
    if (slots_[i] == hash) return;
    if (slots_[i] == 0) {
      slots_[i] = hash;
      ++count_;
      return;
    }
  }
}

void Keyspace::RowHashSet::Merge(RowHashSet&& other) {
  if (count_ < other.count_) std::swap(*this, other);
  has_zero_ = has_zero_ || other.has_zero_;
  for (const uint64_t hash : other.slots_) {
    if (hash != 0) Add(hash);
  }
}

std::vector<uint64_t> Keyspace::RowHashSet::Hashes() const {
  std::vector<uint64_t> hashes;
  hashes.reserve(count_ + 1);
  if (has_zero_) hashes.push_back(0);
  for (const uint64_t hash : slots_) {
    if (hash != 0) hashes.push_back(hash);
  }
  return hashes;
}

void Keyspace::RowHashSet::Grow() {
  std::vector<uint64_t> old =
      std::exchange(slots_, std::vector<uint64_t>(std::max<size_t>(16, 2 * slots_.size())));
  count_ = 0;
  for (const uint64_t hash : old) {
    if (hash != 0) Add(hash);
  }
}

std::unique_ptr<leveldb::Iterator> Keyspace::NewFieldRowIterator(const std::string& prefix) {
  RowHashSet rows;
  noted_rows_ = nullptr;  // may be erased below
  for (FieldRowIndex& stage : unmaterialized_) {
    auto it = stage.find(prefix);
    if (it == stage.end()) continue;
    rows.Merge(std::move(it->second));
    stage.erase(it);
  }
  const std::vector<uint64_t> hashes = rows.Hashes();
  if (!hashes.empty()) {
    // Commit first: a staged row must not reach LevelDB before the journal
    // has it with the rest of its command's writes (a new field without its
    // key row's count); a journaled row's newest value may go early (see
    // Commit). And the chunk being materialized may hold older values of
    // these rows: it must not land after them.
    Status s = Commit();
    if (s.ok()) s = ReapChunk(/*wait=*/true);
    if (!s.ok()) spdlog::error("commit before iteration failed: {}", s.ToString());
    leveldb::WriteBatch batch;
    for (const uint64_t hash : hashes) {
      // A row no longer cached was forgotten after a failed write (LevelDB's
      // copy is the one) or was materialized and evicted. A row of another
      // key may have the same row hash: the prefix check skips it.
      cache_.ForEachWithHash(hash, [&](std::string_view key, bool present, std::string_view value) {
        if (key.starts_with(prefix)) AddRow(&batch, key, present, value);
      });
    }
    s = engine_->Write(&batch);
    if (!s.ok()) {
      spdlog::error("writing a hash's rows before iteration failed: {}", s.ToString());
      return NewIterator();
    }
  }
  return engine_->NewIterator();
}

bool Keyspace::Visible(const causal::Object& object, uint64_t field_count, int64_t now_ms,
                       KeyRecord* record, bool* expired) {
  *expired = false;
  const causal::Sibling* winner = object.Winner();
  if (winner == nullptr) return false;
  if (!winner->tombstone) {
    if (!DecodeKeyVersion(winner->payload, record).ok()) return false;
    record->modified_ms = winner->timestamp_ms;
  } else {
    // Add-wins for hashes: a delete concurrent with a write to a hash removes
    // the fields it saw, not the fields added concurrently (two clients adding
    // items to one cart both win), so a live hash version keeps the key
    // visible whatever the timestamps say.
    const causal::Sibling* best = nullptr;
    KeyRecord candidate;
    for (const causal::Sibling& sibling : object.siblings()) {
      if (sibling.tombstone || !DecodeKeyVersion(sibling.payload, &candidate).ok() ||
          candidate.type != ValueType::kHash) {
        continue;
      }
      if (best == nullptr ||
          std::tie(sibling.timestamp_ms, sibling.dot) > std::tie(best->timestamp_ms, best->dot)) {
        best = &sibling;
      }
    }
    if (best == nullptr || !DecodeKeyVersion(best->payload, record).ok()) return false;
    record->modified_ms = best->timestamp_ms;
  }
  record->field_count = field_count;
  if (record->has_expire() && record->expire_ms <= now_ms) {
    *expired = true;
    return false;
  }
  return record->type != ValueType::kHash || field_count > 0;
}

Status Keyspace::LoadKeyRow(int db, std::string_view key, uint64_t* field_count,
                            causal::Object* object) {
  const uint32_t pdb = dbs_[db].physical_id;
  // A write usually follows the read of the same key (SET after its lookup):
  // object_ then still holds the decoded row.
  if (object == &object_ && loaded_.valid && loaded_.pdb == pdb && loaded_.key == key) {
    *field_count = loaded_.field_count;
    return loaded_.found ? Status::OK() : Status::NotFound();
  }
  if (object == &object_) loaded_.valid = false;
  BuildMetaKey(pdb, key, &key_buf_);
  std::string_view row;
  Status s = ReadRowView(key_buf_, &row);
  if (s.ok()) s = DecodeKeyRow(row, field_count, object);
  if (object == &object_ && (s.ok() || s.IsNotFound())) {
    loaded_.valid = true;
    loaded_.found = s.ok();
    loaded_.pdb = pdb;
    loaded_.key.assign(key);
    loaded_.field_count = s.ok() ? *field_count : 0;
  }
  return s;
}

void Keyspace::PrefetchKeyRows(int db, std::span<const std::string_view> args, int first, int last,
                               int step) {
  const int argc = static_cast<int>(args.size());
  const int end = std::min(last < 0 ? argc + last : last, argc - 1);
  step = std::max(step, 1);
  const uint32_t pdb = dbs_[db].physical_id;
  prefetch_hashes_.clear();
  for (int i = first; i <= end; i += step) {
    BuildMetaKey(pdb, args[i], &key_buf_);
    prefetch_hashes_.push_back(RowCache::HashOf(key_buf_));
    cache_.PrefetchSlotOf(prefetch_hashes_.back());
  }
  for (const uint64_t hash : prefetch_hashes_) cache_.PrefetchEntryOf(hash);
}

Keyspace::RowPrefetcher::RowPrefetcher(Keyspace* keyspace, int db,
                                       std::span<const std::string_view> keys)
    : keyspace_(keyspace), db_(db), keys_(keys) {
  tokens_.reserve(keys.size());
  IssueSlotsUpTo(kSlotLead);
  for (size_t i = 0; i < std::min(kEntryLead, tokens_.size()); ++i) {
    keyspace_->PrefetchKeyRowEntry(tokens_[i]);
  }
}

void Keyspace::RowPrefetcher::IssueSlotsUpTo(size_t end) {
  end = std::min(end, keys_.size());
  while (tokens_.size() < end) {
    tokens_.push_back(keyspace_->PrefetchKeyRowSlot(db_, keys_[tokens_.size()]));
  }
}

void Keyspace::RowPrefetcher::Before(size_t i) {
  IssueSlotsUpTo(i + kSlotLead + 1);
  if (i + kEntryLead < tokens_.size()) keyspace_->PrefetchKeyRowEntry(tokens_[i + kEntryLead]);
}

uint64_t Keyspace::PrefetchKeyRowSlot(int db, std::string_view key) {
  BuildMetaKey(dbs_[db].physical_id, key, &key_buf_);
  const uint64_t hash = RowCache::HashOf(key_buf_);
  cache_.PrefetchSlotOf(hash);
  return hash;
}

uint64_t Keyspace::PrefetchFieldRowSlot(int db, std::string_view key, std::string_view field) {
  BuildFieldKey(dbs_[db].physical_id, key, field, &key_buf_);
  const uint64_t hash = RowCache::HashOf(key_buf_);
  cache_.PrefetchSlotOf(hash);
  return hash;
}

Status Keyspace::Find(int db, std::string_view key, int64_t now_ms, KeyRecord* record) {
  now_ms_ = now_ms;
  uint64_t field_count;
  Status s = LoadKeyRow(db, key, &field_count, &object_);
  if (!s.ok()) return s;
  bool expired;
  if (Visible(object_, field_count, now_ms, record, &expired)) {
    if (touching_) TouchKey(dbs_[db], key, *record);
    return Status::OK();
  }
  if (expired && expire_deletes_) {
    // The tombstone is dated at the expiry time, not now: a write another
    // replica accepted after the expiry must still win over it.
    RemoveAt(db, key, *record, record->expire_ms);
    ++expired_keys_;
  }
  return Status::NotFound();
}

void Keyspace::TouchKey(Db& d, std::string_view key, const KeyRecord& record) {
  const uint64_t hash = KeyHash(key);
  if (!access_policy_.lfu) {
    // An untouched key's word is its write time: a read in the same second
    // as the write need not take an entry.
    const uint32_t now = LruClock(now_ms_);
    uint32_t word;
    if (d.access.size() > 0 && d.access.Get(hash, &word)) {
      if (word != now) d.access.Set(hash, now);
    } else if (now != WordFromWrite(record.modified_ms, false)) {
      d.access.Set(hash, now);
    }
    return;
  }
  uint32_t word;
  if (!d.access.Get(hash, &word)) word = WordFromWrite(record.modified_ms, true);
  lfu_random_state_ ^= lfu_random_state_ << 13;
  lfu_random_state_ ^= lfu_random_state_ >> 7;
  lfu_random_state_ ^= lfu_random_state_ << 17;
  const double random01 = static_cast<double>(lfu_random_state_ >> 11) * 0x1.0p-53;
  d.access.Set(hash, LfuTouched(word, now_ms_, access_policy_, random01));
}

uint32_t Keyspace::AccessWord(int db, std::string_view key, const KeyRecord& record) const {
  const AccessTable& access = dbs_[db].access;
  uint32_t word;
  if (access.size() > 0 && access.Get(KeyHash(key), &word)) return word;
  return WordFromWrite(record.modified_ms, access_policy_.lfu);
}

void Keyspace::SetAccessWord(int db, std::string_view key, uint32_t word) {
  dbs_[db].access.Set(KeyHash(key), word);
}

size_t Keyspace::access_entries() const {
  size_t n = 0;
  for (const Db& d : dbs_) n += d.access.size();
  return n;
}

size_t Keyspace::access_bytes() const {
  size_t n = 0;
  for (const Db& d : dbs_) n += d.access.bytes();
  return n;
}

bool Keyspace::ExistsRaw(int db, std::string_view key) {
  uint64_t field_count;
  if (!LoadKeyRow(db, key, &field_count, &object_).ok()) return false;
  KeyRecord record;
  bool expired;
  return Visible(object_, field_count, INT64_MIN, &record, &expired);
}

void Keyspace::Write(int db, std::string_view key, const KeyRecord& record, const KeyRecord* old) {
  Db& d = dbs_[db];
  const uint32_t pdb = d.physical_id;
  if (old == nullptr) {
    ++d.stats.keys;
  } else if (old->type == ValueType::kHash && record.type != ValueType::kHash) {
    RemoveFields(db, key);
  }
  // The write time becomes the access time; an LFU counter survives an
  // overwrite (Redis's dbOverwrite copies it), not a new key.
  if (old == nullptr || !access_policy_.lfu) ForgetAccessOf(d, key);
  MoveExpiry(db, key, old ? old->expire_ms : 0, record.expire_ms);
  uint64_t unused_count;
  if (!LoadKeyRow(db, key, &unused_count, &object_).ok()) object_ = causal::Object();
  loaded_.valid = false;  // object_ is modified below
  CountSiblings(db, object_.LiveCount(), 1);
  EncodeKeyVersion(record, &payload_);
  IssuedDot(object_.UpdateLocal(actor_, now_ms_, false, payload_, dot_floor_));
  EncodeKeyRow(record.field_count, object_, &scratch_);
  BuildMetaKey(pdb, key, &key_buf_);
  WriteRow(key_buf_, scratch_);
  RememberLoaded(pdb, key, record.field_count);
  metadata_dirty_ = true;
  Notify(db, key);
}

void Keyspace::Remove(int db, std::string_view key, const KeyRecord& old) {
  RemoveAt(db, key, old, now_ms_);
}

void Keyspace::RemoveAt(int db, std::string_view key, const KeyRecord& old, int64_t timestamp_ms) {
  Db& d = dbs_[db];
  const uint32_t pdb = d.physical_id;
  if (old.type == ValueType::kHash) RemoveFields(db, key);
  if (keep_tombstones_) {
    uint64_t unused_count;
    if (!LoadKeyRow(db, key, &unused_count, &object_).ok()) object_ = causal::Object();
    loaded_.valid = false;  // object_ is modified below
    CountSiblings(db, object_.LiveCount(), 0);
    IssuedDot(object_.UpdateLocal(actor_, timestamp_ms, true, {}, dot_floor_));
    EncodeKeyRow(0, object_, &scratch_);
    BuildMetaKey(pdb, key, &key_buf_);
    WriteRow(key_buf_, scratch_);
  } else {
    uint64_t unused_count;
    if (d.stats.keys_with_siblings > 0 && LoadKeyRow(db, key, &unused_count, &object_).ok()) {
      CountSiblings(db, object_.LiveCount(), 0);
    }
    BuildMetaKey(pdb, key, &key_buf_);
    DeleteRow(key_buf_);
  }
  MoveExpiry(db, key, old.expire_ms, 0);
  --d.stats.keys;
  ForgetAccessOf(d, key);
  metadata_dirty_ = true;
  Notify(db, key);
}

void Keyspace::RemoveFields(int db, std::string_view key) {
  const std::string prefix = FieldPrefix(dbs_[db].physical_id, key);
  std::vector<std::string> rows;
  {
    auto it = NewIterator();
    for (it->Seek(prefix); it->Valid() && HasPrefix(it->key(), prefix); it->Next()) {
      rows.push_back(it->key().ToString());
    }
  }
  for (const std::string& row : rows) {
    if (keep_tombstones_) {
      TombstoneFieldRow(row);
    } else {
      DeleteRow(row);
    }
  }
}

void Keyspace::TombstoneFieldRow(const std::string& raw_key) {
  uint64_t seq = 0;
  causal::Object field;
  if (!ReadRow(raw_key, &scratch_).ok() || !DecodeFieldRow(scratch_, &seq, &field).ok()) return;
  if (field.IsDeleted()) return;
  IssuedDot(field.UpdateLocal(actor_, now_ms_, true, {}, dot_floor_));
  EncodeFieldRow(seq, field, &scratch_);
  WriteRow(raw_key, scratch_);
}

Status Keyspace::GetField(int db, std::string_view key, std::string_view field,
                          std::string* value) {
  BuildFieldKey(dbs_[db].physical_id, key, field, &key_buf_);
  std::string_view row;
  Status s = ReadRowView(key_buf_, &row);
  if (!s.ok()) return s;
  uint64_t seq;
  s = DecodeFieldRow(row, &seq, &field_object_);
  if (!s.ok()) return s;
  if (field_object_.IsDeleted()) return Status::NotFound();
  value->assign(field_object_.Winner()->payload);
  return Status::OK();
}

void Keyspace::PutField(int db, std::string_view key, std::string_view field,
                        std::string_view value) {
  SetField(db, key, field, value);
}

bool Keyspace::SetField(int db, std::string_view key, std::string_view field,
                        std::string_view value) {
  BuildFieldKey(dbs_[db].physical_id, key, field, &key_buf_);
  // An existing field keeps its insertion sequence (its place in a small
  // hash's order); a new one (or one deleted before) takes the next.
  uint64_t seq = 0;
  std::string_view row;
  if (!ReadRowView(key_buf_, &row).ok() || !DecodeFieldRow(row, &seq, &field_object_).ok()) {
    field_object_ = causal::Object();
  }
  const bool created = field_object_.IsDeleted();
  if (created) {
    seq = ++field_seq_;
    metadata_dirty_ = true;
  }
  IssuedDot(field_object_.UpdateLocal(actor_, now_ms_, false, value, dot_floor_));
  EncodeFieldRow(seq, field_object_, &scratch_);
  WriteRow(key_buf_, scratch_);
  return created;
}

void Keyspace::DeleteField(int db, std::string_view key, std::string_view field) {
  BuildFieldKey(dbs_[db].physical_id, key, field, &key_buf_);
  if (keep_tombstones_) {
    TombstoneFieldRow(key_buf_);
  } else {
    DeleteRow(key_buf_);
  }
}

Status Keyspace::VisitFieldRows(uint32_t pdb, std::string_view key, uint64_t start_hash,
                                bool strict, const FieldRowVisitor& visit) {
  const std::string prefix = FieldPrefix(pdb, key);
  std::string start = prefix;
  PutFixed64BE(&start, start_hash);
  auto it = NewFieldRowIterator(prefix);
  FieldRow row;
  causal::Object object;
  for (it->Seek(start); it->Valid() && HasPrefix(it->key(), prefix); it->Next()) {
    row.raw_key = View(it->key());
    if (!ParseFieldKey(row.raw_key, prefix.size(), &row.hash, &row.field) ||
        !DecodeFieldRow(View(it->value()), &row.seq, &object).ok()) {
      if (strict) return Status::Corruption("bad hash field row");
      spdlog::warn("skipping corrupt hash field entry");
      continue;
    }
    row.object = &object;
    if (!visit(row)) break;
  }
  return Status::OK();
}

void Keyspace::ForEachField(int db, std::string_view key, uint64_t start_hash,
                            const FieldVisitor& visit) {
  VisitFieldRows(dbs_[db].physical_id, key, start_hash, /*strict=*/false, [&](const FieldRow& row) {
    if (row.object->IsDeleted()) return true;
    return visit(row.hash, row.field, row.object->Winner()->payload);
  });
}

uint64_t Keyspace::StoredBytes(int db, std::string_view key, uint64_t max_field_rows) {
  const uint32_t pdb = dbs_[db].physical_id;
  BuildMetaKey(pdb, key, &key_buf_);
  std::string_view row;
  if (!ReadRowView(key_buf_, &row).ok()) return 0;
  const uint64_t key_row_bytes = key_buf_.size() + row.size();
  uint64_t field_count = 0;
  causal::Object object;
  if (!DecodeKeyRow(row, &field_count, &object).ok() || field_count == 0) return key_row_bytes;
  const std::string prefix = FieldPrefix(pdb, key);
  auto it = NewFieldRowIterator(prefix);
  uint64_t sampled_rows = 0;
  uint64_t sampled_bytes = 0;
  for (it->Seek(prefix); it->Valid() && HasPrefix(it->key(), prefix); it->Next()) {
    if (max_field_rows != 0 && sampled_rows == max_field_rows) {
      // Extrapolate over the live field count (the tombstones past the
      // sample are unknown without reading them).
      return key_row_bytes + sampled_bytes * std::max(field_count, sampled_rows) / sampled_rows;
    }
    ++sampled_rows;
    sampled_bytes += it->key().size() + it->value().size();
  }
  return key_row_bytes + sampled_bytes;
}

void Keyspace::ForEachFieldInInsertionOrder(int db, std::string_view key,
                                            const FieldVisitor& visit) {
  struct Entry {
    uint64_t seq;
    uint64_t hash;
    std::string field;
    std::string value;
  };
  std::vector<Entry> small;
  bool big = false;
  bool stopped = false;
  VisitFieldRows(dbs_[db].physical_id, key, 0, /*strict=*/false, [&](const FieldRow& row) {
    if (row.object->IsDeleted()) return true;
    const std::string& value = row.object->Winner()->payload;
    if (!big && small.size() < kInsertionOrderedFields) {
      small.push_back({row.seq, row.hash, std::string(row.field), value});
      return true;
    }
    if (!big) {
      // Too big for insertion order: hand out what was collected, in the
      // iteration's (hash) order, then stream the rest.
      big = true;
      for (const Entry& e : small) {
        if (!visit(e.hash, e.field, e.value)) {
          stopped = true;
          return false;
        }
      }
      small.clear();
    }
    stopped = !visit(row.hash, row.field, value);
    return !stopped;
  });
  if (stopped) return;
  if (big) return;
  std::sort(small.begin(), small.end(),
            [](const Entry& a, const Entry& b) { return a.seq < b.seq; });
  for (const Entry& e : small) {
    if (!visit(e.hash, e.field, e.value)) return;
  }
}

void Keyspace::ForEachKey(int db, uint64_t start_hash, int64_t now_ms, const KeyVisitor& visit) {
  const uint32_t pdb = dbs_[db].physical_id;
  const std::string prefix = MetaPrefix(pdb);
  auto it = NewIterator();
  KeyRecord record;
  causal::Object object;
  for (it->Seek(MetaSeekKey(pdb, start_hash)); it->Valid() && HasPrefix(it->key(), prefix);
       it->Next()) {
    uint32_t parsed_db;
    uint64_t hash, field_count;
    std::string_view key;
    if (!ParseMetaKey(View(it->key()), &parsed_db, &hash, &key) ||
        !DecodeKeyRow(View(it->value()), &field_count, &object).ok()) {
      spdlog::warn("skipping corrupt key entry");
      continue;
    }
    bool expired;
    if (!Visible(object, field_count, now_ms, &record, &expired)) continue;
    if (!visit(hash, key, record)) break;
  }
}

bool Keyspace::HasHashVersion(const causal::Object& object) {
  return std::any_of(
      object.siblings().begin(), object.siblings().end(), [](const causal::Sibling& sibling) {
        return !sibling.tombstone && !sibling.payload.empty() &&
               static_cast<uint8_t>(sibling.payload[0]) == static_cast<uint8_t>(ValueType::kHash);
      });
}

Status Keyspace::ExportKeyObject(int db, std::string_view key, KeyState* state,
                                 uint64_t* field_count) {
  state->key_object.clear();
  state->fields.clear();
  Status s = LoadKeyRow(db, key, field_count, &object_);
  if (!s.ok()) return s;
  object_.Encode(&state->key_object);
  return Status::OK();
}

Status Keyspace::ExportKey(int db, std::string_view key, KeyState* state) {
  uint64_t field_count;
  Status s = ExportKeyObject(db, key, state, &field_count);
  if (s.IsNotFound()) return Status::OK();
  if (!s.ok()) return s;
  // Field rows can only matter if the key is or was a hash: a key whose
  // versions are all live non-hash ones skips the scan (the hot path of
  // strings; the receiver drops fields no hash version covers, see MergeKey).
  const bool may_have_fields =
      field_count > 0 || HasHashVersion(object_) ||
      std::any_of(object_.siblings().begin(), object_.siblings().end(),
                  [](const causal::Sibling& sibling) { return sibling.tombstone; });
  if (!may_have_fields) return Status::OK();
  std::vector<std::pair<uint64_t, std::pair<std::string, std::string>>> by_seq;
  s = VisitFieldRows(dbs_[db].physical_id, key, 0, /*strict=*/true, [&](const FieldRow& row) {
    std::string encoded;
    row.object->Encode(&encoded);
    by_seq.push_back({row.seq, {std::string(row.field), std::move(encoded)}});
    return true;
  });
  if (!s.ok()) return s;
  // In insertion order, so a replica that learns the fields keeps the order
  // HGETALL shows (Redis's listpack order).
  std::sort(by_seq.begin(), by_seq.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
  for (auto& entry : by_seq) state->fields.push_back(std::move(entry.second));
  return Status::OK();
}

Status Keyspace::ExportKeyFields(int db, std::string_view key, std::span<const std::string> fields,
                                 KeyState* state) {
  uint64_t field_count;
  Status s = ExportKeyObject(db, key, state, &field_count);
  if (s.IsNotFound()) return Status::OK();
  if (!s.ok()) return s;
  const uint32_t pdb = dbs_[db].physical_id;
  for (const std::string& field : fields) {
    if (std::any_of(state->fields.begin(), state->fields.end(),
                    [&](const auto& entry) { return entry.first == field; })) {
      continue;  // named twice
    }
    BuildFieldKey(pdb, key, field, &key_buf_);
    s = ReadRow(key_buf_, &scratch_);
    if (s.IsNotFound()) continue;
    if (!s.ok()) return s;
    uint64_t seq;
    causal::Object object;
    s = DecodeFieldRow(scratch_, &seq, &object);
    if (!s.ok()) return s;
    std::string encoded;
    object.Encode(&encoded);
    state->fields.emplace_back(field, std::move(encoded));
  }
  return Status::OK();
}

Status Keyspace::MergeKey(int db, std::string_view key, const KeyState& state, bool* changed) {
  *changed = false;
  if (state.key_object.empty()) return Status::OK();
  // Decode everything first, so corrupt input changes nothing.
  causal::Object incoming;
  Status s = causal::Object::Decode(state.key_object, &incoming);
  if (!s.ok()) return s;
  std::vector<causal::Object> incoming_fields(state.fields.size());
  for (size_t i = 0; i < state.fields.size(); ++i) {
    s = causal::Object::Decode(state.fields[i].second, &incoming_fields[i]);
    if (!s.ok()) return s;
  }

  Db& d = dbs_[db];
  const uint32_t pdb = d.physical_id;
  uint64_t field_count = 0;
  causal::Object local;
  s = LoadKeyRow(db, key, &field_count, &local);
  if (!s.ok() && !s.IsNotFound()) return s;
  KeyRecord before, after;
  bool expired;
  const bool existed = Visible(local, field_count, now_ms_, &before, &expired);
  const size_t live_before = local.LiveCount();

  bool key_changed = !local.DescendsOrEquals(incoming);
  if (key_changed) local.Merge(incoming);
  for (size_t i = 0; i < state.fields.size(); ++i) {
    BuildFieldKey(pdb, key, state.fields[i].first, &key_buf_);
    uint64_t seq = 0;
    causal::Object field;
    if (!ReadRow(key_buf_, &scratch_).ok() || !DecodeFieldRow(scratch_, &seq, &field).ok()) {
      field = causal::Object();
    }
    if (field.DescendsOrEquals(incoming_fields[i])) continue;
    const bool was_live = !field.IsDeleted();
    field.Merge(incoming_fields[i]);
    const bool is_live = !field.IsDeleted();
    if (!was_live && is_live) {
      ++field_count;
      if (seq == 0) {
        seq = ++field_seq_;
        metadata_dirty_ = true;
      }
    } else if (was_live && !is_live) {
      --field_count;
    }
    EncodeFieldRow(seq, field, &scratch_);
    WriteRow(key_buf_, scratch_);
    key_changed = true;
  }
  if (!key_changed) return Status::OK();
  *changed = true;
  // Fields belong to hash versions. When none survives the merge (a SET or a
  // DEL superseded the hash this replica held), its fields are deleted too, so
  // they cannot reappear in a hash created later under the same key. (Senders
  // ship field rows only for keys with a hash or a tombstone sibling; see
  // ExportKey.)
  if (field_count > 0 && !HasHashVersion(local)) {
    RemoveFields(db, key);
    field_count = 0;
  }

  StoreKeyObject(db, key, existed ? &before : nullptr, live_before, local, field_count);
  return Status::OK();
}

void Keyspace::StoreKeyObject(int db, std::string_view key, const KeyRecord* before,
                              size_t live_before, const causal::Object& object,
                              uint64_t field_count) {
  Db& d = dbs_[db];
  const uint32_t pdb = d.physical_id;
  CountSiblings(db, live_before, object.LiveCount());
  EncodeKeyRow(field_count, object, &scratch_);
  BuildMetaKey(pdb, key, &key_buf_);
  WriteRow(key_buf_, scratch_);
  if (&object == &object_) RememberLoaded(pdb, key, field_count);
  KeyRecord after;
  bool expired;
  const bool exists = Visible(object, field_count, now_ms_, &after, &expired);
  if (before != nullptr && !exists) --d.stats.keys;
  if (before == nullptr && exists) ++d.stats.keys;
  if (before == nullptr || !exists || !access_policy_.lfu) ForgetAccessOf(d, key);
  MoveExpiry(db, key, before != nullptr ? before->expire_ms : 0, exists ? after.expire_ms : 0);
  metadata_dirty_ = true;
  Notify(db, key);
}

void Keyspace::RememberLoaded(uint32_t pdb, std::string_view key, uint64_t field_count) {
  loaded_.valid = true;
  loaded_.found = true;
  loaded_.pdb = pdb;
  loaded_.key.assign(key);
  loaded_.field_count = field_count;
}

void Keyspace::MoveExpiry(int db, std::string_view key, int64_t old_expire, int64_t new_expire) {
  if (old_expire == new_expire) return;
  Db& d = dbs_[db];
  if (old_expire != 0) {
    SideDelete(ExpireKey(d.physical_id, old_expire, key));
    --d.stats.expires;
  }
  if (new_expire != 0) {
    SidePut(ExpireKey(d.physical_id, new_expire, key), {});
    ++d.stats.expires;
  }
}

Status Keyspace::GetKeyObject(int db, std::string_view key, causal::Object* object,
                              uint64_t* field_count) {
  return LoadKeyRow(db, key, field_count, object);
}

Status Keyspace::PutWithContext(int db, std::string_view key, const causal::VersionVector& context,
                                const KeyRecord* version, size_t max_siblings,
                                size_t* live_siblings) {
  uint64_t field_count = 0;
  causal::Object local;
  Status s = LoadKeyRow(db, key, &field_count, &local);
  if (!s.ok() && !s.IsNotFound()) return s;
  KeyRecord before;
  bool expired;
  const bool existed = Visible(local, field_count, now_ms_, &before, &expired);
  const size_t live_before = local.LiveCount();
  if (version != nullptr) {
    EncodeKeyVersion(*version, &payload_);
    IssuedDot(local.Update(context, actor_, now_ms_, false, payload_, dot_floor_));
  } else {
    IssuedDot(local.Update(context, actor_, now_ms_, true, {}, dot_floor_));
  }
  *live_siblings = local.LiveCount();
  // `local` is a copy of the row: returning here leaves the stored row alone.
  if (*live_siblings > max_siblings) return Status::Busy("too many siblings");
  if (version != nullptr && version->type != ValueType::kHash) field_count = 0;
  StoreKeyObject(db, key, existed ? &before : nullptr, live_before, local, field_count);
  return Status::OK();
}

void Keyspace::FlushDb(int db) {
  Db& d = dbs_[db];
  if (d.stats.keys > 0) reclaim_.push_back(d.physical_id);
  d.physical_id = next_physical_id_++;
  d.stats = {};
  d.access.Clear();
  ++rows_staged_;  // every key of the database changed
  // Rows of the old physical id can never be read again: free their cache
  // space. (Staged ones stay until committed; reclaim deletes them later.)
  cache_.EvictClean();
  metadata_dirty_ = true;
}

void Keyspace::FlushAll() {
  for (int i = 0; i < num_databases(); ++i) FlushDb(i);
}

void Keyspace::SwapDb(int a, int b) {
  std::swap(dbs_[a], dbs_[b]);
  ++rows_staged_;  // every key of both databases changed
  metadata_dirty_ = true;
}

size_t Keyspace::ReapTombstones(int64_t now_ms, int64_t grace_ms, size_t budget) {
  if (reap_db_ >= num_databases()) reap_db_ = 0;
  const uint32_t pdb = dbs_[reap_db_].physical_id;
  const std::string prefix = MetaPrefix(pdb);
  std::vector<std::string> reapable;  // raw key rows
  bool finished_db = true;
  {
    // Rows still only in the journal are recent writes: a cycle writes them
    // under their own keys within seconds, and a later pass sees them. So
    // the scan needs no checkpoint; each candidate is read again below.
    auto it = NewCommittedIterator();
    causal::Object object;
    size_t examined = 0;
    for (it->Seek(MetaSeekKey(pdb, reap_hash_)); it->Valid() && HasPrefix(it->key(), prefix);
         it->Next()) {
      uint32_t parsed_db;
      uint64_t hash, field_count;
      std::string_view key;
      if (!ParseMetaKey(View(it->key()), &parsed_db, &hash, &key)) continue;
      if (examined++ >= budget) {
        reap_hash_ = hash;
        finished_db = false;
        break;
      }
      if (!DecodeKeyRow(View(it->value()), &field_count, &object).ok()) continue;
      if (field_count == 0 && object.Reapable(now_ms, grace_ms)) {
        reapable.push_back(it->key().ToString());
      }
    }
  }
  if (finished_db) {
    reap_hash_ = 0;
    ++reap_db_;
  }
  size_t reaped = 0;
  std::string current;
  causal::Object current_object;
  for (const std::string& row : reapable) {
    uint32_t parsed_db;
    uint64_t hash, field_count;
    std::string_view key;
    ParseMetaKey(row, &parsed_db, &hash, &key);
    // LevelDB's copy may be older than the row cache's (written since, still
    // only in the journal).
    if (!ReadRow(row, &current).ok() ||
        !DecodeKeyRow(current, &field_count, &current_object).ok() || field_count != 0 ||
        !current_object.Reapable(now_ms, grace_ms)) {
      continue;
    }
    // Every field row must be a tombstone past its grace too.
    std::vector<std::string> field_rows;
    bool all_reapable = true;
    const Status s = VisitFieldRows(pdb, key, 0, /*strict=*/true, [&](const FieldRow& field_row) {
      all_reapable = field_row.object->Reapable(now_ms, grace_ms);
      if (all_reapable) field_rows.emplace_back(field_row.raw_key);
      return all_reapable;
    });
    if (!s.ok() || !all_reapable) continue;
    for (const std::string& field_row : field_rows) DeleteRow(field_row);
    DeleteRow(row);
    ++reaped;
  }
  reaped_tombstones_ += reaped;
  return reaped;
}

size_t Keyspace::ActiveExpireCycle(int64_t now_ms, size_t budget) {
  size_t removed = 0;
  for (int db = 0; db < num_databases() && removed < budget; ++db) {
    if (dbs_[db].stats.expires == 0) continue;
    const std::string prefix = ExpirePrefix(dbs_[db].physical_id);
    std::vector<std::string> due;
    {
      auto it = NewCommittedIterator();  // the expiry index is written beside the rows
      for (it->Seek(prefix); it->Valid() && HasPrefix(it->key(), prefix) && due.size() < budget;
           it->Next()) {
        int64_t expire_ms;
        std::string_view key;
        if (!ParseExpireKey(View(it->key()), &expire_ms, &key)) continue;
        if (expire_ms > now_ms) break;  // the index is ordered by expiry time
        due.emplace_back(key);
      }
    }
    KeyRecord record;
    for (const auto& key : due) {
      // Find() removes the key (and counts it) if it is still expired; a key
      // whose expiry moved has a different index entry and is left alone.
      const uint64_t before = expired_keys_;
      Find(db, key, now_ms, &record);
      removed += expired_keys_ - before;
    }
  }
  return removed;
}

bool Keyspace::ReclaimStep(size_t budget) {
  while (!reclaim_.empty() && budget > 0) {
    const uint32_t pdb = reclaim_.back();
    bool finished = true;
    auto it = NewIterator();
    for (char tag : kDbTags) {
      const std::string prefix = DbTagPrefix(tag, pdb);
      for (it->Seek(prefix); it->Valid() && HasPrefix(it->key(), prefix); it->Next()) {
        if (budget == 0) {
          finished = false;
          break;
        }
        SideDelete(View(it->key()));
        --budget;
      }
      if (!finished) break;
    }
    if (!finished) return true;
    reclaim_.pop_back();
    metadata_dirty_ = true;
  }
  return !reclaim_.empty();
}

}  // namespace ringkv::storage

// The logical Redis keyspace (numbered databases, typed keys, hash fields,
// expiry, exact key counts) on top of Engine. Single-threaded: the event loop
// owns it. Every mutation goes through here so key counts, the expiry index and
// WATCH notifications can never drift from the data.
#pragma once

#include <leveldb/write_batch.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "storage/access_table.h"
#include "storage/engine.h"
#include "storage/record.h"
#include "storage/row_cache.h"
#include "util/status.h"

namespace ringkv::storage {

class Keyspace {
 public:
  struct DbStats {
    uint64_t keys = 0;
    uint64_t expires = 0;
    uint64_t keys_with_siblings = 0;  // keys whose object holds several live siblings
  };

  // Called with (db, key) whenever a key is created, changed, expired or removed.
  using ModifiedObserver = std::function<void(int db, std::string_view key)>;

  // `engine` must outlive the keyspace. `row_cache_bytes` bounds the cache of
  // recently used rows kept in front of LevelDB (0 disables it).
  Keyspace(Engine* engine, int num_databases, size_t row_cache_bytes = 64 << 20);
  // Waits for a commit in flight (its batch belongs to the keyspace).
  ~Keyspace();

  // Loads the database map and key counters persisted by earlier runs.
  Status Open();

  int num_databases() const { return static_cast<int>(dbs_.size()); }
  void set_modified_observer(ModifiedObserver observer) { observer_ = std::move(observer); }

  // The replica actor that issues this node's dots (node id and epoch).
  void set_actor(causal::Actor actor) { actor_ = std::move(actor); }
  const causal::Actor& actor() const { return actor_; }
  // Wall-clock time written into new versions (a sibling's timestamp decides
  // which of several concurrent versions plain reads show). Find() also sets it.
  void set_now_ms(int64_t now_ms) { now_ms_ = now_ms; }
  // Whether deletes leave tombstones (needed as soon as other replicas exist,
  // so that an older version they hold cannot come back) or remove rows
  // outright (a one-node ring: nothing can come back).
  void set_keep_tombstones(bool keep) { keep_tombstones_ = keep; }
  bool keep_tombstones() const { return keep_tombstones_; }

  // The version plain Redis commands see in a key's causal object: the winner
  // by (timestamp, actor) (src/causal), except that a live hash version
  // survives a tombstone winner (add-wins, so concurrent cart additions are
  // not hidden by a concurrent delete). False, with *expired set when that is
  // the reason, if the key is absent: no live version, an expired one, or a
  // hash with no live field.
  static bool Visible(const causal::Object& object, uint64_t field_count, int64_t now_ms,
                      KeyRecord* record, bool* expired);

  // Finds a live key. A key whose expiry is <= now_ms is deleted here (lazy
  // expiry) and reported as NotFound. Corruption is reported as such. While
  // touching is on, a key found is also touched (its access word updated), as
  // Redis's lookupKey does.
  Status Find(int db, std::string_view key, int64_t now_ms, KeyRecord* record);

  // Access words (access_table.h: what OBJECT IDLETIME and FREQ report).
  // The policy decides how a touch changes a word and whether a write keeps
  // it; `touching` is turned on by the dispatcher for the duration of each
  // command that touches the keys it looks up (all but TYPE, TTL, EXISTS,
  // OBJECT and a few more, as in Redis).
  void set_access_policy(const AccessPolicy& policy) { access_policy_ = policy; }
  const AccessPolicy& access_policy() const { return access_policy_; }
  void set_touching(bool touching) { touching_ = touching; }
  // With expire_deletes off (CLIENT PAUSE), Find() reports an expired key as
  // missing without deleting it.
  void set_expire_deletes(bool on) { expire_deletes_ = on; }
  // The access word of a live key, as Find() returned `record`.
  uint32_t AccessWord(int db, std::string_view key, const KeyRecord& record) const;
  // Gives a key the word of another (RENAME and MOVE keep the moved object's).
  void SetAccessWord(int db, std::string_view key, uint32_t word);
  // Gives a key the word of a new object written now (COPY).
  void ForgetAccess(int db, std::string_view key) { ForgetAccessOf(dbs_[db], key); }
  // Keys with an access word of their own, and the bytes their tables take.
  size_t access_entries() const;
  size_t access_bytes() const;

  // True if the key exists, without expiring it or decoding the value.
  bool ExistsRaw(int db, std::string_view key);

  // Creates or replaces a key's record. `old` is the live record found before
  // (nullptr if the key did not exist); when the type changes from hash, the old
  // fields are removed.
  void Write(int db, std::string_view key, const KeyRecord& record, const KeyRecord* old);

  // Removes a live key (and all fields of a hash).
  void Remove(int db, std::string_view key, const KeyRecord& old);

  // Hash fields. The caller keeps KeyRecord::field_count right and writes the
  // key record with Write().
  Status GetField(int db, std::string_view key, std::string_view field, std::string* value);
  void PutField(int db, std::string_view key, std::string_view field, std::string_view value);
  // Sets a field and returns true if it did not exist before (one key build and
  // one lookup; HSET's hot path).
  bool SetField(int db, std::string_view key, std::string_view field, std::string_view value);
  void DeleteField(int db, std::string_view key, std::string_view field);
  // Visits fields in field-hash order, starting at the first field whose hash
  // is >= start_hash. `visit` returns false to stop.
  using FieldVisitor =
      std::function<bool(uint64_t field_hash, std::string_view field, std::string_view value)>;
  void ForEachField(int db, std::string_view key, uint64_t start_hash, const FieldVisitor& visit);
  // Visits every field of a hash of at most kInsertionOrderedFields fields in
  // insertion order (as Redis's listpack encoding returns them: HGETALL, HKEYS,
  // HVALS); a bigger hash is visited in field-hash order, which Redis leaves
  // unspecified for its hashtable encoding too.
  static constexpr size_t kInsertionOrderedFields = 512;
  void ForEachFieldInInsertionOrder(int db, std::string_view key, const FieldVisitor& visit);

  // Bytes a key takes in storage: its key row and, for a hash, its field rows
  // (tombstones included), each counted as row key plus row value, which is
  // what LevelDB and the row cache hold for it. A hash with more than
  // `max_field_rows` rows is estimated from the first ones (MEMORY USAGE's
  // SAMPLES). 0 if the key has no row.
  uint64_t StoredBytes(int db, std::string_view key, uint64_t max_field_rows);

  // Visits live keys of `db` in key-hash order from the first key whose hash is
  // >= start_hash. Expired keys are skipped. `visit` returns false to stop.
  using KeyVisitor =
      std::function<bool(uint64_t key_hash, std::string_view key, const KeyRecord& record)>;
  void ForEachKey(int db, uint64_t start_hash, int64_t now_ms, const KeyVisitor& visit);

  DbStats Stats(int db) const { return dbs_[db].stats; }

  // A key's whole causal state at this replica, as replicas exchange it: the
  // key's object and, for a hash, the objects of its fields (tombstoned ones
  // included, so deletes propagate). Objects are causal::Object encodings.
  struct KeyState {
    std::string key_object;  // empty: this replica has never seen the key
    std::vector<std::pair<std::string, std::string>> fields;  // (field, object)
  };
  // Two-step prefetch of one key row, for a caller that knows its keys some
  // commands ahead (a pipelining client): PrefetchKeyRowSlot brings in the
  // row cache's slot and returns a token for PrefetchKeyRowEntry, which,
  // called later (once the slot has arrived), brings in the row itself.
  uint64_t PrefetchKeyRowSlot(int db, std::string_view key);
  // The same for a hash field's row; its token goes to PrefetchKeyRowEntry too.
  uint64_t PrefetchFieldRowSlot(int db, std::string_view key, std::string_view field);
  void PrefetchKeyRowEntry(uint64_t token) const { cache_.PrefetchEntryOf(token); }
  // Prefetches the key rows of `keys` (positions first, last (negative: from
  // the end) and step of `args`) into the CPU cache: a hint for multi-key
  // commands, whose row lookups would otherwise each wait on memory in turn.
  void PrefetchKeyRows(int db, std::span<const std::string_view> args, int first, int last,
                       int step);
  // Prefetch for a long batch of keys looked up in order (a replica serving
  // hundreds in one message): each row's slot a few keys ahead of its use
  // and the row itself a few keys later, so the misses overlap while the
  // lines in flight stay few enough not to evict each other before use
  // (PrefetchKeyRows, all at once, does that past a few hundred keys).
  class RowPrefetcher {
   public:
    // `keys` must outlive the prefetcher.
    RowPrefetcher(Keyspace* keyspace, int db, std::span<const std::string_view> keys);
    // Call before looking up keys[i], for i = 0, 1, 2, ...
    void Before(size_t i);

   private:
    static constexpr size_t kSlotLead = 8;
    static constexpr size_t kEntryLead = 4;
    void IssueSlotsUpTo(size_t end);
    Keyspace* keyspace_;
    int db_;
    std::span<const std::string_view> keys_;
    std::vector<uint64_t> tokens_;  // of keys_[0 .. tokens_.size()), slots issued
  };

  // Reads the state of `key` (committed or staged).
  Status ExportKey(int db, std::string_view key, KeyState* state);
  // The key's object and only the named fields' objects (those this replica
  // has), by point reads: what a command that names its fields (HSET, HGET,
  // ...) needs, without scanning the hash.
  Status ExportKeyFields(int db, std::string_view key, std::span<const std::string> fields,
                         KeyState* state);
  // Merges another replica's state of `key` into this one (causal::Object::
  // Merge for the key and for each field), keeping key counts, the expiry
  // index and WATCH in step with what plain commands now see. Sets *changed
  // when this replica learned anything. Corrupt input changes nothing.
  Status MergeKey(int db, std::string_view key, const KeyState& state, bool* changed);

  // A key's causal object as stored (siblings, tombstones and context), for
  // RING.GET. NotFound if this replica never saw the key.
  Status GetKeyObject(int db, std::string_view key, causal::Object* object, uint64_t* field_count);
  // Writes `version` (a tombstone when null) with a client's causal context
  // (RING.PUT / RING.DEL): it supersedes exactly the siblings that context
  // covers; the others stay as siblings. Refuses with Busy, changing nothing,
  // when the key would hold more than `max_siblings` live siblings. Sets
  // *live_siblings to the count the write leaves (or would have left).
  Status PutWithContext(int db, std::string_view key, const causal::VersionVector& context,
                        const KeyRecord* version, size_t max_siblings, size_t* live_siblings);

  // Keys (all databases) whose object holds more than one live sibling (INFO
  // ring_keys_with_siblings). Counted as rows are written, so exact.
  uint64_t keys_with_siblings() const {
    uint64_t total = 0;
    for (const Db& d : dbs_) total += d.stats.keys_with_siblings;
    return total;
  }

  // Signals that `key` changed without rewriting its record (e.g. a hash field
  // update that leaves the field count alone), for WATCH.
  void Touch(int db, std::string_view key) { Notify(db, key); }

  // O(1): the logical db gets a fresh, empty physical id; the old one's entries
  // are reclaimed in the background by ReclaimStep().
  void FlushDb(int db);
  void FlushAll();
  // O(1): swaps what two logical databases point at.
  void SwapDb(int a, int b);

  // Forgets keys whose every version (and every field's) is a tombstone
  // dated at least `grace_ms` before now_ms, examining up to `budget` key rows
  // from where the previous call stopped (one database per pass, all in
  // turn). Safe only once no replica can still hold a version older than the
  // tombstone (the grace period outlasts outages and hints); dots are never
  // reused for a forgotten key (see IssuedDot). Returns how many were reaped.
  size_t ReapTombstones(int64_t now_ms, int64_t grace_ms, size_t budget);
  uint64_t reaped_tombstones() const { return reaped_tombstones_; }

  // Deletes up to `budget` keys whose expiry is <= now_ms. Returns how many;
  // expired_keys() counts them already (they are deleted through Find).
  size_t ActiveExpireCycle(int64_t now_ms, size_t budget);
  // Deletes up to `budget` entries of flushed databases. Returns true if work remains.
  bool ReclaimStep(size_t budget);
  bool reclaim_pending() const { return !reclaim_.empty(); }

  // Writes everything staged since the last commit (rows, expiry index, counters
  // and db map) to LevelDB as one atomic batch, after waiting for a commit in
  // flight. On failure the staged rows are forgotten, so reads fall back to
  // what LevelDB holds.
  //
  // The staged key and field rows, and the side writes, go into one journal
  // record (record.h) appended to the journal files (JournalFile), not to
  // LevelDB: every row LevelDB takes costs a memtable insert now and
  // compaction later. The side writes are also written to LevelDB right
  // after the record, with the record's number (JournalAppliedKey), so a
  // replay knows whether they landed. The rows stay pinned in the row cache
  // as pending, and a materialization cycle writes each of them as a row
  // once, however often it changed meanwhile; the chunk that completes a
  // cycle fsyncs LevelDB's logs, and then the journal files the cycle
  // covered are deleted. A cycle starts when the journal, the pending rows or
  // the row cache have grown enough, or once the server is idle (keyspace.cc has
  // the thresholds and why). A commit that finds the engine's
  // materializer thread free hands it a chunk of the cycle (half the
  // commit's own rows, four times that once the next cycle is due, or
  // kIdleChunkRows when the server runs MaterializeStep while idle), which
  // it writes after the commit's record while later commits go on.
  // Writing a journaled row's newest value early is always safe: Open()
  // re-applies the journal records still present, in order, over the rows. A
  // chunk takes its values when its commit journals every staged row, and is
  // written only after that record, so its values are all in the journal
  // with the rest of their commands' writes.
  Status Commit();
  bool has_staged() const { return side_ops_ > 0 || cache_.dirty_count() > 0; }
  // Commit(), then writes every row still only in the journal to its own key:
  // LevelDB alone then holds every row (iterators). The journal files stay
  // until a cycle deletes them (LevelDB is not fsynced here).
  Status Checkpoint();
  // Checkpoint(), then fsyncs LevelDB and deletes the journal files: a clean
  // shutdown, after which opening replays nothing.
  Status Close();
  // True if a materialization cycle is in progress or due: the server then
  // starts commits (MaterializeStep) even when nothing is staged.
  bool materialization_due() const;
  // Starts an asynchronous commit carrying a materialization chunk, if one
  // is due and nothing is in flight.
  void MaterializeStep() {
    ReapChunk(/*wait=*/false);
    if (!engine_->async_pending() && !engine_->materialize_pending() && materialization_due()) {
      StartCommit();
    }
  }
  // Completes the materialization chunk in flight (if any) once it is
  // written (waiting for it if `wait`): its rows are done, or back in the
  // cycle if the write failed; a chunk that ends the cycle deletes the
  // journal files it covers. Returns the write's result.
  Status ReapChunk(bool wait);
  bool chunk_in_flight() const { return engine_->materialize_pending(); }
  // What starts a materialization cycle, besides pending rows and the row
  // cache (see keyspace.cc): the journal written since the previous cycle,
  // the server idle for idle_delay_ms, or time; each at least min_interval_ms
  // after the previous cycle started.
  struct CycleTriggers {
    int64_t min_interval_ms;
    int64_t max_interval_ms;
    size_t journal_bytes;
    int64_t idle_delay_ms;  // since the last activity (NoteActivity)
  };
  void set_cycle_triggers(const CycleTriggers& triggers) { cycle_triggers_ = triggers; }
  // The server is busy (it answers commands at a busy rate; commits that
  // journal rows note it themselves): a cycle waiting for idleness waits on.
  // Reads count, as a cycle's materializer and compaction would take CPU
  // from them too.
  void NoteActivity();
  // Tests: cycles exactly every `ms` (0: always due) instead of by journal size.
  void set_cycle_interval_ms(int64_t ms) { cycle_triggers_ = {ms, ms, 0, ms}; }
  // Rows pending materialization (pinned), journal records not yet deleted,
  // and totals, for INFO.
  size_t pending_rows() const { return cache_.pending_count() + cache_.cycle_count(); }
  uint64_t journal_records() const { return journal_next_ - journal_floor_; }
  size_t journal_files() const { return engine_->journal()->file_count(); }
  uint64_t rows_materialized() const { return rows_materialized_; }
  uint64_t materialize_cycles() const { return materialize_cycles_; }
  uint64_t journal_rows_replayed() const { return journal_rows_replayed_; }

  // Pipelined group commit. Commits are numbered by generation: every write
  // staged so far is durable (in LevelDB's log) once durable_generation()
  // reaches write_generation().
  //
  // StartCommit hands what is staged to the engine's writer thread and returns
  // true, unless nothing is staged or a commit is already in flight. Staged
  // and in-flight rows stay readable and pinned in the row cache, so commands
  // run on while the batch is written. FinishCommit completes the commit in
  // flight once the writer is done (at once if `wait`), and returns its
  // result; on failure its rows are forgotten as with Commit().
  bool StartCommit();
  Status FinishCommit(bool wait);
  bool commit_in_flight() const { return engine_->async_pending(); }
  bool commit_done() const { return engine_->AsyncDone(); }
  uint64_t durable_generation() const { return durable_generation_; }
  // Key and field rows written or deleted so far, plus one per FLUSHDB and
  // SWAPDB (it only grows): while it stays the same, no key's state changes.
  uint64_t rows_staged() const { return rows_staged_; }
  uint64_t write_generation() const { return started_generation_ + (has_staged() ? 1 : 0); }

  Engine* engine() { return engine_; }
  const RowCache& row_cache() const { return cache_; }
  uint64_t expired_keys() const { return expired_keys_; }

 private:
  struct Db {
    uint32_t physical_id = 0;
    DbStats stats;
    AccessTable access;  // travels with the data (SWAPDB), emptied by FLUSHDB
  };
  void ForgetAccessOf(Db& d, std::string_view key) {
    if (d.access.size() > 0) d.access.Erase(KeyHash(key));
  }
  void TouchKey(Db& d, std::string_view key, const KeyRecord& record);

  void Notify(int db, std::string_view key) {
    if (observer_) observer_(db, key);
  }
  // One hash-field row as VisitFieldRows hands it out (valid during the call).
  struct FieldRow {
    std::string_view raw_key;
    uint64_t hash = 0;
    uint64_t seq = 0;
    std::string_view field;
    const causal::Object* object = nullptr;
  };
  using FieldRowVisitor = std::function<bool(const FieldRow& row)>;
  // Visits the field rows of `key` in physical db `pdb`, tombstones included,
  // in field-hash order from start_hash; `visit` returns false to stop. A
  // corrupt row ends the visit with Corruption when `strict`, else it is
  // logged and skipped.
  Status VisitFieldRows(uint32_t pdb, std::string_view key, uint64_t start_hash, bool strict,
                        const FieldRowVisitor& visit);
  // Reads and encodes a key's object into state->key_object (fields left
  // empty); NotFound if this replica never saw the key.
  Status ExportKeyObject(int db, std::string_view key, KeyState* state, uint64_t* field_count);
  // True if `object` holds a live hash version.
  static bool HasHashVersion(const causal::Object& object);
  // Records the counter of a dot this replica issued: later dots, for any
  // key, go above it, and the persisted reservation stays ahead of it (the
  // reservation is written in the same batch as the write that crosses it).
  void IssuedDot(const causal::Dot& dot) {
    dot_floor_ = dot.counter;
    if (dot_floor_ >= dot_reserved_) {
      dot_reserved_ = dot_floor_ + kDotReservation;
      metadata_dirty_ = true;
    }
  }
  static constexpr uint64_t kDotReservation = 1 << 20;
  // Removes (or, keeping tombstones, deletes causally) every field of a hash.
  void RemoveFields(int db, std::string_view key);
  void TombstoneFieldRow(const std::string& raw_key);
  // Remove() with the tombstone dated `timestamp_ms`.
  void RemoveAt(int db, std::string_view key, const KeyRecord& old, int64_t timestamp_ms);
  // Writes a key's new object and brings key counts, the expiry index and
  // sibling counts in step. `before` is what plain commands saw (null: absent).
  void StoreKeyObject(int db, std::string_view key, const KeyRecord* before, size_t live_before,
                      const causal::Object& object, uint64_t field_count);
  // Moves a key's expiry index entry (0 = none) and the db's expires count.
  void MoveExpiry(int db, std::string_view key, int64_t old_expire, int64_t new_expire);
  // Reads and decodes a key row (through the row cache).
  Status LoadKeyRow(int db, std::string_view key, uint64_t* field_count, causal::Object* object);
  void SaveMetadata();
  // Point read through the row cache; fills the cache on a miss.
  Status ReadRow(const std::string& raw_key, std::string* value);
  // ReadRow without the copy: *value views the cached row (or scratch_) and
  // stays valid until the next row is read or written.
  Status ReadRowView(const std::string& raw_key, std::string_view* value);
  // Staged row writes: visible to ReadRow at once, written by Commit().
  void WriteRow(const std::string& raw_key, std::string_view value);
  void DeleteRow(const std::string& raw_key);
  // Writes that are never point-read (expiry index, db map, reclaim deletes) go
  // straight into the next commit's batch.
  void SidePut(std::string_view raw_key, std::string_view value);
  void SideDelete(std::string_view raw_key);
  // Iterators see what LevelDB holds. NewIterator first writes every row
  // (Checkpoint), for scans of key and field rows; NewCommittedIterator only
  // commits, for entries written beside the rows (the expiry index) and for
  // scans that re-read each row they pick through the row cache.
  std::unique_ptr<leveldb::Iterator> NewIterator();
  std::unique_ptr<leveldb::Iterator> NewCommittedIterator();
  // An iterator for the field rows of one hash (`prefix`: FieldPrefix): first
  // writes those of its rows not yet under their own key (unmaterialized_
  // knows them), so reading one hash costs neither a commit nor a checkpoint.
  std::unique_ptr<leveldb::Iterator> NewFieldRowIterator(const std::string& prefix);
  // Records a field row write in unmaterialized_.
  void NoteFieldRow(const std::string& raw_key);
  // Bookkeeping for a row about to be written or deleted.
  void NoteRowWrite(const std::string& raw_key);
  // Applies the journal records left by a crash to the rows, then deletes them.
  Status ReplayJournal();
  // Fills batch_ (which holds the side writes) for a commit with the staged
  // rows as a journal record, and chunk_batch_ with a materialization chunk
  // of up to `chunk_rows` rows when a cycle is in progress (starting one if
  // due). Returns false if there is nothing to write.
  bool PrepareCommitBatch(size_t chunk_rows);
  bool CycleDue() const;
  // The chunk a commit of `staged` rows carries (see Commit()).
  size_t ChunkRows(size_t staged) const;
  // Whether the next cycle is due (CycleDue also needs a pending row).
  bool NextCycleDue() const;
  // The engine's job for the commit PrepareCommitBatch filled: its journal
  // record, `batch` (the side writes) and chunk_batch_ if it carries one.
  CommitJob CurrentJob(leveldb::WriteBatch* batch);
  // Empties a written batch, releasing its buffer if it grew large.
  void ResetBatch(std::unique_ptr<leveldb::WriteBatch>* batch);

  Engine* engine_;
  std::vector<Db> dbs_;
  uint32_t next_physical_id_ = 0;
  uint64_t field_seq_ = 0;         // last insertion sequence given to a new hash field
  std::vector<uint32_t> reclaim_;  // physical ids whose entries are being deleted
  bool metadata_dirty_ = false;
  uint64_t expired_keys_ = 0;
  // Adjusts a db's keys_with_siblings for a key row rewritten from `before`
  // live siblings to `after`.
  void CountSiblings(int db, size_t before, size_t after) {
    uint64_t& count = dbs_[db].stats.keys_with_siblings;
    if (before > 1 && after <= 1) --count;
    if (before <= 1 && after > 1) ++count;
  }
  ModifiedObserver observer_;
  RowCache cache_;
  // Side writes, written to LevelDB after the commit's journal record.
  std::unique_ptr<leveldb::WriteBatch> batch_{new leveldb::WriteBatch()};
  // The batch the writer thread is writing (StartCommit swaps the two).
  std::unique_ptr<leveldb::WriteBatch> in_flight_batch_{new leveldb::WriteBatch()};
  // A materialization chunk (rows already in the journal). The engine's
  // materializer thread writes it after its commit's record: it makes nothing
  // durable, so neither replies nor later commits wait for it. In use until
  // ReapChunk while engine_->materialize_pending().
  std::unique_ptr<leveldb::WriteBatch> chunk_batch_{new leveldb::WriteBatch()};
  uint64_t started_generation_ = 0;
  uint64_t rows_staged_ = 0;
  uint64_t durable_generation_ = 0;
  size_t side_ops_ = 0;
  std::string scratch_;  // reused encoding buffer
  std::string payload_;  // reused sibling payload buffer
  AccessPolicy access_policy_;
  bool touching_ = false;
  bool expire_deletes_ = true;
  uint64_t lfu_random_state_ = 0x9e3779b97f4a7c15;  // LFU's coin flips (xorshift64)
  causal::Object object_;                           // reused decoded key row
  causal::Object field_object_;                     // reused decoded field row
  // Which key row object_ holds, as LoadKeyRow left it (found or not); any
  // row write or change to object_ invalidates it.
  struct LoadedKeyRow {
    bool valid = false;
    bool found = false;
    uint32_t pdb = 0;
    std::string key;
    uint64_t field_count = 0;
  };
  LoadedKeyRow loaded_;
  // object_ is exactly the key row just staged for `key`: a read of the key
  // that follows (a coordinator exporting the state it replicates) reuses it.
  void RememberLoaded(uint32_t pdb, std::string_view key, uint64_t field_count);
  causal::Actor actor_{"local", 1};
  int64_t now_ms_ = 0;
  bool keep_tombstones_ = false;
  // This replica's dot counter, shared by all keys (see causal::Object::Update),
  // and how far ahead of it the stored reservation goes.
  uint64_t dot_floor_ = 0;
  uint64_t dot_reserved_ = 0;
  // Where the tombstone reaper resumes: database index and key hash.
  int reap_db_ = 0;
  uint64_t reap_hash_ = 0;
  uint64_t reaped_tombstones_ = 0;
  std::string key_buf_;  // reused LevelDB key buffer

  std::vector<uint64_t> prefetch_hashes_;  // PrefetchKeyRows' scratch
  // The journal: records journal_floor_ .. journal_next_-1 may be on disk.
  uint64_t journal_next_ = 1;
  uint64_t journal_floor_ = 1;
  // A cycle in progress deletes the records below cycle_end_ when done.
  bool cycle_active_ = false;
  uint64_t cycle_end_ = 0;
  int64_t last_cycle_start_ms_ = 0;  // set at construction
  int64_t last_activity_ms_ = 0;     // see NoteActivity
  CycleTriggers cycle_triggers_;
  size_t journal_bytes_since_cycle_ = 0;
  // What the commit PrepareCommitBatch prepared carries.
  bool batch_has_chunk_ = false;
  bool batch_ends_cycle_ = false;
  // The chunk in chunk_batch_: its rows, and whether it ends the cycle.
  size_t chunk_rows_ = 0;
  bool chunk_ends_cycle_ = false;
  uint64_t rows_materialized_ = 0;
  uint64_t materialize_cycles_ = 0;
  uint64_t journal_rows_replayed_ = 0;
  std::string journal_buf_;         // reused journal record buffer
  std::string side_buf_;            // the side writes since the last commit, as journal rows
  uint64_t batch_journal_seq_ = 0;  // the record PrepareCommitBatch made (0: none)
  // The field rows of one hash written since they were last under their own
  // LevelDB key, as a set of row-cache hashes (RowCache::HashOf): an
  // unmaterialized row is pinned, so its hash finds it in the cache, key and
  // all. A set holds each row once however often it is rewritten, so it grows
  // with the rows a cycle covers, not with the writes. Open addressing on the
  // hash itself: no string hashing or node allocation on the HSET path.
  class RowHashSet {
   public:
    void Add(uint64_t hash);
    // Adds every hash of `other`, leaving it unspecified.
    void Merge(RowHashSet&& other);
    // Each hash once, in no particular order.
    std::vector<uint64_t> Hashes() const;

   private:
    void Grow();
    std::vector<uint64_t> slots_;  // 0: empty (a hash of 0 is has_zero_)
    size_t count_ = 0;
    bool has_zero_ = false;
  };
  // Field rows written since they were last under their own LevelDB key, by
  // hash (field prefix), in the three stages a row goes through: staged since
  // the last commit, journaled (pending), in the current cycle. A stage is
  // dropped when its rows reach their keys (cycle end, checkpoint), a hash's
  // entries when NewFieldRowIterator writes its rows. A row may be listed in
  // more than one stage, and rows already written may linger until the stage
  // is dropped: both only cost a redundant write.
  using FieldRowIndex = std::unordered_map<std::string, RowHashSet>;
  FieldRowIndex unmaterialized_[3];
  // NoteFieldRow's last hash and its rows in the staged stage (null when
  // that stage changed since).
  std::string noted_prefix_;
  RowHashSet* noted_rows_ = nullptr;
  enum FieldStage { kFieldsStaged, kFieldsJournaled, kFieldsInCycle };
};

}  // namespace ringkv::storage

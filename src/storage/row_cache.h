// The rows (key metadata records and hash fields) ringkv has recently read or
// written, in front of LevelDB, including rows known to be absent, so a SET of
// a new key does not search LevelDB before writing.
//
// It is also the staging area of the group commit: a write stores its row here
// as *dirty*, which pins it until the Keyspace commits the iteration's batch
// (ForEachDirty, then MarkAllClean). Reads therefore always see staged writes,
// and a row is written to LevelDB once per commit however often it changed.
// A commit written by a background thread moves the dirty rows to *in flight*
// (BeginCommit), still pinned, while new writes stage again; EndCommit unpins
// them once LevelDB has them. Clean rows are a cache: evicted under CLOCK when
// over capacity, re-read from LevelDB when needed.
//
// An open-addressing table (linear probing, backward-shift deletion) keeps each
// row's 64-bit hash inline, so a lookup usually touches one slot and one entry.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace ringkv::storage {

class RowCache {
 public:
  // One allocation per row: this header, then the key bytes, then the value.
  struct Entry {
    bool present;  // false: the row is known not to exist
    bool referenced;
    bool dirty;                // staged, not yet committed: never evicted
    bool in_flight;            // in the batch being written: never evicted
    uint32_t dirty_index;      // position in dirty_ while dirty
    uint32_t in_flight_index;  // position in in_flight_ while in flight
    uint32_t key_size;
    uint32_t value_size;
    uint32_t capacity;  // bytes available after the header

    std::string_view key() const { return std::string_view(data(), key_size); }
    std::string_view value() const { return std::string_view(data() + key_size, value_size); }
    const char* data() const { return reinterpret_cast<const char*>(this + 1); }
    char* data() { return reinterpret_cast<char*>(this + 1); }
  };

  // `capacity_bytes` bounds clean rows; 0 keeps only staged (dirty) rows.
  explicit RowCache(size_t capacity_bytes);
  ~RowCache();

  RowCache(const RowCache&) = delete;
  RowCache& operator=(const RowCache&) = delete;

  // The entry for `key`, or nullptr if unknown. Valid until the next non-const call.
  const Entry* Lookup(std::string_view key);

  // Memory prefetch hints for a coming Lookup of several rows, so their cache
  // misses overlap instead of following one another: PrefetchSlot for every
  // key first, then PrefetchEntry for every key (it reads the slot the first
  // pass brought in).
  void PrefetchSlot(std::string_view key) const { PrefetchSlotOf(Hash(key)); }
  void PrefetchEntry(std::string_view key) const { PrefetchEntryOf(Hash(key)); }
  // The same by the key's hash (HashOf), for callers that spread the two
  // steps over time and keep the hash in between.
  static uint64_t HashOf(std::string_view key) { return Hash(key); }
  void PrefetchSlotOf(uint64_t hash) const { __builtin_prefetch(&slots_[hash & mask_]); }
  void PrefetchEntryOf(uint64_t hash) const {
    const Slot& slot = slots_[hash & mask_];
    if (slot.entry != nullptr && slot.hash == hash) __builtin_prefetch(slot.entry);
  }

  // Caches a row read from LevelDB (clean).
  void Fill(std::string_view key, std::string_view value) { Store(key, true, value, false); }
  void FillAbsent(std::string_view key) { Store(key, false, {}, false); }
  // Stages a write or a delete (dirty until MarkAllClean).
  void Stage(std::string_view key, std::string_view value) { Store(key, true, value, true); }
  void StageAbsent(std::string_view key) { Store(key, false, {}, true); }

  // Visits every staged row: visit(key, present, value).
  template <typename Visitor>
  void ForEachDirty(Visitor&& visit) const {
    for (const Entry* e : dirty_) visit(e->key(), e->present, e->value());
  }
  size_t dirty_count() const { return dirty_.size(); }
  // The staged rows reached LevelDB: they become ordinary cached rows.
  void MarkAllClean();
  // The staged rows could not be written: forget them so reads go to LevelDB.
  void DropDirty();
  // The staged rows were handed to a background write: they stay pinned (and
  // readable) as in flight, and the next writes stage afresh. Requires no
  // commit in flight.
  void BeginCommit();
  // The in-flight write finished. On success its rows become cached rows
  // (unless staged again meanwhile); on failure those not staged again are
  // forgotten, so reads go to LevelDB.
  void EndCommit(bool ok);
  size_t in_flight_count() const { return in_flight_.size(); }
  // Drops every clean row (staged and in-flight rows stay).
  void EvictClean();

  size_t charge() const { return charge_; }
  size_t capacity() const { return capacity_; }
  size_t size() const { return count_; }
  uint64_t hits() const { return hits_; }
  uint64_t misses() const { return misses_; }

 private:
  struct Slot {
    uint64_t hash = 0;
    Entry* entry = nullptr;  // nullptr: empty slot
  };

  static uint64_t Hash(std::string_view key);
  static size_t Charge(const Entry& e) { return sizeof(Entry) + e.capacity + 2 * sizeof(Slot); }
  static Entry* NewEntry(std::string_view key, bool present, std::string_view value);
  // Index of the slot holding `key`, or of the empty slot where it would go.
  size_t FindSlot(std::string_view key, uint64_t hash) const;
  void Store(std::string_view key, bool present, std::string_view value, bool dirty);
  void RemoveAt(size_t index);
  void Grow();
  void EvictUntilWithinCapacity();

  size_t capacity_;
  size_t charge_ = 0;
  size_t count_ = 0;
  size_t mask_;
  size_t clock_hand_ = 0;
  // The slot found by the last Lookup: a write that follows the read of the same
  // row (SET after its read-before-write) skips the probe.
  size_t last_index_ = 0;
  uint64_t hits_ = 0;
  uint64_t misses_ = 0;
  std::vector<Slot> slots_;
  std::vector<Entry*> dirty_;
  std::vector<Entry*> in_flight_;
};

}  // namespace ringkv::storage

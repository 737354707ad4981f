// The rows (key metadata records and hash fields) ringkv has recently read or
// written, in front of LevelDB, including rows known to be absent, so a SET of
// a new key does not search LevelDB before writing.
//
// It is also the staging area of the group commit. A write stores its row here
// as *dirty*, which pins it; a commit moves the dirty rows to *in flight*
// (BeginCommit) while a background thread writes them, and new writes stage
// afresh. Commits write rows to the Keyspace's journal only, so committed
// rows become *pending* (EndCommit, MarkAllPending): still pinned, because
// LevelDB holds them only inside a journal record. A materialization cycle
// later writes each pending row once, with its value at that time, however
// often it changed meanwhile: StartCycle moves the pending rows into the
// cycle, TakeCycleChunk hands out a few at a time (*materializing* until that
// write is done, EndMaterialize), and then they are ordinary cached rows,
// evicted under CLOCK when over capacity and re-read from LevelDB when needed.
// Reads always see the newest value, whichever pins a row holds, and a clean
// fill (an older disk read) never replaces a pinned row.
//
// An open-addressing table (linear probing, backward-shift deletion) keeps each
// row's 64-bit hash inline, so a lookup usually touches one slot and one entry.
#pragma once

#include <sys/mman.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <new>
#include <string>
#include <string_view>
#include <vector>

namespace ringkv::storage {

// Allocates arrays of 2 MB and more on 2 MB boundaries and asks the kernel for
// transparent huge pages there (madvise; THP's default "madvise" mode honours
// it). The row cache's slot table is probed at random: with 4 KB pages almost
// every probe of a large table also missed the TLB, and a page walk stalls even
// a prefetch.
template <typename T>
struct HugePageAllocator {
  using value_type = T;
  static constexpr size_t kHugePage = size_t{2} << 20;

  HugePageAllocator() = default;
  template <typename U>
  explicit HugePageAllocator(const HugePageAllocator<U>&) {}

  T* allocate(size_t n) {
    const size_t bytes = n * sizeof(T);
    if (bytes < kHugePage) return static_cast<T*>(::operator new(bytes));
    const size_t rounded = (bytes + kHugePage - 1) / kHugePage * kHugePage;
    void* p = std::aligned_alloc(kHugePage, rounded);
    if (p == nullptr) throw std::bad_alloc();
    ::madvise(p, rounded, MADV_HUGEPAGE);  // a hint: failure changes nothing
    return static_cast<T*>(p);
  }
  void deallocate(T* p, size_t n) {
    if (n * sizeof(T) < kHugePage) {
      ::operator delete(p);
    } else {
      std::free(p);
    }
  }
  bool operator==(const HugePageAllocator&) const { return true; }
};

class RowCache {
 public:
  // The lists a row can be pinned by; a row may be in several (staged again
  // while in flight, or while pending).
  enum List : uint8_t { kDirty, kInFlight, kPending, kInCycle, kMaterializing, kNumLists };

  // One allocation per row: this header, then the key bytes, then the value.
  struct Entry {
    bool present;  // false: the row is known not to exist
    bool referenced;
    uint8_t pins;               // bit (1 << List) set while in that list: never evicted
    uint32_t index[kNumLists];  // position in each list it is in
    uint32_t key_size;
    uint32_t value_size;
    uint32_t capacity;  // bytes available after the header

    bool in(List list) const { return (pins & (1u << list)) != 0; }
    std::string_view key() const { return std::string_view(data(), key_size); }
    std::string_view value() const { return std::string_view(data() + key_size, value_size); }
    const char* data() const { return reinterpret_cast<const char*>(this + 1); }
    char* data() { return reinterpret_cast<char*>(this + 1); }
  };

  // `capacity_bytes` bounds clean rows; 0 keeps only pinned rows. The slot
  // table is allocated at once for a full cache of small rows (16 bytes per
  // 64 bytes of capacity).
  explicit RowCache(size_t capacity_bytes);
  ~RowCache();

  RowCache(const RowCache&) = delete;
  RowCache& operator=(const RowCache&) = delete;

  // The entry for `key`, or nullptr if unknown. Valid until the next non-const call.
  const Entry* Lookup(std::string_view key);

  // Memory prefetch hints for a coming Lookup of several rows, so their cache
  // misses overlap instead of following one another: PrefetchSlotOf for every
  // key's hash (HashOf) first, then PrefetchEntryOf for each (it reads the
  // slot the first pass brought in).
  static uint64_t HashOf(std::string_view key) { return Hash(key); }
  void PrefetchSlotOf(uint64_t hash) const { __builtin_prefetch(&slots_[hash & mask_]); }
  void PrefetchEntryOf(uint64_t hash) const {
    // The row may sit a few slots past its home (linear probing): those are
    // in the line the slot prefetch brought in. The key spans the entry's
    // first two cache lines (header, then key bytes), so both are fetched.
    for (size_t i = hash & mask_, probes = 0; probes < kSlotsPerLine;
         ++probes, i = (i + 1) & mask_) {
      const Slot& slot = slots_[i];
      if (slot.entry == nullptr) return;
      if (slot.hash == hash) {
        __builtin_prefetch(slot.entry);
        __builtin_prefetch(reinterpret_cast<const char*>(slot.entry) + 64);
        // GCC 12 at -O2 deletes a loop whose only effect is a prefetch, and
        // with it these two (the entry prefetch was a no-op in every build
        // until this was found). An empty volatile asm is an effect it keeps.
        asm volatile("");
        return;
      }
    }
  }

  // Visits every cached row whose HashOf is `hash` (rows known absent
  // included): visit(key, present, value). Pinned rows are always cached.
  template <typename Visitor>
  void ForEachWithHash(uint64_t hash, Visitor&& visit) const {
    for (size_t i = hash & mask_; slots_[i].entry != nullptr; i = (i + 1) & mask_) {
      if (slots_[i].hash != hash) continue;
      const Entry* e = slots_[i].entry;
      visit(e->key(), e->present, e->value());
    }
  }

  // Caches a row read from LevelDB (clean).
  void Fill(std::string_view key, std::string_view value) { Store(key, true, value, false); }
  void FillAbsent(std::string_view key) { Store(key, false, {}, false); }
  // Stages a write or a delete (dirty until committed).
  void Stage(std::string_view key, std::string_view value) { Store(key, true, value, true); }
  void StageAbsent(std::string_view key) { Store(key, false, {}, true); }

  // Visits every staged row: visit(key, present, value).
  template <typename Visitor>
  void ForEachDirty(Visitor&& visit) const {
    for (const Entry* e : lists_[kDirty]) visit(e->key(), e->present, e->value());
  }
  size_t dirty_count() const { return lists_[kDirty].size(); }
  // The staged rows reached LevelDB inside a journal record: they become pending.
  void MarkAllPending();
  // The staged rows could not be written: forget them so reads go to LevelDB
  // (those still pinned otherwise, e.g. pending with an older value that is
  // only in the journal, keep the newer value in memory).
  void DropDirty();
  // The staged rows were handed to a background write: they stay pinned (and
  // readable) as in flight, and the next writes stage afresh. Requires no
  // commit in flight.
  void BeginCommit();
  // The in-flight write finished. On success its rows become pending; on
  // failure those not pinned otherwise are forgotten, so reads go to LevelDB.
  void EndCommit(bool ok);
  size_t in_flight_count() const { return lists_[kInFlight].size(); }

  // Materialization. Requires no cycle in progress: moves every pending row
  // into the cycle.
  void StartCycle();
  size_t pending_count() const { return lists_[kPending].size(); }
  size_t cycle_count() const { return lists_[kInCycle].size(); }
  // Hands out up to `n` rows of the cycle with their current value,
  // visit(key, present, value); they stay pinned as materializing until
  // EndMaterialize. Requires no earlier chunk still materializing.
  template <typename Visitor>
  void TakeCycleChunk(size_t n, Visitor&& visit) {
    std::vector<Entry*>& cycle = lists_[kInCycle];
    chunk_.clear();
    while (n-- > 0 && !cycle.empty()) {
      Entry* e = cycle.back();
      cycle.pop_back();
      Unpin(e, kInCycle);
      Pin(e, kMaterializing);
      chunk_.push_back(e);
    }
    // In key order: consecutive memtable inserts then share most of their
    // skiplist search path, which stays in the CPU cache.
    std::sort(chunk_.begin(), chunk_.end(),
              [](const Entry* a, const Entry* b) { return a->key() < b->key(); });
    for (const Entry* e : chunk_) visit(e->key(), e->present, e->value());
  }
  // The chunk's write finished: on success its rows are done (they stay
  // pinned only if pending or staged again); on failure they go back into
  // the cycle.
  void EndMaterialize(bool ok);
  // Visits every row not yet materialized (pending, in the cycle or staged),
  // each once, for a write of all of them as rows; requires no write in flight.
  template <typename Visitor>
  void ForEachUnmaterialized(Visitor&& visit) const {
    for (const Entry* e : lists_[kDirty]) visit(e->key(), e->present, e->value());
    for (const Entry* e : lists_[kPending]) {
      if (!e->in(kDirty)) visit(e->key(), e->present, e->value());
    }
    for (const Entry* e : lists_[kInCycle]) {
      if (!e->in(kDirty) && !e->in(kPending)) visit(e->key(), e->present, e->value());
    }
  }
  // Those rows reached LevelDB as rows: all become ordinary cached rows.
  void MarkAllMaterialized();

  // Drops every clean row (pinned rows stay).
  void EvictClean();

  size_t charge() const { return charge_; }
  size_t capacity() const { return capacity_; }
  // The share of the capacity pinned rows take (estimated from the mean
  // charge per row; may exceed 1, as pinned rows are never evicted).
  double pinned_share() const {
    if (count_ == 0 || capacity_ == 0) return pinned_ > 0 ? 1.0 : 0.0;
    return static_cast<double>(pinned_) * static_cast<double>(charge_) /
           (static_cast<double>(count_) * static_cast<double>(capacity_));
  }
  // The share of the capacity all rows take.
  double fill_share() const {
    if (capacity_ == 0) return count_ > 0 ? 1.0 : 0.0;
    return static_cast<double>(charge_) / static_cast<double>(capacity_);
  }
  size_t size() const { return count_; }
  uint64_t hits() const { return hits_; }
  uint64_t misses() const { return misses_; }

 private:
  struct Slot {
    uint64_t hash = 0;
    Entry* entry = nullptr;  // nullptr: empty slot
  };
  static constexpr size_t kSlotsPerLine = 64 / sizeof(Slot);

  static uint64_t Hash(std::string_view key);
  static size_t Charge(const Entry& e) { return sizeof(Entry) + e.capacity + 2 * sizeof(Slot); }
  static Entry* NewEntry(std::string_view key, bool present, std::string_view value);
  // Index of the slot holding `key`, or of the empty slot where it would go.
  size_t FindSlot(std::string_view key, uint64_t hash) const;
  void Store(std::string_view key, bool present, std::string_view value, bool dirty);
  void RemoveAt(size_t index);
  // Removes `e` unless some list still pins it.
  void ForgetUnlessPinned(Entry* e);
  void Grow();
  void EvictUntilWithinCapacity();
  // List membership; pinned_ counts entries with any pin.
  void Pin(Entry* e, List list) {
    if (e->in(list)) return;
    if (e->pins == 0) ++pinned_;
    e->pins |= static_cast<uint8_t>(1u << list);
    e->index[list] = static_cast<uint32_t>(lists_[list].size());
    lists_[list].push_back(e);
  }
  // Moves every entry of list `from` into list `to`.
  void MoveAll(List from, List to);
  // Clears the flag only: the caller empties or pops the list itself.
  void Unpin(Entry* e, List list) {
    e->pins &= static_cast<uint8_t>(~(1u << list));
    if (e->pins == 0) --pinned_;
  }

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
  size_t pinned_ = 0;
  std::vector<Entry*> chunk_;  // TakeCycleChunk's scratch
  std::vector<Slot, HugePageAllocator<Slot>> slots_;
  std::vector<Entry*> lists_[kNumLists];
};

}  // namespace ringkv::storage

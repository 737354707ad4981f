// A bounded cache of LevelDB rows (key metadata records and hash fields), in
// front of LevelDB's memtable and block cache. It caches absence too, so a SET
// of a new key does not search LevelDB before writing. Write-through: the
// Keyspace updates it on every write, so it never serves a stale row; evicting
// a row only costs a LevelDB lookup later (staged writes stay in the Engine's
// overlay, not only here).
//
// An open-addressing table (linear probing, backward-shift deletion) holds each
// row's 64-bit hash inline, so a lookup usually touches one table slot and one
// entry. Eviction is CLOCK (a referenced bit per entry): a hit costs no list
// manipulation, unlike LRU.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
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
    uint32_t key_size;
    uint32_t value_size;
    uint32_t capacity;  // bytes available after the header

    std::string_view key() const { return std::string_view(data(), key_size); }
    std::string_view value() const { return std::string_view(data() + key_size, value_size); }
    const char* data() const { return reinterpret_cast<const char*>(this + 1); }
    char* data() { return reinterpret_cast<char*>(this + 1); }
  };

  explicit RowCache(size_t capacity_bytes);
  ~RowCache();

  // The cached entry for `key`, or nullptr if unknown. Valid until the next
  // non-const call.
  const Entry* Lookup(std::string_view key);
  void Put(std::string_view key, std::string_view value) { Store(key, true, value); }
  void PutAbsent(std::string_view key) { Store(key, false, {}); }
  void Erase(std::string_view key);
  void Clear();

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
  void Store(std::string_view key, bool present, std::string_view value);
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
  uint64_t last_hash_ = 0;
  uint64_t hits_ = 0;
  uint64_t misses_ = 0;
  std::vector<Slot> slots_;
};

}  // namespace ringkv::storage

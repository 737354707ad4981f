// Redis's per-object access word (robj.lru, 24 bits), which OBJECT IDLETIME
// and OBJECT FREQ report, kept for the keys of one database that were read
// since they were last written.
//
// Redis stores the word in every object. ringkv's objects live in LevelDB,
// and writing a row back on every read would turn reads into writes, so the
// word lives here, in memory, and only while it says something the row does
// not: a key's row already records when it was last written (its version's
// timestamp), and a key with no entry here takes its word from that (see
// WordFromWrite). A write therefore removes the key's entry under an LRU
// policy (the write time is the access time); under an LFU policy the entry
// (the frequency counter) survives overwrites, as Redis copies it to the new
// object. A workload that only writes keeps this table empty; one that reads
// N distinct keys keeps N entries of 12 bytes each (at most 4/3 as many slots).
//
// The word's meaning depends on the maxmemory-policy in force when it is
// read, as in Redis: under an LFU policy the top 16 bits are the minute of the
// last decrement and the low 8 bits a logarithmic access counter; otherwise
// it is the LRU clock (Unix seconds modulo 2^24) of the last access.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace ringkv::storage {

// Redis's LRU_BITS, LFU_INIT_VAL and the LRU clock (1 s resolution).
constexpr uint32_t kLruClockMax = (1u << 24) - 1;
constexpr uint32_t kLfuInitCounter = 5;

// How commands touch keys, from maxmemory-policy, lfu-log-factor and
// lfu-decay-time.
struct AccessPolicy {
  bool lfu = false;
  int64_t lfu_log_factor = 10;
  int64_t lfu_decay_minutes = 1;
};

// The LRU clock at `now_ms` (Redis's getLRUClock).
inline uint32_t LruClock(int64_t now_ms) {
  return static_cast<uint32_t>(now_ms / 1000) & kLruClockMax;
}

// Milliseconds since the access an LRU word records, at `now_ms`, as Redis's
// estimateObjectIdleTime computes them (the clock wraps after 194 days).
uint64_t LruIdleMs(uint32_t word, int64_t now_ms);

// The LFU counter of `word` after the decay due at `now_ms` (Redis's
// LFUDecrAndReturn): one per lfu-decay-time minutes elapsed.
uint32_t LfuDecayedCounter(uint32_t word, int64_t now_ms, int64_t decay_minutes);

// The LFU word after one access at `now_ms` (Redis's updateLFU): the decayed
// counter, incremented with probability 1 / ((counter - 5) * log_factor + 1).
// `random01` is a uniform draw from [0, 1].
uint32_t LfuTouched(uint32_t word, int64_t now_ms, const AccessPolicy& policy, double random01);

// The word of a key with no entry, last written at `written_ms`: the LRU
// clock then, or under LFU a new object's counter stamped then.
uint32_t WordFromWrite(int64_t written_ms, bool lfu);

// Access words by 64-bit key hash: open addressing, linear probing,
// backward-shift deletion. Two keys with the same 64-bit hash would share a
// word (about one pair in 10^6 runs of five million keys).
class AccessTable {
 public:
  AccessTable() = default;

  // Sets *word and returns true if `hash` has an entry.
  bool Get(uint64_t hash, uint32_t* word) const;
  void Set(uint64_t hash, uint32_t word);
  void Erase(uint64_t hash);
  void Clear();

  size_t size() const { return size_; }
  // Bytes the table holds (INFO).
  size_t bytes() const { return slots_.capacity() * sizeof(Slot); }

 private:
  // 12 bytes: the hash in two halves keeps the slot 4-byte aligned. A hash
  // of 0 marks an empty slot; the key whose hash is 0 is stored under an
  // arbitrary other hash (sharing its word, like any two equal hashes).
  struct Slot {
    uint32_t hash_lo = 0;
    uint32_t hash_hi = 0;
    uint32_t word = 0;

    uint64_t hash() const { return (uint64_t{hash_hi} << 32) | hash_lo; }
  };
  static uint64_t Stored(uint64_t hash) { return hash == 0 ? 0x9e3779b97f4a7c15 : hash; }
  size_t Home(uint64_t hash) const { return static_cast<size_t>(hash) & mask_; }
  // Index of `hash`'s slot, or of the empty slot where it would go.
  size_t Probe(uint64_t hash) const;
  void Rehash(size_t capacity);

  std::vector<Slot> slots_;
  size_t mask_ = 0;
  size_t size_ = 0;
};

}  // namespace ringkv::storage

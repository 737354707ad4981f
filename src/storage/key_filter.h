// An in-memory key-existence filter: a blocked bloom filter of the row keys
// ever written to LevelDB, so that a point lookup of a row that was never
// written answers NotFound without entering LevelDB (memtable, immutable
// memtable, one table probe per level-0 file and per level).
//
// Layout: 512-bit blocks, one cache line each. A key's 64-bit XXH3 hash picks
// one block with its high 32 bits and sets one bit in each of the block's
// eight 64-bit words with its low 32 bits (a split-block bloom filter, as in
// Parquet and Impala): one cache miss per Add or MayContain. At 12 bits per
// key the false-positive rate is about 0.5%; more keys only raise it (it
// tends to 1 as the filter fills), they never cause a false negative.
//
// Thread safety: any number of threads may call Add and MayContain
// concurrently. Bits are set with relaxed atomic fetch_or and read with
// relaxed loads: a MayContain that runs concurrently with the Add of the same
// key may answer either way, like a lookup racing with the write it follows;
// once the adding thread has synchronized with the reader (a mutex, a
// release/acquire pair, LevelDB's own locking) the key is seen. MarkReady and
// ready() are a release/acquire pair.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace ringkv::storage {

class KeyFilter {
 public:
  // Bits per key at which a filter counts as full (see full()).
  static constexpr uint64_t kBitsPerKey = 12;

  // An empty filter of `bits` bits, rounded up to whole 512-bit blocks (at
  // least one). The memory is mapped zero-filled and committed by the OS as
  // blocks are first touched.
  explicit KeyFilter(uint64_t bits);
  ~KeyFilter();

  KeyFilter(const KeyFilter&) = delete;
  KeyFilter& operator=(const KeyFilter&) = delete;

  // The hash Add and MayContain take: callers adding a key to two filters
  // hash it once.
  static uint64_t Hash(std::string_view key);

  // Records a key's hash. Returns true if the filter changed, i.e.
  // MayContain(hash) was false just before (such adds are counted in
  // distinct_adds()).
  bool Add(uint64_t hash);
  // A hint: starts loading the hash's block into the CPU cache, so that the
  // cache misses of several keys' Add or MayContain overlap.
  void Prefetch(uint64_t hash) const { __builtin_prefetch(&BlockFor(hash), /*rw=*/1); }
  // False only if no Add(hash) happened before (in the sense above); true
  // for every added hash and, rarely, for others.
  bool MayContain(uint64_t hash) const;

  // Marks the filter complete: every key that can be found in the store has
  // been added. Until then its answers mean nothing to readers.
  void MarkReady() { ready_.store(true, std::memory_order_release); }
  bool ready() const { return ready_.load(std::memory_order_acquire); }

  uint64_t bits() const { return num_blocks_ * kBlockBits; }
  size_t bytes() const { return num_blocks_ * sizeof(Block); }
  // Adds that changed the filter: about the number of distinct keys added.
  uint64_t distinct_adds() const { return distinct_adds_.load(std::memory_order_relaxed); }
  // True once the filter holds more than bits()/kBitsPerKey keys: it keeps
  // working, with a false-positive rate growing past the designed ~0.5%, and
  // its owner should build a bigger one.
  bool full() const { return distinct_adds() > bits() / kBitsPerKey; }

 private:
  static constexpr uint64_t kBlockBits = 512;
  static constexpr int kWordsPerBlock = 8;
  struct alignas(64) Block {
    uint64_t words[kWordsPerBlock];
  };

  const Block& BlockFor(uint64_t hash) const {
    // Multiply-shift maps the high 32 bits onto [0, num_blocks_) without a division.
    return blocks_[((hash >> 32) * num_blocks_) >> 32];
  }
  // The bit the hash sets in word `i` of its block.
  static uint64_t Mask(uint64_t hash, int i);

  const uint64_t num_blocks_;
  Block* blocks_;  // mmap'd; words accessed only through std::atomic_ref
  std::atomic<uint64_t> distinct_adds_{0};
  std::atomic<bool> ready_{false};
};

}  // namespace ringkv::storage

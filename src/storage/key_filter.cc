#include "storage/key_filter.h"

#include <sys/mman.h>
#include <xxhash.h>

#include <algorithm>
#include <atomic>
#include <new>

namespace ringkv::storage {

namespace {

// Odd multipliers that spread the low 32 bits of the hash into one bit
// position per word (the salts of Parquet's split-block bloom filter).
constexpr uint32_t kSalt[8] = {0x47b6137bU, 0x44974d91U, 0x8824ad5bU, 0xa2b7289dU,
                               0x705495c7U, 0x2df1424bU, 0x9efc4947U, 0x5c6bfb31U};

// BlockFor's multiply-shift needs the block count to fit in 32 bits (2^41
// bits, far beyond any use here).
constexpr uint64_t kMaxBlocks = uint64_t{1} << 32;

}  // namespace

KeyFilter::KeyFilter(uint64_t bits)
    : num_blocks_(std::clamp<uint64_t>((bits + kBlockBits - 1) / kBlockBits, 1, kMaxBlocks - 1)) {
  // Anonymous mappings are zero-filled and committed page by page on first
  // touch, so a big, mostly empty filter costs little memory and no time to
  // clear.
  void* memory =
      ::mmap(nullptr, bytes(), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (memory == MAP_FAILED) throw std::bad_alloc();
  blocks_ = static_cast<Block*>(memory);
}

KeyFilter::~KeyFilter() { ::munmap(blocks_, bytes()); }

uint64_t KeyFilter::Hash(std::string_view key) { return XXH3_64bits(key.data(), key.size()); }

uint64_t KeyFilter::Mask(uint64_t hash, int i) {
  return uint64_t{1} << ((static_cast<uint32_t>(hash) * kSalt[i]) >> 26);
}

bool KeyFilter::Add(uint64_t hash) {
  Block& block = const_cast<Block&>(BlockFor(hash));
  bool changed = false;
  for (int i = 0; i < kWordsPerBlock; ++i) {
    const uint64_t mask = Mask(hash, i);
    std::atomic_ref<uint64_t> word(block.words[i]);
    // Re-adding a present key (most writes update existing rows) costs loads
    // only; the locked fetch_or is for bits still clear.
    if ((word.load(std::memory_order_relaxed) & mask) == 0) {
      word.fetch_or(mask, std::memory_order_relaxed);
      changed = true;
    }
  }
  if (changed) distinct_adds_.fetch_add(1, std::memory_order_relaxed);
  return changed;
}

bool KeyFilter::MayContain(uint64_t hash) const {
  Block& block = const_cast<Block&>(BlockFor(hash));
  uint64_t missing = 0;
  for (int i = 0; i < kWordsPerBlock; ++i) {
    missing |=
        Mask(hash, i) & ~std::atomic_ref<uint64_t>(block.words[i]).load(std::memory_order_relaxed);
  }
  return missing == 0;
}

}  // namespace ringkv::storage

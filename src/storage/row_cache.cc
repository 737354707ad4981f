#include "storage/row_cache.h"

#define XXH_INLINE_ALL
#include <xxhash.h>

namespace ringkv::storage {

namespace {
constexpr size_t kInitialSlots = 1024;
}  // namespace

RowCache::RowCache(size_t capacity_bytes)
    : capacity_(capacity_bytes), mask_(kInitialSlots - 1), slots_(kInitialSlots) {}

RowCache::~RowCache() { Clear(); }

uint64_t RowCache::Hash(std::string_view key) { return XXH3_64bits(key.data(), key.size()); }

size_t RowCache::FindSlot(std::string_view key, uint64_t hash) const {
  size_t i = hash & mask_;
  while (true) {
    const Slot& slot = slots_[i];
    if (slot.entry == nullptr || (slot.hash == hash && slot.entry->key() == key)) return i;
    i = (i + 1) & mask_;
  }
}

const RowCache::Entry* RowCache::Lookup(std::string_view key) {
  const size_t i = FindSlot(key, Hash(key));
  Entry* entry = slots_[i].entry;
  if (entry == nullptr) {
    ++misses_;
    return nullptr;
  }
  ++hits_;
  entry->referenced = true;
  return entry;
}

void RowCache::Store(std::string_view key, bool present, std::string_view value) {
  if (capacity_ == 0) return;
  const uint64_t hash = Hash(key);
  size_t i = FindSlot(key, hash);
  Entry* entry = slots_[i].entry;
  if (entry != nullptr) {
    charge_ -= Charge(*entry);
    entry->present = present;
    entry->referenced = true;
    entry->bytes.resize(entry->key_size);
    entry->bytes.append(value);
    charge_ += Charge(*entry);
  } else {
    if ((count_ + 1) * 2 > slots_.size()) {
      Grow();
      i = FindSlot(key, hash);
    }
    entry = new Entry{present, true, static_cast<uint32_t>(key.size()), {}};
    entry->bytes.reserve(key.size() + value.size());
    entry->bytes.append(key);
    entry->bytes.append(value);
    slots_[i] = Slot{hash, entry};
    ++count_;
    charge_ += Charge(*entry);
  }
  EvictUntilWithinCapacity();
}

void RowCache::Erase(std::string_view key) {
  const size_t i = FindSlot(key, Hash(key));
  if (slots_[i].entry != nullptr) RemoveAt(i);
}

// Backward-shift deletion: later entries of the same probe run move up so
// lookups never need tombstones.
void RowCache::RemoveAt(size_t index) {
  charge_ -= Charge(*slots_[index].entry);
  delete slots_[index].entry;
  slots_[index] = Slot{};
  --count_;
  size_t hole = index;
  size_t i = (index + 1) & mask_;
  while (slots_[i].entry != nullptr) {
    const size_t home = slots_[i].hash & mask_;
    // Move slot i into the hole if its home position is not in (hole, i].
    const bool movable = hole <= i ? (home <= hole || home > i) : (home <= hole && home > i);
    if (movable) {
      slots_[hole] = slots_[i];
      slots_[i] = Slot{};
      hole = i;
    }
    i = (i + 1) & mask_;
  }
}

void RowCache::Grow() {
  std::vector<Slot> old;
  old.swap(slots_);
  slots_.assign(old.size() * 2, Slot{});
  mask_ = slots_.size() - 1;
  for (const Slot& slot : old) {
    if (slot.entry == nullptr) continue;
    size_t i = slot.hash & mask_;
    while (slots_[i].entry != nullptr) i = (i + 1) & mask_;
    slots_[i] = slot;
  }
  clock_hand_ = 0;
}

void RowCache::EvictUntilWithinCapacity() {
  while (charge_ > capacity_ && count_ > 0) {
    clock_hand_ &= mask_;
    Slot& slot = slots_[clock_hand_];
    if (slot.entry == nullptr) {
      ++clock_hand_;
    } else if (slot.entry->referenced) {
      slot.entry->referenced = false;
      ++clock_hand_;
    } else {
      // The backward shift may move a not-yet-visited entry into this slot:
      // leave the hand here so it is considered next.
      RemoveAt(clock_hand_);
    }
  }
}

void RowCache::Clear() {
  for (Slot& slot : slots_) {
    delete slot.entry;
    slot = Slot{};
  }
  count_ = 0;
  charge_ = 0;
  clock_hand_ = 0;
}

}  // namespace ringkv::storage

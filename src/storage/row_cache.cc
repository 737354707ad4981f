#include "storage/row_cache.h"

#define XXH_INLINE_ALL
#include <xxhash.h>

#include <cstring>

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

RowCache::Entry* RowCache::NewEntry(std::string_view key, bool present, std::string_view value) {
  const size_t capacity = key.size() + value.size();
  auto* entry = static_cast<Entry*>(::operator new(sizeof(Entry) + capacity));
  entry->present = present;
  entry->referenced = true;
  entry->key_size = static_cast<uint32_t>(key.size());
  entry->value_size = static_cast<uint32_t>(value.size());
  entry->capacity = static_cast<uint32_t>(capacity);
  std::memcpy(entry->data(), key.data(), key.size());
  if (!value.empty()) std::memcpy(entry->data() + key.size(), value.data(), value.size());
  return entry;
}

const RowCache::Entry* RowCache::Lookup(std::string_view key) {
  const uint64_t hash = Hash(key);
  const size_t i = FindSlot(key, hash);
  last_index_ = i;
  last_hash_ = hash;
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
  const Slot& last = slots_[last_index_ & mask_];
  size_t i = (last.entry != nullptr && last.hash == hash && last.entry->key() == key)
                 ? (last_index_ & mask_)
                 : FindSlot(key, hash);
  Entry* entry = slots_[i].entry;
  if (entry != nullptr) {
    if (key.size() + value.size() <= entry->capacity) {
      entry->present = present;
      entry->referenced = true;
      entry->value_size = static_cast<uint32_t>(value.size());
      if (!value.empty()) std::memcpy(entry->data() + key.size(), value.data(), value.size());
    } else {
      charge_ -= Charge(*entry);
      ::operator delete(entry);
      entry = NewEntry(key, present, value);
      slots_[i].entry = entry;
      charge_ += Charge(*entry);
    }
  } else {
    if ((count_ + 1) * 2 > slots_.size()) {
      Grow();
      i = FindSlot(key, hash);
    }
    entry = NewEntry(key, present, value);
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
  ::operator delete(slots_[index].entry);
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
    ::operator delete(slot.entry);
    slot = Slot{};
  }
  count_ = 0;
  charge_ = 0;
  clock_hand_ = 0;
}

}  // namespace ringkv::storage

#include "storage/row_cache.h"

#define XXH_INLINE_ALL
#include <malloc.h>
#include <xxhash.h>

#include <algorithm>
#include <bit>
#include <cstring>
#include <limits>

namespace ringkv::storage {

namespace {

constexpr size_t kMinSlots = 1024;
// A small row's charge (header, key, value, its two slots), for sizing.
constexpr size_t kSmallRowBytes = 128;

// The slot table starts as large as a cache full of small rows needs (at most
// half full), so it does not double, rehashing every row, while clients
// wait: at a few hundred thousand rows a doubling stalled the loop for
// 20-50 ms, mostly faulting in the new table's pages. Pinned rows beyond the
// capacity, or rows smaller than kSmallRowBytes, still make it grow.
size_t InitialSlots(size_t capacity_bytes) {
  return std::bit_ceil(std::max(kMinSlots, 2 * capacity_bytes / kSmallRowBytes));
}

}  // namespace

RowCache::RowCache(size_t capacity_bytes)
    : capacity_(capacity_bytes), slots_(InitialSlots(capacity_bytes)) {
  mask_ = slots_.size() - 1;
}

RowCache::~RowCache() {
  for (Slot& slot : slots_) ::operator delete(slot.entry);
}

uint64_t RowCache::Hash(std::string_view key) { return XXH3_64bits(key.data(), key.size()); }

RowCache::Entry* RowCache::NewEntry(std::string_view key, bool present, std::string_view value) {
  // A row's value often grows by a byte or two (a dot counter's varint, a
  // counter's digits), and growing past the capacity reallocates the entry:
  // when the node's dot counter passed 2^21, every key written afterwards
  // was reallocated once, in a burst. So an entry asks for kGrowthSlack
  // bytes more than it needs, and keeps as room whatever the allocator's
  // size class rounds up besides.
  constexpr size_t kGrowthSlack = 8;
  void* memory = ::operator new(sizeof(Entry) + key.size() + value.size() + kGrowthSlack);
  const size_t capacity = std::min<size_t>(malloc_usable_size(memory) - sizeof(Entry),
                                           std::numeric_limits<uint32_t>::max());
  auto* entry = static_cast<Entry*>(memory);
  entry->present = present;
  entry->referenced = true;
  entry->pins = 0;
  for (uint32_t& index : entry->index) index = 0;
  entry->key_size = static_cast<uint32_t>(key.size());
  entry->value_size = static_cast<uint32_t>(value.size());
  entry->capacity = static_cast<uint32_t>(capacity);
  std::memcpy(entry->data(), key.data(), key.size());
  if (!value.empty()) std::memcpy(entry->data() + key.size(), value.data(), value.size());
  return entry;
}

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
  last_index_ = i;
  Entry* entry = slots_[i].entry;
  if (entry == nullptr) {
    ++misses_;
    return nullptr;
  }
  ++hits_;
  entry->referenced = true;
  return entry;
}

void RowCache::Store(std::string_view key, bool present, std::string_view value, bool dirty) {
  if (!dirty && capacity_ == 0) return;
  const uint64_t hash = Hash(key);
  const Slot& last = slots_[last_index_ & mask_];
  size_t i = (last.entry != nullptr && last.hash == hash && last.entry->key() == key)
                 ? (last_index_ & mask_)
                 : FindSlot(key, hash);
  Entry* entry = slots_[i].entry;
  if (entry != nullptr) {
    // A clean fill never overwrites a pinned row: it is newer than LevelDB's.
    if (entry->pins != 0 && !dirty) return;
    if (key.size() + value.size() <= entry->capacity) {
      entry->present = present;
      entry->value_size = static_cast<uint32_t>(value.size());
      if (!value.empty()) std::memcpy(entry->data() + key.size(), value.data(), value.size());
    } else {
      Entry* bigger = NewEntry(key, present, value);
      bigger->pins = entry->pins;
      for (int list = 0; list < kNumLists; ++list) {
        bigger->index[list] = entry->index[list];
        if (entry->in(static_cast<List>(list))) lists_[list][entry->index[list]] = bigger;
      }
      charge_ -= Charge(*entry);
      ::operator delete(entry);
      entry = bigger;
      slots_[i].entry = entry;
      charge_ += Charge(*entry);
    }
    entry->referenced = true;
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
  if (dirty) Pin(entry, kDirty);
  last_index_ = i;
  EvictUntilWithinCapacity();
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
    // Move slot i into the hole unless its home position lies in (hole, i].
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
  std::vector<Slot, HugePageAllocator<Slot>> old;
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
  // Pinned rows cannot be evicted; stop after two sweeps when only they remain.
  size_t steps = 2 * slots_.size();
  while (charge_ > capacity_ && count_ > pinned_ && steps > 0) {
    clock_hand_ &= mask_;
    Slot& slot = slots_[clock_hand_];
    if (slot.entry == nullptr || slot.entry->pins != 0) {
      ++clock_hand_;
      --steps;
    } else if (slot.entry->referenced) {
      slot.entry->referenced = false;
      ++clock_hand_;
      --steps;
    } else {
      // The backward shift may move a not-yet-visited entry into this slot:
      // leave the hand here so it is considered next.
      RemoveAt(clock_hand_);
    }
  }
}

void RowCache::MoveAll(List from, List to) {
  std::vector<Entry*> moving;
  moving.swap(lists_[from]);
  for (Entry* e : moving) {
    Pin(e, to);
    Unpin(e, from);
  }
}

void RowCache::MarkAllPending() { MoveAll(kDirty, kPending); }

void RowCache::ForgetUnlessPinned(Entry* e) {
  if (e->pins != 0) return;
  const std::string key(e->key());
  RemoveAt(FindSlot(key, Hash(key)));
}

void RowCache::DropDirty() {
  std::vector<Entry*> dropped;
  dropped.swap(lists_[kDirty]);
  for (Entry* e : dropped) Unpin(e, kDirty);
  for (Entry* e : dropped) ForgetUnlessPinned(e);
}

void RowCache::BeginCommit() { MoveAll(kDirty, kInFlight); }

void RowCache::EndCommit(bool ok) {
  std::vector<Entry*> done;
  done.swap(lists_[kInFlight]);
  for (Entry* e : done) {
    if (ok) Pin(e, kPending);
    Unpin(e, kInFlight);
  }
  if (!ok) {
    for (Entry* e : done) ForgetUnlessPinned(e);
  }
  EvictUntilWithinCapacity();
}

void RowCache::StartCycle() { MoveAll(kPending, kInCycle); }

void RowCache::EndMaterialize(bool ok) {
  std::vector<Entry*> done;
  done.swap(lists_[kMaterializing]);
  for (Entry* e : done) {
    if (!ok) Pin(e, kInCycle);
    Unpin(e, kMaterializing);
  }
  EvictUntilWithinCapacity();
}

void RowCache::MarkAllMaterialized() {
  for (List list : {kDirty, kPending, kInCycle}) {
    for (Entry* e : lists_[list]) Unpin(e, list);
    lists_[list].clear();
  }
  EvictUntilWithinCapacity();
}

void RowCache::EvictClean() {
  for (size_t i = 0; i < slots_.size();) {
    if (slots_[i].entry != nullptr && slots_[i].entry->pins == 0) {
      RemoveAt(i);  // the backward shift may fill slot i: look at it again
    } else {
      ++i;
    }
  }
}

}  // namespace ringkv::storage

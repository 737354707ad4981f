#include "storage/access_table.h"

namespace ringkv::storage {

namespace {

constexpr size_t kMinCapacity = 64;

// Redis's LFUGetTimeInMinutes: Unix minutes modulo 2^16.
uint32_t LfuMinutes(int64_t now_ms) { return static_cast<uint32_t>(now_ms / 60000) & 0xffff; }

// Redis's LFUTimeElapsed: minutes since `ldt`, across one wrap of the clock.
uint32_t LfuMinutesSince(uint32_t ldt, int64_t now_ms) {
  const uint32_t now = LfuMinutes(now_ms);
  return now >= ldt ? now - ldt : 65535 - ldt + now;
}

}  // namespace

uint64_t LruIdleMs(uint32_t word, int64_t now_ms) {
  const uint64_t clock = LruClock(now_ms);
  const uint64_t lru = word & kLruClockMax;
  const uint64_t ticks = clock >= lru ? clock - lru : clock + (kLruClockMax - lru);
  return ticks * 1000;
}

uint32_t LfuDecayedCounter(uint32_t word, int64_t now_ms, int64_t decay_minutes) {
  const uint32_t ldt = (word >> 8) & 0xffff;
  const uint32_t counter = word & 0xff;
  const uint64_t periods = decay_minutes > 0 ? LfuMinutesSince(ldt, now_ms) / decay_minutes : 0;
  return periods > counter ? 0 : counter - static_cast<uint32_t>(periods);
}

uint32_t LfuTouched(uint32_t word, int64_t now_ms, const AccessPolicy& policy, double random01) {
  uint32_t counter = LfuDecayedCounter(word, now_ms, policy.lfu_decay_minutes);
  if (counter < 255) {
    const double base = counter > kLfuInitCounter ? counter - kLfuInitCounter : 0;
    const double p = 1.0 / (base * static_cast<double>(policy.lfu_log_factor) + 1);
    if (random01 < p) ++counter;
  }
  return (LfuMinutes(now_ms) << 8) | counter;
}

uint32_t WordFromWrite(int64_t written_ms, bool lfu) {
  return lfu ? (LfuMinutes(written_ms) << 8) | kLfuInitCounter : LruClock(written_ms);
}

size_t AccessTable::Probe(uint64_t hash) const {
  size_t i = Home(hash);
  while (slots_[i].hash() != 0 && slots_[i].hash() != hash) i = (i + 1) & mask_;
  return i;
}

bool AccessTable::Get(uint64_t hash, uint32_t* word) const {
  if (size_ == 0) return false;
  const Slot& slot = slots_[Probe(Stored(hash))];
  if (slot.hash() == 0) return false;
  *word = slot.word;
  return true;
}

void AccessTable::Set(uint64_t hash, uint32_t word) {
  // Grow at a load of 3/4: linear probing's probe counts climb fast past it.
  if ((size_ + 1) * 4 > slots_.size() * 3) {
    Rehash(slots_.empty() ? kMinCapacity : slots_.size() * 2);
  }
  hash = Stored(hash);
  Slot& slot = slots_[Probe(hash)];
  if (slot.hash() == 0) {
    slot.hash_lo = static_cast<uint32_t>(hash);
    slot.hash_hi = static_cast<uint32_t>(hash >> 32);
    ++size_;
  }
  slot.word = word;
}

void AccessTable::Erase(uint64_t hash) {
  if (size_ == 0) return;
  size_t hole = Probe(Stored(hash));
  if (slots_[hole].hash() == 0) return;
  // Backward-shift deletion: move each later entry of the run that may sit at
  // or before the hole (its home is not cyclically in (hole, j]) into it.
  for (size_t j = (hole + 1) & mask_; slots_[j].hash() != 0; j = (j + 1) & mask_) {
    const size_t home = Home(slots_[j].hash());
    const bool stays = hole <= j ? (hole < home && home <= j) : (hole < home || home <= j);
    if (stays) continue;
    slots_[hole] = slots_[j];
    hole = j;
  }
  slots_[hole] = Slot();
  --size_;
  // Shrink at a load of 1/16, so a database that emptied gives memory back.
  if (slots_.size() > kMinCapacity && size_ * 16 < slots_.size()) Rehash(slots_.size() / 4);
}

void AccessTable::Clear() {
  std::vector<Slot>().swap(slots_);
  mask_ = 0;
  size_ = 0;
}

void AccessTable::Rehash(size_t capacity) {
  if (capacity < kMinCapacity) capacity = kMinCapacity;
  std::vector<Slot> old(capacity);
  old.swap(slots_);
  mask_ = capacity - 1;
  for (const Slot& slot : old) {
    if (slot.hash() == 0) continue;
    slots_[Probe(slot.hash())] = slot;
  }
}

}  // namespace ringkv::storage

#include "storage/access_table.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <random>
#include <unordered_map>

namespace ringkv::storage {
namespace {

// Random sets and erases agree with a std::unordered_map, through growth,
// backward-shift deletion (clustered hashes force long runs) and shrinking.
TEST(AccessTableTest, MatchesAMap) {
  AccessTable table;
  std::unordered_map<uint64_t, uint32_t> model;
  std::mt19937_64 rng(42);
  for (int round = 0; round < 3; ++round) {
    for (int i = 0; i < 20000; ++i) {
      // Some hashes share their low bits, so they pile into one long run.
      uint64_t hash = rng() % 5000 + 1;
      if (i % 4 == 0) hash = ((hash % 300) << 32) | 7;
      const uint32_t word = static_cast<uint32_t>(rng()) & kLruClockMax;
      if (rng() % 3 == 0) {
        table.Erase(hash);
        model.erase(hash);
      } else {
        table.Set(hash, word);
        model[hash] = word;
      }
    }
    ASSERT_EQ(table.size(), model.size());
    for (const auto& [hash, word] : model) {
      uint32_t got;
      ASSERT_TRUE(table.Get(hash, &got)) << hash;
      EXPECT_EQ(got, word);
    }
    // Drain most of it: the table shrinks and keeps the rest findable.
    const size_t bytes_full = table.bytes();
    for (auto it = model.begin(); it != model.end();) {
      if (rng() % 20 != 0) {
        table.Erase(it->first);
        it = model.erase(it);
      } else {
        ++it;
      }
    }
    EXPECT_LT(table.bytes(), bytes_full);
    for (const auto& [hash, word] : model) {
      uint32_t got;
      ASSERT_TRUE(table.Get(hash, &got));
      EXPECT_EQ(got, word);
    }
  }
  uint32_t word;
  EXPECT_FALSE(table.Get(123456789, &word));
  table.Set(0, 9);  // the hash that marks empty slots is still a key
  ASSERT_TRUE(table.Get(0, &word));
  EXPECT_EQ(word, 9u);
  table.Clear();
  EXPECT_EQ(table.size(), 0u);
  EXPECT_EQ(table.bytes(), 0u);
  EXPECT_FALSE(table.Get(0, &word));
}

TEST(AccessTableTest, LruClockAndIdleTime) {
  const int64_t t = 1700000000000;
  EXPECT_EQ(LruIdleMs(LruClock(t), t), 0u);
  EXPECT_EQ(LruIdleMs(LruClock(t), t + 999), 0u);  // same second of the clock
  EXPECT_EQ(LruIdleMs(LruClock(t), t + 5000), 5000u);
  // Across the 24-bit clock's wrap, as Redis's estimateObjectIdleTime counts.
  const int64_t before_wrap = int64_t{kLruClockMax} * 1000;
  EXPECT_EQ(LruIdleMs(LruClock(before_wrap), before_wrap + 3000), 2000u);
  EXPECT_EQ(WordFromWrite(t, false), LruClock(t));
}

TEST(AccessTableTest, LfuCountsLogarithmicallyAndDecays) {
  const int64_t t = 1700000000000;
  AccessPolicy policy{true, 10, 1};
  uint32_t word = WordFromWrite(t, true);
  EXPECT_EQ(LfuDecayedCounter(word, t, 1), kLfuInitCounter);
  // At the initial counter every access counts; above it, with probability
  // 1 / ((counter - 5) * lfu-log-factor + 1).
  word = LfuTouched(word, t, policy, 0.999);
  EXPECT_EQ(LfuDecayedCounter(word, t, 1), 6u);
  EXPECT_EQ(LfuDecayedCounter(LfuTouched(word, t, policy, 0.2), t, 1), 6u);   // p = 1/11
  EXPECT_EQ(LfuDecayedCounter(LfuTouched(word, t, policy, 0.05), t, 1), 7u);  // r < p
  // lfu-decay-time minutes per step down; 0 turns decay off.
  EXPECT_EQ(LfuDecayedCounter(word, t + 3 * 60000, 1), 3u);
  EXPECT_EQ(LfuDecayedCounter(word, t + 3 * 60000, 2), 5u);
  EXPECT_EQ(LfuDecayedCounter(word, t + 3 * 60000, 0), 6u);
  EXPECT_EQ(LfuDecayedCounter(word, t + 100 * 60000, 1), 0u);
  // A touch decays first, then counts, and restamps the minute.
  const uint32_t later = LfuTouched(word, t + 3 * 60000, policy, 0.0);
  EXPECT_EQ(LfuDecayedCounter(later, t + 3 * 60000, 1), 4u);
  // The counter saturates at 255.
  AccessPolicy always{true, 0, 0};
  uint32_t hot = WordFromWrite(t, true);
  for (int i = 0; i < 300; ++i) hot = LfuTouched(hot, t, always, 0.5);
  EXPECT_EQ(LfuDecayedCounter(hot, t, 0), 255u);
}

}  // namespace
}  // namespace ringkv::storage

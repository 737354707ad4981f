#include "storage/row_cache.h"

#include <gtest/gtest.h>

#include <map>
#include <random>

namespace ringkv::storage {
namespace {

TEST(RowCacheTest, PutLookupErase) {
  RowCache cache(1 << 20);
  EXPECT_EQ(cache.Lookup("a"), nullptr);
  cache.Put("a", "1");
  cache.PutAbsent("b");
  const RowCache::Entry* a = cache.Lookup("a");
  ASSERT_NE(a, nullptr);
  EXPECT_TRUE(a->present);
  EXPECT_EQ(a->value(), "1");
  const RowCache::Entry* b = cache.Lookup("b");
  ASSERT_NE(b, nullptr);
  EXPECT_FALSE(b->present);
  cache.Put("a", "22");
  EXPECT_EQ(cache.Lookup("a")->value(), "22");
  cache.Erase("a");
  EXPECT_EQ(cache.Lookup("a"), nullptr);
  EXPECT_EQ(cache.size(), 1u);
}

TEST(RowCacheTest, StaysWithinCapacity) {
  RowCache cache(64 * 1024);
  for (int i = 0; i < 100000; ++i) {
    cache.Put("key:" + std::to_string(i), std::string(100, 'x'));
    ASSERT_LE(cache.charge(), cache.capacity());
  }
  EXPECT_GT(cache.size(), 100u);
  // The most recent key survives eviction.
  EXPECT_NE(cache.Lookup("key:99999"), nullptr);
}

// Random operations against a std::map model: every cached answer must agree
// with the model (the cache may forget, never lie).
TEST(RowCacheTest, AgreesWithModelUnderChurn) {
  RowCache cache(16 * 1024);
  std::map<std::string, std::string> model;  // value "" with absent marker below
  std::map<std::string, bool> present;
  std::mt19937 rng(42);
  for (int step = 0; step < 200000; ++step) {
    std::string key = "k" + std::to_string(rng() % 3000);
    switch (rng() % 4) {
      case 0:
      case 1: {
        std::string value(rng() % 40, static_cast<char>('a' + rng() % 26));
        cache.Put(key, value);
        model[key] = value;
        present[key] = true;
        break;
      }
      case 2:
        cache.PutAbsent(key);
        present[key] = false;
        break;
      case 3:
        cache.Erase(key);
        present.erase(key);
        break;
    }
    std::string probe = "k" + std::to_string(rng() % 3000);
    const RowCache::Entry* e = cache.Lookup(probe);
    if (e == nullptr) continue;
    ASSERT_TRUE(present.count(probe)) << probe;
    ASSERT_EQ(e->present, present[probe]);
    if (e->present) ASSERT_EQ(e->value(), model[probe]);
  }
}

}  // namespace
}  // namespace ringkv::storage

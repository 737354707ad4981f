#include "storage/row_cache.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <map>
#include <random>

namespace ringkv::storage {
namespace {

// Commits the staged rows and writes every committed row (as the Keyspace's
// journal and a whole materialization cycle would): they become clean.
void CommitAndMaterialize(RowCache& cache) {
  cache.MarkAllPending();
  cache.StartCycle();
  cache.TakeCycleChunk(SIZE_MAX, [](std::string_view, bool, std::string_view) {});
  cache.EndMaterialize(true);
}

TEST(RowCacheTest, FillStageLookup) {
  RowCache cache(1 << 20);
  EXPECT_EQ(cache.Lookup("a"), nullptr);
  cache.Fill("a", "1");
  cache.FillAbsent("b");
  const RowCache::Entry* a = cache.Lookup("a");
  ASSERT_NE(a, nullptr);
  EXPECT_TRUE(a->present);
  EXPECT_EQ(a->value(), "1");
  const RowCache::Entry* b = cache.Lookup("b");
  ASSERT_NE(b, nullptr);
  EXPECT_FALSE(b->present);
  cache.Stage("a", "a much longer value than before");
  EXPECT_EQ(cache.Lookup("a")->value(), "a much longer value than before");
  EXPECT_EQ(cache.dirty_count(), 1u);
}

TEST(RowCacheTest, CleanFillNeverOverwritesStagedRow) {
  RowCache cache(1 << 20);
  cache.Stage("k", "new");
  cache.Fill("k", "old-from-disk");
  EXPECT_EQ(cache.Lookup("k")->value(), "new");
}

TEST(RowCacheTest, StagedRowsArePinnedUntilCommitted) {
  RowCache cache(0);  // no room for clean rows at all
  cache.Fill("clean", "x");
  EXPECT_EQ(cache.Lookup("clean"), nullptr);
  for (int i = 0; i < 1000; ++i) cache.Stage("k" + std::to_string(i), std::string(100, 'v'));
  cache.StageAbsent("gone");
  EXPECT_EQ(cache.dirty_count(), 1001u);
  for (int i = 0; i < 1000; ++i) ASSERT_NE(cache.Lookup("k" + std::to_string(i)), nullptr);
  size_t visited = 0, absent = 0;
  cache.ForEachDirty([&](std::string_view, bool present, std::string_view) {
    ++visited;
    if (!present) ++absent;
  });
  EXPECT_EQ(visited, 1001u);
  EXPECT_EQ(absent, 1u);
  CommitAndMaterialize(cache);
  EXPECT_EQ(cache.dirty_count(), 0u);
  EXPECT_EQ(cache.size(), 0u);  // capacity 0: written rows are evicted
}

TEST(RowCacheTest, DropDirtyForgetsStagedRows) {
  RowCache cache(1 << 20);
  cache.Fill("kept", "1");
  cache.Stage("lost", "2");
  cache.Stage("kept", "3");
  cache.DropDirty();
  EXPECT_EQ(cache.Lookup("lost"), nullptr);
  EXPECT_EQ(cache.Lookup("kept"), nullptr);  // its staged value never reached disk
  EXPECT_EQ(cache.dirty_count(), 0u);
}

TEST(RowCacheTest, InFlightRowsStayPinnedAndReadable) {
  RowCache cache(0);  // no room for clean rows: only pins keep rows
  cache.Stage("a", "1");
  cache.Stage("b", "2");
  cache.BeginCommit();
  EXPECT_EQ(cache.dirty_count(), 0u);
  EXPECT_EQ(cache.in_flight_count(), 2u);
  // Still readable, and a clean fill (an older disk read) cannot replace them.
  cache.Fill("a", "stale");
  EXPECT_EQ(cache.Lookup("a")->value(), "1");
  // Staged again while in flight, with a value that forces a reallocation.
  cache.Stage("b", std::string(200, 'x'));
  EXPECT_EQ(cache.dirty_count(), 1u);
  for (int i = 0; i < 100; ++i) cache.Stage("filler" + std::to_string(i), "f");
  cache.EndCommit(true);
  EXPECT_EQ(cache.in_flight_count(), 0u);
  ASSERT_NE(cache.Lookup("a"), nullptr);  // committed, pending: still pinned
  cache.StartCycle();
  cache.TakeCycleChunk(SIZE_MAX, [](std::string_view, bool, std::string_view) {});
  cache.EndMaterialize(true);
  EXPECT_EQ(cache.Lookup("a"), nullptr);  // written and clean: evicted at capacity 0
  ASSERT_NE(cache.Lookup("b"), nullptr);  // staged again: still pinned
  EXPECT_EQ(cache.Lookup("b")->value(), std::string(200, 'x'));
  size_t dirty = 0;
  cache.ForEachDirty([&](std::string_view, bool, std::string_view) { ++dirty; });
  EXPECT_EQ(dirty, 101u);
}

TEST(RowCacheTest, FailedInFlightCommitForgetsItsRows) {
  RowCache cache(1 << 20);
  cache.Stage("lost", "1");
  cache.Stage("restaged", "2");
  cache.BeginCommit();
  cache.Stage("restaged", "3");
  cache.EndCommit(false);
  EXPECT_EQ(cache.Lookup("lost"), nullptr);  // reads go back to LevelDB
  ASSERT_NE(cache.Lookup("restaged"), nullptr);
  EXPECT_EQ(cache.Lookup("restaged")->value(), "3");
  EXPECT_EQ(cache.dirty_count(), 1u);
}

TEST(RowCacheTest, JournaledRowsStayPinnedUntilMaterialized) {
  RowCache cache(0);  // no room for clean rows: only pins keep rows
  cache.Stage("a", "1");
  cache.Stage("b", "2");
  cache.BeginCommit();
  cache.EndCommit(true);
  EXPECT_EQ(cache.in_flight_count(), 0u);
  EXPECT_EQ(cache.pending_count(), 2u);
  cache.Fill("a", "stale");  // LevelDB's copy is older: it never replaces a pending row
  ASSERT_NE(cache.Lookup("a"), nullptr);
  EXPECT_EQ(cache.Lookup("a")->value(), "1");
  cache.StartCycle();
  EXPECT_EQ(cache.pending_count(), 0u);
  EXPECT_EQ(cache.cycle_count(), 2u);
  // Staged again during the cycle, with a value that forces a reallocation:
  // the cycle writes the newest value, and the row is pending again for the next.
  cache.Stage("b", std::string(300, 'x'));
  cache.MarkAllPending();
  EXPECT_EQ(cache.pending_count(), 1u);
  std::vector<std::string> taken;
  cache.TakeCycleChunk(1, [&](std::string_view key, bool present, std::string_view value) {
    EXPECT_TRUE(present);
    taken.emplace_back(std::string(key) + "=" + std::string(value.substr(0, 3)));
  });
  cache.TakeCycleChunk(5, [&](std::string_view key, bool, std::string_view value) {
    taken.emplace_back(std::string(key) + "=" + std::string(value.substr(0, 3)));
  });
  std::sort(taken.begin(), taken.end());
  EXPECT_EQ(taken, (std::vector<std::string>{"a=1", "b=xxx"}));
  EXPECT_EQ(cache.cycle_count(), 0u);
  cache.EndMaterialize(false);  // the write failed: both go back into the cycle
  EXPECT_EQ(cache.cycle_count(), 2u);
  cache.TakeCycleChunk(5, [](std::string_view, bool, std::string_view) {});
  cache.EndMaterialize(true);
  EXPECT_EQ(cache.Lookup("a"), nullptr);  // materialized and clean: evicted at capacity 0
  ASSERT_NE(cache.Lookup("b"), nullptr);  // still pending from its second write
  size_t unmaterialized = 0;
  cache.Stage("b", "again");
  cache.ForEachUnmaterialized([&](std::string_view, bool, std::string_view) { ++unmaterialized; });
  EXPECT_EQ(unmaterialized, 1u);  // dirty and pending, visited once
  cache.MarkAllMaterialized();
  EXPECT_EQ(cache.size(), 0u);
}

TEST(RowCacheTest, FailedWriteKeepsRowsWhoseOlderValueIsOnlyJournaled) {
  RowCache cache(1 << 20);
  cache.Stage("k", "1");
  cache.MarkAllPending();
  cache.Stage("k", "2");
  cache.Stage("new", "3");
  cache.DropDirty();
  EXPECT_EQ(cache.Lookup("new"), nullptr);  // reads go back to LevelDB
  ASSERT_NE(cache.Lookup("k"), nullptr);    // LevelDB's row predates the journaled "1"
  EXPECT_EQ(cache.pending_count(), 1u);
}

TEST(RowCacheTest, StaysWithinCapacity) {
  RowCache cache(64 * 1024);
  for (int i = 0; i < 100000; ++i) {
    cache.Fill("key:" + std::to_string(i), std::string(100, 'x'));
    ASSERT_LE(cache.charge(), cache.capacity());
  }
  EXPECT_GT(cache.size(), 100u);
  EXPECT_NE(cache.Lookup("key:99999"), nullptr);
}

// A value that grows by a few bytes (dot counters gaining varint bytes)
// is rewritten in place: no reallocation, and the charge stays put.
TEST(RowCacheTest, AValueGrowingByAFewBytesKeepsItsEntry) {
  RowCache cache(1 << 20);
  cache.Stage("key", std::string(47, 'a'));
  const RowCache::Entry* before = cache.Lookup("key");
  ASSERT_NE(before, nullptr);
  const size_t charge = cache.charge();
  cache.Stage("key", std::string(55, 'b'));
  const RowCache::Entry* after = cache.Lookup("key");
  EXPECT_EQ(after, before);
  EXPECT_EQ(after->value(), std::string(55, 'b'));
  EXPECT_EQ(cache.charge(), charge);
  cache.Stage("key", std::string(4000, 'c'));  // far past the slack: a new entry
  EXPECT_EQ(cache.Lookup("key")->value(), std::string(4000, 'c'));
  EXPECT_GT(cache.charge(), charge);
}

TEST(RowCacheTest, ReportsTheShareOfTheCapacityPinnedRowsTake) {
  RowCache cache(64 * 1024);
  const std::string value(100, 'x');
  for (int i = 0; i < 1000; ++i) cache.Fill("clean:" + std::to_string(i), value);
  EXPECT_EQ(cache.pinned_share(), 0.0);
  EXPECT_GT(cache.fill_share(), 0.9);  // clean rows fill the cache
  EXPECT_LE(cache.fill_share(), 1.0);
  int staged = 0;
  while (cache.pinned_share() < 0.5) {
    cache.Stage("pinned:" + std::to_string(staged++), value);
    ASSERT_LT(staged, 1000);
  }
  // Each row charges a little over 100 bytes: half of 64 KiB is a few hundred rows.
  EXPECT_GT(staged, 150);
  EXPECT_LT(staged, 330);
  EXPECT_EQ(cache.dirty_count(), static_cast<size_t>(staged));
  cache.MarkAllPending();
  EXPECT_GE(cache.pinned_share(), 0.5);
  CommitAndMaterialize(cache);
  EXPECT_EQ(cache.pinned_share(), 0.0);
}

TEST(RowCacheTest, PinnedRowsCanTakeMoreThanTheCapacity) {
  RowCache cache(4 * 1024);
  for (int i = 0; i < 200; ++i) cache.Stage("pinned:" + std::to_string(i), std::string(100, 'x'));
  EXPECT_EQ(cache.size(), 200u);  // none evicted
  EXPECT_GT(cache.pinned_share(), 1.0);
  EXPECT_GT(cache.fill_share(), 1.0);
}

// Random operations against a model: a cached answer must agree with the model
// (the cache may forget clean rows, never lie), and staged rows are never lost.
TEST(RowCacheTest, AgreesWithModelUnderChurn) {
  RowCache cache(16 * 1024);
  std::map<std::string, std::pair<bool, std::string>> model;  // present, value
  std::map<std::string, bool> staged;
  std::mt19937 rng(42);
  for (int step = 0; step < 200000; ++step) {
    std::string key = "k" + std::to_string(rng() % 3000);
    std::string value(rng() % 40, static_cast<char>('a' + rng() % 26));
    switch (rng() % 5) {
      case 0:
        if (!staged.count(key)) {
          cache.Fill(key, value);
          model[key] = {true, value};
        }
        break;
      case 1:
      case 2:
        cache.Stage(key, value);
        model[key] = {true, value};
        staged[key] = true;
        break;
      case 3:
        cache.StageAbsent(key);
        model[key] = {false, ""};
        staged[key] = true;
        break;
      case 4:
        if (rng() % 50 == 0) {
          CommitAndMaterialize(cache);
          staged.clear();
        }
        break;
    }
    for (const auto& [k, unused] : staged) ASSERT_NE(cache.Lookup(k), nullptr) << k;
    std::string probe = "k" + std::to_string(rng() % 3000);
    const RowCache::Entry* e = cache.Lookup(probe);
    if (e == nullptr) continue;
    ASSERT_TRUE(model.count(probe)) << probe;
    ASSERT_EQ(e->present, model[probe].first);
    if (e->present) {
      ASSERT_EQ(e->value(), model[probe].second);
    }
  }
}

}  // namespace
}  // namespace ringkv::storage

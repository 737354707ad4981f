#include "storage/key_filter.h"

#include <gtest/gtest.h>
#include <leveldb/write_batch.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "storage/engine.h"
#include "storage/record.h"
#include "tests/util/temp_dir.h"

namespace ringkv::storage {
namespace {

std::vector<std::string> RandomKeys(size_t n, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<std::string> keys;
  keys.reserve(n);
  for (size_t i = 0; i < n; ++i) keys.push_back("key:" + std::to_string(rng()));
  return keys;
}

TEST(KeyFilterTest, EmptyFilterContainsNothing) {
  KeyFilter filter(1 << 16);
  for (const std::string& key : RandomKeys(10000, 1)) {
    ASSERT_FALSE(filter.MayContain(KeyFilter::Hash(key))) << key;
  }
  EXPECT_EQ(filter.distinct_adds(), 0u);
  EXPECT_FALSE(filter.ready());
  filter.MarkReady();
  EXPECT_TRUE(filter.ready());
}

TEST(KeyFilterTest, SizeRoundsUpToWholeBlocks) {
  EXPECT_EQ(KeyFilter(1).bits(), 512u);
  EXPECT_EQ(KeyFilter(513).bits(), 1024u);
  EXPECT_EQ(KeyFilter(1 << 20).bytes(), (1u << 20) / 8);
}

TEST(KeyFilterTest, NoFalseNegatives) {
  const std::vector<std::string> keys = RandomKeys(100000, 2);
  KeyFilter filter(keys.size() * KeyFilter::kBitsPerKey);
  for (const std::string& key : keys) filter.Add(KeyFilter::Hash(key));
  for (const std::string& key : keys) {
    ASSERT_TRUE(filter.MayContain(KeyFilter::Hash(key))) << key;
  }
}

TEST(KeyFilterTest, AddReportsWhetherTheFilterChanged) {
  KeyFilter filter(1 << 16);
  const uint64_t hash = KeyFilter::Hash("a");
  EXPECT_TRUE(filter.Add(hash));
  EXPECT_FALSE(filter.Add(hash));
  EXPECT_EQ(filter.distinct_adds(), 1u);
  EXPECT_TRUE(filter.Add(KeyFilter::Hash("b")));
  EXPECT_EQ(filter.distinct_adds(), 2u);
}

TEST(KeyFilterTest, FalsePositiveRateAtDesignedLoad) {
  const uint64_t bits = 1 << 20;
  KeyFilter filter(bits);
  const std::vector<std::string> added = RandomKeys(bits / KeyFilter::kBitsPerKey, 3);
  for (const std::string& key : added) filter.Add(KeyFilter::Hash(key));
  // Some of the adds collide with keys already reported present: those are
  // not counted, so the filter is just at (not over) its designed load.
  EXPECT_FALSE(filter.full());
  EXPECT_GT(filter.distinct_adds(), added.size() * 99 / 100);

  const std::vector<std::string> others = RandomKeys(200000, 4);
  size_t false_positives = 0;
  for (const std::string& key : others) false_positives += filter.MayContain(KeyFilter::Hash(key));
  // Designed for ~0.5% at 12 bits per key.
  EXPECT_LT(false_positives, others.size() / 100) << false_positives;
  EXPECT_GT(false_positives, 0u);  // a bloom filter at load is not exact

  for (const std::string& key : RandomKeys(added.size() / 4, 5)) filter.Add(KeyFilter::Hash(key));
  EXPECT_TRUE(filter.full());
}

TEST(KeyFilterTest, OverfullFilterStillHasNoFalseNegatives) {
  KeyFilter filter(512);
  const std::vector<std::string> keys = RandomKeys(5000, 6);
  for (const std::string& key : keys) filter.Add(KeyFilter::Hash(key));
  EXPECT_TRUE(filter.full());
  for (const std::string& key : keys) ASSERT_TRUE(filter.MayContain(KeyFilter::Hash(key)));
  size_t maybe = 0;
  for (const std::string& key : RandomKeys(1000, 7))
    maybe += filter.MayContain(KeyFilter::Hash(key));
  EXPECT_GT(maybe, 900u);  // degrades towards "always maybe"
}

TEST(KeyFilterTest, ConcurrentAddsWhileQuerying) {
  const std::vector<std::string> keys = RandomKeys(100000, 8);
  std::vector<uint64_t> hashes;
  for (const std::string& key : keys) hashes.push_back(KeyFilter::Hash(key));
  KeyFilter filter(keys.size() * KeyFilter::kBitsPerKey);
  std::atomic<size_t> added{0};
  std::thread writer([&] {
    for (size_t i = 0; i < hashes.size(); ++i) {
      filter.Add(hashes[i]);
      added.store(i + 1, std::memory_order_release);
    }
  });
  // Every hash the writer has published as added must be seen, while it goes
  // on adding others to the same blocks.
  size_t checked = 0;
  while (checked < hashes.size()) {
    const size_t limit = added.load(std::memory_order_acquire);
    for (; checked < limit; ++checked) ASSERT_TRUE(filter.MayContain(hashes[checked])) << checked;
  }
  writer.join();
  for (uint64_t hash : hashes) ASSERT_TRUE(filter.MayContain(hash));
}

class EngineKeyFilterTest : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = testing::UniqueTempDir("ringkv-kf-"); }
  void TearDown() override {
    engine_.reset();
    std::filesystem::remove_all(dir_);
  }
  void Open(uint64_t filter_bits = uint64_t{1} << 20) {
    engine_.reset();
    EngineOptions options;
    options.dir = dir_.string();
    options.sync_mode = SyncMode::kNo;
    options.key_filter_bits = filter_bits;
    ASSERT_TRUE(Engine::Open(options, &engine_).ok());
  }
  void Put(const std::vector<std::string>& keys, size_t per_batch = 500) {
    leveldb::WriteBatch batch;
    for (size_t i = 0; i < keys.size(); ++i) {
      batch.Put(keys[i], "v" + keys[i]);
      if ((i + 1) % per_batch == 0 || i + 1 == keys.size()) {
        ASSERT_TRUE(engine_->Write(&batch).ok());
        batch.Clear();
      }
    }
  }
  // Waits up to 10 seconds for `done`.
  static bool WaitFor(const std::function<bool()>& done) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (!done()) {
      if (std::chrono::steady_clock::now() > deadline) return false;
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    return true;
  }
  void ExpectFound(const std::vector<std::string>& keys) {
    std::string value;
    for (const std::string& key : keys) {
      ASSERT_TRUE(engine_->Get(key, &value).ok()) << key;
      ASSERT_EQ(value, "v" + key);
    }
  }
  // How many of `keys` (never written) the filter alone answered.
  size_t NegativesFor(const std::vector<std::string>& keys) {
    const uint64_t before = engine_->key_filter_negatives();
    std::string value;
    for (const std::string& key : keys) EXPECT_TRUE(engine_->Get(key, &value).IsNotFound()) << key;
    return engine_->key_filter_negatives() - before;
  }

  std::filesystem::path dir_;
  std::unique_ptr<Engine> engine_;
};

TEST_F(EngineKeyFilterTest, ReopenScansExistingKeys) {
  Open();
  const std::vector<std::string> old_keys = RandomKeys(5000, 10);
  Put(old_keys);
  Open();
  ASSERT_TRUE(WaitFor([&] { return engine_->key_filter_ready(); }));
  ExpectFound(old_keys);
  const std::vector<std::string> never = RandomKeys(1000, 11);
  EXPECT_GT(NegativesFor(never), 950u);
  EXPECT_LT(engine_->key_filter_false_positives(), 50u);
  EXPECT_EQ(engine_->key_filter_bytes(), (1u << 20) / 8);
}

TEST_F(EngineKeyFilterTest, JournalRecordsStayOutOfTheFilterAndAreStillFound) {
  Open();
  leveldb::WriteBatch batch;
  for (uint64_t seq = 1; seq <= 1000; ++seq) batch.Put(JournalKey(seq), "record");
  ASSERT_TRUE(engine_->Write(&batch).ok());
  Open();  // the startup scan skips them too
  ASSERT_TRUE(WaitFor([&] { return engine_->key_filter_ready(); }));
  std::string value;
  const uint64_t negatives = engine_->key_filter_negatives();
  for (uint64_t seq = 1; seq <= 1000; ++seq) {
    ASSERT_TRUE(engine_->Get(JournalKey(seq), &value).ok()) << seq;
  }
  EXPECT_TRUE(engine_->Get(JournalKey(5000), &value).IsNotFound());
  EXPECT_EQ(engine_->key_filter_negatives(), negatives);  // journal keys bypass the filter
  // An empty filter: it answers every other never-written key alone.
  EXPECT_EQ(NegativesFor(RandomKeys(100, 12)), 100u);
}

TEST_F(EngineKeyFilterTest, GetsBeforeTheScanIsReadyAreCorrect) {
  Open();
  const std::vector<std::string> old_keys = RandomKeys(20000, 12);
  Put(old_keys, 5000);
  Open();
  // Usually still scanning 20000 keys here; correct either way.
  const bool ready_at_first = engine_->key_filter_ready();
  ExpectFound({old_keys.begin(), old_keys.begin() + 100});
  std::string value;
  EXPECT_TRUE(engine_->Get("never-written", &value).IsNotFound());
  if (!ready_at_first) {
    EXPECT_EQ(engine_->key_filter_negatives(), 0u);
  }
  ASSERT_TRUE(WaitFor([&] { return engine_->key_filter_ready(); }));
  ExpectFound(old_keys);
}

TEST_F(EngineKeyFilterTest, KeysWrittenDuringTheScanAreFound) {
  Open();
  Put(RandomKeys(20000, 13), 5000);
  Open();
  const std::vector<std::string> new_keys = RandomKeys(2000, 14);
  Put(new_keys, 100);
  ASSERT_TRUE(WaitFor([&] { return engine_->key_filter_ready(); }));
  ExpectFound(new_keys);
  // And through the writer thread.
  const std::vector<std::string> async_keys = RandomKeys(1000, 15);
  leveldb::WriteBatch batch;
  for (const std::string& key : async_keys) batch.Put(key, "v" + key);
  CommitJob job;
  job.batch = &batch;
  engine_->CommitAsync(job);
  ASSERT_TRUE(engine_->FinishAsync().ok());
  ExpectFound(async_keys);
}

TEST_F(EngineKeyFilterTest, DeletedKeysAreNotFound) {
  Open();
  ASSERT_TRUE(WaitFor([&] { return engine_->key_filter_ready(); }));
  Put({"a", "b"});
  leveldb::WriteBatch batch;
  batch.Delete("a");
  ASSERT_TRUE(engine_->Write(&batch).ok());
  std::string value;
  EXPECT_TRUE(engine_->Get("a", &value).IsNotFound());
  EXPECT_EQ(engine_->key_filter_false_positives(), 1u);  // its bit stays
  EXPECT_TRUE(engine_->Get("b", &value).ok());
}

TEST_F(EngineKeyFilterTest, GrowsWhenFull) {
  Open(/*filter_bits=*/8192);  // full past 682 keys
  ASSERT_TRUE(WaitFor([&] { return engine_->key_filter_ready(); }));
  const uint64_t initial_bytes = engine_->key_filter_bytes();
  std::vector<std::string> keys = RandomKeys(20000, 16);
  // Small batches so that many land while a rebuild is scanning.
  Put(keys, 50);
  ExpectFound(keys);
  const std::vector<std::string> never = RandomKeys(1000, 17);
  // Once grown to fit 20000 keys, the filter answers most misses alone again
  // (the 8192-bit one would let ~95% of them through).
  ASSERT_TRUE(WaitFor([&] { return NegativesFor(never) > 950; }));
  EXPECT_GE(engine_->key_filter_rebuilds(), 1u);
  EXPECT_GE(engine_->key_filter_bytes() * 8, keys.size() * KeyFilter::kBitsPerKey);
  EXPECT_GT(engine_->key_filter_bytes(), initial_bytes);
  ExpectFound(keys);
  // Reopening starts from the configured size and grows again in one step.
  Open(8192);
  ASSERT_TRUE(WaitFor([&] { return NegativesFor(never) > 950; }));
  ExpectFound(keys);
}

TEST_F(EngineKeyFilterTest, KeysWrittenDuringARebuildAreFound) {
  Open();
  const std::vector<std::string> old_keys = RandomKeys(30000, 18);
  Put(old_keys, 5000);
  // The initial scan overfills this filter, so a rebuild (a second scan of
  // 30000 keys) starts at once; it has begun when a second filter is counted.
  Open(/*filter_bits=*/8192);
  ASSERT_TRUE(WaitFor([&] { return engine_->key_filter_bytes() > 1024; }));
  const std::vector<std::string> new_keys = RandomKeys(300, 19);
  Put(new_keys, 1);
  ASSERT_TRUE(WaitFor([&] { return engine_->key_filter_rebuilds() >= 1; }));
  ExpectFound(new_keys);
  ExpectFound(old_keys);
}

TEST_F(EngineKeyFilterTest, DisabledFilterReadsLevelDB) {
  Open(/*filter_bits=*/0);
  Put({"a"});
  std::string value;
  EXPECT_TRUE(engine_->Get("a", &value).ok());
  EXPECT_TRUE(engine_->Get("z", &value).IsNotFound());
  EXPECT_FALSE(engine_->key_filter_ready());
  EXPECT_EQ(engine_->key_filter_negatives(), 0u);
  EXPECT_EQ(engine_->key_filter_bytes(), 0u);
}

}  // namespace
}  // namespace ringkv::storage

#include "storage/keyspace.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <vector>

#include "tests/util/temp_dir.h"

namespace ringkv::storage {
namespace {

class KeyspaceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = testing::UniqueTempDir("ringkv-ks-");
    Reopen();
  }
  void TearDown() override {
    keyspace_.reset();
    engine_.reset();
    std::filesystem::remove_all(dir_);
  }
  void Reopen() {
    if (keyspace_) {
      ASSERT_TRUE(keyspace_->Commit().ok());
    }
    keyspace_.reset();
    engine_.reset();
    EngineOptions options;
    options.dir = dir_.string();
    options.sync_mode = SyncMode::kNo;
    ASSERT_TRUE(Engine::Open(options, &engine_).ok());
    keyspace_ = std::make_unique<Keyspace>(engine_.get(), 16, 1 << 20);
    ASSERT_TRUE(keyspace_->Open().ok());
  }
  void PutString(int db, std::string_view key, std::string_view value, int64_t expire = 0) {
    KeyRecord old, rec;
    const bool existed = keyspace_->Find(db, key, now_, &old).ok();
    rec.type = ValueType::kString;
    rec.value.assign(value);
    rec.expire_ms = expire;
    keyspace_->Write(db, key, rec, existed ? &old : nullptr);
  }
  bool Has(int db, std::string_view key) {
    KeyRecord rec;
    return keyspace_->Find(db, key, now_, &rec).ok();
  }

  std::filesystem::path dir_;
  std::unique_ptr<Engine> engine_;
  std::unique_ptr<Keyspace> keyspace_;
  int64_t now_ = 1'000'000;
};

TEST_F(KeyspaceTest, CountsKeysAndExpires) {
  PutString(0, "a", "1");
  PutString(0, "b", "2", now_ + 1000);
  PutString(0, "a", "3");  // overwrite: still one key
  EXPECT_EQ(keyspace_->Stats(0).keys, 2u);
  EXPECT_EQ(keyspace_->Stats(0).expires, 1u);
  PutString(0, "b", "2");  // overwrite without expiry drops the expire count
  EXPECT_EQ(keyspace_->Stats(0).expires, 0u);
  KeyRecord rec;
  ASSERT_TRUE(keyspace_->Find(0, "a", now_, &rec).ok());
  EXPECT_EQ(rec.value, "3");
  keyspace_->Remove(0, "a", rec);
  EXPECT_EQ(keyspace_->Stats(0).keys, 1u);
  EXPECT_FALSE(Has(0, "a"));
}

// rows_staged() tells the coordinator whether a command changed anything:
// writes and deletes move it, reads do not, and it survives commits.
TEST_F(KeyspaceTest, RowsStagedCountsWritesNotReads) {
  const uint64_t start = keyspace_->rows_staged();
  PutString(0, "a", "1");
  const uint64_t after_write = keyspace_->rows_staged();
  EXPECT_GT(after_write, start);
  EXPECT_TRUE(Has(0, "a"));
  EXPECT_FALSE(Has(0, "missing"));
  EXPECT_EQ(keyspace_->rows_staged(), after_write);
  ASSERT_TRUE(keyspace_->Commit().ok());
  EXPECT_EQ(keyspace_->rows_staged(), after_write);
  KeyRecord record;
  ASSERT_TRUE(keyspace_->Find(0, "a", now_, &record).ok());
  keyspace_->Remove(0, "a", record);
  const uint64_t after_remove = keyspace_->rows_staged();
  EXPECT_GT(after_remove, after_write);
  keyspace_->FlushDb(1);
  EXPECT_GT(keyspace_->rows_staged(), after_remove);
  const uint64_t after_flush = keyspace_->rows_staged();
  keyspace_->SwapDb(0, 1);
  EXPECT_GT(keyspace_->rows_staged(), after_flush);
}

TEST_F(KeyspaceTest, LazyExpiryRemovesOnAccess) {
  PutString(0, "k", "v", now_ + 10);
  EXPECT_TRUE(Has(0, "k"));
  now_ += 10;
  EXPECT_FALSE(Has(0, "k"));
  EXPECT_EQ(keyspace_->Stats(0).keys, 0u);
  EXPECT_EQ(keyspace_->Stats(0).expires, 0u);
  EXPECT_EQ(keyspace_->expired_keys(), 1u);
}

TEST_F(KeyspaceTest, ActiveExpiryUsesTheIndex) {
  for (int i = 0; i < 100; ++i) PutString(0, "t" + std::to_string(i), "v", now_ + i);
  PutString(0, "forever", "v");
  ASSERT_TRUE(keyspace_->Commit().ok());
  // Keys t0..t49 are due at now_+49; the sweep removes exactly those.
  EXPECT_EQ(keyspace_->ActiveExpireCycle(now_ + 49, 1000), 50u);
  EXPECT_EQ(keyspace_->Stats(0).keys, 51u);
  EXPECT_EQ(keyspace_->Stats(0).expires, 50u);
  // A bounded budget stops early.
  EXPECT_EQ(keyspace_->ActiveExpireCycle(now_ + 1000, 10), 10u);
}

TEST_F(KeyspaceTest, ChangingExpiryMovesTheIndexEntry) {
  PutString(0, "k", "v", now_ + 10);
  KeyRecord old, rec;
  ASSERT_TRUE(keyspace_->Find(0, "k", now_, &old).ok());
  rec = old;
  rec.expire_ms = now_ + 100000;
  keyspace_->Write(0, "k", rec, &old);
  ASSERT_TRUE(keyspace_->Commit().ok());
  EXPECT_EQ(keyspace_->ActiveExpireCycle(now_ + 50, 100), 0u);
  EXPECT_TRUE(Has(0, "k"));
}

TEST_F(KeyspaceTest, HashFieldsAreRemovedWithTheKey) {
  KeyRecord rec;
  rec.type = ValueType::kHash;
  rec.field_count = 2;
  keyspace_->PutField(0, "h", "f1", "v1");
  keyspace_->PutField(0, "h", "f2", "v2");
  keyspace_->Write(0, "h", rec, nullptr);
  std::string value;
  ASSERT_TRUE(keyspace_->GetField(0, "h", "f2", &value).ok());
  EXPECT_EQ(value, "v2");
  // Overwriting the hash with a string drops its fields.
  PutString(0, "h", "now a string");
  EXPECT_TRUE(keyspace_->GetField(0, "h", "f1", &value).IsNotFound());
  int fields = 0;
  keyspace_->ForEachField(0, "h", 0, [&](uint64_t, std::string_view, std::string_view) {
    ++fields;
    return true;
  });
  EXPECT_EQ(fields, 0);
}

// MEMORY USAGE's figure: a key's stored rows, growing with its value and its
// fields, and estimated from a sample of a hash's fields.
TEST_F(KeyspaceTest, StoredBytesCountsTheKeyRowAndEachFieldRow) {
  EXPECT_EQ(keyspace_->StoredBytes(0, "missing", 5), 0u);
  PutString(0, "s", "x");
  const uint64_t small = keyspace_->StoredBytes(0, "s", 5);
  PutString(0, "s", std::string(1000, 'x'));
  const uint64_t big = keyspace_->StoredBytes(0, "s", 5);
  EXPECT_GE(big, small + 999);
  EXPECT_LE(big, small + 1010);  // a few bytes of length prefixes at most

  KeyRecord rec;
  rec.type = ValueType::kHash;
  rec.field_count = 10;
  for (int i = 0; i < 10; ++i) {
    keyspace_->PutField(0, "h", "field" + std::to_string(i), std::string(100, 'v'));
  }
  keyspace_->Write(0, "h", rec, nullptr);
  const uint64_t all = keyspace_->StoredBytes(0, "h", 0);  // 0: every row
  EXPECT_GE(all, 10u * 105);
  EXPECT_EQ(keyspace_->StoredBytes(0, "h", 100), all);
  // Equal-sized fields: two sampled rows extrapolate to the same total.
  EXPECT_EQ(keyspace_->StoredBytes(0, "h", 2), all);
}

std::vector<std::string> FieldsInOrder(Keyspace* ks, std::string_view key) {
  std::vector<std::string> fields;
  ks->ForEachFieldInInsertionOrder(0, key, [&](uint64_t, std::string_view f, std::string_view) {
    fields.emplace_back(f);
    return true;
  });
  return fields;
}

TEST_F(KeyspaceTest, SmallHashKeepsInsertionOrderAcrossUpdatesAndReopen) {
  for (const char* f : {"zeta", "alpha", "mid"}) keyspace_->SetField(0, "h", f, "1");
  EXPECT_FALSE(keyspace_->SetField(0, "h", "alpha", "2"));  // an update keeps its place
  EXPECT_EQ(FieldsInOrder(keyspace_.get(), "h"),
            (std::vector<std::string>{"zeta", "alpha", "mid"}));
  keyspace_->DeleteField(0, "h", "zeta");
  EXPECT_TRUE(keyspace_->SetField(0, "h", "zeta", "3"));  // re-added: goes last
  Reopen();
  keyspace_->SetField(0, "h", "after-restart", "4");  // the sequence survives restarts
  EXPECT_EQ(FieldsInOrder(keyspace_.get(), "h"),
            (std::vector<std::string>{"alpha", "mid", "zeta", "after-restart"}));
}

TEST_F(KeyspaceTest, BigHashIsVisitedWholeInHashOrder) {
  const size_t n = Keyspace::kInsertionOrderedFields + 10;
  for (size_t i = 0; i < n; ++i) keyspace_->SetField(0, "big", "f" + std::to_string(i), "v");
  std::vector<uint64_t> hashes;
  keyspace_->ForEachFieldInInsertionOrder(0, "big",
                                          [&](uint64_t hash, std::string_view, std::string_view) {
                                            hashes.push_back(hash);
                                            return true;
                                          });
  ASSERT_EQ(hashes.size(), n);
  EXPECT_TRUE(std::is_sorted(hashes.begin(), hashes.end()));
}

TEST_F(KeyspaceTest, ForEachKeyVisitsLiveKeysInHashOrder) {
  for (int i = 0; i < 200; ++i) PutString(0, "k" + std::to_string(i), "v");
  PutString(0, "dead", "v", now_ + 1);
  uint64_t last = 0;
  int seen = 0;
  keyspace_->ForEachKey(0, 0, now_ + 5, [&](uint64_t hash, std::string_view key, const KeyRecord&) {
    EXPECT_GE(hash, last);
    EXPECT_EQ(hash, KeyHash(key));
    EXPECT_NE(key, "dead");
    last = hash;
    ++seen;
    return true;
  });
  EXPECT_EQ(seen, 200);
}

TEST_F(KeyspaceTest, FlushIsImmediateAndReclaimedInBackground) {
  for (int i = 0; i < 500; ++i) PutString(3, "k" + std::to_string(i), "v", i % 2 ? now_ + 99 : 0);
  PutString(4, "other", "v");
  keyspace_->FlushDb(3);
  EXPECT_EQ(keyspace_->Stats(3).keys, 0u);
  EXPECT_FALSE(Has(3, "k1"));
  EXPECT_TRUE(Has(4, "other"));
  EXPECT_TRUE(keyspace_->reclaim_pending());
  while (keyspace_->ReclaimStep(100)) ASSERT_TRUE(keyspace_->Commit().ok());
  ASSERT_TRUE(keyspace_->Commit().ok());
  // Nothing of the old physical database is left in LevelDB.
  auto it = engine_->NewIterator();
  int entries = 0;
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    if (it->key()[0] != 'N') ++entries;
  }
  EXPECT_EQ(entries, 1);  // db 4's "other"
}

TEST_F(KeyspaceTest, SwapDbAndCountersSurviveReopen) {
  PutString(0, "zero", "v");
  PutString(1, "one", "v", now_ + 100000);
  PutString(1, "uno", "v");
  keyspace_->SwapDb(0, 1);
  EXPECT_TRUE(Has(0, "one"));
  EXPECT_TRUE(Has(1, "zero"));
  Reopen();
  EXPECT_TRUE(Has(0, "one"));
  EXPECT_TRUE(Has(1, "zero"));
  EXPECT_EQ(keyspace_->Stats(0).keys, 2u);
  EXPECT_EQ(keyspace_->Stats(0).expires, 1u);
  EXPECT_EQ(keyspace_->Stats(1).keys, 1u);
}

TEST_F(KeyspaceTest, StagedWritesAreVisibleBeforeCommit) {
  PutString(0, "k", "v1");
  EXPECT_TRUE(keyspace_->has_staged());
  PutString(0, "k", "v2");
  KeyRecord rec;
  ASSERT_TRUE(keyspace_->Find(0, "k", now_, &rec).ok());
  EXPECT_EQ(rec.value, "v2");
  ASSERT_TRUE(keyspace_->Commit().ok());
  EXPECT_FALSE(keyspace_->has_staged());
  Reopen();
  ASSERT_TRUE(keyspace_->Find(0, "k", now_, &rec).ok());
  EXPECT_EQ(rec.value, "v2");
}

TEST_F(KeyspaceTest, PipelinedCommitKeepsWritesVisibleAndCountsGenerations) {
  const uint64_t start = keyspace_->durable_generation();
  EXPECT_EQ(keyspace_->write_generation(), start);  // nothing staged
  PutString(0, "a", "1");
  EXPECT_EQ(keyspace_->write_generation(), start + 1);
  ASSERT_TRUE(keyspace_->StartCommit());
  EXPECT_TRUE(keyspace_->commit_in_flight());
  EXPECT_FALSE(keyspace_->StartCommit());  // one at a time
  // Writes go on while the batch is written: staged afresh, all readable.
  PutString(0, "a", "2");
  PutString(0, "b", "3");
  EXPECT_EQ(keyspace_->write_generation(), start + 2);
  KeyRecord rec;
  ASSERT_TRUE(keyspace_->Find(0, "a", now_, &rec).ok());
  EXPECT_EQ(rec.value, "2");
  ASSERT_TRUE(keyspace_->FinishCommit(/*wait=*/true).ok());
  EXPECT_FALSE(keyspace_->commit_in_flight());
  EXPECT_EQ(keyspace_->durable_generation(), start + 1);
  // A synchronous commit covers the rest.
  ASSERT_TRUE(keyspace_->Commit().ok());
  EXPECT_EQ(keyspace_->durable_generation(), start + 2);
  EXPECT_EQ(keyspace_->write_generation(), start + 2);
  Reopen();
  ASSERT_TRUE(keyspace_->Find(0, "a", now_, &rec).ok());
  EXPECT_EQ(rec.value, "2");
  ASSERT_TRUE(keyspace_->Find(0, "b", now_, &rec).ok());
  EXPECT_EQ(rec.value, "3");
}

TEST_F(KeyspaceTest, CommitAndIterationWaitForTheCommitInFlight) {
  for (int i = 0; i < 500; ++i) PutString(0, "k" + std::to_string(i), "v");
  ASSERT_TRUE(keyspace_->StartCommit());
  PutString(0, "late", "v");
  // Iterating needs everything in LevelDB: the in-flight batch and the rest.
  size_t seen = 0;
  keyspace_->ForEachKey(0, 0, now_, [&](uint64_t, std::string_view, const KeyRecord&) {
    ++seen;
    return true;
  });
  EXPECT_EQ(seen, 501u);
  EXPECT_FALSE(keyspace_->commit_in_flight());
  EXPECT_FALSE(keyspace_->has_staged());
}

}  // namespace
}  // namespace ringkv::storage

// Two replicas' keyspaces exchanging causal state (ExportKey / MergeKey), as the
// coordinator and read repair do over the network.
#include <gtest/gtest.h>

#include <filesystem>
#include <random>

#include "storage/keyspace.h"

namespace ringkv::storage {
namespace {

struct Replica {
  std::filesystem::path dir;
  std::unique_ptr<Engine> engine;
  std::unique_ptr<Keyspace> keyspace;
};

class KeyspaceReplicationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::random_device rd;
    for (int i = 0; i < 2; ++i) {
      Replica& r = replicas_[i];
      r.dir = std::filesystem::temp_directory_path() /
              ("ringkv-rep-" + std::to_string(rd()) + "-" + std::to_string(i));
      EngineOptions options;
      options.dir = r.dir.string();
      options.sync_mode = SyncMode::kNo;
      ASSERT_TRUE(Engine::Open(options, &r.engine).ok());
      r.keyspace = std::make_unique<Keyspace>(r.engine.get(), 16, 1 << 20);
      ASSERT_TRUE(r.keyspace->Open().ok());
      r.keyspace->set_actor({"node" + std::to_string(i + 1), 1});
      r.keyspace->set_keep_tombstones(true);
      r.keyspace->set_now_ms(now_);
    }
  }
  void TearDown() override {
    for (Replica& r : replicas_) {
      r.keyspace.reset();
      r.engine.reset();
      std::filesystem::remove_all(r.dir);
    }
  }
  Keyspace& ks(int i) { return *replicas_[i].keyspace; }

  void Set(int i, std::string_view key, std::string_view value, int64_t expire = 0) {
    KeyRecord old, rec;
    const bool existed = ks(i).Find(0, key, now_, &old).ok();
    rec.value.assign(value);
    rec.expire_ms = expire;
    ks(i).Write(0, key, rec, existed ? &old : nullptr);
  }
  void Del(int i, std::string_view key) {
    KeyRecord old;
    if (ks(i).Find(0, key, now_, &old).ok()) ks(i).Remove(0, key, old);
  }
  void HSet(int i, std::string_view key, std::string_view field, std::string_view value) {
    KeyRecord old, rec;
    const bool existed = ks(i).Find(0, key, now_, &old).ok();
    rec.type = ValueType::kHash;
    rec.field_count = existed ? old.field_count : 0;
    if (ks(i).SetField(0, key, field, value)) ++rec.field_count;
    ks(i).Write(0, key, rec, existed ? &old : nullptr);
  }
  std::string Get(int i, std::string_view key) {
    KeyRecord rec;
    return ks(i).Find(0, key, now_, &rec).ok() ? rec.value : "(nil)";
  }
  // Sends replica `from`'s state of `key` to replica `to`.
  bool Sync(int from, int to, std::string_view key) {
    Keyspace::KeyState state;
    EXPECT_TRUE(ks(from).ExportKey(0, key, &state).ok());
    bool changed = false;
    EXPECT_TRUE(ks(to).MergeKey(0, key, state, &changed).ok());
    return changed;
  }
  void Tick(int64_t ms) {
    now_ += ms;
    for (Replica& r : replicas_) r.keyspace->set_now_ms(now_);
  }

  int64_t now_ = 1'700'000'000'000;
  Replica replicas_[2];
};

TEST_F(KeyspaceReplicationTest, AWriteReachesTheOtherReplica) {
  Set(0, "k", "v1");
  EXPECT_EQ(Get(1, "k"), "(nil)");
  EXPECT_TRUE(Sync(0, 1, "k"));
  EXPECT_EQ(Get(1, "k"), "v1");
  EXPECT_EQ(ks(1).Stats(0).keys, 1u);
  EXPECT_FALSE(Sync(0, 1, "k"));  // idempotent
  EXPECT_FALSE(Sync(1, 0, "k"));  // nothing new the other way
}

TEST_F(KeyspaceReplicationTest, ConcurrentWritesBecomeSiblingsAndTheLaterOneShows) {
  Set(0, "k", "from-node1");
  Tick(5);
  Set(1, "k", "from-node2");
  EXPECT_TRUE(Sync(0, 1, "k"));
  EXPECT_TRUE(Sync(1, 0, "k"));
  EXPECT_EQ(Get(0, "k"), "from-node2");
  EXPECT_EQ(Get(1, "k"), "from-node2");
  EXPECT_EQ(ks(0).keys_with_siblings(), 1u);
  EXPECT_EQ(ks(1).keys_with_siblings(), 1u);
  EXPECT_EQ(ks(0).Stats(0).keys, 1u);
  // A plain write at one replica supersedes both siblings there and, once
  // synced, everywhere.
  Tick(5);
  Set(0, "k", "resolved");
  EXPECT_EQ(ks(0).keys_with_siblings(), 0u);
  EXPECT_TRUE(Sync(0, 1, "k"));
  EXPECT_EQ(Get(1, "k"), "resolved");
  EXPECT_EQ(ks(1).keys_with_siblings(), 0u);
}

TEST_F(KeyspaceReplicationTest, ADeleteIsATombstoneThatAnOlderValueCannotUndo) {
  Set(0, "k", "old");
  ASSERT_TRUE(Sync(0, 1, "k"));
  Tick(1);
  Del(0, "k");
  EXPECT_EQ(ks(0).Stats(0).keys, 0u);
  // Replica 2 still holds "old" and offers it back: the tombstone wins.
  EXPECT_FALSE(Sync(1, 0, "k"));
  EXPECT_EQ(Get(0, "k"), "(nil)");
  EXPECT_TRUE(Sync(0, 1, "k"));
  EXPECT_EQ(Get(1, "k"), "(nil)");
  EXPECT_EQ(ks(1).Stats(0).keys, 0u);
  // A later write brings the key back on both.
  Tick(1);
  Set(1, "k", "new");
  EXPECT_TRUE(Sync(1, 0, "k"));
  EXPECT_EQ(Get(0, "k"), "new");
  EXPECT_EQ(ks(0).Stats(0).keys, 1u);
}

TEST_F(KeyspaceReplicationTest, TwoClientsAddingItemsToOneCartBothWin) {
  HSet(0, "cart", "apple", "1");
  Tick(1);
  HSet(1, "cart", "pear", "2");
  Sync(0, 1, "cart");
  Sync(1, 0, "cart");
  for (int i = 0; i < 2; ++i) {
    KeyRecord rec;
    ASSERT_TRUE(ks(i).Find(0, "cart", now_, &rec).ok());
    EXPECT_EQ(rec.type, ValueType::kHash);
    EXPECT_EQ(rec.field_count, 2u);
    std::string v;
    EXPECT_TRUE(ks(i).GetField(0, "cart", "apple", &v).ok());
    EXPECT_EQ(v, "1");
    EXPECT_TRUE(ks(i).GetField(0, "cart", "pear", &v).ok());
    EXPECT_EQ(v, "2");
  }
}

TEST_F(KeyspaceReplicationTest, ADeletedFieldStaysDeletedAfterSync) {
  HSet(0, "cart", "apple", "1");
  HSet(0, "cart", "pear", "2");
  Sync(0, 1, "cart");
  KeyRecord old;
  ASSERT_TRUE(ks(0).Find(0, "cart", now_, &old).ok());
  ks(0).DeleteField(0, "cart", "apple");
  KeyRecord rec = old;
  rec.field_count = 1;
  ks(0).Write(0, "cart", rec, &old);
  Sync(1, 0, "cart");  // the stale replica offers the old apple back
  std::string v;
  EXPECT_TRUE(ks(0).GetField(0, "cart", "apple", &v).IsNotFound());
  Sync(0, 1, "cart");
  EXPECT_TRUE(ks(1).GetField(0, "cart", "apple", &v).IsNotFound());
  ASSERT_TRUE(ks(1).Find(0, "cart", now_, &rec).ok());
  EXPECT_EQ(rec.field_count, 1u);
}

TEST_F(KeyspaceReplicationTest, ExpiryTravelsWithTheValueAndCountsFollow) {
  Set(0, "k", "v", now_ + 1000);
  Sync(0, 1, "k");
  EXPECT_EQ(ks(1).Stats(0).expires, 1u);
  KeyRecord rec;
  ASSERT_TRUE(ks(1).Find(0, "k", now_, &rec).ok());
  EXPECT_EQ(rec.expire_ms, now_ + 1000);
  Tick(1001);
  EXPECT_EQ(Get(1, "k"), "(nil)");
  EXPECT_EQ(ks(1).Stats(0).keys, 0u);
  EXPECT_EQ(ks(1).Stats(0).expires, 0u);
}

TEST_F(KeyspaceReplicationTest, ExportRightAfterAWriteIsTheStoredState) {
  // The export that follows a write reuses the object the write just staged;
  // it must equal what decoding the stored row gives (another key's export
  // in between makes the second export of "k" read its row again).
  Set(0, "k", "v1");
  Set(0, "k", "v2", now_ + 5000);
  Keyspace::KeyState right_after, reread, other;
  ASSERT_TRUE(ks(0).ExportKey(0, "k", &right_after).ok());
  Set(0, "other", "x");
  ASSERT_TRUE(ks(0).ExportKey(0, "other", &other).ok());
  ASSERT_TRUE(ks(0).ExportKey(0, "k", &reread).ok());
  EXPECT_FALSE(right_after.key_object.empty());
  EXPECT_EQ(right_after.key_object, reread.key_object);
  EXPECT_NE(other.key_object, reread.key_object);
  bool changed = false;
  ASSERT_TRUE(ks(1).MergeKey(0, "k", right_after, &changed).ok());
  EXPECT_TRUE(changed);
  EXPECT_EQ(Get(1, "k"), "v2");
}

TEST_F(KeyspaceReplicationTest, CorruptStateChangesNothing) {
  Set(0, "k", "v");
  Keyspace::KeyState state;
  ASSERT_TRUE(ks(0).ExportKey(0, "k", &state).ok());
  state.key_object.pop_back();
  bool changed = true;
  EXPECT_FALSE(ks(1).MergeKey(0, "k", state, &changed).ok());
  EXPECT_FALSE(changed);
  EXPECT_EQ(Get(1, "k"), "(nil)");
  EXPECT_EQ(ks(1).Stats(0).keys, 0u);
}

TEST_F(KeyspaceReplicationTest, TombstonesAreReapedAfterTheGraceAndDotsAreNotReused) {
  Set(0, "k", "v1");
  Set(0, "k", "v2");
  HSet(0, "h", "f", "1");
  ASSERT_TRUE(Sync(0, 1, "k"));
  Del(0, "k");
  Del(0, "h");
  ASSERT_TRUE(Sync(0, 1, "k"));
  causal::Object object;
  uint64_t field_count;
  ASSERT_TRUE(ks(0).GetKeyObject(0, "k", &object, &field_count).ok());
  const uint64_t old_counter = object.context().Get(ks(0).actor());
  ASSERT_GE(old_counter, 3u);
  constexpr int64_t kGrace = 60'000;
  // Each call examines one database; 16 calls cover them all.
  auto reap_all = [&] {
    // The reaper scans rows under their own keys; a materialization cycle
    // puts them there within seconds of real time (simulated time runs ahead).
    EXPECT_TRUE(ks(0).Checkpoint().ok());
    size_t reaped = 0;
    for (int pass = 0; pass < 16; ++pass) reaped += ks(0).ReapTombstones(now_, kGrace, 1000);
    return reaped;
  };
  Tick(kGrace - 1);
  EXPECT_EQ(reap_all(), 0u);
  Tick(1);
  EXPECT_EQ(reap_all(), 2u);
  EXPECT_TRUE(ks(0).GetKeyObject(0, "k", &object, &field_count).IsNotFound());
  EXPECT_TRUE(ks(0).GetKeyObject(0, "h", &object, &field_count).IsNotFound());
  Keyspace::KeyState state;
  ASSERT_TRUE(ks(0).ExportKey(0, "h", &state).ok());
  EXPECT_TRUE(state.key_object.empty());
  EXPECT_TRUE(state.fields.empty());
  // A new write after the reap gets a dot the other replica's remembered
  // context does not contain, so it is not mistaken for the old one there.
  Set(0, "k", "v3");
  ASSERT_TRUE(ks(0).GetKeyObject(0, "k", &object, &field_count).ok());
  EXPECT_GT(object.context().Get(ks(0).actor()), old_counter);
  EXPECT_TRUE(Sync(0, 1, "k"));
  EXPECT_EQ(Get(1, "k"), "v3");
  // A live key is never reaped.
  Tick(10 * kGrace);
  EXPECT_EQ(reap_all(), 0u);
  EXPECT_EQ(Get(0, "k"), "v3");
}

}  // namespace
}  // namespace ringkv::storage

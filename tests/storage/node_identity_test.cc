#include "storage/node_identity.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "tests/util/temp_dir.h"

namespace ringkv::storage {
namespace {

class NodeIdentityTest : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = testing::UniqueTempDir("ringkv-id-"); }
  void TearDown() override {
    engine_.reset();
    std::filesystem::remove_all(dir_);
  }
  void Open() {
    engine_.reset();
    EngineOptions options;
    options.dir = dir_.string();
    options.sync_mode = SyncMode::kNo;
    ASSERT_TRUE(Engine::Open(options, &engine_).ok());
  }

  std::filesystem::path dir_;
  std::unique_ptr<Engine> engine_;
};

TEST_F(NodeIdentityTest, FreshDirectoryGetsEpochFromClockAndKeepsItAcrossRestarts) {
  Open();
  NodeIdentity first;
  ASSERT_TRUE(LoadOrCreateIdentity(engine_.get(), "node1", 1'700'000'123'456, &first).ok());
  EXPECT_TRUE(first.fresh);
  EXPECT_EQ(first.node_id, "node1");
  EXPECT_EQ(first.epoch, 1'700'000'123u);

  Open();
  NodeIdentity again;
  ASSERT_TRUE(LoadOrCreateIdentity(engine_.get(), "node1", 1'800'000'000'000, &again).ok());
  EXPECT_FALSE(again.fresh);
  EXPECT_EQ(again.epoch, first.epoch);
}

TEST_F(NodeIdentityTest, LostDirectoryGetsANewEpoch) {
  Open();
  NodeIdentity before;
  ASSERT_TRUE(LoadOrCreateIdentity(engine_.get(), "node1", 1'700'000'000'000, &before).ok());
  engine_.reset();
  std::filesystem::remove_all(dir_);  // the disk died
  Open();
  NodeIdentity after;
  ASSERT_TRUE(LoadOrCreateIdentity(engine_.get(), "node1", 1'700'000'050'000, &after).ok());
  EXPECT_TRUE(after.fresh);
  EXPECT_NE(after.epoch, before.epoch);
}

TEST_F(NodeIdentityTest, GeneratedIdIsPersistedAndAnotherNodesDirectoryIsRefused) {
  Open();
  NodeIdentity generated;
  ASSERT_TRUE(LoadOrCreateIdentity(engine_.get(), "", 1'700'000'000'000, &generated).ok());
  EXPECT_EQ(generated.node_id.size(), 16u);
  Open();
  NodeIdentity loaded;
  ASSERT_TRUE(LoadOrCreateIdentity(engine_.get(), "", 1'700'000'000'000, &loaded).ok());
  EXPECT_EQ(loaded.node_id, generated.node_id);
  Status s = LoadOrCreateIdentity(engine_.get(), "someone-else", 1'700'000'000'000, &loaded);
  EXPECT_TRUE(s.IsInvalidArgument());
  EXPECT_NE(s.message().find(generated.node_id), std::string::npos);
}

}  // namespace
}  // namespace ringkv::storage

// INFO's storage figures track what the keyspace does.
#include <gtest/gtest.h>

#include <string>

#include "tests/commands/harness.h"

namespace ringkv::testing {
namespace {

// The integer value of `field` in an INFO reply, or -1 if absent.
int64_t InfoField(const std::string& info, const std::string& field) {
  const size_t at = info.find("\r\n" + field + ":");
  if (at == std::string::npos) return -1;
  return std::stoll(info.substr(at + field.size() + 3));
}

TEST(InfoStorageTest, RowCacheCountersMove) {
  CommandHarness h;
  h.Run({"SET", "k", "v"});
  h.Run({"SET", "k2", "v"});
  const std::string before = h.Run({"INFO", "memory"});
  ASSERT_GE(InfoField(before, "row_cache_hits"), 0);
  ASSERT_GE(InfoField(before, "row_cache_entries"), 2);
  EXPECT_GT(InfoField(before, "row_cache_max_bytes"), 0);
  // Alternate keys: reading the key read last reuses its decoded row without
  // a cache lookup.
  h.Run({"GET", "k"});
  h.Run({"GET", "k2"});
  const std::string after = h.Run({"INFO", "memory"});
  EXPECT_EQ(InfoField(after, "row_cache_hits"), InfoField(before, "row_cache_hits") + 2);
}

TEST(InfoStorageTest, PersistenceReportsCommits) {
  CommandHarness h;
  const int64_t commits = InfoField(h.Run({"INFO", "persistence"}), "leveldb_commits");
  ASSERT_GE(commits, 0);
  h.Run({"SET", "k", "v"});  // the harness commits after each command
  EXPECT_GT(InfoField(h.Run({"INFO", "persistence"}), "leveldb_commits"), commits);
}

}  // namespace
}  // namespace ringkv::testing

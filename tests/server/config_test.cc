#include "server/config.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace ringkv::server {
namespace {

Status Load(std::vector<std::string> args, Config* config) {
  args.insert(args.begin(), "ringkv-server");
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  return LoadConfig(static_cast<int>(argv.size()), argv.data(), config);
}

TEST(ConfigQuorum, DefaultsAreDynamosThreeTwoTwo) {
  Config config;
  ASSERT_TRUE(Load({}, &config).ok());
  EXPECT_EQ(config.replicas, 3);
  EXPECT_EQ(config.write_quorum, 2);
  EXPECT_EQ(config.read_quorum, 2);
  EXPECT_EQ(config.vnodes, 150);
}

TEST(ConfigQuorum, RefusesQuorumsAboveReplicasWithAClearMessage) {
  Config config;
  Status s = Load({"--replicas", "2", "--write-quorum", "3"}, &config);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("write-quorum (3) must be between 1 and replicas (2)"),
            std::string::npos)
      << s.message();
  Config config2;
  s = Load({"--replicas", "3", "--read-quorum", "4"}, &config2);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("read-quorum (4)"), std::string::npos) << s.message();
  Config config3;
  EXPECT_FALSE(Load({"--write-quorum", "0"}, &config3).ok());
}

TEST(ConfigQuorum, AcceptsEventualConsistencySettings) {
  Config config;
  ASSERT_TRUE(Load({"--replicas", "3", "--write-quorum", "1", "--read-quorum", "1"}, &config).ok());
  EXPECT_EQ(config.write_quorum + config.read_quorum, 2);
}

}  // namespace
}  // namespace ringkv::server

#include <gtest/gtest.h>

#include "tests/commands/harness.h"

namespace ringkv::testing {
namespace {

TEST(DebugCommandsTest, RefusedByDefaultAsInRedis7) {
  CommandHarness h;
  EXPECT_EQ(h.Run({"DEBUG", "SLEEP", "0"}),
            "-ERR DEBUG command not allowed. If the enable-debug-command option is set to "
            "\"local\", you can run it from a local connection, otherwise you need to set this "
            "option in the configuration file, and then restart the server.\r\n");
}

TEST(DebugCommandsTest, LocalModeChecksTheClientAddress) {
  CommandHarness h;
  h.config().enable_debug_command = "local";
  h.client().addr = "10.1.2.3:5555";
  EXPECT_EQ(h.Run({"DEBUG", "SLEEP", "0"}).substr(0, 30), "-ERR DEBUG command not allowed");
  h.client().addr = "127.0.0.1:5555";
  EXPECT_EQ(h.Run({"DEBUG", "SLEEP", "0"}), "+OK\r\n");
}

TEST(DebugCommandsTest, SetActiveExpireAndUnknownSubcommands) {
  CommandHarness h;
  h.config().enable_debug_command = "yes";
  EXPECT_TRUE(h.server().active_expire_enabled);
  EXPECT_EQ(h.Run({"DEBUG", "SET-ACTIVE-EXPIRE", "0"}), "+OK\r\n");
  EXPECT_FALSE(h.server().active_expire_enabled);
  EXPECT_EQ(h.Run({"DEBUG", "set-active-expire", "1"}), "+OK\r\n");
  EXPECT_TRUE(h.server().active_expire_enabled);
  EXPECT_EQ(h.Run({"DEBUG", "RELOAD"}), "+OK\r\n");
  EXPECT_EQ(h.Run({"DEBUG", "JMAP"}),
            "-ERR unknown subcommand or wrong number of arguments for 'JMAP'. Try DEBUG "
            "HELP.\r\n");
  EXPECT_EQ(h.Run({"DEBUG", "SLEEP"}),
            "-ERR unknown subcommand or wrong number of arguments for 'SLEEP'. Try DEBUG "
            "HELP.\r\n");
}

// Redis's digests: zeros for nothing, independent of hash field order, changed by
// an expiry, the same for a copy.
TEST(DebugCommandsTest, DigestsFollowTheDataNotItsOrder) {
  CommandHarness h;
  h.config().enable_debug_command = "yes";
  const std::string zeros = "+" + std::string(40, '0') + "\r\n";
  EXPECT_EQ(h.Run({"DEBUG", "DIGEST"}), zeros);
  EXPECT_EQ(h.Run({"DEBUG", "DIGEST-VALUE", "missing"}), "*1\r\n" + zeros);
  h.Run({"HSET", "h1", "a", "1", "b", "2"});
  h.Run({"HSET", "h2", "b", "2", "a", "1"});
  const std::string both = h.Run({"DEBUG", "DIGEST-VALUE", "h1", "h2"});
  ASSERT_EQ(both.size(), 4u + 2 * 43u) << both;
  EXPECT_EQ(both.substr(4, 43), both.substr(47, 43));
  EXPECT_NE(both.substr(4, 43), zeros);
  const std::string before = h.Run({"DEBUG", "DIGEST"});
  h.Run({"EXPIRE", "h1", "100"});
  EXPECT_NE(h.Run({"DEBUG", "DIGEST"}), before);
  h.Run({"PERSIST", "h1"});
  EXPECT_EQ(h.Run({"DEBUG", "DIGEST"}), before);
  h.Run({"SET", "s", "v"});
  h.Run({"COPY", "s", "t"});
  EXPECT_EQ(h.Run({"DEBUG", "DIGEST-VALUE", "s"}), h.Run({"DEBUG", "DIGEST-VALUE", "t"}));
  EXPECT_EQ(h.Run({"DEBUG", "DIGEST", "extra"}).substr(0, 30), "-ERR unknown subcommand or wro");
}

TEST(DebugCommandsTest, ProtocolRepliesEachTypeInTheClientsProtocol) {
  CommandHarness h;
  h.config().enable_debug_command = "yes";
  EXPECT_EQ(h.Run({"DEBUG", "PROTOCOL", "bignum"}),
            "$37\r\n1234567999999999999999999999999999999\r\n");
  EXPECT_EQ(h.Run({"DEBUG", "PROTOCOL", "attrib"}),
            "$39\r\nSome real reply following the attribute\r\n");
  EXPECT_EQ(h.Run({"DEBUG", "PROTOCOL", "push"}),
            "-ERR RESP2 is not supported by this command\r\n");
  EXPECT_EQ(h.Run({"DEBUG", "PROTOCOL", "map"}), "*6\r\n:0\r\n:0\r\n:1\r\n:1\r\n:2\r\n:0\r\n");
  h.client().protocol = 3;
  EXPECT_EQ(h.Run({"DEBUG", "PROTOCOL", "bignum"}), "(1234567999999999999999999999999999999\r\n");
  EXPECT_EQ(h.Run({"DEBUG", "PROTOCOL", "attrib"}),
            "|1\r\n$14\r\nkey-popularity\r\n*2\r\n$7\r\nkey:123\r\n:90\r\n"
            "$39\r\nSome real reply following the attribute\r\n");
  EXPECT_EQ(h.Run({"DEBUG", "PROTOCOL", "push"}),
            ">2\r\n$16\r\nserver-cpu-usage\r\n:42\r\n"
            "$40\r\nSome real reply following the push reply\r\n");
  EXPECT_EQ(h.Run({"DEBUG", "PROTOCOL", "double"}), ",3.141\r\n");
  EXPECT_EQ(h.Run({"DEBUG", "PROTOCOL", "verbatim"}), "=29\r\ntxt:This is a verbatim\nstring\r\n");
  EXPECT_EQ(h.Run({"DEBUG", "PROTOCOL", "nope"}),
            "-ERR Wrong protocol type name. Please use one of the following: "
            "string|integer|double|bignum|null|array|set|map|attrib|push|verbatim|true|false\r\n");
}

}  // namespace
}  // namespace ringkv::testing

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
  EXPECT_EQ(h.Run({"DEBUG", "DIGEST"}),
            "-ERR unknown subcommand or wrong number of arguments for 'DIGEST'. Try DEBUG "
            "HELP.\r\n");
  EXPECT_EQ(h.Run({"DEBUG", "SLEEP"}),
            "-ERR unknown subcommand or wrong number of arguments for 'SLEEP'. Try DEBUG "
            "HELP.\r\n");
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

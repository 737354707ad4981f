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

}  // namespace
}  // namespace ringkv::testing

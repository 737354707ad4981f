#include <gtest/gtest.h>

#include "tests/commands/harness.h"

namespace ringkv::testing {
namespace {

TEST(TransactionTest, ExecRunsQueuedCommands) {
  CommandHarness h;
  EXPECT_EQ(h.Run({"MULTI"}), "+OK\r\n");
  EXPECT_EQ(h.Run({"SET", "k", "v"}), "+QUEUED\r\n");
  EXPECT_EQ(h.Run({"GET", "k"}), "+QUEUED\r\n");
  EXPECT_EQ(h.Run({"EXEC"}), "*2\r\n+OK\r\n$1\r\nv\r\n");
}

TEST(TransactionTest, QueueErrorAbortsExec) {
  CommandHarness h;
  h.Run({"MULTI"});
  EXPECT_EQ(h.Run({"GET"}), "-ERR wrong number of arguments for 'get' command\r\n");
  EXPECT_EQ(h.Run({"EXEC"}), "-EXECABORT Transaction discarded because of previous errors.\r\n");
  EXPECT_EQ(h.Run({"EXEC"}), "-ERR EXEC without MULTI\r\n");
}

TEST(TransactionTest, WatchedKeyChangedByOtherClientFailsExec) {
  CommandHarness h;
  commands::ClientState other;
  other.id = 2;
  other.authenticated = true;
  EXPECT_EQ(h.Run({"WATCH", "k"}), "+OK\r\n");
  EXPECT_EQ(h.RunAs(other, {"SET", "k", "x"}), "+OK\r\n");
  h.Run({"MULTI"});
  h.Run({"SET", "k", "mine"});
  EXPECT_EQ(h.Run({"EXEC"}), "*-1\r\n");
  EXPECT_EQ(h.Run({"GET", "k"}), "$1\r\nx\r\n");
}

TEST(TransactionTest, WatchedKeyThatExpiresAbortsExec) {
  CommandHarness h;
  h.Run({"SET", "k", "v", "PX", "100"});
  EXPECT_EQ(h.Run({"WATCH", "k"}), "+OK\r\n");
  h.advance_ms(200);  // nothing touches k: it expires on its own
  h.Run({"MULTI"});
  h.Run({"SET", "other", "1"});
  EXPECT_EQ(h.Run({"EXEC"}), "*-1\r\n");
  EXPECT_EQ(h.Run({"GET", "other"}), "$-1\r\n");
}

TEST(TransactionTest, KeyAlreadyExpiredAtWatchDoesNotAbort) {
  CommandHarness h;
  h.Run({"SET", "k", "v", "PX", "100"});
  h.advance_ms(200);
  EXPECT_EQ(h.Run({"WATCH", "k"}), "+OK\r\n");
  h.Run({"MULTI"});
  h.Run({"SET", "other", "1"});
  EXPECT_EQ(h.Run({"EXEC"}), "*1\r\n+OK\r\n");
}

TEST(TransactionTest, FlushAndSwapDbFlagOnlyKeysThatExisted) {
  CommandHarness h;
  h.Run({"SET", "present", "1"});
  h.Run({"SELECT", "1"});
  h.Run({"SET", "other-db", "1"});
  h.Run({"SELECT", "0"});
  // Watching a key that exists in neither db: SWAPDB and FLUSHDB leave it alone.
  h.Run({"WATCH", "absent"});
  h.Run({"SWAPDB", "0", "1"});
  h.Run({"FLUSHDB"});
  h.Run({"MULTI"});
  h.Run({"PING"});
  EXPECT_EQ(h.Run({"EXEC"}), "*1\r\n+PONG\r\n");
  // Watching a key that exists in the db swapped in: the transaction aborts.
  h.Run({"SELECT", "1"});
  h.Run({"WATCH", "present"});
  h.Run({"SWAPDB", "0", "1"});
  h.Run({"MULTI"});
  h.Run({"PING"});
  EXPECT_EQ(h.Run({"EXEC"}), "*-1\r\n");
}

TEST(TransactionTest, NestedMultiAndWatchInsideMulti) {
  CommandHarness h;
  h.Run({"MULTI"});
  EXPECT_EQ(h.Run({"MULTI"}), "-ERR MULTI calls can not be nested\r\n");
  EXPECT_EQ(h.Run({"WATCH", "x"}), "-ERR WATCH inside MULTI is not allowed\r\n");
  EXPECT_EQ(h.Run({"DISCARD"}), "+OK\r\n");
  EXPECT_EQ(h.Run({"DISCARD"}), "-ERR DISCARD without MULTI\r\n");
}

TEST(DispatchTest, UnknownCommandAndArity) {
  CommandHarness h;
  EXPECT_EQ(h.Run({"FOO", "a", "b"}),
            "-ERR unknown command 'FOO', with args beginning with: 'a' 'b' \r\n");
  EXPECT_EQ(h.Run({"get"}), "-ERR wrong number of arguments for 'get' command\r\n");
}

TEST(DispatchTest, ClientReplyOffAndSkip) {
  CommandHarness h;
  EXPECT_EQ(h.Run({"CLIENT", "REPLY", "SKIP"}), "");
  EXPECT_EQ(h.Run({"SET", "k", "1"}), "");  // skipped
  EXPECT_EQ(h.Run({"GET", "k"}), "$1\r\n1\r\n");
  EXPECT_EQ(h.Run({"CLIENT", "REPLY", "OFF"}), "");
  EXPECT_EQ(h.Run({"INCR", "k"}), "");
  EXPECT_EQ(h.Run({"FOO"}), "");  // errors are dropped too
  EXPECT_EQ(h.Run({"CLIENT", "REPLY", "ON"}), "+OK\r\n");
  EXPECT_EQ(h.Run({"GET", "k"}), "$1\r\n2\r\n");
  EXPECT_EQ(h.Run({"CLIENT", "REPLY", "MAYBE"}), "-ERR syntax error\r\n");
}

TEST(DispatchTest, NoAuthUntilAuthenticated) {
  CommandHarness h;
  h.config().requirepass = "secret";
  h.client().authenticated = false;
  EXPECT_EQ(h.Run({"GET", "k"}), "-NOAUTH Authentication required.\r\n");
  EXPECT_EQ(h.Run({"AUTH", "wrong"}),
            "-WRONGPASS invalid username-password pair or user is disabled.\r\n");
  EXPECT_EQ(h.Run({"AUTH", "secret"}), "+OK\r\n");
  EXPECT_EQ(h.Run({"GET", "k"}), "$-1\r\n");
}

}  // namespace
}  // namespace ringkv::testing

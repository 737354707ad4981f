#include <gtest/gtest.h>

#include "tests/commands/harness.h"

namespace ringkv::testing {
namespace {

// Parses the context token out of a RING.GET reply: "*2\r\n$N\r\n<token>\r\n...".
std::string ContextOf(const std::string& reply) {
  const size_t start = reply.find("\r\n", reply.find('$')) + 2;
  return reply.substr(start, reply.find("\r\n", start) - start);
}

TEST(RingCommands, GetShowsContextAndTheSingleVersionOfAPlainWrite) {
  CommandHarness h;
  EXPECT_EQ(h.Run({"RING.GET", "k"}), "*2\r\n$0\r\n\r\n*0\r\n");
  h.Run({"SET", "k", "v1"});
  const std::string reply = h.Run({"RING.GET", "k"});
  EXPECT_FALSE(ContextOf(reply).empty());
  EXPECT_NE(reply.find("*1\r\n$2\r\nv1\r\n"), std::string::npos) << reply;
}

TEST(RingCommands, PutFromAnOldContextMakesSiblingsAndItsContextResolvesThem) {
  CommandHarness h;
  h.Run({"SET", "k", "v1"});
  const std::string old_context = ContextOf(h.Run({"RING.GET", "k"}));
  h.set_now_ms(h.now_ms() + 10);
  h.Run({"SET", "k", "v2"});  // supersedes v1
  h.set_now_ms(h.now_ms() + 10);
  // A client that read v1 writes v3: it did not see v2, so both survive.
  EXPECT_EQ(h.Run({"RING.PUT", "k", old_context, "v3"}), "+OK\r\n");
  std::string reply = h.Run({"RING.GET", "k"});
  EXPECT_NE(reply.find("*2\r\n$2\r\nv2\r\n$2\r\nv3\r\n"), std::string::npos) << reply;
  EXPECT_EQ(h.Run({"GET", "k"}), Bulk("v3"));  // the later timestamp shows
  EXPECT_EQ(h.keyspace().keys_with_siblings(), 1u);

  // Resolving with the context that saw both leaves one value.
  const std::string both = ContextOf(reply);
  EXPECT_EQ(h.Run({"RING.PUT", "k", both, "merged"}), "+OK\r\n");
  reply = h.Run({"RING.GET", "k"});
  EXPECT_NE(reply.find("*1\r\n$6\r\nmerged\r\n"), std::string::npos) << reply;
  EXPECT_EQ(h.keyspace().keys_with_siblings(), 0u);
  EXPECT_EQ(h.Run({"DBSIZE"}), ":1\r\n");
}

TEST(RingCommands, DelWithContextTombstonesOnlyWhatItSaw) {
  CommandHarness h;
  h.Run({"SET", "k", "v1"});
  const std::string ctx1 = ContextOf(h.Run({"RING.GET", "k"}));
  h.set_now_ms(h.now_ms() + 10);
  h.Run({"SET", "k", "v2"});
  h.set_now_ms(h.now_ms() + 10);
  // Deleting what was read before v2 leaves v2 alongside a tombstone; the
  // tombstone is newer, so plain reads see no key.
  EXPECT_EQ(h.Run({"RING.DEL", "k", ctx1}), "+OK\r\n");
  const std::string reply = h.Run({"RING.GET", "k"});
  EXPECT_NE(reply.find("*2\r\n$2\r\nv2\r\n$-1\r\n"), std::string::npos) << reply;
  EXPECT_EQ(h.Run({"GET", "k"}), "$-1\r\n");
  EXPECT_EQ(h.Run({"DBSIZE"}), ":0\r\n");
  EXPECT_EQ(h.Run({"RING.DEL", "k", ContextOf(reply)}), "+OK\r\n");
  EXPECT_EQ(h.Run({"GET", "k"}), "$-1\r\n");
}

TEST(RingCommands, PutWithExpiryAndBadInput) {
  CommandHarness h;
  EXPECT_EQ(h.Run({"RING.PUT", "k", "", "v", "PX", "1000"}), "+OK\r\n");
  EXPECT_EQ(h.Run({"PTTL", "k"}), ":1000\r\n");
  EXPECT_EQ(h.Run({"RING.PUT", "k", "!!", "v"}),
            "-ERR invalid causal context (pass back the one RING.GET returned)\r\n");
  EXPECT_EQ(h.Run({"RING.PUT", "k", "", "v", "EX"}), "-ERR syntax error\r\n");
  EXPECT_EQ(h.Run({"RING.PUT", "k", "", "v", "EX", "0"}),
            "-ERR invalid expire time in 'ring.put' command\r\n");
  EXPECT_EQ(h.Run({"RING.PUT", "k"}), "-ERR wrong number of arguments for 'ring.put' command\r\n");
  h.Run({"HSET", "h", "f", "v"});
  EXPECT_EQ(h.Run({"RING.GET", "h"}),
            "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n");
  EXPECT_EQ(h.Run({"RING.PUT", "h", "", "v"}),
            "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n");
}

TEST(RingCommands, SiblingsAreBoundedAtOneHundred) {
  CommandHarness h;
  for (int i = 0; i < 100; ++i) {
    ASSERT_EQ(h.Run({"RING.PUT", "k", "", "v" + std::to_string(i)}), "+OK\r\n") << i;
  }
  const std::string refused = h.Run({"RING.PUT", "k", "", "one-too-many"});
  EXPECT_EQ(refused.rfind("-ERR too many siblings for this key (101 > 100)", 0), 0u) << refused;
  // A write with the full context resolves them all.
  const std::string context = ContextOf(h.Run({"RING.GET", "k"}));
  EXPECT_EQ(h.Run({"RING.PUT", "k", context, "one"}), "+OK\r\n");
  EXPECT_EQ(h.Run({"GET", "k"}), Bulk("one"));
}

TEST(RingCommands, HgetallShowsEachFieldWithItsContext) {
  CommandHarness h;
  h.Run({"HSET", "cart", "apple", "1", "pear", "2"});
  const std::string reply = h.Run({"RING.HGETALL", "cart"});
  EXPECT_EQ(reply.rfind("*2\r\n*3\r\n", 0), 0u) << reply;
  EXPECT_NE(reply.find("$5\r\napple\r\n"), std::string::npos);
  EXPECT_NE(reply.find("*1\r\n$1\r\n1\r\n"), std::string::npos);
  EXPECT_NE(reply.find("*1\r\n$1\r\n2\r\n"), std::string::npos);
  h.Run({"SET", "s", "x"});
  EXPECT_EQ(h.Run({"RING.HGETALL", "s"}),
            "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n");
  EXPECT_EQ(h.Run({"RING.HGETALL", "nokey"}), "*0\r\n");
}

}  // namespace
}  // namespace ringkv::testing

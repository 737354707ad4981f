// DUMP, RESTORE and DEBUG OBJECT through the dispatcher on a real keyspace.
#include <gtest/gtest.h>

#include <string>

#include "commands/dump_payload.h"
#include "tests/commands/harness.h"

namespace ringkv::testing {
namespace {

using namespace std::string_literals;

std::string Int(int64_t v) { return ":" + std::to_string(v) + "\r\n"; }

// The payload of a bulk reply.
std::string BulkPayload(const std::string& reply) {
  const size_t header_end = reply.find("\r\n");
  EXPECT_EQ(reply[0], '$');
  return reply.substr(header_end + 2, reply.size() - header_end - 4);
}

TEST(DumpCommandsTest, DumpOfMissingKeyIsNil) {
  CommandHarness h;
  EXPECT_EQ(h.Run({"DUMP", "missing"}), "$-1\r\n");
}

TEST(DumpCommandsTest, StringRoundTripWithTtl) {
  CommandHarness h;
  h.Run({"SET", "k", "hello"});
  const std::string payload = BulkPayload(h.Run({"DUMP", "k"}));
  EXPECT_EQ(h.Run({"RESTORE", "k", "0", payload}), "-BUSYKEY Target key name already exists.\r\n");
  EXPECT_EQ(h.Run({"RESTORE", "k2", "5000", payload}), "+OK\r\n");
  EXPECT_EQ(h.Run({"GET", "k2"}), Bulk("hello"));
  EXPECT_EQ(h.Run({"PTTL", "k2"}), Int(5000));
  EXPECT_EQ(h.Run({"RESTORE", "k3", std::to_string(h.now_ms() + 7000), payload, "ABSTTL"}),
            "+OK\r\n");
  EXPECT_EQ(h.Run({"PTTL", "k3"}), Int(7000));
  EXPECT_EQ(h.Run({"OBJECT", "ENCODING", "k3"}), Bulk("embstr"));
}

TEST(DumpCommandsTest, HashRoundTripKeepsFieldOrder) {
  CommandHarness h;
  h.Run({"HSET", "h", "z", "1", "a", "two", "m", "-3"});
  const std::string payload = BulkPayload(h.Run({"DUMP", "h"}));
  EXPECT_EQ(payload[0], 16);  // a listpack, as Redis would write it
  EXPECT_EQ(h.Run({"RESTORE", "copy", "0", payload}), "+OK\r\n");
  EXPECT_EQ(h.Run({"HGETALL", "copy"}), h.Run({"HGETALL", "h"}));
  EXPECT_EQ(h.Run({"HLEN", "copy"}), Int(3));
  EXPECT_EQ(h.Run({"TTL", "copy"}), Int(-1));
}

TEST(DumpCommandsTest, ReplaceSwapsTypesAndDropsOldFields) {
  CommandHarness h;
  h.Run({"SET", "s", "text"});
  h.Run({"HSET", "h", "old1", "x", "old2", "y"});
  const std::string string_payload = BulkPayload(h.Run({"DUMP", "s"}));
  h.Run({"HSET", "h2", "new", "z"});
  const std::string hash_payload = BulkPayload(h.Run({"DUMP", "h2"}));
  EXPECT_EQ(h.Run({"RESTORE", "h", "0", hash_payload, "REPLACE"}), "+OK\r\n");
  EXPECT_EQ(h.Run({"HGETALL", "h"}), "*2\r\n" + Bulk("new") + Bulk("z"));
  EXPECT_EQ(h.Run({"RESTORE", "h", "0", string_payload, "REPLACE"}), "+OK\r\n");
  EXPECT_EQ(h.Run({"GET", "h"}), Bulk("text"));
  EXPECT_EQ(h.Run({"RESTORE", "s", "0", hash_payload, "replace"}), "+OK\r\n");
  EXPECT_EQ(h.Run({"TYPE", "s"}), "+hash\r\n");
}

TEST(DumpCommandsTest, ExpiredTtlCreatesNothingAndReplaceDeletes) {
  CommandHarness h;
  h.Run({"SET", "k", "v"});
  const std::string payload = BulkPayload(h.Run({"DUMP", "k"}));
  const std::string past = std::to_string(h.now_ms() - 1000);
  EXPECT_EQ(h.Run({"RESTORE", "new", past, payload, "ABSTTL"}), "+OK\r\n");
  EXPECT_EQ(h.Run({"EXISTS", "new"}), Int(0));
  EXPECT_EQ(h.Run({"RESTORE", "k", past, payload, "ABSTTL", "REPLACE"}), "+OK\r\n");
  EXPECT_EQ(h.Run({"EXISTS", "k"}), Int(0));
  // A relative TTL that overflows is in the past as well.
  EXPECT_EQ(h.Run({"RESTORE", "k", "9223372036854775807", payload}), "+OK\r\n");
  EXPECT_EQ(h.Run({"EXISTS", "k"}), Int(0));
}

TEST(DumpCommandsTest, ErrorsInRedisOrder) {
  CommandHarness h;
  h.Run({"SET", "k", "v"});
  const std::string payload = BulkPayload(h.Run({"DUMP", "k"}));
  EXPECT_EQ(h.Run({"RESTORE", "k", "0", "junk", "bogus"}), "-ERR syntax error\r\n");
  EXPECT_EQ(h.Run({"RESTORE", "x", "0", payload, "IDLETIME"}), "-ERR syntax error\r\n");
  EXPECT_EQ(h.Run({"RESTORE", "x", "0", payload, "FREQ", "1", "IDLETIME", "1"}),
            "-ERR syntax error\r\n");
  EXPECT_EQ(h.Run({"RESTORE", "x", "0", payload, "IDLETIME", "-1"}),
            "-ERR Invalid IDLETIME value, must be >= 0\r\n");
  EXPECT_EQ(h.Run({"RESTORE", "x", "0", payload, "FREQ", "256"}),
            "-ERR Invalid FREQ value, must be >= 0 and <= 255\r\n");
  EXPECT_EQ(h.Run({"RESTORE", "x", "0", payload, "FREQ", "x"}),
            "-ERR value is not an integer or out of range\r\n");
  EXPECT_EQ(h.Run({"RESTORE", "k", "x", "junk"}), "-BUSYKEY Target key name already exists.\r\n");
  EXPECT_EQ(h.Run({"RESTORE", "x", "x", "junk"}),
            "-ERR value is not an integer or out of range\r\n");
  EXPECT_EQ(h.Run({"RESTORE", "x", "-1", "junk"}), "-ERR Invalid TTL value, must be >= 0\r\n");
  EXPECT_EQ(h.Run({"RESTORE", "x", "0", "junk"}),
            "-ERR DUMP payload version or checksum are wrong\r\n");
  std::string corrupt = payload;
  corrupt[1] = '\x20';  // a 32-byte string in a 13-byte payload
  const uint64_t crc = commands::Crc64Jones(0, corrupt.substr(0, corrupt.size() - 8));
  for (int i = 0; i < 8; ++i) corrupt[corrupt.size() - 8 + i] = static_cast<char>(crc >> (8 * i));
  EXPECT_EQ(h.Run({"RESTORE", "x", "0", corrupt}), "-ERR Bad data format\r\n");
  EXPECT_EQ(h.Run({"EXISTS", "x"}), Int(0));
  EXPECT_EQ(h.Run({"RESTORE"}), "-ERR wrong number of arguments for 'restore' command\r\n");
}

TEST(DumpCommandsTest, UnsupportedTypesAreNamed) {
  CommandHarness h;
  // A set of one integer (intset), as Redis dumps SADD s 1.
  std::string payload = "\x0b\x0a\x02\x00\x00\x00\x01\x00\x00\x00\x01\x00"s;
  payload += "\x0a\x00"s;
  const uint64_t crc = commands::Crc64Jones(0, payload);
  for (int i = 0; i < 8; ++i) payload.push_back(static_cast<char>(crc >> (8 * i)));
  EXPECT_EQ(h.Run({"RESTORE", "s", "0", payload}),
            "-ERR the DUMP payload holds a set, which ringkv cannot store yet (it has strings and "
            "hashes)\r\n");
  EXPECT_EQ(h.Run({"EXISTS", "s"}), Int(0));
}

TEST(DumpCommandsTest, IdletimeAndFreqSetTheAccessWord) {
  CommandHarness h;
  h.Run({"SET", "k", "v"});
  const std::string payload = BulkPayload(h.Run({"DUMP", "k"}));
  EXPECT_EQ(h.Run({"RESTORE", "idle", "0", payload, "IDLETIME", "1000"}), "+OK\r\n");
  EXPECT_EQ(h.Run({"OBJECT", "IDLETIME", "idle"}), Int(1000));
  // FREQ is ignored under an LRU policy, IDLETIME under an LFU one.
  EXPECT_EQ(h.Run({"RESTORE", "f", "0", payload, "FREQ", "100"}), "+OK\r\n");
  EXPECT_EQ(h.Run({"OBJECT", "IDLETIME", "f"}), Int(0));
  h.Run({"CONFIG", "SET", "maxmemory-policy", "allkeys-lfu"});
  EXPECT_EQ(h.Run({"RESTORE", "f", "0", payload, "FREQ", "100", "REPLACE"}), "+OK\r\n");
  EXPECT_EQ(h.Run({"OBJECT", "FREQ", "f"}), Int(100));
  EXPECT_EQ(h.Run({"RESTORE", "i", "0", payload, "IDLETIME", "5"}), "+OK\r\n");
  EXPECT_EQ(h.Run({"OBJECT", "FREQ", "i"}), Int(5));
}

TEST(DumpCommandsTest, DebugObjectDescribesTheValue) {
  CommandHarness h;
  h.config().enable_debug_command = "yes";
  h.Run({"SET", "n", "5"});
  h.Run({"SET", "s", "bar"});
  h.Run({"HSET", "h", "a", "1", "b", std::string(100, 'x')});
  const std::string n = h.Run({"DEBUG", "OBJECT", "n"});
  EXPECT_NE(n.find(" refcount:2147483647 encoding:int serializedlength:2 lru:"), std::string::npos)
      << n;
  const std::string s = h.Run({"DEBUG", "OBJECT", "s"});
  EXPECT_EQ(s.rfind("+Value at:0x", 0), 0u) << s;
  EXPECT_NE(s.find(" refcount:1 encoding:embstr serializedlength:4 lru:"), std::string::npos) << s;
  EXPECT_NE(s.find(" lru_seconds_idle:0\r\n"), std::string::npos) << s;
  EXPECT_NE(h.Run({"DEBUG", "OBJECT", "h"}).find("encoding:hashtable"), std::string::npos);
  EXPECT_EQ(h.Run({"DEBUG", "OBJECT", "missing"}), "-ERR no such key\r\n");
  h.advance_ms(3000);
  EXPECT_NE(h.Run({"DEBUG", "OBJECT", "s"}).find(" lru_seconds_idle:3\r\n"), std::string::npos);
}

}  // namespace
}  // namespace ringkv::testing

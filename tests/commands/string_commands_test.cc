// String commands: replies are compared byte for byte with what Redis 7.0.15
// sends for the same commands.
#include <gtest/gtest.h>

#include <string>

#include "storage/record.h"
#include "tests/commands/harness.h"

namespace ringkv::testing {
namespace {

constexpr char kWrongType[] =
    "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n";
constexpr char kNotInteger[] = "-ERR value is not an integer or out of range\r\n";
constexpr char kSyntax[] = "-ERR syntax error\r\n";

TEST(StringCommandsTest, GetSetBasics) {
  CommandHarness h;
  EXPECT_EQ(h.Run({"GET", "k"}), "$-1\r\n");
  EXPECT_EQ(h.Run({"SET", "k", "v"}), "+OK\r\n");
  EXPECT_EQ(h.Run({"GET", "k"}), "$1\r\nv\r\n");
  EXPECT_EQ(h.Run({"SET", "bin", std::string("a\0b\r\n", 5)}), "+OK\r\n");
  EXPECT_EQ(h.Run({"GET", "bin"}), Bulk(std::string("a\0b\r\n", 5)));
  EXPECT_EQ(h.Run({"SET", "empty", ""}), "+OK\r\n");
  EXPECT_EQ(h.Run({"GET", "empty"}), "$0\r\n\r\n");
  MakeHash(h, "h");
  EXPECT_EQ(h.Run({"GET", "h"}), kWrongType);
  // SET overwrites any type.
  EXPECT_EQ(h.Run({"SET", "h", "s"}), "+OK\r\n");
  EXPECT_EQ(h.Run({"GET", "h"}), "$1\r\ns\r\n");
  h.client().protocol = 3;
  EXPECT_EQ(h.Run({"GET", "missing"}), "_\r\n");
}

TEST(StringCommandsTest, SetNxXx) {
  CommandHarness h;
  EXPECT_EQ(h.Run({"SET", "k", "v", "XX"}), "$-1\r\n");
  EXPECT_EQ(h.Run({"SET", "k", "v", "NX"}), "+OK\r\n");
  EXPECT_EQ(h.Run({"SET", "k", "w", "nx"}), "$-1\r\n");
  EXPECT_EQ(h.Run({"SET", "k", "w", "xx"}), "+OK\r\n");
  EXPECT_EQ(h.Run({"GET", "k"}), "$1\r\nw\r\n");
  EXPECT_EQ(h.Run({"SET", "k", "v", "NX", "XX"}), kSyntax);
  EXPECT_EQ(h.Run({"SET", "k", "v", "XX", "NX"}), kSyntax);
  EXPECT_EQ(h.Run({"SET", "k", "v", "NX", "NX"}), "$-1\r\n");
  h.client().protocol = 3;
  EXPECT_EQ(h.Run({"SET", "k", "v", "NX"}), "_\r\n");
}

TEST(StringCommandsTest, SetGetOption) {
  CommandHarness h;
  EXPECT_EQ(h.Run({"SET", "k", "v1", "GET"}), "$-1\r\n");
  EXPECT_EQ(h.Run({"SET", "k", "v2", "GET"}), "$2\r\nv1\r\n");
  // NX and GET together are allowed since 7.0: the old value, nothing set.
  EXPECT_EQ(h.Run({"SET", "k", "v3", "NX", "GET"}), "$2\r\nv2\r\n");
  EXPECT_EQ(h.Run({"GET", "k"}), "$2\r\nv2\r\n");
  EXPECT_EQ(h.Run({"SET", "n", "x", "XX", "GET"}), "$-1\r\n");
  EXPECT_EQ(h.Run({"GET", "n"}), "$-1\r\n");
  EXPECT_EQ(h.Run({"SET", "n", "x", "GET", "NX"}), "$-1\r\n");
  EXPECT_EQ(h.Run({"GET", "n"}), "$1\r\nx\r\n");
  MakeHash(h, "h");
  EXPECT_EQ(h.Run({"SET", "h", "v", "GET"}), kWrongType);
  EXPECT_EQ(h.Run({"SET", "h", "v", "NX", "GET"}), kWrongType);
}

TEST(StringCommandsTest, SetExpireOptions) {
  CommandHarness h;
  const int64_t now = h.now_ms();
  EXPECT_EQ(h.Run({"SET", "k", "v", "EX", "10"}), "+OK\r\n");
  EXPECT_EQ(ExpireOf(h, "k"), now + 10000);
  EXPECT_EQ(h.Run({"SET", "k", "v", "PX", "1500"}), "+OK\r\n");
  EXPECT_EQ(ExpireOf(h, "k"), now + 1500);
  EXPECT_EQ(h.Run({"SET", "k", "v", "EXAT", std::to_string(now / 1000 + 100)}), "+OK\r\n");
  EXPECT_EQ(ExpireOf(h, "k"), (now / 1000 + 100) * 1000);
  EXPECT_EQ(h.Run({"SET", "k", "v", "PXAT", std::to_string(now + 77)}), "+OK\r\n");
  EXPECT_EQ(ExpireOf(h, "k"), now + 77);
  // KEEPTTL keeps it; a plain SET drops it.
  EXPECT_EQ(h.Run({"SET", "k", "w", "KEEPTTL"}), "+OK\r\n");
  EXPECT_EQ(ExpireOf(h, "k"), now + 77);
  EXPECT_EQ(h.Run({"SET", "k", "w"}), "+OK\r\n");
  EXPECT_EQ(ExpireOf(h, "k"), 0);
  // The last of repeated EX wins.
  EXPECT_EQ(h.Run({"SET", "k", "v", "ex", "10", "ex", "20"}), "+OK\r\n");
  EXPECT_EQ(ExpireOf(h, "k"), now + 20000);
}

TEST(StringCommandsTest, SetExpiresWithTime) {
  CommandHarness h;
  EXPECT_EQ(h.Run({"SET", "k", "v", "PX", "100"}), "+OK\r\n");
  h.advance_ms(99);
  EXPECT_EQ(h.Run({"GET", "k"}), "$1\r\nv\r\n");
  h.advance_ms(1);
  EXPECT_EQ(h.Run({"GET", "k"}), "$-1\r\n");
  EXPECT_EQ(h.Run({"SETEX", "s", "2", "v"}), "+OK\r\n");
  h.advance_ms(1999);
  EXPECT_EQ(h.Run({"GET", "s"}), "$1\r\nv\r\n");
  h.advance_ms(1);
  EXPECT_EQ(h.Run({"GET", "s"}), "$-1\r\n");
}

TEST(StringCommandsTest, SetExpireInThePastDeletesKey) {
  CommandHarness h;
  EXPECT_EQ(h.Run({"SET", "k", "v", "PXAT", "1"}), "+OK\r\n");
  EXPECT_EQ(ExpireOf(h, "k"), -1);
  EXPECT_EQ(h.keyspace().Stats(0).keys, 0u);
  EXPECT_EQ(h.Run({"SET", "k", "v"}), "+OK\r\n");
  EXPECT_EQ(h.Run({"SET", "k", "w", "EXAT", "1", "GET"}), "$1\r\nv\r\n");
  EXPECT_EQ(h.Run({"GET", "k"}), "$-1\r\n");
  EXPECT_EQ(h.keyspace().Stats(0).keys, 0u);
  EXPECT_EQ(h.keyspace().Stats(0).expires, 0u);
  EXPECT_EQ(h.Run({"SET", "k", "v", "PXAT", std::to_string(h.now_ms())}), "+OK\r\n");
  EXPECT_EQ(h.Run({"GET", "k"}), "$-1\r\n");
}

TEST(StringCommandsTest, SetExpireErrors) {
  CommandHarness h;
  const std::string invalid = "-ERR invalid expire time in 'set' command\r\n";
  EXPECT_EQ(h.Run({"SET", "k", "v", "EX", "0"}), invalid);
  EXPECT_EQ(h.Run({"SET", "k", "v", "EX", "-1"}), invalid);
  EXPECT_EQ(h.Run({"SET", "k", "v", "PX", "0"}), invalid);
  EXPECT_EQ(h.Run({"SET", "k", "v", "EXAT", "0"}), invalid);
  // EX * 1000 overflows; now + ms overflows.
  EXPECT_EQ(h.Run({"SET", "k", "v", "EX", "9223372036854776"}), invalid);
  EXPECT_EQ(h.Run({"SET", "k", "v", "EX", "9223372036854775"}), invalid);
  EXPECT_EQ(h.Run({"SET", "k", "v", "PX", "9223372036854775807"}), invalid);
  EXPECT_EQ(h.Run({"SET", "k", "v", "PXAT", "9223372036854775807"}), "+OK\r\n");
  EXPECT_EQ(h.Run({"SET", "k", "v", "EXAT", "9223372036854775"}), "+OK\r\n");
  EXPECT_EQ(h.Run({"SET", "k", "v", "EX", "abc"}), kNotInteger);
  EXPECT_EQ(h.Run({"SET", "k", "v", "EX"}), kSyntax);
  EXPECT_EQ(h.Run({"SET", "k", "v", "EX", "10", "PX", "10"}), kSyntax);
  EXPECT_EQ(h.Run({"SET", "k", "v", "KEEPTTL", "EX", "10"}), kSyntax);
  EXPECT_EQ(h.Run({"SET", "k", "v", "EX", "10", "KEEPTTL"}), kSyntax);
  EXPECT_EQ(h.Run({"SET", "k", "v", "PERSIST"}), kSyntax);
  EXPECT_EQ(h.Run({"SET", "k", "v", "FOO"}), kSyntax);
  // Syntax is checked before the expire value.
  EXPECT_EQ(h.Run({"SET", "k", "v", "EX", "0", "FOO"}), kSyntax);
}

TEST(StringCommandsTest, SetnxSetexPsetex) {
  CommandHarness h;
  EXPECT_EQ(h.Run({"SETNX", "k", "a"}), ":1\r\n");
  EXPECT_EQ(h.Run({"SETNX", "k", "b"}), ":0\r\n");
  EXPECT_EQ(h.Run({"GET", "k"}), "$1\r\na\r\n");
  MakeHash(h, "h");
  EXPECT_EQ(h.Run({"SETNX", "h", "x"}), ":0\r\n");
  EXPECT_EQ(h.Run({"SETEX", "k", "100", "v"}), "+OK\r\n");
  EXPECT_EQ(ExpireOf(h, "k"), h.now_ms() + 100000);
  EXPECT_EQ(h.Run({"PSETEX", "k", "100", "v"}), "+OK\r\n");
  EXPECT_EQ(ExpireOf(h, "k"), h.now_ms() + 100);
  EXPECT_EQ(h.Run({"SETEX", "k", "0", "v"}), "-ERR invalid expire time in 'setex' command\r\n");
  EXPECT_EQ(h.Run({"PSETEX", "k", "-1", "v"}), "-ERR invalid expire time in 'psetex' command\r\n");
  EXPECT_EQ(h.Run({"SETEX", "k", "9223372036854776", "v"}),
            "-ERR invalid expire time in 'setex' command\r\n");
  EXPECT_EQ(h.Run({"SETEX", "k", "x", "v"}), kNotInteger);
  EXPECT_EQ(h.Run({"SETEX", "h", "10", "v"}), "+OK\r\n");
  EXPECT_EQ(h.Run({"GET", "h"}), "$1\r\nv\r\n");
}

TEST(StringCommandsTest, GetsetAndGetdel) {
  CommandHarness h;
  EXPECT_EQ(h.Run({"GETSET", "k", "a"}), "$-1\r\n");
  EXPECT_EQ(h.Run({"SET", "k", "a", "EX", "100"}), "+OK\r\n");
  EXPECT_EQ(h.Run({"GETSET", "k", "b"}), "$1\r\na\r\n");
  EXPECT_EQ(ExpireOf(h, "k"), 0);  // GETSET drops the TTL
  EXPECT_EQ(h.Run({"GETDEL", "k"}), "$1\r\nb\r\n");
  EXPECT_EQ(h.Run({"GETDEL", "k"}), "$-1\r\n");
  EXPECT_EQ(ExpireOf(h, "k"), -1);
  MakeHash(h, "h");
  EXPECT_EQ(h.Run({"GETSET", "h", "x"}), kWrongType);
  EXPECT_EQ(h.Run({"GETDEL", "h"}), kWrongType);
  EXPECT_EQ(h.keyspace().Stats(0).keys, 1u);
}

TEST(StringCommandsTest, Getex) {
  CommandHarness h;
  const int64_t now = h.now_ms();
  EXPECT_EQ(h.Run({"GETEX", "k"}), "$-1\r\n");
  h.Run({"SET", "k", "v"});
  EXPECT_EQ(h.Run({"GETEX", "k", "EX", "10"}), "$1\r\nv\r\n");
  EXPECT_EQ(ExpireOf(h, "k"), now + 10000);
  EXPECT_EQ(h.Run({"GETEX", "k", "PX", "10"}), "$1\r\nv\r\n");
  EXPECT_EQ(ExpireOf(h, "k"), now + 10);
  EXPECT_EQ(h.Run({"GETEX", "k", "PXAT", std::to_string(now + 5000)}), "$1\r\nv\r\n");
  EXPECT_EQ(ExpireOf(h, "k"), now + 5000);
  EXPECT_EQ(h.Run({"GETEX", "k"}), "$1\r\nv\r\n");
  EXPECT_EQ(ExpireOf(h, "k"), now + 5000);
  EXPECT_EQ(h.Run({"GETEX", "k", "PERSIST"}), "$1\r\nv\r\n");
  EXPECT_EQ(ExpireOf(h, "k"), 0);
  EXPECT_EQ(h.keyspace().Stats(0).expires, 0u);
  // An absolute time in the past deletes the key after replying.
  EXPECT_EQ(h.Run({"GETEX", "k", "EXAT", "1"}), "$1\r\nv\r\n");
  EXPECT_EQ(h.Run({"GET", "k"}), "$-1\r\n");
  EXPECT_EQ(h.keyspace().Stats(0).keys, 0u);
}

TEST(StringCommandsTest, GetexErrors) {
  CommandHarness h;
  h.Run({"SET", "k", "v"});
  MakeHash(h, "h");
  EXPECT_EQ(h.Run({"GETEX", "k", "EX", "0"}), "-ERR invalid expire time in 'getex' command\r\n");
  EXPECT_EQ(h.Run({"GETEX", "k", "PX", "9223372036854775807"}),
            "-ERR invalid expire time in 'getex' command\r\n");
  EXPECT_EQ(h.Run({"GETEX", "k", "EX", "x"}), kNotInteger);
  EXPECT_EQ(h.Run({"GETEX", "k", "PERSIST", "EX", "10"}), kSyntax);
  EXPECT_EQ(h.Run({"GETEX", "k", "EX", "10", "PERSIST"}), kSyntax);
  EXPECT_EQ(h.Run({"GETEX", "k", "NX"}), kSyntax);
  EXPECT_EQ(h.Run({"GETEX", "k", "GET"}), kSyntax);
  EXPECT_EQ(h.Run({"GETEX", "k", "KEEPTTL"}), kSyntax);
  EXPECT_EQ(h.Run({"GETEX", "k", "EX"}), kSyntax);
  // The key is looked up before the expire time is validated.
  EXPECT_EQ(h.Run({"GETEX", "missing", "EX", "0"}), "$-1\r\n");
  EXPECT_EQ(h.Run({"GETEX", "h", "EX", "0"}), kWrongType);
}

TEST(StringCommandsTest, MgetMsetMsetnx) {
  CommandHarness h;
  MakeHash(h, "h");
  EXPECT_EQ(h.Run({"MSET", "a", "1", "b", "2"}), "+OK\r\n");
  EXPECT_EQ(h.Run({"MGET", "a", "b", "c", "h"}), "*4\r\n$1\r\n1\r\n$1\r\n2\r\n$-1\r\n$-1\r\n");
  EXPECT_EQ(h.Run({"MSET", "a", "1", "b"}),
            "-ERR wrong number of arguments for 'mset' command\r\n");
  // A later pair wins; MSET overwrites any type and drops TTLs.
  h.Run({"SET", "t", "x", "EX", "100"});
  EXPECT_EQ(h.Run({"MSET", "a", "x", "a", "y", "h", "z", "t", "u"}), "+OK\r\n");
  EXPECT_EQ(h.Run({"MGET", "a", "h", "t"}), "*3\r\n$1\r\ny\r\n$1\r\nz\r\n$1\r\nu\r\n");
  EXPECT_EQ(ExpireOf(h, "t"), 0);
  EXPECT_EQ(h.Run({"MSETNX", "a", "1", "n", "2"}), ":0\r\n");
  EXPECT_EQ(h.Run({"GET", "n"}), "$-1\r\n");
  EXPECT_EQ(h.Run({"MSETNX", "n", "1", "m", "2"}), ":1\r\n");
  EXPECT_EQ(h.Run({"MGET", "n", "m"}), "*2\r\n$1\r\n1\r\n$1\r\n2\r\n");
  EXPECT_EQ(h.Run({"MSETNX", "p", "1", "q"}),
            "-ERR wrong number of arguments for 'msetnx' command\r\n");
  h.client().protocol = 3;
  EXPECT_EQ(h.Run({"MGET", "a", "zz"}), "*2\r\n$1\r\ny\r\n_\r\n");
}

TEST(StringCommandsTest, AppendAndStrlen) {
  CommandHarness h;
  EXPECT_EQ(h.Run({"APPEND", "k", "ab"}), ":2\r\n");
  EXPECT_EQ(h.Run({"APPEND", "k", "cde"}), ":5\r\n");
  EXPECT_EQ(h.Run({"GET", "k"}), "$5\r\nabcde\r\n");
  EXPECT_EQ(h.Run({"STRLEN", "k"}), ":5\r\n");
  EXPECT_EQ(h.Run({"STRLEN", "missing"}), ":0\r\n");
  // APPEND keeps the TTL.
  h.Run({"SET", "t", "x", "EX", "100"});
  EXPECT_EQ(h.Run({"APPEND", "t", "y"}), ":2\r\n");
  EXPECT_EQ(ExpireOf(h, "t"), h.now_ms() + 100000);
  MakeHash(h, "h");
  EXPECT_EQ(h.Run({"APPEND", "h", "x"}), kWrongType);
  EXPECT_EQ(h.Run({"STRLEN", "h"}), kWrongType);
  h.config().proto_max_bulk_len = 6;
  EXPECT_EQ(h.Run({"APPEND", "k", "f"}), ":6\r\n");
  EXPECT_EQ(h.Run({"APPEND", "k", "g"}),
            "-ERR string exceeds maximum allowed size (proto-max-bulk-len)\r\n");
}

TEST(StringCommandsTest, Getrange) {
  CommandHarness h;
  h.Run({"SET", "s", "This is a string"});
  EXPECT_EQ(h.Run({"GETRANGE", "s", "0", "3"}), "$4\r\nThis\r\n");
  EXPECT_EQ(h.Run({"GETRANGE", "s", "-3", "-1"}), "$3\r\ning\r\n");
  EXPECT_EQ(h.Run({"GETRANGE", "s", "0", "-1"}), Bulk("This is a string"));
  EXPECT_EQ(h.Run({"GETRANGE", "s", "10", "100"}), "$6\r\nstring\r\n");
  EXPECT_EQ(h.Run({"GETRANGE", "s", "5", "3"}), "$0\r\n\r\n");
  EXPECT_EQ(h.Run({"GETRANGE", "s", "-1", "-5"}), "$0\r\n\r\n");
  EXPECT_EQ(h.Run({"GETRANGE", "s", "-100", "2"}), "$3\r\nThi\r\n");
  EXPECT_EQ(h.Run({"GETRANGE", "s", "-9223372036854775808", "9223372036854775807"}),
            Bulk("This is a string"));
  EXPECT_EQ(h.Run({"SUBSTR", "s", "0", "3"}), "$4\r\nThis\r\n");
  EXPECT_EQ(h.Run({"GETRANGE", "missing", "0", "-1"}), "$0\r\n\r\n");
  EXPECT_EQ(h.Run({"GETRANGE", "s", "a", "1"}), kNotInteger);
  h.Run({"SET", "e", ""});
  EXPECT_EQ(h.Run({"GETRANGE", "e", "0", "-1"}), "$0\r\n\r\n");
  MakeHash(h, "h");
  EXPECT_EQ(h.Run({"GETRANGE", "h", "0", "1"}), kWrongType);
  // Arguments are parsed before the key is looked up.
  EXPECT_EQ(h.Run({"GETRANGE", "h", "x", "1"}), kNotInteger);
}

TEST(StringCommandsTest, Setrange) {
  CommandHarness h;
  h.Run({"SET", "s", "Hello World"});
  EXPECT_EQ(h.Run({"SETRANGE", "s", "6", "Redis"}), ":11\r\n");
  EXPECT_EQ(h.Run({"GET", "s"}), "$11\r\nHello Redis\r\n");
  EXPECT_EQ(h.Run({"SETRANGE", "n", "3", "x"}), ":4\r\n");
  EXPECT_EQ(h.Run({"GET", "n"}), Bulk(std::string("\0\0\0x", 4)));
  EXPECT_EQ(h.Run({"SETRANGE", "z", "0", ""}), ":0\r\n");
  EXPECT_EQ(h.Run({"GET", "z"}), "$-1\r\n");
  EXPECT_EQ(h.Run({"SETRANGE", "s", "100", ""}), ":11\r\n");
  EXPECT_EQ(h.Run({"SETRANGE", "s", "-1", "x"}), "-ERR offset is out of range\r\n");
  EXPECT_EQ(h.Run({"SETRANGE", "s", "x", "x"}), kNotInteger);
  EXPECT_EQ(h.Run({"SETRANGE", "s", "9223372036854775807", "x"}),
            "-ERR string exceeds maximum allowed size (proto-max-bulk-len)\r\n");
  // offset + length may reach proto-max-bulk-len, not exceed it.
  h.config().proto_max_bulk_len = 16;
  EXPECT_EQ(h.Run({"SETRANGE", "s", "15", "x"}), ":16\r\n");
  EXPECT_EQ(h.Run({"SETRANGE", "s", "15", "xy"}),
            "-ERR string exceeds maximum allowed size (proto-max-bulk-len)\r\n");
  EXPECT_EQ(h.Run({"SETRANGE", "new", "16", "x"}),
            "-ERR string exceeds maximum allowed size (proto-max-bulk-len)\r\n");
  MakeHash(h, "h");
  EXPECT_EQ(h.Run({"SETRANGE", "h", "0", "x"}), kWrongType);
  EXPECT_EQ(h.Run({"SETRANGE", "h", "0", ""}), kWrongType);
}

TEST(StringCommandsTest, IncrDecr) {
  CommandHarness h;
  EXPECT_EQ(h.Run({"INCR", "n"}), ":1\r\n");
  EXPECT_EQ(h.Run({"INCR", "n"}), ":2\r\n");
  EXPECT_EQ(h.Run({"DECR", "n"}), ":1\r\n");
  EXPECT_EQ(h.Run({"INCRBY", "n", "10"}), ":11\r\n");
  EXPECT_EQ(h.Run({"DECRBY", "n", "3"}), ":8\r\n");
  EXPECT_EQ(h.Run({"GET", "n"}), "$1\r\n8\r\n");
  EXPECT_EQ(h.Run({"INCRBY", "n", "abc"}), kNotInteger);
  EXPECT_EQ(h.Run({"INCRBY", "n", "9223372036854775807"}),
            "-ERR increment or decrement would overflow\r\n");
  h.Run({"SET", "n", "-9223372036854775808"});
  EXPECT_EQ(h.Run({"DECR", "n"}), "-ERR increment or decrement would overflow\r\n");
  EXPECT_EQ(h.Run({"DECRBY", "n", "-9223372036854775808"}), "-ERR decrement would overflow\r\n");
  for (const char* bad : {" 1", "01", "+1", "1.5", "", "99999999999999999999"}) {
    h.Run({"SET", "n", bad});
    EXPECT_EQ(h.Run({"INCR", "n"}), kNotInteger) << bad;
  }
  // INCR keeps the TTL.
  h.Run({"SET", "t", "5", "EX", "100"});
  EXPECT_EQ(h.Run({"INCR", "t"}), ":6\r\n");
  EXPECT_EQ(ExpireOf(h, "t"), h.now_ms() + 100000);
  MakeHash(h, "h");
  EXPECT_EQ(h.Run({"INCR", "h"}), kWrongType);
}

TEST(StringCommandsTest, Incrbyfloat) {
  CommandHarness h;
  EXPECT_EQ(h.Run({"INCRBYFLOAT", "f", "10.5"}), "$4\r\n10.5\r\n");
  EXPECT_EQ(h.Run({"INCRBYFLOAT", "f", "0.1"}), "$4\r\n10.6\r\n");
  EXPECT_EQ(h.Run({"INCRBYFLOAT", "f", "-5.0e3"}), "$23\r\n-4989.39999999999999991\r\n");
  h.Run({"SET", "f", "5.0e3"});
  EXPECT_EQ(h.Run({"INCRBYFLOAT", "f", "2.0e2"}), "$4\r\n5200\r\n");
  h.Run({"SET", "f", "0"});
  EXPECT_EQ(h.Run({"INCRBYFLOAT", "f", "-0"}), "$1\r\n0\r\n");
  EXPECT_EQ(h.Run({"INCRBYFLOAT", "f", "0.00000000000000001"}), "$19\r\n0.00000000000000001\r\n");
  EXPECT_EQ(h.Run({"INCRBYFLOAT", "f", "inf"}), "-ERR increment would produce NaN or Infinity\r\n");
  EXPECT_EQ(h.Run({"INCRBYFLOAT", "f", "nan"}), "-ERR value is not a valid float\r\n");
  EXPECT_EQ(h.Run({"INCRBYFLOAT", "f", "abc"}), "-ERR value is not a valid float\r\n");
  EXPECT_EQ(h.Run({"INCRBYFLOAT", "f", " 1"}), "-ERR value is not a valid float\r\n");
  h.Run({"SET", "f", "abc"});
  EXPECT_EQ(h.Run({"INCRBYFLOAT", "f", "1"}), "-ERR value is not a valid float\r\n");
  MakeHash(h, "h");
  EXPECT_EQ(h.Run({"INCRBYFLOAT", "h", "1"}), kWrongType);
}

TEST(StringCommandsTest, Lcs) {
  CommandHarness h;
  h.Run({"MSET", "k1", "ohmytext", "k2", "mynewtext"});
  EXPECT_EQ(h.Run({"LCS", "k1", "k2"}), "$6\r\nmytext\r\n");
  EXPECT_EQ(h.Run({"LCS", "k1", "k2", "LEN"}), ":6\r\n");
  EXPECT_EQ(h.Run({"LCS", "k1", "k2", "IDX"}),
            "*4\r\n$7\r\nmatches\r\n*2\r\n"
            "*2\r\n*2\r\n:4\r\n:7\r\n*2\r\n:5\r\n:8\r\n"
            "*2\r\n*2\r\n:2\r\n:3\r\n*2\r\n:0\r\n:1\r\n"
            "$3\r\nlen\r\n:6\r\n");
  EXPECT_EQ(h.Run({"LCS", "k1", "k2", "IDX", "MINMATCHLEN", "4", "WITHMATCHLEN"}),
            "*4\r\n$7\r\nmatches\r\n*1\r\n"
            "*3\r\n*2\r\n:4\r\n:7\r\n*2\r\n:5\r\n:8\r\n:4\r\n"
            "$3\r\nlen\r\n:6\r\n");
  EXPECT_EQ(h.Run({"LCS", "k1", "missing"}), "$0\r\n\r\n");
  EXPECT_EQ(h.Run({"LCS", "k1", "k2", "LEN", "IDX"}),
            "-ERR If you want both the length and indexes, please just use IDX.\r\n");
  EXPECT_EQ(h.Run({"LCS", "k1", "k2", "FOO"}), kSyntax);
  EXPECT_EQ(h.Run({"LCS", "k1", "k2", "MINMATCHLEN"}), kSyntax);
  EXPECT_EQ(h.Run({"LCS", "k1", "k2", "MINMATCHLEN", "x"}), kNotInteger);
  MakeHash(h, "h");
  // The type check comes before the options.
  EXPECT_EQ(h.Run({"LCS", "k1", "h", "FOO"}),
            "-ERR The specified keys must contain string values\r\n");
  h.config().proto_max_bulk_len = 16;
  EXPECT_EQ(h.Run({"LCS", "k1", "k2"}),
            "-ERR Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len\r\n");
}

TEST(StringCommandsTest, LcsResp3) {
  CommandHarness h;
  h.client().protocol = 3;
  h.Run({"MSET", "k1", "ohmytext", "k2", "mynewtext"});
  EXPECT_EQ(h.Run({"LCS", "k1", "k2", "IDX", "WITHMATCHLEN"}),
            "%2\r\n$7\r\nmatches\r\n*2\r\n"
            "*3\r\n*2\r\n:4\r\n:7\r\n*2\r\n:5\r\n:8\r\n:4\r\n"
            "*3\r\n*2\r\n:2\r\n:3\r\n*2\r\n:0\r\n:1\r\n:2\r\n"
            "$3\r\nlen\r\n:6\r\n");
  EXPECT_EQ(h.Run({"LCS", "x", "y", "IDX"}), "%2\r\n$7\r\nmatches\r\n*0\r\n$3\r\nlen\r\n:0\r\n");
  EXPECT_EQ(h.Run({"LCS", "k1", "k2"}), "$6\r\nmytext\r\n");
}

TEST(StringCommandsTest, KeyspaceHitsCountOnlyReads) {
  CommandHarness h;
  h.Run({"SET", "k", "v"});
  h.Run({"INCR", "n"});
  h.Run({"APPEND", "k", "x"});
  EXPECT_EQ(h.server().stats.keyspace_hits, 0u);
  EXPECT_EQ(h.server().stats.keyspace_misses, 0u);
  h.Run({"GET", "k"});
  h.Run({"MGET", "k", "nope"});
  EXPECT_EQ(h.server().stats.keyspace_hits, 2u);
  EXPECT_EQ(h.server().stats.keyspace_misses, 1u);
}

TEST(StringCommandsTest, WatchSeesStringWrites) {
  CommandHarness h;
  commands::ClientState other;
  other.id = 2;
  other.authenticated = true;
  EXPECT_EQ(h.Run({"WATCH", "k"}), "+OK\r\n");
  // Setting a key with an expiry already past still counts as a change.
  EXPECT_EQ(h.RunAs(other, {"SET", "k", "v", "PXAT", "1"}), "+OK\r\n");
  h.Run({"MULTI"});
  h.Run({"PING"});
  EXPECT_EQ(h.Run({"EXEC"}), "*-1\r\n");
}

}  // namespace
}  // namespace ringkv::testing

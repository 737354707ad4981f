// Bitmap commands: replies are compared byte for byte with what Redis 7.0.15
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
constexpr char kBadOffset[] = "-ERR bit offset is not an integer or out of range\r\n";
constexpr char kBadType[] =
    "-ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but "
    "i64 is.\r\n";

TEST(BitCommandsTest, SetbitGetbit) {
  CommandHarness h;
  EXPECT_EQ(h.Run({"SETBIT", "b", "7", "1"}), ":0\r\n");
  EXPECT_EQ(h.Run({"SETBIT", "b", "7", "1"}), ":1\r\n");
  EXPECT_EQ(h.Run({"GET", "b"}), "$1\r\n\x01\r\n");
  EXPECT_EQ(h.Run({"SETBIT", "b", "0", "1"}), ":0\r\n");
  EXPECT_EQ(h.Run({"GET", "b"}), "$1\r\n\x81\r\n");
  EXPECT_EQ(h.Run({"SETBIT", "b", "7", "0"}), ":1\r\n");
  EXPECT_EQ(h.Run({"SETBIT", "b", "20", "1"}), ":0\r\n");
  EXPECT_EQ(h.Run({"STRLEN", "b"}), ":3\r\n");
  EXPECT_EQ(h.Run({"GETBIT", "b", "0"}), ":1\r\n");
  EXPECT_EQ(h.Run({"GETBIT", "b", "1"}), ":0\r\n");
  EXPECT_EQ(h.Run({"GETBIT", "b", "20"}), ":1\r\n");
  EXPECT_EQ(h.Run({"GETBIT", "b", "100000"}), ":0\r\n");
  EXPECT_EQ(h.Run({"GETBIT", "missing", "5"}), ":0\r\n");
  // SETBIT keeps the TTL.
  h.Run({"SET", "t", "x", "EX", "100"});
  EXPECT_EQ(h.Run({"SETBIT", "t", "0", "1"}), ":0\r\n");
  EXPECT_EQ(ExpireOf(h, "t"), h.now_ms() + 100000);
}

TEST(BitCommandsTest, SetbitGetbitErrors) {
  CommandHarness h;
  EXPECT_EQ(h.Run({"SETBIT", "b", "-1", "1"}), kBadOffset);
  EXPECT_EQ(h.Run({"SETBIT", "b", "abc", "1"}), kBadOffset);
  EXPECT_EQ(h.Run({"SETBIT", "b", "4294967296", "1"}), kBadOffset);
  EXPECT_EQ(h.Run({"GETBIT", "b", "4294967296"}), kBadOffset);
  EXPECT_EQ(h.Run({"GETBIT", "b", "#1"}), kBadOffset);
  EXPECT_EQ(h.Run({"SETBIT", "b", "1", "2"}), "-ERR bit is not an integer or out of range\r\n");
  EXPECT_EQ(h.Run({"SETBIT", "b", "1", "-1"}), "-ERR bit is not an integer or out of range\r\n");
  EXPECT_EQ(h.Run({"SETBIT", "b", "1", "x"}), "-ERR bit is not an integer or out of range\r\n");
  MakeHash(h, "h");
  EXPECT_EQ(h.Run({"SETBIT", "h", "1", "1"}), kWrongType);
  EXPECT_EQ(h.Run({"GETBIT", "h", "1"}), kWrongType);
  // The offset is checked against proto-max-bulk-len.
  h.config().proto_max_bulk_len = 2;
  EXPECT_EQ(h.Run({"SETBIT", "b", "15", "1"}), ":0\r\n");
  EXPECT_EQ(h.Run({"SETBIT", "b", "16", "1"}), kBadOffset);
}

TEST(BitCommandsTest, SetbitWithoutChangeDoesNotTouchWatch) {
  CommandHarness h;
  commands::ClientState other;
  other.id = 2;
  other.authenticated = true;
  h.Run({"SETBIT", "b", "3", "1"});
  h.Run({"WATCH", "b"});
  EXPECT_EQ(h.RunAs(other, {"SETBIT", "b", "3", "1"}), ":1\r\n");
  h.Run({"MULTI"});
  h.Run({"PING"});
  EXPECT_EQ(h.Run({"EXEC"}), "*1\r\n+PONG\r\n");
  h.Run({"WATCH", "b"});
  EXPECT_EQ(h.RunAs(other, {"SETBIT", "b", "3", "0"}), ":1\r\n");
  h.Run({"MULTI"});
  h.Run({"PING"});
  EXPECT_EQ(h.Run({"EXEC"}), "*-1\r\n");
}

TEST(BitCommandsTest, Bitcount) {
  CommandHarness h;
  h.Run({"SET", "b", "foobar"});
  EXPECT_EQ(h.Run({"BITCOUNT", "b"}), ":26\r\n");
  EXPECT_EQ(h.Run({"BITCOUNT", "b", "0", "0"}), ":4\r\n");
  EXPECT_EQ(h.Run({"BITCOUNT", "b", "1", "1"}), ":6\r\n");
  EXPECT_EQ(h.Run({"BITCOUNT", "b", "1", "1", "BYTE"}), ":6\r\n");
  EXPECT_EQ(h.Run({"BITCOUNT", "b", "5", "30", "BIT"}), ":17\r\n");
  EXPECT_EQ(h.Run({"BITCOUNT", "b", "-10", "-1", "bit"}), ":5\r\n");
  EXPECT_EQ(h.Run({"BITCOUNT", "b", "-3", "-1"}), ":10\r\n");
  EXPECT_EQ(h.Run({"BITCOUNT", "b", "3", "1"}), ":0\r\n");
  EXPECT_EQ(h.Run({"BITCOUNT", "b", "-1", "-2"}), ":0\r\n");
  EXPECT_EQ(h.Run({"BITCOUNT", "b", "0", "-1", "bit"}), ":26\r\n");
  EXPECT_EQ(h.Run({"BITCOUNT", "b", "-9223372036854775808", "9223372036854775807", "bit"}),
            ":26\r\n");
  EXPECT_EQ(h.Run({"BITCOUNT", "b", "1"}), kSyntax);
  EXPECT_EQ(h.Run({"BITCOUNT", "b", "0", "1", "bitx"}), kSyntax);
  EXPECT_EQ(h.Run({"BITCOUNT", "b", "0", "1", "bit", "5"}), kSyntax);
  EXPECT_EQ(h.Run({"BITCOUNT", "b", "a", "b"}), kNotInteger);
  // Redis 7.0 looks the key up first: a missing key is 0 whatever follows.
  EXPECT_EQ(h.Run({"BITCOUNT", "missing", "a", "b"}), ":0\r\n");
  EXPECT_EQ(h.Run({"BITCOUNT", "missing", "1"}), ":0\r\n");
  MakeHash(h, "h");
  EXPECT_EQ(h.Run({"BITCOUNT", "h"}), kWrongType);
  h.Run({"SET", "e", ""});
  EXPECT_EQ(h.Run({"BITCOUNT", "e"}), ":0\r\n");
  EXPECT_EQ(h.Run({"BITCOUNT", "e", "0", "-1", "bit"}), ":0\r\n");
}

TEST(BitCommandsTest, Bitpos) {
  CommandHarness h;
  h.Run({"SET", "b", std::string("\xff\xf0\x00", 3)});
  EXPECT_EQ(h.Run({"BITPOS", "b", "0"}), ":12\r\n");
  EXPECT_EQ(h.Run({"BITPOS", "b", "1"}), ":0\r\n");
  EXPECT_EQ(h.Run({"BITPOS", "b", "1", "2"}), ":-1\r\n");
  EXPECT_EQ(h.Run({"BITPOS", "b", "0", "0", "0"}), ":-1\r\n");
  EXPECT_EQ(h.Run({"BITPOS", "b", "1", "1", "-1"}), ":8\r\n");
  EXPECT_EQ(h.Run({"BITPOS", "b", "0", "7", "15", "BIT"}), ":12\r\n");
  EXPECT_EQ(h.Run({"BITPOS", "b", "1", "13", "23", "bit"}), ":-1\r\n");
  EXPECT_EQ(h.Run({"BITPOS", "b", "1", "5", "3", "bit"}), ":-1\r\n");
  // All ones: without an end, the first 0 is just past the string...
  h.Run({"SET", "ones", std::string("\xff\xff", 2)});
  EXPECT_EQ(h.Run({"BITPOS", "ones", "0"}), ":16\r\n");
  EXPECT_EQ(h.Run({"BITPOS", "ones", "0", "1"}), ":16\r\n");
  // ...but with an explicit end there is none.
  EXPECT_EQ(h.Run({"BITPOS", "ones", "0", "0", "-1"}), ":-1\r\n");
  EXPECT_EQ(h.Run({"BITPOS", "ones", "0", "3", "10", "bit"}), ":-1\r\n");
  EXPECT_EQ(h.Run({"BITPOS", "missing", "0"}), ":0\r\n");
  EXPECT_EQ(h.Run({"BITPOS", "missing", "1"}), ":-1\r\n");
  EXPECT_EQ(h.Run({"BITPOS", "missing", "0", "5", "abc"}), ":0\r\n");
  h.Run({"SET", "e", ""});
  EXPECT_EQ(h.Run({"BITPOS", "e", "0"}), ":-1\r\n");
  EXPECT_EQ(h.Run({"BITPOS", "b", "2"}), "-ERR The bit argument must be 1 or 0.\r\n");
  EXPECT_EQ(h.Run({"BITPOS", "b", "x"}), kNotInteger);
  EXPECT_EQ(h.Run({"BITPOS", "b", "1", "x"}), kNotInteger);
  // The unit is parsed before the end.
  EXPECT_EQ(h.Run({"BITPOS", "b", "1", "0", "x", "bat"}), kSyntax);
  EXPECT_EQ(h.Run({"BITPOS", "b", "1", "0", "x", "bit"}), kNotInteger);
  EXPECT_EQ(h.Run({"BITPOS", "b", "1", "0", "1", "bit", "x"}), kSyntax);
  MakeHash(h, "h");
  EXPECT_EQ(h.Run({"BITPOS", "h", "1"}), kWrongType);
}

TEST(BitCommandsTest, Bitop) {
  CommandHarness h;
  h.Run({"SET", "a", std::string("\xf0\x0f", 2)});
  h.Run({"SET", "b", std::string("\xff", 1)});
  EXPECT_EQ(h.Run({"BITOP", "AND", "d", "a", "b"}), ":2\r\n");
  EXPECT_EQ(h.Run({"GET", "d"}), Bulk(std::string("\xf0\x00", 2)));
  EXPECT_EQ(h.Run({"BITOP", "or", "d", "a", "b"}), ":2\r\n");
  EXPECT_EQ(h.Run({"GET", "d"}), Bulk(std::string("\xff\x0f", 2)));
  EXPECT_EQ(h.Run({"BITOP", "XOR", "d", "a", "b", "missing"}), ":2\r\n");
  EXPECT_EQ(h.Run({"GET", "d"}), Bulk(std::string("\x0f\x0f", 2)));
  EXPECT_EQ(h.Run({"BITOP", "NOT", "d", "a"}), ":2\r\n");
  EXPECT_EQ(h.Run({"GET", "d"}), Bulk(std::string("\x0f\xf0", 2)));
  EXPECT_EQ(h.Run({"BITOP", "AND", "d", "a", "missing"}), ":2\r\n");
  EXPECT_EQ(h.Run({"GET", "d"}), Bulk(std::string("\x00\x00", 2)));
  // The destination loses its TTL; an empty result deletes it.
  h.Run({"SET", "t", "x", "EX", "100"});
  EXPECT_EQ(h.Run({"BITOP", "OR", "t", "a"}), ":2\r\n");
  EXPECT_EQ(ExpireOf(h, "t"), 0);
  EXPECT_EQ(h.Run({"BITOP", "OR", "t", "missing"}), ":0\r\n");
  EXPECT_EQ(ExpireOf(h, "t"), -1);
  EXPECT_EQ(h.Run({"BITOP", "NOT", "d", "a", "b"}),
            "-ERR BITOP NOT must be called with a single source key.\r\n");
  EXPECT_EQ(h.Run({"BITOP", "NAND", "d", "a"}), kSyntax);
  MakeHash(h, "h");
  EXPECT_EQ(h.Run({"BITOP", "OR", "d", "a", "h"}), kWrongType);
  // A hash destination is overwritten.
  EXPECT_EQ(h.Run({"BITOP", "OR", "h", "a"}), ":2\r\n");
  EXPECT_EQ(h.Run({"GET", "h"}), Bulk(std::string("\xf0\x0f", 2)));
}

TEST(BitCommandsTest, BitfieldSignedAndUnsigned) {
  CommandHarness h;
  EXPECT_EQ(h.Run({"BITFIELD", "bf", "SET", "i8", "0", "100", "INCRBY", "i8", "0", "100", "GET",
                   "u4", "0"}),
            "*3\r\n:0\r\n:-56\r\n:12\r\n");
  EXPECT_EQ(h.Run({"BITFIELD", "bf", "OVERFLOW", "SAT", "INCRBY", "i8", "0", "100", "OVERFLOW",
                   "FAIL", "INCRBY", "i8", "0", "1", "GET", "i8", "0"}),
            "*3\r\n:44\r\n:45\r\n:45\r\n");
  EXPECT_EQ(h.Run({"BITFIELD", "bf", "INCRBY", "u2", "100", "5", "INCRBY", "u2", "100", "-5"}),
            "*2\r\n:1\r\n:0\r\n");
  EXPECT_EQ(
      h.Run({"BITFIELD", "bf",  "OVERFLOW", "SAT", "SET", "u8", "#0", "300", "SET", "i8", "#1",
             "-300",     "GET", "u8",       "#0",  "GET", "i8", "#1", "SET", "u8",  "#0", "-1"}),
      "*5\r\n:45\r\n:0\r\n:255\r\n:-128\r\n:255\r\n");
  EXPECT_EQ(h.Run({"BITFIELD", "x", "SET", "i64", "0", "-1", "GET", "u63", "0", "GET", "i64", "0",
                   "INCRBY", "i64", "0", "-9223372036854775808"}),
            "*4\r\n:0\r\n:9223372036854775807\r\n:-1\r\n:9223372036854775807\r\n");
  EXPECT_EQ(h.Run({"BITFIELD", "missing", "GET", "u8", "0", "GET", "i5", "100"}),
            "*2\r\n:0\r\n:0\r\n");
  EXPECT_EQ(h.Run({"BITFIELD", "missing"}), "*0\r\n");
}

TEST(BitCommandsTest, BitfieldOverflowFail) {
  CommandHarness h;
  // FAIL replies nil and writes nothing, but the key is still created and grown.
  EXPECT_EQ(h.Run({"BITFIELD", "k", "OVERFLOW", "FAIL", "INCRBY", "u2", "100", "100"}),
            "*1\r\n$-1\r\n");
  EXPECT_EQ(h.Run({"STRLEN", "k"}), ":13\r\n");
  EXPECT_EQ(h.Run({"BITFIELD", "k", "OVERFLOW", "FAIL", "INCRBY", "u2", "100", "1"}),
            "*1\r\n:1\r\n");
  EXPECT_EQ(h.Run({"BITFIELD", "k", "OVERFLOW", "FAIL", "SET", "u2", "#1", "5", "GET", "u2", "#1"}),
            "*2\r\n$-1\r\n:0\r\n");
  h.client().protocol = 3;
  EXPECT_EQ(h.Run({"BITFIELD", "k", "OVERFLOW", "FAIL", "INCRBY", "i8", "0", "200"}),
            "*1\r\n_\r\n");
}

TEST(BitCommandsTest, BitfieldErrors) {
  CommandHarness h;
  EXPECT_EQ(h.Run({"BITFIELD", "k", "GET", "u64", "0"}), kBadType);
  EXPECT_EQ(h.Run({"BITFIELD", "k", "GET", "i65", "0"}), kBadType);
  EXPECT_EQ(h.Run({"BITFIELD", "k", "GET", "i0", "0"}), kBadType);
  EXPECT_EQ(h.Run({"BITFIELD", "k", "GET", "I8", "0"}), kBadType);
  EXPECT_EQ(h.Run({"BITFIELD", "k", "GET", "x8", "0"}), kBadType);
  EXPECT_EQ(h.Run({"BITFIELD", "k", "GET", "i8", "-1"}), kBadOffset);
  EXPECT_EQ(h.Run({"BITFIELD", "k", "GET", "i8", "#-1"}), kBadOffset);
  EXPECT_EQ(h.Run({"BITFIELD", "k", "GET", "u8", "4294967296"}), kBadOffset);
  EXPECT_EQ(h.Run({"BITFIELD", "k", "GET", "u8", "#536870912"}), kBadOffset);
  EXPECT_EQ(h.Run({"BITFIELD", "k", "GET", "u8", "#536870911"}), "*1\r\n:0\r\n");
  EXPECT_EQ(h.Run({"BITFIELD", "k", "OVERFLOW", "FOO"}),
            "-ERR Invalid OVERFLOW type specified\r\n");
  EXPECT_EQ(h.Run({"BITFIELD", "k", "OVERFLOW"}), kSyntax);
  EXPECT_EQ(h.Run({"BITFIELD", "k", "GET", "u8"}), kSyntax);
  EXPECT_EQ(h.Run({"BITFIELD", "k", "SET", "u8", "0"}), kSyntax);
  EXPECT_EQ(h.Run({"BITFIELD", "k", "SET", "u8", "0", "x"}), kNotInteger);
  EXPECT_EQ(h.Run({"BITFIELD", "k", "BAD"}), kSyntax);
  EXPECT_EQ(h.Run({"GET", "k"}), "$-1\r\n");  // nothing was created by the errors
  MakeHash(h, "h");
  EXPECT_EQ(h.Run({"BITFIELD", "h", "GET", "u8", "0"}), kWrongType);
  EXPECT_EQ(h.Run({"BITFIELD", "h", "SET", "u8", "0", "1"}), kWrongType);
}

TEST(BitCommandsTest, BitfieldRo) {
  CommandHarness h;
  h.Run({"SET", "k", "a"});
  EXPECT_EQ(h.Run({"BITFIELD_RO", "k", "GET", "u8", "0", "GET", "i4", "4"}), "*2\r\n:97\r\n:1\r\n");
  EXPECT_EQ(h.Run({"BITFIELD_RO", "k", "GET", "u8", "0", "SET", "u8", "0", "1"}),
            "-ERR BITFIELD_RO only supports the GET subcommand\r\n");
  // Arguments are parsed before the read-only check.
  EXPECT_EQ(h.Run({"BITFIELD_RO", "k", "SET", "u8", "0", "x"}), kNotInteger);
  EXPECT_EQ(h.Run({"BITFIELD_RO", "k", "OVERFLOW", "SAT"}), "*0\r\n");
  EXPECT_EQ(h.Run({"GET", "k"}), "$1\r\na\r\n");
}

}  // namespace
}  // namespace ringkv::testing

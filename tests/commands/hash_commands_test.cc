// Hash command tests: replies byte-for-byte as Redis 7.0.15 gives them (RESP2
// and RESP3), and the storage invariants behind them (exact field counts, one
// LevelDB entry per field, key removal with the last field).
#include <gtest/gtest.h>

#include <map>
#include <set>
#include <string>
#include <vector>

#include "storage/record.h"
#include "tests/commands/harness.h"

namespace ringkv::testing {
namespace {

constexpr char kWrongType[] =
    "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n";
constexpr char kSyntax[] = "-ERR syntax error\r\n";
constexpr char kNotInt[] = "-ERR value is not an integer or out of range\r\n";

// A decoded RESP reply (only what these tests need).
struct Reply {
  char type = 0;  // '+', '-', ':', '$', '*', '%', '_', ...
  std::string str;
  int64_t num = 0;
  std::vector<Reply> elems;  // arrays; maps hold key, value, key, value ...
};

// Parses one reply from `in` starting at *pos. Aborts the test on bad input.
Reply Parse(const std::string& in, size_t* pos) {
  Reply r;
  const size_t eol = in.find("\r\n", *pos);
  EXPECT_NE(eol, std::string::npos);
  r.type = in[*pos];
  const std::string line = in.substr(*pos + 1, eol - *pos - 1);
  *pos = eol + 2;
  switch (r.type) {
    case '$': {
      const int64_t n = std::stoll(line);
      if (n >= 0) {
        r.str = in.substr(*pos, n);
        *pos += n + 2;
      }
      break;
    }
    case '*':
    case '%': {
      int64_t n = std::stoll(line);
      if (r.type == '%') n *= 2;
      for (int64_t i = 0; i < n; ++i) r.elems.push_back(Parse(in, pos));
      break;
    }
    case ':':
      r.num = std::stoll(line);
      break;
    default:
      r.str = line;
  }
  return r;
}

Reply Parse(const std::string& in) {
  size_t pos = 0;
  Reply r = Parse(in, &pos);
  EXPECT_EQ(pos, in.size()) << "trailing bytes in " << in;
  return r;
}

class HashCommandsTest : public ::testing::Test {
 protected:
  // The stored field count of `key` in db 0 (-1 if the key is missing).
  int64_t StoredFieldCount(const std::string& key) {
    storage::KeyRecord record;
    if (!h_.keyspace().Find(0, key, h_.now_ms(), &record).ok()) return -1;
    return static_cast<int64_t>(record.field_count);
  }
  // The number of field entries actually stored for `key`.
  int64_t StoredFieldEntries(const std::string& key) {
    int64_t n = 0;
    h_.keyspace().ForEachField(0, key, 0, [&](uint64_t, std::string_view, std::string_view) {
      ++n;
      return true;
    });
    return n;
  }
  void ExpectCountExact(const std::string& key, int64_t expected) {
    EXPECT_EQ(StoredFieldCount(key), expected);
    EXPECT_EQ(StoredFieldEntries(key), expected < 0 ? 0 : expected);
    EXPECT_EQ(h_.Run({"HLEN", key}), ":" + std::to_string(expected < 0 ? 0 : expected) + "\r\n");
  }
  void Fill(const std::string& key, int n, const std::string& value_prefix = "v") {
    std::vector<std::string> args = {"HSET", key};
    for (int i = 0; i < n; ++i) {
      args.push_back("f" + std::to_string(i));
      args.push_back(value_prefix + std::to_string(i));
    }
    EXPECT_EQ(h_.Run(args), ":" + std::to_string(n) + "\r\n");
  }

  CommandHarness h_;
};

TEST_F(HashCommandsTest, HSetCountsOnlyNewFields) {
  EXPECT_EQ(h_.Run({"HSET", "h", "a", "1", "b", "2"}), ":2\r\n");
  EXPECT_EQ(h_.Run({"HSET", "h", "a", "x", "c", "3"}), ":1\r\n");
  EXPECT_EQ(h_.Run({"HSET", "h", "a", "y"}), ":0\r\n");
  // A field repeated inside one command is created once; the last value wins.
  EXPECT_EQ(h_.Run({"HSET", "h", "d", "1", "d", "2"}), ":1\r\n");
  EXPECT_EQ(h_.Run({"HSET", "n", "d", "1", "d", "2"}), ":1\r\n");
  EXPECT_EQ(h_.Run({"HGET", "h", "a"}), "$1\r\ny\r\n");
  EXPECT_EQ(h_.Run({"HGET", "h", "d"}), "$1\r\n2\r\n");
  EXPECT_EQ(h_.Run({"HGET", "n", "d"}), "$1\r\n2\r\n");
  ExpectCountExact("h", 4);
  ExpectCountExact("n", 1);
  EXPECT_EQ(h_.keyspace().Stats(0).keys, 2u);
}

TEST_F(HashCommandsTest, HSetArityErrors) {
  EXPECT_EQ(h_.Run({"HSET", "h", "f"}), "-ERR wrong number of arguments for 'hset' command\r\n");
  EXPECT_EQ(h_.Run({"HSET", "h", "f", "v", "g"}),
            "-ERR wrong number of arguments for 'hset' command\r\n");
  EXPECT_EQ(h_.Run({"HMSET", "h", "f", "v", "g"}),
            "-ERR wrong number of arguments for 'hmset' command\r\n");
  // The pair check comes before the type check, as in Redis.
  h_.Run({"SET", "s", "x"});
  EXPECT_EQ(h_.Run({"HSET", "s", "f", "v", "g"}),
            "-ERR wrong number of arguments for 'hset' command\r\n");
  EXPECT_EQ(h_.Run({"EXISTS", "h"}), ":0\r\n");
}

TEST_F(HashCommandsTest, HMSetAndHSetNx) {
  EXPECT_EQ(h_.Run({"HMSET", "h", "a", "1", "b", "2"}), "+OK\r\n");
  EXPECT_EQ(h_.Run({"HMSET", "h", "a", "3"}), "+OK\r\n");
  ExpectCountExact("h", 2);
  EXPECT_EQ(h_.Run({"HSETNX", "h", "a", "9"}), ":0\r\n");
  EXPECT_EQ(h_.Run({"HGET", "h", "a"}), "$1\r\n3\r\n");
  EXPECT_EQ(h_.Run({"HSETNX", "h", "c", "9"}), ":1\r\n");
  ExpectCountExact("h", 3);
  EXPECT_EQ(h_.Run({"HSETNX", "new", "c", "9"}), ":1\r\n");
  ExpectCountExact("new", 1);
}

TEST_F(HashCommandsTest, HGetHMGetMissing) {
  EXPECT_EQ(h_.Run({"HGET", "nokey", "f"}), "$-1\r\n");
  h_.Run({"HSET", "h", "a", "1", "e", ""});
  EXPECT_EQ(h_.Run({"HGET", "h", "zz"}), "$-1\r\n");
  EXPECT_EQ(h_.Run({"HGET", "h", "e"}), "$0\r\n\r\n");
  EXPECT_EQ(h_.Run({"HMGET", "h", "a", "zz", "e"}), "*3\r\n$1\r\n1\r\n$-1\r\n$0\r\n\r\n");
  EXPECT_EQ(h_.Run({"HMGET", "nokey", "a", "b"}), "*2\r\n$-1\r\n$-1\r\n");
  h_.client().protocol = 3;
  EXPECT_EQ(h_.Run({"HGET", "nokey", "f"}), "_\r\n");
  EXPECT_EQ(h_.Run({"HMGET", "h", "a", "zz"}), "*2\r\n$1\r\n1\r\n_\r\n");
}

TEST_F(HashCommandsTest, BinaryFieldsAndValues) {
  const std::string field("a\0b", 3);
  const std::string value("\xff\0\r\n", 4);
  EXPECT_EQ(h_.Run({"HSET", "h", field, value}), ":1\r\n");
  EXPECT_EQ(h_.Run({"HGET", "h", field}), Bulk(value));
  EXPECT_EQ(h_.Run({"HSTRLEN", "h", field}), ":4\r\n");
  EXPECT_EQ(h_.Run({"HGETALL", "h"}), "*2\r\n" + Bulk(field) + Bulk(value));
}

TEST_F(HashCommandsTest, HGetAllHKeysHValsResp2AndResp3) {
  EXPECT_EQ(h_.Run({"HGETALL", "nokey"}), "*0\r\n");
  EXPECT_EQ(h_.Run({"HKEYS", "nokey"}), "*0\r\n");
  EXPECT_EQ(h_.Run({"HVALS", "nokey"}), "*0\r\n");
  h_.Run({"HSET", "one", "f", "v"});
  EXPECT_EQ(h_.Run({"HGETALL", "one"}), "*2\r\n$1\r\nf\r\n$1\r\nv\r\n");
  EXPECT_EQ(h_.Run({"HKEYS", "one"}), "*1\r\n$1\r\nf\r\n");
  EXPECT_EQ(h_.Run({"HVALS", "one"}), "*1\r\n$1\r\nv\r\n");

  Fill("h", 20);
  Reply all = Parse(h_.Run({"HGETALL", "h"}));
  ASSERT_EQ(all.type, '*');
  ASSERT_EQ(all.elems.size(), 40u);
  std::map<std::string, std::string> got;
  for (size_t i = 0; i < all.elems.size(); i += 2) got[all.elems[i].str] = all.elems[i + 1].str;
  ASSERT_EQ(got.size(), 20u);
  for (int i = 0; i < 20; ++i) EXPECT_EQ(got["f" + std::to_string(i)], "v" + std::to_string(i));
  // HKEYS and HVALS come in the same order as HGETALL.
  Reply keys = Parse(h_.Run({"HKEYS", "h"}));
  Reply vals = Parse(h_.Run({"HVALS", "h"}));
  ASSERT_EQ(keys.elems.size(), 20u);
  ASSERT_EQ(vals.elems.size(), 20u);
  for (size_t i = 0; i < 20; ++i) {
    EXPECT_EQ(keys.elems[i].str, all.elems[2 * i].str);
    EXPECT_EQ(vals.elems[i].str, all.elems[2 * i + 1].str);
  }

  h_.client().protocol = 3;
  EXPECT_EQ(h_.Run({"HGETALL", "nokey"}), "%0\r\n");
  EXPECT_EQ(h_.Run({"HKEYS", "nokey"}), "*0\r\n");
  EXPECT_EQ(h_.Run({"HGETALL", "one"}), "%1\r\n$1\r\nf\r\n$1\r\nv\r\n");
  EXPECT_EQ(h_.Run({"HKEYS", "one"}), "*1\r\n$1\r\nf\r\n");
  Reply map = Parse(h_.Run({"HGETALL", "h"}));
  EXPECT_EQ(map.type, '%');
  EXPECT_EQ(map.elems.size(), 40u);
}

TEST_F(HashCommandsTest, HDelRemovesKeyWithLastField) {
  h_.Run({"HSET", "h", "a", "1", "b", "2", "c", "3"});
  EXPECT_EQ(h_.Run({"HDEL", "h", "zz"}), ":0\r\n");
  EXPECT_EQ(h_.Run({"HDEL", "h", "a", "a", "zz"}), ":1\r\n");
  ExpectCountExact("h", 2);
  EXPECT_EQ(h_.Run({"HDEL", "h", "b", "c", "b"}), ":2\r\n");
  EXPECT_EQ(h_.Run({"EXISTS", "h"}), ":0\r\n");
  ExpectCountExact("h", -1);
  EXPECT_EQ(h_.keyspace().Stats(0).keys, 0u);
  EXPECT_EQ(h_.Run({"HDEL", "nokey", "a"}), ":0\r\n");
  // The key can be recreated from scratch afterwards.
  EXPECT_EQ(h_.Run({"HSET", "h", "b", "x"}), ":1\r\n");
  ExpectCountExact("h", 1);
}

TEST_F(HashCommandsTest, FieldCountStaysExactAcrossMixedWrites) {
  std::set<std::string> model;
  for (int round = 0; round < 200; ++round) {
    const std::string f1 = "f" + std::to_string((round * 7) % 23);
    const std::string f2 = "f" + std::to_string((round * 11) % 23);
    if (round % 3 == 2) {
      const int removed = static_cast<int>(model.erase(f1) + model.erase(f2));
      ASSERT_EQ(h_.Run({"HDEL", "h", f1, f2}), ":" + std::to_string(removed) + "\r\n");
    } else if (round % 5 == 4) {
      model.insert(f1);
      ASSERT_EQ(h_.Run({"HINCRBY", "h", f1, "1"})[0], ':');
    } else {
      const size_t before = model.size();
      model.insert(f1);
      model.insert(f2);
      ASSERT_EQ(h_.Run({"HSET", "h", f1, "1", f2, "2"}),
                ":" + std::to_string(model.size() - before) + "\r\n");
    }
    ASSERT_EQ(StoredFieldCount("h"), model.empty() ? -1 : static_cast<int64_t>(model.size()));
  }
  ExpectCountExact("h", model.empty() ? -1 : static_cast<int64_t>(model.size()));
}

TEST_F(HashCommandsTest, HExistsHLenHStrLen) {
  h_.Run({"HSET", "h", "a", "hello", "e", ""});
  EXPECT_EQ(h_.Run({"HEXISTS", "h", "a"}), ":1\r\n");
  EXPECT_EQ(h_.Run({"HEXISTS", "h", "zz"}), ":0\r\n");
  EXPECT_EQ(h_.Run({"HEXISTS", "nokey", "a"}), ":0\r\n");
  EXPECT_EQ(h_.Run({"HLEN", "h"}), ":2\r\n");
  EXPECT_EQ(h_.Run({"HLEN", "nokey"}), ":0\r\n");
  EXPECT_EQ(h_.Run({"HSTRLEN", "h", "a"}), ":5\r\n");
  EXPECT_EQ(h_.Run({"HSTRLEN", "h", "e"}), ":0\r\n");
  EXPECT_EQ(h_.Run({"HSTRLEN", "h", "zz"}), ":0\r\n");
  EXPECT_EQ(h_.Run({"HSTRLEN", "nokey", "a"}), ":0\r\n");
}

TEST_F(HashCommandsTest, WrongTypeAgainstString) {
  ASSERT_EQ(h_.Run({"SET", "s", "x"}), "+OK\r\n");
  const std::vector<std::vector<std::string>> commands = {
      {"HSET", "s", "f", "v"},
      {"HSETNX", "s", "f", "v"},
      {"HMSET", "s", "f", "v"},
      {"HGET", "s", "f"},
      {"HMGET", "s", "f"},
      {"HGETALL", "s"},
      {"HKEYS", "s"},
      {"HVALS", "s"},
      {"HDEL", "s", "f"},
      {"HEXISTS", "s", "f"},
      {"HLEN", "s"},
      {"HSTRLEN", "s", "f"},
      {"HINCRBY", "s", "f", "1"},
      {"HINCRBYFLOAT", "s", "f", "1"},
      {"HSCAN", "s", "0"},
      {"HSCAN", "s", "0", "badoption"},  // the type is checked before the options
      {"HRANDFIELD", "s"},
      {"HRANDFIELD", "s", "2"},
      {"HRANDFIELD", "s", "-2", "WITHVALUES"},
  };
  for (const auto& cmd : commands) EXPECT_EQ(h_.Run(cmd), kWrongType) << cmd[0];
  EXPECT_EQ(h_.Run({"GET", "s"}), "$1\r\nx\r\n");
  // Argument errors that Redis checks before the key come first.
  EXPECT_EQ(h_.Run({"HINCRBY", "s", "f", "x"}), kNotInt);
  EXPECT_EQ(h_.Run({"HINCRBYFLOAT", "s", "f", "x"}), "-ERR value is not a valid float\r\n");
  EXPECT_EQ(h_.Run({"HSCAN", "s", "x"}), "-ERR invalid cursor\r\n");
  EXPECT_EQ(h_.Run({"HRANDFIELD", "s", "x"}), kNotInt);
  EXPECT_EQ(h_.Run({"HRANDFIELD", "s", "1", "x"}), kSyntax);
}

TEST_F(HashCommandsTest, HIncrBy) {
  EXPECT_EQ(h_.Run({"HINCRBY", "h", "f", "5"}), ":5\r\n");
  EXPECT_EQ(h_.Run({"HINCRBY", "h", "f", "-10"}), ":-5\r\n");
  EXPECT_EQ(h_.Run({"HGET", "h", "f"}), "$2\r\n-5\r\n");
  ExpectCountExact("h", 1);
  EXPECT_EQ(h_.Run({"HINCRBY", "h", "f", "x"}), kNotInt);
  EXPECT_EQ(h_.Run({"HINCRBY", "h", "f", "1.5"}), kNotInt);
  EXPECT_EQ(h_.Run({"HINCRBY", "h", "f", "99999999999999999999"}), kNotInt);
  // A bad increment never creates the key.
  EXPECT_EQ(h_.Run({"HINCRBY", "nokey", "f", "x"}), kNotInt);
  EXPECT_EQ(h_.Run({"EXISTS", "nokey"}), ":0\r\n");

  h_.Run({"HSET", "h", "big", "9223372036854775800", "neg", "-9223372036854775800"});
  EXPECT_EQ(h_.Run({"HINCRBY", "h", "big", "7"}), ":9223372036854775807\r\n");
  EXPECT_EQ(h_.Run({"HINCRBY", "h", "big", "1"}), "-ERR increment or decrement would overflow\r\n");
  EXPECT_EQ(h_.Run({"HINCRBY", "h", "neg", "-8"}), ":-9223372036854775808\r\n");
  EXPECT_EQ(h_.Run({"HINCRBY", "h", "neg", "-1"}),
            "-ERR increment or decrement would overflow\r\n");
  EXPECT_EQ(h_.Run({"HGET", "h", "neg"}), "$20\r\n-9223372036854775808\r\n");

  for (const char* bad : {"abc", " 1", "01", "1 ", "", "1.0"}) {
    h_.Run({"HSET", "h", "s", bad});
    EXPECT_EQ(h_.Run({"HINCRBY", "h", "s", "1"}), "-ERR hash value is not an integer\r\n") << bad;
  }
  ExpectCountExact("h", 4);
}

TEST_F(HashCommandsTest, HIncrByFloat) {
  EXPECT_EQ(h_.Run({"HINCRBYFLOAT", "h", "f", "1.5"}), "$3\r\n1.5\r\n");
  EXPECT_EQ(h_.Run({"HINCRBYFLOAT", "h", "f", "0.1"}), "$3\r\n1.6\r\n");
  EXPECT_EQ(h_.Run({"HINCRBYFLOAT", "h", "f", "-1.6"}), "$1\r\n0\r\n");
  EXPECT_EQ(h_.Run({"HINCRBYFLOAT", "h", "g", "3.0e3"}), "$4\r\n3000\r\n");
  EXPECT_EQ(h_.Run({"HINCRBYFLOAT", "h", "g", "5.0e-3"}), "$22\r\n3000.00499999999999989\r\n");
  EXPECT_EQ(h_.Run({"HGET", "h", "g"}), "$22\r\n3000.00499999999999989\r\n");
  EXPECT_EQ(h_.Run({"HINCRBYFLOAT", "h", "i", "0x10"}), "$2\r\n16\r\n");
  // strtold underflow to a denormal is accepted, as Redis's string2ld does.
  EXPECT_EQ(h_.Run({"HINCRBYFLOAT", "h", "d", "1e-4940"}), "$1\r\n0\r\n");
  ExpectCountExact("h", 4);

  EXPECT_EQ(h_.Run({"HINCRBYFLOAT", "h", "f", "abc"}), "-ERR value is not a valid float\r\n");
  EXPECT_EQ(h_.Run({"HINCRBYFLOAT", "h", "f", " 1"}), "-ERR value is not a valid float\r\n");
  EXPECT_EQ(h_.Run({"HINCRBYFLOAT", "h", "f", ""}), "-ERR value is not a valid float\r\n");
  EXPECT_EQ(h_.Run({"HINCRBYFLOAT", "h", "f", "nan"}), "-ERR value is not a valid float\r\n");
  EXPECT_EQ(h_.Run({"HINCRBYFLOAT", "h", "f", "inf"}), "-ERR value is NaN or Infinity\r\n");
  EXPECT_EQ(h_.Run({"HINCRBYFLOAT", "h", "f", "-inf"}), "-ERR value is NaN or Infinity\r\n");
  EXPECT_EQ(h_.Run({"HINCRBYFLOAT", "nokey", "f", "inf"}), "-ERR value is NaN or Infinity\r\n");
  EXPECT_EQ(h_.Run({"EXISTS", "nokey"}), ":0\r\n");

  h_.Run({"HSET", "h", "s", "abc", "inf", "inf", "huge", "1.7e4932", "mx", "1e4932"});
  EXPECT_EQ(h_.Run({"HINCRBYFLOAT", "h", "s", "1"}), "-ERR hash value is not a float\r\n");
  EXPECT_EQ(h_.Run({"HINCRBYFLOAT", "h", "huge", "1"}), "-ERR hash value is not a float\r\n");
  EXPECT_EQ(h_.Run({"HINCRBYFLOAT", "h", "inf", "1"}),
            "-ERR increment would produce NaN or Infinity\r\n");
  EXPECT_EQ(h_.Run({"HINCRBYFLOAT", "h", "mx", "1e4932"}),
            "-ERR increment would produce NaN or Infinity\r\n");
  EXPECT_EQ(h_.Run({"HGET", "h", "mx"}), "$6\r\n1e4932\r\n");
  // RESP3 still answers a bulk string, as Redis 7.0 does.
  h_.client().protocol = 3;
  EXPECT_EQ(h_.Run({"HINCRBYFLOAT", "h", "f", "2"}), "$1\r\n2\r\n");
}

TEST_F(HashCommandsTest, HScanSmallHashIsOneReply) {
  EXPECT_EQ(h_.Run({"HSCAN", "nokey", "0"}), "*2\r\n$1\r\n0\r\n*0\r\n");
  EXPECT_EQ(h_.Run({"HSCAN", "nokey", "0", "badopt"}), "*2\r\n$1\r\n0\r\n*0\r\n");
  EXPECT_EQ(h_.Run({"HSCAN", "nokey", "x"}), "-ERR invalid cursor\r\n");
  h_.Run({"HSET", "one", "f", "v"});
  EXPECT_EQ(h_.Run({"HSCAN", "one", "0"}), "*2\r\n$1\r\n0\r\n*2\r\n$1\r\nf\r\n$1\r\nv\r\n");
  EXPECT_EQ(h_.Run({"HSCAN", "one", "0", "MATCH", "g*"}), "*2\r\n$1\r\n0\r\n*0\r\n");
  EXPECT_EQ(h_.Run({"HSCAN", "one", "0", "match", "f", "count", "100"}),
            "*2\r\n$1\r\n0\r\n*2\r\n$1\r\nf\r\n$1\r\nv\r\n");
  EXPECT_EQ(h_.Run({"HSCAN", "one", "0", "COUNT", "0"}), kSyntax);
  EXPECT_EQ(h_.Run({"HSCAN", "one", "0", "COUNT", "-1"}), kSyntax);
  EXPECT_EQ(h_.Run({"HSCAN", "one", "0", "COUNT", "x"}), kNotInt);
  EXPECT_EQ(h_.Run({"HSCAN", "one", "0", "COUNT"}), kSyntax);
  EXPECT_EQ(h_.Run({"HSCAN", "one", "0", "MATCH"}), kSyntax);
  EXPECT_EQ(h_.Run({"HSCAN", "one", "0", "TYPE", "string"}), kSyntax);
  EXPECT_EQ(h_.Run({"HSCAN", "one", "0", "MATCH", "*", "foo"}), kSyntax);

  // Up to 512 short fields: everything at once with cursor 0, whatever COUNT
  // and cursor say (Redis's listpack encoding).
  Fill("h", 512);
  for (const char* cursor : {"0", "12345"}) {
    Reply r = Parse(h_.Run({"HSCAN", "h", cursor, "COUNT", "1"}));
    ASSERT_EQ(r.elems.size(), 2u);
    EXPECT_EQ(r.elems[0].str, "0");
    EXPECT_EQ(r.elems[1].elems.size(), 1024u);
  }
  Reply matched = Parse(h_.Run({"HSCAN", "h", "0", "MATCH", "f1?", "COUNT", "1"}));
  EXPECT_EQ(matched.elems[1].elems.size(), 20u);

  h_.client().protocol = 3;
  EXPECT_EQ(h_.Run({"HSCAN", "one", "0"}), "*2\r\n$1\r\n0\r\n*2\r\n$1\r\nf\r\n$1\r\nv\r\n");
  EXPECT_EQ(h_.Run({"HSCAN", "nokey", "0"}), "*2\r\n$1\r\n0\r\n*0\r\n");
}

// Pages through `key` with COUNT `count`, returning every field seen (with
// repeats) and checking each value.
std::vector<std::string> ScanAll(CommandHarness& h, const std::string& key, int count,
                                 const std::string& match, int* calls) {
  std::vector<std::string> seen;
  std::string cursor = "0";
  *calls = 0;
  do {
    std::vector<std::string> args = {"HSCAN", key, cursor, "COUNT", std::to_string(count)};
    if (!match.empty()) {
      args.push_back("MATCH");
      args.push_back(match);
    }
    Reply r = Parse(h.Run(args));
    EXPECT_EQ(r.type, '*');
    if (r.elems.size() != 2) return seen;
    cursor = r.elems[0].str;
    const auto& items = r.elems[1].elems;
    EXPECT_EQ(items.size() % 2, 0u);
    EXPECT_LE(items.size(), 2u * count);
    for (size_t i = 0; i + 1 < items.size(); i += 2) {
      EXPECT_EQ(items[i + 1].str, "v" + items[i].str.substr(1));
      seen.push_back(items[i].str);
    }
    ++*calls;
  } while (cursor != "0" && *calls < 100000);
  return seen;
}

TEST_F(HashCommandsTest, HScanPagesOverLargeHashCoveringEveryFieldOnce) {
  Fill("h", 1000);
  int calls = 0;
  for (int count : {1, 7, 10, 250, 999, 1000, 5000}) {
    std::vector<std::string> seen = ScanAll(h_, "h", count, "", &calls);
    EXPECT_EQ(seen.size(), 1000u) << "count " << count;
    std::set<std::string> unique(seen.begin(), seen.end());
    EXPECT_EQ(unique.size(), 1000u) << "count " << count;
    EXPECT_EQ(calls, (1000 + count - 1) / count) << "count " << count;
  }
  // MATCH filters each page after COUNT fields were visited, as Redis does.
  std::vector<std::string> seen = ScanAll(h_, "h", 10, "f9*", &calls);
  EXPECT_EQ(seen.size(), 111u);
  EXPECT_EQ(calls, 100);

  // Fields written between calls with the same cursor are not lost: the cursor
  // is a hash position, so every field present for the whole scan is returned.
  std::set<std::string> visited;
  std::string cursor = "0";
  int step = 0;
  do {
    Reply r = Parse(h_.Run({"HSCAN", "h", cursor, "COUNT", "50"}));
    cursor = r.elems[0].str;
    for (size_t i = 0; i < r.elems[1].elems.size(); i += 2) visited.insert(r.elems[1].elems[i].str);
    h_.Run({"HSET", "h", "extra" + std::to_string(step++), "v"});
  } while (cursor != "0");
  for (int i = 0; i < 1000; ++i) EXPECT_TRUE(visited.count("f" + std::to_string(i))) << i;

  h_.client().protocol = 3;
  Reply r = Parse(h_.Run({"HSCAN", "h", "0", "COUNT", "5"}));
  ASSERT_EQ(r.type, '*');
  EXPECT_NE(r.elems[0].str, "0");
  EXPECT_EQ(r.elems[1].type, '*');
  EXPECT_EQ(r.elems[1].elems.size(), 10u);
}

TEST_F(HashCommandsTest, HScanPagesSmallHashWithLongValue) {
  // A value over 64 bytes makes Redis use a hash table, which HSCAN pages.
  Fill("h", 5);
  h_.Run({"HSET", "h", "flong", "v" + std::string(64, 'x')});
  Reply r = Parse(h_.Run({"HSCAN", "h", "0", "COUNT", "1"}));
  EXPECT_NE(r.elems[0].str, "0");
  EXPECT_EQ(r.elems[1].elems.size(), 2u);
  std::set<std::string> seen;
  std::string cursor = "0";
  do {
    r = Parse(h_.Run({"HSCAN", "h", cursor, "COUNT", "2"}));
    cursor = r.elems[0].str;
    for (size_t i = 0; i < r.elems[1].elems.size(); i += 2) {
      EXPECT_TRUE(seen.insert(r.elems[1].elems[i].str).second);
    }
  } while (cursor != "0");
  EXPECT_EQ(seen.size(), 6u);
}

TEST_F(HashCommandsTest, HRandFieldArguments) {
  EXPECT_EQ(h_.Run({"HRANDFIELD", "nokey"}), "$-1\r\n");
  EXPECT_EQ(h_.Run({"HRANDFIELD", "nokey", "5"}), "*0\r\n");
  EXPECT_EQ(h_.Run({"HRANDFIELD", "nokey", "-5", "WITHVALUES"}), "*0\r\n");
  h_.Run({"HSET", "h", "f", "v"});
  EXPECT_EQ(h_.Run({"HRANDFIELD", "h"}), "$1\r\nf\r\n");
  EXPECT_EQ(h_.Run({"HRANDFIELD", "h", "0"}), "*0\r\n");
  EXPECT_EQ(h_.Run({"HRANDFIELD", "h", "1"}), "*1\r\n$1\r\nf\r\n");
  EXPECT_EQ(h_.Run({"HRANDFIELD", "h", "5"}), "*1\r\n$1\r\nf\r\n");
  EXPECT_EQ(h_.Run({"HRANDFIELD", "h", "-3"}), "*3\r\n$1\r\nf\r\n$1\r\nf\r\n$1\r\nf\r\n");
  EXPECT_EQ(h_.Run({"HRANDFIELD", "h", "-2", "withvalues"}),
            "*4\r\n$1\r\nf\r\n$1\r\nv\r\n$1\r\nf\r\n$1\r\nv\r\n");
  EXPECT_EQ(h_.Run({"HRANDFIELD", "h", "1", "WITHVALUES"}), "*2\r\n$1\r\nf\r\n$1\r\nv\r\n");
  EXPECT_EQ(h_.Run({"HRANDFIELD", "h", "x"}), kNotInt);
  EXPECT_EQ(h_.Run({"HRANDFIELD", "h", "1.5"}), kNotInt);
  EXPECT_EQ(h_.Run({"HRANDFIELD", "h", "9223372036854775808"}), kNotInt);
  EXPECT_EQ(h_.Run({"HRANDFIELD", "h", "-9223372036854775808"}),
            "-ERR value is out of range, value must between -9223372036854775807 and "
            "9223372036854775807\r\n");
  EXPECT_EQ(h_.Run({"HRANDFIELD", "h", "1", "WITHVALUES", "x"}), kSyntax);
  EXPECT_EQ(h_.Run({"HRANDFIELD", "h", "1", "NOVALUES"}), kSyntax);
  EXPECT_EQ(h_.Run({"HRANDFIELD", "h", "4611686018427387904", "WITHVALUES"}),
            "-ERR value is out of range\r\n");
  EXPECT_EQ(h_.Run({"HRANDFIELD", "h", "-4611686018427387904", "WITHVALUES"}),
            "-ERR value is out of range\r\n");
  EXPECT_EQ(h_.Run({"HRANDFIELD", "nokey", "4611686018427387903", "WITHVALUES"}), "*0\r\n");
  EXPECT_EQ(h_.Run({"HRANDFIELD", "h", "4611686018427387903"}), "*1\r\n$1\r\nf\r\n");

  h_.client().protocol = 3;
  EXPECT_EQ(h_.Run({"HRANDFIELD", "nokey"}), "_\r\n");
  EXPECT_EQ(h_.Run({"HRANDFIELD", "nokey", "2"}), "*0\r\n");
  EXPECT_EQ(h_.Run({"HRANDFIELD", "h", "1", "WITHVALUES"}), "*1\r\n*2\r\n$1\r\nf\r\n$1\r\nv\r\n");
  EXPECT_EQ(h_.Run({"HRANDFIELD", "h", "-2", "WITHVALUES"}),
            "*2\r\n*2\r\n$1\r\nf\r\n$1\r\nv\r\n*2\r\n$1\r\nf\r\n$1\r\nv\r\n");
  EXPECT_EQ(h_.Run({"HRANDFIELD", "h", "3"}), "*1\r\n$1\r\nf\r\n");
}

TEST_F(HashCommandsTest, HRandFieldSampling) {
  Fill("h", 30);
  auto check_pairs = [](const std::vector<std::pair<std::string, std::string>>& pairs) {
    for (const auto& [f, v] : pairs) EXPECT_EQ(v, "v" + f.substr(1));
  };
  for (int proto : {2, 3}) {
    h_.client().protocol = proto;
    for (int count : {2, 10, 29, 30, 31, 100}) {
      Reply r = Parse(h_.Run({"HRANDFIELD", "h", std::to_string(count), "WITHVALUES"}));
      std::vector<std::pair<std::string, std::string>> pairs;
      if (proto == 2) {
        for (size_t i = 0; i + 1 < r.elems.size(); i += 2)
          pairs.emplace_back(r.elems[i].str, r.elems[i + 1].str);
      } else {
        for (const auto& e : r.elems) {
          ASSERT_EQ(e.elems.size(), 2u);
          pairs.emplace_back(e.elems[0].str, e.elems[1].str);
        }
      }
      const size_t want = std::min(count, 30);
      EXPECT_EQ(pairs.size(), want);
      std::set<std::pair<std::string, std::string>> unique(pairs.begin(), pairs.end());
      EXPECT_EQ(unique.size(), want) << "positive counts return distinct fields";
      check_pairs(pairs);
    }
    // Negative counts repeat: 300 picks out of 30 fields must repeat some.
    Reply r = Parse(h_.Run({"HRANDFIELD", "h", "-300"}));
    ASSERT_EQ(r.elems.size(), 300u);
    std::set<std::string> unique;
    for (const auto& e : r.elems) unique.insert(e.str);
    EXPECT_LT(unique.size(), 300u);
  }
  // The single-field form reaches every field eventually.
  h_.client().protocol = 2;
  std::set<std::string> seen;
  for (int i = 0; i < 2000 && seen.size() < 30; ++i) {
    seen.insert(Parse(h_.Run({"HRANDFIELD", "h"})).str);
  }
  EXPECT_EQ(seen.size(), 30u);
}

TEST_F(HashCommandsTest, HRandFieldRefusesRepliesBeyondOutputLimit) {
  h_.Run({"HSET", "h", "f", "v"});
  h_.config().output_hard_limit = 6000;
  EXPECT_EQ(h_.Run({"HRANDFIELD", "h", "-1000"}).substr(0, 7), "*1000\r\n");
  EXPECT_EQ(h_.Run({"HRANDFIELD", "h", "-1001"}), "-ERR value is out of range\r\n");
  EXPECT_EQ(h_.Run({"HRANDFIELD", "h", "-501", "WITHVALUES"}), "-ERR value is out of range\r\n");
  // Positive counts are bounded by the hash size and need no limit.
  EXPECT_EQ(h_.Run({"HRANDFIELD", "h", "1000000"}), "*1\r\n$1\r\nf\r\n");
}

TEST_F(HashCommandsTest, ExpiredHashIsReplaced) {
  h_.Run({"HSET", "h", "a", "1", "b", "2"});
  storage::KeyRecord record;
  ASSERT_TRUE(h_.keyspace().Find(0, "h", h_.now_ms(), &record).ok());
  storage::KeyRecord with_ttl = record;
  with_ttl.expire_ms = h_.now_ms() + 1000;
  h_.keyspace().Write(0, "h", with_ttl, &record);
  h_.keyspace().Commit();

  // Writes keep the TTL.
  EXPECT_EQ(h_.Run({"HSET", "h", "c", "3"}), ":1\r\n");
  EXPECT_EQ(h_.Run({"HDEL", "h", "a"}), ":1\r\n");
  EXPECT_EQ(h_.Run({"HINCRBY", "h", "n", "1"}), ":1\r\n");
  ASSERT_TRUE(h_.keyspace().Find(0, "h", h_.now_ms(), &record).ok());
  EXPECT_EQ(record.expire_ms, h_.now_ms() + 1000);
  EXPECT_EQ(h_.keyspace().Stats(0).expires, 1u);

  h_.advance_ms(1000);
  EXPECT_EQ(h_.Run({"HGET", "h", "b"}), "$-1\r\n");
  EXPECT_EQ(h_.Run({"HLEN", "h"}), ":0\r\n");
  // Recreated from nothing: the old fields are gone and the count restarts.
  EXPECT_EQ(h_.Run({"HSET", "h", "b", "x", "z", "y"}), ":2\r\n");
  ExpectCountExact("h", 2);
  EXPECT_EQ(h_.Run({"HGET", "h", "c"}), "$-1\r\n");
  ASSERT_TRUE(h_.keyspace().Find(0, "h", h_.now_ms(), &record).ok());
  EXPECT_EQ(record.expire_ms, 0);
  EXPECT_EQ(h_.keyspace().Stats(0).expires, 0u);
  EXPECT_EQ(h_.keyspace().Stats(0).keys, 1u);
}

TEST_F(HashCommandsTest, WritesTouchWatchedKeys) {
  commands::ClientState other;
  other.id = 2;
  other.authenticated = true;
  h_.Run({"HSET", "h", "a", "1"});
  const std::vector<std::vector<std::string>> writes = {
      {"HSET", "h", "a", "2"},  // update only: no new field, still a change
      {"HMSET", "h", "b", "1"},   {"HSETNX", "h", "c", "1"},       {"HDEL", "h", "c"},
      {"HINCRBY", "h", "a", "1"}, {"HINCRBYFLOAT", "h", "a", "1"},
  };
  for (const auto& write : writes) {
    ASSERT_EQ(h_.Run({"WATCH", "h"}), "+OK\r\n");
    ASSERT_NE(h_.RunAs(other, write)[0], '-') << write[0];
    h_.Run({"MULTI"});
    h_.Run({"HGET", "h", "a"});
    EXPECT_EQ(h_.Run({"EXEC"}), "*-1\r\n") << write[0];
  }
  // Commands that change nothing leave the watch intact.
  const std::vector<std::vector<std::string>> no_ops = {
      {"HSETNX", "h", "a", "9"}, {"HDEL", "h", "zz"}, {"HGET", "h", "a"}};
  for (const auto& cmd : no_ops) {
    ASSERT_EQ(h_.Run({"WATCH", "h"}), "+OK\r\n");
    h_.RunAs(other, cmd);
    h_.Run({"MULTI"});
    h_.Run({"HLEN", "h"});
    EXPECT_EQ(h_.Run({"EXEC"}), "*1\r\n:2\r\n") << cmd[0];
  }
}

TEST_F(HashCommandsTest, CommandTableRows) {
  EXPECT_EQ(h_.Run({"HGET", "h"}), "-ERR wrong number of arguments for 'hget' command\r\n");
  EXPECT_EQ(h_.Run({"HLEN"}), "-ERR wrong number of arguments for 'hlen' command\r\n");
  EXPECT_EQ(h_.Run({"HSCAN", "h"}), "-ERR wrong number of arguments for 'hscan' command\r\n");
  EXPECT_EQ(h_.Run({"HRANDFIELD"}), "-ERR wrong number of arguments for 'hrandfield' command\r\n");
  EXPECT_EQ(h_.Run({"HINCRBY", "h", "f"}),
            "-ERR wrong number of arguments for 'hincrby' command\r\n");
  const commands::CommandSpec* spec = commands::Commands().Find("hset");
  ASSERT_NE(spec, nullptr);
  EXPECT_EQ(spec->arity, -4);
  EXPECT_EQ(spec->flags, commands::kWrite | commands::kDenyOom | commands::kFast);
  spec = commands::Commands().Find("hgetall");
  ASSERT_NE(spec, nullptr);
  EXPECT_EQ(spec->flags, commands::kReadOnly);
  EXPECT_EQ(spec->acl_categories, "@read @hash @slow");
}

}  // namespace
}  // namespace ringkv::testing

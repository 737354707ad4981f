#include "resp/reply_builder.h"

#include <gtest/gtest.h>
#include <hiredis/hiredis.h>

#include <cmath>
#include <cstdio>
#include <cstring>
#include <limits>
#include <memory>
#include <random>
#include <string>
#include <vector>

namespace ringkv::resp {
namespace {

using namespace std::string_literals;

std::string Build(int protocol, void (*fill)(ReplyBuilder&)) {
  std::string out;
  ReplyBuilder b(&out);
  b.set_protocol(protocol);
  fill(b);
  return out;
}

// A compact description of a hiredis reply, to compare with expectations.
std::string Describe(const redisReply* r) {
  switch (r->type) {
    case REDIS_REPLY_STRING:
      return "str:" + std::string(r->str, r->len);
    case REDIS_REPLY_STATUS:
      return "status:" + std::string(r->str, r->len);
    case REDIS_REPLY_ERROR:
      return "err:" + std::string(r->str, r->len);
    case REDIS_REPLY_INTEGER:
      return "int:" + std::to_string(r->integer);
    case REDIS_REPLY_NIL:
      return "nil";
    case REDIS_REPLY_ARRAY: {
      std::string s = "[";
      for (size_t i = 0; i < r->elements; ++i) s += (i ? "," : "") + Describe(r->element[i]);
      return s + "]";
    }
  }
  return "?";
}

// Parses RESP2 bytes with hiredis's reader, fed in random pieces, and describes
// every reply. Anything hiredis rejects or leaves incomplete fails the test.
std::vector<std::string> ReadWithHiredis(const std::string& bytes, uint32_t seed = 1) {
  std::unique_ptr<redisReader, decltype(&redisReaderFree)> reader(redisReaderCreate(),
                                                                  &redisReaderFree);
  std::mt19937 rng(seed);
  std::vector<std::string> replies;
  size_t pos = 0;
  while (pos < bytes.size()) {
    const size_t n = std::min<size_t>(1 + rng() % 16, bytes.size() - pos);
    EXPECT_EQ(redisReaderFeed(reader.get(), bytes.data() + pos, n), REDIS_OK);
    pos += n;
    void* reply = nullptr;
    while (true) {
      if (redisReaderGetReply(reader.get(), &reply) != REDIS_OK) {
        ADD_FAILURE() << "hiredis: " << reader->errstr;
        return replies;
      }
      if (reply == nullptr) break;
      replies.push_back(Describe(static_cast<redisReply*>(reply)));
      freeReplyObject(reply);
    }
  }
  void* reply = nullptr;
  EXPECT_EQ(redisReaderGetReply(reader.get(), &reply), REDIS_OK);
  EXPECT_EQ(reply, nullptr) << "bytes left over";
  return replies;
}

TEST(RespReplyTest, SimpleTypesResp2) {
  EXPECT_EQ(Build(2, [](ReplyBuilder& b) { b.Ok(); }), "+OK\r\n");
  EXPECT_EQ(Build(2, [](ReplyBuilder& b) { b.SimpleString("PONG"); }), "+PONG\r\n");
  EXPECT_EQ(Build(2, [](ReplyBuilder& b) { b.Integer(0); }), ":0\r\n");
  EXPECT_EQ(Build(2, [](ReplyBuilder& b) { b.Integer(-42); }), ":-42\r\n");
  EXPECT_EQ(Build(2, [](ReplyBuilder& b) { b.Integer(std::numeric_limits<int64_t>::min()); }),
            ":-9223372036854775808\r\n");
  EXPECT_EQ(Build(2, [](ReplyBuilder& b) { b.Integer(std::numeric_limits<int64_t>::max()); }),
            ":9223372036854775807\r\n");
  EXPECT_EQ(Build(2, [](ReplyBuilder& b) { b.Bulk("hello"); }), "$5\r\nhello\r\n");
  EXPECT_EQ(Build(2, [](ReplyBuilder& b) { b.Bulk(""); }), "$0\r\n\r\n");
  EXPECT_EQ(Build(2, [](ReplyBuilder& b) { b.Bulk("a\0\r\nb"s); }), "$5\r\na\0\r\nb\r\n"s);
  EXPECT_EQ(Build(2, [](ReplyBuilder& b) { b.Null(); }), "$-1\r\n");
  EXPECT_EQ(Build(2, [](ReplyBuilder& b) { b.NullArray(); }), "*-1\r\n");
  EXPECT_EQ(Build(2, [](ReplyBuilder& b) { b.ArrayHeader(3); }), "*3\r\n");
  EXPECT_EQ(Build(2, [](ReplyBuilder& b) { b.ArrayHeader(0); }), "*0\r\n");
  EXPECT_EQ(Build(2, [](ReplyBuilder& b) { b.MapHeader(3); }), "*6\r\n");
  EXPECT_EQ(Build(2, [](ReplyBuilder& b) { b.SetHeader(2); }), "*2\r\n");
  EXPECT_EQ(Build(2, [](ReplyBuilder& b) { b.PushHeader(3); }), "*3\r\n");
  EXPECT_EQ(Build(2, [](ReplyBuilder& b) { b.Bool(true); }), ":1\r\n");
  EXPECT_EQ(Build(2, [](ReplyBuilder& b) { b.Bool(false); }), ":0\r\n");
  EXPECT_EQ(Build(2, [](ReplyBuilder& b) { b.Verbatim("txt", "hi\n"); }), "$3\r\nhi\n\r\n");
  EXPECT_EQ(Build(2, [](ReplyBuilder& b) { b.Raw("+RAW\r\n"); }), "+RAW\r\n");
}

TEST(RespReplyTest, SimpleTypesResp3) {
  EXPECT_EQ(Build(3, [](ReplyBuilder& b) { b.Ok(); }), "+OK\r\n");
  EXPECT_EQ(Build(3, [](ReplyBuilder& b) { b.Integer(-7); }), ":-7\r\n");
  EXPECT_EQ(Build(3, [](ReplyBuilder& b) { b.Bulk("hello"); }), "$5\r\nhello\r\n");
  EXPECT_EQ(Build(3, [](ReplyBuilder& b) { b.Null(); }), "_\r\n");
  EXPECT_EQ(Build(3, [](ReplyBuilder& b) { b.NullArray(); }), "_\r\n");
  EXPECT_EQ(Build(3, [](ReplyBuilder& b) { b.ArrayHeader(3); }), "*3\r\n");
  EXPECT_EQ(Build(3, [](ReplyBuilder& b) { b.MapHeader(3); }), "%3\r\n");
  EXPECT_EQ(Build(3, [](ReplyBuilder& b) { b.SetHeader(2); }), "~2\r\n");
  EXPECT_EQ(Build(3, [](ReplyBuilder& b) { b.PushHeader(3); }), ">3\r\n");
  EXPECT_EQ(Build(3, [](ReplyBuilder& b) { b.Bool(true); }), "#t\r\n");
  EXPECT_EQ(Build(3, [](ReplyBuilder& b) { b.Bool(false); }), "#f\r\n");
  EXPECT_EQ(Build(3, [](ReplyBuilder& b) { b.Error("ERR x"); }), "-ERR x\r\n");
  // The text of LOLWUT as Redis 7.0 sends it over RESP3.
  EXPECT_EQ(Build(3, [](ReplyBuilder& b) { b.Verbatim("txt", "hi\n"); }), "=7\r\ntxt:hi\n\r\n");
  EXPECT_EQ(Build(3, [](ReplyBuilder& b) { b.Verbatim("mkd", ""); }), "=4\r\nmkd:\r\n");
  // Like addReplyVerbatim, the format is padded or cut to three bytes.
  EXPECT_EQ(Build(3, [](ReplyBuilder& b) { b.Verbatim("t", "x"); }), "=5\r\nt  :x\r\n");
  EXPECT_EQ(Build(3, [](ReplyBuilder& b) { b.Verbatim("text", "x"); }), "=5\r\ntex:x\r\n");
}

TEST(RespReplyTest, BigNumberAndAttributes) {
  EXPECT_EQ(Build(3, [](ReplyBuilder& b) { b.BigNumber("-12345678901234567890"); }),
            "(-12345678901234567890\r\n");
  // RESP2 has no big number type: Redis sends the digits as a bulk string.
  EXPECT_EQ(Build(2, [](ReplyBuilder& b) { b.BigNumber("12345678901234567890"); }),
            "$20\r\n12345678901234567890\r\n");
  EXPECT_EQ(Build(3, [](ReplyBuilder& b) { b.AttributeHeader(2); }), "|2\r\n");
}

TEST(RespReplyTest, ErrorSanitizesNewlines) {
  EXPECT_EQ(Build(2, [](ReplyBuilder& b) { b.Error("ERR syntax error"); }),
            "-ERR syntax error\r\n");
  EXPECT_EQ(Build(2, [](ReplyBuilder& b) { b.Error("ERR bad\r\nthing\n"); }),
            "-ERR bad  thing \r\n");
  EXPECT_EQ(Build(2, [](ReplyBuilder& b) { b.Error("-WRONGTYPE x"); }), "-WRONGTYPE x\r\n");
}

TEST(RespReplyTest, DoubleMatchesRedis) {
  // Texts as Redis 7.0.15 sends them for ZSCORE.
  EXPECT_EQ(Build(3, [](ReplyBuilder& b) { b.Double(0.1); }), ",0.10000000000000001\r\n");
  EXPECT_EQ(Build(2, [](ReplyBuilder& b) { b.Double(0.1); }), "$19\r\n0.10000000000000001\r\n");
  EXPECT_EQ(Build(3, [](ReplyBuilder& b) { b.Double(1e300); }), ",1.0000000000000001e+300\r\n");
  EXPECT_EQ(Build(3, [](ReplyBuilder& b) { b.Double(1.5); }), ",1.5\r\n");
  EXPECT_EQ(Build(3, [](ReplyBuilder& b) { b.Double(-3); }), ",-3\r\n");
  EXPECT_EQ(Build(3, [](ReplyBuilder& b) { b.Double(0); }), ",0\r\n");
  EXPECT_EQ(Build(3, [](ReplyBuilder& b) { b.Double(INFINITY); }), ",inf\r\n");
  EXPECT_EQ(Build(3, [](ReplyBuilder& b) { b.Double(-INFINITY); }), ",-inf\r\n");
  EXPECT_EQ(Build(2, [](ReplyBuilder& b) { b.Double(INFINITY); }), "$3\r\ninf\r\n");
  EXPECT_EQ(Build(2, [](ReplyBuilder& b) { b.Double(-INFINITY); }), "$4\r\n-inf\r\n");
}

// Double must print exactly what printf("%.17g") prints, as addReplyDouble does.
TEST(RespReplyTest, DoubleAgreesWithPrintf) {
  std::mt19937_64 rng(2024);
  std::vector<double> values = {
      5e-324,      -0.0, 1e-5, 123456789012345678.0, 1e16, 1e17, std::numeric_limits<double>::max(),
      std::nan("")};
  for (int i = 0; i < 2000; ++i) {
    uint64_t bits = rng();
    double d;
    std::memcpy(&d, &bits, sizeof d);
    if (!std::isinf(d)) values.push_back(d);
    values.push_back(static_cast<double>(static_cast<int64_t>(rng() % 2000000) - 1000000) / 1024);
  }
  for (double d : values) {
    char expected[64];
    std::snprintf(expected, sizeof expected, "%.17g", d);
    std::string out;
    ReplyBuilder b(&out);
    b.set_protocol(3);
    b.Double(d);
    EXPECT_EQ(out, "," + std::string(expected) + "\r\n");
  }
}

TEST(RespReplyTest, AppendsToExistingOutput) {
  std::string out = "+PREVIOUS\r\n";
  ReplyBuilder b(&out);
  EXPECT_EQ(b.buffer(), &out);
  b.Integer(1);
  b.Bulk("x");
  EXPECT_EQ(out, "+PREVIOUS\r\n:1\r\n$1\r\nx\r\n");
  EXPECT_EQ(b.protocol(), 2);
  b.set_protocol(3);
  EXPECT_EQ(b.protocol(), 3);
}

// Every RESP2 encoding parses with hiredis to the expected value.
TEST(RespReplyTest, Resp2ParsesWithHiredis) {
  std::string out;
  ReplyBuilder b(&out);
  std::vector<std::string> expected;
  b.Ok();
  expected.push_back("status:OK");
  b.SimpleString("PONG");
  expected.push_back("status:PONG");
  b.Error("ERR bad\r\nthing");
  expected.push_back("err:ERR bad  thing");
  b.Integer(std::numeric_limits<int64_t>::min());
  expected.push_back("int:-9223372036854775808");
  b.Bulk("bin\0\r\nary"s);
  expected.push_back("str:bin\0\r\nary"s);
  b.Bulk("");
  expected.push_back("str:");
  b.Null();
  expected.push_back("nil");
  b.NullArray();
  expected.push_back("nil");
  b.Double(2.5);
  expected.push_back("str:2.5");
  b.Double(-INFINITY);
  expected.push_back("str:-inf");
  b.Bool(true);
  expected.push_back("int:1");
  b.Verbatim("txt", "some text");
  expected.push_back("str:some text");
  b.ArrayHeader(0);
  expected.push_back("[]");
  b.MapHeader(2);
  b.Bulk("k1");
  b.Integer(1);
  b.Bulk("k2");
  b.SetHeader(2);
  b.Bool(false);
  b.Null();
  expected.push_back("[str:k1,int:1,str:k2,[int:0,nil]]");
  b.PushHeader(3);
  b.Bulk("message");
  b.Bulk("chan");
  b.Double(1e300);
  expected.push_back("[str:message,str:chan,str:1.0000000000000001e+300]");
  EXPECT_EQ(ReadWithHiredis(out, 1), expected);
  EXPECT_EQ(ReadWithHiredis(out, 2), expected);
}

// Random bulks and integers, nested in arrays, round-trip through hiredis.
TEST(RespReplyTest, RandomResp2RoundTripsThroughHiredis) {
  std::mt19937 rng(77);
  std::string out;
  ReplyBuilder b(&out);
  std::vector<std::string> expected;
  for (int i = 0; i < 200; ++i) {
    const size_t n = rng() % 4;
    b.ArrayHeader(n);
    std::string desc = "[";
    for (size_t j = 0; j < n; ++j) {
      if (j) desc += ",";
      if (rng() % 2) {
        std::string s(rng() % 300, '\0');
        for (char& c : s) c = static_cast<char>(rng());
        b.Bulk(s);
        desc += "str:" + s;
      } else {
        const int64_t v = static_cast<int64_t>((static_cast<uint64_t>(rng()) << 32) | rng());
        b.Integer(v);
        desc += "int:" + std::to_string(v);
      }
    }
    expected.push_back(desc + "]");
  }
  EXPECT_EQ(ReadWithHiredis(out, 5), expected);
}

TEST(RespReplyTest, Resp3NestedLiteral) {
  std::string out;
  ReplyBuilder b(&out);
  b.set_protocol(3);
  b.MapHeader(2);
  b.SimpleString("server");
  b.Bulk("ringkv");
  b.Bulk("flags");
  b.SetHeader(2);
  b.Bool(true);
  b.Null();
  b.PushHeader(2);
  b.Bulk("invalidate");
  b.NullArray();
  b.Double(-0.5);
  EXPECT_EQ(out,
            "%2\r\n+server\r\n$6\r\nringkv\r\n$5\r\nflags\r\n~2\r\n#t\r\n_\r\n"
            ">2\r\n$10\r\ninvalidate\r\n_\r\n,-0.5\r\n");
}

}  // namespace
}  // namespace ringkv::resp

#include "resp/reply_parser.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace ringkv::resp {
namespace {

Reply Status(std::string s) { return Reply{Reply::Type::kStatus, std::move(s), 0, {}}; }
Reply Error(std::string s) { return Reply{Reply::Type::kError, std::move(s), 0, {}}; }
Reply Bulk(std::string s) { return Reply{Reply::Type::kBulk, std::move(s), 0, {}}; }
Reply Integer(int64_t n) { return Reply{Reply::Type::kInteger, {}, n, {}}; }
Reply Nil() { return Reply{}; }
Reply Array(std::vector<Reply> e) { return Reply{Reply::Type::kArray, {}, 0, std::move(e)}; }

struct Parsed {
  std::vector<Reply> replies;
  bool failed = false;
  std::string error;
};

// Feeds `input` in pieces of `chunk` bytes (0: all at once), draining replies
// after every piece.
Parsed Parse(std::string_view input, size_t chunk = 0, ReplyParserLimits limits = {}) {
  ReplyParser parser(limits);
  Parsed out;
  if (chunk == 0) chunk = input.size() + 1;
  for (size_t pos = 0; pos < input.size() && !out.failed; pos += chunk) {
    parser.Feed(input.substr(pos, chunk));
    Reply reply;
    for (;;) {
      const auto result = parser.Next(&reply);
      if (result == ReplyParser::Result::kNeedMore) break;
      if (result == ReplyParser::Result::kError) {
        out.failed = true;
        out.error = parser.error();
        break;
      }
      out.replies.push_back(reply);
    }
  }
  return out;
}

// A stream holding every reply kind, and what it parses to.
const std::string kStream =
    "+OK\r\n"
    "-ERR unknown command 'x'\r\n"
    ":-42\r\n"
    ":9223372036854775807\r\n"
    "$5\r\nhello\r\n"
    "$0\r\n\r\n"
    "$4\r\na\r\nb\r\n"
    "$-1\r\n"
    "*-1\r\n"
    "*0\r\n"
    "*3\r\n$1\r\na\r\n$-1\r\n:7\r\n"
    "*2\r\n*2\r\n$1\r\nx\r\n*1\r\n$1\r\ny\r\n*0\r\n"
    "+\r\n";

std::vector<Reply> StreamReplies() {
  return {Status("OK"),
          Error("ERR unknown command 'x'"),
          Integer(-42),
          Integer(9223372036854775807LL),
          Bulk("hello"),
          Bulk(""),
          Bulk("a\r\nb"),
          Nil(),
          Nil(),
          Array({}),
          Array({Bulk("a"), Nil(), Integer(7)}),
          Array({Array({Bulk("x"), Array({Bulk("y")})}), Array({})}),
          Status("")};
}

TEST(ReplyParserTest, EveryReplyKind) {
  const Parsed parsed = Parse(kStream);
  ASSERT_FALSE(parsed.failed) << parsed.error;
  EXPECT_EQ(parsed.replies, StreamReplies());
}

TEST(ReplyParserTest, ByteByByteFeedingGivesTheSameReplies) {
  const Parsed parsed = Parse(kStream, 1);
  ASSERT_FALSE(parsed.failed) << parsed.error;
  EXPECT_EQ(parsed.replies, StreamReplies());
}

TEST(ReplyParserTest, EveryChunkSizeGivesTheSameReplies) {
  for (size_t chunk = 2; chunk < 40; ++chunk) {
    const Parsed parsed = Parse(kStream, chunk);
    ASSERT_FALSE(parsed.failed) << "chunk " << chunk << ": " << parsed.error;
    EXPECT_EQ(parsed.replies, StreamReplies()) << "chunk " << chunk;
  }
}

TEST(ReplyParserTest, PartialReplyIsNotReturned) {
  ReplyParser parser;
  Reply reply;
  parser.Feed("*2\r\n$3\r\nfoo\r\n$3\r\nba");
  EXPECT_EQ(parser.Next(&reply), ReplyParser::Result::kNeedMore);
  parser.Feed("r\r");
  EXPECT_EQ(parser.Next(&reply), ReplyParser::Result::kNeedMore);
  parser.Feed("\n");
  ASSERT_EQ(parser.Next(&reply), ReplyParser::Result::kReply);
  EXPECT_EQ(reply, Array({Bulk("foo"), Bulk("bar")}));
  EXPECT_EQ(parser.buffered_bytes(), 0u);
  EXPECT_EQ(parser.Next(&reply), ReplyParser::Result::kNeedMore);
}

TEST(ReplyParserTest, LargeBulkFedInPieces) {
  const std::string value(1 << 20, 'v');
  const std::string wire = "$" + std::to_string(value.size()) + "\r\n" + value + "\r\n";
  const Parsed parsed = Parse(wire, 1000);
  ASSERT_FALSE(parsed.failed) << parsed.error;
  ASSERT_EQ(parsed.replies.size(), 1u);
  EXPECT_EQ(parsed.replies[0], Bulk(value));
}

TEST(ReplyParserTest, DeeplyNestedArrays) {
  std::string wire;
  Reply expected = Bulk("leaf");
  for (int i = 0; i < 20; ++i) {
    wire += "*1\r\n";
    expected = Array({expected});
  }
  wire += "$4\r\nleaf\r\n";
  const Parsed parsed = Parse(wire, 1);
  ASSERT_FALSE(parsed.failed) << parsed.error;
  ASSERT_EQ(parsed.replies.size(), 1u);
  EXPECT_EQ(parsed.replies[0], expected);
}

TEST(ReplyParserTest, GarbageIsAnError) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"hello\r\n", "Protocol error: invalid reply type byte 0x68"},
      {"\r\n", "Protocol error: invalid reply type byte 0x0d"},
      {":12a\r\n", "Protocol error: invalid integer"},
      {":\r\n", "Protocol error: invalid integer"},
      {":+1\r\n", "Protocol error: invalid integer"},
      {":99999999999999999999\r\n", "Protocol error: invalid integer"},
      {"$-2\r\n", "Protocol error: invalid bulk length"},
      {"$x\r\n", "Protocol error: invalid bulk length"},
      {"$3\r\nabcde\r\n", "Protocol error: bulk string not terminated by CRLF"},
      {"*-5\r\n", "Protocol error: invalid multibulk length"},
      {"*1\r\n%1\r\n", "Protocol error: invalid reply type byte 0x25"},
  };
  for (const auto& [wire, error] : cases) {
    for (size_t chunk : {size_t{0}, size_t{1}}) {
      const Parsed parsed = Parse(wire, chunk);
      EXPECT_TRUE(parsed.failed) << wire;
      EXPECT_EQ(parsed.error, error) << wire;
    }
  }
}

TEST(ReplyParserTest, RepliesBeforeGarbageAreDelivered) {
  const Parsed parsed = Parse("+OK\r\n:1\r\n!\r\n");
  EXPECT_TRUE(parsed.failed);
  EXPECT_EQ(parsed.replies, (std::vector<Reply>{Status("OK"), Integer(1)}));
}

TEST(ReplyParserTest, LimitsAreEnforced) {
  ReplyParserLimits limits;
  limits.max_bulk_len = 10;
  limits.max_array_len = 3;
  limits.max_depth = 2;
  limits.max_line_len = 16;
  EXPECT_FALSE(Parse("$10\r\n0123456789\r\n", 0, limits).failed);
  EXPECT_EQ(Parse("$11\r\n", 0, limits).error, "Protocol error: invalid bulk length");
  EXPECT_FALSE(Parse("*3\r\n:1\r\n:2\r\n:3\r\n", 0, limits).failed);
  EXPECT_EQ(Parse("*4\r\n", 0, limits).error, "Protocol error: invalid multibulk length");
  EXPECT_FALSE(Parse("*1\r\n*1\r\n:1\r\n", 0, limits).failed);
  EXPECT_EQ(Parse("*1\r\n*1\r\n*1\r\n", 0, limits).error,
            "Protocol error: arrays nested too deeply");
  EXPECT_FALSE(Parse("+0123456789abcdef\r\n", 0, limits).failed);
  EXPECT_EQ(Parse("+0123456789abcdefg\r\n", 0, limits).error, "Protocol error: too big reply line");
  // An unterminated line is rejected once more than the limit is buffered.
  EXPECT_EQ(Parse(std::string(100, '+'), 1, limits).error, "Protocol error: too big reply line");
}

TEST(ReplyParserTest, ErrorIsStickyUntilReset) {
  ReplyParser parser;
  Reply reply;
  parser.Feed("?\r\n");
  EXPECT_EQ(parser.Next(&reply), ReplyParser::Result::kError);
  parser.Feed("+OK\r\n");
  EXPECT_EQ(parser.Next(&reply), ReplyParser::Result::kError);
  parser.Reset();
  EXPECT_TRUE(parser.error().empty());
  parser.Feed("+OK\r\n");
  ASSERT_EQ(parser.Next(&reply), ReplyParser::Result::kReply);
  EXPECT_EQ(reply, Status("OK"));
}

}  // namespace
}  // namespace ringkv::resp

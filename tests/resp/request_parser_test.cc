#include "resp/request_parser.h"

#include <gtest/gtest.h>

#include <chrono>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "resp/split_args.h"
#include "tests/resp/parse_helpers.h"

namespace ringkv::resp {
namespace {

using testing::Argv;
using testing::Cmd;
using testing::Err;
using testing::ParseBytewise;
using testing::ParseChunks;
using testing::ParseOutcome;
using testing::ParseWhole;
using testing::RandomSplit;
using Result = RequestParser::Result;

using namespace std::string_literals;

std::string Multibulk(const Argv& argv) {
  std::string out = "*" + std::to_string(argv.size()) + "\r\n";
  for (const std::string& a : argv) out += "$" + std::to_string(a.size()) + "\r\n" + a + "\r\n";
  return out;
}

// The outcome must not depend on how the bytes are split into reads.
void ExpectParses(std::string_view input, const ParseOutcome& expected, ParserLimits limits = {}) {
  SCOPED_TRACE(::testing::Message() << "input: \"" << input << "\"");
  EXPECT_EQ(ParseWhole(input, limits), expected) << "fed whole";
  EXPECT_EQ(ParseBytewise(input, limits), expected) << "fed byte by byte";
  EXPECT_EQ(ParseChunks({input}, limits, /*zero_copy=*/true), expected) << "PrepareWrite";
  std::mt19937 rng(1234);
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(ParseChunks(RandomSplit(input, rng), limits, i == 1), expected) << "split " << i;
  }
}

ParseOutcome Partial(std::vector<Argv> commands, size_t buffered) {
  ParseOutcome o = Cmd(std::move(commands));
  o.buffered = buffered;
  return o;
}

TEST(RespParserTest, SingleMultibulk) {
  ExpectParses("*2\r\n$3\r\nGET\r\n$1\r\nk\r\n", Cmd({{"GET", "k"}}));
}

// unparsed() shows what Next() has not returned yet, only from a request
// boundary (the lookahead of resp/key_peek.h relies on it).
TEST(RespParserTest, UnparsedStartsAtARequestBoundary) {
  RequestParser parser;
  parser.Feed("*1\r\n$4\r\nPING\r\n*2\r\n$3\r\nGET\r\n$1\r\nk\r\n*2\r\n$3\r\nGE");
  EXPECT_EQ(parser.unparsed().substr(0, 4), "*1\r\n");
  ASSERT_EQ(parser.Next(), RequestParser::Result::kCommand);
  EXPECT_EQ(parser.unparsed(), "*2\r\n$3\r\nGET\r\n$1\r\nk\r\n*2\r\n$3\r\nGE");
  ASSERT_EQ(parser.Next(), RequestParser::Result::kCommand);
  EXPECT_EQ(parser.unparsed(), "*2\r\n$3\r\nGE");
  ASSERT_EQ(parser.Next(), RequestParser::Result::kNeedMore);
  EXPECT_EQ(parser.unparsed(), "");  // inside a request
  parser.Feed("T\r\n$1\r\nz\r\n");
  ASSERT_EQ(parser.Next(), RequestParser::Result::kCommand);
  EXPECT_EQ(parser.unparsed(), "");
}

TEST(RespParserTest, SingleInline) {
  ExpectParses("SET k v\r\n", Cmd({{"SET", "k", "v"}}));
  ExpectParses("PING\n", Cmd({{"PING"}}));
  // Only one '\r' before the '\n' is dropped; a second one separates tokens.
  ExpectParses("PING\r\r\n", Cmd({{"PING"}}));
  ExpectParses("  GET \t k  \r\n", Cmd({{"GET", "k"}}));
}

TEST(RespParserTest, PipelinedCommandsInOneFeed) {
  std::string input = Multibulk({"SET", "k", "v"}) + "PING\r\n" + Multibulk({"GET", "k"}) + "\r\n" +
                      "*0\r\n" + "ECHO \"x y\"\n" + Multibulk({"DEL", "k"});
  ExpectParses(input,
               Cmd({{"SET", "k", "v"}, {"PING"}, {"GET", "k"}, {"ECHO", "x y"}, {"DEL", "k"}}));
}

TEST(RespParserTest, ArgsOfEveryCommandStayValidUntilNextFeed) {
  RequestParser parser;
  parser.Feed(Multibulk({"SET", "key1", "value1"}) + "ECHO \"a\\x41\" 'q'\r\n" +
              Multibulk({"GET", "key2"}) + "*1\r\n$4\r\nPI");
  std::vector<std::string_view> all;
  while (parser.Next() == Result::kCommand) {
    all.insert(all.end(), parser.args().begin(), parser.args().end());
  }
  EXPECT_EQ(all, (std::vector<std::string_view>{"SET", "key1", "value1", "ECHO", "aA", "q", "GET",
                                                "key2"}));
  EXPECT_EQ(parser.buffered_bytes(), 10u);
  parser.Feed("NG\r\n");
  ASSERT_EQ(parser.Next(), Result::kCommand);
  EXPECT_EQ(parser.args(), std::vector<std::string_view>{"PING"});
  EXPECT_EQ(parser.Next(), Result::kNeedMore);
  EXPECT_EQ(parser.buffered_bytes(), 0u);
}

TEST(RespParserTest, PartialInputWaits) {
  const std::string full = Multibulk({"SET", "key", "value"});
  for (size_t n = 0; n < full.size(); ++n) {
    ExpectParses(full.substr(0, n), Partial({}, n));
  }
  ExpectParses("PING", Partial({}, 4));
  ExpectParses("PING\r", Partial({}, 5));
  ExpectParses("PING\r\nECHO", Partial({{"PING"}}, 4));
}

TEST(RespParserTest, BinarySafeBulks) {
  const std::string nul_and_crlf = "a\0b\r\nc\r\n\0"s;
  const std::string all_bytes = [] {
    std::string s;
    for (int i = 0; i < 256; ++i) s.push_back(static_cast<char>(i));
    return s;
  }();
  ExpectParses(Multibulk({"SET", nul_and_crlf, all_bytes, ""}),
               Cmd({{"SET", nul_and_crlf, all_bytes, ""}}));
  ExpectParses("*1\r\n$0\r\n\r\n", Cmd({{""}}));
}

TEST(RespParserTest, SkipsEmptyRequests) {
  ExpectParses("*0\r\n*-1\r\n*-5\r\n\r\n\n   \r\n\t\n*1\r\n$4\r\nPING\r\n", Cmd({{"PING"}}));
  ExpectParses("*0\r\n", Cmd({}));
}

TEST(RespParserTest, ManyArguments) {
  Argv argv(3000);
  for (size_t i = 0; i < argv.size(); ++i) argv[i] = std::to_string(i);
  const std::string input = Multibulk(argv);
  EXPECT_EQ(ParseWhole(input), Cmd({argv}));
  std::mt19937 rng(7);
  EXPECT_EQ(ParseChunks(RandomSplit(input, rng)), Cmd({argv}));
}

// Redis ends "*N" and "$N" lines at '\r' and skips the following byte unchecked;
// it also skips the two bytes after a bulk's data unchecked.
TEST(RespParserTest, LineEndingsAsRedis) {
  ExpectParses("*1\rX$4\r\nPING\r\n", Cmd({{"PING"}}));
  ExpectParses("*1\r\n$4\rXPING\r\n", Cmd({{"PING"}}));
  ExpectParses("*1\r\n$4\r\nPINGxx*1\r\n$4\r\nPING\r\n", Cmd({{"PING"}, {"PING"}}));
  // A '\n' alone does not end the line: the number then includes it.
  ExpectParses("*1\n$4\r\nPING\r\n", Err("ERR Protocol error: invalid multibulk length"));
  ExpectParses("*1\r\n$4\nPING\r\n", Err("ERR Protocol error: invalid bulk length"));
}

TEST(RespParserTest, InvalidMultibulkLength) {
  for (const char* input :
       {"*\r\n", "*01\r\n", "*+1\r\n", "*-0\r\n", "* 1\r\n", "*1 \r\n", "*x\r\n", "*2147483648\r\n",
        "*99999999999999999999\r\n", "*100000000000000000000\r\n", "*-\r\n"}) {
    ExpectParses(input, Err("ERR Protocol error: invalid multibulk length"));
  }
  // INT_MAX itself is accepted (Redis then waits for the arguments).
  ExpectParses("*2147483647\r\n", Partial({}, 13));
}

TEST(RespParserTest, ExpectedDollar) {
  ExpectParses("*3\r\n$3\r\nSET\r\n$1\r\nx\r\nfooz\r\n",
               Err("ERR Protocol error: expected '$', got 'f'", {}));
  ExpectParses("*1\r\n:4\r\n", Err("ERR Protocol error: expected '$', got ':'"));
  ExpectParses("*1\r\n\xff\r\n", Err("ERR Protocol error: expected '$', got '\xff'"));
  // Redis maps CR and LF in formatted errors to spaces.
  ExpectParses("*1\r\n\r\n", Err("ERR Protocol error: expected '$', got ' '"));
  ExpectParses("*1\r\n\n\r\n", Err("ERR Protocol error: expected '$', got ' '"));
  // The check waits for a complete line, as Redis does.
  ExpectParses("*1\r\nfoo", Partial({}, 7));
}

TEST(RespParserTest, InvalidBulkLength) {
  for (const char* input :
       {"*1\r\n$\r\n", "*1\r\n$-1\r\n", "*1\r\n$04\r\n", "*1\r\n$+4\r\n", "*1\r\n$4x\r\n",
        "*1\r\n$ 4\r\n", "*1\r\n$536870913\r\n", "*1\r\n$99999999999999999999\r\n"}) {
    ExpectParses(input, Err("ERR Protocol error: invalid bulk length"));
  }
  ExpectParses("*1\r\n$536870912\r\n", Partial({}, 16));
  ParserLimits small;
  small.max_bulk_len = 5;
  ExpectParses("*2\r\n$5\r\nhello\r\n$5\r\nworld\r\n", Cmd({{"hello", "world"}}), small);
  ExpectParses("*1\r\n$6\r\nhello!\r\n", Err("ERR Protocol error: invalid bulk length"), small);
}

TEST(RespParserTest, UnauthenticatedLimits) {
  ParserLimits unauth;
  unauth.unauthenticated = true;
  Argv ten(10, "a");
  ExpectParses(Multibulk(ten), Cmd({ten}), unauth);
  ExpectParses("*11\r\n", Err("ERR Protocol error: unauthenticated multibulk length"), unauth);
  // An invalid count is reported as invalid first.
  ExpectParses("*2147483648\r\n", Err("ERR Protocol error: invalid multibulk length"), unauth);
  const std::string max_arg(16384, 'p');
  ExpectParses(Multibulk({"AUTH", max_arg}), Cmd({{"AUTH", max_arg}}), unauth);
  ExpectParses("*1\r\n$16385\r\n", Err("ERR Protocol error: unauthenticated bulk length"), unauth);
  ExpectParses("*1\r\n$536870913\r\n", Err("ERR Protocol error: invalid bulk length"), unauth);
  // Inline commands have no such limit in Redis.
  const std::string long_inline = "AUTH " + std::string(20000, 'p') + "\r\n";
  ExpectParses(long_inline, Cmd({{"AUTH", std::string(20000, 'p')}}), unauth);
}

TEST(RespParserTest, LimitsChangeBetweenCommands) {
  ParserLimits unauth;
  unauth.unauthenticated = true;
  RequestParser parser(unauth);
  Argv eleven(11, "x");
  parser.Feed(Multibulk({"AUTH", "pw"}) + Multibulk(eleven));
  ASSERT_EQ(parser.Next(), Result::kCommand);
  parser.set_limits(ParserLimits{});  // AUTH succeeded
  ASSERT_EQ(parser.Next(), Result::kCommand);
  EXPECT_EQ(parser.args().size(), 11u);
}

TEST(RespParserTest, TooBigInlineRequest) {
  const std::string at_limit(64 * 1024, 'x');
  EXPECT_EQ(ParseWhole(at_limit), Partial({}, at_limit.size()));
  EXPECT_EQ(ParseWhole(at_limit + "x"), Err("ERR Protocol error: too big inline request"));
  EXPECT_EQ(ParseChunks({at_limit, "x"}), Err("ERR Protocol error: too big inline request"));
  // The limit counts every buffered byte of the request, after earlier commands.
  EXPECT_EQ(ParseWhole("PING\r\n" + at_limit + "x"),
            Err("ERR Protocol error: too big inline request", {{"PING"}}));
  // As in Redis, only a missing newline is an error: a long line that arrives whole
  // is parsed.
  const std::string long_arg(70000, 'v');
  EXPECT_EQ(ParseWhole("ECHO " + long_arg + "\r\n"), Cmd({{"ECHO", long_arg}}));
  ParserLimits small;
  small.max_inline_len = 10;
  ExpectParses("0123456789", Partial({}, 10), small);
  ExpectParses("0123456789A", Err("ERR Protocol error: too big inline request"), small);
}

TEST(RespParserTest, TooBigCountStrings) {
  const std::string digits(64 * 1024 - 1, '1');
  EXPECT_EQ(ParseWhole("*" + digits), Partial({}, digits.size() + 1));
  EXPECT_EQ(ParseWhole("*" + digits + "1"), Err("ERR Protocol error: too big mbulk count string"));
  // With its '\r' buffered the line is a (bad) number instead.
  EXPECT_EQ(ParseWhole("*" + digits + "1\r\n"),
            Err("ERR Protocol error: invalid multibulk length"));
  EXPECT_EQ(ParseWhole("*1\r\n$" + digits), Partial({}, digits.size() + 5));
  EXPECT_EQ(ParseWhole("*1\r\n$" + digits + "1"),
            Err("ERR Protocol error: too big bulk count string"));
  EXPECT_EQ(ParseChunks({"*1\r\n$", digits, "1"}),
            Err("ERR Protocol error: too big bulk count string"));
  ParserLimits small;
  small.max_inline_len = 8;
  ExpectParses("*1234567", Partial({}, 8), small);
  ExpectParses("*12345678", Err("ERR Protocol error: too big mbulk count string"), small);
  ExpectParses("*1\r\n$1234567", Partial({}, 12), small);
  ExpectParses("*1\r\n$12345678", Err("ERR Protocol error: too big bulk count string"), small);
  // Bulk data is not subject to the line limit.
  ExpectParses(Multibulk({"0123456789abcdef"}), Cmd({{"0123456789abcdef"}}), small);
}

// Redis finds line ends with strchr(), so a NUL byte before the end hides it and
// only the size limit can end the request.
TEST(RespParserTest, NulByteHidesLineEnd) {
  ExpectParses("PING\0\r\n"s, Partial({}, 7));
  ExpectParses("PI\0NG\r\nPING\r\n"s, Partial({}, 13));
  ExpectParses("PING\r\nPI\0NG\r\n"s, Partial({{"PING"}}, 7));
  ExpectParses("*1\0\r\n"s, Partial({}, 5));
  ExpectParses("*1\r\n$1\0\r\nx\r\n"s, Partial({}, 12));
  // A NUL inside bulk data is just data.
  ExpectParses("*1\r\n$1\r\n\0\r\n"s, Cmd({{"\0"s}}));
  ParserLimits small;
  small.max_inline_len = 10;
  ExpectParses("PI\0NG\r\nPING\r\n"s, Err("ERR Protocol error: too big inline request"), small);
  ExpectParses("*1\0\r\n*1\r\n$4\r\n"s, Err("ERR Protocol error: too big mbulk count string"),
               small);
  ExpectParses("*1\r\n$1\0\r\nx\r\n"s, Partial({}, 12), small);
  ExpectParses("*1\r\n$1\0\r\nx\r\nyyy"s, Err("ERR Protocol error: too big bulk count string"),
               small);
}

struct InlineCase {
  std::string line;
  Argv expected;  // empty with `unbalanced` false: the line is skipped
  bool unbalanced = false;
};

TEST(RespParserTest, InlineQuoting) {
  const std::vector<InlineCase> cases = {
      {R"(SET "a\x41" b)", {"SET", "aA", "b"}},
      {R"(ECHO "\x4")", {"ECHO", "x4"}},
      {R"(ECHO "\xzz")", {"ECHO", "xzz"}},
      {R"(ECHO "\xAf\x00")", {"ECHO", "\xaf\0"s}},
      {R"(ECHO "a\"b")", {"ECHO", "a\"b"}},
      {R"(ECHO "\n\r\t\b\a\\\q")", {"ECHO", "\n\r\t\b\a\\q"}},
      {R"(ECHO 'a\'b')", {"ECHO", "a'b"}},
      {R"(ECHO 'a\nb\\c')", {"ECHO", R"(a\nb\\c)"}},
      {R"(ECHO 'say "hi"')", {"ECHO", "say \"hi\""}},
      {R"(ECHO "it's")", {"ECHO", "it's"}},
      {R"(ECHO a"b c")", {"ECHO", "ab c"}},
      {R"(ECHO a'b c')", {"ECHO", "ab c"}},
      {R"(ECHO "" '')", {"ECHO", "", ""}},
      {R"("")", {""}},
      {"ECHO \"a\" \t", {"ECHO", "a"}},
      {"ECHO \"a\"\v", {"ECHO", "a"}},
      {"ECHO a\vb", {"ECHO", "a\vb"}},
      {"ECHO a\fb\tc", {"ECHO", "a\fb", "c"}},
      {"\v\f ECHO", {"ECHO"}},
      {"ECHO \"lit\rcr\"", {"ECHO", "lit\rcr"}},
      {"ECHO a\rb", {"ECHO", "a", "b"}},
      {R"(ECHO back\slash)", {"ECHO", R"(back\slash)"}},
      {"   ", {}},
      {R"(ECHO "a"b)", {}, true},
      {R"(ECHO 'a'b)", {}, true},
      {R"(ECHO "abc)", {}, true},
      {R"(ECHO 'abc)", {}, true},
      {R"(ECHO "abc\")", {}, true},
      {R"(ECHO "abc\)", {}, true},
      {R"(ECHO 'abc\')", {}, true},
      {R"(ECHO 'ab\\')", {}, true},  // the second backslash escapes the quote
      {R"(ECHO ")", {}, true},
  };
  for (const InlineCase& c : cases) {
    const ParseOutcome expected =
        c.unbalanced
            ? Err("ERR Protocol error: unbalanced quotes in request")
            : Cmd(c.expected.empty() ? std::vector<Argv>{} : std::vector<Argv>{c.expected});
    ExpectParses(c.line + "\r\n", expected);
    ExpectParses(c.line + "\n", expected);
  }
}

TEST(RespParserTest, InlineStartsWithAnythingButStar) {
  ExpectParses(" *1\r\n", Cmd({{"*1"}}));
  ExpectParses("$4\r\n", Cmd({{"$4"}}));
}

TEST(RespParserTest, ErrorIsSticky) {
  RequestParser parser;
  parser.Feed("*1\r\nx\r\n");
  ASSERT_EQ(parser.Next(), Result::kError);
  EXPECT_EQ(parser.error(), "ERR Protocol error: expected '$', got 'x'");
  parser.Feed("PING\r\n");
  EXPECT_EQ(parser.Next(), Result::kError);
  char* dst = parser.PrepareWrite(6);
  std::memcpy(dst, "PING\r\n", 6);
  parser.CommitWrite(6);
  EXPECT_EQ(parser.Next(), Result::kError);
  EXPECT_TRUE(parser.args().empty());
  EXPECT_EQ(parser.error(), "ERR Protocol error: expected '$', got 'x'");

  parser.Reset();
  EXPECT_EQ(parser.Next(), Result::kNeedMore);
  EXPECT_EQ(parser.error(), "");
  parser.Feed("PING\r\n");
  EXPECT_EQ(parser.Next(), Result::kCommand);
}

TEST(RespParserTest, ResetDropsPartialRequest) {
  RequestParser parser;
  parser.Feed("*2\r\n$3\r\nGET\r\n$5\r\nab");
  EXPECT_EQ(parser.Next(), Result::kNeedMore);
  EXPECT_EQ(parser.buffered_bytes(), 19u);
  parser.Reset();
  EXPECT_EQ(parser.buffered_bytes(), 0u);
  parser.Feed("PING\r\n");
  ASSERT_EQ(parser.Next(), Result::kCommand);
  EXPECT_EQ(parser.args(), std::vector<std::string_view>{"PING"});
}

// A random mix of valid requests must parse the same however it is split.
TEST(RespParserTest, RandomStreamsAnySplit) {
  std::mt19937 rng(42);
  for (int round = 0; round < 50; ++round) {
    std::string input;
    std::vector<Argv> expected;
    const int commands = 1 + static_cast<int>(rng() % 20);
    for (int c = 0; c < commands; ++c) {
      Argv argv(1 + rng() % 5);
      for (std::string& a : argv) {
        a.resize(rng() % 40);
        for (char& ch : a) ch = static_cast<char>('a' + rng() % 26);
      }
      switch (rng() % 4) {
        case 0: {  // inline, with every argument double-quoted and escaped
          std::string line;
          for (const std::string& a : argv) line += "\"" + a + "\\x2a\\n\" ";
          for (std::string& a : argv) a += "*\n";
          input += line + (rng() % 2 ? "\r\n" : "\n");
          break;
        }
        case 1:
          input += "\r\n*0\r\n";  // skipped
          [[fallthrough]];
        default:
          for (std::string& a : argv) {
            for (char& ch : a) {
              if (rng() % 8 == 0) ch = static_cast<char>(rng() % 256);  // binary bytes
            }
          }
          input += Multibulk(argv);
      }
      expected.push_back(argv);
    }
    const ParseOutcome want = Cmd(expected);
    EXPECT_EQ(ParseWhole(input), want);
    EXPECT_EQ(ParseBytewise(input), want);
    EXPECT_EQ(ParseChunks(RandomSplit(input, rng), {}, rng() % 2 == 0), want);
  }
}

// A big bulk arriving in socket-sized pieces: each Next() is O(1) and the buffer
// ends up sized for the request, not doubled past it.
TEST(RespParserTest, BigBulkInPieces) {
  constexpr size_t kSize = 16 * 1024 * 1024;
  constexpr size_t kPiece = 16 * 1024;
  const std::string header = "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$" + std::to_string(kSize) + "\r\n";
  RequestParser parser;
  parser.Feed(header);
  ASSERT_EQ(parser.Next(), Result::kNeedMore);
  std::string piece(kPiece, 'v');
  size_t sent = 0;
  const auto start = std::chrono::steady_clock::now();
  while (sent < kSize) {
    const size_t n = std::min(kPiece, kSize - sent);
    piece[0] = static_cast<char>('a' + (sent / kPiece) % 26);  // check placement later
    char* dst = parser.PrepareWrite(kPiece);
    std::memcpy(dst, piece.data(), n);
    parser.CommitWrite(n);
    sent += n;
    ASSERT_EQ(parser.Next(), Result::kNeedMore);
  }
  parser.Feed("\r\n");
  ASSERT_EQ(parser.Next(), Result::kCommand);
  const auto elapsed = std::chrono::steady_clock::now() - start;
  ASSERT_EQ(parser.args().size(), 3u);
  const std::string_view value = parser.args()[2];
  ASSERT_EQ(value.size(), kSize);
  for (size_t off = 0; off < kSize; off += kPiece) {
    ASSERT_EQ(value[off], static_cast<char>('a' + (off / kPiece) % 26)) << off;
    ASSERT_EQ(value[off + 1], 'v');
  }
  EXPECT_LT(parser.buffer_capacity(), kSize + header.size() + 2 * kPiece + 16);
  // Generous bound: a quadratic parser would take minutes here.
  EXPECT_LT(elapsed, std::chrono::seconds(2));
}

TEST(RespParserTest, HugeBulkHeaderAllocatesOnlyWhatArrives) {
  ParserLimits limits;
  limits.max_bulk_len = 4LL * 1024 * 1024 * 1024;
  RequestParser parser(limits);
  parser.Feed("*2\r\n$3\r\nSET\r\n$1000000000\r\n");
  EXPECT_EQ(parser.Next(), Result::kNeedMore);
  EXPECT_LE(parser.buffer_capacity(), 64u * 1024);
  const std::string mb(1024 * 1024, 'x');
  parser.Feed(mb);
  EXPECT_EQ(parser.Next(), Result::kNeedMore);
  EXPECT_LE(parser.buffer_capacity(), 4u * mb.size());
}

TEST(RespParserTest, ShrinksAfterBigRequest) {
  const std::string big(2 * 1024 * 1024, 'b');
  RequestParser parser;
  parser.Feed(Multibulk({"SET", "k", big}));
  ASSERT_EQ(parser.Next(), Result::kCommand);
  EXPECT_GE(parser.buffer_capacity(), big.size());
  EXPECT_EQ(parser.Next(), Result::kNeedMore);
  parser.PrepareWrite(16 * 1024);
  EXPECT_LE(parser.buffer_capacity(), 256u * 1024);

  // Also when a small partial request follows the big one in the same read.
  parser.Feed(Multibulk({"SET", "k", big}) + "*1\r\n$4\r\nPI");
  ASSERT_EQ(parser.Next(), Result::kCommand);
  EXPECT_EQ(parser.Next(), Result::kNeedMore);
  parser.Feed("NG\r\n");
  EXPECT_LE(parser.buffer_capacity(), 256u * 1024);
  ASSERT_EQ(parser.Next(), Result::kCommand);
  EXPECT_EQ(parser.args(), std::vector<std::string_view>{"PING"});

  parser.Feed(big);
  parser.Reset();
  EXPECT_LE(parser.buffer_capacity(), 256u * 1024);
}

// Feeding a long line one byte at a time must not re-scan it on every byte.
TEST(RespParserTest, ByteAtATimeIsLinear) {
  const std::string line = "ECHO " + std::string(60000, 'z') + "\r\n";
  const std::string count = "*1" + std::string(60000, ' ');  // invalid only once '\r' arrives
  const auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(ParseBytewise(line), Cmd({{"ECHO", std::string(60000, 'z')}}));
  EXPECT_EQ(ParseBytewise(count + "\r\n"), Err("ERR Protocol error: invalid multibulk length"));
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(2));
}

TEST(RespParserTest, BufferedBytesCountsPartialRequest) {
  RequestParser parser;
  parser.Feed("PING\r\n*2\r\n$3\r\nGET\r\n");
  EXPECT_EQ(parser.buffered_bytes(), 19u);
  ASSERT_EQ(parser.Next(), Result::kCommand);
  EXPECT_EQ(parser.buffered_bytes(), 13u);
  EXPECT_EQ(parser.Next(), Result::kNeedMore);
  EXPECT_EQ(parser.buffered_bytes(), 13u);
  char* dst = parser.PrepareWrite(100);
  std::memcpy(dst, "$1\r\nk\r\n", 7);
  EXPECT_EQ(parser.buffered_bytes(), 13u);
  parser.CommitWrite(7);
  EXPECT_EQ(parser.buffered_bytes(), 20u);
  ASSERT_EQ(parser.Next(), Result::kCommand);
  EXPECT_EQ(parser.buffered_bytes(), 0u);
}

// CLIENT LIST's qbuf counts the bytes of the current read window, the requests
// already returned among them, as Redis counts its query buffer.
TEST(RespParserTest, WindowCountsTheLastReadAndWhatItCarriedOver) {
  RequestParser parser;
  const std::string ping = Multibulk({"PING"});
  const std::string get = Multibulk({"GET", "k"});
  parser.Feed(ping + get.substr(0, 5));
  EXPECT_EQ(parser.window_bytes(), ping.size() + 5);
  ASSERT_EQ(parser.Next(), Result::kCommand);
  EXPECT_EQ(parser.window_bytes(), ping.size() + 5);
  EXPECT_EQ(parser.Next(), Result::kNeedMore);
  // The next read starts a new window with the partial GET carried over.
  parser.Feed(get.substr(5));
  EXPECT_EQ(parser.window_bytes(), get.size());
  ASSERT_EQ(parser.Next(), Result::kCommand);
  EXPECT_EQ(parser.window_bytes(), get.size());
  EXPECT_EQ(parser.free_bytes(), parser.buffer_capacity() - get.size());
}

TEST(RespParserTest, ReleasesOnlyAnEmptyBuffer) {
  RequestParser parser;
  parser.Feed("*1\r\n$4\r\nPI");
  ASSERT_EQ(parser.Next(), Result::kNeedMore);
  parser.ReleaseIfEmpty();  // a partial request stays
  EXPECT_GT(parser.buffer_capacity(), 0u);
  parser.Feed("NG\r\n");
  ASSERT_EQ(parser.Next(), Result::kCommand);
  EXPECT_EQ(parser.args(), std::vector<std::string_view>{"PING"});
  ASSERT_EQ(parser.Next(), Result::kNeedMore);
  parser.ReleaseIfEmpty();
  EXPECT_EQ(parser.buffer_capacity(), 0u);
  EXPECT_EQ(parser.window_bytes(), 0u);
  EXPECT_EQ(parser.free_bytes(), 0u);
  // The next read allocates again.
  parser.Feed(Multibulk({"ECHO", "x"}));
  ASSERT_EQ(parser.Next(), Result::kCommand);
  EXPECT_EQ(parser.args(), (std::vector<std::string_view>{"ECHO", "x"}));
}

// resp::SplitArgs (used for config files) and the inline parser both implement
// sdssplitargs; they must agree on every line.
TEST(RespSplitArgsTest, AgreesWithInlineParser) {
  const std::string alphabet = "ab \t\"'\\xA0f\v\r";
  std::mt19937 rng(99);
  for (int i = 0; i < 3000; ++i) {
    std::string line(rng() % 14, ' ');
    for (char& c : line) c = alphabet[rng() % alphabet.size()];
    std::vector<std::string> words;
    const bool ok = SplitArgs(line, &words);
    // "\r\n" ends the line so that the parser sees exactly `line`, even when it ends
    // with a '\r' of its own.
    const ParseOutcome parsed = ParseWhole(line + "\r\n");
    SCOPED_TRACE("line: \"" + line + "\"");
    if (!ok) {
      EXPECT_EQ(parsed, Err("ERR Protocol error: unbalanced quotes in request"));
    } else {
      EXPECT_EQ(parsed, Cmd(words.empty() ? std::vector<Argv>{} : std::vector<Argv>{words}));
    }
  }
}

}  // namespace
}  // namespace ringkv::resp

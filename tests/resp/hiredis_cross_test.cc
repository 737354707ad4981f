// Cross-checks RequestParser against the requests hiredis formats, as real
// clients send them.
#include <gtest/gtest.h>
#include <hiredis/hiredis.h>

#include <random>
#include <string>
#include <vector>

#include "resp/request_parser.h"
#include "tests/resp/parse_helpers.h"

namespace ringkv::resp {
namespace {

using testing::Argv;
using testing::Cmd;
using testing::ParseBytewise;
using testing::ParseChunks;
using testing::ParseWhole;
using testing::RandomSplit;

std::string FormatWithHiredis(const Argv& argv) {
  std::vector<const char*> ptrs;
  std::vector<size_t> lens;
  for (const std::string& a : argv) {
    ptrs.push_back(a.data());
    lens.push_back(a.size());
  }
  char* cmd = nullptr;
  const int len =
      redisFormatCommandArgv(&cmd, static_cast<int>(argv.size()), ptrs.data(), lens.data());
  EXPECT_GT(len, 0);
  std::string out(cmd, static_cast<size_t>(len));
  redisFreeCommand(cmd);
  return out;
}

Argv RandomArgv(std::mt19937& rng) {
  Argv argv(1 + rng() % 8);
  for (std::string& a : argv) {
    // Mostly short arguments, some long enough to span many reads.
    const size_t len = rng() % 10 == 0 ? rng() % 5000 : rng() % 20;
    a.resize(len);
    for (char& c : a) c = static_cast<char>(rng());
  }
  return argv;
}

TEST(RespHiredisTest, FormattedCommandsParseBack) {
  std::mt19937 rng(31337);
  for (int round = 0; round < 40; ++round) {
    std::vector<Argv> argvs;
    std::string stream;
    const int n = 1 + static_cast<int>(rng() % 25);
    for (int i = 0; i < n; ++i) {
      argvs.push_back(RandomArgv(rng));
      stream += FormatWithHiredis(argvs.back());
    }
    const auto expected = Cmd(argvs);
    EXPECT_EQ(ParseWhole(stream), expected);
    EXPECT_EQ(ParseChunks(RandomSplit(stream, rng)), expected);
    EXPECT_EQ(ParseChunks(RandomSplit(stream, rng), {}, /*zero_copy=*/true), expected);
  }
}

TEST(RespHiredisTest, FormattedCommandByteByByte) {
  const Argv argv = {"SET", std::string("k\0ey", 4), "line1\r\nline2\r\n", ""};
  EXPECT_EQ(ParseBytewise(FormatWithHiredis(argv)), Cmd({argv}));
}

// redisFormatCommand with printf-style arguments, the form most C clients use.
TEST(RespHiredisTest, PrintfFormattedCommands) {
  char* cmd = nullptr;
  const int len = redisFormatCommand(&cmd, "SET %s %b EX %d", "key", "v\0l", size_t{3}, 10);
  ASSERT_GT(len, 0);
  const std::string bytes(cmd, static_cast<size_t>(len));
  redisFreeCommand(cmd);
  EXPECT_EQ(ParseWhole(bytes), Cmd({{"SET", "key", std::string("v\0l", 3), "EX", "10"}}));
}

}  // namespace
}  // namespace ringkv::resp

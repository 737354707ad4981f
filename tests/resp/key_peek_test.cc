#include "resp/key_peek.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace ringkv::resp {
namespace {

std::string Multibulk(const std::vector<std::string>& args) {
  std::string out = "*" + std::to_string(args.size()) + "\r\n";
  for (const std::string& arg : args)
    out += "$" + std::to_string(arg.size()) + "\r\n" + arg + "\r\n";
  return out;
}

TEST(KeyPeekTest, FindsTheKeyOfEachCompleteRequest) {
  const std::string data = Multibulk({"SET", "k1", "v"}) + Multibulk({"PING"}) +
                           Multibulk({"GET", std::string("k\r\n2", 4)}) +
                           Multibulk({"SET", "k3", "v"}).substr(0, 12);  // partial
  std::vector<PeekedRequest> requests;
  EXPECT_EQ(PeekRequests(data, 100, &requests), 3u);
  ASSERT_EQ(requests.size(), 2u);
  EXPECT_EQ(requests[0].name, "SET");
  EXPECT_EQ(requests[0].key, "k1");
  EXPECT_EQ(requests[0].field, "v");
  EXPECT_EQ(requests[1].key, std::string_view("k\r\n2", 4));  // binary-safe: by length
  EXPECT_TRUE(requests[1].field.empty());
}

TEST(KeyPeekTest, FindsTheFieldOfHashCommands) {
  const std::string data = Multibulk({"HSET", "cart:1", "sku:42", "2", "sku:7", "1"}) +
                           Multibulk({"hget", "cart:1", "sku:7"});
  std::vector<PeekedRequest> requests;
  EXPECT_EQ(PeekRequests(data, 100, &requests), 2u);
  ASSERT_EQ(requests.size(), 2u);
  EXPECT_EQ(requests[0].field, "sku:42");
  EXPECT_EQ(requests[1].name, "hget");
  EXPECT_EQ(requests[1].field, "sku:7");
}

TEST(KeyPeekTest, StopsAtTheLimit) {
  std::string data;
  for (int i = 0; i < 10; ++i) data += Multibulk({"INCR", "counter:" + std::to_string(i)});
  std::vector<PeekedRequest> requests;
  EXPECT_EQ(PeekRequests(data, 4, &requests), 4u);
  ASSERT_EQ(requests.size(), 4u);
  EXPECT_EQ(requests[3].key, "counter:3");
}

TEST(KeyPeekTest, PeeksEveryArgumentOfTheFirstRequest) {
  const std::string first = Multibulk({"MSET", "a", "1", std::string("b\r\n", 3), "2"});
  const std::string second = Multibulk({"GET", "k"});
  const std::string data = first + second;
  std::vector<std::string_view> args{"stale"};
  EXPECT_EQ(PeekRequestArgs(data, 100, &args), first.size());
  ASSERT_EQ(args.size(), 5u);
  EXPECT_EQ(args[0], "MSET");
  EXPECT_EQ(args[3], std::string_view("b\r\n", 3));
  EXPECT_EQ(args[4], "2");
  // Too many arguments, a partial request, or anything but multibulk: nothing.
  EXPECT_EQ(PeekRequestArgs(first, 4, &args), 0u);
  EXPECT_TRUE(args.empty());
  EXPECT_EQ(PeekRequestArgs(first.substr(0, first.size() - 1), 100, &args), 0u);
  EXPECT_TRUE(args.empty());
  EXPECT_EQ(PeekRequestArgs("GET k\r\n", 100, &args), 0u);
  EXPECT_EQ(PeekRequestArgs("*0\r\n", 100, &args), 0u);
  EXPECT_EQ(PeekRequestArgs("", 100, &args), 0u);
}

TEST(KeyPeekTest, GivesUpOnAnythingUnusual) {
  const std::string good = Multibulk({"GET", "k"});
  for (const std::string& bad : {
           std::string("GET k\r\n"),                        // inline
           std::string("*x\r\n"),                           // not a number
           std::string("*2\r\n$-1\r\n"),                    // negative length
           std::string("*0\r\n"),                           // empty request
           std::string("*2\r\n$3\r\nGET\r\n$99\r\nk\r\n"),  // bulk runs past the data
           std::string("*2\r\n$3\r\nGET\r\n$1x\r\n"),       // bad length line
           std::string("*99999\r\n"),                       // beyond the peek's bounds
           std::string("*2\r\n$3\r\nGET"),                  // partial
       }) {
    std::vector<PeekedRequest> requests;
    EXPECT_EQ(PeekRequests(bad + good, 100, &requests), 0u) << bad;
    EXPECT_TRUE(requests.empty()) << bad;
  }
  std::vector<PeekedRequest> requests;
  EXPECT_EQ(PeekRequests(good + "GET k\r\n" + good, 100, &requests), 1u);
  EXPECT_EQ(PeekRequests("", 100, &requests), 0u);
}

}  // namespace
}  // namespace ringkv::resp

// The latency histogram (hdr_histogram's layout and arithmetic) and the
// LATENCY commands through the dispatcher.
#include <gtest/gtest.h>

#include <string>

#include "commands/latency_monitor.h"
#include "tests/commands/harness.h"

namespace ringkv::testing {
namespace {

using commands::LatencyHistogram;

bool Contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

TEST(LatencyHistogramTest, PercentilesAreHdrHighestEquivalentValues) {
  LatencyHistogram h;
  EXPECT_EQ(h.total_count(), 0u);
  h.Record(100);  // below 256 ns: exact
  EXPECT_EQ(h.ValueAtPercentile(50), 100u);
  h.Record(1000);  // 1000..1003 share a bucket: 2 significant digits
  h.Record(1000);
  h.Record(5000000000ULL);  // beyond 1 s: counted as 1 s
  EXPECT_EQ(h.total_count(), 4u);
  EXPECT_EQ(h.ValueAtPercentile(0), 100u);
  EXPECT_EQ(h.ValueAtPercentile(25), 100u);
  EXPECT_EQ(h.ValueAtPercentile(50), 1003u);
  EXPECT_EQ(h.ValueAtPercentile(75), 1003u);
  // 1e9 lies in a bucket of 2^22-wide ranges: 998244352 .. 1002438655.
  EXPECT_EQ(h.ValueAtPercentile(100), 1002438655u);
  EXPECT_EQ(h.ValueAtPercentile(99.9), 1002438655u);
}

TEST(LatencyHistogramTest, CumulativeStepsDoubleFrom1024Nanoseconds) {
  LatencyHistogram h;
  for (uint64_t ns : {500, 1500, 3000, 100000}) h.Record(ns);
  const auto steps = h.CumulativeMicros();
  const std::vector<std::pair<int64_t, uint64_t>> expected = {{1, 1}, {2, 2}, {4, 3}, {132, 4}};
  EXPECT_EQ(steps, expected);
  EXPECT_TRUE(LatencyHistogram().CumulativeMicros().empty());
}

TEST(LatencyCommandsTest, EventsAreRecordedAtTheThreshold) {
  CommandHarness h;
  h.config().enable_debug_command = "yes";
  EXPECT_EQ(h.Run({"LATENCY", "LATEST"}), "*0\r\n");
  h.Run({"DEBUG", "SLEEP", "0.02"});  // threshold 0: monitoring off
  EXPECT_EQ(h.Run({"LATENCY", "LATEST"}), "*0\r\n");
  EXPECT_EQ(h.Run({"CONFIG", "SET", "latency-monitor-threshold", "10"}), "+OK\r\n");
  EXPECT_EQ(h.Run({"CONFIG", "GET", "latency-monitor-threshold"}),
            "*2\r\n$25\r\nlatency-monitor-threshold\r\n$2\r\n10\r\n");
  h.Run({"PING"});  // fast and quick: nothing
  h.Run({"DEBUG", "SLEEP", "0.02"});
  const std::string latest = h.Run({"LATENCY", "LATEST"});
  ASSERT_EQ(latest.rfind("*1\r\n*4\r\n$7\r\ncommand\r\n:", 0), 0u) << latest;
  const std::string history = h.Run({"LATENCY", "HISTORY", "command"});
  ASSERT_EQ(history.rfind("*1\r\n*2\r\n:", 0), 0u) << history;
  const int64_t latency = std::stoll(history.substr(history.rfind(':') + 1));
  EXPECT_GE(latency, 20);
  EXPECT_LT(latency, 1000);
  EXPECT_EQ(h.Run({"LATENCY", "HISTORY", "nosuchevent"}), "*0\r\n");
  EXPECT_EQ(h.Run({"LATENCY", "GRAPH", "nosuchevent"}),
            "-ERR No samples available for event 'nosuchevent'\r\n");
  EXPECT_TRUE(Contains(h.Run({"LATENCY", "GRAPH", "command"}), "command - high "));
  EXPECT_TRUE(Contains(h.Run({"LATENCY", "DOCTOR"}), "1. command: 1 latency spikes"));
  EXPECT_EQ(h.Run({"LATENCY", "RESET", "nosuchevent"}), ":0\r\n");
  EXPECT_EQ(h.Run({"LATENCY", "RESET"}), ":1\r\n");
  EXPECT_EQ(h.Run({"LATENCY", "LATEST"}), "*0\r\n");
  EXPECT_EQ(h.Run({"CONFIG", "SET", "latency-monitor-threshold", "-1"}).rfind("-ERR", 0), 0u);
  EXPECT_EQ(h.Run({"LATENCY", "HELP", "x"}),
            "-ERR wrong number of arguments for 'latency|help' command\r\n");
}

TEST(LatencyCommandsTest, HistogramsFollowCommandsAndResetstat) {
  CommandHarness h;
  h.Run({"CONFIG", "RESETSTAT"});
  h.Run({"SET", "a", "b"});
  h.Run({"SET", "c", "d"});
  h.Run({"CLIENT", "ID"});
  // Only called commands, by full name; a container names its subcommands.
  std::string all = h.Run({"LATENCY", "HISTOGRAM"});
  EXPECT_EQ(all.rfind("*6\r\n", 0), 0u) << all;  // client|id, config|resetstat, set
  EXPECT_TRUE(Contains(all, "$3\r\nset\r\n*4\r\n$5\r\ncalls\r\n:2\r\n$14\r\nhistogram_usec\r\n"));
  EXPECT_TRUE(Contains(all, "$16\r\nconfig|resetstat\r\n"));
  const std::string client = h.Run({"LATENCY", "HISTOGRAM", "CLIENT", "nosuch", "get"});
  EXPECT_EQ(client.rfind("*2\r\n$9\r\nclient|id\r\n*4\r\n$5\r\ncalls\r\n:1\r\n", 0), 0u) << client;
  EXPECT_EQ(h.Run({"LATENCY", "HISTOGRAM", "blabla"}), "*0\r\n");
  const std::string info = h.Run({"INFO", "latencystats"});
  EXPECT_TRUE(Contains(info, "# Latencystats\r\nlatency_percentiles_usec_"));
  EXPECT_TRUE(Contains(info, "latency_percentiles_usec_set:p50="));
  EXPECT_TRUE(Contains(info, ",p99=")) << info;
  EXPECT_TRUE(Contains(info, ",p99.9=")) << info;
  h.Run({"CONFIG", "SET", "latency-tracking-info-percentiles", "50.5 100"});
  EXPECT_TRUE(Contains(h.Run({"INFO", "latencystats"}), "latency_percentiles_usec_set:p50.5="));
  h.Run({"CONFIG", "RESETSTAT"});
  all = h.Run({"LATENCY", "HISTOGRAM"});
  EXPECT_EQ(all.rfind("*2\r\n$16\r\nconfig|resetstat\r\n", 0), 0u) << all;
  h.Run({"CONFIG", "SET", "latency-tracking", "no"});
  h.Run({"GET", "a"});
  EXPECT_FALSE(Contains(h.Run({"LATENCY", "HISTOGRAM", "get"}), "get"));
}

}  // namespace
}  // namespace ringkv::testing

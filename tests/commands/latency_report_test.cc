// LATENCY DOCTOR / LATENCY GRAPH text and the latency sample ring. Expected
// strings marked "Redis 7.0.15" are the bytes a real redis-server 7.0.15
// replied (over RESP2, so the verbatim "txt:" prefix is absent) for the very
// samples and "now" the tests feed in; samples come from LATENCY HISTORY and
// "now" from TIME sent in the same pipeline. The others follow Redis's
// latency.c, for event classes a plain server cannot easily be made to log.
#include <gtest/gtest.h>

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "commands/latency_monitor.h"

namespace ringkv::commands {
namespace {

using Events = std::map<std::string, LatencySeries, std::less<>>;

LatencySeries SeriesOf(const std::vector<std::pair<int64_t, uint32_t>>& samples) {
  LatencySeries series;
  for (const auto& [time, latency] : samples) series.Add(time, latency);
  return series;
}

// The "command" samples of the first Redis run, made by DEBUG SLEEP 0.15,
// then 62 s later 0.42, 0.25 and 0.31 (the same second: 310 wins), 0.6, 0.12.
LatencySeries RedisCommandSeries() {
  return SeriesOf({{1795560716, 150},
                   {1795560779, 420},
                   {1795560780, 250},
                   {1795560780, 310},
                   {1795560782, 600},
                   {1795560784, 120}});
}

std::string Doctor(const Events& events, int64_t threshold_ms, int64_t slowlog_us, int64_t now) {
  LatencyDoctorInputs inputs;
  inputs.latency_monitor_threshold_ms = threshold_ms;
  inputs.slowlog_log_slower_than_us = slowlog_us;
  inputs.now_seconds = now;
  return LatencyDoctorReport(events, inputs);
}

// The advice every "command" event brings, as Redis prints it.
constexpr char kSlowlogInspectAdvice[] =
    "- Check your Slow Log to understand what are the commands you are running which are too slow "
    "to execute. Please check https://redis.io/commands/slowlog for more information.\n";
constexpr char kLargeObjectsAdvice[] =
    "- Deleting, expiring or evicting (because of maxmemory policy) large objects is a blocking "
    "operation. If you have very large objects that are often deleted, expired, or evicted, try "
    "to fragment those objects into multiple smaller objects.\n";

TEST(LatencySeriesTest, SameSecondKeepsTheWorstLatency) {
  LatencySeries series;
  series.Add(1000, 50);
  series.Add(1000, 30);
  EXPECT_EQ(series.idx, 1u);
  EXPECT_EQ(series.samples[0].time, 1000);
  EXPECT_EQ(series.samples[0].latency, 50u);
  EXPECT_EQ(series.samples[1].time, 0);

  series.Add(1000, 70);
  EXPECT_EQ(series.idx, 1u);
  EXPECT_EQ(series.samples[0].latency, 70u);

  series.Add(1001, 10);
  EXPECT_EQ(series.idx, 2u);
  EXPECT_EQ(series.samples[1].time, 1001);
  EXPECT_EQ(series.samples[1].latency, 10u);
  EXPECT_EQ(series.samples[0].latency, 70u);
}

TEST(LatencySeriesTest, WrapsAroundAfter160DistinctSeconds) {
  LatencySeries series;
  for (uint32_t i = 0; i < kLatencySeriesLength; i++) series.Add(5000 + i, i + 1);
  EXPECT_EQ(series.idx, 0u);
  EXPECT_EQ(series.samples[0].time, 5000);
  EXPECT_EQ(series.samples[159].time, 5159);
  EXPECT_EQ(series.samples[159].latency, 160u);

  // With idx back at 0 the previous slot is the last one: the same second
  // still updates it instead of taking a new slot.
  series.Add(5159, 500);
  EXPECT_EQ(series.idx, 0u);
  EXPECT_EQ(series.samples[159].latency, 500u);
  EXPECT_EQ(series.samples[0].time, 5000);

  // A new second overwrites the oldest sample.
  series.Add(5160, 7);
  EXPECT_EQ(series.idx, 1u);
  EXPECT_EQ(series.samples[0].time, 5160);
  EXPECT_EQ(series.samples[0].latency, 7u);
  EXPECT_EQ(series.samples[1].time, 5001);
}

TEST(LatencySeriesTest, MaxIsTheAllTimeHigh) {
  LatencySeries series;
  series.Add(10, 90);
  EXPECT_EQ(series.max, 90u);
  series.Add(10, 40);  // ignored for the sample, and max stays
  EXPECT_EQ(series.max, 90u);
  series.Add(11, 120);
  EXPECT_EQ(series.max, 120u);
  // Max survives the overwriting of the sample that set it.
  for (int64_t t = 12; t < 12 + static_cast<int64_t>(kLatencySeriesLength); t++) series.Add(t, 5);
  for (const LatencySeries::Sample& sample : series.samples) EXPECT_EQ(sample.latency, 5u);
  EXPECT_EQ(series.max, 120u);
}

TEST(LatencyDoctorTest, DisabledWithoutEvents) {
  // Redis 7.0.15, after LATENCY RESET with latency-monitor-threshold 0.
  EXPECT_EQ(
      Doctor({}, 0, 10000, 1795560809),
      R"txt(I'm sorry, Dave, I can't do that. Latency monitoring is disabled in this Redis instance. You may use "CONFIG SET latency-monitor-threshold <milliseconds>." in order to enable it. If we weren't in a deep space mission I'd suggest to take a look at https://redis.io/topics/latency-monitor.
)txt");
}

TEST(LatencyDoctorTest, EnabledWithoutEvents) {
  // Redis 7.0.15, right after CONFIG SET latency-monitor-threshold 100.
  EXPECT_EQ(Doctor({}, 100, 10000, 1795560700),
            "Dave, no latency spike was observed during the lifetime of this Redis instance, not "
            "in the slightest bit. I honestly think you ought to sit down calmly, take a stress "
            "pill, and think things over.\n");
}

TEST(LatencyDoctorTest, CommandEventMatchesRedis) {
  const Events events = {{"command", RedisCommandSeries()}};
  // Redis 7.0.15: threshold 100 ms, slowlog-log-slower-than 10000 (default),
  // at 1795560792; period = (1795560792 - 1795560716) / 5 samples.
  EXPECT_EQ(
      Doctor(events, 100, 10000, 1795560792),
      R"txt(Dave, I have observed latency spikes in this Redis instance. You don't mind talking about it, do you Dave?

1. command: 5 latency spikes (average 320ms, mean deviation 152ms, period 15.20 sec). Worst all time event 600ms.

I have a few advices for you:

- Check your Slow Log to understand what are the commands you are running which are too slow to execute. Please check https://redis.io/commands/slowlog for more information.
- Deleting, expiring or evicting (because of maxmemory policy) large objects is a blocking operation. If you have very large objects that are often deleted, expired, or evicted, try to fragment those objects into multiple smaller objects.
)txt");
}

TEST(LatencyDoctorTest, CommandEventSlowlogAdviceMatchesRedis) {
  const Events events = {{"command", RedisCommandSeries()}};
  // Redis 7.0.15 at 1795560809, slowlog-log-slower-than 200000 (200 ms > the
  // 100 ms threshold): the tuning advice.
  EXPECT_EQ(
      Doctor(events, 100, 200000, 1795560809),
      R"txt(Dave, I have observed latency spikes in this Redis instance. You don't mind talking about it, do you Dave?

1. command: 5 latency spikes (average 320ms, mean deviation 152ms, period 18.60 sec). Worst all time event 600ms.

I have a few advices for you:

- Your current Slow Log configuration only logs events that are slower than your configured latency monitor threshold. Please use 'CONFIG SET slowlog-log-slower-than 100000'.
- Check your Slow Log to understand what are the commands you are running which are too slow to execute. Please check https://redis.io/commands/slowlog for more information.
- Deleting, expiring or evicting (because of maxmemory policy) large objects is a blocking operation. If you have very large objects that are often deleted, expired, or evicted, try to fragment those objects into multiple smaller objects.
)txt");
  // slowlog-log-slower-than -1: the advice to enable the slow log.
  EXPECT_EQ(
      Doctor(events, 100, -1, 1795560809),
      R"txt(Dave, I have observed latency spikes in this Redis instance. You don't mind talking about it, do you Dave?

1. command: 5 latency spikes (average 320ms, mean deviation 152ms, period 18.60 sec). Worst all time event 600ms.

I have a few advices for you:

- There are latency issues with potentially slow commands you are using. Try to enable the Slow Log Redis feature using the command 'CONFIG SET slowlog-log-slower-than 100000'. If the Slow log is disabled Redis is not able to log slow commands execution for you.
- Check your Slow Log to understand what are the commands you are running which are too slow to execute. Please check https://redis.io/commands/slowlog for more information.
- Deleting, expiring or evicting (because of maxmemory policy) large objects is a blocking operation. If you have very large objects that are often deleted, expired, or evicted, try to fragment those objects into multiple smaller objects.
)txt");
  // latency-monitor-threshold back to 0 while events remain: no "disabled"
  // text, and the tuning advice suggests 0.
  EXPECT_EQ(
      Doctor(events, 0, 10000, 1795560809),
      R"txt(Dave, I have observed latency spikes in this Redis instance. You don't mind talking about it, do you Dave?

1. command: 5 latency spikes (average 320ms, mean deviation 152ms, period 18.60 sec). Worst all time event 600ms.

I have a few advices for you:

- Your current Slow Log configuration only logs events that are slower than your configured latency monitor threshold. Please use 'CONFIG SET slowlog-log-slower-than 0'.
- Check your Slow Log to understand what are the commands you are running which are too slow to execute. Please check https://redis.io/commands/slowlog for more information.
- Deleting, expiring or evicting (because of maxmemory policy) large objects is a blocking operation. If you have very large objects that are often deleted, expired, or evicted, try to fragment those objects into multiple smaller objects.
)txt");
}

TEST(LatencyDoctorTest, EightySixSamplesMatchRedis) {
  // Redis 7.0.15's report for LatencyGraphTest.WrapsAfter80SamplesLikeRedis's
  // samples: the period rounds 85 / 86 to 0.99.
  LatencySeries series;
  const std::vector<uint32_t> latencies = {
      100, 141, 182, 190, 231, 272, 280, 111, 152, 160, 201, 242, 250, 291, 122, 130, 171, 212,
      220, 261, 302, 100, 141, 182, 190, 231, 272, 280, 111, 152, 160, 201, 242, 250, 291, 122,
      130, 171, 212, 220, 261, 302, 100, 141, 182, 190, 231, 272, 280, 111, 152, 160, 201, 242,
      250, 291, 122, 130, 171, 212, 220, 261, 302, 100, 141, 182, 190, 231, 272, 280, 111, 155,
      160, 201, 242, 250, 291, 122, 130, 171, 212, 220, 261, 302, 100, 141};
  for (size_t i = 0; i < latencies.size(); i++) {
    series.Add(1795561094 + static_cast<int64_t>(i), latencies[i]);
  }
  EXPECT_EQ(
      Doctor({{"command", series}}, 100, 10000, 1795561179),
      R"txt(Dave, I have observed latency spikes in this Redis instance. You don't mind talking about it, do you Dave?

1. command: 86 latency spikes (average 199ms, mean deviation 53ms, period 0.99 sec). Worst all time event 302ms.

I have a few advices for you:

- Check your Slow Log to understand what are the commands you are running which are too slow to execute. Please check https://redis.io/commands/slowlog for more information.
- Deleting, expiring or evicting (because of maxmemory policy) large objects is a blocking operation. If you have very large objects that are often deleted, expired, or evicted, try to fragment those objects into multiple smaller objects.
)txt");
}

// The events of a Redis run with latency-monitor-threshold 1: LPUSH and SADD
// of many elements ("fast-command"), DEBUG POPULATE and a big EVAL
// ("command"), then the active expiry of 400000 keys ("expire-cycle",
// "expire-del").
Events RedisMixedEvents() {
  Events events;
  events["command"] = SeriesOf({{1795560981, 408}, {1795560984, 1523}});
  events["expire-cycle"] =
      SeriesOf({{1795560984, 25}, {1795560985, 25}, {1795560986, 25}, {1795560987, 9}});
  events["expire-del"] =
      SeriesOf({{1795560984, 1}, {1795560985, 1}, {1795560986, 1}, {1795560987, 1}});
  events["fast-command"] = SeriesOf({{1795560966, 33}, {1795560977, 164}});
  return events;
}

TEST(LatencyDoctorTest, SeveralEventsMatchRedis) {
  // Redis 7.0.15 at 1795560989, threshold 1 ms, slowlog default. Redis
  // listed the events in its dict's hash order (expire-cycle, expire-del,
  // command, fast-command); the numbered lines here are the same lines,
  // renumbered in the std::map's name order. Everything else is verbatim.
  EXPECT_EQ(
      Doctor(RedisMixedEvents(), 1, 10000, 1795560989),
      R"txt(Dave, I have observed latency spikes in this Redis instance. You don't mind talking about it, do you Dave?

1. command: 2 latency spikes (average 965ms, mean deviation 557ms, period 4.00 sec). Worst all time event 1523ms.
2. expire-cycle: 4 latency spikes (average 21ms, mean deviation 6ms, period 1.25 sec). Worst all time event 25ms.
3. expire-del: 4 latency spikes (average 1ms, mean deviation 0ms, period 1.25 sec). Worst all time event 1ms.
4. fast-command: 2 latency spikes (average 98ms, mean deviation 65ms, period 11.50 sec). Worst all time event 164ms.

I have a few advices for you:

- Your current Slow Log configuration only logs events that are slower than your configured latency monitor threshold. Please use 'CONFIG SET slowlog-log-slower-than 1000'.
- Check your Slow Log to understand what are the commands you are running which are too slow to execute. Please check https://redis.io/commands/slowlog for more information.
- The system is slow to execute Redis code paths not containing system calls. This usually means the system does not provide Redis CPU time to run for long periods. You should try to:
  1) Lower the system load.
  2) Use a computer / VM just for Redis if you are running other software in the same system.
  3) Check if you have a "noisy neighbour" problem.
  4) Check with 'redis-cli --intrinsic-latency 100' what is the intrinsic latency in your system.
  5) Check if the problem is allocator-related by recompiling Redis with MALLOC=libc, if you are using Jemalloc. However this may create fragmentation problems.
- In order to make the Redis keys expiring process more incremental, try to set the 'hz' configuration parameter to 100 using 'CONFIG SET hz 100'.
- Deleting, expiring or evicting (because of maxmemory policy) large objects is a blocking operation. If you have very large objects that are often deleted, expired, or evicted, try to fragment those objects into multiple smaller objects.
)txt");
}

TEST(LatencyDoctorTest, FastCommandAdvisesOnTheScheduler) {
  // From latency.c: fast-command only brings the intrinsic latency advice.
  const Events events = {{"fast-command", SeriesOf({{300, 20}, {302, 40}})}};
  EXPECT_EQ(
      Doctor(events, 10, 10000, 304),
      R"txt(Dave, I have observed latency spikes in this Redis instance. You don't mind talking about it, do you Dave?

1. fast-command: 2 latency spikes (average 30ms, mean deviation 10ms, period 2.00 sec). Worst all time event 40ms.

I have a few advices for you:

- The system is slow to execute Redis code paths not containing system calls. This usually means the system does not provide Redis CPU time to run for long periods. You should try to:
  1) Lower the system load.
  2) Use a computer / VM just for Redis if you are running other software in the same system.
  3) Check if you have a "noisy neighbour" problem.
  4) Check with 'redis-cli --intrinsic-latency 100' what is the intrinsic latency in your system.
  5) Check if the problem is allocator-related by recompiling Redis with MALLOC=libc, if you are using Jemalloc. However this may create fragmentation problems.
)txt");
}

TEST(LatencyDoctorTest, ExpireCycleAdvisesHzAndLargeObjects) {
  // From latency.c, with Redis's default hz 10 (< 100, so the hz advice
  // prints). A sample taken "now" counts as a 1 second period.
  const Events events = {{"expire-cycle", SeriesOf({{700, 12}})}};
  EXPECT_EQ(Doctor(events, 10, 10000, 700),
            std::string("Dave, I have observed latency spikes in this Redis instance. You don't "
                        "mind talking about it, do you Dave?\n\n"
                        "1. expire-cycle: 1 latency spikes (average 12ms, mean deviation 0ms, "
                        "period 1.00 sec). Worst all time event 12ms.\n"
                        "\nI have a few advices for you:\n\n"
                        "- In order to make the Redis keys expiring process more incremental, try "
                        "to set the 'hz' configuration parameter to 100 using 'CONFIG SET hz "
                        "100'.\n") +
                kLargeObjectsAdvice);
}

TEST(LatencyDoctorTest, EventWithoutAdvice) {
  // expire-del has no advice of its own: Redis's "no easy fix" text.
  const Events events = {{"expire-del", SeriesOf({{100, 3}, {110, 1}})}};
  EXPECT_EQ(Doctor(events, 1, 10000, 120),
            "Dave, I have observed latency spikes in this Redis instance. You don't mind talking "
            "about it, do you Dave?\n\n"
            "1. expire-del: 2 latency spikes (average 2ms, mean deviation 1ms, period 10.00 sec). "
            "Worst all time event 3ms.\n"
            "\nWhile there are latency events logged, I'm not able to suggest any easy fix. Please "
            "use the Redis community to get some help, providing this report in your help "
            "request.\n");
}

TEST(LatencyDoctorTest, EventNamesCompareIgnoringCase) {
  // Redis matches event classes with strcasecmp.
  const Events events = {{"COMMAND", SeriesOf({{100, 200}})}};
  EXPECT_EQ(Doctor(events, 100, 10000, 104),
            std::string("Dave, I have observed latency spikes in this Redis instance. You don't "
                        "mind talking about it, do you Dave?\n\n"
                        "1. COMMAND: 1 latency spikes (average 200ms, mean deviation 0ms, period "
                        "4.00 sec). Worst all time event 200ms.\n"
                        "\nI have a few advices for you:\n\n") +
                kSlowlogInspectAdvice + kLargeObjectsAdvice);
}

TEST(LatencyDoctorTest, ForkUsesRedisRateOfAServerThatNeverForked) {
  // stat_fork_rate is 0 without forks: "terrible", and the VM advice.
  const Events events = {{"fork", SeriesOf({{100, 15}})}};
  EXPECT_EQ(Doctor(events, 10, 10000, 101),
            "Dave, I have observed latency spikes in this Redis instance. You don't mind talking "
            "about it, do you Dave?\n\n"
            "1. fork: 1 latency spikes (average 15ms, mean deviation 0ms, period 1.00 sec). Worst "
            "all time event 15ms. Fork rate is 0.00 GB/sec (terrible).\n"
            "\nI have a few advices for you:\n\n"
            "- If you are using a virtual machine, consider upgrading it with a faster one using a "
            "hypervisior that provides less latency during fork() calls. Xen is known to have poor "
            "fork() performance. Even in the context of the same VM provider, certain kinds of "
            "instances can execute fork faster than others.\n");
}

TEST(LatencyDoctorTest, DiskEventsListTheirAdviceInRedisOrder) {
  const Events events = {{"aof-write-pending-fsync", SeriesOf({{100, 15}})},
                         {"eviction-cycle", SeriesOf({{100, 20}})}};
  EXPECT_EQ(
      Doctor(events, 10, 10000, 102),
      R"txt(Dave, I have observed latency spikes in this Redis instance. You don't mind talking about it, do you Dave?

1. aof-write-pending-fsync: 1 latency spikes (average 15ms, mean deviation 0ms, period 2.00 sec). Worst all time event 15ms.
2. eviction-cycle: 1 latency spikes (average 20ms, mean deviation 0ms, period 2.00 sec). Worst all time event 20ms.

I have a few advices for you:

- It is strongly advised to use local disks for persistence, especially if you are using AOF. Remote disks provided by platform-as-a-service providers are known to be slow.
- SSD disks are able to reduce fsync latency, and total time needed for snapshotting and AOF log rewriting (resulting in smaller memory usage). With extremely high write load SSD disks can be a good option. However Redis should perform reasonably with high load using normal disks. Use this advice as a last resort.
- Mounting ext3/4 filesystems with data=writeback can provide a performance boost compared to data=ordered, however this mode of operation provides less guarantees, and sometimes it can happen that after a hard crash the AOF file will have a half-written command at the end and will require to be repaired before Redis restarts.
- Try to lower the disk contention. This is often caused by other disk intensive processes running in the same computer (including other Redis instances).
- Sudden changes to the 'maxmemory' setting via 'CONFIG SET', or allocation of large objects via sets or sorted sets intersections, STORE option of SORT, Redis Cluster large keys migrations (RESTORE command), may create sudden memory pressure forcing the server to block trying to evict keys. )txt"
      "\n");
}

TEST(LatencyDoctorTest, FsyncAlwaysAdviceNeedsAppendfsyncAlways) {
  // aof-fsync-always counts as advice, but its text needs appendfsync
  // always, which a server without AOF (Redis's default everysec) lacks: the
  // header then stands alone, as in Redis.
  const Events events = {{"aof-fsync-always", SeriesOf({{100, 15}})}};
  EXPECT_EQ(Doctor(events, 10, 10000, 100),
            "Dave, I have observed latency spikes in this Redis instance. You don't mind talking "
            "about it, do you Dave?\n\n"
            "1. aof-fsync-always: 1 latency spikes (average 15ms, mean deviation 0ms, period 1.00 "
            "sec). Worst all time event 15ms.\n"
            "\nI have a few advices for you:\n\n");
}

TEST(LatencyGraphTest, CommandGraphMatchesRedis) {
  // Redis 7.0.15's LATENCY GRAPH command at 1795560786: ages 70 s ("1m"),
  // 7 s, 6 s, 4 s, 2 s.
  EXPECT_EQ(LatencyGraph("command", RedisCommandSeries(), 1795560786),
            R"txt(command - high 600 ms, low 120 ms (all time high 600 ms)
--------------------------------------------------------------------------------
   # 
 o | 
 |o| 
_|||_
     
17642
mssss
)txt");
  // And at 1795560792, where labels of three characters take a third row.
  EXPECT_EQ(LatencyGraph("command", RedisCommandSeries(), 1795560792),
            R"txt(command - high 600 ms, low 120 ms (all time high 600 ms)
--------------------------------------------------------------------------------
   # 
 o | 
 |o| 
_|||_
     
11118
m320s
 sss 
)txt");
}

TEST(LatencyGraphTest, ExpireCycleGraphMatchesRedis) {
  // Redis 7.0.15's LATENCY GRAPH expire-cycle at 1795560989.
  EXPECT_EQ(LatencyGraph("expire-cycle", RedisMixedEvents()["expire-cycle"], 1795560989),
            R"txt(expire-cycle - high 25 ms, low 9 ms (all time high 25 ms)
--------------------------------------------------------------------------------
### 
||| 
||| 
|||_
    
5432
ssss
)txt");
}

TEST(LatencyGraphTest, WrapsAfter80SamplesLikeRedis) {
  // 86 samples, one a second from 1795561094 (DEBUG SLEEP of 0.1 s to 0.3 s):
  // Redis 7.0.15 drew 80 columns, an empty line, then the last 6, all scaled
  // to the whole sequence's range.
  LatencySeries series;
  const std::vector<uint32_t> latencies = {
      100, 141, 182, 190, 231, 272, 280, 111, 152, 160, 201, 242, 250, 291, 122, 130, 171, 212,
      220, 261, 302, 100, 141, 182, 190, 231, 272, 280, 111, 152, 160, 201, 242, 250, 291, 122,
      130, 171, 212, 220, 261, 302, 100, 141, 182, 190, 231, 272, 280, 111, 152, 160, 201, 242,
      250, 291, 122, 130, 171, 212, 220, 261, 302, 100, 141, 182, 190, 231, 272, 280, 111, 155,
      160, 201, 242, 250, 291, 122, 130, 171, 212, 220, 261, 302, 100, 141};
  for (size_t i = 0; i < latencies.size(); i++) {
    series.Add(1795561094 + static_cast<int64_t>(i), latencies[i]);
  }
  EXPECT_EQ(LatencyGraph("command", series, 1795561179),
            R"txt(command - high 302 ms, low 100 ms (all time high 302 ms)
--------------------------------------------------------------------------------
     oo      #     _#     oo      #     _#     oo      #     _#     oo      #   
    o||   _##|   _o||    o||   _##|   _o||    o||   _##|   _o||    o||   _##|   
  o#||| __||||  o||||  o#||| __||||  o||||  o#||| __||||  o||||  o#||| __||||  o
_#|||||_||||||oo|||||_#|||||_||||||oo|||||_#|||||_||||||oo|||||_#|||||_||||||oo|
                                                                                
11111111111111111111111111555555555544444444443333333333222222222211111111119876
mmmmmmmmmmmmmmmmmmmmmmmmmm98765432109876543210987654321098765432109876543210ssss
                          ssssssssssssssssssssssssssssssssssssssssssssssssss    

  _#  
_o||  
||||  
||||_#
      
543210
ssssss
)txt");
}

TEST(LatencyGraphTest, AgeLabelsInSecondsMinutesHoursDays) {
  // From latency.c: seconds below 60, then minutes, hours, days; equal
  // latencies all sit on the bottom row.
  const int64_t now = 1000000;
  const LatencySeries series =
      SeriesOf({{now - 100000, 5}, {now - 3600, 5}, {now - 3599, 5}, {now - 60, 5}, {now - 59, 5}});
  EXPECT_EQ(LatencyGraph("x", series, now), "x - high 5 ms, low 5 ms (all time high 5 ms)\n" +
                                                std::string(80, '-') +
                                                "\n"
                                                "     \n"
                                                "     \n"
                                                "     \n"
                                                "_____\n"
                                                "     \n"
                                                "11515\n"
                                                "dh9m9\n"
                                                "  m s\n");
}

TEST(LatencyGraphTest, EmptySeriesHasOnlyTheHeader) {
  EXPECT_EQ(LatencyGraph("command", LatencySeries{}, 100),
            "command - high 0 ms, low 0 ms (all time high 0 ms)\n" + std::string(80, '-') + "\n");
}

}  // namespace
}  // namespace ringkv::commands

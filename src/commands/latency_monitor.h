// Redis 7.0's latency monitor (latency.c): per event class, the worst latency
// of each second over the last 160 seconds with one, recorded when it reaches
// latency-monitor-threshold; and per command, a histogram of every call's
// duration (latency-tracking) behind LATENCY HISTOGRAM and INFO latencystats.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace ringkv::commands {

// Redis's LATENCY_TS_LEN.
inline constexpr size_t kLatencySeriesLength = 160;

// One event class's history (Redis's latencyTimeSeries): a ring of samples,
// `idx` the next slot to write; a sample with time 0 is unused.
struct LatencySeries {
  struct Sample {
    int32_t time = 0;      // Unix seconds
    uint32_t latency = 0;  // milliseconds
  };
  size_t idx = 0;
  uint32_t max = 0;  // all time high
  std::array<Sample, kLatencySeriesLength> samples{};

  // latencyAddSample: a second already sampled keeps its worst latency.
  void Add(int64_t now_seconds, uint32_t latency_ms);
};

// Durations of one command's calls, as Redis's hdr_histogram with two
// significant digits over 1 ns .. 1 s (longer calls count as 1 s): values
// below 256 ns exactly, then 128 sub-buckets per power of two.
class LatencyHistogram {
 public:
  void Record(uint64_t nanos);
  uint64_t total_count() const { return total_; }
  // hdr_value_at_percentile, in nanoseconds.
  uint64_t ValueAtPercentile(double percentile) const;
  // LATENCY HISTOGRAM's histogram_usec: (microseconds, cumulative calls)
  // at each power of two from 1024 ns (hdr_iter_log_init(1024, 2)), the
  // steps where the cumulative count grows.
  std::vector<std::pair<int64_t, uint64_t>> CumulativeMicros() const;

 private:
  std::vector<uint64_t> counts_;
  uint64_t total_ = 0;
};

// What the LATENCY DOCTOR report takes into account beyond the events.
struct LatencyDoctorInputs {
  int64_t latency_monitor_threshold_ms = 0;
  int64_t slowlog_log_slower_than_us = 10000;
  int64_t now_seconds = 0;
};

// LATENCY DOCTOR (createLatencyReport), for the event classes in `events`.
std::string LatencyDoctorReport(const std::map<std::string, LatencySeries, std::less<>>& events,
                                const LatencyDoctorInputs& inputs);

// LATENCY GRAPH (latencyCommandGenSparkeline): the header line, a rule of 80
// dashes and the sparkline of the series, labelled by age at `now_seconds`.
std::string LatencyGraph(std::string_view event, const LatencySeries& series, int64_t now_seconds);

}  // namespace ringkv::commands

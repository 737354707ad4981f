// LATENCY DOCTOR/GRAPH/HISTOGRAM/HISTORY/LATEST/RESET/HELP, the latency
// event samples behind them and the per-command histograms (Redis 7.0's
// latency.c and the hdr_histogram it vendors, with the same layout, so
// percentiles and histogram steps come out as Redis computes them).
#include <algorithm>
#include <bit>
#include <ctime>
#include <string>
#include <string_view>

#include "commands/command.h"
#include "commands/latency_monitor.h"
#include "commands/util.h"

namespace ringkv::commands {

namespace {

// Redis's hdr_init(LATENCY_HISTOGRAM_MIN_VALUE 1, MAX_VALUE 1e9 ns, 2
// significant figures): 256 sub-buckets (half: 128, magnitude 7), unit
// magnitude 0, 23 buckets.
constexpr int64_t kHistogramMin = 1;
constexpr int64_t kHistogramMax = 1000000000;
constexpr int kSubBucketHalfMagnitude = 7;
constexpr int64_t kSubBucketHalfCount = 1 << kSubBucketHalfMagnitude;
constexpr int64_t kSubBucketMask = 2 * kSubBucketHalfCount - 1;
constexpr int kBucketCount = 23;
constexpr int32_t kCountsLength = (kBucketCount + 1) * kSubBucketHalfCount;

int32_t BucketIndex(int64_t value) {
  const int pow2ceiling = 64 - std::countl_zero(static_cast<uint64_t>(value | kSubBucketMask));
  return pow2ceiling - (kSubBucketHalfMagnitude + 1);
}

int32_t SubBucketIndex(int64_t value, int32_t bucket) {
  return static_cast<int32_t>(value >> bucket);
}

int32_t CountsIndex(int32_t bucket, int32_t sub_bucket) {
  return ((bucket + 1) << kSubBucketHalfMagnitude) +
         (sub_bucket - static_cast<int32_t>(kSubBucketHalfCount));
}

int64_t ValueAtIndex(int32_t index) {
  int32_t bucket = (index >> kSubBucketHalfMagnitude) - 1;
  int32_t sub_bucket = (index & (kSubBucketHalfCount - 1)) + kSubBucketHalfCount;
  if (bucket < 0) {
    sub_bucket -= kSubBucketHalfCount;
    bucket = 0;
  }
  return static_cast<int64_t>(sub_bucket) << bucket;
}

int64_t LowestEquivalent(int64_t value) {
  const int32_t bucket = BucketIndex(value);
  return static_cast<int64_t>(SubBucketIndex(value, bucket)) << bucket;
}

int64_t RangeSize(int64_t value) {
  const int32_t bucket = BucketIndex(value);
  const int32_t sub_bucket = SubBucketIndex(value, bucket);
  const int32_t adjusted = sub_bucket >= 2 * kSubBucketHalfCount ? bucket + 1 : bucket;
  return int64_t{1} << adjusted;
}

int64_t HighestEquivalent(int64_t value) { return LowestEquivalent(value) + RangeSize(value) - 1; }

// fillCommandCDF: {calls, histogram_usec}.
void ReplyCommandCdf(ExecContext& ctx, const LatencyHistogram& histogram) {
  ctx.reply.MapHeader(2);
  ctx.reply.Bulk("calls");
  ctx.reply.Integer(static_cast<int64_t>(histogram.total_count()));
  ctx.reply.Bulk("histogram_usec");
  const auto steps = histogram.CumulativeMicros();
  ctx.reply.MapHeader(steps.size());
  for (const auto& [micros, cumulative] : steps) {
    ctx.reply.Integer(micros);
    ctx.reply.Integer(static_cast<int64_t>(cumulative));
  }
}

const LatencyHistogram* HistogramOf(const ServerContext& server, std::string_view name) {
  auto it = server.stats.commands.find(name);
  if (it == server.stats.commands.end() || !it->second.latency) return nullptr;
  return it->second.latency->total_count() > 0 ? it->second.latency.get() : nullptr;
}

// LATENCY HISTOGRAM [command ...]: every command with calls, or the named
// ones (a container names its subcommands too); unknown names are skipped.
void LatencyHistogramCommand(ExecContext& ctx) {
  std::vector<std::pair<std::string_view, const LatencyHistogram*>> entries;
  if (ctx.argc() == 2) {
    for (const auto& [name, stats] : ctx.server.stats.commands) {
      if (const LatencyHistogram* h = HistogramOf(ctx.server, name)) entries.emplace_back(name, h);
    }
  } else {
    const CommandTable& table = Commands();
    for (size_t i = 2; i < ctx.argc(); ++i) {
      // Find and FindSubcommand ignore case, as Redis's lookupCommandBySds.
      const std::string_view name = ctx.arg(i);
      const size_t bar = name.find('|');
      const CommandSpec* spec =
          bar == std::string_view::npos
              ? table.Find(name)
              : table.FindSubcommand(name.substr(0, bar), name.substr(bar + 1));
      if (spec == nullptr) continue;
      if (const LatencyHistogram* h = HistogramOf(ctx.server, spec->name)) {
        entries.emplace_back(spec->name, h);
      }
      if (spec->has_subcommands) {
        for (const CommandSpec* sub : table.Subcommands(spec->name)) {
          if (const LatencyHistogram* h = HistogramOf(ctx.server, sub->name)) {
            entries.emplace_back(sub->name, h);
          }
        }
      }
    }
  }
  ctx.reply.MapHeader(entries.size());
  for (const auto& [name, histogram] : entries) {
    ctx.reply.Bulk(name);
    ReplyCommandCdf(ctx, *histogram);
  }
}

void LatencyHistoryCommand(ExecContext& ctx) {
  auto it = ctx.server.latency_events.find(ctx.arg(2));
  if (it == ctx.server.latency_events.end()) {
    ctx.reply.ArrayHeader(0);
    return;
  }
  const LatencySeries& ts = it->second;
  size_t samples = 0;
  for (const auto& sample : ts.samples) samples += sample.time != 0;
  ctx.reply.ArrayHeader(samples);
  for (size_t j = 0; j < kLatencySeriesLength; ++j) {
    const LatencySeries::Sample& sample = ts.samples[(ts.idx + j) % kLatencySeriesLength];
    if (sample.time == 0) continue;
    ctx.reply.ArrayHeader(2);
    ctx.reply.Integer(sample.time);
    ctx.reply.Integer(sample.latency);
  }
}

void LatencyLatestCommand(ExecContext& ctx) {
  ctx.reply.ArrayHeader(ctx.server.latency_events.size());
  for (const auto& [event, ts] : ctx.server.latency_events) {
    const LatencySeries::Sample& last =
        ts.samples[(ts.idx + kLatencySeriesLength - 1) % kLatencySeriesLength];
    ctx.reply.ArrayHeader(4);
    ctx.reply.Bulk(event);
    ctx.reply.Integer(last.time);
    ctx.reply.Integer(last.latency);
    ctx.reply.Integer(ts.max);
  }
}

void LatencyResetCommand(ExecContext& ctx) {
  auto& events = ctx.server.latency_events;
  if (ctx.argc() == 2) {
    const int64_t count = static_cast<int64_t>(events.size());
    events.clear();
    ctx.reply.Integer(count);
    return;
  }
  int64_t resets = 0;
  for (size_t i = 2; i < ctx.argc(); ++i) {
    auto it = events.find(ctx.arg(i));
    if (it == events.end()) continue;
    events.erase(it);
    ++resets;
  }
  ctx.reply.Integer(resets);
}

void LatencyDoctorCommand(ExecContext& ctx) {
  LatencyDoctorInputs inputs;
  inputs.latency_monitor_threshold_ms = ctx.server.config->latency_monitor_threshold;
  inputs.slowlog_log_slower_than_us = ctx.server.config->slowlog_log_slower_than;
  inputs.now_seconds = static_cast<int64_t>(std::time(nullptr));
  ctx.reply.Verbatim("txt", LatencyDoctorReport(ctx.server.latency_events, inputs));
}

void LatencyGraphCommand(ExecContext& ctx) {
  auto it = ctx.server.latency_events.find(ctx.arg(2));
  if (it == ctx.server.latency_events.end()) {
    std::string msg = "ERR No samples available for event '";
    msg.append(CStr(ctx.arg(2)));
    msg += "'";
    ctx.reply.Error(msg);
    return;
  }
  ctx.reply.Verbatim("txt",
                     LatencyGraph(it->first, it->second, static_cast<int64_t>(std::time(nullptr))));
}

void LatencyHelpCommand(ExecContext& ctx) {
  static constexpr std::string_view kLines[] = {
      "DOCTOR",
      "    Return a human readable latency analysis report.",
      "GRAPH <event>",
      "    Return an ASCII latency graph for the <event> class.",
      "HISTORY <event>",
      "    Return time-latency samples for the <event> class.",
      "LATEST",
      "    Return the latest latency samples for all events.",
      "RESET [<event> ...]",
      "    Reset latency data of one or more <event> classes.",
      "    (default: reset all data for all event classes)",
      "HISTOGRAM [COMMAND ...]",
      "    Return a cumulative distribution of latencies in the format of a histogram for the "
      "specified command names.",
      "    If no commands are specified then all histograms are replied.",
  };
  ReplySubcommandHelp(ctx, kLines);
}

}  // namespace

void LatencyHistogram::Record(uint64_t nanos) {
  const int64_t value = std::clamp<int64_t>(
      static_cast<int64_t>(std::min<uint64_t>(nanos, kHistogramMax)), kHistogramMin, kHistogramMax);
  if (counts_.empty()) counts_.assign(kCountsLength, 0);
  const int32_t bucket = BucketIndex(value);
  ++counts_[CountsIndex(bucket, SubBucketIndex(value, bucket))];
  ++total_;
}

uint64_t LatencyHistogram::ValueAtPercentile(double percentile) const {
  const double requested = std::min(percentile, 100.0);
  int64_t wanted = static_cast<int64_t>(requested / 100 * static_cast<double>(total_) + 0.5);
  wanted = std::max<int64_t>(wanted, 1);
  int64_t value = 0;
  uint64_t seen = 0;
  for (int32_t i = 0; i < static_cast<int32_t>(counts_.size()); ++i) {
    seen += counts_[i];
    if (seen >= static_cast<uint64_t>(wanted)) {
      value = ValueAtIndex(i);
      break;
    }
  }
  return static_cast<uint64_t>(percentile == 0.0 ? LowestEquivalent(value)
                                                 : HighestEquivalent(value));
}

std::vector<std::pair<int64_t, uint64_t>> LatencyHistogram::CumulativeMicros() const {
  // hdr_iter_log_init(1024, 2) and log_iter_next, index by index.
  std::vector<std::pair<int64_t, uint64_t>> steps;
  int32_t index = -1;
  int64_t value = 0;
  int64_t highest = 0;
  uint64_t cumulative = 0;
  int64_t level = 1024;
  int64_t level_lowest = LowestEquivalent(level);
  uint64_t previous = 0;
  auto move_next = [&] {
    ++index;
    if (index >= kCountsLength) return false;
    cumulative += counts_.empty() ? 0 : counts_[index];
    value = ValueAtIndex(index);
    highest = LowestEquivalent(value) + RangeSize(value) - 1;
    return true;
  };
  while (cumulative < total_ || (index < kCountsLength && ValueAtIndex(index + 1) > level_lowest)) {
    bool stepped = false;
    while (true) {
      if (value >= level_lowest) {
        level *= 2;
        level_lowest = LowestEquivalent(level);
        stepped = true;
        break;
      }
      if (!move_next()) break;
    }
    if (cumulative > previous) steps.emplace_back(highest / 1000, cumulative);
    previous = cumulative;
    if (!stepped) break;
  }
  return steps;
}

void AddLatencySampleIfNeeded(ServerContext& server, std::string_view event, uint64_t ms,
                              int64_t now_ms) {
  const int64_t threshold = server.config->latency_monitor_threshold;
  if (threshold <= 0 || ms < static_cast<uint64_t>(threshold)) return;
  auto it = server.latency_events.find(event);
  if (it == server.latency_events.end()) {
    it = server.latency_events.emplace(std::string(event), LatencySeries{}).first;
  }
  it->second.Add(now_ms / 1000, static_cast<uint32_t>(std::min<uint64_t>(ms, UINT32_MAX)));
}

void RegisterLatencyCommands(CommandTable* table) {
  constexpr std::string_view kGroup = "server";
  constexpr uint32_t kFlags = kAdmin | kNoScript | kLoading | kStale;
  constexpr std::string_view kCats = "@admin @slow @dangerous";
  table->Add({"latency", -2, 0, 0, 0, 0, nullptr, kGroup, "@slow",
              "A container for latency diagnostics commands", "2.8.13", "Depends on subcommand."});
  table->Add({"latency|doctor", 2, kFlags, 0, 0, 0, LatencyDoctorCommand, kGroup, kCats,
              "Return a human readable latency analysis report.", "2.8.13", "O(1)"});
  table->Add({"latency|graph", 3, kFlags, 0, 0, 0, LatencyGraphCommand, kGroup, kCats,
              "Return a latency graph for the event.", "2.8.13", "O(1)"});
  table->Add({"latency|help", 2, kLoading | kStale, 0, 0, 0, LatencyHelpCommand, kGroup, "@slow",
              "Show helpful text about the different subcommands.", "2.8.13", "O(1)"});
  table->Add({"latency|histogram", -2, kFlags, 0, 0, 0, LatencyHistogramCommand, kGroup, kCats,
              "Return the cumulative distribution of latencies of a subset of commands or all.",
              "7.0.0",
              "O(N) where N is the number of commands with latency information being "
              "retrieved."});
  table->Add({"latency|history", 3, kFlags, 0, 0, 0, LatencyHistoryCommand, kGroup, kCats,
              "Return timestamp-latency samples for the event.", "2.8.13", "O(1)"});
  table->Add({"latency|latest", 2, kFlags, 0, 0, 0, LatencyLatestCommand, kGroup, kCats,
              "Return the latest latency samples for all events.", "2.8.13", "O(1)"});
  table->Add({"latency|reset", -2, kFlags, 0, 0, 0, LatencyResetCommand, kGroup, kCats,
              "Reset latency data for one or more events.", "2.8.13", "O(1)"});
}

}  // namespace ringkv::commands

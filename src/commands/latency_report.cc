// The text behind LATENCY DOCTOR and LATENCY GRAPH, ported from Redis 7.0's
// latency.c (createLatencyReport, analyzeLatencyForEvent,
// latencyCommandGenSparkeline) and sparkline.c, byte for byte; and the
// recording of one sample (latencyAddSample).
#include <cstdarg>
#include <cstdint>
#include <cstdio>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "commands/latency_monitor.h"
#include "commands/util.h"

namespace ringkv::commands {

namespace {

// Appends printf-style output to `out`, as Redis's sdscatprintf does (both
// format with vsnprintf, so numbers print identically).
__attribute__((format(printf, 2, 3))) void AppendFormat(std::string* out, const char* fmt, ...) {
  va_list args;
  va_start(args, fmt);
  va_list copy;
  va_copy(copy, args);
  const int needed = std::vsnprintf(nullptr, 0, fmt, copy);
  va_end(copy);
  if (needed > 0) {
    const size_t old_size = out->size();
    out->resize(old_size + static_cast<size_t>(needed) + 1);
    std::vsnprintf(out->data() + old_size, static_cast<size_t>(needed) + 1, fmt, args);
    out->resize(old_size + static_cast<size_t>(needed));
  }
  va_end(args);
}

// ---------------------------------------------------------------------------
// Sparklines (sparkline.c), reduced to what LATENCY GRAPH uses: the fill
// style (SPARKLINE_FILL) and a linear scale.

// Redis's charset_fill, label_margin_top and LATENCY_GRAPH_COLS; the graph is
// always 4 rows high.
constexpr char kFillCharset[] = "_o#";
constexpr int kCharsetLength = sizeof(kFillCharset) - 1;
constexpr int kLabelMarginTop = 1;
constexpr int kGraphColumns = 80;
constexpr int kGraphRows = 4;

// Redis's struct sequence: the samples to draw, with their value range.
struct SparklineSequence {
  struct Sample {
    double value = 0;
    std::string label;  // empty: no label (Redis's NULL)
  };
  std::vector<Sample> samples;
  // How many samples carry a label. Redis never initializes this counter
  // (createSparklineSequence leaves it to zmalloc); it only tests it for
  // non-zero, which every labelled graph is, so counting from 0 matches.
  int labels = 0;
  double min = 0;
  double max = 0;
};

// sparklineSequenceAddSample; an empty label stands for none, as in Redis.
void SparklineAddSample(SparklineSequence* seq, double value, std::string label) {
  if (seq->samples.empty()) {
    seq->min = seq->max = value;
  } else {
    if (value < seq->min) {
      seq->min = value;
    } else if (value > seq->max) {
      seq->max = value;
    }
  }
  if (!label.empty()) seq->labels++;
  seq->samples.push_back({value, std::move(label)});
}

// Redis computes `(int)(relval*steps)`, a conversion whose result C leaves
// undefined when out of int's range; on x86-64 (cvttsd2si) it yields INT_MIN,
// which the caller then clamps to step 0. This reproduces that without the
// undefined behaviour. Only latencies of ~50 hours and more get there.
int TruncateToIntLikeX86(double value) {
  if (!(value > -2147483649.0 && value < 2147483648.0)) return INT32_MIN;
  return static_cast<int>(value);
}

// sparklineRenderRange with SPARKLINE_FILL: renders `len` samples from
// `offset` as `rows` rows of bars, then a blank row and the labels written
// vertically, one character per row.
void SparklineRenderRange(std::string* output, const SparklineSequence& seq, int rows, int offset,
                          int len) {
  double relmax = seq.max - seq.min;
  const int steps = kCharsetLength * rows;
  int row = 0;
  std::string chars;
  bool loop = true;

  if (relmax == 0) relmax = 1;

  while (loop) {
    loop = false;
    chars.assign(static_cast<size_t>(len), ' ');
    for (int j = 0; j < len; j++) {
      const SparklineSequence::Sample& s = seq.samples[static_cast<size_t>(j + offset)];
      const double relval = s.value - seq.min;
      // As Redis: the product is truncated to int before the division, and
      // the quotient truncated again on assignment.
      int step = static_cast<int>(TruncateToIntLikeX86(relval * steps) / relmax);
      if (step < 0) step = 0;
      if (step >= steps) step = steps - 1;

      if (row < rows) {
        // The character needed to draw the sparkline in this row.
        const int charidx = step - ((rows - row - 1) * kCharsetLength);
        loop = true;
        if (charidx >= 0 && charidx < kCharsetLength) {
          chars[static_cast<size_t>(j)] = kFillCharset[charidx];
        } else if (charidx >= kCharsetLength) {
          chars[static_cast<size_t>(j)] = '|';
        }
      } else {
        // Labels spacing: a blank row between the graph and the labels.
        if (seq.labels != 0 && row - rows < kLabelMarginTop) {
          loop = true;
          break;
        }
        if (!s.label.empty()) {
          const int label_len = static_cast<int>(s.label.size());
          const int label_char = row - rows - kLabelMarginTop;
          if (label_len > label_char) {
            loop = true;
            chars[static_cast<size_t>(j)] = s.label[static_cast<size_t>(label_char)];
          }
        }
      }
    }
    if (loop) {
      row++;
      output->append(chars);
      output->push_back('\n');
    }
  }
}

// sparklineRender: the sequence in slices of `columns` samples, separated by
// an empty line.
void SparklineRender(std::string* output, const SparklineSequence& seq, int columns, int rows) {
  const int length = static_cast<int>(seq.samples.size());
  for (int j = 0; j < length; j += columns) {
    const int sublen = (length - j) < columns ? (length - j) : columns;
    if (j != 0) output->push_back('\n');
    SparklineRenderRange(output, seq, rows, j, sublen);
  }
}

// ---------------------------------------------------------------------------
// LATENCY DOCTOR.

// Redis's struct latencyStats.
struct LatencyStats {
  uint32_t all_time_high = 0;  // absolute max observed since latest reset
  uint32_t avg = 0;            // average of current samples
  uint32_t min = 0;            // min of current samples
  uint32_t max = 0;            // max of current samples
  uint32_t mad = 0;            // mean absolute deviation
  uint32_t samples = 0;        // number of non-zero samples
  int64_t period = 0;          // seconds since the first event, at `now`
};

// analyzeLatencyForEvent, with `now_seconds` standing for time(NULL). The
// integer truncations (uint64 sum into a uint32 average, and so on) are
// Redis's.
LatencyStats AnalyzeLatencyForEvent(const LatencySeries& ts, int64_t now_seconds) {
  LatencyStats ls;
  ls.all_time_high = ts.max;

  // First pass, everything but the MAD; `period` holds the oldest time.
  uint64_t sum = 0;
  for (const LatencySeries::Sample& sample : ts.samples) {
    if (sample.time == 0) continue;
    ls.samples++;
    if (ls.samples == 1) {
      ls.min = ls.max = sample.latency;
    } else {
      if (ls.min > sample.latency) ls.min = sample.latency;
      if (ls.max < sample.latency) ls.max = sample.latency;
    }
    sum += sample.latency;
    if (ls.period == 0 || sample.time < ls.period) ls.period = sample.time;
  }

  // Turn the sum into an average and the oldest time into a range.
  if (ls.samples != 0) {
    ls.avg = static_cast<uint32_t>(sum / ls.samples);
    ls.period = now_seconds - ls.period;
    if (ls.period == 0) ls.period = 1;
  }

  // Second pass, the MAD.
  sum = 0;
  for (const LatencySeries::Sample& sample : ts.samples) {
    if (sample.time == 0) continue;
    int64_t delta = static_cast<int64_t>(ls.avg) - sample.latency;
    if (delta < 0) delta = -delta;
    sum += static_cast<uint64_t>(delta);
  }
  if (ls.samples != 0) ls.mad = static_cast<uint32_t>(sum / ls.samples);
  return ls;
}

// Server state the report consults that ringkv does not have, fixed at the
// value a Redis server without the feature reports, so the code paths stay
// Redis's:
// - stat_fork_rate: ringkv never forks, and Redis's rate is 0 until a fork,
//   so a "fork" event (never recorded by ringkv) would read "terrible".
// - hz: LatencyDoctorInputs does not carry ringkv's hz, so the expire-cycle
//   advice uses Redis's default of 10, which prints it.
// - aof_fsync: ringkv has no AOF; Redis's default is everysec, so the
//   "fsync policy is set to 'always'" advice never prints.
// - THPGetAnonHugePagesSize: ringkv does not inspect transparent huge pages,
//   so the THP advice never prints.
constexpr double kStatForkRate = 0;
constexpr int kRedisDefaultHz = 10;
constexpr bool kAofFsyncAlways = false;
constexpr int64_t kAnonHugePagesSize = 0;

}  // namespace

void LatencySeries::Add(int64_t now_seconds, uint32_t latency_ms) {
  if (latency_ms > max) max = latency_ms;

  // A sample of the same second as the previous one only raises it.
  const size_t prev = (idx + kLatencySeriesLength - 1) % kLatencySeriesLength;
  if (samples[prev].time == now_seconds) {
    if (latency_ms > samples[prev].latency) samples[prev].latency = latency_ms;
    return;
  }

  // Redis stores the time as 4 bytes too (int32_t).
  samples[idx].time = static_cast<int32_t>(now_seconds);
  samples[idx].latency = latency_ms;
  idx++;
  if (idx == kLatencySeriesLength) idx = 0;
}

std::string LatencyDoctorReport(const std::map<std::string, LatencySeries, std::less<>>& events,
                                const LatencyDoctorInputs& inputs) {
  std::string report;
  bool advise_better_vm = false;           // better virtual machines
  bool advise_slowlog_enabled = false;     // enable slowlog
  bool advise_slowlog_tuning = false;      // reconfigure slowlog
  bool advise_slowlog_inspect = false;     // check your slowlog
  bool advise_disk_contention = false;     // try to lower disk contention
  bool advise_scheduler = false;           // intrinsic latency
  bool advise_data_writeback = false;      // data=writeback
  bool advise_no_appendfsync = false;      // don't fsync during rewrites
  bool advise_local_disk = false;          // avoid remote disks
  bool advise_ssd = false;                 // use an SSD drive
  bool advise_write_load_info = false;     // info about AOF and write load
  bool advise_hz = false;                  // use higher hz
  bool advise_large_objects = false;       // deletion of large objects
  bool advise_mass_eviction = false;       // avoid mass eviction of keys
  bool advise_relax_fsync_policy = false;  // appendfsync always is slow
  bool advise_disable_thp = false;         // AnonHugePages detected
  int advices = 0;

  // The latency engine is disabled and looks like it never was enabled.
  if (events.empty() && inputs.latency_monitor_threshold_ms == 0) {
    report +=
        "I'm sorry, Dave, I can't do that. Latency monitoring is disabled in this Redis instance. "
        "You may use \"CONFIG SET latency-monitor-threshold <milliseconds>.\" in order to enable "
        "it. If we weren't in a deep space mission I'd suggest to take a look at "
        "https://redis.io/topics/latency-monitor.\n";
    return report;
  }

  // Every event's stats, and the advice each event class calls for. Redis
  // walks its dict in hash order, which is unspecified; this is name order.
  int eventnum = 0;
  for (const auto& [event, ts] : events) {
    eventnum++;
    if (eventnum == 1) {
      report +=
          "Dave, I have observed latency spikes in this Redis instance. You don't mind talking "
          "about it, do you Dave?\n\n";
    }
    const LatencyStats ls = AnalyzeLatencyForEvent(ts, inputs.now_seconds);

    AppendFormat(&report,
                 "%d. %s: %d latency spikes (average %lums, mean deviation %lums, period %.2f "
                 "sec). Worst all time event %lums.",
                 eventnum, event.c_str(), static_cast<int>(ls.samples),
                 static_cast<unsigned long>(ls.avg), static_cast<unsigned long>(ls.mad),
                 static_cast<double>(ls.period) / ls.samples, static_cast<unsigned long>(ts.max));

    if (EqualsIgnoreCase(event, "fork")) {
      const char* fork_quality;
      if (kStatForkRate < 10) {
        fork_quality = "terrible";
        advise_better_vm = true;
        advices++;
      } else if (kStatForkRate < 25) {
        fork_quality = "poor";
        advise_better_vm = true;
        advices++;
      } else if (kStatForkRate < 100) {
        fork_quality = "good";
      } else {
        fork_quality = "excellent";
      }
      AppendFormat(&report, " Fork rate is %.2f GB/sec (%s).", kStatForkRate, fork_quality);
    }

    // Potentially slow commands.
    if (EqualsIgnoreCase(event, "command")) {
      if (inputs.slowlog_log_slower_than_us < 0) {
        advise_slowlog_enabled = true;
        advices++;
      } else if (inputs.slowlog_log_slower_than_us / 1000 > inputs.latency_monitor_threshold_ms) {
        advise_slowlog_tuning = true;
        advices++;
      }
      advise_slowlog_inspect = true;
      advise_large_objects = true;
      advices += 2;
    }

    if (EqualsIgnoreCase(event, "fast-command")) {
      advise_scheduler = true;
      advices++;
    }

    // AOF and I/O.
    if (EqualsIgnoreCase(event, "aof-write-pending-fsync")) {
      advise_local_disk = true;
      advise_disk_contention = true;
      advise_ssd = true;
      advise_data_writeback = true;
      advices += 4;
    }

    if (EqualsIgnoreCase(event, "aof-write-active-child")) {
      advise_no_appendfsync = true;
      advise_data_writeback = true;
      advise_ssd = true;
      advices += 3;
    }

    if (EqualsIgnoreCase(event, "aof-write-alone")) {
      advise_local_disk = true;
      advise_data_writeback = true;
      advise_ssd = true;
      advices += 3;
    }

    if (EqualsIgnoreCase(event, "aof-fsync-always")) {
      advise_relax_fsync_policy = true;
      advices++;
    }

    if (EqualsIgnoreCase(event, "aof-fstat") || EqualsIgnoreCase(event, "rdb-unlink-temp-file")) {
      advise_disk_contention = true;
      advise_local_disk = true;
      advices += 2;
    }

    if (EqualsIgnoreCase(event, "aof-rewrite-diff-write") ||
        EqualsIgnoreCase(event, "aof-rename")) {
      advise_write_load_info = true;
      advise_data_writeback = true;
      advise_ssd = true;
      advise_local_disk = true;
      advices += 4;
    }

    if (EqualsIgnoreCase(event, "expire-cycle")) {
      advise_hz = true;
      advise_large_objects = true;
      advices += 2;
    }

    if (EqualsIgnoreCase(event, "eviction-del")) {
      advise_large_objects = true;
      advices++;
    }

    if (EqualsIgnoreCase(event, "eviction-cycle")) {
      advise_mass_eviction = true;
      advices++;
    }

    report += '\n';
  }

  // Advice not tied to an event.
  if (kAnonHugePagesSize > 0) {
    advise_disable_thp = true;
    advices++;
  }

  if (eventnum == 0 && advices == 0) {
    report +=
        "Dave, no latency spike was observed during the lifetime of this Redis instance, not in "
        "the slightest bit. I honestly think you ought to sit down calmly, take a stress pill, and "
        "think things over.\n";
  } else if (eventnum > 0 && advices == 0) {
    report +=
        "\nWhile there are latency events logged, I'm not able to suggest any easy fix. Please use "
        "the Redis community to get some help, providing this report in your help request.\n";
  } else {
    report += "\nI have a few advices for you:\n\n";
    if (advise_better_vm) {
      report +=
          "- If you are using a virtual machine, consider upgrading it with a faster one using a "
          "hypervisior that provides less latency during fork() calls. Xen is known to have poor "
          "fork() performance. Even in the context of the same VM provider, certain kinds of "
          "instances can execute fork faster than others.\n";
    }

    // Slow log. Redis multiplies after converting to unsigned long long.
    const unsigned long long threshold_us =
        static_cast<unsigned long long>(inputs.latency_monitor_threshold_ms) * 1000;
    if (advise_slowlog_enabled) {
      AppendFormat(&report,
                   "- There are latency issues with potentially slow commands you are using. Try "
                   "to enable the Slow Log Redis feature using the command 'CONFIG SET "
                   "slowlog-log-slower-than %llu'. If the Slow log is disabled Redis is not able "
                   "to log slow commands execution for you.\n",
                   threshold_us);
    }

    if (advise_slowlog_tuning) {
      AppendFormat(&report,
                   "- Your current Slow Log configuration only logs events that are slower than "
                   "your configured latency monitor threshold. Please use 'CONFIG SET "
                   "slowlog-log-slower-than %llu'.\n",
                   threshold_us);
    }

    if (advise_slowlog_inspect) {
      report +=
          "- Check your Slow Log to understand what are the commands you are running which are "
          "too slow to execute. Please check https://redis.io/commands/slowlog for more "
          "information.\n";
    }

    // Intrinsic latency.
    if (advise_scheduler) {
      report +=
          "- The system is slow to execute Redis code paths not containing system calls. This "
          "usually means the system does not provide Redis CPU time to run for long periods. You "
          "should try to:\n"
          "  1) Lower the system load.\n"
          "  2) Use a computer / VM just for Redis if you are running other software in the same "
          "system.\n"
          "  3) Check if you have a \"noisy neighbour\" problem.\n"
          "  4) Check with 'redis-cli --intrinsic-latency 100' what is the intrinsic latency in "
          "your system.\n"
          "  5) Check if the problem is allocator-related by recompiling Redis with MALLOC=libc, "
          "if you are using Jemalloc. However this may create fragmentation problems.\n";
    }

    // AOF / disk latency.
    if (advise_local_disk) {
      report +=
          "- It is strongly advised to use local disks for persistence, especially if you are "
          "using AOF. Remote disks provided by platform-as-a-service providers are known to be "
          "slow.\n";
    }

    if (advise_ssd) {
      report +=
          "- SSD disks are able to reduce fsync latency, and total time needed for snapshotting "
          "and AOF log rewriting (resulting in smaller memory usage). With extremely high write "
          "load SSD disks can be a good option. However Redis should perform reasonably with high "
          "load using normal disks. Use this advice as a last resort.\n";
    }

    if (advise_data_writeback) {
      report +=
          "- Mounting ext3/4 filesystems with data=writeback can provide a performance boost "
          "compared to data=ordered, however this mode of operation provides less guarantees, and "
          "sometimes it can happen that after a hard crash the AOF file will have a half-written "
          "command at the end and will require to be repaired before Redis restarts.\n";
    }

    if (advise_disk_contention) {
      report +=
          "- Try to lower the disk contention. This is often caused by other disk intensive "
          "processes running in the same computer (including other Redis instances).\n";
    }

    if (advise_no_appendfsync) {
      report +=
          "- Assuming from the point of view of data safety this is viable in your environment, "
          "you could try to enable the 'no-appendfsync-on-rewrite' option, so that fsync will not "
          "be performed while there is a child rewriting the AOF file or producing an RDB file "
          "(the moment where there is high disk contention).\n";
    }

    if (advise_relax_fsync_policy && kAofFsyncAlways) {
      report +=
          "- Your fsync policy is set to 'always'. It is very hard to get good performances with "
          "such a setup, if possible try to relax the fsync policy to 'onesec'.\n";
    }

    if (advise_write_load_info) {
      report +=
          "- Latency during the AOF atomic rename operation or when the final difference is "
          "flushed to the AOF file at the end of the rewrite, sometimes is caused by very high "
          "write load, causing the AOF buffer to get very large. If possible try to send less "
          "commands to accomplish the same work, or use Lua scripts to group multiple operations "
          "into a single EVALSHA call.\n";
    }

    if (advise_hz && kRedisDefaultHz < 100) {
      report +=
          "- In order to make the Redis keys expiring process more incremental, try to set the "
          "'hz' configuration parameter to 100 using 'CONFIG SET hz 100'.\n";
    }

    if (advise_large_objects) {
      report +=
          "- Deleting, expiring or evicting (because of maxmemory policy) large objects is a "
          "blocking operation. If you have very large objects that are often deleted, expired, or "
          "evicted, try to fragment those objects into multiple smaller objects.\n";
    }

    if (advise_mass_eviction) {
      report +=
          "- Sudden changes to the 'maxmemory' setting via 'CONFIG SET', or allocation of large "
          "objects via sets or sorted sets intersections, STORE option of SORT, Redis Cluster "
          "large keys migrations (RESTORE command), may create sudden memory pressure forcing the "
          "server to block trying to evict keys. \n";
    }

    if (advise_disable_thp) {
      report +=
          "- I detected a non zero amount of anonymous huge pages used by your process. This "
          "creates very serious latency events in different conditions, especially when Redis is "
          "persisting on disk. To disable THP support use the command 'echo never > "
          "/sys/kernel/mm/transparent_hugepage/enabled', make sure to also add it into "
          "/etc/rc.local so that the command will be executed again after a reboot. Note that "
          "even if you have already disabled THP, you still need to restart the Redis process to "
          "get rid of the huge pages already created.\n";
    }
  }

  return report;
}

std::string LatencyGraph(std::string_view event, const LatencySeries& series, int64_t now_seconds) {
  SparklineSequence seq;
  uint32_t min = 0;
  uint32_t max = 0;

  // Oldest sample first: the ring from the next slot to write.
  for (size_t j = 0; j < kLatencySeriesLength; j++) {
    const LatencySeries::Sample& sample = series.samples[(series.idx + j) % kLatencySeriesLength];
    if (sample.time == 0) continue;
    if (seq.samples.empty()) {
      min = max = sample.latency;
    } else {
      if (sample.latency > max) max = sample.latency;
      if (sample.latency < min) min = sample.latency;
    }
    // Labelled by how many seconds / minutes / hours / days ago the event
    // happened; Redis keeps the age in an int.
    const int elapsed = static_cast<int>(now_seconds - sample.time);
    char buf[64];
    if (elapsed < 60) {
      std::snprintf(buf, sizeof(buf), "%ds", elapsed);
    } else if (elapsed < 3600) {
      std::snprintf(buf, sizeof(buf), "%dm", elapsed / 60);
    } else if (elapsed < 3600 * 24) {
      std::snprintf(buf, sizeof(buf), "%dh", elapsed / 3600);
    } else {
      std::snprintf(buf, sizeof(buf), "%dd", elapsed / (3600 * 24));
    }
    SparklineAddSample(&seq, sample.latency, buf);
  }

  // Redis prints the event name with %s, so it stops at a NUL byte.
  const std::string name(event.substr(0, event.find('\0')));
  std::string graph;
  AppendFormat(&graph, "%s - high %lu ms, low %lu ms (all time high %lu ms)\n", name.c_str(),
               static_cast<unsigned long>(max), static_cast<unsigned long>(min),
               static_cast<unsigned long>(series.max));
  graph.append(kGraphColumns, '-');
  graph.push_back('\n');
  SparklineRender(&graph, seq, kGraphColumns, kGraphRows);
  return graph;
}

}  // namespace ringkv::commands

// MEMORY: USAGE, PURGE, MALLOC-STATS and HELP. ringkv keeps its data in
// LevelDB, not in one heap object per key, so MEMORY USAGE reports the bytes
// the key's rows take (row keys plus row values), which is what the row cache
// and LevelDB hold for it. MEMORY STATS and DOCTOR describe Redis's allocator
// and are not implemented: they answer Redis's unknown-subcommand error.

#include <algorithm>
#include <cstdint>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

#include "commands/command.h"
#include "commands/info.h"
#include "commands/util.h"
#include "util/allocator.h"

namespace ringkv::commands {

namespace {

// Redis's OBJ_COMPUTE_SIZE_DEF_SAMPLES: nested values sampled by default.
constexpr int64_t kDefaultSamples = 5;

void MemoryUsageCommand(ExecContext& ctx) {
  int64_t samples = kDefaultSamples;
  for (size_t i = 3; i < ctx.argc(); ++i) {
    if (!OptionIs(ctx.arg(i), "samples") || i + 1 >= ctx.argc()) {
      ctx.reply.Error(kErrSyntax);
      return;
    }
    if (!ParseInt64(ctx.arg(i + 1), &samples)) {
      ctx.reply.Error(kErrNotInteger);
      return;
    }
    if (samples < 0) {
      ctx.reply.Error(kErrSyntax);
      return;
    }
    ++i;
  }
  // As Redis's dictFind: no keyspace hit or miss is counted.
  storage::KeyRecord record;
  if (!ctx.keyspace().Find(ctx.db(), ctx.arg(2), ctx.now_ms, &record).ok()) {
    ctx.reply.Null();
    return;
  }
  const uint64_t max_rows =
      samples == 0 ? std::numeric_limits<uint64_t>::max() : static_cast<uint64_t>(samples);
  ctx.reply.Integer(
      static_cast<int64_t>(ctx.keyspace().StoredBytes(ctx.db(), ctx.arg(2), max_rows)));
}

// Redis's jemalloc purge; under glibc, malloc_trim does the same job.
void MemoryPurgeCommand(ExecContext& ctx) {
  allocator::Purge();
  ctx.reply.Ok();
}

// jemalloc's own report, as Redis built with jemalloc answers; Redis's text
// for other allocators otherwise.
void MemoryMallocStatsCommand(ExecContext& ctx) {
  const std::string report = allocator::Report();
  if (report.empty()) {
    ctx.reply.Bulk("Stats not supported for the current allocator");
  } else {
    ctx.reply.Verbatim("txt", report);
  }
}

// Redis's getMemoryOverheadData: ringkv's figures plus the key count and
// percentages. ringkv keeps no startup baseline, no replication or AOF
// buffers, no scripts and no per-db hash tables in memory (keys live in
// LevelDB and the row cache), so those parts are 0.
struct MemoryOverhead : MemoryFigures {
  uint64_t total_keys = 0;
  float dataset_perc = 0;
  float peak_perc = 0;
};

MemoryOverhead ReadOverhead(ExecContext& ctx) {
  MemoryOverhead mh;
  static_cast<MemoryFigures&>(mh) = ReadMemoryFigures(ctx.server, ctx.client);
  for (int db = 0; db < ctx.keyspace().num_databases(); ++db) {
    mh.total_keys += ctx.keyspace().Stats(db).keys;
  }
  const uint64_t used = mh.heap.allocated;
  mh.dataset_perc = used ? static_cast<float>(mh.dataset) * 100 / static_cast<float>(used) : 0;
  mh.peak_perc = mh.peak ? static_cast<float>(used) * 100 / static_cast<float>(mh.peak) : 0;
  return mh;
}

// MEMORY STATS: Redis 7.0's fields, in its order.
void MemoryStatsCommand(ExecContext& ctx) {
  const MemoryOverhead mh = ReadOverhead(ctx);
  const allocator::Stats& heap = mh.heap;
  std::vector<int> dbs;
  for (int db = 0; db < ctx.keyspace().num_databases(); ++db) {
    if (ctx.keyspace().Stats(db).keys > 0) dbs.push_back(db);
  }
  resp::ReplyBuilder& r = ctx.reply;
  r.MapHeader(27 + dbs.size());
  auto field = [&r](std::string_view name, int64_t value) {
    r.Bulk(name);
    r.Integer(value);
  };
  auto real = [&r](std::string_view name, float value) {
    r.Bulk(name);
    r.Double(value);
  };
  field("peak.allocated", static_cast<int64_t>(mh.peak));
  field("total.allocated", static_cast<int64_t>(heap.allocated));
  field("startup.allocated", 0);
  field("replication.backlog", 0);
  field("clients.slaves", 0);
  field("clients.normal", static_cast<int64_t>(mh.overhead));
  field("cluster.links", 0);
  field("aof.buffer", 0);
  field("lua.caches", 0);
  field("functions.caches", 0);
  for (int db : dbs) {
    r.Bulk("db." + std::to_string(db));
    r.MapHeader(3);
    field("overhead.hashtable.main", 0);
    field("overhead.hashtable.expires", 0);
    field("overhead.hashtable.slot-to-keys", 0);
  }
  field("overhead.total", static_cast<int64_t>(mh.overhead));
  field("keys.count", static_cast<int64_t>(mh.total_keys));
  field("keys.bytes-per-key",
        mh.total_keys ? static_cast<int64_t>(heap.allocated / mh.total_keys) : 0);
  field("dataset.bytes", static_cast<int64_t>(mh.dataset));
  real("dataset.percentage", mh.dataset_perc);
  real("peak.percentage", mh.peak_perc);
  field("allocator.allocated", static_cast<int64_t>(heap.allocated));
  field("allocator.active", static_cast<int64_t>(heap.active));
  field("allocator.resident", static_cast<int64_t>(heap.resident));
  real("allocator-fragmentation.ratio", mh.allocator_frag);
  field("allocator-fragmentation.bytes", mh.allocator_frag_bytes);
  real("allocator-rss.ratio", mh.allocator_rss);
  field("allocator-rss.bytes", mh.allocator_rss_bytes);
  real("rss-overhead.ratio", mh.rss_extra);
  field("rss-overhead.bytes", mh.rss_extra_bytes);
  real("fragmentation", mh.total_frag);
  field("fragmentation.bytes", mh.total_frag_bytes);
}

// MEMORY DOCTOR: Redis's getMemoryDoctorReport (ringkv has no replicas and
// no scripts, so those two findings never apply).
void MemoryDoctorCommand(ExecContext& ctx) {
  const MemoryOverhead mh = ReadOverhead(ctx);
  bool empty = false, big_peak = false, high_frag = false, high_alloc_frag = false;
  bool high_proc_rss = false, high_alloc_rss = false, big_client_buf = false;
  int reports = 0;
  const uint64_t total = mh.heap.allocated;
  constexpr int64_t kTenMb = 10 << 20;
  if (total < 5 * 1024 * 1024) {
    empty = true;
    ++reports;
  } else {
    if (static_cast<float>(mh.peak) / static_cast<float>(total) > 1.5f) {
      big_peak = true;
      ++reports;
    }
    if (mh.total_frag > 1.4f && mh.total_frag_bytes > kTenMb) {
      high_frag = true;
      ++reports;
    }
    if (mh.allocator_frag > 1.1f && mh.allocator_frag_bytes > kTenMb) {
      high_alloc_frag = true;
      ++reports;
    }
    if (mh.allocator_rss > 1.1f && mh.allocator_rss_bytes > kTenMb) {
      high_alloc_rss = true;
      ++reports;
    }
    if (mh.rss_extra > 1.1f && mh.rss_extra_bytes > kTenMb) {
      high_proc_rss = true;
      ++reports;
    }
    if (mh.clients > 0 && mh.overhead / mh.clients > 1024 * 200) {
      big_client_buf = true;
      ++reports;
    }
  }
  std::string s;
  if (reports == 0) {
    s = "Hi Sam, I can't find any memory issue in your instance. I can only account for what "
        "occurs on this base.\n";
  } else if (empty) {
    s = "Hi Sam, this instance is empty or is using very little memory, my issues detector "
        "can't be used in these conditions. Please, leave for your mission on Earth and fill it "
        "with some data. The new Sam and I will be back to our programming as soon as I "
        "finished rebooting.\n";
  } else {
    s = "Sam, I detected a few issues in this Redis instance memory implants:\n\n";
    if (big_peak) {
      s += " * Peak memory: In the past this instance used more than 150% the memory that is "
           "currently using. The allocator is normally not able to release memory after a peak, "
           "so you can expect to see a big fragmentation ratio, however this is actually "
           "harmless and is only due to the memory peak, and if the Redis instance Resident Set "
           "Size (RSS) is currently bigger than expected, the memory will be used as soon as you "
           "fill the Redis instance with more data. If the memory peak was only occasional and "
           "you want to try to reclaim memory, please try the MEMORY PURGE command, otherwise "
           "the only other option is to shutdown and restart the instance.\n\n";
    }
    if (high_frag) {
      s += " * High total RSS: This instance has a memory fragmentation and RSS overhead greater "
           "than 1.4 (this means that the Resident Set Size of the Redis process is much larger "
           "than the sum of the logical allocations Redis performed). This problem is usually "
           "due either to a large peak memory (check if there is a peak memory entry above in "
           "the report) or may result from a workload that causes the allocator to fragment "
           "memory a lot. If the problem is a large peak memory, then there is no issue. "
           "Otherwise, make sure you are using the Jemalloc allocator and not the default libc "
           "malloc. Note: The currently used allocator is \"" +
           allocator::Name() + "\".\n\n";
    }
    if (high_alloc_frag) {
      s += " * High allocator fragmentation: This instance has an allocator external "
           "fragmentation greater than 1.1. This problem is usually due either to a large peak "
           "memory (check if there is a peak memory entry above in the report) or may result "
           "from a workload that causes the allocator to fragment memory a lot. You can try "
           "enabling 'activedefrag' config option.\n\n";
    }
    if (high_alloc_rss) {
      s += " * High allocator RSS overhead: This instance has an RSS memory overhead is greater "
           "than 1.1 (this means that the Resident Set Size of the allocator is much larger than "
           "the sum what the allocator actually holds). This problem is usually due to a large "
           "peak memory (check if there is a peak memory entry above in the report), you can "
           "try the MEMORY PURGE command to reclaim it.\n\n";
    }
    if (high_proc_rss) {
      s += " * High process RSS overhead: This instance has non-allocator RSS memory overhead is "
           "greater than 1.1 (this means that the Resident Set Size of the Redis process is much "
           "larger than the RSS the allocator holds). This problem may be due to Lua scripts or "
           "Modules.\n\n";
    }
    if (big_client_buf) {
      s += " * Big client buffers: The clients output buffers in this instance are greater than "
           "200K per client (on average). This may result from different causes, like Pub/Sub "
           "clients subscribed to channels bot not receiving data fast enough, so that data "
           "piles on the Redis instance output buffer, or clients sending commands with large "
           "replies or very large sequences of commands in the same pipeline. Please use the "
           "CLIENT LIST command in order to investigate the issue if it causes problems in your "
           "instance, or to understand better why certain clients are using a big amount of "
           "memory.\n\n";
    }
    s += "I'm here to keep you safe, Sam. I want to help you.\n";
  }
  ctx.reply.Verbatim("txt", s);
}

void MemoryHelpCommand(ExecContext& ctx) {
  static constexpr std::string_view kLines[] = {
      "DOCTOR",
      "    Return memory problems reports.",
      "MALLOC-STATS",
      "    Return internal statistics report from the memory allocator.",
      "PURGE",
      "    Attempt to purge dirty pages for reclamation by the allocator.",
      "STATS",
      "    Return information about the memory usage of the server.",
      "USAGE <key> [SAMPLES <count>]",
      "    Return memory in bytes used by <key> and its value. Nested values are",
      "    sampled up to <count> times (default: 5, 0 means sample all).",
  };
  ReplySubcommandHelp(ctx, kLines);
}

}  // namespace

void RegisterMemoryCommands(CommandTable* table) {
  constexpr std::string_view kGroup = "server";
  table->Add({"memory", -2, 0, 0, 0, 0, nullptr, kGroup, "@slow",
              "A container for memory diagnostics commands", "4.0.0", "Depends on subcommand."});
  table->Add({"memory|usage", -3, kReadOnly | kNoTouch, 2, 2, 1, MemoryUsageCommand, kGroup,
              "@read @slow", "Estimate the memory usage of a key", "4.0.0",
              "O(N) where N is the number of samples."});
  table->Add({"memory|doctor", 2, 0, 0, 0, 0, MemoryDoctorCommand, kGroup, "@slow",
              "Outputs memory problems report", "4.0.0", "O(1)"});
  table->Add({"memory|stats", 2, 0, 0, 0, 0, MemoryStatsCommand, kGroup, "@slow",
              "Show memory usage details", "4.0.0", "O(1)"});
  table->Add({"memory|purge", 2, 0, 0, 0, 0, MemoryPurgeCommand, kGroup, "@slow",
              "Ask the allocator to release memory", "4.0.0",
              "Depends on how much memory is allocated, could be slow"});
  table->Add({"memory|malloc-stats", 2, 0, 0, 0, 0, MemoryMallocStatsCommand, kGroup, "@slow",
              "Show allocator internal stats", "4.0.0",
              "Depends on how much memory is allocated, could be slow"});
  table->Add({"memory|help", 2, kLoading | kStale, 0, 0, 0, MemoryHelpCommand, kGroup, "@slow",
              "Show helpful text about the different subcommands", "4.0.0", "O(1)"});
}

}  // namespace ringkv::commands

// MEMORY: USAGE, PURGE, MALLOC-STATS and HELP. ringkv keeps its data in
// LevelDB, not in one heap object per key, so MEMORY USAGE reports the bytes
// the key's rows take (row keys plus row values), which is what the row cache
// and LevelDB hold for it. MEMORY STATS and DOCTOR describe Redis's allocator
// and are not implemented: they answer Redis's unknown-subcommand error.

#include <cstdint>
#include <limits>
#include <string_view>

#include "commands/command.h"
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

void MemoryHelpCommand(ExecContext& ctx) {
  static constexpr std::string_view kLines[] = {
      "MALLOC-STATS",
      "    Return internal statistics report from the memory allocator.",
      "PURGE",
      "    Attempt to purge dirty pages for reclamation by the allocator.",
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

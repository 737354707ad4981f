// INFO text generation and the parts of the server command group that live in
// their own files (CLIENT, COMMAND). RegisterServerCommands registers them all.
#pragma once

#include <span>
#include <string>
#include <string_view>

#include "commands/command.h"
#include "commands/context.h"
#include "util/allocator.h"

namespace ringkv::commands {

// The Redis version ringkv answers as (INFO redis_version, HELLO).
inline constexpr std::string_view kRedisCompatVersion = "7.0.15";

// Builds INFO's text for `sections` (INFO's arguments: section names, "default",
// "all" or "everything", case-insensitive; empty means "default"). `client` is
// the caller (counted as the only client when no registry is installed).
std::string GenerateInfo(ServerContext& server, const ClientState& client, int64_t now_ms,
                         std::span<const std::string_view> sections);

// What INFO memory and MEMORY STATS/DOCTOR report, read now, with Redis's
// derived ratios (getMemoryOverheadData). Redis's used_memory is the
// allocator's allocated bytes (`heap.allocated`); its "overhead" is mostly
// client and replication buffers, ringkv's is the clients' buffers, and
// everything else counts as dataset.
struct MemoryFigures {
  allocator::Stats heap;
  uint64_t peak = 0;  // highest used_memory seen (reset by CONFIG RESETSTAT)
  uint64_t rss = 0;
  uint64_t clients = 0;
  uint64_t overhead = 0;  // client buffers, at most used_memory
  uint64_t dataset = 0;
  float allocator_frag = 0;  // active / allocated
  int64_t allocator_frag_bytes = 0;
  float allocator_rss = 0;  // resident / active
  int64_t allocator_rss_bytes = 0;
  float rss_extra = 0;  // rss / resident
  int64_t rss_extra_bytes = 0;
  float total_frag = 0;  // rss / allocated
  int64_t total_frag_bytes = 0;
};
MemoryFigures ReadMemoryFigures(ServerContext& server, const ClientState& self);

// INFO [section ...]
void InfoCommand(ExecContext& ctx);

// Records a sample of the counters behind INFO's instantaneous_* rates. The
// server cron calls it every tick (as Redis's trackInstantaneousMetric), so the
// rates are live however rarely INFO is polled.
void SampleInstantaneousMetrics(ServerContext& server, int64_t now_ms);

// CONFIG RESETSTAT: zeroes the INFO counters (stats, commandstats, errorstats,
// peak memory, expired keys).
void ResetInfoStats(ServerContext& server);

// CLIENT and its subcommands (client_commands.cc).
void RegisterClientCommands(CommandTable* table);
// COMMAND and its subcommands (command_docs.cc).
void RegisterCommandCommands(CommandTable* table);

}  // namespace ringkv::commands

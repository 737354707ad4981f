// INFO text generation and the parts of the server command group that live in
// their own files (CLIENT, COMMAND). RegisterServerCommands registers them all.
#pragma once

#include <span>
#include <string>
#include <string_view>

#include "commands/command.h"
#include "commands/context.h"

namespace ringkv::commands {

// The Redis version ringkv answers as (INFO redis_version, HELLO).
inline constexpr std::string_view kRedisCompatVersion = "7.0.15";

// Builds INFO's text for `sections` (INFO's arguments: section names, "default",
// "all" or "everything", case-insensitive; empty means "default"). `client` is
// the caller (counted as the only client when no registry is installed).
std::string GenerateInfo(ServerContext& server, const ClientState& client, int64_t now_ms,
                         std::span<const std::string_view> sections);

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

// SLOWLOG GET/LEN/RESET/HELP, and the logging of slow commands (Execute calls
// RecordSlowCommand), as Redis 7.0's slowlog.c: arguments trimmed to 32 and to
// 128 bytes each, secrets redacted, newest entry first.
#include <algorithm>
#include <ctime>
#include <string>
#include <string_view>

#include "commands/command.h"
#include "commands/util.h"

namespace ringkv::commands {

namespace {

// Redis's SLOWLOG_ENTRY_MAX_ARGC and SLOWLOG_ENTRY_MAX_STRING.
constexpr size_t kMaxLoggedArgs = 32;
constexpr size_t kMaxLoggedArgBytes = 128;

std::string LoggedArg(std::span<const std::string_view> args, size_t i) {
  if (IsRedactedArgument(args, i)) return "(redacted)";
  const std::string_view arg = args[i];
  if (arg.size() <= kMaxLoggedArgBytes) return std::string(arg);
  std::string trimmed(arg.substr(0, kMaxLoggedArgBytes));
  trimmed += "... (" + std::to_string(arg.size() - kMaxLoggedArgBytes) + " more bytes)";
  return trimmed;
}

void SlowlogGetCommand(ExecContext& ctx) {
  const auto& entries = ctx.server.slowlog.entries;
  int64_t count = 10;
  if (ctx.argc() > 3) {
    // Redis's shared SLOWLOG handler answers its subcommand syntax error.
    std::string error = "ERR unknown subcommand or wrong number of arguments for '";
    error.append(ctx.arg(1).substr(0, 128));
    error += "'. Try SLOWLOG HELP.";
    ctx.reply.Error(error);
    return;
  }
  if (ctx.argc() == 3 && (!ParseInt64(ctx.arg(2), &count) || count < -1)) {
    ctx.reply.Error("ERR count should be greater than or equal to -1");
    return;
  }
  const size_t n =
      count == -1 ? entries.size() : std::min(entries.size(), static_cast<size_t>(count));
  ctx.reply.ArrayHeader(n);
  for (size_t i = 0; i < n; ++i) {
    const SlowLog::Entry& e = entries[i];
    ctx.reply.ArrayHeader(6);
    ctx.reply.Integer(static_cast<int64_t>(e.id));
    ctx.reply.Integer(e.unix_seconds);
    ctx.reply.Integer(static_cast<int64_t>(e.micros));
    ctx.reply.ArrayHeader(e.args.size());
    for (const std::string& arg : e.args) ctx.reply.Bulk(arg);
    ctx.reply.Bulk(e.client_addr);
    ctx.reply.Bulk(e.client_name);
  }
}

void SlowlogLenCommand(ExecContext& ctx) {
  ctx.reply.Integer(static_cast<int64_t>(ctx.server.slowlog.entries.size()));
}

void SlowlogResetCommand(ExecContext& ctx) {
  ctx.server.slowlog.entries.clear();
  ctx.reply.Ok();
}

void SlowlogHelpCommand(ExecContext& ctx) {
  static constexpr std::string_view kLines[] = {
      "GET [<count>]",
      "    Return top <count> entries from the slowlog (default: 10, -1 mean all).",
      "    Entries are made of:",
      "    id, timestamp, time in microseconds, arguments array, client IP and port,",
      "    client name",
      "LEN",
      "    Return the length of the slowlog.",
      "RESET",
      "    Reset the slowlog.",
  };
  ReplySubcommandHelp(ctx, kLines);
}

}  // namespace

void RecordSlowCommand(ExecContext& ctx, const CommandSpec& spec, uint64_t micros) {
  const server::Config& config = *ctx.server.config;
  if ((spec.flags & kSkipSlowlog) != 0) return;
  SlowLog& log = ctx.server.slowlog;
  SlowLog::Entry entry;
  entry.id = log.next_id++;
  entry.unix_seconds = static_cast<int64_t>(std::time(nullptr));
  entry.micros = micros;
  const size_t argc = ctx.argc();
  const size_t logged = std::min(argc, kMaxLoggedArgs);
  for (size_t i = 0; i < logged; ++i) {
    if (logged < argc && i == logged - 1) {
      entry.args.push_back("... (" + std::to_string(argc - logged + 1) + " more arguments)");
    } else {
      entry.args.push_back(LoggedArg(ctx.args, i));
    }
  }
  entry.client_addr = ctx.client.addr;
  entry.client_name = ctx.client.name;
  log.entries.push_front(std::move(entry));
  while (log.entries.size() > static_cast<uint64_t>(config.slowlog_max_len)) {
    log.entries.pop_back();
  }
}

void RegisterSlowlogCommands(CommandTable* table) {
  constexpr std::string_view kGroup = "server";
  constexpr uint32_t kFlags = kAdmin | kLoading | kStale;
  constexpr std::string_view kCats = "@admin @slow @dangerous";
  table->Add({"slowlog", -2, 0, 0, 0, 0, nullptr, kGroup, "@slow",
              "A container for slow log commands", "2.2.12", "Depends on subcommand."});
  table->Add({"slowlog|get", -2, kFlags, 0, 0, 0, SlowlogGetCommand, kGroup, kCats,
              "Get the slow log's entries", "2.2.12",
              "O(N) where N is the number of entries returned"});
  table->Add({"slowlog|len", 2, kFlags, 0, 0, 0, SlowlogLenCommand, kGroup, kCats,
              "Get the slow log's length", "2.2.12", "O(1)"});
  table->Add({"slowlog|reset", 2, kFlags, 0, 0, 0, SlowlogResetCommand, kGroup, kCats,
              "Clear all entries from the slow log", "2.2.12",
              "O(N) where N is the number of entries in the slowlog"});
  table->Add({"slowlog|help", 2, kLoading | kStale, 0, 0, 0, SlowlogHelpCommand, kGroup, "@slow",
              "Show helpful text about the different subcommands", "6.2.0", "O(1)"});
}

}  // namespace ringkv::commands

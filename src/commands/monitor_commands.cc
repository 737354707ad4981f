// MONITOR, as Redis 7.0's replicationFeedMonitors: after each command (but
// administrative ones) every MONITOR client gets a status line
// `+<seconds>.<micros> [<db> <ip:port>] "arg" "arg" ...`, arguments quoted as
// sdscatrepr quotes them and secrets redacted.
#include <sys/time.h>

#include <cctype>
#include <cstdio>
#include <string>
#include <string_view>

#include "commands/command.h"
#include "commands/util.h"

namespace ringkv::commands {

namespace {

// Redis's sdscatrepr: a double-quoted string with C escapes, other
// unprintable bytes as \xHH.
void AppendQuoted(std::string_view arg, std::string* out) {
  out->push_back('"');
  for (const char c : arg) {
    switch (c) {
      case '\\':
      case '"':
        out->push_back('\\');
        out->push_back(c);
        break;
      case '\n':
        out->append("\\n");
        break;
      case '\r':
        out->append("\\r");
        break;
      case '\t':
        out->append("\\t");
        break;
      case '\a':
        out->append("\\a");
        break;
      case '\b':
        out->append("\\b");
        break;
      default:
        if (std::isprint(static_cast<unsigned char>(c))) {
          out->push_back(c);
        } else {
          char hex[5];
          std::snprintf(hex, sizeof(hex), "\\x%02x", static_cast<unsigned char>(c));
          out->append(hex);
        }
    }
  }
  out->push_back('"');
}

// Redis's monitorCommand. Inside MULTI it is refused when EXEC runs it (a
// transaction expects a reply per command); a client already monitoring
// gets no reply at all.
void MonitorCommand(ExecContext& ctx) {
  if (ctx.client.in_exec || ctx.client.id == 0 || ctx.server.clients == nullptr) {
    ctx.reply.Error("ERR MONITOR isn't allowed for DENY BLOCKING client");
    return;
  }
  if (ctx.client.monitor) return;
  ctx.server.clients->SetMonitor(ctx.client.id, true);
  ctx.reply.Ok();
}

}  // namespace

void FeedMonitors(ServerContext& server, const ClientState& client, int db,
                  std::span<const std::string_view> args) {
  if (server.clients == nullptr) return;
  timeval tv;
  ::gettimeofday(&tv, nullptr);
  char prefix[64];
  std::snprintf(prefix, sizeof(prefix), "+%ld.%06ld [%d ", static_cast<long>(tv.tv_sec),
                static_cast<long>(tv.tv_usec), db);
  std::string line = prefix;
  line += client.addr;
  line += "] ";
  for (size_t i = 0; i < args.size(); ++i) {
    if (i > 0) line.push_back(' ');
    AppendQuoted(IsRedactedArgument(args, i) ? std::string_view("(redacted)") : args[i], &line);
  }
  line += "\r\n";
  server.clients->FeedMonitors(line);
}

void RegisterMonitorCommands(CommandTable* table) {
  table->Add({"monitor", 1, kAdmin | kNoScript | kLoading | kStale, 0, 0, 0, MonitorCommand,
              "server", "@admin @slow @dangerous",
              "Listen for all requests received by the server in real time", "1.0.0", ""});
}

}  // namespace ringkv::commands

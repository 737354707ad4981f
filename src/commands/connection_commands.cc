// PING ECHO QUIT RESET HELLO AUTH SELECT.
#include "commands/command.h"
#include "commands/util.h"

namespace ringkv::commands {

namespace {

// The Redis version ringkv is compatible with; clients gate features on it.
constexpr std::string_view kCompatibleRedisVersion = "7.0.15";

void PingCommand(ExecContext& ctx) {
  if (ctx.argc() > 2) {
    ReplyWrongArity(ctx, "ping");
  } else if (ctx.argc() == 2) {
    ctx.reply.Bulk(ctx.arg(1));
  } else {
    ctx.reply.SimpleString("PONG");
  }
}

void EchoCommand(ExecContext& ctx) { ctx.reply.Bulk(ctx.arg(1)); }

void QuitCommand(ExecContext& ctx) {
  ctx.reply.Ok();
  ctx.client.close_after_reply = true;
}

void SelectCommand(ExecContext& ctx) {
  int64_t index;
  if (!ParseInt64(ctx.arg(1), &index) || index < INT32_MIN || index > INT32_MAX) {
    ctx.reply.Error(kErrNotInteger);
    return;
  }
  if (index < 0 || index >= ctx.keyspace().num_databases()) {
    ctx.reply.Error(kErrDbIndex);
    return;
  }
  ctx.client.db = static_cast<int>(index);
  ctx.reply.Ok();
}

// Checks credentials for the `default` user, the only user ringkv has.
bool CheckCredentials(ExecContext& ctx, std::string_view user, std::string_view password) {
  const std::string& required = ctx.server.config->requirepass;
  if (user != "default") return false;
  return required.empty() || password == required;
}

void AuthCommand(ExecContext& ctx) {
  if (ctx.argc() > 3) {
    ctx.reply.Error(kErrSyntax);
    return;
  }
  std::string_view user = "default";
  std::string_view password = ctx.arg(1);
  if (ctx.argc() == 3) {
    user = ctx.arg(1);
    password = ctx.arg(2);
  } else if (ctx.server.config->requirepass.empty()) {
    ctx.reply.Error(
        "ERR AUTH <password> called without any password configured for the default user. Are "
        "you sure your configuration is correct?");
    return;
  }
  if (!CheckCredentials(ctx, user, password)) {
    ctx.reply.Error("WRONGPASS invalid username-password pair or user is disabled.");
    return;
  }
  ctx.client.authenticated = true;
  ctx.reply.Ok();
}

void HelloCommand(ExecContext& ctx) {
  int protocol = ctx.client.protocol;
  size_t next = 1;
  if (ctx.argc() >= 2) {
    int64_t version;
    if (!ParseInt64(ctx.arg(1), &version)) {
      ctx.reply.Error("ERR Protocol version is not an integer or out of range");
      return;
    }
    next = 2;
    if (version < 2 || version > 3) {
      ctx.reply.Error("NOPROTO unsupported protocol version");
      return;
    }
    protocol = static_cast<int>(version);
  }
  std::string_view user, password, name;
  bool has_auth = false, has_name = false;
  for (size_t i = next; i < ctx.argc(); ++i) {
    const size_t more = ctx.argc() - i - 1;
    if (EqualsIgnoreCase(ctx.arg(i), "auth") && more >= 2) {
      user = ctx.arg(i + 1);
      password = ctx.arg(i + 2);
      has_auth = true;
      i += 2;
    } else if (EqualsIgnoreCase(ctx.arg(i), "setname") && more >= 1) {
      name = ctx.arg(i + 1);
      has_name = true;
      i += 1;
    } else {
      std::string msg = "ERR Syntax error in HELLO option '";
      msg.append(ctx.arg(i));
      msg += "'";
      ctx.reply.Error(msg);
      return;
    }
  }
  if (has_auth) {
    if (!CheckCredentials(ctx, user, password)) {
      ctx.reply.Error("WRONGPASS invalid username-password pair or user is disabled.");
      return;
    }
    ctx.client.authenticated = true;
  }
  if (!ctx.client.authenticated) {
    ctx.reply.Error(
        "NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO "
        "AUTH <user> <pass> option can be used to authenticate the client and select the "
        "RESP protocol version at the same time");
    return;
  }
  if (has_name) {
    for (char c : name) {
      if (c < '!' || c > '~') {
        ctx.reply.Error("ERR Client names cannot contain spaces, newlines or special characters.");
        return;
      }
    }
    ctx.client.name.assign(name);
  }
  ctx.client.protocol = protocol;
  ctx.reply.set_protocol(protocol);
  ctx.reply.MapHeader(7);
  ctx.reply.Bulk("server");
  ctx.reply.Bulk("redis");
  ctx.reply.Bulk("version");
  ctx.reply.Bulk(kCompatibleRedisVersion);
  ctx.reply.Bulk("proto");
  ctx.reply.Integer(protocol);
  ctx.reply.Bulk("id");
  ctx.reply.Integer(static_cast<int64_t>(ctx.client.id));
  ctx.reply.Bulk("mode");
  ctx.reply.Bulk("standalone");
  ctx.reply.Bulk("role");
  ctx.reply.Bulk("master");
  ctx.reply.Bulk("modules");
  ctx.reply.ArrayHeader(0);
}

// Redis's clearClientConnectionState: leaves MONITOR, MULTI and WATCH, db 0,
// RESP2, no name, the default user, CLIENT REPLY ON.
void ResetCommand(ExecContext& ctx) {
  ClientState& c = ctx.client;
  if (c.monitor && ctx.server.clients != nullptr) ctx.server.clients->SetMonitor(c.id, false);
  c.reply_off = false;
  c.reply_skip_next = false;
  c.in_multi = false;
  c.multi_aborted = false;
  c.queued.clear();
  ctx.server.watches.UnwatchAll(&c);
  c.db = 0;
  c.protocol = 2;
  c.name.clear();
  c.authenticated = ctx.server.config->requirepass.empty();
  ctx.reply.set_protocol(2);
  ctx.reply.SimpleString("RESET");
}

}  // namespace

void RegisterConnectionCommands(CommandTable* table) {
  constexpr std::string_view kGroup = "connection";
  table->Add({"ping", -1, kFast, 0, 0, 0, PingCommand, kGroup, "@fast @connection",
              "Returns the server's liveliness response.", "1.0.0", "O(1)"});
  table->Add({"echo", 2, kLoading | kStale | kFast, 0, 0, 0, EchoCommand, kGroup,
              "@fast @connection", "Returns the given string.", "1.0.0", "O(1)"});
  table->Add({"quit", -1, kAllowBusy | kNoAuth | kNoScript | kLoading | kStale | kFast | kNoQueue,
              0, 0, 0, QuitCommand, kGroup, "@fast @connection", "Closes the connection.", "1.0.0",
              "O(1)"});
  table->Add({"select", 2, kLoading | kStale | kFast, 0, 0, 0, SelectCommand, kGroup,
              "@fast @connection", "Changes the selected database.", "1.0.0", "O(1)"});
  table->Add({"auth", -2, kNoScript | kLoading | kStale | kFast | kNoAuth | kAllowBusy, 0, 0, 0,
              AuthCommand, kGroup, "@fast @connection", "Authenticates the connection.", "1.0.0",
              "O(N) where N is the number of passwords defined for the user"});
  table->Add({"hello", -1, kNoScript | kLoading | kStale | kFast | kNoAuth | kAllowBusy, 0, 0, 0,
              HelloCommand, kGroup, "@fast @connection", "Handshakes with the Redis server.",
              "6.0.0", "O(1)"});
  table->Add({"reset", 1, kNoScript | kLoading | kStale | kFast | kNoAuth | kAllowBusy | kNoQueue,
              0, 0, 0, ResetCommand, kGroup, "@fast @connection", "Resets the connection.", "6.2.0",
              "O(1)"});
}

}  // namespace ringkv::commands

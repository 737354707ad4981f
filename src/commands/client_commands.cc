// CLIENT and its subcommands with Redis 7.0's replies (plus SETINFO from 7.2,
// which current clients send on connect). ringkv has no pub/sub, replicas,
// tracking or blocking commands, so every client is a "normal" one that is never
// blocked or tracking.
#include <algorithm>
#include <string>
#include <vector>

#include "commands/command.h"
#include "commands/info.h"
#include "commands/util.h"

namespace ringkv::commands {

namespace {

// Redis's client types (getClientTypeByName).
enum class ClientType { kNormal, kReplica, kPubSub, kMaster, kInvalid };

ClientType ClientTypeByName(std::string_view name) {
  if (EqualsIgnoreCase(name, "normal")) return ClientType::kNormal;
  if (EqualsIgnoreCase(name, "slave") || EqualsIgnoreCase(name, "replica"))
    return ClientType::kReplica;
  if (EqualsIgnoreCase(name, "pubsub")) return ClientType::kPubSub;
  if (EqualsIgnoreCase(name, "master")) return ClientType::kMaster;
  return ClientType::kInvalid;
}

// Names and library attributes end up space-separated in CLIENT LIST, so only
// printable ASCII other than space is allowed.
bool ValidClientAttribute(std::string_view value) {
  return std::all_of(value.begin(), value.end(), [](char c) {
    const auto u = static_cast<unsigned char>(c);
    return u >= '!' && u <= '~';
  });
}

// Every connected client, in id order as Redis lists them. Without a registry
// (unit tests) the caller is the only client.
std::vector<const ClientState*> AllClients(ExecContext& ctx) {
  std::vector<const ClientState*> clients;
  if (ctx.server.clients == nullptr) {
    clients.push_back(&ctx.client);
    return clients;
  }
  ctx.server.clients->ForEachClient(
      [&clients](const ClientState& client) { clients.push_back(&client); });
  std::sort(clients.begin(), clients.end(),
            [](const ClientState* a, const ClientState* b) { return a->id < b->id; });
  return clients;
}

size_t ArgvBytes(std::span<const std::string_view> args) {
  size_t total = 0;
  for (std::string_view arg : args) total += arg.size();
  return total;
}

// One CLIENT LIST line in Redis 7.0's field order (catClientInfoString). Buffer
// figures are ringkv's own: qbuf is the read window (Redis's query buffer), omem
// the pending output.
void AppendClientInfo(ExecContext& ctx, const ClientState& c, std::string* out) {
  const bool self = &c == &ctx.client;
  std::string flags;
  if (c.monitor) flags += 'O';
  if (c.in_multi) flags += 'x';
  if (c.watch_dirty) flags += 'd';
  if (c.close_after_reply) flags += 'c';
  if (flags.empty()) flags = "N";
  size_t multi_mem = 0;
  for (const auto& command : c.queued) {
    for (const auto& arg : command) multi_mem += arg.size();
  }
  const size_t argv_mem = self ? ArgvBytes(ctx.args) : 0;
  const size_t tot_mem =
      c.query_buffer_bytes + c.query_buffer_free + c.output_buffer_bytes + argv_mem + multi_mem;
  auto num = [](auto v) { return std::to_string(v); };
  *out += "id=" + num(c.id);
  *out += " addr=" + c.addr;
  *out += " laddr=" + c.laddr;
  *out += " fd=" + num(c.fd);
  *out += " name=" + c.name;
  *out += " age=" + num(std::max<int64_t>(0, ctx.now_ms - c.created_ms) / 1000);
  *out += " idle=" + num(std::max<int64_t>(0, ctx.now_ms - c.last_interaction_ms) / 1000);
  *out += " flags=" + flags;
  *out += " db=" + num(c.db);
  *out += " sub=0 psub=0 ssub=0";
  *out += " multi=" + (c.in_multi ? num(c.queued.size()) : std::string("-1"));
  *out += " qbuf=" + num(c.query_buffer_bytes);
  *out += " qbuf-free=" + num(c.query_buffer_free);
  *out += " argv-mem=" + num(argv_mem);
  *out += " multi-mem=" + num(multi_mem);
  *out += " rbs=0 rbp=0 obl=0";
  *out += " oll=" + num(c.output_buffer_bytes > 0 ? 1 : 0);
  *out += " omem=" + num(c.output_buffer_bytes);
  *out += " tot-mem=" + num(tot_mem);
  *out += c.output_buffer_bytes > 0 ? " events=rw" : " events=r";
  *out += " cmd=";
  out->append(c.last_command.empty() ? std::string_view("NULL") : c.last_command);
  *out += " user=default redir=-1";
  *out += " resp=" + num(c.protocol);
  *out += "\n";
}

void ClientIdCommand(ExecContext& ctx) { ctx.reply.Integer(static_cast<int64_t>(ctx.client.id)); }

void ClientSetNameCommand(ExecContext& ctx) {
  if (!ValidClientAttribute(ctx.arg(2))) {
    ctx.reply.Error("ERR Client names cannot contain spaces, newlines or special characters.");
    return;
  }
  ctx.client.name.assign(ctx.arg(2));
  ctx.reply.Ok();
}

void ClientGetNameCommand(ExecContext& ctx) {
  if (ctx.client.name.empty()) {
    ctx.reply.Null();
  } else {
    ctx.reply.Bulk(ctx.client.name);
  }
}

// CLIENT SETINFO LIB-NAME|LIB-VER value, as Redis 7.2 answers it.
void ClientSetInfoCommand(ExecContext& ctx) {
  std::string_view attr = ctx.arg(2);
  std::string* dest;
  if (EqualsIgnoreCase(attr, "lib-name")) {
    dest = &ctx.client.lib_name;
  } else if (EqualsIgnoreCase(attr, "lib-ver")) {
    dest = &ctx.client.lib_ver;
  } else {
    ctx.reply.Error("ERR Unrecognized option '" + std::string(attr) + "'");
    return;
  }
  if (!ValidClientAttribute(ctx.arg(3))) {
    ctx.reply.Error("ERR " + std::string(attr) +
                    " cannot contain spaces, newlines or special characters.");
    return;
  }
  dest->assign(ctx.arg(3));
  ctx.reply.Ok();
}

void ClientInfoCommand(ExecContext& ctx) {
  if (ctx.server.clients != nullptr) ctx.server.clients->RefreshClient(ctx.client.id);
  std::string text;
  AppendClientInfo(ctx, ctx.client, &text);
  ctx.reply.Verbatim("txt", text);
}

// CLIENT LIST [TYPE type] | [ID id [id ...]]
void ClientListCommand(ExecContext& ctx) {
  std::string text;
  if (ctx.argc() == 4 && EqualsIgnoreCase(ctx.arg(2), "type")) {
    const ClientType type = ClientTypeByName(ctx.arg(3));
    if (type == ClientType::kInvalid) {
      ctx.reply.Error("ERR Unknown client type '" + std::string(ctx.arg(3)) + "'");
      return;
    }
    if (type == ClientType::kNormal) {
      for (const ClientState* client : AllClients(ctx)) AppendClientInfo(ctx, *client, &text);
    }
  } else if (ctx.argc() > 3 && EqualsIgnoreCase(ctx.arg(2), "id")) {
    std::vector<int64_t> ids;
    for (size_t i = 3; i < ctx.argc(); ++i) {
      int64_t id;
      if (!ParseInt64(ctx.arg(i), &id)) {
        ctx.reply.Error("ERR Invalid client ID");
        return;
      }
      ids.push_back(id);
    }
    // Listed in argument order, repeats included, as Redis does.
    const std::vector<const ClientState*> clients = AllClients(ctx);
    for (int64_t id : ids) {
      for (const ClientState* client : clients) {
        if (static_cast<int64_t>(client->id) == id) AppendClientInfo(ctx, *client, &text);
      }
    }
  } else if (ctx.argc() != 2) {
    ctx.reply.Error(kErrSyntax);
    return;
  } else {
    for (const ClientState* client : AllClients(ctx)) AppendClientInfo(ctx, *client, &text);
  }
  ctx.reply.Verbatim("txt", text);
}

// CLIENT KILL ip:port | CLIENT KILL <filter> <value> [...]
void ClientKillCommand(ExecContext& ctx) {
  std::string_view addr, laddr;
  bool has_addr = false, has_laddr = false;
  ClientType type = ClientType::kInvalid;  // kInvalid: no TYPE filter
  uint64_t id = 0;
  bool skipme = true;
  const bool old_form = ctx.argc() == 3;
  if (old_form) {
    addr = ctx.arg(2);
    has_addr = true;
    skipme = false;  // the old form may kill the caller
  } else {
    for (size_t i = 2; i < ctx.argc(); i += 2) {
      const bool more = i + 1 < ctx.argc();
      std::string_view option = ctx.arg(i);
      if (EqualsIgnoreCase(option, "id") && more) {
        int64_t value;
        if (!ParseInt64(ctx.arg(i + 1), &value) || value < 1) {
          ctx.reply.Error("ERR client-id should be greater than 0");
          return;
        }
        id = static_cast<uint64_t>(value);
      } else if (EqualsIgnoreCase(option, "type") && more) {
        type = ClientTypeByName(ctx.arg(i + 1));
        if (type == ClientType::kInvalid) {
          ctx.reply.Error("ERR Unknown client type '" + std::string(ctx.arg(i + 1)) + "'");
          return;
        }
      } else if (EqualsIgnoreCase(option, "addr") && more) {
        addr = ctx.arg(i + 1);
        has_addr = true;
      } else if (EqualsIgnoreCase(option, "laddr") && more) {
        laddr = ctx.arg(i + 1);
        has_laddr = true;
      } else if (EqualsIgnoreCase(option, "user") && more) {
        // `default` is the only user ringkv has.
        if (ctx.arg(i + 1) != "default") {
          ctx.reply.Error("ERR No such user '" + std::string(ctx.arg(i + 1)) + "'");
          return;
        }
      } else if (EqualsIgnoreCase(option, "skipme") && more) {
        if (EqualsIgnoreCase(ctx.arg(i + 1), "yes")) {
          skipme = true;
        } else if (EqualsIgnoreCase(ctx.arg(i + 1), "no")) {
          skipme = false;
        } else {
          ctx.reply.Error(kErrSyntax);
          return;
        }
      } else {
        ctx.reply.Error(kErrSyntax);
        return;
      }
    }
  }
  // Collect first: killing while the registry is being walked is not allowed.
  std::vector<uint64_t> victims;
  bool kill_self = false;
  for (const ClientState* client : AllClients(ctx)) {
    if (has_addr && client->addr != addr) continue;
    if (has_laddr && client->laddr != laddr) continue;
    if (type != ClientType::kInvalid && type != ClientType::kNormal) continue;
    if (id != 0 && client->id != id) continue;
    if (client == &ctx.client) {
      if (skipme) continue;
      kill_self = true;
    } else {
      victims.push_back(client->id);
    }
  }
  for (uint64_t victim : victims) ctx.server.clients->KillClient(victim);
  const size_t killed = victims.size() + (kill_self ? 1 : 0);
  if (old_form) {
    if (killed == 0) {
      ctx.reply.Error("ERR No such client");
    } else {
      ctx.reply.Ok();
    }
  } else {
    ctx.reply.Integer(static_cast<int64_t>(killed));
  }
  // The reply is queued first, so the caller still receives it.
  if (kill_self) ctx.client.close_after_reply = true;
}

// ringkv never evicts clients, so the mode is accepted and has no effect.
void ClientNoEvictCommand(ExecContext& ctx) {
  if (EqualsIgnoreCase(ctx.arg(2), "on") || EqualsIgnoreCase(ctx.arg(2), "off")) {
    ctx.reply.Ok();
  } else {
    ctx.reply.Error(kErrSyntax);
  }
}

// CLIENT REPLY ON|OFF|SKIP. The dispatcher drops the replies (see Dispatch).
void ClientReplyCommand(ExecContext& ctx) {
  ClientState& c = ctx.client;
  if (EqualsIgnoreCase(ctx.arg(2), "on")) {
    c.reply_off = false;
    c.reply_skip = false;
    c.reply_skip_next = false;
    ctx.reply.Ok();
  } else if (EqualsIgnoreCase(ctx.arg(2), "off")) {
    c.reply_off = true;
  } else if (EqualsIgnoreCase(ctx.arg(2), "skip")) {
    if (!c.reply_off) c.reply_skip_next = true;
  } else {
    ctx.reply.Error(kErrSyntax);
  }
}

// Tracking is never enabled, so these answer as Redis does for a client without it.
void ClientGetRedirCommand(ExecContext& ctx) { ctx.reply.Integer(-1); }

void ClientTrackingInfoCommand(ExecContext& ctx) {
  ctx.reply.MapHeader(3);
  ctx.reply.Bulk("flags");
  ctx.reply.SetHeader(1);
  ctx.reply.Bulk("off");
  ctx.reply.Bulk("redirect");
  ctx.reply.Integer(-1);
  ctx.reply.Bulk("prefixes");
  ctx.reply.ArrayHeader(0);
}

void ClientCachingCommand(ExecContext& ctx) {
  ctx.reply.Error(
      "ERR CLIENT CACHING can be called only when the client is in tracking mode with OPTIN or "
      "OPTOUT mode enabled");
}

// No command blocks in ringkv, so there is never a client to unblock.
void ClientUnblockCommand(ExecContext& ctx) {
  if (ctx.argc() > 4) {
    ctx.reply.Error("ERR unknown subcommand or wrong number of arguments for '" +
                    std::string(ctx.arg(1)) + "'. Try CLIENT HELP.");
    return;
  }
  if (ctx.argc() == 4 && !EqualsIgnoreCase(ctx.arg(3), "timeout") &&
      !EqualsIgnoreCase(ctx.arg(3), "error")) {
    ctx.reply.Error("ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR");
    return;
  }
  int64_t id;
  if (!ParseInt64(ctx.arg(2), &id)) {
    ctx.reply.Error(kErrNotInteger);
    return;
  }
  ctx.reply.Integer(0);
}

void ClientHelpCommand(ExecContext& ctx) {
  static constexpr std::string_view kHelp[] = {
      "CACHING (YES|NO)",
      "    Enable/disable tracking of the keys for next command in OPTIN/OPTOUT modes.",
      "GETREDIR",
      "    Return the client ID we are redirecting to when tracking is enabled.",
      "GETNAME",
      "    Return the name of the current connection.",
      "ID",
      "    Return the ID of the current connection.",
      "INFO",
      "    Return information about the current client connection.",
      "KILL <ip:port>",
      "    Kill connection made from <ip:port>.",
      "KILL <option> <value> [<option> <value> [...]]",
      "    Kill connections. Options are:",
      "    * ADDR (<ip:port>|<unixsocket>:0)",
      "      Kill connections made from the specified address",
      "    * LADDR (<ip:port>|<unixsocket>:0)",
      "      Kill connections made to specified local address",
      "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
      "      Kill connections by type.",
      "    * USER <username>",
      "      Kill connections authenticated by <username>.",
      "    * SKIPME (YES|NO)",
      "      Skip killing current connection (default: yes).",
      "LIST [options ...]",
      "    Return information about client connections. Options:",
      "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
      "      Return clients of specified type.",
      "UNPAUSE",
      "    Stop the current client pause, resuming traffic.",
      "PAUSE <timeout> [WRITE|ALL]",
      "    Suspend all, or just write, clients for <timeout> milliseconds.",
      "REPLY (ON|OFF|SKIP)",
      "    Control the replies sent to the current connection.",
      "SETNAME <name>",
      "    Assign the name <name> to the current connection.",
      "UNBLOCK <clientid> [TIMEOUT|ERROR]",
      "    Unblock the specified blocked client.",
      "TRACKING (ON|OFF) [REDIRECT <id>] [BCAST] [PREFIX <prefix> [...]]",
      "         [OPTIN] [OPTOUT] [NOLOOP]",
      "    Control server assisted client side caching.",
      "TRACKINGINFO",
      "    Report tracking status for the current connection.",
      "NO-EVICT (ON|OFF)",
      "    Protect current client connection from eviction.",
  };
  ReplySubcommandHelp(ctx, kHelp);
}

// CLIENT PAUSE timeout [WRITE|ALL], as Redis 7.0's: a longer pause extends
// the current one and a WRITE pause never narrows an ALL one.
void ClientPauseCommand(ExecContext& ctx) {
  using PauseType = ServerContext::PauseType;
  PauseType type = PauseType::kAll;
  if (ctx.argc() == 4) {
    if (EqualsIgnoreCase(ctx.arg(3), "write")) {
      type = PauseType::kWrite;
    } else if (!EqualsIgnoreCase(ctx.arg(3), "all")) {
      ctx.reply.Error("ERR CLIENT PAUSE mode must be WRITE or ALL");
      return;
    }
  } else if (ctx.argc() > 4) {
    ctx.reply.Error("ERR unknown subcommand or wrong number of arguments for '" +
                    std::string(ctx.arg(1)) + "'. Try CLIENT HELP.");
    return;
  }
  // getTimeoutFromObjectOrReply in milliseconds.
  int64_t timeout;
  if (!ParseInt64(ctx.arg(2), &timeout)) {
    ctx.reply.Error("ERR timeout is not an integer or out of range");
    return;
  }
  if (timeout < 0) {
    ctx.reply.Error("ERR timeout is negative");
    return;
  }
  // Redis 7.0 adds the time unchecked: a timeout that overflows wraps
  // into the past, and the pause is over at once.
  if (timeout > 0) {
    timeout =
        static_cast<int64_t>(static_cast<uint64_t>(timeout) + static_cast<uint64_t>(ctx.now_ms));
  }
  ServerContext& server = ctx.server;
  if (ClientsPaused(server, ctx.now_ms)) {
    server.pause_type = std::max(server.pause_type, type);
    server.pause_end_ms = std::max(server.pause_end_ms, timeout);
  } else {
    server.pause_type = type;
    server.pause_end_ms = timeout;
  }
  ctx.reply.Ok();
}

void ClientUnpauseCommand(ExecContext& ctx) {
  ctx.server.pause_type = ServerContext::PauseType::kOff;
  ctx.reply.Ok();
}

}  // namespace

void RegisterClientCommands(CommandTable* table) {
  constexpr std::string_view kGroup = "connection";
  constexpr uint32_t kClientFlags = kNoScript | kLoading | kStale;
  constexpr uint32_t kAdminFlags = kAdmin | kNoScript | kLoading | kStale;
  constexpr std::string_view kCats = "@slow @connection";
  constexpr std::string_view kAdminCats = "@admin @slow @dangerous @connection";
  table->Add({"client", -2, 0, 0, 0, 0, nullptr, kGroup, "@slow",
              "A container for client connection commands", "2.4.0", "Depends on subcommand."});
  table->Add({"client|id", 2, kClientFlags, 0, 0, 0, ClientIdCommand, kGroup, kCats,
              "Returns the client ID for the current connection", "5.0.0", "O(1)"});
  table->Add({"client|info", 2, kClientFlags, 0, 0, 0, ClientInfoCommand, kGroup, kCats,
              "Returns information about the current client connection.", "6.2.0", "O(1)"});
  table->Add({"client|setname", 3, kClientFlags, 0, 0, 0, ClientSetNameCommand, kGroup, kCats,
              "Set the current connection name", "2.6.9", "O(1)"});
  table->Add({"client|getname", 2, kClientFlags, 0, 0, 0, ClientGetNameCommand, kGroup, kCats,
              "Get the current connection name", "2.6.9", "O(1)"});
  table->Add({"client|setinfo",
              4,
              kClientFlags,
              0,
              0,
              0,
              ClientSetInfoCommand,
              kGroup,
              kCats,
              "Set client or connection specific info",
              "7.2.0",
              "O(1)",
              {{"libname", "string", "LIB-NAME", true, false},
               {"libver", "string", "LIB-VER", true, false}}});
  table->Add({"client|list", -2, kAdminFlags, 0, 0, 0, ClientListCommand, kGroup, kAdminCats,
              "Get the list of client connections", "2.4.0",
              "O(N) where N is the number of client connections"});
  table->Add({"client|kill", -3, kAdminFlags, 0, 0, 0, ClientKillCommand, kGroup, kAdminCats,
              "Kill the connection of a client", "2.4.0",
              "O(N) where N is the number of client connections"});
  table->Add({"client|pause", -3, kAdminFlags, 0, 0, 0, ClientPauseCommand, kGroup, kAdminCats,
              "Stop processing commands from clients for some time", "2.9.50", "O(1)"});
  table->Add({"client|unpause", 2, kAdminFlags, 0, 0, 0, ClientUnpauseCommand, kGroup, kAdminCats,
              "Resume processing of clients that were paused", "6.2.0",
              "O(N) Where N is the number of paused clients"});
  table->Add({"client|no-evict", 3, kAdminFlags, 0, 0, 0, ClientNoEvictCommand, kGroup, kAdminCats,
              "Set client eviction mode for the current connection", "7.0.0", "O(1)"});
  table->Add({"client|reply", 3, kClientFlags, 0, 0, 0, ClientReplyCommand, kGroup, kCats,
              "Instruct the server whether to reply to commands", "3.2.0", "O(1)"});
  table->Add({"client|getredir", 2, kClientFlags, 0, 0, 0, ClientGetRedirCommand, kGroup, kCats,
              "Get tracking notifications redirection client ID if any", "6.0.0", "O(1)"});
  table->Add({"client|trackinginfo", 2, kClientFlags, 0, 0, 0, ClientTrackingInfoCommand, kGroup,
              kCats,
              "Return information about server assisted client side caching for the current "
              "connection",
              "6.2.0", "O(1)"});
  table->Add({"client|caching", 3, kClientFlags, 0, 0, 0, ClientCachingCommand, kGroup, kCats,
              "Instruct the server about tracking or not keys in the next request", "6.0.0",
              "O(1)"});
  table->Add(
      {"client|unblock",
       -3,
       kAdminFlags,
       0,
       0,
       0,
       ClientUnblockCommand,
       kGroup,
       kAdminCats,
       "Unblock a client blocked in a blocking command from a different connection",
       "5.0.0",
       "O(log N) where N is the number of client connections",
       {{"client-id", "integer", "", false, false}, {"timeout_error", "oneof", "", true, false}}});
  table->Add({"client|help", 2, kLoading | kStale, 0, 0, 0, ClientHelpCommand, kGroup, kCats,
              "Show helpful text about the different subcommands", "5.0.0", "O(1)"});
}

}  // namespace ringkv::commands

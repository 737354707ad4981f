#include "commands/dispatcher.h"

#include <memory>

#include "commands/util.h"
#include "util/cycle_clock.h"

namespace ringkv::commands {

namespace {

// Redis formats rejection arguments with "%.128s", which stops at a NUL byte.
std::string_view CString(std::string_view s, size_t limit) { return CStr(s).substr(0, limit); }

// Redis replaces CR and LF with spaces in rejection messages; ReplyBuilder::Error
// does that for us.
std::string UnknownCommandError(std::span<const std::string_view> args) {
  std::string listed;
  for (size_t i = 1; i < args.size() && listed.size() < 128; ++i) {
    const size_t room = 128 - listed.size();  // measured before the quote, as Redis does
    listed += "'";
    listed.append(CString(args[i], room));
    listed += "' ";
  }
  std::string msg = "ERR unknown command '";
  msg.append(CString(args[0], 128));
  msg += "', with args beginning with: ";
  msg += listed;
  return msg;
}

bool ArityOk(const CommandSpec& spec, size_t argc) {
  return spec.arity > 0 ? argc == static_cast<size_t>(spec.arity)
                        : argc >= static_cast<size_t>(-spec.arity);
}

std::string Upper(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

// Counts an error reply by its code ("ERR", "WRONGTYPE") for INFO errorstats.
void CountError(ServerContext& server, std::string_view reply_bytes) {
  if (reply_bytes.empty() || reply_bytes[0] != '-') return;
  size_t end = reply_bytes.find_first_of(" \r", 1);
  ++server.stats.total_error_replies;
  ++server.stats.errors[std::string(reply_bytes.substr(1, end - 1))];
}

// Whether a command goes to the ring's router: it names keys (and is not one
// that inspects this node alone) or acts on the whole cluster.
bool Routed(const CommandSpec& spec, std::span<const std::string_view> args) {
  const bool keyed = spec.first_key > 0 && !(spec.flags & kNoRoute) &&
                     args.size() > static_cast<size_t>(spec.first_key);
  return keyed || (spec.flags & kClusterWide);
}

}  // namespace

bool RoutesToRing(const ServerContext& server, const ClientState& client,
                  std::span<const std::string_view> args) {
  if (server.router == nullptr || client.in_multi) return false;
  std::string error;
  const CommandSpec* spec = Resolve(args, &error);
  if (spec == nullptr || (spec->flags & kNoCluster)) return false;
  if (!client.authenticated && !server.config->requirepass.empty() && !(spec->flags & kNoAuth)) {
    return false;
  }
  return Routed(*spec, args);
}

const CommandSpec* Resolve(std::span<const std::string_view> args, std::string* error,
                           const CommandSpec** top_level) {
  const CommandTable& table = Commands();
  const CommandSpec* spec = table.Find(args[0]);
  if (top_level != nullptr) *top_level = spec;
  if (spec == nullptr) {
    *error = UnknownCommandError(args);
    return nullptr;
  }
  auto arity_error = [&](std::string_view name) {
    *error = "ERR wrong number of arguments for '";
    error->append(name);
    *error += "' command";
  };
  if (!ArityOk(*spec, args.size())) {
    arity_error(spec->name);
    return nullptr;
  }
  // A container called alone (COMMAND) runs its own handler.
  if (args.size() >= 2 && CommandTable::HasSubcommands(*spec)) {
    const CommandSpec* sub = table.FindSubcommand(spec->name, args[1]);
    if (sub == nullptr) {
      *error = "ERR unknown subcommand '";
      error->append(CString(args[1], 128));
      *error += "'. Try " + Upper(spec->name) + " HELP.";
      return nullptr;
    }
    if (!ArityOk(*sub, args.size())) {
      arity_error(sub->name);
      return nullptr;
    }
    spec = sub;
  }
  return spec;
}

void Execute(ExecContext& ctx, const CommandSpec& spec) {
  const size_t reply_start = ctx.reply.buffer()->size();
  const uint64_t start = CycleClock::Now();
  if (spec.first_key > 0 && spec.last_key != spec.first_key && ctx.argc() > 2 &&
      ctx.db() < ctx.keyspace().num_databases()) {
    ctx.keyspace().PrefetchKeyRows(ctx.db(), ctx.args, spec.first_key, spec.last_key,
                                   spec.key_step);
  }
  // The keys this command looks up count as accessed (Redis's lookupKey),
  // and nothing else does: not the expiry sweep, not another command's
  // internal lookups.
  ctx.keyspace().set_touching((spec.flags & kNoTouch) == 0);
  spec.handler(ctx);
  ctx.keyspace().set_touching(false);
  const uint64_t end = CycleClock::Now();
  auto& stats = ctx.server.stats;
  ++stats.total_commands_processed;
  Stats::CommandStats& command_stats = stats.ForCommand(spec.name);
  ++command_stats.calls;
  const uint64_t micros = CycleClock::Micros(start, end);
  command_stats.usec += micros;
  const server::Config& config = *ctx.server.config;
  if (config.latency_tracking) {
    if (!command_stats.latency) command_stats.latency = std::make_unique<LatencyHistogram>();
    // Whole microseconds, as Redis records them (duration * 1000): a call
    // under a microsecond counts as 1 ns, and percentiles read as Redis's.
    command_stats.latency->Record(micros * 1000);
  }
  if (config.latency_monitor_threshold > 0) {
    AddLatencySampleIfNeeded(ctx.server, (spec.flags & kFast) ? "fast-command" : "command",
                             micros / 1000, ctx.now_ms);
  }
  const int64_t slower_than = config.slowlog_log_slower_than;
  if (slower_than >= 0 && micros >= static_cast<uint64_t>(slower_than)) {
    RecordSlowCommand(ctx, spec, micros);
  }
  // As Redis's call(): after the command, in the database it left selected;
  // administrative commands are not shown. Commands a coordinator runs for a
  // replica (no client) were shown where a client sent them.
  if (ctx.server.monitors > 0 && ctx.client.id != 0 && !(spec.flags & (kSkipMonitor | kAdmin))) {
    FeedMonitors(ctx.server, ctx.client, ctx.client.db, ctx.args);
  }
  const std::string& out = *ctx.reply.buffer();
  if (out.size() > reply_start && out[reply_start] == '-') {
    ++command_stats.failed_calls;
    CountError(ctx.server, std::string_view(out).substr(reply_start));
  }
}

namespace {

DispatchResult ExecThroughRouter(ServerContext& server, ClientState& client, int64_t now_ms);

// Whether CLIENT PAUSE holds this command: every command under ALL; under
// WRITE those that may write, and an EXEC whose queue holds one (Redis's
// is_may_replicate_command).
bool WaitsForPause(const ServerContext& server, const ClientState& client,
                   const CommandSpec& spec) {
  if (server.pause_type == ServerContext::PauseType::kAll) return true;
  constexpr uint32_t kMayWrite = kWrite | kMayReplicate;
  if (spec.flags & kMayWrite) return true;
  if (spec.name != "exec" || !client.in_multi) return false;
  for (const std::vector<std::string>& queued : client.queued) {
    std::vector<std::string_view> args(queued.begin(), queued.end());
    std::string error;
    const CommandSpec* inner = Resolve(args, &error);
    if (inner != nullptr && (inner->flags & kMayWrite)) return true;
  }
  return false;
}

DispatchResult DispatchCommand(ServerContext& server, ClientState& client,
                               std::span<const std::string_view> args, resp::ReplyBuilder& reply,
                               int64_t now_ms) {
  const size_t reply_start = reply.buffer()->size();
  const CommandSpec* top_level = nullptr;
  // Redis's rejectCommand: the transaction is flagged, and a rejected EXEC
  // aborts it with the reason folded into an EXECABORT error.
  auto reject = [&](std::string_view message) {
    if (top_level != nullptr && top_level->name == "exec") {
      if (message.substr(0, 4) == "ERR ") message.remove_prefix(4);
      std::string text = "EXECABORT Transaction discarded because of: ";
      text.append(message);
      reply.Error(text);
      client.in_multi = false;
      client.multi_aborted = false;
      client.queued.clear();
      server.watches.UnwatchAll(&client);
    } else {
      reply.Error(message);
      if (client.in_multi) client.multi_aborted = true;
    }
    if (top_level != nullptr) ++server.stats.ForCommand(top_level->name).rejected_calls;
    CountError(server, std::string_view(*reply.buffer()).substr(reply_start));
    // Redis's execCommandAbort: monitors saw MULTI, so they see the EXEC.
    if (top_level != nullptr && top_level->name == "exec" && server.monitors > 0) {
      FeedMonitors(server, client, client.db, args);
    }
  };
  std::string error;
  const CommandSpec* spec = Resolve(args, &error, &top_level);
  if (spec == nullptr) {
    reject(error);
    return DispatchResult::kDone;
  }
  if (!client.authenticated && !server.config->requirepass.empty() && !(spec->flags & kNoAuth)) {
    reject(kErrNoAuth);
    return DispatchResult::kDone;
  }
  // Redis refuses these to replicas, and a MONITOR client is one.
  if (client.monitor && (spec->flags & (kReadOnly | kWrite | kMayReplicate))) {
    reject("ERR Replica can't interact with the keyspace");
    return DispatchResult::kDone;
  }
  if (client.in_multi && (spec->flags & kNoMulti)) {
    reject("ERR Command not allowed inside a transaction");
    return DispatchResult::kDone;
  }
  if (server.router != nullptr && (spec->flags & kNoCluster)) {
    std::string text = "ERR " + Upper(spec->name) +
                       " is not supported in cluster mode (see the README's cluster section)";
    reject(text);
    return DispatchResult::kDone;
  }
  // After every rejection, so a bad command still answers at once; MONITOR
  // clients, like Redis's replicas, are never paused.
  if (ClientsPaused(server, now_ms) && !client.monitor && WaitsForPause(server, client, *spec)) {
    return DispatchResult::kPostponed;
  }
  client.last_command = spec->name;
  if (client.in_multi && !(spec->flags & kNoQueue)) {
    client.queued.emplace_back(args.begin(), args.end());
    reply.SimpleString("QUEUED");
    return DispatchResult::kDone;
  }
  if (server.router != nullptr && spec->name == "exec" && client.in_multi &&
      !client.multi_aborted) {
    return ExecThroughRouter(server, client, now_ms);
  }
  if (server.router != nullptr && Routed(*spec, args)) {
    // The reply is dropped later if CLIENT REPLY said so for this command.
    const bool drop = client.reply_off || client.reply_skip;
    ClientRegistry* clients = server.clients;
    const uint64_t id = client.id;
    const uint64_t seq = client.routed_commands++;
    if (server.monitors > 0 && !(spec->flags & (kSkipMonitor | kAdmin))) {
      FeedMonitors(server, client, client.db, args);
    }
    server.router->Route(id, client.db, client.protocol, args,
                         [&server, clients, id, seq, drop](std::string bytes) {
                           CountError(server, bytes);
                           clients->DeliverReply(id, seq, drop ? std::string_view() : bytes);
                         });
    return DispatchResult::kPending;
  }
  // New versions are stamped with the command's time (it orders concurrent
  // siblings), whether or not the command looks the key up first.
  server.keyspace->set_now_ms(now_ms);
  ExecContext ctx(server, client, args, reply, now_ms);
  Execute(ctx, *spec);
  return DispatchResult::kDone;
}

// EXEC on a ring: the queued commands run in order, each routed to its keys'
// replicas like any command (so one client's commands apply in order on each
// replica), and their replies are gathered into EXEC's array. Not atomic:
// other clients' commands may interleave, and a failed command does not undo
// the others (README, cluster section).
DispatchResult ExecThroughRouter(ServerContext& server, ClientState& client, int64_t now_ms) {
  std::vector<std::vector<std::string>> queued;
  queued.swap(client.queued);
  client.in_multi = false;
  server.watches.UnwatchAll(&client);
  struct Gathered {
    std::vector<std::string> replies;
    size_t pending = 0;
  };
  auto gathered = std::make_shared<Gathered>();
  gathered->replies.resize(queued.size());
  gathered->pending = queued.size() + 1;  // +1 until every command is started
  ClientRegistry* clients = server.clients;
  const uint64_t id = client.id;
  const uint64_t seq = client.routed_commands++;
  const bool drop = client.reply_off || client.reply_skip;
  const int protocol = client.protocol;
  auto finish = [&server, clients, id, seq, drop, protocol, gathered] {
    std::string out;
    resp::ReplyBuilder builder(&out);
    builder.set_protocol(protocol);
    builder.ArrayHeader(gathered->replies.size());
    for (const std::string& reply : gathered->replies) {
      CountError(server, reply);
      out += reply;
    }
    clients->DeliverReply(id, seq, drop ? std::string_view() : out);
  };
  std::vector<std::string_view> args;
  for (size_t i = 0; i < queued.size(); ++i) {
    args.assign(queued[i].begin(), queued[i].end());
    std::string error;
    const CommandSpec* spec = Resolve(args, &error);
    if (spec != nullptr && Routed(*spec, args)) {
      if (server.monitors > 0 && !(spec->flags & (kSkipMonitor | kAdmin))) {
        FeedMonitors(server, client, client.db, args);
      }
      server.router->Route(id, client.db, client.protocol, args,
                           [gathered, i, finish](std::string reply) {
                             gathered->replies[i] = std::move(reply);
                             if (--gathered->pending == 0) finish();
                           });
      continue;
    }
    std::string out;
    resp::ReplyBuilder builder(&out);
    builder.set_protocol(client.protocol);
    if (spec == nullptr) {  // cannot happen: validated when queued
      builder.Error(error);
    } else {
      server.keyspace->set_now_ms(now_ms);
      ExecContext inner(server, client, args, builder, now_ms);
      Execute(inner, *spec);
    }
    gathered->replies[i] = std::move(out);
    --gathered->pending;
  }
  if (server.monitors > 0) {
    static constexpr std::string_view kExec[] = {"exec"};
    FeedMonitors(server, client, client.db, kExec);
  }
  if (--gathered->pending == 0) finish();
  return DispatchResult::kPending;
}

}  // namespace

DispatchResult Dispatch(ServerContext& server, ClientState& client,
                        std::span<const std::string_view> args, resp::ReplyBuilder& reply,
                        int64_t now_ms) {
  const size_t reply_start = reply.buffer()->size();
  // While clients are paused keys expire without being deleted (Redis skips
  // both lazy and active expiry then): reads see them gone, nothing is written.
  server.keyspace->set_expire_deletes(!ClientsPaused(server, now_ms));
  const DispatchResult result = DispatchCommand(server, client, args, reply, now_ms);
  if (result == DispatchResult::kPostponed) return result;
  // As Redis's prepareClientToWrite and resetClient: with CLIENT REPLY OFF or
  // SKIP nothing this command produced is sent, errors included.
  if (client.reply_off || client.reply_skip) reply.buffer()->resize(reply_start);
  client.reply_skip = client.reply_skip_next;
  client.reply_skip_next = false;
  return result;
}

}  // namespace ringkv::commands

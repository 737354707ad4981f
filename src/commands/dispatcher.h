// Runs one parsed command for a client: table lookup, arity, subcommands,
// authentication, MULTI queueing, execution and statistics, with Redis's exact
// rejection texts.
#pragma once

#include <span>
#include <string>
#include <string_view>

#include "commands/context.h"

namespace ringkv::commands {

// Whether a command's reply is in the builder or will come later.
enum class DispatchResult {
  kDone,
  // The ring's router took the command: its reply reaches the client through
  // ClientRegistry::DeliverReply (possibly before Dispatch returned). The net
  // layer must not run the client's next command before then.
  kPending,
  // CLIENT PAUSE holds the command: nothing ran and nothing was replied. The
  // net layer keeps it and dispatches it again once the pause is over.
  kPostponed,
};

// Executes (or queues, inside MULTI, or routes to the key's replicas) the
// command in `args` and appends its reply.
DispatchResult Dispatch(ServerContext& server, ClientState& client,
                        std::span<const std::string_view> args, resp::ReplyBuilder& reply,
                        int64_t now_ms);

// True if Dispatch would hand `args` to the ring's router (so it may run while
// the client's earlier routed commands are still in flight). False for
// everything that runs here, rejections included.
bool RoutesToRing(const ServerContext& server, const ClientState& client,
                  std::span<const std::string_view> args);

// Executes an already validated command (EXEC runs its queue through this).
void Execute(ExecContext& ctx, const CommandSpec& spec);

// Resolves argv to the command spec to run (a subcommand's own row when the
// command has subcommands). When the command, subcommand or arity is wrong,
// returns nullptr and sets `error` to Redis's text. `top_level`, if given,
// receives the top-level command's row (nullptr when unknown).
const CommandSpec* Resolve(std::span<const std::string_view> args, std::string* error,
                           const CommandSpec** top_level = nullptr);

}  // namespace ringkv::commands

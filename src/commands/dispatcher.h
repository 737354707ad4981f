// Runs one parsed command for a client: table lookup, arity, subcommands,
// authentication, MULTI queueing, execution and statistics, with Redis's exact
// rejection texts.
#pragma once

#include <span>
#include <string_view>

#include "commands/context.h"

namespace ringkv::commands {

// Executes (or queues, inside MULTI) the command in `args` and appends its reply.
void Dispatch(ServerContext& server, ClientState& client, std::span<const std::string_view> args,
              resp::ReplyBuilder& reply, int64_t now_ms);

// Executes an already validated command (EXEC runs its queue through this).
void Execute(ExecContext& ctx, const CommandSpec& spec);

// Resolves argv to the command spec to run, replying with Redis's error when the
// command, subcommand or arity is wrong (returns nullptr then).
const CommandSpec* Resolve(std::span<const std::string_view> args, resp::ReplyBuilder& reply);

}  // namespace ringkv::commands

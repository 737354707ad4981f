// Runs one parsed command for a client: table lookup, arity, subcommands,
// authentication, MULTI queueing, execution and statistics, with Redis's exact
// rejection texts.
#pragma once

#include <span>
#include <string>
#include <string_view>

#include "commands/context.h"

namespace ringkv::commands {

// Executes (or queues, inside MULTI) the command in `args` and appends its reply.
void Dispatch(ServerContext& server, ClientState& client, std::span<const std::string_view> args,
              resp::ReplyBuilder& reply, int64_t now_ms);

// Executes an already validated command (EXEC runs its queue through this).
void Execute(ExecContext& ctx, const CommandSpec& spec);

// Resolves argv to the command spec to run (a subcommand's own row when the
// command has subcommands). When the command, subcommand or arity is wrong,
// returns nullptr and sets `error` to Redis's text. `top_level`, if given,
// receives the top-level command's row (nullptr when unknown).
const CommandSpec* Resolve(std::span<const std::string_view> args, std::string* error,
                           const CommandSpec** top_level = nullptr);

}  // namespace ringkv::commands

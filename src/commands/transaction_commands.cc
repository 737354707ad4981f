// MULTI EXEC DISCARD WATCH UNWATCH with Redis's single-node semantics: queued
// commands run back to back (nothing else runs on the single event loop in
// between), WATCHed keys modified by anyone make EXEC answer a null array.
#include <string>
#include <vector>

#include "commands/command.h"
#include "commands/dispatcher.h"
#include "commands/util.h"

namespace ringkv::commands {

namespace {

void DiscardTransaction(ExecContext& ctx) {
  ctx.client.in_multi = false;
  ctx.client.multi_aborted = false;
  ctx.client.queued.clear();
  ctx.server.watches.UnwatchAll(&ctx.client);
}

void MultiCommand(ExecContext& ctx) {
  if (ctx.client.in_multi) {
    ctx.reply.Error("ERR MULTI calls can not be nested");
    return;
  }
  ctx.client.in_multi = true;
  ctx.client.multi_aborted = false;
  ctx.client.queued.clear();
  ctx.reply.Ok();
}

void DiscardCommand(ExecContext& ctx) {
  if (!ctx.client.in_multi) {
    ctx.reply.Error("ERR DISCARD without MULTI");
    return;
  }
  DiscardTransaction(ctx);
  ctx.reply.Ok();
}

void ExecCommand(ExecContext& ctx) {
  if (!ctx.client.in_multi) {
    ctx.reply.Error("ERR EXEC without MULTI");
    return;
  }
  if (ctx.client.multi_aborted) {
    DiscardTransaction(ctx);
    ctx.reply.Error("EXECABORT Transaction discarded because of previous errors.");
    return;
  }
  // A WATCHed key that expired since WATCH aborts the transaction, as in Redis
  // 7.0 (isWatchedKeyExpired): looking each one up deletes it if it expired,
  // which flags this client like any other change of the key.
  storage::KeyRecord record;
  for (const auto& [db, key] : ctx.client.watched) {
    ctx.keyspace().Find(db, key, ctx.now_ms, &record);
  }
  if (ctx.client.watch_dirty) {
    DiscardTransaction(ctx);
    ctx.reply.NullArray();
    return;
  }
  std::vector<std::vector<std::string>> queued;
  queued.swap(ctx.client.queued);
  ctx.client.in_multi = false;
  // Unwatch before running: the transaction's own writes must not flag it.
  ctx.server.watches.UnwatchAll(&ctx.client);
  ctx.reply.ArrayHeader(queued.size());
  std::vector<std::string_view> args;
  ctx.client.in_exec = true;
  for (const auto& command : queued) {
    args.assign(command.begin(), command.end());
    std::string error;
    const CommandSpec* spec = Resolve(args, &error);
    if (spec == nullptr) {  // cannot happen: validated when queued
      ctx.reply.Error(error);
      continue;
    }
    ExecContext inner(ctx.server, ctx.client, args, ctx.reply, ctx.now_ms);
    Execute(inner, *spec);
    ctx.reply.set_protocol(ctx.client.protocol);
  }
  ctx.client.in_exec = false;
}

void WatchCommand(ExecContext& ctx) {
  if (ctx.client.in_multi) {
    ctx.reply.Error("ERR WATCH inside MULTI is not allowed");
    return;
  }
  storage::KeyRecord record;
  for (size_t i = 1; i < ctx.argc(); ++i) {
    // A key already expired is deleted now, before watching starts, so only an
    // expiry that happens after WATCH can abort EXEC.
    ctx.keyspace().Find(ctx.db(), ctx.arg(i), ctx.now_ms, &record);
    ctx.server.watches.Watch(&ctx.client, ctx.db(), ctx.arg(i));
  }
  ctx.reply.Ok();
}

void UnwatchCommand(ExecContext& ctx) {
  ctx.server.watches.UnwatchAll(&ctx.client);
  ctx.reply.Ok();
}

}  // namespace

void RegisterTransactionCommands(CommandTable* table) {
  constexpr std::string_view kGroup = "transactions";
  table->Add({"multi", 1, kNoScript | kLoading | kStale | kFast | kAllowBusy | kNoQueue, 0, 0, 0,
              MultiCommand, kGroup, "@fast @transaction", "Starts a transaction.", "1.2.0",
              "O(1)"});
  table->Add({"exec", 1, kNoScript | kLoading | kStale | kSkipSlowlog | kNoQueue | kNoTouch, 0, 0,
              0, ExecCommand, kGroup, "@slow @transaction",
              "Executes all commands in a transaction.", "1.2.0",
              "Depends on commands in the transaction"});
  table->Add({"discard", 1, kNoScript | kLoading | kStale | kFast | kAllowBusy | kNoQueue, 0, 0, 0,
              DiscardCommand, kGroup, "@fast @transaction", "Discards a transaction.", "2.0.0",
              "O(N), when N is the number of queued commands"});
  table->Add({"watch", -2,
              kNoScript | kLoading | kStale | kFast | kAllowBusy | kNoQueue | kNoCluster | kNoTouch,
              1, -1, 1, WatchCommand, kGroup, "@fast @transaction",
              "Monitors changes to keys to determine the execution of a transaction.", "2.2.0",
              "O(1) for every key."});
  table->Add({"unwatch", 1, kNoScript | kLoading | kStale | kFast | kAllowBusy, 0, 0, 0,
              UnwatchCommand, kGroup, "@fast @transaction",
              "Forgets about watched keys of a transaction.", "2.2.0", "O(1)"});
}

}  // namespace ringkv::commands

#include "commands/command.h"
#include "commands/util.h"

namespace ringkv::commands {

namespace {

using storage::KeyRecord;

void GetCommand(ExecContext& ctx) {
  KeyRecord record;
  switch (LookupString(ctx, ctx.arg(1), &record)) {
    case LookupResult::kFound:
      ctx.reply.Bulk(record.value);
      break;
    case LookupResult::kMissing:
      ctx.reply.Null();
      break;
    case LookupResult::kWrongType:
      break;
  }
}

void SetCommand(ExecContext& ctx) {
  KeyRecord old;
  const bool existed = ctx.keyspace().Find(ctx.db(), ctx.arg(1), ctx.now_ms, &old).ok();
  KeyRecord record;
  record.type = storage::ValueType::kString;
  record.value.assign(ctx.arg(2));
  ctx.keyspace().Write(ctx.db(), ctx.arg(1), record, existed ? &old : nullptr);
  ctx.reply.Ok();
}

}  // namespace

void RegisterStringCommands(CommandTable* table) {
  constexpr std::string_view kGroup = "string";
  table->Add({"get",
              2,
              kReadOnly | kFast,
              1,
              1,
              1,
              GetCommand,
              kGroup,
              "@read @string @fast",
              "Returns the string value of a key.",
              "1.0.0",
              "O(1)",
              {{"key", "key"}}});
  table->Add({"set",
              -3,
              kWrite | kDenyOom,
              1,
              1,
              1,
              SetCommand,
              kGroup,
              "@write @string @slow",
              "Sets the string value of a key, ignoring its type. The key is created if it "
              "doesn't exist.",
              "1.0.0",
              "O(1)",
              {{"key", "key"}, {"value", "string"}}});
}

}  // namespace ringkv::commands

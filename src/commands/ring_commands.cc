// Extended commands (the RING. namespace, like a module's): the causal truth
// behind the plain Redis view. RING.GET shows a key's causal context and every
// sibling; RING.PUT and RING.DEL write with a context a client read, and so
// supersede exactly the siblings that context covers.
//
// Until the quorum coordinator lands, these act on the local replica.
#include <spdlog/spdlog.h>

#include <string>
#include <vector>

#include "causal/context_token.h"
#include "commands/command.h"
#include "commands/dispatcher.h"
#include "commands/util.h"

namespace ringkv::commands {

namespace {

using storage::KeyRecord;
using storage::ValueType;

constexpr std::string_view kGroup = "ring";
// Riak's sibling limits: warn past 25, refuse a write past 100.
constexpr size_t kSiblingsWarn = 25;
constexpr size_t kSiblingsMax = 100;

// Replies WRONGTYPE and returns false when plain commands see `key` as a hash.
bool CheckNotHash(ExecContext& ctx, std::string_view key) {
  KeyRecord record;
  if (ctx.keyspace().Find(ctx.db(), key, ctx.now_ms, &record).ok() &&
      record.type == ValueType::kHash) {
    ctx.reply.Error(kErrWrongType);
    return false;
  }
  return true;
}

bool ParseContext(ExecContext& ctx, std::string_view token, causal::VersionVector* context) {
  if (causal::DecodeContextToken(token, context).ok()) return true;
  ctx.reply.Error("ERR invalid causal context (pass back the one RING.GET returned)");
  return false;
}

// Appends the siblings of a string key or a field as bulk values, nil for a
// tombstone (or, for a key, an expired version).
void ReplySiblings(ExecContext& ctx, const causal::Object& object, bool key_versions) {
  ctx.reply.ArrayHeader(object.siblings().size());
  for (const causal::Sibling& sibling : object.siblings()) {
    if (sibling.tombstone) {
      ctx.reply.Null();
      continue;
    }
    if (!key_versions) {
      ctx.reply.Bulk(sibling.payload);
      continue;
    }
    KeyRecord version;
    if (!storage::DecodeKeyVersion(sibling.payload, &version).ok() ||
        (version.has_expire() && version.expire_ms <= ctx.now_ms)) {
      ctx.reply.Null();
    } else {
      ctx.reply.Bulk(version.value);
    }
  }
}

// RING.GET key -> [context, [sibling, ...]]
void RingGetCommand(ExecContext& ctx) {
  const std::string_view key = ctx.arg(1);
  if (!CheckNotHash(ctx, key)) return;
  causal::Object object;
  uint64_t field_count;
  Status s = ctx.keyspace().GetKeyObject(ctx.db(), key, &object, &field_count);
  if (!s.ok() && !s.IsNotFound()) {
    ctx.reply.Error("ERR " + s.ToString());
    return;
  }
  ctx.reply.ArrayHeader(2);
  ctx.reply.Bulk(causal::EncodeContextToken(object.context()));
  ReplySiblings(ctx, object, /*key_versions=*/true);
}

// Writes with a client context. `version` null: a delete.
void PutWithContext(ExecContext& ctx, std::string_view key, std::string_view token,
                    const KeyRecord* version) {
  causal::VersionVector context;
  if (!ParseContext(ctx, token, &context)) return;
  if (!CheckNotHash(ctx, key)) return;
  size_t live = 0;
  Status s = ctx.keyspace().PutWithContext(ctx.db(), key, context, version, kSiblingsMax, &live);
  if (s.code() == Status::Code::kBusy) {
    ctx.reply.Error("ERR too many siblings for this key (" + std::to_string(live) + " > " +
                    std::to_string(kSiblingsMax) +
                    "): read them with RING.GET and resolve them with RING.PUT");
    return;
  }
  if (!s.ok()) {
    ctx.reply.Error("ERR " + s.ToString());
    return;
  }
  if (live > kSiblingsWarn) {
    spdlog::warn("key has {} siblings (more than {}): clients should resolve them", live,
                 kSiblingsWarn);
  }
  ctx.reply.Ok();
}

// RING.PUT key context value [EX seconds | PX milliseconds]
void RingPutCommand(ExecContext& ctx) {
  KeyRecord version;
  version.type = ValueType::kString;
  version.value.assign(ctx.arg(3));
  if (ctx.argc() != 4 && ctx.argc() != 6) {
    ctx.reply.Error(kErrSyntax);
    return;
  }
  if (ctx.argc() == 6) {
    const bool seconds = OptionIs(ctx.arg(4), "ex");
    if (!seconds && !OptionIs(ctx.arg(4), "px")) {
      ctx.reply.Error(kErrSyntax);
      return;
    }
    int64_t amount;
    if (!ParseInt64(ctx.arg(5), &amount) || amount <= 0 ||
        amount > (seconds ? INT64_MAX / 1000 : INT64_MAX) - ctx.now_ms / (seconds ? 1000 : 1)) {
      ctx.reply.Error("ERR invalid expire time in 'ring.put' command");
      return;
    }
    version.expire_ms = ctx.now_ms + (seconds ? amount * 1000 : amount);
  }
  PutWithContext(ctx, ctx.arg(1), ctx.arg(2), &version);
}

// RING.DEL key context
void RingDelCommand(ExecContext& ctx) { PutWithContext(ctx, ctx.arg(1), ctx.arg(2), nullptr); }

// RING.HGETALL key -> [[field, context, [value|nil, ...]], ...] for every field
// that has a live sibling.
void RingHgetallCommand(ExecContext& ctx) {
  const std::string_view key = ctx.arg(1);
  KeyRecord record;
  if (ctx.keyspace().Find(ctx.db(), key, ctx.now_ms, &record).ok() &&
      record.type != ValueType::kHash) {
    ctx.reply.Error(kErrWrongType);
    return;
  }
  storage::Keyspace::KeyState state;
  Status s = ctx.keyspace().ExportKey(ctx.db(), key, &state);
  if (!s.ok()) {
    ctx.reply.Error("ERR " + s.ToString());
    return;
  }
  std::vector<std::pair<std::string_view, causal::Object>> fields;
  for (const auto& [field, encoded] : state.fields) {
    causal::Object object;
    if (!causal::Object::Decode(encoded, &object).ok() || object.LiveCount() == 0) continue;
    fields.emplace_back(field, std::move(object));
  }
  ctx.reply.ArrayHeader(fields.size());
  for (const auto& [field, object] : fields) {
    ctx.reply.ArrayHeader(3);
    ctx.reply.Bulk(field);
    ctx.reply.Bulk(causal::EncodeContextToken(object.context()));
    ReplySiblings(ctx, object, /*key_versions=*/false);
  }
}

// RING.LOCAL command [arg ...]: runs a read-only command on this node's replica
// alone, without asking the key's other replicas (to inspect what one replica
// holds, e.g. after a restart, before read repair).
void RingLocalCommand(ExecContext& ctx) {
  std::string error;
  const CommandSpec* spec = Resolve(ctx.args.subspan(1), &error);
  if (spec == nullptr) {
    ctx.reply.Error(error);
    return;
  }
  if (!(spec->flags & kReadOnly) || spec->name == "ring.local") {
    ctx.reply.Error("ERR RING.LOCAL runs read-only commands only");
    return;
  }
  ExecContext inner(ctx.server, ctx.client, ctx.args.subspan(1), ctx.reply, ctx.now_ms);
  spec->handler(inner);
}

// RING.PREFLIST key: the replicas of `key`, primary first (this node alone on
// a one-node ring).
void RingPreflistCommand(ExecContext& ctx) {
  std::vector<std::string> nodes;
  if (ctx.server.router != nullptr) {
    nodes = ctx.server.router->PreferenceList(ctx.arg(1));
  } else {
    nodes.push_back(ctx.server.config->node_id);
  }
  ctx.reply.ArrayHeader(nodes.size());
  for (const std::string& node : nodes) ctx.reply.Bulk(node);
}

}  // namespace

void RegisterRingCommands(CommandTable* table) {
  table->Add({"ring.get", 2, kReadOnly, 1, 1, 1, RingGetCommand, kGroup, "@read @slow",
              "Returns a key's causal context and every sibling version.", "ringkv 0.1",
              "O(S) where S is the number of siblings"});
  table->Add({"ring.put", -4, kWrite | kDenyOom, 1, 1, 1, RingPutCommand, kGroup, "@write @slow",
              "Writes a value with a causal context, superseding the siblings it covers.",
              "ringkv 0.1", "O(S) where S is the number of siblings"});
  table->Add({"ring.del", 3, kWrite, 1, 1, 1, RingDelCommand, kGroup, "@write @slow",
              "Deletes with a causal context, superseding the siblings it covers.", "ringkv 0.1",
              "O(S) where S is the number of siblings"});
  table->Add({"ring.hgetall", 2, kReadOnly, 1, 1, 1, RingHgetallCommand, kGroup, "@read @slow",
              "Returns every field of a hash with its causal context and siblings.", "ringkv 0.1",
              "O(N) where N is the number of fields"});
  table->Add({"ring.local", -2, kReadOnly | kNoRoute, 0, 0, 0, RingLocalCommand, kGroup,
              "@read @slow", "Runs a read-only command on this node's replica only.", "ringkv 0.1",
              "Depends on the command"});
  table->Add({"ring.preflist", 2, kReadOnly | kNoRoute | kFast, 1, 1, 1, RingPreflistCommand,
              kGroup, "@read @fast", "Returns the replicas of a key, primary first.", "ringkv 0.1",
              "O(N) where N is the number of replicas"});
}

}  // namespace ringkv::commands

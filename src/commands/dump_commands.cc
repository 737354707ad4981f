// DUMP and RESTORE, with Redis 7.0's replies and error texts. The payload is
// Redis's own (dump_payload.h), so keys move between ringkv and Redis with
// them, for instance by a migration tool that DUMPs from Redis and RESTOREs
// here.
#include <cstdint>
#include <string>
#include <string_view>

#include "commands/command.h"
#include "commands/dump_payload.h"
#include "commands/object_info.h"
#include "commands/util.h"

namespace ringkv::commands {

namespace {

using storage::KeyRecord;
using storage::ValueType;

constexpr std::string_view kGroup = "generic";

// Redis's dumpCommand: a read (it touches the key), nil for a missing key.
void DumpCommand(ExecContext& ctx) {
  const std::string_view key = ctx.arg(1);
  KeyRecord record;
  if (LookupKey(ctx, key, &record, nullptr) != LookupResult::kFound) {
    ctx.reply.Null();
    return;
  }
  ctx.reply.Bulk(EncodeDumpPayload(LoadDumpValue(ctx, ctx.db(), key, &record),
                                   DumpOptionsOf(*ctx.server.config)));
}

// The RESTORE options after the payload.
struct RestoreOptions {
  bool replace = false;
  bool absttl = false;
  int64_t idle_seconds = -1;  // IDLETIME
  int64_t freq = -1;          // FREQ
};

// Redis's restoreCommand option loop: IDLETIME and FREQ exclude each other
// (the second one is a syntax error), and each needs its value.
bool ParseRestoreOptions(ExecContext& ctx, RestoreOptions* opts) {
  for (size_t j = 4; j < ctx.argc(); ++j) {
    const bool has_value = j + 1 < ctx.argc();
    const std::string_view arg = ctx.arg(j);
    if (OptionIs(arg, "replace")) {
      opts->replace = true;
    } else if (OptionIs(arg, "absttl")) {
      opts->absttl = true;
    } else if (OptionIs(arg, "idletime") && has_value && opts->freq == -1) {
      if (!ParseInt64(ctx.arg(j + 1), &opts->idle_seconds)) {
        ctx.reply.Error(kErrNotInteger);
        return false;
      }
      if (opts->idle_seconds < 0) {
        ctx.reply.Error("ERR Invalid IDLETIME value, must be >= 0");
        return false;
      }
      ++j;
    } else if (OptionIs(arg, "freq") && has_value && opts->idle_seconds == -1) {
      if (!ParseInt64(ctx.arg(j + 1), &opts->freq)) {
        ctx.reply.Error(kErrNotInteger);
        return false;
      }
      if (opts->freq < 0 || opts->freq > 255) {
        ctx.reply.Error("ERR Invalid FREQ value, must be >= 0 and <= 255");
        return false;
      }
      ++j;
    } else {
      ctx.reply.Error(kErrSyntax);
      return false;
    }
  }
  return true;
}

// Redis's objectSetLRUOrLFU: FREQ counts under an LFU policy, IDLETIME under
// any other; the other option is ignored.
void ApplyAccessOptions(ExecContext& ctx, std::string_view key, const RestoreOptions& opts) {
  storage::Keyspace& ks = ctx.keyspace();
  if (ks.access_policy().lfu) {
    if (opts.freq < 0) return;
    const uint32_t stamped = storage::WordFromWrite(ctx.now_ms, /*lfu=*/true);
    ks.SetAccessWord(ctx.db(), key, (stamped & ~0xffu) | static_cast<uint32_t>(opts.freq));
  } else if (opts.idle_seconds >= 0) {
    // The LRU clock ticks once a second; a word before 0 wraps as in Redis.
    int64_t word = static_cast<int64_t>(storage::LruClock(ctx.now_ms)) - opts.idle_seconds;
    if (word < 0) word += storage::kLruClockMax;
    if (word < 0) word = 0;  // idle longer than the clock's whole period
    ks.SetAccessWord(ctx.db(), key, static_cast<uint32_t>(word));
  }
}

// RESTORE key ttl serialized-value [REPLACE] [ABSTTL] [IDLETIME seconds]
// [FREQ frequency], checked in Redis's order: options, existing key, TTL,
// payload footer, payload object.
void RestoreCommand(ExecContext& ctx) {
  RestoreOptions opts;
  if (!ParseRestoreOptions(ctx, &opts)) return;
  const std::string_view key = ctx.arg(1);
  storage::Keyspace& ks = ctx.keyspace();
  KeyRecord existing;
  const bool exists = ks.Find(ctx.db(), key, ctx.now_ms, &existing).ok();
  if (exists && !opts.replace) {
    ctx.reply.Error("BUSYKEY Target key name already exists.");
    return;
  }
  int64_t ttl;
  if (!ParseInt64(ctx.arg(2), &ttl)) {
    ctx.reply.Error(kErrNotInteger);
    return;
  }
  if (ttl < 0) {
    ctx.reply.Error("ERR Invalid TTL value, must be >= 0");
    return;
  }
  DumpValue value;
  std::string type_name;
  switch (DecodeDumpPayload(ctx.arg(3), &value, &type_name)) {
    case DumpError::kNone:
      break;
    case DumpError::kVersionOrChecksum:
      ctx.reply.Error("ERR DUMP payload version or checksum are wrong");
      return;
    case DumpError::kBadFormat:
      ctx.reply.Error("ERR Bad data format");
      return;
    case DumpError::kUnsupportedType:
      ctx.reply.Error("ERR the DUMP payload holds a " + type_name +
                      ", which ringkv cannot store yet (it has strings and hashes)");
      return;
  }

  // A relative TTL is from now. One already past (or overflowing, which
  // Redis's arithmetic turns negative) leaves no key, and still answers OK.
  int64_t expire_ms = ttl;
  if (ttl != 0 && !opts.absttl && __builtin_add_overflow(ttl, ctx.now_ms, &expire_ms)) {
    expire_ms = -1;
  }
  if (ttl != 0 && expire_ms <= ctx.now_ms) {
    if (exists) ks.Remove(ctx.db(), key, existing);
    ctx.reply.Ok();
    return;
  }

  // A hash being replaced goes first: Write() alone would keep its fields.
  const KeyRecord* old = exists ? &existing : nullptr;
  if (exists && existing.type == ValueType::kHash) {
    ks.Remove(ctx.db(), key, existing);
    old = nullptr;
  }
  KeyRecord record;
  record.type = value.type;
  record.expire_ms = expire_ms;
  if (value.type == ValueType::kString) {
    record.value = std::move(value.string);
    ks.Write(ctx.db(), key, record, old);
  } else {
    record.field_count = value.fields.size();
    ks.Write(ctx.db(), key, record, old);
    for (const auto& [field, val] : value.fields) ks.PutField(ctx.db(), key, field, val);
  }
  ApplyAccessOptions(ctx, key, opts);
  ctx.reply.Ok();
}

}  // namespace

DumpOptions DumpOptionsOf(const server::Config& config) {
  DumpOptions options;
  auto it = config.passthrough.find("rdbcompression");
  options.compress = it == config.passthrough.end() || !EqualsIgnoreCase(it->second, "no");
  const ListpackLimits limits = HashListpackLimits(config);
  options.listpack_max_entries = limits.max_entries;
  options.listpack_max_value = limits.max_value;
  return options;
}

DumpValue LoadDumpValue(ExecContext& ctx, int db, std::string_view key, KeyRecord* record) {
  DumpValue value;
  value.type = record->type;
  if (record->type == ValueType::kString) {
    value.string = std::move(record->value);
    return value;
  }
  value.fields.reserve(record->field_count);
  ctx.keyspace().ForEachFieldInInsertionOrder(
      db, key, [&](uint64_t, std::string_view field, std::string_view val) {
        value.fields.emplace_back(field, val);
        return true;
      });
  return value;
}

void RegisterDumpCommands(CommandTable* table) {
  table->Add({"dump", 2, kReadOnly, 1, 1, 1, DumpCommand, kGroup, "@keyspace @read @slow",
              "Return a serialized version of the value stored at the specified key.", "2.6.0",
              "O(1) to access the key and additional O(N*M) to serialize it, where N is the "
              "number of Redis objects composing the value and M their average size. For small "
              "string values the time complexity is thus O(1)+O(1*M) where M is small, so "
              "simply O(1)."});
  table->Add({"restore", -4, kWrite | kDenyOom, 1, 1, 1, RestoreCommand, kGroup,
              "@keyspace @write @slow @dangerous",
              "Create a key using the provided serialized value, previously obtained using DUMP.",
              "2.6.0",
              "O(1) to create the new key and additional O(N*M) to reconstruct the serialized "
              "value, where N is the number of Redis objects composing the value and M their "
              "average size. For small string values the time complexity is thus O(1)+O(1*M) "
              "where M is small, so simply O(1). However for sorted set values the complexity is "
              "O(N*M*log(N)) because inserting values into sorted sets is O(log(N))."});
}

}  // namespace ringkv::commands

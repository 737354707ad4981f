// DUMP and RESTORE, with Redis 7.0's replies and error texts. The payload is
// Redis's own (dump_payload.h), so keys move between ringkv and Redis with
// them, for instance by a migration tool that DUMPs from Redis and RESTOREs
// here.
#include <algorithm>
#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

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

// The RESP encoding of one command.
void AppendCommand(std::initializer_list<std::string_view> args, std::string* out) {
  *out += '*';
  *out += std::to_string(args.size());
  *out += "\r\n";
  for (std::string_view arg : args) {
    *out += '$';
    *out += std::to_string(arg.size());
    *out += "\r\n";
    out->append(arg);
    *out += "\r\n";
  }
}

// MIGRATE host port key|"" destination-db timeout [COPY] [REPLACE]
// [AUTH password | AUTH2 username password] [KEYS key ...], as Redis 7.0's
// migrateCommand: one request (AUTH, SELECT if the cached connection is on
// another db, a RESTORE per key with its remaining TTL and DUMP payload),
// then a reply line each; acknowledged keys are deleted unless COPY. A
// socket error before any reply is retried once on a new connection (the
// cached one may have been closed by the target), unless it was a timeout.
void MigrateCommand(ExecContext& ctx) {
  bool copy = false, replace = false;
  std::string_view username, password;
  bool has_password = false;
  size_t first_key = 3;
  size_t num_keys = 1;
  for (size_t j = 6; j < ctx.argc(); ++j) {
    const size_t more = ctx.argc() - 1 - j;
    const std::string_view arg = ctx.arg(j);
    if (OptionIs(arg, "copy")) {
      copy = true;
    } else if (OptionIs(arg, "replace")) {
      replace = true;
    } else if (OptionIs(arg, "auth")) {
      if (more == 0) return ctx.reply.Error(kErrSyntax);
      password = ctx.arg(++j);
      has_password = true;
    } else if (OptionIs(arg, "auth2")) {
      if (more < 2) return ctx.reply.Error(kErrSyntax);
      username = ctx.arg(++j);
      password = ctx.arg(++j);
      has_password = true;
    } else if (OptionIs(arg, "keys")) {
      if (!ctx.arg(3).empty()) {
        return ctx.reply.Error(
            "ERR When using MIGRATE KEYS option, the key argument must be set to the empty "
            "string");
      }
      first_key = j + 1;
      num_keys = ctx.argc() - j - 1;
      break;
    } else {
      return ctx.reply.Error(kErrSyntax);
    }
  }
  int64_t timeout, db;
  if (!ParseInt64(ctx.arg(5), &timeout) || !ParseInt64(ctx.arg(4), &db)) {
    return ctx.reply.Error(kErrNotInteger);
  }
  if (timeout <= 0) timeout = 1000;

  // The keys that exist now; none is not an error (they may have expired).
  std::vector<std::pair<std::string_view, KeyRecord>> found;
  for (size_t j = 0; j < num_keys; ++j) {
    KeyRecord record;
    if (LookupKey(ctx, ctx.arg(first_key + j), &record, nullptr) == LookupResult::kFound) {
      found.emplace_back(ctx.arg(first_key + j), std::move(record));
    }
  }
  if (found.empty()) return ctx.reply.SimpleString("NOKEY");
  MigrateLinks* links = ctx.server.migrate;
  const std::string_view host = ctx.arg(1), port = ctx.arg(2);
  const DumpOptions options = DumpOptionsOf(*ctx.server.config);

  bool may_retry = true;
  while (true) {
    int64_t last_db;
    if (links == nullptr || !links->Connect(host, port, timeout, &last_db)) {
      return ctx.reply.Error("IOERR error or timeout connecting to the client");
    }
    std::string request;
    if (has_password) {
      if (username.empty()) {
        AppendCommand({"AUTH", password}, &request);
      } else {
        AppendCommand({"AUTH", username, password}, &request);
      }
    }
    const bool select = last_db != db;
    const std::string db_text = std::to_string(db);
    if (select) AppendCommand({"SELECT", db_text}, &request);
    std::vector<std::string_view> sent;
    for (auto& [key, record] : found) {
      int64_t ttl = 0;
      if (record.has_expire()) {
        ttl = record.expire_ms - ctx.now_ms;
        if (ttl < 0) continue;
        ttl = std::max<int64_t>(ttl, 1);
      }
      KeyRecord copy_of_record = record;
      const std::string payload =
          EncodeDumpPayload(LoadDumpValue(ctx, ctx.db(), key, &copy_of_record), options);
      const std::string ttl_text = std::to_string(ttl);
      if (replace) {
        AppendCommand({"RESTORE", key, ttl_text, payload, "REPLACE"}, &request);
      } else {
        AppendCommand({"RESTORE", key, ttl_text, payload}, &request);
      }
      sent.push_back(key);
    }

    bool timed_out = false;
    bool write_error = false;
    bool socket_error = false;
    std::string auth_line, select_line, line, target_error;
    size_t replies = 0;
    if (!links->Write(host, port, request, timeout, &timed_out)) {
      write_error = true;
      socket_error = true;
    } else if ((has_password && !links->ReadLine(host, port, timeout, &auth_line, &timed_out)) ||
               (select && !links->ReadLine(host, port, timeout, &select_line, &timed_out))) {
      socket_error = true;
    } else {
      for (std::string_view key : sent) {
        if (!links->ReadLine(host, port, timeout, &line, &timed_out)) {
          socket_error = true;
          break;
        }
        ++replies;
        const std::string* error = nullptr;
        if (has_password && auth_line.starts_with('-')) {
          error = &auth_line;
        } else if (select && select_line.starts_with('-')) {
          error = &select_line;
        } else if (line.starts_with('-')) {
          error = &line;
        }
        if (error != nullptr) {
          if (target_error.empty()) {
            links->SetLastDb(host, port, -1);
            target_error = "ERR Target instance replied with error: " + error->substr(1);
          }
        } else if (!copy) {
          KeyRecord live;
          if (ctx.keyspace().Find(ctx.db(), key, ctx.now_ms, &live).ok()) {
            ctx.keyspace().Remove(ctx.db(), key, live);
          }
        }
      }
    }
    if (!target_error.empty()) {
      if (socket_error) links->Close(host, port);
      return ctx.reply.Error(target_error);
    }
    if (!socket_error) {
      links->SetLastDb(host, port, db);
      return ctx.reply.Ok();
    }
    // Retried only when nothing was acknowledged and it was not a timeout.
    links->Close(host, port);
    if (replies == 0 && may_retry && !timed_out) {
      may_retry = false;
      continue;
    }
    return ctx.reply.Error(std::string("IOERR error or timeout ") +
                           (write_error ? "writing" : "reading") + " to target instance");
  }
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
  table->Add({"migrate", -6, kWrite | kNoCluster, 3, 3, 1, MigrateCommand, kGroup,
              "@keyspace @write @slow @dangerous",
              "Atomically transfer a key from a Redis instance to another one.", "2.6.0",
              "This command actually executes a DUMP+DEL in the source instance, and a RESTORE in "
              "the target instance. See the pages of these commands for time complexity. Also an "
              "O(N) data transfer between the two instances is performed."});
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

// Generic keyspace commands: DEL UNLINK EXISTS TYPE, the EXPIRE/TTL family,
// PERSIST KEYS SCAN RENAME RENAMENX RANDOMKEY TOUCH COPY MOVE and OBJECT, with
// Redis 7.0's replies and error texts. DUMP and RESTORE are in dump_commands.cc.
#include <algorithm>
#include <bitset>
#include <cctype>
#include <cerrno>
#include <climits>
#include <cstdint>
#include <cstdlib>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "commands/command.h"
#include "commands/object_info.h"
#include "commands/util.h"

namespace ringkv::commands {

namespace {

using storage::KeyRecord;
using storage::ValueType;

constexpr std::string_view kErrSameObject = "ERR source and destination objects are the same";

// Redis's shared integer objects (OBJ_SHARED_INTEGERS) have this refcount.
constexpr int64_t kSharedRefcount = INT_MAX;
constexpr int64_t kSharedIntegers = 10000;
// OBJ_ENCODING_EMBSTR_SIZE_LIMIT.
constexpr size_t kEmbstrSizeLimit = 44;

// A write-path lookup (Redis's lookupKeyWrite): expires lazily, counts no
// keyspace hits or misses.
bool FindLive(ExecContext& ctx, int db, std::string_view key, KeyRecord* record) {
  return ctx.keyspace().Find(db, key, ctx.now_ms, record).ok();
}

// A read-path lookup (lookupKeyRead): counts hits and misses, never WRONGTYPE.
bool FindForRead(ExecContext& ctx, std::string_view key, KeyRecord* record) {
  return LookupKey(ctx, key, record, nullptr) == LookupResult::kFound;
}

// Redis's getIntFromObjectOrReply (used for DB indexes): a non-integer and an
// integer outside int's range get different errors.
bool ParseInt32(ExecContext& ctx, std::string_view arg, int* value) {
  int64_t v;
  if (!ParseInt64(arg, &v)) {
    ctx.reply.Error(kErrNotInteger);
    return false;
  }
  if (v < INT_MIN || v > INT_MAX) {
    ctx.reply.Error("ERR value is out of range, value must between -2147483648 and 2147483647");
    return false;
  }
  *value = static_cast<int>(v);
  return true;
}

bool ParseDbIndex(ExecContext& ctx, std::string_view arg, int* db) {
  if (!ParseInt32(ctx, arg, db)) return false;
  if (*db < 0 || *db >= ctx.keyspace().num_databases()) {
    ctx.reply.Error(kErrDbIndex);
    return false;
  }
  return true;
}

// Creates `key` in `db` holding `record` (a copy or a moved value). An existing
// hash destination is removed first: Write() alone would keep its old fields.
// The destination keeps its own causal context (the keyspace updates the
// destination's object): the write supersedes what the replica saw of *that*
// key, not of the source.
void PlaceRecord(ExecContext& ctx, int db, std::string_view key, KeyRecord* record,
                 const KeyRecord* existing) {
  storage::Keyspace& ks = ctx.keyspace();
  if (existing != nullptr && existing->type == ValueType::kHash) {
    ks.Remove(db, key, *existing);
    existing = nullptr;
  }
  ks.Write(db, key, *record, existing);
}

void CopyFields(ExecContext& ctx, int src_db, std::string_view src_key, int dst_db,
                std::string_view dst_key) {
  storage::Keyspace& ks = ctx.keyspace();
  ks.ForEachFieldInInsertionOrder(src_db, src_key,
                                  [&](uint64_t, std::string_view field, std::string_view value) {
                                    ks.PutField(dst_db, dst_key, field, value);
                                    return true;
                                  });
}

void DelCommand(ExecContext& ctx) {
  int64_t removed = 0;
  KeyRecord record;
  for (size_t i = 1; i < ctx.argc(); ++i) {
    if (!FindLive(ctx, ctx.db(), ctx.arg(i), &record)) continue;
    ctx.keyspace().Remove(ctx.db(), ctx.arg(i), record);
    ++removed;
  }
  ctx.reply.Integer(removed);
}

void ExistsCommand(ExecContext& ctx) {
  // Redis counts a key once per time it is named.
  int64_t count = 0;
  KeyRecord record;
  for (size_t i = 1; i < ctx.argc(); ++i) {
    if (FindForRead(ctx, ctx.arg(i), &record)) ++count;
  }
  ctx.reply.Integer(count);
}

void TypeCommand(ExecContext& ctx) {
  KeyRecord record;
  ctx.reply.SimpleString(FindForRead(ctx, ctx.arg(1), &record) ? ValueTypeName(record.type)
                                                               : "none");
}

enum ExpireFlag : int { kNx = 1, kXx = 2, kGt = 4, kLt = 8 };

// Redis's parseExtendedExpireArgumentsOrReply.
bool ParseExpireFlags(ExecContext& ctx, int* flags) {
  for (size_t i = 3; i < ctx.argc(); ++i) {
    const std::string_view opt = ctx.arg(i);
    if (EqualsIgnoreCase(opt, "nx")) {
      *flags |= kNx;
    } else if (EqualsIgnoreCase(opt, "xx")) {
      *flags |= kXx;
    } else if (EqualsIgnoreCase(opt, "gt")) {
      *flags |= kGt;
    } else if (EqualsIgnoreCase(opt, "lt")) {
      *flags |= kLt;
    } else {
      std::string msg = "ERR Unsupported option ";
      msg.append(opt);
      ctx.reply.Error(msg);
      return false;
    }
  }
  if ((*flags & kNx) && (*flags & (kXx | kGt | kLt))) {
    ctx.reply.Error("ERR NX and XX, GT or LT options at the same time are not compatible");
    return false;
  }
  if ((*flags & kGt) && (*flags & kLt)) {
    ctx.reply.Error("ERR GT and LT options at the same time are not compatible");
    return false;
  }
  return true;
}

// Redis's expireGenericCommand. `basetime` is now for relative forms and 0 for
// the absolute ones; `seconds` selects the unit of the argument. `name` goes
// into the error text, which names the command as registered (lower case).
void ExpireGeneric(ExecContext& ctx, std::string_view name, int64_t basetime, bool seconds) {
  int flags = 0;
  if (!ParseExpireFlags(ctx, &flags)) return;
  int64_t when;
  if (!ParseInt64(ctx.arg(2), &when)) {
    ctx.reply.Error(kErrNotInteger);
    return;
  }
  auto reply_invalid = [&ctx, name] {
    std::string msg = "ERR invalid expire time in '";
    msg.append(name);
    msg.append("' command");
    ctx.reply.Error(msg);
  };
  if (seconds) {
    if (when > INT64_MAX / 1000 || when < INT64_MIN / 1000) {
      reply_invalid();
      return;
    }
    when *= 1000;
  }
  if (when > INT64_MAX - basetime) {
    reply_invalid();
    return;
  }
  when += basetime;

  KeyRecord record;
  if (!FindLive(ctx, ctx.db(), ctx.arg(1), &record)) {
    ctx.reply.Integer(0);
    return;
  }
  // -1 stands for "no expiry", i.e. an infinite TTL, exactly as in Redis.
  const int64_t current = record.has_expire() ? record.expire_ms : -1;
  if (((flags & kNx) && current != -1) || ((flags & kXx) && current == -1) ||
      ((flags & kGt) && (when <= current || current == -1)) ||
      ((flags & kLt) && current != -1 && when >= current)) {
    ctx.reply.Integer(0);
    return;
  }
  if (when <= ctx.now_ms) {
    ctx.keyspace().Remove(ctx.db(), ctx.arg(1), record);
  } else {
    const KeyRecord old = MetaOf(record);
    record.expire_ms = when;
    ctx.keyspace().Write(ctx.db(), ctx.arg(1), record, &old);
  }
  ctx.reply.Integer(1);
}

void ExpireCommand(ExecContext& ctx) { ExpireGeneric(ctx, "expire", ctx.now_ms, true); }
void PexpireCommand(ExecContext& ctx) { ExpireGeneric(ctx, "pexpire", ctx.now_ms, false); }
void ExpireatCommand(ExecContext& ctx) { ExpireGeneric(ctx, "expireat", 0, true); }
void PexpireatCommand(ExecContext& ctx) { ExpireGeneric(ctx, "pexpireat", 0, false); }

// Redis's ttlGenericCommand.
void TtlGeneric(ExecContext& ctx, bool output_ms, bool output_abs) {
  KeyRecord record;
  if (!FindForRead(ctx, ctx.arg(1), &record)) {
    ctx.reply.Integer(-2);
    return;
  }
  if (!record.has_expire()) {
    ctx.reply.Integer(-1);
    return;
  }
  int64_t ttl = output_abs ? record.expire_ms : record.expire_ms - ctx.now_ms;
  if (ttl < 0) ttl = 0;
  ctx.reply.Integer(output_ms ? ttl : (ttl + 500) / 1000);
}

void TtlCommand(ExecContext& ctx) { TtlGeneric(ctx, false, false); }
void PttlCommand(ExecContext& ctx) { TtlGeneric(ctx, true, false); }
void ExpiretimeCommand(ExecContext& ctx) { TtlGeneric(ctx, false, true); }
void PexpiretimeCommand(ExecContext& ctx) { TtlGeneric(ctx, true, true); }

void PersistCommand(ExecContext& ctx) {
  KeyRecord record;
  if (!FindLive(ctx, ctx.db(), ctx.arg(1), &record) || !record.has_expire()) {
    ctx.reply.Integer(0);
    return;
  }
  const KeyRecord old = MetaOf(record);
  record.expire_ms = 0;
  ctx.keyspace().Write(ctx.db(), ctx.arg(1), record, &old);
  ctx.reply.Integer(1);
}

void KeysCommand(ExecContext& ctx) {
  const std::string pattern = SimplifyGlob(ctx.arg(1));
  // Redis skips matching for exactly "*" (which then also lists the empty key).
  const bool all = ctx.arg(1) == "*";
  // The reply needs its length up front, so matches are collected first.
  std::vector<std::string> keys;
  ctx.keyspace().ForEachKey(ctx.db(), 0, ctx.now_ms,
                            [&](uint64_t, std::string_view key, const KeyRecord&) {
                              if (all || GlobMatch(pattern, key)) keys.emplace_back(key);
                              return true;
                            });
  ctx.reply.ArrayHeader(keys.size());
  for (const auto& key : keys) ctx.reply.Bulk(key);
}

// SCAN cursor MATCH pattern COUNT n TYPE t. The cursor is the key hash to resume
// from (see storage/record.h), so it stays valid across writes, and a full
// iteration returns every key present throughout it exactly once. COUNT bounds
// the keys examined (before MATCH/TYPE filtering), as Redis's count bounds the
// buckets visited; a page never ends between two keys sharing one hash, or the
// cursor could not resume between them.
void ScanCommand(ExecContext& ctx) {
  uint64_t cursor;
  if (!ParseCursor(ctx, ctx.arg(1), &cursor)) return;
  int64_t count = 10;
  std::string_view pattern;
  std::string simplified;
  bool use_pattern = false;
  std::string_view type_name;
  bool use_type = false;
  for (size_t i = 2; i < ctx.argc(); i += 2) {
    const std::string_view opt = ctx.arg(i);
    const bool has_value = i + 1 < ctx.argc();
    if (EqualsIgnoreCase(opt, "count") && has_value) {
      if (!ParseInt64(ctx.arg(i + 1), &count)) {
        ctx.reply.Error(kErrNotInteger);
        return;
      }
      if (count < 1) {
        ctx.reply.Error(kErrSyntax);
        return;
      }
    } else if (EqualsIgnoreCase(opt, "match") && has_value) {
      pattern = ctx.arg(i + 1);
      use_pattern = pattern != "*";
      if (use_pattern) simplified = SimplifyGlob(pattern);
    } else if (EqualsIgnoreCase(opt, "type") && has_value) {
      // Redis 7.0 accepts any type name; an unknown one simply matches nothing.
      type_name = ctx.arg(i + 1);
      use_type = true;
    } else {
      ctx.reply.Error(kErrSyntax);
      return;
    }
  }

  std::vector<std::string> keys;
  uint64_t next = 0;
  int64_t examined = 0;
  uint64_t last_hash = 0;
  ctx.keyspace().ForEachKey(
      ctx.db(), cursor, ctx.now_ms,
      [&](uint64_t hash, std::string_view key, const KeyRecord& record) {
        if (examined >= count && hash != last_hash) {
          next = hash;
          return false;
        }
        ++examined;
        last_hash = hash;
        if (use_pattern && !GlobMatch(simplified, key)) return true;
        if (use_type && !EqualsIgnoreCase(type_name, ValueTypeName(record.type))) return true;
        keys.emplace_back(key);
        return true;
      });
  ctx.reply.ArrayHeader(2);
  ctx.reply.Bulk(std::to_string(next));
  ctx.reply.ArrayHeader(keys.size());
  for (const auto& key : keys) ctx.reply.Bulk(key);
}

// RENAME and MOVE move Redis's object itself, access word included. Under
// LRU the word is the move's own time anyway (the lookup touched the key,
// the write stamps it), so only an LFU counter needs carrying.
void KeepAccessWord(ExecContext& ctx, int db, std::string_view key, uint32_t word) {
  if (ctx.keyspace().access_policy().lfu) ctx.keyspace().SetAccessWord(db, key, word);
}

// Redis's renameGenericCommand. A hash's fields are keyed by the key name, so
// renaming a hash copies every field under the new name and removes the old key.
void RenameGeneric(ExecContext& ctx, bool nx) {
  const std::string_view src = ctx.arg(1);
  const std::string_view dst = ctx.arg(2);
  KeyRecord record;
  if (!FindLive(ctx, ctx.db(), src, &record)) {
    ctx.reply.Error(kErrNoSuchKey);
    return;
  }
  if (src == dst) {
    if (nx) {
      ctx.reply.Integer(0);
    } else {
      ctx.reply.Ok();
    }
    return;
  }
  KeyRecord existing;
  const bool dst_exists = FindLive(ctx, ctx.db(), dst, &existing);
  if (dst_exists && nx) {
    ctx.reply.Integer(0);
    return;
  }
  const KeyRecord src_meta = MetaOf(record);
  const uint32_t access = ctx.keyspace().AccessWord(ctx.db(), src, record);
  PlaceRecord(ctx, ctx.db(), dst, &record, dst_exists ? &existing : nullptr);
  if (src_meta.type == ValueType::kHash) CopyFields(ctx, ctx.db(), src, ctx.db(), dst);
  ctx.keyspace().Remove(ctx.db(), src, src_meta);
  KeepAccessWord(ctx, ctx.db(), dst, access);
  if (nx) {
    ctx.reply.Integer(1);
  } else {
    ctx.reply.Ok();
  }
}

void RenameCommand(ExecContext& ctx) { RenameGeneric(ctx, false); }
void RenamenxCommand(ExecContext& ctx) { RenameGeneric(ctx, true); }

// Picks a random point on the key-hash ring and answers the first live key at
// or after it, wrapping around. Keys after wide gaps are a little likelier, but
// with xxh3 hashes the gaps are close to even, which is "uniform enough".
void RandomkeyCommand(ExecContext& ctx) {
  static std::mt19937_64 rng{std::random_device{}()};
  std::string found;
  bool have = false;
  auto take_first = [&](uint64_t, std::string_view key, const KeyRecord&) {
    found.assign(key);
    have = true;
    return false;
  };
  ctx.keyspace().ForEachKey(ctx.db(), rng(), ctx.now_ms, take_first);
  if (!have) ctx.keyspace().ForEachKey(ctx.db(), 0, ctx.now_ms, take_first);
  if (have) {
    ctx.reply.Bulk(found);
  } else {
    ctx.reply.Null();
  }
}

void TouchCommand(ExecContext& ctx) {
  int64_t touched = 0;
  KeyRecord record;
  for (size_t i = 1; i < ctx.argc(); ++i) {
    if (FindForRead(ctx, ctx.arg(i), &record)) ++touched;
  }
  ctx.reply.Integer(touched);
}

// Redis's copyCommand: COPY source destination [DB destination-db] [REPLACE].
void CopyCommand(ExecContext& ctx) {
  bool replace = false;
  int dst_db = ctx.db();
  for (size_t i = 3; i < ctx.argc(); ++i) {
    if (EqualsIgnoreCase(ctx.arg(i), "replace")) {
      replace = true;
    } else if (EqualsIgnoreCase(ctx.arg(i), "db") && i + 1 < ctx.argc()) {
      if (!ParseDbIndex(ctx, ctx.arg(i + 1), &dst_db)) return;
      ++i;
    } else {
      ctx.reply.Error(kErrSyntax);
      return;
    }
  }
  const std::string_view src = ctx.arg(1);
  const std::string_view dst = ctx.arg(2);
  if (dst_db == ctx.db() && src == dst) {
    ctx.reply.Error(kErrSameObject);
    return;
  }
  KeyRecord record;
  if (!FindForRead(ctx, src, &record)) {
    ctx.reply.Integer(0);
    return;
  }
  KeyRecord existing;
  const bool dst_exists = FindLive(ctx, dst_db, dst, &existing);
  if (dst_exists && !replace) {
    ctx.reply.Integer(0);
    return;
  }
  const bool is_hash = record.type == ValueType::kHash;
  PlaceRecord(ctx, dst_db, dst, &record, dst_exists ? &existing : nullptr);
  if (is_hash) CopyFields(ctx, ctx.db(), src, dst_db, dst);
  // The copy is a new object (Redis's dupStringObject and friends): a new
  // LFU counter even where it replaced a key.
  ctx.keyspace().ForgetAccess(dst_db, dst);
  ctx.reply.Integer(1);
}

// Redis's moveCommand: the key keeps its name and expiry in the other database.
void MoveCommand(ExecContext& ctx) {
  int dst_db;
  if (!ParseInt32(ctx, ctx.arg(2), &dst_db)) return;
  if (dst_db < 0 || dst_db >= ctx.keyspace().num_databases()) {
    ctx.reply.Error(kErrDbIndex);
    return;
  }
  if (dst_db == ctx.db()) {
    ctx.reply.Error(kErrSameObject);
    return;
  }
  const std::string_view key = ctx.arg(1);
  KeyRecord record;
  if (!FindLive(ctx, ctx.db(), key, &record)) {
    ctx.reply.Integer(0);
    return;
  }
  KeyRecord existing;
  if (FindLive(ctx, dst_db, key, &existing)) {
    ctx.reply.Integer(0);
    return;
  }
  const KeyRecord src_meta = MetaOf(record);
  const uint32_t access = ctx.keyspace().AccessWord(ctx.db(), key, record);
  PlaceRecord(ctx, dst_db, key, &record, nullptr);
  if (src_meta.type == ValueType::kHash) CopyFields(ctx, ctx.db(), key, dst_db, key);
  ctx.keyspace().Remove(ctx.db(), key, src_meta);
  KeepAccessWord(ctx, dst_db, key, access);
  ctx.reply.Integer(1);
}

// The container row; the dispatcher resolves subcommands before any handler
// runs, so this only answers if a subcommand row is ever missing.
void ObjectCommand(ExecContext& ctx) {
  std::string msg = "ERR unknown subcommand '";
  msg.append(ctx.arg(1).substr(0, 128));
  msg.append("'. Try OBJECT HELP.");
  ctx.reply.Error(msg);
}

void ObjectHelpCommand(ExecContext& ctx) {
  static constexpr std::string_view kLines[] = {
      "ENCODING <key>",
      "    Return the kind of internal representation used in order to store the value",
      "    associated with a <key>.",
      "FREQ <key>",
      "    Return the access frequency index of the <key>. The returned integer is",
      "    proportional to the logarithm of the recent access frequency of the key.",
      "IDLETIME <key>",
      "    Return the idle time of the <key>, that is the approximated number of",
      "    seconds elapsed since the last access to the key.",
      "REFCOUNT <key>",
      "    Return the number of references of the value associated with the specified",
      "    <key>.",
  };
  ReplySubcommandHelp(ctx, kLines);
}

// A string SET by a client is an integer object in Redis when string2l accepts
// it (which ParseInt64 mirrors, at most 20 chars), and 0..9999 are the shared
// integers. A string Redis modified in place or stored as text is never one.
bool SharedInteger(const KeyRecord& record, bool* is_int) {
  int64_t v;
  *is_int = record.type == ValueType::kString &&
            record.encoding == storage::StringEncoding::kAuto && ParseInt64(record.value, &v);
  return *is_int && v >= 0 && v < kSharedIntegers;
}

// Redis's objectCommandLookupOrReply: a null reply for a missing key.
bool ObjectLookup(ExecContext& ctx, KeyRecord* record) {
  if (FindForRead(ctx, ctx.arg(2), record)) return true;
  ctx.reply.Null();
  return false;
}

void ObjectEncodingCommand(ExecContext& ctx) {
  KeyRecord record;
  if (!ObjectLookup(ctx, &record)) return;
  ctx.reply.Bulk(ObjectEncodingOf(ctx, ctx.db(), ctx.arg(2), record));
}

void ObjectRefcountCommand(ExecContext& ctx) {
  KeyRecord record;
  if (!ObjectLookup(ctx, &record)) return;
  ctx.reply.Integer(ObjectRefcountOf(record));
}

// Seconds since the key was last accessed (storage/access_table.h), on the
// LRU clock as Redis counts them; refused under an LFU maxmemory-policy,
// which keeps a frequency in the access word instead.
void ObjectIdletimeCommand(ExecContext& ctx) {
  KeyRecord record;
  if (!ObjectLookup(ctx, &record)) return;
  if (ctx.keyspace().access_policy().lfu) {
    ctx.reply.Error(
        "ERR An LFU maxmemory policy is selected, idle time not tracked. Please note that when "
        "switching between policies at runtime LRU and LFU data will take some time to adjust.");
    return;
  }
  const uint32_t word = ctx.keyspace().AccessWord(ctx.db(), ctx.arg(2), record);
  ctx.reply.Integer(static_cast<int64_t>(storage::LruIdleMs(word, ctx.now_ms) / 1000));
}

// The logarithmic access counter, decayed by lfu-decay-time, under an LFU
// maxmemory-policy (which ringkv counts by but does not evict by).
void ObjectFreqCommand(ExecContext& ctx) {
  KeyRecord record;
  if (!ObjectLookup(ctx, &record)) return;
  const storage::AccessPolicy& policy = ctx.keyspace().access_policy();
  if (policy.lfu) {
    const uint32_t word = ctx.keyspace().AccessWord(ctx.db(), ctx.arg(2), record);
    ctx.reply.Integer(storage::LfuDecayedCounter(word, ctx.now_ms, policy.lfu_decay_minutes));
    return;
  }
  ctx.reply.Error(
      "ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please note "
      "that when switching between policies at runtime LRU and LFU data will take some time to "
      "adjust.");
}

}  // namespace

// What Redis would report. A string keeps the hint of how its value was last
// written (storage::StringEncoding: APPEND and SETRANGE make "raw"). A hash is
// reported as Redis would encode it as it is now; Redis also keeps a hash in
// hashtable form after it shrinks, which ringkv does not track.
std::string_view ObjectEncodingOf(ExecContext& ctx, int db, std::string_view key,
                                  const KeyRecord& record) {
  if (record.type == ValueType::kString) {
    if (record.encoding == storage::StringEncoding::kRaw) return "raw";
    bool is_int;
    SharedInteger(record, &is_int);
    if (is_int) return "int";
    return record.value.size() <= kEmbstrSizeLimit ? "embstr" : "raw";
  }
  const ListpackLimits limits = HashListpackLimits(*ctx.server.config);
  if (record.field_count > limits.max_entries) return "hashtable";
  // A listpack-sized hash is small enough to check every field and value length.
  const uint64_t max_len = limits.max_value;
  bool small = true;
  ctx.keyspace().ForEachField(db, key, 0,
                              [&](uint64_t, std::string_view field, std::string_view value) {
                                small = field.size() <= max_len && value.size() <= max_len;
                                return small;
                              });
  return small ? "listpack" : "hashtable";
}

int64_t ObjectRefcountOf(const KeyRecord& record) {
  bool is_int;
  return SharedInteger(record, &is_int) ? kSharedRefcount : 1;
}

void RegisterKeyCommands(CommandTable* table) {
  constexpr std::string_view kGroup = "generic";
  table->Add({"del", -2, kWrite, 1, -1, 1, DelCommand, kGroup, "@keyspace @write @slow",
              "Delete a key", "1.0.0",
              "O(N) where N is the number of keys that will be removed. When a key to remove "
              "holds a value other than a string, the individual complexity for this key is O(M) "
              "where M is the number of elements in the list, set, sorted set or hash. Removing "
              "a single key that holds a string value is O(1)."});
  // UNLINK is DEL: removing a hash's fields is staged LevelDB deletes either way.
  table->Add({"unlink", -2, kWrite | kFast, 1, -1, 1, DelCommand, kGroup, "@keyspace @write @fast",
              "Delete a key asynchronously in another thread. Otherwise it is just as DEL, but "
              "non blocking.",
              "4.0.0",
              "O(1) for each key removed regardless of its size. Then the command does O(N) work "
              "in a different thread in order to reclaim memory, where N is the number of "
              "allocations the deleted objects where composed of."});
  table->Add({"exists", -2, kReadOnly | kFast | kNoTouch, 1, -1, 1, ExistsCommand, kGroup,
              "@keyspace @read @fast", "Determine if a key exists", "1.0.0",
              "O(N) where N is the number of keys to check."});
  table->Add({"type", 2, kReadOnly | kFast | kNoTouch, 1, 1, 1, TypeCommand, kGroup,
              "@keyspace @read @fast", "Determine the type stored at key", "1.0.0", "O(1)"});
  table->Add({"expire", -3, kWrite | kFast, 1, 1, 1, ExpireCommand, kGroup,
              "@keyspace @write @fast", "Set a key's time to live in seconds", "1.0.0", "O(1)"});
  table->Add({"pexpire", -3, kWrite | kFast, 1, 1, 1, PexpireCommand, kGroup,
              "@keyspace @write @fast", "Set a key's time to live in milliseconds", "2.6.0",
              "O(1)"});
  table->Add({"expireat", -3, kWrite | kFast, 1, 1, 1, ExpireatCommand, kGroup,
              "@keyspace @write @fast", "Set the expiration for a key as a UNIX timestamp", "1.2.0",
              "O(1)"});
  table->Add({"pexpireat", -3, kWrite | kFast, 1, 1, 1, PexpireatCommand, kGroup,
              "@keyspace @write @fast",
              "Set the expiration for a key as a UNIX timestamp specified in milliseconds", "2.6.0",
              "O(1)"});
  table->Add({"ttl", 2, kReadOnly | kFast | kNoTouch, 1, 1, 1, TtlCommand, kGroup,
              "@keyspace @read @fast", "Get the time to live for a key in seconds", "1.0.0",
              "O(1)"});
  table->Add({"pttl", 2, kReadOnly | kFast | kNoTouch, 1, 1, 1, PttlCommand, kGroup,
              "@keyspace @read @fast", "Get the time to live for a key in milliseconds", "2.6.0",
              "O(1)"});
  table->Add({"expiretime", 2, kReadOnly | kFast | kNoTouch, 1, 1, 1, ExpiretimeCommand, kGroup,
              "@keyspace @read @fast", "Get the expiration Unix timestamp for a key", "7.0.0",
              "O(1)"});
  table->Add({"pexpiretime", 2, kReadOnly | kFast | kNoTouch, 1, 1, 1, PexpiretimeCommand, kGroup,
              "@keyspace @read @fast",
              "Get the expiration Unix timestamp for a key in milliseconds", "7.0.0", "O(1)"});
  table->Add({"persist", 2, kWrite | kFast, 1, 1, 1, PersistCommand, kGroup,
              "@keyspace @write @fast", "Remove the expiration from a key", "2.2.0", "O(1)"});
  table->Add({"keys", 2, kReadOnly | kClusterWide, 0, 0, 0, KeysCommand, kGroup,
              "@keyspace @read @slow @dangerous", "Find all keys matching the given pattern",
              "1.0.0",
              "O(N) with N being the number of keys in the database, under the assumption that "
              "the key names in the database and the given pattern have limited length."});
  table->Add({"scan", -2, kReadOnly | kClusterWide, 0, 0, 0, ScanCommand, kGroup,
              "@keyspace @read @slow", "Incrementally iterate the keys space", "2.8.0",
              "O(1) for every call. O(N) for a complete iteration, including enough command "
              "calls for the cursor to return back to 0. N is the number of elements inside the "
              "collection."});
  table->Add({"rename", 3, kWrite, 1, 2, 1, RenameCommand, kGroup, "@keyspace @write @slow",
              "Rename a key", "1.0.0", "O(1)"});
  table->Add({"renamenx", 3, kWrite | kFast, 1, 2, 1, RenamenxCommand, kGroup,
              "@keyspace @write @fast", "Rename a key, only if the new key does not exist", "1.0.0",
              "O(1)"});
  table->Add({"randomkey", 1, kReadOnly | kClusterWide, 0, 0, 0, RandomkeyCommand, kGroup,
              "@keyspace @read @slow", "Return a random key from the keyspace", "1.0.0", "O(1)"});
  table->Add({"touch", -2, kReadOnly | kFast, 1, -1, 1, TouchCommand, kGroup,
              "@keyspace @read @fast",
              "Alters the last access time of a key(s). Returns the number of existing keys "
              "specified.",
              "3.2.1", "O(N) where N is the number of keys that will be touched."});
  table->Add({"copy", -3, kWrite | kDenyOom, 1, 2, 1, CopyCommand, kGroup, "@keyspace @write @slow",
              "Copy a key", "6.2.0",
              "O(N) worst case for collections, where N is the number of nested items. O(1) for "
              "string values."});
  table->Add({"move", 3, kWrite | kFast | kNoCluster, 1, 1, 1, MoveCommand, kGroup,
              "@keyspace @write @fast", "Move a key to another database", "1.0.0", "O(1)"});
  table->Add({"object", -2, 0, 0, 0, 0, ObjectCommand, kGroup, "@slow",
              "A container for object introspection commands", "2.2.3", "Depends on subcommand."});
  table->Add({"object|help", 2, kLoading | kStale, 0, 0, 0, ObjectHelpCommand, kGroup,
              "@keyspace @slow", "Show helpful text about the different subcommands", "6.2.0",
              "O(1)"});
  table->Add({"object|encoding", 3, kReadOnly | kNoTouch, 2, 2, 1, ObjectEncodingCommand, kGroup,
              "@keyspace @read @slow", "Inspect the internal encoding of a Redis object", "2.2.3",
              "O(1)"});
  table->Add({"object|freq", 3, kReadOnly | kNoTouch, 2, 2, 1, ObjectFreqCommand, kGroup,
              "@keyspace @read @slow",
              "Get the logarithmic access frequency counter of a Redis object", "4.0.0", "O(1)"});
  table->Add({"object|idletime", 3, kReadOnly | kNoTouch, 2, 2, 1, ObjectIdletimeCommand, kGroup,
              "@keyspace @read @slow", "Get the time since a Redis object was last accessed",
              "2.2.3", "O(1)"});
  table->Add({"object|refcount", 3, kReadOnly | kNoTouch, 2, 2, 1, ObjectRefcountCommand, kGroup,
              "@keyspace @read @slow", "Get the number of references to the value of the key",
              "2.2.3", "O(1)"});
}

}  // namespace ringkv::commands

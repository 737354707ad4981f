// Hash commands (Redis 7.0 t_hash.c semantics). Each field is its own LevelDB
// entry; the key record carries the exact field count, so every command that adds
// or removes fields re-writes the record (which also notifies WATCH).
#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "commands/command.h"
#include "commands/util.h"

namespace ringkv::commands {

namespace {

using storage::KeyRecord;
using storage::ValueType;

// Redis's MAX_LONG_DOUBLE_CHARS.
constexpr size_t kMaxLongDoubleChars = 5 * 1024;

// Every element of an array reply costs at least this many bytes ("$0\r\n\r\n").
constexpr int64_t kMinElementBytes = 6;

// Finds `key` for a write command. Redis's lookupKeyWrite neither counts
// keyspace hits/misses nor (unlike LookupHash) should it, so this goes to the
// keyspace directly. Replies WRONGTYPE (or the storage error) and returns false
// when the command must stop; *exists tells whether a live hash was found.
bool FindHashForWrite(ExecContext& ctx, std::string_view key, KeyRecord* record, bool* exists) {
  Status s = ctx.keyspace().Find(ctx.db(), key, ctx.now_ms, record);
  if (s.IsNotFound()) {
    *exists = false;
    return true;
  }
  if (!s.ok()) {
    ctx.reply.Error("ERR " + s.ToString());
    return false;
  }
  if (record->type != ValueType::kHash) {
    ctx.reply.Error(kErrWrongType);
    return false;
  }
  *exists = true;
  return true;
}

// Writes the hash record after fields changed: a new key when !exists, else a
// replacement of `old` (keeps key counts, expiry and WATCH right).
void WriteHash(ExecContext& ctx, std::string_view key, const KeyRecord& old, bool exists,
               uint64_t field_count) {
  if (exists) {
    KeyRecord updated = old;  // cheap: a hash record's strings are empty
    updated.field_count = field_count;
    ctx.keyspace().Write(ctx.db(), key, updated, &old);
  } else {
    KeyRecord created;
    created.type = ValueType::kHash;
    created.field_count = field_count;
    ctx.keyspace().Write(ctx.db(), key, created, nullptr);
  }
}

// A multi-element reply whose header needs the exact element count: elements
// go to a side buffer first, so a corrupt field entry that storage skips cannot
// make the header lie.
class DeferredArray {
 public:
  explicit DeferredArray(const ExecContext& ctx) : body_reply_(&body_) {
    body_reply_.set_protocol(ctx.reply.protocol());
  }
  resp::ReplyBuilder& body() { return body_reply_; }
  void Count(size_t n = 1) { count_ += n; }
  // Emits the header chosen by the caller (array or map) and the body.
  void Flush(ExecContext& ctx, bool as_map) {
    if (as_map) {
      ctx.reply.MapHeader(count_ / 2);
    } else {
      ctx.reply.ArrayHeader(count_);
    }
    ctx.reply.Raw(body_);
  }

 private:
  std::string body_;
  resp::ReplyBuilder body_reply_;
  size_t count_ = 0;
};

std::mt19937_64& Rng() {
  static std::mt19937_64 rng{std::random_device{}()};
  return rng;
}

// HSET key field value [field value ...] / HMSET: one Find of the key, one
// GetField (to know whether the field is new) and PutField per pair, one Write.
void HashSetGeneric(ExecContext& ctx, std::string_view name, bool reply_ok) {
  if (ctx.argc() % 2 == 1) {
    ReplyWrongArity(ctx, name);
    return;
  }
  const std::string_view key = ctx.arg(1);
  KeyRecord old;
  bool exists;
  if (!FindHashForWrite(ctx, key, &old, &exists)) return;
  auto& ks = ctx.keyspace();
  const int db = ctx.db();
  int64_t created = 0;
  for (size_t i = 2; i < ctx.argc(); i += 2) {
    // A repeated field within one command is seen: point reads see staged writes.
    if (ks.SetField(db, key, ctx.arg(i), ctx.arg(i + 1))) ++created;
  }
  if (exists && created == 0) {
    ks.Touch(db, key);  // only values changed: the hash's record stays as it is
  } else {
    WriteHash(ctx, key, old, exists, (exists ? old.field_count : 0) + created);
  }
  if (reply_ok) {
    ctx.reply.Ok();
  } else {
    ctx.reply.Integer(created);
  }
}

void HSetCommand(ExecContext& ctx) { HashSetGeneric(ctx, "hset", false); }
void HMSetCommand(ExecContext& ctx) { HashSetGeneric(ctx, "hmset", true); }

void HSetNxCommand(ExecContext& ctx) {
  const std::string_view key = ctx.arg(1);
  KeyRecord old;
  bool exists;
  if (!FindHashForWrite(ctx, key, &old, &exists)) return;
  std::string existing;
  if (exists && ctx.keyspace().GetField(ctx.db(), key, ctx.arg(2), &existing).ok()) {
    ctx.reply.Integer(0);
    return;
  }
  ctx.keyspace().PutField(ctx.db(), key, ctx.arg(2), ctx.arg(3));
  WriteHash(ctx, key, old, exists, (exists ? old.field_count : 0) + 1);
  ctx.reply.Integer(1);
}

void HGetCommand(ExecContext& ctx) {
  KeyRecord record;
  switch (LookupHash(ctx, ctx.arg(1), &record)) {
    case LookupResult::kFound: {
      std::string value;
      if (ctx.keyspace().GetField(ctx.db(), ctx.arg(1), ctx.arg(2), &value).ok()) {
        ctx.reply.Bulk(value);
      } else {
        ctx.reply.Null();
      }
      break;
    }
    case LookupResult::kMissing:
      ctx.reply.Null();
      break;
    case LookupResult::kWrongType:
      break;
  }
}

void HMGetCommand(ExecContext& ctx) {
  KeyRecord record;
  const LookupResult found = LookupHash(ctx, ctx.arg(1), &record);
  if (found == LookupResult::kWrongType) return;
  ctx.reply.ArrayHeader(ctx.argc() - 2);
  std::string value;
  for (size_t i = 2; i < ctx.argc(); ++i) {
    if (found == LookupResult::kFound &&
        ctx.keyspace().GetField(ctx.db(), ctx.arg(1), ctx.arg(i), &value).ok()) {
      ctx.reply.Bulk(value);
    } else {
      ctx.reply.Null();
    }
  }
}

// HGETALL / HKEYS / HVALS.
void GetAllGeneric(ExecContext& ctx, bool keys, bool values) {
  KeyRecord record;
  const bool as_map = keys && values;
  switch (LookupHash(ctx, ctx.arg(1), &record)) {
    case LookupResult::kFound:
      break;
    case LookupResult::kMissing:
      // Redis: shared.emptymap (RESP3 "%0") for HGETALL, emptyarray otherwise.
      if (as_map) {
        ctx.reply.MapHeader(0);
      } else {
        ctx.reply.ArrayHeader(0);
      }
      return;
    case LookupResult::kWrongType:
      return;
  }
  DeferredArray out(ctx);
  ctx.keyspace().ForEachFieldInInsertionOrder(
      ctx.db(), ctx.arg(1), [&](uint64_t, std::string_view field, std::string_view value) {
        if (keys) {
          out.body().Bulk(field);
          out.Count();
        }
        if (values) {
          out.body().Bulk(value);
          out.Count();
        }
        return true;
      });
  out.Flush(ctx, as_map);
}

void HGetAllCommand(ExecContext& ctx) { GetAllGeneric(ctx, true, true); }
void HKeysCommand(ExecContext& ctx) { GetAllGeneric(ctx, true, false); }
void HValsCommand(ExecContext& ctx) { GetAllGeneric(ctx, false, true); }

void HDelCommand(ExecContext& ctx) {
  const std::string_view key = ctx.arg(1);
  KeyRecord old;
  bool exists;
  if (!FindHashForWrite(ctx, key, &old, &exists)) return;
  if (!exists) {
    ctx.reply.Integer(0);
    return;
  }
  auto& ks = ctx.keyspace();
  uint64_t remaining = old.field_count;
  int64_t deleted = 0;
  std::string value;
  for (size_t i = 2; i < ctx.argc(); ++i) {
    if (!ks.GetField(ctx.db(), key, ctx.arg(i), &value).ok()) continue;
    ks.DeleteField(ctx.db(), key, ctx.arg(i));
    ++deleted;
    if (remaining > 0) --remaining;
    // As Redis: the last field's removal deletes the key, and the rest of the
    // arguments are not looked at.
    if (remaining == 0) {
      ks.Remove(ctx.db(), key, old);
      ctx.reply.Integer(deleted);
      return;
    }
  }
  if (deleted > 0) WriteHash(ctx, key, old, true, remaining);
  ctx.reply.Integer(deleted);
}

void HLenCommand(ExecContext& ctx) {
  KeyRecord record;
  const LookupResult found = LookupHash(ctx, ctx.arg(1), &record);
  if (found == LookupResult::kWrongType) return;
  ctx.reply.Integer(found == LookupResult::kFound ? static_cast<int64_t>(record.field_count) : 0);
}

void HExistsCommand(ExecContext& ctx) {
  KeyRecord record;
  const LookupResult found = LookupHash(ctx, ctx.arg(1), &record);
  if (found == LookupResult::kWrongType) return;
  std::string value;
  ctx.reply.Integer(found == LookupResult::kFound &&
                            ctx.keyspace().GetField(ctx.db(), ctx.arg(1), ctx.arg(2), &value).ok()
                        ? 1
                        : 0);
}

void HStrLenCommand(ExecContext& ctx) {
  KeyRecord record;
  const LookupResult found = LookupHash(ctx, ctx.arg(1), &record);
  if (found == LookupResult::kWrongType) return;
  std::string value;
  if (found == LookupResult::kFound &&
      ctx.keyspace().GetField(ctx.db(), ctx.arg(1), ctx.arg(2), &value).ok()) {
    ctx.reply.Integer(static_cast<int64_t>(value.size()));
  } else {
    ctx.reply.Integer(0);
  }
}

void HIncrByCommand(ExecContext& ctx) {
  // Redis parses the increment before looking at the key.
  int64_t incr;
  if (!ParseInt64(ctx.arg(3), &incr)) {
    ctx.reply.Error(kErrNotInteger);
    return;
  }
  const std::string_view key = ctx.arg(1);
  KeyRecord old;
  bool exists;
  if (!FindHashForWrite(ctx, key, &old, &exists)) return;
  int64_t current = 0;
  bool field_exists = false;
  std::string value;
  if (exists && ctx.keyspace().GetField(ctx.db(), key, ctx.arg(2), &value).ok()) {
    field_exists = true;
    if (!ParseInt64(value, &current)) {
      ctx.reply.Error("ERR hash value is not an integer");
      return;
    }
  }
  if ((incr < 0 && current < 0 && incr < INT64_MIN - current) ||
      (incr > 0 && current > 0 && incr > INT64_MAX - current)) {
    ctx.reply.Error(kErrOverflow);
    return;
  }
  const int64_t result = current + incr;
  ctx.keyspace().PutField(ctx.db(), key, ctx.arg(2), std::to_string(result));
  WriteHash(ctx, key, old, exists, (exists ? old.field_count : 0) + (field_exists ? 0 : 1));
  ctx.reply.Integer(result);
}

void HIncrByFloatCommand(ExecContext& ctx) {
  long double incr;
  if (!ParseLongDouble(ctx.arg(3), &incr)) {
    ctx.reply.Error(kErrNotFloat);
    return;
  }
  if (std::isnan(incr) || std::isinf(incr)) {
    ctx.reply.Error("ERR value is NaN or Infinity");
    return;
  }
  const std::string_view key = ctx.arg(1);
  KeyRecord old;
  bool exists;
  if (!FindHashForWrite(ctx, key, &old, &exists)) return;
  long double current = 0;
  bool field_exists = false;
  std::string value;
  if (exists && ctx.keyspace().GetField(ctx.db(), key, ctx.arg(2), &value).ok()) {
    field_exists = true;
    if (!ParseLongDouble(value, &current)) {
      ctx.reply.Error("ERR hash value is not a float");
      return;
    }
  }
  current += incr;
  if (std::isnan(current) || std::isinf(current)) {
    ctx.reply.Error("ERR increment would produce NaN or Infinity");
    return;
  }
  const std::string formatted = FormatLongDouble(current);
  ctx.keyspace().PutField(ctx.db(), key, ctx.arg(2), formatted);
  WriteHash(ctx, key, old, exists, (exists ? old.field_count : 0) + (field_exists ? 0 : 1));
  ctx.reply.Bulk(formatted);
}

void HScanCommand(ExecContext& ctx) {
  // Order of checks as Redis: cursor, then key and type, then the options.
  uint64_t cursor;
  if (!ParseCursor(ctx, ctx.arg(2), &cursor)) return;
  const std::string_view key = ctx.arg(1);
  KeyRecord record;
  switch (LookupHash(ctx, key, &record)) {
    case LookupResult::kFound:
      break;
    case LookupResult::kMissing:
      ctx.reply.ArrayHeader(2);
      ctx.reply.Bulk("0");
      ctx.reply.ArrayHeader(0);
      return;
    case LookupResult::kWrongType:
      return;
  }
  int64_t count = 10;
  std::string_view pattern;
  bool use_pattern = false;
  for (size_t i = 3; i < ctx.argc(); i += 2) {
    const bool has_value = i + 1 < ctx.argc();
    if (has_value && EqualsIgnoreCase(ctx.arg(i), "count")) {
      if (!ParseInt64(ctx.arg(i + 1), &count)) {
        ctx.reply.Error(kErrNotInteger);
        return;
      }
      if (count < 1) {
        ctx.reply.Error(kErrSyntax);
        return;
      }
    } else if (has_value && EqualsIgnoreCase(ctx.arg(i), "match")) {
      pattern = ctx.arg(i + 1);
      use_pattern = pattern != "*";
    } else {
      ctx.reply.Error(kErrSyntax);
      return;
    }
  }

  const std::string simplified = use_pattern ? SimplifyGlob(pattern) : std::string();
  auto& ks = ctx.keyspace();
  auto emit = [&](DeferredArray* out, std::string_view field, std::string_view value) {
    if (use_pattern && !GlobMatch(simplified, field)) return;
    out->body().Bulk(field);
    out->body().Bulk(value);
    out->Count(2);
  };

  // Redis answers a listpack-encoded hash (few fields, all short) whole, with
  // cursor 0, whatever the cursor and COUNT. Encoding is not stored here, so it
  // is derived from the current contents (Redis never converts back after
  // deletes; that history is not kept).
  const ListpackLimits limits = HashListpackLimits(*ctx.server.config);
  if (record.field_count <= limits.max_entries) {
    const uint64_t max_value = limits.max_value;
    DeferredArray whole(ctx);
    bool small = true;
    ks.ForEachFieldInInsertionOrder(ctx.db(), key,
                                    [&](uint64_t, std::string_view field, std::string_view value) {
                                      if (field.size() > max_value || value.size() > max_value) {
                                        small = false;
                                        return false;
                                      }
                                      emit(&whole, field, value);
                                      return true;
                                    });
    if (small) {
      ctx.reply.ArrayHeader(2);
      ctx.reply.Bulk("0");
      whole.Flush(ctx, false);
      return;
    }
  }

  // Paged: the cursor is a field-hash position. COUNT fields are visited (the
  // pattern filters afterwards, as in Redis), then any further fields sharing
  // the last visited hash so that a page never splits them; the next cursor is
  // the hash of the first unvisited field. It cannot be 0 by accident: only the
  // very first field can have hash 0, and it is always visited on the first page.
  DeferredArray out(ctx);
  uint64_t next_cursor = 0;
  uint64_t last_hash = 0;
  int64_t visited = 0;
  ks.ForEachField(ctx.db(), key, cursor,
                  [&](uint64_t hash, std::string_view field, std::string_view value) {
                    if (visited >= count && hash != last_hash) {
                      next_cursor = hash;
                      return false;
                    }
                    ++visited;
                    last_hash = hash;
                    emit(&out, field, value);
                    return true;
                  });
  ctx.reply.ArrayHeader(2);
  ctx.reply.Bulk(std::to_string(next_cursor));
  out.Flush(ctx, false);
}

// Appends one HRANDFIELD element: RESP3 WITHVALUES nests each pair in an array.
void EmitRandomField(DeferredArray* out, bool withvalues, std::string_view field,
                     std::string_view value) {
  resp::ReplyBuilder& body = out->body();
  if (withvalues) {
    if (body.protocol() == 3) {
      body.ArrayHeader(2);
      body.Bulk(field);
      body.Bulk(value);
      out->Count();
    } else {
      body.Bulk(field);
      body.Bulk(value);
      out->Count(2);
    }
  } else {
    body.Bulk(field);
    out->Count();
  }
}

// Picks one field uniformly by walking to a random index (seeking a random
// hash instead would favour fields that follow large gaps in hash order).
// Returns false if the hash turned out empty.
bool RandomField(ExecContext& ctx, std::string_view key, uint64_t field_count, bool want_value,
                 std::string* field, std::string* value) {
  uint64_t target = 0;
  if (field_count > 0) {
    target = std::uniform_int_distribution<uint64_t>(0, field_count - 1)(Rng());
  }
  bool any = false;
  uint64_t index = 0;
  ctx.keyspace().ForEachField(ctx.db(), key, 0,
                              [&](uint64_t, std::string_view f, std::string_view v) {
                                field->assign(f);
                                if (want_value) value->assign(v);
                                any = true;
                                return index++ < target;
                              });
  return any;
}

void HRandFieldWithCount(ExecContext& ctx, int64_t l, bool withvalues) {
  const std::string_view key = ctx.arg(1);
  KeyRecord record;
  switch (LookupHash(ctx, key, &record)) {
    case LookupResult::kFound:
      break;
    case LookupResult::kMissing:
      ctx.reply.ArrayHeader(0);
      return;
    case LookupResult::kWrongType:
      return;
  }
  const bool unique = l >= 0;
  // |l| <= INT64_MAX: INT64_MIN was rejected by the caller.
  const uint64_t count = unique ? static_cast<uint64_t>(l) : static_cast<uint64_t>(-l);
  if (count == 0) {
    ctx.reply.ArrayHeader(0);
    return;
  }
  auto& ks = ctx.keyspace();
  const uint64_t size = record.field_count;
  DeferredArray out(ctx);

  if (count == 1) {
    std::string field, value;
    if (RandomField(ctx, key, size, withvalues, &field, &value)) {
      EmitRandomField(&out, withvalues, field, value);
    }
    out.Flush(ctx, false);
    return;
  }

  if (!unique) {
    // Sampling with repeats. Redis 7.0 would build a reply of any size here and
    // never finish for absurd counts; a reply that the output buffer limit would
    // cut anyway is refused up front instead.
    const int64_t hard_limit = ctx.server.config ? ctx.server.config->output_hard_limit : 0;
    if (hard_limit > 0 &&
        count > static_cast<uint64_t>(hard_limit / kMinElementBytes / (withvalues ? 2 : 1))) {
      ctx.reply.Error("ERR value is out of range");
      return;
    }
    std::vector<std::pair<std::string, std::string>> fields;
    fields.reserve(size);
    ks.ForEachField(ctx.db(), key, 0,
                    [&](uint64_t, std::string_view field, std::string_view value) {
                      fields.emplace_back(field, withvalues ? value : std::string_view());
                      return true;
                    });
    if (!fields.empty()) {
      std::uniform_int_distribution<size_t> pick(0, fields.size() - 1);
      for (uint64_t i = 0; i < count; ++i) {
        const auto& [field, value] = fields[pick(Rng())];
        EmitRandomField(&out, withvalues, field, value);
      }
    }
    out.Flush(ctx, false);
    return;
  }

  if (count >= size) {
    // The whole hash, in the order Redis would list it.
    ks.ForEachFieldInInsertionOrder(ctx.db(), key,
                                    [&](uint64_t, std::string_view field, std::string_view value) {
                                      EmitRandomField(&out, withvalues, field, value);
                                      return true;
                                    });
    out.Flush(ctx, false);
    return;
  }

  // `count` distinct fields out of `size`: selection sampling (Knuth's
  // Algorithm S) in one pass, so only the chosen fields are held.
  uint64_t needed = count;
  uint64_t left = size;
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  ks.ForEachField(ctx.db(), key, 0, [&](uint64_t, std::string_view field, std::string_view value) {
    if (needed == 0) return false;
    if (left <= needed || unit(Rng()) * static_cast<double>(left) < static_cast<double>(needed)) {
      EmitRandomField(&out, withvalues, field, value);
      --needed;
    }
    if (left > 0) --left;
    return true;
  });
  out.Flush(ctx, false);
}

void HRandFieldCommand(ExecContext& ctx) {
  if (ctx.argc() >= 3) {
    // Redis: getRangeLongFromObjectOrReply(-LONG_MAX, LONG_MAX), then the
    // syntax, then the WITHVALUES range (which keeps count*2 from overflowing).
    int64_t l;
    if (!ParseInt64(ctx.arg(2), &l)) {
      ctx.reply.Error(kErrNotInteger);
      return;
    }
    if (l == INT64_MIN) {
      ctx.reply.Error(
          "ERR value is out of range, value must between -9223372036854775807 and "
          "9223372036854775807");
      return;
    }
    if (ctx.argc() > 4 || (ctx.argc() == 4 && !EqualsIgnoreCase(ctx.arg(3), "withvalues"))) {
      ctx.reply.Error(kErrSyntax);
      return;
    }
    const bool withvalues = ctx.argc() == 4;
    if (withvalues && (l < -INT64_MAX / 2 || l > INT64_MAX / 2)) {
      ctx.reply.Error("ERR value is out of range");
      return;
    }
    HRandFieldWithCount(ctx, l, withvalues);
    return;
  }

  const std::string_view key = ctx.arg(1);
  KeyRecord record;
  switch (LookupHash(ctx, key, &record)) {
    case LookupResult::kFound:
      break;
    case LookupResult::kMissing:
      ctx.reply.Null();
      return;
    case LookupResult::kWrongType:
      return;
  }
  std::string field, value;
  if (RandomField(ctx, key, record.field_count, false, &field, &value)) {
    ctx.reply.Bulk(field);
  } else {
    ctx.reply.Null();
  }
}

}  // namespace

void RegisterHashCommands(CommandTable* table) {
  constexpr std::string_view kGroup = "hash";

  table->Add({"hset", -4, kWrite | kDenyOom | kFast, 1, 1, 1, HSetCommand, kGroup,
              "@write @hash @fast", "Set the string value of a hash field", "2.0.0",
              "O(1) for each field/value pair added, so O(N) to add N field/value pairs when the "
              "command is called with multiple field/value pairs."});
  table->Add({"hsetnx", 4, kWrite | kDenyOom | kFast, 1, 1, 1, HSetNxCommand, kGroup,
              "@write @hash @fast",
              "Set the value of a hash field, only if the field does not exist", "2.0.0", "O(1)"});
  table->Add({"hmset", -4, kWrite | kDenyOom | kFast, 1, 1, 1, HMSetCommand, kGroup,
              "@write @hash @fast", "Set multiple hash fields to multiple values", "2.0.0",
              "O(N) where N is the number of fields being set."});
  table->Add({"hget", 3, kReadOnly | kFast, 1, 1, 1, HGetCommand, kGroup, "@read @hash @fast",
              "Get the value of a hash field", "2.0.0", "O(1)"});
  table->Add({"hmget", -3, kReadOnly | kFast, 1, 1, 1, HMGetCommand, kGroup, "@read @hash @fast",
              "Get the values of all the given hash fields", "2.0.0",
              "O(N) where N is the number of fields being requested."});
  table->Add({"hgetall", 2, kReadOnly, 1, 1, 1, HGetAllCommand, kGroup, "@read @hash @slow",
              "Get all the fields and values in a hash", "2.0.0",
              "O(N) where N is the size of the hash."});
  table->Add({"hdel", -3, kWrite | kFast, 1, 1, 1, HDelCommand, kGroup, "@write @hash @fast",
              "Delete one or more hash fields", "2.0.0",
              "O(N) where N is the number of fields to be removed."});
  table->Add({"hexists", 3, kReadOnly | kFast, 1, 1, 1, HExistsCommand, kGroup, "@read @hash @fast",
              "Determine if a hash field exists", "2.0.0", "O(1)"});
  table->Add({"hlen", 2, kReadOnly | kFast, 1, 1, 1, HLenCommand, kGroup, "@read @hash @fast",
              "Get the number of fields in a hash", "2.0.0", "O(1)"});
  table->Add({"hkeys", 2, kReadOnly, 1, 1, 1, HKeysCommand, kGroup, "@read @hash @slow",
              "Get all the fields in a hash", "2.0.0", "O(N) where N is the size of the hash."});
  table->Add({"hvals", 2, kReadOnly, 1, 1, 1, HValsCommand, kGroup, "@read @hash @slow",
              "Get all the values in a hash", "2.0.0", "O(N) where N is the size of the hash."});
  table->Add({"hincrby", 4, kWrite | kDenyOom | kFast, 1, 1, 1, HIncrByCommand, kGroup,
              "@write @hash @fast",
              "Increment the integer value of a hash field by the given number", "2.0.0", "O(1)"});
  table->Add({"hincrbyfloat", 4, kWrite | kDenyOom | kFast, 1, 1, 1, HIncrByFloatCommand, kGroup,
              "@write @hash @fast", "Increment the float value of a hash field by the given amount",
              "2.6.0", "O(1)"});
  table->Add({"hstrlen", 3, kReadOnly | kFast, 1, 1, 1, HStrLenCommand, kGroup, "@read @hash @fast",
              "Get the length of the value of a hash field", "3.2.0", "O(1)"});
  table->Add({"hscan", -3, kReadOnly, 1, 1, 1, HScanCommand, kGroup, "@read @hash @slow",
              "Incrementally iterate hash fields and associated values", "2.8.0",
              "O(1) for every call. O(N) for a complete iteration, including enough command calls "
              "for the cursor to return back to 0. N is the number of elements inside the "
              "collection.."});
  table->Add({"hrandfield", -2, kReadOnly, 1, 1, 1, HRandFieldCommand, kGroup, "@read @hash @slow",
              "Get one or multiple random fields from a hash", "6.2.0",
              "O(N) where N is the number of fields returned"});
  // Commands that touch only the fields they name (the rest read or write
  // the whole hash).
  table->SetFieldPositions("hset", 2, -2, 2);
  table->SetFieldPositions("hmset", 2, -2, 2);
  table->SetFieldPositions("hsetnx", 2, 2, 1);
  table->SetFieldPositions("hget", 2, 2, 1);
  table->SetFieldPositions("hexists", 2, 2, 1);
  table->SetFieldPositions("hstrlen", 2, 2, 1);
  table->SetFieldPositions("hincrby", 2, 2, 1);
  table->SetFieldPositions("hincrbyfloat", 2, 2, 1);
  table->SetFieldPositions("hmget", 2, -1, 1);
  table->SetFieldPositions("hdel", 2, -1, 1);
}

}  // namespace ringkv::commands

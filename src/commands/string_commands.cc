// String commands with Redis 7.0's semantics (t_string.c): GET SET and its
// options, the SET/GET variants, MGET MSET MSETNX, APPEND STRLEN GETRANGE
// SETRANGE, the INCR family, INCRBYFLOAT and LCS.
//
// Lookups follow Redis: commands that only read (GET, MGET, STRLEN, ...) count
// keyspace hits and misses, write commands (lookupKeyWrite in Redis) do not.
// Every handler does one Find and at most one Write per key.
#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "commands/command.h"
#include "commands/util.h"

namespace ringkv::commands {

namespace {

using storage::KeyRecord;
using storage::ValueType;

constexpr std::string_view kErrMaxSize =
    "ERR string exceeds maximum allowed size (proto-max-bulk-len)";

// Writes `record` under `key`. A record whose expiry has already passed is not
// stored: the key is removed instead, which is what a reader of Redis sees after
// e.g. SET k v PXAT 1 (the key is gone at once). WATCHers are flagged either way.
void Store(ExecContext& ctx, std::string_view key, const KeyRecord& record, const KeyRecord* old) {
  if (record.expire_ms != 0 && record.expire_ms <= ctx.now_ms) {
    if (old != nullptr) {
      ctx.keyspace().Remove(ctx.db(), key, *old);
    } else {
      ctx.server.watches.Touch(ctx.db(), key);
    }
    return;
  }
  ctx.keyspace().Write(ctx.db(), key, record, old);
}

void ReplyInvalidExpire(ExecContext& ctx, std::string_view command) {
  std::string msg = "ERR invalid expire time in '";
  msg.append(command);
  msg.append("' command");
  ctx.reply.Error(msg);
}

// Redis 7.0's getExpireMillisecondsOrReply: a positive integer, in seconds or
// milliseconds, relative (EX PX) or absolute (EXAT PXAT); relative times are
// added to the command time. Overflow anywhere is an invalid expire time.
bool ExpireToAbsoluteMs(ExecContext& ctx, std::string_view arg, bool seconds, bool relative,
                        std::string_view command, int64_t* ms) {
  int64_t value;
  if (!ParseInt64(arg, &value)) {
    ctx.reply.Error(kErrNotInteger);
    return false;
  }
  if (value <= 0 || (seconds && value > INT64_MAX / 1000)) {
    ReplyInvalidExpire(ctx, command);
    return false;
  }
  if (seconds) value *= 1000;
  if (relative && __builtin_add_overflow(value, ctx.now_ms, &value)) {
    ReplyInvalidExpire(ctx, command);
    return false;
  }
  if (value <= 0) {
    ReplyInvalidExpire(ctx, command);
    return false;
  }
  *ms = value;
  return true;
}

// Options of SET and GETEX (Redis's OBJ_* flags).
enum OptionFlag : uint32_t {
  kOptNx = 1u << 0,
  kOptXx = 1u << 1,
  kOptGet = 1u << 2,
  kOptKeepTtl = 1u << 3,
  kOptPersist = 1u << 4,
  kOptEx = 1u << 5,
  kOptPx = 1u << 6,
  kOptExAt = 1u << 7,
  kOptPxAt = 1u << 8,
};
constexpr uint32_t kOptAnyExpire = kOptEx | kOptPx | kOptExAt | kOptPxAt;

struct StringOptions {
  uint32_t flags = 0;
  std::string_view expire;  // the EX/PX/EXAT/PXAT argument
};

// Redis 7.0's parseExtendedStringArgumentsOrReply. Each option is accepted only
// when it does not conflict with one already seen (a repeated EX is fine, the
// last one wins); anything else is a syntax error.
bool ParseStringOptions(ExecContext& ctx, size_t first, bool is_set, StringOptions* out) {
  uint32_t& flags = out->flags;
  for (size_t j = first; j < ctx.argc(); ++j) {
    const std::string_view opt = ctx.arg(j);
    const bool has_next = j + 1 < ctx.argc();
    if (is_set && OptionIs(opt, "nx") && !(flags & kOptXx)) {
      flags |= kOptNx;
    } else if (is_set && OptionIs(opt, "xx") && !(flags & kOptNx)) {
      flags |= kOptXx;
    } else if (is_set && OptionIs(opt, "get")) {
      flags |= kOptGet;
    } else if (is_set && OptionIs(opt, "keepttl") && !(flags & (kOptPersist | kOptAnyExpire))) {
      flags |= kOptKeepTtl;
    } else if (!is_set && OptionIs(opt, "persist") && !(flags & (kOptAnyExpire | kOptKeepTtl))) {
      flags |= kOptPersist;
    } else if (has_next && OptionIs(opt, "ex") &&
               !(flags & (kOptKeepTtl | kOptPersist | kOptExAt | kOptPx | kOptPxAt))) {
      flags |= kOptEx;
      out->expire = ctx.arg(++j);
    } else if (has_next && OptionIs(opt, "px") &&
               !(flags & (kOptKeepTtl | kOptPersist | kOptEx | kOptExAt | kOptPxAt))) {
      flags |= kOptPx;
      out->expire = ctx.arg(++j);
    } else if (has_next && OptionIs(opt, "exat") &&
               !(flags & (kOptKeepTtl | kOptPersist | kOptEx | kOptPx | kOptPxAt))) {
      flags |= kOptExAt;
      out->expire = ctx.arg(++j);
    } else if (has_next && OptionIs(opt, "pxat") &&
               !(flags & (kOptKeepTtl | kOptPersist | kOptEx | kOptExAt | kOptPx))) {
      flags |= kOptPxAt;
      out->expire = ctx.arg(++j);
    } else {
      ctx.reply.Error(kErrSyntax);
      return false;
    }
  }
  return true;
}

bool OptionsToExpireMs(ExecContext& ctx, const StringOptions& opts, std::string_view command,
                       int64_t* ms) {
  return ExpireToAbsoluteMs(ctx, opts.expire, (opts.flags & (kOptEx | kOptExAt)) != 0,
                            (opts.flags & (kOptEx | kOptPx)) != 0, command, ms);
}

// Redis's checkStringLength: `size + append` must fit proto-max-bulk-len.
bool CheckStringLength(ExecContext& ctx, uint64_t size, uint64_t append) {
  const uint64_t total = size + append;
  if (total > static_cast<uint64_t>(ctx.server.config->proto_max_bulk_len) || total < size) {
    ctx.reply.Error(kErrMaxSize);
    return false;
  }
  return true;
}

void ReplyBulkOrNull(ExecContext& ctx, LookupResult found, const KeyRecord& record) {
  if (found == LookupResult::kFound) {
    ctx.reply.Bulk(record.value);
  } else {
    ctx.reply.Null();
  }
}

// How SetGeneric answers when NX/XX stops the write and when it succeeds.
enum class SetReply { kOkOrNull, kOneOrZero };

// Redis 7.0's setGenericCommand; `expire_ms` is absolute (0 = none).
void SetGeneric(ExecContext& ctx, uint32_t flags, std::string_view key, std::string_view value,
                int64_t expire_ms, SetReply style) {
  KeyRecord record;
  bool found;
  if (flags & kOptGet) {
    // GET replies the old value first, as a read (it counts keyspace hits).
    const LookupResult r = LookupString(ctx, key, &record);
    if (r == LookupResult::kWrongType) return;
    ReplyBulkOrNull(ctx, r, record);
    found = r == LookupResult::kFound;
  } else {
    found = ctx.keyspace().Find(ctx.db(), key, ctx.now_ms, &record).ok();
  }
  if (((flags & kOptNx) && found) || ((flags & kOptXx) && !found)) {
    if (!(flags & kOptGet)) {
      if (style == SetReply::kOneOrZero) {
        ctx.reply.Integer(0);
      } else {
        ctx.reply.Null();
      }
    }
    return;
  }
  KeyRecord old;
  if (found) old = MetaOf(record);
  record.type = ValueType::kString;
  record.field_count = 0;
  record.value.assign(value);
  record.encoding = storage::StringEncoding::kAuto;
  // KEEPTTL excludes the expire options, so expire_ms is 0 then.
  if (!(flags & kOptKeepTtl) || !found) record.expire_ms = expire_ms;
  Store(ctx, key, record, found ? &old : nullptr);
  if (flags & kOptGet) return;
  if (style == SetReply::kOneOrZero) {
    ctx.reply.Integer(1);
  } else {
    ctx.reply.Ok();
  }
}

void GetCommand(ExecContext& ctx) {
  KeyRecord record;
  const LookupResult r = LookupString(ctx, ctx.arg(1), &record);
  if (r != LookupResult::kWrongType) ReplyBulkOrNull(ctx, r, record);
}

void SetCommand(ExecContext& ctx) {
  StringOptions opts;
  if (ctx.argc() > 3 && !ParseStringOptions(ctx, 3, /*is_set=*/true, &opts)) return;
  int64_t expire_ms = 0;
  if ((opts.flags & kOptAnyExpire) && !OptionsToExpireMs(ctx, opts, "set", &expire_ms)) return;
  SetGeneric(ctx, opts.flags, ctx.arg(1), ctx.arg(2), expire_ms, SetReply::kOkOrNull);
}

void SetnxCommand(ExecContext& ctx) {
  SetGeneric(ctx, kOptNx, ctx.arg(1), ctx.arg(2), 0, SetReply::kOneOrZero);
}

void SetexCommand(ExecContext& ctx) {
  int64_t expire_ms;
  if (!ExpireToAbsoluteMs(ctx, ctx.arg(2), /*seconds=*/true, /*relative=*/true, "setex",
                          &expire_ms)) {
    return;
  }
  SetGeneric(ctx, kOptEx, ctx.arg(1), ctx.arg(3), expire_ms, SetReply::kOkOrNull);
}

void PsetexCommand(ExecContext& ctx) {
  int64_t expire_ms;
  if (!ExpireToAbsoluteMs(ctx, ctx.arg(2), /*seconds=*/false, /*relative=*/true, "psetex",
                          &expire_ms)) {
    return;
  }
  SetGeneric(ctx, kOptPx, ctx.arg(1), ctx.arg(3), expire_ms, SetReply::kOkOrNull);
}

void GetsetCommand(ExecContext& ctx) {
  // GET then a plain SET (which drops any TTL).
  SetGeneric(ctx, kOptGet, ctx.arg(1), ctx.arg(2), 0, SetReply::kOkOrNull);
}

void GetdelCommand(ExecContext& ctx) {
  KeyRecord record;
  const LookupResult r = LookupString(ctx, ctx.arg(1), &record);
  if (r == LookupResult::kWrongType) return;
  ReplyBulkOrNull(ctx, r, record);
  if (r == LookupResult::kFound) ctx.keyspace().Remove(ctx.db(), ctx.arg(1), record);
}

void GetexCommand(ExecContext& ctx) {
  StringOptions opts;
  if (!ParseStringOptions(ctx, 2, /*is_set=*/false, &opts)) return;
  KeyRecord record;
  const LookupResult r = LookupString(ctx, ctx.arg(1), &record);
  if (r == LookupResult::kWrongType) return;
  if (r == LookupResult::kMissing) {
    ctx.reply.Null();
    return;
  }
  // Redis validates the expire time only once it knows the key is a string.
  int64_t expire_ms = 0;
  if ((opts.flags & kOptAnyExpire) && !OptionsToExpireMs(ctx, opts, "getex", &expire_ms)) return;
  ctx.reply.Bulk(record.value);
  if (opts.flags & kOptAnyExpire) {
    // An absolute time already past deletes the key (Store handles it).
    KeyRecord old = MetaOf(record);
    record.expire_ms = expire_ms;
    Store(ctx, ctx.arg(1), record, &old);
  } else if ((opts.flags & kOptPersist) && record.has_expire()) {
    KeyRecord old = MetaOf(record);
    record.expire_ms = 0;
    ctx.keyspace().Write(ctx.db(), ctx.arg(1), record, &old);
  }
}

void MgetCommand(ExecContext& ctx) {
  ctx.reply.ArrayHeader(ctx.argc() - 1);
  KeyRecord record;
  for (size_t i = 1; i < ctx.argc(); ++i) {
    // Any non-string key reads as nil, without an error.
    if (LookupKey(ctx, ctx.arg(i), &record, nullptr) == LookupResult::kFound &&
        record.type == ValueType::kString) {
      ctx.reply.Bulk(record.value);
    } else {
      ctx.reply.Null();
    }
  }
}

// Sets every key/value pair from argv[1] on; no checks.
void MsetPairs(ExecContext& ctx) {
  KeyRecord record;
  KeyRecord old;
  // Execute's PrefetchKeyRows asked for every key's row at once. That is
  // enough for a few keys; past a few dozen the first rows are evicted again
  // before their turn, so a long MSET also prefetches a few keys ahead of
  // each lookup.
  constexpr size_t kPrefetchAheadFromPairs = 32;
  std::vector<std::string_view> keys;
  std::optional<storage::Keyspace::RowPrefetcher> prefetch;
  if (ctx.argc() / 2 > kPrefetchAheadFromPairs) {
    keys.reserve(ctx.argc() / 2);
    for (size_t i = 1; i + 1 < ctx.argc(); i += 2) keys.push_back(ctx.arg(i));
    prefetch.emplace(&ctx.keyspace(), ctx.db(), keys);
  }
  for (size_t i = 1; i + 1 < ctx.argc(); i += 2) {
    if (prefetch) prefetch->Before(i / 2);
    const std::string_view key = ctx.arg(i);
    const bool found = ctx.keyspace().Find(ctx.db(), key, ctx.now_ms, &record).ok();
    if (found) old = MetaOf(record);
    record.type = ValueType::kString;
    record.field_count = 0;
    record.expire_ms = 0;
    record.value.assign(ctx.arg(i + 1));
    record.encoding = storage::StringEncoding::kAuto;
    ctx.keyspace().Write(ctx.db(), key, record, found ? &old : nullptr);
  }
}

void MsetCommand(ExecContext& ctx) {
  if (ctx.argc() % 2 == 0) {
    ReplyWrongArity(ctx, "mset");
    return;
  }
  MsetPairs(ctx);
  ctx.reply.Ok();
}

void MsetnxCommand(ExecContext& ctx) {
  if (ctx.argc() % 2 == 0) {
    ReplyWrongArity(ctx, "msetnx");
    return;
  }
  KeyRecord record;
  for (size_t i = 1; i < ctx.argc(); i += 2) {
    if (ctx.keyspace().Find(ctx.db(), ctx.arg(i), ctx.now_ms, &record).ok()) {
      ctx.reply.Integer(0);
      return;
    }
  }
  MsetPairs(ctx);
  ctx.reply.Integer(1);
}

void AppendCommand(ExecContext& ctx) {
  const std::string_view key = ctx.arg(1);
  const std::string_view tail = ctx.arg(2);
  KeyRecord record;
  const LookupResult r = FindStringForWrite(ctx, key, &record);
  if (r == LookupResult::kWrongType) return;
  if (r == LookupResult::kMissing) {
    // A new key is created without a size check, as in Redis (the argument
    // itself was bounded by the protocol parser).
    record.value.assign(tail);
    ctx.keyspace().Write(ctx.db(), key, record, nullptr);
  } else {
    if (!CheckStringLength(ctx, record.value.size(), tail.size())) return;
    KeyRecord old = MetaOf(record);
    record.value.append(tail);
    record.encoding = storage::StringEncoding::kRaw;  // appended in place, as Redis does
    ctx.keyspace().Write(ctx.db(), key, record, &old);
  }
  ctx.reply.Integer(static_cast<int64_t>(record.value.size()));
}

void StrlenCommand(ExecContext& ctx) {
  KeyRecord record;
  const LookupResult r = LookupString(ctx, ctx.arg(1), &record);
  if (r == LookupResult::kWrongType) return;
  ctx.reply.Integer(r == LookupResult::kFound ? static_cast<int64_t>(record.value.size()) : 0);
}

void GetrangeCommand(ExecContext& ctx) {
  int64_t start, end;
  if (!ParseInt64(ctx.arg(2), &start) || !ParseInt64(ctx.arg(3), &end)) {
    ctx.reply.Error(kErrNotInteger);
    return;
  }
  KeyRecord record;
  const LookupResult r = LookupString(ctx, ctx.arg(1), &record);
  if (r == LookupResult::kWrongType) return;
  if (r == LookupResult::kMissing) {
    ctx.reply.Bulk("");
    return;
  }
  const int64_t len = static_cast<int64_t>(record.value.size());
  // Redis 7.0: two negative indexes in the wrong order give an empty string.
  if (start < 0 && end < 0 && start > end) {
    ctx.reply.Bulk("");
    return;
  }
  if (start < 0) start += len;
  if (end < 0) end += len;
  if (start < 0) start = 0;
  if (end < 0) end = 0;
  if (end >= len) end = len - 1;
  if (start > end || len == 0) {
    ctx.reply.Bulk("");
  } else {
    ctx.reply.Bulk(std::string_view(record.value).substr(start, end - start + 1));
  }
}

void SetrangeCommand(ExecContext& ctx) {
  const std::string_view key = ctx.arg(1);
  const std::string_view value = ctx.arg(3);
  int64_t offset;
  if (!ParseInt64(ctx.arg(2), &offset)) {
    ctx.reply.Error(kErrNotInteger);
    return;
  }
  if (offset < 0) {
    ctx.reply.Error("ERR offset is out of range");
    return;
  }
  KeyRecord record;
  const LookupResult r = FindStringForWrite(ctx, key, &record);
  if (r == LookupResult::kWrongType) return;
  if (value.empty()) {
    // Setting nothing creates nothing and changes nothing.
    ctx.reply.Integer(static_cast<int64_t>(record.value.size()));
    return;
  }
  if (!CheckStringLength(ctx, static_cast<uint64_t>(offset), value.size())) return;
  const bool found = r == LookupResult::kFound;
  KeyRecord old;
  if (found) old = MetaOf(record);
  const size_t needed = static_cast<size_t>(offset) + value.size();
  if (record.value.size() < needed) record.value.resize(needed, '\0');
  record.value.replace(static_cast<size_t>(offset), value.size(), value);
  record.encoding = storage::StringEncoding::kRaw;  // modified in place, as Redis does
  ctx.keyspace().Write(ctx.db(), key, record, found ? &old : nullptr);
  ctx.reply.Integer(static_cast<int64_t>(record.value.size()));
}

void IncrDecrBy(ExecContext& ctx, int64_t incr) {
  const std::string_view key = ctx.arg(1);
  KeyRecord record;
  const LookupResult r = FindStringForWrite(ctx, key, &record);
  if (r == LookupResult::kWrongType) return;
  int64_t value = 0;
  if (r == LookupResult::kFound && !ParseInt64(record.value, &value)) {
    ctx.reply.Error(kErrNotInteger);
    return;
  }
  if ((incr < 0 && value < 0 && incr < INT64_MIN - value) ||
      (incr > 0 && value > 0 && incr > INT64_MAX - value)) {
    ctx.reply.Error(kErrOverflow);
    return;
  }
  value += incr;
  const bool found = r == LookupResult::kFound;
  KeyRecord old;
  if (found) old = MetaOf(record);
  char buf[24];
  const auto res = std::to_chars(buf, buf + sizeof(buf), value);
  record.value.assign(buf, res.ptr);
  record.encoding = storage::StringEncoding::kAuto;
  ctx.keyspace().Write(ctx.db(), key, record, found ? &old : nullptr);
  ctx.reply.Integer(value);
}

void IncrCommand(ExecContext& ctx) { IncrDecrBy(ctx, 1); }

void DecrCommand(ExecContext& ctx) { IncrDecrBy(ctx, -1); }

void IncrbyCommand(ExecContext& ctx) {
  int64_t incr;
  if (!ParseInt64(ctx.arg(2), &incr)) {
    ctx.reply.Error(kErrNotInteger);
    return;
  }
  IncrDecrBy(ctx, incr);
}

void DecrbyCommand(ExecContext& ctx) {
  int64_t decr;
  if (!ParseInt64(ctx.arg(2), &decr)) {
    ctx.reply.Error(kErrNotInteger);
    return;
  }
  // Negating INT64_MIN would overflow.
  if (decr == INT64_MIN) {
    ctx.reply.Error("ERR decrement would overflow");
    return;
  }
  IncrDecrBy(ctx, -decr);
}

void IncrbyfloatCommand(ExecContext& ctx) {
  const std::string_view key = ctx.arg(1);
  KeyRecord record;
  const LookupResult r = FindStringForWrite(ctx, key, &record);
  if (r == LookupResult::kWrongType) return;
  long double value = 0;
  long double incr;
  // Redis parses the stored value first, then the increment.
  if ((r == LookupResult::kFound && !ParseLongDouble(record.value, &value)) ||
      !ParseLongDouble(ctx.arg(2), &incr)) {
    ctx.reply.Error(kErrNotFloat);
    return;
  }
  value += incr;
  if (std::isnan(value) || std::isinf(value)) {
    ctx.reply.Error("ERR increment would produce NaN or Infinity");
    return;
  }
  const bool found = r == LookupResult::kFound;
  KeyRecord old;
  if (found) old = MetaOf(record);
  record.value = FormatLongDouble(value);
  // Redis stores the result as text, never as an integer object.
  record.encoding = storage::StringEncoding::kNotInteger;
  ctx.keyspace().Write(ctx.db(), key, record, found ? &old : nullptr);
  ctx.reply.Bulk(record.value);
}

// LCS KEY1 KEY2 [LEN] [IDX] [MINMATCHLEN len] [WITHMATCHLEN]: Redis 7.0's
// dynamic-programming LCS, including the order of its matches and its limits.
void LcsCommand(ExecContext& ctx) {
  KeyRecord ra, rb;
  const bool found_a = LookupKey(ctx, ctx.arg(1), &ra, nullptr) == LookupResult::kFound;
  const bool found_b = LookupKey(ctx, ctx.arg(2), &rb, nullptr) == LookupResult::kFound;
  if ((found_a && ra.type != ValueType::kString) || (found_b && rb.type != ValueType::kString)) {
    ctx.reply.Error("ERR The specified keys must contain string values");
    return;
  }
  const std::string_view a = found_a ? std::string_view(ra.value) : std::string_view();
  const std::string_view b = found_b ? std::string_view(rb.value) : std::string_view();

  bool get_len = false, get_idx = false, with_match_len = false;
  int64_t min_match_len = 0;
  for (size_t j = 3; j < ctx.argc(); ++j) {
    const std::string_view opt = ctx.arg(j);
    const bool more = j + 1 < ctx.argc();
    if (OptionIs(opt, "idx")) {
      get_idx = true;
    } else if (OptionIs(opt, "len")) {
      get_len = true;
    } else if (OptionIs(opt, "withmatchlen")) {
      with_match_len = true;
    } else if (OptionIs(opt, "minmatchlen") && more) {
      if (!ParseInt64(ctx.arg(j + 1), &min_match_len)) {
        ctx.reply.Error(kErrNotInteger);
        return;
      }
      if (min_match_len < 0) min_match_len = 0;
      ++j;
    } else {
      ctx.reply.Error(kErrSyntax);
      return;
    }
  }
  if (get_idx && get_len) {
    ctx.reply.Error("ERR If you want both the length and indexes, please just use IDX.");
    return;
  }
  if (a.size() >= UINT32_MAX - 1 || b.size() >= UINT32_MAX - 1) {
    ctx.reply.Error("ERR String too long for LCS");
    return;
  }
  const uint32_t alen = static_cast<uint32_t>(a.size());
  const uint32_t blen = static_cast<uint32_t>(b.size());
  // Redis refuses a table larger than proto-max-bulk-len bytes.
  const uint64_t cells = static_cast<uint64_t>(alen + 1) * (blen + 1);
  if (cells * sizeof(uint32_t) > static_cast<uint64_t>(ctx.server.config->proto_max_bulk_len)) {
    ctx.reply.Error("ERR Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len");
    return;
  }
  // lcs[j + (blen + 1) * i] is the LCS length of a[0..i) and b[0..j).
  std::vector<uint32_t> lcs(cells, 0);
  auto at = [&](uint32_t i, uint32_t j) -> uint32_t& { return lcs[j + (blen + 1) * i]; };
  for (uint32_t i = 1; i <= alen; ++i) {
    for (uint32_t j = 1; j <= blen; ++j) {
      if (a[i - 1] == b[j - 1]) {
        at(i, j) = at(i - 1, j - 1) + 1;
      } else {
        at(i, j) = std::max(at(i - 1, j), at(i, j - 1));
      }
    }
  }
  const uint32_t total = at(alen, blen);
  if (get_len) {
    ctx.reply.Integer(total);
    return;
  }

  // Walk back from the end, building the LCS string and (for IDX) the match
  // ranges, emitted as Redis emits them: last match first.
  std::string result(total, '\0');
  uint32_t idx = total;
  std::string ranges;  // encoded later: its count must come first
  size_t range_count = 0;
  resp::ReplyBuilder range_reply(&ranges);
  range_reply.set_protocol(ctx.reply.protocol());
  uint32_t arange_start = alen;  // alen means no current range
  uint32_t arange_end = 0, brange_start = 0, brange_end = 0;
  uint32_t i = alen, j = blen;
  while (i > 0 && j > 0) {
    bool emit = false;
    if (a[i - 1] == b[j - 1]) {
      result[idx - 1] = a[i - 1];
      if (arange_start == alen) {
        arange_start = arange_end = i - 1;
        brange_start = brange_end = j - 1;
      } else if (arange_start == i && brange_start == j) {
        --arange_start;
        --brange_start;
      } else {
        emit = true;
      }
      if (arange_start == 0 || brange_start == 0) emit = true;
      --idx;
      --i;
      --j;
    } else {
      if (at(i - 1, j) > at(i, j - 1)) {
        --i;
      } else {
        --j;
      }
      if (arange_start != alen) emit = true;
    }
    if (emit) {
      const uint32_t match_len = arange_end - arange_start + 1;
      if (get_idx && (min_match_len == 0 || match_len >= min_match_len)) {
        range_reply.ArrayHeader(2 + (with_match_len ? 1 : 0));
        range_reply.ArrayHeader(2);
        range_reply.Integer(arange_start);
        range_reply.Integer(arange_end);
        range_reply.ArrayHeader(2);
        range_reply.Integer(brange_start);
        range_reply.Integer(brange_end);
        if (with_match_len) range_reply.Integer(match_len);
        ++range_count;
      }
      arange_start = alen;
    }
  }
  if (get_idx) {
    ctx.reply.MapHeader(2);
    ctx.reply.Bulk("matches");
    ctx.reply.ArrayHeader(range_count);
    ctx.reply.Raw(ranges);
    ctx.reply.Bulk("len");
    ctx.reply.Integer(total);
  } else {
    ctx.reply.Bulk(result);
  }
}

}  // namespace

void RegisterStringCommands(CommandTable* table) {
  constexpr std::string_view kGroup = "string";
  table->Add({"get", 2, kReadOnly | kFast, 1, 1, 1, GetCommand, kGroup, "@read @string @fast",
              "Get the value of a key", "1.0.0", "O(1)"});
  table->Add({"set", -3, kWrite | kDenyOom, 1, 1, 1, SetCommand, kGroup, "@write @string @slow",
              "Set the string value of a key", "1.0.0", "O(1)"});
  table->Add({"setnx", 3, kWrite | kDenyOom | kFast, 1, 1, 1, SetnxCommand, kGroup,
              "@write @string @fast", "Set the value of a key, only if the key does not exist",
              "1.0.0", "O(1)"});
  table->Add({"setex", 4, kWrite | kDenyOom, 1, 1, 1, SetexCommand, kGroup, "@write @string @slow",
              "Set the value and expiration of a key", "2.0.0", "O(1)"});
  table->Add({"psetex", 4, kWrite | kDenyOom, 1, 1, 1, PsetexCommand, kGroup,
              "@write @string @slow", "Set the value and expiration in milliseconds of a key",
              "2.6.0", "O(1)"});
  table->Add({"getset", 3, kWrite | kDenyOom | kFast, 1, 1, 1, GetsetCommand, kGroup,
              "@write @string @fast", "Set the string value of a key and return its old value",
              "1.0.0", "O(1)"});
  table->Add({"getdel", 2, kWrite | kFast, 1, 1, 1, GetdelCommand, kGroup, "@write @string @fast",
              "Get the value of a key and delete the key", "6.2.0", "O(1)"});
  table->Add({"getex", -2, kWrite | kFast, 1, 1, 1, GetexCommand, kGroup, "@write @string @fast",
              "Get the value of a key and optionally set its expiration", "6.2.0", "O(1)"});
  table->Add({"mget", -2, kReadOnly | kFast, 1, -1, 1, MgetCommand, kGroup, "@read @string @fast",
              "Get the values of all the given keys", "1.0.0",
              "O(N) where N is the number of keys to retrieve."});
  table->Add({"mset", -3, kWrite | kDenyOom, 1, -1, 2, MsetCommand, kGroup, "@write @string @slow",
              "Set multiple keys to multiple values", "1.0.1",
              "O(N) where N is the number of keys to set."});
  table->Add({"msetnx", -3, kWrite | kDenyOom, 1, -1, 2, MsetnxCommand, kGroup,
              "@write @string @slow",
              "Set multiple keys to multiple values, only if none of the keys exist", "1.0.1",
              "O(N) where N is the number of keys to set."});
  table->Add({"append", 3, kWrite | kDenyOom | kFast, 1, 1, 1, AppendCommand, kGroup,
              "@write @string @fast", "Append a value to a key", "2.0.0",
              "O(1). The amortized time complexity is O(1) assuming the appended value is small "
              "and the already present value is of any size, since the dynamic string library "
              "used by Redis will double the free space available on every reallocation."});
  table->Add({"strlen", 2, kReadOnly | kFast, 1, 1, 1, StrlenCommand, kGroup, "@read @string @fast",
              "Get the length of the value stored in a key", "2.2.0", "O(1)"});
  constexpr std::string_view kGetrangeComplexity =
      "O(N) where N is the length of the returned string. The complexity is ultimately "
      "determined by the returned length, but because creating a substring from an existing "
      "string is very cheap, it can be considered O(1) for small strings.";
  table->Add({"getrange", 4, kReadOnly, 1, 1, 1, GetrangeCommand, kGroup, "@read @string @slow",
              "Get a substring of the string stored at a key", "2.4.0", kGetrangeComplexity});
  table->Add({"substr", 4, kReadOnly, 1, 1, 1, GetrangeCommand, kGroup, "@read @string @slow",
              "Get a substring of the string stored at a key", "1.0.0", kGetrangeComplexity});
  table->Add({"setrange", 4, kWrite | kDenyOom, 1, 1, 1, SetrangeCommand, kGroup,
              "@write @string @slow",
              "Overwrite part of a string at key starting at the specified offset", "2.2.0",
              "O(1), not counting the time taken to copy the new string in place. Usually, this "
              "string is very small so the amortized complexity is O(1). Otherwise, complexity "
              "is O(M) with M being the length of the value argument."});
  table->Add({"incr", 2, kWrite | kDenyOom | kFast, 1, 1, 1, IncrCommand, kGroup,
              "@write @string @fast", "Increment the integer value of a key by one", "1.0.0",
              "O(1)"});
  table->Add({"decr", 2, kWrite | kDenyOom | kFast, 1, 1, 1, DecrCommand, kGroup,
              "@write @string @fast", "Decrement the integer value of a key by one", "1.0.0",
              "O(1)"});
  table->Add({"incrby", 3, kWrite | kDenyOom | kFast, 1, 1, 1, IncrbyCommand, kGroup,
              "@write @string @fast", "Increment the integer value of a key by the given amount",
              "1.0.0", "O(1)"});
  table->Add({"decrby", 3, kWrite | kDenyOom | kFast, 1, 1, 1, DecrbyCommand, kGroup,
              "@write @string @fast", "Decrement the integer value of a key by the given number",
              "1.0.0", "O(1)"});
  table->Add({"incrbyfloat", 3, kWrite | kDenyOom | kFast, 1, 1, 1, IncrbyfloatCommand, kGroup,
              "@write @string @fast", "Increment the float value of a key by the given amount",
              "2.6.0", "O(1)"});
  table->Add({"lcs", -3, kReadOnly, 1, 2, 1, LcsCommand, kGroup, "@read @string @slow",
              "Find longest common substring", "7.0.0",
              "O(N*M) where N and M are the lengths of s1 and s2, respectively"});
}

}  // namespace ringkv::commands

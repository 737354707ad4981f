// Bitmap commands with Redis 7.0's semantics (bitops.c): SETBIT GETBIT
// BITCOUNT BITPOS BITOP BITFIELD BITFIELD_RO. Bits are numbered from the most
// significant bit of the first byte; bytes past the end of a string read as 0.
#include <algorithm>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "commands/command.h"
#include "commands/util.h"

namespace ringkv::commands {

namespace {

using storage::KeyRecord;
using storage::ValueType;

constexpr std::string_view kErrBitOffset = "ERR bit offset is not an integer or out of range";
constexpr std::string_view kErrBitfieldType =
    "ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but "
    "i64 is.";

// Redis's getBitOffsetFromArgument. With `hash` and a '#' prefix the offset is
// counted in units of `bits` (BITFIELD); the product wraps like Redis's does.
// Offsets whose byte is at or past proto-max-bulk-len are refused.
bool ParseBitOffset(ExecContext& ctx, std::string_view arg, bool hash, int bits, uint64_t* offset) {
  const bool use_hash = hash && bits > 0 && !arg.empty() && arg[0] == '#';
  int64_t value;
  if (!ParseInt64(arg.substr(use_hash ? 1 : 0), &value)) {
    ctx.reply.Error(kErrBitOffset);
    return false;
  }
  if (use_hash) value = static_cast<int64_t>(static_cast<uint64_t>(value) * bits);
  if (value < 0 || (value >> 3) >= ctx.server.config->proto_max_bulk_len) {
    ctx.reply.Error(kErrBitOffset);
    return false;
  }
  *offset = static_cast<uint64_t>(value);
  return true;
}

void SetbitCommand(ExecContext& ctx) {
  const std::string_view key = ctx.arg(1);
  uint64_t offset;
  if (!ParseBitOffset(ctx, ctx.arg(2), false, 0, &offset)) return;
  int64_t on;
  if (!ParseInt64(ctx.arg(3), &on) || (on & ~int64_t{1}) != 0) {
    ctx.reply.Error("ERR bit is not an integer or out of range");
    return;
  }
  KeyRecord record;
  const LookupResult r = FindStringForWrite(ctx, key, &record);
  if (r == LookupResult::kWrongType) return;
  const size_t byte = offset >> 3;
  const int shift = 7 - static_cast<int>(offset & 7);
  const bool found = r == LookupResult::kFound;
  KeyRecord old;
  if (found) old = MetaOf(record);
  // As Redis 7.0: no write (and no WATCH notification) when nothing changes.
  bool dirty = !found;
  if (record.value.size() < byte + 1) {
    record.value.resize(byte + 1, '\0');
    dirty = true;
  }
  uint8_t byteval = static_cast<uint8_t>(record.value[byte]);
  const int bitval = (byteval >> shift) & 1;
  if (dirty || bitval != on) {
    byteval = static_cast<uint8_t>((byteval & ~(1 << shift)) | (on << shift));
    record.value[byte] = static_cast<char>(byteval);
    record.encoding = storage::StringEncoding::kRaw;  // modified in place, as Redis does
    ctx.keyspace().Write(ctx.db(), key, record, found ? &old : nullptr);
  }
  ctx.reply.Integer(bitval);
}

void GetbitCommand(ExecContext& ctx) {
  uint64_t offset;
  if (!ParseBitOffset(ctx, ctx.arg(2), false, 0, &offset)) return;
  KeyRecord record;
  const LookupResult r = LookupString(ctx, ctx.arg(1), &record);
  if (r == LookupResult::kWrongType) return;
  int bitval = 0;
  const uint64_t byte = offset >> 3;
  if (r == LookupResult::kFound && byte < record.value.size()) {
    bitval = (static_cast<uint8_t>(record.value[byte]) >> (7 - (offset & 7))) & 1;
  }
  ctx.reply.Integer(bitval);
}

int64_t Popcount(const uint8_t* p, size_t n) {
  int64_t count = 0;
  while (n >= 8) {
    uint64_t word;
    std::memcpy(&word, p, 8);
    count += __builtin_popcountll(word);
    p += 8;
    n -= 8;
  }
  while (n-- > 0) count += __builtin_popcount(*p++);
  return count;
}

// Parses BIT/BYTE (the optional unit of BITCOUNT and BITPOS ranges).
bool ParseBitUnit(ExecContext& ctx, std::string_view arg, bool* is_bit) {
  if (OptionIs(arg, "bit")) {
    *is_bit = true;
  } else if (OptionIs(arg, "byte")) {
    *is_bit = false;
  } else {
    ctx.reply.Error(kErrSyntax);
    return false;
  }
  return true;
}

// Clamps a Redis range (negative = from the end) to [0, total - 1].
void NormalizeRange(int64_t total, int64_t* start, int64_t* end) {
  if (*start < 0) *start += total;
  if (*end < 0) *end += total;
  if (*start < 0) *start = 0;
  if (*end < 0) *end = 0;
  if (*end >= total) *end = total - 1;
}

// BITCOUNT key [start end [BYTE|BIT]]. Redis 7.0 looks the key up before it
// parses the range, so a missing key answers 0 whatever the arguments.
void BitcountCommand(ExecContext& ctx) {
  KeyRecord record;
  const LookupResult r = LookupString(ctx, ctx.arg(1), &record);
  if (r == LookupResult::kWrongType) return;
  if (r == LookupResult::kMissing) {
    ctx.reply.Integer(0);
    return;
  }
  const auto* p = reinterpret_cast<const uint8_t*>(record.value.data());
  const int64_t len = static_cast<int64_t>(record.value.size());
  int64_t start, end;
  bool is_bit = false;
  if (ctx.argc() == 4 || ctx.argc() == 5) {
    if (!ParseInt64(ctx.arg(2), &start) || !ParseInt64(ctx.arg(3), &end)) {
      ctx.reply.Error(kErrNotInteger);
      return;
    }
    // Checked before the unit is parsed, as Redis does.
    if (start < 0 && end < 0 && start > end) {
      ctx.reply.Integer(0);
      return;
    }
    if (ctx.argc() == 5 && !ParseBitUnit(ctx, ctx.arg(4), &is_bit)) return;
    NormalizeRange(is_bit ? len * 8 : len, &start, &end);
  } else if (ctx.argc() == 2) {
    start = 0;
    end = len - 1;
  } else {
    ctx.reply.Error(kErrSyntax);
    return;
  }
  if (start > end) {
    ctx.reply.Integer(0);
    return;
  }
  if (!is_bit) {
    ctx.reply.Integer(Popcount(p + start, static_cast<size_t>(end - start + 1)));
    return;
  }
  const int64_t first_byte = start >> 3;
  const int64_t last_byte = end >> 3;
  int64_t count = Popcount(p + first_byte, static_cast<size_t>(last_byte - first_byte + 1));
  // Remove the bits of the edge bytes that lie outside [start, end].
  const uint8_t first_out = static_cast<uint8_t>(~((1u << (8 - (start & 7))) - 1) & 0xff);
  const uint8_t last_out = static_cast<uint8_t>((1u << (7 - (end & 7))) - 1);
  count -= __builtin_popcount(p[first_byte] & first_out);
  count -= __builtin_popcount(p[last_byte] & last_out);
  ctx.reply.Integer(count);
}

// First bit equal to `bit` in bit positions [first, last] of p, or -1.
int64_t FindBit(const uint8_t* p, uint64_t first, uint64_t last, int bit) {
  const uint8_t skip = bit ? 0x00 : 0xff;  // a byte without the bit we look for
  uint64_t pos = first;
  while (pos <= last) {
    const uint64_t byte = pos >> 3;
    if ((pos & 7) == 0 && pos + 7 <= last && p[byte] == skip) {
      pos += 8;
      continue;
    }
    if (((p[byte] >> (7 - (pos & 7))) & 1) == bit) return static_cast<int64_t>(pos);
    ++pos;
  }
  return -1;
}

// BITPOS key bit [start [end [BYTE|BIT]]].
void BitposCommand(ExecContext& ctx) {
  int64_t bit;
  if (!ParseInt64(ctx.arg(2), &bit)) {
    ctx.reply.Error(kErrNotInteger);
    return;
  }
  if (bit != 0 && bit != 1) {
    ctx.reply.Error("ERR The bit argument must be 1 or 0.");
    return;
  }
  KeyRecord record;
  const LookupResult r = LookupString(ctx, ctx.arg(1), &record);
  if (r == LookupResult::kWrongType) return;
  // A missing key is an endless run of zeros.
  if (r == LookupResult::kMissing) {
    ctx.reply.Integer(bit ? -1 : 0);
    return;
  }
  const auto* p = reinterpret_cast<const uint8_t*>(record.value.data());
  const int64_t len = static_cast<int64_t>(record.value.size());
  int64_t start, end;
  bool is_bit = false;
  bool end_given = false;
  if (ctx.argc() >= 4 && ctx.argc() <= 6) {
    if (!ParseInt64(ctx.arg(3), &start)) {
      ctx.reply.Error(kErrNotInteger);
      return;
    }
    // Redis parses the unit before the end.
    if (ctx.argc() == 6 && !ParseBitUnit(ctx, ctx.arg(5), &is_bit)) return;
    if (ctx.argc() >= 5) {
      if (!ParseInt64(ctx.arg(4), &end)) {
        ctx.reply.Error(kErrNotInteger);
        return;
      }
      end_given = true;
    } else {
      end = len - 1;
    }
    NormalizeRange(is_bit ? len * 8 : len, &start, &end);
  } else if (ctx.argc() == 3) {
    start = 0;
    end = len - 1;
  } else {
    ctx.reply.Error(kErrSyntax);
    return;
  }
  if (start > end) {
    ctx.reply.Integer(-1);
    return;
  }
  const uint64_t first = is_bit ? start : start * 8;
  const uint64_t last = is_bit ? end : end * 8 + 7;
  int64_t pos = FindBit(p, first, last, static_cast<int>(bit));
  // Looking for a 0 without an explicit end, the string is taken as padded
  // with zeros on the right: the answer is the first bit past the range.
  if (pos == -1 && bit == 0 && !end_given) pos = static_cast<int64_t>(last + 1);
  ctx.reply.Integer(pos);
}

// BITOP operation destkey key [key ...].
void BitopCommand(ExecContext& ctx) {
  enum class Op { kAnd, kOr, kXor, kNot };
  Op op;
  const std::string_view name = ctx.arg(1);
  if (OptionIs(name, "and")) {
    op = Op::kAnd;
  } else if (OptionIs(name, "or")) {
    op = Op::kOr;
  } else if (OptionIs(name, "xor")) {
    op = Op::kXor;
  } else if (OptionIs(name, "not")) {
    op = Op::kNot;
  } else {
    ctx.reply.Error(kErrSyntax);
    return;
  }
  if (op == Op::kNot && ctx.argc() != 4) {
    ctx.reply.Error("ERR BITOP NOT must be called with a single source key.");
    return;
  }
  const size_t num_keys = ctx.argc() - 3;
  std::vector<KeyRecord> sources(num_keys);
  size_t max_len = 0;
  for (size_t j = 0; j < num_keys; ++j) {
    const LookupResult r = LookupString(ctx, ctx.arg(j + 3), &sources[j]);
    if (r == LookupResult::kWrongType) return;
    // A missing key is an empty string.
    if (r == LookupResult::kMissing) sources[j].value.clear();
    max_len = std::max(max_len, sources[j].value.size());
  }

  const std::string_view dest = ctx.arg(2);
  KeyRecord record;
  const bool dest_found = ctx.keyspace().Find(ctx.db(), dest, ctx.now_ms, &record).ok();
  if (max_len == 0) {
    // An empty result deletes the destination.
    if (dest_found) ctx.keyspace().Remove(ctx.db(), dest, record);
    ctx.reply.Integer(0);
    return;
  }
  std::string result(max_len, '\0');
  auto byte_at = [&](size_t i, size_t j) -> uint8_t {
    const std::string& v = sources[i].value;
    return j < v.size() ? static_cast<uint8_t>(v[j]) : 0;
  };
  for (size_t j = 0; j < max_len; ++j) {
    uint8_t out = byte_at(0, j);
    if (op == Op::kNot) out = static_cast<uint8_t>(~out);
    for (size_t i = 1; i < num_keys; ++i) {
      const uint8_t b = byte_at(i, j);
      if (op == Op::kAnd) {
        out &= b;
      } else if (op == Op::kOr) {
        out |= b;
      } else {
        out ^= b;
      }
    }
    result[j] = static_cast<char>(out);
  }
  // Like SET: the destination is overwritten whatever its type, and loses its TTL.
  KeyRecord old;
  if (dest_found) old = MetaOf(record);
  record.type = ValueType::kString;
  record.field_count = 0;
  record.expire_ms = 0;
  record.value = std::move(result);
  record.encoding = storage::StringEncoding::kRaw;  // Redis builds it as a raw string
  ctx.keyspace().Write(ctx.db(), dest, record, dest_found ? &old : nullptr);
  ctx.reply.Integer(static_cast<int64_t>(max_len));
}

// ---- BITFIELD ----

enum class Overflow { kWrap, kSat, kFail };

struct BitfieldOp {
  enum Code { kGet, kSet, kIncrBy } code;
  uint64_t offset;
  int64_t value;
  Overflow overflow;
  int bits;
  bool is_signed;
};

// Redis's getBitfieldTypeFromArgument: i1..i64 or u1..u63.
bool ParseBitfieldType(ExecContext& ctx, std::string_view arg, bool* is_signed, int* bits) {
  const std::string_view s = CStr(arg);
  int64_t n;
  // Redis 7.0 accepts lower-case 'i' and 'u' only.
  if (s.empty() || (s[0] != 'i' && s[0] != 'u') || !ParseInt64(s.substr(1), &n)) {
    ctx.reply.Error(kErrBitfieldType);
    return false;
  }
  *is_signed = s[0] == 'i';
  if (n < 1 || (*is_signed && n > 64) || (!*is_signed && n > 63)) {
    ctx.reply.Error(kErrBitfieldType);
    return false;
  }
  *bits = static_cast<int>(n);
  return true;
}

// Reads `bits` bits at `offset`, most significant first; bits past the end of
// the string read as 0.
uint64_t GetUnsignedBitfield(std::string_view s, uint64_t offset, int bits) {
  uint64_t value = 0;
  for (int j = 0; j < bits; ++j, ++offset) {
    const uint64_t byte = offset >> 3;
    const uint64_t bit =
        byte < s.size() ? (static_cast<uint8_t>(s[byte]) >> (7 - (offset & 7))) & 1 : 0;
    value = (value << 1) | bit;
  }
  return value;
}

int64_t GetSignedBitfield(std::string_view s, uint64_t offset, int bits) {
  uint64_t value = GetUnsignedBitfield(s, offset, bits);
  // Propagate the sign bit into the high bits (two's complement).
  if (bits < 64 && (value & (uint64_t{1} << (bits - 1)))) value |= ~uint64_t{0} << bits;
  return static_cast<int64_t>(value);
}

// Writes `bits` low bits of `value` at `offset`; the string is already long enough.
void SetBitfield(std::string* s, uint64_t offset, int bits, uint64_t value) {
  for (int j = 0; j < bits; ++j, ++offset) {
    const uint64_t bitval = (value >> (bits - 1 - j)) & 1;
    const uint64_t byte = offset >> 3;
    const int shift = 7 - static_cast<int>(offset & 7);
    uint8_t b = static_cast<uint8_t>((*s)[byte]);
    b = static_cast<uint8_t>((b & ~(1u << shift)) | (bitval << shift));
    (*s)[byte] = static_cast<char>(b);
  }
}

// Redis's checkUnsignedBitfieldOverflow: true on overflow, with `*limit` the
// value to store (wrapped or saturated).
bool UnsignedOverflow(uint64_t value, int64_t incr, int bits, Overflow ow, uint64_t* limit) {
  const uint64_t max = (bits == 64) ? UINT64_MAX : ((uint64_t{1} << bits) - 1);
  const int64_t maxincr = static_cast<int64_t>(max - value);
  const int64_t minincr = static_cast<int64_t>(0 - value);
  bool overflow = false;
  if (value > max || (incr > 0 && incr > maxincr)) {
    overflow = true;
    if (ow == Overflow::kSat) *limit = max;
  } else if (incr < 0 && incr < minincr) {
    overflow = true;
    if (ow == Overflow::kSat) *limit = 0;
  }
  if (overflow && ow == Overflow::kWrap) {
    const uint64_t mask = ~uint64_t{0} << bits;
    *limit = (value + static_cast<uint64_t>(incr)) & ~mask;
  }
  return overflow;
}

// Redis's checkSignedBitfieldOverflow.
bool SignedOverflow(int64_t value, int64_t incr, int bits, Overflow ow, int64_t* limit) {
  const int64_t max = (bits == 64) ? INT64_MAX : ((int64_t{1} << (bits - 1)) - 1);
  const int64_t min = -max - 1;
  // These may wrap; they are only used once `value` is known to be in range.
  const int64_t maxincr = static_cast<int64_t>(static_cast<uint64_t>(max) - value);
  const int64_t minincr = static_cast<int64_t>(static_cast<uint64_t>(min) - value);
  bool overflow = false;
  if (value > max || (bits != 64 && incr > maxincr) || (value >= 0 && incr > 0 && incr > maxincr)) {
    overflow = true;
    if (ow == Overflow::kSat) *limit = max;
  } else if (value < min || (bits != 64 && incr < minincr) ||
             (value < 0 && incr < 0 && incr < minincr)) {
    overflow = true;
    if (ow == Overflow::kSat) *limit = min;
  }
  if (overflow && ow == Overflow::kWrap) {
    uint64_t c = static_cast<uint64_t>(value) + static_cast<uint64_t>(incr);
    if (bits < 64) {
      const uint64_t mask = ~uint64_t{0} << bits;
      if (c & (uint64_t{1} << (bits - 1))) {
        c |= mask;
      } else {
        c &= ~mask;
      }
    }
    *limit = static_cast<int64_t>(c);
  }
  return overflow;
}

// Runs one SET or INCRBY on `s`; replies the integer or, when OVERFLOW FAIL
// stops it, nil. Returns true if the string was written.
bool ApplyBitfieldWrite(ExecContext& ctx, const BitfieldOp& op, std::string* s) {
  if (op.is_signed) {
    const int64_t oldval = GetSignedBitfield(*s, op.offset, op.bits);
    int64_t newval, retval, limit = 0;
    bool overflow;
    if (op.code == BitfieldOp::kIncrBy) {
      overflow = SignedOverflow(oldval, op.value, op.bits, op.overflow, &limit);
      newval = overflow ? limit
                        : static_cast<int64_t>(static_cast<uint64_t>(oldval) +
                                               static_cast<uint64_t>(op.value));
      retval = newval;
    } else {
      newval = op.value;
      overflow = SignedOverflow(newval, 0, op.bits, op.overflow, &limit);
      if (overflow) newval = limit;
      retval = oldval;
    }
    if (overflow && op.overflow == Overflow::kFail) {
      ctx.reply.Null();
      return false;
    }
    ctx.reply.Integer(retval);
    SetBitfield(s, op.offset, op.bits, static_cast<uint64_t>(newval));
    return true;
  }
  const uint64_t oldval = GetUnsignedBitfield(*s, op.offset, op.bits);
  uint64_t newval, retval, limit = 0;
  bool overflow;
  if (op.code == BitfieldOp::kIncrBy) {
    newval = oldval + static_cast<uint64_t>(op.value);
    overflow = UnsignedOverflow(oldval, op.value, op.bits, op.overflow, &limit);
    if (overflow) newval = limit;
    retval = newval;
  } else {
    newval = static_cast<uint64_t>(op.value);
    overflow = UnsignedOverflow(newval, 0, op.bits, op.overflow, &limit);
    if (overflow) newval = limit;
    retval = oldval;
  }
  if (overflow && op.overflow == Overflow::kFail) {
    ctx.reply.Null();
    return false;
  }
  // Unsigned fields are at most 63 bits, so the value fits an int64.
  ctx.reply.Integer(static_cast<int64_t>(retval));
  SetBitfield(s, op.offset, op.bits, newval);
  return true;
}

void BitfieldGeneric(ExecContext& ctx, bool read_only_command) {
  std::vector<BitfieldOp> ops;
  Overflow overflow = Overflow::kWrap;
  bool read_only = true;
  uint64_t highest_write_offset = 0;
  for (size_t j = 2; j < ctx.argc(); ++j) {
    const size_t remaining = ctx.argc() - j - 1;
    const std::string_view sub = ctx.arg(j);
    BitfieldOp op{};
    if (OptionIs(sub, "get") && remaining >= 2) {
      op.code = BitfieldOp::kGet;
    } else if (OptionIs(sub, "set") && remaining >= 3) {
      op.code = BitfieldOp::kSet;
    } else if (OptionIs(sub, "incrby") && remaining >= 3) {
      op.code = BitfieldOp::kIncrBy;
    } else if (OptionIs(sub, "overflow") && remaining >= 1) {
      const std::string_view type = ctx.arg(++j);
      if (OptionIs(type, "wrap")) {
        overflow = Overflow::kWrap;
      } else if (OptionIs(type, "sat")) {
        overflow = Overflow::kSat;
      } else if (OptionIs(type, "fail")) {
        overflow = Overflow::kFail;
      } else {
        ctx.reply.Error("ERR Invalid OVERFLOW type specified");
        return;
      }
      continue;
    } else {
      ctx.reply.Error(kErrSyntax);
      return;
    }
    if (!ParseBitfieldType(ctx, ctx.arg(j + 1), &op.is_signed, &op.bits)) return;
    if (!ParseBitOffset(ctx, ctx.arg(j + 2), true, op.bits, &op.offset)) return;
    if (op.code != BitfieldOp::kGet) {
      read_only = false;
      highest_write_offset = std::max(highest_write_offset, op.offset + op.bits - 1);
      if (!ParseInt64(ctx.arg(j + 3), &op.value)) {
        ctx.reply.Error(kErrNotInteger);
        return;
      }
    }
    op.overflow = overflow;
    ops.push_back(op);
    j += op.code == BitfieldOp::kGet ? 2 : 3;
  }

  const std::string_view key = ctx.arg(1);
  KeyRecord record;
  bool found;
  if (read_only) {
    const LookupResult r = LookupString(ctx, key, &record);
    if (r == LookupResult::kWrongType) return;
    found = r == LookupResult::kFound;
    if (!found) record.value.clear();
  } else {
    if (read_only_command) {
      ctx.reply.Error("ERR BITFIELD_RO only supports the GET subcommand");
      return;
    }
    const LookupResult r = FindStringForWrite(ctx, key, &record);
    if (r == LookupResult::kWrongType) return;
    found = r == LookupResult::kFound;
  }
  KeyRecord old;
  if (found && !read_only) old = MetaOf(record);
  // Redis grows (or creates) the string up to the farthest bit written before
  // running any operation, even if every write then fails.
  bool dirty = !read_only && !found;
  const size_t needed = static_cast<size_t>(highest_write_offset >> 3) + 1;
  if (!read_only && record.value.size() < needed) {
    record.value.resize(needed, '\0');
    dirty = true;
  }

  ctx.reply.ArrayHeader(ops.size());
  for (const BitfieldOp& op : ops) {
    if (op.code == BitfieldOp::kGet) {
      if (op.is_signed) {
        ctx.reply.Integer(GetSignedBitfield(record.value, op.offset, op.bits));
      } else {
        ctx.reply.Integer(
            static_cast<int64_t>(GetUnsignedBitfield(record.value, op.offset, op.bits)));
      }
    } else if (ApplyBitfieldWrite(ctx, op, &record.value)) {
      dirty = true;
    }
  }
  if (dirty) {
    record.encoding = storage::StringEncoding::kRaw;  // modified in place, as Redis does
    ctx.keyspace().Write(ctx.db(), key, record, found ? &old : nullptr);
  }
}

void BitfieldCommand(ExecContext& ctx) { BitfieldGeneric(ctx, false); }

void BitfieldRoCommand(ExecContext& ctx) { BitfieldGeneric(ctx, true); }

}  // namespace

void RegisterBitCommands(CommandTable* table) {
  constexpr std::string_view kGroup = "bitmap";
  table->Add(
      {"setbit", 4, kWrite | kDenyOom, 1, 1, 1, SetbitCommand, kGroup, "@write @bitmap @slow",
       "Sets or clears the bit at offset in the string value stored at key", "2.2.0", "O(1)"});
  table->Add({"getbit", 3, kReadOnly | kFast, 1, 1, 1, GetbitCommand, kGroup, "@read @bitmap @fast",
              "Returns the bit value at offset in the string value stored at key", "2.2.0",
              "O(1)"});
  table->Add({"bitcount", -2, kReadOnly, 1, 1, 1, BitcountCommand, kGroup, "@read @bitmap @slow",
              "Count set bits in a string", "2.6.0", "O(N)"});
  table->Add({"bitpos", -3, kReadOnly, 1, 1, 1, BitposCommand, kGroup, "@read @bitmap @slow",
              "Find first bit set or clear in a string", "2.8.7", "O(N)"});
  table->Add({"bitop", -4, kWrite | kDenyOom, 2, -1, 1, BitopCommand, kGroup,
              "@write @bitmap @slow", "Perform bitwise operations between strings", "2.6.0",
              "O(N)"});
  table->Add({"bitfield", -2, kWrite | kDenyOom, 1, 1, 1, BitfieldCommand, kGroup,
              "@write @bitmap @slow", "Perform arbitrary bitfield integer operations on strings",
              "3.2.0", "O(1) for each subcommand specified"});
  table->Add({"bitfield_ro", -2, kReadOnly | kFast, 1, 1, 1, BitfieldRoCommand, kGroup,
              "@read @bitmap @fast",
              "Perform arbitrary bitfield integer operations on strings. Read-only variant of "
              "BITFIELD",
              "6.0.0", "O(1) for each subcommand specified"});
}

}  // namespace ringkv::commands

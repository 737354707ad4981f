// Helpers shared by the command groups: Redis's exact number parsing and
// formatting, glob matching, typed key lookup, and the standard error texts.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "commands/context.h"
#include "storage/access_table.h"
#include "storage/record.h"

namespace ringkv::commands {

inline constexpr std::string_view kErrSyntax = "ERR syntax error";
inline constexpr std::string_view kErrWrongType =
    "WRONGTYPE Operation against a key holding the wrong kind of value";
inline constexpr std::string_view kErrNotInteger = "ERR value is not an integer or out of range";
inline constexpr std::string_view kErrNotFloat = "ERR value is not a valid float";
inline constexpr std::string_view kErrOverflow = "ERR increment or decrement would overflow";
inline constexpr std::string_view kErrNoSuchKey = "ERR no such key";
inline constexpr std::string_view kErrDbIndex = "ERR DB index is out of range";
inline constexpr std::string_view kErrNoAuth = "NOAUTH Authentication required.";

// Redis's string2ll: optional '-', no '+', no spaces, no leading zeros, fits int64.
bool ParseInt64(std::string_view s, int64_t* value);
// Redis's string2ld (for INCRBYFLOAT and friends): no spaces, not NaN, finite
// when `allow_inf` is false.
bool ParseLongDouble(std::string_view s, long double* value);
// Redis's getDoubleFromObject: strtod on the whole string, no spaces, not NaN.
bool ParseDouble(std::string_view s, double* value);
// Redis's ld2string in LD_STR_HUMAN mode: "%.17Lf" with trailing zeros (and a
// trailing dot) removed, "-0" printed as "0".
std::string FormatLongDouble(long double value);

// Redis's stringmatchlen (glob with * ? [] \ and a nesting limit so a hostile
// pattern cannot recurse without bound).
bool GlobMatch(std::string_view pattern, std::string_view str, bool nocase = false);

// Rewrites a glob into an equivalent one that GlobMatch evaluates in time
// proportional to the key, not the pattern: runs of '*' collapse and each [...]
// class becomes its sorted, escaped members. Do it once per command, then match
// every key against the result (KEYS, SCAN MATCH, HSCAN MATCH with hostile patterns).
std::string SimplifyGlob(std::string_view pattern);

// A numeric Redis directive ringkv only remembers (CONFIG SET/GET passthrough,
// e.g. hash-max-listpack-entries), by name or its pre-7.0 alias.
int64_t PassthroughInt(const server::Config& config, std::string_view name, std::string_view alias,
                       int64_t fallback);

// Whether argument `i` of a command holds a secret Redis redacts from the slow
// log and MONITOR ("(redacted)"): AUTH's arguments, HELLO's and MIGRATE's AUTH
// (and AUTH2) username and password, and the value of a password directive in
// CONFIG SET.
bool IsRedactedArgument(std::span<const std::string_view> args, size_t i);

// When Redis holds a hash as a listpack: hash-max-listpack-entries and
// hash-max-listpack-value (or their pre-7.0 ziplist aliases), defaulting to
// Redis 7.0.15's values (CONFIG GET on a real server: 512 and 64). Negative
// settings count as 0.
struct ListpackLimits {
  uint64_t max_entries;
  uint64_t max_value;
};
ListpackLimits HashListpackLimits(const server::Config& config);

bool EqualsIgnoreCase(std::string_view a, std::string_view b);

// Redis compares option names with strcasecmp on NUL-terminated strings, so an
// argument such as "NX\0junk" matches "NX": CStr cuts at the first NUL.
std::string_view CStr(std::string_view s);
inline bool OptionIs(std::string_view arg, std::string_view name) {
  return EqualsIgnoreCase(CStr(arg), name);
}

// Reply "ERR wrong number of arguments for 'name' command".
void ReplyWrongArity(ExecContext& ctx, std::string_view name);

// Redis's addReplyHelp: the headline "<NAME> <subcommand> [<arg> [value] [opt]
// ...]. Subcommands are:" (the command name as the client typed it, upper
// cased), `lines`, then HELP's own two lines, all as status replies.
void ReplySubcommandHelp(ExecContext& ctx, std::span<const std::string_view> lines);

enum class LookupResult { kFound, kMissing, kWrongType };

// Finds `key` in the client's db. With `expected` set and a key of another type,
// replies WRONGTYPE and returns kWrongType. Counts keyspace hits and misses.
LookupResult LookupKey(ExecContext& ctx, std::string_view key, storage::KeyRecord* record,
                       const storage::ValueType* expected);
inline LookupResult LookupString(ExecContext& ctx, std::string_view key,
                                 storage::KeyRecord* record) {
  static constexpr storage::ValueType kType = storage::ValueType::kString;
  return LookupKey(ctx, key, record, &kType);
}
inline LookupResult LookupHash(ExecContext& ctx, std::string_view key, storage::KeyRecord* record) {
  static constexpr storage::ValueType kType = storage::ValueType::kHash;
  return LookupKey(ctx, key, record, &kType);
}

// Finds a string key for a write (no keyspace hit/miss counting, as Redis's
// lookupKeyWrite). A missing key leaves `record` as a fresh string record.
// Replies WRONGTYPE for a key of another type.
LookupResult FindStringForWrite(ExecContext& ctx, std::string_view key, storage::KeyRecord* record);

// How keys are touched under `config`'s maxmemory-policy (an LFU policy
// counts accesses, any other stamps them), lfu-log-factor and lfu-decay-time.
storage::AccessPolicy AccessPolicyOf(const server::Config& config);

// Parses a SCAN-style cursor (unsigned 64-bit decimal). Replies "ERR invalid
// cursor" and returns false on bad input.
bool ParseCursor(ExecContext& ctx, std::string_view arg, uint64_t* cursor);

}  // namespace ringkv::commands

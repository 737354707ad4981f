#include "commands/util.h"

#include <algorithm>
#include <bitset>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace ringkv::commands {

bool ParseInt64(std::string_view s, int64_t* value) {
  if (s.empty() || s.size() > 20) return false;
  if (s.size() == 1 && s[0] == '0') {
    *value = 0;
    return true;
  }
  size_t i = 0;
  bool negative = false;
  if (s[0] == '-') {
    negative = true;
    if (++i == s.size()) return false;
  }
  if (s[i] < '1' || s[i] > '9') return false;
  uint64_t v = 0;
  for (; i < s.size(); ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    const uint64_t digit = static_cast<uint64_t>(s[i] - '0');
    if (v > (UINT64_MAX - digit) / 10) return false;
    v = v * 10 + digit;
  }
  if (negative) {
    if (v > static_cast<uint64_t>(INT64_MAX) + 1) return false;
    *value = static_cast<int64_t>(0 - v);
  } else {
    if (v > static_cast<uint64_t>(INT64_MAX)) return false;
    *value = static_cast<int64_t>(v);
  }
  return true;
}

bool ParseLongDouble(std::string_view s, long double* value) {
  // Redis: MAX_LONG_DOUBLE_CHARS is 5k; no leading space; strtold must consume all.
  if (s.empty() || s.size() >= 5 * 1024) return false;
  if (std::isspace(static_cast<unsigned char>(s[0]))) return false;
  std::string buf(s);
  char* end = nullptr;
  errno = 0;
  long double v = std::strtold(buf.c_str(), &end);
  // As Redis's string2ld: ERANGE only matters for overflow (HUGE_VAL) or an
  // underflow to exactly zero; a tiny denormal result is accepted.
  if (end != buf.c_str() + buf.size() || std::isnan(v) ||
      (errno == ERANGE && (v == HUGE_VALL || v == -HUGE_VALL || v == 0))) {
    return false;
  }
  *value = v;
  return true;
}

bool ParseDouble(std::string_view s, double* value) {
  if (s.empty() || s.size() >= 5 * 1024) return false;
  if (std::isspace(static_cast<unsigned char>(s[0]))) return false;
  std::string buf(s);
  char* end = nullptr;
  errno = 0;
  double v = std::strtod(buf.c_str(), &end);
  if (end != buf.c_str() + buf.size() ||
      (errno == ERANGE && (v == HUGE_VAL || v == -HUGE_VAL || v == 0)) || std::isnan(v)) {
    return false;
  }
  *value = v;
  return true;
}

std::string FormatLongDouble(long double value) {
  if (std::isinf(value)) return value > 0 ? "inf" : "-inf";
  char buf[5 * 1024 + 64];
  int len = std::snprintf(buf, sizeof(buf), "%.17Lf", value);
  if (len <= 0 || static_cast<size_t>(len) >= sizeof(buf)) return "0";
  std::string out(buf, len);
  if (out.find('.') != std::string::npos) {
    while (!out.empty() && out.back() == '0') out.pop_back();
    if (!out.empty() && out.back() == '.') out.pop_back();
  }
  if (out == "-0") out = "0";
  return out;
}

namespace {

// Redis 7.0's stringmatchlen_impl: `nesting` bounds recursion on '*'.
bool GlobMatchImpl(const char* pattern, int pattern_len, const char* str, int str_len, bool nocase,
                   bool* skip_longer_matches, int nesting) {
  if (nesting > 1000) return false;
  auto lower = [](char c) {
    return static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  };
  while (pattern_len && str_len) {
    switch (pattern[0]) {
      case '*':
        while (pattern_len && pattern[1] == '*') {
          ++pattern;
          --pattern_len;
        }
        if (pattern_len == 1) return true;
        while (str_len) {
          if (GlobMatchImpl(pattern + 1, pattern_len - 1, str, str_len, nocase, skip_longer_matches,
                            nesting + 1)) {
            return true;
          }
          if (*skip_longer_matches) return false;
          ++str;
          --str_len;
        }
        // No match for the rest of the pattern: longer prefixes cannot match either.
        *skip_longer_matches = true;
        return false;
      case '?':
        ++str;
        --str_len;
        break;
      case '[': {
        ++pattern;
        --pattern_len;
        const bool negate = pattern_len > 0 && pattern[0] == '^';
        if (negate) {
          ++pattern;
          --pattern_len;
        }
        bool match = false;
        while (true) {
          if (pattern_len >= 2 && pattern[0] == '\\') {
            ++pattern;
            --pattern_len;
            if (pattern[0] == str[0]) match = true;
          } else if (pattern_len == 0 || pattern[0] == ']') {
            break;
          } else if (pattern_len >= 3 && pattern[1] == '-') {
            int start = static_cast<unsigned char>(pattern[0]);
            int end = static_cast<unsigned char>(pattern[2]);
            int c = static_cast<unsigned char>(str[0]);
            if (start > end) std::swap(start, end);
            if (nocase) {
              start = std::tolower(start);
              end = std::tolower(end);
              c = std::tolower(c);
            }
            pattern += 2;
            pattern_len -= 2;
            if (c >= start && c <= end) match = true;
          } else if (nocase ? lower(pattern[0]) == lower(str[0]) : pattern[0] == str[0]) {
            match = true;
          }
          ++pattern;
          --pattern_len;
        }
        // Redis leaves `pattern` on the ']' (or past the end) here.
        if (pattern_len == 0) {
          ++pattern_len;  // compensate the decrement below, as Redis does
          --pattern;
        }
        if (negate) match = !match;
        if (!match) return false;
        ++str;
        --str_len;
        break;
      }
      case '\\':
        if (pattern_len >= 2) {
          ++pattern;
          --pattern_len;
        }
        [[fallthrough]];
      default:
        if (nocase ? lower(pattern[0]) != lower(str[0]) : pattern[0] != str[0]) return false;
        ++str;
        --str_len;
        break;
    }
    ++pattern;
    --pattern_len;
    if (str_len == 0) {
      while (pattern_len && *pattern == '*') {
        ++pattern;
        --pattern_len;
      }
      break;
    }
  }
  return pattern_len == 0 && str_len == 0;
}

}  // namespace

bool GlobMatch(std::string_view pattern, std::string_view str, bool nocase) {
  bool skip = false;
  return GlobMatchImpl(pattern.data(), static_cast<int>(pattern.size()), str.data(),
                       static_cast<int>(str.size()), nocase, &skip, 0);
}

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i]))) {
      return false;
    }
  }
  return true;
}

std::string_view CStr(std::string_view s) { return s.substr(0, s.find('\0')); }

LookupResult FindStringForWrite(ExecContext& ctx, std::string_view key,
                                storage::KeyRecord* record) {
  if (!ctx.keyspace().Find(ctx.db(), key, ctx.now_ms, record).ok()) {
    // Find may have decoded an expired record before reporting NotFound.
    *record = storage::KeyRecord();
    return LookupResult::kMissing;
  }
  if (record->type != storage::ValueType::kString) {
    ctx.reply.Error(kErrWrongType);
    return LookupResult::kWrongType;
  }
  return LookupResult::kFound;
}

void ReplyWrongArity(ExecContext& ctx, std::string_view name) {
  std::string msg = "ERR wrong number of arguments for '";
  msg.append(name);
  msg.append("' command");
  ctx.reply.Error(msg);
}

void ReplySubcommandHelp(ExecContext& ctx, std::span<const std::string_view> lines) {
  std::string headline(ctx.arg(0));
  for (char& c : headline) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  headline.append(" <subcommand> [<arg> [value] [opt] ...]. Subcommands are:");
  ctx.reply.ArrayHeader(lines.size() + 3);
  ctx.reply.SimpleString(headline);
  for (std::string_view line : lines) ctx.reply.SimpleString(line);
  ctx.reply.SimpleString("HELP");
  ctx.reply.SimpleString("    Prints this help.");
}

LookupResult LookupKey(ExecContext& ctx, std::string_view key, storage::KeyRecord* record,
                       const storage::ValueType* expected) {
  Status s = ctx.keyspace().Find(ctx.db(), key, ctx.now_ms, record);
  if (!s.ok()) {
    ++ctx.server.stats.keyspace_misses;
    return LookupResult::kMissing;
  }
  // Redis counts the hit before checking the type.
  ++ctx.server.stats.keyspace_hits;
  if (expected != nullptr && record->type != *expected) {
    ctx.reply.Error(kErrWrongType);
    return LookupResult::kWrongType;
  }
  return LookupResult::kFound;
}

bool ParseCursor(ExecContext& ctx, std::string_view arg, uint64_t* cursor) {
  // Redis parses cursors with strtoul: "" is 0, "+5" is 5 and "-1" wraps to the
  // largest cursor; only a leading space, trailing garbage or overflow is invalid.
  std::string buf(arg);
  char* end = nullptr;
  errno = 0;
  const unsigned long long v = std::strtoull(buf.c_str(), &end, 10);
  if ((!buf.empty() && std::isspace(static_cast<unsigned char>(buf[0]))) || *end != '\0' ||
      errno == ERANGE) {
    ctx.reply.Error("ERR invalid cursor");
    return false;
  }
  *cursor = v;
  return true;
}

// Rewrites a glob into an equivalent, usually much shorter one, once per
// command, so a hostile 100 KB pattern costs its length once rather than once
// per key: runs of '*' collapse to one, and each [...] class (which GlobMatch
// rescans for every character it tests) becomes the sorted set of its members,
// each escaped. The class parsing mirrors Redis's stringmatchlen exactly
// (escapes first, then ']', then "a-z" ranges, an unterminated class running to
// the end of the pattern), so GlobMatch answers the same on both forms.
std::string SimplifyGlob(std::string_view p) {
  std::string out;
  out.reserve(std::min<size_t>(p.size(), 1024));
  size_t i = 0;
  const size_t n = p.size();
  while (i < n) {
    const char c = p[i];
    if (c == '*') {
      out.push_back('*');
      while (i < n && p[i] == '*') ++i;
    } else if (c == '\\' && n - i >= 2) {
      out.append(p.substr(i, 2));
      i += 2;
    } else if (c == '[') {
      ++i;
      const bool negate = i < n && p[i] == '^';
      if (negate) ++i;
      std::bitset<256> members;
      while (true) {
        if (n - i >= 2 && p[i] == '\\') {
          ++i;
          members.set(static_cast<unsigned char>(p[i]));
        } else if (i >= n || p[i] == ']') {
          break;
        } else if (n - i >= 3 && p[i + 1] == '-') {
          int start = static_cast<unsigned char>(p[i]);
          int end = static_cast<unsigned char>(p[i + 2]);
          if (start > end) std::swap(start, end);
          for (int m = start; m <= end; ++m) members.set(m);
          i += 2;
        } else {
          members.set(static_cast<unsigned char>(p[i]));
        }
        ++i;
      }
      if (i < n) ++i;  // the closing ']'
      out.push_back('[');
      if (negate) out.push_back('^');
      for (int m = 0; m < 256; ++m) {
        if (!members.test(m)) continue;
        out.push_back('\\');
        out.push_back(static_cast<char>(m));
      }
      out.push_back(']');
    } else {
      out.push_back(c);
      ++i;
    }
  }
  return out;
}

int64_t PassthroughInt(const server::Config& config, std::string_view name, std::string_view alias,
                       int64_t fallback) {
  for (std::string_view n : {name, alias}) {
    if (n.empty()) continue;
    auto it = config.passthrough.find(std::string(n));
    int64_t v;
    if (it != config.passthrough.end() && ParseInt64(it->second, &v)) return v;
  }
  return fallback;
}

bool IsRedactedArgument(std::span<const std::string_view> args, size_t i) {
  if (EqualsIgnoreCase(args[0], "auth")) return i >= 1;
  if (EqualsIgnoreCase(args[0], "hello")) {
    for (size_t j = 2; j < args.size() && j < i; ++j) {
      if (EqualsIgnoreCase(args[j], "auth") && (i == j + 1 || i == j + 2)) return true;
    }
    return false;
  }
  if (EqualsIgnoreCase(args[0], "migrate")) {
    for (size_t j = 6; j < args.size() && j < i; ++j) {
      if (EqualsIgnoreCase(args[j], "keys")) return false;
      if (EqualsIgnoreCase(args[j], "auth") && i == j + 1) return true;
      if (EqualsIgnoreCase(args[j], "auth2") && (i == j + 1 || i == j + 2)) return true;
    }
    return false;
  }
  if (EqualsIgnoreCase(args[0], "config") && args.size() > 1 && EqualsIgnoreCase(args[1], "set")) {
    return i >= 3 && (i - 3) % 2 == 0 &&
           (EqualsIgnoreCase(args[i - 1], "requirepass") ||
            EqualsIgnoreCase(args[i - 1], "masterauth"));
  }
  return false;
}

ListpackLimits HashListpackLimits(const server::Config& config) {
  const int64_t entries =
      PassthroughInt(config, "hash-max-listpack-entries", "hash-max-ziplist-entries", 512);
  const int64_t value =
      PassthroughInt(config, "hash-max-listpack-value", "hash-max-ziplist-value", 64);
  return {static_cast<uint64_t>(std::max<int64_t>(entries, 0)),
          static_cast<uint64_t>(std::max<int64_t>(value, 0))};
}

storage::AccessPolicy AccessPolicyOf(const server::Config& config) {
  storage::AccessPolicy policy;
  auto it = config.passthrough.find("maxmemory-policy");
  policy.lfu = it != config.passthrough.end() && it->second.find("lfu") != std::string::npos;
  policy.lfu_log_factor = PassthroughInt(config, "lfu-log-factor", "", 10);
  policy.lfu_decay_minutes = PassthroughInt(config, "lfu-decay-time", "", 1);
  return policy;
}

}  // namespace ringkv::commands

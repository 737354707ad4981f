// The server group: INFO, CONFIG, DBSIZE, FLUSHDB, FLUSHALL, SWAPDB, TIME,
// LASTSAVE, SHUTDOWN, plus CLIENT (client_commands.cc) and COMMAND
// (command_docs.cc), with Redis 7.0's replies and error texts.
#include <sys/time.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "commands/command.h"
#include "commands/info.h"
#include "commands/util.h"
#include "resp/split_args.h"
#include "server/config.h"

namespace ringkv::commands {

namespace {

using server::ConfigOption;

// True if `value` would leave `option` as it is. Directives ringkv fixes at
// startup (its own, and port and bind, which Redis can change) accept being
// set to the value they have, as a no-op: test suites write back every value
// CONFIG GET * returns. Any other value is refused as immutable.
bool Unchanged(const ConfigOption& option, const server::Config& config, std::string_view value) {
  server::Config copy = config;
  return option.set(copy, {std::string(value)}).empty() && option.get(copy) == option.get(config);
}

// Directives Redis 7.0 refuses to CONFIG SET while enable-protected-configs
// is no (its default, and ringkv's only setting).
bool IsRedisProtected(std::string_view name) { return name == "dir" || name == "dbfilename"; }

// --- CONFIG -----------------------------------------------------------------

// CONFIG GET pattern [pattern ...] (Redis 7.0's configGetCommand): exact names
// are answered under the name as typed, glob patterns under each matching name:
// a directive whose name and alias both match is reported under both, as
// Redis 7.0 does in practice (its check against the main name depends on hash
// order, and it lists both replicaof and slaveof for "*of").
void ConfigGetCommand(ExecContext& ctx) {
  std::vector<std::pair<std::string, const ConfigOption*>> matches;
  auto already = [&matches](std::string_view name) {
    for (const auto& match : matches) {
      if (EqualsIgnoreCase(match.first, name)) return true;
    }
    return false;
  };
  for (size_t i = 2; i < ctx.argc(); ++i) {
    std::string_view pattern = ctx.arg(i);
    if (pattern.find_first_of("[*?") == std::string_view::npos) {
      if (already(pattern)) continue;
      if (const ConfigOption* option = server::FindConfigOption(pattern)) {
        matches.emplace_back(std::string(pattern), option);
      }
      continue;
    }
    for (const ConfigOption& option : server::ConfigOptions()) {
      for (const char* name : {option.name, option.alias}) {
        if (name == nullptr || already(name)) continue;
        if (GlobMatch(pattern, name, /*nocase=*/true)) matches.emplace_back(name, &option);
      }
    }
  }
  ctx.reply.MapHeader(matches.size());
  for (const auto& [name, option] : matches) {
    ctx.reply.Bulk(name);
    ctx.reply.Bulk(option->get(*ctx.server.config));
  }
}

// CONFIG SET name value [name value ...]: all or nothing, as in Redis 7.0. Names
// are checked first (unknown, immutable, duplicate), then values are set in
// order and the earlier ones restored if one fails.
void ConfigSetCommand(ExecContext& ctx) {
  if (ctx.argc() % 2 != 0) {
    ctx.reply.Error(kErrSyntax);
    return;
  }
  const size_t count = (ctx.argc() - 2) / 2;
  std::vector<const ConfigOption*> options(count, nullptr);
  std::string unknown_name, error, error_name;
  bool invalid = false;
  for (size_t i = 0; i < count; ++i) {
    std::string_view name = ctx.arg(2 + 2 * i);
    const ConfigOption* option = server::FindConfigOption(name);
    if (option == nullptr) {
      if (!invalid) {
        unknown_name.assign(name);
        invalid = true;
      }
      continue;
    }
    if (invalid) continue;
    if (IsRedisProtected(option->name)) {
      error = "can't set protected config";
    } else if (option->redis_immutable ||
               (!option->mutable_at_runtime &&
                !Unchanged(*option, *ctx.server.config, ctx.arg(3 + 2 * i)))) {
      error = "can't set immutable config";
    } else {
      for (size_t j = 0; j < i; ++j) {
        if (options[j] == option) error = "duplicate parameter";
      }
    }
    if (!error.empty()) {
      error_name.assign(name);
      invalid = true;
      continue;
    }
    options[i] = option;
  }
  if (!unknown_name.empty()) {
    ctx.reply.Error("ERR Unknown option or number of arguments for CONFIG SET - '" + unknown_name +
                    "'");
    return;
  }
  if (invalid) {
    ctx.reply.Error("ERR CONFIG SET failed (possibly related to argument '" + error_name + "') - " +
                    error);
    return;
  }
  server::Config& config = *ctx.server.config;
  std::vector<std::string> old_values;
  for (const ConfigOption* option : options) old_values.push_back(option->get(config));
  for (size_t i = 0; i < count; ++i) {
    std::string value(ctx.arg(3 + 2 * i));
    // Redis accepts any hz in [0, INT_MAX] and clamps it to 1..500.
    int64_t hz;
    if (std::string_view(options[i]->name) == "hz" && ParseInt64(value, &hz) && hz >= 0 &&
        hz <= INT_MAX) {
      value = std::to_string(std::clamp<int64_t>(hz, 1, 500));
    }
    std::string failure = options[i]->set(config, {value});
    if (!failure.empty()) {
      for (size_t j = 0; j < i; ++j) options[j]->set(config, {old_values[j]});
      ctx.reply.Error("ERR CONFIG SET failed (possibly related to argument '" +
                      std::string(options[i]->name) + "') - " + failure);
      return;
    }
  }
  // The engine reads its fsync policy from its own copy, the keyspace its
  // access policy.
  ctx.keyspace().engine()->set_sync_mode(config.appendfsync);
  ctx.keyspace().set_access_policy(AccessPolicyOf(config));
  ctx.reply.Ok();
}

void ConfigResetStatCommand(ExecContext& ctx) {
  ResetInfoStats(ctx.server);
  ctx.reply.Ok();
}

// Directives whose value is several words written unquoted on one line.
bool IsMultiWordDirective(std::string_view name) {
  return name == "bind" || name == "save" || name == "client-output-buffer-limit";
}

// A value as redis.conf needs it: quoted when empty or when it holds spaces,
// quotes or control characters.
std::string ConfigValueText(std::string_view name, const std::string& value) {
  if (IsMultiWordDirective(name) && !value.empty()) return value;
  bool plain = !value.empty();
  for (unsigned char c : value) {
    if (c <= ' ' || c == '"' || c == '\'' || c == '\\' || c >= 0x7f) plain = false;
  }
  if (plain) return value;
  std::string out = "\"";
  for (unsigned char c : value) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\r') {
      out += "\\r";
    } else if (c == '\t') {
      out += "\\t";
    } else if (c < ' ' || c >= 0x7f) {
      char hex[8];
      std::snprintf(hex, sizeof(hex), "\\x%02x", c);
      out += hex;
    } else {
      out += static_cast<char>(c);
    }
  }
  return out + "\"";
}

// CONFIG REWRITE: keeps the file's comments and layout, replaces each known
// directive's first line with its current value (dropping repeats), and appends
// the directives that differ from their defaults and were not in the file.
void ConfigRewriteCommand(ExecContext& ctx) {
  const std::string& path =
      !ctx.server.config_file.empty() ? ctx.server.config_file : ctx.server.config->config_file;
  if (path.empty()) {
    ctx.reply.Error("ERR The server is running without a config file");
    return;
  }
  const server::Config& config = *ctx.server.config;
  const server::Config defaults;
  std::ifstream in(path);
  std::vector<std::string> lines;
  std::set<const ConfigOption*> written;
  std::string line;
  while (std::getline(in, line)) {
    std::vector<std::string> words;
    const size_t first = line.find_first_not_of(" \t\r");
    if (first != std::string::npos && line[first] != '#' && resp::SplitArgs(line, &words) &&
        !words.empty()) {
      if (const ConfigOption* option = server::FindConfigOption(words[0])) {
        if (!written.insert(option).second) continue;
        line = std::string(option->name) + " " + ConfigValueText(option->name, option->get(config));
      }
    }
    lines.push_back(line);
  }
  bool header = false;
  for (const ConfigOption& option : server::ConfigOptions()) {
    if (written.count(&option) > 0) continue;
    const std::string value = option.get(config);
    if (value == option.get(defaults)) continue;
    if (!header) {
      lines.push_back("# Generated by CONFIG REWRITE");
      header = true;
    }
    lines.push_back(std::string(option.name) + " " + ConfigValueText(option.name, value));
  }
  // Write a temporary file and rename it over the old one, so a crash never
  // leaves a half-written config.
  const std::string tmp = path + ".tmp-rewrite";
  std::ofstream out(tmp, std::ios::trunc);
  for (const auto& l : lines) out << l << "\n";
  out.close();
  if (!out || std::rename(tmp.c_str(), path.c_str()) != 0) {
    const std::string reason = std::strerror(errno);
    std::remove(tmp.c_str());
    ctx.reply.Error("ERR Rewriting config file: " + reason);
    return;
  }
  ctx.reply.Ok();
}

void ConfigHelpCommand(ExecContext& ctx) {
  static constexpr std::string_view kHelp[] = {
      "GET <pattern>",
      "    Return parameters matching the glob-like <pattern> and their values.",
      "SET <directive> <value>",
      "    Set the configuration <directive> to <value>.",
      "RESETSTAT",
      "    Reset statistics reported by the INFO command.",
      "REWRITE",
      "    Rewrite the configuration file.",
  };
  ReplySubcommandHelp(ctx, kHelp);
}

// --- Keyspace-wide commands -------------------------------------------------

void DbSizeCommand(ExecContext& ctx) {
  ctx.reply.Integer(static_cast<int64_t>(ctx.keyspace().Stats(ctx.db()).keys));
}

// FLUSHDB / FLUSHALL accept one optional ASYNC or SYNC; both are O(1) here.
bool ParseFlushMode(ExecContext& ctx) {
  if (ctx.argc() == 1) return true;
  if (ctx.argc() == 2 &&
      (EqualsIgnoreCase(ctx.arg(1), "async") || EqualsIgnoreCase(ctx.arg(1), "sync"))) {
    return true;
  }
  ctx.reply.Error(kErrSyntax);
  return false;
}

// Redis flags only the WATCHers of keys that existed in the flushed db.
void TouchIfNotEmpty(ExecContext& ctx, int db) {
  if (ctx.keyspace().Stats(db).keys == 0 || ctx.server.watches.empty()) return;
  ctx.server.watches.TouchDbKeys(
      db, [&](std::string_view key) { return ctx.keyspace().ExistsRaw(db, key); });
}

void FlushDbCommand(ExecContext& ctx) {
  if (!ParseFlushMode(ctx)) return;
  TouchIfNotEmpty(ctx, ctx.db());
  ctx.keyspace().FlushDb(ctx.db());
  ctx.reply.Ok();
}

void FlushAllCommand(ExecContext& ctx) {
  if (!ParseFlushMode(ctx)) return;
  for (int db = 0; db < ctx.keyspace().num_databases(); ++db) TouchIfNotEmpty(ctx, db);
  ctx.keyspace().FlushAll();
  ctx.reply.Ok();
}

void SwapDbCommand(ExecContext& ctx) {
  int64_t a, b;
  if (!ParseInt64(ctx.arg(1), &a) || a < INT_MIN || a > INT_MAX) {
    ctx.reply.Error("ERR invalid first DB index");
    return;
  }
  if (!ParseInt64(ctx.arg(2), &b) || b < INT_MIN || b > INT_MAX) {
    ctx.reply.Error("ERR invalid second DB index");
    return;
  }
  const int dbs = ctx.keyspace().num_databases();
  if (a < 0 || a >= dbs || b < 0 || b >= dbs) {
    ctx.reply.Error(kErrDbIndex);
    return;
  }
  if (a != b) {
    // A key watched in either db reads differently if it exists in either.
    if (!ctx.server.watches.empty()) {
      const int da = static_cast<int>(a), dbb = static_cast<int>(b);
      // An expired key is no key: the watched ones are expired first (which
      // flags their own watchers, as any lazy expiry does), so that a stale
      // key swapped in or out changes nothing, as in Redis 7.0.
      storage::KeyRecord record;
      for (int db : {da, dbb}) {
        for (const std::string& key : ctx.server.watches.KeysWatchedIn(db)) {
          ctx.keyspace().Find(da, key, ctx.now_ms, &record);
          ctx.keyspace().Find(dbb, key, ctx.now_ms, &record);
        }
      }
      auto in_either = [&](std::string_view key) {
        return ctx.keyspace().ExistsRaw(da, key) || ctx.keyspace().ExistsRaw(dbb, key);
      };
      ctx.server.watches.TouchDbKeys(da, in_either);
      ctx.server.watches.TouchDbKeys(dbb, in_either);
    }
    ctx.keyspace().SwapDb(static_cast<int>(a), static_cast<int>(b));
  }
  ctx.reply.Ok();
}

// --- Time and lifecycle -----------------------------------------------------

void TimeCommand(ExecContext& ctx) {
  timeval tv;
  gettimeofday(&tv, nullptr);
  ctx.reply.ArrayHeader(2);
  ctx.reply.Bulk(std::to_string(tv.tv_sec));
  ctx.reply.Bulk(std::to_string(tv.tv_usec));
}

// ROLE: a Redis master with no replicas and replication offset 0, which is
// what a ringkv node is in Redis's replication terms (the ring replicates
// by its own protocol; RING.PREFLIST names a key's replicas).
void RoleCommand(ExecContext& ctx) {
  ctx.reply.ArrayHeader(3);
  ctx.reply.Bulk("master");
  ctx.reply.Integer(0);
  ctx.reply.ArrayHeader(0);
}

void LastSaveCommand(ExecContext& ctx) { ctx.reply.Integer(ctx.server.last_save_ms / 1000); }

// Every acknowledged write is already durable in the commit journal, so a save
// (and an append only file rewrite) is a checkpoint: the rows still only in the
// journal are written under their own LevelDB keys, leaving no journal to
// replay at the next start. False, with the error replied, if it fails.
bool Checkpoint(ExecContext& ctx) {
  Status s = ctx.keyspace().Checkpoint();
  if (!s.ok()) ctx.reply.Error("ERR " + s.ToString());
  return s.ok();
}

bool Save(ExecContext& ctx) {
  if (!Checkpoint(ctx)) return false;
  ctx.server.last_save_ms = ctx.now_ms;
  ++ctx.server.saves;
  return true;
}

void SaveCommand(ExecContext& ctx) {
  if (Save(ctx)) ctx.reply.Ok();
}

// The commit journal is ringkv's append only file: rewriting it is emptying it
// into LevelDB, done before the reply.
void BgrewriteaofCommand(ExecContext& ctx) {
  if (!Checkpoint(ctx)) return;
  ++ctx.server.aof_rewrites;
  ctx.reply.SimpleString("Background append only file rewriting started");
}

// BGSAVE [SCHEDULE]: the checkpoint is done before the reply, so it is never
// still in progress when a client asks.
void BgsaveCommand(ExecContext& ctx) {
  if (ctx.argc() > 2 || (ctx.argc() == 2 && !OptionIs(ctx.arg(1), "schedule"))) {
    ctx.reply.Error(kErrSyntax);
    return;
  }
  if (Save(ctx)) ctx.reply.SimpleString("Background saving started");
}

// SHUTDOWN [NOSAVE|SAVE] [NOW] [FORCE] [ABORT]. Data is already durable, so the
// save options change nothing. Like Redis, success sends no reply: the server
// closes every connection as it stops.
void ShutdownCommand(ExecContext& ctx) {
  bool nosave = false, save = false, other = false, abort = false;
  for (size_t i = 1; i < ctx.argc(); ++i) {
    std::string_view arg = ctx.arg(i);
    if (EqualsIgnoreCase(arg, "nosave")) {
      nosave = true;
    } else if (EqualsIgnoreCase(arg, "save")) {
      save = true;
    } else if (EqualsIgnoreCase(arg, "now") || EqualsIgnoreCase(arg, "force")) {
      other = true;
    } else if (EqualsIgnoreCase(arg, "abort")) {
      abort = true;
    } else {
      ctx.reply.Error(kErrSyntax);
      return;
    }
  }
  if ((abort && (nosave || save || other)) || (nosave && save)) {
    ctx.reply.Error(kErrSyntax);
    return;
  }
  if (abort) {
    ctx.reply.Error("ERR No shutdown in progress.");
    return;
  }
  ctx.server.shutdown_requested = true;
}

}  // namespace

void RegisterServerCommands(CommandTable* table) {
  constexpr std::string_view kGroup = "server";
  constexpr uint32_t kAdminFlags = kAdmin | kNoScript | kLoading | kStale;
  constexpr std::string_view kAdminCats = "@admin @slow @dangerous";
  table->Add({"info", -1, kLoading | kStale, 0, 0, 0, InfoCommand, kGroup, "@slow @dangerous",
              "Get information and statistics about the server", "1.0.0", "O(1)"});
  table->Add({"config", -2, 0, 0, 0, 0, nullptr, kGroup, "@slow",
              "A container for server configuration commands", "2.0.0", "Depends on subcommand."});
  table->Add({"config|get", -3, kAdminFlags, 0, 0, 0, ConfigGetCommand, kGroup, kAdminCats,
              "Get the values of configuration parameters", "2.0.0",
              "O(N) when N is the number of configuration parameters provided"});
  table->Add({"config|set", -4, kAdminFlags, 0, 0, 0, ConfigSetCommand, kGroup, kAdminCats,
              "Set configuration parameters to the given values", "2.0.0",
              "O(N) when N is the number of configuration parameters provided"});
  table->Add({"config|resetstat", 2, kAdminFlags, 0, 0, 0, ConfigResetStatCommand, kGroup,
              kAdminCats, "Reset the stats returned by INFO", "2.0.0", "O(1)"});
  table->Add({"config|rewrite", 2, kAdminFlags, 0, 0, 0, ConfigRewriteCommand, kGroup, kAdminCats,
              "Rewrite the configuration file with the in memory configuration", "2.8.0", "O(1)"});
  table->Add({"config|help", 2, kLoading | kStale, 0, 0, 0, ConfigHelpCommand, kGroup, "@slow",
              "Show helpful text about the different subcommands", "5.0.0", "O(1)"});
  table->Add({"dbsize", 1, kReadOnly | kFast | kClusterWide, 0, 0, 0, DbSizeCommand, kGroup,
              "@keyspace @read @fast", "Return the number of keys in the selected database",
              "1.0.0", "O(1)"});
  table->Add({"flushdb", -1, kWrite | kClusterWide, 0, 0, 0, FlushDbCommand, kGroup,
              "@keyspace @write @slow @dangerous", "Remove all keys from the current database",
              "1.0.0", "O(N) where N is the number of keys in the selected database"});
  table->Add({"flushall", -1, kWrite | kClusterWide, 0, 0, 0, FlushAllCommand, kGroup,
              "@keyspace @write @slow @dangerous", "Remove all keys from all databases", "1.0.0",
              "O(N) where N is the total number of keys in all databases"});
  table->Add({"swapdb", 3, kWrite | kFast | kNoCluster | kNoTouch, 0, 0, 0, SwapDbCommand, kGroup,
              "@keyspace @write @fast @dangerous", "Swaps two Redis databases", "4.0.0",
              "O(N) where N is the count of clients watching or blocking on keys from both "
              "databases."});
  table->Add({"time", 1, kLoading | kStale | kFast, 0, 0, 0, TimeCommand, kGroup, "@fast",
              "Return the current server time", "2.6.0", "O(1)"});
  table->Add({"role", 1, kNoScript | kLoading | kStale | kFast, 0, 0, 0, RoleCommand, kGroup,
              "@admin @fast @dangerous",
              "Return the role of the instance in the context of replication", "2.8.12", "O(1)"});
  table->Add({"lastsave", 1, kLoading | kStale | kFast, 0, 0, 0, LastSaveCommand, kGroup,
              "@admin @fast @dangerous",
              "Get the UNIX time stamp of the last successful save to disk", "1.0.0", "O(1)"});
  table->Add({"save", 1, kAdmin | kNoScript | kNoMulti, 0, 0, 0, SaveCommand, kGroup, kAdminCats,
              "Synchronously save the dataset to disk", "1.0.0",
              "O(N) where N is the total number of keys in all databases"});
  table->Add({"bgsave", -1, kAdmin | kNoScript, 0, 0, 0, BgsaveCommand, kGroup, kAdminCats,
              "Asynchronously save the dataset to disk", "1.0.0", "O(1)"});
  table->Add({"bgrewriteaof", 1, kAdmin | kNoScript, 0, 0, 0, BgrewriteaofCommand, kGroup,
              kAdminCats, "Asynchronously rewrite the append-only file", "1.0.0", "O(1)"});
  table->Add({"shutdown", -1, kAdmin | kNoScript | kLoading | kStale | kNoMulti | kAllowBusy, 0, 0,
              0, ShutdownCommand, kGroup, kAdminCats,
              "Synchronously save the dataset to disk and then shut down the server", "1.0.0",
              "O(N) when saving, where N is the total number of keys in all databases when "
              "saving data, otherwise O(1)"});
  RegisterClientCommands(table);
  RegisterCommandCommands(table);
}

}  // namespace ringkv::commands

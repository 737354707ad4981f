// The command table: every command is a row of data (name, arity, flags, key
// positions, handler, docs). The dispatcher checks arity, authentication and
// MULTI queueing from the row, so handlers only implement behaviour.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace ringkv::commands {

class ExecContext;
using Handler = void (*)(ExecContext& ctx);

// Redis command flags (as COMMAND INFO reports them).
enum CommandFlag : uint32_t {
  kWrite = 1u << 0,
  kReadOnly = 1u << 1,
  kDenyOom = 1u << 2,
  kAdmin = 1u << 3,
  kPubSub = 1u << 4,
  kNoScript = 1u << 5,
  kBlocking = 1u << 6,
  kLoading = 1u << 7,
  kStale = 1u << 8,
  kSkipMonitor = 1u << 9,
  kSkipSlowlog = 1u << 10,
  kFast = 1u << 11,
  kNoAuth = 1u << 12,
  kMayReplicate = 1u << 13,
  kNoMulti = 1u << 14,
  kAllowBusy = 1u << 15,
  // Not a Redis flag: executes immediately even inside MULTI (EXEC, DISCARD, ...).
  kNoQueue = 1u << 16,
  // Not a Redis flag: on a ring, runs on the node that received it instead of
  // going to its keys' replicas (RING.LOCAL, RING.PREFLIST).
  kNoRoute = 1u << 17,
  // Not a Redis flag: refused on a ring, whose replicas cannot give it its
  // single-node meaning (MULTI, WATCH, MOVE, SWAPDB); the README says why.
  kNoCluster = 1u << 18,
  // Not a Redis flag: on a ring, acts on the whole cluster's keyspace rather
  // than one key's replicas (KEYS, SCAN, DBSIZE, RANDOMKEY, FLUSHDB, FLUSHALL);
  // the router runs it.
  kClusterWide = 1u << 19,
  // Not a Redis flag: looks keys up without touching them (Redis's
  // LOOKUP_NOTOUCH: TYPE, TTL, EXISTS, OBJECT, ...), so they keep their
  // access time (OBJECT IDLETIME) and frequency.
  kNoTouch = 1u << 20,
};

// Argument documentation for COMMAND DOCS (a flat subset of Redis's schema).
struct ArgDoc {
  std::string_view name = {};
  std::string_view type =
      {};  // "key", "string", "integer", "double", "pure-token", "oneof", "block"
  std::string_view token = {};  // literal token, e.g. "EX", or empty
  bool optional = false;
  bool multiple = false;
};

struct CommandSpec {
  std::string_view name;  // lower case; subcommands are "parent|sub"
  int arity;              // > 0: exact argc; < 0: at least -arity (name included)
  uint32_t flags;
  int first_key;  // 0 when the command takes no keys
  int last_key;   // -1 means the last argument
  int key_step;
  Handler handler;
  std::string_view group;           // "string", "generic", "hash", "bitmap", "connection", ...
  std::string_view acl_categories;  // space-separated, e.g. "@write @string @slow"
  std::string_view summary;
  std::string_view since;
  std::string_view complexity;
  // COMMAND DOCS arguments of a command Redis 7.0 lacks (RING.*, CLIENT
  // SETINFO); the others answer Redis's own entry (redis_docs.h).
  std::vector<ArgDoc> arguments = {};
  // Hash field arguments, as first/last/step like the key positions (0: the
  // command reads or writes the hash as a whole, or is no hash command). Set
  // with CommandTable::SetFieldPositions. The cluster ships only these fields
  // of the key between replicas.
  int first_field = 0;
  int last_field = 0;
  int field_step = 0;
  // Set by CommandTable: the command is a container of "name|sub" commands.
  bool has_subcommands = false;
};

class CommandTable {
 public:
  // Registers a command; subcommands are registered under "parent|sub".
  void Add(CommandSpec spec);

  // Case-insensitive lookup of a top-level command; nullptr if unknown.
  const CommandSpec* Find(std::string_view name) const;
  // Case-insensitive lookup of "parent|sub"; nullptr if unknown.
  const CommandSpec* FindSubcommand(std::string_view parent, std::string_view sub) const;
  // True if `parent` has registered subcommands.
  bool HasSubcommands(std::string_view parent) const;
  static bool HasSubcommands(const CommandSpec& spec) { return spec.has_subcommands; }
  std::vector<const CommandSpec*> Subcommands(std::string_view parent) const;

  // All top-level commands, in registration order.
  const std::vector<const CommandSpec*>& commands() const { return top_level_; }

  // Positions of key arguments in argv according to spec (COMMAND GETKEYS).
  static std::vector<int> KeyPositions(const CommandSpec& spec, int argc);

  // Declares which arguments of a registered command are hash fields (`last`
  // < 0 counts from the end, as for keys).
  void SetFieldPositions(std::string_view name, int first, int last, int step);
  // Positions of hash field arguments in argv; empty if the command names none.
  static std::vector<int> FieldPositions(const CommandSpec& spec, int argc);

 private:
  std::vector<std::unique_ptr<CommandSpec>> storage_;
  std::unordered_map<std::string, const CommandSpec*> by_name_;
  std::vector<const CommandSpec*> top_level_;
  std::unordered_map<std::string, std::vector<const CommandSpec*>> subcommands_;
};

// The table with every ringkv command registered (built once).
const CommandTable& Commands();

// Per-group registration; each lives in the group's file.
void RegisterConnectionCommands(CommandTable* table);
void RegisterServerCommands(CommandTable* table);
void RegisterStringCommands(CommandTable* table);
void RegisterBitCommands(CommandTable* table);
void RegisterKeyCommands(CommandTable* table);
void RegisterDumpCommands(CommandTable* table);
void RegisterHashCommands(CommandTable* table);
void RegisterTransactionCommands(CommandTable* table);
void RegisterDebugCommands(CommandTable* table);
void RegisterMemoryCommands(CommandTable* table);
void RegisterSlowlogCommands(CommandTable* table);

class ExecContext;
struct ServerContext;
struct ClientState;
// Logs the command `ctx` ran, which took `micros` (at least
// slowlog-log-slower-than: Execute checks), in SLOWLOG unless its flags say not to.
void RecordSlowCommand(ExecContext& ctx, const CommandSpec& spec, uint64_t micros);
// Sends `args`, as `client` ran them in database `db`, to the MONITOR clients
// (monitor_commands.cc); the caller checks ServerContext::monitors first.
void FeedMonitors(ServerContext& server, const ClientState& client, int db,
                  std::span<const std::string_view> args);
void RegisterMonitorCommands(CommandTable* table);
// Redis's latencyAddSampleIfNeeded: records `ms` for `event` ("command",
// "fast-command", "expire-cycle") when latency-monitor-threshold is set and
// reached (latency_commands.cc).
void AddLatencySampleIfNeeded(ServerContext& server, std::string_view event, uint64_t ms,
                              int64_t now_ms);
void RegisterLatencyCommands(CommandTable* table);
void RegisterRingCommands(CommandTable* table);

}  // namespace ringkv::commands

// What a command handler sees: its arguments, its client's state, the server's
// shared state and a reply builder. Nothing here knows about sockets; the net
// layer implements ClientRegistry.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "commands/command.h"
#include "commands/latency_monitor.h"
#include "resp/reply_builder.h"
#include "server/config.h"
#include "storage/keyspace.h"

namespace ringkv::commands {

// Per-connection state that commands read and change.
struct ClientState {
  uint64_t id = 0;
  int db = 0;
  int protocol = 2;
  bool authenticated = false;
  std::string name;
  std::string lib_name;
  std::string lib_ver;
  std::string addr;   // "ip:port" of the peer
  std::string laddr;  // "ip:port" of our end
  int fd = -1;
  int64_t created_ms = 0;
  int64_t last_interaction_ms = 0;
  // The name of the last command's CommandSpec, which lives as long as the
  // process (the command table is built once).
  std::string_view last_command;
  // Filled in by the net layer for CLIENT LIST: the query buffer's read window
  // and its free space (Redis's qbuf and qbuf-free), pending output bytes.
  size_t query_buffer_bytes = 0;
  size_t query_buffer_free = 0;
  size_t output_buffer_bytes = 0;

  // MULTI/EXEC.
  bool in_multi = false;
  bool multi_aborted = false;  // a command failed to queue: EXEC answers EXECABORT
  std::vector<std::vector<std::string>> queued;
  bool watch_dirty = false;  // a WATCHed key changed: EXEC answers nil
  bool in_exec = false;      // EXEC is running the queued commands
  std::vector<std::pair<int, std::string>> watched;

  // Commands handed to the ring's router so far (the sequence numbers of
  // ClientRegistry::DeliverReply).
  uint64_t routed_commands = 0;

  // Set by QUIT, CLIENT KILL, protocol errors: close once replies are written.
  bool close_after_reply = false;

  // MONITOR: the client receives a line per command any client runs, and may
  // no longer touch the keyspace itself (RESET ends it).
  bool monitor = false;

  // CLIENT REPLY: OFF drops every reply; SKIP drops the next command's reply
  // (reply_skip_next becomes reply_skip once CLIENT REPLY SKIP itself is done).
  bool reply_off = false;
  bool reply_skip = false;
  bool reply_skip_next = false;
};

// Connection bookkeeping the net layer owns.
class ClientRegistry {
 public:
  virtual ~ClientRegistry() = default;
  // Visits every client, its buffer figures (query_buffer_bytes, ...) first
  // brought up to date.
  virtual void ForEachClient(const std::function<void(const ClientState&)>& visit) = 0;
  // Brings one client's buffer figures up to date (CLIENT INFO).
  virtual void RefreshClient(uint64_t id) = 0;
  // Marks a client for closing once its pending replies are written.
  virtual bool KillClient(uint64_t id) = 0;
  virtual size_t NumClients() const = 0;
  // Hands over the reply of the client's `seq`-th routed command (counted by
  // ClientState::routed_commands), which the router finished later. Replies
  // reach the client in command order whatever order they finish in. A client
  // that has gone away is ignored.
  virtual void DeliverReply(uint64_t client_id, uint64_t seq, std::string_view reply) = 0;
  // Adds a client to, or removes it from, the MONITOR clients (keeping
  // ServerContext::monitors and ClientState::monitor up to date).
  virtual void SetMonitor(uint64_t client_id, bool on) = 0;
  // Appends an encoded MONITOR line to every MONITOR client's output.
  virtual void FeedMonitors(std::string_view line) = 0;
};

// Blocking connections to other Redis-protocol servers for MIGRATE, cached
// per host:port as Redis caches them (migrateGetSocket): Redis blocks its
// event loop on MIGRATE's I/O, bounded by the command's timeout, and so does
// ringkv. The net layer implements it; every call names the target.
class MigrateLinks {
 public:
  virtual ~MigrateLinks() = default;
  // A connection to host:port, cached or new (connected within
  // `timeout_ms`). False if it cannot connect. *last_db is the database the
  // connection last selected, or -1.
  virtual bool Connect(std::string_view host, std::string_view port, int64_t timeout_ms,
                       int64_t* last_db) = 0;
  // Writes all of `bytes`, each chunk within `timeout_ms`; false on error or
  // timeout (*timed_out tells which).
  virtual bool Write(std::string_view host, std::string_view port, std::string_view bytes,
                     int64_t timeout_ms, bool* timed_out) = 0;
  // Reads one line, without its CRLF, within `timeout_ms` (Redis's
  // connSyncReadLine, lines of at most 1 KB); false on error or timeout.
  virtual bool ReadLine(std::string_view host, std::string_view port, int64_t timeout_ms,
                        std::string* line, bool* timed_out) = 0;
  virtual void SetLastDb(std::string_view host, std::string_view port, int64_t db) = 0;
  // Closes the cached connection, if any.
  virtual void Close(std::string_view host, std::string_view port) = 0;
};

// Which clients WATCH which (db, key), so a write can flag them.
class WatchRegistry {
 public:
  void Watch(ClientState* client, int db, std::string_view key);
  void UnwatchAll(ClientState* client);
  // Flags every client watching (db, key).
  void Touch(int db, std::string_view key);
  // Flags the clients watching a key of `db` for which `changed(key)` is true
  // (FLUSHDB and SWAPDB flag only keys that existed, as Redis's
  // touchAllWatchedKeysInDb does).
  void TouchDbKeys(int db, const std::function<bool(std::string_view key)>& changed);
  void TouchAll();
  // The keys of `db` some client watches.
  std::vector<std::string> KeysWatchedIn(int db) const;
  bool empty() const { return watchers_.empty(); }

 private:
  std::map<std::pair<int, std::string>, std::set<ClientState*>, std::less<>> watchers_;
};

// Runs keyed commands where their keys live when this node is part of a ring
// (src/cluster's Coordinator implements it). Commands themselves never learn
// where replicas are: the dispatcher hands every keyed command to the router,
// which executes it through Execute() on whichever replica coordinates it.
class KeyRouter {
 public:
  virtual ~KeyRouter() = default;
  // Takes over a validated keyed command of client `client_id` in database
  // `db` that speaks RESP `protocol`. `done` receives the encoded reply
  // exactly once, possibly before Route returns, and only after the writes it
  // acknowledges are in this node's log. A client may have several commands
  // in flight: the router applies one client's commands to each replica in the
  // order they were routed.
  virtual void Route(uint64_t client_id, int db, int protocol,
                     std::span<const std::string_view> args,
                     std::function<void(std::string reply)> done) = 0;
  // The replicas of `key`, primary first (RING.PREFLIST).
  virtual std::vector<std::string> PreferenceList(std::string_view key) const = 0;
  // Ring membership as this node sees it, for INFO.
  virtual size_t NumMembers() const = 0;
  virtual size_t NumAlive() const = 0;
  // Appends extra `# Ring` lines (coordinator counters).
  virtual void AppendInfo(std::string* out) const = 0;
};

// Counters behind INFO stats.
struct Stats {
  Stats() = default;
  // Not copyable: a copy would share ForCommand's remembered entry.
  Stats(const Stats&) = delete;
  Stats& operator=(const Stats&) = delete;
  Stats(Stats&&) = default;
  Stats& operator=(Stats&&) = default;

  uint64_t total_connections_received = 0;
  uint64_t total_commands_processed = 0;
  uint64_t rejected_connections = 0;
  uint64_t total_net_input_bytes = 0;
  uint64_t total_net_output_bytes = 0;
  uint64_t keyspace_hits = 0;
  uint64_t keyspace_misses = 0;
  uint64_t expired_keys = 0;
  uint64_t total_error_replies = 0;
  uint64_t unexpected_error_replies = 0;
  uint64_t client_output_limit_disconnections = 0;
  uint64_t client_query_buffer_limit_disconnections = 0;
  uint64_t protocol_errors = 0;
  // Times the loop waited for the commit in flight because too many rows were
  // staged behind it (INFO leveldb_backpressure_waits).
  uint64_t commit_backpressure_waits = 0;
  struct CommandStats {
    uint64_t calls = 0;
    uint64_t usec = 0;
    uint64_t rejected_calls = 0;
    uint64_t failed_calls = 0;
    // Every call's duration (latency-tracking), made at the first one.
    std::unique_ptr<LatencyHistogram> latency;
  };
  std::map<std::string, CommandStats, std::less<>> commands;
  std::map<std::string, uint64_t, std::less<>> errors;  // by error prefix, e.g. "ERR"

  // The entry of `commands` for a command name, created if missing. The
  // entry last returned is remembered, keyed by the address of the name (a
  // CommandSpec's, which lives as long as the process): clients repeat
  // commands, and a map lookup per command showed in profiles. Map nodes stay
  // put until the map is destroyed, and replacing the Stats (CONFIG
  // RESETSTAT) forgets the entry with the map.
  CommandStats& ForCommand(std::string_view name) {
    if (name.data() != last_command_name_.data() || name.size() != last_command_name_.size()) {
      auto it = commands.find(name);
      if (it == commands.end()) it = commands.emplace(std::string(name), CommandStats{}).first;
      last_command_name_ = name;
      last_command_stats_ = &it->second;
    }
    return *last_command_stats_;
  }

 private:
  std::string_view last_command_name_;
  CommandStats* last_command_stats_ = nullptr;
};

// SLOWLOG: the commands that ran longer than slowlog-log-slower-than, newest
// first, at most slowlog-max-len of them.
struct SlowLog {
  struct Entry {
    uint64_t id;
    int64_t unix_seconds;
    uint64_t micros;
    std::vector<std::string> args;  // trimmed as Redis trims them
    std::string client_addr;
    std::string client_name;
  };
  std::deque<Entry> entries;
  uint64_t next_id = 0;
};

// State shared by every command on this server.
struct ServerContext {
  server::Config* config = nullptr;
  storage::Keyspace* keyspace = nullptr;
  ClientRegistry* clients = nullptr;
  MigrateLinks* migrate = nullptr;  // null: MIGRATE cannot connect anywhere
  // Set when the node has peers (`seeds`); null on a one-node ring, where
  // every command runs here.
  KeyRouter* router = nullptr;
  WatchRegistry watches;
  Stats stats;
  SlowLog slowlog;
  // LATENCY: the event classes seen at or above latency-monitor-threshold.
  std::map<std::string, LatencySeries, std::less<>> latency_events;
  std::string run_id;
  int64_t start_time_ms = 0;
  // The last SAVE or BGSAVE (else the start) and how many there were: INFO
  // persistence and LASTSAVE.
  int64_t last_save_ms = 0;
  uint64_t saves = 0;
  uint64_t aof_rewrites = 0;  // BGREWRITEAOF, INFO aof_rewrites
  int tcp_port = 0;
  std::string executable;
  std::string config_file;
  // CLIENT PAUSE: until `pause_end_ms`, commands of normal clients (all, or
  // those that may write) wait instead of running, and keys do not expire.
  // The net layer resumes waiting clients once ClientsPaused() turns false.
  enum class PauseType { kOff, kWrite, kAll };
  PauseType pause_type = PauseType::kOff;
  int64_t pause_end_ms = 0;
  // Clients whose next command waits for the pause to end (INFO
  // blocked_clients), kept by the net layer.
  size_t postponed_clients = 0;
  // How many clients are in MONITOR mode (kept by the ClientRegistry), so
  // commands pay nothing for MONITOR while nobody watches.
  size_t monitors = 0;
  // SHUTDOWN sets this; the event loop stops after the current iteration.
  bool shutdown_requested = false;
  // DEBUG SET-ACTIVE-EXPIRE 0 turns the background expiry sweep off (tests of
  // lazy expiry use it, as with Redis).
  bool active_expire_enabled = true;
  // Extra INFO lines provided by other layers (e.g. the net layer's memory and
  // client counts), keyed by section.
  std::function<void(std::string_view section, std::string* out)> info_extra;
};

// Whether a CLIENT PAUSE is in force at `now_ms`; one that has run out is
// ended here (Redis's checkClientPauseTimeoutAndReturnIfPaused).
inline bool ClientsPaused(ServerContext& server, int64_t now_ms) {
  if (server.pause_type == ServerContext::PauseType::kOff) return false;
  if (server.pause_end_ms < now_ms) server.pause_type = ServerContext::PauseType::kOff;
  return server.pause_type != ServerContext::PauseType::kOff;
}

// One command execution.
class ExecContext {
 public:
  ExecContext(ServerContext& server, ClientState& client, std::span<const std::string_view> args,
              resp::ReplyBuilder& reply, int64_t now_ms)
      : server(server), client(client), args(args), reply(reply), now_ms(now_ms) {}

  ServerContext& server;
  ClientState& client;
  std::span<const std::string_view> args;
  resp::ReplyBuilder& reply;
  // Command time in Unix ms, fixed for the whole command as Redis does, so a key
  // cannot expire halfway through one command.
  int64_t now_ms;

  storage::Keyspace& keyspace() { return *server.keyspace; }
  int db() const { return client.db; }
  size_t argc() const { return args.size(); }
  std::string_view arg(size_t i) const { return args[i]; }
};

}  // namespace ringkv::commands

// Server configuration: redis.conf-style file plus `--directive value` overrides,
// and the CONFIG GET/SET registry. Each directive is a row of data (name, how to
// read it, how to set it, whether CONFIG SET may change it at run time).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "storage/engine.h"
#include "util/status.h"

namespace ringkv::server {

struct Config {
  // Network.
  int port = 6379;
  std::vector<std::string> bind = {"127.0.0.1", "-::1"};
  bool protected_mode = true;
  int tcp_backlog = 511;
  int64_t maxclients = 10000;
  int timeout = 0;  // idle seconds before a client is closed; 0 = never
  // SLOWLOG: commands taking at least this many microseconds are logged (< 0:
  // none), and the log keeps this many.
  int64_t slowlog_log_slower_than = 10000;
  // LATENCY: events as slow as this (ms; 0 disables) are recorded, and
  // every call's duration goes into its command's histogram.
  int64_t latency_monitor_threshold = 0;
  bool latency_tracking = true;
  int64_t slowlog_max_len = 128;
  int64_t proto_max_bulk_len = 512LL * 1024 * 1024;
  int64_t client_query_buffer_limit = 1024LL * 1024 * 1024;
  // Output buffer limit for normal clients: hard bytes, soft bytes, soft seconds.
  // Redis has no limit for normal clients by default; ringkv caps them so a client
  // that never reads cannot grow the server's memory without bound.
  int64_t output_hard_limit = 256LL << 20;
  int64_t output_soft_limit = 64LL << 20;
  int output_soft_seconds = 60;

  // Security.
  std::string requirepass;
  // DEBUG: "no" (default, as Redis 7), "yes", or "local" (loopback clients only).
  std::string enable_debug_command = "no";

  // Storage.
  std::string dir = "./data";
  storage::SyncMode appendfsync = storage::SyncMode::kEverySec;
  int databases = 16;
  int64_t leveldb_block_cache_size = 32LL << 20;
  // Memtable size (see storage::EngineOptions::write_buffer_bytes).
  int64_t leveldb_write_buffer_size = 32LL << 20;
  int leveldb_bloom_bits = 10;
  // Snappy compression of table blocks. Off by default: Redis-style values are
  // small and rarely compress, and snappy was a quarter of compaction CPU.
  bool leveldb_compression = false;
  // Cache of recently used rows in front of LevelDB (also remembers absent keys).
  int64_t row_cache_size = 64LL << 20;
  int hz = 10;

  // Logging.
  std::string loglevel = "notice";
  std::string logfile;

  // Cluster.
  std::string node_id;
  int cluster_port = 0;  // 0 = port + 10000
  std::string seeds;
  int replicas = 3;
  int write_quorum = 2;
  int read_quorum = 2;
  int vnodes = 150;
  std::string cluster_secret;
  // Deadline of one request to one replica, in ms (a replica that has not
  // answered by then counts as failed for the quorum: "node2: timeout").
  int cluster_request_timeout = 1000;
  // Seconds a delete's tombstone is kept before it may be forgotten. It must
  // outlast the longest time a replica can miss the delete (an outage, a
  // partition), or that replica's older copy comes back.
  int64_t tombstone_grace = 86400;

  // Redis directives ringkv has no use for: kept so CONFIG GET returns what was set.
  std::map<std::string, std::string> passthrough;

  std::string config_file;  // absolute path of the file loaded, if any
};

// One CONFIG directive.
struct ConfigOption {
  const char* name;
  const char* alias;  // second name or nullptr
  bool mutable_at_runtime;
  std::function<std::string(const Config&)> get;
  // Parses and stores `args` (one or more words). Returns an error text (without
  // the "ERR" prefix) on invalid input, empty on success.
  std::function<std::string(Config&, const std::vector<std::string>& args)> set;
  // Redis 7.0 refuses CONFIG SET on it. Otherwise an option ringkv fixes at
  // startup (!mutable_at_runtime) may still be "set" to the value it has.
  bool redis_immutable = false;
};

// The table of every directive ringkv knows.
const std::vector<ConfigOption>& ConfigOptions();
const ConfigOption* FindConfigOption(std::string_view name);

// Loads `argv` as redis-server does: an optional config file path first, then
// `--directive value ...` pairs (a lone "-" reads the file from stdin is not
// supported). Errors carry a message suitable for printing before exit.
Status LoadConfig(int argc, char** argv, Config* config);

// Parses config text (one directive per line, `#` comments, quoting as redis.conf).
Status ParseConfigText(std::string_view text, Config* config);

// Memory sizes as redis.conf writes them: 1k, 5mb, 2gb (case-insensitive), bytes
// otherwise. Returns false if not a valid size.
bool ParseMemory(std::string_view text, int64_t* bytes);

}  // namespace ringkv::server

#include "server/config.h"

#include <algorithm>
#include <charconv>
#include <climits>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "resp/split_args.h"

namespace ringkv::server {

namespace {

std::string Lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return std::tolower(c); });
  return out;
}

bool ParseInt(std::string_view s, int64_t* v) {
  if (s.empty()) return false;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), *v);
  return ec == std::errc() && ptr == s.data() + s.size();
}

std::string FormatMemory(int64_t bytes) { return std::to_string(bytes); }

using Getter = std::function<std::string(const Config&)>;
using Setter = std::function<std::string(Config&, const std::vector<std::string>&)>;

// Integer directive in [min, max].
template <typename T>
ConfigOption IntOption(const char* name, bool mut, T Config::*field, int64_t min, int64_t max) {
  return {name, nullptr, mut, [field](const Config& c) { return std::to_string(c.*field); },
          [field, min, max](Config& c, const std::vector<std::string>& a) -> std::string {
            int64_t v;
            if (a.size() != 1 || !ParseInt(a[0], &v)) {
              return "argument couldn't be parsed into an integer";
            }
            if (v < min || v > max) {
              return "argument must be between " + std::to_string(min) + " and " +
                     std::to_string(max) + " inclusive";
            }
            c.*field = static_cast<T>(v);
            return {};
          }};
}

ConfigOption MemoryOption(const char* name, bool mut, int64_t Config::*field, int64_t min = 0) {
  return {name, nullptr, mut, [field](const Config& c) { return FormatMemory(c.*field); },
          [field, min](Config& c, const std::vector<std::string>& a) -> std::string {
            int64_t v;
            if (a.size() != 1 || !ParseMemory(a[0], &v)) return "argument must be a memory value";
            if (v < min) {
              return "argument must be between " + std::to_string(min) +
                     " and 9223372036854775807 inclusive";
            }
            c.*field = v;
            return {};
          }};
}

ConfigOption BoolOption(const char* name, bool mut, bool Config::*field) {
  return {name, nullptr, mut, [field](const Config& c) { return c.*field ? "yes" : "no"; },
          [field](Config& c, const std::vector<std::string>& a) -> std::string {
            if (a.size() != 1) return "argument must be 'yes' or 'no'";
            std::string v = Lower(a[0]);
            if (v == "yes") {
              c.*field = true;
            } else if (v == "no") {
              c.*field = false;
            } else {
              return "argument must be 'yes' or 'no'";
            }
            return {};
          }};
}

ConfigOption StringOption(const char* name, bool mut, std::string Config::*field) {
  return {name, nullptr, mut, [field](const Config& c) { return c.*field; },
          [field](Config& c, const std::vector<std::string>& a) -> std::string {
            if (a.size() != 1) return "wrong number of arguments";
            c.*field = a[0];
            return {};
          }};
}

// Redis 7.0 directives whose value is a memory size ("2kb"), which CONFIG GET
// reports in bytes; maxmemory-clients also takes a percentage ("50%").
bool IsMemoryDirective(std::string_view name) {
  static constexpr std::string_view kNames[] = {"maxmemory",
                                                "maxmemory-clients",
                                                "hash-max-listpack-value",
                                                "zset-max-listpack-value",
                                                "hll-sparse-max-bytes",
                                                "stream-node-max-bytes",
                                                "repl-backlog-size",
                                                "auto-aof-rewrite-min-size",
                                                "active-defrag-ignore-bytes",
                                                "cluster-link-sendbuf-limit"};
  return std::find(std::begin(kNames), std::end(kNames), name) != std::end(kNames);
}

// Checks and normalizes a passthrough value as Redis 7.0 would for `name`
// (whose default is `redis_default`); returns Redis's error text, or empty.
std::string NormalizePassthrough(std::string_view name, std::string_view redis_default,
                                 std::string* value) {
  if (redis_default == "yes" || redis_default == "no") {
    *value = Lower(*value);
    return *value == "yes" || *value == "no" ? "" : "argument must be 'yes' or 'no'";
  }
  if (!IsMemoryDirective(name)) return {};
  if (name == "maxmemory-clients" && !value->empty() && value->back() == '%') {
    int64_t percent;
    if (!ParseInt(std::string_view(*value).substr(0, value->size() - 1), &percent) || percent < 0) {
      return "argument must be a memory or percent value";
    }
    if (percent > 100) return "percentage argument must be less or equal to 100";
    return {};
  }
  int64_t bytes;
  if (!ParseMemory(*value, &bytes) || bytes < 0) {
    return name == "maxmemory-clients" ? "argument must be a memory or percent value"
                                       : "argument must be a memory value";
  }
  // Redis keeps a replication backlog of at least 16 KB.
  if (name == "repl-backlog-size") bytes = std::max<int64_t>(bytes, 16 * 1024);
  *value = std::to_string(bytes);
  return {};
}

// A Redis directive ringkv accepts and remembers but does not act on, stored
// under its main name whichever name sets it, checked as Redis checks it.
ConfigOption Passthrough(const char* name, const char* alias, bool mut, const char* redis_default) {
  std::string key = name, def = redis_default;
  return {name, alias, mut,
          [key, def](const Config& c) {
            auto it = c.passthrough.find(key);
            return it == c.passthrough.end() ? def : it->second;
          },
          [key, def](Config& c, const std::vector<std::string>& a) -> std::string {
            std::string joined;
            for (size_t i = 0; i < a.size(); ++i) joined += (i ? " " : "") + a[i];
            std::string error = NormalizePassthrough(key, def, &joined);
            if (error.empty()) c.passthrough[key] = joined;
            return error;
          }};
}

std::vector<ConfigOption> BuildOptions() {
  std::vector<ConfigOption> o;
  o.push_back(IntOption("port", false, &Config::port, 0, 65535));
  o.push_back({"bind", nullptr, false,
               [](const Config& c) {
                 std::string s;
                 for (size_t i = 0; i < c.bind.size(); ++i) s += (i ? " " : "") + c.bind[i];
                 return s;
               },
               [](Config& c, const std::vector<std::string>& a) -> std::string {
                 if (a.empty()) return "wrong number of arguments";
                 c.bind = a;
                 return {};
               }});
  o.push_back(BoolOption("protected-mode", true, &Config::protected_mode));
  o.push_back(IntOption("tcp-backlog", false, &Config::tcp_backlog, 0, INT_MAX));
  o.push_back(IntOption("maxclients", true, &Config::maxclients, 1, 4294967295LL));
  o.push_back(IntOption("timeout", true, &Config::timeout, 0, INT_MAX));
  o.push_back(
      IntOption("slowlog-log-slower-than", true, &Config::slowlog_log_slower_than, -1, INT64_MAX));
  o.push_back(IntOption("slowlog-max-len", true, &Config::slowlog_max_len, 0, INT64_MAX));
  o.push_back(IntOption("latency-monitor-threshold", true, &Config::latency_monitor_threshold, 0,
                        INT64_MAX));
  o.push_back(BoolOption("latency-tracking", true, &Config::latency_tracking));
  o.push_back(MemoryOption("proto-max-bulk-len", true, &Config::proto_max_bulk_len, 1024 * 1024));
  o.push_back(MemoryOption("client-query-buffer-limit", true, &Config::client_query_buffer_limit,
                           1024 * 1024));
  o.push_back(
      {"client-output-buffer-limit", nullptr, true,
       [](const Config& c) {
         return "normal " + std::to_string(c.output_hard_limit) + " " +
                std::to_string(c.output_soft_limit) + " " + std::to_string(c.output_soft_seconds) +
                " replica 268435456 67108864 60 pubsub 33554432 8388608 60";
       },
       [](Config& c, const std::vector<std::string>& a) -> std::string {
         // Arguments come in groups of four: class hard soft seconds.
         std::vector<std::string> words;
         for (const auto& arg : a) {
           std::vector<std::string> split;
           resp::SplitArgs(arg, &split);
           words.insert(words.end(), split.begin(), split.end());
         }
         if (words.empty() || words.size() % 4 != 0)
           return "Wrong number of arguments in buffer limit configuration.";
         for (size_t i = 0; i < words.size(); i += 4) {
           std::string cls = Lower(words[i]);
           int64_t hard, soft, secs;
           if (cls != "normal" && cls != "replica" && cls != "slave" && cls != "pubsub") {
             return "Invalid client class specified in buffer limit configuration.";
           }
           if (!ParseMemory(words[i + 1], &hard) || !ParseMemory(words[i + 2], &soft) ||
               !ParseInt(words[i + 3], &secs) || hard < 0 || soft < 0 || secs < 0) {
             return "Error in hard, soft or soft_seconds setting in buffer limit configuration.";
           }
           if (cls == "normal") {
             c.output_hard_limit = hard;
             c.output_soft_limit = soft;
             c.output_soft_seconds = static_cast<int>(secs);
           }
         }
         return {};
       }});
  o.push_back(StringOption("requirepass", true, &Config::requirepass));
  o.push_back({"enable-debug-command", nullptr, false,
               [](const Config& c) { return c.enable_debug_command; },
               [](Config& c, const std::vector<std::string>& a) -> std::string {
                 std::string v = a.size() == 1 ? Lower(a[0]) : "";
                 if (v != "no" && v != "yes" && v != "local") {
                   return "argument(s) must be one of the following: no, yes, local";
                 }
                 c.enable_debug_command = v;
                 return {};
               }});
  o.push_back(StringOption("dir", false, &Config::dir));
  o.push_back({"appendfsync", nullptr, true,
               [](const Config& c) -> std::string {
                 switch (c.appendfsync) {
                   case storage::SyncMode::kAlways:
                     return "always";
                   case storage::SyncMode::kEverySec:
                     return "everysec";
                   case storage::SyncMode::kNo:
                     return "no";
                 }
                 return "everysec";
               },
               [](Config& c, const std::vector<std::string>& a) -> std::string {
                 std::string v = a.size() == 1 ? Lower(a[0]) : "";
                 if (v == "always") {
                   c.appendfsync = storage::SyncMode::kAlways;
                 } else if (v == "everysec") {
                   c.appendfsync = storage::SyncMode::kEverySec;
                 } else if (v == "no") {
                   c.appendfsync = storage::SyncMode::kNo;
                 } else {
                   return "argument(s) must be one of the following: everysec, always, no";
                 }
                 return {};
               }});
  o.push_back(IntOption("databases", false, &Config::databases, 1, 1024));
  o.push_back(MemoryOption("leveldb-block-cache-size", false, &Config::leveldb_block_cache_size));
  o.push_back(MemoryOption("leveldb-write-buffer-size", false, &Config::leveldb_write_buffer_size));
  o.push_back(IntOption("leveldb-bloom-bits", false, &Config::leveldb_bloom_bits, 0, 64));
  o.push_back(BoolOption("leveldb-compression", false, &Config::leveldb_compression));
  o.push_back(MemoryOption("row-cache-size", false, &Config::row_cache_size));
  // Redis accepts any hz and clamps it to [1, 500].
  o.push_back({"hz", nullptr, true, [](const Config& c) { return std::to_string(c.hz); },
               [](Config& c, const std::vector<std::string>& a) -> std::string {
                 int64_t v;
                 if (a.size() != 1 || !ParseInt(a[0], &v)) {
                   return "argument couldn't be parsed into an integer";
                 }
                 c.hz = static_cast<int>(std::clamp<int64_t>(v, 1, 500));
                 return {};
               }});
  o.push_back({"loglevel", nullptr, true, [](const Config& c) { return c.loglevel; },
               [](Config& c, const std::vector<std::string>& a) -> std::string {
                 std::string v = a.size() == 1 ? Lower(a[0]) : "";
                 if (v != "debug" && v != "verbose" && v != "notice" && v != "warning") {
                   return "argument(s) must be one of the following: debug, verbose, notice, "
                          "warning";
                 }
                 c.loglevel = v;
                 return {};
               }});
  o.push_back(StringOption("logfile", false, &Config::logfile));
  o.push_back(StringOption("node-id", false, &Config::node_id));
  o.push_back(IntOption("cluster-port", false, &Config::cluster_port, 0, 65535));
  o.push_back(StringOption("seeds", false, &Config::seeds));
  o.push_back(IntOption("replicas", false, &Config::replicas, 1, 64));
  o.push_back(IntOption("write-quorum", false, &Config::write_quorum, 1, 64));
  o.push_back(IntOption("read-quorum", false, &Config::read_quorum, 1, 64));
  o.push_back(IntOption("vnodes", false, &Config::vnodes, 1, 4096));
  o.push_back(StringOption("cluster-secret", false, &Config::cluster_secret));
  o.push_back(IntOption("tombstone-grace", true, &Config::tombstone_grace, 0, INT64_MAX / 1000));
  o.push_back(IntOption("cluster-request-timeout", false, &Config::cluster_request_timeout, 1,
                        3600 * 1000));

  // Every other Redis 7.0 directive, with its default (and second name), so
  // existing config files, clients and test suites that set them keep
  // working. The immutable ones are those Redis 7.0 refuses to CONFIG SET.
  // TLS and the unix socket are left out: a directive asking for a listener
  // ringkv does not open must fail, not be silently ignored.
  struct RedisDirective {
    const char* name;
    const char* alias;
    const char* redis_default;
    bool mut;
  };
  static const RedisDirective kPassthrough[] = {
      {"save", nullptr, "3600 1 300 100 60 10000", true},
      {"appendonly", nullptr, "no", true},
      {"appendfilename", nullptr, "appendonly.aof", false},
      {"appenddirname", nullptr, "appendonlydir", false},
      {"dbfilename", nullptr, "dump.rdb", true},
      {"daemonize", nullptr, "no", false},
      {"supervised", nullptr, "no", false},
      {"pidfile", nullptr, "", false},
      {"syslog-enabled", nullptr, "no", false},
      {"syslog-ident", nullptr, "redis", false},
      {"syslog-facility", nullptr, "local0", false},
      {"aclfile", nullptr, "", false},
      {"acllog-max-len", nullptr, "128", true},
      {"acl-pubsub-default", nullptr, "resetchannels", true},
      {"maxmemory", nullptr, "0", true},
      {"maxmemory-policy", nullptr, "noeviction", true},
      {"maxmemory-samples", nullptr, "5", true},
      {"maxmemory-eviction-tenacity", nullptr, "10", true},
      {"maxmemory-clients", nullptr, "0", true},
      {"hash-max-listpack-entries", "hash-max-ziplist-entries", "512", true},
      {"hash-max-listpack-value", "hash-max-ziplist-value", "64", true},
      {"list-max-listpack-size", "list-max-ziplist-size", "-2", true},
      {"list-compress-depth", nullptr, "0", true},
      {"set-max-intset-entries", nullptr, "512", true},
      {"zset-max-listpack-entries", "zset-max-ziplist-entries", "128", true},
      {"zset-max-listpack-value", "zset-max-ziplist-value", "64", true},
      {"hll-sparse-max-bytes", nullptr, "3000", true},
      {"stream-node-max-bytes", nullptr, "4096", true},
      {"stream-node-max-entries", nullptr, "100", true},
      {"activerehashing", nullptr, "yes", true},
      {"active-expire-effort", nullptr, "1", true},
      {"activedefrag", nullptr, "no", true},
      {"active-defrag-cycle-max", nullptr, "25", true},
      {"active-defrag-cycle-min", nullptr, "1", true},
      {"active-defrag-ignore-bytes", nullptr, "104857600", true},
      {"active-defrag-max-scan-fields", nullptr, "1000", true},
      {"active-defrag-threshold-lower", nullptr, "10", true},
      {"active-defrag-threshold-upper", nullptr, "100", true},
      {"lazyfree-lazy-eviction", nullptr, "no", true},
      {"lazyfree-lazy-expire", nullptr, "no", true},
      {"lazyfree-lazy-server-del", nullptr, "no", true},
      {"lazyfree-lazy-user-del", nullptr, "no", true},
      {"lazyfree-lazy-user-flush", nullptr, "no", true},
      {"notify-keyspace-events", nullptr, "", true},
      {"latency-tracking-info-percentiles", nullptr, "50 99 99.9", true},
      {"tracking-table-max-keys", nullptr, "1000000", true},
      {"tcp-keepalive", nullptr, "300", true},
      {"stop-writes-on-bgsave-error", nullptr, "yes", true},
      {"rdbcompression", nullptr, "yes", true},
      {"rdbchecksum", nullptr, "yes", false},
      {"rdb-del-sync-files", nullptr, "no", true},
      {"rdb-save-incremental-fsync", nullptr, "yes", true},
      {"sanitize-dump-payload", nullptr, "no", true},
      {"lua-time-limit", nullptr, "5000", true},
      {"busy-reply-threshold", nullptr, "5000", true},
      {"lfu-log-factor", nullptr, "10", true},
      {"lfu-decay-time", nullptr, "1", true},
      {"io-threads", nullptr, "1", false},
      {"io-threads-do-reads", nullptr, "no", false},
      {"dynamic-hz", nullptr, "yes", true},
      {"replicaof", "slaveof", "", false},
      {"masterauth", nullptr, "", true},
      {"masteruser", nullptr, "", true},
      {"replica-read-only", "slave-read-only", "yes", true},
      {"replica-serve-stale-data", "slave-serve-stale-data", "yes", true},
      {"replica-lazy-flush", "slave-lazy-flush", "no", true},
      {"replica-ignore-maxmemory", "slave-ignore-maxmemory", "yes", true},
      {"replica-priority", "slave-priority", "100", true},
      {"replica-announce-ip", "slave-announce-ip", "", true},
      {"replica-announce-port", "slave-announce-port", "0", true},
      {"replica-announced", nullptr, "yes", true},
      {"replica-ignore-disk-write-errors", nullptr, "no", true},
      {"min-replicas-to-write", "min-slaves-to-write", "0", true},
      {"min-replicas-max-lag", "min-slaves-max-lag", "10", true},
      {"repl-ping-replica-period", "repl-ping-slave-period", "10", true},
      {"repl-timeout", nullptr, "60", true},
      {"repl-backlog-size", nullptr, "1048576", true},
      {"repl-backlog-ttl", nullptr, "3600", true},
      {"repl-disable-tcp-nodelay", nullptr, "no", true},
      {"repl-diskless-sync", nullptr, "yes", true},
      {"repl-diskless-sync-delay", nullptr, "5", true},
      {"repl-diskless-sync-max-replicas", nullptr, "0", true},
      {"repl-diskless-load", nullptr, "disabled", true},
      {"propagation-error-behavior", nullptr, "ignore", true},
      {"set-proc-title", nullptr, "yes", false},
      {"proc-title-template", nullptr, "{title} {listen-addr} {server-mode}", true},
      {"always-show-logo", nullptr, "no", false},
      {"crash-log-enabled", nullptr, "yes", true},
      {"crash-memcheck-enabled", nullptr, "yes", true},
      {"disable-thp", nullptr, "yes", false},
      {"oom-score-adj", nullptr, "no", true},
      {"oom-score-adj-values", nullptr, "0 200 800", true},
      {"server_cpulist", nullptr, "", false},
      {"bio_cpulist", nullptr, "", false},
      {"aof_rewrite_cpulist", nullptr, "", false},
      {"bgsave_cpulist", nullptr, "", false},
      {"socket-mark-id", nullptr, "0", false},
      {"bind-source-addr", nullptr, "", true},
      {"ignore-warnings", nullptr, "", true},
      {"shutdown-on-sigint", nullptr, "default", true},
      {"shutdown-on-sigterm", nullptr, "default", true},
      {"shutdown-timeout", nullptr, "10", true},
      {"enable-protected-configs", nullptr, "no", false},
      {"enable-module-command", nullptr, "no", false},
      {"aof-use-rdb-preamble", nullptr, "yes", true},
      {"aof-load-truncated", nullptr, "yes", true},
      {"aof-timestamp-enabled", nullptr, "no", true},
      {"aof-disable-auto-gc", nullptr, "no", true},
      {"aof-rewrite-incremental-fsync", nullptr, "yes", true},
      {"auto-aof-rewrite-percentage", nullptr, "100", true},
      {"auto-aof-rewrite-min-size", nullptr, "67108864", true},
      {"no-appendfsync-on-rewrite", nullptr, "no", true},
      {"jemalloc-bg-thread", nullptr, "yes", true},
      {"close-on-replica-write", nullptr, "no", true},
      {"cluster-enabled", nullptr, "no", false},
      {"cluster-config-file", nullptr, "nodes.conf", false},
      {"cluster-node-timeout", nullptr, "15000", true},
      {"cluster-announce-ip", nullptr, "", true},
      {"cluster-announce-hostname", nullptr, "", true},
      {"cluster-announce-port", nullptr, "0", true},
      {"cluster-announce-bus-port", nullptr, "0", true},
      {"cluster-announce-tls-port", nullptr, "0", true},
      {"cluster-preferred-endpoint-type", nullptr, "ip", true},
      {"cluster-require-full-coverage", nullptr, "yes", true},
      {"cluster-allow-reads-when-down", nullptr, "no", true},
      {"cluster-allow-pubsubshard-when-down", nullptr, "yes", true},
      {"cluster-allow-replica-migration", nullptr, "yes", true},
      {"cluster-migration-barrier", nullptr, "1", true},
      {"cluster-replica-no-failover", "cluster-slave-no-failover", "no", true},
      {"cluster-replica-validity-factor", "cluster-slave-validity-factor", "10", true},
      {"cluster-link-sendbuf-limit", nullptr, "0", true},
  };
  for (const RedisDirective& d : kPassthrough) {
    o.push_back(Passthrough(d.name, d.alias, d.mut, d.redis_default));
    o.back().redis_immutable = !d.mut;
  }
  for (ConfigOption& option : o) {
    const std::string_view name = option.name;
    if (name == "tcp-backlog" || name == "databases" || name == "logfile" ||
        name == "enable-debug-command") {
      option.redis_immutable = true;
    }
  }
  return o;
}

}  // namespace

const std::vector<ConfigOption>& ConfigOptions() {
  static const std::vector<ConfigOption> options = BuildOptions();
  return options;
}

const ConfigOption* FindConfigOption(std::string_view name) {
  std::string lower = Lower(name);
  for (const auto& option : ConfigOptions()) {
    if (lower == option.name || (option.alias && lower == option.alias)) return &option;
  }
  return nullptr;
}

bool ParseMemory(std::string_view text, int64_t* bytes) {
  std::string s = Lower(text);
  int64_t mul = 1;
  auto ends_with = [&](std::string_view suffix) {
    return s.size() > suffix.size() &&
           s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
  };
  static const std::pair<const char*, int64_t> kUnits[] = {
      {"kb", 1024}, {"mb", 1024 * 1024}, {"gb", 1024LL * 1024 * 1024},
      {"k", 1000},  {"m", 1000 * 1000},  {"g", 1000LL * 1000 * 1000},
      {"b", 1}};
  for (const auto& [suffix, factor] : kUnits) {
    if (ends_with(suffix)) {
      s.resize(s.size() - std::string_view(suffix).size());
      mul = factor;
      break;
    }
  }
  int64_t v;
  if (!ParseInt(s, &v)) return false;
  if (v != 0 && (v > INT64_MAX / mul || v < INT64_MIN / mul)) return false;
  *bytes = v * mul;
  return true;
}

namespace {

Status ApplyDirective(const std::vector<std::string>& words, Config* config, int line) {
  const ConfigOption* option = FindConfigOption(words[0]);
  std::string where = line > 0 ? " (line " + std::to_string(line) + ")" : "";
  if (option == nullptr) {
    return Status::InvalidArgument("Bad directive or wrong number of arguments" + where + ": '" +
                                   words[0] + "'");
  }
  std::vector<std::string> args(words.begin() + 1, words.end());
  std::string error = option->set(*config, args);
  if (!error.empty()) {
    return Status::InvalidArgument(error + where + ": '" + words[0] + "'");
  }
  return Status::OK();
}

}  // namespace

Status ParseConfigText(std::string_view text, Config* config) {
  std::istringstream in{std::string(text)};
  std::string line;
  int number = 0;
  while (std::getline(in, line)) {
    ++number;
    std::vector<std::string> words;
    size_t first = line.find_first_not_of(" \t\r");
    if (first == std::string::npos || line[first] == '#') continue;
    if (!resp::SplitArgs(line, &words)) {
      return Status::InvalidArgument("Unbalanced quotes in configuration line " +
                                     std::to_string(number));
    }
    if (words.empty()) continue;
    Status s = ApplyDirective(words, config, number);
    if (!s.ok()) return s;
  }
  return Status::OK();
}

Status LoadConfig(int argc, char** argv, Config* config) {
  int i = 1;
  if (i < argc && std::string_view(argv[i]).substr(0, 2) != "--") {
    std::ifstream file(argv[i]);
    if (!file)
      return Status::IOError(std::string("Fatal error, can't open config file '") + argv[i] + "'");
    std::stringstream content;
    content << file.rdbuf();
    std::error_code ec;
    config->config_file = std::filesystem::absolute(argv[i], ec).string();
    Status s = ParseConfigText(content.str(), config);
    if (!s.ok()) return s;
    ++i;
  }
  // `--name v1 v2 --other v` as in redis-server: values run to the next `--`.
  while (i < argc) {
    std::string_view arg = argv[i];
    if (arg.substr(0, 2) != "--" || arg.size() == 2) {
      return Status::InvalidArgument("Invalid argument '" + std::string(arg) + "'");
    }
    std::vector<std::string> words = {std::string(arg.substr(2))};
    ++i;
    while (i < argc && std::string_view(argv[i]).substr(0, 2) != "--")
      words.emplace_back(argv[i++]);
    if (words.size() == 1) words.emplace_back("");
    Status s = ApplyDirective(words, config, 0);
    if (!s.ok()) return s;
  }
  // Dynamo's invariants: 0 < W <= N and 0 < R <= N (the lower bound is the
  // directives' own range check).
  if (config->write_quorum > config->replicas) {
    return Status::InvalidArgument("write-quorum (" + std::to_string(config->write_quorum) +
                                   ") must be between 1 and replicas (" +
                                   std::to_string(config->replicas) + ")");
  }
  if (config->read_quorum > config->replicas) {
    return Status::InvalidArgument("read-quorum (" + std::to_string(config->read_quorum) +
                                   ") must be between 1 and replicas (" +
                                   std::to_string(config->replicas) + ")");
  }
  return Status::OK();
}

}  // namespace ringkv::server

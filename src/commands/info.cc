// INFO: Redis 7.0's sections and field names (clients and monitoring tools parse
// them), filled from this server's counters, plus the `# Ring` section.
#include "commands/info.h"

#include <sys/resource.h>
#include <sys/time.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cinttypes>
#include <cstdio>
#include <fstream>
#include <set>

#include "commands/util.h"
#include "resp/split_args.h"
#include "util/allocator.h"

namespace ringkv::commands {

namespace {

// One INFO section: the lower-case name INFO selects it by and its title.
struct Section {
  std::string_view name;
  std::string_view title;
  bool in_default;
};

// Redis's order; `# Ring` is ringkv's and comes last.
constexpr std::array<Section, 14> kSections = {{
    {"server", "Server", true},
    {"clients", "Clients", true},
    {"memory", "Memory", true},
    {"persistence", "Persistence", true},
    {"stats", "Stats", true},
    {"replication", "Replication", true},
    {"cpu", "CPU", true},
    {"modules", "Modules", true},
    {"commandstats", "Commandstats", false},
    {"errorstats", "Errorstats", true},
    {"latencystats", "Latencystats", false},
    {"cluster", "Cluster", true},
    {"keyspace", "Keyspace", true},
    {"ring", "Ring", true},
}};

std::string Lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// Which sections INFO's arguments select (Redis's genInfoSectionDict).
class Selection {
 public:
  explicit Selection(std::span<const std::string_view> args) {
    if (args.empty()) {
      AddDefaults();
      return;
    }
    for (std::string_view arg : args) {
      std::string name = Lower(arg);
      if (name == "all" || name == "everything") {
        all_ = true;
      } else if (name == "default") {
        AddDefaults();
      } else if (name == "module_list") {
        // Redis's default set names the module list "module_list".
        names_.insert("modules");
      } else {
        names_.insert(std::move(name));
      }
    }
  }

  bool Has(std::string_view name) const { return all_ || names_.count(std::string(name)) > 0; }

 private:
  void AddDefaults() {
    for (const auto& section : kSections) {
      if (section.in_default) names_.insert(std::string(section.name));
    }
  }

  bool all_ = false;
  std::set<std::string> names_;
};

void Field(std::string* out, std::string_view name, std::string_view value) {
  out->append(name);
  out->push_back(':');
  out->append(value);
  out->append("\r\n");
}

void Field(std::string* out, std::string_view name, int64_t value) {
  Field(out, name, std::to_string(value));
}

void FieldU(std::string* out, std::string_view name, uint64_t value) {
  Field(out, name, std::to_string(value));
}

template <typename... Args>
std::string Format(const char* fmt, Args... args) {
  char buf[128];
  int n = std::snprintf(buf, sizeof(buf), fmt, args...);
  return std::string(buf, static_cast<size_t>(std::max(0, n)));
}

// Redis's bytesToHuman.
std::string BytesToHuman(uint64_t n) {
  const double d = static_cast<double>(n);
  if (n < 1024) return std::to_string(n) + "B";
  if (n < (1ULL << 20)) return Format("%.2fK", d / 1024);
  if (n < (1ULL << 30)) return Format("%.2fM", d / (1ULL << 20));
  if (n < (1ULL << 40)) return Format("%.2fG", d / (1ULL << 30));
  if (n < (1ULL << 50)) return Format("%.2fT", d / (1ULL << 40));
  if (n < (1ULL << 60)) return Format("%.2fP", d / (1ULL << 50));
  return std::to_string(n) + "B";
}

int64_t WallClockUs() {
  timeval tv;
  gettimeofday(&tv, nullptr);
  return static_cast<int64_t>(tv.tv_sec) * 1000000 + tv.tv_usec;
}

// Bytes the allocator has handed out (Redis reports its allocator's count).

uint64_t ResidentMemory() {
  std::ifstream statm("/proc/self/statm");
  uint64_t size = 0, resident = 0;
  if (!(statm >> size >> resident)) return 0;
  return resident * static_cast<uint64_t>(sysconf(_SC_PAGESIZE));
}

uint64_t SystemMemory() {
  const long pages = sysconf(_SC_PHYS_PAGES);
  const long page_size = sysconf(_SC_PAGESIZE);
  return pages > 0 && page_size > 0 ? static_cast<uint64_t>(pages) * page_size : 0;
}

std::string CpuTime(const timeval& tv) {
  return Format("%ld.%06ld", static_cast<long>(tv.tv_sec), static_cast<long>(tv.tv_usec));
}

// Samples come from the server cron (SampleInstantaneousMetrics) and from INFO
// itself; the instantaneous rates are measured against the oldest sample of the
// last 1.6 s.
class RateSampler {
 public:
  struct Rates {
    double ops_per_sec = 0;
    double input_kbps = 0;
    double output_kbps = 0;
  };

  Rates Sample(int64_t now_ms, uint64_t ops, uint64_t in, uint64_t out) {
    Rates rates;
    const Point* base = nullptr;
    for (size_t i = 0; i < count_; ++i) {
      const Point& p = ring_[i];
      const int64_t age = now_ms - p.ms;
      if (age >= 100 && age <= kWindowMs && (base == nullptr || p.ms < base->ms)) base = &p;
    }
    if (base != nullptr) {
      const double secs = static_cast<double>(now_ms - base->ms) / 1000.0;
      rates.ops_per_sec = static_cast<double>(ops - std::min(ops, base->ops)) / secs;
      rates.input_kbps = static_cast<double>(in - std::min(in, base->in)) / secs / 1024;
      rates.output_kbps = static_cast<double>(out - std::min(out, base->out)) / secs / 1024;
    }
    if (count_ == 0 || now_ms - ring_[last_].ms >= 100 || now_ms < ring_[last_].ms) {
      last_ = count_ < ring_.size() ? count_++ : (last_ + 1) % ring_.size();
      ring_[last_] = {now_ms, ops, in, out};
    }
    return rates;
  }

 private:
  static constexpr int64_t kWindowMs = 1600;
  struct Point {
    int64_t ms;
    uint64_t ops, in, out;
  };
  std::array<Point, 16> ring_{};
  size_t count_ = 0;
  size_t last_ = 0;
};

// Process-wide INFO state that has no home in ServerContext: the memory peak
// (sampled when INFO runs) and the rate sampler.
struct InfoState {
  uint64_t peak_memory = 0;
  RateSampler sampler;
};

InfoState& State() {
  static InfoState* state = new InfoState();
  return *state;
}

// The keyspace counts every expired key, lazily or actively expired;
// stats.expired_keys only offsets it for CONFIG RESETSTAT.
// Unsigned wrap-around lets CONFIG RESETSTAT zero the sum (see ResetInfoStats).
uint64_t ExpiredKeys(ServerContext& server) {
  return server.stats.expired_keys + server.keyspace->expired_keys();
}

std::string SyncModeName(storage::SyncMode mode) {
  switch (mode) {
    case storage::SyncMode::kAlways:
      return "always";
    case storage::SyncMode::kEverySec:
      return "everysec";
    case storage::SyncMode::kNo:
      return "no";
  }
  return "everysec";
}

std::string PassthroughValue(const server::Config& config, const std::string& name,
                             std::string_view fallback) {
  auto it = config.passthrough.find(name);
  return it == config.passthrough.end() ? std::string(fallback) : it->second;
}

struct Clients {
  size_t connected = 0;
  size_t max_input = 0;
  size_t max_output = 0;
  size_t buffers = 0;
};

Clients CountClients(ServerContext& server, const ClientState& self) {
  Clients c;
  auto visit = [&c](const ClientState& client) {
    ++c.connected;
    c.max_input = std::max(c.max_input, client.query_buffer_bytes);
    c.max_output = std::max(c.max_output, client.output_buffer_bytes);
    c.buffers += client.query_buffer_bytes + client.output_buffer_bytes;
  };
  if (server.clients != nullptr) {
    server.clients->ForEachClient(visit);
  } else {
    visit(self);
  }
  return c;
}

void ServerSection(ServerContext& server, int64_t now_ms, std::string* out) {
  const server::Config& config = *server.config;
  utsname name{};
  uname(&name);
  const int64_t uptime =
      server.start_time_ms > 0 ? std::max<int64_t>(0, now_ms - server.start_time_ms) / 1000 : 0;
  Field(out, "redis_version", kRedisCompatVersion);
  Field(out, "ringkv_version", RINGKV_VERSION);
  Field(out, "redis_git_sha1", "00000000");
  Field(out, "redis_git_dirty", 0);
  Field(out, "redis_build_id", "0");
  Field(out, "redis_mode", "standalone");
  Field(out, "os", std::string(name.sysname) + " " + name.release + " " + name.machine);
  Field(out, "arch_bits", static_cast<int64_t>(sizeof(void*) * 8));
  Field(out, "monotonic_clock", "POSIX clock_gettime");
  Field(out, "multiplexing_api", "epoll");
  Field(out, "atomicvar_api", "c11-builtin");
  Field(out, "gcc_version", Format("%d.%d.%d", __GNUC__, __GNUC_MINOR__, __GNUC_PATCHLEVEL__));
  Field(out, "process_id", static_cast<int64_t>(getpid()));
  Field(out, "process_supervised", "no");
  Field(out, "run_id", server.run_id);
  Field(out, "tcp_port", server.tcp_port != 0 ? server.tcp_port : config.port);
  Field(out, "server_time_usec", WallClockUs());
  Field(out, "uptime_in_seconds", uptime);
  Field(out, "uptime_in_days", uptime / 86400);
  Field(out, "hz", config.hz);
  Field(out, "configured_hz", config.hz);
  Field(out, "lru_clock", (now_ms / 1000) & ((1 << 24) - 1));
  Field(out, "executable", server.executable);
  Field(out, "config_file", server.config_file);
  Field(out, "io_threads_active", 0);
}

void ClientsSection(ServerContext& server, const ClientState& self, std::string* out) {
  const Clients clients = CountClients(server, self);
  FieldU(out, "connected_clients", clients.connected);
  Field(out, "cluster_connections", 0);
  Field(out, "maxclients", server.config->maxclients);
  FieldU(out, "client_recent_max_input_buffer", clients.max_input);
  FieldU(out, "client_recent_max_output_buffer", clients.max_output);
  FieldU(out, "blocked_clients", server.postponed_clients);
  Field(out, "tracking_clients", 0);
  Field(out, "clients_in_timeout_table", 0);
}

}  // namespace

MemoryFigures ReadMemoryFigures(ServerContext& server, const ClientState& self) {
  MemoryFigures figures;
  figures.heap = allocator::Read();
  figures.rss = ResidentMemory();
  uint64_t& peak = State().peak_memory;
  peak = std::max(peak, figures.heap.allocated);
  figures.peak = peak;
  const Clients clients = CountClients(server, self);
  figures.clients = clients.connected;
  const allocator::Stats& heap = figures.heap;
  figures.overhead = std::min<uint64_t>(heap.allocated, clients.buffers);
  figures.dataset = heap.allocated - figures.overhead;
  auto ratio = [](uint64_t a, uint64_t b) {
    return b ? static_cast<float>(a) / static_cast<float>(b) : 0.0f;
  };
  auto difference = [](uint64_t a, uint64_t b) {
    return static_cast<int64_t>(a) - static_cast<int64_t>(b);
  };
  figures.allocator_frag = ratio(heap.active, heap.allocated);
  figures.allocator_frag_bytes = difference(heap.active, heap.allocated);
  figures.allocator_rss = ratio(heap.resident, heap.active);
  figures.allocator_rss_bytes = difference(heap.resident, heap.active);
  figures.rss_extra = ratio(figures.rss, heap.resident);
  figures.rss_extra_bytes = difference(figures.rss, heap.resident);
  figures.total_frag = ratio(figures.rss, heap.allocated);
  figures.total_frag_bytes = difference(figures.rss, heap.allocated);
  return figures;
}

namespace {

void MemorySection(ServerContext& server, const ClientState& self, std::string* out) {
  const server::Config& config = *server.config;
  const MemoryFigures figures = ReadMemoryFigures(server, self);
  const allocator::Stats& heap = figures.heap;
  const uint64_t used = heap.allocated;
  const uint64_t rss = figures.rss;
  const uint64_t peak = figures.peak;
  const uint64_t overhead = figures.overhead;
  const uint64_t dataset = figures.dataset;
  int64_t maxmemory = 0;
  server::ParseMemory(PassthroughValue(config, "maxmemory", "0"), &maxmemory);
  const std::string leveldb_memory =
      server.keyspace->engine()->Property("leveldb.approximate-memory-usage");
  auto percent = [](uint64_t part, uint64_t whole) {
    return Format("%.2f%%", whole ? 100.0 * static_cast<double>(part) / whole : 0.0);
  };
  FieldU(out, "used_memory", used);
  Field(out, "used_memory_human", BytesToHuman(used));
  FieldU(out, "used_memory_rss", rss);
  Field(out, "used_memory_rss_human", BytesToHuman(rss));
  FieldU(out, "used_memory_peak", peak);
  Field(out, "used_memory_peak_human", BytesToHuman(peak));
  Field(out, "used_memory_peak_perc", percent(used, peak));
  FieldU(out, "used_memory_overhead", overhead);
  Field(out, "used_memory_startup", 0);
  FieldU(out, "used_memory_dataset", dataset);
  Field(out, "used_memory_dataset_perc", percent(dataset, used));
  FieldU(out, "allocator_allocated", heap.allocated);
  FieldU(out, "allocator_active", heap.active);
  FieldU(out, "allocator_resident", heap.resident);
  FieldU(out, "total_system_memory", SystemMemory());
  Field(out, "total_system_memory_human", BytesToHuman(SystemMemory()));
  // No scripting engine: the script and function figures are all zero.
  Field(out, "used_memory_lua", 0);
  Field(out, "used_memory_lua_human", "0B");
  Field(out, "used_memory_scripts", 0);
  Field(out, "used_memory_scripts_human", "0B");
  Field(out, "number_of_cached_scripts", 0);
  Field(out, "number_of_functions", 0);
  Field(out, "number_of_libraries", 0);
  Field(out, "maxmemory", maxmemory);
  Field(out, "maxmemory_human",
        BytesToHuman(static_cast<uint64_t>(std::max<int64_t>(0, maxmemory))));
  Field(out, "maxmemory_policy", PassthroughValue(config, "maxmemory-policy", "noeviction"));
  Field(out, "allocator_frag_ratio", Format("%.2f", figures.allocator_frag));
  Field(out, "allocator_frag_bytes", figures.allocator_frag_bytes);
  Field(out, "allocator_rss_ratio", Format("%.2f", figures.allocator_rss));
  Field(out, "allocator_rss_bytes", figures.allocator_rss_bytes);
  Field(out, "rss_overhead_ratio", Format("%.2f", figures.rss_extra));
  Field(out, "rss_overhead_bytes", figures.rss_extra_bytes);
  Field(out, "mem_fragmentation_ratio", Format("%.2f", figures.total_frag));
  Field(out, "mem_fragmentation_bytes", figures.total_frag_bytes);
  Field(out, "mem_not_counted_for_evict", 0);
  Field(out, "mem_replication_backlog", 0);
  Field(out, "mem_total_replication_buffers", 0);
  Field(out, "mem_clients_slaves", 0);
  FieldU(out, "mem_clients_normal", overhead);
  Field(out, "mem_cluster_links", 0);
  Field(out, "mem_aof_buffer", 0);
  Field(out, "mem_allocator", allocator::Name());
  Field(out, "active_defrag_running", 0);
  Field(out, "lazyfree_pending_objects", 0);
  Field(out, "lazyfreed_objects", 0);
  Field(out, "leveldb_memory", leveldb_memory.empty() ? "0" : leveldb_memory);
  Field(out, "leveldb_block_cache_size", config.leveldb_block_cache_size);
  Field(out, "leveldb_write_buffer_size", config.leveldb_write_buffer_size);
  const storage::RowCache& rows = server.keyspace->row_cache();
  FieldU(out, "row_cache_bytes", rows.charge());
  FieldU(out, "row_cache_max_bytes", rows.capacity());
  FieldU(out, "row_cache_entries", rows.size());
  FieldU(out, "row_cache_hits", rows.hits());
  FieldU(out, "row_cache_misses", rows.misses());
  // Keys read since their last write, whose access time (OBJECT IDLETIME) is
  // kept in memory, and what that takes.
  FieldU(out, "access_table_keys", server.keyspace->access_entries());
  FieldU(out, "access_table_bytes", server.keyspace->access_bytes());
}

void PersistenceSection(ServerContext& server, std::string* out) {
  storage::Engine* engine = server.keyspace->engine();
  const bool write_ok = engine->last_error().empty();
  const int64_t last_fsync_ms = engine->last_fsync_ms();
  Field(out, "loading", 0);
  Field(out, "async_loading", 0);
  Field(out, "current_cow_peak", 0);
  Field(out, "current_cow_size", 0);
  Field(out, "current_cow_size_age", 0);
  Field(out, "current_fork_perc", "0.00");
  Field(out, "current_save_keys_processed", 0);
  Field(out, "current_save_keys_total", 0);
  Field(out, "rdb_changes_since_last_save", 0);
  Field(out, "rdb_bgsave_in_progress", 0);
  Field(out, "rdb_last_save_time", server.last_save_ms / 1000);
  Field(out, "rdb_last_bgsave_status", "ok");
  Field(out, "rdb_last_bgsave_time_sec", -1);
  Field(out, "rdb_current_bgsave_time_sec", -1);
  Field(out, "rdb_saves", server.saves);
  Field(out, "rdb_last_cow_size", 0);
  Field(out, "rdb_last_load_keys_expired", 0);
  Field(out, "rdb_last_load_keys_loaded", 0);
  // Every write goes through LevelDB's write-ahead log: the AOF equivalent.
  Field(out, "aof_enabled", 1);
  Field(out, "aof_rewrite_in_progress", 0);
  Field(out, "aof_rewrite_scheduled", 0);
  Field(out, "aof_last_rewrite_time_sec", -1);
  Field(out, "aof_current_rewrite_time_sec", -1);
  Field(out, "aof_last_bgrewrite_status", "ok");
  Field(out, "aof_rewrites", server.aof_rewrites);
  Field(out, "aof_rewrites_consecutive_failures", 0);
  Field(out, "aof_last_write_status", write_ok ? "ok" : "err");
  Field(out, "aof_last_cow_size", 0);
  Field(out, "module_fork_in_progress", 0);
  Field(out, "module_fork_last_cow_size", 0);
  Field(out, "appendfsync", SyncModeName(engine->sync_mode()));
  FieldU(out, "leveldb_commits", engine->commits());
  FieldU(out, "leveldb_pipelined_commits", engine->async_commits());
  FieldU(out, "leveldb_backpressure_waits", server.stats.commit_backpressure_waits);
  const storage::Keyspace& keyspace = *server.keyspace;
  FieldU(out, "journal_records", keyspace.journal_records());
  FieldU(out, "journal_files", keyspace.journal_files());
  FieldU(out, "journal_pending_rows", keyspace.pending_rows());
  FieldU(out, "journal_rows_materialized", keyspace.rows_materialized());
  FieldU(out, "journal_cycles", keyspace.materialize_cycles());
  FieldU(out, "journal_rows_replayed", keyspace.journal_rows_replayed());
  Field(out, "key_filter_ready", engine->key_filter_ready() ? 1 : 0);
  FieldU(out, "key_filter_bytes", engine->key_filter_bytes());
  FieldU(out, "key_filter_negatives", engine->key_filter_negatives());
  FieldU(out, "key_filter_false_positives", engine->key_filter_false_positives());
  FieldU(out, "key_filter_rebuilds", engine->key_filter_rebuilds());
  FieldU(out, "leveldb_fsyncs", engine->fsyncs());
  Field(out, "leveldb_last_fsync_time", last_fsync_ms > 0 ? last_fsync_ms / 1000 : -1);
  FieldU(out, "leveldb_disk_bytes", engine->ApproximateDiskBytes());
  Field(out, "leveldb_last_error", engine->last_error());
}

}  // namespace

void SampleInstantaneousMetrics(ServerContext& server, int64_t now_ms) {
  const Stats& s = server.stats;
  State().sampler.Sample(now_ms, s.total_commands_processed, s.total_net_input_bytes,
                         s.total_net_output_bytes);
}

namespace {

void StatsSection(ServerContext& server, int64_t now_ms, std::string* out) {
  const Stats& s = server.stats;
  const RateSampler::Rates rates = State().sampler.Sample(
      now_ms, s.total_commands_processed, s.total_net_input_bytes, s.total_net_output_bytes);
  FieldU(out, "total_connections_received", s.total_connections_received);
  FieldU(out, "total_commands_processed", s.total_commands_processed);
  Field(out, "instantaneous_ops_per_sec", static_cast<int64_t>(rates.ops_per_sec + 0.5));
  FieldU(out, "total_net_input_bytes", s.total_net_input_bytes);
  FieldU(out, "total_net_output_bytes", s.total_net_output_bytes);
  Field(out, "total_net_repl_input_bytes", 0);
  Field(out, "total_net_repl_output_bytes", 0);
  Field(out, "instantaneous_input_kbps", Format("%.2f", rates.input_kbps));
  Field(out, "instantaneous_output_kbps", Format("%.2f", rates.output_kbps));
  Field(out, "instantaneous_input_repl_kbps", "0.00");
  Field(out, "instantaneous_output_repl_kbps", "0.00");
  FieldU(out, "rejected_connections", s.rejected_connections);
  Field(out, "sync_full", 0);
  Field(out, "sync_partial_ok", 0);
  Field(out, "sync_partial_err", 0);
  FieldU(out, "expired_keys", ExpiredKeys(server));
  Field(out, "expired_stale_perc", "0.00");
  Field(out, "expired_time_cap_reached_count", 0);
  Field(out, "expire_cycle_cpu_milliseconds", 0);
  Field(out, "evicted_keys", 0);
  Field(out, "evicted_clients", 0);
  Field(out, "total_eviction_exceeded_time", 0);
  Field(out, "current_eviction_exceeded_time", 0);
  FieldU(out, "keyspace_hits", s.keyspace_hits);
  FieldU(out, "keyspace_misses", s.keyspace_misses);
  Field(out, "pubsub_channels", 0);
  Field(out, "pubsub_patterns", 0);
  Field(out, "pubsubshard_channels", 0);
  Field(out, "latest_fork_usec", 0);
  Field(out, "total_forks", 0);
  Field(out, "migrate_cached_sockets", 0);
  Field(out, "slave_expires_tracked_keys", 0);
  Field(out, "active_defrag_hits", 0);
  Field(out, "active_defrag_misses", 0);
  Field(out, "active_defrag_key_hits", 0);
  Field(out, "active_defrag_key_misses", 0);
  Field(out, "total_active_defrag_time", 0);
  Field(out, "current_active_defrag_time", 0);
  Field(out, "tracking_total_keys", 0);
  Field(out, "tracking_total_items", 0);
  Field(out, "tracking_total_prefixes", 0);
  FieldU(out, "unexpected_error_replies", s.unexpected_error_replies);
  FieldU(out, "total_error_replies", s.total_error_replies);
  Field(out, "dump_payload_sanitizations", 0);
  Field(out, "io_threaded_reads_processed", 0);
  Field(out, "io_threaded_writes_processed", 0);
  // Redis 7.4's names for the buffer-limit disconnections; protocol errors are ringkv's.
  FieldU(out, "client_query_buffer_limit_disconnections",
         s.client_query_buffer_limit_disconnections);
  FieldU(out, "client_output_buffer_limit_disconnections", s.client_output_limit_disconnections);
  FieldU(out, "protocol_errors", s.protocol_errors);
}

void ReplicationSection(ServerContext& server, std::string* out) {
  Field(out, "role", "master");
  Field(out, "connected_slaves", 0);
  Field(out, "master_failover_state", "no-failover");
  Field(out, "master_replid", server.run_id);
  Field(out, "master_replid2", "0000000000000000000000000000000000000000");
  Field(out, "master_repl_offset", 0);
  Field(out, "second_repl_offset", -1);
  Field(out, "repl_backlog_active", 0);
  Field(out, "repl_backlog_size", 1048576);
  Field(out, "repl_backlog_first_byte_offset", 0);
  Field(out, "repl_backlog_histlen", 0);
}

void CpuSection(std::string* out) {
  rusage self{}, children{}, thread{};
  getrusage(RUSAGE_SELF, &self);
  getrusage(RUSAGE_CHILDREN, &children);
  getrusage(RUSAGE_THREAD, &thread);
  Field(out, "used_cpu_sys", CpuTime(self.ru_stime));
  Field(out, "used_cpu_user", CpuTime(self.ru_utime));
  Field(out, "used_cpu_sys_children", CpuTime(children.ru_stime));
  Field(out, "used_cpu_user_children", CpuTime(children.ru_utime));
  Field(out, "used_cpu_sys_main_thread", CpuTime(thread.ru_stime));
  Field(out, "used_cpu_user_main_thread", CpuTime(thread.ru_utime));
}

void CommandStatsSection(ServerContext& server, std::string* out) {
  for (const auto& [name, c] : server.stats.commands) {
    if (c.calls == 0 && c.failed_calls == 0 && c.rejected_calls == 0) continue;
    const double per_call = c.calls ? static_cast<double>(c.usec) / c.calls : 0.0;
    Field(out, "cmdstat_" + name,
          "calls=" + std::to_string(c.calls) + ",usec=" + std::to_string(c.usec) +
              ",usec_per_call=" + Format("%.2f", per_call) + ",rejected_calls=" +
              std::to_string(c.rejected_calls) + ",failed_calls=" + std::to_string(c.failed_calls));
  }
}

// Redis prints a percentile's label with %f and trims trailing zeros
// (trimDoubleString): 50 -> "50", 99.9 -> "99.9".
std::string PercentileLabel(double p) {
  std::string s = Format("%f", p);
  if (s.find('.') != std::string::npos) {
    while (s.back() == '0') s.pop_back();
    if (s.back() == '.') s.pop_back();
  }
  return s;
}

// latency-tracking-info-percentiles; values Redis would refuse are skipped.
std::vector<double> InfoPercentiles(const server::Config& config) {
  std::vector<double> percentiles;
  auto it = config.passthrough.find("latency-tracking-info-percentiles");
  if (it == config.passthrough.end()) return {50.0, 99.0, 99.9};
  std::vector<std::string> words;
  resp::SplitArgs(it->second, &words);
  for (const std::string& word : words) {
    double p;
    if (ParseDouble(word, &p) && p >= 0.0 && p <= 100.0) percentiles.push_back(p);
  }
  return percentiles;
}

// INFO latencystats: each command's latency percentiles in microseconds.
void LatencyStatsSection(ServerContext& server, std::string* out) {
  if (!server.config->latency_tracking) return;
  const std::vector<double> percentiles = InfoPercentiles(*server.config);
  for (const auto& [name, c] : server.stats.commands) {
    if (!c.latency || c.latency->total_count() == 0) continue;
    std::string value;
    for (size_t i = 0; i < percentiles.size(); ++i) {
      if (i > 0) value += ',';
      value += "p" + PercentileLabel(percentiles[i]) + "=" +
               Format("%.3f",
                      static_cast<double>(c.latency->ValueAtPercentile(percentiles[i])) / 1000.0);
    }
    Field(out, "latency_percentiles_usec_" + name, value);
  }
}

void ErrorStatsSection(ServerContext& server, std::string* out) {
  for (const auto& [code, count] : server.stats.errors) {
    Field(out, "errorstat_" + code, "count=" + std::to_string(count));
  }
}

void KeyspaceSection(ServerContext& server, std::string* out) {
  storage::Keyspace& keyspace = *server.keyspace;
  for (int db = 0; db < keyspace.num_databases(); ++db) {
    const storage::Keyspace::DbStats stats = keyspace.Stats(db);
    if (stats.keys == 0) continue;
    // ringkv keeps no TTL sample, so avg_ttl is 0 as Redis reports before sampling.
    Field(out, "db" + std::to_string(db),
          "keys=" + std::to_string(stats.keys) + ",expires=" + std::to_string(stats.expires) +
              ",avg_ttl=0");
  }
}

// Without a router this node is the whole ring: every quorum is met by this
// node alone. With fewer members than `replicas`, N, W and R are capped at the
// member count.
void RingSection(ServerContext& server, std::string* out) {
  const server::Config& config = *server.config;
  const std::string node_id = !config.node_id.empty() ? config.node_id : server.run_id.substr(0, 8);
  const int members = server.router != nullptr ? static_cast<int>(server.router->NumMembers()) : 1;
  const int alive = server.router != nullptr ? static_cast<int>(server.router->NumAlive()) : 1;
  const int effective_replicas = std::min(config.replicas, members);
  Field(out, "ring_node_id", node_id);
  Field(out, "ring_members", members);
  Field(out, "ring_alive", alive);
  Field(out, "ring_replicas", config.replicas);
  Field(out, "ring_write_quorum", config.write_quorum);
  Field(out, "ring_read_quorum", config.read_quorum);
  Field(out, "ring_effective_replicas", effective_replicas);
  Field(out, "ring_effective_write_quorum", std::min(config.write_quorum, effective_replicas));
  Field(out, "ring_effective_read_quorum", std::min(config.read_quorum, effective_replicas));
  Field(out, "ring_vnodes", config.vnodes);
  Field(out, "ring_cluster_port",
        config.cluster_port != 0 ? config.cluster_port : config.port + 10000);
  FieldU(out, "ring_node_epoch", server.keyspace->actor().epoch);
  FieldU(out, "ring_keys_with_siblings", server.keyspace->keys_with_siblings());
  Field(out, "ring_tombstone_grace", config.tombstone_grace);
  FieldU(out, "ring_tombstones_reaped", server.keyspace->reaped_tombstones());
  Field(out, "ring_hints_pending", 0);
  if (server.router != nullptr) server.router->AppendInfo(out);
}

}  // namespace

std::string GenerateInfo(ServerContext& server, const ClientState& client, int64_t now_ms,
                         std::span<const std::string_view> sections) {
  const Selection selection(sections);
  std::string out;
  for (const Section& section : kSections) {
    if (!selection.Has(section.name)) continue;
    // A blank line separates sections, as in Redis.
    if (!out.empty()) out += "\r\n";
    out += "# ";
    out += section.title;
    out += "\r\n";
    const std::string_view name = section.name;
    if (name == "server") {
      ServerSection(server, now_ms, &out);
    } else if (name == "clients") {
      ClientsSection(server, client, &out);
    } else if (name == "memory") {
      MemorySection(server, client, &out);
    } else if (name == "persistence") {
      PersistenceSection(server, &out);
    } else if (name == "stats") {
      StatsSection(server, now_ms, &out);
    } else if (name == "replication") {
      ReplicationSection(server, &out);
    } else if (name == "cpu") {
      CpuSection(&out);
    } else if (name == "commandstats") {
      CommandStatsSection(server, &out);
    } else if (name == "errorstats") {
      ErrorStatsSection(server, &out);
    } else if (name == "latencystats") {
      LatencyStatsSection(server, &out);
    } else if (name == "cluster") {
      Field(&out, "cluster_enabled", 0);
    } else if (name == "keyspace") {
      KeyspaceSection(server, &out);
    } else if (name == "ring") {
      RingSection(server, &out);
    }
    // Modules stays empty: ringkv has no modules.
    if (server.info_extra) server.info_extra(name, &out);
  }
  return out;
}

void InfoCommand(ExecContext& ctx) {
  const std::string text = GenerateInfo(ctx.server, ctx.client, ctx.now_ms, ctx.args.subspan(1));
  ctx.reply.Verbatim("txt", text);
}

void ResetInfoStats(ServerContext& server) {
  server.stats = Stats{};
  // The keyspace's lazy-expiry counter cannot be reset from here, so the stats
  // counter starts at its negation (mod 2^64): their sum, INFO's expired_keys,
  // is 0 and counts up from there.
  server.stats.expired_keys = 0 - server.keyspace->expired_keys();
  State().peak_memory = 0;
}

}  // namespace ringkv::commands

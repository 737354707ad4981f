// ringkv-server: starts like redis-server, `ringkv-server [ringkv.conf] [--directive value ...]`.
#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>
#include <sys/resource.h>
#include <uv.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <random>

#include "commands/context.h"
#include "net/server.h"
#include "server/config.h"
#include "storage/engine.h"
#include "storage/keyspace.h"
#include "storage/node_identity.h"

namespace {

using ringkv::Status;

spdlog::level::level_enum LogLevel(const std::string& level) {
  if (level == "debug") return spdlog::level::debug;
  if (level == "verbose") return spdlog::level::info;
  if (level == "notice") return spdlog::level::info;
  if (level == "warning") return spdlog::level::warn;
  return spdlog::level::off;
}

void SetupLogging(const ringkv::server::Config& config) {
  std::shared_ptr<spdlog::logger> logger;
  if (config.logfile.empty()) {
    logger = spdlog::stdout_logger_mt("ringkv");
  } else {
    logger = spdlog::basic_logger_mt("ringkv", config.logfile);
  }
  logger->set_pattern("%P:M %d %b %Y %H:%M:%S.%e %^%L%$ %v");
  logger->set_level(LogLevel(config.loglevel));
  logger->flush_on(spdlog::level::info);
  spdlog::set_default_logger(logger);
}

std::string RandomHex(size_t n) {
  std::random_device rd;
  std::mt19937_64 gen(rd());
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out(n, '0');
  for (auto& c : out) c = kHex[gen() % 16];
  return out;
}

// As Redis's adjustOpenFilesLimit: room for every client, LevelDB's open table
// files and a few descriptors of our own. If the limit cannot be raised that
// far, maxclients is lowered to what fits.
void AdjustOpenFilesLimit(ringkv::server::Config* config, int leveldb_files) {
  constexpr int64_t kReserved = 32;
  const rlim_t wanted = static_cast<rlim_t>(config->maxclients + kReserved + leveldb_files);
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0 || limit.rlim_cur >= wanted) return;
  rlimit raised = limit;
  raised.rlim_cur = std::min<rlim_t>(wanted, limit.rlim_max);
  if (setrlimit(RLIMIT_NOFILE, &raised) == 0) limit = raised;
  if (limit.rlim_cur >= wanted) return;
  const int64_t fit = static_cast<int64_t>(limit.rlim_cur) - kReserved - leveldb_files;
  spdlog::warn("Open files limit is {}: maxclients lowered from {} to {}", limit.rlim_cur,
               config->maxclients, std::max<int64_t>(fit, 1));
  config->maxclients = std::max<int64_t>(fit, 1);
}

int64_t UnixMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

int main(int argc, char** argv) {
  ringkv::server::Config config;
  if (argc == 2 &&
      (std::string_view(argv[1]) == "-v" || std::string_view(argv[1]) == "--version")) {
    std::printf("ringkv server v=%s\n", RINGKV_VERSION);
    return 0;
  }
  Status s = ringkv::server::LoadConfig(argc, argv, &config);
  if (!s.ok()) {
    std::fprintf(stderr, "\n*** FATAL CONFIG FILE ERROR ***\n%s\n", s.message().c_str());
    return 1;
  }
  SetupLogging(config);
  // Redis (and clients' expectations) treat SIGPIPE as a per-write error.
  signal(SIGPIPE, SIG_IGN);

  ringkv::storage::EngineOptions engine_options;
  AdjustOpenFilesLimit(&config, engine_options.max_open_files);
  engine_options.dir = config.dir;
  engine_options.sync_mode = config.appendfsync;
  engine_options.block_cache_bytes = static_cast<size_t>(config.leveldb_block_cache_size);
  engine_options.write_buffer_bytes = static_cast<size_t>(config.leveldb_write_buffer_size);
  engine_options.bloom_bits_per_key = config.leveldb_bloom_bits;
  std::unique_ptr<ringkv::storage::Engine> engine;
  s = ringkv::storage::Engine::Open(engine_options, &engine);
  if (!s.ok()) {
    spdlog::critical("Cannot open data directory {}: {}", config.dir, s.ToString());
    return 1;
  }
  ringkv::storage::NodeIdentity identity;
  s = ringkv::storage::LoadOrCreateIdentity(engine.get(), config.node_id, UnixMs(), &identity);
  if (!s.ok()) {
    spdlog::critical("Cannot load node identity from {}: {}", config.dir, s.ToString());
    return 1;
  }
  config.node_id = identity.node_id;
  if (identity.fresh) {
    spdlog::info("Node {} starts on a fresh data directory: new epoch {}", identity.node_id,
                 identity.epoch);
  }
  if (config.write_quorum + config.read_quorum <= config.replicas) {
    spdlog::warn(
        "write-quorum ({}) + read-quorum ({}) <= replicas ({}): reads may miss acknowledged "
        "writes until replicas converge (eventual consistency)",
        config.write_quorum, config.read_quorum, config.replicas);
  }
  ringkv::storage::Keyspace keyspace(engine.get(), config.databases,
                                     static_cast<size_t>(config.row_cache_size));
  keyspace.set_actor({identity.node_id, identity.epoch});
  // With peers, deletes must leave tombstones so that a replica's older copy
  // cannot bring a deleted key back.
  keyspace.set_keep_tombstones(!config.seeds.empty());
  s = keyspace.Open();
  if (!s.ok()) {
    spdlog::critical("Cannot load keyspace metadata: {}", s.ToString());
    return 1;
  }

  ringkv::commands::ServerContext ctx;
  ctx.config = &config;
  ctx.keyspace = &keyspace;
  ctx.run_id = RandomHex(40);
  ctx.start_time_ms = UnixMs();
  std::error_code ec;
  ctx.executable = std::filesystem::canonical("/proc/self/exe", ec).string();
  ctx.config_file = config.config_file;
  keyspace.set_modified_observer(
      [&ctx](int db, std::string_view key) { ctx.watches.Touch(db, key); });

  uv_loop_t* loop = uv_default_loop();
  ringkv::net::Server server(loop, &ctx);
  s = server.Listen();
  if (!s.ok()) {
    spdlog::critical("{}", s.message());
    return 1;
  }
  spdlog::info("ringkv {} started, port {}, data in {}", RINGKV_VERSION, ctx.tcp_port, config.dir);
  spdlog::info("Ready to accept connections tcp");
  server.Run();
  uv_loop_close(loop);
  return 0;
}

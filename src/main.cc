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
#include <fstream>
#include <random>
#include <set>
#include <sstream>

#include "cluster/coordinator.h"
#include "cluster/ring.h"
#include "commands/context.h"
#include "commands/util.h"
#include "net/peer_transport.h"
#include "net/server.h"
#include "net/uv_clock.h"
#include "server/config.h"
#include "storage/engine.h"
#include "storage/keyspace.h"
#include "storage/node_identity.h"

// jemalloc's options, read at its first allocation (MALLOC_CONF in the
// environment still overrides them): back its memory with transparent huge
// pages. Commands reach rows scattered over the whole row cache; with 4 KB
// pages nearly every such access also missed the TLB (SET -P 16 after the
// other tests ran at 0.6-0.8 of Redis's rate instead of 0.85-1.0). Resident
// memory with 5 million keys stayed at ~190 MiB.
extern "C" {
extern const char* malloc_conf;
const char* malloc_conf = "thp:always";
}

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

// Ring members learned from handshakes are kept in `dir`/ring-members, one id
// per line, so that a restarted node places keys on the same replicas before
// its peers answer again (membership is static until gossip lands).
std::set<std::string> LoadMembers(const std::string& dir) {
  std::set<std::string> members;
  std::ifstream in(dir + "/ring-members");
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty()) members.insert(line);
  }
  return members;
}

void SaveMembers(const std::string& dir, const std::set<std::string>& members) {
  const std::string path = dir + "/ring-members";
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    for (const std::string& member : members) out << member << "\n";
    if (!out) {
      spdlog::error("Cannot write {}", tmp);
      return;
    }
  }
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  if (ec) spdlog::error("Cannot replace {}: {}", path, ec.message());
}

// Everything a node with peers runs on top of the single-node server: the
// ring, the peer transport on the cluster port and the quorum coordinator.
class ClusterNode {
 public:
  ClusterNode(uv_loop_t* loop, ringkv::server::Config* config, ringkv::commands::ServerContext* ctx,
              ringkv::net::Server* server)
      : config_(config),
        ring_(static_cast<size_t>(config->vnodes)),
        transport_(loop, TransportOptions(*config)),
        clock_(loop),
        coordinator_(
            CoordinatorOptions(*config), &ring_, &transport_, &clock_, ctx,
            [server](std::function<void()> fn) { server->RunAfterCommit(std::move(fn)); }) {
    members_ = LoadMembers(config->dir);
    members_.insert(config->node_id);
    for (const std::string& member : members_) ring_.AddNode(member);
    transport_.SetRequestHandler([this](const ringkv::cluster::NodeId& from,
                                        const ringkv::cluster::PeerRequest& request,
                                        std::function<void(ringkv::cluster::PeerReply)> respond) {
      coordinator_.HandlePeerRequest(from, request, std::move(respond));
    });
    transport_.SetPeerCallbacks([this](const ringkv::cluster::NodeId& id,
                                       const std::string& address) { OnPeerUp(id, address); },
                                [](const ringkv::cluster::NodeId& id) {
                                  spdlog::warn("Lost the connection to node {}", id);
                                });
    ctx->router = &coordinator_;
  }

  // Opens the cluster port on the client bind addresses and connects to the
  // seeds. `ready` runs once every seed is connected (or found to be this node
  // itself), or after kJoinWaitMs if some seed does not answer: until then
  // the node would place keys on an incomplete ring.
  Status Start(std::function<void()> ready) {
    ready_ = std::move(ready);
    join_deadline_ms_ = clock_.MonotonicMs() + kJoinWaitMs;
    clock_.After(10, [this] { CheckJoined(); });
    const int port = config_->cluster_port != 0 ? config_->cluster_port : config_->port + 10000;
    bool listening = false;
    for (const std::string& entry : config_->bind) {
      const bool optional = !entry.empty() && entry[0] == '-';
      std::string host = optional ? entry.substr(1) : entry;
      if (host == "*") host = "0.0.0.0";
      if (host == "::*") host = "::";
      Status s = transport_.Listen(host, port);
      if (s.ok()) {
        listening = true;
      } else if (!optional) {
        return s;
      }
    }
    if (!listening) return Status::IOError("cannot open the cluster port " + std::to_string(port));
    std::stringstream seeds(config_->seeds);
    std::string seed;
    while (std::getline(seeds, seed, ',')) {
      seed.erase(0, seed.find_first_not_of(" \t"));
      seed.erase(seed.find_last_not_of(" \t") + 1);
      if (seed.empty()) continue;
      std::string host;
      int seed_port = 0;
      if (!ringkv::net::SplitHostPort(seed, &host, &seed_port)) {
        return Status::InvalidArgument("seeds: '" + seed + "' is not host:port");
      }
      transport_.AddSeed(host, seed_port);
    }
    spdlog::info("Cluster port {}: node {} with {} known members, N={} W={} R={}", port,
                 config_->node_id, members_.size(), config_->replicas, config_->write_quorum,
                 config_->read_quorum);
    return Status::OK();
  }

  void Close() { transport_.Close(); }

 private:
  static constexpr int64_t kJoinWaitMs = 5000;

  void CheckJoined() {
    if (!ready_) return;
    const bool joined = transport_.stats().outbound_up >= transport_.num_seeds();
    const bool late = clock_.MonotonicMs() >= join_deadline_ms_;
    if (!joined && !late) {
      clock_.After(10, [this] { CheckJoined(); });
      return;
    }
    if (!joined) {
      spdlog::warn(
          "Serving with {} of {} seeds connected after {} ms; the others join when they answer",
          transport_.stats().outbound_up, transport_.num_seeds(), kJoinWaitMs);
    }
    auto ready = std::move(ready_);
    ready_ = nullptr;
    ready();
  }

  static ringkv::net::PeerTransport::Options TransportOptions(const ringkv::server::Config& c) {
    ringkv::net::PeerTransport::Options options;
    options.self_id = c.node_id;
    options.secret = c.cluster_secret;
    return options;
  }
  static ringkv::cluster::Coordinator::Options CoordinatorOptions(const ringkv::server::Config& c) {
    ringkv::cluster::Coordinator::Options options;
    options.self = c.node_id;
    options.replicas = static_cast<size_t>(c.replicas);
    options.write_quorum = static_cast<size_t>(c.write_quorum);
    options.read_quorum = static_cast<size_t>(c.read_quorum);
    options.request_timeout_ms = c.cluster_request_timeout;
    return options;
  }

  void OnPeerUp(const ringkv::cluster::NodeId& id, const std::string& address) {
    // Requests travel only on our own connections: reach a node that found us.
    std::string host;
    int port = 0;
    // A wildcard address (a node bound to 0.0.0.0 announces it) reaches
    // whoever dials it, ourselves included: only the seeds reach such a node.
    if (!address.empty() && ringkv::net::SplitHostPort(address, &host, &port) &&
        host != "0.0.0.0" && host != "::") {
      transport_.AddSeed(host, port);
    }
    // A member is added once our own connection to it is up: before that,
    // every request to it would fail as unreachable.
    if (!transport_.IsConnected(id)) return;
    if (members_.insert(id).second) {
      ring_.AddNode(id);
      SaveMembers(config_->dir, members_);
      spdlog::info("Node {} joined the ring ({} members)", id, members_.size());
      WarnIfUnbalanced();
    }
  }

  // Tokens come from node ids alone; a rare pair of ids lands badly (see
  // src/cluster/ring.h). Say so, since the fix is choosing another node-id.
  void WarnIfUnbalanced() {
    const double fair = 1.0 / static_cast<double>(ring_.NumMembers());
    for (const std::string& member : ring_.Members()) {
      const double share = ring_.Ownership(member);
      if (share < 0.5 * fair || share > 1.5 * fair) {
        spdlog::warn(
            "Ring imbalance: node {} is the primary for {:.1f}% of keys (fair share {:.1f}%); "
            "a different node-id for it gives different tokens",
            member, 100 * share, 100 * fair);
      }
    }
  }

  ringkv::server::Config* config_;
  std::function<void()> ready_;
  int64_t join_deadline_ms_ = 0;
  std::set<std::string> members_;
  ringkv::cluster::Ring ring_;
  ringkv::net::PeerTransport transport_;
  ringkv::net::UvClock clock_;
  ringkv::cluster::Coordinator coordinator_;
};

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
  engine_options.compression = config.leveldb_compression;
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
  ctx.last_save_ms = ctx.start_time_ms;
  std::error_code ec;
  ctx.executable = std::filesystem::canonical("/proc/self/exe", ec).string();
  ctx.config_file = config.config_file;
  keyspace.set_access_policy(ringkv::commands::AccessPolicyOf(config));
  keyspace.set_modified_observer(
      [&ctx](int db, std::string_view key) { ctx.watches.Touch(db, key); });

  uv_loop_t* loop = uv_default_loop();
  ringkv::net::Server server(loop, &ctx);
  s = server.Listen();
  if (!s.ok()) {
    spdlog::critical("{}", s.message());
    return 1;
  }
  std::unique_ptr<ClusterNode> cluster;
  if (!config.seeds.empty()) {
    cluster = std::make_unique<ClusterNode>(loop, &config, &ctx, &server);
    server.set_paused(true);
    s = cluster->Start([&server] {
      spdlog::info("Joined the ring: serving clients");
      server.set_paused(false);
    });
    if (!s.ok()) {
      spdlog::critical("Cannot start the cluster port: {}", s.ToString());
      return 1;
    }
    server.set_shutdown_hook([&cluster] { cluster->Close(); });
  }
  spdlog::info("ringkv {} started, port {}, data in {}", RINGKV_VERSION, ctx.tcp_port, config.dir);
  spdlog::info("Ready to accept connections tcp");
  server.Run();
  cluster.reset();
  uv_run(loop, UV_RUN_DEFAULT);  // lets the closed handles finish closing
  uv_loop_close(loop);
  return 0;
}

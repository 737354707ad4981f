// Starts a cluster of real ringkv-server processes on loopback (free ports
// picked at runtime, one temporary directory per cluster) and talks to them
// through hiredis. Every process is killed, and the directory removed, when
// the Cluster is destroyed, whatever the test's outcome. Waits are polls with
// deadlines.
#pragma once

#include <gtest/gtest.h>
#include <hiredis/hiredis.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "tests/integration/server_process.h"

namespace ringkv::testing {

inline std::string Str(const Reply& r) {
  return r && r->str ? std::string(r->str, r->len) : "<null>";
}
inline bool IsNil(const Reply& r) { return r && r->type == REDIS_REPLY_NIL; }
inline bool IsError(const Reply& r) { return r && r->type == REDIS_REPLY_ERROR; }

// Runs a command given as separate arguments (binary safe, empty strings
// allowed, which the printf form of redisCommand cannot express).
inline Reply CommandArgv(const Connection& c, const std::vector<std::string>& args) {
  std::vector<const char*> argv;
  std::vector<size_t> lens;
  for (const std::string& a : args) {
    argv.push_back(a.data());
    lens.push_back(a.size());
  }
  return Reply(static_cast<redisReply*>(
      redisCommandArgv(c.get(), static_cast<int>(args.size()), argv.data(), lens.data())));
}

// One ringkv-server process of a cluster: a fixed client port, cluster port,
// node id and data directory, so that it can be killed and restarted as the
// same node.
class ClusterNode {
 public:
  ClusterNode(std::string id, int port, int cluster_port, std::filesystem::path dir)
      : id_(std::move(id)), port_(port), cluster_port_(cluster_port), dir_(std::move(dir)) {}
  ~ClusterNode() { Kill(SIGKILL); }
  ClusterNode(const ClusterNode&) = delete;
  ClusterNode& operator=(const ClusterNode&) = delete;

  // Forks and execs the server; does not wait for it (see WaitReady).
  void Spawn(const std::string& seeds, const std::vector<std::string>& extra_args) {
    std::filesystem::create_directories(dir_);
    const std::string log = dir_.string() + ".log";
    pid_ = fork();
    if (pid_ == 0) {
      std::vector<std::string> args = {RINGKV_SERVER_BIN,
                                       "--port",
                                       std::to_string(port_),
                                       "--bind",
                                       "127.0.0.1",
                                       "--cluster-port",
                                       std::to_string(cluster_port_),
                                       "--dir",
                                       dir_.string(),
                                       "--node-id",
                                       id_,
                                       "--seeds",
                                       seeds,
                                       "--protected-mode",
                                       "no",
                                       "--loglevel",
                                       "notice",
                                       "--logfile",
                                       log};
      args.insert(args.end(), extra_args.begin(), extra_args.end());
      std::vector<char*> argv;
      for (auto& a : args) argv.push_back(a.data());
      argv.push_back(nullptr);
      execv(RINGKV_SERVER_BIN, argv.data());
      _exit(127);
    }
  }

  // Waits until the process answers PING on its client port.
  bool WaitReady(std::chrono::milliseconds deadline = std::chrono::seconds(10)) {
    return WaitFor(
        [this] {
          if (!Alive()) return false;
          Connection c = Connect(std::chrono::milliseconds(500));
          if (!c) return false;
          Reply r = Command(c, "PING");
          return r && r->type == REDIS_REPLY_STATUS;
        },
        deadline);
  }

  // Sends `signal` and reaps the process. Returns its wait status, -1 if it
  // was not running.
  int Kill(int signal) {
    if (pid_ <= 0) return -1;
    kill(pid_, signal);
    int status = 0;
    waitpid(pid_, &status, 0);
    pid_ = -1;
    return status;
  }

  // False once the process has exited (it is then reaped).
  bool Alive() {
    if (pid_ <= 0) return false;
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) == 0) return true;
    pid_ = -1;
    return false;
  }

  Connection Connect(std::chrono::milliseconds timeout = std::chrono::seconds(5)) const {
    return ConnectTo(port_, timeout);
  }
  static Connection ConnectTo(int port, std::chrono::milliseconds timeout) {
    timeval tv{static_cast<time_t>(timeout.count() / 1000),
               static_cast<suseconds_t>((timeout.count() % 1000) * 1000)};
    redisContext* c = redisConnectWithTimeout("127.0.0.1", port, tv);
    if (c == nullptr || c->err) {
      if (c) redisFree(c);
      return nullptr;
    }
    redisSetTimeout(c, tv);
    return Connection(c);
  }

  // The last lines of the node's log file (for failure messages).
  std::string LogTail(size_t lines = 30) const {
    std::ifstream in(dir_.string() + ".log");
    std::vector<std::string> all;
    std::string line;
    while (std::getline(in, line)) all.push_back(line);
    std::string out;
    for (size_t i = all.size() > lines ? all.size() - lines : 0; i < all.size(); ++i) {
      out += all[i] + "\n";
    }
    return out;
  }

  const std::string& id() const { return id_; }
  int port() const { return port_; }
  int cluster_port() const { return cluster_port_; }
  const std::filesystem::path& dir() const { return dir_; }

 private:
  std::string id_;
  int port_;
  int cluster_port_;
  std::filesystem::path dir_;
  pid_t pid_ = -1;
};

// Reads one integer field of INFO; -1 if the node does not answer or lacks it.
inline int64_t InfoInt(const Connection& c, const std::string& field,
                       const std::string& section = "ring") {
  if (!c) return -1;
  Reply r = Command(c, "INFO %s", section.c_str());
  if (!r || r->type != REDIS_REPLY_STRING) return -1;
  std::istringstream in(std::string(r->str, r->len));
  std::string line;
  const std::string prefix = field + ":";
  while (std::getline(in, line)) {
    if (line.rfind(prefix, 0) == 0) {
      try {
        return std::stoll(line.substr(prefix.size()));
      } catch (...) {
        return -1;
      }
    }
  }
  return -1;
}

// N nodes "node1".."nodeN", each seeded with every cluster port.
class Cluster {
 public:
  explicit Cluster(size_t size, std::vector<std::string> extra_args = {})
      : extra_args_(std::move(extra_args)) {
    std::random_device rd;
    base_ = std::filesystem::temp_directory_path() /
            ("ringkv-cluster-" + std::to_string(getpid()) + "-" + std::to_string(rd()));
    std::set<int> used;
    auto unique_port = [&used] {
      int port;
      do {
        port = FreePort();
      } while (port <= 0 || !used.insert(port).second);
      return port;
    };
    for (size_t i = 0; i < size; ++i) {
      const int port = unique_port();
      const int cluster_port = unique_port();
      const std::string id = "node" + std::to_string(i + 1);
      nodes_.push_back(std::make_unique<ClusterNode>(id, port, cluster_port, base_ / id));
      if (!seeds_.empty()) seeds_ += ",";
      seeds_ += "127.0.0.1:" + std::to_string(cluster_port);
    }
  }

  ~Cluster() {
    if (::testing::Test::HasFailure()) {
      for (const auto& node : nodes_) {
        std::cerr << "---- log of " << node->id() << " ----\n" << node->LogTail();
      }
    }
    nodes_.clear();  // kills every process
    std::error_code ec;
    std::filesystem::remove_all(base_, ec);
  }

  // Starts every node at once and waits until each answers PING.
  bool Start() {
    for (auto& node : nodes_) node->Spawn(seeds_, extra_args_);
    for (auto& node : nodes_) {
      if (!node->WaitReady()) return false;
    }
    return true;
  }

  // (Re)starts one node on its own directory, ports and id.
  bool Restart(size_t i) {
    nodes_[i]->Kill(SIGKILL);
    nodes_[i]->Spawn(seeds_, extra_args_);
    return nodes_[i]->WaitReady();
  }

  // True once every running node knows all members and is connected to
  // `alive` of them (itself included).
  bool WaitConverged(size_t alive, std::chrono::milliseconds deadline = std::chrono::seconds(20)) {
    return WaitFor(
        [&] {
          for (auto& node : nodes_) {
            if (!node->Alive()) continue;
            Connection c = node->Connect(std::chrono::milliseconds(500));
            if (InfoInt(c, "ring_members") != static_cast<int64_t>(nodes_.size()) ||
                InfoInt(c, "ring_alive") != static_cast<int64_t>(alive)) {
              return false;
            }
          }
          return true;
        },
        deadline);
  }
  bool WaitConverged(std::chrono::milliseconds deadline = std::chrono::seconds(20)) {
    return WaitConverged(nodes_.size(), deadline);
  }

  ClusterNode& node(size_t i) { return *nodes_[i]; }
  size_t size() const { return nodes_.size(); }
  // The index of the node with this id, or size() if none.
  size_t IndexOf(const std::string& id) const {
    for (size_t i = 0; i < nodes_.size(); ++i) {
      if (nodes_[i]->id() == id) return i;
    }
    return nodes_.size();
  }

 private:
  std::vector<std::string> extra_args_;
  std::filesystem::path base_;
  std::string seeds_;
  std::vector<std::unique_ptr<ClusterNode>> nodes_;
};

}  // namespace ringkv::testing

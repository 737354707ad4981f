// Starts a real ringkv-server process on a free loopback port with its own data
// directory, and talks to it through hiredis. Waits are polls with deadlines.
#pragma once

#include <hiredis/hiredis.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "tests/util/temp_dir.h"

namespace ringkv::testing {

struct RedisReplyDeleter {
  void operator()(redisReply* r) const { freeReplyObject(r); }
};
using Reply = std::unique_ptr<redisReply, RedisReplyDeleter>;

struct RedisContextDeleter {
  void operator()(redisContext* c) const { redisFree(c); }
};
using Connection = std::unique_ptr<redisContext, RedisContextDeleter>;

// Asks the kernel for a free port (bind to 0), then releases it.
inline int FreePort() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
  socklen_t len = sizeof(addr);
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  close(fd);
  return ntohs(addr.sin_port);
}

// Polls `condition` until true or the deadline passes.
inline bool WaitFor(const std::function<bool()>& condition,
                    std::chrono::milliseconds deadline = std::chrono::seconds(10)) {
  const auto end = std::chrono::steady_clock::now() + deadline;
  while (std::chrono::steady_clock::now() < end) {
    if (condition()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return condition();
}

class ServerProcess {
 public:
  explicit ServerProcess(std::vector<std::string> extra_args = {})
      : extra_args_(std::move(extra_args)) {
    dir_ = testing::UniqueTempDir("ringkv-it-");
    port_ = FreePort();
  }
  ~ServerProcess() {
    Kill(SIGKILL);
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }

  // Starts the server (again, on the same port and directory) and waits until it
  // answers PING. Returns false if it did not come up.
  bool Start() {
    pid_ = fork();
    if (pid_ == 0) {
      std::vector<std::string> args = {RINGKV_SERVER_BIN, "--port",     std::to_string(port_),
                                       "--bind",          "127.0.0.1",  "--dir",
                                       dir_.string(),     "--loglevel", "warning"};
      args.insert(args.end(), extra_args_.begin(), extra_args_.end());
      std::vector<char*> argv;
      for (auto& a : args) argv.push_back(a.data());
      argv.push_back(nullptr);
      execv(RINGKV_SERVER_BIN, argv.data());
      _exit(127);
    }
    return WaitFor([this] {
      if (!Alive()) return false;
      Connection c = Connect();
      if (!c) return false;
      Reply r(static_cast<redisReply*>(redisCommand(c.get(), "PING")));
      return r && (r->type == REDIS_REPLY_STATUS ||
                   (r->type == REDIS_REPLY_ERROR && std::string(r->str).rfind("NOAUTH", 0) == 0));
    });
  }

  // Sends `signal` and waits for the process to exit. Returns its wait status.
  int Kill(int signal) {
    if (pid_ <= 0) return -1;
    kill(pid_, signal);
    return Wait();
  }

  // Waits for the process to exit (SHUTDOWN). Returns its wait status.
  int Wait() {
    if (pid_ <= 0) return -1;
    int status = 0;
    waitpid(pid_, &status, 0);
    pid_ = -1;
    return status;
  }

  bool Alive() const { return pid_ > 0 && kill(pid_, 0) == 0; }

  Connection Connect() const {
    timeval tv{5, 0};
    redisContext* c = redisConnectWithTimeout("127.0.0.1", port_, tv);
    if (c == nullptr || c->err) {
      if (c) redisFree(c);
      return nullptr;
    }
    redisSetTimeout(c, tv);
    return Connection(c);
  }

  int port() const { return port_; }
  pid_t pid() const { return pid_; }
  const std::filesystem::path& dir() const { return dir_; }

 private:
  std::vector<std::string> extra_args_;
  std::filesystem::path dir_;
  int port_ = 0;
  pid_t pid_ = -1;
};

// Runs a command (printf-style, as redisCommand) and returns the reply.
template <typename... Args>
Reply Command(const Connection& c, const char* format, Args... args) {
  return Reply(static_cast<redisReply*>(redisCommand(c.get(), format, args...)));
}

}  // namespace ringkv::testing

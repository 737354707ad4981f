// The client-facing server on a libuv loop.
//
// Each loop iteration reads what the sockets have, executes every complete
// command (pipelining), and appends replies to per-client buffers. A check
// handle, which libuv runs right after the poll phase, then commits the
// keyspace's staged writes once (group commit: the write-ahead log is written
// before any reply of the iteration leaves) and writes each client's replies
// with one write call.
#pragma once

#include <uv.h>

#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "commands/context.h"
#include "resp/reply_builder.h"
#include "resp/request_parser.h"
#include "util/status.h"

namespace ringkv::net {

class Server : public commands::ClientRegistry {
 public:
  // `ctx` must outlive the server. Does not take ownership of `loop`.
  Server(uv_loop_t* loop, commands::ServerContext* ctx);
  ~Server() override;

  // Binds every address in config.bind on config.port. Addresses prefixed with
  // '-' are optional (as in redis.conf): failing to bind them is not an error.
  Status Listen();

  // Runs the loop until SHUTDOWN or a signal; then commits, syncs and closes.
  void Run();

  // Asks the loop to stop at the end of this iteration (signal handlers).
  void RequestShutdown();

  // ClientRegistry.
  void ForEachClient(const std::function<void(const commands::ClientState&)>& visit) override;
  bool KillClient(uint64_t id) override;
  size_t NumClients() const override { return connections_.size(); }
  void DeliverReply(uint64_t client_id, uint64_t seq, std::string_view reply) override;

  // Runs `fn` right after the next group commit, before replies are written:
  // acknowledgements that must not leave before the writes they acknowledge
  // are in the log (the coordinator's replies, peers' RING.MERGE acks) wait
  // on it. Writes staged by `fn` itself are committed before any reply leaves.
  void RunAfterCommit(std::function<void()> fn);

  // While paused, connections are accepted and read but their commands wait
  // (a node joining its ring waits for its peers before it answers). Resuming
  // runs what every client sent meanwhile.
  void set_paused(bool paused);

  // Runs once when the server shuts down, before its handles close (the
  // wiring closes the peer transport with it).
  void set_shutdown_hook(std::function<void()> hook) { shutdown_hook_ = std::move(hook); }

  // Bytes held in client query and output buffers (INFO memory).
  size_t ClientBufferBytes() const;

 private:
  struct Connection;

  static void OnConnection(uv_stream_t* listener, int status);
  static void OnAlloc(uv_handle_t* handle, size_t suggested, uv_buf_t* buf);
  static void OnRead(uv_stream_t* stream, ssize_t nread, const uv_buf_t* buf);
  static void OnWrite(uv_write_t* req, int status);
  static void OnClose(uv_handle_t* handle);
  static void OnCheck(uv_check_t* handle);
  static void OnCron(uv_timer_t* handle);
  static void OnSignal(uv_signal_t* handle, int signum);

  void Accept(uv_stream_t* listener);
  void ProcessInput(Connection* conn);
  void ScheduleFlush(Connection* conn);
  void FlushAll();
  void Flush(Connection* conn);
  void Close(Connection* conn);
  void Cron();
  void Shutdown();
  bool OverOutputLimit(Connection* conn, int64_t now_ms);
  int64_t NowMs() const;

  uv_loop_t* loop_;
  commands::ServerContext* ctx_;
  std::vector<std::unique_ptr<uv_tcp_t>> listeners_;
  uv_check_t check_;
  // Active while after-commit work is queued, so the loop polls without
  // blocking and the check phase runs it promptly even when it was queued
  // from a timer.
  uv_idle_t wake_;
  std::vector<std::function<void()>> after_commit_;
  std::function<void()> shutdown_hook_;
  uv_timer_t cron_;
  uv_signal_t sigterm_;
  uv_signal_t sigint_;
  std::unordered_map<uint64_t, Connection*> connections_;
  std::vector<Connection*> flush_list_;
  uint64_t next_client_id_ = 1;
  uint64_t cron_ticks_ = 0;
  bool shutting_down_ = false;
  bool paused_ = false;
  // One read buffer for all connections: libuv consumes it before the next read.
  std::unique_ptr<char[]> read_buffer_;
};

}  // namespace ringkv::net

// The client-facing server on a libuv loop.
//
// Each loop iteration reads what the sockets have, executes every complete
// command (pipelining), and appends replies to per-client buffers. A check
// handle, which libuv runs right after the poll phase, then commits the
// keyspace's staged writes once (group commit) and writes each client's
// releasable replies with one write call.
//
// The commit is pipelined: a large batch goes to the storage engine's writer
// thread while the loop executes the next commands. A reply may leave only
// once every write staged before it is in the write-ahead log, so each
// client's output carries marks (byte offset, commit generation) and is
// released up to the marks whose generation is durable. Small batches are
// committed inline, where the thread hand-off would cost more than it saves.
#pragma once

#include <uv.h>

#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "commands/context.h"
#include "net/migrate_links.h"
#include "resp/key_peek.h"
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
  void RefreshClient(uint64_t id) override;
  bool KillClient(uint64_t id) override;
  size_t NumClients() const override { return connections_.size(); }
  void DeliverReply(uint64_t client_id, uint64_t seq, std::string_view reply) override;
  void SetMonitor(uint64_t client_id, bool on) override;
  void FeedMonitors(std::string_view line) override;

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
  static void OnCommitDone(uv_async_t* handle);
  static void OnSignal(uv_signal_t* handle, int signum);

  void Accept(uv_stream_t* listener);
  void ProcessInput(Connection* conn);
  // Runs the commands of the connections read in this loop iteration (the
  // check phase), prefetching each one's rows a connection or two ahead.
  void ProcessReadyInput();
  // Prefetches the row-cache slots of the first command buffered by `conn`
  // and replaces `tokens` with the tokens for their entries.
  void PrefetchFirstCommandSlots(Connection* conn, std::vector<uint64_t>* tokens);
  // Prefetches the row-cache slots of a peeked request's key and, for a hash
  // command naming a field, that field; appends their entry tokens.
  void PrefetchSlotsOf(int db, const resp::PeekedRequest& request, std::vector<uint64_t>* tokens);
  void ScheduleFlush(Connection* conn);
  // Runs the commands CLIENT PAUSE held, once it is over.
  void ResumePostponed();
  void FlushAll();
  // Mid-iteration step of the pipelined commit: finishes a commit the writer
  // is done with and starts the next when enough is staged.
  void AdvanceCommit();
  // Marks new output with the commit it waits for, releases output whose
  // commit is durable, and writes what is released.
  void ReleaseAndFlush();
  // A commit failed: closes every client holding replies.
  void DropHeldReplies(const Status& status);
  // Runs the after-commit work whose generation is durable, in order.
  void RunReadyAfterCommit();
  void Flush(Connection* conn);
  void Close(Connection* conn);
  // Copies the connection's buffer sizes into its ClientState for CLIENT LIST.
  void UpdateBufferFigures(Connection* conn);
  void Cron();
  void Shutdown();
  bool OverOutputLimit(Connection* conn, int64_t now_ms);
  // Prefetches the rows of the keys of the next pipelined commands in conn's
  // buffer; returns how many commands that covered (SIZE_MAX: none, do not
  // look again in this read).
  size_t PrefetchPipelinedKeys(Connection* conn);
  int64_t NowMs() const;

  uv_loop_t* loop_;
  commands::ServerContext* ctx_;
  std::vector<std::unique_ptr<uv_tcp_t>> listeners_;
  uv_check_t check_;
  // Active while after-commit work is queued, so the loop polls without
  // blocking and the check phase runs it promptly even when it was queued
  // from a timer.
  uv_idle_t wake_;
  // Woken by the engine's writer thread when a pipelined commit finished.
  uv_async_t commit_done_;
  struct AfterCommit {
    uint64_t generation;  // the commit it waits for
    std::function<void()> fn;
  };
  std::deque<AfterCommit> after_commit_;  // generations never decrease
  // Connections holding replies that wait for a commit.
  std::vector<Connection*> waiting_;
  // MONITOR clients, in the order they started (ServerContext::monitors
  // counts them).
  std::vector<Connection*> monitors_;
  MigrateSocketCache migrate_links_;
  // Connections whose next command waits for CLIENT PAUSE to end, in the
  // order they began waiting.
  std::vector<Connection*> postponed_;
  std::function<void()> shutdown_hook_;
  uv_timer_t cron_;
  uv_timer_t pause_timer_;  // fires when a CLIENT PAUSE that holds commands ends
  uv_signal_t sigterm_;
  uv_signal_t sigint_;
  std::unordered_map<uint64_t, Connection*> connections_;
  std::vector<Connection*> flush_list_;
  // Connections read in this iteration, whose commands run in the check
  // phase; `processing_` is the batch ProcessReadyInput is running (two
  // vectors, swapped, so neither is reallocated each iteration), and
  // `ready_tokens_` the entry tokens of the next connections in it.
  std::vector<Connection*> ready_;
  std::vector<Connection*> processing_;
  std::vector<uint64_t> ready_tokens_[3];
  std::vector<std::string_view> peeked_args_;  // PrefetchFirstCommandSlots' scratch
  // The window of PrefetchPipelinedKeys: its keys, their prefetch tokens,
  // where each request's tokens end (a command naming a hash field has two),
  // the next token whose entry ProcessInput prefetches and the requests of
  // the window executed so far.
  std::vector<resp::PeekedRequest> prefetch_requests_;
  std::vector<uint64_t> prefetch_tokens_;
  std::vector<size_t> prefetch_request_ends_;
  size_t prefetch_next_ = 0;
  size_t prefetch_executed_ = 0;
  // Prefetches the entries of the tokens of the window's requests up to
  // `request` (an index, clamped to the window).
  void PrefetchEntriesThrough(size_t request);
  uint64_t next_client_id_ = 1;
  uint64_t cron_ticks_ = 0;
  uint64_t commands_at_last_cron_ = 0;  // INFO's total_commands_processed then
  bool shutting_down_ = false;
  bool paused_ = false;
  // One read buffer for all connections: libuv consumes it before the next read.
  std::unique_ptr<char[]> read_buffer_;
};

}  // namespace ringkv::net

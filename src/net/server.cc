#include "net/server.h"

#include <malloc.h>
#include <spdlog/spdlog.h>
#include <sys/time.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <deque>
#include <type_traits>
#include <utility>

#include "commands/dispatcher.h"
#include "commands/info.h"
#include "commands/util.h"
#include "resp/key_peek.h"
#include "util/cycle_clock.h"

namespace ringkv::net {

namespace {

constexpr size_t kReadBufferSize = 64 * 1024;
// Reply buffers that grew past this are released once they drain, so one large
// reply does not pin memory for the life of the connection.
constexpr size_t kIdleBufferCapacity = 64 * 1024;
// A connection idle this long has its empty query buffer freed (Cron).
constexpr int64_t kIdleQueryBufferMs = 2000;
// Routed commands one client may have in flight at once (pipelining).
constexpr size_t kMaxRoutedInFlight = 128;
// At the end of an iteration (FlushAll), batches with fewer staged rows than
// this are committed on the loop thread: handing them to the writer thread
// costs a wakeup of the writer (measured at about 10 us of the loop's time on
// a 2-core VM) and one of the loop when the write is done, more than writing
// a few hundred rows takes. At 64, MSET without pipelining (10 rows a
// command, a few hundred rows an iteration) went to the writer nearly every
// iteration and cost a fifth more CPU per command than at 1024.
constexpr size_t kAsyncCommitMinRows = 1024;
// How many commands ahead of its use a pipelined command's rows are
// prefetched (PrefetchPipelinedKeys).
constexpr size_t kPrefetchEntryLead = 4;
// Across connections (ProcessReadyInput), a command's row-cache slots are
// prefetched this many connections ahead and its rows one ahead: a slot
// must arrive before its row can be asked for. The token ring holds the
// tokens of the connections between.
constexpr size_t kReadyPrefetchLead = 2;
constexpr size_t kReadyTokenRing = kReadyPrefetchLead + 1;
// Mid-iteration (AdvanceCommit), a commit starts once this many rows are
// staged and the writer is free. Each commit wakes the writer thread and then
// the loop; 256 rather than 64 cut the writer's CPU per SET -P 16 by a fifth.
constexpr size_t kEarlyCommitMinRows = 256;
// Backpressure: once this many rows are staged behind a commit still in
// flight, the loop waits for that commit instead of reading on. Without it a
// loop faster than LevelDB (a bulk load through one pipelining connection)
// stages ever larger batches, and the staged rows, the batch being written
// and the held replies all grow with them.
constexpr size_t kMaxStagedRows = 16384;
// Below this rate of commands the server counts as idle (Cron).
constexpr uint64_t kBusyCommandsPerSecond = 1000;

// Hash commands whose third argument is a field they read or write: the
// prefetch brings in that field's row too.
bool NamesOneHashField(std::string_view name) {
  if (name.empty() || (name[0] != 'h' && name[0] != 'H')) return false;
  for (std::string_view command : {"hset", "hget", "hsetnx", "hexists", "hdel", "hstrlen",
                                   "hincrby", "hincrbyfloat", "hmget", "hmset"}) {
    if (commands::EqualsIgnoreCase(name, command)) return true;
  }
  return false;
}

constexpr std::string_view kProtectedModeError =
    "-DENIED Redis is running in protected mode because protected mode is enabled and no "
    "password is set for the default user. In this mode connections are only accepted from the "
    "loopback interface. If you want to connect from external computers to Redis you may adopt "
    "one of the following solutions: 1) Just disable protected mode sending the command 'CONFIG "
    "SET protected-mode no' from the loopback interface by connecting to Redis from the same "
    "host the server is running, however MAKE SURE Redis is not publicly accessible from "
    "internet if you do so. Use CONFIG REWRITE to make this change permanent. 2) Alternatively "
    "you can just disable the protected mode by editing the Redis configuration file, and "
    "setting the protected mode option to 'no', and then restarting the server. 3) If you "
    "started the server manually just for testing, restart it with the '--protected-mode no' "
    "option. 4) Set up an authentication password for the default user. NOTE: You only need to "
    "do one of the above things in order for the server to start accepting connections from "
    "the outside.\r\n";

std::string AddressString(const sockaddr_storage& addr) {
  char ip[INET6_ADDRSTRLEN] = {0};
  int port = 0;
  if (addr.ss_family == AF_INET) {
    const auto* a = reinterpret_cast<const sockaddr_in*>(&addr);
    uv_ip4_name(a, ip, sizeof(ip));
    port = ntohs(a->sin_port);
  } else if (addr.ss_family == AF_INET6) {
    const auto* a = reinterpret_cast<const sockaddr_in6*>(&addr);
    uv_ip6_name(a, ip, sizeof(ip));
    port = ntohs(a->sin6_port);
  }
  return std::string(ip) + ":" + std::to_string(port);
}

bool IsLoopback(const sockaddr_storage& addr) {
  if (addr.ss_family == AF_INET) {
    const auto* a = reinterpret_cast<const sockaddr_in*>(&addr);
    return (ntohl(a->sin_addr.s_addr) >> 24) == 127;
  }
  if (addr.ss_family == AF_INET6) {
    const auto* a = reinterpret_cast<const sockaddr_in6*>(&addr);
    if (IN6_IS_ADDR_LOOPBACK(&a->sin6_addr)) return true;
    if (IN6_IS_ADDR_V4MAPPED(&a->sin6_addr)) return a->sin6_addr.s6_addr[12] == 127;
  }
  return false;
}

}  // namespace

struct Server::Connection {
  uv_tcp_t handle;
  Server* server = nullptr;
  commands::ClientState state;
  resp::RequestParser parser;
  std::string out;       // replies not yet handed to the kernel
  std::string inflight;  // bytes owned by the pending uv_write
  // The first `released` bytes of `out` may be written; the rest wait for the
  // commits in `marks` (ascending ends and generations): the bytes before
  // `end` may leave once `generation` is durable.
  size_t released = 0;
  struct OutputMark {
    size_t end;
    uint64_t generation;
  };
  std::vector<OutputMark> marks;
  bool waiting = false;  // listed in Server::waiting_
  resp::ReplyBuilder reply{&out};
  uv_write_t write_req;
  bool writing = false;
  bool closing = false;
  bool queued_for_flush = false;
  bool queued_for_input = false;  // listed in Server::ready_
  // ProcessReadyInput's peek found the buffer to hold one whole request and
  // nothing more: ProcessInput's pipelined prefetch need not look again.
  bool lone_request_peeked = false;
  // Replies of the client's routed commands still in flight, in command
  // order; `pending_base` is the sequence number of the first. Routed commands
  // may pipeline (up to kMaxRoutedInFlight); a command that runs here waits in
  // `held` until every earlier reply is out, so replies and effects keep the
  // client's order.
  struct PendingReply {
    bool ready = false;
    std::string bytes;
  };
  std::deque<PendingReply> pending;
  uint64_t pending_base = 0;
  std::vector<std::string> held;
  bool has_held = false;
  // The held command waits for CLIENT PAUSE to end (listed in postponed_).
  bool postponed = false;
  int64_t soft_limit_since_ms = 0;  // when the output first went over the soft limit
};

Server::Server(uv_loop_t* loop, commands::ServerContext* ctx)
    : loop_(loop), ctx_(ctx), read_buffer_(new char[kReadBufferSize]) {
  ctx_->clients = this;
  ctx_->migrate = &migrate_links_;
  uv_check_init(loop_, &check_);
  check_.data = this;
  uv_idle_init(loop_, &wake_);
  wake_.data = this;
  uv_async_init(loop_, &commit_done_, &Server::OnCommitDone);
  commit_done_.data = this;
  // The check phase that follows the wake-up finishes the commit and
  // releases the replies that waited for it.
  ctx_->keyspace->engine()->set_async_notify([this] { uv_async_send(&commit_done_); });
  uv_timer_init(loop_, &cron_);
  uv_timer_init(loop_, &pause_timer_);
  pause_timer_.data = this;
  cron_.data = this;
  uv_signal_init(loop_, &sigterm_);
  sigterm_.data = this;
  uv_signal_init(loop_, &sigint_);
  sigint_.data = this;
}

Server::~Server() {
  ctx_->keyspace->engine()->set_async_notify(nullptr);
  ctx_->migrate = nullptr;
}

void Server::OnCommitDone(uv_async_t*) {}

int64_t Server::NowMs() const {
  timeval tv;
  gettimeofday(&tv, nullptr);
  return static_cast<int64_t>(tv.tv_sec) * 1000 + tv.tv_usec / 1000;
}

Status Server::Listen() {
  const auto& config = *ctx_->config;
  for (const std::string& entry : config.bind) {
    const bool optional = !entry.empty() && entry[0] == '-';
    std::string host = optional ? entry.substr(1) : entry;
    if (host == "*") host = "0.0.0.0";
    if (host == "::*") host = "::";
    sockaddr_storage addr{};
    unsigned flags = 0;
    if (uv_ip4_addr(host.c_str(), config.port, reinterpret_cast<sockaddr_in*>(&addr)) != 0) {
      if (uv_ip6_addr(host.c_str(), config.port, reinterpret_cast<sockaddr_in6*>(&addr)) != 0) {
        return Status::InvalidArgument("Invalid bind address '" + host + "'");
      }
      flags = UV_TCP_IPV6ONLY;
    }
    auto listener = std::make_unique<uv_tcp_t>();
    uv_tcp_init(loop_, listener.get());
    listener->data = this;
    int rc = uv_tcp_bind(listener.get(), reinterpret_cast<const sockaddr*>(&addr), flags);
    if (rc == 0)
      rc = uv_listen(reinterpret_cast<uv_stream_t*>(listener.get()), config.tcp_backlog,
                     &Server::OnConnection);
    if (rc != 0) {
      uv_close(reinterpret_cast<uv_handle_t*>(listener.release()),
               [](uv_handle_t* h) { delete reinterpret_cast<uv_tcp_t*>(h); });
      if (optional && (rc == UV_EADDRNOTAVAIL || rc == UV_EAFNOSUPPORT)) {
        spdlog::warn("Skipping optional bind address {}: {}", host, uv_strerror(rc));
        continue;
      }
      return Status::IOError("Could not create server TCP listening socket " + host + ":" +
                             std::to_string(config.port) + ": " + uv_strerror(rc));
    }
    if (config.port == 0 && ctx_->tcp_port == 0) {
      sockaddr_storage bound{};
      int len = sizeof(bound);
      uv_tcp_getsockname(listener.get(), reinterpret_cast<sockaddr*>(&bound), &len);
      ctx_->tcp_port = ntohs(reinterpret_cast<sockaddr_in*>(&bound)->sin_port);
    }
    listeners_.push_back(std::move(listener));
  }
  if (listeners_.empty()) return Status::IOError("Failed listening on any address");
  if (ctx_->tcp_port == 0) ctx_->tcp_port = config.port;
  return Status::OK();
}

void Server::Run() {
  uv_check_start(&check_, &Server::OnCheck);
  const uint64_t interval = 1000 / std::max(1, ctx_->config->hz);
  uv_timer_start(&cron_, &Server::OnCron, interval, interval);
  uv_signal_start(&sigterm_, &Server::OnSignal, SIGTERM);
  uv_signal_start(&sigint_, &Server::OnSignal, SIGINT);
  uv_run(loop_, UV_RUN_DEFAULT);
}

void Server::RequestShutdown() { ctx_->shutdown_requested = true; }

void Server::OnSignal(uv_signal_t* handle, int signum) {
  auto* self = static_cast<Server*>(handle->data);
  spdlog::warn("Received {} scheduling shutdown...", signum == SIGINT ? "SIGINT" : "SIGTERM");
  self->RequestShutdown();
  self->Shutdown();
}

void Server::OnConnection(uv_stream_t* listener, int status) {
  auto* self = static_cast<Server*>(listener->data);
  if (status < 0) {
    spdlog::warn("Accepting client connection: {}", uv_strerror(status));
    return;
  }
  self->Accept(listener);
}

void Server::Accept(uv_stream_t* listener) {
  auto* conn = new Connection();
  conn->server = this;
  uv_tcp_init(loop_, &conn->handle);
  conn->handle.data = conn;
  if (uv_accept(listener, reinterpret_cast<uv_stream_t*>(&conn->handle)) != 0) {
    uv_close(reinterpret_cast<uv_handle_t*>(&conn->handle),
             [](uv_handle_t* h) { delete static_cast<Connection*>(h->data); });
    return;
  }
  uv_tcp_nodelay(&conn->handle, 1);
  // tcp-keepalive (Redis default 300 s) lets the kernel notice dead peers.
  const int64_t keepalive_s = commands::PassthroughInt(*ctx_->config, "tcp-keepalive", "", 300);
  if (keepalive_s > 0) uv_tcp_keepalive(&conn->handle, 1, static_cast<unsigned>(keepalive_s));
  sockaddr_storage peer{}, local{};
  int len = sizeof(peer);
  uv_tcp_getpeername(&conn->handle, reinterpret_cast<sockaddr*>(&peer), &len);
  len = sizeof(local);
  uv_tcp_getsockname(&conn->handle, reinterpret_cast<sockaddr*>(&local), &len);
  const auto& config = *ctx_->config;
  const int64_t now = NowMs();
  conn->state.id = next_client_id_++;
  conn->state.addr = AddressString(peer);
  conn->state.laddr = AddressString(local);
  uv_fileno(reinterpret_cast<uv_handle_t*>(&conn->handle), &conn->state.fd);
  conn->state.created_ms = now;
  conn->state.last_interaction_ms = now;
  conn->state.authenticated = config.requirepass.empty();
  ++ctx_->stats.total_connections_received;

  // Rejections are written synchronously-enough: queue the text and close after it.
  std::string_view rejection;
  if (connections_.size() >= static_cast<size_t>(config.maxclients)) {
    rejection = "-ERR max number of clients reached\r\n";
  } else if (config.protected_mode && config.requirepass.empty() && !IsLoopback(peer)) {
    rejection = kProtectedModeError;
  }
  connections_[conn->state.id] = conn;
  if (!rejection.empty()) {
    ++ctx_->stats.rejected_connections;
    conn->out.assign(rejection);
    conn->released = conn->out.size();
    conn->state.close_after_reply = true;
    ScheduleFlush(conn);
    return;
  }
  uv_read_start(reinterpret_cast<uv_stream_t*>(&conn->handle), &Server::OnAlloc, &Server::OnRead);
}

void Server::OnAlloc(uv_handle_t* handle, size_t, uv_buf_t* buf) {
  auto* conn = static_cast<Connection*>(handle->data);
  buf->base = conn->server->read_buffer_.get();
  buf->len = kReadBufferSize;
}

void Server::OnRead(uv_stream_t* stream, ssize_t nread, const uv_buf_t* buf) {
  auto* conn = static_cast<Connection*>(stream->data);
  Server* self = conn->server;
  if (nread < 0) {
    // Commands read in this iteration, before the end of the stream, still
    // run, as they would have had they arrived in an earlier iteration.
    if (conn->queued_for_input && !conn->closing) self->ProcessInput(conn);
    self->Close(conn);
    return;
  }
  if (nread == 0 || conn->closing) return;
  self->ctx_->stats.total_net_input_bytes += static_cast<uint64_t>(nread);
  conn->parser.Feed(std::string_view(buf->base, static_cast<size_t>(nread)));
  conn->lone_request_peeked = false;
  // Executed in the check phase, with the other connections read in this
  // iteration (ProcessReadyInput).
  if (!conn->queued_for_input) {
    conn->queued_for_input = true;
    self->ready_.push_back(conn);
  }
}

void Server::ProcessReadyInput() {
  // A command's first row lookups are two dependent cache misses: its
  // row-cache slots, then its rows. Running the connections read in this
  // iteration one after another, with each command's slots fetched two
  // connections ahead and its rows one ahead, lets those misses overlap with
  // the commands before it instead of stalling it. This is what the
  // pipelined prefetch in ProcessInput does within one connection, for
  // clients that send one command at a time.
  static_assert(std::extent_v<decltype(ready_tokens_)> == kReadyTokenRing);
  processing_.swap(ready_);
  const size_t n = processing_.size();
  for (size_t i = 0; i < std::min<size_t>(kReadyPrefetchLead, n); ++i) {
    PrefetchFirstCommandSlots(processing_[i], &ready_tokens_[i % kReadyTokenRing]);
  }
  for (size_t i = 0; i < n; ++i) {
    if (i + kReadyPrefetchLead < n) {
      PrefetchFirstCommandSlots(processing_[i + kReadyPrefetchLead],
                                &ready_tokens_[(i + kReadyPrefetchLead) % kReadyTokenRing]);
    }
    for (const uint64_t token : ready_tokens_[i % kReadyTokenRing]) {
      ctx_->keyspace->PrefetchKeyRowEntry(token);
    }
    Connection* conn = processing_[i];
    conn->queued_for_input = false;
    if (conn->closing) continue;
    ProcessInput(conn);
    // Hand staged writes to the writer as soon as it is free and release the
    // replies it finished, so clients and the writer keep working instead of
    // waiting for the end of the batch.
    AdvanceCommit();
  }
  processing_.clear();
}

void Server::PrefetchFirstCommandSlots(Connection* conn, std::vector<uint64_t>* tokens) {
  tokens->clear();
  conn->lone_request_peeked = false;
  if (conn->closing || conn->has_held || !conn->state.authenticated) return;
  // Enough for MSET or MGET of a few dozen keys; longer ones prefetch their
  // own keys as they run (MsetPairs).
  constexpr size_t kMaxPeekedArgs = 64;
  const std::string_view unparsed = conn->parser.unparsed();
  const size_t request_bytes = resp::PeekRequestArgs(unparsed, kMaxPeekedArgs, &peeked_args_);
  if (request_bytes == 0) return;
  conn->lone_request_peeked = request_bytes == unparsed.size();
  const size_t argc = peeked_args_.size();
  if (argc < 2) return;
  const int db = conn->state.db;
  if (argc <= 4) {
    // GET, SET, INCR, HGET, HSET of one field...: taking the second argument
    // as the key saves the command table lookup; for a command without keys
    // it costs one wasted prefetch.
    PrefetchSlotsOf(db, {peeked_args_[0], peeked_args_[1], argc > 2 ? peeked_args_[2] : ""},
                    tokens);
    return;
  }
  const commands::CommandSpec* spec = commands::Commands().Find(peeked_args_[0]);
  if (spec == nullptr) return;
  for (const int i : commands::CommandTable::KeyPositions(*spec, static_cast<int>(argc))) {
    tokens->push_back(ctx_->keyspace->PrefetchKeyRowSlot(db, peeked_args_[i]));
  }
  if (NamesOneHashField(peeked_args_[0])) {
    tokens->push_back(ctx_->keyspace->PrefetchFieldRowSlot(db, peeked_args_[1], peeked_args_[2]));
  }
}

void Server::PrefetchSlotsOf(int db, const resp::PeekedRequest& request,
                             std::vector<uint64_t>* tokens) {
  storage::Keyspace& keyspace = *ctx_->keyspace;
  tokens->push_back(keyspace.PrefetchKeyRowSlot(db, request.key));
  if (!request.field.empty() && NamesOneHashField(request.name)) {
    tokens->push_back(keyspace.PrefetchFieldRowSlot(db, request.key, request.field));
  }
}

void Server::ProcessInput(Connection* conn) {
  const auto& config = *ctx_->config;
  resp::ParserLimits limits;
  limits.max_bulk_len = config.proto_max_bulk_len;
  limits.unauthenticated = !conn->state.authenticated;
  conn->parser.set_limits(limits);
  conn->state.last_interaction_ms = NowMs();
  // Commands of one read share a clock reading, refreshed every few commands
  // so a long pipeline does not run on a stale time.
  int64_t now_ms = conn->state.last_interaction_ms;
  size_t since_clock = 0;
  size_t until_prefetch = 0;
  std::vector<std::string_view> held_args;
  while (!paused_ && !conn->state.close_after_reply && !conn->closing) {
    std::span<const std::string_view> args;
    if (conn->has_held) {
      if (!conn->pending.empty()) break;
      held_args.assign(conn->held.begin(), conn->held.end());
      args = held_args;
    } else {
      if (conn->pending.size() >= kMaxRoutedInFlight) break;
      if (until_prefetch == 0) until_prefetch = PrefetchPipelinedKeys(conn);
      --until_prefetch;
      // The slots of this window came in when it started; the entries of the
      // command a few places ahead are fetched now, so that they arrive about
      // when that command runs.
      PrefetchEntriesThrough(prefetch_executed_++ + kPrefetchEntryLead);
      const auto result = conn->parser.Next();
      if (result == resp::RequestParser::Result::kNeedMore) break;
      if (result == resp::RequestParser::Result::kError) {
        ++ctx_->stats.protocol_errors;
        spdlog::debug("Protocol error ({}) from client: id={} addr={}", conn->parser.error(),
                      conn->state.id, conn->state.addr);
        if (conn->pending.empty()) {
          conn->reply.Error(conn->parser.error());
        } else {
          // After the replies still in flight.
          std::string bytes;
          resp::ReplyBuilder builder(&bytes);
          builder.set_protocol(conn->state.protocol);
          builder.Error(conn->parser.error());
          conn->pending.push_back({true, std::move(bytes)});
        }
        conn->state.close_after_reply = true;
        break;
      }
      args = conn->parser.args();
      if (!conn->pending.empty() && !commands::RoutesToRing(*ctx_, conn->state, args)) {
        conn->held.assign(args.begin(), args.end());
        conn->has_held = true;
        break;
      }
    }
    if (++since_clock == 64) {
      since_clock = 0;
      now_ms = NowMs();
    }
    const commands::DispatchResult dispatched =
        commands::Dispatch(*ctx_, conn->state, args, conn->reply, now_ms);
    if (dispatched == commands::DispatchResult::kPostponed) {
      // `args` may be views of `held` itself when the held command comes back.
      if (!conn->has_held) {
        conn->held.assign(args.begin(), args.end());
        conn->has_held = true;
      }
      if (!conn->postponed) {
        conn->postponed = true;
        postponed_.push_back(conn);
        ctx_->postponed_clients = postponed_.size();
      }
      // Wake when the pause runs out, not at the next Cron tick.
      const int64_t wait_ms = std::max<int64_t>(ctx_->pause_end_ms - now_ms + 1, 1);
      uv_timer_start(
          &pause_timer_,
          [](uv_timer_t* timer) { static_cast<Server*>(timer->data)->ResumePostponed(); },
          static_cast<uint64_t>(std::min<int64_t>(wait_ms, 3600 * 1000)), 0);
      break;
    }
    conn->reply.set_protocol(conn->state.protocol);
    if (dispatched == commands::DispatchResult::kPending) conn->pending.emplace_back();
    if (conn->has_held) {
      conn->has_held = false;
      conn->held.clear();
    }
    if (limits.unauthenticated && conn->state.authenticated) {
      limits.unauthenticated = false;
      conn->parser.set_limits(limits);
    }
    if (OverOutputLimit(conn, conn->state.last_interaction_ms)) return;
  }
  if (conn->parser.buffered_bytes() > static_cast<size_t>(config.client_query_buffer_limit)) {
    spdlog::warn("Closing client that reached max query buffer length: id={} addr={}",
                 conn->state.id, conn->state.addr);
    ++ctx_->stats.client_query_buffer_limit_disconnections;
    Close(conn);
    return;
  }
  if (!conn->out.empty() || conn->state.close_after_reply) ScheduleFlush(conn);
}

size_t Server::PrefetchPipelinedKeys(Connection* conn) {
  // The first row lookup of a command is usually two dependent cache misses
  // (row-cache slot, then entry). When a client pipelines, the keys of its
  // next commands are already in the buffer: bringing in every slot of the
  // next window now, and each entry a few commands ahead of its use (see
  // ProcessInput), lets those misses overlap instead of each stalling its
  // command in turn.
  constexpr size_t kWindow = 32;
  prefetch_tokens_.clear();
  prefetch_request_ends_.clear();
  prefetch_next_ = 0;
  prefetch_executed_ = 0;
  // A lone command gains nothing (its own lookup follows at once), and
  // ProcessReadyInput may have seen already that there is only one.
  if (std::exchange(conn->lone_request_peeked, false)) return SIZE_MAX;
  if (!conn->state.authenticated) return SIZE_MAX;
  prefetch_requests_.clear();
  const size_t peeked = resp::PeekRequests(conn->parser.unparsed(), kWindow, &prefetch_requests_);
  // Nor does looking again before more data arrives.
  if (peeked < 2) return SIZE_MAX;
  // Commands without a second argument are not in prefetch_requests_, so the
  // lead is approximate; a prefetch that comes early or late costs little.
  for (const resp::PeekedRequest& request : prefetch_requests_) {
    PrefetchSlotsOf(conn->state.db, request, &prefetch_tokens_);
    prefetch_request_ends_.push_back(prefetch_tokens_.size());
  }
  PrefetchEntriesThrough(kPrefetchEntryLead - 1);
  return peeked;
}

void Server::PrefetchEntriesThrough(size_t request) {
  if (prefetch_request_ends_.empty()) return;
  const size_t end = prefetch_request_ends_[std::min(request, prefetch_request_ends_.size() - 1)];
  while (prefetch_next_ < end) {
    ctx_->keyspace->PrefetchKeyRowEntry(prefetch_tokens_[prefetch_next_++]);
  }
}

bool Server::OverOutputLimit(Connection* conn, int64_t now_ms) {
  const auto& config = *ctx_->config;
  const size_t pending = conn->out.size() + conn->inflight.size();
  bool over =
      config.output_hard_limit > 0 && pending > static_cast<size_t>(config.output_hard_limit);
  if (!over && config.output_soft_limit > 0 &&
      pending > static_cast<size_t>(config.output_soft_limit)) {
    if (conn->soft_limit_since_ms == 0) conn->soft_limit_since_ms = now_ms;
    over = now_ms - conn->soft_limit_since_ms > int64_t{config.output_soft_seconds} * 1000;
  } else if (!over) {
    conn->soft_limit_since_ms = 0;
  }
  if (!over) return false;
  spdlog::warn(
      "Client id={} addr={} scheduled to be closed ASAP for overcoming of output buffer limits.",
      conn->state.id, conn->state.addr);
  ++ctx_->stats.client_output_limit_disconnections;
  Close(conn);
  return true;
}

void Server::ScheduleFlush(Connection* conn) {
  if (conn->queued_for_flush || conn->closing) return;
  conn->queued_for_flush = true;
  flush_list_.push_back(conn);
}

void Server::OnCheck(uv_check_t* handle) {
  auto* self = static_cast<Server*>(handle->data);
  self->ProcessReadyInput();
  self->ResumePostponed();
  self->FlushAll();
  if (self->ctx_->shutdown_requested) self->Shutdown();
}

void Server::ResumePostponed() {
  if (postponed_.empty() || commands::ClientsPaused(*ctx_, NowMs())) return;
  std::vector<Connection*> resumed;
  resumed.swap(postponed_);
  ctx_->postponed_clients = 0;
  // From Cron, the loop would otherwise poll until the next tick before its
  // check phase commits and sends these commands' replies.
  if (!shutting_down_) uv_idle_start(&wake_, [](uv_idle_t*) {});
  // In the order they were paused, as Redis unblocks them. A command may
  // pause clients again; its followers then wait anew.
  for (Connection* conn : resumed) {
    conn->postponed = false;
    if (conn->closing) continue;
    ProcessInput(conn);
  }
}

void Server::set_paused(bool paused) {
  paused_ = paused;
  if (paused_) return;
  std::vector<Connection*> all;
  for (auto& [id, conn] : connections_) all.push_back(conn);
  for (Connection* conn : all) {
    if (!conn->closing) ProcessInput(conn);
  }
}

void Server::RunAfterCommit(std::function<void()> fn) {
  if (!shutting_down_) uv_idle_start(&wake_, [](uv_idle_t*) {});
  after_commit_.push_back({ctx_->keyspace->write_generation(), std::move(fn)});
}

void Server::DeliverReply(uint64_t client_id, uint64_t seq, std::string_view reply) {
  // Deferred to the check phase: the client's next commands then run where
  // every command's writes are committed before replies leave.
  RunAfterCommit([this, client_id, seq, bytes = std::string(reply)]() mutable {
    auto it = connections_.find(client_id);
    if (it == connections_.end() || it->second->closing) return;
    Connection* conn = it->second;
    if (seq < conn->pending_base || seq - conn->pending_base >= conn->pending.size()) return;
    Connection::PendingReply& slot = conn->pending[seq - conn->pending_base];
    slot.ready = true;
    slot.bytes = std::move(bytes);
    while (!conn->pending.empty() && conn->pending.front().ready) {
      conn->reply.Raw(conn->pending.front().bytes);
      conn->pending.pop_front();
      ++conn->pending_base;
    }
    ProcessInput(conn);
    if (!conn->closing) ScheduleFlush(conn);
  });
}

void Server::RunReadyAfterCommit() {
  storage::Keyspace& keyspace = *ctx_->keyspace;
  // Work run here may queue more (a resumed client's next routed command):
  // it joins the back of the queue and runs in this loop if already durable.
  while (!after_commit_.empty() &&
         after_commit_.front().generation <= keyspace.durable_generation()) {
    std::function<void()> fn = std::move(after_commit_.front().fn);
    after_commit_.pop_front();
    fn();
  }
}

void Server::FlushAll() {
  storage::Keyspace& keyspace = *ctx_->keyspace;
  Status s = keyspace.FinishCommit(/*wait=*/false);
  // After-commit work may stage more writes; small batches commit inline at
  // once, a large one goes to the writer thread and the loop moves on.
  while (s.ok()) {
    RunReadyAfterCommit();
    if (keyspace.commit_in_flight()) break;
    if (keyspace.row_cache().dirty_count() >= kAsyncCommitMinRows) {
      keyspace.StartCommit();
      break;
    }
    s = keyspace.Commit();
    if (after_commit_.empty() || after_commit_.front().generation > keyspace.durable_generation())
      break;
  }
  if (after_commit_.empty() || keyspace.commit_in_flight()) uv_idle_stop(&wake_);
  if (!s.ok()) {
    DropHeldReplies(s);
    return;
  }
  ReleaseAndFlush();
}

void Server::AdvanceCommit() {
  storage::Keyspace& keyspace = *ctx_->keyspace;
  bool changed = false;
  const bool must_wait = keyspace.row_cache().dirty_count() >= kMaxStagedRows;
  if (keyspace.commit_in_flight() && (keyspace.commit_done() || must_wait)) {
    if (must_wait) ++ctx_->stats.commit_backpressure_waits;
    Status s = keyspace.FinishCommit(/*wait=*/true);
    if (!s.ok()) {
      DropHeldReplies(s);
      return;
    }
    changed = true;
  }
  if (!keyspace.commit_in_flight() && keyspace.row_cache().dirty_count() >= kEarlyCommitMinRows) {
    keyspace.StartCommit();
    changed = true;
  }
  if (changed) ReleaseAndFlush();
}

void Server::DropHeldReplies(const Status& status) {
  // Every reply still held may acknowledge a write that is not in the log.
  spdlog::error("Closing clients whose writes could not be logged: {}", status.ToString());
  std::vector<Connection*> batch;
  batch.swap(flush_list_);
  for (Connection* conn : waiting_) batch.push_back(conn);
  waiting_.clear();
  for (Connection* conn : batch) {
    conn->queued_for_flush = false;
    conn->waiting = false;
    conn->out.clear();
    conn->released = 0;
    conn->marks.clear();
    Close(conn);
  }
}

void Server::ReleaseAndFlush() {
  storage::Keyspace& keyspace = *ctx_->keyspace;
  std::vector<Connection*> batch;
  batch.swap(flush_list_);
  const uint64_t durable = keyspace.durable_generation();
  const uint64_t needed = keyspace.write_generation();
  // Replies whose commit has become durable are released.
  size_t kept = 0;
  for (Connection* conn : waiting_) {
    size_t done = 0;
    while (done < conn->marks.size() && conn->marks[done].generation <= durable) {
      conn->released = conn->marks[done++].end;
    }
    conn->marks.erase(conn->marks.begin(), conn->marks.begin() + static_cast<ptrdiff_t>(done));
    if (done > 0 && !conn->queued_for_flush) {
      conn->queued_for_flush = true;
      batch.push_back(conn);
    }
    if (conn->marks.empty()) {
      conn->waiting = false;
    } else {
      waiting_[kept++] = conn;
    }
  }
  waiting_.resize(kept);
  // Replies produced since the last mark wait for the commit that covers
  // every write staged so far (none: they leave now).
  for (Connection* conn : batch) {
    conn->queued_for_flush = false;
    if (conn->closing) continue;
    const size_t marked = conn->marks.empty() ? conn->released : conn->marks.back().end;
    if (marked < conn->out.size()) {
      if (needed <= durable && conn->marks.empty()) {
        conn->released = conn->out.size();
      } else if (!conn->marks.empty() && conn->marks.back().generation == needed) {
        conn->marks.back().end = conn->out.size();
      } else {
        conn->marks.push_back({conn->out.size(), needed});
        if (!conn->waiting) {
          conn->waiting = true;
          waiting_.push_back(conn);
        }
      }
    }
    Flush(conn);
  }
}

void Server::Flush(Connection* conn) {
  if (conn->writing) return;  // OnWrite sends what accumulated meanwhile
  const size_t n = conn->released;
  if (n > 0) {
    uv_buf_t buf = uv_buf_init(conn->out.data(), static_cast<unsigned>(n));
    int written = uv_try_write(reinterpret_cast<uv_stream_t*>(&conn->handle), &buf, 1);
    if (written == UV_EAGAIN) written = 0;
    if (written < 0) {
      Close(conn);
      return;
    }
    ctx_->stats.total_net_output_bytes += static_cast<uint64_t>(written);
    if (static_cast<size_t>(written) < n) {
      conn->inflight.assign(conn->out, static_cast<size_t>(written), n - written);
      conn->writing = true;
      conn->write_req.data = conn;
      uv_buf_t rest =
          uv_buf_init(conn->inflight.data(), static_cast<unsigned>(conn->inflight.size()));
      uv_write(&conn->write_req, reinterpret_cast<uv_stream_t*>(&conn->handle), &rest, 1,
               &Server::OnWrite);
    }
    // The bytes still held move to the front; their marks move with them.
    conn->out.erase(0, n);
    conn->released = 0;
    for (Connection::OutputMark& mark : conn->marks) mark.end -= n;
    if (conn->writing) return;
    if (conn->out.empty() && conn->out.capacity() > kIdleBufferCapacity) {
      std::string().swap(conn->out);
    }
  }
  // Replies still in flight or held go out first (a protocol error after
  // pipelined routed commands closes the connection only after them).
  if (conn->state.close_after_reply && conn->pending.empty() && conn->out.empty()) Close(conn);
}

void Server::OnWrite(uv_write_t* req, int status) {
  auto* conn = static_cast<Connection*>(req->data);
  Server* self = conn->server;
  conn->writing = false;
  if (status < 0 || conn->closing) {
    self->Close(conn);
    return;
  }
  self->ctx_->stats.total_net_output_bytes += conn->inflight.size();
  std::string().swap(conn->inflight);
  // Replies that accumulated meanwhile may acknowledge writes staged in this
  // loop iteration: they leave from the check phase, after the group commit.
  if (!conn->out.empty() || conn->state.close_after_reply) self->ScheduleFlush(conn);
}

void Server::Close(Connection* conn) {
  if (conn->closing) return;
  conn->closing = true;
  ctx_->watches.UnwatchAll(&conn->state);
  if (conn->state.monitor) SetMonitor(conn->state.id, false);
  if (conn->postponed) {
    postponed_.erase(std::remove(postponed_.begin(), postponed_.end(), conn), postponed_.end());
    ctx_->postponed_clients = postponed_.size();
    conn->postponed = false;
  }
  connections_.erase(conn->state.id);
  uv_close(reinterpret_cast<uv_handle_t*>(&conn->handle), &Server::OnClose);
}

void Server::OnClose(uv_handle_t* handle) {
  auto* conn = static_cast<Connection*>(handle->data);
  Server* self = conn->server;
  // A closed connection may still sit in the flush list of this iteration.
  auto& list = self->flush_list_;
  list.erase(std::remove(list.begin(), list.end(), conn), list.end());
  if (conn->queued_for_input) {
    auto& ready = self->ready_;
    ready.erase(std::remove(ready.begin(), ready.end(), conn), ready.end());
  }
  if (conn->waiting) {
    auto& waiting = self->waiting_;
    waiting.erase(std::remove(waiting.begin(), waiting.end(), conn), waiting.end());
  }
  delete conn;
}

void Server::OnCron(uv_timer_t* handle) { static_cast<Server*>(handle->data)->Cron(); }

void Server::Cron() {
  const int64_t now = NowMs();
  const auto& config = *ctx_->config;
  // CONFIG SET hz takes effect on the next tick.
  const uint64_t interval = 1000 / std::max(1, config.hz);
  if (uv_timer_get_repeat(&cron_) != interval) uv_timer_set_repeat(&cron_, interval);
  commands::SampleInstantaneousMetrics(*ctx_, now);
  // Active expiry: a bounded amount of work per tick keeps latency flat.
  // Not while clients are paused, as in Redis; a pause that ran out ends
  // here when no command comes to end it.
  const bool paused = commands::ClientsPaused(*ctx_, now);
  // The flag a paused command left must not outlive the pause (the sweep's
  // Find deletes only with it on).
  ctx_->keyspace->set_expire_deletes(!paused);
  if (ctx_->active_expire_enabled && !paused) {
    const uint64_t start = CycleClock::Now();
    // The keyspace counts what it expires (INFO expired_keys adds its count).
    ctx_->keyspace->ActiveExpireCycle(now, 200);
    commands::AddLatencySampleIfNeeded(*ctx_, "expire-cycle",
                                       CycleClock::Micros(start, CycleClock::Now()) / 1000, now);
  }
  ResumePostponed();
  if (ctx_->keyspace->reclaim_pending()) ctx_->keyspace->ReclaimStep(10000);
  migrate_links_.CloseIdle();
  // Rows written only to the journal reach their own keys even when no
  // commit carries them along. A cycle that waits for the server to be idle
  // waits while it answers kBusyCommandsPerSecond or more: a monitoring
  // agent's few INFOs a second leave it idle, a read-only load does not.
  const uint64_t commands = ctx_->stats.total_commands_processed;
  if ((commands - commands_at_last_cron_) * 1000 >= kBusyCommandsPerSecond * interval) {
    ctx_->keyspace->NoteActivity();
  }
  commands_at_last_cron_ = commands;
  ctx_->keyspace->MaterializeStep();
  if (ctx_->keyspace->keep_tombstones()) {
    ctx_->keyspace->ReapTombstones(now, ctx_->config->tombstone_grace * 1000, 100);
  }
  // glibc keeps freed memory in its arenas (LevelDB's compaction thread churns
  // through large buffers); hand it back to the OS every few seconds so RSS
  // follows what is actually in use.
  if (++cron_ticks_ % (5 * std::max(1, config.hz)) == 0) malloc_trim(0);
  std::vector<Connection*> to_close, to_check;
  for (auto& [id, conn] : connections_) {
    // Redis exempts MONITOR clients (replicas) from the idle timeout.
    if (config.timeout > 0 && !conn->state.in_multi && !conn->state.monitor &&
        now - conn->state.last_interaction_ms > int64_t{config.timeout} * 1000) {
      to_close.push_back(conn);
      continue;
    }
    // A monitor's output grows without input of its own, so it is checked
    // every tick; other clients after their commands, and here while over
    // the soft limit.
    if ((conn->soft_limit_since_ms != 0 || conn->state.monitor) && !conn->closing) {
      to_check.push_back(conn);
    }
    // As Redis does, a client idle for over 2 seconds gives back its empty
    // query buffer: thousands of idle connections need not hold 16 KB each.
    if (now - conn->state.last_interaction_ms > kIdleQueryBufferMs) conn->parser.ReleaseIfEmpty();
  }
  for (Connection* conn : to_close) Close(conn);
  // OverOutputLimit may close (and unlink) the connection, so not inside the loop above.
  for (Connection* conn : to_check) OverOutputLimit(conn, now);
}

void Server::Shutdown() {
  if (shutting_down_) return;
  shutting_down_ = true;
  spdlog::warn("User requested shutdown...");
  if (shutdown_hook_) shutdown_hook_();
  after_commit_.clear();
  // A clean stop leaves every row under its own key, so the next start has
  // no journal to apply.
  Status s = ctx_->keyspace->Close();
  if (!s.ok()) spdlog::error("Final checkpoint failed: {}", s.ToString());
  s = ctx_->keyspace->engine()->Sync();
  if (!s.ok()) spdlog::error("Final log sync failed: {}", s.ToString());
  ctx_->keyspace->engine()->set_async_notify(nullptr);
  uv_close(reinterpret_cast<uv_handle_t*>(&commit_done_), nullptr);
  std::vector<Connection*> all;
  for (auto& [id, conn] : connections_) all.push_back(conn);
  for (Connection* conn : all) Close(conn);
  for (auto& listener : listeners_) {
    uv_close(reinterpret_cast<uv_handle_t*>(listener.release()),
             [](uv_handle_t* h) { delete reinterpret_cast<uv_tcp_t*>(h); });
  }
  listeners_.clear();
  uv_check_stop(&check_);
  uv_idle_stop(&wake_);
  uv_close(reinterpret_cast<uv_handle_t*>(&wake_), nullptr);
  uv_timer_stop(&cron_);
  uv_signal_stop(&sigterm_);
  uv_signal_stop(&sigint_);
  uv_close(reinterpret_cast<uv_handle_t*>(&check_), nullptr);
  uv_close(reinterpret_cast<uv_handle_t*>(&cron_), nullptr);
  uv_close(reinterpret_cast<uv_handle_t*>(&pause_timer_), nullptr);
  uv_close(reinterpret_cast<uv_handle_t*>(&sigterm_), nullptr);
  uv_close(reinterpret_cast<uv_handle_t*>(&sigint_), nullptr);
  spdlog::warn("ringkv is now ready to exit, bye bye...");
}

void Server::ForEachClient(const std::function<void(const commands::ClientState&)>& visit) {
  for (auto& [id, conn] : connections_) {
    UpdateBufferFigures(conn);
    visit(conn->state);
  }
}

void Server::RefreshClient(uint64_t id) {
  auto it = connections_.find(id);
  if (it != connections_.end()) UpdateBufferFigures(it->second);
}

void Server::UpdateBufferFigures(Connection* conn) {
  conn->state.query_buffer_bytes = conn->parser.window_bytes();
  conn->state.query_buffer_free = conn->parser.free_bytes();
  conn->state.output_buffer_bytes = conn->out.size() + conn->inflight.size();
}

void Server::SetMonitor(uint64_t client_id, bool on) {
  auto it = connections_.find(client_id);
  if (it == connections_.end()) return;
  Connection* conn = it->second;
  if (conn->state.monitor == on) return;
  conn->state.monitor = on;
  if (on) {
    monitors_.push_back(conn);
  } else {
    monitors_.erase(std::remove(monitors_.begin(), monitors_.end(), conn), monitors_.end());
  }
  ctx_->monitors = monitors_.size();
}

void Server::FeedMonitors(std::string_view line) {
  // A monitor that does not read stops receiving at the hard output limit,
  // which keeps its memory bounded at once, and Cron's check closes it.
  const int64_t hard_limit = ctx_->config->output_hard_limit;
  for (Connection* conn : monitors_) {
    if (conn->closing || conn->state.close_after_reply) continue;
    if (hard_limit > 0 &&
        conn->out.size() + conn->inflight.size() > static_cast<size_t>(hard_limit)) {
      continue;
    }
    conn->reply.Raw(line);
    ScheduleFlush(conn);
  }
}

bool Server::KillClient(uint64_t id) {
  auto it = connections_.find(id);
  if (it == connections_.end()) return false;
  it->second->state.close_after_reply = true;
  ScheduleFlush(it->second);
  return true;
}

size_t Server::ClientBufferBytes() const {
  size_t total = 0;
  for (const auto& [id, conn] : connections_) {
    total += conn->parser.buffered_bytes() + conn->out.capacity() + conn->inflight.capacity();
  }
  return total;
}

}  // namespace ringkv::net

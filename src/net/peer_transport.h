// The production cluster::Transport: RESP over TCP between nodes on the
// cluster port (`cluster-port`), on the node's libuv loop.
//
// Connections. Every node keeps one persistent OUTBOUND connection to each
// address it was given with AddSeed, reconnecting forever with exponential
// backoff. Send() uses only outbound connections; requests from a peer arrive
// on the peer's outbound connection, which is our inbound one. So a pair of
// nodes that both know each other has two connections, one per direction, and
// the replies on each connection follow its requests in order (FIFO matching,
// pipelined).
//
// Handshake (protocol version 1), before anything else on a connection:
//   connector: RING.HELLO 1 <its node id> <its advertised address> <nonce C>
//   acceptor:  *4 [<its node id>, <its advertised address>, <nonce A>, <proof A>]
//   connector: RING.AUTH <proof C>          (after checking proof A)
//   acceptor:  +OK                          (or an error, then it closes)
// Nonces are 16 random bytes in hex. proof A = hex HMAC-SHA256(secret,
// "ringkv-acceptor|" + C + "|" + acceptor id + "|" + connector id) and proof
// C = hex HMAC-SHA256(secret, "ringkv-connector|" + A + "|" + connector id +
// "|" + acceptor id); both are "" when no secret is configured. A connector
// that rejects proof A still sends RING.AUTH, with a token that is never a
// valid proof, so both ends record the failure; then it closes. Secrets that
// differ, or a secret on one side only, fail on both ends. Any other command
// before the handshake completes gets an error reply and the connection is
// closed. The secret authenticates peers; it does not encrypt the traffic.
//
// Delivery semantics of Send (see cluster::Transport):
//   - kOk: the peer's reply (which may be a RESP error).
//   - kTimeout: the deadline passed first (whether or not the request had
//     been written), or the connection dropped after the request was handed
//     to the socket. The caller must assume the peer may have applied it. A
//     reply that arrives after the deadline is read and discarded.
//   - kUnreachable: the request was certainly never sent: the peer is
//     unknown (no completed handshake with it yet), its connection is in
//     backoff, the connection attempt it waited for failed, the connection
//     dropped before the request was written, or the per-peer bounds
//     (max_pending_requests, max_output_bytes) are full.
//   While a connection attempt to a known peer is in progress, requests wait
//   for it (until their deadline). `done` never runs inside Send itself: fast
//   failures are delivered from the loop.
//
// Everything runs on the loop's thread. Callbacks (done, on_up, on_down, the
// request handler) may call back into the transport, including Close(), but
// must not destroy it.
#pragma once

#include <uv.h>

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include "cluster/transport.h"
#include "util/status.h"

namespace ringkv::resp {
struct Reply;
}  // namespace ringkv::resp

namespace ringkv::net {

// Splits "host:port" or "[ipv6]:port". Returns false if there is no port or it
// is not in 1..65535.
bool SplitHostPort(std::string_view address, std::string* host, int* port);

class PeerTransport : public cluster::Transport {
 public:
  struct Options {
    // This node's id, announced in handshakes.
    cluster::NodeId self_id;
    // "host:port" that peers should connect to, announced in handshakes. If
    // empty, the host and bound port of the first Listen call (set it when
    // listening on a wildcard address).
    std::string advertised_address;
    // The shared `cluster-secret`; empty disables authentication.
    std::string secret;
    // Time allowed for resolving, connecting and completing the handshake of
    // an outbound connection, and for an inbound connection's handshake.
    int64_t connect_timeout_ms = 3000;
    // Reconnect delay after a failed attempt or a dropped connection: starts
    // at initial, doubles per consecutive failure (to at least 1 ms) up to
    // max, and goes back to initial once a handshake succeeds.
    int64_t reconnect_initial_ms = 100;
    int64_t reconnect_max_ms = 5000;
    // Bounds per connection. Outbound: requests waiting plus unanswered, and
    // bytes not yet taken by the kernel; past either, Send fails fast with
    // kUnreachable instead of buffering more. Inbound: requests whose reply is
    // not yet sent, and reply bytes not yet taken by the kernel; past either,
    // the connection stops reading until they drain (backpressure).
    size_t max_pending_requests = 64 * 1024;
    size_t max_output_bytes = 64 * 1024 * 1024;
    // Largest request argument, and largest incomplete request buffered, that
    // a peer may send; a larger one closes the connection.
    int64_t max_request_bytes = 512LL * 1024 * 1024;
    // Largest bulk string accepted in a reply from a peer.
    int64_t max_reply_bytes = 512LL * 1024 * 1024;
    // TCP keepalive interval in seconds (0 disables), so dead peers are noticed.
    int tcp_keepalive_s = 60;
  };

  // Counters for INFO. The *_up fields are gauges, the rest only grow.
  struct Stats {
    uint64_t connections_up = 0;     // authenticated connections, both directions
    uint64_t outbound_up = 0;        // of which ours (usable by Send)
    uint64_t inbound_up = 0;         // of which peers'
    uint64_t connect_attempts = 0;   // outbound connection attempts started
    uint64_t requests_sent = 0;      // requests handed to a socket
    uint64_t replies_received = 0;   // replies read, including late ones
    uint64_t requests_received = 0;  // requests from peers passed to the handler
    uint64_t timeouts = 0;           // Sends that ended with kTimeout
    uint64_t unreachable = 0;        // Sends that ended with kUnreachable
    uint64_t auth_failures = 0;      // handshakes failed on the secret, either role
    uint64_t bytes_in = 0;           // bytes read from peer connections
    uint64_t bytes_out = 0;          // bytes written to peer connections
  };

  // Does not take ownership of `loop`. Call Close() (or destroy the
  // transport) and then run the loop until its handles have closed.
  PeerTransport(uv_loop_t* loop, const Options& options);
  // Same as Close(); the loop must still run afterwards to free the handles.
  ~PeerTransport() override;

  PeerTransport(const PeerTransport&) = delete;
  PeerTransport& operator=(const PeerTransport&) = delete;

  // Accepts peer connections on host:port (the cluster port). Port 0 picks a
  // free port (see port()). May be called more than once for more addresses.
  Status Listen(const std::string& host, int port);

  // Keeps an outbound connection to host:port, reconnecting with backoff
  // forever. The peer's node id is learned in the handshake. Adding an address
  // already added is a no-op. An address found to reach this node itself (the
  // peer answers with our own node id) is dropped with a log line and ignored
  // when added again; so is one that reaches a node already connected through
  // another address.
  void AddSeed(const std::string& host, int port);

  // on_up(id, address) runs each time a handshake with a node completes, in
  // either direction, with the cluster address the node advertised (empty if
  // an inbound peer advertised none); it may thus run more than once per node
  // (once per direction, and on every reconnect). To reach a node known only
  // from an inbound connection, AddSeed its address. on_down(id) runs when our outbound connection
  // to a node that was up drops (not on Close()).
  void SetPeerCallbacks(
      std::function<void(const cluster::NodeId&, const std::string& address)> on_up,
      std::function<void(const cluster::NodeId&)> on_down);

  // Closes the listeners and all connections and stops reconnecting. Pending
  // requests end before Close returns, by the rules above (written:
  // kTimeout; not written: kUnreachable). A Send after Close calls `done`
  // with kUnreachable immediately, since the loop no longer serves the
  // transport. Idempotent.
  void Close();

  // cluster::Transport.
  void Send(const cluster::NodeId& peer, cluster::PeerRequest request, int64_t timeout_ms,
            cluster::ReplyCallback done) override;
  // The handler sees requests only from authenticated peers. Without one,
  // requests get an error reply.
  void SetRequestHandler(cluster::RequestHandler handler) override;
  // True if our outbound connection to `peer` is authenticated: only it
  // carries Send, so an inbound connection from `peer` does not count.
  bool IsConnected(const cluster::NodeId& peer) const override;

  const Stats& stats() const { return stats_; }
  // The port bound by the first successful Listen, or 0.
  int port() const { return port_; }
  // The address announced in handshakes.
  const std::string& advertised_address() const { return advertised_address_; }
  // Seed addresses kept connected (dropped ones excluded).
  size_t num_seeds() const { return links_.size(); }

 private:
  struct Connection;
  struct Link;
  struct Resolve;
  struct PendingRequest {
    cluster::ReplyCallback done;
    int64_t deadline = 0;
    cluster::PeerRequest args;  // kept only while waiting for a connection
  };
  struct Deferred {
    cluster::ReplyCallback done;
    cluster::DeliveryStatus status;
  };
  using Failure = std::pair<cluster::ReplyCallback, cluster::DeliveryStatus>;

  // libuv callbacks.
  static void OnConnection(uv_stream_t* listener, int status);
  static void OnConnect(uv_connect_t* req, int status);
  static void OnResolved(uv_getaddrinfo_t* req, int status, addrinfo* res);
  static void OnAlloc(uv_handle_t* handle, size_t suggested, uv_buf_t* buf);
  static void OnRead(uv_stream_t* stream, ssize_t nread, const uv_buf_t* buf);
  static void OnWrite(uv_write_t* req, int status);
  static void OnHandleClosed(uv_handle_t* handle);
  static void OnHandshakeTimer(uv_timer_t* handle);
  static void OnLinkTimer(uv_timer_t* handle);
  static void OnDeadlineTimer(uv_timer_t* handle);
  static void OnCheck(uv_check_t* handle);

  // Outbound links.
  void StartConnect(Link* link);
  void ConnectTo(Link* link, const sockaddr* addr);
  void OnConnected(Connection* conn);
  void LinkUp(Link* link, Connection* conn);
  // The link lost its connection (or its attempt failed): fails its requests
  // and schedules the next attempt unless it was dropped.
  void LinkDown(Link* link, Connection* conn, bool was_up);
  void ScheduleReconnect(Link* link);
  // Stops using `link` for good (it reaches ourselves or a duplicate).
  void DropLink(Link* link);
  // Removes the waiting requests of `link` as kUnreachable failures.
  void TakeWaiting(Link* link, std::vector<Failure>* failures);

  // Input.
  void ProcessReplies(Connection* conn);
  void OnHelloReply(Connection* conn, resp::Reply& reply);
  void OnAuthReply(Connection* conn, const resp::Reply& reply);
  void OnRequestReply(Connection* conn, resp::Reply& reply);
  void ProcessRequests(Connection* conn);
  void HandleHello(Connection* conn, const std::vector<std::string_view>& args);
  void HandleAuth(Connection* conn, const std::vector<std::string_view>& args);
  void HandleRequest(Connection* conn, const std::vector<std::string_view>& args);
  void RejectHandshake(Connection* conn, std::string_view error, std::string_view why);
  void FillSlot(Connection* conn, uint64_t seq, const cluster::PeerReply& reply);
  bool InboundBusy(const Connection* conn) const;
  void ResumeReading(Connection* conn);

  // Output.
  void ScheduleFlush(Connection* conn);
  void Flush(Connection* conn);
  // Writes what `conn` has queued now, as far as the socket takes it without
  // blocking, and never closes: the flush already scheduled for the end of
  // the turn writes the rest and handles errors. Callers may be inside a
  // reply callback, where closing (which fails requests) must not happen.
  void WriteAhead(Connection* conn);
  // Writes `conn->out` as far as the socket takes it without blocking and
  // drops the written bytes from it. Returns their count (0 on EAGAIN) or a
  // libuv error.
  int TryWrite(Connection* conn);
  // Every request queued on an outbound connection counts as handed to the
  // socket (written), even if part of it still waits in a buffer: a failure
  // then reports it as possibly applied, never as certainly not.
  void CountWritten(Connection* conn);
  void CloseConnection(Connection* conn);

  // Requests.
  void Defer(cluster::ReplyCallback done, cluster::DeliveryStatus status);
  // Removes request `id` and returns its callback, or null if it already ended.
  cluster::ReplyCallback TakeRequest(uint64_t id);
  // Points the deadline timer at the earliest request deadline.
  void ArmDeadlineTimer();
  void ExpireRequests();
  void RunFailures(std::vector<Failure>* failures);
  void RunCheck();

  int64_t Now() const { return static_cast<int64_t>(uv_now(loop_)); }
  // Rate limit for warnings that a remote party can trigger at will.
  bool ShouldWarn();

  uv_loop_t* loop_;
  Options options_;
  std::string advertised_address_;
  int port_ = 0;
  bool closed_ = false;
  Stats stats_;

  std::vector<uv_tcp_t*> listeners_;
  uv_check_t* check_;           // flushes and runs deferred callbacks each iteration
  uv_idle_t* idle_;             // active while the check has work: keeps poll from blocking
  uv_timer_t* deadline_timer_;  // fires at the earliest request deadline
  int64_t armed_deadline_ = INT64_MAX;
  bool expiring_ = false;                // inside the deadline timer's callback
  std::unique_ptr<char[]> read_buffer_;  // shared: libuv hands it back before the next read

  std::map<std::string, std::unique_ptr<Link>> links_;  // by seed address
  std::vector<std::unique_ptr<Link>> dropped_links_;    // freed with the transport
  std::unordered_set<std::string> ignored_addresses_;   // dropped seeds
  std::unordered_map<cluster::NodeId, Link*> by_node_;
  std::unordered_map<uint64_t, Connection*> inbound_;
  uint64_t next_connection_id_ = 1;

  std::unordered_map<uint64_t, PendingRequest> requests_;
  std::set<std::pair<int64_t, uint64_t>> deadlines_;  // (deadline, request id)
  uint64_t next_request_id_ = 1;

  std::vector<Deferred> deferred_;
  std::vector<Connection*> dirty_;  // connections to flush in the check phase

  std::shared_ptr<const cluster::RequestHandler> handler_;
  std::function<void(const cluster::NodeId&, const std::string&)> on_up_;
  std::function<void(const cluster::NodeId&)> on_down_;
  int64_t last_warning_ms_ = -1;  // loop time of the last rate-limited warning
};

}  // namespace ringkv::net

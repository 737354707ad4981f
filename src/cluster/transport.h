// The two interfaces the cluster logic (ring, coordinator, repair) runs
// against. Production wires them to libuv (src/net/peer_transport.h); tests
// wire them to a seeded in-process simulator (src/cluster/sim_network.h) that
// can drop, delay, duplicate and reorder messages and partition nodes, and
// replays a run exactly from its seed.
//
// Everything here is single-threaded: callbacks run on the thread that owns
// the transport and clock (the event loop), never re-entrantly from inside the
// call that registered them.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace ringkv::cluster {

// A node's stable identity on the ring (the `node-id` directive).
using NodeId = std::string;

// One reply from a peer: a subset of RESP sufficient for internal commands.
struct PeerReply {
  enum class Kind : uint8_t { kStatus, kError, kBulk, kNil, kInteger, kArray };
  Kind kind = Kind::kNil;
  std::string str;                    // kStatus, kError, kBulk
  int64_t integer = 0;                // kInteger
  std::vector<std::string> elements;  // kArray (of bulk strings; nil elements are "")

  static PeerReply Status(std::string_view s) { return {Kind::kStatus, std::string(s), 0, {}}; }
  static PeerReply Error(std::string_view s) { return {Kind::kError, std::string(s), 0, {}}; }
  static PeerReply Bulk(std::string_view s) { return {Kind::kBulk, std::string(s), 0, {}}; }
  static PeerReply Nil() { return {}; }
  static PeerReply Integer(int64_t n) { return {Kind::kInteger, {}, n, {}}; }
  static PeerReply Array(std::vector<std::string> e) { return {Kind::kArray, {}, 0, std::move(e)}; }
};

// How a request ended. Only kOk carries a reply; the others say why there is
// none, for error texts such as "node2: timeout, node3: unreachable".
enum class DeliveryStatus : uint8_t {
  kOk,           // the peer answered (the answer may be a RESP error)
  kTimeout,      // no answer within the request's deadline; it may have been applied
  kUnreachable,  // no connection to the peer (refused, down, not authenticated)
};

const char* DeliveryStatusName(DeliveryStatus status);  // "ok", "timeout", "unreachable"

// A request is an internal command: an array of binary-safe arguments, the
// first being the command name (e.g. "RING.MERGE").
using PeerRequest = std::vector<std::string>;

using ReplyCallback = std::function<void(DeliveryStatus status, const PeerReply& reply)>;

// Serves requests that arrive from peers. Must call `respond` exactly once,
// possibly later (after the local write commits).
using RequestHandler = std::function<void(const NodeId& from, const PeerRequest& request,
                                          std::function<void(PeerReply)> respond)>;

// Sends internal commands to peers and dispatches incoming ones.
class Transport {
 public:
  virtual ~Transport() = default;

  // Sends `request` to `peer`. `done` runs exactly once: with the reply, or
  // with kTimeout after `timeout_ms`, or with kUnreachable when there is no
  // connection. The libuv transport keeps requests to one peer in order and
  // pipelines them; the simulator may reorder and duplicate them, so callers
  // must not depend on order and every internal command must be idempotent.
  virtual void Send(const NodeId& peer, PeerRequest request, int64_t timeout_ms,
                    ReplyCallback done) = 0;

  // Installs the handler for requests from peers (replaces any previous one).
  virtual void SetRequestHandler(RequestHandler handler) = 0;

  // True if a connection to `peer` is currently established (a hint for
  // choosing whom to forward to; Send still reports the truth).
  virtual bool IsConnected(const NodeId& peer) const = 0;
};

// Time and timers.
class Clock {
 public:
  virtual ~Clock() = default;
  // Wall-clock time in ms since the Unix epoch (used for sibling timestamps
  // and expiry; may be skewed between nodes).
  virtual int64_t NowMs() const = 0;
  // Monotonic time in ms (used for timeouts and backoff).
  virtual int64_t MonotonicMs() const = 0;
  // Runs `fn` once, `delay_ms` from now. Returns an id for Cancel.
  virtual uint64_t After(int64_t delay_ms, std::function<void()> fn) = 0;
  // Cancels a pending timer; no effect if it already ran.
  virtual void Cancel(uint64_t timer_id) = 0;
};

}  // namespace ringkv::cluster

// A seeded, deterministic, in-process network and clock for cluster tests, in
// the manner of FoundationDB's and TigerBeetle's simulators.
//
// One SimNetwork hosts many nodes. Each node is a SimNode, which implements
// both Transport and Clock, so the real cluster logic runs against it
// unchanged. All nodes share one virtual clock and one event queue ordered by
// (virtual time, sequence number). Nothing happens until the test runs the
// queue (RunOne, RunFor, RunUntil, RunUntilIdle): Send, After and the `respond`
// given to a handler only enqueue, so user code never runs inside them.
//
// Every random choice (latencies, losses, duplicates) is drawn, in event order,
// from one std::mt19937_64 seeded by the test, using portable arithmetic
// rather than <random> distributions (whose output differs between standard
// libraries). Nothing depends on addresses or on the iteration order of
// unordered containers. So a run replays exactly from its seed, and a failure
// seen once can be traced (set_tracer) and debugged.
//
// Faults: random latency (which reorders messages), loss of requests and
// replies, duplicated requests, partitions and one-way link blocks, node
// crashes and restarts, and per-node wall-clock skew.
//
// Single-threaded, like the interfaces it implements. The network must
// outlive every SimNode pointer and callback handed out.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <random>
#include <set>
#include <utility>
#include <vector>

#include "cluster/transport.h"

namespace ringkv::cluster {

class SimNetwork;

// One simulated node's Transport and Clock. Owned by its SimNetwork; the
// pointer stays valid across crashes and restarts.
//
// The life of a Send from A to B:
//   - A down, B unknown or B down: `done` gets kUnreachable 0-1 ms later.
//   - Otherwise the request travels for a latency drawn from the network's
//     range; it may be lost (drop probability) or sent twice (duplicate
//     probability, each copy with its own latency and its own chance of loss).
//     On arrival it is lost if the link A->B is blocked at that moment or B has
//     crashed since; if B has no handler, `done` gets kUnreachable (as for a
//     refused connection); else B's handler runs.
//   - A reply travels back the same way (another latency draw, chance of loss,
//     lost if B->A is blocked on arrival or A has crashed since).
//   - `done` runs exactly once: kOk with the first reply that arrives strictly
//     before `timeout_ms` has passed, else kTimeout at the deadline. Later
//     replies are ignored.
class SimNode final : public Transport, public Clock {
 public:
  SimNode(const SimNode&) = delete;
  SimNode& operator=(const SimNode&) = delete;

  const NodeId& id() const { return id_; }

  // Transport.
  void Send(const NodeId& peer, PeerRequest request, int64_t timeout_ms,
            ReplyCallback done) override;
  // Crash discards the handler; install the restarted node's handler after
  // (or before) Restart.
  void SetRequestHandler(RequestHandler handler) override;
  // False if either node is down, `peer` is unknown, or either direction of
  // the link is blocked.
  bool IsConnected(const NodeId& peer) const override;

  // Clock. NowMs is SimNetwork::kEpochMs plus virtual time plus this node's
  // skew; MonotonicMs is the shared virtual time, unskewed.
  int64_t NowMs() const override;
  int64_t MonotonicMs() const override;
  // Negative delays count as 0. A timer set while the node is down never fires.
  uint64_t After(int64_t delay_ms, std::function<void()> fn) override;
  void Cancel(uint64_t timer_id) override;

 private:
  friend class SimNetwork;

  SimNode(SimNetwork* network, uint32_t index, NodeId id)
      : network_(network), index_(index), id_(std::move(id)) {}

  SimNetwork* const network_;
  const uint32_t index_;  // position in SimNetwork::nodes_
  const NodeId id_;
  bool up_ = true;
  // Bumped by Crash and by Restart, so nothing from an earlier life (a late
  // reply, a stale `respond`) reaches the current one.
  uint64_t incarnation_ = 0;
  int64_t skew_ms_ = 0;
  RequestHandler handler_;
};

// Counters for test diagnostics.
struct SimStats {
  uint64_t sent = 0;         // Sends that put a request on the wire
  uint64_t delivered = 0;    // requests handed to a handler, duplicates included
  uint64_t dropped = 0;      // requests and replies lost (loss, partition, block)
  uint64_t duplicated = 0;   // extra request copies put on the wire
  uint64_t replies = 0;      // Sends completed with kOk
  uint64_t timeouts = 0;     // Sends completed with kTimeout
  uint64_t unreachable = 0;  // Sends completed with kUnreachable
};

// One step of a message's life, reported to the tracer.
struct SimTraceEvent {
  enum class Kind : uint8_t {
    kSend,         // a request was put on the wire
    kDrop,         // a request or reply copy was lost
    kDeliver,      // a request copy reached the peer's handler
    kReply,        // `done` ran with kOk
    kTimeout,      // `done` ran with kTimeout
    kUnreachable,  // `done` ran with kUnreachable
  };
  int64_t time_ms;  // virtual (monotonic) time
  Kind kind;
  NodeId from;  // the node that called Send
  NodeId to;    // the Send's peer
  PeerRequest request;
};

// "send", "drop", "deliver", "reply", "timeout", "unreachable".
const char* SimTraceKindName(SimTraceEvent::Kind kind);

class SimNetwork {
 public:
  // NowMs() of an unskewed node at virtual time 0 (November 2023).
  static constexpr int64_t kEpochMs = 1'700'000'000'000;

  explicit SimNetwork(uint64_t seed);
  ~SimNetwork();

  SimNetwork(const SimNetwork&) = delete;
  SimNetwork& operator=(const SimNetwork&) = delete;

  // Adds an up node with no handler. Aborts if `id` already exists.
  SimNode* AddNode(const NodeId& id);
  // The node named `id`, or nullptr.
  SimNode* node(const NodeId& id) const;

  // Faults. Operations naming a node abort if it does not exist: that is a
  // bug in the test.

  // Each message copy's one-way latency is uniform in [min_ms, max_ms]
  // (default 1..5). Clamped so that 0 <= min_ms <= max_ms.
  void set_latency_range(int64_t min_ms, int64_t max_ms);
  // The chance that any one request or reply copy is lost.
  void set_drop_probability(double p) { drop_probability_ = p; }
  // The chance that a request is put on the wire twice.
  void set_duplicate_probability(double p) { duplicate_probability_ = p; }
  // Blocks both directions between every node of `side_a` and every node of
  // `side_b`. Adds to earlier partitions and blocks.
  void Partition(const std::vector<NodeId>& side_a, const std::vector<NodeId>& side_b);
  // Blocks messages from `from` to `to` only.
  void BlockLink(const NodeId& from, const NodeId& to);
  void UnblockLink(const NodeId& from, const NodeId& to);
  // Removes every partition and block.
  void Heal();
  // Process death: the node stops receiving, everything it scheduled (timers,
  // pending `done` callbacks) is discarded without running, requests in flight
  // to it are lost, and its handler is discarded. If called from one of the
  // node's own callbacks, the rest of that callback runs: its Sends complete
  // with kUnreachable and its timers never fire. No effect if already down.
  void Crash(const NodeId& id);
  // Brings the node back as a fresh process with no handler and nothing
  // scheduled; the test builds its new state machine on the same SimNode.
  // Restarting an up node crashes it first.
  void Restart(const NodeId& id);
  bool IsUp(const NodeId& id) const;
  // Shifts the node's NowMs by `skew_ms`; MonotonicMs and timers are unaffected.
  void SetClockSkew(const NodeId& id, int64_t skew_ms);

  // Running. Budgets are virtual ms from now. Events at the same virtual time
  // run in the order they were scheduled. A callback that keeps scheduling
  // itself with zero delay keeps these from returning.

  // Runs the earliest event, advancing virtual time to it. False if none.
  bool RunOne();
  // Runs every event due within `ms`, then advances virtual time by `ms`.
  void RunFor(int64_t ms);
  // Runs events until `pred` holds, checking it before the first and after
  // each. If the budget runs out first, virtual time ends at its end. Returns
  // pred().
  bool RunUntil(const std::function<bool()>& pred, int64_t max_virtual_ms);
  // Runs events until none is left or the next is beyond the budget (then
  // virtual time ends at the budget's end). Returns true if none is left.
  // Periodic timers keep a network from ever becoming idle.
  bool RunUntilIdle(int64_t max_virtual_ms);

  // Virtual monotonic time in ms (starts at 0).
  int64_t now_ms() const { return now_ms_; }
  size_t pending_events() const { return events_.size(); }
  const SimStats& stats() const { return stats_; }

  // Reports each step of each message's life. The tracer must not call into
  // the network. nullptr turns tracing off.
  void set_tracer(std::function<void(const SimTraceEvent&)> tracer) { tracer_ = std::move(tracer); }

  // A value uniform in [lo, hi] from the network's seeded stream, for tests
  // whose workload should replay with the network. Requires lo <= hi.
  int64_t Uniform(int64_t lo, int64_t hi);

 private:
  friend class SimNode;

  struct Call;  // one Send, shared by its events and `respond` closures

  struct Event {
    int64_t time_ms;
    uint32_t owner;  // the node whose callback this is; Crash discards it
    bool timer;      // scheduled by After: the only kind Cancel may remove
    std::function<void()> fn;
  };

  // Queues `fn` at now + `delay_ms` as owned by node `owner`. Returns its
  // sequence number, which is also its timer id.
  uint64_t Schedule(uint32_t owner, int64_t delay_ms, bool timer, std::function<void()> fn);
  // Removes a pending event; no effect if it has run or was removed.
  void Unschedule(uint64_t seq);
  // Removes every pending event owned by `owner`.
  void DiscardEventsOf(uint32_t owner);

  void SendFrom(SimNode& from, const NodeId& peer, PeerRequest request, int64_t timeout_ms,
                ReplyCallback done);
  void Deliver(const std::shared_ptr<Call>& call);
  void Respond(const std::shared_ptr<Call>& call, uint64_t responder_incarnation, PeerReply reply);
  // Schedules `done` for `call` on its sender, unless the sender has crashed
  // since the Send.
  void ScheduleCompletion(const std::shared_ptr<Call>& call, int64_t delay_ms,
                          DeliveryStatus status);
  // Runs `done` unless the call has already finished.
  void Finish(Call& call, DeliveryStatus status, const PeerReply& reply);
  uint64_t AddTimer(SimNode& node, int64_t delay_ms, std::function<void()> fn);
  void CancelTimer(const SimNode& node, uint64_t timer_id);
  bool Connected(const SimNode& from, const NodeId& peer) const;

  bool Blocked(uint32_t from, uint32_t to) const { return blocked_.count({from, to}) != 0; }
  bool Chance(double p);
  int64_t Latency() { return Uniform(min_latency_ms_, max_latency_ms_); }
  void Trace(SimTraceEvent::Kind kind, const Call& call);
  SimNode& MustFind(const NodeId& id) const;

  std::mt19937_64 rng_;
  int64_t now_ms_ = 0;
  uint64_t next_seq_ = 1;                         // 0 is never an event, so it can mean "none"
  std::map<uint64_t, Event> events_;              // by sequence number
  std::set<std::pair<int64_t, uint64_t>> order_;  // (time, sequence number)

  std::vector<std::unique_ptr<SimNode>> nodes_;      // in order of AddNode
  std::map<NodeId, uint32_t> index_;                 // id -> position in nodes_
  std::set<std::pair<uint32_t, uint32_t>> blocked_;  // directed (from, to) links

  int64_t min_latency_ms_ = 1;
  int64_t max_latency_ms_ = 5;
  double drop_probability_ = 0;
  double duplicate_probability_ = 0;

  SimStats stats_;
  std::function<void(const SimTraceEvent&)> tracer_;
  // Expires when the network is destroyed, so a `respond` called afterwards
  // (say, from a state machine's destructor) does nothing.
  std::shared_ptr<char> lifetime_ = std::make_shared<char>(0);
};

}  // namespace ringkv::cluster

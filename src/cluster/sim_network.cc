#include "cluster/sim_network.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>

namespace ringkv::cluster {

struct SimNetwork::Call {
  uint32_t from = 0;
  uint64_t from_incarnation = 0;
  uint32_t to = 0;  // meaningful only once the request is on the wire
  NodeId peer;
  PeerRequest request;
  ReplyCallback done;
  uint64_t timeout_event = 0;
  bool finished = false;
};

const char* SimTraceKindName(SimTraceEvent::Kind kind) {
  switch (kind) {
    case SimTraceEvent::Kind::kSend:
      return "send";
    case SimTraceEvent::Kind::kDrop:
      return "drop";
    case SimTraceEvent::Kind::kDeliver:
      return "deliver";
    case SimTraceEvent::Kind::kReply:
      return "reply";
    case SimTraceEvent::Kind::kTimeout:
      return "timeout";
    case SimTraceEvent::Kind::kUnreachable:
      return "unreachable";
  }
  return "unknown";
}

// ---- SimNode ----

void SimNode::Send(const NodeId& peer, PeerRequest request, int64_t timeout_ms,
                   ReplyCallback done) {
  network_->SendFrom(*this, peer, std::move(request), timeout_ms, std::move(done));
}

void SimNode::SetRequestHandler(RequestHandler handler) { handler_ = std::move(handler); }

bool SimNode::IsConnected(const NodeId& peer) const { return network_->Connected(*this, peer); }

int64_t SimNode::NowMs() const { return SimNetwork::kEpochMs + network_->now_ms() + skew_ms_; }

int64_t SimNode::MonotonicMs() const { return network_->now_ms(); }

uint64_t SimNode::After(int64_t delay_ms, std::function<void()> fn) {
  return network_->AddTimer(*this, delay_ms, std::move(fn));
}

void SimNode::Cancel(uint64_t timer_id) { network_->CancelTimer(*this, timer_id); }

// ---- SimNetwork: nodes and faults ----

SimNetwork::SimNetwork(uint64_t seed) : rng_(seed) {}

SimNetwork::~SimNetwork() {
  // Expire `respond` closures first: destroying the queued callbacks below may
  // destroy user objects that call them.
  lifetime_.reset();
}

SimNode* SimNetwork::AddNode(const NodeId& id) {
  if (index_.count(id) != 0) {
    std::fprintf(stderr, "SimNetwork: node %s added twice\n", id.c_str());
    std::abort();
  }
  auto position = static_cast<uint32_t>(nodes_.size());
  nodes_.push_back(std::unique_ptr<SimNode>(new SimNode(this, position, id)));
  index_.emplace(id, position);
  return nodes_.back().get();
}

SimNode* SimNetwork::node(const NodeId& id) const {
  auto it = index_.find(id);
  return it == index_.end() ? nullptr : nodes_[it->second].get();
}

SimNode& SimNetwork::MustFind(const NodeId& id) const {
  SimNode* n = node(id);
  if (n == nullptr) {
    std::fprintf(stderr, "SimNetwork: unknown node %s\n", id.c_str());
    std::abort();
  }
  return *n;
}

void SimNetwork::set_latency_range(int64_t min_ms, int64_t max_ms) {
  min_latency_ms_ = std::max<int64_t>(min_ms, 0);
  max_latency_ms_ = std::max(max_ms, min_latency_ms_);
}

void SimNetwork::Partition(const std::vector<NodeId>& side_a, const std::vector<NodeId>& side_b) {
  for (const NodeId& a : side_a) {
    uint32_t ia = MustFind(a).index_;
    for (const NodeId& b : side_b) {
      uint32_t ib = MustFind(b).index_;
      if (ia == ib) continue;
      blocked_.insert({ia, ib});
      blocked_.insert({ib, ia});
    }
  }
}

void SimNetwork::BlockLink(const NodeId& from, const NodeId& to) {
  blocked_.insert({MustFind(from).index_, MustFind(to).index_});
}

void SimNetwork::UnblockLink(const NodeId& from, const NodeId& to) {
  blocked_.erase({MustFind(from).index_, MustFind(to).index_});
}

void SimNetwork::Heal() { blocked_.clear(); }

void SimNetwork::Crash(const NodeId& id) {
  SimNode& n = MustFind(id);
  if (!n.up_) return;
  n.up_ = false;
  n.incarnation_++;
  // Destroyed on return, after the network's state is consistent, in case the
  // handler's captures call back into it.
  RequestHandler old_handler = std::move(n.handler_);
  n.handler_ = nullptr;
  DiscardEventsOf(n.index_);
}

void SimNetwork::Restart(const NodeId& id) {
  SimNode& n = MustFind(id);
  Crash(id);
  n.up_ = true;
  n.incarnation_++;
  // Completions of Sends made while down.
  DiscardEventsOf(n.index_);
}

bool SimNetwork::IsUp(const NodeId& id) const { return MustFind(id).up_; }

void SimNetwork::SetClockSkew(const NodeId& id, int64_t skew_ms) {
  MustFind(id).skew_ms_ = skew_ms;
}

bool SimNetwork::Connected(const SimNode& from, const NodeId& peer) const {
  const SimNode* to = node(peer);
  return to != nullptr && from.up_ && to->up_ && !Blocked(from.index_, to->index_) &&
         !Blocked(to->index_, from.index_);
}

// ---- SimNetwork: messages ----

void SimNetwork::SendFrom(SimNode& from, const NodeId& peer, PeerRequest request,
                          int64_t timeout_ms, ReplyCallback done) {
  auto call = std::make_shared<Call>();
  call->from = from.index_;
  call->from_incarnation = from.incarnation_;
  call->peer = peer;
  call->request = std::move(request);
  call->done = std::move(done);

  const SimNode* to = node(peer);
  if (!from.up_ || to == nullptr || !to->up_) {
    ScheduleCompletion(call, Uniform(0, 1), DeliveryStatus::kUnreachable);
    return;
  }
  call->to = to->index_;
  stats_.sent++;
  Trace(SimTraceEvent::Kind::kSend, *call);
  call->timeout_event = Schedule(call->from, timeout_ms, false, [this, call] {
    Finish(*call, DeliveryStatus::kTimeout, PeerReply::Nil());
  });
  int copies = 1;
  if (Chance(duplicate_probability_)) {
    copies = 2;
    stats_.duplicated++;
  }
  for (int i = 0; i < copies; i++) {
    if (Chance(drop_probability_)) {
      stats_.dropped++;
      Trace(SimTraceEvent::Kind::kDrop, *call);
      continue;
    }
    // Owned by the peer, so a crash of the peer loses the request.
    Schedule(call->to, Latency(), false, [this, call] { Deliver(call); });
  }
}

void SimNetwork::Deliver(const std::shared_ptr<Call>& call) {
  SimNode& to = *nodes_[call->to];
  if (Blocked(call->from, call->to)) {
    stats_.dropped++;
    Trace(SimTraceEvent::Kind::kDrop, *call);
    return;
  }
  if (!to.handler_) {
    ScheduleCompletion(call, Latency(), DeliveryStatus::kUnreachable);
    return;
  }
  stats_.delivered++;
  Trace(SimTraceEvent::Kind::kDeliver, *call);
  // Each delivered copy gets its own `respond`, usable once.
  auto responded = std::make_shared<bool>(false);
  auto respond = [this, lifetime = std::weak_ptr<char>(lifetime_), call,
                  incarnation = to.incarnation_, responded](PeerReply reply) {
    if (lifetime.expired() || *responded) return;
    *responded = true;
    Respond(call, incarnation, std::move(reply));
  };
  // A copy, so the handler may replace itself or crash its node.
  RequestHandler handler = to.handler_;
  handler(nodes_[call->from]->id_, call->request, std::move(respond));
}

void SimNetwork::Respond(const std::shared_ptr<Call>& call, uint64_t responder_incarnation,
                         PeerReply reply) {
  // A reply from an earlier life of the responder died with it; one for a
  // finished call (or a restarted sender) would be ignored on arrival anyway.
  if (nodes_[call->to]->incarnation_ != responder_incarnation) return;
  if (call->finished || nodes_[call->from]->incarnation_ != call->from_incarnation) return;
  if (Chance(drop_probability_)) {
    stats_.dropped++;
    Trace(SimTraceEvent::Kind::kDrop, *call);
    return;
  }
  Schedule(call->from, Latency(), false, [this, call, reply = std::move(reply)] {
    if (Blocked(call->to, call->from)) {
      stats_.dropped++;
      Trace(SimTraceEvent::Kind::kDrop, *call);
      return;
    }
    Finish(*call, DeliveryStatus::kOk, reply);
  });
}

void SimNetwork::ScheduleCompletion(const std::shared_ptr<Call>& call, int64_t delay_ms,
                                    DeliveryStatus status) {
  if (nodes_[call->from]->incarnation_ != call->from_incarnation) return;
  Schedule(call->from, delay_ms, false,
           [this, call, status] { Finish(*call, status, PeerReply::Nil()); });
}

void SimNetwork::Finish(Call& call, DeliveryStatus status, const PeerReply& reply) {
  if (call.finished) return;
  call.finished = true;
  Unschedule(call.timeout_event);
  switch (status) {
    case DeliveryStatus::kOk:
      stats_.replies++;
      Trace(SimTraceEvent::Kind::kReply, call);
      break;
    case DeliveryStatus::kTimeout:
      stats_.timeouts++;
      Trace(SimTraceEvent::Kind::kTimeout, call);
      break;
    case DeliveryStatus::kUnreachable:
      stats_.unreachable++;
      Trace(SimTraceEvent::Kind::kUnreachable, call);
      break;
  }
  ReplyCallback done = std::move(call.done);
  call.done = nullptr;
  if (done) done(status, reply);
}

void SimNetwork::Trace(SimTraceEvent::Kind kind, const Call& call) {
  if (!tracer_) return;
  tracer_(SimTraceEvent{now_ms_, kind, nodes_[call.from]->id_, call.peer, call.request});
}

// ---- SimNetwork: timers and the event queue ----

uint64_t SimNetwork::AddTimer(SimNode& node, int64_t delay_ms, std::function<void()> fn) {
  // A dead node's timer never fires; its id is still unique.
  if (!node.up_) return next_seq_++;
  return Schedule(node.index_, delay_ms, true, std::move(fn));
}

void SimNetwork::CancelTimer(const SimNode& node, uint64_t timer_id) {
  auto it = events_.find(timer_id);
  // Only the node's own timers: never a message event or another node's timer.
  if (it == events_.end() || !it->second.timer || it->second.owner != node.index_) return;
  Unschedule(timer_id);
}

uint64_t SimNetwork::Schedule(uint32_t owner, int64_t delay_ms, bool timer,
                              std::function<void()> fn) {
  uint64_t seq = next_seq_++;
  int64_t time = now_ms_ + std::max<int64_t>(delay_ms, 0);
  events_.emplace(seq, Event{time, owner, timer, std::move(fn)});
  order_.emplace(time, seq);
  return seq;
}

void SimNetwork::Unschedule(uint64_t seq) {
  auto it = events_.find(seq);
  if (it == events_.end()) return;
  std::function<void()> doomed = std::move(it->second.fn);
  order_.erase({it->second.time_ms, seq});
  events_.erase(it);
}

void SimNetwork::DiscardEventsOf(uint32_t owner) {
  // Destroyed on return, once the queue is consistent, since destroying a
  // callback may run user destructors.
  std::vector<std::function<void()>> doomed;
  for (auto it = events_.begin(); it != events_.end();) {
    if (it->second.owner == owner) {
      order_.erase({it->second.time_ms, it->first});
      doomed.push_back(std::move(it->second.fn));
      it = events_.erase(it);
    } else {
      ++it;
    }
  }
}

bool SimNetwork::RunOne() {
  if (order_.empty()) return false;
  auto [time, seq] = *order_.begin();
  order_.erase(order_.begin());
  auto it = events_.find(seq);
  std::function<void()> fn = std::move(it->second.fn);
  events_.erase(it);
  now_ms_ = time;
  fn();
  return true;
}

void SimNetwork::RunFor(int64_t ms) {
  int64_t deadline = now_ms_ + std::max<int64_t>(ms, 0);
  while (!order_.empty() && order_.begin()->first <= deadline) RunOne();
  now_ms_ = deadline;
}

bool SimNetwork::RunUntil(const std::function<bool()>& pred, int64_t max_virtual_ms) {
  int64_t deadline = now_ms_ + std::max<int64_t>(max_virtual_ms, 0);
  while (!pred()) {
    if (order_.empty() || order_.begin()->first > deadline) {
      now_ms_ = deadline;
      return pred();
    }
    RunOne();
  }
  return true;
}

bool SimNetwork::RunUntilIdle(int64_t max_virtual_ms) {
  int64_t deadline = now_ms_ + std::max<int64_t>(max_virtual_ms, 0);
  while (!order_.empty() && order_.begin()->first <= deadline) RunOne();
  if (order_.empty()) return true;
  now_ms_ = deadline;
  return false;
}

// ---- SimNetwork: randomness ----

int64_t SimNetwork::Uniform(int64_t lo, int64_t hi) {
  // Modulo rather than std::uniform_int_distribution, whose output is not
  // specified by the standard; the bias is negligible for small ranges.
  uint64_t span = static_cast<uint64_t>(hi) - static_cast<uint64_t>(lo) + 1;
  uint64_t r = rng_();
  if (span == 0) return static_cast<int64_t>(r);  // the full 64-bit range
  return static_cast<int64_t>(static_cast<uint64_t>(lo) + r % span);
}

bool SimNetwork::Chance(double p) {
  // Always draws, so the stream's use does not depend on p.
  double u = static_cast<double>(rng_() >> 11) * 0x1.0p-53;  // [0, 1)
  return u < p;
}

}  // namespace ringkv::cluster
